/* decide.c: the one decision (core layer): the automatic upgrade takes the
 * Upgrade tab's verdict and the target's own reasons; the manual change
 * takes what RULES' second part allows it (ended subscriptions that can
 * still be changed, add-on outcomes, acknowledgements). Pure. */
#include "ps_decide.h"
#include "ps_money.h"
#include "ps_policy.h"

#include <string.h>

const char *ps_addon_outcome_name(enum ps_addon_outcome o)
{
	return o == PS_ADDON_MOVED ? "moved" : "cancelled";
}

int64_t ps_addon_credit(const struct ps_addon_fate *f, int64_t now)
{
	if (f->outcome != PS_ADDON_CANCELLED)
		return 0;
	return -ps_seats_prorated(&f->addon->s, -f->addon->s.quantity, now, NULL);
}

int64_t ps_choice_addons_credit(const struct ps_choice *ch, int64_t now)
{
	int64_t sum = 0;
	for (size_t i = 0; i < ch->n_addons; i++)
		sum = ps_money_add(sum, ps_addon_credit(&ch->addons[i], now));
	return sum;
}

static struct ps_reason *add(struct ps_choice *ch, const struct ps_reason *from)
{
	struct ps_reason *r = &ch->reasons[ch->n_reasons++];
	*r = *from;
	return r;
}

static struct ps_reason *add_new(struct ps_choice *ch, const struct ps_snap_sub *sub, enum ps_reason_code code)
{
	struct ps_reason *r = &ch->reasons[ch->n_reasons++];
	memset(r, 0, sizeof *r);
	r->code = code;
	r->sub = sub;
	r->status = sub->s.status;
	return r;
}

static void name_users(struct ps_reason *r, const struct ps_choice_in *in)
{
	r->n_users = 0;
	for (size_t i = 0; i < in->n_clashes && i < PS_LIST_MAX && in->clash_users; i++)
		r->users[r->n_users++] = in->clash_users[i];
}

static bool is_addon(const struct ps_snap_sub *ss)
{
	return ss->s.addon_of != 0 || (ss->plan && ss->plan->addon);
}

/* The automatic upgrade: the tab's reasons, then the target's own. */
static void decide_upgrade(const struct ps_snapshot *snap, const struct ps_verdict *v, const struct ps_choice_in *in,
			   struct ps_choice *ch)
{
	const struct ps_snap_sub *s = v->sub;
	const struct ps_offer *o = ch->offer;
	if (!o && (v->n_reasons == 0 || !ps_can_move_to(&snap->tenant, s->plan, in->to))) {
		ch->input = PS_CHOICE_NOT_A_TARGET;
		return;
	}
	ch->credit_source = true;
	for (size_t i = 0; i < v->n_reasons; i++)
		add(ch, &v->reasons[i]);
	if (o && !o->supported) {
		struct ps_reason *r = add_new(ch, s, PS_R_TARGET_NOT_SUPPORTED);
		r->target = in->to;
		r->offer = o;
	}
	if (o && o->same_product)
		name_users(add(ch, &o->same_product_reason), in);
	ch->busy_only = ch->n_reasons == 1 && ch->reasons[0].code == PS_R_SERVICE_BUSY;
}

/* The manual change: allowed in more cases (RULES second part). */
static void decide_switch(const struct ps_snapshot *snap, const struct ps_verdict *v, const struct ps_choice_in *in,
			  struct ps_choice *ch)
{
	const struct ps_snap_sub *s = v->sub;
	enum ps_sub_status st = s->s.status;
	if (is_addon(s)) {
		ch->input = PS_CHOICE_ADDON_SOURCE;
		return;
	}
	/* Into an existing subscription: its plan, whatever the catalog's
	 * paths (the app checked it is a live base subscription of the tenant),
	 * unless retired: a retired plan is never a target (RULES "The catalog
	 * changes"), not even to merge into (its seats would rise). */
	if (in->mode == PS_SWITCH_INTO ? in->to->retired : !ps_can_move_to(&snap->tenant, s->plan, in->to)) {
		ch->input = PS_CHOICE_NOT_A_TARGET;
		return;
	}
	/* Replaced or cancelled: nothing left to change. Expired or disabled:
	 * the users move, the ended subscription stays ended, uncredited. */
	ch->credit_source = st == PS_SUB_ACTIVE || st == PS_SUB_PROVISIONING;
	if (st == PS_SUB_REPLACED || st == PS_SUB_CANCELLED)
		add_new(ch, s, PS_R_NOT_ELIGIBLE);
	const struct ps_reason *busy = ps_verdict_reason(v, PS_R_UPGRADE_IN_PROGRESS);
	if (busy)
		add(ch, busy);
	/* Users who already hold a seat of the target's product keep it and
	 * are listed; everyone else moves (RULES "Manual changes by seat"). */
	for (size_t i = 0; i < in->n_clashes && i < PS_LIST_MAX && in->clash_users; i++) {
		ch->license_kept[ch->n_license_errors] = in->clash_subs ? in->clash_subs[i] : 0;
		ch->license_errors[ch->n_license_errors++] = in->clash_users[i];
	}
	/* The add-ons: each moves, or is cancelled once acknowledged. */
	struct ps_reason *cancelled = NULL;
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *a = &snap->subs[i];
		if (in->mode == PS_SWITCH_SOME || !ps_sub_is_live_addon_of(&a->s, s->s.id))
			continue; /* some users: the source lives on with its add-ons */
		enum ps_addon_outcome oc = ps_addon_can_attach(a->plan, in->to) ? PS_ADDON_MOVED : PS_ADDON_CANCELLED;
		if (ch->n_addons < PS_LIST_MAX)
			ch->addons[ch->n_addons++] = (struct ps_addon_fate){a, oc};
		ch->total_addons++;
		if (oc == PS_ADDON_MOVED || in->acknowledge_addons)
			continue;
		if (!cancelled) {
			cancelled = add_new(ch, s, PS_R_HAS_ADDON);
			cancelled->target = in->to;
		}
		if (cancelled->n_subs < PS_LIST_MAX)
			cancelled->subs[cancelled->n_subs] = a;
		cancelled->n_subs++;
	}
	if (ch->total_addons > PS_LIST_MAX && !cancelled) {
		/* More add-ons than one change carries: the reason lists them. */
		cancelled = add_new(ch, s, PS_R_HAS_ADDON);
		for (size_t i = 0; i < ch->n_addons; i++)
			cancelled->subs[i] = ch->addons[i].addon;
		cancelled->n_subs = ch->total_addons;
	}
	ch->needs_data_ack = !in->acknowledge_data_loss && !(s->plan && ps_plan_is_data_safe(s->plan, in->to, NULL));
}

void ps_decide(const struct ps_snapshot *snap, const struct ps_verdict *v, const struct ps_choice_in *in,
	       struct ps_choice *out)
{
	out->kind = in->kind;
	out->to = in->to;
	out->input = PS_CHOICE_OK;
	out->allowed = false;
	out->busy_only = false;
	out->needs_data_ack = false;
	out->credit_source = false;
	out->offer = ps_verdict_offer(v, in->to->id);
	out->n_reasons = 0;
	out->n_addons = 0;
	out->total_addons = 0;
	out->n_license_errors = 0;
	if (in->kind == PS_OPK_UPGRADE)
		decide_upgrade(snap, v, in, out);
	else
		decide_switch(snap, v, in, out);
	out->allowed = out->input == PS_CHOICE_OK && out->n_reasons == 0 && !out->needs_data_ack;
}
