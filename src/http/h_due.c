/*
 * h_due.c: due process over HTTP, part one: fitness decisions of the
 * medical board, deferments and exemptions, and overrides (four eyes);
 * plus the helpers of h_due.h. Handlers parse and scope the request and
 * call app_due.h; they decide nothing. Reads of a person's records are
 * audited like every read of personal data; writes are audited by the
 * store in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/daycount.h"
#include "http/h_due.h"

/* ---- helpers (h_due.h) ---- */

const char *hd_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int hd_keys(struct api_req *r, json_t *o, const char *const *known)
{
	const char *key;
	json_t *v;

	if (api_only_keys(r, o, known))
		return 1;
	json_object_foreach(o, key, v) {
		if (!json_is_string(v) && !json_is_null(v)) {
			api_fail(r, MU_EINVAL, key, "%.40s must be a string", key);
			return 1;
		}
	}
	return 0;
}

int hd_time(struct api_req *r, json_t *o, const char *key, int64_t *out)
{
	const char *s = hd_str(o, key);

	*out = MU_T_NONE;
	if (!s)
		return 0;
	if (mu_time_parse(s, out) != MU_OK) {
		api_fail(r, MU_EINVAL, key, "%s must be an RFC 3339 instant with an "
			 "offset, e.g. 2026-06-30T00:00:00+03:00", key);
		return 1;
	}
	return 0;
}

int hd_person(struct api_req *r, const char *nid, struct person *p)
{
	enum mu_err rc = nid && person_id_valid(nid)
				 ? store_person_get(r->app->st, nid, p) : MU_ENOTFOUND;

	if (rc == MU_OK && api_may_see_person(r, p))
		return 0;
	if (rc == MU_OK || rc == MU_ENOTFOUND)
		api_fail(r, MU_ENOTFOUND, "national_id", "no person %.32s in your scope",
			 nid ? nid : "");
	else
		api_fail(r, rc, NULL, "cannot read the register");
	return 1;
}

int hd_owner(struct api_req *r, const char *id, struct person *p)
{
	struct mu_error e = {0};
	enum mu_err rc = app_due_owner(r->app, id, p, &e);

	if (rc == MU_OK && api_may_see_person(r, p))
		return 0;
	if (rc == MU_OK || rc == MU_ENOTFOUND)
		api_fail(r, MU_ENOTFOUND, "id", "no record %.32s in your scope", id);
	else
		api_problem(r, &e);
	return 1;
}

int hd_audit_read(struct api_req *r, const char *action, const char *nid,
		  const char *id)
{
	return api_audit_read(r, action, nid, "person", id ? id : nid);
}

void hd_record(struct api_req *r, const char *prefix, const char *action)
{
	struct person p;
	struct mu_error e = {0};
	json_t *o;
	int64_t at;

	if (api_query_time(r, "at", &at) || hd_owner(r, r->params[0], &p) ||
	    hd_audit_read(r, action, p.national_id, r->params[0]))
		return;
	if (app_due_record_json(r->app, r->params[0], prefix, at, &p, &o, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 200, o);
}

void hd_zone(struct api_req *r, const char *nid, char *zone, size_t size)
{
	struct person p;
	struct office o;

	snprintf(zone, size, "UTC");
	if (store_person_get(r->app->st, nid, &p) == MU_OK &&
	    store_office_get(r->app->st, p.office, &o) == MU_OK)
		snprintf(zone, size, "%s", o.timezone);
}

/* Answer 201 with a record and the summonses its grant cancelled. */
static void created(struct api_req *r, json_t *o, json_t *cancelled)
{
	json_object_set_new(o, "summonses_cancelled", cancelled);
	api_json(r, 201, o);
}

/* ---- fitness decisions ---- */

void h_fitness_record(struct api_req *r)
{
	static const char *const known[] = {"category", "decided_on", "reference",
					    "reexamine_on", NULL};
	struct audit_ctx c = api_ctx(r, "record a fitness decision");
	struct fitness_req q;
	struct fitness_rec f;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r), *cancelled;
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) || hd_person(r, r->params[0], &p))
		return;
	q = (struct fitness_req){hd_str(body, "category"), hd_str(body, "decided_on"),
				 hd_str(body, "reference"), hd_str(body, "reexamine_on")};
	cancelled = json_array();
	if (app_fitness_record(r->app, p.national_id, &q, &c, &f, cancelled, &e)) {
		json_decref(cancelled);
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	created(r, app_json_fitness(r->app, &f, r->now, zone), cancelled);
}

