/* test_failing.c: every use case against a store that fails at its N-th
 * call, for every N until the use case no longer reaches a failure. Each
 * failure must come back as an error code, and the store must be exactly as
 * it was before (one transaction per change: nothing half-written). Under
 * ASan, nothing may leak on any of these paths. (STYLE.md: SQLite's I/O
 * error simulation, curl's torture mode.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/ps_app.h"
#include "app/ps_app_int.h"
#include "app/ps_demo.h"
#include "app/ps_webhooks.h"
#include "common/ps_time.h"
#include "common/ps_mem.h"
#include "common/ps_secret.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"
#include "../common/ps_sqlite_fixture.h"
#include "../common/ps_failing_store.h"

/* ---- fixtures ---- */

#define NOW 1795770000 /* 2026-11-27T09:00:00Z */

static char dir[256], pristine[300], work[300];
static struct ps_app app;
static int64_t tenant_id, sub_id, sub2_id, user_ids[4], incident_id, credit_id;
/* A tenant whose upgrade waits in provisioning: its operation, its new subscription. */
static int64_t stuck_tenant, stuck_op, stuck_new;
/* A tenant whose subscription is cancelled at term end: its scheduled operation. */
static int64_t later_tenant, later_sub, later_op;
static int64_t token_id;
static int64_t webhook_on, webhook_off; /* an enabled and a disabled webhook endpoint */
static char token_secret[PS_TOKEN_LEN], session_secret[PS_TOKEN_LEN];

