/* upgrade.c: moving a subscription to another plan (app layer): the Upgrade
 * tab, the preview, the automatic upgrade (RULES "Executing an upgrade"), the
 * manual change (RULES "The remedies"), what waited on a credit check or
 * on provisioning, and an unfinished operation failed and undone (RULES
 * second part, "An operation always ends"). Each change is one transaction that
 * evaluates the rules again on what it read inside it: the old subscription
 * ends, the new one holds every seat, and the period is credited and charged
 * pro rata, or nothing happens at all. */
#include "ps_app.h"
#include "ps_app_int.h"
#include "ps_jobs.h"

#include "../common/ps_json.h"
#include "../common/ps_mem.h"
#include "../common/ps_time.h"
#include "../core/ps_money.h"
#include "../core/ps_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the numbers of a change ---- */

/* Fill plan for moving s to `to` with `quantity` seats at c->now: the
 * money (ps_change_money), the credit check and the data at stake. */
static void plan_change(struct ps_ctx *c, const struct ps_choice *d, const struct ps_snapshot *snap,
			const struct ps_snap_sub *s, int64_t quantity, struct ps_change_plan *out)
{
	enum ps_op_kind kind = d->kind;
	const struct ps_plan *to = d->to;
	const struct ps_plan *from = s->plan;
	struct ps_change_money m;
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->from = from;
	out->to = to;
	out->quantity = quantity;
	out->users = s->s.assigned;
	out->data_safe = from ? ps_plan_is_data_safe(from, to, &out->safety) : false;
	ps_change_money(kind, &s->s, from, to, quantity, c->now, &m);
	out->monthly_before = m.monthly_before;
	out->monthly_after = m.monthly_after;
	out->period_start = m.period_start;
	out->period_end = m.period_end;
	out->credit = m.credit;
	out->charge = m.charge;
	out->unused_days = m.unused_days;
	out->unused_value = m.unused_value;
	if (!d->credit_source)
		out->credit = 0; /* an ended subscription: nothing is credited for it */
	out->mrc_before = ps_snapshot_mrc(snap);
	out->mrc_after = ps_money_add(out->mrc_before, m.monthly_after);
	if (ps_sub_status_is_live(s->s.status))
		out->mrc_after = ps_money_add(out->mrc_after, -m.monthly_before);
	out->allowed = d->allowed;
	out->credit_limit = snap->tenant.credit_limit;
	out->needs_credit_check = ps_credit_check_is_needed(&snap->tenant, out->mrc_before, out->mrc_after);
}

static ps_code target_of(struct ps_ctx *c, const struct ps_change_in *in, const struct ps_plan **to)
{
	if (!in->target_plan)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "target_plan is required");
	*to = ps_catalog_plan(c->app->catalog, in->target_plan);
	if (!*to)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "no plan %.64s in the catalog",
				  in->target_plan);
	return PS_OK;
}

static ps_code quantity_of(struct ps_ctx *c, const struct ps_snap_sub *s, const struct ps_change_in *in,
			   int64_t floor, int64_t *q)
{
	*q = in->quantity ? in->quantity : s->s.quantity;
	if (*q < floor)
		*q = in->quantity ? *q : floor;
	if (*q < floor || *q > PS_QUANTITY_MAX)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "quantity",
				  "quantity must be at least %lld (the licenses held now) and at most %d", (long long)floor,
				  PS_QUANTITY_MAX);
	return PS_OK;
}

/* ---- the one decision ---- */

/* The users holding seats of one subscription. */
struct seat_ids {
	int64_t *v;
	size_t n, cap;
};

static bool take_seat(void *arg, const struct ps_assignment *a)
{
	struct seat_ids *k = arg;
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 16;
		k->v = ps_realloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = a->user_id;
	return true;
}

/* Users of the source who hold a seat of the target's product elsewhere. */
struct clashes {
	struct seat_ids src; /* the source's users, sorted */
	struct seat_ids all; /* those who clash, sorted */
	int64_t users[PS_LIST_MAX];
	size_t n; /* in all */
};

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static bool find_clash(void *arg, const struct ps_assignment *a)
{
	struct clashes *k = arg;
	if (bsearch(&a->user_id, k->src.v, k->src.n, sizeof *k->src.v, cmp_id)) {
		if (k->n < PS_LIST_MAX)
			k->users[k->n] = a->user_id;
		k->n++;
		take_seat(&k->all, a);
	}
	return true;
}

static bool is_clashing(const struct clashes *k, int64_t user)
{
	return k->all.n > 0 && bsearch(&user, k->all.v, k->all.n, sizeof *k->all.v, cmp_id) != NULL;
}

static void clashes_fini(struct clashes *k)
{
	ps_free(k->src.v);
	ps_free(k->all.v);
}

/* The other subscriptions holding seats of one product. */
struct holders {
	int64_t src;
	const char *product;
	int64_t ids[64];
	size_t n;
};

static bool find_holder(void *arg, const struct ps_subscription *s)
{
	struct holders *h = arg;
	if (s->id != h->src && s->assigned > 0 && strcmp(s->product_id, h->product) == 0 && h->n < 64)
		h->ids[h->n++] = s->id;
	return true;
}

/* Who among the users of s already holds a seat of to's product, read
 * from the store (inside the caller's transaction). */
static ps_code find_clashes(struct ps_ctx *c, int64_t tenant, const struct ps_subscription *s, const struct ps_plan *to,
			    struct clashes *k)
{
	struct ps_store *st = c->st;
	k->n = 0;
	if (s->assigned <= 0 || !to->product)
		return PS_OK;
	struct holders h = {.src = s->id, .product = to->product->id};
	ps_code rc = st->ops->sub_list(st, tenant, 0, 0, find_holder, &h, &c->err);
	if (rc != PS_OK || h.n == 0)
		return rc;
	rc = st->ops->assignment_list(st, tenant, s->id, 0, 0, take_seat, &k->src, &c->err);
	if (rc == PS_OK && k->src.n > 0)
		qsort(k->src.v, k->src.n, sizeof *k->src.v, cmp_id);
	for (size_t i = 0; rc == PS_OK && k->src.n > 0 && i < h.n; i++)
		rc = st->ops->assignment_list(st, tenant, h.ids[i], 0, 0, find_clash, k, &c->err);
	if (k->all.n > 0)
		qsort(k->all.v, k->all.n, sizeof *k->all.v, cmp_id);
	return rc;
}

