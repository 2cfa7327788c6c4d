/*
 * importer.c: the two passes of an import. See importer.h.
 *
 * Pass 1 reads the file once: it decides about every row (the reader, then
 * domain/ through check_*), notes every key (dupset.h) and packs the good
 * rows into sorted runs (runs.h). Pass 2 merges the runs in key order and
 * hands them to the store in batches, on a second thread, while the next
 * batch is being merged. Between the passes: a bit per row (its key
 * repeats) and the first line of each repeat, for the messages.
 *
 * Output: bad rows go to errs as "line N: field: reason", in line order, at
 * most max_errors of them and then a count of the rest. A progress bar
 * (rows, rows per second, percentage, ETA) is drawn on errs only when the
 * caller says errs is a terminal. The summary line is the caller's to
 * print (importer_summary).
 */
#include "ingest/importer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "domain/codec.h"
#include "ingest/dupset.h"
#include "ingest/ingest.h"
#include "ingest/runs.h"
#include "util/timefmt.h"

/* ---- what each kind of import reads ----------------------------------- */

struct imp;
typedef int (*check_fn)(struct imp *im, const struct ingest_row *r,
			struct mu_error *e);

struct kind_def {
	const char *name;
	struct ingest_schema schema;
	const char *key_col;
	check_fn check;
};

static const char *const office_cols[] = {"id", "name", "region", "timezone",
					  "daily_capacity", NULL};
static const char *const removal_cols[] = {"national_id", "reason", "date", NULL};

struct err_rec {
	uint64_t line;
	char field[64];
	char reason[MU_DETAIL_MAX];
};

struct dup_rec {
	uint64_t row, line, first_line;
};

/* One batch being filled or written. */
struct bbuf {
	struct import_batch b;
	struct import_row *rows;
	char *arena;
	size_t used;
	char last_key[NATIONAL_ID_MAX + 1];
};

struct progress {
	FILE *f;
	int on;
	const char *phase;
	uint64_t total;     /* bytes, 0 if unknown */
	double t0, last;
};

struct imp {
	struct app *a;
	const struct importer_opts *o;
	const struct kind_def *k;
	struct importer_result *res;
	size_t ncols;
	int fmt;
	int fd, own_fd;
	uint64_t size;

	struct office *known;                /* the stored offices, by id */
	size_t n_known;

	/* pass 1 */
	struct ingest_reader *rd;            /* kept for the reject file's format */
	struct runs *runs;
	uint64_t rows;
	uint8_t *skip;                       /* bit per row: repeated key */
	size_t skip_cap;
	struct dup_rec *dups;
	size_t n_dups;
	uint64_t dups_total;
	struct err_rec *errs;                /* the first max_errors */
	size_t n_errs;
	uint64_t errs_total;
	enum mu_err dup_rc;
	unsigned char digest[32];
	FILE *rej;
	int rej_failed;

	/* pass 2 */
	struct import_run run;
	struct bbuf buf[2];
	int cur;
	pthread_t th;
	int th_live;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct bbuf *pending;                /* handed to the committer */
	int stop;
	int busy;                            /* the committer has batches in hand */
	enum mu_err th_rc;
	struct mu_error th_err;
	char resume_key[NATIONAL_ID_MAX + 1]; /* rows up to it were committed before */
	/* the committer's open transaction (persons): what it wrote so far */
	struct bbuf *tx_cur;
	struct import_counts tx_c;
	char tx_last_key[NATIONAL_ID_MAX + 1];
	int64_t tx_batches;
	size_t tx_rows;
	double tx_t0;

	struct progress pr;
};

static int check_office(struct imp *im, const struct ingest_row *r,
			struct mu_error *e);
static int check_person(struct imp *im, const struct ingest_row *r,
			struct mu_error *e);
static int check_removal(struct imp *im, const struct ingest_row *r,
			 struct mu_error *e);

static const struct kind_def kinds[] = {
	[IMPORT_OFFICES] = {"offices", {office_cols, 0x0F, 0x10}, "id", check_office},
	[IMPORT_PERSONS] = {"persons", {person_columns, 0xF7, 0}, "national_id",
			    check_person},
	[IMPORT_REMOVALS] = {"removals", {removal_cols, 0x07, 0}, "national_id",
			     check_removal},
};

/* ---- row checks: domain/ decides -------------------------------------- */

static int copy_field(char *dst, size_t size, const char *col, const char *v,
		      struct mu_error *e)
{
	size_t n = v ? strlen(v) : 0;

	if (n >= size) {
		mu_fail(e, MU_EINVAL, col, "%s is too long (%zu bytes, at most %zu)",
			col, n, size - 1);
		return -1;
	}
	memcpy(dst, v ? v : "", n + 1);
	return 0;
}

static int cmp_office(const void *a, const void *b)
{
	return strcmp(((const struct office *)a)->id, ((const struct office *)b)->id);
}

static int cmp_id_office(const void *id, const void *o)
{
	return strcmp(id, ((const struct office *)o)->id);
}

/* The stored office with this id, or NULL. */
static const struct office *known_office(const struct imp *im, const char *id)
{
	return im->n_known ? bsearch(id, im->known, im->n_known, sizeof(*im->known),
				     cmp_id_office) : NULL;
}

