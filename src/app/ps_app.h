/* ps_app.h: the use cases (app layer), between the transports (HTTP, CLI)
 * and the store. Each change is one function, one write transaction: it
 * checks its input (errors name the field), writes, audits, commits; on any
 * failure nothing is written. The caller's rights are checked before, once,
 * by the transport with ps_app_check (ps_access.h).
 * struct ps_app is shared and read-only once serving; struct ps_ctx is one
 * request's (or one command's) state. */
#ifndef PS_APP_H
#define PS_APP_H

#include "../common/ps_buf.h"
#include "../common/ps_err.h"
#include "../common/ps_i18n.h"
#include "../common/ps_json.h"
#include "../common/ps_secret.h"
#include "../core/ps_catalog.h"
#include "../core/ps_decide.h"
#include "../core/ps_model.h"
#include "../core/ps_rules.h"
#include "../store/ps_store.h"
#include "ps_access.h"

#include <stdbool.h>
#include <stdint.h>

struct ps_app {
	const char *db_url;
	const char *db_read_url; /* a hot standby for reads (serve --db-read), or NULL */
	/* The catalog in use: the store's current version as this process
	 * last saw it (ps_app_catalog_use keeps it current). Read and swapped
	 * atomically; a replaced one is kept in catalog_old until
	 * ps_app_fini, so a request that took it finishes with it. Owned. */
	struct ps_catalog *catalog;
	int64_t catalog_version;
	struct ps_catalog **catalog_old;
	size_t n_catalog_old, cap_catalog_old;
	bool catalog_busy; /* a load in memory under way (atomic) */
	bool provisioning_manual;   /* purchases start in `provisioning` */
	bool clock_manual;          /* the operator may set the clock */
	int64_t upgrade_capacity;   /* automatic upgrades per rolling hour; 0: no limit */
	int64_t provisioning_sla;   /* seconds a provisioning is expected to take; 0: the default (4 h) */
	int64_t *holidays;          /* days since 1970 skipped by business-day counts; owned */
	size_t n_holidays;
	uint64_t idem_kept; /* answers kept under an Idempotency-Key (atomic): purges old ones now and then */
	struct ps_fleet_cache *fleet; /* the last fleet summary (fleet.c), made on first use; owned */
	int64_t session_idle;     /* seconds an admin center session lives unused; 0: the default */
	int64_t session_absolute; /* seconds a session lives at most; 0: the default */
	int64_t event_retention;  /* seconds events are kept (serve --event-retention); 0: the default */
	bool events_off;          /* the benchmark's "no outbox" side only (bench/): no event is written */
};

/* Events are kept this long by default, then pruned by the job runner. */
#define PS_EVENT_RETENTION_DEFAULT (30 * 86400)

#define PS_SESSION_IDLE_DEFAULT (30 * 60)
#define PS_SESSION_ABSOLUTE_DEFAULT (12 * 3600)
/* A token's last use, and a session's, is written at most this often. */
#define PS_TOUCH_EVERY 60

struct ps_idem_call;

struct ps_ctx {
	struct ps_app *app;
	struct ps_store *st; /* borrowed: the thread's handle */
	struct ps_principal who;
	int64_t now;
	enum ps_lang lang;
	char request_id[64];
	struct ps_err err;
	/* The catalog this request uses, taken once at its start (ps_ctx_reset,
	 * then ps_app_catalog_use): one version for the whole request. */
	const struct ps_catalog *cat;
	/* A refused catalog's faults, one sentence each (ps_app_catalog_load);
	 * cleared by ps_ctx_reset. */
	char **faults;
	size_t n_faults;
	/* The workspace of the use cases that evaluate the rules, kept from one
	 * request to the next so that its memory is reused: private to the app
	 * layer. Callers read what a use case returns (struct ps_decision). */
	struct ps_snapshot snap;
	struct ps_verdict *verdict; /* allocated once, reused */
	struct ps_choice *choice;   /* the one decision on a target (ps_decide.h); allocated once */
	struct ps_events *events;   /* the events the running transaction declared (events.c); private */
	/* The request's reserved Idempotency-Key (idem.c), or NULL: each
	 * transaction of the request marks it in its own commit (ps_app_tx),
	 * and idem_changed says one did commit. Cleared by ps_ctx_reset. */
	const struct ps_idem_call *idem;
	bool idem_changed;
	/* The store's versions as this request read them (ps_app_versions:
	 * once per request, cleared by ps_ctx_reset): the credentials' and the
	 * catalog's (0: none loaded). */
	bool versions_read;
	int64_t auth_version;
	int64_t catalog_seen;
	/* The principals this context found, each with the credentials'
	 * version it was found at (auth.c; private to the app layer). */
	struct ps_auth_cache *auth_cache;
};

