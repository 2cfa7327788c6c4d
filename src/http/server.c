/*
 * server.c: libmicrohttpd glue, request collection, limits, auth, the
 * access log, the scheduler thread and a graceful stop.
 *
 * libmicrohttpd calls the access handler several times per request. The
 * first call only sets *req_cls; later calls hand us the body in pieces; the
 * call with no upload data left is where we answer. Answering on the first
 * call would make libmicrohttpd close the connection after each response.
 */
#include "http/server.h"
#include "util/str.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/api.h"
#include "http/auth.h"
#include "http/ratelimit.h"
#include "http/router.h"
#include "notify/sender.h"

struct reqstate {
	struct api_req r;
	struct reqstate *next_waiter;
	char *body;
	size_t body_len;
	int too_big;
	int bad_uri;              /* the raw path encodes '/' or NUL */
	struct timespec t0;
	char pathbuf[API_URL_MAX + 1];
	char logpath[256];
};

struct server {
	struct app *app;
	const struct server_opts *opts;
	int64_t in_flight;        /* atomic */
	uint64_t next_rid;        /* atomic */
	pthread_mutex_t sched_mu;
	pthread_cond_t sched_cv;
	int sched_stop;
	/* long-poll waiters, woken by the feed or their deadline */
	pthread_mutex_t wait_mu;
	pthread_cond_t wait_cv;
	struct reqstate *waiters;
	uint64_t feed_gen;        /* atomic */
	int stopping;             /* atomic */
	struct api_counters ctr;  /* atomic fields */
	/* request states kept for reuse: a fresh one is a 2.5 KB allocation,
	 * and every allocation of that size made malloc consolidate its
	 * small free chunks (perf: about 5% of a check's instructions) */
	pthread_mutex_t rs_mu;
	struct reqstate *rs_free; /* linked through next_waiter */
	size_t rs_nfree;
};

/* Not under AddressSanitizer: a reused state would hide a use after free. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(MU_ASAN)
#define RS_KEEP 0
#else
#define RS_KEEP 256
#endif

static struct server *g_srv;

/* ---- responses -------------------------------------------------------- */

/* Is header name among the name, value pairs of extra (NULL: none)? */
static int has_header(const char *const *extra, const char *name)
{
	for (; extra && extra[0]; extra += 2)
		if (!strcasecmp(extra[0], name))
			return 1;
	return 0;
}

/* The headers of every response; a Cache-Control or Content-Security-Policy
 * in extra replaces the default (static pages, h_static.c). */
static void add_common_headers(struct MHD_Response *resp, const struct api_req *r,
			       const char *const *extra)
{
	MHD_add_response_header(resp, "X-Request-Id", r->rid);
	if (!has_header(extra, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (!has_header(extra, "Content-Security-Policy"))
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'none'; frame-ancestors 'none'");
	for (; extra && extra[0]; extra += 2)
		MHD_add_response_header(resp, extra[0], extra[1]);
}

static void respond_ex(struct api_req *r, unsigned status, const char *ctype,
		       char *data, size_t len, enum MHD_ResponseMemoryMode mode,
		       const char *const *extra)
{
	struct MHD_Response *resp;

	if (r->responded) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(data);
		return;
	}
	resp = MHD_create_response_from_buffer(len, data, mode);
	if (!resp)
		return;
	MHD_add_response_header(resp, "Content-Type", ctype);
	add_common_headers(resp, r, extra);
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"muster\"");
	if ((status == 401 || status == 429 || status == 503) && r->retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (status == 405 && r->allow && r->allow[0])
		MHD_add_response_header(resp, "Allow", r->allow);
	if (r->content_disposition)
		MHD_add_response_header(resp, "Content-Disposition", r->content_disposition);
	/* draining: end keep-alive connections, or a busy client would keep
	 * the server up until the drain times out */
	if (__atomic_load_n(&g_srv->stopping, __ATOMIC_SEQ_CST))
		MHD_add_response_header(resp, "Connection", "close");
	MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	__atomic_add_fetch(status >= 500 ? &g_srv->ctr.r5xx : status >= 400 ? &g_srv->ctr.r4xx
						       : &g_srv->ctr.r2xx, 1, __ATOMIC_RELAXED);
	if (status == 503)
		__atomic_add_fetch(&g_srv->ctr.r503, 1, __ATOMIC_RELAXED);
	r->responded = 1;
	r->status = status;
	r->resp_bytes = len;
}

static void respond(struct api_req *r, unsigned status, const char *ctype,
		    char *data, size_t len, enum MHD_ResponseMemoryMode mode)
{
	respond_ex(r, status, ctype, data, len, mode, NULL);
}

void api_json(struct api_req *r, unsigned status, json_t *body)
{
	char *txt = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!txt) {
		respond(r, 500, "application/json", (char *)"{}", 2, MHD_RESPMEM_PERSISTENT);
		return;
	}
	respond(r, status, "application/json", txt, strlen(txt), MHD_RESPMEM_MUST_FREE);
}

