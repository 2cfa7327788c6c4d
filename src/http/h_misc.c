/*
 * h_misc.c: agency checks, the restriction feed, the citizen's access log
 * and token administration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api.h"
#include "http/auth.h"

#define ACCESS_LOG_MAX 500

static json_t *time_json(int64_t t)
{
	char buf[MU_RFC3339_MAX];

	mu_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static const char *agency_name(enum restr_kind k)
{
	static const char *const names[RK__COUNT] = {
		"The border service", "A bank or credit organisation",
		"The real-estate registry", "The tax service (business registration)",
		"The traffic police (vehicle registration)", "The traffic police (driving)",
		"The passport office",
	};
	return (unsigned)k < RK__COUNT ? names[k] : "An agency";
}

int api_check_one(struct api_req *r, enum restr_kind kind, const char *nid,
		  json_t **out)
{
	char basis[SUMMONS_ID_MAX + 1] = "";
	struct audit_ctx c = api_ctx(r, NULL);
	struct audit_entry e;
	int64_t since;
	int permitted;

	*out = NULL;
	if (app_check(r->app, nid, kind, r->now, &permitted, &since, basis,
		      sizeof(basis)) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the register");
		return -1;
	}
	audit_entry_from_ctx(&e, &c, "check", "person", nid, nid);
	snprintf(e.purpose, sizeof(e.purpose), "%s", restr_kind_name(kind));
	snprintf(e.detail, sizeof(e.detail), "{\"permitted\":%s}",
		 permitted ? "true" : "false");
	if (store_audit_read(r->app->st, &e) != MU_OK) {
		api_fail(r, MU_EBUSY, NULL, "the audit queue is full; the check was refused "
			 "rather than left unaudited, retry shortly");
		return -1;
	}
	*out = json_pack("{s:b}", "permitted", permitted);
	if (!permitted) {
		json_object_set_new(*out, "since", time_json(since));
		json_object_set_new(*out, "reference", json_string(basis));
	}
	return 0;
}

void h_checks_get(struct api_req *r)
{
	int kind = restr_kind_parse(r->params[0]);
	const char *nid = r->params[1];
	json_t *o;

	if (kind < 0) {
		api_fail(r, MU_EINVAL, "kind", "'%.40s' is not a check kind", r->params[0]);
		return;
	}
	if (strcmp(r->tok.agency, r->params[0]) != 0) {
		api_fail(r, MU_EFORBIDDEN, "kind", "your token answers %s checks only",
			 r->tok.agency);
		return;
	}
	if (!person_id_valid(nid)) {
		api_fail(r, MU_EINVAL, "national_id",
			 "national_id must be 4-32 characters of A-Z, 0-9 and '-'");
		return;
	}
	if (api_check_one(r, kind, nid, &o) == 0)
		api_json(r, 200, o);
}

static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return 0;
	v = strtoll(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A sentence for the person about one audit entry. */
static void describe(const struct audit_entry *e, char *buf, size_t size)
{
	const char *who = e->actor_role;
	int k = restr_kind_parse(e->purpose);

	if (!strcmp(e->action, "check") && k >= 0) {
		snprintf(buf, size, "%s checked whether you may %s; answer: %s",
			 agency_name(k), restr_kind_phrase(k),
			 strstr(e->detail, "true") ? "permitted" : "not permitted");
		return;
	}
	if (!strcmp(who, "citizen")) {
		snprintf(buf, size, "You (%s)", e->action);
		return;
	}
	snprintf(buf, size, "A %s%s%s: %s", who, e->actor_office[0] ? " of office " : "",
		 e->actor_office, e->action);
}

