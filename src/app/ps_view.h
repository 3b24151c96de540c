/* ps_view.h: views of the use cases' results (app layer), as the API's JSON:
 * the preview of a change, the error object of a failed call (a refused
 * upgrade with its reasons), and the sweep's row. The HTTP layer and the
 * command line both use them; records are in ps_render.h, the Upgrade tab
 * in ps_upgrade_view.h. */
#ifndef PS_VIEW_H
#define PS_VIEW_H

#include "ps_app.h"

/* How many users of the seats that move the preview names. */
#define PS_PREVIEW_USERS 100

struct ps_preview_view {
	int64_t sub;
	enum ps_op_kind kind;
	const struct ps_change_plan *plan;
	const struct ps_verdict *verdict; /* the Upgrade tab's, every target listed */
	const struct ps_offer *offer;     /* the target's offer, NULL when it is none */
	const struct ps_snapshot *snap;
	enum ps_lang lang;
	int64_t now;
	const int64_t *users; /* the first users that move (up to PS_PREVIEW_USERS) */
	size_t n_users;
	const struct ps_choice *choice; /* the one decision: reasons, add-on outcomes */
};
/* {subscription, kind, plan, target_plan, target_name, allowed, reasons,
 *  addons: [{subscription, plan, outcome}], quantity, price, period, prepaid, credit_check, data, users}. */
void ps_render_preview(struct ps_jw *w, const struct ps_preview_view *pv);

/* What a refused change leaves to explain itself. */
struct ps_refusal {
	const struct ps_verdict *verdict; /* NULL, or one evaluated for a subscription */
	const struct ps_offer *offer;     /* the target's own refusal, or NULL */
	const struct ps_snapshot *snap;
	enum ps_lang lang;
	int64_t now;
	const struct ps_choice *choice; /* the one decision's reasons, when it refused */
	/* A refused catalog's faults (ps_app_catalog_load), one sentence each. */
	const char *const *faults;
	size_t n_faults;
};
/* The error object of a call that failed with rc and err: {"error": {code,
 * message, field?}}, the store's own message replaced by one for the
 * caller. A refused upgrade (PS_UPGRADE_BLOCKED, or PS_RATE_LIMITED, with
 * a verdict) adds "reasons": the decision's (choice), else the target's own reason, else every reason of
 * the verdict, else upgrade_in_progress (the store refused a second
 * unfinished upgrade of the tenant: a twin request got there first). For
 * PS_RATE_LIMITED, *retry_after_s gets the seconds to wait, for PS_STORE
 * and PS_RETRY (the store is locked or cannot be written just now)
 * PS_STORE_RETRY_S; -1 otherwise. */
#define PS_STORE_RETRY_S 1
void ps_render_failure(struct ps_jw *w, ps_code rc, const struct ps_err *err, const struct ps_refusal *why,
		       int64_t *retry_after_s);

/* The sweep's row of one subscription: {tenant, subscription, plan, status,
 * eligible, reasons: [code], offers: [eligible plan id]}. */
void ps_render_sweep_row(struct ps_jw *w, const struct ps_verdict *v);

#endif
