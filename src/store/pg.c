/* pg.c: the PostgreSQL store backend (store layer): its handle, connection,
 * schema and transactions. One libpq connection per handle; each method is
 * one pipeline, one round trip (pg_pipe.c). A write transaction runs at READ
 * COMMITTED and takes its tenant's advisory lock before its first statement
 * about that tenant, so one tenant's changes are serial, as under SQLite's
 * single writer (pg_snap.c: the capacity lock). doc/POSTGRES.md says why. */
#include "pg_int.h"

#include "../common/ps_mem.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SERVER 110000
#define APP_NAME   "planshift"

/* ---- Schema ------------------------------------------------------------ */

/* Migrations, in order: migrations[k] takes the schema from version k to
 * k + 1, the versions of ps_store.h, as SQLite's do; the version reached
 * is kept in schema_version. They are the files src/store/sql/pg/NNN.sql,
 * embedded at build time. A released step is never edited: changes go in
 * a new step. */
const char *const ps_pg_migrations[] = {ps_sql_pg_001, ps_sql_pg_002, ps_sql_pg_003, ps_sql_pg_004, ps_sql_pg_005,
					ps_sql_pg_006, ps_sql_pg_007, ps_sql_pg_008, ps_sql_pg_009, ps_sql_pg_010, ps_sql_pg_011, ps_sql_pg_012, ps_sql_pg_013};

_Static_assert(PS_ARRAY_LEN(ps_pg_migrations) == PS_SCHEMA_VERSION, "one migration step per schema version");

/* ---- The handle -------------------------------------------------------- */

/* No transaction open. */
static void tx_reset(struct ps_pg *p)
{
	p->in_tx = p->tx_sent = p->tx_broken = false;
	p->broken[0] = '\0';
	p->n_locked = 0;
	p->cap_seen = false;
}

/* ---- Connecting ------------------------------------------------------- */

/* libpq's message on one line, without its trailing newline. */
void ps_pg_one_line(char *dst, size_t cap, const char *msg)
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
ps_code ps_pg_connect(struct ps_pg *p, struct ps_err *err)
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
		ps_pg_one_line(msg, sizeof msg, PQerrorMessage(p->conn));
		return ps_err_set(err, PS_STORE, "db", "cannot connect to PostgreSQL at %s: %s", p->where, msg);
	}
	PQsetNoticeProcessor(p->conn, no_notices, NULL);
	if (PQserverVersion(p->conn) < MIN_SERVER)
		return ps_err_set(err, PS_STORE, "db", "PostgreSQL at %s is version %d: planshift needs 11 or later",
				  p->where, PQserverVersion(p->conn));
	char set[64];
	snprintf(set, sizeof set, "SET lock_timeout = %d", PS_PG_LOCK_TIMEOUT_MS);
	PGresult *r = PQexec(p->conn, set);
	ps_code c = PS_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		ps_pg_one_line(msg, sizeof msg, PQerrorMessage(p->conn));
		c = ps_err_set(err, PS_STORE, "db", "PostgreSQL at %s: %s", p->where, msg);
	}
	PQclear(r);
	return c;
}

/* ---- Schema and transactions ------------------------------------------- */

static void pg_close(struct ps_store *st)
{
	struct ps_pg *p = ps_pg_of(st);
	PQfinish(p->conn);
	ps_free(p->url);
	ps_free(p);
}

/* Run SQL text without parameters (several statements may follow each
 * other); on failure, the message names `what`. */
static ps_code exec_text(struct ps_pg *p, const char *what, const char *sql, struct ps_err *err)
{
	PGresult *r = PQexec(p->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	ps_code c = PS_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		c = ps_pg_server_error(p, what, r, err);
	PQclear(r);
	return c;
}

/* The first column of the first row of sql as text ("" when none). */
static ps_code query_text(struct ps_pg *p, const char *what, const char *sql, char *out, size_t cap, struct ps_err *err)
{
	PGresult *r = PQexec(p->conn, sql);
	ps_code c = PS_OK;
	out[0] = '\0';
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		c = ps_pg_server_error(p, what, r, err);
	else if (PQntuples(r) > 0)
		snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return c;
}

/* The schema's header: *exists false when there is no schema_version in
 * the current schema; else its application and version. */
static ps_code read_header(struct ps_pg *p, bool *exists, char *app, size_t cap, int64_t *version, struct ps_err *err)
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

static ps_code foreign_schema(struct ps_pg *p, const char *app, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "PostgreSQL at %s: this schema is not a planshift store (its schema_version is %.64s's):"
			  " refusing to use it",
			  p->where, app);
}

