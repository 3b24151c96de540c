/* ps_rules.h: the eligibility engine (core layer): RULES.md as code.
 * ps_rules_evaluate() is a pure function of a catalog, a snapshot of one
 * tenant and `now`: no I/O, no clock, no allocation. It lists every reason
 * that blocks a subscription, in RULES' order, with the facts behind each,
 * and the target plans on offer. Messages and JSON are the app layer's job. */
#ifndef PS_RULES_H
#define PS_RULES_H

#include "ps_catalog.h"
#include "ps_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The reasons, in the order they are listed (RULES "The Upgrade tab"). */
#define PS_REASON_MAP(X)                                                \
	X(LICENSE_CONFLICT, "license_conflict")                         \
	X(SUBSCRIPTION_NOT_READY, "subscription_not_ready")             \
	X(SERVICE_INCIDENT, "service_incident")                         \
	X(UPGRADE_IN_PROGRESS, "upgrade_in_progress")                   \
	X(CREDIT_CHECK_PENDING, "credit_check_pending")                 \
	X(NOT_ELIGIBLE, "not_eligible")                                 \
	X(MULTIPLE_PLANS_SAME_PRODUCT, "multiple_plans_same_product")   \
	X(PREPAID_PLAN, "prepaid_plan")                                 \
	X(SEGMENT_RESTRICTED, "segment_restricted")                     \
	X(SERVICE_BUSY, "service_busy")                                 \
	X(TARGET_NOT_SUPPORTED, "target_not_supported")                 \
	X(HAS_ADDON, "has_addon")                                       \
	X(UNPAID_BALANCE, "unpaid_balance")                             \
	X(OTHER, "other")

#define PS_REMEDY_MAP(X)                                                \
	X(RESOLVE_LICENSE_CONFLICTS, "resolve_license_conflicts")       \
	X(CHANGE_PLANS_MANUALLY, "change_plans_manually")               \
	X(CALL_SUPPORT, "call_support")                                 \
	X(PAY_NOW, "pay_now")                                           \
	X(WAIT, "wait")                                                 \
	X(RETRY_LATER, "retry_later")                                   \
	X(SCHEDULE_AT_TERM_END, "schedule_at_term_end")

#define PS__ENUM_PS_R(n, s) PS_R_##n,
#define PS__ENUM_PS_REM(n, s) PS_REM_##n,
PS_DECLARE_ENUM(ps_reason_code, PS_R, PS_REASON_MAP)
PS_DECLARE_ENUM(ps_remedy, PS_REM, PS_REMEDY_MAP)

/* The remedies of a reason, in RULES' order. */
const enum ps_remedy *ps_reason_remedies(enum ps_reason_code c, size_t *n);
struct ps_reason;
/* The remedies of this reason: those of its code, but only call_support
 * for a replaced or cancelled subscription (nothing is left to change). */
const enum ps_remedy *ps_reason_remedies_of(const struct ps_reason *r, size_t *n);

/* How long "a few hours" is, for subscription_not_ready's wait, unless the
 * provider says otherwise (serve --provisioning-sla). */
#define PS_NOT_READY_WAIT_S (4 * 3600)
/* The capacity window for automatic upgrades (RULES reason 10). */
#define PS_CAPACITY_WINDOW_S 3600

/* ---- The snapshot: what the engine knows of one tenant ---------------- */

struct ps_snap_sub {
	struct ps_subscription s;
	const struct ps_plan *plan; /* NULL when the catalog lacks s.plan_id */
};

struct ps_snap_incident {
	int64_t id;
	char service_id[PS_ID_MAX + 1];
	enum ps_incident_status status;
	int64_t eta; /* 0: none given */
};

struct ps_snapshot {
	struct ps_tenant tenant;
	struct ps_snap_sub *subs; /* every subscription of the tenant, any status, by id */
	size_t n_subs, cap_subs;
	struct ps_snap_incident *incidents; /* open incidents, every service */
	size_t n_incidents, cap_incidents;
	struct ps_operation *ops; /* the tenant's unfinished operations */
	size_t n_ops, cap_ops;
	bool has_credit_check; /* a pending credit check */
	struct ps_credit_check credit_check;
	int64_t past_due;   /* sum of what is past due at `now`, minor units */
	int64_t oldest_due; /* the oldest past-due invoice's due time */
	/* Automatic upgrades started system-wide in the capacity window. */
	int64_t capacity_limit;  /* 0: no limit */
	int64_t capacity_used;
	int64_t capacity_oldest; /* start of the oldest one in the window */
	/* The provisioning time the provider expects (serve
	 * --provisioning-sla); 0: PS_NOT_READY_WAIT_S. */
	int64_t provisioning_sla;
};

/* The provisioning time in force for snap. */
int64_t ps_snapshot_provisioning_sla(const struct ps_snapshot *s);

