/*
 * sqlite_audit.c: the audit log as an RFC 9162 Merkle tree log on SQLite.
 *
 * Tables (migration 003): audit_log keeps the entries, idx = leaf index
 * from 0 and hash = leaf hash; audit_nodes keeps the root of every
 * complete subtree of level >= NODE_MIN_LEVEL (one row per 8 entries; a
 * lower subtree is refolded from its <= 8 leaf hashes in one range read);
 * audit_heads keeps the signed tree heads. The Ed25519 key pair lives in meta (audit.secret_key,
 * audit.public_key); a production deployment keeps the secret in an HSM
 * or a 0600 file instead (docs/audit.md).
 *
 * Appending (writer thread only): sq_audit_put encodes and hashes the
 * entry, inserts it and the stored subtrees it completes, and advances the in-memory right border s->audit.tree, all in
 * the caller's transaction; run_in_tx restores s->audit on rollback.
 * Between jobs the writer signs a new head when the tree grew and the
 * last head is a second old (sq_audit_head_wait_ms, sq_audit_publish_job).
 *
 * Reading (any thread, its read-only connection): heads, entries, and
 * inclusion and consistency proofs from stored subtrees in O(log n).
 *
 * Verifying (store_audit_verify_file) needs no writer and trusts nothing
 * stored: it recomputes every leaf and subtree from the entries, compares
 * them with what is stored, and checks every head's root and signature.
 *
 * Must not decide anything about who may read what: http/h_audit.c does.
 */
#include "store/sqlite_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit/leaf.h"
#include "audit/merkle.h"
#include "audit/sth.h"

#define HEAD_INTERVAL_MS 1000 /* publish a head at least this often */
#define UPGRADE_BATCH 256
#define NODE_MIN_LEVEL 4       /* audit_nodes keeps levels >= this */

#define AUDIT_COLS "idx, at, actor_token, actor_role, actor_office, action," \
	" subject_type, subject_id, person, purpose, request_id, detail"

static const char SQL_AUDIT_INS[] =
	"INSERT INTO audit_log(" AUDIT_COLS ", hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_NODE_INS[] =
	"INSERT INTO audit_nodes(level, idx, hash) VALUES (?,?,?)";
static const char SQL_NODE_GET[] =
	"SELECT hash FROM audit_nodes WHERE level = ?1 AND idx = ?2";
static const char SQL_HEAD_INS[] =
	"INSERT INTO audit_heads(size, root, timestamp_ms, signature) VALUES (?,?,?,?)";
static const char SQL_HEAD_LAST[] =
	"SELECT size, root, timestamp_ms, signature FROM audit_heads"
	" ORDER BY size DESC LIMIT 1";
static const char SQL_SIZE[] = "SELECT coalesce(max(idx) + 1, 0) FROM audit_log";

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void row_audit(sqlite3_stmt *q, struct audit_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->idx = sqlite3_column_int64(q, 0);
	e->at = sqlite3_column_int64(q, 1);
	SQ_COPY(e->actor_token, q, 2);
	SQ_COPY(e->actor_role, q, 3);
	SQ_COPY(e->actor_office, q, 4);
	SQ_COPY(e->action, q, 5);
	SQ_COPY(e->subject_type, q, 6);
	SQ_COPY(e->subject_id, q, 7);
	SQ_COPY(e->person, q, 8);
	SQ_COPY(e->purpose, q, 9);
	SQ_COPY(e->request_id, q, 10);
	SQ_COPY(e->detail, q, 11);
}

/* Column i as a 32-byte hash; 0 if it is not one. */
static int col_hash(sqlite3_stmt *q, int i, unsigned char out[32])
{
	if (sqlite3_column_bytes(q, i) != 32)
		return 0;
	memcpy(out, sqlite3_column_blob(q, i), 32);
	return 1;
}

static void row_head(sqlite3_stmt *q, struct audit_head *h)
{
	memset(h, 0, sizeof(*h));
	h->size = sqlite3_column_int64(q, 0);
	col_hash(q, 1, h->root);
	h->timestamp_ms = sqlite3_column_int64(q, 2);
	if (sqlite3_column_bytes(q, 3) == 64)
		memcpy(h->sig, sqlite3_column_blob(q, 3), 64);
}

/* ---- stored subtrees as a merkle_src ---------------------------------- */

static const char SQL_LEAVES[] =
	"SELECT hash FROM audit_log WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";

