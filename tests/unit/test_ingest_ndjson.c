/*
 * test_ingest_ndjson.c: the NDJSON reader (ingest/ndjson.c): one object a
 * line, blank lines, a byte order mark, CRLF, invalid JSON and UTF-8, a
 * truncated last line, unknown, repeated and missing keys, values of the
 * wrong type, over-long values and lines. Also the duplicate finder
 * (ingest/dupset.c, spilling to disk past its memory bound) and the
 * duplicate-matching key (ingest/match.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/dupset.h"
#include "ingest/ingest.h"
#include "ingest/match.h"

static const char *const cols[] = {"id", "name", "cap", NULL};
/* id and name required, cap optional and may be an integer */
static const struct ingest_schema schema = {cols, 0x3, 0x4};

struct src {
	FILE *f;
	struct ingest_reader *r;
};

static void open_src(struct src *s, const char *data, size_t n)
{
	struct mu_error e = {0};

	s->f = tmpfile();
	assert_non_null(s->f);
	assert_int_equal(fwrite(data, 1, n, s->f), n);
	fflush(s->f);
	rewind(s->f);
	assert_int_equal(ingest_open(fileno(s->f), INGEST_NDJSON, &schema, NULL,
				     &s->r, &e), MU_OK);
}

#define OPEN(s, lit) open_src((s), (lit), sizeof(lit) - 1)

static void close_src(struct src *s)
{
	ingest_close(s->r);
	fclose(s->f);
}

static void expect_row(struct src *s, uint64_t line, const char *id,
		       const char *name, const char *cap)
{
	struct ingest_row row;
	struct ingest_error e;
	enum ingest_status st = ingest_next(s->r, &row, &e);

	if (st != INGEST_ROW)
		fail_msg("expected a row at line %llu, got %d (line %llu: %s: %s)",
			 (unsigned long long)line, st, (unsigned long long)e.line,
			 e.field, e.reason);
	assert_int_equal(row.line, line);
	assert_string_equal(row.v[0], id);
	assert_string_equal(row.v[1], name);
	if (cap)
		assert_string_equal(row.v[2], cap);
	else
		assert_null(row.v[2]);
}

static void expect_bad(struct src *s, uint64_t line, const char *field,
		       const char *reason_part)
{
	struct ingest_row row;
	struct ingest_error e;
	enum ingest_status st = ingest_next(s->r, &row, &e);

	if (st != INGEST_BAD)
		fail_msg("expected a bad row at line %llu, got %d", (unsigned long long)line, st);
	assert_int_equal(e.line, line);
	assert_string_equal(e.field, field);
	if (!strstr(e.reason, reason_part))
		fail_msg("reason \"%s\" lacks \"%s\"", e.reason, reason_part);
}

static void expect_end(struct src *s)
{
	struct ingest_row row;
	struct ingest_error e;

	assert_int_equal(ingest_next(s->r, &row, &e), INGEST_END);
}

static void test_basic(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "\xEF\xBB\xBF{\"id\":\"A1\",\"name\":\"Иван\"}\r\n\n  \n"
		 "{\"name\":\"Пётр\",\"id\":\"A2\",\"cap\":12,\"_error\":\"x\"}\n"
		 "{\"id\":\"A3\",\"name\":\"a\\nb\",\"cap\":null}");
	expect_row(&s, 1, "A1", "Иван", NULL);
	expect_row(&s, 4, "A2", "Пётр", "12");
	expect_row(&s, 5, "A3", "a\nb", "");
	expect_end(&s);
	close_src(&s);
}

static void test_bad_rows(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "{\"id\":\"A1\",\"name\":\"x\",\"colour\":\"red\"}\n"
		 "{\"id\":\"A2\",\"name\":7}\n"
		 "{\"id\":\"A3\"}\n"
		 "[1,2]\n"
		 "{\"id\":\"A5\",\"name\":\"x\"\n"
		 "{\"id\":\"A6\",\"name\":\"\xC3\x28\"}\n"
		 "{\"id\":\"A7\",\"name\":\"x\",\"id\":\"A8\"}\n"
		 "{\"id\":\"A9\",\"name\":\"a\\u0000b\"}\n"
		 "{\"id\":\"B1\",\"name\":\"x\",\"cap\":1.5}\n"
		 "{\"id\":\"B2\",\"name\":\"ok\"}\n"
		 "{\"id\":\"B3\",\"name\":\"trunc");
	expect_bad(&s, 1, "colour", "unknown column");
	expect_bad(&s, 2, "name", "must be a string");
	expect_bad(&s, 3, "name", "required");
	expect_bad(&s, 4, "", "one JSON object");
	expect_bad(&s, 5, "", "not valid JSON");
	expect_bad(&s, 6, "", "UTF-8");
	expect_bad(&s, 7, "", "not valid JSON");
	expect_bad(&s, 8, "", "not valid JSON");
	expect_bad(&s, 9, "cap", "must be a string");
	expect_row(&s, 10, "B2", "ok", NULL);
	expect_bad(&s, 11, "", "not valid JSON");
	expect_end(&s);
	close_src(&s);
}

