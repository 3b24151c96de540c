/* test_sqlite.c: the store contract suite against SQLite files in a
 * temporary directory, plus what only the SQLite backend has (tests, store
 * layer): WAL and foreign keys, versioned migrations, the readable file,
 * locking, and the URL forms ps_store_open() takes. */
#include "contract.h"
#include "../common/ps_want.h"

#define WANT_ERR (&x->err) /* what WANT_CODE clears and reports */

#include "common/ps_err.h"
#include "common/ps_mem.h"
#include "common/ps_time.h"
#include "store/ps_store.h"
#include "store/store_int.h"

#include <sqlite3.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOW INT64_C(1800000000)

/* The temporary directory and the file the current test uses. */
struct env {
	char dir[256];
	char path[512];
	int n;
};

static struct env g_env;

static void next_path(struct env *e, const char *what)
{
	e->n++;
	snprintf(e->path, sizeof e->path, "%s/%s-%d.db", e->dir, what, e->n);
}

static void remove_db(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

/* For the contract suite: a new, migrated, empty store. */
static struct ps_store *fresh(void *ctx)
{
	struct env *e = ctx;
	struct ps_store *st = NULL;
	struct ps_err err = {0};
	next_path(e, "contract");
	if (ps_store_open(e->path, &st, &err) != PS_OK || st->ops->migrate(st, &err) != PS_OK) {
		print_error("fresh store %s: %s\n", e->path, err.msg);
		ps_store_close(st);
		return NULL;
	}
	return st;
}

static void cleanup(void *ctx)
{
	struct env *e = ctx;
	remove_db(e->path);
}

/* ---- SQLite-only tests -------------------------------------------------- */

struct sx {
	char path[512];
	struct ps_store *st, *st2;
	sqlite3 *raw; /* a plain connection to the same file, to look inside */
	struct ps_err err;
};

static int sx_setup(void **state)
{
	struct sx *x = ps_calloc(1, sizeof *x);
	next_path(&g_env, "sqlite");
	snprintf(x->path, sizeof x->path, "%s", g_env.path);
	*state = x;
	return 0;
}

static int sx_teardown(void **state)
{
	struct sx *x = *state;
	ps_store_close(x->st);
	ps_store_close(x->st2);
	sqlite3_close(x->raw);
	remove_db(x->path);
	ps_free(x);
	return 0;
}


static void open_store(struct sx *x, struct ps_store **st, bool migrate)
{
	OK(ps_store_open(x->path, st, &x->err), "open");
	if (migrate)
		OK((*st)->ops->migrate(*st, &x->err), "migrate");
}

static void open_raw(struct sx *x)
{
	if (sqlite3_open(x->path, &x->raw) != SQLITE_OK)
		fail_msg("case raw open: got %s, want ok", sqlite3_errmsg(x->raw));
	sqlite3_busy_timeout(x->raw, 5000);
}

static void raw_exec(struct sx *x, const char *sql)
{
	char *emsg = NULL;
	if (sqlite3_exec(x->raw, sql, NULL, NULL, &emsg) != SQLITE_OK) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", emsg ? emsg : "?");
		sqlite3_free(emsg);
		fail_msg("case raw \"%s\": got %s, want ok", sql, msg);
	}
}

