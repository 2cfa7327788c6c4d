/*
 * summons_pdf.h: the printable summons (A4, libharu) with a QR code
 * (libqrencode) of its public verification URL.
 *
 * Presentation only: the caller gathers the facts (summons, person, office,
 * local report time, texts); this module lays them out. No store, no HTTP.
 */
#ifndef MU_SUMMONS_PDF_H
#define MU_SUMMONS_PDF_H

#include <stddef.h>

#include "util/err.h"

#define PDF_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define PDF_FONT_BOLD_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

struct summons_print {
	const char *summons_id;
	const char *person_name;     /* "Family Given Patronymic" */
	const char *national_id;
	const char *address;
	const char *office_name;
	const char *office_region;
	const char *purpose;         /* plain words */
	const char *report_local;    /* "20 March 2026 09:00" */
	const char *report_zone;     /* "Asia/Vladivostok, UTC+10:00" */
	const char *legal_basis;     /* profile title and version */
	const char *verify_url;      /* encoded in the QR code */
	const char *verification_code;
	const char *language;        /* "ru" or "en": the first language */
};

/* Render the summons. On success *out (malloc'd, caller frees) holds *size
 * bytes of PDF. */
enum mu_err summons_pdf(const struct summons_print *p, unsigned char **out,
			size_t *size, struct mu_error *err) MU_MUSTCHECK;
/* Render n summonses, one page each, into one PDF (a print batch). */
enum mu_err summons_pdf_many(const struct summons_print *v, size_t n,
			     unsigned char **out, size_t *size,
			     struct mu_error *err) MU_MUSTCHECK;

#endif
