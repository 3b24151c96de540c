/* bench_jobs.c: the job runner's throughput against bare single-row
 * commits on the same store (bench layer). A fresh store at --db (SQLite
 * path, or a PostgreSQL URL: a throwaway database) gets --jobs monthly
 * subscriptions (a tenant paying by card for each 50), the clock is set past their first
 * period, and ps_jobs_run_due renews them all: one claimed job, one renewal
 * invoice with its line, the subscription and its audit row, one
 * transaction each. The baseline: as many write transactions of one
 * single-row statement each (begin, clock_set, commit), through the same
 * store handle and durability. Each measure runs --runs times on new
 * subscriptions; the medians are printed as "RESULT<TAB>key<TAB>value". */
#include "app/ps_app.h"
#include "app/ps_jobs.h"
#include "common/ps_i18n.h"
#include "core/ps_catalog.h"
#include "store/ps_store.h"

#define BENCH_NAME "bench_jobs"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY	 86400

int main(int argc, char **argv)
{
	const char *db = NULL, *catalog = "data/demo-catalog.json";
	int jobs = 2000, runs = 3;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--catalog") == 0)
			catalog = argv[i + 1];
		else if (strcmp(argv[i], "--jobs") == 0)
			jobs = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = (int)strtol(argv[i + 1], NULL, 10);
	}
	if (!db || jobs < 1 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_jobs --db URL [--catalog FILE] [--jobs N] [--runs N (1..%d)]\n", MAX_RUNS);
		return 2;
	}
	struct ps_err err = {0};
	int64_t t0 = 1800000000; /* 2027-01-15T08:00:00Z */
	struct ps_store *st = bench_store(db, catalog, t0);
	struct ps_app app = {.db_url = db, .clock_manual = true};
	if (ps_app_load_catalog(&app, st, &err) != PS_OK)
		bench_die("catalog", &err);
	struct ps_ctx c;
	ps_ctx_init(&c, &app, st);
	double app_s[MAX_RUNS], sql_s[MAX_RUNS];
	for (int r = 0; r < runs; r++) {
		/* New subscriptions, renewed a month later: each run's 100 days
		 * before the last one's, so that only its own are due. */
		int64_t bought = t0 - (int64_t)r * 100 * DAY;
		ps_ctx_reset(&c, bought, "bench");
		c.who.role = PS_ROLE_OPERATOR;
		int64_t tenant = 0;
		for (int i = 0; i < jobs; i++) {
			if (i % 50 == 0) {
				struct ps_tenant_in tin = {.name = "Bench", .segment = "commercial", .payment = "card",
							   .currency = "EUR", .credit_limit = 0, .has_credit_limit = true};
				struct ps_tenant t;
				if (ps_app_tenant_create(&c, &tin, &t) != PS_OK)
					bench_die("tenant", &c.err);
				tenant = t.id;
			}
			struct ps_purchase_in pin = {.plan = "biz-basic", .quantity = 1, .term = "monthly"};
			struct ps_subscription s;
			struct ps_credit_check cc;
			if (ps_app_purchase(&c, tenant, &pin, &s, &cc) != PS_OK)
				bench_die("purchase", &c.err);
		}
		ps_ctx_reset(&c, bought + 32 * DAY, "bench");
		int ran = 0;
		double a = now_s();
		if (ps_jobs_run_due(&c, false, &ran) != PS_OK)
			bench_die("jobs", &c.err);
		app_s[r] = now_s() - a;
		if (ran != jobs) {
			fprintf(stderr, "bench_jobs: run %d: %d jobs run, want %d\n", r + 1, ran, jobs);
			return 1;
		}
		a = now_s();
		for (int i = 0; i < jobs; i++)
			if (st->ops->begin(st, PS_TX_WRITE, &err) || st->ops->clock_set(st, bought + i, &err) ||
			    st->ops->commit(st, &err))
				bench_die("single-row commit", &err);
		sql_s[r] = now_s() - a;
		fprintf(stderr, "bench_jobs: run %d (%s): %d renewal jobs %.0f/s, single-row commits %.0f/s\n", r + 1,
			st->ops->name, jobs, jobs / app_s[r], jobs / sql_s[r]);
	}
	double a = median(app_s, runs), b = median(sql_s, runs);
	printf("RESULT\tjobs.app_per_s\t%.6g\nRESULT\tjobs.sql_per_s\t%.6g\n", jobs / a, jobs / b);
	ps_ctx_fini(&c);
	ps_app_fini(&app);
	ps_store_close(st);
	ps_i18n_fini();
	return 0;
}
