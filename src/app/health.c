/* health.c: service-health incidents, opened and resolved by the provider
 * (app layer). An open incident on a service blocks upgrades of every plan
 * that delivers it (RULES reason 3). */
#include "ps_app.h"
#include "ps_app_int.h"

#include <stdio.h>
#include <string.h>

static ps_code open_tx(struct ps_ctx *c, void *arg)
{
	struct ps_incident *i = arg;
	ps_code rc = c->st->ops->incident_insert(c->st, i, &c->err);
	if (rc != PS_OK)
		return rc;
	char ref[32], detail[256];
	snprintf(detail, sizeof detail, "{\"service\":\"%s\",\"status\":\"%s\"}", i->service_id,
		 ps_incident_status_name(i->status));
	return ps_app_audit(c, 0, "incident.open", ps_app_ref(ref, sizeof ref, PS_PFX_INCIDENT, i->id), detail);
}

ps_code ps_app_incident_open(struct ps_ctx *c, const char *service, const char *status, const char *title,
			     struct ps_incident *out)
{
	ps_code rc;
	memset(out, 0, sizeof *out);
	if (!service || !ps_catalog_service(c->cat, service))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "service", "service must be a service id of the catalog");
	if (!status)
		out->status = PS_INC_INVESTIGATING;
	else if (!ps_incident_status_parse(status, &out->status) || out->status == PS_INC_RESOLVED)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "status",
				  "status must be investigating, degraded, interrupted or restoring");
	if ((rc = ps_app_text(c, "title", title, PS_TEXT_MAX)) != PS_OK)
		return rc;
	snprintf(out->service_id, sizeof out->service_id, "%s", service);
	snprintf(out->title, sizeof out->title, "%s", title);
	out->opened_at = c->now;
	return ps_app_tx(c, open_tx, out);
}

static ps_code resolve_tx(struct ps_ctx *c, void *arg)
{
	struct ps_incident *i = arg;
	ps_code rc = c->st->ops->incident_get(c->st, i->id, i, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such incident");
	if (rc != PS_OK)
		return rc;
	if (i->status == PS_INC_RESOLVED)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "incident is already resolved");
	i->status = PS_INC_RESOLVED;
	i->resolved_at = c->now;
	rc = c->st->ops->incident_update(c->st, i, &c->err);
	if (rc != PS_OK)
		return rc;
	char ref[32];
	return ps_app_audit(c, 0, "incident.resolve", ps_app_ref(ref, sizeof ref, PS_PFX_INCIDENT, i->id), NULL);
}

ps_code ps_app_incident_resolve(struct ps_ctx *c, int64_t id, struct ps_incident *out)
{
	memset(out, 0, sizeof *out);
	out->id = id;
	return ps_app_tx(c, resolve_tx, out);
}

struct support_arg {
	struct ps_support_request *s;
};

static ps_code support_tx(struct ps_ctx *c, void *arg)
{
	struct ps_support_request *s = ((struct support_arg *)arg)->s;
	if (s->subscription_id) {
		struct ps_subscription sub;
		ps_code rc = c->st->ops->sub_get(c->st, s->tenant_id, s->subscription_id, &sub, &c->err);
		if (rc == PS_NOT_FOUND)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "subscription", "no such subscription");
		if (rc != PS_OK)
			return rc;
	}
	ps_code rc = c->st->ops->support_insert(c->st, s, &c->err);
	if (rc != PS_OK)
		return rc;
	char ref[32], detail[400];
	snprintf(detail, sizeof detail, "{\"subscription\":\"%s%lld\",\"reason_codes\":\"%s\"}", PS_PFX_SUB,
		 (long long)s->subscription_id, s->reason_codes);
	return ps_app_audit(c, s->tenant_id, "support.open", ps_app_ref(ref, sizeof ref, PS_PFX_SUPPORT, s->id),
			    detail);
}

ps_code ps_app_support_open(struct ps_ctx *c, int64_t tenant, struct ps_support_request *s, const char *description)
{
	ps_code rc = ps_app_text(c, "description", description, PS_TEXT_MAX);
	if (rc != PS_OK)
		return rc;
	s->tenant_id = tenant;
	snprintf(s->description, sizeof s->description, "%s", description);
	s->status = PS_SR_OPEN;
	s->created_at = c->now;
	s->token_id = c->who.token_id;
	struct support_arg a = {s};
	return ps_app_tx(c, support_tx, &a);
}
