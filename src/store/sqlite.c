/* sqlite.c: the SQLite store backend (store layer): its handle, schema,
 * transactions and executor. One connection per handle in WAL mode with
 * foreign keys on; every statement (stmts.c) is prepared once per
 * connection, on first use, and reset after each use. Ids come from the
 * `sequences` table, bumped by triggers, so each write method is a single
 * statement and atomic on its own. */
#include "sqlite_int.h"

#include "../common/ps_mem.h"
#include "../common/ps_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A write waits this long at most for another connection's write lock, then
 * the call answers 503 with Retry-After: a worker thread is not held up
 * longer (reads need no lock in WAL mode and never wait). */
#define BUSY_TIMEOUT_MS 1000
/* The memory-mapped size asked for (1 TiB: SQLite takes its own maximum)
 * and the page cache of each connection (-KiB), set at open. */
#define PS_SQ_MMAP_MAX "1099511627776"
#define PS_SQ_CACHE_KIB "-65536"

/* PRAGMA application_id: "PLSH", marks the file as a planshift store. */
#define APP_ID		0x504C5348

/* SQLite's busy timeout, counted (GET /metrics): wait a little longer each
 * time another connection holds the lock, up to BUSY_TIMEOUT_MS in all. */
static int busy_wait(void *arg, int count)
{
	static const int delay_ms[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
	const int n = (int)(sizeof delay_ms / sizeof delay_ms[0]);
	int waited = 0;
	for (int i = 0; i < count && i < n; i++)
		waited += delay_ms[i];
	if (count >= n)
		waited += (count - n) * delay_ms[n - 1];
	int next = delay_ms[count < n ? count : n - 1];
	if (waited + next > BUSY_TIMEOUT_MS) {
		ps_metrics_count(PS_C_BUSY_TIMEOUTS);
		return 0;
	}
	ps_metrics_count(PS_C_BUSY_WAITS);
	struct timespec ts = {next / 1000, (long)(next % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	return 1;
}

/* ---- Schema ------------------------------------------------------------ */

/* Migrations, in order: migrations[k] takes the schema from version k to
 * k + 1. They are the files src/store/sql/sqlite/NNN.sql, embedded at
 * build time. A released step is never edited: changes go in a new step.
 * Enum lists are spelled out (not generated from ps_model.h) for that
 * reason; the contract suite round-trips every enum value to catch drift. */
const char *const ps_sqlite_migrations[] = {ps_sql_sqlite_001, ps_sql_sqlite_002, ps_sql_sqlite_003,
					    ps_sql_sqlite_004, ps_sql_sqlite_005, ps_sql_sqlite_006,
					    ps_sql_sqlite_007, ps_sql_sqlite_008, ps_sql_sqlite_009, ps_sql_sqlite_010, ps_sql_sqlite_011, ps_sql_sqlite_012, ps_sql_sqlite_013};

_Static_assert(PS_ARRAY_LEN(ps_sqlite_migrations) == PS_SCHEMA_VERSION, "one migration step per schema version");

/* ---- The handle -------------------------------------------------------- */

/* Turn a failed step into the caller's error. */
ps_code ps_sq_fail(struct ps_sq *q, enum ps_stmt id, int rc, struct ps_err *err)
{
	const struct ps_stmt_def *d = &ps_stmts[id];
	const char *msg = sqlite3_errmsg(q->db);
	const char *field;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return ps_err_set(err, PS_CONFLICT, d->conflict ? d->conflict : "id", "%s",
				  d->conflict_msg ? d->conflict_msg : msg);
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return ps_err_set(err, PS_NOT_FOUND, d->missing, "%s",
				  d->missing_msg ? d->missing_msg : "a referenced object does not exist");
	case SQLITE_CONSTRAINT_CHECK:
		/* Every CHECK is named after the field it guards. */
		field = strstr(msg, "failed: ");
		field = field ? field + 8 : "";
		return ps_err_set(err, PS_INVALID_FIELD, field, "%s: value out of range for %s", d->name, field);
	case SQLITE_CONSTRAINT_NOTNULL:
		field = strrchr(msg, '.');
		field = field ? field + 1 : "";
		return ps_err_set(err, PS_INVALID_FIELD, field, "%s: %s is required", d->name, field);
	case SQLITE_CONSTRAINT_TRIGGER:
		/* The reference triggers of version 2: "missing FIELD". */
		if (strncmp(msg, "missing ", 8) == 0)
			return ps_err_set(err, PS_NOT_FOUND, msg + 8, "%s: the %s does not exist for this tenant",
					  d->name, msg + 8);
		break;
	default: break;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return ps_err_set(err, PS_STORE, NULL,
				  "%s: the SQLite store stayed locked by another connection for more than %d ms (%s)",
				  d->name, BUSY_TIMEOUT_MS, msg);
	return ps_err_set(err, PS_STORE, NULL, "%s: SQLite: %s", d->name, msg);
}

/* The statement `id`, prepared on first use. */
ps_code ps_sq_prep(struct ps_sq *q, enum ps_stmt id, sqlite3_stmt **out, struct ps_err *err)
{
	/* Statements are reset after each use: a busy one is a list walk
	 * whose callback called the same method again. */
	if (q->stmt[id] != NULL && sqlite3_stmt_busy(q->stmt[id]))
		return ps_err_set(err, PS_INTERNAL, NULL, "%s: called again from inside its own list callback",
				  ps_stmts[id].name);
	if (q->stmt[id] == NULL) {
		char text[4096];
		const char *sql = ps_stmt_text(PS_SQLITE, id, text, sizeof text);
		if (sql == NULL)
			return ps_err_set(err, PS_INTERNAL, NULL, "%s: SQLite has no statement %d", ps_stmts[id].name,
					  (int)id);
		int rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			const char *msg = sqlite3_errmsg(q->db);
			q->stmt[id] = NULL;
			if (strncmp(msg, "no such table", 13) == 0)
				return ps_err_set(err, PS_SCHEMA, NULL,
						  "%s: the store has no schema (%s): run `planshift init` on it first",
						  ps_stmts[id].name, msg);
			return ps_err_set(err, PS_STORE, NULL, "%s: SQLite cannot prepare the query: %s",
					  ps_stmts[id].name, msg);
		}
	}
	*out = q->stmt[id];
	return PS_OK;
}


/* Read a single integer (a pragma or a count). */
static ps_code read_int(struct ps_sq *q, enum ps_stmt id, int64_t *out, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = ps_sq_prep(q, id, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		c = ps_sq_fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

/* ---- Rows: SQLite's column API ------------------------------------------ */

static int64_t row_i64(const struct ps_row *r, int col)
{
	return sqlite3_column_int64((sqlite3_stmt *)r->h, col);
}

static const char *row_text(const struct ps_row *r, int col, size_t *len)
{
	sqlite3_stmt *s = (sqlite3_stmt *)r->h;
	const unsigned char *t = sqlite3_column_text(s, col);
	int n = sqlite3_column_bytes(s, col);
	if (len)
		*len = t && n > 0 ? (size_t)n : 0;
	return t ? (const char *)t : "";
}

static const struct ps_row_ops row_ops = {row_i64, row_text};

struct ps_row ps_sq_row(sqlite3_stmt *s)
{
	return (struct ps_row){&row_ops, s, 0};
}

/* ---- Running a query ---------------------------------------------------- */

/* Prepare q's statement and bind its parameters. Text is bound in place:
 * done() drops the pointers. */
static ps_code bind(struct ps_sq *q, const struct ps_query *qu, sqlite3_stmt **out, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = ps_sq_prep(q, qu->id, &s, err);
	if (c != PS_OK)
		return c;
	for (int i = 0; i < qu->n; i++) {
		const struct ps_param *p = &qu->p[i];
		int rc = SQLITE_OK;
		switch (p->kind) {
		case PS_P_I64:
		case PS_P_BOOL: rc = sqlite3_bind_int64(s, i + 1, p->i64); break;
		case PS_P_NULL: rc = sqlite3_bind_null(s, i + 1); break;
		case PS_P_TEXT: rc = sqlite3_bind_text64(s, i + 1, p->s, p->len, SQLITE_STATIC, SQLITE_UTF8); break;
		}
		if (rc != SQLITE_OK) {
			sqlite3_clear_bindings(s);
			return ps_err_set(err, PS_STORE, NULL, "%s: SQLite cannot take parameter %d: %s",
					  ps_stmts[qu->id].name, i + 1, sqlite3_errstr(rc));
		}
	}
	*out = s;
	return PS_OK;
}

/* After a statement: ready for its next use, holding no caller's text. */
static void done(sqlite3_stmt *s, const struct ps_query *qu)
{
	sqlite3_reset(s);
	for (int i = 0; i < qu->n; i++)
		if (qu->p[i].kind == PS_P_TEXT) {
			sqlite3_clear_bindings(s);
			break;
		}
}

/* Whether a row exists; false also when the lookup itself fails. Used only
 * after a refused reference, to name the field that refers to nothing. */
static bool exists(struct ps_sq *q, enum ps_stmt id, int64_t a, int64_t b)
{
	sqlite3_stmt *s;
	if (ps_sq_prep(q, id, &s, NULL) != PS_OK)
		return false;
	sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) > 1)
		sqlite3_bind_int64(s, 2, b);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

/* A failed step of q; after a refused reference, when q lists the row's
 * references, say which one refers to nothing. */
static ps_code refused(struct ps_sq *q, const struct ps_query *qu, int rc, struct ps_err *err)
{
	ps_code c = ps_sq_fail(q, qu->id, rc, err);
	if (c != PS_NOT_FOUND || qu->refs == NULL)
		return c;
	if (qu->tenant != 0 && !exists(q, PS_S_EXISTS_TENANT, qu->tenant, 0))
		return ps_err_set(err, PS_NOT_FOUND, "tenant", "the tenant does not exist");
	for (size_t i = 0; i < qu->n_refs; i++) {
		const struct ps_ref *r = &qu->refs[i];
		if ((r->opt && r->id == 0) || exists(q, r->exists, qu->owner, r->id))
			continue;
		if (r->msg)
			return ps_err_set(err, PS_NOT_FOUND, r->field, "%s", r->msg);
		return ps_err_set(err, PS_NOT_FOUND, r->field, "%s: the subscription does not exist for this tenant",
				  r->field);
	}
	return c; /* err as set by ps_sq_fail() */
}

static ps_code x_exec(struct ps_store *st, struct ps_query *qu, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	sqlite3_stmt *s;
	ps_code c = bind(q, qu, &s, err);
	if (c != PS_OK)
		return c;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		c = refused(q, qu, rc, err);
	done(s, qu);
	return c;
}

ps_code ps_sq_run(struct ps_sq *q, enum ps_stmt id, struct ps_err *err)
{
	struct ps_query qu;
	ps_q_init(&qu, id, 0);
	return x_exec(&q->sql.base, &qu, err);
}

/* A write of one row: an INSERT ... RETURNING id (id_out not NULL), or an
 * UPDATE or DELETE that must change a row (else NOT_FOUND: field, msg). */
static ps_code write_one(struct ps_store *st, struct ps_query *qu, int64_t *id_out, const char *field,
			 const char *msg, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	sqlite3_stmt *s;
	ps_code c = bind(q, qu, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (id_out && rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE)
		c = refused(q, qu, rc, err);
	else if (!id_out && sqlite3_changes(q->db) == 0)
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	done(s, qu);
	return c;
}

static ps_code x_insert_id(struct ps_store *st, struct ps_query *qu, int64_t *id, struct ps_err *err)
{
	return write_one(st, qu, id, NULL, NULL, err);
}

static ps_code x_change_one(struct ps_store *st, struct ps_query *qu, const char *field, const char *msg,
			    struct ps_err *err)
{
	return write_one(st, qu, NULL, field, msg, err);
}

/* Step a bound single-row SELECT into decode's out-struct. */
static ps_code get_one(struct ps_sq *q, const struct ps_query *qu, sqlite3_stmt *s, ps_decode_fn decode, void *out,
		       const char *field, const char *msg, struct ps_err *err)
{
	ps_code c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct ps_row r = ps_sq_row(s);
		c = decode(&r, out, err);
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	} else {
		c = ps_sq_fail(q, qu->id, rc, err);
	}
	done(s, qu);
	return c;
}

static ps_code x_get_one(struct ps_store *st, struct ps_query *qu, ps_decode_fn decode, void *out, const char *field,
			 const char *msg, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	sqlite3_stmt *s;
	ps_code c = bind(q, qu, &s, err);
	return c == PS_OK ? get_one(q, qu, s, decode, out, field, msg, err) : c;
}

/* Step a list query to its end or until the callback says stop. The
 * statement stays busy while the callback runs: a callback may call other
 * methods of this handle, but not the same list method. */
static ps_code x_walk(struct ps_store *st, struct ps_query *qu, int key_col, int64_t after, size_t limit,
		      ps_visit_fn visit, union ps_list_cb cb, void *arg, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	sqlite3_stmt *s;
	ps_q_i64(qu, after);
	ps_q_i64(qu, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
	ps_code c = bind(q, qu, &s, err);
	if (c != PS_OK)
		return c;
	struct ps_row r = ps_sq_row(s);
	bool more = true;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c = visit(&r, cb, arg, &more, err);
		if (c != PS_OK || !more)
			break;
	}
	if (c == PS_OK && more && rc != SQLITE_DONE)
		c = ps_sq_fail(q, qu->id, rc, err);
	done(s, qu);
	return c;
}

const struct ps_sql_exec ps_sq_exec = {x_exec, x_insert_id, x_change_one, x_get_one, x_walk};

/* ---- Schema and transactions ------------------------------------------- */

static void sq_close(struct ps_store *st)
{
	struct ps_sq *q = ps_sq_of(st);
	for (size_t i = 0; i < PS_ARRAY_LEN(q->stmt); i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close(q->db);
	ps_free(q);
}

static ps_code read_header(struct ps_sq *q, int64_t *app_id, int64_t *version, struct ps_err *err)
{
	ps_code c = read_int(q, PS_S_APP_ID, app_id, err);
	if (c == PS_OK)
		c = read_int(q, PS_S_USER_VERSION, version, err);
	return c;
}

static ps_code foreign_file(int64_t app_id, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "this SQLite file is not a planshift store (application_id %" PRId64 "): refusing to use it",
			  app_id);
}

static ps_code sq_migrate(struct ps_store *st, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	int64_t app_id, version, objects;
	char *emsg = NULL;
	ps_code c;

	if (!sqlite3_get_autocommit(q->db))
		return ps_err_set(err, PS_STORE, NULL, "migrate: not allowed inside a transaction");
	c = ps_sq_run(q, PS_S_BEGIN_IMMEDIATE, err);
	if (c != PS_OK)
		return c;
	c = read_header(q, &app_id, &version, err);
	if (c != PS_OK)
		goto out;
	if (version > PS_SCHEMA_VERSION) {
		c = ps_schema_newer(version, err);
		goto out;
	}
	if (app_id != 0 && app_id != APP_ID) {
		c = foreign_file(app_id, err);
		goto out;
	}
	if (version == 0) {
		c = read_int(q, PS_S_SCHEMA_COUNT, &objects, err);
		if (c != PS_OK)
			goto out;
		if (objects > 0) {
			c = ps_err_set(
			    err, PS_SCHEMA, NULL,
			    "this SQLite file holds another application's tables: refusing to add planshift's");
			goto out;
		}
	}
	for (int64_t v = version; v < PS_SCHEMA_VERSION; v++) {
		if (sqlite3_exec(q->db, ps_sqlite_migrations[v], NULL, NULL, &emsg) != SQLITE_OK) {
			const char *why = emsg ? emsg : sqlite3_errmsg(q->db);
			/* The one data condition a step can refuse. */
			bool two_upgrades = v == 1 && strstr(why, "operations.tenant_id") != NULL;
			c = ps_err_set(err, PS_STORE, NULL, "migrate: step to version %" PRId64 " failed: %s%s", v + 1,
				       why,
				       two_upgrades ? " (a tenant has two unfinished upgrade operations: mark all but "
						      "one of them failed, then migrate again)"
						    : "");
			goto out;
		}
	}
	if (version < PS_SCHEMA_VERSION) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", PS_SCHEMA_VERSION);
		if (sqlite3_exec(q->db, sql, NULL, NULL, &emsg) != SQLITE_OK) {
			c = ps_err_set(err, PS_STORE, NULL, "migrate: %s", emsg ? emsg : sqlite3_errmsg(q->db));
			goto out;
		}
	}
	c = ps_sq_run(q, PS_S_COMMIT, err);
out:
	sqlite3_free(emsg);
	if (c != PS_OK && !sqlite3_get_autocommit(q->db))
		ps_sq_run(q, PS_S_ROLLBACK, NULL);
	return c;
}

static ps_code sq_check_schema(struct ps_store *st, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	int64_t app_id, version;
	ps_code c = read_header(q, &app_id, &version, err);
	if (c != PS_OK)
		return c;
	if (version == 0 && app_id == 0)
		return ps_schema_missing(err);
	if (app_id != APP_ID)
		return foreign_file(app_id, err);
	return ps_schema_version(version, err);
}

static ps_code sq_begin(struct ps_store *st, enum ps_tx kind, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	if (!sqlite3_get_autocommit(q->db))
		return ps_err_set(err, PS_STORE, NULL, "begin: a transaction is already open on this handle");
	return ps_sq_run(q, kind == PS_TX_WRITE ? PS_S_BEGIN_IMMEDIATE : PS_S_BEGIN, err);
}

static ps_code sq_commit(struct ps_store *st, struct ps_err *err)
{
	return ps_sq_run(ps_sq_of(st), PS_S_COMMIT, err);
}

static void sq_rollback(struct ps_store *st)
{
	struct ps_sq *q = ps_sq_of(st);
	if (!sqlite3_get_autocommit(q->db))
		ps_sq_run(q, PS_S_ROLLBACK, NULL);
}

/* ---- Catalog and tokens ------------------------------------------------ */

/* ---- Opening ----------------------------------------------------------- */

/* The methods of ps_store.h that are SQLite's own (the others: methods.c). */
#define SQLITE_OWN(X)                                                                                                  \
	X(close, sq_close)                                                                                             \
	X(migrate, sq_migrate)                                                                                         \
	X(check_schema, sq_check_schema)                                                                               \
	X(begin, sq_begin)                                                                                             \
	X(commit, sq_commit)                                                                                           \
	X(rollback, sq_rollback)                                                                                       \
	X(credit_check_get, ps_sql_credit_check_get)                                                                   \
	X(operation_insert, ps_sql_operation_insert)                                                                   \
	X(snapshot_load, ps_sq_snapshot_load)                                                                             \
	X(snapshot_scan, ps_sq_snapshot_scan)                                                                             \
	X(assignments_move, ps_sq_assignments_move)

PS_SQL_TABLE(sqlite_ops, "sqlite", SQLITE_OWN);

/* Run a pragma and copy its first value (if any) into val. */
static int pragma(sqlite3 *db, const char *sql, char *val, size_t cap)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		val[0] = '\0';
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			struct ps_row r = ps_sq_row(s);
			if (!ps_col_str(&r, 0, val, cap))
				val[0] = '\0';
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* A store is always written: one that cannot be (a read-only file, or a
 * folder where SQLite cannot make its WAL files) is refused when opened,
 * naming the file and the cause, rather than failing every write later. */
static ps_code writable(sqlite3 *db, const char *path, struct ps_err *err)
{
	const char *file = sqlite3_db_filename(db, "main");
	if (!file || !file[0])
		return PS_OK; /* in memory */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	if (sqlite3_db_readonly(db, "main") == 1 || access(file, W_OK) != 0)
		return ps_err_set(err, PS_STORE, "db", "the SQLite store %s cannot be written: %s", path,
				  access(file, W_OK) != 0 ? strerror(errno) : "SQLite opened it read-only");
	if (access(dir, W_OK | X_OK) != 0)
		return ps_err_set(err, PS_STORE, "db",
				  "the SQLite store %s cannot be written: its folder %s does not let SQLite make its "
				  "WAL files there (%s)",
				  path, dir, strerror(errno));
	return PS_OK;
}

ps_code ps_sqlite_open(const char *path, struct ps_store **out, struct ps_err *err)
{
	sqlite3 *db = NULL;
	struct ps_sq *q;
	char val[32];
	ps_code c = PS_OK;
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "db", "the SQLite store needs a file path");
	if (sqlite3_libversion_number() < 3037000)
		return ps_err_set(err, PS_STORE, "db", "SQLite %s is too old: planshift needs 3.37 or later",
				  sqlite3_libversion());

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		c = ps_err_set(err, PS_STORE, "db", "cannot open the SQLite store %s: %s", path,
			       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	if ((c = writable(db, path, err)) != PS_OK)
		goto out;
	sqlite3_busy_handler(db, busy_wait, NULL);
	/* Double-quoted strings are identifiers, never literals. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);

	rc = pragma(db, "PRAGMA journal_mode = WAL", val, sizeof val);
	if (rc == SQLITE_OK && strcmp(val, "wal") != 0 && strcmp(val, "memory") != 0) {
		c = ps_err_set(err, PS_STORE, "db", "cannot put the SQLite store %s in WAL mode (journal_mode is %s)",
			       path, val);
		goto out;
	}
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA foreign_keys = ON", val, sizeof val);
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA foreign_keys", val, sizeof val);
	if (rc == SQLITE_OK && strcmp(val, "1") != 0) {
		c = ps_err_set(err, PS_STORE, "db", "this SQLite library cannot enforce foreign keys");
		goto out;
	}
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA synchronous = FULL", val, sizeof val);
	/* Reads that do not grow with the store (bench/run's flatness row):
	 * the file memory-mapped, as far as this SQLite allows (it caps the
	 * size asked for at its SQLITE_MAX_MMAP_SIZE, 2 GiB in Debian's
	 * build): a page read is a memory access into the kernel's page cache,
	 * shared by every connection and daemon, instead of a pread(2) and a
	 * copy; and a page cache of 64 MiB per connection for the pages beyond
	 * the mapping (the B-tree's inner pages and the hot tenants' pages of a
	 * store of several GB). At 1,000,000 tenants (3.4 GB) the Upgrade tab
	 * went from 11.6 pread(2) per request to 0.08. */
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA mmap_size = " PS_SQ_MMAP_MAX, val, sizeof val);
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA cache_size = " PS_SQ_CACHE_KIB, val, sizeof val);
	if (rc != SQLITE_OK) {
		c = ps_err_set(err, PS_STORE, "db", "cannot open the SQLite store %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}

	q = ps_calloc(1, sizeof *q);
	q->sql.base.ops = &sqlite_ops;
	q->sql.x = &ps_sq_exec;
	q->db = db;
	db = NULL;
	*out = &q->sql.base;
out:
	sqlite3_close(db);
	return c;
}
