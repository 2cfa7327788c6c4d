/*
 * app_reconcile.c: keep each person's materialised restrictions and the
 * record of their changes (the feed) equal to what the pure engine says.
 *
 * The record is aggregated per (person, kind): a change is written when the
 * kind goes from permitted to barred or back, whatever number of summonses
 * bar it, so an agency that applies the changes in order always holds the
 * right answer. Each change carries the instant it took effect: the
 * event's instant for an event-driven change, the boundary computed by the
 * engine (deemed delivery, day 20) for a time-driven one. Writes are
 * optimistic: the update names the person's state version it was computed
 * from, and a conflict makes us read again.
 */
#include "app/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECONCILE_TRIES 8

struct kind_iv {
	int64_t from, until;
	size_t summons;
	int rule;
};

static int in_force(const struct kind_iv *iv, size_t n, int64_t t, size_t *which)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (iv[i].from <= t && t < iv[i].until) {
			if (!found || iv[i].from < iv[*which].from)
				*which = i;
			found = 1;
		}
	}
	return found;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Start of the merged segment of intervals that contains interval w. */
static int64_t segment_start(const struct kind_iv *iv, size_t n, size_t w)
{
	int64_t start = iv[w].from;
	int moved = 1;

	while (moved) {
		moved = 0;
		for (size_t i = 0; i < n; i++) {
			if (iv[i].from < start && iv[i].until >= start) {
				start = iv[i].from;
				moved = 1;
			}
		}
	}
	return start;
}

struct change_buf {
	struct restr_change *v;
	size_t n, cap;
};

static enum mu_err push_change(struct change_buf *b, const char *nid,
			       enum restr_kind k, int imposed, int64_t at,
			       const char *basis, const char *rule)
{
	struct restr_change *c;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct restr_change *nv = realloc(b->v, cap * sizeof(*nv));
		if (!nv)
			return MU_ENOMEM;
		b->v = nv;
		b->cap = cap;
	}
	c = &b->v[b->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->national_id, sizeof(c->national_id), "%s", nid);
	c->kind = k;
	c->imposed = imposed;
	c->at = at;
	snprintf(c->basis, sizeof(c->basis), "%s", basis);
	snprintf(c->rule, sizeof(c->rule), "%s", rule ? rule : "");
	return MU_OK;
}

struct kind_ctx {
	const struct profile *p;
	const struct summons_set *set;
	const char *nid;
	const struct restr_state *cur;
	struct restr_state *next;
	int64_t now;
	struct change_buf *out;
};

/* When a retroactive lift takes effect: the last end of an interval by
 * `now`, but never before `since`, the imposition it lifts. When the fact
 * removed the bar altogether (an appearance dated before the delivery that
 * had already been recorded), that is `since` itself: a bar that never
 * was lifts where it began, and the record stays in time order. */
static int64_t lift_instant(const struct kind_iv *iv, size_t n, int64_t now,
			    int64_t since)
{
	int64_t best = since;

	for (size_t i = 0; i < n; i++)
		if (iv[i].until <= now && iv[i].until > best)
			best = iv[i].until;
	return best;
}

/* When a retroactive imposition takes effect: where its merged segment
 * began, but not before the last reconciliation (`floor`): every change
 * already recorded for this kind, the lift this one follows included, is
 * dated no later than that, so the record stays in time order. */
static int64_t impose_instant(const struct kind_iv *iv, size_t n, size_t w,
			      int64_t floor)
{
	int64_t start = segment_start(iv, n, w);

	return start > floor ? start : floor;
}

static enum mu_err reconcile_kind(struct kind_ctx *c, enum restr_kind k,
				  const struct kind_iv *iv, size_t n)
{
	int running = c->cur->imposed[k];
	char basis[SUMMONS_ID_MAX + 1];
	/* since: the feed's imposition, which orders the feed's lifts */
	int64_t since = c->cur->feed_at[k], *b = malloc((2 * n + 1) * sizeof(*b));
	size_t nb = 0, w = 0;
	enum mu_err rc = MU_OK;

	if (!b)
		return MU_ENOMEM;
	snprintf(basis, sizeof(basis), "%s", c->cur->basis[k]);
	for (size_t i = 0; i < n; i++) {
		if (iv[i].from > c->cur->reconciled_at && iv[i].from <= c->now)
			b[nb++] = iv[i].from;
		if (iv[i].until > c->cur->reconciled_at && iv[i].until <= c->now)
			b[nb++] = iv[i].until;
	}
	qsort(b, nb, sizeof(*b), cmp_i64);
	for (size_t i = 0; rc == MU_OK && i <= nb; i++) {
		int64_t t = i < nb ? b[i] : c->now;
		int want = in_force(iv, n, t, &w);
		if (want == running)
			continue;
		if (i == nb) /* a retroactive fact: say when it truly began/ended */
			t = want ? impose_instant(iv, n, w, c->cur->reconciled_at)
				 : lift_instant(iv, n, t, since);
		if (want) {
			since = t;
			snprintf(basis, sizeof(basis), "%s", c->set->items[iv[w].summons].s.id);
		}
		rc = push_change(c->out, c->nid, k, want, t, basis,
				 profile_rule_id(c->p, want ? iv[w].rule : -1));
		running = want;
	}
	free(b);
	c->next->imposed[k] = running;
	c->next->feed_at[k] = running ? since : 0;
	/* what a check answers is what the status says: the earliest start
	 * among the summonses barring it now (not the feed's record of it,
	 * which a late fact dates later, nor a summons that has ended). The
	 * loop's last step asked in_force at now: running says it holds. */
	if (!running || !in_force(iv, n, c->now, &w)) {
		c->next->since[k] = 0;
		c->next->basis[k][0] = 0;
		return rc;
	}
	c->next->since[k] = iv[w].from;
	snprintf(c->next->basis[k], sizeof(c->next->basis[k]), "%s",
		 c->set->items[iv[w].summons].s.id);
	return rc;
}

