/*
 * sqlite_audit.c: the audit log as an RFC 9162 Merkle tree log on SQLite.
 *
 * Tables: the entries and their leaf hashes are stored by the chunk
 * (audit_chunks, found through audit_postings: sqlite_audit_chunk.c), with
 * idx = leaf index from 0; audit_tree (migrations 003, 010) keeps the root
 * of every complete subtree of level >= NODE_MIN_LEVEL (one row per 8
 * entries; a lower subtree is refolded from its <= 8 leaf hashes in one
 * range read); audit_heads keeps the signed tree heads. The Ed25519 key pair lives in meta (audit.secret_key,
 * audit.public_key); a production deployment keeps the secret in an HSM
 * or a 0600 file instead (docs/audit.md).
 *
 * Appending (writer thread only): sq_audit_put_many hashes the entries,
 * inserts them by the chunk with the stored subtrees they complete,
 * notes their postings, and advances the in-memory right border
 * s->audit.tree, all in the caller's transaction; run_in_tx restores
 * s->audit on rollback.
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
#include "store/sqlite_audit_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "audit/leaf.h"
#include "audit/merkle.h"
#include "audit/sha256.h"
#include "audit/sth.h"

#define HEAD_INTERVAL_MS 1000 /* publish a head at least this often */
#define NODE_MIN_LEVEL 4       /* audit_tree keeps levels >= this */

/* audit_tree's key of the subtree (level ?1, index ?2): migration 010 */
#define NODE_ID "((((?2 + 1) << ?1) << 6) | ?1)"
static const char SQL_NODE_INS[] = "INSERT INTO audit_tree(id, hash) VALUES (" NODE_ID ", ?3)";
static const char SQL_NODE_GET[] = "SELECT hash FROM audit_tree WHERE id = " NODE_ID;
/* A register file from before 010, read by audit verify as it is. */
static const char SQL_NODE_GET_V0[] =
	"SELECT hash FROM audit_nodes WHERE level = ?1 AND idx = ?2";
static const char SQL_HEAD_INS[] =
	"INSERT INTO audit_heads(size, root, timestamp_ms, signature) VALUES (?,?,?,?)";
