/*
 * dups.h: duplicate candidates as the CLI and the API show them.
 *
 * One JSON shape for `muster duplicates --json` and GET /v1/duplicates:
 * {"id","found_at","run","same_address","a":{...},"b":{...}} where each
 * side is the person's identifying fields, or only national_id and office
 * when the caller may not see that person.
 */
#ifndef MU_DUPS_H
#define MU_DUPS_H

#include <jansson.h>

#include "domain/model.h"
#include "store/store.h"

#define DUPS_PAGE_DEFAULT 100
#define DUPS_PAGE_MAX 1000

/* A new JSON object for pair d; a and b are the persons (NULL: unknown),
 * shown in full only when see_a / see_b. */
json_t *dups_pair_json(const struct dup_pair *d, const struct person *a, int see_a,
		       const struct person *b, int see_b);

/* 1 if a and b still have the same matching key (a pair found earlier goes
 * stale when a name or birth date is corrected later). */
int dups_still_match(const struct person *a, const struct person *b);

#endif
