/*
 * store.h: the one interface to persistence.
 *
 * A struct store is a handle on one register. Backends (SQLite now,
 * PostgreSQL later) fill a struct store_ops method table; everyone else calls
 * the store_* wrappers below, which check arguments and are where fault
 * hooks go. The store keeps facts and never decides: validation and the
 * legal rules live in domain/, and the orchestration of "read, decide,
 * write" lives in app/.
 *
 * Concurrency (SQLite): one writer thread owns the only writing connection;
 * every write is a job run on it inside BEGIN IMMEDIATE ... COMMIT with
 * synchronous=FULL, and the audit record of a write commits in the same
 * transaction. Reads run on a read-only connection private to the calling
 * thread. Reads of personal data are audited by group commit: store_audit_read
 * queues the record and the writer flushes the queue every few milliseconds;
 * when the queue is full it returns MU_EBUSY and the caller must not answer.
 *
 * Optimistic concurrency for derived state: every person has a state version
 * (pver) that grows with each write to their summonses. Writers that carry a
 * restriction update computed from facts read at pver X pass X; if the
 * person moved on, the write fails with MU_ECONFLICT and the caller re-reads.
 *
 * Memory: out-structs with fixed arrays are the caller's; functions that
 * return *_set / *_rec pointers hand over ownership, freed with the matching
 * *_free (which accepts NULL). Out-pointers are NULL on failure.
 */
#ifndef MU_STORE_H
#define MU_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "domain/model.h"
#include "domain/rules.h"
#include "util/err.h"

struct store;

/* Who did it, and why: attached to every write and audited read. */
struct audit_ctx {
	const char *token_id;   /* "" or NULL for the command line */
	const char *role;       /* role name, or "cli" */
	const char *office;     /* actor's office scope, may be NULL */
	const char *request_id; /* may be NULL */
	const char *purpose;    /* why, in a few words; may be NULL */
	int64_t at;             /* instant of the action */
};

struct audit_entry {
	int64_t idx;
	int64_t at;
	char actor_token[TOKEN_ID_LEN + 1];
	char actor_role[24];
	char actor_office[OFFICE_ID_MAX + 1];
	char action[48];
	char subject_type[16];                 /* person, summons, office, token */
	char subject_id[SUMMONS_ID_MAX + NATIONAL_ID_MAX + 2];
	char person[NATIONAL_ID_MAX + 1];      /* whose data, "" if nobody's */
	char purpose[96];
	char request_id[24];
	char detail[512];                      /* JSON object text */
};

struct event_rec {
	struct sm_event ev;
	char actor[TOKEN_ID_LEN + 1];
	char actor_role[24];
	char reference[128];  /* channel reference, decision reference, note */
	int64_t audit_idx;
};

/* A summons with its events and its office's zone. */
struct summons_rec {
	struct summons s;
	char zone[ZONE_MAX_LEN + 1];
	char office_name[NAME_MAX_LEN * 2 + 1];
	size_t n_events;
	struct sm_event *events;    /* n_events, in recording order */
	struct event_rec *meta;     /* n_events, same order */
};

struct summons_set {
	size_t n;
	struct summons_rec *items;
	int64_t pver; /* the person's state version when read */
};

/* One change of an aggregated (person, kind) restriction. */
struct restr_change {
	int64_t cursor;  /* assigned by the store */
	char national_id[NATIONAL_ID_MAX + 1];
	enum restr_kind kind;
	int imposed;     /* 1 imposed, 0 lifted */
	int64_t at;
	char basis[SUMMONS_ID_MAX + 1];
	char rule[64];
	int64_t recorded_at;
};

/* The materialised restrictions of one person and what to write next. */
struct restr_state {
	int imposed[RK__COUNT];
	int64_t since[RK__COUNT];
	char basis[RK__COUNT][SUMMONS_ID_MAX + 1];
	int64_t reconciled_at; /* materialised up to this instant */
	int64_t next_due;      /* next time-driven change, MU_T_NONE if none */
	int64_t pver;
};

