/*
 * test_merkle.c: the RFC 6962 / RFC 9162 Merkle tree of audit/merkle.c
 * against the published Certificate Transparency vectors
 * (tests/unit/data/merkle_vectors.tsv), the corruptions transparency-dev
 * probes each proof with, the edge cases of its verifier tests, and an
 * exhaustive comparison with the recursive definitions for every tree up
 * to PROP_MAX leaves (including the O(log n) bound on stored reads). Then
 * the canonical leaf encoding and the signed head message against an
 * independent implementation (merkle_leaf.tsv), and a receipt round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "audit/leaf.h"
#include "audit/merkle.h"
#include "audit/sha256.h"
#include "audit/sth.h"

#define HL MERKLE_HASH_LEN
#define MEM_LEVELS 10
#define MEM_LEAVES 600
#define PROP_MAX 140

/* ---- an in-memory store of subtrees ---------------------------------- */

struct mem {
	unsigned char h[MEM_LEVELS][MEM_LEAVES][HL];
	unsigned char have[MEM_LEVELS][MEM_LEAVES];
	int reads;
	struct merkle_tree tree;
};

static enum mu_err mem_emit(void *ctx, unsigned level, uint64_t index,
			    const unsigned char h[HL])
{
	struct mem *m = ctx;

	assert_true(level < MEM_LEVELS && index < MEM_LEAVES);
	assert_false(m->have[level][index]); /* each subtree closes once */
	memcpy(m->h[level][index], h, HL);
	m->have[level][index] = 1;
	return MU_OK;
}

static enum mu_err mem_get(void *ctx, unsigned level, uint64_t index,
			   unsigned char out[HL])
{
	struct mem *m = ctx;

	m->reads++;
	if (level >= MEM_LEVELS || index >= MEM_LEAVES || !m->have[level][index])
		return MU_ENOTFOUND;
	memcpy(out, m->h[level][index], HL);
	return MU_OK;
}

static void mem_add(struct mem *m, const unsigned char leaf[HL])
{
	uint64_t i = m->tree.size;

	memcpy(m->h[0][i], leaf, HL);
	m->have[0][i] = 1;
	assert_int_equal(merkle_tree_append(&m->tree, leaf, mem_emit, m), MU_OK);
}

static struct mem *mem_new(void)
{
	struct mem *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	merkle_tree_init(&m->tree);
	return m;
}

/* MTH(D[a:b]) straight from RFC 9162 2.1.1, over m's leaf hashes. */
static void naive_mth(const struct mem *m, uint64_t a, uint64_t b, unsigned char out[HL])
{
	unsigned char l[HL], r[HL];
	uint64_t k = 1;

	if (b - a == 1) {
		memcpy(out, m->h[0][a], HL);
		return;
	}
	while (k * 2 < b - a)
		k *= 2;
	naive_mth(m, a, a + k, l);
	naive_mth(m, a + k, b, r);
	merkle_node_hash(l, r, out);
}

/* ---- the vector file ----------------------------------------------- */

struct vectors {
	unsigned char leaf_data[8][16];
	size_t leaf_len[8];
	int n_leaves;
	unsigned char roots[9][HL];
	char lines[64][1024];
	int n_lines;
};

static FILE *open_data(const char *name)
{
	const char *dir = getenv("MUSTER_TEST_DATA");
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/unit/data", name);
	return fopen(path, "r");
}

static void unhex_any(const char *hex, unsigned char *out, size_t *n)
{
	size_t len = strcmp(hex, "-") ? strlen(hex) / 2 : 0;

	assert_int_equal(len ? audit_unhex(hex, out, len) : 0, 0);
	*n = len;
}

static void unhex32(const char *hex, unsigned char out[HL])
{
	assert_int_equal(audit_unhex(hex, out, HL), 0);
}

