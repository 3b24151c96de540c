/* ps_lists.h: the read use cases (app layer): one record, or a page of
 * records walked through a callback, as the transports show them. Rights
 * are checked before these are called (ps_access.h); each says what is
 * missing as PS_NOT_FOUND with a message naming it. A `limit` of 0 walks
 * every row; the callback returning false stops the walk (no error). */
#ifndef PS_LISTS_H
#define PS_LISTS_H

#include "ps_app.h"

ps_code ps_app_tenants_list(struct ps_ctx *c, int64_t after, size_t limit, ps_tenant_cb cb, void *arg);
/* PS_NOT_FOUND "no such tenant" when tenant is missing. */
/* q: NULL for every user, else those whose name or upn contains it (at most PS_USER_Q_MAX bytes). */
ps_code ps_app_users_list(struct ps_ctx *c, int64_t tenant, const char *q, int64_t after, size_t limit, ps_user_cb cb,
			  void *arg);
ps_code ps_app_user_get(struct ps_ctx *c, int64_t tenant, int64_t id, struct ps_user *out);
/* PS_NOT_FOUND "no such tenant" when tenant is missing. */
ps_code ps_app_subs_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_sub_cb cb, void *arg);
ps_code ps_app_sub_get(struct ps_ctx *c, int64_t tenant, int64_t id, struct ps_subscription *out);
/* The seats of a subscription by user id; PS_NOT_FOUND "no such
 * subscription" when sub is missing. */
ps_code ps_app_seats_list(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t after, size_t limit,
			  ps_assignment_cb cb, void *arg);
ps_code ps_app_audit_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_audit_cb cb, void *arg);
ps_code ps_app_operations_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_operation_cb cb,
			       void *arg);
ps_code ps_app_operation_get(struct ps_ctx *c, int64_t tenant, int64_t id, struct ps_operation *out);
ps_code ps_app_credit_checks_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_credit_cb cb,
				  void *arg);
/* tenant 0: every tenant's. */
ps_code ps_app_support_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_support_cb cb,
			    void *arg);
ps_code ps_app_incidents_list(struct ps_ctx *c, bool open_only, int64_t after, size_t limit, ps_incident_cb cb,
			      void *arg);
/* affected[k] (one per catalog service, cat->n_services of them) is set
 * when service k has an open incident. */
ps_code ps_app_services_affected(struct ps_ctx *c, bool *affected);

/* A tenant's billing in one read transaction, after invoicing what is due:
 * the sums, then every invoice (each followed by its lines and `invoice_end`),
 * then `payments_begin` and every payment. */
struct ps_billing_walk {
	void *arg;
	void (*sum)(void *arg, const struct ps_billing_sum *sum);
	bool (*invoice)(void *arg, const struct ps_invoice *inv);
	ps_line_cb line;
	void (*invoice_end)(void *arg, const struct ps_invoice *inv);
	void (*payments_begin)(void *arg);
	ps_payment_cb payment;
};
ps_code ps_app_billing_read(struct ps_ctx *c, int64_t tenant, const struct ps_billing_walk *walk);

#endif
