/* pg_pipe.c: how the PostgreSQL backend runs statements (store layer):
 * binary parameters and results, libpq's pipeline (the BEGIN a
 * transaction owes, the tenant's lock, a savepoint, the statements,
 * prepared once per connection in the round trip of their first use), the
 * mapping of SQLSTATEs to the error table, and the executor that runs the
 * methods written once (methods.c). */
#include "pg_int.h"

#include <assert.h>
#include <endian.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RACE_RETRIES 5 /* a statement of its own that lost a race runs again */
#define PIPE_MAX     24

/* Parameter and column types (pg_type OIDs, fixed since PostgreSQL 7). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_TEXT 25

/* ---- Parameters --------------------------------------------------------- */

void ps_pg_q_init(struct ps_pg_q *q, enum ps_stmt id)
{
	q->id = id;
	q->n = 0;
	q->tenant = 0;
	q->res = NULL;
}

void ps_pg_q_clear(struct ps_pg_q *q)
{
	PQclear(q->res);
	q->res = NULL;
}

static int slot(struct ps_pg_q *q, Oid oid)
{
	assert(q->n < PS_PARAMS_MAX);
	int i = q->n++;
	q->fmt[i] = 1; /* binary */
	q->oid[i] = oid;
	return i;
}

void ps_pg_p_i64(struct ps_pg_q *q, int64_t v)
{
	int i = slot(q, OID_INT8);
	uint64_t be = htobe64((uint64_t)v);
	memcpy(q->bin[i], &be, 8);
	q->val[i] = (const char *)q->bin[i];
	q->len[i] = 8;
}

/* An optional reference or time: 0 is stored as NULL. */
static void p_opt(struct ps_pg_q *q, int64_t v)
{
	if (v != 0) {
		ps_pg_p_i64(q, v);
		return;
	}
	int i = slot(q, OID_INT8);
	q->val[i] = NULL;
	q->len[i] = 0;
}

static void p_bool(struct ps_pg_q *q, bool b)
{
	int i = slot(q, OID_BOOL);
	q->bin[i][0] = b ? 1 : 0;
	q->val[i] = (const char *)q->bin[i];
	q->len[i] = 1;
}

/* Text of n bytes, not necessarily NUL-terminated: binary format takes the
 * length, not a terminator. */
static void p_text(struct ps_pg_q *q, const char *s, size_t n)
{
	int i = slot(q, OID_TEXT);
	q->val[i] = s ? s : "";
	q->len[i] = s && n < INT_MAX ? (int)n : 0;
}

void ps_pg_p_str(struct ps_pg_q *q, const char *s)
{
	p_text(q, s, s ? strlen(s) : 0);
}

void ps_pg_p_limit(struct ps_pg_q *q, size_t limit)
{
	ps_pg_p_i64(q, limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
}

/* ---- Reading results (binary) ------------------------------------------ */

/* An integer column of any width (bigint, integer, smallint, boolean); NULL
 * reads as 0. */
int64_t ps_pg_col_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
	int n = PQgetlength(r, row, col);
	uint64_t u = 0;
	for (int i = 0; i < n && i < 8; i++)
		u = u << 8 | v[i];
	if (n == 4)
		return (int32_t)(uint32_t)u;
	if (n == 2)
		return (int16_t)(uint16_t)u;
	return (int64_t)u;
}

static int64_t affected(const PGresult *r)
{
	const char *n = PQcmdTuples((PGresult *)r);
	return n && *n ? strtoll(n, NULL, 10) : 0;
}

/* ---- Errors ------------------------------------------------------------- */

static bool state_is(const char *state, const char *want)
{
	return state && strcmp(state, want) == 0;
}

/* A lost race: the transaction may be run again as a whole. */
static bool is_race(const char *state)
{
	return state_is(state, "40001") || state_is(state, "40P01");
}

