/*
 * sqlite.c: the embedded SQLite backend's machinery.
 *
 * One file, one writer: the writer thread owns the only read-write
 * connection and runs every write job in BEGIN IMMEDIATE ... COMMIT with
 * synchronous=FULL, so a state change and its audit record are durable
 * together. Between jobs it group-commits the queued audit records of reads
 * (every flush_ms) and signs a tree head of the audit log when one is due
 * (sqlite_audit.c). Readers get a read-only connection per thread (WAL lets
 * them read while the writer writes). Migrations run at open, before the
 * writer starts. The methods themselves are in sqlite_ops.c.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/leaf.h"
#include "ingest/match.h"

extern const struct store_migration {
	int version;
	const char *name;
	const char *sql;
} store_migrations[];

struct sq_job {
	sq_write_fn fn;
	uint64_t audits_before;  /* read audits queued before this job */
	uint64_t seq;            /* jobs queued before it, this one included */
	void *arg;
	struct mu_error *err;
	enum mu_err rc;
	int done;
	pthread_cond_t cv;
	struct sq_job *next;
};

/* Map up to 16 GiB of the register into memory (address space, not RAM). */
#define SQ_MMAP_SIZE "17179869184"

static uint64_t next_gen = 1;
static pthread_mutex_t gen_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct sq_reader *tl_readers;

enum mu_err sq_err(sqlite3 *db, int rc, struct mu_error *err)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	if (rc == SQLITE_NOMEM)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return mu_fail(err, MU_EBUSY, NULL, "the register is busy");
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return mu_fail(err, MU_ECONFLICT, NULL, "%s", msg);
	return mu_fail(err, MU_EIO, NULL, "storage error: %s", msg);
}

sqlite3_stmt *sq_stmt(struct sq_conn *c, const char *sql)
{
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < c->n_stmts; i++) {
		if (c->stmts[i].sql == sql) {
			st = c->stmts[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "muster: store: prepare failed: %s\n",
			sqlite3_errmsg(c->db));
		return NULL;
	}
	if (c->n_stmts < sizeof(c->stmts) / sizeof(c->stmts[0])) {
		c->stmts[c->n_stmts].sql = sql;
		c->stmts[c->n_stmts].st = st;
		c->n_stmts++;
	} else {
		/* The cache is full (a bug to fix by growing it): keep this one
		 * until the next overflow so it is finalised, never leaked. */
		sqlite3_finalize(c->spill);
		c->spill = st;
	}
	return st;
}

static void conn_close(struct sq_conn *c)
{
	for (size_t i = 0; i < c->n_stmts; i++)
		sqlite3_finalize(c->stmts[i].st);
	c->n_stmts = 0;
	sqlite3_finalize(c->spill);
	c->spill = NULL;
	ach_blooms_free(c);
	sqlite3_close_v2(c->db);
	c->db = NULL;
}

static int conn_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

struct sq_conn *sq_reader(struct sq_store *s)
{
	struct sq_reader *r;

