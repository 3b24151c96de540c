/* render.c: records as the API's JSON (app layer). */
#include "ps_render.h"
#include "ps_app.h"
#include "../core/ps_money.h"

#include <stdio.h>
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
	ps_render_sub_ex(w, s, cat, NULL);
}

void ps_render_sub_ex(struct ps_jw *w, const struct ps_subscription *s, const struct ps_catalog *cat,
		      const struct ps_credit_check *cc)
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
	ps_jw_ktime(w, "billed_through", s->billed_through);
	ps_jw_ktime(w, "cancel_at", s->cancel_at);
	ps_jw_kid(w, "scheduled", PS_PFX_OPERATION, s->scheduled);
	ps_jw_kint(w, "price_per_seat_month", s->price_per_seat_month); /* as sold */
	ps_jw_kstr(w, "currency", s->currency);
	if (cc) {
		ps_jw_key(w, "credit_check");
		ps_render_credit_check(w, cc);
	}
	ps_jw_obj_end(w);
}

void ps_render_credit_check(struct ps_jw *w, const struct ps_credit_check *cc)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_CREDIT, cc->id);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, cc->tenant_id);
	ps_jw_kstr(w, "status", ps_credit_status_name(cc->status));
	ps_jw_kint(w, "amount", cc->amount);
	ps_jw_ktime(w, "requested_at", cc->requested_at);
	ps_jw_ktime(w, "expected_by", cc->expected_by);
	ps_jw_ktime(w, "decided_at", cc->decided_at);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, cc->subscription_id);
	ps_jw_kid(w, "operation", PS_PFX_OPERATION, cc->operation_id);
	ps_jw_key(w, "quantity"); /* the seat count a waiting increase sets */
	if (cc->quantity)
		ps_jw_int(w, cc->quantity);
	else
		ps_jw_null(w);
	ps_jw_obj_end(w);
}

/* Without its closing brace, so the caller may add "lines". */
void ps_render_invoice(struct ps_jw *w, const struct ps_invoice *inv, int64_t now)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_INVOICE, inv->id);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, inv->subscription_id);
	ps_jw_kint(w, "amount", inv->amount);
	ps_jw_kint(w, "paid", inv->paid);
	ps_jw_kint(w, "unpaid", inv->amount > inv->paid ? ps_money_sub(inv->amount, inv->paid) : 0);
	ps_jw_kstr(w, "currency", inv->currency);
	ps_jw_ktime(w, "issued", inv->issued_at);
	ps_jw_ktime(w, "due", inv->due_at);
	ps_jw_kstr(w, "status", ps_invoice_status_name(inv->status));
	ps_jw_kbool(w, "credit_note", inv->amount < 0);
	ps_jw_kbool(w, "past_due", inv->amount > inv->paid && inv->due_at < now);
}

void ps_render_line(struct ps_jw *w, const struct ps_invoice_line *l)
{
	ps_jw_obj(w);
	ps_jw_kstr(w, "kind", ps_line_kind_name(l->kind));
	ps_jw_kid(w, "subscription", PS_PFX_SUB, l->subscription_id);
	ps_jw_kstr(w, "plan", l->plan_id);
	ps_jw_kint(w, "quantity", l->quantity);
	ps_jw_ktime(w, "period_start", l->period_start);
	ps_jw_ktime(w, "period_end", l->period_end);
	ps_jw_kint(w, "amount", l->amount);
	ps_jw_kstr(w, "description", l->description);
	ps_jw_obj_end(w);
}

void ps_render_receipt(struct ps_jw *w, const struct ps_receipt *p)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_PAYMENT, p->id);
	ps_jw_kint(w, "amount", p->amount);
	ps_jw_kstr(w, "currency", p->currency);
	ps_jw_ktime(w, "received_at", p->received_at);
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

void ps_render_incident(struct ps_jw *w, const struct ps_incident *i, const struct ps_catalog *cat,
			const struct ps_incident_update *u, size_t n)
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
	ps_jw_ktime(w, "eta", i->eta);
	ps_jw_key(w, "updates");
	ps_jw_arr(w);
	for (size_t k = 0; k < n; k++) {
		ps_jw_obj(w);
		ps_jw_ktime(w, "time", u[k].at);
		ps_jw_kstr(w, "status", ps_incident_status_name(u[k].status));
		ps_jw_kstr(w, "message", u[k].message);
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	ps_jw_obj_end(w);
}

void ps_render_event(struct ps_jw *w, const struct ps_event *e)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_EVENT, e->id);
	ps_jw_kstr(w, "type", ps_event_type_name(e->type));
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, e->tenant_id);
	ps_jw_ktime(w, "created", e->created);
	ps_jw_key(w, "data");
	ps_jw_raw(w, e->data, e->data_len);
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

