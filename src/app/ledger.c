/* ledger.c: the ledger (app layer). Every money figure comes from two kinds
 * of rows: invoices (made of lines; a credit note is an invoice with a
 * negative amount) and payments. Payments and credit notes settle positive
 * invoices oldest first; what is left is the tenant's credit. The amounts
 * come from the money rules of core/ps_money.h (doc/BILLING.md); this file
 * writes them, inside the caller's transaction. Every sum is checked: a
 * charge that would take the ledger past PS_LEDGER_MAX is refused, and a
 * figure that cannot be represented is never written. */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_mem.h"
#include "../common/ps_time.h"
#include "../core/ps_money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_INVOICE_DAYS 30

static const struct ps_plan *plan_of(struct ps_ctx *c, const struct ps_subscription *s)
{
	return c->cat ? ps_catalog_plan(c->cat, s->plan_id) : NULL;
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

/* A stored ledger whose sums do not fit: written before the limits, or by
 * hand. Nothing is settled from it. */
static ps_code too_large(struct ps_ctx *c, int64_t tenant)
{
	return ps_err_set(&c->err, PS_CONFLICT, "amount",
			  "the ledger of tenant %s%lld holds more than can be summed: nothing was changed",
			  PS_PFX_TENANT, (long long)tenant);
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
		if (a.v[i].amount < 0 && a.v[i].status != PS_INV_VOID &&
		    (a.v[i].amount == INT64_MIN || !ps_money_sum(&pool, -a.v[i].amount)))
			rc = too_large(c, tenant);
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

static bool event_line(void *arg, const struct ps_invoice_line *l)
{
	ps_render_line(arg, l);
	return true;
}

ps_code ps_ledger_invoice(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_line_spec *lines, size_t n,
			  bool pay_now, int64_t *invoice_id)
{
	struct ps_store *st = c->st;
	struct ps_invoice inv;
	int64_t total = 0;
	if (invoice_id)
		*invoice_id = 0;
	for (size_t i = 0; i < n; i++)
		if (!ps_money_sum(&total, lines[i].amount))
			return ps_err_set(&c->err, PS_INVALID_FIELD, "quantity",
					  "this change would cost more than can be invoiced");
	if (total == 0)
		return PS_OK; /* nothing to charge or credit (a free plan, an even swap) */
	if (total > 0) {
		/* The tenant's charges stay within PS_LEDGER_MAX (ps_money.h). */
		struct ps_billing_sum sum;
		ps_code rc = ps_ledger_totals(c, t->id, &sum);
		if (rc != PS_OK)
			return rc;
		int64_t charged = sum.charged;
		if (!ps_money_sum(&charged, total) || charged > PS_LEDGER_MAX)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "quantity",
					  "this change would take the invoices of this tenant past %lld %s, the most "
					  "one ledger holds",
					  (long long)PS_LEDGER_MAX, t->currency);
	}
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
		rc = ps_ledger_totals(c, t->id, &sum);
		int64_t owed = sum.balance;
		int64_t paid = sum.paid;
		if (rc == PS_OK && owed > 0 &&
		    (!ps_money_sum(&paid, owed < total ? owed : total) || paid > PS_LEDGER_MAX))
			rc = ps_err_set(&c->err, PS_INVALID_FIELD, "quantity",
					"this charge would take the payments of this tenant past %lld %s, the most "
					"one ledger holds",
					(long long)PS_LEDGER_MAX, t->currency);
		if (rc == PS_OK && owed > 0) {
			struct ps_receipt p;
			memset(&p, 0, sizeof p);
			p.tenant_id = t->id;
			p.amount = owed < total ? owed : total;
			snprintf(p.currency, sizeof p.currency, "%s", t->currency);
			p.received_at = c->now;
			rc = st->ops->payment_insert(st, &p, &c->err);
			if (rc == PS_OK)
				ps_render_receipt(ps_app_event(c, PS_EV_PAYMENT_RECEIVED, t->id, p.id), &p);
		}
	}
	if (rc == PS_OK)
		rc = ps_ledger_settle(c, t->id);
	/* Its event: the invoice as it stands once settled, with its lines,
	 * as GET .../billing shows it. */
	if (rc == PS_OK && (rc = st->ops->invoice_get(st, t->id, inv.id, &inv, &c->err)) == PS_OK) {
		struct ps_jw *w = ps_app_event(c, PS_EV_INVOICE_ISSUED, t->id, inv.id);
		ps_render_invoice(w, &inv, c->now);
		ps_jw_key(w, "lines");
		ps_jw_arr(w);
		rc = st->ops->invoice_line_list(st, t->id, inv.id, event_line, w, &c->err);
		ps_jw_arr_end(w);
		ps_jw_obj_end(w);
	}
	if (rc == PS_OK && invoice_id)
		*invoice_id = inv.id;
	return rc;
}

ps_code ps_ledger_first(struct ps_ctx *c, const struct ps_tenant *t, struct ps_subscription *s)
{
	struct ps_period first;
	ps_first_period(s, c->now, &first); /* at the price s was sold at */
	struct ps_line_spec l = {.kind = PS_LINE_PURCHASE, .sub = s, .quantity = s->quantity, .start = first.start,
				 .end = first.end, .amount = first.amount};
	s->billed_through = l.end;
	return ps_ledger_invoice(c, t, &l, 1, s->prepaid, NULL);
}

ps_code ps_ledger_seats(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_subscription *s, int64_t delta,
			enum ps_line_kind kind)
{
	int64_t end;
	int64_t amount = ps_seats_prorated(s, delta, c->now, &end); /* at the price s was sold at */
	if (amount == 0)
		return PS_OK; /* nothing billed for the rest of this period, or no credit for prepaid time */
	struct ps_line_spec l = {.kind = kind, .sub = s, .quantity = delta < 0 ? -delta : delta, .start = c->now,
				 .end = end, .amount = amount};
	return ps_ledger_invoice(c, t, &l, 1, s->prepaid, NULL);
}

/* ---- totals ---- */

struct sum_acc {
	struct ps_billing_sum *s;
	int64_t now;
};

/* Reads saturate (ps_money_add) rather than fail: within the limits of
 * ps_money.h nothing here comes near them; a ledger beyond them still
 * reads, and its writes are refused (too_large, the cap above). */
static bool sum_invoice(void *arg, const struct ps_invoice *inv)
{
	struct sum_acc *a = arg;
	if (inv->status == PS_INV_VOID)
		return true;
	a->s->invoiced = ps_money_add(a->s->invoiced, inv->amount);
	if (inv->amount > 0)
		a->s->charged = ps_money_add(a->s->charged, inv->amount);
	if (inv->amount > inv->paid && inv->due_at < a->now) {
		a->s->past_due = ps_money_add(a->s->past_due, ps_money_sub(inv->amount, inv->paid));
		if (!a->s->oldest_due || inv->due_at < a->s->oldest_due)
			a->s->oldest_due = inv->due_at;
	}
	return true;
}

ps_code ps_ledger_totals(struct ps_ctx *c, int64_t tenant, struct ps_billing_sum *out)
{
	struct sum_acc a = {out, c->now};
	out->invoiced = out->charged = out->paid = out->past_due = out->oldest_due = 0;
	ps_code rc = c->st->ops->invoice_list(c->st, tenant, false, 0, 0, sum_invoice, &a, &c->err);
	if (rc == PS_OK)
		rc = c->st->ops->payment_total(c->st, tenant, &out->paid, &c->err);
	out->balance = ps_money_sub(out->invoiced, out->paid);
	out->credit = out->balance < 0 ? ps_money_sub(0, out->balance) : 0;
	return rc;
}
