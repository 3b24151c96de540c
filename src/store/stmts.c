/* stmts.c: every statement of the SQL backends, written once (store layer).
 * One text per statement with ?N placeholders, which the PostgreSQL backend
 * rewrites to $N when it prepares; a backend keeps a text of its own only
 * where the SQL truly differs, and the entry says why. The column lists
 * are here once: the decoders of rows.c read them in this order. */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

#define TENANT_COLS "id, name, segment, payment, credit_limit, currency, created_at"
#define USER_COLS   "tenant_id, id, upn, display_name, created_at"
#define SUB_COLS                                                                                                       \
	"tenant_id, id, plan_id, product_id, quantity, assigned, status, term, prepaid, "                              \
	"term_start, term_end, addon_of, replaced_by, created_at, billed_through, cancel_at, price_per_seat_month, currency"
/* SUB_COLS and the id of its scheduled operation (0 when none: API.md's
 * `scheduled`), read through operations_one_scheduled: for sub_get and
 * sub_list, what the API shows; the snapshot scans do not need it. */
#define SUB_COLS_SCHED                                                                                                 \
	SUB_COLS ", (SELECT o.id FROM operations AS o WHERE o.tenant_id = subscriptions.tenant_id"                     \
		 " AND o.source_sub = subscriptions.id AND o.state = 'scheduled') AS scheduled"
#define ASSIGN_COLS "tenant_id, subscription_id, user_id, product_id, assigned_at"
#define INC_COLS    "id, service_id, status, title, opened_at, resolved_at, eta"
#define OP_COLS                                                                                                        \
	"tenant_id, id, kind, state, source_sub, target_plan, new_sub, created_at, updated_at, quantity, "             \
	"credit_check_id, request_id, detail, effective_at"
#define CC_COLS	   "tenant_id, id, status, amount, requested_at, expected_by, decided_at, subscription_id, operation_id, quantity"
#define INV_COLS   "tenant_id, id, subscription_id, amount, paid, currency, issued_at, due_at, status"
#define LINE_COLS                                                                                                      \
	"tenant_id, invoice_id, id, subscription_id, kind, plan_id, quantity, period_start, period_end, amount, "      \
	"description"
#define PAY_COLS   "tenant_id, id, amount, currency, received_at"
#define SR_COLS	   "tenant_id, id, subscription_id, reason_codes, description, status, created_at, token_id"
#define TOKEN_COLS "id, name, role, tenant_id, created_at, expires_at, last_used_at, revoked_at"
#define AUDIT_COLS "tenant_id, id, at, token_id, role, action, object, request_id, detail"
/* What a snapshot holds of the operations: the unfinished and the scheduled. */
#define OPEN_OPS "('scheduled', 'pending_credit_check', 'provisioning')"
#define EVENT_COLS "id, type, tenant, created, data"
#define JOB_COLS   "id, kind, rank, tenant_id, subject, due_at, attempts, last_error, created_at"
#define WEBHOOK_COLS "id, url, types, filter_tenant, enabled, secret, created_at, cursor"
#define DLV_COLS                                                                                                       \
	"id, webhook_id, event_id, event_tenant, seq, attempt, state, due_at, first_due_at, time, status_code, error, "    \
	"next_attempt_at"
/* The ids of the pending attempts due by ?1, not leased at ?2, of an
 * enabled endpoint (?3), each the head of its (endpoint, tenant) chain (a
 * later event of a tenant waits while an earlier one is being retried), in
 * (due_at, id) order, at most ?7 (?6: the walk's `after`, 0). */
#define DLV_HEADS                                                                                                      \
	"SELECT d.id FROM webhook_deliveries AS d WHERE d.state = 'pending' AND d.due_at <= ?1"                        \
	" AND d.leased_until <= ?2 AND d.id > ?6"                                                                       \
	" AND EXISTS (SELECT 1 FROM webhooks AS w WHERE w.id = d.webhook_id AND w.enabled = ?3)"                       \
	" AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS e WHERE e.webhook_id = d.webhook_id"                      \
	" AND e.event_tenant = d.event_tenant AND e.state = 'pending' AND e.seq < d.seq)"                               \
	" ORDER BY d.due_at, d.id LIMIT ?7"
#define DLV_LEASE(heads)                                                                                               \
	"UPDATE webhook_deliveries SET leased_until = ?4, leased_by = ?5 WHERE id IN (" heads ") RETURNING " DLV_COLS

/* A new row's id: SQLite's come from the `sequences` table (kept ahead by
 * triggers), PostgreSQL's from each table's identity; ps_stmt_text() puts
 * in the one or the other. */
#define NEXT_ID(table) "{" table "}"

/* PostgreSQL's scans: the last tenant id of a batch of at most ?2 tenants
 * after ?1, computed in each query so that all go in one round trip. */
#define SCAN_HI "(SELECT max(id) FROM (SELECT id FROM tenants WHERE id > ?1 ORDER BY id LIMIT ?2) AS batch)"

