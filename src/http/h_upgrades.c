/* h_upgrades.c: the preview, the upgrade, the manual change, operations and
 * support requests (http layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../app/ps_upgrade_view.h"
#include "../app/ps_view.h"

#include <string.h>

static ps_code change_in(struct ps_req *r, bool is_switch, struct ps_change_in *in, enum ps_op_kind *kind)
{
	static const char *const pv_fields[] = {"target_plan", "quantity", "kind", "acknowledge_data_loss",
						"acknowledge_addons", NULL};
	static const char *const up_fields[] = {"target_plan", "quantity", "kind", "when", NULL};
	static const char *const sw_fields[] = {"target_plan", "quantity", "acknowledge_data_loss", "acknowledge_addons",
						"when", NULL};
	bool has_q = false;
	const char *k = NULL;
	ps_code rc;
	memset(in, 0, sizeof *in);
	if ((rc = ps_body_only(r, kind ? pv_fields : is_switch ? sw_fields : up_fields)) ||
	    (rc = ps_body_str(r, "target_plan", true, &in->target_plan)) ||
	    (rc = ps_body_int(r, "quantity", false, &in->quantity, &has_q)) ||
	    (rc = ps_body_bool(r, "acknowledge_data_loss", &in->acknowledge_data_loss)) ||
	    (rc = ps_body_bool(r, "acknowledge_addons", &in->acknowledge_addons)))
		return rc;
	if (has_q && in->quantity < 1)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "quantity", "quantity must be a positive integer");
	if (kind) {
		if ((rc = ps_body_str(r, "kind", false, &k)) != PS_OK)
			return rc;
		*kind = PS_OPK_UPGRADE;
		if (k && !ps_op_kind_parse(k, kind))
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "kind", "kind must be upgrade or switch");
	}
	return PS_OK;
}

/* when: "now" (the default) or "term_end"; *later tells which. */
static ps_code when_of(struct ps_req *r, bool *later)
{
	const char *when = NULL;
	ps_code rc = ps_body_str(r, "when", false, &when);
	*later = when && strcmp(when, "term_end") == 0;
	if (rc == PS_OK && when && !*later && strcmp(when, "now") != 0)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "when", "when must be now or term_end");
	return rc;
}

/* The first seats' users, for the preview. */
struct first_users {
	int64_t ids[PS_PREVIEW_USERS];
	size_t n;
};

static bool take_user(void *arg, const struct ps_assignment *a)
{
	struct first_users *u = arg;
	if (u->n < PS_PREVIEW_USERS)
		u->ids[u->n++] = a->user_id;
	return true;
}

/* The preview of a change of kind `kind`, read from the body when NULL. */
static ps_code preview(struct ps_req *r, const enum ps_op_kind *fixed)
{
	struct ps_ctx *c = r->c;
	struct ps_change_in in;
	struct ps_change_plan p;
	struct ps_decision tab;
	struct first_users users = {.n = 0};
	enum ps_op_kind kind = fixed ? *fixed : PS_OPK_UPGRADE;
	ps_code rc;
	if ((rc = change_in(r, fixed != NULL, &in, fixed ? NULL : &kind)) ||
	    (rc = ps_app_preview(c, r->t, r->s, kind, &in, &p, &tab)) ||
	    (rc = ps_app_seats_list(c, r->t, r->s, 0, PS_PREVIEW_USERS, take_user, &users)))
		return rc;
	struct ps_preview_view pv = {.sub = r->s, .kind = kind, .plan = &p, .verdict = tab.verdict,
				     .offer = tab.offer, .snap = tab.snap, .lang = c->lang, .now = c->now,
				     .users = users.ids, .n_users = users.n, .choice = tab.choice};
	ps_render_preview(&r->w, &pv);
	return PS_OK;
}

ps_code ps_h_preview(struct ps_req *r)
{
	return preview(r, NULL);
}

ps_code ps_h_switch_preview(struct ps_req *r)
{
	static const enum ps_op_kind sw = PS_OPK_SWITCH;
	return preview(r, &sw);
}

/* A refused change is explained by the reasons it was refused for. */
static ps_code refused(struct ps_req *r, ps_code rc, const struct ps_decision *d)
{
	struct ps_ctx *c = r->c;
	r->refusal = (struct ps_refusal){d->verdict, d->offer, d->snap, c->lang, c->now, d->choice};
	return rc;
}

static ps_code reply_op(struct ps_req *r, const struct ps_operation *op)
{
	r->status = op->state == PS_OP_COMPLETED ? 201 : 202;
	ps_render_operation(&r->w, op);
	return PS_OK;
}

