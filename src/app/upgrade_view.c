/* upgrade_view.c: the Upgrade tab as JSON (app layer). Turns the engine's
 * verdict into API.md's shape: each reason's code, a message in the caller's
 * language (English msgid here, translations in po/LANG.po), its details and
 * its remedies with links and "until" times; then the offers with prices. */
#include "ps_upgrade_view.h"
#include "../common/ps_time.h"
#include "../core/ps_policy.h"

#include <stdio.h>
#include <string.h>

/* ---- Message arguments: named values kept in one buffer ----------------- */

#define ARGS_MAX 10

/* The times a message names, each as written in it (in UTC) and as an
 * instant: the reason's "message_times", so that the admin center can show
 * them in the viewer's time zone. */
struct msg_times {
	size_t n;
	int64_t at[ARGS_MAX];
	char text[ARGS_MAX][128];
};

struct args {
	const char *keys[ARGS_MAX];
	size_t off[ARGS_MAX];
	int64_t time[ARGS_MAX];
	bool is_time[ARGS_MAX];
	size_t n;
	struct ps_buf b;
	enum ps_lang lang;
	struct msg_times *times; /* NULL: not wanted */
};

static void args_init(struct args *a, enum ps_lang lang)
{
	a->n = 0;
	a->lang = lang;
	a->times = NULL;
	ps_buf_init(&a->b, (size_t)1 << 16);
}

/* Start the value of key k: write it to the returned buffer, then call
 * arg_end. */
static struct ps_buf *arg_begin(struct args *a, const char *k)
{
	if (a->n < ARGS_MAX) {
		a->keys[a->n] = k;
		a->is_time[a->n] = false;
		a->off[a->n++] = a->b.len;
	}
	return &a->b;
}

static void arg_end(struct args *a)
{
	ps_buf_putc(&a->b, '\0');
}

static void arg_str(struct args *a, const char *k, const char *v)
{
	ps_buf_puts(arg_begin(a, k), v ? v : "");
	arg_end(a);
}

static void arg_int(struct args *a, const char *k, int64_t v)
{
	ps_buf_int(arg_begin(a, k), v);
	arg_end(a);
}

static void arg_money(struct args *a, const char *k, int64_t v, const char *cur)
{
	ps_money_format(arg_begin(a, k), v, cur, a->lang);
	arg_end(a);
}

static void arg_time(struct args *a, const char *k, int64_t t)
{
	ps_time_human(arg_begin(a, k), t, a->lang);
	arg_end(a);
	if (a->n > 0 && a->keys[a->n - 1] == k) {
		a->is_time[a->n - 1] = true;
		a->time[a->n - 1] = t;
	}
}

static void arg_id(struct args *a, const char *k, const char *prefix, int64_t id)
{
	struct ps_buf *b = arg_begin(a, k);
	ps_buf_puts(b, prefix);
	ps_buf_int(b, id);
	arg_end(a);
}

/* Translate msgid into lang and expand it with a's values onto out. */
static void args_emit(struct args *a, struct ps_buf *out, const char *msgid)
{
	const char *vals[ARGS_MAX];
	for (size_t i = 0; i < a->n; i++) {
		vals[i] = a->b.p + a->off[i];
		if (a->times && a->is_time[i] && a->times->n < ARGS_MAX) {
			size_t j = a->times->n++;
			a->times->at[j] = a->time[i];
			snprintf(a->times->text[j], sizeof a->times->text[j], "%s", vals[i]);
		}
	}
	ps_i18n_expand(out, ps_tr(a->lang, msgid), a->keys, vals, a->n);
	ps_buf_fini(&a->b);
}

/* ---- Names of things, for people ---------------------------------------- */

static const char *plan_name(const struct ps_snap_sub *ss)
{
	if (!ss)
		return "";
	return ss->plan ? ss->plan->name : ss->s.plan_id;
}

static const char *currency_of(const struct ps_reason *r, const struct ps_snapshot *snap)
{
	if (r->sub && r->sub->plan)
		return r->sub->plan->currency;
	return snap->tenant.currency;
}

static const struct ps_service *plan_service(const struct ps_plan *p, const char *id)
{
	for (size_t i = 0; p && i < p->n_services; i++)
		if (strcmp(p->services[i]->id, id) == 0)
			return p->services[i];
	return NULL;
}

static const struct ps_operation *find_op(const struct ps_snapshot *snap, int64_t id)
{
	for (size_t i = 0; i < snap->n_ops; i++)
		if (snap->ops[i].id == id)
			return &snap->ops[i];
	return NULL;
}

/* A target plan's name: from the new subscription when the store has it,
 * else from this plan's upgrade paths, else its id. */
static const char *target_name(const struct ps_operation *op, const struct ps_snapshot *snap,
			       const struct ps_snap_sub *me)
{
	const struct ps_snap_sub *ns = op->new_sub ? ps_snapshot_sub(snap, op->new_sub) : NULL;
	if (ns && ns->plan)
		return ns->plan->name;
	const struct ps_snap_sub *src = ps_snapshot_sub(snap, op->source_sub);
	const struct ps_plan *from[2] = {me ? me->plan : NULL, src ? src->plan : NULL};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; from[k] && i < from[k]->n_upgrades_to; i++)
			if (strcmp(from[k]->upgrades_to[i]->id, op->target_plan) == 0)
				return from[k]->upgrades_to[i]->name;
	return op->target_plan;
}