/* A low subtree (level < NODE_MIN_LEVEL) folded from its leaf hashes. */
static int fold_leaves(struct sq_conn *c, unsigned level, uint64_t index,
		       unsigned char out[32])
{
	unsigned char h[1u << NODE_MIN_LEVEL][32];
	sqlite3_stmt *q = sq_stmt(c, SQL_LEAVES);
	size_t want = (size_t)1 << level, n = 0;

	if (!q)
		return 0;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)(index << level));
	sqlite3_bind_int64(q, 2, (sqlite3_int64)((index + 1) << level));
	while (n < want && sqlite3_step(q) == SQLITE_ROW && col_hash(q, 0, h[n]))
		n++;
	sqlite3_reset(q);
	if (n != want)
		return 0;
	for (; want > 1; want /= 2)
		for (size_t i = 0; i < want / 2; i++)
			merkle_node_hash(h[2 * i], h[2 * i + 1], h[i]);
	memcpy(out, h[0], 32);
	return 1;
}

static enum mu_err get_node(void *ctx, unsigned level, uint64_t index,
			    unsigned char out[32])
{
	struct sq_conn *c = ctx;
	sqlite3_stmt *q;
	int found;

	if (level < NODE_MIN_LEVEL) {
		found = fold_leaves(c, level, index, out);
		goto out;
	}
	if (!(q = sq_stmt(c, SQL_NODE_GET)))
		return MU_EIO;
	sqlite3_bind_int(q, 1, (int)level);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)index);
	found = sqlite3_step(q) == SQLITE_ROW && col_hash(q, 0, out);
	sqlite3_reset(q);
out:
	if (!found)
		fprintf(stderr, "muster: store: audit tree node (%u, %llu) is missing; "
			"run muster audit verify\n", level, (unsigned long long)index);
	return found ? MU_OK : MU_EIO;
}

/* ---- appending (writer thread) ---------------------------------------- */

static enum mu_err emit_node(void *ctx, unsigned level, uint64_t index,
			     const unsigned char h[32])
{
	struct sq_store *s = ctx;
	sqlite3_stmt *q;

	if (level < NODE_MIN_LEVEL)
		return MU_OK;
	if (!(q = sq_stmt(&s->w, SQL_NODE_INS)))
		return MU_EIO;
	sqlite3_bind_int(q, 1, (int)level);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(q, 3, h, 32, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), NULL);
	return MU_OK;
}

/* Many rows per INSERT: per-statement work (cursors on the table and its
 * indexes) is then paid once per PUT_ROWS entries, not once per entry.
 * OR ROLLBACK: a failure ends the whole transaction, which the writer
 * rolls back anyway; without it SQLite keeps a statement journal of every
 * page the statement touches, in a temporary file (2 writes a page). */
#define PUT_ROWS 32
#define ROW1 "(?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define ROW4 ROW1 "," ROW1 "," ROW1 "," ROW1
#define ROW16 ROW4 "," ROW4 "," ROW4 "," ROW4
static const char SQL_AUDIT_INS_MANY[] =
	"INSERT OR ROLLBACK INTO audit_log(" AUDIT_COLS ", hash) VALUES " ROW16 "," ROW16;

/* Give e the next index, hash it into the tree, and bind it as row `row`
 * of q. h keeps the leaf hash alive until q is stepped. */
static enum mu_err put_bind(struct sq_store *s, sqlite3_stmt *q, int row,
			    struct audit_entry *e, unsigned char h[32])
{
	const char *txt[] = {e->actor_token, e->actor_role, e->actor_office,
			     e->action, e->subject_type, e->subject_id,
			     e->person, e->purpose, e->request_id, e->detail};
	size_t lens[AUDIT_LEAF_STRS];
	int col = 13 * row;

	e->idx = (int64_t)s->audit.tree.size;
	audit_leaf_hash(e, h, lens);
	sqlite3_bind_int64(q, col + 1, e->idx);
	sqlite3_bind_int64(q, col + 2, e->at);
	for (int i = 0; i < AUDIT_LEAF_STRS; i++)
		sqlite3_bind_text(q, col + 3 + i, txt[i], (int)lens[i], SQLITE_STATIC);
	sqlite3_bind_blob(q, col + 13, h, 32, SQLITE_STATIC);
	return merkle_tree_append(&s->audit.tree, h, emit_node, s);
}

/* Insert v[0..n) with one statement of n rows (n is 1 or PUT_ROWS). */
static enum mu_err put_rows(struct sq_store *s, struct audit_entry *v, size_t n)
{
	sqlite3_stmt *q = sq_stmt(&s->w, n == 1 ? SQL_AUDIT_INS : SQL_AUDIT_INS_MANY);
	unsigned char h[PUT_ROWS][32];
	enum mu_err rc = MU_OK;

	if (!q)
		return MU_EIO;
	for (size_t i = 0; rc == MU_OK && i < n; i++)
		rc = put_bind(s, q, (int)i, &v[i], h[i]);
	if (rc == MU_OK && sqlite3_step(q) != SQLITE_DONE)
		rc = sq_err(s->w.db, sqlite3_errcode(s->w.db), NULL);
	sqlite3_reset(q);
	return rc;
}

enum mu_err sq_audit_put(struct sq_store *s, struct audit_entry *e)
{
	return put_rows(s, e, 1);
}

