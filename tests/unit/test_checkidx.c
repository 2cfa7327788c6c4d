/*
 * test_checkidx.c: the agency checks' in-memory index of store/checkidx.c
 * against a brute-force model (plain arrays of struct ci_state), under a
 * deterministic random mix of puts and removals: over a large pool of ids
 * (growth, then heavy backward-shift deletion and swap-removal of the dense
 * array), and with the number of persons held at 512, which keeps the first
 * table at its maximum load (long probe runs, some wrapping round the end
 * of the table), in rounds on fresh indexes. The model answers 0 for
 * an absent person or a kind not in force, -1 for every kind of a person
 * whose kinds in force rest on three or more distinct summonses, else 1
 * with the exact since and basis. Then growth to 100,000 entries and the
 * removal of every other one, the edge cases (over-long ids, bases of
 * exactly SUMMONS_ID_MAX chars, overwrites, removing an absent id) and the
 * byte count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/checkidx.h"

#define ALL_KINDS ((1u << RK__COUNT) - 1)

/* ---- a deterministic PRNG (xorshift64*) ------------------------------- */

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9E3779B97F4A7C15ull;
}

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned rng_below(unsigned n)
{
	return (unsigned)((rng() >> 32) % n);
}

/* ---- ids (without snprintf, which would dominate the runtime) --------- */

/* "RU-" and n in ten digits. */
static void make_id(char id[NATIONAL_ID_MAX + 1], unsigned n)
{
	memcpy(id, "RU-", 3);
	for (int d = 12; d >= 3; d--, n /= 10)
		id[d] = (char)('0' + n % 10);
	id[13] = '\0';
}

/* ---- the brute-force model --------------------------------------------- */

/* Bases: prefixes of one another, and two of exactly SUMMONS_ID_MAX chars
 * differing only in the last one. */
static const char *const BASES[] = {
	"S-1",
	"S-12",
	"S-2",
	"SUMMONS-0123456789ABCDEF",
	"SUMMONS-0123456789ABCDEG",
};
#define NBASES (sizeof(BASES) / sizeof(BASES[0]))

/* Distinct bases among the kinds in force. */
static int distinct_bases(const struct ci_state *st)
{
	const char *seen[RK__COUNT];
	int n = 0;

	for (int k = 0; k < RK__COUNT; k++) {
		int b;
		if (!(st->mask & (1u << k)))
			continue;
		for (b = 0; b < n && strcmp(seen[b], st->basis[k]) != 0; b++)
			;
		if (b == n)
			seen[n++] = st->basis[k];
	}
	return n;
}

/* ci_get must answer, for each kind k of id in state st (mask 0: absent):
 * 0 when absent or k not in force, -1 for every k when the kinds in force
 * rest on three or more distinct bases (complex, given here as the model
 * keeps it), else 1 with since and basis. */
static void check_known(const struct checkidx *ci, const char *id,
			const struct ci_state *st, int complex, const char *when,
			long op)
{
	for (int k = 0; k < RK__COUNT; k++) {
		int64_t since = INT64_C(0x5A5A5A5A5A5A5A5A);
		char basis[SUMMONS_ID_MAX + 1];
		int want = !st->mask ? 0 : complex ? -1 : (int)((st->mask >> k) & 1u), got;

		memset(basis, 'Z', sizeof(basis));
		got = ci_get(ci, id, k, &since, basis);
		if (got != want)
			fail_msg("%s, op %ld: ci_get(%s, kind %d) = %d, want %d "
				 "(mask %#x, %d distinct bases)",
				 when, op, id, k, got, want, st->mask,
				 distinct_bases(st));
		if (got != 1)
			continue;
		if (since != st->since[k])
			fail_msg("%s, op %ld: %s kind %d since %lld, want %lld", when,
				 op, id, k, (long long)since, (long long)st->since[k]);
		if (memchr(basis, '\0', sizeof(basis)) == NULL ||
		    strcmp(basis, st->basis[k]) != 0)
			fail_msg("%s, op %ld: %s kind %d basis \"%.*s\", want \"%s\"",
				 when, op, id, k, (int)sizeof(basis), basis,
				 st->basis[k]);
	}
}

