/* test_pg.c: the store contract suite against PostgreSQL (tests, store
 * layer), each test in a fresh schema of the database PS_TEST_PG_URL names
 * (scripts/pg start DIR prints one), plus what only this backend has: an
 * unreachable server and a lost connection, versioned migrations, the
 * fields refusals name, and handles racing each other as daemons do. */
#include "contract.h"
#include "../common/ps_want.h"

#define WANT_ERR (&x->err) /* what WANT_CODE clears and reports */

#include "common/ps_err.h"
#include "common/ps_mem.h"
#include "store/ps_store.h"
#include "store/store_int.h"

#include <libpq-fe.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOW INT64_C(1800000000)

/* The server, the schema every test works in, and a plain connection to
 * it to look inside (search_path set to the schema). */
struct env {
	const char *base;
	char schema[64];
	char url[1200];
	PGconn *admin;
};

static struct env g_env;

/* base with search_path set to schema. */
static void schema_url(const char *base, const char *schema, char *out, size_t cap)
{
	snprintf(out, cap, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?", schema);
}

static bool admin_exec(const char *sql, char *why, size_t cap)
{
	PGresult *r = PQexec(g_env.admin, sql);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok && why)
		snprintf(why, cap, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

/* An empty schema for the next test, the admin connection inside it. */
static bool new_schema(void)
{
	char sql[256], why[256];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; SET search_path = %s",
		 g_env.schema, g_env.schema, g_env.schema);
	if (!admin_exec(sql, why, sizeof why)) {
		print_error("new schema %s: %s\n", g_env.schema, why);
		return false;
	}
	return true;
}

/* For the contract suite: a new, migrated, empty store. */
static struct ps_store *fresh(void *ctx)
{
	struct env *e = ctx;
	struct ps_store *st = NULL;
	struct ps_err err = {0};
	if (!new_schema())
		return NULL;
	if (ps_store_open(e->url, &st, &err) != PS_OK || st->ops->migrate(st, &err) != PS_OK) {
		print_error("fresh store in schema %s: %s\n", e->schema, err.msg);
		ps_store_close(st);
		return NULL;
	}
	return st;
}

/* ---- PostgreSQL-only tests --------------------------------------------- */

struct gx {
	struct ps_store *st, *st2;
	struct ps_err err;
};

static int gx_setup(void **state)
{
	struct gx *x = ps_calloc(1, sizeof *x);
	*state = x;
	return new_schema() ? 0 : -1;
}

static int gx_teardown(void **state)
{
	struct gx *x = *state;
	ps_store_close(x->st);
	ps_store_close(x->st2);
	ps_free(x);
	return 0;
}


static void open_store(struct gx *x, struct ps_store **st, bool migrate)
{
	OK(ps_store_open(g_env.url, st, &x->err), "open");
	if (migrate)
		OK((*st)->ops->migrate(*st, &x->err), "migrate");
}

static void raw_exec(const char *sql)
{
	char why[300];
	if (!admin_exec(sql, why, sizeof why))
		fail_msg("case raw \"%s\": got %s, want ok", sql, why);
}

/* The first column of the first row of sql, as text ("" when none). */
static void raw_text(const char *sql, char *out, size_t cap)
{
	PGresult *r = PQexec(g_env.admin, sql);
	out[0] = '\0';
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char why[300];
		snprintf(why, sizeof why, "%s", PQresultErrorMessage(r));
		PQclear(r);
		fail_msg("case raw \"%s\": got %s, want rows", sql, why);
	}
	if (PQntuples(r) > 0)
		snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* Wait (polling, at most 10 s) until a planshift session waits on a lock
 * (an advisory one, or with any_lock a row's too): the thread under test
 * has reached the lock it must wait for. */
static void wait_for_waiter(const char *what, bool any_lock)
{
	char v[32];
	for (int i = 0; i < 2000; i++) {
		raw_text(any_lock ? "SELECT count(*) FROM pg_locks AS l JOIN pg_stat_activity AS a USING (pid)"
				    " WHERE NOT l.granted AND a.application_name = 'planshift'"
				  : "SELECT count(*) FROM pg_locks AS l JOIN pg_stat_activity AS a USING (pid)"
				    " WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = 'planshift'",
			 v, sizeof v);
		if (strcmp(v, "0") != 0)
			return;
		struct timespec ts = {0, 5 * 1000000L};
		nanosleep(&ts, NULL);
	}
	fail_msg("case %s: got no session waiting on a lock within 10 s, want one", what);
}

static void wait_for_lock_waiter(const char *what)
{
	wait_for_waiter(what, false);
}

static int64_t add_tenant(struct gx *x, struct ps_store *st)
{
	struct ps_tenant t = {.segment = PS_SEG_COMMERCIAL, .payment = PS_PAY_CARD, .currency = "EUR", .name = "T"};
	OK(st->ops->tenant_insert(st, &t, &x->err), "fixture tenant");
	return t.id;
}

static int64_t add_sub(struct gx *x, struct ps_store *st, int64_t tenant)
{
	struct ps_subscription s = {.tenant_id = tenant, .plan_id = "p", .product_id = "q", .quantity = 1};
	OK(st->ops->sub_insert(st, &s, &x->err), "fixture sub");
	return s.id;
}

static double seconds(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* Every method is there: a new one in ps_store.h without its PostgreSQL
 * side would be a NULL call. */
static void g_every_method(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, false);
	const struct ps_store_ops *o = x->st->ops;
	WANT_STR(o->name, "postgresql", "ops name");
	/* The struct is its name, then function pointers only. */
	size_t n = (sizeof *o - sizeof o->name) / sizeof(void (*)(void));
	void (*fns[sizeof *o / sizeof(void (*)(void))])(void);
	memcpy(fns, (const char *)o + sizeof o->name, n * sizeof fns[0]);
	for (size_t i = 0; i < n; i++)
		if (fns[i] == NULL)
			fail_msg("case method %zu of struct ps_store_ops: got NULL, want the PostgreSQL method", i);
}

static void g_unreachable(void **state)
{
	struct gx *x = *state;
	/* Port 1 on the loopback: nothing listens there. */
	WANT_CODE(ps_store_open("postgresql://planshift@127.0.0.1:1/planshift?connect_timeout=5", &x->st, &x->err),
		  PS_STORE, "a server that is not there");
	WANT_IN(x->err.msg, "127.0.0.1", "message names the host");
	WANT_IN(x->err.msg, "port 1", "message names the port");
	WANT_IN(x->err.msg, "refused", "message carries libpq's reason");
	WANT_STR(x->err.field, "db", "field");
	if (x->st != NULL)
		fail_msg("case a server that is not there: got a handle, want NULL");
	WANT_CODE(ps_store_open("postgres:///planshift?host=/nonexistent/socket/dir", &x->st, &x->err), PS_STORE,
		  "a socket directory that is not there");
	WANT_IN(x->err.msg, "/nonexistent/socket/dir", "message names the socket directory");
	WANT_CODE(ps_store_open("postgresql://u:secret@127.0.0.1:1/x?sslmode=bogus", &x->st, &x->err), PS_STORE,
		  "a URL libpq refuses");
	if (strstr(x->err.msg, "secret") != NULL)
		fail_msg("case a URL libpq refuses: got \"%s\", want a message without the password", x->err.msg);
	WANT_CODE(ps_store_open("postgresql://[::1/x", &x->st, &x->err), PS_INVALID_FIELD, "a URL that does not parse");
	WANT_STR(x->err.field, "db", "field of a URL that does not parse");
}

/* The server ends the session (a restart, a failover, an admin): the call
 * that finds out fails cleanly, the next one connects again. */
static void g_lost_connection(void **state)
{
	struct gx *x = *state;
	char v[64], sql[256];
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_tenant got;
	snprintf(sql, sizeof sql,
		 /* the timeout makes the call wait until the session has ended */
		 "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity"
		 " WHERE application_name = 'planshift' AND datname = current_database() AND pid <> pg_backend_pid()"
		 " AND query LIKE '%%tenants%%'");
	raw_text(sql, v, sizeof v);
	WANT_STR(v, "1", "sessions ended");
	/* A read runs again on a new connection; a write is not run twice. */
	OK(o->tenant_get(x->st, t, &got, &x->err), "a read after the session ended");
	raw_text(sql, v, sizeof v);
	WANT_STR(v, "1", "sessions ended again");
	struct ps_tenant up = got;
	up.credit_limit = 77;
	ps_code c = o->tenant_update(x->st, &up, &x->err);
	if (c != PS_OK && c != PS_STORE)
		fail_msg("case a write after the session ended: got %s, want ok or store_unavailable", ps_code_api(c));
	if (c == PS_STORE)
		WANT_IN(x->err.msg, "socket directory", "a write after the session ended names the server");
	OK(o->tenant_get(x->st, t, &got, &x->err), "the next call connects again");

	/* Inside a transaction: the transaction is lost, the handle is not; its
	 * COMMIT was never sent, so nothing of it was kept: PS_RETRY, run it
	 * again (ps_app_tx does). */
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "begin");
	OK(o->tenant_get(x->st, t, &got, &x->err), "read in the transaction");
	raw_text(sql, v, sizeof v);
	WANT_CODE(o->tenant_get(x->st, t, &got, &x->err), PS_RETRY, "read after the session ended mid-transaction");
	WANT_IN(x->err.msg, "nothing of it was kept", "the lost transaction says nothing was kept");
	WANT_CODE(o->commit(x->st, &x->err), PS_STORE, "commit of the lost transaction");
	OK(o->tenant_get(x->st, t, &got, &x->err), "the handle connects again after the transaction");
}

static void g_migrate_twice(void **state)
{
	struct gx *x = *state;
	char v[64];
	open_store(x, &x->st, true);
	int64_t t = add_tenant(x, x->st);
	OK(x->st->ops->migrate(x->st, &x->err), "second migrate");
	OK(x->st->ops->check_schema(x->st, &x->err), "check_schema");
	struct ps_tenant got;
	OK(x->st->ops->tenant_get(x->st, t, &got, &x->err), "data kept by a second migrate");
	open_store(x, &x->st2, true);
	OK(x->st2->ops->check_schema(x->st2, &x->err), "check_schema on a second handle");
	raw_text("SELECT app || '/' || version FROM schema_version", v, sizeof v);
	WANT_STR(v, "planshift/" PS_STR(PS_SCHEMA_VERSION), "schema_version row");
	/* As many sequences as identity columns: a second migrate made none. */
	raw_text("SELECT (SELECT count(*) FROM pg_class WHERE relkind = 'S'"
		 " AND relnamespace = current_schema()::regnamespace) || '/' || (SELECT count(*)"
		 " FROM information_schema.columns WHERE is_identity = 'YES' AND table_schema = current_schema())",
		 v, sizeof v);
	char want[64];
	long n_ident = strchr(v, '/') ? strtol(strchr(v, '/') + 1, NULL, 10) : 0;
	snprintf(want, sizeof want, "%ld/%ld", n_ident >= 12 ? n_ident : -1, n_ident);
	WANT_STR(v, want, "one id sequence per table");
	WANT_CODE(x->st->ops->begin(x->st, PS_TX_READ, &x->err), PS_OK, "begin");
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_STORE, "migrate inside a transaction");
	x->st->ops->rollback(x->st);
}

