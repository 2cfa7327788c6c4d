/*
 * sqlite_campaign.c: the SQLite side of call-up campaigns: scanning the
 * register for candidates, keeping drafts and their visible selection,
 * scanning a selection's members with their records for the re-check, and
 * issuing a whole campaign in one transaction.
 */
#include "store/sqlite_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Due-process records that bar summoning (domain/due.c reads them): a
 * person without any is judged on their own row alone. */
#define HAS_DUE_FOR(person) \
	"(EXISTS (SELECT 1 FROM fitness_decisions f WHERE f.national_id = " person ")" \
	" OR EXISTS (SELECT 1 FROM exemptions x WHERE x.national_id = " person "))"

static const char SQL_SCAN[] =
	"SELECT " PERSON_COLS ", " OPEN_SUMMONS_FOR("p.national_id", "?1") ", "
	OTHER_CAMPAIGN_FOR("p.national_id", "?4") ","
	" EXISTS (SELECT 1 FROM summonses s2 WHERE s2.national_id = p.national_id), "
	HAS_DUE_FOR("p.national_id")
	" FROM persons p WHERE p.birth_date >= ?2 AND p.birth_date <= ?3"
	" ORDER BY p.national_id";

/* Columns after PERSON_COLS: open summons, other campaign, any summons,
 * due records[, seq, portal account]. */
static void row_candidate(sqlite3_stmt *q, struct campaign_candidate *c)
{
	memset(c, 0, sizeof(*c));
	sq_row_person(q, &c->p);
	c->open_summons = sqlite3_column_int(q, 18);
	c->other_campaign = sqlite3_column_int(q, 19);
	c->has_summonses = sqlite3_column_int(q, 20);
	c->has_due = sqlite3_column_int(q, 21);
}

/* Hand every row of q to cb until it says stop; members' rows carry
 * their seq, portal account and storage position after the candidate. */
static enum mu_err scan_rows(sqlite3_stmt *q, int members, campaign_scan_cb cb, void *ctx)
{
	struct campaign_candidate cand;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		row_candidate(q, &cand);
		if (members) {
			cand.seq = sqlite3_column_int64(q, 22);
			cand.has_account = sqlite3_column_int(q, 23);
			cand.row_hint = sqlite3_column_int64(q, 24);
		}
		if (cb(ctx, &cand))
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MU_OK : MU_EIO;
}

enum mu_err sqc_campaign_scan(struct store *st, int purpose, const char *born_from,
			      const char *born_to, const char *exclude_id,
			      campaign_scan_cb cb, void *ctx)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, SQL_SCAN)))
		return MU_EIO;
	sqlite3_bind_text(q, 1, purpose_name(purpose), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, born_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, born_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, exclude_id ? exclude_id : "", -1, SQLITE_STATIC);
	return scan_rows(q, 0, cb, ctx);
}

/* The members joined with their persons: the derived table keeps
 * PERSON_COLS unambiguous (campaign_members has national_id and office).
 * Open summonses are left to the issuing transaction, which re-checks them
 * under the write lock. */
enum mu_err sqc_slots_taken(struct store *st, int64_t from, int64_t to,
			    slot_taken_cb cb, void *ctx)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;
	int rc;

	if (!c || !(q = sq_stmt(c, "SELECT s.office, s.report_at FROM summonses s"
				" WHERE s.report_at BETWEEN ?1 AND ?2 AND NOT EXISTS"
				" (SELECT 1 FROM summons_events e WHERE e.summons_id = s.id"
				" AND (e.type = 'cancelled' OR (e.type = 'appeal_decided'"
				" AND e.outcome = 'upheld')))")))
		return MU_EIO;
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, to);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		cb(ctx, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1));
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? MU_OK : MU_EIO;
}

