/*
 * sqlite_audit_int.h: the audit log's storage, shared by sqlite_audit.c
 * (tree, heads, proofs, verification) and sqlite_audit_chunk.c (chunks
 * of entries and their postings). Private to store/.
 */
#ifndef MUSTER_STORE_SQLITE_AUDIT_INT_H
#define MUSTER_STORE_SQLITE_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/sqlite_int.h"

#define ACH_MAX 32          /* entries per chunk (migration 009's CHECK) */
#define ACH_BUCKET_BITS 11  /* postings are sealed per 2^11 entries */
#define ACH_BUCKET ((int64_t)1 << ACH_BUCKET_BITS)

enum ach_kind { ACH_PERSON = 1, ACH_ACTOR, ACH_SUBJECT, ACH_ACTION };

/* One chunk read back. v and h have room for ACH_MAX entries. */
struct ach_chunk {
	int64_t first;
	size_t n;
	struct audit_entry *v;
	unsigned char (*h)[32];
};

/* The 64-bit key of a value in audit_postings. */
int64_t ach_key(const char *value);

/* Writer: store n entries from first on, their encodings enc[0..enc_len)
 * one after the other and their leaf hashes h, as one chunk row. */
enum mu_err ach_put(struct sq_store *s, int64_t first, size_t n,
		    const unsigned char *enc, size_t enc_len,
		    const unsigned char (*h)[32]);
/* Writer, before appending: rebuild the open bucket's postings if they
 * are not valid (after open, a rollback, another process's appends). */
enum mu_err ach_ready(struct sq_store *s);
/* Writer: note e's postings for the open bucket; seal the bucket when e
 * is its last entry. */
enum mu_err ach_post_entry(struct sq_store *s, const struct audit_entry *e);
/* Writer, at open: seal every bucket below size that has no postings
 * (a register converted by migration 009). */
enum mu_err ach_seal_backlog(struct sq_store *s, int64_t size);

/* Readers. Chunk bodies are decoded into k (allocated by ach_chunk_init). */
enum mu_err ach_chunk_init(struct ach_chunk *k);
void ach_chunk_free(struct ach_chunk *k);
/* Decode the current row (first, n, entries, hashes) of q into k; -1
 * when it is not a well-formed chunk, with *good the number of entries
 * (and their hashes, in k) before the first bad one. */
int ach_decode(sqlite3_stmt *q, struct ach_chunk *k, size_t *good);
/* The chunk holding idx, on c. MU_ENOTFOUND when idx is not stored. */
enum mu_err ach_load(struct sq_conn *c, int64_t idx, struct ach_chunk *k);
/* Leaf hashes of entries [lo, hi) (hi - lo <= 16) into out. */
enum mu_err ach_leaf_hashes(struct sq_conn *c, int64_t lo, int64_t hi,
			    unsigned char (*out)[32]);
/* The log's size (next idx) as c sees it. */
enum mu_err ach_size(struct sq_conn *c, int64_t *size);
/* The postings entry e makes, into p[0..4); returns how many. */
size_t ach_posts_of(const struct audit_entry *e, struct ach_post p[4]);
/* Add e's postings to o; -1 when out of memory. */
int ach_open_add(struct ach_open *o, const struct audit_entry *e);
/* Sort postings of one bucket by (kind, key as unsigned, idx): the order
 * of audit_postings' records. -1 when out of memory. */
int ach_sort(struct ach_post *v, size_t n);

/* Entries meeting f with idx > f->after, in order, up to min(limit, cap). */
enum mu_err ach_list(struct sq_conn *c, const struct audit_filter *f,
		     struct audit_entry *out, size_t cap, size_t *n);
/* Do bucket b's stored postings (q: SELECT kind, recs FROM audit_postings
 * WHERE bucket = ?1 ORDER BY kind) equal those of v[0..n)? 0 if so. Sorts
 * v. */
int ach_check_bucket(sqlite3_stmt *q, int64_t b, struct ach_post *v, size_t n);

#endif
