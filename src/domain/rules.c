/*
 * rules.c: the legal rules engine (LEGAL_RULES.md), pure. See rules.h.
 *
 * rules_eval works in five steps over the facts known at `at`:
 *
 *  1. collect: copy the events with event.at <= at (ignoring any dated
 *     before issue), add the implicit `issued` and `published` at
 *     f->issued_at, and sort by (at, seq).
 *  2. end: the first event that ends the summons under the profile's
 *     "ends_summons" (appeared, cancelled, an upheld appeal, an excuse
 *     without a new date) is E; later events are ignored, and every interval
 *     is clipped to end at E.
 *  3. delivery: the earliest instant over the profile's delivery rules
 *     (an event's instant, or Rule D from its local date). A deemed delivery
 *     still in the future of `at` is a projection: the summons is pending,
 *     but the intervals that follow from it are computed.
 *  4. report segments: the report time R0 holds from the start; each
 *     excuse with a new report time R' at instant x starts a new segment.
 *     A rule counted from the report date gives, per segment [s, e) with
 *     report time R, the interval [max(RuleD(R, N), s), min(e, E)) when the
 *     summons was delivered (before R, if the rule requires it). So an excuse
 *     with a new date lifts such restrictions at once and restarts the period.
 *  5. suspension: if the profile says so, every interval minus the union of
 *     [appealed, appeal_decided) periods (open while an appeal is pending).
 *
 * Must not: read a clock, a file or the network; keep pointers to the facts.
 * Time zones are reached only through domain/daycount.
 */
#include "domain/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/daycount.h"

#define RULES_MAX_EVENTS 100000 /* per summons; more is MU_ETOOBIG */

#define ENDS_ALL (PE_APPEARED | PE_CANCELLED | PE_APPEAL_UPHELD | \
		  PE_EXCUSED_WITHOUT_NEW_DATE)

/* ---- names and phrases ---- */

static const char *const ev_names[EV__COUNT] = {
	"issued", "published", "placed_in_account", "viewed", "post_sent",
	"post_delivered", "post_refused", "post_returned", "handed",
	"appeared", "excused", "cancelled", "appealed", "appeal_decided",
};

static const struct {
	const char *name, *phrase, *title;
} kinds[RK__COUNT] = {
	{"exit", "leave the country", "Leaving the country"},
	{"credit", "take loans or credit", "Taking loans or credit"},
	{"real_estate", "make transactions with real estate",
	 "Making transactions with real estate"},
	{"business_registration",
	 "register as an entrepreneur or self-employed",
	 "Registering as an entrepreneur or self-employed"},
	{"vehicle_registration", "register vehicles", "Registering vehicles"},
	{"driving", "drive (the right to drive is suspended)",
	 "Driving (the right to drive is suspended)"},
	{"foreign_passport", "get a passport for travel abroad",
	 "Getting a passport for travel abroad"},
};

static const char *const state_names[] = {
	"pending", "delivered", "overdue", "reported", "excused", "cancelled",
};

static const struct {
	const char *name, *phrase;
} purposes[PU__COUNT] = {
	{"medical_exam", "Medical examination"},
	{"data_clarification", "Clarification of personal data"},
	{"dispatch", "Dispatch to service"},
	{"training", "Military training"},
	{"mobilization", "Mobilization"},
};