/* The one decision (ps_decide) on moving d's subscription to `to`, into
 * d->choice; an input error no state would make valid is returned as such. */
static ps_code decide(struct ps_ctx *c, struct ps_decision *d, const struct ps_plan *to, enum ps_op_kind kind,
		      const struct ps_change_in *in)
{
	struct clashes k = {.src = {.v = NULL}, .all = {.v = NULL}};
	ps_code rc = find_clashes(c, d->snap->tenant.id, &d->verdict->sub->s, to, &k);
	clashes_fini(&k);
	if (rc != PS_OK)
		return rc;
	if (!c->choice)
		c->choice = ps_malloc(sizeof *c->choice);
	struct ps_choice_in ci = {.to = to,
				  .kind = kind,
				  .acknowledge_data_loss = in->acknowledge_data_loss,
				  .acknowledge_addons = in->acknowledge_addons,
				  .clash_users = k.users,
				  .n_clashes = k.n};
	ps_decide(d->snap, d->verdict, &ci, c->choice);
	d->choice = c->choice;
	d->offer = c->choice->offer;
	if (c->choice->input == PS_CHOICE_NOT_A_TARGET)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "%s is not a plan this subscription can move to",
				  to->id);
	if (c->choice->input == PS_CHOICE_ADDON_SOURCE)
		return ps_err_set(&c->err, PS_CONFLICT, "addon_of", "an add-on moves with its base subscription");
	return PS_OK;
}

ps_code ps_app_upgrades(struct ps_ctx *c, int64_t tenant, int64_t sub, unsigned flags, struct ps_decision *out)
{
	memset(out, 0, sizeof *out);
	/* A read: the periods the clock has passed are the runner's (jobs.c). */
	return ps_app_evaluate(c, tenant, sub, flags, out);
}

ps_code ps_app_preview(struct ps_ctx *c, int64_t tenant, int64_t sub, enum ps_op_kind kind,
		       const struct ps_change_in *in, struct ps_change_plan *out, struct ps_decision *tab)
{
	const struct ps_plan *to;
	int64_t q;
	memset(tab, 0, sizeof *tab);
	ps_code rc = target_of(c, in, &to);
	if (rc != PS_OK)
		return rc;
	/* Changes nothing: not even a due renewal (the runner's, jobs.c). */
	if ((rc = ps_app_evaluate(c, tenant, sub, PS_EVAL_UNSUPPORTED, tab)) != PS_OK)
		return rc;
	if ((rc = decide(c, tab, to, kind, in)) != PS_OK)
		return rc;
	const struct ps_snap_sub *s = tab->verdict->sub;
	int64_t floor = kind == PS_OPK_UPGRADE ? s->s.quantity : s->s.assigned;
	if ((rc = quantity_of(c, s, in, floor, &q)) != PS_OK)
		return rc;
	plan_change(c, tab->choice, tab->snap, s, q, out);
	return PS_OK;
}

/* ---- applying a change ---- */

struct change {
	const struct ps_change_in *in;
	int64_t tenant, sub;
	enum ps_op_kind kind;
	struct ps_operation *op;
	struct ps_decision *tab; /* the decision evaluated inside the transaction */
};

/* result: {"moved", "license_errors"} and, when it failed, "failure": a code
 * (credit_check_denied, no_longer_possible). */
static void op_detail(struct ps_operation *op, int64_t moved, const char *failure, const int64_t *clash, size_t n)
{
	if (failure) {
		snprintf(op->detail, sizeof op->detail, "{\"failure\":\"%s\",\"moved\":0,\"license_errors\":[]}",
			 failure);
		return;
	}
	/* Users who kept the seat of the target's product they held (RULES
	 * "Manual changes by seat"); at most PS_LIST_MAX, to fit. */
	size_t len = (size_t)snprintf(op->detail, sizeof op->detail, "{\"moved\":%lld,\"license_errors\":[",
				      (long long)moved);
	for (size_t i = 0; i < n && len < sizeof op->detail; i++)
		len += (size_t)snprintf(op->detail + len, sizeof op->detail - len,
					"%s{\"user\":\"%s%lld\",\"code\":\"already_licensed\"}", i ? "," : "",
					PS_PFX_USER, (long long)clash[i]);
	if (len < sizeof op->detail)
		snprintf(op->detail + len, sizeof op->detail - len, "]}");
}

#define PS_ADDONS_MAX 16

struct addon_acc {
	int64_t base;
	struct ps_subscription v[PS_ADDONS_MAX];
	size_t n, total;
};

static bool find_addons(void *arg, const struct ps_subscription *s)
{
	struct addon_acc *a = arg;
	if (ps_sub_is_live_addon_of(s, a->base)) {
		if (a->n < PS_ADDONS_MAX)
			a->v[a->n++] = *s;
		a->total++;
	}
	return true;
}

/* An add-on the target does not take ends with the change: its seats are
 * given up, its unused days credited as a cancellation. */
