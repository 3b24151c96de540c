/* bench_fleet.c: the store-bound benchmarks, each against a baseline
 * measured in the same run on the same file (bench layer). On a fleet made
 * by gen_fleet (its meta file names the special tenants):
 *
 *   upgrade  the 100,000-seat upgrade through the app (ps_app_upgrade: its
 *            own reads, rule checks and the store's statements) against the
 *            bare SQL statements of the same change, in one transaction, on
 *            an identical tenant of the same file. Interleaved, app first.
 *   sweep    ps_app_sweep over every tenant against one SQL aggregate scan
 *            of the same tables computing the same per-reason counts (the
 *            counts are compared: a mismatch is reported).
 *   writes   durable single writes: ps_app_assign (one transaction each,
 *            synchronous=FULL) against single-row INSERT commits into the
 *            same table with the same durability.
 *
 * Each measure runs `--runs` times (default 3); the median is reported.
 * Output: one line per figure, "RESULT<TAB>key<TAB>value", for bench/run;
 * notes on stderr. */
#include "app/ps_app.h"
#include "app/ps_upgrade_view.h"
#include "common/ps_i18n.h"
#include "common/ps_json.h"
#include "common/ps_secret.h"
#include "common/ps_time.h"
#include "store/ps_store.h"

#define BENCH_NAME "bench_fleet"
#include "bench_util.h"

#include <sqlite3.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>



static void result(const char *key, double v)
{
	printf("RESULT\t%s\t%.6g\n", key, v);
	fflush(stdout);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_fleet: %s: %s\n", what, msg ? msg : "failed");
	exit(1);
}

/* ---- the meta file ---- */

struct meta {
	int64_t now;
	int64_t upgrade_app[MAX_RUNS][2], upgrade_sql[MAX_RUNS][2]; /* tenant, subscription */
	int n_pairs;
	int64_t writes_tenant, writes_sub, writes_first_user, writes_users;
	char target[64];
	int64_t (*sample)[2]; /* tenant, subscription */
	int n_sample;
};

static void read_meta(const char *path, struct meta *m)
{
	FILE *f = fopen(path, "r");
	char key[64];
	if (!f)
		die(path, "cannot open the meta file");
	memset(m, 0, sizeof *m);
	snprintf(m->target, sizeof m->target, "biz-premium");
	while (fscanf(f, "%63s", key) == 1) {
		int pair;
		int64_t a, b;
		if (strcmp(key, "now") == 0 && fscanf(f, "%" SCNd64, &m->now) == 1)
			continue;
		if (strcmp(key, "upgrade_target") == 0 && fscanf(f, "%63s", m->target) == 1)
			continue;
		if (strncmp(key, "upgrade_", 8) == 0 && strcmp(key, "upgrade_seats") != 0 &&
		    fscanf(f, "%d %" SCNd64 " %" SCNd64, &pair, &a, &b) == 3 && pair >= 0 && pair < MAX_RUNS) {
			int64_t(*slot)[2] = strcmp(key, "upgrade_app") == 0 ? m->upgrade_app : m->upgrade_sql;
			slot[pair][0] = a;
			slot[pair][1] = b;
			if (pair + 1 > m->n_pairs)
				m->n_pairs = pair + 1;
			continue;
		}
		if (strcmp(key, "sample") == 0 && fscanf(f, "%" SCNd64 " %" SCNd64, &a, &b) == 2) {
			m->sample = realloc(m->sample, sizeof *m->sample * (size_t)(m->n_sample + 1));
			m->sample[m->n_sample][0] = a;
			m->sample[m->n_sample++][1] = b;
			continue;
		}
		if (strcmp(key, "writes") == 0 &&
		    fscanf(f, "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64, &m->writes_tenant, &m->writes_sub,
			   &m->writes_first_user, &m->writes_users) == 4)
			continue;
		int c; /* skip the rest of the line */
		while ((c = fgetc(f)) != EOF && c != '\n')
			;
	}
	fclose(f);
}

/* ---- the app's side ---- */

struct app_side {
	struct ps_app app;
	struct ps_store *st;
	struct ps_ctx c;
};

