/* auth.c: authentication (app layer): a bearer token to a principal, by the
 * SHA-256 of the token looked up in the store (only hashes are kept). */
#include "ps_access.h"
#include "ps_app.h"

#include "../common/ps_secret.h"

#include <string.h>
#include <strings.h>

ps_code ps_app_authenticate(struct ps_ctx *c, const char *h)
{
	memset(&c->who, 0, sizeof c->who);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7])
		return ps_err_set(&c->err, PS_UNAUTHORIZED, NULL, "send a token: Authorization: Bearer TOKEN");
	char hash[PS_HASH_LEN];
	ps_sha256_hex(h + 7, strlen(h + 7), hash);
	ps_code rc = c->st->ops->token_find(c->st, hash, &c->who, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_UNAUTHORIZED, NULL, "the token is not valid");
	return rc;
}
