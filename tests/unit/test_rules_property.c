/*
 * test_rules_property.c: random event histories against an independent
 * simulator.
 *
 * Thousands of seeded (deterministic) random histories, each made only of
 * events that rules_check_event accepts, are evaluated at many instants.
 * The simulator below knows the three built-in profiles by heart and answers
 * "what is in force at t, given the facts known at k" by walking the events
 * one by one, point-wise, without intervals; it uses zones with a fixed
 * offset in 2026-2027 so Rule D is plain arithmetic here. Checked:
 *  - state, delivery instant and the in-force set equal the simulator's;
 *  - no restriction exists without delivery by its start;
 *  - after a lifting event no interval of the summons extends past it;
 *  - next_change is exact: the set differs there, and at no sampled instant
 *    in between (interval boundaries included), also by the simulator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/rules.h"
#include "util/timefmt.h"

#define HISTORIES 4000
#define MAX_EV 12
#define DAY 86400LL
#define HOUR 3600LL
#define T0 1767225600LL /* 2026-01-01T00:00:00Z */

enum prof { P_RU2023, P_RU2025, P_GENERIC, P__COUNT };

static const char *const prof_ids[P__COUNT] = {"ru-2023", "ru-2025",
					       "generic"};
static const struct {
	const char *name;
	int64_t off;
} zones[] = {
	{"UTC", 0}, {"Europe/Kaliningrad", 2 * HOUR}, {"Europe/Moscow", 3 * HOUR},
	{"Asia/Vladivostok", 10 * HOUR}, {"Asia/Kamchatka", 12 * HOUR},
};

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static int64_t pick(int64_t n)
{
	return (int64_t)(rnd() % (uint64_t)n);
}

struct hist {
	enum prof prof;
	int64_t off; /* zone offset, seconds east */
	struct sm_facts f;
	struct sm_event ev[MAX_EV];
};

/* ---- the simulator ---- */

static int64_t floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t sim_rule_d(int64_t off, int64_t t, int n)
{
	return (floordiv(t + off, DAY) + n + 1) * DAY - off;
}

/* The events known at k, sorted by (at, seq), in *out. */
static size_t known(const struct hist *h, int64_t k, struct sm_event *out)
{
	size_t n = 0;

	for (size_t i = 0; i < h->f.n_events; i++)
		if (h->ev[i].at <= k)
			out[n++] = h->ev[i];
	for (size_t i = 1; i < n; i++) /* insertion sort */
		for (size_t j = i; j > 0 && (out[j].at < out[j - 1].at ||
		     (out[j].at == out[j - 1].at && out[j].seq < out[j - 1].seq));
		     j--) {
			struct sm_event tmp = out[j];
			out[j] = out[j - 1];
			out[j - 1] = tmp;
		}
	return n;
}

static int sim_ends(const struct sm_event *e)
{
	return e->type == EV_APPEARED || e->type == EV_CANCELLED ||
	       (e->type == EV_APPEAL_DECIDED && e->outcome == AO_UPHELD) ||
	       (e->type == EV_EXCUSED && e->new_report_at == MU_T_NONE);
}

struct sim {
	int64_t end;         /* MU_T_NONE if alive */
	enum ev_type end_by;
	int64_t deliv;       /* projected delivery, MU_T_NONE */
	struct sm_event e[MAX_EV];
	size_t n;            /* known, cut after the end */
};

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Candidate delivery instant of one event, given the first placement. */
static int64_t sim_candidate(const struct hist *h, const struct sm_event *e,
			     int64_t placed)
{
	switch (e->type) {
	case EV_HANDED:
	case EV_POST_DELIVERED:
		return e->at;
	case EV_POST_REFUSED:
		return h->prof == P_GENERIC ? MU_T_NONE : e->at;
	case EV_PLACED_IN_ACCOUNT:
		if (h->prof == P_RU2023)
			return e->at;
		return h->prof == P_RU2025 ? sim_rule_d(h->off, e->at, 7)
					   : MU_T_NONE;
	case EV_VIEWED:
		return h->prof == P_GENERIC && placed <= e->at ? e->at
							       : MU_T_NONE;
	default:
		return MU_T_NONE;
	}
}

