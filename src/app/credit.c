/* credit.c: credit checks (app layer; doc/BILLING.md "Credit"). A tenant
 * paying by invoice whose monthly recurring charge a change would take above
 * its credit limit waits on a credit check (ps_policy.h decides when); this
 * file requests one and records the provider's decision. What waited goes
 * on: a purchase here (it is invoiced and activated, or cancelled), a seat
 * increase here (the count is set and the added seats charged, or nothing
 * changes), an operation through the caller's callback, so that this file
 * calls nothing above it. */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../core/ps_money.h"

#include <stdio.h>
#include <string.h>

/* Two business days, weekends and the configured holidays skipped. */
#define PS_CREDIT_CHECK_DAYS 2

static ps_code request(struct ps_ctx *c, const struct ps_tenant *t, int64_t amount, int64_t sub_id, int64_t op_id,
		       int64_t quantity, struct ps_credit_check *out)
{
	memset(out, 0, sizeof *out);
	out->tenant_id = t->id;
	out->status = PS_CC_PENDING;
	out->amount = amount;
	out->requested_at = c->now;
	out->expected_by = ps_add_business_days(c->now, PS_CREDIT_CHECK_DAYS, c->app->holidays, c->app->n_holidays);
	out->subscription_id = sub_id;
	out->operation_id = op_id;
	out->quantity = quantity;
	ps_code rc = c->st->ops->credit_check_insert(c->st, out, &c->err);
	if (rc != PS_OK)
		return rc;
	ps_render_credit_check(ps_app_event(c, PS_EV_CREDIT_CHECK_REQUESTED, t->id, out->id), out);
	char ref[32], detail[128];
	if (op_id)
		snprintf(detail, sizeof detail, "{\"amount\":%lld,\"operation\":\"%s%lld\"}", (long long)amount,
			 PS_PFX_OPERATION, (long long)op_id);
	else if (quantity)
		snprintf(detail, sizeof detail,
			 "{\"amount\":%lld,\"credit_limit\":%lld,\"subscription\":\"%s%lld\",\"quantity\":%lld}",
			 (long long)amount, (long long)t->credit_limit, PS_PFX_SUB, (long long)sub_id,
			 (long long)quantity);
	else
		snprintf(detail, sizeof detail, "{\"amount\":%lld,\"credit_limit\":%lld}", (long long)amount,
			 (long long)t->credit_limit);
	return ps_app_audit(c, t->id, "credit_check.request", ps_app_ref(ref, sizeof ref, PS_PFX_CREDIT, out->id),
			    detail);
}

ps_code ps_credit_request(struct ps_ctx *c, const struct ps_tenant *t, int64_t amount, int64_t sub_id, int64_t op_id,
			  struct ps_credit_check *out)
{
	return request(c, t, amount, sub_id, op_id, 0, out);
}

ps_code ps_credit_request_seats(struct ps_ctx *c, const struct ps_tenant *t, int64_t amount, int64_t sub_id,
				int64_t quantity, struct ps_credit_check *out)
{
	return request(c, t, amount, sub_id, 0, quantity, out);
}

/* A seat increase waiting on cc: approved, subscription cc->subscription_id
 * gets cc->quantity seats, the change charged for the rest of its period as
 * any seat change is; denied (or the subscription no longer live), nothing
 * changes. */
static ps_code seats_decided(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_credit_check *cc)
{
	struct ps_subscription s;
	if (cc->status != PS_CC_APPROVED)
		return PS_OK;
	ps_code rc = c->st->ops->sub_get(c->st, t->id, cc->subscription_id, &s, &c->err);
	if (rc != PS_OK || !ps_sub_status_is_live(s.status) || s.quantity == cc->quantity)
		return rc;
	int64_t delta = cc->quantity - s.quantity;
	s.quantity = cc->quantity;
	if ((rc = ps_app_sub_update(c, &s)) != PS_OK ||
	    (rc = ps_ledger_seats(c, t, &s, delta, PS_LINE_QUANTITY)) != PS_OK)
		return rc;
	char ref[32], detail[256];
	snprintf(detail, sizeof detail,
		 "{\"plan\":\"%s\",\"quantity\":%lld,\"status\":\"%s\",\"credit_check\":\"%s%lld\"}", s.plan_id,
		 (long long)s.quantity, ps_sub_status_name(s.status), PS_PFX_CREDIT, (long long)cc->id);
	return ps_app_audit(c, t->id, "subscription.quantity", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, s.id), detail);
}