void ps_ctx_init(struct ps_ctx *c, struct ps_app *app, struct ps_store *st);
void ps_ctx_fini(struct ps_ctx *c);
/* The one reset point between two requests on a context: the error and the
 * caller cleared, the time and the request id set, the language back to
 * English; the workspace's memory is kept. */
void ps_ctx_reset(struct ps_ctx *c, int64_t now, const char *request_id);

/* What the rules decided about one subscription, as the Upgrade tab, the
 * preview and a refused change return it: the tenant's snapshot, the
 * verdict, and the offer of the target asked about (NULL when none). Both
 * point into the context's workspace: valid until the next use case on the
 * same context. */
struct ps_decision {
	const struct ps_snapshot *snap;
	const struct ps_verdict *verdict;
	const struct ps_offer *offer;
	const struct ps_choice *choice; /* the decision on the target asked about, or NULL */
	/* A manual change: the seats of the source that leave it (its users, or
	 * those listed in `users`), and of those the users who keep the seat of
	 * the target's product they hold elsewhere. */
	int64_t leaving, keeping;
	const struct ps_snap_sub *into; /* the subscription of `into`, or NULL */
};

/* Load the store's current catalog into app->catalog (replacing it).
 * PS_NOT_FOUND when the store has none (run `planshift init --catalog`). */
ps_code ps_app_load_catalog(struct ps_app *app, struct ps_store *st, struct ps_err *err);
/* The store's versions (the credentials', the catalog's) into c, read
 * once per request (one row; again after ps_ctx_reset). */
ps_code ps_app_versions(struct ps_ctx *c);
/* At the start of a request: the store's current catalog version (the
 * one read of ps_app_versions, shared with authentication); when another
 * load made a newer one, it is read and parsed once for the whole
 * process. c->cat is then the one to use. */
ps_code ps_app_catalog_use(struct ps_ctx *c);
/* A new catalog version (RULES "The catalog changes without a restart"):
 * validated as at `init` (PS_INVALID_FIELD, field "catalog", with every
 * fault in c->faults), refused with PS_CONFLICT (field "plans") when it
 * drops a plan that live subscriptions use or takes a data-bearing service
 * from one, naming each plan and its count; else kept as a new numbered
 * version, loaded by the caller's token ("cli" without one), audited, and
 * used by this process at once. *out (may be NULL) gets its number, time
 * and loader. */
ps_code ps_app_catalog_load(struct ps_ctx *c, const char *json, size_t len, struct ps_catalog_version *out);
/* Every version, by number. */
ps_code ps_app_catalog_versions(struct ps_ctx *c, int64_t after, size_t limit, ps_catalog_version_cb cb, void *arg);
void ps_app_fini(struct ps_app *app);

/* The events after event `after` in commit order (tenant 0: every
 * tenant's; type NULL or "": any, else PS_INVALID_FIELD naming `type` when
 * it is no event type), at most limit (0: all). e->data is valid during cb. */
ps_code ps_app_events_list(struct ps_ctx *c, int64_t tenant, const char *type, int64_t after, size_t limit,
			   ps_event_cb cb, void *arg);
/* The job runner's pruning: events created more than the retention
 * (app->event_retention, else PS_EVENT_RETENTION_DEFAULT) before c->now
 * are deleted, inside the caller's transaction. */
ps_code ps_app_events_prune(struct ps_ctx *c);

/* The tenant `id` into *out; PS_NOT_FOUND ("no such tenant") when missing. */
ps_code ps_app_tenant(struct ps_ctx *c, int64_t id, struct ps_tenant *out);

/* ---- inputs (parsed by the transport) ---- */
struct ps_tenant_in {
	const char *name, *segment, *payment, *currency;
	int64_t credit_limit;
	bool has_credit_limit;
};
struct ps_purchase_in {
	const char *plan, *term;
	int64_t quantity;
	bool prepaid;
	int64_t addon_of; /* 0: none */
};

