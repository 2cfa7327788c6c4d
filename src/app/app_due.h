/*
 * app_due.h: the use cases of due process (docs/due-process.md), shared by
 * the HTTP API and the command line.
 *
 * Each use case validates its input, reads the person's facts from the
 * store, asks the pure domain (domain/due.h, domain/protect.h) what they
 * mean, and writes the outcome through the store, audited. Where a decision
 * changes a summons (a deferment covering its purpose, an accepted excuse,
 * an appeal) it records the summons event through app_record_event, so
 * restrictions and the feed follow exactly as for any other event.
 * Nothing here speaks HTTP; nothing here decides a rule of law itself.
 *
 * Out-records are the caller's; on failure err names the field and the
 * result is MU_EINVAL (bad input), MU_ENOTFOUND, MU_ECONFLICT (the state
 * does not allow it, or a protection bars it), MU_EFORBIDDEN (four eyes)
 * or a storage error.
 */
#ifndef MU_APP_DUE_H
#define MU_APP_DUE_H

#include <jansson.h>

#include "app/app.h"
#include "domain/due.h"

/* A person with their office's zone and due-process facts (owned). */
struct due_view {
	struct person p;
	char zone[ZONE_MAX_LEN + 1];
	struct due_set *d;
};

/* Load person nid's record, zone and facts. MU_ENOTFOUND naming
 * national_id. Release with due_view_free. */
enum mu_err app_due_view(struct app *a, const char *nid, struct due_view *v,
			 struct mu_error *err) MU_MUSTCHECK;
void due_view_free(struct due_view *v);

/* The person a due-process record belongs to (any kind, by id), into *p.
 * MU_ENOTFOUND naming "id". */
enum mu_err app_due_owner(struct app *a, const char *id, struct person *p,
			  struct mu_error *err) MU_MUSTCHECK;

/* ---- fitness ---- */
struct fitness_req {
	const char *category;      /* A B V G D */
	const char *decided_on;    /* YYYY-MM-DD, not in the future */
	const char *reference;     /* the board's decision reference */
	const char *reexamine_on;  /* G only: YYYY-MM-DD, after decided_on */
};
/* Record a decision; the person's fitness follows it, and open summonses
 * whose purpose it bars are cancelled (their ids appended to cancelled, a
 * JSON array, which may be NULL). */
enum mu_err app_fitness_record(struct app *a, const char *nid,
			       const struct fitness_req *r,
			       const struct audit_ctx *ctx, struct fitness_rec *out,
			       json_t *cancelled, struct mu_error *err) MU_MUSTCHECK;

/* ---- deferments and exemptions ---- */
struct exemption_req {
	const char *kind;          /* deferment | exemption */
	const char *reason;        /* a reason of the profile for that kind */
	const char *document;      /* may be NULL */
	int64_t valid_until;       /* MU_T_NONE: open-ended; else after now */
};
/* Grant; open summonses whose purpose it bars are cancelled at once (ids
 * appended to cancelled, may be NULL). */
enum mu_err app_exemption_grant(struct app *a, const char *nid,
				const struct exemption_req *r,
				const struct audit_ctx *ctx, struct exemption_rec *out,
				json_t *cancelled, struct mu_error *err) MU_MUSTCHECK;
/* Revoke an active one with a written reason. */
enum mu_err app_exemption_revoke(struct app *a, const char *nid, const char *id,
				 const char *reason, const struct audit_ctx *ctx,
				 struct exemption_rec *out, struct mu_error *err) MU_MUSTCHECK;

/* ---- overrides (four eyes) ---- */
struct override_req {
	const char *national_id;
	const char *purpose;
	const char *reason;        /* written, at least DUE_MIN_WRITTEN bytes */
};
/* Request an override of the bars now in force on that purpose. */
enum mu_err app_override_request(struct app *a, const struct override_req *r,
				 const struct audit_ctx *ctx, struct override_rec *out,
				 struct mu_error *err) MU_MUSTCHECK;
/* Approve or reject (a second officer: never the requester). */
enum mu_err app_override_decide(struct app *a, const char *id, int approve,
				const char *note, const struct audit_ctx *ctx,
				struct override_rec *out, struct mu_error *err) MU_MUSTCHECK;

/*
 * The protection at issue (called by app_issue): MU_OK when person p may
 * be summoned for purpose pu now. When a bar applies and override_id is
 * NULL or does not cover it, the refusal is audited ("summons.refused")
 * and MU_ECONFLICT names the bar. When override_id covers every bar, the
 * override is claimed (approved -> used) and *claimed is set to 1: the
 * caller must then call app_override_settle with the new summons id, or
 * NULL if the issue failed.
 */
enum mu_err app_protect_issue(struct app *a, const struct person *p, int pu,
			      const char *override_id, const struct audit_ctx *ctx,
			      struct override_rec *ovr, int *claimed,
			      struct mu_error *err) MU_MUSTCHECK;
void app_override_settle(struct app *a, struct override_rec *ovr,
			 const char *summons_id, const struct audit_ctx *ctx);

