/*
 * csv.c: the CSV reader (RFC 4180 through libcsv).
 *
 * The stream is fed to libcsv one physical line at a time, so every record
 * knows the line it starts on even when a quoted value spans lines. Only
 * '\n' ends a record ("\r\n" is taken as '\n'; a lone '\r' is data, which
 * validation then refuses as a control character). Spaces around values
 * are kept, as RFC 4180 says. Strict mode: a quote inside an unquoted
 * value, or text after a closing quote, makes the row bad; so does a quoted
 * value still open at the end of the file.
 *
 * After a bad row the parser is reset and reading goes on at the next line.
 * The header is the first record: its columns must be known to the schema
 * (or be INGEST_REASON_COLUMN, which is ignored), appear once, and include
 * every required column.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int is_lf(unsigned char c)
{
	return c == '\n';
}

static int parser_init(struct ingest_reader *r)
{
	if (r->csv_live)
		csv_free(&r->csv);
	r->csv_live = 0;
	if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return -1;
	csv_set_space_func(&r->csv, no_space);
	csv_set_term_func(&r->csv, is_lf);
	r->csv_live = 1;
	return 0;
}

static void record_clear(struct ingest_reader *r)
{
	r->nf = 0;
	r->arena_len = 0;
	r->long_field = -1;
	r->rec_done = 0;
	r->rec_bytes = 0;
}

/* libcsv: a field ended. Keep up to INGEST_COLS_MAX + 1 of them. */
static void on_field(void *s, size_t len, void *data)
{
	struct ingest_reader *r = data;

	if (r->nf <= INGEST_COLS_MAX) {
		if (len > INGEST_FIELD_MAX && r->long_field < 0)
			r->long_field = (int)r->nf;
		if (r->arena_len + len + 1 > INGEST_ROW_MAX + INGEST_COLS_MAX + 2)
			len = 0; /* cannot happen: rec_bytes bounds it */
		memcpy(r->arena + r->arena_len, s ? s : "", len);
		r->foff[r->nf] = r->arena_len;
		r->flen[r->nf] = len;
		r->arena[r->arena_len + len] = 0;
		r->arena_len += len + 1;
	}
	r->nf++;
}

/* libcsv: a record ended. */
static void on_record(int c, void *data)
{
	struct ingest_reader *r = data;

	(void)c;
	r->rec_done = 1;
}

enum read_status { RD_RECORD, RD_END, RD_BAD, RD_FATAL };

/* Feed lines to libcsv until a record is complete. RD_BAD: *e says what
 * was wrong with the record (its fields so far are in the arena). */
static enum read_status read_record(struct ingest_reader *r, struct ingest_error *e)
{
	const char *p;
	size_t n;
	int nl;

	record_clear(r);
	for (;;) {
		enum input_status st = input_line(&r->in, &p, &n, &nl);
		int fresh = r->csv.pstate == 0 && r->nf == 0;

		if (st == IN_ERROR) {
			snprintf(e->reason, sizeof(e->reason), "read error: %s", strerror(errno));
			return RD_FATAL;
		}
		if (st == IN_EOF) {
			if (fresh)
				return RD_END;
			if (csv_fini(&r->csv, on_field, on_record, r) != 0) {
				ingest_bad(e, r->rec_line, NULL, "a quoted value is not closed "
					   "at the end of the file (truncated last line?)");
				/* finish it leniently, so that the arena holds the row
				 * as far as it was read (for the reject file) */
				csv_set_opts(&r->csv, CSV_STRICT);
				csv_fini(&r->csv, on_field, on_record, r);
				parser_init(r);
				return RD_BAD;
			}
			parser_init(r);
			return r->rec_done ? RD_RECORD : RD_END;
		}
		if (fresh) {
			r->rec_line = r->in.line;
			if (st == IN_LINE && n == 0)
				continue; /* a blank line between records */
		}
		if (st == IN_LONG) {
			ingest_bad(e, r->rec_line, NULL, "line %llu is longer than %d bytes",
				   (unsigned long long)r->in.line, INGEST_LINE_MAX);
			parser_init(r);
			return RD_BAD;
		}
		if (r->in.line == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
			p += 3; /* byte order mark */
			n -= 3;
		}
		if (nl && n && p[n - 1] == '\r')
			n--;
		r->rec_bytes += n + 1;
		if (r->rec_bytes > INGEST_ROW_MAX) {
			ingest_bad(e, r->rec_line, NULL, "the row is longer than %d bytes",
				   INGEST_ROW_MAX);
			parser_init(r);
			return RD_BAD;
		}
		if (csv_parse(&r->csv, p, n, on_field, on_record, r) != n ||
		    (nl && csv_parse(&r->csv, "\n", 1, on_field, on_record, r) != 1)) {
			ingest_bad(e, r->rec_line, r->nf < r->nhead && r->head[r->nf] ?
				   r->head[r->nf] : NULL,
				   "malformed quoting (RFC 4180: a value with a quote must "
				   "be quoted, and a quote inside it doubled)");
			parser_init(r);
			return RD_BAD;
		}
		if (r->rec_done)
			return RD_RECORD;
	}
}

