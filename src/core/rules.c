/* rules.c: the eligibility engine (core layer), RULES.md as code.
 * ps_rules_evaluate() reads a catalog and a snapshot of one tenant and writes
 * a verdict: every blocking reason in RULES' order, and the offers. Pure: no
 * I/O, no clock, no allocation. A verdict is large (offers, lists), so only
 * the parts in use are initialised, never the whole struct. */
#include "ps_rules.h"
#include "ps_money.h"
#include "ps_policy.h"

#include <string.h>

PS_DEFINE_ENUM(ps_reason_code, PS_R, PS_REASON_MAP)
PS_DEFINE_ENUM(ps_remedy, PS_REM, PS_REMEDY_MAP)

/* ---- Remedies (RULES table, last column) ------------------------------ */

static const enum ps_remedy rem_conflict[] = {PS_REM_RESOLVE_LICENSE_CONFLICTS, PS_REM_CHANGE_PLANS_MANUALLY,
					      PS_REM_CALL_SUPPORT};
static const enum ps_remedy rem_wait_support[] = {PS_REM_WAIT, PS_REM_CALL_SUPPORT};
static const enum ps_remedy rem_wait[] = {PS_REM_WAIT};
static const enum ps_remedy rem_manual[] = {PS_REM_CHANGE_PLANS_MANUALLY, PS_REM_CALL_SUPPORT};
/* RULES second part: prepaid_plan blocks only immediate changes. */
static const enum ps_remedy rem_prepaid[] = {PS_REM_SCHEDULE_AT_TERM_END, PS_REM_CHANGE_PLANS_MANUALLY,
					     PS_REM_CALL_SUPPORT};
static const enum ps_remedy rem_retry[] = {PS_REM_RETRY_LATER};
static const enum ps_remedy rem_pay[] = {PS_REM_PAY_NOW};
static const enum ps_remedy rem_support[] = {PS_REM_CALL_SUPPORT};
static const enum ps_remedy rem_support_wait[] = {PS_REM_CALL_SUPPORT, PS_REM_WAIT};

#define LIST(a) {a, sizeof a / sizeof a[0]}
static const struct {
	const enum ps_remedy *r;
	size_t n;
} remedies[PS_R__COUNT] = {
	[PS_R_LICENSE_CONFLICT] = LIST(rem_conflict),
	[PS_R_SUBSCRIPTION_NOT_READY] = LIST(rem_wait_support),
	[PS_R_SERVICE_INCIDENT] = LIST(rem_wait_support),
	[PS_R_UPGRADE_IN_PROGRESS] = LIST(rem_wait),
	[PS_R_CREDIT_CHECK_PENDING] = LIST(rem_wait),
	[PS_R_NOT_ELIGIBLE] = LIST(rem_manual),
	[PS_R_MULTIPLE_PLANS_SAME_PRODUCT] = LIST(rem_manual),
	[PS_R_PREPAID_PLAN] = LIST(rem_prepaid),
	[PS_R_SEGMENT_RESTRICTED] = LIST(rem_manual),
	[PS_R_SERVICE_BUSY] = LIST(rem_retry),
	[PS_R_TARGET_NOT_SUPPORTED] = LIST(rem_manual),
	[PS_R_HAS_ADDON] = LIST(rem_manual),
	[PS_R_UNPAID_BALANCE] = LIST(rem_pay),
	[PS_R_OTHER] = LIST(rem_manual),
};
#undef LIST

const enum ps_remedy *ps_reason_remedies(enum ps_reason_code c, size_t *n)
{
	if ((unsigned)c >= PS_R__COUNT) {
		*n = 0;
		return NULL;
	}
	*n = remedies[c].n;
	return remedies[c].r;
}

