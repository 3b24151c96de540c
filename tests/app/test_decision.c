/* test_decision.c: the one decision, proved on random tenants (RULES second
 * part, "One decision"). Thousands of tenants are generated from a seed
 * (printed; PS_TEST_SEED overrides it) on a real SQLite store, with users,
 * subscriptions in every status, add-ons, seat conflicts, an incident,
 * unfinished operations, credit checks, past-due invoices, prepaid terms,
 * segments and plans missing from the catalog. For each subscription and
 * each target on offer: "tab eligible" <=> "the upgrade succeeds", "switch
 * preview allowed" <=> "the switch succeeds", each run inside a transaction
 * rolled back afterwards; after every change that succeeded, the store's
 * invariants hold (assigned = assignment rows, no user with two seats of
 * one product, nobody who held a license lost it). Manual changes by seat
 * too (RULES second part): a switch of some of a subscription's users
 * (`users`, now and then with a stranger among them) and a switch into
 * another subscription of the tenant (`into`): preview allowed <=> the
 * switch succeeds, the same invariants, and the money invoiced is the
 * preview's (charge - credit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/ps_app.h"
#include "app/ps_demo.h"
#include "common/ps_mem.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
#define PS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PS_SANITIZED 1
#endif
#endif

#define NOW 1795770000 /* 2026-11-27T09:00:00Z */
#define DAY 86400

/* ---- a store whose transactions are the test's ------------------------- */

/* Every method passes through but begin, commit and rollback, which do
 * nothing: the test holds one transaction open on the inner store around a
 * use case and rolls it back, so the change is seen, checked and undone. */
struct pinned {
	struct ps_store base;
	struct ps_store *in;
};

static ps_code pin_begin(struct ps_store *st, enum ps_tx kind, struct ps_err *err)
{
	return PS_OK;
}

static ps_code pin_commit(struct ps_store *st, struct ps_err *err)
{
	return PS_OK;
}

static void p_rollback(struct ps_store *st)
{
}

static void p_close(struct ps_store *st)
{
	ps_free(st);
}

#define P_ps_code(name, params, args)                                                                      \
	static ps_code p_##name params                                                                     \
	{                                                                                                  \
		st = ((struct pinned *)st)->in;                                                            \
		return st->ops->name args;                                                                 \
	}
#define P_void(name, params, args)
#define P(ret, name, params, args) P_##ret(name, params, args)
PS_STORE_METHODS(P)
#define P_OP(ret, name, params, args) .name = p_##name,
static struct ps_store_ops pinned_ops = {.name = "pinned", PS_STORE_METHODS(P_OP)};

/* ---- randomness from one seed ---------------------------------------------- */

static uint64_t rng;

static uint64_t next(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static bool chance(unsigned percent)
{
	return pick(100) < percent;
}

/* ---- fixtures --------------------------------------------------------------- */

static char dir[256], path[300];
static struct ps_app app;
static struct ps_store *inner, *pinned;
static uint64_t seed;

static void ctx_on(struct ps_ctx *c, struct ps_store *st, int64_t now)
{
	ps_ctx_init(c, &app, st);
	c->now = now;
	c->who.role = PS_ROLE_OPERATOR;
	c->who.token_id = 1;
	snprintf(c->request_id, sizeof c->request_id, "%s", "decision");
}

static int setup(void **state)
{
	const char *s = getenv("PS_TEST_SEED");
	seed = s && *s ? strtoull(s, NULL, 10) : 20261127u;
	if (seed == 0)
		seed = 1;
	rng = seed;
	/* A store in memory-backed storage when there is one: thousands of
	 * commits, each synced. */
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/planshift-decision-XXXXXX", tmp);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/store.db", dir);
	ps_fixture_store(path, ps_demo_catalog, ps_demo_catalog_len, NOW, &app, &inner);
	struct pinned *p = ps_calloc(1, sizeof *p);
	pinned_ops.begin = pin_begin;
	pinned_ops.commit = pin_commit;
	p->base.ops = &pinned_ops;
	p->in = inner;
	pinned = &p->base;
	return 0;
}

