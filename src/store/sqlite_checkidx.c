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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Before the commit is visible: announce it to every process's index. */
static int on_commit(void *arg)
{
	struct sq_ci *ci = arg;

	if (ci->touched && ci->gen) {
		ci->bumped_from = __atomic_fetch_add(ci->gen, 1, __ATOMIC_SEQ_CST);
		ci->bumped = 1;
	}
	return 0;
}

void sq_ci_attach(struct sq_store *s)
{
	struct sq_ci *ci = &s->ci;
	char *path;
	struct stat sb;
	void *m;

	ci->fd = -1;
	ci->attached = 1;
	ci->data_version = -1;
	pthread_rwlock_init(&ci->lk, NULL);
	sqlite3_update_hook(s->w.db, on_update, ci);
	sqlite3_commit_hook(s->w.db, on_commit, ci);
	if (!s->path[0] || !strcmp(s->path, ":memory:") ||
	    !(path = malloc(strlen(s->path) + 5)))
		return;
	snprintf(path, strlen(s->path) + 5, "%s-gen", s->path);
	ci->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (ci->fd < 0)
		return;
	if (fstat(ci->fd, &sb) != 0 || (sb.st_size < 8 && ftruncate(ci->fd, 8) != 0) ||
	    (m = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, ci->fd, 0)) == MAP_FAILED) {
		close(ci->fd);
		ci->fd = -1;
		return;
	}
	ci->gen = m;
}

void sq_ci_detach(struct sq_store *s)
{
	struct sq_ci *ci = &s->ci;

	if (ci->gen)
		munmap(ci->gen, 8);
	if (ci->fd >= 0)
		close(ci->fd);
	ci->gen = NULL;
	ci->fd = -1;
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

void sq_ci_begin(struct sq_store *s)
{
	reset_tx(&s->ci);
}

/* A person's restrictions from the current transaction into st. */
static enum mu_err read_state(struct sq_conn *c, const char *nid, struct ci_state *st)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT kind, since, basis FROM restrictions"
				  " WHERE national_id = ?");
	int rc;

	memset(st, 0, sizeof(*st));
	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, nid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int k = restr_kind_parse((const char *)sqlite3_column_text(q, 0));
		if (k < 0)
			continue;
		st->mask |= 1u << k;
		st->since[k] = sqlite3_column_int64(q, 1);
		snprintf(st->basis[k], sizeof(st->basis[k]), "%s",
			 (const char *)sqlite3_column_text(q, 2));
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? MU_OK : MU_EIO;
}

static int64_t read_i64(struct sq_conn *c, const char *sql, int64_t none)
{
	sqlite3_stmt *q = sq_stmt(c, sql);
	int64_t v = none;

	if (q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q, 0);
	if (q)
		sqlite3_reset(q);
	return v;
}

#define SQL_MIN_DUE "SELECT min(next_due) FROM persons WHERE next_due IS NOT NULL"
#define SQL_MAX_REC "SELECT max(reconciled_at) FROM persons WHERE reconciled_at > 0"

/* Inside the job's transaction, before COMMIT: the new state of every
 * person it touched, and the new lower bound of next_due. */
void sq_ci_before_commit(struct sq_store *s)
{
	struct sq_ci *ci = &s->ci;
	sqlite3_stmt *q;

	if (!ci->enabled || !ci->touched || ci->over)
		return;
	if (ci->cap_pend < ci->n_rowids) {
		struct ci_pending *p = realloc(ci->pend, ci->n_rowids * sizeof(*p));
		if (!p) {
			ci->over = 1;
			return;
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
		snprintf(p->id, sizeof(p->id), "%s", (const char *)sqlite3_column_text(q, 0));
		if (sqlite3_column_int64(q, 1) > ci->p_max_rec)
			ci->p_max_rec = sqlite3_column_int64(q, 1);
		sqlite3_reset(q);
		if (read_state(&s->w, p->id, &p->st) != MU_OK)
			ci->over = 1;
		ci->n_pend++;
	}
	ci->p_min_due = read_i64(&s->w, SQL_MIN_DUE, MU_T_NONE);
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
	int64_t max_rec, min_due, t0 = now_ms();

	(void)arg;
	(void)err;
	memset(&st, 0, sizeof(st));
	while (!bad && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *nid = (const char *)sqlite3_column_text(q, 0);
		int k = restr_kind_parse((const char *)sqlite3_column_text(q, 1));
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
	max_rec = read_i64(&s->w, SQL_MAX_REC, 0);
	min_due = read_i64(&s->w, SQL_MIN_DUE, MU_T_NONE);
	/* commits by other connections from here on: sq_ci_poll */
	ci->data_version = read_i64(&s->w, "PRAGMA data_version", -1);
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
	__atomic_store_n(&ci->rebuild_took_ms, now_ms() - t0, __ATOMIC_RELAXED);
	return MU_OK;
}

enum mu_err sq_ci_enable(struct sq_store *s, int poll_ms, struct mu_error *err)
{
	struct sq_ci *ci = &s->ci;

	ci->poll_ms = poll_ms > 0 ? poll_ms : CI_POLL_MS;
	if (!ci->gen) { /* no counter file: checks read the register */
		fprintf(stderr, "muster: store: cannot open %s-gen; agency checks read the "
			"register instead of memory\n", s->path);
		return MU_OK;
	}
	ci->enabled = 1;
	ci->rebuilt_ms = now_ms();
	return sq_write(s, j_rebuild, NULL, err);
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
	int64_t left;

	if (!ci->enabled)
		return -1;
	if (!ci->want_rebuild) /* writer thread: its own flag */
		return ci->poll_ms;
	left = rebuild_gap(ci) - (now_ms() - ci->rebuilt_ms);
	return left < 1 ? 1 : left < ci->poll_ms ? (int)left : ci->poll_ms;
}

/* Writer thread, outside any transaction: notice commits by programs that
 * do not bump the counter, and rebuild when due. */
void sq_ci_poll(struct sq_store *s, enum mu_err (*run)(struct sq_store *, sq_write_fn,
						      void *, struct mu_error *))
{
	struct sq_ci *ci = &s->ci;
	int64_t dv, t;
	enum mu_err rc;

	if (!ci->enabled)
		return;
	dv = read_i64(&s->w, "PRAGMA data_version", -1);
	if (dv != ci->data_version) {
		if (ci->data_version != -1) {
			pthread_rwlock_wrlock(&ci->lk);
			ci->valid = 0;
			ci->want_rebuild = 1;
			pthread_rwlock_unlock(&ci->lk);
		}
		ci->data_version = dv;
	}
	if (!ci->want_rebuild || (t = now_ms()) - ci->rebuilt_ms < rebuild_gap(ci))
		return;
	ci->rebuilt_ms = t;
	rc = run(s, j_rebuild, NULL, NULL);
	if (rc != MU_OK)
		fprintf(stderr, "muster: store: cannot rebuild the checks' index; checks read "
			"the register meanwhile\n");
}

int sq_ci_check(struct sq_store *s, const char *nid, enum restr_kind kind,
		struct check_row *out)
{
	struct sq_ci *ci = &s->ci;
	int r = -1;
	uint64_t g;

	if (!ci->enabled)
		return 0;
	g = __atomic_load_n(ci->gen, __ATOMIC_SEQ_CST);
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
	out->valid = ci->valid && ci->at_gen == __atomic_load_n(ci->gen, __ATOMIC_SEQ_CST);
	pthread_rwlock_unlock(&ci->lk);
}
