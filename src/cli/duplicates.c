/*
 * duplicates.c: `muster duplicates` lists the possible duplicates that
 * imports found (different national ids, same normalised full name and
 * birth date), for a clerk to resolve. Reading them is audited like any
 * read of personal data.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ingest/dups.h"
#include "util/timefmt.h"

struct dup_args {
	const char *db;
	int json;
	int64_t after;
	long limit;
};

static int parse(int argc, char **argv, struct dup_args *d)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"after", required_argument, NULL, 'a'},
		{"limit", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	d->limit = DUPS_PAGE_DEFAULT;
	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'd': d->db = optarg; break;
		case 'j': d->json = 1; break;
		case 'a':
			d->after = strtoll(optarg, &end, 10);
			if (*end || d->after < 0)
				return cli_usage("duplicates", "--after must be an id");
			break;
		case 'l':
			d->limit = strtol(optarg, &end, 10);
			if (*end || d->limit < 1 || d->limit > DUPS_PAGE_MAX)
				return cli_usage("duplicates", "--limit must be 1..%d", DUPS_PAGE_MAX);
			break;
		default: return cli_usage("duplicates", "bad option '%.60s'", cli_bad_option());
		}
	}
	d->db = cli_db(d->db);
	if (!d->db)
		return cli_usage("duplicates", "--db PATH is required");
	if (optind != argc)
		return cli_usage("duplicates", "no arguments besides the options");
	return 0;
}

static void print_side(const char *tag, json_t *p)
{
	const char *f[] = {"family_name", "given_name", "patronymic"};

	printf("  %s %-16s", tag, json_string_value(json_object_get(p, "national_id")));
	for (int i = 0; i < 3; i++)
		printf(" %s", json_string_value(json_object_get(p, f[i])) ?: "");
	printf(", born %s, office %s\n",
	       json_string_value(json_object_get(p, "birth_date")) ?: "?",
	       json_string_value(json_object_get(p, "office")) ?: "?");
}

static enum mu_err audit_pair(struct app *a, const struct dup_pair *d)
{
	struct audit_ctx ctx = {.role = "cli", .purpose = "list duplicate candidates",
				.at = mu_now()};
	struct audit_entry e[2];

	audit_entry_from_ctx(&e[0], &ctx, "person.duplicates", "person", d->a, d->a);
	audit_entry_from_ctx(&e[1], &ctx, "person.duplicates", "person", d->b, d->b);
	if (store_audit_append(a->st, &e[0]) || store_audit_append(a->st, &e[1]))
		return MU_EIO;
	return MU_OK;
}

static int cmd_resolve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"as", required_argument, NULL, 's'},
		{"note", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct audit_ctx ctx = {.role = "cli", .purpose = "resolve a possible duplicate",
				.at = mu_now()};
	const char *db = NULL, *as = NULL, *note = NULL;
	struct mu_error e = {0};
	struct app *a;
	long long id;
	char *end;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 's': as = optarg; break;
		case 'n': note = optarg; break;
		default: return cli_usage("duplicates", "bad option '%.60s'", cli_bad_option());
		}
	}
	db = cli_db(db);
	if (!db)
		return cli_usage("duplicates", "--db PATH is required");
	if (optind != argc - 1)
		return cli_usage("duplicates", "resolve needs one candidate ID");
	id = strtoll(argv[optind], &end, 10);
	if (*end || id < 1)
		return cli_usage("duplicates", "the candidate ID is a number (muster duplicates)");
	if (!as || (strcmp(as, "distinct") && strcmp(as, "same_person")))
		return cli_usage("duplicates", "--as distinct|same_person is required");
	if (!note || !note[0] || strlen(note) > REASON_MAX_LEN)
		return cli_usage("duplicates", "--note TEXT (1..%d bytes) is required",
				 REASON_MAX_LEN);
	if (app_open(db, NULL, &a, &e))
		return cli_fail(&e);
	if (store_dup_resolve(a->st, id, as, note, &ctx, &e)) {
		app_close(a);
		return cli_fail(&e);
	}
	printf("duplicate #%lld: %s\n", id, as);
	app_close(a);
	return 0;
}

int cmd_duplicates(int argc, char **argv)
{
	struct dup_args da = {0};
	struct dup_filter f;
	struct mu_error e = {0};
	struct dup_pair *v;
	struct app *a;
	json_t *arr;
	size_t n = 0;
	int st;

	if (argc >= 2 && !strcmp(argv[1], "resolve"))
		return cmd_resolve(argc - 1, argv + 1);
	if ((st = parse(argc, argv, &da)))
		return st;
	if (app_open(da.db, NULL, &a, &e))
		return cli_fail(&e);
	f.after = da.after;
	f.limit = (size_t)da.limit;
	v = calloc((size_t)da.limit, sizeof(*v));
	if (!v || store_dup_list(a->st, &f, v, (size_t)da.limit, &n) != MU_OK) {
		free(v);
		app_close(a);
		mu_fail(&e, MU_EIO, NULL, "cannot read the duplicate candidates");
		return cli_fail(&e);
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct person pa, pb;
		int ha = store_person_get(a->st, v[i].a, &pa) == MU_OK;
		int hb = store_person_get(a->st, v[i].b, &pb) == MU_OK;
		if (ha && hb && !dups_still_match(&pa, &pb))
			continue;
		if (audit_pair(a, &v[i]))
			break;
		json_array_append_new(arr, dups_pair_json(&v[i], ha ? &pa : NULL, 1,
							  hb ? &pb : NULL, 1));
	}
	if (da.json) {
		json_t *o = json_pack("{s:o, s:I}", "duplicates", arr, "next",
				      (json_int_t)(n ? v[n - 1].id : da.after));
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(o);
	} else {
		size_t i;
		json_t *p;
		printf("%zu possible duplicates%s\n", json_array_size(arr),
		       n == (size_t)da.limit ? " (more: --after the last id)" : "");
		json_array_foreach(arr, i, p) {
			printf("#%lld found %s%s\n",
			       (long long)json_integer_value(json_object_get(p, "id")),
			       json_string_value(json_object_get(p, "found_at")),
			       json_is_true(json_object_get(p, "same_address"))
				       ? ", same address" : "");
			print_side("a", json_object_get(p, "a"));
			print_side("b", json_object_get(p, "b"));
		}
		json_decref(arr);
	}
	free(v);
	app_close(a);
	return 0;
}
