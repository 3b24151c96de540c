/* billing.c: the ledger (app layer). Every money figure comes from two
 * kinds of rows: invoices (made of lines; a credit note is an invoice with a
 * negative amount) and payments. Payments and credit notes settle positive
 * invoices oldest first; what is left is the tenant's credit. Periods are
 * invoiced when the clock reaches them, once (a store constraint makes a
 * second line for the same period a conflict). The rules are in
 * doc/BILLING.md, with the rounding of ps_prorate (core/ps_money.h). */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_mem.h"
#include "../common/ps_time.h"
#include "../core/ps_money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_INVOICE_DAYS 30
#define PS_PAYMENT_MAX ((int64_t)1 << 50)

static const struct ps_plan *plan_of(struct ps_ctx *c, const struct ps_subscription *s)
{
	return c->app->catalog ? ps_catalog_plan(c->app->catalog, s->plan_id) : NULL;
}

/* ---- invoices and settlement ---- */

struct inv_acc {
	struct ps_invoice *v;
	size_t n, cap;
};

static bool collect_invoice(void *arg, const struct ps_invoice *inv)
{
	struct inv_acc *a = arg;
	ps_grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n++] = *inv;
	return true;
}

/* Oldest first: by due time, then issue time, then id. */
static int by_due(const void *a, const void *b)
{
	const struct ps_invoice *x = a, *y = b;
	if (x->due_at != y->due_at)
		return x->due_at < y->due_at ? -1 : 1;
	if (x->issued_at != y->issued_at)
		return x->issued_at < y->issued_at ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

ps_code ps_ledger_settle(struct ps_ctx *c, int64_t tenant)
{
	struct ps_store *st = c->st;
	struct inv_acc a = {0};
	int64_t pool = 0;
	ps_code rc = st->ops->payment_total(st, tenant, &pool, &c->err);
	if (rc == PS_OK)
		rc = st->ops->invoice_list(st, tenant, false, 0, 0, collect_invoice, &a, &c->err);
	for (size_t i = 0; rc == PS_OK && i < a.n; i++)
		if (a.v[i].amount < 0 && a.v[i].status != PS_INV_VOID)
			pool -= a.v[i].amount;
	if (a.n > 1)
		qsort(a.v, a.n, sizeof *a.v, by_due);
	for (size_t i = 0; rc == PS_OK && i < a.n; i++) {
		struct ps_invoice *inv = &a.v[i];
		if (inv->amount < 0 || inv->status == PS_INV_VOID)
			continue;
		int64_t paid = pool < inv->amount ? pool : inv->amount;
		pool -= paid;
		enum ps_invoice_status status = paid == inv->amount ? PS_INV_PAID : PS_INV_OPEN;
		if (paid == inv->paid && status == inv->status)
			continue;
		inv->paid = paid;
		inv->status = status;
		rc = st->ops->invoice_update(st, inv, &c->err);
	}
	ps_free(a.v);
	return rc;
}

static void describe(char *out, size_t cap, const struct ps_line_spec *l, const struct ps_plan *p)
{
	static const char *const what[] = {"", "renewal", "seats changed", "cancelled, unused days",
					   "upgrade: unused days", "upgrade", "plan change"};
	char a[PS_TIME_LEN], b[PS_TIME_LEN];
	ps_time_format(l->start, a);
	ps_time_format(l->end, b);
	const char *w = (size_t)l->kind < sizeof what / sizeof what[0] ? what[l->kind] : "";
	snprintf(out, cap, "%s, %lld seat%s, %.10s to %.10s%s%s", p ? p->name : l->sub->plan_id,
		 (long long)l->quantity, l->quantity == 1 ? "" : "s", a, b, w[0] ? ": " : "", w);
}

ps_code ps_ledger_invoice(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_line_spec *lines, size_t n,
			  bool pay_now, int64_t *invoice_id)
{
	struct ps_store *st = c->st;
	struct ps_invoice inv;
	int64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += lines[i].amount;
	if (invoice_id)
		*invoice_id = 0;
	if (total == 0)
		return PS_OK; /* nothing to charge or credit (a free plan, an even swap) */
	memset(&inv, 0, sizeof inv);
	inv.tenant_id = t->id;
	inv.subscription_id = n ? lines[0].sub->id : 0;
	inv.amount = total;
	snprintf(inv.currency, sizeof inv.currency, "%s", t->currency);
	inv.issued_at = c->now;
	bool at_once = pay_now || t->payment == PS_PAY_CARD;
	if (total <= 0) {
		inv.due_at = c->now;
		inv.paid = total;
		inv.status = PS_INV_PAID;
	} else {
		inv.due_at = at_once ? c->now : c->now + (int64_t)PS_INVOICE_DAYS * PS_DAY;
		inv.status = PS_INV_OPEN;
	}
	ps_code rc = st->ops->invoice_insert(st, &inv, &c->err);
	for (size_t i = 0; rc == PS_OK && i < n; i++) {
		struct ps_invoice_line l;
		memset(&l, 0, sizeof l);
		l.tenant_id = t->id;
		l.invoice_id = inv.id;
		l.subscription_id = lines[i].sub->id;
		l.kind = lines[i].kind;
		snprintf(l.plan_id, sizeof l.plan_id, "%s", lines[i].sub->plan_id);
		l.quantity = lines[i].quantity;
		l.period_start = lines[i].start;
		l.period_end = lines[i].end;
		l.amount = lines[i].amount;
		describe(l.description, sizeof l.description, &lines[i], plan_of(c, lines[i].sub));
		rc = st->ops->invoice_line_insert(st, &l, &c->err);
	}
	if (rc == PS_OK && total > 0 && at_once) {
		/* Charged to the card (or paid up front): the payment is recorded
		 * net of any credit the tenant already has. */
		struct ps_billing_sum sum;
		rc = ps_app_billing_sum(c, t->id, &sum);
		int64_t owed = sum.balance;
		if (rc == PS_OK && owed > 0) {
			struct ps_receipt p;
			memset(&p, 0, sizeof p);
			p.tenant_id = t->id;
			p.amount = owed < total ? owed : total;
			snprintf(p.currency, sizeof p.currency, "%s", t->currency);
			p.received_at = c->now;
			rc = st->ops->payment_insert(st, &p, &c->err);
		}
	}
	if (rc == PS_OK)
		rc = ps_ledger_settle(c, t->id);
	if (rc == PS_OK && invoice_id)
		*invoice_id = inv.id;
	return rc;
}

ps_code ps_ledger_first(struct ps_ctx *c, const struct ps_tenant *t, struct ps_subscription *s)
{
	const struct ps_plan *p = plan_of(c, s);
	if (!p)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "plan", "no plan %s in the catalog", s->plan_id);
	struct ps_line_spec l = {.kind = PS_LINE_PURCHASE, .sub = s, .quantity = s->quantity, .start = c->now};
	if (s->prepaid) {
		l.end = s->term_end;
		l.amount = ps_term_value(p->price_per_seat_month, s->quantity, s->term);
	} else {
		l.end = ps_time_add_months(c->now, 1);
		l.amount = p->price_per_seat_month * s->quantity;
	}
	s->billed_through = l.end;
	return ps_ledger_invoice(c, t, &l, 1, s->prepaid, NULL);
}