const enum ps_remedy *ps_reason_remedies_of(const struct ps_reason *r, size_t *n)
{
	if (r->code == PS_R_NOT_ELIGIBLE && !r->no_upgrade_path &&
	    (r->status == PS_SUB_REPLACED || r->status == PS_SUB_CANCELLED)) {
		*n = 1;
		return rem_support;
	}
	/* Not ready, or an incident not resolved, past the time the provider
	 * expects: call support first. */
	if ((r->code == PS_R_SUBSCRIPTION_NOT_READY || r->code == PS_R_SERVICE_INCIDENT) && r->overdue) {
		*n = 2;
		return rem_support_wait;
	}
	return ps_reason_remedies(r->code, n);
}

/* ---- Helpers ----------------------------------------------------------- */

/* r with every scalar detail cleared (the lists are left as they are:
 * their counts say what is valid). */
static struct ps_reason *clear_reason(struct ps_reason *r, const struct ps_snap_sub *sub, enum ps_reason_code code)
{
	r->code = code;
	r->wait_until = 0;
	r->overdue = false;
	r->status = sub->s.status;
	r->no_upgrade_path = false;
	r->n_subs = 0;
	r->n_incidents = 0;
	r->operation_id = 0;
	r->credit_check_id = r->requested_at = r->expected_by = 0;
	r->term_end = r->unused_days = r->unused_value = 0;
	r->segment = PS_SEG_COMMERCIAL;
	r->retry_after_s = 0;
	r->amount_due = r->oldest_due = 0;
	r->other = PS_OTHER_NONE;
	r->other_ref = NULL;
	r->sub = sub;
	r->target = NULL;
	r->offer = NULL;
	r->n_users = 0;
	return r;
}

/* A new reason at the end of the verdict, cleared. */
static struct ps_reason *add_reason(struct ps_verdict *v, enum ps_reason_code code)
{
	return clear_reason(&v->reasons[v->n_reasons++], v->sub, code);
}

static void list_sub(struct ps_reason *r, const struct ps_snap_sub *ss)
{
	if (r->n_subs < PS_LIST_MAX)
		r->subs[r->n_subs] = ss;
	r->n_subs++;
}

static bool is_addon(const struct ps_snap_sub *ss)
{
	return ss->s.addon_of != 0 || (ss->plan && ss->plan->addon);
}

static bool plan_has_service_id(const struct ps_plan *p, const char *service_id)
{
	for (size_t i = 0; i < p->n_services; i++)
		if (strcmp(p->services[i]->id, service_id) == 0)
			return true;
	return false;
}

/* ---- The reasons, one function each, in RULES order ------------------- */

/* 1: any live subscription of the tenant has more assigned than purchased. */
static void check_license_conflict(struct ps_verdict *v, const struct ps_snapshot *snap)
{
	struct ps_reason *r = NULL;
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *ss = &snap->subs[i];
		if (!ps_sub_status_is_live(ss->s.status) || ss->s.assigned <= ss->s.quantity)
			continue;
		if (!r)
			r = add_reason(v, PS_R_LICENSE_CONFLICT);
		list_sub(r, ss);
	}
}

/* 3: an open incident on a service of this subscription's plan; overdue
 * once the last eta has passed (every incident has one and none is
 * resolved by then). */
static void check_incidents(struct ps_verdict *v, const struct ps_snapshot *snap, int64_t now)
{
	const struct ps_plan *plan = v->sub->plan;
	struct ps_reason *r = NULL;
	if (!plan)
		return;
	for (size_t i = 0; i < snap->n_incidents; i++) {
		const struct ps_snap_incident *in = &snap->incidents[i];
		if (in->status == PS_INC_RESOLVED || !plan_has_service_id(plan, in->service_id))
			continue;
		if (!r) {
			r = add_reason(v, PS_R_SERVICE_INCIDENT);
			r->wait_until = in->eta;
		}
		/* Until the last eta; one incident without an eta: unknown. */
		if (r->wait_until != 0 && (in->eta == 0 || in->eta > r->wait_until))
			r->wait_until = in->eta;
		if (r->n_incidents < PS_LIST_MAX)
			r->incidents[r->n_incidents] = in;
		r->n_incidents++;
	}
	if (r)
		r->overdue = r->wait_until != 0 && now >= r->wait_until;
}