static void check_one(const struct checkidx *ci, const char *id,
		      const struct ci_state *st, const char *when, long op)
{
	check_known(ci, id, st, st->mask && distinct_bases(st) > 2, when, op);
}

static size_t model_count(const struct ci_state *m, int n)
{
	size_t c = 0;

	for (int i = 0; i < n; i++)
		c += m[i].mask != 0;
	return c;
}

static void check_all(const struct checkidx *ci, char (*ids)[NATIONAL_ID_MAX + 1],
		      const struct ci_state *m, const unsigned char *cx, int n,
		      const char *when, long op)
{
	for (int i = 0; i < n; i++)
		check_known(ci, ids[i], &m[i], cx[i], when, op);
	assert_int_equal(ci_count(ci), model_count(m, n));
}

/* A random state: mask often 0, since anything, bases drawn from a small
 * random subset of BASES so that 1, 2 and 3+ distinct ones all occur.
 * Kinds not in force get junk since and a junk basis of their own, which
 * must count for nothing. */
static void random_state(struct ci_state *st, unsigned zero_pct)
{
	unsigned r = rng_below(100), nsub = 1 + rng_below(4);
	const char *sub[4];

	if (r < zero_pct)
		st->mask = 0;
	else if (r < zero_pct + 15)
		st->mask = 1u << rng_below(RK__COUNT);
	else
		st->mask = 1 + rng_below(ALL_KINDS);
	/* nsub distinct bases: consecutive in BASES from a random start */
	for (unsigned s = 0, first = rng_below(NBASES); s < nsub; s++)
		sub[s] = BASES[(first + s) % NBASES];
	for (int k = 0; k < RK__COUNT; k++) {
		uint64_t v = rng();
		switch (v & 7) {
		case 0: st->since[k] = 0; break;
		case 1: st->since[k] = INT64_MIN; break;
		case 2: st->since[k] = INT64_MAX; break;
		default: st->since[k] = (int64_t)(v >> 3) - (int64_t)(UINT64_MAX >> 4);
		}
		memset(st->basis[k], 'J', sizeof(st->basis[k]));
		if (st->mask & (1u << k)) {
			strcpy(st->basis[k], sub[rng_below(nsub)]);
		} else {
			memcpy(st->basis[k], "JUNK-0", sizeof("JUNK-0"));
			st->basis[k][5] = (char)('0' + k);
		}
	}
}

struct model_cfg {
	const char *name;
	int pool;         /* ids */
	long ops;
	unsigned zero_pct;
	long batch;       /* every id, every kind checked every batch ops */
	long sweep;       /* every present id checked every sweep ops */
	size_t max_n;     /* when non-zero: at this many persons, an insertion
			   * becomes the removal of a random present one */
	int rounds;       /* each on a fresh index (a fresh hash key) */
	uint64_t seed;
};

/* The persons present in the model, for picking one at random and for
 * the sweep: pl[0..n) their pool indices, pos[i] the place of i in pl. */
struct present {
	int *pl, *pos;
	size_t n;
};

static void present_set(struct present *p, int i, int on)
{
	if (on && p->pos[i] < 0) {
		p->pos[i] = (int)p->n;
		p->pl[p->n++] = i;
	} else if (!on && p->pos[i] >= 0) {
		int last = p->pl[--p->n];
		p->pl[p->pos[i]] = last;
		p->pos[last] = p->pos[i];
		p->pos[i] = -1;
	}
}

/* One ci_get per present person, at its lowest kind in force: a person
 * the table has lost (a broken backward shift or swap) answers 0. */
static void sweep(const struct checkidx *ci, char (*ids)[NATIONAL_ID_MAX + 1],
		  const struct ci_state *m, const unsigned char *cx,
		  const struct present *p, const char *when, long op)
{
	for (size_t j = 0; j < p->n; j++) {
		int i = p->pl[j], k = __builtin_ctz(m[i].mask), want, got;
		int64_t since;
		char basis[SUMMONS_ID_MAX + 1];

		want = cx[i] ? -1 : 1;
		got = ci_get(ci, ids[i], k, &since, basis);
		if (got != want)
			fail_msg("%s sweep, op %ld: ci_get(%s, kind %d) = %d, want %d",
				 when, op, ids[i], k, got, want);
	}
}