bool ps_ledger_rest(const struct ps_ctx *c, const struct ps_subscription *s, int64_t *end, int64_t *left,
		    int64_t *days)
{
	int64_t start;
	if (s->billed_through <= c->now)
		return false;
	if (s->prepaid) {
		start = s->term_start;
		*end = s->term_end;
	} else {
		ps_billing_period(s->term_start, 1, c->now, &start, end);
		*end = s->billed_through;
	}
	*left = ps_days_between_ceil(c->now, *end);
	*days = ps_days_between_ceil(start, *end);
	return *days > 0;
}

ps_code ps_ledger_seats(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_subscription *s, int64_t delta,
			enum ps_line_kind kind)
{
	const struct ps_plan *p = plan_of(c, s);
	int64_t end, left, days;
	if (!p || delta == 0 || !ps_ledger_rest(c, s, &end, &left, &days))
		return PS_OK; /* nothing billed for the rest of this period */
	if (s->prepaid && delta < 0)
		return PS_OK; /* unused prepaid time is not credited */
	int64_t monthly = p->price_per_seat_month * (s->prepaid ? ps_term_months(s->term) : 1);
	int64_t mag = delta < 0 ? -delta : delta;
	int64_t amount = ps_prorate(monthly * mag, left, days);
	struct ps_line_spec l = {.kind = kind, .sub = s, .quantity = mag, .start = c->now, .end = end,
				 .amount = delta < 0 ? -amount : amount};
	if (amount == 0)
		return PS_OK;
	return ps_ledger_invoice(c, t, &l, 1, s->prepaid, NULL);
}

