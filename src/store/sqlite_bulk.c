/*
 * sqlite_bulk.c: the bulk-import methods of the SQLite backend.
 *
 * The import's dedicated write path (see store.h, "bulk import"). Each
 * batch is one write job on the writer thread: one BEGIN IMMEDIATE ...
 * COMMIT holding tens of thousands of rows, the run's progress (so a crash
 * leaves whole batches and a place to resume) and one audit entry for the
 * batch. synchronous stays FULL: a batch's commit is durable like any other
 * write; what buys the speed is doing many rows per commit with prepared
 * statements, rows sorted by key within a batch, and a page cache sized for
 * the batch (BULK_CACHE_KIB) while the run lasts.
 *
 * The audit entry of a batch names the batch and carries a SHA-256 over
 * "national_id:version\n" of every person version the batch wrote, in
 * national_id order; person_history.import_batch lets an auditor recompute
 * it. Per-row audit entries would double the work of an import and bury
 * the API's entries; per-batch entries with a digest keep every change
 * attributable and verifiable. Offices are few and keep an entry each.
 *
 * This file validates nothing: rows arrive checked by the importer with
 * domain/ (the same code as the HTTP API). It only merges (a NULL value
 * keeps the stored one), compares, writes and keys persons for duplicate
 * matching (ingest/match.h).
 */
#include "store/sqlite_int.h"
#include "store/sqlite_bulk.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/codec.h"
#include "ingest/match.h"

#define BULK_CACHE_KIB 65536   /* page cache of the writer during a run */
#define BULK_STR_(x) #x
#define MU_STR(x) BULK_STR_(x)
#define BULK_NP 12             /* person columns */

static const char *const kind_names[] = {"offices", "persons", "removals"};

/* ---- small helpers ---------------------------------------------------- */

static void bind_txt(sqlite3_stmt *q, int i, const char *v)
{
	sqlite3_bind_text(q, i, v ? v : "", -1, SQLITE_STATIC);
}

static enum mu_err step(struct sq_store *s, sqlite3_stmt *q, uint64_t line,
			struct mu_error *err)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return MU_OK;
	if (line)
		return mu_fail(err, MU_EIO, NULL, "line %llu: storage error: %s",
			       (unsigned long long)line, sqlite3_errmsg(s->w.db));
	return sq_err(s->w.db, rc, err);
}

#define STMT(q, sql)                          \
	sqlite3_stmt *q = sq_stmt(&s->w, sql); \
	if (!q)                               \
		return MU_EIO

/* Append an audit entry with a JSON detail (stolen). */
static enum mu_err audit_json(struct sq_store *s, const struct audit_ctx *a,
			      const char *action, const char *stype,
			      const char *sid, json_t *detail, int64_t *idx)
{
	struct audit_entry e;
	enum mu_err rc;
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	audit_entry_from_ctx(&e, a, action, stype, sid, "");
	if (d && strlen(d) < sizeof(e.detail))
		snprintf(e.detail, sizeof(e.detail), "%s", d);
	free(d);
	json_decref(detail);
	rc = sq_audit_put(s, &e);
	if (idx)
		*idx = e.idx;
	return rc;
}

static json_t *str_or(const char *s)
{
	json_t *j = json_string(s);
	return j ? j : json_string("?");
}

/* ---- begin and end of a run ------------------------------------------- */

static const char SQL_RUN_FIND[] =
	"SELECT id, last_key, batches, rows_read, inserted, updated, unchanged,"
	" rejected, flagged, cancelled FROM import_runs WHERE kind = ?1 AND"
	" digest = ?2 AND state IN ('running', 'failed') ORDER BY id DESC LIMIT 1";

struct begin_job {
	struct import_run *run;
	int resume;
	const struct audit_ctx *a;
};

static int find_running(struct sq_store *s, struct import_run *run)
{
	sqlite3_stmt *q = sq_stmt(&s->w, SQL_RUN_FIND);
	int found = 0;

	if (!q)
		return -1;
	bind_txt(q, 1, kind_names[run->kind]);
	sqlite3_bind_blob(q, 2, run->digest, 32, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		uint64_t *c[] = {&run->c.read, &run->c.inserted, &run->c.updated,
				 &run->c.unchanged, &run->c.rejected, &run->c.flagged,
				 &run->c.cancelled};
		run->id = sqlite3_column_int64(q, 0);
		SQ_COPY(run->last_key, q, 1);
		run->batches = sqlite3_column_int64(q, 2);
		for (int i = 0; i < 7; i++)
			*c[i] = (uint64_t)sqlite3_column_int64(q, 3 + i);
		found = 1;
	}
	sqlite3_reset(q);
	return found;
}

static enum mu_err abandon_running(struct sq_store *s, struct import_run *run,
				   int64_t at, struct mu_error *err)
{
	struct import_run old = *run;
	int found = find_running(s, &old);
	STMT(q, "UPDATE import_runs SET state = 'abandoned', finished_at = ?2"
		" WHERE id = ?1");

	if (found < 0)
		return MU_EIO;
	run->abandoned = found ? old.id : 0;
	if (!found)
		return MU_OK;
	sqlite3_bind_int64(q, 1, old.id);
	sqlite3_bind_int64(q, 2, at);
	return step(s, q, 0, err);
}

