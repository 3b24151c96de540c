/* sqlite_int.h: what the SQLite backend's files share, private to them
 * (store layer): the handle, and running its statements (sqlite.c) for
 * the snapshots, scans and seat moves of sqlite_snap.c. */
#ifndef PS_SQLITE_INT_H
#define PS_SQLITE_INT_H

#include "store_int.h"

#include <sqlite3.h>

struct ps_sq {
	struct ps_sql sql; /* first, so a struct ps_store * is a struct ps_sq * */
	sqlite3 *db;
	sqlite3_stmt *stmt[PS_S__COUNT];
	/* The capacity window's count is the same for every tenant: kept for
	 * the `now` and the database version it was counted at (see load). */
	bool cap_valid;
	int64_t cap_now, cap_used, cap_oldest;
	unsigned cap_version;
};

static inline struct ps_sq *ps_sq_of(struct ps_store *st)
{
	return (struct ps_sq *)(void *)st;
}

/* The statement id, prepared on first use (reset it after use). */
ps_code ps_sq_prep(struct ps_sq *q, enum ps_stmt id, sqlite3_stmt **out, struct ps_err *err);
/* A failed step of statement id as the caller's error. */
ps_code ps_sq_fail(struct ps_sq *q, enum ps_stmt id, int rc, struct ps_err *err);
/* Run a statement without parameters, its rows ignored. */
ps_code ps_sq_run(struct ps_sq *q, enum ps_stmt id, struct ps_err *err);
/* The current row of s, for the decoders of rows.c. */
struct ps_row ps_sq_row(sqlite3_stmt *s);
/* The executor of the methods written once (methods.c). */
extern const struct ps_sql_exec ps_sq_exec;

/* sqlite_snap.c: the methods of ps_store.h it implements. */
PS_STORE_METHOD(ps_sq_assignments_move, assignments_move);
PS_STORE_METHOD(ps_sq_snapshot_load, snapshot_load);
PS_STORE_METHOD(ps_sq_snapshot_scan, snapshot_scan);

#endif