static void app_open(struct app_side *a, const char *path, int64_t capacity)
{
	struct ps_err err = {0};
	memset(a, 0, sizeof *a);
	a->app.db_url = path;
	a->app.upgrade_capacity = capacity;
	if (ps_store_open(path, &a->st, &err) != PS_OK || a->st->ops->check_schema(a->st, &err) != PS_OK ||
	    ps_app_load_catalog(&a->app, a->st, &err) != PS_OK)
		die(path, err.msg);
	ps_ctx_init(&a->c, &a->app, a->st);
	a->c.who.role = PS_ROLE_OPERATOR;
	a->c.who.token_id = 1;
	snprintf(a->c.request_id, sizeof a->c.request_id, "%s", "bench");
}

static void app_close(struct app_side *a)
{
	ps_ctx_fini(&a->c);
	ps_app_fini(&a->app);
	ps_store_close(a->st);
}

/* The SQLite connection behind a store handle, for statement statistics
 * only (a profile aid): the backend's struct begins with struct ps_store,
 * then its sqlite3 pointer (src/store/sqlite.c, struct sq). */
struct sq_peek {
	struct ps_store base;
	sqlite3 *db;
};

/* Per prepared statement of the handle: runs, virtual-machine steps, full
 * scan steps, sorts; the heaviest first. */
static void stmt_stats(struct ps_store *st)
{
	sqlite3 *db = ((struct sq_peek *)(void *)st)->db;
	struct row {
		int64_t runs, steps, scans;
		const char *sql;
	} v[128];
	int n = 0;
	for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s && n < 128; s = sqlite3_next_stmt(db, s)) {
		v[n].runs = sqlite3_stmt_status(s, SQLITE_STMTSTATUS_RUN, 0);
		v[n].steps = sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 0);
		v[n].scans = sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
		v[n].sql = sqlite3_sql(s);
		n++;
	}
	for (int i = 0; i < n; i++)
		for (int k = i + 1; k < n; k++)
			if (v[k].steps > v[i].steps) {
				struct row t = v[i];
				v[i] = v[k];
				v[k] = t;
			}
	fprintf(stderr, "bench_fleet: %10s %12s %10s  statement\n", "runs", "VM steps", "scan steps");
	for (int i = 0; i < n; i++)
		fprintf(stderr, "bench_fleet: %10lld %12lld %10lld  %.110s\n", (long long)v[i].runs, (long long)v[i].steps,
			(long long)v[i].scans, v[i].sql);
}

/* ---- the baseline's side: a plain connection, the store's pragmas ---- */

static sqlite3 *sql_open(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die(path, db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(db,
			 "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", NULL,
			 NULL, &msg) != SQLITE_OK)
		die("pragmas", msg);
	return db;
}

static void sql_exec(sqlite3 *db, const char *s)
{
	char *msg = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &msg) != SQLITE_OK)
		die(s, msg);
}

static sqlite3_stmt *sql_prep(sqlite3 *db, const char *s)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db, s, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		die(s, sqlite3_errmsg(db));
	return st;
}

/* Step a bound statement to its end; the first column of its first row (a
 * RETURNING id), 0 when none. */
static int64_t sql_run(sqlite3 *db, sqlite3_stmt *st)
{
	int64_t v = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_DONE)
		die(sqlite3_sql(st), sqlite3_errmsg(db));
	sqlite3_reset(st);
	return v;
}

/* ---- upgrade ---- */

/* The store's statements of an upgrade (src/store/sqlite.c), in the order
 * the app runs them: the operation, the new subscription, the seats in one
 * UPDATE, both counts, the old subscription replaced, one invoice with two
 * lines, the operation completed, the audit row. */
