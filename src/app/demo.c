/* demo.c: the demo world (app layer): one tenant per situation of the seed,
 * built through the same use cases as the API, so the demo obeys every rule
 * the product enforces. Data of later stages (past-due invoices, credit
 * checks, running operations) is written straight to the store, inside one
 * transaction per tenant. */
#include "ps_demo.h"
#include "ps_app_int.h"

#include "../common/ps_secret.h"
#include "../common/ps_time.h"
#include "../core/ps_money.h"

#include <stdio.h>
#include <string.h>

struct demo_tenant {
	const char *name, *domain, *segment, *payment, *shows;
};

static const struct demo_tenant tenants[] = {
	{"Contoso Ltd", "contoso", "commercial", "invoice", "eligible: three plans on offer"},
	{"Fabrikam Inc", "fabrikam", "commercial", "invoice", "license_conflict"},
	{"Northwind Traders", "northwind", "commercial", "card", "subscription_not_ready"},
	{"Tailspin Toys", "tailspin", "commercial", "invoice", "service_incident"},
	{"Woodgrove Bank", "woodgrove", "commercial", "invoice", "upgrade_in_progress"},
	{"Litware Inc", "litware", "commercial", "invoice", "credit_check_pending"},
	{"Adatum Corp", "adatum", "commercial", "invoice", "not_eligible (expired; no upgrade path)"},
	{"Proseware", "proseware", "commercial", "invoice", "multiple_plans_same_product"},
	{"Relecloud", "relecloud", "commercial", "invoice", "prepaid_plan"},
	{"Ville de Lyon", "lyon", "government", "invoice", "segment_restricted (government)"},
	{"Helping Hands", "helpinghands", "nonprofit", "card", "segment_restricted (nonprofit)"},
	{"Alpine Ski House", "alpineskihouse", "commercial", "invoice", "has_addon"},
	{"Blue Yonder Airlines", "blueyonder", "commercial", "invoice", "unpaid_balance"},
	{"Coho Winery", "cohowinery", "commercial", "invoice", "eligible, on a retired plan (upgrade away)"},
	{"Fourth Coffee", "fourthcoffee", "commercial", "card", "target_not_supported (?include_unsupported=true)"},
};

static const char *const first_names[] = {"Ada", "Bruno", "Chloé", "Dev", "Emma", "Farid", "Grace", "Hugo",
					   "Inès", "Jonas", "Kenji", "Léa", "Malik", "Nora", "Oscar", "Paula"};

static ps_code add_users(struct ps_ctx *c, int64_t tenant, const char *domain, int n, int64_t *ids)
{
	for (int i = 0; i < n; i++) {
		char upn[128], name[128];
		const char *fn = first_names[i % 16];
		snprintf(upn, sizeof upn, "user%02d@%s.example", i + 1, domain);
		snprintf(name, sizeof name, "%s %c.", fn, 'A' + (char)(i / 16));
		struct ps_user u;
		ps_code rc = ps_app_user_create(c, tenant, upn, name, &u);
		if (rc != PS_OK)
			return rc;
		ids[i] = u.id;
	}
	return PS_OK;
}

static ps_code buy(struct ps_ctx *c, int64_t tenant, const char *plan, int64_t qty, const char *term, bool prepaid,
		   int64_t addon_of, struct ps_subscription *s)
{
	struct ps_purchase_in in = {.plan = plan, .term = term, .quantity = qty, .prepaid = prepaid,
				    .addon_of = addon_of};
	struct ps_credit_check cc;
	return ps_app_purchase(c, tenant, &in, s, &cc);
}

static ps_code seat(struct ps_ctx *c, int64_t tenant, int64_t sub, const int64_t *users, int n)
{
	for (int i = 0; i < n; i++) {
		ps_code rc = ps_app_assign(c, tenant, sub, users[i], NULL);
		if (rc != PS_OK)
			return rc;
	}
	return PS_OK;
}

/* The writes of later stages, for one tenant, in one transaction. */
struct extra {
	int64_t tenant;
	int kind;
	int64_t sub;
};

