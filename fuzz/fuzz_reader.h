/*
 * fuzz_reader.h: the body shared by the libFuzzer targets of the readers
 * (fuzz_csv.c, fuzz_ndjson.c). Feeds the input to a reader with the person
 * columns, reads every row, writes every row to a reject file, and checks
 * what a reader promises: lines never go back, good values are UTF-8 and
 * within INGEST_FIELD_MAX, the row count matches the rows seen.
 */
#ifndef MU_FUZZ_READER_H
#define MU_FUZZ_READER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/ingest.h"

static const char *const fuzz_cols[] = {
	"national_id", "family_name", "given_name", "patronymic", "birth_date",
	"sex", "region", "office", "address", "phone", "email", "fitness", NULL};
static const struct ingest_schema fuzz_schema = {fuzz_cols, 0xF7, 0};

static int fuzz_one(enum ingest_format fmt, const uint8_t *data, size_t size)
{
	static FILE *in, *rej;
	struct ingest_reader *r = NULL;
	struct ingest_input_opts io = {1, -1};
	struct mu_error e = {0};
	struct ingest_row row;
	struct ingest_error ie;
	uint64_t last_line = 0, rows = 0;

	if (!in)
		in = tmpfile();
	if (!rej)
		rej = fopen("/dev/null", "w");
	if (!in || !rej || ftruncate(fileno(in), 0) ||
	    pwrite(fileno(in), data, size, 0) != (ssize_t)size ||
	    lseek(fileno(in), 0, SEEK_SET) != 0)
		abort();
	if (ingest_open(fileno(in), fmt, &fuzz_schema, &io, &r, &e) != MU_OK)
		return 0;
	for (;;) {
		enum ingest_status st = ingest_next(r, &row, &ie);
		if (st == INGEST_END || st == INGEST_FATAL)
			break;
		if (row.line < last_line || row.index != rows)
			abort();
		last_line = row.line;
		rows++;
		if (st == INGEST_ROW) {
			for (size_t i = 0; fuzz_cols[i]; i++) {
				if (!row.v[i])
					continue;
				if (row.len[i] > INGEST_FIELD_MAX || strlen(row.v[i]) != row.len[i] ||
				    !ingest_utf8_valid(row.v[i], row.len[i]))
					abort();
			}
		} else if (ie.line == 0 || !ie.reason[0]) {
			abort();
		}
		if (ingest_write_reject(r, rej, st == INGEST_ROW ? "ok" : ie.reason))
			abort();
	}
	if (ingest_bytes(r) > size)
		abort();
	ingest_close(r);
	return 0;
}

#endif
