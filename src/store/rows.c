/* rows.c: the row decoders of the SQL backends, written once (store layer).
 * Each reads a row of the column lists of stmts.c through the backend's
 * column accessor (struct ps_row: SQLite's column API, libpq's binary
 * results) into a record of ps_model.h, and refuses a value the store
 * should never hold. */
#include "store_int.h"

#include "../common/ps_mem.h"

#include <string.h>

ps_code ps_bad_value(struct ps_err *err, const char *column)
{
	return ps_err_set(err, PS_STORE, NULL, "the store holds an invalid value in %s", column);
}

bool ps_col_str(const struct ps_row *r, int col, char *dst, size_t cap)
{
	size_t n;
	const char *t = r->ops->text(r, col, &n);
	if (n >= cap)
		return false;
	memcpy(dst, t, n);
	dst[n] = '\0';
	return true;
}

#define I64(col)	   ps_col_i64(r, col)
#define TXT(col)	   r->ops->text(r, col, NULL)
/* A text column into a fixed-size field, or the record is refused. */
#define STR(col, field, name)                                                                                          \
	do {                                                                                                           \
		if (!ps_col_str(r, col, field, sizeof(field)))                                                         \
			return ps_bad_value(err, name);                                                                \
	} while (0)
/* An enum's name into its value, or the record is refused. */
#define ENUM(col, parse, field, name)                                                                                  \
	do {                                                                                                           \
		if (!parse(TXT(col), &(field)))                                                                        \
			return ps_bad_value(err, name);                                                                \
	} while (0)

ps_code ps_read_tenant(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_tenant *t = out;
	memset(t, 0, sizeof *t);
	t->id = I64(0);
	STR(1, t->name, "tenants.name");
	ENUM(2, ps_segment_parse, t->segment, "tenants.segment");
	ENUM(3, ps_payment_parse, t->payment, "tenants.payment");
	t->credit_limit = I64(4);
	STR(5, t->currency, "tenants.currency");
	t->created_at = I64(6);
	return PS_OK;
}

ps_code ps_read_user(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_user *u = out;
	memset(u, 0, sizeof *u);
	u->tenant_id = I64(0);
	u->id = I64(1);
	STR(2, u->upn, "users.upn");
	STR(3, u->display_name, "users.display_name");
	u->created_at = I64(4);
	return PS_OK;
}

ps_code ps_read_sub(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_subscription *o = out;
	memset(o, 0, sizeof *o);
	o->tenant_id = I64(0);
	o->id = I64(1);
	STR(2, o->plan_id, "subscriptions.plan_id");
	STR(3, o->product_id, "subscriptions.product_id");
	o->quantity = I64(4);
	o->assigned = I64(5);
	ENUM(6, ps_sub_status_parse, o->status, "subscriptions.status");
	ENUM(7, ps_term_parse, o->term, "subscriptions.term");
	o->prepaid = I64(8) != 0;
	o->term_start = I64(9);
	o->term_end = I64(10);
	o->addon_of = I64(11);
	o->replaced_by = I64(12);
	o->created_at = I64(13);
	o->billed_through = I64(14);
	o->cancel_at = I64(15);
	o->price_per_seat_month = I64(16);
	STR(17, o->currency, "subscriptions.currency");
	return PS_OK;
}

ps_code ps_read_sub_sched(const struct ps_row *r, void *out, struct ps_err *err)
{
	ps_code rc = ps_read_sub(r, out, err);
	if (rc == PS_OK)
		((struct ps_subscription *)out)->scheduled = I64(18);
	return rc;
}

ps_code ps_read_assignment(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_assignment *a = out;
	memset(a, 0, sizeof *a);
	a->tenant_id = I64(0);
	a->subscription_id = I64(1);
	a->user_id = I64(2);
	STR(3, a->product_id, "assignments.product_id");
	a->assigned_at = I64(4);
	return PS_OK;
}

ps_code ps_read_incident(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_incident *i = out;
	memset(i, 0, sizeof *i);
	i->id = I64(0);
	STR(1, i->service_id, "incidents.service_id");
	ENUM(2, ps_incident_status_parse, i->status, "incidents.status");
	STR(3, i->title, "incidents.title");
	i->opened_at = I64(4);
	i->resolved_at = I64(5);
	i->eta = I64(6);
	return PS_OK;
}

ps_code ps_read_incident_update(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_incident_update *u = out;
	memset(u, 0, sizeof *u);
	u->incident_id = I64(0);
	u->n = I64(1);
	u->at = I64(2);
	ENUM(3, ps_incident_status_parse, u->status, "incident_updates.status");
	STR(4, u->message, "incident_updates.message");
	return PS_OK;
}

