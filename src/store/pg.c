/* pg.c: the PostgreSQL store backend (store layer). One libpq connection per
 * handle. Each method is one pipeline, one round trip: the BEGIN a
 * transaction still owes, its tenant's lock, a savepoint, the statements
 * (prepared once per connection, in the round trip of their first use, run
 * with binary parameters and results). The schema is a list of versioned
 * migrations, the version reached kept in schema_version. Several daemons
 * may share a store: a write transaction runs at READ COMMITTED and takes
 * its tenant's advisory lock before its first statement about that tenant,
 * so one tenant's changes are serial, as under SQLite's single writer; the
 * upgrade capacity has a lock of its own. doc/POSTGRES.md says why. */
#include "store_int.h"

#include "../common/ps_mem.h"

#include <libpq-fe.h>

#include <assert.h>
#include <endian.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_ROWS	 1024 /* rows per round trip of a list walk, tenants per batch of a scan */
#define LOCK_TIMEOUT_MS	 5000 /* as SQLite's busy timeout */
#define RACE_RETRIES	 5    /* a statement of its own that lost a race runs again */
#define PARAMS_MAX	 14
#define PIPE_MAX	 24
#define TENANT_LOCKS_MAX 8
#define MIN_SERVER	 110000
#define APP_NAME	 "planshift"

/* Advisory lock keys: "PLSH" in the high half and a tenant id in the low,
 * or one of the store's own keys just below. */
#define LOCK_BASE     UINT64_C(0x504C534800000000)
#define LOCK_CAPACITY (LOCK_BASE - 1)
#define LOCK_MIGRATE  (LOCK_BASE - 2)

/* Parameter and column types (pg_type OIDs, fixed since PostgreSQL 7). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_TEXT 25

/* ---- Schema ------------------------------------------------------------ */

/* Migrations, in order: migrations[k] takes the schema from version k to
 * k + 1. They are the files src/store/sql/pg/NNN.sql, embedded at build
 * time. A released step is never edited: changes go in a new step. The versions are those of ps_store.h, as
 * SQLite's are; the version reached is kept in schema_version. */
static const char *const migrations[] = {ps_sql_pg_001, ps_sql_pg_002};

_Static_assert(PS_ARRAY_LEN(migrations) == PS_SCHEMA_VERSION, "one migration step per schema version");

/* ---- The handle -------------------------------------------------------- */

struct pg {
	struct ps_sql sql; /* first, so a struct ps_store * is a struct pg * */
	PGconn *conn;
	char *url;	 /* to connect again after a lost connection */
	char where[320]; /* "host H, port P, database D", for messages */
	bool prepared[S__COUNT];
	/* The transaction begin() opened; BEGIN goes out with its first
	 * statement, so an empty one costs nothing. */
	bool in_tx, tx_sent, tx_broken;
	enum ps_tx tx_kind;
	char broken[512]; /* why the transaction can only be rolled back */
	int64_t locked[TENANT_LOCKS_MAX];
	size_t n_locked;
	/* What this write transaction's last snapshot counted of the
	 * capacity: cap_used automatic upgrades in the window ending cap_now. */
	bool cap_seen;
	int64_t cap_now, cap_used;
};

static struct pg *pg_of(struct ps_store *st)
{
	return (struct pg *)(void *)st;
}

static void tx_reset(struct pg *p)
{
	p->in_tx = p->tx_sent = p->tx_broken = false;
	p->broken[0] = '\0';
	p->n_locked = 0;
	p->cap_seen = false;
}

static bool in_write_tx(const struct pg *p)
{
	return p->in_tx && p->tx_kind == PS_TX_WRITE;
}

/* ---- Parameters --------------------------------------------------------- */

/* One statement to run: its parameters, bound in place (the values point
 * into the struct, which must not move once bound), then its result. */
struct q {
	enum ps_stmt id;
	int n;
	int64_t tenant; /* the row's tenant, to name a missing one after a refused reference (0: none) */
	const char *val[PARAMS_MAX];
	int len[PARAMS_MAX];
	int fmt[PARAMS_MAX];
	Oid oid[PARAMS_MAX]; /* the types it is prepared with */
	unsigned char bin[PARAMS_MAX][8];
	PGresult *res;
};

static void q_init(struct q *q, enum ps_stmt id)
{
	q->id = id;
	q->n = 0;
	q->tenant = 0;
	q->res = NULL;
}

static void q_clear(struct q *q)
{
	PQclear(q->res);
	q->res = NULL;
}

static int slot(struct q *q, Oid oid)
{
	assert(q->n < PARAMS_MAX);
	int i = q->n++;
	q->fmt[i] = 1; /* binary */
	q->oid[i] = oid;
	return i;
}

static void p_i64(struct q *q, int64_t v)
{
	int i = slot(q, OID_INT8);
	uint64_t be = htobe64((uint64_t)v);
	memcpy(q->bin[i], &be, 8);
	q->val[i] = (const char *)q->bin[i];
	q->len[i] = 8;
}

/* An optional reference or time: 0 is stored as NULL. */
static void p_opt(struct q *q, int64_t v)
{
	if (v != 0) {
		p_i64(q, v);
		return;
	}
	int i = slot(q, OID_INT8);
	q->val[i] = NULL;
	q->len[i] = 0;
}

static void p_bool(struct q *q, bool b)
{
	int i = slot(q, OID_BOOL);
	q->bin[i][0] = b ? 1 : 0;
	q->val[i] = (const char *)q->bin[i];
	q->len[i] = 1;
}

/* Text of n bytes, not necessarily NUL-terminated: binary format takes the
 * length, not a terminator. */
static void p_text(struct q *q, const char *s, size_t n)
{
	int i = slot(q, OID_TEXT);
	q->val[i] = s ? s : "";
	q->len[i] = s && n < INT_MAX ? (int)n : 0;
}

static void p_str(struct q *q, const char *s)
{
	p_text(q, s, s ? strlen(s) : 0);
}