void api_raw(struct api_req *r, unsigned status, const char *ctype,
	     const void *data, size_t size)
{
	respond(r, status, ctype, (char *)data, size, MHD_RESPMEM_MUST_COPY);
}

void api_raw_headers(struct api_req *r, unsigned status, const char *ctype,
		     const void *data, size_t size, const char *const *headers)
{
	respond_ex(r, status, ctype, (char *)data, size, MHD_RESPMEM_MUST_COPY, headers);
}

static unsigned status_of(enum mu_err code)
{
	switch (code) {
	case MU_OK: return 200;
	case MU_EINVAL: return 400;
	case MU_ENOTFOUND: return 404;
	case MU_ECONFLICT: return 409;
	case MU_EUNAUTH: return 401;
	case MU_EFORBIDDEN: return 403;
	case MU_ETOOBIG: return 413;
	case MU_EBUSY: return 503;
	case MU_EIO:
	case MU_ENOMEM:
	case MU_EINTERNAL: return 500;
	case MU_ELIMIT: return 429;
	}
	return 500;
}

static const char *title_of(unsigned status)
{
	switch (status) {
	case 400: return "Bad request";
	case 401: return "Authentication required";
	case 403: return "Forbidden";
	case 404: return "Not found";
	case 405: return "Method not allowed";
	case 409: return "Conflict";
	case 413: return "Content too large";
	case 414: return "URI too long";
	case 431: return "Request header fields too large";
	case 429: return "Too many requests";
	case 503: return "Service unavailable";
	default: return "Internal error";
	}
}

static void problem(struct api_req *r, unsigned status, const char *name,
		    const char *field, const char *detail)
{
	char type[96];
	json_t *o;

	snprintf(type, sizeof(type), "https://muster.example/problems/%s", name);
	o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title",
		      title_of(status), "status", (int)status, "detail", detail,
		      "request_id", r->rid);
	if (field && field[0])
		json_object_set_new(o, "field", json_string(field));
	{
		char *txt = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (txt)
			respond(r, status, "application/problem+json", txt,
				strlen(txt), MHD_RESPMEM_MUST_FREE);
	}
}

void api_problem(struct api_req *r, const struct mu_error *err)
{
	/* a failure reported without its code is still a failure */
	unsigned status = status_of(err->code ? err->code : MU_EINTERNAL);
	const char *detail = err->detail[0] ? err->detail : title_of(status);

	if (status == 500)
		fprintf(stderr, "muster: %s: %s %s failed: %s: %s\n", r->rid,
			r->method, r->path, mu_err_name(err->code), err->detail);
	problem(r, status, mu_err_name(err->code ? err->code : MU_EINTERNAL),
		err->field, detail);
}

void api_fail(struct api_req *r, enum mu_err code, const char *field,
	      const char *fmt, ...)
{
	struct mu_error e = {.code = code};
	va_list ap;

	snprintf(e.field, sizeof(e.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e.detail, sizeof(e.detail), fmt, ap);
	va_end(ap);
	api_problem(r, &e);
}

/* ---- request helpers --------------------------------------------------- */

int api_client_addr(struct api_req *r, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	buf[0] = 0;
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)size);
	return buf[0] ? 0 : -1;
}

