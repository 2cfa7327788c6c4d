/*
 * h_due_claims.c: due process over HTTP, part two: what a person files
 * (or a clerk for them) and an officer decides: excuses, appeals and
 * correction requests, and the overdue list for supervisors. A citizen
 * token reaches only its own person's records; an office-scoped clerk only
 * the persons of that office. Handlers decide nothing (app_due.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/h_due.h"

/* "decision": "accepted" | "rejected" into *accept; 400 otherwise. */
static int decision(struct api_req *r, json_t *body, int *accept)
{
	const char *d = hd_str(body, "decision");

	if (!d || (strcmp(d, "accepted") && strcmp(d, "rejected"))) {
		api_fail(r, MU_EINVAL, "decision", "decision must be accepted or rejected");
		return 1;
	}
	*accept = !strcmp(d, "accepted");
	return 0;
}

/* ---- excuses ---- */

void h_excuses_file(struct api_req *r)
{
	static const char *const known[] = {"reason", "document", "note", NULL};
	struct audit_ctx c = api_ctx(r, "report a valid reason for not appearing");
	struct summons_rec *s = NULL;
	struct excuse_req q;
	struct excuse_rec x;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known))
		return;
	if (store_summons_get(r->app->st, r->params[0], &s) != MU_OK ||
	    store_person_get(r->app->st, s->s.national_id, &p) != MU_OK ||
	    !api_may_see_person(r, &p)) {
		summons_rec_free(s);
		api_fail(r, MU_ENOTFOUND, "id", "no summons %.32s in your scope",
			 r->params[0]);
		return;
	}
	summons_rec_free(s);
	q = (struct excuse_req){hd_str(body, "reason"), hd_str(body, "document"),
				hd_str(body, "note")};
	if (app_excuse_file(r->app, r->params[0], &q, &c, &x, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 201, app_json_excuse(r->app, &x, r->now, zone));
}

void h_excuses_get(struct api_req *r)
{
	hd_record(r, "X-", "excuse.read");
}

void h_excuses_decide(struct api_req *r)
{
	static const char *const known[] = {"decision", "reason", "new_report_at", NULL};
	struct audit_ctx c = api_ctx(r, "decide on an excuse");
	struct excuse_rec x;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	int64_t nra;
	int accept;
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) || decision(r, body, &accept) ||
	    hd_time(r, body, "new_report_at", &nra) || hd_owner(r, r->params[0], &p))
		return;
	if (strncmp(r->params[0], "X-", 2)) {
		api_fail(r, MU_ENOTFOUND, "id", "no excuse %.32s", r->params[0]);
		return;
	}
	if (!accept && nra != MU_T_NONE) {
		api_fail(r, MU_EINVAL, "new_report_at", "a rejected excuse sets no new "
			 "report time");
		return;
	}
	if (app_excuse_decide(r->app, r->params[0], accept, hd_str(body, "reason"),
			      nra, &c, &x, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 200, app_json_excuse(r->app, &x, r->now, zone));
}

/* ---- appeals ---- */

void h_appeals_file(struct api_req *r)
{
	static const char *const known[] = {"against", "subject_id", "grounds", NULL};
	struct audit_ctx c = api_ctx(r, "lodge an appeal");
	struct appeal_req q;
	struct appeal_rec ap;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known))
		return;
	q = (struct appeal_req){hd_str(body, "against"), hd_str(body, "subject_id"),
				hd_str(body, "grounds")};
	/* an unknown subject and another person's get the same answer: a
	 * caller learns nothing about records outside their scope */
	if (app_appeal_subject_owner(r->app, &q, &p, &e) == MU_ENOTFOUND ||
	    (e.code == MU_OK && !api_may_see_person(r, &p))) {
		api_fail(r, MU_ENOTFOUND, "subject_id", "no %.16s %.32s in your scope",
			 q.against ? q.against : "record", q.subject_id ? q.subject_id : "");
		return;
	}
	if (e.code != MU_OK) {
		api_problem(r, &e);
		return;
	}
	if (app_appeal_file(r->app, &q, &c, &ap, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 201, app_json_appeal(r->app, &ap, r->now, zone));
}

void h_appeals_get(struct api_req *r)
{
	hd_record(r, "AP-", "appeal.read");
}

void h_appeals_decide(struct api_req *r)
{
	static const char *const known[] = {"outcome", "reference", NULL};
	struct audit_ctx c = api_ctx(r, "record an appeal decision");
	struct appeal_rec ap;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) || hd_owner(r, r->params[0], &p))
		return;
	if (strncmp(r->params[0], "AP-", 3)) {
		api_fail(r, MU_ENOTFOUND, "id", "no appeal %.32s", r->params[0]);
		return;
	}
	if (app_appeal_decide(r->app, r->params[0], hd_str(body, "outcome"),
			      hd_str(body, "reference"), &c, &ap, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 200, app_json_appeal(r->app, &ap, r->now, zone));
}

/* ---- corrections ---- */

void h_corrections_file(struct api_req *r)
{
	static const char *const known[] = {"field", "proposed_value", "evidence", NULL};
	struct audit_ctx c = api_ctx(r, "request a correction of personal data");
	struct correction_req q;
	struct correction_rec x;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) || hd_person(r, r->params[0], &p))
		return;
	q = (struct correction_req){hd_str(body, "field"), hd_str(body, "proposed_value"),
				    hd_str(body, "evidence")};
	if (app_correction_file(r->app, p.national_id, &q, &c, &x, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 201, app_json_correction(r->app, &x, r->now, zone));
}

void h_corrections_get(struct api_req *r)
{
	hd_record(r, "C-", "correction.read");
}

void h_corrections_decide(struct api_req *r)
{
	static const char *const known[] = {"decision", "reason", NULL};
	struct audit_ctx c = api_ctx(r, "decide on a correction request");
	struct correction_rec x;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	int accept;
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) || decision(r, body, &accept) ||
	    hd_owner(r, r->params[0], &p))
		return;
	if (strncmp(r->params[0], "C-", 2)) {
		api_fail(r, MU_ENOTFOUND, "id", "no correction request %.32s", r->params[0]);
		return;
	}
	if (app_correction_decide(r->app, r->params[0], accept, hd_str(body, "reason"),
				  &c, &x, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 200, app_json_correction(r->app, &x, r->now, zone));
}

void h_corrections_overdue(struct api_req *r)
{
	struct correction_rec *v = NULL;
	size_t n = 0;
	json_t *arr;
	int64_t at;
	char zone[ZONE_MAX_LEN + 1], t[MU_RFC3339_MAX];

	if (api_query_time(r, "at", &at))
		return;
	if (store_correction_overdue(r->app->st, at, &v, &n) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the correction requests");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (hd_audit_read(r, "correction.overdue", v[i].national_id, v[i].id)) {
			json_decref(arr);
			free(v);
			return;
		}
		hd_zone(r, v[i].national_id, zone, sizeof(zone));
		json_array_append_new(arr, app_json_correction(r->app, &v[i], at, zone));
	}
	free(v);
	mu_time_format(at, t, sizeof(t));
	api_json(r, 200, json_pack("{s:s, s:o}", "at", t, "corrections", arr));
}
