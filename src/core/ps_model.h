/* ps_model.h: the domain's records and enumerations (core layer).
 * Every enumeration is an X-macro so the API's strings, parsing and printing
 * come from one list. Records hold their strings inline (fixed caps, checked
 * at input) so they can be copied and filled by any store backend without
 * ownership questions. */
#ifndef PS_MODEL_H
#define PS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps on text fields, in bytes (not counting the NUL). Input longer than
 * these is refused with invalid_field naming the field. */
#define PS_ID_MAX 64     /* catalog ids: services, products, plans */
#define PS_NAME_MAX 200  /* tenant names, catalog names */
#define PS_UPN_MAX 254   /* user principal names (an e-mail address) */
#define PS_USER_Q_MAX 100 /* a search of the users list (?q=) */
#define PS_TEXT_MAX 1000 /* titles, descriptions */

#define PS_ROLE_MAP(X)                          \
	X(OPERATOR, "operator")                 \
	X(SUPPORT, "support")                   \
	X(GLOBAL_ADMIN, "global_admin")         \
	X(BILLING_ADMIN, "billing_admin")       \
	X(LICENSE_ADMIN, "license_admin")       \
	X(READER, "reader")

#define PS_SEGMENT_MAP(X)                       \
	X(COMMERCIAL, "commercial")             \
	X(EDUCATION, "education")               \
	X(GOVERNMENT, "government")             \
	X(NONPROFIT, "nonprofit")

#define PS_PAYMENT_MAP(X)                       \
	X(INVOICE, "invoice")                   \
	X(CARD, "card")

#define PS_TERM_MAP(X)                          \
	X(MONTHLY, "monthly")                   \
	X(ANNUAL, "annual")

/* A subscription's life: the provider's lifecycle (provisioning, active,
 * expired, disabled) and the two ends a tenant causes (cancelled, replaced). */
#define PS_SUB_STATUS_MAP(X)                    \
	X(PROVISIONING, "provisioning")         \
	X(ACTIVE, "active")                     \
	X(EXPIRED, "expired")                   \
	X(DISABLED, "disabled")                 \
	X(CANCELLED, "cancelled")               \
	X(REPLACED, "replaced")

#define PS_OP_STATE_MAP(X)                              \
	X(PENDING_CREDIT_CHECK, "pending_credit_check") \
	X(PROVISIONING, "provisioning")                 \
	X(COMPLETED, "completed")                       \
	X(FAILED, "failed")                             \
	X(SCHEDULED, "scheduled")                       \
	X(CANCELLED, "cancelled")

#define PS_OP_KIND_MAP(X)                       \
	X(UPGRADE, "upgrade")                   \
	X(SWITCH, "switch")                     \
	X(CANCEL, "cancel")

#define PS_INCIDENT_STATUS_MAP(X)               \
	X(INVESTIGATING, "investigating")       \
	X(DEGRADED, "degraded")                 \
	X(INTERRUPTED, "interrupted")           \
	X(RESTORING, "restoring")               \
	X(RESOLVED, "resolved")

#define PS_CREDIT_STATUS_MAP(X)                 \
	X(PENDING, "pending")                   \
	X(APPROVED, "approved")                 \
	X(DENIED, "denied")

#define PS_INVOICE_STATUS_MAP(X)                \
	X(OPEN, "open")                         \
	X(PAID, "paid")                         \
	X(VOID, "void")

/* What an invoice line is for. A credit line has a negative amount. */
#define PS_LINE_KIND_MAP(X)                     \
	X(PURCHASE, "purchase")                 \
	X(RENEWAL, "renewal")                   \
	X(QUANTITY, "quantity")                 \
	X(CANCEL, "cancel")                     \
	X(UPGRADE_CREDIT, "upgrade_credit")     \
	X(UPGRADE_CHARGE, "upgrade_charge")     \
	X(SWITCH, "switch")

#define PS_SUPPORT_STATUS_MAP(X)                \
	X(OPEN, "open")                         \
	X(CLOSED, "closed")

/* The event types (RULES "Events and webhooks"), the one list: the events
 * a change writes (src/app/events.c), the API's `type=` filter, the
 * webhooks' `types` and the docs' test come from it. */