static void join_sep(struct ps_buf *b, size_t i)
{
	if (i > 0)
		ps_buf_puts(b, ", ");
}

/* ---- Messages ------------------------------------------------------------ */

static void message(struct ps_buf *out, struct msg_times *times, const struct ps_reason *r,
		    const struct ps_snapshot *snap, enum ps_lang lang)
{
	struct args a;
	const char *msgid = NULL;
	const struct ps_snap_sub *me = r->sub;
	size_t shown;
	args_init(&a, lang);
	a.times = times;

	switch (r->code) {
	case PS_R_LICENSE_CONFLICT: {
		shown = r->n_subs < PS_LIST_MAX ? r->n_subs : PS_LIST_MAX;
		arg_int(&a, "count", (int64_t)r->n_subs);
		struct ps_buf *b = arg_begin(&a, "conflicts");
		for (size_t i = 0; i < shown; i++) {
			const struct ps_snap_sub *ss = r->subs[i];
			struct args item;
			args_init(&item, lang);
			arg_str(&item, "plan", plan_name(ss));
			arg_int(&item, "assigned", ss->s.assigned);
			arg_int(&item, "purchased", ss->s.quantity);
			/* French typography puts a no-break space before ';'. */
			if (i > 0)
				ps_buf_puts(b, lang == PS_LANG_FR ? "\xc2\xa0; " : "; ");
			args_emit(&item, b, "{plan}: {assigned} assigned, {purchased} purchased");
		}
		arg_end(&a);
		msgid = r->n_subs == 1
				? "A subscription has more licenses assigned than purchased ({conflicts}). All your users "
				  "must have valid licenses before you can upgrade: resolve the license conflict on the "
				  "Licenses page."
				: "{count} subscriptions have more licenses assigned than purchased ({conflicts}). All "
				  "your users must have valid licenses before you can upgrade: resolve the license "
				  "conflicts on the Licenses page.";
		break;
	}
	case PS_R_SUBSCRIPTION_NOT_READY:
		arg_time(&a, "until", r->wait_until);
		msgid = r->overdue
				? "This subscription is not fully set up yet, though it was expected to be ready by "
				  "{until}. Call support so that the provider can finish setting it up."
				: "This subscription is not fully set up yet. Wait a few hours (until about {until}) for it "
				  "to become available, then try again; if it is still not ready, call support.";
		break;
	case PS_R_SERVICE_INCIDENT: {
		shown = r->n_incidents < PS_LIST_MAX ? r->n_incidents : PS_LIST_MAX;
		arg_int(&a, "count", (int64_t)r->n_incidents);
		struct ps_buf *b = arg_begin(&a, "services");
		size_t listed = 0;
		for (size_t i = 0; i < shown; i++) {
			const char *sid = r->incidents[i]->service_id;
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = strcmp(r->incidents[j]->service_id, sid) == 0;
			if (seen)
				continue;
			const struct ps_service *sv = plan_service(me ? me->plan : NULL, sid);
			join_sep(b, listed++);
			ps_buf_puts(b, sv ? sv->name : sid);
		}
		arg_end(&a);
		if (r->wait_until > 0 && r->overdue) {
			/* Past the provider's eta: call support first. */
			arg_time(&a, "until", r->wait_until);
			msgid = r->n_incidents == 1
					? "A service of this plan has an open incident ({services}). The provider expected "
					  "it resolved by {until}, and it is not: call support. You can upgrade once all "
					  "services are healthy."
					: "{count} open incidents affect services of this plan ({services}). The provider "
					  "expected them resolved by {until}, and they are not: call support. You can "
					  "upgrade once all services are healthy.";
			break;
		}
		if (r->wait_until > 0) {
			/* The provider's eta: the time the wait says. */
			arg_time(&a, "until", r->wait_until);
			msgid = r->n_incidents == 1
					? "A service of this plan has an open incident ({services}). You can't upgrade "
					  "until all services are healthy: the provider expects it resolved by {until}; "
					  "try again then; if the problem persists, call support."
					: "{count} open incidents affect services of this plan ({services}). You can't "
					  "upgrade until all services are healthy: the provider expects them resolved by "
					  "{until}; try again then; if the problem persists, call support.";
			break;
		}
		msgid = r->n_incidents == 1
				? "A service of this plan has an open incident ({services}). You can't upgrade until all "
				  "services are healthy: check Service health, wait for the incident to be resolved and "
				  "try again; if the problem persists, call support."
				: "{count} open incidents affect services of this plan ({services}). You can't upgrade "
				  "until all services are healthy: check Service health, wait for the incidents to be "
				  "resolved and try again; if the problem persists, call support.";
		break;
	}
	case PS_R_UPGRADE_IN_PROGRESS: {
		const struct ps_operation *op = find_op(snap, r->operation_id);
		arg_id(&a, "operation", PS_PFX_OPERATION, r->operation_id);
		arg_time(&a, "until", r->wait_until);
		if (op) {
			arg_str(&a, "target", target_name(op, snap, me));
			arg_str(&a, "source", plan_name(ps_snapshot_sub(snap, op->source_sub)));
		}
		if (op && me && op->source_sub == me->s.id)
			msgid = "This subscription is already being upgraded to {target} ({operation}). Wait for that "
				"upgrade to finish, expected by {until}.";
		else if (op)
			msgid = "Another plan is being upgraded ({operation}: {source} to {target}). You can upgrade "
				"once that upgrade has finished, expected by {until}.";
		else
			msgid = "Another plan is being upgraded ({operation}). You can upgrade once that upgrade has "
				"finished, expected by {until}.";
		break;
	}
	case PS_R_CREDIT_CHECK_PENDING:
		arg_time(&a, "requested", r->requested_at);
		arg_time(&a, "expected", r->expected_by);
		msgid = "A credit check for your organization is pending (requested {requested}). Wait for the "
			"credit check to finish before you upgrade plans: it can take up to two business days, so "
			"expect it by {expected}.";
		break;
	case PS_R_NOT_ELIGIBLE:
		arg_str(&a, "plan", plan_name(me));
		if (r->no_upgrade_path) {
			msgid = "Currently this subscription is not eligible to upgrade: its plan ({plan}) has no "
				"upgrade path. You can change plans manually or call support.";
			break;
		}
		switch (r->status) {
		case PS_SUB_EXPIRED:
			msgid = "This subscription has expired, so it is not eligible to upgrade. You can change "
				"plans manually or call support.";
			break;
		case PS_SUB_DISABLED:
			msgid = "This subscription is disabled, so it is not eligible to upgrade. You can change "
				"plans manually or call support.";
			break;
		case PS_SUB_CANCELLED:
			msgid = "This subscription has been cancelled: there is nothing left to change. If you "
				"need help, call support.";
			break;
		case PS_SUB_REPLACED:
			arg_id(&a, "replaced_by", PS_PFX_SUB, me ? me->s.replaced_by : 0);
			msgid = "This subscription has been replaced by another one ({replaced_by}): there is nothing "
				"left to change. If you need help, call support.";
			break;
		default:
			msgid = "Currently this subscription is not eligible to upgrade. You can change plans "
				"manually or call support.";
		}
		break;
	case PS_R_MULTIPLE_PLANS_SAME_PRODUCT: {
		shown = r->n_subs < PS_LIST_MAX ? r->n_subs : PS_LIST_MAX;
		if (r->target) {
			/* Per target: the tenant already holds the target's product. */
			arg_str(&a, "target", r->target->name);
			arg_str(&a, "product", r->target->product ? r->target->product->name : "");
			struct ps_buf *pb = arg_begin(&a, "plans");
			for (size_t i = 0; i < shown; i++) {
				join_sep(pb, i);
				ps_buf_puts(pb, plan_name(r->subs[i]));
			}
			arg_end(&a);
			arg_int(&a, "users", (int64_t)r->n_users);
			msgid = r->n_users > 0
					? "{users} of your users already hold a license of {product} ({plans}): a change to "
					  "{target} would give them two licenses of one product. You can change plans "
					  "manually (unassign them there first, or move everyone into that subscription) "
					  "or call support."
					: "You already have a subscription to {product} ({plans}): an upgrade to {target} "
					  "would leave two plans of one product. You can change plans manually (move your "
					  "users into that subscription) or call support.";
			break;
		}
		arg_int(&a, "count", (int64_t)r->n_subs);
		arg_str(&a, "product",
			me && me->plan && me->plan->product ? me->plan->product->name : me ? me->s.product_id : "");
		struct ps_buf *b = arg_begin(&a, "plans");
		for (size_t i = 0; i < shown; i++) {
			join_sep(b, i);
			ps_buf_puts(b, plan_name(r->subs[i]));
		}
		arg_end(&a);
		msgid = "You have {count} subscriptions to {product} ({plans}). The Upgrade tab can only be used when "
			"all your users are on the same plan: you can change plans manually or call support.";
		break;
	}
	case PS_R_PREPAID_PLAN:
		arg_time(&a, "term_end", r->term_end);
		arg_int(&a, "unused_days", r->unused_days);
		arg_money(&a, "unused_value", r->unused_value, currency_of(r, snap));
		msgid = r->unused_days == 1
				? "This subscription was paid in advance until {term_end}. If you change plans now, you "
				  "won't get credit for the unused day left on it ({unused_value}). You can change plans "
				  "manually or call support."
				: "This subscription was paid in advance until {term_end}. If you change plans now, you "
				  "won't get credit for the {unused_days} unused days left on it ({unused_value}). You "
				  "can change plans manually or call support.";
		break;
	case PS_R_SEGMENT_RESTRICTED:
		arg_str(&a, "plan", plan_name(me));
		msgid = r->segment == PS_SEG_GOVERNMENT
				? "This subscription is on a government plan ({plan}), which can't be upgraded "
				  "automatically. You can change plans manually or call support."
				: "This subscription is on a nonprofit plan ({plan}), which can't be upgraded "
				  "automatically. You can change plans manually or call support.";
		break;
	case PS_R_SERVICE_BUSY:
		arg_time(&a, "retry_at", r->wait_until);
		msgid = "The service is upgrading a high volume of plans right now. Try again after {retry_at}.";
		break;
	case PS_R_TARGET_NOT_SUPPORTED:
		msgid = "The plan you want to upgrade to is not a supported option. You can change plans manually or "
			"call support.";
		break;
	case PS_R_HAS_ADDON: {
		shown = r->n_subs < PS_LIST_MAX ? r->n_subs : PS_LIST_MAX;
		arg_int(&a, "count", (int64_t)r->n_subs);
		struct ps_buf *b = arg_begin(&a, "addons");
		for (size_t i = 0; i < shown; i++) {
			join_sep(b, i);
			ps_buf_puts(b, plan_name(r->subs[i]));
		}
		arg_end(&a);
		if (r->target) {
			/* The manual change: add-ons that the target does not take. */
			arg_str(&a, "target", r->target->name);
			msgid = r->n_subs == 1
					? "{target} does not take the add-on {addons}: changing plans cancels it (its "
					  "unused days are credited). Send acknowledge_addons: true to change plans anyway."
					: "{target} does not take the add-ons {addons}: changing plans cancels them (their "
					  "unused days are credited). Send acknowledge_addons: true to change plans anyway.";
			break;
		}
		msgid = r->n_subs == 1
				? "This subscription has an add-on ({addons}). Subscriptions with add-ons can't be "
				  "upgraded automatically: you can change plans manually or call support."
				: "This subscription has {count} add-ons ({addons}). Subscriptions with add-ons can't be "
				  "upgraded automatically: you can change plans manually or call support.";
		break;
	}
	case PS_R_UNPAID_BALANCE:
		arg_money(&a, "amount", r->amount_due, snap->tenant.currency);
		arg_time(&a, "oldest_due", r->oldest_due);
		msgid = "Your organization has an unpaid balance of {amount}, past due since {oldest_due}. Select Pay "
			"now on the Billing page; once the payment is made, the Upgrade tab works again.";
		break;
	case PS_R_OTHER:
		switch (r->other) {
		case PS_OTHER_PLAN_MISSING:
			arg_str(&a, "plan", r->other_ref ? r->other_ref : me ? me->s.plan_id : "");
			msgid = "This subscription's plan ({plan}) is not in the catalog, so it can't be upgraded "
				"automatically. You can change plans manually or call support.";
			break;
		case PS_OTHER_BASE_MISSING:
			arg_id(&a, "subscription", PS_PFX_SUB, me ? me->s.addon_of : 0);
			msgid = "This add-on's base subscription ({subscription}) can't be found, so it can't be "
				"upgraded automatically. You can change plans manually or call support.";
			break;
		case PS_OTHER_CURRENCY_MISMATCH:
			arg_str(&a, "plan", plan_name(me));
			arg_str(&a, "plan_currency", me && me->plan ? me->plan->currency : "");
			arg_str(&a, "currency", snap->tenant.currency);
			msgid = "This subscription's plan ({plan}) is priced in {plan_currency} but your organization "
				"is billed in {currency}, so it can't be upgraded automatically. You can change plans "
				"manually or call support.";
			break;
		case PS_OTHER_NEGATIVE_COUNTS:
			arg_int(&a, "purchased", me ? me->s.quantity : 0);
			arg_int(&a, "assigned", me ? me->s.assigned : 0);
			msgid = "This subscription's license counts are inconsistent ({purchased} purchased, "
				"{assigned} assigned), so it can't be upgraded automatically. You can change plans "
				"manually or call support.";
			break;
		default:
			msgid = "Something unexpected prevents an automatic upgrade of this subscription. You can "
				"change plans manually or call support.";
		}
		break;
	default:
		msgid = "Something unexpected prevents an automatic upgrade of this subscription. You can change "
			"plans manually or call support.";
	}
	args_emit(&a, out, msgid);
}

