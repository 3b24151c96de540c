/* fleet.c: the sweep (app layer): the Upgrade tab of every subscription of
 * every tenant, a batch of tenants per short read when the store can scan
 * snapshots (snapshot_scan), on every core when no callback needs them in
 * order; else tenant by tenant. Used by `planshift sweep` and, through the
 * summary kept in struct ps_app, by GET /v1/fleet. */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_mem.h"
#include "../core/ps_policy.h"
#include "ps_render.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define TENANT_BATCH 512
/* With snapshot_scan: tenants per read transaction. */
#define SCAN_BATCH 1024
/* A sweep without a callback runs on up to this many cores. */
#define SWEEP_THREADS_MAX 8

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
	int64_t hi; /* the last tenant id of this part, 0: none */
	bool past;  /* the scan went past hi */
};

/* Every subscription of a loaded tenant (c->snap or a scan's snapshot). */
static bool sweep_tenant(void *arg, struct ps_snapshot *snap)
{
	struct sweep *w = arg;
	struct ps_ctx *c = w->c;
	struct ps_fleet_sum *sum = w->sum;
	if (w->hi && snap->tenant.id > w->hi) {
		w->past = true;
		return false;
	}
	ps_snapshot_resolve(snap, c->cat);
	snap->capacity_limit = c->app->upgrade_capacity;
	snap->provisioning_sla = c->app->provisioning_sla;
	for (size_t k = 0; k < snap->n_subs; k++) {
		const struct ps_snap_sub *s = &snap->subs[k];
		ps_rules_evaluate(c->cat, snap, s, c->now, 0, c->verdict);
		const struct ps_verdict *v = c->verdict;
		sum->subscriptions++;
		if (ps_sub_status_is_live(s->s.status))
			sum->live++;
		if (ps_sub_has_scheduled_change(&s->s) ||
		    (ps_sub_status_is_live(s->s.status) && ps_snapshot_scheduled_op(snap, s->s.id)))
			sum->scheduled++;
		/* Only live subscriptions are eligible or blocked (live = eligible + blocked):
		 * an ended one is neither. */
		if (ps_sub_status_is_live(s->s.status) && v->eligible)
			sum->eligible++;
		for (size_t r = 0; ps_sub_status_is_live(s->s.status) && r < v->n_reasons; r++)
			sum->blocked_by[v->reasons[r].code]++;
		if (w->cb && !w->cb(w->arg, snap, v)) {
			w->stopped = true;
			return false;
		}
	}
	sum->tenants++;
	return true;
}

/* The tenants after `after` (up to w->hi) by snapshot_scan batches. */
static ps_code scan_from(struct sweep *w, int64_t after)
{
	struct ps_ctx *c = w->c;
	for (;;) {
		int64_t last = after, before = w->sum->tenants;
		ps_code rc = c->st->ops->snapshot_scan(c->st, after, SCAN_BATCH, c->now, &c->snap, sweep_tenant, w,
						       &last, &c->err);
		if (rc != PS_OK || w->stopped || w->past || w->sum->tenants - before < SCAN_BATCH)
			return rc;
		after = last;
	}
}

static bool any_tenant(void *arg, const struct ps_tenant *t)
{
	*(bool *)arg = true;
	return false;
}

/* The highest tenant id (0 when none), by halving: tenant_list(after, 1)
 * says whether any tenant lies beyond a point. */
static ps_code max_tenant(struct ps_ctx *c, int64_t *max)
{
	int64_t lo = 0, hi = 1; /* a tenant exists after lo (or lo is 0); none after hi */
	for (;;) {
		bool any = false;
		ps_code rc = c->st->ops->tenant_list(c->st, hi, 1, any_tenant, &any, &c->err);
		if (rc != PS_OK)
			return rc;
		if (!any)
			break;
		lo = hi;
		if (hi > INT64_MAX / 2)
			return ps_err_set(&c->err, PS_INTERNAL, NULL, "tenant ids beyond the sweep's range");
		hi *= 2;
	}
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		bool any = false;
		ps_code rc = c->st->ops->tenant_list(c->st, mid, 1, any_tenant, &any, &c->err);
		if (rc != PS_OK)
			return rc;
		if (any)
			lo = mid;
		else
			hi = mid;
	}
	bool any = false;
	ps_code rc = c->st->ops->tenant_list(c->st, 0, 1, any_tenant, &any, &c->err);
	*max = rc == PS_OK && any ? hi : 0;
	return rc;
}

/* One part of a parallel sweep: its own context and store handle. */
struct part {
	struct ps_ctx c;
	struct ps_fleet_sum sum;
	struct sweep w;
	int64_t lo;
	ps_code rc;
	pthread_t thread;
};

static void *part_run(void *arg)
{
	struct part *p = arg;
	p->rc = scan_from(&p->w, p->lo);
	return NULL;
}

/* Without a callback the order does not matter: the tenants are split by
 * id into one range per core, each scanned by its own thread on its own
 * connection; the sums are added up. false when it could not start (the
 * caller then sweeps alone). */
