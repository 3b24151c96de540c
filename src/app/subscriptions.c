/* subscriptions.c: purchases, licence counts, the subscription lifecycle and
 * seat assignments (app layer). */
#include "ps_app.h"
#include "ps_app_int.h"
#include "ps_jobs.h"

#include "../common/ps_time.h"
#include "../core/ps_money.h"
#include "../core/ps_policy.h"

#include <stdio.h>
#include <string.h>

static ps_code load_sub(struct ps_ctx *c, int64_t tenant, int64_t id, struct ps_subscription *s)
{
	ps_code rc = c->st->ops->sub_get(c->st, tenant, id, s, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such subscription");
	return rc;
}

static ps_code audit_sub(struct ps_ctx *c, const struct ps_subscription *s, const char *action)
{
	char ref[32], detail[256];
	snprintf(detail, sizeof detail, "{\"plan\":\"%s\",\"quantity\":%lld,\"status\":\"%s\"}", s->plan_id,
		 (long long)s->quantity, ps_sub_status_name(s->status));
	return ps_app_audit(c, s->tenant_id, action, ps_app_ref(ref, sizeof ref, PS_PFX_SUB, s->id), detail);
}

/* ---- purchase ---- */

struct purchase_arg {
	const struct ps_purchase_in *in;
	struct ps_subscription *out;
	struct ps_credit_check *cc;
};

static ps_code purchase_tx(struct ps_ctx *c, void *arg)
{
	struct purchase_arg *a = arg;
	const struct ps_purchase_in *in = a->in;
	struct ps_subscription *s = a->out;
	struct ps_tenant t;
	/* Set here, not before: a transaction that lost a race runs again. */
	s->status = c->app->provisioning_manual ? PS_SUB_PROVISIONING : PS_SUB_ACTIVE;
	s->addon_of = 0;
	ps_code rc = ps_app_catalog_hold(c);
	if (rc == PS_OK)
		rc = ps_app_tenant(c, s->tenant_id, &t);
	if (rc != PS_OK)
		return rc;
	const struct ps_plan *plan = ps_catalog_plan(c->cat, in->plan);
	if (!plan) /* dropped by a load since the request began */
		return ps_err_set(&c->err, PS_INVALID_FIELD, "plan", "no plan %.64s in the catalog", in->plan);
	ps_sub_sell_at(s, plan); /* the price it is sold at, kept until its renewal */
	switch (ps_plan_buyable(&t, plan)) {
	case PS_BUY_RETIRED:
		return ps_err_set(&c->err, PS_INVALID_FIELD, "plan",
				  "plan %s is retired: it is no longer sold (its subscriptions keep it until they "
				  "change plans)",
				  plan->id);
	case PS_BUY_CURRENCY:
		return ps_err_set(&c->err, PS_INVALID_FIELD, "plan", "plan %s is sold in %s; this tenant pays in %s",
				  plan->id, plan->currency, t.currency);
	case PS_BUY_SEGMENT:
		return ps_err_set(&c->err, PS_INVALID_FIELD, "plan", "plan %s is for %s customers; this tenant is %s",
				  plan->id, ps_segment_name(plan->segment), ps_segment_name(t.segment));
	case PS_BUY_OK:
		break;
	}
	if (plan->addon) {
		if (!in->addon_of)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "addon_of",
					  "plan %s is an add-on: addon_of must name the subscription it attaches to",
					  plan->id);
		struct ps_subscription base;
		rc = c->st->ops->sub_get(c->st, s->tenant_id, in->addon_of, &base, &c->err);
		if (rc == PS_NOT_FOUND)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "addon_of", "no such subscription for addon_of");
		if (rc != PS_OK)
			return rc;
		if (!ps_sub_status_is_live(base.status))
			return ps_err_set(&c->err, PS_INVALID_FIELD, "addon_of", "subscription %s%lld is %s",
					  PS_PFX_SUB, (long long)base.id, ps_sub_status_name(base.status));
		if (!ps_addon_can_attach(plan, ps_catalog_plan(c->cat, base.plan_id)))
			return ps_err_set(&c->err, PS_INVALID_FIELD, "addon_of",
					  "add-on %s does not attach to plan %s", plan->id, base.plan_id);
		s->addon_of = base.id;
	} else if (in->addon_of) {
		return ps_err_set(&c->err, PS_INVALID_FIELD, "addon_of", "plan %s is not an add-on", plan->id);
	}
	/* A tenant paying by invoice may not pass its credit limit without a
	 * credit check: the subscription then waits, unbilled, in provisioning. */
	if (t.payment == PS_PAY_INVOICE && !s->prepaid) {
		rc = c->st->ops->snapshot_load(c->st, t.id, c->now, &c->snap, &c->err);
		if (rc != PS_OK)
			return rc;
		ps_snapshot_resolve(&c->snap, c->cat);
		int64_t before = ps_snapshot_mrc(&c->snap);
		int64_t after = ps_money_add(before, ps_monthly_charge(plan, s->quantity));
		if (ps_credit_check_is_needed(&t, before, after)) {
			s->status = PS_SUB_PROVISIONING;
			if ((rc = ps_app_sub_insert(c, s)) != PS_OK ||
			    (rc = ps_credit_request(c, &t, after, s->id, 0, a->cc)) != PS_OK)
				return rc;
			return audit_sub(c, s, "subscription.purchase");
		}
	}
	if ((rc = ps_app_sub_insert(c, s)) != PS_OK)
		return rc;
	if ((rc = ps_ledger_first(c, &t, s)) != PS_OK)
		return rc;
	if ((rc = ps_app_sub_update(c, s)) != PS_OK)
		return rc;
	return audit_sub(c, s, "subscription.purchase");
}

