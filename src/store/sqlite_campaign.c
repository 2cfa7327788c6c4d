/*
 * sqlite_campaign.c: the SQLite side of call-up campaigns: scanning the
 * register for candidates, keeping drafts and their visible selection, and
 * issuing a whole campaign in one transaction.
 */
#include "store/sqlite_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An open summons: one that no ending event has closed. */
#define OPEN_SUMMONS_FOR(person, purpose) \
	"EXISTS (SELECT 1 FROM summonses s WHERE s.national_id = " person \
	" AND s.purpose = " purpose " AND NOT EXISTS (SELECT 1 FROM summons_events e" \
	" WHERE e.summons_id = s.id AND (e.type IN ('appeared', 'cancelled')" \
	" OR (e.type = 'excused' AND e.new_report_at IS NULL)" \
	" OR (e.type = 'appeal_decided' AND e.outcome = 'upheld'))))"

#define OTHER_CAMPAIGN_FOR(person, self) \
	"EXISTS (SELECT 1 FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id" \
	" WHERE m.national_id = " person " AND c.state IN ('draft', 'issued')" \
	" AND c.id <> " self ")"

static const char SQL_SCAN[] =
	"SELECT " PERSON_COLS ", " OPEN_SUMMONS_FOR("p.national_id", "?1") ", "
	OTHER_CAMPAIGN_FOR("p.national_id", "?4") ","
	" EXISTS (SELECT 1 FROM summonses s2 WHERE s2.national_id = p.national_id)"
	" FROM persons p WHERE p.birth_date >= ?2 AND p.birth_date <= ?3"
	" ORDER BY p.national_id";

enum mu_err sqc_campaign_scan(struct store *st, int purpose, const char *born_from,
			      const char *born_to, const char *exclude_id,
			      campaign_scan_cb cb, void *ctx)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader(s);
	struct campaign_candidate cand;
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, SQL_SCAN)))
		return MU_EIO;
	sqlite3_bind_text(q, 1, purpose_name(purpose), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, born_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, born_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, exclude_id ? exclude_id : "", -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		sq_row_person(q, &cand.p);
		cand.open_summons = sqlite3_column_int(q, 18);
		cand.other_campaign = sqlite3_column_int(q, 19);
		cand.has_summonses = sqlite3_column_int(q, 20);
		if (cb(ctx, &cand))
			break;
	}
	sqlite3_reset(q);
	return MU_OK;
}

/* ---- drafts ------------------------------------------------------------ */

struct put_job {
	const struct campaign *c;
	const struct campaign_member *m;
	size_t n;
	int replace;
	const struct audit_ctx *a;
	struct campaign_member *mm; /* issue: members to update */
	struct store_progress *pr;  /* issue: may be NULL */
	size_t issued;
	const char *reason;
};

static void bind_campaign(sqlite3_stmt *q, const struct campaign *c)
{
	sqlite3_bind_text(q, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, c->legal_basis, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, purpose_name(c->purpose), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, c->report_from);
	sqlite3_bind_int64(q, 6, c->report_to);
	sqlite3_bind_int64(q, 7, c->quota);
	sqlite3_bind_text(q, 8, c->criteria, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9, c->created_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 10, c->created_at);
	sqlite3_bind_text(q, 11, c->selection_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 12, c->selected);
	sqlite3_bind_text(q, 13, c->summary, -1, SQLITE_STATIC);
}

static enum mu_err put_members(struct sq_store *s, const char *id,
			       const struct campaign_member *m, size_t n,
			       struct mu_error *err)
{
	sqlite3_stmt *d = sq_stmt(&s->w, "DELETE FROM campaign_members WHERE campaign_id = ?");
	sqlite3_stmt *q;