void ps_snapshot_init(struct ps_snapshot *s);
void ps_snapshot_fini(struct ps_snapshot *s);
void ps_snapshot_reset(struct ps_snapshot *s); /* empty, memory kept */
/* Append a zeroed element and return it (for store backends). */
struct ps_snap_sub *ps_snapshot_add_sub(struct ps_snapshot *s);
struct ps_snap_incident *ps_snapshot_add_incident(struct ps_snapshot *s);
struct ps_operation *ps_snapshot_add_op(struct ps_snapshot *s);
/* Point every subscription at its plan in cat (NULL when missing). */
void ps_snapshot_resolve(struct ps_snapshot *s, const struct ps_catalog *cat);
struct ps_snap_sub *ps_snapshot_sub(const struct ps_snapshot *s, int64_t sub_id);

/* ---- The verdict ------------------------------------------------------ */

#define PS_LIST_MAX 16  /* items listed in one reason's details */
#define PS_OFFER_MAX 128

enum ps_other_kind {
	PS_OTHER_NONE,
	PS_OTHER_PLAN_MISSING,      /* the subscription's plan is not in the catalog */
	PS_OTHER_BASE_MISSING,      /* an add-on whose base subscription is gone */
	PS_OTHER_CURRENCY_MISMATCH, /* plan priced in another currency than the tenant's */
	PS_OTHER_NEGATIVE_COUNTS    /* quantity or assigned below zero */
};

struct ps_reason {
	enum ps_reason_code code;
	int64_t wait_until; /* for wait / retry_later: until when; 0 when it cannot be known */
	bool overdue;       /* not_ready, incident: wait_until has passed (call_support first) */
	/* details; which are set depends on code */
	enum ps_sub_status status;                      /* not_ready, not_eligible */
	bool no_upgrade_path;                           /* not_eligible */
	const struct ps_snap_sub *subs[PS_LIST_MAX];    /* conflict, multiple plans, add-ons */
	size_t n_subs;                                  /* how many in all (may exceed PS_LIST_MAX) */
	const struct ps_snap_incident *incidents[PS_LIST_MAX];
	size_t n_incidents;                             /* how many in all */
	int64_t operation_id;                           /* upgrade_in_progress */
	int64_t credit_check_id, requested_at, expected_by; /* credit_check_pending */
	int64_t term_end, unused_days, unused_value;    /* prepaid_plan */
	enum ps_segment segment;                        /* segment_restricted */
	int64_t retry_after_s;                          /* service_busy */
	int64_t amount_due, oldest_due;                 /* unpaid_balance */
	enum ps_other_kind other;                       /* other */
	const char *other_ref;                          /* other: the id concerned */
	/* Added for the view: the subscription evaluated, so a reason rendered
	 * on its own (409 upgrade_blocked) can name it in hrefs and messages. */
	const struct ps_snap_sub *sub;
	/* A reason about one target (RULES second part, "One decision"): the
	 * target; NULL for a reason about the subscription as a whole. */
	const struct ps_plan *target;
	const struct ps_offer *offer;  /* target_not_supported: the offer refused */
	int64_t users[PS_LIST_MAX];    /* multiple_plans_same_product per target: the users */
	size_t n_users;                /* who already hold a seat of the target's product */
};

struct ps_offer {
	const struct ps_plan *plan;
	bool declared;  /* in the source plan's upgrades_to */
	bool supported; /* declared and data-safe: offered for automatic upgrade */
	bool eligible;  /* supported and the subscription has no blocking reason */
	struct ps_safety safety; /* what the target lacks, when not data-safe */
	int64_t monthly_before; /* the current plan, at this quantity, minor units */
	int64_t monthly_after;  /* the target, at this quantity */
	/* Per target: the tenant already holds the target's product in another
	 * subscription (live, or holding seats): multiple_plans_same_product. */
	bool same_product;
	struct ps_reason same_product_reason;
};

struct ps_verdict {
	const struct ps_snap_sub *sub;
	bool eligible; /* no reason blocks the subscription as a whole */
	struct ps_reason reasons[PS_R__COUNT]; /* whole-subscription reasons, RULES order */
	size_t n_reasons;
	struct ps_offer offers[PS_OFFER_MAX]; /* declared targets first, in catalog order */
	size_t n_offers;
};

#define PS_EVAL_UNSUPPORTED 1u /* list undeclared and unsafe targets too */

/* Evaluate `sub` (an element of snap->subs) at `now`. Never fails: what is
 * inconsistent becomes reason `other`. */
void ps_rules_evaluate(const struct ps_catalog *cat, const struct ps_snapshot *snap,
		       const struct ps_snap_sub *sub, int64_t now, unsigned flags, struct ps_verdict *out);

/* The reason "another subscription holds the target's product" for moving
 * sub to `to`, written into *r (code multiple_plans_same_product, target
 * set, the holders listed); false when no other subscription of the
 * tenant, live or holding seats, is of to's product. */
bool ps_rules_same_product(const struct ps_snapshot *snap, const struct ps_snap_sub *sub, const struct ps_plan *to,
			   struct ps_reason *r);

/* The reason with this code in v, or NULL. */
const struct ps_reason *ps_verdict_reason(const struct ps_verdict *v, enum ps_reason_code c);
/* The offer for plan_id in v, or NULL. */
const struct ps_offer *ps_verdict_offer(const struct ps_verdict *v, const char *plan_id);

#endif