static const char SQL_MEMBER_SCAN[] =
	"SELECT " PERSON_COLS ", 0, 0, 0, "
	HAS_DUE_FOR("national_id") ", seq, EXISTS (SELECT 1 FROM portal_accounts a"
	" WHERE a.national_id = mp.national_id AND a.closed_at = 0), prow"
	" FROM (SELECT m.seq AS seq, p.rowid AS prow, p.* FROM campaign_members m"
	" JOIN persons p ON p.national_id = m.national_id WHERE m.campaign_id = ?1) mp"
	" ORDER BY seq";

enum mu_err sqc_campaign_member_scan(struct store *st, const char *id,
				     campaign_scan_cb cb, void *ctx)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;

	if (!c || !(q = sq_stmt(c, SQL_MEMBER_SCAN)))
		return MU_EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	return scan_rows(q, 1, cb, ctx);
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

/* A statement of multi-row VALUES: head, then rows of row, then tail. Each
 * '#' of a row is the next numbered parameter (per_row of them a row, from
 * ?1); ?1001..?1004 are what every row shares (purpose, instant, approver,
 * campaign), numbered beyond the rows' (named ones would take numbers the
 * rows use). */
struct rows_sql {
	const char *head, *row;
	int per_row;
	const char *tail;
};

#define P_PURPOSE 1001
#define P_AT 1002
#define P_BY 1003
#define P_CAMPAIGN 1004
#define ROWS_BATCH 64   /* rows a statement (SQLite allows 32766 parameters) */

static char *rows_text(const struct rows_sql *q, int rows)
{
	size_t cap = strlen(q->head) + strlen(q->tail) +
		     (size_t)rows * (strlen(q->row) + 40) + 1;
	char *sql = malloc(cap);
	size_t len;
	int p = 1;

	if (!sql)
		return NULL;
	len = (size_t)snprintf(sql, cap, "%s", q->head);
	for (int i = 0; i < rows; i++) {
		if (i)
			sql[len++] = ',';
		for (const char *r = q->row; *r; r++)
			if (*r == '#')
				len += (size_t)snprintf(sql + len, cap - len, "?%d", p++);
			else
				sql[len++] = *r;
	}
	snprintf(sql + len, cap - len, "%s", q->tail);
	return sql;
}

/* Prepare q for ROWS_BATCH rows ([0]) and for one ([1]); both or neither. */
static int rows_prepare(sqlite3 *db, const struct rows_sql *q, sqlite3_stmt *out[2])
{
	int rc = SQLITE_OK;

	out[0] = out[1] = NULL;
	for (int one = 0; one < 2 && rc == SQLITE_OK; one++) {
		char *sql = rows_text(q, one ? 1 : ROWS_BATCH);
		rc = sql ? sqlite3_prepare_v2(db, sql, -1, &out[one], NULL) : SQLITE_NOMEM;
		free(sql);
	}
	if (rc != SQLITE_OK) {
		sqlite3_finalize(out[0]);
		sqlite3_finalize(out[1]);
		out[0] = out[1] = NULL;
	}
	return rc;
}

static const struct rows_sql put_sql = {
	"INSERT INTO campaign_members(campaign_id, seq, national_id, office, report_at)"
	" VALUES ", "(?1004,#,#,#,#)", 4, ""};

/* The selection, ROWS_BATCH members a statement. */
static enum mu_err put_members(struct sq_store *s, const char *id,
			       const struct campaign_member *m, size_t n,
			       struct mu_error *err)
{
	sqlite3_stmt *d = sq_stmt(&s->w, "DELETE FROM campaign_members WHERE campaign_id = ?");
	sqlite3_stmt *q[2];
	int rc;

