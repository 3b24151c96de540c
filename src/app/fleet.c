/* fleet.c: the sweep (app layer): the Upgrade tab of every subscription of
 * every tenant, a batch of tenants per short read when the store can scan
 * snapshots (snapshot_scan), else tenant by tenant. Used by `planshift
 * sweep` and by GET /v1/fleet. */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_mem.h"

#include <string.h>

#define TENANT_BATCH 512
/* With snapshot_scan: tenants per read transaction. */
#define SCAN_BATCH 1024

struct batch {
	int64_t ids[TENANT_BATCH];
	size_t n;
};

static bool take_tenant(void *arg, const struct ps_tenant *t)
{
	struct batch *b = arg;
	b->ids[b->n++] = t->id;
	return true;
}

struct sweep {
	struct ps_ctx *c;
	ps_sweep_cb cb;
	void *arg;
	struct ps_fleet_sum *sum;
	bool stopped;
};

/* Every subscription of a loaded tenant (c->snap or a scan's snapshot). */
static bool sweep_tenant(void *arg, struct ps_snapshot *snap)
{
	struct sweep *w = arg;
	struct ps_ctx *c = w->c;
	struct ps_fleet_sum *sum = w->sum;
	ps_snapshot_resolve(snap, c->app->catalog);
	snap->capacity_limit = c->app->upgrade_capacity;
	for (size_t k = 0; k < snap->n_subs; k++) {
		const struct ps_snap_sub *s = &snap->subs[k];
		ps_rules_evaluate(c->app->catalog, snap, s, c->now, 0, c->verdict);
		const struct ps_verdict *v = c->verdict;
		sum->subscriptions++;
		if (ps_sub_status_is_live(s->s.status))
			sum->live++;
		if (v->eligible)
			sum->eligible++;
		for (size_t r = 0; r < v->n_reasons; r++)
			sum->blocked_by[v->reasons[r].code]++;
		if (w->cb && !w->cb(w->arg, snap, v)) {
			w->stopped = true;
			return false;
		}
	}
	sum->tenants++;
	return true;
}

ps_code ps_app_sweep(struct ps_ctx *c, ps_sweep_cb cb, void *arg, struct ps_fleet_sum *sum)
{
	struct batch b;
	struct sweep w = {c, cb, arg, sum, false};
	int64_t after = 0;
	ps_code rc;
	memset(sum, 0, sizeof *sum);
	if (!c->verdict)
		c->verdict = ps_malloc(sizeof *c->verdict);
	if (c->st->ops->snapshot_scan) {
		/* A batch of tenants per read, loaded by a few range queries. */
		for (;;) {
			int64_t last = after, before = sum->tenants;
			rc = c->st->ops->snapshot_scan(c->st, after, SCAN_BATCH, c->now, &c->snap, sweep_tenant, &w, &last,
						       &c->err);
			if (rc != PS_OK || w.stopped || sum->tenants - before < SCAN_BATCH)
				return rc;
			after = last;
		}
	}
	do {
		b.n = 0;
		rc = c->st->ops->tenant_list(c->st, after, TENANT_BATCH, take_tenant, &b, &c->err);
		for (size_t i = 0; rc == PS_OK && i < b.n; i++) {
			rc = c->st->ops->snapshot_load(c->st, b.ids[i], c->now, &c->snap, &c->err);
			if (rc == PS_NOT_FOUND) { /* deleted meanwhile */
				rc = PS_OK;
				continue;
			}
			if (rc != PS_OK)
				break;
			if (!sweep_tenant(&w, &c->snap)) {
				b.n = 0;
				break;
			}
		}
		if (b.n)
			after = b.ids[b.n - 1];
	} while (rc == PS_OK && b.n == TENANT_BATCH);
	return rc;
}
