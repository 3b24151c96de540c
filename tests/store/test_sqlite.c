/* test_sqlite.c: the store contract suite against SQLite files in a
 * temporary directory, plus what only the SQLite backend has (tests, store
 * layer): WAL and foreign keys, versioned migrations, the readable file,
 * locking, and the URL forms ps_store_open() takes. */
#include "contract.h"

#include "common/ps_err.h"
#include "common/ps_mem.h"
#include "store/ps_store.h"

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

#define WANT_CODE(expr, want, what)                                                                                    \
	do {                                                                                                           \
		ps_err_clear(&x->err);                                                                                 \
		ps_code c_ = (expr);                                                                                   \
		if (c_ != (want))                                                                                      \
			fail_msg("case %s: got %s (field \"%s\": %s), want %s", (what), ps_code_api(c_), x->err.field, \
				 x->err.msg, ps_code_api(want));                                                       \
	} while (0)
#define OK(expr, what) WANT_CODE(expr, PS_OK, what)
#define WANT_I64(got, want, what)                                                                                      \
	do {                                                                                                           \
		int64_t g_ = (int64_t)(got), w_ = (int64_t)(want);                                                     \
		if (g_ != w_)                                                                                          \
			fail_msg("case %s: got %" PRId64 ", want %" PRId64, (what), g_, w_);                           \
	} while (0)
#define WANT_STR(got, want, what)                                                                                      \
	do {                                                                                                           \
		const char *g_ = (got), *w_ = (want);                                                                  \
		if (strcmp(g_, w_) != 0)                                                                               \
			fail_msg("case %s: got \"%s\", want \"%s\"", (what), g_, w_);                                  \
	} while (0)
#define WANT_IN(hay, needle, what)                                                                                     \
	do {                                                                                                           \
		if (strstr((hay), (needle)) == NULL)                                                                   \
			fail_msg("case %s: got \"%s\", want a text containing \"%s\"", (what), (hay), (needle));       \
	} while (0)

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
	WANT_STR(v, "2", "user_version");
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
	raw_exec(x, "PRAGMA user_version = 3");
	open_store(x, &x->st, false);
	WANT_CODE(x->st->ops->check_schema(x->st, &x->err), PS_SCHEMA, "check_schema of a newer store");
	WANT_IN(x->err.msg, "newer", "check_schema message");
	WANT_CODE(x->st->ops->migrate(x->st, &x->err), PS_SCHEMA, "migrate of a newer store");
	WANT_IN(x->err.msg, "newer", "migrate message");
	raw_text(x, "PRAGMA user_version", v, sizeof v);
	WANT_STR(v, "3", "user_version untouched");
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
	const char *pg[] = {"postgresql://planshift@localhost/planshift", "postgres://u:p@db:5432/x"};
	for (size_t i = 0; i < 2; i++) {
		WANT_CODE(ps_store_open(pg[i], &none, &x->err), PS_INVALID_FIELD, pg[i]);
		WANT_STR(x->err.field, "db", pg[i]);
		WANT_STR(x->err.msg, "PostgreSQL support is not built into this binary yet", pg[i]);
		if (none != NULL)
			fail_msg("case %s: got a handle, want NULL", pg[i]);
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
	OK(o->token_insert(x->st, "abc", PS_ROLE_OPERATOR, 0, NOW, NULL, &x->err), "token");
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

	WANT_CODE(o->token_insert(x->st, "h1", PS_ROLE_OPERATOR, t, NOW, NULL, &x->err), PS_INVALID_FIELD,
		  "operator token bound to a tenant");
	WANT_STR(x->err.field, "tenant", "operator token bound to a tenant field");
	WANT_CODE(o->token_insert(x->st, "h2", PS_ROLE_READER, 0, NOW, NULL, &x->err), PS_INVALID_FIELD,
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

	/* A second writer waits out the busy timeout, then gives up. */
	time_t t0 = time(NULL);
	WANT_CODE(o->begin(x->st2, PS_TX_WRITE, &x->err), PS_STORE, "second writer");
	WANT_IN(x->err.msg, "locked", "second writer message");
	if (time(NULL) - t0 < 4)
		fail_msg("case second writer: gave up after %ld s, want about 5 s", (long)(time(NULL) - t0));
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