	for (r = tl_readers; r; r = r->next_tl)
		if (r->gen == s->gen) {
			r->used = 1;
			return &r->c;
		}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (sqlite3_open_v2(s->path, &r->c.db,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close_v2(r->c.db);
		free(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->c.db, 5000);
	/* No mmap for readers: SQLite unmaps the whole file whenever another
	 * connection committed since its last read, and the writer commits
	 * the read audits every few milliseconds, so a mapped reader spent
	 * its time in munmap and in faulting pages back in (perf: over half
	 * of the server's CPU in the agency check benchmark). A pread() per
	 * page from the kernel's cache costs less. */
	conn_exec(r->c.db, "PRAGMA mmap_size=0");
	conn_exec(r->c.db, "PRAGMA cache_size=-16384");
	r->gen = s->gen;
	r->used = 1;
	r->next_tl = tl_readers;
	tl_readers = r;
	pthread_mutex_lock(&s->readers_mu);
	r->next_all = s->readers;
	s->readers = r;
	pthread_mutex_unlock(&s->readers_mu);
	return &r->c;
}

/* ---- the writer thread ----------------------------------------------- */

struct audit_batch {
	struct audit_entry *e;
	size_t n;
};

/* Called with s->mu held, after b failed to commit: put its records back
 * at the front of the queue, before those queued meanwhile. */
static int requeue_locked(struct sq_store *s, const struct audit_batch *b)
{
	size_t n = b->n + s->aq_n, cap = n > s->aq_cap ? n : s->aq_cap;
	struct audit_entry *all = malloc(cap * sizeof(*all));

	if (!all)
		return -1;
	memcpy(all, b->e, b->n * sizeof(*all));
	memcpy(all + b->n, s->aq, s->aq_n * sizeof(*all));
	free(s->aq);
	s->aq = all;
	s->aq_room = cap;
	s->aq_n = n;
	s->aq_flushed -= b->n;
	return 0;
}

/* At most this many read audits adopted by one job (about 200 bytes each
 * kept aside); past it the queue fills and refuses reads as before. */
#define ADOPT_MAX (4u << 20)

/* Called with s->mu held: take the queued records (*n of them, in an
 * array of *room slots) and let the readers go on in the spare array.
 * The taker hands its array back as the spare (spare_back_locked). */
static struct audit_entry *take_queue_locked(struct sq_store *s, size_t *n, size_t *room)
{
	struct audit_entry *v = s->aq;

	*n = s->aq_n;
	*room = s->aq_room;
	s->aq = s->aq_spare;
	s->aq_room = s->aq_spare_room;
	s->aq_n = 0;
	s->aq_flushed += *n;
	return v;
}

static void spare_back_locked(struct sq_store *s, struct audit_entry *v, size_t room)
{
	s->aq_spare = v;
	s->aq_spare_room = room;
}

enum mu_err sq_audit_adopt(struct sq_store *s)
{
	struct audit_entry *v;
	size_t n, need, room;
	enum mu_err rc;

	pthread_mutex_lock(&s->mu);
	s->aq_burst = BURST_JOB; /* see sq_audit_read */
	n = s->aq_n;
	need = s->adopted.len + n * AUDIT_LEAF_MAX;
	if (n == 0 || s->adopted.n + n > ADOPT_MAX) {
		pthread_mutex_unlock(&s->mu);
		return MU_OK;
	}
	if (need > s->adopted.cap) {
		unsigned char *nb = realloc(s->adopted.enc, need + need / 2);
		if (!nb) {
			pthread_mutex_unlock(&s->mu);
			return MU_OK;
		}
		s->adopted.enc = nb;
		s->adopted.cap = need + need / 2;
	}
	v = take_queue_locked(s, &n, &room);
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++)
		s->adopted.len += audit_leaf_encode(&v[i], s->adopted.enc + s->adopted.len,
						    AUDIT_LEAF_MAX, NULL);
	s->adopted.n += n;
	rc = sq_audit_put_many(s, v, n);
	pthread_mutex_lock(&s->mu);
	spare_back_locked(s, v, room);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* After a job: adopted read audits committed with it, or, when it rolled
 * back, go back to the queue to be committed by the next flush. */
static void adopted_settle(struct sq_store *s, int committed)
{
	struct audit_batch b = {NULL, s->adopted.n};
	size_t off = 0;
	int kept = 0;

	if (!committed && (b.e = calloc(b.n, sizeof(*b.e)))) {
		for (size_t i = 0; i < b.n; i++)
			off += audit_leaf_decode(s->adopted.enc + off, s->adopted.len - off,
						 &b.e[i]);
		pthread_mutex_lock(&s->mu);
		kept = requeue_locked(s, &b) == 0;
		pthread_mutex_unlock(&s->mu);
		free(b.e);
	}
	if (!committed && !kept) {
		fprintf(stderr, "muster: store: LOST %zu audit records of reads already "
			"answered: out of memory\n", b.n);
		pthread_mutex_lock(&s->mu);
		s->aq_lost += b.n;
		pthread_mutex_unlock(&s->mu);
	}
	s->adopted.n = s->adopted.len = 0;
}

static enum mu_err run_in_tx(struct sq_store *s, sq_write_fn fn, void *arg,
			     struct mu_error *err)
{
	struct sq_audit saved = s->audit;
	enum mu_err rc;

	if (conn_exec(s->w.db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	/* Another process (muster token, import) may have appended to the
	 * audit log since our last write: read the tree's border under the
	 * write lock, or our next entry would collide with theirs. */
	sq_ci_begin(s);
	rc = sq_audit_sync(s);
	if (rc == MU_OK)
		rc = fn(s, arg, err);
	if (rc == MU_OK)
		rc = sq_ci_before_commit(s, err);
	if (rc == MU_OK && conn_exec(s->w.db, "COMMIT") != SQLITE_OK)
		rc = sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	if (rc == MU_OK) {
		/* the log commits again (a flush, or a job that adopted the
		 * queued records): reads are answered again */
		pthread_mutex_lock(&s->mu);
		s->aq_failures = 0;
		pthread_mutex_unlock(&s->mu);
	}
	sq_ci_after(s, rc == MU_OK);
	if (s->adopted.n)
		adopted_settle(s, rc == MU_OK);
	if (s->aq_burst == BURST_JOB) { /* only this thread sets it */
		pthread_mutex_lock(&s->mu);
		s->aq_burst = BURST_DRAIN;
		pthread_mutex_unlock(&s->mu);
	}
	if (rc != MU_OK) {
		conn_exec(s->w.db, "ROLLBACK");
		s->audit = saved;
		s->ach.valid = 0; /* the open bucket's postings: reread them */
		/* the caller reports err: it must say what rc says */
		if (err && err->code == MU_OK)
			mu_fail(err, rc, NULL, "the register could not be written (%s)",
				mu_err_name(rc));
	}
	return rc;
}

static enum mu_err flush_batch(struct sq_store *s, void *arg,
			       struct mu_error *err)
{
	struct audit_batch *b = arg;
	enum mu_err rc = sq_audit_put_many(s, b->e, b->n);

	if (rc)
		return mu_fail(err, rc, NULL, "audit flush failed");
	return MU_OK;
}

/* Called with s->mu held; swaps the queue with the spare array and drops
 * the lock while it commits the drained records. Returns 0 when they
 * committed.
 * When they did not (another process held the register's write lock past
 * the busy timeout, the disk is full), they go back to the queue: a read
 * that was answered is never left unaudited. The queue then refuses reads
 * (503) sooner until a flush succeeds. Only a store that is closing gives
 * up, after a few tries, and says how many records it lost. */
/* A failure that repeats is logged once a minute, with how many times it
 * happened meanwhile (a full disk must not fill the log too). */
static int log_due(struct sq_log_limit *l)
{
	int64_t now = sq_mono_ms();

	if (l->last && now - l->last < 60000) {
		l->skipped++;
		return 0;
	}
	l->last = now;
	return 1;
}

static const char *log_repeats(struct sq_log_limit *l)
{
	if (!l->skipped)
		return "";
	snprintf(l->text, sizeof(l->text), " (and %llu times more in the last minute)",
		 (unsigned long long)l->skipped);
	l->skipped = 0;
	return l->text;
}

static int flush_audits_locked(struct sq_store *s)
{
	struct audit_batch b;
	size_t room;
	enum mu_err rc;

	b.e = take_queue_locked(s, &b.n, &room);
	pthread_mutex_unlock(&s->mu);
	rc = run_in_tx(s, flush_batch, &b, NULL);
	pthread_mutex_lock(&s->mu);
	spare_back_locked(s, b.e, room);
	/* committed or not, the room ends: records that cannot commit must
	 * not pile up 8 times faster (a failure refuses reads sooner) */
	if (s->aq_burst == BURST_DRAIN)
		s->aq_burst = BURST_NONE;
	if (rc == MU_OK) {
		s->aq_failures = 0;
		return 0;
	}
	s->aq_failures++;
	if ((s->stopping && s->aq_failures >= 3) || requeue_locked(s, &b) != 0) {
		fprintf(stderr, "muster: store: LOST %zu audit records of reads already "
			"answered: %s\n", b.n, mu_err_name(rc));
		s->aq_lost += b.n;
		/* nothing left to retry: the next flush (of the next reads)
		 * decides whether reads are refused, not this one forever */
		if (!s->aq_n)
			s->aq_failures = 0;
		return -1;
	}
	if (log_due(&s->flush_log))
		fprintf(stderr, "muster: store: cannot commit %zu audit records (%s); they "
			"stay queued and are retried%s\n", b.n, mu_err_name(rc),
			log_repeats(&s->flush_log));
	return -1;
}

/* An array of *room slots, grown past cap, back to cap slots (a failed
 * realloc keeps it as it is). */
static void shrink_queue(struct audit_entry **v, size_t *room, size_t cap)
{
	struct audit_entry *small;

	if (*room > cap && (small = realloc(*v, cap * sizeof(*small)))) {
		*v = small;
		*room = cap;
	}
}

/* Called with s->mu held, by the writer between its jobs: arrays grown
 * for a burst go back to the usual size once what they held is committed
 * (or adopted). The queue's own only when its records fit. */
static void give_back_locked(struct sq_store *s)
{
	if (s->aq_burst == BURST_DRAIN && s->aq_n == 0)
		s->aq_burst = BURST_NONE; /* nothing queued up to drain */
	if (s->aq_burst != BURST_NONE)
		return;
	shrink_queue(&s->aq_spare, &s->aq_spare_room, s->aq_cap);
	if (s->aq_n <= s->aq_cap)
		shrink_queue(&s->aq, &s->aq_room, s->aq_cap);
}

/* Called with s->mu held: sign a tree head if one is due (or, with
 * force, if the tree grew at all), dropping the lock meanwhile. */
static void publish_head_locked(struct sq_store *s, int force)
{
	int64_t wait = sq_audit_head_wait_ms(s);
	enum mu_err rc;

	if (wait < 0 || (wait > 0 && !force))
		return;
	pthread_mutex_unlock(&s->mu);
	rc = run_in_tx(s, sq_audit_publish_job, NULL, NULL);
	pthread_mutex_lock(&s->mu);
	if (rc) {
		/* the failed job's state was rolled back: note the try here,
		 * or the next loop tries again at once (a read-only or full
		 * disk spun the writer and the log) */
		sq_audit_head_tried(s);
		if (log_due(&s->head_log))
			fprintf(stderr, "muster: store: cannot sign a tree head: %s%s\n",
				mu_err_name(rc), log_repeats(&s->head_log));
	}
}

int64_t sq_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timed_wait(struct sq_store *s, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->wake, &s->mu, &ts);
}

/* Called with s->mu held. Wait for a job, for queued read audits to be
 * flush_ms old (*flush_at: when, 0 if nothing is queued), or for a
 * signed head to come due. Returns 1 when the queue must be flushed now:
 * its interval is over, a job waits (sq_flush relies on that), or the
 * store is closing. A head coming due never cuts the interval short. */
static int wait_for_work(struct sq_store *s, int64_t *flush_at)
{
	int64_t now = sq_mono_ms(), head = sq_audit_head_wait_ms(s), ms = -1;

	if (s->aq_n && !*flush_at)
		*flush_at = now + s->flush_ms;
	if (s->jobs || s->stopping || (s->aq_n && now >= *flush_at))
		return s->aq_n > 0;
	if (head == 0)
		return 0;
	if (s->aq_n)
		ms = *flush_at - now;
	if (head > 0 && (ms < 0 || head < ms))
		ms = head;
	if (sq_ci_poll_ms(s) >= 0 && (ms < 0 || ms > sq_ci_poll_ms(s)))
		ms = sq_ci_poll_ms(s);
	if (ms < 0)
		pthread_cond_wait(&s->wake, &s->mu);
	else
		timed_wait(s, ms);
	return s->aq_n && (s->jobs || s->stopping || (*flush_at && sq_mono_ms() >= *flush_at));
}

static void *writer_main(void *arg)
{
	struct sq_store *s = arg;
	int64_t flush_at = 0;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct sq_job *j;
		int failed = 0;
		uint64_t seen = s->jobs_seq; /* jobs the next flush try is for */
		if (wait_for_work(s, &flush_at)) {
			seen = s->jobs_seq;
			failed = flush_audits_locked(s) != 0;
			if (failed && !s->jobs)
				timed_wait(s, 100); /* retry, not spin */
			flush_at = 0;
			give_back_locked(s);
		}
		publish_head_locked(s, 0);
		if (sq_ci_poll_ms(s) >= 0) {
			pthread_mutex_unlock(&s->mu);
			sq_ci_poll(s, run_in_tx);
			pthread_mutex_lock(&s->mu);
		}
		j = s->jobs;
		if (j && s->aq_flushed < j->audits_before && s->aq_n) {
			/* reads audited before this job was submitted commit
			 * first: a job may rely on seeing them (the access log).
			 * When they cannot (a full disk, the lock held elsewhere
			 * past the busy timeout) the job fails at once with 503
			 * rather than wait for them without end, holding its
			 * HTTP worker; they stay queued and are retried. */
			/* a try that began before this job was queued does not
			 * count for it (the lock may have gone meanwhile) */
			if (!failed || j->seq > seen)
				failed = flush_audits_locked(s) != 0;
			if (failed) {
				s->jobs = j->next;
				if (!s->jobs)
					s->jobs_tail = NULL;
				j->rc = mu_fail(j->err, MU_EBUSY, NULL, "the audit records of"
						" earlier reads cannot be committed now; nothing"
						" was written, retry shortly");
				j->done = 1;
				pthread_cond_signal(&j->cv);
				timed_wait(s, 100);
			}
			flush_at = 0;
			give_back_locked(s);
			continue;
		}
		if (j) {
			s->jobs = j->next;
			if (!s->jobs)
				s->jobs_tail = NULL;
			pthread_mutex_unlock(&s->mu);
			j->rc = run_in_tx(s, j->fn, j->arg, j->err);
			pthread_mutex_lock(&s->mu);
			j->done = 1;
			pthread_cond_signal(&j->cv);
			give_back_locked(s);
			continue;
		}
		if (s->stopping && !s->aq_n)
			break;
	}
	publish_head_locked(s, 1); /* a clean shutdown leaves a signed head */
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

enum mu_err sq_write(struct sq_store *s, sq_write_fn fn, void *arg,
		     struct mu_error *err)
{
	struct sq_job j = {.fn = fn, .arg = arg, .err = err};

	pthread_cond_init(&j.cv, NULL);
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		pthread_cond_destroy(&j.cv);
		return mu_fail(err, MU_EBUSY, NULL, "the register is closing");
	}
	j.audits_before = s->aq_enqueued;
	j.seq = ++s->jobs_seq;
	/* j lives on this stack until the writer marks it done, below */
	if (s->jobs_tail)
		s->jobs_tail->next = &j;
	else
		s->jobs = &j; // cppcheck-suppress autoVariables
	s->jobs_tail = &j; // cppcheck-suppress autoVariables
	pthread_cond_signal(&s->wake);
	while (!j.done)
		pthread_cond_wait(&j.cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	pthread_cond_destroy(&j.cv);
	return j.rc;
}

/* While a job that adopts the queued read audits runs (a campaign's
 * issuing: sq_audit_adopt), and until the flush after it has committed
 * what queued up meanwhile, the queue may hold AQ_BURST times its bound.
 * Between the job's batches its records go into the job's transaction;
 * while the job commits (seconds for a million summonses: its last dirty
 * pages) nothing can take them, and with the plain bound the checks were
 * refused for the length of that commit. Those records are in the same
 * position as the ones the job adopted: lost by a crash before the job's
 * commit ends (operations.md), committed by the writer right after it. The
 * room is allocated only when a burst needs it and given back after. */
#define AQ_BURST 8

/* Called with s->mu held and the queue's array full: double it, up to
 * the burst bound. 0 when there is room now. */
static int grow_queue_locked(struct sq_store *s)
{
	size_t room = s->aq_room * 2, most = AQ_BURST * s->aq_cap;
	struct audit_entry *v;

	if (room > most)
		room = most;
	if (room <= s->aq_room || !(v = realloc(s->aq, room * sizeof(*v))))
		return -1;
	s->aq = v;
	s->aq_room = room;
	return 0;
}

enum mu_err sq_audit_read(struct store *st, const struct audit_entry *v, size_t n)
{
	struct sq_store *s = (struct sq_store *)st;

	if (n > s->aq_cap)
		return MU_ETOOBIG;
	pthread_mutex_lock(&s->mu);
	/* while the log cannot commit (a full disk, the lock held elsewhere)
	 * no further read is answered: refused rather than left unaudited */
	if (s->aq_failures ||
	    s->aq_n + n > (s->aq_burst ? AQ_BURST * s->aq_cap : s->aq_cap) || s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return MU_EBUSY;
	}
	while (s->aq_n + n > s->aq_room)
		if (grow_queue_locked(s)) {
			pthread_mutex_unlock(&s->mu);
			return MU_EBUSY;
		}
	memcpy(s->aq + s->aq_n, v, n * sizeof(*v));
	if (s->aq_n == 0 && n)
		pthread_cond_signal(&s->wake);
	s->aq_n += n;
	s->aq_enqueued += n;
	pthread_mutex_unlock(&s->mu);
	return MU_OK;
}

static enum mu_err nop_job(struct sq_store *s, void *arg, struct mu_error *err)
{
	return MU_OK;
}

void sq_reads_done(struct store *st)
{
	struct sq_store *s = (struct sq_store *)st;

	/* a reader not handed out since the last call (an agency check
	 * answered from memory takes none) cannot have been left open */
	for (struct sq_reader *r = tl_readers; r; r = r->next_tl) {
		if (r->gen != s->gen || !r->used)
			continue;
		r->used = 0;
		if (sqlite3_txn_state(r->c.db, NULL) == SQLITE_TXN_NONE)
			continue;
		for (sqlite3_stmt *q = sqlite3_next_stmt(r->c.db, NULL); q;
		     q = sqlite3_next_stmt(r->c.db, q)) {
			if (!sqlite3_stmt_busy(q))
				continue;
			fprintf(stderr, "muster: store: a read was left open (bug): %.200s\n",
				sqlite3_sql(q));
			sqlite3_reset(q);
		}
	}
}

enum mu_err sq_flush(struct store *st)
{
	/* The writer flushes queued audits before it takes the next job. */
	return sq_write((struct sq_store *)st, nop_job, NULL, NULL);
}

/* ---- open, migrate, close -------------------------------------------- */

static int read_schema_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_migrations",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* muster_fold(name): a family name's search key (ingest/match.h), for
 * migration 017; the writers compute it in C. */
static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *v = sqlite3_value_text(argv[0]);
	char key[PERSON_KEY_MAX];

	(void)argc;
	if (!v) {
		sqlite3_result_null(ctx);
		return;
	}
	match_norm((const char *)v, key, sizeof(key));
	sqlite3_result_text(ctx, key, -1, SQLITE_TRANSIENT);
}

static enum mu_err migrate(struct sq_store *s, struct mu_error *err)
{
	char sql[256];

	if (conn_exec(s->w.db,
		      "CREATE TABLE IF NOT EXISTS schema_migrations ("
		      " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		      " applied_at INTEGER NOT NULL)") != SQLITE_OK)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	s->schema_version = read_schema_version(s->w.db);
	{
		int known = 0;
		for (const struct store_migration *m = store_migrations; m->sql; m++)
			known = m->version > known ? m->version : known;
		/* An older muster would write without what newer schemas rely on
		 * (the checks' counter, docs/checks.md): it must not write. */
		if (s->schema_version > known)
			return mu_fail(err, MU_EIO, "db", "the register's schema (version %d) is "
				       "newer than this muster knows (%d): use the newer muster",
				       s->schema_version, known);
	}
	for (const struct store_migration *m = store_migrations; m->sql; m++) {
		if (m->version <= s->schema_version)
			continue;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_migrations VALUES (%d, '%s', %lld)",
			 m->version, m->name, (long long)time(NULL));
		if (conn_exec(s->w.db, "BEGIN IMMEDIATE") != SQLITE_OK ||
		    conn_exec(s->w.db, m->sql) != SQLITE_OK ||
		    conn_exec(s->w.db, sql) != SQLITE_OK ||
		    conn_exec(s->w.db, "COMMIT") != SQLITE_OK) {
			mu_fail(err, MU_EIO, NULL, "migration %s failed: %s",
				m->name, sqlite3_errmsg(s->w.db));
			conn_exec(s->w.db, "ROLLBACK");
			return MU_EIO;
		}
		s->schema_version = m->version;
	}
	return MU_OK;
}

/* Whether db is some other SQLite file: tables, none of them ours. An
 * empty file (a new register) is not. Checked before anything is written,
 * so that pointing --db at the wrong file changes nothing in it. */
static int foreign(sqlite3 *db)
{
	sqlite3_stmt *q;
	int other = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FILTER (WHERE name = 'schema_migrations'),"
			       " count(*) FROM sqlite_schema WHERE type = 'table'",
			       -1, &q, NULL) != SQLITE_OK)
		return 0; /* not a database at all: the pragmas below say so */
	if (sqlite3_step(q) == SQLITE_ROW)
		other = sqlite3_column_int(q, 0) == 0 && sqlite3_column_int(q, 1) > 0;
	sqlite3_finalize(q);
	return other;
}