/* domain/ decides whether o may replace the stored office of its id. */
static int office_zone_fixed(struct imp *im, const struct office *o,
			     struct mu_error *e)
{
	const struct office *was = known_office(im, o->id);
	int has = 0;

	if (!was || !strcmp(was->timezone, o->timezone))
		return 0;
	if (store_office_has_summonses(im->a->st, o->id, &has) != MU_OK) {
		mu_fail(e, MU_EIO, NULL, "cannot read the summonses of office %s", o->id);
		return -1;
	}
	return office_zone_change_check(o->id, was->timezone, o->timezone, has, e) ? -1 : 0;
}

static int check_office(struct imp *im, const struct ingest_row *r,
			struct mu_error *e)
{
	struct office o;
	const char *cap = r->v[4];
	char *end;
	long n;

	memset(&o, 0, sizeof(o));
	if (copy_field(o.id, sizeof(o.id), "id", r->v[0], e) ||
	    copy_field(o.name, sizeof(o.name), "name", r->v[1], e) ||
	    copy_field(o.region, sizeof(o.region), "region", r->v[2], e) ||
	    copy_field(o.timezone, sizeof(o.timezone), "timezone", r->v[3], e))
		return -1;
	o.daily_capacity = OFFICE_DEFAULT_CAPACITY;
	if (cap && cap[0]) {
		errno = 0;
		n = strtol(cap, &end, 10);
		if (errno || *end || n < 1 || n > 100000) {
			mu_fail(e, MU_EINVAL, "daily_capacity",
				"daily_capacity must be a whole number 1..100000");
			return -1;
		}
		o.daily_capacity = (int)n;
	}
	return office_validate(&o, e) || office_zone_fixed(im, &o, e) ? -1 : 0;
}

static int check_person(struct imp *im, const struct ingest_row *r,
			struct mu_error *e)
{
	struct person p;

	memset(&p, 0, sizeof(p));
	for (size_t i = 0; person_columns[i]; i++)
		if (r->v[i] && person_set_field(&p, person_columns[i], r->v[i], e))
			return -1;
	if (person_validate(&p, im->o->now, e))
		return -1;
	if (!known_office(im, p.office)) {
		mu_fail(e, MU_EINVAL, "office", "office '%.32s' is not a known office "
			"(import the offices first)", p.office);
		return -1;
	}
	return 0;
}

static int check_removal(struct imp *im, const struct ingest_row *r,
			 struct mu_error *e)
{
	struct person p;
	int found;

	if (!person_id_valid(r->v[0])) {
		mu_fail(e, MU_EINVAL, "national_id", "national_id must be %d-%d "
			"characters of A-Z, 0-9 and '-'", NATIONAL_ID_MIN, NATIONAL_ID_MAX);
		return -1;
	}
	found = store_person_get(im->a->st, r->v[0], &p) == MU_OK;
	if (person_removal_check(found ? p.birth_date : NULL, r->v[1], r->v[2], im->o->now, e))
		return -1;
	if (!found) {
		mu_fail(e, MU_EINVAL, "national_id", "no person %s in the register",
			r->v[0]);
		return -1;
	}
	return 0;
}

/* ---- progress --------------------------------------------------------- */

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_start(struct progress *p, const char *phase)
{
	p->phase = phase;
	p->t0 = p->last = mono();
}

static void progress_tick(struct progress *p, uint64_t rows, uint64_t bytes)
{
	double t = mono(), el, rate, frac;
	char bar[31];
	int fill;

	if (!p->on || t - p->last < 0.1)
		return;
	p->last = t;
	el = t - p->t0;
	rate = el > 0 ? (double)rows / el : 0;
	frac = p->total ? (double)bytes / (double)p->total : 0;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * 30);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(30 - fill));
	bar[30] = 0;
	if (p->total)
		fprintf(p->f, "\r%-10s [%s] %3.0f%% %12llu rows %9.0f rows/s ETA %4.0fs ",
			p->phase, bar, frac * 100, (unsigned long long)rows, rate,
			frac > 0 ? el / frac - el : 0);
	else
		fprintf(p->f, "\r%-10s %12llu rows %9.0f rows/s ", p->phase,
			(unsigned long long)rows, rate);
	fflush(p->f);
}

static void progress_clear(struct progress *p)
{
	if (p->on) {
		fprintf(p->f, "\r%100s\r", "");
		fflush(p->f);
	}
}

/* ---- errors and rejects ----------------------------------------------- */