#define NEXT_ID(table) "(SELECT next FROM sequences WHERE name = '" table "')"
static const char *const up_sql[] = {
    "INSERT INTO operations (tenant_id, id, kind, state, source_sub, target_plan, new_sub, created_at, updated_at,"
    " quantity, credit_check_id, request_id, detail)"
    " VALUES (?1, " NEXT_ID("operations") ", 'upgrade', 'provisioning', ?2, ?3, NULL, ?4, ?4, ?5, NULL, 'bench',"
    " '{\"moved\":0,\"license_errors\":[]}') RETURNING id",
    "INSERT INTO subscriptions (tenant_id, id, plan_id, product_id, quantity, assigned, status, term, prepaid,"
    " term_start, term_end, addon_of, replaced_by, created_at, billed_through)"
    " VALUES (?1, " NEXT_ID("subscriptions") ", ?2, ?3, ?4, 0, 'active', ?5, 0, ?6, ?7, NULL, NULL, ?8, ?9)"
    " RETURNING id",
    "UPDATE assignments SET subscription_id = ?3, product_id = ?4 WHERE tenant_id = ?1 AND subscription_id = ?2",
    "UPDATE subscriptions SET assigned = assigned + ?3 WHERE tenant_id = ?1 AND id = ?2",
    "UPDATE subscriptions SET quantity = ?3, status = ?4, term_start = ?5, term_end = ?6, replaced_by = ?7,"
    " billed_through = ?8, addon_of = ?9 WHERE tenant_id = ?1 AND id = ?2",
    "INSERT INTO invoices (tenant_id, id, subscription_id, amount, paid, currency, issued_at, due_at, status)"
    " VALUES (?1, " NEXT_ID("invoices") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    "INSERT INTO invoice_lines (tenant_id, invoice_id, id, subscription_id, kind, plan_id, quantity, period_start,"
    " period_end, amount, description)"
    " VALUES (?1, ?2, " NEXT_ID("invoice_lines") ", ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
    "UPDATE operations SET state = ?3, new_sub = ?4, credit_check_id = ?5, updated_at = ?6, detail = ?7"
    " WHERE tenant_id = ?1 AND id = ?2",
    "INSERT INTO audit (tenant_id, id, at, token_id, role, action, object, request_id, detail)"
    " VALUES (?1, " NEXT_ID("audit") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
};
enum { U_OP, U_SUB, U_MOVE, U_COUNT, U_REPLACE, U_INVOICE, U_LINE, U_OP_DONE, U_AUDIT, U__N };

struct src_sub {
	char plan[65], product[65], term[16];
	int64_t quantity, term_start, term_end, billed_through;
};

