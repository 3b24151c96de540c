/* bench_engine.c: how long the eligibility engine takes to evaluate one
 * subscription of a tenant with 10 subscriptions and 1,000 users, against
 * the demo catalog. The Upgrade tab is read on every admin page view, so
 * this should be a few microseconds. Prints ns per evaluation, the median
 * of several rounds, with and without include_unsupported; then the same
 * figures as "RESULT<TAB>key<TAB>value" lines for bench/run. */
#include "app/ps_demo.h"
#include "common/ps_time.h"
#include "core/ps_catalog.h"
#include "core/ps_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double run(const struct ps_catalog *cat, const struct ps_snapshot *snap, const struct ps_snap_sub *sub,
		  int64_t now, unsigned flags, struct ps_verdict *v, long iters)
{
	double rounds[9];
	for (int r = 0; r < 9; r++) {
		double t0 = now_ns();
		for (long i = 0; i < iters; i++) {
			ps_rules_evaluate(cat, snap, sub, now, flags, v);
			__asm__ volatile("" : : "r"(v) : "memory");
		}
		rounds[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(rounds, 9, sizeof rounds[0], cmp_double);
	return rounds[4];
}

int main(int argc, char **argv)
{
	long iters = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 20000 : 200000;
	struct ps_catalog *cat = NULL;
	struct ps_faults faults = {0};
	if (!ps_catalog_parse(ps_demo_catalog, ps_demo_catalog_len, &cat, &faults)) {
		fprintf(stderr, "bench_engine: demo catalog does not parse\n");
		return 1;
	}
	/* Four live subscriptions (one per product, an add-on on ent-e3) and six
	 * ended ones, as a tenant that has changed plans over the years has. */
	static const char *const plans[] = {"biz-standard", "mail-p1", "voice-addon", "ent-e3", "biz-basic",
					    "mail-p1", "biz-basic", "mail-p2", "biz-premium", "ent-e5"};
	int64_t now = 1795770000; /* 2026-11-27T09:00:00Z */
	struct ps_snapshot snap;
	ps_snapshot_init(&snap);
	snap.tenant.id = 1;
	snprintf(snap.tenant.currency, sizeof snap.tenant.currency, "%s", "EUR");
	for (int i = 0; i < 10; i++) {
		struct ps_snap_sub *s = ps_snapshot_add_sub(&snap);
		s->s.tenant_id = 1;
		s->s.id = i + 1;
		snprintf(s->s.plan_id, sizeof s->s.plan_id, "%s", plans[i]);
		const struct ps_plan *p = ps_catalog_plan(cat, plans[i]);
		snprintf(s->s.product_id, sizeof s->s.product_id, "%s", p->product->id);
		s->s.quantity = 100;
		s->s.assigned = 100; /* 1,000 users in all */
		s->s.status = i < 4 ? PS_SUB_ACTIVE : (i % 2 ? PS_SUB_CANCELLED : PS_SUB_REPLACED);
		s->s.term = PS_TERM_MONTHLY;
		s->s.term_start = now - 10 * PS_DAY;
		s->s.term_end = ps_time_add_months(s->s.term_start, 1);
		s->s.addon_of = p->addon ? 4 : 0;
	}
	ps_snapshot_resolve(&snap, cat);
	struct ps_verdict *v = malloc(sizeof *v);
	const struct ps_snap_sub *clean = ps_snapshot_sub(&snap, 1); /* biz-standard: eligible, 2 offers */
	const struct ps_snap_sub *first = ps_snapshot_sub(&snap, 4); /* ent-e3 with an add-on: blocked */
	double a = run(cat, &snap, clean, now, 0, v, iters);
	double b = run(cat, &snap, first, now, 0, v, iters);
	double c = run(cat, &snap, clean, now, PS_EVAL_UNSUPPORTED, v, iters / 4);
	printf("engine, one subscription of a tenant with 10 subscriptions and 1,000 users (median of 9 rounds)\n");
	printf("%-52s %10s %10s\n", "case", "ns/eval", "target");
	printf("%-52s %10.0f %10s\n", "eligible, declared offers", a, "<= 2000");
	printf("%-52s %10.0f %10s\n", "blocked (has_addon)", b, "<= 2000");
	printf("%-52s %10.0f %10s\n", "eligible, include_unsupported (all 11 targets)", c, "-");
	/* For bench/run's table. */
	printf("RESULT\tengine.eligible_ns\t%.0f\nRESULT\tengine.blocked_ns\t%.0f\nRESULT\tengine.all_targets_ns\t%.0f\n",
	       a, b, c);
	free(v);
	ps_snapshot_fini(&snap);
	ps_catalog_free(cat);
	return 0;
}
