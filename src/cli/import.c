/*
 * import.c: `muster import offices|persons|removals`: parse the command
 * line, run the importer (ingest/importer.c), print the summary.
 *
 * stdout gets the one-line summary; stderr the bad rows, notes, and on a
 * terminal a progress bar. Exit status: 0 imported, 1 bad data or another
 * user error (nothing written unless --partial), 2 usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ingest/importer.h"
#include "ingest/ingest.h"
#include "util/timefmt.h"

struct import_args {
	const char *db;
	struct importer_opts o;
};

static int parse_kind(const char *s)
{
	if (!strcmp(s, "offices"))
		return IMPORT_OFFICES;
	if (!strcmp(s, "persons"))
		return IMPORT_PERSONS;
	if (!strcmp(s, "removals"))
		return IMPORT_REMOVALS;
	return -1;
}

static int parse_count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s[0] || s[0] == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Options may come before or after FILE; 0 ok, else the usage status. */
static int parse(int argc, char **argv, struct import_args *ia)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"source", required_argument, NULL, 's'},
		{"partial", no_argument, NULL, 'p'},
		{"reject", required_argument, NULL, 'r'},
		{"last-wins", no_argument, NULL, 'l'},
		{"resume", no_argument, NULL, 'R'},
		{"max-errors", required_argument, NULL, 'm'},
		{"commit-rows", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	struct importer_opts *o = &ia->o;
	int c, kind;

	if (argc < 2 || (kind = parse_kind(argv[1])) < 0)
		return cli_usage("import", "say what to import: offices, persons or removals");
	o->kind = (enum import_kind)kind;
	o->format = -1;
	o->max_errors = IMPORTER_MAX_ERRORS_DEFAULT;
	optind = 2;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'd': ia->db = optarg; break;
		case 'f':
			if ((o->format = ingest_format_parse(optarg)) < 0)
				return cli_usage("import", "--format must be csv or ndjson");
			break;
		case 's': o->source = optarg; break;
		case 'p': o->partial = 1; break;
		case 'r': o->reject_path = optarg; break;
		case 'l': o->last_wins = 1; break;
		case 'R': o->resume = 1; break;
		case 'm':
			if (parse_count(optarg, &o->max_errors))
				return cli_usage("import", "--max-errors must be a number");
			break;
		case 'c':
			if (parse_count(optarg, &o->tx_rows) || o->tx_rows < 1 ||
			    o->tx_rows > 100000000)
				return cli_usage("import", "--commit-rows must be a number "
						 "1..100000000");
			break;
		default: return cli_usage("import", "bad option '%.60s'", cli_bad_option());
		}
	}
	ia->db = cli_db(ia->db);
	if (!ia->db)
		return cli_usage("import", "--db PATH is required");
	if (optind != argc - 1)
		return cli_usage("import", "give one FILE ('-' reads stdin)");
	o->path = argv[optind];
	if (!strcmp(o->path, "-") && o->format < 0)
		return cli_usage("import", "stdin needs --format csv or ndjson");
	if (o->source && (strlen(o->source) > 60 || !text_valid(o->source)))
		return cli_usage("import", "--source must be a short name");
	if (o->reject_path && !o->partial)
		return cli_usage("import", "--reject goes with --partial");
	if (!strcmp(o->path, "-") && o->partial && !o->reject_path)
		return cli_usage("import", "reading stdin, --partial needs --reject FILE");
	return 0;
}

int cmd_import(int argc, char **argv)
{
	struct import_args ia;
	struct importer_result res;
	struct mu_error e = {0};
	struct app *a = NULL;
	char line[512];
	enum mu_err rc;
	int st;

	memset(&ia, 0, sizeof(ia));
	if ((st = parse(argc, argv, &ia)))
		return st;
	ia.o.out = stdout;
	ia.o.errs = stderr;
	ia.o.progress = isatty(STDERR_FILENO);
	ia.o.now = mu_now();
	if (app_open(ia.db, NULL, &a, &e))
		return cli_fail(&e);
	rc = importer_run(a, &ia.o, &res, &e);
	app_close(a);
	if (rc == MU_OK || (rc == MU_EINVAL && res.c.read)) {
		importer_summary(&ia.o, &res, line, sizeof(line));
		printf("%s\n", line);
	}
	if (rc == MU_OK && res.reject_path[0])
		fprintf(stderr, "muster: %llu rejected rows are in %s (fix them and import "
			"that file)\n", (unsigned long long)res.c.rejected, res.reject_path);
	if (rc)
		return cli_fail(&e);
	return 0;
}