static ps_code extra_tx(struct ps_ctx *c, void *arg)
{
	struct extra *e = arg;
	struct ps_store *st = c->st;
	switch (e->kind) {
	case 1: { /* an automatic upgrade still provisioning */
		struct ps_operation op;
		memset(&op, 0, sizeof op);
		op.tenant_id = e->tenant;
		op.kind = PS_OPK_UPGRADE;
		op.state = PS_OP_PROVISIONING;
		op.source_sub = e->sub;
		snprintf(op.target_plan, sizeof op.target_plan, "%s", "mail-p2");
		op.created_at = op.updated_at = c->now;
		return ps_app_op_insert(c, &op);
	}
	case 2: { /* a credit check requested now */
		struct ps_credit_check cc;
		memset(&cc, 0, sizeof cc);
		cc.tenant_id = e->tenant;
		cc.status = PS_CC_PENDING;
		cc.amount = 250000;
		cc.requested_at = c->now;
		cc.expected_by = ps_add_business_days(c->now, 2, NULL, 0);
		return st->ops->credit_check_insert(st, &cc, &c->err);
	}
	case 3: { /* an invoice 15 days past due */
		struct ps_invoice inv;
		memset(&inv, 0, sizeof inv);
		inv.tenant_id = e->tenant;
		inv.subscription_id = e->sub;
		inv.amount = 12000;
		snprintf(inv.currency, sizeof inv.currency, "%s", "EUR");
		inv.issued_at = c->now - 45 * (int64_t)PS_DAY;
		inv.due_at = c->now - 15 * (int64_t)PS_DAY;
		inv.status = PS_INV_OPEN;
		return st->ops->invoice_insert(st, &inv, &c->err);
	}
	case 4: { /* a subscription sold before its plan was retired (the
		   * catalog no longer sells it): invoiced at its price */
		struct ps_subscription s;
		struct ps_tenant t;
		ps_code rc = ps_app_tenant(c, e->tenant, &t);
		if (rc != PS_OK)
			return rc;
		memset(&s, 0, sizeof s);
		s.tenant_id = e->tenant;
		snprintf(s.plan_id, sizeof s.plan_id, "%s", "biz-legacy");
		snprintf(s.product_id, sizeof s.product_id, "%s", "business");
		ps_sub_sell_at(&s, ps_catalog_plan(c->cat, s.plan_id));
		s.quantity = 5;
		s.status = PS_SUB_ACTIVE;
		s.term = PS_TERM_MONTHLY;
		s.term_start = c->now;
		s.term_end = ps_term_end(c->now, PS_TERM_MONTHLY);
		s.created_at = c->now;
		if ((rc = ps_app_sub_insert(c, &s)) != PS_OK || (rc = ps_ledger_first(c, &t, &s)) != PS_OK)
			return rc;
		e->sub = s.id;
		return ps_app_sub_update(c, &s);
	}
	}
	return PS_OK;
}

static ps_code extra(struct ps_ctx *c, int64_t tenant, int kind, int64_t sub)
{
	struct extra e = {tenant, kind, sub};
	return ps_app_tx(c, extra_tx, &e);
}

/* A later stage that makes a subscription: *out gets its id. */
static ps_code extra_sub(struct ps_ctx *c, int64_t tenant, int kind, struct ps_subscription *out)
{
	struct extra e = {tenant, kind, 0};
	ps_code rc = ps_app_tx(c, extra_tx, &e);
	memset(out, 0, sizeof *out);
	out->id = e.sub;
	return rc;
}

