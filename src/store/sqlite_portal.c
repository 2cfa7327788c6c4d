/*
 * sqlite_portal.c: the SQLite side of delivery channels beyond the post:
 * portal accounts (opened and closed, never deleted: a closed account
 * keeps its row with closed_at), the channel plan stored at issue, the
 * outbox of pushes to an external portal, and the callback nonces seen.
 *
 * Writes run on the writer thread (sq_write), each in one transaction;
 * an account change commits with its audit record. This file decides
 * nothing: which channels a summons gets is app_channels.c's business.
 */
#include "store/sqlite_portal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

static enum mu_err done(struct sq_store *s, sqlite3_stmt *q, struct mu_error *err)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return MU_OK;
	return sq_err(s->w.db, rc, err);
}

struct account_job {
	const char *nid, *provider;
	const struct audit_ctx *a;
};

static enum mu_err j_account_set(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct account_job *j = arg;
	int64_t at = j->a ? j->a->at : 0;
	sqlite3_stmt *q;
	enum mu_err rc;

	if (j->provider)
		q = sq_stmt(&s->w, "INSERT INTO portal_accounts(national_id, provider,"
			    " created_at) VALUES (?1, ?2, ?3) ON CONFLICT(national_id) DO"
			    " UPDATE SET provider = ?2, created_at = ?3, closed_at = 0");
	else
		q = sq_stmt(&s->w, "UPDATE portal_accounts SET closed_at = ?3"
			    " WHERE national_id = ?1 AND closed_at = 0");
	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->nid, -1, SQLITE_STATIC);
	if (j->provider)
		sqlite3_bind_text(q, 2, j->provider, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, at);
	if ((rc = done(s, q, err)))
		return rc;
	if (!j->provider && sqlite3_changes(s->w.db) == 0)
		return mu_fail(err, MU_ENOTFOUND, "id", "%s has no open portal account", j->nid);
	return sq_audit_write(s, j->a, j->provider ? "account.open" : "account.close",
			      "person", j->nid, j->nid,
			      j->provider ? json_pack("{s:s}", "provider", j->provider)
					  : json_object(), NULL);
}

enum mu_err sqp_account_set(struct store *st, const char *nid, const char *provider,
			    const struct audit_ctx *a, struct mu_error *err)
{
	struct account_job j = {nid, provider, a};
	return sq_write((struct sq_store *)st, j_account_set, &j, err);
}

enum mu_err sqp_account_get(struct store *st, const char *nid, char provider[16])
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;
	enum mu_err rc = MU_ENOTFOUND;

	if (!c || !(q = sq_stmt(c, "SELECT provider FROM portal_accounts"
				" WHERE national_id = ? AND closed_at = 0")))
		return MU_EIO;
	sqlite3_bind_text(q, 1, nid, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(provider, 16, "%s", SQ_TEXT(q, 0));
		rc = MU_OK;
	}
	sqlite3_reset(q);
	return rc;
}

struct plan_job {
	const char *sid;
	const struct channel_entry *v;
	size_t n;
	const char *push;
	int64_t at;
};

static enum mu_err put_push(struct sq_store *s, const struct plan_job *j,
			    struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO portal_outbox(summons_id, body,"
				  " next_attempt_at, created_at) VALUES (?, ?, ?, ?)"
				  " ON CONFLICT(summons_id) DO NOTHING");

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->sid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, j->push, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, 0); /* due at once, whatever the clock */
	sqlite3_bind_int64(q, 4, j->at);
	return done(s, q, err);
}

static enum mu_err j_channels_put(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct plan_job *j = arg;
	enum mu_err rc = MU_OK;

	for (size_t i = 0; rc == MU_OK && i < j->n; i++) {
		sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO summons_channels(summons_id,"
					  " channel, state, reference, updated_at)"
					  " VALUES (?, ?, ?, ?, ?)"
					  " ON CONFLICT(summons_id, channel) DO NOTHING");
		if (!q)
			return MU_EIO;
		sqlite3_bind_text(q, 1, j->sid, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, j->v[i].channel, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, j->v[i].state, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, j->v[i].reference, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, j->at);
		rc = done(s, q, err);
	}
	if (rc == MU_OK && j->push)
		rc = put_push(s, j, err);
	return rc;
}