/* A store made before prices were kept (the steps up to PS_SCHEMA_PRICES - 1
 * as released) migrates: each subscription at the price of its last
 * whole-period invoice line, else the stored catalog's, else 0; its
 * tenant's currency; the stored catalog as version 1, by "init". */
static void g_migrate_prices(void **state)
{
	struct gx *x = *state;
	char v[64];
	raw_exec("CREATE TABLE schema_version (one smallint PRIMARY KEY CHECK (one = 1), app text NOT NULL,"
		 " version integer NOT NULL)");
	snprintf(v, sizeof v, "INSERT INTO schema_version VALUES (1, 'planshift', %d)", PS_SCHEMA_PRICES - 1);
	raw_exec(v);
	for (int k = 0; k < PS_SCHEMA_PRICES - 1; k++)
		raw_exec(ps_pg_migrations[k]);
	for (const char *const *row = ps_prices_fixture_rows; *row; row++)
		raw_exec(*row);
	open_store(x, &x->st, false);
	const struct ps_store_ops *o = x->st->ops;
	WANT_CODE(o->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of a store before prices");
	OK(o->migrate(x->st, &x->err), "migrate a store made before prices");
	raw_text("SELECT version FROM schema_version", v, sizeof v);
	WANT_STR(v, PS_STR(PS_SCHEMA_VERSION), "schema version after migrating");
	ps_prices_check_migrated(x->st);
}

static void g_newer_schema(void **state)
{
	struct gx *x = *state;
	char v[64];
	open_store(x, &x->st, true);
	raw_exec("UPDATE schema_version SET version = 99"); /* a version newer than any */
	WANT_CODE(x->st->ops->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of a newer store");
	WANT_IN(x->err.msg, "newer", "check_schema message");
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_SCHEMA, "migrate of a newer store");
	WANT_IN(x->err.msg, "newer", "migrate message");
	raw_text("SELECT version FROM schema_version", v, sizeof v);
	WANT_STR(v, "99", "version untouched");
	OK(x->st->ops->begin(x->st, PS_TX_WRITE, &x->err), "begin after refused migrate");
	struct ps_tenant t;
	WANT_CODE(x->st->ops->tenant_get(x->st, 1, &t, &x->err), PS_NOT_FOUND, "a statement after refused migrate");
	x->st->ops->rollback(x->st);
	raw_exec("UPDATE schema_version SET version = 1");
	WANT_CODE(x->st->ops->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of an older store");
	WANT_IN(x->err.msg, "planshift init", "check_schema message of an older store");
}

static void g_empty_schema(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, false);
	const struct ps_store_ops *o = x->st->ops;
	WANT_CODE(o->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of an empty schema");
	WANT_IN(x->err.msg, "planshift init", "check_schema message");
	struct ps_tenant t;
	WANT_CODE(o->tenant_get(x->st, 1, &t, &x->err), PS_SCHEMA, "tenant_get before migrate");
	WANT_IN(x->err.msg, "planshift init", "tenant_get message");
	OK(o->migrate(x->st, &x->err), "migrate");
	OK(o->check_schema(x->st, &x->err), "check_schema after migrate");
	WANT_CODE(o->tenant_get(x->st, 1, &t, &x->err), PS_NOT_FOUND, "tenant_get after migrate");
}

static void g_foreign_schema(void **state)
{
	struct gx *x = *state;
	char v[64];
	raw_exec("CREATE TABLE notes (body text)");
	open_store(x, &x->st, false);
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_SCHEMA, "migrate of another application's schema");
	WANT_IN(x->err.msg, "another application", "migrate message");
	raw_text("SELECT count(*) FROM pg_class WHERE relname = 'tenants'"
		 " AND relnamespace = current_schema()::regnamespace",
		 v, sizeof v);
	WANT_STR(v, "0", "no planshift table added");
	raw_exec("CREATE TABLE schema_version (one smallint, app text, version integer);"
		 " INSERT INTO schema_version VALUES (1, 'other', 7)");
	WANT_CODE(x->st->ops->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of another application's schema");
	WANT_IN(x->err.msg, "not a planshift store", "check_schema message");
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_SCHEMA, "migrate of another application's schema_version");
}

/* Every tenant-owned table's primary key starts with tenant_id, the key a
 * sharded engine distributes by; upns are unique per tenant, any case. */
static void g_tenant_leads(void **state)
{
	struct gx *x = *state;
	char v[512];
	open_store(x, &x->st, true);
	raw_text("SELECT coalesce(string_agg(c.relname, ',' ORDER BY c.relname), '') FROM pg_index i"
		 " JOIN pg_class c ON c.oid = i.indrelid"
		 " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'"
		 " WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace"
		 " AND i.indkey[0] <> a.attnum",
		 v, sizeof v);
	WANT_STR(v, "tokens", "tables with a tenant_id not leading their primary key (tokens: found by hash)");
	raw_text("SELECT pg_get_indexdef('users_upn'::regclass)", v, sizeof v);
	WANT_IN(v, "lower", "users_upn");
}

/* Seats added or removed by hand keep the count, as SQLite's triggers do. */
static void g_counts_by_hand(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	int64_t s = add_sub(x, x->st, t);
	struct ps_user u = {.tenant_id = t, .upn = "u@t"};
	OK(o->user_insert(x->st, &u, &x->err), "user");
	struct ps_assignment a = {.tenant_id = t, .subscription_id = s, .user_id = u.id};
	OK(o->assignment_insert(x->st, &a, &x->err), "seat");
	struct ps_subscription got;
	OK(o->sub_get(x->st, t, s, &got, &x->err), "sub");
	WANT_I64(got.assigned, 1, "assigned after a seat");
	raw_exec("DELETE FROM assignments");
	OK(o->sub_get(x->st, t, s, &got, &x->err), "sub after a delete by hand");
	WANT_I64(got.assigned, 0, "assigned after a delete by hand");
	OK(o->assignment_insert(x->st, &a, &x->err), "seat again");
	OK(o->sub_get(x->st, t, s, &got, &x->err), "sub after the seat again");
	WANT_I64(got.assigned, 1, "assigned after the seat again");
}

static void g_check_constraints(void **state)
{
	struct gx *x = *state;
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

	struct ps_invoice inv = {.tenant_id = t, .amount = 1, .currency = "EUR"};
	OK(o->invoice_insert(x->st, &inv, &x->err), "invoice");
	struct ps_receipt p = {.tenant_id = t, .amount = 0, .currency = "EUR"};
	WANT_CODE(o->payment_insert(x->st, &p, &x->err), PS_INVALID_FIELD, "payment of 0");
	WANT_STR(x->err.field, "amount", "payment of 0 field");
	struct ps_invoice_line l = {.tenant_id = t,
				    .invoice_id = inv.id,
				    .subscription_id = s.id,
				    .kind = PS_LINE_RENEWAL,
				    .period_start = 10,
				    .period_end = 9};
	WANT_CODE(o->invoice_line_insert(x->st, &l, &x->err), PS_INVALID_FIELD, "line ending before it starts");
	WANT_STR(x->err.field, "period_end", "line period field");
	struct ps_idem k = {.tenant_id = t, .key = "k", .status = 42};
	WANT_CODE(o->idem_insert(x->st, &k, &x->err), PS_INVALID_FIELD, "idempotency status 42");
	WANT_STR(x->err.field, "status", "idempotency status field");
	struct ps_operation op = {.tenant_id = t, .kind = PS_OPK_SWITCH, .source_sub = s.id, .quantity = 1};
	OK(o->operation_insert(x->st, &op, &x->err), "operation");
	op.state = (enum ps_op_state)9;
	WANT_CODE(o->operation_update(x->st, &op, &x->err), PS_INVALID_FIELD, "operation state out of the enum");
	WANT_STR(x->err.field, "state", "operation state field");
	struct ps_tenant up = {.id = t, .credit_limit = -1};
	WANT_CODE(o->tenant_update(x->st, &up, &x->err), PS_INVALID_FIELD, "negative credit limit");
	WANT_STR(x->err.field, "credit_limit", "credit limit field");

	/* Inside a transaction each refusal leaves the rest standing. */
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "begin");
	int64_t kept = add_sub(x, x->st, t);
	WANT_CODE(o->tenant_update(x->st, &up, &x->err), PS_INVALID_FIELD, "negative credit limit in tx");
	WANT_CODE(o->payment_insert(x->st, &p, &x->err), PS_INVALID_FIELD, "payment of 0 in tx");
	OK(o->commit(x->st, &x->err), "commit");
	struct ps_subscription got;
	OK(o->sub_get(x->st, t, kept, &got, &x->err), "sub written before the refusals");

	/* The audit log is append-only, even by hand. */
	struct ps_audit au = {.tenant_id = t, .role = PS_ROLE_READER, .action = "x"};
	OK(o->audit_insert(x->st, &au, &x->err), "audit");
	if (admin_exec("DELETE FROM audit", NULL, 0))
		fail_msg("case delete from audit: got ok, want refused");
	if (admin_exec("UPDATE audit SET action = 'y'", NULL, 0))
		fail_msg("case update of audit: got ok, want refused");
}