ps_code ps_read_op(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_operation *op = out;
	memset(op, 0, sizeof *op);
	op->tenant_id = I64(0);
	op->id = I64(1);
	ENUM(2, ps_op_kind_parse, op->kind, "operations.kind");
	ENUM(3, ps_op_state_parse, op->state, "operations.state");
	op->source_sub = I64(4);
	STR(5, op->target_plan, "operations.target_plan");
	op->new_sub = I64(6);
	op->created_at = I64(7);
	op->updated_at = I64(8);
	op->quantity = I64(9);
	op->credit_check_id = I64(10);
	STR(11, op->request_id, "operations.request_id");
	STR(12, op->detail, "operations.detail");
	op->effective_at = I64(13);
	return PS_OK;
}

ps_code ps_read_credit(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_credit_check *cc = out;
	memset(cc, 0, sizeof *cc);
	cc->tenant_id = I64(0);
	cc->id = I64(1);
	ENUM(2, ps_credit_status_parse, cc->status, "credit_checks.status");
	cc->amount = I64(3);
	cc->requested_at = I64(4);
	cc->expected_by = I64(5);
	cc->decided_at = I64(6);
	cc->subscription_id = I64(7);
	cc->operation_id = I64(8);
	cc->quantity = I64(9);
	return PS_OK;
}

ps_code ps_read_invoice(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_invoice *inv = out;
	memset(inv, 0, sizeof *inv);
	inv->tenant_id = I64(0);
	inv->id = I64(1);
	inv->subscription_id = I64(2);
	inv->amount = I64(3);
	inv->paid = I64(4);
	STR(5, inv->currency, "invoices.currency");
	inv->issued_at = I64(6);
	inv->due_at = I64(7);
	ENUM(8, ps_invoice_status_parse, inv->status, "invoices.status");
	return PS_OK;
}

ps_code ps_read_line(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_invoice_line *l = out;
	memset(l, 0, sizeof *l);
	l->tenant_id = I64(0);
	l->invoice_id = I64(1);
	l->id = I64(2);
	l->subscription_id = I64(3);
	ENUM(4, ps_line_kind_parse, l->kind, "invoice_lines.kind");
	STR(5, l->plan_id, "invoice_lines.plan_id");
	l->quantity = I64(6);
	l->period_start = I64(7);
	l->period_end = I64(8);
	l->amount = I64(9);
	STR(10, l->description, "invoice_lines.description");
	return PS_OK;
}

ps_code ps_read_payment(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_receipt *p = out;
	memset(p, 0, sizeof *p);
	p->tenant_id = I64(0);
	p->id = I64(1);
	p->amount = I64(2);
	STR(3, p->currency, "payments.currency");
	p->received_at = I64(4);
	return PS_OK;
}

ps_code ps_read_support(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_support_request *s = out;
	memset(s, 0, sizeof *s);
	s->tenant_id = I64(0);
	s->id = I64(1);
	s->subscription_id = I64(2);
	STR(3, s->reason_codes, "support_requests.reason_codes");
	STR(4, s->description, "support_requests.description");
	ENUM(5, ps_support_status_parse, s->status, "support_requests.status");
	s->created_at = I64(6);
	s->token_id = I64(7);
	return PS_OK;
}

ps_code ps_read_audit(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_audit *a = out;
	memset(a, 0, sizeof *a);
	a->tenant_id = I64(0);
	a->id = I64(1);
	a->at = I64(2);
	a->token_id = I64(3);
	ENUM(4, ps_role_parse, a->role, "audit.role");
	STR(5, a->action, "audit.action");
	STR(6, a->object, "audit.object");
	STR(7, a->request_id, "audit.request_id");
	STR(8, a->detail, "audit.detail");
	return PS_OK;
}

ps_code ps_read_principal(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_principal *p = out;
	memset(p, 0, sizeof *p);
	p->token_id = I64(0);
	ENUM(1, ps_role_parse, p->role, "tokens.role");
	p->tenant_id = I64(2);
	p->last_used_at = I64(3);
	p->expires_at = I64(4);
	p->token_expires_at = I64(5);
	return PS_OK;
}

ps_code ps_read_token(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_token *t = out;
	memset(t, 0, sizeof *t);
	t->id = I64(0);
	STR(1, t->name, "tokens.name");
	ENUM(2, ps_role_parse, t->role, "tokens.role");
	t->tenant_id = I64(3);
	t->created_at = I64(4);
	t->expires_at = I64(5);
	t->last_used_at = I64(6);
	t->revoked_at = I64(7);
	return PS_OK;
}

