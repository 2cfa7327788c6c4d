/*
 * audit.c: `muster audit verify` recomputes the audit log's hash chain.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	struct mu_error e = {0};
	struct store *st;
	int64_t n = 0, bad = -1;
	int c;

	if (argc < 2 || strcmp(argv[1], "verify"))
		return cli_usage("audit", "say verify");
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else
			return cli_usage("audit", "bad option");
	}
	db = cli_db(db);
	if (!db)
		return cli_usage("audit", "--db PATH is required");
	if (store_open(db, NULL, &st, &e))
		return cli_fail(&e);
	if (store_audit_verify(st, &n, &bad, &e) != MU_OK) {
		store_close(st);
		if (bad >= 0)
			fprintf(stderr, "muster: audit log BROKEN: first bad index %lld "
				"(entries before it verify)\n", (long long)bad);
		else
			cli_fail(&e);
		return EXIT_USER;
	}
	store_close(st);
	printf("audit log intact: %lld entries verified\n", (long long)n);
	return 0;
}
