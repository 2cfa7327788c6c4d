/*
 * sqlite_audit_chunk.c: how the audit log's entries are stored and found
 * (migration 009, docs/audit.md).
 *
 * Chunks. An append of n entries writes ceil(n / 32) rows of audit_chunks:
 * the entries' canonical encodings (audit/leaf.c: the very bytes whose
 * SHA-256 is the leaf hash, so an entry is encoded once) one after the
 * other, and their leaf hashes. A chunk never spans two buckets.
 *
 * Postings. An entry is found by person, actor, subject or action through
 * audit_postings, which is written once per bucket of 2048 entries, when
 * the log passes the bucket's end: one row per value listing the bucket's
 * entries that have it, inserted in primary-key order. So appending never
 * inserts into the middle of a B-tree (the cost of the three indexes this
 * replaces, whose insert points were spread over the whole tree), and the
 * open bucket, at most 2047 entries, is scanned by readers.
 *
 * The writer keeps the open bucket's postings in memory (struct ach_open)
 * and rebuilds them from the register when it cannot trust them: at open,
 * after a rollback, after another process appended.
 */
#include "store/sqlite_audit_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/leaf.h"

/* ---- keys and postings ------------------------------------------------ */

static const unsigned char KEY_SALT[crypto_shorthash_KEYBYTES] = "muster.audit.ix";

int64_t ach_key(const char *value)
{
	unsigned char h[crypto_shorthash_BYTES];
	int64_t k;

	crypto_shorthash(h, (const unsigned char *)value, strlen(value), KEY_SALT);
	memcpy(&k, h, sizeof(k));
	return k;
}

size_t ach_posts_of(const struct audit_entry *e, struct ach_post p[4])
{
	size_t n = 0;

	if (e->person[0])
		p[n++] = (struct ach_post){ach_key(e->person), e->idx, ACH_PERSON};
	p[n++] = (struct ach_post){ach_key(e->actor_token), e->idx, ACH_ACTOR};
	if (e->subject_id[0] && strcmp(e->subject_type, "person") != 0)
		p[n++] = (struct ach_post){ach_key(e->subject_id), e->idx, ACH_SUBJECT};
	p[n++] = (struct ach_post){ach_key(e->action), e->idx, ACH_ACTION};
	return n;
}

/* Byte d of the sort key (kind, key as unsigned, offset in the bucket),
 * least significant first: 2 bytes of offset, 8 of key, 1 of kind. */
static unsigned digit(const struct ach_post *p, int d)
{
	if (d < 2)
		return (unsigned)(((uint64_t)p->idx >> (8 * d)) & 0xff);
	if (d < 10)
		return (unsigned)(((uint64_t)p->key >> (8 * (d - 2))) & 0xff);
	return (unsigned)p->kind & 0xff;
}

/* An LSD radix sort: a bucket's 4 x 2048 postings in a few passes over
 * them, where qsort took most of the time of sealing. Offsets stand for
 * indexes: every posting sorted together is in one bucket. */
int ach_sort(struct ach_post *v, size_t n)
{
	struct ach_post *tmp, *src = v, *dst;

	if (n < 2)
		return 0;
	if (!(tmp = malloc(n * sizeof(*tmp))))
		return -1;
	dst = tmp;
	for (int d = 0; d < 11; d++) {
		size_t count[257] = {0};
		for (size_t i = 0; i < n; i++)
			count[digit(&src[i], d) + 1]++;
		if (count[digit(&src[0], d) + 1] == n)
			continue; /* one value of this byte: already in order */
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			dst[count[digit(&src[i], d)]++] = src[i];
		src = dst;
		dst = src == v ? tmp : v;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	return 0;
}

/* ---- writing chunks ---------------------------------------------------- */

static const char SQL_CHUNK_INS[] =
	"INSERT OR ROLLBACK INTO audit_chunks(first, n, entries, hashes) VALUES (?,?,?,?)";

enum mu_err ach_put(struct sq_store *s, int64_t first, size_t n,
		    const unsigned char *enc, size_t enc_len,
		    const unsigned char (*h)[32])
{
	sqlite3_stmt *q = sq_stmt(&s->w, SQL_CHUNK_INS);
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, first);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)n);
	sqlite3_bind_blob(q, 3, enc, (int)enc_len, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, h, (int)(32 * n), SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? MU_OK
					    : sq_err(s->w.db, sqlite3_errcode(s->w.db), NULL);
	sqlite3_reset(q);
	return rc;
}

