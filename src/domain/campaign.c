/*
 * campaign.c: slot plans for campaigns. See campaign.h.
 */
#include "domain/campaign.h"

#include <string.h>

#include "domain/daycount.h"
#include "util/timefmt.h"

/* 0 = Monday ... 6 = Sunday, of a civil date. */
static int weekday(int y, int m, int d)
{
	int64_t days = mu_days_from_civil(y, m, d); /* 1970-01-01 was a Thursday */
	return (int)(((days % 7) + 7 + 3) % 7);
}

enum mu_err campaign_plan_init(struct slot_plan *p, const char *zone, int capacity,
			       int64_t from, int64_t to)
{
	int y, m, d, ey, em, ed;
	int64_t day, last;

	memset(p, 0, sizeof(*p));
	p->zone = zone;
	p->capacity = capacity > 0 ? capacity : 1;
	p->from = from;
	p->to = to;
	if (to < from)
		return MU_EINVAL;
	if (daycount_local_date(zone, from, &y, &m, &d) != MU_OK ||
	    daycount_local_date(zone, to, &ey, &em, &ed) != MU_OK)
		return MU_EINVAL;
	day = mu_days_from_civil(y, m, d);
	last = mu_days_from_civil(ey, em, ed);
	if (last - day >= CAMPAIGN_MAX_DAYS)
		return MU_EINVAL;
	for (; day <= last; day++) {
		int64_t midnight;
		mu_civil_from_days(day, &y, &m, &d);
		if (weekday(y, m, d) >= 5)
			continue;
		if (daycount_local_midnight(zone, y, m, d, &midnight) != MU_OK)
			return MU_EINVAL;
		p->day_open[p->n_days++] = midnight + CAMPAIGN_OPEN_HOUR * 3600;
	}
	return MU_OK;
}

int64_t campaign_plan_capacity(const struct slot_plan *p)
{
	return (int64_t)p->n_days * p->capacity;
}

int64_t campaign_plan_next(struct slot_plan *p)
{
	const int64_t span = (CAMPAIGN_CLOSE_HOUR - CAMPAIGN_OPEN_HOUR) * 3600;

	while (p->used < campaign_plan_capacity(p)) {
		int64_t day = p->used / p->capacity, slot = p->used % p->capacity;
		int64_t t = p->day_open[day] + slot * span / p->capacity;
		p->used++;
		if (t >= p->from && t <= p->to)
			return t;
	}
	return 0;
}
