/* routes.c: the one route table (http layer): dispatch, 404/405, and the
 * route listing (`planshift routes`, checked against doc/openapi.yaml by the
 * tests) all come from it. Each row declares its typed path parameters
 * (in the pattern, typed by ps_path_params), the permission its caller
 * needs (which roles hold it, and the tenant scope, are the app layer's
 * one decision, ps_app_check) and whether an Idempotency-Key applies. */
#include "ps_handlers.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Flags: BODY a JSON body is needed; IDEM an Idempotency-Key applies (every
 * change but a new token or session, whose answer is shown once and never
 * kept, and signing out; likewise a webhook's new secret). */
#define BODY PS_RF_BODY
#define IDEM PS_RF_IDEM

#define T "/v1/tenants/{t}"
#define S T "/subscriptions/{s}"

const struct ps_route ps_routes[] = {
	{"GET", "/healthz", ps_h_healthz, PS_PERM_PUBLIC, 0, "200 when serving"},
	{"GET", "/v1/catalog", ps_h_catalog, PS_PERM_ANY, 0, "the catalog in use, with its version"},
	{"PUT", "/v1/catalog", ps_h_catalog_put, PS_PERM_OPERATOR, BODY | IDEM,
	 "load a new catalog version, live for every daemon on the store"},
	{"GET", "/v1/catalog/versions", ps_h_catalog_versions, PS_PERM_OPERATOR, 0,
	 "every catalog version: when and by whom it was loaded"},
	{"GET", "/v1/whoami", ps_h_whoami, PS_PERM_ANY, 0, "the caller's role, tenant and token id"},
	{"GET", "/v1/tenants", ps_h_tenants_list, PS_PERM_PROVIDER, 0, "every tenant"},
	{"POST", "/v1/tenants", ps_h_tenant_create, PS_PERM_OPERATOR, BODY | IDEM, "create a tenant"},
	{"GET", T, ps_h_tenant_get, PS_PERM_READ_TENANT, 0, "a tenant"},
	{"POST", T "/tokens", ps_h_token_create, PS_PERM_MAKE_TOKENS, BODY, "a tenant-bound token, shown once"},
	{"GET", T "/tokens", ps_h_tokens_list, PS_PERM_MAKE_TOKENS, 0, "the tenant's tokens, never their secret"},
	{"GET", "/v1/tokens", ps_h_tokens_list, PS_PERM_OPERATOR, 0, "every token (?tenant=: one tenant's)"},
	{"DELETE", "/v1/tokens/{tok}", ps_h_token_revoke, PS_PERM_MAKE_TOKENS, IDEM,
	 "revoke a token (global_admin: its own tenant's)"},
	{"POST", "/v1/sessions", ps_h_session_create, PS_PERM_PUBLIC, BODY,
	 "exchange a token for an admin center session (cookie)"},
	{"GET", "/v1/sessions/current", ps_h_session_get, PS_PERM_ANY, 0, "the session's identity and CSRF token"},
	{"DELETE", "/v1/sessions/current", ps_h_session_delete, PS_PERM_ANY, 0, "sign out: the session ends"},
	{"GET", T "/users", ps_h_users_list, PS_PERM_READ_TENANT, 0, "the tenant's users"},
	{"POST", T "/users", ps_h_user_create, PS_PERM_LICENSES, BODY | IDEM, "create a user"},
	{"POST", T "/users/bulk", ps_h_users_bulk, PS_PERM_LICENSES, BODY | IDEM,
	 "create many users: one transaction, all or nothing"},
	{"GET", T "/users/{user}", ps_h_user_get, PS_PERM_READ_TENANT, 0, "a user"},
	{"GET", T "/subscriptions", ps_h_subs_list, PS_PERM_READ_TENANT, 0, "the tenant's subscriptions"},
	{"POST", T "/subscriptions", ps_h_sub_create, PS_PERM_BUY, BODY | IDEM,
	 "buy a plan: a subscription and its first invoice"},
	{"GET", S, ps_h_sub_get, PS_PERM_READ_TENANT, 0, "a subscription"},
	{"PATCH", S, ps_h_sub_patch, PS_PERM_BUY, BODY | IDEM, "change the licence count"},
	{"POST", S "/cancel", ps_h_sub_cancel, PS_PERM_BUY, IDEM, "end a subscription"},
	{"PUT", S "/status", ps_h_sub_status, PS_PERM_OPERATOR, BODY | IDEM, "the provider's lifecycle status"},
	{"GET", S "/assignments", ps_h_seats_list, PS_PERM_READ_TENANT, 0, "the users holding a seat"},
	{"PUT", S "/assignments/{user}", ps_h_seat_put, PS_PERM_LICENSES, IDEM, "assign one seat"},
	{"DELETE", S "/assignments/{user}", ps_h_seat_delete, PS_PERM_LICENSES, IDEM, "unassign one seat"},
	{"POST", S "/licenses/bulk", ps_h_seats_bulk, PS_PERM_LICENSES, BODY | IDEM,
	 "assign and unassign many seats: one transaction, all or nothing"},
	{"GET", T "/licenses", ps_h_licenses, PS_PERM_READ_TENANT, 0, "purchased, assigned and conflicts"},
	{"GET", S "/upgrades", ps_h_upgrades, PS_PERM_READ_TENANT, 0, "the Upgrade tab"},
	{"GET", "/v1/service-health", ps_h_service_health, PS_PERM_ANY, 0, "services and incidents"},
	{"POST", "/v1/service-health/incidents", ps_h_incident_create, PS_PERM_OPERATOR, BODY | IDEM, "open an incident"},
	{"PATCH", "/v1/service-health/incidents/{i}", ps_h_incident_patch, PS_PERM_OPERATOR, BODY | IDEM,
	 "update an incident: status, eta, a message (kept in its updates)"},
	{"POST", "/v1/service-health/incidents/{i}/resolve", ps_h_incident_resolve, PS_PERM_OPERATOR, IDEM,
	 "resolve an incident"},
	{"GET", T "/audit", ps_h_audit_list, PS_PERM_AUDIT, 0, "the tenant's audit log"},
	{"GET", "/v1/events", ps_h_events_list, PS_PERM_OPERATOR, 0, "every event in commit order (?type=, ?tenant=)"},
	{"GET", T "/events", ps_h_events_list, PS_PERM_EVENTS, 0, "the tenant's events in commit order (?type=)"},
	{"POST", S "/upgrade/preview", ps_h_preview, PS_PERM_READ_TENANT, BODY | IDEM,
	 "what an upgrade (or, with kind switch, a manual change) would do, changing nothing"},
	{"POST", S "/upgrade", ps_h_upgrade, PS_PERM_BUY, BODY | IDEM, "the automatic upgrade, one atomic step"},
	{"POST", S "/switch", ps_h_switch, PS_PERM_BUY, BODY | IDEM, "the manual change as one operation"},
	{"POST", S "/switch/preview", ps_h_switch_preview, PS_PERM_READ_TENANT, BODY | IDEM,
	 "what the manual change would do, changing nothing"},
	{"GET", T "/operations", ps_h_operations, PS_PERM_READ_TENANT, 0, "upgrades and manual changes"},
	{"GET", T "/operations/{o}", ps_h_operation, PS_PERM_READ_TENANT, 0, "an operation"},
	{"POST", T "/operations/{o}/fail", ps_h_operation_fail, PS_PERM_OPERATOR, BODY | IDEM,
	 "the provider fails an unfinished operation: undone, audited"},
	{"POST", T "/operations/{o}/cancel", ps_h_operation_cancel, PS_PERM_BUY, IDEM,
	 "a scheduled operation ends cancelled, audited"},
	{"GET", T "/billing", ps_h_billing, PS_PERM_READ_TENANT, 0, "balance, past due, invoices with lines, payments"},
	{"POST", T "/payments", ps_h_payment, PS_PERM_BUY, BODY | IDEM, "pay now: settles the oldest invoices first"},
	{"GET", T "/credit-checks", ps_h_credit_checks, PS_PERM_READ_TENANT, 0, "the tenant's credit checks"},
	{"GET", "/v1/credit-checks", ps_h_credit_checks, PS_PERM_PROVIDER, 0, "every tenant's credit checks, in one list"},
	{"POST", "/v1/credit-checks/{c}/decision", ps_h_credit_decision, PS_PERM_OPERATOR, BODY | IDEM,
	 "approve or deny a credit check"},
	{"POST", T "/support-requests", ps_h_support_create, PS_PERM_BUY, BODY | IDEM,
	 "open a support request carrying a subscription and reason codes"},
	{"GET", T "/support-requests", ps_h_support_list, PS_PERM_SUPPORT_READ, 0, "the tenant's support requests"},
	{"GET", "/v1/support-requests", ps_h_support_list, PS_PERM_PROVIDER, 0, "every tenant's support requests"},
	{"GET", "/v1/fleet", ps_h_fleet, PS_PERM_PROVIDER, 0,
	 "how many subscriptions each reason blocks, across every tenant (kept a minute; ?fresh to recompute)"},
	{"GET", "/v1/clock", ps_h_clock_get, PS_PERM_OPERATOR, 0, "the manual clock (--clock manual only)"},
	{"POST", "/v1/clock", ps_h_clock_set, PS_PERM_OPERATOR, BODY | IDEM, "set the manual clock (--clock manual only)"},
	{"POST", "/v1/webhooks", ps_h_webhook_create, PS_PERM_OPERATOR, BODY,
	 "a webhook endpoint {url, types?, tenant?}; its secret is shown in this answer only"},
	{"GET", "/v1/webhooks", ps_h_webhooks_list, PS_PERM_OPERATOR, 0, "the webhook endpoints, never their secret"},
	{"GET", "/v1/webhooks/{w}", ps_h_webhook_get, PS_PERM_OPERATOR, 0, "a webhook endpoint"},
	{"PATCH", "/v1/webhooks/{w}", ps_h_webhook_patch, PS_PERM_OPERATOR, BODY | IDEM,
	 "change an endpoint: url, types, enabled"},
	{"DELETE", "/v1/webhooks/{w}", ps_h_webhook_delete, PS_PERM_OPERATOR, IDEM,
	 "remove an endpoint and its deliveries"},
	{"POST", "/v1/webhooks/{w}/secret", ps_h_webhook_secret, PS_PERM_OPERATOR, 0,
	 "a new secret for the endpoint, shown in this answer only"},
	{"GET", "/v1/webhooks/{w}/deliveries", ps_h_deliveries_list, PS_PERM_OPERATOR, 0,
	 "the endpoint's delivery attempts, newest first"},
	{"GET", "/metrics", ps_h_metrics, PS_PERM_OPERATOR, 0,
	 "counters in Prometheus' text format (serve --metrics-listen: without a token)"},
};
const size_t ps_n_routes = sizeof ps_routes / sizeof ps_routes[0];

