/* app.c: the request context and its reset, the catalog in memory,
 * the audit helper and the evaluation of one subscription on a
 * fresh snapshot (app layer). Calls nothing else of the app layer. */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_log.h"
#include "../common/ps_mem.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

void ps_ctx_init(struct ps_ctx *c, struct ps_app *app, struct ps_store *st)
{
	memset(c, 0, sizeof *c);
	c->app = app;
	c->st = st;
	c->lang = PS_LANG_EN;
	c->cat = app ? __atomic_load_n(&app->catalog, __ATOMIC_ACQUIRE) : NULL;
	ps_snapshot_init(&c->snap);
}

static void faults_clear(struct ps_ctx *c)
{
	for (size_t i = 0; i < c->n_faults; i++)
		ps_free(c->faults[i]);
	ps_free(c->faults);
	c->faults = NULL;
	c->n_faults = 0;
}

void ps_ctx_reset(struct ps_ctx *c, int64_t now, const char *request_id)
{
	ps_err_clear(&c->err);
	memset(&c->who, 0, sizeof c->who);
	c->now = now;
	c->lang = PS_LANG_EN;
	snprintf(c->request_id, sizeof c->request_id, "%s", request_id ? request_id : "");
	c->cat = c->app ? __atomic_load_n(&c->app->catalog, __ATOMIC_ACQUIRE) : NULL;
	faults_clear(c);
	if (c->verdict)
		c->verdict->sub = NULL;
}

void ps_ctx_fini(struct ps_ctx *c)
{
	ps_snapshot_fini(&c->snap);
	ps_free(c->verdict);
	c->verdict = NULL;
	ps_free(c->choice);
	c->choice = NULL;
	faults_clear(c);
	ps_app_events_fini(c);
}

/* Make cat (version v) the process's catalog, unless it already has that
 * version or a newer one: then cat is freed. The one it replaces is kept
 * until ps_app_fini (a request may still be reading it). */
void ps_app_catalog_install(struct ps_app *app, struct ps_catalog *cat, int64_t version)
{
	while (__atomic_test_and_set(&app->catalog_busy, __ATOMIC_ACQUIRE))
		sched_yield(); /* another thread is installing one: microseconds */
	if (app->catalog && app->catalog_version >= version) {
		ps_catalog_free(cat);
	} else {
		if (app->catalog) {
			ps_grow((void **)&app->catalog_old, &app->cap_catalog_old, app->n_catalog_old + 1,
				sizeof *app->catalog_old);
			app->catalog_old[app->n_catalog_old++] = app->catalog;
		}
		cat->version = version;
		/* The catalog before its number: a thread that reads the number
		 * (acquire) then finds this catalog, never an older one. */
		__atomic_store_n(&app->catalog, cat, __ATOMIC_RELEASE);
		__atomic_store_n(&app->catalog_version, version, __ATOMIC_RELEASE);
	}
	__atomic_clear(&app->catalog_busy, __ATOMIC_RELEASE);
}

ps_code ps_app_load_catalog(struct ps_app *app, struct ps_store *st, struct ps_err *err)
{
	struct ps_buf doc;
	struct ps_faults faults = {0};
	struct ps_catalog *cat = NULL;
	int64_t version = 0;
	ps_buf_init(&doc, (size_t)64 << 20);
	ps_code rc = st->ops->catalog_get(st, &doc, &version, err);
	if (rc == PS_NOT_FOUND) {
		ps_err_set(err, rc, "catalog", "the store has no catalog: run `planshift init --db URL --catalog FILE`");
		goto out;
	}
	if (rc != PS_OK)
		goto out;
	if (!ps_catalog_parse(ps_buf_str(&doc), doc.len, &cat, &faults)) {
		rc = ps_err_set(err, PS_INTERNAL, "catalog", "the stored catalog does not validate: %s",
				faults.n ? faults.msgs[0] : "unknown fault");
		goto out;
	}
	ps_app_catalog_install(app, cat, version);
out:
	ps_faults_fini(&faults);
	ps_buf_fini(&doc);
	return rc;
}

/* The store's current version is v: when the process has an older one,
 * read and install v's; c->cat is then the process's. */
static ps_code take_version(struct ps_ctx *c, int64_t v)
{
	ps_code rc;
	if (v > __atomic_load_n(&c->app->catalog_version, __ATOMIC_ACQUIRE) &&
	    (rc = ps_app_load_catalog(c->app, c->st, &c->err)) != PS_OK)
		return rc;
	c->cat = __atomic_load_n(&c->app->catalog, __ATOMIC_ACQUIRE);
	return PS_OK;
}

ps_code ps_app_catalog_use(struct ps_ctx *c)
{
	int64_t v = 0;
	ps_code rc = c->st->ops->catalog_version(c->st, &v, &c->err);
	return rc == PS_OK ? take_version(c, v) : rc;
}

ps_code ps_app_catalog_hold(struct ps_ctx *c)
{
	int64_t v = 0;
	ps_code rc = c->st->ops->catalog_hold(c->st, false, &v, &c->err);
	if (rc != PS_OK || (c->cat && c->cat->version == v))
		return rc;
	return take_version(c, v); /* a load committed since this request began: sell from it */
}

void ps_app_fini(struct ps_app *app)
{
	ps_catalog_free(app->catalog);
	app->catalog = NULL;
	for (size_t i = 0; i < app->n_catalog_old; i++)
		ps_catalog_free(app->catalog_old[i]);
	ps_free(app->catalog_old);
	app->catalog_old = NULL;
	app->n_catalog_old = app->cap_catalog_old = 0;
	ps_free(app->holidays);
	app->holidays = NULL;
	app->n_holidays = 0;
	ps_app_fleet_fini(app);
}

ps_code ps_app_tenant(struct ps_ctx *c, int64_t id, struct ps_tenant *out)
{
	ps_code rc = c->st->ops->tenant_get(c->st, id, out, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such tenant");
	return rc;
}

ps_code ps_app_audit(struct ps_ctx *c, int64_t tenant, const char *action, const char *object, const char *detail)
{
	struct ps_audit a;
	memset(&a, 0, sizeof a);
	a.tenant_id = tenant;
	a.at = c->now;
	a.token_id = c->who.token_id;
	a.role = c->who.role;
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.object, sizeof a.object, "%s", object ? object : "");
	snprintf(a.request_id, sizeof a.request_id, "%s", c->request_id);
	snprintf(a.detail, sizeof a.detail, "%s", detail ? detail : "{}");
	return c->st->ops->audit_insert(c->st, &a, &c->err);
}

ps_code ps_app_evaluate(struct ps_ctx *c, int64_t tenant, int64_t sub, unsigned flags, struct ps_decision *out)
{
	out->snap = &c->snap;
	out->verdict = NULL;
	out->offer = NULL;
	ps_code rc = c->st->ops->snapshot_load(c->st, tenant, c->now, &c->snap, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such tenant");
	if (rc != PS_OK)
		return rc;
	ps_snapshot_resolve(&c->snap, c->cat);
	c->snap.capacity_limit = c->app->upgrade_capacity;
	c->snap.provisioning_sla = c->app->provisioning_sla;
	const struct ps_snap_sub *s = ps_snapshot_sub(&c->snap, sub);
	if (!s)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such subscription");
	if (!c->verdict)
		c->verdict = ps_malloc(sizeof *c->verdict);
	ps_rules_evaluate(c->cat, &c->snap, s, c->now, flags, c->verdict);
	out->verdict = c->verdict;
	return PS_OK;
}