const char *api_query(struct api_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *api_header(struct api_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

int api_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	if (!s)
		return 0;
	if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' && lo < 0 &&
						isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum mu_err api_query_time(struct api_req *r, const char *key, int64_t *out)
{
	const char *v = api_query(r, key);

	char buf[64];
	size_t n;

	*out = r->now;
	if (!v || !v[0])
		return MU_OK;
	/* "?at=...T11:00:00+03:00" typed unencoded: the query string made the
	 * '+' a space; an instant has no space, so read it back as '+' */
	n = strlen(v);
	if (n >= 7 && n < sizeof(buf) && v[n - 6] == ' ' && !strchr(v, '+')) {
		memcpy(buf, v, n + 1);
		buf[n - 6] = '+';
		v = buf;
	}
	if (mu_time_parse(v, out) != MU_OK) {
		api_fail(r, MU_EINVAL, key, "%s must be an RFC 3339 instant with an "
			 "offset, e.g. 2026-03-10T14:00:00Z", key);
		return MU_EINVAL;
	}
	return MU_OK;
}

struct audit_ctx api_ctx(struct api_req *r, const char *purpose)
{
	struct audit_ctx c = {
		.token_id = r->authed ? r->tok.id : "",
		.role = r->authed ? role_name(r->tok.role) : "anonymous",
		.office = r->authed ? r->tok.office : "",
		.request_id = r->rid,
		.purpose = purpose,
		.at = r->now,
	};
	return c;
}

int api_may_touch_summons(const struct api_req *r, const struct summons *s)
{
	return !(r->tok.role == ROLE_CLERK && r->tok.office[0] &&
		 strcmp(r->tok.office, s->office) != 0);
}

int api_may_see_person(const struct api_req *r, const struct person *p)
{
	if (!r->authed)
		return 0;
	switch (r->tok.role) {
	case ROLE_CLERK:
		return !r->tok.office[0] || strcmp(r->tok.office, p->office) == 0;
	case ROLE_CITIZEN:
		return strcmp(r->tok.person, p->national_id) == 0;
	case ROLE_AGENCY:
		return 0;
	default:
		return 1;
	}
}

int api_audit_read(struct api_req *r, const char *action, const char *nid,
		   const char *stype, const char *sid)
{
	return api_audit_reads(r, action, &nid, 1, stype, sid);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int api_audit_reads(struct api_req *r, const char *action, const char *const *nids,
		    size_t n, const char *subject_type, const char *subject_id)
{
	struct audit_ctx c = api_ctx(r, NULL);
	struct audit_entry one = {0}, *v = n > 1 ? malloc(n * sizeof(*v)) : &one;
	const char **ids = n > 1 ? malloc(n * sizeof(*ids)) : NULL;
	enum mu_err rc = MU_OK;
	size_t k = 0;

	if (!n)
		return 0;
	if (!v || (n > 1 && !ids)) {
		if (v != &one)
			free(v);
		free(ids);
		api_fail(r, MU_ENOMEM, NULL, "out of memory");
		return 1;
	}
	/* one record per person an answer, however often it names them */
	if (ids) {
		memcpy(ids, nids, n * sizeof(*ids));
		qsort(ids, n, sizeof(*ids), cmp_str);
		nids = ids;
	}
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(nids[i], nids[i - 1]))
			audit_entry_from_ctx(&v[k++], &c, action, subject_type,
					     subject_id ? subject_id : nids[i], nids[i]);
	rc = store_audit_read_many(r->app->st, v, k);
	if (rc == MU_ETOOBIG)
		rc = store_audit_append_many(r->app->st, v, k);
	if (v != &one)
		free(v);
	free(ids);
	if (rc != MU_OK) {
		api_fail(r, MU_EBUSY, NULL, "the audit queue is full; the read was "
			 "refused rather than left unaudited, retry shortly");
		return 1;
	}
	return 0;
}

/* Depth of JSON nesting, outside strings. */
static int json_too_deep(const char *s, size_t n)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > API_JSON_DEPTH_MAX)
				return 1;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

int api_only_keys(struct api_req *r, json_t *o, const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], key))
			i++;
		if (!known[i]) {
			api_fail(r, MU_EINVAL, key, "unknown field '%.40s'", key);
			return 1;
		}
	}
	return 0;
}

json_t *api_body_object(struct api_req *r)
{
	if (!r->body || !json_is_object(r->body)) {
		api_fail(r, MU_EINVAL, NULL, "the body must be a JSON object");
		return NULL;
	}
	return r->body;
}

