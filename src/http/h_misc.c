/*
 * h_misc.c: agency checks, the restriction feed, the citizen's access log
 * and token administration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api.h"
#include "http/auth.h"
#include "util/str.h"

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
		  struct check_answer *out)
{
	struct audit_ctx c = api_ctx(r, NULL);
	struct audit_entry e;
	int64_t since;

	memset(out, 0, sizeof(*out));
	if (app_check(r->app, nid, kind, r->now, &out->permitted, &since, out->reference,
		      sizeof(out->reference)) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the register");
		return -1;
	}
	if (out->permitted) {
		out->reference[0] = '\0';
		mu_copy(out->json, sizeof(out->json), "{\"permitted\":true}");
	} else {
		mu_time_format(since, out->since, sizeof(out->since));
		snprintf(out->json, sizeof(out->json),
			 "{\"permitted\":false,\"since\":\"%s\",\"reference\":\"%s\"}",
			 out->since, out->reference);
	}
	audit_entry_from_ctx(&e, &c, "check", "person", nid, nid);
	mu_copy(e.purpose, sizeof(e.purpose), restr_kind_name(kind));
	/* The record holds the whole answer, exactly what the agency learned. */
	mu_copy(e.detail, sizeof(e.detail), out->json);
	if (store_audit_read(r->app->st, &e) != MU_OK) {
		api_fail(r, MU_EBUSY, NULL, "the audit queue is full; the check was refused "
			 "rather than left unaudited, retry shortly");
		return -1;
	}
	return 0;
}

void h_checks_get(struct api_req *r)
{
	int kind = restr_kind_parse(r->params[0]);
	const char *nid = r->params[1];
	struct check_answer a;

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
	/* the body straight from the answer: no JSON tree for 18 bytes */
	if (api_check_one(r, kind, nid, &a) == 0)
		api_raw(r, 200, "application/json", a.json, strlen(a.json));
}


/* The access log speaks plainly: who (role and office, never a name),
 * did what to the person's data, and why. */
static const struct {
	const char *role, *words;
} access_roles[] = {
	{"clerk", "A clerk"}, {"admin", "An administrator"},
	{"commissar", "A commissar"}, {"medical_board", "The medical board"},
	{"auditor", "An auditor"}, {"channel", "A delivery service"},
	{"citizen", "You"}, {"cli", "A register operator (command line)"},
	{"system", "The register itself"}, {"anonymous", "Someone without a token"},
};

