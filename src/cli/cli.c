/*
 * cli.c: the command table, help texts and shared helpers.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/auth.h"
#include "ingest/ingest.h"

const struct cli_cmd cli_commands[] = {
	{"init", cmd_init, "create an empty register; prints an admin token once",
	 "usage: muster init --db PATH [--profile ru-2023|ru-2025|generic]\n"
	 "\n"
	 "Creates a new register file with the given legal profile (default\n"
	 "ru-2023). Prints the profile and, alone on the last line, an admin token.\n"
	 "The token is shown only this once; the register keeps only its hash.\n"},
	{"serve", cmd_serve, "serve the HTTP API",
	 "usage: muster serve --db PATH [--listen HOST:PORT] [--threads N]\n"
	 "                    [--test-clock] [--no-access-log] [--audit-queue N]\n"
	 "                    [--audit-flush-ms MS] [--web DIR] [--public-url URL]\n"
	 "                    [--notify-url URL] [--notify-backoff-ms MS]\n"
	 "                    [--notify-attempts N] [--portal-url URL]\n"
	 "                    [--portal-secret SECRET] [--check-index-poll-ms MS]\n"
	 "\n"
	 "Serves the API (default 127.0.0.1:8080; port 0 picks a free port and\n"
	 "prints it). Logs one line per request on stderr. SIGTERM or SIGINT stops\n"
	 "accepting, lets requests in flight finish, flushes the audit queue and\n"
	 "exits 0. --test-clock makes the Muster-Test-Now header set the current\n"
	 "instant: for tests and demonstrations only.\n"
	 "\n"
	 "Reads of personal data are audited by group commit: their records wait\n"
	 "in a queue of --audit-queue entries (default 32768) that the writer\n"
	 "commits every --audit-flush-ms (default 5). When the queue is full, reads\n"
	 "answer 503 rather than go unaudited (while a campaign approval runs, and\n"
	 "until it is committed, the queue may hold 8 times as many). A kill -9 can lose\n"
	 "the records of the last flush interval, or those answered during a\n"
	 "campaign approval that had not committed; SIGTERM loses none.\n"
	 "\n"
	 "Agency checks are answered from memory: the server keeps every\n"
	 "restriction in force there, exact for every change made through muster\n"
	 "(this server or another muster process on the register). A change made\n"
	 "with another program (the sqlite3 shell) is noticed within\n"
	 "--check-index-poll-ms (default 20); until then such a check may answer as\n"
	 "before the change. docs/checks.md explains.\n"
	 "\n"
	 "Also serves the web pages, embedded in the binary: the citizen portal\n"
	 "at /portal, the clerk console at /console and the public summons check\n"
	 "at /verify. --web DIR serves them from DIR (the source tree's web/)\n"
	 "instead, for editing without a rebuild.\n"
	 "\n"
	 "--public-url URL is the server's address as the public reaches it\n"
	 "(default $MUSTER_PUBLIC_URL, else http://HOST:PORT of --listen): a\n"
	 "printed summons carries a QR code of URL/verify?code=CODE (the public\n"
	 "verification page).\n"
	 "\n"
	 "--notify-url URL (default $MUSTER_NOTIFY_URL) turns on the notice sender:\n"
	 "notices to persons are POSTed as JSON to that gateway, at least once,\n"
	 "with an Idempotency-Key header. A failed send is retried after\n"
	 "--notify-backoff-ms (default 2000), doubling up to an hour, and marked\n"
	 "failed after --notify-attempts (default 8). Without a URL no notice is\n"
	 "sent.\n"
	 "\n"
	 "--portal-url URL (default $MUSTER_PORTAL_URL) pushes summonses of persons\n"
	 "with an external portal account to that portal, signed with HMAC-SHA256\n"
	 "and --portal-secret SECRET (default $MUSTER_PORTAL_SECRET), retried like\n"
	 "notices. The secret also checks the portal's callbacks at\n"
	 "POST /v1/channels/portal/callback (docs/channels.md).\n"},
	{"import", cmd_import, "import offices, persons or removals from CSV or NDJSON",
	 "usage: muster import offices  --db PATH FILE [options]\n"
	 "       muster import persons  --db PATH FILE [options]\n"
	 "       muster import removals --db PATH FILE [options]\n"
	 "\n"
	 "FILE is CSV (header row, RFC 4180, UTF-8) or NDJSON (one object a line),\n"
	 "told by its extension (.csv, .ndjson, .jsonl) or --format; '-' reads stdin.\n"
	 "Columns: offices id, name, region, timezone[, daily_capacity]; persons\n"
	 "national_id, family_name, given_name, patronymic, birth_date, sex,\n"
	 "region, office, address, phone, email, fitness (optional columns may be\n"
	 "left out: a known person then keeps the stored value); removals\n"
	 "national_id, reason (deceased|over_age|deregistered), date.\n"
	 "\n"
	 "Every row is checked first, with the same rules as the API. All or\n"
	 "nothing: one bad row and nothing is written; stderr lists the bad rows as\n"
	 "'line N: field: reason', then exit status 1. A known id is updated (its\n"
	 "earlier version stays in the history); an identical row changes nothing.\n"
	 "Removing a person cancels their open summonses.\n"
	 "\n"
	 "  --format csv|ndjson  the file's format (needed for stdin)\n"
	 "  --source NAME        who supplied the file (kept per field)\n"
	 "  --partial            write the good rows; bad ones go to a reject file\n"
	 "  --reject FILE        the reject file (default: FILE's name with\n"
	 "                       .rejects.csv|.rejects.ndjson for its extension)\n"
	 "  --last-wins          an id given twice: keep the last row (else an error)\n"
	 "  --resume             go on with an interrupted import of the same file\n"
	 "  --max-errors N       list at most N bad rows (default 100), then a count\n"
	 "  --commit-rows N      persons: commit after about N rows (default 250000,\n"
	 "                       or 3 s of writing; fewer hold the write lock less)\n"
	 "\n"
	 "Writes commit in batches: after a crash the register holds whole batches\n"
	 "and --resume goes on from the last one. A terminal gets a progress bar;\n"
	 "otherwise one summary line is printed at the end. See docs/import.md.\n"},
	{"duplicates", cmd_duplicates, "possible duplicate persons found by imports",
	 "usage: muster duplicates --db PATH [--json] [--after ID] [--limit N]\n"
	 "       muster duplicates resolve --db PATH ID --as distinct|same_person\n"
	 "                         --note TEXT\n"
	 "\n"
	 "Lists open duplicate candidates: different national ids with the same\n"
	 "normalised full name and birth date (case, 'ё'/'е', spaces and hyphens\n"
	 "do not count), noting when the addresses match too. Imports flag them;\n"
	 "nothing is merged. Pages of N (default 100); --after the last id shown.\n"
	 "Each person listed is an audited read. Also GET /v1/duplicates.\n"
	 "\n"
	 "resolve decides candidate ID: distinct (two people) or same_person (one\n"
	 "person holding two ids; nothing is merged), with a note saying why.\n"
	 "Decided once; both persons see it in their access log. Also\n"
	 "POST /v1/duplicates/{id}/resolve.\n"},
	{"provenance", cmd_provenance, "where each field of a person came from",
	 "usage: muster provenance --db PATH NATIONAL_ID [--json]\n"
	 "\n"
	 "For each column, the source (--source of the import, or api:TOKEN) that\n"
	 "supplied its current value, when, and in which version of the record.\n"},
	{"demo", cmd_demo, "build a synthetic register, print tokens, serve",
	 "usage: muster demo --db PATH [--persons N] [--listen HOST:PORT]\n"
	 "                   [--profile ru-2023|ru-2025|generic] [--test-clock]\n"
	 "                   [--no-serve]\n"
	 "\n"
	 "Creates a new register (PATH must not exist) with offices from\n"
	 "Kaliningrad to Kamchatka, N synthetic persons (10..50000000, default\n"
	 "100000), a few showcase summonses and a token for each role, prints the\n"
	 "tokens once, then serves (default 127.0.0.1:8080) until SIGTERM.\n"
	 "--profile picks the legal profile (default ru-2023). --test-clock turns\n"
	 "on the Muster-Test-Now header as for serve; it is off by default.\n"
	 "--no-serve builds and prints, then exits.\n"},
	{"token", cmd_token, "create, list or revoke access tokens",
	 "usage: muster token create --db PATH --role ROLE [--office ID]\n"
	 "                           [--agency KIND] [--person NATIONAL_ID] [--label TEXT]\n"
	 "       muster token list --db PATH\n"
	 "       muster token revoke --db PATH TOKEN_ID\n"
	 "\n"
	 "Roles: admin, clerk (--office scopes it to one office), commissar,\n"
	 "medical_board, agency (--agency: exit, credit, real_estate,\n"
	 "business_registration, vehicle_registration, driving, foreign_passport),\n"
	 "citizen (--person), auditor, channel (delivery channels).\n"
	 "create prints the token alone on the last line, once.\n"},
	{"status", cmd_status, "a person's summonses and restrictions",
	 "usage: muster status --db PATH NATIONAL_ID [--at RFC3339] [--json]\n"
	 "\n"
	 "Computes the person's legal position from the facts, as of now or of\n"
	 "--at (a future instant is a projection assuming no new events).\n"},
	{"campaign", cmd_campaign, "draft, approve, cancel and report call-up campaigns",
	 "usage: muster campaign create --db PATH --token TOKEN [--body FILE]\n"
	 "                       [--name TEXT] [--legal-basis TEXT] [--purpose P]\n"
	 "                       [--report-from RFC3339] [--report-to RFC3339]\n"
	 "                       [--quota N] [--born-from DATE] [--born-to DATE]\n"
	 "                       [--region R]... [--office ID]... [--fitness C]...\n"
	 "                       [--sex M|F] [--json]\n"
	 "       muster campaign list      --db PATH --token TOKEN [--json]\n"
	 "       muster campaign show      --db PATH --token TOKEN ID [--at RFC3339] [--json]\n"
	 "       muster campaign recompute --db PATH --token TOKEN ID [--json]\n"
	 "       muster campaign approve   --db PATH --token TOKEN ID [--json]\n"
	 "       muster campaign cancel    --db PATH --token TOKEN ID --reason TEXT [--json]\n"
	 "\n"
	 "The API's campaigns (POST /v1/campaigns and /v1/campaigns/{id}...) on the\n"
	 "command line, with the same checks and the same roles. --token names the\n"
	 "acting officer: a token of the register (or $MUSTER_TOKEN, which keeps it\n"
	 "out of the process list). create needs an admin token; list, show: admin\n"
	 "or commissar; approve and cancel: a commissar who did not create it.\n"
	 "\n"
	 "create drafts a campaign and shows its selection; nothing else changes.\n"
	 "Its fields are the API's body: --body FILE (JSON, '-' for stdin), with the\n"
	 "options laid over it (--region, --office, --fitness repeat or take a\n"
	 "comma-separated list). show is the report: state, selection, and once\n"
	 "issued the summonses by state, office and delivery channel as of --at\n"
	 "(default now), and those reported against the quota. recompute redoes a\n"
	 "draft's selection. approve issues every summons in one transaction, all\n"
	 "or none; a terminal gets a progress bar, otherwise one summary line.\n"
	 "cancel cancels the campaign and its open summonses: their restrictions\n"
	 "lift. --json prints the API's answer. Bad input: exit 1 naming the field,\n"
	 "nothing changed. See docs/campaigns.md.\n"},
	{"audit", cmd_audit, "verify the audit log or a receipt",
	 "usage: muster audit verify --db PATH [--key PUBLIC_KEY]\n"
	 "       muster audit verify-proof --key PUBLIC_KEY RECEIPT.json\n"
	 "       muster audit key --db PATH\n"
	 "\n"
	 "verify recomputes the audit log's Merkle tree (RFC 9162) from every\n"
	 "entry, compares it with the stored hashes and checks every signed tree\n"
	 "head against the public key (default: the register's own). It opens the\n"
	 "file read-only. Exit 0 if intact; 1 if not, naming the first bad index.\n"
	 "verify-proof checks a receipt (GET /v1/me/summonses/ID/receipt) offline,\n"
	 "with no database: the entry is in the tree whose head the key signed.\n"
	 "key prints the log's public key (also printed by init and served at\n"
	 "GET /v1/audit/key). See docs/audit.md.\n"},
	{"help", cmd_help, "this text, or help on one command",
	 "usage: muster help [COMMAND]\n"},
	{NULL, NULL, NULL, NULL},
};

int cmd_help(int argc, char **argv)
{
	if (argc >= 2) {
		for (const struct cli_cmd *c = cli_commands; c->name; c++) {
			if (!strcmp(c->name, argv[1])) {
				printf("muster %s: %s\n\n%s", c->name, c->summary, c->help);
				return 0;
			}
		}
		fprintf(stderr, "muster: no command '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	printf("muster %s: the register of persons liable for military service\n\n"
	       "usage: muster COMMAND [OPTIONS]\n\ncommands:\n", MUSTER_VERSION);
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\n--db PATH may also come from MUSTER_DB.\n"
	       "muster help COMMAND shows one command; muster --version the version.\n");
	return 0;
}

int cli_fail(const struct mu_error *e)
{
	if (e->field[0])
		fprintf(stderr, "muster: %s: %s\n", e->field, e->detail);
	else
		fprintf(stderr, "muster: %s\n", e->detail[0] ? e->detail : mu_err_name(e->code));
	return EXIT_USER;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "muster: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see: muster help %s)\n", cmd);
	return EXIT_USAGE;
}

static const char *bad_option = "?";

int cli_getopt(int argc, char **argv, const struct option *opts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, "", opts, NULL);
	if (c == '?' || c == ':')
		bad_option = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : "?";
	return c;
}

const char *cli_bad_option(void)
{
	return bad_option;
}

const char *cli_db(const char *opt)
{
	const char *env = getenv("MUSTER_DB");

	if (opt && opt[0])
		return opt;
	return env && env[0] ? env : NULL;
}

/* Copy option --name's value v into dst: UTF-8 and short enough, as the
 * API takes it, never cut. */