#define PS_EVENT_TYPE_MAP(X)                            \
	X(TENANT_CREATED, "tenant.created")             \
	X(USER_CREATED, "user.created")                 \
	X(SUBSCRIPTION_CREATED, "subscription.created") \
	X(SUBSCRIPTION_UPDATED, "subscription.updated") \
	X(LICENSE_ASSIGNED, "license.assigned")         \
	X(LICENSE_UNASSIGNED, "license.unassigned")     \
	X(OPERATION_CREATED, "operation.created")       \
	X(OPERATION_UPDATED, "operation.updated")       \
	X(INVOICE_ISSUED, "invoice.issued")             \
	X(PAYMENT_RECEIVED, "payment.received")         \
	X(CREDIT_CHECK_REQUESTED, "credit_check.requested") \
	X(CREDIT_CHECK_DECIDED, "credit_check.decided") \
	X(INCIDENT_OPENED, "incident.opened")           \
	X(INCIDENT_UPDATED, "incident.updated")         \
	X(INCIDENT_RESOLVED, "incident.resolved")       \
	X(SUPPORT_REQUEST_CREATED, "support_request.created") \
	X(CATALOG_LOADED, "catalog.loaded")             \
	X(TOKEN_CREATED, "token.created")               \
	X(TOKEN_REVOKED, "token.revoked")