static enum mu_err j_begin(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct begin_job *j = arg;
	struct import_run *run = j->run;
	int64_t at = j->a ? j->a->at : 0;
	char hex[65], sid[32];
	enum mu_err rc;
	int found;

	if (j->resume) {
		found = find_running(s, run);
		if (found <= 0)
			return found < 0 ? MU_EIO : mu_fail(err, MU_ENOTFOUND, NULL,
				"no interrupted or failed import of this file to resume");
	} else {
		STMT(q, "INSERT INTO import_runs(kind, source, file_name, digest,"
			" options, state, started_at) VALUES (?,?,?,?,?,'running',?)");
		if ((rc = abandon_running(s, run, at, err)))
			return rc;
		bind_txt(q, 1, kind_names[run->kind]);
		bind_txt(q, 2, run->source);
		bind_txt(q, 3, run->file);
		sqlite3_bind_blob(q, 4, run->digest, 32, SQLITE_STATIC);
		bind_txt(q, 5, run->options);
		sqlite3_bind_int64(q, 6, at);
		if ((rc = step(s, q, 0, err)))
			return rc;
		run->id = sqlite3_last_insert_rowid(s->w.db);
	}
	sodium_bin2hex(hex, sizeof(hex), run->digest, 32);
	snprintf(sid, sizeof(sid), "run-%lld", (long long)run->id);
	/* a bounded page cache and no memory map for the run: pages an import
	 * touches through a map would count against the process's memory, and
	 * an import touches them all */
	sqlite3_exec(s->w.db, "PRAGMA cache_size=-" MU_STR(BULK_CACHE_KIB), NULL, NULL, NULL);
	sqlite3_exec(s->w.db, "PRAGMA mmap_size=0", NULL, NULL, NULL);
	return audit_json(s, j->a, j->resume ? "import.resume" : "import.begin",
			  "import", sid,
			  json_pack("{s:s, s:o, s:o, s:s, s:s, s:s}", "kind",
				    kind_names[run->kind], "source", str_or(run->source),
				    "file", str_or(run->file), "blake2b", hex,
				    "options", run->options, "after_key",
				    run->last_key), NULL);
}

enum mu_err sqb_import_begin(struct store *st, struct import_run *run, int resume,
			     const struct audit_ctx *a, struct mu_error *err)
{
	struct begin_job j = {run, resume, a};

	if (!resume) {
		run->last_key[0] = 0;
		run->batches = 0;
		memset(&run->c, 0, sizeof(run->c));
	}
	return sq_write((struct sq_store *)st, j_begin, &j, err);
}

struct end_job {
	struct import_run *run;
	int ok;
	const struct audit_ctx *a;
};

static enum mu_err j_end(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct end_job *j = arg;
	const struct import_counts *c = &j->run->c;
	char sid[32];
	enum mu_err rc;
	STMT(q, "UPDATE import_runs SET state = ?2, finished_at = ?3, rows_read = ?4,"
		" rejected = ?5, cancelled = ?6 WHERE id = ?1");

	sqlite3_bind_int64(q, 1, j->run->id);
	bind_txt(q, 2, j->ok ? "done" : "failed");
	sqlite3_bind_int64(q, 3, j->a ? j->a->at : 0);
	sqlite3_bind_int64(q, 4, (int64_t)c->read);
	sqlite3_bind_int64(q, 5, (int64_t)c->rejected);
	sqlite3_bind_int64(q, 6, (int64_t)c->cancelled);
	if ((rc = step(s, q, 0, err)))
		return rc;
	sqlite3_exec(s->w.db, "PRAGMA cache_size=-2000", NULL, NULL, NULL);
	snprintf(sid, sizeof(sid), "run-%lld", (long long)j->run->id);
	return audit_json(s, j->a, "import.end", "import", sid,
			  json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				    "state", j->ok ? "done" : "failed",
				    "read", (json_int_t)c->read,
				    "inserted", (json_int_t)c->inserted,
				    "updated", (json_int_t)c->updated,
				    "unchanged", (json_int_t)c->unchanged,
				    "rejected", (json_int_t)c->rejected,
				    "flagged", (json_int_t)c->flagged,
				    "cancelled", (json_int_t)c->cancelled), NULL);
}

enum mu_err sqb_import_end(struct store *st, struct import_run *run, int ok,
			   const struct audit_ctx *a, struct mu_error *err)
{
	struct end_job j = {run, ok, a};
	return sq_write((struct sq_store *)st, j_end, &j, err);
}

/* ---- one batch -------------------------------------------------------- */

struct pend_key {
	int64_t k;
	size_t i;                          /* row of the batch */
};

struct bulk_job {
	struct import_batch *b;
	struct pend_key *pend;             /* new persons to key, b->n of room */
	size_t n_pend;
	const struct audit_ctx *a;
	int64_t at;
	int64_t batch_id;
	int64_t *ver;                      /* the version written of each row, or 0 */
	uint8_t *old;                      /* persons: the row's id is stored */
	uint64_t versions;
	char *json;                        /* history record being built */
	size_t json_len, json_cap;
	char text[2][MATCH_KEY_MAX];       /* matching texts */
};

static const char SQL_P_GET[] =
	"SELECT national_id, family_name, given_name, patronymic, birth_date, sex,"
	" region, office, address, phone, email, fitness, status, removal_reason,"
	" removal_date, version, source FROM persons WHERE national_id = ?";

/* ---- history records (the JSON person_to_json makes) ---- */

static int json_room(struct bulk_job *j, size_t more)
{
	char *nw;
	size_t cap;

	if (j->json_len + more + 1 <= j->json_cap)
		return 0;
	cap = (j->json_len + more + 1) * 2;
	nw = realloc(j->json, cap);
	if (!nw)
		return -1;
	j->json = nw;
	j->json_cap = cap;
	return 0;
}

static int json_put_str(struct bulk_job *j, const char *key, const char *v)
{
	static const char hexd[] = "0123456789abcdef";
	size_t kl = strlen(key), vl = strlen(v);
	char *o;

	if (json_room(j, kl + 6 * vl + 8))
		return -1;
	o = j->json + j->json_len;
	if (j->json_len > 1)
		*o++ = ',';
	*o++ = '"';
	memcpy(o, key, kl);
	o += kl;
	*o++ = '"';
	*o++ = ':';
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = hexd[*p >> 4];
			o[5] = hexd[*p & 15];
			o += 6;
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	j->json_len = (size_t)(o - j->json);
	return 0;
}

