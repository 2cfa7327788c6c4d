/*
 * runs.c: sorted runs and their merge. See runs.h.
 *
 * A packed row: u32 size (of the whole record, 8-aligned), u32 present
 * (bit i: column i has a value), u64 row, u64 line, then the present values
 * in column order, each NUL-terminated.
 */
#include "ingest/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 24
#define REC_MAX (HDR + INGEST_ROW_MAX + INGEST_COLS_MAX + 8)

struct run_file {
	FILE *f;
	char *rec;          /* REC_MAX: the current record */
};

struct runs {
	size_t ncols;
	char *arena;
	size_t used;
	char **recs;        /* records of the run in memory */
	size_t n, cap;
	uint64_t count;
	struct run_file *files;
	size_t n_files;
	/* merge */
	size_t *heap;       /* indexes into files, or the in-memory run as n_files */
	size_t n_heap, mem_pos;
	int merging;
	char *last;         /* REC_MAX: the record runs_next returned */
};

static uint32_t rd32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static const char *rec_key(const char *rec)
{
	return rec + HDR;
}

static int rec_cmp(const char *a, const char *b)
{
	int c = strcmp(rec_key(a), rec_key(b));
	uint64_t x = rd64(a + 8), y = rd64(b + 8);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

static int cmp_ptr(const void *a, const void *b)
{
	return rec_cmp(*(char *const *)a, *(char *const *)b);
}

enum mu_err runs_new(size_t ncols, struct runs **out)
{
	struct runs *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return MU_ENOMEM;
	r->ncols = ncols;
	r->arena = malloc(RUNS_MEM_BYTES);
	r->cap = RUNS_MEM_BYTES / 64;
	r->recs = malloc(r->cap * sizeof(*r->recs));
	if (!r->arena || !r->recs) {
		runs_free(r);
		return MU_ENOMEM;
	}
	*out = r;
	return MU_OK;
}

static enum mu_err spill(struct runs *r)
{
	struct run_file *nw = realloc(r->files, (r->n_files + 1) * sizeof(*nw));
	FILE *f;

	if (!nw)
		return MU_ENOMEM;
	r->files = nw;
	qsort(r->recs, r->n, sizeof(*r->recs), cmp_ptr);
	f = tmpfile();
	if (!f)
		return MU_EIO;
	memset(&r->files[r->n_files], 0, sizeof(r->files[0]));
	r->files[r->n_files++].f = f;
	for (size_t i = 0; i < r->n; i++)
		if (fwrite(r->recs[i], rd32(r->recs[i]), 1, f) != 1)
			return MU_EIO;
	if (fflush(f) != 0)
		return MU_EIO;
	r->n = 0;
	r->used = 0;
	return MU_OK;
}

enum mu_err runs_add(struct runs *r, const struct ingest_row *row)
{
	size_t size = HDR;
	uint32_t present = 0;
	char *p;
	enum mu_err rc;

	for (size_t i = 0; i < r->ncols; i++)
		if (row->v[i])
			size += row->len[i] + 1;
	size = (size + 7) & ~(size_t)7;
	if (!row->v[0] || size > REC_MAX)
		return MU_EINVAL;
	if (r->used + size > RUNS_MEM_BYTES || r->n == r->cap)
		if ((rc = spill(r)))
			return rc;
	p = r->arena + r->used;
	r->recs[r->n++] = p;
	r->used += size;
	r->count++;
	memcpy(p + 8, &row->index, 8);
	memcpy(p + 16, &row->line, 8);
	p += HDR;
	for (size_t i = 0; i < r->ncols; i++) {
		if (!row->v[i])
			continue;
		present |= 1u << i;
		memcpy(p, row->v[i], row->len[i]);
		p[row->len[i]] = 0;
		p += row->len[i] + 1;
	}
	p = r->recs[r->n - 1];
	memcpy(p, &(uint32_t){(uint32_t)size}, 4);
	memcpy(p + 4, &present, 4);
	return MU_OK;
}

/* Read the next record of file run i into its buffer; 0 at its end. */
static int file_next(struct run_file *rf)
{
	uint32_t size;

	if (fread(rf->rec, 4, 1, rf->f) != 1)
		return 0;
	size = rd32(rf->rec);
	if (size < HDR || size > REC_MAX || fread(rf->rec + 4, size - 4, 1, rf->f) != 1)
		return -1;
	return 1;
}

/* The current record of heap element h. */
static const char *cur(const struct runs *r, size_t h)
{
	return h == r->n_files ? r->recs[r->mem_pos] : r->files[h].rec;
}

static void sift_down(struct runs *r, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < r->n_heap && rec_cmp(cur(r, r->heap[l]), cur(r, r->heap[m])) < 0)
			m = l;
		if (l + 1 < r->n_heap && rec_cmp(cur(r, r->heap[l + 1]), cur(r, r->heap[m])) < 0)
			m = l + 1;
		if (m == i)
			return;
		size_t t = r->heap[i];
		r->heap[i] = r->heap[m];
		r->heap[m] = t;
		i = m;
	}
}

