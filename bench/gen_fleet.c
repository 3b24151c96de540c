/* gen_fleet.c: a realistic fleet, written straight into a store made by
 * `planshift init --catalog data/demo-catalog.json` (bench layer). It uses
 * the sqlite3 C API on the real schema (every table, index and trigger is
 * the store's own; the id sequences are bumped by the store's triggers), in
 * big transactions, with foreign-key checks off while writing (the data is
 * consistent by construction: `--check` runs PRAGMA foreign_key_check).
 *
 * The fleet: most tenants small (1 to 30 users), some medium, a few with
 * 10,000 to 100,000 users; one to five subscriptions each; and every reason
 * of the Upgrade tab present somewhere. Special tenants, same shape each:
 *   - 2 x `upgrade-pairs` "upgrade tenants", each with one biz-standard
 *     subscription holding `upgrade-seats` seats, eligible for biz-premium
 *     (the app upgrades the first of each pair, the bare SQL the second, so
 *     both run on the same file and on identical data);
 *   - one "writes tenant" with `writes-users` users and a subscription with
 *     as many free seats (durable single writes);
 *   - the `big` tenants (a comma-separated list of user counts).
 * A meta file lists them, and a sample of (tenant, subscription) pairs for
 * the HTTP load. Deterministic for a given seed and --now. */
#include "common/ps_time.h"

#include <sqlite3.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY PS_DAY

/* ---- randomness (xorshift64*) ----------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [lo, hi]. */
static int64_t between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* True with probability p (0..1). */
static bool chance(double p)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* ---- the catalog's plans, as the generator uses them ------------------- */

struct plan {
	const char *id, *product;
	int64_t price;
	bool upgrades; /* has somewhere to go */
};

static const struct plan P_BASIC = {"biz-basic", "business", 600, true};
static const struct plan P_STANDARD = {"biz-standard", "business", 1250, true};
static const struct plan P_PREMIUM = {"biz-premium", "business", 2200, true};
static const struct plan P_E3 = {"ent-e3", "enterprise", 3600, true};
static const struct plan P_E5 = {"ent-e5", "enterprise", 5700, false};
static const struct plan P_MAIL1 = {"mail-p1", "mail", 400, true};
static const struct plan P_MAIL2 = {"mail-p2", "mail", 800, true};
static const struct plan P_GOV1 = {"biz-basic-gov", "business", 500, true};
static const struct plan P_GOV2 = {"biz-standard-gov", "business", 1000, false};
static const struct plan P_NP1 = {"biz-basic-np", "business", 300, true};
static const struct plan P_NP2 = {"biz-standard-np", "business", 900, false};
static const struct plan P_VOICE = {"voice-addon", "voice", 800, false};
/* Gone from the catalog: the engine's reason `other`. */
static const struct plan P_LEGACY = {"biz-legacy-2019", "business", 500, false};

/* ---- statements ---------------------------------------------------------- */

enum {
	Q_TENANT,
	Q_USER,
	Q_SUB,
	Q_ASSIGN,
	Q_INVOICE,
	Q_LINE,
	Q_PAYMENT,
	Q_OP,
	Q_OP_CC,
	Q_CC,
	Q_AUDIT,
	Q_INCIDENT,
	Q__COUNT
};