struct restr_update {
	const char *national_id;
	int64_t expect_pver;           /* MU_ECONFLICT if the person moved on */
	const struct restr_state *state; /* new state (reconciled_at, next_due) */
	const struct restr_change *changes;
	size_t n_changes;
};

struct person_filter {
	const char *office;   /* NULL = any */
	const char *region;   /* NULL = any */
	const char *q;        /* prefix of national_id or family name, NULL = any */
	const char *after;    /* cursor: national_id to start after, NULL = start */
	size_t limit;
};

struct audit_filter {
	const char *person;   /* entries about this person */
	const char *actor;    /* token id */
	const char *action;
	int64_t from, to;     /* instants, inclusive; 0 = open */
	int64_t after;        /* idx cursor */
	size_t limit;
};

/* The materialised answer to one check. */
struct check_row {
	int person_found;
	int imposed;
	int64_t since;
	char basis[SUMMONS_ID_MAX + 1];
	int64_t reconciled_at;
	int64_t next_due;          /* MU_T_NONE if none */
};

/* One agency's position in the feed. */
struct feed_lag {
	char token_id[TOKEN_ID_LEN + 1];
	char kind[32];
	char label[64];
	int64_t acked;             /* 0 if never acked */
	int64_t acked_at;
	int64_t latest;            /* newest cursor of that kind */
	int64_t behind;            /* changes of that kind after acked */
	int64_t oldest_unacked_at; /* recorded_at of the first unapplied, 0 if none */
};

struct store_ops {
	const char *name;
	void (*close)(struct store *st);
	enum mu_err (*meta_get)(struct store *st, const char *key, char **out);
	enum mu_err (*meta_set)(struct store *st, const char *key, const char *val);
	enum mu_err (*office_create)(struct store *st, const struct office *o,
				     const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*office_get)(struct store *st, const char *id, struct office *o);
	enum mu_err (*office_list)(struct store *st, struct office **out, size_t *n);
	enum mu_err (*person_put)(struct store *st, const struct person *p, int create_only,
				  const struct audit_ctx *a, int *changed, struct mu_error *err);
	enum mu_err (*person_put_many)(struct store *st, const struct person *v, size_t n,
				       const struct audit_ctx *a, size_t *changed,
				       struct mu_error *err);
	enum mu_err (*person_get)(struct store *st, const char *id, struct person *p);
	enum mu_err (*person_list)(struct store *st, const struct person_filter *f,
				   struct person *out, size_t cap, size_t *n);
	enum mu_err (*person_history)(struct store *st, const char *id,
				      struct person *out, size_t cap, size_t *n);
	enum mu_err (*token_create)(struct store *st, const struct token *t,
				    const unsigned char hash[32], const struct audit_ctx *a);
	enum mu_err (*token_lookup)(struct store *st, const unsigned char hash[32],
				    struct token *t);
	enum mu_err (*token_list)(struct store *st, struct token **out, size_t *n);
	enum mu_err (*token_revoke)(struct store *st, const char *id,
				    const struct audit_ctx *a);
	enum mu_err (*summons_create)(struct store *st, const struct summons *s,
				      const struct restr_update *u,
				      const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*summons_get)(struct store *st, const char *id, struct summons_rec **out);
	enum mu_err (*summons_of_person)(struct store *st, const char *nid,
					 struct summons_set **out);
	enum mu_err (*event_append)(struct store *st, const char *summons_id,
				    const struct event_rec *ev, const struct restr_update *u,
				    const struct audit_ctx *a, int64_t *seq, struct mu_error *err);
	enum mu_err (*restr_get)(struct store *st, const char *nid, struct restr_state *out);
	enum mu_err (*restr_apply)(struct store *st, const struct restr_update *u,
				   const struct audit_ctx *a);
	enum mu_err (*due_persons)(struct store *st, int64_t now,
				   char (*out)[NATIONAL_ID_MAX + 1], size_t cap, size_t *n);
	enum mu_err (*feed_read)(struct store *st, int64_t after, size_t limit,
				 struct restr_change *out, size_t *n);
	enum mu_err (*audit_append)(struct store *st, const struct audit_entry *e);
	enum mu_err (*audit_read)(struct store *st, const struct audit_entry *e);
	enum mu_err (*audit_list)(struct store *st, const struct audit_filter *f,
				  struct audit_entry *out, size_t cap, size_t *n);
	enum mu_err (*audit_verify)(struct store *st, int64_t *n_entries, int64_t *bad_idx,
				    struct mu_error *err);
	enum mu_err (*flush)(struct store *st);
	enum mu_err (*restr_check)(struct store *st, const char *nid, enum restr_kind kind,
				   struct check_row *out);
	enum mu_err (*feed_read_kind)(struct store *st, int64_t after, const char *kind,
				      size_t limit, struct restr_change *out, size_t *n,
				      int64_t *scanned_to);
	enum mu_err (*feed_ack)(struct store *st, const char *token_id, const char *kind,
				int64_t cursor, int64_t at);
	enum mu_err (*feed_lags)(struct store *st, struct feed_lag **out, size_t *n);
};

