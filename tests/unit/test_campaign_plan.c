/*
 * test_campaign_plan.c: the slot plan of one office (domain/campaign.c).
 * Slots are 09:00-17:00 office time on working days, capacity a day, evenly
 * spread; capacity counts only the slots inside the window; people already
 * due on a day take its first free slots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/campaign.h"
#include "util/timefmt.h"

static int64_t at(const char *s)
{
	int64_t t = 0;

	assert_int_equal(mu_time_parse(s, &t), MU_OK);
	return t;
}

/* Every slot the plan hands out, into out (at most cap); how many. */
static size_t drain(struct slot_plan *p, int64_t *out, size_t cap)
{
	size_t n = 0;
	int64_t t;

	while (n < cap && (t = campaign_plan_next(p)) != 0)
		out[n++] = t;
	return n;
}

/* Monday 2 March 2026 to Wednesday 4 March 00:00 UTC, in Kamchatka
 * (UTC+12): the first day's slots begin at 21:00 UTC on Sunday 1 March,
 * before the window, and Wednesday's 09:00 local is Tuesday 21:00 UTC,
 * inside it. */
static void test_capacity_is_the_slots_inside_the_window(void **state)
{
	struct slot_plan *p = malloc(sizeof(*p));
	int64_t v[64];
	size_t n;

	(void)state;
	assert_int_equal(campaign_plan_init(p, "Asia/Kamchatka", 3, at("2026-03-02T00:00:00Z"),
					    at("2026-03-04T00:00:00Z")), MU_OK);
	/* Mon: 09:00 (21:00Z Sun, out), 11:40 (23:40Z Sun, out), 14:20 (02:20Z, in);
	 * Tue: all three; Wed 09:00 (21:00Z Tue, in), 11:40 (23:40Z, in),
	 * 14:20 (02:20Z Wed, out) */
	assert_int_equal(campaign_plan_capacity(p), 1 + 3 + 2);
	n = drain(p, v, 64);
	assert_int_equal(n, 6);
	assert_int_equal(v[0], at("2026-03-02T02:20:00Z"));
	assert_int_equal(v[5], at("2026-03-03T23:40:00Z"));
	for (size_t i = 0; i < n; i++)
		assert_true(v[i] >= p->from && v[i] <= p->to);
	free(p);
}

static void test_taken_slots_are_not_handed_out_again(void **state)
{
	struct slot_plan *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	int64_t first[64], second[64];
	size_t n1, n2;

	(void)state;
	assert_int_equal(campaign_plan_init(a, "Asia/Kamchatka", 3, at("2026-03-02T00:00:00Z"),
					    at("2026-03-04T00:00:00Z")), MU_OK);
	memcpy(b, a, sizeof(*a));
	/* the first campaign takes four slots */
	for (n1 = 0; n1 < 4; n1++)
		first[n1] = campaign_plan_next(a);
	for (size_t i = 0; i < n1; i++)
		campaign_plan_take(b, first[i]);
	campaign_plan_take(b, at("2026-03-10T02:00:00Z")); /* outside: ignored */
	assert_int_equal(campaign_plan_capacity(b), 6 - 4);
	assert_false(campaign_plan_over(b, NULL));
	n2 = drain(b, second, 64);
	assert_int_equal(n2, 2);
	for (size_t i = 0; i < n2; i++)
		for (size_t k = 0; k < n1; k++)
			assert_true(second[i] != first[k]);
	/* one more person on Tuesday than its three slots */
	for (int i = 0; i < 3; i++)
		campaign_plan_take(b, at("2026-03-03T01:00:00Z"));
	assert_true(campaign_plan_over(b, NULL));
	free(a);
	free(b);
}

/* People due on a window's edge day before the window opens count against
 * that day's capacity, not against its slots inside the window. */
static void test_people_outside_the_window_count_for_their_day(void **state)
{
	struct slot_plan *p = malloc(sizeof(*p));
	int64_t v[64];

	(void)state;
	assert_int_equal(campaign_plan_init(p, "Asia/Kamchatka", 3, at("2026-03-02T00:00:00Z"),
					    at("2026-03-04T00:00:00Z")), MU_OK);
	/* Monday 09:00 and 11:40 local are before the window: its one slot
	 * inside (14:20) is still free while the day has room */
	campaign_plan_take(p, at("2026-03-01T21:00:00Z"));
	campaign_plan_take(p, at("2026-03-01T23:40:00Z"));
	assert_int_equal(campaign_plan_capacity(p), 1 + 3 + 2);
	campaign_plan_take(p, at("2026-03-01T22:00:00Z")); /* a third: Monday is full */
	assert_int_equal(campaign_plan_capacity(p), 3 + 2);
	assert_int_equal(drain(p, v, 64), 5);
	assert_true(v[0] >= at("2026-03-02T21:00:00Z"));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_is_the_slots_inside_the_window),
		cmocka_unit_test(test_taken_slots_are_not_handed_out_again),
		cmocka_unit_test(test_people_outside_the_window_count_for_their_day),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
