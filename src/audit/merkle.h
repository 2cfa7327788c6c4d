/*
 * merkle.h: RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their
 * verification. Pure: no I/O, no allocation, no clock.
 *
 * A log of n entries d[0..n) is the tree MTH(D[n]) of RFC 9162 section
 * 2.1.1: leaf hash SHA-256(0x00 || d), node hash SHA-256(0x01 || l || r),
 * and the root of the empty tree SHA-256(""). Leaves are numbered from 0.
 *
 * Storage stays with the caller. The append side keeps a struct
 * merkle_tree, the right border of the tree ("compact range": one hash
 * per set bit of the size), and reports every complete subtree it closes
 * through a callback, so a store can keep the interior hashes. The proof
 * side reads complete subtrees back through a merkle_get_fn: the subtree
 * at (level L, index i) covers leaves [i * 2^L, (i + 1) * 2^L) and level 0
 * is the leaf hash itself. Roots and proofs then cost O(log n) reads.
 *
 * Proof order is RFC 9162's: the node nearest the leaf first.
 */
#ifndef MU_MERKLE_H
#define MU_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MERKLE_HASH_LEN 32
#define MERKLE_LEVELS 64     /* a tree of up to 2^63 leaves */
#define MERKLE_PROOF_MAX 66  /* longest inclusion or consistency proof */

/* The right border of a tree of `size` leaves: border[L] is the root of
 * the complete subtree of 2^L leaves that bit L of size stands for. */
struct merkle_tree {
	uint64_t size;
	unsigned char border[MERKLE_LEVELS][MERKLE_HASH_LEN];
};

/* Called for every complete subtree of level >= 1 an append closes. */
typedef enum mu_err (*merkle_emit_fn)(void *ctx, unsigned level, uint64_t index,
				      const unsigned char hash[MERKLE_HASH_LEN]);
/* Reads the stored hash of complete subtree (level, index) into out. */
typedef enum mu_err (*merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
				     unsigned char out[MERKLE_HASH_LEN]);

struct merkle_src {
	merkle_get_fn get;
	void *ctx;
};

/* SHA-256(0x00 || data[0..n)). */
void merkle_leaf_hash(const void *data, size_t n, unsigned char out[MERKLE_HASH_LEN]);
/* SHA-256(0x01 || l || r). out may alias l or r. */
void merkle_node_hash(const unsigned char l[MERKLE_HASH_LEN],
		      const unsigned char r[MERKLE_HASH_LEN],
		      unsigned char out[MERKLE_HASH_LEN]);

/* The empty tree. */
void merkle_tree_init(struct merkle_tree *t);
/* Append one leaf hash; emit (may be NULL) sees each subtree it completes,
 * lowest first. On an emit failure *t is unchanged and its code returned. */
enum mu_err merkle_tree_append(struct merkle_tree *t,
			       const unsigned char leaf[MERKLE_HASH_LEN],
			       merkle_emit_fn emit, void *ctx) MU_MUSTCHECK;
/* The root hash of *t (SHA-256("") when empty). */
void merkle_tree_root(const struct merkle_tree *t, unsigned char out[MERKLE_HASH_LEN]);
/* Rebuild the border of a tree of `size` leaves from stored subtrees
 * (popcount(size) reads). *t is the empty tree on failure. */
enum mu_err merkle_tree_load(struct merkle_tree *t, uint64_t size,
			     const struct merkle_src *src) MU_MUSTCHECK;

/* MTH(D[0:size]) from stored subtrees, O(log size) reads. */
enum mu_err merkle_root(const struct merkle_src *src, uint64_t size,
			unsigned char out[MERKLE_HASH_LEN]) MU_MUSTCHECK;
/* The inclusion proof of leaf `index` in the tree of `size` leaves
 * (RFC 9162 2.1.3.1) into proof[0..*n). MU_EINVAL unless index < size. */
enum mu_err merkle_inclusion_proof(const struct merkle_src *src, uint64_t index,
				   uint64_t size,
				   unsigned char proof[][MERKLE_HASH_LEN],
				   size_t *n) MU_MUSTCHECK;
/* The consistency proof between sizes m <= size (RFC 9162 2.1.4.1);
 * empty when m is 0 or m == size. MU_EINVAL when m > size. */
enum mu_err merkle_consistency_proof(const struct merkle_src *src, uint64_t m,
				     uint64_t size,
				     unsigned char proof[][MERKLE_HASH_LEN],
				     size_t *n) MU_MUSTCHECK;

/* RFC 9162 2.1.3.2: MU_OK when proof[0..n) shows leaf_hash at index in
 * the tree of `size` leaves with root `root`; MU_EINVAL for impossible
 * arguments, MU_ECONFLICT when the hashes do not add up. */
enum mu_err merkle_verify_inclusion(uint64_t index, uint64_t size,
				    const unsigned char leaf_hash[MERKLE_HASH_LEN],
				    const unsigned char proof[][MERKLE_HASH_LEN], size_t n,
				    const unsigned char root[MERKLE_HASH_LEN]) MU_MUSTCHECK;
/* RFC 9162 2.1.4.2: MU_OK when proof[0..n) shows the tree of size1 with
 * root1 is a prefix of the tree of size2 with root2. Same codes. */
enum mu_err merkle_verify_consistency(uint64_t size1, uint64_t size2,
				      const unsigned char root1[MERKLE_HASH_LEN],
				      const unsigned char root2[MERKLE_HASH_LEN],
				      const unsigned char proof[][MERKLE_HASH_LEN],
				      size_t n) MU_MUSTCHECK;

#endif
