/*
 * sqlite_due.c: the SQLite methods of due process (store.h, "due
 * process"; schema in migrations/005_due_process.sql).
 *
 * Reads run on the calling thread's read-only connection; a person's six
 * lists are read in one read transaction. Writes are jobs on the writer
 * thread, each one transaction with its audit record (sq_audit_write) and,
 * where a decision changes the person's record, with that change written
 * through the normal person update (history and its own audit record).
 * Decisions are guarded in SQL (WHERE state = 'pending') and by the
 * migration's triggers, so a claim is decided once however requests race.
 * Rows map to the structs of domain/due.h here and nowhere else. This file
 * decides nothing about the law.
 */
#include "store/sqlite_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUE_PERSON_LIST_MAX 10000 /* records of one kind per person */

#define READER(s, c)                                                    \
	struct sq_conn *c = sq_reader(s);                               \
	if (!c)                                                         \
		return MU_EIO

/* ---- binding and reading columns ---- */

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
	sqlite3_bind_text(q, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

static void bind_time(sqlite3_stmt *q, int i, int64_t t)
{
	if (t == MU_T_NONE)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_int64(q, i, t);
}

static int64_t col_time(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? MU_T_NONE
							: sqlite3_column_int64(q, i);
}

/* Three columns token, role, at into a stamp. */
static void col_stamp(sqlite3_stmt *q, int i, struct due_stamp *d)
{
	SQ_COPY(d->token, q, i);
	SQ_COPY(d->role, q, i + 1);
	d->at = col_time(q, i + 2);
}

static void bind_stamp(sqlite3_stmt *q, int i, const struct due_stamp *d)
{
	bind_text(q, i, d->token);
	bind_text(q, i + 1, d->role);
	bind_time(q, i + 2, d->at);
}

static enum mu_err step(struct sq_store *s, sqlite3_stmt *q, struct mu_error *err)
{
	int rc;

	if (!q)
		return mu_fail(err, MU_EIO, NULL, "storage error: cannot prepare");
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return MU_OK;
	return sq_err(s->w.db, rc, err);
}

/* Run an UPDATE guarded by its WHERE; MU_ECONFLICT with what when it
 * changed nothing (already decided, or not in the state the step needs). */
static enum mu_err step_guarded(struct sq_store *s, sqlite3_stmt *q,
				const char *what, const char *id,
				struct mu_error *err)
{
	enum mu_err rc = step(s, q, err);

	if (rc == MU_OK && sqlite3_changes(s->w.db) == 0)
		return mu_fail(err, MU_ECONFLICT, "id", "%s %s was already decided "
			       "or is not in a state that allows this", what, id);
	return rc;
}

/* ---- rows ---- */

#define FITNESS_COLS "f.id, f.national_id, f.category, f.decided_on, f.reference," \
	" f.reexamine_on, f.reexamine_at, f.previous, f.author, f.author_role," \
	" f.recorded_at, (SELECT min(a.decided_at) FROM appeals a WHERE" \
	" a.subject_type = 'fitness' AND a.subject_id = f.id AND a.state = 'upheld')," \
	" (SELECT a.id FROM appeals a WHERE a.subject_type = 'fitness' AND" \
	" a.subject_id = f.id AND a.state = 'upheld' ORDER BY a.decided_at LIMIT 1)"

static void row_fitness(sqlite3_stmt *q, void *out)
{
	struct fitness_rec *f = out;

	memset(f, 0, sizeof(*f));
	SQ_COPY(f->id, q, 0);
	SQ_COPY(f->national_id, q, 1);
	f->category = SQ_TEXT(q, 2)[0];
	SQ_COPY(f->decided_on, q, 3);
	SQ_COPY(f->reference, q, 4);
	SQ_COPY(f->reexamine_on, q, 5);
	f->reexamine_at = col_time(q, 6);
	f->previous = SQ_TEXT(q, 7)[0];
	col_stamp(q, 8, &f->recorded);
	f->set_aside_at = col_time(q, 11);
	SQ_COPY(f->set_aside_by, q, 12);
}

#define EXEMPTION_COLS "id, national_id, kind, reason, document, valid_until," \
	" granted_by, granted_role, granted_at, revoked_by, revoked_role," \
	" revoked_at, revoke_reason"

static void row_exemption(sqlite3_stmt *q, void *out)
{
	struct exemption_rec *e = out;

	memset(e, 0, sizeof(*e));
	SQ_COPY(e->id, q, 0);
	SQ_COPY(e->national_id, q, 1);
	e->kind = exemption_kind_parse(SQ_TEXT(q, 2)) == EK_EXEMPTION ? EK_EXEMPTION
								   : EK_DEFERMENT;
	SQ_COPY(e->reason, q, 3);
	SQ_COPY(e->document, q, 4);
	e->valid_until = col_time(q, 5);
	col_stamp(q, 6, &e->granted);
	col_stamp(q, 9, &e->revoked);
	SQ_COPY(e->revoke_reason, q, 12);
}

#define OVERRIDE_COLS "id, national_id, purpose, reason, bases, state," \
	" requested_by, requested_role, requested_at, decided_by, decided_role," \
	" decided_at, used_by, used_role, used_at, decision_note, summons_id"

static enum due_state state_of(sqlite3_stmt *q, int i)
{
	int st = due_state_parse(SQ_TEXT(q, i));
	return st < 0 ? DS_PENDING : (enum due_state)st;
}

static void row_override(sqlite3_stmt *q, void *out)
{
	struct override_rec *o = out;

	memset(o, 0, sizeof(*o));
	SQ_COPY(o->id, q, 0);
	SQ_COPY(o->national_id, q, 1);
	o->purpose = purpose_parse(SQ_TEXT(q, 2));
	SQ_COPY(o->reason, q, 3);
	SQ_COPY(o->bases, q, 4);
	o->state = state_of(q, 5);
	col_stamp(q, 6, &o->requested);
	col_stamp(q, 9, &o->decided);
	col_stamp(q, 12, &o->used);
	SQ_COPY(o->decision_note, q, 15);
	SQ_COPY(o->summons_id, q, 16);
}

#define EXCUSE_COLS "id, summons_id, national_id, reason, document, note, state," \
	" filed_by, filed_role, filed_at, decided_by, decided_role, decided_at," \
	" decision_reason, new_report_at, event_seq"

static void row_excuse(sqlite3_stmt *q, void *out)
{
	struct excuse_rec *e = out;

	memset(e, 0, sizeof(*e));
	SQ_COPY(e->id, q, 0);
	SQ_COPY(e->summons_id, q, 1);
	SQ_COPY(e->national_id, q, 2);
	SQ_COPY(e->reason, q, 3);
	SQ_COPY(e->document, q, 4);
	SQ_COPY(e->note, q, 5);
	e->state = state_of(q, 6);
	col_stamp(q, 7, &e->filed);
	col_stamp(q, 10, &e->decided);
	SQ_COPY(e->decision_reason, q, 13);
	e->new_report_at = col_time(q, 14);
	e->event_seq = sqlite3_column_int64(q, 15);
}

#define APPEAL_COLS "id, national_id, subject_type, subject_id, grounds, state," \
	" filed_by, filed_role, filed_at, decided_by, decided_role, decided_at," \
	" reference"

static void row_appeal(sqlite3_stmt *q, void *out)
{
	struct appeal_rec *r = out;

	memset(r, 0, sizeof(*r));
	SQ_COPY(r->id, q, 0);
	SQ_COPY(r->national_id, q, 1);
	r->subject = appeal_subject_parse(SQ_TEXT(q, 2)) == AS_FITNESS ? AS_FITNESS
									: AS_SUMMONS;
	SQ_COPY(r->subject_id, q, 3);
	SQ_COPY(r->grounds, q, 4);
	r->state = state_of(q, 5);
	col_stamp(q, 6, &r->filed);
	col_stamp(q, 9, &r->decided);
	SQ_COPY(r->reference, q, 12);
}

#define CORRECTION_COLS "id, national_id, field, current_value, proposed_value," \
	" evidence, state, filed_by, filed_role, filed_at, decided_by," \
	" decided_role, decided_at, deadline, decision_reason"

static void row_correction(sqlite3_stmt *q, void *out)
{
	struct correction_rec *c = out;

	memset(c, 0, sizeof(*c));
	SQ_COPY(c->id, q, 0);
	SQ_COPY(c->national_id, q, 1);
	SQ_COPY(c->field, q, 2);
	SQ_COPY(c->current_value, q, 3);
	SQ_COPY(c->proposed_value, q, 4);
	SQ_COPY(c->evidence, q, 5);
	c->state = state_of(q, 6);
	col_stamp(q, 7, &c->filed);
	col_stamp(q, 10, &c->decided);
	c->deadline = col_time(q, 13);
	SQ_COPY(c->decision_reason, q, 14);
}

/* Step q (bound by the caller) into a new array of elem-sized records,
 * at most cap; *out is NULL when there are none. Resets q. */
static enum mu_err load_list(sqlite3_stmt *q, size_t elem,
			     void (*row)(sqlite3_stmt *, void *), size_t cap,
			     void **out, size_t *n)
{
	size_t have = 0;
	char *v = NULL;

	*out = NULL;
	*n = 0;
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW) {
		if (*n == have) {
			char *nv;
			have = have ? have * 2 : 4;
			nv = realloc(v, have * elem);
			if (!nv) {
				sqlite3_reset(q);
				free(v);
				*n = 0;
				return MU_ENOMEM;
			}
			v = nv;
		}
		row(q, v + (*n)++ * elem);
	}
	sqlite3_reset(q);
	*out = v;
	return MU_OK;
}