enum mu_err sq_audit_put_many(struct sq_store *s, struct audit_entry *v, size_t n)
{
	enum mu_err rc = MU_OK;
	size_t i = 0;

	for (; rc == MU_OK && n - i >= PUT_ROWS; i += PUT_ROWS)
		rc = put_rows(s, v + i, PUT_ROWS);
	for (; rc == MU_OK && i < n; i++)
		rc = put_rows(s, v + i, 1);
	return rc;
}

int64_t sq_audit_head_wait_ms(struct sq_store *s)
{
	int64_t last = s->audit.head.timestamp_ms, age;

	if (s->audit.tree.size <= (uint64_t)s->audit.head.size)
		return -1;
	if (s->audit.head_tried_ms > last)
		last = s->audit.head_tried_ms;
	age = now_ms() - last;
	return age >= HEAD_INTERVAL_MS ? 0 : HEAD_INTERVAL_MS - age;
}

static void load_head(struct sq_conn *c, struct audit_head *h, int *found);

/* Sign the current tree and store the head (inside the job's transaction). */
static enum mu_err sign_head(struct sq_store *s, int64_t now, struct mu_error *err)
{
	struct audit_head h = {0};
	sqlite3_stmt *q = sq_stmt(&s->w, SQL_HEAD_INS);

	if (!q)
		return MU_EIO;
	h.size = (int64_t)s->audit.tree.size;
	h.timestamp_ms = now > s->audit.head.timestamp_ms ? now : s->audit.head.timestamp_ms;
	merkle_tree_root(&s->audit.tree, h.root);
	audit_head_sign(&h, s->audit.sk);
	sqlite3_bind_int64(q, 1, h.size);
	sqlite3_bind_blob(q, 2, h.root, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, h.timestamp_ms);
	sqlite3_bind_blob(q, 4, h.sig, 64, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	s->audit.head = h;
	return MU_OK;
}

enum mu_err sq_audit_publish_job(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct audit_head *out = arg, stored;
	int64_t now = now_ms();
	int found;
	enum mu_err rc = MU_OK;

	s->audit.head_tried_ms = now;
	/* another process (a CLI command) may have signed this size already */
	load_head(&s->w, &stored, &found);
	if (found && stored.size >= s->audit.head.size)
		s->audit.head = stored;
	if (s->audit.tree.size > (uint64_t)s->audit.head.size)
		rc = sign_head(s, now, err);
	if (rc == MU_OK && out)
		*out = s->audit.head;
	return rc;
}

/* ---- open: key, first entry, conversion, border ----------------------- */

static enum mu_err exec(sqlite3 *db, const char *sql, struct mu_error *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return mu_fail(err, MU_EIO, NULL, "audit log: %s", sqlite3_errmsg(db));
	return MU_OK;
}

static enum mu_err meta_put(struct sq_store *s, const char *key, const char *val,
			    struct mu_error *err)
{
	sqlite3_stmt *q = NULL;
	enum mu_err rc = MU_OK;

	if (sqlite3_prepare_v2(s->w.db, "INSERT INTO meta(key, value) VALUES (?, ?)", -1,
			       &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(q, 2, val, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_DONE)
		rc = mu_fail(err, MU_EIO, NULL, "cannot store the audit key: %s",
			     sqlite3_errmsg(s->w.db));
	sqlite3_finalize(q);
	return rc;
}

/* The meta value of key into out; MU_ENOTFOUND when absent. */
static enum mu_err meta_read(sqlite3 *db, const char *key, char *out, size_t size)
{
	sqlite3_stmt *q = NULL;
	enum mu_err rc = MU_ENOTFOUND;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &q,
			       NULL) != SQLITE_OK)
		rc = MU_EIO;
	else if (sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
		 sqlite3_step(q) == SQLITE_ROW) {
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(q, 0));
		rc = MU_OK;
	}
	sqlite3_finalize(q);
	return rc;
}

/* Load the signing key, or make one for a new (or pre-Merkle) register. */
static enum mu_err load_key(struct sq_store *s, struct mu_error *err)
{
	char hex[2 * AUDIT_SK_LEN + 1];
	enum mu_err rc = meta_read(s->w.db, "audit.secret_key", hex, sizeof(hex));

	if (rc == MU_OK) {
		if (audit_unhex(hex, s->audit.sk, AUDIT_SK_LEN))
			return mu_fail(err, MU_EIO, NULL, "the audit key in the register "
				       "is damaged");
		crypto_sign_ed25519_sk_to_pk(s->audit.pk, s->audit.sk);
		return MU_OK;
	}
	if (rc != MU_ENOTFOUND)
		return mu_fail(err, rc, NULL, "cannot read the audit key");
	crypto_sign_keypair(s->audit.pk, s->audit.sk);
	rc = meta_put(s, "audit.secret_key", audit_hex(s->audit.sk, AUDIT_SK_LEN, hex), err);
	if (rc == MU_OK)
		rc = meta_put(s, "audit.public_key",
			      audit_hex(s->audit.pk, AUDIT_PK_LEN, hex), err);
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

/* Entry 0: the log begins, committing to its key and its hashing. */
static enum mu_err put_start(struct sq_store *s)
{
	struct audit_entry e;
	char pk[2 * AUDIT_PK_LEN + 1];

