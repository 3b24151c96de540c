/* test_pg_kill.c: each kind of write transaction on a PostgreSQL store
 * (PS_TEST_PG_URL, as scripts/pg start prints), with the server ending the
 * store's session (pg_terminate_backend) at its N-th store call, for every
 * N the use case reaches. The call then fails, or reconnects where that is
 * safe (a read outside a transaction; a transaction whose COMMIT was not
 * sent runs again from its start, as after a failover); either way the
 * store, looked at afterwards, is untouched or fully changed, and a use
 * case that says it succeeded has fully changed it. A transaction run again
 * takes new ids (sequences do not roll back): its store is then the fully
 * changed one up to the numbers in the rows it added (its events too).
 * The cases: the core changes, the admin center's bulk writes and a
 * cancellation at term end. Each run starts from
 * a copy of one prepared database (CREATE DATABASE ... TEMPLATE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/ps_app.h"
#include "app/ps_demo.h"
#include "common/ps_buf.h"
#include "common/ps_mem.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"
#include "../common/ps_failing_store.h"

#define NOW 1795770000 /* 2026-11-27T09:00:00Z */

static char pristine_db[64], work_db[64], pristine_url[1200], work_url[1200];
static PGconn *admin;
static struct ps_app app;
static int64_t tenant_id, sub_id, user_id;

/* base (a URL whose database is "planshift") with database db instead. */
static void db_url(const char *base, const char *db, char *out, size_t cap)
{
	const char *at = strstr(base, "/planshift");
	assert_non_null(at);
	snprintf(out, cap, "%.*s/%s%s", (int)(at - base), base, db, at + strlen("/planshift"));
}