struct store {
	const struct store_ops *ops;
};

struct store_options {
	size_t audit_queue_max;   /* read-audit queue bound; 0 = default */
	int audit_flush_ms;       /* group-commit interval; 0 = default */
	int create;               /* 1: create the file (init); 0: must exist */
};

#define STORE_AUDIT_QUEUE_DEFAULT 8192
#define STORE_AUDIT_FLUSH_MS_DEFAULT 5
#define STORE_LIST_MAX 1000

/* Open the register at path (SQLite), applying pending migrations.
 * *out is NULL on failure. */
enum mu_err store_open(const char *path, const struct store_options *opt,
		       struct store **out, struct mu_error *err) MU_MUSTCHECK;
/* Flush queued audit records, stop the writer, close. Accepts NULL. */
void store_close(struct store *st);

/* The schema version of the store after store_open. */
int store_schema_version(struct store *st);

void summons_rec_free(struct summons_rec *r);
void summons_set_free(struct summons_set *s);

/* Wrappers: see struct store_ops. All return MU_ENOTFOUND when the thing
 * does not exist. */
enum mu_err store_meta_get(struct store *st, const char *key, char **out) MU_MUSTCHECK;
enum mu_err store_meta_set(struct store *st, const char *key, const char *val) MU_MUSTCHECK;
enum mu_err store_office_create(struct store *st, const struct office *o,
				const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_office_get(struct store *st, const char *id, struct office *o) MU_MUSTCHECK;
enum mu_err store_office_list(struct store *st, struct office **out, size_t *n) MU_MUSTCHECK;
/* Create (create_only: MU_ECONFLICT if it exists) or upsert a person; the
 * previous version goes to history. *changed is 0 when identical. */
enum mu_err store_person_put(struct store *st, const struct person *p, int create_only,
			     const struct audit_ctx *a, int *changed,
			     struct mu_error *err) MU_MUSTCHECK;
/* Upsert n persons in one transaction: all or none. *changed counts the
 * records that were new or different. On failure err names the person. */
enum mu_err store_person_put_many(struct store *st, const struct person *v, size_t n,
				  const struct audit_ctx *a, size_t *changed,
				  struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_person_get(struct store *st, const char *id, struct person *p) MU_MUSTCHECK;
enum mu_err store_person_list(struct store *st, const struct person_filter *f,
			      struct person *out, size_t cap, size_t *n) MU_MUSTCHECK;
/* Every version of a person, oldest first (the current one last). */
enum mu_err store_person_history(struct store *st, const char *id, struct person *out,
				 size_t cap, size_t *n) MU_MUSTCHECK;
enum mu_err store_token_create(struct store *st, const struct token *t,
			       const unsigned char hash[32], const struct audit_ctx *a) MU_MUSTCHECK;
enum mu_err store_token_lookup(struct store *st, const unsigned char hash[32],
			       struct token *t) MU_MUSTCHECK;
enum mu_err store_token_list(struct store *st, struct token **out, size_t *n) MU_MUSTCHECK;
enum mu_err store_token_revoke(struct store *st, const char *id,
			       const struct audit_ctx *a) MU_MUSTCHECK;
enum mu_err store_summons_create(struct store *st, const struct summons *s,
				 const struct restr_update *u, const struct audit_ctx *a,
				 struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_summons_get(struct store *st, const char *id,
			      struct summons_rec **out) MU_MUSTCHECK;
enum mu_err store_summons_of_person(struct store *st, const char *nid,
				    struct summons_set **out) MU_MUSTCHECK;
enum mu_err store_event_append(struct store *st, const char *summons_id,
			       const struct event_rec *ev, const struct restr_update *u,
			       const struct audit_ctx *a, int64_t *seq,
			       struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_restr_get(struct store *st, const char *nid,
			    struct restr_state *out) MU_MUSTCHECK;
enum mu_err store_restr_apply(struct store *st, const struct restr_update *u,
			      const struct audit_ctx *a) MU_MUSTCHECK;
enum mu_err store_due_persons(struct store *st, int64_t now,
			      char (*out)[NATIONAL_ID_MAX + 1], size_t cap,
			      size_t *n) MU_MUSTCHECK;
enum mu_err store_feed_read(struct store *st, int64_t after, size_t limit,
			    struct restr_change *out, size_t *n) MU_MUSTCHECK;
/* Append an audit entry now (its own transaction). */
enum mu_err store_audit_append(struct store *st, const struct audit_entry *e) MU_MUSTCHECK;
/* Queue the audit record of a read; MU_EBUSY when the queue is full. */
enum mu_err store_audit_read(struct store *st, const struct audit_entry *e) MU_MUSTCHECK;
enum mu_err store_audit_list(struct store *st, const struct audit_filter *f,
			     struct audit_entry *out, size_t cap, size_t *n) MU_MUSTCHECK;
/* Recompute the audit chain; *bad_idx is the first bad index or -1. */
enum mu_err store_audit_verify(struct store *st, int64_t *n_entries, int64_t *bad_idx,
			       struct mu_error *err) MU_MUSTCHECK;
/* Wait until every queued audit record is committed. */
enum mu_err store_flush(struct store *st) MU_MUSTCHECK;

/* The materialised restriction of one kind for a check, one indexed
 * lookup whether or not the person exists (same cost either way). */
enum mu_err store_restr_check(struct store *st, const char *nid, enum restr_kind kind,
			      struct check_row *out) MU_MUSTCHECK;
/* Feed changes after `after`, only of `kind` (NULL = all); *scanned_to is
 * the cursor to continue from (it passes changes of other kinds). */
enum mu_err store_feed_read_kind(struct store *st, int64_t after, const char *kind,
				 size_t limit, struct restr_change *out, size_t *n,
				 int64_t *scanned_to) MU_MUSTCHECK;
/* Record that agency token_id has applied the feed up to cursor. */
enum mu_err store_feed_ack(struct store *st, const char *token_id, const char *kind,
			   int64_t cursor, int64_t at) MU_MUSTCHECK;
/* Every active agency token's position in the feed (caller frees *out). */
enum mu_err store_feed_lags(struct store *st, struct feed_lag **out, size_t *n) MU_MUSTCHECK;

/* Fill an audit entry from a context. */
void audit_entry_from_ctx(struct audit_entry *e, const struct audit_ctx *a,
			  const char *action, const char *subject_type,
			  const char *subject_id, const char *person);

#endif