static ps_code cancel_addon(struct ps_ctx *c, const struct ps_tenant *t, struct ps_subscription *a)
{
	struct ps_store *st = c->st;
	struct seat_ids k = {.v = NULL};
	ps_code rc = st->ops->assignment_list(st, t->id, a->id, 0, 0, take_seat, &k, &c->err);
	for (size_t i = 0; rc == PS_OK && i < k.n; i++)
		rc = st->ops->assignment_delete(st, t->id, a->id, k.v[i], &c->err);
	ps_free(k.v);
	if (rc != PS_OK)
		return rc;
	if ((rc = st->ops->sub_get(st, t->id, a->id, a, &c->err)) != PS_OK ||
	    (rc = ps_ledger_seats(c, t, a, -a->quantity, PS_LINE_CANCEL)) != PS_OK)
		return rc;
	a->status = PS_SUB_CANCELLED;
	if (a->term_end > c->now)
		a->term_end = c->now;
	if (a->billed_through > c->now)
		a->billed_through = c->now;
	if ((rc = st->ops->sub_update(st, a, &c->err)) != PS_OK)
		return rc;
	char ref[32];
	return ps_app_audit(c, t->id, "subscription.cancel", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, a->id),
			    "{\"reason\":\"addon_not_taken_by_target\"}");
}

/* Every seat of src moves to dst but those of users who already hold a
 * seat of dst's product: they keep that one, and give up src's. */
static ps_code move_but(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_subscription *src,
			const struct ps_subscription *dst, const struct clashes *k, int64_t *moved)
{
	struct ps_store *st = c->st;
	ps_code rc = PS_OK;
	for (size_t i = 0; rc == PS_OK && i < k->src.n; i++) {
		int64_t u = k->src.v[i];
		if ((rc = st->ops->assignment_delete(st, t->id, src->id, u, &c->err)) != PS_OK || is_clashing(k, u))
			continue;
		struct ps_assignment a = {.tenant_id = t->id, .subscription_id = dst->id, .user_id = u, .assigned_at = c->now};
		snprintf(a.product_id, sizeof a.product_id, "%s", dst->product_id);
		if ((rc = st->ops->assignment_insert(st, &a, &c->err)) == PS_OK)
			(*moved)++;
	}
	return rc;
}

/* The change itself, on op (already inserted): the new subscription, the
 * seats, the old one ended, the money, the operation's new state. */
static ps_code apply(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op)
{
	struct ps_store *st = c->st;
	struct ps_subscription src, dst;
	ps_code rc = st->ops->sub_get(st, t->id, op->source_sub, &src, &c->err);
	if (rc != PS_OK)
		return rc;
	const struct ps_plan *from = ps_catalog_plan(c->app->catalog, src.plan_id);
	const struct ps_plan *to = ps_catalog_plan(c->app->catalog, op->target_plan);
	if (!to)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "no plan %s in the catalog",
				  op->target_plan);
	bool upgrade = op->kind == PS_OPK_UPGRADE;
	/* An expired or disabled subscription can still be changed manually:
	 * it stays as it is, and nothing is credited for it. */
	bool ended = src.status == PS_SUB_EXPIRED || src.status == PS_SUB_DISABLED;
	bool live = ps_sub_status_is_live(src.status) && !ended;
	if (!live && (upgrade || !ended))
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription is %s", ps_sub_status_name(src.status));
	struct addon_acc addons = {.base = src.id};
	if ((rc = st->ops->sub_list(st, t->id, 0, 0, find_addons, &addons, &c->err)) != PS_OK)
		return rc;
	if (addons.total > PS_ADDONS_MAX)
		return ps_err_set(&c->err, PS_CONFLICT, "addon_of",
				  "%zu add-ons are attached; at most %d move with a plan: cancel some first", addons.total,
				  PS_ADDONS_MAX);
	for (size_t i = 0; i < addons.n && upgrade; i++) {
		if (!ps_addon_can_attach(ps_catalog_plan(c->app->catalog, addons.v[i].plan_id), to))
			return ps_err_set(&c->err, PS_CONFLICT, "addon_of",
					  "add-on %s%lld (%s) does not attach to %s: cancel it first", PS_PFX_SUB,
					  (long long)addons.v[i].id, addons.v[i].plan_id, to->id);
	}

	memset(&dst, 0, sizeof dst);
	dst.tenant_id = t->id;
	snprintf(dst.plan_id, sizeof dst.plan_id, "%s", to->id);
	snprintf(dst.product_id, sizeof dst.product_id, "%s", to->product->id);
	dst.quantity = op->quantity;
	dst.status = c->app->provisioning_manual ? PS_SUB_PROVISIONING : PS_SUB_ACTIVE;
	dst.term = src.term;
	dst.created_at = c->now;
	if (upgrade) {
		/* Same term, same period: the rest of it is credited and charged. */
		dst.term_start = src.term_start;
		dst.term_end = src.term_end;
		dst.billed_through = src.billed_through;
		/* At the end of a prepaid term (a change scheduled then): the
		 * next term is prepaid as this one was. */
		dst.prepaid = op->effective_at ? src.prepaid : false;
	} else {
		dst.term_start = c->now;
		dst.term_end = ps_term_end(c->now, src.term);
		dst.prepaid = src.prepaid;
	}
	if ((rc = st->ops->sub_insert(st, &dst, &c->err)) != PS_OK)
		return rc;
	int64_t moved = 0;
	struct clashes k = {.src = {.v = NULL}, .all = {.v = NULL}};
	if ((rc = find_clashes(c, t->id, &src, to, &k)) == PS_OK && k.n > 0 && !upgrade)
		rc = move_but(c, t, &src, &dst, &k, &moved);
	else if (rc == PS_OK)
		rc = st->ops->assignments_move(st, t->id, src.id, dst.id, to->product->id, &moved, &c->err);
	if (rc == PS_OK && !upgrade)
		op_detail(op, moved, NULL, k.users, k.n < PS_LIST_MAX ? k.n : PS_LIST_MAX);
	clashes_fini(&k);
	if (rc == PS_CONFLICT)
		return ps_err_set(&c->err, PS_CONFLICT, "user",
				  "a user of this subscription already holds a license of %s from another "
				  "subscription: unassign it there first",
				  to->product->id);
	if (rc != PS_OK)
		return rc;
	/* Each add-on follows, or (the switch's acknowledged outcome) ends. */
	for (size_t i = 0; i < addons.n; i++) {
		if (!ps_addon_can_attach(ps_catalog_plan(c->app->catalog, addons.v[i].plan_id), to)) {
			if ((rc = cancel_addon(c, t, &addons.v[i])) != PS_OK)
				return rc;
			continue;
		}
		addons.v[i].addon_of = dst.id;
		if ((rc = st->ops->sub_update(st, &addons.v[i], &c->err)) != PS_OK)
			return rc;
	}

	/* Money. */
	if (upgrade) {
		/* The money the preview showed: the same function. */
		struct ps_change_money m;
		ps_change_money(PS_OPK_UPGRADE, &src, from, to, dst.quantity, c->now, &m);
		struct ps_line_spec l[2] = {
			{.kind = PS_LINE_UPGRADE_CREDIT, .sub = &src, .quantity = src.quantity, .start = m.period_start,
			 .end = m.period_end, .amount = -m.credit},
			{.kind = PS_LINE_UPGRADE_CHARGE, .sub = &dst, .quantity = dst.quantity, .start = m.period_start,
			 .end = m.period_end, .amount = m.charge},
		};
		if ((rc = ps_ledger_invoice(c, t, l, 2, false, NULL)) != PS_OK)
			return rc;
	} else {
		/* The old plan is cancelled (its unused days credited, unless
		 * prepaid), and the target bought from now. */
		if (live && (rc = ps_ledger_seats(c, t, &src, -src.quantity, PS_LINE_SWITCH)) != PS_OK)
			return rc;
		if ((rc = ps_ledger_first(c, t, &dst)) != PS_OK)
			return rc;
		if ((rc = st->ops->sub_update(st, &dst, &c->err)) != PS_OK)
			return rc;
	}
	src.replaced_by = dst.id;
	if (live) {
		src.status = upgrade ? PS_SUB_REPLACED : PS_SUB_CANCELLED;
		if (src.term_end > c->now)
			src.term_end = c->now;
		if (src.billed_through > c->now)
			src.billed_through = c->now;
	}
	if ((rc = st->ops->sub_update(st, &src, &c->err)) != PS_OK)
		return rc;

	op->new_sub = dst.id;
	op->state = dst.status == PS_SUB_PROVISIONING ? PS_OP_PROVISIONING : PS_OP_COMPLETED;
	op->updated_at = c->now;
	if (upgrade)
		op_detail(op, moved, NULL, NULL, 0);
	if ((rc = st->ops->operation_update(st, op, &c->err)) != PS_OK)
		return rc;
	char ref[32], detail[256];
	snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"to\":\"%s\",\"new_subscription\":\"%s%lld\",\"moved\":%lld}",
		 src.plan_id, to->id, PS_PFX_SUB, (long long)dst.id, (long long)moved);
	return ps_app_audit(c, t->id, upgrade ? "subscription.upgrade" : "subscription.switch",
			    ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id), detail);
}

