/*
 * h_campaigns.c: call-up campaigns over HTTP: draft (admin), read (admin,
 * commissar), recompute (admin), approve and cancel (commissar, never the
 * creator), and the visible selection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_campaign.h"
#include "http/api.h"

#define CAMPAIGN_QUOTA_MAX 10000000
#define MEMBERS_PAGE_MAX 1000

static const char *str_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int bad(struct api_req *r, const char *field, const char *msg)
{
	api_fail(r, MU_EINVAL, field, "%s", msg);
	return -1;
}

static int date_field(struct api_req *r, json_t *crit, const char *key, char out[11])
{
	const char *v = str_of(crit, key);
	int y, m, d;
	char field[48];

	snprintf(field, sizeof(field), "criteria.%s", key);
	if (!v || mu_date_parse(v, &y, &m, &d) != MU_OK)
		return bad(r, field, "must be a real calendar date YYYY-MM-DD");
	snprintf(out, 11, "%s", v);
	return 0;
}

static int list_field(struct api_req *r, json_t *crit, const char *key, const json_t **out)
{
	json_t *v = json_object_get(crit, key), *x;
	char field[48];
	size_t i;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	snprintf(field, sizeof(field), "criteria.%s", key);
	if (!json_is_array(v) || !json_array_size(v))
		return bad(r, field, "must be a non-empty array of strings");
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return bad(r, field, "must be a non-empty array of strings");
	*out = v;
	return 0;
}

static int parse_times(struct api_req *r, json_t *b, struct campaign_req *q)
{
	const char *from = str_of(b, "report_from"), *to = str_of(b, "report_to");

	if (!from || mu_time_parse(from, &q->report_from) != MU_OK)
		return bad(r, "report_from", "report_from must be an RFC 3339 instant");
	if (!to || mu_time_parse(to, &q->report_to) != MU_OK)
		return bad(r, "report_to", "report_to must be an RFC 3339 instant");
	if (q->report_from <= r->now)
		return bad(r, "report_from", "report_from must lie in the future");
	if (q->report_to <= q->report_from)
		return bad(r, "report_to", "report_to must lie after report_from");
	return 0;
}

static int parse_criteria(struct api_req *r, json_t *crit, struct campaign_req *q)
{
	if (!json_is_object(crit))
		return bad(r, "criteria", "criteria must be an object with born_from and born_to");
	if (date_field(r, crit, "born_from", q->born_from) ||
	    date_field(r, crit, "born_to", q->born_to) ||
	    list_field(r, crit, "regions", &q->regions) ||
	    list_field(r, crit, "offices", &q->offices) ||
	    list_field(r, crit, "fitness", &q->fitness))
		return -1;
	if (strcmp(q->born_from, q->born_to) > 0)
		return bad(r, "criteria.born_to", "born_to must not precede born_from");
	q->sex = str_of(crit, "sex");
	if (q->sex && strcmp(q->sex, "M") && strcmp(q->sex, "F"))
		return bad(r, "criteria.sex", "sex must be M or F");
	return 0;
}

static int parse_req(struct api_req *r, json_t *b, struct campaign_req *q, char **crit_txt)
{
	json_t *quota = json_object_get(b, "quota");

	memset(q, 0, sizeof(*q));
	q->name = str_of(b, "name");
	q->legal_basis = str_of(b, "legal_basis");
	if (!q->name || !q->name[0] || strlen(q->name) > 150)
		return bad(r, "name", "name is required (at most 150 bytes)");
	if (!q->legal_basis)
		q->legal_basis = "";
	if (strlen(q->legal_basis) > 150)
		return bad(r, "legal_basis", "legal_basis is at most 150 bytes");
	q->purpose = purpose_parse(str_of(b, "purpose") ? str_of(b, "purpose") : "");
	if (q->purpose < 0)
		return bad(r, "purpose", "purpose must be one of medical_exam, "
			   "data_clarification, dispatch, training, mobilization");
	if (!json_is_integer(quota) || json_integer_value(quota) < 1 ||
	    json_integer_value(quota) > CAMPAIGN_QUOTA_MAX)
		return bad(r, "quota", "quota must be an integer 1..10000000");
	q->quota = json_integer_value(quota);
	if (parse_times(r, b, q) || parse_criteria(r, json_object_get(b, "criteria"), q))
		return -1;
	*crit_txt = json_dumps(json_object_get(b, "criteria"), JSON_COMPACT | JSON_SORT_KEYS);
	q->criteria_text = *crit_txt ? *crit_txt : "{}";
	if (strlen(q->criteria_text) >= sizeof(((struct campaign *)0)->criteria))
		return bad(r, "criteria", "criteria is too long");
	return 0;
}

void h_campaigns_create(struct api_req *r)
{
	struct campaign_req q;
	struct campaign c;
	struct mu_error e = {0};
	struct audit_ctx ctx = api_ctx(r, "draft campaign");
	json_t *b = api_body_object(r);
	char *crit = NULL;

	if (!b || parse_req(r, b, &q, &crit)) {
		free(crit);
		return;
	}
	if (app_campaign_draft(r->app, &q, &ctx, &c, &e)) {
		free(crit);
		api_problem(r, &e);
		return;
	}
	free(crit);
	api_json(r, 201, app_campaign_json(r->app, &c, r->now));
}

static int load(struct api_req *r, struct campaign *c)
{
	enum mu_err rc = store_campaign_get(r->app->st, r->params[0], c);

	if (rc == MU_OK)
		return 0;
	api_fail(r, rc, "id", rc == MU_ENOTFOUND ? "no campaign %.30s" : "cannot read %.30s",
		 r->params[0]);
	return -1;
}

void h_campaigns_get(struct api_req *r)
{
	struct campaign c;
	int64_t at;

	if (load(r, &c) || api_query_time(r, "at", &at))
		return;
	api_json(r, 200, app_campaign_json(r->app, &c, at));
}

void h_campaigns_list(struct api_req *r)
{
	struct campaign *v = NULL;
	size_t n = 0;
	json_t *arr;

	if (store_campaign_list(r->app->st, &v, &n) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot list campaigns");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", v[i].id,
			"name", v[i].name, "state", v[i].state, "selected", (json_int_t)v[i].selected,
			"issued", (json_int_t)v[i].issued));
	free(v);
	api_json(r, 200, json_pack("{s:o}", "campaigns", arr));
}

void h_campaigns_recompute(struct api_req *r)
{
	struct campaign c;
	struct campaign_req q;
	struct mu_error e = {0};
	struct audit_ctx ctx = api_ctx(r, "recompute campaign");
	json_t *b;
	char *crit = NULL;

	if (load(r, &c))
		return;
	b = json_pack("{s:s, s:s, s:s, s:I, s:o, s:s, s:s}", "name", c.name, "legal_basis",
		      c.legal_basis, "purpose", purpose_name(c.purpose), "quota",
		      (json_int_t)c.quota, "criteria", json_loads(c.criteria, 0, NULL),
		      "report_from", "", "report_to", "");
	if (!b) {
		api_fail(r, MU_EINTERNAL, NULL, "the stored criteria are unreadable");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.name = c.name;
	q.legal_basis = c.legal_basis;
	q.purpose = c.purpose;
	q.quota = c.quota;
	q.report_from = c.report_from;
	q.report_to = c.report_to;
	if (parse_criteria(r, json_object_get(b, "criteria"), &q)) {
		json_decref(b);
		return;
	}
	crit = json_dumps(json_object_get(b, "criteria"), JSON_COMPACT | JSON_SORT_KEYS);
	q.criteria_text = crit ? crit : "{}";
	if (app_campaign_recompute(r->app, &c, &q, &ctx, &e))
		api_problem(r, &e);
	else
		api_json(r, 200, app_campaign_json(r->app, &c, r->now));
	free(crit);
	json_decref(b);
}

void h_campaigns_approve(struct api_req *r)
{
	struct campaign c;
	struct mu_error e = {0};
	struct audit_ctx ctx = api_ctx(r, "approve campaign");
	json_t *report;

	if (load(r, &c))
		return;
	if (app_campaign_approve(r->app, &c, &ctx, &report, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 200, report);
}

void h_campaigns_cancel(struct api_req *r)
{
	struct campaign c;
	struct mu_error e = {0};
	struct audit_ctx ctx = api_ctx(r, "cancel campaign");
	json_t *b = api_body_object(r);
	const char *reason = b ? str_of(b, "reason") : NULL;
	size_t n = 0;

	if (!b || load(r, &c))
		return;
	if (!reason || !reason[0] || strlen(reason) > REASON_MAX_LEN) {
		api_fail(r, MU_EINVAL, "reason", "a written reason (at most %d bytes) is required",
			 REASON_MAX_LEN);
		return;
	}
	if (app_campaign_cancel(r->app, &c, reason, &ctx, &n, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 200, json_pack("{s:s, s:s, s:I}", "id", c.id, "state", "cancelled",
				   "summonses_cancelled", (json_int_t)n));
}

void h_campaigns_members(struct api_req *r)
{
	struct campaign c;
	struct campaign_member *m = NULL;
	size_t n = 0;
	long off = 0, lim = 100;
	const char *o = api_query(r, "offset"), *l = api_query(r, "limit");
	json_t *arr;

	if (load(r, &c))
		return;
	if (o)
		off = strtol(o, NULL, 10);
	if (l)
		lim = strtol(l, NULL, 10);
	if (off < 0 || lim < 1 || lim > MEMBERS_PAGE_MAX) {
		api_fail(r, MU_EINVAL, "limit", "offset must be >= 0 and limit 1..%d", MEMBERS_PAGE_MAX);
		return;
	}
	if (api_audit_read(r, "campaign.members", "", "campaign", c.id) ||
	    store_campaign_members(r->app->st, c.id, &m, &n) != MU_OK) {
		free(m);
		if (!r->responded)
			api_fail(r, MU_EIO, NULL, "cannot read the selection");
		return;
	}
	arr = json_array();
	for (size_t i = (size_t)off; i < n && i < (size_t)(off + lim); i++) {
		char at[MU_RFC3339_MAX];
		mu_time_format(m[i].report_at, at, sizeof(at));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "national_id",
			m[i].national_id, "office", m[i].office, "report_at", at,
			"summons_id", m[i].summons_id));
	}
	free(m);
	api_json(r, 200, json_pack("{s:I, s:o}", "total", (json_int_t)n, "members", arr));
}
