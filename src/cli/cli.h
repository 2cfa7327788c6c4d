/*
 * cli.h: the command table and what commands share.
 *
 * Exit status: 0 success, 1 a user error (one line on stderr naming what is
 * wrong), 2 a usage error. Commands print results on stdout; secrets (tokens)
 * alone on the last line.
 */
#ifndef MU_CLI_H
#define MU_CLI_H

#include "app/app.h"
#include "util/err.h"

#define EXIT_USER 1
#define EXIT_USAGE 2

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *help; /* full text for `muster help NAME` */
};

extern const struct cli_cmd cli_commands[];

/* Print "muster: <detail>" and return EXIT_USER. */
int cli_fail(const struct mu_error *e);
/* Print "muster: <fmt>" + usage hint, return EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) MU_PRINTF(2, 3);
/* getopt_long(argc, argv, "", opts, NULL) without getopt's own message;
 * after it returns '?', cli_bad_option() is the argument it choked on (an
 * unknown option, or one missing its value). */
struct option;
int cli_getopt(int argc, char **argv, const struct option *opts);
const char *cli_bad_option(void);
/* The --db value or $MUSTER_DB, NULL if neither. */
const char *cli_db(const char *opt);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_duplicates(int argc, char **argv);
int cmd_provenance(int argc, char **argv);
int cmd_campaign(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* Shared with demo: create a token and print its line. */
enum mu_err cli_make_token(struct store *st, enum role role, const char *office,
			   const char *agency, const char *person, const char *label,
			   char *secret, size_t size, struct mu_error *err) MU_MUSTCHECK;

#endif
