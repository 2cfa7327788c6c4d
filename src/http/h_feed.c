/*
 * h_feed.c: the restriction feed for agencies (long-poll, acks, lag),
 * batch checks, and /metrics.
 *
 * The feed is the record of aggregated (person, kind) changes kept by
 * app_reconcile.c, in one total order of cursors that survive restarts (a
 * SQLite AUTOINCREMENT key). An agency token sees only its own kind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api.h"

#define FEED_LIMIT_MAX 1000
#define FEED_WAIT_MAX 60
#define CHECK_BATCH_MAX 1000

static json_t *time_json(int64_t t)
{
	char buf[MU_RFC3339_MAX];

	mu_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static int query_int(struct api_req *r, const char *key, int64_t lo, int64_t hi,
		     int64_t *out)
{
	const char *v = api_query(r, key);

	if (v && !*v) /* "?after=" is as if absent */
		v = NULL;
	if (api_parse_int(v, lo, hi, out)) {
		api_fail(r, MU_EINVAL, key, "%s must be an integer in %lld..%lld", key,
			 (long long)lo, (long long)hi);
		return -1;
	}
	return 0;
}

static json_t *change_json(const struct restr_change *c)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s}", "cursor", (json_int_t)c->cursor,
			 "national_id", c->national_id, "kind", restr_kind_name(c->kind),
			 "change", c->imposed ? "imposed" : "lifted", "at", time_json(c->at),
			 "reference", c->basis);
}

/* A feed page tells who is barred: each person on it gets one audit record
 * (their access log: the agency "received the changes of your restrictions
 * in its feed"). Nonzero when refused (503 answered). */
static int audit_page(struct api_req *r, const struct restr_change *v, size_t n,
		      const char *kind)
{
	const char **ids = malloc((n ? n : 1) * sizeof(*ids));
	int refused;

	if (!ids) {
		api_fail(r, MU_ENOMEM, NULL, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = v[i].national_id;
	refused = api_audit_reads(r, "feed.read", ids, n, "feed", kind ? kind : "all");
	free(ids);
	return refused;
}

void h_feed(struct api_req *r)
{
	int64_t after = 0, limit = 100, wait = 0, next;
	const char *kind = r->tok.role == ROLE_AGENCY ? r->tok.agency : api_query(r, "kind");
	struct restr_change *v;
	size_t n = 0;
	json_t *arr;

	if (query_int(r, "after", 0, INT64_MAX, &after) ||
	    query_int(r, "limit", 1, FEED_LIMIT_MAX, &limit) ||
	    query_int(r, "wait", 0, FEED_WAIT_MAX, &wait))
		return;
	if (kind && restr_kind_parse(kind) < 0) {
		api_fail(r, MU_EINVAL, "kind", "'%.40s' is not a restriction kind", kind);
		return;
	}
	v = calloc((size_t)limit, sizeof(*v));
	api_feed_mark(r);
	if (!v || store_feed_read_kind(r->app->st, after, kind, (size_t)limit, v, &n,
				       &next) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot read the feed");
		return;
	}
	/* Under --test-clock a request may name an instant earlier than one a
	 * request before it named, and the scheduler has already materialised
	 * changes up to that later one: the page ends before the first change
	 * dated after this request's instant, so the feed reads as it did
	 * then. (With the real clock no change is dated after now; a request
	 * without the header reads everything.) */
	if (r->now_from_header) {
		for (size_t i = 0; i < n; i++) {
			if (v[i].at > r->now) {
				next = i ? v[i - 1].cursor : after;
				n = i;
				break;
			}
		}
	}
	if (!n && wait > 0 && !api_wait(r, (int)(wait * 1000))) {
		free(v);
		return; /* called again when the feed grows or the wait ends */
	}
	if (audit_page(r, v, n, kind)) {
		free(v);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, change_json(&v[i]));
	free(v);
	api_json(r, 200, json_pack("{s:o, s:I}", "events", arr, "next", (json_int_t)next));
}

/* Is cursor 0 or at most the newest change? An ack beyond the feed's head
 * would mark changes that do not exist yet as applied and hide a stale bar
 * from /v1/feed/lag. -1 on a read error. */
static int cursor_exists(struct api_req *r, int64_t cursor)
{
	struct restr_change one;
	size_t n = 0;
	int64_t next;

	if (cursor == 0)
		return 1;
	if (store_feed_read_kind(r->app->st, cursor - 1, NULL, 1, &one, &n, &next) != MU_OK)
		return -1;
	return n == 1;
}

void h_feed_ack(struct api_req *r)
{
	static const char *const known[] = {"cursor", NULL};
	json_t *body = api_body_object(r), *c;
	int ok;

	if (!body || api_only_keys(r, body, known))
		return;
	c = json_object_get(body, "cursor");
	if (!json_is_integer(c) || json_integer_value(c) < 0) {
		api_fail(r, MU_EINVAL, "cursor", "cursor must be a non-negative integer "
			 "taken from the feed");
		return;
	}
	ok = cursor_exists(r, json_integer_value(c));
	if (ok <= 0) {
		api_fail(r, ok < 0 ? MU_EIO : MU_EINVAL, "cursor", ok < 0
			 ? "cannot read the feed" : "cursor %lld is beyond the newest change "
			 "in the feed", (long long)json_integer_value(c));
		return;
	}
	if (store_feed_ack(r->app->st, r->tok.id, r->tok.agency, json_integer_value(c),
			   r->now) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot record the acknowledgement");
		return;
	}
	api_json(r, 200, json_pack("{s:I}", "acked", (json_int_t)json_integer_value(c)));
}

void h_feed_lag(struct api_req *r)
{
	struct feed_lag *v = NULL;
	size_t n = 0;
	json_t *arr;

	if (store_feed_lags(r->app->st, &v, &n) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot read the feed positions");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "token_id", v[i].token_id,
				      "kind", v[i].kind, "label", v[i].label,
				      "acked_cursor", (json_int_t)v[i].acked,
				      "latest_cursor", (json_int_t)v[i].latest,
				      "behind", (json_int_t)v[i].behind);
		json_object_set_new(o, "acked_at", v[i].acked_at ? time_json(v[i].acked_at)
								 : json_null());
		json_object_set_new(o, "lag_seconds", v[i].behind && v[i].oldest_unacked_at
			? json_integer(r->now - v[i].oldest_unacked_at) : json_integer(0));
		json_array_append_new(arr, o);
	}
	free(v);
	api_json(r, 200, json_pack("{s:o}", "agencies", arr));
}

static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	MU_PRINTF(4, 5);
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		char *nb = realloc(*buf, *cap * 2 + (size_t)n);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = *cap * 2 + (size_t)n;
	}
}