ps_code ps_app_purchase(struct ps_ctx *c, int64_t tenant, const struct ps_purchase_in *in,
			struct ps_subscription *out, struct ps_credit_check *cc_out)
{
	memset(cc_out, 0, sizeof *cc_out);
	if (!in->plan)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "plan", "plan is required");
	const struct ps_plan *plan = ps_catalog_plan(c->cat, in->plan);
	if (!plan)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "plan", "no plan %.64s in the catalog", in->plan);
	if (in->quantity < 1 || in->quantity > PS_QUANTITY_MAX)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "quantity", "quantity must be an integer from 1 to %d",
				  PS_QUANTITY_MAX);
	memset(out, 0, sizeof *out);
	if (!in->term)
		out->term = PS_TERM_MONTHLY;
	else if (!ps_term_parse(in->term, &out->term))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "term", "term must be monthly or annual");
	out->tenant_id = tenant;
	snprintf(out->plan_id, sizeof out->plan_id, "%s", plan->id);
	snprintf(out->product_id, sizeof out->product_id, "%s", plan->product->id);
	out->quantity = in->quantity;
	out->status = c->app->provisioning_manual ? PS_SUB_PROVISIONING : PS_SUB_ACTIVE;
	out->prepaid = in->prepaid;
	out->term_start = c->now;
	out->term_end = ps_term_end(c->now, out->term);
	out->created_at = c->now;
	struct purchase_arg a = {in, out, cc_out};
	return ps_app_tx(c, purchase_tx, &a);
}

/* ---- quantity, cancel, status ---- */

struct change_arg {
	int64_t tenant, sub;
	int64_t quantity;
	enum ps_sub_status status;
	const char *action;
	struct ps_subscription *out;
	struct ps_credit_check *cc; /* quantity: a credit check the increase waits on */
};

/* Whether raising s to `quantity` seats takes tenant t's monthly recurring
 * charge above its credit limit (RULES "The credit limit covers every
 * increase"): *after gets the charge it would reach. As a purchase, a
 * prepaid subscription (paid for at once) never waits. */
