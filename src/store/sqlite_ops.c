/*
 * sqlite_ops.c: the methods of the SQLite backend (struct store_ops).
 *
 * Reads use the calling thread's read-only connection (sq_reader); writes
 * are jobs run by the writer thread (sq_write), each with its audit entry in
 * the same transaction. Rows map to the structs of domain/model.h here and
 * nowhere else.
 */
#include "store/sqlite_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/codec.h"
#include "ingest/match.h"

#define READER(s, c)                                                    \
	struct sq_conn *c = sq_reader(s);                               \
	if (!c)                                                         \
		return MU_EIO

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static enum mu_err step_done(struct sq_store *s, sqlite3_stmt *st,
			     struct mu_error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return MU_OK;
	return sq_err(s->w.db, rc, err);
}

static enum mu_err audit_write(struct sq_store *s, const struct audit_ctx *a,
			       const char *action, const char *stype,
			       const char *sid, const char *person,
			       json_t *detail, int64_t *idx)
{
	struct audit_entry e;
	enum mu_err rc;

	audit_entry_from_ctx(&e, a, action, stype, sid, person);
	if (detail) {
		char *d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
		if (d && strlen(d) < sizeof(e.detail))
			snprintf(e.detail, sizeof(e.detail), "%s", d);
		free(d);
		json_decref(detail);
	}
	rc = sq_audit_put(s, &e);
	if (idx)
		*idx = e.idx;
	return rc;
}

/* ---- meta ------------------------------------------------------------- */

static enum mu_err m_meta_get(struct store *st, const char *key, char **out)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	READER(s, c);

	q = sq_stmt(c, "SELECT value FROM meta WHERE key = ?");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, key);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		return MU_ENOTFOUND;
	}
	*out = strdup(SQ_TEXT(q, 0));
	sqlite3_reset(q);
	return *out ? MU_OK : MU_ENOMEM;
}

struct kv { const char *k, *v; };

static enum mu_err j_meta_set(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct kv *kv = arg;
	sqlite3_stmt *q = sq_stmt(&s->w,
		"INSERT INTO meta(key, value) VALUES (?, ?) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value");

	if (!q)
		return MU_EIO;
	bind_text(q, 1, kv->k);
	bind_text(q, 2, kv->v);
	return step_done(s, q, err);
}

static enum mu_err m_meta_set(struct store *st, const char *key, const char *val)
{
	struct kv kv = {key, val};
	return sq_write((struct sq_store *)st, j_meta_set, &kv, NULL);
}

/* ---- offices ---------------------------------------------------------- */

struct office_job { const struct office *o; const struct audit_ctx *a; };

static enum mu_err j_office_create(struct sq_store *s, void *arg,
				   struct mu_error *err)
{
	struct office_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w,
		"INSERT INTO offices(id, name, region, timezone, daily_capacity,"
		" created_at) VALUES (?,?,?,?,?,?)");

	if (!q)
		return MU_EIO;
	bind_text(q, 1, j->o->id);
	bind_text(q, 2, j->o->name);
	bind_text(q, 3, j->o->region);
	bind_text(q, 4, j->o->timezone);
	sqlite3_bind_int(q, 5, j->o->daily_capacity);
	sqlite3_bind_int64(q, 6, j->a ? j->a->at : 0);
	if (sqlite3_step(q) != SQLITE_DONE) {
		if ((sqlite3_errcode(s->w.db) & 0xff) == SQLITE_CONSTRAINT)
			return mu_fail(err, MU_ECONFLICT, "id",
				       "office '%s' already exists", j->o->id);
		return sq_err(s->w.db, sqlite3_errcode(s->w.db), err);
	}
	return audit_write(s, j->a, "office.create", "office", j->o->id, "",
			   office_to_json(j->o), NULL);
}

static enum mu_err m_office_create(struct store *st, const struct office *o,
				   const struct audit_ctx *a, struct mu_error *err)
{
	struct office_job j = {o, a};
	return sq_write((struct sq_store *)st, j_office_create, &j, err);
}

static void row_office(sqlite3_stmt *q, struct office *o)
{
	memset(o, 0, sizeof(*o));
	SQ_COPY(o->id, q, 0);
	SQ_COPY(o->name, q, 1);
	SQ_COPY(o->region, q, 2);
	SQ_COPY(o->timezone, q, 3);
	o->daily_capacity = sqlite3_column_int(q, 4);
	o->created_at = sqlite3_column_int64(q, 5);
}

#define OFFICE_COLS "id, name, region, timezone, daily_capacity, created_at"

static enum mu_err m_office_get(struct store *st, const char *id, struct office *o)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	enum mu_err rc = MU_ENOTFOUND;
	READER(s, c);

	q = sq_stmt(c, "SELECT " OFFICE_COLS " FROM offices WHERE id = ?");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		row_office(q, o);
		rc = MU_OK;
	}
	sqlite3_reset(q);
	return rc;
}

static enum mu_err m_office_has_summonses(struct store *st, const char *id, int *has)
{
	struct sq_store *s = (struct sq_store *)st;
	READER(s, c);

	*has = sq_office_has_summonses(c, id);
	return *has < 0 ? MU_EIO : MU_OK;
}

static enum mu_err m_office_list(struct store *st, struct office **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	size_t cap = 0;
	READER(s, c);

	q = sq_stmt(c, "SELECT " OFFICE_COLS " FROM offices ORDER BY id");
	if (!q)
		return MU_EIO;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (*n == cap) {
			struct office *nw;
			cap = cap ? cap * 2 : 16;
			nw = realloc(*out, cap * sizeof(**out));
			if (!nw) {
				sqlite3_reset(q);
				free(*out);
				*out = NULL;
				*n = 0;
				return MU_ENOMEM;
			}
			*out = nw;
		}
		row_office(q, &(*out)[(*n)++]);
	}
	sqlite3_reset(q);
	return MU_OK;
}

/* ---- persons ---------------------------------------------------------- */