/* The first column of the first row of sql, as text ("" when none). */
static void raw_text(struct sx *x, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *s = NULL;
	out[0] = '\0';
	if (sqlite3_prepare_v2(x->raw, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("case raw \"%s\": got %s, want ok", sql, sqlite3_errmsg(x->raw));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static int64_t add_tenant(struct sx *x, struct ps_store *st)
{
	struct ps_tenant t = {.segment = PS_SEG_COMMERCIAL, .payment = PS_PAY_CARD, .currency = "EUR", .name = "T"};
	OK(st->ops->tenant_insert(st, &t, &x->err), "fixture tenant");
	return t.id;
}

static void s_wal_and_foreign_keys(void **state)
{
	struct sx *x = *state;
	char v[64];
	open_store(x, &x->st, true);
	open_raw(x);
	raw_text(x, "PRAGMA journal_mode", v, sizeof v);
	WANT_STR(v, "wal", "journal_mode of the file");

	/* Only a foreign key can refuse this: the subscription exists. */
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription s = {.tenant_id = t, .plan_id = "p", .product_id = "q", .quantity = 1};
	OK(o->sub_insert(x->st, &s, &x->err), "sub");
	struct ps_assignment a = {.tenant_id = t, .subscription_id = s.id, .user_id = 42};
	WANT_CODE(o->assignment_insert(x->st, &a, &x->err), PS_NOT_FOUND, "seat for a missing user");
	WANT_STR(x->err.field, "user", "field of a seat for a missing user");
	raw_text(x, "SELECT count(*) FROM assignments", v, sizeof v);
	WANT_STR(v, "0", "no seat row after the refusal");
}

static void s_migrate_twice(void **state)
{
	struct sx *x = *state;
	char v[64];
	open_store(x, &x->st, true);
	int64_t t = add_tenant(x, x->st);
	OK(x->st->ops->migrate(x->st, &x->err), "second migrate");
	OK(x->st->ops->check_schema(x->st, &x->err), "check_schema");
	struct ps_tenant got;
	OK(x->st->ops->tenant_get(x->st, t, &got, &x->err), "data kept by a second migrate");
	/* A second handle migrating the same file: nothing to do. */
	open_store(x, &x->st2, true);
	OK(x->st2->ops->check_schema(x->st2, &x->err), "check_schema on a second handle");
	open_raw(x);
	raw_text(x, "PRAGMA user_version", v, sizeof v);
	WANT_STR(v, PS_STR(PS_SCHEMA_VERSION), "user_version");
	raw_text(x, "PRAGMA application_id", v, sizeof v);
	WANT_STR(v, "1347179336", "application_id");
	raw_text(x, "SELECT count(*) FROM sequences", v, sizeof v);
	WANT_STR(v, "12", "sequences rows after two migrates");
	WANT_STR(x->st->ops->name, "sqlite", "ops name");
}

static void s_newer_schema(void **state)
{
	struct sx *x = *state;
	char v[64];
	open_store(x, &x->st, true);
	ps_store_close(x->st);
	x->st = NULL;
	open_raw(x);
	raw_exec(x, "PRAGMA user_version = 99"); /* a version newer than any */
	open_store(x, &x->st, false);
	WANT_CODE(x->st->ops->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of a newer store");
	WANT_IN(x->err.msg, "newer", "check_schema message");
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_SCHEMA, "migrate of a newer store");
	WANT_IN(x->err.msg, "newer", "migrate message");
	raw_text(x, "PRAGMA user_version", v, sizeof v);
	WANT_STR(v, "99", "user_version untouched");
	/* The refused migrate left no transaction open. */
	OK(x->st->ops->begin(x->st, PS_TX_WRITE, &x->err), "begin after refused migrate");
	x->st->ops->rollback(x->st);
}

static void s_empty_file(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, false);
	const struct ps_store_ops *o = x->st->ops;
	WANT_CODE(o->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of an empty file");
	WANT_IN(x->err.msg, "planshift init", "check_schema message");
	struct ps_tenant t;
	WANT_CODE(o->tenant_get(x->st, 1, &t, &x->err), PS_SCHEMA, "tenant_get before migrate");
	WANT_IN(x->err.msg, "planshift init", "tenant_get message");
	OK(o->migrate(x->st, &x->err), "migrate");
	OK(o->check_schema(x->st, &x->err), "check_schema after migrate");
	WANT_CODE(o->tenant_get(x->st, 1, &t, &x->err), PS_NOT_FOUND, "tenant_get after migrate");
}

static void s_foreign_file(void **state)
{
	struct sx *x = *state;
	char v[64];
	open_raw(x);
	raw_exec(x, "CREATE TABLE notes (body TEXT)");
	open_store(x, &x->st, false);
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_SCHEMA, "migrate of another application's file");
	raw_text(x, "SELECT count(*) FROM sqlite_master WHERE name = 'tenants'", v, sizeof v);
	WANT_STR(v, "0", "no planshift table added");
	raw_exec(x, "PRAGMA application_id = 42");
	WANT_CODE(x->st->ops->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of another application's file");
	WANT_IN(x->err.msg, "not a planshift store", "check_schema message");
}

static void s_not_a_database(void **state)
{
	struct sx *x = *state;
	FILE *fp = fopen(x->path, "w");
	if (fp == NULL)
		fail_msg("case create %s: got %s, want ok", x->path, strerror(errno));
	for (int i = 0; i < 64; i++)
		fputs("this is not an SQLite database, just text.\n", fp);
	fclose(fp);
	WANT_CODE(ps_store_open(x->path, &x->st, &x->err), PS_STORE, "open a text file");
	if (x->st != NULL)
		fail_msg("case open a text file: got a handle, want NULL");
	char missing[600];
	snprintf(missing, sizeof missing, "%s/no/such/dir/x.db", g_env.dir);
	WANT_CODE(ps_store_open(missing, &x->st, &x->err), PS_STORE, "open in a missing directory");
}

static void s_store_open_urls(void **state)
{
	struct sx *x = *state;
	char url[600];
	snprintf(url, sizeof url, "sqlite:%s", x->path);
	OK(ps_store_open(url, &x->st, &x->err), "sqlite:PATH");
	OK(x->st->ops->migrate(x->st, &x->err), "migrate via sqlite:PATH");
	int64_t t = add_tenant(x, x->st);
	OK(ps_store_open(x->path, &x->st2, &x->err), "plain path");
	struct ps_tenant got;
	OK(x->st2->ops->tenant_get(x->st2, t, &got, &x->err), "both name the same file");

	struct ps_store *none = (struct ps_store *)&x->err; /* must be set to NULL on failure */
	/* A PostgreSQL URL goes to the PostgreSQL backend, never to a file:
	 * with no server on port 1, it is refused as unreachable. */
	const char *pg[] = {"postgresql://planshift@127.0.0.1:1/planshift", "postgres://u:p@127.0.0.1:1/x"};
	for (size_t i = 0; i < 2; i++) {
		WANT_CODE(ps_store_open(pg[i], &none, &x->err), PS_STORE, pg[i]);
		WANT_STR(x->err.field, "db", pg[i]);
		if (none != NULL)
			fail_msg("case %s: got a handle, want NULL", pg[i]);
		if (access("postgresql:", F_OK) == 0 || access("postgres:", F_OK) == 0)
			fail_msg("case %s: a file was made for a PostgreSQL URL", pg[i]);
	}
	const char *bad[] = {"", "sqlite:", "mysql://localhost/x"};
	for (size_t i = 0; i < 3; i++) {
		WANT_CODE(ps_store_open(bad[i], &none, &x->err), PS_INVALID_FIELD, bad[i]);
		WANT_STR(x->err.field, "db", bad[i]);
	}
	WANT_CODE(ps_store_open(NULL, &none, &x->err), PS_INVALID_FIELD, "NULL url");
	WANT_STR(x->err.field, "db", "NULL url");
	ps_store_close(NULL);
}

static void s_readable_file(void **state)
{
	struct sx *x = *state;
	char v[128];
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription s = {.tenant_id = t,
				    .plan_id = "biz-basic",
				    .product_id = "business",
				    .quantity = 3,
				    .status = PS_SUB_ACTIVE,
				    .term = PS_TERM_ANNUAL};
	OK(o->sub_insert(x->st, &s, &x->err), "sub");
	OK(o->token_insert(x->st, "abc", &(struct ps_token){.role = PS_ROLE_OPERATOR, .tenant_id = 0, .created_at = NOW}, &x->err), "token");
	open_raw(x);
	raw_text(x,
		 "SELECT status || '/' || term || '/' || typeof(status) || '/' || typeof(addon_of) FROM subscriptions",
		 v, sizeof v);
	WANT_STR(v, "active/annual/text/null", "subscription row as sqlite3 shows it");
	raw_text(x, "SELECT role || '/' || typeof(tenant_id) FROM tokens", v, sizeof v);
	WANT_STR(v, "operator/null", "provider token row");
	raw_text(x, "SELECT segment || '/' || payment FROM tenants", v, sizeof v);
	WANT_STR(v, "commercial/card", "tenant row");
}

static void s_check_constraints(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);

	struct ps_subscription s = {.tenant_id = t, .plan_id = "p", .product_id = "q", .quantity = -1};
	WANT_CODE(o->sub_insert(x->st, &s, &x->err), PS_INVALID_FIELD, "negative quantity");
	WANT_STR(x->err.field, "quantity", "negative quantity field");
	s.quantity = 1;
	s.status = (enum ps_sub_status)99;
	WANT_CODE(o->sub_insert(x->st, &s, &x->err), PS_INVALID_FIELD, "status out of the enum");
	WANT_STR(x->err.field, "status", "status out of the enum field");
	s.status = PS_SUB_ACTIVE;
	OK(o->sub_insert(x->st, &s, &x->err), "valid sub");
	s.quantity = -5;
	WANT_CODE(o->sub_update(x->st, &s, &x->err), PS_INVALID_FIELD, "update to a negative quantity");
	WANT_STR(x->err.field, "quantity", "update to a negative quantity field");

	struct ps_tenant bad = {.segment = PS_SEG_COMMERCIAL, .payment = PS_PAY_CARD, .currency = "EU"};
	WANT_CODE(o->tenant_insert(x->st, &bad, &x->err), PS_INVALID_FIELD, "two-letter currency");
	WANT_STR(x->err.field, "currency", "two-letter currency field");

	WANT_CODE(o->token_insert(x->st, "h1", &(struct ps_token){.role = PS_ROLE_OPERATOR, .tenant_id = t, .created_at = NOW}, &x->err), PS_INVALID_FIELD,
		  "operator token bound to a tenant");
	WANT_STR(x->err.field, "tenant", "operator token bound to a tenant field");
	WANT_CODE(o->token_insert(x->st, "h2", &(struct ps_token){.role = PS_ROLE_READER, .tenant_id = 0, .created_at = NOW}, &x->err), PS_INVALID_FIELD,
		  "reader token without a tenant");
	WANT_STR(x->err.field, "tenant", "reader token without a tenant field");
}

static void s_bad_data(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_user u = {.tenant_id = t, .upn = "u@t"};
	OK(o->user_insert(x->st, &u, &x->err), "user");
	struct ps_subscription s = {.tenant_id = t, .plan_id = "p", .product_id = "q", .quantity = 1};
	OK(o->sub_insert(x->st, &s, &x->err), "sub");

	/* Hand-edited rows a binary cannot hold: an error, never an overflow. */
	open_raw(x);
	raw_exec(x, "UPDATE users SET upn = printf('%.300c', 'x')");
	struct ps_user ug;
	WANT_CODE(o->user_get(x->st, t, u.id, &ug, &x->err), PS_STORE, "upn longer than its cap");
	WANT_IN(x->err.msg, "users.upn", "upn longer than its cap message");
	raw_exec(x, "PRAGMA ignore_check_constraints = ON");
	raw_exec(x, "UPDATE subscriptions SET status = 'bogus'");
	struct ps_subscription sg;
	WANT_CODE(o->sub_get(x->st, t, s.id, &sg, &x->err), PS_STORE, "unknown status");
	WANT_IN(x->err.msg, "subscriptions.status", "unknown status message");
	struct ps_snapshot snap;
	ps_snapshot_init(&snap);
	ps_code c = o->snapshot_load(x->st, t, NOW, &snap, &x->err);
	ps_snapshot_fini(&snap);
	if (c != PS_STORE)
		fail_msg("case snapshot with an unknown status: got %s, want %s", ps_code_api(c),
			 ps_code_api(PS_STORE));
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "begin after a failed snapshot");
	x->st->ops->rollback(x->st);
}

static void s_locking(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, true);
	open_store(x, &x->st2, false);
	const struct ps_store_ops *o = x->st->ops;

	/* WAL: a reader is not blocked by a writer and sees committed data only. */
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "writer begins");
	int64_t t = add_tenant(x, x->st);
	struct ps_tenant got;
	WANT_CODE(o->tenant_get(x->st2, t, &got, &x->err), PS_NOT_FOUND, "reader during the write");

	/* A second writer waits a short busy timeout, then gives up (the
	 * caller answers 503 with Retry-After rather than hold a thread). */
	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	WANT_CODE(o->begin(x->st2, PS_TX_WRITE, &x->err), PS_STORE, "second writer");
	clock_gettime(CLOCK_MONOTONIC, &w1);
	WANT_IN(x->err.msg, "locked", "second writer message");
	double waited = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
	if (waited < 0.5 || waited > 2.5)
		fail_msg("case second writer: gave up after %.3f s, want about 1 s", waited);
	OK(o->commit(x->st, &x->err), "writer commits");
	OK(o->tenant_get(x->st2, t, &got, &x->err), "reader after the commit");
	OK(o->begin(x->st2, PS_TX_WRITE, &x->err), "second writer after the commit");
	OK(o->commit(x->st2, &x->err), "second writer commits");

	WANT_CODE(o->commit(x->st, &x->err), PS_STORE, "commit without a transaction");
	OK(o->begin(x->st, PS_TX_READ, &x->err), "begin read");
	WANT_CODE(o->begin(x->st, PS_TX_READ, &x->err), PS_STORE, "begin inside a transaction");
	WANT_CODE(o->migrate(x->st, &x->err), PS_STORE, "migrate inside a transaction");
	o->rollback(x->st);
}