/* ---- the header ------------------------------------------------------- */

static enum mu_err header_fail(struct mu_error *err, const char *field,
			       const char *what)
{
	return mu_fail(err, MU_EINVAL, field, "line 1: %s", what);
}

static enum mu_err take_header(struct ingest_reader *r, struct mu_error *err)
{
	char what[160];

	if (r->nf > INGEST_COLS_MAX)
		return header_fail(err, NULL, "the header has too many columns");
	r->nhead = r->nf;
	for (size_t i = 0; i < r->nf; i++) {
		const char *name = r->arena + r->foff[i];
		int col;
		if (!ingest_utf8_valid(name, r->flen[i]))
			return header_fail(err, NULL, "the header is not valid UTF-8");
		r->head[i] = strdup(name);
		if (!r->head[i])
			return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
		r->colmap[i] = -1;
		if (!strcmp(name, INGEST_REASON_COLUMN))
			continue;
		col = ingest_column(r, name, r->flen[i]);
		if (col < 0) {
			snprintf(what, sizeof(what), "unknown column '%.40s'", name);
			return header_fail(err, r->head[i], what);
		}
		if ((r->present >> col) & 1) {
			snprintf(what, sizeof(what), "column '%.40s' appears twice", name);
			return header_fail(err, r->head[i], what);
		}
		r->present |= 1u << col;
		r->colmap[i] = col;
	}
	for (size_t c = 0; c < r->ncols; c++) {
		if ((r->schema->required >> c) & 1 && !((r->present >> c) & 1)) {
			snprintf(what, sizeof(what), "missing column '%s'",
				 r->schema->columns[c]);
			return header_fail(err, r->schema->columns[c], what);
		}
	}
	return MU_OK;
}

enum mu_err csv_open_header(struct ingest_reader *r, struct mu_error *err)
{
	struct ingest_error e = {0};

	if (parser_init(r))
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	switch (read_record(r, &e)) {
	case RD_RECORD:
		return take_header(r, err);
	case RD_END:
		return mu_fail(err, MU_EINVAL, NULL, "the file is empty: a CSV file "
			       "starts with a header row");
	case RD_BAD:
		return mu_fail(err, MU_EINVAL, NULL, "line %llu: header: %s",
			       (unsigned long long)e.line, e.reason);
	default:
		return mu_fail(err, MU_EIO, NULL, "%s", e.reason);
	}
}

/* ---- data rows -------------------------------------------------------- */

static enum ingest_status check_record(struct ingest_reader *r,
				       struct ingest_row *row,
				       struct ingest_error *e)
{
	size_t keep = r->nf < r->nhead ? r->nf : r->nhead;