static void run_round(const struct model_cfg *cfg, int round)
{
	char (*ids)[NATIONAL_ID_MAX + 1] = calloc((size_t)cfg->pool, sizeof(*ids));
	struct ci_state *m = calloc((size_t)cfg->pool, sizeof(*m));
	unsigned char *cx = calloc((size_t)cfg->pool, 1); /* 3+ bases */
	struct present p = {
		calloc((size_t)cfg->pool, sizeof(int)),
		malloc((size_t)cfg->pool * sizeof(int)), 0,
	};
	struct checkidx *ci = ci_new();
	long seen[4] = { 0 }, removals = 0;
	size_t peak = 0;

	assert_non_null(ids);
	assert_non_null(m);
	assert_non_null(cx);
	assert_non_null(p.pl);
	assert_non_null(p.pos);
	assert_non_null(ci);
	rng_seed(cfg->seed + (uint64_t)round);
	/* distinct ids, as the model needs */
	for (int i = 0; i < cfg->pool; i++) {
		make_id(ids[i], (unsigned)(i * 7919 + 13));
		p.pos[i] = -1;
	}

	for (long op = 1; op <= cfg->ops; op++) {
		int i = (int)rng_below((unsigned)cfg->pool);
		struct ci_state st;
		int d = 0;

		random_state(&st, cfg->zero_pct);
		if (cfg->max_n && st.mask && !m[i].mask && p.n == cfg->max_n) {
			i = p.pl[rng_below((unsigned)p.n)];
			st.mask = 0;
		}
		if (!st.mask && m[i].mask)
			removals++;
		if (st.mask) {
			d = distinct_bases(&st);
			seen[d > 3 ? 3 : d]++;
		}
		assert_int_equal(ci_put(ci, ids[i], &st), 0);
		m[i] = st;
		cx[i] = d > 2;
		present_set(&p, i, st.mask != 0);
		/* the index must have copied st: scribble over it */
		memset(&st, 0xA5, sizeof(st));
		check_known(ci, ids[i], &m[i], cx[i], cfg->name, op);
		assert_int_equal(ci_count(ci), p.n);
		if (p.n > peak)
			peak = p.n;
		if (op % cfg->sweep == 0)
			sweep(ci, ids, m, cx, &p, cfg->name, op);
		if (op % cfg->batch == 0 || op == cfg->ops)
			check_all(ci, ids, m, cx, cfg->pool, cfg->name, op);
	}
	/* the mix did what it is for */
	assert_true(seen[1] > cfg->ops / 20);
	assert_true(seen[2] > cfg->ops / 20);
	assert_true(seen[3] > cfg->ops / 20);
	assert_true(removals > cfg->ops / 5);
	assert_true(peak > (size_t)cfg->pool / 10);
	assert_true(!cfg->max_n || peak == cfg->max_n);

	/* empty it through the API and check nothing is left */
	for (int i = 0; i < cfg->pool; i++) {
		struct ci_state none = { 0 };
		assert_int_equal(ci_put(ci, ids[i], &none), 0);
		m[i].mask = 0;
		cx[i] = 0;
	}
	check_all(ci, ids, m, cx, cfg->pool, cfg->name, cfg->ops + 1);
	assert_int_equal(ci_count(ci), 0);

	ci_free(ci);
	free(p.pos);
	free(p.pl);
	free(cx);
	free(m);
	free(ids);
}

static void run_model(const struct model_cfg *cfg)
{
	for (int r = 0; r < cfg->rounds; r++)
		run_round(cfg, r);
}

/* A large pool: the table grows, then lives at moderate load under churn. */
static void test_model_large(void **state)
{
	static const struct model_cfg cfg = {
		"large", 5000, 200000, 40, 2000, 1000, 0, 1, 0x6D75737465720001ull,
	};
	run_model(&cfg);
}

