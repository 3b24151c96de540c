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
#include "ps_change_int.h"
#include "ps_jobs.h"

#include "../common/ps_json.h"
#include "../common/ps_mem.h"
#include "../common/ps_time.h"
#include "../core/ps_money.h"
#include "../core/ps_policy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the numbers of a change ---- */

/* Fill plan for moving s to `to` with `quantity` seats at c->now: the
 * money (ps_change_money), the credit check and the data at stake. */
void ps_change_plan_whole(struct ps_ctx *c, const struct ps_choice *d, const struct ps_snapshot *snap,
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
	out->per_seat_before = s->s.price_per_seat_month;
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
	/* The add-ons the target does not take, credited as cancellations. */
	out->credit = ps_money_add(out->credit, ps_choice_addons_credit(d, c->now));
	out->mrc_before = ps_snapshot_mrc(snap);
	out->mrc_after = ps_money_add(out->mrc_before, m.monthly_after);
	if (ps_sub_status_is_live(s->s.status))
		out->mrc_after = ps_money_add(out->mrc_after, -m.monthly_before);
	out->allowed = d->allowed;
	out->credit_limit = snap->tenant.credit_limit;
	out->needs_credit_check = ps_credit_check_is_needed(&snap->tenant, out->mrc_before, out->mrc_after);
}

ps_code ps_change_target(struct ps_ctx *c, const struct ps_change_in *in, const struct ps_plan **to)
{
	if (!in->target_plan)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "target_plan is required");
	*to = ps_catalog_plan(c->cat, in->target_plan);
	if (!*to)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "no plan %.64s in the catalog",
				  in->target_plan);
	return PS_OK;
}

ps_code ps_change_quantity(struct ps_ctx *c, const struct ps_snap_sub *s, const struct ps_change_in *in,
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
	int64_t kept[PS_LIST_MAX]; /* the subscription where each holds it */
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
		if (k->n < PS_LIST_MAX) {
			k->users[k->n] = a->user_id;
			k->kept[k->n] = a->subscription_id;
		}
		k->n++;
		take_seat(&k->all, a);
	}
	return true;
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
/* Keep in k->src only the users listed (sorted) in `only`. */
static void keep_only(struct seat_ids *src, const int64_t *only, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < src->n; i++)
		if (bsearch(&src->v[i], only, n, sizeof *only, cmp_id))
			src->v[w++] = src->v[i];
	src->n = w;
}

/* Users of s (those listed in `only`, when n_only > 0) who hold a seat of
 * to's product elsewhere; k->src: the users of s considered. */
static ps_code find_clashes_of(struct ps_ctx *c, int64_t tenant, const struct ps_subscription *s,
			       const struct ps_plan *to, const int64_t *only, size_t n_only, struct clashes *k)
{
	struct ps_store *st = c->st;
	k->n = 0;
	if (s->assigned <= 0 || !to->product)
		return PS_OK;
	struct holders h = {.src = s->id, .product = to->product->id};
	ps_code rc = st->ops->sub_list(st, tenant, 0, 0, find_holder, &h, &c->err);
	if (rc != PS_OK || (h.n == 0 && n_only == 0))
		return rc;
	rc = st->ops->assignment_list(st, tenant, s->id, 0, 0, take_seat, &k->src, &c->err);
	if (rc == PS_OK && k->src.n > 0)
		qsort(k->src.v, k->src.n, sizeof *k->src.v, cmp_id);
	if (rc == PS_OK && n_only > 0)
		keep_only(&k->src, only, n_only);
	if (rc != PS_OK || h.n == 0)
		return rc;
	for (size_t i = 0; rc == PS_OK && k->src.n > 0 && i < h.n; i++)
		rc = st->ops->assignment_list(st, tenant, h.ids[i], 0, 0, find_clash, k, &c->err);
	if (k->all.n > 0)
		qsort(k->all.v, k->all.n, sizeof *k->all.v, cmp_id);
	return rc;
}

static ps_code find_clashes(struct ps_ctx *c, int64_t tenant, const struct ps_subscription *s, const struct ps_plan *to,
			    struct clashes *k)
{
	return find_clashes_of(c, tenant, s, to, NULL, 0, k);
}

static enum ps_switch_mode mode_of(const struct ps_change_in *in)
{
	return in->into ? PS_SWITCH_INTO : in->n_users > 0 ? PS_SWITCH_SOME : PS_SWITCH_ALL;
}

/* `into`: another live (active) base subscription of the tenant; its plan
 * is the target. */
static ps_code into_of(struct ps_ctx *c, struct ps_decision *d, int64_t into, const struct ps_plan **to)
{
	const struct ps_snap_sub *t = ps_snapshot_sub(d->snap, into);
	if (!t)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "into", "into: no such subscription of this tenant");
	if (t->s.id == d->verdict->sub->s.id)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "into", "into must be another subscription");
	if (t->s.status != PS_SUB_ACTIVE || t->s.replaced_by || t->s.addon_of || !t->plan || t->plan->addon)
		return ps_err_set(&c->err, PS_CONFLICT, "into", "into must be an active base subscription (it is %s)",
				  ps_sub_status_name(t->s.status));
	d->into = t;
	*to = t->plan;
	return PS_OK;
}

/* The refusal of a target no state would make valid, naming the field that
 * gave it (target_plan, or into) and, for a retired plan, why. */
static ps_code not_a_target(struct ps_ctx *c, const struct ps_change_in *in, const struct ps_plan *to)
{
	const char *field = in->into ? "into" : "target_plan";
	if (to->retired)
		return ps_err_set(&c->err, PS_INVALID_FIELD, field,
				  "plan %s is retired: it is no longer sold nor a target of a change (change away from it "
				  "instead)",
				  to->id);
	return ps_err_set(&c->err, PS_INVALID_FIELD, field, "%s is not a plan this subscription can move to", to->id);
}

/* The one decision (ps_decide) on moving d's subscription to `to`, into
 * d->choice; an input error no state would make valid is returned as such. */