/* One of the person's lists: sql takes the national id as ?1. */
static enum mu_err person_list(struct sq_conn *c, const char *sql,
			       const char *nid, size_t elem,
			       void (*row)(sqlite3_stmt *, void *), void **out,
			       size_t *n)
{
	sqlite3_stmt *q = sq_stmt(c, sql);

	*out = NULL;
	*n = 0;
	if (!q)
		return MU_EIO;
	bind_text(q, 1, nid);
	return load_list(q, elem, row, DUE_PERSON_LIST_MAX, out, n);
}

static const char SQL_FITNESS_OF[] = "SELECT " FITNESS_COLS " FROM"
	" fitness_decisions f WHERE f.national_id = ?1 ORDER BY f.recorded_at, f.rowid";
static const char SQL_EXEMPTIONS_OF[] = "SELECT " EXEMPTION_COLS " FROM exemptions"
	" WHERE national_id = ?1 ORDER BY granted_at, rowid";
static const char SQL_OVERRIDES_OF[] = "SELECT " OVERRIDE_COLS " FROM overrides"
	" WHERE national_id = ?1 ORDER BY requested_at, rowid";
static const char SQL_EXCUSES_OF[] = "SELECT " EXCUSE_COLS " FROM excuses"
	" WHERE national_id = ?1 ORDER BY filed_at, rowid";
