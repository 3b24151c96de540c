/* lists.c: the read use cases (app layer): records and pages of records
 * for the transports, so that no transport asks the store itself. */
#include "ps_lists.h"
#include "ps_app_int.h"

#include <string.h>

ps_code ps_app_tenants_list(struct ps_ctx *c, int64_t after, size_t limit, ps_tenant_cb cb, void *arg)
{
	return c->st->ops->tenant_list(c->st, after, limit, cb, arg, &c->err);
}

ps_code ps_app_users_list(struct ps_ctx *c, int64_t tenant, const char *q, int64_t after, size_t limit, ps_user_cb cb,
			  void *arg)
{
	struct ps_tenant t;
	if (q && strlen(q) > PS_USER_Q_MAX)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "q", "q must be at most %d characters", PS_USER_Q_MAX);
	ps_code rc = ps_app_tenant(c, tenant, &t);
	if (rc != PS_OK)
		return rc;
	return c->st->ops->user_list(c->st, tenant, q, after, limit, cb, arg, &c->err);
}

ps_code ps_app_user_get(struct ps_ctx *c, int64_t tenant, int64_t id, struct ps_user *out)
{
	ps_code rc = c->st->ops->user_get(c->st, tenant, id, out, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such user");
	return rc;
}

ps_code ps_app_subs_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_sub_cb cb, void *arg)
{
	struct ps_tenant t;
	ps_code rc = ps_app_tenant(c, tenant, &t);
	if (rc != PS_OK)
		return rc;
	return c->st->ops->sub_list(c->st, tenant, after, limit, cb, arg, &c->err);
}

ps_code ps_app_sub_get(struct ps_ctx *c, int64_t tenant, int64_t id, struct ps_subscription *out)
{
	ps_code rc = c->st->ops->sub_get(c->st, tenant, id, out, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such subscription");
	return rc;
}

ps_code ps_app_seats_list(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t after, size_t limit,
			  ps_assignment_cb cb, void *arg)
{
	struct ps_subscription s;
	ps_code rc = ps_app_sub_get(c, tenant, sub, &s);
	if (rc != PS_OK)
		return rc;
	return c->st->ops->assignment_list(c->st, tenant, sub, after, limit, cb, arg, &c->err);
}

ps_code ps_app_audit_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_audit_cb cb, void *arg)
{
	return c->st->ops->audit_list(c->st, tenant, after, limit, cb, arg, &c->err);
}

ps_code ps_app_operations_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_operation_cb cb,
			       void *arg)
{
	return c->st->ops->operation_list(c->st, tenant, after, limit, cb, arg, &c->err);
}

ps_code ps_app_operation_get(struct ps_ctx *c, int64_t tenant, int64_t id, struct ps_operation *out)
{
	ps_code rc = c->st->ops->operation_get(c->st, tenant, id, out, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such operation");
	return rc;
}

ps_code ps_app_credit_checks_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_credit_cb cb,
				  void *arg)
{
	return c->st->ops->credit_check_list(c->st, tenant, after, limit, cb, arg, &c->err);
}

ps_code ps_app_support_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_support_cb cb,
			    void *arg)
{
	return c->st->ops->support_list(c->st, tenant, after, limit, cb, arg, &c->err);
}

ps_code ps_app_incidents_list(struct ps_ctx *c, bool open_only, int64_t after, size_t limit, ps_incident_cb cb,
			      void *arg)
{
	return c->st->ops->incident_list(c->st, open_only, after, limit, cb, arg, &c->err);
}

struct affected_acc {
	const struct ps_catalog *cat;
	bool *affected;
};

static bool mark_affected(void *arg, const struct ps_incident *i)
{
	struct affected_acc *a = arg;
	for (size_t k = 0; k < a->cat->n_services; k++)
		if (strcmp(a->cat->services[k].id, i->service_id) == 0)
			a->affected[k] = true;
	return true;
}

ps_code ps_app_services_affected(struct ps_ctx *c, bool *affected)
{
	struct affected_acc a = {c->cat, affected};
	memset(affected, 0, a.cat->n_services * sizeof *affected);
	return c->st->ops->incident_list(c->st, true, 0, 0, mark_affected, &a, &c->err);
}

struct bill_acc {
	struct ps_ctx *c;
	int64_t tenant;
	const struct ps_billing_walk *walk;
	ps_code rc;
};

static bool invoice_row(void *arg, const struct ps_invoice *inv)
{
	struct bill_acc *b = arg;
	struct ps_ctx *c = b->c;
	if (!b->walk->invoice(b->walk->arg, inv))
		return false;
	b->rc = c->st->ops->invoice_line_list(c->st, b->tenant, inv->id, b->walk->line, b->walk->arg, &c->err);
	b->walk->invoice_end(b->walk->arg, inv);
	return b->rc == PS_OK;
}

ps_code ps_app_billing_read(struct ps_ctx *c, int64_t tenant, const struct ps_billing_walk *walk)
{
	struct ps_billing_sum sum;
	/* A read: the periods the clock has passed are the runner's (jobs.c). */
	ps_code rc = c->st->ops->begin(c->st, PS_TX_READ, &c->err);
	if (rc != PS_OK)
		return rc;
	struct bill_acc b = {c, tenant, walk, PS_OK};
	rc = ps_app_billing_sum(c, tenant, &sum);
	if (rc == PS_OK) {
		walk->sum(walk->arg, &sum);
		rc = c->st->ops->invoice_list(c->st, tenant, false, 0, 0, invoice_row, &b, &c->err);
		if (rc == PS_OK)
			rc = b.rc;
		walk->payments_begin(walk->arg);
		if (rc == PS_OK)
			rc = c->st->ops->payment_list(c->st, tenant, 0, 0, walk->payment, walk->arg, &c->err);
	}
	c->st->ops->rollback(c->st); /* a read: nothing to keep */
	return rc;
}
