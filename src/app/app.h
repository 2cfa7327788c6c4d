/*
 * app.h: the use cases shared by the HTTP API and the command line.
 *
 * Each use case reads facts from the store, asks the pure domain what they
 * mean, and writes the outcome back through the store in one transaction:
 * issue a summons, record an event, reconcile a person's materialised
 * restrictions (the scheduler's job), compute a status. Nothing here speaks
 * HTTP or parses command lines; nothing here decides a rule of law.
 */
#ifndef MU_APP_H
#define MU_APP_H

#include <jansson.h>
#include <stdint.h>

#include "domain/model.h"
#include "domain/rules.h"
#include "store/store.h"
#include "util/err.h"

struct app {
	struct store *st;
	struct profile *profile;
	char *profile_text;
	int test_clock;           /* honour Muster-Test-Now */
	char public_url[256];     /* base of verification URLs printed on paper */
	int64_t clock_high;       /* test clock: latest instant seen (atomic) */
	/* Called after a write that added restriction changes (the feed grew);
	 * may be NULL. Must not block. */
	void (*on_feed_change)(void *ctx);
	void *feed_ctx;
};

/* Tell the listener that the feed grew (used by app_*.c). */
void app_feed_changed(struct app *a);

/* Open the register at path and load its profile. *out is NULL on failure. */
enum mu_err app_open(const char *path, const struct store_options *opt,
		     struct app **out, struct mu_error *err) MU_MUSTCHECK;
/* Close the store and free everything. Accepts NULL. */
uint64_t app_close(struct app *a); /* records lost: see store_close */

/* The current instant: the system clock, or with the test clock the latest
 * Muster-Test-Now seen (never going back). */
int64_t app_now(struct app *a);
/* 0 while a --test-clock server has seen no Muster-Test-Now yet: it has no
 * time then, and app_now() would answer the wall clock. Time-driven work
 * (the scheduler) waits for it. */
int app_clock_known(struct app *a);
/* Test clock: note an instant taken from a request; 1 if it moved the
 * clock forward. */
int app_clock_seen(struct app *a, int64_t t);

/* Build the engine's input for every summons of a set; facts[i] points into
 * set. */
void app_facts(const struct summons_set *set, struct sm_facts *facts);

/* Issue a summons (app_summons.c). On success *out holds the new summons. */
struct issue_req {
	const char *national_id;
	const char *office;       /* NULL: the person's office */
	const char *purpose;
	int64_t report_at;
	const char *campaign;     /* may be NULL */
	const char *override_id;  /* may be NULL: an approved override of a
				     due-process bar (app_due.h) */
	int in_person;            /* plan the in-person channel (app_channels.h) */
};
enum mu_err app_issue(struct app *a, const struct issue_req *r,
		      const struct audit_ctx *ctx, struct summons *out,
		      struct mu_error *err) MU_MUSTCHECK;

/* Record an event on a summons, after rules_check_event. *seq is its seq. */
enum mu_err app_record_event(struct app *a, const char *summons_id,
			     const struct event_rec *ev,
			     const struct audit_ctx *ctx, int64_t *seq,
			     struct mu_error *err) MU_MUSTCHECK;

/* Record the same event on many summonses (ids[0..n)), a transaction per
 * EVENT_BATCH of them instead of one each: a campaign's cancellation. A
 * summons whose rules refuse the event (it has ended) is skipped; one
 * whose person changed meanwhile is recorded on its own. *recorded counts
 * the events written. */
#define EVENT_BATCH 256
enum mu_err app_record_events(struct app *a, const struct summons_id *ids, size_t n,
			      const struct event_rec *ev, const struct audit_ctx *ctx,
			      size_t *recorded, struct mu_error *err) MU_MUSTCHECK;

/* Cancel every open summons of a person (removal from the register),
 * recording `cancelled` with the reason as reference. *n counts them. */
enum mu_err app_cancel_open(struct app *a, const char *national_id,
			    const char *reason, const struct audit_ctx *ctx,
			    size_t *n, struct mu_error *err) MU_MUSTCHECK;

/* Bring the person's materialised restrictions and their change record up
 * to `now` (app_reconcile.c). */
enum mu_err app_reconcile(struct app *a, const char *national_id, int64_t now,
			  const struct audit_ctx *ctx) MU_MUSTCHECK;
/* Reconcile every person whose next time-driven change is due by `now`.
 * *n is how many were reconciled. */
enum mu_err app_reconcile_due(struct app *a, int64_t now, size_t *n) MU_MUSTCHECK;

/* The status of a person as of `at` (app_status.c): a new JSON object
 * {"national_id","at","profile","summonses":[...],"restrictions":[...],
 * "next_change"}. */
enum mu_err app_status(struct app *a, const char *national_id, int64_t at,
		       json_t **out, struct mu_error *err) MU_MUSTCHECK;

/* A summons with its events and computed state as of `at`, as JSON. */
json_t *app_summons_json(struct app *a, const struct summons_rec *r, int64_t at);

/* Restrictions of one kind in force at `at` for a person: *permitted, and
 * when not, since and the basis summons id. */
enum mu_err app_check(struct app *a, const char *national_id,
		      enum restr_kind kind, int64_t at, int *permitted,
		      int64_t *since, char *basis, size_t basis_size) MU_MUSTCHECK;

/* The restriction update computed from facts (pure; exposed for tests). */
enum mu_err app_compute_update(const struct profile *p,
			       const struct summons_set *set,
			       const struct restr_state *cur, const char *nid,
			       int64_t now, struct restr_state *next,
			       struct restr_change **changes, size_t *n_changes) MU_MUSTCHECK;

#endif
