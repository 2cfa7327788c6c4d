/*
 * init.c: `muster init` creates a register with its legal profile and the
 * first admin token.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/leaf.h"
#include "cli/cli.h"
#include "domain/rules.h"

/* The audit log's public key (made by store_open): whoever checks
 * receipts and signed heads needs it, so it is printed at birth. */
static void print_log_key(struct store *st)
{
	unsigned char pk[32];
	char hex[65];

	if (store_audit_key(st, pk) == MU_OK)
		printf("audit log public key (Ed25519): %s\n", audit_hex(pk, 32, hex));
}

static enum mu_err init_register(const char *db, const char *profile_id,
				 char *secret, size_t size, struct mu_error *err)
{
	const char *text = rules_builtin_profile(profile_id);
	struct store_options opt = {.create = 1};
	struct profile *p = NULL;
	struct store *st = NULL;
	enum mu_err rc;

	if (!text)
		return mu_fail(err, MU_EINVAL, "profile",
			       "unknown profile '%.40s' (ru-2023, ru-2025 or generic)",
			       profile_id);
	if ((rc = profile_parse(text, &p, err)))
		return rc;
	rc = store_open(db, &opt, &st, err);
	if (rc == MU_OK)
		rc = store_meta_set(st, "profile", text);
	if (rc == MU_OK)
		rc = store_meta_set(st, "profile_id", profile_id);
	if (rc == MU_OK)
		rc = cli_make_token(st, ROLE_ADMIN, NULL, NULL, NULL, "initial admin",
				    secret, size, err);
	if (rc == MU_OK)
		print_log_key(st);
	if (rc == MU_OK)
		printf("register: %s\nprofile: %s (%s)\nschema: %d\nadmin token (shown once):\n",
		       db, profile_id, profile_version(p), store_schema_version(st));
	else if (!err->detail[0])
		mu_fail(err, rc, "db", "cannot initialise %.200s", db);
	store_close(st);
	profile_free(p);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"profile", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *profile = "ru-2023";
	char secret[64];
	struct mu_error e = {0};
	struct stat sb;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'p')
			profile = optarg;
		else
			return cli_usage("init", "bad option '%.60s'", cli_bad_option());
	}
	db = cli_db(db);
	if (!db)
		return cli_usage("init", "--db PATH is required");
	if (optind < argc)
		return cli_usage("init", "unexpected argument '%s'", argv[optind]);
	if (stat(db, &sb) == 0) {
		mu_fail(&e, MU_ECONFLICT, "db", "%.200s already exists; refusing to "
			"overwrite a register", db);
		return cli_fail(&e);
	}
	if (init_register(db, profile, secret, sizeof(secret), &e))
		return cli_fail(&e);
	printf("%s\n", secret);
	return 0;
}
