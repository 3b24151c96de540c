/* health.c: service-health incidents, opened and resolved by the provider
 * (app layer). An open incident on a service blocks upgrades of every plan
 * that delivers it (RULES reason 3). */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_mem.h"
#include "../common/ps_time.h"

#include <stdio.h>
#include <string.h>

static bool take_update(void *arg, const struct ps_incident_update *u);

/* Incident i's event, i rendered with its updates as the API shows it. */
static ps_code incident_event(struct ps_ctx *c, enum ps_event_type type, const struct ps_incident *i)
{
	struct ps_incident_updates k = {0};
	ps_code rc = c->st->ops->incident_note_list(c->st, i->id, take_update, &k, &c->err);
	if (rc == PS_OK)
		ps_render_incident(ps_app_event(c, type, 0, i->id), i, c->cat, k.v, k.n);
	ps_free(k.v);
	return rc;
}

static ps_code open_tx(struct ps_ctx *c, void *arg)
{
	struct ps_incident *i = arg;
	ps_code rc = c->st->ops->incident_insert(c->st, i, &c->err);
	if (rc == PS_OK)
		rc = incident_event(c, PS_EV_INCIDENT_OPENED, i);
	if (rc != PS_OK)
		return rc;
	char ref[32], detail[256];
	snprintf(detail, sizeof detail, "{\"service\":\"%s\",\"status\":\"%s\"}", i->service_id,
		 ps_incident_status_name(i->status));
	return ps_app_audit(c, 0, "incident.open", ps_app_ref(ref, sizeof ref, PS_PFX_INCIDENT, i->id), detail);
}

/* An eta: an RFC 3339 time, not before now. */
static ps_code eta_of(struct ps_ctx *c, const char *s, int64_t *out)
{
	*out = 0;
	if (!s)
		return PS_OK;
	if (!ps_time_parse(s, out))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "eta", "eta must be an RFC 3339 time (2026-11-27T09:00:00Z)");
	if (*out < c->now)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "eta", "eta must not be in the past");
	return PS_OK;
}

ps_code ps_app_incident_open(struct ps_ctx *c, const char *service, const char *status, const char *title,
			     const char *eta, struct ps_incident *out)
{
	ps_code rc;
	memset(out, 0, sizeof *out);
	if ((rc = eta_of(c, eta, &out->eta)) != PS_OK)
		return rc;
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

/* The open incident i->id into *i (a change refuses a resolved one). */
static ps_code open_incident(struct ps_ctx *c, struct ps_incident *i)
{
	ps_code rc = c->st->ops->incident_get(c->st, i->id, i, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such incident");
	if (rc != PS_OK)
		return rc;
	if (i->status == PS_INC_RESOLVED)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "incident is already resolved");
	return PS_OK;
}

static ps_code resolve_tx(struct ps_ctx *c, void *arg)
{
	struct ps_incident *i = arg;
	ps_code rc = open_incident(c, i);
	if (rc != PS_OK)
		return rc;
	i->status = PS_INC_RESOLVED;
	i->resolved_at = c->now;
	struct ps_incident_update u = {.incident_id = i->id, .at = c->now, .status = PS_INC_RESOLVED};
	snprintf(u.message, sizeof u.message, "resolved");
	if ((rc = c->st->ops->incident_update(c->st, i, &c->err)) != PS_OK ||
	    (rc = c->st->ops->incident_note_insert(c->st, &u, &c->err)) != PS_OK ||
	    (rc = incident_event(c, PS_EV_INCIDENT_RESOLVED, i)) != PS_OK)
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

struct update_arg {
	const struct ps_incident_change *in;
	struct ps_incident_update u; /* status and message checked */
	int64_t eta;
	struct ps_incident *out;
};

static ps_code update_tx(struct ps_ctx *c, void *arg)
{
	struct update_arg *a = arg;
	struct ps_incident *i = a->out;
	ps_code rc = open_incident(c, i);
	if (rc != PS_OK)
		return rc;
	if (a->in->status)
		i->status = a->u.status;
	if (a->in->eta_set)
		i->eta = a->eta;
	if (i->status == PS_INC_RESOLVED)
		i->resolved_at = c->now;
	a->u.incident_id = i->id;
	a->u.at = c->now;
	a->u.status = i->status;
	if ((rc = c->st->ops->incident_update(c->st, i, &c->err)) != PS_OK ||
	    (rc = c->st->ops->incident_note_insert(c->st, &a->u, &c->err)) != PS_OK ||
	    (rc = incident_event(c, i->status == PS_INC_RESOLVED ? PS_EV_INCIDENT_RESOLVED : PS_EV_INCIDENT_UPDATED,
				 i)) != PS_OK)
		return rc;
	char ref[32], detail[160], eta[PS_TIME_LEN] = "";
	if (i->eta)
		ps_time_format(i->eta, eta);
	snprintf(detail, sizeof detail, "{\"status\":\"%s\",\"eta\":\"%s\"}", ps_incident_status_name(i->status), eta);
	return ps_app_audit(c, 0, "incident.update", ps_app_ref(ref, sizeof ref, PS_PFX_INCIDENT, i->id), detail);
}

ps_code ps_app_incident_update(struct ps_ctx *c, int64_t id, const struct ps_incident_change *in,
			       struct ps_incident *out)
{
	struct update_arg a = {.in = in, .out = out};
	ps_code rc;
	memset(out, 0, sizeof *out);
	out->id = id;
	if (in->status && !ps_incident_status_parse(in->status, &a.u.status))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "status",
				  "status must be investigating, degraded, interrupted, restoring or resolved");
	if (in->eta_set && (rc = eta_of(c, in->eta, &a.eta)) != PS_OK)
		return rc;
	if (in->message && (rc = ps_app_text(c, "message", in->message, PS_TEXT_MAX)) != PS_OK)
		return rc;
	if (!in->status && !in->eta_set && !in->message)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "status", "give status, eta or message");
	snprintf(a.u.message, sizeof a.u.message, "%s", in->message ? in->message : "");
	return ps_app_tx(c, update_tx, &a);
}

static bool take_update(void *arg, const struct ps_incident_update *u)
{
	struct ps_incident_updates *k = arg;
	void *p = k->v;
	ps_grow(&p, &k->cap, k->n + 1, sizeof *k->v);
	k->v = p;
	k->v[k->n++] = *u;
	return true;
}

ps_code ps_app_incident_updates(struct ps_ctx *c, int64_t id, struct ps_incident_updates *out)
{
	out->n = 0;
	return c->st->ops->incident_note_list(c->st, id, take_update, out, &c->err);
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
	ps_render_support(ps_app_event(c, PS_EV_SUPPORT_REQUEST_CREATED, s->tenant_id, s->id), s);
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
