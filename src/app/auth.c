/* auth.c: authentication (app layer): a bearer token, or the admin center's
 * session cookie, to a principal, by the SHA-256 of the secret (only hashes
 * are kept), on the store's clock at every request. A principal found in
 * the store is kept in the context (one per worker thread) with the
 * credentials' version it was found at (auth_version: every revocation,
 * every session ended moves it, on any daemon); at each request that
 * version is read with the catalog's in one row (ps_app_versions), and a
 * kept principal is used only when it is the same and, on the store's
 * clock, the principal's own ends (the token's expiry; a session's end and
 * idle time) have not come: else it is looked up again. So no daemon keeps
 * an answer that could outlive a revocation. A kept principal that looks
 * idle may have been touched by another daemon: it is looked up again,
 * never refused from memory. The last use is written at most once every
 * PS_TOUCH_EVERY seconds, when the stored one is older; a write that fails
 * does not fail the request, and is not tried again by this worker before
 * PS_TOUCH_EVERY seconds. */
#include "ps_access.h"
#include "ps_app.h"

#include "../common/ps_mem.h"
#include "../common/ps_secret.h"

#include <string.h>
#include <strings.h>

static bool touch_due(const struct ps_ctx *c)
{
	int64_t last = c->who.last_used_at;
	return last == 0 || last <= c->now - PS_TOUCH_EVERY || last > c->now;
}

#define PS_AUTH_SLOTS 256 /* a power of two */

struct ps_auth_slot {
	char hash[PS_HASH_LEN];
	int64_t version; /* the credentials' version it was found at; 0: empty */
	struct ps_principal who;
};

struct ps_auth_cache {
	struct ps_auth_slot slot[PS_AUTH_SLOTS];
};

static struct ps_auth_slot *slot_of(struct ps_ctx *c, const char *hash)
{
	if (!c->auth_cache)
		c->auth_cache = ps_calloc(1, sizeof *c->auth_cache);
	unsigned h = 0;
	for (int i = 0; i < 4; i++)
		h = h * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return &c->auth_cache->slot[h & (PS_AUTH_SLOTS - 1)];
}

/* What the store's find would say of a kept principal at `now`, but for
 * what only the version tells (a revocation, a session ended). */
static bool still_live(const struct ps_principal *p, int64_t now, int64_t idle_since)
{
	if (p->token_expires_at != 0 && p->token_expires_at <= now)
		return false;
	return !p->session || (p->expires_at > now && p->last_used_at > idle_since);
}

/* The principal of hash (a token's, or a session's when `session`) into
 * c->who: kept, or found in the store and kept. NOT_FOUND as the store's. */
static ps_code find(struct ps_ctx *c, const char *hash, bool session, int64_t idle_since)
{
	c->versions_read = false; /* read now, whatever this context read before */
	ps_code rc = ps_app_versions(c);
	if (rc != PS_OK)
		return rc;
	struct ps_auth_slot *sl = slot_of(c, hash);
	if (sl->version == c->auth_version && sl->who.session == session && strcmp(sl->hash, hash) == 0 &&
	    still_live(&sl->who, c->now, idle_since)) {
		c->who = sl->who;
		return PS_OK;
	}
	rc = session ? c->st->ops->session_find(c->st, hash, c->now, idle_since, &c->who, &c->err)
		     : c->st->ops->token_find(c->st, hash, c->now, &c->who, &c->err);
	if (rc == PS_OK) {
		memcpy(sl->hash, hash, PS_HASH_LEN);
		sl->version = c->auth_version; /* read before the find: a later revocation moves it */
		sl->who = c->who;
	} else if (strcmp(sl->hash, hash) == 0) {
		sl->version = 0;
	}
	return rc;
}

/* The last use just written, or tried: kept with the principal, so that
 * the next requests do not write it again for PS_TOUCH_EVERY seconds. A
 * write that failed (the store busy with a long write transaction, such as
 * the job runner's) is not tried again at every request: each would wait
 * for the write lock in turn. */
static void touched(struct ps_ctx *c, const char *hash)
{
	struct ps_auth_slot *sl = slot_of(c, hash);
	if (sl->version != 0 && strcmp(sl->hash, hash) == 0)
		sl->who.last_used_at = c->now;
}

ps_code ps_app_authenticate(struct ps_ctx *c, const char *h)
{
	memset(&c->who, 0, sizeof c->who);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7])
		return ps_err_set(&c->err, PS_UNAUTHORIZED, NULL, "send a token: Authorization: Bearer TOKEN");
	char hash[PS_HASH_LEN];
	ps_sha256_hex(h + 7, strlen(h + 7), hash);
	ps_code rc = find(c, hash, false, 0);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_UNAUTHORIZED, NULL,
				  "the token is not valid (unknown, expired or revoked)");
	if (rc == PS_OK && touch_due(c)) {
		struct ps_err ignored;
		c->st->ops->token_touch(c->st, c->who.token_id, c->now, c->now - PS_TOUCH_EVERY, &ignored);
		touched(c, hash);
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
	ps_code rc = find(c, hash, true, c->now - ps_app_session_idle(c->app));
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
		touched(c, hash);
	}
	return PS_OK;
}

ps_code ps_app_authenticate_request(struct ps_ctx *c, const struct ps_credentials *cr)
{
	if (!cr->authorization && cr->session && cr->session[0])
		return by_session(c, cr);
	return ps_app_authenticate(c, cr->authorization);
}
