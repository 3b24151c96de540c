/* view.c: views of the use cases' results as the API's JSON (app layer):
 * the preview, the error object of a failed call, the sweep's row
 * (ps_view.h). */
#include "ps_view.h"

#include "ps_render.h"
#include "ps_upgrade_view.h"

#include <stdio.h>
#include <string.h>

static void render_services(struct ps_jw *w, const char *key, const struct ps_service *const *v, size_t n)
{
	ps_jw_key(w, key);
	ps_jw_arr(w);
	for (size_t i = 0; i < n && i < PS_SAFETY_MAX; i++)
		ps_jw_str(w, v[i]->id);
	ps_jw_arr_end(w);
}


void ps_render_preview(struct ps_jw *w, const struct ps_preview_view *pv)
{
	const struct ps_verdict *v = pv->verdict;
	const struct ps_offer *o = pv->offer;
	const struct ps_change_plan *p = pv->plan;
	const struct ps_choice *d = pv->choice;
	bool upgrade = pv->kind == PS_OPK_UPGRADE;
	ps_jw_obj(w);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, pv->sub);
	ps_jw_kstr(w, "kind", ps_op_kind_name(pv->kind));
	ps_jw_kstr(w, "plan", p->from ? p->from->id : NULL);
	ps_jw_kstr(w, "target_plan", p->to->id);
	ps_jw_kstr(w, "target_name", p->to->name);
	ps_jw_kbool(w, "allowed", p->allowed);
	ps_jw_key(w, "reasons");
	ps_jw_arr(w);
	if (d) {
		for (size_t i = 0; i < d->n_reasons; i++)
			ps_render_reason(w, &d->reasons[i], pv->snap, pv->lang, pv->now);
	} else if (upgrade) {
		for (size_t i = 0; i < v->n_reasons; i++)
			ps_render_reason(w, &v->reasons[i], pv->snap, pv->lang, pv->now);
		if (o && !o->supported)
			ps_render_offer_reason(w, o, v, pv->snap, pv->lang, pv->now);
	}
	ps_jw_arr_end(w);
	/* What becomes of each add-on of the source (RULES "Manual changes by
	 * seat"): the automatic upgrade refuses them all (has_addon). */
	ps_jw_key(w, "addons");
	ps_jw_arr(w);
	for (size_t i = 0; d && i < d->n_addons; i++) {
		ps_jw_obj(w);
		ps_jw_kid(w, "subscription", PS_PFX_SUB, d->addons[i].addon->s.id);
		ps_jw_kstr(w, "plan", d->addons[i].addon->s.plan_id);
		ps_jw_kstr(w, "outcome", ps_addon_outcome_name(d->addons[i].outcome));
		ps_jw_kint(w, "credit", ps_addon_credit(&d->addons[i], pv->now));
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	/* The users who keep a seat of the target's product they hold
	 * elsewhere instead of moving (the manual change). */
	ps_jw_key(w, "license_errors");
	ps_jw_arr(w);
	for (size_t i = 0; d && i < d->n_license_errors; i++) {
		ps_jw_obj(w);
		ps_jw_kid(w, "user", PS_PFX_USER, d->license_errors[i]);
		ps_jw_kstr(w, "code", "already_licensed");
		ps_jw_kid(w, "subscription", PS_PFX_SUB, d->license_kept[i]);
		ps_jw_kstr(w, "message", ps_tr(pv->lang, "This user already holds a license of the target's product "
							  "from another subscription, and keeps it."));
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	ps_jw_kint(w, "quantity", p->quantity);
	ps_jw_key(w, "price");
	ps_jw_obj(w);
	ps_jw_kstr(w, "currency", pv->snap->tenant.currency);
	ps_jw_kint(w, "per_seat_month_before", p->per_seat_before);
	ps_jw_kint(w, "per_seat_month_after", p->to->price_per_seat_month);
	ps_jw_kint(w, "monthly_before", p->monthly_before);
	ps_jw_kint(w, "monthly_after", p->monthly_after);
	ps_jw_obj_end(w);
	ps_jw_key(w, "period");
	ps_jw_obj(w);
	ps_jw_ktime(w, "start", p->period_start);
	ps_jw_ktime(w, "end", p->period_end);
	ps_jw_kint(w, "credit", p->credit);
	ps_jw_kint(w, "charge", p->charge);
	ps_jw_kint(w, "net", p->charge - p->credit);
	ps_jw_obj_end(w);
	ps_jw_key(w, "prepaid");
	ps_jw_obj(w);
	ps_jw_kint(w, "unused_days", p->unused_days);
	ps_jw_kint(w, "unused_value", p->unused_value);
	ps_jw_kbool(w, "credited", false);
	ps_jw_obj_end(w);
	ps_jw_key(w, "credit_check");
	ps_jw_obj(w);
	ps_jw_kbool(w, "needed", p->needs_credit_check);
	ps_jw_kint(w, "monthly_charge_before", p->mrc_before);
	ps_jw_kint(w, "monthly_charge_after", p->mrc_after);
	ps_jw_kint(w, "credit_limit", p->credit_limit);
	ps_jw_obj_end(w);
	ps_jw_key(w, "data");
	ps_jw_obj(w);
	ps_jw_kbool(w, "safe", p->data_safe);
	ps_jw_kbool(w, "acknowledgement_needed", !upgrade && !p->data_safe);
	render_services(w, "missing_services", p->safety.missing, p->safety.n_missing);
	render_services(w, "lower_services", p->safety.lower, p->safety.n_lower);
	ps_jw_obj_end(w);
	ps_jw_key(w, "users");
	ps_jw_obj(w);
	ps_jw_kint(w, "count", p->users);
	ps_jw_key(w, "first");
	ps_jw_arr(w);
	for (size_t i = 0; i < pv->n_users; i++)
		ps_jw_idstr(w, PS_PFX_USER, pv->users[i]);
	ps_jw_arr_end(w);
	ps_jw_obj_end(w);
	ps_jw_obj_end(w);
}

/* A fault of the catalog's parser, "plan \"biz-basic\": field \"currency\"
 * is missing", as the path of what it is about: "plans[biz-basic].currency"
 * (the object alone when no field is named; the field alone for the
 * document's own). */
static void fault_path(const char *msg, char *out, size_t cap)
{
	char kind[16] = "", id[128] = "", field[64] = "";
	const char *q = strchr(msg, '"'), *colon = strstr(msg, ": ");
	if (q && colon && q < colon && (size_t)(q - msg) > 1 && (size_t)(q - msg) < sizeof kind) {
		snprintf(kind, sizeof kind, "%.*s", (int)(q - msg - 1), msg);
		const char *e = strchr(q + 1, '"');
		if (e && e < colon)
			snprintf(id, sizeof id, "%.*s", (int)(e - q - 1), q + 1);
	}
	const char *f = strstr(msg, "field \"");
	if (f) {
		const char *e = strchr(f + 7, '"');
		if (e)
			snprintf(field, sizeof field, "%.*s", (int)(e - f - 7), f + 7);
	}
	if (kind[0] && id[0])
		snprintf(out, cap, "%ss[%s]%s%s", kind, id, field[0] ? "." : "", field);
	else
		snprintf(out, cap, "%s", field[0] ? field : "catalog");
}

/* {"error": {code, message, field, faults: [{path, message}]}} */
static void render_faults(struct ps_jw *w, const struct ps_err *e, const char *const *faults, size_t n)
{
	ps_render_error_open(w, e);
	ps_jw_key(w, "faults");
	ps_jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		char path[256];
		fault_path(faults[i], path, sizeof path);
		ps_jw_obj(w);
		ps_jw_kstr(w, "path", path);
		ps_jw_kstr(w, "message", faults[i]);
		ps_jw_obj_end(w);
	}
	ps_jw_arr_end(w);
	ps_jw_obj_end(w);
	ps_jw_obj_end(w);
}