static void offer_message(struct ps_buf *out, const struct ps_offer *o, const struct ps_snap_sub *me,
			  enum ps_lang lang)
{
	struct args a;
	const char *msgid;
	const struct ps_safety *sf = &o->safety;
	size_t nm = sf->n_missing < PS_SAFETY_MAX ? sf->n_missing : PS_SAFETY_MAX;
	size_t nl = sf->n_lower < PS_SAFETY_MAX ? sf->n_lower : PS_SAFETY_MAX;
	args_init(&a, lang);
	arg_str(&a, "target", o->plan->name);
	arg_str(&a, "plan", plan_name(me));
	struct ps_buf *b = arg_begin(&a, "missing");
	for (size_t i = 0; i < nm; i++) {
		join_sep(b, i);
		ps_buf_puts(b, sf->missing[i]->name);
	}
	arg_end(&a);
	b = arg_begin(&a, "lower");
	for (size_t i = 0; i < nl; i++) {
		struct args item;
		args_init(&item, lang);
		arg_str(&item, "service", sf->lower[i]->name);
		arg_str(&item, "target_service", sf->lower_to[i]->name);
		join_sep(b, i);
		args_emit(&item, b, "{target_service} instead of {service}");
	}
	arg_end(&a);
	if (nm > 0 && nl > 0)
		msgid = "{target} is not a supported upgrade from {plan}: it lacks {missing} and offers {lower}, so "
			"your users would lose data. You can change plans manually (after confirming the data loss) "
			"or call support.";
	else if (nm > 0)
		msgid = "{target} is not a supported upgrade from {plan}: it lacks {missing}, so your users would "
			"lose the data they keep there. You can change plans manually (after confirming the data "
			"loss) or call support.";
	else if (nl > 0)
		msgid = "{target} is not a supported upgrade from {plan}: it offers {lower}, so your users could "
			"lose data. You can change plans manually (after confirming the data loss) or call support.";
	else
		msgid = "{target} is not offered as an upgrade from {plan}. You can change plans manually or call "
			"support.";
	args_emit(&a, out, msgid);
}