void h_fitness_list(struct api_req *r)
{
	struct person p;
	struct mu_error e = {0};
	json_t *o;
	int64_t at;

	if (api_query_time(r, "at", &at) || hd_person(r, r->params[0], &p) ||
	    hd_audit_read(r, "fitness.read", p.national_id, NULL))
		return;
	if (app_fitness_json(r->app, p.national_id, at, &o, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 200, o);
}

/* ---- deferments and exemptions ---- */

/* valid_until: an RFC 3339 instant, or a date: valid through that day,
 * office time (it ends at 00:00 of the next day). */
static int valid_until(struct api_req *r, json_t *body, const char *zone,
		       int64_t *out)
{
	const char *s = hd_str(body, "valid_until");
	int y, m, d;

	*out = MU_T_NONE;
	if (!s || strlen(s) != 10)
		return hd_time(r, body, "valid_until", out);
	if (mu_date_parse(s, &y, &m, &d) != MU_OK) {
		api_fail(r, MU_EINVAL, "valid_until", "valid_until must be a date "
			 "YYYY-MM-DD or an RFC 3339 instant");
		return 1;
	}
	mu_civil_from_days(mu_days_from_civil(y, m, d) + 1, &y, &m, &d);
	if (daycount_local_midnight(zone, y, m, d, out) != MU_OK) {
		api_fail(r, MU_EINVAL, "valid_until", "cannot place that date in the "
			 "office's time zone");
		return 1;
	}
	return 0;
}

void h_exemptions_grant(struct api_req *r)
{
	static const char *const known[] = {"kind", "reason", "valid_until",
					    "document", NULL};
	struct audit_ctx c = api_ctx(r, "grant a deferment or exemption");
	struct exemption_req q;
	struct exemption_rec x;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r), *cancelled;
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) || hd_person(r, r->params[0], &p))
		return;
	hd_zone(r, p.national_id, zone, sizeof(zone));
	q = (struct exemption_req){hd_str(body, "kind"), hd_str(body, "reason"),
				   hd_str(body, "document"), MU_T_NONE};
	if (valid_until(r, body, zone, &q.valid_until))
		return;
	cancelled = json_array();
	if (app_exemption_grant(r->app, p.national_id, &q, &c, &x, cancelled, &e)) {
		json_decref(cancelled);
		api_problem(r, &e);
		return;
	}
	created(r, app_json_exemption(r->app, &x, r->now, zone), cancelled);
}

void h_exemptions_list(struct api_req *r)
{
	struct person p;
	struct mu_error e = {0};
	json_t *o;
	int64_t at;

	if (api_query_time(r, "at", &at) || hd_person(r, r->params[0], &p) ||
	    hd_audit_read(r, "exemption.read", p.national_id, NULL))
		return;
	if (app_exemptions_json(r->app, p.national_id, at, &o, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 200, o);
}

void h_exemptions_revoke(struct api_req *r)
{
	static const char *const known[] = {"reason", NULL};
	struct audit_ctx c = api_ctx(r, "revoke a deferment or exemption");
	struct exemption_rec x;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) || hd_person(r, r->params[0], &p))
		return;
	if (app_exemption_revoke(r->app, p.national_id, r->params[1],
				 hd_str(body, "reason"), &c, &x, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 200, app_json_exemption(r->app, &x, r->now, zone));
}

/* ---- overrides ---- */

void h_overrides_request(struct api_req *r)
{
	static const char *const known[] = {"national_id", "purpose", "reason", NULL};
	struct audit_ctx c = api_ctx(r, "request an override of a protection");
	struct override_req q;
	struct override_rec o;
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	char zone[ZONE_MAX_LEN + 1];

	if (!body || hd_keys(r, body, known) ||
	    hd_person(r, hd_str(body, "national_id"), &p))
		return;
	q = (struct override_req){p.national_id, hd_str(body, "purpose"),
				  hd_str(body, "reason")};
	if (app_override_request(r->app, &q, &c, &o, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 201, app_json_override(r->app, &o, r->now, zone));
}

void h_overrides_get(struct api_req *r)
{
	hd_record(r, "OV-", "override.read");
}

void h_overrides_list(struct api_req *r)
{
	const char *s = api_query(r, "state");
	int st = due_state_parse(s ? s : "pending");
	struct override_rec *v = NULL;
	size_t n = 0;
	json_t *arr;
	char zone[ZONE_MAX_LEN + 1];

	if (st != DS_PENDING && st != DS_APPROVED && st != DS_REJECTED && st != DS_USED) {
		api_fail(r, MU_EINVAL, "state", "state must be pending, approved, "
			 "rejected or used");
		return;
	}
	if (store_override_list(r->app->st, st, &v, &n) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the overrides");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (hd_audit_read(r, "override.list", v[i].national_id, v[i].id)) {
			json_decref(arr);
			free(v);
			return;
		}
		hd_zone(r, v[i].national_id, zone, sizeof(zone));
		json_array_append_new(arr, app_json_override(r->app, &v[i], r->now, zone));
	}
	free(v);
	api_json(r, 200, json_pack("{s:s, s:o}", "state", due_state_name(st),
				   "overrides", arr));
}

static void override_decide(struct api_req *r, int approve)
{
	static const char *const known[] = {"note", NULL};
	struct audit_ctx c = api_ctx(r, approve ? "approve an override"
						: "reject an override");
	struct override_rec o;
	struct person p;
	struct mu_error e = {0};
	json_t *body = r->body ? api_body_object(r) : NULL;
	char zone[ZONE_MAX_LEN + 1];

	if ((r->body && (!body || hd_keys(r, body, known))) ||
	    hd_owner(r, r->params[0], &p))
		return;
	if (strncmp(r->params[0], "OV-", 3)) {
		api_fail(r, MU_ENOTFOUND, "id", "no override %.32s", r->params[0]);
		return;
	}
	if (app_override_decide(r->app, r->params[0], approve,
				body ? hd_str(body, "note") : NULL, &c, &o, &e)) {
		api_problem(r, &e);
		return;
	}
	hd_zone(r, p.national_id, zone, sizeof(zone));
	api_json(r, 200, app_json_override(r->app, &o, r->now, zone));
}

void h_overrides_approve(struct api_req *r)
{
	override_decide(r, 1);
}

void h_overrides_reject(struct api_req *r)
{
	override_decide(r, 0);
}