const struct ps_path_param ps_path_params[] = {
	{"t", PS_PFX_TENANT, offsetof(struct ps_req, t)},
	{"s", PS_PFX_SUB, offsetof(struct ps_req, s)},
	{"user", PS_PFX_USER, offsetof(struct ps_req, user)},
	{"i", PS_PFX_INCIDENT, offsetof(struct ps_req, inc)},
	{"c", PS_PFX_CREDIT, offsetof(struct ps_req, cc)},
	{"o", PS_PFX_OPERATION, offsetof(struct ps_req, op)},
	{"tok", PS_PFX_TOKEN, offsetof(struct ps_req, tok)},
	{"w", PS_PFX_WEBHOOK, offsetof(struct ps_req, wh)},
};
const size_t ps_n_path_params = sizeof ps_path_params / sizeof ps_path_params[0];

const struct ps_path_param *ps_path_param_find(const char *name, size_t n)
{
	for (size_t i = 0; i < ps_n_path_params; i++)
		if (strlen(ps_path_params[i].name) == n && memcmp(ps_path_params[i].name, name, n) == 0)
			return &ps_path_params[i];
	return NULL;
}

void ps_routes_print(FILE *f)
{
	for (size_t i = 0; i < ps_n_routes; i++) {
		const struct ps_route *r = &ps_routes[i];
		unsigned roles = ps_perm_roles(r->perm);
		fprintf(f, "%-6s %-58s ", r->method, r->pattern);
		if (r->perm == PS_PERM_PUBLIC) {
			fputs("anyone", f);
		} else {
			bool first = true;
			for (int role = 0; role < PS_ROLE__COUNT; role++)
				if (roles & (1u << role)) {
					fprintf(f, "%s%s", first ? "" : ",", ps_role_name((enum ps_role)role));
					first = false;
				}
		}
		fprintf(f, "  %s\n", r->summary);
	}
}
