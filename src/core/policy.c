/* policy.c: the business rules that are not money (core layer), each once:
 * may buy, may move to, add-on fits, period due, monthly recurring charge,
 * credit check needed. Pure: no I/O, no clock, no allocation. */
#include "ps_policy.h"
#include "ps_money.h"
#include "ps_rules.h"

#include <string.h>

enum ps_buy ps_plan_buyable(const struct ps_tenant *t, const struct ps_plan *p)
{
	if (p->retired)
		return PS_BUY_RETIRED;
	if (strcmp(p->currency, t->currency) != 0)
		return PS_BUY_CURRENCY;
	if (p->segment != PS_SEG_COMMERCIAL && p->segment != t->segment)
		return PS_BUY_SEGMENT;
	return PS_BUY_OK;
}

bool ps_can_buy(const struct ps_tenant *t, const struct ps_plan *p)
{
	return ps_plan_buyable(t, p) == PS_BUY_OK;
}

bool ps_can_move_to(const struct ps_tenant *t, const struct ps_plan *from, const struct ps_plan *to)
{
	return to != from && !to->addon && ps_can_buy(t, to);
}

bool ps_addon_can_attach(const struct ps_plan *addon, const struct ps_plan *base)
{
	if (!addon || !base)
		return false;
	for (size_t i = 0; i < addon->n_attaches_to; i++)
		if (addon->attaches_to[i] == base)
			return true;
	return false;
}

bool ps_sub_is_live_addon_of(const struct ps_subscription *s, int64_t base_id)
{
	return base_id != 0 && s->addon_of == base_id && ps_sub_status_is_live(s->status);
}

bool ps_sub_is_billing_due(const struct ps_subscription *s, int64_t now)
{
	/* A subscription a manual change superseded (an expired or disabled
	 * one keeps its status) is not billed again; nor one cancelled at the
	 * end of what is billed (cancel_at). */
	return ps_sub_status_is_live(s->status) && s->replaced_by == 0 && s->billed_through > 0 &&
	       s->billed_through <= now && !(s->cancel_at && s->cancel_at <= s->billed_through);
}

bool ps_sub_has_scheduled_change(const struct ps_subscription *s)
{
	return ps_sub_status_is_live(s->status) && s->cancel_at > 0;
}

const struct ps_operation *ps_snapshot_scheduled_op(const struct ps_snapshot *snap, int64_t sub)
{
	for (size_t i = 0; i < snap->n_ops; i++)
		if (snap->ops[i].state == PS_OP_SCHEDULED && snap->ops[i].source_sub == sub)
			return &snap->ops[i];
	return NULL;
}

int64_t ps_snapshot_mrc(const struct ps_snapshot *snap)
{
	int64_t mrc = 0;
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *s = &snap->subs[i];
		if (!ps_sub_status_is_live(s->s.status) || s->s.replaced_by != 0)
			continue;
		if (__builtin_add_overflow(mrc, ps_sub_monthly_charge(&s->s, s->s.quantity), &mrc))
			return INT64_MAX;
	}
	return mrc;
}

bool ps_credit_check_is_needed(const struct ps_tenant *t, int64_t mrc_before, int64_t mrc_after)
{
	return t->payment == PS_PAY_INVOICE && mrc_after > mrc_before && mrc_after > t->credit_limit;
}