static const char SQL_HEAD_LAST[] =
	"SELECT size, root, timestamp_ms, signature FROM audit_heads"
	" ORDER BY size DESC LIMIT 1";

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* A low subtree (level < NODE_MIN_LEVEL) folded from its leaf hashes. */
static int fold_leaves(struct sq_conn *c, unsigned level, uint64_t index,
		       unsigned char out[32])
{
	unsigned char h[1u << NODE_MIN_LEVEL][32];
	size_t want = (size_t)1 << level;

	if (ach_leaf_hashes(c, (int64_t)(index << level), (int64_t)((index + 1) << level),
			    h) != MU_OK)
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

/* Give v[0..n) (n <= ACH_MAX, all in one bucket) the next indexes, hash
 * them into the tree, store them as one chunk and note their postings. */
static enum mu_err put_chunk(struct sq_store *s, struct audit_entry *v, size_t n)
{
	unsigned char h[ACH_MAX][32], one[1 + AUDIT_LEAF_MAX];
	unsigned char enc[ACH_MAX * AUDIT_LEAF_MAX];
	size_t off = 0;
	enum mu_err rc = ach_ready(s);

	one[0] = 0x00; /* RFC 9162 leaf prefix */
	for (size_t i = 0; rc == MU_OK && i < n; i++) {
		size_t len;
		v[i].idx = (int64_t)s->audit.tree.size;
		len = audit_leaf_encode(&v[i], one + 1, AUDIT_LEAF_MAX, NULL);
		audit_sha256(one, len + 1, h[i]);
		memcpy(enc + off, one + 1, len);
		off += len;
		rc = merkle_tree_append(&s->audit.tree, h[i], emit_node, s);
	}
	if (rc == MU_OK)
		rc = ach_put(s, v[0].idx, n, enc, off, (const unsigned char (*)[32])h);
	for (size_t i = 0; rc == MU_OK && i < n; i++)
		rc = ach_post_entry(s, &v[i]);
	return rc;
}

enum mu_err sq_audit_put(struct sq_store *s, struct audit_entry *e)
{
	return put_chunk(s, e, 1);
}

enum mu_err sq_audit_put_many(struct sq_store *s, struct audit_entry *v, size_t n)
{
	enum mu_err rc = MU_OK;

	for (size_t i = 0, k; rc == MU_OK && i < n; i += k) {
		/* up to ACH_MAX, and never across a bucket's end */
		int64_t room = ACH_BUCKET - (int64_t)(s->audit.tree.size % ACH_BUCKET);
		k = n - i < ACH_MAX ? n - i : ACH_MAX;
		if ((int64_t)k > room)
			k = (size_t)room;
		rc = put_chunk(s, v + i, k);
	}
	return rc;
}

void sq_audit_head_tried(struct sq_store *s)
{
	s->audit.head_tried_ms = now_ms();
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

/* ---- migration 009: rows of the old audit_log into chunks --------------- */

#define OLD_COLS "SELECT idx, at, actor_token, actor_role, actor_office, action," \
	" subject_type, subject_id, person, purpose, request_id, detail, hash FROM "
static const char SQL_OLD_ROWS[] = OLD_COLS "audit_log_v1 ORDER BY idx";
static const char SQL_OLD_ROWS_V0[] = OLD_COLS "audit_log ORDER BY idx";

static void old_row(sqlite3_stmt *q, struct audit_entry *e, unsigned char h[32])
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
	memset(h, 0, 32); /* a damaged hash stays damaged: verify names it */
	col_hash(q, 12, h);
}

/* Store v[0..n) with their stored hashes h as one chunk. */
static enum mu_err old_flush(struct sq_store *s, const struct audit_entry *v,
			     const unsigned char (*h)[32], size_t n)
{
	unsigned char *enc = malloc((size_t)ACH_MAX * AUDIT_LEAF_MAX);
	size_t off = 0;
	enum mu_err rc;

	if (!enc)
		return MU_ENOMEM;
	for (size_t i = 0; i < n; i++)
		off += audit_leaf_encode(&v[i], enc + off, AUDIT_LEAF_MAX, NULL);
	rc = ach_put(s, v[0].idx, n, enc, off, h);
	free(enc);
	return rc;
}

/* Move every row of a register from before migration 009 into chunks,
 * entries and hashes as they are, then drop the table. */
static enum mu_err convert_rows(struct sq_store *s, struct mu_error *err)
{
	sqlite3_stmt *q = NULL;
	struct audit_entry *v = calloc(ACH_MAX, sizeof(*v));
	unsigned char h[ACH_MAX][32];
	size_t n = 0, total = 0;
	enum mu_err rc = MU_OK;

	if (!v)
		return MU_ENOMEM;
	if (sqlite3_prepare_v2(s->w.db, SQL_OLD_ROWS, -1, &q, NULL) != SQLITE_OK) {
		free(v);
		return MU_OK; /* no such table: nothing to convert */
	}
	while (rc == MU_OK && sqlite3_step(q) == SQLITE_ROW) {
		struct audit_entry e;
		unsigned char eh[32];
		old_row(q, &e, eh);
		/* a chunk holds consecutive entries of one bucket */
		if (n && (n == ACH_MAX || e.idx != v[n - 1].idx + 1 ||
			  e.idx % ACH_BUCKET == 0)) {
			rc = old_flush(s, v, (const unsigned char (*)[32])h, n);
			n = 0;
		}
		v[n] = e;
		memcpy(h[n++], eh, 32);
		total++;
	}
	sqlite3_finalize(q);
	if (rc == MU_OK && n)
		rc = old_flush(s, v, (const unsigned char (*)[32])h, n);
	free(v);
	if (rc == MU_OK)
		rc = exec(s->w.db, "DROP TABLE audit_log_v1", err);
	if (rc == MU_OK && total)
		fprintf(stderr, "muster: store: audit log moved into chunks (%zu entries)\n",
			total);
	return rc;
}

static enum mu_err open_tx(struct sq_store *s, struct mu_error *err)
{
	struct merkle_src src = {get_node, &s->w};
	sqlite3_stmt *q;
	int64_t size, min;
	enum mu_err rc;

	if ((rc = load_key(s, err)) || (rc = convert_rows(s, err)) ||
	    (rc = ach_size(&s->w, &size)))
		return rc;
	q = sq_stmt(&s->w, "SELECT coalesce(min(first), 0) FROM audit_chunks");
	if (!q || sqlite3_step(q) != SQLITE_ROW) {
		if (q)
			sqlite3_reset(q);
		return mu_fail(err, MU_EIO, NULL, "the register has no audit log");
	}
	min = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (size == 0) {
		if ((rc = put_start(s)))
			return mu_fail(err, rc, NULL, "cannot start the audit log");
		return MU_OK;
	}
	if (min != 0)
		return mu_fail(err, MU_EIO, NULL, "the audit log does not begin with "
			       "entry 0; run muster audit verify");
	if (merkle_tree_load(&s->audit.tree, (uint64_t)size, &src) != MU_OK)
		return mu_fail(err, MU_EIO, NULL, "the audit tree is damaged; run "
			       "muster audit verify");
	if ((rc = ach_seal_backlog(s, size)))
		return mu_fail(err, rc, NULL, "cannot index the audit log");
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

	if (ach_size(&s->w, &size) != MU_OK)
		return MU_EIO;
	if (size == (int64_t)s->audit.tree.size)
		return MU_OK;
	s->ach.valid = 0; /* another process appended: reread the open bucket */
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
	struct ach_chunk k;
	enum mu_err rc;
	READER((struct sq_store *)st, c);

	if ((rc = ach_chunk_init(&k)))
		return rc;
	rc = ach_load(c, idx, &k);
	if (rc == MU_OK) {
		*e = k.v[idx - k.first];
		if (leaf_hash)
			memcpy(leaf_hash, k.h[idx - k.first], 32);
	}
	ach_chunk_free(&k);
	return rc;
}

enum mu_err sq_m_audit_size(struct store *st, int64_t *size)
{
	READER((struct sq_store *)st, c);
	return ach_size(c, size);
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
	if ((rc = ach_size(c, &cur)))
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
	if ((rc = ach_size(c, &cur)))
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

enum mu_err sq_m_audit_list(struct store *st, const struct audit_filter *f,
			    struct audit_entry *out, size_t cap, size_t *n)
{
	READER((struct sq_store *)st, c);
	return ach_list(c, f, out, cap, n);
}

/* ---- verification --------------------------------------------------- */

struct vwalk {
	sqlite3 *db;
	sqlite3_stmt *entries, *node, *heads, *posts;
	struct ach_chunk k;           /* the chunk being walked */
	struct ach_open open;         /* the postings of the bucket being walked */
	int rows;                     /* a register from before chunks (009) */
	int old_nodes;                /* ... or from before audit_tree (010) */
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

/* The bucket that entry idx just closed must have exactly the postings
 * its entries make: a posting taken away would hide an entry from the
 * person's access log. */
static enum mu_err check_bucket(struct vwalk *v, int64_t idx)
{
	int64_t b = idx / ACH_BUCKET;

	if ((idx + 1) % ACH_BUCKET != 0 || v->rows)
		return MU_OK;
	if (ach_check_bucket(v->posts, b, v->open.v, v->open.n) != 0)
		return bad(v, b * ACH_BUCKET, "the index of entries %lld..%lld does not "
			   "match them: it was altered, and could hide or invent entries "
			   "in an access log", (long long)(b * ACH_BUCKET), (long long)idx);
	v->open.n = 0;
	return MU_OK;
}

static enum mu_err walk_entry(struct vwalk *v, const struct audit_entry *e,
			      const unsigned char stored[32])
{
	unsigned char leaf[32];
	int64_t want = (int64_t)v->tree.size;
	enum mu_err rc;

	if (want == 0 && (rc = check_start(v, e)))
		return rc;
	audit_leaf_hash(e, leaf, NULL);
	if (memcmp(stored, leaf, 32) != 0)
		return bad(v, want, "entry %lld does not match its leaf hash: it was altered, "
			   "or moved from another position", (long long)want);
	if ((rc = merkle_tree_append(&v->tree, leaf, check_node, v)))
		return rc;
	/* no postings before chunks */
	if (!v->rows && ach_open_add(&v->open, e))
		return MU_ENOMEM;
	v->rep->entries++;
	if ((rc = check_bucket(v, want)))
		return rc;
	return check_heads(v);
}

/* The current row of v->entries: one chunk, which must begin where the
 * walk stands. */
static enum mu_err walk_chunk(struct vwalk *v)
{
	int64_t want = (int64_t)v->tree.size, first = sqlite3_column_int64(v->entries, 0);
	size_t good;
	int broken;
	enum mu_err rc = MU_OK;

	if (first != want)
		return bad(v, want, first > want ? "entry %lld is missing (the next stored "
			   "entry is %lld)" : "entry %lld is stored twice (again at %lld)",
			   (long long)want, (long long)first);
	broken = ach_decode(v->entries, &v->k, &good) != 0;
	/* the entries before a damaged one still verify (and name it) */
	for (size_t i = 0; rc == MU_OK && i < good; i++)
		rc = walk_entry(v, &v->k.v[i], v->k.h[i]);
	if (rc == MU_OK && broken)
		return bad(v, first + (int64_t)good, "entry %lld cannot be read: it was "
			   "altered, or moved from another position",
			   (long long)(first + (int64_t)good));
	return rc;
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
	if (sqlite3_prepare_v2(v->db, v->old_nodes ? "SELECT 1 FROM audit_nodes WHERE"
			       " ((idx + 1) << level) > ?1 LIMIT 1" : "SELECT 1 FROM audit_tree"
			       " WHERE id > (?1 << 6) | 63 LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, n);
		if (sqlite3_step(q) == SQLITE_ROW)
			bad(v, n, "stored interior hashes cover entries from %lld on, which "
			    "are gone", (long long)n);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (v->rep->bad_idx < 0 && !v->rows &&
	    sqlite3_prepare_v2(v->db, "SELECT 1 FROM audit_postings WHERE bucket >= ?1"
			       " LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, n / ACH_BUCKET);
		if (sqlite3_step(q) == SQLITE_ROW)
			bad(v, n, "the index lists entries from %lld on, which are gone",
			    (long long)(n - n % ACH_BUCKET));
	}
	sqlite3_finalize(q);
}

/* The current row of a register from before chunks: one entry. */
static enum mu_err walk_row(struct vwalk *v)
{
	struct audit_entry e;
	unsigned char h[32];
	int64_t want = (int64_t)v->tree.size;

	old_row(v->entries, &e, h);
	if (e.idx != want)
		return bad(v, want, "entry %lld is missing (the next stored entry is %lld)",
			   (long long)want, (long long)e.idx);
	return walk_entry(v, &e, h);
}

/* A register file not yet opened by a version with chunks (migration
 * 009, a table audit_log) or with audit_tree (010, a table audit_nodes) is
 * verified as it is: an auditor does not convert evidence. */
static int has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *q = NULL;
	int yes = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
			       " AND name = ?", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
		yes = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return yes;
}

static enum mu_err walk_prepare(struct vwalk *v, struct mu_error *err)
{
	if (ach_chunk_init(&v->k) != MU_OK)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	v->rows = has_table(v->db, "audit_log");
	v->old_nodes = has_table(v->db, "audit_nodes");
	if (sqlite3_prepare_v2(v->db, v->rows ? SQL_OLD_ROWS_V0 : "SELECT first, n, entries,"
			       " hashes FROM audit_chunks ORDER BY first", -1, &v->entries,
			       NULL) != SQLITE_OK ||
	    (!v->rows && sqlite3_prepare_v2(v->db, "SELECT kind, recs FROM audit_postings"
					    " WHERE bucket = ?1 ORDER BY kind", -1, &v->posts,
					    NULL) != SQLITE_OK) ||
	    sqlite3_prepare_v2(v->db, v->old_nodes ? SQL_NODE_GET_V0 : SQL_NODE_GET, -1,
			       &v->node, NULL) != SQLITE_OK ||
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
	switch (meta_read(v->db, "audit.public_key", hex, sizeof(hex))) {
	case MU_OK:
		if (!audit_unhex(hex, v->pk, AUDIT_PK_LEN))
			return MU_OK;
		break;
	case MU_ENOTFOUND:
		break;
	default:
		return mu_fail(err, MU_EIO, "db", "cannot read the register: %s",
			       sqlite3_errmsg(v->db));
	}
	return mu_fail(err, MU_EIO, "db", "the register has no audit public key; "
		       "give it with --key");
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
		rc = v.rows ? walk_row(&v) : walk_chunk(&v);
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
	sqlite3_finalize(v.posts);
	ach_chunk_free(&v.k);
	free(v.open.v);
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

/* 0 only when SQLite cannot open the file's -shm (or WAL) for reading:
 * a WAL register where the reader may not create files. Any other
 * outcome (a busy register included) is left to the walk to report. */
static int readable(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);

	rc &= 0xff;
	return !(rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY);
}

static enum mu_err open_immutable(const char *path, sqlite3 **db, struct mu_error *err)
{
	static const char hexd[] = "0123456789ABCDEF";
	char wal[4200], uri[13000];
	struct stat sb;
	size_t n = 0;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0 && sb.st_size > 0)
		return mu_fail(err, MU_EIO, "db", "cannot read %.200s: it cannot be opened for"
			       " reading with its -wal file (read-only directory or media), and"
			       " that file holds commits not yet in the register; copy both"
			       " files somewhere writable and verify the copy", path);
	n = (size_t)snprintf(uri, sizeof(uri), "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < sizeof(uri); p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-~", *p)) {
			uri[n++] = (char)*p;
		} else {
			uri[n++] = '%';
			uri[n++] = hexd[*p >> 4];
			uri[n++] = hexd[*p & 15];
		}
	snprintf(uri + n, sizeof(uri) - n, "?immutable=1");
	if (sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
	    !readable(*db))
		return mu_fail(err, MU_EIO, "db", "cannot read %.200s: %s", path,
			       sqlite3_errmsg(*db));
	return MU_OK;
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
	if (!readable(db)) {
		/* a register in WAL mode on read-only media or in a directory the
		 * auditor cannot write: SQLite cannot make its -shm file. With no
		 * WAL content to miss, read the file as it is (immutable). */
		sqlite3_close_v2(db);
		db = NULL;
		if ((rc = open_immutable(path, &db, err)))
			goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	rc = verify_in_tx(db, pk, rep, err);
out:
	sqlite3_close_v2(db);
	return rc;
}
