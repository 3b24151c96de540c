/* test_policy.c: unit tests of the business rules that are not money (core
 * layer, core/policy.c): may buy, may move to, add-on fits, a period is due,
 * the monthly recurring charge, a credit check is needed. Table-driven; each
 * row names its case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/ps_money.h"
#include "core/ps_policy.h"
#include "core/ps_rules.h"

#include <stdio.h>

static struct ps_tenant tenant(enum ps_segment seg, const char *currency)
{
	struct ps_tenant t = {.segment = seg, .payment = PS_PAY_INVOICE};
	snprintf(t.currency, sizeof t.currency, "%s", currency);
	return t;
}

static struct ps_plan plan(char *id, enum ps_segment seg, const char *currency, bool addon)
{
	struct ps_plan p = {.id = id, .segment = seg, .addon = addon};
	snprintf(p.currency, sizeof p.currency, "%s", currency);
	return p;
}

static const char *const buy_names[] = {"ok", "currency", "segment"};

static void test_buyable(void **state)
{
	static const struct {
		const char *name;
		enum ps_segment tseg, pseg;
		const char *tcur, *pcur;
		enum ps_buy want;
	} cases[] = {
		{"a commercial plan in the tenant's currency", PS_SEG_COMMERCIAL, PS_SEG_COMMERCIAL, "EUR", "EUR",
		 PS_BUY_OK},
		{"another currency", PS_SEG_COMMERCIAL, PS_SEG_COMMERCIAL, "EUR", "USD", PS_BUY_CURRENCY},
		{"an education plan for a commercial tenant", PS_SEG_COMMERCIAL, PS_SEG_EDUCATION, "EUR", "EUR",
		 PS_BUY_SEGMENT},
		{"an education plan for an education tenant", PS_SEG_EDUCATION, PS_SEG_EDUCATION, "EUR", "EUR",
		 PS_BUY_OK},
		{"a commercial plan for a government tenant", PS_SEG_GOVERNMENT, PS_SEG_COMMERCIAL, "EUR", "EUR",
		 PS_BUY_OK},
		{"a nonprofit plan for a government tenant", PS_SEG_GOVERNMENT, PS_SEG_NONPROFIT, "EUR", "EUR",
		 PS_BUY_SEGMENT},
		{"the currency is named first", PS_SEG_COMMERCIAL, PS_SEG_GOVERNMENT, "EUR", "USD", PS_BUY_CURRENCY},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_tenant t = tenant(cases[i].tseg, cases[i].tcur);
		struct ps_plan p = plan("p", cases[i].pseg, cases[i].pcur, false);
		enum ps_buy got = ps_plan_buyable(&t, &p);
		if (got != cases[i].want)
			fail_msg("case %s: got %s, want %s", cases[i].name, buy_names[got], buy_names[cases[i].want]);
		if (ps_can_buy(&t, &p) != (cases[i].want == PS_BUY_OK))
			fail_msg("case %s: got can_buy %d, want %d", cases[i].name, ps_can_buy(&t, &p),
				 cases[i].want == PS_BUY_OK);
	}
}

static void test_move_to(void **state)
{
	struct ps_plan basic = plan("basic", PS_SEG_COMMERCIAL, "EUR", false);
	struct ps_plan standard = plan("standard", PS_SEG_COMMERCIAL, "EUR", false);
	struct ps_plan audio = plan("audio", PS_SEG_COMMERCIAL, "EUR", true);
	struct ps_plan edu = plan("edu", PS_SEG_EDUCATION, "EUR", false);
	struct ps_plan dollars = plan("dollars", PS_SEG_COMMERCIAL, "USD", false);
	struct ps_tenant t = tenant(PS_SEG_COMMERCIAL, "EUR");
	const struct {
		const char *name;
		const struct ps_plan *from, *to;
		bool want;
	} cases[] = {
		{"another base plan", &basic, &standard, true},
		{"its own plan", &basic, &basic, false},
		{"an add-on", &basic, &audio, false},
		{"a plan of another segment", &basic, &edu, false},
		{"a plan in another currency", &basic, &dollars, false},
		{"from a plan missing from the catalog", NULL, &standard, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool got = ps_can_move_to(&t, cases[i].from, cases[i].to);
		if (got != cases[i].want)
			fail_msg("case %s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
}

static void test_addon_fits(void **state)
{
	struct ps_plan basic = plan("basic", PS_SEG_COMMERCIAL, "EUR", false);
	struct ps_plan standard = plan("standard", PS_SEG_COMMERCIAL, "EUR", false);
	struct ps_plan premium = plan("premium", PS_SEG_COMMERCIAL, "EUR", false);
	const struct ps_plan *bases[] = {&basic, &standard};
	struct ps_plan audio = plan("audio", PS_SEG_COMMERCIAL, "EUR", true);
	audio.attaches_to = bases;
	audio.n_attaches_to = 2;
	struct ps_plan loose = plan("loose", PS_SEG_COMMERCIAL, "EUR", true);
	const struct {
		const char *name;
		const struct ps_plan *addon, *base;
		bool want;
	} cases[] = {
		{"first base listed", &audio, &basic, true},
		{"last base listed", &audio, &standard, true},
		{"a base not listed", &audio, &premium, false},
		{"an add-on that attaches to nothing", &loose, &basic, false},
		{"a base missing from the catalog", &audio, NULL, false},
		{"an add-on missing from the catalog", NULL, &basic, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool got = ps_addon_can_attach(cases[i].addon, cases[i].base);
		if (got != cases[i].want)
			fail_msg("case %s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
}

static void test_live_addon(void **state)
{
	static const struct {
		const char *name;
		int64_t addon_of, base;
		enum ps_sub_status status;
		bool want;
	} cases[] = {
		{"an active add-on of this base", 7, 7, PS_SUB_ACTIVE, true},
		{"a disabled add-on is still attached", 7, 7, PS_SUB_DISABLED, true},
		{"a provisioning add-on", 7, 7, PS_SUB_PROVISIONING, true},
		{"a cancelled add-on", 7, 7, PS_SUB_CANCELLED, false},
		{"an add-on of another base", 8, 7, PS_SUB_ACTIVE, false},
		{"not an add-on", 0, 7, PS_SUB_ACTIVE, false},
		{"no base", 0, 0, PS_SUB_ACTIVE, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s = {.addon_of = cases[i].addon_of, .status = cases[i].status};
		bool got = ps_sub_is_live_addon_of(&s, cases[i].base);
		if (got != cases[i].want)
			fail_msg("case %s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
}

static void test_billing_due(void **state)
{
	static const struct {
		const char *name;
		enum ps_sub_status status;
		int64_t billed_through, now, cancel_at;
		bool want;
	} cases[] = {
		{"the clock reached the end of what was billed", PS_SUB_ACTIVE, 1000, 1000, 0, true},
		{"the clock passed it", PS_SUB_ACTIVE, 1000, 5000, 0, true},
		{"a second before", PS_SUB_ACTIVE, 1000, 999, 0, false},
		{"never billed (waits on a credit check)", PS_SUB_PROVISIONING, 0, 5000, 0, false},
		{"disabled subscriptions are still billed", PS_SUB_DISABLED, 1000, 5000, 0, true},
		{"provisioning after its first invoice", PS_SUB_PROVISIONING, 1000, 5000, 0, true},
		{"cancelled", PS_SUB_CANCELLED, 1000, 5000, 0, false},
		{"replaced", PS_SUB_REPLACED, 1000, 5000, 0, false},
		{"expired", PS_SUB_EXPIRED, 1000, 5000, 0, false},
		{"cancelled at term end, where the billing ends", PS_SUB_ACTIVE, 1000, 5000, 1000, false},
		{"cancelled at term end, before the billing ends", PS_SUB_ACTIVE, 1000, 5000, 900, false},
		{"cancelled at term end, a period later (annual term billed monthly)", PS_SUB_ACTIVE, 1000, 5000, 3000,
		 true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s = {.status = cases[i].status, .billed_through = cases[i].billed_through,
					    .cancel_at = cases[i].cancel_at};
		bool sched = ps_sub_has_scheduled_change(&s);
		if (sched != (cases[i].cancel_at > 0 && ps_sub_status_is_live(cases[i].status)))
			fail_msg("case %s: ps_sub_has_scheduled_change got %d", cases[i].name, sched);
		bool got = ps_sub_is_billing_due(&s, cases[i].now);
		if (got != cases[i].want)
			fail_msg("case %s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
}

static void test_mrc(void **state)
{
	static struct ps_plan cheap = {.price_per_seat_month = 1000};
	static struct ps_plan dear = {.price_per_seat_month = PS_PRICE_MAX};
	struct row {
		const struct ps_plan *plan;
		enum ps_sub_status status;
		int64_t quantity;
		bool prepaid;
	};
	static const struct {
		const char *name;
		struct row rows[4];
		size_t n;
		int64_t want;
	} cases[] = {
		{"no subscription", {{0}}, 0, 0},
		{"one active", {{&cheap, PS_SUB_ACTIVE, 10, false}}, 1, 10000},
		{"live ones add up; ended ones do not",
		 {{&cheap, PS_SUB_ACTIVE, 10, false},
		  {&cheap, PS_SUB_DISABLED, 2, false},
		  {&cheap, PS_SUB_CANCELLED, 50, false},
		  {&cheap, PS_SUB_REPLACED, 50, false}},
		 4, 12000},
		{"provisioning counts", {{&cheap, PS_SUB_PROVISIONING, 3, false}}, 1, 3000},
		{"prepaid counts by its monthly price", {{&cheap, PS_SUB_ACTIVE, 4, true}}, 1, 4000},
		{"a plan missing from the catalog counts 0",
		 {{NULL, PS_SUB_ACTIVE, 10, false}, {&cheap, PS_SUB_ACTIVE, 1, false}},
		 2, 1000},
		{"saturates instead of overflowing",
		 {{&dear, PS_SUB_ACTIVE, PS_QUANTITY_MAX, false},
		  {&dear, PS_SUB_ACTIVE, PS_QUANTITY_MAX, false},
		  {&dear, PS_SUB_ACTIVE, PS_QUANTITY_MAX, false},
		  {&dear, PS_SUB_ACTIVE, PS_QUANTITY_MAX, false}},
		 4, 4 * PS_PRICE_MAX * PS_QUANTITY_MAX},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_snapshot snap;
		ps_snapshot_init(&snap);
		for (size_t k = 0; k < cases[i].n; k++) {
			struct ps_snap_sub *ss = ps_snapshot_add_sub(&snap);
			ss->plan = cases[i].rows[k].plan;
			ps_sub_sell_at(&ss->s, ss->plan);
			ss->s.status = cases[i].rows[k].status;
			ss->s.quantity = cases[i].rows[k].quantity;
			ss->s.prepaid = cases[i].rows[k].prepaid;
			ss->s.term = ss->s.prepaid ? PS_TERM_ANNUAL : PS_TERM_MONTHLY;
		}
		int64_t got = ps_snapshot_mrc(&snap);
		ps_snapshot_fini(&snap);
		if (got != cases[i].want)
			fail_msg("case %s: got %lld, want %lld", cases[i].name, (long long)got, (long long)cases[i].want);
	}
	/* Past int64: a hundred subscriptions at both caps. */
	struct ps_snapshot snap;
	ps_snapshot_init(&snap);
	for (int k = 0; k < 100; k++) {
		struct ps_snap_sub *ss = ps_snapshot_add_sub(&snap);
		ss->plan = &dear;
		ps_sub_sell_at(&ss->s, ss->plan);
		ss->s.status = PS_SUB_ACTIVE;
		ss->s.quantity = PS_QUANTITY_MAX;
	}
	int64_t got = ps_snapshot_mrc(&snap);
	ps_snapshot_fini(&snap);
	if (got != INT64_MAX)
		fail_msg("case 100 subscriptions at both caps: got %lld, want INT64_MAX", (long long)got);
}

