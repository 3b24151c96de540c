/* h_upgrades.c: the preview, the upgrade, the manual change, operations and
 * support requests (http layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../app/ps_upgrade_view.h"
#include "../app/ps_view.h"

#include "../common/ps_mem.h"

#include <stdlib.h>
#include <string.h>

/* The users of a manual change by seat: distinct user ids, sorted, and the
 * same as a JSON array of numbers for the store. Freed with the request. */
struct change_users {
	int64_t *ids;
	size_t n;
	char *json;
};

static int cmp_user(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

#define PS_SWITCH_USERS_MAX 1000000

static ps_code users_of(struct ps_req *r, struct change_users *u)
{
	json_t *v = r->body ? json_object_get(r->body, "users") : NULL;
	size_t i;
	json_t *e;
	if (!v || json_is_null(v))
		return PS_OK;
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > PS_SWITCH_USERS_MAX)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "users", "users must be a non-empty array of user ids");
	u->ids = ps_malloc(json_array_size(v) * sizeof *u->ids);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || !ps_id_parse(json_string_value(e), PS_PFX_USER, &u->ids[u->n]))
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "users", "users[%zu] must be a user id like %s12", i,
					  PS_PFX_USER);
		u->n++;
	}
	qsort(u->ids, u->n, sizeof *u->ids, cmp_user);
	size_t w = 0;
	for (i = 0; i < u->n; i++)
		if (w == 0 || u->ids[w - 1] != u->ids[i])
			u->ids[w++] = u->ids[i];
	u->n = w;
	struct ps_buf b;
	ps_buf_init(&b, 24 * (u->n + 1));
	ps_buf_putc(&b, '[');
	for (i = 0; i < u->n; i++) {
		if (i)
			ps_buf_putc(&b, ',');
		ps_buf_int(&b, u->ids[i]);
	}
	ps_buf_putc(&b, ']');
	u->json = ps_buf_take(&b);
	return PS_OK;
}

static void users_fini(struct change_users *u)
{
	ps_free(u->ids);
	ps_free(u->json);
}

static ps_code change_in(struct ps_req *r, bool is_switch, struct ps_change_in *in, enum ps_op_kind *kind,
			 struct change_users *u)
{
	static const char *const pv_fields[] = {"target_plan", "quantity", "kind", "acknowledge_data_loss",
						"acknowledge_addons", "users", "into", NULL};
	static const char *const up_fields[] = {"target_plan", "quantity", "kind", "when", NULL};
	static const char *const sw_fields[] = {"target_plan", "quantity", "acknowledge_data_loss", "acknowledge_addons",
						"users", "into", "when", NULL};
	bool has_q = false;
	const char *k = NULL;
	ps_code rc;
	memset(in, 0, sizeof *in);
	if ((rc = ps_body_only(r, kind ? pv_fields : is_switch ? sw_fields : up_fields)) ||
	    (rc = ps_body_id(r, "into", PS_PFX_SUB, &in->into)) || (rc = users_of(r, u)) ||
	    (rc = ps_body_str(r, "target_plan", in->into == 0, &in->target_plan)) ||
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
	bool sw = kind ? *kind == PS_OPK_SWITCH : is_switch;
	if (!sw && (in->into || u->n))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, in->into ? "into" : "users",
				  "%s is for the manual change (switch) only", in->into ? "into" : "users");
	if (in->into && u->n)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "users",
				  "users and into do not go together: into moves every user");
	in->user_ids = u->ids;
	in->n_users = u->n;
	in->users_json = u->json;
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
	struct change_users u = {.n = 0};
	ps_code rc;
	if ((rc = change_in(r, fixed != NULL, &in, fixed ? NULL : &kind, &u)) ||
	    (rc = ps_app_preview(c, r->t, r->s, kind, &in, &p, &tab)))
		goto out;
	if (u.n) /* the users that move: those listed */
		for (size_t i = 0; i < u.n && users.n < PS_PREVIEW_USERS; i++)
			users.ids[users.n++] = u.ids[i];
	else if ((rc = ps_app_seats_list(c, r->t, r->s, 0, PS_PREVIEW_USERS, take_user, &users)) != PS_OK)
		goto out;
	struct ps_preview_view pv = {.sub = r->s, .kind = kind, .plan = &p, .verdict = tab.verdict,
				     .offer = tab.offer, .snap = tab.snap, .lang = c->lang, .now = c->now,
				     .users = users.ids, .n_users = users.n, .choice = tab.choice};
	ps_render_preview(&r->w, &pv);
out:
	users_fini(&u);
	return rc;
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
	r->refusal = (struct ps_refusal){.verdict = d->verdict, .offer = d->offer, .snap = d->snap, .lang = c->lang,
					 .now = c->now, .choice = d->choice};
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
	struct change_users u = {.n = 0};
	ps_code rc = change_in(r, false, &in, NULL, &u);
	users_fini(&u);
	if (rc != PS_OK)
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
	struct change_users u = {.n = 0};
	struct ps_decision d = {.verdict = NULL};
	bool later = false;
	ps_code rc = change_in(r, true, &in, NULL, &u);
	if (rc == PS_OK)
		rc = when_of(r, &later);
	if (rc == PS_OK && later && (in.into || in.n_users))
		rc = ps_err_set(&r->c->err, PS_INVALID_FIELD, "when",
				"a change of some users, or into another subscription, happens now: when must be now");
	if (rc == PS_OK)
		rc = later ? ps_app_schedule(r->c, r->t, r->s, PS_OPK_SWITCH, &in, &op)
			   : ps_app_switch(r->c, r->t, r->s, &in, &op, &d);
	users_fini(&u);
	if (rc != PS_OK)
		return later ? rc : refused(r, rc, &d);
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
