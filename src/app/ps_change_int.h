/* ps_change_int.h: the pieces of the change use case (upgrade.c) that the
 * changes at the end of the term (schedule.c) share with it, so that a
 * scheduled change is decided, sized and applied as an immediate one is.
 * App layer, not for other callers. */
#ifndef PS_CHANGE_INT_H
#define PS_CHANGE_INT_H

#include "ps_app.h"

/* The target plan the request names (target_plan), or 400 naming it. */
ps_code ps_change_target(struct ps_ctx *c, const struct ps_change_in *in, const struct ps_plan **to);
/* The quantity asked (default the source's), at least floor, into *q. */
ps_code ps_change_quantity(struct ps_ctx *c, const struct ps_snap_sub *s, const struct ps_change_in *in,
			   int64_t floor, int64_t *q);
/* The one decision (ps_decide) on moving d's subscription to `to`. */
ps_code ps_change_decide(struct ps_ctx *c, struct ps_decision *d, const struct ps_plan *to, enum ps_op_kind kind,
			 const struct ps_change_in *in);
/* The numbers of a whole change of s to d's target with `quantity` seats. */
void ps_change_plan_whole(struct ps_ctx *c, const struct ps_choice *d, const struct ps_snapshot *snap,
			  const struct ps_snap_sub *s, int64_t quantity, struct ps_change_plan *out);
/* Carry out op (its seats, money, subscriptions), inside the caller's
 * transaction. */
ps_code ps_change_apply(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op);
/* What a scheduled op waits to do is called off, inside the caller's
 * transaction: its job removed; a cancellation at term end also clears
 * the subscription's cancel_at (its subscription.updated declared). The
 * caller ends op (cancelled by the tenant, failed by the provider). */
ps_code ps_change_call_off(struct ps_ctx *c, const struct ps_operation *op);

#endif