ps_code ps_change_decide(struct ps_ctx *c, struct ps_decision *d, const struct ps_plan *to, enum ps_op_kind kind,
		      const struct ps_change_in *in)
{
	struct clashes k = {.src = {.v = NULL}, .all = {.v = NULL}};
	enum ps_switch_mode mode = kind == PS_OPK_SWITCH ? mode_of(in) : PS_SWITCH_ALL;
	const struct ps_subscription *src = &d->verdict->sub->s;
	ps_code rc = find_clashes_of(c, d->snap->tenant.id, src, to, in->user_ids, mode == PS_SWITCH_SOME ? in->n_users : 0,
				     &k);
	d->leaving = mode == PS_SWITCH_SOME ? (int64_t)k.src.n : src->assigned;
	d->keeping = (int64_t)k.n;
	size_t listed = k.src.n;
	clashes_fini(&k);
	if (rc != PS_OK)
		return rc;
	if (mode == PS_SWITCH_SOME && listed != in->n_users)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "users", "users: %zu of them hold no license of this subscription",
				  in->n_users - listed);
	if (mode == PS_SWITCH_SOME && src->status != PS_SUB_ACTIVE)
		return ps_err_set(&c->err, PS_CONFLICT, "status",
				  "some users move out of an active subscription only (this one is %s): move everyone",
				  ps_sub_status_name(src->status));
	if (!c->choice)
		c->choice = ps_malloc(sizeof *c->choice);
	struct ps_choice_in ci = {.to = to,
				  .kind = kind,
				  .mode = mode,
				  .acknowledge_data_loss = in->acknowledge_data_loss,
				  .acknowledge_addons = in->acknowledge_addons,
				  .clash_users = k.users,
				  .clash_subs = k.kept,
				  .n_clashes = k.n};
	ps_decide(d->snap, d->verdict, &ci, c->choice);
	d->choice = c->choice;
	d->offer = c->choice->offer;
	if (c->choice->input == PS_CHOICE_NOT_A_TARGET)
		return not_a_target(c, in, to);
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

/* The target (target_plan, or the plan of `into`), the rules evaluated on
 * the tenant as it is now, and the one decision, into *tab. */
static ps_code evaluate_and_decide(struct ps_ctx *c, int64_t tenant, int64_t sub, enum ps_op_kind kind,
				   const struct ps_change_in *in, struct ps_decision *tab)
{
	const struct ps_plan *to = NULL;
	ps_code rc;
	if (in->into && in->target_plan)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "into", "give into or target_plan, not both");
	if (!in->into && (rc = ps_change_target(c, in, &to)) != PS_OK)
		return rc;
	/* Changes nothing: not even a due renewal (the runner's, jobs.c). */
	if ((rc = ps_app_evaluate(c, tenant, sub, PS_EVAL_UNSUPPORTED, tab)) != PS_OK)
		return rc;
	tab->into = NULL;
	tab->leaving = tab->keeping = 0;
	if (in->into && (rc = into_of(c, tab, in->into, &to)) != PS_OK)
		return rc;
	return ps_change_decide(c, tab, to, kind, in);
}

/* The new subscription of a move of some users: the target's plan with q
 * seats, on the source's period and ending with its term. */
static void new_of_some(struct ps_ctx *c, const struct ps_subscription *src, const struct ps_plan *to, int64_t q,
			struct ps_subscription *dst)
{
	memset(dst, 0, sizeof *dst);
	dst->tenant_id = src->tenant_id;
	snprintf(dst->plan_id, sizeof dst->plan_id, "%s", to->id);
	snprintf(dst->product_id, sizeof dst->product_id, "%s", to->product ? to->product->id : "");
	dst->quantity = q;
	dst->status = c->app->provisioning_manual ? PS_SUB_PROVISIONING : PS_SUB_ACTIVE;
	dst->term = src->term;
	dst->prepaid = src->prepaid;
	dst->term_start = src->term_start;
	dst->term_end = src->term_end;
	dst->billed_through = src->billed_through;
	dst->created_at = c->now;
	ps_sub_sell_at(dst, to); /* sold at today's price of the target */
}

/* The numbers of a manual change by seat, with the proration of every seat
 * change (ps_seats_prorated, as ps_ledger_seats bills it): `users`, the
 * seats leaving the source credited and the new subscription's charged
 * for the rest of the period; `into`, the source's seats credited and the
 * seats `into` lacks charged for the rest of its period. */
static void plan_by_seat(struct ps_ctx *c, const struct ps_decision *tab, int64_t q, struct ps_change_plan *out)
{
	const struct ps_choice *d = tab->choice;
	const struct ps_snap_sub *s = tab->verdict->sub;
	const struct ps_plan *from = s->plan;
	int64_t end = 0, delta_mrc;
	memset(out, 0, sizeof *out);
	out->kind = PS_OPK_SWITCH;
	out->from = from;
	out->to = d->to;
	out->users = tab->leaving - tab->keeping;
	out->data_safe = from ? ps_plan_is_data_safe(from, d->to, &out->safety) : false;
	out->period_start = c->now;
	if (tab->into) {
		const struct ps_snap_sub *t = tab->into;
		int64_t more = t->s.assigned + out->users - t->s.quantity;
		more = more > 0 ? more : 0;
		out->quantity = t->s.quantity + more;
		out->credit = d->credit_source ? -ps_seats_prorated(&s->s, -s->s.quantity, c->now, &end) : 0;
		out->charge = ps_seats_prorated(&t->s, more, c->now, &out->period_end);
		out->monthly_before = ps_sub_monthly_charge(&s->s, s->s.quantity);
		out->monthly_after = ps_sub_monthly_charge(&t->s, out->quantity);
		ps_prepaid_loss(&s->s, c->now, &out->unused_days, &out->unused_value);
		delta_mrc = ps_money_sub(ps_sub_monthly_charge(&t->s, more),
					 d->credit_source ? ps_sub_monthly_charge(&s->s, s->s.quantity) : 0);
	} else {
		struct ps_subscription neu;
		int64_t released = tab->leaving < s->s.quantity ? tab->leaving : s->s.quantity;
		new_of_some(c, &s->s, d->to, q, &neu);
		out->quantity = q;
		out->credit = -ps_seats_prorated(&s->s, -released, c->now, &end);
		out->charge = ps_seats_prorated(&neu, q, c->now, &out->period_end);
		out->monthly_before = ps_sub_monthly_charge(&s->s, s->s.quantity);
		out->monthly_after = ps_sub_monthly_charge(&neu, q);
		delta_mrc = ps_money_sub(out->monthly_after, ps_sub_monthly_charge(&s->s, released));
	}
	if (!out->period_end)
		out->period_end = end;
	out->credit = ps_money_add(out->credit, ps_choice_addons_credit(d, c->now));
	out->mrc_before = ps_snapshot_mrc(tab->snap);
	out->mrc_after = ps_money_add(out->mrc_before, delta_mrc);
	out->allowed = d->allowed;
	out->credit_limit = tab->snap->tenant.credit_limit;
	out->needs_credit_check = ps_credit_check_is_needed(&tab->snap->tenant, out->mrc_before, out->mrc_after);
}