static int find_name(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int ev_is_delivery_evidence(enum ev_type t)
{
	return t == EV_HANDED || t == EV_PLACED_IN_ACCOUNT || t == EV_VIEWED ||
	       t == EV_POST_SENT || t == EV_POST_DELIVERED || t == EV_POST_REFUSED ||
	       t == EV_POST_RETURNED;
}

const char *ev_type_name(enum ev_type t)
{
	return (unsigned)t < EV__COUNT ? ev_names[t] : NULL;
}

int ev_type_parse(const char *s)
{
	return find_name(s, ev_names, EV__COUNT);
}

const char *restr_kind_name(enum restr_kind k)
{
	return (unsigned)k < RK__COUNT ? kinds[k].name : NULL;
}

int restr_kind_parse(const char *s)
{
	for (int k = 0; s && k < RK__COUNT; k++)
		if (strcmp(s, kinds[k].name) == 0)
			return k;
	return -1;
}

const char *restr_kind_phrase(enum restr_kind k)
{
	return (unsigned)k < RK__COUNT ? kinds[k].phrase : NULL;
}

const char *summons_state_name(enum summons_state s)
{
	return (unsigned)s <= SS_CANCELLED ? state_names[s] : NULL;
}

const char *purpose_name(enum purpose p)
{
	return (unsigned)p < PU__COUNT ? purposes[p].name : NULL;
}

int purpose_parse(const char *s)
{
	for (int i = 0; s && i < PU__COUNT; i++)
		if (strcmp(s, purposes[i].name) == 0)
			return i;
	return -1;
}

const char *purpose_phrase(enum purpose p)
{
	return (unsigned)p < PU__COUNT ? purposes[p].phrase : NULL;
}

/* ---- the facts, sorted ---- */

struct seg {
	int64_t start;  /* INT64_MIN for the original report time */
	int64_t report;
};

struct period {
	int64_t from, until;
};

struct ctx {
	const struct profile *p;
	const struct sm_facts *f;
	int64_t at;
	struct sm_event *ev; /* known at `at`, sorted, cut after the end */
	size_t n;
	int64_t end;         /* E, MU_T_NONE if alive */
	enum ev_type end_by;
	int64_t deliv;       /* projected delivery, MU_T_NONE if none */
	int deliv_rule;
	struct seg *seg;
	size_t n_seg;
	struct period *susp;
	size_t n_susp;
	struct sm_eval *out;
};

static int ev_cmp(const void *a, const void *b)
{
	const struct sm_event *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Does e end the summons, under the ending events in `ends`? */
static int ends_summons(unsigned ends, const struct sm_event *e)
{
	switch (e->type) {
	case EV_APPEARED:
		return (ends & PE_APPEARED) != 0;
	case EV_CANCELLED:
		return (ends & PE_CANCELLED) != 0;
	case EV_APPEAL_DECIDED:
		return e->outcome == AO_UPHELD && (ends & PE_APPEAL_UPHELD);
	case EV_EXCUSED:
		return e->new_report_at == MU_T_NONE &&
		       (ends & PE_EXCUSED_WITHOUT_NEW_DATE);
	default:
		return 0;
	}
}

/* A sorted copy of the events of f dated in [issued_at, upto], without
 * any issued/published entries; *out is malloc'ed (free it). */
static enum mu_err sorted_events(const struct sm_facts *f, int64_t upto,
				 struct sm_event **out, size_t *n)
{
	struct sm_event *v;

	*out = NULL;
	*n = 0;
	if (f->n_events > RULES_MAX_EVENTS)
		return MU_ETOOBIG;
	v = malloc((f->n_events + 2) * sizeof(*v));
	if (!v)
		return MU_ENOMEM;
	for (size_t i = 0; i < f->n_events; i++) {
		const struct sm_event *e = &f->events[i];
		if (e->at <= upto && e->at >= f->issued_at &&
		    e->type > EV_PUBLISHED && e->type < EV__COUNT)
			v[(*n)++] = *e;
	}
	qsort(v, *n, sizeof(*v), ev_cmp);
	*out = v;
	return MU_OK;
}

/* Step 1: the events known at `at`, with issued and published first. */
static enum mu_err collect(struct ctx *c)
{
	const struct sm_facts *f = c->f;
	struct sm_event *v;
	size_t n;
	enum mu_err rc = sorted_events(f, c->at, &v, &n);

	if (rc != MU_OK)
		return rc;
	c->ev = v;
	c->n = 0;
	if (f->issued_at > c->at)
		return MU_OK;
	memmove(v + 2, v, n * sizeof(*v));
	v[0] = (struct sm_event){.seq = INT64_MIN, .type = EV_ISSUED,
				 .at = f->issued_at, .recorded_at = f->issued_at,
				 .new_report_at = MU_T_NONE};
	v[1] = v[0];
	v[1].type = EV_PUBLISHED;
	c->n = n + 2;
	return MU_OK;
}

/* Step 2: find E and drop what follows it. */
static void find_end(struct ctx *c)
{
	c->end = MU_T_NONE;
	c->end_by = EV_ISSUED;
	for (size_t i = 0; i < c->n; i++) {
		if (ends_summons(c->p->ends, &c->ev[i])) {
			c->end = c->ev[i].at;
			c->end_by = c->ev[i].type;
			c->n = i + 1;
			return;
		}
	}
}

/* The instant of the first event of type t, MU_T_NONE if none. */
static int64_t first_of(const struct ctx *c, enum ev_type t)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ev[i].type == t)
			return c->ev[i].at;
	return MU_T_NONE;
}

