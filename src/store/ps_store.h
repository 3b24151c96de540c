/* ps_store.h: the one store interface (store layer). A backend (SQLite,
 * PostgreSQL) is a struct whose first member is struct ps_store, with a
 * table of operations; callers never see SQL. One method per question the
 * service asks; the list is PS_STORE_METHODS below.
 *
 * Transactions: every change happens between begin(PS_TX_WRITE) and
 * commit(); rollback() undoes everything since begin. Reads may run inside
 * a read transaction (begin(PS_TX_READ)) to see one consistent state; a read
 * method called outside any transaction sees the latest committed state.
 * A handle is used by one thread at a time; open one per thread.
 *
 * Every method returns PS_OK or an error code with `err` filled:
 *   PS_NOT_FOUND   the object does not exist (for this tenant)
 *   PS_CONFLICT    a uniqueness rule would break (err->field names it)
 *   PS_STORE       the backend failed (I/O, busy past its timeout, ...)
 *   PS_SCHEMA      the store's schema is newer than this binary
 *   PS_RETRY       the transaction lost a race with another (a serialization
 *                  failure, a deadlock): roll back and run it again
 * Out-structs are caller-owned and fully overwritten on PS_OK.
 * List methods call cb once per row in id order, rows with id > after, at
 * most `limit` rows (0: no limit); a cb returning false stops the walk. */
#ifndef PS_STORE_H
#define PS_STORE_H

#include "../common/ps_buf.h"
#include "../common/ps_err.h"
#include "../core/ps_model.h"
#include "../core/ps_rules.h"

#include <stdbool.h>
#include <stdint.h>

enum ps_tx { PS_TX_READ, PS_TX_WRITE };

struct ps_store;

typedef bool (*ps_token_cb)(void *arg, const struct ps_token *t);
typedef bool (*ps_tenant_cb)(void *arg, const struct ps_tenant *t);
typedef bool (*ps_user_cb)(void *arg, const struct ps_user *u);
typedef bool (*ps_sub_cb)(void *arg, const struct ps_subscription *s);
typedef bool (*ps_assignment_cb)(void *arg, const struct ps_assignment *a);
typedef bool (*ps_incident_cb)(void *arg, const struct ps_incident *i);
typedef bool (*ps_incident_update_cb)(void *arg, const struct ps_incident_update *u);
typedef bool (*ps_audit_cb)(void *arg, const struct ps_audit *a);
typedef bool (*ps_invoice_cb)(void *arg, const struct ps_invoice *inv);
typedef bool (*ps_line_cb)(void *arg, const struct ps_invoice_line *l);
typedef bool (*ps_payment_cb)(void *arg, const struct ps_receipt *p);
typedef bool (*ps_credit_cb)(void *arg, const struct ps_credit_check *c);
typedef bool (*ps_operation_cb)(void *arg, const struct ps_operation *op);
typedef bool (*ps_support_cb)(void *arg, const struct ps_support_request *r);
typedef bool (*ps_snapshot_cb)(void *arg, struct ps_snapshot *snap);
typedef bool (*ps_catalog_version_cb)(void *arg, const struct ps_catalog_version *v);
typedef bool (*ps_event_cb)(void *arg, const struct ps_event *e);
typedef bool (*ps_webhook_cb)(void *arg, const struct ps_webhook *w);
typedef bool (*ps_delivery_cb)(void *arg, const struct ps_delivery *d);

/* The methods, written once: X(return type, name, parameters, arguments).
 * From this list come struct ps_store_ops, each backend's table
 * (PS_SQL_TABLE in store_int.h: every method exactly once, or the table
 * does not compile) and the fault-injecting wrapper of the tests. Every
 * ps_code method takes the handle first and `err` last. */
