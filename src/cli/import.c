/*
 * import.c: `muster import` (placeholder until ingest/ lands: see issue 4).
 */
#include <stdio.h>

#include "cli/cli.h"

int cmd_import(int argc, char **argv)
{
	fprintf(stderr, "muster: import is not built yet\n");
	return EXIT_USER;
}
