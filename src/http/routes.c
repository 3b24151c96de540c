/* routes.c: the one route table (http layer): dispatch, 404/405, and the
 * route listing (`planshift routes`, checked against doc/openapi.yaml by the
 * tests) all come from it. Roles here are who may call a route at all;
 * tenant scope and finer rules are the app layer's. */
#include "ps_handlers.h"

#include <stdio.h>

#define R_TENANT_READERS R_ANY
#define R_BUYERS (RB(OPERATOR) | RB(GLOBAL_ADMIN) | RB(BILLING_ADMIN))
#define R_LICENSERS (RB(OPERATOR) | RB(GLOBAL_ADMIN) | RB(LICENSE_ADMIN))
#define R_OPERATOR RB(OPERATOR)
#define R_PROVIDER (RB(OPERATOR) | RB(SUPPORT))
#define R_ADMINS (RB(OPERATOR) | RB(GLOBAL_ADMIN))

#define T "/v1/tenants/{t}"
#define S T "/subscriptions/{s}"

const struct ps_route ps_routes[] = {
	{"GET", "/healthz", ps_h_healthz, R_PUBLIC, false, "200 when serving"},
	{"GET", "/v1/catalog", ps_h_catalog, R_ANY, false, "the catalog"},
	{"GET", "/v1/whoami", ps_h_whoami, R_ANY, false, "the caller's role, tenant and token id"},
	{"GET", "/v1/tenants", ps_h_tenants_list, R_PROVIDER, false, "every tenant"},
	{"POST", "/v1/tenants", ps_h_tenant_create, R_OPERATOR, true, "create a tenant"},
	{"GET", T, ps_h_tenant_get, R_TENANT_READERS, false, "a tenant"},
	{"POST", T "/tokens", ps_h_token_create, R_ADMINS, true, "a tenant-bound token, shown once"},
	{"GET", T "/users", ps_h_users_list, R_TENANT_READERS, false, "the tenant's users"},
	{"POST", T "/users", ps_h_user_create, R_LICENSERS, true, "create a user"},
	{"GET", T "/users/{user}", ps_h_user_get, R_TENANT_READERS, false, "a user"},
	{"GET", T "/subscriptions", ps_h_subs_list, R_TENANT_READERS, false, "the tenant's subscriptions"},
	{"POST", T "/subscriptions", ps_h_sub_create, R_BUYERS, true, "buy a plan: a subscription and its first invoice"},
	{"GET", S, ps_h_sub_get, R_TENANT_READERS, false, "a subscription"},
	{"PATCH", S, ps_h_sub_patch, R_BUYERS, true, "change the licence count"},
	{"POST", S "/cancel", ps_h_sub_cancel, R_BUYERS, false, "end a subscription"},
	{"PUT", S "/status", ps_h_sub_status, R_OPERATOR, true, "the provider's lifecycle status"},
	{"GET", S "/assignments", ps_h_seats_list, R_TENANT_READERS, false, "the users holding a seat"},
	{"PUT", S "/assignments/{user}", ps_h_seat_put, R_LICENSERS, false, "assign one seat"},
	{"DELETE", S "/assignments/{user}", ps_h_seat_delete, R_LICENSERS, false, "unassign one seat"},
	{"GET", T "/licenses", ps_h_licenses, R_TENANT_READERS, false, "purchased, assigned and conflicts"},
	{"GET", S "/upgrades", ps_h_upgrades, R_TENANT_READERS, false, "the Upgrade tab"},
	{"GET", "/v1/service-health", ps_h_service_health, R_ANY, false, "services and incidents"},
	{"POST", "/v1/service-health/incidents", ps_h_incident_create, R_OPERATOR, true, "open an incident"},
	{"POST", "/v1/service-health/incidents/{i}/resolve", ps_h_incident_resolve, R_OPERATOR, false,
	 "resolve an incident"},
	{"GET", T "/audit", ps_h_audit_list, R_ADMINS, false, "the tenant's audit log"},
	{"POST", S "/upgrade/preview", ps_h_preview, R_TENANT_READERS, true,
	 "what an upgrade (or, with kind switch, a manual change) would do, changing nothing"},
	{"POST", S "/upgrade", ps_h_upgrade, R_BUYERS, true, "the automatic upgrade, one atomic step"},
	{"POST", S "/switch", ps_h_switch, R_BUYERS, true, "the manual change as one operation"},
	{"GET", T "/operations", ps_h_operations, R_TENANT_READERS, false, "upgrades and manual changes"},
	{"GET", T "/operations/{o}", ps_h_operation, R_TENANT_READERS, false, "an operation"},
	{"GET", T "/billing", ps_h_billing, R_TENANT_READERS, false, "balance, past due, invoices with lines, payments"},
	{"POST", T "/payments", ps_h_payment, R_BUYERS, true, "pay now: settles the oldest invoices first"},
	{"GET", T "/credit-checks", ps_h_credit_checks, R_TENANT_READERS, false, "the tenant's credit checks"},
	{"POST", "/v1/credit-checks/{c}/decision", ps_h_credit_decision, R_OPERATOR, true,
	 "approve or deny a credit check"},
	{"POST", T "/support-requests", ps_h_support_create, R_BUYERS, true,
	 "open a support request carrying a subscription and reason codes"},
	{"GET", T "/support-requests", ps_h_support_list, R_TENANT_READERS, false, "the tenant's support requests"},
	{"GET", "/v1/support-requests", ps_h_support_list, R_PROVIDER, false, "every tenant's support requests"},
	{"GET", "/v1/fleet", ps_h_fleet, R_PROVIDER, false,
	 "how many subscriptions each reason blocks, across every tenant (kept a minute; ?fresh to recompute)"},
	{"GET", "/v1/clock", ps_h_clock_get, R_OPERATOR, false, "the manual clock (--clock manual only)"},
	{"POST", "/v1/clock", ps_h_clock_set, R_OPERATOR, true, "set the manual clock (--clock manual only)"},
};
const size_t ps_n_routes = sizeof ps_routes / sizeof ps_routes[0];

void ps_routes_print(FILE *f)
{
	for (size_t i = 0; i < ps_n_routes; i++) {
		const struct ps_route *r = &ps_routes[i];
		fprintf(f, "%-6s %-58s ", r->method, r->pattern);
		if (r->roles == R_PUBLIC) {
			fputs("anyone", f);
		} else {
			bool first = true;
			for (int role = 0; role < PS_ROLE__COUNT; role++)
				if (r->roles & (1u << role)) {
					fprintf(f, "%s%s", first ? "" : ",", ps_role_name((enum ps_role)role));
					first = false;
				}
		}
		fprintf(f, "  %s\n", r->summary);
	}
}
