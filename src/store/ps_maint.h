/* ps_maint.h: the operator's maintenance of a store (store layer): an online
 * backup, and the check of the store's invariants after an incident. Both
 * take the store's URL (as ps_store_open) and open their own connection;
 * they run beside serving daemons. */
#ifndef PS_MAINT_H
#define PS_MAINT_H

#include "../common/ps_err.h"

#include <stdbool.h>
#include <stddef.h>

/* Copy a SQLite store to a new file `file` with SQLite's online backup API
 * (consistent, while daemons write; written to a temporary name, then
 * renamed). PS_INVALID_FIELD when file exists or the store is PostgreSQL's
 * (the message says to use pg_dump); PS_STORE / PS_IO on failure. */
ps_code ps_store_backup(const char *url, const char *file, struct ps_err *err);

/* Check the store's invariants in one read transaction, calling violation
 * once per broken one with a sentence naming the rows; *n is how many.
 * PS_OK even with violations (they are the answer); an error only when the
 * checks could not run. */
ps_code ps_store_check(const char *url, void (*violation)(void *arg, const char *what), void *arg, size_t *n,
		       struct ps_err *err);

#endif
