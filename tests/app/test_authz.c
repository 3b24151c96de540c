/* test_authz.c: who may do what (app layer, authz.c, over the HTTP route
 * table). For every route x every role x the caller's own tenant and
 * another, ps_app_check with the route's permission must answer as the
 * table below says: allowed, 403, or 404 for another tenant. The table is
 * written here from doc API.md, independently of routes.c and authz.c, so
 * that removing a role from a permission, or changing a route's
 * permission, or the tenant scope, fails a case. Also: each route's path
 * parameters are typed, and an Idempotency-Key applies to every change but
 * a new token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "app/ps_access.h"
#include "app/ps_app.h"
#include "http/ps_http_int.h"

#define OWN 7
#define OTHER 8

enum { OP = 1 << PS_ROLE_OPERATOR, SUP = 1 << PS_ROLE_SUPPORT, GA = 1 << PS_ROLE_GLOBAL_ADMIN,
       BA = 1 << PS_ROLE_BILLING_ADMIN, LA = 1 << PS_ROLE_LICENSE_ADMIN, RD = 1 << PS_ROLE_READER };
#define ALL (OP | SUP | GA | BA | LA | RD)
#define ANYONE (-1)

static const struct {
	const char *method, *path;
	int roles; /* who may call it; ANYONE: no token needed */
} want[] = {
	{"GET", "/healthz", ANYONE},
	{"GET", "/v1/catalog", ALL},
	{"PUT", "/v1/catalog", OP},
	{"GET", "/v1/catalog/versions", OP},
	{"GET", "/v1/whoami", ALL},
	{"GET", "/v1/tenants", OP | SUP},
	{"POST", "/v1/tenants", OP},
	{"GET", "/v1/tenants/{t}", ALL},
	{"POST", "/v1/tenants/{t}/tokens", OP | GA},
	{"GET", "/v1/tenants/{t}/tokens", OP | GA},
	{"GET", "/v1/tokens", OP},
	{"DELETE", "/v1/tokens/{tok}", OP | GA},
	{"POST", "/v1/sessions", ANYONE},
	{"GET", "/v1/sessions/current", ALL},
	{"DELETE", "/v1/sessions/current", ALL},
	{"GET", "/v1/tenants/{t}/users", ALL},
	{"POST", "/v1/tenants/{t}/users", OP | GA | LA},
	{"POST", "/v1/tenants/{t}/users/bulk", OP | GA | LA},
	{"GET", "/v1/tenants/{t}/users/{user}", ALL},
	{"GET", "/v1/tenants/{t}/subscriptions", ALL},
	{"POST", "/v1/tenants/{t}/subscriptions", OP | GA | BA},
	{"GET", "/v1/tenants/{t}/subscriptions/{s}", ALL},
	{"PATCH", "/v1/tenants/{t}/subscriptions/{s}", OP | GA | BA},
	{"POST", "/v1/tenants/{t}/subscriptions/{s}/cancel", OP | GA | BA},
	{"PUT", "/v1/tenants/{t}/subscriptions/{s}/status", OP},
	{"GET", "/v1/tenants/{t}/subscriptions/{s}/assignments", ALL},
	{"PUT", "/v1/tenants/{t}/subscriptions/{s}/assignments/{user}", OP | GA | LA},
	{"DELETE", "/v1/tenants/{t}/subscriptions/{s}/assignments/{user}", OP | GA | LA},
	{"POST", "/v1/tenants/{t}/subscriptions/{s}/licenses/bulk", OP | GA | LA},
	{"GET", "/v1/tenants/{t}/licenses", ALL},
	{"GET", "/v1/tenants/{t}/subscriptions/{s}/upgrades", ALL},
	{"GET", "/v1/service-health", ALL},
	{"POST", "/v1/service-health/incidents", OP},
	{"POST", "/v1/service-health/incidents/{i}/resolve", OP},
	{"PATCH", "/v1/service-health/incidents/{i}", OP},
	{"GET", "/v1/tenants/{t}/audit", OP | GA},
	{"GET", "/v1/events", OP},
	{"GET", "/v1/tenants/{t}/events", OP | GA},
	{"POST", "/v1/tenants/{t}/subscriptions/{s}/upgrade/preview", ALL},
	{"POST", "/v1/tenants/{t}/subscriptions/{s}/switch/preview", ALL},
	{"POST", "/v1/tenants/{t}/subscriptions/{s}/upgrade", OP | GA | BA},
	{"POST", "/v1/tenants/{t}/subscriptions/{s}/switch", OP | GA | BA},
	{"GET", "/v1/tenants/{t}/operations", ALL},
	{"GET", "/v1/tenants/{t}/operations/{o}", ALL},
	{"POST", "/v1/tenants/{t}/operations/{o}/fail", OP},
	{"POST", "/v1/tenants/{t}/operations/{o}/cancel", OP | GA | BA},
	{"GET", "/v1/tenants/{t}/billing", ALL},
	{"POST", "/v1/tenants/{t}/payments", OP | GA | BA},
	{"GET", "/v1/tenants/{t}/credit-checks", ALL},
	{"POST", "/v1/credit-checks/{c}/decision", OP},
	{"GET", "/v1/credit-checks", OP | SUP},
	{"POST", "/v1/tenants/{t}/support-requests", OP | GA | BA},
	{"GET", "/v1/tenants/{t}/support-requests", ALL},
	{"GET", "/v1/support-requests", OP | SUP},
	{"GET", "/v1/fleet", OP | SUP},
	{"GET", "/v1/clock", OP},
	{"POST", "/v1/clock", OP},
	{"GET", "/metrics", OP},
	{"POST", "/v1/webhooks", OP},
	{"GET", "/v1/webhooks", OP},
	{"GET", "/v1/webhooks/{w}", OP},
	{"PATCH", "/v1/webhooks/{w}", OP},
	{"DELETE", "/v1/webhooks/{w}", OP},
	{"POST", "/v1/webhooks/{w}/secret", OP},
	{"GET", "/v1/webhooks/{w}/deliveries", OP},
};
#define N_WANT (sizeof want / sizeof want[0])

