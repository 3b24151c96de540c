/* test_rules.c: unit tests of the eligibility engine (core layer). One table
 * row per situation of the seed ("why can't I upgrade plans?"): each reason
 * alone, several at once in RULES order, the eligible case with its offers,
 * data safety, and the boundaries. The catalog is built by hand, so it can
 * hold what a parsed catalog refuses (a declared path that is not data-safe). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../common/ps_want.h"

#include "common/ps_time.h"
#include "core/ps_money.h"
#include "core/ps_decide.h"
#include "core/ps_rules.h"

/* ---- A small catalog ---------------------------------------------------- */

enum { SV_MAIL1, SV_MAIL2, SV_FILES1, SV_CHAT1, SV_APPS1, SV_AUDIO1, SV__N };
static struct ps_service services[SV__N] = {
	[SV_MAIL1] = {"mail-1", "Mail Plan 1", "mail", 1, true},
	[SV_MAIL2] = {"mail-2", "Mail Plan 2", "mail", 2, true},
	[SV_FILES1] = {"files-1", "Files Plan 1", "files", 1, true},
	[SV_CHAT1] = {"chat-1", "Chat", "chat", 1, false},
	[SV_APPS1] = {"apps-1", "Office apps", "apps", 1, false},
	[SV_AUDIO1] = {"audio-1", "Audio Conferencing", "audio", 1, false},
};
static struct ps_product products[] = {{"business", "Business"}, {"enterprise", "Enterprise"}, {"addons", "Add-ons"}};

enum { P_BASIC, P_STANDARD, P_PREMIUM, P_E3, P_KIOSK, P_GOV, P_NONPROFIT, P_LEGACY, P_USD, P_AUDIO, P__N };
static struct ps_plan plans[P__N];
static struct ps_catalog cat;

#define SV(x) &services[SV_##x]
#define PL(x) &plans[P_##x]
static const struct ps_service *sv_basic[] = {SV(MAIL1), SV(FILES1), SV(CHAT1)};
static const struct ps_service *sv_standard[] = {SV(MAIL1), SV(FILES1), SV(CHAT1), SV(APPS1)};
static const struct ps_service *sv_premium[] = {SV(MAIL2), SV(FILES1), SV(CHAT1), SV(APPS1)};
static const struct ps_service *sv_e3[] = {SV(MAIL2), SV(FILES1), SV(APPS1)};
static const struct ps_service *sv_kiosk[] = {SV(CHAT1)};
static const struct ps_service *sv_gov[] = {SV(MAIL1), SV(FILES1)};
static const struct ps_service *sv_legacy[] = {SV(MAIL2), SV(FILES1)};
static const struct ps_service *sv_audio[] = {SV(AUDIO1)};
static const struct ps_plan *up_basic[] = {PL(STANDARD), PL(E3)};
static const struct ps_plan *up_standard[] = {PL(PREMIUM)};
static const struct ps_plan *up_to_standard[] = {PL(STANDARD)};
static const struct ps_plan *attach_audio[] = {PL(BASIC), PL(STANDARD)};

static void plan(int i, const char *id, const char *name, int product, const struct ps_service **sv, size_t nsv,
		 enum ps_segment seg, int64_t price, const char *cur, const struct ps_plan **up, size_t nup)
{
	struct ps_plan *p = &plans[i];
	p->id = (char *)id;
	p->name = (char *)name;
	p->product = &products[product];
	p->services = sv;
	p->n_services = nsv;
	p->segment = seg;
	p->price_per_seat_month = price;
	snprintf(p->currency, sizeof p->currency, "%s", cur);
	p->upgrades_to = up;
	p->n_upgrades_to = nup;
}
#define N(a) a, sizeof a / sizeof a[0]

static int setup_catalog(void **state)
{
	plan(P_BASIC, "biz-basic", "Business Basic", 0, N(sv_basic), PS_SEG_COMMERCIAL, 600, "EUR", N(up_basic));
	plan(P_STANDARD, "biz-standard", "Business Standard", 0, N(sv_standard), PS_SEG_COMMERCIAL, 1250, "EUR",
	     N(up_standard));
	plan(P_PREMIUM, "biz-premium", "Business Premium", 0, N(sv_premium), PS_SEG_COMMERCIAL, 2000, "EUR", NULL, 0);
	plan(P_E3, "ent-e3", "Enterprise E3", 1, N(sv_e3), PS_SEG_COMMERCIAL, 3200, "EUR", NULL, 0);
	plan(P_KIOSK, "ent-kiosk", "Enterprise Kiosk", 1, N(sv_kiosk), PS_SEG_COMMERCIAL, 400, "EUR", NULL, 0);
	plan(P_GOV, "gov-g1", "Government G1", 0, N(sv_gov), PS_SEG_GOVERNMENT, 500, "EUR", N(up_to_standard));
	plan(P_NONPROFIT, "np-basic", "Nonprofit Basic", 0, N(sv_gov), PS_SEG_NONPROFIT, 0, "EUR",
	     N(up_to_standard));
	/* Declares a path that is not data-safe (Mail Plan 2 to Mail Plan 1). */
	plan(P_LEGACY, "legacy-mail", "Legacy Mail", 0, N(sv_legacy), PS_SEG_COMMERCIAL, 900, "EUR",
	     N(up_to_standard));
	plan(P_USD, "biz-basic-us", "Business Basic (US)", 0, N(sv_basic), PS_SEG_COMMERCIAL, 700, "USD",
	     N(up_to_standard));
	plan(P_AUDIO, "audio", "Audio Conferencing", 2, N(sv_audio), PS_SEG_COMMERCIAL, 200, "EUR", NULL, 0);
	plans[P_AUDIO].addon = true;
	plans[P_AUDIO].attaches_to = attach_audio;
	plans[P_AUDIO].n_attaches_to = 2;
	cat.services = services;
	cat.n_services = SV__N;
	cat.products = products;
	cat.n_products = 3;
	cat.plans = plans;
	cat.n_plans = P__N;
	return 0;
}

static const struct ps_plan *find_plan(const char *id)
{
	for (size_t i = 0; i < P__N; i++)
		if (strcmp(plans[i].id, id) == 0)
			return &plans[i];
	return NULL;
}

/* ---- Snapshots built in code -------------------------------------------- */

#define NOW 1795770000 /* 2026-11-27T09:00:00Z, a Friday */
#define HOUR 3600