static void add_error(struct imp *im, uint64_t line, const char *field,
		      const char *reason)
{
	struct err_rec *r;

	im->errs_total++;
	if (im->n_errs >= im->o->max_errors)
		return;
	r = &im->errs[im->n_errs++];
	r->line = line;
	snprintf(r->field, sizeof(r->field), "%s", field ? field : "");
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static void default_reject_path(const struct imp *im, char *buf, size_t size)
{
	const char *dot = strrchr(im->o->path, '.');
	const char *slash = strrchr(im->o->path, '/');
	int base = dot && (!slash || dot > slash) ? (int)(dot - im->o->path)
						   : (int)strlen(im->o->path);

	snprintf(buf, size, "%.*s.rejects.%s", base, im->o->path,
		 im->fmt == INGEST_CSV ? "csv" : "ndjson");
}

/* --partial: write a bad row to the reject file, opened at the first one.
 * v is NULL for the row the reader returned last. */
static void reject(struct imp *im, const char *const *v, const char *field,
		   const char *reason)
{
	char text[MU_DETAIL_MAX + 80];
	char *path = im->res->reject_path;

	if (!im->o->partial || im->rej_failed)
		return;
	if (!im->rej) {
		if (im->o->reject_path)
			snprintf(path, sizeof(im->res->reject_path), "%s", im->o->reject_path);
		else
			default_reject_path(im, path, sizeof(im->res->reject_path));
		im->rej = fopen(path, "w");
		if (!im->rej) {
			im->rej_failed = 1;
			return;
		}
	}
	if (field && field[0])
		snprintf(text, sizeof(text), "%s: %s", field, reason);
	else
		snprintf(text, sizeof(text), "%s", reason);
	if (v ? ingest_write_reject_values(im->rd, im->rej, v, text)
	      : ingest_write_reject(im->rd, im->rej, text))
		im->rej_failed = 1;
}

/* ---- pass 1 ----------------------------------------------------------- */

static int skip_set(struct imp *im, uint64_t row)
{
	size_t byte = (size_t)(row / 8);

	if (byte >= im->skip_cap) {
		size_t cap = im->skip_cap ? im->skip_cap : 4096;
		uint8_t *nw;
		while (cap <= byte)
			cap *= 2;
		nw = realloc(im->skip, cap);
		if (!nw)
			return -1;
		memset(nw + im->skip_cap, 0, cap - im->skip_cap);
		im->skip = nw;
		im->skip_cap = cap;
	}
	im->skip[byte] |= (uint8_t)(1u << (row % 8));
	return 0;
}

static int skip_get(const struct imp *im, uint64_t row)
{
	size_t byte = (size_t)(row / 8);
	return byte < im->skip_cap && (im->skip[byte] >> (row % 8)) & 1;
}

static void on_dup(void *arg, const struct dupset_entry *occ, size_t n)
{
	struct imp *im = arg;
	size_t from = im->o->last_wins ? 0 : 1, to = im->o->last_wins ? n - 1 : n;

	for (size_t i = from; i < to; i++) {
		if (skip_set(im, occ[i].row))
			im->dup_rc = MU_ENOMEM;
		if (im->o->last_wins) {
			im->res->superseded++;
			continue;
		}
		im->dups_total++;
		if (im->n_dups < IMPORTER_DUPMAP_MAX) {
			struct dup_rec *d;
			if (!im->dups && !(im->dups = malloc(IMPORTER_DUPMAP_MAX *
							     sizeof(*im->dups)))) {
				im->dup_rc = MU_ENOMEM;
				return;
			}
			d = &im->dups[im->n_dups++];
			d->row = occ[i].row;
			d->line = occ[i].line;
			d->first_line = occ[0].line;
		}
	}
}

static int cmp_dup(const void *a, const void *b)
{
	const struct dup_rec *x = a, *y = b;
	return x->row < y->row ? -1 : x->row > y->row;
}

static void dup_reason(const struct imp *im, uint64_t row, char *buf, size_t size)
{
	struct dup_rec key = {row, 0, 0};
	const struct dup_rec *d = bsearch(&key, im->dups, im->n_dups, sizeof(key), cmp_dup);

	if (d)
		snprintf(buf, size, "the same %s as line %llu (give --last-wins to keep "
			 "the last)", im->k->key_col, (unsigned long long)d->first_line);
	else
		snprintf(buf, size, "the same %s as an earlier line (give --last-wins "
			 "to keep the last)", im->k->key_col);
}

/*
 * Pass 1 runs on two threads. The checker reads the rows (the reader:
 * parsing, UTF-8) and hands them over in blocks, in file order; the
 * caller's thread checks each (domain/), notes the bad ones and the keys of
 * the good ones, and sorts them into runs. Each is about half of the work.
 * With --partial the checker also checks, since a bad row's reject line is
 * written from the reader's record while it is the current one.
 */
#define P1_BLOCKS 32
#define P1_BLOCK_ROWS 1024
#define P1_BLOCK_BYTES (512u << 10)

struct p1_block {
	struct ingest_row *rows;
	uint8_t *bad;                        /* the reader's: v[0] field, v[1] why */
	char *arena;
	size_t n, used;
};

struct p1 {
	struct imp *im;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct p1_block blk[P1_BLOCKS];
	size_t count;                        /* blocks full, not yet taken */
	int eof, stop;
	enum mu_err rc;                      /* the checker's (a fatal file error) */
	struct mu_error err;
};

static const char *arena_str(struct p1_block *b, const char *v)
{
	size_t n = strnlen(v, MU_DETAIL_MAX);
	char *p = b->arena + b->used;

	memcpy(p, v, n);
	p[n] = 0;
	b->used += n + 1;
	return p;
}

/* A row the reader found bad, to be noted in its place. */
static void block_bad(struct p1_block *b, const struct ingest_error *ie)
{
	struct ingest_row *r = &b->rows[b->n];

	b->bad[b->n++] = 1;
	r->line = ie->line;
	r->v[0] = arena_str(b, ie->field);
	r->v[1] = arena_str(b, ie->reason);
}

/* Copy row into b (which has room for the largest row). */
static void block_put(struct p1_block *b, const struct ingest_row *row, size_t ncols)
{
	struct ingest_row *r = &b->rows[b->n];

	b->bad[b->n++] = 0;
	r->index = row->index;
	r->line = row->line;
	for (size_t i = 0; i < ncols; i++) {
		r->len[i] = row->len[i];
		r->v[i] = NULL;
		if (!row->v[i])
			continue;
		memcpy(b->arena + b->used, row->v[i], row->len[i] + 1);
		r->v[i] = b->arena + b->used;
		b->used += row->len[i] + 1;
	}
}

/* Check row r (domain/): 1 if it is bad, noted in errs (and with
 * --partial in the reject file, from the reader's current record). */
static int check_row(struct imp *im, const struct ingest_row *r)
{
	struct mu_error me;

	mu_error_clear(&me);
	if (!im->k->check(im, r, &me))
		return 0;
	add_error(im, r->line, me.field, me.detail);
	reject(im, NULL, me.field, me.detail);
	return 1;
}

/* Fill b with the next good rows; 1 at the end of the file. */
static int check_block(struct p1 *q, struct p1_block *b)
{
	struct imp *im = q->im;
	struct ingest_row row;
	struct ingest_error ie;

	b->n = b->used = 0;
	while (b->n < P1_BLOCK_ROWS &&
	       b->used + INGEST_ROW_MAX + INGEST_COLS_MAX + 2 * MU_DETAIL_MAX <= P1_BLOCK_BYTES) {
		enum ingest_status st = ingest_next(im->rd, &row, &ie);
		if (st == INGEST_END)
			return 1;
		if (st == INGEST_FATAL) {
			q->rc = mu_fail(&q->err, MU_EINVAL, NULL, "line %llu: %s",
					(unsigned long long)ie.line, ie.reason);
			return 1;
		}
		im->rows = row.index + 1;
		if ((row.index & 4095) == 0)
			progress_tick(&im->pr, im->rows, ingest_bytes(im->rd));
		if (st == INGEST_BAD && !im->o->partial) {
			block_bad(b, &ie);
		} else if (st == INGEST_BAD) {
			add_error(im, ie.line, ie.field, ie.reason);
			reject(im, NULL, ie.field, ie.reason);
		} else if (!im->o->partial || !check_row(im, &row)) {
			block_put(b, &row, im->ncols);
		}
	}
	return 0;
}

static void *checker(void *arg)
{
	struct p1 *q = arg;

	for (size_t w = 0;; w++) {
		struct p1_block *b = &q->blk[w % P1_BLOCKS];
		int end;
		pthread_mutex_lock(&q->mu);
		while (q->count == P1_BLOCKS && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stop) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		pthread_mutex_unlock(&q->mu);
		end = check_block(q, b);
		pthread_mutex_lock(&q->mu);
		q->count++;
		q->eof = end;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (end)
			break;
	}
	return NULL;
}

/* Check b's rows (unless the checker did), note the keys of the good ones
 * and add them to the runs. */
static enum mu_err take_block(struct imp *im, struct dupset *ds, const struct p1_block *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct ingest_row *r = &b->rows[i];
		if (b->bad[i]) {
			add_error(im, r->line, r->v[0], r->v[1]);
			continue;
		}
		if (!im->o->partial && check_row(im, r))
			continue;
		if (dupset_add(ds, r->v[0], r->index, r->line) != MU_OK ||
		    runs_add(im->runs, r) != MU_OK)
			return MU_EIO;
	}
	return MU_OK;
}

