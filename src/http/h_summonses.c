/*
 * h_summonses.c: issuing summonses, reading them, recording their events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_channels.h"
#include "http/api.h"

static const char *str_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Every key of o must be in known; answers 400 naming the first other. */
/* Parse an RFC 3339 field; MU_T_NONE when absent. Answers 400 when bad. */
static int time_field(struct api_req *r, json_t *o, const char *key, int required,
		      int64_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = MU_T_NONE;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		api_fail(r, MU_EINVAL, key, "%s is required", key);
		return 1;
	}
	if (!json_is_string(v) || mu_time_parse(json_string_value(v), out) != MU_OK) {
		api_fail(r, MU_EINVAL, key, "%s must be an RFC 3339 instant with an "
			 "offset, e.g. 2026-03-10T09:00:00+03:00", key);
		return 1;
	}
	return 0;
}

void h_summonses_create(struct api_req *r)
{
	static const char *const known[] = {"national_id", "office", "purpose",
					    "report_at", "override", "in_person", NULL};
	struct issue_req q = {0};
	struct summons s;
	struct person p;
	struct mu_error e = {0};
	struct audit_ctx c = api_ctx(r, "issue summons");
	enum mu_err found;
	json_t *body = api_body_object(r);

	if (!body || api_only_keys(r, body, known) ||
	    time_field(r, body, "report_at", 1, &q.report_at))
		return;
	q.national_id = str_field(body, "national_id");
	q.office = str_field(body, "office");
	q.purpose = str_field(body, "purpose");
	q.override_id = str_field(body, "override"); /* four eyes: app_due.h */
	if (json_object_get(body, "in_person") &&
	    !json_is_boolean(json_object_get(body, "in_person"))) {
		api_fail(r, MU_EINVAL, "in_person", "in_person must be true or false");
		return;
	}
	q.in_person = json_is_true(json_object_get(body, "in_person"));
	if (!q.purpose) {
		api_fail(r, MU_EINVAL, "purpose", "purpose is required");
		return;
	}
	/* out of scope, or (for a scoped token) not on the register at all:
	 * the same answer, so it tells nothing about other offices */
	found = q.national_id ? store_person_get(r->app->st, q.national_id, &p) : MU_EINVAL;
	if ((found == MU_OK && !api_may_see_person(r, &p)) ||
	    (found == MU_ENOTFOUND && r->tok.office[0])) {
		api_fail(r, MU_ENOTFOUND, "national_id", "no person %.32s in your scope",
			 q.national_id);
		return;
	}
	if (r->tok.office[0] && q.office && strcmp(q.office, r->tok.office)) {
		api_fail(r, MU_EFORBIDDEN, "office", "your token is scoped to office %s",
			 r->tok.office);
		return;
	}
	if (app_issue(r->app, &q, &c, &s, &e)) {
		api_problem(r, &e);
		return;
	}
	{
		struct summons_rec *rec = NULL;
		if (store_summons_get(r->app->st, s.id, &rec) != MU_OK) {
			api_fail(r, MU_EIO, NULL, "cannot read the summons back");
			return;
		}
		api_json(r, 201, app_summons_json(r->app, rec, r->now));
		summons_rec_free(rec);
	}
}

/* Load summons {id} in the caller's scope; answers and returns NULL if not. */
static struct summons_rec *load_summons(struct api_req *r)
{
	struct summons_rec *rec = NULL;
	enum mu_err rc = store_summons_get(r->app->st, r->params[0], &rec);

	if (rc == MU_OK && api_may_touch_summons(r, &rec->s))
		return rec;
	summons_rec_free(rec);
	if (rc == MU_OK || rc == MU_ENOTFOUND)
		api_fail(r, MU_ENOTFOUND, "id", "no summons %.32s in your scope", r->params[0]);
	else
		api_fail(r, rc, NULL, "cannot read the register");
	return NULL;
}

