/* ps_render.h: the API's JSON shape of each record (app layer), written
 * directly with the ps_jw writer. One function per record; the HTTP layer
 * and the command line both use them. */
#ifndef PS_RENDER_H
#define PS_RENDER_H

#include "../common/ps_err.h"
#include "../common/ps_json.h"
#include "../core/ps_catalog.h"
#include "../core/ps_model.h"

void ps_render_tenant(struct ps_jw *w, const struct ps_tenant *t);
void ps_render_user(struct ps_jw *w, const struct ps_user *u);
/* {id, plan, product, quantity, assigned, status, term, prepaid, term_start,
 *  term_end, addon_of, replaced_by} plus plan_name when the catalog has it. */
void ps_render_sub(struct ps_jw *w, const struct ps_subscription *s, const struct ps_catalog *cat);
/* The same, with "credit_check": {...} when the purchase waits on one. */
void ps_render_sub_ex(struct ps_jw *w, const struct ps_subscription *s, const struct ps_catalog *cat,
		      const struct ps_credit_check *cc);
void ps_render_credit_check(struct ps_jw *w, const struct ps_credit_check *cc);
void ps_render_invoice(struct ps_jw *w, const struct ps_invoice *inv, int64_t now);
void ps_render_line(struct ps_jw *w, const struct ps_invoice_line *l);
void ps_render_receipt(struct ps_jw *w, const struct ps_receipt *p);
/* {subscription, plan, purchased, assigned, available, conflict} */
void ps_render_license(struct ps_jw *w, const struct ps_subscription *s);
void ps_render_assignment(struct ps_jw *w, const struct ps_assignment *a);
void ps_render_incident(struct ps_jw *w, const struct ps_incident *i, const struct ps_catalog *cat);
void ps_render_audit(struct ps_jw *w, const struct ps_audit *a);
/* {at, tenants, subscriptions, live, eligible, blocked, blocked_by: {reason: n}} */
struct ps_fleet_sum;
void ps_render_fleet(struct ps_jw *w, const struct ps_fleet_sum *sum, int64_t at);
/* {"error": {"code", "message", "field"?}} */
void ps_render_error(struct ps_jw *w, const struct ps_err *e);

#endif