static ps_code seed_one(struct ps_ctx *c, size_t i, int64_t tenant, const char *domain)
{
	int64_t users[32];
	struct ps_subscription a, b;
	struct ps_incident inc;
	ps_code rc = add_users(c, tenant, domain, 24, users);
	if (rc != PS_OK)
		return rc;
	switch (i) {
	case 0: /* eligible */
		if ((rc = buy(c, tenant, "biz-basic", 25, "monthly", false, 0, &a)))
			return rc;
		return seat(c, tenant, a.id, users, 20);
	case 1: /* more users than licenses */
		if ((rc = buy(c, tenant, "biz-standard", 12, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 12)))
			return rc;
		return ps_app_set_quantity(c, tenant, a.id, 10, &a);
	case 2: /* still provisioning */
		if ((rc = buy(c, tenant, "biz-basic", 10, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 8)))
			return rc;
		return ps_app_set_status(c, tenant, a.id, "provisioning", &a);
	case 3: /* an incident on a service of its plan */
		if ((rc = buy(c, tenant, "biz-premium", 15, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 15)))
			return rc;
	{
		char eta[PS_TIME_LEN]; /* the provider expects it fixed in six hours */
		ps_time_format(c->now + 6 * 3600, eta);
		return ps_app_incident_open(c, "security", "degraded",
					    "Advanced Security: delays in applying new policies", eta, &inc);
	}
	case 4: /* another plan is being upgraded */
		if ((rc = buy(c, tenant, "biz-basic", 10, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 10)) ||
		    (rc = buy(c, tenant, "mail-p1", 10, "monthly", false, 0, &b)) ||
		    (rc = seat(c, tenant, b.id, users + 10, 10)))
			return rc;
		return extra(c, tenant, 1, b.id);
	case 5: /* a credit check pending */
		if ((rc = buy(c, tenant, "biz-basic", 20, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 18)))
			return rc;
		return extra(c, tenant, 2, 0);
	case 6: /* expired, and a plan with no upgrade path */
		if ((rc = buy(c, tenant, "biz-basic", 5, "monthly", false, 0, &a)) ||
		    (rc = ps_app_set_status(c, tenant, a.id, "expired", &a)) ||
		    (rc = buy(c, tenant, "ent-e5", 10, "monthly", false, 0, &b)))
			return rc;
		return seat(c, tenant, b.id, users, 10);
	case 7: /* two plans of one product */
		if ((rc = buy(c, tenant, "biz-basic", 10, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 10)) ||
		    (rc = buy(c, tenant, "biz-standard", 10, "monthly", false, 0, &b)))
			return rc;
		return seat(c, tenant, b.id, users + 10, 8);
	case 8: /* prepaid for the year */
		if ((rc = buy(c, tenant, "biz-standard", 20, "annual", true, 0, &a)))
			return rc;
		return seat(c, tenant, a.id, users, 20);
	case 9: /* government */
		if ((rc = buy(c, tenant, "biz-basic-gov", 20, "annual", false, 0, &a)))
			return rc;
		return seat(c, tenant, a.id, users, 15);
	case 10: /* nonprofit */
		if ((rc = buy(c, tenant, "biz-basic-np", 10, "monthly", false, 0, &a)))
			return rc;
		return seat(c, tenant, a.id, users, 10);
	case 11: /* an add-on */
		if ((rc = buy(c, tenant, "biz-standard", 15, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 15)) ||
		    (rc = buy(c, tenant, "voice-addon", 5, "monthly", false, a.id, &b)))
			return rc;
		return PS_OK;
	case 12: /* an unpaid balance */
		if ((rc = buy(c, tenant, "biz-basic", 12, "monthly", false, 0, &a)) ||
		    (rc = seat(c, tenant, a.id, users, 12)))
			return rc;
		return extra(c, tenant, 3, a.id);
	case 13: /* a retired plan: renews at its price, can be upgraded away */
		if ((rc = extra_sub(c, tenant, 4, &a)))
			return rc;
		return seat(c, tenant, a.id, users, 5);
	case 14: /* an unsafe target, shown only on request */
		if ((rc = buy(c, tenant, "mail-p2", 8, "monthly", false, 0, &a)))
			return rc;
		return seat(c, tenant, a.id, users, 8);
	}
	return PS_OK;
}

static bool any_tenant(void *arg, const struct ps_tenant *t)
{
	*(bool *)arg = true;
	return false;
}

ps_code ps_demo_seed(struct ps_ctx *c, FILE *out)
{
	bool have = false;
	ps_code rc = c->st->ops->tenant_list(c->st, 0, 1, any_tenant, &have, &c->err);
	if (rc != PS_OK)
		return rc;
	if (have)
		return ps_err_set(&c->err, PS_CONFLICT, "demo",
				  "the store already has tenants; use a new store for the demo");
	c->who.role = PS_ROLE_OPERATOR;
	c->who.tenant_id = 0;
	char tok[PS_TOKEN_LEN];
	if ((rc = ps_app_token_create(c, "operator", 0, tok, sizeof tok, NULL)) != PS_OK)
		return rc;
	fprintf(out, "operator token (every tenant): %s\n\n", tok);
	fprintf(out, "%-22s %-7s %-50s %s\n", "tenant", "id", "its Upgrade tab shows", "global_admin token");
	for (size_t i = 0; i < sizeof tenants / sizeof tenants[0]; i++) {
		const struct demo_tenant *d = &tenants[i];
		struct ps_tenant_in in = {.name = d->name, .segment = d->segment, .payment = d->payment,
					  .currency = "EUR", .credit_limit = 5000000, .has_credit_limit = true};
		struct ps_tenant t;
		if ((rc = ps_app_tenant_create(c, &in, &t)) != PS_OK)
			return rc;
		if ((rc = seed_one(c, i, t.id, d->domain)) != PS_OK)
			return rc;
		if ((rc = ps_app_token_create(c, "global_admin", t.id, tok, sizeof tok, NULL)) != PS_OK)
			return rc;
		fprintf(out, "%-22s %s%-3lld %-50s %s\n", d->name, PS_PFX_TENANT, (long long)t.id, d->shows, tok);
	}
	fprintf(out, "\nservice_busy shows everywhere when the daemon runs with --upgrade-capacity 1 within the\n"
		     "hour after init (Woodgrove's upgrade counts against it). Its upgrade stays in provisioning\n"
		     "until the operator ends it: POST .../operations/{o}/fail, or its new subscription set to\n"
		     "disabled (the upgrade is undone), or set to active (it completes).\n");
	return PS_OK;
}
