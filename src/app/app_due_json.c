/*
 * app_due_json.c: due-process records as JSON, and their part of a
 * person's status, with plain-language explanations (domain/due.c).
 *
 * "As of" an instant, like the rest of the status: a record filed after
 * `at` is not shown, and a decision taken after `at` shows as pending, so
 * a past status can be reproduced. Must not write anything.
 */
#include "app/app_due_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPLAIN_MAX 4096

static json_t *t_json(int64_t t)
{
	char buf[MU_RFC3339_MAX];

	if (t == MU_T_NONE)
		return json_null();
	mu_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *purposes_json(unsigned bits)
{
	json_t *a = json_array();

	for (int i = 0; i < PU__COUNT; i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string(purpose_name(i)));
	return a;
}

/* The state of a claim as of `at`: its decision only once taken. */
static enum due_state state_at(enum due_state st, const struct due_stamp *decided,
			       int64_t at)
{
	return decided->at <= at ? st : DS_PENDING;
}

static void put_decided(json_t *o, const struct due_stamp *d, enum due_state st)
{
	if (st == DS_PENDING)
		return;
	json_object_set_new(o, "decided_at", t_json(d->at));
	json_object_set_new(o, "decided_by", json_string(d->token));
	json_object_set_new(o, "decided_by_role", json_string(d->role));
}

json_t *app_json_fitness(struct app *a, const struct fitness_rec *f, int64_t at,
			 const char *zone)
{
	char cat[2] = {f->category, 0}, text[EXPLAIN_MAX];
	json_t *o;

	due_explain_fitness(f, at, zone, text, sizeof(text));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:s}",
		      "id", f->id, "national_id", f->national_id, "category", cat,
		      "decided_on", f->decided_on, "reference", f->reference,
		      "recorded_at", t_json(f->recorded.at), "recorded_by",
		      f->recorded.token, "recorded_by_role", f->recorded.role,
		      "set_aside", f->set_aside_at <= at, "explanation", text);
	if (f->category == 'G') {
		json_object_set_new(o, "reexamine_on", json_string(f->reexamine_on));
		json_object_set_new(o, "reexamine_at", t_json(f->reexamine_at));
	}
	if (f->set_aside_at <= at)
		json_object_set_new(o, "set_aside_by", json_string(f->set_aside_by));
	return o;
}

static const char *exemption_state(const struct exemption_rec *e, int64_t at)
{
	if (due_exemption_active(e, at))
		return "active";
	return e->revoked.at <= at ? "revoked" : "expired";
}

json_t *app_json_exemption(struct app *a, const struct exemption_rec *e,
			   int64_t at, const char *zone)
{
	char text[EXPLAIN_MAX];
	json_t *o;

	due_explain_exemption(a->profile, e, at, zone, text, sizeof(text));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:s}",
		      "id", e->id, "national_id", e->national_id, "kind",
		      exemption_kind_name(e->kind), "reason", e->reason, "document",
		      e->document, "valid_until", t_json(e->valid_until),
		      "granted_at", t_json(e->granted.at), "granted_by",
		      e->granted.token, "granted_by_role", e->granted.role,
		      "state", exemption_state(e, at), "bars",
		      purposes_json(profile_exemption_bars(a->profile, e->reason,
							   e->kind)),
		      "explanation", text);
	if (e->revoked.at <= at) {
		json_object_set_new(o, "revoked_at", t_json(e->revoked.at));
		json_object_set_new(o, "revoked_by", json_string(e->revoked.token));
		json_object_set_new(o, "revoke_reason", json_string(e->revoke_reason));
	}
	return o;
}

static enum due_state override_state_at(const struct override_rec *ov, int64_t at)
{
	if (ov->used.at <= at)
		return DS_USED;
	if (ov->decided.at <= at)
		return ov->state == DS_REJECTED ? DS_REJECTED : DS_APPROVED;
	return DS_PENDING;
}

static json_t *bases_json(const char *bases)
{
	json_t *arr = json_array();
	char buf[DUE_BASES_MAX + 1], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", bases);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(t));
	return arr;
}

json_t *app_json_override(struct app *a, const struct override_rec *ov,
			  int64_t at, const char *zone)
{
	enum due_state st = override_state_at(ov, at);
	char text[EXPLAIN_MAX];
	json_t *o;

	due_explain_override(ov, st, zone, text, sizeof(text));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s}",
		      "id", ov->id, "national_id", ov->national_id, "purpose",
		      purpose_name(ov->purpose) ?: "", "reason", ov->reason,
		      "bars", bases_json(ov->bases), "state", due_state_name(st),
		      "requested_at", t_json(ov->requested.at), "requested_by",
		      ov->requested.token, "requested_by_role", ov->requested.role,
		      "explanation", text);
	put_decided(o, &ov->decided, st);
	if (st != DS_PENDING && ov->decision_note[0])
		json_object_set_new(o, "decision_note", json_string(ov->decision_note));
	if (st == DS_USED) {
		json_object_set_new(o, "used_at", t_json(ov->used.at));
		json_object_set_new(o, "summons_id", json_string(ov->summons_id));
	}
	return o;
}