/* At most 512 persons never make the first 1024-slot table grow: held at
 * or just under 512, it runs at load one half, with long probe runs, some
 * of which wrap round its end (where the backward shift must compare
 * positions cyclically). Such removals are rare, and how rare depends on
 * the hash key ci_new draws: four rounds, each on a fresh index. A person
 * lost by a wrong shift is caught by the sweep, or by ci_count (it stays
 * in the array, and a re-put adds it twice). */
static void test_model_dense(void **state)
{
	static const struct model_cfg cfg = {
		"dense", 4096, 50000, 30, 10000, 100, 512, 4, 0x6D75737465720002ull,
	};
	run_model(&cfg);
}

/* ---- growth ------------------------------------------------------------- */

#define GROW_N 100000

static void grow_state(int i, struct ci_state *st)
{
	char b[3][SUMMONS_ID_MAX + 1];

	/* "RU-<i>-<j>": the id and the basis number */
	for (int j = 0; j < 3; j++) {
		make_id(b[j], (unsigned)i);
		b[j][13] = '-';
		b[j][14] = (char)('0' + j);
		b[j][15] = '\0';
	}
	memset(st, 0, sizeof(*st));
	st->mask = 1 + (unsigned)(i % (int)ALL_KINDS);
	for (int k = 0; k < RK__COUNT; k++) {
		st->since[k] = (int64_t)i * 1000 + k;
		/* one or two bases per person, three on every 7th */
		memcpy(st->basis[k], b[i % 7 == 0 ? k % 3 : i % 2 ? k % 2 : 0],
		       sizeof(st->basis[k]));
	}
}

static void test_growth(void **state)
{
	struct checkidx *ci = ci_new();
	char id[NATIONAL_ID_MAX + 1];
	struct ci_state st, none = { 0 };
	int complex = 0;

	assert_non_null(ci);
	for (int i = 0; i < GROW_N; i++) {
		make_id(id, (unsigned)i);
		grow_state(i, &st);
		complex += distinct_bases(&st) > 2;
		assert_int_equal(ci_put(ci, id, &st), 0);
		assert_int_equal(ci_count(ci), (size_t)i + 1);
		/* after each doubling of the table and of the array (the
		 * 513th, 1025th, ... entry), everything so far is still there */
		if (i >= 512 && (i & (i - 1)) == 0) {
			for (int j = 0; j <= i; j++) {
				struct ci_state sj;
				make_id(id, (unsigned)j);
				grow_state(j, &sj);
				check_one(ci, id, &sj, "growth insert", i);
			}
		}
	}
	assert_true(complex > 0 && complex < GROW_N);
	for (int i = 0; i < GROW_N; i++) {
		make_id(id, (unsigned)i);
		grow_state(i, &st);
		check_one(ci, id, &st, "growth full", i);
	}
	for (int i = 0; i < GROW_N; i += 2) {
		make_id(id, (unsigned)i);
		assert_int_equal(ci_put(ci, id, &none), 0);
	}
	assert_int_equal(ci_count(ci), GROW_N / 2);
	for (int i = 0; i < GROW_N; i++) {
		make_id(id, (unsigned)i);
		if (i % 2 == 0)
			memset(&st, 0, sizeof(st));
		else
			grow_state(i, &st);
		check_one(ci, id, &st, "growth halved", i);
	}
	ci_free(ci);
}

/* ---- edge cases --------------------------------------------------------- */

static void set_kind(struct ci_state *st, int k, int64_t since, const char *basis)
{
	st->mask |= 1u << k;
	st->since[k] = since;
	snprintf(st->basis[k], sizeof(st->basis[k]), "%s", basis);
}

