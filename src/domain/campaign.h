/*
 * campaign.h: spreading a call-up campaign over the offices' capacity.
 *
 * Pure. Report times are placed on working days (Monday to Friday, in the
 * office's own time zone) inside office hours (09:00-17:00 local), spread
 * evenly over the day in capacity slots, so that no office receives more
 * people a day than its daily capacity. Slots are handed out in order:
 * the first person of an office gets the first slot of the first working
 * day inside the window, and so on.
 */
#ifndef MU_CAMPAIGN_H
#define MU_CAMPAIGN_H

#include <stdint.h>

#include "util/err.h"

#define CAMPAIGN_OPEN_HOUR 9
#define CAMPAIGN_CLOSE_HOUR 17
#define CAMPAIGN_MAX_DAYS 366

/* The slot plan of one office over a window. */
struct slot_plan {
	const char *zone;
	int capacity;               /* people per working day */
	int64_t from, to;           /* window, instants (inclusive) */
	int n_days;                 /* working days in the window */
	int64_t day_open[CAMPAIGN_MAX_DAYS]; /* 09:00 local of each working day */
	int32_t day_num[CAMPAIGN_MAX_DAYS];  /* its civil day number */
	int taken[CAMPAIGN_MAX_DAYS];        /* people already due that day */
	int taken_in[CAMPAIGN_MAX_DAYS];     /* of them, inside the window */
	int64_t used;               /* slots handed out so far */
	int64_t skip, left;         /* the current day's slots to skip, to give */
};

/* Prepare the plan of one office. MU_EINVAL if the zone is unknown or the
 * window is empty or longer than CAMPAIGN_MAX_DAYS days. */
enum mu_err campaign_plan_init(struct slot_plan *p, const char *zone, int capacity,
			       int64_t from, int64_t to) MU_MUSTCHECK;

/* Note a person already due at the office at instant t (a summons issued
 * before): that working day has one slot less. Outside the plan: ignored. */
void campaign_plan_take(struct slot_plan *p, int64_t t);

/* Whether a working day of the plan has more people taken than capacity;
 * with before (taken[] as it was, n_days entries), only a day that gained
 * people since counts. */
int campaign_plan_over(const struct slot_plan *p, const int *before);

/* The free slots of the plan: inside [from, to], less those taken. */
int64_t campaign_plan_capacity(const struct slot_plan *p);

/* The next free report time, or 0 when the plan is full. Slots outside
 * [from, to] are skipped, and so are day d's first taken_in[d] slots (those
 * before took them); a day gives no more than its capacity leaves. */
int64_t campaign_plan_next(struct slot_plan *p);

#endif
