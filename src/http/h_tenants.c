/* h_tenants.c: tenants, tokens, users and the audit log (http layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../common/ps_mem.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../common/ps_secret.h"
#include "../common/ps_time.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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
	static const char *const fields[] = {"role", "name", "expires_at", "expires_in", NULL};
	struct ps_token_in in = {0};
	const char *at = NULL, *in_s = NULL;
	char tok[PS_TOKEN_LEN];
	struct ps_token t;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "role", true, &in.role)) ||
	    (rc = ps_body_str(r, "name", false, &in.name)) || (rc = ps_body_str(r, "expires_at", false, &at)) ||
	    (rc = ps_body_str(r, "expires_in", false, &in_s)))
		return rc;
	if (at && in_s)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "expires_in",
				  "send expires_at or expires_in, not both");
	if (at && !ps_time_parse(at, &in.expires_at))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "expires_at",
				  "expires_at must be an RFC 3339 time such as 2026-11-27T09:00:00Z");
	int64_t d;
	if (in_s && !ps_duration_parse(in_s, &d))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "expires_in",
				  "expires_in must be a duration such as 90s, 30m, 4h or 90d");
	if (in_s) {
		in.expires_at = r->c->now + d;
		in.expires_field = "expires_in";
	}
	if ((rc = ps_app_token_make(r->c, r->t, &in, tok, sizeof tok, &t)) != PS_OK)
		return rc;
	r->status = 201;
	ps_render_token_new(&r->w, &t, tok);
	return PS_OK;
}

PS_LIST_ROW(token_row, struct ps_token, id, ps_render_token)

/* GET /v1/tenants/{t}/tokens, and GET /v1/tokens[?tenant=] (operator). */
ps_code ps_h_tokens_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after, tenant = r->t;
	const char *q = r->t ? NULL : ps_query(r, "tenant");
	if (q && !ps_id_parse(q, PS_PFX_TENANT, &tenant))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "tenant", "tenant must be an id like ten_12");
	ps_code rc = ps_list_open(r, PS_PFX_TOKEN, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_tokens_list(r->c, tenant, after, wk.limit + 1, token_row, &wk));
}

ps_code ps_h_token_revoke(struct ps_req *r)
{
	struct ps_token t;
	ps_code rc = ps_app_token_revoke(r->c, r->tok, &t);
	if (rc == PS_OK)
		r->status = 204;
	return rc;
}

/* The session cookie: its value, and the Set-Cookie that gives it (Secure
 * when a TLS proxy in front says the page came over https). */
#define SESSION_COOKIE "planshift_session"

static const char *session_cookie(struct ps_req *r)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
}

static void set_cookie(struct ps_req *r, const char *value, bool end)
{
	const char *proto = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
	bool tls = proto && strcasecmp(proto, "https") == 0;
	snprintf(r->set_cookie, sizeof r->set_cookie, SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
		 value, tls ? "; Secure" : "", end ? "; Max-Age=0" : "");
}

ps_code ps_h_session_create(struct ps_req *r)
{
	static const char *const fields[] = {"token", NULL};
	const char *token;
	struct ps_session s;
	ps_code rc;
	/* JSON only: a page of another site cannot send that without asking
	 * first (a CORS preflight this daemon never grants), so it cannot sign
	 * a browser in with a token of its own. */
	const char *ctype = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
	if (!ctype || strncasecmp(ctype, "application/json", 16) != 0)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "Content-Type",
				  "sign in with a JSON body: Content-Type: application/json");
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "token", true, &token)) ||
	    (rc = ps_app_session_create(r->c, token, &s)) != PS_OK)
		return rc;
	set_cookie(r, s.secret, false);
	r->status = 201;
	ps_render_session(&r->w, &s.who, s.csrf);
	return PS_OK;
}

ps_code ps_h_session_get(struct ps_req *r)
{
	const char *secret = session_cookie(r);
	if (!r->c->who.session || !secret)
		return ps_err_set(&r->c->err, PS_NOT_FOUND, NULL,
				  "no session: this call was not made with the planshift_session cookie");
	char csrf[PS_HASH_LEN];
	ps_app_session_csrf(secret, csrf);
	ps_render_session(&r->w, &r->c->who, csrf);
	return PS_OK;
}

ps_code ps_h_session_delete(struct ps_req *r)
{
	ps_code rc = ps_app_session_end(r->c, session_cookie(r));
	if (rc != PS_OK)
		return rc;
	set_cookie(r, "", true);
	r->status = 204;
	return PS_OK;
}

PS_LIST_ROW(user_row, struct ps_user, id, ps_render_user)

ps_code ps_h_users_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_USER, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_users_list(r->c, r->t, ps_query(r, "q"), after, wk.limit + 1, user_row, &wk));
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

/* POST /v1/tenants/{t}/users/bulk {users: [{upn, display_name}]}: all or
 * nothing, every bad user named in "faults" by its index. */
ps_code ps_h_users_bulk(struct ps_req *r)
{
	static const char *const fields[] = {"users", NULL};
	ps_code rc = ps_body_only(r, fields);
	if (rc != PS_OK)
		return rc;
	json_t *v = json_object_get(r->body, "users");
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > PS_BULK_USERS_MAX)
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "users",
				  "users must be an array of 1 to %d objects {upn, display_name}", PS_BULK_USERS_MAX);
	size_t n = json_array_size(v), i;
	json_t *e;
	struct ps_user_in *in = ps_malloc(n * sizeof *in);
	json_array_foreach(v, i, e)
	{
		json_t *upn = json_object_get(e, "upn"), *name = json_object_get(e, "display_name");
		if (!json_is_object(e) || json_object_size(e) != (size_t)(upn != NULL) + (name != NULL) ||
		    (upn && !json_is_string(upn)) || (name && !json_is_string(name))) {
			ps_free(in);
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "users",
					  "users[%zu] must be an object {upn, display_name} of strings", i);
		}
		in[i].upn = upn ? json_string_value(upn) : NULL;
		in[i].display_name = name ? json_string_value(name) : NULL;
	}
	int64_t created = 0;
	rc = ps_app_users_create(r->c, r->t, in, n, &created);
	ps_free(in);
	if (rc != PS_OK) {
		r->refusal.faults = (const char *const *)r->c->faults;
		r->refusal.n_faults = r->c->n_faults;
		return rc;
	}
	r->status = 201;
	ps_jw_obj(&r->w);
	ps_jw_kint(&r->w, "created", created);
	ps_jw_obj_end(&r->w);
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

PS_LIST_ROW(event_row, struct ps_event, id, ps_render_event)

/* GET /v1/events[?tenant=] (operator) and GET /v1/tenants/{t}/events: in
 * commit order, after=evt_N resumes after that event. */
ps_code ps_h_events_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after, tenant = r->t;
	const char *q = r->t ? NULL : ps_query(r, "tenant");
	if (q && !ps_id_parse(q, PS_PFX_TENANT, &tenant))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "tenant", "tenant must be an id like ten_12");
	ps_code rc = ps_list_open(r, PS_PFX_EVENT, &wk, &after);
	return ps_list_close(&wk, rc ? rc
				     : ps_app_events_list(r->c, tenant, ps_query(r, "type"), after, wk.limit + 1,
							  event_row, &wk));
}

PS_LIST_ROW(audit_row, struct ps_audit, id, ps_render_audit)

ps_code ps_h_audit_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_AUDIT, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_audit_list(r->c, r->t, after, wk.limit + 1, audit_row, &wk));
}
