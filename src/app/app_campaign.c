/*
 * app_campaign.c: call-up campaigns. A campaign is never one click: a
 * draft computes a visible, deterministic selection; a commissar who did
 * not create it approves, and every summons is issued in one transaction;
 * a commissar can cancel the whole campaign, which cancels its summonses.
 *
 * Selection order (documented in docs/campaigns.md): persons born in the
 * window, in ascending national_id; each is excluded for the first reason
 * that applies (removed, fitness category, open summons for the same
 * purpose, selected by another open campaign); eligible persons are placed
 * in the first free slot of their office until the quota is reached.
 *
 * The HTTP handlers (http/h_campaigns.c) and the command line
 * (cli/campaign.c) share everything here, the check of a draft request
 * included. A campaign may hold a million members: nothing here reads the
 * store once per member (the store's scans carry what the domain needs).
 */
#include "app/app_campaign.h"
#include "app/app_channels.h"
#include "app/app_due.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/campaign.h"
#include "domain/protect.h"
#include "util/rand.h"

#define MAX_OFFICES 512
#define CAMPAIGN_QUOTA_MAX 10000000

struct office_plan {
	struct office o;
	struct slot_plan plan;
	int wanted;               /* in the criteria (or no office filter) */
	int64_t placed;
};

struct selection {
	struct app *app;
	int64_t now;
	const struct campaign_req *req;
	struct office_plan *offices;
	size_t n_offices;
	struct campaign_member *m;
	size_t n, cap;
	int64_t excluded[EXCL__COUNT];
	int64_t eligible, no_capacity;
	enum mu_err rc;
};

static const char *const excl_names[EXCL__COUNT] = {
	"removed", "fitness", "open_summons", "other_campaign",
};

/* ---- the request ------------------------------------------------------- */

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static enum mu_err bad(struct mu_error *err, const char *field, const char *msg)
{
	return mu_fail(err, MU_EINVAL, field, "%s", msg);
}

static enum mu_err date_field(const json_t *crit, const char *key, char out[11],
			      struct mu_error *err)
{
	const char *v = str_of(crit, key);
	int y, m, d;
	char field[48];

	snprintf(field, sizeof(field), "criteria.%s", key);
	if (!v || mu_date_parse(v, &y, &m, &d) != MU_OK)
		return bad(err, field, "must be a real calendar date YYYY-MM-DD");
	snprintf(out, 11, "%s", v);
	return MU_OK;
}

static enum mu_err list_field(const json_t *crit, const char *key, const json_t **out,
			      struct mu_error *err)
{
	json_t *v = json_object_get(crit, key), *x;
	char field[48];
	size_t i;

	*out = NULL;
	if (!v || json_is_null(v))
		return MU_OK;
	snprintf(field, sizeof(field), "criteria.%s", key);
	if (!json_is_array(v) || !json_array_size(v))
		return bad(err, field, "must be a non-empty array of strings");
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return bad(err, field, "must be a non-empty array of strings");
	*out = v;
	return MU_OK;
}

static enum mu_err parse_times(const json_t *b, int64_t now, struct campaign_req *q,
			       struct mu_error *err)
{
	const char *from = str_of(b, "report_from"), *to = str_of(b, "report_to");

	if (!from || mu_time_parse(from, &q->report_from) != MU_OK)
		return bad(err, "report_from", "report_from must be an RFC 3339 instant");
	if (!to || mu_time_parse(to, &q->report_to) != MU_OK)
		return bad(err, "report_to", "report_to must be an RFC 3339 instant");
	if (q->report_from <= now)
		return bad(err, "report_from", "report_from must lie in the future");
	if (q->report_to <= q->report_from)
		return bad(err, "report_to", "report_to must lie after report_from");
	return MU_OK;
}

/* 400 naming the first key of o not in known (prefix: "criteria." or ""). */
static enum mu_err known_keys(const json_t *o, const char *const *known, const char *prefix,
			      struct mu_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], key))
			i++;
		if (!known[i]) {
			char field[64];
			snprintf(field, sizeof(field), "%s%.40s", prefix, key);
			return mu_fail(err, MU_EINVAL, field, "unknown field '%s'", field);
		}
	}
	return MU_OK;
}

static enum mu_err parse_criteria(const json_t *crit, struct campaign_req *q,
				  struct mu_error *err)
{
	static const char *const known[] = {"born_from", "born_to", "regions", "offices",
					    "fitness", "sex", NULL};
	const json_t *x;
	size_t i;

