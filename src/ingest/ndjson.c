/*
 * ndjson.c: the NDJSON reader (one JSON object a line, through jansson).
 *
 * Every non-blank line is one row. Its keys are the schema's columns (an
 * unknown key makes the row bad, INGEST_REASON_COLUMN is ignored, a
 * repeated key is bad); values are strings, null (taken as ""), or integers
 * where the schema allows them. A key left out is an absent column, but a
 * required one makes the row bad, just as a CSV header without it would.
 * The line is checked for UTF-8 before jansson sees it, so the reason given
 * is the plain one.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* Put one value of the object into row (text copied into the arena when it
 * had to be made, borrowed from the object otherwise). */
static enum ingest_status take_value(struct ingest_reader *r, const char *key,
				     json_t *v, struct ingest_row *row,
				     struct ingest_error *e)
{
	int col = ingest_column(r, key, strlen(key));
	const char *s;
	size_t n;

	if (col < 0)
		return ingest_bad(e, row->line, key, "unknown column '%.40s'", key);
	if (json_is_null(v)) {
		s = "";
		n = 0;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
		if (strlen(s) != n)
			return ingest_bad(e, row->line, key, "the value contains a NUL byte");
	} else if (json_is_integer(v) && ((r->schema->int_ok >> col) & 1)) {
		char *dst = r->arena + r->arena_len;
		int w = snprintf(dst, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		r->arena_len += (size_t)w + 1;
		s = dst;
		n = (size_t)w;
	} else {
		return ingest_bad(e, row->line, key, "the value must be a string");
	}
	if (n > INGEST_FIELD_MAX)
		return ingest_bad(e, row->line, key, "the value is longer than %d bytes",
				  INGEST_FIELD_MAX);
	row->v[col] = s;
	row->len[col] = n;
	return INGEST_ROW;
}

static enum ingest_status take_object(struct ingest_reader *r,
				      struct ingest_row *row,
				      struct ingest_error *e)
{
	json_error_t jerr;
	const char *key;
	json_t *v;

	r->obj = json_loadb(r->raw, r->raw_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->obj)
		return ingest_bad(e, row->line, NULL, "not valid JSON: %.200s", jerr.text);
	if (!json_is_object(r->obj))
		return ingest_bad(e, row->line, NULL, "the line must hold one JSON object");
	if (json_object_size(r->obj) > INGEST_COLS_MAX)
		return ingest_bad(e, row->line, NULL, "the object has more than %d keys",
				  INGEST_COLS_MAX);
	json_object_foreach(r->obj, key, v) {
		enum ingest_status st;
		if (!strcmp(key, INGEST_REASON_COLUMN))
			continue;
		st = take_value(r, key, v, row, e);
		if (st != INGEST_ROW)
			return st;
	}
	for (size_t c = 0; c < r->ncols; c++)
		if ((r->schema->required >> c) & 1 && !row->v[c])
			return ingest_bad(e, row->line, r->schema->columns[c],
					  "%s is required", r->schema->columns[c]);
	return INGEST_ROW;
}

enum ingest_status ndjson_next(struct ingest_reader *r, struct ingest_row *row,
			       struct ingest_error *e)
{
	const char *p;
	size_t n;
	int nl;

	json_decref(r->obj);
	r->obj = NULL;
	r->raw = NULL;
	r->raw_len = 0;
	r->arena_len = 0;
	for (;;) {
		enum input_status st = input_line(&r->in, &p, &n, &nl);

		if (st == IN_ERROR) {
			e->line = r->in.line;
			snprintf(e->reason, sizeof(e->reason), "read error: %s", strerror(errno));
			return INGEST_FATAL;
		}
		if (st == IN_EOF)
			return INGEST_END;
		if (st == IN_LINE && r->in.line == 1 && n >= 3 &&
		    !memcmp(p, "\xEF\xBB\xBF", 3)) {
			p += 3;
			n -= 3;
		}
		if (st == IN_LINE && blank(p, n))
			continue;
		if (r->rows >= INGEST_ROWS_MAX) {
			ingest_bad(e, r->in.line, NULL, "more than %llu rows in one file",
				   (unsigned long long)INGEST_ROWS_MAX);
			return INGEST_FATAL;
		}
		row->index = r->rows++;
		row->line = r->in.line;
		if (st == IN_LONG)
			return ingest_bad(e, row->line, NULL, "the line is longer than %d bytes",
					  INGEST_LINE_MAX);
		r->raw = p;
		r->raw_len = n;
		if (!ingest_utf8_valid(p, n))
			return ingest_bad(e, row->line, NULL, "the line is not valid UTF-8");
		return take_object(r, row, e);
	}
}

/* The raw line as a JSON string: bytes that are not UTF-8 become '?'. */
static json_t *raw_string(const char *p, size_t n)
{
	char *copy = malloc(n + 1);
	json_t *s;
	size_t i = 0;

	if (!copy)
		return NULL;
	while (i < n) {
		size_t k = 1;
		while (k <= 4 && i + k <= n && !ingest_utf8_valid(p + i, k))
			k++;
		if (k > 4 || i + k > n) {
			copy[i++] = '?';
			continue;
		}
		memcpy(copy + i, p + i, k);
		i += k;
	}
	s = json_stringn(copy, n);
	free(copy);
	return s;
}

int ndjson_reject(struct ingest_reader *r, FILE *out, const char *reason)
{
	json_t *o;
	int rc;

	if (r->obj && json_is_object(r->obj)) {
		o = json_copy(r->obj);
	} else {
		o = json_object();
		json_object_set_new(o, "_line", raw_string(r->raw ? r->raw : "", r->raw_len));
	}
	if (!o)
		return -1;
	json_object_set_new(o, INGEST_REASON_COLUMN, raw_string(reason, strlen(reason)));
	rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc || fputc('\n', out) == EOF)
		return -1;
	return 0;
}

int ndjson_reject_values(struct ingest_reader *r, FILE *out, const char *const *v,
			 const char *reason)
{
	json_t *o = json_object();
	int rc;

	if (!o)
		return -1;
	for (size_t i = 0; i < r->ncols; i++)
		if (v[i])
			json_object_set_new(o, r->schema->columns[i],
					    raw_string(v[i], strlen(v[i])));
	json_object_set_new(o, INGEST_REASON_COLUMN, raw_string(reason, strlen(reason)));
	rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc || fputc('\n', out) == EOF)
		return -1;
	return 0;
}

void ndjson_close(struct ingest_reader *r)
{
	json_decref(r->obj);
}