#define PS_STORE_METHODS(X)                                                                                            \
	X(void, close, (struct ps_store *st), (st))                                                                    \
	/* Create the schema or bring it to this binary's version, in one                                              \
	 * transaction. PS_SCHEMA when the store is newer than the binary. */                                          \
	X(ps_code, migrate, (struct ps_store *st, struct ps_err *err), (st, err))                                      \
	/* PS_SCHEMA when the store was not migrated to this binary's version. */                                      \
	X(ps_code, check_schema, (struct ps_store *st, struct ps_err *err), (st, err))                                 \
                                                                                                                       \
	X(ps_code, begin, (struct ps_store *st, enum ps_tx kind, struct ps_err *err), (st, kind, err))                 \
	X(ps_code, commit, (struct ps_store *st, struct ps_err *err), (st, err))                                       \
	/* no-op outside a transaction */                                                                              \
	X(void, rollback, (struct ps_store *st), (st))                                                                 \
                                                                                                                       \
	/* The catalog: put keeps the document (JSON text) as a new version,                                           \
	 * numbered after the last, loaded at `now` by `loaded_by`, and makes                                          \
	 * it the current one (*version gets its number). CONFLICT (field                                              \
	 * "version") when another load took the number first: run again. */                                          \
	X(ps_code, catalog_put, (struct ps_store *st, const char *json, size_t len, int64_t now,                       \
	  const char *loaded_by, int64_t *version, struct ps_err *err),                                                \
	  (st, json, len, now, loaded_by, version, err))                                                               \
	/* The current document and its version (version may be NULL).                                                \
	 * NOT_FOUND: none loaded */                                                                                   \
	X(ps_code, catalog_get, (struct ps_store *st, struct ps_buf *json, int64_t *version, struct ps_err *err),      \
	  (st, json, version, err))                                                                                    \
	/* The current version's number alone: one row read, cheap enough for                                          \
	 * every request. NOT_FOUND: none loaded */                                                                    \
	X(ps_code, catalog_version, (struct ps_store *st, int64_t *version, struct ps_err *err), (st, version, err))   \
	/* What a daemon checks its memory against at every request, in one                                            \
	 * row read: *auth, the credentials' version (moved by every                                                   \
	 * revocation, every session ended: a principal found at another one is                                        \
	 * looked up again), and *catalog, the current catalog's (0: none).                                             \
	 * Same answers as catalog_version for the catalog. */                                                         \
	X(ps_code, versions, (struct ps_store *st, int64_t *auth, int64_t *catalog, struct ps_err *err),              \
	  (st, auth, catalog, err))                                                                                    \
	/* Inside a write transaction: the current version's number, held until                                        \
	 * commit. A change that sells plans holds it shared (a load waits for                                         \
	 * it to commit); a load (alone = true) holds it alone (such changes                                           \
	 * wait for the load), so no subscription is ever made of a plan that a                                        \
	 * load is dropping. NOT_FOUND: none loaded */                                                                 \
	X(ps_code, catalog_hold, (struct ps_store *st, bool alone, int64_t *version, struct ps_err *err),             \
	  (st, alone, version, err))                                                                                   \
	/* Every version by number (the documents are not read). */                                                    \
	X(ps_code, catalog_version_list, (struct ps_store *st, int64_t after, size_t limit,                            \
	  ps_catalog_version_cb cb, void *arg, struct ps_err *err),                                                    \
	  (st, after, limit, cb, arg, err))                                                                            \
	/* How many live subscriptions (not cancelled nor replaced), of every                                          \
	 * tenant, are of plan plan_id. */                                                                             \
	X(ps_code, plan_live_count, (struct ps_store *st, const char *plan_id, int64_t *count, struct ps_err *err),    \
	  (st, plan_id, count, err))                                                                                   \
                                                                                                                       \
	/* Tokens, by the SHA-256 hex of the secret. tenant_id 0 for provider                                          \
	 * roles. insert stores t's name, role, tenant, created_at and                                                 \
	 * expires_at (0: never) and assigns t->id. find: the live token                                              \
	 * (not revoked, not expired at now), else NOT_FOUND. touch: write                                             \
	 * last_used_at = now only when the stored one is older than `since`                                          \
	 * (so at most once per interval; no error when nothing changed).                                              \
	 * get: any token, revoked too. list: live and expired tokens, not                                             \
	 * revoked ones, of one tenant (0: every token). revoke: NOT_FOUND when                                        \
	 * already revoked or missing; its sessions end with it. */                                                    \
	X(ps_code, token_insert, (struct ps_store *st, const char *hash, struct ps_token *t, struct ps_err *err),      \
	  (st, hash, t, err))                                                                                          \
	X(ps_code, token_find, (struct ps_store *st, const char *hash, int64_t now, struct ps_principal *out,          \
	  struct ps_err *err),                                                                                         \
	  (st, hash, now, out, err))                                                                                   \
	X(ps_code, token_touch, (struct ps_store *st, int64_t id, int64_t now, int64_t since, struct ps_err *err),     \
	  (st, id, now, since, err))                                                                                   \
	X(ps_code, token_get, (struct ps_store *st, int64_t id, struct ps_token *out, struct ps_err *err),             \
	  (st, id, out, err))                                                                                          \
	X(ps_code, token_list, (struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_token_cb cb,      \
	  void *arg, struct ps_err *err),                                                                              \
	  (st, tenant, after, limit, cb, arg, err))                                                                    \
	X(ps_code, token_revoke, (struct ps_store *st, int64_t id, int64_t now, struct ps_err *err),                   \
	  (st, id, now, err))                                                                                          \
                                                                                                                       \
	/* The admin center's sessions, by the SHA-256 hex of the cookie's                                             \
	 * secret. find: the principal of a live session (seen after                                                   \
	 * idle_since, before its end, its token live at now), with                                                    \
	 * last_used_at its last_seen_at and expires_at its end; else                                                  \
	 * NOT_FOUND. touch: as token_touch. delete: NOT_FOUND when none.                                              \
	 * purge: every session ended by now or idle since idle_since. */                                              \
	X(ps_code, session_insert, (struct ps_store *st, const char *hash, int64_t token_id, int64_t now,             \
	  int64_t expires_at, struct ps_err *err),                                                                     \
	  (st, hash, token_id, now, expires_at, err))                                                                  \
	X(ps_code, session_find, (struct ps_store *st, const char *hash, int64_t now, int64_t idle_since,             \
	  struct ps_principal *out, struct ps_err *err),                                                               \
	  (st, hash, now, idle_since, out, err))                                                                       \
	X(ps_code, session_touch, (struct ps_store *st, const char *hash, int64_t now, int64_t since,                 \
	  struct ps_err *err),                                                                                         \
	  (st, hash, now, since, err))                                                                                 \
	X(ps_code, session_delete, (struct ps_store *st, const char *hash, struct ps_err *err), (st, hash, err))       \
	X(ps_code, session_purge, (struct ps_store *st, int64_t now, int64_t idle_since, struct ps_err *err),          \
	  (st, now, idle_since, err))                                                                                  \
                                                                                                                       \
	/* Tenants. insert assigns t->id. */                                                                           \
	X(ps_code, tenant_insert, (struct ps_store *st, struct ps_tenant *t, struct ps_err *err), (st, t, err))        \
	X(ps_code, tenant_get, (struct ps_store *st, int64_t id, struct ps_tenant *out, struct ps_err *err),           \
	  (st, id, out, err))                                                                                          \
	X(ps_code, tenant_list, (struct ps_store *st, int64_t after, size_t limit, ps_tenant_cb cb, void *arg,         \
	  struct ps_err *err),                                                                                         \
	  (st, after, limit, cb, arg, err))                                                                            \
                                                                                                                       \
	/* Users. insert assigns u->id; CONFLICT (field "upn") when the tenant has that upn. */                        \
	X(ps_code, user_insert, (struct ps_store *st, struct ps_user *u, struct ps_err *err), (st, u, err))            \
	X(ps_code, user_get, (struct ps_store *st, int64_t tenant, int64_t id, struct ps_user *out,                    \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, id, out, err))                                                                                  \
	/* user_list: q NULL or "" for every user, else those whose display name or upn                              \
	 * contains q (ASCII letters in any case). */                                                                  \
	X(ps_code, user_list, (struct ps_store *st, int64_t tenant, const char *q, int64_t after, size_t limit,        \
	  ps_user_cb cb, void *arg, struct ps_err *err),                                                               \
	  (st, tenant, q, after, limit, cb, arg, err))                                                                 \
                                                                                                                       \
	/* Subscriptions. insert assigns s->id (s->assigned is stored as 0).                                           \
	 * update writes quantity, status, term_start, term_end, replaced_by,                                          \
	 * billed_through, addon_of (an add-on follows its base to a new plan). */                                     \
	X(ps_code, sub_insert, (struct ps_store *st, struct ps_subscription *s, struct ps_err *err), (st, s, err))     \
	X(ps_code, sub_get, (struct ps_store *st, int64_t tenant, int64_t id, struct ps_subscription *out,             \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, id, out, err))                                                                                  \
	X(ps_code, sub_list, (struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_sub_cb cb,          \
	  void *arg, struct ps_err *err),                                                                              \
	  (st, tenant, after, limit, cb, arg, err))                                                                    \
	X(ps_code, sub_update, (struct ps_store *st, const struct ps_subscription *s, struct ps_err *err),             \
	  (st, s, err))                                                                                                \
                                                                                                                       \
	/* License assignments. insert: CONFLICT (field "user") when the user                                          \
	 * already holds a seat of a->product_id in this tenant; the                                                   \
	 * subscription's `assigned` count goes up by one in the same                                                  \
	 * statement group. delete: NOT_FOUND when the user holds no seat of that                                      \
	 * subscription; the count goes down by one. */                                                                \
	X(ps_code, assignment_insert, (struct ps_store *st, const struct ps_assignment *a, struct ps_err *err),        \
	  (st, a, err))                                                                                                \
	X(ps_code, assignment_delete, (struct ps_store *st, int64_t tenant, int64_t sub_id, int64_t user_id,           \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, sub_id, user_id, err))                                                                          \
	X(ps_code, assignment_list, (struct ps_store *st, int64_t tenant, int64_t sub_id, int64_t after_user,          \
	  size_t limit, ps_assignment_cb cb, void *arg, struct ps_err *err),                                           \
	  (st, tenant, sub_id, after_user, limit, cb, arg, err))                                                       \
                                                                                                                       \
	/* Service health (shared by every tenant). insert assigns i->id.                                              \
	 * update writes status, resolved_at and eta. */                                                                    \
	X(ps_code, incident_insert, (struct ps_store *st, struct ps_incident *i, struct ps_err *err), (st, i, err))    \
	X(ps_code, incident_get, (struct ps_store *st, int64_t id, struct ps_incident *out, struct ps_err *err),       \
	  (st, id, out, err))                                                                                          \
	X(ps_code, incident_update, (struct ps_store *st, const struct ps_incident *i, struct ps_err *err),            \
	  (st, i, err))                                                                                                \
	X(ps_code, incident_list, (struct ps_store *st, bool open_only, int64_t after, size_t limit,                   \
	  ps_incident_cb cb, void *arg, struct ps_err *err),                                                           \
	  (st, open_only, after, limit, cb, arg, err))                                                                 \
	/* An incident's updates: insert assigns u->n (the next in order);                                             \
	 * list walks them in that order. */                                                                           \
	X(ps_code, incident_note_insert, (struct ps_store *st, struct ps_incident_update *u, struct ps_err *err),      \
	  (st, u, err))                                                                                                \
	X(ps_code, incident_note_list, (struct ps_store *st, int64_t incident, ps_incident_update_cb cb, void *arg,    \
	  struct ps_err *err),                                                                                         \
	  (st, incident, cb, arg, err))                                                                                \
                                                                                                                       \
	/* Money and operations: inserted here so the engine's reasons have real                                       \
	 * data; their full life comes with the billing and upgrade work.                                              \
	 * Each insert assigns ->id. */                                                                                \
	X(ps_code, invoice_insert, (struct ps_store *st, struct ps_invoice *inv, struct ps_err *err), (st, inv,        \
	  err))                                                                                                        \
	X(ps_code, credit_check_insert, (struct ps_store *st, struct ps_credit_check *c, struct ps_err *err),          \
	  (st, c, err))                                                                                                \
	X(ps_code, operation_insert, (struct ps_store *st, struct ps_operation *op, struct ps_err *err),               \
	  (st, op, err))                                                                                               \
                                                                                                                       \
	/* The audit log. insert assigns a->id. */                                                                     \
	X(ps_code, audit_insert, (struct ps_store *st, struct ps_audit *a, struct ps_err *err), (st, a, err))          \
	X(ps_code, audit_list, (struct ps_store *st, int64_t tenant, int64_t after, size_t limit,                      \
	  ps_audit_cb cb, void *arg, struct ps_err *err),                                                              \
	  (st, tenant, after, limit, cb, arg, err))                                                                    \
                                                                                                                       \
	/* Everything the engine needs of one tenant at `now`, into snap (reset                                        \
	 * first): the tenant; all its subscriptions in id order; open incidents;                                      \
	 * its unfinished operations (state pending_credit_check or                                                    \
	 * provisioning); its oldest pending credit check; the sum of open                                             \
	 * invoices' unpaid amounts whose due_at < now and the oldest such due_at;                                     \
	 * and the count and oldest start of automatic upgrade operations                                              \
	 * (kind upgrade) created in (now - PS_CAPACITY_WINDOW_S, now]. Plans are                                      \
	 * not resolved (snap->subs[i].plan is NULL) and capacity_limit is left                                        \
	 * 0: the caller owns both. NOT_FOUND when the tenant does not exist. */                                       \
	X(ps_code, snapshot_load, (struct ps_store *st, int64_t tenant, int64_t now, struct ps_snapshot *snap,         \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, now, snap, err))                                                                                \
                                                                                                                       \
	/* ---- schema version 2: money, time, upgrades ---------------------- */                                      \
                                                                                                                       \
	/* The manual clock, kept in the store so every daemon and command on                                          \
	 * it sees the same time. get: NOT_FOUND when never set. */                                                    \
	X(ps_code, clock_get, (struct ps_store *st, int64_t *now, struct ps_err *err), (st, now, err))                 \
	X(ps_code, clock_set, (struct ps_store *st, int64_t now, struct ps_err *err), (st, now, err))                  \
                                                                                                                       \
	/* Tenants change: credit_limit (after a credit check). Writes                                                 \
	 * credit_limit only; NOT_FOUND when missing. */                                                               \
	X(ps_code, tenant_update, (struct ps_store *st, const struct ps_tenant *t, struct ps_err *err), (st, t,        \
	  err))                                                                                                        \
                                                                                                                       \
	/* Invoices. update writes paid and status. list walks the tenant's                                            \
	 * invoices in id order (= issue order, oldest first); open_only keeps                                         \
	 * those with status open. Lines: insert assigns l->id; list walks one                                         \
	 * invoice's lines in id order. A second purchase or renewal line of the                                       \
	 * same (tenant, subscription, kind, period_start) is CONFLICT (field                                          \
	 * "period"): a period is invoiced once, however many daemons look.                                            \
	 * Other kinds (seat changes, credits) may repeat. */                                                          \
	X(ps_code, invoice_get, (struct ps_store *st, int64_t tenant, int64_t id, struct ps_invoice *out,              \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, id, out, err))                                                                                  \
	X(ps_code, invoice_update, (struct ps_store *st, const struct ps_invoice *inv, struct ps_err *err),            \
	  (st, inv, err))                                                                                              \
	X(ps_code, invoice_list, (struct ps_store *st, int64_t tenant, bool open_only, int64_t after,                  \
	  size_t limit, ps_invoice_cb cb, void *arg, struct ps_err *err),                                              \
	  (st, tenant, open_only, after, limit, cb, arg, err))                                                         \
	X(ps_code, invoice_line_insert, (struct ps_store *st, struct ps_invoice_line *l, struct ps_err *err),          \
	  (st, l, err))                                                                                                \
	X(ps_code, invoice_line_list, (struct ps_store *st, int64_t tenant, int64_t invoice, ps_line_cb cb,            \
	  void *arg, struct ps_err *err),                                                                              \
	  (st, tenant, invoice, cb, arg, err))                                                                         \
                                                                                                                       \
	/* Payments. insert assigns p->id. total: the sum of all the tenant's                                          \
	 * payments (0 when none). */                                                                                  \
	X(ps_code, payment_insert, (struct ps_store *st, struct ps_receipt *p, struct ps_err *err), (st, p, err))      \
	X(ps_code, payment_list, (struct ps_store *st, int64_t tenant, int64_t after, size_t limit,                    \
	  ps_payment_cb cb, void *arg, struct ps_err *err),                                                            \
	  (st, tenant, after, limit, cb, arg, err))                                                                    \
	X(ps_code, payment_total, (struct ps_store *st, int64_t tenant, int64_t *total, struct ps_err *err),           \
	  (st, tenant, total, err))                                                                                    \
                                                                                                                       \
	/* Credit checks. get by id alone (the provider decides them across                                            \
	 * tenants); update writes status, decided_at and amount; list walks one                                       \
	 * tenant's in id order. */                                                                                    \
	X(ps_code, credit_check_get, (struct ps_store *st, int64_t id, struct ps_credit_check *out,                    \
	  struct ps_err *err),                                                                                         \
	  (st, id, out, err))                                                                                          \
	X(ps_code, credit_check_update, (struct ps_store *st, const struct ps_credit_check *c, struct ps_err *err),    \
	  (st, c, err))                                                                                                \
	/* credit_check_list: tenant 0 lists every tenant's, in id order. */                                          \
	X(ps_code, credit_check_list, (struct ps_store *st, int64_t tenant, int64_t after, size_t limit,               \
	  ps_credit_cb cb, void *arg, struct ps_err *err),                                                             \
	  (st, tenant, after, limit, cb, arg, err))                                                                    \
                                                                                                                       \
	/* Operations. operation_insert (above) is CONFLICT (field                                                     \
	 * "operation") when the tenant already has an unfinished operation of                                         \
	 * kind upgrade (state pending_credit_check or provisioning): the rule                                         \
	 * "one upgrade at a time per tenant" lives in the store (a partial                                            \
	 * unique index), so it holds across daemons. update writes state,                                             \
	 * new_sub, credit_check_id, updated_at and detail. find_by_new_sub: the                                       \
	 * operation whose new subscription is new_sub (NOT_FOUND if none). */                                         \
	X(ps_code, operation_get, (struct ps_store *st, int64_t tenant, int64_t id, struct ps_operation *out,          \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, id, out, err))                                                                                  \
	X(ps_code, operation_update, (struct ps_store *st, const struct ps_operation *op, struct ps_err *err),         \
	  (st, op, err))                                                                                               \
	X(ps_code, operation_list, (struct ps_store *st, int64_t tenant, int64_t after, size_t limit,                  \
	  ps_operation_cb cb, void *arg, struct ps_err *err),                                                          \
	  (st, tenant, after, limit, cb, arg, err))                                                                    \
	X(ps_code, operation_find_by_new_sub, (struct ps_store *st, int64_t tenant, int64_t new_sub,                   \
	  struct ps_operation *out, struct ps_err *err),                                                               \
	  (st, tenant, new_sub, out, err))                                                                             \
	/* operation_find_scheduled: the scheduled operation (state scheduled,                                         \
	 * at most one) of subscription sub; NOT_FOUND if none. */                                                     \
	X(ps_code, operation_find_scheduled, (struct ps_store *st, int64_t tenant, int64_t sub,                        \
	  struct ps_operation *out, struct ps_err *err),                                                               \
	  (st, tenant, sub, out, err))                                                                                 \
	/* operation_count: how many operations of every tenant are of kind and                                        \
	 * in state (an index-only count: GET /metrics at any fleet size). */                                          \
	X(ps_code, operation_count, (struct ps_store *st, enum ps_op_kind kind, enum ps_op_state state, int64_t *n,    \
	  struct ps_err *err),                                                                                         \
	  (st, kind, state, n, err))                                                                                   \
                                                                                                                       \
	/* Move every seat of subscription `from` to `to` in one statement,                                            \
	 * setting their product to product_id; *moved gets the count. Both                                            \
	 * subscriptions' `assigned` counts follow. CONFLICT (field "user") when                                       \
	 * a user would hold two seats of product_id. */                                                               \
	X(ps_code, assignments_move, (struct ps_store *st, int64_t tenant, int64_t from, int64_t to,                   \
	  const char *product_id, int64_t *moved, struct ps_err *err),                                                 \
	  (st, tenant, from, to, product_id, moved, err))                                                              \
	/* Manual changes by seat. operation_users_put keeps the users operation                                       \
	 * `op` moves (users: a JSON array of user ids), in one statement.                                             \
	 * seats_move_some moves, inside the caller's transaction, the seats of                                        \
	 * `from` held by op's users (op 0: every seat) to `to`, taking to's                                           \
	 * product: those of users who hold a seat of to's product elsewhere are                                       \
	 * given up instead (they keep theirs); then both counts are recounted.                                        \
	 * One set-based statement each, never one per user. */                                                        \
	X(ps_code, operation_users_put, (struct ps_store *st, int64_t tenant, int64_t op, const char *users,           \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, op, users, err))                                                                                \
	X(ps_code, seats_move_some, (struct ps_store *st, int64_t tenant, int64_t from, int64_t to, int64_t op,         \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, from, to, op, err))                                                                             \
                                                                                                                       \
	/* Idempotency keys, per tenant (0 for provider-wide calls). find:                                             \
	 * NOT_FOUND when the key is unknown; out->response is a new string the                                        \
	 * caller frees. insert: CONFLICT (field "Idempotency-Key") when the key                                       \
	 * exists. purge removes keys created before `before`. */                                                      \
	X(ps_code, idem_find, (struct ps_store *st, int64_t tenant, const char *key, struct ps_idem *out,              \
	  struct ps_err *err),                                                                                         \
	  (st, tenant, key, out, err))                                                                                 \
	X(ps_code, idem_insert, (struct ps_store *st, const struct ps_idem *k, struct ps_err *err), (st, k, err))      \
	X(ps_code, idem_purge, (struct ps_store *st, int64_t before, struct ps_err *err), (st, before, err))           \
	/* A key is reserved by inserting it with status 0 (the call is                                                \
	 * running), then completed with the answer, or deleted when the call                                          \
	 * failed (never once marked by idem_changed). complete: NOT_FOUND when                                        \
	 * the key is gone. */                                                                                         \
	X(ps_code, idem_complete, (struct ps_store *st, const struct ps_idem *k, struct ps_err *err), (st, k, err))    \
	X(ps_code, idem_delete, (struct ps_store *st, int64_t tenant, const char *key, struct ps_err *err),            \
	  (st, tenant, key, err))                                                                                      \
	/* Take over a running key (status 0) still held by `from` (its daemon                                         \
	 * died): k->owner and k->created_at become its owner and time.                                                \
	 * NOT_FOUND when the key is no longer running under `from`. */                                                \
	X(ps_code, idem_take, (struct ps_store *st, const struct ps_idem *k, const char *from, struct ps_err *err),    \
	  (st, k, from, err))                                                                                          \
	/* In the transaction of a call's change: its running key's owner gets                                         \
	 * the prefix PS_IDEM_CHANGED, so that the change and the mark commit                                          \
	 * together (delete then keeps the key: a retry must not run it again). */                                     \
	X(ps_code, idem_changed, (struct ps_store *st, int64_t tenant, const char *key, struct ps_err *err),           \
	  (st, tenant, key, err))                                                                                      \
	/* Where the server's write-ahead log is, as a byte position: on a                                             \
	 * primary, the last written; on a hot standby, the last replayed                                               \
	 * (serve --db-read). 0 on SQLite, which has no replicas. */                                                   \
	X(ps_code, wal_position, (struct ps_store *st, int64_t *lsn, struct ps_err *err), (st, lsn, err))              \
                                                                                                                       \
	/* Support requests. insert assigns r->id. list: tenant 0 walks every                                          \
	 * tenant's (for the provider's support staff), in id order. */                                                \
	X(ps_code, support_insert, (struct ps_store *st, struct ps_support_request *r, struct ps_err *err),            \
	  (st, r, err))                                                                                                \
	X(ps_code, support_list, (struct ps_store *st, int64_t tenant, int64_t after, size_t limit,                    \
	  ps_support_cb cb, void *arg, struct ps_err *err),                                                            \
	  (st, tenant, after, limit, cb, arg, err))                                                                    \
                                                                                                                       \
	/* The runner's due work (src/app/jobs.c). job_insert: a job, or nothing                                      \
	 * when one of its (kind, tenant, subject) is already there. job_seed_renewals:                               \
	 * a job of `kind` and `rank` due at billed_through for each live,                                            \
	 * not replaced subscription billed through `now` or earlier (the job                                         \
	 * checks the rule again). job_claim: the first job                                         \
	 * due by `now` in (due_at, rank, id) order that no other transaction                                         \
	 * holds, held by this write transaction until it ends (PostgreSQL: FOR                                       \
	 * UPDATE SKIP LOCKED; SQLite: the write lock); NOT_FOUND when none.                                          \
	 * job_delete: a job done. job_update: due_at, attempts, last_error.                                          \
	 * job_count_due: the jobs due by `now`, held or not. */                                                      \
	X(ps_code, job_insert, (struct ps_store *st, const struct ps_job *j, struct ps_err *err), (st, j, err))        \
	X(ps_code, job_seed_renewals, (struct ps_store *st, const char *kind, int64_t rank, int64_t now,               \
	  struct ps_err *err),                                                                                         \
	  (st, kind, rank, now, err))                                                                                  \
	X(ps_code, job_claim, (struct ps_store *st, int64_t now, struct ps_job *out, struct ps_err *err),              \
	  (st, now, out, err))                                                                                         \
	X(ps_code, job_delete, (struct ps_store *st, const struct ps_job *j, struct ps_err *err), (st, j, err))        \
	/* job_remove: the job of (kind, tenant, subject), if any, is gone. */                                         \
	X(ps_code, job_remove, (struct ps_store *st, const char *kind, int64_t tenant, int64_t subject,                \
	  struct ps_err *err),                                                                                         \
	  (st, kind, tenant, subject, err))                                                                            \
	X(ps_code, job_update, (struct ps_store *st, const struct ps_job *j, struct ps_err *err), (st, j, err))        \
	X(ps_code, job_count_due, (struct ps_store *st, int64_t now, int64_t *n, struct ps_err *err),                  \
	  (st, now, n, err))                                                                                           \
                                                                                                                       \
	/* The event outbox (RULES "Events and webhooks"). event_append: an                                            \
	 * event, inside the caller's write transaction (e->id assigned; data                                         \
	 * as given). event_list: the events after the event `after` (0: from                                         \
	 * the first) in commit order, tenant 0 and type NULL for any, at most                                        \
	 * limit (0: all); only events no running transaction can still come                                          \
	 * before (PostgreSQL: by (txid, id) below the snapshot's xmin; SQLite:                                       \
	 * by id), so a reader paging with the last id it saw misses none.                                            \
	 * e->data points into the row: valid during cb only. event_prune:                                            \
	 * the events created before `before` (the store's clock) are gone.   */                                            \
	X(ps_code, event_append, (struct ps_store *st, struct ps_event *e, struct ps_err *err), (st, e, err))          \
	X(ps_code, event_list, (struct ps_store *st, int64_t tenant, const char *type, int64_t after, size_t limit,     \
	  ps_event_cb cb, void *arg, struct ps_err *err),                                                              \
	  (st, tenant, type, after, limit, cb, arg, err))                                                              \
	X(ps_code, event_prune, (struct ps_store *st, int64_t before, struct ps_err *err), (st, before, err))          \
	/* Webhook endpoints (src/app/webhooks.c). insert assigns w->id;                                               \
	 * get/update/delete: NOT_FOUND (field "webhook") when none; update                                            \
	 * writes url, types, enabled and secret; list: in id order;                                                  \
	 * advance: the endpoint's cursor, an event id (event_list's `after`). */                                         \
	X(ps_code, webhook_insert, (struct ps_store *st, struct ps_webhook *w, struct ps_err *err), (st, w, err))      \
	X(ps_code, webhook_get, (struct ps_store *st, int64_t id, struct ps_webhook *out, struct ps_err *err),         \
	  (st, id, out, err))                                                                                          \
	X(ps_code, webhook_list, (struct ps_store *st, int64_t after, size_t limit, ps_webhook_cb cb, void *arg,       \
	  struct ps_err *err),                                                                                         \
	  (st, after, limit, cb, arg, err))                                                                            \
	X(ps_code, webhook_update, (struct ps_store *st, const struct ps_webhook *w, struct ps_err *err), (st, w, err)) \
	X(ps_code, webhook_delete, (struct ps_store *st, int64_t id, struct ps_err *err), (st, id, err))               \
	X(ps_code, webhook_advance, (struct ps_store *st, int64_t id, int64_t cursor, struct ps_err *err),             \
	  (st, id, cursor, err))                                                                                       \
	/* Their deliveries (src/app/deliver.c). insert: a pending attempt                                            \
	 * (nothing when that attempt is there already). list: one endpoint's attempts made (not the                                              \
	 * pending ones), newest first: ids below `before` (0: from the                                               \
	 * newest). insert with seq 0 gives the attempt the next seq of its                                          \
	 * endpoint (a new event); a retry passes its event's. claim: the pending                                      \
	 * attempt due by `now` (the store's clock) of an enabled endpoint,                                            \
	 * first of its (endpoint, tenant) chain in seq                                                                \
	 * order, not leased at `wall` (the system's seconds), at most `max` of                                        \
	 * them in (due_at, id) order, each leased to `owner` until lease_until                                        \
	 * and given to cb, in one statement (PostgreSQL: FOR UPDATE SKIP                                              \
	 * LOCKED); none: cb is not called. record: the outcome of a                                             \
	 * claimed attempt (state, time, status_code, error, next_attempt_at),                                        \
	 * lease let go; NOT_FOUND when it is no longer pending nor leased to                                         \
	 * owner. count: pending attempts due by now. */                                                              \
	X(ps_code, delivery_insert, (struct ps_store *st, struct ps_delivery *d, struct ps_err *err), (st, d, err))    \
	X(ps_code, delivery_list, (struct ps_store *st, int64_t webhook, int64_t before, size_t limit,                \
	  ps_delivery_cb cb, void *arg, struct ps_err *err),                                                           \
	  (st, webhook, before, limit, cb, arg, err))                                                                  \
	X(ps_code, delivery_claim, (struct ps_store *st, int64_t now, int64_t wall, int64_t lease_until,              \
	  const char *owner, size_t max, ps_delivery_cb cb, void *arg, struct ps_err *err),                            \
	  (st, now, wall, lease_until, owner, max, cb, arg, err))                                                      \
	X(ps_code, delivery_record, (struct ps_store *st, const struct ps_delivery *d, const char *owner,             \
	  struct ps_err *err),                                                                                         \
	  (st, d, owner, err))                                                                                         \
	X(ps_code, delivery_count_due, (struct ps_store *st, int64_t now, int64_t *n, struct ps_err *err),             \
	  (st, now, n, err))                                                                                           \
	/* What the deliveries read of the events (the outbox's own methods are                                      \
	 * above): event_head: the id of the last event event_list would give                                          \
	 * now (0: none), where a new endpoint's cursor starts. event_get: the                                         \
	 * event `id` to cb (data valid during cb only); NOT_FOUND when none. */                                       \
	X(ps_code, event_head, (struct ps_store *st, int64_t *id, struct ps_err *err), (st, id, err))                  \
	X(ps_code, event_get, (struct ps_store *st, int64_t id, ps_event_cb cb, void *arg, struct ps_err *err),        \
	  (st, id, cb, arg, err))                                                                                      \
                                                                                                                       \
	/* For sweeps (optional: NULL when a backend has none, and callers                                             \
	 * then call snapshot_load per tenant). The snapshots of the tenants                                           \
	 * with id > after, in id order, at most `limit` of them (0: no limit),                                        \
	 * from one read transaction (or the caller's): snap is filled for one                                         \
	 * tenant after another exactly as snapshot_load fills it, and cb                                              \
	 * called with it; a cb returning false stops the walk. *last gets the                                         \
	 * id of the last tenant given to cb (`after` when none). A handful of                                         \
	 * range queries for the whole batch, instead of one set per tenant. */                                        \
	X(ps_code, snapshot_scan, (struct ps_store *st, int64_t after, size_t limit, int64_t now,                      \
	  struct ps_snapshot *snap, ps_snapshot_cb cb, void *arg, int64_t *last, struct ps_err *err),                  \
	  (st, after, limit, now, snap, cb, arg, last, err))

