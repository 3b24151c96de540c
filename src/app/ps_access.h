/* ps_access.h: who is calling and what they may do (app layer).
 * Authentication turns a bearer token into a principal (auth.c);
 * authorization decides, in one place, whether that principal may do a
 * permission on a tenant (authz.c). */
#ifndef PS_ACCESS_H
#define PS_ACCESS_H

#include "ps_app.h"

/* Authenticate the value of an Authorization header (NULL: none) into
 * c->who: PS_UNAUTHORIZED when it is not "Bearer TOKEN" of a known token,
 * else PS_OK or the store's error. */
ps_code ps_app_authenticate(struct ps_ctx *c, const char *authorization);

#endif
