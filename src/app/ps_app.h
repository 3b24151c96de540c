/* ps_app.h: the use cases (app layer), between the transports (HTTP, CLI)
 * and the store. Each change is one function, one write transaction: it
 * checks its input (errors name the field), checks the caller's rights,
 * writes, audits, commits; on any failure nothing is written.
 * struct ps_app is shared and read-only once serving; struct ps_ctx is one
 * request's (or one command's) state. */
#ifndef PS_APP_H
#define PS_APP_H

#include "../common/ps_buf.h"
#include "../common/ps_err.h"
#include "../common/ps_i18n.h"
#include "../core/ps_catalog.h"
#include "../core/ps_model.h"
#include "../core/ps_rules.h"
#include "../store/ps_store.h"

#include <stdbool.h>
#include <stdint.h>

struct ps_app {
	const char *db_url;
	struct ps_catalog *catalog; /* owned */
	bool provisioning_manual;   /* purchases start in `provisioning` */
	bool clock_manual;          /* the operator may set the clock */
	int64_t upgrade_capacity;   /* automatic upgrades per rolling hour; 0: no limit */
};

struct ps_ctx {
	struct ps_app *app;
	struct ps_store *st; /* borrowed: the thread's handle */
	struct ps_principal who;
	int64_t now;
	enum ps_lang lang;
	char request_id[64];
	struct ps_err err;
	struct ps_snapshot snap; /* reused by upgrade views */
	struct ps_verdict *verdict; /* allocated once, reused */
};

void ps_ctx_init(struct ps_ctx *c, struct ps_app *app, struct ps_store *st);
void ps_ctx_fini(struct ps_ctx *c);

/* Load the catalog from the store into app->catalog (replacing it).
 * PS_NOT_FOUND when the store has none (run `planshift init --catalog`). */
ps_code ps_app_load_catalog(struct ps_app *app, struct ps_store *st, struct ps_err *err);
void ps_app_fini(struct ps_app *app);

/* ---- permissions ---- */
enum ps_perm {
	PS_PERM_READ_TENANT,      /* readers+ : every tenant role, operator, support */
	PS_PERM_BUY,              /* billing_admin+ */
	PS_PERM_LICENSES,         /* license_admin+ */
	PS_PERM_MAKE_TOKENS,      /* global_admin, operator */
	PS_PERM_AUDIT,            /* global_admin, operator */
	PS_PERM_SUPPORT_READ,     /* readers+ and support */
	PS_PERM_OPERATOR,         /* operator only */
	PS_PERM_ANY               /* any valid token */
};
/* Whether `who` may do `perm` on tenant `tenant` (0: not tenant-scoped).
 * A tenant-bound caller asking about another tenant is answered with
 * PS_NOT_FOUND, as if it did not exist; a role that may not, PS_FORBIDDEN. */
ps_code ps_app_check(struct ps_ctx *c, enum ps_perm perm, int64_t tenant);

/* ---- inputs (parsed by the transport) ---- */
struct ps_tenant_in {
	const char *name, *segment, *payment, *currency;
	int64_t credit_limit;
	bool has_credit_limit;
};
struct ps_purchase_in {
	const char *plan, *term;
	int64_t quantity;
	bool prepaid;
	int64_t addon_of; /* 0: none */
};

/* ---- use cases ---- */
ps_code ps_app_tenant_create(struct ps_ctx *c, const struct ps_tenant_in *in, struct ps_tenant *out);
ps_code ps_app_token_create(struct ps_ctx *c, const char *role, int64_t tenant, char *token_out, size_t cap,
			    enum ps_role *role_out);
ps_code ps_app_user_create(struct ps_ctx *c, int64_t tenant, const char *upn, const char *display_name,
			   struct ps_user *out);
ps_code ps_app_purchase(struct ps_ctx *c, int64_t tenant, const struct ps_purchase_in *in,
			struct ps_subscription *out);
ps_code ps_app_set_quantity(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t quantity,
			    struct ps_subscription *out);
ps_code ps_app_cancel(struct ps_ctx *c, int64_t tenant, int64_t sub, struct ps_subscription *out);
ps_code ps_app_set_status(struct ps_ctx *c, int64_t tenant, int64_t sub, const char *status,
			  struct ps_subscription *out);
/* *created is false when the user already held that seat (PUT is idempotent). */
ps_code ps_app_assign(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t user, bool *created);
ps_code ps_app_unassign(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t user);
ps_code ps_app_incident_open(struct ps_ctx *c, const char *service, const char *status, const char *title,
			     struct ps_incident *out);
ps_code ps_app_incident_resolve(struct ps_ctx *c, int64_t id, struct ps_incident *out);

/* The Upgrade tab: loads the tenant's snapshot and evaluates `sub`; on
 * PS_OK c->snap and *c->verdict hold the answer. */
ps_code ps_app_upgrades(struct ps_ctx *c, int64_t tenant, int64_t sub, unsigned flags);

/* Write one audit entry for the change in progress (inside its transaction). */
ps_code ps_app_audit(struct ps_ctx *c, int64_t tenant, const char *action, const char *object, const char *detail);

#endif