static void read_src(sqlite3 *db, int64_t tenant, int64_t sub, struct src_sub *s)
{
	sqlite3_stmt *st = sql_prep(db, "SELECT plan_id, product_id, term, quantity, term_start, term_end,"
					" billed_through FROM subscriptions WHERE tenant_id = ?1 AND id = ?2");
	sqlite3_bind_int64(st, 1, tenant);
	sqlite3_bind_int64(st, 2, sub);
	if (sqlite3_step(st) != SQLITE_ROW)
		die("upgrade", "the upgrade tenant's subscription is missing");
	snprintf(s->plan, sizeof s->plan, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(s->product, sizeof s->product, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(s->term, sizeof s->term, "%s", (const char *)sqlite3_column_text(st, 2));
	s->quantity = sqlite3_column_int64(st, 3);
	s->term_start = sqlite3_column_int64(st, 4);
	s->term_end = sqlite3_column_int64(st, 5);
	s->billed_through = sqlite3_column_int64(st, 6);
	sqlite3_finalize(st);
}

/* One upgrade as bare SQL, timed from BEGIN to COMMIT. The amounts are
 * computed beforehand (the app's arithmetic is not SQL). */
static double upgrade_sql(sqlite3 *db, sqlite3_stmt **u, int64_t tenant, int64_t sub, const char *target,
			  int64_t now, int64_t *moved)
{
	struct src_sub s;
	read_src(db, tenant, sub, &s);
	int64_t credit = -(s.quantity * 1250) / 2, charge = (s.quantity * 2200) / 2; /* amounts: any will do */
	const char *tproduct = "business";
	double t0 = now_s();
	sql_exec(db, "BEGIN IMMEDIATE");
	sqlite3_bind_int64(u[U_OP], 1, tenant);
	sqlite3_bind_int64(u[U_OP], 2, sub);
	sqlite3_bind_text(u[U_OP], 3, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(u[U_OP], 4, now);
	sqlite3_bind_int64(u[U_OP], 5, s.quantity);
	int64_t op = sql_run(db, u[U_OP]);

	sqlite3_bind_int64(u[U_SUB], 1, tenant);
	sqlite3_bind_text(u[U_SUB], 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(u[U_SUB], 3, tproduct, -1, SQLITE_STATIC);
	sqlite3_bind_int64(u[U_SUB], 4, s.quantity);
	sqlite3_bind_text(u[U_SUB], 5, s.term, -1, SQLITE_STATIC);
	sqlite3_bind_int64(u[U_SUB], 6, s.term_start);
	sqlite3_bind_int64(u[U_SUB], 7, s.term_end);
	sqlite3_bind_int64(u[U_SUB], 8, now);
	sqlite3_bind_int64(u[U_SUB], 9, s.billed_through);
	int64_t dst = sql_run(db, u[U_SUB]);

	sqlite3_bind_int64(u[U_MOVE], 1, tenant);
	sqlite3_bind_int64(u[U_MOVE], 2, sub);
	sqlite3_bind_int64(u[U_MOVE], 3, dst);
	sqlite3_bind_text(u[U_MOVE], 4, tproduct, -1, SQLITE_STATIC);
	sql_run(db, u[U_MOVE]);
	int64_t n = sqlite3_changes(db);

	sqlite3_bind_int64(u[U_COUNT], 1, tenant);
	sqlite3_bind_int64(u[U_COUNT], 2, sub);
	sqlite3_bind_int64(u[U_COUNT], 3, -n);
	sql_run(db, u[U_COUNT]);
	sqlite3_bind_int64(u[U_COUNT], 2, dst);
	sqlite3_bind_int64(u[U_COUNT], 3, n);
	sql_run(db, u[U_COUNT]);

	sqlite3_bind_int64(u[U_REPLACE], 1, tenant);
	sqlite3_bind_int64(u[U_REPLACE], 2, sub);
	sqlite3_bind_int64(u[U_REPLACE], 3, s.quantity);
	sqlite3_bind_text(u[U_REPLACE], 4, "replaced", -1, SQLITE_STATIC);
	sqlite3_bind_int64(u[U_REPLACE], 5, s.term_start);
	sqlite3_bind_int64(u[U_REPLACE], 6, now);
	sqlite3_bind_int64(u[U_REPLACE], 7, dst);
	sqlite3_bind_int64(u[U_REPLACE], 8, now);
	sqlite3_bind_null(u[U_REPLACE], 9);
	sql_run(db, u[U_REPLACE]);

	sqlite3_bind_int64(u[U_INVOICE], 1, tenant);
	sqlite3_bind_int64(u[U_INVOICE], 2, sub);
	sqlite3_bind_int64(u[U_INVOICE], 3, credit + charge);
	sqlite3_bind_int64(u[U_INVOICE], 4, 0);
	sqlite3_bind_text(u[U_INVOICE], 5, "EUR", -1, SQLITE_STATIC);
	sqlite3_bind_int64(u[U_INVOICE], 6, now);
	sqlite3_bind_int64(u[U_INVOICE], 7, now + 30 * PS_DAY);
	sqlite3_bind_text(u[U_INVOICE], 8, "open", -1, SQLITE_STATIC);
	int64_t inv = sql_run(db, u[U_INVOICE]);
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *l = u[U_LINE];
		sqlite3_bind_int64(l, 1, tenant);
		sqlite3_bind_int64(l, 2, inv);
		sqlite3_bind_int64(l, 3, k ? dst : sub);
		sqlite3_bind_text(l, 4, k ? "upgrade_charge" : "upgrade_credit", -1, SQLITE_STATIC);
		sqlite3_bind_text(l, 5, k ? target : s.plan, -1, SQLITE_STATIC);
		sqlite3_bind_int64(l, 6, s.quantity);
		sqlite3_bind_int64(l, 7, now);
		sqlite3_bind_int64(l, 8, s.billed_through);
		sqlite3_bind_int64(l, 9, k ? charge : credit);
		sqlite3_bind_text(l, 10, "Business Premium, seats, upgrade", -1, SQLITE_STATIC);
		sql_run(db, l);
	}

	char detail[256];
	snprintf(detail, sizeof detail, "{\"moved\":%" PRId64 ",\"license_errors\":[]}", n);
	sqlite3_bind_int64(u[U_OP_DONE], 1, tenant);
	sqlite3_bind_int64(u[U_OP_DONE], 2, op);
	sqlite3_bind_text(u[U_OP_DONE], 3, "completed", -1, SQLITE_STATIC);
	sqlite3_bind_int64(u[U_OP_DONE], 4, dst);
	sqlite3_bind_null(u[U_OP_DONE], 5);
	sqlite3_bind_int64(u[U_OP_DONE], 6, now);
	sqlite3_bind_text(u[U_OP_DONE], 7, detail, -1, SQLITE_TRANSIENT);
	sql_run(db, u[U_OP_DONE]);

	snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"to\":\"%s\",\"moved\":%" PRId64 "}", s.plan, target, n);
	sqlite3_bind_int64(u[U_AUDIT], 1, tenant);
	sqlite3_bind_int64(u[U_AUDIT], 2, now);
	sqlite3_bind_int64(u[U_AUDIT], 3, 1);
	sqlite3_bind_text(u[U_AUDIT], 4, "operator", -1, SQLITE_STATIC);
	sqlite3_bind_text(u[U_AUDIT], 5, "subscription.upgrade", -1, SQLITE_STATIC);
	sqlite3_bind_text(u[U_AUDIT], 6, "op_1", -1, SQLITE_STATIC);
	sqlite3_bind_text(u[U_AUDIT], 7, "bench", -1, SQLITE_STATIC);
	sqlite3_bind_text(u[U_AUDIT], 8, detail, -1, SQLITE_TRANSIENT);
	sql_run(db, u[U_AUDIT]);
	sql_exec(db, "COMMIT");
	double t = now_s() - t0;
	*moved = n;
	return t;
}

static int cmd_upgrade(const char *path, const struct meta *m, int runs)
{
	struct app_side a;
	double app_t[MAX_RUNS], sql_t[MAX_RUNS];
	if (runs > m->n_pairs)
		die("upgrade", "the fleet has fewer upgrade pairs than --runs");
	app_open(&a, path, 1000);
	sqlite3 *db = sql_open(path);
	sqlite3_stmt *u[U__N];
	for (int i = 0; i < U__N; i++)
		u[i] = sql_prep(db, up_sql[i]);
	for (int r = 0; r < runs; r++) {
		int64_t moved = 0;
		struct ps_change_in in = {.target_plan = m->target};
		struct ps_operation op;
		/* Each run starts from a checkpointed WAL, as the other. */
		sql_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		a.c.now = ps_time_system();
		double t0 = now_s();
		struct ps_decision refusal;
		ps_code rc = ps_app_upgrade(&a.c, m->upgrade_app[r][0], m->upgrade_app[r][1], &in, &op, &refusal);
		app_t[r] = now_s() - t0;
		if (rc != PS_OK)
			die("ps_app_upgrade", a.c.err.msg);
		if (op.state != PS_OP_COMPLETED)
			die("ps_app_upgrade", "the operation did not complete");
		sql_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		sql_t[r] = upgrade_sql(db, u, m->upgrade_sql[r][0], m->upgrade_sql[r][1], m->target,
				       ps_time_system(), &moved);
		fprintf(stderr, "bench_fleet: upgrade run %d: app %.3f s (op_%lld), bare SQL %.3f s (%lld seats)\n", r + 1,
			app_t[r], (long long)op.id, sql_t[r], (long long)moved);
	}
	for (int i = 0; i < U__N; i++)
		sqlite3_finalize(u[i]);
	sqlite3_close(db);
	app_close(&a);
	result("upgrade.app_s", median(app_t, runs));
	result("upgrade.sql_s", median(sql_t, runs));
	return 0;
}

/* ---- sweep ---- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, "cannot open");
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		die(path, "cannot read");
	s[n] = '\0';
	fclose(f);
	return s;
}

/* The SQL's columns: subscriptions, live, eligible, then one per reason in
 * the engine's order. */
static void sweep_sql(sqlite3 *db, const char *text, int64_t now, int64_t capacity, int64_t *out)
{
	sqlite3_stmt *st = sql_prep(db, text);
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, capacity);
	if (sqlite3_step(st) != SQLITE_ROW)
		die("sweep SQL", sqlite3_errmsg(db));
	if (sqlite3_column_count(st) != 3 + PS_R__COUNT)
		die("sweep SQL", "expected subscriptions, live, eligible and one column per reason");
	for (int i = 0; i < 3 + PS_R__COUNT; i++)
		out[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
}

static int cmd_sweep(const char *path, const char *sql_path, int runs, int64_t capacity)
{
	struct app_side a;
	double app_t[MAX_RUNS], sql_t[MAX_RUNS];
	struct ps_fleet_sum sum;
	int64_t cols[3 + PS_R__COUNT];
	char *text = sql_path ? read_text(sql_path) : NULL; /* none: the engine alone, for profiles */
	app_open(&a, path, capacity);
	sqlite3 *db = sql_open(path);
	int64_t now = ps_time_system();
	for (int r = 0; r < runs; r++) {
		a.c.now = now;
		double t0 = now_s();
		if (ps_app_sweep(&a.c, NULL, NULL, &sum) != PS_OK)
			die("ps_app_sweep", a.c.err.msg);
		app_t[r] = now_s() - t0;
		t0 = now_s();
		if (text)
			sweep_sql(db, text, now, capacity, cols);
		sql_t[r] = now_s() - t0;
		fprintf(stderr, "bench_fleet: sweep run %d: engine %.3f s (%lld tenants, %lld subscriptions), SQL %.3f s\n",
			r + 1, app_t[r], (long long)sum.tenants, (long long)sum.subscriptions, sql_t[r]);
	}
	if (!text) {
		stmt_stats(a.st);
		result("sweep.app_s", median(app_t, runs));
		sqlite3_close(db);
		app_close(&a);
		return 0;
	}
	/* The two must agree on what SQL can express. */
	int bad = 0;
	const int64_t mine[3] = {sum.subscriptions, sum.live, sum.eligible};
	static const char *const names[3] = {"subscriptions", "live", "eligible"};
	fprintf(stderr, "bench_fleet: %-30s %12s %12s\n", "count", "engine", "SQL");
	for (int i = 0; i < 3 + PS_R__COUNT; i++) {
		const char *name = i < 3 ? names[i] : ps_reason_code_name((enum ps_reason_code)(i - 3));
		int64_t e = i < 3 ? mine[i] : sum.blocked_by[i - 3];
		bool same = e == cols[i];
		bad += !same;
		fprintf(stderr, "bench_fleet: %-30s %12lld %12lld%s\n", name, (long long)e, (long long)cols[i],
			same ? "" : "  MISMATCH");
	}
	int present = 0;
	for (int i = 0; i < PS_R__COUNT; i++)
		present += sum.blocked_by[i] > 0;
	result("sweep.tenants", (double)sum.tenants);
	result("sweep.subscriptions", (double)sum.subscriptions);
	result("sweep.reasons_present", present);
	result("sweep.mismatches", bad);
	result("sweep.app_s", median(app_t, runs));
	result("sweep.sql_s", median(sql_t, runs));
	sqlite3_close(db);
	app_close(&a);
	free(text);
	return 0;
}

/* ---- durable single writes ---- */

static int cmd_writes(const char *path, const struct meta *m, int runs, int n)
{
	struct app_side a;
	double app_w[MAX_RUNS], sql_w[MAX_RUNS];
	if (m->writes_users < (int64_t)n * 2 * runs)
		die("writes", "the writes tenant has too few users for --writes x 2 x --runs");
	app_open(&a, path, 0);
	sqlite3 *db = sql_open(path);
	/* The store's own single-row insert of a seat (S_ASSIGN_INSERT). */
	sqlite3_stmt *ins = sql_prep(db, "INSERT INTO assignments (tenant_id, subscription_id, user_id, product_id,"
					 " assigned_at) SELECT tenant_id, id, ?3, product_id, ?4 FROM subscriptions"
					 " WHERE tenant_id = ?1 AND id = ?2");
	int64_t user = m->writes_first_user;
	for (int r = 0; r < runs; r++) {
		sql_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		double t0 = now_s();
		for (int i = 0; i < n; i++) {
			bool created;
			a.c.now = ps_time_system();
			if (ps_app_assign(&a.c, m->writes_tenant, m->writes_sub, user++, &created) != PS_OK || !created)
				die("ps_app_assign", a.c.err.msg);
		}
		app_w[r] = n / (now_s() - t0);
		sql_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		t0 = now_s();
		for (int i = 0; i < n; i++) {
			sqlite3_bind_int64(ins, 1, m->writes_tenant);
			sqlite3_bind_int64(ins, 2, m->writes_sub);
			sqlite3_bind_int64(ins, 3, user++);
			sqlite3_bind_int64(ins, 4, ps_time_system());
			sql_run(db, ins); /* autocommit: one durable commit per row */
		}
		sql_w[r] = n / (now_s() - t0);
		fprintf(stderr, "bench_fleet: writes run %d: app %.0f/s, single-row commits %.0f/s\n", r + 1, app_w[r],
			sql_w[r]);
	}
	/* Leave the fleet as it was. */
	sqlite3_finalize(ins);
	sqlite3_stmt *del = sql_prep(db, "DELETE FROM assignments WHERE tenant_id = ?1 AND subscription_id = ?2");
	sqlite3_bind_int64(del, 1, m->writes_tenant);
	sqlite3_bind_int64(del, 2, m->writes_sub);
	sql_run(db, del);
	sqlite3_finalize(del);
	sqlite3_close(db);
	app_close(&a);
	result("writes.app_per_s", median(app_w, runs));
	result("writes.sql_per_s", median(sql_w, runs));
	return 0;
}

/* ---- the Upgrade tab without HTTP ---- */

/* What GET .../upgrades does past the HTTP layer, for the fleet's sample
 * of subscriptions in turn: the token's lookup (SHA-256 and the store), the
 * tab (load, evaluate) and its JSON. A deterministic, single-threaded
 * profile target: `valgrind --tool=callgrind bench_fleet tab ...`. */
static int cmd_tab(const char *path, const struct meta *m, int runs, int n, const char *token)
{
	struct app_side a;
	struct ps_buf out;
	struct ps_err err;
	double per[MAX_RUNS];
	if (m->n_sample == 0)
		die("tab", "the meta file has no sample");
	if (ps_i18n_init(&err) != PS_OK)
		die("tab", err.msg);
	app_open(&a, path, 1000);
	ps_buf_init(&out, (size_t)1 << 20);
	size_t bytes = 0;
	for (int r = 0; r < runs; r++) {
		double t0 = now_s();
		for (int i = 0; i < n; i++) {
			const int64_t *smp = m->sample[i % m->n_sample];
			char hash[PS_HASH_LEN];
			struct ps_principal who;
			ps_sha256_hex(token, strlen(token), hash);
			a.c.now = ps_time_system();
			if (a.st->ops->token_find(a.st, hash, a.c.now, &who, &err) != PS_OK)
				die("tab: token_find", err.msg);
			struct ps_decision tab;
			if (ps_app_upgrades(&a.c, smp[0], smp[1], 0, &tab) != PS_OK)
				die("tab: ps_app_upgrades", a.c.err.msg);
			struct ps_jw w;
			ps_buf_reset(&out);
			ps_jw_init(&w, &out);
			ps_render_verdict(&w, tab.verdict, tab.snap, PS_LANG_EN, a.c.now);
			bytes += out.len;
		}
		per[r] = (now_s() - t0) / n * 1e6;
		fprintf(stderr, "bench_fleet: tab run %d: %.1f us per Upgrade tab (%zu bytes of JSON on average)\n", r + 1,
			per[r], bytes / ((size_t)n * (size_t)(r + 1)));
	}
	if (getenv("BENCH_STMT_STATS"))
		stmt_stats(a.st);
	ps_buf_fini(&out);
	app_close(&a);
	ps_i18n_fini();
	result("tab.us", median(per, runs));
	return 0;
}

static void usage(void)
{
	fputs("usage: bench_fleet upgrade --db PATH --meta FILE [--runs N]\n"
	      "       bench_fleet sweep --db PATH [--sql FILE] [--runs N] [--capacity N]   (no --sql: the engine alone)\n"
	      "       bench_fleet writes --db PATH --meta FILE [--runs N] [--writes N]\n"
	      "       bench_fleet tab --db PATH --meta FILE --token TOKEN [--runs N] [--writes N (tabs per run)]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *meta_path = NULL, *sql_path = NULL, *token = NULL;
	int runs = 3, writes = 200;
	int64_t capacity = 1000;
	if (argc < 2)
		usage();
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--meta") == 0)
			meta_path = argv[i + 1];
		else if (strcmp(argv[i], "--sql") == 0)
			sql_path = argv[i + 1];
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--writes") == 0)
			writes = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--token") == 0)
			token = argv[i + 1];
		else if (strcmp(argv[i], "--capacity") == 0)
			capacity = atoll(argv[i + 1]);
		else
			usage();
	}
	if (!db || runs < 1 || runs > MAX_RUNS)
		usage();
	struct meta m;
	if (meta_path)
		read_meta(meta_path, &m);
	if (strcmp(argv[1], "upgrade") == 0 && meta_path)
		return cmd_upgrade(db, &m, runs);
	if (strcmp(argv[1], "sweep") == 0)
		return cmd_sweep(db, sql_path, runs, capacity);
	if (strcmp(argv[1], "writes") == 0 && meta_path)
		return cmd_writes(db, &m, runs, writes);
	if (strcmp(argv[1], "tab") == 0 && meta_path && token)
		return cmd_tab(db, &m, runs, writes, token);
	usage();
	return 2;
}