/* An error of the connection or the server, not of the statement. */
ps_code ps_pg_server_error(struct ps_pg *p, const char *name, const PGresult *r, struct ps_err *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[400];
	ps_pg_one_line(msg, sizeof msg, r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn));
	if (msg[0] == '\0')
		ps_pg_one_line(msg, sizeof msg, PQerrorMessage(p->conn));
	if (is_race(state))
		return ps_err_set(err, PS_RETRY, NULL,
				  "%s: lost a race with another transaction (%s): run the transaction again", name,
				  msg);
	if (state_is(state, "55P03"))
		return ps_err_set(
		    err, PS_STORE, NULL,
		    "%s: the PostgreSQL store stayed locked by another transaction for more than %d ms (%s)", name,
		    PS_PG_LOCK_TIMEOUT_MS, msg);
	if (state_is(state, "42P01") || state_is(state, "42703") || state_is(state, "42883"))
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "%s: the store has no schema, or an older one (%s): run `planshift init` on it first",
				  name, msg);
	if (state == NULL || strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)
		return ps_err_set(err, PS_STORE, NULL, "%s: PostgreSQL at %s: %s", name, p->where, msg);
	return ps_err_set(err, PS_STORE, NULL, "%s: PostgreSQL: %s (SQLSTATE %s)", name, msg, state);
}

static bool tenant_exists(struct ps_pg *p, int64_t tenant);

/* Turn a refused statement into the caller's error. */
static ps_code fail(struct ps_pg *p, const struct ps_pg_q *q, const PGresult *r, struct ps_err *err)
{
	const struct ps_stmt_def *d = &ps_stmts[q->id];
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	const char *col = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
	const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *field;

	if (state_is(state, "23505"))
		return ps_err_set(err, PS_CONFLICT, d->conflict ? d->conflict : "id", "%s",
				  d->conflict_msg ? d->conflict_msg
				  : primary	  ? primary
						  : "already exists");
	if (state_is(state, "23503")) {
		/* Constraints are named "ref_" and the field they hold; a row of a
		 * missing tenant names the tenant, as SQLite's backend does. */
		field = cons && strncmp(cons, "ref_", 4) == 0 ? cons + 4 : d->missing ? d->missing : "id";
		if (q->tenant != 0 && strcmp(field, "tenant") != 0 && !tenant_exists(p, q->tenant))
			field = "tenant";
		if (strcmp(field, "tenant") == 0)
			return ps_err_set(err, PS_NOT_FOUND, field, "the tenant does not exist");
		return ps_err_set(err, PS_NOT_FOUND, field, "%s: the %s does not exist for this tenant", d->name,
				  field);
	}
	if (state_is(state, "23514")) {
		/* Every CHECK is named after the field it guards. */
		field = cons ? cons : "";
		return ps_err_set(err, PS_INVALID_FIELD, field, "%s: value out of range for %s", d->name, field);
	}
	if (state_is(state, "23502")) {
		field = col ? col : "";
		return ps_err_set(err, PS_INVALID_FIELD, field, "%s: %s is required", d->name, field);
	}
	if (state && (strcmp(state, "22021") == 0 || strcmp(state, "22P05") == 0 || strcmp(state, "22003") == 0))
		return ps_err_set(err, PS_INVALID_FIELD, NULL, "%s: %s", d->name, primary ? primary : "invalid value");
	return ps_pg_server_error(p, d->name, r, err);
}

/* ---- Running statements ------------------------------------------------ */

#define SQL_BEGIN_WRITE	   "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
#define SQL_BEGIN_READ	   "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define SQL_SAVEPOINT	   "SAVEPOINT ps_write"
#define SQL_RELEASE	   "RELEASE SAVEPOINT ps_write"
#define SQL_UNDO_SAVEPOINT "ROLLBACK TO SAVEPOINT ps_write; RELEASE SAVEPOINT ps_write"

enum slot_kind { SL_FRAME, SL_GUARD, SL_LOCK, SL_PREPARE, SL_EXEC };

/* One command in the pipeline and what its result means. */
struct slot {
	enum slot_kind kind;
	size_t qi; /* SL_PREPARE, SL_EXEC: which statement */
	const char *what;
};

bool ps_pg_has_lock(const struct ps_pg *p, int64_t tenant)
{
	for (size_t i = 0; i < p->n_locked; i++)
		if (p->locked[i] == tenant)
			return true;
	return false;
}

static void add_lock(struct ps_pg *p, int64_t tenant)
{
	if (p->n_locked < PS_PG_TENANT_LOCKS_MAX)
		p->locked[p->n_locked++] = tenant;
}

static int64_t tenant_key(int64_t tenant)
{
	return (int64_t)(PS_PG_LOCK_BASE + ((uint64_t)tenant & UINT64_C(0xffffffff)));
}