const struct ps_stmt_def ps_stmts[PS_S__COUNT] = {
    /* SQLite's transactions and file header (PostgreSQL frames its own). */
    [PS_S_BEGIN] = {.name = "begin", .sqlite = "BEGIN"},
    [PS_S_BEGIN_IMMEDIATE] = {.name = "begin", .sqlite = "BEGIN IMMEDIATE"},
    [PS_S_COMMIT] = {.name = "commit", .sqlite = "COMMIT"},
    [PS_S_ROLLBACK] = {.name = "rollback", .sqlite = "ROLLBACK"},
    [PS_S_APP_ID] = {.name = "schema", .sqlite = "PRAGMA application_id"},
    [PS_S_USER_VERSION] = {.name = "schema", .sqlite = "PRAGMA user_version"},
    [PS_S_SCHEMA_COUNT] = {.name = "schema", .sqlite = "SELECT count(*) FROM sqlite_master"},
    /* SQLite moves seats in a savepoint, in three statements; PostgreSQL in
     * one (PS_S_MOVE_SUBS, then PS_S_MOVE_SEATS). */
    [PS_S_SAVEPOINT] = {.name = "assignments_move", .sqlite = "SAVEPOINT ps_move"},
    [PS_S_RELEASE] = {.name = "assignments_move", .sqlite = "RELEASE ps_move"},
    [PS_S_ROLLBACK_TO] = {.name = "assignments_move", .sqlite = "ROLLBACK TO ps_move"},
    [PS_S_MOVE_TARGET] = {.name = "assignments_move",
		       .sqlite = "SELECT product_id FROM subscriptions WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_MOVE_COUNT] = {.name = "assignments_move",
		      .sqlite = "UPDATE subscriptions SET assigned = assigned + ?3 WHERE tenant_id = ?1 AND id = ?2"},
    /* SQLite names a refused reference by looking (PostgreSQL's constraint
     * names say which). */
    [PS_S_EXISTS_SUB] = {.name = "exists", .sqlite = "SELECT 1 FROM subscriptions WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_EXISTS_INVOICE] = {.name = "exists", .sqlite = "SELECT 1 FROM invoices WHERE tenant_id = ?1 AND id = ?2"},
    /* PostgreSQL's advisory locks (SQLite has one writer). */
    [PS_S_LOCK] = {.name = "lock", .pg = "SELECT pg_advisory_xact_lock(?1)"},
    [PS_S_MOVE_SUBS] = {.name = "assignments_move",
		     .pg = "SELECT id, product_id FROM subscriptions WHERE tenant_id = ?1 AND id IN (?2, ?3)"},

    /* A new version numbered after the last; two loads at once: one of
     * them conflicts on the number and runs again. */
    [PS_S_CATALOG_VERSION_INSERT] = {.name = "catalog_put",
				  .sql = "INSERT INTO catalog_versions (version, doc, loaded_at, loaded_by)"
					 " SELECT coalesce(max(version), 0) + 1, ?1, ?2, ?3 FROM catalog_versions"
					 " RETURNING version",
				  .conflict = "version",
				  .conflict_msg = "another catalog was loaded at the same time"},
    [PS_S_CATALOG_PUT] = {.name = "catalog_put",
		       .sql = "INSERT INTO catalog (one, doc, loaded_at, version)"
			      " SELECT 1, doc, loaded_at, version FROM catalog_versions WHERE version = ?1"
			      " ON CONFLICT (one) DO UPDATE SET doc = excluded.doc, loaded_at = excluded.loaded_at,"
			      " version = excluded.version"},
    [PS_S_CATALOG_GET] = {.name = "catalog_get", .sql = "SELECT doc, version FROM catalog WHERE one = 1"},
    [PS_S_CATALOG_VERSION] = {.name = "catalog_version", .sql = "SELECT version FROM catalog WHERE one = 1"},
    /* Both in one row: no catalog gives a NULL (0) version. */
    [PS_S_VERSIONS] = {.name = "versions",
		       .sql = "SELECT a.version, (SELECT c.version FROM catalog c WHERE c.one = 1)"
			      " FROM auth_version a WHERE a.one = 1"},
    /* SQLite has one writer: a write transaction holds everything already. */
    [PS_S_CATALOG_HOLD_SHARED] = {.name = "catalog_hold",
			       .sqlite = "SELECT version FROM catalog WHERE one = 1",
			       .pg = "SELECT version FROM catalog WHERE one = 1 FOR SHARE"},
    [PS_S_CATALOG_HOLD_ALONE] = {.name = "catalog_hold",
			      .sqlite = "SELECT version FROM catalog WHERE one = 1",
			      .pg = "SELECT version FROM catalog WHERE one = 1 FOR UPDATE"},
    [PS_S_CATALOG_VERSIONS] = {.name = "catalog_version_list",
			    .sql = "SELECT version, loaded_at, loaded_by FROM catalog_versions WHERE version > ?1"
				   " ORDER BY version LIMIT ?2"},
    /* Live: every subscription that can still change (not cancelled nor
     * replaced). */
    [PS_S_PLAN_LIVE_COUNT] = {.name = "plan_live_count",
			   .sql = "SELECT count(*) FROM subscriptions WHERE plan_id = ?1"
				  " AND status NOT IN ('cancelled', 'replaced')"},
    [PS_S_TOKEN_INSERT] = {.name = "token_insert",
			.sql = "INSERT INTO tokens (hash, id, role, tenant_id, created_at, name, expires_at)"
			       " VALUES (?1, " NEXT_ID("tokens") ", ?2, ?3, ?4, ?5, ?6) RETURNING id",
			.conflict = "token",
			.conflict_msg = "a token with this hash already exists",
			.missing = "tenant",
			.missing_msg = "the token's tenant does not exist"},
    /* The live token of a hash, and the columns of a principal (the session's
     * find answers the same ones). */
    [PS_S_TOKEN_FIND] = {.name = "token_find",
		      .sql = "SELECT id, role, tenant_id, last_used_at, expires_at, expires_at FROM tokens WHERE hash = ?1"
			     " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)"},
    [PS_S_TOKEN_TOUCH] = {.name = "token_touch",
		       .sql = "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1"
			      " AND (last_used_at IS NULL OR last_used_at <= ?3 OR last_used_at > ?2)"},
    [PS_S_TOKEN_GET] = {.name = "token_get", .sql = "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?1"},
    [PS_S_TOKEN_LIST] = {.name = "token_list",
		      .sql = "SELECT " TOKEN_COLS " FROM tokens WHERE revoked_at IS NULL"
			     " AND (?1 = 0 OR tenant_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3"},
    [PS_S_TOKEN_REVOKE] = {.name = "token_revoke",
			.sql = "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL"},
    [PS_S_TOKEN_END_SESSIONS] = {.name = "token_revoke", .sql = "DELETE FROM sessions WHERE token_id = ?1"},
    [PS_S_SESSION_INSERT] = {.name = "session_insert",
			  .sql = "INSERT INTO sessions (hash, token_id, created_at, last_seen_at, expires_at)"
				 " VALUES (?1, ?2, ?3, ?3, ?4)",
			  .conflict = "session",
			  .conflict_msg = "a session with this hash already exists",
			  .missing = "token",
			  .missing_msg = "the session's token does not exist"},
    [PS_S_SESSION_FIND] = {.name = "session_find",
			.sql = "SELECT t.id, t.role, t.tenant_id, s.last_seen_at, s.expires_at, t.expires_at"
			       " FROM sessions s JOIN tokens t ON t.id = s.token_id"
			       " WHERE s.hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3"
			       " AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2)"},
    [PS_S_SESSION_TOUCH] = {.name = "session_touch",
			 .sql = "UPDATE sessions SET last_seen_at = ?2 WHERE hash = ?1"
				" AND (last_seen_at <= ?3 OR last_seen_at > ?2)"},
    [PS_S_SESSION_DELETE] = {.name = "session_delete", .sql = "DELETE FROM sessions WHERE hash = ?1"},
    [PS_S_SESSION_PURGE] = {.name = "session_purge",
			 .sql = "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2"},
    [PS_S_TENANT_INSERT] = {.name = "tenant_insert",
			 .sql = "INSERT INTO tenants (id, name, segment, payment, credit_limit, currency, created_at)"
				" VALUES (" NEXT_ID("tenants") ", ?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"},
    [PS_S_TENANT_GET] = {.name = "tenant_get", .sql = "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1"},
    [PS_S_TENANT_LIST] = {.name = "tenant_list",
		       .sql = "SELECT " TENANT_COLS " FROM tenants WHERE id > ?1 ORDER BY id LIMIT ?2"},
    [PS_S_TENANT_UPDATE] = {.name = "tenant_update", .sql = "UPDATE tenants SET credit_limit = ?2 WHERE id = ?1"},
    [PS_S_USER_INSERT] = {.name = "user_insert",
		       .sql = "INSERT INTO users (tenant_id, id, upn, display_name, created_at)"
			      " VALUES (?1, " NEXT_ID("users") ", ?2, ?3, ?4) RETURNING id",
		       .conflict = "upn",
		       .conflict_msg = "the tenant already has a user with this upn",
		       .missing = "tenant",
		       .missing_msg = "the tenant does not exist"},
    [PS_S_USER_GET] = {.name = "user_get", .sql = "SELECT " USER_COLS " FROM users WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_USER_LIST] = {.name = "user_list",
		     /* ?2: a LIKE pattern (lowered, '!' escapes) on name or upn; '' is every user */
		     .sql = "SELECT " USER_COLS " FROM users WHERE tenant_id = ?1"
			    " AND (?2 = '' OR lower(display_name) LIKE ?2 ESCAPE '!' OR lower(upn) LIKE ?2 ESCAPE '!')"
			    " AND id > ?3 ORDER BY id LIMIT ?4"},
    [PS_S_SUB_INSERT] = {.name = "sub_insert",
		      /* clang-format off */
		      .sql = "INSERT INTO subscriptions (tenant_id, id, plan_id, product_id, quantity, assigned, status,"
			     " term, prepaid, term_start, term_end, addon_of, replaced_by, created_at, billed_through, cancel_at,"
			     " price_per_seat_month, currency)"
			     " VALUES (?1, " NEXT_ID("subscriptions") ","
			     " ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id",
		      /* clang-format on */
		      .missing = "tenant",
		      .missing_msg =
			  "the tenant, or the subscription named by addon_of or replaced_by, does not exist"},
    [PS_S_SUB_GET] = {.name = "sub_get",
		      .sql = "SELECT " SUB_COLS_SCHED " FROM subscriptions WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_SUB_LIST] = {.name = "sub_list",
		    .sql = "SELECT " SUB_COLS_SCHED " FROM subscriptions WHERE tenant_id = ?1 AND id > ?2"
			   " ORDER BY id LIMIT ?3"},
    [PS_S_SUB_UPDATE] = {.name = "sub_update",
		      .sql = "UPDATE subscriptions SET quantity = ?3, status = ?4, term_start = ?5, term_end = ?6,"
			     " replaced_by = ?7, billed_through = ?8, addon_of = ?9, cancel_at = ?10, price_per_seat_month = ?11,"
			     " currency = ?12 WHERE tenant_id = ?1 AND id = ?2",
		      .missing = "replaced_by",
		      .missing_msg = "the subscription named by addon_of or replaced_by does not exist"},
    /* The product comes from the subscription itself, so the seat rule
     * cannot be dodged by a caller passing the wrong product; no row: no
     * such subscription. The count follows by trigger. */
    [PS_S_ASSIGN_INSERT] = {.name = "assignment_insert",
			 .sql = "INSERT INTO assignments (tenant_id, subscription_id, user_id, product_id, assigned_at)"
				" SELECT tenant_id, id, ?3, product_id, ?4 FROM subscriptions"
				" WHERE tenant_id = ?1 AND id = ?2",
			 .conflict = "user",
			 .conflict_msg = "the user already holds a seat of this product",
			 .missing = "user",
			 .missing_msg = "the user does not exist"},
    [PS_S_ASSIGN_DELETE] = {.name = "assignment_delete",
			 .sql =
			     "DELETE FROM assignments WHERE tenant_id = ?1 AND subscription_id = ?2 AND user_id = ?3"},
    [PS_S_ASSIGN_LIST] = {.name = "assignment_list",
		       .sql = "SELECT " ASSIGN_COLS " FROM assignments WHERE tenant_id = ?1 AND subscription_id = ?2"
			      " AND user_id > ?3 ORDER BY user_id LIMIT ?4"},
    [PS_S_INC_INSERT] = {.name = "incident_insert",
		      .sql = "INSERT INTO incidents (id, service_id, status, title, opened_at, resolved_at, eta)"
			     " VALUES (" NEXT_ID("incidents") ", ?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"},
    [PS_S_INC_GET] = {.name = "incident_get", .sql = "SELECT " INC_COLS " FROM incidents WHERE id = ?1"},
    [PS_S_INC_UPDATE] = {.name = "incident_update",
		      .sql = "UPDATE incidents SET status = ?2, resolved_at = ?3, eta = ?4 WHERE id = ?1"},
    [PS_S_INC_NOTE_INSERT] = {.name = "incident_note_insert",
			   .sql = "INSERT INTO incident_updates (incident_id, n, at, status, message)"
				  " VALUES (?1, (SELECT count(*) + 1 FROM incident_updates WHERE incident_id = ?1),"
				  " ?2, ?3, ?4) RETURNING n",
			   .missing = "incident",
			   .missing_msg = "the incident does not exist"},
    /* Manual changes by seat: the set of users an operation moves, read by
     * the set-based statements that move their seats (one per table). */
    [PS_S_OPUSERS_PUT] = {.name = "operation_users_put",
		       .sqlite = "INSERT OR IGNORE INTO operation_users (tenant_id, operation_id, user_id)"
				 " SELECT ?1, ?2, value FROM json_each(?3)",
		       .pg = "INSERT INTO operation_users (tenant_id, operation_id, user_id)"
			     " SELECT DISTINCT ?1::bigint, ?2::bigint, value::bigint FROM json_array_elements_text(?3::json)"
			     " ON CONFLICT DO NOTHING"},
#define SOME_USERS                                                                                                     \
	" AND (?4 = 0 OR user_id IN (SELECT user_id FROM operation_users WHERE tenant_id = ?1 AND operation_id = ?4))"
#define TO_PRODUCT "(SELECT product_id FROM subscriptions WHERE tenant_id = ?1 AND id = ?3)"
    [PS_S_SOME_KEEP] = {.name = "seats_move_some",
		     .sql = "DELETE FROM assignments WHERE tenant_id = ?1 AND subscription_id = ?2" SOME_USERS
			    " AND user_id IN (SELECT o.user_id FROM assignments AS o WHERE o.tenant_id = ?1"
			    " AND o.subscription_id <> ?2 AND o.product_id = " TO_PRODUCT ")"},
    [PS_S_SOME_MOVE] = {.name = "seats_move_some",
		     .sql = "UPDATE assignments SET subscription_id = ?3, product_id = " TO_PRODUCT
			    " WHERE tenant_id = ?1 AND subscription_id = ?2" SOME_USERS,
		     .conflict = "user",
		     .conflict_msg = "a user would hold two seats of the target's product"},
    [PS_S_SOME_COUNT] = {.name = "seats_move_some",
		      .sql = "UPDATE subscriptions SET assigned = (SELECT count(*) FROM assignments AS a"
			     " WHERE a.tenant_id = subscriptions.tenant_id AND a.subscription_id = subscriptions.id)"
			     " WHERE tenant_id = ?1 AND id IN (?2, ?3)"},
#undef SOME_USERS
#undef TO_PRODUCT
    [PS_S_INC_NOTE_LIST] = {.name = "incident_note_list",
			 .sql = "SELECT incident_id, n, at, status, message FROM incident_updates"
				" WHERE incident_id = ?1 AND n > ?2 ORDER BY n LIMIT ?3"},
    [PS_S_INC_LIST] = {.name = "incident_list",
		    .sql = "SELECT " INC_COLS " FROM incidents WHERE id > ?2 AND (?1 = 0 OR status <> 'resolved')"
			   " ORDER BY id LIMIT ?3"},
    [PS_S_INVOICE_INSERT] = {.name = "invoice_insert",
			  .sql = "INSERT INTO invoices (tenant_id, id, subscription_id, amount, paid, currency,"
				 " issued_at, due_at, status)"
				 " VALUES (?1, " NEXT_ID("invoices") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
			  .missing = "tenant",
			  .missing_msg = "the tenant or the invoice's subscription does not exist"},
    [PS_S_INVOICE_GET] = {.name = "invoice_get",
		       .sql = "SELECT " INV_COLS " FROM invoices WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_INVOICE_UPDATE] = {.name = "invoice_update",
			  .sql = "UPDATE invoices SET paid = ?3, status = ?4 WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_INVOICE_LIST] = {.name = "invoice_list",
			.sql = "SELECT " INV_COLS " FROM invoices WHERE tenant_id = ?1 AND id > ?3"
			       " AND (?2 = 0 OR status = 'open') ORDER BY id LIMIT ?4"},
    [PS_S_LINE_INSERT] = {.name = "invoice_line_insert",
		       .sql = "INSERT INTO invoice_lines (tenant_id, invoice_id, id, subscription_id, kind, plan_id,"
			      " quantity, period_start, period_end, amount, description)"
			      " VALUES (?1, ?2, " NEXT_ID("invoice_lines") ", ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			      " RETURNING id",
		       .conflict = "period",
		       .conflict_msg = "this subscription already has a line of this kind for the period starting then",
		       .missing = "invoice",
		       .missing_msg = "the invoice or the line's subscription does not exist"},
    [PS_S_LINE_LIST] = {.name = "invoice_line_list",
		     .sql = "SELECT " LINE_COLS " FROM invoice_lines WHERE tenant_id = ?1 AND invoice_id = ?2"
			    " AND id > ?3 ORDER BY id LIMIT ?4"},
    [PS_S_PAY_INSERT] = {.name = "payment_insert",
		      .sql = "INSERT INTO payments (tenant_id, id, amount, currency, received_at)"
			     " VALUES (?1, " NEXT_ID("payments") ", ?2, ?3, ?4) RETURNING id",
		      .missing = "tenant",
		      .missing_msg = "the tenant does not exist"},
    [PS_S_PAY_LIST] = {.name = "payment_list",
		    .sql = "SELECT " PAY_COLS " FROM payments WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
    /* PostgreSQL's sum of bigints is a numeric: cast back. */
    [PS_S_PAY_TOTAL] = {.name = "payment_total",
		     .sql = "SELECT CAST(coalesce(sum(amount), 0) AS bigint) FROM payments WHERE tenant_id = ?1"},
    [PS_S_CREDIT_INSERT] = {.name = "credit_check_insert",
			 .sql =
			     "INSERT INTO credit_checks (tenant_id, id, status, amount, requested_at, expected_by,"
			     " decided_at, subscription_id, operation_id, quantity)"
			     " VALUES (?1, " NEXT_ID("credit_checks") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
			 .missing = "tenant",
			 .missing_msg = "the tenant does not exist"},
    [PS_S_CREDIT_GET] = {.name = "credit_check_get", .sql = "SELECT " CC_COLS " FROM credit_checks WHERE id = ?1"},
    [PS_S_CREDIT_UPDATE] = {.name = "credit_check_update",
			 .sql = "UPDATE credit_checks SET status = ?3, decided_at = ?4, amount = ?5"
				" WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_CREDIT_LIST] = {.name = "credit_check_list",
		       .sql = "SELECT " CC_COLS " FROM credit_checks WHERE tenant_id = ?1 AND id > ?2"
			      " ORDER BY id LIMIT ?3"},
    [PS_S_CREDIT_LIST_ALL] = {.name = "credit_check_list_all",
			   .sql = "SELECT " CC_COLS " FROM credit_checks WHERE id > ?1 ORDER BY id LIMIT ?2"},
    [PS_S_OP_INSERT] = {.name = "operation_insert",
		     .sql = "INSERT INTO operations (tenant_id, id, kind, state, source_sub, target_plan, new_sub,"
			    " created_at, updated_at, quantity, credit_check_id, request_id, detail, effective_at)"
			    " VALUES (?1, " NEXT_ID("operations") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
			    " RETURNING id",
		     .conflict = "operation",
		     .conflict_msg = "the tenant already has an upgrade in progress: one upgrade at a time",
		     .missing = "source",
		     .missing_msg = "the tenant, or the operation's source or new subscription, does not exist"},
    [PS_S_OP_GET] = {.name = "operation_get",
		  .sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_OP_UPDATE] = {.name = "operation_update",
		     .sql = "UPDATE operations SET state = ?3, new_sub = ?4, credit_check_id = ?5, updated_at = ?6,"
			    " detail = ?7, source_sub = ?8 WHERE tenant_id = ?1 AND id = ?2",
		     .conflict = "operation",
		     .conflict_msg = "the tenant already has an upgrade in progress: one upgrade at a time",
		     .missing = "new_subscription",
		     .missing_msg = "new_subscription: the subscription does not exist for this tenant"},
    [PS_S_OP_LIST] = {.name = "operation_list",
		   .sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
    /* The latest, should a subscription have been named by more than one. */
    [PS_S_OP_BY_NEW_SUB] = {.name = "operation_find_by_new_sub",
			 .sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND new_sub = ?2"
				" ORDER BY id DESC LIMIT 1"},
    [PS_S_OP_SCHEDULED] = {.name = "operation_find_scheduled",
			.sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND source_sub = ?2"
			       " AND state = 'scheduled'"},
    [PS_S_OP_COUNT] = {.name = "operation_count",
		    .sql = "SELECT count(*) FROM operations WHERE kind = ?1 AND state = ?2"},
    [PS_S_AUDIT_INSERT] = {.name = "audit_insert",
			.sql =
			    "INSERT INTO audit (tenant_id, id, at, token_id, role, action, object, request_id, detail)"
			    " VALUES (?1, " NEXT_ID("audit") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id"},
    [PS_S_AUDIT_LIST] = {.name = "audit_list",
		      .sql = "SELECT " AUDIT_COLS " FROM audit WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
    [PS_S_EXISTS_TENANT] = {.name = "exists", .sql = "SELECT 1 FROM tenants WHERE id = ?1"},
    [PS_S_CLOCK_GET] = {.name = "clock_get", .sql = "SELECT now FROM clock WHERE one = 1"},
    [PS_S_CLOCK_SET] = {.name = "clock_set",
		     .sql = "INSERT INTO clock (one, now) VALUES (1, ?1)"
			    " ON CONFLICT (one) DO UPDATE SET now = excluded.now"},
    /* Every seat in one UPDATE (a seat that would break the seat rule
     * refuses them all). SQLite then adjusts both counts (PS_S_MOVE_COUNT) in
     * its savepoint; PostgreSQL, in one round trip, does it in the same
     * statement, and reads the target again in the statement that moves
     * the seats to it. */
    [PS_S_MOVE_SEATS] = {.name = "assignments_move",
		      .sqlite = "UPDATE assignments SET subscription_id = ?3, product_id = ?4"
				" WHERE tenant_id = ?1 AND subscription_id = ?2",
		      .pg = "WITH moved AS (UPDATE assignments SET subscription_id = ?3, product_id = ?4"
			    " WHERE tenant_id = ?1 AND subscription_id = ?2 AND EXISTS (SELECT 1 FROM subscriptions"
			    " WHERE tenant_id = ?1 AND id = ?3 AND product_id = ?4) RETURNING 1),"
			    " n AS (SELECT count(*) AS n FROM moved),"
			    " src AS (UPDATE subscriptions AS s SET assigned = s.assigned - n.n FROM n"
			    " WHERE s.tenant_id = ?1 AND s.id = ?2 AND ?2 <> ?3 AND n.n > 0 RETURNING 1),"
			    " dst AS (UPDATE subscriptions AS s SET assigned = s.assigned + n.n FROM n"
			    " WHERE s.tenant_id = ?1 AND s.id = ?3 AND ?2 <> ?3 AND n.n > 0 RETURNING 1)"
			    " SELECT n FROM n",
		      .conflict = "user",
		      .conflict_msg = "a user would hold two seats of the target's product",
		      .missing = "new_subscription",
		      .missing_msg = "new_subscription: the subscription does not exist for this tenant"},
    [PS_S_IDEM_FIND] = {.name = "idem_find",
		     .sql = "SELECT tenant_id, key, request_hash, status, response, created_at, owner FROM idempotency"
			    " WHERE tenant_id = ?1 AND key = ?2"},
    [PS_S_IDEM_INSERT] = {.name = "idem_insert",
		       .sql = "INSERT INTO idempotency (tenant_id, key, request_hash, status, response, created_at, owner)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		       .conflict = "Idempotency-Key",
		       .conflict_msg = "this idempotency key has already been used"},
    [PS_S_IDEM_COMPLETE] = {.name = "idem_complete",
			 .sql = "UPDATE idempotency SET status = ?3, response = ?4 WHERE tenant_id = ?1 AND key = ?2",
			 .repeatable = true},
    [PS_S_IDEM_DELETE] = {.name = "idem_delete",
		       .sql = "DELETE FROM idempotency WHERE tenant_id = ?1 AND key = ?2"
			      " AND substr(owner, 1, length(?3)) <> ?3",
		       .repeatable = true},
    [PS_S_IDEM_PURGE] = {.name = "idem_purge", .sql = "DELETE FROM idempotency WHERE created_at < ?1"},
    [PS_S_IDEM_TAKE] = {.name = "idem_take",
		     .sql = "UPDATE idempotency SET owner = ?4, created_at = ?5"
			    " WHERE tenant_id = ?1 AND key = ?2 AND status = 0 AND owner = ?3"},
    [PS_S_WAL_POSITION] = {.name = "wal_position",
			.sqlite = "SELECT 0",
			.pg = "SELECT (CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn(), '0/0')"
			      " ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint"},
    [PS_S_IDEM_CHANGED] = {.name = "idem_changed",
			.sql = "UPDATE idempotency SET owner = ?3 || owner WHERE tenant_id = ?1 AND key = ?2"
			       " AND status = 0 AND substr(owner, 1, length(?3)) <> ?3"},
    [PS_S_SUPPORT_INSERT] = {.name = "support_insert",
			  .sql = "INSERT INTO support_requests (tenant_id, id, subscription_id, reason_codes,"
				 " description, status, created_at, token_id)"
				 " VALUES (?1, " NEXT_ID("support_requests") ", ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
			  .missing = "tenant",
			  .missing_msg = "the tenant or the request's subscription does not exist"},
    [PS_S_SUPPORT_LIST] = {.name = "support_list",
			.sql = "SELECT " SR_COLS " FROM support_requests WHERE tenant_id = ?1 AND id > ?2"
			       " ORDER BY id LIMIT ?3"},
    /* SQLite, without statistics, would not pick the index by id. */
    [PS_S_SUPPORT_LIST_ALL] = {.name = "support_list",
			    .sql = "SELECT " SR_COLS " FROM support_requests WHERE id > ?1 ORDER BY id LIMIT ?2",
			    .sqlite = "SELECT " SR_COLS " FROM support_requests INDEXED BY support_requests_id"
				      " WHERE id > ?1 ORDER BY id LIMIT ?2"},

    /* The snapshot has statements of its own, so that SQLite can load it
     * from inside any list callback. */
    [PS_S_SNAP_TENANT] = {.name = "snapshot_load", .sql = "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1"},
    [PS_S_SNAP_SUBS] = {.name = "snapshot_load",
		     .sql = "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id = ?1 ORDER BY id"},
    [PS_S_SNAP_INCIDENTS] = {.name = "snapshot_load",
			  .sql = "SELECT " INC_COLS " FROM incidents WHERE status <> 'resolved' ORDER BY id"},
    /* Without statistics SQLite's planner would walk all of the tenant's
     * operations by primary key; the partial index holds only open ones. */
    [PS_S_SNAP_OPS] = {.name = "snapshot_load",
		    .sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND state IN " OPEN_OPS
			   " ORDER BY id",
		    .sqlite = "SELECT " OP_COLS " FROM operations INDEXED BY operations_open WHERE tenant_id = ?1"
			      " AND state IN " OPEN_OPS " ORDER BY id"},
    [PS_S_SNAP_CREDIT] = {.name = "snapshot_load",
		       .sql = "SELECT " CC_COLS " FROM credit_checks WHERE tenant_id = ?1 AND status = 'pending'"
			      " ORDER BY requested_at, id LIMIT 1"},
    [PS_S_SNAP_PAST_DUE] = {.name = "snapshot_load",
			 .sql = "SELECT CAST(coalesce(sum(amount - paid), 0) AS bigint), coalesce(min(due_at), 0)"
				" FROM invoices WHERE tenant_id = ?1 AND status = 'open' AND due_at < ?2"
				" AND amount > paid"},
    /* Automatic upgrades created in the capacity window (?1, ?2]. */
    [PS_S_SNAP_CAPACITY] = {.name = "snapshot_load",
			 .sql = "SELECT count(*), coalesce(min(created_at), 0) FROM operations"
				" WHERE kind = 'upgrade' AND created_at > ?1 AND created_at <= ?2"},

    /* snapshot_scan: the snapshot's queries for a range of tenants, each in
     * tenant order so that they merge in one pass. SQLite steps them
     * together over (?1, ?2], the batch's ids read first, and names the
     * partial indexes its planner would not pick; PostgreSQL sends them in
     * one round trip, the batch's last id computed in each (SCAN_HI), and
     * keeps the oldest pending credit check of each tenant alone. */
    [PS_S_SCAN_TENANTS] = {.name = "snapshot_scan",
			.sql = "SELECT " TENANT_COLS " FROM tenants WHERE id > ?1 ORDER BY id LIMIT ?2"},
    [PS_S_SCAN_SUBS] = {.name = "snapshot_scan",
		     .sqlite = "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id > ?1 AND tenant_id <= ?2"
			       " ORDER BY tenant_id, id",
		     .pg = "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id > ?1 AND tenant_id <= " SCAN_HI
			   " ORDER BY tenant_id, id"},
    [PS_S_SCAN_OPS] = {.name = "snapshot_scan",
		    .sqlite = "SELECT " OP_COLS " FROM operations INDEXED BY operations_open"
			      " WHERE tenant_id > ?1 AND tenant_id <= ?2"
			      " AND state IN " OPEN_OPS " ORDER BY tenant_id, id",
		    .pg = "SELECT " OP_COLS " FROM operations WHERE tenant_id > ?1 AND tenant_id <= " SCAN_HI
			  " AND state IN " OPEN_OPS " ORDER BY tenant_id, id"},
    [PS_S_SCAN_CREDIT] = {.name = "snapshot_scan",
		       .sqlite = "SELECT " CC_COLS " FROM credit_checks INDEXED BY credit_checks_pending"
				 " WHERE tenant_id > ?1 AND tenant_id <= ?2 AND status = 'pending'"
				 " ORDER BY tenant_id, requested_at, id",
		       .pg = "SELECT DISTINCT ON (tenant_id) " CC_COLS " FROM credit_checks"
			     " WHERE tenant_id > ?1 AND tenant_id <= " SCAN_HI " AND status = 'pending'"
			     " ORDER BY tenant_id, requested_at, id"},
    [PS_S_SCAN_PAST_DUE] = {.name = "snapshot_scan",
			 .sqlite = "SELECT tenant_id, sum(amount - paid), min(due_at) FROM invoices"
				   " INDEXED BY invoices_open_due"
				   " WHERE tenant_id > ?1 AND tenant_id <= ?2 AND status = 'open' AND due_at < ?3"
				   " AND amount > paid GROUP BY tenant_id ORDER BY tenant_id",
			 .pg = "SELECT tenant_id, CAST(sum(amount - paid) AS bigint), min(due_at) FROM invoices"
			       " WHERE tenant_id > ?1 AND tenant_id <= " SCAN_HI " AND status = 'open' AND due_at < ?3"
			       " AND amount > paid GROUP BY tenant_id ORDER BY tenant_id"},
    [PS_S_JOB_INSERT] = {.name = "job_insert",
		      .sql = "INSERT INTO jobs (kind, rank, tenant_id, subject, due_at, attempts, last_error, created_at)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (kind, tenant_id, subject) DO NOTHING"},
    /* The live subscriptions (ps_sub_status_is_live) not replaced whose
     * billed_through has come, not cancelled by then: ps_sub_is_billing_due as SQL, a first sieve
     * only (the renewal asks the rule itself). */
    [PS_S_JOB_SEED_RENEWALS] = {.name = "job_seed_renewals",
			     .sql = "INSERT INTO jobs (kind, rank, tenant_id, subject, due_at, created_at)"
				    " SELECT ?1, ?2, tenant_id, id, billed_through, ?3 FROM subscriptions"
				    " WHERE billed_through > 0 AND billed_through <= ?3 AND replaced_by IS NULL"
				    " AND (cancel_at IS NULL OR cancel_at > billed_through)"
				    " AND status IN ('provisioning', 'active', 'disabled')"
				    " ON CONFLICT (kind, tenant_id, subject) DO NOTHING"},
    /* SQLite holds the whole store under the write lock; PostgreSQL holds
     * the row, and other daemons skip it. */
    [PS_S_JOB_CLAIM] = {.name = "job_claim",
		     .sqlite = "SELECT " JOB_COLS " FROM jobs WHERE due_at <= ?1 ORDER BY due_at, rank, id LIMIT 1",
		     .pg = "SELECT " JOB_COLS " FROM jobs WHERE due_at <= ?1 ORDER BY due_at, rank, id LIMIT 1"
			   " FOR UPDATE SKIP LOCKED"},
    [PS_S_JOB_DELETE] = {.name = "job_delete", .sql = "DELETE FROM jobs WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_JOB_REMOVE] = {.name = "job_remove",
		      .sql = "DELETE FROM jobs WHERE kind = ?1 AND tenant_id = ?2 AND subject = ?3"},
    [PS_S_JOB_UPDATE] = {.name = "job_update",
		      .sql = "UPDATE jobs SET due_at = ?3, attempts = ?4, last_error = ?5 WHERE tenant_id = ?1 AND id = ?2"},
    [PS_S_JOB_COUNT_DUE] = {.name = "job_count_due", .sql = "SELECT count(*) FROM jobs WHERE due_at <= ?1"},
    /* The outbox. PostgreSQL keeps a position, txid: the transaction's id,
     * or the tenant's last event's when that is higher (a transaction that
     * took its id before the tenant's lock, committing after one that took
     * a later id: the tenant's events stay in commit order). The tenant's
     * lock is held (the query's lock), so that last event has committed;
     * a position is never below the writer's own id, so the readers' rule
     * (below xmin) still holds back every event a running writer could
     * still put before it. */
    [PS_S_EVENT_APPEND] = {.name = "event_append",
			.sqlite = "INSERT INTO events (type, tenant, created, data) VALUES (?1, ?2, ?3, ?4) RETURNING id",
			.pg = "INSERT INTO events (txid, type, tenant, created, data) VALUES (greatest(txid_current(),"
			      " coalesce((SELECT txid FROM events WHERE tenant = ?2 ORDER BY txid DESC LIMIT 1), 0)),"
			      " ?1, ?2, ?3, ?4) RETURNING id"},
    /* Commit order. SQLite has one writer: id order is commit order.
     * PostgreSQL orders by (txid, id) from the position of event ?N-1 (when
     * it was pruned or never was: after its id), and returns only events
     * of transactions below the snapshot's xmin: all of those have ended,
     * and any transaction still running, or yet to take its txid, sorts
     * after every event returned, so nothing appears later behind the
     * reader's position. ?2 '' is any type. */
    [PS_S_EVENT_LIST] = {.name = "event_list",
		      .sqlite = "SELECT " EVENT_COLS " FROM events WHERE (?1 = '' OR type = ?1) AND id > ?2"
				" ORDER BY id LIMIT ?3",
		      .pg = "WITH c AS (SELECT coalesce((SELECT txid FROM events WHERE id = ?2), 0) AS tx)"
			    " SELECT " EVENT_COLS " FROM events, c WHERE (?1 = '' OR type = ?1)"
			    " AND (txid, id) > (c.tx, ?2) AND (c.tx <> 0 OR id > ?2)"
			    " AND txid < txid_snapshot_xmin(txid_current_snapshot()) ORDER BY txid, id LIMIT ?3"},
    [PS_S_EVENT_LIST_TENANT] = {.name = "event_list",
			     .sqlite = "SELECT " EVENT_COLS " FROM events WHERE tenant = ?1"
				       " AND (?2 = '' OR type = ?2) AND id > ?3 ORDER BY id LIMIT ?4",
			     .pg = "WITH c AS (SELECT coalesce((SELECT txid FROM events WHERE id = ?3), 0) AS tx)"
				   " SELECT " EVENT_COLS " FROM events, c WHERE tenant = ?1 AND (?2 = '' OR type = ?2)"
				   " AND (txid, id) > (c.tx, ?3) AND (c.tx <> 0 OR id > ?3)"
				   " AND txid < txid_snapshot_xmin(txid_current_snapshot()) ORDER BY txid, id LIMIT ?4"},
    [PS_S_EVENT_PRUNE] = {.name = "event_prune", .sql = "DELETE FROM events WHERE created < ?1"},

    [PS_S_WEBHOOK_INSERT] = {.name = "webhook_insert",
			  .sql = "INSERT INTO webhooks (url, types, filter_tenant, enabled, secret, created_at, cursor)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
			  .missing = "tenant",
			  .missing_msg = "the webhook's tenant does not exist"},
    [PS_S_WEBHOOK_GET] = {.name = "webhook_get", .sql = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?1"},
    [PS_S_WEBHOOK_LIST] = {.name = "webhook_list",
			.sql = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id > ?1 ORDER BY id LIMIT ?2"},
    [PS_S_WEBHOOK_UPDATE] = {.name = "webhook_update",
			  .sql = "UPDATE webhooks SET url = ?2, types = ?3, enabled = ?4, secret = ?5 WHERE id = ?1"},
    [PS_S_WEBHOOK_DELETE] = {.name = "webhook_delete", .sql = "DELETE FROM webhooks WHERE id = ?1"},
    [PS_S_WEBHOOK_ADVANCE] = {.name = "webhook_advance",
			   .sql = "UPDATE webhooks SET cursor = ?2 WHERE id = ?1"},
    [PS_S_DELIVERY_INSERT] = {.name = "delivery_insert",
			   .sql = "INSERT INTO webhook_deliveries (webhook_id, event_id, event_tenant, seq, attempt, state,"
				  " due_at, first_due_at) VALUES (?1, ?2, ?3, CASE WHEN ?4 > 0 THEN ?4 ELSE"
				  " (SELECT coalesce(max(seq), 0) + 1 FROM webhook_deliveries WHERE webhook_id = ?1) END,"
				  " ?5, 'pending', ?6, ?7)"
				  " ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING"},
    /* Newest first: the walk's `after` is the page's lower bound here. */
    [PS_S_DELIVERY_LIST] = {.name = "delivery_list",
			 .sql = "SELECT " DLV_COLS " FROM webhook_deliveries WHERE webhook_id = ?1"
				" AND state <> 'pending' AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3"},
    /* SQLite holds the whole store under the write lock; PostgreSQL locks
     * the row, and other daemons skip it until the lease is committed. */
    /* SQLite holds the whole store under the write lock; PostgreSQL locks
     * the rows, and other daemons skip them until the lease is committed. */
    [PS_S_DELIVERY_CLAIM] = {.name = "delivery_claim",
			  .sqlite = DLV_LEASE(DLV_HEADS),
			  .pg = DLV_LEASE(DLV_HEADS " FOR UPDATE OF d SKIP LOCKED")},
    [PS_S_DELIVERY_RECORD] = {.name = "delivery_record",
			   .sql = "UPDATE webhook_deliveries SET state = ?3, time = ?4, status_code = ?5, error = ?6,"
				  " next_attempt_at = ?7, leased_until = 0 WHERE id = ?1 AND state = 'pending'"
				  " AND leased_by = ?2"},
    [PS_S_DELIVERY_COUNT_DUE] = {.name = "delivery_count_due",
			      .sql = "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending' AND due_at <= ?1"},
    /* The last event of event_list's order that it would give now (see
     * PS_S_EVENT_LIST): SQLite by id; PostgreSQL by (txid, id) among the
     * transactions below the snapshot's xmin. */
    [PS_S_EVENT_HEAD] = {.name = "event_head",
		      .sqlite = "SELECT coalesce(max(id), 0) FROM events",
		      .pg = "SELECT coalesce((SELECT id FROM events WHERE txid < txid_snapshot_xmin(txid_current_snapshot())"
			    " ORDER BY txid DESC, id DESC LIMIT 1), 0)"},
    /* One event by id, as a walk of one row (?2, ?3: the walk's). */
    [PS_S_EVENT_GET] = {.name = "event_get",
		     .sql = "SELECT " EVENT_COLS " FROM events WHERE id = ?1 AND id > ?2 LIMIT ?3"},
};

/* Append n bytes of s to buf at *at; false when they do not fit. */
static bool put(char *buf, size_t cap, size_t *at, const char *s, size_t n)
{
	if (*at + n >= cap)
		return false;
	memcpy(buf + *at, s, n);
	*at += n;
	return true;
}

const char *ps_stmt_text(enum ps_sql_backend be, enum ps_stmt id, char *buf, size_t cap)
{
	const struct ps_stmt_def *d = &ps_stmts[id];
	const char *src = be == PS_SQLITE ? d->sqlite : d->pg;
	size_t at = 0;
	bool ok = true;

	if (src == NULL)
		src = d->sql;
	if (src == NULL || cap == 0)
		return NULL;
	for (const char *s = src; ok && *s; s++) {
		if (*s == '?' && be == PS_PG) {
			ok = put(buf, cap, &at, "$", 1);
		} else if (*s == '{') {
			const char *end = strchr(s, '}');
			char next[96];
			if (end == NULL)
				return NULL;
			int n = be == PS_PG ? snprintf(next, sizeof next, "DEFAULT")
					    : snprintf(next, sizeof next, "(SELECT next FROM sequences WHERE name = '%.*s')",
						       (int)(end - s - 1), s + 1);
			ok = n > 0 && (size_t)n < sizeof next && put(buf, cap, &at, next, (size_t)n);
			s = end;
		} else {
			ok = put(buf, cap, &at, s, 1);
		}
	}
	if (!ok)
		return NULL;
	buf[at] = '\0';
	return buf;
}
