/* main.c: the planshift command (cli layer): one binary, one subcommand per
 * job. Exit status: 0 done, 1 refused (bad input, blocked, store failure),
 * 2 usage error. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: planshift COMMAND [OPTIONS]\n"
	"\n"
	"The subscription engine behind an admin center: catalog, tenants, licenses,\n"
	"and the Upgrade tab (can this subscription move to a better plan, and if not,\n"
	"why not and what can the admin do).\n"
	"\n"
	"commands:\n"
	"  init              create or migrate a store, load a catalog, or a demo\n"
	"  token create      print a new API token (shown once, stored hashed)\n"
	"  token list        the tokens, never their secret\n"
	"  token revoke      revoke a token: 401 from its next request on\n"
	"  serve             run the HTTP API and admin center\n"
	"  catalog validate  check a catalog file and list every fault\n"
	"  sweep             the Upgrade tab of every subscription, with a summary\n"
	"  routes            list the HTTP API's routes and who may call them\n"
	"  backup            copy a SQLite store while daemons serve it\n"
	"  check             check a store's invariants and name each violation\n"
	"  events tail       print the store's events as they commit, one JSON line each\n"
	"  events types      list the event types\n"
	"  --version         print the version (planshift X.Y.Z)\n"
	"\n"
	"Every command takes --help. --db takes a SQLite file (PATH or sqlite:PATH).\n"
	"Exit status: 0 done, 1 refused, 2 usage error.\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return PS_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return PS_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("planshift %s\n", PS_VERSION);
		return PS_EXIT_OK;
	}
	if (strcmp(cmd, "init") == 0)
		return ps_cmd_init(argc - 1, argv + 1);
	if (strcmp(cmd, "token") == 0)
		return ps_cmd_token(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return ps_cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "catalog") == 0)
		return ps_cmd_catalog(argc - 1, argv + 1);
	if (strcmp(cmd, "sweep") == 0)
		return ps_cmd_sweep(argc - 1, argv + 1);
	if (strcmp(cmd, "backup") == 0)
		return ps_cmd_backup(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return ps_cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "events") == 0)
		return ps_cmd_events(argc - 1, argv + 1);
	if (strcmp(cmd, "routes") == 0)
		return ps_cmd_routes(argc - 1, argv + 1);
	fprintf(stderr, "planshift: unknown command '%s'\n\n%s", cmd, usage);
	return PS_EXIT_USAGE;
}