/* t itself (days < 0) or Rule D from t. */
static enum mu_err counted(const struct ctx *c, int64_t t, int days,
			   int64_t *out)
{
	if (days < 0 || t == MU_T_NONE) {
		*out = t;
		return MU_OK;
	}
	return daycount_expiry(c->f->zone, t, days, out);
}

/* The instant delivery rule r would deliver at, MU_T_NONE if it does not. */
static enum mu_err delivery_by_rule(const struct ctx *c,
				    const struct profile_rule *r, int64_t *out)
{
	int64_t after = r->has_after ? first_of(c, r->after) : INT64_MIN;

	*out = MU_T_NONE;
	if (after == MU_T_NONE)
		return MU_OK;
	for (size_t i = 0; i < c->n; i++)
		if (c->ev[i].type == r->event && c->ev[i].at >= after)
			return counted(c, c->ev[i].at, r->days, out);
	return MU_OK;
}

/* Step 3: the earliest delivery; the first rule wins a tie. */
static enum mu_err find_delivery(struct ctx *c)
{
	c->deliv = MU_T_NONE;
	c->deliv_rule = -1;
	for (int i = 0; i < c->p->n_rules; i++) {
		int64_t t;
		enum mu_err rc;

		if (!c->p->rules[i].is_delivery)
			continue;
		rc = delivery_by_rule(c, &c->p->rules[i], &t);
		if (rc != MU_OK)
			return rc;
		if (t < c->deliv && t <= c->end) {
			c->deliv = t;
			c->deliv_rule = i;
		}
	}
	return MU_OK;
}

/* Step 4: report segments; step 5's appeal periods. */
static enum mu_err build_segments(struct ctx *c)
{
	int64_t open = MU_T_NONE;

	c->seg = malloc((c->n + 1) * sizeof(*c->seg));
	c->susp = malloc((c->n + 1) * sizeof(*c->susp));
	if (!c->seg || !c->susp)
		return MU_ENOMEM;
	c->seg[0] = (struct seg){INT64_MIN, c->f->report_at};
	c->n_seg = 1;
	c->n_susp = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct sm_event *e = &c->ev[i];
		if (e->type == EV_EXCUSED && e->new_report_at != MU_T_NONE)
			c->seg[c->n_seg++] = (struct seg){e->at, e->new_report_at};
		else if (e->type == EV_APPEALED && open == MU_T_NONE)
			open = e->at;
		else if (e->type == EV_APPEAL_DECIDED && open != MU_T_NONE) {
			c->susp[c->n_susp++] = (struct period){open, e->at};
			open = MU_T_NONE;
		}
	}
	if (open != MU_T_NONE)
		c->susp[c->n_susp++] = (struct period){open, MU_T_NONE};
	c->out->appeal_pending = open != MU_T_NONE;
	if (!c->p->appeal_suspends)
		c->n_susp = 0;
	return MU_OK;
}

/* The report time in force at instant t. */
static int64_t report_at_time(const struct ctx *c, int64_t t)
{
	int64_t r = c->seg[0].report;

	for (size_t i = 1; i < c->n_seg && c->seg[i].start <= t; i++)
		r = c->seg[i].report;
	return r;
}