/* Comma-separated hashes ("-" for none). */
static size_t parse_proof(const char *text, unsigned char proof[][HL])
{
	char buf[1024];
	char *save = NULL, *tok;
	size_t n = 0;

	if (!strcmp(text, "-"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		unhex32(tok, proof[n++]);
	return n;
}

static struct vectors *load_vectors(void)
{
	struct vectors *v = calloc(1, sizeof(*v));
	FILE *fp = open_data("merkle_vectors.tsv");
	char line[1024];

	assert_non_null(v);
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *save = NULL, *kind, *a, *b;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		snprintf(v->lines[v->n_lines++], sizeof(v->lines[0]), "%s", line);
		kind = strtok_r(line, "\t", &save);
		a = strtok_r(NULL, "\t", &save);
		b = strtok_r(NULL, "\t", &save);
		if (!strcmp(kind, "leaf")) {
			unhex_any(a, v->leaf_data[v->n_leaves], &v->leaf_len[v->n_leaves]);
			v->n_leaves++;
		} else if (!strcmp(kind, "root")) {
			long k = strtol(a, NULL, 10);
			assert_true(k >= 1 && k <= 8);
			unhex32(b, v->roots[k]);
		}
	}
	fclose(fp);
	assert_int_equal(v->n_leaves, 8);
	return v;
}

static struct mem *vector_tree(const struct vectors *v)
{
	struct mem *m = mem_new();
	unsigned char h[HL];

	for (int i = 0; i < v->n_leaves; i++) {
		merkle_leaf_hash(v->leaf_data[i], v->leaf_len[i], h);
		mem_add(m, h);
	}
	return m;
}

/* ---- hashing and roots ------------------------------------------------ */

static void test_hasher_vectors(void **state)
{
	struct vectors *v = load_vectors();
	unsigned char want[HL], got[HL], data[64];
	size_t n;
	int rows = 0;

	(void)state;
	for (int i = 0; i < v->n_lines; i++) {
		char line[1024], *save = NULL, *kind, *a, *b;
		snprintf(line, sizeof(line), "%s", v->lines[i]);
		kind = strtok_r(line, "\t", &save);
		a = strtok_r(NULL, "\t", &save);
		b = strtok_r(NULL, "\t", &save);
		if (!strcmp(kind, "hash")) {
			unhex_any(a, data, &n);
			unhex32(b, want);
			merkle_leaf_hash(data, n, got);
			assert_memory_equal(got, want, HL);
			rows++;
		} else if (!strcmp(kind, "empty")) {
			struct merkle_tree t;
			unhex32(a, want);
			merkle_tree_init(&t);
			merkle_tree_root(&t, got);
			assert_memory_equal(got, want, HL);
			rows++;
		}
	}
	assert_int_equal(rows, 3);
	free(v);
}

static void test_roots(void **state)
{
	struct vectors *v = load_vectors();
	struct mem *m = mem_new();
	struct merkle_src src = {mem_get, m};
	unsigned char h[HL], got[HL];

	(void)state;
	for (int i = 0; i < 8; i++) {
		merkle_leaf_hash(v->leaf_data[i], v->leaf_len[i], h);
		mem_add(m, h);
		merkle_tree_root(&m->tree, got);
		assert_memory_equal(got, v->roots[i + 1], HL);
		assert_int_equal(merkle_root(&src, (uint64_t)i + 1, got), MU_OK);
		assert_memory_equal(got, v->roots[i + 1], HL);
	}
	free(m);
	free(v);
}

/* ---- inclusion ------------------------------------------------------ */

static const unsigned char *some_hash(void)
{
	static unsigned char h[HL];
	unhex32("abacaba000000000000000000000000000000000000000000060061e00123456", h);
	return h;
}

static int incl_ok(uint64_t i, uint64_t n, const unsigned char *leaf,
		   unsigned char (*p)[HL], size_t np, const unsigned char *root)
{
	return merkle_verify_inclusion(i, n, leaf, (const unsigned char(*)[HL])p, np,
				       root) == MU_OK;
}

/* Every corruption transparency-dev's corruptInclusionProof makes. */
static void inclusion_probes(uint64_t i, uint64_t n, const unsigned char *leaf,
			     unsigned char (*proof)[HL], size_t np,
			     const unsigned char *root)
{
	unsigned char p[MERKLE_PROOF_MAX + 2][HL], wrong[HL], zero[HL] = {0};

	merkle_leaf_hash("WrongLeaf", 9, wrong);
	assert_false(incl_ok(i - 1, n, leaf, proof, np, root));
	assert_false(incl_ok(i + 1, n, leaf, proof, np, root));
	assert_false(incl_ok(i ^ 2, n, leaf, proof, np, root));
	assert_false(incl_ok(i, n * 2, leaf, proof, np, root));
	assert_false(incl_ok(i, n / 2, leaf, proof, np, root));
	assert_false(incl_ok(i, n, wrong, proof, np, root));
	assert_false(incl_ok(i, n, leaf, proof, np, some_hash()));
	for (int what = 0; what < 2; what++) {
		const unsigned char *extra = what ? root : zero;
		memcpy(p, proof, np * HL); /* trailing garbage */
		memcpy(p[np], extra, HL);
		assert_false(incl_ok(i, n, leaf, p, np + 1, root));
		memcpy(p[0], extra, HL); /* preceding garbage */
		memcpy(p[1], proof, np * HL);
		assert_false(incl_ok(i, n, leaf, p, np + 1, root));
	}
	for (size_t k = 0; k < np; k++) {
		memcpy(p, proof, np * HL);
		p[k][0] ^= 8;
		assert_false(incl_ok(i, n, leaf, p, np, root));
	}
	if (np > 0)
		assert_false(incl_ok(i, n, leaf, proof, np - 1, root));
	if (np > 1) {
		memcpy(p[0], proof[0], HL);
		memcpy(p[1], some_hash(), HL);
		memcpy(p[2], proof[1], (np - 1) * HL);
		assert_false(incl_ok(i, n, leaf, p, np + 1, root));
	}
}

static void test_inclusion_vectors(void **state)
{
	struct vectors *v = load_vectors();
	struct mem *m = vector_tree(v);
	struct merkle_src src = {mem_get, m};
	unsigned char want[MERKLE_PROOF_MAX][HL], got[MERKLE_PROOF_MAX][HL];
	int rows = 0;

	(void)state;
	for (int l = 0; l < v->n_lines; l++) {
		char line[1024], *save = NULL;
		uint64_t i, n;
		size_t nw, ng;
		if (strncmp(v->lines[l], "incl\t", 5))
			continue;
		snprintf(line, sizeof(line), "%s", v->lines[l]);
		strtok_r(line, "\t", &save);
		i = strtoull(strtok_r(NULL, "\t", &save), NULL, 10);
		n = strtoull(strtok_r(NULL, "\t", &save), NULL, 10);
		nw = parse_proof(strtok_r(NULL, "\t", &save), want);
		assert_int_equal(merkle_inclusion_proof(&src, i, n, got, &ng), MU_OK);
		assert_int_equal(ng, nw);
		assert_memory_equal(got, want, nw * HL);
		assert_true(incl_ok(i, n, m->h[0][i], want, nw, v->roots[n]));
		inclusion_probes(i, n, m->h[0][i], want, nw, v->roots[n]);
		rows++;
	}
	assert_int_equal(rows, 5);
	free(m);
	free(v);
}

static void test_inclusion_edges(void **state)
{
	static const uint64_t probes[][2] = {{0, 0}, {0, 1}, {1, 0}, {2, 1}};
	unsigned char empty[HL], leaf[HL], p[1][HL];
	struct merkle_tree t;
	size_t n;

	(void)state;
	merkle_tree_init(&t);
	merkle_tree_root(&t, empty);
	for (size_t k = 0; k < 4; k++) {
		assert_false(incl_ok(probes[k][0], probes[k][1], some_hash(), p, 0, empty));
		assert_false(incl_ok(probes[k][0], probes[k][1], empty, p, 0, some_hash()));
	}
	/* a one-leaf tree: the root is the leaf hash, the proof empty */
	merkle_leaf_hash("data", 4, leaf);
	assert_true(incl_ok(0, 1, leaf, p, 0, leaf));
	assert_false(incl_ok(0, 1, leaf, p, 0, empty));
	assert_int_equal(merkle_inclusion_proof(NULL, 3, 3, p, &n), MU_EINVAL);
}

/* ---- consistency ---------------------------------------------------- */

static int cons_ok(uint64_t m, uint64_t n, const unsigned char *r1,
		   const unsigned char *r2, unsigned char (*p)[HL], size_t np)
{
	return merkle_verify_consistency(m, n, r1, r2, (const unsigned char(*)[HL])p,
					 np) == MU_OK;
}

/* Every corruption transparency-dev's corruptConsistencyProof makes. */
static void consistency_probes(uint64_t m, uint64_t n, const unsigned char *r1,
			       const unsigned char *r2, unsigned char (*proof)[HL],
			       size_t np)
{
	unsigned char p[MERKLE_PROOF_MAX + 2][HL], zero[HL] = {0}, wrong[HL];
	const unsigned char *extras[] = {zero, r1, r2, proof[0]};

	merkle_leaf_hash("WrongRoot", 9, wrong);
	assert_false(cons_ok(m - 1, n, r1, r2, proof, np));
	assert_false(cons_ok(m + 1, n, r1, r2, proof, np));
	assert_false(cons_ok(m ^ 2, n, r1, r2, proof, np));
	assert_false(cons_ok(m, n * 2, r1, r2, proof, np));
	assert_false(cons_ok(m, n / 2, r1, r2, proof, np));
	assert_false(cons_ok(m, n, wrong, r2, proof, np));
	assert_false(cons_ok(m, n, r1, wrong, proof, np));
	assert_false(cons_ok(m, n, r2, r1, proof, np));
	assert_false(cons_ok(m, n, r1, r2, proof, 0));
	for (size_t k = 0; k < 3; k++) {
		memcpy(p, proof, np * HL);
		memcpy(p[np], extras[k], HL);
		assert_false(cons_ok(m, n, r1, r2, p, np + 1));
	}
	for (size_t k = 0; k < 4; k++) {
		memcpy(p[0], extras[k], HL);
		memcpy(p[1], proof, np * HL);
		assert_false(cons_ok(m, n, r1, r2, p, np + 1));
	}
	assert_false(cons_ok(m, n, r1, r2, proof, np - 1));
	for (size_t k = 0; k < np; k++) {
		memcpy(p, proof, np * HL);
		p[k][0] ^= 16;
		assert_false(cons_ok(m, n, r1, r2, p, np));
	}
}

static void test_consistency_vectors(void **state)
{
	struct vectors *v = load_vectors();
	struct mem *m = vector_tree(v);
	struct merkle_src src = {mem_get, m};
	unsigned char want[MERKLE_PROOF_MAX][HL], got[MERKLE_PROOF_MAX][HL];
	int rows = 0;

	(void)state;
	for (int l = 0; l < v->n_lines; l++) {
		char line[1024], *save = NULL;
		uint64_t a, b;
		size_t nw, ng;
		if (strncmp(v->lines[l], "cons\t", 5))
			continue;
		snprintf(line, sizeof(line), "%s", v->lines[l]);
		strtok_r(line, "\t", &save);
		a = strtoull(strtok_r(NULL, "\t", &save), NULL, 10);
		b = strtoull(strtok_r(NULL, "\t", &save), NULL, 10);
		nw = parse_proof(strtok_r(NULL, "\t", &save), want);
		assert_int_equal(merkle_consistency_proof(&src, a, b, got, &ng), MU_OK);
		assert_int_equal(ng, nw);
		assert_memory_equal(got, want, nw * HL);
		assert_true(cons_ok(a, b, v->roots[a], v->roots[b], want, nw));
		if (nw)
			consistency_probes(a, b, v->roots[a], v->roots[b], want, nw);
		rows++;
	}
	assert_int_equal(rows, 5);
	free(m);
	free(v);
}

/* transparency-dev's TestVerifyConsistency table. */
static void test_consistency_edges(void **state)
{
	unsigned char r1[HL], r2[HL], empty[HL], p[1][HL];
	struct merkle_tree t;
	static const struct {
		uint64_t m, n;
		int root1, root2, proof, ok; /* roots: 1, 2, 0 = empty tree */
	} cases[] = {
		{0, 0, 1, 2, 0, 0}, {1, 1, 1, 2, 0, 0}, {0, 0, 1, 1, 0, 1},
		{0, 1, 1, 2, 0, 1}, {1, 1, 2, 2, 0, 1}, {1, 0, 1, 2, 0, 0},
		{2, 1, 1, 2, 0, 0}, {1, 2, 1, 2, 0, 0}, {0, 0, 0, 2, 0, 0},
		{1, 1, 0, 2, 0, 0}, {0, 0, 0, 0, 1, 0}, {0, 1, 0, 0, 1, 0},
		{1, 1, 0, 0, 1, 0},
	};

	(void)state;
	merkle_tree_init(&t);
	merkle_tree_root(&t, empty);
	merkle_leaf_hash("don't care 1", 12, r1);
	merkle_leaf_hash("don't care 2", 12, r2);
	memcpy(p[0], empty, HL);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const unsigned char *a = cases[k].root1 == 1 ? r1 : cases[k].root1 ? r2 : empty;
		const unsigned char *b = cases[k].root2 == 1 ? r1 : cases[k].root2 ? r2 : empty;
		if (cons_ok(cases[k].m, cases[k].n, a, b, p, (size_t)cases[k].proof) !=
		    cases[k].ok)
			fail_msg("consistency case %zu: want %s", k,
				 cases[k].ok ? "valid" : "invalid");
	}
}

