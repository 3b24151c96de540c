/* h_misc.c: health, the catalog and service health (http layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../common/ps_mem.h"

#include <string.h>

ps_code ps_h_healthz(struct ps_req *r)
{
	ps_jw_obj(&r->w);
	ps_jw_kstr(&r->w, "status", "ok");
	ps_jw_obj_end(&r->w);
	return PS_OK;
}

ps_code ps_h_catalog(struct ps_req *r)
{
	ps_render_catalog(&r->w, r->c->cat);
	return PS_OK;
}

/* PUT /v1/catalog: the body is the catalog; answers {version, loaded_at}. */
ps_code ps_h_catalog_put(struct ps_req *r)
{
	char *text = json_dumps(r->body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return ps_err_set(&r->c->err, PS_INVALID_JSON, NULL, "the body cannot be read as a catalog");
	struct ps_catalog_version v;
	ps_code rc = ps_app_catalog_load(r->c, text, strlen(text), &v);
	free(text);
	if (rc != PS_OK) {
		r->refusal.faults = (const char *const *)r->c->faults;
		r->refusal.n_faults = r->c->n_faults;
		return rc;
	}
	r->status = 201;
	ps_render_catalog_version(&r->w, &v);
	return PS_OK;
}

PS_LIST_ROW(version_row, struct ps_catalog_version, version, ps_render_catalog_version)

ps_code ps_h_catalog_versions(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, "", &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_catalog_versions(r->c, after, wk.limit + 1, version_row, &wk));
}

struct inc_walk {
	struct ps_walk wk;
	struct ps_incident *v; /* the page, rendered with its updates after the walk */
	size_t n, cap;
};

static bool incident_row(void *arg, const struct ps_incident *i)
{
	struct inc_walk *iw = arg;
	if (!ps_walk_take(&iw->wk, i->id))
		return false;
	void *p = iw->v;
	ps_grow(&p, &iw->cap, iw->n + 1, sizeof *iw->v);
	iw->v = p;
	iw->v[iw->n++] = *i;
	return true;
}

/* An incident and its updates. */
static ps_code render_incident(struct ps_req *r, const struct ps_incident *i)
{
	struct ps_incident_updates u = {.v = NULL};
	ps_code rc = ps_app_incident_updates(r->c, i->id, &u);
	if (rc == PS_OK)
		ps_render_incident(&r->w, i, r->c->cat, u.v, u.n);
	ps_free(u.v);
	return rc;
}

/* {"services": [{id, name, status: healthy|incident}], "items": [...], "next"} */
ps_code ps_h_service_health(struct ps_req *r)
{
	const struct ps_catalog *cat = r->c->cat;
	struct inc_walk iw = {.wk = {.r = r, .prefix = PS_PFX_INCIDENT}};
	int64_t after;
	bool open_only = false;
	const char *st = ps_query(r, "status");
	if (st) {
		if (strcmp(st, "open") == 0)
			open_only = true;
		else if (strcmp(st, "all") != 0)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "status", "status must be open or all");
	}
	ps_code rc = ps_page(r, PS_PFX_INCIDENT, &after, &iw.wk.limit);
	if (rc != PS_OK)
		return rc;
	bool *affected = ps_calloc(cat->n_services + 1, sizeof *affected);
	rc = ps_app_services_affected(r->c, affected);
	if (rc != PS_OK) {
		ps_free(affected);
		return rc;
	}
	ps_jw_obj(&r->w);
	ps_jw_key(&r->w, "services");
	ps_render_services(&r->w, cat, affected);
	ps_free(affected);
	ps_jw_key(&r->w, "items");
	ps_jw_arr(&r->w);
	rc = ps_app_incidents_list(r->c, open_only, after, iw.wk.limit + 1, incident_row, &iw);
	for (size_t k = 0; rc == PS_OK && k < iw.n; k++)
		rc = render_incident(r, &iw.v[k]);
	ps_free(iw.v);
	return ps_list_close(&iw.wk, rc);
}

ps_code ps_h_incident_create(struct ps_req *r)
{
	static const char *const fields[] = {"service", "status", "title", "eta", NULL};
	const char *service, *status, *title, *eta;
	struct ps_incident i;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "service", true, &service)) ||
	    (rc = ps_body_str(r, "status", false, &status)) || (rc = ps_body_str(r, "title", true, &title)) ||
	    (rc = ps_body_str(r, "eta", false, &eta)))
		return rc;
	if ((rc = ps_app_incident_open(r->c, service, status, title, eta, &i)) != PS_OK)
		return rc;
	r->status = 201;
	return render_incident(r, &i);
}

ps_code ps_h_incident_patch(struct ps_req *r)
{
	static const char *const fields[] = {"status", "eta", "message", NULL};
	struct ps_incident_change in = {.eta_set = r->body && json_object_get(r->body, "eta") != NULL};
	struct ps_incident i;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "status", false, &in.status)) ||
	    (rc = ps_body_str(r, "eta", false, &in.eta)) || (rc = ps_body_str(r, "message", false, &in.message)))
		return rc;
	if ((rc = ps_app_incident_update(r->c, r->inc, &in, &i)) != PS_OK)
		return rc;
	return render_incident(r, &i);
}

ps_code ps_h_incident_resolve(struct ps_req *r)
{
	struct ps_incident i;
	ps_code rc = ps_app_incident_resolve(r->c, r->inc, &i);
	if (rc != PS_OK)
		return rc;
	return render_incident(r, &i);
}

/* The fleet: how many subscriptions each reason blocks, across every
 * tenant (the sweep), kept a minute by the app; ?fresh sweeps again. */
ps_code ps_h_fleet(struct ps_req *r)
{
	return ps_app_fleet(r->c, ps_query_has(r, "fresh"), &r->w);
}

/* Who the token is: {role, tenant, token}; tenant is null for the
 * provider's roles. */
ps_code ps_h_whoami(struct ps_req *r)
{
	ps_render_principal(&r->w, &r->c->who);
	return PS_OK;
}