static void sim_run(const struct hist *h, int64_t k, struct sim *s)
{
	int64_t placed = MU_T_NONE;

	s->n = known(h, k, s->e);
	s->end = MU_T_NONE;
	s->deliv = MU_T_NONE;
	if (k < h->f.issued_at) {
		s->n = 0;
		return;
	}
	if (h->prof != P_GENERIC)
		s->deliv = sim_rule_d(h->off, h->f.issued_at, 7);
	for (size_t i = 0; i < s->n; i++) {
		if (sim_ends(&s->e[i])) {
			s->end = s->e[i].at;
			s->end_by = s->e[i].type;
			s->n = i + 1;
			break;
		}
	}
	/* "viewed after placement": a placement at the same instant counts */
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].type == EV_PLACED_IN_ACCOUNT)
			placed = min64(placed, s->e[i].at);
	for (size_t i = 0; i < s->n; i++)
		s->deliv = min64(s->deliv, sim_candidate(h, &s->e[i], placed));
	if (s->deliv != MU_T_NONE && s->end != MU_T_NONE && s->deliv > s->end)
		s->deliv = MU_T_NONE;
}

/* Report time in force at t, and whether an appeal is pending at t. */
static void sim_walk(const struct hist *h, const struct sim *s, int64_t t,
		     int64_t *report, int *appeal)
{
	*report = h->f.report_at;
	*appeal = 0;
	for (size_t i = 0; i < s->n && s->e[i].at <= t; i++) {
		const struct sm_event *e = &s->e[i];
		if (e->type == EV_EXCUSED && e->new_report_at != MU_T_NONE)
			*report = e->new_report_at;
		else if (e->type == EV_APPEALED)
			*appeal = 1;
		else if (e->type == EV_APPEAL_DECIDED)
			*appeal = 0;
	}
}

/* The set of kinds in force at t, knowing the facts up to k. */
static unsigned sim_set(const struct hist *h, int64_t k, int64_t t)
{
	struct sim s;
	int64_t rep;
	int appeal;
	unsigned m = 0;

	sim_run(h, k, &s);
	if ((s.end != MU_T_NONE && s.end <= t) || s.deliv == MU_T_NONE ||
	    s.deliv > t)
		return 0;
	sim_walk(h, &s, t, &rep, &appeal);
	if (h->prof == P_GENERIC)
		return !appeal && s.deliv < rep && sim_rule_d(h->off, rep, 0) <= t
		       ? 1u << RK_EXIT : 0;
	m = 1u << RK_EXIT;
	if (s.deliv < rep && sim_rule_d(h->off, rep, 20) <= t)
		m |= 0x7Eu; /* the six kinds of the 20-day rule */
	return m;
}

static enum summons_state sim_state(const struct hist *h, int64_t k)
{
	struct sim s;
	int64_t rep;
	int appeal;

	sim_run(h, k, &s);
	if (s.end != MU_T_NONE)
		return s.end_by == EV_APPEARED ? SS_REPORTED
		       : s.end_by == EV_EXCUSED ? SS_EXCUSED : SS_CANCELLED;
	if (s.deliv == MU_T_NONE || s.deliv > k)
		return SS_PENDING;
	sim_walk(h, &s, k, &rep, &appeal);
	return k >= rep ? SS_OVERDUE : SS_DELIVERED;
}

/* ---- random histories ---- */

static const enum ev_type kinds_of_event[] = {
	EV_PLACED_IN_ACCOUNT, EV_VIEWED, EV_POST_SENT, EV_POST_DELIVERED,
	EV_POST_REFUSED, EV_POST_RETURNED, EV_HANDED, EV_EXCUSED, EV_EXCUSED,
	EV_APPEALED, EV_APPEALED, EV_APPEAL_DECIDED, EV_APPEAL_DECIDED,
	EV_VIEWED, EV_PLACED_IN_ACCOUNT,
};

