/*
 * test_timefmt.c: RFC 3339 parsing and formatting, calendar arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/timefmt.h"

static int64_t parse_ok(const char *s)
{
	int64_t t = -1;

	if (mu_time_parse(s, &t) != MU_OK)
		fail_msg("rejected valid instant \"%s\"", s);
	return t;
}

static void test_parse_known(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2026-03-02T22:30:00Z"), 1772490600);
	assert_int_equal(parse_ok("2026-03-03T08:30:00+10:00"), 1772490600);
	assert_int_equal(parse_ok("2026-03-02T19:30:00-03:00"), 1772490600);
	assert_int_equal(parse_ok("2026-03-02t22:30:00z"), 1772490600);
	assert_int_equal(parse_ok("2026-03-02T22:30:00.999999Z"), 1772490600);
	assert_int_equal(parse_ok("2026-03-02T22:30:00.5+00:00"), 1772490600);
	assert_int_equal(parse_ok("2026-03-02T22:30:00-00:00"), 1772490600);
	assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(parse_ok("2000-01-01T05:30:00+05:30"), 946684800);
	assert_int_equal(parse_ok("0000-01-01T00:00:00Z"), -62167219200LL);
	assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), 253402300799LL);
}

static void test_leap_days(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), 1709164800);
	assert_int_equal(parse_ok("2028-02-29T12:00:00Z"), 1835438400);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), 951782400);
	assert_true(mu_date_valid(2024, 2, 29));
	assert_true(mu_date_valid(2000, 2, 29));
	assert_false(mu_date_valid(1900, 2, 29));
	assert_false(mu_date_valid(2026, 2, 29));
	assert_false(mu_date_valid(2026, 4, 31));
	assert_true(mu_date_valid(2026, 12, 31));
	assert_false(mu_date_valid(2026, 13, 1));
	assert_false(mu_date_valid(2026, 0, 1));
	assert_false(mu_date_valid(2026, 1, 0));
}

static void test_invalid(void **state)
{
	static const char *bad[] = {
		"", "2026-03-02", "2026-03-02T22:30:00", "2026-03-02 22:30:00Z",
		"2026-03-02T22:30Z", "2026-03-02T24:00:00Z",
		"2026-03-02T23:60:00Z", "2026-03-02T23:59:60Z",
		"2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
		"2026-03-02T22:30:00+1000", "2026-03-02T22:30:00+10",
		"2026-03-02T22:30:00+24:00", "2026-03-02T22:30:00+10:60",
		"2026-03-02T22:30:00.Z", "2026-03-02T22:30:00ZZ",
		"2026-03-02T22:30:00Z ", " 2026-03-02T22:30:00Z",
		"26-03-02T22:30:00Z", "2026-3-2T22:30:00Z", "+2026-03-02T22:30:00Z",
		"2026-03-02T22:30:00UTC", "2026-03-02X22:30:00Z",
		"2026-03-02T2a:30:00Z",
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mu_time_parse(bad[i], &t) != MU_EINVAL)
			fail_msg("accepted invalid instant \"%s\"", bad[i]);
	assert_int_equal(mu_time_parse(NULL, &t), MU_EINVAL);
}

static void test_format(void **state)
{
	char buf[MU_RFC3339_MAX];

	(void)state;
	mu_time_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	mu_time_format(1772490600, buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-02T22:30:00Z");
	mu_time_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	mu_time_format(1709164800 + 86399, buf, sizeof(buf));
	assert_string_equal(buf, "2024-02-29T23:59:59Z");
	mu_time_format(MU_T_NONE, buf, sizeof(buf)); /* must not overflow */
	assert_true(strlen(buf) < MU_RFC3339_MAX);
	mu_time_format(INT64_MIN, buf, sizeof(buf));
	assert_true(strlen(buf) < MU_RFC3339_MAX);
}

/* Every day of 1890..2110 in 7-hour steps: format then parse is identity. */
static void test_round_trip(void **state)
{
	char buf[MU_RFC3339_MAX];
	int64_t from = parse_ok("1890-01-01T00:00:00Z");
	int64_t to = parse_ok("2110-01-01T00:00:00Z");

	(void)state;
	for (int64_t t = from; t < to; t += 7 * 3600 + 13) {
		int64_t back;
		mu_time_format(t, buf, sizeof(buf));
		assert_int_equal(mu_time_parse(buf, &back), MU_OK);
		assert_int_equal(back, t);
	}
}

static void test_civil(void **state)
{
	int y, m, d;

	(void)state;
	assert_int_equal(mu_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(mu_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(mu_days_from_civil(1969, 12, 31), -1);
	for (int64_t n = -800000; n < 800000; n += 37) {
		mu_civil_from_days(n, &y, &m, &d);
		assert_true(mu_date_valid(y, m, d) || y < 0);
		assert_int_equal(mu_days_from_civil(y, m, d), n);
	}
	mu_civil_from_days(mu_days_from_civil(2028, 2, 28) + 1, &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20280229);
}

static void test_date_parse(void **state)
{
	int y, m, d;

	(void)state;
	assert_int_equal(mu_date_parse("2024-02-29", &y, &m, &d), MU_OK);
	assert_int_equal(y * 10000 + m * 100 + d, 20240229);
	assert_int_equal(mu_date_parse("2026-02-29", &y, &m, &d), MU_EINVAL);
	assert_int_equal(mu_date_parse("2026-02-28T", &y, &m, &d), MU_EINVAL);
	assert_int_equal(mu_date_parse("2026-2-28", &y, &m, &d), MU_EINVAL);
	assert_int_equal(mu_date_parse(NULL, &y, &m, &d), MU_EINVAL);
}

static void test_now(void **state)
{
	(void)state;
	assert_true(mu_now() > parse_ok("2024-01-01T00:00:00Z"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_known), cmocka_unit_test(test_leap_days),
		cmocka_unit_test(test_invalid),     cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_civil),
		cmocka_unit_test(test_date_parse),  cmocka_unit_test(test_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