static void p_limit(struct q *q, size_t limit)
{
	p_i64(q, limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
}

/* ---- Reading results (binary) ------------------------------------------ */

/* An integer column of any width (bigint, integer, smallint, boolean); NULL
 * reads as 0. */
static int64_t col_i64(const PGresult *r, int row, int col)
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

/* ---- Connecting ------------------------------------------------------- */

/* libpq's message on one line, without its trailing newline. */
static void one_line(char *dst, size_t cap, const char *msg)
{
	size_t n = 0;
	bool space = false;
	for (const char *s = msg ? msg : ""; *s && n + 1 < cap; s++) {
		if (*s == '\n' || *s == '\t' || *s == '\r') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < cap)
			dst[n++] = ' ';
		space = false;
		dst[n++] = *s;
	}
	dst[n] = '\0';
}

/* "host H, port P, database D" from the URL, never its password. */
static void describe(const char *url, char *out, size_t cap)
{
	char *emsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &emsg);
	const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && host == NULL))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	if (host && host[0] == '/')
		snprintf(out, cap, "socket directory %s, port %s, database %s", host, port ? port : "5432",
			 db	? db
			 : user ? user
				: "(default)");
	else
		snprintf(out, cap, "host %s, port %s, database %s", host ? host : "(default socket)",
			 port ? port : "5432",
			 db	? db
			 : user ? user
				: "(default)");
	PQconninfoFree(opts);
	PQfreemem(emsg);
}

static void no_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Connect (again): the URL's settings win over our defaults, but the
 * encoding is always UTF-8. */
static ps_code connect_db(struct pg *p, struct ps_err *err)
{
	static const char *const keys[] = {"fallback_application_name", "connect_timeout", "dbname", "client_encoding",
					   NULL};
	const char *const vals[] = {APP_NAME, "10", p->url, "UTF8", NULL};
	char msg[400];

	PQfinish(p->conn);
	memset(p->prepared, 0, sizeof p->prepared);
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (p->conn == NULL)
		return ps_err_set(err, PS_STORE, "db", "cannot connect to PostgreSQL at %s: out of memory", p->where);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		one_line(msg, sizeof msg, PQerrorMessage(p->conn));
		return ps_err_set(err, PS_STORE, "db", "cannot connect to PostgreSQL at %s: %s", p->where, msg);
	}
	PQsetNoticeProcessor(p->conn, no_notices, NULL);
	if (PQserverVersion(p->conn) < MIN_SERVER)
		return ps_err_set(err, PS_STORE, "db", "PostgreSQL at %s is version %d: planshift needs 11 or later",
				  p->where, PQserverVersion(p->conn));
	char set[64];
	snprintf(set, sizeof set, "SET lock_timeout = %d", LOCK_TIMEOUT_MS);
	PGresult *r = PQexec(p->conn, set);
	ps_code c = PS_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		one_line(msg, sizeof msg, PQerrorMessage(p->conn));
		c = ps_err_set(err, PS_STORE, "db", "PostgreSQL at %s: %s", p->where, msg);
	}
	PQclear(r);
	return c;
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
static ps_code server_error(struct pg *p, const char *name, const PGresult *r, struct ps_err *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[400];
	one_line(msg, sizeof msg, r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn));
	if (msg[0] == '\0')
		one_line(msg, sizeof msg, PQerrorMessage(p->conn));
	if (is_race(state))
		return ps_err_set(err, PS_RETRY, NULL,
				  "%s: lost a race with another transaction (%s): run the transaction again", name,
				  msg);
	if (state_is(state, "55P03"))
		return ps_err_set(
		    err, PS_STORE, NULL,
		    "%s: the PostgreSQL store stayed locked by another transaction for more than %d ms (%s)", name,
		    LOCK_TIMEOUT_MS, msg);
	if (state_is(state, "42P01") || state_is(state, "42703") || state_is(state, "42883"))
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "%s: the store has no schema, or an older one (%s): run `planshift init` on it first",
				  name, msg);
	if (state == NULL || strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)
		return ps_err_set(err, PS_STORE, NULL, "%s: PostgreSQL at %s: %s", name, p->where, msg);
	return ps_err_set(err, PS_STORE, NULL, "%s: PostgreSQL: %s (SQLSTATE %s)", name, msg, state);
}

static bool tenant_exists(struct pg *p, int64_t tenant);

/* Turn a refused statement into the caller's error. */
static ps_code fail(struct pg *p, const struct q *q, const PGresult *r, struct ps_err *err)
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
	return server_error(p, d->name, r, err);
}

/* ---- Running statements ------------------------------------------------ */

/* How run() frames its statements. */
#define RUN_WRITE    1u /* they change data: in a transaction, a savepoint makes a refusal leave it usable */
#define RUN_SNAPSHOT 2u /* several reads: outside a transaction, one read-only snapshot */

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

static bool has_lock(const struct pg *p, int64_t tenant)
{
	for (size_t i = 0; i < p->n_locked; i++)
		if (p->locked[i] == tenant)
			return true;
	return false;
}

static void add_lock(struct pg *p, int64_t tenant)
{
	if (p->n_locked < TENANT_LOCKS_MAX)
		p->locked[p->n_locked++] = tenant;
}

static int64_t tenant_key(int64_t tenant)
{
	return (int64_t)(LOCK_BASE + ((uint64_t)tenant & UINT64_C(0xffffffff)));
}