void h_me_access_log(struct api_req *r)
{
	struct audit_filter f = {.person = r->tok.person, .limit = ACCESS_LOG_MAX};
	struct audit_entry *v = calloc(ACCESS_LOG_MAX, sizeof(*v));
	size_t n = 0;
	json_t *arr;
	char text[400];

	if (parse_i64(api_query(r, "after"), 0, INT64_MAX, &f.after)) {
		free(v);
		api_fail(r, MU_EINVAL, "after", "after must be an index from an earlier page");
		return;
	}
	if (!v || store_flush(r->app->st) != MU_OK ||
	    store_audit_list(r->app->st, &f, v, ACCESS_LOG_MAX, &n) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot read the access log");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		describe(&v[i], text, sizeof(text));
		json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s}", "index",
				      (json_int_t)v[i].idx, "at", time_json(v[i].at),
				      "action", v[i].action, "actor_role", v[i].actor_role,
				      "description", text);
		if (v[i].actor_office[0])
			json_object_set_new(o, "actor_office", json_string(v[i].actor_office));
		if (!strcmp(v[i].action, "check"))
			json_object_set_new(o, "agency_kind", json_string(v[i].purpose));
		json_array_append_new(arr, o);
	}
	api_json(r, 200, json_pack("{s:o, s:o}", "entries", arr, "next",
				   n == ACCESS_LOG_MAX ? json_integer(v[n - 1].idx) : json_null()));
	free(v);
}

static json_t *token_json(const struct token *t)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "id", t->id, "role", role_name(t->role),
			      "created_at", time_json(t->created_at));

	if (t->office[0])
		json_object_set_new(o, "office", json_string(t->office));
	if (t->agency[0])
		json_object_set_new(o, "agency", json_string(t->agency));
	if (t->person[0])
		json_object_set_new(o, "person", json_string(t->person));
	if (t->label[0])
		json_object_set_new(o, "label", json_string(t->label));
	json_object_set_new(o, "revoked", json_boolean(t->revoked_at != 0));
	return o;
}

static int copy_field(struct api_req *r, json_t *body, const char *key, char *dst,
		      size_t size)
{
	json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size) {
		api_fail(r, MU_EINVAL, key, "%s must be a string of at most %zu bytes",
			 key, size - 1);
		return 1;
	}
	snprintf(dst, size, "%s", json_string_value(v));
	return 0;
}

void h_tokens_create(struct api_req *r)
{
	struct token t = {0};
	char role[24] = "", secret[64];
	struct mu_error e = {0};
	struct audit_ctx c = api_ctx(r, "create token");
	json_t *body = api_body_object(r), *o;

	if (!body || copy_field(r, body, "role", role, sizeof(role)) ||
	    copy_field(r, body, "office", t.office, sizeof(t.office)) ||
	    copy_field(r, body, "agency", t.agency, sizeof(t.agency)) ||
	    copy_field(r, body, "person", t.person, sizeof(t.person)) ||
	    copy_field(r, body, "label", t.label, sizeof(t.label)))
		return;
	t.role = role_parse(role);
	if (auth_token_create(r->app->st, &t, r->now, &c, secret, sizeof(secret), &e)) {
		api_problem(r, &e);
		return;
	}
	o = token_json(&t);
	json_object_set_new(o, "token", json_string(secret));
	api_json(r, 201, o);
}

void h_tokens_list(struct api_req *r)
{
	struct token *v = NULL;
	size_t n = 0;
	json_t *arr;

	if (store_token_list(r->app->st, &v, &n) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot list tokens");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, token_json(&v[i]));
	free(v);
	api_json(r, 200, json_pack("{s:o}", "tokens", arr));
}

void h_tokens_revoke(struct api_req *r)
{
	struct audit_ctx c = api_ctx(r, "revoke token");
	enum mu_err rc = store_token_revoke(r->app->st, r->params[0], &c);

	auth_cache_clear();
	if (rc == MU_ENOTFOUND)
		api_fail(r, rc, "id", "no active token %.20s", r->params[0]);
	else if (rc)
		api_fail(r, rc, NULL, "cannot revoke the token");
	else
		api_json(r, 200, json_pack("{s:s, s:b}", "id", r->params[0], "revoked", 1));
}
