/* ps_app_int.h: helpers shared by the app layer's files; not for callers. */
#ifndef PS_APP_INT_H
#define PS_APP_INT_H

#include "ps_app.h"

/* Check a text field: present, 1..max bytes, valid UTF-8, no control chars. */
ps_code ps_app_text(struct ps_ctx *c, const char *field, const char *s, size_t max);
/* Run fn inside one write transaction: begin, fn, commit; rollback on error. */
ps_code ps_app_tx(struct ps_ctx *c, ps_code (*fn)(struct ps_ctx *c, void *arg), void *arg);
/* "sub_12" for an id, into out. */
const char *ps_app_ref(char *out, size_t cap, const char *prefix, int64_t id);

/* Load the tenant's snapshot at c->now (inside the caller's transaction, if
 * any) and evaluate sub into c->verdict; *out (may be NULL) gets it. */
ps_code ps_app_evaluate(struct ps_ctx *c, int64_t tenant, int64_t sub, unsigned flags,
			const struct ps_snap_sub **out);

/* ---- the ledger (billing.c), inside the caller's transaction ---- */

struct ps_line_spec {
	enum ps_line_kind kind;
	const struct ps_subscription *sub;
	int64_t quantity;
	int64_t start, end; /* the part of the period charged or credited */
	int64_t amount;     /* minor units; negative for a credit */
};
/* Issue one invoice of these lines (skipped when they sum to 0). A
 * positive invoice is due in 30 days for a tenant paying by invoice, or
 * charged at once (a card payment is recorded) when pay_now or the tenant
 * pays by card; a negative one is a credit note. Then settles the ledger. */
ps_code ps_ledger_invoice(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_line_spec *lines, size_t n,
			  bool pay_now, int64_t *invoice_id);
/* Payments and credit notes settle positive invoices oldest first. */
ps_code ps_ledger_settle(struct ps_ctx *c, int64_t tenant);
/* The first invoice of a subscription starting at c->now (the first month,
 * or the whole term when prepaid); sets s->billed_through, not saved. */
ps_code ps_ledger_first(struct ps_ctx *c, const struct ps_tenant *t, struct ps_subscription *s);
/* What is left at c->now of the period s was billed for: its end, the whole
 * days left (rounded up) and the days of the whole period (the term when
 * prepaid). false when nothing is billed past now. */
bool ps_ledger_rest(const struct ps_ctx *c, const struct ps_subscription *s, int64_t *end, int64_t *left,
		    int64_t *days);
/* Prorate a change of `delta` seats (may be negative) at c->now over what is
 * left of the current period: a charge or a credit note. Prepaid: more seats
 * are charged for the rest of the term, fewer are not credited. */
ps_code ps_ledger_seats(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_subscription *s, int64_t delta,
			enum ps_line_kind kind);

/* An upgrade waiting on credit check cc goes on (approved) or fails
 * (upgrade.c), inside the decision's transaction. An approved one that can
 * no longer be done returns its error (PS_CONFLICT, PS_INVALID_FIELD) so the
 * caller rolls back what it wrote; with fail, it is only marked failed. */
ps_code ps_app_upgrade_credit_decided(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_credit_check *cc,
				      bool fail);

/* Subscription s (just updated) became active: the operation that created
 * it in `provisioning` completes (upgrade.c). */
ps_code ps_app_provisioned(struct ps_ctx *c, const struct ps_subscription *s);

/* Free the fleet summary kept in app (fleet.c); ps_app_fini calls it. */
void ps_app_fleet_fini(struct ps_app *app);

#endif