void ps_reason_message(struct ps_buf *out, const struct ps_reason *r, const struct ps_snapshot *snap,
		       enum ps_lang lang, int64_t now)
{
	message(out, NULL, r, snap, lang);
}

/* ---- Remedies ------------------------------------------------------------- */

static void href_tenant(struct ps_jw *w, const struct ps_snapshot *snap, const char *rest)
{
	char h[160];
	snprintf(h, sizeof h, "/v1/tenants/%s%lld%s", PS_PFX_TENANT, (long long)snap->tenant.id, rest);
	ps_jw_kstr(w, "href", h);
}

static void href_sub(struct ps_jw *w, const struct ps_snapshot *snap, const struct ps_snap_sub *me,
		     const char *rest)
{
	char h[200];
	if (!me) {
		href_tenant(w, snap, "/subscriptions");
		return;
	}
	snprintf(h, sizeof h, "/v1/tenants/%s%lld/subscriptions/%s%lld%s", PS_PFX_TENANT,
		 (long long)snap->tenant.id, PS_PFX_SUB, (long long)me->s.id, rest);
	ps_jw_kstr(w, "href", h);
}

static void remedies(struct ps_jw *w, enum ps_reason_code code, const struct ps_reason *r,
		     const struct ps_snapshot *snap, const struct ps_snap_sub *me)
{
	size_t n;
	const enum ps_remedy *rem = r ? ps_reason_remedies_of(r, &n) : ps_reason_remedies(code, &n);
	ps_jw_key(w, "remedies");
	ps_jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		ps_jw_obj(w);
		ps_jw_kstr(w, "action", ps_remedy_name(rem[i]));
		switch (rem[i]) {
		case PS_REM_RESOLVE_LICENSE_CONFLICTS:
			href_tenant(w, snap, "/licenses");
			break;
		case PS_REM_CHANGE_PLANS_MANUALLY: {
			/* Two plans of one product become one: merge into the
			 * other live subscription (switch with into), never
			 * into a retired plan's (not a target). */
			const struct ps_snap_sub *other = NULL;
			for (size_t k = 0; r && code == PS_R_MULTIPLE_PLANS_SAME_PRODUCT && k < r->n_subs && k < PS_LIST_MAX && !other;
			     k++)
				if (r->subs[k] && (!me || r->subs[k]->s.id != me->s.id) &&
				    !(r->subs[k]->plan && r->subs[k]->plan->retired))
					other = r->subs[k];
			char rest[64];
			if (other)
				snprintf(rest, sizeof rest, "/switch?into=%s%lld", PS_PFX_SUB, (long long)other->s.id);
			href_sub(w, snap, me, other ? rest : "/switch");
			break;
		}
		case PS_REM_CALL_SUPPORT:
			href_tenant(w, snap, "/support-requests");
			break;
		case PS_REM_PAY_NOW:
			href_tenant(w, snap, "/payments");
			break;
		case PS_REM_WAIT:
			if (!r)
				break;
			if (code == PS_R_SUBSCRIPTION_NOT_READY) {
				href_sub(w, snap, me, "");
			} else if (code == PS_R_SERVICE_INCIDENT) {
				ps_jw_kstr(w, "href", "/v1/service-health");
			} else if (code == PS_R_UPGRADE_IN_PROGRESS) {
				char rest[64];
				snprintf(rest, sizeof rest, "/operations/%s%lld", PS_PFX_OPERATION,
					 (long long)r->operation_id);
				href_tenant(w, snap, rest);
			} else if (code == PS_R_CREDIT_CHECK_PENDING) {
				href_tenant(w, snap, "/credit-checks");
			}
			/* Every wait says until when; null: not known (an
			 * incident without an eta). */
			ps_jw_ktime(w, "until", r->wait_until);
			break;
		case PS_REM_RETRY_LATER:
			if (r && r->wait_until > 0)
				ps_jw_ktime(w, "until", r->wait_until);
			break;
		case PS_REM_SCHEDULE_AT_TERM_END:
			/* The upgrade asked with when: term_end, run at the term's end. */
			href_sub(w, snap, me, "/upgrade");
			if (r && r->term_end > 0)
				ps_jw_ktime(w, "effective_at", r->term_end);
			break;
		default:
			break;
		}
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
}

