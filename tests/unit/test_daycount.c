/*
 * test_daycount.c: Rule D in every Russian time zone, driven by the table
 * tests/unit/data/daycount.tsv (zone, event instant, N, expected expiry),
 * plus zone-name validation and local formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/daycount.h"
#include "util/timefmt.h"

static FILE *open_data(const char *name)
{
	const char *dir = getenv("MUSTER_TEST_DATA");
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/unit/data",
		 name);
	return fopen(path, "r");
}

/* Check one table line; returns 1 if it was a data row. */
static int check_row(char *line, int lineno)
{
	char *zone, *ev, *n, *exp, *save = NULL, *end;
	int64_t t, want, got;
	long days;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	zone = strtok_r(line, "\t", &save);
	ev = strtok_r(NULL, "\t", &save);
	n = strtok_r(NULL, "\t", &save);
	exp = strtok_r(NULL, "\t", &save);
	assert_non_null(exp);
	days = strtol(n, &end, 10);
	assert_true(*end == '\0');
	assert_int_equal(mu_time_parse(ev, &t), MU_OK);
	assert_int_equal(mu_time_parse(exp, &want), MU_OK);
	assert_int_equal(daycount_expiry(zone, t, (int)days, &got), MU_OK);
	if (got != want) {
		char buf[MU_RFC3339_MAX];
		mu_time_format(got, buf, sizeof(buf));
		fail_msg("daycount.tsv:%d %s %s +%ld: got %s, want %s", lineno,
			 zone, ev, days, buf, exp);
	}
	return 1;
}

static void test_table(void **state)
{
	FILE *fp = open_data("daycount.tsv");
	char line[512];
	int lineno = 0, rows = 0;

	(void)state;
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		rows += check_row(line, ++lineno);
	fclose(fp);
	assert_true(rows >= 240);
	print_message("daycount.tsv: %d rows\n", rows);
}

static void test_zone_valid(void **state)
{
	(void)state;
	assert_true(daycount_zone_valid("UTC"));
	assert_true(daycount_zone_valid("Europe/Moscow"));
	assert_true(daycount_zone_valid("Asia/Ust-Nera"));
	assert_false(daycount_zone_valid(NULL));
	assert_false(daycount_zone_valid(""));
	assert_false(daycount_zone_valid("Europe/Nowhere"));
	assert_false(daycount_zone_valid("/etc/passwd"));
	assert_false(daycount_zone_valid("../../../etc/passwd"));
	assert_false(daycount_zone_valid("Europe/../Europe/Moscow"));
	assert_false(daycount_zone_valid("Europe"));   /* a directory */
	assert_false(daycount_zone_valid("zone.tab")); /* not TZif */
	assert_false(daycount_zone_valid("Europe/Moscow "));
	assert_false(daycount_zone_valid(":Europe/Moscow"));
	assert_false(daycount_zone_valid("right/Europe/Moscow"));
}

static void test_bad_zone_is_error(void **state)
{
	int64_t out;
	int y, m, d;

	(void)state;
	assert_int_equal(daycount_expiry("Mars/Olympus", 0, 7, &out), MU_EINVAL);
	assert_int_equal(daycount_local_date("Nope", 0, &y, &m, &d), MU_EINVAL);
	assert_int_equal(daycount_expiry("UTC", 0, -1, &out), MU_EINVAL);
	assert_int_equal(daycount_local_midnight("UTC", 2026, 2, 30, &out),
			 MU_EINVAL);
}

static void test_local_date_and_format(void **state)
{
	int64_t t;
	int y, m, d;
	char buf[32], off[8];

	(void)state;
	assert_int_equal(mu_time_parse("2026-03-02T22:30:00Z", &t), MU_OK);
	assert_int_equal(daycount_local_date("Asia/Vladivostok", t, &y, &m, &d),
			 MU_OK);
	assert_int_equal(y * 10000 + m * 100 + d, 20260303);
	assert_int_equal(daycount_local_date("Europe/Kaliningrad", t, &y, &m, &d),
			 MU_OK);
	assert_int_equal(y * 10000 + m * 100 + d, 20260303);
	assert_int_equal(daycount_format_local("Asia/Vladivostok", t, buf,
					       sizeof(buf), off, sizeof(off)),
			 MU_OK);
	assert_string_equal(buf, "2026-03-03 08:30");
	assert_string_equal(off, "+10:00");
	assert_int_equal(daycount_format_local("America/Santiago", t, buf,
					       sizeof(buf), off, sizeof(off)),
			 MU_OK);
	assert_string_equal(buf, "2026-03-02 19:30");
	assert_string_equal(off, "-03:00");
	assert_int_equal(daycount_local_midnight("Europe/Moscow", 2026, 3, 11, &t),
			 MU_OK);
	mu_time_format(t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-10T21:00:00Z");
}

/* Alternating zones must not leak one zone's offset into the other. */
static void test_alternating_zones(void **state)
{
	int64_t t, a, b;

	(void)state;
	assert_int_equal(mu_time_parse("2026-06-01T09:00:00Z", &t), MU_OK);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(daycount_expiry("Europe/Kaliningrad", t, 1, &a),
				 MU_OK);
		assert_int_equal(daycount_expiry("Asia/Kamchatka", t, 1, &b),
				 MU_OK);
		assert_int_equal(a - b, 10 * 3600);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_zone_valid),
		cmocka_unit_test(test_bad_zone_is_error),
		cmocka_unit_test(test_local_date_and_format),
		cmocka_unit_test(test_alternating_zones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
