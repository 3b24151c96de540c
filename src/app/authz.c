/* authz.c: authorization (app layer): the one table of which roles hold
 * each permission, and the one check of a caller against a permission and
 * a tenant. Tenant roles see only their own tenant; the provider's roles
 * (operator, support) see every tenant. */
#include "ps_access.h"
#include "ps_app.h"

#define ROLE(r) (1u << PS_ROLE_##r)
#define TENANT_ROLES (ROLE(GLOBAL_ADMIN) | ROLE(BILLING_ADMIN) | ROLE(LICENSE_ADMIN) | ROLE(READER))
#define PROVIDER_ROLES (ROLE(OPERATOR) | ROLE(SUPPORT))

static const struct {
	const char *name;
	unsigned roles;
} perms[PS_PERM__COUNT] = {
	[PS_PERM_PUBLIC] = {"public", 0},
	[PS_PERM_ANY] = {"any", PROVIDER_ROLES | TENANT_ROLES},
	[PS_PERM_READ_TENANT] = {"read_tenant", PROVIDER_ROLES | TENANT_ROLES},
	[PS_PERM_SUPPORT_READ] = {"support_read", PROVIDER_ROLES | TENANT_ROLES},
	[PS_PERM_PROVIDER] = {"provider", PROVIDER_ROLES},
	[PS_PERM_BUY] = {"buy", ROLE(OPERATOR) | ROLE(GLOBAL_ADMIN) | ROLE(BILLING_ADMIN)},
	[PS_PERM_LICENSES] = {"licenses", ROLE(OPERATOR) | ROLE(GLOBAL_ADMIN) | ROLE(LICENSE_ADMIN)},
	[PS_PERM_MAKE_TOKENS] = {"make_tokens", ROLE(OPERATOR) | ROLE(GLOBAL_ADMIN)},
	[PS_PERM_AUDIT] = {"audit", ROLE(OPERATOR) | ROLE(GLOBAL_ADMIN)},
	[PS_PERM_EVENTS] = {"events", ROLE(OPERATOR) | ROLE(GLOBAL_ADMIN)},
	[PS_PERM_OPERATOR] = {"operator", ROLE(OPERATOR)},
};

unsigned ps_perm_roles(enum ps_perm perm)
{
	return (unsigned)perm < PS_PERM__COUNT ? perms[perm].roles : 0;
}

const char *ps_perm_name(enum ps_perm perm)
{
	return (unsigned)perm < PS_PERM__COUNT ? perms[perm].name : "?";
}

ps_code ps_app_check(struct ps_ctx *c, enum ps_perm perm, int64_t tenant)
{
	if (perm == PS_PERM_PUBLIC)
		return PS_OK;
	enum ps_role r = c->who.role;
	if (tenant && ps_role_is_tenant(r) && c->who.tenant_id != tenant)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such tenant");
	if (!(ps_perm_roles(perm) & (1u << r)))
		return ps_err_set(&c->err, PS_FORBIDDEN, NULL, "the %s role may not do this", ps_role_name(r));
	return PS_OK;
}

ps_code ps_app_check_owner(struct ps_ctx *c, enum ps_perm perm, int64_t owner)
{
	if (owner == 0 && ps_role_is_tenant(c->who.role))
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such object");
	return ps_app_check(c, perm, owner);
}