/* Events that may end the summons are rarer, so histories grow long. */
static const enum ev_type ending_events[] = {EV_APPEARED, EV_CANCELLED};

static struct sm_event random_event(int64_t prev, int64_t seq)
{
	struct sm_event e = {.seq = seq, .new_report_at = MU_T_NONE};
	size_t nk = sizeof(kinds_of_event) / sizeof(kinds_of_event[0]);

	e.type = pick(8) == 0 ? ending_events[pick(2)]
			      : kinds_of_event[pick((int64_t)nk)];
	e.at = prev + (pick(4) == 0 ? 0 : pick(10 * 24) * HOUR);
	e.recorded_at = e.at;
	if (e.type == EV_EXCUSED && pick(3) != 0)
		e.new_report_at = e.at + (pick(3) == 0 ? 0 : 1 + pick(25 * 24)) * HOUR;
	if (e.type == EV_APPEAL_DECIDED)
		e.outcome = (enum appeal_outcome)pick(3);
	return e;
}

static int accepted = 0, rejected = 0;

static void random_history(struct hist *h)
{
	size_t want = (size_t)pick(MAX_EV + 1);
	int64_t prev;
	struct mu_error err;
	size_t z = (size_t)pick(sizeof(zones) / sizeof(zones[0]));

	memset(h, 0, sizeof(*h));
	h->prof = (enum prof)pick(P__COUNT);
	h->off = zones[z].off;
	h->f.id = "S-P";
	h->f.zone = zones[z].name;
	h->f.issued_at = T0 + pick(500 * 24) * HOUR;
	h->f.report_at = h->f.issued_at + (1 + pick(30 * 24)) * HOUR;
	h->f.events = h->ev;
	prev = h->f.issued_at;
	for (size_t i = 0; i < want * 2 && h->f.n_events < want; i++) {
		struct sm_event e = random_event(prev, (int64_t)i + 1);
		if (rules_check_event(&h->f, &e, e.at, &err) != MU_OK) {
			rejected++;
			continue;
		}
		accepted++;
		h->ev[h->f.n_events++] = e;
		prev = e.at;
	}
	for (size_t i = h->f.n_events; i > 1; i--) { /* recorded order != time */
		size_t j = (size_t)pick((int64_t)i);
		struct sm_event tmp = h->ev[i - 1];
		h->ev[i - 1] = h->ev[j];
		h->ev[j] = tmp;
	}
}

/* ---- checks ---- */

static unsigned set_at(const struct sm_eval *ev, int64_t t)
{
	unsigned m = 0;

	for (size_t i = 0; i < ev->n_intervals; i++)
		if (ev->intervals[i].from <= t && t < ev->intervals[i].until)
			m |= 1u << ev->intervals[i].kind;
	return m;
}

static void dump(const struct hist *h, int64_t q, const char *what)
{
	char a[MU_RFC3339_MAX];

	mu_time_format(q, a, sizeof(a));
	print_error("%s: profile %s zone %s at %s; issued %lld report %lld\n",
		    what, prof_ids[h->prof], h->f.zone, a,
		    (long long)h->f.issued_at, (long long)h->f.report_at);
	for (size_t i = 0; i < h->f.n_events; i++)
		print_error("  seq %lld %s at %lld new %lld outcome %d\n",
			    (long long)h->ev[i].seq, ev_type_name(h->ev[i].type),
			    (long long)h->ev[i].at,
			    (long long)h->ev[i].new_report_at, h->ev[i].outcome);
	fail();
}