void h_summonses_get(struct api_req *r)
{
	struct summons_rec *rec = load_summons(r);
	int64_t at;
	json_t *o;

	if (!rec)
		return;
	if (api_query_time(r, "at", &at) ||
	    api_audit_read(r, "summons.read", rec->s.national_id, "summons", rec->s.id)) {
		summons_rec_free(rec);
		return;
	}
	o = app_summons_json(r->app, rec, at);
	if (o)
		json_object_set_new(o, "channels", app_channels_json(r->app, rec));
	summons_rec_free(rec);
	if (!o)
		api_fail(r, MU_EINTERNAL, NULL, "the summons cannot be evaluated");
	else
		api_json(r, 200, o);
}

static int parse_event(struct api_req *r, json_t *body, struct event_rec *ev)
{
	static const char *const known[] = {"type", "at", "new_report_at", "outcome",
					    "reference", NULL};
	const char *type = str_field(body, "type"), *oc = str_field(body, "outcome");
	const char *ref = str_field(body, "reference");
	int t = type ? ev_type_parse(type) : -1;

	memset(ev, 0, sizeof(*ev));
	if (api_only_keys(r, body, known))
		return 1;
	if (t < 0) {
		api_fail(r, MU_EINVAL, "type", "type '%.40s' is not a known event type",
			 type ? type : "");
		return 1;
	}
	ev->ev.type = t;
	if (time_field(r, body, "at", 1, &ev->ev.at) ||
	    time_field(r, body, "new_report_at", 0, &ev->ev.new_report_at))
		return 1;
	if (oc && strcmp(oc, "upheld") && strcmp(oc, "rejected")) {
		api_fail(r, MU_EINVAL, "outcome", "outcome must be upheld or rejected");
		return 1;
	}
	ev->ev.outcome = !oc ? AO_NONE : !strcmp(oc, "upheld") ? AO_UPHELD : AO_REJECTED;
	if (ref && strlen(ref) >= sizeof(ev->reference)) {
		api_fail(r, MU_EINVAL, "reference", "reference is longer than %zu bytes",
			 sizeof(ev->reference) - 1);
		return 1;
	}
	snprintf(ev->reference, sizeof(ev->reference), "%s", ref ? ref : "");
	return 0;
}

/* What a delivery channel (portal, post) may testify to. */
static int channel_may_record(enum ev_type t)
{
	return ev_is_delivery_evidence(t) && t != EV_HANDED;
}

void h_summonses_event(struct api_req *r)
{
	struct summons_rec *rec;
	struct event_rec ev;
	struct mu_error e = {0};
	struct audit_ctx c = api_ctx(r, "record summons event");
	json_t *body = api_body_object(r), *o;
	int64_t seq = 0;

	if (!body || parse_event(r, body, &ev))
		return;
	if (r->tok.role == ROLE_CHANNEL && !channel_may_record(ev.ev.type)) {
		api_fail(r, MU_EFORBIDDEN, "type", "a delivery channel records delivery evidence "
			 "only (placed_in_account, viewed, post_*), not %s",
			 ev_type_name(ev.ev.type));
		return;
	}
	if (!(rec = load_summons(r)))
		return;
	ev.ev.recorded_at = r->now;
	snprintf(ev.actor, sizeof(ev.actor), "%s", r->tok.id);
	snprintf(ev.actor_role, sizeof(ev.actor_role), "%s", role_name(r->tok.role));
	if (app_record_event(r->app, rec->s.id, &ev, &c, &seq, &e)) {
		summons_rec_free(rec);
		api_problem(r, &e);
		return;
	}
	summons_rec_free(rec);
	rec = NULL;
	if (store_summons_get(r->app->st, r->params[0], &rec) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the summons back");
		return;
	}
	o = app_summons_json(r->app, rec, r->now);
	json_object_set_new(o, "event_seq", json_integer(seq));
	summons_rec_free(rec);
	api_json(r, 201, o);
}
