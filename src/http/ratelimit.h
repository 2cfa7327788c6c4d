/*
 * ratelimit.h: a token bucket per client address.
 *
 * A fixed table of slots, chosen by a hash of the address; a slot taken
 * by another address starts afresh (so a flood of addresses can reset a
 * bucket, never block a stranger). Thread-safe.
 */
#ifndef MU_RATELIMIT_H
#define MU_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 4096

struct rl_slot {
	char addr[48];
	double tokens;
	double last;
	double noted;        /* when ratelimit_take last returned first = 1 */
	uint64_t refused;    /* refused since then */
};

struct ratelimit {
	double burst;        /* what an address may spend at once */
	double rate;         /* refilled per second */
	pthread_mutex_t mu;
	struct rl_slot slot[RATELIMIT_SLOTS];
};

#define RATELIMIT_INIT(b, r) {(b), (r), PTHREAD_MUTEX_INITIALIZER, {{{0}, 0, 0, 0, 0}}}

/* Spend one token of addr's bucket: 0 if there was one; otherwise the
 * seconds until there is. When refused and report is not NULL, *report
 * is the number of refusals of this address since the last report if a
 * minute has passed since it (then it starts again), else 0: a caller
 * logs one line a minute per address, not one per request. */
int ratelimit_take(struct ratelimit *rl, const char *addr, uint64_t *report);

#endif
