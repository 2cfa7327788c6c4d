/*
 * app_summons.c: issuing a summons and recording its events.
 *
 * Both read the person's summonses, add the new fact in memory, ask the
 * engine for the restriction update that follows, and write fact, update
 * and audit record in one transaction. If the person's record moved on in
 * between, the store says so and we start again.
 */
#include "app/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_channels.h"
#include "app/app_due.h"
#include "util/rand.h"

#define WRITE_TRIES 8

/* Append a copy of r (and its events) to set. */
static enum mu_err set_add(struct summons_set *set, const struct summons_rec *r)
{
	struct summons_rec *nw = realloc(set->items, (set->n + 1) * sizeof(*nw));
	struct summons_rec *d;

	if (!nw)
		return MU_ENOMEM;
	set->items = nw;
	d = &set->items[set->n];
	*d = *r;
	d->events = malloc((r->n_events + 1) * sizeof(*d->events));
	d->meta = malloc((r->n_events + 1) * sizeof(*d->meta));
	if (!d->events || !d->meta) {
		free(d->events);
		free(d->meta);
		return MU_ENOMEM;
	}
	memcpy(d->events, r->events, r->n_events * sizeof(*d->events));
	memcpy(d->meta, r->meta, r->n_events * sizeof(*d->meta));
	set->n++;
	return MU_OK;
}

/* Append an event to item i of set (arrays have room for one more only
 * when made by set_add, so grow them here). */
static enum mu_err item_add_event(struct summons_rec *r, const struct event_rec *e)
{
	struct sm_event *ev = realloc(r->events, (r->n_events + 1) * sizeof(*ev));
	struct event_rec *m;

	if (!ev)
		return MU_ENOMEM;
	r->events = ev;
	m = realloc(r->meta, (r->n_events + 1) * sizeof(*m));
	if (!m)
		return MU_ENOMEM;
	r->meta = m;
	r->meta[r->n_events] = *e;
	r->events[r->n_events] = e->ev;
	r->events[r->n_events].seq = INT64_MAX; /* recorded last */
	r->n_events++;
	return MU_OK;
}

static enum mu_err load_state(struct app *a, const char *nid,
			      struct summons_set **set, struct restr_state *cur)
{
	enum mu_err rc = store_summons_of_person(a->st, nid, set);

	if (rc == MU_OK)
		rc = store_restr_get(a->st, nid, cur);
	if (rc == MU_OK && cur->pver != (*set)->pver)
		rc = MU_ECONFLICT;
	return rc;
}

static enum mu_err issue_once(struct app *a, const struct summons *sm,
			      const struct office *o, const struct audit_ctx *ctx,
			      struct mu_error *err)
{
	struct summons_set *set = NULL;
	struct summons_rec rec = {0};
	struct sm_event evs[2] = {{0}};
	struct restr_state cur, next;
	struct restr_change *ch = NULL;
	size_t n = 0;
	enum mu_err rc = load_state(a, sm->national_id, &set, &cur);

	rec.s = *sm;
	snprintf(rec.zone, sizeof(rec.zone), "%s", o->timezone);
	evs[0] = (struct sm_event){1, EV_ISSUED, sm->issued_at, sm->issued_at, MU_T_NONE, AO_NONE};
	evs[1] = (struct sm_event){2, EV_PUBLISHED, sm->issued_at, sm->issued_at, MU_T_NONE, AO_NONE};
	rec.events = evs;
	rec.n_events = 2;
	rec.meta = (struct event_rec[2]){{.ev = evs[0]}, {.ev = evs[1]}};
	if (rc == MU_OK)
		rc = set_add(set, &rec);
	if (rc == MU_OK)
		rc = app_compute_update(a->profile, set, &cur, sm->national_id,
					ctx->at, &next, &ch, &n);
	if (rc == MU_OK) {
		struct restr_update u = {sm->national_id, set->pver, &next, ch, n};
		rc = store_summons_create(a->st, sm, &u, ctx, err);
		if (rc == MU_OK && n)
			app_feed_changed(a);
	}
	free(ch);
	summons_set_free(set);
	return rc;
}

/* Validate the request and fill *sm; last, the protections (app_due.c),
 * which may claim an override (*claimed: settle it after the write). */