static const char *const sql[Q__COUNT] = {
    [Q_TENANT] = "INSERT INTO tenants (id, name, segment, payment, credit_limit, currency, created_at)"
		 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_USER] = "INSERT INTO users (tenant_id, id, upn, display_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_SUB] = "INSERT INTO subscriptions (tenant_id, id, plan_id, product_id, quantity, assigned, status, term,"
	      " prepaid, term_start, term_end, addon_of, replaced_by, created_at, billed_through)"
	      " VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [Q_ASSIGN] = "INSERT INTO assignments (tenant_id, subscription_id, user_id, product_id, assigned_at)"
		 " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_INVOICE] = "INSERT INTO invoices (tenant_id, id, subscription_id, amount, paid, currency, issued_at,"
		  " due_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_LINE] = "INSERT INTO invoice_lines (tenant_id, invoice_id, id, subscription_id, kind, plan_id, quantity,"
	       " period_start, period_end, amount, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [Q_PAYMENT] = "INSERT INTO payments (tenant_id, id, amount, currency, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_OP] = "INSERT INTO operations (tenant_id, id, kind, state, source_sub, target_plan, new_sub, created_at,"
	     " updated_at, quantity, credit_check_id, request_id, detail)"
	     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12)",
    [Q_OP_CC] = "UPDATE operations SET credit_check_id = ?3 WHERE tenant_id = ?1 AND id = ?2",
    [Q_CC] = "INSERT INTO credit_checks (tenant_id, id, status, amount, requested_at, expected_by, decided_at,"
	     " subscription_id, operation_id) VALUES (?1, ?2, 'pending', ?3, ?4, ?5, NULL, ?6, ?7)",
    [Q_AUDIT] = "INSERT INTO audit (tenant_id, id, at, token_id, role, action, object, request_id, detail)"
		" VALUES (?1, ?2, ?3, 1, 'operator', ?4, ?5, 'bench-gen', ?6)",
    [Q_INCIDENT] = "INSERT INTO incidents (id, service_id, status, title, opened_at, resolved_at)"
		   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

static sqlite3 *db;
static sqlite3_stmt *q[Q__COUNT];

static void die(const char *what)
{
	fprintf(stderr, "gen_fleet: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void exec(const char *s)
{
	char *msg = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "gen_fleet: %s: %s\n", s, msg ? msg : "?");
		exit(1);
	}
}

static void step(int id)
{
	if (sqlite3_step(q[id]) != SQLITE_DONE) {
		fprintf(stderr, "gen_fleet: statement %d: %s\n", id, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_reset(q[id]);
}

static void bi(int id, int i, int64_t v)
{
	sqlite3_bind_int64(q[id], i, v);
}

static void bopt(int id, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(q[id], i, v);
	else
		sqlite3_bind_null(q[id], i);
}

static void bt(int id, int i, const char *s)
{
	sqlite3_bind_text(q[id], i, s, -1, SQLITE_TRANSIENT);
}

/* ---- ids: one counter per table, as the store's sequences ------------- */

static int64_t next_user = 1, next_sub = 1, next_invoice = 1, next_line = 1, next_payment = 1, next_op = 1,
	       next_cc = 1, next_audit = 1;

/* ---- the generated rows --------------------------------------------------- */

static int64_t now_s;

struct sub {
	int64_t id;
	const struct plan *plan;
	const char *status;
	int64_t quantity, seats; /* seats: how many users get one (from the first) */
	bool prepaid, annual;
	int64_t term_start, term_end, billed_through;
	int64_t addon_of, replaced_by;
	bool live;
};

struct tenant_plan {
	int64_t id;
	int64_t users;
	const char *segment, *payment, *currency;
	int64_t credit_limit;
	struct sub subs[8];
	int n_subs;
	int64_t first_user;
};

static int64_t paid_total; /* per tenant: what the payment covers */

static void sub_times(struct sub *s)
{
	if (!s->live) {
		s->term_start = now_s - between(400, 800) * DAY;
		s->term_end = now_s - between(20, 300) * DAY;
		s->billed_through = s->term_end;
		return;
	}
	if (s->annual) {
		s->term_start = now_s - between(1, 330) * DAY - between(0, DAY - 1);
		s->term_end = ps_time_add_months(s->term_start, 12);
		if (s->prepaid) {
			s->billed_through = s->term_end;
		} else {
			int k = 1;
			while (ps_time_add_months(s->term_start, k) <= now_s)
				k++;
			s->billed_through = ps_time_add_months(s->term_start, k);
		}
	} else {
		s->term_start = now_s - between(1, 27) * DAY - between(0, DAY - 1);
		s->term_end = ps_time_add_months(s->term_start, 1);
		s->billed_through = s->term_end;
	}
}

static struct sub *add_sub(struct tenant_plan *t, const struct plan *p, const char *status, int64_t quantity,
			   int64_t seats)
{
	struct sub *s = &t->subs[t->n_subs++];
	memset(s, 0, sizeof *s);
	s->id = next_sub++;
	s->plan = p;
	s->status = status;
	s->live = strcmp(status, "active") == 0 || strcmp(status, "provisioning") == 0 ||
		  strcmp(status, "disabled") == 0;
	s->quantity = quantity;
	s->seats = seats;
	s->annual = chance(0.2);
	return s;
}

static void write_invoice(const struct tenant_plan *t, const struct sub *s, const char *kind, int64_t issued,
			  int64_t start, int64_t end, int64_t amount, bool paid)
{
	int64_t inv = next_invoice++;
	bi(Q_INVOICE, 1, t->id);
	bi(Q_INVOICE, 2, inv);
	bi(Q_INVOICE, 3, s->id);
	bi(Q_INVOICE, 4, amount);
	bi(Q_INVOICE, 5, paid ? amount : 0);
	bt(Q_INVOICE, 6, t->currency);
	bi(Q_INVOICE, 7, issued);
	bi(Q_INVOICE, 8, issued + 30 * DAY);
	bt(Q_INVOICE, 9, paid ? "paid" : "open");
	step(Q_INVOICE);
	if (paid)
		paid_total += amount;
	char desc[160];
	snprintf(desc, sizeof desc, "%s, %" PRId64 " seats", s->plan->id, s->quantity);
	bi(Q_LINE, 1, t->id);
	bi(Q_LINE, 2, inv);
	bi(Q_LINE, 3, next_line++);
	bi(Q_LINE, 4, s->id);
	bt(Q_LINE, 5, kind);
	bt(Q_LINE, 6, s->plan->id);
	bi(Q_LINE, 7, s->quantity);
	bi(Q_LINE, 8, start);
	bi(Q_LINE, 9, end);
	bi(Q_LINE, 10, amount);
	bt(Q_LINE, 11, desc);
	step(Q_LINE);
}

static int64_t write_op(const struct tenant_plan *t, const char *kind, const char *state, int64_t source,
			const char *target, int64_t new_sub, int64_t created, int64_t quantity)
{
	int64_t id = next_op++;
	char req[32];
	snprintf(req, sizeof req, "req_gen_%" PRId64, id);
	bi(Q_OP, 1, t->id);
	bi(Q_OP, 2, id);
	bt(Q_OP, 3, kind);
	bt(Q_OP, 4, state);
	bi(Q_OP, 5, source);
	bt(Q_OP, 6, target);
	bopt(Q_OP, 7, new_sub);
	bi(Q_OP, 8, created);
	bi(Q_OP, 9, created);
	bi(Q_OP, 10, quantity);
	bt(Q_OP, 11, req);
	bt(Q_OP, 12, strcmp(state, "completed") == 0 ? "{\"moved\":1,\"license_errors\":[]}" : "{\"moved\":0,\"license_errors\":[]}");
	step(Q_OP);
	return id;
}

static int64_t write_cc(const struct tenant_plan *t, int64_t amount, int64_t sub, int64_t op)
{
	int64_t id = next_cc++;
	bi(Q_CC, 1, t->id);
	bi(Q_CC, 2, id);
	bi(Q_CC, 3, amount);
	bi(Q_CC, 4, now_s - between(1, 40) * 3600);
	bi(Q_CC, 5, now_s + 2 * DAY);
	bopt(Q_CC, 6, sub);
	bopt(Q_CC, 7, op);
	step(Q_CC);
	return id;
}

static void write_audit(int64_t tenant, const char *action, const char *object, int64_t at)
{
	bi(Q_AUDIT, 1, tenant);
	bi(Q_AUDIT, 2, next_audit++);
	bi(Q_AUDIT, 3, at);
	bt(Q_AUDIT, 4, action);
	bt(Q_AUDIT, 5, object);
	bt(Q_AUDIT, 6, "{}");
	step(Q_AUDIT);
}

/* Write a planned tenant: the tenant, its users, its subscriptions and
 * seats, its invoices, payment, operations, credit checks, audit. */
static void write_tenant(struct tenant_plan *t, unsigned flags);

enum {
	F_UNPAID = 1u << 0,
	F_IN_PROGRESS = 1u << 1,
	F_CC_UPGRADE = 1u << 2,
	F_CC_PURCHASE = 1u << 3,
	F_PAST_UPGRADE = 1u << 4,
	F_RECENT_UPGRADE = 1u << 5,
};

static void write_tenant(struct tenant_plan *t, unsigned flags)
{
	char name[64], upn[80], dn[64];
	int64_t created = now_s - between(400, 2000) * DAY;
	snprintf(name, sizeof name, "Tenant %" PRId64, t->id);
	bi(Q_TENANT, 1, t->id);
	bt(Q_TENANT, 2, name);
	bt(Q_TENANT, 3, t->segment);
	bt(Q_TENANT, 4, t->payment);
	bi(Q_TENANT, 5, t->credit_limit);
	bt(Q_TENANT, 6, t->currency);
	bi(Q_TENANT, 7, created);
	step(Q_TENANT);
	write_audit(t->id, "tenant.create", "tenant", created);

	t->first_user = next_user;
	for (int64_t u = 0; u < t->users; u++) {
		int64_t id = next_user++;
		snprintf(upn, sizeof upn, "user%07" PRId64 "@t%" PRId64 ".example.com", u, t->id);
		snprintf(dn, sizeof dn, "User %" PRId64, u);
		bi(Q_USER, 1, t->id);
		bi(Q_USER, 2, id);
		bt(Q_USER, 3, upn);
		bt(Q_USER, 4, dn);
		bi(Q_USER, 5, created);
		step(Q_USER);
	}

	paid_total = 0;
	/* A user holds one seat of a product: a second subscription of a
	 * product already seated gets none. */
	const char *seated[8];
	int n_seated = 0;
	for (int i = 0; i < t->n_subs; i++) {
		struct sub *s = &t->subs[i];
		sub_times(s);
		bool dup = false;
		for (int k = 0; k < n_seated; k++)
			dup = dup || strcmp(seated[k], s->plan->product) == 0;
		if (dup)
			s->seats = 0;
		else if (s->seats > 0)
			seated[n_seated++] = s->plan->product;
	}
	for (int i = 0; i < t->n_subs; i++) {
		struct sub *s = &t->subs[i];
		bi(Q_SUB, 1, t->id);
		bi(Q_SUB, 2, s->id);
		bt(Q_SUB, 3, s->plan->id);
		bt(Q_SUB, 4, s->plan->product);
		bi(Q_SUB, 5, s->quantity);
		bt(Q_SUB, 6, s->status);
		bt(Q_SUB, 7, s->annual ? "annual" : "monthly");
		bi(Q_SUB, 8, s->prepaid);
		bi(Q_SUB, 9, s->term_start);
		bi(Q_SUB, 10, s->term_end);
		bopt(Q_SUB, 11, s->addon_of);
		bopt(Q_SUB, 12, s->replaced_by);
		bi(Q_SUB, 13, s->term_start);
		bi(Q_SUB, 14, s->billed_through);
		step(Q_SUB);
		/* Seats: the first `seats` users of the tenant. */
		for (int64_t u = 0; u < s->seats && u < t->users; u++) {
			bi(Q_ASSIGN, 1, t->id);
			bi(Q_ASSIGN, 2, s->id);
			bi(Q_ASSIGN, 3, t->first_user + u);
			bt(Q_ASSIGN, 4, s->plan->product);
			bi(Q_ASSIGN, 5, s->term_start);
			step(Q_ASSIGN);
		}
		/* The purchase, paid; a provisioning subscription is not billed yet. */
		if (strcmp(s->status, "provisioning") != 0) {
			int64_t months = s->prepaid ? 12 : 1;
			int64_t start = s->prepaid ? s->term_start : ps_time_add_months(s->billed_through, -1);
			write_invoice(t, s, "purchase", start, start, s->billed_through, s->plan->price * s->quantity * months,
				      true);
		}
		char ref[32];
		snprintf(ref, sizeof ref, "sub_%" PRId64, s->id);
		write_audit(t->id, "subscription.purchase", ref, s->term_start);
	}
	const struct sub *base = &t->subs[0];
	if (flags & F_UNPAID) /* seats added last month, not paid: past due */
		write_invoice(t, base, "quantity", now_s - between(35, 60) * DAY, now_s - 60 * DAY, now_s - 30 * DAY,
			      base->plan->price * between(1, 5), false);
	if (paid_total > 0) {
		bi(Q_PAYMENT, 1, t->id);
		bi(Q_PAYMENT, 2, next_payment++);
		bi(Q_PAYMENT, 3, paid_total);
		bt(Q_PAYMENT, 4, t->currency);
		bi(Q_PAYMENT, 5, now_s - between(1, 20) * DAY);
		step(Q_PAYMENT);
	}
	/* Operations: a past upgrade (the replaced subscription it ended, when
	 * there is one), one in the capacity window, one unfinished. */
	for (int i = 0; i < t->n_subs; i++) {
		const struct sub *s = &t->subs[i];
		if ((flags & F_PAST_UPGRADE) && strcmp(s->status, "replaced") == 0 && s->replaced_by)
			write_op(t, "upgrade", "completed", s->id, base->plan->id, s->replaced_by, s->term_end,
				 s->quantity);
	}
	if (flags & F_RECENT_UPGRADE)
		write_op(t, "upgrade", "completed", base->id, base->plan->id, base->id, now_s - between(60, 3000),
			 base->quantity);
	if (flags & F_IN_PROGRESS) /* started hours ago, outside the capacity window */
		write_op(t, "upgrade", "provisioning", base->id, "biz-premium", 0, now_s - between(4000, 30000),
			 base->quantity);
	if (flags & F_CC_UPGRADE) {
		int64_t op = write_op(t, "upgrade", "pending_credit_check", base->id, "ent-e3", 0,
				      now_s - between(4000, 40 * 3600), base->quantity);
		int64_t cc = write_cc(t, base->quantity * 3600, 0, op);
		bi(Q_OP_CC, 1, t->id);
		bi(Q_OP_CC, 2, op);
		bi(Q_OP_CC, 3, cc);
		step(Q_OP_CC);
	}
	if (flags & F_CC_PURCHASE) /* the last subscription waits in provisioning */
		write_cc(t, t->subs[t->n_subs - 1].quantity * t->subs[t->n_subs - 1].plan->price,
			 t->subs[t->n_subs - 1].id, 0);
}

/* ---- shapes ---------------------------------------------------------------- */

static const struct plan *base_plan(const char *segment)
{
	if (strcmp(segment, "government") == 0)
		return chance(0.6) ? &P_GOV1 : &P_GOV2;
	if (strcmp(segment, "nonprofit") == 0)
		return chance(0.6) ? &P_NP1 : &P_NP2;
	static const struct plan *const common[] = {&P_BASIC, &P_BASIC, &P_STANDARD, &P_STANDARD, &P_STANDARD,
						    &P_PREMIUM, &P_E3, &P_E3, &P_E5, &P_MAIL1, &P_MAIL2};
	return common[rnd() % (sizeof common / sizeof common[0])];
}

static int64_t small_users(void)
{
	double r = (double)(rnd() % 10000) / 10000.0;
	if (r < 0.75)
		return between(1, 5);
	if (r < 0.97)
		return between(6, 30);
	if (r < 0.999)
		return between(31, 300);
	return between(301, 3000);
}

/* An ordinary tenant: 1 to 5 subscriptions, the reasons sprinkled in. */
static unsigned plan_tenant(struct tenant_plan *t, int64_t users)
{
	unsigned flags = 0;
	memset(t, 0, sizeof *t);
	double seg = (double)(rnd() % 1000) / 1000.0;
	t->segment = seg < 0.85 ? "commercial" : seg < 0.91 ? "education" : seg < 0.96 ? "government" : "nonprofit";
	t->payment = chance(0.6) ? "card" : "invoice";
	t->currency = chance(0.001) ? "USD" : "EUR"; /* reason other: every plan is in EUR */
	t->credit_limit = strcmp(t->payment, "invoice") == 0 ? between(1, 50) * 100000 : 0;
	t->users = users;

	int n = 1;
	double r = (double)(rnd() % 100) / 100.0;
	n = r < 0.5 ? 1 : r < 0.75 ? 2 : r < 0.88 ? 3 : r < 0.96 ? 4 : 5;

	const struct plan *bp = chance(0.001) ? &P_LEGACY : base_plan(t->segment);
	bool conflict = chance(0.005);
	int64_t qty = users + (conflict ? -1 : between(0, users / 5 + 2));
	if (qty < 1) {
		qty = 1;
		conflict = false;
	}
	struct sub *base = add_sub(t, bp, chance(0.01) ? "disabled" : "active", qty, conflict ? qty + 1 : users);
	base->prepaid = chance(0.05);
	if (base->prepaid)
		base->annual = true;

	for (int i = 1; i < n; i++) {
		double k = (double)(rnd() % 1000) / 1000.0;
		struct sub *s;
		if (k < 0.30) { /* a plan replaced by the base: history */
			s = add_sub(t, chance(0.5) ? &P_BASIC : &P_MAIL1, chance(0.7) ? "replaced" : "cancelled",
				    users, 0);
			if (strcmp(s->status, "replaced") == 0) {
				s->replaced_by = base->id;
				s->plan = strcmp(bp->product, "mail") == 0 ? &P_MAIL1 : &P_BASIC;
			}
		} else if (k < 0.55) { /* mail for some of the users */
			s = add_sub(t, chance(0.7) ? &P_MAIL1 : &P_MAIL2, "active", users / 2 + 1, users / 2);
			if (strcmp(bp->product, "mail") == 0) { /* a second mail plan: multiple plans */
				s->seats = 0;
			}
		} else if (k < 0.72 && bp->upgrades && bp != &P_LEGACY && strcmp(bp->product, "business") == 0 &&
			   strcmp(t->segment, "commercial") == 0) { /* the phone add-on */
			s = add_sub(t, &P_VOICE, "active", users / 3 + 1, users / 3);
			s->addon_of = base->id;
		} else if (k < 0.80) { /* an expired trial of another product */
			s = add_sub(t, &P_E3, "expired", 5, 0);
		} else if (k < 0.86) { /* a second plan of the base's product */
			const struct plan *p2 = strcmp(bp->product, "business") == 0 && bp != &P_BASIC ? &P_BASIC
						: strcmp(bp->product, "enterprise") == 0 && bp != &P_E3 ? &P_E3
						: strcmp(bp->product, "mail") == 0 && bp != &P_MAIL1 ? &P_MAIL1 : &P_STANDARD;
			if (strcmp(t->segment, "commercial") != 0 && strcmp(t->segment, "education") != 0)
				p2 = &P_MAIL1;
			s = add_sub(t, p2, "active", between(1, 10), 0);
		} else if (k < 0.90) { /* just bought, not ready yet */
			s = add_sub(t, &P_MAIL2, "provisioning", between(1, 20), 0);
			if (chance(0.1) && strcmp(t->payment, "invoice") == 0)
				flags |= F_CC_PURCHASE;
		} else { /* cancelled long ago */
			s = add_sub(t, chance(0.5) ? &P_MAIL1 : &P_E3, "cancelled", between(1, 20), 0);
		}
		(void)s;
	}
	if (flags & F_CC_PURCHASE) { /* the waiting subscription must be the last one */
		struct sub *last = &t->subs[t->n_subs - 1];
		if (strcmp(last->status, "provisioning") != 0)
			flags &= ~(unsigned)F_CC_PURCHASE;
	}
	for (int i = 0; i < t->n_subs; i++)
		if (strcmp(t->subs[i].status, "replaced") == 0 && chance(0.5))
			flags |= F_PAST_UPGRADE;
	if (chance(0.02))
		flags |= F_UNPAID;
	double o = (double)(rnd() % 10000) / 10000.0;
	if (o < 0.003)
		flags |= F_IN_PROGRESS;
	else if (o < 0.005 && strcmp(t->payment, "invoice") == 0)
		flags |= F_CC_UPGRADE;
	return flags;
}

/* A large tenant: business for all, mail for half, phone for a third, some history. */
static void plan_big(struct tenant_plan *t, int64_t users)
{
	memset(t, 0, sizeof *t);
	t->segment = "commercial";
	t->payment = "invoice";
	t->currency = "EUR";
	t->credit_limit = (int64_t)1 << 40;
	t->users = users;
	struct sub *base = add_sub(t, &P_E3, "active", users + users / 10, users);
	base->annual = true;
	add_sub(t, &P_MAIL2, "active", users / 2, users / 2);
	struct sub *v = add_sub(t, &P_VOICE, "active", users / 3, users / 3);
	v->addon_of = base->id;
	struct sub *old = add_sub(t, &P_STANDARD, "replaced", users, 0);
	old->replaced_by = base->id;
}

/* An upgrade tenant: one biz-standard subscription with `seats` seats,
 * eligible for biz-premium; mail beside it; a history. Pays by invoice with
 * a credit limit high enough that no credit check is needed. */
static void plan_upgrade(struct tenant_plan *t, int64_t seats)
{
	memset(t, 0, sizeof *t);
	t->segment = "commercial";
	t->payment = "invoice";
	t->currency = "EUR";
	t->credit_limit = (int64_t)1 << 40;
	t->users = seats;
	add_sub(t, &P_STANDARD, "active", seats + seats / 20, seats);
	add_sub(t, &P_MAIL2, "active", seats / 4, seats / 4);
	struct sub *old = add_sub(t, &P_BASIC, "replaced", seats, 0);
	old->replaced_by = t->subs[0].id;
	t->subs[0].annual = false;
}

/* The writes tenant: `users` users, none holding a seat of its one
 * subscription (biz-basic, quantity = users). */
static void plan_writes(struct tenant_plan *t, int64_t users)
{
	memset(t, 0, sizeof *t);
	t->segment = "commercial";
	t->payment = "card";
	t->currency = "EUR";
	t->users = users;
	add_sub(t, &P_BASIC, "active", users, 0);
	t->subs[0].annual = false;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
	fputs("usage: gen_fleet --db PATH --tenants N [--big N,N,...] [--upgrade-seats N] [--upgrade-pairs N]\n"
	      "                 [--writes-users N] [--now T] [--seed S] [--sample N] --meta FILE [--check]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *meta_path = NULL, *big_list = "";
	int64_t n_tenants = 0, upgrade_seats = 10000, upgrade_pairs = 3, writes_users = 1200, sample_n = 1000;
	uint64_t seed = 1;
	bool check = false;
	now_s = (int64_t)time(NULL);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--check") == 0) {
			check = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--db") == 0)
			path = v;
		else if (strcmp(a, "--meta") == 0)
			meta_path = v;
		else if (strcmp(a, "--tenants") == 0)
			n_tenants = atoll(v);
		else if (strcmp(a, "--big") == 0)
			big_list = v;
		else if (strcmp(a, "--upgrade-seats") == 0)
			upgrade_seats = atoll(v);
		else if (strcmp(a, "--upgrade-pairs") == 0)
			upgrade_pairs = atoll(v);
		else if (strcmp(a, "--writes-users") == 0)
			writes_users = atoll(v);
		else if (strcmp(a, "--now") == 0)
			now_s = atoll(v);
		else if (strcmp(a, "--seed") == 0)
			seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--sample") == 0)
			sample_n = atoll(v);
		else
			usage();
	}
	if (!path || !meta_path || n_tenants < 10)
		usage();
	rng_state ^= seed * 0x9E3779B97F4A7C15ull;
	if (!rng_state)
		rng_state = 1;

	/* Special tenants' positions, spread through the id range. */
	int64_t big[32];
	int n_big = 0;
	for (const char *p = big_list; *p && n_big < 32;) {
		big[n_big++] = atoll(p);
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	int n_special = (int)(2 * upgrade_pairs) + 1 + n_big;
	if (n_special >= n_tenants)
		usage();
	int64_t *special_at = calloc((size_t)n_special, sizeof *special_at);
	for (int k = 0; k < n_special; k++)
		special_at[k] = (n_tenants * (k + 1)) / (n_special + 1);

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("open (run planshift init --db PATH --catalog data/demo-catalog.json first)");
	exec("PRAGMA journal_mode = OFF"); /* back to WAL at the end */
	exec("PRAGMA synchronous = OFF");
	exec("PRAGMA foreign_keys = OFF"); /* consistent by construction; --check verifies */
	exec("PRAGMA cache_size = -1048576");
	exec("PRAGMA temp_store = MEMORY");
	{
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tenants", -1, &s, NULL) != SQLITE_OK)
			die("schema (run planshift init first)");
		sqlite3_step(s);
		int64_t n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (n != 0) {
			fprintf(stderr, "gen_fleet: %s already has tenants: use a new store\n", path);
			return 1;
		}
	}
	for (int i = 0; i < Q__COUNT; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q[i], NULL) != SQLITE_OK)
			die(sql[i]);

	FILE *meta = fopen(meta_path, "w");
	if (!meta) {
		perror(meta_path);
		return 1;
	}
	fprintf(meta, "now %" PRId64 "\n", now_s);
	fprintf(meta, "tenants %" PRId64 "\n", n_tenants);
	fprintf(meta, "upgrade_seats %" PRId64 "\n", upgrade_seats);
	fprintf(meta, "upgrade_target biz-premium\n");

	int64_t *sample_t = calloc((size_t)sample_n + 1, sizeof(int64_t));
	int64_t *sample_s = calloc((size_t)sample_n + 1, sizeof(int64_t));
	int64_t n_sample = 0, seen = 0, rows_users = 0, rows_subs = 0, rows_seats = 0;

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	exec("BEGIN");
	/* Incidents: a few resolved; one open on `voice` (ent-e5 and the phone add-on). */
	{
		static const char *const svc[] = {"mail-1", "files-2", "chat", "voice"};
		for (int i = 0; i < 4; i++) {
			bi(Q_INCIDENT, 1, i + 1);
			bt(Q_INCIDENT, 2, svc[i]);
			bt(Q_INCIDENT, 3, i < 3 ? "resolved" : "degraded");
			bt(Q_INCIDENT, 4, i < 3 ? "Past incident" : "Calls drop after a few minutes");
			bi(Q_INCIDENT, 5, now_s - (10 - i) * DAY);
			bopt(Q_INCIDENT, 6, i < 3 ? now_s - (9 - i) * DAY : 0);
			step(Q_INCIDENT);
		}
	}
	int sp = 0, pair = 0;
	struct tenant_plan t;
	for (int64_t id = 1; id <= n_tenants; id++) {
		unsigned flags = 0;
		const char *role = NULL;
		if (sp < n_special && special_at[sp] == id) {
			int k = sp++;
			if (k < 2 * upgrade_pairs) {
				plan_upgrade(&t, upgrade_seats);
				role = k % 2 == 0 ? "upgrade_app" : "upgrade_sql";
				pair = k / 2;
			} else if (k == 2 * upgrade_pairs) {
				plan_writes(&t, writes_users);
				role = "writes";
			} else {
				plan_big(&t, big[k - 2 * upgrade_pairs - 1]);
				role = "big";
			}
		} else {
			flags = plan_tenant(&t, small_users());
			/* About 200 automatic upgrades in the last hour, system-wide,
			 * whatever the fleet's size: under the capacity (1,000). */
			if (chance(200.0 / (double)n_tenants))
				flags |= F_RECENT_UPGRADE;
		}
		t.id = id;
		write_tenant(&t, flags);
		rows_users += t.users;
		rows_subs += t.n_subs;
		for (int i = 0; i < t.n_subs; i++)
			rows_seats += t.subs[i].seats < t.users ? t.subs[i].seats : t.users;
		if (role && strncmp(role, "upgrade", 7) == 0)
			fprintf(meta, "%s %d %" PRId64 " %" PRId64 "\n", role, pair, t.id, t.subs[0].id);
		else if (role && strcmp(role, "writes") == 0)
			fprintf(meta, "writes %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n", t.id, t.subs[0].id,
				t.first_user, t.users);
		else if (role)
			fprintf(meta, "big %" PRId64 " %" PRId64 "\n", t.id, t.users);
		else {
			/* Reservoir sample of live subscriptions for the HTTP load. */
			int live = 0;
			for (int i = 0; i < t.n_subs; i++)
				live += t.subs[i].live;
			int pick = (int)(rnd() % (uint64_t)(live ? live : 1));
			for (int i = 0; i < t.n_subs && live; i++) {
				if (!t.subs[i].live || pick--)
					continue;
				seen++;
				if (n_sample < sample_n) {
					sample_t[n_sample] = t.id;
					sample_s[n_sample++] = t.subs[i].id;
				} else {
					int64_t j = (int64_t)(rnd() % (uint64_t)seen);
					if (j < sample_n) {
						sample_t[j] = t.id;
						sample_s[j] = t.subs[i].id;
					}
				}
				break;
			}
		}
		if (id % 100000 == 0) {
			exec("COMMIT");
			exec("BEGIN");
			fprintf(stderr, "\rgen_fleet: %" PRId64 " tenants", id);
		}
	}
	exec("COMMIT");
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(q[i]);
	/* No ANALYZE: a store made by `planshift init` has no statistics, and
	 * the store's queries are written for that. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "\rgen_fleet: %" PRId64 " tenants, %" PRId64 " users, %" PRId64 " subscriptions, %" PRId64
			" seats in %.1f s\n",
		n_tenants, rows_users, rows_subs, rows_seats, secs);
	for (int64_t i = 0; i < n_sample; i++)
		fprintf(meta, "sample %" PRId64 " %" PRId64 "\n", sample_t[i], sample_s[i]);
	fprintf(meta, "rows_users %" PRId64 "\nrows_subs %" PRId64 "\nrows_seats %" PRId64 "\ngen_seconds %.1f\n",
		rows_users, rows_subs, rows_seats, secs);
	fclose(meta);

	if (check) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
			die("foreign_key_check");
		int bad = 0;
		while (sqlite3_step(s) == SQLITE_ROW)
			if (bad++ < 5)
				fprintf(stderr, "gen_fleet: foreign key: %s row %lld -> %s\n", sqlite3_column_text(s, 0),
					(long long)sqlite3_column_int64(s, 1), sqlite3_column_text(s, 2));
		sqlite3_finalize(s);
		if (bad) {
			fprintf(stderr, "gen_fleet: %d rows break a foreign key\n", bad);
			return 1;
		}
		/* The counts the triggers kept must equal the seats. */
		if (sqlite3_prepare_v2(db,
				       "SELECT count(*) FROM subscriptions s WHERE assigned <> (SELECT count(*) FROM"
				       " assignments a WHERE a.tenant_id = s.tenant_id AND a.subscription_id = s.id)",
				       -1, &s, NULL) != SQLITE_OK)
			die("check counts");
		sqlite3_step(s);
		int64_t off = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (off) {
			fprintf(stderr, "gen_fleet: %" PRId64 " subscriptions' assigned counts are off\n", off);
			return 1;
		}
		fprintf(stderr, "gen_fleet: foreign keys and counts check out\n");
	}
	exec("PRAGMA journal_mode = WAL");
	sqlite3_close(db);
	free(special_at);
	free(sample_t);
	free(sample_s);
	return 0;
}