ps_code ps_h_upgrade(struct ps_req *r)
{
	struct ps_change_in in;
	struct ps_operation op;
	ps_code rc;
	if ((rc = change_in(r, false, &in, NULL)) != PS_OK)
		return rc;
	if (json_object_get(r->body, "kind"))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "kind", "kind is for the preview only");
	bool later;
	if ((rc = when_of(r, &later)) != PS_OK)
		return rc;
	if (later && (rc = ps_app_schedule(r->c, r->t, r->s, PS_OPK_UPGRADE, &in, &op)) == PS_OK)
		return reply_op(r, &op);
	if (later)
		return rc;
	struct ps_decision d;
	if ((rc = ps_app_upgrade(r->c, r->t, r->s, &in, &op, &d)) != PS_OK)
		return refused(r, rc, &d);
	return reply_op(r, &op);
}

ps_code ps_h_switch(struct ps_req *r)
{
	struct ps_change_in in;
	struct ps_operation op;
	ps_code rc;
	struct ps_decision d;
	bool later;
	if ((rc = change_in(r, true, &in, NULL)) != PS_OK || (rc = when_of(r, &later)) != PS_OK)
		return rc;
	if (later && (rc = ps_app_schedule(r->c, r->t, r->s, PS_OPK_SWITCH, &in, &op)) == PS_OK)
		return reply_op(r, &op);
	if (later)
		return rc;
	if ((rc = ps_app_switch(r->c, r->t, r->s, &in, &op, &d)) != PS_OK)
		return refused(r, rc, &d);
	return reply_op(r, &op);
}

PS_LIST_ROW(op_row, struct ps_operation, id, ps_render_operation)

ps_code ps_h_operations(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_OPERATION, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_operations_list(r->c, r->t, after, wk.limit + 1, op_row, &wk));
}

ps_code ps_h_operation(struct ps_req *r)
{
	struct ps_operation op;
	ps_code rc;
	if ((rc = ps_app_operation_get(r->c, r->t, r->op, &op)) != PS_OK)
		return rc;
	ps_render_operation(&r->w, &op);
	return PS_OK;
}

ps_code ps_h_operation_fail(struct ps_req *r)
{
	static const char *const fields[] = {"reason", NULL};
	struct ps_operation op;
	const char *reason = NULL;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "reason", false, &reason)) ||
	    (rc = ps_app_operation_fail(r->c, r->t, r->op, reason, &op)))
		return rc;
	ps_render_operation(&r->w, &op);
	return PS_OK;
}

ps_code ps_h_operation_cancel(struct ps_req *r)
{
	struct ps_operation op;
	ps_code rc;
	if ((rc = ps_app_operation_cancel(r->c, r->t, r->op, &op)) != PS_OK)
		return rc;
	ps_render_operation(&r->w, &op);
	return PS_OK;
}

ps_code ps_h_support_create(struct ps_req *r)
{
	static const char *const fields[] = {"subscription", "reason_codes", "description", NULL};
	struct ps_support_request s;
	ps_code rc;
	memset(&s, 0, sizeof s);
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_id(r, "subscription", PS_PFX_SUB, &s.subscription_id)))
		return rc;
	json_t *codes = json_object_get(r->body, "reason_codes");
	if (codes && !json_is_array(codes))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "reason_codes", "reason_codes must be an array of reason codes");
	size_t i;
	json_t *v;
	size_t len = 0;
	json_array_foreach(codes, i, v)
	{
		enum ps_reason_code code;
		if (!json_is_string(v) || !ps_reason_code_parse(json_string_value(v), &code))
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "reason_codes",
					  "reason_codes[%zu] is not a reason code of the Upgrade tab", i);
		const char *name = ps_reason_code_name(code);
		size_t n = strlen(name);
		if (len + n + 2 > sizeof s.reason_codes)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "reason_codes", "too many reason codes");
		if (len)
			s.reason_codes[len++] = ',';
		memcpy(s.reason_codes + len, name, n + 1);
		len += n;
	}
	const char *desc;
	if ((rc = ps_body_str(r, "description", true, &desc)) != PS_OK)
		return rc;
	if ((rc = ps_app_support_open(r->c, r->t, &s, desc)) != PS_OK)
		return rc;
	r->status = 201;
	ps_render_support(&r->w, &s);
	return PS_OK;
}

PS_LIST_ROW(support_row, struct ps_support_request, id, ps_render_support)

ps_code ps_h_support_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_SUPPORT, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_support_list(r->c, r->t, after, wk.limit + 1, support_row, &wk));
}