/* ---- every tree up to PROP_MAX leaves against the definitions ------- */

static unsigned ceil_log2(uint64_t n)
{
	unsigned k = 0;
	while ((1ull << k) < n)
		k++;
	return k;
}

static struct mem *random_tree(uint64_t n)
{
	struct mem *m = mem_new();
	unsigned char data[8], h[HL];

	for (uint64_t i = 0; i < n; i++) {
		memcpy(data, &i, sizeof(i));
		merkle_leaf_hash(data, sizeof(data), h);
		mem_add(m, h);
	}
	return m;
}

static void check_size(struct mem *m, uint64_t n)
{
	struct merkle_src src = {mem_get, m};
	unsigned char want[HL], got[HL], old[HL], p[MERKLE_PROOF_MAX][HL];
	struct merkle_tree t;
	size_t np;

	naive_mth(m, 0, n, want);
	assert_int_equal(merkle_root(&src, n, got), MU_OK);
	assert_memory_equal(got, want, HL);
	assert_int_equal(merkle_tree_load(&t, n, &src), MU_OK);
	merkle_tree_root(&t, got);
	assert_memory_equal(got, want, HL);
	for (uint64_t i = 0; i < n; i++) {
		m->reads = 0;
		assert_int_equal(merkle_inclusion_proof(&src, i, n, p, &np), MU_OK);
		assert_true(m->reads <= (int)(2 * ceil_log2(n)));
		assert_true(np <= ceil_log2(n));
		assert_true(incl_ok(i, n, m->h[0][i], p, np, want));
		if (np)
			assert_false(incl_ok(i, n, m->h[0][(i + 1) % n], p, np, want));
	}
	for (uint64_t k = 1; k <= n; k++) {
		naive_mth(m, 0, k, old);
		m->reads = 0;
		assert_int_equal(merkle_consistency_proof(&src, k, n, p, &np), MU_OK);
		assert_true(m->reads <= (int)(3 * ceil_log2(n) + 1));
		assert_true(np <= ceil_log2(n) + 1);
		assert_true(cons_ok(k, n, old, want, p, np));
		if (np)
			assert_false(cons_ok(k, n, want, old, p, np));
	}
}