	if (!json_is_object(crit))
		return bad(err, "criteria", "criteria must be an object with born_from and born_to");
	if (known_keys(crit, known, "criteria.", err))
		return MU_EINVAL;
	if (date_field(crit, "born_from", q->born_from, err) ||
	    date_field(crit, "born_to", q->born_to, err) ||
	    list_field(crit, "regions", &q->regions, err) ||
	    list_field(crit, "offices", &q->offices, err) ||
	    list_field(crit, "fitness", &q->fitness, err))
		return MU_EINVAL;
	if (strcmp(q->born_from, q->born_to) > 0)
		return bad(err, "criteria.born_to", "born_to must not precede born_from");
	json_array_foreach(q->fitness, i, x) {
		const char *f = json_string_value(x);
		if (strlen(f) != 1 || !strchr("ABVGD", f[0]))
			return bad(err, "criteria.fitness", "fitness categories are A, B, V, G and D");
	}
	q->sex = str_of(crit, "sex");
	if (q->sex && strcmp(q->sex, "M") && strcmp(q->sex, "F"))
		return bad(err, "criteria.sex", "sex must be M or F");
	return MU_OK;
}

/* The canonical text of the criteria, which the campaign keeps. */
static enum mu_err criteria_text(const json_t *crit, struct campaign_req *q,
				 char **crit_txt, struct mu_error *err)
{
	*crit_txt = json_dumps(crit, JSON_COMPACT | JSON_SORT_KEYS);
	q->criteria_text = *crit_txt ? *crit_txt : "{}";
	if (strlen(q->criteria_text) >= sizeof(((struct campaign *)0)->criteria))
		return bad(err, "criteria", "criteria is too long");
	return MU_OK;
}

enum mu_err app_campaign_parse(json_t *b, int64_t now, struct campaign_req *q,
			       char **crit_txt, struct mu_error *err)
{
	static const char *const known[] = {"name", "legal_basis", "purpose", "report_from",
					    "report_to", "quota", "criteria", NULL};
	json_t *quota = json_object_get(b, "quota");

	memset(q, 0, sizeof(*q));
	*crit_txt = NULL;
	if (known_keys(b, known, "", err))
		return MU_EINVAL;
	q->name = str_of(b, "name");
	q->legal_basis = str_of(b, "legal_basis");
	if (!q->name || !q->name[0] || strlen(q->name) > 150)
		return bad(err, "name", "name is required (at most 150 bytes)");
	if (!q->legal_basis)
		q->legal_basis = "";
	if (strlen(q->legal_basis) > 150)
		return bad(err, "legal_basis", "legal_basis is at most 150 bytes");
	q->purpose = purpose_parse(str_of(b, "purpose") ? str_of(b, "purpose") : "");
	if (q->purpose < 0)
		return bad(err, "purpose", "purpose must be one of medical_exam, "
			   "data_clarification, dispatch, training, mobilization");
	if (!json_is_integer(quota) || json_integer_value(quota) < 1 ||
	    json_integer_value(quota) > CAMPAIGN_QUOTA_MAX)
		return bad(err, "quota", "quota must be an integer 1..10000000");
	q->quota = json_integer_value(quota);
	if (parse_times(b, now, q, err) || parse_criteria(json_object_get(b, "criteria"), q, err))
		return MU_EINVAL;
	return criteria_text(json_object_get(b, "criteria"), q, crit_txt, err);
}

/* ---- selection ------------------------------------------------------------ */

static int in_list(const json_t *list, const char *v)
{
	size_t i;
	json_t *x;

	if (!list)
		return 1;
	json_array_foreach(list, i, x)
		if (json_is_string(x) && !strcmp(json_string_value(x), v))
			return 1;
	return 0;
}

static struct office_plan *find_office(struct selection *s, const char *id)
{
	for (size_t i = 0; i < s->n_offices; i++)
		if (!strcmp(s->offices[i].o.id, id))
			return &s->offices[i];
	return NULL;
}

static int matches(const struct campaign_req *r, const struct person *p)
{
	char fit[2] = {p->fitness, 0}, sex[2] = {p->sex, 0};

	return in_list(r->regions, p->region) && in_list(r->offices, p->office) &&
	       in_list(r->fitness, fit) && (!r->sex || !strcmp(r->sex, sex));
}

/* Does a protection bar this person from the campaign's purpose: their
 * fitness decisions, deferments and exemptions in force at `at`
 * (app_due_barred reads them; the person record's category is the
 * fallback when it cannot). */
static int barred(struct app *a, const struct person *p, int purpose, int64_t at)
{
	struct protect_facts pf = {p, NULL, a->profile};
	struct mu_error e;
	int bar = 0;

	if (app_due_barred(a, p->national_id, purpose, at, &bar, NULL) == MU_OK)
		return bar;
	return protect_issue(&pf, purpose, at, NULL, NULL, &e) != MU_OK;
}