/* The quantity and the numbers of the change decided in *tab. */
static ps_code size_change(struct ps_ctx *c, const struct ps_decision *tab, enum ps_op_kind kind,
			   const struct ps_change_in *in, struct ps_change_plan *out)
{
	const struct ps_snap_sub *s = tab->verdict->sub;
	enum ps_switch_mode mode = kind == PS_OPK_SWITCH ? mode_of(in) : PS_SWITCH_ALL;
	int64_t q;
	ps_code rc;
	if (mode == PS_SWITCH_INTO) {
		if (in->quantity)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "quantity",
					  "into: the subscription's quantity rises as needed; quantity is not taken");
		plan_by_seat(c, tab, 0, out);
		return PS_OK;
	}
	if (mode == PS_SWITCH_SOME) {
		/* Default: a seat for each user who moves (the others keep theirs). */
		int64_t moving = tab->leaving - tab->keeping;
		q = in->quantity ? in->quantity : moving;
		if (q < moving || q < 1 || q > PS_QUANTITY_MAX)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "quantity",
					  "quantity must be at least %lld (the users who move), at least 1 and at most %d",
					  (long long)moving, PS_QUANTITY_MAX);
		plan_by_seat(c, tab, q, out);
		return PS_OK;
	}
	int64_t floor = kind == PS_OPK_UPGRADE ? s->s.quantity : s->s.assigned;
	if ((rc = ps_change_quantity(c, s, in, floor, &q)) != PS_OK)
		return rc;
	ps_change_plan_whole(c, tab->choice, tab->snap, s, q, out);
	return PS_OK;
}

ps_code ps_app_preview(struct ps_ctx *c, int64_t tenant, int64_t sub, enum ps_op_kind kind,
		       const struct ps_change_in *in, struct ps_change_plan *out, struct ps_decision *tab)
{
	memset(tab, 0, sizeof *tab);
	ps_code rc;
	if ((rc = evaluate_and_decide(c, tenant, sub, kind, in, tab)) != PS_OK)
		return rc;
	return size_change(c, tab, kind, in, out);
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
static void op_detail(struct ps_operation *op, int64_t moved, const char *failure, const int64_t *clash,
		      const int64_t *kept, size_t n)
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
					"%s{\"user\":\"%s%lld\",\"code\":\"already_licensed\",\"subscription\":\"%s%lld\"}",
					i ? "," : "", PS_PFX_USER, (long long)clash[i], PS_PFX_SUB,
					(long long)(kept ? kept[i] : 0));
	if (len < sizeof op->detail)
		snprintf(op->detail + len, sizeof op->detail - len, "]}");
}

/* Add `,text` to op's result object; false when it does not fit. */
static bool detail_append(struct ps_operation *op, const char *text)
{
	size_t len = strlen(op->detail), n = strlen(text);
	if (len < 2 || op->detail[len - 1] != '}' || len + n + 1 >= sizeof op->detail)
		return false;
	char *at = op->detail + len - 1;
	*at++ = ',';
	memcpy(at, text, n);
	at[n] = '}';
	at[n + 1] = '\0';
	return true;
}