static struct ps_snap_sub *sub(struct ps_snapshot *s, int64_t id, const char *plan_id, int64_t qty, int64_t assigned,
			       enum ps_sub_status st)
{
	struct ps_snap_sub *e = ps_snapshot_add_sub(s);
	e->s.tenant_id = s->tenant.id;
	e->s.id = id;
	snprintf(e->s.plan_id, sizeof e->s.plan_id, "%s", plan_id);
	e->plan = find_plan(plan_id);
	ps_sub_sell_at(&e->s, e->plan);
	snprintf(e->s.product_id, sizeof e->s.product_id, "%s", e->plan ? e->plan->product->id : "retired");
	e->s.quantity = qty;
	e->s.assigned = assigned;
	e->s.status = st;
	e->s.term = PS_TERM_MONTHLY;
	e->s.term_start = NOW - 10 * PS_DAY;
	e->s.term_end = ps_term_end(e->s.term_start, PS_TERM_MONTHLY);
	e->s.created_at = e->s.term_start;
	return e;
}

static void base(struct ps_snapshot *s)
{
	s->tenant.id = 7;
	snprintf(s->tenant.name, sizeof s->tenant.name, "Contoso");
	snprintf(s->tenant.currency, sizeof s->tenant.currency, "EUR");
	s->tenant.payment = PS_PAY_INVOICE;
}

static void basic_10(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
}

/* A government tenant on a commercial plan: government plans become
 * buyable, so they are listed among undeclared targets. */
static void basic_10_gov(struct ps_snapshot *s)
{
	basic_10(s);
	s->tenant.segment = PS_SEG_GOVERNMENT;
}

static void conflict(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 12, PS_SUB_ACTIVE);
}

static void conflict_elsewhere(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 10, PS_SUB_ACTIVE);
	sub(s, 2, "ent-e3", 5, 6, PS_SUB_ACTIVE);
	sub(s, 3, "ent-kiosk", 5, 9, PS_SUB_CANCELLED); /* not live: does not count */
}

static void provisioning(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 0, PS_SUB_PROVISIONING);
}

static void incident(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	struct ps_snap_incident *in = ps_snapshot_add_incident(s);
	in->id = 31;
	snprintf(in->service_id, sizeof in->service_id, "mail-2"); /* not in Business Basic */
	in->status = PS_INC_DEGRADED;
	in = ps_snapshot_add_incident(s);
	in->id = 32;
	snprintf(in->service_id, sizeof in->service_id, "files-1");
	in->status = PS_INC_INVESTIGATING;
}

/* The incident of incident() with an eta: ahead of now, passed, or with a
 * second incident on the plan that has none (then nobody knows until when). */
static void incident_eta_ahead(struct ps_snapshot *s)
{
	incident(s);
	s->incidents[1].eta = NOW + 3 * 3600;
}

static void incident_eta_passed(struct ps_snapshot *s)
{
	incident(s);
	s->incidents[1].eta = NOW - 60;
}

static void incident_eta_and_none(struct ps_snapshot *s)
{
	incident(s);
	s->incidents[1].eta = NOW - 60;
	struct ps_snap_incident *in = ps_snapshot_add_incident(s);
	in->id = 35;
	snprintf(in->service_id, sizeof in->service_id, "files-1");
	in->status = PS_INC_DEGRADED;
}

static void in_progress(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	sub(s, 2, "ent-e3", 5, 5, PS_SUB_ACTIVE);
	struct ps_operation *op = ps_snapshot_add_op(s);
	op->tenant_id = 7;
	op->id = 41;
	op->kind = PS_OPK_UPGRADE;
	op->state = PS_OP_PROVISIONING;
	op->source_sub = 2;
	snprintf(op->target_plan, sizeof op->target_plan, "ent-kiosk");
}

static void credit_check(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	s->has_credit_check = true;
	s->credit_check.id = 51;
	s->credit_check.status = PS_CC_PENDING;
	s->credit_check.requested_at = NOW - HOUR;
	s->credit_check.expected_by = NOW - HOUR + 4 * PS_DAY; /* stored, not recomputed */
}

static void expired(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_EXPIRED);
}

static void disabled(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_DISABLED);
}

static void no_path(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-premium", 10, 8, PS_SUB_ACTIVE);
}

static void same_product(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	sub(s, 2, "biz-standard", 3, 3, PS_SUB_ACTIVE);
	sub(s, 3, "biz-premium", 3, 0, PS_SUB_REPLACED); /* not live */
	sub(s, 4, "ent-e3", 3, 0, PS_SUB_ACTIVE);         /* another product */
}

static void prepaid_running(struct ps_snapshot *s)
{
	base(s);
	struct ps_snap_sub *e = sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	e->s.prepaid = true;
	e->s.term = PS_TERM_ANNUAL;
	ps_time_parse("2026-01-01T00:00:00Z", &e->s.term_start);
	e->s.term_end = ps_term_end(e->s.term_start, PS_TERM_ANNUAL);
}

static void prepaid_ended(struct ps_snapshot *s)
{
	base(s);
	struct ps_snap_sub *e = sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	e->s.prepaid = true;
	e->s.term = PS_TERM_ANNUAL;
	ps_time_parse("2025-11-27T09:00:00Z", &e->s.term_start);
	e->s.term_end = ps_term_end(e->s.term_start, PS_TERM_ANNUAL); /* == NOW: ended */
}

static void government(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "gov-g1", 10, 8, PS_SUB_ACTIVE);
}

static void nonprofit(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "np-basic", 10, 8, PS_SUB_ACTIVE);
}

static void busy(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	s->capacity_limit = 5;
	s->capacity_used = 5;
	s->capacity_oldest = NOW - 1000;
}

static void below_capacity(struct ps_snapshot *s)
{
	busy(s);
	s->capacity_used = 4;
}

static void busy_window_edge(struct ps_snapshot *s)
{
	busy(s);
	s->capacity_used = 9;
	s->capacity_oldest = NOW - PS_CAPACITY_WINDOW_S;
}

static void addon(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	sub(s, 2, "audio", 5, 5, PS_SUB_ACTIVE)->s.addon_of = 1;
	sub(s, 3, "audio", 5, 0, PS_SUB_CANCELLED)->s.addon_of = 1;
}

static void addon_cancelled(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	sub(s, 2, "audio", 5, 0, PS_SUB_CANCELLED)->s.addon_of = 1;
}