static enum mu_err pass1_rows(struct imp *im, struct dupset *ds, struct mu_error *err)
{
	struct p1 *q = calloc(1, sizeof(*q));
	enum mu_err rc = MU_OK;
	pthread_t th;
	int live = 0;

	if (!q)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	q->im = im;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (int i = 0; i < P1_BLOCKS && rc == MU_OK; i++) {
		q->blk[i].rows = malloc(P1_BLOCK_ROWS * sizeof(struct ingest_row));
		q->blk[i].bad = malloc(P1_BLOCK_ROWS);
		q->blk[i].arena = malloc(P1_BLOCK_BYTES);
		if (!q->blk[i].rows || !q->blk[i].bad || !q->blk[i].arena)
			rc = mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	}
	if (rc == MU_OK) {
		if (pthread_create(&th, NULL, checker, q) != 0)
			rc = mu_fail(err, MU_EIO, NULL, "cannot start the checking thread");
		else
			live = 1;
	}
	for (size_t r = 0; rc == MU_OK; r++) {
		pthread_mutex_lock(&q->mu);
		while (!q->count && !q->eof)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!q->count) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		pthread_mutex_unlock(&q->mu);
		if (take_block(im, ds, &q->blk[r % P1_BLOCKS]) != MU_OK)
			rc = mu_fail(err, MU_EIO, NULL, "cannot sort the rows (temporary "
				     "files in TMPDIR): %s", strerror(errno));
		pthread_mutex_lock(&q->mu);
		q->count--;
		if (rc)
			q->stop = 1;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
	if (live)
		pthread_join(th, NULL);
	if (rc == MU_OK && q->rc) {
		rc = q->rc;
		*err = q->err;
	}
	for (int i = 0; i < P1_BLOCKS; i++) {
		free(q->blk[i].rows);
		free(q->blk[i].bad);
		free(q->blk[i].arena);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
	return rc;
}

static enum mu_err pass1(struct imp *im, struct mu_error *err)
{
	struct ingest_input_opts io = {1, -1};
	struct dupset *ds = NULL;
	enum mu_err rc;