static void ctx_on(struct ps_ctx *c, struct ps_store *st)
{
	ps_fixture_ctx(c, &app, st, NOW);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/planshift-failing-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(pristine, sizeof pristine, "%s/pristine.db", dir);
	snprintf(work, sizeof work, "%s/work.db", dir);
	struct ps_store *st;
	ps_fixture_store(pristine, ps_demo_catalog, ps_demo_catalog_len, NOW, &app, &st);
	app.upgrade_capacity = 100;

	/* The world every use case starts from. */
	struct ps_ctx c;
	ctx_on(&c, st);
	struct ps_tenant_in tin = {.name = "Torture Ltd", .segment = "commercial", .payment = "invoice",
				   .currency = "EUR", .credit_limit = 10000000, .has_credit_limit = true};
	struct ps_tenant t;
	assert_int_equal(ps_app_tenant_create(&c, &tin, &t), PS_OK);
	tenant_id = t.id;
	for (int i = 0; i < 4; i++) {
		char upn[64];
		struct ps_user u;
		snprintf(upn, sizeof upn, "u%d@torture.example", i);
		assert_int_equal(ps_app_user_create(&c, t.id, upn, "User", &u), PS_OK);
		user_ids[i] = u.id;
	}
	struct ps_purchase_in pin = {.plan = "biz-basic", .quantity = 5, .term = "monthly"};
	struct ps_subscription s;
	struct ps_credit_check cc;
	assert_int_equal(ps_app_purchase(&c, t.id, &pin, &s, &cc), PS_OK);
	sub_id = s.id;
	for (int i = 0; i < 3; i++)
		assert_int_equal(ps_app_assign(&c, t.id, s.id, user_ids[i], NULL), PS_OK);
	struct ps_purchase_in pin2 = {.plan = "mail-p1", .quantity = 2, .term = "monthly"};
	assert_int_equal(ps_app_purchase(&c, t.id, &pin2, &s, &cc), PS_OK);
	sub2_id = s.id;
	struct ps_incident inc;
	assert_int_equal(ps_app_incident_open(&c, "voice", "degraded", "Calls drop", NULL, &inc), PS_OK);
	incident_id = inc.id;
	/* A purchase past the credit limit waits on a credit check. */
	struct ps_tenant_in tin2 = {.name = "Tight Ltd", .segment = "commercial", .payment = "invoice",
				    .currency = "EUR", .credit_limit = 100, .has_credit_limit = true};
	struct ps_tenant t2;
	assert_int_equal(ps_app_tenant_create(&c, &tin2, &t2), PS_OK);
	assert_int_equal(ps_app_purchase(&c, t2.id, &pin, &s, &cc), PS_OK);
	assert_true(cc.id > 0);
	credit_id = cc.id;
	/* An upgrade left in provisioning (--provisioning manual). */
	struct ps_tenant_in tin3 = {.name = "Stuck Ltd", .segment = "commercial", .payment = "card", .currency = "EUR"};
	struct ps_tenant t3;
	assert_int_equal(ps_app_tenant_create(&c, &tin3, &t3), PS_OK);
	stuck_tenant = t3.id;
	assert_int_equal(ps_app_purchase(&c, t3.id, &pin, &s, &cc), PS_OK);
	struct ps_user u3;
	assert_int_equal(ps_app_user_create(&c, t3.id, "s@stuck.example", "Stuck", &u3), PS_OK);
	assert_int_equal(ps_app_assign(&c, t3.id, s.id, u3.id, NULL), PS_OK);
	app.provisioning_manual = true;
	struct ps_change_in up = {.target_plan = "biz-standard"};
	struct ps_operation op;
	struct ps_decision refusal;
	assert_int_equal(ps_app_upgrade(&c, t3.id, s.id, &up, &op, &refusal), PS_OK);
	app.provisioning_manual = false;
	assert_int_equal(op.state, PS_OP_PROVISIONING);
	stuck_op = op.id;
	stuck_new = op.new_sub;
	/* A cancellation at term end, scheduled. */
	struct ps_tenant_in tin5 = {.name = "Leaving Ltd", .segment = "commercial", .payment = "card", .currency = "EUR"};
	struct ps_tenant t5;
	assert_int_equal(ps_app_tenant_create(&c, &tin5, &t5), PS_OK);
	later_tenant = t5.id;
	assert_int_equal(ps_app_purchase(&c, t5.id, &pin, &s, &cc), PS_OK);
	later_sub = s.id;
	assert_int_equal(ps_app_cancel_when(&c, t5.id, s.id, "term_end", &s), PS_OK);
	assert_true(s.scheduled > 0);
	later_op = s.scheduled;
	/* A token to revoke, a token to sign in with, and a session. */
	struct ps_token tk;
	struct ps_token_in tin4 = {.role = "reader", .name = "to revoke"};
	assert_int_equal(ps_app_token_make(&c, t.id, &tin4, token_secret, sizeof token_secret, &tk), PS_OK);
	token_id = tk.id;
	struct ps_session ses;
	assert_int_equal(ps_app_session_create(&c, token_secret, &ses), PS_OK);
	snprintf(session_secret, sizeof session_secret, "%s", ses.secret);
	assert_int_equal(ps_app_token_create(&c, "reader", t.id, token_secret, sizeof token_secret, NULL), PS_OK);
	/* Two webhook endpoints, one of them disabled. */
	struct ps_webhook wh;
	struct ps_webhook_in win = {.url = "http://127.0.0.1:9/hook"};
	assert_int_equal(ps_app_webhook_create(&c, &win, &wh), PS_OK);
	webhook_on = wh.id;
	struct ps_webhook_in wtypes = {.url = "https://crm.example/h", .types = "invoice.issued", .types_set = true,
				       .tenant = t.id};
	assert_int_equal(ps_app_webhook_create(&c, &wtypes, &wh), PS_OK);
	struct ps_webhook_in woff = {.enabled_set = true, .enabled = false};
	assert_int_equal(ps_app_webhook_update(&c, wh.id, &woff, &wh), PS_OK);
	webhook_off = wh.id;
	ps_ctx_fini(&c);
	ps_store_close(st);
	return 0;
}

static int teardown(void **state)
{
	ps_app_fini(&app);
	ps_fixture_remove(pristine);
	ps_fixture_remove(work);
	rmdir(dir);
	return 0;
}

/* ---- the use cases ---- */

typedef ps_code (*use_case)(struct ps_ctx *c);