static const char SQL_APPEALS_OF[] = "SELECT " APPEAL_COLS " FROM appeals"
	" WHERE national_id = ?1 ORDER BY filed_at, rowid";
static const char SQL_CORRECTIONS_OF[] = "SELECT " CORRECTION_COLS " FROM corrections"
	" WHERE national_id = ?1 ORDER BY filed_at, rowid";

static enum mu_err load_due(struct sq_conn *c, const char *nid, struct due_set *d)
{
	enum mu_err rc;

	rc = person_list(c, SQL_FITNESS_OF, nid, sizeof(*d->fitness), row_fitness,
			 (void **)&d->fitness, &d->n_fitness);
	if (rc == MU_OK)
		rc = person_list(c, SQL_EXEMPTIONS_OF, nid, sizeof(*d->exemptions),
				 row_exemption, (void **)&d->exemptions,
				 &d->n_exemptions);
	if (rc == MU_OK)
		rc = person_list(c, SQL_OVERRIDES_OF, nid, sizeof(*d->overrides),
				 row_override, (void **)&d->overrides, &d->n_overrides);
	if (rc == MU_OK)
		rc = person_list(c, SQL_EXCUSES_OF, nid, sizeof(*d->excuses),
				 row_excuse, (void **)&d->excuses, &d->n_excuses);
	if (rc == MU_OK)
		rc = person_list(c, SQL_APPEALS_OF, nid, sizeof(*d->appeals),
				 row_appeal, (void **)&d->appeals, &d->n_appeals);
	if (rc == MU_OK)
		rc = person_list(c, SQL_CORRECTIONS_OF, nid, sizeof(*d->corrections),
				 row_correction, (void **)&d->corrections,
				 &d->n_corrections);
	return rc;
}