/* ---- long-poll ---------------------------------------------------------- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void api_feed_mark(struct api_req *r)
{
	r->feed_gen_seen = __atomic_load_n(&g_srv->feed_gen, __ATOMIC_SEQ_CST);
}

int api_wait(struct api_req *r, int wait_ms)
{
	if (__atomic_load_n(&g_srv->stopping, __ATOMIC_SEQ_CST))
		return 1;
	if (!r->wait_deadline_ms)
		r->wait_deadline_ms = mono_ms() + wait_ms;
	else if (mono_ms() >= r->wait_deadline_ms)
		return 1;
	r->wait_requested = 1;
	return 0;
}

void api_counters_get(struct api_counters *c)
{
	c->requests = __atomic_load_n(&g_srv->ctr.requests, __ATOMIC_RELAXED);
	c->r2xx = __atomic_load_n(&g_srv->ctr.r2xx, __ATOMIC_RELAXED);
	c->r4xx = __atomic_load_n(&g_srv->ctr.r4xx, __ATOMIC_RELAXED);
	c->r5xx = __atomic_load_n(&g_srv->ctr.r5xx, __ATOMIC_RELAXED);
	c->r503 = __atomic_load_n(&g_srv->ctr.r503, __ATOMIC_RELAXED);
	c->waiting = __atomic_load_n(&g_srv->ctr.waiting, __ATOMIC_RELAXED);
}

static void feed_changed(void *ctx)
{
	struct server *s = ctx;

	__atomic_add_fetch(&s->feed_gen, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&s->wait_mu);
	pthread_cond_signal(&s->wait_cv);
	pthread_mutex_unlock(&s->wait_mu);
}

/* Park a request that asked to wait (called from the access handler). */
static void park(struct reqstate *rs)
{
	struct server *s = g_srv;

	rs->r.wait_requested = 0;
	MHD_suspend_connection(rs->r.conn);
	__atomic_add_fetch(&s->ctr.waiting, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&s->wait_mu);
	rs->next_waiter = s->waiters;
	s->waiters = rs;
	pthread_cond_signal(&s->wait_cv);
	pthread_mutex_unlock(&s->wait_mu);
}

/* Take the waiters that must wake now off the list (s->wait_mu held). */
static struct reqstate *due_waiters(struct server *s, int64_t now, int64_t *next)
{
	struct reqstate *due = NULL, **pp = &s->waiters;
	uint64_t gen = __atomic_load_n(&s->feed_gen, __ATOMIC_SEQ_CST);
	int stop = __atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST);

	*next = now + 1000;
	while (*pp) {
		struct reqstate *rs = *pp;
		if (stop || rs->r.feed_gen_seen != gen || rs->r.wait_deadline_ms <= now) {
			*pp = rs->next_waiter;
			rs->next_waiter = due;
			due = rs;
			continue;
		}
		if (rs->r.wait_deadline_ms < *next)
			*next = rs->r.wait_deadline_ms;
		pp = &rs->next_waiter;
	}
	return due;
}

static void *waker_main(void *arg)
{
	struct server *s = arg;

	pthread_mutex_lock(&s->wait_mu);
	for (;;) {
		int64_t next;
		struct reqstate *due = due_waiters(s, mono_ms(), &next);
		pthread_mutex_unlock(&s->wait_mu);
		for (struct reqstate *rs = due, *nx; rs; rs = nx) {
			nx = rs->next_waiter;
			__atomic_sub_fetch(&s->ctr.waiting, 1, __ATOMIC_RELAXED);
			MHD_resume_connection(rs->r.conn);
		}
		pthread_mutex_lock(&s->wait_mu);
		if (__atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST) == 2 && !s->waiters)
			break;
		if (!s->waiters || next > mono_ms()) {
			struct timespec ts;
			int64_t ms = s->waiters ? next - mono_ms() : 1000;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += ms / 1000;
			ts.tv_nsec += (ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->wait_cv, &s->wait_mu, &ts);
		}
	}
	pthread_mutex_unlock(&s->wait_mu);
	return NULL;
}

/* ---- dispatch ---------------------------------------------------------- */

static int parse_body(struct reqstate *rs)
{
	json_error_t je;
	struct api_req *r = &rs->r;
	const char *ct;

	if (!rs->body_len || r->body || r->raw_body)
		return 0;
	rs->body[rs->body_len] = 0; /* the buffer has room for it */
	r->body_text = rs->body;
	r->body_len = rs->body_len;
	ct = api_header(r, "Content-Type");
	if (ct && !strncmp(ct, "text/csv", 8)) {
		rs->body[rs->body_len] = 0; /* the buffer has room for it */
		r->raw_body = rs->body;
		return 0;
	}
	if (json_too_deep(rs->body, rs->body_len)) {
		api_fail(r, MU_EINVAL, NULL, "the JSON body nests deeper than %d levels",
			 API_JSON_DEPTH_MAX);
		return -1;
	}
	r->body = json_loadb(rs->body, rs->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!r->body) {
		api_fail(r, MU_EINVAL, NULL, "malformed JSON at line %d column %d: %s",
			 je.line, je.column, je.text);
		return -1;
	}
	return 0;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *value)
{
	size_t *n = cls;
	*n += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* Length of "?k=v&k=v" as libmicrohttpd parsed it (decoded, so at most
 * the length on the wire). */
static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	size_t *n = cls;
	*n += 1 + strlen(key) + (value ? 1 + strlen(value) : 0);
	return MHD_YES;
}