static void test_long_ids(void **state)
{
	struct checkidx *ci = ci_new();
	char id32[NATIONAL_ID_MAX + 1], id33[NATIONAL_ID_MAX + 2], id40[41];
	struct ci_state st = { 0 }, none = { 0 };
	int64_t since = 7;
	char basis[SUMMONS_ID_MAX + 1] = "untouched";

	assert_non_null(ci);
	memset(id32, 'A', NATIONAL_ID_MAX);
	id32[NATIONAL_ID_MAX] = '\0';
	memset(id33, 'A', NATIONAL_ID_MAX + 1);
	id33[NATIONAL_ID_MAX + 1] = '\0';
	memset(id40, 'B', 40);
	id40[40] = '\0';
	set_kind(&st, RK_EXIT, 42, "S-1");

	/* too long: refused with a mask, ignored without */
	assert_int_equal(ci_put(ci, id33, &st), -1);
	assert_int_equal(ci_put(ci, id40, &st), -1);
	assert_int_equal(ci_count(ci), 0);
	assert_int_equal(ci_put(ci, id33, &none), 0);
	assert_int_equal(ci_get(ci, id33, RK_EXIT, &since, basis), 0);
	assert_int_equal(ci_get(ci, id40, RK_EXIT, &since, basis), 0);

	/* exactly NATIONAL_ID_MAX is fine */
	assert_int_equal(ci_put(ci, id32, &st), 0);
	assert_int_equal(ci_count(ci), 1);
	assert_int_equal(ci_get(ci, id32, RK_EXIT, &since, basis), 1);
	assert_int_equal(since, 42);
	assert_string_equal(basis, "S-1");

	/* the long id is not its 32-char prefix, in either direction */
	assert_int_equal(ci_get(ci, id33, RK_EXIT, &since, basis), 0);
	assert_int_equal(ci_put(ci, id33, &none), 0);
	assert_int_equal(ci_put(ci, id33, &st), -1);
	assert_int_equal(ci_count(ci), 1);
	assert_int_equal(ci_get(ci, id32, RK_EXIT, &since, basis), 1);
	ci_free(ci);
}

static void test_full_length_bases(void **state)
{
	struct checkidx *ci = ci_new();
	char b1[SUMMONS_ID_MAX + 1], b2[SUMMONS_ID_MAX + 1];
	struct ci_state st;

	assert_non_null(ci);
	memset(b1, 'X', SUMMONS_ID_MAX);
	b1[SUMMONS_ID_MAX] = '\0';
	memcpy(b2, b1, sizeof(b2));
	b2[SUMMONS_ID_MAX - 1] = 'Y'; /* differs only in the last char */

	memset(&st, 0, sizeof(st));
	set_kind(&st, RK_EXIT, -1, b1);
	set_kind(&st, RK_CREDIT, 1, b2);
	set_kind(&st, RK_FOREIGN_PASSPORT, INT64_MAX, b2);
	set_kind(&st, RK_DRIVING, INT64_MIN, b1);
	assert_int_equal(ci_put(ci, "RU-FULL", &st), 0);
	check_one(ci, "RU-FULL", &st, "full-length bases", 0);

	/* and one of them alone, on every kind */
	memset(&st, 0, sizeof(st));
	for (int k = 0; k < RK__COUNT; k++)
		set_kind(&st, k, k, b2);
	assert_int_equal(ci_put(ci, "RU-FULL2", &st), 0);
	check_one(ci, "RU-FULL2", &st, "full-length basis", 0);
	assert_int_equal(ci_count(ci), 2);
	ci_free(ci);
}

