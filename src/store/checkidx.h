/*
 * checkidx.h: the agency checks' in-memory index: for every person with a
 * restriction in force, the kinds, since when and on which summons. A
 * person absent from it has none. A plain data structure: the SQLite side
 * (sqlite_checkidx.c) decides when it is exact and keeps it so.
 */
#ifndef MU_CHECKIDX_H
#define MU_CHECKIDX_H

#include <stddef.h>
#include <stdint.h>

#include "domain/model.h"
#include "domain/rules.h"

/* One person's materialised restrictions, as read from the register. */
struct ci_state {
	unsigned mask;                             /* bit k: kind k in force */
	int64_t since[RK__COUNT];
	char basis[RK__COUNT][SUMMONS_ID_MAX + 1];
};

struct checkidx;

struct checkidx *ci_new(void);
void ci_free(struct checkidx *ci);
/* Set id's state; mask 0 removes it. -1 when out of memory (the index is
 * then no longer exact: the caller drops it). */
int ci_put(struct checkidx *ci, const char *id, const struct ci_state *st);
/* id's kind k: 1 and *since, basis when in force; 0 when not; -1 when the
 * index cannot say (the person's bars rest on more than two summonses:
 * the caller asks the register). */
int ci_get(const struct checkidx *ci, const char *id, int k, int64_t *since,
	   char basis[SUMMONS_ID_MAX + 1]);
size_t ci_count(const struct checkidx *ci);
/* Bytes held, for /metrics. */
size_t ci_bytes(const struct checkidx *ci);

#endif
