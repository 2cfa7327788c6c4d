/*
 * main.c: command dispatch only. The commands live in cli/, one a file.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(1, argv);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("muster %s\n", MUSTER_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	for (const struct cli_cmd *c = cli_commands; c->name; c++) {
		if (strcmp(c->name, argv[1]))
			continue;
		/* muster COMMAND ... --help is muster help COMMAND (before "--") */
		for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
				return cmd_help(2, argv);
		return c->run(argc - 1, argv + 1);
	}
	fprintf(stderr, "muster: unknown command '%s' (try: muster help)\n", argv[1]);
	return EXIT_USAGE;
}
