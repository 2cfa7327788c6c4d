/*
 * ingest.h: streaming readers for the bulk files of source agencies.
 *
 * A reader turns a byte stream (a file or stdin) into rows of text values,
 * one row at a time, in constant memory: CSV (RFC 4180, parsed by libcsv,
 * header row required) and NDJSON (one JSON object a line, parsed by
 * jansson). Both check that every value is UTF-8 and that every named limit
 * below holds, and both report a bad row with the line it starts on, the
 * column and a reason, then carry on with the next row, so one pass lists
 * every problem of a file.
 *
 * A reader knows formats, never meanings: which column is required, which
 * values are valid and what a row does to the register are the importer's
 * business (importer.c, with domain/ for validation). It must not allocate
 * per row: every value lives in the reader's arena until the next call.
 */
#ifndef MU_INGEST_H
#define MU_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

/* Named limits. Crossing one makes a bad row (or, for the header, a bad
 * file), never a crash or an unbounded allocation. */
#define INGEST_LINE_MAX (64 * 1024)   /* bytes in one physical line */
#define INGEST_ROW_MAX (64 * 1024)    /* bytes in one record, all lines */
#define INGEST_FIELD_MAX (8 * 1024)   /* bytes in one value */
#define INGEST_COLS_MAX 24            /* columns in a header or keys in an object */
#define INGEST_ROWS_MAX 4000000000ULL /* data rows in one file */
#define INGEST_CHUNK (1024 * 1024)    /* bytes read from the stream at a time */

/* The column a reject file adds for the reason; ignored when re-imported. */
#define INGEST_REASON_COLUMN "_error"

enum ingest_format { INGEST_CSV = 0, INGEST_NDJSON };

/* What the caller expects: the columns it knows (NULL-terminated) and
 * which of them must be present (bit i = columns[i]); int_ok: bit i allows
 * a JSON integer for columns[i] (delivered as decimal text). */
struct ingest_schema {
	const char *const *columns;
	uint32_t required;
	uint32_t int_ok;
};

/* One data row. v[i] is the value of schema column i, NUL-terminated, or
 * NULL when the column is absent (not in the CSV header, not a key of the
 * NDJSON object). Borrowed from the reader until its next call. */
struct ingest_row {
	uint64_t index; /* 0-based number of the data row in the file */
	uint64_t line;  /* 1-based line on which the row starts */
	const char *v[INGEST_COLS_MAX];
	size_t len[INGEST_COLS_MAX];
};

/* A problem with one row (or with the file when fatal). */
struct ingest_error {
	uint64_t line;
	char field[64];   /* the column, or "" when not about one column */
	char reason[256];
};

enum ingest_status {
	INGEST_END = 0,   /* no more rows */
	INGEST_ROW = 1,   /* *row holds a good row */
	INGEST_BAD = 2,   /* the row is bad: *e says why; *row holds what was read */
	INGEST_FATAL = -1 /* cannot go on (I/O, header, row count): *e says why */
};

struct ingest_reader;

/* Options of the byte stream under a reader. */
struct ingest_input_opts {
	int hash;        /* compute a BLAKE2b-256 digest of every byte read */
	int tee_fd;      /* copy every byte read to this fd (spooling stdin); -1 none */
};

/* Open a reader on fd (not closed by the reader). For CSV the header row is
 * read and checked here: an unknown, repeated or missing required column is
 * MU_EINVAL with err naming it ("line 1: ..."). *out is NULL on failure. */
enum mu_err ingest_open(int fd, enum ingest_format fmt,
			const struct ingest_schema *schema,
			const struct ingest_input_opts *opts,
			struct ingest_reader **out, struct mu_error *err) MU_MUSTCHECK;
/* The next row. See enum ingest_status. */
enum ingest_status ingest_next(struct ingest_reader *r, struct ingest_row *row,
			       struct ingest_error *e);
/* Bytes consumed so far, and the digest (valid after INGEST_END when
 * opts->hash was set). */
uint64_t ingest_bytes(const struct ingest_reader *r);
void ingest_digest(const struct ingest_reader *r, unsigned char out[32]);
/* 1 if the schema column i appears in the CSV header (always 1 for NDJSON). */
int ingest_has_column(const struct ingest_reader *r, size_t i);
/* Free the reader. Accepts NULL. */
void ingest_close(struct ingest_reader *r);

/* Write the row the reader returned last to a reject file in the reader's
 * own format, with the reason in an extra column (CSV: a header with
 * INGEST_REASON_COLUMN appended, written before the first row) or key
 * (NDJSON), so that a fixed reject file can be imported as it is. Rows that
 * could not be parsed are written as well as they were read. 0 or -1 (errno). */
int ingest_write_reject(struct ingest_reader *r, FILE *out, const char *reason);
/* The same for a row given by its values (schema order, NULL absent), such
 * as a row kept from an earlier pass; written the way the reader's file
 * had it (CSV: in the header's column order). */
int ingest_write_reject_values(struct ingest_reader *r, FILE *out,
			       const char *const *v, const char *reason);

/* Format detection: "csv" / "ndjson" / "jsonl" by --format or by the file
 * name's extension. -1 when unknown. */
int ingest_format_parse(const char *name);
int ingest_format_of_path(const char *path);

/* 1 if s[0..n) is UTF-8 (shortest forms, no surrogates, no NUL). */
int ingest_utf8_valid(const char *s, size_t n);

#endif
