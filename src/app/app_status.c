/*
 * app_status.c: a person's legal position as of an instant, as JSON.
 *
 * Always computed from the facts by the pure engine, never read from the
 * materialised tables: the same facts, profile and instant give the same
 * answer, for the present, the past and a projected future.
 */
#include "app/app.h"
#include "app/app_due.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *time_or_null(int64_t t)
{
	char buf[MU_RFC3339_MAX];

	if (t == MU_T_NONE)
		return json_null();
	mu_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *summons_core(struct app *a, const struct summons_rec *r,
			    const struct sm_eval *ev)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(r->s.id));
	json_object_set_new(o, "national_id", json_string(r->s.national_id));
	json_object_set_new(o, "office", json_string(r->s.office));
	json_object_set_new(o, "office_name", json_string(r->office_name));
	json_object_set_new(o, "office_timezone", json_string(r->zone));
	json_object_set_new(o, "purpose", json_string(purpose_name(r->s.purpose) ?: ""));
	json_object_set_new(o, "issued_at", time_or_null(r->s.issued_at));
	json_object_set_new(o, "report_at", time_or_null(ev->report_at));
	if (ev->report_at != r->s.report_at)
		json_object_set_new(o, "original_report_at", time_or_null(r->s.report_at));
	json_object_set_new(o, "state", json_string(summons_state_name(ev->state)));
	json_object_set_new(o, "delivered_at", time_or_null(ev->delivered_at));
	if (ev->delivered_at != MU_T_NONE) {
		json_object_set_new(o, "delivered_by",
				    json_string(ev_type_name(ev->delivered_by)));
		json_object_set_new(o, "delivery_rule",
				    json_string(profile_rule_id(a->profile, ev->delivery_rule) ?: ""));
	}
	if (ev->ended_at != MU_T_NONE) {
		json_object_set_new(o, "ended_at", time_or_null(ev->ended_at));
		json_object_set_new(o, "ended_by", json_string(ev_type_name(ev->ended_by)));
	}
	json_object_set_new(o, "appeal_pending", json_boolean(ev->appeal_pending));
	if (r->s.campaign[0])
		json_object_set_new(o, "campaign", json_string(r->s.campaign));
	return o;
}

static json_t *restriction_json(struct app *a, const struct sm_facts *f,
				const struct sm_eval *ev,
				const struct rule_interval *iv,
				const struct summons_rec *r)
{
	char text[1024];

	rules_explain(a->profile, f, ev, iv, r->office_name, text, sizeof(text));
	return json_pack("{s:s, s:o, s:s, s:s, s:s, s:s}",
			 "kind", restr_kind_name(iv->kind),
			 "since", time_or_null(iv->from),
			 "basis", r->s.id,
			 "rule", profile_rule_id(a->profile, iv->rule) ?: "",
			 "profile", profile_version(a->profile),
			 "explanation", text);
}

static void add_in_force(struct app *a, const struct sm_facts *f,
			 const struct sm_eval *ev, const struct summons_rec *r,
			 int64_t at, json_t *list)
{
	for (size_t k = 0; k < ev->n_intervals; k++) {
		const struct rule_interval *iv = &ev->intervals[k];
		if (iv->from <= at && at < iv->until)
			json_array_append_new(list, restriction_json(a, f, ev, iv, r));
	}
}

enum mu_err app_status(struct app *a, const char *nid, int64_t at, json_t **out,
		       struct mu_error *err)
{
	struct summons_set *set = NULL;
	struct sm_facts *facts = NULL;
	struct sm_eval *ev = NULL;
	json_t *sums, *res, *o = NULL;
	enum mu_err rc = store_summons_of_person(a->st, nid, &set);

	*out = NULL;
	if (rc == MU_ENOTFOUND)
		return mu_fail(err, rc, "national_id", "no person %s on the register", nid);
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the register");
	facts = calloc(set->n + 1, sizeof(*facts));
	ev = calloc(set->n + 1, sizeof(*ev));
	if (!facts || !ev) {
		rc = mu_fail(err, MU_ENOMEM, NULL, "out of memory");
		goto out;
	}
	app_facts(set, facts);
	sums = json_array();
	res = json_array();
	o = json_pack("{s:s, s:o, s:s, s:o, s:o}", "national_id", nid, "at",
		      time_or_null(at), "profile", profile_version(a->profile),
		      "summonses", sums, "restrictions", res);
	for (size_t i = 0; rc == MU_OK && i < set->n; i++) {
		if (set->items[i].s.issued_at > at) {
			/* not yet issued at `at`: it did not exist */
			ev[i].n_intervals = 0;
			continue;
		}
		rc = rules_eval(a->profile, &facts[i], at, &ev[i]);
		if (rc) {
			mu_fail(err, rc, NULL, "summons %s cannot be evaluated",
				set->items[i].s.id);
			break;
		}
		json_array_append_new(sums, summons_core(a, &set->items[i], &ev[i]));
		add_in_force(a, &facts[i], &ev[i], &set->items[i], at, res);
	}
	if (rc == MU_OK) /* fitness, exemptions, appeals, ... (app_due_json.c) */
		rc = app_due_status(a, nid, at, o, err);
	if (rc == MU_OK) {
		json_object_set_new(o, "next_change",
				    time_or_null(rules_next_change(ev, set->n, at)));
		*out = o;
		o = NULL;
	}
out:
	json_decref(o);
	free(facts);
	free(ev);
	summons_set_free(set);
	return rc;
}