static void test_overwrite(void **state)
{
	struct checkidx *ci = ci_new();
	struct ci_state a, b, c, other;

	assert_non_null(ci);
	memset(&other, 0, sizeof(other));
	set_kind(&other, RK_REAL_ESTATE, 5, "S-OTHER");
	assert_int_equal(ci_put(ci, "RU-OTHER", &other), 0);

	/* three summonses: the index cannot say */
	memset(&a, 0, sizeof(a));
	set_kind(&a, RK_EXIT, 100, "S-1");
	set_kind(&a, RK_CREDIT, 200, "S-2");
	set_kind(&a, RK_DRIVING, 300, "S-3");
	assert_int_equal(ci_put(ci, "RU-1", &a), 0);
	assert_int_equal(ci_count(ci), 2);
	check_one(ci, "RU-1", &a, "overwrite a", 0);

	/* now two, on other kinds: the complex flag, the old kinds and the
	 * old second-basis bits must all go */
	memset(&b, 0, sizeof(b));
	set_kind(&b, RK_CREDIT, 201, "S-9");
	set_kind(&b, RK_VEHICLE_REGISTRATION, 401, "S-9");
	set_kind(&b, RK_FOREIGN_PASSPORT, 501, "S-8");
	assert_int_equal(ci_put(ci, "RU-1", &b), 0);
	assert_int_equal(ci_count(ci), 2);
	check_one(ci, "RU-1", &b, "overwrite b", 0);

	/* one basis: kinds that rested on the second now rest on the first */
	memset(&c, 0, sizeof(c));
	set_kind(&c, RK_FOREIGN_PASSPORT, 502, "S-7");
	set_kind(&c, RK_EXIT, 102, "S-7");
	assert_int_equal(ci_put(ci, "RU-1", &c), 0);
	assert_int_equal(ci_count(ci), 2);
	check_one(ci, "RU-1", &c, "overwrite c", 0);

	/* and back to three */
	assert_int_equal(ci_put(ci, "RU-1", &a), 0);
	assert_int_equal(ci_count(ci), 2);
	check_one(ci, "RU-1", &a, "overwrite a again", 0);
	check_one(ci, "RU-OTHER", &other, "overwrite other", 0);
	ci_free(ci);
}

static void test_remove_absent(void **state)
{
	struct checkidx *ci = ci_new();
	struct ci_state st, none = { 0 };
	char id[NATIONAL_ID_MAX + 1];

	assert_non_null(ci);
	/* on an empty index */
	assert_int_equal(ci_put(ci, "RU-ABSENT", &none), 0);
	assert_int_equal(ci_count(ci), 0);
	assert_int_equal(ci_put(ci, "", &none), 0);
	assert_int_equal(ci_count(ci), 0);

	memset(&st, 0, sizeof(st));
	set_kind(&st, RK_CREDIT, 9, "S-1");
	set_kind(&st, RK_DRIVING, 10, "S-2");
	for (int i = 0; i < 300; i++) {
		make_id(id, (unsigned)i);
		st.since[RK_CREDIT] = i;
		assert_int_equal(ci_put(ci, id, &st), 0);
	}
	for (int i = 300; i < 600; i++) {
		make_id(id, (unsigned)i);
		assert_int_equal(ci_put(ci, id, &none), 0);
		assert_int_equal(ci_count(ci), 300);
	}
	/* removing twice is removing once */
	assert_int_equal(ci_put(ci, "RU-0000000007", &none), 0);
	assert_int_equal(ci_put(ci, "RU-0000000007", &none), 0);
	assert_int_equal(ci_count(ci), 299);
	for (int i = 0; i < 600; i++) {
		struct ci_state want = { 0 };
		make_id(id, (unsigned)i);
		if (i < 300 && i != 7) {
			want = st;
			want.since[RK_CREDIT] = i;
		}
		check_one(ci, id, &want, "remove absent", i);
	}
	ci_free(ci);
}

/* ---- bytes -------------------------------------------------------------- */

static void test_bytes(void **state)
{
	struct checkidx *ci = ci_new();
	struct ci_state st;
	char id[NATIONAL_ID_MAX + 1];
	size_t b0, prev;

	assert_non_null(ci);
	b0 = prev = ci_bytes(ci);
	assert_true(b0 > 0);
	memset(&st, 0, sizeof(st));
	set_kind(&st, RK_EXIT, 1, "S-1");
	for (int i = 0; i < 20000; i++) {
		size_t b;
		make_id(id, (unsigned)i);
		st.since[RK_EXIT] = i;
		assert_int_equal(ci_put(ci, id, &st), 0);
		b = ci_bytes(ci);
		assert_true(b >= prev);
		prev = b;
	}
	assert_true(prev > b0);
	/* every entry holds at least its id and its since */
	assert_true(prev >= 20000 * (strlen(id) + sizeof(int64_t)));
	ci_free(ci);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_large),
		cmocka_unit_test(test_model_dense),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_long_ids),
		cmocka_unit_test(test_full_length_bases),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_remove_absent),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