/* The record of a person version: vals are the 12 columns. */
static const char *history_json(struct bulk_job *j, const char *const *vals,
				const char *status, const char *reason,
				const char *date, int64_t version,
				const char *source)
{
	static const char *const cols[BULK_NP] = {
		"national_id", "family_name", "given_name", "patronymic",
		"birth_date", "sex", "region", "office", "address", "phone",
		"email", "fitness"};
	char num[48];
	int bad = 0;

	j->json_len = 0;
	if (json_room(j, 1))
		return NULL;
	j->json[j->json_len++] = '{';
	/* empty columns and an active status are left out: the history reader
	 * (person_from_json) takes a missing key as empty, and the record is
	 * written once per person per version, so bytes count */
	for (int i = 0; i < BULK_NP; i++)
		if (i == 0 || (vals[i] && vals[i][0]))
			bad |= json_put_str(j, cols[i], vals[i] ? vals[i] : "");
	if (!strcmp(status, "removed")) {
		bad |= json_put_str(j, "status", status);
		bad |= json_put_str(j, "removal_reason", reason);
		bad |= json_put_str(j, "removal_date", date);
	}
	bad |= json_put_str(j, "source", source);
	snprintf(num, sizeof(num), ",\"version\":%lld}", (long long)version);
	if (bad || json_room(j, strlen(num)))
		return NULL;
	memcpy(j->json + j->json_len, num, strlen(num) + 1);
	return j->json;
}

/* The batch wrote version `version` of row r's person (the persons row,
 * with import_batch = this batch). */
static void note_version(struct bulk_job *j, const struct import_row *r, int64_t version)
{
	j->ver[r - j->b->rows] = version;
	j->versions++;
}

/* SHA-256 over "national_id:version\n" of the versions written, in
 * national_id order (the rows' order): docs/import.md has the recipe. */
static void versions_digest(const struct bulk_job *j, unsigned char h[32])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < j->b->n; i++) {
		char tag[NATIONAL_ID_MAX + 24];
		int n;
		if (!j->ver[i])
			continue;
		n = snprintf(tag, sizeof(tag), "%s:%lld\n", j->b->rows[i].v[0],
			     (long long)j->ver[i]);
		crypto_hash_sha256_update(&st, (const unsigned char *)tag, (size_t)n);
	}
	crypto_hash_sha256_final(&st, h);
}

/* ---- duplicate candidates ---- */

static int same_text_of(struct sq_store *s, const char *nid, const char *text,
			const char *address, int *same_address)
{
	char other[MATCH_KEY_MAX], a1[ADDRESS_MAX_LEN * 4 + 1], a2[ADDRESS_MAX_LEN * 4 + 1];
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT family_name, given_name, patronymic,"
				  " birth_date, address FROM persons WHERE national_id = ?");
	int same = 0;

	if (!q)
		return -1;
	bind_txt(q, 1, nid);
	if (sqlite3_step(q) == SQLITE_ROW) {
		match_text(SQ_TEXT(q, 0), SQ_TEXT(q, 1), SQ_TEXT(q, 2), SQ_TEXT(q, 3),
			   other, sizeof(other));
		same = !strcmp(other, text);
		match_norm(SQ_TEXT(q, 4), a1, sizeof(a1));
		match_norm(address ? address : "", a2, sizeof(a2));
		*same_address = a1[0] && !strcmp(a1, a2);
	}
	sqlite3_reset(q);
	return same;
}

static enum mu_err flag_pair(struct sq_store *s, struct bulk_job *j,
			     const char *x, const char *y, int same_address,
			     struct mu_error *err)
{
	enum mu_err rc;
	STMT(q, "INSERT INTO duplicate_candidates(a, b, same_address, found_at,"
		" run_id) VALUES (?,?,?,?,?) ON CONFLICT(a, b) DO NOTHING");

	bind_txt(q, 1, strcmp(x, y) < 0 ? x : y);
	bind_txt(q, 2, strcmp(x, y) < 0 ? y : x);
	sqlite3_bind_int(q, 3, same_address);
	sqlite3_bind_int64(q, 4, j->at);
	sqlite3_bind_int64(q, 5, j->b->run->id);
	if ((rc = step(s, q, 0, err)))
		return rc;
	j->b->c.flagged += (uint64_t)sqlite3_changes(s->w.db);
	return MU_OK;
}

/* Key person nid (names v[1..4], key k) and flag the other ids with the
 * same key whose names really match (k is a hash). */
static enum mu_err key_person_k(struct sq_store *s, struct bulk_job *j,
				const char *nid, const char *const *v,
				const char *address, int64_t k,
				struct mu_error *err)
{
	char others[IMPORT_DUP_GROUP_MAX][NATIONAL_ID_MAX + 1];
	size_t n = 0;
	enum mu_err rc;
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT national_id FROM person_keys"
				  " WHERE k = ?1 AND national_id <> ?2 LIMIT "
				  MU_STR(IMPORT_DUP_GROUP_MAX));
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, k);
	bind_txt(q, 2, nid);
	while (n < IMPORT_DUP_GROUP_MAX && sqlite3_step(q) == SQLITE_ROW)
		SQ_COPY(others[n++], q, 0);
	sqlite3_reset(q);
	if (n)
		match_text(v[1], v[2], v[3], v[4], j->text[0], sizeof(j->text[0]));
	for (size_t i = 0; i < n; i++) {
		int same_addr = 0, same = same_text_of(s, others[i], j->text[0],
						       address, &same_addr);
		if (same < 0)
			return MU_EIO;
		if (same && (rc = flag_pair(s, j, nid, others[i], same_addr, err)))
			return rc;
	}
	q = sq_stmt(&s->w, "INSERT INTO person_keys(k, national_id) VALUES (?, ?)"
		    " ON CONFLICT DO NOTHING");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, k);
	bind_txt(q, 2, nid);
	return step(s, q, 0, err);
}

static int64_t key_of(struct bulk_job *j, const char *const *v)
{
	match_text(v[1], v[2], v[3], v[4], j->text[1], sizeof(j->text[1]));
	return match_key(j->text[1]);
}

static enum mu_err key_person(struct sq_store *s, struct bulk_job *j,
			      const char *nid, const char *const *v,
			      const char *address, struct mu_error *err)
{
	return key_person_k(s, j, nid, v, address, key_of(j, v), err);
}

/* New persons are keyed after the batch's rows, in key order, so the
 * person_keys index is swept once per batch rather than hit at random. */
static int cmp_pend(const void *a, const void *b)
{
	const struct pend_key *x = a, *y = b;
	return x->k < y->k ? -1 : x->k > y->k;
}

static enum mu_err key_pending(struct sq_store *s, struct bulk_job *j,
			       struct mu_error *err)
{
	enum mu_err rc = MU_OK;