/* ---- reading chunks ----------------------------------------------------- */

enum mu_err ach_chunk_init(struct ach_chunk *k)
{
	memset(k, 0, sizeof(*k));
	k->v = calloc(ACH_MAX, sizeof(*k->v));
	k->h = calloc(ACH_MAX, sizeof(*k->h));
	k->first = -1;
	if (!k->v || !k->h) {
		ach_chunk_free(k);
		return MU_ENOMEM;
	}
	return MU_OK;
}

void ach_chunk_free(struct ach_chunk *k)
{
	free(k->v);
	free(k->h);
	k->v = NULL;
	k->h = NULL;
}

int ach_decode(sqlite3_stmt *q, struct ach_chunk *k, size_t *good)
{
	int64_t first = sqlite3_column_int64(q, 0), n = sqlite3_column_int64(q, 1);
	const unsigned char *p = sqlite3_column_blob(q, 2);
	size_t enc_len = (size_t)sqlite3_column_bytes(q, 2), off = 0, i = 0;
	const void *hashes = sqlite3_column_blob(q, 3);
	int hashes_ok = n >= 1 && n <= ACH_MAX && sqlite3_column_bytes(q, 3) == 32 * n;

	k->first = -1;
	k->n = 0;
	*good = 0;
	if (!hashes_ok || !p)
		return -1; /* the hashes themselves are damaged: nothing to trust */
	for (; i < (size_t)n; i++) {
		size_t len = audit_leaf_decode(p + off, enc_len - off, &k->v[i]);
		/* an entry must say where it stands: moved, it no longer does */
		if (len == 0 || k->v[i].idx != first + (int64_t)i)
			break;
		off += len;
	}
	*good = i;
	if (i == (size_t)n && off != enc_len)
		*good = i - 1; /* bytes after the last entry: blame it */
	memcpy(k->h, hashes, 32 * *good);
	if (*good < (size_t)n)
		return -1;
	k->first = first;
	k->n = (size_t)n;
	return 0;
}

static const char SQL_CHUNK_AT[] =
	"SELECT first, n, entries, hashes FROM audit_chunks WHERE first <= ?1"
	" ORDER BY first DESC LIMIT 1";

/* Decode the current row (first, n, entries, hashes) of q into k. */
static enum mu_err decode_row(sqlite3_stmt *q, struct ach_chunk *k)
{
	size_t good;

	if (ach_decode(q, k, &good)) {
		fprintf(stderr, "muster: store: audit entries from %lld on cannot be "
			"read; run muster audit verify\n", (long long)sqlite3_column_int64(q, 0));
		return MU_EIO;
	}
	return MU_OK;
}

enum mu_err ach_load(struct sq_conn *c, int64_t idx, struct ach_chunk *k)
{
	sqlite3_stmt *q = sq_stmt(c, SQL_CHUNK_AT);
	enum mu_err rc = MU_ENOTFOUND;

	if (!q)
		return MU_EIO;
	if (k->first >= 0 && idx >= k->first && idx < k->first + (int64_t)k->n)
		return MU_OK;
	sqlite3_bind_int64(q, 1, idx);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    idx < sqlite3_column_int64(q, 0) + sqlite3_column_int64(q, 1))
		rc = decode_row(q, k);
	sqlite3_reset(q);
	return rc;
}

static const char SQL_CHUNK_HASHES[] =
	"SELECT first, n, hashes FROM audit_chunks WHERE first > ?1 - 32 AND first < ?2"
	" ORDER BY first";

enum mu_err ach_leaf_hashes(struct sq_conn *c, int64_t lo, int64_t hi,
			    unsigned char (*out)[32])
{
	sqlite3_stmt *q = sq_stmt(c, SQL_CHUNK_HASHES);
	int64_t next = lo;

	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, lo);
	sqlite3_bind_int64(q, 2, hi);
	while (next < hi && sqlite3_step(q) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(q, 0), n = sqlite3_column_int64(q, 1);
		const unsigned char *h = sqlite3_column_blob(q, 2);
		if (sqlite3_column_bytes(q, 2) != 32 * n || first > next)
			break;
		for (; next < first + n && next < hi; next++)
			memcpy(out[next - lo], h + 32 * (next - first), 32);
	}
	sqlite3_reset(q);
	return next == hi ? MU_OK : MU_EIO;
}