	im->errs = calloc(im->o->max_errors ? im->o->max_errors : 1, sizeof(*im->errs));
	if (!im->errs || dupset_new(&ds) != MU_OK || runs_new(im->ncols, &im->runs))
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	progress_start(&im->pr, "checking");
	rc = ingest_open(im->fd, im->fmt, &im->k->schema, &io, &im->rd, err);
	if (rc == MU_OK)
		rc = pass1_rows(im, ds, err);
	if (rc == MU_OK) {
		ingest_digest(im->rd, im->digest);
		rc = dupset_each(ds, on_dup, im);
		if (rc == MU_OK)
			rc = im->dup_rc;
		if (rc == MU_OK)
			rc = runs_finish(im->runs);
		if (rc)
			mu_fail(err, rc, NULL, "cannot sort the rows (temporary files in TMPDIR)");
		if (im->dups)
			qsort(im->dups, im->n_dups, sizeof(*im->dups), cmp_dup);
	}
	dupset_free(ds);
	return rc;
}

/* Bad rows of pass 1 in line order: the first max_errors of the parse and
 * validation errors merged with the repeated keys, then a count. */
static void print_errors(struct imp *im)
{
	FILE *f = im->o->errs;
	size_t i = 0, j = 0, shown = 0;
	uint64_t total = im->errs_total + im->dups_total;
	char reason[256];

	while (shown < im->o->max_errors && (i < im->n_errs || j < im->n_dups)) {
		if (j >= im->n_dups || (i < im->n_errs && im->errs[i].line <= im->dups[j].line)) {
			struct err_rec *e = &im->errs[i++];
			if (e->field[0])
				fprintf(f, "line %llu: %s: %s\n", (unsigned long long)e->line,
					e->field, e->reason);
			else
				fprintf(f, "line %llu: %s\n", (unsigned long long)e->line,
					e->reason);
		} else {
			dup_reason(im, im->dups[j].row, reason, sizeof(reason));
			fprintf(f, "line %llu: %s: %s\n", (unsigned long long)im->dups[j].line,
				im->k->key_col, reason);
			j++;
		}
		shown++;
	}
	if (total > shown)
		fprintf(f, "... and %llu more bad rows\n", (unsigned long long)(total - shown));
}

/* ---- pass 2: batches on a second thread ------------------------------- */

/* Removals: cancel the open summonses of the persons just removed. */
static enum mu_err cancel_open(struct imp *im, struct import_batch *b,
			       const struct audit_ctx *c, struct mu_error *err)
{
	for (size_t i = 0; i < b->n; i++) {
		size_t n = 0;
		enum mu_err rc;
		if (!b->rows[i].has_summons)
			continue;
		rc = app_cancel_open(im->a, b->rows[i].v[0], b->rows[i].v[1], c, &n, err);
		if (rc)
			return rc;
		b->c.cancelled += n;
	}
	return MU_OK;
}

static void counts_add(struct import_counts *t, const struct import_counts *c)
{
	t->inserted += c->inserted;
	t->updated += c->updated;
	t->unchanged += c->unchanged;
	t->flagged += c->flagged;
	t->cancelled += c->cancelled;
}

/* Offices and removals: one batch, one transaction (removals then cancel
 * the open summonses of the persons removed). */
static enum mu_err commit_one(struct imp *im, struct bbuf *bb, struct mu_error *err)
{
	char purpose[96];
	struct audit_ctx c = {.role = "cli", .purpose = purpose, .at = mu_now()};
	enum mu_err rc;

	snprintf(purpose, sizeof(purpose), "import %s from %s", im->k->name,
		 im->run.source);
	rc = store_import_batch(im->a->st, &bb->b, &c, err);
	if (rc == MU_OK && im->k == &kinds[IMPORT_REMOVALS])
		rc = cancel_open(im, &bb->b, &c, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&im->mu);
	snprintf(im->run.last_key, sizeof(im->run.last_key), "%s", bb->last_key);
	im->run.batches++;
	counts_add(&im->run.c, &bb->b.c);
	pthread_mutex_unlock(&im->mu);
	return MU_OK;
}

/* Persons: the store's writer asks for the next batch of the transaction
 * (store_import_batches). The one it had is written: its counts are
 * noted for the commit and its buffer goes back to the merge. The
 * transaction ends after IMPORTER_TX_ROWS rows or IMPORTER_TX_SECONDS
 * (the write lock is not held long from other processes) or with the
 * file. A transaction of several batches writes each index page once
 * rather than once a batch. */
static struct import_batch *next_batch(void *arg)
{
	struct imp *im = arg;
	struct bbuf *bb = NULL;