static enum mu_err open_writer(struct sq_store *s, int create,
			       struct mu_error *err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	struct stat sb;

	if (!create && stat(s->path, &sb) != 0)
		return mu_fail(err, MU_ENOTFOUND, "db",
			       "no register at %.200s (create one with muster init)",
			       s->path);
	/* an empty file is a new SQLite database to SQLite: without this every
	 * command would fill it with muster's schema, then find no profile */
	if (!create && sb.st_size == 0)
		return mu_fail(err, MU_EINVAL, "db", "%.200s is empty: not a muster register"
			       " (create one with muster init); nothing was changed", s->path);
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(s->path, &s->w.db, flags, NULL) != SQLITE_OK)
		return mu_fail(err, MU_EIO, "db", "cannot open %.200s: %s",
			       s->path, sqlite3_errmsg(s->w.db));
	sqlite3_busy_timeout(s->w.db, s->busy_ms);
	/* SQLite opens a write-protected file read-only without a word: the
	 * register could answer but never record (nor audit) anything */
	if (sqlite3_db_readonly(s->w.db, "main") == 1)
		return mu_fail(err, MU_EIO, "db", "%.200s is read-only: muster needs to write"
			       " it (and the directory, for its -wal and -shm files)", s->path);
	if (foreign(s->w.db))
		return mu_fail(err, MU_EINVAL, "db", "%.200s is not a muster register: it holds"
			       " tables of its own and no schema_migrations; nothing was changed",
			       s->path);
	if (conn_exec(s->w.db, "PRAGMA journal_mode=WAL") != SQLITE_OK ||
	    conn_exec(s->w.db, "PRAGMA synchronous=FULL") != SQLITE_OK ||
	    conn_exec(s->w.db, "PRAGMA foreign_keys=ON") != SQLITE_OK ||
	    /* keep the hot index pages of the audit log in memory */
	    conn_exec(s->w.db, "PRAGMA cache_size=-65536") != SQLITE_OK ||
	    /* the WAL file shrinks back to this when the log restarts */
	    conn_exec(s->w.db, "PRAGMA journal_size_limit=67108864") != SQLITE_OK ||
	    conn_exec(s->w.db, "PRAGMA mmap_size=" SQ_MMAP_SIZE) != SQLITE_OK)
		return mu_fail(err, MU_EIO, "db", "%.200s is not a muster register: %s",
			       s->path, sqlite3_errmsg(s->w.db));
	sq_ci_attach(s);
	if (sqlite3_create_function_v2(s->w.db, "muster_fold", 1, SQLITE_UTF8 |
				       SQLITE_DETERMINISTIC, NULL, sql_fold, NULL, NULL,
				       NULL) != SQLITE_OK)
		return mu_fail(err, MU_EIO, "db", "cannot register muster_fold: %s",
			       sqlite3_errmsg(s->w.db));
	return migrate(s, err);
}