/* The same question for a candidate of a scan, which says whether the
 * person has any due-process record at all: most have none, and then the
 * domain judges the row alone, without the reads of app_due_barred (two
 * million of them made a draft take a minute). */
static int candidate_barred(struct app *a, const struct campaign_candidate *c,
			    int purpose, int64_t at)
{
	struct protect_facts pf = {&c->p, NULL, a->profile};
	struct mu_error e;

	if (c->has_due)
		return barred(a, &c->p, purpose, at);
	return protect_issue(&pf, purpose, at, NULL, NULL, &e) != MU_OK;
}

static int exclusion(const struct selection *s, const struct campaign_candidate *c)
{
	const struct campaign_req *r = s->req;

	if (c->p.status == PS_REMOVED)
		return EXCL_REMOVED;
	if (candidate_barred(s->app, c, r->purpose, s->now))
		return EXCL_FITNESS;
	if (c->open_summons)
		return EXCL_OPEN_SUMMONS;
	if (c->other_campaign)
		return EXCL_OTHER_CAMPAIGN;
	return -1;
}

static int add_member(struct selection *s, const struct person *p, int64_t at)
{
	struct campaign_member *m;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct campaign_member *nw = realloc(s->m, cap * sizeof(*nw));
		if (!nw) {
			s->rc = MU_ENOMEM;
			return 1;
		}
		s->m = nw;
		s->cap = cap;
	}
	m = &s->m[s->n++];
	memset(m, 0, sizeof(*m));
	snprintf(m->national_id, sizeof(m->national_id), "%s", p->national_id);
	snprintf(m->office, sizeof(m->office), "%s", p->office);
	m->report_at = at;
	return 0;
}

static int consider(void *ctx, const struct campaign_candidate *c)
{
	struct selection *s = ctx;
	struct office_plan *op;
	int why;
	int64_t at;

	if (!matches(s->req, &c->p))
		return 0;
	why = exclusion(s, c);
	if (why >= 0) {
		s->excluded[why]++;
		return 0;
	}
	s->eligible++;
	if ((int64_t)s->n >= s->req->quota)
		return 0;
	op = find_office(s, c->p.office);
	at = op ? campaign_plan_next(&op->plan) : 0;
	if (!at) {
		s->no_capacity++;
		return 0;
	}
	op->placed++;
	return add_member(s, &c->p, at);
}

/* A slot already taken by a summons issued before (another campaign's, or
 * one issued alone) is not handed out again: no office gets more people a
 * day than its capacity, whichever way they were summoned. */
static void take_slot(void *ctx, const char *office, int64_t report_at)
{
	struct selection *s = ctx;

	for (size_t i = 0; i < s->n_offices; i++)
		if (!strcmp(s->offices[i].o.id, office)) {
			campaign_plan_take(&s->offices[i].plan, report_at);
			return;
		}
}

static enum mu_err load_plans(struct app *a, const struct campaign_req *r,
			      struct selection *s, struct mu_error *err)
{
	struct office *v = NULL;
	size_t n = 0;
	enum mu_err rc = store_office_list(a->st, &v, &n);

	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the offices");
	s->offices = calloc(n + 1, sizeof(*s->offices));
	if (!s->offices) {
		free(v);
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	}
	for (size_t i = 0; i < n && rc == MU_OK; i++) {
		struct office_plan *op = &s->offices[s->n_offices++];
		op->o = v[i];
		if (campaign_plan_init(&op->plan, op->o.timezone, op->o.daily_capacity,
				       r->report_from, r->report_to) != MU_OK)
			rc = mu_fail(err, MU_EINVAL, "report_to", "the report window must "
				     "be at most %d days", CAMPAIGN_MAX_DAYS);
	}
	free(v);
	/* a day is a local day: the first and the last one reach outside the
	 * window, by up to a day either way in any time zone */
	if (rc == MU_OK && store_slots_taken(a->st, r->report_from - 2 * 86400,
					     r->report_to + 2 * 86400, take_slot, s) != MU_OK)
		rc = mu_fail(err, MU_EIO, NULL, "cannot read the summonses already due");
	return rc;
}

static void selection_hash(const struct selection *s, char hex[65])
{
	crypto_hash_sha256_state h;
	unsigned char out[32];
	char line[128];

	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < s->n; i++) {
		int len = snprintf(line, sizeof(line), "%s|%s|%lld\n", s->m[i].national_id,
				   s->m[i].office, (long long)s->m[i].report_at);
		crypto_hash_sha256_update(&h, (const unsigned char *)line, (size_t)len);
	}
	crypto_hash_sha256_final(&h, out);
	sodium_bin2hex(hex, 65, out, 32);
}