static const struct ps_route *route_of(const char *method, const char *path)
{
	for (size_t i = 0; i < ps_n_routes; i++)
		if (strcmp(ps_routes[i].method, method) == 0 && strcmp(ps_routes[i].pattern, path) == 0)
			return &ps_routes[i];
	return NULL;
}

static void test_every_route_is_expected(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_WANT; i++) {
		if (!route_of(want[i].method, want[i].path))
			fail_msg("case %s %s: got no such route, want it in the route table", want[i].method,
				 want[i].path);
	}
	for (size_t i = 0; i < ps_n_routes; i++) {
		bool found = false;
		for (size_t k = 0; k < N_WANT && !found; k++)
			found = strcmp(ps_routes[i].method, want[k].method) == 0 &&
				strcmp(ps_routes[i].pattern, want[k].path) == 0;
		if (!found)
			fail_msg("case %s %s: got a route this test does not expect, want a row for it",
				 ps_routes[i].method, ps_routes[i].pattern);
	}
}

static void test_every_route_role_and_tenant(void **state)
{
	(void)state;
	struct ps_ctx c;
	int cases = 0;
	ps_ctx_init(&c, NULL, NULL);
	for (size_t i = 0; i < N_WANT; i++) {
		const struct ps_route *rt = route_of(want[i].method, want[i].path);
		assert_non_null(rt);
		bool scoped = strstr(want[i].path, "{t}") != NULL;
		for (int role = 0; role < PS_ROLE__COUNT; role++) {
			bool tenant_role = ps_role_is_tenant((enum ps_role)role);
			for (int other = 0; other < 2; other++) {
				memset(&c.who, 0, sizeof c.who);
				ps_err_clear(&c.err);
				c.who.role = (enum ps_role)role;
				c.who.tenant_id = tenant_role ? OWN : 0;
				int64_t tenant = scoped ? (other ? OTHER : OWN) : 0;
				ps_code expect;
				if (want[i].roles == ANYONE)
					expect = PS_OK;
				else if (scoped && other && tenant_role)
					expect = PS_NOT_FOUND;
				else
					expect = (want[i].roles & (1 << role)) ? PS_OK : PS_FORBIDDEN;
				ps_code got = ps_app_check(&c, rt->perm, tenant);
				cases++;
				if (got != expect)
					fail_msg("case %s %s as %s on %s tenant: got %s, want %s", want[i].method,
						 want[i].path, ps_role_name((enum ps_role)role), other ? "another" : "its own",
						 ps_code_api(got), ps_code_api(expect));
			}
		}
	}
	assert_int_equal(cases, (int)N_WANT * PS_ROLE__COUNT * 2);
	ps_ctx_fini(&c);
}

