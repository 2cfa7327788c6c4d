/*
 * app_campaign.h: call-up campaigns (see app_campaign.c for the selection
 * order and the four-eyes rule).
 */
#ifndef MU_APP_CAMPAIGN_H
#define MU_APP_CAMPAIGN_H

#include "app/app.h"

enum exclusion { EXCL_REMOVED, EXCL_FITNESS, EXCL_OPEN_SUMMONS, EXCL_OTHER_CAMPAIGN, EXCL__COUNT };

/* A draft request, validated by the HTTP layer. JSON arrays may be NULL
 * (no filter). */
struct campaign_req {
	const char *name, *legal_basis;
	int purpose;
	int64_t report_from, report_to, quota;
	char born_from[11], born_to[11];
	const json_t *regions, *offices, *fitness;
	const char *sex;
	const char *criteria_text;  /* the criteria object as JSON text */
};

/* Compute the selection and store a new draft; *out is the campaign. */
enum mu_err app_campaign_draft(struct app *a, const struct campaign_req *r,
			       const struct audit_ctx *ctx, struct campaign *out,
			       struct mu_error *err) MU_MUSTCHECK;
/* Recompute a draft's selection from the register as it is now. */
enum mu_err app_campaign_recompute(struct app *a, struct campaign *c,
				   const struct campaign_req *r,
				   const struct audit_ctx *ctx, struct mu_error *err) MU_MUSTCHECK;
/* Issue every summons of a draft in one transaction (four eyes: the
 * creator may not). *report: {"id","state","issued","excluded":[...]}. */
enum mu_err app_campaign_approve(struct app *a, struct campaign *c,
				 const struct audit_ctx *ctx, json_t **report,
				 struct mu_error *err) MU_MUSTCHECK;
/* Cancel the campaign and every open summons of it (their bars lift). */
enum mu_err app_campaign_cancel(struct app *a, const struct campaign *c,
				const char *reason, const struct audit_ctx *ctx,
				size_t *cancelled, struct mu_error *err) MU_MUSTCHECK;
/* The campaign as JSON, with counts per state/office/channel as of `at`. */
json_t *app_campaign_json(struct app *a, const struct campaign *c, int64_t at);
void app_campaign_counts(struct app *a, const struct campaign *c, int64_t at, json_t *o);

#endif
