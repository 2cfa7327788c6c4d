/*
 * test_ingest_csv.c: the CSV reader (ingest/csv.c) on the shapes real
 * agency files take: quoting, values spanning lines, a byte order mark,
 * CRLF, invalid UTF-8, a truncated last line, over-long values and lines,
 * unknown, repeated and missing columns, rows with too few or too many
 * fields. Every bad row must name its line (and column when there is one),
 * and reading must go on with the next row. Also the reject file, which
 * must read back with the same reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest/ingest.h"

static const char *const cols[] = {"id", "name", "note", NULL};
/* id and name required, note optional */
static const struct ingest_schema schema = {cols, 0x3, 0};

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
	if (ingest_open(fileno(s->f), INGEST_CSV, &schema, NULL, &s->r, &e) != MU_OK)
		fail_msg("open failed: %s: %s", e.field, e.detail);
}

#define OPEN(s, lit) open_src((s), (lit), sizeof(lit) - 1)

static void close_src(struct src *s)
{
	ingest_close(s->r);
	fclose(s->f);
}

static enum mu_err open_err(const char *data, struct mu_error *e)
{
	FILE *f = tmpfile();
	struct ingest_reader *r = NULL;
	enum mu_err rc;

	fputs(data, f);
	fflush(f);
	rewind(f);
	rc = ingest_open(fileno(f), INGEST_CSV, &schema, NULL, &r, e);
	assert_true(rc != MU_OK || r != NULL);
	ingest_close(r);
	fclose(f);
	return rc;
}

/* What was written to f (closed here), NUL-terminated; its length. */
static size_t slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
	return n;
}

static void expect_row(struct src *s, uint64_t line, const char *id,
		       const char *name, const char *note)
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
	if (note)
		assert_string_equal(row.v[2], note);
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
	OPEN(&s, "id,name,note\nA1,Иван,x\nA2,Пётр,\n");
	expect_row(&s, 2, "A1", "Иван", "x");
	expect_row(&s, 3, "A2", "Пётр", "");
	expect_end(&s);
	close_src(&s);
}

static void test_quoting(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "id,name,note\n\"A1\",\"Smith, John\",\"say \"\"hi\"\"\"\n"
		 "A2,  spaced  ,\"\"\n");
	expect_row(&s, 2, "A1", "Smith, John", "say \"hi\"");
	expect_row(&s, 3, "A2", "  spaced  ", "");
	expect_end(&s);
	close_src(&s);
}

static void test_embedded_newline(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "id,name,note\nA1,N,\"two\nlines\"\nA2,M,\"three\r\nlines\r\nhere\"\r\nA3,O,\n");
	expect_row(&s, 2, "A1", "N", "two\nlines");
	expect_row(&s, 4, "A2", "M", "three\nlines\nhere");
	expect_row(&s, 7, "A3", "O", "");
	expect_end(&s);
	close_src(&s);
}

static void test_bom_crlf_blank(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "\xEF\xBB\xBFid,name\r\nA1,N\r\n\r\nA2,M\r\n");
	expect_row(&s, 2, "A1", "N", NULL);
	expect_row(&s, 4, "A2", "M", NULL);
	expect_end(&s);
	assert_true(ingest_has_column(s.r, 0));
	assert_false(ingest_has_column(s.r, 2));
	close_src(&s);
}

static void test_invalid_utf8(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "id,name,note\nA1,\xC3\x28,x\nA2,\xED\xA0\x80,x\nA3,ok,\xF8\nA4,ok,x\n");
	expect_bad(&s, 2, "name", "UTF-8");
	expect_bad(&s, 3, "name", "UTF-8");
	expect_bad(&s, 4, "note", "UTF-8");
	expect_row(&s, 5, "A4", "ok", "x");
	expect_end(&s);
	close_src(&s);
}