static bool send_sql(struct pg *p, const char *sql)
{
	return PQsendQueryParams(p->conn, sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
}

static void stmt_name(enum ps_stmt id, char *out, size_t cap)
{
	snprintf(out, cap, "ps%d", (int)id);
}

/* Prepare q's statement with the types of q's parameters: a statement is
 * always bound with the same kinds, in the same order. */
static bool send_prepare(struct pg *p, const struct q *q)
{
	char name[16], text[4096];
	const char *sql = ps_stmt_text(PS_PG, q->id, text, sizeof text);
	if (sql == NULL)
		return false;
	stmt_name(q->id, name, sizeof name);
	return PQsendPrepare(p->conn, name, sql, q->n, q->oid) == 1;
}

static bool send_exec(struct pg *p, const struct q *q)
{
	char name[16];
	stmt_name(q->id, name, sizeof name);
	return PQsendQueryPrepared(p->conn, name, q->n, q->val, q->len, q->fmt, 1) == 1;
}

static bool connection_lost(const struct pg *p)
{
	return PQstatus(p->conn) != CONNECTION_OK || PQpipelineStatus(p->conn) != PQ_PIPELINE_OFF;
}

/* The connection is gone (or was never there): connect again when no
 * transaction depends on it. */
static ps_code ensure_connected(struct pg *p, const char *name, struct ps_err *err)
{
	if (p->conn && !connection_lost(p))
		return PS_OK;
	if (p->in_tx && p->tx_sent) {
		p->tx_broken = true;
		snprintf(p->broken, sizeof p->broken, "the connection to PostgreSQL at %s was lost mid-transaction",
			 p->where);
		return ps_err_set(err, PS_STORE, NULL, "%s: %s", name, p->broken);
	}
	ps_code c = connect_db(p, err);
	if (c != PS_OK)
		return c;
	p->tx_sent = false;
	return PS_OK;
}

/* The transaction cannot go on: say why, once; rollback() clears it. */
static void break_tx(struct pg *p, const struct ps_err *why)
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
static ps_code run_once(struct pg *p, struct q *qs, size_t n, unsigned flags, int64_t lock, PGresult **bad,
			size_t *bad_q, struct ps_err *err)
{
	struct slot slots[PIPE_MAX];
	size_t ns = 0, fail_at = 0;
	struct q lq;
	const char *name = ps_stmts[qs[0].id].name;
	bool guard = p->in_tx && (flags & RUN_WRITE);
	bool own = !p->in_tx && (flags & RUN_SNAPSHOT) && n > 1;
	bool take_lock = in_write_tx(p) && lock > 0 && !has_lock(p, lock);
	bool sent = true, lost = false;
	PGresult *first = NULL;
	ps_code c = PS_OK;

	*bad = NULL;
	assert(2 * n + 6 <= PIPE_MAX); /* begin, lock (prepare, run), savepoint, n x (prepare, run), release */
	if ((c = ensure_connected(p, name, err)) != PS_OK)
		return c;
	if (!PQenterPipelineMode(p->conn))
		return server_error(p, name, NULL, err);
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
		q_init(&lq, S_LOCK);
		p_i64(&lq, tenant_key(lock));
		if (!p->prepared[S_LOCK]) {
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
			p->prepared[slots[s].qi == SIZE_MAX ? S_LOCK : qs[slots[s].qi].id] = true;
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
		c = server_error(p, name, first, err);
		PQclear(first);
		for (size_t i = 0; i < n; i++)
			q_clear(&qs[i]);
		memset(p->prepared, 0, sizeof p->prepared);
		break_tx(p, err);
		return c;
	}
	if (first == NULL)
		return PS_OK;

	for (size_t i = 0; i < n; i++)
		q_clear(&qs[i]);
	enum slot_kind kind = slots[fail_at].kind;
	if (kind == SL_PREPARE && slots[fail_at].qi != SIZE_MAX)
		kind = SL_EXEC; /* a statement the server refuses to prepare: its error is the statement's */
	if (guard && kind == SL_EXEC) {
		/* Undo the refused statement alone: the transaction goes on. */
		PGresult *r = PQexec(p->conn, SQL_UNDO_SAVEPOINT);
		bool undone = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!undone) {
			c = server_error(p, name, first, err);
			PQclear(first);
			break_tx(p, err);
			return c;
		}
	} else if (p->in_tx) {
		/* BEGIN, the lock or a read failed: the transaction is aborted. */
		c = server_error(p, kind == SL_EXEC ? name : slots[fail_at].what, first, err);
		PQclear(first);
		break_tx(p, err);
		return c;
	} else if (PQtransactionStatus(p->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(p->conn, "ROLLBACK"));
	}
	if (kind != SL_EXEC) {
		c = server_error(p, slots[fail_at].what, first, err);
		PQclear(first);
		return c;
	}
	*bad = first;
	*bad_q = slots[fail_at].qi;
	return PS_STORE;
}

/* Run qs (see run_once), lock taking `lock`'s tenant lock first in a write
 * transaction (0: none). Outside a transaction, a lost race runs again,
 * and so does a read that found the connection gone (a server restart, a
 * failover): reading twice changes nothing. */
