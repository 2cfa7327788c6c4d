/*
 * ingest_int.h: what the readers of ingest/ share (reader.c: the byte
 * stream, UTF-8, dispatch; csv.c; ndjson.c). Nothing outside src/ingest
 * includes this.
 */
#ifndef MU_INGEST_INT_H
#define MU_INGEST_INT_H

#include <csv.h>
#include <jansson.h>
#include <sodium.h>

#include "ingest/ingest.h"

/* The byte stream: a chunked buffer that hands out whole lines. */
struct ingest_input {
	int fd;
	unsigned char *buf;       /* INGEST_CHUNK + INGEST_LINE_MAX */
	size_t cap, start, end;
	int eof, skipping;
	uint64_t bytes;           /* consumed by the lines handed out */
	uint64_t line;            /* number of the last line handed out */
	int hash;
	crypto_generichash_state h;
	unsigned char digest[32];
	int tee_fd;
};

enum input_status { IN_EOF = 0, IN_LINE = 1, IN_LONG = 2, IN_ERROR = -1 };

/* The next physical line without its '\n': *p, *n; *nl is 1 when a '\n'
 * ended it (0 for a last line without one). IN_LONG: the line was longer
 * than INGEST_LINE_MAX and has been skipped up to its end. *p stays valid
 * until the next call. */
enum input_status input_line(struct ingest_input *in, const char **p, size_t *n,
			     int *nl);

struct ingest_reader {
	enum ingest_format fmt;
	const struct ingest_schema *schema;
	size_t ncols;                     /* columns in the schema */
	struct ingest_input in;
	uint64_t rows;                    /* data rows handed out */
	uint32_t present;                 /* bit i: schema column i in the header */

	/* the current record: values in file order, copied into arena */
	char *arena;
	size_t arena_len;
	size_t nf;                        /* fields seen (may exceed what is kept) */
	size_t foff[INGEST_COLS_MAX + 1], flen[INGEST_COLS_MAX + 1];
	int long_field;                   /* index of a field over the limit, -1 */
	int rec_done;
	uint64_t rec_line;
	size_t rec_bytes;
	int have_row;                     /* a row was returned: reject may write it */

	/* CSV */
	struct csv_parser csv;
	int csv_live;
	size_t nhead;                     /* columns in the header */
	int colmap[INGEST_COLS_MAX];      /* header column -> schema column, -1 ignored */
	char *head[INGEST_COLS_MAX];      /* header names (owned) */
	int reject_header_done;

	/* NDJSON */
	json_t *obj;                      /* the current object, or NULL */
	const char *raw;                  /* the current line (input buffer) */
	size_t raw_len;
};

enum mu_err csv_open_header(struct ingest_reader *r, struct mu_error *err);
enum ingest_status csv_next(struct ingest_reader *r, struct ingest_row *row,
			    struct ingest_error *e);
int csv_reject(struct ingest_reader *r, FILE *out, const char *reason);
int csv_reject_values(struct ingest_reader *r, FILE *out, const char *const *v,
		      const char *reason);
void csv_close(struct ingest_reader *r);

enum ingest_status ndjson_next(struct ingest_reader *r, struct ingest_row *row,
			       struct ingest_error *e);
int ndjson_reject(struct ingest_reader *r, FILE *out, const char *reason);
int ndjson_reject_values(struct ingest_reader *r, FILE *out, const char *const *v,
			 const char *reason);
void ndjson_close(struct ingest_reader *r);

/* Fill *e (line, field, printf reason) and return INGEST_BAD. */
enum ingest_status ingest_bad(struct ingest_error *e, uint64_t line,
			      const char *field, const char *fmt, ...) MU_PRINTF(4, 5);
/* The schema column named name, -1 if none. */
int ingest_column(const struct ingest_reader *r, const char *name, size_t n);

#endif
