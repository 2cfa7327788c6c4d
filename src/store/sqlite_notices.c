/*
 * sqlite_notices.c: the SQLite side of the notice outbox.
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mu_err sqn_notify_events(struct store *st, int64_t after_seq, size_t limit,
			      struct notify_event *out, size_t *n)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, "SELECT e.seq, e.type, e.at, e.outcome, e.new_report_at, "
				SUMMONS_COLS " FROM summons_events e JOIN summonses s"
				" ON s.id = e.summons_id JOIN offices o ON o.id = s.office"
				" WHERE e.seq > ? ORDER BY e.seq LIMIT ?")))
		return MU_EIO;
	sqlite3_bind_int64(q, 1, after_seq);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)limit);
	while (*n < limit && sqlite3_step(q) == SQLITE_ROW) {
		struct notify_event *e = &out[(*n)++];
		struct summons_rec r;
		const char *oc = SQ_TEXT(q, 3);
		memset(e, 0, sizeof(*e));
		e->seq = sqlite3_column_int64(q, 0);
		e->type = ev_type_parse(SQ_TEXT(q, 1));
		e->at = sqlite3_column_int64(q, 2);
		e->outcome = !strcmp(oc, "upheld") ? AO_UPHELD : !strcmp(oc, "rejected")
								  ? AO_REJECTED : AO_NONE;
		e->new_report_at = sqlite3_column_type(q, 4) == SQLITE_NULL
					   ? MU_T_NONE : sqlite3_column_int64(q, 4);
		/* the summons columns start at 5: shift by stepping a view */
		memset(&r, 0, sizeof(r));
		SQ_COPY(r.s.id, q, 5);
		SQ_COPY(r.s.national_id, q, 6);
		SQ_COPY(r.s.office, q, 7);
		r.s.purpose = purpose_parse(SQ_TEXT(q, 8));
		r.s.issued_at = sqlite3_column_int64(q, 9);
		r.s.report_at = sqlite3_column_int64(q, 10);
		SQ_COPY(e->zone, q, 14);
		SQ_COPY(e->office_name, q, 15);
		e->s = r.s;
	}
	sqlite3_reset(q);
	return MU_OK;
}

struct add_job {
	const struct notice *v;
	size_t n;
	int64_t change_cursor, event_seq;
};

static enum mu_err set_meta(struct sq_store *s, const char *k, int64_t v,
			    struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO meta(key, value) VALUES (?, ?)"
				  " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	char buf[32];

	if (!q)
		return MU_EIO;
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, buf, -1, SQLITE_TRANSIENT);
	return sqlite3_step(q) == SQLITE_DONE ? MU_OK
					      : sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
}

static enum mu_err j_notices_add(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct add_job *j = arg;
	enum mu_err rc;

	for (size_t i = 0; i < j->n; i++) {
		const struct notice *x = &j->v[i];
		sqlite3_stmt *q = sq_stmt(&s->w,
			"INSERT INTO notices(key, national_id, channel, address, kind, text,"
			" next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?)"
			" ON CONFLICT(key) DO NOTHING");
		if (!q)
			return MU_EIO;
		sqlite3_bind_text(q, 1, x->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, x->national_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, x->channel, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, x->address, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, x->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, x->text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, x->next_attempt_at);
		sqlite3_bind_int64(q, 8, x->created_at);
		if (sqlite3_step(q) != SQLITE_DONE)
			return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	}
	if ((rc = set_meta(s, "notify_change_cursor", j->change_cursor, err)))
		return rc;
	return set_meta(s, "notify_event_seq", j->event_seq, err);
}

enum mu_err sqn_notices_add(struct store *st, const struct notice *v, size_t n,
			    int64_t change_cursor, int64_t event_seq)
{
	struct add_job j = {v, n, change_cursor, event_seq};
	return sq_write((struct sq_store *)st, j_notices_add, &j, NULL);
}

#define NOTICE_COLS "id, key, national_id, channel, address, kind, text, state, attempts," \
	" next_attempt_at, created_at, sent_at, last_error"

static void row_notice(sqlite3_stmt *q, struct notice *x)
{
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(q, 0);
	SQ_COPY(x->key, q, 1);
	SQ_COPY(x->national_id, q, 2);
	SQ_COPY(x->channel, q, 3);
	SQ_COPY(x->address, q, 4);
	SQ_COPY(x->kind, q, 5);
	SQ_COPY(x->text, q, 6);
	SQ_COPY(x->state, q, 7);
	x->attempts = sqlite3_column_int(q, 8);
	x->next_attempt_at = sqlite3_column_int64(q, 9);
	x->created_at = sqlite3_column_int64(q, 10);
	x->sent_at = sqlite3_column_int64(q, 11);
	SQ_COPY(x->last_error, q, 12);
}

enum mu_err sqn_notices_due(struct store *st, int64_t now, size_t limit,
			    struct notice *out, size_t *n)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, "SELECT " NOTICE_COLS " FROM notices WHERE state = 'pending'"
				" AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")))
		return MU_EIO;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)limit);
	while (*n < limit && sqlite3_step(q) == SQLITE_ROW)
		row_notice(q, &out[(*n)++]);
	sqlite3_reset(q);
	return MU_OK;
}

struct result_job {
	int64_t id;
	const char *state;
	int attempts;
	int64_t next, sent_at;
	const char *error;
};

static enum mu_err j_notice_result(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct result_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE notices SET state = ?, attempts = ?,"
				  " next_attempt_at = ?, sent_at = ?, last_error = ? WHERE id = ?");

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->state, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, j->attempts);
	sqlite3_bind_int64(q, 3, j->next);
	sqlite3_bind_int64(q, 4, j->sent_at);
	sqlite3_bind_text(q, 5, j->error ? j->error : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, j->id);
	return sqlite3_step(q) == SQLITE_DONE ? MU_OK
					      : sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
}

enum mu_err sqn_notice_result(struct store *st, int64_t id, const char *state,
			      int attempts, int64_t next_attempt_at, int64_t sent_at,
			      const char *error)
{
	struct result_job j = {id, state, attempts, next_attempt_at, sent_at, error};
	return sq_write((struct sq_store *)st, j_notice_result, &j, NULL);
}

enum mu_err sqn_notices_list(struct store *st, const char *state, const char *nid,
			     const char *office, size_t limit, struct notice *out, size_t *n)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, "SELECT " NOTICE_COLS " FROM notices WHERE"
				" (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR national_id = ?2)"
				" AND (?4 IS NULL OR national_id IN (SELECT national_id"
				" FROM persons WHERE office = ?4)) ORDER BY id DESC LIMIT ?3")))
		return MU_EIO;
	if (state)
		sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
	if (nid)
		sqlite3_bind_text(q, 2, nid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)limit);
	if (office)
		sqlite3_bind_text(q, 4, office, -1, SQLITE_STATIC);
	while (*n < limit && sqlite3_step(q) == SQLITE_ROW)
		row_notice(q, &out[(*n)++]);
	sqlite3_reset(q);
	return MU_OK;
}
