/* h_subscriptions.c: subscriptions, seats, the licenses view and the
 * Upgrade tab (http layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../app/ps_upgrade_view.h"

#include "../common/ps_mem.h"

#include <stdlib.h>
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

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* A body list of user ids ("assign" or "unassign"), in order, duplicates
 * dropped; absent or null: none. *ids is the caller's to free. */
static ps_code user_ids(struct ps_req *r, const char *key, int64_t **ids, size_t *n)
{
	json_t *v = r->body ? json_object_get(r->body, key) : NULL;
	size_t i;
	json_t *e;
	*ids = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return PS_OK;
	if (!json_is_array(v) || json_array_size(v) > PS_BULK_SEATS_MAX)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s must be an array of at most %d user ids", key,
				  PS_BULK_SEATS_MAX);
	*ids = ps_malloc((json_array_size(v) + 1) * sizeof **ids);
	json_array_foreach(v, i, e)
	{
		int64_t id;
		if (!json_is_string(e) || !ps_id_parse(json_string_value(e), PS_PFX_USER, &id))
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s[%zu] must be a user id like %s12", key, i,
					  PS_PFX_USER);
		(*ids)[(*n)++] = id;
	}
	qsort(*ids, *n, sizeof **ids, cmp_id);
	size_t w = 0;
	for (i = 0; i < *n; i++)
		if (w == 0 || (*ids)[w - 1] != (*ids)[i])
			(*ids)[w++] = (*ids)[i];
	*n = w;
	return PS_OK;
}

/* POST .../licenses/bulk {assign?, unassign?}: all or nothing, every bad
 * user named in "faults". */
ps_code ps_h_seats_bulk(struct ps_req *r)
{
	static const char *const fields[] = {"assign", "unassign", NULL};
	int64_t *as = NULL, *un = NULL;
	size_t na = 0, nu = 0;
	struct ps_seats_bulk out;
	ps_code rc = ps_body_only(r, fields);
	if (rc == PS_OK)
		rc = user_ids(r, "assign", &as, &na);
	if (rc == PS_OK)
		rc = user_ids(r, "unassign", &un, &nu);
	if (rc == PS_OK && na + nu == 0)
		rc = ps_err_set(&r->c->err, PS_INVALID_FIELD, "assign", "name at least one user to assign or unassign");
	for (size_t i = 0, j = 0; rc == PS_OK && i < na && j < nu;) /* both in order */
		if (as[i] == un[j])
			rc = ps_err_set(&r->c->err, PS_INVALID_FIELD, "unassign",
					"user %s%lld is both to assign and to unassign", PS_PFX_USER, (long long)as[i]);
		else if (as[i] < un[j])
			i++;
		else
			j++;
	if (rc == PS_OK) {
		rc = ps_app_seats_bulk(r->c, r->t, r->s, as, na, un, nu, &out);
		if (rc != PS_OK && r->c->n_faults) {
			r->refusal.faults = (const char *const *)r->c->faults;
			r->refusal.n_faults = r->c->n_faults;
		}
	}
	ps_free(as);
	ps_free(un);
	if (rc != PS_OK)
		return rc;
	ps_jw_obj(&r->w);
	ps_jw_kid(&r->w, "subscription", PS_PFX_SUB, r->s);
	ps_jw_kint(&r->w, "assigned", out.assigned);
	ps_jw_kint(&r->w, "unassigned", out.unassigned);
	ps_jw_kint(&r->w, "unchanged", out.unchanged);
	ps_jw_kint(&r->w, "quantity", out.quantity);
	ps_jw_kint(&r->w, "total_assigned", out.total);
	ps_jw_obj_end(&r->w);
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