/* A purchase waiting on cc (still provisioning, never invoiced): approved,
 * its term starts now and it is invoiced; denied, it is cancelled. */
static ps_code purchase_decided(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_credit_check *cc)
{
	struct ps_subscription s;
	ps_code rc = c->st->ops->sub_get(c->st, t->id, cc->subscription_id, &s, &c->err);
	if (rc != PS_OK)
		return rc;
	if (s.status != PS_SUB_PROVISIONING || s.billed_through != 0)
		return PS_OK;
	if (cc->status == PS_CC_APPROVED) {
		s.status = c->app->provisioning_manual ? PS_SUB_PROVISIONING : PS_SUB_ACTIVE;
		s.term_start = c->now;
		s.term_end = ps_term_end(c->now, s.term);
		rc = ps_ledger_first(c, t, &s);
	} else {
		s.status = PS_SUB_CANCELLED;
		s.term_end = c->now;
	}
	if (rc == PS_OK)
		rc = ps_app_sub_update(c, &s);
	return rc;
}

struct decide_arg {
	int64_t id;
	bool approved;
	struct ps_credit_check *cc;
	ps_credit_waiter on_operation;
	bool fail_waiting;  /* the waiting operation proved impossible: fail it, change nothing else of it */
	bool change_failed; /* set when applying the waiting operation failed */
};

static ps_code decide_tx(struct ps_ctx *c, void *arg)
{
	struct decide_arg *d = arg;
	struct ps_credit_check *cc = d->cc;
	ps_code rc = c->st->ops->credit_check_get(c->st, d->id, cc, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such credit check");
	if (rc != PS_OK)
		return rc;
	if (cc->status != PS_CC_PENDING)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "this credit check was already %s",
				  ps_credit_status_name(cc->status));
	struct ps_tenant t;
	if ((rc = c->st->ops->tenant_get(c->st, cc->tenant_id, &t, &c->err)) != PS_OK)
		return rc;
	cc->status = d->approved ? PS_CC_APPROVED : PS_CC_DENIED;
	cc->decided_at = c->now;
	if ((rc = c->st->ops->credit_check_update(c->st, cc, &c->err)) != PS_OK)
		return rc;
	ps_render_credit_check(ps_app_event(c, PS_EV_CREDIT_CHECK_DECIDED, cc->tenant_id, cc->id), cc);
	if (d->approved && cc->amount > t.credit_limit) {
		t.credit_limit = cc->amount;
		if ((rc = c->st->ops->tenant_update(c->st, &t, &c->err)) != PS_OK)
			return rc;
	}
	if (cc->subscription_id &&
	    (rc = cc->quantity ? seats_decided(c, &t, cc) : purchase_decided(c, &t, cc)) != PS_OK)
		return rc;
	if (cc->operation_id) {
		rc = d->on_operation(c, &t, cc, d->fail_waiting);
		if (rc == PS_CONFLICT || rc == PS_INVALID_FIELD)
			d->change_failed = true;
		if (rc != PS_OK)
			return rc;
	}
	char ref[32], detail[128];
	snprintf(detail, sizeof detail, "{\"approved\":%s,\"amount\":%lld}", d->approved ? "true" : "false",
		 (long long)cc->amount);
	return ps_app_audit(c, t.id, "credit_check.decision", ps_app_ref(ref, sizeof ref, PS_PFX_CREDIT, cc->id),
			    detail);
}

ps_code ps_credit_decide(struct ps_ctx *c, int64_t id, bool approved, struct ps_credit_check *out,
			 ps_credit_waiter on_operation)
{
	struct decide_arg d = {id, approved, out, on_operation, false, false};
	ps_code rc = ps_app_tx(c, decide_tx, &d);
	if (rc != PS_OK && d.change_failed) {
		/* What changed meanwhile makes the waiting operation impossible:
		 * everything it wrote is rolled back; the decision stands and the
		 * operation fails, in a transaction of their own. */
		d.fail_waiting = true;
		ps_err_clear(&c->err);
		rc = ps_app_tx(c, decide_tx, &d);
	}
	return rc;
}
