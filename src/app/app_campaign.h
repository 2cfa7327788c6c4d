/*
 * app_campaign.h: call-up campaigns (see app_campaign.c for the selection
 * order and the four-eyes rule).
 */
#ifndef MU_APP_CAMPAIGN_H
#define MU_APP_CAMPAIGN_H

#include "app/app.h"

enum exclusion { EXCL_REMOVED, EXCL_FITNESS, EXCL_OPEN_SUMMONS, EXCL_OTHER_CAMPAIGN, EXCL__COUNT };

/* A draft request (app_campaign_parse makes one from the JSON body of
 * POST /v1/campaigns). JSON arrays may be NULL (no filter). */
struct campaign_req {
	const char *name, *legal_basis;
	int purpose;
	int64_t report_from, report_to, quota;
	char born_from[11], born_to[11];
	const json_t *regions, *offices, *fitness;
	const char *sex;
	const char *criteria_text;  /* the criteria object as JSON text */
};

/* Progress of an approval, for a progress bar drawn by another thread
 * (muster campaign approve): the fields are read and written atomically. */
enum campaign_phase { CP_PREPARE, CP_ISSUE, CP_CHANNELS, CP_DONE };
struct campaign_progress {
	int phase;                  /* enum campaign_phase */
	int64_t total;              /* members to issue, known from CP_ISSUE on */
	struct store_progress st;   /* the issuing transaction's own count */
};

/* Validate the body of a draft request (the JSON of POST /v1/campaigns) as
 * of now, the one check shared by the API and the command line. Fills *q,
 * whose strings point into body and into *crit_txt (the criteria as
 * canonical JSON text; the caller frees it, also on failure). On failure
 * err names the field (e.g. "quota", "criteria.born_from"). */
enum mu_err app_campaign_parse(json_t *body, int64_t now, struct campaign_req *q,
			       char **crit_txt, struct mu_error *err) MU_MUSTCHECK;

/* Compute the selection and store a new draft; *out is the campaign. */
enum mu_err app_campaign_draft(struct app *a, const struct campaign_req *r,
			       const struct audit_ctx *ctx, struct campaign *out,
			       struct mu_error *err) MU_MUSTCHECK;
/* Recompute a draft's selection, with its stored criteria, from the
 * register as it is now; c is updated. */
enum mu_err app_campaign_recompute(struct app *a, struct campaign *c,
				   const struct audit_ctx *ctx, struct mu_error *err) MU_MUSTCHECK;
/* Issue every summons of a draft in one transaction (four eyes: the
 * creator may not). *report: {"id","state","issued","excluded":[...]}.
 * pr may be NULL; else it follows the approval as it goes. */
enum mu_err app_campaign_approve(struct app *a, struct campaign *c,
				 const struct audit_ctx *ctx, json_t **report,
				 struct campaign_progress *pr, struct mu_error *err) MU_MUSTCHECK;
/* Cancel the campaign and every open summons of it (their bars lift).
 * reason: required, at most REASON_MAX_LEN bytes (else MU_EINVAL). */
enum mu_err app_campaign_cancel(struct app *a, const struct campaign *c,
				const char *reason, const struct audit_ctx *ctx,
				size_t *cancelled, struct mu_error *err) MU_MUSTCHECK;
/* The answer to a cancellation: {"id","state","summonses_cancelled"}. */
json_t *app_campaign_cancel_json(const struct campaign *c, size_t cancelled);
/* Every campaign, newest first, as {"campaigns":[{"id","name","state",
 * "selected","issued"}]}; NULL if the register cannot be read. */
json_t *app_campaign_list_json(struct app *a);
/* The campaign as JSON, with counts per state/office/channel as of `at`. */
json_t *app_campaign_json(struct app *a, const struct campaign *c, int64_t at);
void app_campaign_counts(struct app *a, const struct campaign *c, int64_t at, json_t *o);

#endif
