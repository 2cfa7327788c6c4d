/*
 * sqlite_int.h: internals shared by the SQLite backend's files (sqlite.c:
 * connections, the writer thread, migrations; sqlite_audit.c: the audit
 * Merkle log; sqlite_ops.c: the methods). Nothing outside src/store
 * includes this.
 */
#ifndef MU_SQLITE_INT_H
#define MU_SQLITE_INT_H

#include <pthread.h>
#include <sys/types.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "audit/merkle.h"
#include "store/checkidx.h"
#include "store/store.h"

struct sq_job;

/* The audit log's append state (sqlite_audit.c), writer thread only
 * except pk, which is fixed at open. */
struct sq_audit {
	struct merkle_tree tree;      /* right border; tree.size = next idx */
	struct audit_head head;       /* the last published signed head */
	int64_t head_tried_ms;        /* last publication attempt */
	unsigned char sk[64];
	unsigned char pk[32];
};

/* One posting: entry idx has value `key` of kind `kind`. */
struct ach_post {
	int64_t key;
	int64_t idx;
	int kind;
};

/* The writer's postings of the audit log's open bucket
 * (sqlite_audit_chunk.c); outside struct sq_audit: after a rollback it is
 * rebuilt from the register, not restored. */
struct ach_open {
	struct ach_post *v;
	size_t n, cap;
	int valid;
};

/* A write job: runs on the writer connection inside BEGIN IMMEDIATE; its
 * return decides COMMIT (MU_OK) or ROLLBACK. */
struct sq_store;
typedef enum mu_err (*sq_write_fn)(struct sq_store *s, void *arg,
				   struct mu_error *err);

struct sq_conn {
	sqlite3 *db;
	size_t n_stmts;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[256];
	sqlite3_stmt *spill;          /* beyond the cache: kept until the next */
	struct ach_blooms *blooms;    /* sqlite_audit_chunk.c: sealed postings'
				       * Bloom filters, built on first read */
};
/* Free c's Bloom filters (sqlite_audit_chunk.c). */
void ach_blooms_free(struct sq_conn *c);

/* The checks' in-memory index (sqlite_checkidx.c). */
struct checkidx;
struct ci_pending {
	char id[NATIONAL_ID_MAX + 1];
	struct ci_state st;
};
#define CI_POLL_MS 20 /* the writer looks for foreign commits this often */
struct sq_ci {
	uint64_t *gen;                /* <register>-gen, shared by all processes;
				       * the pointer is atomic (a reopen) */
	char *gen_path;
	int fd, attached;
	int need_counter;             /* a file register: writes need the counter */
	dev_t dev;                    /* the counter file's identity, to notice */
	ino_t ino;                    /* it replaced or deleted (sq_ci_poll) */
	uint64_t *old[8];             /* mappings replaced by a reopen */
	size_t n_old;
	int enabled;                  /* set before serving, then read-only */
	int poll_ms;
	pthread_rwlock_t lk;
	struct checkidx *idx;         /* under lk, with what follows */
	int valid;
	uint64_t at_gen;              /* idx is exact while *gen equals this */
	int64_t max_rec, min_due;     /* max reconciled_at, min next_due */
	int want_rebuild;
	/* writer thread only */
	int touched, over, bumped;
	uint64_t bumped_from;
	int64_t *rowids;
	size_t n_rowids, cap_rowids;
	struct ci_pending *pend;
	size_t n_pend, cap_pend;
	int64_t p_max_rec, p_min_due;
	int64_t rebuilt_ms, rebuild_took_ms, data_version, polled_ms;
	uint64_t hits, misses, rebuilds; /* atomic */
};

/* sqlite.c: rate limit of a repeating log line. */
struct sq_log_limit {
	int64_t last;
	uint64_t skipped;
	char text[64];
};

struct sq_store {
	struct store base;
	char *path;
	uint64_t gen;                 /* unique per open, keys thread readers */
	struct sq_conn w;             /* the writer connection */
	int schema_version;

	pthread_t writer;
	int writer_started;
	pthread_mutex_t mu;
	pthread_cond_t wake;          /* writer waits here */
	struct sq_job *jobs, *jobs_tail;
	int stopping;