	qsort(j->pend, j->n_pend, sizeof(*j->pend), cmp_pend);
	for (size_t i = 0; i < j->n_pend && rc == MU_OK; i++) {
		const struct import_row *r = &j->b->rows[j->pend[i].i];
		rc = key_person_k(s, j, r->v[0], r->v, r->v[8], j->pend[i].k, err);
	}
	return rc;
}

static enum mu_err unkey_person(struct sq_store *s, struct bulk_job *j,
				const char *nid, const char *const *v,
				struct mu_error *err)
{
	STMT(q, "DELETE FROM person_keys WHERE k = ? AND national_id = ?");

	sqlite3_bind_int64(q, 1, key_of(j, v));
	bind_txt(q, 2, nid);
	return step(s, q, 0, err);
}

static int64_t meta_int(struct sq_store *s, const char *key)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT value FROM meta WHERE key = ?");
	int64_t v = 0;

	if (!q)
		return -1;
	bind_txt(q, 1, key);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = strtoll(SQ_TEXT(q, 0), NULL, 10);
	sqlite3_reset(q);
	return v;
}

/* Key the persons written since the last import (through the API). */
static enum mu_err keys_catch_up(struct sq_store *s, struct bulk_job *j,
				 struct mu_error *err)
{
	int64_t mark = meta_int(s, "import.keyed_rowid");
	enum mu_err rc = MU_OK;
	STMT(q, "SELECT national_id, family_name, given_name, patronymic,"
		" birth_date, address FROM persons WHERE rowid > ? ORDER BY rowid");

	if (mark < 0)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, mark);
	while (rc == MU_OK && sqlite3_step(q) == SQLITE_ROW) {
		char nid[NATIONAL_ID_MAX + 1], *v[5], *addr;
		SQ_COPY(nid, q, 0);
		v[0] = nid;
		for (int i = 1; i <= 4; i++)
			v[i] = strdup(SQ_TEXT(q, i));
		addr = strdup(SQ_TEXT(q, 5));
		if (!v[1] || !v[2] || !v[3] || !v[4] || !addr)
			rc = MU_ENOMEM;
		else
			rc = key_person(s, j, nid, (const char *const *)v, addr, err);
		for (int i = 1; i <= 4; i++)
			free(v[i]);
		free(addr);
	}
	sqlite3_reset(q);
	return rc;
}

static enum mu_err keys_mark(struct sq_store *s, struct mu_error *err)
{
	STMT(q, "INSERT INTO meta(key, value) VALUES ('import.keyed_rowid',"
		" CAST((SELECT coalesce(max(rowid), 0) FROM persons) AS TEXT))"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	return step(s, q, 0, err);
}

/* ---- persons ---- */

static enum mu_err person_insert(struct sq_store *s, struct bulk_job *j,
				 const struct import_row *r, int *done,
				 struct mu_error *err)
{
	enum mu_err rc;
	STMT(q, "INSERT INTO persons(national_id, family_name, given_name,"
		" patronymic, birth_date, sex, region, office, address, phone, email,"
		" fitness, status, removal_reason, removal_date, version, updated_at,"
		" source, import_batch, family_key) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
		"?10,?11,?12,'active','','',1,?13,?14,?15,?16)"
		" ON CONFLICT(national_id) DO NOTHING");
	char key[PERSON_KEY_MAX];

	for (int i = 0; i < BULK_NP; i++)
		bind_txt(q, i + 1, r->v[i]);
	sqlite3_bind_int64(q, 13, j->at);
	bind_txt(q, 14, j->b->run->source);
	sqlite3_bind_int64(q, 15, j->batch_id);
	match_norm(r->v[1], key, sizeof(key));
	sqlite3_bind_text(q, 16, key, -1, SQLITE_TRANSIENT);
	if ((rc = step(s, q, r->line, err)))
		return rc;
	*done = sqlite3_changes(s->w.db) == 1;
	if (!*done)
		return MU_OK;
	j->b->c.inserted++;
	note_version(j, r, 1);
	j->pend[j->n_pend].k = key_of(j, r->v);
	j->pend[j->n_pend++].i = (size_t)(r - j->b->rows);
	return MU_OK;
}

/* Keep the record of the stored version (old, a SQL_P_GET row; vals its
 * 12 columns) in the history before a new version replaces it. */
static enum mu_err keep_old(struct sq_store *s, struct bulk_job *j, sqlite3_stmt *old,
			    const char *const *vals, struct mu_error *err)
{
	const char *rec = history_json(j, vals, SQ_TEXT(old, 12), SQ_TEXT(old, 13),
				       SQ_TEXT(old, 14), sqlite3_column_int64(old, 15),
				       SQ_TEXT(old, 16));

	if (!rec)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	return sq_history_keep(s, vals[0], rec, err);
}

static int names_differ(const char *const *a, const char *const *b)
{
	for (int i = 1; i <= 4; i++)
		if (strcmp(a[i], b[i]))
			return 1;
	return 0;
}

/* Whether row r would change nothing in the stored person q (its first
 * BULK_NP columns in person_columns order): an absent value keeps the
 * stored one. */
static int row_same(const struct import_row *r, sqlite3_stmt *q)
{
	for (int i = 1; i < BULK_NP; i++)
		if (r->v[i] && strcmp(r->v[i], SQ_TEXT(q, i)))
			return 0;
	return 1;
}

static enum mu_err person_update(struct sq_store *s, struct bulk_job *j,
				 const struct import_row *r, sqlite3_stmt *old,
				 struct mu_error *err)
{
	const char *was[BULK_NP], *nw[BULK_NP];
	int64_t version = sqlite3_column_int64(old, 15) + 1;
	enum mu_err rc;
	STMT(q, "UPDATE persons SET family_name=?2, given_name=?3, patronymic=?4,"
		" birth_date=?5, sex=?6, region=?7, office=?8, address=?9, phone=?10,"
		" email=?11, fitness=?12, version=?13, updated_at=?14, source=?15,"
		" import_batch=?16, family_key=?17 WHERE national_id=?1");
	char key[PERSON_KEY_MAX];