/* ---- intervals ---- */

static enum mu_err add_interval(struct sm_eval *o, unsigned kindset, int rule,
				int64_t from, int64_t until)
{
	if (from >= until)
		return MU_OK;
	for (int k = 0; k < RK__COUNT; k++) {
		if (!(kindset & (1u << k)))
			continue;
		if (o->n_intervals >= RULES_MAX_INTERVALS)
			return MU_ETOOBIG;
		o->intervals[o->n_intervals++] = (struct rule_interval){
			(enum restr_kind)k, rule, from, until};
	}
	return MU_OK;
}

/* Add [from, until) for rule, minus the appeal suspensions. */
static enum mu_err add_piece(struct ctx *c, int rule, int64_t from,
			     int64_t until)
{
	unsigned ks = c->p->rules[rule].kinds;
	enum mu_err rc;

	for (size_t i = 0; i < c->n_susp && from < until; i++) {
		const struct period *s = &c->susp[i];
		if (s->until <= from || s->from >= until)
			continue;
		rc = add_interval(c->out, ks, rule, from, s->from);
		if (rc != MU_OK)
			return rc;
		from = s->until;
	}
	return add_interval(c->out, ks, rule, from, until);
}

static enum mu_err from_delivery(struct ctx *c, int rule)
{
	const struct profile_rule *r = &c->p->rules[rule];
	int64_t start;
	enum mu_err rc;

	if (c->deliv == MU_T_NONE)
		return MU_OK;
	if (r->requires_delivery_before_report &&
	    !(c->deliv < report_at_time(c, c->deliv)))
		return MU_OK;
	rc = counted(c, c->deliv, r->days, &start);
	if (rc != MU_OK)
		return rc;
	return add_piece(c, rule, start, c->end);
}

static enum mu_err from_report(struct ctx *c, int rule)
{
	const struct profile_rule *r = &c->p->rules[rule];

	for (size_t i = 0; i < c->n_seg && c->deliv != MU_T_NONE; i++) {
		int64_t s = c->seg[i].start, rep = c->seg[i].report, x;
		int64_t e = i + 1 < c->n_seg ? c->seg[i + 1].start : MU_T_NONE;
		enum mu_err rc;

		if (rep == MU_T_NONE ||
		    (r->requires_delivery_before_report && !(c->deliv < rep)))
			continue;
		rc = counted(c, rep, r->days, &x);
		if (rc != MU_OK)
			return rc;
		x = x > s ? x : s;
		x = x > c->deliv ? x : c->deliv; /* never without delivery */
		rc = add_piece(c, rule, x, e < c->end ? e : c->end);
		if (rc != MU_OK)
			return rc;
	}
	return MU_OK;
}

static enum mu_err all_intervals(struct ctx *c)
{
	for (int i = 0; i < c->p->n_rules; i++) {
		const struct profile_rule *r = &c->p->rules[i];
		enum mu_err rc;

		if (r->is_delivery)
			continue;
		rc = r->from == PA_DELIVERY ? from_delivery(c, i)
					    : from_report(c, i);
		if (rc != MU_OK)
			return rc;
	}
	return MU_OK;
}

static enum summons_state state_of(const struct ctx *c, int64_t report)
{
	if (c->end != MU_T_NONE) {
		if (c->end_by == EV_APPEARED)
			return SS_REPORTED;
		return c->end_by == EV_EXCUSED ? SS_EXCUSED : SS_CANCELLED;
	}
	if (c->deliv == MU_T_NONE || c->deliv > c->at)
		return SS_PENDING;
	return c->at >= report ? SS_OVERDUE : SS_DELIVERED;
}

static void fill_summary(struct ctx *c)
{
	struct sm_eval *o = c->out;
	int delivered = c->deliv != MU_T_NONE && c->deliv <= c->at;

	o->report_at = report_at_time(c, c->at);
	o->state = state_of(c, o->report_at);
	o->delivered_at = delivered ? c->deliv : MU_T_NONE;
	o->delivery_rule = delivered ? c->deliv_rule : -1;
	o->delivered_by = delivered ? c->p->rules[c->deliv_rule].event
				    : EV_ISSUED;
	o->ended_at = c->end;
	o->ended_by = c->end_by;
}

