/*
 * router.c: the route table, one line a route, and the matcher.
 */
#include "http/router.h"

#include <string.h>

#define R(role) ROLE_BIT(ROLE_##role)

const struct route api_routes[] = {
	/* first: the agency checks are most of the traffic (bench/checks.sh) */
	{"GET", "/v1/checks/{kind}/{id}", h_checks_get, R(AGENCY)},
	{"GET", "/healthz", h_healthz, ROLES_ANYONE},
	{"POST", "/v1/offices", h_offices_create, R(ADMIN)},
	{"GET", "/v1/offices", h_offices_list, R(ADMIN) | R(CLERK) | R(COMMISSAR) | R(MEDICAL_BOARD)},
	{"POST", "/v1/persons", h_persons_create, R(ADMIN) | R(CLERK)},
	{"GET", "/v1/persons", h_persons_list, R(ADMIN) | R(CLERK)},
	{"GET", "/v1/persons/{id}", h_persons_get, R(ADMIN) | R(CLERK)},
	{"PATCH", "/v1/persons/{id}", h_persons_patch, R(ADMIN) | R(CLERK)},
	{"GET", "/v1/persons/{id}/history", h_persons_history, R(ADMIN) | R(CLERK)},
	{"POST", "/v1/persons/{id}/removal", h_persons_remove, R(ADMIN) | R(CLERK)},
	{"GET", "/v1/persons/{id}/status", h_persons_status, R(ADMIN) | R(CLERK) | R(CITIZEN)},
	{"POST", "/v1/summonses", h_summonses_create, R(CLERK)},
	{"GET", "/v1/summonses/{id}", h_summonses_get, R(CLERK)},
	{"POST", "/v1/summonses/{id}/events", h_summonses_event, R(CLERK) | R(CHANNEL)},
	{"GET", "/v1/me/status", h_me_status, R(CITIZEN)},
	{"GET", "/v1/me/access-log", h_me_access_log, R(CITIZEN)},
	{"GET", "/v1/me/summonses/{id}/receipt", h_me_summons_receipt, R(CITIZEN)},
	{"GET", "/v1/summonses/{id}/receipt", h_summons_receipt, R(CLERK)},
	{"GET", "/v1/audit/key", h_audit_key, ROLES_ANYONE},
	{"GET", "/v1/audit/head", h_audit_head, ROLES_ANYONE},
	{"GET", "/v1/audit/proof/inclusion", h_audit_inclusion, R(AUDITOR) | R(CITIZEN)},
	{"GET", "/v1/audit/proof/consistency", h_audit_consistency, R(AUDITOR) | R(CITIZEN)},
	{"GET", "/v1/audit/entries", h_audit_entries, R(AUDITOR)},
	{"POST", "/v1/checks/{kind}", h_checks_batch, R(AGENCY)},
	{"GET", "/v1/feed/restrictions", h_feed, R(AGENCY) | R(ADMIN)},
	{"POST", "/v1/feed/restrictions/ack", h_feed_ack, R(AGENCY)},
	{"GET", "/v1/feed/lag", h_feed_lag, R(ADMIN)},
	{"GET", "/metrics", h_metrics, R(ADMIN)},
	{"POST", "/v1/tokens", h_tokens_create, R(ADMIN)},
	{"GET", "/v1/tokens", h_tokens_list, R(ADMIN)},
	{"GET", "/v1/whoami", h_whoami, R(ADMIN) | R(CLERK) | R(COMMISSAR) | R(MEDICAL_BOARD) | R(AGENCY) | R(CITIZEN) | R(AUDITOR) | R(CHANNEL)},
	{"POST", "/v1/tokens/{id}/revoke", h_tokens_revoke, R(ADMIN)},
	{"POST", "/v1/campaigns", h_campaigns_create, R(ADMIN)},
	{"GET", "/v1/campaigns", h_campaigns_list, R(ADMIN) | R(COMMISSAR)},
	{"GET", "/v1/campaigns/{id}", h_campaigns_get, R(ADMIN) | R(COMMISSAR)},
	{"GET", "/v1/campaigns/{id}/members", h_campaigns_members, R(ADMIN) | R(COMMISSAR)},
	{"POST", "/v1/campaigns/{id}/recompute", h_campaigns_recompute, R(ADMIN)},
	{"POST", "/v1/campaigns/{id}/approve", h_campaigns_approve, R(COMMISSAR)},
	{"POST", "/v1/campaigns/{id}/cancel", h_campaigns_cancel, R(COMMISSAR)},
	/* due process (h_due.c, h_due_claims.c; docs/due-process.md) */
	{"POST", "/v1/persons/{id}/fitness", h_fitness_record, R(MEDICAL_BOARD)},
	{"GET", "/v1/persons/{id}/fitness", h_fitness_list, R(ADMIN) | R(CLERK) | R(COMMISSAR) | R(MEDICAL_BOARD)},
	{"POST", "/v1/persons/{id}/exemptions", h_exemptions_grant, R(CLERK) | R(MEDICAL_BOARD)},
	{"GET", "/v1/persons/{id}/exemptions", h_exemptions_list, R(ADMIN) | R(CLERK) | R(COMMISSAR) | R(MEDICAL_BOARD)},
	{"POST", "/v1/persons/{id}/exemptions/{eid}/revoke", h_exemptions_revoke, R(CLERK) | R(MEDICAL_BOARD)},
	{"POST", "/v1/overrides", h_overrides_request, R(CLERK) | R(COMMISSAR)},
	{"GET", "/v1/overrides", h_overrides_list, R(ADMIN) | R(COMMISSAR)},
	{"GET", "/v1/overrides/{id}", h_overrides_get, R(ADMIN) | R(CLERK) | R(COMMISSAR)},
	{"POST", "/v1/overrides/{id}/approve", h_overrides_approve, R(COMMISSAR)},
	{"POST", "/v1/overrides/{id}/reject", h_overrides_reject, R(COMMISSAR)},
	{"POST", "/v1/summonses/{id}/excuses", h_excuses_file, R(CLERK) | R(CITIZEN)},
	{"GET", "/v1/excuses/{id}", h_excuses_get, R(CLERK) | R(COMMISSAR) | R(CITIZEN)},
	{"POST", "/v1/excuses/{id}/decision", h_excuses_decide, R(CLERK)},
	{"POST", "/v1/appeals", h_appeals_file, R(CLERK) | R(CITIZEN)},
	{"GET", "/v1/appeals/{id}", h_appeals_get, R(CLERK) | R(COMMISSAR) | R(CITIZEN)},
	{"POST", "/v1/appeals/{id}/decision", h_appeals_decide, R(CLERK) | R(COMMISSAR)},
	{"POST", "/v1/persons/{id}/corrections", h_corrections_file, R(CLERK) | R(CITIZEN)},
	{"GET", "/v1/corrections/overdue", h_corrections_overdue, R(ADMIN) | R(COMMISSAR)},
	{"GET", "/v1/corrections/{id}", h_corrections_get, R(ADMIN) | R(CLERK) | R(COMMISSAR) | R(CITIZEN)},
	{"POST", "/v1/corrections/{id}/decision", h_corrections_decide, R(CLERK)},
	/* the web pages (h_static.c): public files, the API is their only door */
	{"GET", "/portal", h_static, ROLES_ANYONE},
	{"GET", "/portal/", h_static, ROLES_ANYONE},
	{"GET", "/portal/{file}", h_static, ROLES_ANYONE},
	{"GET", "/console", h_static, ROLES_ANYONE},
	{"GET", "/console/", h_static, ROLES_ANYONE},
	{"GET", "/console/{file}", h_static, ROLES_ANYONE},
	{"GET", "/verify", h_static, ROLES_ANYONE},
	{"GET", "/verify/", h_static, ROLES_ANYONE},
	{"GET", "/verify/{file}", h_static, ROLES_ANYONE},
	{"GET", "/assets/{file}", h_static, ROLES_ANYONE},
	{"GET", "/v1/verify/{code}", h_verify, ROLES_ANYONE},
	{"GET", "/v1/notices", h_notices_list, R(ADMIN) | R(CLERK)},
	{"GET", "/v1/offices/{id}/print-batch", h_print_batch, R(CLERK)},
	{"GET", "/v1/offices/{id}/print-batch/manifest", h_print_manifest, R(CLERK)},
	{"POST", "/v1/post/evidence", h_post_evidence, R(CLERK) | R(CHANNEL)},
	{"GET", "/v1/me/notices", h_me_notices, R(CITIZEN)},
	{"GET", "/v1/me/record", h_me_record, R(CITIZEN)},
	{"GET", "/v1/me/summonses", h_me_summonses, R(CITIZEN)},
	{"GET", "/v1/summonses/{id}/pdf", h_summonses_pdf, R(CLERK)},
	{"GET", "/v1/duplicates", h_duplicates_list, R(ADMIN) | R(CLERK)},
	{"POST", "/v1/duplicates/{id}/resolve", h_duplicates_resolve, R(ADMIN) | R(CLERK)},
	/* delivery channels (h_channels.c; docs/channels.md) */
	{"POST", "/v1/persons/{id}/account", h_account_open, R(ADMIN) | R(CLERK)},
	{"POST", "/v1/persons/{id}/account/close", h_account_close, R(ADMIN) | R(CLERK)},
	{"POST", "/v1/me/account", h_me_account_open, R(CITIZEN)},
	{"GET", "/v1/me/summonses/{id}", h_me_summons_get, R(CITIZEN)},
	{"POST", "/v1/channels/portal/callback", h_portal_callback, ROLES_ANYONE},
	{NULL, NULL, NULL, 0},
};