static void unpaid(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	s->past_due = 12000;
	s->oldest_due = NOW - 40 * PS_DAY;
}

static void plan_missing(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "retired-plan", 10, 8, PS_SUB_ACTIVE);
	struct ps_snap_incident *in = ps_snapshot_add_incident(s);
	in->id = 33;
	snprintf(in->service_id, sizeof in->service_id, "mail-1");
	in->status = PS_INC_DEGRADED;
}

static void base_missing(struct ps_snapshot *s)
{
	base(s);
	sub(s, 5, "audio", 5, 5, PS_SUB_ACTIVE)->s.addon_of = 99;
}

static void currency_mismatch(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic-us", 10, 8, PS_SUB_ACTIVE);
}

static void negative(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, -1, PS_SUB_ACTIVE);
}

static void many(struct ps_snapshot *s)
{
	prepaid_running(s);
	s->subs[0].s.status = PS_SUB_PROVISIONING;
	s->subs[0].s.assigned = 11;
	s->has_credit_check = true;
	s->credit_check.id = 52;
	s->credit_check.expected_by = NOW + 2 * PS_DAY;
	s->capacity_limit = 1;
	s->capacity_used = 1;
	s->capacity_oldest = NOW - 60;
	s->past_due = 1;
	s->oldest_due = NOW - PS_DAY;
}

static void nearly_all(struct ps_snapshot *s)
{
	base(s);
	struct ps_snap_sub *g = sub(s, 1, "gov-g1", 10, 12, PS_SUB_PROVISIONING);
	g->s.prepaid = true;
	g->s.term_end = NOW + PS_DAY;
	sub(s, 2, "biz-basic", 1, 0, PS_SUB_ACTIVE);
	sub(s, 3, "audio", 1, 1, PS_SUB_ACTIVE)->s.addon_of = 1;
	struct ps_snap_incident *in = ps_snapshot_add_incident(s);
	in->id = 34;
	snprintf(in->service_id, sizeof in->service_id, "mail-1");
	in->status = PS_INC_INTERRUPTED;
	struct ps_operation *op = ps_snapshot_add_op(s);
	op->id = 42;
	op->state = PS_OP_PENDING_CREDIT_CHECK;
	op->source_sub = 2;
	s->has_credit_check = true;
	s->credit_check.id = 53;
	s->credit_check.expected_by = NOW + PS_DAY;
	s->capacity_limit = 3;
	s->capacity_used = 3;
	s->capacity_oldest = NOW;
	s->past_due = 500;
	s->oldest_due = NOW - PS_DAY;
	snprintf(s->tenant.currency, sizeof s->tenant.currency, "GBP");
}

static void unsafe_declared(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "legacy-mail", 10, 8, PS_SUB_ACTIVE);
}

/* ---- Details checks ------------------------------------------------------ */


static const struct ps_reason *need(const char *name, const struct ps_verdict *v, enum ps_reason_code c)
{
	const struct ps_reason *r = ps_verdict_reason(v, c);
	WANT(r, "case %s: got no %s reason, want one", name, ps_reason_code_name(c));
	return r;
}

static void ck_conflict(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_LICENSE_CONFLICT);
	WANT(r->n_subs == 1 && r->subs[0]->s.id == 1, "case %s: got %zu subs (first %lld), want sub 1", n, r->n_subs,
	     r->n_subs ? (long long)r->subs[0]->s.id : 0LL);
	WANT(r->wait_until == 0, "case %s: got wait_until %lld, want 0", n, (long long)r->wait_until);
}

static void ck_conflict_elsewhere(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_LICENSE_CONFLICT);
	WANT(r->n_subs == 1 && r->subs[0]->s.id == 2, "case %s: got %zu subs, want only sub 2", n, r->n_subs);
}

static void ck_not_ready(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_SUBSCRIPTION_NOT_READY);
	WANT(r->status == PS_SUB_PROVISIONING, "case %s: got status %s, want provisioning", n,
	     ps_sub_status_name(r->status));
	/* Its creation plus the provisioning time, whatever the time now. */
	int64_t until = v->sub->s.created_at + PS_NOT_READY_WAIT_S;
	WANT(r->wait_until == until, "case %s: got wait_until %lld, want created + %d", n, (long long)r->wait_until,
	     PS_NOT_READY_WAIT_S);
	WANT(r->overdue == (NOW >= until), "case %s: got overdue %d, want %d", n, r->overdue, NOW >= until);
	size_t nr;
	const enum ps_remedy *rem = ps_reason_remedies_of(r, &nr);
	WANT(nr == 2 && rem[0] == (r->overdue ? PS_REM_CALL_SUPPORT : PS_REM_WAIT),
	     "case %s: got first remedy %s, want call_support once overdue", n, nr ? ps_remedy_name(rem[0]) : "none");
}

static void ck_incident(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_SERVICE_INCIDENT);
	WANT(r->n_incidents == 1 && r->incidents[0]->id == 32, "case %s: got %zu incidents, want only inc 32", n,
	     r->n_incidents);
	WANT(r->wait_until == 0, "case %s: got wait_until %lld, want 0 (until all services are healthy)", n,
	     (long long)r->wait_until);
}

/* An incident's wait: until its eta (the last one; unknown when one has
 * none), call_support first once it has passed. */
static void ck_incident_eta(const char *n, const struct ps_verdict *v, int64_t until, bool overdue)
{
	const struct ps_reason *r = need(n, v, PS_R_SERVICE_INCIDENT);
	WANT(r->wait_until == until, "case %s: got wait_until %lld, want %lld", n, (long long)r->wait_until,
	     (long long)until);
	WANT(r->overdue == overdue, "case %s: got overdue %d, want %d", n, r->overdue, overdue);
	size_t nr = 0;
	const enum ps_remedy *rem = ps_reason_remedies_of(r, &nr);
	WANT(nr == 2 && rem[0] == (overdue ? PS_REM_CALL_SUPPORT : PS_REM_WAIT) &&
		     rem[1] == (overdue ? PS_REM_WAIT : PS_REM_CALL_SUPPORT),
	     "case %s: got first remedy %s, want %s", n, nr ? ps_remedy_name(rem[0]) : "none",
	     overdue ? "call_support" : "wait");
}

static void ck_incident_ahead(const char *n, const struct ps_verdict *v)
{
	ck_incident_eta(n, v, NOW + 3 * 3600, false);
}