static ps_code uc_tenant(struct ps_ctx *c)
{
	struct ps_tenant_in in = {.name = "New Org", .payment = "card", .currency = "EUR"};
	struct ps_tenant t;
	return ps_app_tenant_create(c, &in, &t);
}

static ps_code uc_token(struct ps_ctx *c)
{
	char tok[PS_TOKEN_LEN];
	return ps_app_token_create(c, "reader", tenant_id, tok, sizeof tok, NULL);
}

static ps_code uc_token_named(struct ps_ctx *c)
{
	char tok[PS_TOKEN_LEN];
	struct ps_token_in in = {.role = "billing_admin", .name = "export", .expires_at = NOW + 3600};
	struct ps_token t;
	return ps_app_token_make(c, tenant_id, &in, tok, sizeof tok, &t);
}

static ps_code uc_token_revoke(struct ps_ctx *c)
{
	struct ps_token t;
	return ps_app_token_revoke(c, token_id, &t);
}

static ps_code uc_session(struct ps_ctx *c)
{
	struct ps_session s;
	return ps_app_session_create(c, token_secret, &s);
}

static ps_code uc_sign_out(struct ps_ctx *c)
{
	c->who.session = true;
	return ps_app_session_end(c, session_secret);
}

static ps_code uc_user(struct ps_ctx *c)
{
	struct ps_user u;
	return ps_app_user_create(c, tenant_id, "new@torture.example", "New", &u);
}

static ps_code uc_purchase(struct ps_ctx *c)
{
	struct ps_purchase_in in = {.plan = "biz-standard", .quantity = 3, .term = "annual", .prepaid = true};
	struct ps_subscription s;
	struct ps_credit_check cc;
	return ps_app_purchase(c, tenant_id, &in, &s, &cc);
}

static ps_code uc_quantity_up(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_set_quantity(c, tenant_id, sub_id, 9, &s);
}

/* 600 x 20,000 seats passes the tenant's limit: a credit check, no change. */
static ps_code uc_quantity_over_limit(struct ps_ctx *c)
{
	struct ps_subscription s;
	struct ps_credit_check cc;
	ps_code rc = ps_app_set_quantity_cc(c, tenant_id, sub_id, 20000, &s, &cc);
	if (rc == PS_OK && (cc.id == 0 || s.quantity != 5))
		fail_msg("case quantity over the limit: got credit check %lld, quantity %lld, want one and 5",
			 (long long)cc.id, (long long)s.quantity);
	return rc;
}

static ps_code uc_quantity_down(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_set_quantity(c, tenant_id, sub_id, 2, &s);
}

static ps_code uc_cancel(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_cancel(c, tenant_id, sub2_id, &s);
}

static ps_code uc_cancel_later(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_cancel_when(c, tenant_id, sub2_id, "term_end", &s);
}

static ps_code uc_status(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_set_status(c, tenant_id, sub_id, "disabled", &s);
}

static ps_code uc_assign(struct ps_ctx *c)
{
	return ps_app_assign(c, tenant_id, sub_id, user_ids[3], NULL);
}

static ps_code uc_unassign(struct ps_ctx *c)
{
	return ps_app_unassign(c, tenant_id, sub_id, user_ids[0]);
}

static ps_code uc_users_bulk(struct ps_ctx *c)
{
	int64_t n;
	const struct ps_user_in in[] = {{"bulk1@f.example", "Bulk 1"}, {"bulk2@f.example", "Bulk 2"}};
	return ps_app_users_create(c, tenant_id, in, 2, &n);
}

static ps_code uc_seats_bulk(struct ps_ctx *c)
{
	struct ps_seats_bulk out;
	const int64_t assign[] = {user_ids[3]}, unassign[] = {user_ids[0]};
	return ps_app_seats_bulk(c, tenant_id, sub_id, assign, 1, unassign, 1, &out);
}

static ps_code uc_incident(struct ps_ctx *c)
{
	struct ps_incident i;
	return ps_app_incident_open(c, "mail-1", NULL, "Slow mail", NULL, &i);
}