void ps_render_failure(struct ps_jw *w, ps_code rc, const struct ps_err *err, const struct ps_refusal *why,
		       int64_t *retry_after_s)
{
	struct ps_err e = *err;
	const struct ps_verdict *v = why ? why->verdict : NULL;
	*retry_after_s = -1;
	e.code = rc;
	if (rc == PS_STORE || rc == PS_RETRY) {
		snprintf(e.msg, sizeof e.msg, "%s", "the store is unavailable right now; try again shortly");
		*retry_after_s = PS_STORE_RETRY_S;
	}
	if (why && why->n_faults) {
		render_faults(w, &e, why->faults, why->n_faults);
		return;
	}
	if (!((rc == PS_UPGRADE_BLOCKED || rc == PS_RATE_LIMITED) && v && v->sub)) {
		ps_render_error(w, &e);
		return;
	}
	const struct ps_reason *busy = ps_verdict_reason(v, PS_R_SERVICE_BUSY);
	if (rc == PS_RATE_LIMITED && busy)
		*retry_after_s = busy->retry_after_s;
	ps_jw_obj(w);
	ps_jw_key(w, "error");
	ps_jw_obj(w);
	ps_jw_kstr(w, "code", ps_code_api(rc));
	/* A refusal speaks the caller's language, as its reasons do. */
	ps_jw_kstr(w, "message", e.msg[0] ? ps_tr(why->lang, e.msg) : ps_code_api(rc));
	if (e.field[0])
		ps_jw_kstr(w, "field", e.field);
	ps_jw_key(w, "reasons");
	ps_jw_arr(w);
	if (why->choice && why->choice->n_reasons > 0) {
		for (size_t i = 0; i < why->choice->n_reasons; i++)
			ps_render_reason(w, &why->choice->reasons[i], why->snap, why->lang, why->now);
	} else if (why->offer) {
		ps_render_offer_reason(w, why->offer, v, why->snap, why->lang, why->now);
	} else {
		for (size_t i = 0; i < v->n_reasons; i++)
			ps_render_reason(w, &v->reasons[i], why->snap, why->lang, why->now);
	}
	ps_jw_arr_end(w);
	ps_jw_obj_end(w);
	ps_jw_obj_end(w);
}

void ps_render_sweep_row(struct ps_jw *w, const struct ps_verdict *v)
{
	const struct ps_subscription *s = &v->sub->s;
	ps_jw_obj(w);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, s->tenant_id);
	ps_jw_kid(w, "subscription", PS_PFX_SUB, s->id);
	ps_jw_kstr(w, "plan", s->plan_id);
	ps_jw_kstr(w, "status", ps_sub_status_name(s->status));
	ps_jw_kbool(w, "eligible", v->eligible);
	ps_jw_key(w, "reasons");
	ps_jw_arr(w);
	for (size_t i = 0; i < v->n_reasons; i++)
		ps_jw_str(w, ps_reason_code_name(v->reasons[i].code));
	ps_jw_arr_end(w);
	ps_jw_key(w, "offers");
	ps_jw_arr(w);
	for (size_t i = 0; i < v->n_offers; i++)
		if (v->offers[i].eligible)
			ps_jw_str(w, v->offers[i].plan->id);
	ps_jw_arr_end(w);
	ps_jw_obj_end(w);
}
