/* ps_app_int.h: helpers shared by the app layer's files; not for callers.
 * The files call each other one way, from the top down (a file calls only
 * files below it):
 *   demo.c   clock.c (setting the manual clock runs the jobs due)
 *   jobs.c (the background runner: it calls the use cases below, which
 *     schedule their later work with its one leaf function ps_jobs_schedule)
 *   deliver.c (webhook deliveries, from the runner) → hook_events.c, webhooks.c
 *   subscriptions.c (purchases, seats, lifecycle)   tenants.c, health.c
 *   schedule.c (changes at term end) → upgrade.c (the Upgrade tab, preview,
 *     upgrade, manual change, what waited; ps_change_int.h)
 *   billing.c (renewals, billing sum, payments)   credit.c (credit checks)
 *   ledger.c (invoices, lines, settlement)   fleet.c
 *   events.c (the outbox: events declared, written by ps_app_tx)
 *   app.c, util.c (context, catalog, rights, audit, transactions, evaluation)
 * A credit check's decision (credit.c) reaches the operation waiting on it
 * through a callback (ps_credit_waiter) that upgrade.c hands it. */
#ifndef PS_APP_INT_H
#define PS_APP_INT_H

#include "ps_app.h"
#include "ps_render.h"

/* Check a text field: present, 1..max bytes, valid UTF-8, no control chars. */
ps_code ps_app_text(struct ps_ctx *c, const char *field, const char *s, size_t max);
/* A subscription has at most one scheduled change (upgrade.c): PS_CONFLICT
 * (field scheduled or cancel_at) naming the one it has, else PS_OK. */
ps_code ps_app_no_scheduled(struct ps_ctx *c, const struct ps_subscription *s);
/* src's cancellation at term end (upgrade.c), inside the caller's
 * transaction, when src is replaced by dst now: it moves to dst when dst
 * keeps it (dst->cancel_at), else it ends with src (its operation
 * cancelled, its job removed; dst NULL: src is cancelled now). Clears
 * src->cancel_at (saved by the caller). */
ps_code ps_app_cancellation_follows(struct ps_ctx *c, struct ps_subscription *src, const struct ps_subscription *dst);
/* Run fn inside one write transaction: begin, fn, commit; rollback on error. */
ps_code ps_app_tx(struct ps_ctx *c, ps_code (*fn)(struct ps_ctx *c, void *arg), void *arg);
/* Declare an event of the change under way (events.c): ps_app_tx writes
 * it in the change's transaction, before commit; a rollback or a run again
 * forgets it. Returns the writer of its `data`: the caller writes one JSON
 * value, the object as the API shows it (render.c). obj: the object's id
 * (0: none); declaring (type, obj) again in one transaction replaces its
 * data, and an `updated` of an object `created` in it replaces the
 * created's (one event, the object as it is at commit). */
struct ps_jw *ps_app_event(struct ps_ctx *c, enum ps_event_type type, int64_t tenant, int64_t obj);
/* ps_app_tx's: forget the declared events; write them (PS_OK when none). */
void ps_app_events_clear(struct ps_ctx *c);
ps_code ps_app_events_write(struct ps_ctx *c);
void ps_app_events_fini(struct ps_ctx *c);
/* The store's sub_insert, sub_update, operation_insert and operation_update,
 * each declaring its event (subscription.created / .updated,
 * operation.created / .updated) when it succeeds: the app layer saves
 * subscriptions and operations only through these. */
ps_code ps_app_sub_insert(struct ps_ctx *c, struct ps_subscription *s);
ps_code ps_app_sub_update(struct ps_ctx *c, const struct ps_subscription *s);
ps_code ps_app_op_insert(struct ps_ctx *c, struct ps_operation *op);
ps_code ps_app_op_update(struct ps_ctx *c, const struct ps_operation *op);
/* "sub_12" for an id, into out. */
const char *ps_app_ref(char *out, size_t cap, const char *prefix, int64_t id);

/* Load the tenant's snapshot at c->now (inside the caller's transaction, if
 * any) into the context's workspace and evaluate sub: *out gets the
 * decision (offer NULL; out->verdict->sub is the subscription). */
ps_code ps_app_evaluate(struct ps_ctx *c, int64_t tenant, int64_t sub, unsigned flags, struct ps_decision *out);

/* Make cat (version `version`) the process's catalog (app.c), unless it
 * already has that version or a newer one: then cat is freed. */
void ps_app_catalog_install(struct ps_app *app, struct ps_catalog *cat, int64_t version);

/* Inside a write transaction that makes subscriptions of catalog plans (a
 * purchase, an upgrade, a manual change): the store's current catalog
 * version, held until commit so that no load drops a plan meanwhile; when
 * a load committed since the request began, c->cat becomes it. Call it
 * before looking plans up. */
ps_code ps_app_catalog_hold(struct ps_ctx *c);

/* ---- the ledger (ledger.c), inside the caller's transaction ---- */

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
/* The ledger's totals of a tenant at c->now (all of *out but currency). */
ps_code ps_ledger_totals(struct ps_ctx *c, int64_t tenant, struct ps_billing_sum *out);
/* Prorate a change of `delta` seats (may be negative) at c->now over what is
 * left of the current period: a charge or a credit note. Prepaid: more seats
 * are charged for the rest of the term, fewer are not credited. */
ps_code ps_ledger_seats(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_subscription *s, int64_t delta,
			enum ps_line_kind kind);

/* ---- credit checks (credit.c) ---- */

/* Request a credit check for tenant t, whose monthly recurring charge would
 * become `amount`, for what waits on it: the purchase sub_id or the
 * operation op_id (the other 0); inside the caller's transaction, audited.
 * *out gets it, expected in two business days. */
ps_code ps_credit_request(struct ps_ctx *c, const struct ps_tenant *t, int64_t amount, int64_t sub_id, int64_t op_id,
			  struct ps_credit_check *out);
/* The same for a seat increase of live subscription sub_id to `quantity`
 * seats, applied when the check is approved (nothing changes when denied). */
ps_code ps_credit_request_seats(struct ps_ctx *c, const struct ps_tenant *t, int64_t amount, int64_t sub_id,
				int64_t quantity, struct ps_credit_check *out);
/* What goes on when credit check cc, that an operation waits on, is decided,
 * inside the decision's transaction: approved, the change is made; denied,
 * the operation fails. An approved change that can no longer be done returns
 * its error (PS_CONFLICT, PS_INVALID_FIELD) so the decision rolls back what
 * it wrote and runs again with fail set: then the operation only fails. */
typedef ps_code (*ps_credit_waiter)(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_credit_check *cc,
				    bool fail);
/* The provider's decision on credit check id (ps_app_credit_decide): the
 * limit raised to cover it when approved, a waiting purchase invoiced and
 * activated (or cancelled), a waiting operation handed to on_operation. */
ps_code ps_credit_decide(struct ps_ctx *c, int64_t id, bool approved, struct ps_credit_check *out,
			 ps_credit_waiter on_operation);

/* Subscription s (just updated) became active: the operation that created
 * it in `provisioning` completes (upgrade.c). */
ps_code ps_app_provisioned(struct ps_ctx *c, const struct ps_subscription *s);
/* Subscription s (just updated) was disabled: the upgrade or manual change
 * that created it in `provisioning` fails and is undone (upgrade.c). */
ps_code ps_app_provisioning_failed(struct ps_ctx *c, const struct ps_subscription *s);

/* Free the fleet summary kept in app (fleet.c); ps_app_fini calls it. */
void ps_app_fleet_fini(struct ps_app *app);

#endif