static void s_schema_triggers(void **state)
{
	struct sx *x = *state;
	char v[64];
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription s1 = {.tenant_id = t, .plan_id = "a", .product_id = "business", .quantity = 5};
	struct ps_subscription s2 = s1;
	OK(o->sub_insert(x->st, &s1, &x->err), "s1");
	OK(o->sub_insert(x->st, &s2, &x->err), "s2");
	struct ps_user u = {.tenant_id = t, .upn = "u@t"};
	OK(o->user_insert(x->st, &u, &x->err), "user");
	struct ps_assignment a = {.tenant_id = t, .subscription_id = s1.id, .user_id = u.id};
	OK(o->assignment_insert(x->st, &a, &x->err), "seat");

	/* Adding and removing a seat keep their triggers; moving seats is
	 * assignments_move's, which keeps both counts itself (version 2). */
	open_raw(x);
	raw_text(x, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master"
		    " WHERE type = 'trigger' AND tbl_name = 'assignments' ORDER BY name)", v, sizeof v);
	WANT_STR(v, "assignments_count_delete,assignments_count_insert", "triggers on assignments");
	raw_exec(x, "DELETE FROM assignments");
	struct ps_subscription got;
	OK(o->sub_get(x->st, t, s1.id, &got, &x->err), "s1 after a delete by hand");
	WANT_I64(got.assigned, 0, "s1 assigned after a delete by hand");
	OK(o->assignment_insert(x->st, &a, &x->err), "seat again");

	/* An id inserted by hand keeps the sequence ahead of it. */
	raw_exec(x, "INSERT INTO tenants (id, name, segment, payment, credit_limit, currency, created_at)"
		    " VALUES (50, 'by hand', 'commercial', 'card', 0, 'EUR', 0)");
	WANT_I64(add_tenant(x, x->st), 51, "tenant id after a hand-inserted 50");

	/* The audit log is append-only. */
	struct ps_audit au = {.tenant_id = t, .role = PS_ROLE_READER, .action = "x"};
	OK(o->audit_insert(x->st, &au, &x->err), "audit");
	if (sqlite3_exec(x->raw, "DELETE FROM audit", NULL, NULL, NULL) == SQLITE_OK)
		fail_msg("case delete from audit: got ok, want refused");
	raw_text(x, "SELECT count(*) FROM audit", v, sizeof v);
	WANT_STR(v, "1", "audit rows after a refused delete");
}

struct reenter {
	struct sx *x;
	struct ps_store *st;
	ps_code inner;
	int rows;
};

static bool reenter_cb(void *arg, const struct ps_tenant *t)
{
	struct reenter *r = arg;
	r->rows++;
	if (r->rows == 1)
		r->inner = r->st->ops->tenant_list(r->st, 0, 0, reenter_cb, r, &r->x->err);
	return true;
}

/* A list statement is busy while its callback runs: calling the same list
 * again from there is refused, and the outer walk goes on unharmed. */
static void s_reentrant_list(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, true);
	for (int i = 0; i < 3; i++)
		add_tenant(x, x->st);
	struct reenter r = {.x = x, .st = x->st};
	OK(x->st->ops->tenant_list(x->st, 0, 0, reenter_cb, &r, &x->err), "outer tenant_list");
	WANT_I64(r.rows, 3, "rows of the outer walk");
	WANT_STR(ps_code_api(r.inner), ps_code_api(PS_INTERNAL), "inner tenant_list");
}

/* ---- Schema version 2 --------------------------------------------------- */

/* Version 1's schema exactly as released (migration step 1, as SQLite
 * received it), to build a version-1 store the way an old binary did. A
 * store migrated from it must end up with exactly the schema of a new one:
 * that also catches an edit to step 1, which must never change. */
