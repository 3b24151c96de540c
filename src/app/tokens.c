/* tokens.c: API tokens with a life cycle and the admin center's sessions
 * (app layer). A token has a name, an optional expiry on the store's clock
 * and a last use; it is listed without its secret and revoked. A session is
 * made from a live token, held by the SHA-256 of its secret (the cookie's
 * value) and ends when idle, at its absolute end, when signed out, or with
 * its token. Every creation and revocation is audited. */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_secret.h"
#include "../common/ps_time.h"

#include <stdio.h>
#include <string.h>

struct token_arg {
	const char *hash;
	struct ps_token *t;
};

static ps_code token_tx(struct ps_ctx *c, void *arg)
{
	struct token_arg *a = arg;
	ps_code rc = c->st->ops->token_insert(c->st, a->hash, a->t, &c->err);
	if (rc != PS_OK)
		return rc;
	ps_render_token(ps_app_event(c, PS_EV_TOKEN_CREATED, a->t->tenant_id, a->t->id), a->t);
	char ref[32];
	struct ps_buf b;
	struct ps_jw w;
	ps_buf_init(&b, 512);
	ps_jw_init(&w, &b);
	ps_jw_obj(&w);
	ps_jw_kstr(&w, "role", ps_role_name(a->t->role));
	ps_jw_kstr(&w, "name", a->t->name);
	if (a->t->expires_at)
		ps_jw_ktime(&w, "expires_at", a->t->expires_at);
	ps_jw_obj_end(&w);
	rc = ps_app_audit(c, a->t->tenant_id, "token.create", ps_app_ref(ref, sizeof ref, PS_PFX_TOKEN, a->t->id),
			  ps_buf_str(&b));
	ps_buf_fini(&b);
	return rc;
}

ps_code ps_app_token_make(struct ps_ctx *c, int64_t tenant, const struct ps_token_in *in, char *token_out, size_t cap,
			  struct ps_token *out)
{
	enum ps_role r;
	const char *role = in->role;
	if (!role || !ps_role_parse(role, &r))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "role",
				  "role must be one of operator, support, global_admin, billing_admin, "
				  "license_admin, reader");
	if (ps_role_is_tenant(r) && tenant == 0)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "tenant", "the %s role needs a tenant", ps_role_name(r));
	if (!ps_role_is_tenant(r) && tenant != 0)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "role",
				  "a tenant's token must have a tenant role (global_admin, billing_admin, "
				  "license_admin, reader)");
	memset(out, 0, sizeof *out);
	if (in->name && in->name[0]) {
		ps_code rc = ps_app_text(c, "name", in->name, PS_TOKEN_NAME_MAX);
		if (rc != PS_OK)
			return rc;
		snprintf(out->name, sizeof out->name, "%s", in->name);
	}
	if (in->expires_at && in->expires_at <= c->now)
		return ps_err_set(&c->err, PS_INVALID_FIELD, in->expires_field ? in->expires_field : "expires_at",
				  "a token must expire in the future");
	if (tenant) {
		struct ps_tenant t;
		ps_code rc = c->st->ops->tenant_get(c->st, tenant, &t, &c->err);
		if (rc == PS_NOT_FOUND)
			return ps_err_set(&c->err, PS_NOT_FOUND, "tenant", "no such tenant");
		if (rc != PS_OK)
			return rc;
	}
	char tok[PS_TOKEN_LEN], hash[PS_HASH_LEN];
	if (cap < PS_TOKEN_LEN)
		return ps_err_set(&c->err, PS_INTERNAL, NULL, "token buffer too small");
	if (!ps_token_new(tok))
		return ps_err_set(&c->err, PS_INTERNAL, NULL, "the system has no randomness for a token");
	ps_sha256_hex(tok, strlen(tok), hash);
	out->role = r;
	out->tenant_id = tenant;
	out->created_at = c->now;
	out->expires_at = in->expires_at;
	struct token_arg a = {hash, out};
	ps_code rc = ps_app_tx(c, token_tx, &a);
	if (rc != PS_OK)
		return rc;
	snprintf(token_out, cap, "%s", tok);
	return PS_OK;
}

ps_code ps_app_token_create(struct ps_ctx *c, const char *role, int64_t tenant, char *token_out, size_t cap,
			    enum ps_role *role_out)
{
	struct ps_token_in in = {.role = role};
	struct ps_token t;
	ps_code rc = ps_app_token_make(c, tenant, &in, token_out, cap, &t);
	if (rc == PS_OK && role_out)
		*role_out = t.role;
	return rc;
}

ps_code ps_app_tokens_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_token_cb cb, void *arg)
{
	if (tenant) {
		struct ps_tenant t;
		ps_code rc = ps_app_tenant(c, tenant, &t);
		if (rc != PS_OK)
			return rc;
	}
	return c->st->ops->token_list(c->st, tenant, after, limit, cb, arg, &c->err);
}