/* s ends now with `status`: its term and what is billed stop at now. */
static void end_now(struct ps_subscription *s, enum ps_sub_status status, int64_t now)
{
	s->status = status;
	if (s->term_end > now)
		s->term_end = now;
	if (s->billed_through > now)
		s->billed_through = now;
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

/* The add-ons a switch cancelled, and who held their seats, kept in the
 * operation's result ("addons_cancelled") so that failing the operation
 * revives them (RULES second part, "An operation always ends"). */
struct cancelled_addons {
	struct ps_buf json; /* [{"subscription":"sub_N","users":["usr_N",...]},...] */
	size_t n;
};

static void note_cancelled(struct cancelled_addons *k, int64_t addon, const struct seat_ids *seats)
{
	ps_buf_printf(&k->json, "%s{\"subscription\":\"%s%lld\",\"users\":[", k->n++ ? "," : "", PS_PFX_SUB,
		      (long long)addon);
	for (size_t i = 0; i < seats->n; i++)
		ps_buf_printf(&k->json, "%s\"%s%lld\"", i ? "," : "", PS_PFX_USER, (long long)seats->v[i]);
	ps_buf_puts(&k->json, "]}");
}

/* op's result with "addons_cancelled" added, when it fits; else the
 * operation cannot keep what an undo needs, and the switch is refused. */
static ps_code detail_add_cancelled(struct ps_ctx *c, struct ps_operation *op, const struct cancelled_addons *k)
{
	size_t len = strlen(op->detail);
	if (k->n == 0)
		return PS_OK;
	if (len < 2 || op->detail[len - 1] != '}' ||
	    k->json.toobig || len - 1 + strlen(",\"addons_cancelled\":[]}") + k->json.len >= sizeof op->detail)
		return ps_err_set(&c->err, PS_CONFLICT, "addon_of",
				  "the add-ons this change cancels hold too many seats to record: unassign them or "
				  "cancel the add-ons first");
	char text[sizeof op->detail];
	snprintf(text, sizeof text, "\"addons_cancelled\":[%s]", ps_buf_str(&k->json));
	detail_append(op, text);
	return PS_OK;
}

static ps_code cancel_addon(struct ps_ctx *c, const struct ps_tenant *t, struct ps_subscription *a,
			    struct cancelled_addons *noted);

/* The live add-ons of a->base; refused when more than a change carries. */
static ps_code load_addons(struct ps_ctx *c, const struct ps_tenant *t, struct addon_acc *a)
{
	ps_code rc = c->st->ops->sub_list(c->st, t->id, 0, 0, find_addons, a, &c->err);
	if (rc == PS_OK && a->total > PS_ADDONS_MAX)
		return ps_err_set(&c->err, PS_CONFLICT, "addon_of",
				  "%zu add-ons are attached; at most %d move with a plan: cancel some first", a->total,
				  PS_ADDONS_MAX);
	return rc;
}

/* Each add-on follows to `base`, or (the switch's acknowledged outcome)
 * ends, kept in op's result so that failing op revives it. */
static ps_code addons_follow(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op,
			     struct addon_acc *addons, const struct ps_plan *to, int64_t base)
{
	struct cancelled_addons gone = {.n = 0};
	ps_code rc = PS_OK;
	ps_buf_init(&gone.json, sizeof op->detail);
	for (size_t i = 0; rc == PS_OK && i < addons->n; i++) {
		if (!ps_addon_can_attach(ps_catalog_plan(c->cat, addons->v[i].plan_id), to)) {
			rc = cancel_addon(c, t, &addons->v[i], &gone);
			continue;
		}
		addons->v[i].addon_of = base;
		rc = ps_app_sub_update(c, &addons->v[i]);
	}
	if (rc == PS_OK)
		rc = detail_add_cancelled(c, op, &gone);
	ps_buf_fini(&gone.json);
	return rc;
}

/* An add-on the target does not take ends with the change: its seats are
 * given up, its unused days credited as a cancellation. */
static ps_code cancel_addon(struct ps_ctx *c, const struct ps_tenant *t, struct ps_subscription *a,
			    struct cancelled_addons *noted)
{
	struct ps_store *st = c->st;
	struct seat_ids k = {.v = NULL};
	ps_code rc = st->ops->assignment_list(st, t->id, a->id, 0, 0, take_seat, &k, &c->err);
	for (size_t i = 0; rc == PS_OK && i < k.n; i++)
		if ((rc = st->ops->assignment_delete(st, t->id, a->id, k.v[i], &c->err)) == PS_OK)
			ps_render_seat(ps_app_event(c, PS_EV_LICENSE_UNASSIGNED, t->id, 0), a->id, k.v[i], false);
	if (rc == PS_OK)
		note_cancelled(noted, a->id, &k);
	ps_free(k.v);
	if (rc != PS_OK)
		return rc;
	if ((rc = st->ops->sub_get(st, t->id, a->id, a, &c->err)) != PS_OK ||
	    (rc = ps_ledger_seats(c, t, a, -a->quantity, PS_LINE_CANCEL)) != PS_OK)
		return rc;
	end_now(a, PS_SUB_CANCELLED, c->now);
	if ((rc = ps_app_sub_update(c, a)) != PS_OK)
		return rc;
	char ref[32];
	return ps_app_audit(c, t->id, "subscription.cancel", ps_app_ref(ref, sizeof ref, PS_PFX_SUB, a->id),
			    "{\"reason\":\"addon_not_taken_by_target\"}");
}


/* ---- manual changes by seat (RULES second part) ---- */

enum ps_switch_mode ps_op_mode(const struct ps_operation *op)
{
	if (strstr(op->detail, "\"mode\":\"users\""))
		return PS_SWITCH_SOME;
	if (strstr(op->detail, "\"mode\":\"into\""))
		return PS_SWITCH_INTO;
	return PS_SWITCH_ALL;
}

/* A figure kept in op's result ("released":N), or 0. */
static int64_t detail_int(const struct ps_operation *op, const char *key)
{
	char k[40];
	snprintf(k, sizeof k, "\"%s\":", key);
	const char *p = strstr(op->detail, k);
	return p ? strtoll(p + strlen(k), NULL, 10) : 0;
}

/* op's result with `moved` set, the rest (license errors, mode) kept. */
static void detail_moved(struct ps_operation *op, int64_t moved)
{
	char tmp[sizeof op->detail + 32];
	const char *rest = strchr(op->detail, ',');
	int n = snprintf(tmp, sizeof tmp, "{\"moved\":%lld%s", (long long)moved, rest ? rest : "}");
	if (n > 0 && (size_t)n < sizeof op->detail)
		memcpy(op->detail, tmp, (size_t)n + 1);
}

/* The operation of a change by seat, before it is inserted: its mode, the
 * users the decision found keeping a license elsewhere, and `into`. */
static bool by_seat_start(struct ps_ctx *c, struct change *ch, struct ps_operation *op, enum ps_switch_mode mode)
{
	const struct ps_choice *d = ch->tab->choice;
	op_detail(op, 0, NULL, d->license_errors, d->license_kept, d->n_license_errors);
	if (mode == PS_SWITCH_INTO)
		op->new_sub = ch->tab->into->s.id;
	return detail_append(op, mode == PS_SWITCH_INTO ? "\"mode\":\"into\"" : "\"mode\":\"users\"");
}

/* The subscriptions of op: its source and the one it made (or moved into). */
static ps_code op_subs(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_operation *op,
		       struct ps_subscription *src, struct ps_subscription *dst)
{
	ps_code rc = c->st->ops->sub_get(c->st, t->id, op->source_sub, src, &c->err);
	return rc != PS_OK ? rc : c->st->ops->sub_get(c->st, t->id, op->new_sub, dst, &c->err);
}

/* Some users move (op's users): a new subscription of the target on the
 * source's period, their seats moved in one statement per table, the
 * source's quantity down by the seats that left, credited for the unused
 * days; the new seats charged for the rest of the period. */
static ps_code apply_some(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op)
{
	struct ps_store *st = c->st;
	struct ps_subscription src, dst, after;
	const struct ps_plan *to = ps_catalog_plan(c->cat, op->target_plan);
	ps_code rc = st->ops->sub_get(st, t->id, op->source_sub, &src, &c->err);
	if (rc != PS_OK)
		return rc;
	if (!to)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "target_plan", "no plan %s in the catalog", op->target_plan);
	if (src.status != PS_SUB_ACTIVE)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription is %s", ps_sub_status_name(src.status));
	new_of_some(c, &src, to, op->quantity, &dst);
	if ((rc = ps_app_sub_insert(c, &dst)) != PS_OK ||
	    (rc = st->ops->seats_move_some(st, t->id, src.id, dst.id, op->id, &c->err)) != PS_OK ||
	    (rc = st->ops->sub_get(st, t->id, src.id, &after, &c->err)) != PS_OK ||
	    (rc = st->ops->sub_get(st, t->id, dst.id, &dst, &c->err)) != PS_OK)
		return rc;
	int64_t left = src.assigned - after.assigned;
	int64_t released = left < after.quantity ? left : after.quantity;
	if (released > 0 && (rc = ps_ledger_seats(c, t, &after, -released, PS_LINE_SWITCH)) != PS_OK)
		return rc;
	after.quantity -= released;
	if ((rc = ps_app_sub_update(c, &after)) != PS_OK ||
	    (rc = ps_ledger_seats(c, t, &dst, dst.quantity, PS_LINE_PURCHASE)) != PS_OK)
		return rc;
	char more[48];
	snprintf(more, sizeof more, "\"released\":%lld", (long long)released);
	detail_moved(op, dst.assigned);
	detail_append(op, more);
	op->new_sub = dst.id;
	op->state = dst.status == PS_SUB_PROVISIONING ? PS_OP_PROVISIONING : PS_OP_COMPLETED;
	op->updated_at = c->now;
	if ((rc = ps_app_op_update(c, op)) != PS_OK)
		return rc;
	char ref[32], detail[256];
	snprintf(detail, sizeof detail,
		 "{\"from\":\"%s\",\"to\":\"%s\",\"new_subscription\":\"%s%lld\",\"moved\":%lld,\"released\":%lld}",
		 src.plan_id, to->id, PS_PFX_SUB, (long long)dst.id, (long long)dst.assigned, (long long)released);
	return ps_app_audit(c, t->id, "subscription.switch", ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id), detail);
}