/* ---- totals ---- */

struct sum_acc {
	struct ps_billing_sum *s;
	int64_t now;
};

static bool sum_invoice(void *arg, const struct ps_invoice *inv)
{
	struct sum_acc *a = arg;
	if (inv->status == PS_INV_VOID)
		return true;
	a->s->invoiced += inv->amount;
	if (inv->amount > inv->paid && inv->due_at < a->now) {
		a->s->past_due += inv->amount - inv->paid;
		if (!a->s->oldest_due || inv->due_at < a->s->oldest_due)
			a->s->oldest_due = inv->due_at;
	}
	return true;
}

ps_code ps_app_billing_sum(struct ps_ctx *c, int64_t tenant, struct ps_billing_sum *out)
{
	struct ps_tenant t;
	memset(out, 0, sizeof *out);
	ps_code rc = ps_app_tenant(c, tenant, &t);
	if (rc != PS_OK)
		return rc;
	snprintf(out->currency, sizeof out->currency, "%s", t.currency);
	struct sum_acc a = {out, c->now};
	rc = c->st->ops->invoice_list(c->st, tenant, false, 0, 0, sum_invoice, &a, &c->err);
	if (rc == PS_OK)
		rc = c->st->ops->payment_total(c->st, tenant, &out->paid, &c->err);
	out->balance = out->invoiced - out->paid;
	out->credit = out->balance < 0 ? -out->balance : 0;
	return rc;
}

/* ---- renewals ---- */

bool ps_app_billing_due(const struct ps_snapshot *snap, int64_t now)
{
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_subscription *s = &snap->subs[i].s;
		if (ps_sub_status_is_live(s->status) && s->billed_through > 0 && s->billed_through <= now)
			return true;
	}
	return false;
}

struct due_acc {
	struct ps_subscription *v;
	size_t n, cap;
	int64_t now;
};

