/* ps_access.h: who is calling and what they may do (app layer).
 * Authentication turns a bearer token into a principal (auth.c);
 * authorization decides, in one place, whether that principal may use a
 * permission on a tenant (authz.c). A transport declares the permission
 * of each of its entry points (the HTTP route table does) and asks
 * ps_app_check once, before the use case runs; use cases do not check
 * rights again. */
#ifndef PS_ACCESS_H
#define PS_ACCESS_H

#include "../common/ps_err.h"
#include "../core/ps_model.h"

#include <stdbool.h>
#include <stdint.h>

struct ps_ctx;

/* What a caller may do. Which roles hold each is one table in authz.c. */
enum ps_perm {
	PS_PERM_PUBLIC,       /* anyone, without a token */
	PS_PERM_ANY,          /* any valid token */
	PS_PERM_READ_TENANT,  /* read a tenant's records: its roles, operator, support */
	PS_PERM_SUPPORT_READ, /* read a tenant's support requests: its roles, operator, support */
	PS_PERM_PROVIDER,     /* read across every tenant: operator, support */
	PS_PERM_BUY,          /* subscriptions, upgrades, payments, support requests: billing_admin+ */
	PS_PERM_LICENSES,     /* users and seats: license_admin+ */
	PS_PERM_MAKE_TOKENS,  /* a tenant's tokens: global_admin, operator */
	PS_PERM_AUDIT,        /* a tenant's audit log: global_admin, operator */
	PS_PERM_EVENTS,       /* a tenant's events: global_admin, operator */
	PS_PERM_OPERATOR,     /* the provider's own operations: operator only */
	PS_PERM__COUNT
};

/* The roles holding perm, one bit (1u << role) each; 0 for PS_PERM_PUBLIC,
 * which needs no role at all. */
unsigned ps_perm_roles(enum ps_perm perm);
const char *ps_perm_name(enum ps_perm perm);

/* Authenticate the value of an Authorization header (NULL: none) into
 * c->who: PS_UNAUTHORIZED when it is not "Bearer TOKEN" of a known token,
 * else PS_OK or the store's error. */
ps_code ps_app_authenticate(struct ps_ctx *c, const char *authorization);

/* What a request presents: its Authorization header, its planshift_session
 * cookie, its X-CSRF-Token header (each NULL when absent), and whether it
 * changes something (a method other than GET and HEAD). */
struct ps_credentials {
	const char *authorization;
	const char *session;
	const char *csrf;
	bool changes;
};

/* Authenticate a request into c->who: by its bearer token when it sends
 * Authorization, else by its session cookie. PS_UNAUTHORIZED when neither is
 * live (revoked, expired, idle, signed out) on the store's clock at c->now;
 * PS_FORBIDDEN for a change made with a session without its CSRF token.
 * The token's (or session's) last use is written at most once every
 * PS_TOUCH_EVERY seconds. */
ps_code ps_app_authenticate_request(struct ps_ctx *c, const struct ps_credentials *cr);

/* Whether c->who may use perm on tenant `tenant` (0: the call names no
 * tenant). A tenant-bound caller naming another tenant is answered
 * PS_NOT_FOUND ("no such tenant"), as if it did not exist, before any
 * PS_FORBIDDEN for a role that may not. */
ps_code ps_app_check(struct ps_ctx *c, enum ps_perm perm, int64_t tenant);
/* The same for an object owned by tenant `owner`, 0 for the provider's own
 * (a tenant-bound caller never sees those: PS_NOT_FOUND). */
ps_code ps_app_check_owner(struct ps_ctx *c, enum ps_perm perm, int64_t owner);

#endif