static void test_every_small_tree(void **state)
{
	struct mem *m = random_tree(PROP_MAX);

	(void)state;
	for (uint64_t n = 1; n <= PROP_MAX; n++)
		check_size(m, n);
	free(m);
}

static enum mu_err fail_emit(void *ctx, unsigned level, uint64_t index,
			     const unsigned char h[HL])
{
	return MU_EIO;
}

static void test_append_failure_keeps_tree(void **state)
{
	struct merkle_tree t, before;
	unsigned char h[HL] = {1};

	(void)state;
	merkle_tree_init(&t);
	assert_int_equal(merkle_tree_append(&t, h, NULL, NULL), MU_OK);
	before = t;
	assert_int_equal(merkle_tree_append(&t, h, fail_emit, NULL), MU_EIO);
	assert_memory_equal(&t, &before, sizeof(t));
}

/* The accelerated SHA-256 against libsodium's for every length up to
 * four blocks and every padding boundary, over pseudo-random bytes. */
static void test_sha256_matches_libsodium(void **state)
{
	unsigned char data[300], want[32], got[32];

	(void)state;
	print_message("SHA extensions %s\n", audit_sha256_accelerated() ? "in use"
				 : "absent: comparing libsodium with itself");
	randombytes_buf_deterministic(data, sizeof(data),
				      (const unsigned char *)"muster-sha256-test-seed-32bytes!");
	for (size_t n = 0; n <= sizeof(data); n++) {
		crypto_hash_sha256(want, data, n);
		audit_sha256(data, n, got);
		if (memcmp(want, got, 32))
			fail_msg("SHA-256 differs at length %zu", n);
	}
	audit_sha256_use_accelerated(0);
	audit_sha256(data, 100, got);
	crypto_hash_sha256(want, data, 100);
	assert_memory_equal(got, want, 32);
	audit_sha256_use_accelerated(1);
}