static ps_code uc_resolve(struct ps_ctx *c)
{
	struct ps_incident i;
	return ps_app_incident_resolve(c, incident_id, &i);
}

static ps_code uc_pay(struct ps_ctx *c)
{
	struct ps_receipt p;
	return ps_app_pay(c, tenant_id, 1234, &p);
}

static ps_code uc_upgrade(struct ps_ctx *c)
{
	struct ps_change_in in = {.target_plan = "biz-standard"};
	struct ps_operation op;
	struct ps_decision refusal;
	return ps_app_upgrade(c, tenant_id, sub_id, &in, &op, &refusal);
}

static ps_code uc_switch(struct ps_ctx *c)
{
	struct ps_change_in in = {.target_plan = "ent-e3", .quantity = 4};
	struct ps_operation op;
	struct ps_decision refusal;
	return ps_app_switch(c, tenant_id, sub_id, &in, &op, &refusal);
}

/* A manual change of some users: two of the three seated users move. */
static ps_code uc_switch_some(struct ps_ctx *c)
{
	char json[64];
	snprintf(json, sizeof json, "[%lld,%lld]", (long long)user_ids[0], (long long)user_ids[1]);
	struct ps_change_in in = {.target_plan = "biz-standard", .user_ids = user_ids, .n_users = 2, .users_json = json};
	struct ps_operation op;
	struct ps_decision refusal;
	return ps_app_switch(c, tenant_id, sub_id, &in, &op, &refusal);
}

static ps_code uc_schedule(struct ps_ctx *c)
{
	struct ps_change_in in = {.target_plan = "biz-standard"};
	struct ps_operation op;
	return ps_app_schedule(c, tenant_id, sub_id, PS_OPK_UPGRADE, &in, &op);
}

static ps_code uc_renewals(struct ps_ctx *c)
{
	c->now = NOW + 95 * 86400; /* three periods later */
	int issued = 0;
	ps_code rc = ps_app_bill_due(c, tenant_id, &issued);
	return rc == PS_OK && issued == 0 ? PS_INTERNAL : rc;
}

static ps_code uc_credit(struct ps_ctx *c)
{
	struct ps_credit_check cc;
	return ps_app_credit_decide(c, credit_id, true, &cc);
}

static ps_code uc_op_fail(struct ps_ctx *c)
{
	struct ps_operation op;
	return ps_app_operation_fail(c, stuck_tenant, stuck_op, "provisioning failed", &op);
}

/* A scheduled cancellation at term end called off by the tenant, or
 * failed by the provider: the operation ends, the subscription's cancel_at
 * is cleared and its job removed, in one transaction. */
static ps_code uc_op_cancel_scheduled(struct ps_ctx *c)
{
	struct ps_operation op;
	return ps_app_operation_cancel(c, later_tenant, later_op, &op);
}

static ps_code uc_op_fail_scheduled(struct ps_ctx *c)
{
	struct ps_operation op;
	return ps_app_operation_fail(c, later_tenant, later_op, NULL, &op);
}

/* Cancelled now, its cancellation at term end ends with it. */
static ps_code uc_cancel_now_scheduled(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_cancel(c, later_tenant, later_sub, &s);
}

static ps_code uc_incident_update(struct ps_ctx *c)
{
	struct ps_incident_change in = {.status = "restoring", .message = "rerouting"};
	struct ps_incident i;
	return ps_app_incident_update(c, incident_id, &in, &i);
}

static ps_code uc_disable_new(struct ps_ctx *c)
{
	struct ps_subscription s;
	return ps_app_set_status(c, stuck_tenant, stuck_new, "disabled", &s);
}

/* Setting the clock is its own transaction, then the jobs it runs are each
 * theirs: a failure after the first commit leaves the clock set and nothing
 * else, which uc_clock_set_only makes for the comparison. The clock moves a
 * day, where nothing falls due (the renewals' own failures are "renewals";
 * a job run stopped half way, 64-time's kill -9). */