/* clang-format off */
static const char v1_schema[] =
    "PRAGMA application_id = 1347179336;\n"
    "CREATE TABLE sequences (\n"
    "\tname TEXT PRIMARY KEY,\n"
    "\tnext INTEGER NOT NULL\n"
    ") STRICT, WITHOUT ROWID;\n"
    "INSERT INTO sequences (name, next) VALUES ('tenants', 1), ('users', 1), ('subscriptions', 1),\n"
    "\t('incidents', 1), ('invoices', 1), ('credit_checks', 1), ('operations', 1), ('audit', 1), ('tokens', 1);\n"
    "CREATE TABLE catalog (\n"
    "\tone INTEGER PRIMARY KEY CHECK (one = 1),\n"
    "\tdoc TEXT NOT NULL,\n"
    "\tloaded_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE TABLE tenants (\n"
    "\tid INTEGER PRIMARY KEY,\n"
    "\tname TEXT NOT NULL,\n"
    "\tsegment TEXT NOT NULL CONSTRAINT segment\n"
    "\t\tCHECK (segment IN ('commercial', 'education', 'government', 'nonprofit')),\n"
    "\tpayment TEXT NOT NULL CONSTRAINT payment CHECK (payment IN ('invoice', 'card')),\n"
    "\tcredit_limit INTEGER NOT NULL CONSTRAINT credit_limit CHECK (credit_limit >= 0),\n"
    "\tcurrency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),\n"
    "\tcreated_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE TRIGGER tenants_next_id AFTER INSERT ON tenants BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'tenants' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE tokens (\n"
    "\thash TEXT PRIMARY KEY,\n"
    "\tid INTEGER NOT NULL UNIQUE,\n"
    "\trole TEXT NOT NULL CONSTRAINT role CHECK (role IN ('operator', 'support', "
    "'global_admin', 'billing_admin', 'license_admin', 'reader')),\n"
    "\ttenant_id INTEGER REFERENCES tenants (id),\n"
    "\tcreated_at INTEGER NOT NULL,\n"
    "\tCONSTRAINT tenant CHECK ((tenant_id IS NULL) = (role IN ('operator', 'support')))\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TRIGGER tokens_next_id AFTER INSERT ON tokens BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'tokens' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE users (\n"
    "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "\tid INTEGER NOT NULL,\n"
    "\tupn TEXT NOT NULL COLLATE NOCASE,\n"
    "\tdisplay_name TEXT NOT NULL,\n"
    "\tcreated_at INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id),\n"
    "\tUNIQUE (tenant_id, upn)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TRIGGER users_next_id AFTER INSERT ON users BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'users' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE subscriptions (\n"
    "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "\tid INTEGER NOT NULL,\n"
    "\tplan_id TEXT NOT NULL,\n"
    "\tproduct_id TEXT NOT NULL,\n"
    "\tquantity INTEGER NOT NULL CONSTRAINT quantity CHECK (quantity >= 0),\n"
    "\tassigned INTEGER NOT NULL DEFAULT 0 CONSTRAINT assigned CHECK (assigned >= 0),\n"
    "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN\n"
    "\t\t('provisioning', 'active', 'expired', 'disabled', 'cancelled', 'replaced')),\n"
    "\tterm TEXT NOT NULL CONSTRAINT term CHECK (term IN ('monthly', 'annual')),\n"
    "\tprepaid INTEGER NOT NULL CONSTRAINT prepaid CHECK (prepaid IN (0, 1)),\n"
    "\tterm_start INTEGER NOT NULL,\n"
    "\tterm_end INTEGER NOT NULL,\n"
    "\taddon_of INTEGER,\n"
    "\treplaced_by INTEGER,\n"
    "\tcreated_at INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, addon_of) REFERENCES subscriptions (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, replaced_by) REFERENCES subscriptions (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TRIGGER subscriptions_next_id AFTER INSERT ON subscriptions BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'subscriptions' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE assignments (\n"
    "\ttenant_id INTEGER NOT NULL,\n"
    "\tsubscription_id INTEGER NOT NULL,\n"
    "\tuser_id INTEGER NOT NULL,\n"
    "\tproduct_id TEXT NOT NULL,\n"
    "\tassigned_at INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, subscription_id, user_id),\n"
    "\tUNIQUE (tenant_id, user_id, product_id),\n"
    "\tFOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TRIGGER assignments_count_insert AFTER INSERT ON assignments BEGIN\n"
    "\tUPDATE subscriptions SET assigned = assigned + 1\n"
    "\t\tWHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id;\n"
    "END;\n"
    "CREATE TRIGGER assignments_count_delete AFTER DELETE ON assignments BEGIN\n"
    "\tUPDATE subscriptions SET assigned = assigned - 1\n"
    "\t\tWHERE tenant_id = OLD.tenant_id AND id = OLD.subscription_id;\n"
    "END;\n"
    "CREATE TRIGGER assignments_count_move AFTER UPDATE OF tenant_id, subscription_id ON assignments\n"
    "\tWHEN OLD.tenant_id <> NEW.tenant_id OR OLD.subscription_id <> NEW.subscription_id BEGIN\n"
    "\tUPDATE subscriptions SET assigned = assigned - 1\n"
    "\t\tWHERE tenant_id = OLD.tenant_id AND id = OLD.subscription_id;\n"
    "\tUPDATE subscriptions SET assigned = assigned + 1\n"
    "\t\tWHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id;\n"
    "END;\n"
    "CREATE TABLE incidents (\n"
    "\tid INTEGER PRIMARY KEY,\n"
    "\tservice_id TEXT NOT NULL,\n"
    "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN\n"
    "\t\t('investigating', 'degraded', 'interrupted', 'restoring', 'resolved')),\n"
    "\ttitle TEXT NOT NULL,\n"
    "\topened_at INTEGER NOT NULL,\n"
    "\tresolved_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX incidents_open ON incidents (id) WHERE status <> 'resolved';\n"
    "CREATE TRIGGER incidents_next_id AFTER INSERT ON incidents BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'incidents' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE invoices (\n"
    "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "\tid INTEGER NOT NULL,\n"
    "\tsubscription_id INTEGER,\n"
    "\tamount INTEGER NOT NULL,\n"
    "\tpaid INTEGER NOT NULL,\n"
    "\tcurrency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),\n"
    "\tissued_at INTEGER NOT NULL,\n"
    "\tdue_at INTEGER NOT NULL,\n"
    "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN ('open', 'paid', 'void')),\n"
    "\tPRIMARY KEY (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX invoices_open_due ON invoices (tenant_id, due_at) WHERE status = 'open';\n"
    "CREATE TRIGGER invoices_next_id AFTER INSERT ON invoices BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'invoices' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE credit_checks (\n"
    "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "\tid INTEGER NOT NULL,\n"
    "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN ('pending', 'approved', 'denied')),\n"
    "\tamount INTEGER NOT NULL,\n"
    "\trequested_at INTEGER NOT NULL,\n"
    "\texpected_by INTEGER NOT NULL,\n"
    "\tdecided_at INTEGER,\n"
    "\tPRIMARY KEY (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX credit_checks_pending ON credit_checks (tenant_id, requested_at) WHERE status = 'pending';\n"
    "CREATE TRIGGER credit_checks_next_id AFTER INSERT ON credit_checks BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'credit_checks' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE operations (\n"
    "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "\tid INTEGER NOT NULL,\n"
    "\tkind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN ('upgrade', 'switch')),\n"
    "\tstate TEXT NOT NULL CONSTRAINT state CHECK (state IN\n"
    "\t\t('pending_credit_check', 'provisioning', 'completed', 'failed')),\n"
    "\tsource_sub INTEGER NOT NULL,\n"
    "\ttarget_plan TEXT NOT NULL,\n"
    "\tnew_sub INTEGER,\n"
    "\tcreated_at INTEGER NOT NULL,\n"
    "\tupdated_at INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, source_sub) REFERENCES subscriptions (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, new_sub) REFERENCES subscriptions (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX operations_unfinished ON operations (tenant_id, id)\n"
    "\tWHERE state IN ('pending_credit_check', 'provisioning');\n"
    "CREATE INDEX operations_kind_created ON operations (kind, created_at);\n"
    "CREATE TRIGGER operations_next_id AFTER INSERT ON operations BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'operations' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TABLE audit (\n"
    "\ttenant_id INTEGER NOT NULL,\n"
    "\tid INTEGER NOT NULL,\n"
    "\tat INTEGER NOT NULL,\n"
    "\ttoken_id INTEGER NOT NULL,\n"
    "\trole TEXT NOT NULL CONSTRAINT role CHECK (role IN ('operator', 'support', "
    "'global_admin', 'billing_admin', 'license_admin', 'reader')),\n"
    "\taction TEXT NOT NULL,\n"
    "\tobject TEXT NOT NULL,\n"
    "\trequest_id TEXT NOT NULL,\n"
    "\tdetail TEXT NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TRIGGER audit_next_id AFTER INSERT ON audit BEGIN\n"
    "\tUPDATE sequences SET next = NEW.id + 1 WHERE name = 'audit' AND next <= NEW.id;\n"
    "END;\n"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN\n"
    "\tSELECT RAISE(ABORT, 'the audit log is append-only');\n"
    "END;\n"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN\n"
    "\tSELECT RAISE(ABORT, 'the audit log is append-only');\n"
    "END;\n";