static void row_person(sqlite3_stmt *q, struct person *p)
{
	memset(p, 0, sizeof(*p));
	SQ_COPY(p->national_id, q, 0);
	SQ_COPY(p->family_name, q, 1);
	SQ_COPY(p->given_name, q, 2);
	SQ_COPY(p->patronymic, q, 3);
	SQ_COPY(p->birth_date, q, 4);
	p->sex = SQ_TEXT(q, 5)[0];
	SQ_COPY(p->region, q, 6);
	SQ_COPY(p->office, q, 7);
	SQ_COPY(p->address, q, 8);
	SQ_COPY(p->phone, q, 9);
	SQ_COPY(p->email, q, 10);
	p->fitness = SQ_TEXT(q, 11)[0];
	p->status = strcmp(SQ_TEXT(q, 12), "removed") == 0 ? PS_REMOVED : PS_ACTIVE;
	SQ_COPY(p->removal_reason, q, 13);
	SQ_COPY(p->removal_date, q, 14);
	p->version = sqlite3_column_int64(q, 15);
	p->updated_at = sqlite3_column_int64(q, 16);
	SQ_COPY(p->source, q, 17);
}

static int person_same(const struct person *a, const struct person *b)
{
	return !strcmp(a->family_name, b->family_name) &&
	       !strcmp(a->given_name, b->given_name) &&
	       !strcmp(a->patronymic, b->patronymic) &&
	       !strcmp(a->birth_date, b->birth_date) && a->sex == b->sex &&
	       !strcmp(a->region, b->region) && !strcmp(a->office, b->office) &&
	       !strcmp(a->address, b->address) && !strcmp(a->phone, b->phone) &&
	       !strcmp(a->email, b->email) && a->fitness == b->fitness &&
	       a->status == b->status &&
	       !strcmp(a->removal_reason, b->removal_reason) &&
	       !strcmp(a->removal_date, b->removal_date);
}

int sq_person_get(struct sq_conn *c, const char *id, struct person *p)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT " PERSON_COLS
				  " FROM persons WHERE national_id = ?");
	int found = 0;

	if (!q)
		return -1;
	bind_text(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		row_person(q, p);
		found = 1;
	}
	sqlite3_reset(q);
	return found;
}

static int office_exists(struct sq_conn *c, const char *id)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT 1 FROM offices WHERE id = ?");
	int found;

	if (!q)
		return 0;
	bind_text(q, 1, id);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return found;
}

struct person_job {
	const struct person *p;
	int create_only;
	const struct audit_ctx *a;
	int changed;
};

static void bind_person(sqlite3_stmt *q, const struct person *p)
{
	char sex[2] = {p->sex, 0}, fit[2] = {p->fitness, 0};

	bind_text(q, 1, p->national_id);
	bind_text(q, 2, p->family_name);
	bind_text(q, 3, p->given_name);
	bind_text(q, 4, p->patronymic);
	bind_text(q, 5, p->birth_date);
	bind_text(q, 6, sex);
	bind_text(q, 7, p->region);
	bind_text(q, 8, p->office);
	bind_text(q, 9, p->address);
	bind_text(q, 10, p->phone);
	bind_text(q, 11, p->email);
	bind_text(q, 12, fit);
	bind_text(q, 13, p->status == PS_REMOVED ? "removed" : "active");
	bind_text(q, 14, p->removal_reason);
	bind_text(q, 15, p->removal_date);
	sqlite3_bind_int64(q, 16, p->version);
	sqlite3_bind_int64(q, 17, p->updated_at);
	bind_text(q, 18, p->source);
}

int sq_office_has_summonses(struct sq_conn *c, const char *id)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT EXISTS (SELECT 1 FROM summonses WHERE office = ?)");
	int has;

	if (!q)
		return -1;
	bind_text(q, 1, id);
	has = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
	sqlite3_reset(q);
	return has;
}

enum mu_err sq_history_keep(struct sq_store *s, const char *id, const char *record,
			    struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "INSERT INTO person_history(national_id, version,"
				  " record, updated_at, source, import_batch) SELECT national_id,"
				  " version, ?2, updated_at, source, import_batch FROM persons"
				  " WHERE national_id = ?1");

	if (!q)
		return MU_EIO;
	bind_text(q, 1, id);
	bind_text(q, 2, record);
	return step_done(s, q, err);
}

/* Write version p of a person; old is the stored version (NULL for a new
 * person), whose record goes to the history. */
static enum mu_err write_person_row(struct sq_store *s, const struct person *p,
				    const struct person *old, struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w, old ?
		"UPDATE persons SET family_name=?2, given_name=?3, patronymic=?4,"
		" birth_date=?5, sex=?6, region=?7, office=?8, address=?9,"
		" phone=?10, email=?11, fitness=?12, status=?13,"
		" removal_reason=?14, removal_date=?15, version=?16,"
		" updated_at=?17, source=?18, import_batch=NULL, family_key=?19"
		" WHERE national_id=?1" :
		"INSERT INTO persons(" PERSON_COLS ", family_key) VALUES"
		" (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)");
	char key[PERSON_KEY_MAX];
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	if (old) { /* the stored version goes to the history first */
		json_t *rec = person_to_json(old);
		char *txt = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(rec);
		rc = txt ? sq_history_keep(s, old->national_id, txt, err)
			 : mu_fail(err, MU_ENOMEM, NULL, "out of memory");
		free(txt);
		if (rc)
			return rc;
	}
	bind_person(q, p);
	match_norm(p->family_name, key, sizeof(key));
	bind_text(q, 19, key);
	return step_done(s, q, err);
}

static json_t *person_diff(const struct person *old, const struct person *nw)
{
	json_t *a = person_to_json(old), *b = person_to_json(nw);
	json_t *changed = json_array();
	const char *k;
	json_t *v;

	json_object_foreach(b, k, v) {
		if (strcmp(k, "version") && !json_equal(v, json_object_get(a, k)))
			json_array_append_new(changed, json_string(k));
	}
	json_decref(a);
	json_decref(b);
	return json_pack("{s:o, s:I}", "fields", changed, "version",
			 (json_int_t)nw->version);
}

static enum mu_err j_person_put(struct sq_store *s, void *arg,
				struct mu_error *err)
{
	struct person_job *j = arg;
	struct person old, nw = *j->p;
	int exists = sq_person_get(&s->w, nw.national_id, &old);
	enum mu_err rc;

