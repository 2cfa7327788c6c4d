/*
 * test_daycount_cache.c: the caches of domain/daycount.c answer exactly what
 * the C library answers.
 *
 * For a set of zones (every Russian zone, and zones with awkward histories:
 * half-hour DST, a skipped day, midnight DST transitions, +14/-11 offsets)
 * the test finds the offset transitions between 1900 and 2045 with
 * localtime_r, and compares daycount's local date, clock time and offset
 * with localtime_r at each transition and around it, at local midnights and
 * at random instants; each call is made twice, cold and warm. Midnights are
 * compared with the first instant of the local day, found by bisection.
 * Then several threads replay the same questions at once and must get the
 * same answers.
 *
 * The reference sets TZ itself and puts the previous value back before
 * daycount runs again, so daycount's memory of the zone it last set stays
 * true (the rule in daycount.c: whoever changes TZ must restore it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "domain/daycount.h"
#include "util/timefmt.h"

static const char *const zones[] = {
	"Europe/Kaliningrad", "Europe/Moscow", "Europe/Kirov",
	"Europe/Volgograd", "Europe/Astrakhan", "Europe/Saratov",
	"Europe/Ulyanovsk", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
	"Asia/Novosibirsk", "Asia/Barnaul", "Asia/Tomsk", "Asia/Novokuznetsk",
	"Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Chita", "Asia/Yakutsk",
	"Asia/Khandyga", "Asia/Vladivostok", "Asia/Ust-Nera", "Asia/Magadan",
	"Asia/Sakhalin", "Asia/Srednekolymsk", "Asia/Kamchatka", "Asia/Anadyr",
	"America/Sao_Paulo", "America/Havana", "America/Santiago",
	"Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia",
	"America/St_Johns", "Europe/London", "Pacific/Kiritimati",
	"Pacific/Pago_Pago", "UTC",
};
#define N_ZONES (sizeof(zones) / sizeof(zones[0]))

#define T_FROM (-2208988800LL) /* 1900-01-01 */
#define T_TO 2366841600LL      /* 2045-01-01 */
#define SCAN_STEP 86400 /* transitions are at least a week apart */
#define MAX_CASES 400000

/* One question and the C library's answer. */
struct qcase {
	unsigned zone;
	int64_t t;
	int y, m, d, hh, mm;
	long off;
	int64_t midnight; /* first instant of the local date of t */
};

static struct qcase *cases;
static size_t n_cases;
static unsigned seed = 12345;

static unsigned rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* ---- the reference: localtime_r with TZ set here, then restored ---- */

static char saved_tz[256];
static int had_tz;

static void ref_enter(const char *zone)
{
	char want[160];
	const char *old = getenv("TZ");

	had_tz = old != NULL;
	snprintf(saved_tz, sizeof(saved_tz), "%s", old ? old : "");
	snprintf(want, sizeof(want), ":%s", zone);
	setenv("TZ", want, 1);
	tzset();
}

static void ref_leave(void)
{
	if (had_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
}

static long ref_off(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(localtime_r(&tt, &tm));
	return tm.tm_gmtoff;
}

static int64_t ref_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(localtime_r(&tt, &tm));
	return mu_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
				  tm.tm_mday);
}

/* First instant whose local date is >= day, by bisection: only where the
 * local date does not run backwards, i.e. across a forward jump. */
