/*
 * runs.h: the good rows of a file, sorted by key, in bounded memory.
 *
 * Pass 1 of an import adds every good row; rows are packed into an arena of
 * RUNS_MEM_BYTES, and each time it fills it is sorted by (key, row) and
 * written to a temporary file as one sorted run. Pass 2 reads them back
 * merged, in key order: the store then meets the national ids in order, so
 * its indexes grow at a few points instead of everywhere at once, and each
 * index page is written about once per import instead of once per batch.
 * The key is column 0 (national_id, or the office id). A file that fits one
 * arena never touches the disk.
 */
#ifndef MU_RUNS_H
#define MU_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"
#include "util/err.h"

#define RUNS_MEM_BYTES (40u * 1024 * 1024)  /* one run in memory */
#define RUNS_READ_BUF (64 * 1024)           /* stdio buffer per run when merging */

struct runs;

/* A new set of runs for rows of ncols columns. *out NULL on failure. */
enum mu_err runs_new(size_t ncols, struct runs **out) MU_MUSTCHECK;
/* Copy a row in (v[0] must be present). */
enum mu_err runs_add(struct runs *r, const struct ingest_row *row) MU_MUSTCHECK;
/* End of input: sort the last run and get ready to merge. */
enum mu_err runs_finish(struct runs *r) MU_MUSTCHECK;
/* The next row in (key, row) order: 1, or 0 at the end, -1 on a read error.
 * row's values are borrowed until the next call. */
int runs_next(struct runs *r, struct ingest_row *row);
uint64_t runs_count(const struct runs *r);
/* Free everything, temporary files too. Accepts NULL. */
void runs_free(struct runs *r);

#endif
