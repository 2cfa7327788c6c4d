/*
 * test_ingest_runs.c: sorted runs (ingest/runs.c): rows come back in key
 * order, ties in row order, with every value and absent column intact,
 * both when everything fits in memory and when runs spill to disk and are
 * merged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/runs.h"

/* Feed n rows with keys K-<(i * 7919) % m>, a padding value of pad bytes in
 * column 1, and column 2 present on every third row; check the merge. */
static void run_case(uint64_t n, uint64_t m, size_t pad)
{
	struct runs *r = NULL;
	struct ingest_row row;
	char key[32], *big = malloc(pad + 1), prev[32] = "";
	uint64_t prev_index = 0, count = 0;
	int st;

	assert_non_null(big);
	memset(big, 'x', pad);
	big[pad] = 0;
	assert_int_equal(runs_new(3, &r), MU_OK);
	for (uint64_t i = 0; i < n; i++) {
		memset(&row, 0, sizeof(row));
		snprintf(key, sizeof(key), "K-%08llu", (unsigned long long)((i * 7919) % m));
		row.index = i;
		row.line = i + 2;
		row.v[0] = key;
		row.len[0] = strlen(key);
		row.v[1] = big;
		row.len[1] = pad;
		if (i % 3 == 0) {
			row.v[2] = "";
			row.len[2] = 0;
		}
		assert_int_equal(runs_add(r, &row), MU_OK);
	}
	assert_int_equal(runs_finish(r), MU_OK);
	assert_int_equal(runs_count(r), n);
	while ((st = runs_next(r, &row)) == 1) {
		int c = strcmp(prev, row.v[0]);
		assert_true(c < 0 || (c == 0 && row.index > prev_index) || count == 0);
		assert_int_equal(row.line, row.index + 2);
		assert_int_equal(row.len[1], pad);
		assert_int_equal(strlen(row.v[1]), pad);
		if (row.index % 3 == 0)
			assert_string_equal(row.v[2], "");
		else
			assert_null(row.v[2]);
		snprintf(prev, sizeof(prev), "%s", row.v[0]);
		prev_index = row.index;
		count++;
	}
	assert_int_equal(st, 0);
	assert_int_equal(count, n);
	runs_free(r);
	free(big);
}

static void test_in_memory(void **state)
{
	(void)state;
	run_case(1000, 1000, 10);
	run_case(1000, 97, 0);   /* repeated keys: ties in row order */
	run_case(0, 1, 0);
}

static void test_spilled_and_merged(void **state)
{
	(void)state;
	/* about 2.5 runs of RUNS_MEM_BYTES */
	run_case(RUNS_MEM_BYTES / 400 * 5 / 2, 50000, 360);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory),
		cmocka_unit_test(test_spilled_and_merged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
