/* ps_upgrade_view.h: the Upgrade tab as JSON (app layer): a verdict of the
 * engine rendered with messages in the caller's language, details and
 * remedies, as API.md fixes them. Used by the HTTP API and by `sweep`. */
#ifndef PS_UPGRADE_VIEW_H
#define PS_UPGRADE_VIEW_H

#include "../common/ps_i18n.h"
#include "../common/ps_json.h"
#include "../core/ps_catalog.h"
#include "../core/ps_rules.h"

#include <stdint.h>

/* {"subscription": "sub_7", "eligible": bool, "reasons": [reason...],
 *  "offers": [{"plan", "name", "eligible", "upgrade_type", "reasons", "price"}]}
 * upgrade_type is "automatic" for a supported target, "manual" otherwise
 * (only listed with PS_EVAL_UNSUPPORTED). price is
 * {"currency", "per_seat_month_before", "per_seat_month_after",
 *  "monthly_before", "monthly_after", "quantity"}. */
void ps_render_verdict(struct ps_jw *w, const struct ps_verdict *v, const struct ps_snapshot *snap,
		       enum ps_lang lang, int64_t now);

/* One reason: {"code", "message", "details": {...}, "remedies": [{"action",
 * "href"?, "until"?}]}. Used for whole-subscription reasons, and for the
 * reasons of a 409 upgrade_blocked answer. */
void ps_render_reason(struct ps_jw *w, const struct ps_reason *r, const struct ps_snapshot *snap,
		      enum ps_lang lang, int64_t now);

/* An offer's own reason (target_not_supported), rendered like a reason. */
void ps_render_offer_reason(struct ps_jw *w, const struct ps_offer *o, const struct ps_verdict *v,
			    const struct ps_snapshot *snap, enum ps_lang lang, int64_t now);

/* The English message of a reason, expanded in lang (for CSV output and logs). */
void ps_reason_message(struct ps_buf *out, const struct ps_reason *r, const struct ps_snapshot *snap,
		       enum ps_lang lang, int64_t now);

#endif