enum mu_err sqd_due_of_person(struct store *st, const char *nid,
			      struct due_set **out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct due_set *d = calloc(1, sizeof(*d));
	enum mu_err rc;
	struct sq_conn *c = sq_reader(s);

	if (!d || !c) {
		free(d);
		return d ? MU_EIO : MU_ENOMEM;
	}
	sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
	rc = load_due(c, nid, d);
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		due_set_free(d);
		return rc;
	}
	*out = d;
	return MU_OK;
}

enum mu_err sqd_due_owner(struct store *st, const char *id,
			  char nid[NATIONAL_ID_MAX + 1])
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	enum mu_err rc = MU_ENOTFOUND;
	READER(s, c);

	q = sq_stmt(c, "SELECT national_id FROM fitness_decisions WHERE id = ?1"
		    " UNION ALL SELECT national_id FROM exemptions WHERE id = ?1"
		    " UNION ALL SELECT national_id FROM overrides WHERE id = ?1"
		    " UNION ALL SELECT national_id FROM excuses WHERE id = ?1"
		    " UNION ALL SELECT national_id FROM appeals WHERE id = ?1"
		    " UNION ALL SELECT national_id FROM corrections WHERE id = ?1"
		    " LIMIT 1");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(nid, NATIONAL_ID_MAX + 1, "%s", SQ_TEXT(q, 0));
		rc = MU_OK;
	}
	sqlite3_reset(q);
	return rc;
}

enum mu_err sqd_override_list(struct store *st, enum due_state state,
			      struct override_rec **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	READER(s, c);

	q = sq_stmt(c, "SELECT " OVERRIDE_COLS " FROM overrides WHERE state = ?"
		    " ORDER BY requested_at, rowid");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, due_state_name(state));
	return load_list(q, sizeof(**out), row_override, STORE_LIST_MAX,
			 (void **)out, n);
}

enum mu_err sqd_correction_overdue(struct store *st, int64_t now,
				   struct correction_rec **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	READER(s, c);

	q = sq_stmt(c, "SELECT " CORRECTION_COLS " FROM corrections WHERE"
		    " state = 'pending' AND deadline <= ? ORDER BY deadline, rowid");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, now);
	return load_list(q, sizeof(**out), row_correction, STORE_LIST_MAX,
			 (void **)out, n);
}

/* ---- writes ---- */

/* The person's record changed with a decision: same version as read, then
 * the normal update (history, "person.update" audit record). */
static enum mu_err apply_person_change(struct sq_store *s,
				       const struct person_change *pc,
				       const struct audit_ctx *a,
				       struct mu_error *err)
{
	sqlite3_stmt *q;
	int64_t have = -1;

	if (!pc || !pc->p)
		return MU_OK;
	q = sq_stmt(&s->w, "SELECT version FROM persons WHERE national_id = ?");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, pc->p->national_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		have = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (have != pc->expect_version)
		return mu_fail(err, MU_ECONFLICT, NULL,
			       "the person's record changed meanwhile; retry");
	return sq_person_put_tx(s, pc->p, a, err);
}

/* Audit record of a due-process write; detail is stolen. */
static enum mu_err audit(struct sq_store *s, const struct audit_ctx *a,
			 const char *action, const char *stype, const char *id,
			 const char *nid, json_t *detail, int64_t *idx)
{
	return sq_audit_write(s, a, action, stype, id, nid, detail, idx);
}

