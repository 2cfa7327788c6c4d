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

	if (api_parse_int(api_query(r, "after"), 0, INT64_MAX, &f.after)) {
		api_fail(r, MU_EINVAL, "after", "after must be an id from an earlier page");
		return;
	}
	if (api_parse_int(api_query(r, "limit"), 1, DUPS_PAGE_MAX, &limit)) {
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

/* POST /v1/duplicates/{id}/resolve {"resolution":"distinct"|"same_person",
 * "note"}: a clerk decides. Nothing is merged: "same_person" records that
 * one person holds two ids, for the agency that issues them. The caller
 * must see one of the two persons (else 404, as for an unknown id). */
void h_duplicates_resolve(struct api_req *r)
{
	static const char *const known[] = {"resolution", "note", NULL};
	struct audit_ctx c = api_ctx(r, "resolve a possible duplicate");
	struct mu_error e = {0};
	struct dup_pair d;
	struct person pa, pb;
	json_t *body = api_body_object(r);
	const char *res, *note;
	int64_t id = 0;
	int sa, sb, ha, hb;

	if (!body || api_only_keys(r, body, known))
		return;
	res = json_string_value(json_object_get(body, "resolution"));
	note = json_string_value(json_object_get(body, "note"));
	if (!res || (strcmp(res, "distinct") && strcmp(res, "same_person"))) {
		api_fail(r, MU_EINVAL, "resolution", "resolution must be distinct or same_person");
		return;
	}
	if (!note || !note[0] || strlen(note) > REASON_MAX_LEN) {
		api_fail(r, MU_EINVAL, "note", "a note saying why (1..%d bytes) is required",
			 REASON_MAX_LEN);
		return;
	}
	if (api_parse_int(r->params[0], 1, INT64_MAX, &id) || id == 0 ||
	    store_dup_get(r->app->st, id, &d) != MU_OK) {
		api_fail(r, MU_ENOTFOUND, "id", "no duplicate candidate %.24s in your scope",
			 r->params[0]);
		return;
	}
	ha = store_person_get(r->app->st, d.a, &pa) == MU_OK;
	hb = store_person_get(r->app->st, d.b, &pb) == MU_OK;
	sa = ha && api_may_see_person(r, &pa);
	sb = hb && api_may_see_person(r, &pb);
	if (!sa && !sb) {
		api_fail(r, MU_ENOTFOUND, "id", "no duplicate candidate %.24s in your scope",
			 r->params[0]);
		return;
	}
	if (store_dup_resolve(r->app->st, id, res, note, &c, &e)) {
		api_problem(r, &e);
		return;
	}
	if (store_dup_get(r->app->st, id, &d) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the candidate back");
		return;
	}
	api_json(r, 200, dups_pair_json(&d, ha ? &pa : NULL, sa, hb ? &pb : NULL, sb));
}