/* clang-format on */

/* A version-1 store at x->path, as an old binary left it. */
static void make_v1(struct sx *x)
{
	open_raw(x);
	raw_exec(x, "PRAGMA journal_mode = WAL");
	raw_exec(x, "PRAGMA foreign_keys = ON");
	raw_exec(x, "BEGIN IMMEDIATE");
	raw_exec(x, v1_schema);
	raw_exec(x, "PRAGMA user_version = 1");
	raw_exec(x, "COMMIT");
}

/* The schema as text: every object's type, name, table and SQL, by name. */
static void schema_of(sqlite3 *db, char *out, size_t cap)
{
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY name",
			       -1, &s, NULL) != SQLITE_OK)
		fail_msg("case schema: got %s, want ok", sqlite3_errmsg(db));
	while (sqlite3_step(s) == SQLITE_ROW && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "%s %s %s: %s\n", sqlite3_column_text(s, 0),
				      sqlite3_column_text(s, 1), sqlite3_column_text(s, 2), sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	if (n >= cap)
		fail_msg("case schema: got more than %zu bytes of schema, want less", cap);
}

/* The first line where a and b differ, for a readable failure. */
static void same_schema(const char *a, const char *b, const char *what)
{
	if (strcmp(a, b) == 0)
		return;
	size_t i = 0, line = 0;
	while (a[i] == b[i]) {
		if (a[i] == '\n')
			line = i + 1;
		i++;
	}
	const char *ea = strchr(a + line, '\n'), *eb = strchr(b + line, '\n');
	fail_msg("case %s: got \"%.*s\", want \"%.*s\"", what, ea ? (int)(ea - a - line) : (int)strlen(a + line),
		 a + line, eb ? (int)(eb - b - line) : (int)strlen(b + line), b + line);
}

#define T_JAN31 INT64_C(1801391400) /* 2027-01-31T10:30:00Z */
#define T_LEAP	INT64_C(1832927400) /* 2028-01-31T10:30:00Z */
#define T_DEC15 INT64_C(1828953000) /* 2027-12-15T14:30:00Z */
#define T_1969	INT64_C(-3600)	    /* 1969-12-31T23:00:00Z */