static int teardown(void **state)
{
	ps_store_close(pinned);
	ps_store_close(inner);
	ps_app_fini(&app);
	ps_fixture_remove(path);
	rmdir(dir);
	return 0;
}

/* ---- one random tenant ------------------------------------------------------- */

#define MAX_SUBS 8
#define MAX_USERS 6

struct world {
	int64_t tenant;
	int64_t subs[MAX_SUBS];
	size_t n_subs;
	int64_t users[MAX_USERS];
	size_t n_users;
	int64_t now; /* when it is checked */
};

static const char *const base_plans[] = {"biz-basic", "biz-standard", "biz-premium", "ent-e3", "ent-e5",
					 "mail-p1", "mail-p2", "biz-basic-gov", "biz-basic-np", "biz-standard-np"};
static const char *const segments[] = {"commercial", "commercial", "commercial", "education", "government",
				       "nonprofit"};

static void make_tenant(struct ps_ctx *c, int k, struct world *w)
{
	char name[64];
	struct ps_tenant t;
	snprintf(name, sizeof name, "Tenant %d", k);
	bool invoice = chance(60);
	struct ps_tenant_in tin = {.name = name,
				   .segment = segments[pick(6)],
				   .payment = invoice ? "invoice" : "card",
				   .currency = "EUR",
				   .credit_limit = invoice && chance(25) ? 500 : 100000000,
				   .has_credit_limit = true};
	assert_int_equal(ps_app_tenant_create(c, &tin, &t), PS_OK);
	memset(w, 0, sizeof *w);
	w->tenant = t.id;
	w->now = chance(30) ? NOW + 40 * DAY : NOW + DAY; /* past due invoices, renewals */
	w->n_users = pick(MAX_USERS + 1);
	for (size_t i = 0; i < w->n_users; i++) {
		char upn[64];
		struct ps_user u;
		snprintf(upn, sizeof upn, "u%zu@t%d.example", i, k);
		assert_int_equal(ps_app_user_create(c, t.id, upn, "User", &u), PS_OK);
		w->users[i] = u.id;
	}
	size_t n = 1 + pick(3);
	for (size_t i = 0; i < n; i++) {
		struct ps_purchase_in in = {.plan = base_plans[pick(sizeof base_plans / sizeof base_plans[0])],
					    .quantity = 1 + pick(4),
					    .term = chance(30) ? "annual" : "monthly",
					    .prepaid = chance(15)};
		struct ps_subscription s;
		struct ps_credit_check cc;
		if (ps_app_purchase(c, t.id, &in, &s, &cc) == PS_OK)
			w->subs[w->n_subs++] = s.id;
	}
	/* Add-ons on a base (they attach to business and enterprise plans). */
	if (w->n_subs > 0 && chance(25)) {
		struct ps_purchase_in in = {.plan = "voice-addon", .quantity = 1, .term = "monthly",
					    .addon_of = w->subs[pick((unsigned)w->n_subs)]};
		struct ps_subscription s;
		struct ps_credit_check cc;
		if (ps_app_purchase(c, t.id, &in, &s, &cc) == PS_OK)
			w->subs[w->n_subs++] = s.id;
	}
	/* A plan the catalog no longer has. */
	if (chance(3)) {
		struct ps_subscription s = {.tenant_id = t.id, .quantity = 2, .status = PS_SUB_ACTIVE,
					    .term = PS_TERM_MONTHLY, .term_start = NOW, .term_end = NOW + 30 * DAY,
					    .billed_through = NOW + 30 * DAY, .created_at = NOW};
		snprintf(s.plan_id, sizeof s.plan_id, "%s", "retired-plan");
		snprintf(s.product_id, sizeof s.product_id, "%s", "business");
		struct ps_err err = {0};
		if (inner->ops->sub_insert(inner, &s, &err) == PS_OK)
			w->subs[w->n_subs++] = s.id;
	}
	ps_err_clear(&c->err);
	/* Seats: each user on one or two subscriptions (the store refuses a
	 * second seat of one product). */
	for (size_t i = 0; i < w->n_users && w->n_subs > 0; i++) {
		size_t tries = 1 + pick(2);
		for (size_t j = 0; j < tries; j++)
			ps_app_assign(c, t.id, w->subs[pick((unsigned)w->n_subs)], w->users[i], NULL);
	}
	/* Conflicts, lifecycles, unfinished operations. */
	for (size_t i = 0; i < w->n_subs; i++) {
		struct ps_subscription s;
		unsigned r = pick(100);
		if (r < 8)
			ps_app_set_quantity(c, t.id, w->subs[i], 1, &s);
		else if (r < 14)
			ps_app_set_status(c, t.id, w->subs[i], "expired", &s);
		else if (r < 19)
			ps_app_set_status(c, t.id, w->subs[i], "disabled", &s);
		else if (r < 22)
			ps_app_set_status(c, t.id, w->subs[i], "provisioning", &s);
		else if (r < 26)
			ps_app_cancel(c, t.id, w->subs[i], &s);
	}
	if (w->n_subs > 0 && chance(10)) {
		struct ps_change_in in = {.target_plan = base_plans[pick(7)]};
		struct ps_operation op;
		struct ps_decision refusal;
		app.provisioning_manual = chance(50);
		ps_app_upgrade(c, t.id, w->subs[pick((unsigned)w->n_subs)], &in, &op, &refusal);
		app.provisioning_manual = false;
	}
	ps_err_clear(&c->err);
}

