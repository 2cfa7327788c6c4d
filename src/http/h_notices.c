/*
 * h_notices.c: the notice outbox for clerks (failed notices are their
 * business), the citizen's own notices, and the citizen's inbox of
 * summonses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_channels.h"
#include "domain/codec.h"
#include "http/api.h"

#define NOTICES_PAGE 200

static json_t *time_json(int64_t t)
{
	char buf[MU_RFC3339_MAX];

	if (!t)
		return json_null();
	mu_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *notice_json(const struct notice *x, int staff)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:o, s:o}", "id",
			      (json_int_t)x->id, "channel", x->channel, "kind", x->kind,
			      "text", x->text, "state", x->state, "attempts", x->attempts,
			      "created_at", time_json(x->created_at),
			      "sent_at", time_json(x->sent_at));

	if (staff) {
		json_object_set_new(o, "key", json_string(x->key));
		json_object_set_new(o, "national_id", json_string(x->national_id));
		json_object_set_new(o, "last_error", json_string(x->last_error));
		json_object_set_new(o, "next_attempt_at", time_json(x->next_attempt_at));
	}
	return o;
}

static void list(struct api_req *r, const char *state, const char *nid, int staff)
{
	struct notice *v = calloc(NOTICES_PAGE, sizeof(*v));
	size_t n = 0;
	json_t *arr;

	if (state && strcmp(state, "pending") && strcmp(state, "sent") && strcmp(state, "failed")) {
		free(v);
		api_fail(r, MU_EINVAL, "state", "state must be pending, sent or failed");
		return;
	}
	/* a clerk scoped to an office sees its persons' notices only */
	if (!v || store_notices_list(r->app->st, state, nid,
				     staff && r->tok.office[0] ? r->tok.office : NULL,
				     NOTICES_PAGE, v, &n) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot read the notices");
		return;
	}
	/* a notice is personal data: each person shown is told (their access
	 * log), once per answer, like a list of persons */
	if (staff && n) {
		const char *ids[NOTICES_PAGE];
		for (size_t i = 0; i < n; i++)
			ids[i] = v[i].national_id;
		if (api_audit_reads(r, "notice.list", ids, n, "person", NULL)) {
			free(v);
			return;
		}
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, notice_json(&v[i], staff));
	free(v);
	api_json(r, 200, json_pack("{s:o}", "notices", arr));
}

void h_notices_list(struct api_req *r)
{
	list(r, api_query(r, "state"), api_query(r, "national_id"), 1);
}

void h_me_notices(struct api_req *r)
{
	list(r, NULL, r->tok.person, 0);
}

void h_me_summonses(struct api_req *r)
{
	struct summons_set *set = NULL;
	json_t *arr;

	if (api_audit_read(r, "person.summonses", r->tok.person, "person", r->tok.person))
		return;
	if (store_summons_of_person(r->app->st, r->tok.person, &set) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read your summonses");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < set->n; i++) {
		json_t *o = app_summons_json(r->app, &set->items[i], r->now);
		if (o)
			json_object_set_new(o, "channels",
					    app_channels_json(r->app, &set->items[i]));
		if (o)
			json_array_append_new(arr, o);
	}
	summons_set_free(set);
	api_json(r, 200, json_pack("{s:o}", "summonses", arr));
}

/* The citizen's own record, each field with the source and date of its
 * current value (from the record's history). Audited as a read. */
void h_me_record(struct api_req *r)
{
	struct person p;
	struct field_source src[16];
	json_t *o, *fields;

	if (store_person_get(r->app->st, r->tok.person, &p) != MU_OK) {
		api_fail(r, MU_ENOTFOUND, "national_id", "your record is not on the register");
		return;
	}
	if (api_audit_read(r, "person.read", p.national_id, "person", p.national_id))
		return;
	o = person_to_json(&p);
	fields = json_object();
	memset(src, 0, sizeof(src));
	if (store_person_provenance(r->app->st, p.national_id, src) == MU_OK) {
		for (size_t i = 0; person_columns[i]; i++) {
			json_object_set_new(fields, person_columns[i], json_pack("{s:s, s:o, s:I}",
				"source", src[i].source[0] ? src[i].source : "register",
				"since", time_json(src[i].at), "version", (json_int_t)src[i].version));
		}
	}
	json_object_set_new(o, "fields", fields);
	api_json(r, 200, o);
}
