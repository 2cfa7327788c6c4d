/*
 * reader.c: the parts every reader shares: the byte stream cut into lines
 * (with its digest and its copy for spooling stdin), the UTF-8 check,
 * format names, and the dispatch to csv.c and ndjson.c.
 *
 * Memory is fixed at open: one buffer of INGEST_CHUNK + INGEST_LINE_MAX for
 * the stream and one arena of INGEST_ROW_MAX for the current record, whatever
 * the size of the file.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- UTF-8 ------------------------------------------------------------ */

int ingest_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;

	while (s < end) {
		unsigned c = *s;
		if (c >= 0x01 && c < 0x80) {
			s++;
			continue;
		}
		if (c == 0)
			return 0;
		if (c >= 0xC2 && c <= 0xDF) {
			if (end - s < 2 || (s[1] & 0xC0) != 0x80)
				return 0;
			s += 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			if (end - s < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			    (c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
				return 0;
			s += 3;
		} else if (c >= 0xF0 && c <= 0xF4) {
			if (end - s < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			    (s[3] & 0xC0) != 0x80 || (c == 0xF0 && s[1] < 0x90) ||
			    (c == 0xF4 && s[1] > 0x8F))
				return 0;
			s += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

/* ---- the byte stream -------------------------------------------------- */

static int tee_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read more bytes behind end, moving the unread part to the front first.
 * 1 if bytes came, 0 at end of stream, -1 on error. */
static int fill(struct ingest_input *in)
{
	ssize_t got;

	if (in->eof)
		return 0;
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->end == in->cap)
		return 1; /* full: the caller cuts a long line */
	do
		got = read(in->fd, in->buf + in->end, in->cap - in->end);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -1;
	if (got == 0) {
		in->eof = 1;
		if (in->hash)
			crypto_generichash_final(&in->h, in->digest, sizeof(in->digest));
		return 0;
	}
	if (in->hash)
		crypto_generichash_update(&in->h, in->buf + in->end, (size_t)got);
	if (in->tee_fd >= 0 && tee_all(in->tee_fd, in->buf + in->end, (size_t)got))
		return -1;
	in->end += (size_t)got;
	return 1;
}

/* Drop the rest of an over-long line, up to and including its '\n'. */
static enum input_status skip_long(struct ingest_input *in)
{
	for (;;) {
		unsigned char *nlp = memchr(in->buf + in->start, '\n', in->end - in->start);
		int f;
		if (nlp) {
			in->bytes += (uint64_t)(nlp + 1 - (in->buf + in->start));
			in->start = (size_t)(nlp + 1 - in->buf);
			return IN_LONG;
		}
		in->bytes += in->end - in->start;
		in->start = in->end = 0;
		f = fill(in);
		if (f < 0)
			return IN_ERROR;
		if (f == 0)
			return IN_LONG;
	}
}

enum input_status input_line(struct ingest_input *in, const char **p, size_t *n,
			     int *nl)
{
	size_t scanned = 0;

	for (;;) {
		unsigned char *base = in->buf + in->start;
		size_t avail = in->end - in->start;
		unsigned char *nlp = memchr(base + scanned, '\n', avail - scanned);
		int f;

		if (nlp || (in->eof && avail)) {
			size_t len = nlp ? (size_t)(nlp - base) : avail;
			if (len > INGEST_LINE_MAX) {
				in->line++;
				in->start += INGEST_LINE_MAX;
				in->bytes += INGEST_LINE_MAX;
				return skip_long(in);
			}
			*p = (const char *)base;
			*n = len;
			*nl = nlp != NULL;
			in->start += len + (nlp ? 1 : 0);
			in->bytes += len + (nlp ? 1 : 0);
			in->line++;
			return IN_LINE;
		}
		if (avail > INGEST_LINE_MAX) {
			in->line++;
			in->start += INGEST_LINE_MAX;
			in->bytes += INGEST_LINE_MAX;
			return skip_long(in);
		}
		scanned = avail;
		f = fill(in);
		if (f < 0)
			return IN_ERROR;
		if (f == 0 && in->end == in->start)
			return IN_EOF;
	}
}

/* ---- shared helpers --------------------------------------------------- */

enum ingest_status ingest_bad(struct ingest_error *e, uint64_t line,
			      const char *field, const char *fmt, ...)
{
	va_list ap;

	e->line = line;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	return INGEST_BAD;
}

int ingest_column(const struct ingest_reader *r, const char *name, size_t n)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strlen(r->schema->columns[i]) == n &&
		    memcmp(r->schema->columns[i], name, n) == 0)
			return (int)i;
	return -1;
}

int ingest_format_parse(const char *name)
{
	if (!strcasecmp(name, "csv"))
		return INGEST_CSV;
	if (!strcasecmp(name, "ndjson") || !strcasecmp(name, "jsonl"))
		return INGEST_NDJSON;
	return -1;
}

int ingest_format_of_path(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return -1;
	return ingest_format_parse(dot + 1);
}

/* ---- open, next, close ------------------------------------------------ */

enum mu_err ingest_open(int fd, enum ingest_format fmt,
			const struct ingest_schema *schema,
			const struct ingest_input_opts *opts,
			struct ingest_reader **out, struct mu_error *err)
{
	struct ingest_reader *r = calloc(1, sizeof(*r));
	enum mu_err rc = MU_OK;

	*out = NULL;
	if (!r)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	r->fmt = fmt;
	r->schema = schema;
	while (schema->columns[r->ncols])
		r->ncols++;
	r->in.fd = fd;
	r->in.tee_fd = opts ? opts->tee_fd : -1;
	r->in.hash = opts && opts->hash;
	r->in.cap = INGEST_CHUNK + INGEST_LINE_MAX;
	r->in.buf = malloc(r->in.cap);
	r->arena = malloc(INGEST_ROW_MAX + INGEST_COLS_MAX + 2);
	r->long_field = -1;
	if (!r->in.buf || !r->arena || r->ncols > INGEST_COLS_MAX) {
		rc = mu_fail(err, MU_ENOMEM, NULL, "out of memory");
		goto fail;
	}
	if (r->in.hash)
		crypto_generichash_init(&r->in.h, NULL, 0, sizeof(r->in.digest));
	if (fmt == INGEST_CSV)
		rc = csv_open_header(r, err);
	else
		r->present = (uint32_t)((1ULL << r->ncols) - 1);
	if (rc)
		goto fail;
	*out = r;
	return MU_OK;
fail:
	ingest_close(r);
	return rc;
}

enum ingest_status ingest_next(struct ingest_reader *r, struct ingest_row *row,
			       struct ingest_error *e)
{
	enum ingest_status st;

	memset(row->v, 0, sizeof(row->v[0]) * r->ncols);
	memset(e, 0, sizeof(*e));
	r->have_row = 0;
	st = r->fmt == INGEST_CSV ? csv_next(r, row, e) : ndjson_next(r, row, e);
	if (st == INGEST_ROW || st == INGEST_BAD)
		r->have_row = 1;
	return st;
}

uint64_t ingest_bytes(const struct ingest_reader *r)
{
	return r->in.bytes;
}

void ingest_digest(const struct ingest_reader *r, unsigned char out[32])
{
	memcpy(out, r->in.digest, 32);
}

int ingest_has_column(const struct ingest_reader *r, size_t i)
{
	return i < r->ncols && (r->present >> i) & 1;
}

int ingest_write_reject(struct ingest_reader *r, FILE *out, const char *reason)
{
	if (!r->have_row)
		return 0;
	return r->fmt == INGEST_CSV ? csv_reject(r, out, reason)
				    : ndjson_reject(r, out, reason);
}

int ingest_write_reject_values(struct ingest_reader *r, FILE *out,
			       const char *const *v, const char *reason)
{
	return r->fmt == INGEST_CSV ? csv_reject_values(r, out, v, reason)
				    : ndjson_reject_values(r, out, v, reason);
}

void ingest_close(struct ingest_reader *r)
{
	if (!r)
		return;
	if (r->fmt == INGEST_CSV)
		csv_close(r);
	else
		ndjson_close(r);
	free(r->in.buf);
	free(r->arena);
	free(r);
}