static ps_code seats_need_credit(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_subscription *s,
				 int64_t quantity, int64_t *after, bool *needed)
{
	*needed = false;
	if (t->payment != PS_PAY_INVOICE || s->prepaid || quantity <= s->quantity)
		return PS_OK;
	ps_code rc = c->st->ops->snapshot_load(c->st, t->id, c->now, &c->snap, &c->err);
	if (rc != PS_OK)
		return rc;
	ps_snapshot_resolve(&c->snap, c->cat);
	int64_t before = ps_snapshot_mrc(&c->snap);
	*after = ps_money_add(ps_money_sub(before, ps_sub_monthly_charge(s, s->quantity)),
			      ps_sub_monthly_charge(s, quantity));
	*needed = ps_credit_check_is_needed(t, before, *after);
	return PS_OK;
}

static ps_code quantity_tx(struct ps_ctx *c, void *arg)
{
	struct change_arg *a = arg;
	ps_code rc = load_sub(c, a->tenant, a->sub, a->out);
	if (rc != PS_OK)
		return rc;
	if (!ps_sub_status_is_live(a->out->status))
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription is %s: its quantity cannot change",
				  ps_sub_status_name(a->out->status));
	struct ps_tenant t;
	if ((rc = ps_app_tenant(c, a->tenant, &t)) != PS_OK)
		return rc;
	int64_t after;
	bool wait;
	if ((rc = seats_need_credit(c, &t, a->out, a->quantity, &after, &wait)) != PS_OK)
		return rc;
	if (wait) {
		/* Nothing changes until the provider approves (credit.c); the
		 * request is audited as credit_check.request. */
		return ps_credit_request_seats(c, &t, after, a->out->id, a->quantity, a->cc);
	}
	int64_t delta = a->quantity - a->out->quantity;
	a->out->quantity = a->quantity;
	rc = ps_app_sub_update(c, a->out);
	if (rc == PS_OK)
		rc = ps_ledger_seats(c, &t, a->out, delta, PS_LINE_QUANTITY);
	if (rc != PS_OK)
		return rc;
	return audit_sub(c, a->out, "subscription.quantity");
}

ps_code ps_app_set_quantity(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t quantity,
			    struct ps_subscription *out)
{
	struct ps_credit_check cc;
	return ps_app_set_quantity_cc(c, tenant, sub, quantity, out, &cc);
}

ps_code ps_app_set_quantity_cc(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t quantity,
			       struct ps_subscription *out, struct ps_credit_check *cc_out)
{
	ps_code rc;
	memset(cc_out, 0, sizeof *cc_out);
	if (quantity < 1 || quantity > PS_QUANTITY_MAX)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "quantity", "quantity must be an integer from 1 to %d",
				  PS_QUANTITY_MAX);
	/* Periods the clock has passed are invoiced at the old count first. */
	if ((rc = ps_app_bill_due(c, tenant, NULL)) != PS_OK)
		return rc;
	struct change_arg a = {.tenant = tenant, .sub = sub, .quantity = quantity, .out = out, .cc = cc_out};
	return ps_app_tx(c, quantity_tx, &a);
}

static bool any_live_addon(void *arg, const struct ps_subscription *s)
{
	int64_t *base = arg;
	if (ps_sub_is_live_addon_of(s, base[0])) {
		base[1] = s->id;
		return false;
	}
	return true;
}

/* What stands in the way of ending s now: users holding its seats, an
 * add-on attached. PS_OK when nothing; else the refusal, in c->err. */
static ps_code cancel_refusal(struct ps_ctx *c, const struct ps_subscription *s)
{
	if (s->assigned > 0)
		return ps_err_set(&c->err, PS_CONFLICT, "assigned",
				  "%lld users still hold licenses of this subscription: unassign them, or change "
				  "plans manually to move them, before cancelling",
				  (long long)s->assigned);
	int64_t probe[2] = {s->id, 0};
	ps_code rc = c->st->ops->sub_list(c->st, s->tenant_id, 0, 0, any_live_addon, probe, &c->err);
	if (rc != PS_OK)
		return rc;
	if (probe[1])
		return ps_err_set(&c->err, PS_CONFLICT, "addon_of", "add-on %s%lld is attached: cancel it first",
				  PS_PFX_SUB, (long long)probe[1]);
	return PS_OK;
}