static bool sweep_parallel(struct ps_ctx *c, struct ps_fleet_sum *sum, ps_code *rc)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cores > SWEEP_THREADS_MAX ? SWEEP_THREADS_MAX : (int)cores;
	int64_t max = 0;
	if (n < 2 || !c->app->db_url || max_tenant(c, &max) != PS_OK || max < 2 * SCAN_BATCH)
		return false;
	struct part *parts = ps_calloc((size_t)n, sizeof *parts);
	int started = 0;
	for (int k = 0; k < n; k++) {
		struct part *p = &parts[k];
		p->lo = max / n * k;
		p->w = (struct sweep){.c = &p->c, .sum = &p->sum, .hi = k == n - 1 ? 0 : max / n * (k + 1)};
		struct ps_store *st = c->st;
		if (k > 0 && ps_store_open(c->app->db_url, &st, &c->err) != PS_OK)
			break;
		ps_ctx_init(&p->c, c->app, st);
		p->c.now = c->now;
		p->c.verdict = ps_malloc(sizeof *p->c.verdict);
		if (k > 0 && pthread_create(&p->thread, NULL, part_run, p) != 0) {
			ps_ctx_fini(&p->c);
			ps_store_close(st);
			break;
		}
		started = k + 1;
	}
	if (started < n) { /* a handle or a thread could not be had: sweep alone */
		for (int k = 1; k < started; k++)
			pthread_join(parts[k].thread, NULL);
		for (int k = 0; k < started; k++) {
			if (k > 0)
				ps_store_close(parts[k].c.st);
			ps_ctx_fini(&parts[k].c);
		}
		ps_free(parts);
		ps_err_clear(&c->err);
		return false;
	}
	part_run(&parts[0]);
	*rc = PS_OK;
	for (int k = 0; k < n; k++) {
		struct part *p = &parts[k];
		if (k > 0)
			pthread_join(p->thread, NULL);
		if (p->rc != PS_OK && *rc == PS_OK) {
			*rc = p->rc;
			c->err = p->c.err;
		}
		sum->tenants += p->sum.tenants;
		sum->subscriptions += p->sum.subscriptions;
		sum->live += p->sum.live;
		sum->eligible += p->sum.eligible;
		sum->scheduled += p->sum.scheduled;
		for (int r = 0; r < PS_R__COUNT; r++)
			sum->blocked_by[r] += p->sum.blocked_by[r];
		if (k > 0)
			ps_store_close(p->c.st);
		ps_ctx_fini(&p->c);
	}
	ps_free(parts);
	return true;
}

ps_code ps_app_sweep(struct ps_ctx *c, ps_sweep_cb cb, void *arg, struct ps_fleet_sum *sum)
{
	struct batch b;
	struct sweep w = {.c = c, .cb = cb, .arg = arg, .sum = sum};
	int64_t after = 0;
	ps_code rc;
	memset(sum, 0, sizeof *sum);
	if (!c->verdict)
		c->verdict = ps_malloc(sizeof *c->verdict);
	if (c->st->ops->snapshot_scan) {
		/* A batch of tenants per read, loaded by a few range queries;
		 * on every core when no callback wants them in order. */
		if (!cb && sweep_parallel(c, sum, &rc))
			return rc;
		memset(sum, 0, sizeof *sum);
		return scan_from(&w, 0);
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

/* How long a fleet summary is served again. */
#define PS_FLEET_TTL_S 60

struct ps_fleet_cache {
	pthread_mutex_t lock;
	struct ps_buf json;
	int64_t at; /* when it was computed (c->now); 0: never */
	int64_t version; /* the catalog version it was computed with */
};

static struct ps_fleet_cache *fleet_cache(struct ps_app *app)
{
	struct ps_fleet_cache *f = __atomic_load_n(&app->fleet, __ATOMIC_ACQUIRE);
	if (f)
		return f;
	struct ps_fleet_cache *made = ps_calloc(1, sizeof *made);
	pthread_mutex_init(&made->lock, NULL);
	ps_buf_init(&made->json, (size_t)1 << 16);
	if (__atomic_compare_exchange_n(&app->fleet, &f, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return made;
	pthread_mutex_destroy(&made->lock); /* another thread made it first: f holds it */
	ps_buf_fini(&made->json);
	ps_free(made);
	return f;
}

ps_code ps_app_fleet(struct ps_ctx *c, bool fresh, struct ps_jw *w)
{
	struct ps_fleet_cache *f = fleet_cache(c->app);
	ps_code rc = PS_OK;
	pthread_mutex_lock(&f->lock);
	int64_t version = c->cat ? c->cat->version : 0;
	if (fresh || !f->at || c->now - f->at >= PS_FLEET_TTL_S || c->now < f->at || f->version != version) {
		struct ps_fleet_sum sum;
		rc = ps_app_sweep(c, NULL, NULL, &sum);
		if (rc == PS_OK) {
			struct ps_jw fw;
			ps_buf_reset(&f->json);
			ps_jw_init(&fw, &f->json);
			ps_render_fleet(&fw, &sum, c->now);
			f->at = c->now;
			f->version = version;
		}
	}
	if (rc == PS_OK)
		ps_jw_raw(w, f->json.p, f->json.len);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void ps_app_fleet_fini(struct ps_app *app)
{
	struct ps_fleet_cache *f = app->fleet;
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	ps_buf_fini(&f->json);
	ps_free(f);
	app->fleet = NULL;
}