static enum mu_err issue_prepare(struct app *a, const struct issue_req *r,
				 const struct audit_ctx *ctx, struct summons *sm,
				 struct office *o, struct override_rec *ovr,
				 int *claimed, struct mu_error *err)
{
	int64_t now = ctx->at;
	struct person p;
	int pu = purpose_parse(r->purpose ? r->purpose : "");
	enum mu_err rc;

	if (!r->national_id || !person_id_valid(r->national_id))
		return mu_fail(err, MU_EINVAL, "national_id",
			       "national_id must be 4-32 characters of A-Z, 0-9 and '-'");
	if (pu < 0)
		return mu_fail(err, MU_EINVAL, "purpose",
			       "purpose must be one of medical_exam, data_clarification, "
			       "dispatch, training, mobilization");
	if ((rc = rules_check_report(now, r->report_at, "report_at",
				     "the issue instant", err)))
		return rc;
	rc = store_person_get(a->st, r->national_id, &p);
	if (rc == MU_ENOTFOUND)
		return mu_fail(err, MU_ENOTFOUND, "national_id",
			       "no person %s on the register", r->national_id);
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the register");
	memset(sm, 0, sizeof(*sm));
	snprintf(sm->office, sizeof(sm->office), "%s",
		 r->office && r->office[0] ? r->office : p.office);
	if (store_office_get(a->st, sm->office, o) != MU_OK)
		return mu_fail(err, MU_EINVAL, "office",
			       "office '%.40s' is not a known office", sm->office);
	snprintf(sm->national_id, sizeof(sm->national_id), "%s", p.national_id);
	sm->purpose = pu;
	sm->issued_at = now;
	sm->report_at = r->report_at;
	snprintf(sm->campaign, sizeof(sm->campaign), "%s", r->campaign ? r->campaign : "");
	return app_protect_issue(a, &p, pu, r->override_id, ctx, ovr, claimed, err);
}

enum mu_err app_issue(struct app *a, const struct issue_req *r,
		      const struct audit_ctx *ctx, struct summons *out,
		      struct mu_error *err)
{
	struct summons sm;
	struct office o;
	struct override_rec ovr;
	char rnd[16];
	int claimed = 0;
	enum mu_err rc = issue_prepare(a, r, ctx, &sm, &o, &ovr, &claimed, err);

	if (rc)
		return rc;
	snprintf(sm.created_by, sizeof(sm.created_by), "%s",
		 ctx->token_id ? ctx->token_id : "");
	rc = MU_ECONFLICT;
	for (int i = 0; i < WRITE_TRIES && rc == MU_ECONFLICT; i++) {
		rand_base32(rnd, sizeof(rnd), 12);
		snprintf(sm.id, sizeof(sm.id), "S-%s", rnd);
		rand_base32(sm.verification_code, sizeof(sm.verification_code), VCODE_LEN);
		mu_error_clear(err);
		rc = issue_once(a, &sm, &o, ctx, err);
	}
	if (claimed)
		app_override_settle(a, &ovr, rc == MU_OK ? sm.id : NULL, ctx);
	if (rc == MU_OK) {
		*out = sm;
		/* after the issue transaction: docs/channels.md */
		app_channels_issued(a, &sm, r->in_person, ctx);
	} else if (err && !err->detail[0])
		mu_fail(err, rc, NULL, "the summons could not be written");
	return rc;
}

/* An event about to be recorded: the person's summonses with it added,
 * their restrictions as they then are, and the update between the two. */
struct prepared_event {
	struct summons_set *set;
	struct restr_state next;
	struct restr_change *ch;
	struct restr_update u;
};

static void prepared_free(struct prepared_event *p)
{
	free(p->ch);
	summons_set_free(p->set);
}

/* Prepare event ev on summons sid of person nid at instant at: the rules
 * must allow it (else err says why). MU_ECONFLICT when the person changed
 * between the reads: read again. On failure p holds what to free. */
static enum mu_err event_prepare(struct app *a, const char *nid, const char *sid,
				 const struct event_rec *ev, int64_t at,
				 struct prepared_event *p, struct mu_error *err)
{
	struct restr_state cur;
	struct sm_facts f;
	size_t n = 0, i = 0;
	enum mu_err rc = load_state(a, nid, &p->set, &cur);

	while (rc == MU_OK && i < p->set->n && strcmp(p->set->items[i].s.id, sid))
		i++;
	if (rc == MU_OK && i == p->set->n)
		rc = MU_ECONFLICT;
	if (rc == MU_OK) {
		app_facts(&(struct summons_set){1, &p->set->items[i], 0}, &f);
		rc = rules_check_event(&f, &ev->ev, at, err);
	}
	if (rc == MU_OK)
		rc = item_add_event(&p->set->items[i], ev);
	if (rc == MU_OK)
		rc = app_compute_update(a->profile, p->set, &cur, nid, at, &p->next, &p->ch, &n);
	if (rc == MU_OK)
		p->u = (struct restr_update){p->set->items[i].s.national_id, p->set->pver,
					     &p->next, p->ch, n};
	return rc;
}

static enum mu_err event_once(struct app *a, const struct summons_rec *r,
			      const struct event_rec *ev, const struct audit_ctx *ctx,
			      int64_t *seq, struct mu_error *err)
{
	struct prepared_event p = {0};
	enum mu_err rc = event_prepare(a, r->s.national_id, r->s.id, ev, ctx->at, &p, err);

	if (rc == MU_OK) {
		rc = store_event_append(a->st, r->s.id, ev, &p.u, ctx, seq, err);
		if (rc == MU_OK && p.u.n_changes)
			app_feed_changed(a);
	}
	prepared_free(&p);
	return rc;
}

