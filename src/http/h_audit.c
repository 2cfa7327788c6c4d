/*
 * h_audit.c: the tamper-evident audit log over HTTP (docs/audit.md).
 *
 *   GET /v1/audit/key                 anyone    the log's Ed25519 public key
 *   GET /v1/audit/head                anyone    the latest signed tree head
 *   GET /v1/audit/proof/inclusion     auditor, citizen (own entries)
 *   GET /v1/audit/proof/consistency   auditor, citizen
 *   GET /v1/audit/entries             auditor   filtered read, itself logged
 *   GET /v1/summonses/{id}/receipt    clerk     an event's entry, proof, head
 *   GET /v1/me/summonses/{id}/receipt citizen   the same for their summons
 *
 * The key and heads are public as in Certificate Transparency: a head
 * tells only how many entries there are. Proofs carry hashes, never entry
 * content. Reading entries is a read of personal data and is audited like
 * any other. Handlers decide who may see what; the store only answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/leaf.h"
#include "audit/sth.h"
#include "http/api.h"

#define ENTRIES_LIMIT_MAX 1000
#define ENTRIES_LIMIT_DEFAULT 100

/* Integer query parameter key in [lo, hi]; *out untouched when absent.
 * Answers 400 and returns -1 when malformed. */
static int query_i64(struct api_req *r, const char *key, int64_t lo, int64_t hi,
		     int64_t *out)
{
	const char *s = api_query(r, key);

	if (api_parse_int(s, lo, hi, out)) {
		api_fail(r, MU_EINVAL, key, "%s must be an integer from %lld to %lld", key,
			 (long long)lo, (long long)hi);
		return -1;
	}
	return 0;
}

static void hex32(const unsigned char h[32], char out[65])
{
	audit_hex(h, 32, out);
}

/* The latest signed head, signing one now if there is none yet or it
 * does not cover entry `need` (-1: any head) although the log does: a
 * request for an entry that does not exist signs nothing. Answers 500 on
 * failure. */
static int latest_head(struct api_req *r, int64_t need, struct audit_head *h)
{
	enum mu_err rc = store_audit_head(r->app->st, h);
	int64_t size = 0;

	if (rc == MU_OK && h->size > need)
		return 0;
	if (rc != MU_OK && rc != MU_ENOTFOUND)
		goto out;
	if (rc == MU_OK && (store_audit_size(r->app->st, &size) != MU_OK || size <= need))
		return 0;
	rc = store_audit_publish(r->app->st, h);
out:
	if (rc != MU_OK)
		api_fail(r, rc, NULL, "cannot read the log's signed head");
	return rc == MU_OK ? 0 : -1;
}

void h_audit_key(struct api_req *r)
{
	unsigned char pk[32];
	char hex[65];

	if (store_audit_key(r->app->st, pk) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the log key");
		return;
	}
	api_json(r, 200, json_pack("{s:s, s:s, s:s}", "algorithm", "Ed25519",
				   "public_key", audit_hex(pk, 32, hex), "hash", "SHA-256"));
}

void h_audit_head(struct api_req *r)
{
	struct audit_head h;

	if (latest_head(r, -1, &h))
		return;
	api_json(r, 200, audit_head_json(&h));
}

/* A citizen sees proofs only of entries about them. */
static int entry_visible(struct api_req *r, int64_t idx)
{
	struct audit_entry e;

	if (r->tok.role != ROLE_CITIZEN)
		return 1;
	if (store_audit_get(r->app->st, idx, &e, NULL) == MU_OK &&
	    !strcmp(e.person, r->tok.person))
		return 1;
	api_fail(r, MU_ENOTFOUND, "index", "no log entry %lld about you", (long long)idx);
	return 0;
}

void h_audit_inclusion(struct api_req *r)
{
	unsigned char proof[AUDIT_PROOF_MAX][32], root[32], leaf[32];
	char rh[65], lh[65];
	struct audit_entry e;
	struct audit_head h;
	int64_t idx = -1, size = -1;
	size_t n;
	enum mu_err rc;

	if (query_i64(r, "index", 0, INT64_MAX, &idx) ||
	    query_i64(r, "size", 1, INT64_MAX, &size))
		return;
	if (idx < 0) {
		api_fail(r, MU_EINVAL, "index", "index (the entry's leaf index) is required");
		return;
	}
	if (!entry_visible(r, idx) || (size < 0 && latest_head(r, idx, &h)))
		return;
	if (size < 0)
		size = h.size;
	rc = store_audit_inclusion(r->app->st, idx, size, proof, &n, root);
	if (rc == MU_OK)
		rc = store_audit_get(r->app->st, idx, &e, leaf);
	if (rc == MU_EINVAL || rc == MU_ENOTFOUND) {
		api_fail(r, MU_EINVAL, "size", "need index < size <= the log's size");
		return;
	}
	if (rc) {
		api_fail(r, rc, NULL, "cannot build the proof");
		return;
	}
	hex32(leaf, lh);
	hex32(root, rh);
	api_json(r, 200, json_pack("{s:I, s:I, s:s, s:s, s:o}", "index", (json_int_t)idx,
				   "size", (json_int_t)size, "leaf_hash", lh, "root", rh,
				   "proof",
				   audit_proof_json((const unsigned char(*)[32])proof, n)));
}

