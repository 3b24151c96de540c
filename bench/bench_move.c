/* bench_move.c: a manual change by seat moving some users (RULES second
 * part, "Manual changes by seat"), through the store against the bare SQL of
 * the same move (bench layer). On a new SQLite store with one tenant, USERS
 * users and their seats on one subscription, each run moves MOVE of them
 * (every USERS/MOVE-th) to another subscription as the switch does
 * (operation_users_put, then seats_move_some: the set-based statements, one
 * per table, in one transaction), then moves them back with bare SQL (one
 * UPDATE of the seats for the same set, the two counts adjusted, one
 * transaction). Both are timed from BEGIN to COMMIT; medians of --runs.
 * Output: "RESULT<TAB>key<TAB>value" lines for bench/run; notes on stderr. */
#include "store/ps_store.h"

#define BENCH_NAME "bench_move"
#include "bench_util.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_move: %s: %s\n", what, msg ? msg : "failed");
	exit(1);
}

static void check(ps_code rc, const struct ps_err *err, const char *what)
{
	if (rc != PS_OK)
		die(what, err->msg);
}

static void sql_exec(sqlite3 *db, const char *s)
{
	char *msg = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &msg) != SQLITE_OK)
		die(s, msg);
}

static int64_t count_seats(sqlite3 *db, int64_t sub)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM assignments WHERE tenant_id = 1 AND subscription_id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		die("count", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, sub);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int64_t users = 100000, move = 10000;
	int runs = 3;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--users") == 0)
			users = atoll(argv[i + 1]);
		else if (strcmp(argv[i], "--move") == 0)
			move = atoll(argv[i + 1]);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
	}
	if (!path || users < 1 || move < 1 || move > users || runs < 1 || runs > MAX_RUNS) {
		fputs("usage: bench_move --db NEW.db [--users 100000] [--move 10000] [--runs 3]\n", stderr);
		return 2;
	}
	remove(path);
	struct ps_store *st;
	struct ps_err err = {0};
	check(ps_store_open(path, &st, &err), &err, "open");
	check(st->ops->migrate(st, &err), &err, "migrate");
	struct ps_tenant t = {.credit_limit = 0};
	snprintf(t.name, sizeof t.name, "Bench");
	snprintf(t.currency, sizeof t.currency, "EUR");
	check(st->ops->tenant_insert(st, &t, &err), &err, "tenant");
	struct ps_subscription a = {.tenant_id = t.id, .quantity = users, .status = PS_SUB_ACTIVE, .term = PS_TERM_MONTHLY};
	snprintf(a.plan_id, sizeof a.plan_id, "biz-basic");
	snprintf(a.product_id, sizeof a.product_id, "business");
	struct ps_subscription b = a;
	snprintf(b.plan_id, sizeof b.plan_id, "biz-standard");
	check(st->ops->sub_insert(st, &a, &err), &err, "subscription a");
	check(st->ops->sub_insert(st, &b, &err), &err, "subscription b");

	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, "open");
	sqlite3_busy_timeout(db, 5000);
	sql_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
	char q[1024];
	double t0 = now_s();
	sql_exec(db, "BEGIN");
	snprintf(q, sizeof q,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %lld)"
		 " INSERT INTO users (tenant_id, id, upn, display_name, created_at)"
		 " SELECT %lld, i, 'u' || i || '@bench.example', 'User ' || i, 0 FROM n",
		 (long long)users, (long long)t.id);
	sql_exec(db, q);
	snprintf(q, sizeof q,
		 "INSERT INTO assignments (tenant_id, subscription_id, user_id, product_id, assigned_at)"
		 " SELECT tenant_id, %lld, id, 'business', 0 FROM users WHERE tenant_id = %lld",
		 (long long)a.id, (long long)t.id);
	sql_exec(db, q);
	sql_exec(db, "COMMIT");
	fprintf(stderr, "bench_move: %lld users and seats in %.1f s\n", (long long)users, now_s() - t0);

	/* The users moved: every (users / move)-th. */
	int64_t step = users / move;
	size_t cap = (size_t)move * 24 + 4, len = 0;
	char *json = malloc(cap);
	json[len++] = '[';
	for (int64_t k = 0; k < move; k++)
		len += (size_t)snprintf(json + len, cap - len, "%s%lld", k ? "," : "", (long long)(1 + k * step));
	json[len++] = ']';
	json[len] = '\0';

	sqlite3_stmt *back, *cnt;
	if (sqlite3_prepare_v2(db,
			       "UPDATE assignments SET subscription_id = ?2, product_id = 'business'"
			       " WHERE tenant_id = 1 AND subscription_id = ?3 AND user_id IN (SELECT value FROM json_each(?1))",
			       -1, &back, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE subscriptions SET assigned = assigned + ?2 WHERE tenant_id = 1 AND id = ?1", -1,
			       &cnt, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(db));

	double app[MAX_RUNS], bare[MAX_RUNS];
	for (int r = 0; r < runs; r++) {
		/* The store, as the switch: the operation's users, then the move. */
		double s = now_s();
		check(st->ops->begin(st, PS_TX_WRITE, &err), &err, "begin");
		check(st->ops->operation_users_put(st, t.id, r + 1, json, &err), &err, "operation_users_put");
		check(st->ops->seats_move_some(st, t.id, a.id, b.id, r + 1, &err), &err, "seats_move_some");
		check(st->ops->commit(st, &err), &err, "commit");
		app[r] = now_s() - s;
		int64_t moved = count_seats(db, b.id);
		/* The bare SQL of the same move, back. */
		s = now_s();
		sql_exec(db, "BEGIN IMMEDIATE");
		sqlite3_bind_text(back, 1, json, -1, SQLITE_STATIC);
		sqlite3_bind_int64(back, 2, a.id);
		sqlite3_bind_int64(back, 3, b.id);
		if (sqlite3_step(back) != SQLITE_DONE)
			die("bare move", sqlite3_errmsg(db));
		int64_t n = sqlite3_changes(db);
		sqlite3_reset(back);
		int64_t adj[2][2] = {{a.id, n}, {b.id, -n}};
		for (int k = 0; k < 2; k++) {
			sqlite3_bind_int64(cnt, 1, adj[k][0]);
			sqlite3_bind_int64(cnt, 2, adj[k][1]);
			if (sqlite3_step(cnt) != SQLITE_DONE)
				die("bare count", sqlite3_errmsg(db));
			sqlite3_reset(cnt);
		}
		sql_exec(db, "COMMIT");
		bare[r] = now_s() - s;
		fprintf(stderr, "bench_move: run %d: store %.3f s (%lld seats moved), bare SQL %.3f s (%lld)\n", r + 1, app[r],
			(long long)moved, bare[r], (long long)n);
		if (moved != move || n != move)
			die("check", "a run did not move exactly the users asked");
	}
	double ma = median(app, runs), mb = median(bare, runs);
	printf("RESULT\tmove_store_s\t%.4f\nRESULT\tmove_bare_s\t%.4f\nRESULT\tmove_ratio\t%.2f\n", ma, mb, ma / mb);
	sqlite3_finalize(back);
	sqlite3_finalize(cnt);
	sqlite3_close(db);
	ps_store_close(st);
	free(json);
	return 0;
}