struct fitness_job {
	const struct fitness_rec *f;
	const struct person_change *pc;
	const struct audit_ctx *a;
};

static enum mu_err j_fitness_add(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct fitness_job *j = arg;
	const struct fitness_rec *f = j->f;
	char cat[2] = {f->category, 0}, prev[2] = {f->previous, 0};
	sqlite3_stmt *q;
	int64_t idx = 0;
	enum mu_err rc = apply_person_change(s, j->pc, j->a, err);

	if (rc == MU_OK)
		rc = audit(s, j->a, "fitness.record", "fitness", f->id, f->national_id,
			   json_pack("{s:s, s:s, s:s}", "category", cat, "decided_on",
				     f->decided_on, "reexamine_on", f->reexamine_on),
			   &idx);
	if (rc)
		return rc;
	q = sq_stmt(&s->w, "INSERT INTO fitness_decisions(id, national_id, category,"
		    " decided_on, reference, reexamine_on, reexamine_at, previous,"
		    " author, author_role, recorded_at, audit_idx)"
		    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, f->id);
	bind_text(q, 2, f->national_id);
	bind_text(q, 3, cat);
	bind_text(q, 4, f->decided_on);
	bind_text(q, 5, f->reference);
	bind_text(q, 6, f->reexamine_on);
	bind_time(q, 7, f->reexamine_at);
	bind_text(q, 8, prev);
	bind_stamp(q, 9, &f->recorded);
	sqlite3_bind_int64(q, 12, idx);
	return step(s, q, err);
}

enum mu_err sqd_fitness_add(struct store *st, const struct fitness_rec *f,
			    const struct person_change *pc, const struct audit_ctx *a,
			    struct mu_error *err)
{
	struct fitness_job j = {f, pc, a};
	return sq_write((struct sq_store *)st, j_fitness_add, &j, err);
}

struct rec_job {
	const void *rec;
	const struct person_change *pc;
	const struct audit_ctx *a;
	int step;
};

static enum mu_err j_exemption_add(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct exemption_rec *e = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO exemptions(id, national_id,"
				  " kind, reason, document, valid_until, granted_by,"
				  " granted_role, granted_at) VALUES (?,?,?,?,?,?,?,?,?)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, e->id);
	bind_text(q, 2, e->national_id);
	bind_text(q, 3, exemption_kind_name(e->kind));
	bind_text(q, 4, e->reason);
	bind_text(q, 5, e->document);
	bind_time(q, 6, e->valid_until);
	bind_stamp(q, 7, &e->granted);
	if ((rc = step(s, q, err)))
		return rc;
	return audit(s, j->a, "exemption.grant", "exemption", e->id, e->national_id,
		     json_pack("{s:s, s:s, s:I}", "kind", exemption_kind_name(e->kind),
			       "reason", e->reason, "valid_until",
			       (json_int_t)(e->valid_until == MU_T_NONE ? 0 : e->valid_until)),
		     NULL);
}

enum mu_err sqd_exemption_add(struct store *st, const struct exemption_rec *e,
			      const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {e, NULL, a, 0};
	return sq_write((struct sq_store *)st, j_exemption_add, &j, err);
}

static enum mu_err j_exemption_revoke(struct sq_store *s, void *arg,
				      struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct exemption_rec *e = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE exemptions SET revoked_by = ?,"
				  " revoked_role = ?, revoked_at = ?, revoke_reason = ?"
				  " WHERE id = ? AND national_id = ? AND revoked_at IS NULL");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_stamp(q, 1, &e->revoked);
	bind_text(q, 4, e->revoke_reason);
	bind_text(q, 5, e->id);
	bind_text(q, 6, e->national_id);
	if ((rc = step_guarded(s, q, "exemption", e->id, err)))
		return rc;
	return audit(s, j->a, "exemption.revoke", "exemption", e->id, e->national_id,
		     NULL, NULL);
}

enum mu_err sqd_exemption_revoke(struct store *st, const struct exemption_rec *e,
				 const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {e, NULL, a, 0};
	return sq_write((struct sq_store *)st, j_exemption_revoke, &j, err);
}

