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

#define MEMBERS_PAGE_MAX 1000

void h_campaigns_create(struct api_req *r)
{
	struct campaign_req q;
	struct campaign c;
	struct mu_error e = {0};
	struct audit_ctx ctx = api_ctx(r, "draft campaign");
	json_t *b = api_body_object(r);
	char *crit = NULL;

	if (!b)
		return;
	if (app_campaign_parse(b, r->now, &q, &crit, &e) ||
	    app_campaign_draft(r->app, &q, &ctx, &c, &e)) {
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
	json_t *o = app_campaign_list_json(r->app);

	if (!o) {
		api_fail(r, MU_EIO, NULL, "cannot list campaigns");
		return;
	}
	api_json(r, 200, o);
}

void h_campaigns_recompute(struct api_req *r)
{
	struct campaign c;
	struct mu_error e = {0};
	struct audit_ctx ctx = api_ctx(r, "recompute campaign");

	if (load(r, &c))
		return;
	if (app_campaign_recompute(r->app, &c, &ctx, &e))
		api_problem(r, &e);
	else
		api_json(r, 200, app_campaign_json(r->app, &c, r->now));
}

void h_campaigns_approve(struct api_req *r)
{
	struct campaign c;
	struct mu_error e = {0};
	struct audit_ctx ctx = api_ctx(r, "approve campaign");
	static const char *const none[] = {NULL};
	json_t *report;

	/* nothing to send; a body, if any, is an object with no fields */
	if (r->body && (!api_body_object(r) || api_only_keys(r, r->body, none)))
		return;
	if (load(r, &c))
		return;
	if (app_campaign_approve(r->app, &c, &ctx, &report, NULL, &e)) {
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
	static const char *const known[] = {"reason", NULL};
	json_t *b = api_body_object(r);
	size_t n = 0;

	if (!b || api_only_keys(r, b, known) || load(r, &c))
		return;
	if (app_campaign_cancel(r->app, &c, json_string_value(json_object_get(b, "reason")),
				&ctx, &n, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 200, app_campaign_cancel_json(&c, n));
}

void h_campaigns_members(struct api_req *r)
{
	struct campaign c;
	struct campaign_member *m = NULL;
	size_t n = 0;
	int64_t total = 0;
	int64_t off = 0, lim = 100;
	const char *o = api_query(r, "offset"), *l = api_query(r, "limit");
	json_t *arr;

	if (load(r, &c))
		return;
	if (api_parse_int(o, 0, INT64_MAX, &off) || api_parse_int(l, 1, MEMBERS_PAGE_MAX, &lim)) {
		api_fail(r, MU_EINVAL, "limit", "offset must be >= 0 and limit 1..%d", MEMBERS_PAGE_MAX);
		return;
	}
	if (store_campaign_members(r->app->st, c.id, off, (size_t)lim, &m, &n, &total) != MU_OK) {
		free(m);
		api_fail(r, MU_EIO, NULL, "cannot read the selection");
		return;
	}
	/* each person on the page is told: "saw you in the list of a call-up
	 * campaign" in their access log */
	{
		const char **ids = malloc((n ? n : 1) * sizeof(*ids));
		int refused = !ids;
		for (size_t i = 0; ids && i < n; i++)
			ids[i] = m[i].national_id;
		if (!ids)
			api_fail(r, MU_ENOMEM, NULL, "out of memory");
		else
			refused = api_audit_reads(r, "campaign.members", ids, n, "campaign", c.id);
		free(ids);
		if (refused) {
			free(m);
			return;
		}
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char at[MU_RFC3339_MAX];
		mu_time_format(m[i].report_at, at, sizeof(at));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "national_id",
			m[i].national_id, "office", m[i].office, "report_at", at,
			"summons_id", m[i].summons_id));
	}
	free(m);
	api_json(r, 200, json_pack("{s:I, s:o}", "total", (json_int_t)total, "members", arr));
}