/* ---- invariants ---------------------------------------------------------------- */

struct seat {
	int64_t user, sub;
	char product[PS_ID_MAX + 1];
};

struct seats {
	struct seat v[256];
	size_t n;
	int64_t counted; /* rows of the subscription being walked */
};

static bool take_seat(void *arg, const struct ps_assignment *a)
{
	struct seats *k = arg;
	if (k->n < sizeof k->v / sizeof k->v[0]) {
		k->v[k->n].user = a->user_id;
		k->v[k->n].sub = a->subscription_id;
		snprintf(k->v[k->n].product, sizeof k->v[k->n].product, "%s", a->product_id);
		k->n++;
	}
	k->counted++;
	return true;
}

struct sub_acc {
	struct ps_subscription v[64];
	size_t n;
};

static bool take_sub(void *arg, const struct ps_subscription *s)
{
	struct sub_acc *a = arg;
	if (a->n < sizeof a->v / sizeof a->v[0])
		a->v[a->n++] = *s;
	return true;
}

/* Every seat of the tenant into *out; fails the test when a subscription's
 * assigned count differs from its rows. */
static void load_seats(int64_t tenant, struct seats *out, const char *when)
{
	struct ps_err err = {0};
	struct sub_acc subs = {.n = 0};
	out->n = 0;
	assert_int_equal(inner->ops->sub_list(inner, tenant, 0, 0, take_sub, &subs, &err), PS_OK);
	for (size_t i = 0; i < subs.n; i++) {
		out->counted = 0;
		assert_int_equal(inner->ops->assignment_list(inner, tenant, subs.v[i].id, 0, 0, take_seat, out, &err),
				 PS_OK);
		if (out->counted != subs.v[i].assigned)
			fail_msg("seed %" PRIu64 ", tenant %" PRId64 ", %s: subscription %" PRId64
				 " has assigned %" PRId64 " but %" PRId64 " rows",
				 seed, tenant, when, subs.v[i].id, subs.v[i].assigned, out->counted);
	}
}