void h_audit_consistency(struct api_req *r)
{
	unsigned char proof[AUDIT_PROOF_MAX][32], r1[32], r2[32];
	char h1[65], h2[65];
	struct audit_head h;
	int64_t from = -1, to = -1;
	size_t n;
	enum mu_err rc;

	if (query_i64(r, "from", 1, INT64_MAX, &from) ||
	    query_i64(r, "to", 1, INT64_MAX, &to))
		return;
	if (from < 0) {
		api_fail(r, MU_EINVAL, "from", "from (the older tree size) is required");
		return;
	}
	if (to < 0 && latest_head(r, -1, &h))
		return;
	if (to < 0)
		to = h.size;
	rc = store_audit_consistency(r->app->st, from, to, proof, &n, r1, r2);
	if (rc) {
		if (rc == MU_EINVAL)
			api_fail(r, rc, "to", "need 0 < from <= to <= the log's size");
		else
			api_fail(r, rc, NULL, "cannot build the proof");
		return;
	}
	hex32(r1, h1);
	hex32(r2, h2);
	api_json(r, 200, json_pack("{s:I, s:I, s:s, s:s, s:o}", "from", (json_int_t)from,
				   "to", (json_int_t)to, "from_root", h1, "to_root", h2,
				   "proof",
				   audit_proof_json((const unsigned char(*)[32])proof, n)));
}

/* ---- the auditor's read ----------------------------------------------- */

static int time_param(struct api_req *r, const char *key, int64_t *out)
{
	const char *v = api_query(r, key);

	if (!v)
		return 0;
	if (mu_time_parse(v, out) != MU_OK) {
		api_fail(r, MU_EINVAL, key, "%s must be an RFC 3339 instant", key);
		return -1;
	}
	return 0;
}

static int parse_filter(struct api_req *r, struct audit_filter *f)
{
	int64_t limit = ENTRIES_LIMIT_DEFAULT;

	memset(f, 0, sizeof(*f));
	f->after = -1;
	f->actor = api_query(r, "actor");
	f->action = api_query(r, "action");
	f->subject = api_query(r, "subject");
	f->person = api_query(r, "person");
	if (query_i64(r, "after", -1, INT64_MAX, &f->after) ||
	    query_i64(r, "limit", 1, ENTRIES_LIMIT_MAX, &limit) ||
	    time_param(r, "from", &f->from) || time_param(r, "to", &f->to))
		return -1;
	f->limit = (size_t)limit;
	return 0;
}

/* The read's own log entry about person p: which filter, how many. */
static int log_read(struct api_req *r, const struct audit_filter *f, const char *p,
		    size_t n)
{
	struct audit_ctx c = api_ctx(r, "audit log review");
	struct audit_entry e;
	char *d;
	json_t *o = json_pack("{s:I}", "entries", (json_int_t)n);

	audit_entry_from_ctx(&e, &c, "audit.read", "log", "entries", p);
	if (f->actor)
		json_object_set_new(o, "actor", json_string(f->actor));
	if (f->action)
		json_object_set_new(o, "action", json_string(f->action));
	if (f->subject)
		json_object_set_new(o, "subject", json_string(f->subject));
	if (f->person)
		json_object_set_new(o, "person", json_string(f->person));
	d = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (d && strlen(d) < sizeof(e.detail))
		snprintf(e.detail, sizeof(e.detail), "%s", d);
	free(d);
	json_decref(o);
	if (store_audit_read(r->app->st, &e) == MU_OK)
		return 0;
	api_fail(r, MU_EBUSY, NULL, "the audit queue is full; the read was refused "
		 "rather than left unaudited, retry shortly");
	return -1;
}

/* One entry per person whose entries the auditor saw (each person's
 * access log shows it), or one for the query when it touched nobody. */
static int log_reads(struct api_req *r, const struct audit_filter *f,
		     const struct audit_entry *v, size_t n)
{
	int logged = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		if (!v[i].person[0])
			continue;
		while (j < i && strcmp(v[j].person, v[i].person))
			j++;
		if (j < i)
			continue;
		if (log_read(r, f, v[i].person, n))
			return -1;
		logged = 1;
	}
	if (!logged)
		return log_read(r, f, f->person ? f->person : "", n);
	return 0;
}