	memset(&e, 0, sizeof(e));
	e.at = (int64_t)time(NULL);
	snprintf(e.actor_role, sizeof(e.actor_role), "system");
	snprintf(e.action, sizeof(e.action), "log.start");
	snprintf(e.subject_type, sizeof(e.subject_type), "log");
	snprintf(e.subject_id, sizeof(e.subject_id), "audit");
	snprintf(e.detail, sizeof(e.detail),
		 "{\"hash\":\"SHA-256\",\"leaf\":\"muster.audit.leaf.v%d\","
		 "\"public_key\":\"%s\",\"signature\":\"Ed25519\",\"tree\":\"RFC 9162\"}",
		 AUDIT_LEAF_VERSION, audit_hex(s->audit.pk, AUDIT_PK_LEN, pk));
	return sq_audit_put(s, &e);
}

/* Rehash one pre-Merkle entry into the tree. */
static enum mu_err upgrade_one(struct sq_store *s, const struct audit_entry *e)
{
	sqlite3_stmt *up = sq_stmt(&s->w, "UPDATE audit_log SET hash = ?1 WHERE idx = ?2");
	unsigned char h[32];

	if (e->idx != (int64_t)s->audit.tree.size)
		return MU_ECONFLICT;
	if (!up)
		return MU_EIO;
	audit_leaf_hash(e, h, NULL);
	sqlite3_bind_blob(up, 1, h, 32, SQLITE_STATIC);
	sqlite3_bind_int64(up, 2, e->idx);
	if (sqlite3_step(up) != SQLITE_DONE)
		return MU_EIO;
	return merkle_tree_append(&s->audit.tree, h, emit_node, s);
}

/* Rehash up to UPGRADE_BATCH entries from *next on into the tree. */
static enum mu_err upgrade_batch(struct sq_store *s, int64_t *next, int *done)
{
	struct audit_entry *v = calloc(UPGRADE_BATCH, sizeof(*v));
	sqlite3_stmt *sel = sq_stmt(&s->w, "SELECT " AUDIT_COLS " FROM audit_log"
				    " WHERE idx >= ?1 ORDER BY idx LIMIT ?2");
	size_t n = 0;
	enum mu_err rc = MU_EIO;

	if (!v || !sel)
		goto out;
	sqlite3_bind_int64(sel, 1, *next);
	sqlite3_bind_int(sel, 2, UPGRADE_BATCH);
	while (n < UPGRADE_BATCH && sqlite3_step(sel) == SQLITE_ROW)
		row_audit(sel, &v[n++]);
	sqlite3_reset(sel);
	*done = n < UPGRADE_BATCH;
	rc = MU_OK;
	for (size_t i = 0; rc == MU_OK && i < n; i++) {
		rc = upgrade_one(s, &v[i]);
		*next = v[i].idx + 1;
	}
out:
	free(v);
	return rc;
}

/* A register from before migration 003 numbers entries from 1 and chains
 * them: give it entry 0 and rehash every entry into the tree. The only
 * time an audit entry's row changes; the trigger is lifted for it. */
static enum mu_err upgrade(struct sq_store *s, struct mu_error *err)
{
	int64_t next = 1;
	int done = 0;
	enum mu_err rc;

	merkle_tree_init(&s->audit.tree);
	if ((rc = exec(s->w.db, "DROP TRIGGER audit_no_update", err)) ||
	    (rc = put_start(s)))
		return mu_fail(err, rc, NULL, "cannot convert the audit log");
	while (!done && rc == MU_OK)
		rc = upgrade_batch(s, &next, &done);
	if (rc)
		return mu_fail(err, rc, NULL, "cannot convert the audit log: its hash "
			       "chain has a gap before entry %lld", (long long)next);
	fprintf(stderr, "muster: store: audit log converted to a Merkle tree "
		"(%llu entries)\n", (unsigned long long)s->audit.tree.size);
	return exec(s->w.db, "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log\n"
		    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END", err);
}

static enum mu_err open_tx(struct sq_store *s, struct mu_error *err)
{
	struct merkle_src src = {get_node, &s->w};
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT count(*), coalesce(min(idx), 0),"
				  " coalesce(max(idx), -1) FROM audit_log");
	int64_t count, min, max;
	enum mu_err rc;

