/* cli.h: the subcommands (cli layer) and what they share. */
#ifndef PS_CLI_H
#define PS_CLI_H

#include "../common/ps_err.h"
#include "../store/ps_store.h"

/* PS_VERSION comes from meson's project version (meson.build). */
#ifndef PS_VERSION
#error "PS_VERSION is defined by meson.build"
#endif

enum { PS_EXIT_OK = 0, PS_EXIT_REFUSED = 1, PS_EXIT_USAGE = 2 };

int ps_cmd_init(int argc, char **argv);
int ps_cmd_token(int argc, char **argv);
int ps_cmd_serve(int argc, char **argv);
int ps_cmd_catalog(int argc, char **argv);
int ps_cmd_routes(int argc, char **argv);
int ps_cmd_sweep(int argc, char **argv);
int ps_cmd_backup(int argc, char **argv);
int ps_cmd_check(int argc, char **argv);
int ps_cmd_events(int argc, char **argv);

/* Print "planshift CMD: message" for err on stderr and return PS_EXIT_REFUSED. */
int ps_cli_fail(const char *cmd, const struct ps_err *err);
/* Open the store at url and check (or, when migrate, bring) its schema. */
ps_code ps_cli_store(const char *url, bool migrate, struct ps_store **out, struct ps_err *err);
/* Read a whole file (capped at 64 MiB) into a new buffer. */
ps_code ps_cli_read_file(const char *path, char **out, size_t *len, struct ps_err *err);

#endif