enum mu_err rules_eval(const struct profile *p, const struct sm_facts *f,
		       int64_t at, struct sm_eval *out)
{
	struct ctx c = {.p = p, .f = f, .at = at, .out = out};
	enum mu_err rc;

	memset(out, 0, sizeof(*out));
	out->delivery_rule = -1;
	out->delivered_at = out->ended_at = MU_T_NONE;
	if (!p || !f || !daycount_zone_valid(f->zone))
		return MU_EINVAL;
	rc = collect(&c);
	if (rc != MU_OK)
		goto out;
	find_end(&c);
	rc = find_delivery(&c);
	if (rc == MU_OK)
		rc = build_segments(&c);
	if (rc == MU_OK)
		rc = all_intervals(&c);
	if (rc == MU_OK)
		fill_summary(&c);
out:
	free(c.ev);
	free(c.seg);
	free(c.susp);
	return rc;
}

/* ---- next change ---- */

static unsigned kinds_at(const struct sm_eval *e, int64_t t)
{
	unsigned m = 0;

	for (size_t i = 0; i < e->n_intervals; i++)
		if (e->intervals[i].from <= t && t < e->intervals[i].until)
			m |= 1u << e->intervals[i].kind;
	return m;
}

/* The smallest interval boundary > t, MU_T_NONE if none. */
static int64_t next_boundary(const struct sm_eval *ev, size_t n, int64_t t)
{
	int64_t b = MU_T_NONE;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < ev[i].n_intervals; j++) {
			const struct rule_interval *iv = &ev[i].intervals[j];
			if (iv->from > t && iv->from < b)
				b = iv->from;
			if (iv->until > t && iv->until < b)
				b = iv->until;
		}
	}
	return b;
}

int64_t rules_next_change(const struct sm_eval *ev, size_t n, int64_t at)
{
	int64_t prev = at, b;

	/* The set is constant on [prev, b): compare it with the set at b. */
	while ((b = next_boundary(ev, n, prev)) != MU_T_NONE) {
		for (size_t i = 0; i < n; i++)
			if (kinds_at(&ev[i], prev) != kinds_at(&ev[i], b))
				return b;
		prev = b;
	}
	return MU_T_NONE;
}

/* ---- validation of a new event ---- */

struct record {
	int64_t end;          /* MU_T_NONE if alive */
	enum ev_type end_by;
	int64_t appeal_at;    /* the pending appeal, MU_T_NONE if none */
};

static enum mu_err read_record(const struct sm_facts *f, struct record *r)
{
	struct sm_event *v;
	size_t n;
	enum mu_err rc = sorted_events(f, MU_T_NONE, &v, &n);

	r->end = r->appeal_at = MU_T_NONE;
	r->end_by = EV_ISSUED;
	if (rc != MU_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (r->end == MU_T_NONE && ends_summons(ENDS_ALL, &v[i])) {
			r->end = v[i].at;
			r->end_by = v[i].type;
		}
		if (v[i].type == EV_APPEALED && r->appeal_at == MU_T_NONE)
			r->appeal_at = v[i].at;
		else if (v[i].type == EV_APPEAL_DECIDED)
			r->appeal_at = MU_T_NONE;
	}
	free(v);
	return MU_OK;
}

static enum mu_err check_time(const struct sm_facts *f,
			      const struct sm_event *ev, int64_t now,
			      struct mu_error *err)
{
	char t[MU_RFC3339_MAX], ref[MU_RFC3339_MAX];