void ps_render_operation(struct ps_jw *w, const struct ps_operation *op)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_OPERATION, op->id);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, op->tenant_id);
	ps_jw_kstr(w, "kind", ps_op_kind_name(op->kind));
	ps_jw_kstr(w, "type", ps_op_kind_name(op->kind)); /* API.md's name; kind is kept for older clients */
	ps_jw_kstr(w, "state", ps_op_state_name(op->state));
	ps_jw_kid(w, "source", PS_PFX_SUB, op->source_sub);
	ps_jw_kstr(w, "target_plan", op->target_plan[0] ? op->target_plan : NULL); /* null: a cancellation */
	ps_jw_kid(w, "new_subscription", PS_PFX_SUB, op->new_sub);
	/* A switch into an existing subscription: that subscription. */
	ps_jw_kid(w, "target_subscription", PS_PFX_SUB,
		  op->kind == PS_OPK_SWITCH && ps_op_mode(op) == PS_SWITCH_INTO ? op->new_sub : 0);
	ps_jw_kint(w, "quantity", op->quantity);
	ps_jw_kid(w, "credit_check", PS_PFX_CREDIT, op->credit_check_id);
	ps_jw_kstr(w, "when", op->effective_at ? "term_end" : "now");
	ps_jw_ktime(w, "effective_at", op->effective_at);
	/* Why a scheduled one failed at its time: its reasons' codes. */
	ps_jw_key(w, "reasons");
	const char *rs = strstr(op->detail, "\"reasons\":[");
	const char *rend = rs ? strchr(rs, ']') : NULL;
	if (rend) {
		rs += strlen("\"reasons\":");
		ps_jw_raw(w, rs, (size_t)(rend - rs) + 1);
	} else {
		ps_jw_arr(w);
		ps_jw_arr_end(w);
	}
	/* The users who kept a seat instead of moving, as the result says. */
	ps_jw_key(w, "license_errors");
	const char *le = strstr(op->detail, "\"license_errors\":[");
	const char *end = le ? strchr(le, ']') : NULL;
	if (end) {
		le += strlen("\"license_errors\":");
		ps_jw_raw(w, le, (size_t)(end - le) + 1);
	} else {
		ps_jw_arr(w);
		ps_jw_arr_end(w);
	}
	ps_jw_key(w, "result");
	if (op->detail[0] == '{')
		ps_jw_raw(w, op->detail, strlen(op->detail));
	else
		ps_jw_null(w);
	ps_jw_ktime(w, "created_at", op->created_at);
	ps_jw_ktime(w, "updated_at", op->updated_at);
	ps_jw_ktime(w, "created", op->created_at); /* API.md's names, as created_at and updated_at */
	ps_jw_ktime(w, "updated", op->updated_at);
	ps_jw_kstr(w, "request_id", op->request_id[0] ? op->request_id : NULL);
	ps_jw_obj_end(w);
}

void ps_render_support(struct ps_jw *w, const struct ps_support_request *s)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_SUPPORT, s->id);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, s->tenant_id);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, s->subscription_id);
	ps_jw_key(w, "reason_codes");
	ps_jw_arr(w);
	const char *p = s->reason_codes;
	while (*p) {
		size_t n = strcspn(p, ",");
		ps_jw_strn(w, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	ps_jw_arr_end(w);
	ps_jw_kstr(w, "description", s->description);
	ps_jw_kstr(w, "status", ps_support_status_name(s->status));
	ps_jw_ktime(w, "created_at", s->created_at);
	ps_jw_obj_end(w);
}

/* {tenant, currency, balance, past_due, oldest_due, credit, invoiced, paid}
 * without braces, inside the caller's object. */
void ps_render_billing_sum(struct ps_jw *w, int64_t tenant, const struct ps_billing_sum *sum)
{
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, tenant);
	ps_jw_kstr(w, "currency", sum->currency);
	ps_jw_kint(w, "balance", sum->balance);
	ps_jw_kint(w, "past_due", sum->past_due);
	ps_jw_ktime(w, "oldest_due", sum->oldest_due);
	ps_jw_kint(w, "credit", sum->credit);
	ps_jw_kint(w, "invoiced", sum->invoiced);
	ps_jw_kint(w, "paid", sum->paid);
}

void ps_render_catalog_version(struct ps_jw *w, const struct ps_catalog_version *v)
{
	ps_jw_obj(w);
	ps_jw_kint(w, "version", v->version);
	ps_jw_ktime(w, "loaded_at", v->loaded_at);
	ps_jw_kstr(w, "loaded_by", v->loaded_by);
	ps_jw_obj_end(w);
}