	if (exists < 0)
		return MU_EIO;
	if (exists && j->create_only)
		return mu_fail(err, MU_ECONFLICT, "national_id",
			       "person %s already exists", nw.national_id);
	if (!office_exists(&s->w, nw.office))
		return mu_fail(err, MU_EINVAL, "office",
			       "office '%.40s' is not a known office", nw.office);
	if (exists && person_same(&old, &nw)) {
		j->changed = 0;
		return MU_OK;
	}
	nw.version = exists ? old.version + 1 : 1;
	nw.updated_at = j->a ? j->a->at : 0;
	if ((rc = write_person_row(s, &nw, exists ? &old : NULL, err)))
		return rc;
	j->changed = 1;
	return audit_write(s, j->a, exists ? "person.update" : "person.create",
			   "person", nw.national_id, nw.national_id,
			   exists ? person_diff(&old, &nw)
				  : json_pack("{s:I}", "version", (json_int_t)1),
			   NULL);
}

static enum mu_err m_person_put(struct store *st, const struct person *p,
				int create_only, const struct audit_ctx *a,
				int *changed, struct mu_error *err)
{
	struct person_job j = {p, create_only, a, 0};
	enum mu_err rc = sq_write((struct sq_store *)st, j_person_put, &j, err);

	if (changed)
		*changed = j.changed;
	return rc;
}

enum mu_err sq_person_put_tx(struct sq_store *s, const struct person *p,
			     const struct audit_ctx *a, struct mu_error *err)
{
	struct person_job j = {p, 0, a, 0};
	return j_person_put(s, &j, err);
}

struct many_job {
	const struct person *v;
	size_t n;
	const struct audit_ctx *a;
	size_t changed;
};

static enum mu_err j_person_put_many(struct sq_store *s, void *arg,
				     struct mu_error *err)
{
	struct many_job *m = arg;

	for (size_t i = 0; i < m->n; i++) {
		struct person_job j = {&m->v[i], 0, m->a, 0};
		enum mu_err rc = j_person_put(s, &j, err);
		if (rc)
			return rc;
		m->changed += (size_t)j.changed;
	}
	return MU_OK;
}

static enum mu_err m_person_put_many(struct store *st, const struct person *v,
				     size_t n, const struct audit_ctx *a,
				     size_t *changed, struct mu_error *err)
{
	struct many_job m = {v, n, a, 0};
	enum mu_err rc = sq_write((struct sq_store *)st, j_person_put_many, &m, err);

	*changed = rc ? 0 : m.changed;
	return rc;
}

static enum mu_err m_person_get(struct store *st, const char *id, struct person *p)
{
	struct sq_store *s = (struct sq_store *)st;
	int found;
	READER(s, c);

	found = sq_person_get(c, id, p);
	return found < 0 ? MU_EIO : found ? MU_OK : MU_ENOTFOUND;
}

/* The person list, one statement per combination of filters, so that each
 * can use its index (persons_office, persons_name, the primary key): a
 * filter written "(?1 IS NULL OR office = ?1)" defeats the planner and
 * turns every search into a scan of the register. Index: office 8,
 * region 4, q 2, after 1. q is a prefix of the id in any case (?3, upper
 * case) or of the family name however it is written (?6, its family_key;
 * NULL when q has no letter or digit). */
#define PL_SQL(o, r, q, a) "SELECT " PERSON_COLS " FROM persons WHERE 1" o r q a \
	" ORDER BY national_id LIMIT ?5"
#define PL_O " AND office = ?1"
#define PL_R " AND region = ?2"
#define PL_Q " AND (national_id >= ?3 AND national_id < ?3 || x'ff'" \
	" OR family_key >= ?6 AND family_key < ?6 || x'ff')"
#define PL_A " AND national_id > ?4"
#define PL4(o, r, q) PL_SQL(o, r, q, ""), PL_SQL(o, r, q, PL_A)
#define PL3(o, r) PL4(o, r, ""), PL4(o, r, PL_Q)
#define PL2(o) PL3(o, ""), PL3(o, PL_R)
static const char *const person_list_sql[16] = {PL2(""), PL2(PL_O)};

static enum mu_err m_person_list(struct store *st, const struct person_filter *f,
				 struct person *out, size_t cap, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	READER(s, c);

	q = sq_stmt(c, person_list_sql[(f->office ? 8 : 0) | (f->region ? 4 : 0) |
				       (f->q ? 2 : 0) | (f->after ? 1 : 0)]);
	if (!q)
		return MU_EIO;
	if (f->office)
		bind_text(q, 1, f->office);
	if (f->region)
		bind_text(q, 2, f->region);
	if (f->q) {
		char id[NATIONAL_ID_MAX + 1], key[PERSON_KEY_MAX];
		size_t i;
		for (i = 0; i < NATIONAL_ID_MAX && f->q[i]; i++)
			id[i] = f->q[i] >= 'a' && f->q[i] <= 'z' ? (char)(f->q[i] - 32) : f->q[i];
		id[i] = 0;
		/* a q longer than any id (or name) matches none: NULL */
		if (!f->q[i])
			sqlite3_bind_text(q, 3, id, -1, SQLITE_TRANSIENT);
		if (strlen(f->q) <= NAME_MAX_LEN * 4 && match_norm(f->q, key, sizeof(key)))
			sqlite3_bind_text(q, 6, key, -1, SQLITE_TRANSIENT);
	}
	if (f->after)
		bind_text(q, 4, f->after);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)(f->limit < cap ? f->limit : cap));
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW)
		row_person(q, &out[(*n)++]);
	sqlite3_reset(q);
	return MU_OK;
}

