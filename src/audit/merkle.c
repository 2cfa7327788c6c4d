/*
 * merkle.c: RFC 9162 Merkle tree hashing, the append border, proofs from
 * stored subtrees, and proof verification.
 *
 * Everything here follows the recursive definitions of RFC 9162 section
 * 2.1 (MTH, PATH, SUBPROOF) written as loops. The one idea beyond the RFC:
 * every subtree those definitions hash is either complete and aligned
 * (read once from the store) or the right border of the tree, which is
 * the fold of at most log2(n) complete subtrees (range_hash). Going down
 * the tree, at most one right-border range is hashed before the walk
 * enters a complete subtree, so proofs cost O(log n) reads.
 *
 * Must not do I/O or allocate; the caller owns every buffer.
 */
#include "audit/merkle.h"

#include <sodium.h>

#include "audit/sha256.h"
#include <string.h>

#define HL MERKLE_HASH_LEN

#define LEAF_FAST_MAX 2048

void merkle_leaf_hash(const void *data, size_t n, unsigned char out[HL])
{
	crypto_hash_sha256_state h;
	unsigned char buf[1 + LEAF_FAST_MAX];
	const unsigned char prefix = 0x00;

	if (n <= LEAF_FAST_MAX) {
		buf[0] = prefix;
		memcpy(buf + 1, data, n);
		audit_sha256(buf, n + 1, out);
		return;
	}
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, &prefix, 1);
	crypto_hash_sha256_update(&h, data, n);
	crypto_hash_sha256_final(&h, out);
}

void merkle_node_hash(const unsigned char l[HL], const unsigned char r[HL],
		      unsigned char out[HL])
{
	unsigned char buf[1 + 2 * HL];

	buf[0] = 0x01;
	memcpy(buf + 1, l, HL);
	memcpy(buf + 1 + HL, r, HL);
	audit_sha256(buf, sizeof(buf), out);
}

static void empty_root(unsigned char out[HL])
{
	crypto_hash_sha256(out, (const unsigned char *)"", 0);
}

/* floor(log2(n)) for n >= 1. */
static unsigned log2_floor(uint64_t n)
{
	return 63u - (unsigned)__builtin_clzll(n);
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return 1ull << log2_floor(n - 1);
}

/* ---- the append border ------------------------------------------------ */

void merkle_tree_init(struct merkle_tree *t)
{
	memset(t, 0, sizeof(*t));
}

enum mu_err merkle_tree_append(struct merkle_tree *t, const unsigned char leaf[HL],
			       merkle_emit_fn emit, void *ctx)
{
	unsigned char h[HL];
	uint64_t n = t->size;
	unsigned level = 0;
	enum mu_err rc;

	if (t->size == UINT64_MAX >> 1)
		return MU_ETOOBIG;
	memcpy(h, leaf, HL);
	while (n & 1) {
		merkle_node_hash(t->border[level], h, h);
		level++;
		n >>= 1;
		if (emit && (rc = emit(ctx, level, t->size >> level, h)) != MU_OK)
			return rc;
	}
	memcpy(t->border[level], h, HL);
	t->size++;
	return MU_OK;
}

void merkle_tree_root(const struct merkle_tree *t, unsigned char out[HL])
{
	int have = 0;

	if (!t->size) {
		empty_root(out);
		return;
	}
	for (unsigned level = 0; level < MERKLE_LEVELS; level++) {
		if (!(t->size >> level & 1))
			continue;
		if (!have)
			memcpy(out, t->border[level], HL);
		else
			merkle_node_hash(t->border[level], out, out);
		have = 1;
	}
}

enum mu_err merkle_tree_load(struct merkle_tree *t, uint64_t size,
			     const struct merkle_src *src)
{
	uint64_t start = 0;
	enum mu_err rc;

	merkle_tree_init(t);
	for (int level = MERKLE_LEVELS - 1; level >= 0; level--) {
		if (!(size >> level & 1))
			continue;
		rc = src->get(src->ctx, (unsigned)level, start >> level, t->border[level]);
		if (rc != MU_OK) {
			merkle_tree_init(t);
			return rc;
		}
		start += 1ull << level;
	}
	t->size = size;
	return MU_OK;
}

/* ---- hashes of ranges from stored subtrees ---------------------------- */

/* MTH(D[begin:end]) for a range inside one aligned complete subtree, the
 * only kind RFC 9162's recursion produces: split it into complete
 * subtrees, largest first, and fold them from the right. */
static enum mu_err range_hash(const struct merkle_src *src, uint64_t begin,
			      uint64_t end, unsigned char out[HL])
{
	unsigned char parts[MERKLE_LEVELS][HL];
	size_t np = 0;
	enum mu_err rc;

	if (begin >= end)
		return MU_EINTERNAL;
	while (begin < end) {
		unsigned level = log2_floor(end - begin);
		if (begin & ((1ull << level) - 1))
			return MU_EINTERNAL;
		if ((rc = src->get(src->ctx, level, begin >> level, parts[np])) != MU_OK)
			return rc;
		np++;
		begin += 1ull << level;
	}
	memcpy(out, parts[np - 1], HL);
	while (np-- > 1)
		merkle_node_hash(parts[np - 1], out, out);
	return MU_OK;
}

