/*
 * provenance.c: `muster provenance` shows, for each column of a person,
 * which source supplied its current value and when (derived from the
 * person's history by the store). Reading it is an audited read.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/codec.h"
#include "util/timefmt.h"

int cmd_provenance(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct field_source fs[IMPORT_COLS_MAX];
	struct audit_ctx ctx = {.role = "cli", .purpose = "provenance"};
	struct audit_entry ae;
	struct mu_error e = {0};
	const char *db = NULL;
	struct app *a;
	json_t *o;
	int c, json = 0;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage("provenance", "bad option '%.60s'", cli_bad_option());
	}
	db = cli_db(db);
	if (!db)
		return cli_usage("provenance", "--db PATH is required");
	if (optind != argc - 1)
		return cli_usage("provenance", "give one NATIONAL_ID");
	if (app_open(db, NULL, &a, &e))
		return cli_fail(&e);
	ctx.at = mu_now();
	audit_entry_from_ctx(&ae, &ctx, "person.provenance", "person", argv[optind],
			     argv[optind]);
	if (store_person_provenance(a->st, argv[optind], fs) != MU_OK ||
	    store_audit_append(a->st, &ae) != MU_OK) {
		app_close(a);
		mu_fail(&e, MU_ENOTFOUND, "national_id", "no person %.32s", argv[optind]);
		return cli_fail(&e);
	}
	app_close(a);
	o = json_object();
	for (size_t i = 0; person_columns[i]; i++) {
		char at[MU_RFC3339_MAX];
		mu_time_format(fs[i].at, at, sizeof(at));
		if (json)
			json_object_set_new(o, person_columns[i],
					    json_pack("{s:s, s:s, s:I}", "source", fs[i].source,
						      "at", at, "version", (json_int_t)fs[i].version));
		else
			printf("%-12s %-20s %s (version %lld)\n", person_columns[i],
			       fs[i].source, at, (long long)fs[i].version);
	}
	if (json) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
	}
	json_decref(o);
	return 0;
}
