/* auth.c: authentication (app layer): a bearer token, or the admin center's
 * session cookie, to a principal, by the SHA-256 of the secret looked up in
 * the store (only hashes are kept), on the store's clock at every request:
 * no daemon keeps an answer that could outlive a revocation. The last use
 * is written at most once every PS_TOUCH_EVERY seconds, when the stored one
 * is older; a write that fails does not fail the request. */
#include "ps_access.h"
#include "ps_app.h"

#include "../common/ps_secret.h"

#include <string.h>
#include <strings.h>

static bool touch_due(const struct ps_ctx *c)
{
	int64_t last = c->who.last_used_at;
	return last == 0 || last <= c->now - PS_TOUCH_EVERY || last > c->now;
}

ps_code ps_app_authenticate(struct ps_ctx *c, const char *h)
{
	memset(&c->who, 0, sizeof c->who);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7])
		return ps_err_set(&c->err, PS_UNAUTHORIZED, NULL, "send a token: Authorization: Bearer TOKEN");
	char hash[PS_HASH_LEN];
	ps_sha256_hex(h + 7, strlen(h + 7), hash);
	ps_code rc = c->st->ops->token_find(c->st, hash, c->now, &c->who, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_UNAUTHORIZED, NULL,
				  "the token is not valid (unknown, expired or revoked)");
	if (rc == PS_OK && touch_due(c)) {
		struct ps_err ignored;
		c->st->ops->token_touch(c->st, c->who.token_id, c->now, c->now - PS_TOUCH_EVERY, &ignored);
	}
	return rc;
}

/* Equal strings, in a time that does not depend on where they differ. */
static bool same_secret(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return false;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static ps_code by_session(struct ps_ctx *c, const struct ps_credentials *cr)
{
	memset(&c->who, 0, sizeof c->who);
	char hash[PS_HASH_LEN];
	ps_sha256_hex(cr->session, strlen(cr->session), hash);
	ps_code rc =
	    c->st->ops->session_find(c->st, hash, c->now, c->now - ps_app_session_idle(c->app), &c->who, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_UNAUTHORIZED, NULL, "the session has ended: sign in again");
	if (rc != PS_OK)
		return rc;
	if (cr->changes) {
		char want[PS_HASH_LEN];
		ps_app_session_csrf(cr->session, want);
		if (!cr->csrf || !same_secret(cr->csrf, want))
			return ps_err_set(&c->err, PS_FORBIDDEN, "X-CSRF-Token",
					  "a change made with a session needs its X-CSRF-Token header");
	}
	if (touch_due(c)) {
		struct ps_err ignored;
		c->st->ops->session_touch(c->st, hash, c->now, c->now - PS_TOUCH_EVERY, &ignored);
	}
	return PS_OK;
}

ps_code ps_app_authenticate_request(struct ps_ctx *c, const struct ps_credentials *cr)
{
	if (!cr->authorization && cr->session && cr->session[0])
		return by_session(c, cr);
	return ps_app_authenticate(c, cr->authorization);
}