/* ---- the leaf encoding, head message and receipts -------------------- */

static void leaf_field(struct audit_entry *e, const char *k, const char *v)
{
	struct {
		const char *key;
		char *dst;
		size_t size;
	} f[] = {
		{"actor_token", e->actor_token, sizeof(e->actor_token)},
		{"actor_role", e->actor_role, sizeof(e->actor_role)},
		{"actor_office", e->actor_office, sizeof(e->actor_office)},
		{"action", e->action, sizeof(e->action)},
		{"subject_type", e->subject_type, sizeof(e->subject_type)},
		{"subject_id", e->subject_id, sizeof(e->subject_id)},
		{"person", e->person, sizeof(e->person)},
		{"purpose", e->purpose, sizeof(e->purpose)},
		{"request_id", e->request_id, sizeof(e->request_id)},
		{"detail", e->detail, sizeof(e->detail)},
	};

	if (!strcmp(k, "idx"))
		e->idx = strtoll(v, NULL, 10);
	else if (!strcmp(k, "at"))
		e->at = strtoll(v, NULL, 10);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(k, f[i].key))
			snprintf(f[i].dst, f[i].size, "%s", v);
}

static void test_leaf_and_head_encoding(void **state)
{
	FILE *fp = open_data("merkle_leaf.tsv");
	struct audit_entry e;
	struct audit_head h;
	unsigned char enc[AUDIT_LEAF_MAX], want[AUDIT_LEAF_MAX], lh[HL], msg[AUDIT_HEAD_MSG_LEN];
	char line[1024];
	size_t n, wn;

	(void)state;
	assert_non_null(fp);
	memset(&e, 0, sizeof(e));
	memset(&h, 0, sizeof(h));
	while (fgets(line, sizeof(line), fp)) {
		char *tab, *val;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || !(tab = strchr(line, '\t')))
			continue;
		*tab = '\0';
		val = tab + 1;
		leaf_field(&e, line, val);
		if (!strcmp(line, "encoding")) {
			n = audit_leaf_encode(&e, enc, sizeof(enc), NULL);
			unhex_any(val, want, &wn);
			assert_int_equal(n, wn);
			assert_memory_equal(enc, want, n);
		} else if (!strcmp(line, "leaf_hash")) {
			unhex32(val, want);
			audit_leaf_hash(&e, lh, NULL);
			assert_memory_equal(lh, want, HL);
		} else if (!strcmp(line, "head_size")) {
			h.size = strtoll(val, NULL, 10);
		} else if (!strcmp(line, "head_ts")) {
			h.timestamp_ms = strtoll(val, NULL, 10);
		} else if (!strcmp(line, "head_root")) {
			unhex32(val, h.root);
		} else if (!strcmp(line, "head_msg")) {
			unhex_any(val, want, &wn);
			audit_head_message(&h, msg);
			assert_int_equal(wn, AUDIT_HEAD_MSG_LEN);
			assert_memory_equal(msg, want, wn);
		}
	}
	fclose(fp);
	assert_int_equal(audit_leaf_encode(&e, enc, 100, NULL), 0); /* too small */
}