/* The URL limit covers the path and the query. */
static size_t url_length(struct api_req *r)
{
	size_t n = strlen(r->path);

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, count_arg, &n);
	return n;
}

static int check_limits(struct reqstate *rs)
{
	struct api_req *r = &rs->r;
	size_t hb = 0;

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &hb);
	if (hb > API_HEADER_MAX) {
		problem(r, 431, "too_large", NULL, "the request headers exceed 16 KiB");
		return -1;
	}
	if (rs->too_big) {
		problem(r, 413, "too_large", NULL, "the request body exceeds 1 MiB");
		return -1;
	}
	return 0;
}

static int set_clock(struct api_req *r)
{
	const char *h;
	int64_t t;

	r->now = mu_now();
	if (!r->app->test_clock || !(h = api_header(r, "Muster-Test-Now")))
		return 0;
	if (mu_time_parse(h, &t) != MU_OK) {
		api_fail(r, MU_EINVAL, "Muster-Test-Now",
			 "the Muster-Test-Now header must be an RFC 3339 instant");
		return -1;
	}
	r->now = t;
	r->now_from_header = 1;
	if (app_clock_seen(r->app, t)) {
		size_t n;
		/* The test clock moved on: materialise what fell due before
		 * answering, so a test sees time-driven changes at once. */
		if (app_reconcile_due(r->app, t, &n) != MU_OK)
			fprintf(stderr, "muster: %s: test clock reconcile failed\n", r->rid);
	}
	return 0;
}

/* Bad tokens from one address: 300 at once, then 5 a second. Past that a
 * bad token is still answered 401 (a web page signs out on 401; a good
 * token is checked first and answered as always), with Retry-After and a
 * detail saying so, and the log notes the address once a minute: someone
 * is guessing tokens, or a client keeps sending a revoked one. It signals
 * and records; it does not make guessing slower (a 256-bit token is not
 * guessed). */
static struct ratelimit bad_token_rl = RATELIMIT_INIT(300.0, 5.0);

/* 0, or the seconds a client sending bad tokens is asked to wait. */
static int bad_token_wait(struct api_req *r)
{
	char addr[48];
	uint64_t report;
	int wait;

	api_client_addr(r, addr, sizeof(addr));
	if (!(wait = ratelimit_take(&bad_token_rl, addr, &report)))
		return 0;
	if (report)
		fprintf(stderr, "muster: auth: %s keeps sending bad tokens: %llu past the limit"
			" since the last such note\n", addr, (unsigned long long)report);
	return wait;
}

static int authenticate(struct api_req *r, const struct route *rt)
{
	const char *h = api_header(r, "Authorization");

	/* an endpoint for anyone ignores the header: a health probe or a
	 * verification page opened with a stale token still answers */
	if (rt->roles == ROLES_ANYONE)
		return 0;
	if (auth_check(r->app->st, h, &r->tok) != MU_OK) {
		int wait = h ? bad_token_wait(r) : 0;
		if (wait) {
			r->retry_after = wait;
			api_fail(r, MU_EUNAUTH, NULL, "the token is malformed, unknown or revoked;"
				 " too many bad tokens from your address: try again in %d s", wait);
			return -1;
		}
		api_fail(r, MU_EUNAUTH, NULL, h ? "the token is malformed, unknown or revoked"
					       : "this endpoint needs an Authorization: Bearer token");
		return -1;
	}
	r->authed = 1;
	if (rt->roles != ROLES_ANYONE && !(rt->roles & ROLE_BIT(r->tok.role))) {
		api_fail(r, MU_EFORBIDDEN, NULL, "%s %s token may not %s %s",
			 strchr("aeiou", role_name(r->tok.role)[0]) ? "an" : "a",
			 role_name(r->tok.role), r->method, rt->pattern);
		return -1;
	}
	return 0;
}

static void dispatch(struct reqstate *rs)
{
	struct api_req *r = &rs->r;
	const struct route *rt;
	enum route_match m;

	if (check_limits(rs) || set_clock(r))
		return;
	/* HEAD is GET without the body (libmicrohttpd leaves the body out) */
	m = router_match(strcmp(r->method, "HEAD") ? r->method : "GET", r->path,
			 rs->pathbuf, sizeof(rs->pathbuf), &rt, r->params, &r->n_params);
	if (m == RM_NO_PATH) {
		api_fail(r, MU_ENOTFOUND, NULL, "no such endpoint: %.200s", r->path);
		return;
	}
	if (m == RM_NO_METHOD) {
		r->allow = router_allowed(r->path);
		problem(r, 405, "method_not_allowed", NULL, "method not allowed on this path");
		return;
	}
	if (authenticate(r, rt) || parse_body(rs))
		return;
	rt->handler(r);
	if (!r->responded && !r->wait_requested)
		api_fail(r, MU_EINTERNAL, NULL, "the handler gave no answer");
}