static void s_migrate_from_v1(void **state)
{
	struct sx *x = *state;
	char v[128];
	make_v1(x);
	/* Rows as version 1 wrote them. */
	raw_exec(x, "INSERT INTO tenants (id, name, segment, payment, credit_limit, currency, created_at) VALUES"
		    " (1, 'Contoso', 'commercial', 'invoice', 250000, 'EUR', 100),"
		    " (2, 'Fabrikam', 'education', 'card', 0, 'USD', 200)");
	raw_exec(x, "UPDATE sequences SET next = 3 WHERE name = 'tenants'");
	raw_exec(x, "INSERT INTO users (tenant_id, id, upn, display_name, created_at) VALUES"
		    " (1, 1, 'a@contoso.example', 'A', 1), (1, 2, 'b@contoso.example', 'B', 1)");
	/* clang-format off */
	raw_exec(x, "INSERT INTO subscriptions (tenant_id, id, plan_id, product_id, quantity, status, term, prepaid,"
		    " term_start, term_end, addon_of, replaced_by, created_at) VALUES"
		    " (1, 1, 'biz-basic', 'business', 25, 'active', 'monthly', 0,"
		    "  1801391400, 1803810600, NULL, NULL, 1),"
		    " (1, 2, 'biz-standard', 'business', 5, 'active', 'annual', 1,"
		    "  1801391400, 1832927400, NULL, NULL, 1),"
		    " (1, 3, 'mail-p1', 'mail', 3, 'active', 'monthly', 0,"
		    "  1832927400, 1835433000, NULL, NULL, 1),"
		    " (2, 4, 'ent-e3', 'enterprise', 9, 'provisioning', 'annual', 0,"
		    "  1828953000, 1860489000, NULL, NULL, 1),"
		    " (2, 5, 'ent-e5', 'enterprise', 1, 'expired', 'monthly', 0,"
		    "  -3600, 2674800, NULL, NULL, 1)");
	/* clang-format on */
	raw_exec(x, "INSERT INTO assignments (tenant_id, subscription_id, user_id, product_id, assigned_at) VALUES"
		    " (1, 1, 1, 'business', 5), (1, 1, 2, 'business', 6)");
	raw_exec(x, "INSERT INTO operations (tenant_id, id, kind, state, source_sub, target_plan, new_sub,"
		    " created_at, updated_at) VALUES (1, 1, 'upgrade', 'provisioning', 3, 'mail-p2', NULL, 10, 11),"
		    " (1, 2, 'switch', 'completed', 1, 'biz-standard', 2, 12, 13)");
	raw_exec(x, "INSERT INTO credit_checks (tenant_id, id, status, amount, requested_at, expected_by, decided_at)"
		    " VALUES (2, 1, 'pending', 500000, 20, 30, NULL)");
	raw_exec(x, "INSERT INTO invoices (tenant_id, id, subscription_id, amount, paid, currency, issued_at, due_at,"
		    " status) VALUES (1, 1, 1, 15000, 0, 'EUR', 1801391400, 1803983400, 'open')");
	raw_exec(x, "INSERT INTO audit (tenant_id, id, at, token_id, role, action, object, request_id, detail)"
		    " VALUES (1, 1, 9, 1, 'billing_admin', 'subscription.purchase', 'sub_1', 'r1', '{}')");

	open_store(x, &x->st, false);
	const struct ps_store_ops *o = x->st->ops;
	WANT_CODE(o->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of a version-1 store");
	WANT_IN(x->err.msg, "planshift init", "check_schema message for a version-1 store");
	OK(o->migrate(x->st, &x->err), "migrate from version 1");
	OK(o->check_schema(x->st, &x->err), "check_schema after migrating");
	raw_text(x, "PRAGMA user_version", v, sizeof v);
	WANT_STR(v, PS_STR(PS_SCHEMA_VERSION), "user_version after migrating");

	/* The rows are kept, with the new fields filled in. */
	struct ps_tenant t;
	OK(o->tenant_get(x->st, 1, &t, &x->err), "tenant 1");
	WANT_STR(t.name, "Contoso", "tenant 1 name");
	WANT_I64(t.credit_limit, 250000, "tenant 1 credit_limit");
	struct ps_user u;
	OK(o->user_get(x->st, 1, 2, &u, &x->err), "user 2");
	WANT_STR(u.upn, "b@contoso.example", "user 2 upn");

	/* billed_through: version 1 invoiced the first month (the whole term
	 * when prepaid) at purchase. */
	const struct {
		int64_t tenant, id, quantity, assigned, billed;
	} subs[] = {
	    {1, 1, 25, 2, ps_time_add_months(T_JAN31, 1)},
	    {1, 2, 5, 0, 1832927400},
	    {1, 3, 3, 0, ps_time_add_months(T_LEAP, 1)},
	    {2, 4, 9, 0, ps_time_add_months(T_DEC15, 1)},
	    {2, 5, 1, 0, ps_time_add_months(T_1969, 1)},
	};
	WANT_I64(ps_time_add_months(T_JAN31, 1), INT64_C(1803810600), "2027-01-31 + 1 month is 2027-02-28");
	WANT_I64(ps_time_add_months(T_LEAP, 1), INT64_C(1835433000), "2028-01-31 + 1 month is 2028-02-29");
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		char w[64];
		struct ps_subscription s;
		snprintf(w, sizeof w, "v1 sub %" PRId64, subs[i].id);
		OK(o->sub_get(x->st, subs[i].tenant, subs[i].id, &s, &x->err), w);
		snprintf(w, sizeof w, "v1 sub %" PRId64 " billed_through", subs[i].id);
		WANT_I64(s.billed_through, subs[i].billed, w);
		snprintf(w, sizeof w, "v1 sub %" PRId64 " quantity", subs[i].id);
		WANT_I64(s.quantity, subs[i].quantity, w);
		snprintf(w, sizeof w, "v1 sub %" PRId64 " assigned", subs[i].id);
		WANT_I64(s.assigned, subs[i].assigned, w);
	}

	struct ps_operation op;
	OK(o->operation_get(x->st, 1, 1, &op, &x->err), "v1 operation 1");
	WANT_I64(op.quantity, 3, "v1 operation quantity: its source's");
	WANT_I64(op.credit_check_id, 0, "v1 operation credit_check_id");
	WANT_STR(op.request_id, "", "v1 operation request_id");
	WANT_STR(op.detail, "{}", "v1 operation detail");
	WANT_STR(ps_op_state_name(op.state), "provisioning", "v1 operation state");
	OK(o->operation_find_by_new_sub(x->st, 1, 2, &op, &x->err), "v1 switch found by its new sub");
	WANT_I64(op.id, 2, "v1 switch id");
	WANT_I64(op.effective_at, 0, "v1 switch effective_at (step 6)");
	/* Step 6 (the operations table rebuilt): a scheduled change, at most
	 * one per subscription, blocking no immediate upgrade; the credit
	 * checks' reference to an operation still checked. */
	struct ps_operation sched = {.tenant_id = 1, .kind = PS_OPK_UPGRADE, .state = PS_OP_SCHEDULED,
				     .source_sub = 2, .target_plan = "biz-premium", .effective_at = 1832927400};
	OK(o->operation_insert(x->st, &sched, &x->err), "a scheduled upgrade after migrating");
	WANT_I64(sched.id, 3, "scheduled operation id after version 1's");
	OK(o->operation_find_scheduled(x->st, 1, 2, &op, &x->err), "the scheduled operation found");
	WANT_I64(op.effective_at, 1832927400, "scheduled operation effective_at");
	struct ps_operation sched2 = sched;
	WANT_CODE(o->operation_insert(x->st, &sched2, &x->err), PS_CONFLICT, "a second scheduled change of sub 2");
	struct ps_credit_check stray = {.tenant_id = 2, .status = PS_CC_PENDING, .amount = 1, .operation_id = 77};
	WANT_CODE(o->credit_check_insert(x->st, &stray, &x->err), PS_NOT_FOUND,
		  "a credit check naming a missing operation after step 6");
	struct ps_credit_check cc;
	OK(o->credit_check_get(x->st, 1, &cc, &x->err), "v1 credit check by id");
	WANT_I64(cc.tenant_id, 2, "v1 credit check tenant");
	WANT_I64(cc.subscription_id, 0, "v1 credit check subscription_id");
	WANT_I64(cc.operation_id, 0, "v1 credit check operation_id");
	struct ps_invoice inv;
	OK(o->invoice_get(x->st, 1, 1, &inv, &x->err), "v1 invoice");
	WANT_I64(inv.amount, 15000, "v1 invoice amount");

	/* Version 2 works on it: ids go on, the upgrade rule holds, seats move
	 * with exact counts (no trigger left to count twice). */
	struct ps_tenant nt = {.segment = PS_SEG_COMMERCIAL, .payment = PS_PAY_CARD, .currency = "EUR", .name = "N"};
	OK(o->tenant_insert(x->st, &nt, &x->err), "new tenant");
	WANT_I64(nt.id, 3, "new tenant id after version 1's");
	struct ps_operation second = {.tenant_id = 1,
				      .kind = PS_OPK_UPGRADE,
				      .state = PS_OP_PENDING_CREDIT_CHECK,
				      .source_sub = 1,
				      .target_plan = "biz-standard"};
	WANT_CODE(o->operation_insert(x->st, &second, &x->err), PS_CONFLICT, "second unfinished upgrade of tenant 1");
	struct ps_subscription ns = {.tenant_id = 1,
				     .plan_id = "biz-premium",
				     .product_id = "business",
				     .quantity = 25,
				     .status = PS_SUB_ACTIVE,
				     .term = PS_TERM_MONTHLY};
	OK(o->sub_insert(x->st, &ns, &x->err), "new sub");
	WANT_I64(ns.id, 6, "new sub id after version 1's");
	int64_t moved = 0;
	OK(o->assignments_move(x->st, 1, 1, ns.id, "business", &moved, &x->err), "move v1 seats");
	WANT_I64(moved, 2, "v1 seats moved");
	struct ps_subscription got;
	OK(o->sub_get(x->st, 1, 1, &got, &x->err), "v1 sub 1 after the move");
	WANT_I64(got.assigned, 0, "v1 sub 1 assigned after the move");
	OK(o->sub_get(x->st, 1, ns.id, &got, &x->err), "new sub after the move");
	WANT_I64(got.assigned, 2, "new sub assigned after the move");
	struct ps_audit au = {.tenant_id = 1, .role = PS_ROLE_READER, .action = "x"};
	OK(o->audit_insert(x->st, &au, &x->err), "audit after migrating");
	WANT_I64(au.id, 2, "audit id after version 1's");
	raw_text(x, "PRAGMA foreign_key_check", v, sizeof v);
	WANT_STR(v, "", "foreign_key_check after migrating");
	raw_text(x, "PRAGMA integrity_check", v, sizeof v);
	WANT_STR(v, "ok", "integrity_check after migrating");

	/* The migrated schema is a new store's, object for object. */
	static char migrated[65536], created[65536];
	schema_of(x->raw, migrated, sizeof migrated);
	ps_store_close(x->st2);
	x->st2 = NULL;
	char fresh_path[540];
	snprintf(fresh_path, sizeof fresh_path, "%s-fresh", x->path);
	OK(ps_store_open(fresh_path, &x->st2, &x->err), "open a new store");
	OK(x->st2->ops->migrate(x->st2, &x->err), "migrate a new store");
	sqlite3 *fresh = NULL;
	if (sqlite3_open(fresh_path, &fresh) != SQLITE_OK)
		fail_msg("case open %s: got %s, want ok", fresh_path, sqlite3_errmsg(fresh));
	schema_of(fresh, created, sizeof created);
	sqlite3_close(fresh);
	ps_store_close(x->st2);
	x->st2 = NULL;
	remove_db(fresh_path);
	same_schema(migrated, created, "migrated schema, first difference from a new store's");
}

/* ---- Prices as sold, catalog versions (PS_SCHEMA_PRICES) ----------------- */

/* A store made by the binary before prices were kept (every step up to
 * PS_SCHEMA_PRICES - 1, as released) migrates: each subscription gets the
 * price of its last whole-period invoice line (amount / (seats x months)),
 * else its plan's price in the stored catalog, else 0, and its tenant's
 * currency; the stored catalog becomes version 1, loaded by "init". */
