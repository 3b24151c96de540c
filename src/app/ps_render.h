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
/* {id, service, service_name, status, title, opened_at, resolved_at, eta,
 *  updates: [{time, status, message}]} */
void ps_render_incident(struct ps_jw *w, const struct ps_incident *i, const struct ps_catalog *cat,
			const struct ps_incident_update *u, size_t n);
void ps_render_audit(struct ps_jw *w, const struct ps_audit *a);
/* {id, type, tenant, created, data}: data the object as it was rendered
 * when the change was made; tenant null for an event of no one tenant. */
void ps_render_event(struct ps_jw *w, const struct ps_event *e);
/* {id, tenant, kind, state, source, target_plan, new_subscription, quantity,
 *  credit_check, license_errors, result, created_at, updated_at, request_id} */
void ps_render_operation(struct ps_jw *w, const struct ps_operation *op);
/* {id, tenant, subscription, reason_codes: [...], description, status, created_at} */
void ps_render_support(struct ps_jw *w, const struct ps_support_request *s);
/* The sums of a tenant's billing, as keys of the caller's object. */
struct ps_billing_sum;
void ps_render_billing_sum(struct ps_jw *w, int64_t tenant, const struct ps_billing_sum *sum);
/* Who a token is: {role, tenant, token}; tenant null for the provider's roles. */
void ps_render_principal(struct ps_jw *w, const struct ps_principal *p);
/* A token as listed: {id, name, role, tenant, created, expires_at,
 * last_used_at}, never its secret. */
void ps_render_token(struct ps_jw *w, const struct ps_token *t);
/* A new token: the same and its secret `token`, shown this once. */
void ps_render_token_new(struct ps_jw *w, const struct ps_token *t, const char *secret);
/* A session: {csrf_token, role, tenant, token, expires_at}. */
void ps_render_session(struct ps_jw *w, const struct ps_principal *who, const char *csrf);
/* {version, loaded_at, loaded_by} */
void ps_render_catalog_version(struct ps_jw *w, const struct ps_catalog_version *v);
/* The catalog as GET /v1/catalog shows it: its document with `version`
 * first. */
void ps_render_catalog(struct ps_jw *w, const struct ps_catalog *cat);
/* {subscription, user, assigned}: the answer to assigning or unassigning a seat. */
void ps_render_seat(struct ps_jw *w, int64_t sub, int64_t user, bool assigned);
/* {now, mode: "manual"} */
void ps_render_clock(struct ps_jw *w, int64_t now);
/* [{id, name, status: healthy|incident}] of every catalog service;
 * affected[k] for service k. */
void ps_render_services(struct ps_jw *w, const struct ps_catalog *cat, const bool *affected);
/* {at, tenants, subscriptions, live, eligible, blocked, blocked_by: {reason: n}} */
struct ps_fleet_sum;
void ps_render_fleet(struct ps_jw *w, const struct ps_fleet_sum *sum, int64_t at);
/* {"error": {"code", "message", "field"?}} */
void ps_render_error(struct ps_jw *w, const struct ps_err *e);
/* The same, left open after `field` for more members: the caller closes
 * both objects. */
void ps_render_error_open(struct ps_jw *w, const struct ps_err *e);

#endif