static const char SQL_SIZE[] =
	"SELECT first + n FROM audit_chunks ORDER BY first DESC LIMIT 1";

enum mu_err ach_size(struct sq_conn *c, int64_t *size)
{
	sqlite3_stmt *q = sq_stmt(c, SQL_SIZE);
	int step;

	if (!q)
		return MU_EIO;
	step = sqlite3_step(q);
	*size = step == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return step == SQLITE_ROW || step == SQLITE_DONE ? MU_OK : MU_EIO;
}

/* ---- postings (writer) ---------------------------------------------------- */

static const char SQL_POST_INS[] =
	"INSERT OR ROLLBACK INTO audit_postings(bucket, kind, recs) VALUES (?,?,?)";

#define REC 10 /* a posting record: u64 key, u16 offset in the bucket (BE) */

static void put_rec(unsigned char *p, int64_t key, int64_t off)
{
	uint64_t k;

	memcpy(&k, &key, sizeof(k));
	for (int i = 7; i >= 0; i--, k >>= 8)
		p[i] = (unsigned char)(k & 0xff);
	p[8] = (unsigned char)(off >> 8);
	p[9] = (unsigned char)(off & 0xff);
}

/* Bucket b's records of one kind, from sorted v[0..n) of that kind. */
static void make_recs(int64_t b, const struct ach_post *v, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++)
		put_rec(out + REC * i, v[i].key, v[i].idx - b * ACH_BUCKET);
}

/* Write bucket b's postings v[0..n) (any order): one row per kind. */
static enum mu_err seal(struct sq_store *s, int64_t b, struct ach_post *v, size_t n)
{
	sqlite3_stmt *q = sq_stmt(&s->w, SQL_POST_INS);
	unsigned char *recs;
	enum mu_err rc = MU_OK;

	if (!q)
		return MU_EIO;
	for (size_t i = 0; i < n; i++)
		if (v[i].idx < b * ACH_BUCKET || v[i].idx >= (b + 1) * ACH_BUCKET)
			return MU_EIO;
	if (!(recs = malloc(REC * n + 1)))
		return MU_ENOMEM;
	if (ach_sort(v, n)) {
		free(recs);
		return MU_ENOMEM;
	}
	for (size_t i = 0, j; rc == MU_OK && i < n; i = j) {
		for (j = i; j < n && v[j].kind == v[i].kind; j++)
			;
		make_recs(b, v + i, j - i, recs);
		sqlite3_bind_int64(q, 1, b);
		sqlite3_bind_int(q, 2, v[i].kind);
		sqlite3_bind_blob(q, 3, recs, (int)(REC * (j - i)), SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = sq_err(s->w.db, sqlite3_errcode(s->w.db), NULL);
		sqlite3_reset(q);
	}
	free(recs);
	return rc;
}

int ach_open_add(struct ach_open *o, const struct audit_entry *e)
{
	if (o->n + 4 > o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 4 * (size_t)ACH_BUCKET;
		struct ach_post *nv = realloc(o->v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		o->v = nv;
		o->cap = cap;
	}
	o->n += ach_posts_of(e, o->v + o->n);
	return 0;
}

static const char SQL_CHUNKS_FROM[] =
	"SELECT first, n, entries, hashes FROM audit_chunks WHERE first >= ?1 ORDER BY first";

/* Note the postings of entries [from, to) into o, reading them back. */
static enum mu_err open_fill(struct sq_conn *c, struct ach_open *o, int64_t from,
			     int64_t to)
{
	struct ach_chunk k;
	sqlite3_stmt *q = sq_stmt(c, SQL_CHUNKS_FROM);
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	if ((rc = ach_chunk_init(&k)))
		return rc;
	sqlite3_bind_int64(q, 1, from);
	while (rc == MU_OK && sqlite3_step(q) == SQLITE_ROW &&
	       sqlite3_column_int64(q, 0) < to) {
		if ((rc = decode_row(q, &k)))
			break;
		for (size_t i = 0; rc == MU_OK && i < k.n; i++)
			if (k.v[i].idx < to && ach_open_add(o, &k.v[i]))
				rc = MU_ENOMEM;
	}
	sqlite3_reset(q);
	ach_chunk_free(&k);
	return rc;
}

static enum mu_err open_rebuild(struct sq_store *s)
{
	int64_t size = (int64_t)s->audit.tree.size;
	enum mu_err rc;

	s->ach.n = 0;
	rc = open_fill(&s->w, &s->ach, size & ~(ACH_BUCKET - 1), size);
	s->ach.valid = rc == MU_OK;
	return rc;
}

enum mu_err ach_ready(struct sq_store *s)
{
	return s->ach.valid ? MU_OK : open_rebuild(s);
}

enum mu_err ach_post_entry(struct sq_store *s, const struct audit_entry *e)
{
	enum mu_err rc;

	if (ach_open_add(&s->ach, e))
		return MU_ENOMEM;
	if ((e->idx + 1) % ACH_BUCKET != 0)
		return MU_OK;
	rc = seal(s, e->idx / ACH_BUCKET, s->ach.v, s->ach.n);
	s->ach.n = 0;
	return rc;
}

enum mu_err ach_seal_backlog(struct sq_store *s, int64_t size)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT coalesce(max(bucket) + 1, 0)"
				  " FROM audit_postings");
	struct ach_open o = {0};
	int64_t b;
	enum mu_err rc = MU_OK;

