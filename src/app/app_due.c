/*
 * app_due.c: due process, part one: fitness decisions, deferments and
 * exemptions, overrides and the protection at issue. See app_due.h.
 *
 * Must not: decide a rule of law (that is domain/due.c and protect.c), or
 * write without an audit record (the store writes one with every change).
 */
#include "app/app_due_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/daycount.h"
#include "domain/protect.h"
#include "util/rand.h"

#define ALL_PURPOSES ((1u << PU__COUNT) - 1)
#define SERVICE_PURPOSES ((1u << PU_DISPATCH) | (1u << PU_TRAINING) | \
			  (1u << PU_MOBILIZATION))

/* ---- shared helpers (app_due_int.h) ---- */

enum mu_err due_text(const char *field, const char *v, size_t min, size_t max,
		     struct mu_error *err)
{
	size_t n = v ? strlen(v) : 0;

	if (!n)
		return min ? mu_fail(err, MU_EINVAL, field, "%s is required", field)
			   : MU_OK;
	if (n < min)
		return mu_fail(err, MU_EINVAL, field, "%s must be written out: at "
			       "least %zu bytes", field, min);
	if (n > max)
		return mu_fail(err, MU_EINVAL, field, "%s is longer than %zu bytes",
			       field, max);
	if (!text_valid(v))
		return mu_fail(err, MU_EINVAL, field, "%s must be UTF-8 text without "
			       "control characters", field);
	return MU_OK;
}

void due_new_id(char *buf, size_t size, const char *prefix)
{
	char rnd[16];

	rand_base32(rnd, sizeof(rnd), 12);
	snprintf(buf, size, "%s%s", prefix, rnd);
}

void due_stamp_now(struct due_stamp *s, const struct audit_ctx *ctx)
{
	snprintf(s->token, sizeof(s->token), "%s", ctx->token_id ? ctx->token_id : "");
	snprintf(s->role, sizeof(s->role), "%s", ctx->role ? ctx->role : "cli");
	s->at = ctx->at;
}

int due_summons_alive(struct app *a, const struct summons_rec *r, int64_t at)
{
	struct sm_facts f;
	struct sm_eval *ev = malloc(sizeof(*ev));
	int alive = 0;

	app_facts(&(struct summons_set){1, (struct summons_rec *)r, 0}, &f);
	if (ev && rules_eval(a->profile, &f, at, ev) == MU_OK)
		alive = ev->ended_at == MU_T_NONE;
	free(ev);
	return alive;
}

enum mu_err due_record_event(struct app *a, const char *sid, enum ev_type t,
			     int64_t new_report_at, enum appeal_outcome oc,
			     const char *reference, const struct audit_ctx *ctx,
			     int64_t *seq, struct mu_error *err)
{
	struct event_rec e;

	memset(&e, 0, sizeof(e));
	e.ev.type = t;
	e.ev.at = e.ev.recorded_at = ctx->at;
	e.ev.new_report_at = new_report_at;
	e.ev.outcome = oc;
	snprintf(e.actor, sizeof(e.actor), "%s", ctx->token_id ? ctx->token_id : "");
	snprintf(e.actor_role, sizeof(e.actor_role), "%s", ctx->role ? ctx->role : "cli");
	snprintf(e.reference, sizeof(e.reference), "%s", reference);
	return app_record_event(a, sid, &e, ctx, seq, err);
}

enum mu_err due_cancel_covered(struct app *a, const char *nid, unsigned purposes,
			       const char *reference, const struct audit_ctx *ctx,
			       json_t *cancelled, struct mu_error *err)
{
	struct summons_set *set = NULL;
	enum mu_err rc = store_summons_of_person(a->st, nid, &set);

	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the person's summonses");
	for (size_t i = 0; rc == MU_OK && i < set->n; i++) {
		const struct summons_rec *r = &set->items[i];
		if (!(purposes & (1u << r->s.purpose)) || r->s.issued_at > ctx->at ||
		    !due_summons_alive(a, r, ctx->at))
			continue;
		rc = due_record_event(a, r->s.id, EV_CANCELLED, MU_T_NONE, AO_NONE,
				      reference, ctx, NULL, err);
		if (rc == MU_OK && cancelled)
			json_array_append_new(cancelled, json_string(r->s.id));
	}
	summons_set_free(set);
	return rc;
}

