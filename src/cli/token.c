/*
 * token.c: `muster token create|list|revoke`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct token_args {
	const char *db, *role, *office, *agency, *person, *label;
};

static int parse(int argc, char **argv, struct token_args *t)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"role", required_argument, NULL, 'r'},
		{"office", required_argument, NULL, 'o'},
		{"agency", required_argument, NULL, 'a'},
		{"person", required_argument, NULL, 'p'},
		{"label", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'd': t->db = optarg; break;
		case 'r': t->role = optarg; break;
		case 'o': t->office = optarg; break;
		case 'a': t->agency = optarg; break;
		case 'p': t->person = optarg; break;
		case 'l': t->label = optarg; break;
		default: return -1;
		}
	}
	t->db = cli_db(t->db);
	return 0;
}

static int token_create(struct app *a, const struct token_args *t)
{
	char secret[64];
	struct mu_error e = {0};
	int role = t->role ? role_parse(t->role) : -1;

	if (role < 0) {
		mu_fail(&e, MU_EINVAL, "role", "--role must be one of admin, clerk, "
			"commissar, medical_board, agency, citizen, auditor, channel");
		return cli_fail(&e);
	}
	if (role == ROLE_AGENCY && !t->agency)
		return cli_usage("token", "--role agency needs --agency KIND");
	if (role == ROLE_CITIZEN && !t->person)
		return cli_usage("token", "--role citizen needs --person NATIONAL_ID");
	if (cli_make_token(a->st, role, t->office, t->agency, t->person, t->label,
			   secret, sizeof(secret), &e))
		return cli_fail(&e);
	printf("role: %s\n%s\n", t->role, secret);
	return 0;
}

static int token_list(struct app *a)
{
	struct token *v = NULL;
	size_t n = 0;
	char at[MU_RFC3339_MAX];

	if (store_token_list(a->st, &v, &n) != MU_OK) {
		free(v);
		fprintf(stderr, "muster: cannot list tokens\n");
		return EXIT_USER;
	}
	printf("%-17s %-13s %-10s %-22s %-12s %-20s %s\n", "ID", "ROLE", "OFFICE",
	       "AGENCY", "PERSON", "CREATED", "STATE");
	for (size_t i = 0; i < n; i++) {
		mu_time_format(v[i].created_at, at, sizeof(at));
		printf("%-17s %-13s %-10s %-22s %-12s %-20s %s\n", v[i].id,
		       role_name(v[i].role), v[i].office[0] ? v[i].office : "-",
		       v[i].agency[0] ? v[i].agency : "-",
		       v[i].person[0] ? v[i].person : "-", at,
		       v[i].revoked_at ? "revoked" : "active");
	}
	free(v);
	return 0;
}

static int token_revoke(struct app *a, const char *id)
{
	struct audit_ctx c = {.role = "cli", .purpose = "revoke token", .at = mu_now()};
	struct mu_error e = {0};
	enum mu_err rc = store_token_revoke(a->st, id, &c);

	if (rc) {
		mu_fail(&e, rc, "id", rc == MU_ENOTFOUND ? "no active token %.20s"
							 : "cannot revoke %.20s", id);
		return cli_fail(&e);
	}
	printf("revoked %s\n", id);
	return 0;
}

int cmd_token(int argc, char **argv)
{
	struct token_args t = {0};
	struct mu_error e = {0};
	struct app *a;
	const char *sub = argc >= 2 ? argv[1] : "";
	int rc;

	if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke"))
		return cli_usage("token", "say create, list or revoke");
	if (parse(argc - 1, argv + 1, &t))
		return cli_usage("token", "bad option '%.60s'", cli_bad_option());
	if (!t.db)
		return cli_usage("token", "--db PATH is required");
	if (!strcmp(sub, "create") && !t.role)
		return cli_usage("token", "create needs --role ROLE");
	if (strcmp(sub, "create") && (t.role || t.office || t.agency || t.person || t.label))
		return cli_usage("token", "--role, --office, --agency, --person and --label"
				 " are for create (%s takes none)", sub);
	if (!strcmp(sub, "revoke") && optind + 1 != argc - 1)
		return cli_usage("token", "revoke needs one TOKEN_ID");
	if (strcmp(sub, "revoke") && optind != argc - 1)
		return cli_usage("token", "unexpected argument '%s'", argv[optind + 1]);
	if (app_open(t.db, NULL, &a, &e))
		return cli_fail(&e);
	if (!strcmp(sub, "create"))
		rc = token_create(a, &t);
	else if (!strcmp(sub, "list"))
		rc = token_list(a);
	else
		rc = token_revoke(a, argv[optind + 1]);
	app_close(a);
	return rc;
}