/* "r" and n in lower-case hex, as "r%llx" would (on every request). */
static void rid_format(char *buf, size_t size, unsigned long long n)
{
	char tmp[24];
	size_t k = sizeof(tmp) - 1;

	tmp[k] = '\0';
	do { /* 16 digits at most: k stays above 1 */
		tmp[--k] = "0123456789abcdef"[n & 15];
		n >>= 4;
	} while (n && k > 1);
	tmp[--k] = 'r';
	mu_copy(buf, size, tmp + k);
}

/* A request state with every field before pathbuf zeroed (pathbuf and
 * logpath are written before they are read). */
static struct reqstate *rs_get(void)
{
	struct reqstate *rs;

	pthread_mutex_lock(&g_srv->rs_mu);
	if ((rs = g_srv->rs_free)) {
		g_srv->rs_free = rs->next_waiter;
		g_srv->rs_nfree--;
	}
	pthread_mutex_unlock(&g_srv->rs_mu);
	if (!rs && !(rs = malloc(sizeof(*rs))))
		return NULL;
	memset(rs, 0, offsetof(struct reqstate, pathbuf));
	return rs;
}

static void rs_put(struct reqstate *rs)
{
	pthread_mutex_lock(&g_srv->rs_mu);
	if (g_srv->rs_nfree + 1 <= RS_KEEP) {
		rs->next_waiter = g_srv->rs_free;
		g_srv->rs_free = rs;
		g_srv->rs_nfree++;
		rs = NULL;
	}
	pthread_mutex_unlock(&g_srv->rs_mu);
	free(rs);
}

/*
 * libmicrohttpd hands on_request the path decoded: "%2F" is a '/' there,
 * which routes "RU-1%2Fstatus" to another endpoint, and "%00" ends the
 * string, so "RU-1%00x" reads RU-1. No id or route has either, so a raw
 * path that encodes one is refused (400) before routing. This callback sees
 * the raw request line; what it returns is the request's first *req_cls.
 */
static char bad_uri_mark;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	for (const char *p = uri; *p && *p != '?'; p++)
		if (p[0] == '%' && ((p[1] == '0' && p[2] == '0') ||
				    (p[1] == '2' && (p[2] == 'f' || p[2] == 'F'))))
			return &bad_uri_mark;
	return NULL;
}

/* The path for the access log: a decoded path may hold CR, LF, a space or a
 * terminal escape (anyone can send one, no token needed); written as
 * \xNN, so a line of the log is always one request and nothing else. */
static void log_safe(char *dst, size_t size, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p && o + 5 < size; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '\\') {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 15];
		} else {
			dst[o++] = (char)*p;
		}
	}
	dst[o] = 0;
}

/* A body declared too large to be read at all: over the limit from a
 * client that waits for "100 Continue" (it sends nothing more), or absurd
 * (over 64 MiB) from any client. A client that sends a body a little over
 * the limit without waiting gets its 413 after the body, read and dropped:
 * answering first would break its pipe mid-send. */