/* ---- Details ---------------------------------------------------------------- */

static void sub_ref(struct ps_jw *w, const struct ps_snap_sub *ss)
{
	ps_jw_kid(w, "subscription", PS_PFX_SUB, ss->s.id);
	ps_jw_kstr(w, "plan", ss->s.plan_id);
}

static void details(struct ps_jw *w, const struct ps_reason *r, const struct ps_snapshot *snap)
{
	const struct ps_snap_sub *me = r->sub;
	size_t shown;
	ps_jw_key(w, "details");
	ps_jw_obj(w);
	switch (r->code) {
	case PS_R_LICENSE_CONFLICT:
		shown = r->n_subs < PS_LIST_MAX ? r->n_subs : PS_LIST_MAX;
		ps_jw_key(w, "subscriptions");
		ps_jw_arr(w);
		for (size_t i = 0; i < shown; i++) {
			ps_jw_obj(w);
			sub_ref(w, r->subs[i]);
			ps_jw_kint(w, "purchased", r->subs[i]->s.quantity);
			ps_jw_kint(w, "assigned", r->subs[i]->s.assigned);
			ps_jw_obj_end(w);
		}
		ps_jw_arr_end(w);
		ps_jw_kint(w, "count", (int64_t)r->n_subs);
		break;
	case PS_R_SUBSCRIPTION_NOT_READY:
		ps_jw_kstr(w, "status", ps_sub_status_name(r->status));
		break;
	case PS_R_SERVICE_INCIDENT:
		shown = r->n_incidents < PS_LIST_MAX ? r->n_incidents : PS_LIST_MAX;
		ps_jw_key(w, "incidents");
		ps_jw_arr(w);
		for (size_t i = 0; i < shown; i++) {
			ps_jw_obj(w);
			ps_jw_kid(w, "id", PS_PFX_INCIDENT, r->incidents[i]->id);
			ps_jw_kstr(w, "service", r->incidents[i]->service_id);
			ps_jw_kstr(w, "status", ps_incident_status_name(r->incidents[i]->status));
			ps_jw_obj_end(w);
		}
		ps_jw_arr_end(w);
		break;
	case PS_R_UPGRADE_IN_PROGRESS: {
		const struct ps_operation *op = find_op(snap, r->operation_id);
		ps_jw_kid(w, "id", PS_PFX_OPERATION, r->operation_id);
		if (op) {
			ps_jw_kstr(w, "state", ps_op_state_name(op->state));
			ps_jw_kid(w, "subscription", PS_PFX_SUB, op->source_sub);
		}
		break;
	}
	case PS_R_CREDIT_CHECK_PENDING:
		ps_jw_kid(w, "id", PS_PFX_CREDIT, r->credit_check_id);
		ps_jw_ktime(w, "requested_at", r->requested_at);
		ps_jw_ktime(w, "expected_by", r->expected_by);
		break;
	case PS_R_NOT_ELIGIBLE:
		ps_jw_kstr(w, "status", ps_sub_status_name(r->status));
		if (r->no_upgrade_path)
			ps_jw_kbool(w, "no_upgrade_path", true);
		if (me && me->s.replaced_by)
			ps_jw_kid(w, "replaced_by", PS_PFX_SUB, me->s.replaced_by);
		break;
	case PS_R_MULTIPLE_PLANS_SAME_PRODUCT:
		shown = r->n_subs < PS_LIST_MAX ? r->n_subs : PS_LIST_MAX;
		if (r->target) {
			ps_jw_kstr(w, "target_plan", r->target->id);
			ps_jw_kstr(w, "product", r->target->product ? r->target->product->id : "");
			ps_jw_key(w, "users");
			ps_jw_arr(w);
			for (size_t i = 0; i < r->n_users && i < PS_LIST_MAX; i++)
				ps_jw_idstr(w, PS_PFX_USER, r->users[i]);
			ps_jw_arr_end(w);
		} else {
			ps_jw_kstr(w, "product", me ? me->s.product_id : "");
		}
		ps_jw_key(w, "subscriptions");
		ps_jw_arr(w);
		for (size_t i = 0; i < shown; i++) {
			ps_jw_obj(w);
			sub_ref(w, r->subs[i]);
			ps_jw_kint(w, "quantity", r->subs[i]->s.quantity);
			ps_jw_obj_end(w);
		}
		ps_jw_arr_end(w);
		break;
	case PS_R_PREPAID_PLAN:
		ps_jw_ktime(w, "term_end", r->term_end);
		ps_jw_kint(w, "unused_days", r->unused_days);
		ps_jw_kint(w, "unused_value", r->unused_value);
		ps_jw_kstr(w, "currency", currency_of(r, snap));
		break;
	case PS_R_SEGMENT_RESTRICTED:
		ps_jw_kstr(w, "segment", ps_segment_name(r->segment));
		break;
	case PS_R_SERVICE_BUSY:
		ps_jw_kint(w, "retry_after_s", r->retry_after_s);
		ps_jw_ktime(w, "retry_at", r->wait_until);
		break;
	case PS_R_HAS_ADDON:
		shown = r->n_subs < PS_LIST_MAX ? r->n_subs : PS_LIST_MAX;
		if (r->target)
			ps_jw_kstr(w, "target_plan", r->target->id);
		ps_jw_key(w, "subscriptions");
		ps_jw_arr(w);
		for (size_t i = 0; i < shown; i++) {
			ps_jw_obj(w);
			sub_ref(w, r->subs[i]);
			ps_jw_obj_end(w);
		}
		ps_jw_arr_end(w);
		break;
	case PS_R_UNPAID_BALANCE:
		ps_jw_kint(w, "amount_due", r->amount_due);
		ps_jw_kstr(w, "currency", snap->tenant.currency);
		ps_jw_ktime(w, "oldest_due", r->oldest_due);
		break;
	case PS_R_OTHER:
		switch (r->other) {
		case PS_OTHER_PLAN_MISSING:
			ps_jw_kstr(w, "found", "plan_missing");
			ps_jw_kstr(w, "id", r->other_ref ? r->other_ref : me ? me->s.plan_id : NULL);
			break;
		case PS_OTHER_BASE_MISSING:
			ps_jw_kstr(w, "found", "base_subscription_missing");
			if (me)
				ps_jw_kid(w, "id", PS_PFX_SUB, me->s.addon_of);
			break;
		case PS_OTHER_CURRENCY_MISMATCH:
			ps_jw_kstr(w, "found", "currency_mismatch");
			if (r->other_ref)
				ps_jw_kstr(w, "id", r->other_ref);
			break;
		case PS_OTHER_NEGATIVE_COUNTS:
			ps_jw_kstr(w, "found", "negative_counts");
			break;
		default:
			ps_jw_kstr(w, "found", "unknown");
		}
		break;
	default:
		break;
	}
	ps_jw_obj_end(w);
}

