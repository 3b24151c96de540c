/* sqlite.c: the SQLite store backend (store layer). One connection per
 * handle in WAL mode with foreign keys on; every statement (stmts.c) is
 * prepared once per connection, on first use, and reset after each use.
 * The methods written once (methods.c) run here by binding and stepping.
 * The schema is a list of versioned migrations; PRAGMA user_version holds
 * the version reached. Ids come from the `sequences` table, bumped by
 * triggers, so each write method is a single statement and atomic on its own. */
#include "store_int.h"

#include "../common/ps_mem.h"

#include <sqlite3.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 5000
/* PRAGMA application_id: "PLSH", marks the file as a planshift store. */
#define APP_ID		0x504C5348

/* ---- Schema ------------------------------------------------------------ */

/* Migrations, in order: migrations[k] takes the schema from version k to
 * k + 1. They are the files src/store/sql/sqlite/NNN.sql, embedded at
 * build time. A released step is never edited: changes go in a new step.
 * Enum lists are spelled out (not generated from ps_model.h) for that
 * reason; the contract suite round-trips every enum value to catch drift. */
static const char *const migrations[] = {ps_sql_sqlite_001, ps_sql_sqlite_002};

_Static_assert(PS_ARRAY_LEN(migrations) == PS_SCHEMA_VERSION, "one migration step per schema version");

/* ---- The handle -------------------------------------------------------- */

struct sq {
	struct ps_sql sql; /* first, so a struct ps_store * is a struct sq * */
	sqlite3 *db;
	sqlite3_stmt *stmt[S__COUNT];
	/* The capacity window's count is the same for every tenant: kept for
	 * the `now` and the database version it was counted at (see load). */
	bool cap_valid;
	int64_t cap_now, cap_used, cap_oldest;
	unsigned cap_version;
};

static struct sq *sq_of(struct ps_store *st)
{
	return (struct sq *)(void *)st;
}

/* Turn a failed step into the caller's error. */
static ps_code fail(struct sq *q, enum ps_stmt id, int rc, struct ps_err *err)
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
static ps_code prep(struct sq *q, enum ps_stmt id, sqlite3_stmt **out, struct ps_err *err)
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

/* Run a statement without parameters that returns no rows (or whose rows
 * are ignored). */
static ps_code run(struct sq *q, enum ps_stmt id, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, id, &s, err);
	if (c != PS_OK)
		return c;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

/* Read a single integer (a pragma or a count). */
static ps_code read_int(struct sq *q, enum ps_stmt id, int64_t *out, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, id, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

static void bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, v);
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

static struct ps_row row_of(sqlite3_stmt *s)
{
	return (struct ps_row){&row_ops, s, 0};
}

/* ---- Running a query ---------------------------------------------------- */

/* Prepare q's statement and bind its parameters. Text is bound in place:
 * done() drops the pointers. */