	struct audit_entry *aq;       /* queued read audits */
	size_t aq_n, aq_cap;          /* queued; the queue's bound (--audit-queue) */
	size_t aq_room;               /* slots allocated in aq */
	struct audit_entry *aq_spare; /* the writer commits one array while */
	size_t aq_spare_room;         /*   the readers fill the other */
	enum {                        /* the queue's bound is AQ_BURST times */
		BURST_NONE,           /*   aq_cap (sqlite.c) while a job that */
		BURST_JOB,            /*   adopts read audits runs, and until */
		BURST_DRAIN           /*   the flush after it commits */
	} aq_burst;
	uint64_t aq_enqueued;         /* read audits ever queued */
	uint64_t aq_flushed;          /* read audits ever taken for commit */
	int aq_failures;              /* flushes failed in a row */
	uint64_t aq_lost;             /* records of answered reads given up */
	uint64_t jobs_seq;            /* write jobs ever queued (under mu) */
	struct sq_log_limit flush_log, head_log; /* writer thread only */
	struct {                      /* read audits adopted by the job that runs */
		unsigned char *enc;   /* their leaf encodings, one after the other */
		size_t len, cap, n;
	} adopted;
	int flush_ms;
	int busy_ms;                  /* the writer's busy timeout */

	pthread_t ckpt;               /* the checkpointer (sqlite.c) */
	int ckpt_started, ckpt_stop, ckpt_due;
	pthread_mutex_t ckpt_mu;
	pthread_cond_t ckpt_cv;

	struct sq_audit audit;        /* sqlite_audit.c; restored on rollback */
	struct ach_open ach;          /* sqlite_audit_chunk.c */

	pthread_mutex_t readers_mu;
	struct sq_reader *readers;    /* every reader connection, for close */

	struct sq_ci ci;              /* sqlite_checkidx.c */
};

struct sq_reader {
	struct sq_conn c;
	uint64_t gen;
	struct sq_reader *next_all;   /* in the store's list */
	struct sq_reader *next_tl;    /* in the thread's list */
	int used;                     /* handed out since the last sq_reads_done */
};

/* The calling thread's read-only connection, opened on first use. */
struct sq_conn *sq_reader(struct sq_store *s);
/* A cached prepared statement on c for sql (a string literal: cached by
 * pointer), reset and cleared. NULL on failure. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, const char *sql);
/* Run fn on the writer thread in its own transaction and wait. */
enum mu_err sq_write(struct sq_store *s, sq_write_fn fn, void *arg,
		     struct mu_error *err) MU_MUSTCHECK;
/* Inside a write job: move the queued read audits into the job's
 * transaction, so that a long job (a campaign's issuing) does not leave
 * the queue to fill up and reads to be refused. Kept aside until the job
 * ends: if it rolls back, they go back to the queue. */
enum mu_err sq_audit_adopt(struct sq_store *s) MU_MUSTCHECK;
/* Append an audit entry inside the current write transaction. Sets e->idx. */
enum mu_err sq_audit_put(struct sq_store *s, struct audit_entry *e) MU_MUSTCHECK;
/* The same for v[0..n), in order, several rows per statement. On failure
 * the transaction is already rolled back: return the error at once. */
enum mu_err sq_audit_put_many(struct sq_store *s, struct audit_entry *v,
			      size_t n) MU_MUSTCHECK;
/* sqlite_checkidx.c: the counter file and the hooks on the writer
 * connection (every process); the index (the server: sq_ci_enable). */
void sq_ci_attach(struct sq_store *s);
void sq_ci_detach(struct sq_store *s);
/* The server: before the writer starts, then its first load. */
void sq_ci_configure(struct sq_store *s, int poll_ms);
enum mu_err sq_ci_load(struct sq_store *s, struct mu_error *err) MU_MUSTCHECK;
void sq_ci_begin(struct sq_store *s);
/* MU_EIO when the job changed persons and this process has no counter. */
enum mu_err sq_ci_before_commit(struct sq_store *s, struct mu_error *err) MU_MUSTCHECK;
void sq_ci_after(struct sq_store *s, int committed);
/* How long the writer may sleep: -1 no limit. */
int sq_ci_poll_ms(struct sq_store *s);
void sq_ci_poll(struct sq_store *s, enum mu_err (*run)(struct sq_store *, sq_write_fn,
						      void *, struct mu_error *));