static ps_code run(struct pg *p, struct q *qs, size_t n, unsigned flags, int64_t lock, struct ps_err *err)
{
	if (p->in_tx && p->tx_broken)
		return ps_err_set(err, PS_STORE, NULL, "%s: the transaction was aborted (%s): roll it back",
				  ps_stmts[qs[0].id].name, p->broken);
	for (int attempt = 0;; attempt++) {
		PGresult *bad = NULL;
		size_t k = 0;
		ps_code c = run_once(p, qs, n, flags, lock, &bad, &k, err);
		if (bad == NULL && c != PS_OK && attempt == 0 && !p->in_tx && !(flags & RUN_WRITE) &&
		    connection_lost(p))
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

static ps_code run1(struct pg *p, struct q *q, unsigned flags, int64_t lock, struct ps_err *err)
{
	return run(p, q, 1, flags, lock, err);
}

static bool tenant_exists(struct pg *p, int64_t tenant)
{
	struct q q;
	q_init(&q, S_EXISTS_TENANT);
	p_i64(&q, tenant);
	if (run1(p, &q, 0, 0, NULL) != PS_OK)
		return true; /* cannot tell: keep the constraint's field */
	bool found = PQntuples(q.res) > 0;
	q_clear(&q);
	return found;
}

/* ---- Rows: libpq's binary results ---------------------------------------- */

static int64_t row_i64(const struct ps_row *r, int col)
{
	return col_i64((const PGresult *)r->h, r->i, col);
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

static struct ps_row row_at(const PGresult *res, int i)
{
	return (struct ps_row){&row_ops, res, i};
}

/* ---- Running a query (the executor of methods.c) ------------------------- */

/* The backend-neutral query in libpq's binary parameters. */
static void q_from(struct q *q, const struct ps_query *qu)
{
	q_init(q, qu->id);
	q->tenant = qu->tenant;
	for (int i = 0; i < qu->n; i++) {
		const struct ps_param *pa = &qu->p[i];
		switch (pa->kind) {
		case PS_P_I64: p_i64(q, pa->i64); break;
		case PS_P_NULL: p_opt(q, 0); break;
		case PS_P_BOOL: p_bool(q, pa->i64 != 0); break;
		case PS_P_TEXT: p_text(q, pa->s, pa->len); break;
		}
	}
}

static ps_code x_exec(struct ps_store *st, struct ps_query *qu, struct ps_err *err)
{
	struct q q;
	q_from(&q, qu);
	ps_code c = run1(pg_of(st), &q, RUN_WRITE, qu->lock, err);
	q_clear(&q);
	return c;
}

static ps_code x_insert_id(struct ps_store *st, struct ps_query *qu, int64_t *id, struct ps_err *err)
{
	struct q q;
	q_from(&q, qu);
	ps_code c = run1(pg_of(st), &q, RUN_WRITE, qu->lock, err);
	if (c == PS_OK && PQntuples(q.res) == 1)
		*id = col_i64(q.res, 0, 0);
	else if (c == PS_OK)
		c = ps_err_set(err, PS_STORE, NULL, "%s: PostgreSQL returned no id", ps_stmts[q.id].name);
	q_clear(&q);
	return c;
}

static ps_code x_change_one(struct ps_store *st, struct ps_query *qu, const char *field, const char *msg,
			    struct ps_err *err)
{
	struct q q;
	q_from(&q, qu);
	ps_code c = run1(pg_of(st), &q, RUN_WRITE, qu->lock, err);
	if (c == PS_OK && affected(q.res) == 0)
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	q_clear(&q);
	return c;
}

static ps_code x_get_one(struct ps_store *st, struct ps_query *qu, ps_decode_fn decode, void *out, const char *field,
			 const char *msg, struct ps_err *err)
{
	struct q q;
	q_from(&q, qu);
	ps_code c = run1(pg_of(st), &q, 0, qu->lock, err);
	if (c == PS_OK && PQntuples(q.res) > 0) {
		struct ps_row r = row_at(q.res, 0);
		c = decode(&r, out, err);
	} else if (c == PS_OK) {
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	}
	q_clear(&q);
	return c;
}

/* A list query whose last two parameters, (after, limit), are bound here
 * page by page: each page starts after the key (column key_col) of the one
 * before, so a walk holds one page at a time however long the list, and
 * the callback may call any method of the handle. */
static ps_code x_walk(struct ps_store *st, struct ps_query *qu, int key_col, int64_t after, size_t limit,
		      ps_visit_fn visit, union ps_list_cb cb, void *arg, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	struct q q;
	size_t seen = 0;
	bool more = true;
	ps_code c = PS_OK;

	q_from(&q, qu);
	int bound = q.n;
	while (more) {
		size_t want = PAGE_ROWS;
		if (limit != 0 && limit - seen < want)
			want = limit - seen;
		q.n = bound;
		p_i64(&q, after);
		p_limit(&q, want);
		if ((c = run1(p, &q, 0, qu->lock, err)) != PS_OK)
			return c;
		int rows = PQntuples(q.res);
		for (int i = 0; i < rows && more; i++) {
			struct ps_row r = row_at(q.res, i);
			after = col_i64(q.res, i, key_col);
			c = visit(&r, cb, arg, &more, err);
			if (c != PS_OK)
				more = false;
		}
		q_clear(&q);
		seen += (size_t)rows;
		if ((size_t)rows < want || (limit != 0 && seen >= limit))
			break;
	}
	return c;
}

static const struct ps_sql_exec pg_exec = {x_exec, x_insert_id, x_change_one, x_get_one, x_walk};

/* ---- Schema and transactions ------------------------------------------- */

static void pg_close(struct ps_store *st)
{
	struct pg *p = pg_of(st);
	PQfinish(p->conn);
	ps_free(p->url);
	ps_free(p);
}

/* Run SQL text without parameters (several statements may follow each
 * other); on failure, the message names `what`. */
static ps_code exec_text(struct pg *p, const char *what, const char *sql, struct ps_err *err)
{
	PGresult *r = PQexec(p->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	ps_code c = PS_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		c = server_error(p, what, r, err);
	PQclear(r);
	return c;
}

/* The first column of the first row of sql as text ("" when none). */
static ps_code query_text(struct pg *p, const char *what, const char *sql, char *out, size_t cap, struct ps_err *err)
{
	PGresult *r = PQexec(p->conn, sql);
	ps_code c = PS_OK;
	out[0] = '\0';
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		c = server_error(p, what, r, err);
	else if (PQntuples(r) > 0)
		snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return c;
}

/* The schema's header: *exists false when there is no schema_version in
 * the current schema; else its application and version. */
static ps_code read_header(struct pg *p, bool *exists, char *app, size_t cap, int64_t *version, struct ps_err *err)
{
	char v[64];
	ps_code c = query_text(p, "schema",
			       "SELECT coalesce(current_schema(), '') || '/' || (SELECT count(*) FROM pg_class"
			       " WHERE relname = 'schema_version' AND relnamespace = current_schema()::regnamespace)",
			       v, sizeof v, err);
	if (c != PS_OK)
		return c;
	if (v[0] == '/')
		return ps_err_set(err, PS_STORE, "db",
				  "PostgreSQL at %s: no schema to work in (the search_path names none that exists)",
				  p->where);
	*exists = strcmp(strchr(v, '/') + 1, "0") != 0;
	*version = 0;
	app[0] = '\0';
	if (!*exists)
		return PS_OK;
	c = query_text(p, "schema", "SELECT app FROM schema_version WHERE one = 1", app, cap, err);
	if (c == PS_OK)
		c = query_text(p, "schema", "SELECT version FROM schema_version WHERE one = 1", v, sizeof v, err);
	if (c == PS_OK)
		*version = strtoll(v, NULL, 10);
	return c;
}

static ps_code newer_schema(int64_t version, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "the store's schema is version %" PRId64 ", newer than this binary's (%d): "
			  "use a newer planshift",
			  version, PS_SCHEMA_VERSION);
}

static ps_code foreign_schema(struct pg *p, const char *app, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "PostgreSQL at %s: this schema is not a planshift store (its schema_version is %.64s's):"
			  " refusing to use it",
			  p->where, app);
}

static ps_code migrate_steps(struct pg *p, struct ps_err *err)
{
	char app[80], sql[160], v[32];
	bool exists;
	int64_t version;
	ps_code c = read_header(p, &exists, app, sizeof app, &version, err);
	if (c != PS_OK)
		return c;
	if (exists && strcmp(app, APP_NAME) != 0)
		return foreign_schema(p, app, err);
	if (version > PS_SCHEMA_VERSION)
		return newer_schema(version, err);
	if (!exists) {
		c = query_text(p, "migrate",
			       "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace", v,
			       sizeof v, err);
		if (c != PS_OK)
			return c;
		if (strcmp(v, "0") != 0)
			return ps_err_set(
			    err, PS_SCHEMA, NULL,
			    "PostgreSQL at %s: the schema holds another application's tables:"
			    " refusing to add planshift's (give planshift a database or schema of its own)",
			    p->where);
		c = exec_text(p, "migrate",
			      "CREATE TABLE schema_version (\n"
			      "\tone smallint PRIMARY KEY CHECK (one = 1),\n"
			      "\tapp text NOT NULL,\n"
			      "\tversion integer NOT NULL\n"
			      ");\n"
			      "INSERT INTO schema_version (one, app, version) VALUES (1, '" APP_NAME "', 0)",
			      err);
		if (c != PS_OK)
			return c;
	}
	for (int64_t step = version; step < PS_SCHEMA_VERSION; step++) {
		PGresult *r = PQexec(p->conn, migrations[step]);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char msg[400];
			const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
			/* The one data condition a step can refuse. */
			bool two_upgrades = step == 1 && cons && strcmp(cons, "operations_one_upgrade") == 0;
			one_line(msg, sizeof msg, PQresultErrorMessage(r));
			c = ps_err_set(err, PS_STORE, NULL, "migrate: step to version %" PRId64 " failed: %s%s",
				       step + 1, msg,
				       two_upgrades ? " (a tenant has two unfinished upgrade operations: mark all but "
						      "one of them failed, then migrate again)"
						    : "");
			PQclear(r);
			return c;
		}
		PQclear(r);
	}
	snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d WHERE one = 1", PS_SCHEMA_VERSION);
	return exec_text(p, "migrate", sql, err);
}

static ps_code pg_migrate(struct ps_store *st, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	char sql[96];
	if (p->in_tx)
		return ps_err_set(err, PS_STORE, NULL, "migrate: not allowed inside a transaction");
	ps_code c = ensure_connected(p, "migrate", err);
	if (c != PS_OK)
		return c;
	/* One transaction, one migrating process at a time. */
	snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%" PRId64 ")", (int64_t)LOCK_MIGRATE);
	c = exec_text(p, "migrate", sql, err);
	if (c == PS_OK)
		c = migrate_steps(p, err);
	if (c == PS_OK)
		c = exec_text(p, "migrate", "COMMIT", err);
	if (c != PS_OK && PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		PQclear(PQexec(p->conn, "ROLLBACK"));
	return c;
}

static ps_code pg_check_schema(struct ps_store *st, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	char app[80];
	bool exists;
	int64_t version;
	ps_code c = ensure_connected(p, "schema", err);
	if (c == PS_OK)
		c = read_header(p, &exists, app, sizeof app, &version, err);
	if (c != PS_OK)
		return c;
	if (!exists)
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "the store has no schema yet: run `planshift init` on it first");
	if (strcmp(app, APP_NAME) != 0)
		return foreign_schema(p, app, err);
	if (version > PS_SCHEMA_VERSION)
		return newer_schema(version, err);
	if (version < PS_SCHEMA_VERSION)
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "the store's schema is version %" PRId64 ", this binary needs %d: "
				  "run `planshift init` on it to migrate it",
				  version, PS_SCHEMA_VERSION);
	return PS_OK;
}