static void g_bad_data(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_user u = {.tenant_id = t, .upn = "u@t"};
	OK(o->user_insert(x->st, &u, &x->err), "user");
	int64_t s = add_sub(x, x->st, t);

	/* Hand-edited rows a binary cannot hold: an error, never an overflow. */
	raw_exec("UPDATE users SET upn = repeat('x', 300)");
	struct ps_user ug;
	WANT_CODE(o->user_get(x->st, t, u.id, &ug, &x->err), PS_STORE, "upn longer than its cap");
	WANT_IN(x->err.msg, "users.upn", "upn longer than its cap message");
	raw_exec("ALTER TABLE subscriptions DROP CONSTRAINT status; UPDATE subscriptions SET status = 'bogus'");
	struct ps_subscription sg;
	WANT_CODE(o->sub_get(x->st, t, s, &sg, &x->err), PS_STORE, "unknown status");
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

static void g_tx_rules(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	WANT_CODE(o->commit(x->st, &x->err), PS_STORE, "commit without a transaction");
	OK(o->begin(x->st, PS_TX_READ, &x->err), "begin read");
	WANT_CODE(o->begin(x->st, PS_TX_READ, &x->err), PS_STORE, "begin inside a transaction");
	/* A read transaction is read-only. */
	struct ps_tenant t = {.segment = PS_SEG_COMMERCIAL, .payment = PS_PAY_CARD, .currency = "EUR", .name = "T"};
	WANT_CODE(o->tenant_insert(x->st, &t, &x->err), PS_STORE, "write inside a read transaction");
	struct ps_tenant got;
	WANT_CODE(o->tenant_get(x->st, 1, &got, &x->err), PS_NOT_FOUND, "read after the refused write");
	o->rollback(x->st);
	OK(o->tenant_insert(x->st, &t, &x->err), "write after the read transaction");
}

/* ---- Handles racing each other, as daemons do -------------------------- */

struct racer {
	struct ps_store *st;
	pthread_barrier_t *go;
	bool in_tx;
	int what; /* 0: an unfinished upgrade; 1: the renewal line */
	int64_t tenant, sub, invoice;
	ps_code rc;
	struct ps_err err;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	const struct ps_store_ops *o = r->st->ops;
	pthread_barrier_wait(r->go);
	if (r->in_tx && (r->rc = o->begin(r->st, PS_TX_WRITE, &r->err)) != PS_OK)
		return NULL;
	if (r->what == 0) {
		struct ps_operation op = {.tenant_id = r->tenant,
					  .kind = PS_OPK_UPGRADE,
					  .state = PS_OP_PROVISIONING,
					  .source_sub = r->sub,
					  .target_plan = "p2",
					  .created_at = NOW};
		r->rc = o->operation_insert(r->st, &op, &r->err);
	} else {
		struct ps_invoice_line l = {.tenant_id = r->tenant,
					    .invoice_id = r->invoice,
					    .subscription_id = r->sub,
					    .kind = PS_LINE_RENEWAL,
					    .plan_id = "p",
					    .period_start = NOW,
					    .period_end = NOW + 86400};
		r->rc = o->invoice_line_insert(r->st, &l, &r->err);
	}
	if (r->in_tx) {
		struct timespec ts = {0, 50 * 1000000L}; /* widen the race: nothing waits on this */
		nanosleep(&ts, NULL);
		if (r->rc == PS_OK)
			r->rc = o->commit(r->st, &r->err);
		else
			o->rollback(r->st);
	}
	return NULL;
}

/* n handles race `what` for one tenant, inside transactions or not:
 * exactly one wins, the others get CONFLICT naming `field`. */
static void race_one(struct gx *x, int what, bool in_tx, const char *field, const char *label)
{
	enum { N = 4 };
	struct ps_store *st[N] = {NULL};
	struct racer r[N];
	pthread_t th[N];
	pthread_barrier_t go;
	char w[160];
	int64_t t = add_tenant(x, x->st);
	int64_t s = add_sub(x, x->st, t);
	struct ps_invoice inv = {.tenant_id = t, .amount = 1, .currency = "EUR"};
	OK(x->st->ops->invoice_insert(x->st, &inv, &x->err), "invoice");
	pthread_barrier_init(&go, NULL, N);
	for (int i = 0; i < N; i++) {
		OK(ps_store_open(g_env.url, &st[i], &x->err), "racer's handle");
		r[i] = (struct racer){
		    .st = st[i], .go = &go, .in_tx = in_tx, .what = what, .tenant = t, .sub = s, .invoice = inv.id};
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	int won = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ps_store_close(st[i]);
		if (r[i].rc == PS_OK) {
			won++;
			continue;
		}
		snprintf(w, sizeof w, "%s: racer %d", label, i);
		if (r[i].rc != PS_CONFLICT || strcmp(r[i].err.field, field) != 0)
			fail_msg("case %s: got %s (field \"%s\": %s), want conflict on %s", w, ps_code_api(r[i].rc),
				 r[i].err.field, r[i].err.msg, field);
	}
	pthread_barrier_destroy(&go);
	WANT_I64(won, 1, label);
}

static void g_race_one_upgrade(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	race_one(x, 0, false, "operation", "racing upgrades, each on its own");
	race_one(x, 0, true, "operation", "racing upgrades in transactions");
}

static void g_race_renewal(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	race_one(x, 1, false, "period", "racing renewal lines, each on its own");
	race_one(x, 1, true, "period", "racing renewal lines in transactions");
}

/* A second daemon's write transaction about a tenant waits for the first's
 * to end, then reads what it wrote: the tenant's changes are serial. */
struct waiter {
	struct ps_store *st;
	int64_t tenant;
	size_t subs_seen;
	struct timespec done; /* when its load returned */
	ps_code rc;
	struct ps_err err;
};

static void *wait_and_load(void *arg)
{
	struct waiter *w = arg;
	struct ps_snapshot snap;
	ps_snapshot_init(&snap);
	w->rc = w->st->ops->begin(w->st, PS_TX_WRITE, &w->err);
	if (w->rc == PS_OK)
		w->rc = w->st->ops->snapshot_load(w->st, w->tenant, NOW, &snap, &w->err);
	clock_gettime(CLOCK_MONOTONIC, &w->done);
	w->subs_seen = snap.n_subs;
	w->st->ops->rollback(w->st);
	ps_snapshot_fini(&snap);
	return NULL;
}

static void g_tenant_lock(void **state)
{
	struct gx *x = *state;
	struct ps_snapshot snap;
	open_store(x, &x->st, true);
	open_store(x, &x->st2, false);
	const struct ps_store_ops *o = x->st->ops;
	int64_t a = add_tenant(x, x->st), b = add_tenant(x, x->st);
	ps_snapshot_init(&snap);
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "daemon 1 begins");
	OK(o->snapshot_load(x->st, a, NOW, &snap, &x->err), "daemon 1 loads tenant A");
	add_sub(x, x->st, a);

	struct waiter w = {.st = x->st2, .tenant = a};
	pthread_t th;
	pthread_create(&th, NULL, wait_and_load, &w);
	wait_for_lock_waiter("daemon 2 waits for tenant A");
	/* Another tenant is not held up meanwhile. */
	struct ps_store *st3 = NULL;
	OK(ps_store_open(g_env.url, &st3, &x->err), "daemon 3");
	OK(st3->ops->begin(st3, PS_TX_WRITE, &x->err), "daemon 3 begins");
	OK(st3->ops->snapshot_load(st3, b, NOW, &snap, &x->err), "daemon 3 loads tenant B at once");
	OK(st3->ops->commit(st3, &x->err), "daemon 3 commits");
	ps_store_close(st3);
	struct timespec committing;
	clock_gettime(CLOCK_MONOTONIC, &committing);
	OK(o->commit(x->st, &x->err), "daemon 1 commits");
	pthread_join(th, NULL);
	ps_snapshot_fini(&snap);
	OK(w.rc, "daemon 2's load of tenant A");
	WANT_I64(w.subs_seen, 1, "daemon 2 sees daemon 1's subscription");
	if (seconds(committing, w.done) < 0)
		fail_msg("case daemon 2's load: got it %.3f s before daemon 1 committed, want it after",
			 -seconds(committing, w.done));
}