static ps_code bind(struct sq *q, const struct ps_query *qu, sqlite3_stmt **out, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, qu->id, &s, err);
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
static bool exists(struct sq *q, enum ps_stmt id, int64_t a, int64_t b)
{
	sqlite3_stmt *s;
	if (prep(q, id, &s, NULL) != PS_OK)
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
static ps_code refused(struct sq *q, const struct ps_query *qu, int rc, struct ps_err *err)
{
	ps_code c = fail(q, qu->id, rc, err);
	if (c != PS_NOT_FOUND || qu->refs == NULL)
		return c;
	if (qu->tenant != 0 && !exists(q, S_EXISTS_TENANT, qu->tenant, 0))
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
	return c; /* err as set by fail() */
}

static ps_code x_exec(struct ps_store *st, struct ps_query *qu, struct ps_err *err)
{
	struct sq *q = sq_of(st);
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

static ps_code x_insert_id(struct ps_store *st, struct ps_query *qu, int64_t *id, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = bind(q, qu, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE)
		c = refused(q, qu, rc, err);
	done(s, qu);
	return c;
}

static ps_code x_change_one(struct ps_store *st, struct ps_query *qu, const char *field, const char *msg,
			    struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = bind(q, qu, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		c = refused(q, qu, rc, err);
	else if (sqlite3_changes(q->db) == 0)
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	done(s, qu);
	return c;
}

/* Step a bound single-row SELECT into decode's out-struct. */
static ps_code get_one(struct sq *q, const struct ps_query *qu, sqlite3_stmt *s, ps_decode_fn decode, void *out,
		       const char *field, const char *msg, struct ps_err *err)
{
	ps_code c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct ps_row r = row_of(s);
		c = decode(&r, out, err);
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s", msg);
	} else {
		c = fail(q, qu->id, rc, err);
	}
	done(s, qu);
	return c;
}

static ps_code x_get_one(struct ps_store *st, struct ps_query *qu, ps_decode_fn decode, void *out, const char *field,
			 const char *msg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
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
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_q_i64(qu, after);
	ps_q_i64(qu, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
	ps_code c = bind(q, qu, &s, err);
	if (c != PS_OK)
		return c;
	struct ps_row r = row_of(s);
	bool more = true;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c = visit(&r, cb, arg, &more, err);
		if (c != PS_OK || !more)
			break;
	}
	if (c == PS_OK && more && rc != SQLITE_DONE)
		c = fail(q, qu->id, rc, err);
	done(s, qu);
	return c;
}

static const struct ps_sql_exec sq_exec = {x_exec, x_insert_id, x_change_one, x_get_one, x_walk};

/* ---- Schema and transactions ------------------------------------------- */

static void sq_close(struct ps_store *st)
{
	struct sq *q = sq_of(st);
	for (size_t i = 0; i < PS_ARRAY_LEN(q->stmt); i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close(q->db);
	ps_free(q);
}

static ps_code read_header(struct sq *q, int64_t *app_id, int64_t *version, struct ps_err *err)
{
	ps_code c = read_int(q, S_APP_ID, app_id, err);
	if (c == PS_OK)
		c = read_int(q, S_USER_VERSION, version, err);
	return c;
}

static ps_code newer_schema(int64_t version, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "the store's schema is version %" PRId64 ", newer than this binary's (%d): "
			  "use a newer planshift",
			  version, PS_SCHEMA_VERSION);
}

static ps_code foreign_file(int64_t app_id, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "this SQLite file is not a planshift store (application_id %" PRId64 "): refusing to use it",
			  app_id);
}

static ps_code sq_migrate(struct ps_store *st, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	int64_t app_id, version, objects;
	char *emsg = NULL;
	ps_code c;

	if (!sqlite3_get_autocommit(q->db))
		return ps_err_set(err, PS_STORE, NULL, "migrate: not allowed inside a transaction");
	c = run(q, S_BEGIN_IMMEDIATE, err);
	if (c != PS_OK)
		return c;
	c = read_header(q, &app_id, &version, err);
	if (c != PS_OK)
		goto out;
	if (version > PS_SCHEMA_VERSION) {
		c = newer_schema(version, err);
		goto out;
	}
	if (app_id != 0 && app_id != APP_ID) {
		c = foreign_file(app_id, err);
		goto out;
	}
	if (version == 0) {
		c = read_int(q, S_SCHEMA_COUNT, &objects, err);
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
		if (sqlite3_exec(q->db, migrations[v], NULL, NULL, &emsg) != SQLITE_OK) {
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
	c = run(q, S_COMMIT, err);
out:
	sqlite3_free(emsg);
	if (c != PS_OK && !sqlite3_get_autocommit(q->db))
		run(q, S_ROLLBACK, NULL);
	return c;
}

static ps_code sq_check_schema(struct ps_store *st, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	int64_t app_id, version;
	ps_code c = read_header(q, &app_id, &version, err);
	if (c != PS_OK)
		return c;
	if (version == 0 && app_id == 0)
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "the store has no schema yet: run `planshift init` on it first");
	if (app_id != APP_ID)
		return foreign_file(app_id, err);
	if (version > PS_SCHEMA_VERSION)
		return newer_schema(version, err);
	if (version < PS_SCHEMA_VERSION)
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "the store's schema is version %" PRId64 ", this binary needs %d: "
				  "run `planshift init` on it to migrate it",
				  version, PS_SCHEMA_VERSION);
	return PS_OK;
}

static ps_code sq_begin(struct ps_store *st, enum ps_tx kind, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	if (!sqlite3_get_autocommit(q->db))
		return ps_err_set(err, PS_STORE, NULL, "begin: a transaction is already open on this handle");
	return run(q, kind == PS_TX_WRITE ? S_BEGIN_IMMEDIATE : S_BEGIN, err);
}

static ps_code sq_commit(struct ps_store *st, struct ps_err *err)
{
	return run(sq_of(st), S_COMMIT, err);
}

static void sq_rollback(struct ps_store *st)
{
	struct sq *q = sq_of(st);
	if (!sqlite3_get_autocommit(q->db))
		run(q, S_ROLLBACK, NULL);
}

/* ---- Catalog and tokens ------------------------------------------------ */

static ps_code sq_catalog_put(struct ps_store *st, const char *json, size_t len, int64_t now, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CATALOG_PUT, &s, err);
	if (c != PS_OK)
		return c;
	if (json == NULL) {
		json = "";
		len = 0;
	}
	int rc = sqlite3_bind_text64(s, 1, json, len, SQLITE_STATIC, SQLITE_UTF8);
	if (rc != SQLITE_OK) {
		sqlite3_reset(s);
		return ps_err_set(err, PS_STORE, "catalog", "catalog_put: the catalog (%zu bytes) cannot be stored: %s",
				  len, sqlite3_errstr(rc));
	}
	bind_i64(s, 2, now);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		c = fail(q, S_CATALOG_PUT, rc, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* drop the pointer to the caller's text */
	return c;
}

/* ---- Schema version 2: moving seats ------------------------------------ */

/* The product of subscription `id` of `tenant` into out; NOT_FOUND naming
 * `field` when there is no such subscription. */
static ps_code sub_product(struct sq *q, int64_t tenant, int64_t id, const char *field, char *out, size_t cap,
			   struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, S_MOVE_TARGET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct ps_row r = row_of(s);
		if (!ps_col_str(&r, 0, out, cap))
			c = ps_bad_value(err, "subscriptions.product_id");
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s: the subscription does not exist for this tenant", field);
	} else {
		c = fail(q, S_MOVE_TARGET, rc, err);
	}
	sqlite3_reset(s);
	return c;
}