static json_t *summary_json(const struct selection *s)
{
	json_t *o = json_object(), *ex = json_object(), *by_office = json_object();
	json_t *by_region = json_object();
	int64_t capacity = 0;

	for (int i = 0; i < EXCL__COUNT; i++)
		json_object_set_new(ex, excl_names[i], json_integer(s->excluded[i]));
	for (size_t i = 0; i < s->n_offices; i++) {
		const struct office_plan *op = &s->offices[i];
		json_t *reg;
		if (in_list(s->req->offices, op->o.id) && in_list(s->req->regions, op->o.region))
			capacity += campaign_plan_capacity(&op->plan);
		if (!op->placed)
			continue;
		json_object_set_new(by_office, op->o.id, json_integer(op->placed));
		reg = json_object_get(by_region, op->o.region);
		json_object_set_new(by_region, op->o.region,
				    json_integer((reg ? json_integer_value(reg) : 0) + op->placed));
	}
	json_object_set_new(o, "by_region", by_region);
	json_object_set_new(o, "by_office", by_office);
	json_object_set_new(o, "excluded", ex);
	json_object_set_new(o, "eligible", json_integer(s->eligible));
	json_object_set_new(o, "capacity", json_integer(capacity));
	json_object_set_new(o, "unplaced_no_capacity", json_integer(s->no_capacity));
	json_object_set_new(o, "quota_met", json_boolean((int64_t)s->n >= s->req->quota));
	return o;
}

static enum mu_err select_members(struct app *a, const struct campaign_req *r,
				  const char *self_id, struct selection *s,
				  struct mu_error *err)
{
	enum mu_err rc;

	memset(s, 0, sizeof(*s));
	s->req = r;
	s->app = a;
	s->now = r->report_from;
	if ((rc = load_plans(a, r, s, err)))
		return rc;
	if (r->offices) {  /* an office that does not exist selects nobody: a typo */
		size_t i;
		json_t *x;
		json_array_foreach(r->offices, i, x) {
			size_t k = 0;
			while (k < s->n_offices && strcmp(s->offices[k].o.id, json_string_value(x)))
				k++;
			if (k == s->n_offices)
				return mu_fail(err, MU_EINVAL, "criteria.offices", "office '%.32s'"
					       " is not a known office", json_string_value(x));
		}
	}
	rc = store_campaign_scan(a->st, r->purpose, r->born_from, r->born_to, self_id,
				 consider, s);
	if (rc == MU_OK)
		rc = s->rc;
	if (rc)
		return mu_fail(err, rc, NULL, "the selection could not be computed");
	return MU_OK;
}

static void selection_free(struct selection *s)
{
	free(s->offices);
	free(s->m);
}

static void fill_summary(struct campaign *c, struct selection *s)
{
	json_t *sum = summary_json(s);
	char *txt = json_dumps(sum, JSON_COMPACT);

	snprintf(c->summary, sizeof(c->summary), "%s", txt ? txt : "{}");
	free(txt);
	json_decref(sum);
	selection_hash(s, c->selection_hash);
	c->selected = (int64_t)s->n;
}

enum mu_err app_campaign_draft(struct app *a, const struct campaign_req *r,
			       const struct audit_ctx *ctx, struct campaign *out,
			       struct mu_error *err)
{
	struct selection s;
	char rnd[16];
	enum mu_err rc = select_members(a, r, NULL, &s, err);