void ps_render_catalog(struct ps_jw *w, const struct ps_catalog *cat)
{
	char head[48];
	/* The document is a compact JSON object ("{...}"), written by the
	 * catalog's parser: `version` goes in front of its members. */
	bool members = cat->json_len > 2;
	int n = snprintf(head, sizeof head, "{\"version\":%lld%s", (long long)cat->version, members ? "," : "}");
	ps_jw_raw(w, head, (size_t)n);
	if (members)
		ps_jw_raw(w, cat->json + 1, cat->json_len - 1);
}

void ps_render_principal(struct ps_jw *w, const struct ps_principal *p)
{
	ps_jw_obj(w);
	ps_jw_kstr(w, "role", ps_role_name(p->role));
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, p->tenant_id);
	ps_jw_kid(w, "token", PS_PFX_TOKEN, p->token_id);
	ps_jw_obj_end(w);
}

static void token_fields(struct ps_jw *w, const struct ps_token *t)
{
	ps_jw_kid(w, "id", PS_PFX_TOKEN, t->id);
	ps_jw_kstr(w, "name", t->name);
	ps_jw_kstr(w, "role", ps_role_name(t->role));
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, t->tenant_id);
	ps_jw_ktime(w, "created", t->created_at);
	ps_jw_ktime(w, "expires_at", t->expires_at);
	ps_jw_ktime(w, "last_used_at", t->last_used_at);
}

void ps_render_token(struct ps_jw *w, const struct ps_token *t)
{
	ps_jw_obj(w);
	token_fields(w, t);
	ps_jw_obj_end(w);
}

void ps_render_token_new(struct ps_jw *w, const struct ps_token *t, const char *secret)
{
	ps_jw_obj(w);
	token_fields(w, t);
	ps_jw_kstr(w, "token", secret);
	ps_jw_obj_end(w);
}

void ps_render_session(struct ps_jw *w, const struct ps_principal *who, const char *csrf)
{
	ps_jw_obj(w);
	ps_jw_kstr(w, "csrf_token", csrf);
	ps_jw_kstr(w, "role", ps_role_name(who->role));
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, who->tenant_id);
	ps_jw_kid(w, "token", PS_PFX_TOKEN, who->token_id);
	ps_jw_ktime(w, "expires_at", who->expires_at);
	ps_jw_obj_end(w);
}

void ps_render_seat(struct ps_jw *w, int64_t sub, int64_t user, bool assigned)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, sub);
	ps_jw_kid(w, "user", PS_PFX_USER, user);
	ps_jw_kbool(w, "assigned", assigned);
	ps_jw_obj_end(w);
}

void ps_render_clock(struct ps_jw *w, int64_t now)
{
	ps_jw_obj(w);
	ps_jw_ktime(w, "now", now);
	ps_jw_kstr(w, "mode", "manual");
	ps_jw_obj_end(w);
}

void ps_render_services(struct ps_jw *w, const struct ps_catalog *cat, const bool *affected)
{
	ps_jw_arr(w);
	for (size_t k = 0; k < cat->n_services; k++) {
		ps_jw_obj(w);
		ps_jw_kstr(w, "id", cat->services[k].id);
		ps_jw_kstr(w, "name", cat->services[k].name);
		ps_jw_kstr(w, "status", affected[k] ? "incident" : "healthy");
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
}

void ps_render_error_open(struct ps_jw *w, const struct ps_err *e)
{
	ps_jw_obj(w);
	ps_jw_key(w, "error");
	ps_jw_obj(w);
	ps_jw_kstr(w, "code", ps_code_api(e->code));
	ps_jw_kstr(w, "message", e->msg[0] ? e->msg : ps_code_api(e->code));
	if (e->field[0])
		ps_jw_kstr(w, "field", e->field);
}

void ps_render_error(struct ps_jw *w, const struct ps_err *e)
{
	ps_render_error_open(w, e);
	ps_jw_obj_end(w);
	ps_jw_obj_end(w);
}

void ps_render_fleet(struct ps_jw *w, const struct ps_fleet_sum *sum, int64_t at)
{
	ps_jw_obj(w);
	ps_jw_ktime(w, "at", at);
	ps_jw_kint(w, "tenants", sum->tenants);
	ps_jw_kint(w, "subscriptions", sum->subscriptions);
	ps_jw_kint(w, "live", sum->live);
	ps_jw_kint(w, "eligible", sum->eligible);
	ps_jw_kint(w, "blocked", ps_fleet_blocked(sum));
	ps_jw_kint(w, "scheduled", sum->scheduled);
	ps_jw_key(w, "blocked_by");
	ps_jw_obj(w);
	for (int k = 0; k < PS_R__COUNT; k++)
		ps_jw_kint(w, ps_reason_code_name((enum ps_reason_code)k), sum->blocked_by[k]);
	ps_jw_obj_end(w);
	ps_jw_obj_end(w);
}