enum mu_err runs_finish(struct runs *r)
{
	qsort(r->recs, r->n, sizeof(*r->recs), cmp_ptr);
	r->heap = calloc(r->n_files + 1, sizeof(*r->heap));
	r->last = malloc(REC_MAX);
	if (!r->heap || !r->last)
		return MU_ENOMEM;
	for (size_t i = 0; i < r->n_files; i++) {
		struct run_file *rf = &r->files[i];
		int st;
		rf->rec = malloc(REC_MAX);
		if (!rf->rec || fseek(rf->f, 0, SEEK_SET) != 0)
			return MU_EIO;
		setvbuf(rf->f, NULL, _IOFBF, RUNS_READ_BUF);
		st = file_next(rf);
		if (st < 0)
			return MU_EIO;
		if (st)
			r->heap[r->n_heap++] = i;
	}
	if (r->n)
		r->heap[r->n_heap++] = r->n_files;
	for (size_t i = r->n_heap; i-- > 0;)
		sift_down(r, i);
	r->merging = 1;
	return MU_OK;
}

static void unpack(const struct runs *r, const char *rec, struct ingest_row *row)
{
	uint32_t present = rd32(rec + 4);
	const char *p = rec + HDR;

	row->index = rd64(rec + 8);
	row->line = rd64(rec + 16);
	for (size_t i = 0; i < r->ncols; i++) {
		row->v[i] = NULL;
		if (!((present >> i) & 1))
			continue;
		row->v[i] = p;
		row->len[i] = strlen(p);
		p += row->len[i] + 1;
	}
}

/* Move heap element 0 past its current record. */
static int advance(struct runs *r)
{
	size_t h = r->heap[0];
	int st = 1;

	if (h == r->n_files)
		st = ++r->mem_pos < r->n;
	else
		st = file_next(&r->files[h]);
	if (st < 0)
		return -1;
	if (!st)
		r->heap[0] = r->heap[--r->n_heap];
	if (r->n_heap)
		sift_down(r, 0);
	return 0;
}

int runs_next(struct runs *r, struct ingest_row *row)
{
	if (!r->merging || !r->n_heap)
		return 0;
	/* the record must outlive the advance: copy it out first */
	memcpy(r->last, cur(r, r->heap[0]), rd32(cur(r, r->heap[0])));
	if (advance(r) < 0)
		return -1;
	unpack(r, r->last, row);
	return 1;
}

uint64_t runs_count(const struct runs *r)
{
	return r->count;
}

void runs_free(struct runs *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_files; i++) {
		if (r->files[i].f)
			fclose(r->files[i].f);
		free(r->files[i].rec);
	}
	free(r->files);
	free(r->heap);
	free(r->last);
	free(r->recs);
	free(r->arena);
	free(r);
}