static ps_code pg_begin(struct ps_store *st, enum ps_tx kind, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	if (p->in_tx)
		return ps_err_set(err, PS_STORE, NULL, "begin: a transaction is already open on this handle");
	tx_reset(p);
	p->in_tx = true;
	p->tx_kind = kind;
	return PS_OK;
}

static ps_code pg_commit(struct ps_store *st, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	char msg[400];
	ps_code c = PS_OK;
	if (!p->in_tx)
		return ps_err_set(err, PS_STORE, NULL, "commit: no transaction is open on this handle");
	if (p->tx_broken) {
		c = ps_err_set(err, PS_STORE, NULL, "commit: the transaction was aborted (%s): nothing was kept",
			       p->broken);
		if (p->conn && PQstatus(p->conn) == CONNECTION_OK)
			PQclear(PQexec(p->conn, "ROLLBACK"));
	} else if (p->tx_sent) {
		PGresult *r = PQexec(p->conn, "COMMIT");
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			c = server_error(p, "commit", r, err);
		else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) /* an aborted one ends as ROLLBACK */
			c = ps_err_set(err, PS_STORE, NULL, "commit: PostgreSQL rolled the transaction back");
		if (c != PS_OK && PQstatus(p->conn) != CONNECTION_OK) {
			one_line(msg, sizeof msg, PQerrorMessage(p->conn));
			c = ps_err_set(err, PS_STORE, NULL,
				       "commit: the connection to PostgreSQL at %s was lost; whether the transaction "
				       "was kept is unknown (%s)",
				       p->where, msg);
		}
		PQclear(r);
	}
	tx_reset(p);
	return c;
}