#define CLOCK_TO "2026-11-28T09:00:00Z"
static ps_code uc_clock(struct ps_ctx *c)
{
	int64_t now;
	return ps_app_clock_set(c, CLOCK_TO, &now);
}

static ps_code clock_only_tx(struct ps_ctx *c, void *arg)
{
	int64_t *t = arg;
	ps_code rc = c->st->ops->clock_set(c->st, *t, &c->err);
	return rc != PS_OK ? rc : ps_app_audit(c, 0, "clock.set", "clock", "{\"now\":\"" CLOCK_TO "\"}");
}

static ps_code uc_clock_set_only(struct ps_ctx *c)
{
	int64_t t;
	if (!ps_time_parse(CLOCK_TO, &t))
		return PS_INTERNAL;
	c->now = t;
	return ps_app_tx(c, clock_only_tx, &t);
}

static ps_code uc_support(struct ps_ctx *c)
{
	struct ps_support_request s;
	memset(&s, 0, sizeof s);
	s.subscription_id = sub_id;
	snprintf(s.reason_codes, sizeof s.reason_codes, "%s", "prepaid_plan");
	return ps_app_support_open(c, tenant_id, &s, "Please help");
}

/* The sweep reads only: it is checked apart (test_sweep_failure_points). */
static bool count_verdict(void *arg, const struct ps_snapshot *snap, const struct ps_verdict *v)
{
	(*(int *)arg)++;
	return true;
}

static ps_code uc_sweep(struct ps_ctx *c)
{
	struct ps_fleet_sum sum;
	int seen = 0;
	/* With a callback the sweep runs on this handle, by snapshot_scan. */
	ps_code rc = ps_app_sweep(c, count_verdict, &seen, &sum);
	return rc == PS_OK && seen == 0 ? PS_INTERNAL : rc;
}

/* A new catalog version (PUT /v1/catalog): the demo catalog again, held
 * against the plans in use (plan_live_count), stored, audited. */
static ps_code uc_catalog_load(struct ps_ctx *c)
{
	struct ps_catalog_version v;
	return ps_app_catalog_load(c, (const char *)ps_demo_catalog, ps_demo_catalog_len, &v);
}

static ps_code uc_webhook_create(struct ps_ctx *c)
{
	struct ps_webhook w;
	struct ps_webhook_in in = {.url = "https://erp.example/in", .types = "payment.received,invoice.issued",
				   .types_set = true, .tenant = tenant_id};
	return ps_app_webhook_create(c, &in, &w);
}

static ps_code uc_webhook_disable(struct ps_ctx *c)
{
	struct ps_webhook w;
	struct ps_webhook_in in = {.url = "http://127.0.0.1:9/moved", .enabled_set = true, .enabled = false};
	return ps_app_webhook_update(c, webhook_on, &in, &w);
}

static ps_code uc_webhook_enable(struct ps_ctx *c)
{
	struct ps_webhook w;
	struct ps_webhook_in in = {.enabled_set = true, .enabled = true};
	return ps_app_webhook_update(c, webhook_off, &in, &w);
}

static ps_code uc_webhook_rotate(struct ps_ctx *c)
{
	struct ps_webhook w;
	return ps_app_webhook_rotate(c, webhook_on, &w);
}

static ps_code uc_webhook_delete(struct ps_ctx *c)
{
	return ps_app_webhook_delete(c, webhook_on);
}