/* Refused by the store's one-upgrade-at-a-time rule: a twin request got
 * there first. A verdict that showed no reason says so (the upgrade is in
 * progress, the operation not yet known). */
static void twin_in_progress(struct ps_verdict *v, struct ps_choice *d)
{
	if (v->n_reasons == 0) {
		struct ps_reason *x = &v->reasons[v->n_reasons++];
		memset(x, 0, sizeof *x);
		x->code = PS_R_UPGRADE_IN_PROGRESS;
		x->sub = v->sub;
	}
	if (d && d->n_reasons == 0) {
		d->reasons[d->n_reasons++] = v->reasons[0];
		d->allowed = false;
	}
}

/* Insert the operation; when a credit check is needed, it waits on one. */
static ps_code start(struct ps_ctx *c, struct change *ch, const struct ps_change_plan *plan)
{
	struct ps_store *st = c->st;
	struct ps_operation *op = ch->op;
	const struct ps_tenant *t = &ch->tab->snap->tenant;
	memset(op, 0, sizeof *op);
	op->tenant_id = t->id;
	op->kind = ch->kind;
	op->state = plan->needs_credit_check ? PS_OP_PENDING_CREDIT_CHECK : PS_OP_PROVISIONING;
	op->source_sub = ch->sub;
	snprintf(op->target_plan, sizeof op->target_plan, "%s", plan->to->id);
	op->quantity = plan->quantity;
	op->created_at = op->updated_at = c->now;
	snprintf(op->request_id, sizeof op->request_id, "%s", c->request_id);
	op_detail(op, 0, NULL, NULL, 0);
	ps_code rc = st->ops->operation_insert(st, op, &c->err);
	if (rc == PS_CONFLICT) {
		twin_in_progress(c->verdict, c->choice);
		return ps_err_set(&c->err, PS_UPGRADE_BLOCKED, NULL, "another upgrade of this tenant is in progress");
	}
	if (rc != PS_OK)
		return rc;
	if (!plan->needs_credit_check)
		return apply(c, t, op);
	struct ps_credit_check cc;
	if ((rc = ps_credit_request(c, t, plan->mrc_after, 0, op->id, &cc)) != PS_OK)
		return rc;
	op->credit_check_id = cc.id;
	return st->ops->operation_update(st, op, &c->err);
}

/* The change to `to` when the one decision allows it; else its refusal,
 * naming the reasons the preview showed. */