static enum mu_err token_field(char *dst, size_t size, const char *name, const char *v,
			       struct mu_error *err)
{
	size_t n = v ? strlen(v) : 0;

	if (n >= size)
		return mu_fail(err, MU_EINVAL, name, "--%s is at most %zu bytes (got %zu)",
			       name, size - 1, n);
	if (n && !ingest_utf8_valid(v, n))
		return mu_fail(err, MU_EINVAL, name, "--%s must be UTF-8 text", name);
	memcpy(dst, v ? v : "", n + 1);
	return MU_OK;
}

enum mu_err cli_make_token(struct store *st, enum role role, const char *office,
			   const char *agency, const char *person, const char *label,
			   char *secret, size_t size, struct mu_error *err)
{
	struct token t = {0};
	struct audit_ctx c = {.role = "cli", .purpose = "create token", .at = mu_now()};

	t.role = role;
	if (token_field(t.office, sizeof(t.office), "office", office, err) ||
	    token_field(t.agency, sizeof(t.agency), "agency", agency, err) ||
	    token_field(t.person, sizeof(t.person), "person", person, err) ||
	    token_field(t.label, sizeof(t.label), "label", label, err))
		return MU_EINVAL;
	return auth_token_create(st, &t, c.at, &c, secret, size, err);
}