#define FIND(type, list, count)                                         \
	struct type##_rec *due_find_##type(struct due_set *d, const char *id) \
	{                                                               \
		for (size_t i = 0; d && id && i < d->count; i++)        \
			if (!strcmp(d->list[i].id, id))                 \
				return &d->list[i];                     \
		return NULL;                                            \
	}
FIND(fitness, fitness, n_fitness)
FIND(exemption, exemptions, n_exemptions)
FIND(override, overrides, n_overrides)
FIND(excuse, excuses, n_excuses)
FIND(appeal, appeals, n_appeals)
FIND(correction, corrections, n_corrections)
#undef FIND

enum mu_err app_due_view(struct app *a, const char *nid, struct due_view *v,
			 struct mu_error *err)
{
	struct office o;
	enum mu_err rc;

	memset(v, 0, sizeof(*v));
	rc = nid && person_id_valid(nid) ? store_person_get(a->st, nid, &v->p)
					 : MU_ENOTFOUND;
	if (rc == MU_ENOTFOUND)
		return mu_fail(err, rc, "national_id", "no person %.32s on the register",
			       nid ? nid : "");
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the register");
	snprintf(v->zone, sizeof(v->zone), "%s",
		 store_office_get(a->st, v->p.office, &o) == MU_OK ? o.timezone : "UTC");
	rc = store_due_of_person(a->st, nid, &v->d);
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the due-process records");
	return MU_OK;
}

void due_view_free(struct due_view *v)
{
	if (!v)
		return;
	due_set_free(v->d);
	v->d = NULL;
}

enum mu_err app_due_owner(struct app *a, const char *id, struct person *p,
			  struct mu_error *err)
{
	char nid[NATIONAL_ID_MAX + 1];
	enum mu_err rc = id ? store_due_owner(a->st, id, nid) : MU_ENOTFOUND;

	if (rc == MU_OK)
		rc = store_person_get(a->st, nid, p);
	if (rc == MU_ENOTFOUND)
		return mu_fail(err, rc, "id", "no record %.32s", id ? id : "");
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the register");
	return MU_OK;
}

enum mu_err due_view_of(struct app *a, const char *id, struct due_view *v,
			struct mu_error *err)
{
	struct person p;
	enum mu_err rc = app_due_owner(a, id, &p, err);

	memset(v, 0, sizeof(*v));
	return rc ? rc : app_due_view(a, p.national_id, v, err);
}

/* ---- fitness decisions ---- */

static enum mu_err date_field(const char *field, const char *s, int64_t *day,
			      int *y, int *m, int *d, struct mu_error *err)
{
	if (!s || mu_date_parse(s, y, m, d) != MU_OK)
		return mu_fail(err, MU_EINVAL, field, "%s must be a date YYYY-MM-DD",
			       field);
	*day = mu_days_from_civil(*y, *m, *d);
	return MU_OK;
}

static enum mu_err reexamine(const struct fitness_req *r, const char *zone,
			     int64_t decided, int64_t today, struct fitness_rec *f,
			     struct mu_error *err)
{
	int64_t day;
	int y, m, d;
	enum mu_err rc;

	f->reexamine_at = MU_T_NONE;
	if (f->category != 'G') {
		if (r->reexamine_on && r->reexamine_on[0])
			return mu_fail(err, MU_EINVAL, "reexamine_on", "only category G "
				       "(temporarily unfit) has a re-examination date");
		return MU_OK;
	}
	if (!r->reexamine_on)
		return mu_fail(err, MU_EINVAL, "reexamine_on", "category G needs "
			       "reexamine_on, the re-examination date YYYY-MM-DD");
	if ((rc = date_field("reexamine_on", r->reexamine_on, &day, &y, &m, &d, err)))
		return rc;
	if (day <= decided || day <= today)
		return mu_fail(err, MU_EINVAL, "reexamine_on", "reexamine_on must lie "
			       "after the decision date and after today");
	snprintf(f->reexamine_on, sizeof(f->reexamine_on), "%s", r->reexamine_on);
	rc = daycount_local_midnight(zone, y, m, d, &f->reexamine_at);
	return rc ? mu_fail(err, rc, "reexamine_on", "cannot place that date in "
			    "the office's time zone") : MU_OK;
}