	mu_time_format(ev->at, t, sizeof(t));
	if (ev->at > now) {
		mu_time_format(now, ref, sizeof(ref));
		return mu_fail(err, MU_EINVAL, "at",
			       "the event is dated %s, which is in the future "
			       "(now is %s)", t, ref);
	}
	if (ev->at < f->issued_at) {
		mu_time_format(f->issued_at, ref, sizeof(ref));
		return mu_fail(err, MU_EINVAL, "at",
			       "the event is dated %s, before the summons was "
			       "issued at %s", t, ref);
	}
	return MU_OK;
}

static enum mu_err check_appeal_decision(const struct sm_event *ev,
					 const struct record *r,
					 struct mu_error *err)
{
	char t[MU_RFC3339_MAX];

	if (r->appeal_at == MU_T_NONE)
		return mu_fail(err, MU_EINVAL, "type",
			       "appeal_decided needs a pending appeal, and no "
			       "appeal against this summons is pending");
	if (ev->outcome != AO_UPHELD && ev->outcome != AO_REJECTED)
		return mu_fail(err, MU_EINVAL, "outcome",
			       "appeal_decided needs an outcome: \"upheld\" or "
			       "\"rejected\"");
	mu_time_format(r->appeal_at, t, sizeof(t));
	if (ev->at < r->appeal_at)
		return mu_fail(err, MU_EINVAL, "at",
			       "the decision is dated before the appeal it "
			       "decides, which was lodged at %s", t);
	return MU_OK;
}

static enum mu_err check_against_record(const struct sm_event *ev,
					const struct record *r,
					struct mu_error *err)
{
	char t[MU_RFC3339_MAX], what[64];

	/* Evidence of delivery dated before the end is a fact of the time the
	 * summons was alive (a receipt signed on the 4th, entered after the
	 * appearance on the 8th): it is taken, and the status as of the days
	 * between says so. Anything else after the end is refused. */
	if (r->end != MU_T_NONE && ev_is_delivery_evidence(ev->type) && ev->at < r->end)
		return MU_OK;
	if (r->end != MU_T_NONE &&
	    !(ev->type == EV_APPEAL_DECIDED && r->appeal_at != MU_T_NONE)) {
		mu_time_format(r->end, t, sizeof(t));
		return mu_fail(err, MU_EINVAL, "type",
			       "summons already ended by %s at %s; no %s can "
			       "follow%s", ev_type_name(r->end_by), t,
			       ev_type_name(ev->type),
			       ev_is_delivery_evidence(ev->type)
				       ? " (delivery evidence is taken only when dated "
					 "before the end)" : "");
	}
	if (ev->type == EV_APPEAL_DECIDED)
		return check_appeal_decision(ev, r, err);
	if (ev->type == EV_EXCUSED && ev->new_report_at != MU_T_NONE) {
		mu_time_format(ev->at, t, sizeof(t));
		if (ev->new_report_at <= ev->at)
			return mu_fail(err, MU_EINVAL, "new_report_at",
				       "the new report time must be after the "
				       "excuse itself (%s)", t);
		snprintf(what, sizeof(what), "the excuse itself (%s)", t);
		return rules_check_report(ev->at, ev->new_report_at,
					  "new_report_at", what, err);
	}
	return MU_OK;
}

enum mu_err rules_check_report(int64_t from, int64_t report, const char *field,
			       const char *what, struct mu_error *err)
{
	if (report == MU_T_NONE || report <= from)
		return mu_fail(err, MU_EINVAL, field, "%s must lie after %s",
			       field, what);
	if ((report - from) / 86400 >= RULES_REPORT_AHEAD_MAX_DAYS)
		return mu_fail(err, MU_EINVAL, field,
			       "%s must lie less than %d days after %s", field,
			       RULES_REPORT_AHEAD_MAX_DAYS, what);
	return MU_OK;
}

enum mu_err rules_check_event(const struct sm_facts *f,
			      const struct sm_event *ev, int64_t now,
			      struct mu_error *err)
{
	struct record r;
	enum mu_err rc;