/* Start the writer with SIGTERM and SIGINT blocked: a process-directed
 * stop signal must reach the thread that waits for it (server.c sigwait),
 * never this one, where its default action would kill the process before
 * the drain. */
/* ---- the checkpointer ------------------------------------------------ */

/* Copying the WAL back into the database file happens on a thread and a
 * connection of its own, not at the end of the writer's commits
 * (SQLite's autocheckpoint): after a big commit (a campaign's) that took
 * the writer seconds, during which no read audit could commit and the
 * checks were refused once the queue was full. PASSIVE: it never waits
 * for, and never blocks, the writer or a reader. */
#define CKPT_FRAMES 1000 /* WAL pages that make a checkpoint due, as SQLite's */

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sq_store *s = arg;

	(void)db;
	(void)name;
	if (frames >= CKPT_FRAMES) {
		pthread_mutex_lock(&s->ckpt_mu);
		s->ckpt_due = 1;
		pthread_cond_signal(&s->ckpt_cv);
		pthread_mutex_unlock(&s->ckpt_mu);
	}
	return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
	struct sq_store *s = arg;
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		fprintf(stderr, "muster: store: no checkpointer: %s\n", sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		db = NULL;
	}
	pthread_mutex_lock(&s->ckpt_mu);
	for (;;) {
		while (!s->ckpt_due && !s->ckpt_stop)
			pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
		if (s->ckpt_stop)
			break;
		s->ckpt_due = 0;
		pthread_mutex_unlock(&s->ckpt_mu);
		/* a connection checkpoints only once it has seen the WAL */
		if (db && (conn_exec(db, "PRAGMA journal_mode") != SQLITE_OK ||
			   sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
						     NULL) != SQLITE_OK))
			fprintf(stderr, "muster: store: checkpoint: %s\n", sqlite3_errmsg(db));
		pthread_mutex_lock(&s->ckpt_mu);
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	sqlite3_close_v2(db);
	return NULL;
}