static void ck_incident_passed(const char *n, const struct ps_verdict *v)
{
	ck_incident_eta(n, v, NOW - 60, true);
}

static void ck_incident_none(const char *n, const struct ps_verdict *v)
{
	ck_incident_eta(n, v, 0, false);
}

static void ck_in_progress(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_UPGRADE_IN_PROGRESS);
	WANT(r->operation_id == 41, "case %s: got operation %lld, want 41", n, (long long)r->operation_id);
	WANT(r->wait_until == PS_NOT_READY_WAIT_S, "case %s: got wait_until %lld, want its start (0) + 4 h", n,
	     (long long)r->wait_until);
}

static void ck_credit(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_CREDIT_CHECK_PENDING);
	WANT(r->credit_check_id == 51 && r->requested_at == NOW - HOUR &&
		     r->expected_by == NOW - HOUR + 4 * PS_DAY && r->wait_until == r->expected_by,
	     "case %s: got id %lld requested %lld expected %lld until %lld, want 51, stored times, until = expected",
	     n, (long long)r->credit_check_id, (long long)r->requested_at, (long long)r->expected_by,
	     (long long)r->wait_until);
}

static void ck_expired(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_NOT_ELIGIBLE);
	WANT(r->status == PS_SUB_EXPIRED && !r->no_upgrade_path, "case %s: got status %s path %d, want expired", n,
	     ps_sub_status_name(r->status), r->no_upgrade_path);
}

static void ck_no_path(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_NOT_ELIGIBLE);
	WANT(r->status == PS_SUB_ACTIVE && r->no_upgrade_path, "case %s: got status %s path %d, want active, no path",
	     n, ps_sub_status_name(r->status), r->no_upgrade_path);
}

static void ck_same_product(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_MULTIPLE_PLANS_SAME_PRODUCT);
	WANT(r->n_subs == 2 && r->subs[0]->s.id == 1 && r->subs[1]->s.id == 2, "case %s: got %zu subs, want 1 and 2",
	     n, r->n_subs);
}

static void ck_prepaid(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_PREPAID_PLAN);
	int64_t end;
	ps_time_parse("2027-01-01T00:00:00Z", &end);
	/* 35 days left of 365 (rounded up from 34 days 15 h); 600 x 10 x 12 = 72000; x 35/365 = 6904.1 */
	WANT(r->term_end == end && r->unused_days == 35 && r->unused_value == 6904,
	     "case %s: got end %lld, %lld days, %lld; want 2027-01-01, 35 days, 6904", n, (long long)r->term_end,
	     (long long)r->unused_days, (long long)r->unused_value);
}

static void ck_gov(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_SEGMENT_RESTRICTED);
	WANT(r->segment == PS_SEG_GOVERNMENT, "case %s: got %s, want government", n, ps_segment_name(r->segment));
}

static void ck_nonprofit(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_SEGMENT_RESTRICTED);
	WANT(r->segment == PS_SEG_NONPROFIT, "case %s: got %s, want nonprofit", n, ps_segment_name(r->segment));
}

static void ck_busy(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_SERVICE_BUSY);
	WANT(r->retry_after_s == 2600 && r->wait_until == NOW + 2600,
	     "case %s: got retry after %lld until %lld, want 2600, now + 2600", n, (long long)r->retry_after_s,
	     (long long)r->wait_until);
}

static void ck_busy_edge(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_SERVICE_BUSY);
	WANT(r->retry_after_s == 1 && r->wait_until == NOW + 1, "case %s: got retry after %lld, want 1", n,
	     (long long)r->retry_after_s);
}

static void ck_addon(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_HAS_ADDON);
	WANT(r->n_subs == 1 && r->subs[0]->s.id == 2, "case %s: got %zu add-ons, want only sub 2 (3 is cancelled)", n,
	     r->n_subs);
}

static void ck_unpaid(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_UNPAID_BALANCE);
	WANT(r->amount_due == 12000 && r->oldest_due == NOW - 40 * PS_DAY, "case %s: got %lld due since %lld", n,
	     (long long)r->amount_due, (long long)r->oldest_due);
}

static void ck_plan_missing(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_OTHER);
	WANT(r->other == PS_OTHER_PLAN_MISSING && r->other_ref && strcmp(r->other_ref, "retired-plan") == 0,
	     "case %s: got other %d ref %s, want plan_missing retired-plan", n, r->other,
	     r->other_ref ? r->other_ref : "NULL");
}

static void ck_base_missing(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_OTHER);
	WANT(r->other == PS_OTHER_BASE_MISSING, "case %s: got other %d, want base_missing", n, r->other);
}

static void ck_currency(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_OTHER);
	WANT(r->other == PS_OTHER_CURRENCY_MISMATCH, "case %s: got other %d, want currency_mismatch", n, r->other);
}

static void ck_negative(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_OTHER);
	WANT(r->other == PS_OTHER_NEGATIVE_COUNTS, "case %s: got other %d, want negative_counts", n, r->other);
}

static void ck_eligible_offers(const char *n, const struct ps_verdict *v)
{
	const struct ps_offer *o = ps_verdict_offer(v, "biz-standard");
	WANT(o && o->declared && o->supported && o->eligible, "case %s: biz-standard not offered as eligible", n);
	WANT(o->monthly_before == 6000 && o->monthly_after == 12500, "case %s: got %lld -> %lld, want 6000 -> 12500",
	     n, (long long)o->monthly_before, (long long)o->monthly_after);
	o = ps_verdict_offer(v, "ent-e3");
	WANT(o && o->eligible && o->monthly_after == 32000, "case %s: ent-e3 not offered at 32000", n);
	WANT(!ps_verdict_offer(v, "biz-premium"), "case %s: got biz-premium offered, want not (not declared)", n);
}

static void ck_blocked_offers(const char *n, const struct ps_verdict *v)
{
	for (size_t i = 0; i < v->n_offers; i++)
		WANT(v->offers[i].supported && !v->offers[i].eligible, "case %s: offer %s: got eligible %d, want false",
		     n, v->offers[i].plan->id, v->offers[i].eligible);
}