static void check_between(const struct hist *h, const struct sm_eval *ev,
			  int64_t q, int64_t nc)
{
	unsigned now = set_at(ev, q);
	int64_t hi = nc == MU_T_NONE ? q + 400 * DAY : nc;

	for (size_t i = 0; i < ev->n_intervals; i++) {
		const struct rule_interval *iv = &ev->intervals[i];
		int64_t pts[4] = {iv->from, iv->from - 1, iv->until, iv->until - 1};
		for (int j = 0; j < 4; j++)
			if (pts[j] > q && pts[j] < hi && set_at(ev, pts[j]) != now)
				dump(h, q, "next_change missed a change");
	}
	for (int j = 0; j < 6; j++) {
		int64_t t = q + 1 + pick(hi - q - 1 > 0 ? hi - q - 1 : 1);
		if (t < hi && (set_at(ev, t) != now || sim_set(h, q, t) != now))
			dump(h, q, "the set changes before next_change");
	}
	if (nc != MU_T_NONE && (set_at(ev, nc) == now || sim_set(h, q, nc) == now))
		dump(h, q, "next_change is not a change");
}

static void check_intervals(const struct hist *h, const struct sm_eval *ev,
			    int64_t q)
{
	struct sim s;

	sim_run(h, q, &s);
	for (size_t i = 0; i < ev->n_intervals; i++) {
		const struct rule_interval *iv = &ev->intervals[i];
		if (s.deliv == MU_T_NONE || iv->from < s.deliv)
			dump(h, q, "a restriction before delivery");
		if (s.end != MU_T_NONE && iv->until > s.end)
			dump(h, q, "a restriction outlives the lifting event");
		if (iv->from >= iv->until)
			dump(h, q, "an empty interval");
	}
	if (set_at(ev, q) && ev->delivered_at > q)
		dump(h, q, "in force but not delivered");
	if (ev->delivered_at != (s.deliv <= q ? s.deliv : MU_T_NONE))
		dump(h, q, "delivered_at differs from the simulator");
}

static int checked_queries = 0, with_restrictions = 0, with_no_show = 0;

static void check_at(const struct profile *p, const struct hist *h, int64_t q)
{
	struct sm_eval ev;
	enum mu_err rc = rules_eval(p, &h->f, q, &ev);

	if (rc == MU_ETOOBIG)
		return;
	assert_int_equal(rc, MU_OK);
	checked_queries++;
	with_restrictions += set_at(&ev, q) != 0;
	with_no_show += (set_at(&ev, q) & (1u << RK_CREDIT)) != 0;
	if (ev.state != sim_state(h, q))
		dump(h, q, "state differs from the simulator");
	if (set_at(&ev, q) != sim_set(h, q, q))
		dump(h, q, "in-force set differs from the simulator");
	check_intervals(h, &ev, q);
	check_between(h, &ev, q, rules_next_change(&ev, 1, q));
}

static void test_random_histories(void **state)
{
	struct profile *ps[P__COUNT];
	struct mu_error err;

	(void)state;
	for (int i = 0; i < P__COUNT; i++)
		assert_int_equal(profile_parse(rules_builtin_profile(prof_ids[i]),
					       &ps[i], &err), MU_OK);
	for (int n = 0; n < HISTORIES; n++) {
		struct hist h;
		int64_t span;

		random_history(&h);
		span = 70 * DAY;
		for (size_t i = 0; i < h.f.n_events; i++) {
			check_at(ps[h.prof], &h, h.ev[i].at);
			check_at(ps[h.prof], &h, h.ev[i].at - 1);
		}
		for (int j = 0; j < 8; j++)
			check_at(ps[h.prof], &h,
				 h.f.issued_at - DAY + pick(span) / HOUR * HOUR);
		check_at(ps[h.prof], &h, h.f.issued_at + pick(span));
	}
	print_message("%d histories, %d events accepted, %d rejected by "
		      "rules_check_event, %d evaluations checked (%d with "
		      "restrictions in force, %d with the 20-day rule)\n",
		      HISTORIES, accepted, rejected, checked_queries,
		      with_restrictions, with_no_show);
	assert_true(checked_queries > HISTORIES * 10);
	for (int i = 0; i < P__COUNT; i++)
		profile_free(ps[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_histories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