enum mu_err app_record_event(struct app *a, const char *summons_id,
			     const struct event_rec *ev,
			     const struct audit_ctx *ctx, int64_t *seq,
			     struct mu_error *err)
{
	struct summons_rec *r = NULL;
	enum mu_err rc = store_summons_get(a->st, summons_id, &r);

	if (rc == MU_ENOTFOUND)
		return mu_fail(err, rc, "id", "no summons %.40s", summons_id);
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the register");
	rc = MU_ECONFLICT;
	for (int i = 0; i < WRITE_TRIES && rc == MU_ECONFLICT; i++) {
		mu_error_clear(err);
		rc = event_once(a, r, ev, ctx, seq, err);
	}
	summons_rec_free(r);
	if (rc != MU_OK && err && !err->detail[0])
		mu_fail(err, rc, NULL, "the event could not be recorded");
	return rc;
}

/* Prepare ids[i]'s event: 1 when it is to be written, 0 when the rules
 * refuse it (an ended summons) or it is gone, -1 when it cannot be
 * prepared here (the person changed between the reads, or an error): the
 * caller records it alone, with app_record_event's retries. */
static int batch_prepare(struct app *a, const char *sid, const struct event_rec *ev,
			 const struct audit_ctx *ctx, struct prepared_event *p)
{
	struct summons_rec *r = NULL;
	struct mu_error e = {0};
	enum mu_err rc = store_summons_get(a->st, sid, &r);

	memset(p, 0, sizeof(*p));
	if (rc == MU_OK)
		rc = event_prepare(a, r->s.national_id, sid, ev, ctx->at, p, &e);
	summons_rec_free(r);
	if (rc == MU_OK)
		return 1;
	return rc == MU_ENOTFOUND || e.code != MU_OK ? 0 : -1;
}

enum mu_err app_record_events(struct app *a, const struct summons_id *ids, size_t n,
			      const struct event_rec *ev, const struct audit_ctx *ctx,
			      size_t *recorded, struct mu_error *err)
{
	struct prepared_event *b = calloc(EVENT_BATCH, sizeof(*b));
	struct event_batch_item *v = calloc(EVENT_BATCH, sizeof(*v));
	enum mu_err rc = b && v ? MU_OK : MU_ENOMEM;

	*recorded = 0;
	for (size_t at = 0; rc == MU_OK && at < n; at += EVENT_BATCH) {
		size_t m = n - at < EVENT_BATCH ? n - at : EVENT_BATCH, k = 0, changes = 0;
		for (size_t i = 0; i < m; i++) {
			int ready = batch_prepare(a, ids[at + i].id, ev, ctx, &b[k]);
			if (ready != 1) {
				prepared_free(&b[k]);
				if (ready < 0 &&
				    app_record_event(a, ids[at + i].id, ev, ctx, NULL, NULL) == MU_OK)
					(*recorded)++;
				continue;
			}
			v[k] = (struct event_batch_item){ids[at + i].id, ev, &b[k].u, MU_OK};
			changes += b[k].u.n_changes;
			k++;
		}
		if (k)
			rc = store_event_append_many(a->st, v, k, ctx, err);
		for (size_t i = 0; i < k; i++) {
			if (rc == MU_OK && v[i].rc == MU_OK)
				(*recorded)++;
			else if (rc == MU_OK && v[i].rc == MU_ECONFLICT &&
				 app_record_event(a, v[i].summons_id, ev, ctx, NULL, NULL) == MU_OK)
				(*recorded)++;
			prepared_free(&b[i]);
		}
		if (rc == MU_OK && changes)
			app_feed_changed(a);
	}
	free(b);
	free(v);
	return rc;
}

enum mu_err app_cancel_open(struct app *a, const char *nid, const char *reason,
			    const struct audit_ctx *ctx, size_t *n,
			    struct mu_error *err)
{
	struct summons_set *set = NULL;
	struct sm_facts f;
	struct sm_eval *ev = malloc(sizeof(*ev));
	enum mu_err rc = ev ? store_summons_of_person(a->st, nid, &set) : MU_ENOMEM;

	*n = 0;
	for (size_t i = 0; rc == MU_OK && i < set->n; i++) {
		struct event_rec e = {0};
		app_facts(&(struct summons_set){1, &set->items[i], 0}, &f);
		rc = rules_eval(a->profile, &f, ctx->at, ev);
		if (rc || ev->ended_at != MU_T_NONE)
			continue;
		e.ev.type = EV_CANCELLED;
		e.ev.at = e.ev.recorded_at = ctx->at;
		e.ev.new_report_at = MU_T_NONE;
		snprintf(e.actor, sizeof(e.actor), "%s", ctx->token_id ? ctx->token_id : "");
		snprintf(e.actor_role, sizeof(e.actor_role), "%s", ctx->role ? ctx->role : "cli");
		snprintf(e.reference, sizeof(e.reference), "person removed: %s", reason);
		rc = app_record_event(a, set->items[i].s.id, &e, ctx, NULL, err);
		if (rc == MU_OK)
			(*n)++;
	}
	free(ev);
	summons_set_free(set);
	return rc;
}