	for (size_t i = 0; i < keep; i++) {
		const char *v = r->arena + r->foff[i];
		int col = r->colmap[i];
		if (col < 0)
			continue;
		row->v[col] = v;
		row->len[col] = r->flen[i];
		if ((int)i == r->long_field)
			return ingest_bad(e, row->line, r->head[i], "the value is longer "
					  "than %d bytes", INGEST_FIELD_MAX);
		if (!ingest_utf8_valid(v, r->flen[i]))
			return ingest_bad(e, row->line, r->head[i], "the value is not "
					  "valid UTF-8");
	}
	if (r->nf < r->nhead)
		return ingest_bad(e, row->line, r->head[r->nf], "missing value: the "
				  "row has %zu fields, the header %zu", r->nf, r->nhead);
	if (r->nf > r->nhead)
		return ingest_bad(e, row->line, NULL, "the row has %zu fields, the "
				  "header %zu", r->nf, r->nhead);
	return INGEST_ROW;
}

enum ingest_status csv_next(struct ingest_reader *r, struct ingest_row *row,
			    struct ingest_error *e)
{
	enum read_status st = read_record(r, e);

	if (st == RD_END)
		return INGEST_END;
	if (st == RD_FATAL) {
		e->line = r->in.line;
		return INGEST_FATAL;
	}
	if (r->rows >= INGEST_ROWS_MAX) {
		ingest_bad(e, r->rec_line, NULL, "more than %llu rows in one file",
			   (unsigned long long)INGEST_ROWS_MAX);
		return INGEST_FATAL;
	}
	row->index = r->rows++;
	row->line = r->rec_line;
	if (st == RD_BAD)
		return INGEST_BAD;
	return check_record(r, row, e);
}

/* ---- reject file ------------------------------------------------------ */

static int put_field(FILE *out, const char *s, size_t n, int first)
{
	if (!first && fputc(',', out) == EOF)
		return -1;
	return csv_fwrite(out, s, n);
}

static int reject_header(struct ingest_reader *r, FILE *out)
{
	int first = 1;

	if (!r->reject_header_done) {
		for (size_t i = 0; i < r->nhead; i++) {
			if (r->colmap[i] < 0)
				continue;
			if (put_field(out, r->head[i], strlen(r->head[i]), first))
				return -1;
			first = 0;
		}
		if (put_field(out, INGEST_REASON_COLUMN, strlen(INGEST_REASON_COLUMN),
			      first) || fputs("\r\n", out) == EOF)
			return -1;
		r->reject_header_done = 1;
	}
	return 0;
}

int csv_reject_values(struct ingest_reader *r, FILE *out, const char *const *v,
		      const char *reason)
{
	int first = 1;

	if (reject_header(r, out))
		return -1;
	for (size_t i = 0; i < r->nhead; i++) {
		const char *val;
		if (r->colmap[i] < 0)
			continue;
		val = v[r->colmap[i]] ? v[r->colmap[i]] : "";
		if (put_field(out, val, strlen(val), first))
			return -1;
		first = 0;
	}
	if (put_field(out, reason, strlen(reason), first) || fputs("\r\n", out) == EOF)
		return -1;
	return 0;
}

int csv_reject(struct ingest_reader *r, FILE *out, const char *reason)
{
	int first = 1;

	if (reject_header(r, out))
		return -1;
	for (size_t i = 0; i < r->nhead; i++) {
		int have = i < r->nf && i <= INGEST_COLS_MAX;
		if (r->colmap[i] < 0)
			continue;
		if (put_field(out, have ? r->arena + r->foff[i] : "",
			      have ? r->flen[i] : 0, first))
			return -1;
		first = 0;
	}
	if (put_field(out, reason, strlen(reason), first) || fputs("\r\n", out) == EOF)
		return -1;
	return 0;
}

void csv_close(struct ingest_reader *r)
{
	if (r->csv_live)
		csv_free(&r->csv);
	for (size_t i = 0; i < r->nhead; i++)
		free(r->head[i]);
}
