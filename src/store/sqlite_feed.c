/*
 * sqlite_feed.c: the SQLite side of agency checks and the restriction
 * feed: the one-lookup check, reading the feed by kind, acks and lags.
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mu_err sqf_restr_check(struct store *st, const char *nid, enum restr_kind kind,
			    struct check_row *out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c;
	sqlite3_stmt *q;

	memset(out, 0, sizeof(*out));
	out->next_due = MU_T_NONE;
	if (sq_ci_check(s, nid, kind, out))
		return MU_OK;
	if (!(c = sq_reader(s)))
		return MU_EIO;
	q = sq_stmt(c, "SELECT p.reconciled_at, p.next_due, r.since, r.basis"
		    " FROM persons p LEFT JOIN restrictions r"
		    " ON r.national_id = p.national_id AND r.kind = ?2"
		    " WHERE p.national_id = ?1");
	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, nid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, restr_kind_name(kind), -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		out->person_found = 1;
		out->reconciled_at = sqlite3_column_int64(q, 0);
		if (sqlite3_column_type(q, 1) != SQLITE_NULL)
			out->next_due = sqlite3_column_int64(q, 1);
		if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
			out->imposed = 1;
			out->since = sqlite3_column_int64(q, 2);
			SQ_COPY(out->basis, q, 3);
		}
	}
	sqlite3_reset(q);
	return MU_OK;
}

enum mu_err sqf_feed_read_kind(struct store *st, int64_t after, const char *kind,
			       size_t limit, struct restr_change *out, size_t *n,
			       int64_t *scanned_to)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader(s);
	sqlite3_stmt *q;

	if (!c)
		return MU_EIO;
	q = sq_stmt(c, "SELECT cursor, national_id, kind, change, at, basis, rule,"
		    " recorded_at FROM restriction_changes WHERE cursor > ?1"
		    " AND (?2 IS NULL OR kind = ?2) ORDER BY cursor LIMIT ?3");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, after);
	if (kind)
		sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)limit);
	while (*n < limit && sqlite3_step(q) == SQLITE_ROW) {
		struct restr_change *ch = &out[(*n)++];
		memset(ch, 0, sizeof(*ch));
		ch->cursor = sqlite3_column_int64(q, 0);
		SQ_COPY(ch->national_id, q, 1);
		ch->kind = restr_kind_parse(SQ_TEXT(q, 2));
		ch->imposed = strcmp(SQ_TEXT(q, 3), "imposed") == 0;
		ch->at = sqlite3_column_int64(q, 4);
		SQ_COPY(ch->basis, q, 5);
		SQ_COPY(ch->rule, q, 6);
		ch->recorded_at = sqlite3_column_int64(q, 7);
		*scanned_to = ch->cursor;
	}
	sqlite3_reset(q);
	return MU_OK;
}

struct ack_job {
	const char *token_id, *kind;
	int64_t cursor, at;
};

static enum mu_err j_feed_ack(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct ack_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w,
		"INSERT INTO feed_acks(token_id, kind, cursor, acked_at) VALUES (?,?,?,?)"
		" ON CONFLICT(token_id) DO UPDATE SET cursor = max(cursor, excluded.cursor),"
		" acked_at = excluded.acked_at");

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->token_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, j->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, j->cursor);
	sqlite3_bind_int64(q, 4, j->at);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	return MU_OK;
}

enum mu_err sqf_feed_ack(struct store *st, const char *token_id, const char *kind,
			 int64_t cursor, int64_t at)
{
	struct ack_job j = {token_id, kind, cursor, at};
	return sq_write((struct sq_store *)st, j_feed_ack, &j, NULL);
}

static void row_lag(sqlite3_stmt *q, struct feed_lag *l)
{
	memset(l, 0, sizeof(*l));
	SQ_COPY(l->token_id, q, 0);
	SQ_COPY(l->kind, q, 1);
	SQ_COPY(l->label, q, 2);
	l->acked = sqlite3_column_int64(q, 3);
	l->acked_at = sqlite3_column_int64(q, 4);
	l->latest = sqlite3_column_int64(q, 5);
	l->behind = sqlite3_column_int64(q, 6);
	l->oldest_unacked_at = sqlite3_column_int64(q, 7);
}

enum mu_err sqf_feed_lags(struct store *st, struct feed_lag **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader(s);
	sqlite3_stmt *q;
	size_t cap = 0;

	if (!c)
		return MU_EIO;
	q = sq_stmt(c,
		"SELECT t.id, t.agency, t.label, coalesce(a.cursor, 0), coalesce(a.acked_at, 0),"
		" (SELECT coalesce(max(cursor), 0) FROM restriction_changes WHERE kind = t.agency),"
		" (SELECT count(*) FROM restriction_changes WHERE kind = t.agency"
		"   AND cursor > coalesce(a.cursor, 0)),"
		" (SELECT coalesce(min(recorded_at), 0) FROM restriction_changes"
		"   WHERE kind = t.agency AND cursor > coalesce(a.cursor, 0))"
		" FROM tokens t LEFT JOIN feed_acks a ON a.token_id = t.id"
		" WHERE t.role = 'agency' AND t.revoked_at = 0 ORDER BY t.agency, t.id");
	if (!q)
		return MU_EIO;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (*n == cap) {
			struct feed_lag *nw;
			cap = cap ? cap * 2 : 16;
			nw = realloc(*out, cap * sizeof(*nw));
			if (!nw) {
				sqlite3_reset(q);
				return MU_ENOMEM;
			}
			*out = nw;
		}
		row_lag(q, &(*out)[(*n)++]);
	}
	sqlite3_reset(q);
	return MU_OK;
}