	for (int i = 0; i < BULK_NP; i++) {
		was[i] = SQ_TEXT(old, i);
		nw[i] = r->v[i] ? r->v[i] : was[i];
	}
	if (row_same(r, old)) {
		j->b->c.unchanged++;
		return MU_OK;
	}
	if ((rc = keep_old(s, j, old, was, err)))
		return rc;
	for (int i = 0; i < BULK_NP; i++)
		bind_txt(q, i + 1, nw[i]);
	sqlite3_bind_int64(q, 13, version);
	sqlite3_bind_int64(q, 14, j->at);
	bind_txt(q, 15, j->b->run->source);
	sqlite3_bind_int64(q, 16, j->batch_id);
	match_norm(nw[1], key, sizeof(key));
	sqlite3_bind_text(q, 17, key, -1, SQLITE_TRANSIENT);
	if ((rc = step(s, q, r->line, err)))
		return rc;
	j->b->c.updated++;
	note_version(j, r, version);
	if (names_differ(was, nw)) {
		rc = unkey_person(s, j, nw[0], was, err);
		if (rc == MU_OK)
			rc = key_person(s, j, nw[0], nw, nw[8], err);
	}
	return rc;
}

/* A person already stored: a new version, or unchanged. */
static enum mu_err person_row(struct sq_store *s, struct bulk_job *j,
			      struct import_row *r, struct mu_error *err)
{
	enum mu_err rc;
	sqlite3_stmt *old = sq_stmt(&s->w, SQL_P_GET);

	if (!old)
		return MU_EIO;
	bind_txt(old, 1, r->v[0]);
	if (sqlite3_step(old) != SQLITE_ROW) {
		sqlite3_reset(old);
		return mu_fail(err, MU_EIO, NULL, "line %llu: person %s vanished",
			       (unsigned long long)r->line, r->v[0]);
	}
	rc = person_update(s, j, r, old, err);
	sqlite3_reset(old);
	return rc;
}

/* Mark the rows whose person is stored (ROW_SAME when the row would
 * change nothing: row_same, as person_update decides, else ROW_STORED): one scan of
 * the batch's key range (its rows are in key order), not a lookup a row.
 * Re-importing a file that changed little reads each person once. */
enum { ROW_NEW, ROW_STORED, ROW_SAME };
#define SCAN_SKIP_MAX 64     /* stored rows read past before seeking */

static enum mu_err persons_stored(struct sq_store *s, struct bulk_job *j,
				  struct mu_error *err)
{
	const struct import_batch *b = j->b;
	size_t i = 0;
	int rc;
	STMT(q, "SELECT national_id, family_name, given_name, patronymic, birth_date,"
		" sex, region, office, address, phone, email, fitness FROM persons"
		" WHERE national_id >= ?1 AND national_id <= ?2 ORDER BY national_id");

	size_t skipped = 0;

	bind_txt(q, 1, b->rows[0].v[0]);
	bind_txt(q, 2, b->rows[b->n - 1].v[0]);
	while (i < b->n && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *id = SQ_TEXT(q, 0);
		int c = 1;
		while (i < b->n && (c = strcmp(b->rows[i].v[0], id)) < 0)
			i++;
		if (i < b->n && c == 0) {
			j->old[i] = row_same(&b->rows[i], q) ? ROW_SAME : ROW_STORED;
			i++;
			skipped = 0;
		} else if (i < b->n && ++skipped > SCAN_SKIP_MAX) {
			/* a sparse batch in a large register: seek to its next row
			 * instead of reading every stored person on the way */
			sqlite3_reset(q);
			bind_txt(q, 1, b->rows[i].v[0]);
			skipped = 0;
		}
	}
	sqlite3_reset(q);
	return i >= b->n || rc == SQLITE_DONE ? MU_OK : sq_err(s->w.db, rc, err);
}

/* The batch's persons, in key order: a new version of the stored ones
 * (or nothing, when unchanged), the others inserted. */
static enum mu_err persons_batch(struct sq_store *s, struct bulk_job *j,
				 struct mu_error *err)
{
	struct import_batch *b = j->b;
	enum mu_err rc = b->n ? persons_stored(s, j, err) : MU_OK;

	for (size_t i = 0; i < b->n && rc == MU_OK; i++) {
		int done = 0;
		if (j->old[i] == ROW_SAME) {
			b->c.unchanged++;
			continue;
		}
		if (j->old[i] == ROW_STORED) {
			rc = person_row(s, j, &b->rows[i], err);
			continue;
		}
		rc = person_insert(s, j, &b->rows[i], &done, err);
		if (rc == MU_OK && !done)
			rc = mu_fail(err, MU_EIO, NULL, "line %llu: person %s appeared",
				     (unsigned long long)b->rows[i].line, b->rows[i].v[0]);
	}
	return rc;
}

/* ---- removals ---- */

static int has_summons(struct sq_store *s, const char *nid)
{
	sqlite3_stmt *q = sq_stmt(&s->w, "SELECT 1 FROM summonses WHERE"
				  " national_id = ? LIMIT 1");
	int found;

	if (!q)
		return 0;
	bind_txt(q, 1, nid);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return found;
}

static enum mu_err removal_write(struct sq_store *s, struct bulk_job *j,
				 struct import_row *r, sqlite3_stmt *old,
				 struct mu_error *err)
{
	const char *vals[BULK_NP];
	int64_t version = sqlite3_column_int64(old, 15) + 1;
	enum mu_err rc;
	STMT(q, "UPDATE persons SET status = 'removed', removal_reason = ?2,"
		" removal_date = ?3, version = ?4, updated_at = ?5, source = ?6,"
		" import_batch = ?7 WHERE national_id = ?1");

	for (int i = 0; i < BULK_NP; i++)
		vals[i] = SQ_TEXT(old, i);
	if ((rc = keep_old(s, j, old, vals, err)))
		return rc;
	bind_txt(q, 1, r->v[0]);
	bind_txt(q, 2, r->v[1]);
	bind_txt(q, 3, r->v[2]);
	sqlite3_bind_int64(q, 4, version);
	sqlite3_bind_int64(q, 5, j->at);
	bind_txt(q, 6, j->b->run->source);
	sqlite3_bind_int64(q, 7, j->batch_id);
	if ((rc = step(s, q, r->line, err)))
		return rc;
	j->b->c.updated++;
	note_version(j, r, version);
	return MU_OK;
}

static enum mu_err removal_row(struct sq_store *s, struct bulk_job *j,
			       struct import_row *r, struct mu_error *err)
{
	sqlite3_stmt *old = sq_stmt(&s->w, SQL_P_GET);
	enum mu_err rc = MU_OK;