/* 4: the tenant has an operation not yet finished. */
static void check_in_progress(struct ps_verdict *v, const struct ps_snapshot *snap)
{
	for (size_t i = 0; i < snap->n_ops; i++) {
		const struct ps_operation *op = &snap->ops[i];
		/* A change scheduled for the end of a term blocks nothing now. */
		if (op->state != PS_OP_PENDING_CREDIT_CHECK && op->state != PS_OP_PROVISIONING)
			continue;
		struct ps_reason *r = add_reason(v, PS_R_UPGRADE_IN_PROGRESS);
		r->operation_id = op->id;
		/* Until its credit check is expected, or its start plus the
		 * provisioning time. */
		if (op->credit_check_id && snap->has_credit_check && snap->credit_check.id == op->credit_check_id)
			r->wait_until = snap->credit_check.expected_by;
		else
			r->wait_until = op->created_at + ps_snapshot_provisioning_sla(snap);
		return;
	}
}

/* 6: not active (provisioning is reason 2), or a plan with nowhere to go. */
static void check_not_eligible(struct ps_verdict *v)
{
	const struct ps_snap_sub *ss = v->sub;
	enum ps_sub_status st = ss->s.status;
	if (st != PS_SUB_ACTIVE && st != PS_SUB_PROVISIONING)
		add_reason(v, PS_R_NOT_ELIGIBLE);
	else if (ss->plan && !ps_plan_has_offered_path(ss->plan))
		add_reason(v, PS_R_NOT_ELIGIBLE)->no_upgrade_path = true;
}

/* A live base subscription that no manual change superseded (an expired or
 * disabled one changed manually keeps its status, and its successor). */
static bool counts_as_plan(const struct ps_snap_sub *ss)
{
	return ps_sub_status_is_live(ss->s.status) && !is_addon(ss) && ss->s.replaced_by == 0;
}

/* 7: two or more live base subscriptions of this subscription's product. */
static void check_same_product(struct ps_verdict *v, const struct ps_snapshot *snap)
{
	const struct ps_snap_sub *me = v->sub;
	if (is_addon(me) || me->s.product_id[0] == '\0')
		return;
	size_t n = 0;
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *ss = &snap->subs[i];
		if (counts_as_plan(ss) && strcmp(ss->s.product_id, me->s.product_id) == 0)
			n++;
	}
	if (n < 2)
		return;
	struct ps_reason *r = add_reason(v, PS_R_MULTIPLE_PLANS_SAME_PRODUCT);
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *ss = &snap->subs[i];
		if (counts_as_plan(ss) && strcmp(ss->s.product_id, me->s.product_id) == 0)
			list_sub(r, ss);
	}
}

bool ps_rules_same_product(const struct ps_snapshot *snap, const struct ps_snap_sub *sub, const struct ps_plan *to,
			   struct ps_reason *r)
{
	bool any = false;
	if (!to || !to->product)
		return false;
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *ss = &snap->subs[i];
		if (ss == sub || ss->s.id == sub->s.id || strcmp(ss->s.product_id, to->product->id) != 0)
			continue;
		if (!(ps_sub_status_is_live(ss->s.status) && ss->s.replaced_by == 0) && ss->s.assigned <= 0)
			continue;
		if (!any)
			clear_reason(r, sub, PS_R_MULTIPLE_PLANS_SAME_PRODUCT)->target = to;
		any = true;
		list_sub(r, ss);
	}
	return any;
}