static int64_t ref_first_of(int64_t lo, int64_t hi, int64_t day)
{
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (ref_day(mid) < day)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* What daycount_local_midnight promises, worked out another way: the
 * earliest instant that reads 00:00 on `day` (a candidate day*86400 - off
 * for each offset in force near it: at most two, as transitions are days
 * apart), else the first instant of the day (the clock jumped over 00:00). */
static int64_t ref_midnight(int64_t day)
{
	int64_t lo = day * 86400 - 2 * 86400, hi = day * 86400 + 2 * 86400;
	long offs[2] = {ref_off(lo), ref_off(hi)};
	int64_t best = INT64_MAX;

	for (int i = 0; i < 2; i++) {
		int64_t c = day * 86400 - offs[i];
		if (ref_off(c) == offs[i] && c < best)
			best = c;
	}
	return best != INT64_MAX ? best : ref_first_of(lo, hi, day);
}

static void add_case(unsigned z, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	struct qcase *c;

	if (n_cases >= MAX_CASES || t < T_FROM || t > T_TO)
		return;
	assert_non_null(localtime_r(&tt, &tm));
	c = &cases[n_cases++];
	*c = (struct qcase){.zone = z, .t = t, .y = tm.tm_year + 1900,
			    .m = tm.tm_mon + 1, .d = tm.tm_mday,
			    .hh = tm.tm_hour, .mm = tm.tm_min,
			    .off = tm.tm_gmtoff};
	c->midnight = ref_midnight(mu_days_from_civil(c->y, c->m, c->d));
}

/* The instant of the transition in (a, b], offsets differing at a and b. */
static int64_t ref_transition(int64_t a, int64_t b)
{
	long oa = ref_off(a);

	while (b - a > 1) {
		int64_t mid = a + (b - a) / 2;
		if (ref_off(mid) == oa)
			a = mid;
		else
			b = mid;
	}
	return b;
}

/* Instants around a transition at x, and around the local midnights on
 * either side of it. */
static void add_around(unsigned z, int64_t x)
{
	static const int64_t near[] = {-3601, -1, 0, 3599};

	for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++)
		add_case(z, x + near[i]);
	for (int64_t k = 0; k <= 1; k++) {
		int64_t mid = ref_midnight(ref_day(x) + k);
		add_case(z, mid - 1);
		add_case(z, mid);
	}
}

/* The smallest gap between two transitions of one zone seen by the scan
 * (daycount.c relies on no two lying within 4 days). */
static int64_t min_gap = INT64_MAX;
static const char *min_gap_zone = "";

static void build_zone(unsigned z)
{
	long prev = ref_off(T_FROM);
	int64_t last = INT64_MIN;

	for (int64_t t = T_FROM + SCAN_STEP; t <= T_TO; t += SCAN_STEP) {
		long o = ref_off(t);
		if (o != prev) {
			int64_t x = ref_transition(t - SCAN_STEP, t);
			if (last != INT64_MIN && x - last < min_gap) {
				min_gap = x - last;
				min_gap_zone = zones[z];
			}
			last = x;
			add_around(z, x);
		}
		prev = o;
	}
	for (int i = 0; i < 150; i++) { /* anywhere in 1900..2045 */
		uint64_t r = (uint64_t)rnd() << 24 | rnd();
		add_case(z, T_FROM + (int64_t)(r % (uint64_t)(T_TO - T_FROM)));
	}
	for (int i = 0; i < 100; i++) { /* near midnights, 2020..2030 */
		int64_t day = 18262 + rnd() % 3653;
		add_case(z, ref_midnight(day) + (int64_t)(rnd() % 7201) - 3600);
	}
}

static int group_setup(void **state)
{
	(void)state;
	cases = calloc(MAX_CASES, sizeof(*cases));
	if (!cases)
		return -1;
	for (unsigned z = 0; z < N_ZONES; z++) {
		ref_enter(zones[z]);
		build_zone(z);
		ref_leave();
	}
	print_message("daycount cache: %zu reference cases in %zu zones; "
		      "closest transitions %lld s apart (%s)\n",
		      n_cases, N_ZONES, (long long)min_gap, min_gap_zone);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(cases);
	return 0;
}

/* ---- checks ---- */

/* 0 if daycount agrees with the reference on c, else a description. */
static const char *check_case(const struct qcase *c, char *why, size_t size)
{
	const char *zone = zones[c->zone];
	char buf[32], off[8], want[48], woff[40];
	int64_t mid;
	int y, m, d;

	if (daycount_local_date(zone, c->t, &y, &m, &d) != MU_OK ||
	    y != c->y || m != c->m || d != c->d) {
		snprintf(why, size, "%s %lld: local date %04d-%02d-%02d, want "
			 "%04d-%02d-%02d", zone, (long long)c->t, y, m, d,
			 c->y, c->m, c->d);
		return why;
	}
	snprintf(want, sizeof(want), "%04d-%02d-%02d %02d:%02d", c->y, c->m,
		 c->d, c->hh, c->mm);
	snprintf(woff, sizeof(woff), "%c%02ld:%02ld", c->off < 0 ? '-' : '+',
		 labs(c->off) / 3600, labs(c->off) / 60 % 60);
	if (daycount_format_local(zone, c->t, buf, sizeof(buf), off,
				  sizeof(off)) != MU_OK ||
	    strcmp(buf, want) != 0 || strcmp(off, woff) != 0) {
		snprintf(why, size, "%s %lld: local %s %s, want %s %s", zone,
			 (long long)c->t, buf, off, want, woff);
		return why;
	}
	if (daycount_local_midnight(zone, c->y, c->m, c->d, &mid) != MU_OK ||
	    mid != c->midnight) {
		snprintf(why, size,
			 "%s %04d-%02d-%02d: midnight %lld, want %lld", zone,
			 c->y, c->m, c->d, (long long)mid,
			 (long long)c->midnight);
		return why;
	}
	return NULL;
}