	if (!d)
		return MU_EIO;
	sqlite3_bind_text(d, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(d) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	if ((rc = rows_prepare(s->w.db, &put_sql, q)) != SQLITE_OK)
		return sq_err(s->w.db, rc, err);
	sqlite3_bind_text(q[0], P_CAMPAIGN, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q[1], P_CAMPAIGN, id, -1, SQLITE_STATIC);
	rc = SQLITE_DONE;
	for (size_t i = 0; rc == SQLITE_DONE && i < n;) {
		size_t k = n - i >= ROWS_BATCH ? ROWS_BATCH : 1;
		sqlite3_stmt *st = q[k == 1];
		for (size_t r = 0; r < k; r++, i++) {
			sqlite3_bind_int64(st, 4 * (int)r + 1, (sqlite3_int64)i + 1);
			sqlite3_bind_text(st, 4 * (int)r + 2, m[i].national_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4 * (int)r + 3, m[i].office, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4 * (int)r + 4, m[i].report_at);
		}
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(q[0]);
	sqlite3_finalize(q[1]);
	return rc == SQLITE_DONE ? MU_OK : sq_err(s->w.db, rc, err);
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

enum mu_err sqc_campaign_members(struct store *st, const char *id, int64_t offset,
				 size_t limit, struct campaign_member **out, size_t *n,
				 int64_t *total)
{
	struct sq_conn *conn = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q;
	size_t cap = 0;
	enum mu_err rc = MU_OK;

	/* one read transaction: the page and the total agree */
	if (!conn || sqlite3_exec(conn->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return MU_EIO;
	/* seq runs 1..n without gaps (put_members): the total is the last, and
	 * a page starts at seq offset + 1, both found in the primary key */
	if (!(q = sq_stmt(conn, "SELECT max(seq) FROM campaign_members WHERE campaign_id = ?"))) {
		rc = MU_EIO;
		goto out;
	}
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		*total = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	/* a member's summons: the campaign's one for the person, if issued
	 * (a draft has none: no lookups while an approval loads a million) */
	if (!(q = sq_stmt(conn, "SELECT m.national_id, m.office, m.report_at,"
			  " CASE WHEN (SELECT state FROM campaigns WHERE id = ?1) = 'draft'"
			  " THEN '' ELSE coalesce((SELECT s.id FROM summonses s WHERE"
			  " s.national_id = m.national_id AND s.campaign = m.campaign_id), '')"
			  " END, m.seq"
			  " FROM campaign_members m WHERE m.campaign_id = ?1 AND m.seq > ?2"
			  " ORDER BY m.seq LIMIT ?3"))) {
		rc = MU_EIO;
		goto out;
	}
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, offset);
	sqlite3_bind_int64(q, 3, limit ? (sqlite3_int64)limit : -1);
	while (rc == MU_OK && sqlite3_step(q) == SQLITE_ROW) {
		struct campaign_member *m;
		if (*n == cap) {
			struct campaign_member *nw;
			cap = cap ? cap * 2 : 64;
			nw = realloc(*out, cap * sizeof(*nw));
			if (!nw) {
				rc = MU_ENOMEM;
				break;
			}
			*out = nw;
		}
		m = &(*out)[(*n)++];
		memset(m, 0, sizeof(*m));
		SQ_COPY(m->national_id, q, 0);
		SQ_COPY(m->office, q, 1);
		m->report_at = sqlite3_column_int64(q, 2);
		SQ_COPY(m->summons_id, q, 3);
		m->seq = sqlite3_column_int64(q, 4);
	}
	sqlite3_reset(q);
out:
	sqlite3_exec(conn->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* ---- issuing ------------------------------------------------------------- */

/*
 * A campaign is issued in one transaction, all or none. For a million
 * members the cost is in the B-trees, so the transaction is shaped for
 * them: one phase a table (re-check, summonses, events, persons) rather
 * than member by member, which kept every table's pages
 * fighting for the cache; members in selection (national_id) order with
 * ascending summons ids (app_campaign.c), so each index grows at its end;
 * and ISSUE_BATCH rows a statement (multi-row VALUES), the rest one by one.
 */
#define ISSUE_BATCH ROWS_BATCH

enum { IS_CHECK, IS_SUMMONS, IS_EVENTS, IS_PERSONS, IS__COUNT };

static const struct rows_sql issue_sql[IS__COUNT] = {
	[IS_CHECK] = {"SELECT v.column1 FROM (VALUES ", "(#)", 1,
		") AS v WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.national_id ="
		" v.column1 AND p.status = 'active') OR "
		OPEN_SUMMONS_FOR("v.column1", "?1001")},
	[IS_SUMMONS] = {"INSERT INTO summonses(id, national_id, office, purpose, issued_at,"
		" report_at, verification_code, created_by, campaign) VALUES ",
		"(#,#,#,?1001,?1002,#,#,?1003,?1004)", 5, ""},
	[IS_EVENTS] = {"INSERT INTO summons_events(summons_id, type, at, recorded_at, actor,"
		" actor_role, audit_idx) VALUES ", "(#,'issued',?1002,?1002,?1003,'commissar',#),"
		"(#,'published',?1002,?1002,?1003,'system',#)", 4, ""},
	[IS_PERSONS] = {"UPDATE persons SET pver = pver + 1, next_due = CASE WHEN next_due"
		" IS NULL OR next_due > v.column2 THEN v.column2 ELSE next_due END FROM (VALUES ",
		"(#,#)", 2, ") AS v WHERE persons.national_id = v.column1"},
};

struct issuer {
	struct sq_store *s;
	const struct campaign *c;
	const struct audit_ctx *a;
	sqlite3_stmt *q[IS__COUNT][2];     /* [k][0]: ISSUE_BATCH rows, [k][1]: one */
	struct store_progress *pr;
};

static void bind_shared(sqlite3_stmt *q, const struct campaign *c)
{
	int n = sqlite3_bind_parameter_count(q);

	if (n >= P_PURPOSE)
		sqlite3_bind_text(q, P_PURPOSE, purpose_name(c->purpose), -1, SQLITE_STATIC);
	if (n >= P_AT)
		sqlite3_bind_int64(q, P_AT, c->approved_at);
	if (n >= P_BY)
		sqlite3_bind_text(q, P_BY, c->approved_by, -1, SQLITE_STATIC);
	if (n >= P_CAMPAIGN)
		sqlite3_bind_text(q, P_CAMPAIGN, c->id, -1, SQLITE_STATIC);
}

static void issuer_close(struct issuer *is)
{
	for (int k = 0; k < IS__COUNT; k++) {
		sqlite3_finalize(is->q[k][0]);
		sqlite3_finalize(is->q[k][1]);
	}
}

/* Prepare every statement, with what all rows share bound. */
static enum mu_err issuer_open(struct issuer *is, struct mu_error *err)
{
	for (int k = 0; k < IS__COUNT; k++) {
		int rc = rows_prepare(is->s->w.db, &issue_sql[k], is->q[k]);
		if (rc != SQLITE_OK)
			return sq_err(is->s->w.db, rc, err);
		bind_shared(is->q[k][0], is->c);
		bind_shared(is->q[k][1], is->c);
	}
	return MU_OK;
}

static void advance(struct issuer *is, size_t k)
{
	if (is->pr)
		__atomic_add_fetch(&is->pr->done, (int64_t)k, __ATOMIC_RELAXED);
}

/* Mark the members v[0..k) who are removed or hold an open summons for
 * the purpose now, under the write lock. */
static enum mu_err check_rows(struct issuer *is, struct campaign_member **v, size_t k,
			      struct mu_error *err)
{
	sqlite3_stmt *q = is->q[IS_CHECK][k == 1];
	int rc;

	for (size_t i = 0; i < k; i++)
		sqlite3_bind_text(q, (int)i + 1, v[i]->national_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *nid = (const char *)sqlite3_column_text(q, 0);
		for (size_t i = 0; nid && i < k; i++)
			if (!strcmp(v[i]->national_id, nid))
				v[i]->excluded = 1;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? MU_OK : sq_err(is->s->w.db, rc, err);
}

/* Bind phase ph's row i of q for member m. */
static void bind_row(sqlite3_stmt *q, int ph, int i, const struct campaign_member *m)
{
	switch (ph) {
	case IS_SUMMONS:
		sqlite3_bind_text(q, 5 * i + 1, m->summons_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5 * i + 2, m->national_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5 * i + 3, m->office, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5 * i + 4, m->report_at);
		sqlite3_bind_text(q, 5 * i + 5, m->vcode, -1, SQLITE_STATIC);
		break;
	case IS_EVENTS:
		sqlite3_bind_text(q, 4 * i + 1, m->summons_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4 * i + 2, m->audit_idx);
		sqlite3_bind_text(q, 4 * i + 3, m->summons_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4 * i + 4, m->audit_idx);
		break;
	case IS_PERSONS:
		sqlite3_bind_text(q, 2 * i + 1, m->national_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2 * i + 2, m->next_due);
		break;
	}
}

/* Every summons of a campaign has its own summons.issue entry in the
 * log, like one issued alone: it is in the person's access log, and its
 * events' receipts prove it. The entries of v[0..k) are appended in one
 * chunk and their indexes noted for the events. */
static enum mu_err log_issue(struct issuer *is, struct campaign_member **v, size_t k,
			     struct mu_error *err)
{
	struct audit_entry e[ISSUE_BATCH];
	enum mu_err rc;

	for (size_t i = 0; i < k; i++) {
		audit_entry_from_ctx(&e[i], is->a, "summons.issue", "summons", v[i]->summons_id,
				     v[i]->national_id);
		snprintf(e[i].detail, sizeof(e[i].detail), "{\"campaign\":\"%s\",\"office\":"
			 "\"%s\",\"purpose\":\"%s\",\"report_at\":%lld}", is->c->id,
			 v[i]->office, purpose_name(is->c->purpose), (long long)v[i]->report_at);
	}
	if ((rc = sq_audit_put_many(is->s, e, k)))
		return mu_fail(err, rc, NULL, "cannot append to the audit log");
	for (size_t i = 0; i < k; i++)
		v[i]->audit_idx = e[i].idx;
	return MU_OK;
}

/* Phase ph's writes for the members v[0..k), k being ISSUE_BATCH or 1. */
static enum mu_err write_rows(struct issuer *is, int ph, struct campaign_member **v,
			      size_t k, struct mu_error *err)
{
	sqlite3_stmt *q = is->q[ph][k == 1];
	int rc;

	if (ph == IS_EVENTS && (rc = log_issue(is, v, k, err)))
		return rc;
	for (size_t i = 0; i < k; i++)
		bind_row(q, ph, (int)i, v[i]);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? MU_OK : sq_err(is->s->w.db, rc, err);
}

/* Tests: MUSTER_STORE_FAIL=campaign_issue_midway fails the issuing half
 * way through its last phase, when the reads answered meanwhile have been
 * adopted into the transaction that then rolls back. */
static int fail_midway(int ph, size_t i, size_t n)
{
	return ph == IS__COUNT - 1 && i >= n / 2 && store_fault("campaign_issue_midway");
}

/* Tests: MUSTER_STORE_FAIL=campaign_issue_hold holds the issuing after
 * its last batch (before the campaign's own row, its audit record and the
 * commit) while the file <register>-hold exists (at most two minutes);
 * <register>-held says it is holding. */
static void hold_before_commit(const struct sq_store *s)
{
	char path[4096];
	FILE *f;

	if (!store_fault("campaign_issue_hold"))
		return;
	snprintf(path, sizeof(path), "%s-held", s->path);
	if ((f = fopen(path, "w")))
		fclose(f);
	snprintf(path, sizeof(path), "%s-hold", s->path);
	for (int i = 0; i < 12000 && access(path, F_OK) == 0; i++)
		usleep(10000);
}

/* Run one phase over v[0..n): full batches, then the rest one by one. */
static enum mu_err phase(struct issuer *is, int ph, struct campaign_member **v, size_t n,
			 struct mu_error *err)
{
	enum mu_err rc = MU_OK;

	for (size_t i = 0; rc == MU_OK && i < n;) {
		if (fail_midway(ph, i, n))
			return mu_fail(err, MU_EIO, NULL, "injected failure (MUSTER_STORE_FAIL)");
		size_t k = n - i >= ISSUE_BATCH ? ISSUE_BATCH : 1;
		rc = ph == IS_CHECK ? check_rows(is, v + i, k, err)
				    : write_rows(is, ph, v + i, k, err);
		/* the reads answered meanwhile commit with the campaign: checks
		 * do not wait for it behind a full audit queue */
		if (rc == MU_OK)
			rc = sq_audit_adopt(is->s);
		i += k;
		advance(is, k);
	}
	return rc;
}

static int by_row_hint(const void *x, const void *y)
{
	const struct campaign_member *a = *(const struct campaign_member *const *)x;
	const struct campaign_member *b = *(const struct campaign_member *const *)y;

	return a->row_hint < b->row_hint ? -1 : a->row_hint > b->row_hint;
}

/* A campaign's transaction dirties about ISSUE_CACHE_KIB of pages per
 * member (summonses, events, persons and their indexes). Past the
 * writer's cache SQLite spills dirty pages to the WAL mid-transaction and
 * writes them again each time they change: 20% of a million-member
 * approval. The cache is raised for the transaction (up to a limit) and
 * set back after its writes; what was dirty stays until COMMIT writes it.
 * The limit is 512 MB, not more: no read audit can commit while COMMIT
 * writes those pages out, and with 4 GB the checks were refused (503) for
 * seconds at the end of a million-member approval. */
#define ISSUE_CACHE_KIB 3
#define ISSUE_CACHE_MAX_KIB (512 << 10)

static int64_t cache_kib(sqlite3 *db)
{
	sqlite3_stmt *q;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &q, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* Set the writer's cache to kib KiB (negative pragma values are KiB). */
static void cache_set(sqlite3 *db, int64_t kib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%lld", (long long)kib);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Re-check every member, then write the eligible ones a table at a time;
 * persons last and in the order the store keeps them: in national_id
 * order a million updates dirtied every page of the table again and again,
 * and each time it went out to the WAL. */
static enum mu_err issue_all(struct put_job *j, struct sq_store *s, struct mu_error *err)
{
	struct issuer is = {.s = s, .c = j->c, .a = j->a, .pr = j->pr};
	struct campaign_member **v = malloc((j->n ? j->n : 1) * sizeof(*v));
	enum mu_err rc = v ? issuer_open(&is, err) : MU_ENOMEM;
	int64_t was = cache_kib(s->w.db), want = (int64_t)j->n * ISSUE_CACHE_KIB;
	size_t n = 0;

	/* a positive setting counts pages: leave it alone */
	if (was < 0 && want > -was)
		cache_set(s->w.db, want < ISSUE_CACHE_MAX_KIB ? want : ISSUE_CACHE_MAX_KIB);

	if (j->pr)
		__atomic_store_n(&j->pr->total, (int64_t)j->n * IS__COUNT, __ATOMIC_RELAXED);
	for (size_t i = 0; i < j->n; i++)
		v[i] = &j->mm[i];
	if (rc == MU_OK)
		rc = phase(&is, IS_CHECK, v, j->n, err);
	for (size_t i = 0; rc == MU_OK && i < j->n; i++)
		if (!j->mm[i].excluded)
			v[n++] = &j->mm[i];
	advance(&is, (j->n - n) * (IS__COUNT - 1)); /* the excluded need no writes */
	for (int ph = IS_SUMMONS; rc == MU_OK && ph < IS__COUNT; ph++) {
		if (ph == IS_PERSONS)
			qsort(v, n, sizeof(*v), by_row_hint);
		rc = phase(&is, ph, v, n, err);
	}
	j->issued = n;
	if (rc == MU_OK)
		hold_before_commit(s);
	if (was < 0 && want > -was)
		cache_set(s->w.db, -was);
	issuer_close(&is);
	free(v);
	return rc;
}

/* The campaign leaves the draft state first: a second approval racing this
 * one fails at once instead of after all the work. */
static enum mu_err j_campaign_issue(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct put_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE campaigns SET state = 'issued',"
				  " approved_by = ?2, approved_at = ?3"
				  " WHERE id = ?1 AND state = 'draft'");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, j->c->approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, j->c->approved_at);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	if (sqlite3_changes(s->w.db) == 0)
		return mu_fail(err, MU_ECONFLICT, "state", "campaign %s is not a draft", j->c->id);
	j->issued = 0;
	if ((rc = issue_all(j, s, err)))
		return rc;
	q = sq_stmt(&s->w, "UPDATE campaigns SET issued = ?2 WHERE id = ?1");
	if (!q)
		return MU_EIO;
	sqlite3_bind_text(q, 1, j->c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)j->issued);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	return sq_audit_write(s, j->a, "campaign.approve", "campaign", j->c->id, "",
			      json_pack("{s:I, s:s, s:s, s:s}", "issued", (json_int_t)j->issued,
					"selection_hash", j->c->selection_hash,
					"created_by", j->c->created_by,
					"approved_by", j->c->approved_by), NULL);
}

enum mu_err sqc_campaign_issue(struct store *st, const struct campaign *c,
			       struct campaign_member *m, size_t n,
			       const struct audit_ctx *a, struct store_progress *pr,
			       size_t *issued, struct mu_error *err)
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

enum mu_err sqc_campaign_summonses(struct store *st, const char *id, int64_t *after,
				   size_t limit, struct summons_set **out)
{
	struct sq_conn *conn = sq_reader((struct sq_store *)st);
	struct summons_set *set = calloc(1, sizeof(*set));
	sqlite3_stmt *q;
	int64_t last = *after;
	enum mu_err rc = MU_OK;

	if (!set)
		return MU_ENOMEM;
	/* one read transaction: the page's bound and its rows agree */
	if (!conn || sqlite3_exec(conn->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		free(set);
		return MU_EIO;
	}
	/* by rowid: the campaign index (campaign, rowid) gives the order */
	/* "campaign <> ''" lets SQLite use the partial index summonses_campaign */
	q = sq_stmt(conn, "SELECT max(rowid) FROM (SELECT rowid FROM summonses"
		    " WHERE campaign = ?1 AND campaign <> '' AND rowid > ?2"
		    " ORDER BY rowid LIMIT ?3)");
	if (!q) {
		rc = MU_EIO;
	} else {
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, *after);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)limit);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
			last = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	if (rc == MU_OK && last > *after) {
		q = sq_stmt(conn, "SELECT " SUMMONS_COLS " FROM summonses s JOIN"
			    " offices o ON o.id = s.office WHERE s.campaign = ?1"
			    " AND s.campaign <> '' AND s.rowid > ?2 AND s.rowid <= ?3"
			    " ORDER BY s.rowid");
		if (!q) {
			rc = MU_EIO;
		} else {
			sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, *after);
			sqlite3_bind_int64(q, 3, last);
			rc = sq_load_set(conn, q, set);
		}
	}
	sqlite3_exec(conn->db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		summons_set_free(set);
		return rc;
	}
	*after = last;
	*out = set;
	return MU_OK;
}

enum mu_err sqc_campaign_summons_ids(struct store *st, const char *id,
				     struct summons_id **out, size_t *n)
{
	struct sq_conn *conn = sq_reader((struct sq_store *)st);
	struct summons_id *v = NULL;
	size_t cap = 0;
	sqlite3_stmt *q;
	int rc;

	/* "campaign <> ''" lets SQLite use the partial index summonses_campaign */
	if (!conn || !(q = sq_stmt(conn, "SELECT id FROM summonses WHERE campaign = ?"
				   " AND campaign <> '' ORDER BY id")))
		return MU_EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			struct summons_id *nv;
			cap = cap ? cap * 2 : 1024;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		SQ_COPY(v[*n].id, q, 0);
		(*n)++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return rc == SQLITE_NOMEM ? MU_ENOMEM : MU_EIO;
	}
	*out = v;
	return MU_OK;
}