/* A catalog load holds the version alone while a purchase holds it shared:
 * the load's count of a plan's live subscriptions waits for the purchase
 * of that plan under way, and sees it (no plan dropped under a new sale). */
struct loader {
	struct ps_store *st;
	int64_t live, held;
	ps_code rc;
	struct ps_err err;
};

static void *hold_and_count(void *arg)
{
	struct loader *l = arg;
	l->rc = l->st->ops->begin(l->st, PS_TX_WRITE, &l->err);
	if (l->rc == PS_OK)
		l->rc = l->st->ops->catalog_hold(l->st, true, &l->held, &l->err);
	if (l->rc == PS_OK)
		l->rc = l->st->ops->plan_live_count(l->st, "p", &l->live, &l->err);
	l->st->ops->rollback(l->st);
	return NULL;
}

static void g_catalog_hold(void **state)
{
	struct gx *x = *state;
	int64_t held = 0;
	open_store(x, &x->st, true);
	open_store(x, &x->st2, false);
	const struct ps_store_ops *o = x->st->ops;
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "begin the first load");
	OK(o->catalog_put(x->st, "{}", 2, NOW, "cli", NULL, &x->err), "the first load");
	OK(o->commit(x->st, &x->err), "commit the first load");
	int64_t t = add_tenant(x, x->st);
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "daemon 1 begins a purchase");
	OK(o->catalog_hold(x->st, false, &held, &x->err), "daemon 1 holds the catalog, shared");
	WANT_I64(held, 1, "daemon 1 holds version 1");
	add_sub(x, x->st, t);

	struct loader l = {.st = x->st2};
	pthread_t th;
	pthread_create(&th, NULL, hold_and_count, &l);
	wait_for_waiter("daemon 2's load waits for daemon 1's purchase", true);
	OK(o->commit(x->st, &x->err), "daemon 1 commits its purchase");
	pthread_join(th, NULL);
	OK(l.rc, "daemon 2's load");
	WANT_I64(l.live, 1, "daemon 2's load counts daemon 1's new subscription");
}