static bool send_sql(struct ps_pg *p, const char *sql)
{
	return PQsendQueryParams(p->conn, sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
}

static void stmt_name(enum ps_stmt id, char *out, size_t cap)
{
	snprintf(out, cap, "ps%d", (int)id);
}

/* Prepare q's statement with the types of q's parameters: a statement is
 * always bound with the same kinds, in the same order. */
static bool send_prepare(struct ps_pg *p, const struct ps_pg_q *q)
{
	char name[16], text[4096];
	const char *sql = ps_stmt_text(PS_PG, q->id, text, sizeof text);
	if (sql == NULL)
		return false;
	stmt_name(q->id, name, sizeof name);
	return PQsendPrepare(p->conn, name, sql, q->n, q->oid) == 1;
}

static bool send_exec(struct ps_pg *p, const struct ps_pg_q *q)
{
	char name[16];
	stmt_name(q->id, name, sizeof name);
	return PQsendQueryPrepared(p->conn, name, q->n, q->val, q->len, q->fmt, 1) == 1;
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool connection_lost(const struct ps_pg *p)
{
	return PQstatus(p->conn) != CONNECTION_OK || PQpipelineStatus(p->conn) != PQ_PIPELINE_OFF;
}

/* The connection broke inside a transaction before its COMMIT was sent:
 * nothing of it was kept (a transaction without COMMIT never commits), so
 * it may run again as a whole, from begin, on a connection made anew
 * (PS_RETRY: ps_app_tx does). The transaction can only be rolled back. */
static ps_code lost_mid_tx(struct ps_pg *p, const char *name, struct ps_err *err)
{
	char why[sizeof err->msg];
	snprintf(why, sizeof why, "%s", err && err->msg[0] ? err->msg : "");
	if (!p->tx_broken) {
		p->tx_broken = true;
		snprintf(p->broken, sizeof p->broken,
			 "the connection to PostgreSQL at %s was lost mid-transaction, before its commit", p->where);
	}
	return ps_err_set(err, PS_RETRY, NULL, "%s: %s: nothing of it was kept; run it again%s%s%s", name, p->broken,
			  why[0] ? " (" : "", why, why[0] ? ")" : "");
}

/* The connection is gone (or was never there): connect again when no
 * transaction depends on it. */
ps_code ps_pg_ensure_connected(struct ps_pg *p, const char *name, struct ps_err *err)
{
	if (p->conn && !connection_lost(p))
		return PS_OK;
	if (p->in_tx && p->tx_sent)
		return lost_mid_tx(p, name, err);
	/* A failover: the old primary is gone and the new one may not be
	 * promoted yet; try again, more slowly each time, for a bounded time. */
	int64_t t0 = mono_ms();
	bool patient = t0 >= p->impatient_until;
	ps_code c;
	for (long pause_ms = 25;; pause_ms = pause_ms * 2 > 500 ? 500 : pause_ms * 2) {
		if ((c = ps_pg_connect(p, err)) == PS_OK)
			break;
		int64_t now = mono_ms();
		if (!patient || now - t0 + pause_ms > PS_PG_RECONNECT_MS) {
			if (patient)
				p->impatient_until = now + PS_PG_RECONNECT_MS;
			return c;
		}
		struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	p->impatient_until = 0;
	p->tx_sent = false;
	return PS_OK;
}

/* The transaction cannot go on: say why, once; rollback() clears it. */
static void break_tx(struct ps_pg *p, const struct ps_err *why)
{
	if (!p->in_tx || p->tx_broken)
		return;
	p->tx_broken = true;
	snprintf(p->broken, sizeof p->broken, "%s", why && why->msg[0] ? why->msg : "an earlier statement failed");
}

/* One pipeline: framing, statements, sync; then every result read. On
 * PS_OK each qs[i].res holds its result. When a statement is refused,
 * *bad is its result (the caller's to map and free) and *bad_q its index;
 * the transaction is back where it was before the call. Other failures
 * return their error with *bad NULL. */
static ps_code run_once(struct ps_pg *p, struct ps_pg_q *qs, size_t n, unsigned flags, int64_t lock, PGresult **bad,
			size_t *bad_q, struct ps_err *err)
{
	struct slot slots[PIPE_MAX];
	size_t ns = 0, fail_at = 0;
	struct ps_pg_q lq;
	const char *name = ps_stmts[qs[0].id].name;
	bool guard = p->in_tx && (flags & PS_PG_RUN_WRITE);
	bool own = !p->in_tx && (flags & PS_PG_RUN_SNAPSHOT) && n > 1;
	bool take_lock = ps_pg_in_write_tx(p) && lock > 0 && !ps_pg_has_lock(p, lock);
	bool sent = true, lost = false;
	PGresult *first = NULL;
	ps_code c = PS_OK;

	*bad = NULL;
	assert(2 * n + 6 <= PIPE_MAX); /* begin, lock (prepare, run), savepoint, n x (prepare, run), release */
	if ((c = ps_pg_ensure_connected(p, name, err)) != PS_OK)
		return c;
	if (!PQenterPipelineMode(p->conn))
		return ps_pg_server_error(p, name, NULL, err);
	if (p->in_tx && !p->tx_sent) {
		sent = sent && send_sql(p, p->tx_kind == PS_TX_WRITE ? SQL_BEGIN_WRITE : SQL_BEGIN_READ);
		slots[ns++] = (struct slot){SL_FRAME, 0, "begin"};
		p->tx_sent = true;
	}
	if (own) {
		sent = sent && send_sql(p, SQL_BEGIN_READ);
		slots[ns++] = (struct slot){SL_FRAME, 0, "begin"};
	}
	if (take_lock) {
		ps_pg_q_init(&lq, PS_S_LOCK);
		ps_pg_p_i64(&lq, tenant_key(lock));
		if (!p->prepared[PS_S_LOCK]) {
			sent = sent && send_prepare(p, &lq);
			slots[ns++] = (struct slot){SL_PREPARE, SIZE_MAX, "lock"};
		}
		sent = sent && send_exec(p, &lq);
		slots[ns++] = (struct slot){SL_LOCK, 0, "lock"};
	}
	if (guard) {
		sent = sent && send_sql(p, SQL_SAVEPOINT);
		slots[ns++] = (struct slot){SL_GUARD, 0, "savepoint"};
	}
	for (size_t i = 0; i < n; i++) {
		if (!p->prepared[qs[i].id]) {
			sent = sent && send_prepare(p, &qs[i]);
			slots[ns++] = (struct slot){SL_PREPARE, i, ps_stmts[qs[i].id].name};
		}
		sent = sent && send_exec(p, &qs[i]);
		slots[ns++] = (struct slot){SL_EXEC, i, ps_stmts[qs[i].id].name};
	}
	if (guard) {
		sent = sent && send_sql(p, SQL_RELEASE);
		slots[ns++] = (struct slot){SL_GUARD, 0, "release"};
	}
	if (own) {
		sent = sent && send_sql(p, "COMMIT");
		slots[ns++] = (struct slot){SL_FRAME, 0, "commit"};
	}
	sent = sent && PQpipelineSync(p->conn) == 1;

	/* Each command's result, then NULL; the sync's result last. */
	for (size_t s = 0; sent && s < ns; s++) {
		PGresult *r = PQgetResult(p->conn);
		if (r == NULL) {
			lost = true;
			break;
		}
		ExecStatusType st = PQresultStatus(r);
		bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
		if (ok && slots[s].kind == SL_PREPARE)
			p->prepared[slots[s].qi == SIZE_MAX ? PS_S_LOCK : qs[slots[s].qi].id] = true;
		if (ok && slots[s].kind == SL_LOCK)
			add_lock(p, lock);
		if (ok && slots[s].kind == SL_EXEC) {
			qs[slots[s].qi].res = r;
			r = NULL;
		} else if (!ok && st != PGRES_PIPELINE_ABORTED && first == NULL) {
			first = r;
			fail_at = s;
			r = NULL;
		}
		PQclear(r);
		while ((r = PQgetResult(p->conn)) != NULL) {
			if (PQresultStatus(r) == PGRES_FATAL_ERROR && first == NULL) {
				first = r;
				fail_at = s;
				continue;
			}
			PQclear(r);
		}
	}
	if (sent && !lost) {
		PGresult *r = PQgetResult(p->conn);
		lost = r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC;
		PQclear(r);
	}
	if (!sent || lost || !PQexitPipelineMode(p->conn)) {
		/* The connection broke mid-pipeline: the next call connects again
		 * (ensure_connected finds it bad or still in pipeline mode). */
		c = ps_pg_server_error(p, name, first, err);
		PQclear(first);
		for (size_t i = 0; i < n; i++)
			ps_pg_q_clear(&qs[i]);
		memset(p->prepared, 0, sizeof p->prepared);
		if (p->in_tx)
			return lost_mid_tx(p, name, err);
		return c;
	}
	if (first == NULL)
		return PS_OK;

	for (size_t i = 0; i < n; i++)
		ps_pg_q_clear(&qs[i]);
	enum slot_kind kind = slots[fail_at].kind;
	if (kind == SL_PREPARE && slots[fail_at].qi != SIZE_MAX)
		kind = SL_EXEC; /* a statement the server refuses to prepare: its error is the statement's */
	if (guard && kind == SL_EXEC) {
		/* Undo the refused statement alone: the transaction goes on. */
		PGresult *r = PQexec(p->conn, SQL_UNDO_SAVEPOINT);
		bool undone = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!undone) {
			c = ps_pg_server_error(p, name, first, err);
			PQclear(first);
			break_tx(p, err);
			return c;
		}
	} else if (p->in_tx) {
		/* BEGIN, the lock or a read failed: the transaction is aborted. */
		c = ps_pg_server_error(p, kind == SL_EXEC ? name : slots[fail_at].what, first, err);
		PQclear(first);
		if (connection_lost(p))
			return lost_mid_tx(p, name, err);
		break_tx(p, err);
		return c;
	} else if (PQtransactionStatus(p->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(p->conn, "ROLLBACK"));
	}
	if (kind != SL_EXEC) {
		c = ps_pg_server_error(p, slots[fail_at].what, first, err);
		PQclear(first);
		return c;
	}
	*bad = first;
	*bad_q = slots[fail_at].qi;
	return PS_STORE;
}

/* Run qs (see run_once), lock taking `lock`'s tenant lock first in a write
 * transaction (0: none). Outside a transaction, a lost race runs again,
 * and so does a read, or a repeatable write (ps_stmt_def), that found the
 * connection gone (a server restart, a failover): running it twice changes
 * nothing. */
ps_code ps_pg_run(struct ps_pg *p, struct ps_pg_q *qs, size_t n, unsigned flags, int64_t lock, struct ps_err *err)
{
	if (p->in_tx && p->tx_broken)
		return ps_err_set(err, PS_STORE, NULL, "%s: the transaction was aborted (%s): roll it back",
				  ps_stmts[qs[0].id].name, p->broken);
	for (int attempt = 0;; attempt++) {
		PGresult *bad = NULL;
		size_t k = 0;
		ps_code c = run_once(p, qs, n, flags, lock, &bad, &k, err);
		if (bad == NULL && c != PS_OK && attempt == 0 && !p->in_tx &&
		    (!(flags & PS_PG_RUN_WRITE) || (n == 1 && ps_stmts[qs[0].id].repeatable)) && connection_lost(p))
			continue;
		if (bad == NULL)
			return c;
		const char *state = PQresultErrorField(bad, PG_DIAG_SQLSTATE);
		if (is_race(state) && !p->in_tx && attempt < RACE_RETRIES) {
			PQclear(bad);
			struct timespec ts = {0, (long)(1 + attempt * 3) * 1000000L};
			nanosleep(&ts, NULL);
			continue;
		}
		c = fail(p, &qs[k], bad, err);
		PQclear(bad);
		return c;
	}
}

ps_code ps_pg_run1(struct ps_pg *p, struct ps_pg_q *q, unsigned flags, int64_t lock, struct ps_err *err)
{
	return ps_pg_run(p, q, 1, flags, lock, err);
}

static bool tenant_exists(struct ps_pg *p, int64_t tenant)
{
	struct ps_pg_q q;
	ps_pg_q_init(&q, PS_S_EXISTS_TENANT);
	ps_pg_p_i64(&q, tenant);
	if (ps_pg_run1(p, &q, 0, 0, NULL) != PS_OK)
		return true; /* cannot tell: keep the constraint's field */
	bool found = PQntuples(q.res) > 0;
	ps_pg_q_clear(&q);
	return found;
}

/* ---- Rows: libpq's binary results ---------------------------------------- */

static int64_t row_i64(const struct ps_row *r, int col)
{
	return ps_pg_col_i64((const PGresult *)r->h, r->i, col);
}

/* libpq ends every value with a NUL, binary text too; NULL reads as "". */
static const char *row_text(const struct ps_row *r, int col, size_t *len)
{
	const PGresult *res = (const PGresult *)r->h;
	int n = PQgetisnull(res, r->i, col) ? 0 : PQgetlength(res, r->i, col);
	if (len)
		*len = n > 0 ? (size_t)n : 0;
	return PQgetvalue(res, r->i, col);
}

static const struct ps_row_ops row_ops = {row_i64, row_text};

struct ps_row ps_pg_row_at(const PGresult *res, int i)
{
	return (struct ps_row){&row_ops, res, i};
}

/* ---- Running a query (the executor of methods.c) ------------------------- */

/* The backend-neutral query in libpq's binary parameters. */
static void q_from(struct ps_pg_q *q, const struct ps_query *qu)
{
	ps_pg_q_init(q, qu->id);
	q->tenant = qu->tenant;
	for (int i = 0; i < qu->n; i++) {
		const struct ps_param *pa = &qu->p[i];
		switch (pa->kind) {
		case PS_P_I64: ps_pg_p_i64(q, pa->i64); break;
		case PS_P_NULL: p_opt(q, 0); break;
		case PS_P_BOOL: p_bool(q, pa->i64 != 0); break;
		case PS_P_TEXT: p_text(q, pa->s, pa->len); break;
		}
	}
}

static ps_code x_exec(struct ps_store *st, struct ps_query *qu, struct ps_err *err)
{
	struct ps_pg_q q;
	q_from(&q, qu);
	ps_code c = ps_pg_run1(ps_pg_of(st), &q, PS_PG_RUN_WRITE, qu->lock, err);
	ps_pg_q_clear(&q);
	return c;
}

static ps_code x_insert_id(struct ps_store *st, struct ps_query *qu, int64_t *id, struct ps_err *err)
{
	struct ps_pg_q q;
	q_from(&q, qu);
	ps_code c = ps_pg_run1(ps_pg_of(st), &q, PS_PG_RUN_WRITE, qu->lock, err);
	if (c == PS_OK && PQntuples(q.res) == 1)
		*id = ps_pg_col_i64(q.res, 0, 0);
	else if (c == PS_OK)
		c = ps_err_set(err, PS_STORE, NULL, "%s: PostgreSQL returned no id", ps_stmts[q.id].name);
	ps_pg_q_clear(&q);
	return c;
}

static ps_code x_change_one(struct ps_store *st, struct ps_query *qu, const char *field, const char *msg,
			    struct ps_err *err)
{
	struct ps_pg_q q;
	q_from(&q, qu);
	ps_code c = ps_pg_run1(ps_pg_of(st), &q, PS_PG_RUN_WRITE, qu->lock, err);
	if (c == PS_OK && affected(q.res) == 0)
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	ps_pg_q_clear(&q);
	return c;
}

static ps_code x_get_one(struct ps_store *st, struct ps_query *qu, ps_decode_fn decode, void *out, const char *field,
			 const char *msg, struct ps_err *err)
{
	struct ps_pg_q q;
	q_from(&q, qu);
	ps_code c = ps_pg_run1(ps_pg_of(st), &q, 0, qu->lock, err);
	if (c == PS_OK && PQntuples(q.res) > 0) {
		struct ps_row r = ps_pg_row_at(q.res, 0);
		c = decode(&r, out, err);
	} else if (c == PS_OK) {
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	}
	ps_pg_q_clear(&q);
	return c;
}

/* A list query whose last two parameters, (after, limit), are bound here
 * page by page: each page starts after the key (column key_col) of the one
 * before, so a walk holds one page at a time however long the list, and
 * the callback may call any method of the handle. */
static ps_code x_walk(struct ps_store *st, struct ps_query *qu, int key_col, int64_t after, size_t limit,
		      ps_visit_fn visit, union ps_list_cb cb, void *arg, struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
	struct ps_pg_q q;
	size_t seen = 0;
	bool more = true;
	ps_code c = PS_OK;

	q_from(&q, qu);
	int bound = q.n;
	while (more) {
		size_t want = PS_PG_PAGE_ROWS;
		if (limit != 0 && limit - seen < want)
			want = limit - seen;
		q.n = bound;
		ps_pg_p_i64(&q, after);
		ps_pg_p_limit(&q, want);
		if ((c = ps_pg_run1(p, &q, 0, qu->lock, err)) != PS_OK)
			return c;
		int rows = PQntuples(q.res);
		for (int i = 0; i < rows && more; i++) {
			struct ps_row r = ps_pg_row_at(q.res, i);
			after = ps_pg_col_i64(q.res, i, key_col);
			c = visit(&r, cb, arg, &more, err);
			if (c != PS_OK)
				more = false;
		}
		ps_pg_q_clear(&q);
		seen += (size_t)rows;
		if ((size_t)rows < want || (limit != 0 && seen >= limit))
			break;
	}
	return c;
}

const struct ps_sql_exec ps_pg_exec = {x_exec, x_insert_id, x_change_one, x_get_one, x_walk};
