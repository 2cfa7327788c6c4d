/*
 * sqlite_checkidx.c: agency checks answered from memory, exactly.
 *
 * A check used to read the register: two B-tree lookups whose pages the
 * read audits' commits (every few milliseconds) keep evicting from the
 * reader's cache, so most of a check's time went to pread() and SQLite.
 * The server now keeps every restriction in force in memory (checkidx.c)
 * together with two bounds that make the materialised state valid for
 * everyone: the latest reconciliation (max reconciled_at) and the next
 * time-driven change (min next_due). A check at an instant between them
 * is answered from memory; any other goes to the register as before.
 *
 * Exactness across processes rests on a counter shared by every muster
 * process that opens the register: `<register>-gen`, mapped into memory.
 * A transaction that wrote to persons (every change of restrictions
 * does: it bumps the person's pver) increments it in SQLite's commit
 * hook, that is before the commit can be seen. The index records the
 * counter value it is exact for; a check that finds another value asks
 * the register. The server's own writer applies its commits to the index
 * itself (the state of each person it touched, read inside the
 * transaction); another process's commit, or one with too many persons
 * for that, makes the writer rebuild the index under the write lock, at
 * most four times a second and for at most a fifth of the writer's time,
 * and checks ask the register until then.
 * Programs that are not muster (the sqlite3 shell) do not bump the
 * counter: the writer notices their commits through PRAGMA data_version
 * within CI_POLL_MS (serve --check-index-poll-ms) and rebuilds. docs/checks.md has the whole argument.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/checkidx.h"

#define CI_TX_MAX 4096        /* persons a commit may touch and be applied */
#define CI_REBUILD_GAP_MS 250 /* at most four rebuilds a second */


static void reset_tx(struct sq_ci *ci)
{
	ci->touched = ci->over = ci->bumped = 0;
	ci->n_rowids = ci->n_pend = 0;
	ci->p_max_rec = 0;
}

static void on_update(void *arg, int op, const char *db, const char *table,
		      sqlite3_int64 rowid)
{
	struct sq_ci *ci = arg;

	(void)op;
	if (strcmp(table, "persons") != 0 || strcmp(db, "main") != 0)
		return;
	ci->touched = 1;
	if (ci->over)
		return;
	if (ci->n_rowids == ci->cap_rowids) {
		size_t cap = ci->cap_rowids ? ci->cap_rowids * 2 : 64;
		int64_t *v = cap > CI_TX_MAX ? NULL : realloc(ci->rowids, cap * sizeof(*v));
		if (!v) {
			ci->over = 1;
			return;
		}
		ci->rowids = v;
		ci->cap_rowids = cap;
	}
	ci->rowids[ci->n_rowids++] = rowid;
}

/* Before the commit is visible: announce it to every process's index. A
 * register that has a counter file but whose counter this process could
 * not open refuses the commit (a non-zero return makes it a rollback):
 * sq_ci_before_commit says why first; this is the backstop for
 * transactions outside the writer's jobs (migrations). */
static int on_commit(void *arg)
{
	struct sq_ci *ci = arg;

	if (!ci->touched)
		return 0;
	if (!ci->gen)
		return ci->need_counter;
	ci->bumped_from = __atomic_fetch_add(ci->gen, 1, __ATOMIC_SEQ_CST);
	ci->bumped = 1;
	return 0;
}

/* Sleep in small steps while another process holds the write lock, so
 * that the writer takes it (and sees that process's commit, sq_ci_begin)
 * soon after it is released; give up after busy_ms as busy_timeout did. */
