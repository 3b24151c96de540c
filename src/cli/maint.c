/* maint.c: `planshift backup` and `planshift check` (cli layer): the
 * operator's tools after (or against) an incident, run beside serving
 * daemons. The work is the store layer's (store/ps_maint.h). */
#include "cli.h"

#include "../store/ps_maint.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char backup_usage[] =
	"usage: planshift backup --db URL FILE\n"
	"\n"
	"Copy a SQLite store to FILE (a new file) with SQLite's online backup: a\n"
	"consistent copy, taken while daemons serve and write. A PostgreSQL store is\n"
	"backed up with pg_dump (pg_dump --format=custom --file=FILE URL), which this\n"
	"command refuses to stand in for.\n";

static const char check_usage[] =
	"usage: planshift check --db URL\n"
	"\n"
	"Check the store's invariants (for operators, after an incident): each\n"
	"subscription's assigned count is its seats, no user holds two seats of one\n"
	"product, every seat's product is its subscription's, every reference of a\n"
	"seat, an operation, a subscription, an invoice or a user exists, one\n"
	"unfinished upgrade per tenant; on SQLite also integrity_check and every\n"
	"foreign key. Prints each violation on stdout; exit 0 when none, 1 otherwise.\n";

/* --db URL and the positional arguments: argv[optind..] on return. */
static int parse_db(int argc, char **argv, const char *usage, const char **db)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int o;
	optind = 1;
	*db = NULL;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': *db = optarg; break;
		case 'h': fputs(usage, stdout); return PS_EXIT_OK;
		default: fputs(usage, stderr); return PS_EXIT_USAGE;
		}
	}
	return -1;
}

int ps_cmd_backup(int argc, char **argv)
{
	const char *db;
	int ret = parse_db(argc, argv, backup_usage, &db);
	if (ret >= 0)
		return ret;
	if (!db || optind != argc - 1) {
		fputs(backup_usage, stderr);
		return PS_EXIT_USAGE;
	}
	const char *file = argv[optind];
	struct ps_err err = {0};
	if (ps_store_backup(db, file, &err) != PS_OK)
		return ps_cli_fail("backup", &err);
	fprintf(stderr, "planshift backup: %s copied to %s\n", db, file);
	return PS_EXIT_OK;
}

static void print_violation(void *arg, const char *what)
{
	(void)arg;
	printf("violation: %s\n", what);
}

int ps_cmd_check(int argc, char **argv)
{
	const char *db;
	int ret = parse_db(argc, argv, check_usage, &db);
	if (ret >= 0)
		return ret;
	if (!db || optind != argc) {
		fputs(check_usage, stderr);
		return PS_EXIT_USAGE;
	}
	struct ps_err err = {0};
	struct ps_store *st = NULL;
	if (ps_cli_store(db, false, &st, &err) != PS_OK)
		return ps_cli_fail("check", &err);
	ps_store_close(st);
	size_t n = 0;
	if (ps_store_check(db, print_violation, NULL, &n, &err) != PS_OK)
		return ps_cli_fail("check", &err);
	fflush(stdout);
	if (n) {
		fprintf(stderr, "planshift check: %zu violation%s in %s\n", n, n == 1 ? "" : "s", db);
		return PS_EXIT_REFUSED;
	}
	fprintf(stderr, "planshift check: %s holds every invariant\n", db);
	return PS_EXIT_OK;
}
