/*
 * api.h: what a request handler sees.
 *
 * The server (server.c) collects a request, authenticates it, finds its
 * route (router.c) and calls the handler with a struct api_req. The handler
 * answers exactly once, with api_json or api_problem, and returns. Handlers
 * never touch libmicrohttpd directly.
 */
#ifndef MU_API_H
#define MU_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "domain/model.h"
#include "print/summons_pdf.h"
#include "util/err.h"

/* Named limits: crossing one is a clean 413/414/431/400. */
#define API_BODY_MAX (1024 * 1024)      /* request body */
#define API_HEADER_MAX (16 * 1024)      /* all request headers together */
#define API_URL_MAX 2048                /* path and query */
#define API_JSON_DEPTH_MAX 16           /* nesting of a JSON body */
#define API_PARAMS_MAX 4                /* {placeholders} in a route */

struct MHD_Connection;

struct api_req {
	struct app *app;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;               /* without the query */
	char rid[24];                   /* request id */
	int64_t now;                    /* the request's instant */
	int now_from_header;            /* ... set by Muster-Test-Now (--test-clock) */
	int authed;                     /* a valid token came with it */
	struct token tok;               /* valid when authed */
	const char *params[API_PARAMS_MAX];
	size_t n_params;
	json_t *body;                   /* parsed JSON body, or NULL */
	const char *raw_body;           /* a text/csv body, NUL-terminated, or NULL */
	const char *body_text;          /* any body as received, NUL-terminated */
	size_t body_len;                /* its length (signed callbacks) */
	int responded;
	unsigned status;                /* for the access log */
	size_t resp_bytes;
	/* long-poll (api_wait) */
	int64_t wait_deadline_ms;       /* monotonic ms; 0 = not waiting */
	int wait_requested;
	uint64_t feed_gen_seen;
	int retry_after;                /* seconds, sent with 429/503 */
	const char *content_disposition; /* static string, or NULL */
	const char *allow;              /* methods for a 405 (static buffer) */
};

typedef void (*api_handler)(struct api_req *r);

/* Answer with status and a JSON value (stolen). */
void api_json(struct api_req *r, unsigned status, json_t *body);
/* Answer with RFC 9457 problem+json made from err (the one place that maps
 * mu_err to HTTP status). */
void api_problem(struct api_req *r, const struct mu_error *err);
/* Shorthand: build the error and answer. */
void api_fail(struct api_req *r, enum mu_err code, const char *field,
	      const char *fmt, ...) MU_PRINTF(4, 5);
/* Answer with raw bytes (copied). */
void api_raw(struct api_req *r, unsigned status, const char *content_type,
	     const void *data, size_t size);

/* Answer with raw bytes (copied) and extra response headers: name, value
 * pairs ending with a NULL name. A Cache-Control or Content-Security-Policy
 * among them replaces the server's default (static pages, h_static.c). */
void api_raw_headers(struct api_req *r, unsigned status, const char *content_type,
		     const void *data, size_t size, const char *const *headers);

/* Serve the web pages from directory dir instead of the copies embedded in
 * the binary (muster serve --web DIR, for development); NULL: embedded.
 * Call before the server starts; dir must outlive it. */
void api_web_dir(const char *dir);

/* The client's IP address as text into buf; -1 if unknown. */
int api_client_addr(struct api_req *r, char *buf, size_t size);

/* A query parameter, or NULL. */
const char *api_query(struct api_req *r, const char *key);
/* A request header, or NULL. */
const char *api_header(struct api_req *r, const char *key);
/* The instant in query parameter `key` (RFC 3339), or the request's now.
 * Returns MU_EINVAL (answered already) on a bad value. */
enum mu_err api_query_time(struct api_req *r, const char *key, int64_t *out) MU_MUSTCHECK;
/* A whole number in lo..hi written in decimal digits (a '-' first only
 * when lo < 0): 0 and *out set; s NULL (absent): 0, *out untouched;
 * anything else ("", a sign, a space, an overflow, trailing bytes): -1. */
int api_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out) MU_MUSTCHECK;

/* The audit context of this request. */
struct audit_ctx api_ctx(struct api_req *r, const char *purpose);

/* Scope: may the caller see/change person p? (office-scoped clerks: only
 * their office; citizens: only themselves). */
int api_may_see_person(const struct api_req *r, const struct person *p);
/* Answers 400 naming the first key of body object o not in known
 * (NULL-terminated) and returns nonzero; 0 when every key is known. */
int api_only_keys(struct api_req *r, json_t *o, const char *const *known);
/* Whether the caller may see and change summons s: a clerk scoped to an
 * office only that office's summonses. */
struct summons;
int api_may_touch_summons(const struct api_req *r, const struct summons *s);

/* Queue the audit record of a read of person nid's data. Answers 503 and
 * returns nonzero when the audit queue is full: the caller must stop. */
int api_audit_read(struct api_req *r, const char *action, const char *nid,
		   const char *subject_type, const char *subject_id);
/* The same for the n persons of one answer (a page of a list), all or
 * none, one record per person however often nids names them; subject_id
 * NULL means each person's own id. More than the queue's bound are
 * appended at once (a write) instead. */
int api_audit_reads(struct api_req *r, const char *action, const char *const *nids,
		    size_t n, const char *subject_type, const char *subject_id);