static void history_row(const char *txt, int64_t version, int64_t at,
			const char *source, struct person *p)
{
	json_t *o = json_loads(txt, 0, NULL);
	json_t *st;

	memset(p, 0, sizeof(*p));
	if (o) {
		json_t *copy = json_deep_copy(o);
		json_object_del(copy, "status");
		json_object_del(copy, "removal_reason");
		json_object_del(copy, "removal_date");
		json_object_del(copy, "version");
		json_object_del(copy, "source");
		if (person_from_json(copy, p, 0, NULL) != MU_OK)
			memset(p, 0, sizeof(*p));
		json_decref(copy);
		st = json_object_get(o, "status");
		if (st && json_is_string(st) &&
		    strcmp(json_string_value(st), "removed") == 0) {
			p->status = PS_REMOVED;
			snprintf(p->removal_reason, sizeof(p->removal_reason), "%s",
				 json_string_value(json_object_get(o, "removal_reason")) ?: "");
			snprintf(p->removal_date, sizeof(p->removal_date), "%s",
				 json_string_value(json_object_get(o, "removal_date")) ?: "");
		}
		json_decref(o);
	}
	p->version = version;
	p->updated_at = at;
	snprintf(p->source, sizeof(p->source), "%s", source);
}

static enum mu_err m_person_history(struct store *st, const char *id,
				    struct person *out, size_t cap, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	READER(s, c);

	q = sq_stmt(c, HISTORY_SQL("ASC"));
	if (!q)
		return MU_EIO;
	bind_text(q, 1, id);
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW) {
		const char *rec = SQ_TEXT(q, HISTORY_COL);
		if (strcmp(rec, HISTORY_CURRENT))
			history_row(rec, sqlite3_column_int64(q, HISTORY_COL + 1),
				    sqlite3_column_int64(q, HISTORY_COL + 2),
				    SQ_TEXT(q, HISTORY_COL + 3), &out[*n]);
		else if (sqlite3_column_type(q, 0) != SQLITE_NULL)
			sq_row_person(q, &out[*n]);
		else {  /* an empty record beside no persons row */
			sqlite3_reset(q);
			return MU_EIO;
		}
		(*n)++;
	}
	sqlite3_reset(q);
	return *n ? MU_OK : MU_ENOTFOUND;
}

/* ---- tokens ----------------------------------------------------------- */

struct token_job {
	const struct token *t;
	const unsigned char *hash;
	const char *id;
	const struct audit_ctx *a;
};

static enum mu_err j_token_create(struct sq_store *s, void *arg,
				  struct mu_error *err)
{
	struct token_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w,
		"INSERT INTO tokens(id, hash, role, office, agency, person, label,"
		" created_at) VALUES (?,?,?,?,?,?,?,?)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, j->t->id);
	sqlite3_bind_blob(q, 2, j->hash, 32, SQLITE_STATIC);
	bind_text(q, 3, role_name(j->t->role));
	bind_text(q, 4, j->t->office);
	bind_text(q, 5, j->t->agency);
	bind_text(q, 6, j->t->person);
	bind_text(q, 7, j->t->label);
	sqlite3_bind_int64(q, 8, j->t->created_at);
	if ((rc = step_done(s, q, err)))
		return rc;
	return audit_write(s, j->a, "token.create", "token", j->t->id,
			   j->t->person,
			   json_pack("{s:s, s:s, s:s}", "role", role_name(j->t->role),
				     "office", j->t->office, "agency", j->t->agency),
			   NULL);
}

static enum mu_err m_token_create(struct store *st, const struct token *t,
				  const unsigned char hash[32],
				  const struct audit_ctx *a)
{
	struct token_job j = {t, hash, NULL, a};
	return sq_write((struct sq_store *)st, j_token_create, &j, NULL);
}

#define TOKEN_COLS "id, role, office, agency, person, label, created_at, revoked_at"

static void row_token(sqlite3_stmt *q, struct token *t)
{
	memset(t, 0, sizeof(*t));
	SQ_COPY(t->id, q, 0);
	t->role = role_parse(SQ_TEXT(q, 1));
	SQ_COPY(t->office, q, 2);
	SQ_COPY(t->agency, q, 3);
	SQ_COPY(t->person, q, 4);
	SQ_COPY(t->label, q, 5);
	t->created_at = sqlite3_column_int64(q, 6);
	t->revoked_at = sqlite3_column_int64(q, 7);
}

static enum mu_err m_token_lookup(struct store *st, const unsigned char hash[32],
				  struct token *t)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	enum mu_err rc = MU_ENOTFOUND;
	READER(s, c);

	q = sq_stmt(c, "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?");
	if (!q)
		return MU_EIO;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		row_token(q, t);
		rc = (int)t->role < 0 ? MU_ENOTFOUND : MU_OK;
	}
	sqlite3_reset(q);
	return rc;
}

static enum mu_err m_token_list(struct store *st, struct token **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	size_t cap = 0;
	READER(s, c);

	q = sq_stmt(c, "SELECT " TOKEN_COLS " FROM tokens ORDER BY created_at, id");
	if (!q)
		return MU_EIO;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (*n == cap) {
			struct token *nw;
			cap = cap ? cap * 2 : 16;
			nw = realloc(*out, cap * sizeof(**out));
			if (!nw) {
				sqlite3_reset(q);
				return MU_ENOMEM;
			}
			*out = nw;
		}
		row_token(q, &(*out)[(*n)++]);
	}
	sqlite3_reset(q);
	return MU_OK;
}

static enum mu_err j_token_revoke(struct sq_store *s, void *arg,
				  struct mu_error *err)
{
	struct token_job *j = arg;
	sqlite3_stmt *q = sq_stmt(&s->w, "UPDATE tokens SET revoked_at = ?"
				  " WHERE id = ? AND revoked_at = 0");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, j->a && j->a->at ? j->a->at : 1);
	bind_text(q, 2, j->id);
	if ((rc = step_done(s, q, err)))
		return rc;
	if (sqlite3_changes(s->w.db) == 0)
		return mu_fail(err, MU_ENOTFOUND, "id",
			       "no active token with id %s", j->id);
	return audit_write(s, j->a, "token.revoke", "token", j->id, "", NULL, NULL);
}

static enum mu_err m_token_revoke(struct store *st, const char *id,
				  const struct audit_ctx *a)
{
	struct token_job j = {NULL, NULL, id, a};
	return sq_write((struct sq_store *)st, j_token_revoke, &j, NULL);
}

/* ---- derived restriction state --------------------------------------- */