static void test_entry_json_round_trip(void **state)
{
	struct audit_entry e, back;
	struct mu_error err = {0};
	json_t *o;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.idx = 7;
	e.at = 1773122400;
	leaf_field(&e, "action", "person.read");
	leaf_field(&e, "detail", "{\"x\":\"\\u00e9\"}");
	leaf_field(&e, "person", "AB-1");
	o = audit_entry_json(&e);
	assert_int_equal(audit_entry_from_json(o, &back, &err), MU_OK);
	assert_memory_equal(&e, &back, sizeof(e));
	json_object_set_new(o, "action", json_integer(3));
	assert_int_equal(audit_entry_from_json(o, &back, &err), MU_EINVAL);
	assert_string_equal(err.field, "action");
	json_decref(o);
}

static void test_head_signature(void **state)
{
	unsigned char pk[32], sk[64], seed[32] = {42}, pk2[32], sk2[64];
	struct audit_head h = {.size = 5, .timestamp_ms = 1000};
	struct audit_head back;
	struct mu_error err = {0};
	json_t *o;

	(void)state;
	crypto_sign_seed_keypair(pk, sk, seed);
	seed[0] = 43;
	crypto_sign_seed_keypair(pk2, sk2, seed);
	audit_head_sign(&h, sk);
	assert_int_equal(audit_head_verify(&h, pk), MU_OK);
	assert_int_equal(audit_head_verify(&h, pk2), MU_ECONFLICT);
	o = audit_head_json(&h);
	assert_int_equal(audit_head_from_json(o, &back, &err), MU_OK);
	assert_memory_equal(&h, &back, sizeof(h));
	json_decref(o);
	h.size = 6;
	assert_int_equal(audit_head_verify(&h, pk), MU_ECONFLICT);
}

