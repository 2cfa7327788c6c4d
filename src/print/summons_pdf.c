/*
 * summons_pdf.c: lays out the printable summons. See summons_pdf.h.
 *
 * Russian and English text side by side (the profile's language first),
 * the report time in the office's local time with its zone, the person's
 * rights in plain words, and a QR code of the verification URL.
 */
#include "print/summons_pdf.h"

#include <hpdf.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pdf {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font font, bold;
	float y;
	int failed;
};

static void on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
	struct pdf *p = user;
	p->failed = (int)error_no ? (int)error_no : 1;
	(void)detail_no;
}

static void line(struct pdf *p, HPDF_Font f, float size, float x, const char *text)
{
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, f, size);
	HPDF_Page_TextOut(p->page, x, p->y, text);
	HPDF_Page_EndText(p->page);
	p->y -= size * 1.45f;
}

static void field(struct pdf *p, const char *label, const char *value)
{
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, p->font, 9);
	HPDF_Page_TextOut(p->page, 56, p->y, label);
	HPDF_Page_EndText(p->page);
	p->y -= 13;
	line(p, p->bold, 12, 56, value ? value : "");
	p->y -= 3;
}

static void qr(struct pdf *p, const char *url, float x, float y, float module)
{
	QRcode *q = QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);

	if (!q) {
		p->failed = 1;
		return;
	}
	HPDF_Page_SetRGBFill(p->page, 0, 0, 0);
	for (int r = 0; r < q->width; r++)
		for (int c = 0; c < q->width; c++)
			if (q->data[r * q->width + c] & 1)
				HPDF_Page_Rectangle(p->page, x + c * module,
						    y + (q->width - 1 - r) * module, module, module);
	HPDF_Page_Fill(p->page);
	QRcode_free(q);
}

static const char *const rights_ru[] = {
	"Ваши права:",
	"- Если у вас есть уважительная причина не явиться (болезнь, семейные",
	"  обстоятельства), сообщите в военкомат и приложите документ.",
	"- Вы можете обжаловать повестку в вышестоящем военкомате или в суде.",
	"- Проверьте подлинность повестки по QR-коду или по коду проверки.",
	NULL,
};
static const char *const rights_en[] = {
	"Your rights:",
	"- If you have a valid reason not to appear (illness, a family emergency),",
	"  tell the office and attach a document.",
	"- You may appeal against this summons to the higher office or a court.",
	"- Check that this summons is genuine with the QR code or the code below.",
	NULL,
};

static void body(struct pdf *p, const struct summons_print *s)
{
	int ru = !s->language || strcmp(s->language, "en") != 0;
	char buf[256];

	p->y = 790;
	line(p, p->bold, 20, 56, ru ? "ПОВЕСТКА / SUMMONS" : "SUMMONS / ПОВЕСТКА");
	snprintf(buf, sizeof(buf), "No %s", s->summons_id);
	line(p, p->font, 11, 56, buf);
	p->y -= 10;
	field(p, ru ? "Кому / To" : "To / Кому", s->person_name);
	field(p, ru ? "Идентификатор / National id" : "National id / Идентификатор", s->national_id);
	field(p, ru ? "Адрес / Address" : "Address / Адрес", s->address);
	field(p, ru ? "Военкомат / Office" : "Office / Военкомат", s->office_name);
	field(p, ru ? "Регион / Region" : "Region / Регион", s->office_region);
	field(p, ru ? "Цель / Purpose" : "Purpose / Цель", s->purpose);
	snprintf(buf, sizeof(buf), "%s (%s)", s->report_local, s->report_zone);
	field(p, ru ? "Явиться / Report at (местное время / local time)"
		    : "Report at / Явиться (local time / местное время)", buf);
	field(p, ru ? "Основание / Legal basis" : "Legal basis / Основание", s->legal_basis);
	p->y -= 6;
	for (int i = 0; rights_ru[i] && ru; i++)
		line(p, i ? p->font : p->bold, 9.5f, 56, rights_ru[i]);
	p->y -= 4;
	for (int i = 0; rights_en[i]; i++)
		line(p, i ? p->font : p->bold, 9.5f, 56, rights_en[i]);
	for (int i = 0; rights_ru[i] && !ru; i++)
		line(p, i ? p->font : p->bold, 9.5f, 56, rights_ru[i]);
	qr(p, s->verify_url, 56, 70, 3.2f);
	p->y = 150;
	snprintf(buf, sizeof(buf), "%s: %s", ru ? "Код проверки / Verification code"
					      : "Verification code / Код проверки",
		 s->verification_code);
	line(p, p->font, 9, 230, buf);
	line(p, p->font, 9, 230, s->verify_url);
}

static enum mu_err setup(struct pdf *p, struct mu_error *err)
{
	const char *f, *b;

	p->doc = HPDF_New(on_error, p);
	if (!p->doc)
		return mu_fail(err, MU_ENOMEM, NULL, "cannot start a PDF");
	HPDF_UseUTFEncodings(p->doc);
	HPDF_SetCurrentEncoder(p->doc, "UTF-8");
	HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL);
	f = HPDF_LoadTTFontFromFile(p->doc, PDF_FONT_PATH, HPDF_TRUE);
	b = HPDF_LoadTTFontFromFile(p->doc, PDF_FONT_BOLD_PATH, HPDF_TRUE);
	if (!f || !b || p->failed)
		return mu_fail(err, MU_EIO, NULL, "cannot load the font %s "
			       "(install fonts-dejavu-core)", PDF_FONT_PATH);
	p->font = HPDF_GetFont(p->doc, f, "UTF-8");
	p->bold = HPDF_GetFont(p->doc, b, "UTF-8");
	return p->failed ? mu_fail(err, MU_EIO, NULL, "cannot lay out the PDF") : MU_OK;
}

enum mu_err summons_pdf(const struct summons_print *s, unsigned char **out,
			size_t *size, struct mu_error *err)
{
	return summons_pdf_many(s, 1, out, size, err);
}

enum mu_err summons_pdf_many(const struct summons_print *v, size_t count,
			     unsigned char **out, size_t *size, struct mu_error *err)
{
	struct pdf p = {0};
	HPDF_UINT32 n;
	enum mu_err rc = setup(&p, err);

	*out = NULL;
	*size = 0;
	for (size_t i = 0; rc == MU_OK && i < count; i++) {
		p.page = HPDF_AddPage(p.doc);
		HPDF_Page_SetSize(p.page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
		body(&p, &v[i]);
	}
	if (rc == MU_OK) {
		if (p.failed || HPDF_SaveToStream(p.doc) != HPDF_OK)
			rc = mu_fail(err, MU_EIO, NULL, "cannot render the PDF (error %#x)",
				     (unsigned)p.failed);
	}
	if (rc == MU_OK) {
		n = HPDF_GetStreamSize(p.doc);
		*out = malloc(n ? n : 1);
		if (!*out)
			rc = mu_fail(err, MU_ENOMEM, NULL, "out of memory");
		else if (HPDF_ReadFromStream(p.doc, *out, &n) != HPDF_OK && !n)
			rc = mu_fail(err, MU_EIO, NULL, "cannot read the PDF stream");
		*size = n;
	}
	if (rc) {
		free(*out);
		*out = NULL;
	}
	if (p.doc)
		HPDF_Free(p.doc);
	return rc;
}