static enum mu_err check_pver(struct sq_store *s, const char *nid, int64_t want,
			      struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT pver FROM persons WHERE national_id = ?");
	int64_t have = -1;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, nid);
	if (sqlite3_step(q) == SQLITE_ROW)
		have = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (have < 0)
		return mu_fail(err, MU_ENOTFOUND, "national_id", "no person %s", nid);
	if (have != want)
		return mu_fail(err, MU_ECONFLICT, NULL,
			       "the person's record changed meanwhile; retry");
	return MU_OK;
}

static enum mu_err put_change(struct sq_store *s, const struct restr_change *c,
			      int64_t now, struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w,
		"INSERT INTO restriction_changes(national_id, kind, change, at,"
		" basis, rule, recorded_at) VALUES (?,?,?,?,?,?,?)");

	if (!q)
		return MU_EIO;
	bind_text(q, 1, c->national_id);
	bind_text(q, 2, restr_kind_name(c->kind));
	bind_text(q, 3, c->imposed ? "imposed" : "lifted");
	sqlite3_bind_int64(q, 4, c->at);
	bind_text(q, 5, c->basis);
	bind_text(q, 6, c->rule);
	sqlite3_bind_int64(q, 7, now);
	return step_done(s, q, err);
}

static enum mu_err put_state(struct sq_store *s, const char *nid,
			     const struct restr_state *rs, struct mu_error *err)
{
	sqlite3_stmt *d = sq_stmt(&s->w, "DELETE FROM restrictions WHERE national_id = ?");
	sqlite3_stmt *q;
	enum mu_err rc;

	if (!d)
		return MU_EIO;
	bind_text(d, 1, nid);
	if ((rc = step_done(s, d, err)))
		return rc;
	for (int k = 0; k < RK__COUNT; k++) {
		if (!rs->imposed[k])
			continue;
		q = sq_stmt(&s->w, "INSERT INTO restrictions(national_id, kind,"
			    " since, basis, feed_at) VALUES (?,?,?,?,?)");
		if (!q)
			return MU_EIO;
		bind_text(q, 1, nid);
		bind_text(q, 2, restr_kind_name(k));
		sqlite3_bind_int64(q, 3, rs->since[k]);
		bind_text(q, 4, rs->basis[k]);
		sqlite3_bind_int64(q, 5, rs->feed_at[k]); /* 0: as since (sq_restr_rows) */
		if ((rc = step_done(s, q, err)))
			return rc;
	}
	q = sq_stmt(&s->w, "UPDATE persons SET pver = pver + 1, reconciled_at = ?,"
		    " next_due = ? WHERE national_id = ?");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, rs->reconciled_at);
	if (rs->next_due == MU_T_NONE)
		sqlite3_bind_null(q, 2);
	else
		sqlite3_bind_int64(q, 2, rs->next_due);
	bind_text(q, 3, nid);
	return step_done(s, q, err);
}

static enum mu_err apply_update(struct sq_store *s, const struct restr_update *u,
				int64_t now, struct mu_error *err)
{
	enum mu_err rc = check_pver(s, u->national_id, u->expect_pver, err);

	for (size_t i = 0; rc == MU_OK && i < u->n_changes; i++)
		rc = put_change(s, &u->changes[i], now, err);
	if (rc == MU_OK)
		rc = put_state(s, u->national_id, u->state, err);
	return rc;
}

static enum mu_err m_restr_get(struct store *st, const char *nid,
			       struct restr_state *out)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	enum mu_err rc = MU_ENOTFOUND;
	READER(s, c);

	memset(out, 0, sizeof(*out));
	q = sq_stmt(c, "SELECT pver, reconciled_at, next_due FROM persons"
		    " WHERE national_id = ?");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, nid);
	if (sqlite3_step(q) == SQLITE_ROW) {
		out->pver = sqlite3_column_int64(q, 0);
		out->reconciled_at = sqlite3_column_int64(q, 1);
		out->next_due = sqlite3_column_type(q, 2) == SQLITE_NULL
					? MU_T_NONE : sqlite3_column_int64(q, 2);
		rc = MU_OK;
	}
	sqlite3_reset(q);
	return rc ? rc : sq_restr_rows(c, nid, out);
}

enum mu_err sq_restr_rows(struct sq_conn *c, const char *nid, struct restr_state *out)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT kind, since, basis, feed_at FROM restrictions"
				  " WHERE national_id = ?");
	int rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, nid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int k = restr_kind_parse(SQ_TEXT(q, 0));
		if (k < 0)
			continue;
		out->imposed[k] = 1;
		out->since[k] = sqlite3_column_int64(q, 1);
		SQ_COPY(out->basis[k], q, 2);
		out->feed_at[k] = sqlite3_column_int64(q, 3);
		if (!out->feed_at[k]) /* a row from before migration 015 */
			out->feed_at[k] = out->since[k];
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? MU_OK : MU_EIO;
}

struct restr_job { const struct restr_update *u; const struct audit_ctx *a; };

static enum mu_err j_restr_apply(struct sq_store *s, void *arg,
				 struct mu_error *err)
{
	struct restr_job *j = arg;
	enum mu_err rc = apply_update(s, j->u, j->a ? j->a->at : 0, err);

	if (rc || !j->u->n_changes)
		return rc;
	return audit_write(s, j->a, "restrictions.reconcile", "person",
			   j->u->national_id, j->u->national_id,
			   json_pack("{s:I}", "changes", (json_int_t)j->u->n_changes),
			   NULL);
}

static enum mu_err m_restr_apply(struct store *st, const struct restr_update *u,
				 const struct audit_ctx *a)
{
	struct restr_job j = {u, a};
	return sq_write((struct sq_store *)st, j_restr_apply, &j, NULL);
}

static enum mu_err m_due_persons(struct store *st, int64_t now,
				 char (*out)[NATIONAL_ID_MAX + 1], size_t cap,
				 size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	READER(s, c);

	q = sq_stmt(c, "SELECT national_id FROM persons WHERE next_due IS NOT NULL"
		    " AND next_due <= ? ORDER BY next_due LIMIT ?");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)cap);
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW) {
		snprintf(out[*n], NATIONAL_ID_MAX + 1, "%s", SQ_TEXT(q, 0));
		(*n)++;
	}
	sqlite3_reset(q);
	return MU_OK;
}

