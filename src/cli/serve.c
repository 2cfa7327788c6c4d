/*
 * serve.c: `muster serve` opens the register and serves the API.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "http/api.h"
#include "http/server.h"
#include "notify/portal.h"

/* A whole number in [lo, hi], or -1. */
static long bounded(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= lo && v <= hi ? v : -1;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"test-clock", no_argument, NULL, 'c'},
		{"no-access-log", no_argument, NULL, 'q'},
		{"audit-queue", required_argument, NULL, 'a'},
		{"audit-flush-ms", required_argument, NULL, 'f'},
		{"check-index-poll-ms", required_argument, NULL, 'C'},
		{"public-url", required_argument, NULL, 'u'},
		{"notify-url", required_argument, NULL, 'n'},
		{"notify-backoff-ms", required_argument, NULL, 'b'},
		{"notify-attempts", required_argument, NULL, 'A'},
		{"web", required_argument, NULL, 'w'},
		{"portal-url", required_argument, NULL, 'P'},
		{"portal-secret", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct server_opts so = {.listen = "127.0.0.1:8080", .access_log = 1,
				 .drain_seconds = 30};
	struct store_options sto = {.check_index = 1};
	const char *db = NULL;
	struct mu_error e = {0};
	struct app *a;
	const char *public_url = getenv("MUSTER_PUBLIC_URL");
	const char *portal_url = getenv("MUSTER_PORTAL_URL");
	const char *portal_secret = getenv("MUSTER_PORTAL_SECRET");
	struct portal_pusher *pusher = NULL;
	int c, test_clock = 0;
	enum mu_err rc;
	uint64_t lost;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l': so.listen = optarg; break;
		case 't': so.threads = (unsigned)bounded(optarg, 1, 256); break;
		case 'c': test_clock = 1; break;
		case 'q': so.access_log = 0; break;
		case 'a': sto.audit_queue_max = (size_t)bounded(optarg, 1, 1000000); break;
		case 'f': sto.audit_flush_ms = (int)bounded(optarg, 1, 600000); break;
		case 'C': sto.check_poll_ms = (int)bounded(optarg, 1, 600000); break;
		case 'u': public_url = optarg; break;
		case 'n': so.notify_url = optarg; break;
		case 'b': so.notify_backoff_ms = (int)bounded(optarg, 1, 3600000); break;
		case 'A': so.notify_attempts = (int)bounded(optarg, 1, 100); break;
		case 'w': api_web_dir(optarg); break;
		case 'P': portal_url = optarg; break;
		case 'S': portal_secret = optarg; break;
		default: return cli_usage("serve", "bad option '%.60s'", cli_bad_option());
		}
	}
	if (!so.notify_url)
		so.notify_url = getenv("MUSTER_NOTIFY_URL");
	if ((int)so.threads < 0 || (long)sto.audit_queue_max < 0 || sto.audit_flush_ms < 0 ||
	    sto.check_poll_ms < 0 ||
	    so.notify_backoff_ms < 0 || so.notify_attempts < 0)
		return cli_usage("serve", "--threads (1..256), --audit-queue (1..1000000), "
				 "--audit-flush-ms and --check-index-poll-ms (1..600000) and the "
				 "--notify-* numbers must "
				 "be positive whole numbers");
	if (portal_url && portal_url[0] && !(portal_secret && portal_secret[0]))
		return cli_usage("serve", "--portal-url needs --portal-secret "
				 "(or MUSTER_PORTAL_SECRET)");
	db = cli_db(db);
	if (!db)
		return cli_usage("serve", "--db PATH is required");
	if (optind < argc)
		return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	if (app_open(db, &sto, &a, &e))
		return cli_fail(&e);
	a->test_clock = test_clock;
	if (public_url && public_url[0])
		snprintf(a->public_url, sizeof(a->public_url), "%s", public_url);
	else
		snprintf(a->public_url, sizeof(a->public_url), "http://%s", so.listen);
	portal_set_secret(portal_secret);
	if (portal_url && portal_url[0] &&
	    !(pusher = portal_start(a, portal_url, so.notify_backoff_ms, so.notify_attempts))) {
		rc = mu_fail(&e, MU_EINTERNAL, NULL, "cannot start the portal pusher");
		app_close(a);
		return cli_fail(&e);
	}
	rc = server_run(a, &so, &e);
	portal_stop(pusher);
	lost = app_close(a);
	if (!rc && lost)
		rc = mu_fail(&e, MU_EIO, NULL, "%llu audit records of reads already answered "
			     "could not be written (see the log above)", (unsigned long long)lost);
	return rc ? cli_fail(&e) : 0;
}