/* A receipt for entry `which` of a 5-entry log, as h_audit.c builds it. */
static json_t *make_receipt(struct mem *m, struct audit_entry *v, int which,
			    const unsigned char sk[64], const unsigned char pk[32])
{
	struct merkle_src src = {mem_get, m};
	struct audit_head h = {.size = 5, .timestamp_ms = 1773122400000};
	unsigned char p[MERKLE_PROOF_MAX][HL];
	char lh[65], pkh[65];
	size_t np;

	assert_int_equal(merkle_root(&src, 5, h.root), MU_OK);
	audit_head_sign(&h, sk);
	assert_int_equal(merkle_inclusion_proof(&src, (uint64_t)which, 5, p, &np), MU_OK);
	return json_pack("{s:o, s:I, s:s, s:I, s:o, s:o, s:s}", "entry",
			 audit_entry_json(&v[which]), "leaf_index", (json_int_t)which,
			 "leaf_hash", audit_hex(m->h[0][which], 32, lh), "tree_size",
			 (json_int_t)5, "inclusion_proof",
			 audit_proof_json((const unsigned char(*)[32])p, np), "signed_head",
			 audit_head_json(&h), "public_key", audit_hex(pk, 32, pkh));
}

static void test_receipt(void **state)
{
	unsigned char pk[32], sk[64], seed[32] = {7}, pk2[32], sk2[64], h[HL];
	struct audit_entry v[5], got;
	struct mem *m = mem_new();
	struct mu_error err = {0};
	json_t *r;

	(void)state;
	crypto_sign_seed_keypair(pk, sk, seed);
	seed[0] = 8;
	crypto_sign_seed_keypair(pk2, sk2, seed);
	for (int i = 0; i < 5; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].idx = i;
		v[i].at = 1773122400 + i;
		leaf_field(&v[i], "action", i == 3 ? "summons.event" : "person.read");
		leaf_field(&v[i], "detail", "{}");
		audit_leaf_hash(&v[i], h, NULL);
		mem_add(m, h);
	}
	r = make_receipt(m, v, 3, sk, pk);
	if (audit_receipt_verify(r, pk, &got, &err) != MU_OK)
		fail_msg("receipt: %s: %s", err.field, err.detail);
	assert_string_equal(got.action, "summons.event");
	/* another key */
	assert_int_equal(audit_receipt_verify(r, pk2, NULL, &err), MU_ECONFLICT);
	json_object_del(r, "public_key");
	assert_int_equal(audit_receipt_verify(r, pk2, NULL, &err), MU_ECONFLICT);
	assert_string_equal(err.field, "signed_head");
	/* an altered entry */
	json_object_set_new(json_object_get(r, "entry"), "action", json_string("x"));
	assert_int_equal(audit_receipt_verify(r, pk, NULL, &err), MU_ECONFLICT);
	json_object_del(r, "leaf_hash");
	assert_int_equal(audit_receipt_verify(r, pk, NULL, &err), MU_ECONFLICT);
	assert_string_equal(err.field, "inclusion_proof");
	json_decref(r);
	/* a proof for another leaf */
	r = make_receipt(m, v, 2, sk, pk);
	json_object_set_new(r, "entry", audit_entry_json(&v[3]));
	json_object_set_new(r, "leaf_index", json_integer(3));
	json_object_del(r, "leaf_hash");
	assert_int_equal(audit_receipt_verify(r, pk, NULL, &err), MU_ECONFLICT);
	json_decref(r);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hasher_vectors),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_inclusion_vectors),
		cmocka_unit_test(test_inclusion_edges),
		cmocka_unit_test(test_consistency_vectors),
		cmocka_unit_test(test_consistency_edges),
		cmocka_unit_test(test_every_small_tree),
		cmocka_unit_test(test_append_failure_keeps_tree),
		cmocka_unit_test(test_sha256_matches_libsodium),
		cmocka_unit_test(test_leaf_and_head_encoding),
		cmocka_unit_test(test_entry_json_round_trip),
		cmocka_unit_test(test_head_signature),
		cmocka_unit_test(test_receipt),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