static ps_code addons_follow(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op,
			     struct addon_acc *addons, const struct ps_plan *to, int64_t base);

/* Everyone moves into op's existing subscription (op->new_sub): its
 * quantity rises as needed, charged pro rata; the source ends replaced
 * (an ended one stays as it is), credited for its unused days when live;
 * its add-ons follow or, acknowledged, end. */
static ps_code apply_into(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op)
{
	struct ps_store *st = c->st;
	struct ps_subscription src, into;
	ps_code rc = op_subs(c, t, op, &src, &into);
	if (rc != PS_OK)
		return rc;
	const struct ps_plan *to = ps_catalog_plan(c->cat, into.plan_id);
	bool ended = src.status == PS_SUB_EXPIRED || src.status == PS_SUB_DISABLED;
	bool live = src.status == PS_SUB_ACTIVE || src.status == PS_SUB_PROVISIONING;
	if (!to || into.status != PS_SUB_ACTIVE || into.replaced_by)
		return ps_err_set(&c->err, PS_CONFLICT, "into", "into is no longer an active subscription");
	if (!live && !ended)
		return ps_err_set(&c->err, PS_CONFLICT, "status", "subscription is %s", ps_sub_status_name(src.status));
	struct addon_acc addons = {.base = src.id};
	if ((rc = load_addons(c, t, &addons)) != PS_OK)
		return rc;
	int64_t before = into.assigned;
	if ((rc = st->ops->seats_move_some(st, t->id, src.id, into.id, 0, &c->err)) != PS_OK ||
	    (rc = st->ops->sub_get(st, t->id, into.id, &into, &c->err)) != PS_OK)
		return rc;
	int64_t more = into.assigned - into.quantity;
	if (more > 0) {
		if ((rc = ps_ledger_seats(c, t, &into, more, PS_LINE_SWITCH)) != PS_OK)
			return rc;
		into.quantity += more;
		if ((rc = ps_app_sub_update(c, &into)) != PS_OK)
			return rc;
	}
	if ((rc = addons_follow(c, t, op, &addons, to, into.id)) != PS_OK)
		return rc;
	if ((rc = st->ops->sub_get(st, t->id, src.id, &src, &c->err)) != PS_OK)
		return rc;
	if (live && (rc = ps_ledger_seats(c, t, &src, -src.quantity, PS_LINE_SWITCH)) != PS_OK)
		return rc;
	src.replaced_by = into.id;
	if (live)
		end_now(&src, PS_SUB_REPLACED, c->now);
	if ((rc = ps_app_sub_update(c, &src)) != PS_OK)
		return rc;
	detail_moved(op, into.assigned - before);
	op->quantity = into.quantity;
	op->state = PS_OP_COMPLETED;
	op->updated_at = c->now;
	if ((rc = ps_app_op_update(c, op)) != PS_OK)
		return rc;
	char ref[32], detail[256];
	snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"into\":\"%s%lld\",\"moved\":%lld,\"added_seats\":%lld}",
		 src.plan_id, PS_PFX_SUB, (long long)into.id, (long long)(into.assigned - before),
		 (long long)(more > 0 ? more : 0));
	return ps_app_audit(c, t->id, "subscription.switch", ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id), detail);
}

static ps_code apply_all(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op);

/* The change itself, on op (already inserted): by its mode. */

/* src, which had a cancellation at term end, is replaced by dst now: an
 * upgrade keeps the term, so the cancellation (its operation and its job)
 * moves to dst, ending it at the same time; a manual change buys the
 * target afresh, so the cancellation ends with the source (its operation
 * cancelled), as it does when src is cancelled now (dst NULL).
 * src->cancel_at is cleared either way (saved by the caller). */
