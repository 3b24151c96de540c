/* schedule.c: changes at the end of the term (RULES second part "Changes
 * at the end of the term"): an upgrade or a manual change asked with
 * `when: "term_end"` is a `scheduled` operation, at most one per
 * subscription, that the job runner takes at its `effective_at`, deciding
 * again through the one decision (ps_change_decide) and applying it as an
 * immediate change does (ps_change_apply); or it is cancelled first. App
 * layer: the rest of the change use case is upgrade.c's. */
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
	if ((rc = ps_change_target(c, a->in, &to)) ||
	    (rc = ps_app_evaluate(c, a->tenant, a->sub, PS_EVAL_UNSUPPORTED, a->tab)) ||
	    (rc = ps_change_decide(c, a->tab, to, a->kind, a->in)))
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
	    (rc = ps_change_quantity(c, s, a->in, a->kind == PS_OPK_UPGRADE ? s->s.quantity : s->s.assigned, &q)) != PS_OK)
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
	rc = ps_app_op_insert(c, op);
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
	if ((rc = ps_app_op_update(c, a->out)) != PS_OK || (rc = ps_change_call_off(c, a->out)) != PS_OK)
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
	ps_code rc = ps_app_op_update(c, op);
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
	const struct ps_plan *to = ps_catalog_plan(c->cat, op->target_plan);
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
	if ((rc = ps_change_decide(c, &tab, to, op->kind, &in)) == PS_INVALID_FIELD || rc == PS_CONFLICT)
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
	if ((rc = ps_change_quantity(c, s, &in, floor, &q)) != PS_OK)
		return scheduled_failed(c, op, NULL);
	struct ps_change_plan plan;
	ps_change_plan_whole(c, d, tab.snap, s, q, &plan);
	op->quantity = q;
	const struct ps_tenant *t = &tab.snap->tenant;
	if (plan.needs_credit_check) {
		struct ps_credit_check cc;
		if ((rc = ps_credit_request(c, t, plan.mrc_after, 0, op->id, &cc)) != PS_OK)
			return rc;
		op->credit_check_id = cc.id;
		op->state = PS_OP_PENDING_CREDIT_CHECK;
		op->updated_at = c->now;
		return ps_app_op_update(c, op);
	}
	return ps_change_apply(c, t, op);
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