	if (!q || sqlite3_step(q) != SQLITE_ROW) {
		if (q)
			sqlite3_reset(q);
		return MU_EIO;
	}
	b = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	for (; rc == MU_OK && (b + 1) * ACH_BUCKET <= size; b++) {
		o.n = 0;
		rc = open_fill(&s->w, &o, b * ACH_BUCKET, (b + 1) * ACH_BUCKET);
		if (rc == MU_OK)
			rc = seal(s, b, o.v, o.n);
	}
	free(o.v);
	s->ach.valid = 0;
	return rc;
}

/* ---- listing (readers) --------------------------------------------------- */

/* Does e meet every condition of f? (The postings only narrow the search:
 * a key is a hash, and they say nothing of time.) */
static int matches(const struct audit_entry *e, const struct audit_filter *f)
{
	if (f->person && strcmp(e->person, f->person) != 0)
		return 0;
	if (f->actor && strcmp(e->actor_token, f->actor) != 0)
		return 0;
	if (f->action && strcmp(e->action, f->action) != 0)
		return 0;
	if ((f->from && e->at < f->from) || (f->to && e->at > f->to))
		return 0;
	if (f->subject && (strcmp(e->subject_id, f->subject) != 0 ||
			   (!strcmp(e->subject_type, "person") &&
			    strcmp(e->person, f->subject) != 0)))
		return 0;
	return 1;
}

/* The postings that can drive a search for f: up to two (kind, key). */
static size_t drivers(const struct audit_filter *f, struct ach_post d[2])
{
	if (f->person && f->person[0]) {
		d[0] = (struct ach_post){ach_key(f->person), 0, ACH_PERSON};
		return 1;
	}
	if (f->subject && f->subject[0]) {
		/* a person subject is posted as the person */
		d[0] = (struct ach_post){ach_key(f->subject), 0, ACH_PERSON};
		d[1] = (struct ach_post){ach_key(f->subject), 0, ACH_SUBJECT};
		return 2;
	}
	if (f->actor) {
		d[0] = (struct ach_post){ach_key(f->actor), 0, ACH_ACTOR};
		return 1;
	}
	if (f->action) {
		d[0] = (struct ach_post){ach_key(f->action), 0, ACH_ACTION};
		return 1;
	}
	return 0;
}

struct lister {
	struct sq_conn *c;
	const struct audit_filter *f;
	struct audit_entry *out;
	size_t want, *n;
	struct ach_chunk k;
};

static void take(struct lister *l, const struct audit_entry *e)
{
	if (*l->n < l->want && matches(e, l->f))
		l->out[(*l->n)++] = *e;
}

static const char SQL_POST_GET[] =
	"SELECT recs FROM audit_postings WHERE bucket = ?1 AND kind = ?2";