static void test_truncated_last_line(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "id,name,note\nA1,N,x\nA2,M,x");
	expect_row(&s, 2, "A1", "N", "x");
	expect_row(&s, 3, "A2", "M", "x");
	expect_end(&s);
	close_src(&s);

	OPEN(&s, "id,name,note\nA1,N,x\nA2,M,\"unfinished");
	expect_row(&s, 2, "A1", "N", "x");
	expect_bad(&s, 3, "", "not closed");
	expect_end(&s);
	close_src(&s);

	/* the reject file keeps the unclosed row as far as it was read */
	{
		FILE *rej = tmpfile();
		char text[1024];
		struct ingest_row row;
		struct ingest_error e;

		OPEN(&s, "id,name,note\nA2,\"unfinished, with,commas\n");
		assert_int_equal(ingest_next(s.r, &row, &e), INGEST_BAD);
		assert_int_equal(ingest_write_reject(s.r, rej, e.reason), 0);
		close_src(&s);
		slurp(rej, text, sizeof(text));
		if (!strstr(text, "\"A2\",\"unfinished, with,commas"))
			fail_msg("reject file lost the row: %s", text);
	}

	OPEN(&s, "id,name,note\nA1,N,x\nA2,M");
	expect_row(&s, 2, "A1", "N", "x");
	expect_bad(&s, 3, "note", "missing value");
	expect_end(&s);
	close_src(&s);
}

static void test_field_counts(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "id,name,note\nA1\nA2,N,x,extra\nA3,N,x\n");
	expect_bad(&s, 2, "name", "1 fields, the header 3");
	expect_bad(&s, 3, "", "4 fields");
	expect_row(&s, 4, "A3", "N", "x");
	expect_end(&s);
	close_src(&s);
}

static void test_malformed_quotes(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "id,name,note\nA1,ab\"c,x\nA2,\"ab\"c,x\nA3,N,x\n");
	expect_bad(&s, 2, "name", "quot");
	expect_bad(&s, 3, "name", "quot");
	expect_row(&s, 4, "A3", "N", "x");
	expect_end(&s);
	close_src(&s);
}

static void test_long_field_and_line(void **state)
{
	size_t n = INGEST_FIELD_MAX + 10, m = INGEST_LINE_MAX + 10;
	char *buf = malloc(n + m + 200);
	size_t o = 0;
	struct src s;

	(void)state;
	o += (size_t)sprintf(buf, "id,name,note\nA1,");
	memset(buf + o, 'x', n);
	o += n;
	o += (size_t)sprintf(buf + o, ",y\nA2,");
	memset(buf + o, 'z', m);
	o += m;
	o += (size_t)sprintf(buf + o, ",y\nA3,N,y\n");
	open_src(&s, buf, o);
	expect_bad(&s, 2, "name", "longer than");
	expect_bad(&s, 3, "", "longer than");
	expect_row(&s, 4, "A3", "N", "y");
	expect_end(&s);
	close_src(&s);
	free(buf);
}

static void test_header_errors(void **state)
{
	struct mu_error e;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(open_err("id,name,colour\n", &e), MU_EINVAL);
	assert_string_equal(e.field, "colour");
	assert_non_null(strstr(e.detail, "line 1: unknown column 'colour'"));
	assert_int_equal(open_err("id,note\nA1,x\n", &e), MU_EINVAL);
	assert_string_equal(e.field, "name");
	assert_non_null(strstr(e.detail, "missing column 'name'"));
	assert_int_equal(open_err("id,name,id\n", &e), MU_EINVAL);
	assert_non_null(strstr(e.detail, "appears twice"));
	assert_int_equal(open_err("", &e), MU_EINVAL);
	assert_non_null(strstr(e.detail, "empty"));
	assert_int_equal(open_err("id,na\xFFme\n", &e), MU_EINVAL);
	assert_non_null(strstr(e.detail, "UTF-8"));
}

static void test_reason_column_ignored(void **state)
{
	struct src s;

	(void)state;
	OPEN(&s, "id,name,_error\nA1,N,\"name: too long\"\n");
	expect_row(&s, 2, "A1", "N", NULL);
	expect_end(&s);
	close_src(&s);
}