	if (!old)
		return MU_EIO;
	bind_txt(old, 1, r->v[0]);
	if (sqlite3_step(old) != SQLITE_ROW) {
		sqlite3_reset(old);
		return mu_fail(err, MU_EINVAL, "national_id", "line %llu: no person %s"
			       " in the register", (unsigned long long)r->line, r->v[0]);
	}
	if (!strcmp(SQ_TEXT(old, 12), "removed") && !strcmp(SQ_TEXT(old, 13), r->v[1]) &&
	    !strcmp(SQ_TEXT(old, 14), r->v[2]))
		j->b->c.unchanged++;
	else
		rc = removal_write(s, j, r, old, err);
	sqlite3_reset(old);
	r->has_summons = rc == MU_OK && has_summons(s, r->v[0]);
	return rc;
}

/* ---- offices ---- */

static void office_old(sqlite3_stmt *q, char (*was)[NAME_MAX_LEN * 2 + 1])
{
	for (int i = 0; i < 5; i++)
		snprintf(was[i], sizeof(was[i]), "%s", SQ_TEXT(q, i));
}

static enum mu_err office_row(struct sq_store *s, struct bulk_job *j,
			      struct import_row *r, struct mu_error *err)
{
	char was[5][NAME_MAX_LEN * 2 + 1] = {{0}}, cap[16];
	const char *nw[5];
	int exists, same = 1;
	enum mu_err rc;
	json_t *d;
	sqlite3_stmt *old = sq_stmt(&s->w, "SELECT id, name, region, timezone,"
				    " CAST(daily_capacity AS TEXT) FROM offices WHERE id = ?");
	STMT(q, "INSERT INTO offices(id, name, region, timezone, daily_capacity,"
		" created_at) VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT(id) DO UPDATE SET"
		" name = ?2, region = ?3, timezone = ?4, daily_capacity = ?5");

	if (!old)
		return MU_EIO;
	bind_txt(old, 1, r->v[0]);
	exists = sqlite3_step(old) == SQLITE_ROW;
	if (exists)
		office_old(old, was);
	sqlite3_reset(old);
	/* the importer refused it already (importer.c, office_zone_fixed);
	 * here again inside the transaction, for a summons issued since */
	if (exists && r->v[3] && r->v[3][0] && strcmp(r->v[3], was[3])) {
		struct mu_error why = {0};
		int has = sq_office_has_summonses(&s->w, r->v[0]);
		if (has < 0)
			return MU_EIO;
		if (office_zone_change_check(r->v[0], was[3], r->v[3], has, &why))
			return mu_fail(err, why.code, why.field, "line %llu: timezone: %s",
				       (unsigned long long)r->line, why.detail);
	}
	snprintf(cap, sizeof(cap), "%d", OFFICE_DEFAULT_CAPACITY);
	for (int i = 0; i < 5; i++) {
		nw[i] = r->v[i] && r->v[i][0] ? r->v[i] : exists ? was[i] : i == 4 ? cap : "";
		same &= exists && !strcmp(nw[i], was[i]);
	}
	if (same) {
		j->b->c.unchanged++;
		return MU_OK;
	}
	for (int i = 0; i < 4; i++)
		bind_txt(q, i + 1, nw[i]);
	sqlite3_bind_int(q, 5, (int)strtol(nw[4], NULL, 10));
	sqlite3_bind_int64(q, 6, j->at);
	if ((rc = step(s, q, r->line, err)))
		return rc;
	*(exists ? &j->b->c.updated : &j->b->c.inserted) += 1;
	d = json_pack("{s:s, s:o, s:o, s:s, s:s, s:I}", "id", r->v[0], "name",
		      str_or(nw[1]), "region", str_or(nw[2]), "timezone", nw[3],
		      "daily_capacity", nw[4], "run", (json_int_t)j->b->run->id);
	return audit_json(s, j->a, exists ? "office.update" : "office.create",
			  "office", r->v[0], d, NULL);
}

/* ---- the batch job ---- */

static int cmp_row(const void *a, const void *b)
{
	const struct import_row *x = a, *y = b;
	return strcmp(x->v[0], y->v[0]);
}

static const char *last_key(const struct import_batch *b)
{
	return b->n ? b->rows[b->n - 1].v[0] : "";
}

static enum mu_err batch_open(struct sq_store *s, struct bulk_job *j,
			      struct mu_error *err)
{
	const struct import_batch *b = j->b;
	enum mu_err rc;
	STMT(q, "INSERT INTO import_batches(run_id, seq, first_key, last_key)"
		" VALUES (?1, (SELECT batches + 1 FROM import_runs WHERE id = ?1), ?2, ?3)");

	sqlite3_bind_int64(q, 1, b->run->id);
	bind_txt(q, 2, b->n ? b->rows[0].v[0] : "");
	bind_txt(q, 3, last_key(b));
	if ((rc = step(s, q, 0, err)))
		return rc;
	j->batch_id = sqlite3_last_insert_rowid(s->w.db);
	return MU_OK;
}

static enum mu_err run_progress(struct sq_store *s, struct bulk_job *j,
				struct mu_error *err)
{
	const struct import_batch *b = j->b;
	STMT(q, "UPDATE import_runs SET last_key = ?2, batches = batches + 1,"
		" inserted = inserted + ?3, updated = updated + ?4,"
		" unchanged = unchanged + ?5, flagged = flagged + ?6 WHERE id = ?1");