/*
 * Bloom filters of sealed postings, per reader connection. A search reads
 * one postings row per bucket, about 20 KB for persons: at millions of
 * entries most of a search's time. A sealed row never changes (migration
 * 009's triggers), so a filter built from it the first time it is read
 * stays true: later searches read only the rows whose filter admits the
 * key. A filter has no false negatives, so nothing is ever skipped that
 * the row holds; about 2.4% of rows without the key are still read
 * (16,384 bits, 4 probes, at most 2,048 keys). Kept up to BLOOM_MAX_BYTES
 * a connection; beyond that rows are read as before.
 */
#define BLOOM_BITS 16384
#define BLOOM_MAX_BYTES ((size_t)64 << 20)

struct ach_blooms {
	unsigned char **v;            /* [bucket * 4 + kind - 1], NULL: not built */
	size_t n, bytes;
};

void ach_blooms_free(struct sq_conn *c)
{
	struct ach_blooms *bl = c->blooms;

	if (!bl)
		return;
	for (size_t i = 0; i < bl->n; i++)
		free(bl->v[i]);
	free(bl->v);
	free(bl);
	c->blooms = NULL;
}

/* The 4 bit positions of a record's 8 key bytes (big-endian, as stored). */
static void bloom_pos(const unsigned char *key, unsigned pos[4])
{
	uint64_t h = 0, h2;

	for (int i = 0; i < 8; i++)
		h = (h << 8) | key[i];
	h2 = (h >> 32) | 1;
	for (int i = 0; i < 4; i++)
		pos[i] = (unsigned)((h + (uint64_t)i * h2) & (BLOOM_BITS - 1));
}

static unsigned char **bloom_slot(struct sq_conn *c, int64_t b, int kind)
{
	size_t i = (size_t)b * 4 + (size_t)(kind - 1);
	struct ach_blooms *bl = c->blooms;

	if (!bl && !(bl = c->blooms = calloc(1, sizeof(*bl))))
		return NULL;
	if (i >= bl->n) {
		size_t n = i + 1 > 2 * bl->n ? i + 1 : 2 * bl->n;
		unsigned char **v = realloc(bl->v, n * sizeof(*v));
		if (!v)
			return NULL;
		memset(v + bl->n, 0, (n - bl->n) * sizeof(*v));
		bl->v = v;
		bl->n = n;
	}
	return &bl->v[i];
}

/* 0 when bucket b's row of kind certainly lacks key; 1 when it may hold
 * it, or no filter is built yet. */
static int bloom_admits(struct sq_conn *c, int64_t b, int kind, const unsigned char *key)
{
	unsigned char **f = bloom_slot(c, b, kind);
	unsigned pos[4];

	if (!f || !*f)
		return 1;
	bloom_pos(key, pos);
	for (int i = 0; i < 4; i++)
		if (!((*f)[pos[i] >> 3] & (1u << (pos[i] & 7))))
			return 0;
	return 1;
}

/* Build bucket b's filter of kind from its n records, if room is left. */
static void bloom_build(struct sq_conn *c, int64_t b, int kind, const unsigned char *p,
			size_t n)
{
	unsigned char **f = bloom_slot(c, b, kind);
	unsigned pos[4];

	if (!f || *f || c->blooms->bytes + BLOOM_BITS / 8 > BLOOM_MAX_BYTES ||
	    !(*f = calloc(1, BLOOM_BITS / 8)))
		return;
	c->blooms->bytes += BLOOM_BITS / 8;
	for (size_t r = 0; r < n; r++) {
		bloom_pos(p + REC * r, pos);
		for (int i = 0; i < 4; i++)
			(*f)[pos[i] >> 3] |= (unsigned char)(1u << (pos[i] & 7));
	}
}

/* Add bucket b's entries posted under d to the set mark[] (one flag per
 * offset): a binary search of the bucket's records of d's kind. */
static enum mu_err mark_posted(struct sq_conn *c, int64_t b, const struct ach_post *d,
			       unsigned char *mark)
{
	sqlite3_stmt *q = sq_stmt(c, SQL_POST_GET);
	unsigned char want[REC];

	if (!q)
		return MU_EIO;
	put_rec(want, d->key, 0);
	if (!bloom_admits(c, b, d->kind, want)) {
		sqlite3_reset(q);
		return MU_OK;
	}
	sqlite3_bind_int64(q, 1, b);
	sqlite3_bind_int(q, 2, d->kind);
	if (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(q, 0);
		size_t n = (size_t)sqlite3_column_bytes(q, 0) / REC, lo = 0, hi = n;
		bloom_build(c, b, d->kind, p, n);
		while (lo < hi) { /* the first record with key >= want's */
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(p + REC * mid, want, 8) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && !memcmp(p + REC * lo, want, 8); lo++)
			mark[((p[REC * lo + 8] << 8) | p[REC * lo + 9]) & (ACH_BUCKET - 1)] = 1;
	}
	sqlite3_reset(q);
	return MU_OK;
}

