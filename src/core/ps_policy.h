/* ps_policy.h: the business rules that are not money (core layer), each
 * once: who may buy a plan, where a plan may move, where an add-on attaches,
 * when a period is due and when a credit check is needed. Pure functions:
 * no I/O, no clock, no allocation. The engine (rules.c), the use cases and
 * the previews all decide with these; doc/BILLING.md and RULES.md say why. */
#ifndef PS_POLICY_H
#define PS_POLICY_H

#include "ps_catalog.h"
#include "ps_model.h"

#include <stdbool.h>
#include <stdint.h>

struct ps_snapshot;

/* Why a tenant may not buy a plan, or PS_BUY_OK. */
enum ps_buy {
	PS_BUY_OK,
	PS_BUY_CURRENCY, /* the plan is sold in another currency than the tenant pays in */
	PS_BUY_SEGMENT,  /* a segment plan (education, government, ...) of another segment */
	PS_BUY_RETIRED   /* a retired plan: no longer sold */
};
/* Whether tenant t may buy plan p: its currency, and a segment plan only for
 * that segment (commercial plans are for everyone). */
enum ps_buy ps_plan_buyable(const struct ps_tenant *t, const struct ps_plan *p);
bool ps_can_buy(const struct ps_tenant *t, const struct ps_plan *p);
/* Whether a subscription of plan `from` (NULL: missing from the catalog)
 * may be moved to plan `to` by tenant t, by upgrade or manual change: a base
 * plan other than its own that the tenant may buy. */
bool ps_can_move_to(const struct ps_tenant *t, const struct ps_plan *from, const struct ps_plan *to);
/* Whether add-on plan `addon` attaches to base plan `base` (false when
 * either is NULL). */
bool ps_addon_can_attach(const struct ps_plan *addon, const struct ps_plan *base);

/* Whether s is a live add-on attached to the base subscription base_id:
 * what blocks an upgrade (has_addon), a cancellation, and moves with a plan. */
bool ps_sub_is_live_addon_of(const struct ps_subscription *s, int64_t base_id);

/* Whether a period of s is due to be invoiced at `now`: s is live, was
 * billed once, the clock reached the end of what was billed, and no
 * cancellation at term end (cancel_at) comes first. */
bool ps_sub_is_billing_due(const struct ps_subscription *s, int64_t now);
/* Whether s is live with a change waiting for the end of its term (a
 * cancellation: cancel_at), which the fleet summary counts. */
bool ps_sub_has_scheduled_change(const struct ps_subscription *s);
/* The scheduled operation (a change at term end) of subscription sub in
 * the snapshot, or NULL. */
const struct ps_operation *ps_snapshot_scheduled_op(const struct ps_snapshot *snap, int64_t sub);

/* The tenant's monthly recurring charge: the monthly charge of every live
 * subscription of a resolved snapshot (prepaid ones by their monthly price;
 * a plan missing from the catalog counts 0). Saturates at INT64_MAX rather
 * than overflow. */
int64_t ps_snapshot_mrc(const struct ps_snapshot *snap);
/* Whether a change taking tenant t's monthly recurring charge from
 * mrc_before to mrc_after must wait on a credit check: t pays by invoice and
 * the change raises the charge above its credit limit. */
bool ps_credit_check_is_needed(const struct ps_tenant *t, int64_t mrc_before, int64_t mrc_after);

#endif