	if (rc) {
		selection_free(&s);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	rand_base32(rnd, sizeof(rnd), 10);
	snprintf(out->id, sizeof(out->id), "C-%s", rnd);
	snprintf(out->name, sizeof(out->name), "%s", r->name);
	snprintf(out->legal_basis, sizeof(out->legal_basis), "%s", r->legal_basis);
	snprintf(out->criteria, sizeof(out->criteria), "%s", r->criteria_text);
	snprintf(out->state, sizeof(out->state), "draft");
	snprintf(out->created_by, sizeof(out->created_by), "%s", ctx->token_id ? ctx->token_id : "");
	out->purpose = r->purpose;
	out->report_from = r->report_from;
	out->report_to = r->report_to;
	out->quota = r->quota;
	out->created_at = ctx->at;
	fill_summary(out, &s);
	rc = store_campaign_put(a->st, out, s.m, s.n, 0, ctx, err);
	selection_free(&s);
	return rc;
}

enum mu_err app_campaign_recompute(struct app *a, struct campaign *c,
				   const struct audit_ctx *ctx, struct mu_error *err)
{
	struct campaign_req q = {0};
	struct selection s;
	json_t *crit = json_loads(c->criteria, 0, NULL);
	char *txt = NULL;
	enum mu_err rc;

	if (!crit)
		return mu_fail(err, MU_EINTERNAL, NULL, "the stored criteria of %s are "
			       "unreadable", c->id);
	q.name = c->name;
	q.legal_basis = c->legal_basis;
	q.purpose = c->purpose;
	q.quota = c->quota;
	q.report_from = c->report_from;
	q.report_to = c->report_to;
	rc = parse_criteria(crit, &q, err);
	if (rc == MU_OK)
		rc = criteria_text(crit, &q, &txt, err);
	if (rc == MU_OK) {
		rc = select_members(a, &q, c->id, &s, err);
		if (rc == MU_OK) {
			fill_summary(c, &s);
			rc = store_campaign_put(a->st, c, s.m, s.n, 1, ctx, err);
		}
		selection_free(&s);
	}
	free(txt);
	json_decref(crit);
	return rc;
}

/* When will this new summons first change anything, with no new events?
 * e is scratch space for the engine. */
static int64_t first_change(struct app *a, const struct campaign_member *m,
			    const char *zone, int64_t now, struct sm_eval *e)
{
	struct sm_event ev[2] = {
		{1, EV_ISSUED, now, now, MU_T_NONE, AO_NONE},
		{2, EV_PUBLISHED, now, now, MU_T_NONE, AO_NONE},
	};
	struct sm_facts f = {m->summons_id, zone, now, m->report_at, ev, 2};

	if (rules_eval(a->profile, &f, now, e) == MU_OK)
		return rules_next_change(e, 1, now);
	return now;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* n distinct random 60-bit numbers in ascending order. */
static uint64_t *sorted_randoms(size_t n)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	randombytes_buf(v, n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] >>= 4;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (v[i] <= v[i - 1])
			v[i] = v[i - 1] + 1;
	return v;
}

/* k base32 characters of the low 5k bits of v, most significant first:
 * the alphabet (util/rand.c's) is in ASCII order, so the text sorts as the
 * number does. */
static void base32(uint64_t v, int k, char *out)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

	for (int i = k - 1; i >= 0; i--, v >>= 5)
		out[i] = alphabet[v & 31];
	out[k] = 0;
}

/* A verification code: VCODE_LEN base32 characters of the 100 random
 * bits in r. */
static void vcode(const uint64_t r[2], char out[VCODE_LEN + 1])
{
	base32(r[0], 12, out);
	base32(r[1], VCODE_LEN - 12, out + 12);
}

/* Summons ids, verification codes and first changes of every member. The
 * ids are random like any summons id, but handed out in ascending order
 * along the selection, which is national_id order: the issuing transaction
 * then appends to the indexes of summonses and events, and to persons,
 * instead of writing all over them. */
static enum mu_err prepare_members(struct app *a, struct campaign_member *m, size_t n,
				   int64_t now)
{
	struct office *o = NULL;
	struct sm_eval *e = malloc(sizeof(*e));
	uint64_t *ids = sorted_randoms(n);
	/* every code's random bits at once: one call, not a million */
	uint64_t *r = malloc((n ? n : 1) * 2 * sizeof(*r));
	size_t n_o = 0, k = 0;
	enum mu_err rc = e && ids && r ? store_office_list(a->st, &o, &n_o) : MU_ENOMEM;

	if (rc == MU_OK)
		randombytes_buf(r, n * 2 * sizeof(*r));
	for (size_t i = 0; rc == MU_OK && i < n; i++) {
		memcpy(m[i].summons_id, "S-", 2);
		base32(ids[i], 12, m[i].summons_id + 2);
		vcode(r + 2 * i, m[i].vcode);
		if (k >= n_o || strcmp(o[k].id, m[i].office))
			for (k = 0; k < n_o && strcmp(o[k].id, m[i].office); k++)
				;
		if (k == n_o)
			rc = MU_EIO;
		else
			m[i].next_due = first_change(a, &m[i], o[k].timezone, now, e);
		if (m[i].report_at <= now)
			m[i].excluded = 1; /* its slot has passed: cannot be summoned */
	}
	if (r)
		sodium_memzero(r, n * 2 * sizeof(*r));
	free(r);
	free(o);
	free(ids);
	free(e);
	return rc;
}

/* A campaign summons goes to the person's portal account too, when they
 * have one (the channel plan of app_channels.c). Persons without an
 * account need nothing stored: their plan is registered post, the default.
 * This runs after the issuing transaction, for the members the re-check
 * found with an account (one opened during the approval itself gets the
 * default: post). */