void h_metrics(struct api_req *r)
{
	struct api_counters c;
	struct feed_lag *v = NULL;
	size_t n = 0, len = 0, cap = 4096;
	char *buf = malloc(cap);

	api_counters_get(&c);
	if (!buf || store_feed_lags(r->app->st, &v, &n) != MU_OK) {
		free(buf);
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot read the metrics");
		return;
	}
	buf[0] = 0;
	append(&buf, &len, &cap,
	       "# HELP muster_requests_total HTTP requests received.\n"
	       "# TYPE muster_requests_total counter\nmuster_requests_total %llu\n"
	       "# HELP muster_responses_total HTTP responses by class.\n"
	       "# TYPE muster_responses_total counter\n"
	       "muster_responses_total{class=\"2xx\"} %llu\n"
	       "muster_responses_total{class=\"4xx\"} %llu\n"
	       "muster_responses_total{class=\"5xx\"} %llu\n"
	       "# HELP muster_audit_refusals_total Reads refused because the audit queue was full.\n"
	       "# TYPE muster_audit_refusals_total counter\nmuster_audit_refusals_total %llu\n"
	       "# HELP muster_feed_waiting Long-poll requests waiting for the feed.\n"
	       "# TYPE muster_feed_waiting gauge\nmuster_feed_waiting %llu\n"
	       "# HELP muster_feed_lag_changes Feed changes an agency has not acknowledged.\n"
	       "# TYPE muster_feed_lag_changes gauge\n",
	       (unsigned long long)c.requests, (unsigned long long)c.r2xx,
	       (unsigned long long)c.r4xx, (unsigned long long)c.r5xx,
	       (unsigned long long)c.r503, (unsigned long long)c.waiting);
	for (size_t i = 0; i < n; i++)
		append(&buf, &len, &cap, "muster_feed_lag_changes{token=\"%s\",kind=\"%s\"} %lld\n",
		       v[i].token_id, v[i].kind, (long long)v[i].behind);
	append(&buf, &len, &cap, "# HELP muster_feed_lag_seconds Age of the oldest change an "
	       "agency has not acknowledged.\n# TYPE muster_feed_lag_seconds gauge\n");
	for (size_t i = 0; i < n; i++)
		append(&buf, &len, &cap, "muster_feed_lag_seconds{token=\"%s\",kind=\"%s\"} %lld\n",
		       v[i].token_id, v[i].kind,
		       (long long)(v[i].behind && v[i].oldest_unacked_at
				   ? r->now - v[i].oldest_unacked_at : 0));
	free(v);
	{
		struct check_index_stats ci;
		store_check_index_stats(r->app->st, &ci);
		append(&buf, &len, &cap,
		       "# HELP muster_check_index_enabled Agency checks are answered from memory.\n"
		       "# TYPE muster_check_index_enabled gauge\nmuster_check_index_enabled %d\n"
		       "# HELP muster_check_index_valid The index is exact for the register now.\n"
		       "# TYPE muster_check_index_valid gauge\nmuster_check_index_valid %d\n"
		       "# HELP muster_check_index_entries Persons with a restriction in force.\n"
		       "# TYPE muster_check_index_entries gauge\nmuster_check_index_entries %zu\n"
		       "# HELP muster_check_index_bytes Memory the index holds.\n"
		       "# TYPE muster_check_index_bytes gauge\nmuster_check_index_bytes %zu\n"
		       "# HELP muster_check_index_hits_total Checks answered from memory.\n"
		       "# TYPE muster_check_index_hits_total counter\n"
		       "muster_check_index_hits_total %llu\n"
		       "# HELP muster_check_index_misses_total Checks that read the register.\n"
		       "# TYPE muster_check_index_misses_total counter\n"
		       "muster_check_index_misses_total %llu\n"
		       "# HELP muster_check_index_rebuilds_total Loads of the index from the register.\n"
		       "# TYPE muster_check_index_rebuilds_total counter\n"
		       "muster_check_index_rebuilds_total %llu\n"
		       "# HELP muster_check_index_rebuild_seconds How long the last load took.\n"
		       "# TYPE muster_check_index_rebuild_seconds gauge\n"
		       "muster_check_index_rebuild_seconds %.3f\n",
		       ci.enabled, ci.valid, ci.entries, ci.bytes, (unsigned long long)ci.hits,
		       (unsigned long long)ci.misses, (unsigned long long)ci.rebuilds,
		       ci.rebuild_ms / 1000.0);
	}
	api_raw(r, 200, "text/plain; version=0.0.4", buf, len);
	free(buf);
}