static const struct {
	const char *action, *kind, *words;
} access_actions[] = {
	{"check", "read", "checked you"},
	{"person.read", "read", "looked at your record"},
	{"person.history", "read", "looked at the earlier versions of your record"},
	{"person.list", "read", "saw your record in a list of persons"},
	{"person.status", "read", "looked at your summonses and restrictions"},
	{"summons.read", "read", "looked at your summons"},
	{"summons.receipt", "read", "downloaded the audit receipt of your summons"},
	{"audit.read", "read", "read the audit log entries about you"},
	{"campaign.members", "read", "saw you in the list of a call-up campaign"},
	{"notice.list", "read", "looked at the notices sent to you"},
	{"feed.read", "read", "read the changes of your restrictions in the feed"},
	{"person.summonses", "read", "looked at your summonses"},
	{"person.provenance", "read", "looked at where each value of your record came from"},
	{"person.duplicates", "read", "looked at records that may be yours twice"},
	{"summons.print", "read", "printed your summons"},
	{"summons.manifest", "read", "listed your summons for the post"},
	{"fitness.read", "read", "looked at your fitness decisions"},
	{"exemption.read", "read", "looked at your deferments and exemptions"},
	{"override.read", "read", "looked at an override concerning you"},
	{"override.list", "read", "looked at the overrides concerning you"},
	{"excuse.read", "read", "looked at your excuse"},
	{"appeal.read", "read", "looked at your appeal"},
	{"correction.read", "read", "looked at your correction request"},
	{"correction.overdue", "read", "saw your correction request among the overdue ones"},
	{"person.create", "change", "entered you in the register"},
	{"person.update", "change", "changed your record"},
	{"summons.issue", "change", "issued a summons to you"},
	{"summons.event", "change", "recorded an event on your summons"},
	{"summons.refused", "change", "recorded that you refused to take the summons"},
	{"restrictions.reconcile", "change", "recomputed your restrictions"},
	{"account.open", "change", "opened your personal account for summonses"},
	{"account.close", "change", "closed your personal account for summonses"},
	{"fitness.record", "change", "recorded a fitness decision about you"},
	{"exemption.grant", "change", "granted you a deferment or exemption"},
	{"exemption.revoke", "change", "revoked your deferment or exemption"},
	{"override.request", "change", "asked a second officer to summon you despite a protection"},
	{"override.approve", "change", "approved summoning you despite a protection"},
	{"override.reject", "change", "refused to summon you despite a protection"},
	{"override.claim", "change", "used an approved override to summon you"},
	{"override.use", "change", "used an approved override to summon you"},
	{"override.release", "change", "gave back an override unused"},
	{"excuse.file", "change", "filed a valid reason for your absence"},
	{"excuse.accept", "change", "accepted your valid reason for not appearing"},
	{"excuse.reject", "change", "rejected your reason for not appearing"},
	{"appeal.file", "change", "filed an appeal"},
	{"appeal.decide", "change", "decided your appeal"},
	{"correction.file", "change", "asked for a correction of your record"},
	{"correction.accept", "change", "accepted your correction request"},
	{"correction.reject", "change", "rejected your correction request"},
	{"duplicate.resolve", "change", "decided whether another record in the register is also yours"},
	{"token.create", "change", "made you a sign-in token for the citizen portal"},
	{"token.revoke", "change", "revoked your sign-in token"},
	{"campaign.approve", "change", "approved a call-up campaign you are in"},
	{"campaign.cancel", "change", "cancelled a call-up campaign you were in"},
	{"import.batch", "change", "wrote your record from an agency's data file (an import)"},
};

static void access_who(const struct audit_entry *e, char *buf, size_t size)
{
	const char *words = NULL;

	for (size_t i = 0; i < sizeof(access_roles) / sizeof(access_roles[0]); i++)
		if (!strcmp(e->actor_role, access_roles[i].role))
			words = access_roles[i].words;
	if (words)
		snprintf(buf, size, "%s", words);
	else
		snprintf(buf, size, "Someone with the role %s", e->actor_role);
	if (e->actor_office[0])
		snprintf(buf + strlen(buf), size - strlen(buf), " of office %s",
			 e->actor_office);
}

/* "read" or "change", and what was done in words (the action name when
 * there are no words for it yet). */
static const char *access_what(const struct audit_entry *e, const char **words)
{
	*words = NULL;
	for (size_t i = 0; i < sizeof(access_actions) / sizeof(access_actions[0]); i++) {
		if (!strcmp(e->action, access_actions[i].action)) {
			*words = access_actions[i].words;
			return access_actions[i].kind;
		}
	}
	return strstr(e->action, ".read") || strstr(e->action, ".list") ? "read" : "change";
}

/* detail's string at key (the event type of summons.event), "" if none. */
static void detail_str(const struct audit_entry *e, const char *key, char *out,
		       size_t size)
{
	json_t *d = json_loads(e->detail, 0, NULL);
	const char *v = json_string_value(json_object_get(d, key));

	snprintf(out, size, "%s", v ? v : "");
	json_decref(d);
}

/* A sentence for the person about one audit entry. */
static void describe(const struct audit_entry *e, char *buf, size_t size)
{
	int k = restr_kind_parse(e->purpose);
	const char *words;
	char who[96], type[48];

	if (!strcmp(e->action, "check") && k >= 0) {
		snprintf(buf, size, "%s checked whether you may %s; answer: %s",
			 agency_name(k), restr_kind_phrase(k),
			 strstr(e->detail, "true") ? "permitted" : "not permitted");
		return;
	}
	if (!strcmp(e->action, "feed.read") && !strcmp(e->actor_role, "agency") &&
	    (k = restr_kind_parse(e->subject_id)) >= 0) {
		snprintf(buf, size, "%s received the changes of your restrictions on whether"
			 " you may %s, in its feed", agency_name(k), restr_kind_phrase(k));
		return;
	}
	access_who(e, who, sizeof(who));
	access_what(e, &words);
	detail_str(e, "type", type, sizeof(type));
	if (words)
		snprintf(buf, size, "%s %s", who, words);
	else
		snprintf(buf, size, "%s: %s", who, e->action);
	if (!strcmp(e->action, "summons.event") && type[0])
		snprintf(buf + strlen(buf), size - strlen(buf), " (%s)", type);
	if (e->purpose[0])
		snprintf(buf + strlen(buf), size - strlen(buf), ". Purpose: %s", e->purpose);
}