	if (!q || sqlite3_step(q) != SQLITE_ROW)
		return mu_fail(err, MU_EIO, NULL, "the register has no audit log");
	count = sqlite3_column_int64(q, 0);
	min = sqlite3_column_int64(q, 1);
	max = sqlite3_column_int64(q, 2);
	sqlite3_reset(q);
	if ((rc = load_key(s, err)))
		return rc;
	if (count == 0) {
		if ((rc = put_start(s)))
			return mu_fail(err, rc, NULL, "cannot start the audit log");
		return MU_OK;
	}
	if (min != 0)
		return upgrade(s, err);
	if (merkle_tree_load(&s->audit.tree, (uint64_t)max + 1, &src) != MU_OK)
		return mu_fail(err, MU_EIO, NULL, "the audit tree is damaged; run "
			       "muster audit verify");
	return MU_OK;
}

static void load_head(struct sq_conn *c, struct audit_head *h, int *found)
{
	sqlite3_stmt *q = sq_stmt(c, SQL_HEAD_LAST);

	memset(h, 0, sizeof(*h));
	*found = 0;
	if (q && sqlite3_step(q) == SQLITE_ROW) {
		row_head(q, h);
		*found = 1;
	}
	if (q)
		sqlite3_reset(q);
}

static enum mu_err current_size(struct sq_conn *c, int64_t *size)
{
	sqlite3_stmt *q = sq_stmt(c, SQL_SIZE);

	if (!q || sqlite3_step(q) != SQLITE_ROW)
		return MU_EIO;
	*size = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return MU_OK;
}

enum mu_err sq_audit_open(struct sq_store *s, struct mu_error *err)
{
	int found;
	enum mu_err rc;

	merkle_tree_init(&s->audit.tree);
	if ((rc = exec(s->w.db, "BEGIN IMMEDIATE", err)))
		return rc;
	rc = open_tx(s, err);
	if (rc == MU_OK)
		rc = exec(s->w.db, "COMMIT", err);
	if (rc != MU_OK) {
		sqlite3_exec(s->w.db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	load_head(&s->w, &s->audit.head, &found);
	if (s->audit.head.size > (int64_t)s->audit.tree.size)
		return mu_fail(err, MU_ECONFLICT, NULL, "the audit log ends at entry %llu "
			       "but a signed head covers %lld entries: entries were "
			       "removed; run muster audit verify",
			       (unsigned long long)s->audit.tree.size,
			       (long long)s->audit.head.size);
	return MU_OK;
}

enum mu_err sq_audit_sync(struct sq_store *s)
{
	struct merkle_src src = {get_node, &s->w};
	int64_t size;
	int found;

	if (current_size(&s->w, &size) != MU_OK)
		return MU_EIO;
	if (size == (int64_t)s->audit.tree.size)
		return MU_OK;
	if (merkle_tree_load(&s->audit.tree, (uint64_t)size, &src) != MU_OK)
		return MU_EIO;
	load_head(&s->w, &s->audit.head, &found);
	return MU_OK;
}

/* ---- methods: key, heads, entries, proofs ----------------------------- */

#define READER(s, c)                                                    \
	struct sq_conn *c = sq_reader(s);                               \
	if (!c)                                                         \
		return MU_EIO

enum mu_err sq_m_audit_key(struct store *st, unsigned char pk[32])
{
	memcpy(pk, ((struct sq_store *)st)->audit.pk, 32);
	return MU_OK;
}

enum mu_err sq_m_audit_head(struct store *st, struct audit_head *out)
{
	int found;
	READER((struct sq_store *)st, c);

	load_head(c, out, &found);
	return found ? MU_OK : MU_ENOTFOUND;
}

enum mu_err sq_m_audit_publish(struct store *st, struct audit_head *out)
{
	return sq_write((struct sq_store *)st, sq_audit_publish_job, out, NULL);
}

enum mu_err sq_m_audit_get(struct store *st, int64_t idx, struct audit_entry *e,
			   unsigned char leaf_hash[32])
{
	sqlite3_stmt *q;
	int found;
	READER((struct sq_store *)st, c);

	q = sq_stmt(c, "SELECT " AUDIT_COLS ", hash FROM audit_log WHERE idx = ?");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, idx);
	found = sqlite3_step(q) == SQLITE_ROW;
	if (found) {
		row_audit(q, e);
		if (leaf_hash)
			col_hash(q, 12, leaf_hash);
	}
	sqlite3_reset(q);
	return found ? MU_OK : MU_ENOTFOUND;
}

enum mu_err sq_m_audit_size(struct store *st, int64_t *size)
{
	READER((struct sq_store *)st, c);
	return current_size(c, size);
}

enum mu_err sq_m_audit_inclusion(struct store *st, int64_t idx, int64_t size,
				 unsigned char (*proof)[32], size_t *n,
				 unsigned char root[32])
{
	int64_t cur;
	struct merkle_src src;
	enum mu_err rc;
	READER((struct sq_store *)st, c);

	src = (struct merkle_src){get_node, c};
	if ((rc = current_size(c, &cur)))
		return rc;
	if (idx < 0 || size <= idx || size > cur)
		return MU_EINVAL;
	rc = merkle_inclusion_proof(&src, (uint64_t)idx, (uint64_t)size, proof, n);
	if (rc == MU_OK && root)
		rc = merkle_root(&src, (uint64_t)size, root);
	return rc;
}

enum mu_err sq_m_audit_consistency(struct store *st, int64_t from, int64_t to,
				   unsigned char (*proof)[32], size_t *n,
				   unsigned char from_root[32], unsigned char to_root[32])
{
	int64_t cur;
	struct merkle_src src;
	enum mu_err rc;
	READER((struct sq_store *)st, c);

	src = (struct merkle_src){get_node, c};
	if ((rc = current_size(c, &cur)))
		return rc;
	if (from < 1 || to < from || to > cur)
		return MU_EINVAL;
	rc = merkle_consistency_proof(&src, (uint64_t)from, (uint64_t)to, proof, n);
	if (rc == MU_OK && from_root)
		rc = merkle_root(&src, (uint64_t)from, from_root);
	if (rc == MU_OK && to_root)
		rc = merkle_root(&src, (uint64_t)to, to_root);
	return rc;
}

/* ---- methods: appending ------------------------------------------------ */

static enum mu_err j_audit_append(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct audit_entry e = *(const struct audit_entry *)arg;
	return sq_audit_put(s, &e);
}

enum mu_err sq_m_audit_append(struct store *st, const struct audit_entry *e)
{
	return sq_write((struct sq_store *)st, j_audit_append, (void *)e, NULL);
}

struct append_many {
	struct audit_entry *v;
	size_t n;
};

static enum mu_err j_append_many(struct sq_store *s, void *arg, struct mu_error *err)
{
	const struct append_many *a = arg;