static void pg_rollback(struct ps_store *st)
{
	struct pg *p = pg_of(st);
	if (!p->in_tx)
		return;
	if (p->tx_sent && p->conn && PQstatus(p->conn) == CONNECTION_OK)
		PQclear(PQexec(p->conn, "ROLLBACK"));
	tx_reset(p);
}

/* ---- The catalog --------------------------------------------------------- */

static ps_code pg_catalog_put(struct ps_store *st, const char *json, size_t len, int64_t now, struct ps_err *err)
{
	struct ps_query q;
	if (len >= INT_MAX)
		return ps_err_set(err, PS_STORE, "catalog", "catalog_put: the catalog (%zu bytes) cannot be stored",
				  len);
	ps_q_init(&q, S_CATALOG_PUT, 0);
	ps_q_text(&q, json, len);
	ps_q_i64(&q, now);
	return x_exec(st, &q, err);
}

/* Before an automatic upgrade is inserted in a write transaction: take the
 * capacity lock (held to the end of the transaction, so one daemon at a
 * time adds to the count), then count again. More than this transaction's
 * snapshot saw means another daemon started an upgrade since, and the
 * rules were evaluated on a stale count: the transaction must run again. */
static ps_code capacity_check(struct pg *p, int64_t tenant, struct ps_err *err)
{
	struct q qs[2];
	q_init(&qs[0], S_LOCK);
	p_i64(&qs[0], (int64_t)LOCK_CAPACITY);
	q_init(&qs[1], S_SNAP_CAPACITY);
	p_i64(&qs[1], ps_capacity_window_start(p->cap_now));
	p_i64(&qs[1], p->cap_now);
	ps_code c = run(p, qs, 2, 0, tenant, err);
	if (c != PS_OK)
		return c;
	int64_t used = PQntuples(qs[1].res) > 0 ? col_i64(qs[1].res, 0, 0) : 0;
	q_clear(&qs[0]);
	q_clear(&qs[1]);
	if (used > p->cap_used)
		return ps_err_set(err, PS_RETRY, NULL,
				  "operation_insert: another daemon started an automatic upgrade since this transaction"
				  " counted the capacity (%" PRId64 " then, %" PRId64
				  " now): run the transaction again",
				  p->cap_used, used);
	return PS_OK;
}

static ps_code pg_operation_insert(struct ps_store *st, struct ps_operation *op, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	if (op->kind == PS_OPK_UPGRADE && in_write_tx(p) && p->cap_seen) {
		ps_code c = capacity_check(p, op->tenant_id, err);
		if (c != PS_OK)
			return c;
	}
	return ps_sql_operation_insert(st, op, err);
}

static ps_code pg_credit_check_get(struct ps_store *st, int64_t id, struct ps_credit_check *out, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	ps_code c = ps_sql_credit_check_get_locked(st, id, 0, out, err);
	/* Found by id alone, before its tenant was known: in a write
	 * transaction, read it again under its tenant's lock. */
	if (c == PS_OK && in_write_tx(p) && !has_lock(p, out->tenant_id))
		c = ps_sql_credit_check_get_locked(st, id, out->tenant_id, out, err);
	return c;
}

/* ---- Schema version 2: moving seats ------------------------------------ */

static ps_code pg_assignments_move(struct ps_store *st, int64_t tenant, int64_t from, int64_t to,
				   const char *product_id, int64_t *moved, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	char product[PS_ID_MAX + 1] = "";
	bool have_from = false, have_to = false;
	struct q q;

	/* Both subscriptions are the tenant's; the seats take the target's
	 * product, so the seat rule sees the product they will really have. */
	q_init(&q, S_MOVE_SUBS);
	p_i64(&q, tenant);
	p_i64(&q, from);
	p_i64(&q, to);
	ps_code c = run1(p, &q, 0, tenant, err);
	if (c != PS_OK)
		return c;
	for (int i = 0; i < PQntuples(q.res); i++) {
		int64_t id = col_i64(q.res, i, 0);
		have_from = have_from || id == from;
		if (id == to) {
			have_to = true;
			struct ps_row r = row_at(q.res, i);
			if (!ps_col_str(&r, 1, product, sizeof product))
				c = ps_bad_value(err, "subscriptions.product_id");
		}
	}
	q_clear(&q);
	if (c != PS_OK)
		return c;
	if (!have_from)
		return ps_err_set(err, PS_NOT_FOUND, "source",
				  "source: the subscription does not exist for this tenant");
	if (!have_to)
		return ps_err_set(err, PS_NOT_FOUND, "new_subscription",
				  "new_subscription: the subscription does not exist for this tenant");
	if (product_id != NULL && strcmp(product_id, product) != 0)
		return ps_err_set(err, PS_INVALID_FIELD, "product",
				  "assignments_move: product %.64s is not the new subscription's (%s)", product_id,
				  product);

	q_init(&q, S_MOVE_SEATS);
	p_i64(&q, tenant);
	p_i64(&q, from);
	p_i64(&q, to);
	p_str(&q, product);
	if ((c = run1(p, &q, RUN_WRITE, tenant, err)) != PS_OK)
		return c;
	if (moved)
		*moved = PQntuples(q.res) > 0 ? col_i64(q.res, 0, 0) : 0;
	q_clear(&q);
	return PS_OK;
}

/* ---- The snapshot ------------------------------------------------------ */

enum { SN_TENANT, SN_SUBS, SN_INCIDENTS, SN_OPS, SN_CREDIT, SN_PAST_DUE, SN_CAPACITY, SN__COUNT };