/* Two daemons count the capacity, both under the limit; the first starts
 * an upgrade and commits; the second, finding the count grew, must run its
 * transaction again (and then sees the first's upgrade). */
struct cap_racer {
	struct ps_store *st;
	int64_t tenant, sub;
	ps_code rc;
	struct ps_err err;
};

static void *insert_upgrade(void *arg)
{
	struct cap_racer *r = arg;
	struct ps_operation op = {.tenant_id = r->tenant,
				  .kind = PS_OPK_UPGRADE,
				  .state = PS_OP_COMPLETED,
				  .source_sub = r->sub,
				  .target_plan = "p2",
				  .created_at = NOW};
	r->rc = r->st->ops->operation_insert(r->st, &op, &r->err);
	return NULL;
}

static void g_capacity_race(void **state)
{
	struct gx *x = *state;
	struct ps_snapshot s1, s2;
	open_store(x, &x->st, true);
	open_store(x, &x->st2, false);
	const struct ps_store_ops *o = x->st->ops;
	int64_t a = add_tenant(x, x->st), b = add_tenant(x, x->st);
	int64_t sa = add_sub(x, x->st, a), sb = add_sub(x, x->st, b);
	ps_snapshot_init(&s1);
	ps_snapshot_init(&s2);

	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "daemon 1 begins");
	OK(o->begin(x->st2, PS_TX_WRITE, &x->err), "daemon 2 begins");
	OK(o->snapshot_load(x->st, a, NOW, &s1, &x->err), "daemon 1 counts");
	OK(o->snapshot_load(x->st2, b, NOW, &s2, &x->err), "daemon 2 counts");
	WANT_I64(s2.capacity_used, 0, "daemon 2's count");
	struct cap_racer r1 = {.st = x->st, .tenant = a, .sub = sa};
	insert_upgrade(&r1);
	OK(r1.rc, "daemon 1 starts an upgrade");
	/* Daemon 2 waits on the capacity lock until daemon 1 commits. */
	struct cap_racer r2 = {.st = x->st2, .tenant = b, .sub = sb};
	pthread_t th;
	pthread_create(&th, NULL, insert_upgrade, &r2);
	wait_for_lock_waiter("daemon 2 waits for the capacity lock");
	OK(o->commit(x->st, &x->err), "daemon 1 commits");
	pthread_join(th, NULL);
	if (r2.rc != PS_RETRY)
		fail_msg("case daemon 2 starts an upgrade on a stale count: got code %d (%s), want PS_RETRY", (int)r2.rc,
			 r2.err.msg);
	o->rollback(x->st2);
	/* Run again: the count is current, the upgrade goes in. */
	OK(o->begin(x->st2, PS_TX_WRITE, &x->err), "daemon 2 begins again");
	OK(o->snapshot_load(x->st2, b, NOW, &s2, &x->err), "daemon 2 counts again");
	WANT_I64(s2.capacity_used, 1, "daemon 2's new count");
	insert_upgrade(&r2);
	OK(r2.rc, "daemon 2 starts its upgrade");
	OK(o->commit(x->st2, &x->err), "daemon 2 commits");
	ps_snapshot_fini(&s1);
	ps_snapshot_fini(&s2);
}

