/* ps_decide.h: the one decision (core layer, RULES second part, "One
 * decision"): may this subscription move to this target, by the automatic
 * upgrade or by the manual change, and if not, every reason why. The Upgrade
 * tab's verdict, the previews and the executions all decide with it, so a
 * change the preview allows goes through and a refusal names only reasons
 * the preview showed. Pure: no I/O, no clock, no allocation. */
#ifndef PS_DECIDE_H
#define PS_DECIDE_H

#include "ps_rules.h"

/* More than the whole-subscription reasons: a target's own two, and the
 * manual change's. */
#define PS_CHOICE_REASONS (PS_R__COUNT + 4)

enum ps_addon_outcome {
	PS_ADDON_MOVED,    /* it attaches to the target: it follows */
	PS_ADDON_CANCELLED /* it does not: cancelled, credited as a cancellation */
};
const char *ps_addon_outcome_name(enum ps_addon_outcome o);

struct ps_addon_fate {
	const struct ps_snap_sub *addon;
	enum ps_addon_outcome outcome;
};

/* A request that no state of the tenant makes valid: an input error (400,
 * or 409 for an add-on moved on its own), the same for the preview and the
 * execution. */
enum ps_choice_input {
	PS_CHOICE_OK,
	PS_CHOICE_NOT_A_TARGET, /* to is not a plan this subscription can move to */
	PS_CHOICE_ADDON_SOURCE  /* an add-on moves with its base subscription */
};

/* What a manual change moves (RULES second part, "Manual changes by
 * seat"): every user to a new subscription, some users (the source lives
 * on, its add-ons stay), or every user into an existing subscription. */
enum ps_switch_mode { PS_SWITCH_ALL, PS_SWITCH_SOME, PS_SWITCH_INTO };

struct ps_choice_in {
	const struct ps_plan *to;
	enum ps_op_kind kind;       /* PS_OPK_UPGRADE or PS_OPK_SWITCH */
	enum ps_switch_mode mode;   /* switch: what moves; `to` is the plan of `into` for INTO */
	bool acknowledge_data_loss; /* switch: a target lacking a data-bearing service */
	bool acknowledge_addons;    /* switch: add-ons that the target does not take */
	/* Users of the subscription who already hold a seat of to's product
	 * elsewhere (read by the app from the assignments), up to
	 * PS_LIST_MAX: named by the upgrade's refusal, listed by the switch as
	 * license errors; n_clashes counts them all. */
	const int64_t *clash_users;
	const int64_t *clash_subs; /* the subscription each keeps (may be NULL) */
	size_t n_clashes;
};

struct ps_choice {
	enum ps_op_kind kind;
	const struct ps_plan *to;
	enum ps_choice_input input;
	bool allowed;         /* the execution, asked in this state, goes through */
	bool busy_only;       /* an upgrade held only by service_busy (429) */
	bool needs_data_ack;  /* switch: refused until acknowledge_data_loss */
	bool credit_source;   /* the source's unused days are credited (it is live) */
	const struct ps_offer *offer; /* the target's offer on the tab, or NULL */
	struct ps_reason reasons[PS_CHOICE_REASONS]; /* every reason, RULES order */
	size_t n_reasons;
	struct ps_addon_fate addons[PS_LIST_MAX]; /* the source's live add-ons */
	size_t n_addons;                          /* listed */
	size_t total_addons;                      /* in all */
	/* switch: the users who keep the seat of the target's product they
	 * hold elsewhere instead of moving (license_errors, already_licensed). */
	int64_t license_errors[PS_LIST_MAX];
	int64_t license_kept[PS_LIST_MAX]; /* the subscription each keeps, or 0 */
	size_t n_license_errors;
};

/* What an add-on's fate credits at now: a cancelled one, its unused days
 * (as any cancellation: ps_seats_prorated); one that moves, nothing. */
int64_t ps_addon_credit(const struct ps_addon_fate *f, int64_t now);
/* The sum of that over the add-ons of ch. */
int64_t ps_choice_addons_credit(const struct ps_choice *ch, int64_t now);

/* Decide moving v->sub (v evaluated by ps_rules_evaluate on snap at now,
 * with PS_EVAL_UNSUPPORTED) as in says. Never fails. */
void ps_decide(const struct ps_snapshot *snap, const struct ps_verdict *v, const struct ps_choice_in *in,
	       struct ps_choice *out);

#endif