/* ---- use cases ---- */
ps_code ps_app_tenant_create(struct ps_ctx *c, const struct ps_tenant_in *in, struct ps_tenant *out);
/* ---- tokens and sessions (tokens.c) ---- */
struct ps_token_in {
	const char *role;
	const char *name;           /* NULL or "": none */
	int64_t expires_at;         /* 0: never; else after c->now */
	const char *expires_field;  /* the field a refused expiry names (NULL: "expires_at") */
};
/* A new token (tenant 0: a provider's role): the secret into token_out
 * (PS_TOKEN_LEN bytes; shown once, stored hashed), the record into *out. */
ps_code ps_app_token_make(struct ps_ctx *c, int64_t tenant, const struct ps_token_in *in, char *token_out, size_t cap,
			  struct ps_token *out);
/* The same with a role alone: no name, no expiry. */
ps_code ps_app_token_create(struct ps_ctx *c, const char *role, int64_t tenant, char *token_out, size_t cap,
			    enum ps_role *role_out);
/* Live and expired tokens, not revoked ones, of tenant (0: every token). */
ps_code ps_app_tokens_list(struct ps_ctx *c, int64_t tenant, int64_t after, size_t limit, ps_token_cb cb, void *arg);
/* Revoke token id, and end its sessions: its tenant's global_admin or the
 * operator may (the provider's tokens: the operator); PS_NOT_FOUND when it
 * is missing, already revoked, or not the caller's to see. */
ps_code ps_app_token_revoke(struct ps_ctx *c, int64_t id, struct ps_token *out);

/* A session of the admin center: its secret (the cookie's value), its CSRF
 * token (derived from the secret: nothing more is stored), who it is and
 * its absolute end. */
struct ps_session {
	char secret[PS_TOKEN_LEN];
	char csrf[PS_HASH_LEN];
	struct ps_principal who;
	int64_t expires_at;
};
/* Exchange a live token for a new session (ended sessions are purged).
 * PS_UNAUTHORIZED (field "token") when the token is not valid. */
ps_code ps_app_session_create(struct ps_ctx *c, const char *token, struct ps_session *out);
/* End the session the caller authenticated with (secret: the cookie's
 * value); PS_NOT_FOUND when the call was not made with a session. */
ps_code ps_app_session_end(struct ps_ctx *c, const char *secret);
/* The CSRF token of a session secret. */
void ps_app_session_csrf(const char *secret, char out[PS_HASH_LEN]);
/* The idle and absolute lifetimes of a session, in seconds. */
int64_t ps_app_session_idle(const struct ps_app *app);
int64_t ps_app_session_absolute(const struct ps_app *app);
ps_code ps_app_user_create(struct ps_ctx *c, int64_t tenant, const char *upn, const char *display_name,
			   struct ps_user *out);
/* Many users at once, in one transaction with one audit row
 * ("user.bulk_create"): all or nothing. Refused with every bad user in
 * c->faults ("user \"3\": ... (field \"upn\")", by index): 400 for a
 * field at fault or an upn given twice, 409 for an upn the tenant has. */
#define PS_BULK_USERS_MAX 5000
struct ps_user_in {
	const char *upn, *display_name;
};
ps_code ps_app_users_create(struct ps_ctx *c, int64_t tenant, const struct ps_user_in *in, size_t n, int64_t *created);
/* A purchase: the subscription and its first invoice; for a tenant paying
 * by invoice whose monthly charge would pass its credit limit, the
 * subscription waits in `provisioning` on a credit check (*cc_out gets it,
 * id 0 when none was needed) and is invoiced when it is approved. */
ps_code ps_app_purchase(struct ps_ctx *c, int64_t tenant, const struct ps_purchase_in *in,
			struct ps_subscription *out, struct ps_credit_check *cc_out);
/* Set a subscription's licence count; the rest of the period is charged or
 * credited. An increase that takes a tenant paying by invoice above its
 * credit limit changes nothing yet: it waits on a credit check (*cc_out
 * gets it, id 0 when none was needed; `_cc` only) and applies on approval. */
ps_code ps_app_set_quantity(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t quantity,
			    struct ps_subscription *out);
ps_code ps_app_set_quantity_cc(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t quantity,
			       struct ps_subscription *out, struct ps_credit_check *cc_out);
ps_code ps_app_cancel(struct ps_ctx *c, int64_t tenant, int64_t sub, struct ps_subscription *out);
/* when: NULL or "now" (ps_app_cancel), or "term_end": the subscription stays
 * active until its term ends (cancel_at), is not renewed past it, and the
 * runner ends it then (ps_app_cancel_job). CONFLICT (cancel_at) when one is
 * already set. */