ps_code ps_app_cancellation_follows(struct ps_ctx *c, struct ps_subscription *src, const struct ps_subscription *dst)
{
	struct ps_store *st = c->st;
	struct ps_operation op;
	ps_code rc = st->ops->operation_find_scheduled(st, src->tenant_id, src->id, &op, &c->err);
	if (rc == PS_NOT_FOUND)
		ps_err_clear(&c->err);
	else if (rc != PS_OK)
		return rc;
	bool moves = dst && dst->cancel_at != 0;
	if (rc == PS_OK && op.kind == PS_OPK_CANCEL) {
		op.source_sub = moves ? dst->id : op.source_sub;
		op.state = moves ? PS_OP_SCHEDULED : PS_OP_CANCELLED;
		op.updated_at = c->now;
		if ((rc = ps_app_op_update(c, &op)) != PS_OK)
			return rc;
		src->scheduled = 0; /* as src is shown from now on */
	}
	if ((rc = st->ops->job_remove(st, PS_JOB_CANCEL, src->tenant_id, src->id, &c->err)) != PS_OK ||
	    (moves && (rc = ps_jobs_schedule(c, PS_JOB_CANCEL, dst->tenant_id, dst->id, dst->cancel_at)) != PS_OK))
		return rc;
	src->cancel_at = 0;
	return PS_OK;
}

ps_code ps_change_apply(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op)
{
	if (op->kind == PS_OPK_SWITCH && ps_op_mode(op) == PS_SWITCH_SOME)
		return apply_some(c, t, op);
	if (op->kind == PS_OPK_SWITCH && ps_op_mode(op) == PS_SWITCH_INTO)
		return apply_into(c, t, op);
	return apply_all(c, t, op);
}

/* The change itself, on op (already inserted): the new subscription, the
 * seats, the old one ended, the money, the operation's new state. */
static ps_code apply_all(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op)
{
	struct ps_store *st = c->st;
	struct ps_subscription src, dst;
	ps_code rc = st->ops->sub_get(st, t->id, op->source_sub, &src, &c->err);
	if (rc != PS_OK)
		return rc;
	const struct ps_plan *from = ps_catalog_plan(c->cat, src.plan_id);
	const struct ps_plan *to = ps_catalog_plan(c->cat, op->target_plan);
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
	if ((rc = load_addons(c, t, &addons)) != PS_OK)
		return rc;
	for (size_t i = 0; i < addons.n && upgrade; i++) {
		if (!ps_addon_can_attach(ps_catalog_plan(c->cat, addons.v[i].plan_id), to))
			return ps_err_set(&c->err, PS_CONFLICT, "addon_of",
					  "add-on %s%lld (%s) does not attach to %s: cancel it first", PS_PFX_SUB,
					  (long long)addons.v[i].id, addons.v[i].plan_id, to->id);
	}

	memset(&dst, 0, sizeof dst);
	dst.tenant_id = t->id;
	snprintf(dst.plan_id, sizeof dst.plan_id, "%s", to->id);
	snprintf(dst.product_id, sizeof dst.product_id, "%s", to->product->id);
	dst.quantity = op->quantity;
	ps_sub_sell_at(&dst, to); /* the target at today's price */
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
	/* A cancellation at term end goes with the plan to the same term's
	 * end (an upgrade keeps the term); a manual change buys the target
	 * afresh, and the source's cancellation ends with the source. */
	if (upgrade && live)
		dst.cancel_at = src.cancel_at;
	if ((rc = ps_app_sub_insert(c, &dst)) != PS_OK ||
	    (src.cancel_at && (rc = ps_app_cancellation_follows(c, &src, &dst)) != PS_OK))
		return rc;
	int64_t moved = 0;
	struct clashes k = {.src = {.v = NULL}, .all = {.v = NULL}};
	if ((rc = find_clashes(c, t->id, &src, to, &k)) == PS_OK && k.n > 0 && !upgrade) {
		/* Those who hold a seat of the target's product keep it; the
		 * others move: one statement per table. */
		struct ps_subscription now;
		rc = st->ops->seats_move_some(st, t->id, src.id, dst.id, 0, &c->err);
		if (rc == PS_OK && (rc = st->ops->sub_get(st, t->id, dst.id, &now, &c->err)) == PS_OK)
			moved = now.assigned;
	} else if (rc == PS_OK)
		rc = st->ops->assignments_move(st, t->id, src.id, dst.id, to->product->id, &moved, &c->err);
	if (rc == PS_OK && !upgrade)
		op_detail(op, moved, NULL, k.users, k.kept, k.n < PS_LIST_MAX ? k.n : PS_LIST_MAX);
	clashes_fini(&k);
	if (rc == PS_CONFLICT)
		return ps_err_set(&c->err, PS_CONFLICT, "user",
				  "a user of this subscription already holds a license of %s from another "
				  "subscription: unassign it there first",
				  to->product->id);
	if (rc != PS_OK)
		return rc;
	if ((rc = addons_follow(c, t, op, &addons, to, dst.id)) != PS_OK)
		return rc;

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
		if ((rc = ps_app_sub_update(c, &dst)) != PS_OK)
			return rc;
	}
	src.replaced_by = dst.id;
	if (live)
		end_now(&src, upgrade ? PS_SUB_REPLACED : PS_SUB_CANCELLED, c->now);
	if ((rc = ps_app_sub_update(c, &src)) != PS_OK)
		return rc;

	op->new_sub = dst.id;
	op->state = dst.status == PS_SUB_PROVISIONING ? PS_OP_PROVISIONING : PS_OP_COMPLETED;
	op->updated_at = c->now;
	if (upgrade)
		op_detail(op, moved, NULL, NULL, NULL, 0);
	if ((rc = ps_app_op_update(c, op)) != PS_OK)
		return rc;
	char ref[32], detail[256];
	snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"to\":\"%s\",\"new_subscription\":\"%s%lld\",\"moved\":%lld}",
		 src.plan_id, to->id, PS_PFX_SUB, (long long)dst.id, (long long)moved);
	return ps_app_audit(c, t->id, upgrade ? "subscription.upgrade" : "subscription.switch",
			    ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id), detail);
}