static const struct {
	const char *name;
	use_case fn;
} cases[] = {
	{"tenant create", uc_tenant},   {"token create", uc_token},     {"user create", uc_user},
	{"token named", uc_token_named}, {"token revoke", uc_token_revoke}, {"sign in", uc_session},
	{"sign out", uc_sign_out},
	{"purchase", uc_purchase},      {"quantity up", uc_quantity_up}, {"quantity down", uc_quantity_down},
	{"quantity over the limit", uc_quantity_over_limit},
	{"cancel", uc_cancel},          {"cancel at term end", uc_cancel_later}, {"status", uc_status},          {"assign", uc_assign},
	{"unassign", uc_unassign},      {"seats in bulk", uc_seats_bulk}, {"users in bulk", uc_users_bulk}, {"incident open", uc_incident}, {"incident resolve", uc_resolve},
	{"payment", uc_pay},            {"upgrade", uc_upgrade},        {"switch", uc_switch},
	{"upgrade at term end", uc_schedule},
	{"renewals", uc_renewals},      {"credit decision", uc_credit}, {"support request", uc_support},
	{"operation fail", uc_op_fail}, {"new subscription disabled", uc_disable_new},
	{"scheduled op cancel", uc_op_cancel_scheduled}, {"scheduled op fail", uc_op_fail_scheduled},
	{"incident update", uc_incident_update}, {"cancel now, scheduled", uc_cancel_now_scheduled},
	{"clock set", uc_clock},
	{"switch of some users", uc_switch_some},
	{"catalog load", uc_catalog_load},
	{"webhook create", uc_webhook_create}, {"webhook disable", uc_webhook_disable},
	{"webhook enable", uc_webhook_enable}, {"webhook rotate", uc_webhook_rotate},
	{"webhook delete", uc_webhook_delete},
};

/* A use case of several transactions: the state after its first commit
 * alone, which a failure after it also leaves whole. NULL: one transaction. */
static use_case first_of(use_case fn)
{
	return fn == uc_clock ? uc_clock_set_only : NULL;
}

/* Run fn on a fresh copy of the pristine store, failing at call fail_at.
 * Returns the code; *reached says whether the failure was injected. */
static ps_code run_once(use_case fn, int fail_at, bool *reached, int *calls)
{
	const char *suffix[] = {"-wal", "-shm"};
	char p[320];
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s%s", work, suffix[i]);
		unlink(p);
	}
	ps_fixture_copy(pristine, work);
	struct ps_err err = {0};
	struct ps_store *inner;
	assert_int_equal(ps_store_open(work, &inner, &err), PS_OK);
	struct fs *f = fs_wrap(inner, fail_at, NULL);
	struct ps_ctx c;
	ctx_on(&c, &f->base);
	ps_code rc = fn(&c);
	*reached = f->failed;
	*calls = f->calls;
	ps_ctx_fini(&c);
	ps_store_close(&f->base);
	return rc;
}