static void account_channel(struct app *a, const struct campaign *c,
			    const struct campaign_member *m, const struct audit_ctx *ctx)
{
	char provider[16] = "";
	struct summons sm = {0};

	if (store_account_get(a->st, m->national_id, provider) != MU_OK)
		return;
	snprintf(sm.id, sizeof(sm.id), "%s", m->summons_id);
	snprintf(sm.national_id, sizeof(sm.national_id), "%s", m->national_id);
	snprintf(sm.office, sizeof(sm.office), "%s", m->office);
	snprintf(sm.verification_code, sizeof(sm.verification_code), "%s", m->vcode);
	snprintf(sm.created_by, sizeof(sm.created_by), "%s", c->approved_by);
	snprintf(sm.campaign, sizeof(sm.campaign), "%s", c->id);
	sm.purpose = c->purpose;
	sm.issued_at = c->approved_at;
	sm.report_at = m->report_at;
	app_channels_issued(a, &sm, 0, ctx);
}

/* The re-check before issuing, over one read of every member with their
 * record: members[] is in seq order, as the scan is. */
struct recheck {
	struct app *app;
	const struct campaign *c;
	struct campaign_member *m;
	size_t n, i;
};

static int recheck_one(void *ctx, const struct campaign_candidate *cand)
{
	struct recheck *r = ctx;

	while (r->i < r->n && r->m[r->i].seq < cand->seq)
		r->i++;
	if (r->i == r->n || r->m[r->i].seq != cand->seq)
		return 0;
	if (candidate_barred(r->app, cand, r->c->purpose, r->c->approved_at))
		r->m[r->i].excluded = 2;
	r->m[r->i].account = cand->has_account;
	r->m[r->i].row_hint = cand->row_hint;
	return 0;
}

/* Drop members who may no longer be summoned for the purpose (removed, or
 * barred by fitness, a deferment or an exemption) or whose slot has
 * passed; the store re-checks removal and open summonses inside the
 * issuing transaction. */
static enum mu_err recheck(struct app *a, const struct campaign *c,
			   struct campaign_member *m, size_t *n, json_t *excluded)
{
	struct recheck r = {a, c, m, *n, 0};
	size_t k = 0;
	enum mu_err rc = store_campaign_member_scan(a->st, c->id, recheck_one, &r);

	if (rc)
		return rc;
	for (size_t i = 0; i < *n; i++) {
		if (!m[i].excluded) {
			m[k++] = m[i];
			continue;
		}
		json_array_append_new(excluded, json_pack("{s:s, s:s}", "national_id",
			m[i].national_id, "reason", m[i].excluded == 1 ? "slot_passed" : "ineligible"));
	}
	*n = k;
	return MU_OK;
}

static void set_phase(struct campaign_progress *pr, int phase)
{
	if (pr)
		__atomic_store_n(&pr->phase, phase, __ATOMIC_RELAXED);
}

/* The four-eyes rule and the state, before anything is read. */
static enum mu_err may_approve(const struct campaign *c, const struct audit_ctx *ctx,
			       struct mu_error *err)
{
	if (strcmp(c->state, "draft"))
		return mu_fail(err, MU_ECONFLICT, "state", "campaign %s is %s, not a draft",
			       c->id, c->state);
	if (ctx->token_id && !strcmp(ctx->token_id, c->created_by))
		return mu_fail(err, MU_EFORBIDDEN, NULL, "the creator of a campaign can never "
			       "approve it: a second officer must");
	return MU_OK;
}

/* Whether the members still fit the offices' capacity beside the summonses
 * issued since the draft (another campaign approved meanwhile): 409 if an
 * office would get more people a day than its capacity. */
static enum mu_err still_fits(struct app *a, const struct campaign *c,
			      const struct campaign_member *m, size_t n, struct mu_error *err)
{
	struct campaign_req r = {.report_from = c->report_from, .report_to = c->report_to};
	struct selection s = {0};
	enum mu_err rc = load_plans(a, &r, &s, err);
	int (*before)[CAMPAIGN_MAX_DAYS] = NULL;

	/* only the days this campaign adds people to count: a day already
	 * overfull by others (a lowered capacity) is not this campaign's doing */
	if (rc == MU_OK && !(before = malloc((s.n_offices + 1) * sizeof(*before))))
		rc = mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; rc == MU_OK && i < s.n_offices; i++)
		memcpy(before[i], s.offices[i].plan.taken, sizeof(before[i]));
	for (size_t i = 0; rc == MU_OK && i < n; i++)
		if (!m[i].excluded)
			take_slot(&s, m[i].office, m[i].report_at);
	for (size_t i = 0; rc == MU_OK && i < s.n_offices; i++)
		if (campaign_plan_over(&s.offices[i].plan, before[i]))
			rc = mu_fail(err, MU_ECONFLICT, "report_at", "office %s would get more"
				     " people a day than its capacity: summonses were issued for"
				     " the same days since the draft; recompute it"
				     " (POST /v1/campaigns/%s/recompute) and approve again",
				     s.offices[i].o.id, c->id);
	free(before);
	free(s.offices);
	return rc;
}