void h_checks_batch(struct api_req *r)
{
	static const char *const known[] = {"national_ids", NULL};
	json_t *body = api_body_object(r), *ids, *res, *one;
	int kind = restr_kind_parse(r->params[0]);
	size_t i;

	if (!body || api_only_keys(r, body, known))
		return;
	if (kind < 0 || strcmp(r->tok.agency, r->params[0])) {
		api_fail(r, kind < 0 ? MU_EINVAL : MU_EFORBIDDEN, "kind", kind < 0
			 ? "not a check kind" : "your token answers %s checks only", r->tok.agency);
		return;
	}
	ids = json_object_get(body, "national_ids");
	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > CHECK_BATCH_MAX) {
		api_fail(r, MU_EINVAL, "national_ids", "national_ids must be an array of 1..%d ids",
			 CHECK_BATCH_MAX);
		return;
	}
	json_array_foreach(ids, i, one) {
		if (!json_is_string(one) || !person_id_valid(json_string_value(one))) {
			api_fail(r, MU_EINVAL, "national_ids", "national_ids[%zu] is not a valid "
				 "national id", i);
			return;
		}
	}
	res = json_array();
	json_array_foreach(ids, i, one) {
		struct check_answer a;
		json_t *o;
		if (api_check_one(r, kind, json_string_value(one), &a)) {
			json_decref(res);
			return;
		}
		o = json_pack("{s:b}", "permitted", a.permitted);
		if (!a.permitted) {
			json_object_set_new(o, "since", json_string(a.since));
			json_object_set_new(o, "reference", json_string(a.reference));
		}
		json_object_set_new(o, "national_id", json_string(json_string_value(one)));
		json_array_append_new(res, o);
	}
	api_json(r, 200, json_pack("{s:o}", "results", res));
}