static enum mu_err fitness_check(const struct fitness_req *r, const struct due_view *v,
				 int64_t now, struct fitness_rec *f,
				 struct mu_error *err)
{
	int y, m, d, ty, tm, td;
	int64_t day;
	enum mu_err rc;

	if (!r->category || strlen(r->category) != 1 ||
	    !strchr("ABVGD", r->category[0]))
		return mu_fail(err, MU_EINVAL, "category",
			       "category must be one of A, B, V, G, D");
	f->category = r->category[0];
	if ((rc = date_field("decided_on", r->decided_on, &day, &y, &m, &d, err)))
		return rc;
	if (daycount_local_date(v->zone, now, &ty, &tm, &td) != MU_OK)
		return mu_fail(err, MU_EINTERNAL, NULL, "the office's time zone is unusable");
	if (day > mu_days_from_civil(ty, tm, td))
		return mu_fail(err, MU_EINVAL, "decided_on", "decided_on lies in the future");
	if (strcmp(r->decided_on, v->p.birth_date) < 0)
		return mu_fail(err, MU_EINVAL, "decided_on", "decided_on %s is before the"
			       " person's birth date", r->decided_on);
	snprintf(f->decided_on, sizeof(f->decided_on), "%s", r->decided_on);
	if ((rc = due_text("reference", r->reference, 1, DUE_REF_MAX, err)))
		return rc;
	snprintf(f->reference, sizeof(f->reference), "%s", r->reference);
	return reexamine(r, v->zone, day, mu_days_from_civil(ty, tm, td), f, err);
}

static unsigned fitness_bars(char category)
{
	return category == 'D' ? ALL_PURPOSES & ~(1u << PU_DATA_CLARIFICATION) :
	       category == 'G' ? SERVICE_PURPOSES : 0;
}

/* Write f with the person's fitness following it; re-reads the person
 * when their record moved on meanwhile. */
static enum mu_err fitness_write(struct app *a, struct fitness_rec *f,
				 struct person *p, const struct audit_ctx *ctx,
				 struct mu_error *err)
{
	struct person np;
	enum mu_err rc = MU_ECONFLICT;

	for (int i = 0; i < DUE_WRITE_TRIES && rc == MU_ECONFLICT; i++) {
		if (i && store_person_get(a->st, p->national_id, p) != MU_OK)
			return mu_fail(err, MU_EIO, NULL, "cannot read the register");
		mu_error_clear(err);
		due_new_id(f->id, sizeof(f->id), "F-");
		f->previous = p->fitness;
		np = *p;
		np.fitness = f->category;
		snprintf(np.source, sizeof(np.source), "fitness:%s", f->id);
		rc = store_fitness_add(a->st, f, &(struct person_change){&np, p->version},
				       ctx, err);
	}
	return rc;
}

enum mu_err app_fitness_record(struct app *a, const char *nid,
			       const struct fitness_req *r,
			       const struct audit_ctx *ctx, struct fitness_rec *out,
			       json_t *cancelled, struct mu_error *err)
{
	struct due_view v;
	struct fitness_rec f;
	char ref[128];
	enum mu_err rc = app_due_view(a, nid, &v, err);

	memset(&f, 0, sizeof(f));
	if (rc == MU_OK && v.p.status == PS_REMOVED)
		rc = mu_fail(err, MU_ECONFLICT, "national_id", "person %s was removed "
			     "from the register", v.p.national_id);
	if (rc == MU_OK)
		rc = fitness_check(r, &v, ctx->at, &f, err);
	if (rc == MU_OK) {
		snprintf(f.national_id, sizeof(f.national_id), "%s", v.p.national_id);
		due_stamp_now(&f.recorded, ctx);
		f.set_aside_at = MU_T_NONE;
		rc = fitness_write(a, &f, &v.p, ctx, err);
	}
	if (rc == MU_OK && fitness_bars(f.category)) {
		snprintf(ref, sizeof(ref), "fitness decision %s: category %c", f.id,
			 f.category);
		rc = due_cancel_covered(a, v.p.national_id, fitness_bars(f.category),
					ref, ctx, cancelled, err);
	}
	if (rc == MU_OK)
		*out = f;
	due_view_free(&v);
	return rc;
}

/* ---- deferments and exemptions ---- */

static enum mu_err bad_reason(const struct profile *p, int kind,
			      struct mu_error *err)
{
	char list[256] = "";
	size_t len = 0;