static int declared_too_big(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *ex = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_EXPECT);
	char *end;
	unsigned long long n;

	if (!cl || !*cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (errno == ERANGE)
		return 1;
	if (*end || n <= API_BODY_MAX)
		return 0;
	return (ex && !strcasecmp(ex, "100-continue")) || n > 64ull * 1024 * 1024;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_size, void **req_cls)
{
	struct reqstate *rs = *req_cls;
	int bad_uri = *req_cls == &bad_uri_mark;

	if (bad_uri || !rs) {
		rs = rs_get();
		if (!rs)
			return MHD_NO;
		rs->bad_uri = bad_uri;
		clock_gettime(CLOCK_MONOTONIC, &rs->t0);
		rs->r.app = g_srv->app;
		rs->r.conn = conn;
		rs->r.method = method;
		rs->r.path = url;
		log_safe(rs->logpath, sizeof(rs->logpath), url);
		rid_format(rs->r.rid, sizeof(rs->r.rid),
			   __atomic_add_fetch(&g_srv->next_rid, 1, __ATOMIC_RELAXED));
		__atomic_add_fetch(&g_srv->in_flight, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&g_srv->ctr.requests, 1, __ATOMIC_RELAXED);
		*req_cls = rs;
		/* a body declared too large is refused before it is read (and
		 * before "100 Continue"): no one streams 300 MB at the server */
		if (declared_too_big(conn)) {
			rs->too_big = 1;
			problem(&rs->r, 413, "too_large", NULL, "the request body exceeds 1 MiB");
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (rs->too_big || rs->body_len + *upload_size > API_BODY_MAX) {
			rs->too_big = 1;
		} else {
			char *nb = realloc(rs->body, rs->body_len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			rs->body = nb;
			memcpy(rs->body + rs->body_len, upload_data, *upload_size);
			rs->body_len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rs->r.responded)
		return MHD_YES;
	if (url_length(&rs->r) > API_URL_MAX)
		problem(&rs->r, 414, "too_large", NULL, "the URL exceeds 2048 bytes");
	else if (rs->bad_uri)
		problem(&rs->r, 400, "invalid", "path", "the path encodes '/' (%2F) or NUL"
			" (%00); no id has either");
	else
		dispatch(rs);
	store_reads_done(g_srv->app->st);
	if (!rs->r.responded && rs->r.wait_requested)
		park(rs);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct reqstate *rs = *req_cls;
	struct timespec t1;
	double ms;

	if (!rs || *req_cls == &bad_uri_mark)
		return;
	if (g_srv->opts->access_log) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - rs->t0.tv_sec) * 1e3 + (t1.tv_nsec - rs->t0.tv_nsec) / 1e6;
		fprintf(stderr, "%s %s %.200s %u %zu %.2fms %s\n", rs->r.rid, rs->r.method,
			rs->logpath, rs->r.status, rs->r.resp_bytes, ms,
			rs->r.authed ? rs->r.tok.id : "-");
	}
	json_decref(rs->r.body);
	free(rs->body);
	rs_put(rs);
	*req_cls = NULL;
	__atomic_sub_fetch(&g_srv->in_flight, 1, __ATOMIC_SEQ_CST);
}

/* ---- scheduler --------------------------------------------------------- */

static void *scheduler_main(void *arg)
{
	struct server *s = arg;
	struct timespec ts;
	size_t n;

	pthread_mutex_lock(&s->sched_mu);
	while (!s->sched_stop) {
		pthread_mutex_unlock(&s->sched_mu);
		store_reads_done(s->app->st);
		/* On the test clock, nothing falls due before the first instant
		 * a request brings: the wall clock is months ahead of a test's. */
		if (!app_clock_known(s->app))
			n = 0;
		else if (app_reconcile_due(s->app, app_now(s->app), &n) != MU_OK)
			fprintf(stderr, "muster: scheduler: reconcile failed, will retry\n");
		else if (n)
			fprintf(stderr, "muster: scheduler: %zu time-driven changes applied\n", n);
		pthread_mutex_lock(&s->sched_mu);
		if (s->sched_stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->sched_cv, &s->sched_mu, &ts);
	}
	pthread_mutex_unlock(&s->sched_mu);
	return NULL;
}

/* ---- start and stop ---------------------------------------------------- */

static enum mu_err parse_listen(const char *listen, struct sockaddr_in *sa,
				struct mu_error *err)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	long port;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return mu_fail(err, MU_EINVAL, "listen", "--listen must be HOST:PORT");
	memcpy(host, listen, colon - listen);
	host[colon - listen] = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || colon[1] == 0)
		return mu_fail(err, MU_EINVAL, "listen", "--listen port must be 0..65535");
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) != 1)
		return mu_fail(err, MU_EINVAL, "listen",
			       "--listen host must be an IPv4 address");
	sa->sin_port = htons((uint16_t)port);
	return MU_OK;
}

/* libmicrohttpd's own messages: one line each, in muster's format; while
 * the daemon starts they are held back (the caller's one line says why it
 * could not listen). */
static int mhd_quiet = 1;

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	if (__atomic_load_n(&mhd_quiet, __ATOMIC_RELAXED))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	fprintf(stderr, "muster: http: %s\n", msg);
}

static struct MHD_Daemon *start_daemon(struct sockaddr_in *sa, unsigned threads)
{
	return MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME,
		ntohs(sa->sin_port), NULL, NULL, on_request, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(API_HEADER_MAX + 8192),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
		/* one address cannot hold every connection (behind a reverse
		 * proxy all share its address: keep its pool below this) */
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)1024,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
		MHD_OPTION_END);
}

