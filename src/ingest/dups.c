/*
 * dups.c: the JSON of a duplicate candidate. See dups.h.
 */
#include "ingest/dups.h"

#include <string.h>

#include "ingest/match.h"
#include "util/timefmt.h"

static json_t *side(const char *nid, const struct person *p, int see)
{
	char sex[2] = {p ? p->sex : 0, 0};

	if (!p)
		return json_pack("{s:s}", "national_id", nid);
	if (!see)
		return json_pack("{s:s, s:s}", "national_id", nid, "office", p->office);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "national_id", nid, "family_name", p->family_name,
			 "given_name", p->given_name, "patronymic", p->patronymic,
			 "birth_date", p->birth_date, "sex", sex, "office", p->office,
			 "address", p->address, "status",
			 p->status == PS_REMOVED ? "removed" : "active", "source", p->source);
}

json_t *dups_pair_json(const struct dup_pair *d, const struct person *a, int see_a,
		       const struct person *b, int see_b)
{
	char at[MU_RFC3339_MAX];

	mu_time_format(d->found_at, at, sizeof(at));
	return json_pack("{s:I, s:s, s:I, s:b, s:s, s:o, s:o}", "id", (json_int_t)d->id,
			 "found_at", at, "run", (json_int_t)d->run_id, "same_address",
			 d->same_address, "state", d->state, "a", side(d->a, a, see_a),
			 "b", side(d->b, b, see_b));
}

int dups_still_match(const struct person *a, const struct person *b)
{
	char x[MATCH_KEY_MAX], y[MATCH_KEY_MAX];

	match_text(a->family_name, a->given_name, a->patronymic, a->birth_date, x,
		   sizeof(x));
	match_text(b->family_name, b->given_name, b->patronymic, b->birth_date, y,
		   sizeof(y));
	return !strcmp(x, y);
}