static void test_credit_check(void **state)
{
	static const struct {
		const char *name;
		enum ps_payment payment;
		int64_t limit, before, after;
		bool want;
	} cases[] = {
		{"raised above the limit", PS_PAY_INVOICE, 10000, 5000, 12000, true},
		{"raised to the limit exactly", PS_PAY_INVOICE, 10000, 5000, 10000, false},
		{"raised, still below the limit", PS_PAY_INVOICE, 10000, 5000, 9000, false},
		{"already above, raised further", PS_PAY_INVOICE, 10000, 11000, 12000, true},
		{"above the limit but lowered", PS_PAY_INVOICE, 10000, 15000, 12000, false},
		{"above the limit, unchanged", PS_PAY_INVOICE, 10000, 12000, 12000, false},
		{"a card pays as it goes", PS_PAY_CARD, 10000, 5000, 12000, false},
		{"a zero limit", PS_PAY_INVOICE, 0, 0, 1, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_tenant t = {.payment = cases[i].payment, .credit_limit = cases[i].limit};
		bool got = ps_credit_check_is_needed(&t, cases[i].before, cases[i].after);
		if (got != cases[i].want)
			fail_msg("case %s: got %d, want %d", cases[i].name, got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buyable),
		cmocka_unit_test(test_move_to),
		cmocka_unit_test(test_addon_fits),
		cmocka_unit_test(test_live_addon),
		cmocka_unit_test(test_billing_due),
		cmocka_unit_test(test_mrc),
		cmocka_unit_test(test_credit_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