	for (int i = 0; profile_exemption_reason(p, (enum exemption_kind)kind, i); i++) {
		const char *name = profile_exemption_reason(p, (enum exemption_kind)kind, i);
		if (len + strlen(name) + 3 >= sizeof(list))
			continue;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					len ? ", " : "", name);
	}
	return mu_fail(err, MU_EINVAL, "reason", "this jurisdiction names that reason "
		       "for the other kind; its reasons for a %s: %s (or the reason in "
		       "your own words)", exemption_kind_name((enum exemption_kind)kind),
		       len ? list : "(none)");
}

static enum mu_err exemption_check(struct app *a, const struct exemption_req *r,
				   int64_t now, struct exemption_rec *e,
				   struct mu_error *err)
{
	int kind = exemption_kind_parse(r->kind);
	enum mu_err rc;

	if (kind < 0)
		return mu_fail(err, MU_EINVAL, "kind", "kind must be deferment or exemption");
	e->kind = (enum exemption_kind)kind;
	if ((rc = due_text("reason", r->reason, 1, DUE_REASON_MAX, err)))
		return rc;
	if (!profile_exemption_bars(a->profile, r->reason, e->kind))
		return bad_reason(a->profile, kind, err);
	snprintf(e->reason, sizeof(e->reason), "%s", r->reason);
	if ((rc = due_text("document", r->document, 0, DUE_REF_MAX, err)))
		return rc;
	snprintf(e->document, sizeof(e->document), "%s", r->document ? r->document : "");
	if (r->valid_until != MU_T_NONE && r->valid_until <= now)
		return mu_fail(err, MU_EINVAL, "valid_until", "valid_until must lie in "
			       "the future");
	e->valid_until = r->valid_until;
	return MU_OK;
}

enum mu_err app_exemption_grant(struct app *a, const char *nid,
				const struct exemption_req *r,
				const struct audit_ctx *ctx, struct exemption_rec *out,
				json_t *cancelled, struct mu_error *err)
{
	struct due_view v;
	struct exemption_rec e;
	char ref[128];
	enum mu_err rc = app_due_view(a, nid, &v, err);

	memset(&e, 0, sizeof(e));
	if (rc == MU_OK && v.p.status == PS_REMOVED)
		rc = mu_fail(err, MU_ECONFLICT, "national_id", "person %s was removed "
			     "from the register", v.p.national_id);
	if (rc == MU_OK)
		rc = exemption_check(a, r, ctx->at, &e, err);
	if (rc == MU_OK) {
		snprintf(e.national_id, sizeof(e.national_id), "%s", v.p.national_id);
		due_stamp_now(&e.granted, ctx);
		e.revoked.at = MU_T_NONE;
		due_new_id(e.id, sizeof(e.id), "E-");
		rc = store_exemption_add(a->st, &e, ctx, err);
	}
	if (rc == MU_OK) {
		snprintf(ref, sizeof(ref), "%s %s granted (%.60s)",
			 exemption_kind_name(e.kind), e.id, e.reason);
		rc = due_cancel_covered(a, v.p.national_id,
					profile_exemption_bars(a->profile, e.reason, e.kind),
					ref, ctx, cancelled, err);
	}
	if (rc == MU_OK)
		*out = e;
	due_view_free(&v);
	return rc;
}

static enum mu_err revocable(const struct exemption_rec *e, const char *id,
			     int64_t now, struct mu_error *err)
{
	char t[MU_RFC3339_MAX];

	if (!e)
		return mu_fail(err, MU_ENOTFOUND, "id", "no exemption %.32s of this "
			       "person", id);
	if (e->revoked.at != MU_T_NONE) {
		mu_time_format(e->revoked.at, t, sizeof(t));
		return mu_fail(err, MU_ECONFLICT, "id", "%s was already revoked at %s",
			       e->id, t);
	}
	if (e->valid_until <= now) {
		mu_time_format(e->valid_until, t, sizeof(t));
		return mu_fail(err, MU_ECONFLICT, "id", "%s expired at %s", e->id, t);
	}
	return MU_OK;
}

enum mu_err app_exemption_revoke(struct app *a, const char *nid, const char *id,
				 const char *reason, const struct audit_ctx *ctx,
				 struct exemption_rec *out, struct mu_error *err)
{
	struct due_view v;
	struct exemption_rec e;
	enum mu_err rc = due_text("reason", reason, 3, DUE_TEXT_MAX, err);