static ps_code change_to(struct ps_ctx *c, struct change *ch, const struct ps_plan *to)
{
	int64_t q;
	ps_code rc;
	bool upgrade = ch->kind == PS_OPK_UPGRADE;
	if ((rc = decide(c, ch->tab, to, ch->kind, ch->in)) != PS_OK)
		return rc;
	const struct ps_choice *d = ch->tab->choice;
	const struct ps_snap_sub *s = ch->tab->verdict->sub;
	if (d->busy_only)
		return ps_err_set(&c->err, PS_RATE_LIMITED, NULL,
				  "the service is upgrading a high volume of plans: retry in %lld seconds",
				  (long long)d->reasons[0].retry_after_s);
	if (d->n_reasons > 0)
		return ps_err_set(&c->err, PS_UPGRADE_BLOCKED, NULL,
				  upgrade ? "this subscription cannot be upgraded now" : "this change cannot be made now");
	if (d->needs_data_ack)
		return ps_err_set(&c->err, PS_CONFLICT, "acknowledge_data_loss",
				  "%s lacks a data-bearing service of %s: users would lose data; send "
				  "acknowledge_data_loss: true to change plans anyway",
				  to->id, s->s.plan_id);
	if ((rc = quantity_of(c, s, ch->in, upgrade ? s->s.quantity : s->s.assigned, &q)) != PS_OK)
		return rc;
	struct ps_change_plan plan;
	plan_change(c, d, ch->tab->snap, s, q, &plan);
	return start(c, ch, &plan);
}



/* One change, in its transaction: the target, the rules evaluated again on
 * what is read inside it, then the upgrade or the manual change. */
static ps_code change_tx(struct ps_ctx *c, void *arg)
{
	struct change *ch = arg;
	const struct ps_plan *to;
	ps_code rc;
	if ((rc = target_of(c, ch->in, &to)) ||
	    (rc = ps_app_evaluate(c, ch->tenant, ch->sub, PS_EVAL_UNSUPPORTED, ch->tab)))
		return rc;
	return change_to(c, ch, to);
}

/* What a refused change returns: the decision, when the refusal is one the
 * rules (or the one-upgrade-at-a-time rule) made. */
static bool is_refusal(ps_code rc)
{
	return rc == PS_UPGRADE_BLOCKED || rc == PS_RATE_LIMITED;
}

static ps_code run_change(struct ps_ctx *c, int64_t tenant, int64_t sub, const struct ps_change_in *in,
			  struct ps_operation *op, enum ps_op_kind kind, struct ps_decision *refusal)
{
	memset(refusal, 0, sizeof *refusal);
	/* Decided on the state the tab shows: a period the clock has passed
	 * and the runner has not renewed yet is not billed here (nothing of it
	 * is credited, and the new subscription keeps its billed_through, so
	 * the runner renews it at the target's price). */
	struct change ch = {in, tenant, sub, kind, op, refusal};
	ps_code rc = ps_app_tx(c, change_tx, &ch);
	if (!is_refusal(rc) || !refusal->verdict)
		memset(refusal, 0, sizeof *refusal);
	return rc;
}

ps_code ps_app_upgrade(struct ps_ctx *c, int64_t tenant, int64_t sub, const struct ps_change_in *in,
		       struct ps_operation *op, struct ps_decision *refusal)
{
	return run_change(c, tenant, sub, in, op, PS_OPK_UPGRADE, refusal);
}

ps_code ps_app_switch(struct ps_ctx *c, int64_t tenant, int64_t sub, const struct ps_change_in *in,
		      struct ps_operation *op, struct ps_decision *refusal)
{
	return run_change(c, tenant, sub, in, op, PS_OPK_SWITCH, refusal);
}

/* ---- what waited ---- */

/* The operation waiting on cc goes on or fails (a ps_credit_waiter). */
static ps_code credit_decided(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_credit_check *cc, bool fail)
{
	struct ps_operation op;
	ps_code rc = c->st->ops->operation_get(c->st, t->id, cc->operation_id, &op, &c->err);
	if (rc != PS_OK)
		return rc;
	if (op.state != PS_OP_PENDING_CREDIT_CHECK)
		return PS_OK;
	if (cc->status == PS_CC_APPROVED && !fail)
		return apply(c, t, &op);
	op_detail(&op, 0, cc->status == PS_CC_APPROVED ? "no_longer_possible" : "credit_check_denied", NULL, 0);
	op.state = PS_OP_FAILED;
	op.updated_at = c->now;
	return c->st->ops->operation_update(c->st, &op, &c->err);
}

ps_code ps_app_credit_decide(struct ps_ctx *c, int64_t id, bool approved, struct ps_credit_check *out)
{
	return ps_credit_decide(c, id, approved, out, credit_decided);
}

/* ---- an operation always ends ---- */

/* The invoices issued since the operation started: their lines on the new
 * subscription, and the source's credit for the change, are reversed. */
struct op_invoices {
	int64_t since;
	int64_t ids[PS_LIST_MAX];
	size_t n;
};

static bool take_invoice(void *arg, const struct ps_invoice *inv)
{
	struct op_invoices *k = arg;
	if (inv->issued_at >= k->since && k->n < PS_LIST_MAX)
		k->ids[k->n++] = inv->id;
	return true;
}

struct reversal {
	int64_t src, dst;
	int64_t src_credit;   /* the source's credit for the change (negative) */
	int64_t src_end;      /* the end of the period it credited */
	enum ps_line_kind src_kind;
	int64_t dst_charged;  /* what the new subscription was charged */
	int64_t start, end;   /* the new subscription's period charged */
};

static bool take_line(void *arg, const struct ps_invoice_line *l)
{
	struct reversal *r = arg;
	if (l->subscription_id == r->dst) {
		r->dst_charged = ps_money_add(r->dst_charged, l->amount);
		r->start = r->start && r->start < l->period_start ? r->start : l->period_start;
		r->end = r->end > l->period_end ? r->end : l->period_end;
	} else if (l->subscription_id == r->src &&
		   (l->kind == PS_LINE_UPGRADE_CREDIT || l->kind == PS_LINE_SWITCH)) {
		r->src_credit = ps_money_add(r->src_credit, l->amount);
		r->src_end = r->src_end > l->period_end ? r->src_end : l->period_end;
		r->src_kind = l->kind;
	}
	return true;
}

/* Undo what apply() did for op: every seat back, the source active with its
 * quantity, the new subscription cancelled, the credit and the charge of
 * the change reversed (they net to zero), the add-ons that moved back. */