enum mu_err merkle_root(const struct merkle_src *src, uint64_t size,
			unsigned char out[HL])
{
	if (!size) {
		empty_root(out);
		return MU_OK;
	}
	return range_hash(src, 0, size, out);
}

static void reverse(unsigned char proof[][HL], size_t n)
{
	unsigned char tmp[HL];

	for (size_t i = 0; i < n / 2; i++) {
		memcpy(tmp, proof[i], HL);
		memcpy(proof[i], proof[n - 1 - i], HL);
		memcpy(proof[n - 1 - i], tmp, HL);
	}
}

/* ---- proofs ------------------------------------------------------------ */

enum mu_err merkle_inclusion_proof(const struct merkle_src *src, uint64_t index,
				   uint64_t size, unsigned char proof[][HL], size_t *n)
{
	uint64_t a = 0, b = size;
	enum mu_err rc;

	*n = 0;
	if (index >= size)
		return MU_EINVAL;
	/* PATH(m, D[a:b]) walked from the top; siblings come out top first. */
	while (b - a > 1) {
		uint64_t k = split_point(b - a);
		if (index < a + k) {
			rc = range_hash(src, a + k, b, proof[*n]);
			b = a + k;
		} else {
			rc = range_hash(src, a, a + k, proof[*n]);
			a += k;
		}
		if (rc != MU_OK)
			return rc;
		(*n)++;
	}
	reverse(proof, *n);
	return MU_OK;
}

enum mu_err merkle_consistency_proof(const struct merkle_src *src, uint64_t m,
				     uint64_t size, unsigned char proof[][HL],
				     size_t *n)
{
	uint64_t a = 0, b = size;
	int whole = 1; /* SUBPROOF's b: is D[a:m] the old tree itself? */
	enum mu_err rc = MU_OK;

	*n = 0;
	if (m > size)
		return MU_EINVAL;
	if (m == 0 || m == size)
		return MU_OK;
	while (rc == MU_OK) {
		uint64_t k;
		if (m == b) {
			if (!whole)
				rc = range_hash(src, a, b, proof[(*n)++]);
			break;
		}
		k = split_point(b - a);
		if (m - a <= k) {
			rc = range_hash(src, a + k, b, proof[(*n)++]);
			b = a + k;
		} else {
			rc = range_hash(src, a, a + k, proof[(*n)++]);
			a += k;
			whole = 0;
		}
	}
	if (rc != MU_OK)
		return rc;
	reverse(proof, *n);
	return MU_OK;
}

/* ---- verification ------------------------------------------------------ */

enum mu_err merkle_verify_inclusion(uint64_t index, uint64_t size,
				    const unsigned char leaf_hash[HL],
				    const unsigned char proof[][HL], size_t n,
				    const unsigned char root[HL])
{
	uint64_t fn = index, sn;
	unsigned char r[HL];

	if (index >= size || n > MERKLE_PROOF_MAX)
		return MU_EINVAL;
	sn = size - 1;
	memcpy(r, leaf_hash, HL);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return MU_ECONFLICT;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || sodium_memcmp(r, root, HL) != 0)
		return MU_ECONFLICT;
	return MU_OK;
}

/* Steps 3 to 7 of RFC 9162 2.1.4.2 over path[0..n), path[0] the seed. */
static enum mu_err consistency_walk(uint64_t size1, uint64_t size2,
				    const unsigned char *seed,
				    const unsigned char proof[][HL], size_t n,
				    const unsigned char root1[HL],
				    const unsigned char root2[HL])
{
	uint64_t fn = size1 - 1, sn = size2 - 1;
	unsigned char fr[HL], sr[HL];

	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, seed, HL);
	memcpy(sr, seed, HL);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return MU_ECONFLICT;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || sodium_memcmp(fr, root1, HL) != 0 ||
	    sodium_memcmp(sr, root2, HL) != 0)
		return MU_ECONFLICT;
	return MU_OK;
}

enum mu_err merkle_verify_consistency(uint64_t size1, uint64_t size2,
				      const unsigned char root1[HL],
				      const unsigned char root2[HL],
				      const unsigned char proof[][HL], size_t n)
{
	if (size2 < size1 || n > MERKLE_PROOF_MAX)
		return MU_EINVAL;
	if (size1 == size2) {
		if (n)
			return MU_EINVAL;
		return sodium_memcmp(root1, root2, HL) == 0 ? MU_OK : MU_ECONFLICT;
	}
	if (size1 == 0)
		return n ? MU_EINVAL : MU_OK;
	if (n == 0)
		return MU_EINVAL;
	/* A power-of-two old tree is itself a node of the new one: it seeds
	 * the walk (step 2); otherwise the proof's first hash does. */
	if ((size1 & (size1 - 1)) == 0)
		return consistency_walk(size1, size2, root1, proof, n, root1, root2);
	return consistency_walk(size1, size2, proof[0], proof + 1, n - 1, root1, root2);
}