static bool collect_due(void *arg, const struct ps_subscription *s)
{
	struct due_acc *a = arg;
	if (ps_sub_status_is_live(s->status) && s->billed_through > 0 && s->billed_through <= a->now) {
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
 * ahead); the rest follow on the next look. */
#define PS_RENEWALS_MAX 120

static ps_code renew_tx(struct ps_ctx *c, void *arg)
{
	struct due_arg *d = arg;
	struct ps_tenant t;
	struct due_acc a = {.now = c->now};
	ps_code rc = c->st->ops->tenant_get(c->st, d->tenant, &t, &c->err);
	if (rc == PS_OK)
		rc = c->st->ops->sub_list(c->st, d->tenant, 0, 0, collect_due, &a, &c->err);
	for (size_t i = 0; rc == PS_OK && i < a.n; i++) {
		struct ps_subscription *s = &a.v[i];
		const struct ps_plan *p = plan_of(c, s);
		if (!p)
			continue; /* a plan gone from the catalog cannot be priced */
		for (int k = 0; rc == PS_OK && s->billed_through <= c->now && k < PS_RENEWALS_MAX; k++) {
			struct ps_line_spec l = {.kind = PS_LINE_RENEWAL, .sub = s, .quantity = s->quantity,
						 .start = s->billed_through};
			if (s->prepaid) {
				l.end = ps_term_end(l.start, s->term);
				l.amount = ps_term_value(p->price_per_seat_month, s->quantity, s->term);
			} else {
				int64_t ps;
				ps_billing_period(s->term_start, 1, l.start, &ps, &l.end);
				l.amount = p->price_per_seat_month * s->quantity;
			}
			/* The invoice is issued on the day the period starts. */
			int64_t now = c->now;
			c->now = l.start;
			rc = ps_ledger_invoice(c, &t, &l, 1, s->prepaid, NULL);
			c->now = now;
			if (rc != PS_OK)
				break;
			s->billed_through = l.end;
			while (s->term_end <= l.start) { /* the term renews with its period */
				s->term_start = s->term_end;
				s->term_end = ps_term_end(s->term_start, s->term);
			}
			d->issued++;
		}
		if (rc == PS_OK)
			rc = c->st->ops->sub_update(c->st, s, &c->err);
		if (rc == PS_OK) {
			char ref[32], detail[128];
			char through[PS_TIME_LEN];
			ps_time_format(s->billed_through, through);
			snprintf(detail, sizeof detail, "{\"billed_through\":\"%s\"}", through);
			rc = ps_app_audit(c, d->tenant, "billing.renewal", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, s->id),
					  detail);
		}
	}
	ps_free(a.v);
	return rc;
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
	if ((rc = c->st->ops->payment_insert(c->st, a->p, &c->err)) != PS_OK)
		return rc;
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

/* ---- credit ---- */

int64_t ps_app_mrc(const struct ps_app *app, const struct ps_snapshot *snap)
{
	int64_t mrc = 0;
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *s = &snap->subs[i];
		const struct ps_plan *p = s->plan ? s->plan : ps_catalog_plan(app->catalog, s->s.plan_id);
		if (p && ps_sub_status_is_live(s->s.status))
			mrc += p->price_per_seat_month * s->s.quantity;
	}
	return mrc;
}

struct decide_arg {
	int64_t id;
	bool approved;
	struct ps_credit_check *cc;
	bool fail_waiting; /* the waiting upgrade proved impossible: fail it, change nothing else of it */
	bool change_failed; /* set when applying the waiting upgrade failed */
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
	if (d->approved && cc->amount > t.credit_limit) {
		t.credit_limit = cc->amount;
		if ((rc = c->st->ops->tenant_update(c->st, &t, &c->err)) != PS_OK)
			return rc;
	}
	if (cc->subscription_id) {
		struct ps_subscription s;
		rc = c->st->ops->sub_get(c->st, t.id, cc->subscription_id, &s, &c->err);
		if (rc != PS_OK)
			return rc;
		if (s.status == PS_SUB_PROVISIONING && s.billed_through == 0) {
			if (d->approved) {
				/* The term starts now that the purchase goes ahead. */
				s.status = c->app->provisioning_manual ? PS_SUB_PROVISIONING : PS_SUB_ACTIVE;
				s.term_start = c->now;
				s.term_end = ps_term_end(c->now, s.term);
				rc = ps_ledger_first(c, &t, &s);
			} else {
				s.status = PS_SUB_CANCELLED;
				s.term_end = c->now;
			}
			if (rc == PS_OK)
				rc = c->st->ops->sub_update(c->st, &s, &c->err);
			if (rc != PS_OK)
				return rc;
		}
	}
	if (cc->operation_id) {
		rc = ps_app_upgrade_credit_decided(c, &t, cc, d->fail_waiting);
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

ps_code ps_app_credit_decide(struct ps_ctx *c, int64_t id, bool approved, struct ps_credit_check *out)
{
	ps_code rc;
	struct decide_arg d = {id, approved, out, false, false};
	rc = ps_app_tx(c, decide_tx, &d);
	if (rc != PS_OK && d.change_failed) {
		/* What changed meanwhile makes the waiting upgrade impossible:
		 * everything it wrote is rolled back; the decision stands and the
		 * operation fails, in a transaction of their own. */
		d.fail_waiting = true;
		ps_err_clear(&c->err);
		rc = ps_app_tx(c, decide_tx, &d);
	}
	return rc;
}