/* The sealed buckets from start's on, through their postings. */
static enum mu_err list_sealed(struct lister *l, const struct ach_post *d, size_t nd,
			       int64_t start, int64_t sealed)
{
	unsigned char mark[ACH_BUCKET];
	enum mu_err rc = MU_OK;

	for (int64_t b = start / ACH_BUCKET; rc == MU_OK && *l->n < l->want && b < sealed;
	     b++) {
		memset(mark, 0, sizeof(mark));
		for (size_t i = 0; rc == MU_OK && i < nd; i++)
			rc = mark_posted(l->c, b, &d[i], mark);
		for (int64_t off = 0; rc == MU_OK && off < ACH_BUCKET && *l->n < l->want;
		     off++) {
			int64_t idx = b * ACH_BUCKET + off;
			if (!mark[off] || idx < start)
				continue;
			rc = ach_load(l->c, idx, &l->k);
			if (rc == MU_OK)
				take(l, &l->k.v[idx - l->k.first]);
		}
	}
	return rc;
}

/* Every entry in [start, end), in order. */
static enum mu_err list_scan(struct lister *l, int64_t start, int64_t end)
{
	sqlite3_stmt *q = sq_stmt(l->c, SQL_CHUNKS_FROM);
	enum mu_err rc = MU_OK;

	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, start - (ACH_MAX - 1));
	while (rc == MU_OK && *l->n < l->want && sqlite3_step(q) == SQLITE_ROW &&
	       sqlite3_column_int64(q, 0) < end) {
		if ((rc = decode_row(q, &l->k)))
			break;
		for (size_t i = 0; i < l->k.n; i++)
			if (l->k.v[i].idx >= start && l->k.v[i].idx < end)
				take(l, &l->k.v[i]);
	}
	sqlite3_reset(q);
	return rc;
}

enum mu_err ach_list(struct sq_conn *c, const struct audit_filter *f,
		     struct audit_entry *out, size_t cap, size_t *n)
{
	struct lister l = {c, f, out, f->limit < cap ? f->limit : cap, n, {0}};
	struct ach_post d[2];
	size_t nd = drivers(f, d);
	int64_t size, start = f->after < 0 ? 0 : f->after + 1, sealed;
	enum mu_err rc;

	/* Later statements may see a longer log; everything up to this size
	 * stays as it is, so bounding every step by it is one consistent view. */
	if ((rc = ach_size(c, &size)) || (rc = ach_chunk_init(&l.k)))
		return rc;
	sealed = size / ACH_BUCKET;
	if (nd) {
		rc = list_sealed(&l, d, nd, start, sealed);
		if (start < sealed * ACH_BUCKET)
			start = sealed * ACH_BUCKET;
	}
	if (rc == MU_OK)
		rc = list_scan(&l, start, size);
	ach_chunk_free(&l.k);
	return rc;
}

/* ---- verification of the postings -------------------------------------- */

int ach_check_bucket(sqlite3_stmt *q, int64_t b, struct ach_post *v, size_t n)
{
	unsigned char *recs = malloc(REC * n + 1);
	size_t i = 0, j;
	int bad = !recs || ach_sort(v, n);

	sqlite3_bind_int64(q, 1, b);
	while (!bad && sqlite3_step(q) == SQLITE_ROW) {
		if (i >= n || sqlite3_column_int(q, 0) != v[i].kind) {
			bad = 1;
			break;
		}
		for (j = i; j < n && v[j].kind == v[i].kind; j++)
			;
		make_recs(b, v + i, j - i, recs);
		bad = (size_t)sqlite3_column_bytes(q, 1) != REC * (j - i) ||
		      memcmp(sqlite3_column_blob(q, 1), recs, REC * (j - i)) != 0;
		i = j;
	}
	sqlite3_reset(q);
	free(recs);
	return bad || i != n ? -1 : 0;
}