static void s_migrate_prices(void **state)
{
	struct sx *x = *state;
	char v[64];
	open_raw(x);
	raw_exec(x, "PRAGMA journal_mode = WAL");
	raw_exec(x, "PRAGMA foreign_keys = ON");
	raw_exec(x, "BEGIN IMMEDIATE");
	for (int k = 0; k < PS_SCHEMA_PRICES - 1; k++)
		raw_exec(x, ps_sqlite_migrations[k]);
	snprintf(v, sizeof v, "PRAGMA user_version = %d", PS_SCHEMA_PRICES - 1);
	raw_exec(x, v);
	raw_exec(x, "COMMIT");
	for (const char *const *row = ps_prices_fixture_rows; *row; row++)
		raw_exec(x, *row);

	open_store(x, &x->st, false);
	const struct ps_store_ops *o = x->st->ops;
	WANT_CODE(o->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of a store before prices");
	OK(o->migrate(x->st, &x->err), "migrate a store made before prices");
	raw_text(x, "PRAGMA user_version", v, sizeof v);
	WANT_STR(v, PS_STR(PS_SCHEMA_VERSION), "user_version after migrating");
	ps_prices_check_migrated(x->st);
}

/* Two unfinished upgrades of one tenant cannot both stay: the migration
 * refuses, says why, and leaves the store at version 1. */
static void s_migrate_v1_two_upgrades(void **state)
{
	struct sx *x = *state;
	char v[64];
	make_v1(x);
	raw_exec(x, "INSERT INTO tenants (id, name, segment, payment, credit_limit, currency, created_at)"
		    " VALUES (1, 'T', 'commercial', 'card', 0, 'EUR', 0)");
	raw_exec(x, "INSERT INTO subscriptions (tenant_id, id, plan_id, product_id, quantity, status, term, prepaid,"
		    " term_start, term_end, created_at) VALUES (1, 1, 'p', 'q', 1, 'active', 'monthly', 0, 0, 0, 0)");
	raw_exec(x, "INSERT INTO operations (tenant_id, id, kind, state, source_sub, target_plan, created_at,"
		    " updated_at) VALUES (1, 1, 'upgrade', 'provisioning', 1, 'p2', 0, 0),"
		    " (1, 2, 'upgrade', 'pending_credit_check', 1, 'p3', 0, 0)");
	open_store(x, &x->st, false);
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_STORE, "migrate with two unfinished upgrades");
	WANT_IN(x->err.msg, "two unfinished upgrade operations", "migrate message");
	raw_text(x, "PRAGMA user_version", v, sizeof v);
	WANT_STR(v, "1", "user_version after the refused migration");
	raw_text(x, "SELECT count(*) FROM sqlite_master WHERE name IN ('payments', 'clock')", v, sizeof v);
	WANT_STR(v, "0", "no version-2 table after the refused migration");
	raw_exec(x, "UPDATE operations SET state = 'failed' WHERE id = 2");
	OK(x->st->ops->migrate(x->st, &x->err), "migrate once one is failed");
}

/* The rule holds across handles (daemons): each sees the other's commit. */
static void s_one_upgrade_across_handles(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, true);
	open_store(x, &x->st2, false);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription s = {.tenant_id = t, .plan_id = "p", .product_id = "q", .quantity = 1};
	OK(o->sub_insert(x->st, &s, &x->err), "sub");
	struct ps_operation op = {.tenant_id = t,
				  .kind = PS_OPK_UPGRADE,
				  .state = PS_OP_PROVISIONING,
				  .source_sub = s.id,
				  .target_plan = "p2"};
	struct ps_operation op2 = op;
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "daemon 1 begins");
	OK(o->operation_insert(x->st, &op, &x->err), "daemon 1 starts an upgrade");
	OK(o->commit(x->st, &x->err), "daemon 1 commits");
	OK(o->begin(x->st2, PS_TX_WRITE, &x->err), "daemon 2 begins");
	WANT_CODE(o->operation_insert(x->st2, &op2, &x->err), PS_CONFLICT, "daemon 2 starts an upgrade too");
	WANT_STR(x->err.field, "operation", "daemon 2's conflict field");
	o->rollback(x->st2);
}

static void s_check_constraints_v2(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription s = {.tenant_id = t, .plan_id = "p", .product_id = "q", .quantity = 1};
	OK(o->sub_insert(x->st, &s, &x->err), "sub");
	struct ps_invoice inv = {.tenant_id = t, .amount = 1, .currency = "EUR"};
	OK(o->invoice_insert(x->st, &inv, &x->err), "invoice");

	struct ps_receipt p = {.tenant_id = t, .amount = 0, .currency = "EUR"};
	WANT_CODE(o->payment_insert(x->st, &p, &x->err), PS_INVALID_FIELD, "payment of 0");
	WANT_STR(x->err.field, "amount", "payment of 0 field");
	p.amount = -5;
	WANT_CODE(o->payment_insert(x->st, &p, &x->err), PS_INVALID_FIELD, "negative payment");
	WANT_STR(x->err.field, "amount", "negative payment field");
	p.amount = 5;
	snprintf(p.currency, sizeof p.currency, "EU");
	WANT_CODE(o->payment_insert(x->st, &p, &x->err), PS_INVALID_FIELD, "payment in a two-letter currency");
	WANT_STR(x->err.field, "currency", "payment currency field");

	struct ps_invoice_line l = {.tenant_id = t,
				    .invoice_id = inv.id,
				    .subscription_id = s.id,
				    .kind = (enum ps_line_kind)99,
				    .period_start = 10,
				    .period_end = 20};
	WANT_CODE(o->invoice_line_insert(x->st, &l, &x->err), PS_INVALID_FIELD, "line kind out of the enum");
	WANT_STR(x->err.field, "kind", "line kind field");
	l.kind = PS_LINE_RENEWAL;
	l.period_end = 9;
	WANT_CODE(o->invoice_line_insert(x->st, &l, &x->err), PS_INVALID_FIELD, "line ending before it starts");
	WANT_STR(x->err.field, "period_end", "line period field");
	l.period_end = 20;
	l.quantity = -1;
	WANT_CODE(o->invoice_line_insert(x->st, &l, &x->err), PS_INVALID_FIELD, "line of -1 seats");
	WANT_STR(x->err.field, "quantity", "line quantity field");

	struct ps_support_request r = {.tenant_id = t, .status = (enum ps_support_status)7};
	WANT_CODE(o->support_insert(x->st, &r, &x->err), PS_INVALID_FIELD, "support status out of the enum");
	WANT_STR(x->err.field, "status", "support status field");

	struct ps_idem k = {.tenant_id = t, .key = "k", .status = 42};
	WANT_CODE(o->idem_insert(x->st, &k, &x->err), PS_INVALID_FIELD, "idempotency status 42");
	WANT_STR(x->err.field, "status", "idempotency status field");

	struct ps_operation op = {.tenant_id = t, .kind = PS_OPK_SWITCH, .source_sub = s.id, .quantity = -1};
	WANT_CODE(o->operation_insert(x->st, &op, &x->err), PS_INVALID_FIELD, "operation of -1 seats");
	WANT_STR(x->err.field, "quantity", "operation quantity field");
	op.quantity = 1;
	OK(o->operation_insert(x->st, &op, &x->err), "operation");
	op.state = (enum ps_op_state)9;
	WANT_CODE(o->operation_update(x->st, &op, &x->err), PS_INVALID_FIELD, "operation state out of the enum");
	WANT_STR(x->err.field, "state", "operation state field");

	struct ps_tenant up = {.id = t, .credit_limit = -1};
	WANT_CODE(o->tenant_update(x->st, &up, &x->err), PS_INVALID_FIELD, "negative credit limit");
	WANT_STR(x->err.field, "credit_limit", "credit limit field");
}