#define PS__ENUM(prefix, name, str) prefix##_##name,
#define PS_DECLARE_ENUM(tag, prefix, MAP)                                       \
	enum tag { MAP(PS__ENUM_##prefix) prefix##__COUNT };                      \
	const char *tag##_name(enum tag v);                                       \
	bool tag##_parse(const char *s, enum tag *out);

#define PS__ENUM_PS_ROLE(n, s) PS_ROLE_##n,
#define PS__ENUM_PS_SEG(n, s) PS_SEG_##n,
#define PS__ENUM_PS_PAY(n, s) PS_PAY_##n,
#define PS__ENUM_PS_TERM(n, s) PS_TERM_##n,
#define PS__ENUM_PS_SUB(n, s) PS_SUB_##n,
#define PS__ENUM_PS_OP(n, s) PS_OP_##n,
#define PS__ENUM_PS_OPK(n, s) PS_OPK_##n,
#define PS__ENUM_PS_INC(n, s) PS_INC_##n,
#define PS__ENUM_PS_CC(n, s) PS_CC_##n,
#define PS__ENUM_PS_INV(n, s) PS_INV_##n,
#define PS__ENUM_PS_LINE(n, s) PS_LINE_##n,
#define PS__ENUM_PS_SR(n, s) PS_SR_##n,
#define PS__ENUM_PS_EV(n, s) PS_EV_##n,

/* enum ps_role { PS_ROLE_OPERATOR, ... }; ps_role_name(); ps_role_parse(); and so on. */
PS_DECLARE_ENUM(ps_role, PS_ROLE, PS_ROLE_MAP)
PS_DECLARE_ENUM(ps_segment, PS_SEG, PS_SEGMENT_MAP)
PS_DECLARE_ENUM(ps_payment, PS_PAY, PS_PAYMENT_MAP)
PS_DECLARE_ENUM(ps_term, PS_TERM, PS_TERM_MAP)
PS_DECLARE_ENUM(ps_sub_status, PS_SUB, PS_SUB_STATUS_MAP)
PS_DECLARE_ENUM(ps_op_state, PS_OP, PS_OP_STATE_MAP)
PS_DECLARE_ENUM(ps_op_kind, PS_OPK, PS_OP_KIND_MAP)
PS_DECLARE_ENUM(ps_incident_status, PS_INC, PS_INCIDENT_STATUS_MAP)
PS_DECLARE_ENUM(ps_credit_status, PS_CC, PS_CREDIT_STATUS_MAP)
PS_DECLARE_ENUM(ps_invoice_status, PS_INV, PS_INVOICE_STATUS_MAP)
PS_DECLARE_ENUM(ps_line_kind, PS_LINE, PS_LINE_KIND_MAP)
PS_DECLARE_ENUM(ps_support_status, PS_SR, PS_SUPPORT_STATUS_MAP)
PS_DECLARE_ENUM(ps_event_type, PS_EV, PS_EVENT_TYPE_MAP)

/* Defines tag_name() and tag_parse() for an enum declared above; one .c file
 * per enum uses it. */
#include <string.h>
#define PS__STR(n, s) s,
#define PS_DEFINE_ENUM(tag, prefix, MAP)                                   \
	static const char *const tag##_names[] = {MAP(PS__STR)};           \
	const char *tag##_name(enum tag v)                                 \
	{                                                                  \
		return (unsigned)v < prefix##__COUNT ? tag##_names[v] : "?"; \
	}                                                                  \
	bool tag##_parse(const char *s, enum tag *out)                     \
	{                                                                  \
		for (unsigned i = 0; s && i < prefix##__COUNT; i++)        \
			if (strcmp(s, tag##_names[i]) == 0) {              \
				*out = (enum tag)i;                        \
				return true;                               \
			}                                                  \
		return false;                                              \
	}


/* Roles bound to one tenant, as opposed to the provider's (operator, support). */
bool ps_role_is_tenant(enum ps_role r);
/* A subscription still held: not cancelled, replaced or expired. */
bool ps_sub_status_is_live(enum ps_sub_status s);

/* Public ids are a prefix and a number: "ten_12", "sub_7". */
#define PS_PFX_TENANT "ten_"
#define PS_PFX_USER "usr_"
#define PS_PFX_SUB "sub_"
#define PS_PFX_INCIDENT "inc_"
#define PS_PFX_OPERATION "op_"
#define PS_PFX_INVOICE "inv_"
#define PS_PFX_CREDIT "cc_"
#define PS_PFX_SUPPORT "sr_"
#define PS_PFX_TOKEN "tok_"
#define PS_PFX_AUDIT "aud_"
#define PS_PFX_PAYMENT "pay_"
#define PS_PFX_EVENT "evt_"
/* Parse "sub_12" (with that prefix) into 12; false when it is not one. */
bool ps_id_parse(const char *s, const char *prefix, int64_t *out);

/* Who is calling: a token's role and, for tenant roles, its tenant. */
struct ps_principal {
	int64_t token_id;
	enum ps_role role;
	int64_t tenant_id; /* 0 for operator and support */
	/* The last use written of what authenticated the call (the token's
	 * last_used_at, or the session's last_seen_at; 0: never), and its end
	 * (the token's expiry, or the session's absolute end; 0: none). */
	int64_t last_used_at;
	int64_t expires_at;
	int64_t token_expires_at; /* the token's expiry (a session's too); 0: none */
	bool session; /* authenticated by the admin center's session cookie */
};

#define PS_TOKEN_NAME_MAX 100

/* An API token as it is listed: never its secret (the store keeps only
 * its SHA-256). Times 0 when not set. */
struct ps_token {
	int64_t id;
	char name[PS_TOKEN_NAME_MAX + 1];
	enum ps_role role;
	int64_t tenant_id; /* 0 for operator and support */
	int64_t created_at;
	int64_t expires_at;
	int64_t last_used_at;
	int64_t revoked_at;
};

struct ps_tenant {
	int64_t id;
	char name[PS_NAME_MAX + 1];
	enum ps_segment segment;
	enum ps_payment payment;
	int64_t credit_limit; /* minor units per month */
	char currency[4];     /* ISO 4217 */
	int64_t created_at;
};

/* The billing period of a subscription: a month, or the whole term when
 * prepaid. billed_through is the end of the last period invoiced; the next
 * invoice is due to be issued when the clock reaches it. */

struct ps_user {
	int64_t tenant_id;
	int64_t id;
	char upn[PS_UPN_MAX + 1];
	char display_name[PS_NAME_MAX + 1];
	int64_t created_at;
};

struct ps_subscription {
	int64_t tenant_id;
	int64_t id;
	char plan_id[PS_ID_MAX + 1];
	char product_id[PS_ID_MAX + 1];
	int64_t quantity; /* purchased seats */
	int64_t assigned; /* seats held by users; kept by the store with every assignment */
	enum ps_sub_status status;
	enum ps_term term;
	bool prepaid;
	int64_t term_start, term_end;
	int64_t addon_of;    /* the base subscription's id, 0 when not an add-on */
	int64_t replaced_by; /* the successor's id, 0 when none */
	int64_t created_at;
	int64_t billed_through; /* end of the last invoiced billing period; 0 before the first */
	int64_t cancel_at;      /* a cancellation at term end ends it then, without renewal; 0: none */
	/* The price per seat per month it was sold at (minor units) and its
	 * currency: set at purchase and at each renewal from the catalog of
	 * the day, then fixed (RULES "Prices stay as sold"). */
	int64_t price_per_seat_month;
	char currency[4];
	int64_t scheduled; /* its scheduled operation (read by sub_get, sub_list; never written); 0: none */
};

/* One loaded version of the catalog (its document is kept by the store). */
struct ps_catalog_version {
	int64_t version;
	int64_t loaded_at;
	char loaded_by[64]; /* "tok_3", or "cli" for `planshift catalog load` / `init` */
};

struct ps_assignment {
	int64_t tenant_id;
	int64_t subscription_id;
	int64_t user_id;
	char product_id[PS_ID_MAX + 1];
	int64_t assigned_at;
};

struct ps_incident {
	int64_t id;
	char service_id[PS_ID_MAX + 1];
	enum ps_incident_status status;
	char title[PS_TEXT_MAX + 1];
	int64_t opened_at;
	int64_t resolved_at; /* 0 while open */
	int64_t eta;         /* when the provider expects it resolved; 0: unknown */
};

/* One update of an incident (status, eta or a message), in order. */
struct ps_incident_update {
	int64_t incident_id;
	int64_t n; /* 1, 2, ... */
	int64_t at;
	enum ps_incident_status status;
	char message[PS_TEXT_MAX + 1];
};

struct ps_invoice {
	int64_t tenant_id;
	int64_t id;
	int64_t subscription_id; /* 0 when not for one subscription */
	int64_t amount;          /* minor units: the sum of its lines; negative for a credit note */
	int64_t paid;            /* minor units settled so far (a credit note: its amount, at once) */
	char currency[4];
	int64_t issued_at;
	int64_t due_at;
	enum ps_invoice_status status;
};

struct ps_invoice_line {
	int64_t tenant_id;
	int64_t invoice_id;
	int64_t id;
	int64_t subscription_id;
	enum ps_line_kind kind;
	char plan_id[PS_ID_MAX + 1];
	int64_t quantity;               /* seats */
	int64_t period_start, period_end; /* the part of the period charged or credited */
	int64_t amount;                 /* minor units; negative for a credit */
	char description[PS_NAME_MAX + 1];
};

/* A payment received from a tenant (the record behind POST /payments). */
struct ps_receipt {
	int64_t tenant_id;
	int64_t id;
	int64_t amount; /* minor units, > 0 */
	char currency[4];
	int64_t received_at;
};

/* A credit check holds back what is waiting on it: a purchase (the
 * subscription stays `provisioning`) or an upgrade (its operation stays
 * `pending_credit_check`). */
struct ps_credit_check {
	int64_t tenant_id;
	int64_t id;
	enum ps_credit_status status;
	int64_t amount; /* the monthly recurring charge it would allow */
	int64_t requested_at;
	int64_t expected_by;
	int64_t decided_at;
	int64_t subscription_id; /* the purchase waiting on it, or 0 */
	int64_t operation_id;    /* the upgrade waiting on it, or 0 */
	int64_t quantity;        /* a seat increase of subscription_id waiting on it: the new count, or 0 */
};

struct ps_operation {
	int64_t tenant_id;
	int64_t id;
	enum ps_op_kind kind;
	enum ps_op_state state;
	int64_t source_sub;
	char target_plan[PS_ID_MAX + 1];
	int64_t new_sub;
	int64_t quantity;        /* seats of the target */
	int64_t credit_check_id; /* while pending_credit_check */
	int64_t created_at;
	int64_t updated_at;
	char request_id[64];
	char detail[PS_TEXT_MAX + 1]; /* a small JSON object: license_errors, failure reason */
	int64_t effective_at;         /* when a change at term end runs (0: a change made now) */
};

/* A piece of due work of the background runner (src/app/jobs.c): its kind
 * names what to do ("renew", ...), subject what it is done to (a
 * subscription, an operation), due_at a time of the store's clock; rank
 * orders work due at the same time (lower first). */
struct ps_job {
	int64_t id;
	char kind[32];
	int64_t rank;
	int64_t tenant_id;
	int64_t subject;
	int64_t due_at;
	int64_t attempts; /* failed runs so far */
	char last_error[256];
	int64_t created_at;
};

struct ps_support_request {
	int64_t tenant_id;
	int64_t id;
	int64_t subscription_id; /* 0 when about no one subscription */
	char reason_codes[256];  /* comma-separated reason codes */
	char description[PS_TEXT_MAX + 1];
	enum ps_support_status status;
	int64_t created_at;
	int64_t token_id; /* who opened it */
};

/* A mutating request's idempotency key and the answer it got. */
struct ps_idem {
	int64_t tenant_id;
	char key[256];
	char request_hash[65]; /* SHA-256 hex of method, path and body */
	int status;            /* the HTTP status answered */
	char *response;        /* the body answered; owned by the caller (ps_free) */
	int64_t created_at;
	char owner[128];       /* the daemon running it (app/idem.c), "" when unknown */
};
/* The prefix a running key's owner gets in the transaction of its call's
 * change (idem_changed): a key found running with it made its change,
 * whatever became of the connection that committed it. */
#define PS_IDEM_CHANGED "changed:"

struct ps_audit {
	int64_t tenant_id; /* 0 for provider-wide events */
	int64_t id;
	int64_t at;
	int64_t token_id;
	enum ps_role role;
	char action[64];     /* "subscription.purchase" */
	char object[64];     /* "sub_12" */
	char request_id[64];
	char detail[PS_TEXT_MAX + 1]; /* a small JSON object */
};

/* An event of the outbox: {id, type, tenant, created, data}. data is the
 * JSON text of the changed object as the API shows it (data_len bytes, not
 * NUL-terminated when read from the store: it points into the row, valid
 * during the list's callback only). */
struct ps_event {
	int64_t id;
	enum ps_event_type type;
	int64_t tenant_id; /* 0: of no one tenant (catalog.loaded, incidents) */
	int64_t created;
	const char *data;
	size_t data_len;
};

/* ---- Webhooks (src/app/webhooks.c, src/app/deliver.c) ---- */

#define PS_PFX_WEBHOOK "wh_"
#define PS_PFX_DELIVERY "dlv_"
#define PS_WEBHOOK_URL_MAX 2048
#define PS_WEBHOOK_SECRET_LEN 56 /* "whsec_" + 43 base64url chars, and NUL */

/* An endpoint: types the event types it wants, comma-separated ("" = every
 * type); tenant_id 0 = every tenant's events; cursor the id of the last
 * event (in the events' commit order) turned into its deliveries. */
struct ps_webhook {
	int64_t id;
	char url[PS_WEBHOOK_URL_MAX + 1];
	char types[1024];
	int64_t tenant_id;
	bool enabled;
	char secret[PS_WEBHOOK_SECRET_LEN];
	int64_t created_at;
	int64_t cursor;
};

/* One attempt of one event to one endpoint. state: "pending" (not made
 * yet, due at due_at), "delivered", "retried" (failed; the next attempt is
 * another row, at next_attempt_at), "failed" (failed, retries over).
 * time, status_code: when it was made and the answer (0: none). */
struct ps_delivery {
	int64_t id;
	int64_t webhook_id;
	int64_t event_id;
	int64_t tenant_id; /* the event's, 0: none */
	int64_t seq;       /* the event's rank among the endpoint's, in commit order */
	int64_t attempt;   /* 1, 2, ... */
	char state[16];
	int64_t due_at;
	int64_t first_due_at;
	int64_t time;
	int64_t status_code;
	char error[256];
	int64_t next_attempt_at;
};

#endif