	return sq_audit_put_many(s, a->v, a->n);
}

enum mu_err sq_m_audit_append_many(struct store *st, struct audit_entry *v, size_t n)
{
	struct append_many a = {v, n};
	return sq_write((struct sq_store *)st, j_append_many, &a, NULL);
}

/* ---- methods: listing --------------------------------------------------- */

/* One statement per driving index; the literal "<> ''" terms let SQLite
 * use the partial indexes. A person subject's subject_id is the person,
 * so a subject is found through audit_subject or audit_person. */
#define LIST_TAIL " AND (?1 IS NULL OR person = ?1) AND (?2 IS NULL OR actor_token = ?2)" \
	" AND (?3 IS NULL OR action = ?3) AND (?4 = 0 OR at >= ?4)"                      \
	" AND (?5 = 0 OR at <= ?5) AND (?8 IS NULL OR subject_id = ?8)"                 \
	" AND idx > ?6 ORDER BY idx LIMIT ?7"
static const char SQL_LIST_PERSON[] = "SELECT " AUDIT_COLS " FROM audit_log"
	" WHERE person = ?1 AND person <> ''" LIST_TAIL;
static const char SQL_LIST_ACTOR[] = "SELECT " AUDIT_COLS " FROM audit_log"
	" WHERE actor_token = ?2" LIST_TAIL;
static const char SQL_LIST_SUBJECT[] = "SELECT " AUDIT_COLS " FROM audit_log"
	" WHERE ((subject_id = ?8 AND subject_type <> 'person') OR"
	" (person = ?8 AND person <> '' AND subject_type = 'person'))" LIST_TAIL;
static const char SQL_LIST_ALL[] = "SELECT " AUDIT_COLS " FROM audit_log"
	" WHERE 1" LIST_TAIL;

static const char *list_sql(const struct audit_filter *f)
{
	if (f->person && f->person[0])
		return SQL_LIST_PERSON;
	if (f->subject && f->subject[0])
		return SQL_LIST_SUBJECT;
	if (f->actor)
		return SQL_LIST_ACTOR;
	return SQL_LIST_ALL;
}

static void bind_opt(sqlite3_stmt *q, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
}

enum mu_err sq_m_audit_list(struct store *st, const struct audit_filter *f,
			    struct audit_entry *out, size_t cap, size_t *n)
{
	sqlite3_stmt *q;
	READER((struct sq_store *)st, c);

	if (!(q = sq_stmt(c, list_sql(f))))
		return MU_EIO;
	bind_opt(q, 1, f->person);
	bind_opt(q, 2, f->actor);
	bind_opt(q, 3, f->action);
	sqlite3_bind_int64(q, 4, f->from);
	sqlite3_bind_int64(q, 5, f->to);
	sqlite3_bind_int64(q, 6, f->after);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)(f->limit < cap ? f->limit : cap));
	bind_opt(q, 8, f->subject);
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW)
		row_audit(q, &out[(*n)++]);
	sqlite3_reset(q);
	return MU_OK;
}