/* 1 when answered from memory into *out; 0: read the register. */
int sq_ci_check(struct sq_store *s, const char *nid, enum restr_kind kind,
		struct check_row *out);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t sq_mono_ms(void);
/* The restrictions of nid in force, as recorded, into out's imposed, since
 * and basis (the rest of out untouched): c's current transaction. */
enum mu_err sq_restr_rows(struct sq_conn *c, const char *nid, struct restr_state *out);

/* Map a SQLite result code to mu_err. */
enum mu_err sq_err(sqlite3 *db, int rc, struct mu_error *err);

/* sqlite_audit.c. Open: load (or make) the key, start or convert the
 * log, load the tree's border and last head; before the writer starts. */
enum mu_err sq_audit_open(struct sq_store *s, struct mu_error *err) MU_MUSTCHECK;
/* Under the write lock: catch up with entries another process appended
 * (reloads the border and last head when the log grew). */
enum mu_err sq_audit_sync(struct sq_store *s) MU_MUSTCHECK;
/* Milliseconds until a signed head is due: -1 none pending, 0 now. */
int64_t sq_audit_head_wait_ms(struct sq_store *s);
/* Note a failed try to sign a head (on the clock the wait uses). */
void sq_audit_head_tried(struct sq_store *s);
/* Write job: sign and store a head if the tree grew; arg is NULL or a
 * struct audit_head * that gets the latest head. */
enum mu_err sq_audit_publish_job(struct sq_store *s, void *arg, struct mu_error *err);
enum mu_err sq_m_audit_append(struct store *st, const struct audit_entry *e);
enum mu_err sq_m_audit_list(struct store *st, const struct audit_filter *f,
			    struct audit_entry *out, size_t cap, size_t *n);
enum mu_err sq_m_audit_verify(struct store *st, int64_t *n_entries, int64_t *bad_idx,
			      struct mu_error *err);
enum mu_err sq_m_audit_key(struct store *st, unsigned char pk[32]);
enum mu_err sq_m_audit_head(struct store *st, struct audit_head *out);
enum mu_err sq_m_audit_publish(struct store *st, struct audit_head *out);
enum mu_err sq_m_audit_get(struct store *st, int64_t idx, struct audit_entry *e,
			   unsigned char leaf_hash[32]);
enum mu_err sq_m_audit_size(struct store *st, int64_t *size);
enum mu_err sq_m_audit_inclusion(struct store *st, int64_t idx, int64_t size,
				 unsigned char (*proof)[32], size_t *n,
				 unsigned char root[32]);
enum mu_err sq_m_audit_consistency(struct store *st, int64_t from, int64_t to,
				   unsigned char (*proof)[32], size_t *n,
				   unsigned char from_root[32], unsigned char to_root[32]);
enum mu_err sq_m_audit_append_many(struct store *st, struct audit_entry *v, size_t n);

/* persons.family_key (migration 017): match_norm() of the family name, in
 * a buffer this big (folding never makes a name longer). */
#define PERSON_KEY_MAX (NAME_MAX_LEN * 4 + 8)
#define PERSON_COLS "national_id, family_name, given_name, patronymic," \
	" birth_date, sex, region, office, address, phone, email, fitness," \
	" status, removal_reason, removal_date, version, updated_at, source"
#define SUMMONS_COLS "s.id, s.national_id, s.office, s.purpose, s.issued_at," \
	" s.report_at, s.verification_code, s.created_by, s.campaign," \
	" o.timezone, o.name"