static ps_code undo(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_operation *op)
{
	struct ps_store *st = c->st;
	struct ps_subscription src, dst;
	ps_code rc;
	if ((rc = st->ops->sub_get(st, t->id, op->source_sub, &src, &c->err)) != PS_OK ||
	    (rc = st->ops->sub_get(st, t->id, op->new_sub, &dst, &c->err)) != PS_OK)
		return rc;
	if ((rc = st->ops->assignments_move(st, t->id, dst.id, src.id, src.product_id, NULL, &c->err)) != PS_OK)
		return rc;
	struct addon_acc addons = {.base = dst.id};
	if ((rc = st->ops->sub_list(st, t->id, 0, 0, find_addons, &addons, &c->err)) != PS_OK)
		return rc;
	for (size_t i = 0; i < addons.n; i++) {
		addons.v[i].addon_of = src.id;
		if ((rc = st->ops->sub_update(st, &addons.v[i], &c->err)) != PS_OK)
			return rc;
	}
	/* The money: what the change credited and charged, reversed. */
	struct op_invoices inv = {.since = op->created_at};
	struct reversal r = {.src = src.id, .dst = dst.id, .src_kind = PS_LINE_UPGRADE_CREDIT};
	if ((rc = st->ops->invoice_list(st, t->id, false, 0, 0, take_invoice, &inv, &c->err)) != PS_OK)
		return rc;
	for (size_t i = 0; i < inv.n; i++)
		if ((rc = st->ops->invoice_line_list(st, t->id, inv.ids[i], take_line, &r, &c->err)) != PS_OK)
			return rc;
	struct ps_line_spec l[2];
	size_t n = 0;
	if (r.src_credit != 0)
		l[n++] = (struct ps_line_spec){.kind = r.src_kind, .sub = &src, .quantity = src.quantity,
					       .start = op->updated_at, .end = r.src_end, .amount = -r.src_credit};
	if (r.dst_charged != 0)
		l[n++] = (struct ps_line_spec){.kind = PS_LINE_CANCEL, .sub = &dst, .quantity = dst.quantity,
					       .start = r.start, .end = r.end, .amount = -r.dst_charged};
	if (n > 0 && (rc = ps_ledger_invoice(c, t, l, n, false, NULL)) != PS_OK)
		return rc;
	/* The source as it was: active, its quantity, its period. */
	src.status = PS_SUB_ACTIVE;
	src.replaced_by = 0;
	if (op->kind == PS_OPK_UPGRADE) {
		src.term_end = dst.term_end;
		src.billed_through = r.src_end > src.billed_through ? r.src_end : dst.billed_through;
	} else if (r.src_end > src.billed_through) {
		src.billed_through = r.src_end;
		if (src.term_end < src.billed_through)
			src.term_end = src.billed_through;
	}
	if ((rc = st->ops->sub_update(st, &src, &c->err)) != PS_OK)
		return rc;
	dst.status = PS_SUB_CANCELLED;
	if (dst.term_end > c->now)
		dst.term_end = c->now;
	if (dst.billed_through > c->now)
		dst.billed_through = c->now;
	return st->ops->sub_update(st, &dst, &c->err);
}

/* op (unfinished) fails: undone when it was applied, audited. */
static ps_code fail_op(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op, const char *why)
{
	ps_code rc;
	if (op->state == PS_OP_PROVISIONING && op->new_sub && (rc = undo(c, t, op)) != PS_OK)
		return rc;
	op_detail(op, 0, why, NULL, 0);
	op->state = PS_OP_FAILED;
	op->updated_at = c->now;
	if ((rc = c->st->ops->operation_update(c->st, op, &c->err)) != PS_OK)
		return rc;
	char ref[32], detail[160];
	snprintf(detail, sizeof detail, "{\"failure\":\"%s\",\"new_subscription\":\"%s%lld\"}", why, PS_PFX_SUB,
		 (long long)op->new_sub);
	return ps_app_audit(c, t->id, "operation.fail", ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id), detail);
}

struct fail_arg {
	int64_t tenant, op;
	struct ps_operation *out;
};