static void test_limits(void **state)
{
	size_t n = INGEST_FIELD_MAX + 1, m = INGEST_LINE_MAX + 1;
	char *buf = malloc(n + m + 200);
	size_t o = 0;
	struct src s;

	(void)state;
	o += (size_t)sprintf(buf, "{\"id\":\"A1\",\"name\":\"");
	memset(buf + o, 'x', n);
	o += n;
	o += (size_t)sprintf(buf + o, "\"}\n{\"id\":\"A2\",\"name\":\"");
	memset(buf + o, 'y', m);
	o += m;
	o += (size_t)sprintf(buf + o, "\"}\n{\"id\":\"A3\",\"name\":\"z\"}\n");
	open_src(&s, buf, o);
	expect_bad(&s, 1, "name", "longer than");
	expect_bad(&s, 2, "", "longer than");
	expect_row(&s, 3, "A3", "z", NULL);
	expect_end(&s);
	close_src(&s);
	free(buf);
}

static void test_reject(void **state)
{
	struct src s, back;
	struct ingest_row row;
	struct ingest_error e;
	FILE *rej = tmpfile();
	char text[1024];
	size_t n;

	(void)state;
	OPEN(&s, "{\"id\":\"A1\",\"name\":\"x\"}\nnot json \xFF\n");
	assert_int_equal(ingest_next(s.r, &row, &e), INGEST_ROW);
	assert_int_equal(ingest_write_reject(s.r, rej, "name: too short"), 0);
	assert_int_equal(ingest_next(s.r, &row, &e), INGEST_BAD);
	assert_int_equal(ingest_write_reject(s.r, rej, e.reason), 0);
	close_src(&s);
	rewind(rej);
	n = fread(text, 1, sizeof(text) - 1, rej);
	text[n] = 0;
	fclose(rej);
	assert_non_null(strstr(text, "{\"id\":\"A1\",\"name\":\"x\",\"_error\":\"name: too short\"}\n"));
	assert_non_null(strstr(text, "\"_line\":\"not json ?\""));
	open_src(&back, text, n);
	expect_row(&back, 1, "A1", "x", NULL);
	expect_bad(&back, 2, "_line", "unknown column");
	close_src(&back);
}

/* ---- dupset ---- */

struct seen {
	size_t groups, repeats;
	uint64_t first_row_of_7, rows_of_7[4];
	size_t n7;
};

static void on_dup(void *arg, const struct dupset_entry *occ, size_t n)
{
	struct seen *s = arg;

	s->groups++;
	s->repeats += n - 1;
	for (size_t i = 1; i < n; i++)
		assert_true(occ[i - 1].row < occ[i].row);
	if (!strcmp(occ[0].key, "ID-7")) {
		s->n7 = n;
		for (size_t i = 0; i < n && i < 4; i++)
			s->rows_of_7[i] = occ[i].row;
	}
}

static void run_dupset(size_t distinct, struct seen *s)
{
	struct dupset *d = NULL;
	char key[32];
	uint64_t row = 0;

	assert_int_equal(dupset_new(&d), MU_OK);
	for (size_t i = 0; i < distinct; i++) {
		snprintf(key, sizeof(key), "ID-%zu", i);
		assert_int_equal(dupset_add(d, key, row, row + 2), MU_OK);
		row++;
	}
	/* ID-7 three more times, ID-3 once more, at the end */
	for (int k = 0; k < 3; k++, row++)
		assert_int_equal(dupset_add(d, "ID-7", row, row + 2), MU_OK);
	assert_int_equal(dupset_add(d, "ID-3", row, row + 2), MU_OK);
	memset(s, 0, sizeof(*s));
	assert_int_equal(dupset_each(d, on_dup, s), MU_OK);
	dupset_free(d);
}

static void test_dupset(void **state)
{
	struct seen s;

	(void)state;
	run_dupset(100, &s);
	assert_int_equal(s.groups, 2);
	assert_int_equal(s.repeats, 4);
	assert_int_equal(s.n7, 4);
	assert_int_equal(s.rows_of_7[0], 7);
	assert_int_equal(s.rows_of_7[1], 100);
	/* past the memory bound: the same answer from the spilled partitions */
	run_dupset(DUPSET_MEM_ENTRIES + 1000, &s);
	assert_int_equal(s.groups, 2);
	assert_int_equal(s.repeats, 4);
	assert_int_equal(s.n7, 4);
	assert_int_equal(s.rows_of_7[0], 7);
}

static void test_dupset_key_limit(void **state)
{
	struct dupset *d = NULL;
	char key[DUPSET_KEY_MAX + 2];

	(void)state;
	memset(key, 'A', sizeof(key) - 1);
	key[sizeof(key) - 1] = 0;
	assert_int_equal(dupset_new(&d), MU_OK);
	assert_int_equal(dupset_add(d, key, 0, 1), MU_EINVAL);
	dupset_free(d);
}

/* ---- match ---- */

static void test_match(void **state)
{
	char a[MATCH_KEY_MAX], b[MATCH_KEY_MAX];

	(void)state;
	match_text("Фёдоров-Ли", "ИВАН", "Иванович", "2004-05-17", a, sizeof(a));
	match_text("ФЕДОРОВ ЛИ", "иван", "ИВАНОВИЧ", "2004-05-17", b, sizeof(b));
	assert_string_equal(a, b);
	assert_string_equal(a, "федоровли|иван|иванович|20040517");
	assert_int_equal(match_key(a), match_key(b));
	match_text("O'Neil", "Sean", "", "1990-01-01", a, sizeof(a));
	match_text("ONEIL", "sean", "", "1990-01-01", b, sizeof(b));
	assert_string_equal(a, b);
	match_text("Иванов", "Иван", "", "1990-01-01", a, sizeof(a));
	match_text("Иванов", "Иван", "", "1990-01-02", b, sizeof(b));
	assert_string_not_equal(a, b);
	assert_true(match_key(a) != match_key(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_dupset),
		cmocka_unit_test(test_dupset_key_limit),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