/* sqlite_ops.c helpers shared with the other sqlite_*.c files. */
void sq_row_person(sqlite3_stmt *q, struct person *p);   /* PERSON_COLS */
void sq_row_summons(sqlite3_stmt *q, struct summons_rec *r); /* SUMMONS_COLS */
/* The person id on c: 1 found, 0 not, -1 error. */
int sq_person_get(struct sq_conn *c, const char *id, struct person *p);
/*
 * person_history keeps the versions of a person that were replaced; the
 * current one is the persons row itself (its version, updated_at, source
 * and import_batch), so a new person costs one row, not two (migration
 * 016). Whoever writes version v + 1 first keeps version v
 * (sq_history_keep copies the row's metadata beside the record it is
 * given), and readers take the current version from persons.
 */
#define HISTORY_CURRENT ""
/* A person's versions in one statement (one snapshot): PERSON_COLS of the
 * persons row for the current version (NULL for the others), then record
 * (HISTORY_CURRENT for the current one), version, updated_at, source from
 * HISTORY_COL on. ?1 is the id. */
#define HISTORY_NULLS "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL," \
	" NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
#define HISTORY_SQL(order) "SELECT " HISTORY_NULLS ", record, version, updated_at," \
	" source FROM person_history WHERE national_id = ?1 UNION ALL SELECT " \
	PERSON_COLS ", '" HISTORY_CURRENT "', version, updated_at, source FROM persons" \
	" WHERE national_id = ?1 ORDER BY 20 " order
#define HISTORY_COL 18
/* 1 if a summons names office id, 0 if none, -1 on a store error. A scan
 * of summonses: asked only when an office's time zone would change. */
int sq_office_has_summonses(struct sq_conn *c, const char *id);
/* Keep the current version of person id, whose record is `record`, in the
 * history: before the persons row is overwritten by the next version. */
enum mu_err sq_history_keep(struct sq_store *s, const char *id, const char *record,
			    struct mu_error *err) MU_MUSTCHECK;
enum mu_err sq_load_events(struct sq_conn *c, struct summons_rec *r);
/* Append every row of q (a bound SELECT of SUMMONS_COLS) to set with its
 * events; q is reset. On failure set holds what was read (free it). */
enum mu_err sq_load_set(struct sq_conn *c, sqlite3_stmt *q, struct summons_set *set);
/* Append an audit entry in the current write transaction; detail (may be
 * NULL) is stolen. */
struct json_t;
enum mu_err sq_audit_write(struct sq_store *s, const struct audit_ctx *a,
			   const char *action, const char *stype, const char *sid,
			   const char *person, struct json_t *detail, int64_t *idx);

/* sqlite_campaign.c */
enum mu_err sqc_campaign_scan(struct store *st, int purpose, const char *born_from,
			      const char *born_to, const char *exclude_id,
			      campaign_scan_cb cb, void *ctx);