static void s_readable_v2(void **state)
{
	struct sx *x = *state;
	char v[256];
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription s = {.tenant_id = t, .plan_id = "p", .product_id = "q", .quantity = 1};
	OK(o->sub_insert(x->st, &s, &x->err), "sub");
	struct ps_credit_check cc = {.tenant_id = t, .status = PS_CC_PENDING, .amount = 3};
	OK(o->credit_check_insert(x->st, &cc, &x->err), "credit check");
	struct ps_operation op = {.tenant_id = t, .kind = PS_OPK_UPGRADE, .source_sub = s.id};
	OK(o->operation_insert(x->st, &op, &x->err), "operation");
	struct ps_invoice inv = {.tenant_id = t, .amount = 1, .currency = "EUR"};
	OK(o->invoice_insert(x->st, &inv, &x->err), "invoice");
	struct ps_invoice_line l = {.tenant_id = t, .invoice_id = inv.id, .kind = PS_LINE_UPGRADE_CHARGE};
	OK(o->invoice_line_insert(x->st, &l, &x->err), "line about no subscription");
	struct ps_idem k = {.tenant_id = 0, .key = "abc", .request_hash = "h", .status = 201, .response = "{\"id\":1}"};
	OK(o->idem_insert(x->st, &k, &x->err), "provider-wide idempotency key");
	OK(o->clock_set(x->st, NOW, &x->err), "clock");
	open_raw(x);
	raw_text(x, "SELECT typeof(subscription_id) || '/' || typeof(operation_id) FROM credit_checks", v, sizeof v);
	WANT_STR(v, "null/null", "credit check without references");
	raw_text(x, "SELECT kind || '/' || state || '/' || typeof(credit_check_id) || '/' || detail FROM operations", v,
		 sizeof v);
	WANT_STR(v, "upgrade/pending_credit_check/null/", "operation row");
	raw_text(x, "SELECT kind || '/' || typeof(subscription_id) FROM invoice_lines", v, sizeof v);
	WANT_STR(v, "upgrade_charge/null", "line row");
	raw_text(x, "SELECT tenant_id || '/' || key || '/' || status || '/' || response FROM idempotency", v, sizeof v);
	WANT_STR(v, "0/abc/201/{\"id\":1}", "idempotency row");
	raw_text(x, "SELECT now FROM clock", v, sizeof v);
	WANT_STR(v, "1800000000", "clock row");
}

static void s_bad_data_v2(void **state)
{
	struct sx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription s = {.tenant_id = t, .plan_id = "p", .product_id = "q", .quantity = 1};
	OK(o->sub_insert(x->st, &s, &x->err), "sub");
	struct ps_operation op = {.tenant_id = t, .kind = PS_OPK_SWITCH, .source_sub = s.id};
	OK(o->operation_insert(x->st, &op, &x->err), "operation");
	struct ps_idem k = {.tenant_id = t, .key = "k", .request_hash = "h", .status = 200};
	OK(o->idem_insert(x->st, &k, &x->err), "idempotency key");
	open_raw(x);
	raw_exec(x, "UPDATE operations SET detail = printf('%.2000c', 'x')");
	struct ps_operation got;
	WANT_CODE(o->operation_get(x->st, t, op.id, &got, &x->err), PS_STORE, "detail longer than its cap");
	WANT_IN(x->err.msg, "operations.detail", "detail longer than its cap message");
	raw_exec(x, "UPDATE idempotency SET request_hash = printf('%.100c', 'h')");
	struct ps_idem kg = {.response = NULL};
	WANT_CODE(o->idem_find(x->st, t, "k", &kg, &x->err), PS_STORE, "request hash longer than its cap");
	if (kg.response != NULL)
		fail_msg("case request hash longer than its cap: got a response, want none allocated");
}


static double seconds(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

struct ids_seen {
	int64_t n, wrong_product;
};

static bool count_seat(void *arg, const struct ps_assignment *a)
{
	struct ids_seen *seen = arg;
	seen->n++;
	seen->wrong_product += strcmp(a->product_id, "enterprise") != 0;
	return true;
}

/* A 100,000-seat upgrade: one UPDATE and two count adjustments. Its time is
 * printed, not asserted: bench/run measures it against bare SQL. */
static void s_move_100k(void **state)
{
	struct sx *x = *state;
	enum { SEATS = 100000 };
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription from = {.tenant_id = t, .plan_id = "biz-basic", .product_id = "business",
				       .quantity = SEATS};
	struct ps_subscription to = from;
	snprintf(to.plan_id, sizeof to.plan_id, "ent-e3");
	snprintf(to.product_id, sizeof to.product_id, "enterprise");
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "begin");
	OK(o->sub_insert(x->st, &from, &x->err), "from");
	OK(o->sub_insert(x->st, &to, &x->err), "to");
	for (int i = 0; i < SEATS; i++) {
		struct ps_user u = {.tenant_id = t};
		snprintf(u.upn, sizeof u.upn, "user%d@contoso.example", i);
		if (o->user_insert(x->st, &u, &x->err) != PS_OK)
			fail_msg("case user %d: got %s, want ok", i, x->err.msg);
		struct ps_assignment a = {.tenant_id = t, .subscription_id = from.id, .user_id = u.id};
		if (o->assignment_insert(x->st, &a, &x->err) != PS_OK)
			fail_msg("case seat %d: got %s, want ok", i, x->err.msg);
	}
	OK(o->commit(x->st, &x->err), "commit");

	/* As an upgrade calls it: inside the caller's write transaction. */
	struct timespec t0, t1, t2;
	int64_t moved = 0;
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "begin the upgrade");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	OK(o->assignments_move(x->st, t, from.id, to.id, "enterprise", &moved, &x->err), "move 100,000 seats");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	OK(o->commit(x->st, &x->err), "commit the upgrade");
	clock_gettime(CLOCK_MONOTONIC, &t2);
	double secs = seconds(t0, t1);
	print_message("assignments_move of %d seats: %.3f s, then commit %.3f s\n", SEATS, secs, seconds(t1, t2));
	WANT_I64(moved, SEATS, "seats moved");
	struct ps_subscription got;
	OK(o->sub_get(x->st, t, from.id, &got, &x->err), "from after");
	WANT_I64(got.assigned, 0, "from assigned after the move");
	OK(o->sub_get(x->st, t, to.id, &got, &x->err), "to after");
	WANT_I64(got.assigned, SEATS, "to assigned after the move");
	struct ids_seen seen = {0};
	OK(o->assignment_list(x->st, t, to.id, 0, 0, count_seat, &seen, &x->err), "seats of to");
	WANT_I64(seen.n, SEATS, "seats listed in to");
	WANT_I64(seen.wrong_product, 0, "seats of to with another product than enterprise");
}

#define S(fn) cmocka_unit_test_setup_teardown(fn, sx_setup, sx_teardown)

/* clang-format off */
static const struct CMUnitTest sqlite_tests[] = {
	S(s_wal_and_foreign_keys),
	S(s_migrate_twice),
	S(s_newer_schema),
	S(s_empty_file),
	S(s_foreign_file),
	S(s_not_a_database),
	S(s_store_open_urls),
	S(s_readable_file),
	S(s_check_constraints),
	S(s_bad_data),
	S(s_locking),
	S(s_schema_triggers),
	S(s_reentrant_list),
	S(s_migrate_from_v1),
	S(s_migrate_prices),
	S(s_migrate_v1_two_upgrades),
	S(s_one_upgrade_across_handles),
	S(s_check_constraints_v2),
	S(s_readable_v2),
	S(s_bad_data_v2),
	S(s_move_100k),
};
/* clang-format on */

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(g_env.dir, sizeof g_env.dir, "%s/planshift-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(g_env.dir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", g_env.dir, strerror(errno));
		return 1;
	}
	int failed = ps_contract_run("sqlite", fresh, cleanup, &g_env, sqlite_tests,
				     sizeof sqlite_tests / sizeof sqlite_tests[0]);
	rmdir(g_env.dir);
	return failed ? 1 : 0;
}