/* End s at c->now: the unused days of the period credited (not for
 * prepaid, nor for an expired subscription: its term is over), cancelled,
 * saved, audited. */
static ps_code cancel_apply(struct ps_ctx *c, struct ps_subscription *s)
{
	struct ps_tenant t;
	ps_code rc = ps_app_tenant(c, s->tenant_id, &t);
	if (rc != PS_OK)
		return rc;
	if (s->status != PS_SUB_EXPIRED && (rc = ps_ledger_seats(c, &t, s, -s->quantity, PS_LINE_CANCEL)) != PS_OK)
		return rc;
	s->status = PS_SUB_CANCELLED;
	s->term_end = c->now < s->term_end ? c->now : s->term_end;
	s->billed_through = c->now < s->billed_through ? c->now : s->billed_through;
	if ((rc = ps_app_sub_update(c, s)) != PS_OK)
		return rc;
	return audit_sub(c, s, "subscription.cancel");
}

static ps_code cancel_tx(struct ps_ctx *c, void *arg)
{
	struct change_arg *a = arg;
	ps_code rc = load_sub(c, a->tenant, a->sub, a->out);
	if (rc != PS_OK)
		return rc;
	/* An expired subscription ends too (RULES second part: an ended
	 * subscription can still be changed; nothing is credited for it). */
	bool expired = a->out->status == PS_SUB_EXPIRED;
	if (!ps_sub_status_is_live(a->out->status) && !expired)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription is already %s",
				  ps_sub_status_name(a->out->status));
	if ((rc = cancel_refusal(c, a->out)) != PS_OK)
		return rc;
	/* Its cancellation at term end, if any, ends with it (never left
	 * scheduled on an ended subscription). */
	if (a->out->cancel_at && (rc = ps_app_cancellation_follows(c, a->out, NULL)) != PS_OK)
		return rc;
	return cancel_apply(c, a->out);
}

/* A cancellation at term end: cancel_at set and the job that ends it then
 * scheduled; nothing else changes until then. */
static ps_code cancel_later_tx(struct ps_ctx *c, void *arg)
{
	struct change_arg *a = arg;
	ps_code rc = load_sub(c, a->tenant, a->sub, a->out);
	if (rc != PS_OK)
		return rc;
	if (a->out->status != PS_SUB_ACTIVE)
		return ps_err_set(&c->err, PS_CONFLICT, "status",
				  "only an active subscription can be cancelled at the end of its term (this one is %s)",
				  ps_sub_status_name(a->out->status));
	if (a->out->cancel_at) {
		char when[PS_TIME_LEN];
		ps_time_format(a->out->cancel_at, when);
		return ps_err_set(&c->err, PS_CONFLICT, "cancel_at", "this subscription is already cancelled at %s",
				  when);
	}
	if ((rc = ps_app_no_scheduled(c, a->out)) != PS_OK)
		return rc;
	a->out->cancel_at = a->out->term_end;
	/* The operation that records it (type cancel, scheduled: it can be
	 * cancelled like any change at term end); the job ends it then. */
	struct ps_operation op;
	memset(&op, 0, sizeof op);
	op.tenant_id = a->tenant;
	op.kind = PS_OPK_CANCEL;
	op.state = PS_OP_SCHEDULED;
	op.source_sub = a->sub;
	op.quantity = a->out->quantity;
	op.created_at = op.updated_at = c->now;
	op.effective_at = a->out->cancel_at;
	snprintf(op.request_id, sizeof op.request_id, "%s", c->request_id);
	snprintf(op.detail, sizeof op.detail, "{}");
	if ((rc = ps_app_sub_update(c, a->out)) != PS_OK || (rc = ps_app_op_insert(c, &op)) != PS_OK ||
	    (rc = ps_jobs_schedule(c, PS_JOB_CANCEL, a->tenant, a->sub, a->out->cancel_at)) != PS_OK)
		return rc;
	a->out->scheduled = op.id;
	return audit_sub(c, a->out, "subscription.cancel_scheduled");
}

