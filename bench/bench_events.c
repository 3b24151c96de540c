/* bench_events.c: the cost of the event outbox (bench layer). Durable
 * single writes (ps_app_user_create: the user, its audit row and its
 * user.created event, one transaction each) with events on, against the
 * same writes with no outbox (struct ps_app's events_off, a switch only
 * this benchmark sets), on one fresh store at --db (SQLite path, or a
 * PostgreSQL URL: a throwaway database), the two sides taking turns each
 * run. The medians are printed as "RESULT<TAB>key<TAB>value". */
#include "app/ps_app.h"
#include "common/ps_i18n.h"
#include "core/ps_catalog.h"
#include "store/ps_store.h"

#define BENCH_NAME "bench_events"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY	 86400

static double run_writes(struct ps_ctx *c, int64_t tenant, int n, int *serial)
{
	double a = now_s();
	for (int i = 0; i < n; i++) {
		char upn[64];
		struct ps_user u;
		snprintf(upn, sizeof upn, "u%d@bench.example", (*serial)++);
		if (ps_app_user_create(c, tenant, upn, "Bench User", &u) != PS_OK)
			bench_die("user", &c->err);
	}
	return n / (now_s() - a);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *catalog = "data/demo-catalog.json";
	int writes = 1000, runs = 3;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--catalog") == 0)
			catalog = argv[i + 1];
		else if (strcmp(argv[i], "--writes") == 0)
			writes = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = (int)strtol(argv[i + 1], NULL, 10);
	}
	if (!db || writes < 1 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_events --db URL [--catalog FILE] [--writes N] [--runs N (1..%d)]\n", MAX_RUNS);
		return 2;
	}
	struct ps_err err = {0};
	int64_t t0 = 1800000000;
	struct ps_store *st = bench_store(db, catalog, t0);
	struct ps_app app = {.db_url = db};
	if (ps_app_load_catalog(&app, st, &err) != PS_OK)
		bench_die("catalog", &err);
	struct ps_ctx c;
	ps_ctx_init(&c, &app, st);
	ps_ctx_reset(&c, t0, "bench");
	c.who.role = PS_ROLE_OPERATOR;
	struct ps_tenant_in tin = {.name = "Bench", .segment = "commercial", .payment = "card", .currency = "EUR"};
	struct ps_tenant t;
	if (ps_app_tenant_create(&c, &tin, &t) != PS_OK)
		bench_die("tenant", &c.err);
	double on[MAX_RUNS], off[MAX_RUNS];
	int serial = 0;
	run_writes(&c, t.id, writes / 10 + 1, &serial); /* warm up */
	for (int r = 0; r < runs; r++) {
		app.events_off = false;
		on[r] = run_writes(&c, t.id, writes, &serial);
		app.events_off = true;
		off[r] = run_writes(&c, t.id, writes, &serial);
		app.events_off = false;
		fprintf(stderr, "bench_events: run %d (%s): events on %.0f writes/s, no outbox %.0f writes/s\n", r + 1,
			st->ops->name, on[r], off[r]);
	}
	printf("RESULT\tevents.on_per_s\t%.6g\nRESULT\tevents.off_per_s\t%.6g\n", median(on, runs), median(off, runs));
	ps_ctx_fini(&c);
	ps_app_fini(&app);
	ps_store_close(st);
	ps_i18n_fini();
	return 0;
}