/* An object found by id alone (a token): its tenant's global_admin and the
 * operator may revoke it; another tenant's, or the provider's own (owner
 * 0), is not there for a tenant role (404); roles that may not make tokens
 * get 403 on their own tenant's. */
static void test_check_owner(void **state)
{
	(void)state;
	struct ps_ctx c;
	ps_ctx_init(&c, NULL, NULL);
	static const int64_t owners[] = {0, OWN, OTHER};
	for (int role = 0; role < PS_ROLE__COUNT; role++) {
		bool tenant_role = ps_role_is_tenant((enum ps_role)role);
		for (size_t k = 0; k < sizeof owners / sizeof owners[0]; k++) {
			memset(&c.who, 0, sizeof c.who);
			ps_err_clear(&c.err);
			c.who.role = (enum ps_role)role;
			c.who.tenant_id = tenant_role ? OWN : 0;
			ps_code expect;
			if (tenant_role && owners[k] != OWN)
				expect = PS_NOT_FOUND;
			else
				expect = (role == PS_ROLE_OPERATOR || role == PS_ROLE_GLOBAL_ADMIN) ? PS_OK : PS_FORBIDDEN;
			ps_code got = ps_app_check_owner(&c, PS_PERM_MAKE_TOKENS, owners[k]);
			if (got != expect)
				fail_msg("case %s on a token of owner %lld: got %s, want %s", ps_role_name((enum ps_role)role),
					 (long long)owners[k], ps_code_api(got), ps_code_api(expect));
		}
	}
	ps_ctx_fini(&c);
}

/* Every {name} in a pattern is a typed parameter with a prefix. */
static void test_path_params_are_typed(void **state)
{
	(void)state;
	for (size_t i = 0; i < ps_n_routes; i++) {
		const char *p = ps_routes[i].pattern;
		while ((p = strchr(p, '{')) != NULL) {
			const char *e = strchr(p, '}');
			assert_non_null(e);
			const struct ps_path_param *pp = ps_path_param_find(p + 1, (size_t)(e - p - 1));
			if (!pp || !pp->prefix || !pp->prefix[0])
				fail_msg("case %s %s: got an untyped parameter %.*s, want one of ps_path_params",
					 ps_routes[i].method, ps_routes[i].pattern, (int)(e - p + 1), p);
			p = e + 1;
		}
	}
}

/* An Idempotency-Key applies to every change but a new token or session
 * or webhook secret (shown once, never stored) and signing out; never to a
 * read. */
static void test_idempotency_flags(void **state)
{
	(void)state;
	for (size_t i = 0; i < ps_n_routes; i++) {
		const struct ps_route *r = &ps_routes[i];
		bool change = strcmp(r->method, "GET") != 0;
		bool token = (strcmp(r->method, "POST") == 0 && strcmp(r->pattern, "/v1/tenants/{t}/tokens") == 0) ||
			     strcmp(r->pattern, "/v1/sessions") == 0 || strcmp(r->pattern, "/v1/sessions/current") == 0 ||
			     (strcmp(r->method, "POST") == 0 && strcmp(r->pattern, "/v1/webhooks") == 0) ||
			     strcmp(r->pattern, "/v1/webhooks/{w}/secret") == 0;
		bool expect = change && !token;
		if (((r->flags & PS_RF_IDEM) != 0) != expect)
			fail_msg("case %s %s: got Idempotency-Key %s, want %s", r->method, r->pattern,
				 (r->flags & PS_RF_IDEM) ? "applies" : "ignored", expect ? "applies" : "ignored");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_is_expected),
		cmocka_unit_test(test_every_route_role_and_tenant),
		cmocka_unit_test(test_check_owner),
		cmocka_unit_test(test_path_params_are_typed),
		cmocka_unit_test(test_idempotency_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
