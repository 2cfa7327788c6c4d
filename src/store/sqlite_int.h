/*
 * sqlite_int.h: internals shared by the SQLite backend's files (sqlite.c:
 * connections, the writer thread, migrations, the audit chain;
 * sqlite_ops.c: the methods). Nothing outside src/store includes this.
 */
#ifndef MU_SQLITE_INT_H
#define MU_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "store/store.h"

struct sq_job;

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
	} stmts[96];
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
	size_t aq_n, aq_cap;
	int flush_ms;

	/* audit chain, writer thread only */
	int64_t last_idx;
	unsigned char last_hash[32];

	pthread_mutex_t readers_mu;
	struct sq_reader *readers;    /* every reader connection, for close */
};

struct sq_reader {
	struct sq_conn c;
	uint64_t gen;
	struct sq_reader *next_all;   /* in the store's list */
	struct sq_reader *next_tl;    /* in the thread's list */
};

/* The calling thread's read-only connection, opened on first use. */
struct sq_conn *sq_reader(struct sq_store *s);
/* A cached prepared statement on c for sql (a string literal: cached by
 * pointer), reset and cleared. NULL on failure. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, const char *sql);
/* Run fn on the writer thread in its own transaction and wait. */
enum mu_err sq_write(struct sq_store *s, sq_write_fn fn, void *arg,
		     struct mu_error *err) MU_MUSTCHECK;
/* Append an audit entry inside the current write transaction. Sets e->idx. */
enum mu_err sq_audit_put(struct sq_store *s, struct audit_entry *e) MU_MUSTCHECK;
/* Map a SQLite result code to mu_err. */
enum mu_err sq_err(sqlite3 *db, int rc, struct mu_error *err);

/* The hash of an entry chained on prev (SHA-256(prev || canonical)). */
void sq_audit_hash(const unsigned char prev[32], const struct audit_entry *e,
		   unsigned char out[32]);

extern const struct store_ops sq_ops;

#define SQ_TEXT(st, i) ((const char *)sqlite3_column_text((st), (i)) ? \
	(const char *)sqlite3_column_text((st), (i)) : "")

/* Copy column i as text into a fixed array. */
#define SQ_COPY(dst, st, i) snprintf((dst), sizeof(dst), "%s", SQ_TEXT(st, i))

enum mu_err sq_audit_read(struct store *st, const struct audit_entry *e);

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