/* 8: prepaid and the term not over: what would be lost. */
static void check_prepaid(struct ps_verdict *v, int64_t now)
{
	const struct ps_snap_sub *ss = v->sub;
	if (!ss->s.prepaid || now >= ss->s.term_end)
		return;
	struct ps_reason *r = add_reason(v, PS_R_PREPAID_PLAN);
	r->term_end = ss->s.term_end;
	ps_prepaid_loss(&ss->s, now, &r->unused_days, &r->unused_value);
}

/* 10: the automatic upgrades of the last hour used up the capacity. */
static void check_capacity(struct ps_verdict *v, const struct ps_snapshot *snap, int64_t now)
{
	if (snap->capacity_limit <= 0 || snap->capacity_used < snap->capacity_limit)
		return;
	int64_t after = snap->capacity_oldest + PS_CAPACITY_WINDOW_S - now;
	if (after < 1)
		after = 1;
	struct ps_reason *r = add_reason(v, PS_R_SERVICE_BUSY);
	r->retry_after_s = after;
	r->wait_until = now + after;
}

/* 12: live add-ons attached to this subscription. */
static void check_addons(struct ps_verdict *v, const struct ps_snapshot *snap)
{
	struct ps_reason *r = NULL;
	for (size_t i = 0; i < snap->n_subs; i++) {
		const struct ps_snap_sub *ss = &snap->subs[i];
		if (!ps_sub_is_live_addon_of(&ss->s, v->sub->s.id))
			continue;
		if (!r)
			r = add_reason(v, PS_R_HAS_ADDON);
		list_sub(r, ss);
	}
}

/* 14: the first inconsistency found. */
static void check_other(struct ps_verdict *v, const struct ps_snapshot *snap)
{
	const struct ps_snap_sub *ss = v->sub;
	enum ps_other_kind k = PS_OTHER_NONE;
	const char *ref = NULL;
	if (!ss->plan) {
		k = PS_OTHER_PLAN_MISSING;
		ref = ss->s.plan_id;
	} else if (ss->s.addon_of != 0 && !ps_snapshot_sub(snap, ss->s.addon_of)) {
		k = PS_OTHER_BASE_MISSING;
	} else if (strcmp(ss->plan->currency, snap->tenant.currency) != 0) {
		k = PS_OTHER_CURRENCY_MISMATCH;
		ref = ss->plan->id;
	} else if (ss->s.quantity < 0 || ss->s.assigned < 0) {
		k = PS_OTHER_NEGATIVE_COUNTS;
	}
	if (k == PS_OTHER_NONE)
		return;
	struct ps_reason *r = add_reason(v, PS_R_OTHER);
	r->other = k;
	r->other_ref = ref;
}

/* ---- Offers ------------------------------------------------------------ */

static struct ps_offer *add_offer(struct ps_verdict *v, const struct ps_snapshot *snap, const struct ps_plan *target,
				  bool declared)
{
	if (v->n_offers >= PS_OFFER_MAX)
		return NULL;
	const struct ps_snap_sub *ss = v->sub;
	struct ps_offer *o = &v->offers[v->n_offers];
	o->plan = target;
	o->declared = declared;
	o->safety.n_missing = 0;
	o->safety.n_lower = 0;
	o->supported = ps_plan_is_data_safe(ss->plan, target, &o->safety) && declared;
	o->same_product = ps_rules_same_product(snap, ss, target, &o->same_product_reason);
	/* The subscription's own product: reason 7 already says it, once. */
	if (o->same_product && target->product && strcmp(target->product->id, ss->s.product_id) == 0 &&
	    ps_verdict_reason(v, PS_R_MULTIPLE_PLANS_SAME_PRODUCT))
		o->same_product = false;
	o->eligible = o->supported && v->eligible && !o->same_product;
	o->monthly_before = ps_sub_monthly_charge(&ss->s, ss->s.quantity);
	o->monthly_after = ps_monthly_charge(target, ss->s.quantity);
	return o;
}