	if ((unsigned)ev->type >= EV__COUNT)
		return mu_fail(err, MU_EINVAL, "type", "unknown event type");
	if (ev->type == EV_ISSUED || ev->type == EV_PUBLISHED)
		return mu_fail(err, MU_EINVAL, "type",
			       "%s is recorded by the system when the summons "
			       "is issued, not as an event",
			       ev_type_name(ev->type));
	if (ev->type != EV_EXCUSED && ev->new_report_at != MU_T_NONE)
		return mu_fail(err, MU_EINVAL, "new_report_at",
			       "only an excused event may carry new_report_at, "
			       "not %s", ev_type_name(ev->type));
	if (ev->type != EV_APPEAL_DECIDED && ev->outcome != AO_NONE)
		return mu_fail(err, MU_EINVAL, "outcome",
			       "only an appeal_decided event may carry an "
			       "outcome, not %s", ev_type_name(ev->type));
	rc = check_time(f, ev, now, err);
	if (rc != MU_OK)
		return rc;
	rc = read_record(f, &r);
	if (rc != MU_OK)
		return mu_fail(err, rc, NULL, "cannot read the summons' events");
	return check_against_record(ev, &r, err);
}

/* ---- explanations ---- */

struct text {
	char *buf;
	size_t size, len;
};

static void put(struct text *o, const char *fmt, ...) MU_PRINTF(2, 3);

static void put(struct text *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->size - o->len ? (size_t)n
						      : o->size - o->len - 1;
}

/* "10 March 2026" or "10 March 2026 00:00", local to zone. */
static void local_words(const char *zone, int64_t t, int with_time, char *buf,
			size_t size)
{
	static const char *const months[12] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"};
	char loc[32];
	int y, mo, d, hh, mi;

	if (daycount_format_local(zone, t, loc, sizeof(loc), NULL, 0) != MU_OK ||
	    sscanf(loc, "%d-%d-%d %d:%d", &y, &mo, &d, &hh, &mi) != 5 ||
	    mo < 1 || mo > 12) {
		mu_time_format(t, buf, size);
		return;
	}
	if (with_time)
		snprintf(buf, size, "%d %s %d %02d:%02d", d, months[mo - 1], y,
			 hh, mi);
	else
		snprintf(buf, size, "%d %s %d", d, months[mo - 1], y);
}

/* How the event of a delivery rule happened, as a past participle. */
static const char *done_phrase(enum ev_type t)
{
	switch (t) {
	case EV_HANDED: return "handed to you in person";
	case EV_PLACED_IN_ACCOUNT: return "placed in your personal account";
	case EV_VIEWED: return "opened by you in your personal account";
	case EV_POST_DELIVERED: return "signed for by you at the post office";
	case EV_POST_REFUSED:
		return "refused by you at the post office, which counts as "
		       "delivery,";
	case EV_PUBLISHED: return "published in the register of summonses";
	default: return "recorded";
	}
}

/* The instant of the event delivery rule r counts from. */
static int64_t anchor_of(const struct sm_facts *f, const struct profile_rule *r)
{
	int64_t after = r->has_after ? MU_T_NONE : INT64_MIN, best = MU_T_NONE;

	if (r->event == EV_PUBLISHED)
		return f->issued_at;
	for (size_t i = 0; r->has_after && i < f->n_events; i++)
		if (f->events[i].type == r->after && f->events[i].at < after)
			after = f->events[i].at;
	for (size_t i = 0; i < f->n_events; i++)
		if (f->events[i].type == r->event && f->events[i].at >= after &&
		    f->events[i].at < best)
			best = f->events[i].at;
	return best;
}

/* "was deemed delivered 7 days after its publication on 3 March 2026" */
static void put_delivery(struct text *o, const struct profile *p,
			 const struct sm_facts *f, int rule)
{
	const struct profile_rule *r;
	char when[64];

	if (rule < 0 || rule >= p->n_rules) {
		put(o, "was delivered");
		return;
	}
	r = &p->rules[rule];
	local_words(f->zone, anchor_of(f, r), r->days < 0, when, sizeof(when));
	if (r->days < 0)
		put(o, "was %s on %s", done_phrase(r->event), when);
	else if (r->event == EV_PUBLISHED)
		put(o, "was deemed delivered %d days after its publication on %s",
		    r->days, when);
	else
		put(o, "was deemed delivered %d days after it was %s on %s",
		    r->days, done_phrase(r->event), when);
}