static void check_invariants(int64_t tenant, const struct seats *before, const char *what)
{
	struct seats *after = ps_malloc(sizeof *after);
	load_seats(tenant, after, what);
	for (size_t i = 0; i < after->n; i++)
		for (size_t j = i + 1; j < after->n; j++)
			if (after->v[i].user == after->v[j].user &&
			    strcmp(after->v[i].product, after->v[j].product) == 0)
				fail_msg("seed %" PRIu64 ", tenant %" PRId64 ", %s: user %" PRId64
					 " holds two seats of %s",
					 seed, tenant, what, after->v[i].user, after->v[i].product);
	/* An add-on the target does not take ends with an acknowledged switch
	 * (RULES "Manual changes by seat"): its seats go with it. */
	struct sub_acc *subs = ps_calloc(1, sizeof *subs);
	struct ps_err err = {0};
	assert_int_equal(inner->ops->sub_list(inner, tenant, 0, 0, take_sub, subs, &err), PS_OK);
	for (size_t i = 0; i < before->n; i++) {
		bool holds = false;
		for (size_t j = 0; j < subs->n && !holds; j++)
			holds = subs->v[j].id == before->v[i].sub && subs->v[j].addon_of != 0 &&
				subs->v[j].status == PS_SUB_CANCELLED;
		for (size_t j = 0; j < after->n && !holds; j++)
			holds = after->v[j].user == before->v[i].user;
		if (!holds)
			fail_msg("seed %" PRIu64 ", tenant %" PRId64 ", %s: user %" PRId64
				 " lost every license (held %s on subscription %" PRId64 ")",
				 seed, tenant, what, before->v[i].user, before->v[i].product, before->v[i].sub);
	}
	ps_free(subs);
	ps_free(after);
}

/* ---- the property ---------------------------------------------------------------- */

static void outer_begin(void)
{
	struct ps_err err = {0};
	assert_int_equal(inner->ops->begin(inner, PS_TX_WRITE, &err), PS_OK);
}

static void outer_rollback(void)
{
	inner->ops->rollback(inner);
}

struct tally {
	long tenants, subs, upgrades_ok, upgrades_refused, switches_ok, switches_refused;
	long by_seat_ok, by_seat_refused;
};

static bool add_invoice(void *arg, const struct ps_invoice *inv)
{
	*(int64_t *)arg += inv->amount;
	return true;
}

/* What the tenant has been invoiced in all (credit notes negative). */
static int64_t invoiced(int64_t tenant)
{
	int64_t sum = 0;
	struct ps_err err = {0};
	assert_int_equal(inner->ops->invoice_list(inner, tenant, false, 0, 0, add_invoice, &sum, &err), PS_OK);
	return sum;
}

/* Run the change (upgrade or switch) inside a transaction rolled back
 * afterwards; true when it went through, the invariants checked. */
static bool run_change_money(struct ps_ctx *c, const struct world *w, int64_t sub, const struct ps_change_in *in,
			     bool upgrade, const char *what, int64_t *money, bool *waits)
{
	struct ps_operation op;
	struct ps_decision refusal;
	struct seats *before = ps_malloc(sizeof *before);
	outer_begin();
	load_seats(w->tenant, before, "before");
	ps_ctx_reset(c, w->now, "decision");
	/* No renewal first: a change decides on the state the tab shows (the
	 * periods due are the job runner's), so the money measured is the
	 * change's own, as its preview computed it. */
	int64_t m0 = money ? invoiced(w->tenant) : 0;
	ps_code rc = upgrade ? ps_app_upgrade(c, w->tenant, sub, in, &op, &refusal)
			     : ps_app_switch(c, w->tenant, sub, in, &op, &refusal);
	if (rc == PS_OK)
		check_invariants(w->tenant, before, what);
	if (rc == PS_OK && money) {
		*money = invoiced(w->tenant) - m0;
		*waits = op.state == PS_OP_PENDING_CREDIT_CHECK;
	}
	outer_rollback();
	ps_free(before);
	return rc == PS_OK;
}

