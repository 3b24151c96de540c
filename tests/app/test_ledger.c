/* test_ledger.c: the limits of the ledger (app layer, app/ledger.c and
 * billing.c, over a SQLite store): payments and charges that would take a
 * tenant's ledger past PS_LEDGER_MAX are refused naming the field, before
 * any sum overflows, and no invoice is ever stored with a `paid` outside
 * [0, amount] (issue 11: 8,192 payments of 2^50; a credit note after them). */
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
#include "common/ps_mem.h"
#include "core/ps_money.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"

#define NOW 1795770000 /* 2026-11-27T09:00:00Z */

/* One plan at the catalog's highest price, one at an everyday price. */
static const char catalog[] =
	"{\"services\": [{\"id\": \"mail-1\", \"name\": \"Mail\", \"family\": \"mail\", \"rank\": 1, "
	"\"data_bearing\": true}],"
	" \"products\": [{\"id\": \"p\", \"name\": \"P\"}, {\"id\": \"q\", \"name\": \"Q\"}],"
	" \"plans\": [{\"id\": \"dear\", \"name\": \"Dear\", \"product\": \"p\", \"services\": [\"mail-1\"], "
	"\"segment\": \"commercial\", \"price_per_seat_month\": 100000000000, \"currency\": \"EUR\", "
	"\"upgrades_to\": [], \"addon\": false, \"attaches_to\": []},"
	" {\"id\": \"plain\", \"name\": \"Plain\", \"product\": \"q\", \"services\": [\"mail-1\"], "
	"\"segment\": \"commercial\", \"price_per_seat_month\": 600, \"currency\": \"EUR\", "
	"\"upgrades_to\": [], \"addon\": false, \"attaches_to\": []}]}";

static char dir[256], path[300];
static struct ps_app app;
static struct ps_store *st;

static void ctx_on(struct ps_ctx *c)
{
	ps_fixture_ctx(c, &app, st, NOW);
}

static int setup(void **state)
{
	ps_fixture_temp("ledger", dir, sizeof dir, path, sizeof path);
	ps_fixture_store(path, catalog, sizeof catalog - 1, NOW, &app, &st);
	return 0;
}

static int teardown(void **state)
{
	ps_fixture_drop(st, &app, path, dir);
	return 0;
}

static int64_t new_tenant(struct ps_ctx *c, const char *name, const char *payment)
{
	struct ps_tenant_in tin = {.name = name, .segment = "commercial", .payment = payment, .currency = "EUR",
				   .credit_limit = (int64_t)1 << 50, .has_credit_limit = true};
	struct ps_tenant t;
	assert_int_equal(ps_app_tenant_create(c, &tin, &t), PS_OK);
	return t.id;
}

/* Every invoice of the tenant: paid within [0, amount] for a charge, equal
 * to the amount for a credit note. */
static bool check_invoice(void *arg, const struct ps_invoice *inv)
{
	const char *name = arg;
	if (inv->amount >= 0 && (inv->paid < 0 || inv->paid > inv->amount))
		fail_msg("case %s: invoice %lld stored with paid %lld of %lld, want 0..amount", name, (long long)inv->id,
			 (long long)inv->paid, (long long)inv->amount);
	if (inv->amount < 0 && inv->paid != inv->amount)
		fail_msg("case %s: credit note %lld paid %lld, want %lld", name, (long long)inv->id,
			 (long long)inv->paid, (long long)inv->amount);
	return true;
}

static void check_invoices(struct ps_ctx *c, int64_t tenant, const char *name)
{
	assert_int_equal(st->ops->invoice_list(st, tenant, false, 0, 0, check_invoice, (void *)name, &c->err), PS_OK);
}

/* 8,192 payments of 2^50 would sum to 2^63: those past PS_LEDGER_MAX are
 * refused naming amount, the sums stay exact, and a credit note after them
 * settles without wrapping any invoice's `paid`. */