static ps_code add_assigned(struct sq *q, int64_t tenant, int64_t sub, int64_t delta, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, S_MOVE_COUNT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, sub);
	bind_i64(s, 3, delta);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		c = fail(q, S_MOVE_COUNT, rc, err);
	sqlite3_reset(s);
	return c;
}

/* The move itself, inside the transaction or savepoint of the caller. One
 * UPDATE moves every seat (atomic on its own: a seat that would break the
 * seat rule refuses the whole statement); both counts follow by `n`. */
static ps_code move_seats(struct sq *q, int64_t tenant, int64_t from, int64_t to, const char *product_id,
			  int64_t *n, struct ps_err *err)
{
	char product[PS_ID_MAX + 1], ignored[PS_ID_MAX + 1];
	sqlite3_stmt *s;
	ps_code c;

	if ((c = sub_product(q, tenant, from, "source", ignored, sizeof ignored, err)) != PS_OK)
		return c;
	if ((c = sub_product(q, tenant, to, "new_subscription", product, sizeof product, err)) != PS_OK)
		return c;
	/* A seat's product is its subscription's: the rule "one seat of a
	 * product per user" must see the product the seat will really have. */
	if (product_id != NULL && strcmp(product_id, product) != 0)
		return ps_err_set(err, PS_INVALID_FIELD, "product",
				  "assignments_move: product %.64s is not the new subscription's (%s)", product_id,
				  product);
	if ((c = prep(q, S_MOVE_SEATS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, from);
	bind_i64(s, 3, to);
	sqlite3_bind_text(s, 4, product, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*n = rc == SQLITE_DONE ? sqlite3_changes(q->db) : 0;
	if (rc != SQLITE_DONE)
		c = fail(q, S_MOVE_SEATS, rc, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* product lives on this stack frame */
	if (c != PS_OK || *n == 0 || from == to)
		return c;
	if ((c = add_assigned(q, tenant, from, -*n, err)) != PS_OK)
		return c;
	return add_assigned(q, tenant, to, *n, err);
}

static ps_code sq_assignments_move(struct ps_store *st, int64_t tenant, int64_t from, int64_t to,
				   const char *product_id, int64_t *moved, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	/* The UPDATE and the two counts commit together: in a transaction of
	 * our own outside the caller's, in a savepoint inside it. */
	bool own = sqlite3_get_autocommit(q->db) != 0;
	int64_t n = 0;
	ps_code c = run(q, own ? S_BEGIN_IMMEDIATE : S_SAVEPOINT, err);
	if (c != PS_OK)
		return c;
	c = move_seats(q, tenant, from, to, product_id, &n, err);
	if (c == PS_OK)
		c = run(q, own ? S_COMMIT : S_RELEASE, err);
	if (c != PS_OK) {
		if (!own) {
			run(q, S_ROLLBACK_TO, NULL);
			run(q, S_RELEASE, NULL);
		} else if (!sqlite3_get_autocommit(q->db)) {
			run(q, S_ROLLBACK, NULL);
		}
		return c;
	}
	if (moved)
		*moved = n;
	return PS_OK;
}

/* ---- The snapshot ------------------------------------------------------ */

/* Step a prepared and bound query, calling `row` for each row. */
static ps_code each_row(struct sq *q, enum ps_stmt id, sqlite3_stmt *s, struct ps_snapshot *snap,
			ps_code (*row)(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err),
			struct ps_err *err)
{
	ps_code c = PS_OK;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c = row(s, snap, err);
		if (c != PS_OK)
			break;
	}
	if (c == PS_OK && rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

static ps_code snap_sub_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = row_of(s);
	return ps_read_sub(&r, &ps_snapshot_add_sub(snap)->s, err);
}

static ps_code snap_incident_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = row_of(s);
	return ps_snap_add_incident(&r, snap, err);
}

static ps_code snap_op_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = row_of(s);
	return ps_read_op(&r, ps_snapshot_add_op(snap), err);
}

static ps_code snap_credit_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = row_of(s);
	snap->has_credit_check = true;
	return ps_read_credit(&r, &snap->credit_check, err);
}

static ps_code snap_past_due_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = row_of(s);
	ps_snap_past_due(&r, 0, snap);
	return PS_OK;
}