/* Refused by the store's one-operation-at-a-time rule: a twin request got
 * there first. The refusal says exactly that, upgrade_in_progress (the
 * operation not yet known, expected within the provisioning time), never
 * the reasons of the subscription that the change itself did not mind. */
static void twin_in_progress(struct ps_ctx *c, struct ps_verdict *v, struct ps_choice *d)
{
	struct ps_reason x;
	memset(&x, 0, sizeof x);
	x.code = PS_R_UPGRADE_IN_PROGRESS;
	x.sub = v->sub;
	x.status = v->sub->s.status;
	x.wait_until = c->now + ps_snapshot_provisioning_sla(&c->snap);
	if (!ps_verdict_reason(v, PS_R_UPGRADE_IN_PROGRESS) && v->n_reasons < PS_R__COUNT)
		v->reasons[v->n_reasons++] = x;
	if (d) {
		d->reasons[0] = x;
		d->n_reasons = 1;
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
	op_detail(op, 0, NULL, NULL, NULL, 0);
	enum ps_switch_mode mode = ch->kind == PS_OPK_SWITCH ? mode_of(ch->in) : PS_SWITCH_ALL;
	if (mode != PS_SWITCH_ALL && !by_seat_start(c, ch, op, mode))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "users", "too many users keep a license elsewhere to list");
	ps_code rc = ps_app_op_insert(c, op);
	if (rc == PS_CONFLICT) {
		twin_in_progress(c, c->verdict, c->choice);
		return ps_err_set(&c->err, PS_UPGRADE_BLOCKED, NULL, "another upgrade of this tenant is in progress");
	}
	if (rc != PS_OK)
		return rc;
	if (mode == PS_SWITCH_SOME && (rc = st->ops->operation_users_put(st, t->id, op->id, ch->in->users_json, &c->err)))
		return rc;
	if (!plan->needs_credit_check)
		return ps_change_apply(c, t, op);
	struct ps_credit_check cc;
	if ((rc = ps_credit_request(c, t, plan->mrc_after, 0, op->id, &cc)) != PS_OK)
		return rc;
	op->credit_check_id = cc.id;
	return ps_app_op_update(c, op);
}

/* The change to `to` when the one decision allows it; else its refusal,
 * naming the reasons the preview showed. */
static ps_code change_to(struct ps_ctx *c, struct change *ch)
{
	ps_code rc;
	bool upgrade = ch->kind == PS_OPK_UPGRADE;
	const struct ps_choice *d = ch->tab->choice;
	const struct ps_plan *to = d->to;
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
	struct ps_change_plan plan;
	if ((rc = size_change(c, ch->tab, ch->kind, ch->in, &plan)) != PS_OK)
		return rc;
	return start(c, ch, &plan);
}



/* One change, in its transaction: the target, the rules evaluated again on
 * what is read inside it, then the upgrade or the manual change. */
static ps_code change_tx(struct ps_ctx *c, void *arg)
{
	struct change *ch = arg;
	ps_code rc;
	if ((rc = ps_app_catalog_hold(c)) || (rc = evaluate_and_decide(c, ch->tenant, ch->sub, ch->kind, ch->in, ch->tab)))
		return rc;
	return change_to(c, ch);
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
		return ps_change_apply(c, t, &op);
	op_detail(&op, 0, cc->status == PS_CC_APPROVED ? "no_longer_possible" : "credit_check_denied", NULL, NULL, 0);
	op.state = PS_OP_FAILED;
	op.updated_at = c->now;
	return ps_app_op_update(c, &op);
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
		   (l->kind == PS_LINE_UPGRADE_CREDIT || l->kind == PS_LINE_SWITCH || l->kind == r->src_kind)) {
		r->src_credit = ps_money_add(r->src_credit, l->amount);
		r->src_end = r->src_end > l->period_end ? r->src_end : l->period_end;
		r->src_kind = l->kind;
	}
	return true;
}

/* An add-on the switch cancelled (listed in op's result) lives again:
 * attached to src, its seats back, its cancellation credit charged back
 * and its period as it was. */
static ps_code revive_addon(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_subscription *src,
			    const struct op_invoices *inv, int64_t id, json_t *users)
{
	struct ps_store *st = c->st;
	struct ps_subscription a;
	ps_code rc = st->ops->sub_get(st, t->id, id, &a, &c->err);
	if (rc != PS_OK)
		return rc;
	if (a.status != PS_SUB_CANCELLED)
		return PS_OK;
	struct reversal r = {.src = a.id, .dst = -1, .src_kind = PS_LINE_CANCEL};
	for (size_t i = 0; i < inv->n; i++)
		if ((rc = st->ops->invoice_line_list(st, t->id, inv->ids[i], take_line, &r, &c->err)) != PS_OK)
			return rc;
	a.status = PS_SUB_ACTIVE;
	a.addon_of = src->id;
	if (r.src_end > a.billed_through)
		a.billed_through = r.src_end;
	if (a.term_end < a.billed_through)
		a.term_end = a.billed_through;
	if ((rc = ps_app_sub_update(c, &a)) != PS_OK)
		return rc;
	if (r.src_credit != 0) {
		struct ps_line_spec l = {.kind = PS_LINE_CANCEL, .sub = &a, .quantity = a.quantity, .start = c->now,
					 .end = r.src_end, .amount = -r.src_credit};
		if ((rc = ps_ledger_invoice(c, t, &l, 1, false, NULL)) != PS_OK)
			return rc;
	}
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u)
	{
		struct ps_assignment s = {.tenant_id = t->id, .subscription_id = a.id, .assigned_at = c->now};
		if (!json_is_string(u) || !ps_id_parse(json_string_value(u), PS_PFX_USER, &s.user_id))
			continue;
		snprintf(s.product_id, sizeof s.product_id, "%s", a.product_id);
		if ((rc = st->ops->assignment_insert(st, &s, &c->err)) == PS_CONFLICT) {
			ps_err_clear(&c->err); /* the user got that product elsewhere since */
			rc = PS_OK;
		} else if (rc == PS_OK) {
			ps_render_seat(ps_app_event(c, PS_EV_LICENSE_ASSIGNED, t->id, 0), a.id, s.user_id, true);
		}
		if (rc != PS_OK)
			return rc;
	}
	return PS_OK;
}