ps_code ps_app_cancel(struct ps_ctx *c, int64_t tenant, int64_t sub, struct ps_subscription *out)
{
	return ps_app_cancel_when(c, tenant, sub, NULL, out);
}

ps_code ps_app_cancel_when(struct ps_ctx *c, int64_t tenant, int64_t sub, const char *when,
			   struct ps_subscription *out)
{
	ps_code rc;
	struct change_arg a = {.tenant = tenant, .sub = sub, .out = out};
	if (when && strcmp(when, "term_end") == 0)
		return ps_app_tx(c, cancel_later_tx, &a);
	if (when && strcmp(when, "now") != 0)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "when", "when must be now or term_end");
	if ((rc = ps_app_bill_due(c, tenant, NULL)) != PS_OK)
		return rc;
	return ps_app_tx(c, cancel_tx, &a);
}

/* A cancellation at term end that cannot happen then (users still hold
 * seats, an add-on is attached): it fails, audited with why, cancel_at is
 * cleared and the subscription renews as usual. c->err holds the refusal. */
static ps_code cancel_failed(struct ps_ctx *c, struct ps_subscription *s)
{
	char ref[32];
	struct ps_buf b;
	struct ps_jw w;
	ps_buf_init(&b, PS_TEXT_MAX);
	ps_jw_init(&w, &b);
	ps_jw_obj(&w);
	ps_jw_kstr(&w, "field", c->err.field);
	ps_jw_kstr(&w, "reason", c->err.msg);
	ps_jw_obj_end(&w);
	ps_err_clear(&c->err);
	s->cancel_at = 0;
	ps_code rc = ps_app_sub_update(c, s);
	if (rc == PS_OK)
		rc = ps_app_audit(c, s->tenant_id, "subscription.cancel_failed",
				  ps_app_ref(ref, sizeof ref, PS_PFX_SUB, s->id), ps_buf_str(&b));
	ps_buf_fini(&b);
	return rc;
}

/* The refusal in c->err as the detail of the cancel operation op that
 * failed: the field and the message (its reasons: none of the tab's). */
static void op_refusal(struct ps_ctx *c, struct ps_operation *op)
{
	struct ps_buf b;
	struct ps_jw w;
	ps_buf_init(&b, sizeof op->detail - 1);
	ps_jw_init(&w, &b);
	ps_jw_obj(&w);
	ps_jw_kstr(&w, "failure", "blocked");
	ps_jw_kstr(&w, "field", c->err.field);
	ps_jw_kstr(&w, "message", c->err.msg);
	ps_jw_key(&w, "reasons");
	ps_jw_arr(&w);
	ps_jw_arr_end(&w);
	ps_jw_obj_end(&w);
	snprintf(op->detail, sizeof op->detail, "%s", ps_buf_str(&b));
	ps_buf_fini(&b);
}

