/*
 * h_persons.c: offices and persons: create, read, list, change, history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/codec.h"
#include "http/api.h"

#define PERSON_HISTORY_MAX 256

void h_healthz(struct api_req *r)
{
	/* a load balancer takes a server whose audit log cannot commit (and
	 * which therefore refuses reads) out of service */
	if (store_audit_failing(r->app->st)) {
		api_json(r, 503, json_pack("{s:s, s:s}", "status", "failing", "detail",
					   "the audit log cannot be written (disk full or "
					   "locked); reads are refused until it can"));
		return;
	}
	api_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void h_offices_create(struct api_req *r)
{
	struct office o;
	struct mu_error e = {0};
	struct audit_ctx c = api_ctx(r, "create office");
	json_t *body = api_body_object(r);

	if (!body)
		return;
	if (office_from_json(body, &o, &e) || office_validate(&o, &e) ||
	    store_office_create(r->app->st, &o, &c, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 201, office_to_json(&o));
}

void h_offices_list(struct api_req *r)
{
	struct office *v = NULL;
	size_t n = 0;
	json_t *arr;

	if (store_office_list(r->app->st, &v, &n) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the offices");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, office_to_json(&v[i]));
	free(v);
	api_json(r, 200, json_pack("{s:o}", "offices", arr));
}

/* Load person {id} and check the caller may see them. Answers and returns
 * nonzero when not: an out-of-scope person is a 404, as if absent. */
static int load_person(struct api_req *r, const char *id, struct person *p)
{
	enum mu_err rc = store_person_get(r->app->st, id, p);

	if (rc == MU_OK && api_may_see_person(r, p))
		return 0;
	if (rc == MU_OK || rc == MU_ENOTFOUND)
		api_fail(r, MU_ENOTFOUND, "national_id", "no person %.32s in your scope", id);
	else
		api_fail(r, rc, NULL, "cannot read the register");
	return 1;
}

static int clerk_scope_ok(struct api_req *r, const struct person *p)
{
	if (r->tok.role == ROLE_CLERK && r->tok.office[0] &&
	    strcmp(r->tok.office, p->office) != 0) {
		api_fail(r, MU_EFORBIDDEN, "office",
			 "your token is scoped to office %s", r->tok.office);
		return 0;
	}
	return 1;
}

static void put_person(struct api_req *r, struct person *p, int create)
{
	struct mu_error e = {0};
	struct audit_ctx c = api_ctx(r, create ? "register person" : "correct person record");
	int changed = 0;

	snprintf(p->source, sizeof(p->source), "api:%s", r->tok.id);
	if (person_validate(p, r->now, &e) ||
	    store_person_put(r->app->st, p, create, &c, &changed, &e)) {
		api_problem(r, &e);
		return;
	}
	if (store_person_get(r->app->st, p->national_id, p) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the record back");
		return;
	}
	api_json(r, create ? 201 : 200, person_to_json(p));
}

void h_persons_create(struct api_req *r)
{
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);

	if (!body)
		return;
	if (person_from_json(body, &p, 0, &e)) {
		api_problem(r, &e);
		return;
	}
	if (!clerk_scope_ok(r, &p))
		return;
	put_person(r, &p, 1);
}

void h_persons_patch(struct api_req *r)
{
	struct person p;
	struct mu_error e = {0};
	json_t *body = api_body_object(r);
	char was;

	if (!body || load_person(r, r->params[0], &p))
		return;
	was = p.fitness;
	if (json_object_get(body, "national_id") &&
	    (!json_is_string(json_object_get(body, "national_id")) ||
	     strcmp(json_string_value(json_object_get(body, "national_id")), p.national_id))) {
		api_fail(r, MU_EINVAL, "national_id", "national_id cannot be changed");
		return;
	}
	if (person_from_json(body, &p, 1, &e)) {
		api_problem(r, &e);
		return;
	}
	if (due_fitness_correction(p.national_id, was, p.fitness, &e)) {
		api_problem(r, &e);
		return;
	}
	if (!clerk_scope_ok(r, &p))
		return;
	put_person(r, &p, 0);
}

void h_persons_get(struct api_req *r)
{
	struct person p;

	if (load_person(r, r->params[0], &p) ||
	    api_audit_read(r, "person.read", p.national_id, "person", p.national_id))
		return;
	api_json(r, 200, person_to_json(&p));
}

void h_persons_history(struct api_req *r)
{
	struct person p, *v = calloc(PERSON_HISTORY_MAX, sizeof(*v));
	size_t n = 0;
	json_t *arr;
	char at[MU_RFC3339_MAX];

	if (!v) {
		api_fail(r, MU_ENOMEM, NULL, "out of memory");
		return;
	}
	if (load_person(r, r->params[0], &p) ||
	    api_audit_read(r, "person.history", p.national_id, "person", p.national_id) ||
	    store_person_history(r->app->st, p.national_id, v, PERSON_HISTORY_MAX, &n)) {
		if (!r->responded)
			api_fail(r, MU_EIO, NULL, "cannot read the history");
		free(v);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = person_to_json(&v[i]);
		mu_time_format(v[i].updated_at, at, sizeof(at));
		json_object_set_new(o, "valid_from", json_string(at));
		json_array_append_new(arr, o);
	}
	free(v);
	api_json(r, 200, json_pack("{s:s, s:o}", "national_id", p.national_id,
				   "versions", arr));
}

static size_t list_limit(struct api_req *r)
{
	const char *l = api_query(r, "limit");
	int64_t v = 100;

	if (!l)
		return 100;
	if (api_parse_int(l, 1, STORE_LIST_MAX, &v))
		return 0;
	return (size_t)v;
}

void h_persons_list(struct api_req *r)
{
	struct person_filter f = {api_query(r, "office"), api_query(r, "region"),
				  api_query(r, "q"), api_query(r, "cursor"), list_limit(r)};
	struct person *v;
	size_t n = 0;
	json_t *arr;

	if (!f.limit) {
		api_fail(r, MU_EINVAL, "limit", "limit must be 1..%d", STORE_LIST_MAX);
		return;
	}
	if (r->tok.role == ROLE_CLERK && r->tok.office[0]) {
		if (f.office && strcmp(f.office, r->tok.office)) {
			api_fail(r, MU_EFORBIDDEN, "office", "your token is scoped to office %s",
				 r->tok.office);
			return;
		}
		f.office = r->tok.office;
	}
	v = calloc(f.limit, sizeof(*v));
	if (!v || store_person_list(r->app->st, &f, v, f.limit, &n) != MU_OK) {
		free(v);
		api_fail(r, MU_EIO, NULL, "cannot list persons");
		return;
	}
	{
		const char **ids = malloc((n ? n : 1) * sizeof(*ids));
		int refused = 1;
		for (size_t i = 0; ids && i < n; i++)
			ids[i] = v[i].national_id;
		if (!ids)
			api_fail(r, MU_ENOMEM, NULL, "out of memory");
		else
			refused = api_audit_reads(r, "person.list", ids, n, "person", NULL);
		free(ids);
		if (refused) {
			free(v);
			return;
		}
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, person_to_json(&v[i]));
	api_json(r, 200, json_pack("{s:o, s:o}", "persons", arr, "next",
				   n == f.limit ? json_string(v[n - 1].national_id) : json_null()));
	free(v);
}

static void send_status(struct api_req *r, const char *nid)
{
	struct mu_error e = {0};
	json_t *o;
	int64_t at;

	if (api_query_time(r, "at", &at))
		return;
	if (api_audit_read(r, "person.status", nid, "person", nid))
		return;
	if (app_status(r->app, nid, at, &o, &e)) {
		api_problem(r, &e);
		return;
	}
	api_json(r, 200, o);
}

void h_persons_status(struct api_req *r)
{
	struct person p;

	/* A citizen's token reads one person's status: any other id is
	 * refused alike, whether or not it is on the register, so the answer
	 * tells nothing about who is. */
	if (r->tok.role == ROLE_CITIZEN && strcmp(r->params[0], r->tok.person)) {
		api_fail(r, MU_EFORBIDDEN, "national_id", "a citizen's token reads the "
			 "status of its own person only");
		return;
	}
	if (load_person(r, r->params[0], &p))
		return;
	send_status(r, p.national_id);
}

void h_me_status(struct api_req *r)
{
	send_status(r, r->tok.person);
}

void h_persons_remove(struct api_req *r)
{
	struct person p;
	struct mu_error e = {0};
	static const char *const known[] = {"reason", "date", NULL};
	struct audit_ctx c = api_ctx(r, "remove person from the register");
	json_t *body = api_body_object(r);
	const char *reason, *date;
	int changed = 0;
	size_t cancelled = 0;

	if (!body || api_only_keys(r, body, known) || load_person(r, r->params[0], &p) ||
	    !clerk_scope_ok(r, &p))
		return;
	reason = json_string_value(json_object_get(body, "reason"));
	date = json_string_value(json_object_get(body, "date"));
	if (person_removal_check(p.birth_date, reason, date, r->now, &e)) {
		api_problem(r, &e);
		return;
	}
	if (p.status == PS_REMOVED) {
		api_fail(r, MU_ECONFLICT, "national_id", "person %s is already removed", p.national_id);
		return;
	}
	p.status = PS_REMOVED;
	snprintf(p.source, sizeof(p.source), "api:%s", r->tok.id);
	snprintf(p.removal_reason, sizeof(p.removal_reason), "%s", reason);
	snprintf(p.removal_date, sizeof(p.removal_date), "%s", date);
	if (store_person_put(r->app->st, &p, 0, &c, &changed, &e) ||
	    app_cancel_open(r->app, p.national_id, reason, &c, &cancelled, &e)) {
		api_problem(r, &e);
		return;
	}
	if (store_person_get(r->app->st, p.national_id, &p) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the record back");
		return;
	}
	{
		json_t *o = person_to_json(&p);
		json_object_set_new(o, "summonses_cancelled", json_integer((json_int_t)cancelled));
		api_json(r, 200, o);
	}
}