static void admin_sql(const char *sql)
{
	PGresult *r = PQexec(admin, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("case admin \"%s\": got %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

/* End every session on the work database but ours, waiting until each has
 * ended. */
static void kill_sessions(struct fs *f)
{
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = '%s'"
		 " AND pid <> pg_backend_pid()",
		 work_db);
	admin_sql(sql);
}

/* Every row of every table of db, as sorted text. */
static char *fingerprint(const char *url)
{
	PGconn *c = PQconnectdb(url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *t = PQexec(c, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
	assert_int_equal(PQresultStatus(t), PGRES_TUPLES_OK);
	struct ps_buf b;
	ps_buf_init(&b, (size_t)64 << 20);
	for (int i = 0; i < PQntuples(t); i++) {
		char q[256];
		snprintf(q, sizeof q, "SELECT coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '') FROM \"%s\" r",
			 PQgetvalue(t, i, 0));
		PGresult *rows = PQexec(c, q);
		assert_int_equal(PQresultStatus(rows), PGRES_TUPLES_OK);
		ps_buf_printf(&b, "[%s]\n%s\n", PQgetvalue(t, i, 0), PQgetvalue(rows, 0, 0));
		PQclear(rows);
	}
	PQclear(t);
	PQfinish(c);
	return ps_buf_take(&b);
}

/* The rows of a fingerprint, each as "[table] row", sorted; *n of them. */
struct rows {
	char **v;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct rows rows_of(const char *fp)
{
	struct rows r = {NULL, 0};
	size_t cap = 0;
	char table[128] = "";
	for (const char *s = fp; *s;) {
		size_t len = strcspn(s, "\n");
		if (s[0] == '[' && len < sizeof table) {
			snprintf(table, sizeof table, "%.*s", (int)len, s);
		} else if (len > 0) {
			ps_grow((void **)&r.v, &cap, r.n + 1, sizeof *r.v);
			size_t tl = strlen(table);
			r.v[r.n] = ps_malloc(tl + len + 2);
			snprintf(r.v[r.n], tl + len + 2, "%s %.*s", table, (int)len, s);
			r.n++;
		}
		s += len + (s[len] == '\n');
	}
	if (r.n)
		qsort(r.v, r.n, sizeof *r.v, cmp_str);
	return r;
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		ps_free(r->v[i]);
	ps_free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* a minus b, both sorted, as multisets (the strings are a's, not copied). */
static struct rows rows_minus(const struct rows *a, const struct rows *b)
{
	struct rows d = {a->n ? ps_malloc(a->n * sizeof *d.v) : NULL, 0};
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		while (j < b->n && strcmp(b->v[j], a->v[i]) < 0)
			j++;
		if (j < b->n && strcmp(b->v[j], a->v[i]) == 0)
			j++;
		else
			d.v[d.n++] = a->v[i];
	}
	return d;
}

/* Whether the rows are the same, each with its numbers as "#" when hide. */
static bool rows_equal(const struct rows *a, const struct rows *b, bool hide)
{
	if (a->n != b->n)
		return false;
	struct rows x[2] = {{ps_malloc((a->n + 1) * sizeof(char *)), a->n}, {ps_malloc((b->n + 1) * sizeof(char *)), b->n}};
	const struct rows *in[2] = {a, b};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < in[k]->n; i++) {
			const char *s = in[k]->v[i];
			char *o = ps_malloc(strlen(s) + 1), *p = o;
			for (; *s; s++)
				if (!hide || *s < '0' || *s > '9')
					*p++ = *s;
				else if (p == o || p[-1] != '#')
					*p++ = '#';
			*p = '\0';
			x[k].v[i] = o;
		}
		qsort(x[k].v, x[k].n, sizeof(char *), cmp_str);
	}
	bool same = true;
	for (size_t i = 0; i < a->n && same; i++)
		same = strcmp(x[0].v[i], x[1].v[i]) == 0;
	rows_free(&x[0]);
	rows_free(&x[1]);
	return same;
}

/* Whether now is after but for ids: the rows of before that now lacks are
 * exactly those after lacks, and the rows now added are those after added,
 * up to their numbers (a transaction run again took other ids). */
static bool done_but_ids(const char *before, const char *after, const char *now)
{
	struct rows b = rows_of(before), a = rows_of(after), n = rows_of(now);
	struct rows gone_a = rows_minus(&b, &a), gone_n = rows_minus(&b, &n);
	struct rows new_a = rows_minus(&a, &b), new_n = rows_minus(&n, &b);
	bool same = rows_equal(&gone_a, &gone_n, false) && rows_equal(&new_a, &new_n, true);
	ps_free(gone_a.v);
	ps_free(gone_n.v);
	ps_free(new_a.v);
	ps_free(new_n.v);
	rows_free(&b);
	rows_free(&a);
	rows_free(&n);
	return same;
}

static int setup(void **state)
{
	const char *base = getenv("PS_TEST_PG_URL");
	if (!base || !*base) {
		fprintf(stderr, "PS_TEST_PG_URL is not set: start a throwaway server with `scripts/pg start DIR` "
				"and export PS_TEST_PG_URL as the URL it prints\n");
		return -1;
	}
	admin = PQconnectdb(base);
	if (PQstatus(admin) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to %s: %s\n", base, PQerrorMessage(admin));
		return -1;
	}
	snprintf(pristine_db, sizeof pristine_db, "ps_kill_%d_p", (int)getpid());
	snprintf(work_db, sizeof work_db, "ps_kill_%d_w", (int)getpid());
	db_url(base, pristine_db, pristine_url, sizeof pristine_url);
	db_url(base, work_db, work_url, sizeof work_url);
	char sql[256];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", pristine_db);
	admin_sql(sql);
	struct ps_store *st;
	ps_fixture_store(pristine_url, ps_demo_catalog, ps_demo_catalog_len, NOW, &app, &st);
	app.upgrade_capacity = 100;
	struct ps_ctx c;
	ps_fixture_ctx(&c, &app, st, NOW);
	struct ps_tenant_in tin = {.name = "Killed Ltd", .segment = "commercial", .payment = "invoice",
				   .currency = "EUR", .credit_limit = 10000000, .has_credit_limit = true};
	struct ps_tenant t;
	assert_int_equal(ps_app_tenant_create(&c, &tin, &t), PS_OK);
	tenant_id = t.id;
	struct ps_purchase_in pin = {.plan = "biz-basic", .quantity = 5, .term = "monthly"};
	struct ps_subscription s;
	struct ps_credit_check cc;
	assert_int_equal(ps_app_purchase(&c, t.id, &pin, &s, &cc), PS_OK);
	sub_id = s.id;
	for (int i = 0; i < 3; i++) {
		char upn[64];
		struct ps_user u;
		snprintf(upn, sizeof upn, "u%d@killed.example", i);
		assert_int_equal(ps_app_user_create(&c, t.id, upn, "User", &u), PS_OK);
		user_id = u.id;
		if (i < 2)
			assert_int_equal(ps_app_assign(&c, t.id, s.id, u.id, NULL), PS_OK);
	}
	ps_ctx_fini(&c);
	ps_store_close(st);
	return 0;
}

static int teardown(void **state)
{
	char sql[256];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", work_db);
	admin_sql(sql);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pristine_db);
	admin_sql(sql);
	PQfinish(admin);
	ps_app_fini(&app);
	return 0;
}

typedef ps_code (*use_case)(struct ps_ctx *c);

static ps_code uc_tenant(struct ps_ctx *c)
{
	struct ps_tenant_in in = {.name = "New Org", .payment = "card", .currency = "EUR"};
	struct ps_tenant t;
	return ps_app_tenant_create(c, &in, &t);
}

static ps_code uc_purchase(struct ps_ctx *c)
{
	struct ps_purchase_in in = {.plan = "biz-standard", .quantity = 3, .term = "annual", .prepaid = true};
	struct ps_subscription s;
	struct ps_credit_check cc;
	return ps_app_purchase(c, tenant_id, &in, &s, &cc);
}

static ps_code uc_quantity(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_set_quantity(c, tenant_id, sub_id, 9, &s);
}

static ps_code uc_assign(struct ps_ctx *c)
{
	return ps_app_assign(c, tenant_id, sub_id, user_id, NULL);
}

static ps_code uc_upgrade(struct ps_ctx *c)
{
	struct ps_change_in in = {.target_plan = "biz-standard"};
	struct ps_operation op;
	struct ps_decision refusal;
	return ps_app_upgrade(c, tenant_id, sub_id, &in, &op, &refusal);
}

static ps_code uc_switch(struct ps_ctx *c)
{
	struct ps_change_in in = {.target_plan = "ent-e3", .quantity = 4};
	struct ps_operation op;
	struct ps_decision refusal;
	return ps_app_switch(c, tenant_id, sub_id, &in, &op, &refusal);
}

static ps_code uc_payment(struct ps_ctx *c)
{
	struct ps_receipt p;
	return ps_app_pay(c, tenant_id, 1234, &p);
}

static ps_code uc_renewals(struct ps_ctx *c)
{
	c->now = NOW + 95 * 86400;
	int issued = 0;
	ps_code rc = ps_app_bill_due(c, tenant_id, &issued);
	return rc == PS_OK && issued == 0 ? PS_INTERNAL : rc;
}

/* The admin center's bulk writes, and the cancellation at term end (an
 * operation): each one transaction, its events with it. */
static ps_code uc_users_bulk(struct ps_ctx *c)
{
	struct ps_user_in in[] = {{"b0@killed.example", "Bulk 0"}, {"b1@killed.example", "Bulk 1"}};
	int64_t created = 0;
	ps_code rc = ps_app_users_create(c, tenant_id, in, 2, &created);
	return rc == PS_OK && created != 2 ? PS_INTERNAL : rc;
}

static ps_code uc_seats_bulk(struct ps_ctx *c)
{
	struct ps_seats_bulk out;
	return ps_app_seats_bulk(c, tenant_id, sub_id, &user_id, 1, NULL, 0, &out);
}

static ps_code uc_cancel_later(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_cancel_when(c, tenant_id, sub_id, "term_end", &s);
}

/* Run fn on a fresh copy of the prepared database, the session ended at
 * store call fail_at (0: never). */
static bool work_dirty = true; /* the work database may differ from the prepared one */

static ps_code run_once(use_case fn, int fail_at, bool *reached, int *calls)
{
	char sql[256];
	if (work_dirty) { /* a copy takes a second or so: only when the last run changed it */
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", work_db);
		admin_sql(sql);
		snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", work_db, pristine_db);
		admin_sql(sql);
	}
	work_dirty = true;
	struct ps_err err = {0};
	struct ps_store *inner;
	assert_int_equal(ps_store_open(work_url, &inner, &err), PS_OK);
	struct fs *f = fs_wrap(inner, fail_at, kill_sessions);
	struct ps_ctx c;
	ps_fixture_ctx(&c, &app, &f->base, NOW);
	ps_code rc = fn(&c);
	*reached = f->failed;
	*calls = f->calls;
	ps_ctx_fini(&c);
	ps_store_close(&f->base);
	return rc;
}

static void test_killed_mid_transaction(void **state)
{
	static const struct {
		const char *name;
		use_case fn;
	} cases[] = {{"tenant create", uc_tenant}, {"purchase", uc_purchase}, {"quantity", uc_quantity},
		     {"assign", uc_assign},	   {"upgrade", uc_upgrade},   {"switch", uc_switch},
		     {"payment", uc_payment},	   {"renewals", uc_renewals}, {"bulk users", uc_users_bulk},
		     {"bulk seats", uc_seats_bulk}, {"cancel at end", uc_cancel_later}};
	char *before = fingerprint(pristine_url);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		bool reached;
		int calls;
		ps_code rc = run_once(cases[k].fn, 0, &reached, &calls);
		if (rc != PS_OK)
			fail_msg("case %s without a kill: got %s, want ok", cases[k].name, ps_code_api(rc));
		char *after = fingerprint(work_url);
		if (strcmp(after, before) == 0)
			fail_msg("case %s without a kill: the store did not change", cases[k].name);
		int untouched = 0, changed = 0, reruns = 0, total = calls;
		for (int n = 1; n <= total; n++) {
			rc = run_once(cases[k].fn, n, &reached, &calls);
			if (!reached)
				fail_msg("case %s, session ended at call %d: the call was not reached", cases[k].name, n);
			char *now = fingerprint(work_url);
			bool same = strcmp(now, before) == 0, done = strcmp(now, after) == 0;
			if (!same && !done && rc == PS_OK && done_but_ids(before, after, now)) {
				done = true;
				reruns++;
			}
			ps_free(now);
			work_dirty = !same;
			if (!same && !done)
				fail_msg("case %s, session ended at call %d (%s): the store is half changed",
					 cases[k].name, n, ps_code_api(rc));
			if (rc == PS_OK && !done)
				fail_msg("case %s, session ended at call %d: got ok, but the store is untouched",
					 cases[k].name, n);
			if (rc != PS_OK && rc != PS_STORE && rc != PS_RETRY)
				fail_msg("case %s, session ended at call %d: got %s, want ok or store_unavailable",
					 cases[k].name, n, ps_code_api(rc));
			untouched += same;
			changed += done;
		}
		print_message("%-14s %2d store calls, the session ended at each: %d untouched, %d fully changed"
			      " (%d of them with other ids: run again)\n",
			      cases[k].name, total, untouched, changed, reruns);
		ps_free(after);
	}
	ps_free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_mid_transaction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