static enum mu_err m_feed_read(struct store *st, int64_t after, size_t limit,
			       struct restr_change *out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *q;
	READER(s, c);

	q = sq_stmt(c, "SELECT cursor, national_id, kind, change, at, basis, rule,"
		    " recorded_at FROM restriction_changes WHERE cursor > ?"
		    " ORDER BY cursor LIMIT ?");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)limit);
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
	}
	sqlite3_reset(q);
	return MU_OK;
}

/* ---- summonses and events ------------------------------------------- */

struct summons_job {
	const struct summons *sm;
	const struct restr_update *u;
	const struct audit_ctx *a;
	const char *summons_id;
	const struct event_rec *ev;
	int64_t seq;
};

static enum mu_err put_event(struct sq_store *s, const char *sid,
			     const struct event_rec *e, int64_t audit_idx,
			     int64_t *seq, struct mu_error *err)
{
	sqlite3_stmt *q = sq_stmt(&s->w,
		"INSERT INTO summons_events(summons_id, type, at, recorded_at,"
		" new_report_at, outcome, actor, actor_role, reference, audit_idx)"
		" VALUES (?,?,?,?,?,?,?,?,?,?)");
	enum mu_err rc;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, sid);
	bind_text(q, 2, ev_type_name(e->ev.type));
	sqlite3_bind_int64(q, 3, e->ev.at);
	sqlite3_bind_int64(q, 4, e->ev.recorded_at);
	if (e->ev.new_report_at == MU_T_NONE)
		sqlite3_bind_null(q, 5);
	else
		sqlite3_bind_int64(q, 5, e->ev.new_report_at);
	bind_text(q, 6, e->ev.outcome == AO_UPHELD ? "upheld" :
			e->ev.outcome == AO_REJECTED ? "rejected" : "");
	bind_text(q, 7, e->actor);
	bind_text(q, 8, e->actor_role);
	bind_text(q, 9, e->reference);
	sqlite3_bind_int64(q, 10, audit_idx);
	if ((rc = step_done(s, q, err)))
		return rc;
	if (seq)
		*seq = sqlite3_last_insert_rowid(s->w.db);
	return MU_OK;
}

static enum mu_err j_summons_create(struct sq_store *s, void *arg,
				    struct mu_error *err)
{
	struct summons_job *j = arg;
	const struct summons *sm = j->sm;
	sqlite3_stmt *q;
	struct event_rec e;
	int64_t idx;
	enum mu_err rc = apply_update(s, j->u, j->a ? j->a->at : 0, err);

	if (rc)
		return rc;
	q = sq_stmt(&s->w, "INSERT INTO summonses(id, national_id, office, purpose,"
		    " issued_at, report_at, verification_code, created_by, campaign)"
		    " VALUES (?,?,?,?,?,?,?,?,?)");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, sm->id);
	bind_text(q, 2, sm->national_id);
	bind_text(q, 3, sm->office);
	bind_text(q, 4, purpose_name(sm->purpose));
	sqlite3_bind_int64(q, 5, sm->issued_at);
	sqlite3_bind_int64(q, 6, sm->report_at);
	bind_text(q, 7, sm->verification_code);
	bind_text(q, 8, sm->created_by);
	bind_text(q, 9, sm->campaign);
	if ((rc = step_done(s, q, err)))
		return rc;
	rc = audit_write(s, j->a, "summons.issue", "summons", sm->id, sm->national_id,
			 json_pack("{s:s, s:s, s:I}", "office", sm->office, "purpose",
				   purpose_name(sm->purpose), "report_at",
				   (json_int_t)sm->report_at), &idx);
	if (rc)
		return rc;
	memset(&e, 0, sizeof(e));
	e.ev.at = e.ev.recorded_at = sm->issued_at;
	e.ev.new_report_at = MU_T_NONE;
	snprintf(e.actor, sizeof(e.actor), "%s", sm->created_by);
	snprintf(e.actor_role, sizeof(e.actor_role), "%s",
		 j->a && j->a->role ? j->a->role : "cli");
	e.ev.type = EV_ISSUED;
	if ((rc = put_event(s, sm->id, &e, idx, NULL, err)))
		return rc;
	e.ev.type = EV_PUBLISHED;
	snprintf(e.actor_role, sizeof(e.actor_role), "system");
	return put_event(s, sm->id, &e, idx, NULL, err);
}

static enum mu_err m_summons_create(struct store *st, const struct summons *sm,
				    const struct restr_update *u,
				    const struct audit_ctx *a, struct mu_error *err)
{
	struct summons_job j = {.sm = sm, .u = u, .a = a};
	return sq_write((struct sq_store *)st, j_summons_create, &j, err);
}

static enum mu_err j_event_append(struct sq_store *s, void *arg,
				  struct mu_error *err)
{
	struct summons_job *j = arg;
	const struct event_rec *e = j->ev;
	int64_t idx;
	char at[MU_RFC3339_MAX];
	enum mu_err rc = apply_update(s, j->u, j->a ? j->a->at : 0, err);
	json_t *d;

	if (rc)
		return rc;
	mu_time_format(e->ev.at, at, sizeof(at));
	d = json_pack("{s:s, s:s}", "type", ev_type_name(e->ev.type), "at", at);
	if (e->reference[0])
		json_object_set_new(d, "reference", json_string(e->reference));
	rc = audit_write(s, j->a, "summons.event", "summons", j->summons_id,
			 j->u->national_id, d, &idx);
	if (rc)
		return rc;
	return put_event(s, j->summons_id, e, idx, &j->seq, err);
}

static enum mu_err m_event_append(struct store *st, const char *sid,
				  const struct event_rec *ev,
				  const struct restr_update *u,
				  const struct audit_ctx *a, int64_t *seq,
				  struct mu_error *err)
{
	struct summons_job j = {.u = u, .a = a, .summons_id = sid, .ev = ev};
	enum mu_err rc = sq_write((struct sq_store *)st, j_event_append, &j, err);