static void test_reject_round_trip(void **state)
{
	struct src s, back;
	struct ingest_row row;
	struct ingest_error e;
	FILE *rej = tmpfile();
	char text[4096];
	size_t n;

	(void)state;
	OPEN(&s, "name,id,note\n\"a, b\",A1,\"q\"\"q\"\nshort\n");
	assert_int_equal(ingest_next(s.r, &row, &e), INGEST_ROW);
	assert_int_equal(ingest_write_reject(s.r, rej, "name: not good"), 0);
	assert_int_equal(ingest_next(s.r, &row, &e), INGEST_BAD);
	assert_int_equal(ingest_write_reject(s.r, rej, e.reason), 0);
	close_src(&s);
	n = slurp(rej, text, sizeof(text));
	assert_non_null(strstr(text, "\"name\",\"id\",\"note\",\"_error\""));
	open_src(&back, text, n);
	expect_row(&back, 2, "A1", "a, b", "q\"q");
	expect_row(&back, 3, "", "short", "");
	expect_end(&back);
	close_src(&back);
}

static void test_digest_and_tee(void **state)
{
	static const char data[] = "id,name\nA1,N\n";
	FILE *f = tmpfile(), *t = tmpfile();
	struct ingest_input_opts io = {1, -1};
	struct ingest_reader *r = NULL;
	struct ingest_row row;
	struct ingest_error e;
	struct mu_error me = {0};
	unsigned char d1[32], d2[32];
	char copy[64] = {0};

	(void)state;
	fputs(data, f);
	fflush(f);
	rewind(f);
	io.tee_fd = fileno(t);
	assert_int_equal(ingest_open(fileno(f), INGEST_CSV, &schema, &io, &r, &me), MU_OK);
	while (ingest_next(r, &row, &e) == INGEST_ROW)
		;
	ingest_digest(r, d1);
	assert_int_equal(ingest_bytes(r), strlen(data));
	ingest_close(r);
	rewind(t);
	assert_int_equal(fread(copy, 1, sizeof(copy) - 1, t), strlen(data));
	assert_string_equal(copy, data);
	rewind(f);
	assert_int_equal(ingest_open(fileno(f), INGEST_CSV, &schema, &io, &r, &me), MU_OK);
	while (ingest_next(r, &row, &e) == INGEST_ROW)
		;
	ingest_digest(r, d2);
	assert_memory_equal(d1, d2, 32);
	ingest_close(r);
	fclose(f);
	fclose(t);
}

static void test_utf8_and_formats(void **state)
{
	(void)state;
	assert_true(ingest_utf8_valid("Ёжик 𝄞", strlen("Ёжик 𝄞")));
	assert_false(ingest_utf8_valid("\xC0\xAF", 2));       /* overlong */
	assert_false(ingest_utf8_valid("\xE0\x80\xAF", 3));   /* overlong */
	assert_false(ingest_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(ingest_utf8_valid("a\0b", 3));
	assert_false(ingest_utf8_valid("\xE2\x82", 2));       /* cut short */
	assert_int_equal(ingest_format_of_path("x/persons.CSV"), INGEST_CSV);
	assert_int_equal(ingest_format_of_path("p.ndjson"), INGEST_NDJSON);
	assert_int_equal(ingest_format_of_path("p.jsonl"), INGEST_NDJSON);
	assert_int_equal(ingest_format_of_path("a.d/persons"), -1);
	assert_int_equal(ingest_format_parse("xml"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_embedded_newline),
		cmocka_unit_test(test_bom_crlf_blank),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_truncated_last_line),
		cmocka_unit_test(test_field_counts),
		cmocka_unit_test(test_malformed_quotes),
		cmocka_unit_test(test_long_field_and_line),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_reason_column_ignored),
		cmocka_unit_test(test_reject_round_trip),
		cmocka_unit_test(test_digest_and_tee),
		cmocka_unit_test(test_utf8_and_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
