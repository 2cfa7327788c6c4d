/*
 * app.c: opening a register with its profile, the clock, and the engine's
 * view of stored summonses. See app.h.
 */
#include "app/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mu_err app_open(const char *path, const struct store_options *opt,
		     struct app **out, struct mu_error *err)
{
	struct app *a = calloc(1, sizeof(*a));
	enum mu_err rc;

	*out = NULL;
	if (!a)
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	rc = store_open(path, opt, &a->st, err);
	if (rc)
		goto fail;
	rc = store_meta_get(a->st, "profile", &a->profile_text);
	if (rc) {
		rc = mu_fail(err, MU_EIO, "db", "%.200s has no legal profile; "
			     "was it made by muster init?", path);
		goto fail;
	}
	rc = profile_parse(a->profile_text, &a->profile, err);
	if (rc)
		goto fail;
	*out = a;
	return MU_OK;
fail:
	app_close(a);
	return rc;
}

uint64_t app_close(struct app *a)
{
	uint64_t lost;

	if (!a)
		return 0;
	lost = store_close(a->st);
	profile_free(a->profile);
	free(a->profile_text);
	free(a);
	return lost;
}

int64_t app_now(struct app *a)
{
	int64_t hw;

	if (!a->test_clock)
		return mu_now();
	hw = __atomic_load_n(&a->clock_high, __ATOMIC_RELAXED);
	return hw ? hw : mu_now();
}

int app_clock_known(struct app *a)
{
	return !a->test_clock || __atomic_load_n(&a->clock_high, __ATOMIC_RELAXED) != 0;
}

int app_clock_seen(struct app *a, int64_t t)
{
	int64_t cur = __atomic_load_n(&a->clock_high, __ATOMIC_RELAXED);

	while (t > cur) {
		if (__atomic_compare_exchange_n(&a->clock_high, &cur, t, 0,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return 1;
	}
	return 0;
}

void app_facts(const struct summons_set *set, struct sm_facts *facts)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct summons_rec *r = &set->items[i];
		facts[i].id = r->s.id;
		facts[i].zone = r->zone;
		facts[i].issued_at = r->s.issued_at;
		facts[i].report_at = r->s.report_at;
		facts[i].events = r->events;
		facts[i].n_events = r->n_events;
	}
}

void app_feed_changed(struct app *a)
{
	if (a->on_feed_change)
		a->on_feed_change(a->feed_ctx);
}