static void list_offers(const struct ps_catalog *cat, const struct ps_snapshot *snap, struct ps_verdict *v,
			unsigned flags)
{
	const struct ps_plan *plan = v->sub->plan;
	bool all = (flags & PS_EVAL_UNSUPPORTED) != 0;
	enum ps_sub_status st = v->sub->s.status;
	/* An ended subscription that nothing can change offers nothing (not the
	 * plan that replaced it either). */
	if (!plan || is_addon(v->sub) || st == PS_SUB_REPLACED || st == PS_SUB_CANCELLED)
		return;
	for (size_t i = 0; i < plan->n_upgrades_to; i++) {
		if (plan->upgrades_to[i]->retired)
			continue; /* no longer sold: never offered */
		struct ps_offer *o = add_offer(v, snap, plan->upgrades_to[i], true);
		if (!o)
			return;
		if (o->supported || all)
			v->n_offers++;
	}
	if (!all || !cat)
		return;
	/* Undeclared targets: only those the tenant could move to at all. */
	for (size_t i = 0; i < cat->n_plans; i++) {
		const struct ps_plan *p = &cat->plans[i];
		if (ps_plan_upgrades_to(plan, p) || !ps_can_move_to(&snap->tenant, plan, p))
			continue;
		if (!add_offer(v, snap, p, false))
			return;
		v->n_offers++;
	}
}

/* ---- The engine -------------------------------------------------------- */

void ps_rules_evaluate(const struct ps_catalog *cat, const struct ps_snapshot *snap,
		       const struct ps_snap_sub *sub, int64_t now, unsigned flags, struct ps_verdict *out)
{
	const struct ps_subscription *s = &sub->s;
	const struct ps_plan *plan = sub->plan;
	struct ps_verdict *v = out;

	v->sub = sub;
	v->n_reasons = 0;
	v->n_offers = 0;

	check_license_conflict(v, snap);
	if (s->status == PS_SUB_PROVISIONING) {
		/* Its creation plus the provisioning time: the same on every read. */
		struct ps_reason *r = add_reason(v, PS_R_SUBSCRIPTION_NOT_READY);
		r->wait_until = s->created_at + ps_snapshot_provisioning_sla(snap);
		r->overdue = now >= r->wait_until;
	}
	check_incidents(v, snap, now);
	check_in_progress(v, snap);
	if (snap->has_credit_check) {
		struct ps_reason *r = add_reason(v, PS_R_CREDIT_CHECK_PENDING);
		r->credit_check_id = snap->credit_check.id;
		r->requested_at = snap->credit_check.requested_at;
		r->expected_by = snap->credit_check.expected_by;
		r->wait_until = snap->credit_check.expected_by;
	}
	check_not_eligible(v);
	check_same_product(v, snap);
	check_prepaid(v, now);
	if (plan && (plan->segment == PS_SEG_GOVERNMENT || plan->segment == PS_SEG_NONPROFIT))
		add_reason(v, PS_R_SEGMENT_RESTRICTED)->segment = plan->segment;
	check_capacity(v, snap, now);
	/* 11, target_not_supported, is per offer: see list_offers. */
	check_addons(v, snap);
	if (snap->past_due > 0) {
		struct ps_reason *r = add_reason(v, PS_R_UNPAID_BALANCE);
		r->amount_due = snap->past_due;
		r->oldest_due = snap->oldest_due;
	}
	check_other(v, snap);

	v->eligible = v->n_reasons == 0;
	list_offers(cat, snap, v, flags);
}

const struct ps_reason *ps_verdict_reason(const struct ps_verdict *v, enum ps_reason_code c)
{
	for (size_t i = 0; i < v->n_reasons; i++)
		if (v->reasons[i].code == c)
			return &v->reasons[i];
	return NULL;
}

const struct ps_offer *ps_verdict_offer(const struct ps_verdict *v, const char *plan_id)
{
	for (size_t i = 0; i < v->n_offers; i++)
		if (strcmp(v->offers[i].plan->id, plan_id) == 0)
			return &v->offers[i];
	return NULL;
}