enum mu_err sqc_campaign_put(struct store *st, const struct campaign *c,
			     const struct campaign_member *m, size_t n, int replace,
			     const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqc_campaign_get(struct store *st, const char *id, struct campaign *c);
enum mu_err sqc_campaign_list(struct store *st, struct campaign **out, size_t *n);
enum mu_err sqc_campaign_members(struct store *st, const char *id, int64_t offset,
				 size_t limit, struct campaign_member **out, size_t *n,
				 int64_t *total);
enum mu_err sqc_slots_taken(struct store *st, int64_t from, int64_t to,
			    slot_taken_cb cb, void *ctx);
enum mu_err sqc_campaign_member_scan(struct store *st, const char *id,
				     campaign_scan_cb cb, void *ctx);
enum mu_err sqc_campaign_issue(struct store *st, const struct campaign *c,
			       struct campaign_member *m, size_t n,
			       const struct audit_ctx *a, struct store_progress *pr,
			       size_t *issued, struct mu_error *err);
enum mu_err sqc_campaign_cancel(struct store *st, const char *id, const char *reason,
				const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqc_campaign_summons_ids(struct store *st, const char *id,
				     struct summons_id **out, size_t *n);
enum mu_err sqc_campaign_summonses(struct store *st, const char *id, int64_t *after,
				   size_t limit, struct summons_set **out);

/* sqlite_ops.c: upsert a person inside the current write job, exactly as
 * store_person_put does (history, "person.update" audit record). */
enum mu_err sq_person_put_tx(struct sq_store *s, const struct person *p,
			     const struct audit_ctx *a, struct mu_error *err);

/* sqlite_due.c: due process (store.h) */
enum mu_err sqd_due_of_person(struct store *st, const char *nid, struct due_set **out);
enum mu_err sqd_due_owner(struct store *st, const char *id, char nid[NATIONAL_ID_MAX + 1]);
enum mu_err sqd_fitness_add(struct store *st, const struct fitness_rec *f,
			    const struct person_change *pc, const struct audit_ctx *a,
			    struct mu_error *err);
enum mu_err sqd_exemption_add(struct store *st, const struct exemption_rec *e,
			      const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_exemption_revoke(struct store *st, const struct exemption_rec *e,
				 const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_override_add(struct store *st, const struct override_rec *o,
			     const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_override_step(struct store *st, const struct override_rec *o,
			      enum override_step step, const struct audit_ctx *a,
			      struct mu_error *err);
enum mu_err sqd_override_list(struct store *st, enum due_state state,
			      struct override_rec **out, size_t *n);
enum mu_err sqd_excuse_add(struct store *st, const struct excuse_rec *e,
			   const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_excuse_decide(struct store *st, const struct excuse_rec *e,
			      const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_appeal_add(struct store *st, const struct appeal_rec *r,
			   const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_appeal_decide(struct store *st, const struct appeal_rec *r,
			      const struct person_change *pc, const struct audit_ctx *a,
			      struct mu_error *err);
enum mu_err sqd_correction_add(struct store *st, const struct correction_rec *c,
			       const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_correction_decide(struct store *st, const struct correction_rec *c,
				  const struct person_change *pc,
				  const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqd_correction_overdue(struct store *st, int64_t now,
				   struct correction_rec **out, size_t *n);

/* sqlite_channels.c */
enum mu_err sqch_summons_by_code(struct store *st, const char *code,
				 struct summons_rec **out);
enum mu_err sqch_summonses_issued(struct store *st, const char *office, int64_t from,
				  int64_t to, struct summons_set **out);

/* sqlite_notices.c */
enum mu_err sqn_notify_events(struct store *st, int64_t after_seq, size_t limit,
			      struct notify_event *out, size_t *n);
enum mu_err sqn_notices_add(struct store *st, const struct notice *v, size_t n,
			    int64_t change_cursor, int64_t event_seq);
enum mu_err sqn_notices_due(struct store *st, int64_t now, size_t limit,
			    struct notice *out, size_t *n);
enum mu_err sqn_notice_result(struct store *st, int64_t id, const char *state,
			      int attempts, int64_t next_attempt_at, int64_t sent_at,
			      const char *error);
enum mu_err sqn_notices_list(struct store *st, const char *state, const char *nid,
			     const char *office,
			     size_t limit, struct notice *out, size_t *n);

extern const struct store_ops sq_ops;

#define SQ_TEXT(st, i) ((const char *)sqlite3_column_text((st), (i)) ? \
	(const char *)sqlite3_column_text((st), (i)) : "")

/* Copy column i as text into a fixed array, cut to fit. A copy, not a
 * format: a campaign's scans do it tens of millions of times. */
#define SQ_COPY(dst, st, i) sq_copy((dst), sizeof(dst), (st), (i))

static inline void sq_copy(char *dst, size_t size, sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(q, i) : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = 0;
}

enum mu_err sq_audit_read(struct store *st, const struct audit_entry *v, size_t n);
void sq_reads_done(struct store *st);

/* sqlite_feed.c */
enum mu_err sqf_restr_check(struct store *st, const char *nid, enum restr_kind kind,
			    struct check_row *out);
enum mu_err sqf_feed_read_kind(struct store *st, int64_t after, const char *kind,
			       size_t limit, struct restr_change *out, size_t *n,
			       int64_t *scanned_to);
enum mu_err sqf_feed_ack(struct store *st, const char *token_id, const char *kind,
			 int64_t cursor, int64_t at);
enum mu_err sqf_feed_lags(struct store *st, struct feed_lag **out, size_t *n);
enum mu_err sq_flush(struct store *st);

#endif
