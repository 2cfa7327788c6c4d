/*
 * h_duplicates.c: GET /v1/duplicates: the possible duplicates imports
 * found, for admins and clerks to resolve. A clerk scoped to an office sees
 * the pairs that involve a person of that office; of the other person only
 * the national id and office. Every person shown in full is an audited read.
 * Pairs whose names or birth dates no longer match (corrected since) are
 * left out.
 */
#include <stdlib.h>
#include <string.h>

#include "http/api.h"
#include "ingest/dups.h"

static int parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	if (!s)
		return 0;
	v = strtoll(s, &end, 10);
	if (!s[0] || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Add pair d to arr when the caller may see one of its persons; nonzero
 * when the answer has been sent (the audit queue is full). */
static int add_pair(struct api_req *r, const struct dup_pair *d, json_t *arr)
{
	struct person pa, pb;
	int ha = store_person_get(r->app->st, d->a, &pa) == MU_OK;
	int hb = store_person_get(r->app->st, d->b, &pb) == MU_OK;
	int sa = ha && api_may_see_person(r, &pa), sb = hb && api_may_see_person(r, &pb);

	if ((!sa && !sb) || (ha && hb && !dups_still_match(&pa, &pb)))
		return 0;
	if ((sa && api_audit_read(r, "person.duplicates", d->a, "person", d->a)) ||
	    (sb && api_audit_read(r, "person.duplicates", d->b, "person", d->b)))
		return 1;
	json_array_append_new(arr, dups_pair_json(d, ha ? &pa : NULL, sa,
						  hb ? &pb : NULL, sb));
	return 0;
}

void h_duplicates_list(struct api_req *r)
{
	struct dup_filter f = {0, DUPS_PAGE_DEFAULT};
	int64_t limit = DUPS_PAGE_DEFAULT;
	struct dup_pair *v;
	size_t n = 0;
	json_t *arr;

	if (parse_num(api_query(r, "after"), 0, INT64_MAX, &f.after)) {
		api_fail(r, MU_EINVAL, "after", "after must be an id from an earlier page");
		return;
	}
	if (parse_num(api_query(r, "limit"), 1, DUPS_PAGE_MAX, &limit)) {
		api_fail(r, MU_EINVAL, "limit", "limit must be 1..%d", DUPS_PAGE_MAX);
		return;
	}
	f.limit = (size_t)limit;
	v = calloc(f.limit, sizeof(*v));
	if (!v || store_dup_list(r->app->st, &f, v, f.limit, &n) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot read the duplicate candidates");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (add_pair(r, &v[i], arr)) {
			json_decref(arr);
			free(v);
			return;
		}
	}
	api_json(r, 200, json_pack("{s:o, s:I}", "duplicates", arr, "next",
				   (json_int_t)(n ? v[n - 1].id : f.after)));
	free(v);
}
