/* test_jobs.c: the background runner (app layer, app/jobs.c, over a SQLite
 * store): a pass renews what is due and nothing else, a second pass does
 * nothing, a failing job is kept with its error and retried after 1 minute,
 * then 2, ... (never before), a job that succeeds is gone, the runner
 * thread does the work by itself, and /metrics counts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/ps_app.h"
#include "app/ps_jobs.h"
#include "common/ps_mem.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"

#define NOW 1795770000 /* 2026-11-27T09:00:00Z */
#define DAY 86400

static const char catalog[] =
	"{\"services\": [{\"id\": \"mail-1\", \"name\": \"Mail\", \"family\": \"mail\", \"rank\": 1, "
	"\"data_bearing\": true}],"
	" \"products\": [{\"id\": \"q\", \"name\": \"Q\"}],"
	" \"plans\": [{\"id\": \"plain\", \"name\": \"Plain\", \"product\": \"q\", \"services\": [\"mail-1\"], "
	"\"segment\": \"commercial\", \"price_per_seat_month\": 600, \"currency\": \"EUR\", "
	"\"upgrades_to\": [], \"addon\": false, \"attaches_to\": []}]}";

static char dir[256], path[300];
static struct ps_app app;
static struct ps_store *st;

static int setup(void **state)
{
	ps_fixture_temp("jobs", dir, sizeof dir, path, sizeof path);
	ps_fixture_store(path, catalog, sizeof catalog - 1, NOW, &app, &st);
	return 0;
}

static int teardown(void **state)
{
	ps_fixture_drop(st, &app, path, dir);
	return 0;
}

static int64_t new_sub(struct ps_ctx *c)
{
	struct ps_tenant_in tin = {.name = "Org", .segment = "commercial", .payment = "card", .currency = "EUR",
				   .credit_limit = 100000, .has_credit_limit = true};
	struct ps_tenant t;
	assert_int_equal(ps_app_tenant_create(c, &tin, &t), PS_OK);
	struct ps_purchase_in pin = {.plan = "plain", .quantity = 2, .term = "monthly"};
	struct ps_subscription s;
	struct ps_credit_check cc;
	assert_int_equal(ps_app_purchase(c, t.id, &pin, &s, &cc), PS_OK);
	return s.id;
}

static int64_t billed_through(struct ps_ctx *c, int64_t sub)
{
	struct ps_subscription s;
	/* Tenants are made one per subscription here: tenant id = sub id. */
	assert_int_equal(st->ops->sub_get(st, sub, sub, &s, &c->err), PS_OK);
	return s.billed_through;
}

static int64_t due(struct ps_ctx *c, int64_t at)
{
	int64_t n = -1;
	assert_int_equal(st->ops->job_count_due(st, at, &n, &c->err), PS_OK);
	return n;
}

static void pass(struct ps_ctx *c, int64_t at, int want_runs, const char *name)
{
	int ran = -1;
	c->now = at;
	ps_code rc = ps_jobs_run_due(c, true, &ran);
	if (rc != PS_OK || ran != want_runs)
		fail_msg("case %s: got %s, %d runs (%s), want ok, %d runs", name, ps_code_api(rc), ran, c->err.msg,
			 want_runs);
}

static void test_pass_renews_once(void **state)
{
	struct ps_ctx c;
	ps_fixture_ctx(&c, &app, st, NOW);
	int64_t a = new_sub(&c), b = new_sub(&c);
	int64_t end = billed_through(&c, a);
	pass(&c, end - 1, 0, "a second before the period ends");
	assert_int_equal(billed_through(&c, a), end);
	pass(&c, end, 2, "at the period's end: both renewed");
	if (billed_through(&c, a) <= end || billed_through(&c, b) <= end)
		fail_msg("case renewed: got billed_through %lld and %lld, want past %lld", (long long)billed_through(&c, a),
			 (long long)billed_through(&c, b), (long long)end);
	pass(&c, end, 0, "a second pass at the same time");
	assert_int_equal(due(&c, end + 400 * DAY), 0);
	ps_ctx_fini(&c);
}

static void test_failed_job_backs_off(void **state)
{
	struct ps_ctx c;
	ps_fixture_ctx(&c, &app, st, NOW);
	/* A kind this version does not know fails every time. */
	struct ps_job j = {.kind = "mystery", .rank = 5, .tenant_id = 0, .subject = 42, .due_at = NOW, .created_at = NOW};
	assert_int_equal(st->ops->job_insert(st, &j, &c.err), PS_OK);
	int64_t at = NOW, delay = 60;
	for (int attempt = 1; attempt <= 5; attempt++) {
		char name[64];
		snprintf(name, sizeof name, "attempt %d", attempt);
		pass(&c, at, 1, name);
		struct ps_job got;
		assert_int_equal(st->ops->begin(st, PS_TX_WRITE, &c.err), PS_OK);
		assert_int_equal(st->ops->job_claim(st, at + delay, &got, &c.err), PS_OK);
		st->ops->rollback(st);
		if (got.attempts != attempt || got.due_at != at + delay || !strstr(got.last_error, "mystery"))
			fail_msg("case %s: got attempts %lld due +%lld error \"%s\", want %d, +%lld, naming the kind", name,
				 (long long)got.attempts, (long long)(got.due_at - at), got.last_error, attempt,
				 (long long)delay);
		snprintf(name, sizeof name, "attempt %d, a second early", attempt + 1);
		pass(&c, at + delay - 1, 0, name);
		at += delay;
		delay *= 2;
	}
	struct ps_buf m;
	ps_buf_init(&m, 1 << 16);
	c.now = at;
	assert_int_equal(ps_jobs_metrics_write(&c, &m), PS_OK);
	if (!strstr(ps_buf_str(&m), "planshift_jobs_run_total{kind=\"unknown\",result=\"failed\"} 5\n") ||
	    !strstr(ps_buf_str(&m), "planshift_jobs_due 1\n"))
		fail_msg("case metrics: got\n%s\nwant 5 failed runs of unknown kind and 1 job due", ps_buf_str(&m));
	ps_buf_fini(&m);
	ps_ctx_fini(&c);
}

static void test_runner_thread(void **state)
{
	struct ps_ctx c;
	ps_fixture_ctx(&c, &app, st, NOW);
	int64_t a = new_sub(&c);
	int64_t end = billed_through(&c, a);
	/* The runner reads the store's clock. */
	app.clock_manual = true;
	assert_int_equal(st->ops->clock_set(st, end + DAY, &c.err), PS_OK);
	struct ps_runner *r = NULL;
	assert_int_equal(ps_runner_start(&app, 5, &r, &c.err), PS_OK);
	for (int i = 0; i < 2000 && billed_through(&c, a) == end; i++) {
		struct timespec ts = {0, 5000000L};
		nanosleep(&ts, NULL); /* polling the store for the thread's work, at most 10 s */
	}
	ps_runner_stop(r);
	ps_runner_stop(NULL);
	app.clock_manual = false;
	if (billed_through(&c, a) == end)
		fail_msg("case the runner thread: got billed_through unchanged after 10 s, want renewed");
	ps_ctx_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pass_renews_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_job_backs_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_runner_thread, setup, teardown),
	};
	return cmocka_run_group_tests_name("app: the job runner", tests, NULL, NULL);
}
