/*
 * h_channels.c: delivery channels over HTTP (docs/channels.md): opening
 * and closing portal accounts, the citizen opening a summons in the
 * built-in inbox (which records `viewed` once), and the external portal's
 * signed callback with placement and viewing evidence.
 *
 * The callback is a public route: it carries no bearer token and is
 * authenticated by HMAC-SHA256 over the raw body (notify/portal.h). It
 * must never answer with anything about the person.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_channels.h"
#include "http/api.h"
#include "notify/portal.h"

static const char *str_field(json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The person {id} in the caller's scope; answers 404 and returns -1 if not. */
static int person_in_scope(struct api_req *r, const char *nid)
{
	struct person p;

	if (store_person_get(r->app->st, nid, &p) == MU_OK && api_may_see_person(r, &p))
		return 0;
	api_fail(r, MU_ENOTFOUND, "id", "no person %.32s in your scope", nid);
	return -1;
}

static void account_answer(struct api_req *r, const char *nid, const char *provider)
{
	char t[MU_RFC3339_MAX];

	mu_time_format(r->now, t, sizeof(t));
	if (provider)
		api_json(r, 201, json_pack("{s:s, s:s, s:s}", "national_id", nid,
					   "provider", provider, "opened_at", t));
	else
		api_json(r, 200, json_pack("{s:s, s:s}", "national_id", nid, "closed_at", t));
}

static void account_set(struct api_req *r, const char *nid, const char *provider)
{
	struct mu_error e = {0};
	struct audit_ctx c = api_ctx(r, provider ? "open portal account"
						 : "close portal account");

	if (app_account_set(r->app, nid, provider, &c, &e)) {
		api_problem(r, &e);
		return;
	}
	account_answer(r, nid, provider);
}

void h_account_open(struct api_req *r)
{
	static const char *const known[] = {"provider", NULL};
	json_t *body = api_body_object(r);
	const char *provider = str_field(body, "provider");

	if (!body || api_only_keys(r, body, known) || person_in_scope(r, r->params[0]))
		return;
	if (!provider) {
		api_fail(r, MU_EINVAL, "provider", "provider (builtin or external) is required");
		return;
	}
	account_set(r, r->params[0], provider);
}

void h_account_close(struct api_req *r)
{
	if (person_in_scope(r, r->params[0]))
		return;
	account_set(r, r->params[0], NULL);
}

void h_me_account_open(struct api_req *r)
{
	const char *provider = r->body ? str_field(r->body, "provider") : NULL;

	if (provider && strcmp(provider, "builtin")) {
		api_fail(r, MU_EINVAL, "provider", "a citizen opens a builtin account only");
		return;
	}
	account_set(r, r->tok.person, "builtin");
}

/* The citizen's own summons {id}, or NULL after answering 404. */
static struct summons_rec *own_summons(struct api_req *r)
{
	struct summons_rec *rec = NULL;
	enum mu_err rc = store_summons_get(r->app->st, r->params[0], &rec);

	if (rc == MU_OK && !strcmp(rec->s.national_id, r->tok.person))
		return rec;
	summons_rec_free(rec);
	if (rc == MU_OK || rc == MU_ENOTFOUND)
		api_fail(r, MU_ENOTFOUND, "id", "you have no summons %.32s", r->params[0]);
	else
		api_fail(r, rc, NULL, "cannot read the register");
	return NULL;
}

void h_me_summons_get(struct api_req *r)
{
	struct summons_rec *rec = own_summons(r);
	struct audit_ctx c = api_ctx(r, "open summons in the inbox");
	struct mu_error e = {0};
	json_t *o;

	if (!rec)
		return;
	if (api_audit_read(r, "summons.read", rec->s.national_id, "summons", rec->s.id))
		goto out;
	if (app_inbox_opened(r->app, rec, &c, &e)) {
		api_problem(r, &e);
		goto out;
	}
	summons_rec_free(rec);
	if (!(rec = own_summons(r)))
		return;
	o = app_summons_json(r->app, rec, r->now);
	if (o)
		json_object_set_new(o, "channels", app_channels_json(r->app, rec));
	if (!o)
		api_fail(r, MU_EINTERNAL, NULL, "the summons cannot be evaluated");
	else
		api_json(r, 200, o);
out:
	summons_rec_free(rec);
}

/* Signature and freshness; answers and returns -1 when the callback is
 * not authentic (401) or not fresh (409 replayed). */
static int callback_authentic(struct api_req *r)
{
	const char *ts = api_header(r, "X-Muster-Timestamp");
	const char *sig = api_header(r, "X-Muster-Signature");
	char *end = NULL;
	long long t = ts ? strtoll(ts, &end, 10) : 0;

	if (!portal_configured()) {
		api_fail(r, MU_ENOTFOUND, NULL, "no external portal is configured");
		return -1;
	}
	if (!r->body_text || !ts || !*ts || *end ||
	    !portal_verify(ts, r->body_text, r->body_len, sig)) {
		api_fail(r, MU_EUNAUTH, "X-Muster-Signature",
			 "the callback's signature is missing or wrong");
		return -1;
	}
	if (t < r->now - PORTAL_SKEW_S || t > r->now + PORTAL_SKEW_S) {
		api_fail(r, MU_ECONFLICT, "X-Muster-Timestamp",
			 "replayed: the timestamp is more than %d s from now", PORTAL_SKEW_S);
		return -1;
	}
	return 0;
}

void h_portal_callback(struct api_req *r)
{
	struct audit_ctx c = api_ctx(r, "portal evidence");
	struct mu_error e = {0};
	const char *sid, *at_s;
	int64_t at;

	if (callback_authentic(r) || !api_body_object(r))
		return;
	sid = str_field(r->body, "summons_id");
	at_s = str_field(r->body, "at");
	if (!sid || !at_s || mu_time_parse(at_s, &at) != MU_OK) {
		api_fail(r, MU_EINVAL, "at", "summons_id and at (RFC 3339) are required");
		return;
	}
	c.role = "channel";
	if (app_portal_evidence(r->app, sid, str_field(r->body, "type"), at,
				str_field(r->body, "message_id"), &c, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 201, json_pack("{s:s, s:s}", "summons_id", sid, "recorded",
				   str_field(r->body, "type")));
}