	if (rc)
		return rc;
	if ((rc = app_due_view(a, nid, &v, err)))
		return rc;
	rc = revocable(due_find_exemption(v.d, id), id, ctx->at, err);
	if (rc == MU_OK) {
		e = *due_find_exemption(v.d, id);
		due_stamp_now(&e.revoked, ctx);
		snprintf(e.revoke_reason, sizeof(e.revoke_reason), "%s", reason);
		rc = store_exemption_revoke(a->st, &e, ctx, err);
		if (rc == MU_OK)
			*out = e;
	}
	due_view_free(&v);
	return rc;
}

/* ---- overrides ---- */

enum mu_err app_override_request(struct app *a, const struct override_req *r,
				 const struct audit_ctx *ctx, struct override_rec *out,
				 struct mu_error *err)
{
	struct due_view v;
	struct override_rec o;
	size_t n;
	int pu = purpose_parse(r->purpose ? r->purpose : "");
	enum mu_err rc = due_text("reason", r->reason, DUE_MIN_WRITTEN, DUE_TEXT_MAX, err);

	if (rc)
		return rc;
	if (pu < 0)
		return mu_fail(err, MU_EINVAL, "purpose", "purpose must be one of "
			       "medical_exam, data_clarification, dispatch, training, "
			       "mobilization");
	if ((rc = app_due_view(a, r->national_id, &v, err)))
		return rc;
	memset(&o, 0, sizeof(o));
	rc = protect_override_bases(&(struct protect_facts){&v.p, v.d, a->profile},
				    pu, ctx->at, o.bases, sizeof(o.bases), &n, err);
	if (rc == MU_OK) {
		due_new_id(o.id, sizeof(o.id), "OV-");
		snprintf(o.national_id, sizeof(o.national_id), "%s", v.p.national_id);
		o.purpose = pu;
		snprintf(o.reason, sizeof(o.reason), "%s", r->reason);
		o.state = DS_PENDING;
		due_stamp_now(&o.requested, ctx);
		o.decided.at = o.used.at = MU_T_NONE;
		rc = store_override_add(a->st, &o, ctx, err);
	}
	if (rc == MU_OK)
		*out = o;
	due_view_free(&v);
	return rc;
}

enum mu_err app_override_decide(struct app *a, const char *id, int approve,
				const char *note, const struct audit_ctx *ctx,
				struct override_rec *out, struct mu_error *err)
{
	struct due_view v;
	struct override_rec *o, rec;
	enum mu_err rc = due_text("note", note, 0, DUE_TEXT_MAX, err);

	if (rc || (rc = due_view_of(a, id, &v, err)))
		return rc;
	o = due_find_override(v.d, id);
	if (!o)
		rc = mu_fail(err, MU_ENOTFOUND, "id", "no override %.32s", id);
	else if (o->state != DS_PENDING)
		rc = mu_fail(err, MU_ECONFLICT, "id", "override %s is already %s",
			     o->id, due_state_name(o->state));
	else if (!strcmp(o->requested.token, ctx->token_id ? ctx->token_id : ""))
		rc = mu_fail(err, MU_EFORBIDDEN, "id", "four eyes: the officer who "
			     "requested override %s cannot decide it", o->id);
	if (rc == MU_OK) {
		rec = *o;
		due_stamp_now(&rec.decided, ctx);
		snprintf(rec.decision_note, sizeof(rec.decision_note), "%s", note ? note : "");
		rec.state = approve ? DS_APPROVED : DS_REJECTED;
		rc = store_override_step(a->st, &rec, approve ? OVR_APPROVE : OVR_REJECT,
					 ctx, err);
		if (rc == MU_OK)
			*out = rec;
	}
	due_view_free(&v);
	return rc;
}

/* ---- the protection at issue ---- */