static bool run_change(struct ps_ctx *c, const struct world *w, int64_t sub, const struct ps_change_in *in,
		       bool upgrade, const char *what)
{
	return run_change_money(c, w, sub, in, upgrade, what, NULL, NULL);
}

struct users_of_sub {
	int64_t v[64];
	size_t n;
};

static bool take_user(void *arg, const struct ps_assignment *a)
{
	struct users_of_sub *u = arg;
	if (u->n < sizeof u->v / sizeof u->v[0])
		u->v[u->n++] = a->user_id;
	return true;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* One manual change by seat of sub: some of its users (now and then with
 * a user of the tenant who holds no seat of it) or into another of the
 * tenant's subscriptions. Preview allowed <=> it succeeds; its money is
 * the preview's. */
static void check_by_seat(struct ps_ctx *c, const struct world *w, int64_t sub, struct tally *t)
{
	struct users_of_sub u = {.n = 0};
	struct ps_err err = {0};
	assert_int_equal(inner->ops->assignment_list(inner, w->tenant, sub, 0, 0, take_user, &u, &err), PS_OK);
	int64_t ids[MAX_USERS + 1];
	size_t n = 0;
	char json[256];
	struct ps_change_in in = {.acknowledge_data_loss = chance(50), .acknowledge_addons = chance(50)};
	const char *what;
	if (u.n > 0 && chance(50)) {
		for (size_t i = 0; i < u.n && n < MAX_USERS; i++)
			if (chance(60) || (i + 1 == u.n && n == 0))
				ids[n++] = u.v[i];
		if (chance(10) && w->n_users > 0)
			ids[n++] = w->users[pick((unsigned)w->n_users)];
		qsort(ids, n, sizeof *ids, cmp_i64);
		size_t w2 = 0;
		for (size_t i = 0; i < n; i++)
			if (w2 == 0 || ids[w2 - 1] != ids[i])
				ids[w2++] = ids[i];
		n = w2;
		size_t len = (size_t)snprintf(json, sizeof json, "[");
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(json + len, sizeof json - len, "%s%" PRId64, i ? "," : "", ids[i]);
		snprintf(json + len, sizeof json - len, "]");
		in.target_plan = base_plans[pick(sizeof base_plans / sizeof base_plans[0])];
		in.user_ids = ids;
		in.n_users = n;
		in.users_json = json;
		what = "switch of some users";
	} else if (w->n_subs > 1) {
		in.into = w->subs[pick((unsigned)w->n_subs)];
		what = "switch into another subscription";
	} else {
		return;
	}
	struct ps_change_plan plan;
	struct ps_decision tab;
	outer_begin();
	ps_ctx_reset(c, w->now, "decision");
	ps_code rc = ps_app_preview(c, w->tenant, sub, PS_OPK_SWITCH, &in, &plan, &tab);
	outer_rollback();
	bool allowed = rc == PS_OK && plan.allowed;
	int64_t money = 0;
	bool waits = false;
	bool ok = run_change_money(c, w, sub, &in, false, what, &money, &waits);
	if (ok != allowed)
		fail_msg("seed %" PRIu64 ", tenant %" PRId64 ": the preview of the %s of sub %" PRId64
			 " says %s, the switch %s (%s)",
			 seed, w->tenant, what, sub, allowed ? "allowed" : "not allowed", ok ? "succeeded" : "was refused",
			 ok ? "" : c->err.msg);
	if (ok && !waits && money != plan.charge - plan.credit)
		fail_msg("seed %" PRIu64 ", tenant %" PRId64 ": the %s of sub %" PRId64 " invoiced %" PRId64
			 ", its preview said %" PRId64 " - %" PRId64,
			 seed, w->tenant, what, sub, money, plan.charge, plan.credit);
	ok ? t->by_seat_ok++ : t->by_seat_refused++;
}

static void check_tenant(struct ps_ctx *c, const struct world *w, struct tally *t)
{
	for (size_t i = 0; i < w->n_subs; i++) {
		struct ps_decision tab;
		int64_t sub = w->subs[i];
		char what[160];
		/* The tab, as the admin sees it (its own writes undone). */
		outer_begin();
		ps_ctx_reset(c, w->now, "decision");
		ps_code rc = ps_app_upgrades(c, w->tenant, sub, 0, &tab);
		outer_rollback();
		assert_int_equal(rc, PS_OK);
		t->subs++;
		size_t n = tab.verdict->n_offers;
		char targets[PS_OFFER_MAX][PS_ID_MAX + 1];
		bool eligible[PS_OFFER_MAX];
		for (size_t k = 0; k < n; k++) {
			snprintf(targets[k], sizeof targets[k], "%s", tab.verdict->offers[k].plan->id);
			eligible[k] = tab.verdict->offers[k].eligible;
		}
		/* A manual change is also offered where the upgrade is not: a
		 * random plan of the catalog. */
		const char *extra = base_plans[pick(sizeof base_plans / sizeof base_plans[0])];
		for (size_t k = 0; k <= n; k++) {
			const char *target = k < n ? targets[k] : extra;
			struct ps_change_in in = {.target_plan = target,
						  .acknowledge_data_loss = chance(50),
						  .acknowledge_addons = chance(50)};
			struct ps_change_plan plan;
			if (k < n) {
				/* The upgrade preview says what the tab says. */
				outer_begin();
				ps_ctx_reset(c, w->now, "decision");
				rc = ps_app_preview(c, w->tenant, sub, PS_OPK_UPGRADE, &in, &plan, &tab);
				outer_rollback();
				if ((rc == PS_OK && plan.allowed) != eligible[k])
					fail_msg("seed %" PRIu64 ", tenant %" PRId64 ": the tab says %s %s, the upgrade "
						 "preview %s",
						 seed, w->tenant, target, eligible[k] ? "eligible" : "not eligible",
						 rc == PS_OK && plan.allowed ? "allowed" : "not allowed");
				snprintf(what, sizeof what, "upgrade of sub %" PRId64 " to %s", sub, target);
				bool ok = run_change(c, w, sub, &in, true, what);
				if (ok != eligible[k])
					fail_msg("seed %" PRIu64 ", tenant %" PRId64 ": the tab says %s %s, the upgrade %s "
						 "(%s)",
						 seed, w->tenant, target, eligible[k] ? "eligible" : "not eligible",
						 ok ? "succeeded" : "was refused", ok ? "" : c->err.msg);
				ok ? t->upgrades_ok++ : t->upgrades_refused++;
			}
			outer_begin();
			ps_ctx_reset(c, w->now, "decision");
			rc = ps_app_preview(c, w->tenant, sub, PS_OPK_SWITCH, &in, &plan, &tab);
			outer_rollback();
			bool allowed = rc == PS_OK && plan.allowed;
			snprintf(what, sizeof what, "switch of sub %" PRId64 " to %s", sub, target);
			bool ok = run_change(c, w, sub, &in, false, what);
			if (ok != allowed)
				fail_msg("seed %" PRIu64 ", tenant %" PRId64 ": the switch preview of sub %" PRId64
					 " to %s says %s, the switch %s (%s)",
					 seed, w->tenant, sub, target, allowed ? "allowed" : "not allowed",
					 ok ? "succeeded" : "was refused", ok ? "" : c->err.msg);
			ok ? t->switches_ok++ : t->switches_refused++;
		}
		check_by_seat(c, w, sub, t);
	}
	t->tenants++;
}

static void test_one_decision(void **state)
{
	long count = 5000;
#ifdef PS_SANITIZED
	count = 1000; /* ASan and UBSan make each call several times slower */
#endif
	const char *n = getenv("PS_TEST_TENANTS");
	if (n && *n)
		count = strtol(n, NULL, 10);
	printf("# seed %" PRIu64 " (PS_TEST_SEED to replay), %ld tenants\n", seed, count);
	struct ps_ctx gen, chk;
	ctx_on(&gen, inner, NOW);
	ctx_on(&chk, pinned, NOW);
	struct ps_incident inc;
	assert_int_equal(ps_app_incident_open(&gen, "security", "degraded", "Alerts are late", NULL, &inc), PS_OK);
	struct tally t = {0};
	struct world w;
	for (long k = 0; k < count; k++) {
		ps_ctx_reset(&gen, NOW, "generate");
		make_tenant(&gen, (int)k, &w);
		check_tenant(&chk, &w, &t);
	}
	printf("# checked %ld tenants, %ld subscriptions: upgrades %ld done / %ld refused, switches %ld done / %ld "
	       "refused, by seat (users, into) %ld done / %ld refused\n",
	       t.tenants, t.subs, t.upgrades_ok, t.upgrades_refused, t.switches_ok, t.switches_refused, t.by_seat_ok,
	       t.by_seat_refused);
	assert_true(t.upgrades_ok > 0 && t.upgrades_refused > 0 && t.switches_ok > 0 && t.switches_refused > 0);
	assert_true(t.by_seat_ok > 0 && t.by_seat_refused > 0);
	ps_ctx_fini(&gen);
	ps_ctx_fini(&chk);
}

/* A twin got there first: the store's one-operation-at-a-time rule refuses
 * the operation. The refusal says upgrade_in_progress, with a time, never
 * the subscription's other reasons the manual change did not mind (here
 * prepaid_plan, which the tab shows). */
static ps_code twin_insert(struct ps_store *st, struct ps_operation *op, struct ps_err *err)
{
	return ps_err_set(err, PS_CONFLICT, "tenant", "one upgrade of a tenant at a time");
}

static void test_twin_refused_as_in_progress(void **state)
{
	struct ps_ctx gen, c;
	struct ps_tenant t;
	struct ps_user u;
	struct ps_subscription s;
	struct ps_credit_check cc;
	ctx_on(&gen, inner, NOW);
	struct ps_tenant_in tin = {.name = "Twin", .segment = "commercial", .payment = "card", .currency = "EUR",
				   .credit_limit = 100000000, .has_credit_limit = true};
	assert_int_equal(ps_app_tenant_create(&gen, &tin, &t), PS_OK);
	struct ps_purchase_in pin = {.plan = "biz-standard", .quantity = 2, .term = "annual", .prepaid = true};
	assert_int_equal(ps_app_purchase(&gen, t.id, &pin, &s, &cc), PS_OK);
	assert_int_equal(ps_app_user_create(&gen, t.id, "twin@t.example", "Twin", &u), PS_OK);
	assert_int_equal(ps_app_assign(&gen, t.id, s.id, u.id, NULL), PS_OK);

	struct ps_store_ops ops = pinned_ops;
	ops.operation_insert = twin_insert;
	struct pinned twin = {.base = {.ops = &ops}, .in = inner};
	ctx_on(&c, &twin.base, NOW + DAY);
	struct ps_change_in in = {.target_plan = "biz-premium"};
	struct ps_operation op;
	struct ps_decision refusal;
	outer_begin();
	ps_code rc = ps_app_switch(&c, t.id, s.id, &in, &op, &refusal);
	outer_rollback();
	assert_int_equal(rc, PS_UPGRADE_BLOCKED);
	assert_non_null(refusal.choice);
	assert_int_equal(refusal.choice->n_reasons, 1);
	assert_int_equal(refusal.choice->reasons[0].code, PS_R_UPGRADE_IN_PROGRESS);
	assert_true(refusal.choice->reasons[0].wait_until > NOW + DAY);
	assert_non_null(ps_verdict_reason(refusal.verdict, PS_R_PREPAID_PLAN)); /* the tab's, not the refusal's */
	ps_ctx_fini(&c);
	ps_ctx_fini(&gen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twin_refused_as_in_progress),
		cmocka_unit_test(test_one_decision),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