/* Two transactions taking two tenants in opposite orders: PostgreSQL ends
 * one (deadlock), which is told to run again; the other goes on. */
struct locker {
	struct ps_store *st;
	int64_t first, second;
	pthread_barrier_t *mid;
	ps_code rc;
	struct ps_err err;
};

static void *lock_two(void *arg)
{
	struct locker *l = arg;
	struct ps_tenant t;
	const struct ps_store_ops *o = l->st->ops;
	l->rc = o->begin(l->st, PS_TX_WRITE, &l->err);
	if (l->rc == PS_OK)
		l->rc = o->tenant_get(l->st, l->first, &t, &l->err);
	pthread_barrier_wait(l->mid);
	if (l->rc == PS_OK)
		l->rc = o->tenant_get(l->st, l->second, &t, &l->err);
	if (l->rc == PS_OK)
		l->rc = o->commit(l->st, &l->err);
	else
		o->rollback(l->st);
	return NULL;
}

static void g_deadlock_retry(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	open_store(x, &x->st2, false);
	int64_t a = add_tenant(x, x->st), b = add_tenant(x, x->st);
	pthread_barrier_t mid;
	pthread_barrier_init(&mid, NULL, 2);
	struct locker l1 = {.st = x->st, .first = a, .second = b, .mid = &mid};
	struct locker l2 = {.st = x->st2, .first = b, .second = a, .mid = &mid};
	pthread_t t1, t2;
	pthread_create(&t1, NULL, lock_two, &l1);
	pthread_create(&t2, NULL, lock_two, &l2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_barrier_destroy(&mid);
	struct locker *lost = l1.rc == PS_OK ? &l2 : &l1, *won = l1.rc == PS_OK ? &l1 : &l2;
	if (won->rc != PS_OK)
		fail_msg("case both deadlocked: got %s and %s, want one to go on", l1.err.msg, l2.err.msg);
	if (lost->rc != PS_RETRY)
		fail_msg("case the deadlock's victim: got code %d (%s), want PS_RETRY", (int)lost->rc, lost->err.msg);
	/* The victim's handle is usable again after its rollback. */
	struct ps_tenant t;
	OK(lost->st->ops->tenant_get(lost->st, a, &t, &x->err), "the victim's handle afterwards");
}

/* ---- Lists in pages ---------------------------------------------------- */

struct counter {
	int64_t n, last, out_of_order, stop_at;
};

static bool count_tenant(void *arg, const struct ps_tenant *t)
{
	struct counter *c = arg;
	c->n++;
	c->out_of_order += t->id <= c->last;
	c->last = t->id;
	return c->stop_at == 0 || c->n < c->stop_at;
}

static bool count_snapshot(void *arg, struct ps_snapshot *snap)
{
	struct counter *c = arg;
	c->n++;
	c->out_of_order += snap->tenant.id <= c->last;
	c->last = snap->tenant.id;
	return c->stop_at == 0 || c->n < c->stop_at;
}

static void g_keyset_pages(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	raw_exec("INSERT INTO tenants (name, segment, payment, credit_limit, currency, created_at)"
		 " SELECT 'T' || g, 'commercial', 'card', 0, 'EUR', 0 FROM generate_series(1, 2345) AS g");
	struct counter c = {0};
	OK(o->tenant_list(x->st, 0, 0, count_tenant, &c, &x->err), "every tenant, in pages");
	WANT_I64(c.n, 2345, "tenants walked");
	WANT_I64(c.out_of_order, 0, "tenants out of order");
	c = (struct counter){0};
	OK(o->tenant_list(x->st, 100, 700, count_tenant, &c, &x->err), "700 after 100");
	WANT_I64(c.n, 700, "tenants walked after 100, limit 700");
	WANT_I64(c.last, 800, "last tenant walked");
	c = (struct counter){0};
	OK(o->tenant_list(x->st, 100, 1500, count_tenant, &c, &x->err), "1500 after 100, over two pages");
	WANT_I64(c.n, 1500, "tenants walked after 100, limit 1500");
	WANT_I64(c.last, 1600, "last tenant walked over two pages");
	c = (struct counter){.stop_at = 1001};
	OK(o->tenant_list(x->st, 0, 0, count_tenant, &c, &x->err), "stopped at 1001");
	WANT_I64(c.n, 1001, "tenants walked before the stop");
	c = (struct counter){0};
	OK(o->tenant_list(x->st, 2300, 0, count_tenant, &c, &x->err), "the tail");
	WANT_I64(c.n, 45, "tenants after 2300");

	/* The sweep's scan, in batches of snapshots. */
	struct ps_snapshot snap;
	int64_t last = -1;
	ps_snapshot_init(&snap);
	c = (struct counter){0};
	OK(o->snapshot_scan(x->st, 0, 0, NOW, &snap, count_snapshot, &c, &last, &x->err), "scan of every tenant");
	WANT_I64(c.n, 2345, "snapshots scanned");
	WANT_I64(c.out_of_order, 0, "snapshots out of order");
	WANT_I64(last, 2345, "last tenant scanned");
	c = (struct counter){0};
	OK(o->snapshot_scan(x->st, 100, 1500, NOW, &snap, count_snapshot, &c, &last, &x->err),
	   "scan of 1500 after 100");
	WANT_I64(c.n, 1500, "snapshots scanned after 100, limit 1500");
	WANT_I64(last, 1600, "last tenant scanned after 100, limit 1500");
	c = (struct counter){.stop_at = 1100};
	OK(o->snapshot_scan(x->st, 0, 0, NOW, &snap, count_snapshot, &c, &last, &x->err), "scan stopped at 1100");
	WANT_I64(c.n, 1100, "snapshots scanned before the stop");
	WANT_I64(last, 1100, "last tenant scanned before the stop");
	ps_snapshot_fini(&snap);
}

/* ---- A large upgrade ---------------------------------------------------- */

/* The server does the work (about 0.5 s on two cores). Its time is printed,
 * not asserted: bench/run measures it against bare SQL. */

struct seats_seen {
	int64_t n, wrong_product;
};

static bool count_seat(void *arg, const struct ps_assignment *a)
{
	struct seats_seen *seen = arg;
	seen->n++;
	seen->wrong_product += strcmp(a->product_id, "enterprise") != 0;
	return true;
}

static void g_move_100k(void **state)
{
	struct gx *x = *state;
	enum { SEATS = 100000 };
	char sql[600];
	open_store(x, &x->st, true);
	const struct ps_store_ops *o = x->st->ops;
	int64_t t = add_tenant(x, x->st);
	struct ps_subscription from = {
	    .tenant_id = t, .plan_id = "biz-basic", .product_id = "business", .quantity = SEATS};
	struct ps_subscription to = from;
	snprintf(to.plan_id, sizeof to.plan_id, "ent-e3");
	snprintf(to.product_id, sizeof to.product_id, "enterprise");
	OK(o->sub_insert(x->st, &from, &x->err), "from");
	OK(o->sub_insert(x->st, &to, &x->err), "to");
	/* The fleet made in bulk, by hand: the count follows all the same. */
	snprintf(sql, sizeof sql,
		 "INSERT INTO users (tenant_id, upn, display_name, created_at)"
		 " SELECT %" PRId64 ", 'user' || g || '@contoso.example', 'U', 0 FROM generate_series(1, %d) AS g;"
		 " INSERT INTO assignments (tenant_id, subscription_id, user_id, product_id, assigned_at)"
		 " SELECT tenant_id, %" PRId64 ", id, 'business', 0 FROM users WHERE tenant_id = %" PRId64 ";"
		 " ANALYZE",
		 t, SEATS, from.id, t);
	raw_exec(sql);
	struct ps_subscription got;
	OK(o->sub_get(x->st, t, from.id, &got, &x->err), "from before");
	WANT_I64(got.assigned, SEATS, "from assigned after seats inserted by hand");

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
	OK(o->sub_get(x->st, t, from.id, &got, &x->err), "from after");
	WANT_I64(got.assigned, 0, "from assigned after the move");
	OK(o->sub_get(x->st, t, to.id, &got, &x->err), "to after");
	WANT_I64(got.assigned, SEATS, "to assigned after the move");
	struct seats_seen seen = {0};
	OK(o->assignment_list(x->st, t, to.id, 0, 0, count_seat, &seen, &x->err), "seats of to");
	WANT_I64(seen.n, SEATS, "seats listed in to");
	WANT_I64(seen.wrong_product, 0, "seats of to with another product than enterprise");
}

/* Two daemons claim due jobs at once: the second skips the row the first
 * holds and takes the next (FOR UPDATE SKIP LOCKED); once the first ends
 * without deleting (a run that died), its job can be claimed again. */
static void g_jobs_skip_locked(void **state)
{
	struct gx *x = *state;
	open_store(x, &x->st, true);
	open_store(x, &x->st2, false);
	const struct ps_store_ops *o = x->st->ops;
	int64_t a = add_tenant(x, x->st);
	for (int i = 0; i < 2; i++) {
		struct ps_job j = {.kind = "renew", .rank = 1, .tenant_id = a, .subject = 100 + i, .due_at = NOW - 10 + i,
				   .created_at = NOW};
		OK(o->job_insert(x->st, &j, &x->err), "job_insert");
	}
	struct ps_job j1, j2, j3;
	OK(o->begin(x->st, PS_TX_WRITE, &x->err), "daemon 1 begins");
	OK(o->job_claim(x->st, NOW, &j1, &x->err), "daemon 1 claims");
	OK(o->begin(x->st2, PS_TX_WRITE, &x->err), "daemon 2 begins");
	OK(o->job_claim(x->st2, NOW, &j2, &x->err), "daemon 2 claims at once");
	WANT_I64(j1.subject, 100, "daemon 1 holds the first due");
	WANT_I64(j2.subject, 101, "daemon 2 skips it and takes the next");
	OK(o->job_delete(x->st2, &j2, &x->err), "daemon 2 done");
	OK(o->commit(x->st2, &x->err), "daemon 2 commits");
	OK(o->begin(x->st2, PS_TX_WRITE, &x->err), "daemon 2 begins again");
	WANT_CODE(o->job_claim(x->st2, NOW, &j3, &x->err), PS_NOT_FOUND, "daemon 2: the only job left is held");
	int64_t n = 0;
	OK(o->job_count_due(x->st2, NOW, &n, &x->err), "count, held included");
	WANT_I64(n, 1, "jobs due, the held one included");
	x->st2->ops->rollback(x->st2);
	o->rollback(x->st); /* daemon 1's run dies */
	OK(o->begin(x->st2, PS_TX_WRITE, &x->err), "daemon 2 begins a third time");
	OK(o->job_claim(x->st2, NOW, &j3, &x->err), "daemon 2 claims the job daemon 1 let go");
	WANT_I64(j3.subject, 100, "the job let go");
	x->st2->ops->rollback(x->st2);
}

#define G(fn) cmocka_unit_test_setup_teardown(fn, gx_setup, gx_teardown)

/* clang-format off */
static const struct CMUnitTest pg_tests[] = {
	G(g_every_method),
	G(g_unreachable),
	G(g_lost_connection),
	G(g_migrate_twice),
	G(g_migrate_prices),
	G(g_catalog_hold),
	G(g_newer_schema),
	G(g_empty_schema),
	G(g_foreign_schema),
	G(g_tenant_leads),
	G(g_counts_by_hand),
	G(g_check_constraints),
	G(g_bad_data),
	G(g_tx_rules),
	G(g_race_one_upgrade),
	G(g_race_renewal),
	G(g_tenant_lock),
	G(g_capacity_race),
	G(g_deadlock_retry),
	G(g_keyset_pages),
	G(g_move_100k),
	G(g_jobs_skip_locked),
};
/* clang-format on */

/* Without a server the suite cannot run: say so as a failure, in TAP. */
static int refuse(const char *why)
{
	printf("1..1\nnot ok 1 - store contract: postgresql: %s\n", why);
	fprintf(stderr, "store_pg: %s\n", why);
	return 1;
}

int main(void)
{
	char why[600];
	g_env.base = getenv("PS_TEST_PG_URL");
	if (g_env.base == NULL || g_env.base[0] == '\0')
		return refuse("PS_TEST_PG_URL is not set: start a throwaway server with `scripts/pg start DIR` and "
			      "export PS_TEST_PG_URL as the URL it prints");
	g_env.admin = PQconnectdb(g_env.base);
	if (PQstatus(g_env.admin) != CONNECTION_OK) {
		snprintf(why, sizeof why, "cannot connect to PS_TEST_PG_URL (%s): %s", g_env.base,
			 PQerrorMessage(g_env.admin));
		for (char *s = why; *s; s++)
			if (*s == '\n')
				*s = ' ';
		PQfinish(g_env.admin);
		return refuse(why);
	}
	PQclear(PQexec(g_env.admin, "SET client_min_messages = warning"));
	/* One schema per test program, so two runs can share a server. */
	snprintf(g_env.schema, sizeof g_env.schema, "ps_test_%ld", (long)getpid());
	schema_url(g_env.base, g_env.schema, g_env.url, sizeof g_env.url);
	int failed = ps_contract_run("postgresql", fresh, NULL, &g_env, pg_tests, sizeof pg_tests / sizeof pg_tests[0]);
	char sql[128];
	snprintf(sql, sizeof sql, "RESET search_path; DROP SCHEMA IF EXISTS %s CASCADE", g_env.schema);
	admin_exec(sql, NULL, 0);
	PQfinish(g_env.admin);
	return failed ? 1 : 0;
}
