/* render.c: records as the API's JSON (app layer). */
#include "ps_render.h"

#include <string.h>

void ps_render_tenant(struct ps_jw *w, const struct ps_tenant *t)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_TENANT, t->id);
	ps_jw_kstr(w, "name", t->name);
	ps_jw_kstr(w, "segment", ps_segment_name(t->segment));
	ps_jw_kstr(w, "payment", ps_payment_name(t->payment));
	ps_jw_kint(w, "credit_limit", t->credit_limit);
	ps_jw_kstr(w, "currency", t->currency);
	ps_jw_ktime(w, "created_at", t->created_at);
	ps_jw_obj_end(w);
}

void ps_render_user(struct ps_jw *w, const struct ps_user *u)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_USER, u->id);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, u->tenant_id);
	ps_jw_kstr(w, "upn", u->upn);
	ps_jw_kstr(w, "display_name", u->display_name);
	ps_jw_ktime(w, "created_at", u->created_at);
	ps_jw_obj_end(w);
}

void ps_render_sub(struct ps_jw *w, const struct ps_subscription *s, const struct ps_catalog *cat)
{
	const struct ps_plan *p = cat ? ps_catalog_plan(cat, s->plan_id) : NULL;
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_SUB, s->id);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, s->tenant_id);
	ps_jw_kstr(w, "plan", s->plan_id);
	ps_jw_kstr(w, "plan_name", p ? p->name : NULL);
	ps_jw_kstr(w, "product", s->product_id);
	ps_jw_kint(w, "quantity", s->quantity);
	ps_jw_kint(w, "assigned", s->assigned);
	ps_jw_kstr(w, "status", ps_sub_status_name(s->status));
	ps_jw_kstr(w, "term", ps_term_name(s->term));
	ps_jw_kbool(w, "prepaid", s->prepaid);
	ps_jw_ktime(w, "term_start", s->term_start);
	ps_jw_ktime(w, "term_end", s->term_end);
	ps_jw_kid(w, "addon_of", PS_PFX_SUB, s->addon_of);
	ps_jw_kid(w, "replaced_by", PS_PFX_SUB, s->replaced_by);
	ps_jw_obj_end(w);
}

void ps_render_license(struct ps_jw *w, const struct ps_subscription *s)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, s->id);
	ps_jw_kstr(w, "plan", s->plan_id);
	ps_jw_kstr(w, "status", ps_sub_status_name(s->status));
	ps_jw_kint(w, "purchased", s->quantity);
	ps_jw_kint(w, "assigned", s->assigned);
	ps_jw_kint(w, "available", s->quantity > s->assigned ? s->quantity - s->assigned : 0);
	ps_jw_kbool(w, "conflict", s->assigned > s->quantity);
	ps_jw_obj_end(w);
}

void ps_render_assignment(struct ps_jw *w, const struct ps_assignment *a)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, a->subscription_id);
	ps_jw_kid(w, "user", PS_PFX_USER, a->user_id);
	ps_jw_kstr(w, "product", a->product_id);
	ps_jw_ktime(w, "assigned_at", a->assigned_at);
	ps_jw_obj_end(w);
}

void ps_render_incident(struct ps_jw *w, const struct ps_incident *i, const struct ps_catalog *cat)
{
	const struct ps_service *s = cat ? ps_catalog_service(cat, i->service_id) : NULL;
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_INCIDENT, i->id);
	ps_jw_kstr(w, "service", i->service_id);
	ps_jw_kstr(w, "service_name", s ? s->name : NULL);
	ps_jw_kstr(w, "status", ps_incident_status_name(i->status));
	ps_jw_kstr(w, "title", i->title);
	ps_jw_ktime(w, "opened_at", i->opened_at);
	ps_jw_ktime(w, "resolved_at", i->resolved_at);
	ps_jw_obj_end(w);
}

void ps_render_audit(struct ps_jw *w, const struct ps_audit *a)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_AUDIT, a->id);
	ps_jw_ktime(w, "at", a->at);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, a->tenant_id);
	ps_jw_kid(w, "token", PS_PFX_TOKEN, a->token_id);
	ps_jw_kstr(w, "role", a->token_id ? ps_role_name(a->role) : "system");
	ps_jw_kstr(w, "action", a->action);
	ps_jw_kstr(w, "object", a->object);
	ps_jw_kstr(w, "request_id", a->request_id[0] ? a->request_id : NULL);
	ps_jw_key(w, "detail");
	if (a->detail[0] == '{')
		ps_jw_raw(w, a->detail, strlen(a->detail));
	else
		ps_jw_str(w, a->detail);
	ps_jw_obj_end(w);
}

void ps_render_error(struct ps_jw *w, const struct ps_err *e)
{
	ps_jw_obj(w);
	ps_jw_key(w, "error");
	ps_jw_obj(w);
	ps_jw_kstr(w, "code", ps_code_api(e->code));
	ps_jw_kstr(w, "message", e->msg[0] ? e->msg : ps_code_api(e->code));
	if (e->field[0])
		ps_jw_kstr(w, "field", e->field);
	ps_jw_obj_end(w);
	ps_jw_obj_end(w);
}
