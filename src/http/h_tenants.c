/* h_tenants.c: tenants, tokens, users and the audit log (http layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../common/ps_secret.h"

PS_LIST_ROW(tenant_row, struct ps_tenant, id, ps_render_tenant)

ps_code ps_h_tenants_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_TENANT, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_tenants_list(r->c, after, wk.limit + 1, tenant_row, &wk));
}

ps_code ps_h_tenant_create(struct ps_req *r)
{
	static const char *const fields[] = {"name", "segment", "payment", "credit_limit", "currency", NULL};
	struct ps_tenant_in in = {0};
	struct ps_tenant t;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "name", true, &in.name)) ||
	    (rc = ps_body_str(r, "segment", false, &in.segment)) ||
	    (rc = ps_body_str(r, "payment", true, &in.payment)) ||
	    (rc = ps_body_int(r, "credit_limit", false, &in.credit_limit, &in.has_credit_limit)) ||
	    (rc = ps_body_str(r, "currency", true, &in.currency)))
		return rc;
	if ((rc = ps_app_tenant_create(r->c, &in, &t)) != PS_OK)
		return rc;
	r->status = 201;
	ps_render_tenant(&r->w, &t);
	return PS_OK;
}

ps_code ps_h_tenant_get(struct ps_req *r)
{
	struct ps_tenant t;
	ps_code rc;
	if ((rc = ps_app_tenant(r->c, r->t, &t)) != PS_OK)
		return rc;
	ps_render_tenant(&r->w, &t);
	return PS_OK;
}

ps_code ps_h_token_create(struct ps_req *r)
{
	static const char *const fields[] = {"role", NULL};
	const char *role;
	char tok[PS_TOKEN_LEN];
	enum ps_role got;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "role", true, &role)))
		return rc;
	if ((rc = ps_app_token_create(r->c, role, r->t, tok, sizeof tok, &got)) != PS_OK)
		return rc;
	r->status = 201;
	ps_jw_obj(&r->w);
	ps_jw_kstr(&r->w, "token", tok);
	ps_jw_kstr(&r->w, "role", ps_role_name(got));
	ps_jw_kid(&r->w, "tenant", PS_PFX_TENANT, r->t);
	ps_jw_obj_end(&r->w);
	return PS_OK;
}

PS_LIST_ROW(user_row, struct ps_user, id, ps_render_user)

ps_code ps_h_users_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_USER, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_users_list(r->c, r->t, after, wk.limit + 1, user_row, &wk));
}

ps_code ps_h_user_create(struct ps_req *r)
{
	static const char *const fields[] = {"upn", "display_name", NULL};
	const char *upn, *name;
	struct ps_user u;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "upn", true, &upn)) ||
	    (rc = ps_body_str(r, "display_name", true, &name)))
		return rc;
	if ((rc = ps_app_user_create(r->c, r->t, upn, name, &u)) != PS_OK)
		return rc;
	r->status = 201;
	ps_render_user(&r->w, &u);
	return PS_OK;
}

ps_code ps_h_user_get(struct ps_req *r)
{
	struct ps_user u;
	ps_code rc;
	if ((rc = ps_app_user_get(r->c, r->t, r->user, &u)) != PS_OK)
		return rc;
	ps_render_user(&r->w, &u);
	return PS_OK;
}

PS_LIST_ROW(audit_row, struct ps_audit, id, ps_render_audit)

ps_code ps_h_audit_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_AUDIT, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_audit_list(r->c, r->t, after, wk.limit + 1, audit_row, &wk));
}