/* Each row of r through fn (a decoder, or a snapshot row's reader). */
static ps_code each(const PGresult *r, ps_code (*fn)(const struct ps_row *row, struct ps_snapshot *snap,
						     struct ps_err *err),
		   struct ps_snapshot *snap, struct ps_err *err)
{
	ps_code c = PS_OK;
	for (int i = 0; c == PS_OK && i < PQntuples(r); i++) {
		struct ps_row row = row_at(r, i);
		c = fn(&row, snap, err);
	}
	return c;
}

static ps_code sub_row(const struct ps_row *r, struct ps_snapshot *snap, struct ps_err *err)
{
	return ps_read_sub(r, &ps_snapshot_add_sub(snap)->s, err);
}

static ps_code op_row(const struct ps_row *r, struct ps_snapshot *snap, struct ps_err *err)
{
	return ps_read_op(r, ps_snapshot_add_op(snap), err);
}

static ps_code fill_snapshot(struct q *qs, struct ps_snapshot *snap, struct ps_err *err)
{
	ps_code c;
	if (PQntuples(qs[SN_TENANT].res) == 0)
		return ps_err_set(err, PS_NOT_FOUND, "tenant", "the tenant does not exist");
	struct ps_row r = row_at(qs[SN_TENANT].res, 0);
	if ((c = ps_read_tenant(&r, &snap->tenant, err)) != PS_OK ||
	    (c = each(qs[SN_SUBS].res, sub_row, snap, err)) != PS_OK ||
	    (c = each(qs[SN_INCIDENTS].res, ps_snap_add_incident, snap, err)) != PS_OK ||
	    (c = each(qs[SN_OPS].res, op_row, snap, err)) != PS_OK)
		return c;
	if (PQntuples(qs[SN_CREDIT].res) > 0) {
		r = row_at(qs[SN_CREDIT].res, 0);
		snap->has_credit_check = true;
		if ((c = ps_read_credit(&r, &snap->credit_check, err)) != PS_OK)
			return c;
	}
	if (PQntuples(qs[SN_PAST_DUE].res) > 0) {
		r = row_at(qs[SN_PAST_DUE].res, 0);
		ps_snap_past_due(&r, 0, snap);
	}
	if (PQntuples(qs[SN_CAPACITY].res) > 0) {
		r = row_at(qs[SN_CAPACITY].res, 0);
		ps_snap_capacity(&r, snap);
	}
	return PS_OK;
}

/* Seven queries, one round trip: in the caller's transaction (a write one
 * takes the tenant's lock first), else in a read-only snapshot of its own. */
static ps_code pg_snapshot_load(struct ps_store *st, int64_t tenant, int64_t now, struct ps_snapshot *snap,
				struct ps_err *err)
{
	struct pg *p = pg_of(st);
	struct q qs[SN__COUNT];
	int64_t window_start = ps_capacity_window_start(now);

	ps_snapshot_reset(snap);
	q_init(&qs[SN_TENANT], S_SNAP_TENANT);
	p_i64(&qs[SN_TENANT], tenant);
	q_init(&qs[SN_SUBS], S_SNAP_SUBS);
	p_i64(&qs[SN_SUBS], tenant);
	q_init(&qs[SN_INCIDENTS], S_SNAP_INCIDENTS);
	q_init(&qs[SN_OPS], S_SNAP_OPS);
	p_i64(&qs[SN_OPS], tenant);
	q_init(&qs[SN_CREDIT], S_SNAP_CREDIT);
	p_i64(&qs[SN_CREDIT], tenant);
	q_init(&qs[SN_PAST_DUE], S_SNAP_PAST_DUE);
	p_i64(&qs[SN_PAST_DUE], tenant);
	p_i64(&qs[SN_PAST_DUE], now);
	q_init(&qs[SN_CAPACITY], S_SNAP_CAPACITY);
	p_i64(&qs[SN_CAPACITY], window_start);
	p_i64(&qs[SN_CAPACITY], now);
	ps_code c = run(p, qs, SN__COUNT, RUN_SNAPSHOT, tenant, err);
	if (c == PS_OK)
		c = fill_snapshot(qs, snap, err);
	for (size_t i = 0; i < SN__COUNT; i++)
		q_clear(&qs[i]);
	snap->capacity_limit = 0;
	if (c == PS_OK && in_write_tx(p)) {
		p->cap_seen = true;
		p->cap_now = now;
		p->cap_used = snap->capacity_used;
	}
	return c;
}

/* ---- Snapshots of many tenants (sweeps) -------------------------------- */

enum { SC_TENANTS, SC_SUBS, SC_INCIDENTS, SC_OPS, SC_CREDIT, SC_PAST_DUE, SC_CAPACITY, SC__COUNT };

/* A cursor over one scan result: rows in tenant order, the tenant id in
 * column 0. at() skips the rows of tenants before t (none in one
 * snapshot; it only keeps the merge in step) and says whether the current
 * row is t's. */
struct cur {
	const PGresult *r;
	int row, rows;
};

static bool at(struct cur *k, int64_t t)
{
	while (k->row < k->rows && col_i64(k->r, k->row, 0) < t)
		k->row++;
	return k->row < k->rows && col_i64(k->r, k->row, 0) == t;
}

/* One batch: its queries in one round trip, then every tenant's snapshot
 * merged from them and given to cb. *n gets the number of tenants in the
 * batch, *stop whether cb said to stop. */
