/*
 * app_due_int.h: helpers shared by app_due.c, app_due_claims.c and
 * app_due_json.c, and by nothing else.
 */
#ifndef MU_APP_DUE_INT_H
#define MU_APP_DUE_INT_H

#include "app/app_due.h"

#define DUE_WRITE_TRIES 8

/* MU_EINVAL naming field unless v is valid text (UTF-8, no control
 * characters) of min..max bytes; v may be NULL only when min is 0. */
enum mu_err due_text(const char *field, const char *v, size_t min, size_t max,
		     struct mu_error *err) MU_MUSTCHECK;
/* prefix + 12 random base32 characters. */
void due_new_id(char *buf, size_t size, const char *prefix);
/* Who and when, from the context. */
void due_stamp_now(struct due_stamp *s, const struct audit_ctx *ctx);
/* 1 if summons r has not ended as of `at`. */
int due_summons_alive(struct app *a, const struct summons_rec *r, int64_t at);
/* Record a summons event now through app_record_event. */
enum mu_err due_record_event(struct app *a, const char *sid, enum ev_type t,
			     int64_t new_report_at, enum appeal_outcome oc,
			     const char *reference, const struct audit_ctx *ctx,
			     int64_t *seq, struct mu_error *err) MU_MUSTCHECK;
/* Cancel every open summons of nid whose purpose is in purposes, with
 * reference; ids appended to cancelled (may be NULL). */
enum mu_err due_cancel_covered(struct app *a, const char *nid, unsigned purposes,
			       const char *reference, const struct audit_ctx *ctx,
			       json_t *cancelled, struct mu_error *err) MU_MUSTCHECK;
/* The record with id in v->d, or NULL. */
struct fitness_rec *due_find_fitness(struct due_set *d, const char *id);
struct exemption_rec *due_find_exemption(struct due_set *d, const char *id);
struct override_rec *due_find_override(struct due_set *d, const char *id);
struct excuse_rec *due_find_excuse(struct due_set *d, const char *id);
struct appeal_rec *due_find_appeal(struct due_set *d, const char *id);
struct correction_rec *due_find_correction(struct due_set *d, const char *id);
/* Load the view of the owner of record id. */
enum mu_err due_view_of(struct app *a, const char *id, struct due_view *v,
			struct mu_error *err) MU_MUSTCHECK;

#endif