	if (!d)
		return MU_EIO;
	sqlite3_bind_text(d, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(d) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	for (size_t i = 0; i < n; i++) {
		q = sq_stmt(&s->w, "INSERT INTO campaign_members(campaign_id, seq, national_id,"
			    " office, report_at) VALUES (?,?,?,?,?)");
		if (!q)
			return MU_EIO;
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_text(q, 3, m[i].national_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, m[i].office, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, m[i].report_at);
		if (sqlite3_step(q) != SQLITE_DONE)
			return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	}
	return MU_OK;
}

static enum mu_err j_campaign_put(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct put_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w, j->replace ?
		"UPDATE campaigns SET selection_hash = ?11, selected = ?12, summary = ?13"
		" WHERE id = ?1 AND state = 'draft'" :
		"INSERT INTO campaigns(id, name, legal_basis, purpose, report_from, report_to,"
		" quota, criteria, state, created_by, created_at, selection_hash, selected,"
		" summary) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,'draft',?9,?10,?11,?12,?13)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_campaign(q, j->c);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	if (j->replace && sqlite3_changes(s->w.db) == 0)
		return mu_fail(err, MU_ECONFLICT, "state", "only a draft can be recomputed");
	if ((rc = put_members(s, j->c->id, j->m, j->n, err)))
		return rc;
	return sq_audit_write(s, j->a, j->replace ? "campaign.recompute" : "campaign.draft",
			      "campaign", j->c->id, "",
			      json_pack("{s:I, s:s}", "selected", (json_int_t)j->c->selected,
					"selection_hash", j->c->selection_hash), NULL);
}

enum mu_err sqc_campaign_put(struct store *st, const struct campaign *c,
			     const struct campaign_member *m, size_t n, int replace,
			     const struct audit_ctx *a, struct mu_error *err)
{
	struct put_job j = {.c = c, .m = m, .n = n, .replace = replace, .a = a};
	return sq_write((struct sq_store *)st, j_campaign_put, &j, err);
}

#define CAMPAIGN_COLS "id, name, legal_basis, purpose, report_from, report_to, quota," \
	" criteria, state, created_by, created_at, approved_by, approved_at," \
	" selection_hash, selected, issued, cancelled_by, cancelled_at, cancel_reason, summary"

static void row_campaign(sqlite3_stmt *q, struct campaign *c)
{
	memset(c, 0, sizeof(*c));
	SQ_COPY(c->id, q, 0);
	SQ_COPY(c->name, q, 1);
	SQ_COPY(c->legal_basis, q, 2);
	c->purpose = purpose_parse(SQ_TEXT(q, 3));
	c->report_from = sqlite3_column_int64(q, 4);
	c->report_to = sqlite3_column_int64(q, 5);
	c->quota = sqlite3_column_int64(q, 6);
	SQ_COPY(c->criteria, q, 7);
	SQ_COPY(c->state, q, 8);
	SQ_COPY(c->created_by, q, 9);
	c->created_at = sqlite3_column_int64(q, 10);
	SQ_COPY(c->approved_by, q, 11);
	c->approved_at = sqlite3_column_int64(q, 12);
	SQ_COPY(c->selection_hash, q, 13);
	c->selected = sqlite3_column_int64(q, 14);
	c->issued = sqlite3_column_int64(q, 15);
	SQ_COPY(c->cancelled_by, q, 16);
	c->cancelled_at = sqlite3_column_int64(q, 17);
	SQ_COPY(c->cancel_reason, q, 18);
	SQ_COPY(c->summary, q, 19);
}

enum mu_err sqc_campaign_get(struct store *st, const char *id, struct campaign *c)
{
	struct sq_conn *conn = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;
	enum mu_err rc = MU_ENOTFOUND;

	if (!conn || !(q = sq_stmt(conn, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = ?")))
		return MU_EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		row_campaign(q, c);
		rc = MU_OK;
	}
	sqlite3_reset(q);
	return rc;
}

enum mu_err sqc_campaign_list(struct store *st, struct campaign **out, size_t *n)
{
	struct sq_conn *conn = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;
	size_t cap = 0;

	if (!conn || !(q = sq_stmt(conn, "SELECT " CAMPAIGN_COLS " FROM campaigns"
				   " ORDER BY created_at DESC, id")))
		return MU_EIO;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (*n == cap) {
			struct campaign *nw;
			cap = cap ? cap * 2 : 8;
			nw = realloc(*out, cap * sizeof(*nw));
			if (!nw) {
				sqlite3_reset(q);
				return MU_ENOMEM;
			}
			*out = nw;
		}
		row_campaign(q, &(*out)[(*n)++]);
	}
	sqlite3_reset(q);
	return MU_OK;
}

enum mu_err sqc_campaign_members(struct store *st, const char *id,
				 struct campaign_member **out, size_t *n)
{
	struct sq_conn *conn = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;
	size_t cap = 0;

