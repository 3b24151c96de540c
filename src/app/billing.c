/* billing.c: billing over time (app layer): renewals (a period is invoiced
 * when the clock reaches it, once: a store constraint makes a second line
 * for the same period a conflict), the tenant's billing sum, and payments.
 * What is written goes through the ledger (ledger.c); the amounts come from
 * the money rules of core/ps_money.h (doc/BILLING.md). */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_mem.h"
#include "../common/ps_time.h"
#include "../core/ps_money.h"
#include "../core/ps_policy.h"

#include <stdio.h>
#include <string.h>

#define PS_PAYMENT_MAX ((int64_t)1 << 50)

ps_code ps_app_billing_sum(struct ps_ctx *c, int64_t tenant, struct ps_billing_sum *out)
{
	struct ps_tenant t;
	memset(out, 0, sizeof *out);
	ps_code rc = ps_app_tenant(c, tenant, &t);
	if (rc != PS_OK)
		return rc;
	snprintf(out->currency, sizeof out->currency, "%s", t.currency);
	return ps_ledger_totals(c, tenant, out);
}

/* ---- renewals ---- */

struct due_acc {
	struct ps_subscription *v;
	size_t n, cap;
	int64_t now;
};

static bool collect_due(void *arg, const struct ps_subscription *s)
{
	struct due_acc *a = arg;
	if (ps_sub_is_billing_due(s, a->now)) {
		ps_grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
		a->v[a->n++] = *s;
	}
	return true;
}

struct due_arg {
	int64_t tenant;
	int issued;
};

/* At most this many periods are invoiced in one go (a clock moved years
 * ahead); the rest follow on the next run. */
#define PS_RENEWALS_MAX 120

/* Invoice every period of s the clock has reached (each once: a second
 * line for a period is a store conflict), at most PS_RENEWALS_MAX, then
 * save s and audit. *issued counts the periods. Each period is priced by
 * ps_price_for_renewal (today's catalog price; a plan gone from the
 * catalog renews at the price it was sold at). Inside the caller's
 * transaction. */
static ps_code renew_sub(struct ps_ctx *c, const struct ps_tenant *t, struct ps_subscription *s, int *issued)
{
	ps_code rc = PS_OK;
	const struct ps_plan *p = c->cat ? ps_catalog_plan(c->cat, s->plan_id) : NULL;
	for (int k = 0; rc == PS_OK && ps_sub_is_billing_due(s, c->now) && k < PS_RENEWALS_MAX; k++) {
		struct ps_period next;
		ps_price_for_renewal(s, p);
		ps_renewal_period(s, s->billed_through, &next);
		struct ps_line_spec l = {.kind = PS_LINE_RENEWAL, .sub = s, .quantity = s->quantity,
					 .start = next.start, .end = next.end, .amount = next.amount};
		/* The invoice is issued on the day the period starts. */
		int64_t now = c->now;
		c->now = l.start;
		rc = ps_ledger_invoice(c, t, &l, 1, s->prepaid, NULL);
		c->now = now;
		if (rc != PS_OK)
			return rc;
		s->billed_through = l.end;
		while (s->term_end <= l.start) { /* the term renews with its period */
			s->term_start = s->term_end;
			s->term_end = ps_term_end(s->term_start, s->term);
		}
		(*issued)++;
	}
	if ((rc = ps_app_sub_update(c, s)) != PS_OK)
		return rc;
	char ref[32], detail[128];
	char through[PS_TIME_LEN];
	ps_time_format(s->billed_through, through);
	snprintf(detail, sizeof detail, "{\"billed_through\":\"%s\"}", through);
	return ps_app_audit(c, t->id, "billing.renewal", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, s->id), detail);
}

static ps_code renew_tx(struct ps_ctx *c, void *arg)
{
	struct due_arg *d = arg;
	struct ps_tenant t;
	struct due_acc a = {.now = c->now};
	ps_code rc = c->st->ops->tenant_get(c->st, d->tenant, &t, &c->err);
	if (rc == PS_OK)
		rc = c->st->ops->sub_list(c->st, d->tenant, 0, 0, collect_due, &a, &c->err);
	for (size_t i = 0; rc == PS_OK && i < a.n; i++) {
		rc = renew_sub(c, &t, &a.v[i], &d->issued);
	}
	ps_free(a.v);
	return rc;
}