static void test_every_failure_point(void **state)
{
	char *before = ps_fixture_fingerprint(pristine);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		bool reached;
		int calls;
		/* Without failures the use case works and changes something. */
		ps_code rc = run_once(cases[k].fn, 0, &reached, &calls);
		if (rc != PS_OK)
			fail_msg("case %s without failures: got %s, want ok", cases[k].name, ps_code_api(rc));
		char *after = ps_fixture_fingerprint(work);
		if (strcmp(after, before) == 0)
			fail_msg("case %s without failures: got no change in the store, want one", cases[k].name);
		ps_free(after);
		print_message("%-18s %3d store calls, each failed in turn\n", cases[k].name, calls);
		/* Fail each of its store calls in turn. */
		int total = calls;
		char *first = NULL;
		if (first_of(cases[k].fn)) {
			if ((rc = run_once(first_of(cases[k].fn), 0, &reached, &calls)) != PS_OK)
				fail_msg("case %s, its first transaction alone: got %s, want ok", cases[k].name,
					 ps_code_api(rc));
			first = ps_fixture_fingerprint(work);
		}
		for (int n = 1; n <= total; n++) {
			rc = run_once(cases[k].fn, n, &reached, &calls);
			if (!reached)
				fail_msg("case %s failing call %d: the call was not reached", cases[k].name, n);
			if (rc == PS_OK)
				fail_msg("case %s failing call %d: got ok, want an error", cases[k].name, n);
			char *now = ps_fixture_fingerprint(work);
			if (strcmp(now, before) != 0 && !(first && strcmp(now, first) == 0))
				fail_msg("case %s failing call %d (%s): the store changed; want it untouched%s",
					 cases[k].name, n, ps_code_api(rc), first ? " or its first transaction whole" : "");
			ps_free(now);
		}
		ps_free(first);
	}
	ps_free(before);
	/* Every method the use cases can reach is reached: the methods left are
	 * those no write use case calls (reads of the lists and the views, the
	 * commands' own), each said here, so that a new write method is failed
	 * in turn or added to this list on purpose. */
	static const char *const not_written_by_use_cases[] = {
	    /* the commands' own (init, serve's start) */
	    "close", "rollback", "migrate", "check_schema", "catalog_put", "catalog_get",
	    /* reads: the lists and views, authentication, the manual clock */
	    "token_find", "tenant_list", "user_list", "incident_list", "audit_list", "clock_get", "invoice_get",
	    "payment_list", "credit_check_list", "operation_list", "support_list",
	    /* the request's catalog version check, before any use case (ps_app_catalog_use) */
	    "catalog_version", "catalog_version_list", "versions",
	    /* a load that drops a plan counts its live subscriptions (66-catalog-versions) */
	    "plan_live_count",
	    /* reads: the token and incident lists, a session's lookup */
	    "token_list", "session_find", "incident_note_list",
	    /* around a request, once a minute (test_access.c) */
	    "session_touch",
	    /* the job runner's own transactions (test_jobs.c; 64-time's kill -9 in
	     * the middle of a run) */
	    "job_delete", "job_update",
	    /* around a use case, not in it (idem.c; test_access.c) */
	    "idem_find", "idem_insert", "idem_purge", "idem_complete", "idem_delete", "idem_take",
	    /* in a use case's transaction only when the request holds a key (failover) */
	    "idem_changed",
	    /* serve --db-read's, around a request (server.c) */
	    "wal_position",
	    /* the sweep's (test_sweep_failure_points) */
	    "snapshot_scan",
	    /* GET /metrics, a read (13-metrics) */
	    "operation_count",
	    /* the event outbox's reads (the events list, `events tail`: 92-events) */
	    "event_list",
	    /* webhooks: the lists, and the delivery pass's own short transactions
	     * around its POSTs (deliver.c; 75-webhooks: a kill -9 between commit
	     * and delivery, three daemons on one store) */
	    "webhook_list", "webhook_advance", "delivery_list", "delivery_count_due", "delivery_insert",
	    "delivery_claim", "delivery_record", "event_get",
	};
	for (int m = 0; m < FS_M__COUNT; m++) {
		bool listed = false;
		for (size_t i = 0; i < sizeof not_written_by_use_cases / sizeof not_written_by_use_cases[0]; i++)
			listed = listed || strcmp(not_written_by_use_cases[i], fs_method_names[m]) == 0;
		if (fs_hits[m] == 0 && !listed)
			fail_msg("case store method %s: no use case here calls it; want one failing at each of its "
				 "calls, or the method listed with why",
				 fs_method_names[m]);
	}
}

/* The sweep's scan path: each store call it makes fails in turn, and the
 * failure comes back as an error (never a sweep that skipped tenants). */
static void test_sweep_failure_points(void **state)
{
	char *before = ps_fixture_fingerprint(pristine);
	bool reached;
	int calls;
	ps_code rc = run_once(uc_sweep, 0, &reached, &calls);
	if (rc != PS_OK)
		fail_msg("case sweep without failures: got %s, want ok", ps_code_api(rc));
	print_message("%-18s %3d store calls, each failed in turn\n", "sweep", calls);
	for (int n = 1, total = calls; n <= total; n++) {
		rc = run_once(uc_sweep, n, &reached, &calls);
		if (!reached)
			fail_msg("case sweep failing call %d: the call was not reached", n);
		if (rc == PS_OK)
			fail_msg("case sweep failing call %d: got ok, want an error", n);
		char *now = ps_fixture_fingerprint(work);
		if (strcmp(now, before) != 0)
			fail_msg("case sweep failing call %d: the store changed; want it untouched", n);
		ps_free(now);
	}
	ps_free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_failure_point, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_failure_points, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
