/* test_fleet.c: the sweep of app/fleet.c on every core (app layer). With no callback,
 * ps_app_sweep splits the tenants by id across threads, each on its own
 * connection; its sums must equal those of the same sweep walked in order
 * (with a callback), on a store large enough to be split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/ps_app.h"
#include "app/ps_demo.h"
#include "core/ps_catalog.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"

#define NOW 1795770000 /* 2026-11-27T09:00:00Z */
#define TENANTS 5000

static bool in_order(void *arg, const struct ps_snapshot *snap, const struct ps_verdict *v)
{
	int64_t *last = arg;
	assert_true(snap->tenant.id >= *last); /* tenant by tenant, in id order */
	*last = snap->tenant.id;
	return true;
}

static void test_parallel_equals_ordered(void **state)
{
	(void)state;
	char dir[256], path[300];
	ps_fixture_temp("sweep", dir, sizeof dir, path, sizeof path);
	struct ps_err err = {0};
	struct ps_store *st;
	assert_int_equal(ps_store_open(path, &st, &err), PS_OK);
	assert_int_equal(st->ops->migrate(st, &err), PS_OK);
	struct ps_catalog *cat = NULL;
	struct ps_faults faults = {0};
	assert_true(ps_catalog_parse(ps_demo_catalog, ps_demo_catalog_len, &cat, &faults));
	assert_int_equal(st->ops->begin(st, PS_TX_WRITE, &err), PS_OK);
	assert_int_equal(st->ops->catalog_put(st, cat->json, cat->json_len, NOW, "cli", NULL, &err), PS_OK);
	/* Tenants with 0 to 3 subscriptions of every status, some plans
	 * blocked (segment, no upgrade path, prepaid), some conflicts. */
	static const char *const plans[] = {"biz-basic", "biz-standard", "ent-e5", "mail-p1", "biz-basic-gov"};
	for (int i = 0; i < TENANTS; i++) {
		struct ps_tenant t = {.segment = i % 7 == 0 ? PS_SEG_GOVERNMENT : PS_SEG_COMMERCIAL,
				      .payment = PS_PAY_CARD, .created_at = NOW};
		snprintf(t.name, sizeof t.name, "T%d", i);
		snprintf(t.currency, sizeof t.currency, "EUR");
		assert_int_equal(st->ops->tenant_insert(st, &t, &err), PS_OK);
		for (int k = 0; k < i % 4; k++) {
			const struct ps_plan *p = ps_catalog_plan(cat, plans[(i + k) % 5]);
			struct ps_subscription s = {.tenant_id = t.id, .quantity = 5 + k, .term = PS_TERM_MONTHLY,
						    .status = (enum ps_sub_status)((i + k) % PS_SUB__COUNT),
						    .prepaid = i % 11 == 0, .term_start = NOW - 86400,
						    .term_end = NOW + 86400 * 29, .billed_through = NOW + 86400 * 29,
						    .created_at = NOW};
			snprintf(s.plan_id, sizeof s.plan_id, "%s", p->id);
			snprintf(s.product_id, sizeof s.product_id, "%s", p->product->id);
			assert_int_equal(st->ops->sub_insert(st, &s, &err), PS_OK);
		}
	}
	assert_int_equal(st->ops->commit(st, &err), PS_OK);
	ps_catalog_free(cat);

	struct ps_app app = {.db_url = path, .upgrade_capacity = 1000};
	assert_int_equal(ps_app_load_catalog(&app, st, &err), PS_OK);
	struct ps_ctx c;
	ps_ctx_init(&c, &app, st);
	c.now = NOW;
	struct ps_fleet_sum all, ordered;
	int64_t last = 0;
	assert_int_equal(ps_app_sweep(&c, NULL, NULL, &all), PS_OK);
	assert_int_equal(ps_app_sweep(&c, in_order, &last, &ordered), PS_OK);
	assert_int_equal(all.tenants, TENANTS);
	assert_int_equal(ordered.tenants, TENANTS);
	assert_int_equal(all.subscriptions, ordered.subscriptions);
	assert_int_equal(all.live, ordered.live);
	assert_int_equal(all.eligible, ordered.eligible);
	for (int r = 0; r < PS_R__COUNT; r++)
		assert_int_equal(all.blocked_by[r], ordered.blocked_by[r]);
	assert_true(all.subscriptions > 0 && all.eligible > 0 && all.eligible < all.subscriptions);
	ps_ctx_fini(&c);
	ps_fixture_drop(st, &app, path, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_equals_ordered),
	};
	return cmocka_run_group_tests_name("app: sweep", tests, NULL, NULL);
}