static json_t *event_json(const struct event_rec *m)
{
	json_t *o = json_pack("{s:I, s:s, s:o, s:o, s:s}", "seq", (json_int_t)m->ev.seq,
			      "type", ev_type_name(m->ev.type), "at",
			      time_or_null(m->ev.at), "recorded_at",
			      time_or_null(m->ev.recorded_at), "recorded_by",
			      m->actor_role);

	if (m->ev.new_report_at != MU_T_NONE)
		json_object_set_new(o, "new_report_at", time_or_null(m->ev.new_report_at));
	if (m->ev.outcome != AO_NONE)
		json_object_set_new(o, "outcome",
				    json_string(m->ev.outcome == AO_UPHELD ? "upheld" : "rejected"));
	if (m->reference[0])
		json_object_set_new(o, "reference", json_string(m->reference));
	if (m->audit_idx)
		json_object_set_new(o, "audit_index", json_integer(m->audit_idx));
	return o;
}

json_t *app_summons_json(struct app *a, const struct summons_rec *r, int64_t at)
{
	struct sm_facts f;
	struct sm_eval *ev = calloc(1, sizeof(*ev));
	json_t *o, *evs, *res;

	if (!ev)
		return NULL;
	app_facts(&(struct summons_set){1, (struct summons_rec *)r, 0}, &f);
	if (rules_eval(a->profile, &f, at, ev) != MU_OK) {
		free(ev);
		return NULL;
	}
	o = summons_core(a, r, ev);
	json_object_set_new(o, "verification_code", json_string(r->s.verification_code));
	evs = json_array();
	for (size_t i = 0; i < r->n_events; i++)
		json_array_append_new(evs, event_json(&r->meta[i]));
	json_object_set_new(o, "events", evs);
	res = json_array();
	add_in_force(a, &f, ev, r, at, res);
	json_object_set_new(o, "restrictions", res);
	json_object_set_new(o, "next_change", time_or_null(rules_next_change(ev, 1, at)));
	free(ev);
	return o;
}

/* One interval of the checked kind and the summons it comes from. */
struct check_iv {
	int64_t from, until;
	size_t summons;
};

/* The intervals of `kind` over every summons of the set, evaluated at `at`.
 * *out is malloc'ed (NULL when there are none). */
static enum mu_err kind_intervals(struct app *a, const struct summons_set *set,
				  enum restr_kind kind, int64_t at,
				  struct check_iv **out, size_t *n)
{
	struct sm_eval *ev = malloc(sizeof(*ev));
	struct sm_facts f;
	enum mu_err rc = ev ? MU_OK : MU_ENOMEM;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; rc == MU_OK && i < set->n; i++) {
		app_facts(&(struct summons_set){1, &set->items[i], 0}, &f);
		rc = rules_eval(a->profile, &f, at, ev);
		for (size_t k = 0; rc == MU_OK && k < ev->n_intervals; k++) {
			const struct rule_interval *iv = &ev->intervals[k];
			struct check_iv *nv;
			if (iv->kind != kind || iv->from >= iv->until)
				continue;
			nv = realloc(*out, (*n + 1) * sizeof(*nv));
			if (!nv) {
				rc = MU_ENOMEM;
				break;
			}
			*out = nv;
			(*out)[(*n)++] = (struct check_iv){iv->from, iv->until, i};
		}
	}
	free(ev);
	return rc;
}

/* The answer the status gives, and the materialised state holds
 * (app_reconcile.c): of the summonses that bar the kind at `at`, the one
 * whose bar began first, and when it began. A summons that has ended is
 * never the reference, and a fact recorded late is dated when it
 * happened. 0 when no bar holds at `at`. */
static int bar_at(const struct check_iv *iv, size_t n, int64_t at, int64_t *start,
		  size_t *which)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (iv[i].from <= at && at < iv[i].until && (!found || iv[i].from < *start)) {
			*start = iv[i].from;
			*which = iv[i].summons;
			found = 1;
		}
	}
	return found;
}

static enum mu_err check_facts(struct app *a, const char *nid, enum restr_kind kind,
			       int64_t at, int *permitted, int64_t *since, char *basis,
			       size_t basis_size)
{
	struct summons_set *set = NULL;
	struct check_iv *iv = NULL;
	size_t n = 0, which = 0;
	enum mu_err rc = store_summons_of_person(a->st, nid, &set);

	*permitted = 1;
	*since = MU_T_NONE;
	if (rc == MU_ENOTFOUND)
		return MU_OK; /* unknown: no register entry, no restriction */
	if (rc == MU_OK)
		rc = kind_intervals(a, set, kind, at, &iv, &n);
	if (rc == MU_OK && bar_at(iv, n, at, since, &which)) {
		*permitted = 0;
		snprintf(basis, basis_size, "%s", set->items[which].s.id);
	} else {
		*since = MU_T_NONE;
	}
	free(iv);
	summons_set_free(set);
	return rc;
}

enum mu_err app_check(struct app *a, const char *nid, enum restr_kind kind,
		      int64_t at, int *permitted, int64_t *since, char *basis,
		      size_t basis_size)
{
	struct check_row row;
	enum mu_err rc = store_restr_check(a->st, nid, kind, &row);

	*permitted = 1;
	*since = MU_T_NONE;
	if (rc)
		return rc;
	if (!row.person_found)
		return MU_OK; /* no register entry, no restriction */
	/* The materialised state holds over [reconciled_at, next_due). */
	if (row.reconciled_at <= at && (row.next_due == MU_T_NONE || at < row.next_due)) {
		if (row.imposed) {
			*permitted = 0;
			*since = row.since;
			snprintf(basis, basis_size, "%s", row.basis);
		}
		return MU_OK;
	}
	return check_facts(a, nid, kind, at, permitted, since, basis, basis_size);
}