static int on_busy(void *arg, int count)
{
	struct sq_store *s = arg;
	struct timespec ts = {0, 2 * 1000000L};

	if ((int64_t)count * 2 >= s->busy_ms)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/* Open (creating it like the register: same mode and owner) and map the
 * counter file; 0 on success. */
static int open_counter(struct sq_ci *ci, const char *db_path)
{
	struct stat db, sb;
	void *m;
	int fd = open(ci->gen_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0 && stat(db_path, &db) == 0) {
		if (fchmod(fd, db.st_mode & 0666) != 0) { /* best effort, as SQLite's -shm */ }
		if (geteuid() == 0 && fchown(fd, db.st_uid, db.st_gid) != 0) { /* idem */ }
	}
	if (fd < 0)
		fd = open(ci->gen_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || (sb.st_size < 8 && ftruncate(fd, 8) != 0) ||
	    (m = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	/* a mapping replaced by a reopen stays mapped until close: a check
	 * may still be reading through it */
	if (ci->gen && ci->n_old < sizeof(ci->old) / sizeof(ci->old[0]))
		ci->old[ci->n_old++] = ci->gen;
	if (ci->fd >= 0)
		close(ci->fd);
	ci->fd = fd;
	ci->dev = sb.st_dev;
	ci->ino = sb.st_ino;
	__atomic_store_n(&ci->gen, (uint64_t *)m, __ATOMIC_SEQ_CST);
	return 0;
}

void sq_ci_attach(struct sq_store *s)
{
	struct sq_ci *ci = &s->ci;
	pthread_rwlockattr_t at;
	char *real;

	ci->fd = -1;
	ci->attached = 1;
	ci->data_version = -1;
	pthread_rwlockattr_init(&at);
	/* a stream of checks must not keep the writer from its update */
	pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ci->lk, &at);
	pthread_rwlockattr_destroy(&at);
	sqlite3_update_hook(s->w.db, on_update, ci);
	sqlite3_commit_hook(s->w.db, on_commit, ci);
	sqlite3_busy_handler(s->w.db, on_busy, s);
	if (!s->path[0] || !strcmp(s->path, ":memory:"))
		return;
	ci->need_counter = 1;
	/* the file the register really is: every process finds the same
	 * counter however it names the register (a symbolic link) */
	real = realpath(s->path, NULL);
	ci->gen_path = malloc(strlen(real ? real : s->path) + 5);
	if (ci->gen_path)
		snprintf(ci->gen_path, strlen(real ? real : s->path) + 5, "%s-gen",
			 real ? real : s->path);
	free(real);
	if (ci->gen_path && open_counter(ci, s->path) != 0)
		fprintf(stderr, "muster: store: cannot open %s: %s; this process may not "
			"change persons or restrictions\n", ci->gen_path, strerror(errno));
}

void sq_ci_detach(struct sq_store *s)
{
	struct sq_ci *ci = &s->ci;

	if (ci->gen)
		munmap(ci->gen, 8);
	for (size_t i = 0; i < ci->n_old; i++)
		munmap(ci->old[i], 8);
	if (ci->fd >= 0)
		close(ci->fd);
	ci->gen = NULL;
	ci->fd = -1;
	free(ci->gen_path);
	ci->gen_path = NULL;
	ci_free(ci->idx);
	ci->idx = NULL;
	free(ci->rowids);
	free(ci->pend);
	if (s->w.db) {
		sqlite3_update_hook(s->w.db, NULL, NULL);
		sqlite3_commit_hook(s->w.db, NULL, NULL);
	}
	pthread_rwlock_destroy(&ci->lk);
	ci->attached = 0;
}

static void invalidate(struct sq_ci *ci)
{
	pthread_rwlock_wrlock(&ci->lk);
	ci->valid = 0;
	ci->want_rebuild = 1;
	pthread_rwlock_unlock(&ci->lk);
}

/* One integer from sql on c: 0 and *v (none when NULL), -1 on error. */
static int read_i64(struct sq_conn *c, const char *sql, int64_t none, int64_t *v)
{
	sqlite3_stmt *q = sq_stmt(c, sql);
	int rc;

	if (!q)
		return -1;
	*v = none;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		*v = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Has another connection committed since we last looked (or can we not
 * tell)? PRAGMA data_version on the writer connection. */
static int foreign_commit(struct sq_store *s)
{
	int64_t dv = -1;
	int changed = read_i64(&s->w, "PRAGMA data_version", -1, &dv) != 0 ||
		      dv != s->ci.data_version;

	s->ci.data_version = dv;
	return changed;
}

/* Right after BEGIN IMMEDIATE: the write lock is ours, so any commit by
 * another connection is over and PRAGMA data_version shows it. */
void sq_ci_begin(struct sq_store *s)
{
	reset_tx(&s->ci);
	if (s->ci.enabled && foreign_commit(s))
		invalidate(&s->ci);
}

/* A person's restrictions from the current transaction into st. */
static enum mu_err read_state(struct sq_conn *c, const char *nid, struct ci_state *st)
{
	struct restr_state rs;
	enum mu_err rc;

	memset(&rs, 0, sizeof(rs));
	memset(st, 0, sizeof(*st));
	if ((rc = sq_restr_rows(c, nid, &rs)))
		return rc;
	for (int k = 0; k < RK__COUNT; k++) {
		if (!rs.imposed[k])
			continue;
		st->mask |= 1u << k;
		st->since[k] = rs.since[k];
		memcpy(st->basis[k], rs.basis[k], sizeof(st->basis[k]));
	}
	return MU_OK;
}


#define SQL_MIN_DUE "SELECT min(next_due) FROM persons WHERE next_due IS NOT NULL"
#define SQL_MAX_REC "SELECT max(reconciled_at) FROM persons WHERE reconciled_at > 0"

/* Inside the job's transaction, before COMMIT: the new state of every
 * person it touched, and the new lower bound of next_due. */
enum mu_err sq_ci_before_commit(struct sq_store *s, struct mu_error *err)
{
	struct sq_ci *ci = &s->ci;
	sqlite3_stmt *q;

	if (ci->touched && ci->need_counter && !ci->gen)
		return mu_fail(err, MU_EIO, "db", "cannot open %s, the counter that keeps a "
			       "running server's agency checks exact: persons and restrictions "
			       "cannot be changed from this process (check the file's owner and "
			       "mode)", ci->gen_path ? ci->gen_path : "the counter file");
	if (!ci->enabled || !ci->touched || ci->over)
		return MU_OK;
	if (ci->cap_pend < ci->n_rowids) {
		struct ci_pending *p = realloc(ci->pend, ci->n_rowids * sizeof(*p));
		if (!p) {
			ci->over = 1;
			return MU_OK;
		}
		ci->pend = p;
		ci->cap_pend = ci->n_rowids;
	}
	for (size_t i = 0; i < ci->n_rowids && !ci->over; i++) {
		struct ci_pending *p = &ci->pend[ci->n_pend];
		q = sq_stmt(&s->w, "SELECT national_id, reconciled_at FROM persons WHERE rowid = ?");
		if (!q) {
			ci->over = 1;
			break;
		}
		sqlite3_bind_int64(q, 1, ci->rowids[i]);
		if (sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_reset(q); /* gone: persons are never deleted */
			ci->over = 1;
			break;
		}
		if (sqlite3_column_int64(q, 1) > ci->p_max_rec)
			ci->p_max_rec = sqlite3_column_int64(q, 1);
		if (sqlite3_column_bytes(q, 0) > NATIONAL_ID_MAX) {
			sqlite3_reset(q); /* no check can name it (person_id_valid) */
			continue;
		}
		snprintf(p->id, sizeof(p->id), "%s", (const char *)sqlite3_column_text(q, 0));
		sqlite3_reset(q);
		if (read_state(&s->w, p->id, &p->st) != MU_OK)
			ci->over = 1;
		ci->n_pend++;
	}
	if (read_i64(&s->w, SQL_MIN_DUE, MU_T_NONE, &ci->p_min_due) != 0)
		ci->over = 1;
	return MU_OK;
}

/* After COMMIT (committed) or ROLLBACK. */
void sq_ci_after(struct sq_store *s, int committed)
{
	struct sq_ci *ci = &s->ci;

	if (!ci->bumped || !ci->enabled) {
		reset_tx(ci);
		return;
	}
	pthread_rwlock_wrlock(&ci->lk);
	if (committed && ci->valid && ci->at_gen == ci->bumped_from && !ci->over) {
		for (size_t i = 0; i < ci->n_pend && ci->valid; i++)
			if (ci_put(ci->idx, ci->pend[i].id, &ci->pend[i].st) != 0)
				ci->valid = 0;
		if (ci->p_max_rec > ci->max_rec)
			ci->max_rec = ci->p_max_rec;
		ci->min_due = ci->p_min_due;
		ci->at_gen = ci->bumped_from + 1;
	} else {
		ci->valid = 0;
	}
	if (!ci->valid)
		ci->want_rebuild = 1;
	pthread_rwlock_unlock(&ci->lk);
	reset_tx(ci);
}

/* Write job: load the index afresh. Under the write lock every bump of
 * the counter so far belongs to a commit that is over (the bump happens
 * while its writer holds that lock), so this snapshot is exact for the
 * value read here. */
static enum mu_err j_rebuild(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct sq_ci *ci = &s->ci;
	uint64_t g = __atomic_load_n(ci->gen, __ATOMIC_SEQ_CST);
	struct checkidx *nx = ci_new(), *old;
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT national_id, kind, since, basis"
				  " FROM restrictions ORDER BY national_id");
	struct ci_state st;
	char cur[NATIONAL_ID_MAX + 1] = "";
	int rc = SQLITE_ROW, bad = !nx || !q;
	int64_t max_rec, min_due, t0 = sq_mono_ms();

	(void)arg;
	(void)err;
	memset(&st, 0, sizeof(st));
	while (!bad && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *nid = (const char *)sqlite3_column_text(q, 0);
		int k = restr_kind_parse((const char *)sqlite3_column_text(q, 1));
		if (sqlite3_column_bytes(q, 0) > NATIONAL_ID_MAX)
			continue; /* no check can name it (person_id_valid) */
		if (strcmp(nid, cur) != 0) {
			if (cur[0] && ci_put(nx, cur, &st) != 0)
				bad = 1;
			memset(&st, 0, sizeof(st));
			snprintf(cur, sizeof(cur), "%s", nid);
		}
		if (k < 0)
			continue;
		st.mask |= 1u << k;
		st.since[k] = sqlite3_column_int64(q, 2);
		snprintf(st.basis[k], sizeof(st.basis[k]), "%s",
			 (const char *)sqlite3_column_text(q, 3));
	}
	if (q)
		sqlite3_reset(q);
	if (!bad && (rc != SQLITE_DONE || (cur[0] && ci_put(nx, cur, &st) != 0)))
		bad = 1;
	if (read_i64(&s->w, SQL_MAX_REC, 0, &max_rec) != 0 ||
	    read_i64(&s->w, SQL_MIN_DUE, MU_T_NONE, &min_due) != 0 ||
	    /* commits by other connections from here on: sq_ci_begin, sq_ci_poll */
	    read_i64(&s->w, "PRAGMA data_version", -1, &ci->data_version) != 0)
		bad = 1;
	if (bad) {
		ci_free(nx);
		return MU_EIO; /* nothing written: the rollback costs nothing */
	}
	pthread_rwlock_wrlock(&ci->lk);
	old = ci->idx;
	ci->idx = nx;
	ci->valid = 1;
	ci->at_gen = g;
	ci->max_rec = max_rec;
	ci->min_due = min_due;
	ci->want_rebuild = 0;
	pthread_rwlock_unlock(&ci->lk);
	ci_free(old);
	__atomic_add_fetch(&ci->rebuilds, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ci->rebuild_took_ms, sq_mono_ms() - t0, __ATOMIC_RELAXED);
	return MU_OK;
}

void sq_ci_configure(struct sq_store *s, int poll_ms)
{
	struct sq_ci *ci = &s->ci;

	if (!ci->gen) { /* no counter file: checks read the register */
		fprintf(stderr, "muster: store: without %s, agency checks read the register "
			"instead of memory\n", ci->gen_path ? ci->gen_path : "a counter file");
		return;
	}
	ci->poll_ms = poll_ms > 0 ? poll_ms : CI_POLL_MS;
	ci->enabled = 1;
	ci->rebuilt_ms = ci->polled_ms = sq_mono_ms();
}

enum mu_err sq_ci_load(struct sq_store *s, struct mu_error *err)
{
	enum mu_err rc;

	if (!s->ci.enabled)
		return MU_OK;
	rc = sq_write(s, j_rebuild, NULL, err);
	s->ci.rebuilt_ms = sq_mono_ms();
	return rc;
}

/* Between two reloads: at least CI_REBUILD_GAP_MS, and four times what the
 * last one took, so that reloads (which hold the write lock) never take
 * more than a fifth of the writer's time, however many persons are barred
 * and however busy another process keeps the register. */
static int64_t rebuild_gap(const struct sq_ci *ci)
{
	int64_t g = 4 * __atomic_load_n(&ci->rebuild_took_ms, __ATOMIC_RELAXED);

	return g > CI_REBUILD_GAP_MS ? g : CI_REBUILD_GAP_MS;
}

int sq_ci_poll_ms(struct sq_store *s)
{
	struct sq_ci *ci = &s->ci;
	int64_t t, left;

	if (!ci->enabled)
		return -1;
	t = sq_mono_ms();
	left = ci->poll_ms - (t - ci->polled_ms);
	if (ci->want_rebuild) { /* writer thread: its own flag */
		int64_t r = rebuild_gap(ci) - (t - ci->rebuilt_ms);
		left = r < left ? r : left;
	}
	return left < 1 ? 1 : left > ci->poll_ms ? ci->poll_ms : (int)left;
}

/* Writer thread, outside any transaction, every poll_ms: notice commits
 * by programs that do not step the counter, a counter file replaced or
 * deleted, a step with no commit behind it; and reload when due. */
void sq_ci_poll(struct sq_store *s, enum mu_err (*run)(struct sq_store *, sq_write_fn,
						      void *, struct mu_error *))
{
	struct sq_ci *ci = &s->ci;
	struct stat sb;
	int64_t t = sq_mono_ms();
	int stale;

	if (!ci->enabled)
		return;
	if (t - ci->polled_ms >= ci->poll_ms) {
		ci->polled_ms = t;
		stale = foreign_commit(s);
		if (stat(ci->gen_path, &sb) != 0 || sb.st_dev != ci->dev || sb.st_ino != ci->ino) {
			stale = 1;
			if (open_counter(ci, s->path) != 0)
				fprintf(stderr, "muster: store: cannot reopen %s\n", ci->gen_path);
		}
		pthread_rwlock_rdlock(&ci->lk);
		if (ci->valid && ci->at_gen != __atomic_load_n(ci->gen, __ATOMIC_SEQ_CST))
			stale = 1;
		pthread_rwlock_unlock(&ci->lk);
		if (stale)
			invalidate(ci);
	}
	if (!ci->want_rebuild || t - ci->rebuilt_ms < rebuild_gap(ci))
		return;
	if (run(s, j_rebuild, NULL, NULL) != MU_OK)
		fprintf(stderr, "muster: store: cannot rebuild the checks' index; checks read "
			"the register meanwhile\n");
	ci->rebuilt_ms = sq_mono_ms(); /* from its end: at most a fifth of the time */
}

int sq_ci_check(struct sq_store *s, const char *nid, enum restr_kind kind,
		struct check_row *out)
{
	struct sq_ci *ci = &s->ci;
	int r = -1;
	uint64_t g;

	if (!ci->enabled)
		return 0;
	g = __atomic_load_n(__atomic_load_n(&ci->gen, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	pthread_rwlock_rdlock(&ci->lk);
	if (ci->valid && ci->at_gen == g) {
		r = ci_get(ci->idx, nid, kind, &out->since, out->basis);
		if (r >= 0) {
			/* the bounds for everyone: app_check answers from this
			 * row only at an instant between them */
			out->person_found = 1;
			out->imposed = r;
			out->reconciled_at = ci->max_rec;
			out->next_due = ci->min_due;
		}
	}
	pthread_rwlock_unlock(&ci->lk);
	__atomic_add_fetch(r >= 0 ? &ci->hits : &ci->misses, 1, __ATOMIC_RELAXED);
	return r >= 0;
}

void store_check_index_stats(struct store *st, struct check_index_stats *out)
{
	struct sq_ci *ci = &((struct sq_store *)st)->ci;

	memset(out, 0, sizeof(*out));
	if (!ci->enabled)
		return;
	out->enabled = 1;
	out->hits = __atomic_load_n(&ci->hits, __ATOMIC_RELAXED);
	out->misses = __atomic_load_n(&ci->misses, __ATOMIC_RELAXED);
	out->rebuilds = __atomic_load_n(&ci->rebuilds, __ATOMIC_RELAXED);
	out->rebuild_ms = __atomic_load_n(&ci->rebuild_took_ms, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&ci->lk);
	out->entries = ci->idx ? ci_count(ci->idx) : 0;
	out->bytes = ci->idx ? ci_bytes(ci->idx) : 0;
	out->valid = ci->valid &&
		     ci->at_gen == __atomic_load_n(__atomic_load_n(&ci->gen, __ATOMIC_SEQ_CST),
						   __ATOMIC_SEQ_CST);
	pthread_rwlock_unlock(&ci->lk);
}
