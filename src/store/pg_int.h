/* pg_int.h: what the PostgreSQL backend's files share, private to them
 * (store layer): the handle, a statement to run with its binary
 * parameters and result, and the pipeline that runs statements (pg_pipe.c)
 * for the connection and transactions (pg.c) and the snapshots, scans and
 * locked writes (pg_snap.c). */
#ifndef PS_PG_INT_H
#define PS_PG_INT_H

#include "store_int.h"

#include <libpq-fe.h>

#define PS_PG_PAGE_ROWS	 1024 /* rows per round trip of a list walk, tenants per batch of a scan */
#define PS_PG_LOCK_TIMEOUT_MS	 5000 /* as SQLite's busy timeout */
/* How long a handle that lost its connection tries to connect again (to
 * whichever host of the URL is the primary now) before the call fails; for
 * as long after that, it tries once per call. */
#define PS_PG_RECONNECT_MS 3000
#define PS_PG_TENANT_LOCKS_MAX 8

/* Advisory lock keys: "PLSH" in the high half and a tenant id in the low,
 * or one of the store's own keys just below. */
#define PS_PG_LOCK_BASE     UINT64_C(0x504C534800000000)
#define PS_PG_LOCK_CAPACITY (PS_PG_LOCK_BASE - 1)
#define PS_PG_LOCK_MIGRATE  (PS_PG_LOCK_BASE - 2)

struct ps_pg {
	struct ps_sql sql; /* first, so a struct ps_store * is a struct ps_pg * */
	PGconn *conn;
	char *url;	 /* to connect again after a lost connection */
	char where[320]; /* "host H, port P, database D", for messages */
	bool prepared[PS_S__COUNT];
	/* The transaction begin() opened; BEGIN goes out with its first
	 * statement, so an empty one costs nothing. */
	bool in_tx, tx_sent, tx_broken;
	enum ps_tx tx_kind;
	char broken[512]; /* why the transaction can only be rolled back */
	/* Until then (CLOCK_MONOTONIC ms), after a reconnection that failed
	 * for PS_PG_RECONNECT_MS, a call tries once without waiting: a request
	 * pays the wait once, not at each of its calls. */
	int64_t impatient_until;
	int64_t locked[PS_PG_TENANT_LOCKS_MAX];
	size_t n_locked;
	/* What this write transaction's last snapshot counted of the
	 * capacity: cap_used automatic upgrades in the window ending cap_now. */
	bool cap_seen;
	int64_t cap_now, cap_used;
};

static inline struct ps_pg *ps_pg_of(struct ps_store *st)
{
	return (struct ps_pg *)(void *)st;
}

static inline bool ps_pg_in_write_tx(const struct ps_pg *p)
{
	return p->in_tx && p->tx_kind == PS_TX_WRITE;
}

/* One statement to run: its parameters, bound in place (the values point
 * into the struct, which must not move once bound), then its result. */
struct ps_pg_q {
	enum ps_stmt id;
	int n;
	int64_t tenant; /* the row's tenant, to name a missing one after a refused reference (0: none) */
	const char *val[PS_PARAMS_MAX];
	int len[PS_PARAMS_MAX];
	int fmt[PS_PARAMS_MAX];
	Oid oid[PS_PARAMS_MAX]; /* the types it is prepared with */
	unsigned char bin[PS_PARAMS_MAX][8];
	PGresult *res;
};

void ps_pg_q_init(struct ps_pg_q *q, enum ps_stmt id);
void ps_pg_q_clear(struct ps_pg_q *q); /* frees the result */
void ps_pg_p_i64(struct ps_pg_q *q, int64_t v);
void ps_pg_p_str(struct ps_pg_q *q, const char *s);
void ps_pg_p_limit(struct ps_pg_q *q, size_t limit); /* 0: no limit */

/* An integer column of any width; NULL reads as 0. */
int64_t ps_pg_col_i64(const PGresult *r, int row, int col);
/* Row i of a result, for the decoders of rows.c. */
struct ps_row ps_pg_row_at(const PGresult *res, int i);

/* How ps_pg_run() frames its statements. */
#define PS_PG_RUN_WRITE    1u /* they change data: in a transaction, a savepoint makes a refusal leave it usable */
#define PS_PG_RUN_SNAPSHOT 2u /* several reads: outside a transaction, one read-only snapshot */

/* Run qs[0..n) in one pipeline, one round trip, taking `lock`'s tenant
 * lock first in a write transaction (0: none); on PS_OK each qs[i].res
 * holds its result (the caller clears them). */
ps_code ps_pg_run(struct ps_pg *p, struct ps_pg_q *qs, size_t n, unsigned flags, int64_t lock, struct ps_err *err);
ps_code ps_pg_run1(struct ps_pg *p, struct ps_pg_q *q, unsigned flags, int64_t lock, struct ps_err *err);
bool ps_pg_has_lock(const struct ps_pg *p, int64_t tenant);
/* The executor of the methods written once (methods.c). */
extern const struct ps_sql_exec ps_pg_exec;

/* libpq's message on one line, without its trailing newline. */
void ps_pg_one_line(char *dst, size_t cap, const char *msg);
/* An error of the connection or the server, not of one statement. */
ps_code ps_pg_server_error(struct ps_pg *p, const char *name, const PGresult *r, struct ps_err *err);
/* (Re)connect (pg.c); and connect again when the connection is gone and
 * no transaction depends on it (pg_pipe.c). */
ps_code ps_pg_connect(struct ps_pg *p, struct ps_err *err);
ps_code ps_pg_ensure_connected(struct ps_pg *p, const char *name, struct ps_err *err);

/* pg_snap.c: the methods of ps_store.h it implements. */
PS_STORE_METHOD(ps_pg_operation_insert, operation_insert);
PS_STORE_METHOD(ps_pg_credit_check_get, credit_check_get);
PS_STORE_METHOD(ps_pg_assignments_move, assignments_move);
PS_STORE_METHOD(ps_pg_snapshot_load, snapshot_load);
PS_STORE_METHOD(ps_pg_snapshot_scan, snapshot_scan);

#endif