static ps_code revoke_tx(struct ps_ctx *c, void *arg)
{
	const struct ps_token *t = arg;
	ps_code rc = c->st->ops->token_revoke(c->st, t->id, c->now, &c->err);
	if (rc != PS_OK)
		return rc;
	struct ps_token revoked = *t;
	revoked.revoked_at = c->now;
	ps_render_token(ps_app_event(c, PS_EV_TOKEN_REVOKED, t->tenant_id, t->id), &revoked);
	char ref[32], detail[64];
	snprintf(detail, sizeof detail, "{\"role\":\"%s\"}", ps_role_name(t->role));
	return ps_app_audit(c, t->tenant_id, "token.revoke", ps_app_ref(ref, sizeof ref, PS_PFX_TOKEN, t->id), detail);
}

ps_code ps_app_token_revoke(struct ps_ctx *c, int64_t id, struct ps_token *out)
{
	ps_code rc = c->st->ops->token_get(c->st, id, out, &c->err);
	if (rc == PS_OK && out->revoked_at)
		rc = ps_err_set(&c->err, PS_NOT_FOUND, "token", "no such token");
	/* Whose token it is decides who may revoke it: its tenant's
	 * global_admin or the operator; the provider's only the operator. */
	if (rc == PS_OK)
		rc = ps_app_check_owner(c, PS_PERM_MAKE_TOKENS, out->tenant_id);
	if (rc == PS_OK)
		rc = ps_app_tx(c, revoke_tx, out);
	if (rc == PS_OK)
		out->revoked_at = c->now;
	return rc;
}

/* ---- Sessions ---------------------------------------------------------- */

int64_t ps_app_session_idle(const struct ps_app *app)
{
	return app->session_idle > 0 ? app->session_idle : PS_SESSION_IDLE_DEFAULT;
}

int64_t ps_app_session_absolute(const struct ps_app *app)
{
	return app->session_absolute > 0 ? app->session_absolute : PS_SESSION_ABSOLUTE_DEFAULT;
}

void ps_app_session_csrf(const char *secret, char out[PS_HASH_LEN])
{
	char text[PS_TOKEN_LEN + 8];
	snprintf(text, sizeof text, "csrf:%s", secret);
	ps_sha256_hex(text, strlen(text), out);
}

struct session_arg {
	const char *hash;
	struct ps_session *s;
};

static ps_code session_tx(struct ps_ctx *c, void *arg)
{
	struct session_arg *a = arg;
	ps_code rc = c->st->ops->session_purge(c->st, c->now, c->now - ps_app_session_idle(c->app), &c->err);
	if (rc == PS_OK)
		rc = c->st->ops->session_insert(c->st, a->hash, a->s->who.token_id, c->now, a->s->expires_at, &c->err);
	/* Signing in is a use of the token (its session's calls are not). */
	if (rc == PS_OK)
		rc = c->st->ops->token_touch(c->st, a->s->who.token_id, c->now, c->now - PS_TOUCH_EVERY, &c->err);
	return rc;
}

ps_code ps_app_session_create(struct ps_ctx *c, const char *token, struct ps_session *out)
{
	memset(out, 0, sizeof *out);
	if (!token || !token[0])
		return ps_err_set(&c->err, PS_INVALID_FIELD, "token", "token is required");
	char hash[PS_HASH_LEN];
	ps_sha256_hex(token, strlen(token), hash);
	ps_code rc = c->st->ops->token_find(c->st, hash, c->now, &out->who, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_UNAUTHORIZED, "token", "the token is not valid");
	if (rc != PS_OK)
		return rc;
	out->expires_at = c->now + ps_app_session_absolute(c->app);
	if (out->who.expires_at && out->who.expires_at < out->expires_at)
		out->expires_at = out->who.expires_at;
	if (!ps_token_new(out->secret))
		return ps_err_set(&c->err, PS_INTERNAL, NULL, "the system has no randomness for a session");
	ps_sha256_hex(out->secret, strlen(out->secret), hash);
	struct session_arg a = {hash, out};
	if ((rc = ps_app_tx(c, session_tx, &a)) != PS_OK)
		return rc;
	ps_app_session_csrf(out->secret, out->csrf);
	out->who.session = true;
	out->who.expires_at = out->expires_at;
	return PS_OK;
}

static ps_code session_end_tx(struct ps_ctx *c, void *arg)
{
	return c->st->ops->session_delete(c->st, arg, &c->err);
}

ps_code ps_app_session_end(struct ps_ctx *c, const char *secret)
{
	if (!c->who.session || !secret)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL,
				  "no session: this call was not made with the planshift_session cookie");
	char hash[PS_HASH_LEN];
	ps_sha256_hex(secret, strlen(secret), hash);
	return ps_app_tx(c, session_end_tx, hash);
}