static enum mu_err j_override_add(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct override_rec *o = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO overrides(id, national_id,"
				  " purpose, reason, bases, state, requested_by,"
				  " requested_role, requested_at) VALUES"
				  " (?,?,?,?,?,'pending',?,?,?)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, o->id);
	bind_text(q, 2, o->national_id);
	bind_text(q, 3, purpose_name(o->purpose));
	bind_text(q, 4, o->reason);
	bind_text(q, 5, o->bases);
	bind_stamp(q, 6, &o->requested);
	if ((rc = step(s, q, err)))
		return rc;
	return audit(s, j->a, "override.request", "override", o->id, o->national_id,
		     json_pack("{s:s, s:s}", "purpose", purpose_name(o->purpose),
			       "bars", o->bases), NULL);
}

enum mu_err sqd_override_add(struct store *st, const struct override_rec *o,
			     const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {o, NULL, a, 0};
	return sq_write((struct sq_store *)st, j_override_add, &j, err);
}

static const char SQL_OVR_DECIDE[] = "UPDATE overrides SET state = ?1,"
	" decided_by = ?2, decided_role = ?3, decided_at = ?4, decision_note = ?5"
	" WHERE id = ?6 AND state = 'pending' AND requested_by <> ?2";
static const char SQL_OVR_CLAIM[] = "UPDATE overrides SET state = 'used',"
	" used_by = ?1, used_role = ?2, used_at = ?3 WHERE id = ?4 AND state = 'approved'";
static const char SQL_OVR_LINK[] = "UPDATE overrides SET summons_id = ?1"
	" WHERE id = ?2 AND state = 'used' AND summons_id = ''";
static const char SQL_OVR_RELEASE[] = "UPDATE overrides SET state = 'approved',"
	" used_by = '', used_role = '', used_at = NULL"
	" WHERE id = ?1 AND state = 'used' AND summons_id = ''";

/* Four eyes: MU_EFORBIDDEN if the deciding token requested it. */
static enum mu_err four_eyes(struct sq_store *s, const struct override_rec *o,
			     struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT requested_by FROM overrides WHERE id = ?");
	int same = 0, found = 0;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, o->id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		found = 1;
		same = !strcmp(SQ_TEXT(q, 0), o->decided.token);
	}
	sqlite3_reset(q);
	if (!found)
		return mu_fail(err, MU_ENOTFOUND, "id", "no override %s", o->id);
	if (same)
		return mu_fail(err, MU_EFORBIDDEN, "id", "four eyes: the officer who "
			       "requested override %s cannot decide it", o->id);
	return MU_OK;
}

static sqlite3_stmt *override_stmt(struct sq_store *s, const struct override_rec *o,
				   enum override_step st)
{
	sqlite3_stmt *q;

	switch (st) {
	case OVR_APPROVE:
	case OVR_REJECT:
		if (!(q = sq_stmt(&s->w, SQL_OVR_DECIDE)))
			return NULL;
		bind_text(q, 1, st == OVR_APPROVE ? "approved" : "rejected");
		bind_stamp(q, 2, &o->decided);
		bind_text(q, 5, o->decision_note);
		bind_text(q, 6, o->id);
		return q;
	case OVR_CLAIM:
		if (!(q = sq_stmt(&s->w, SQL_OVR_CLAIM)))
			return NULL;
		bind_stamp(q, 1, &o->used);
		bind_text(q, 4, o->id);
		return q;
	case OVR_LINK:
		if (!(q = sq_stmt(&s->w, SQL_OVR_LINK)))
			return NULL;
		bind_text(q, 1, o->summons_id);
		bind_text(q, 2, o->id);
		return q;
	case OVR_RELEASE:
		if (!(q = sq_stmt(&s->w, SQL_OVR_RELEASE)))
			return NULL;
		bind_text(q, 1, o->id);
		return q;
	}
	return NULL;
}