/* Is person nid barred from purpose pu at `at` (for campaigns)? *barred,
 * and the first bar into *bar (may be NULL). */
enum mu_err app_due_barred(struct app *a, const char *nid, int pu, int64_t at,
			   int *barred, struct due_bar *bar) MU_MUSTCHECK;

/* ---- excuses ---- */
struct excuse_req {
	const char *reason;        /* an excuse reason of the profile */
	const char *document;      /* may be NULL */
	const char *note;          /* may be NULL */
};
enum mu_err app_excuse_file(struct app *a, const char *summons_id,
			    const struct excuse_req *r, const struct audit_ctx *ctx,
			    struct excuse_rec *out, struct mu_error *err) MU_MUSTCHECK;
/* Accept (records `excused`, with new_report_at or MU_T_NONE) or reject
 * (reason required). */
enum mu_err app_excuse_decide(struct app *a, const char *id, int accept,
			      const char *reason, int64_t new_report_at,
			      const struct audit_ctx *ctx, struct excuse_rec *out,
			      struct mu_error *err) MU_MUSTCHECK;

/* ---- appeals ---- */
struct appeal_req {
	const char *against;       /* summons | fitness */
	const char *subject_id;    /* the summons or the fitness decision */
	const char *grounds;
};
/* File (a summons appeal records `appealed`); out->id is the case number
 * and out->national_id the subject's person. */
enum mu_err app_appeal_file(struct app *a, const struct appeal_req *r,
			    const struct audit_ctx *ctx, struct appeal_rec *out,
			    struct mu_error *err) MU_MUSTCHECK;
/* The person an appeal would be about (for scope checks before filing). */
enum mu_err app_appeal_subject_owner(struct app *a, const struct appeal_req *r,
				     struct person *p, struct mu_error *err) MU_MUSTCHECK;
/* Decide: outcome "upheld" | "rejected", with the decision's reference.
 * Summons: records `appeal_decided`. Fitness, upheld: the decision is set
 * aside and the person's fitness follows. */
enum mu_err app_appeal_decide(struct app *a, const char *id, const char *outcome,
			      const char *reference, const struct audit_ctx *ctx,
			      struct appeal_rec *out, struct mu_error *err) MU_MUSTCHECK;

/* ---- corrections ---- */
struct correction_req {
	const char *field;         /* a correctable person column */
	const char *proposed_value;
	const char *evidence;      /* reference to the evidence */
};
/* File; the deadline is the profile's working days from now. */
enum mu_err app_correction_file(struct app *a, const char *nid,
				const struct correction_req *r,
				const struct audit_ctx *ctx, struct correction_rec *out,
				struct mu_error *err) MU_MUSTCHECK;
/* Accept (applies the change as a normal person update, with history) or
 * reject (reason required). */
enum mu_err app_correction_decide(struct app *a, const char *id, int accept,
				  const char *reason, const struct audit_ctx *ctx,
				  struct correction_rec *out, struct mu_error *err) MU_MUSTCHECK;

/* ---- JSON (app_due_json.c) ---- */

/* One record of any kind by id, as of `at`, with its explanation; *owner
 * gets the person. prefix ("OV-", "X-", "AP-", "C-", "E-", "F-") limits the
 * kind (NULL: any). MU_ENOTFOUND naming "id". */
enum mu_err app_due_record_json(struct app *a, const char *id, const char *prefix,
				int64_t at, struct person *owner, json_t **out,
				struct mu_error *err) MU_MUSTCHECK;
/* A person's fitness decisions or exemptions as of `at`: {"national_id",
 * "fitness":{...}|null, "decisions":[...]} / {"national_id","exemptions"}. */
enum mu_err app_fitness_json(struct app *a, const char *nid, int64_t at,
			     json_t **out, struct mu_error *err) MU_MUSTCHECK;
enum mu_err app_exemptions_json(struct app *a, const char *nid, int64_t at,
				json_t **out, struct mu_error *err) MU_MUSTCHECK;
/* Add due process to a status document (app_status): "fitness",
 * "fitness_history", "protections", "exemptions", "overrides", "excuses",
 * "appeals", "corrections", each with plain-language explanations. */
enum mu_err app_due_status(struct app *a, const char *nid, int64_t at,
			   json_t *status, struct mu_error *err) MU_MUSTCHECK;
/* Records as JSON (explanations as of `at`, dates local to zone). */
json_t *app_json_fitness(struct app *a, const struct fitness_rec *f, int64_t at,
			 const char *zone);
json_t *app_json_exemption(struct app *a, const struct exemption_rec *e,
			   int64_t at, const char *zone);
json_t *app_json_override(struct app *a, const struct override_rec *o,
			  int64_t at, const char *zone);
json_t *app_json_excuse(struct app *a, const struct excuse_rec *e, int64_t at,
			const char *zone);
json_t *app_json_appeal(struct app *a, const struct appeal_rec *r, int64_t at,
			const char *zone);
json_t *app_json_correction(struct app *a, const struct correction_rec *c,
			    int64_t at, const char *zone);

#endif