ps_code ps_app_cancel_when(struct ps_ctx *c, int64_t tenant, int64_t sub, const char *when,
			   struct ps_subscription *out);
/* The runner's end of a cancellation at term end (the job "cancel"), inside
 * the caller's transaction, dated cancel_at: cancelled; or, when users still
 * hold seats or an add-on is attached then, failed (audited with why,
 * cancel_at cleared: it renews as usual). *again as ps_app_renew_job. */
ps_code ps_app_cancel_job(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t *again);
ps_code ps_app_set_status(struct ps_ctx *c, int64_t tenant, int64_t sub, const char *status,
			  struct ps_subscription *out);
/* *created is false when the user already held that seat (PUT is idempotent). */
ps_code ps_app_assign(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t user, bool *created);
ps_code ps_app_unassign(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t user);
/* Many seats of one subscription at once, in one transaction with one audit
 * row ("license.bulk"): the unassignments first, then the assignments; all
 * or nothing. Refused (nothing changed) with every bad user in c->faults,
 * one sentence each naming the user and the list ("assign" or "unassign"):
 * 400 invalid_field for users that do not exist or hold no seat to take,
 * 409 conflict when a user holds the product from another subscription or
 * the seats would outnumber the licenses. A user already holding the seat
 * (assign) is left as is. */
#define PS_BULK_SEATS_MAX 10000
struct ps_seats_bulk {
	int64_t assigned, unassigned, unchanged; /* counts of this request */
	int64_t quantity, total;		 /* the subscription's licenses and seats after */
};
ps_code ps_app_seats_bulk(struct ps_ctx *c, int64_t tenant, int64_t sub, const int64_t *assign, size_t n_assign,
			  const int64_t *unassign, size_t n_unassign, struct ps_seats_bulk *out);
/* eta: NULL, or an RFC 3339 time (when the provider expects it resolved). */
ps_code ps_app_incident_open(struct ps_ctx *c, const char *service, const char *status, const char *title,
			     const char *eta, struct ps_incident *out);
ps_code ps_app_incident_resolve(struct ps_ctx *c, int64_t id, struct ps_incident *out);
/* An update of an open incident (PATCH): each field NULL to keep it; eta
 * given as JSON null (eta_set, eta NULL) clears it. Kept in its updates. */
struct ps_incident_change {
	const char *status;
	bool eta_set;
	const char *eta;
	const char *message;
};
ps_code ps_app_incident_update(struct ps_ctx *c, int64_t id, const struct ps_incident_change *in,
			       struct ps_incident *out);
/* An incident's updates, in order, into a growing array (ps_free it). */
struct ps_incident_updates {
	struct ps_incident_update *v;
	size_t n, cap;
};
ps_code ps_app_incident_updates(struct ps_ctx *c, int64_t id, struct ps_incident_updates *out);

/* The Upgrade tab: loads the tenant's snapshot and evaluates `sub`; on
 * PS_OK *out holds the answer (offer NULL). */
ps_code ps_app_upgrades(struct ps_ctx *c, int64_t tenant, int64_t sub, unsigned flags, struct ps_decision *out);

/* ---- money and time (billing.c, ledger.c, credit.c, clock.c) ---- */

/* The time for a request or command: the store's manual clock when the app
 * runs with --clock manual (or, for commands, whenever one was set), else
 * the system's. */
int64_t ps_app_clock(struct ps_app *app, struct ps_store *st, bool use_stored);
/* Set the manual clock (operator; only with --clock manual). */
ps_code ps_app_clock_set(struct ps_ctx *c, const char *rfc3339, int64_t *out);
/* Read a holidays file (one YYYY-MM-DD a line, # comments) into app. */
ps_code ps_app_load_holidays(struct ps_app *app, const char *path, struct ps_err *err);

/* Invoice every billing period of the tenant that the clock has reached,
 * once: each live subscription whose billed_through <= now gets a renewal
 * invoice per period passed, in one transaction. *issued counts them. */
ps_code ps_app_bill_due(struct ps_ctx *c, int64_t tenant, int *issued);
/* The runner's renewal of one subscription (the job "renew", jobs.c),
 * inside the caller's transaction: every period the clock has reached,
 * each once, with its audit row. *again: 0 when it is done, else the time
 * of the next run (more periods were due than one run invoices). A
 * subscription gone or not due is done. */
ps_code ps_app_renew_job(struct ps_ctx *c, int64_t tenant, int64_t sub, int64_t *again);

