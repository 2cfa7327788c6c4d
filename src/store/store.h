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

#include "domain/due.h"
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
	/* since and basis: in force since, and the summons that bars it, as
	 * the person's status says (the earliest start among the summonses
	 * barring it now); what a check answers. */
	int64_t since[RK__COUNT];
	char basis[RK__COUNT][SUMMONS_ID_MAX + 1];
	/* the `at` of the feed's imposition: later than since when the fact
	 * that imposed it was recorded late (the feed stays in time order) */
	int64_t feed_at[RK__COUNT];
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
	const char *subject;  /* subject_id, NULL = any */
};

/* A signed tree head of the audit log (docs/audit.md): the log's first
 * `size` entries have Merkle root `root`, signed with Ed25519 at
 * timestamp_ms (Unix milliseconds). */
struct audit_head {
	int64_t size;
	int64_t timestamp_ms;
	unsigned char root[32];
	unsigned char sig[64];
};

#define AUDIT_PROOF_MAX 66 /* = MERKLE_PROOF_MAX */

/* What `muster audit verify` found. */
struct audit_report {
	int64_t entries;        /* entries read */
	int64_t heads;          /* signed heads checked */
	int64_t bad_idx;        /* first bad entry index, -1 if none */
	int64_t bad_head;       /* size of the first bad head, -1 if none */
	char reason[256];       /* what is wrong, "" if intact */
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

/* A call-up campaign (see app_campaign.c). */
struct campaign {
	char id[SUMMONS_ID_MAX + 1];
	char name[160];
	char legal_basis[160];
	int purpose;
	int64_t report_from, report_to, quota;
	char criteria[1024];        /* JSON text as given */
	char state[12];             /* draft, issued, cancelled */
	char created_by[TOKEN_ID_LEN + 1];
	int64_t created_at;
	char approved_by[TOKEN_ID_LEN + 1];
	int64_t approved_at;
	char selection_hash[65];
	int64_t selected, issued;
	char cancelled_by[TOKEN_ID_LEN + 1];
	int64_t cancelled_at;
	char cancel_reason[REASON_MAX_LEN + 1];
	char summary[2048];         /* JSON breakdown of the selection */
};

struct campaign_member {
	int64_t seq;                /* place in the selection, from 1 */
	char national_id[NATIONAL_ID_MAX + 1];
	char office[OFFICE_ID_MAX + 1];
	int64_t report_at;
	char summons_id[SUMMONS_ID_MAX + 1];
	char vcode[VCODE_LEN + 1];
	int64_t next_due;           /* for issuance: the person's next change */
	int excluded;               /* set by campaign_issue: no longer eligible */
	int account;                /* had a portal account when checked */
	int64_t row_hint;           /* the candidate's row_hint, 0 if unknown */
	int64_t audit_idx;          /* issuance: the summons.issue entry */
};

/* A person considered for a campaign, with the facts that may exclude them. */
struct campaign_candidate {
	struct person p;
	int open_summons;           /* an open summons for the same purpose */
	int other_campaign;         /* selected by another open campaign */
	int has_summonses;          /* any summons at all */
	int has_due;                /* a fitness decision or an exemption on
				       record: only with these read does the
				       domain know the person's bars */
	int has_account;            /* member scans: an open portal account */
	int64_t seq;                /* member scans: the member's seq */
	int64_t row_hint;           /* member scans: where the store keeps the
				       person; writing persons in this order
				       touches each page once (speed only) */
};

/* A notice in the outbox (app_notify.c builds them, notify/sender.c sends). */
struct notice {
	int64_t id;
	char key[96];
	char national_id[NATIONAL_ID_MAX + 1];
	char channel[8];            /* sms, email */
	char address[EMAIL_MAX_LEN + 1];
	char kind[16];              /* issued, delivered, imposed, lifted, decided */
	char text[1024];
	char state[10];             /* pending, sent, failed */
	int attempts;
	int64_t next_attempt_at, created_at, sent_at;
	char last_error[160];
};

/* A summons event as a source of notices. */
struct notify_event {
	int64_t seq;
	enum ev_type type;
	int64_t at;
	enum appeal_outcome outcome;
	int64_t new_report_at;
	struct summons s;
	char zone[ZONE_MAX_LEN + 1];
	char office_name[NAME_MAX_LEN * 2 + 1];
};

typedef int (*campaign_scan_cb)(void *ctx, const struct campaign_candidate *c);
typedef void (*slot_taken_cb)(void *ctx, const char *office, int64_t report_at);

/* How far a long write has come, for a progress bar drawn by another
 * thread while the writer works: written by the store, read by anyone,
 * atomically (__atomic builtins). Units of work are the store's own: done
 * of total (0 until the store knows). */
struct store_progress {
	int64_t done, total;
};

struct import_run;
struct import_batch;
typedef struct import_batch *(*import_next_fn)(void *arg);
struct dup_filter;
struct dup_pair;
struct field_source;
struct channel_entry;
struct portal_push;

/* Due process: a change of a person's record made together with a
 * due-process decision (fitness, an accepted correction, an upheld fitness
 * appeal). p is the whole new record; MU_ECONFLICT if the stored record is
 * no longer at expect_version. p == NULL: no change. */
struct person_change {
	const struct person *p;
	int64_t expect_version;
};

/* The steps of an override after its request (store_override_step). */
enum override_step {
	OVR_APPROVE,  /* pending -> approved; decided by a second officer */
	OVR_REJECT,   /* pending -> rejected */
	OVR_CLAIM,    /* approved -> used, before its summons is written */
	OVR_LINK,     /* used: record the summons it was used for */
	OVR_RELEASE,  /* used and unlinked -> approved: that issue failed */
};

/* One event of store_event_append_many. */
struct event_batch_item {
	const char *summons_id;
	const struct event_rec *ev;
	const struct restr_update *u;
	enum mu_err rc;                /* out */
};

struct summons_id {
	char id[SUMMONS_ID_MAX + 1];
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
	enum mu_err (*office_has_summonses)(struct store *st, const char *id, int *has);
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
	enum mu_err (*event_append_many)(struct store *st, struct event_batch_item *v, size_t n,
					 const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*restr_get)(struct store *st, const char *nid, struct restr_state *out);
	enum mu_err (*restr_apply)(struct store *st, const struct restr_update *u,
				   const struct audit_ctx *a);
	enum mu_err (*due_persons)(struct store *st, int64_t now,
				   char (*out)[NATIONAL_ID_MAX + 1], size_t cap, size_t *n);
	enum mu_err (*feed_read)(struct store *st, int64_t after, size_t limit,
				 struct restr_change *out, size_t *n);
	enum mu_err (*audit_append)(struct store *st, const struct audit_entry *e);
	enum mu_err (*audit_read)(struct store *st, const struct audit_entry *v, size_t n);
	enum mu_err (*audit_list)(struct store *st, const struct audit_filter *f,
				  struct audit_entry *out, size_t cap, size_t *n);
	enum mu_err (*audit_verify)(struct store *st, int64_t *n_entries, int64_t *bad_idx,
				    struct mu_error *err);
	enum mu_err (*flush)(struct store *st);
	void (*reads_done)(struct store *st);
	enum mu_err (*restr_check)(struct store *st, const char *nid, enum restr_kind kind,
				   struct check_row *out);
	enum mu_err (*feed_read_kind)(struct store *st, int64_t after, const char *kind,
				      size_t limit, struct restr_change *out, size_t *n,
				      int64_t *scanned_to);
	enum mu_err (*feed_ack)(struct store *st, const char *token_id, const char *kind,
				int64_t cursor, int64_t at);
	enum mu_err (*feed_lags)(struct store *st, struct feed_lag **out, size_t *n);
	enum mu_err (*audit_key)(struct store *st, unsigned char pk[32]);
	enum mu_err (*audit_head)(struct store *st, struct audit_head *out);
	enum mu_err (*audit_publish)(struct store *st, struct audit_head *out);
	enum mu_err (*audit_get)(struct store *st, int64_t idx, struct audit_entry *e,
				 unsigned char leaf_hash[32]);
	enum mu_err (*audit_size)(struct store *st, int64_t *size);
	enum mu_err (*audit_inclusion)(struct store *st, int64_t idx, int64_t size,
				       unsigned char (*proof)[32], size_t *n,
				       unsigned char root[32]);
	enum mu_err (*audit_consistency)(struct store *st, int64_t from, int64_t to,
					 unsigned char (*proof)[32], size_t *n,
					 unsigned char from_root[32],
					 unsigned char to_root[32]);
	enum mu_err (*audit_append_many)(struct store *st, struct audit_entry *v, size_t n);
	/* bulk import (sqlite_bulk.c) */
	enum mu_err (*import_begin)(struct store *st, struct import_run *run, int resume,
				    const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*import_batches)(struct store *st, import_next_fn next, void *arg,
				      const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*import_end)(struct store *st, struct import_run *run, int ok,
				  const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*dup_list)(struct store *st, const struct dup_filter *f,
				struct dup_pair *out, size_t cap, size_t *n);
	enum mu_err (*dup_get)(struct store *st, int64_t id, struct dup_pair *out);
	enum mu_err (*dup_resolve)(struct store *st, int64_t id, const char *state,
				   const char *note, const struct audit_ctx *a,
				   struct mu_error *err);
	enum mu_err (*person_provenance)(struct store *st, const char *id,
					 struct field_source *out);
	enum mu_err (*person_import_audits)(struct store *st, const char *id, int64_t after,
					    int64_t *out, size_t cap, size_t *n);
	/* campaigns (sqlite_campaign.c) */
	enum mu_err (*campaign_scan)(struct store *st, int purpose, const char *born_from,
				     const char *born_to, const char *exclude_id,
				     campaign_scan_cb cb, void *ctx);
	enum mu_err (*campaign_put)(struct store *st, const struct campaign *c,
				    const struct campaign_member *m, size_t n, int replace,
				    const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*campaign_get)(struct store *st, const char *id, struct campaign *c);
	enum mu_err (*campaign_list)(struct store *st, struct campaign **out, size_t *n);
	enum mu_err (*campaign_members)(struct store *st, const char *id, int64_t offset,
					size_t limit, struct campaign_member **out, size_t *n,
					int64_t *total);
	enum mu_err (*campaign_member_scan)(struct store *st, const char *id,
					    campaign_scan_cb cb, void *ctx);
	enum mu_err (*slots_taken)(struct store *st, int64_t from, int64_t to,
				   slot_taken_cb cb, void *ctx);
	enum mu_err (*campaign_issue)(struct store *st, const struct campaign *c,
				      struct campaign_member *m, size_t n,
				      const struct audit_ctx *a, struct store_progress *pr,
				      size_t *issued, struct mu_error *err);
	enum mu_err (*campaign_cancel)(struct store *st, const char *id, const char *reason,
				       const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*campaign_summonses)(struct store *st, const char *id, int64_t *after,
					  size_t limit, struct summons_set **out);
	enum mu_err (*campaign_summons_ids)(struct store *st, const char *id,
					    struct summons_id **out, size_t *n);
	/* due process (sqlite_due.c; docs/due-process.md) */
	enum mu_err (*due_of_person)(struct store *st, const char *nid,
				     struct due_set **out);
	enum mu_err (*due_owner)(struct store *st, const char *id,
				 char nid[NATIONAL_ID_MAX + 1]);
	enum mu_err (*fitness_add)(struct store *st, const struct fitness_rec *f,
				   const struct person_change *pc,
				   const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*exemption_add)(struct store *st, const struct exemption_rec *e,
				     const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*exemption_revoke)(struct store *st, const struct exemption_rec *e,
					const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*override_add)(struct store *st, const struct override_rec *o,
				    const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*override_step)(struct store *st, const struct override_rec *o,
				     enum override_step step,
				     const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*override_list)(struct store *st, enum due_state state,
				     struct override_rec **out, size_t *n);
	enum mu_err (*excuse_add)(struct store *st, const struct excuse_rec *e,
				  const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*excuse_decide)(struct store *st, const struct excuse_rec *e,
				     const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*appeal_add)(struct store *st, const struct appeal_rec *r,
				  const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*appeal_decide)(struct store *st, const struct appeal_rec *r,
				     const struct person_change *pc,
				     const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*correction_add)(struct store *st, const struct correction_rec *c,
				      const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*correction_decide)(struct store *st, const struct correction_rec *c,
					 const struct person_change *pc,
					 const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*correction_overdue)(struct store *st, int64_t now,
					  struct correction_rec **out, size_t *n);
	/* delivery channels (sqlite_channels.c) */
	enum mu_err (*summons_by_code)(struct store *st, const char *code,
				       struct summons_rec **out);
	/* notices (sqlite_notices.c) */
	enum mu_err (*notify_events)(struct store *st, int64_t after_seq, size_t limit,
				     struct notify_event *out, size_t *n);
	enum mu_err (*notices_add)(struct store *st, const struct notice *v, size_t n,
				   int64_t change_cursor, int64_t event_seq);
	enum mu_err (*notices_due)(struct store *st, int64_t now, size_t limit,
				   struct notice *out, size_t *n);
	enum mu_err (*notice_result)(struct store *st, int64_t id, const char *state,
				     int attempts, int64_t next_attempt_at, int64_t sent_at,
				     const char *error);
	enum mu_err (*notices_list)(struct store *st, const char *state, const char *nid,
				    const char *office, size_t limit, struct notice *out, size_t *n);
	enum mu_err (*summonses_issued)(struct store *st, const char *office, int64_t from,
					int64_t to, struct summons_set **out);
	/* portal accounts and channel plans (sqlite_portal.c) */
	enum mu_err (*account_set)(struct store *st, const char *nid, const char *provider,
				   const struct audit_ctx *a, struct mu_error *err);
	enum mu_err (*account_get)(struct store *st, const char *nid, char provider[16]);
	enum mu_err (*channels_put)(struct store *st, const char *summons_id,
				    const struct channel_entry *v, size_t n,
				    const char *push_body, int64_t at);
	enum mu_err (*channels_get)(struct store *st, const char *summons_id,
				    struct channel_entry *out, size_t cap, size_t *n);
	enum mu_err (*nonce_claim)(struct store *st, const char *message_id,
				   const char *type, int64_t at);
	enum mu_err (*pushes_due)(struct store *st, int64_t now, size_t limit,
				  struct portal_push *out, size_t *n);
	enum mu_err (*push_result)(struct store *st, int64_t id, const char *state,
				   int attempts, int64_t next_attempt_at, int64_t sent_at,
				   const char *error);
};

struct store {
	const struct store_ops *ops;
};

struct store_options {
	size_t audit_queue_max;   /* read-audit queue bound; 0 = default */
	int audit_flush_ms;       /* group-commit interval; 0 = default */
	int create;               /* 1: create the file (init); 0: must exist */
	int busy_ms;              /* how long the writer waits for another
				   * process's write lock; 0 = default */
	int check_index;          /* 1: answer checks from memory (serve) */
	int check_poll_ms;        /* how often the writer looks for commits by
				   * programs other than muster; 0 = default */
};

/* The agency checks' in-memory index (docs/checks.md), for /metrics. */
struct check_index_stats {
	int enabled, valid;
	uint64_t hits, misses, rebuilds;
	int64_t rebuild_ms;       /* how long the last load took */
	size_t entries, bytes;
};
void store_check_index_stats(struct store *st, struct check_index_stats *out);

#define STORE_AUDIT_QUEUE_DEFAULT 32768
#define STORE_AUDIT_FLUSH_MS_DEFAULT 5
#define STORE_BUSY_MS_DEFAULT 10000
#define STORE_LIST_MAX 1000

/* Open the register at path (SQLite), applying pending migrations.
 * *out is NULL on failure. */
enum mu_err store_open(const char *path, const struct store_options *opt,
		       struct store **out, struct mu_error *err) MU_MUSTCHECK;
/* Flush queued audit records, stop the writer, close. Accepts NULL.
 * Returns how many audit records of answered reads could not be written
 * (0 unless the disk failed: the caller exits with an error). */
uint64_t store_close(struct store *st);
/* 1 while queued audit records cannot be committed (the last flush
 * failed): reads are refused meanwhile, and /healthz says so. */
int store_audit_failing(struct store *st);

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
/* Whether any summons names office id (its time zone then cannot change:
 * the legal periods of those summonses are counted in it). */
enum mu_err store_office_has_summonses(struct store *st, const char *id, int *has) MU_MUSTCHECK;
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
/* Several events in one transaction (a campaign's cancellation). An item
 * whose person moved on since its update was computed gets rc
 * MU_ECONFLICT and nothing is written for it; the others are written.
 * The return value is the transaction's. */
enum mu_err store_event_append_many(struct store *st, struct event_batch_item *v, size_t n,
				    const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
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
/* Queue the records of one answer's reads, all or none: MU_EBUSY when they
 * do not fit now, MU_ETOOBIG when they never could (more than the queue's
 * bound: append them with store_audit_append_many instead). */
enum mu_err store_audit_read_many(struct store *st, const struct audit_entry *v,
				  size_t n) MU_MUSTCHECK;
enum mu_err store_audit_list(struct store *st, const struct audit_filter *f,
			     struct audit_entry *out, size_t cap, size_t *n) MU_MUSTCHECK;
/* Recompute the audit Merkle tree (see store_audit_verify_file); *bad_idx
 * is the first bad index or -1. */
enum mu_err store_audit_verify(struct store *st, int64_t *n_entries, int64_t *bad_idx,
			       struct mu_error *err) MU_MUSTCHECK;
/* Wait until every queued audit record is committed. */
enum mu_err store_flush(struct store *st) MU_MUSTCHECK;
/* Tests: is MUSTER_STORE_FAIL set to name? The store wrappers fail the
 * method of that name; a backend may name a point inside a method too. */
int store_fault(const char *name);
/* The calling thread has finished its reads for now (between requests):
 * a read left open by a statement that was not reset would pin this
 * thread's snapshot, and every later read would see the register as it
 * was then. Ends it, and logs the statement. */
void store_reads_done(struct store *st);

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

/* The audit log as an RFC 9162 Merkle tree (docs/audit.md). Entry idx is
 * its leaf index, from 0 (the log.start entry). */
/* The log's Ed25519 public key. */
enum mu_err store_audit_key(struct store *st, unsigned char pk[32]) MU_MUSTCHECK;
/* The latest signed tree head; MU_ENOTFOUND before the first. */
enum mu_err store_audit_head(struct store *st, struct audit_head *out) MU_MUSTCHECK;
/* Sign and store a head now if the tree grew since the last; *out is the
 * latest head either way. Runs on the writer. */
enum mu_err store_audit_publish(struct store *st, struct audit_head *out) MU_MUSTCHECK;
/* Entry idx and its stored leaf hash (leaf_hash may be NULL). */
enum mu_err store_audit_get(struct store *st, int64_t idx, struct audit_entry *e,
			    unsigned char leaf_hash[32]) MU_MUSTCHECK;
/* The number of committed entries (the current tree size). */
enum mu_err store_audit_size(struct store *st, int64_t *size) MU_MUSTCHECK;
/* Inclusion proof of entry idx in the tree of `size` entries (idx < size
 * <= current size, else MU_EINVAL) into proof[0..*n), AUDIT_PROOF_MAX
 * long; root (may be NULL) gets that tree's root. */
enum mu_err store_audit_inclusion(struct store *st, int64_t idx, int64_t size,
				  unsigned char (*proof)[32], size_t *n,
				  unsigned char root[32]) MU_MUSTCHECK;
/* Consistency proof between tree sizes 0 < from <= to <= current size,
 * with both roots (may be NULL). */
enum mu_err store_audit_consistency(struct store *st, int64_t from, int64_t to,
				    unsigned char (*proof)[32], size_t *n,
				    unsigned char from_root[32],
				    unsigned char to_root[32]) MU_MUSTCHECK;
/* Append n entries in one transaction (bulk writers, the bench); each
 * v[i].idx is set to the index it was given. */
enum mu_err store_audit_append_many(struct store *st, struct audit_entry *v,
				    size_t n) MU_MUSTCHECK;
/* Verify the register file at path without opening it for writing: the
 * whole tree recomputed from the entries, every stored interior hash and
 * every signed head checked against pk (NULL: the key in the register).
 * MU_OK when intact; MU_ECONFLICT when broken (see *rep); other codes
 * when the file cannot be read. */
enum mu_err store_audit_verify_file(const char *path, const unsigned char *pk,
				    struct audit_report *rep,
				    struct mu_error *err) MU_MUSTCHECK;

/* Campaigns (sqlite_campaign.c). campaign_scan calls cb for every active
 * or removed person born in [born_from, born_to] in national_id order, with
 * the facts that may exclude them; cb returns nonzero to stop. */
enum mu_err store_campaign_scan(struct store *st, int purpose, const char *born_from,
				const char *born_to, const char *exclude_id,
				campaign_scan_cb cb, void *ctx) MU_MUSTCHECK;
/* Create a draft with its selection (replace: recompute an existing draft). */
enum mu_err store_campaign_put(struct store *st, const struct campaign *c,
			       const struct campaign_member *m, size_t n, int replace,
			       const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_campaign_get(struct store *st, const char *id,
			       struct campaign *c) MU_MUSTCHECK;
enum mu_err store_campaign_list(struct store *st, struct campaign **out,
				size_t *n) MU_MUSTCHECK;
/* The members of a campaign in selection order: limit of them (0: all)
 * after the first offset; *total is the selection's size. */
enum mu_err store_campaign_members(struct store *st, const char *id, int64_t offset,
				   size_t limit, struct campaign_member **out, size_t *n,
				   int64_t *total) MU_MUSTCHECK;
/* The members of a campaign in selection order, each with the person's
 * record and the facts that may exclude them now (as campaign_scan, plus
 * seq and has_account), in one read: cb returns nonzero to stop. */
enum mu_err store_campaign_member_scan(struct store *st, const char *id,
				       campaign_scan_cb cb, void *ctx) MU_MUSTCHECK;
/* Every summons not cancelled (nor set aside by an upheld appeal) whose
 * report time lies in [from, to]: cb(office, report_at). For the slots a
 * campaign draft may still use. */
enum mu_err store_slots_taken(struct store *st, int64_t from, int64_t to,
			      slot_taken_cb cb, void *ctx) MU_MUSTCHECK;
/* Issue every member's summons in one transaction, all or none. Members
 * who are no longer eligible (removed, an open summons for the purpose) get
 * m[i].excluded = 1 and no summons. Fails with MU_ECONFLICT unless the
 * campaign is still a draft. c carries approved_by/approved_at/hash. pr
 * (may be NULL) follows the work inside the transaction; a rolled back
 * issue leaves it wherever it got to. */
enum mu_err store_campaign_issue(struct store *st, const struct campaign *c,
				 struct campaign_member *m, size_t n,
				 const struct audit_ctx *a, struct store_progress *pr,
				 size_t *issued, struct mu_error *err) MU_MUSTCHECK;
/* Mark a campaign cancelled (its summonses are cancelled by the caller). */
enum mu_err store_campaign_cancel(struct store *st, const char *id, const char *reason,
				  const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* The ids of a campaign's summonses, in id order (caller frees *out). */
enum mu_err store_campaign_summons_ids(struct store *st, const char *id,
				       struct summons_id **out, size_t *n) MU_MUSTCHECK;
/* A page of up to limit (> 0) summonses of a campaign with their events,
 * after the position *after (0 to start), which moves on; an empty set at
 * the end. Memory stays bounded whatever the campaign's size. */
enum mu_err store_campaign_summonses(struct store *st, const char *id, int64_t *after,
				     size_t limit, struct summons_set **out) MU_MUSTCHECK;

/* Summonses of an office issued in [from, to), in id order (print batch). */
enum mu_err store_summonses_issued(struct store *st, const char *office, int64_t from,
				   int64_t to, struct summons_set **out) MU_MUSTCHECK;
/* The summons with this verification code (MU_ENOTFOUND if none). */
enum mu_err store_summons_by_code(struct store *st, const char *code,
				  struct summons_rec **out) MU_MUSTCHECK;

/* Notices. notify_events: summons events after seq (for notices).
 * notices_add: insert notices (ignoring keys already there) and advance
 * the builder's cursors ("notify_change_cursor", "notify_event_seq" in
 * meta) in one transaction. */
enum mu_err store_notify_events(struct store *st, int64_t after_seq, size_t limit,
				struct notify_event *out, size_t *n) MU_MUSTCHECK;
enum mu_err store_notices_add(struct store *st, const struct notice *v, size_t n,
			      int64_t change_cursor, int64_t event_seq) MU_MUSTCHECK;
enum mu_err store_notices_due(struct store *st, int64_t now, size_t limit,
			      struct notice *out, size_t *n) MU_MUSTCHECK;
enum mu_err store_notice_result(struct store *st, int64_t id, const char *state,
				int attempts, int64_t next_attempt_at, int64_t sent_at,
				const char *error) MU_MUSTCHECK;
/* Notices by state, person and/or the person's office (NULL = any),
 * newest first. */
enum mu_err store_notices_list(struct store *st, const char *state, const char *nid,
			       const char *office, size_t limit, struct notice *out, size_t *n) MU_MUSTCHECK;

/* Fill an audit entry from a context. */
void audit_entry_from_ctx(struct audit_entry *e, const struct audit_ctx *a,
			  const char *action, const char *subject_type,
			  const char *subject_id, const char *person);

/* ---- bulk import (sqlite_bulk.c; the importer is ingest/importer.c) ----
 *
 * An import is a run (import_begin ... import_end) of batches; each batch
 * commits in its own transaction together with the run's progress, so a
 * crash leaves whole batches and import_begin(resume) says where to go on.
 * Rows come in key order (ingest/runs.h), so progress is the last key.
 * Rows reach the store already validated (domain/), in text; a NULL value
 * is a column the file did not have, which keeps the stored value. Persons:
 * a known national_id is updated when something differs (the earlier
 * version stays in person_history), identical rows are left alone. One
 * audit entry covers each batch (its detail names the batch, the counts and
 * a SHA-256 over "national_id:version" of the versions it wrote, which
 * person_history.import_batch lets anyone recompute). */
enum import_kind { IMPORT_OFFICES = 0, IMPORT_PERSONS, IMPORT_REMOVALS };

#define IMPORT_COLS_MAX 12
#define IMPORT_DUP_GROUP_MAX 16 /* other ids compared per name key */

struct import_counts {
	uint64_t read, inserted, updated, unchanged, rejected, flagged, cancelled;
};

struct import_run {
	int64_t id;                 /* set by import_begin */
	enum import_kind kind;
	char source[64];            /* --source, who supplied the file */
	char file[256];             /* the file's name, for people */
	unsigned char digest[32];   /* BLAKE2b-256 of the file's bytes */
	char options[64];           /* e.g. "partial,last-wins" */
	char last_key[NATIONAL_ID_MAX + 1]; /* rows up to this key are committed */
	int64_t batches;            /* batches committed */
	struct import_counts c;     /* totals committed so far */
	int64_t abandoned;          /* begin: an unfinished run of the file closed */
};

/* One row: values in the kind's column order (offices: id, name, region,
 * timezone, daily_capacity; persons: person_columns; removals: national_id,
 * reason, date). */
struct import_row {
	const char *v[IMPORT_COLS_MAX];
	uint64_t line;
	int has_summons;            /* out, removals: the person has summonses */
};

struct import_batch {
	const struct import_run *run;
	struct import_row *rows;    /* in key order (sorted again by the store) */
	size_t n;                   /* at least 1 */
	struct import_counts c;     /* out: what this batch did */
};

/* A possible duplicate: two ids with the same normalised full name and
 * birth date (ingest/match.h). */
struct dup_pair {
	int64_t id;
	char a[NATIONAL_ID_MAX + 1], b[NATIONAL_ID_MAX + 1]; /* a < b */
	int same_address;
	int64_t found_at;
	int64_t run_id;             /* the import that found it, 0 if none */
	char state[16];             /* open */
};

struct dup_filter {
	int64_t after;              /* id cursor */
	size_t limit;
};

/* Where the current value of each person column came from: the version
 * that set it, with that version's source and instant. */
struct field_source {
	int64_t version;
	int64_t at;
	char source[64];
};

/* Start a run (resume = 0) or find the latest interrupted (running) or
 * failed run of the same kind and digest (resume = 1; MU_ENOTFOUND if there
 * is none) and fill last_key and the totals from it. A new run closes such
 * a run of the same file as abandoned (run->abandoned). */
enum mu_err store_import_begin(struct store *st, struct import_run *run, int resume,
			       const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Write one batch in one transaction, with the run's progress and the
 * batch's audit entry. b->c gets what it did; on failure nothing of it
 * stays and err names the line. */
enum mu_err store_import_batch(struct store *st, struct import_batch *b,
			       const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Write batches in one transaction, each as store_import_batch does: next
 * gives them one after another (from the writer's thread) and NULL when
 * the transaction is to commit. When next is called again, the batch it
 * gave last is written (its c filled) and the store no longer looks at
 * it. On failure nothing of any of them stays. */
enum mu_err store_import_batches(struct store *st, import_next_fn next, void *arg,
				 const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Close a run: done (ok) or failed, with its totals. */
enum mu_err store_import_end(struct store *st, struct import_run *run, int ok,
			     const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Open duplicate candidates after f->after, by id, at most min(cap, limit). */
enum mu_err store_dup_list(struct store *st, const struct dup_filter *f,
			   struct dup_pair *out, size_t cap, size_t *n) MU_MUSTCHECK;
/* One candidate by id, whatever its state; MU_ENOTFOUND. */
enum mu_err store_dup_get(struct store *st, int64_t id, struct dup_pair *out) MU_MUSTCHECK;
/* Decide open candidate id: state "distinct" or "same_person", with a note;
 * audited for each of the two persons. MU_ENOTFOUND, or MU_ECONFLICT when
 * it was decided already. */
enum mu_err store_dup_resolve(struct store *st, int64_t id, const char *state,
			      const char *note, const struct audit_ctx *a,
			      struct mu_error *err) MU_MUSTCHECK;
/* out[i] for person_columns[i] (12 entries), derived from the history. */
enum mu_err store_person_provenance(struct store *st, const char *id,
				    struct field_source *out) MU_MUSTCHECK;
/* The audit entries (indexes above after, ascending, at most cap) of the
 * import batches that wrote a version of person id: an import batch has
 * one entry for all its persons (sqlite_bulk.c), so the person's access
 * log adds these to the entries that name them. */
enum mu_err store_person_import_audits(struct store *st, const char *id, int64_t after,
				       int64_t *out, size_t cap, size_t *n) MU_MUSTCHECK;


/* ---- due process (sqlite_due.c; docs/due-process.md) ----
 *
 * Every write is one transaction with its audit record; decided claims
 * cannot be decided again (MU_ECONFLICT), and nothing is ever deleted.
 * Records go in complete (ids, stamps and states set by the caller, app/). */

/* Everything of person nid (all six lists, oldest first), read in one
 * transaction; fitness decisions carry set_aside_at from upheld appeals.
 * A person without records gets an empty set. Free with due_set_free. */
enum mu_err store_due_of_person(struct store *st, const char *nid,
				struct due_set **out) MU_MUSTCHECK;
void due_set_free(struct due_set *d);
/* The person a due-process record (any kind, by id) belongs to. */
enum mu_err store_due_owner(struct store *st, const char *id,
			    char nid[NATIONAL_ID_MAX + 1]) MU_MUSTCHECK;
/* Record a fitness decision and, with it, pc (the person's fitness). */
enum mu_err store_fitness_add(struct store *st, const struct fitness_rec *f,
			      const struct person_change *pc, const struct audit_ctx *a,
			      struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_exemption_add(struct store *st, const struct exemption_rec *e,
				const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Revoke e->id (of e->national_id) with e->revoked and e->revoke_reason;
 * MU_ECONFLICT if already revoked, MU_ENOTFOUND if not that person's. */
enum mu_err store_exemption_revoke(struct store *st, const struct exemption_rec *e,
				   const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_override_add(struct store *st, const struct override_rec *o,
			       const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Move override o->id one step (see enum override_step) with o->decided /
 * o->used / o->summons_id / o->decision_note. MU_ECONFLICT when it is not
 * in the state the step starts from; MU_EFORBIDDEN when the approver is
 * the requester (four eyes, enforced here too). */
enum mu_err store_override_step(struct store *st, const struct override_rec *o,
				enum override_step step, const struct audit_ctx *a,
				struct mu_error *err) MU_MUSTCHECK;
/* Overrides in `state`, oldest first, at most STORE_LIST_MAX; caller frees. */
enum mu_err store_override_list(struct store *st, enum due_state state,
				struct override_rec **out, size_t *n) MU_MUSTCHECK;
enum mu_err store_excuse_add(struct store *st, const struct excuse_rec *e,
			     const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Decide a pending excuse: e->state, e->decided, e->decision_reason,
 * e->new_report_at, e->event_seq. MU_ECONFLICT if already decided. */
enum mu_err store_excuse_decide(struct store *st, const struct excuse_rec *e,
				const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_appeal_add(struct store *st, const struct appeal_rec *r,
			     const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Decide a pending appeal (r->state, r->decided, r->reference), with pc. */
enum mu_err store_appeal_decide(struct store *st, const struct appeal_rec *r,
				const struct person_change *pc, const struct audit_ctx *a,
				struct mu_error *err) MU_MUSTCHECK;
enum mu_err store_correction_add(struct store *st, const struct correction_rec *c,
				 const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Decide a pending correction; accepted ones carry pc (the corrected
 * record, written with its history like store_person_put). */
enum mu_err store_correction_decide(struct store *st, const struct correction_rec *c,
				    const struct person_change *pc,
				    const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* Pending corrections whose deadline is at or before now, oldest deadline
 * first, at most STORE_LIST_MAX; caller frees *out. */
enum mu_err store_correction_overdue(struct store *st, int64_t now,
				     struct correction_rec **out, size_t *n) MU_MUSTCHECK;

/* ---- delivery channels (sqlite_portal.c; docs/channels.md) ---- */

#define CHANNELS_MAX 3

/* One channel of a summons' plan: account, post or in_person. The state
 * stored is the plan's ("planned"); the state shown is derived from the
 * summons' events (app_channels.c). */
struct channel_entry {
	char channel[12];
	char state[16];
	char reference[128];
	int64_t updated_at;
};

/* A push of a summons to the external portal, in the outbox. */
struct portal_push {
	int64_t id;
	char summons_id[SUMMONS_ID_MAX + 1];
	char body[1024];            /* the JSON sent, signed as is */
	char state[10];             /* pending, sent, failed */
	int attempts;
	int64_t next_attempt_at, created_at, sent_at;
	char last_error[160];
};

/* Open (provider "builtin" or "external") or, with provider NULL, close
 * the portal account of nid, with its audit record. Closing an account
 * that is not open is MU_ENOTFOUND. */
enum mu_err store_account_set(struct store *st, const char *nid, const char *provider,
			      const struct audit_ctx *a, struct mu_error *err) MU_MUSTCHECK;
/* The provider of nid's open account; MU_ENOTFOUND if none is open. */
enum mu_err store_account_get(struct store *st, const char *nid,
			      char provider[16]) MU_MUSTCHECK;
/* Store the channel plan of a summons and, when push_body is not NULL,
 * queue its push to the external portal, in one transaction. */
enum mu_err store_channels_put(struct store *st, const char *summons_id,
			       const struct channel_entry *v, size_t n,
			       const char *push_body, int64_t at) MU_MUSTCHECK;
/* The stored plan (at most cap entries, in plan order). */
enum mu_err store_channels_get(struct store *st, const char *summons_id,
			       struct channel_entry *out, size_t cap, size_t *n) MU_MUSTCHECK;
/* Remember (message_id, type); MU_ECONFLICT if it was seen before. */
enum mu_err store_nonce_claim(struct store *st, const char *message_id,
			      const char *type, int64_t at) MU_MUSTCHECK;
/* Pending pushes due at now, and the outcome of one attempt. */
enum mu_err store_pushes_due(struct store *st, int64_t now, size_t limit,
			     struct portal_push *out, size_t *n) MU_MUSTCHECK;
enum mu_err store_push_result(struct store *st, int64_t id, const char *state,
			      int attempts, int64_t next_attempt_at, int64_t sent_at,
			      const char *error) MU_MUSTCHECK;

#endif