static json_t *access_entry(const struct audit_entry *e)
{
	const char *words;
	char text[400];
	json_t *o;

	describe(e, text, sizeof(text));
	o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s}", "index", (json_int_t)e->idx,
		      "at", time_json(e->at), "kind", access_what(e, &words), "action",
		      e->action, "actor_role", e->actor_role, "description", text);
	if (e->actor_office[0])
		json_object_set_new(o, "actor_office", json_string(e->actor_office));
	if (!strcmp(e->action, "check"))
		json_object_set_new(o, "agency_kind", json_string(e->purpose));
	else if (e->purpose[0])
		json_object_set_new(o, "purpose", json_string(e->purpose));
	return o;
}

/* The entries of the import batches that wrote the person's versions
 * (one entry per batch, naming no person), merged by index into v (n of
 * them, ascending); *more is set when a page's worth was cut. */
static enum mu_err merge_imports(struct api_req *r, int64_t after, struct audit_entry *v,
				 size_t *n, int *more)
{
	int64_t idx[ACCESS_LOG_MAX];
	struct audit_entry *m;
	unsigned char leaf[32];
	size_t ni = 0, i = 0, j = 0, k = 0;
	enum mu_err rc;

	if ((rc = store_person_import_audits(r->app->st, r->tok.person, after, idx,
					     ACCESS_LOG_MAX, &ni)) || !ni)
		return rc;
	if (!(m = calloc(ACCESS_LOG_MAX, sizeof(*m))))
		return MU_ENOMEM;
	while (k < ACCESS_LOG_MAX && (i < *n || j < ni)) {
		if (j < ni && (i >= *n || idx[j] < v[i].idx)) {
			if ((rc = store_audit_get(r->app->st, idx[j++], &m[k], leaf))) {
				free(m);
				return rc;
			}
			k++;
		} else {
			m[k++] = v[i++];
		}
	}
	*more |= i < *n || j < ni;
	memcpy(v, m, k * sizeof(*m));
	*n = k;
	free(m);
	return MU_OK;
}

void h_me_access_log(struct api_req *r)
{
	struct audit_filter f = {.person = r->tok.person, .limit = ACCESS_LOG_MAX};
	struct audit_entry *v = calloc(ACCESS_LOG_MAX, sizeof(*v));
	const char *after = api_query(r, "after");
	size_t n = 0;
	int more = 0, ok;
	json_t *arr;

	if (api_parse_int(after && *after ? after : NULL, 0, INT64_MAX, &f.after)) {
		free(v);
		api_fail(r, MU_EINVAL, "after", "after must be an index from an earlier page");
		return;
	}
	ok = v && store_flush(r->app->st) == MU_OK &&
	     store_audit_list(r->app->st, &f, v, ACCESS_LOG_MAX, &n) == MU_OK;
	if (ok) {
		more = n == ACCESS_LOG_MAX;
		ok = merge_imports(r, f.after, v, &n, &more) == MU_OK;
	}
	if (!ok) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot read the access log");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, access_entry(&v[i]));
	api_json(r, 200, json_pack("{s:o, s:o}", "entries", arr, "next",
				   more ? json_integer(v[n - 1].idx) : json_null()));
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
	static const char *const known[] = {"role", "office", "agency", "person", "label", NULL};
	json_t *body = api_body_object(r), *o;

	if (!body || api_only_keys(r, body, known) ||
	    copy_field(r, body, "role", role, sizeof(role)) ||
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

/* GET /v1/whoami: the caller's own token, as the token list shows it (its
 * public id, role and scope; never the secret), so a page can say who is
 * signed in and offer only what the role may do. */
void h_whoami(struct api_req *r)
{
	api_json(r, 200, token_json(&r->tok));
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