static ps_code migrate_steps(struct ps_pg *p, struct ps_err *err)
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
		return ps_schema_newer(version, err);
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
		PGresult *r = PQexec(p->conn, ps_pg_migrations[step]);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char msg[400];
			const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
			/* The one data condition a step can refuse. */
			bool two_upgrades = step == 1 && cons && strcmp(cons, "operations_one_upgrade") == 0;
			ps_pg_one_line(msg, sizeof msg, PQresultErrorMessage(r));
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
	struct ps_pg *p = ps_pg_of(st);
	char sql[96];
	if (p->in_tx)
		return ps_err_set(err, PS_STORE, NULL, "migrate: not allowed inside a transaction");
	ps_code c = ps_pg_ensure_connected(p, "migrate", err);
	if (c != PS_OK)
		return c;
	/* One transaction, one migrating process at a time. */
	snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%" PRId64 ")", (int64_t)PS_PG_LOCK_MIGRATE);
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
	struct ps_pg *p = ps_pg_of(st);
	char app[80];
	bool exists;
	int64_t version;
	ps_code c = ps_pg_ensure_connected(p, "schema", err);
	if (c == PS_OK)
		c = read_header(p, &exists, app, sizeof app, &version, err);
	if (c != PS_OK)
		return c;
	if (!exists)
		return ps_schema_missing(err);
	if (strcmp(app, APP_NAME) != 0)
		return foreign_schema(p, app, err);
	return ps_schema_version(version, err);
}

static ps_code pg_begin(struct ps_store *st, enum ps_tx kind, struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
	if (p->in_tx)
		return ps_err_set(err, PS_STORE, NULL, "begin: a transaction is already open on this handle");
	tx_reset(p);
	p->in_tx = true;
	p->tx_kind = kind;
	return PS_OK;
}

static ps_code pg_commit(struct ps_store *st, struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
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
			c = ps_pg_server_error(p, "commit", r, err);
		else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) /* an aborted one ends as ROLLBACK */
			c = ps_err_set(err, PS_STORE, NULL, "commit: PostgreSQL rolled the transaction back");
		if (c != PS_OK && PQstatus(p->conn) != CONNECTION_OK) {
			ps_pg_one_line(msg, sizeof msg, PQerrorMessage(p->conn));
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
	struct ps_pg *p = ps_pg_of(st);
	if (!p->in_tx)
		return;
	if (p->tx_sent && p->conn && PQstatus(p->conn) == CONNECTION_OK)
		PQclear(PQexec(p->conn, "ROLLBACK"));
	tx_reset(p);
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
	X(credit_check_get, ps_pg_credit_check_get)                                                                       \
	X(operation_insert, ps_pg_operation_insert)                                                                       \
	X(snapshot_load, ps_pg_snapshot_load)                                                                             \
	X(snapshot_scan, ps_pg_snapshot_scan)                                                                             \
	X(assignments_move, ps_pg_assignments_move)

PS_SQL_TABLE(pg_ops, "postgresql", PG_OWN);

ps_code ps_pg_open(const char *url, struct ps_store **out, struct ps_err *err)
{
	char *emsg = NULL, msg[300];
	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "db", "the PostgreSQL store needs a URL");
	PQconninfoOption *opts = PQconninfoParse(url, &emsg);
	if (opts == NULL) {
		ps_pg_one_line(msg, sizeof msg, emsg ? emsg : "out of memory");
		PQfreemem(emsg);
		return ps_err_set(err, PS_INVALID_FIELD, "db", "the PostgreSQL URL is not valid: %s", msg);
	}
	PQconninfoFree(opts);

	struct ps_pg *p = ps_calloc(1, sizeof *p);
	p->sql.base.ops = &pg_ops;
	p->sql.x = &ps_pg_exec;
	p->url = ps_strdup(url);
	describe(url, p->where, sizeof p->where);
	ps_code c = ps_pg_connect(p, err);
	if (c != PS_OK) {
		pg_close(&p->sql.base);
		return c;
	}
	*out = &p->sql.base;
	return PS_OK;
}