static ps_code scan_batch(struct pg *p, int64_t after, size_t batch, int64_t now, struct ps_snapshot *snap,
			  ps_snapshot_cb cb, void *arg, int64_t *last, size_t *n, bool *stop, struct ps_err *err)
{
	struct q qs[SC__COUNT];
	int64_t window_start = ps_capacity_window_start(now);
	static const enum ps_stmt ids[SC__COUNT] = {S_SCAN_TENANTS, S_SCAN_SUBS,     S_SNAP_INCIDENTS, S_SCAN_OPS,
						    S_SCAN_CREDIT,  S_SCAN_PAST_DUE, S_SNAP_CAPACITY};
	ps_code c = PS_OK;

	for (size_t i = 0; i < SC__COUNT; i++) {
		q_init(&qs[i], ids[i]);
		if (i == SC_INCIDENTS)
			continue;
		if (i == SC_CAPACITY) {
			p_i64(&qs[i], window_start);
			p_i64(&qs[i], now);
			continue;
		}
		p_i64(&qs[i], after);
		p_limit(&qs[i], batch);
		if (i == SC_PAST_DUE)
			p_i64(&qs[i], now);
	}
	if ((c = run(p, qs, SC__COUNT, 0, 0, err)) != PS_OK)
		return c;

	struct cur subs = {qs[SC_SUBS].res, 0, PQntuples(qs[SC_SUBS].res)};
	struct cur ops = {qs[SC_OPS].res, 0, PQntuples(qs[SC_OPS].res)};
	struct cur credit = {qs[SC_CREDIT].res, 0, PQntuples(qs[SC_CREDIT].res)};
	struct cur due = {qs[SC_PAST_DUE].res, 0, PQntuples(qs[SC_PAST_DUE].res)};
	const PGresult *tenants = qs[SC_TENANTS].res, *inc = qs[SC_INCIDENTS].res, *cap = qs[SC_CAPACITY].res;
	*n = (size_t)PQntuples(tenants);
	for (int i = 0; c == PS_OK && i < PQntuples(tenants) && !*stop; i++) {
		ps_snapshot_reset(snap);
		struct ps_row r = row_at(tenants, i);
		if ((c = ps_read_tenant(&r, &snap->tenant, err)) != PS_OK)
			break;
		int64_t t = snap->tenant.id;
		for (; c == PS_OK && at(&subs, t); subs.row++) {
			r = row_at(subs.r, subs.row);
			c = sub_row(&r, snap, err);
		}
		if (c == PS_OK)
			c = each(inc, ps_snap_add_incident, snap, err);
		for (; c == PS_OK && at(&ops, t); ops.row++) {
			r = row_at(ops.r, ops.row);
			c = op_row(&r, snap, err);
		}
		if (c == PS_OK && at(&credit, t)) {
			r = row_at(credit.r, credit.row);
			snap->has_credit_check = true;
			c = ps_read_credit(&r, &snap->credit_check, err);
		}
		if (c == PS_OK && at(&due, t)) {
			r = row_at(due.r, due.row);
			ps_snap_past_due(&r, 1, snap);
		}
		if (PQntuples(cap) > 0) {
			r = row_at(cap, 0);
			ps_snap_capacity(&r, snap);
		}
		snap->capacity_limit = 0;
		if (c != PS_OK)
			break;
		*last = t;
		*stop = !cb(arg, snap);
	}
	for (size_t i = 0; i < SC__COUNT; i++)
		q_clear(&qs[i]);
	return c;
}

/* Batches of at most PAGE_ROWS tenants, all in one read snapshot: the
 * caller's transaction, or one of our own. */
static ps_code pg_snapshot_scan(struct ps_store *st, int64_t after, size_t limit, int64_t now, struct ps_snapshot *snap,
				ps_snapshot_cb cb, void *arg, int64_t *last, struct ps_err *err)
{
	struct pg *p = pg_of(st);
	bool own = !p->in_tx, stop = false;
	size_t seen = 0;
	ps_code c = PS_OK;

	*last = after;
	if (own && (c = pg_begin(st, PS_TX_READ, err)) != PS_OK)
		return c;
	while (!stop && (limit == 0 || seen < limit)) {
		size_t batch = limit == 0 || limit - seen > PAGE_ROWS ? PAGE_ROWS : limit - seen, n = 0;
		if ((c = scan_batch(p, *last, batch, now, snap, cb, arg, last, &n, &stop, err)) != PS_OK || n < batch)
			break;
		seen += n;
	}
	if (own) {
		if (c == PS_OK)
			c = pg_commit(st, err);
		else
			pg_rollback(st);
	}
	return c;
}

/* ---- Opening ----------------------------------------------------------- */

/* The methods of ps_store.h that are PostgreSQL's own (the others: methods.c). */
#define PG_OWN(X)                                                                                                      \
	X(close, pg_close)                                                                                             \
	X(migrate, pg_migrate)                                                                                         \
	X(check_schema, pg_check_schema)                                                                               \
	X(begin, pg_begin)                                                                                             \
	X(commit, pg_commit)                                                                                           \
	X(rollback, pg_rollback)                                                                                       \
	X(catalog_put, pg_catalog_put)                                                                                 \
	X(credit_check_get, pg_credit_check_get)                                                                       \
	X(operation_insert, pg_operation_insert)                                                                       \
	X(snapshot_load, pg_snapshot_load)                                                                             \
	X(snapshot_scan, pg_snapshot_scan)                                                                             \
	X(assignments_move, pg_assignments_move)

PS_SQL_TABLE(pg_ops, "postgresql", PG_OWN);

ps_code ps_pg_open(const char *url, struct ps_store **out, struct ps_err *err)
{
	char *emsg = NULL, msg[300];
	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "db", "the PostgreSQL store needs a URL");
	PQconninfoOption *opts = PQconninfoParse(url, &emsg);
	if (opts == NULL) {
		one_line(msg, sizeof msg, emsg ? emsg : "out of memory");
		PQfreemem(emsg);
		return ps_err_set(err, PS_INVALID_FIELD, "db", "the PostgreSQL URL is not valid: %s", msg);
	}
	PQconninfoFree(opts);

	struct pg *p = ps_calloc(1, sizeof *p);
	p->sql.base.ops = &pg_ops;
	p->sql.x = &pg_exec;
	p->url = ps_strdup(url);
	describe(url, p->where, sizeof p->where);
	ps_code c = connect_db(p, err);
	if (c != PS_OK) {
		pg_close(&p->sql.base);
		return c;
	}
	*out = &p->sql.base;
	return PS_OK;
}