/* The add-ons op's switch cancelled, revived. */
static ps_code revive_addons(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_operation *op,
			     const struct ps_subscription *src, const struct op_invoices *inv)
{
	json_t *d = json_loads(op->detail, 0, NULL);
	json_t *list = d ? json_object_get(d, "addons_cancelled") : NULL;
	ps_code rc = PS_OK;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		int64_t id;
		const char *s = json_string_value(json_object_get(e, "subscription"));
		if (s && ps_id_parse(s, PS_PFX_SUB, &id) &&
		    (rc = revive_addon(c, t, src, inv, id, json_object_get(e, "users"))) != PS_OK)
			break;
	}
	json_decref(d);
	return rc;
}

/* Undo what ps_change_apply() did for op: every seat back, the source active with its
 * quantity, the new subscription cancelled, the credit and the charge of
 * the change reversed (they net to zero), the add-ons that moved back and
 * those it cancelled revived. */
static ps_code undo(struct ps_ctx *c, const struct ps_tenant *t, const struct ps_operation *op)
{
	struct ps_store *st = c->st;
	struct ps_subscription src, dst;
	ps_code rc = op_subs(c, t, op, &src, &dst);
	if (rc != PS_OK)
		return rc;
	if ((rc = st->ops->assignments_move(st, t->id, dst.id, src.id, src.product_id, NULL, &c->err)) != PS_OK)
		return rc;
	struct addon_acc addons = {.base = dst.id};
	if ((rc = st->ops->sub_list(st, t->id, 0, 0, find_addons, &addons, &c->err)) != PS_OK)
		return rc;
	for (size_t i = 0; i < addons.n; i++) {
		addons.v[i].addon_of = src.id;
		if ((rc = ps_app_sub_update(c, &addons.v[i])) != PS_OK)
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
	if ((rc = revive_addons(c, t, op, &src, &inv)) != PS_OK)
		return rc;
	/* The source as it was: active, its quantity, its period. */
	if (op->kind == PS_OPK_SWITCH && ps_op_mode(op) == PS_SWITCH_SOME)
		src.quantity += detail_int(op, "released");
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
	if ((rc = ps_app_sub_update(c, &src)) != PS_OK)
		return rc;
	end_now(&dst, PS_SUB_CANCELLED, c->now);
	return ps_app_sub_update(c, &dst);
}

ps_code ps_change_call_off(struct ps_ctx *c, const struct ps_operation *op)
{
	ps_code rc;
	if (op->kind != PS_OPK_CANCEL)
		return c->st->ops->job_remove(c->st, PS_JOB_OPERATION, op->tenant_id, op->id, &c->err);
	/* A cancellation at term end: the subscription renews as usual. Its
	 * job is keyed by the subscription. */
	struct ps_subscription s;
	if ((rc = c->st->ops->sub_get(c->st, op->tenant_id, op->source_sub, &s, &c->err)) != PS_OK)
		return rc;
	s.cancel_at = 0;
	if ((rc = ps_app_sub_update(c, &s)) != PS_OK)
		return rc;
	return c->st->ops->job_remove(c->st, PS_JOB_CANCEL, op->tenant_id, s.id, &c->err);
}

/* op (unfinished) fails: undone when it was applied, audited; message
 * (the operator's reason, or NULL) kept in its result and its audit row. */
static ps_code fail_op(struct ps_ctx *c, const struct ps_tenant *t, struct ps_operation *op, const char *why,
		       const char *message)
{
	ps_code rc;
	if (op->state == PS_OP_PROVISIONING && op->new_sub && (rc = undo(c, t, op)) != PS_OK)
		return rc;
	op_detail(op, 0, why, NULL, NULL, 0);
	struct ps_buf b;
	struct ps_jw w;
	ps_buf_init(&b, PS_TEXT_MAX);
	if (message) {
		ps_buf_puts(&b, "\"message\":");
		ps_json_escape(&b, message, strlen(message));
		detail_append(op, ps_buf_str(&b)); /* at most 500 characters: it fits */
	}
	op->state = PS_OP_FAILED;
	op->updated_at = c->now;
	if ((rc = ps_app_op_update(c, op)) != PS_OK) {
		ps_buf_fini(&b);
		return rc;
	}
	char ref[32];
	ps_buf_reset(&b);
	ps_jw_init(&w, &b);
	ps_jw_obj(&w);
	ps_jw_kstr(&w, "failure", why);
	ps_jw_kid(&w, "new_subscription", PS_PFX_SUB, op->new_sub);
	if (message)
		ps_jw_kstr(&w, "message", message);
	ps_jw_obj_end(&w);
	rc = ps_app_audit(c, t->id, "operation.fail", ps_app_ref(ref, sizeof ref, PS_PFX_OPERATION, op->id),
			  ps_buf_str(&b));
	ps_buf_fini(&b);
	return rc;
}

struct fail_arg {
	int64_t tenant, op;
	const char *reason;
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
	/* A scheduled one is called off too: its job would otherwise still
	 * end the subscription of a cancellation at term end. */
	if (a->out->state == PS_OP_SCHEDULED && (rc = ps_change_call_off(c, a->out)) != PS_OK)
		return rc;
	return fail_op(c, &t, a->out, "failed_by_provider", a->reason);
}

ps_code ps_app_operation_fail(struct ps_ctx *c, int64_t tenant, int64_t op, const char *reason,
			      struct ps_operation *out)
{
	ps_code rc;
	if (reason && (rc = ps_app_text(c, "reason", reason, 500)) != PS_OK)
		return rc;
	struct fail_arg a = {tenant, op, reason, out};
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
		return fail_op(c, &t, &op, "provisioning_failed", NULL);
	}
	if (s->status != PS_SUB_ACTIVE)
		return PS_OK;
	op.state = PS_OP_COMPLETED;
	op.updated_at = c->now;
	return ps_app_op_update(c, &op);
}
