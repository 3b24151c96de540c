/* catalog.c: the catalog changes while the fleet runs (app layer): a load
 * is validated as at `init` (the one parser, core/catalog.c), checked
 * against the live subscriptions (a plan they use never disappears, nor
 * loses a data-bearing service), kept as a new numbered version, audited,
 * and used at once by this process; every other process on the store takes
 * it at its next request (ps_app_catalog_use, app.c). */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_buf.h"
#include "../common/ps_mem.h"

#include <stdio.h>
#include <string.h>

/* The refusal's text grows by one clause per plan; capped like every error. */
static void clause(char *out, size_t cap, size_t *n, const char *fmt, const char *plan, long long count,
		   const char *extra)
{
	if (*n >= cap)
		return;
	int k = snprintf(out + *n, cap - *n, fmt, *n ? "; " : "", plan, count, count == 1 ? "" : "s", extra);
	if (k > 0)
		*n += (size_t)k;
}

struct load_arg {
	const char *json;
	size_t len;
	const struct ps_catalog *next;
	int64_t version;
	char by[64]; /* who loads it: "tok_3", or "cli" */
};

/* Every plan of the current version that live subscriptions use must stay
 * in `next`, and keep each data-bearing service family at its rank (RULES
 * "Data safety", across versions as within one). */
static ps_code check_in_use(struct ps_ctx *c, const struct ps_catalog *cur, const struct ps_catalog *next)
{
	char why[sizeof c->err.msg];
	size_t n = 0;
	bool refused = false;
	for (size_t i = 0; cur && i < cur->n_plans; i++) {
		const struct ps_plan *was = &cur->plans[i];
		const struct ps_plan *now = ps_catalog_plan(next, was->id);
		struct ps_safety safety;
		if (now && ps_plan_is_data_safe(was, now, &safety))
			continue;
		int64_t live = 0;
		ps_code rc = c->st->ops->plan_live_count(c->st, was->id, &live, &c->err);
		if (rc != PS_OK)
			return rc;
		if (live == 0)
			continue;
		refused = true;
		if (!now) {
			clause(why, sizeof why, &n, "%splan %s is used by %lld live subscription%s%s", was->id,
			       (long long)live, ": keep it, marked \"retired\": true");
		} else {
			const struct ps_service *lost = safety.n_missing ? safety.missing[0] : safety.lower[0];
			char extra[160];
			snprintf(extra, sizeof extra, ", and would lose data-bearing service %s (family %s)",
				 lost ? lost->id : "?", lost ? lost->family : "?");
			clause(why, sizeof why, &n, "%splan %s is used by %lld live subscription%s%s", was->id,
			       (long long)live, extra);
		}
	}
	if (refused)
		return ps_err_set(&c->err, PS_CONFLICT, "plans", "%s; nothing was loaded", why);
	return PS_OK;
}

static ps_code load_tx(struct ps_ctx *c, void *arg)
{
	struct load_arg *a = arg;
	/* The version this load replaces, read inside the transaction. */
	struct ps_buf doc;
	struct ps_catalog *cur = NULL;
	struct ps_faults faults = {0};
	int64_t held = 0;
	/* Held alone first: a purchase or a plan change waits until this
	 * commits, and this waits for those already under way. */
	ps_code rc = c->st->ops->catalog_hold(c->st, true, &held, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		rc = PS_OK; /* the first catalog of a new store */
	}
	if (rc != PS_OK)
		return rc;
	ps_buf_init(&doc, (size_t)64 << 20);
	rc = c->st->ops->catalog_get(c->st, &doc, NULL, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		rc = PS_OK; /* the first catalog of a new store */
	} else if (rc == PS_OK && !ps_catalog_parse(ps_buf_str(&doc), doc.len, &cur, &faults)) {
		rc = ps_err_set(&c->err, PS_INTERNAL, "catalog", "the stored catalog does not validate: %s",
				faults.n ? faults.msgs[0] : "unknown fault");
	}
	ps_buf_fini(&doc);
	ps_faults_fini(&faults);
	if (rc == PS_OK)
		rc = check_in_use(c, cur, a->next);
	ps_catalog_free(cur);
	if (rc != PS_OK)
		return rc;
	rc = c->st->ops->catalog_put(c->st, a->json, a->len, c->now, a->by, &a->version, &c->err);
	if (rc == PS_CONFLICT)
		return PS_RETRY; /* another load took the number: run again on top of it */
	if (rc != PS_OK)
		return rc;
	struct ps_catalog_version v = {.version = a->version, .loaded_at = c->now};
	snprintf(v.loaded_by, sizeof v.loaded_by, "%s", a->by);
	ps_render_catalog_version(ps_app_event(c, PS_EV_CATALOG_LOADED, 0, a->version), &v);
	char ref[32], detail[160];
	snprintf(detail, sizeof detail, "{\"version\":%lld,\"services\":%zu,\"products\":%zu,\"plans\":%zu}",
		 (long long)a->version, a->next->n_services, a->next->n_products, a->next->n_plans);
	snprintf(ref, sizeof ref, "catalog_v%lld", (long long)a->version);
	return ps_app_audit(c, 0, "catalog.load", ref, detail);
}

ps_code ps_app_catalog_load(struct ps_ctx *c, const char *json, size_t len, struct ps_catalog_version *out)
{
	struct ps_catalog *next = NULL;
	struct ps_faults faults = {0};
	if (!ps_catalog_parse(json, len, &next, &faults)) {
		/* Every fault, each naming its object and field, for the caller. */
		c->faults = faults.msgs;
		c->n_faults = faults.n;
		ps_err_set(&c->err, PS_INVALID_FIELD, "catalog", "the catalog has %zu fault%s; nothing was loaded: %s",
			   faults.n, faults.n == 1 ? "" : "s", faults.n ? faults.msgs[0] : "");
		return PS_INVALID_FIELD;
	}
	ps_faults_fini(&faults);
	/* The canonical text the parser wrote back is what is kept. */
	struct load_arg a = {.json = next->json, .len = next->json_len, .next = next};
	if (c->who.token_id)
		ps_app_ref(a.by, sizeof a.by, PS_PFX_TOKEN, c->who.token_id);
	else
		snprintf(a.by, sizeof a.by, "%s", "cli");
	ps_code rc = ps_app_tx(c, load_tx, &a);
	if (rc != PS_OK) {
		ps_catalog_free(next);
		return rc;
	}
	ps_app_catalog_install(c->app, next, a.version);
	c->cat = __atomic_load_n(&c->app->catalog, __ATOMIC_ACQUIRE);
	if (out) {
		memset(out, 0, sizeof *out);
		out->version = a.version;
		out->loaded_at = c->now;
		snprintf(out->loaded_by, sizeof out->loaded_by, "%s", a.by);
	}
	return PS_OK;
}

ps_code ps_app_catalog_versions(struct ps_ctx *c, int64_t after, size_t limit, ps_catalog_version_cb cb, void *arg)
{
	return c->st->ops->catalog_version_list(c->st, after, limit, cb, arg, &c->err);
}