static void ck_unsafe_shown(const char *n, const struct ps_verdict *v)
{
	const struct ps_offer *o = ps_verdict_offer(v, "biz-standard");
	WANT(o && o->declared && !o->supported && !o->eligible, "case %s: biz-standard: want declared, unsupported", n);
	WANT(o->safety.n_missing == 0 && o->safety.n_lower == 1 && strcmp(o->safety.lower[0]->id, "mail-2") == 0 &&
		     strcmp(o->safety.lower_to[0]->id, "mail-1") == 0,
	     "case %s: got %zu missing, %zu lower, want mail-2 lowered to mail-1", n, o->safety.n_missing,
	     o->safety.n_lower);
	o = ps_verdict_offer(v, "ent-kiosk");
	WANT(o && !o->declared && !o->supported && o->safety.n_missing == 2,
	     "case %s: ent-kiosk: want undeclared with 2 missing services", n);
}

static void ck_undeclared(const char *n, const struct ps_verdict *v)
{
	const struct ps_offer *o = ps_verdict_offer(v, "biz-premium");
	WANT(o && !o->declared && !o->supported && !o->eligible && o->safety.n_missing == 0 && o->safety.n_lower == 0,
	     "case %s: biz-premium: want undeclared, data-safe, not supported", n);
	o = ps_verdict_offer(v, "ent-kiosk");
	WANT(o && !o->declared && o->safety.n_missing == 2 && strcmp(o->safety.missing[0]->id, "mail-1") == 0 &&
		     strcmp(o->safety.missing[1]->id, "files-1") == 0,
	     "case %s: ent-kiosk: want mail-1 and files-1 missing", n);
}

static void ck_many(const char *n, const struct ps_verdict *v)
{
	const struct ps_reason *r = need(n, v, PS_R_SUBSCRIPTION_NOT_READY);
	WANT(r->wait_until == v->sub->s.created_at + PS_NOT_READY_WAIT_S, "case %s: not ready: wrong wait", n);
	r = need(n, v, PS_R_CREDIT_CHECK_PENDING);
	WANT(r->wait_until == NOW + 2 * PS_DAY, "case %s: credit check: wrong wait", n);
	r = need(n, v, PS_R_SERVICE_BUSY);
	WANT(r->retry_after_s == 3540, "case %s: got retry after %lld, want 3540", n, (long long)r->retry_after_s);
}

/* ---- The table ------------------------------------------------------------- */

#define END PS_R__COUNT
struct row {
	const char *name;
	void (*setup)(struct ps_snapshot *s);
	int64_t sub;
	unsigned flags;
	enum ps_reason_code codes[PS_R__COUNT + 1]; /* ends with END */
	const char *offers;                          /* offered plan ids, in order, comma-separated */
	void (*check)(const char *name, const struct ps_verdict *v);
};

static const struct row rows[] = {
	{"eligible: one active plan, its declared data-safe targets offered", basic_10, 1, 0, {END},
	 "biz-standard,ent-e3", ck_eligible_offers},
	{"more users than licenses: license_conflict", conflict, 1, 0, {PS_R_LICENSE_CONFLICT, END},
	 "biz-standard,ent-e3", ck_conflict},
	{"license conflict on another subscription of the tenant blocks this one too", conflict_elsewhere, 1, 0,
	 {PS_R_LICENSE_CONFLICT, END}, "biz-standard,ent-e3", ck_conflict_elsewhere},
	{"offers stay listed but not eligible while blocked", conflict, 1, 0, {PS_R_LICENSE_CONFLICT, END},
	 "biz-standard,ent-e3", ck_blocked_offers},
	{"subscription not fully set up: subscription_not_ready", provisioning, 1, 0,
	 {PS_R_SUBSCRIPTION_NOT_READY, END}, "biz-standard,ent-e3", ck_not_ready},
	{"a service of the plan has an incident: service_incident", incident, 1, 0, {PS_R_SERVICE_INCIDENT, END},
	 "biz-standard,ent-e3", ck_incident},
	{"an incident with an eta ahead: wait until then", incident_eta_ahead, 1, 0, {PS_R_SERVICE_INCIDENT, END},
	 "biz-standard,ent-e3", ck_incident_ahead},
	{"an incident past its eta: call_support first", incident_eta_passed, 1, 0, {PS_R_SERVICE_INCIDENT, END},
	 "biz-standard,ent-e3", ck_incident_passed},
	{"two incidents, one without an eta: until unknown, not overdue", incident_eta_and_none, 1, 0,
	 {PS_R_SERVICE_INCIDENT, END}, "biz-standard,ent-e3", ck_incident_none},
	{"another plan is being upgraded: upgrade_in_progress", in_progress, 1, 0, {PS_R_UPGRADE_IN_PROGRESS, END},
	 "biz-standard,ent-e3", ck_in_progress},
	{"pending credit check: credit_check_pending", credit_check, 1, 0, {PS_R_CREDIT_CHECK_PENDING, END},
	 "biz-standard,ent-e3", ck_credit},
	{"expired subscription: not_eligible", expired, 1, 0, {PS_R_NOT_ELIGIBLE, END}, "biz-standard,ent-e3",
	 ck_expired},
	{"disabled subscription: not_eligible", disabled, 1, 0, {PS_R_NOT_ELIGIBLE, END}, "biz-standard,ent-e3", NULL},
	{"plan with no upgrade path: not_eligible", no_path, 1, 0, {PS_R_NOT_ELIGIBLE, END}, "", ck_no_path},
	{"two plans for the same product: multiple_plans_same_product", same_product, 1, 0,
	 {PS_R_MULTIPLE_PLANS_SAME_PRODUCT, END}, "biz-standard,ent-e3", ck_same_product},
	{"prepaid, term not ended: prepaid_plan with unused days and value", prepaid_running, 1, 0,
	 {PS_R_PREPAID_PLAN, END}, "biz-standard,ent-e3", ck_prepaid},
	{"prepaid, term ended: no reason", prepaid_ended, 1, 0, {END}, "biz-standard,ent-e3", NULL},
	{"government plan: segment_restricted", government, 1, 0, {PS_R_SEGMENT_RESTRICTED, END}, "biz-standard",
	 ck_gov},
	{"nonprofit plan: segment_restricted", nonprofit, 1, 0, {PS_R_SEGMENT_RESTRICTED, END}, "biz-standard",
	 ck_nonprofit},
	{"capacity used up: service_busy with a retry time", busy, 1, 0, {PS_R_SERVICE_BUSY, END},
	 "biz-standard,ent-e3", ck_busy},
	{"capacity: used = limit - 1 is fine", below_capacity, 1, 0, {END}, "biz-standard,ent-e3", NULL},
	{"capacity: window already over still waits 1 s", busy_window_edge, 1, 0, {PS_R_SERVICE_BUSY, END},
	 "biz-standard,ent-e3", ck_busy_edge},
	{"subscription with an add-on: has_addon", addon, 1, 0, {PS_R_HAS_ADDON, END}, "biz-standard,ent-e3",
	 ck_addon},
	{"a cancelled add-on does not count", addon_cancelled, 1, 0, {END}, "biz-standard,ent-e3", NULL},
	{"unpaid balance: unpaid_balance", unpaid, 1, 0, {PS_R_UNPAID_BALANCE, END}, "biz-standard,ent-e3",
	 ck_unpaid},
	{"plan missing from the catalog: other, no offers, plan checks skipped", plan_missing, 1, 0,
	 {PS_R_OTHER, END}, "", ck_plan_missing},
	{"add-on whose base is gone: other (and no upgrade path)", base_missing, 5, 0,
	 {PS_R_NOT_ELIGIBLE, PS_R_OTHER, END}, "", ck_base_missing},
	{"plan priced in another currency: other", currency_mismatch, 1, 0, {PS_R_OTHER, END}, "biz-standard",
	 ck_currency},
	{"negative assigned count: other", negative, 1, 0, {PS_R_OTHER, END}, "biz-standard,ent-e3", ck_negative},
	{"several at once, in RULES order", many, 1, 0,
	 {PS_R_LICENSE_CONFLICT, PS_R_SUBSCRIPTION_NOT_READY, PS_R_CREDIT_CHECK_PENDING, PS_R_PREPAID_PLAN,
	  PS_R_SERVICE_BUSY, PS_R_UNPAID_BALANCE, END},
	 "biz-standard,ent-e3", ck_many},
	{"every whole-subscription reason a tenant can hit at once", nearly_all, 1, 0,
	 {PS_R_LICENSE_CONFLICT, PS_R_SUBSCRIPTION_NOT_READY, PS_R_SERVICE_INCIDENT, PS_R_UPGRADE_IN_PROGRESS,
	  PS_R_CREDIT_CHECK_PENDING, PS_R_MULTIPLE_PLANS_SAME_PRODUCT, PS_R_PREPAID_PLAN, PS_R_SEGMENT_RESTRICTED,
	  PS_R_SERVICE_BUSY, PS_R_HAS_ADDON,
	  PS_R_UNPAID_BALANCE, PS_R_OTHER, END},
	 "biz-standard", NULL},
	{"declared target not data-safe: hidden by default", unsafe_declared, 1, 0, {END}, "", NULL},
	{"declared target not data-safe: shown with PS_EVAL_UNSUPPORTED", unsafe_declared, 1, PS_EVAL_UNSUPPORTED,
	 {END}, "biz-standard,biz-basic,biz-premium,ent-e3,ent-kiosk", ck_unsafe_shown},
	{"undeclared targets: only with PS_EVAL_UNSUPPORTED, declared first, only plans the tenant could buy "
	 "(no other segment's, no other currency's)",
	 basic_10, 1, PS_EVAL_UNSUPPORTED, {END}, "biz-standard,ent-e3,biz-premium,ent-kiosk,legacy-mail",
	 ck_undeclared},
	{"undeclared targets of a government tenant include government plans", basic_10_gov, 1, PS_EVAL_UNSUPPORTED,
	 {END}, "biz-standard,ent-e3,biz-premium,ent-kiosk,gov-g1,legacy-mail", NULL},
};