	pthread_mutex_lock(&im->mu);
	if (im->tx_cur) {
		counts_add(&im->tx_c, &im->tx_cur->b.c);
		snprintf(im->tx_last_key, sizeof(im->tx_last_key), "%s", im->tx_cur->last_key);
		im->tx_batches++;
		im->run.batches++; /* the next batch's audit entry counts on */
		im->tx_cur = NULL;
		im->pending = NULL;
		pthread_cond_broadcast(&im->cv);
		if (im->tx_rows >= (im->o->tx_rows ? im->o->tx_rows : IMPORTER_TX_ROWS) ||
		    mono() - im->tx_t0 >= IMPORTER_TX_SECONDS)
			goto out;
	}
	while (!im->pending && !im->stop)
		pthread_cond_wait(&im->cv, &im->mu);
	if ((bb = im->pending)) {
		im->tx_cur = bb;
		im->tx_rows += bb->b.n;
	}
out:
	pthread_mutex_unlock(&im->mu);
	return bb ? &bb->b : NULL;
}

static enum mu_err commit_tx(struct imp *im, struct mu_error *err)
{
	char purpose[96];
	struct audit_ctx c = {.role = "cli", .purpose = purpose, .at = mu_now()};
	int64_t batches = im->run.batches;
	enum mu_err rc;

	snprintf(purpose, sizeof(purpose), "import %s from %s", im->k->name,
		 im->run.source);
	memset(&im->tx_c, 0, sizeof(im->tx_c));
	im->tx_batches = 0;
	im->tx_rows = 0;
	im->tx_t0 = mono();
	rc = store_import_batches(im->a->st, next_batch, im, &c, err);
	pthread_mutex_lock(&im->mu);
	if (rc == MU_OK) {
		snprintf(im->run.last_key, sizeof(im->run.last_key), "%s", im->tx_last_key);
		counts_add(&im->run.c, &im->tx_c);
	} else {
		im->run.batches = batches;
	}
	pthread_mutex_unlock(&im->mu);
	return rc;
}

/* The committer thread: the batches the merge hands over, until stop. */
static void *committer(void *arg)
{
	struct imp *im = arg;
	int persons = im->k == &kinds[IMPORT_PERSONS];

	pthread_mutex_lock(&im->mu);
	for (;;) {
		struct bbuf *bb;
		struct mu_error e = {0};
		enum mu_err rc = MU_OK;
		while (!im->pending && !im->stop)
			pthread_cond_wait(&im->cv, &im->mu);
		if (!im->pending)
			break;
		bb = im->pending;
		im->busy = 1;
		pthread_mutex_unlock(&im->mu);
		if (!im->th_rc)
			rc = persons ? commit_tx(im, &e) : commit_one(im, bb, &e);
		pthread_mutex_lock(&im->mu);
		if (rc && !im->th_rc) {
			im->th_rc = rc;
			im->th_err = e;
		}
		/* after a transaction of persons, pending is a batch handed over
		 * since: the next transaction's (unless the import has failed) */
		if (!persons || im->th_rc)
			im->pending = NULL;
		im->tx_cur = NULL;
		im->busy = 0;
		pthread_cond_broadcast(&im->cv);
	}
	pthread_mutex_unlock(&im->mu);
	return NULL;
}

/* Wait until the committer has room for a batch (all = 0) or has
 * committed everything it was given (all = 1); its error, if any. */
static enum mu_err drain(struct imp *im, int all, struct mu_error *err)
{
	enum mu_err rc;

	pthread_mutex_lock(&im->mu);
	if (all) {
		im->stop = 1; /* no more batches: the open transaction commits */
		pthread_cond_broadcast(&im->cv);
	}
	while (im->pending || (all && im->busy))
		pthread_cond_wait(&im->cv, &im->mu);
	rc = im->th_rc;
	if (rc && err)
		*err = im->th_err;
	pthread_mutex_unlock(&im->mu);
	return rc;
}

static void bbuf_reset(struct imp *im, struct bbuf *bb)
{
	memset(&bb->b, 0, sizeof(bb->b));
	bb->b.run = &im->run;
	bb->b.rows = bb->rows;
	bb->used = 0;
}

/* Hand the current batch to the committer (after the one before it is
 * done) and start filling the other buffer. */
static enum mu_err submit(struct imp *im, struct mu_error *err)
{
	struct bbuf *bb = &im->buf[im->cur];
	enum mu_err rc;

	if (!bb->b.n)
		return MU_OK;
	snprintf(bb->last_key, sizeof(bb->last_key), "%s", bb->rows[bb->b.n - 1].v[0]);
	if ((rc = drain(im, 0, err)))
		return rc;
	pthread_mutex_lock(&im->mu);
	im->pending = bb;
	pthread_cond_signal(&im->cv);
	pthread_mutex_unlock(&im->mu);
	im->cur ^= 1;
	bbuf_reset(im, &im->buf[im->cur]);
	return MU_OK;
}

/* Copy a row into the current batch, sending the batch first when full. */
static enum mu_err take_row(struct imp *im, const struct ingest_row *row,
			    struct mu_error *err)
{
	size_t need = 0;
	struct bbuf *bb = &im->buf[im->cur];
	struct import_row *r;
	enum mu_err rc;