struct ps_billing_sum {
	char currency[4];
	int64_t invoiced;   /* every invoice's amount, credit notes negative */
	int64_t charged;    /* the positive invoices' amounts (at most PS_LEDGER_MAX) */
	int64_t paid;       /* every payment received */
	int64_t balance;    /* invoiced - paid: owed when > 0, credit when < 0 */
	int64_t past_due;   /* unpaid parts of invoices whose due time has passed */
	int64_t oldest_due; /* the oldest such due time, 0 when none */
	int64_t credit;     /* credit not yet used: max(0, -balance) */
};
ps_code ps_app_billing_sum(struct ps_ctx *c, int64_t tenant, struct ps_billing_sum *out);
/* Record a payment; payments settle the oldest invoices first, and what is
 * left stays as credit. */
ps_code ps_app_pay(struct ps_ctx *c, int64_t tenant, int64_t amount, struct ps_receipt *out);
/* The provider's decision on a credit check (credit.c, with the upgrade's
 * continuation from upgrade.c): approval raises the tenant's credit limit to
 * cover it and lets what waited go on; denial fails it. */
ps_code ps_app_credit_decide(struct ps_ctx *c, int64_t id, bool approved, struct ps_credit_check *out);

/* ---- upgrades and manual changes (upgrade.c) ---- */

struct ps_change_in {
	const char *target_plan;
	int64_t quantity;           /* 0: keep the current count */
	bool acknowledge_data_loss; /* a manual change to a target lacking a data-bearing service */
	bool acknowledge_addons;    /* a manual change that cancels add-ons the target does not take */
	/* Manual changes by seat (RULES second part): `users`, only these move
	 * (their ids, sorted, and the same as a JSON array for the store);
	 * `into`, everyone moves into this live subscription of the tenant
	 * (instead of a new one of target_plan). */
	const int64_t *user_ids;
	size_t n_users;
	const char *users_json;
	int64_t into;
};

/* What a change would do, computed without writing anything. */
struct ps_change_plan {
	enum ps_op_kind kind;
	bool allowed; /* the change, asked in this state, goes through (ps_decide) */
	const struct ps_plan *from, *to;
	int64_t quantity;
	int64_t per_seat_before;                /* the price the source was sold at */
	int64_t monthly_before, monthly_after;  /* this subscription, minor units a month */
	int64_t period_start, period_end;       /* the period credited and charged */
	int64_t credit, charge;                 /* for the rest of that period; credit >= 0 */
	int64_t unused_days, unused_value;      /* prepaid time that would not be credited */
	bool needs_credit_check;
	int64_t mrc_before, mrc_after, credit_limit;
	int64_t users;                          /* seats that move */
	bool data_safe;
	struct ps_safety safety;
};

/* The preview: the plan of the change in *out and, in *tab, the Upgrade
 * tab's decision on sub (every target listed) with the target's offer (NULL
 * when it is not listed) and tab->choice, the one decision the execution
 * takes (its reasons, the add-ons' outcomes). PS_INVALID_FIELD when
 * target_plan names no plan the subscription could move to; PS_CONFLICT
 * (field addon_of) for an add-on: it moves with its base. */
ps_code ps_app_preview(struct ps_ctx *c, int64_t tenant, int64_t sub, enum ps_op_kind kind,
		       const struct ps_change_in *in, struct ps_change_plan *out, struct ps_decision *tab);
/* The automatic upgrade, in one transaction that evaluates the rules again:
 * an operation in *op (completed, provisioning with --provisioning manual,
 * or pending_credit_check), or PS_UPGRADE_BLOCKED with every reason in
 * *refusal (and refusal->offer when the target itself is refused: its
 * target_not_supported reason), or PS_RATE_LIMITED when only the capacity
 * stands in the way (its service_busy reason in *refusal). On any other
 * error refusal->verdict is NULL. */
ps_code ps_app_upgrade(struct ps_ctx *c, int64_t tenant, int64_t sub, const struct ps_change_in *in,
		       struct ps_operation *op, struct ps_decision *refusal);
/* The manual change: buy the target, move every user, cancel the old plan
 * (an expired or disabled one stays as it is, uncredited), the add-ons
 * moved or (acknowledged) cancelled, as one operation; allowed where the
 * automatic upgrade is not. Refused with PS_UPGRADE_BLOCKED and the
 * decision's reasons in *refusal (refusal->choice), as the preview showed
 * them; PS_CONFLICT (field acknowledge_data_loss) when data would be lost
 * unacknowledged. */