ps_code ps_app_cancel_job(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t *again)
{
	struct ps_subscription s;
	*again = 0;
	ps_code rc = c->st->ops->sub_get(c->st, tenant, sub, &s, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		return PS_OK;
	}
	if (rc != PS_OK || !ps_sub_status_is_live(s.status) || s.cancel_at == 0)
		return rc; /* ended otherwise meanwhile: nothing to do */
	if (s.cancel_at > c->now) {
		*again = s.cancel_at;
		return PS_OK;
	}
	/* It ends at its time, whenever the runner gets to it; its operation
	 * (none in a store made before schema 10) ends with it. */
	struct ps_operation op;
	bool has_op = false;
	if ((rc = c->st->ops->operation_find_scheduled(c->st, tenant, sub, &op, &c->err)) == PS_OK)
		has_op = op.kind == PS_OPK_CANCEL;
	else if (rc == PS_NOT_FOUND)
		ps_err_clear(&c->err);
	else
		return rc;
	int64_t now = c->now;
	c->now = s.cancel_at;
	bool failed = false;
	rc = cancel_refusal(c, &s);
	if (rc == PS_CONFLICT) {
		failed = true;
		if (has_op)
			op_refusal(c, &op);
		rc = cancel_failed(c, &s);
	} else if (rc == PS_OK)
		rc = cancel_apply(c, &s);
	if (rc == PS_OK && has_op) {
		op.state = failed ? PS_OP_FAILED : PS_OP_COMPLETED;
		op.updated_at = c->now;
		rc = ps_app_op_update(c, &op);
	}
	c->now = now;
	return rc;
}

static ps_code status_tx(struct ps_ctx *c, void *arg)
{
	struct change_arg *a = arg;
	ps_code rc = load_sub(c, a->tenant, a->sub, a->out);
	if (rc != PS_OK)
		return rc;
	if (a->out->status == PS_SUB_CANCELLED || a->out->status == PS_SUB_REPLACED)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription has ended (%s)",
				  ps_sub_status_name(a->out->status));
	if (a->out->status == PS_SUB_PROVISIONING && a->out->billed_through == 0)
		return ps_err_set(&c->err, PS_CONFLICT, "status",
				  "this purchase waits on a credit check: decide the credit check instead");
	a->out->status = a->status;
	rc = ps_app_sub_update(c, a->out);
	if (rc == PS_OK && (a->status == PS_SUB_ACTIVE || a->status == PS_SUB_DISABLED))
		rc = ps_app_provisioned(c, a->out);
	if (rc != PS_OK)
		return rc;
	return audit_sub(c, a->out, "subscription.status");
}

ps_code ps_app_set_status(struct ps_ctx *c, int64_t tenant, int64_t sub, const char *status,
			  struct ps_subscription *out)
{
	enum ps_sub_status st;
	if (!status || !ps_sub_status_parse(status, &st) || st == PS_SUB_CANCELLED || st == PS_SUB_REPLACED)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "status",
				  "status must be provisioning, active, expired or disabled");
	struct change_arg a = {.tenant = tenant, .sub = sub, .status = st, .out = out};
	return ps_app_tx(c, status_tx, &a);
}

/* ---- seats ---- */

struct seat_arg {
	int64_t tenant, sub, user;
	bool created;
};

static bool find_seat(void *arg, const struct ps_assignment *as)
{
	struct seat_arg *a = arg;
	if (as->user_id == a->user)
		a->created = false;
	return false;
}

/* One seat of s given to user, with its event (license.assigned): the store
 * refuses with CONFLICT a user holding the product elsewhere, for the
 * caller to say. Used one at a time and in bulk. */
static ps_code seat_insert(struct ps_ctx *c, const struct ps_subscription *s, int64_t user)
{
	struct ps_assignment as;
	memset(&as, 0, sizeof as);
	as.tenant_id = s->tenant_id;
	as.subscription_id = s->id;
	as.user_id = user;
	snprintf(as.product_id, sizeof as.product_id, "%s", s->product_id);
	as.assigned_at = c->now;
	ps_code rc = c->st->ops->assignment_insert(c->st, &as, &c->err);
	if (rc == PS_OK)
		ps_render_seat(ps_app_event(c, PS_EV_LICENSE_ASSIGNED, s->tenant_id, 0), s->id, user, true);
	return rc;
}

/* user's seat of subscription sub taken back, with its event
 * (license.unassigned); NOT_FOUND when there is none. */
static ps_code seat_delete(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t user)
{
	ps_code rc = c->st->ops->assignment_delete(c->st, tenant, sub, user, &c->err);
	if (rc == PS_OK)
		ps_render_seat(ps_app_event(c, PS_EV_LICENSE_UNASSIGNED, tenant, 0), sub, user, false);
	return rc;
}