	sqlite3_bind_int64(q, 1, b->run->id);
	bind_txt(q, 2, last_key(b));
	sqlite3_bind_int64(q, 3, (int64_t)b->c.inserted);
	sqlite3_bind_int64(q, 4, (int64_t)b->c.updated);
	sqlite3_bind_int64(q, 5, (int64_t)b->c.unchanged);
	sqlite3_bind_int64(q, 6, (int64_t)b->c.flagged);
	return step(s, q, 0, err);
}

static enum mu_err batch_audit(struct sq_store *s, struct bulk_job *j,
			       struct mu_error *err)
{
	const struct import_batch *b = j->b;
	unsigned char h[32];
	char hex[65], sid[48];
	int64_t idx = 0;
	enum mu_err rc;
	json_t *d;

	versions_digest(j, h);
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	snprintf(sid, sizeof(sid), "run-%lld/batch-%lld", (long long)b->run->id,
		 (long long)b->run->batches + 1);
	d = json_pack("{s:s, s:I, s:I, s:[s,s], s:I, s:I, s:I, s:I, s:I, s:s}",
		      "kind", kind_names[b->run->kind], "run", (json_int_t)b->run->id,
		      "batch", (json_int_t)j->batch_id, "keys",
		      b->n ? b->rows[0].v[0] : "", last_key(b),
		      "inserted", (json_int_t)b->c.inserted,
		      "updated", (json_int_t)b->c.updated,
		      "unchanged", (json_int_t)b->c.unchanged,
		      "flagged", (json_int_t)b->c.flagged,
		      "versions", (json_int_t)j->versions, "sha256", hex);
	if ((rc = audit_json(s, j->a, "import.batch", "import", sid, d, &idx)))
		return rc;
	{
		STMT(q, "UPDATE import_batches SET audit_idx = ? WHERE id = ?");
		sqlite3_bind_int64(q, 1, idx);
		sqlite3_bind_int64(q, 2, j->batch_id);
		return step(s, q, 0, err);
	}
}

static enum mu_err j_batch(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct bulk_job *j = arg;
	struct import_batch *b = j->b;
	enum import_kind kind = b->run->kind;
	enum mu_err rc;

	memset(&b->c, 0, sizeof(b->c));
	j->versions = 0;
	j->n_pend = 0;
	if ((rc = batch_open(s, j, err)))
		return rc;
	if (kind == IMPORT_PERSONS && (rc = keys_catch_up(s, j, err)))
		return rc;
	if (kind == IMPORT_PERSONS)
		rc = persons_batch(s, j, err);
	for (size_t i = 0; i < b->n && rc == MU_OK && kind != IMPORT_PERSONS; i++) {
		struct import_row *r = &b->rows[i];
		rc = kind == IMPORT_REMOVALS ? removal_row(s, j, r, err)
					     : office_row(s, j, r, err);
	}
	if (rc == MU_OK && kind == IMPORT_PERSONS)
		rc = key_pending(s, j, err);
	if (rc == MU_OK && kind == IMPORT_PERSONS)
		rc = keys_mark(s, err);
	if (rc == MU_OK)
		rc = run_progress(s, j, err);
	if (rc == MU_OK)
		rc = batch_audit(s, j, err);
	return rc;
}

/* One batch inside the transaction; on failure its counts are zero. */
static enum mu_err one_batch(struct sq_store *s, struct import_batch *b,
			     const struct audit_ctx *a, struct mu_error *err)
{
	struct bulk_job *j = calloc(1, sizeof(*j));
	enum mu_err rc;

	memset(&b->c, 0, sizeof(b->c));
	if (!j)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	j->b = b;
	j->a = a;
	j->at = a ? a->at : 0;
	j->pend = malloc((b->n ? b->n : 1) * sizeof(*j->pend));
	j->ver = calloc(b->n ? b->n : 1, sizeof(*j->ver));
	j->old = calloc(b->n ? b->n : 1, 1);
	if (!j->pend || !j->ver || !j->old) {
		free(j->pend);
		free(j->ver);
		free(j->old);
		free(j);
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	}
	qsort(b->rows, b->n, sizeof(*b->rows), cmp_row);
	rc = j_batch(s, j, err);
	if (rc)
		memset(&b->c, 0, sizeof(b->c));
	free(j->json);
	free(j->pend);
	free(j->ver);
	free(j->old);
	free(j);
	return rc;
}

struct batches_job {
	import_next_fn next;
	void *arg;
	const struct audit_ctx *a;
};

static enum mu_err j_batches(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct batches_job *m = arg;
	struct import_batch *b;
	enum mu_err rc = MU_OK;

	while (rc == MU_OK && (b = m->next(m->arg)))
		rc = one_batch(s, b, m->a, err);
	return rc;
}

enum mu_err sqb_import_batches(struct store *st, import_next_fn next, void *arg,
			       const struct audit_ctx *a, struct mu_error *err)
{
	struct batches_job m = {next, arg, a};

	return sq_write((struct sq_store *)st, j_batches, &m, err);
}

/* ---- duplicates and provenance (reads) -------------------------------- */

static void row_dup(sqlite3_stmt *q, struct dup_pair *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(q, 0);
	SQ_COPY(d->a, q, 1);
	SQ_COPY(d->b, q, 2);
	d->same_address = sqlite3_column_int(q, 3);
	d->found_at = sqlite3_column_int64(q, 4);
	d->run_id = sqlite3_column_int64(q, 5);
	SQ_COPY(d->state, q, 6);
}

enum mu_err sqb_dup_list(struct store *st, const struct dup_filter *f,
			 struct dup_pair *out, size_t cap, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader(s);
	sqlite3_stmt *q;

	if (!c)
		return MU_EIO;
	q = sq_stmt(c, "SELECT id, a, b, same_address, found_at, run_id, state FROM"
		    " duplicate_candidates WHERE state = 'open' AND id > ? ORDER BY id"
		    " LIMIT ?");
	if (!q)
		return MU_EIO;
	sqlite3_bind_int64(q, 1, f->after);
	sqlite3_bind_int64(q, 2, (int64_t)(f->limit && f->limit < cap ? f->limit : cap));
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW)
		row_dup(q, &out[(*n)++]);
	sqlite3_reset(q);
	return MU_OK;
}