struct ps_store_ops {
	const char *name; /* "sqlite" */
#define PS_STORE_OP_(ret, name, params, args) ret(*name) params;
	PS_STORE_METHODS(PS_STORE_OP_)
#undef PS_STORE_OP_
};

struct ps_store {
	const struct ps_store_ops *ops;
};

/* Open the store a URL names: "sqlite:PATH" or a plain path (SQLite, the
 * default), or "postgresql://..." (when built in). The file is created if
 * missing; the schema is not touched (call migrate or check_schema). */
ps_code ps_store_open(const char *url, struct ps_store **out, struct ps_err *err);
void ps_store_close(struct ps_store *st); /* accepts NULL */

/* The SQLite backend's constructor (store/sqlite.c). */
ps_code ps_sqlite_open(const char *path, struct ps_store **out, struct ps_err *err);
/* The PostgreSQL backend's constructor (store/pg.c): url is a libpq URI
 * ("postgresql://USER@HOST:PORT/DB?..."); it connects, PS_STORE naming the
 * server when it cannot. */
ps_code ps_pg_open(const char *url, struct ps_store **out, struct ps_err *err);

/* The current schema version of this binary. */
#define PS_SCHEMA_VERSION 13
/* The version whose step keeps each subscription's price as sold and
 * numbers the catalog's versions (sql/BACKEND/007.sql): a store below it
 * takes each subscription's price from its last invoice. */
#define PS_SCHEMA_PRICES 7

#endif