static ps_code assign_tx(struct ps_ctx *c, void *arg)
{
	struct seat_arg *a = arg;
	struct ps_subscription s;
	struct ps_user u;
	ps_code rc = load_sub(c, a->tenant, a->sub, &s);
	if (rc != PS_OK)
		return rc;
	rc = c->st->ops->user_get(c->st, a->tenant, a->user, &u, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, "user", "no such user");
	if (rc != PS_OK)
		return rc;
	/* Already holding this very seat: nothing to do (PUT is idempotent). */
	a->created = true;
	rc = c->st->ops->assignment_list(c->st, a->tenant, a->sub, a->user - 1, 1, find_seat, a, &c->err);
	if (rc != PS_OK || !a->created)
		return rc;
	if (s.status != PS_SUB_ACTIVE && s.status != PS_SUB_PROVISIONING)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription is %s: no seat can be assigned",
				  ps_sub_status_name(s.status));
	if (s.assigned >= s.quantity)
		return ps_err_set(&c->err, PS_CONFLICT, "quantity",
				  "all %lld licenses are assigned: buy more licenses or unassign a user first",
				  (long long)s.quantity);
	rc = seat_insert(c, &s, a->user);
	if (rc == PS_CONFLICT)
		return ps_err_set(&c->err, PS_CONFLICT, "user",
				  "%s already holds a license of product %s from another subscription", u.upn,
				  s.product_id);
	if (rc != PS_OK)
		return rc;
	char ref[32], detail[128];
	snprintf(detail, sizeof detail, "{\"user\":\"%s%lld\"}", PS_PFX_USER, (long long)a->user);
	return ps_app_audit(c, a->tenant, "license.assign", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, a->sub), detail);
}

ps_code ps_app_assign(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t user, bool *created)
{
	ps_code rc;
	struct seat_arg a = {tenant, sub, user, false};
	rc = ps_app_tx(c, assign_tx, &a);
	if (created)
		*created = a.created;
	return rc;
}

static ps_code unassign_tx(struct ps_ctx *c, void *arg)
{
	struct seat_arg *a = arg;
	struct ps_subscription s;
	ps_code rc = load_sub(c, a->tenant, a->sub, &s);
	if (rc != PS_OK)
		return rc;
	rc = seat_delete(c, a->tenant, a->sub, a->user);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, "user", "that user holds no license of this subscription");
	if (rc != PS_OK)
		return rc;
	char ref[32], detail[128];
	snprintf(detail, sizeof detail, "{\"user\":\"%s%lld\"}", PS_PFX_USER, (long long)a->user);
	return ps_app_audit(c, a->tenant, "license.unassign", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, a->sub),
			    detail);
}

ps_code ps_app_unassign(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t user)
{
	struct seat_arg a = {tenant, sub, user, false};
	return ps_app_tx(c, unassign_tx, &a);
}

/* ---- many seats at once ---- */

struct bulk_arg {
	int64_t tenant, sub;
	const int64_t *assign, *unassign;
	size_t n_assign, n_unassign;
	struct ps_faults faults;
	bool conflict; /* a fault that is a conflict (409) rather than a bad id (400) */
	struct ps_seats_bulk *out;
};

static ps_code bulk_assign_one(struct ps_ctx *c, struct bulk_arg *a, const struct ps_subscription *s, int64_t user)
{
	struct ps_user u;
	ps_code rc = c->st->ops->user_get(c->st, a->tenant, user, &u, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		ps_faults_add(&a->faults, "user \"%s%lld\": no such user (field \"assign\")", PS_PFX_USER, (long long)user);
		return PS_OK;
	}
	if (rc != PS_OK)
		return rc;
	struct seat_arg seat = {a->tenant, a->sub, user, true};
	rc = c->st->ops->assignment_list(c->st, a->tenant, a->sub, user - 1, 1, find_seat, &seat, &c->err);
	if (rc != PS_OK)
		return rc;
	if (!seat.created) {
		a->out->unchanged++;
		return PS_OK;
	}
	rc = seat_insert(c, s, user);
	if (rc == PS_CONFLICT) {
		ps_err_clear(&c->err);
		a->conflict = true;
		ps_faults_add(&a->faults,
			      "user \"%s%lld\": %s already holds a license of product %s from another subscription (field "
			      "\"assign\")",
			      PS_PFX_USER, (long long)user, u.upn, s->product_id);
		return PS_OK;
	}
	if (rc == PS_OK)
		a->out->assigned++;
	return rc;
}