static void drain(struct server *s)
{
	int waited = 0;

	/* No MHD_quiesce_daemon(): with epoll and a thread pool it races the
	 * workers' own removal of the listening socket from their epoll sets,
	 * and libmicrohttpd 0.9.75 aborts the process when it loses ("Failed
	 * to remove listen FD from epoll set", seen in the e2e stress runs).
	 * Requests that arrive while draining are still answered, each with
	 * Connection: close, and MHD_stop_daemon() closes the socket. */
	__atomic_store_n(&s->stopping, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&s->wait_mu);
	pthread_cond_signal(&s->wait_cv);
	pthread_mutex_unlock(&s->wait_mu);
	while (__atomic_load_n(&s->in_flight, __ATOMIC_SEQ_CST) > 0 &&
	       waited < s->opts->drain_seconds * 100) {
		usleep(10000);
		waited++;
	}
}

static void print_listen(struct MHD_Daemon *d, const char *host)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	fprintf(stderr, "muster: listening on http://%s:%u\n", host,
		info ? info->port : 0);
}

enum mu_err server_run(struct app *a, const struct server_opts *o,
		       struct mu_error *err)
{
	struct server s = {.app = a, .opts = o};
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	pthread_t sched, waker;
	struct sender *snd = NULL;
	sigset_t set;
	int sig;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char host[INET_ADDRSTRLEN];
	enum mu_err rc = parse_listen(o->listen ? o->listen : "127.0.0.1:8080", &sa, err);

	if (rc)
		return rc;
	g_srv = &s;
	pthread_mutex_init(&s.rs_mu, NULL);
	pthread_mutex_init(&s.sched_mu, NULL);
	pthread_cond_init(&s.sched_cv, NULL);
	pthread_mutex_init(&s.wait_mu, NULL);
	pthread_cond_init(&s.wait_cv, NULL);
	a->on_feed_change = feed_changed;
	/* reset before server_run returns (see out:) */
	// cppcheck-suppress autoVariables
	a->feed_ctx = &s;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = start_daemon(&sa, o->threads ? o->threads : (unsigned)(ncpu > 0 ? ncpu : 2));
	if (!d) {
		rc = mu_fail(err, MU_EIO, "listen", "cannot listen on %s: %s",
			     o->listen ? o->listen : "127.0.0.1:8080", strerror(errno));
		goto out;
	}
	__atomic_store_n(&mhd_quiet, 0, __ATOMIC_RELAXED);
	if (a->test_clock)
		fprintf(stderr, "muster: WARNING: --test-clock is on: the Muster-Test-Now "
			"header sets the time. Never use this in production.\n");
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	print_listen(d, host);
	pthread_create(&sched, NULL, scheduler_main, &s);
	pthread_create(&waker, NULL, waker_main, &s);
	if (o->notify_url && o->notify_url[0]) {
		snd = sender_start(a, o->notify_url, o->notify_backoff_ms, o->notify_attempts);
		if (!snd)
			fprintf(stderr, "muster: cannot start the notice sender\n");
	}
	sigwait(&set, &sig);
	fprintf(stderr, "muster: %s received, draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	drain(&s);
	MHD_stop_daemon(d);
	pthread_mutex_lock(&s.wait_mu);
	__atomic_store_n(&s.stopping, 2, __ATOMIC_SEQ_CST);
	pthread_cond_signal(&s.wait_cv);
	pthread_mutex_unlock(&s.wait_mu);
	pthread_join(waker, NULL);
	pthread_mutex_lock(&s.sched_mu);
	s.sched_stop = 1;
	pthread_cond_signal(&s.sched_cv);
	pthread_mutex_unlock(&s.sched_mu);
	pthread_join(sched, NULL);
	sender_stop(snd);
	if (store_flush(a->st) != MU_OK)
		fprintf(stderr, "muster: could not flush the audit queue\n");
	fprintf(stderr, "muster: stopped\n");
out:
	a->on_feed_change = NULL;
	a->feed_ctx = NULL;
	pthread_cond_destroy(&s.wait_cv);
	pthread_mutex_destroy(&s.wait_mu);
	pthread_cond_destroy(&s.sched_cv);
	pthread_mutex_destroy(&s.sched_mu);
	while (s.rs_free) {
		struct reqstate *rs = s.rs_free;
		s.rs_free = rs->next_waiter;
		free(rs);
	}
	pthread_mutex_destroy(&s.rs_mu);
	g_srv = NULL;
	return rc;
}