static int dup_on(struct sq_conn *c, int64_t id, struct dup_pair *out)
{
	sqlite3_stmt *q = sq_stmt(c, "SELECT id, a, b, same_address, found_at, run_id,"
				  " state FROM duplicate_candidates WHERE id = ?");
	int found;

	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	found = sqlite3_step(q) == SQLITE_ROW;
	if (found)
		row_dup(q, out);
	sqlite3_reset(q);
	return found;
}

enum mu_err sqb_person_import_audits(struct store *st, const char *id, int64_t after,
				     int64_t *out, size_t cap, size_t *n)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	sqlite3_stmt *q = c ? sq_stmt(c, "SELECT audit_idx FROM import_batches WHERE id IN"
				      " (SELECT import_batch FROM person_history WHERE national_id = ?1"
				      " UNION SELECT import_batch FROM persons WHERE national_id = ?1)"
				      " AND audit_idx > ?2 ORDER BY audit_idx LIMIT ?3") : NULL;

	*n = 0;
	if (!q)
		return MU_EIO;
	bind_txt(q, 1, id);
	sqlite3_bind_int64(q, 2, after);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)cap);
	while (*n < cap && sqlite3_step(q) == SQLITE_ROW)
		out[(*n)++] = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return MU_OK;
}

enum mu_err sqb_dup_get(struct store *st, int64_t id, struct dup_pair *out)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	int found = c ? dup_on(c, id, out) : -1;

	return found < 0 ? MU_EIO : found ? MU_OK : MU_ENOTFOUND;
}

struct dup_job {
	int64_t id;
	const char *state, *note;
	const struct audit_ctx *a;
};

static enum mu_err j_dup_resolve(struct sq_store *s, void *arg, struct mu_error *err)
{
	struct dup_job *j = arg;
	struct dup_pair d;
	int found = dup_on(&s->w, j->id, &d);
	enum mu_err rc;
	STMT(q, "UPDATE duplicate_candidates SET state = ?2, note = ?3, resolved_by = ?4,"
		" resolved_at = ?5 WHERE id = ?1 AND state = 'open'");

	if (found < 0)
		return MU_EIO;
	if (!found)
		return mu_fail(err, MU_ENOTFOUND, "id", "no duplicate candidate %lld",
			       (long long)j->id);
	if (strcmp(d.state, "open"))
		return mu_fail(err, MU_ECONFLICT, "id", "duplicate candidate %lld was decided"
			       " already (%s)", (long long)j->id, d.state);
	sqlite3_bind_int64(q, 1, j->id);
	bind_txt(q, 2, j->state);
	bind_txt(q, 3, j->note);
	bind_txt(q, 4, j->a && j->a->token_id ? j->a->token_id : "");
	sqlite3_bind_int64(q, 5, j->a ? j->a->at : 0);
	if ((rc = step(s, q, 0, err)))
		return rc;
	/* both persons are told, each in their access log */
	for (int k = 0; k < 2 && rc == MU_OK; k++) {
		char sid[24];
		struct audit_entry e;
		snprintf(sid, sizeof(sid), "%lld", (long long)j->id);
		audit_entry_from_ctx(&e, j->a, "duplicate.resolve", "duplicate", sid,
				     k ? d.b : d.a);
		snprintf(e.detail, sizeof(e.detail), "{\"other\":\"%s\",\"state\":\"%s\"}",
			 k ? d.a : d.b, j->state);
		rc = sq_audit_put(s, &e);
	}
	return rc;
}

enum mu_err sqb_dup_resolve(struct store *st, int64_t id, const char *state,
			    const char *note, const struct audit_ctx *a, struct mu_error *err)
{
	struct dup_job j = {id, state, note, a};

	return sq_write((struct sq_store *)st, j_dup_resolve, &j, err);
}

/* Walk the versions from the newest: a column's source is the oldest
 * version of the newest unbroken run of versions holding its value. */
static void prov_step(json_t *rec, json_t *cur, int *open, int64_t version,
		      int64_t at, const char *source, struct field_source *out)
{
	static const char *const cols[BULK_NP] = {
		"national_id", "family_name", "given_name", "patronymic",
		"birth_date", "sex", "region", "office", "address", "phone",
		"email", "fitness"};

	for (int i = 0; i < BULK_NP; i++) {
		const char *v = json_string_value(json_object_get(rec, cols[i]));
		const char *c = json_string_value(json_object_get(cur, cols[i]));
		if (!open[i])
			continue;
		/* a key left out is an empty value (see history_json) */
		if (json_object_size(cur) && strcmp(v ? v : "", c ? c : "")) {
			open[i] = 0;
			continue;
		}
		out[i].version = version;
		out[i].at = at;
		snprintf(out[i].source, sizeof(out[i].source), "%s", source);
	}
}

enum mu_err sqb_person_provenance(struct store *st, const char *id,
				  struct field_source *out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader(s);
	int open[BULK_NP];
	json_t *cur = NULL;
	sqlite3_stmt *q;
	int any = 0;

	if (!c)
		return MU_EIO;
	q = sq_stmt(c, HISTORY_SQL("DESC"));
	if (!q)
		return MU_EIO;
	memset(out, 0, sizeof(*out) * BULK_NP);
	for (int i = 0; i < BULK_NP; i++)
		open[i] = 1;
	bind_txt(q, 1, id);
	while (sqlite3_step(q) == SQLITE_ROW) {
		json_t *rec;
		if (strcmp(SQ_TEXT(q, HISTORY_COL), HISTORY_CURRENT)) {
			rec = json_loads(SQ_TEXT(q, HISTORY_COL), 0, NULL);
		} else if (sqlite3_column_type(q, 0) != SQLITE_NULL) {
			struct person p;
			sq_row_person(q, &p);
			rec = person_to_json(&p);
		} else {
			rec = NULL;
		}
		if (!rec)
			continue;
		if (!cur)
			cur = json_object();
		prov_step(rec, cur, open,
			  sqlite3_column_int64(q, HISTORY_COL + 1),
			  sqlite3_column_int64(q, HISTORY_COL + 2),
			  SQ_TEXT(q, HISTORY_COL + 3), out);
		if (!any)
			json_object_update(cur, rec);
		any = 1;
		json_decref(rec);
	}
	sqlite3_reset(q);
	json_decref(cur);
	return any ? MU_OK : MU_ENOTFOUND;
}