static ps_code snap_capacity_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = row_of(s);
	ps_snap_capacity(&r, snap);
	return PS_OK;
}

static ps_code load(struct sq *q, int64_t tenant, int64_t now, struct ps_snapshot *snap, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c;
	int64_t window_start = ps_capacity_window_start(now);

	struct ps_query qu;
	ps_q_init(&qu, S_SNAP_TENANT, tenant);
	ps_q_i64(&qu, tenant);
	c = x_get_one(&q->sql.base, &qu, ps_read_tenant, &snap->tenant, "tenant", "the tenant does not exist", err);
	if (c != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_SUBS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, S_SNAP_SUBS, s, snap, snap_sub_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_INCIDENTS, &s, err)) != PS_OK)
		return c;
	if ((c = each_row(q, S_SNAP_INCIDENTS, s, snap, snap_incident_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_OPS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, S_SNAP_OPS, s, snap, snap_op_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_CREDIT, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, S_SNAP_CREDIT, s, snap, snap_credit_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_PAST_DUE, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, now);
	if ((c = each_row(q, S_SNAP_PAST_DUE, s, snap, snap_past_due_row, err)) != PS_OK)
		return c;

	/* The count of automatic upgrades in the window walks every one of
	 * them: as many index entries as the capacity allows (1,000 an hour by
	 * default), for every tenant loaded. It does not depend on the tenant:
	 * in a read transaction it is reused while `now` and the database are
	 * unchanged (SQLITE_FCNTL_DATA_VERSION moves with every commit, of any
	 * connection). A write transaction always counts. */
	unsigned version = 0;
	bool reuse = sqlite3_txn_state(q->db, "main") == SQLITE_TXN_READ &&
		     sqlite3_file_control(q->db, "main", SQLITE_FCNTL_DATA_VERSION, &version) == SQLITE_OK;
	if (reuse && q->cap_valid && q->cap_now == now && q->cap_version == version) {
		snap->capacity_used = q->cap_used;
		snap->capacity_oldest = q->cap_oldest;
		return PS_OK;
	}
	if ((c = prep(q, S_SNAP_CAPACITY, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, window_start);
	bind_i64(s, 2, now);
	c = each_row(q, S_SNAP_CAPACITY, s, snap, snap_capacity_row, err);
	q->cap_valid = c == PS_OK && reuse;
	q->cap_now = now;
	q->cap_used = snap->capacity_used;
	q->cap_oldest = snap->capacity_oldest;
	q->cap_version = version;
	return c;
}

static ps_code sq_snapshot_load(struct ps_store *st, int64_t tenant, int64_t now, struct ps_snapshot *snap,
				struct ps_err *err)
{
	struct sq *q = sq_of(st);
	/* Outside the caller's transaction, one read transaction of our own
	 * makes the queries see one state. */
	bool own = sqlite3_get_autocommit(q->db) != 0;
	ps_code c;

	ps_snapshot_reset(snap);
	if (own && (c = run(q, S_BEGIN, err)) != PS_OK)
		return c;
	c = load(q, tenant, now, snap, err);
	snap->capacity_limit = 0;
	if (own) {
		if (c == PS_OK)
			c = run(q, S_COMMIT, err);
		if (!sqlite3_get_autocommit(q->db))
			run(q, S_ROLLBACK, NULL);
	}
	return c;
}

/* ---- Snapshots of many tenants (sweeps) -------------------------------- */

/* A cursor over one of the scan statements: all of them give rows in
 * tenant order, the tenant id in column 0. */
struct scan_cur {
	struct sq *q;
	enum ps_stmt id;
	sqlite3_stmt *s;
	bool row;
};

static ps_code cur_next(struct scan_cur *k, struct ps_err *err)
{
	int rc = sqlite3_step(k->s);
	k->row = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PS_OK : fail(k->q, k->id, rc, err);
}

static ps_code cur_open(struct sq *q, struct scan_cur *k, enum ps_stmt id, int64_t lo, int64_t hi, int64_t now,
			struct ps_err *err)
{
	k->q = q;
	k->id = id;
	k->row = false;
	ps_code c = prep(q, id, &k->s, err);
	if (c != PS_OK)
		return c;
	bind_i64(k->s, 1, lo);
	bind_i64(k->s, 2, hi);
	if (id == S_SCAN_PAST_DUE)
		bind_i64(k->s, 3, now);
	return cur_next(k, err);
}

static void cur_close(struct scan_cur *k)
{
	if (k->s)
		sqlite3_reset(k->s);
	k->s = NULL;
}

/* Rows of k before tenant t are skipped (rows of a tenant deleted
 * meanwhile cannot be in one read transaction; this only keeps the merge
 * in step); then true when the current row is t's. */
static ps_code cur_at(struct scan_cur *k, int64_t t, bool *at, struct ps_err *err)
{
	ps_code c = PS_OK;
	while (c == PS_OK && k->row && sqlite3_column_int64(k->s, 0) < t)
		c = cur_next(k, err);
	*at = c == PS_OK && k->row && sqlite3_column_int64(k->s, 0) == t;
	return c;
}

static ps_code scan(struct sq *q, int64_t after, size_t limit, int64_t now, struct ps_snapshot *snap,
		    ps_snapshot_cb cb, void *arg, int64_t *last, struct ps_err *err)
{
	struct ps_tenant *tenants = NULL;
	size_t n = 0, cap = 0;
	struct ps_snapshot shared; /* what every tenant's snapshot shares */
	struct scan_cur subs = {0}, ops = {0}, credit = {0}, due = {0};
	sqlite3_stmt *s;
	ps_code c;

	ps_snapshot_init(&shared);
	/* The batch's tenants first: their last id bounds the other queries. */
	if ((c = prep(q, S_SCAN_TENANTS, &s, err)) != PS_OK)
		goto out;
	bind_i64(s, 1, after);
	bind_i64(s, 2, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ps_grow((void **)&tenants, &cap, n + 1, sizeof *tenants);
		struct ps_row r = row_of(s);
		if ((c = ps_read_tenant(&r, &tenants[n++], err)) != PS_OK)
			break;
	}
	if (c == PS_OK && rc != SQLITE_DONE)
		c = fail(q, S_SCAN_TENANTS, rc, err);
	sqlite3_reset(s);
	if (c != PS_OK || n == 0)
		goto out;

	/* Open incidents and the capacity window: the same for every tenant. */
	if ((c = prep(q, S_SNAP_INCIDENTS, &s, err)) != PS_OK ||
	    (c = each_row(q, S_SNAP_INCIDENTS, s, &shared, snap_incident_row, err)) != PS_OK)
		goto out;
	int64_t window_start = ps_capacity_window_start(now);
	if ((c = prep(q, S_SNAP_CAPACITY, &s, err)) != PS_OK)
		goto out;
	bind_i64(s, 1, window_start);
	bind_i64(s, 2, now);
	if ((c = each_row(q, S_SNAP_CAPACITY, s, &shared, snap_capacity_row, err)) != PS_OK)
		goto out;

	int64_t hi = tenants[n - 1].id;
	if ((c = cur_open(q, &subs, S_SCAN_SUBS, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &ops, S_SCAN_OPS, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &credit, S_SCAN_CREDIT, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &due, S_SCAN_PAST_DUE, after, hi, now, err)) != PS_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int64_t t = tenants[i].id;
		bool at;
		ps_snapshot_reset(snap);
		snap->tenant = tenants[i];
		while ((c = cur_at(&subs, t, &at, err)) == PS_OK && at) {
			if ((c = snap_sub_row(subs.s, snap, err)) != PS_OK || (c = cur_next(&subs, err)) != PS_OK)
				break;
		}
		if (c != PS_OK)
			break;
		for (size_t k = 0; k < shared.n_incidents; k++)
			*ps_snapshot_add_incident(snap) = shared.incidents[k];
		while ((c = cur_at(&ops, t, &at, err)) == PS_OK && at) {
			if ((c = snap_op_row(ops.s, snap, err)) != PS_OK || (c = cur_next(&ops, err)) != PS_OK)
				break;
		}
		if (c != PS_OK)
			break;
		/* The oldest pending credit check comes first; the others are skipped. */
		if ((c = cur_at(&credit, t, &at, err)) != PS_OK || (at && (c = snap_credit_row(credit.s, snap, err)) != PS_OK))
			break;
		while (c == PS_OK && credit.row && sqlite3_column_int64(credit.s, 0) == t)
			c = cur_next(&credit, err);
		if (c != PS_OK || (c = cur_at(&due, t, &at, err)) != PS_OK)
			break;
		if (at) {
			snap->past_due = sqlite3_column_int64(due.s, 1);
			snap->oldest_due = sqlite3_column_int64(due.s, 2);
		}
		snap->capacity_used = shared.capacity_used;
		snap->capacity_oldest = shared.capacity_oldest;
		snap->capacity_limit = 0;
		*last = t;
		if (!cb(arg, snap))
			break;
	}
out:
	cur_close(&subs);
	cur_close(&ops);
	cur_close(&credit);
	cur_close(&due);
	ps_snapshot_fini(&shared);
	ps_free(tenants);
	return c;
}

static ps_code sq_snapshot_scan(struct ps_store *st, int64_t after, size_t limit, int64_t now,
				struct ps_snapshot *snap, ps_snapshot_cb cb, void *arg, int64_t *last,
				struct ps_err *err)
{
	struct sq *q = sq_of(st);
	bool own = sqlite3_get_autocommit(q->db) != 0;
	ps_code c;

	*last = after;
	if (own && (c = run(q, S_BEGIN, err)) != PS_OK)
		return c;
	c = scan(q, after, limit, now, snap, cb, arg, last, err);
	if (own) {
		if (c == PS_OK)
			c = run(q, S_COMMIT, err);
		if (!sqlite3_get_autocommit(q->db))
			run(q, S_ROLLBACK, NULL);
	}
	return c;
}

/* ---- Opening ----------------------------------------------------------- */

/* The methods of ps_store.h that are SQLite's own (the others: methods.c). */
#define SQLITE_OWN(X)                                                                                                  \
	X(close, sq_close)                                                                                             \
	X(migrate, sq_migrate)                                                                                         \
	X(check_schema, sq_check_schema)                                                                               \
	X(begin, sq_begin)                                                                                             \
	X(commit, sq_commit)                                                                                           \
	X(rollback, sq_rollback)                                                                                       \
	X(catalog_put, sq_catalog_put)                                                                                 \
	X(credit_check_get, ps_sql_credit_check_get)                                                                   \
	X(operation_insert, ps_sql_operation_insert)                                                                   \
	X(snapshot_load, sq_snapshot_load)                                                                             \
	X(snapshot_scan, sq_snapshot_scan)                                                                             \
	X(assignments_move, sq_assignments_move)

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
			struct ps_row r = row_of(s);
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

ps_code ps_sqlite_open(const char *path, struct ps_store **out, struct ps_err *err)
{
	sqlite3 *db = NULL;
	struct sq *q;
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
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
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
	if (rc != SQLITE_OK) {
		c = ps_err_set(err, PS_STORE, "db", "cannot open the SQLite store %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}

	q = ps_calloc(1, sizeof *q);
	q->sql.base.ops = &sqlite_ops;
	q->sql.x = &sq_exec;
	q->db = db;
	db = NULL;
	*out = &q->sql.base;
out:
	sqlite3_close(db);
	return c;
}