enum mu_err sqp_channels_put(struct store *st, const char *summons_id,
			     const struct channel_entry *v, size_t n,
			     const char *push_body, int64_t at)
{
	struct plan_job j = {summons_id, v, n, push_body, at};
	return sq_write((struct sq_store *)st, j_channels_put, &j, NULL);
}

enum mu_err sqp_channels_get(struct store *st, const char *summons_id,
			     struct channel_entry *out, size_t cap, size_t *n)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, "SELECT channel, state, reference, updated_at"
				" FROM summons_channels WHERE summons_id = ? ORDER BY"
				" CASE channel WHEN 'account' THEN 0 WHEN 'post' THEN 1"
				" ELSE 2 END")))
		return MU_EIO;
	sqlite3_bind_text(q, 1, summons_id, -1, SQLITE_STATIC);
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW) {
		struct channel_entry *e = &out[(*n)++];
		SQ_COPY(e->channel, q, 0);
		SQ_COPY(e->state, q, 1);
		SQ_COPY(e->reference, q, 2);
		e->updated_at = sqlite3_column_int64(q, 3);
	}
	sqlite3_reset(q);
	return MU_OK;
}

struct nonce_job {
	const char *mid, *type;
	int64_t at;
};

static enum mu_err j_nonce_claim(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct nonce_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO portal_nonces(message_id, type,"
				  " seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, j->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, j->at);
	if ((rc = done(s, q, err)))
		return rc;
	return sqlite3_changes(s->w.db) ? MU_OK : MU_ECONFLICT;
}

enum mu_err sqp_nonce_claim(struct store *st, const char *message_id,
			    const char *type, int64_t at)
{
	struct nonce_job j = {message_id, type, at};
	return sq_write((struct sq_store *)st, j_nonce_claim, &j, NULL);
}

enum mu_err sqp_pushes_due(struct store *st, int64_t now, size_t limit,
			   struct portal_push *out, size_t *n)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, "SELECT id, summons_id, body, state, attempts,"
				" next_attempt_at, created_at, sent_at, last_error"
				" FROM portal_outbox WHERE state = 'pending'"
				" AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")))
		return MU_EIO;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)limit);
	while (*n < limit && sqlite3_step(q) == SQLITE_ROW) {
		struct portal_push *x = &out[(*n)++];
		memset(x, 0, sizeof(*x));
		x->id = sqlite3_column_int64(q, 0);
		SQ_COPY(x->summons_id, q, 1);
		SQ_COPY(x->body, q, 2);
		SQ_COPY(x->state, q, 3);
		x->attempts = sqlite3_column_int(q, 4);
		x->next_attempt_at = sqlite3_column_int64(q, 5);
		x->created_at = sqlite3_column_int64(q, 6);
		x->sent_at = sqlite3_column_int64(q, 7);
		SQ_COPY(x->last_error, q, 8);
	}
	sqlite3_reset(q);
	return MU_OK;
}

struct presult_job {
	int64_t id;
	const char *state;
	int attempts;
	int64_t next, sent_at;
	const char *error;
};

static enum mu_err j_push_result(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct presult_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE portal_outbox SET state = ?, attempts = ?,"
				  " next_attempt_at = ?, sent_at = ?, last_error = ? WHERE id = ?");

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->state, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, j->attempts);
	sqlite3_bind_int64(q, 3, j->next);
	sqlite3_bind_int64(q, 4, j->sent_at);
	sqlite3_bind_text(q, 5, j->error ? j->error : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, j->id);
	return done(s, q, err);
}

enum mu_err sqp_push_result(struct store *st, int64_t id, const char *state,
			    int attempts, int64_t next_attempt_at, int64_t sent_at,
			    const char *error)
{
	struct presult_job j = {id, state, attempts, next_attempt_at, sent_at, error};
	return sq_write((struct sq_store *)st, j_push_result, &j, NULL);
}