static enum mu_err audit_refusal(struct app *a, const struct person *p, int pu,
				 const struct due_bar *b, const char *override_id,
				 const struct audit_ctx *ctx, struct mu_error *err)
{
	struct audit_entry e;
	json_t *d = json_pack("{s:s, s:s, s:s}", "purpose", purpose_name(pu),
			      "bar", bar_kind_name(b->kind), "basis", b->basis);
	char *txt;

	audit_entry_from_ctx(&e, ctx, "summons.refused", "person", p->national_id,
			     p->national_id);
	if (override_id && override_id[0])
		json_object_set_new(d, "override", json_string(override_id));
	txt = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	if (txt && strlen(txt) < sizeof(e.detail))
		snprintf(e.detail, sizeof(e.detail), "%s", txt);
	free(txt);
	json_decref(d);
	if (store_audit_append(a->st, &e) != MU_OK)
		return mu_fail(err, MU_EIO, NULL, "the refusal could not be audited");
	return MU_ECONFLICT;
}

/* With a bar in force: does override_id (of this person) cover it? */
static enum mu_err check_override(struct app *a, const struct protect_facts *pf,
				  int pu, const char *override_id, int64_t at,
				  const struct override_rec **o, struct due_bar *bar,
				  struct mu_error *err)
{
	*o = NULL;
	if (!override_id || !override_id[0])
		return MU_ECONFLICT; /* err already names the bar */
	*o = due_find_override((struct due_set *)pf->due, override_id);
	if (!*o)
		return mu_fail(err, MU_ECONFLICT, "override", "%.32s is not an override "
			       "for person %s", override_id, pf->person->national_id);
	if ((*o)->state != DS_APPROVED)
		return mu_fail(err, MU_ECONFLICT, "override", "override %s is %s, not "
			       "approved", (*o)->id, due_state_name((*o)->state));
	return protect_issue(pf, (enum purpose)pu, at, *o, bar, err);
}

enum mu_err app_protect_issue(struct app *a, const struct person *p, int pu,
			      const char *override_id, const struct audit_ctx *ctx,
			      struct override_rec *ovr, int *claimed,
			      struct mu_error *err)
{
	struct due_set *d = NULL;
	struct due_bar bar;
	const struct override_rec *o = NULL;
	struct protect_facts pf;
	enum mu_err rc = store_due_of_person(a->st, p->national_id, &d);

	*claimed = 0;
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the due-process records");
	pf = (struct protect_facts){p, d, a->profile};
	rc = protect_issue(&pf, (enum purpose)pu, ctx->at, NULL, &bar, err);
	if (rc == MU_ECONFLICT)
		rc = check_override(a, &pf, pu, override_id, ctx->at, &o, &bar, err);
	else
		o = NULL; /* nothing bars: an override is not needed, nor used */
	if (rc == MU_ECONFLICT)
		rc = audit_refusal(a, p, pu, &bar, override_id, ctx, err);
	if (rc == MU_OK && o) {
		*ovr = *o;
		due_stamp_now(&ovr->used, ctx);
		rc = store_override_step(a->st, ovr, OVR_CLAIM, ctx, err);
		*claimed = rc == MU_OK;
		ovr->state = DS_USED;
	}
	due_set_free(d);
	return rc;
}

void app_override_settle(struct app *a, struct override_rec *ovr,
			 const char *summons_id, const struct audit_ctx *ctx)
{
	struct mu_error e = {0};

	snprintf(ovr->summons_id, sizeof(ovr->summons_id), "%s",
		 summons_id ? summons_id : "");
	if (store_override_step(a->st, ovr, summons_id ? OVR_LINK : OVR_RELEASE,
				ctx, &e) != MU_OK)
		fprintf(stderr, "muster: override %s: cannot %s it: %s\n", ovr->id,
			summons_id ? "link its summons to" : "release", e.detail);
}

enum mu_err app_due_barred(struct app *a, const char *nid, int pu, int64_t at,
			   int *barred, struct due_bar *bar)
{
	struct due_bar bars[DUE_BARS_MAX];
	struct person p;
	struct due_set *d = NULL;
	size_t n;
	enum mu_err rc = store_person_get(a->st, nid, &p);

	*barred = 0;
	if (rc == MU_OK)
		rc = store_due_of_person(a->st, nid, &d);
	if (rc)
		return rc;
	n = due_bars(a->profile, &p, d, at, bars, DUE_BARS_MAX);
	for (size_t i = 0; i < n && !*barred; i++) {
		if (!(bars[i].purposes & (1u << pu)))
			continue;
		*barred = 1;
		if (bar) {
			*bar = bars[i];
			bar->fitness = NULL; /* d is freed below */
			bar->exemption = NULL;
		}
	}
	due_set_free(d);
	return MU_OK;
}