/* ---- Public ----------------------------------------------------------------- */

static void offer_reason(struct ps_jw *w, const struct ps_offer *o, const struct ps_snap_sub *me,
			 const struct ps_snapshot *snap, enum ps_lang lang);

void ps_render_reason(struct ps_jw *w, const struct ps_reason *r, const struct ps_snapshot *snap,
		      enum ps_lang lang, int64_t now)
{
	if (r->code == PS_R_TARGET_NOT_SUPPORTED && r->offer && r->sub) {
		offer_reason(w, r->offer, r->sub, snap, lang);
		return;
	}
	ps_jw_obj(w);
	ps_jw_kstr(w, "code", ps_reason_code_name(r->code));
	ps_jw_key(w, "message");
	struct ps_buf m;
	ps_buf_init(&m, (size_t)1 << 16);
	struct msg_times times = {0};
	message(&m, &times, r, snap, lang);
	ps_jw_strn(w, ps_buf_str(&m), m.len);
	ps_buf_fini(&m);
	ps_jw_key(w, "message_times");
	ps_jw_arr(w);
	for (size_t i = 0; i < times.n; i++) {
		ps_jw_obj(w);
		ps_jw_kstr(w, "text", times.text[i]);
		ps_jw_ktime(w, "time", times.at[i]);
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	details(w, r, snap);
	remedies(w, r->code, r, snap, r->sub);
	ps_jw_obj_end(w);
}

static void service_list_item(struct ps_jw *w, const struct ps_service *s)
{
	ps_jw_kstr(w, "id", s->id);
	ps_jw_kstr(w, "family", s->family);
	ps_jw_kint(w, "rank", s->rank);
}

void ps_render_offer_reason(struct ps_jw *w, const struct ps_offer *o, const struct ps_verdict *v,
			    const struct ps_snapshot *snap, enum ps_lang lang, int64_t now)
{
	offer_reason(w, o, v->sub, snap, lang);
}

static void offer_reason(struct ps_jw *w, const struct ps_offer *o, const struct ps_snap_sub *me,
			 const struct ps_snapshot *snap, enum ps_lang lang)
{
	const struct ps_safety *sf = &o->safety;
	size_t nm = sf->n_missing < PS_SAFETY_MAX ? sf->n_missing : PS_SAFETY_MAX;
	size_t nl = sf->n_lower < PS_SAFETY_MAX ? sf->n_lower : PS_SAFETY_MAX;
	ps_jw_obj(w);
	ps_jw_kstr(w, "code", ps_reason_code_name(PS_R_TARGET_NOT_SUPPORTED));
	ps_jw_key(w, "message");
	struct ps_buf m;
	ps_buf_init(&m, (size_t)1 << 16);
	offer_message(&m, o, me, lang);
	ps_jw_strn(w, ps_buf_str(&m), m.len);
	ps_buf_fini(&m);

	ps_jw_key(w, "details");
	ps_jw_obj(w);
	ps_jw_kstr(w, "plan", o->plan->id);
	ps_jw_kbool(w, "declared", o->declared);
	ps_jw_key(w, "missing_services");
	ps_jw_arr(w);
	for (size_t i = 0; i < nm; i++) {
		ps_jw_obj(w);
		ps_jw_kstr(w, "id", sf->missing[i]->id);
		ps_jw_kstr(w, "name", sf->missing[i]->name);
		ps_jw_kstr(w, "family", sf->missing[i]->family);
		ps_jw_kint(w, "rank", sf->missing[i]->rank);
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	ps_jw_key(w, "lower_services");
	ps_jw_arr(w);
	for (size_t i = 0; i < nl; i++) {
		ps_jw_obj(w);
		service_list_item(w, sf->lower[i]);
		ps_jw_kstr(w, "target_service", sf->lower_to[i]->id);
		ps_jw_kint(w, "target_rank", sf->lower_to[i]->rank);
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	ps_jw_obj_end(w);

	remedies(w, PS_R_TARGET_NOT_SUPPORTED, NULL, snap, me);
	ps_jw_obj_end(w);
}

/* Whether what blocks the subscription now is only its prepaid term (or
 * nothing), so that an upgrade to this target can be asked for the end of
 * the term; none when a change at term end is scheduled already. The
 * rules are evaluated again at that time. */
static bool term_end_offer(const struct ps_offer *o, const struct ps_verdict *v, const struct ps_snapshot *snap)
{
	const struct ps_snap_sub *me = v->sub;
	if (!o->supported || o->same_product || me->s.status != PS_SUB_ACTIVE || ps_sub_has_scheduled_change(&me->s) ||
	    ps_snapshot_scheduled_op(snap, me->s.id))
		return false;
	for (size_t i = 0; i < v->n_reasons; i++)
		if (v->reasons[i].code != PS_R_PREPAID_PLAN)
			return false;
	return true;
}

/* The tab's `scheduled`: the change at term end, or null. */
static void scheduled_change(struct ps_jw *w, const struct ps_snapshot *snap, const struct ps_snap_sub *me)
{
	const struct ps_operation *op = ps_snapshot_scheduled_op(snap, me->s.id);
	ps_jw_key(w, "scheduled");
	if (!op) {
		ps_jw_null(w);
		return;
	}
	ps_jw_obj(w);
	ps_jw_kid(w, "operation", PS_PFX_OPERATION, op->id);
	ps_jw_kstr(w, "kind", ps_op_kind_name(op->kind));
	ps_jw_kstr(w, "target_plan", op->target_plan[0] ? op->target_plan : NULL); /* null: a cancellation */
	ps_jw_ktime(w, "effective_at", op->effective_at);
	ps_jw_obj_end(w);
}

void ps_render_verdict(struct ps_jw *w, const struct ps_verdict *v, const struct ps_snapshot *snap,
		       enum ps_lang lang, int64_t now)
{
	const struct ps_snap_sub *me = v->sub;
	ps_jw_obj(w);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, me->s.id);
	ps_jw_kbool(w, "eligible", v->eligible);
	ps_jw_key(w, "reasons");
	ps_jw_arr(w);
	for (size_t i = 0; i < v->n_reasons; i++)
		ps_render_reason(w, &v->reasons[i], snap, lang, now);
	ps_jw_arr_end(w);
	ps_jw_key(w, "offers");
	ps_jw_arr(w);
	for (size_t i = 0; i < v->n_offers; i++) {
		const struct ps_offer *o = &v->offers[i];
		ps_jw_obj(w);
		ps_jw_kstr(w, "plan", o->plan->id);
		ps_jw_kstr(w, "name", o->plan->name);
		ps_jw_kbool(w, "eligible", o->eligible);
		ps_jw_kbool(w, "term_end_eligible", term_end_offer(o, v, snap));
		ps_jw_kstr(w, "upgrade_type", o->supported ? "automatic" : "manual");
		ps_jw_key(w, "reasons");
		ps_jw_arr(w);
		if (!o->supported)
			ps_render_offer_reason(w, o, v, snap, lang, now);
		if (o->same_product)
			ps_render_reason(w, &o->same_product_reason, snap, lang, now);
		ps_jw_arr_end(w);
		ps_jw_key(w, "price");
		ps_jw_obj(w);
		ps_jw_kstr(w, "currency", me->plan ? me->plan->currency : snap->tenant.currency);
		ps_jw_kint(w, "per_seat_month_before", me->s.price_per_seat_month); /* as sold */
		ps_jw_kint(w, "per_seat_month_after", o->plan->price_per_seat_month);
		ps_jw_kint(w, "monthly_before", o->monthly_before);
		ps_jw_kint(w, "monthly_after", o->monthly_after);
		ps_jw_kint(w, "quantity", me->s.quantity);
		ps_jw_obj_end(w);
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	scheduled_change(w, snap, me);
	ps_jw_obj_end(w);
}
