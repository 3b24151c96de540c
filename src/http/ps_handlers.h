/* ps_handlers.h: every handler of the route table (http layer), one file per resource. */
#ifndef PS_HANDLERS_H
#define PS_HANDLERS_H

#include "ps_http_int.h"

ps_code ps_h_billing(struct ps_req *r);
ps_code ps_h_payment(struct ps_req *r);
ps_code ps_h_credit_checks(struct ps_req *r);
ps_code ps_h_credit_decision(struct ps_req *r);
ps_code ps_h_clock_get(struct ps_req *r);
ps_code ps_h_clock_set(struct ps_req *r);
ps_code ps_h_healthz(struct ps_req *r);
ps_code ps_h_catalog(struct ps_req *r);
ps_code ps_h_catalog_put(struct ps_req *r);
ps_code ps_h_catalog_versions(struct ps_req *r);
ps_code ps_h_service_health(struct ps_req *r);
ps_code ps_h_incident_create(struct ps_req *r);
ps_code ps_h_incident_resolve(struct ps_req *r);
ps_code ps_h_incident_patch(struct ps_req *r);
ps_code ps_h_fleet(struct ps_req *r);
ps_code ps_h_whoami(struct ps_req *r);
ps_code ps_h_subs_list(struct ps_req *r);
ps_code ps_h_licenses(struct ps_req *r);
ps_code ps_h_sub_create(struct ps_req *r);
ps_code ps_h_sub_get(struct ps_req *r);
ps_code ps_h_sub_patch(struct ps_req *r);
ps_code ps_h_sub_cancel(struct ps_req *r);
ps_code ps_h_sub_status(struct ps_req *r);
ps_code ps_h_seats_list(struct ps_req *r);
ps_code ps_h_seat_put(struct ps_req *r);
ps_code ps_h_seat_delete(struct ps_req *r);
ps_code ps_h_seats_bulk(struct ps_req *r);
ps_code ps_h_upgrades(struct ps_req *r);
ps_code ps_h_tenants_list(struct ps_req *r);
ps_code ps_h_tenant_create(struct ps_req *r);
ps_code ps_h_tenant_get(struct ps_req *r);
ps_code ps_h_token_create(struct ps_req *r);
ps_code ps_h_tokens_list(struct ps_req *r);
ps_code ps_h_token_revoke(struct ps_req *r);
/* h_webhooks.c */
ps_code ps_h_webhook_create(struct ps_req *r);
ps_code ps_h_webhooks_list(struct ps_req *r);
ps_code ps_h_webhook_get(struct ps_req *r);
ps_code ps_h_webhook_patch(struct ps_req *r);
ps_code ps_h_webhook_delete(struct ps_req *r);
ps_code ps_h_webhook_secret(struct ps_req *r);
ps_code ps_h_deliveries_list(struct ps_req *r);
ps_code ps_h_session_create(struct ps_req *r);
ps_code ps_h_session_get(struct ps_req *r);
ps_code ps_h_session_delete(struct ps_req *r);
ps_code ps_h_users_list(struct ps_req *r);
ps_code ps_h_user_create(struct ps_req *r);
ps_code ps_h_users_bulk(struct ps_req *r);
ps_code ps_h_user_get(struct ps_req *r);
ps_code ps_h_audit_list(struct ps_req *r);
ps_code ps_h_events_list(struct ps_req *r);
ps_code ps_h_preview(struct ps_req *r);
ps_code ps_h_switch_preview(struct ps_req *r);
ps_code ps_h_upgrade(struct ps_req *r);
ps_code ps_h_switch(struct ps_req *r);
ps_code ps_h_operations(struct ps_req *r);
ps_code ps_h_operation(struct ps_req *r);
ps_code ps_h_operation_fail(struct ps_req *r);
ps_code ps_h_operation_cancel(struct ps_req *r);
ps_code ps_h_support_create(struct ps_req *r);
ps_code ps_h_support_list(struct ps_req *r);

#endif