	for (size_t i = 0; i < im->ncols; i++)
		need += row->v[i] ? row->len[i] + 1 : 0;
	if (bb->b.n == IMPORTER_BATCH_ROWS || bb->used + need > IMPORTER_BATCH_BYTES) {
		if ((rc = submit(im, err)))
			return rc;
		bb = &im->buf[im->cur];
	}
	r = &bb->rows[bb->b.n++];
	memset(r, 0, sizeof(*r));
	r->line = row->line;
	for (size_t i = 0; i < im->ncols; i++) {
		if (!row->v[i])
			continue;
		memcpy(bb->arena + bb->used, row->v[i], row->len[i] + 1);
		r->v[i] = bb->arena + bb->used;
		bb->used += row->len[i] + 1;
	}
	return MU_OK;
}

static enum mu_err pass2_rows(struct imp *im, struct mu_error *err)
{
	struct ingest_row row;
	char reason[256];
	uint64_t n = 0;
	enum mu_err rc;
	int st;

	while ((st = runs_next(im->runs, &row)) == 1) {
		if ((n++ & 4095) == 0)
			progress_tick(&im->pr, n, n);
		if (skip_get(im, row.index)) {
			if (!im->o->last_wins) {
				dup_reason(im, row.index, reason, sizeof(reason));
				reject(im, row.v, im->k->key_col, reason);
			}
			continue;
		}
		if (im->resume_key[0] && strcmp(row.v[0], im->resume_key) <= 0) {
			im->res->skipped++;
			continue;
		}
		if ((rc = take_row(im, &row, err)))
			return rc;
	}
	if (st < 0)
		return mu_fail(err, MU_EIO, NULL, "cannot read the sorted rows back "
			       "(temporary files in TMPDIR)");
	return submit(im, err);
}

static enum mu_err pass2(struct imp *im, struct mu_error *err)
{
	enum mu_err rc, rc2;

	for (int i = 0; i < 2; i++) {
		im->buf[i].rows = calloc(IMPORTER_BATCH_ROWS, sizeof(struct import_row));
		im->buf[i].arena = malloc(IMPORTER_BATCH_BYTES);
		if (!im->buf[i].rows || !im->buf[i].arena)
			return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	}
	bbuf_reset(im, &im->buf[0]);
	if (pthread_create(&im->th, NULL, committer, im) != 0)
		return mu_fail(err, MU_EIO, NULL, "cannot start the writer thread");
	im->th_live = 1;
	progress_start(&im->pr, "writing");
	im->pr.total = runs_count(im->runs);
	snprintf(im->resume_key, sizeof(im->resume_key), "%s", im->run.last_key);
	rc = pass2_rows(im, err);
	rc2 = drain(im, 1, rc ? NULL : err);
	return rc ? rc : rc2;
}

/* ---- the run ---------------------------------------------------------- */

static enum mu_err open_input(struct imp *im, struct mu_error *err)
{
	struct stat sb;

	im->fd = 0;
	if (strcmp(im->o->path, "-")) {
		im->fd = open(im->o->path, O_RDONLY | O_CLOEXEC);
		if (im->fd < 0)
			return mu_fail(err, MU_EINVAL, NULL, "cannot open %.200s: %s",
				       im->o->path, strerror(errno));
		im->own_fd = 1;
	}
	if (fstat(im->fd, &sb) == 0 && S_ISREG(sb.st_mode))
		im->size = (uint64_t)sb.st_size;
	return MU_OK;
}

static enum mu_err load_offices(struct imp *im, struct mu_error *err)
{
	struct office *v = NULL;
	size_t n = 0;

	if (im->k == &kinds[IMPORT_REMOVALS])
		return MU_OK;
	if (store_office_list(im->a->st, &v, &n) != MU_OK)
		return mu_fail(err, MU_EIO, NULL, "cannot read the offices");
	if (n)
		qsort(v, n, sizeof(*v), cmp_office);
	im->known = v;
	im->n_known = n;
	return MU_OK;
}

static void run_init(struct imp *im)
{
	const struct importer_opts *o = im->o;
	const char *name = strcmp(o->path, "-") ? o->path : "(stdin)";

	memset(&im->run, 0, sizeof(im->run));
	im->run.kind = o->kind;
	snprintf(im->run.source, sizeof(im->run.source), "%s",
		 o->source && o->source[0] ? o->source : "import");
	snprintf(im->run.file, sizeof(im->run.file), "%s", name);
	memcpy(im->run.digest, im->digest, 32);
	snprintf(im->run.options, sizeof(im->run.options), "%s%s",
		 o->partial ? "partial" : "all-or-nothing", o->last_wins ? ",last-wins" : "");
}

static enum mu_err write_phase(struct imp *im, struct mu_error *err)
{
	struct audit_ctx c = {.role = "cli", .purpose = "import", .at = mu_now()};
	enum mu_err rc, rc2;