/* Match one pattern against the path in buf; params point into buf (the
 * caller terminates them on success). */
static int match_one(const char *pattern, const char *buf, const char **params,
		     size_t *n)
{
	const char *p = pattern, *s = buf;

	*n = 0;
	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		if (*p == '{') {
			const char *end = strchr(s, '/');
			if (end == s || !*s || *n >= API_PARAMS_MAX)
				return 0;
			params[(*n)++] = s;
			p = strchr(p, '}') + 1;
			s = end ? end : s + strlen(s);
			continue;
		}
		while (*p && *p != '/' && *p == *s) {
			p++;
			s++;
		}
		if ((*p && *p != '/') || (*s && *s != '/'))
			return 0;
	}
	return !*p && !*s;
}

enum route_match router_match(const char *method, const char *path, char *buf,
			      size_t bufsize, const struct route **out,
			      const char **params, size_t *n)
{
	enum route_match rm = RM_NO_PATH;
	size_t len = strlen(path);

	*out = NULL;
	if (len >= bufsize)
		return RM_NO_PATH;
	memcpy(buf, path, len + 1); /* match_one only reads it */
	for (const struct route *r = api_routes; r->method; r++) {
		if (!match_one(r->pattern, buf, params, n))
			continue;
		if (strcmp(r->method, method) != 0) {
			rm = RM_NO_METHOD;
			continue;
		}
		/* terminate the placeholders in buf */
		for (size_t i = 0; i < *n; i++) {
			char *slash = strchr(params[i], '/');
			if (slash)
				*slash = 0;
		}
		*out = r;
		return RM_FOUND;
	}
	return rm;
}

const char *router_allowed(const char *path)
{
	static _Thread_local char out[64];
	char buf[API_URL_MAX + 1];
	const char *params[API_PARAMS_MAX];
	size_t n, len = strlen(path);

	out[0] = 0;
	if (len >= sizeof(buf))
		return out;
	memcpy(buf, path, len + 1);
	for (const struct route *r = api_routes; r->method; r++) {
		if (!match_one(r->pattern, buf, params, &n) || strstr(out, r->method))
			continue;
		if (out[0])
			strncat(out, ", ", sizeof(out) - strlen(out) - 1);
		strncat(out, r->method, sizeof(out) - strlen(out) - 1);
	}
	return out;
}
