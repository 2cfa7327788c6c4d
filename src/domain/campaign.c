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
		p->day_num[p->n_days] = (int32_t)day;
		p->day_open[p->n_days++] = midnight + CAMPAIGN_OPEN_HOUR * 3600;
	}
	return MU_OK;
}

static const int64_t span = (CAMPAIGN_CLOSE_HOUR - CAMPAIGN_OPEN_HOUR) * 3600;

void campaign_plan_take(struct slot_plan *p, int64_t t)
{
	int y, m, d;
	int64_t day;

	if (daycount_local_date(p->zone, t, &y, &m, &d) != MU_OK)
		return;
	day = mu_days_from_civil(y, m, d);
	for (int lo = 0, hi = p->n_days - 1; lo <= hi;) {  /* day_num ascends */
		int mid = (lo + hi) / 2;
		if (p->day_num[mid] == day) {
			p->taken[mid]++;
			p->taken_in[mid] += t >= p->from && t <= p->to;
			return;
		}
		if (p->day_num[mid] < day)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
}

int campaign_plan_over(const struct slot_plan *p, const int *before)
{
	for (int i = 0; i < p->n_days; i++)
		if (p->taken[i] > p->capacity && (!before || p->taken[i] > before[i]))
			return 1;
	return 0;
}

/* Slots of day i inside the window. */
static int64_t day_slots(const struct slot_plan *p, int i)
{
	int64_t n = 0;

	/* only the first and the last day can reach outside the window */
	if (p->day_open[i] >= p->from && p->day_open[i] + span <= p->to)
		return p->capacity;
	for (int64_t k = 0; k < p->capacity; k++) {
		int64_t t = p->day_open[i] + k * span / p->capacity;
		n += t >= p->from && t <= p->to;
	}
	return n;
}

/* Free slots of day i: the window's slots less those taken inside it (a
 * campaign before filled the first ones), and no more than the day's
 * capacity leaves beside everyone already due that day, at any hour. */
static int64_t day_free(const struct slot_plan *p, int i)
{
	int64_t n = day_slots(p, i) - p->taken_in[i], left = p->capacity - p->taken[i];

	if (left < n)
		n = left;
	return n > 0 ? n : 0;
}

int64_t campaign_plan_capacity(const struct slot_plan *p)
{
	int64_t n = 0;

	for (int i = 0; i < p->n_days; i++)
		n += day_free(p, i);
	return n;
}

int64_t campaign_plan_next(struct slot_plan *p)
{
	int64_t all = (int64_t)p->n_days * p->capacity;

	while (p->used < all) {
		int64_t day = p->used / p->capacity, slot = p->used % p->capacity;
		int64_t t = p->day_open[day] + slot * span / p->capacity;
		p->used++;
		if (slot == 0) {  /* the day's first slots went to those before */
			p->skip = p->taken_in[day];
			p->left = day_free(p, (int)day);
		}
		if (t < p->from || t > p->to)
			continue;
		if (p->skip > 0) {
			p->skip--;
			continue;
		}
		if (p->left <= 0)
			continue;
		p->left--;
		return t;
	}
	return 0;
}