static enum mu_err collect(const struct sm_eval *ev, size_t n_ev, enum restr_kind k,
			   struct kind_iv **out, size_t *n)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (size_t s = 0; s < n_ev; s++) {
		for (size_t i = 0; i < ev[s].n_intervals; i++) {
			const struct rule_interval *r = &ev[s].intervals[i];
			if (r->kind != k || r->from >= r->until)
				continue;
			if (*n == cap) {
				struct kind_iv *nw;
				cap = cap ? cap * 2 : 8;
				nw = realloc(*out, cap * sizeof(*nw));
				if (!nw)
					return MU_ENOMEM;
				*out = nw;
			}
			(*out)[(*n)++] = (struct kind_iv){r->from, r->until, s, r->rule};
		}
	}
	return MU_OK;
}

static enum mu_err eval_all(const struct profile *p, const struct summons_set *set,
			    int64_t now, struct sm_eval **out)
{
	struct sm_facts *facts = calloc(set->n + 1, sizeof(*facts));
	struct sm_eval *ev = calloc(set->n + 1, sizeof(*ev));
	enum mu_err rc = MU_OK;

	if (!facts || !ev) {
		free(facts);
		free(ev);
		return MU_ENOMEM;
	}
	app_facts(set, facts);
	for (size_t i = 0; rc == MU_OK && i < set->n; i++)
		rc = rules_eval(p, &facts[i], now, &ev[i]);
	free(facts);
	if (rc) {
		free(ev);
		return rc;
	}
	*out = ev;
	return MU_OK;
}

enum mu_err app_compute_update(const struct profile *p,
			       const struct summons_set *set,
			       const struct restr_state *cur, const char *nid,
			       int64_t now, struct restr_state *next,
			       struct restr_change **changes, size_t *n_changes)
{
	struct change_buf buf = {0};
	struct sm_eval *ev = NULL;
	enum mu_err rc;

	*changes = NULL;
	*n_changes = 0;
	if (now < cur->reconciled_at)
		now = cur->reconciled_at;
	rc = eval_all(p, set, now, &ev);
	memset(next, 0, sizeof(*next));
	for (int k = 0; rc == MU_OK && k < RK__COUNT; k++) {
		struct kind_iv *iv;
		size_t n;
		struct kind_ctx c = {p, set, nid, cur, next, now, &buf};
		rc = collect(ev, set->n, k, &iv, &n);
		if (rc == MU_OK)
			rc = reconcile_kind(&c, k, iv, n);
		free(iv);
	}
	if (rc == MU_OK) {
		next->reconciled_at = now;
		next->next_due = rules_next_change(ev, set->n, now);
		next->pver = cur->pver;
		*changes = buf.v;
		*n_changes = buf.n;
	} else {
		free(buf.v);
	}
	free(ev);
	return rc;
}

static enum mu_err reconcile_once(struct app *a, const char *nid, int64_t now,
				  const struct audit_ctx *ctx)
{
	struct summons_set *set = NULL;
	struct restr_state cur, next;
	struct restr_change *ch = NULL;
	size_t n = 0;
	enum mu_err rc = store_summons_of_person(a->st, nid, &set);

	if (rc == MU_OK)
		rc = store_restr_get(a->st, nid, &cur);
	if (rc == MU_OK && cur.pver != set->pver)
		rc = MU_ECONFLICT;
	if (rc == MU_OK)
		rc = app_compute_update(a->profile, set, &cur, nid, now, &next, &ch, &n);
	if (rc == MU_OK) {
		struct restr_update u = {nid, set->pver, &next, ch, n};
		rc = store_restr_apply(a->st, &u, ctx);
		if (rc == MU_OK && n)
			app_feed_changed(a);
	}
	free(ch);
	summons_set_free(set);
	return rc;
}

enum mu_err app_reconcile(struct app *a, const char *nid, int64_t now,
			  const struct audit_ctx *ctx)
{
	enum mu_err rc = MU_ECONFLICT;

	for (int i = 0; i < RECONCILE_TRIES && rc == MU_ECONFLICT; i++)
		rc = reconcile_once(a, nid, now, ctx);
	return rc;
}

enum mu_err app_reconcile_due(struct app *a, int64_t now, size_t *n)
{
	char ids[256][NATIONAL_ID_MAX + 1];
	struct audit_ctx ctx = {.role = "scheduler", .purpose = "time-driven change",
				.at = now};
	size_t got;
	enum mu_err rc;

	*n = 0;
	do {
		rc = store_due_persons(a->st, now, ids, 256, &got);
		for (size_t i = 0; rc == MU_OK && i < got; i++) {
			rc = app_reconcile(a, ids[i], now, &ctx);
			(*n)++;
		}
	} while (rc == MU_OK && got == 256);
	return rc;
}