static ps_code fail_tx(struct ps_ctx *c, void *arg)
{
	struct fail_arg *a = arg;
	struct ps_tenant t;
	ps_code rc = c->st->ops->operation_get(c->st, a->tenant, a->op, a->out, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such operation");
	if (rc != PS_OK || (rc = ps_app_tenant(c, a->tenant, &t)) != PS_OK)
		return rc;
	if (a->out->state == PS_OP_COMPLETED || a->out->state == PS_OP_FAILED || a->out->state == PS_OP_CANCELLED)
		return ps_err_set(&c->err, PS_CONFLICT, "state", "the operation has already finished (%s)",
				  ps_op_state_name(a->out->state));
	return fail_op(c, &t, a->out, "failed_by_provider");
}

ps_code ps_app_operation_fail(struct ps_ctx *c, int64_t tenant, int64_t op, const char *reason,
			      struct ps_operation *out)
{
	ps_code rc;
	if (reason && (rc = ps_app_text(c, "reason", reason, 500)) != PS_OK)
		return rc;
	struct fail_arg a = {tenant, op, out};
	return ps_app_tx(c, fail_tx, &a);
}

/* The new subscription of a provisioning operation became active (the
 * operation completes) or disabled (it fails, undone). */
ps_code ps_app_provisioned(struct ps_ctx *c, const struct ps_subscription *s)
{
	struct ps_operation op;
	struct ps_tenant t;
	ps_code rc = c->st->ops->operation_find_by_new_sub(c->st, s->tenant_id, s->id, &op, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		return PS_OK;
	}
	if (rc != PS_OK || op.state != PS_OP_PROVISIONING)
		return rc;
	if (s->status == PS_SUB_DISABLED) {
		if ((rc = ps_app_tenant(c, s->tenant_id, &t)) != PS_OK)
			return rc;
		return fail_op(c, &t, &op, "provisioning_failed");
	}
	if (s->status != PS_SUB_ACTIVE)
		return PS_OK;
	op.state = PS_OP_COMPLETED;
	op.updated_at = c->now;
	return c->st->ops->operation_update(c->st, &op, &c->err);
}

/* ---- changes at the end of the term (RULES second part) ---- */

/* The acknowledgements a scheduled switch was asked with, kept in its
 * detail for the decision at its time. */
static void scheduled_detail(struct ps_operation *op, const struct ps_change_in *in)
{
	snprintf(op->detail, sizeof op->detail,
		 "{\"moved\":0,\"license_errors\":[],\"acknowledge_data_loss\":%s,\"acknowledge_addons\":%s}",
		 in->acknowledge_data_loss ? "true" : "false", in->acknowledge_addons ? "true" : "false");
}

static bool detail_says(const struct ps_operation *op, const char *key)
{
	char k[64];
	snprintf(k, sizeof k, "\"%s\":true", key);
	return strstr(op->detail, k) != NULL;
}

/* A subscription has at most one scheduled change: a scheduled operation
 * or a cancellation at term end. PS_CONFLICT naming it, else PS_OK. */
ps_code ps_app_no_scheduled(struct ps_ctx *c, const struct ps_subscription *s)
{
	struct ps_operation op;
	if (s->cancel_at) {
		char when[PS_TIME_LEN];
		ps_time_format(s->cancel_at, when);
		return ps_err_set(&c->err, PS_CONFLICT, "cancel_at",
				  "this subscription already has a scheduled change: it is cancelled at %s", when);
	}
	ps_code rc = c->st->ops->operation_find_scheduled(c->st, s->tenant_id, s->id, &op, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		return PS_OK;
	}
	if (rc != PS_OK)
		return rc;
	return ps_err_set(&c->err, PS_CONFLICT, "scheduled",
			  "this subscription already has a scheduled change: operation %s%lld", PS_PFX_OPERATION,
			  (long long)op.id);
}

struct schedule {
	const struct ps_change_in *in;
	int64_t tenant, sub;
	enum ps_op_kind kind;
	struct ps_operation *op;
	struct ps_decision *tab;
};

/* The change asked for the end of the term: the target checked as a
 * target of this subscription (the rules are evaluated again at its time),
 * the operation `scheduled` with effective_at the term's end, and its job. */
static ps_code schedule_tx(struct ps_ctx *c, void *arg)
{
	struct schedule *a = arg;
	const struct ps_plan *to;
	int64_t q;
	ps_code rc;
	if ((rc = target_of(c, a->in, &to)) ||
	    (rc = ps_app_evaluate(c, a->tenant, a->sub, PS_EVAL_UNSUPPORTED, a->tab)) ||
	    (rc = decide(c, a->tab, to, a->kind, a->in)))
		return rc;
	const struct ps_snap_sub *s = a->tab->verdict->sub;
	if (s->s.status != PS_SUB_ACTIVE)
		return ps_err_set(&c->err, PS_CONFLICT, "status",
				  "only an active subscription can be changed at the end of its term (this one is %s)",
				  ps_sub_status_name(s->s.status));
	if (a->kind == PS_OPK_SWITCH && a->tab->choice->needs_data_ack)
		return ps_err_set(&c->err, PS_CONFLICT, "acknowledge_data_loss",
				  "%s lacks a data-bearing service of %s: users would lose data; send "
				  "acknowledge_data_loss: true to change plans anyway",
				  to->id, s->s.plan_id);
	if ((rc = ps_app_no_scheduled(c, &s->s)) != PS_OK ||
	    (rc = quantity_of(c, s, a->in, a->kind == PS_OPK_UPGRADE ? s->s.quantity : s->s.assigned, &q)) != PS_OK)
		return rc;
	struct ps_operation *op = a->op;
	memset(op, 0, sizeof *op);
	op->tenant_id = a->tenant;
	op->kind = a->kind;
	op->state = PS_OP_SCHEDULED;
	op->source_sub = a->sub;
	snprintf(op->target_plan, sizeof op->target_plan, "%s", to->id);
	op->quantity = q;
	op->created_at = op->updated_at = c->now;
	op->effective_at = s->s.term_end > c->now ? s->s.term_end : c->now;
	snprintf(op->request_id, sizeof op->request_id, "%s", c->request_id);
	scheduled_detail(op, a->in);
	rc = c->st->ops->operation_insert(c->st, op, &c->err);
	if (rc == PS_CONFLICT) /* a twin request got there first */
		return ps_err_set(&c->err, PS_CONFLICT, "scheduled", "this subscription already has a scheduled change");
	if (rc != PS_OK ||
	    (rc = ps_jobs_schedule(c, PS_JOB_OPERATION, a->tenant, op->id, op->effective_at)) != PS_OK)
		return rc;
	char ref[32], detail[256], when[PS_TIME_LEN];
	ps_time_format(op->effective_at, when);
	snprintf(detail, sizeof detail, "{\"source\":\"%s%lld\",\"from\":\"%s\",\"to\":\"%s\",\"effective_at\":\"%s\"}",
		 PS_PFX_SUB, (long long)a->sub, s->s.plan_id, to->id, when);
	return ps_app_audit(c, a->tenant, "operation.schedule", ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id),
			    detail);
}

ps_code ps_app_schedule(struct ps_ctx *c, int64_t tenant, int64_t sub, enum ps_op_kind kind,
			const struct ps_change_in *in, struct ps_operation *op)
{
	struct ps_decision tab;
	memset(&tab, 0, sizeof tab);
	struct schedule a = {in, tenant, sub, kind, op, &tab};
	return ps_app_tx(c, schedule_tx, &a);
}

struct op_cancel {
	int64_t tenant, op;
	struct ps_operation *out;
};