static void test_payments_capped(void **state)
{
	struct ps_ctx c;
	ctx_on(&c);
	int64_t t = new_tenant(&c, "Rich Ltd", "invoice");
	struct ps_purchase_in pin = {.plan = "plain", .quantity = 10, .term = "monthly"};
	struct ps_subscription s;
	struct ps_credit_check cc;
	assert_int_equal(ps_app_purchase(&c, t, &pin, &s, &cc), PS_OK);

	const int64_t unit = (int64_t)1 << 50;
	const int allowed = (int)(PS_LEDGER_MAX / unit); /* 2,048 */
	/* The first ones straight into the store, in one transaction (the same
	 * rows ps_app_pay writes); the last allowed one and every refused one
	 * through the use case. */
	assert_int_equal(st->ops->begin(st, PS_TX_WRITE, &c.err), PS_OK);
	for (int i = 0; i < allowed - 1; i++) {
		struct ps_receipt p = {.tenant_id = t, .amount = unit, .currency = "EUR", .received_at = NOW};
		assert_int_equal(st->ops->payment_insert(st, &p, &c.err), PS_OK);
	}
	assert_int_equal(st->ops->commit(st, &c.err), PS_OK);
	struct ps_receipt r;
	ps_code rc = ps_app_pay(&c, t, unit, &r);
	if (rc != PS_OK)
		fail_msg("case payment %d of 2^50 (reaching PS_LEDGER_MAX): got %s %s, want ok", allowed,
			 ps_code_api(rc), c.err.msg);
	int refused = 0;
	for (int i = allowed + 1; i <= 8192; i++) {
		ps_err_clear(&c.err);
		rc = ps_app_pay(&c, t, unit, &r);
		if (rc != PS_INVALID_FIELD || strcmp(c.err.field, "amount") != 0)
			fail_msg("case payment %d of 2^50: got %s field \"%s\", want invalid_field amount", i,
				 ps_code_api(rc), c.err.field);
		refused++;
	}
	assert_int_equal(refused, 8192 - allowed);
	ps_err_clear(&c.err);
	rc = ps_app_pay(&c, t, 1, &r);
	if (rc != PS_INVALID_FIELD)
		fail_msg("case one more cent at the limit: got %s, want invalid_field amount", ps_code_api(rc));

	struct ps_billing_sum sum;
	ps_err_clear(&c.err);
	assert_int_equal(ps_app_billing_sum(&c, t, &sum), PS_OK);
	if (sum.paid != PS_LEDGER_MAX || sum.balance != 6000 - PS_LEDGER_MAX || sum.credit != PS_LEDGER_MAX - 6000)
		fail_msg("case sums after the payments: got paid %lld balance %lld credit %lld, want %lld, %lld, %lld",
			 (long long)sum.paid, (long long)sum.balance, (long long)sum.credit, (long long)PS_LEDGER_MAX,
			 (long long)(6000 - PS_LEDGER_MAX), (long long)(PS_LEDGER_MAX - 6000));
	check_invoices(&c, t, "after 8,192 payments");

	/* A credit note on top of the payments: settlement sums both. */
	c.now = NOW + 10 * 86400;
	assert_int_equal(ps_app_cancel(&c, t, s.id, &s), PS_OK);
	check_invoices(&c, t, "after a credit note");
	assert_int_equal(ps_app_billing_sum(&c, t, &sum), PS_OK);
	if (sum.balance >= 0 || sum.paid != PS_LEDGER_MAX)
		fail_msg("case after the credit note: got balance %lld paid %lld, want a credit and paid %lld",
			 (long long)sum.balance, (long long)sum.paid, (long long)PS_LEDGER_MAX);
	ps_ctx_fini(&c);
}

/* Charges: one prepaid year of a million seats at the highest price is
 * 1.2e18; a second would take the invoices past PS_LEDGER_MAX (2.3e18) and
 * is refused naming quantity, with nothing written. */
static void test_charges_capped(void **state)
{
	struct ps_ctx c;
	ctx_on(&c);
	int64_t t = new_tenant(&c, "Dear Ltd", "card");
	struct ps_purchase_in pin = {.plan = "dear", .quantity = PS_QUANTITY_MAX, .term = "annual", .prepaid = true};
	struct ps_subscription s;
	struct ps_credit_check cc;
	ps_code rc = ps_app_purchase(&c, t, &pin, &s, &cc);
	if (rc != PS_OK)
		fail_msg("case the first prepaid year: got %s %s, want ok", ps_code_api(rc), c.err.msg);
	struct ps_billing_sum before, after;
	assert_int_equal(ps_app_billing_sum(&c, t, &before), PS_OK);
	ps_err_clear(&c.err);
	rc = ps_app_purchase(&c, t, &pin, &s, &cc);
	if (rc != PS_INVALID_FIELD || strcmp(c.err.field, "quantity") != 0)
		fail_msg("case the second prepaid year: got %s field \"%s\", want invalid_field quantity", ps_code_api(rc),
			 c.err.field);
	ps_err_clear(&c.err);
	assert_int_equal(ps_app_billing_sum(&c, t, &after), PS_OK);
	if (after.invoiced != before.invoiced || after.paid != before.paid)
		fail_msg("case refused charge wrote: got invoiced %lld paid %lld, want %lld %lld", (long long)after.invoiced,
			 (long long)after.paid, (long long)before.invoiced, (long long)before.paid);
	check_invoices(&c, t, "charges");
	ps_ctx_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payments_capped),
		cmocka_unit_test(test_charges_capped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