static ps_code bulk_tx(struct ps_ctx *c, void *arg)
{
	struct bulk_arg *a = arg;
	struct ps_subscription s;
	ps_faults_fini(&a->faults); /* a retried transaction starts again */
	a->conflict = false;
	memset(a->out, 0, sizeof *a->out);
	ps_code rc = load_sub(c, a->tenant, a->sub, &s);
	if (rc != PS_OK)
		return rc;
	if (a->n_assign && s.status != PS_SUB_ACTIVE && s.status != PS_SUB_PROVISIONING)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription is %s: no seat can be assigned",
				  ps_sub_status_name(s.status));
	for (size_t i = 0; i < a->n_unassign; i++) {
		rc = seat_delete(c, a->tenant, a->sub, a->unassign[i]);
		if (rc == PS_NOT_FOUND) {
			ps_err_clear(&c->err);
			ps_faults_add(&a->faults,
				      "user \"%s%lld\": holds no license of this subscription (field \"unassign\")",
				      PS_PFX_USER, (long long)a->unassign[i]);
			continue;
		}
		if (rc != PS_OK)
			return rc;
		a->out->unassigned++;
	}
	for (size_t i = 0; i < a->n_assign; i++)
		if ((rc = bulk_assign_one(c, a, &s, a->assign[i])) != PS_OK)
			return rc;
	if ((rc = load_sub(c, a->tenant, a->sub, &s)) != PS_OK)
		return rc;
	if (a->out->assigned > 0 && s.assigned > s.quantity) {
		a->conflict = true;
		ps_faults_add(&a->faults,
			      "subscription \"%s%lld\": %lld seats for %lld licenses: buy more licenses or assign fewer "
			      "users (field \"assign\")",
			      PS_PFX_SUB, (long long)a->sub, (long long)s.assigned, (long long)s.quantity);
	}
	if (a->faults.n)
		return ps_err_set(&c->err, a->conflict ? PS_CONFLICT : PS_INVALID_FIELD,
				  strstr(a->faults.msgs[0], "(field \"unassign\")") ? "unassign" : "assign",
				  "%zu of the changes cannot be made; nothing was changed: %s", a->faults.n,
				  a->faults.msgs[0]);
	a->out->quantity = s.quantity;
	a->out->total = s.assigned;
	char ref[32], detail[128];
	snprintf(detail, sizeof detail, "{\"assigned\":%lld,\"unassigned\":%lld}", (long long)a->out->assigned,
		 (long long)a->out->unassigned);
	return ps_app_audit(c, a->tenant, "license.bulk", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, a->sub), detail);
}

ps_code ps_app_seats_bulk(struct ps_ctx *c, int64_t tenant, int64_t sub, const int64_t *assign, size_t n_assign,
			  const int64_t *unassign, size_t n_unassign, struct ps_seats_bulk *out)
{
	struct bulk_arg a = {tenant, sub, assign, unassign, n_assign, n_unassign, {0}, false, out};
	ps_code rc = ps_app_tx(c, bulk_tx, &a);
	if (rc != PS_OK && a.faults.n) {
		/* Every fault for the caller (the answer's "faults"). */
		c->faults = a.faults.msgs;
		c->n_faults = a.faults.n;
		return rc;
	}
	ps_faults_fini(&a.faults);
	return rc;
}