	if (!conn || !(q = sq_stmt(conn, "SELECT national_id, office, report_at, summons_id"
				   " FROM campaign_members WHERE campaign_id = ? ORDER BY seq")))
		return MU_EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct campaign_member *m;
		if (*n == cap) {
			struct campaign_member *nw;
			cap = cap ? cap * 2 : 64;
			nw = realloc(*out, cap * sizeof(*nw));
			if (!nw) {
				sqlite3_reset(q);
				return MU_ENOMEM;
			}
			*out = nw;
		}
		m = &(*out)[(*n)++];
		memset(m, 0, sizeof(*m));
		SQ_COPY(m->national_id, q, 0);
		SQ_COPY(m->office, q, 1);
		m->report_at = sqlite3_column_int64(q, 2);
		SQ_COPY(m->summons_id, q, 3);
	}
	sqlite3_reset(q);
	return MU_OK;
}

/* ---- issuing ------------------------------------------------------------- */

static const char SQL_STILL_ELIGIBLE[] =
	"SELECT p.status = 'active' AND NOT " OPEN_SUMMONS_FOR("p.national_id", "?2")
	" FROM persons p WHERE p.national_id = ?1";

static int still_eligible(struct sq_store *s, const struct campaign_member *m,
			  const char *purpose)
{
	sqlite3_stmt *q = sq_stmt(&s->w, SQL_STILL_ELIGIBLE);
	int ok = 0;

	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, m->national_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, purpose, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		ok = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	return ok;
}

static enum mu_err issue_member(struct sq_store *s, const struct campaign *c,
				const struct campaign_member *m, struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w,
		"INSERT INTO summonses(id, national_id, office, purpose, issued_at, report_at,"
		" verification_code, created_by, campaign) VALUES (?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *u, *e;

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, m->summons_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m->national_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, m->office, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, purpose_name(c->purpose), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, c->approved_at);
	sqlite3_bind_int64(q, 6, m->report_at);
	sqlite3_bind_text(q, 7, m->vcode, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, c->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9, c->id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	for (int k = 0; k < 2; k++) {
		e = sq_stmt(&s->w, "INSERT INTO summons_events(summons_id, type, at, recorded_at,"
			    " actor, actor_role) VALUES (?, ?, ?, ?, ?, ?)");
		if (!e)
			return MU_EIO;
		sqlite3_bind_text(e, 1, m->summons_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(e, 2, k ? "published" : "issued", -1, SQLITE_STATIC);
		sqlite3_bind_int64(e, 3, c->approved_at);
		sqlite3_bind_int64(e, 4, c->approved_at);
		sqlite3_bind_text(e, 5, c->approved_by, -1, SQLITE_STATIC);
		sqlite3_bind_text(e, 6, k ? "system" : "commissar", -1, SQLITE_STATIC);
		if (sqlite3_step(e) != SQLITE_DONE)
			return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	}
	u = sq_stmt(&s->w, "UPDATE persons SET pver = pver + 1, next_due ="
		    " CASE WHEN next_due IS NULL OR next_due > ?2 THEN ?2 ELSE next_due END"
		    " WHERE national_id = ?1");
	if (!u)
		return MU_EIO;
	sqlite3_bind_text(u, 1, m->national_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(u, 2, m->next_due);
	if (sqlite3_step(u) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	u = sq_stmt(&s->w, "UPDATE campaign_members SET summons_id = ?3"
		    " WHERE campaign_id = ?1 AND national_id = ?2");
	if (!u)
		return MU_EIO;
	sqlite3_bind_text(u, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 2, m->national_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 3, m->summons_id, -1, SQLITE_STATIC);
	return sqlite3_step(u) == SQLITE_DONE ? MU_OK
					      : sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
}

static enum mu_err j_campaign_issue(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct put_job *j = arg;
	const char *purpose = purpose_name(j->c->purpose);
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE campaigns SET state = 'issued',"
				  " approved_by = ?2, approved_at = ?3, issued = ?4"
				  " WHERE id = ?1 AND state = 'draft'");
	enum mu_err rc = MU_OK;

	j->issued = 0;
	for (size_t i = 0; rc == MU_OK && i < j->n; i++) {
		int ok = still_eligible(s, &j->mm[i], purpose);
		if (ok < 0)
			return MU_EIO;
		j->mm[i].excluded = !ok;
		if (ok) {
			rc = issue_member(s, j->c, &j->mm[i], err);
			j->issued++;
		}
		if (j->pr)
			__atomic_store_n(&j->pr->done, (int64_t)i + 1, __ATOMIC_RELAXED);
	}
	if (rc || !q)
		return rc ? rc : MU_EIO;
	sqlite3_bind_text(q, 1, j->c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, j->c->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, j->c->approved_at);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)j->issued);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	if (sqlite3_changes(s->w.db) == 0)
		return mu_fail(err, MU_ECONFLICT, "state", "campaign %s is not a draft", j->c->id);
	return sq_audit_write(s, j->a, "campaign.approve", "campaign", j->c->id, "",
			      json_pack("{s:I, s:s, s:s, s:s}", "issued", (json_int_t)j->issued,
					"selection_hash", j->c->selection_hash,
					"created_by", j->c->created_by,
					"approved_by", j->c->approved_by), NULL);
}

enum mu_err sqc_campaign_issue(struct store *st, const struct campaign *c,
			       struct campaign_member *m, size_t n,
			       const struct audit_ctx *a, struct store_progress *pr,
				 size_t *issued,
			       struct mu_error *err)
{
	struct put_job j = {.c = c, .mm = m, .n = n, .a = a, .pr = pr};
	enum mu_err rc = sq_write((struct sq_store *)st, j_campaign_issue, &j, err);