static void codes_text(char *out, size_t n, const enum ps_reason_code *c, size_t count)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "", ps_reason_code_name(c[i]));
}

static void test_situations(void **state)
{
	static struct ps_verdict v;
	struct ps_snapshot snap;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *row = &rows[i];
		ps_snapshot_init(&snap);
		row->setup(&snap);
		const struct ps_snap_sub *s = ps_snapshot_sub(&snap, row->sub);
		WANT(s, "case %s: subscription %lld not in the snapshot", row->name, (long long)row->sub);
		ps_rules_evaluate(&cat, &snap, s, NOW, row->flags, &v);

		enum ps_reason_code got[PS_R__COUNT];
		size_t want_n = 0;
		while (row->codes[want_n] != END)
			want_n++;
		for (size_t k = 0; k < v.n_reasons; k++)
			got[k] = v.reasons[k].code;
		char g[512], w[512];
		codes_text(g, sizeof g, got, v.n_reasons);
		codes_text(w, sizeof w, row->codes, want_n);
		WANT(strcmp(g, w) == 0, "case %s: got reasons [%s], want [%s]", row->name, g, w);
		WANT(v.eligible == (want_n == 0), "case %s: got eligible %d, want %d", row->name, v.eligible, want_n == 0);
		WANT(v.sub == s, "case %s: verdict names another subscription", row->name);
		for (size_t k = 0; k < v.n_reasons; k++)
			WANT(v.reasons[k].sub == s, "case %s: reason %zu names another subscription", row->name, k);

		char offers[512];
		size_t len = 0;
		offers[0] = '\0';
		for (size_t k = 0; k < v.n_offers; k++)
			len += (size_t)snprintf(offers + len, sizeof offers - len, "%s%s", k ? "," : "",
						v.offers[k].plan->id);
		WANT(strcmp(offers, row->offers) == 0, "case %s: got offers [%s], want [%s]", row->name, offers,
		     row->offers);
		for (size_t k = 0; k < v.n_offers; k++) {
			const struct ps_offer *o = &v.offers[k];
			WANT(o->eligible == (o->supported && v.eligible && !o->same_product),
			     "case %s: offer %s: got eligible %d", row->name, o->plan->id, o->eligible);
			WANT(o->supported || (row->flags & PS_EVAL_UNSUPPORTED),
			     "case %s: offer %s unsupported but listed without the flag", row->name, o->plan->id);
		}
		if (row->check)
			row->check(row->name, &v);
		ps_snapshot_fini(&snap);
	}
}

/* ---- The one decision (ps_decide): one row per situation ---------------- */

static void replaced(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 0, PS_SUB_REPLACED)->s.replaced_by = 2;
	sub(s, 2, "biz-standard", 10, 8, PS_SUB_ACTIVE);
}

/* The tenant already has Enterprise (no seats): a target of that product
 * would leave two plans of one product. */