	if (seq)
		*seq = rc ? 0 : j.seq;
	return rc;
}


struct events_job {
	struct event_batch_item *v;
	size_t n;
	const struct audit_ctx *a;
};

static enum mu_err j_event_append_many(struct sq_store *s, void *arg,
				       struct mu_error *err)
{
	struct events_job *j = arg;
	enum mu_err rc = MU_OK;

	for (size_t i = 0; rc == MU_OK && i < j->n; i++) {
		struct summons_job one = {.u = j->v[i].u, .a = j->a,
					  .summons_id = j->v[i].summons_id, .ev = j->v[i].ev};
		struct mu_error e2 = {0};
		/* the person moved on: nothing is written for this one, the
		 * caller retries it alone. Checked here, before any write: any
		 * later failure, a conflict included, fails the transaction
		 * (a half-written item must not commit with the others). */
		if (check_pver(s, j->v[i].u->national_id, j->v[i].u->expect_pver, &e2) ==
		    MU_ECONFLICT) {
			j->v[i].rc = MU_ECONFLICT;
			continue;
		}
		rc = j->v[i].rc = j_event_append(s, &one, &e2);
		if (rc && err)
			*err = e2;
	}
	return rc;
}

static enum mu_err m_event_append_many(struct store *st, struct event_batch_item *v, size_t n,
				       const struct audit_ctx *a, struct mu_error *err)
{
	struct events_job j = {v, n, a};

	return sq_write((struct sq_store *)st, j_event_append_many, &j, err);
}

static void row_summons(sqlite3_stmt *q, struct summons_rec *r)
{
	memset(r, 0, sizeof(*r));
	SQ_COPY(r->s.id, q, 0);
	SQ_COPY(r->s.national_id, q, 1);
	SQ_COPY(r->s.office, q, 2);
	r->s.purpose = purpose_parse(SQ_TEXT(q, 3));
	r->s.issued_at = sqlite3_column_int64(q, 4);
	r->s.report_at = sqlite3_column_int64(q, 5);
	SQ_COPY(r->s.verification_code, q, 6);
	SQ_COPY(r->s.created_by, q, 7);
	SQ_COPY(r->s.campaign, q, 8);
	SQ_COPY(r->zone, q, 9);
	SQ_COPY(r->office_name, q, 10);
}

static void row_event(sqlite3_stmt *q, struct event_rec *m)
{
	const char *oc;

	memset(m, 0, sizeof(*m));
	m->ev.seq = sqlite3_column_int64(q, 0);
	m->ev.type = ev_type_parse(SQ_TEXT(q, 1));
	m->ev.at = sqlite3_column_int64(q, 2);
	m->ev.recorded_at = sqlite3_column_int64(q, 3);
	m->ev.new_report_at = sqlite3_column_type(q, 4) == SQLITE_NULL
				      ? MU_T_NONE : sqlite3_column_int64(q, 4);
	oc = SQ_TEXT(q, 5);
	m->ev.outcome = !strcmp(oc, "upheld") ? AO_UPHELD :
			!strcmp(oc, "rejected") ? AO_REJECTED : AO_NONE;
	SQ_COPY(m->actor, q, 6);
	SQ_COPY(m->actor_role, q, 7);
	SQ_COPY(m->reference, q, 8);
	m->audit_idx = sqlite3_column_int64(q, 9);
}

static enum mu_err load_events(struct sq_conn *c, struct summons_rec *r)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT seq, type, at, recorded_at,"
				  " new_report_at, outcome, actor, actor_role,"
				  " reference, audit_idx FROM summons_events"
				  " WHERE summons_id = ? ORDER BY seq");
	size_t cap = 0;

	if (!q)
		return MU_EIO;
	bind_text(q, 1, r->s.id);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (r->n_events == cap) {
			struct event_rec *m;
			struct sm_event *e;
			cap = cap ? cap * 2 : 8;
			m = realloc(r->meta, cap * sizeof(*m));
			if (m)
				r->meta = m;
			e = realloc(r->events, cap * sizeof(*e));
			if (e)
				r->events = e;
			if (!m || !e) {
				sqlite3_reset(q);
				return MU_ENOMEM;
			}
		}
		row_event(q, &r->meta[r->n_events]);
		r->events[r->n_events] = r->meta[r->n_events].ev;
		r->n_events++;
	}
	sqlite3_reset(q);
	return MU_OK;
}

static enum mu_err m_summons_get(struct store *st, const char *id,
				 struct summons_rec **out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct summons_rec *r;
	sqlite3_stmt *q;
	enum mu_err rc;
	READER(s, c);

	q = sq_stmt(c, "SELECT " SUMMONS_COLS " FROM summonses s JOIN offices o"
		    " ON o.id = s.office WHERE s.id = ?");
	if (!q)
		return MU_EIO;
	bind_text(q, 1, id);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		return MU_ENOTFOUND;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		sqlite3_reset(q);
		return MU_ENOMEM;
	}
	row_summons(q, r);
	sqlite3_reset(q);
	rc = load_events(c, r);
	if (rc) {
		summons_rec_free(r);
		return rc;
	}
	*out = r;
	return MU_OK;
}

enum mu_err sq_load_set(struct sq_conn *c, sqlite3_stmt *q, struct summons_set *set)
{
	size_t cap = set->n;
	enum mu_err rc = MU_OK;

	while (rc == MU_OK && sqlite3_step(q) == SQLITE_ROW) {
		if (set->n == cap) {
			struct summons_rec *nw;
			cap = cap ? cap * 2 : 4;
			nw = realloc(set->items, cap * sizeof(*nw));
			if (!nw) {
				rc = MU_ENOMEM;
				break;
			}
			set->items = nw;
		}
		row_summons(q, &set->items[set->n++]);
	}
	sqlite3_reset(q);
	for (size_t i = 0; rc == MU_OK && i < set->n; i++)
		rc = load_events(c, &set->items[i]);
	return rc;
}