	*issued = rc ? 0 : j.issued;
	return rc;
}

static enum mu_err j_campaign_cancel(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct put_job j = *(struct put_job *)arg;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE campaigns SET state = 'cancelled',"
				  " cancelled_by = ?2, cancelled_at = ?3, cancel_reason = ?4"
				  " WHERE id = ?1 AND state IN ('draft', 'issued')");

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j.c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, j.a && j.a->token_id ? j.a->token_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, j.a ? j.a->at : 0);
	sqlite3_bind_text(q, 4, j.reason, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	if (sqlite3_changes(s->w.db) == 0)
		return mu_fail(err, MU_ECONFLICT, "state", "campaign %s is already cancelled",
			       j.c->id);
	return sq_audit_write(s, j.a, "campaign.cancel", "campaign", j.c->id, "",
			      json_pack("{s:s}", "reason", j.reason), NULL);
}

enum mu_err sqc_campaign_cancel(struct store *st, const char *id, const char *reason,
				const struct audit_ctx *a, struct mu_error *err)
{
	struct campaign c;
	struct put_job j = {.c = &c, .a = a, .reason = reason};

	snprintf(c.id, sizeof(c.id), "%s", id);
	return sq_write((struct sq_store *)st, j_campaign_cancel, &j, err);
}

enum mu_err sqc_campaign_summonses(struct store *st, const char *id,
				   struct summons_set **out)
{
	struct sq_conn *conn = sq_reader((struct sq_store *)st);
	struct summons_set *set = calloc(1, sizeof(*set));
	sqlite3_stmt *q;
	enum mu_err rc;

	if (!set)
		return MU_ENOMEM;
	if (!conn || !(q = sq_stmt(conn, "SELECT " SUMMONS_COLS " FROM summonses s JOIN"
				   " offices o ON o.id = s.office WHERE s.campaign = ?"
				   " ORDER BY s.id"))) {
		free(set);
		return MU_EIO;
	}
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if ((rc = sq_load_set(conn, q, set))) {
		summons_set_free(set);
		return rc;
	}
	*out = set;
	return MU_OK;
}