static void target_held(struct ps_snapshot *s)
{
	base(s);
	sub(s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	sub(s, 4, "ent-e3", 3, 0, PS_SUB_ACTIVE);
}

static const struct decide_row {
	const char *name;
	void (*setup)(struct ps_snapshot *s);
	int64_t sub;
	const char *target;
	enum ps_op_kind kind;
	bool ack_data, ack_addons;
	enum ps_choice_input input;
	bool allowed;
	const char *codes;  /* the reasons, comma-separated */
	const char *addons; /* each add-on's outcome */
	bool credit_source;
	enum ps_switch_mode mode; /* a switch: what moves (default: every user) */
} decide_rows[] = {
	{"upgrade to a supported target", basic_10, 1, "biz-standard", PS_OPK_UPGRADE, 0, 0, PS_CHOICE_OK, true, "", "",
	 true, PS_SWITCH_ALL},
	{"upgrade to an unsupported target", basic_10, 1, "ent-kiosk", PS_OPK_UPGRADE, 0, 0, PS_CHOICE_OK, false,
	 "target_not_supported", "", true, PS_SWITCH_ALL},
	{"upgrade to a plan it cannot buy", basic_10, 1, "biz-basic-us", PS_OPK_UPGRADE, 0, 0, PS_CHOICE_NOT_A_TARGET,
	 false, "", "", false, PS_SWITCH_ALL},
	{"upgrade, target's product held", target_held, 1, "ent-e3", PS_OPK_UPGRADE, 0, 0, PS_CHOICE_OK, false,
	 "multiple_plans_same_product", "", true, PS_SWITCH_ALL},
	{"upgrade, another product's target", target_held, 1, "biz-standard", PS_OPK_UPGRADE, 0, 0, PS_CHOICE_OK, true,
	 "", "", true, PS_SWITCH_ALL},
	{"switch, target's product held without seats", target_held, 1, "ent-e3", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK,
	 true, "", "", true, PS_SWITCH_ALL},
	{"upgrade of an expired subscription", expired, 1, "biz-standard", PS_OPK_UPGRADE, 0, 0, PS_CHOICE_OK, false,
	 "not_eligible", "", true, PS_SWITCH_ALL},
	{"switch of an expired subscription: uncredited", expired, 1, "biz-standard", PS_OPK_SWITCH, 0, 0,
	 PS_CHOICE_OK, true, "", "", false, PS_SWITCH_ALL},
	{"switch of a disabled subscription", disabled, 1, "biz-standard", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK, true, "",
	 "", false, PS_SWITCH_ALL},
	{"switch of a replaced subscription", replaced, 1, "biz-premium", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK, false,
	 "not_eligible", "", false, PS_SWITCH_ALL},
	{"switch while an upgrade runs", in_progress, 1, "biz-standard", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK, false,
	 "upgrade_in_progress", "", true, PS_SWITCH_ALL},
	{"switch, the add-on follows", addon, 1, "biz-standard", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK, true, "",
	 "moved", true, PS_SWITCH_ALL},
	{"switch, the add-on would be cancelled", addon, 1, "biz-premium", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK, false,
	 "has_addon", "cancelled", true, PS_SWITCH_ALL},
	{"switch, the add-on cancelled, acknowledged", addon, 1, "biz-premium", PS_OPK_SWITCH, 0, 1, PS_CHOICE_OK, true,
	 "", "cancelled", true, PS_SWITCH_ALL},
	{"switch of the add-on itself", addon, 2, "biz-standard", PS_OPK_SWITCH, 0, 0, PS_CHOICE_ADDON_SOURCE, false,
	 "", "", false, PS_SWITCH_ALL},
	{"switch losing data, unacknowledged", basic_10, 1, "ent-kiosk", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK, false, "",
	 "", true, PS_SWITCH_ALL},
	{"switch losing data, acknowledged", basic_10, 1, "ent-kiosk", PS_OPK_SWITCH, 1, 0, PS_CHOICE_OK, true, "", "",
	 true, PS_SWITCH_ALL},
	/* Manual changes by seat. */
	{"some users: the add-on stays with the source, nothing to acknowledge", addon, 1, "biz-premium", PS_OPK_SWITCH,
	 0, 0, PS_CHOICE_OK, true, "", "", true, PS_SWITCH_SOME},
	{"into: the add-on follows or ends as for every user", addon, 1, "biz-premium", PS_OPK_SWITCH, 0, 0,
	 PS_CHOICE_OK, false, "has_addon", "cancelled", true, PS_SWITCH_INTO},
	{"switch to its own plan", basic_10, 1, "biz-basic", PS_OPK_SWITCH, 0, 0, PS_CHOICE_NOT_A_TARGET, false, "", "",
	 false, PS_SWITCH_ALL},
	{"into a subscription of its own plan (a merge)", basic_10, 1, "biz-basic", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK,
	 true, "", "", true, PS_SWITCH_INTO},
	{"into, while an upgrade runs", in_progress, 1, "biz-standard", PS_OPK_SWITCH, 0, 0, PS_CHOICE_OK, false,
	 "upgrade_in_progress", "", true, PS_SWITCH_INTO},
};

static void test_decide(void **state)
{
	static struct ps_verdict v;
	static struct ps_choice ch;
	struct ps_snapshot snap;
	for (size_t i = 0; i < sizeof decide_rows / sizeof decide_rows[0]; i++) {
		const struct decide_row *row = &decide_rows[i];
		ps_snapshot_init(&snap);
		row->setup(&snap);
		const struct ps_snap_sub *s = ps_snapshot_sub(&snap, row->sub);
		ps_rules_evaluate(&cat, &snap, s, NOW, PS_EVAL_UNSUPPORTED, &v);
		struct ps_choice_in in = {.to = find_plan(row->target), .kind = row->kind, .mode = row->mode,
					  .acknowledge_data_loss = row->ack_data, .acknowledge_addons = row->ack_addons};
		ps_decide(&snap, &v, &in, &ch);
		char g[512] = "", a[256] = "";
		for (size_t k = 0, len = 0; k < ch.n_reasons + ch.n_addons; k++) {
			bool reason = k < ch.n_reasons;
			if (k == ch.n_reasons)
				len = 0;
			len += (size_t)snprintf((reason ? g : a) + len, (reason ? sizeof g : sizeof a) - len, "%s%s",
						k && k != ch.n_reasons ? "," : "",
						reason ? ps_reason_code_name(ch.reasons[k].code)
						       : ps_addon_outcome_name(ch.addons[k - ch.n_reasons].outcome));
		}
		WANT(ch.input == row->input, "case %s: got input %d, want %d", row->name, ch.input, row->input);
		WANT(ch.allowed == row->allowed, "case %s: got allowed %d, want %d", row->name, ch.allowed, row->allowed);
		if (ch.input == PS_CHOICE_OK) {
			WANT(strcmp(g, row->codes) == 0, "case %s: got reasons [%s], want [%s]", row->name, g, row->codes);
			WANT(strcmp(a, row->addons) == 0, "case %s: got add-ons [%s], want [%s]", row->name, a,
			     row->addons);
			WANT(ch.credit_source == row->credit_source, "case %s: got credit_source %d, want %d", row->name,
			     ch.credit_source, row->credit_source);
		}
		/* The tab and the decision agree on the upgrade. */
		const struct ps_offer *o = ps_verdict_offer(&v, row->target);
		if (row->kind == PS_OPK_UPGRADE && o)
			WANT(o->eligible == ch.allowed, "case %s: the tab says eligible %d, the decision %d", row->name,
			     o->eligible, ch.allowed);
		ps_snapshot_fini(&snap);
	}
}

/* The remedies of each reason, in RULES' order. */
static void test_remedies(void **state)
{
	static const struct {
		enum ps_reason_code code;
		const char *want;
	} cases[] = {
		{PS_R_LICENSE_CONFLICT, "resolve_license_conflicts,change_plans_manually,call_support"},
		{PS_R_SUBSCRIPTION_NOT_READY, "wait,call_support"},
		{PS_R_SERVICE_INCIDENT, "wait,call_support"},
		{PS_R_UPGRADE_IN_PROGRESS, "wait"},
		{PS_R_CREDIT_CHECK_PENDING, "wait"},
		{PS_R_NOT_ELIGIBLE, "change_plans_manually,call_support"},
		{PS_R_MULTIPLE_PLANS_SAME_PRODUCT, "change_plans_manually,call_support"},
		{PS_R_PREPAID_PLAN, "schedule_at_term_end,change_plans_manually,call_support"},
		{PS_R_SEGMENT_RESTRICTED, "change_plans_manually,call_support"},
		{PS_R_SERVICE_BUSY, "retry_later"},
		{PS_R_TARGET_NOT_SUPPORTED, "change_plans_manually,call_support"},
		{PS_R_HAS_ADDON, "change_plans_manually,call_support"},
		{PS_R_UNPAID_BALANCE, "pay_now"},
		{PS_R_OTHER, "change_plans_manually,call_support"},
	};
	WANT(sizeof cases / sizeof cases[0] == PS_R__COUNT, "case table: got %zu rows, want %d",
	     sizeof cases / sizeof cases[0], PS_R__COUNT);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = 0, len = 0;
		const enum ps_remedy *r = ps_reason_remedies(cases[i].code, &n);
		char got[256] = "";
		for (size_t k = 0; k < n; k++)
			len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", k ? "," : "", ps_remedy_name(r[k]));
		WANT(strcmp(got, cases[i].want) == 0, "case %s: got %s, want %s", ps_reason_code_name(cases[i].code), got,
		     cases[i].want);
	}
	size_t n = 9;
	WANT(ps_reason_remedies(PS_R__COUNT, &n) == NULL && n == 0, "case out of range: got remedies, want none");
}