static enum mu_err load_person_summonses(struct sq_conn *c, const char *nid,
					 struct summons_set *set)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT " SUMMONS_COLS " FROM summonses s"
				  " JOIN offices o ON o.id = s.office"
				  " WHERE s.national_id = ? ORDER BY s.issued_at, s.id");

	if (!q)
		return MU_EIO;
	bind_text(q, 1, nid);
	return sq_load_set(c, q, set);
}

static enum mu_err m_summons_of_person(struct store *st, const char *nid,
				       struct summons_set **out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct summons_set *set;
	sqlite3_stmt *q;
	enum mu_err rc;
	READER(s, c);

	set = calloc(1, sizeof(*set));
	if (!set)
		return MU_ENOMEM;
	/* one read transaction: the summonses and pver agree */
	sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
	q = sq_stmt(c, "SELECT pver FROM persons WHERE national_id = ?");
	rc = q ? MU_OK : MU_EIO;
	if (q) {
		bind_text(q, 1, nid);
		if (sqlite3_step(q) == SQLITE_ROW)
			set->pver = sqlite3_column_int64(q, 0);
		else
			rc = MU_ENOTFOUND;
		sqlite3_reset(q);
	}
	if (rc == MU_OK)
		rc = load_person_summonses(c, nid, set);
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		summons_set_free(set);
		return rc;
	}
	*out = set;
	return MU_OK;
}

/* ---- audit: the methods are in sqlite_audit.c ----------------------- */

#include "store/sqlite_bulk.h"
#include "store/sqlite_portal.h"
/* Exported for the other sqlite_*.c files (see sqlite_int.h). */
void sq_row_person(sqlite3_stmt *q, struct person *p)
{
	row_person(q, p);
}

void sq_row_summons(sqlite3_stmt *q, struct summons_rec *r)
{
	row_summons(q, r);
}

enum mu_err sq_load_events(struct sq_conn *c, struct summons_rec *r)
{
	return load_events(c, r);
}

enum mu_err sq_audit_write(struct sq_store *s, const struct audit_ctx *a,
			   const char *action, const char *stype, const char *sid,
			   const char *person, json_t *detail, int64_t *idx)
{
	return audit_write(s, a, action, stype, sid, person, detail, idx);
}

const struct store_ops sq_ops = {
	.name = "sqlite",
	.meta_get = m_meta_get,
	.meta_set = m_meta_set,
	.office_create = m_office_create,
	.office_get = m_office_get,
	.office_list = m_office_list,
	.office_has_summonses = m_office_has_summonses,
	.person_put = m_person_put,
	.person_put_many = m_person_put_many,
	.person_get = m_person_get,
	.person_list = m_person_list,
	.person_history = m_person_history,
	.token_create = m_token_create,
	.token_lookup = m_token_lookup,
	.token_list = m_token_list,
	.token_revoke = m_token_revoke,
	.summons_create = m_summons_create,
	.summons_get = m_summons_get,
	.summons_of_person = m_summons_of_person,
	.event_append = m_event_append,
	.event_append_many = m_event_append_many,
	.restr_get = m_restr_get,
	.restr_apply = m_restr_apply,
	.due_persons = m_due_persons,
	.feed_read = m_feed_read,
	.audit_append = sq_m_audit_append,
	.audit_read = sq_audit_read,
	.audit_list = sq_m_audit_list,
	.audit_verify = sq_m_audit_verify,
	.flush = sq_flush,
	.reads_done = sq_reads_done,
	.restr_check = sqf_restr_check,
	.feed_read_kind = sqf_feed_read_kind,
	.feed_ack = sqf_feed_ack,
	.feed_lags = sqf_feed_lags,
	.campaign_scan = sqc_campaign_scan,
	.campaign_put = sqc_campaign_put,
	.campaign_get = sqc_campaign_get,
	.campaign_list = sqc_campaign_list,
	.campaign_members = sqc_campaign_members,
	.campaign_member_scan = sqc_campaign_member_scan,
	.slots_taken = sqc_slots_taken,
	.campaign_issue = sqc_campaign_issue,
	.campaign_cancel = sqc_campaign_cancel,
	.campaign_summonses = sqc_campaign_summonses,
	.campaign_summons_ids = sqc_campaign_summons_ids,
	.summons_by_code = sqch_summons_by_code,
	.summonses_issued = sqch_summonses_issued,
	.notify_events = sqn_notify_events,
	.notices_add = sqn_notices_add,
	.notices_due = sqn_notices_due,
	.notice_result = sqn_notice_result,
	.notices_list = sqn_notices_list,
	.audit_key = sq_m_audit_key,
	.audit_head = sq_m_audit_head,
	.audit_publish = sq_m_audit_publish,
	.audit_get = sq_m_audit_get,
	.audit_size = sq_m_audit_size,
	.audit_inclusion = sq_m_audit_inclusion,
	.audit_consistency = sq_m_audit_consistency,
	.audit_append_many = sq_m_audit_append_many,
	.import_begin = sqb_import_begin,
	.import_batches = sqb_import_batches,
	.import_end = sqb_import_end,
	.dup_list = sqb_dup_list,
	.dup_get = sqb_dup_get,
	.dup_resolve = sqb_dup_resolve,
	.person_provenance = sqb_person_provenance,
	.person_import_audits = sqb_person_import_audits,
	.due_of_person = sqd_due_of_person,
	.due_owner = sqd_due_owner,
	.fitness_add = sqd_fitness_add,
	.exemption_add = sqd_exemption_add,
	.exemption_revoke = sqd_exemption_revoke,
	.override_add = sqd_override_add,
	.override_step = sqd_override_step,
	.override_list = sqd_override_list,
	.excuse_add = sqd_excuse_add,
	.excuse_decide = sqd_excuse_decide,
	.appeal_add = sqd_appeal_add,
	.appeal_decide = sqd_appeal_decide,
	.correction_add = sqd_correction_add,
	.correction_decide = sqd_correction_decide,
	.correction_overdue = sqd_correction_overdue,
	.account_set = sqp_account_set,
	.account_get = sqp_account_get,
	.channels_put = sqp_channels_put,
	.channels_get = sqp_channels_get,
	.nonce_claim = sqp_nonce_claim,
	.pushes_due = sqp_pushes_due,
	.push_result = sqp_push_result,
};
