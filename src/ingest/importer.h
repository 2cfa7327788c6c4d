/*
 * importer.h: `muster import offices|persons|removals` as a use case.
 *
 * An import reads its file once. Pass 1 parses and validates every row
 * (the readers of ingest.h, then domain/: the same person_validate and
 * office_validate as the HTTP API), finds keys given twice (dupset.h),
 * computes the file's digest and packs the good rows into sorted runs
 * (runs.h); it writes nothing to the register. Without --partial, any bad
 * row ends the import here: the register is untouched and the bad rows are
 * listed. Pass 2 merges the runs in key order and hands them to the store
 * in batches on a second thread, while the next batch is being merged;
 * persons go several batches to a transaction (store_import_batches, up
 * to IMPORTER_TX_ROWS rows or IMPORTER_TX_SECONDS), offices and removals
 * one (store_import_batch). See docs/import.md.
 *
 * Memory does not grow with the file: the reader holds one line and one
 * row, the runs and the duplicate finder spill to temporary files past
 * their bounds, a batch is bounded by IMPORTER_BATCH_ROWS and
 * IMPORTER_BATCH_BYTES (two are alive at a time), and the per-row state
 * kept across the passes is one bit a row.
 *
 * Must not: decide validity itself (domain/ does), or touch SQLite (the
 * store does).
 */
#ifndef MU_IMPORTER_H
#define MU_IMPORTER_H

#include <stdint.h>
#include <stdio.h>

#include "app/app.h"
#include "store/store.h"

#define IMPORTER_BATCH_ROWS 50000
#define IMPORTER_BATCH_BYTES (16 * 1024 * 1024)
#define IMPORTER_TX_ROWS 250000
#define IMPORTER_TX_SECONDS 3.0
#define IMPORTER_MAX_ERRORS_DEFAULT 100
#define IMPORTER_DUPMAP_MAX (1u << 20) /* repeated rows whose first line is kept */

struct importer_opts {
	enum import_kind kind;
	const char *path;          /* "-" reads stdin */
	int format;                /* enum ingest_format, or -1: by extension */
	const char *source;        /* --source, NULL: "import" */
	int partial;
	const char *reject_path;   /* --partial: where bad rows go; NULL: default */
	int last_wins;
	int resume;
	uint64_t max_errors;
	uint64_t tx_rows;          /* persons: rows a transaction (0: IMPORTER_TX_ROWS) */
	int progress;              /* draw a progress bar on errs (a terminal) */
	FILE *out;                 /* the summary line */
	FILE *errs;                /* bad rows, notes, progress */
	int64_t now;               /* the instant of the import */
};

struct importer_result {
	struct import_counts c;
	uint64_t superseded;       /* --last-wins: earlier rows of an id skipped */
	uint64_t skipped;          /* --resume: rows already committed */
	double seconds;
	int64_t run_id;
	char reject_path[4096];    /* "" when no reject file was written */
};

/* Run one import. MU_OK when it committed (with --partial, possibly with
 * rejected rows); MU_EINVAL when bad data stopped it (nothing written,
 * the bad rows are already on errs); other codes for usage, I/O or the
 * store, with err saying what. */
enum mu_err importer_run(struct app *a, const struct importer_opts *o,
			 struct importer_result *res, struct mu_error *err) MU_MUSTCHECK;

/* The one-line summary of a finished import (no newline). */
void importer_summary(const struct importer_opts *o, const struct importer_result *r,
		      char *buf, size_t size);

#endif