static enum mu_err j_override_step(struct sq_store *s, void *arg,
				   struct mu_error *err)
{
	static const char *const actions[] = {"override.approve", "override.reject",
		"override.claim", "override.use", "override.release"};
	struct rec_job *j = arg;
	const struct override_rec *o = j->rec;
	enum override_step st = (enum override_step)j->step;
	enum mu_err rc = MU_OK;

	if (st == OVR_APPROVE || st == OVR_REJECT)
		rc = four_eyes(s, o, err);
	if (rc == MU_OK)
		rc = step_guarded(s, override_stmt(s, o, st), "override", o->id, err);
	if (rc)
		return rc;
	return audit(s, j->a, actions[st], "override", o->id, o->national_id,
		     o->summons_id[0] ? json_pack("{s:s}", "summons", o->summons_id)
				      : NULL, NULL);
}

enum mu_err sqd_override_step(struct store *st, const struct override_rec *o,
			      enum override_step step_, const struct audit_ctx *a,
			      struct mu_error *err)
{
	struct rec_job j = {o, NULL, a, (int)step_};

	if ((unsigned)step_ > OVR_RELEASE)
		return mu_fail(err, MU_EINTERNAL, NULL, "unknown override step");
	return sq_write((struct sq_store *)st, j_override_step, &j, err);
}

static enum mu_err j_excuse_add(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct excuse_rec *e = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO excuses(id, summons_id,"
				  " national_id, reason, document, note, state,"
				  " filed_by, filed_role, filed_at) VALUES"
				  " (?,?,?,?,?,?,'pending',?,?,?)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, e->id);
	bind_text(q, 2, e->summons_id);
	bind_text(q, 3, e->national_id);
	bind_text(q, 4, e->reason);
	bind_text(q, 5, e->document);
	bind_text(q, 6, e->note);
	bind_stamp(q, 7, &e->filed);
	if ((rc = step(s, q, err)))
		return rc;
	return audit(s, j->a, "excuse.file", "excuse", e->id, e->national_id,
		     json_pack("{s:s, s:s}", "summons", e->summons_id, "reason",
			       e->reason), NULL);
}

enum mu_err sqd_excuse_add(struct store *st, const struct excuse_rec *e,
			   const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {e, NULL, a, 0};
	return sq_write((struct sq_store *)st, j_excuse_add, &j, err);
}

static enum mu_err j_excuse_decide(struct sq_store *s, void *arg,
				   struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct excuse_rec *e = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE excuses SET state = ?, decided_by = ?,"
				  " decided_role = ?, decided_at = ?, decision_reason = ?,"
				  " new_report_at = ?, event_seq = ?"
				  " WHERE id = ? AND state = 'pending'");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, due_state_name(e->state));
	bind_stamp(q, 2, &e->decided);
	bind_text(q, 5, e->decision_reason);
	bind_time(q, 6, e->new_report_at);
	sqlite3_bind_int64(q, 7, e->event_seq);
	bind_text(q, 8, e->id);
	if ((rc = step_guarded(s, q, "excuse", e->id, err)))
		return rc;
	return audit(s, j->a, e->state == DS_ACCEPTED ? "excuse.accept" : "excuse.reject",
		     "excuse", e->id, e->national_id,
		     json_pack("{s:s, s:I}", "summons", e->summons_id, "event_seq",
			       (json_int_t)e->event_seq), NULL);
}

enum mu_err sqd_excuse_decide(struct store *st, const struct excuse_rec *e,
			      const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {e, NULL, a, 0};
	return sq_write((struct sq_store *)st, j_excuse_decide, &j, err);
}