enum mu_err app_campaign_approve(struct app *a, struct campaign *c,
				 const struct audit_ctx *ctx, json_t **report,
				 struct campaign_progress *pr, struct mu_error *err)
{
	struct campaign_member *m = NULL;
	size_t n = 0, issued = 0;
	json_t *excluded;
	int64_t total;
	enum mu_err rc;

	*report = NULL;
	if ((rc = may_approve(c, ctx, err)))
		return rc;
	set_phase(pr, CP_PREPARE);
	excluded = json_array();
	rc = store_campaign_members(a->st, c->id, 0, 0, &m, &n, &total);
	if (rc == MU_OK)
		rc = prepare_members(a, m, n, ctx->at);
	if (rc == MU_OK) {
		snprintf(c->approved_by, sizeof(c->approved_by), "%s", ctx->token_id ? ctx->token_id : "");
		c->approved_at = ctx->at;
		rc = recheck(a, c, m, &n, excluded);
	}
	if (rc == MU_OK)
		rc = still_fits(a, c, m, n, err);
	if (rc == MU_OK) {
		if (pr)
			__atomic_store_n(&pr->total, (int64_t)n, __ATOMIC_RELAXED);
		set_phase(pr, CP_ISSUE);
		rc = store_campaign_issue(a->st, c, m, n, ctx, pr ? &pr->st : NULL, &issued, err);
	}
	set_phase(pr, CP_CHANNELS);
	for (size_t i = 0; rc == MU_OK && i < n; i++)
		if (m[i].excluded)
			json_array_append_new(excluded, json_pack("{s:s, s:s}", "national_id",
				m[i].national_id, "reason", "removed_or_open_summons"));
		else if (m[i].account)
			account_channel(a, c, &m[i], ctx);
	free(m);
	set_phase(pr, CP_DONE);
	if (rc) {
		json_decref(excluded);
		if (!err || !err->detail[0])
			mu_fail(err, rc, NULL, "the campaign could not be issued");
		return rc;
	}
	c->issued = (int64_t)issued;
	snprintf(c->state, sizeof(c->state), "issued");
	*report = json_pack("{s:s, s:s, s:I, s:o}", "id", c->id, "state", "issued",
			    "issued", (json_int_t)issued, "excluded", excluded);
	return MU_OK;
}

enum mu_err app_campaign_cancel(struct app *a, const struct campaign *c,
				const char *reason, const struct audit_ctx *ctx,
				size_t *cancelled, struct mu_error *err)
{
	struct summons_id *ids = NULL;
	struct event_rec e = {0};
	size_t n = 0;
	enum mu_err rc = MU_OK;

	*cancelled = 0;
	if (!reason || !reason[0] || strlen(reason) > REASON_MAX_LEN)
		return mu_fail(err, MU_EINVAL, "reason", "a written reason (at most %d bytes) "
			       "is required", REASON_MAX_LEN);
	/* Cancelled already: a cancellation cut short (a failed write, a
	 * crash) left summonses open; asking again cancels what is left,
	 * under the first reason. */
	if (!strcmp(c->state, "cancelled"))
		reason = c->cancel_reason[0] ? c->cancel_reason : reason;
	else
		rc = store_campaign_cancel(a->st, c->id, reason, ctx, err);
	if (rc != MU_OK)
		return rc;
	rc = store_campaign_summons_ids(a->st, c->id, &ids, &n);
	e.ev.type = EV_CANCELLED;
	e.ev.at = e.ev.recorded_at = ctx->at;
	e.ev.new_report_at = MU_T_NONE;
	snprintf(e.actor, sizeof(e.actor), "%s", ctx->token_id ? ctx->token_id : "");
	snprintf(e.actor_role, sizeof(e.actor_role), "%s", ctx->role ? ctx->role : "");
	snprintf(e.reference, sizeof(e.reference), "campaign %s cancelled: %.80s", c->id, reason);
	/* an ended summons refuses the event: it is skipped, not counted */
	if (rc == MU_OK)
		rc = app_record_events(a, ids, n, &e, ctx, cancelled, err);
	free(ids);
	if (rc) /* the campaign itself is cancelled by now */
		mu_fail(err, rc, NULL, "the campaign is cancelled but %zu of its summonses were "
			"cancelled before a write failed (%s); ask again to cancel the rest",
			*cancelled, mu_err_name(rc));
	return rc;
}