/* ", and you did not appear at the office within 20 days after ..." */
static void put_no_show(struct text *o, const struct profile_rule *r,
			const struct sm_facts *f, int64_t report,
			const char *office)
{
	char when[64];

	local_words(f->zone, report, 1, when, sizeof(when));
	put(o, " before its report date, %s, and you did not appear at %s ",
	    when, office);
	if (r->days > 0)
		put(o, "within %d days after the report date", r->days);
	else if (r->days == 0)
		put(o, "by the end of the report date");
	else
		put(o, "by the report time");
}

/* "It lifts when you appear at the office, ... or when ..." */
static void put_lifts(struct text *o, const struct profile *p,
		      const struct profile_rule *r, const char *office)
{
	const char *ways[4];
	char appear[160];
	int n = 0;

	snprintf(appear, sizeof(appear), "when you appear at %s", office);
	if (p->ends & PE_APPEARED)
		ways[n++] = appear;
	if (r->from == PA_REPORT_DATE)
		ways[n++] = "when the office accepts a valid reason for your "
			    "absence";
	else if (p->ends & PE_EXCUSED_WITHOUT_NEW_DATE)
		ways[n++] = "when the office accepts a valid reason for your "
			    "absence without setting a new report date";
	if (p->ends & PE_CANCELLED)
		ways[n++] = "when the summons is cancelled";
	if (p->ends & PE_APPEAL_UPHELD)
		ways[n++] = "when an appeal against it is upheld";
	put(o, " It lifts");
	for (int i = 0; i < n; i++)
		put(o, "%s%s", i == 0 ? " " : i == n - 1 ? ", or " : ", ",
		    ways[i]);
	put(o, ".");
}

/* " It applies again since the appeal was rejected on ..." and the note
 * that an appeal suspends it. */
static void put_appeal(struct text *o, const struct profile *p,
		       const struct sm_facts *f, const struct rule_interval *iv)
{
	char when[64];

	if (!p->appeal_suspends)
		return;
	for (size_t i = 0; i < f->n_events; i++) {
		const struct sm_event *e = &f->events[i];
		if (e->type == EV_APPEAL_DECIDED && e->outcome == AO_REJECTED &&
		    e->at == iv->from) {
			local_words(f->zone, e->at, 1, when, sizeof(when));
			put(o, " It applies again because your appeal was "
			       "rejected on %s.", when);
			break;
		}
	}
	put(o, " Lodging an appeal against the summons suspends it until the "
	       "appeal is decided.");
}

void rules_explain(const struct profile *p, const struct sm_facts *f,
		   const struct sm_eval *ev, const struct rule_interval *iv,
		   const char *office_name, char *buf, size_t size)
{
	struct text o = {buf, size, 0};
	const struct profile_rule *r;
	const char *office = office_name ? office_name : "the office";
	char since[64];
	int drule = ev->delivery_rule;
	struct sm_eval tmp;

	if (!buf || size == 0)
		return;
	buf[0] = '\0';
	if (iv->rule < 0 || iv->rule >= p->n_rules || (unsigned)iv->kind >= RK__COUNT)
		return;
	r = &p->rules[iv->rule];
	if (drule < 0 && rules_eval(p, f, iv->from, &tmp) == MU_OK)
		drule = tmp.delivery_rule; /* a projection: delivery ahead */
	local_words(f->zone, iv->from, 1, since, sizeof(since));
	put(&o, "%s is barred since %s (%s time) because summons %s ",
	    kinds[iv->kind].title, since, f->zone, f->id ? f->id : "");
	put_delivery(&o, p, f, drule);
	if (r->from == PA_REPORT_DATE)
		put_no_show(&o, r, f, ev->report_at, office);
	put(&o, ".");
	put_lifts(&o, p, r, office);
	put_appeal(&o, p, f, iv);
}