	run_init(im);
	rc = store_import_begin(im->a->st, &im->run, im->o->resume, &c, err);
	if (rc)
		return rc;
	im->res->run_id = im->run.id;
	if (im->run.abandoned)
		fprintf(im->o->errs, "muster: note: import run %lld of this file did not "
			"finish and is now abandoned (--resume would have gone on from "
			"it)\n", (long long)im->run.abandoned);
	rc = pass2(im, err);
	im->run.c.read = im->rows;
	im->run.c.rejected = im->errs_total + im->dups_total;
	c.at = mu_now();
	rc2 = store_import_end(im->a->st, &im->run, rc == MU_OK, &c, rc ? NULL : err);
	return rc ? rc : rc2;
}

static void imp_free(struct imp *im)
{
	if (im->th_live) {
		pthread_mutex_lock(&im->mu);
		im->stop = 1;
		pthread_cond_broadcast(&im->cv);
		pthread_mutex_unlock(&im->mu);
		pthread_join(im->th, NULL);
	}
	pthread_mutex_destroy(&im->mu);
	pthread_cond_destroy(&im->cv);
	for (int i = 0; i < 2; i++) {
		free(im->buf[i].rows);
		free(im->buf[i].arena);
	}
	if (im->rej && fclose(im->rej) != 0)
		im->rej_failed = 1;
	ingest_close(im->rd);
	runs_free(im->runs);
	if (im->own_fd)
		close(im->fd);
	free(im->known);
	free(im->skip);
	free(im->dups);
	free(im->errs);
}

static enum mu_err run_passes(struct imp *im, struct mu_error *err)
{
	const struct importer_opts *o = im->o;
	struct importer_result *res = im->res;
	enum mu_err rc;

	if ((rc = open_input(im, err)) || (rc = load_offices(im, err)))
		return rc;
	im->pr.total = im->size;
	rc = pass1(im, err);
	progress_clear(&im->pr);
	if (rc)
		return rc;
	if (im->errs_total + im->dups_total)
		print_errors(im);
	res->c.read = im->rows;
	res->c.rejected = im->errs_total + im->dups_total;
	if (!o->partial && res->c.rejected)
		return mu_fail(err, MU_EINVAL, NULL, "nothing imported: %llu of %llu rows "
			       "are bad", (unsigned long long)res->c.rejected,
			       (unsigned long long)im->rows);
	rc = write_phase(im, err);
	progress_clear(&im->pr);
	res->c = im->run.c;
	return rc;
}

enum mu_err importer_run(struct app *a, const struct importer_opts *o,
			 struct importer_result *res, struct mu_error *err)
{
	struct imp im;
	double t0 = mono();
	enum mu_err rc;

	memset(&im, 0, sizeof(im));
	memset(res, 0, sizeof(*res));
	im.a = a;
	im.o = o;
	im.res = res;
	im.k = &kinds[o->kind];
	while (im.k->schema.columns[im.ncols])
		im.ncols++;
	im.fmt = o->format >= 0 ? o->format : ingest_format_of_path(o->path);
	pthread_mutex_init(&im.mu, NULL);
	pthread_cond_init(&im.cv, NULL);
	im.pr.f = o->errs;
	im.pr.on = o->progress;
	if (im.fmt < 0)
		rc = mu_fail(err, MU_EINVAL, "format", "cannot tell the format of %.200s:"
			     " name it .csv or .ndjson, or give --format", o->path);
	else
		rc = run_passes(&im, err);
	imp_free(&im);
	if (im.rej_failed && rc == MU_OK)
		rc = mu_fail(err, MU_EIO, NULL, "cannot write the reject file %.200s",
			     res->reject_path);
	res->seconds = mono() - t0;
	return rc;
}

void importer_summary(const struct importer_opts *o, const struct importer_result *r,
		      char *buf, size_t size)
{
	const struct import_counts *c = &r->c;
	int n = snprintf(buf, size, "import %s: %llu rows read, %llu inserted, %llu "
			 "updated, %llu unchanged, %llu rejected, %llu duplicates "
			 "flagged", kinds[o->kind].name, (unsigned long long)c->read,
			 (unsigned long long)c->inserted, (unsigned long long)c->updated,
			 (unsigned long long)c->unchanged, (unsigned long long)c->rejected,
			 (unsigned long long)c->flagged);

	if (n > 0 && (size_t)n < size && o->kind == IMPORT_REMOVALS)
		n += snprintf(buf + n, size - (size_t)n, ", %llu summonses cancelled",
			      (unsigned long long)c->cancelled);
	if (n > 0 && (size_t)n < size && r->superseded)
		n += snprintf(buf + n, size - (size_t)n, ", %llu superseded by later rows",
			      (unsigned long long)r->superseded);
	if (n > 0 && (size_t)n < size && r->skipped)
		n += snprintf(buf + n, size - (size_t)n, ", %llu committed before the "
			      "resume", (unsigned long long)r->skipped);
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ", %.2f s", r->seconds);
	if (n > 0 && (size_t)n < size && c->read && !c->inserted && !c->updated &&
	    !c->rejected && !c->cancelled)
		snprintf(buf + n, size - (size_t)n, "; nothing changed: the register "
			 "already held every row");
}