json_t *app_json_excuse(struct app *a, const struct excuse_rec *e, int64_t at,
			const char *zone)
{
	enum due_state st = state_at(e->state, &e->decided, at);
	char text[EXPLAIN_MAX];
	json_t *o;

	due_explain_excuse(a->profile, e, st, zone, text, sizeof(text));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}",
		      "id", e->id, "summons_id", e->summons_id, "national_id",
		      e->national_id, "reason", e->reason, "document", e->document,
		      "note", e->note, "state", due_state_name(st), "filed_at",
		      t_json(e->filed.at), "filed_by", e->filed.token,
		      "filed_by_role", e->filed.role, "explanation", text);
	put_decided(o, &e->decided, st);
	if (st == DS_REJECTED)
		json_object_set_new(o, "decision_reason", json_string(e->decision_reason));
	if (st == DS_ACCEPTED) {
		json_object_set_new(o, "new_report_at", t_json(e->new_report_at));
		json_object_set_new(o, "event_seq", json_integer(e->event_seq));
	}
	return o;
}

json_t *app_json_appeal(struct app *a, const struct appeal_rec *r, int64_t at,
			const char *zone)
{
	enum due_state st = state_at(r->state, &r->decided, at);
	int suspends = r->subject == AS_SUMMONS && profile_appeal_suspends(a->profile);
	char text[EXPLAIN_MAX];
	json_t *o;

	due_explain_appeal(a->profile, r, st, zone, text, sizeof(text));
	o = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:o, s:s, s:s, s:b, s:s}",
		      "id", r->id, "case_number", r->id, "national_id", r->national_id,
		      "against", "type", appeal_subject_name(r->subject), "id",
		      r->subject_id, "grounds", r->grounds, "state", due_state_name(st),
		      "filed_at", t_json(r->filed.at), "filed_by", r->filed.token,
		      "filed_by_role", r->filed.role, "suspends_restrictions",
		      suspends && st == DS_PENDING, "explanation", text);
	put_decided(o, &r->decided, st);
	if (st != DS_PENDING) {
		json_object_set_new(o, "outcome", json_string(due_state_name(st)));
		json_object_set_new(o, "reference", json_string(r->reference));
	}
	return o;
}

json_t *app_json_correction(struct app *a, const struct correction_rec *c,
			    int64_t at, const char *zone)
{
	enum due_state st = state_at(c->state, &c->decided, at);
	char text[EXPLAIN_MAX];
	json_t *o;

	due_explain_correction(c, st, at, zone, text, sizeof(text));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:b, s:s}",
		      "id", c->id, "national_id", c->national_id, "field", c->field,
		      "current_value", c->current_value, "proposed_value",
		      c->proposed_value, "evidence", c->evidence, "state",
		      due_state_name(st), "filed_at", t_json(c->filed.at), "filed_by",
		      c->filed.token, "filed_by_role", c->filed.role, "deadline",
		      t_json(c->deadline), "overdue", st == DS_PENDING && at >= c->deadline,
		      "explanation", text);
	put_decided(o, &c->decided, st);
	if (st != DS_PENDING && c->decision_reason[0])
		json_object_set_new(o, "decision_reason", json_string(c->decision_reason));
	return o;
}

/* ---- a record by id ---- */

static json_t *record_json(struct app *a, struct due_view *v, const char *id,
			   int64_t at)
{
	void *r;

	if ((r = due_find_override(v->d, id)))
		return app_json_override(a, r, at, v->zone);
	if ((r = due_find_excuse(v->d, id)))
		return app_json_excuse(a, r, at, v->zone);
	if ((r = due_find_appeal(v->d, id)))
		return app_json_appeal(a, r, at, v->zone);
	if ((r = due_find_correction(v->d, id)))
		return app_json_correction(a, r, at, v->zone);
	if ((r = due_find_exemption(v->d, id)))
		return app_json_exemption(a, r, at, v->zone);
	if ((r = due_find_fitness(v->d, id)))
		return app_json_fitness(a, r, at, v->zone);
	return NULL;
}

enum mu_err app_due_record_json(struct app *a, const char *id, const char *prefix,
				int64_t at, struct person *owner, json_t **out,
				struct mu_error *err)
{
	struct due_view v;
	enum mu_err rc;

	*out = NULL;
	if (!id || (prefix && strncmp(id, prefix, strlen(prefix))))
		return mu_fail(err, MU_ENOTFOUND, "id", "no record %.32s", id ? id : "");
	if ((rc = due_view_of(a, id, &v, err)))
		return rc;
	*owner = v.p;
	*out = record_json(a, &v, id, at);
	due_view_free(&v);
	return *out ? MU_OK : mu_fail(err, MU_ENOTFOUND, "id", "no record %.32s", id);
}

/* ---- lists and the status ---- */