static ps_code op_cancel_tx(struct ps_ctx *c, void *arg)
{
	struct op_cancel *a = arg;
	ps_code rc = c->st->ops->operation_get(c->st, a->tenant, a->op, a->out, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such operation");
	if (rc != PS_OK)
		return rc;
	if (a->out->state != PS_OP_SCHEDULED)
		return ps_err_set(&c->err, PS_CONFLICT, "state", "only a scheduled operation can be cancelled (this one is %s)",
				  ps_op_state_name(a->out->state));
	a->out->state = PS_OP_CANCELLED;
	a->out->updated_at = c->now;
	if ((rc = c->st->ops->operation_update(c->st, a->out, &c->err)) != PS_OK ||
	    (rc = c->st->ops->job_remove(c->st, PS_JOB_OPERATION, a->tenant, a->op, &c->err)) != PS_OK)
		return rc;
	char ref[32];
	return ps_app_audit(c, a->tenant, "operation.cancel", ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, a->op), "{}");
}

ps_code ps_app_operation_cancel(struct ps_ctx *c, int64_t tenant, int64_t op, struct ps_operation *out)
{
	struct op_cancel a = {tenant, op, out};
	return ps_app_tx(c, op_cancel_tx, &a);
}

/* A scheduled operation blocked at its time: failed, with the codes of
 * its reasons (or the refusal in c->err), audited. */
static ps_code scheduled_failed(struct ps_ctx *c, struct ps_operation *op, const struct ps_choice *d)
{
	struct ps_buf b;
	struct ps_jw w;
	ps_buf_init(&b, PS_TEXT_MAX);
	ps_jw_init(&w, &b);
	ps_jw_obj(&w);
	ps_jw_kstr(&w, "failure", "blocked");
	ps_jw_kint(&w, "moved", 0);
	ps_jw_key(&w, "license_errors");
	ps_jw_arr(&w);
	ps_jw_arr_end(&w);
	ps_jw_key(&w, "reasons");
	ps_jw_arr(&w);
	for (size_t i = 0; d && i < d->n_reasons; i++)
		ps_jw_str(&w, ps_reason_code_name(d->reasons[i].code));
	if (d && d->needs_data_ack)
		ps_jw_str(&w, "target_not_supported");
	if (!d || (d->n_reasons == 0 && !d->needs_data_ack))
		ps_jw_str(&w, "other");
	ps_jw_arr_end(&w);
	if (!d || (d->n_reasons == 0 && !d->needs_data_ack))
		ps_jw_kstr(&w, "message", c->err.msg);
	ps_jw_obj_end(&w);
	ps_err_clear(&c->err);
	snprintf(op->detail, sizeof op->detail, "%s", ps_buf_str(&b));
	ps_buf_fini(&b);
	op->state = PS_OP_FAILED;
	op->updated_at = c->now;
	ps_code rc = c->st->ops->operation_update(c->st, op, &c->err);
	char ref[32];
	if (rc == PS_OK)
		rc = ps_app_audit(c, op->tenant_id, "operation.fail", ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id),
				  op->detail);
	return rc;
}

/* The scheduled operation op at its time: the rules evaluated again (the
 * one decision), then the change as asked now, or failed with its reasons. */
static ps_code run_scheduled(struct ps_ctx *c, struct ps_operation *op)
{
	const struct ps_plan *to = ps_catalog_plan(c->app->catalog, op->target_plan);
	struct ps_change_in in = {.target_plan = op->target_plan,
				  .quantity = op->quantity,
				  .acknowledge_data_loss = detail_says(op, "acknowledge_data_loss"),
				  .acknowledge_addons = detail_says(op, "acknowledge_addons")};
	struct ps_decision tab;
	int64_t q;
	memset(&tab, 0, sizeof tab);
	ps_code rc = ps_app_evaluate(c, op->tenant_id, op->source_sub, PS_EVAL_UNSUPPORTED, &tab);
	if (rc != PS_OK)
		return rc;
	if (!to) {
		ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "no plan %s in the catalog", op->target_plan);
		return scheduled_failed(c, op, NULL);
	}
	if ((rc = decide(c, &tab, to, op->kind, &in)) == PS_INVALID_FIELD || rc == PS_CONFLICT)
		return scheduled_failed(c, op, NULL);
	if (rc != PS_OK)
		return rc;
	const struct ps_choice *d = tab.choice;
	const struct ps_snap_sub *s = tab.verdict->sub;
	if (!d->allowed)
		return scheduled_failed(c, op, d);
	/* More seats held now than asked for: all of them move. */
	int64_t floor = op->kind == PS_OPK_UPGRADE ? s->s.quantity : s->s.assigned;
	in.quantity = op->quantity > floor ? op->quantity : floor;
	if ((rc = quantity_of(c, s, &in, floor, &q)) != PS_OK)
		return scheduled_failed(c, op, NULL);
	struct ps_change_plan plan;
	plan_change(c, d, tab.snap, s, q, &plan);
	op->quantity = q;
	const struct ps_tenant *t = &tab.snap->tenant;
	if (plan.needs_credit_check) {
		struct ps_credit_check cc;
		if ((rc = ps_credit_request(c, t, plan.mrc_after, 0, op->id, &cc)) != PS_OK)
			return rc;
		op->credit_check_id = cc.id;
		op->state = PS_OP_PENDING_CREDIT_CHECK;
		op->updated_at = c->now;
		return c->st->ops->operation_update(c->st, op, &c->err);
	}
	return apply(c, t, op);
}

ps_code ps_app_operation_job(struct ps_ctx *c, int64_t tenant, int64_t id, int64_t *again)
{
	struct ps_operation op;
	*again = 0;
	ps_code rc = c->st->ops->operation_get(c->st, tenant, id, &op, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		return PS_OK;
	}
	if (rc != PS_OK || op.state != PS_OP_SCHEDULED)
		return rc; /* cancelled or failed meanwhile: nothing to do */
	if (op.effective_at > c->now) {
		*again = op.effective_at;
		return PS_OK;
	}
	/* It runs at its time, whenever the runner gets to it. */
	int64_t now = c->now;
	c->now = op.effective_at;
	rc = run_scheduled(c, &op);
	c->now = now;
	return rc;
}