/* What the offset caches rest on, for these zones in this tz database. */
static void test_transitions_are_days_apart(void **state)
{
	(void)state;
	if (min_gap <= 4 * 86400)
		fail_msg("%s has transitions %lld s apart: the 4-day blocks of "
			 "daycount.c could hide a pair", min_gap_zone,
			 (long long)min_gap);
}

static void test_cold_and_warm(void **state)
{
	char why[256];

	(void)state;
	assert_true(n_cases > 20000);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n_cases; i++) {
			const char *e = check_case(&cases[i], why, sizeof(why));
			if (e)
				fail_msg("pass %d: %s", pass, e);
		}
	}
}

/* Expiry agrees with local date + midnight done by hand. */
static void test_expiry_composes(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_cases; i += 7) {
		const struct qcase *c = &cases[i];
		int y, m, d, n = (int)(i % 31);
		int64_t got, want;

		mu_civil_from_days(mu_days_from_civil(c->y, c->m, c->d) + n + 1,
				   &y, &m, &d);
		if (!mu_date_valid(y, m, d))
			continue;
		assert_int_equal(
			daycount_local_midnight(zones[c->zone], y, m, d, &want),
			MU_OK);
		assert_int_equal(daycount_expiry(zones[c->zone], c->t, n, &got),
				 MU_OK);
		assert_int_equal(got, want);
	}
}

struct worker {
	size_t start;
	size_t bad;
	char why[256];
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (size_t k = 0; k < n_cases / 2; k++) {
		/* each thread walks half the cases, in its own order */
		size_t i = (w->start + k * 7919) % n_cases;
		if (check_case(&cases[i], w->why, sizeof(w->why)))
			w->bad++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	enum { N = 4 };
	pthread_t th[N];
	struct worker w[N];

	(void)state;
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){.start = (size_t)i * 104729};
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].bad)
			fail_msg("thread %d: %zu wrong, e.g. %s", i, w[i].bad,
				 w[i].why);
	}
}

/* More zones than anyone uses, cycled: every name stays valid and every
 * answer right (the registry only grows; the caches are fixed-size). */
static void test_many_zones(void **state)
{
	FILE *fp = fopen("/usr/share/zoneinfo/zone1970.tab", "r");
	char line[512];
	int n = 0;

	(void)state;
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *save = NULL, *zone;
		int64_t a;
		int y, m, d;

		if (line[0] == '#')
			continue;
		strtok_r(line, "\t\n", &save);
		strtok_r(NULL, "\t\n", &save);
		zone = strtok_r(NULL, "\t\n", &save);
		assert_non_null(zone);
		assert_true(daycount_zone_valid(zone));
		assert_int_equal(daycount_local_midnight(zone, 2026, 3, 3, &a),
				 MU_OK);
		assert_int_equal(daycount_local_date(zone, a, &y, &m, &d),
				 MU_OK);
		assert_int_equal(y * 10000 + m * 100 + d, 20260303);
		n++;
	}
	fclose(fp);
	assert_true(n > 200);
	assert_false(daycount_zone_valid("Europe/Nowhere"));
	/* an invalid name is not remembered as valid */
	assert_false(daycount_zone_valid("Europe/Nowhere"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions_are_days_apart),
		cmocka_unit_test(test_cold_and_warm),
		cmocka_unit_test(test_expiry_composes),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_many_zones),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