static void test_names(void **state)
{
	static const char *const want[] = {"license_conflict", "subscription_not_ready", "service_incident",
					   "upgrade_in_progress", "credit_check_pending", "not_eligible",
					   "multiple_plans_same_product", "prepaid_plan", "segment_restricted",
					   "service_busy", "target_not_supported", "has_addon", "unpaid_balance", "other"};
	for (int i = 0; i < PS_R__COUNT; i++) {
		enum ps_reason_code c;
		WANT(strcmp(ps_reason_code_name((enum ps_reason_code)i), want[i]) == 0, "case reason %d: got %s, want %s",
		     i, ps_reason_code_name((enum ps_reason_code)i), want[i]);
		WANT(ps_reason_code_parse(want[i], &c) && (int)c == i, "case parse %s: got no match, want %d", want[i], i);
	}
	enum ps_remedy r;
	WANT(ps_remedy_parse("pay_now", &r) && r == PS_REM_PAY_NOW, "case parse pay_now: got no match");
	WANT(!ps_remedy_parse("pay_later", &r), "case parse pay_later: got a match, want none");
	WANT(strcmp(ps_remedy_name(PS_REM__COUNT), "?") == 0, "case name out of range: got %s, want ?",
	     ps_remedy_name(PS_REM__COUNT));
}

static void test_snapshot(void **state)
{
	struct ps_snapshot s;
	ps_snapshot_init(&s);
	for (int64_t id = 1; id <= 40; id++)
		if (id % 3 != 0)
			sub(&s, id * 2, "biz-basic", 1, 0, PS_SUB_ACTIVE);
	for (int64_t id = 0; id <= 82; id++) {
		const struct ps_snap_sub *f = ps_snapshot_sub(&s, id);
		bool want = id % 2 == 0 && id >= 2 && id <= 80 && (id / 2) % 3 != 0;
		WANT((f != NULL) == want, "case lookup %lld: got %s, want %s", (long long)id, f ? "found" : "missing",
		     want ? "found" : "missing");
		WANT(!f || f->s.id == id, "case lookup %lld: got sub %lld", (long long)id, (long long)f->s.id);
	}
	size_t cap = s.cap_subs;
	void *mem = s.subs;
	s.past_due = 5;
	s.has_credit_check = true;
	ps_snapshot_reset(&s);
	WANT(s.n_subs == 0 && s.cap_subs == cap && s.subs == mem && s.past_due == 0 && !s.has_credit_check,
	     "case reset: got n %zu cap %zu, want 0 and memory kept, facts cleared", s.n_subs, s.cap_subs);
	WANT(ps_snapshot_sub(&s, 2) == NULL, "case lookup after reset: got a sub, want none");
	struct ps_operation *op = ps_snapshot_add_op(&s);
	struct ps_snap_incident *in = ps_snapshot_add_incident(&s);
	WANT(op->id == 0 && in->id == 0 && s.n_ops == 1 && s.n_incidents == 1, "case add: got non-zeroed elements");
	ps_snapshot_fini(&s);
	ps_snapshot_fini(&s); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_situations),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_remedies),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_snapshot),
	};
	return cmocka_run_group_tests(tests, setup_catalog, NULL);
}