/* ---- verification --------------------------------------------------- */

struct vwalk {
	sqlite3 *db;
	sqlite3_stmt *entries, *node, *heads;
	unsigned char pk[32];
	struct merkle_tree tree;
	struct audit_head head;       /* the next stored head to check */
	int have_head;
	int64_t good;                 /* size of the last head that verified */
	struct audit_report *rep;
};

static MU_PRINTF(3, 4) enum mu_err bad(struct vwalk *v, int64_t idx,
				       const char *fmt, ...)
{
	va_list ap;

	if (v->rep->bad_idx < 0) {
		v->rep->bad_idx = idx;
		va_start(ap, fmt);
		vsnprintf(v->rep->reason, sizeof(v->rep->reason), fmt, ap);
		va_end(ap);
	}
	return MU_ECONFLICT;
}

/* A subtree closed by the recomputation must equal the stored one. */
static enum mu_err check_node(void *ctx, unsigned level, uint64_t index,
			      const unsigned char h[32])
{
	struct vwalk *v = ctx;
	unsigned char got[32];
	int64_t first = (int64_t)(index << level), last = first + (1ll << level) - 1;
	int found;

	if (level < NODE_MIN_LEVEL)
		return MU_OK; /* not stored: the leaf hashes stand for it */
	if (first < v->good)
		first = v->good; /* a verified head vouches for what it covers */
	sqlite3_bind_int(v->node, 1, (int)level);
	sqlite3_bind_int64(v->node, 2, (sqlite3_int64)index);
	found = sqlite3_step(v->node) == SQLITE_ROW && col_hash(v->node, 0, got);
	sqlite3_reset(v->node);
	if (!found)
		return bad(v, first, "the stored interior hash over entries %lld..%lld is "
			   "missing", (long long)first, (long long)last);
	if (memcmp(got, h, 32) != 0)
		return bad(v, first, "the stored interior hash over entries %lld..%lld does "
			   "not match them: one of them was altered (with its leaf hash)",
			   (long long)first, (long long)last);
	return MU_OK;
}

static void next_head(struct vwalk *v)
{
	v->have_head = sqlite3_step(v->heads) == SQLITE_ROW;
	if (v->have_head)
		row_head(v->heads, &v->head);
}

/* Check every stored head of the current tree size. */
static enum mu_err check_heads(struct vwalk *v)
{
	unsigned char root[32];

	while (v->have_head && v->head.size <= (int64_t)v->tree.size) {
		int64_t size = v->head.size;
		if (size == (int64_t)v->tree.size) {
			merkle_tree_root(&v->tree, root);
			if (memcmp(root, v->head.root, 32) != 0)
				return bad(v, v->good, "the signed head of size %lld does not "
					   "match the entries: one in %lld..%lld was altered and "
					   "its stored hashes rewritten", (long long)size,
					   (long long)v->good, (long long)size - 1);
		}
		if (size != (int64_t)v->tree.size || audit_head_verify(&v->head, v->pk)) {
			if (v->rep->bad_head < 0)
				v->rep->bad_head = size;
		} else {
			v->good = size;
		}
		v->rep->heads++;
		next_head(v);
	}
	return MU_OK;
}

/* Entry 0 must commit to the key the heads are checked with. */
static enum mu_err check_start(struct vwalk *v, const struct audit_entry *e)
{
	char want[2 * AUDIT_PK_LEN + 16] = "\"public_key\":\"";

	audit_hex(v->pk, AUDIT_PK_LEN, want + strlen(want));
	if (strcmp(e->action, "log.start") != 0 || !strstr(e->detail, want))
		return bad(v, 0, "entry 0 does not start a log with this public key");
	return MU_OK;
}

static enum mu_err walk_entry(struct vwalk *v)
{
	struct audit_entry e;
	unsigned char leaf[32], stored[32];
	int64_t want = (int64_t)v->tree.size;
	enum mu_err rc;

	row_audit(v->entries, &e);
	if (e.idx != want)
		return bad(v, want, "entry %lld is missing (the next stored entry is %lld)",
			   (long long)want, (long long)e.idx);
	if (want == 0 && (rc = check_start(v, &e)))
		return rc;
	audit_leaf_hash(&e, leaf, NULL);
	if (!col_hash(v->entries, 12, stored) || memcmp(stored, leaf, 32) != 0)
		return bad(v, want, "entry %lld does not match its leaf hash: it was altered, "
			   "or moved from another position", (long long)want);
	if ((rc = merkle_tree_append(&v->tree, leaf, check_node, v)))
		return rc;
	v->rep->entries++;
	return check_heads(v);
}

