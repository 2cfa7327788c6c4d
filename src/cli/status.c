/*
 * status.c: `muster status` prints a person's legal position, for people
 * (text) or programs (--json, the same document as the API).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "-";
}

/* One due-process list: a heading with the count, then per record the
 * values of keys (up to four) on one line and its explanation below. */
static void print_list(json_t *st, const char *key, const char *heading,
		       const char *const keys[4])
{
	json_t *list = json_object_get(st, key), *v;
	size_t i;

	if (!json_is_array(list))
		return;
	printf("\n%s: %zu\n", heading, json_array_size(list));
	json_array_foreach(list, i, v) {
		printf(" ");
		for (int k = 0; k < 4 && keys[k]; k++)
			printf(" %s", s(v, keys[k]));
		printf("\n    %s\n", s(v, "explanation"));
	}
}

/* Fitness, protections, exemptions, overrides, excuses, appeals and
 * corrections (app_due_json.c), when the document has them. */
static void print_due(json_t *st)
{
	static const char *const bars[4] = {"kind", "basis", "until", NULL};
	static const char *const exs[4] = {"id", "kind", "reason", "state"};
	static const char *const ovs[4] = {"id", "purpose", "state", NULL};
	static const char *const xcs[4] = {"id", "summons_id", "reason", "state"};
	static const char *const aps[4] = {"id", "state", "filed_at", NULL};
	static const char *const cos[4] = {"id", "field", "state", "deadline"};
	json_t *f = json_object_get(st, "fitness");

	if (json_is_object(f))
		printf("\nfitness: %s\n    %s\n", s(f, "category"), s(f, "explanation"));
	print_list(st, "protections", "protections (bars on being summoned)", bars);
	print_list(st, "exemptions", "deferments and exemptions", exs);
	print_list(st, "overrides", "overrides", ovs);
	print_list(st, "excuses", "excuses", xcs);
	print_list(st, "appeals", "appeals", aps);
	print_list(st, "corrections", "corrections", cos);
}

static void print_text(json_t *st)
{
	size_t i;
	json_t *v;

	printf("person: %s\nas of: %s\nprofile: %s\n", s(st, "national_id"), s(st, "at"),
	       s(st, "profile"));
	printf("\nsummonses: %zu\n", json_array_size(json_object_get(st, "summonses")));
	json_array_foreach(json_object_get(st, "summonses"), i, v) {
		printf("  %s  %-10s %-18s office %s  report %s  delivered %s%s%s\n",
		       s(v, "id"), s(v, "state"), s(v, "purpose"), s(v, "office"),
		       s(v, "report_at"), s(v, "delivered_at"),
		       json_object_get(v, "delivered_by") ? " by " : "",
		       json_object_get(v, "delivered_by") ? s(v, "delivered_by") : "");
	}
	printf("\nrestrictions in force: %zu\n",
	       json_array_size(json_object_get(st, "restrictions")));
	json_array_foreach(json_object_get(st, "restrictions"), i, v) {
		printf("  %-22s since %s  (summons %s, rule %s)\n    %s\n", s(v, "kind"),
		       s(v, "since"), s(v, "basis"), s(v, "rule"), s(v, "explanation"));
	}
	print_due(st);
	printf("\nnext change: %s\n",
	       json_is_null(json_object_get(st, "next_change")) ? "none expected"
								 : s(st, "next_change"));
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"at", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *at_s = NULL;
	struct mu_error e = {0};
	struct audit_ctx ctx = {.role = "cli", .purpose = "status"};
	struct audit_entry ae;
	struct app *a;
	json_t *st = NULL;
	int c, json = 0;
	int64_t at = mu_now();

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'a')
			at_s = optarg;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage("status", "bad option '%.60s'", cli_bad_option());
	}
	db = cli_db(db);
	if (!db)
		return cli_usage("status", "--db PATH is required");
	if (optind != argc - 1)
		return cli_usage("status", "give one NATIONAL_ID");
	if (at_s && mu_time_parse(at_s, &at) != MU_OK) {
		mu_fail(&e, MU_EINVAL, "at", "--at must be an RFC 3339 instant with an offset");
		return cli_fail(&e);
	}
	if (app_open(db, NULL, &a, &e))
		return cli_fail(&e);
	ctx.at = mu_now();
	audit_entry_from_ctx(&ae, &ctx, "person.status", "person", argv[optind], argv[optind]);
	if (app_status(a, argv[optind], at, &st, &e) == MU_OK &&
	    store_audit_append(a->st, &ae) == MU_OK) {
		if (json) {
			json_dumpf(st, stdout, JSON_INDENT(2));
			printf("\n");
		} else {
			print_text(st);
		}
	} else if (!e.detail[0]) {
		mu_fail(&e, MU_EIO, NULL, "cannot audit the read; nothing shown");
	}
	json_decref(st);
	app_close(a);
	return e.detail[0] ? cli_fail(&e) : 0;
}
