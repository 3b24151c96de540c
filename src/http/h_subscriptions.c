/* h_subscriptions.c: subscriptions, seats, the licenses view and the
 * Upgrade tab (http layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../app/ps_upgrade_view.h"

#include <string.h>

struct sub_walk {
	struct ps_walk wk;
	const struct ps_catalog *cat;
	bool licenses; /* render the licenses view of live subscriptions */
};

static bool sub_row(void *arg, const struct ps_subscription *s)
{
	struct sub_walk *sw = arg;
	if (sw->licenses && !ps_sub_status_is_live(s->status))
		return true;
	if (!ps_walk_take(&sw->wk, s->id))
		return false;
	if (sw->licenses)
		ps_render_license(&sw->wk.r->w, s);
	else
		ps_render_sub(&sw->wk.r->w, s, sw->cat);
	return true;
}

static ps_code list_subs(struct ps_req *r, bool licenses)
{
	struct sub_walk sw = {.cat = r->c->cat, .licenses = licenses};
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_SUB, &sw.wk, &after);
	/* The licenses view skips ended subscriptions, so it walks without a
	 * store-side limit and stops itself one row past the page. */
	return ps_list_close(&sw.wk, rc ? rc : ps_app_subs_list(r->c, r->t, after, licenses ? 0 : sw.wk.limit + 1,
								sub_row, &sw));
}

ps_code ps_h_subs_list(struct ps_req *r)
{
	return list_subs(r, false);
}

ps_code ps_h_licenses(struct ps_req *r)
{
	return list_subs(r, true);
}

ps_code ps_h_sub_create(struct ps_req *r)
{
	static const char *const fields[] = {"plan", "quantity", "term", "prepaid", "addon_of", NULL};
	struct ps_purchase_in in = {0};
	struct ps_subscription s;
	struct ps_credit_check cc;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "plan", true, &in.plan)) ||
	    (rc = ps_body_int(r, "quantity", true, &in.quantity, NULL)) ||
	    (rc = ps_body_str(r, "term", false, &in.term)) || (rc = ps_body_bool(r, "prepaid", &in.prepaid)) ||
	    (rc = ps_body_id(r, "addon_of", PS_PFX_SUB, &in.addon_of)))
		return rc;
	if ((rc = ps_app_purchase(r->c, r->t, &in, &s, &cc)) != PS_OK)
		return rc;
	r->status = cc.id ? 202 : 201;
	ps_render_sub_ex(&r->w, &s, r->c->cat, cc.id ? &cc : NULL);
	return PS_OK;
}

ps_code ps_h_sub_get(struct ps_req *r)
{
	struct ps_subscription s;
	ps_code rc;
	if ((rc = ps_app_sub_get(r->c, r->t, r->s, &s)) != PS_OK)
		return rc;
	ps_render_sub(&r->w, &s, r->c->cat);
	return PS_OK;
}

ps_code ps_h_sub_patch(struct ps_req *r)
{
	static const char *const fields[] = {"quantity", NULL};
	int64_t q;
	struct ps_subscription s;
	struct ps_credit_check cc;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_int(r, "quantity", true, &q, NULL)))
		return rc;
	if ((rc = ps_app_set_quantity_cc(r->c, r->t, r->s, q, &s, &cc)) != PS_OK)
		return rc;
	/* Over the credit limit: 202, the subscription as it stands and the
	 * credit check the increase waits on. */
	r->status = cc.id ? 202 : 200;
	ps_render_sub_ex(&r->w, &s, r->c->cat, cc.id ? &cc : NULL);
	return PS_OK;
}

ps_code ps_h_sub_cancel(struct ps_req *r)
{
	static const char *const fields[] = {"when", NULL};
	struct ps_subscription s;
	const char *when;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "when", false, &when)) ||
	    (rc = ps_app_cancel_when(r->c, r->t, r->s, when, &s)))
		return rc;
	ps_render_sub(&r->w, &s, r->c->cat);
	return PS_OK;
}

ps_code ps_h_sub_status(struct ps_req *r)
{
	static const char *const fields[] = {"status", NULL};
	const char *status;
	struct ps_subscription s;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "status", true, &status)))
		return rc;
	if ((rc = ps_app_set_status(r->c, r->t, r->s, status, &s)) != PS_OK)
		return rc;
	ps_render_sub(&r->w, &s, r->c->cat);
	return PS_OK;
}

PS_LIST_ROW(seat_row, struct ps_assignment, user_id, ps_render_assignment)

ps_code ps_h_seats_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_USER, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_seats_list(r->c, r->t, r->s, after, wk.limit + 1, seat_row, &wk));
}

ps_code ps_h_seat_put(struct ps_req *r)
{
	static const char *const fields[] = {NULL};
	bool created = false;
	ps_code rc = ps_body_only(r, fields);
	if (rc == PS_OK)
		rc = ps_app_assign(r->c, r->t, r->s, r->user, &created);
	if (rc != PS_OK)
		return rc;
	r->status = created ? 201 : 200;
	ps_render_seat(&r->w, r->s, r->user, true);
	return PS_OK;
}

ps_code ps_h_seat_delete(struct ps_req *r)
{
	static const char *const fields[] = {NULL};
	ps_code rc = ps_body_only(r, fields);
	if (rc == PS_OK)
		rc = ps_app_unassign(r->c, r->t, r->s, r->user);
	if (rc != PS_OK)
		return rc;
	ps_render_seat(&r->w, r->s, r->user, false);
	return PS_OK;
}

ps_code ps_h_upgrades(struct ps_req *r)
{
	unsigned flags = 0;
	const char *u = ps_query(r, "include_unsupported");
	if (u) {
		if (strcmp(u, "true") == 0 || strcmp(u, "1") == 0)
			flags |= PS_EVAL_UNSUPPORTED;
		else if (strcmp(u, "false") != 0 && strcmp(u, "0") != 0)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "include_unsupported",
					  "include_unsupported must be true or false");
	}
	struct ps_decision tab;
	ps_code rc = ps_app_upgrades(r->c, r->t, r->s, flags, &tab);
	if (rc != PS_OK)
		return rc;
	ps_render_verdict(&r->w, tab.verdict, tab.snap, r->c->lang, r->c->now);
	return PS_OK;
}