/* What is stored beyond the last entry shows entries cut off the end. */
static void check_tail(struct vwalk *v)
{
	int64_t n = (int64_t)v->tree.size;
	sqlite3_stmt *q = NULL;

	if (v->rep->bad_idx >= 0)
		return;
	if (v->have_head) {
		bad(v, n, "the signed head of size %lld covers entries %lld..%lld, which "
		    "are gone", (long long)v->head.size, (long long)n,
		    (long long)v->head.size - 1);
		return;
	}
	if (sqlite3_prepare_v2(v->db, "SELECT level, idx FROM audit_nodes WHERE"
			       " ((idx + 1) << level) > ?1 LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, n);
		if (sqlite3_step(q) == SQLITE_ROW)
			bad(v, n, "stored interior hashes cover entries from %lld on, which "
			    "are gone", (long long)n);
	}
	sqlite3_finalize(q);
}

static enum mu_err walk_prepare(struct vwalk *v, struct mu_error *err)
{
	if (sqlite3_prepare_v2(v->db, "SELECT " AUDIT_COLS ", hash FROM audit_log"
			       " ORDER BY idx", -1, &v->entries, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(v->db, SQL_NODE_GET, -1, &v->node, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(v->db, "SELECT size, root, timestamp_ms, signature FROM"
			       " audit_heads ORDER BY size", -1, &v->heads, NULL) != SQLITE_OK)
		return mu_fail(err, MU_EIO, "db", "not a muster register with a Merkle "
			       "audit log: %s", sqlite3_errmsg(v->db));
	return MU_OK;
}

static enum mu_err walk_key(struct vwalk *v, const unsigned char *pk,
			    struct mu_error *err)
{
	char hex[2 * AUDIT_PK_LEN + 1];

	if (pk) {
		memcpy(v->pk, pk, AUDIT_PK_LEN);
		return MU_OK;
	}
	if (meta_read(v->db, "audit.public_key", hex, sizeof(hex)) != MU_OK ||
	    audit_unhex(hex, v->pk, AUDIT_PK_LEN))
		return mu_fail(err, MU_EIO, "db", "the register has no audit public key; "
			       "give it with --key");
	return MU_OK;
}

/* The whole walk on db, inside one read transaction. */
static enum mu_err verify_db(sqlite3 *db, const unsigned char *pk,
			     struct audit_report *rep, struct mu_error *err)
{
	struct vwalk v = {.db = db, .rep = rep};
	enum mu_err rc;
	int step = SQLITE_ROW;

	memset(rep, 0, sizeof(*rep));
	rep->bad_idx = rep->bad_head = -1;
	merkle_tree_init(&v.tree);
	if ((rc = walk_key(&v, pk, err)) || (rc = walk_prepare(&v, err)))
		goto out;
	next_head(&v);
	rc = check_heads(&v);
	while (rc == MU_OK && (step = sqlite3_step(v.entries)) == SQLITE_ROW)
		rc = walk_entry(&v);
	if (rc == MU_OK && step != SQLITE_DONE) {
		rc = mu_fail(err, MU_EIO, "db", "cannot read the audit log: %s",
			     sqlite3_errmsg(db));
		goto out;
	}
	check_tail(&v);
	rc = rep->bad_idx >= 0 || rep->bad_head >= 0 ? MU_ECONFLICT : MU_OK;
	if (rc && !rep->reason[0])
		snprintf(rep->reason, sizeof(rep->reason), "the signed head of size %lld "
			 "has a bad signature: forged or altered", (long long)rep->bad_head);
	if (rc)
		mu_fail(err, rc, NULL, "audit log broken: %s", rep->reason);
out:
	sqlite3_finalize(v.entries);
	sqlite3_finalize(v.node);
	sqlite3_finalize(v.heads);
	return rc;
}

static enum mu_err verify_in_tx(sqlite3 *db, const unsigned char *pk,
				struct audit_report *rep, struct mu_error *err)
{
	enum mu_err rc;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return mu_fail(err, MU_EIO, "db", "cannot read the register: %s",
			       sqlite3_errmsg(db));
	rc = verify_db(db, pk, rep, err);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

enum mu_err sq_m_audit_verify(struct store *st, int64_t *n_entries, int64_t *bad_idx,
			      struct mu_error *err)
{
	struct audit_report rep;
	enum mu_err rc;
	READER((struct sq_store *)st, c);

	rc = verify_in_tx(c->db, NULL, &rep, err);
	*n_entries = rep.entries;
	*bad_idx = rep.bad_idx;
	return rc;
}

enum mu_err store_audit_verify_file(const char *path, const unsigned char *pk,
				    struct audit_report *rep, struct mu_error *err)
{
	sqlite3 *db = NULL;
	enum mu_err rc;

	memset(rep, 0, sizeof(*rep));
	rep->bad_idx = rep->bad_head = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = mu_fail(err, MU_ENOTFOUND, "db", "cannot open %.200s: %s", path,
			     sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	rc = verify_in_tx(db, pk, rep, err);
out:
	sqlite3_close_v2(db);
	return rc;
}