ps_code ps_read_idem(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_idem k;
	size_t len;
	memset(&k, 0, sizeof k);
	k.tenant_id = I64(0);
	k.status = (int)I64(3);
	k.created_at = I64(5);
	STR(1, k.key, "idempotency.key");
	STR(2, k.request_hash, "idempotency.request_hash");
	STR(6, k.owner, "idempotency.owner");
	const char *body = r->ops->text(r, 4, &len);
	k.response = ps_strndup(body, len);
	*(struct ps_idem *)out = k;
	return PS_OK;
}

ps_code ps_read_catalog(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_catalog_doc *d = out;
	struct ps_buf *json = d->json;
	size_t n;
	if (d->version)
		*d->version = I64(1);
	const char *doc = r->ops->text(r, 0, &n);
	ps_buf_reset(json);
	if (!ps_buf_put(json, doc, n))
		return ps_err_set(err, PS_STORE, "catalog",
				  "catalog_get: the stored catalog (%zu bytes) is larger than the buffer's cap (%zu bytes)",
				  n, json->max);
	return PS_OK;
}

ps_code ps_read_job(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_job *j = out;
	memset(j, 0, sizeof *j);
	j->id = I64(0);
	STR(1, j->kind, "jobs.kind");
	j->rank = I64(2);
	j->tenant_id = I64(3);
	j->subject = I64(4);
	j->due_at = I64(5);
	j->attempts = I64(6);
	STR(7, j->last_error, "jobs.last_error");
	j->created_at = I64(8);
	return PS_OK;
}

ps_code ps_read_event(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_event *e = out;
	memset(e, 0, sizeof *e);
	e->id = I64(0);
	ENUM(1, ps_event_type_parse, e->type, "events.type");
	e->tenant_id = I64(2);
	e->created = I64(3);
	e->data = r->ops->text(r, 4, &e->data_len);
	return PS_OK;
}

ps_code ps_read_catalog_version(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_catalog_version *v = out;
	memset(v, 0, sizeof *v);
	v->version = I64(0);
	v->loaded_at = I64(1);
	STR(2, v->loaded_by, "catalog_versions.loaded_by");
	return PS_OK;
}

ps_code ps_read_i64(const struct ps_row *r, void *out, struct ps_err *err)
{
	*(int64_t *)out = I64(0);
	return PS_OK;
}

ps_code ps_read_i64_pair(const struct ps_row *r, void *out, struct ps_err *err)
{
	int64_t *v = out;
	v[0] = I64(0);
	v[1] = I64(1);
	return PS_OK;
}

ps_code ps_snap_add_incident(const struct ps_row *r, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_incident i;
	ps_code c = ps_read_incident(r, &i, err);
	if (c != PS_OK)
		return c;
	struct ps_snap_incident *si = ps_snapshot_add_incident(snap);
	si->id = i.id;
	memcpy(si->service_id, i.service_id, sizeof si->service_id);
	si->status = i.status;
	si->eta = i.eta;
	return PS_OK;
}

void ps_snap_past_due(const struct ps_row *r, int col, struct ps_snapshot *snap)
{
	snap->past_due = I64(col);
	snap->oldest_due = I64(col + 1);
}

void ps_snap_capacity(const struct ps_row *r, struct ps_snapshot *snap)
{
	snap->capacity_used = I64(0);
	snap->capacity_oldest = I64(1);
}

int64_t ps_capacity_window_start(int64_t now)
{
	return now > INT64_MIN + PS_CAPACITY_WINDOW_S ? now - PS_CAPACITY_WINDOW_S : INT64_MIN;
}

ps_code ps_read_webhook(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_webhook *w = out;
	memset(w, 0, sizeof *w);
	w->id = I64(0);
	STR(1, w->url, "webhooks.url");
	STR(2, w->types, "webhooks.types");
	w->tenant_id = I64(3);
	w->enabled = I64(4) != 0;
	STR(5, w->secret, "webhooks.secret");
	w->created_at = I64(6);
	w->cursor = I64(7);
	return PS_OK;
}

ps_code ps_read_delivery(const struct ps_row *r, void *out, struct ps_err *err)
{
	struct ps_delivery *d = out;
	memset(d, 0, sizeof *d);
	d->id = I64(0);
	d->webhook_id = I64(1);
	d->event_id = I64(2);
	d->tenant_id = I64(3);
	d->seq = I64(4);
	d->attempt = I64(5);
	STR(6, d->state, "webhook_deliveries.state");
	d->due_at = I64(7);
	d->first_due_at = I64(8);
	d->time = I64(9);
	d->status_code = I64(10);
	STR(11, d->error, "webhook_deliveries.error");
	d->next_attempt_at = I64(12);
	return PS_OK;
}