/* The fitness in force: {"category","decision","explanation"}. */
static json_t *fitness_now(struct app *a, const struct due_view *v, int64_t at)
{
	const struct fitness_rec *by;
	char cat = due_fitness_at(&v->p, v->d, at, &by), c[2] = {cat, 0};
	char text[EXPLAIN_MAX];

	if (by)
		due_explain_fitness(by, at, v->zone, text, sizeof(text));
	else if (cat)
		snprintf(text, sizeof(text), "Your record shows fitness category %c (%s). "
			 "No decision of the medical board about it is recorded here.",
			 cat, due_category_words(cat));
	else
		snprintf(text, sizeof(text), "No fitness category is recorded for you.");
	return json_pack("{s:o, s:o, s:s}", "category", cat ? json_string(c) : json_null(),
			 "decision", by ? json_string(by->id) : json_null(),
			 "explanation", text);
}

static json_t *history_json(struct app *a, const struct due_view *v, int64_t at)
{
	const struct fitness_rec *by;
	json_t *arr = json_array();

	due_fitness_at(&v->p, v->d, at, &by);
	for (size_t i = 0; i < v->d->n_fitness; i++) {
		const struct fitness_rec *f = &v->d->fitness[i];
		json_t *o;
		if (f->recorded.at > at)
			continue;
		o = app_json_fitness(a, f, at, v->zone);
		json_object_set_new(o, "current", json_boolean(f == by));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *protections_json(struct app *a, const struct due_view *v, int64_t at)
{
	struct due_bar bars[DUE_BARS_MAX];
	size_t n = due_bars(a->profile, &v->p, v->d, at, bars, DUE_BARS_MAX);
	char text[EXPLAIN_MAX];
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		due_explain_bar(a->profile, &bars[i], v->zone, text, sizeof(text));
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:o, s:o, s:o, s:s}", "kind",
			bar_kind_name(bars[i].kind), "basis", bars[i].basis,
			"purposes", purposes_json(bars[i].purposes), "since",
			t_json(bars[i].since), "until", t_json(bars[i].until),
			"explanation", text));
	}
	return arr;
}

/* Every record of a list filed by `at`, as JSON. */
#define LIST_JSON(name, type, list, count, stamp)                         \
	static json_t *name(struct app *a, const struct due_view *v, int64_t at) \
	{                                                                 \
		json_t *arr = json_array();                               \
		for (size_t i = 0; i < v->d->count; i++)                  \
			if (v->d->list[i].stamp.at <= at)                 \
				json_array_append_new(arr, app_json_##type(a, \
					&v->d->list[i], at, v->zone));    \
		return arr;                                               \
	}
LIST_JSON(exemptions_json, exemption, exemptions, n_exemptions, granted)
LIST_JSON(overrides_json, override, overrides, n_overrides, requested)
LIST_JSON(excuses_json, excuse, excuses, n_excuses, filed)
LIST_JSON(appeals_json, appeal, appeals, n_appeals, filed)
LIST_JSON(corrections_json, correction, corrections, n_corrections, filed)
#undef LIST_JSON

enum mu_err app_due_status(struct app *a, const char *nid, int64_t at,
			   json_t *status, struct mu_error *err)
{
	struct due_view v;
	enum mu_err rc = app_due_view(a, nid, &v, err);

	if (rc)
		return rc;
	json_object_set_new(status, "fitness", fitness_now(a, &v, at));
	json_object_set_new(status, "fitness_history", history_json(a, &v, at));
	json_object_set_new(status, "protections", protections_json(a, &v, at));
	json_object_set_new(status, "exemptions", exemptions_json(a, &v, at));
	json_object_set_new(status, "overrides", overrides_json(a, &v, at));
	json_object_set_new(status, "excuses", excuses_json(a, &v, at));
	json_object_set_new(status, "appeals", appeals_json(a, &v, at));
	json_object_set_new(status, "corrections", corrections_json(a, &v, at));
	due_view_free(&v);
	return MU_OK;
}

enum mu_err app_fitness_json(struct app *a, const char *nid, int64_t at,
			     json_t **out, struct mu_error *err)
{
	struct due_view v;
	enum mu_err rc = app_due_view(a, nid, &v, err);

	*out = NULL;
	if (rc)
		return rc;
	*out = json_pack("{s:s, s:o, s:o}", "national_id", v.p.national_id, "fitness",
			 fitness_now(a, &v, at), "decisions", history_json(a, &v, at));
	due_view_free(&v);
	return MU_OK;
}

enum mu_err app_exemptions_json(struct app *a, const char *nid, int64_t at,
				json_t **out, struct mu_error *err)
{
	struct due_view v;
	enum mu_err rc = app_due_view(a, nid, &v, err);

	*out = NULL;
	if (rc)
		return rc;
	*out = json_pack("{s:s, s:o, s:o}", "national_id", v.p.national_id,
			 "exemptions", exemptions_json(a, &v, at), "protections",
			 protections_json(a, &v, at));
	due_view_free(&v);
	return MU_OK;
}