ps_code ps_app_renew_job(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t *again)
{
	struct ps_tenant t;
	struct ps_subscription s;
	int issued = 0;
	*again = 0;
	ps_code rc = c->st->ops->tenant_get(c->st, tenant, &t, &c->err);
	if (rc == PS_OK)
		rc = c->st->ops->sub_get(c->st, tenant, sub, &s, &c->err);
	if (rc == PS_NOT_FOUND) { /* nothing left to renew */
		ps_err_clear(&c->err);
		return PS_OK;
	}
	if (rc != PS_OK || !ps_sub_is_billing_due(&s, c->now))
		return rc;
	if ((rc = renew_sub(c, &t, &s, &issued)) != PS_OK)
		return rc;
	if (ps_sub_is_billing_due(&s, c->now))
		*again = s.billed_through; /* more than PS_RENEWALS_MAX periods: the rest next */
	return PS_OK;
}

ps_code ps_app_bill_due(struct ps_ctx *c, int64_t tenant, int *issued)
{
	struct due_arg d = {tenant, 0};
	ps_code rc = ps_app_tx(c, renew_tx, &d);
	if (rc == PS_CONFLICT) {
		/* Another daemon invoiced the same period first: it is done. */
		ps_err_clear(&c->err);
		rc = PS_OK;
		d.issued = 0;
	}
	if (issued)
		*issued = d.issued;
	return rc;
}

/* ---- payments ---- */

struct pay_arg {
	struct ps_receipt *p;
};

static ps_code pay_tx(struct ps_ctx *c, void *arg)
{
	struct pay_arg *a = arg;
	struct ps_tenant t;
	ps_code rc = ps_app_tenant(c, a->p->tenant_id, &t);
	if (rc != PS_OK)
		return rc;
	snprintf(a->p->currency, sizeof a->p->currency, "%s", t.currency);
	/* The tenant's payments stay within PS_LEDGER_MAX (ps_money.h). */
	int64_t paid = 0;
	if ((rc = c->st->ops->payment_total(c->st, t.id, &paid, &c->err)) != PS_OK)
		return rc;
	if (!ps_money_sum(&paid, a->p->amount) || paid > PS_LEDGER_MAX)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "amount",
				  "this payment would take the payments of this tenant past %lld %s, the most one "
				  "ledger holds",
				  (long long)PS_LEDGER_MAX, t.currency);
	if ((rc = c->st->ops->payment_insert(c->st, a->p, &c->err)) != PS_OK)
		return rc;
	ps_render_receipt(ps_app_event(c, PS_EV_PAYMENT_RECEIVED, t.id, a->p->id), a->p);
	if ((rc = ps_ledger_settle(c, t.id)) != PS_OK)
		return rc;
	char ref[32], detail[128];
	snprintf(detail, sizeof detail, "{\"amount\":%lld,\"currency\":\"%s\"}", (long long)a->p->amount, t.currency);
	return ps_app_audit(c, t.id, "billing.payment", ps_app_ref(ref, sizeof ref, PS_PFX_PAYMENT, a->p->id), detail);
}

ps_code ps_app_pay(struct ps_ctx *c, int64_t tenant, int64_t amount, struct ps_receipt *out)
{
	ps_code rc;
	if (amount <= 0 || amount > PS_PAYMENT_MAX)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "amount",
				  "amount must be a positive whole number of minor units (cents)");
	if ((rc = ps_app_bill_due(c, tenant, NULL)) != PS_OK)
		return rc;
	memset(out, 0, sizeof *out);
	out->tenant_id = tenant;
	out->amount = amount;
	out->received_at = c->now;
	struct pay_arg a = {out};
	return ps_app_tx(c, pay_tx, &a);
}