static enum mu_err j_appeal_add(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct appeal_rec *r = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO appeals(id, national_id,"
				  " subject_type, subject_id, grounds, state, filed_by,"
				  " filed_role, filed_at) VALUES (?,?,?,?,?,'pending',?,?,?)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, r->id);
	bind_text(q, 2, r->national_id);
	bind_text(q, 3, appeal_subject_name(r->subject));
	bind_text(q, 4, r->subject_id);
	bind_text(q, 5, r->grounds);
	bind_stamp(q, 6, &r->filed);
	if ((rc = step(s, q, err)))
		return rc;
	return audit(s, j->a, "appeal.file", "appeal", r->id, r->national_id,
		     json_pack("{s:s, s:s}", "against", appeal_subject_name(r->subject),
			       "subject", r->subject_id), NULL);
}

enum mu_err sqd_appeal_add(struct store *st, const struct appeal_rec *r,
			   const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {r, NULL, a, 0};
	return sq_write((struct sq_store *)st, j_appeal_add, &j, err);
}

static enum mu_err j_appeal_decide(struct sq_store *s, void *arg,
				   struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct appeal_rec *r = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE appeals SET state = ?, decided_by = ?,"
				  " decided_role = ?, decided_at = ?, reference = ?"
				  " WHERE id = ? AND state = 'pending'");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, due_state_name(r->state));
	bind_stamp(q, 2, &r->decided);
	bind_text(q, 5, r->reference);
	bind_text(q, 6, r->id);
	rc = step_guarded(s, q, "appeal", r->id, err);
	if (rc == MU_OK)
		rc = apply_person_change(s, j->pc, j->a, err);
	if (rc)
		return rc;
	return audit(s, j->a, "appeal.decide", "appeal", r->id, r->national_id,
		     json_pack("{s:s, s:s}", "outcome", due_state_name(r->state),
			       "subject", r->subject_id), NULL);
}

enum mu_err sqd_appeal_decide(struct store *st, const struct appeal_rec *r,
			      const struct person_change *pc, const struct audit_ctx *a,
			      struct mu_error *err)
{
	struct rec_job j = {r, pc, a, 0};
	return sq_write((struct sq_store *)st, j_appeal_decide, &j, err);
}

static enum mu_err j_correction_add(struct sq_store *s, void *arg,
				    struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct correction_rec *c = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO corrections(id, national_id,"
				  " field, current_value, proposed_value, evidence, state,"
				  " filed_by, filed_role, filed_at, deadline) VALUES"
				  " (?,?,?,?,?,?,'pending',?,?,?,?)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, c->id);
	bind_text(q, 2, c->national_id);
	bind_text(q, 3, c->field);
	bind_text(q, 4, c->current_value);
	bind_text(q, 5, c->proposed_value);
	bind_text(q, 6, c->evidence);
	bind_stamp(q, 7, &c->filed);
	sqlite3_bind_int64(q, 10, c->deadline);
	if ((rc = step(s, q, err)))
		return rc;
	return audit(s, j->a, "correction.file", "correction", c->id, c->national_id,
		     json_pack("{s:s, s:I}", "field", c->field, "deadline",
			       (json_int_t)c->deadline), NULL);
}

enum mu_err sqd_correction_add(struct store *st, const struct correction_rec *c,
			       const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {c, NULL, a, 0};
	return sq_write((struct sq_store *)st, j_correction_add, &j, err);
}

static enum mu_err j_correction_decide(struct sq_store *s, void *arg,
				       struct mu_error *err)
{
	struct rec_job *j = arg;
	const struct correction_rec *c = j->rec;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE corrections SET state = ?,"
				  " decided_by = ?, decided_role = ?, decided_at = ?,"
				  " decision_reason = ? WHERE id = ? AND state = 'pending'");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, due_state_name(c->state));
	bind_stamp(q, 2, &c->decided);
	bind_text(q, 5, c->decision_reason);
	bind_text(q, 6, c->id);
	rc = step_guarded(s, q, "correction request", c->id, err);
	if (rc == MU_OK)
		rc = apply_person_change(s, j->pc, j->a, err);
	if (rc)
		return rc;
	return audit(s, j->a, c->state == DS_ACCEPTED ? "correction.accept"
						      : "correction.reject",
		     "correction", c->id, c->national_id,
		     json_pack("{s:s}", "field", c->field), NULL);
}

enum mu_err sqd_correction_decide(struct store *st, const struct correction_rec *c,
				  const struct person_change *pc,
				  const struct audit_ctx *a, struct mu_error *err)
{
	struct rec_job j = {c, pc, a, 0};
	return sq_write((struct sq_store *)st, j_correction_decide, &j, err);
}