json_t *app_campaign_cancel_json(const struct campaign *c, size_t cancelled)
{
	return json_pack("{s:s, s:s, s:I}", "id", c->id, "state", "cancelled",
			 "summonses_cancelled", (json_int_t)cancelled);
}

json_t *app_campaign_list_json(struct app *a)
{
	struct campaign *v = NULL;
	size_t n = 0;
	json_t *arr;

	if (store_campaign_list(a->st, &v, &n) != MU_OK) {
		free(v);
		return NULL;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", v[i].id,
			"name", v[i].name, "state", v[i].state, "selected", (json_int_t)v[i].selected,
			"issued", (json_int_t)v[i].issued));
	free(v);
	return json_pack("{s:o}", "campaigns", arr);
}

json_t *app_campaign_json(struct app *a, const struct campaign *c, int64_t at)
{
	char from[MU_RFC3339_MAX], to[MU_RFC3339_MAX];
	json_t *o, *crit = json_loads(c->criteria, 0, NULL), *sum = json_loads(c->summary, 0, NULL);

	mu_time_format(c->report_from, from, sizeof(from));
	mu_time_format(c->report_to, to, sizeof(to));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:s, s:s}",
		      "id", c->id, "name", c->name, "legal_basis", c->legal_basis,
		      "purpose", purpose_name(c->purpose) ?: "", "report_from", from,
		      "report_to", to, "quota", (json_int_t)c->quota, "state", c->state,
		      "selected", (json_int_t)c->selected, "issued", (json_int_t)c->issued,
		      "selection_hash", c->selection_hash, "created_by", c->created_by);
	json_object_set_new(o, "criteria", crit ? crit : json_object());
	json_object_set_new(o, "selection", sum ? sum : json_object());
	if (c->approved_by[0])
		json_object_set_new(o, "approved_by", json_string(c->approved_by));
	if (c->cancel_reason[0])
		json_object_set_new(o, "cancel_reason", json_string(c->cancel_reason));
	if (strcmp(c->state, "draft"))
		app_campaign_counts(a, c, at, o);
	return o;
}

/* Count one page of a campaign's summonses into the report's tallies. */
static void count_page(struct app *a, const struct summons_set *set, int64_t at,
		       struct sm_eval *ev, json_t *by_state, json_t *by_office,
		       json_t *by_channel, int64_t *reported)
{
	struct sm_facts f;

	for (size_t i = 0; i < set->n; i++) {
		const char *st, *ch;
		json_t *x;
		app_facts(&(struct summons_set){1, &set->items[i], 0}, &f);
		if (rules_eval(a->profile, &f, at, ev) != MU_OK)
			continue;
		st = summons_state_name(ev->state);
		json_object_set_new(by_state, st, json_integer(json_integer_value(json_object_get(by_state, st)) + 1));
		x = json_object_get(by_office, set->items[i].s.office);
		json_object_set_new(by_office, set->items[i].s.office, json_integer((x ? json_integer_value(x) : 0) + 1));
		ch = ev->delivered_at != MU_T_NONE ? ev_type_name(ev->delivered_by) : "not_delivered";
		x = json_object_get(by_channel, ch);
		json_object_set_new(by_channel, ch, json_integer((x ? json_integer_value(x) : 0) + 1));
		*reported += ev->state == SS_REPORTED;
	}
}

void app_campaign_counts(struct app *a, const struct campaign *c, int64_t at, json_t *o)
{
	struct summons_set *set = NULL;
	struct sm_eval *ev = malloc(sizeof(*ev));
	json_t *by_state = json_object(), *by_office = json_object(), *by_channel = json_object();
	int64_t reported = 0, after = 0;
	enum mu_err rc = ev ? MU_OK : MU_ENOMEM;

	for (int k = SS_PENDING; k <= SS_CANCELLED; k++)
		json_object_set_new(by_state, summons_state_name(k), json_integer(0));
	/* page by page: a campaign of a million summonses is never in memory */
	while (rc == MU_OK &&
	       (rc = store_campaign_summonses(a->st, c->id, &after, 4096, &set)) == MU_OK &&
	       set->n) {
		count_page(a, set, at, ev, by_state, by_office, by_channel, &reported);
		summons_set_free(set);
		set = NULL;
	}
	summons_set_free(set);
	free(ev);
	if (rc) {
		json_decref(by_state);
		json_decref(by_office);
		json_decref(by_channel);
		return;
	}
	json_object_set_new(o, "counts", json_pack("{s:o, s:o, s:o}", "by_state", by_state,
						   "by_office", by_office, "by_channel", by_channel));
	json_object_set_new(o, "reported", json_integer(reported));
	json_object_set_new(o, "reported_of_quota", json_real(c->quota ? (double)reported / (double)c->quota : 0));
}

