/*
 * ratelimit.c: a token bucket per client address. See ratelimit.h.
 */
#include "http/ratelimit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define REPORT_EVERY 60.0

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ratelimit_take(struct ratelimit *rl, const char *addr, uint64_t *report)
{
	unsigned h = 5381;
	struct rl_slot *b;
	double t = now_s();
	int wait = 0;

	if (report)
		*report = 0;
	for (const char *c = addr; *c; c++)
		h = h * 33 + (unsigned char)*c;
	pthread_mutex_lock(&rl->mu);
	b = &rl->slot[h % RATELIMIT_SLOTS];
	if (strcmp(b->addr, addr)) {
		snprintf(b->addr, sizeof(b->addr), "%s", addr);
		b->tokens = rl->burst;
		b->last = t;
		b->noted = t - REPORT_EVERY;
		b->refused = 0;
	}
	b->tokens += (t - b->last) * rl->rate;
	if (b->tokens > rl->burst)
		b->tokens = rl->burst;
	b->last = t;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
	} else {
		wait = (int)ceil((1.0 - b->tokens) / rl->rate);
		b->refused++;
		if (report && t - b->noted >= REPORT_EVERY) {
			*report = b->refused;
			b->refused = 0;
			b->noted = t;
		}
	}
	pthread_mutex_unlock(&rl->mu);
	return wait;
}