/* Long-poll. The handler has nothing to answer yet: returns 0 and the
 * server calls the handler again when the feed grows or wait_ms (from the
 * first call) have passed; the handler must return without answering.
 * Returns 1 when the handler must answer now (deadline passed, or the
 * server is stopping). Call api_feed_mark first, before reading. */
int api_wait(struct api_req *r, int wait_ms);
/* Note the feed generation before reading it (no lost wake-ups). */
void api_feed_mark(struct api_req *r);

/* Server counters for /metrics. */
struct api_counters {
	uint64_t requests, r2xx, r4xx, r5xx, r503, waiting;
};
void api_counters_get(struct api_counters *c);

/* The body as an object, or answer 400 and return NULL. */
json_t *api_body_object(struct api_req *r);

/* One agency check's answer: what the agency learns, as JSON text (the
 * response body and the audit record's detail, byte for byte) and as
 * fields for the batch. */
struct check_answer {
	int permitted;
	char since[MU_RFC3339_MAX];       /* "" when permitted */
	char reference[SUMMONS_ID_MAX + 1];
	char json[sizeof("{\"permitted\":false,\"since\":\"\",\"reference\":\"\"}") +
		  MU_RFC3339_MAX + SUMMONS_ID_MAX];
};

/* Answer one agency check into *out and queue its audit record. Returns -1
 * (having answered 503/500) when it cannot be audited or read. */
int api_check_one(struct api_req *r, enum restr_kind kind, const char *nid,
		  struct check_answer *out);

/* One printed page and the buffers its strings live in. */
struct print_page {
	struct person person;
	struct office office;
	char name[1300], when[64], zone[96], url[400], basis[200];
	struct summons_print sp;
};
/* Gather what the printed summons shows (h_verify.c); -1 if the person or
 * office is gone. */
int api_print_fill(struct app *a, const struct summons_rec *rec, struct print_page *pg);

/* Handlers (h_*.c). */
void h_healthz(struct api_req *r);
void h_offices_create(struct api_req *r);
void h_offices_list(struct api_req *r);
void h_persons_create(struct api_req *r);
void h_persons_list(struct api_req *r);
void h_persons_get(struct api_req *r);
void h_persons_patch(struct api_req *r);
void h_persons_history(struct api_req *r);
void h_persons_status(struct api_req *r);
void h_persons_remove(struct api_req *r);
void h_summonses_create(struct api_req *r);
void h_summonses_get(struct api_req *r);
void h_summonses_event(struct api_req *r);
void h_me_status(struct api_req *r);
void h_me_access_log(struct api_req *r);
void h_audit_key(struct api_req *r);
void h_audit_head(struct api_req *r);
void h_audit_inclusion(struct api_req *r);
void h_audit_consistency(struct api_req *r);
void h_audit_entries(struct api_req *r);
void h_summons_receipt(struct api_req *r);
void h_me_summons_receipt(struct api_req *r);
void h_checks_get(struct api_req *r);
void h_feed(struct api_req *r);
void h_feed_ack(struct api_req *r);
void h_feed_lag(struct api_req *r);
void h_metrics(struct api_req *r);
void h_checks_batch(struct api_req *r);
void h_verify(struct api_req *r);
void h_print_batch(struct api_req *r);
void h_print_manifest(struct api_req *r);
void h_post_evidence(struct api_req *r);
void h_notices_list(struct api_req *r);
void h_me_notices(struct api_req *r);
void h_me_summonses(struct api_req *r);
void h_me_record(struct api_req *r);
void h_summonses_pdf(struct api_req *r);
void h_campaigns_create(struct api_req *r);
void h_campaigns_list(struct api_req *r);
void h_campaigns_get(struct api_req *r);
void h_campaigns_recompute(struct api_req *r);
void h_campaigns_approve(struct api_req *r);
void h_campaigns_cancel(struct api_req *r);
void h_campaigns_members(struct api_req *r);
void h_tokens_create(struct api_req *r);
void h_tokens_list(struct api_req *r);
void h_whoami(struct api_req *r);
void h_tokens_revoke(struct api_req *r);
void h_static(struct api_req *r);

/* Due process (h_due.c, h_due_claims.c). */
void h_fitness_record(struct api_req *r);
void h_fitness_list(struct api_req *r);
void h_exemptions_grant(struct api_req *r);
void h_exemptions_list(struct api_req *r);
void h_exemptions_revoke(struct api_req *r);
void h_overrides_request(struct api_req *r);
void h_overrides_list(struct api_req *r);
void h_overrides_get(struct api_req *r);
void h_overrides_approve(struct api_req *r);
void h_overrides_reject(struct api_req *r);
void h_excuses_file(struct api_req *r);
void h_excuses_get(struct api_req *r);
void h_excuses_decide(struct api_req *r);
void h_appeals_file(struct api_req *r);
void h_appeals_get(struct api_req *r);
void h_appeals_decide(struct api_req *r);
void h_corrections_file(struct api_req *r);
void h_corrections_get(struct api_req *r);
void h_corrections_decide(struct api_req *r);
void h_corrections_overdue(struct api_req *r);

void h_duplicates_list(struct api_req *r);
void h_duplicates_resolve(struct api_req *r);

/* Delivery channels (h_channels.c; docs/channels.md). */
void h_account_open(struct api_req *r);
void h_account_close(struct api_req *r);
void h_me_account_open(struct api_req *r);
void h_me_summons_get(struct api_req *r);
void h_portal_callback(struct api_req *r);

#endif