static void stop_ckpt(struct sq_store *s)
{
	if (!s->ckpt_started)
		return;
	pthread_mutex_lock(&s->ckpt_mu);
	s->ckpt_stop = 1;
	pthread_cond_signal(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	pthread_join(s->ckpt, NULL);
	s->ckpt_started = 0;
}

static int start_writer(struct sq_store *s)
{
	sigset_t stop, old;
	int rc;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	/* the hook replaces SQLite's autocheckpoint; set before the writer
	 * runs, which alone uses its connection from then on */
	if (pthread_create(&s->ckpt, NULL, ckpt_main, s) == 0) {
		s->ckpt_started = 1;
		sqlite3_wal_hook(s->w.db, wal_hook, s);
	}
	rc = pthread_create(&s->writer, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Before SQLite starts: no memory statistics, which nothing reads and
 * which take a global mutex around every allocation (6% of the
 * instructions of a large import). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum mu_err store_open(const char *path, const struct store_options *opt,
		       struct store **out, struct mu_error *err)
{
	struct sq_store *s = calloc(1, sizeof(*s));
	enum mu_err rc;

	*out = NULL;
	pthread_once(&sqlite_once, sqlite_setup);
	if (!s || sodium_init() < 0)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	s->base.ops = &sq_ops;
	s->path = strdup(path);
	pthread_mutex_lock(&gen_mu);
	s->gen = next_gen++;
	pthread_mutex_unlock(&gen_mu);
	s->aq_cap = opt && opt->audit_queue_max ? opt->audit_queue_max
						: STORE_AUDIT_QUEUE_DEFAULT;
	s->busy_ms = opt && opt->busy_ms ? opt->busy_ms : STORE_BUSY_MS_DEFAULT;
	s->flush_ms = opt && opt->audit_flush_ms ? opt->audit_flush_ms
						 : STORE_AUDIT_FLUSH_MS_DEFAULT;
	s->aq = calloc(s->aq_cap, sizeof(*s->aq));
	s->aq_spare = calloc(s->aq_cap, sizeof(*s->aq_spare));
	s->aq_room = s->aq_spare_room = s->aq_cap;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->ckpt_mu, NULL);
	pthread_cond_init(&s->ckpt_cv, NULL);
	pthread_mutex_init(&s->readers_mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (!s->path || !s->aq || !s->aq_spare) {
		rc = mu_fail(err, MU_ENOMEM, NULL, "out of memory");
		goto fail;
	}
	rc = open_writer(s, opt && opt->create, err);
	if (rc == MU_OK)
		rc = sq_audit_open(s, err);
	if (rc)
		goto fail;
	if (opt && opt->check_index)
		sq_ci_configure(s, opt->check_poll_ms);
	if (start_writer(s) != 0) {
		rc = mu_fail(err, MU_EIO, NULL, "cannot start the writer thread");
		goto fail;
	}
	s->writer_started = 1;
	if ((rc = sq_ci_load(s, err)) != MU_OK)
		goto fail;
	*out = &s->base;
	return MU_OK;
fail:
	store_close(&s->base);
	return rc;
}

int store_schema_version(struct store *st)
{
	return ((struct sq_store *)st)->schema_version;
}

int store_audit_failing(struct store *st)
{
	struct sq_store *s = (struct sq_store *)st;
	int failing;

	pthread_mutex_lock(&s->mu);
	failing = s->aq_failures > 0;
	pthread_mutex_unlock(&s->mu);
	return failing;
}

uint64_t store_close(struct store *st)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_reader *r, *next;
	uint64_t lost;

	if (!s)
		return 0;
	stop_ckpt(s);
	if (s->writer_started) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
	}
	/* Contract: every other thread that read through this store has
	 * exited (the HTTP workers and the scheduler stop first), so only the
	 * current thread's list can still link our readers. */
	for (struct sq_reader **pp = &tl_readers; *pp;) {
		if ((*pp)->gen == s->gen)
			*pp = (*pp)->next_tl;
		else
			pp = &(*pp)->next_tl;
	}
	for (r = s->readers; r; r = next) {
		next = r->next_all;
		conn_close(&r->c);
		free(r);
	}
	if (s->ci.attached)
		sq_ci_detach(s);
	if (s->w.db) {
		conn_exec(s->w.db, "PRAGMA wal_checkpoint(TRUNCATE)");
		conn_close(&s->w);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->ckpt_mu);
	pthread_cond_destroy(&s->ckpt_cv);
	pthread_mutex_destroy(&s->readers_mu);
	pthread_cond_destroy(&s->wake);
	free(s->aq);
	free(s->aq_spare);
	free(s->ach.v);
	free(s->adopted.enc);
	free(s->path);
	lost = s->aq_lost;
	free(s);
	return lost;
}