/* What a switch operation moves (kept in its result): every user, some
 * users, or every user into op->new_sub (an existing subscription). */
enum ps_switch_mode ps_op_mode(const struct ps_operation *op);
ps_code ps_app_switch(struct ps_ctx *c, int64_t tenant, int64_t sub, const struct ps_change_in *in,
		      struct ps_operation *op, struct ps_decision *refusal);
/* The provider fails an unfinished operation (RULES second part, "An
 * operation always ends"), in one transaction: one in `provisioning` is
 * undone (every seat back, the source active with its quantity, the new
 * subscription cancelled, the change's credit and charge reversed), one
 * waiting on a credit check just fails; audited as operation.fail. *out
 * gets it, failed. PS_NOT_FOUND; PS_CONFLICT (field state) when it has
 * finished; PS_INVALID_FIELD (reason) for a bad reason text. */
ps_code ps_app_operation_fail(struct ps_ctx *c, int64_t tenant, int64_t op, const char *reason,
			      struct ps_operation *out);
/* A change at the end of the term (RULES second part, "Changes at the end
 * of the term"): the upgrade or manual change of kind `kind`, checked as
 * input (the target, the quantity, the data-loss acknowledgement of a
 * switch) and made an operation in state `scheduled` whose effective_at is
 * the subscription's term_end, run then by the job "operation"; audited as
 * operation.schedule. The rules are evaluated at that time, not now (a
 * prepaid plan is why to wait). PS_CONFLICT: field status (not active),
 * scheduled or cancel_at (it has a scheduled change already: at most one). */
ps_code ps_app_schedule(struct ps_ctx *c, int64_t tenant, int64_t sub, enum ps_op_kind kind,
			const struct ps_change_in *in, struct ps_operation *out);
/* A scheduled operation ends `cancelled`, its job removed, audited as
 * operation.cancel. PS_NOT_FOUND; PS_CONFLICT (state) unless scheduled. */
ps_code ps_app_operation_cancel(struct ps_ctx *c, int64_t tenant, int64_t op, struct ps_operation *out);
/* The runner's run of a scheduled operation (the job "operation"), inside
 * the caller's transaction, dated effective_at: the one decision on what
 * the store holds then; allowed, the change is made as an immediate one
 * would be (a prepaid subscription upgraded at its term's end gives a
 * prepaid one); blocked, the operation ends `failed` with its reasons'
 * codes in result.reasons (audited operation.fail), and the subscription
 * renews as usual (the renewal job runs after it). *again as
 * ps_app_renew_job. */
ps_code ps_app_operation_job(struct ps_ctx *c, int64_t tenant, int64_t op, int64_t *again);

/* ---- the fleet (fleet.c) ---- */

struct ps_fleet_sum {
	int64_t tenants, subscriptions, live, eligible; /* eligible: live ones only */
	int64_t scheduled; /* live subscriptions with a change at term end: cancel_at or a scheduled operation */
	int64_t blocked_by[PS_R__COUNT]; /* live subscriptions each reason blocks */
};
/* The live subscriptions blocked: eligible + blocked = live (an ended one is neither). */
static inline int64_t ps_fleet_blocked(const struct ps_fleet_sum *f)
{
	return f->live - f->eligible;
}
/* Called for every subscription evaluated; false stops the sweep. */
typedef bool (*ps_sweep_cb)(void *arg, const struct ps_snapshot *snap, const struct ps_verdict *v);
/* Evaluate every subscription of every tenant at c->now (reads only). */
ps_code ps_app_sweep(struct ps_ctx *c, ps_sweep_cb cb, void *arg, struct ps_fleet_sum *sum);
/* The fleet summary as JSON into w ({at, tenants, subscriptions, live,
 * eligible, blocked, scheduled, blocked_by}): the last sweep's, kept a minute in
 * c->app since a large fleet takes a while to sweep; swept again when
 * fresh, when older, or when the clock went back. Safe from any thread. */
ps_code ps_app_fleet(struct ps_ctx *c, bool fresh, struct ps_jw *w);

/* Open a support request carrying a subscription and reason codes (s holds
 * them; id, status and times are filled). */
ps_code ps_app_support_open(struct ps_ctx *c, int64_t tenant, struct ps_support_request *s, const char *description);

/* Write one audit entry for the change in progress (inside its transaction). */
ps_code ps_app_audit(struct ps_ctx *c, int64_t tenant, const char *action, const char *object, const char *detail);

#endif