void h_audit_entries(struct api_req *r)
{
	struct audit_filter f;
	struct audit_entry *v = NULL;
	size_t n = 0;
	json_t *arr;

	if (parse_filter(r, &f))
		return;
	v = calloc(f.limit, sizeof(*v));
	if (!v || store_flush(r->app->st) != MU_OK ||
	    store_audit_list(r->app->st, &f, v, f.limit, &n) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the audit log");
		goto out;
	}
	if (log_reads(r, &f, v, n))
		goto out;
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, audit_entry_json(&v[i]));
	api_json(r, 200, json_pack("{s:o, s:o}", "entries", arr, "next",
				   n == f.limit ? json_integer(v[n - 1].idx) : json_null()));
out:
	free(v);
}

/* ---- receipts ---------------------------------------------------------- */

/* The event the receipt is for: ?event=SEQ, else the first. */
static const struct event_rec *pick_event(struct api_req *r, const struct summons_rec *rec)
{
	int64_t seq = -1;

	if (query_i64(r, "event", 1, INT64_MAX, &seq))
		return NULL;
	for (size_t i = 0; i < rec->n_events; i++)
		if ((seq < 0 || rec->meta[i].ev.seq == seq) && rec->meta[i].audit_idx > 0)
			return &rec->meta[i];
	api_fail(r, MU_ENOTFOUND, "event", "summons %.32s has no logged event %lld",
		 rec->s.id, (long long)seq);
	return NULL;
}

/* Proof of entry idx in head h's tree; the stored tree must agree with
 * the head, or the log is damaged. */
static json_t *receipt_proof(struct api_req *r, int64_t idx, const struct audit_head *h)
{
	unsigned char proof[AUDIT_PROOF_MAX][32], root[32];
	size_t n;

	if (store_audit_inclusion(r->app->st, idx, h->size, proof, &n, root) != MU_OK ||
	    memcmp(root, h->root, 32) != 0) {
		api_fail(r, MU_EINTERNAL, NULL, "the audit log does not match its signed "
			 "head; an auditor must run muster audit verify");
		return NULL;
	}
	return audit_proof_json((const unsigned char(*)[32])proof, n);
}

static json_t *receipt_json(struct api_req *r, const struct summons_rec *rec,
			    const struct event_rec *ev)
{
	unsigned char leaf[32], pk[32];
	char lh[65], pkh[65], at[MU_RFC3339_MAX];
	struct audit_entry e;
	struct audit_head h;
	json_t *proof;

	if (store_audit_get(r->app->st, ev->audit_idx, &e, leaf) != MU_OK ||
	    store_audit_key(r->app->st, pk) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the log entry");
		return NULL;
	}
	if (latest_head(r, ev->audit_idx, &h) || !(proof = receipt_proof(r, e.idx, &h)))
		return NULL;
	mu_time_format(ev->ev.at, at, sizeof(at));
	hex32(leaf, lh);
	hex32(pk, pkh);
	return json_pack("{s:s, s:s, s:{s:I, s:s, s:s}, s:o, s:I, s:s, s:I, s:o, s:o, s:s}",
			 "format", "muster.audit.receipt.v1", "summons_id", rec->s.id,
			 "event", "seq", (json_int_t)ev->ev.seq, "type",
			 ev_type_name(ev->ev.type), "at", at, "entry", audit_entry_json(&e),
			 "leaf_index", (json_int_t)e.idx, "leaf_hash", lh, "tree_size",
			 (json_int_t)h.size, "inclusion_proof", proof, "signed_head",
			 audit_head_json(&h), "public_key", pkh);
}

/* Answer the receipt for summons {id} if the caller may see it. */
static void receipt(struct api_req *r, int mine)
{
	struct summons_rec *rec = NULL;
	const struct event_rec *ev;
	enum mu_err rc = store_summons_get(r->app->st, r->params[0], &rec);
	json_t *o;

	if (rc == MU_OK && (mine ? strcmp(rec->s.national_id, r->tok.person) != 0
				 : r->tok.office[0] && strcmp(rec->s.office, r->tok.office)))
		rc = MU_ENOTFOUND;
	if (rc != MU_OK) {
		api_fail(r, rc == MU_ENOTFOUND ? rc : MU_EIO, "id",
			 "no summons %.32s for you", r->params[0]);
		goto out;
	}
	if (!(ev = pick_event(r, rec)) ||
	    api_audit_read(r, "summons.receipt", rec->s.national_id, "summons", rec->s.id))
		goto out;
	if ((o = receipt_json(r, rec, ev)))
		api_json(r, 200, o);
out:
	summons_rec_free(rec);
}

void h_summons_receipt(struct api_req *r)
{
	receipt(r, 0);
}

void h_me_summons_receipt(struct api_req *r)
{
	receipt(r, 1);
}
