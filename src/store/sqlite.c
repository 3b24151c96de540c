/* sqlite.c: the SQLite store backend (store layer). One connection per
 * handle in WAL mode with foreign keys on; every statement is prepared once
 * per connection, on first use, and reset after each use. The schema is a
 * list of versioned migrations; PRAGMA user_version holds the version
 * reached. Ids come from the `sequences` table, bumped by triggers, so each
 * write method is a single statement and atomic on its own. */
#include "ps_store.h"

#include "../common/ps_mem.h"

#include <sqlite3.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 5000
/* PRAGMA application_id: "PLSH", marks the file as a planshift store. */
#define APP_ID		0x504C5348
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- Schema ------------------------------------------------------------ */

/* The id of a table's next row, and the trigger that keeps it ahead of
 * every id inserted (by this code or by hand). */
#define NEXT_ID(table) "(SELECT next FROM sequences WHERE name = '" table "')"
#define SEQ_TRIGGER(table)                                                                                             \
	"CREATE TRIGGER " table "_next_id AFTER INSERT ON " table " BEGIN\n"                                           \
	"\tUPDATE sequences SET next = NEW.id + 1 WHERE name = '" table "' AND next <= NEW.id;\n"                      \
	"END;\n"

#define ROLES "'operator', 'support', 'global_admin', 'billing_admin', 'license_admin', 'reader'"

/* Version 2's references within a tenant, checked by triggers: a missing
 * one aborts with "missing FIELD", which the caller gets as NOT_FOUND. */
#define REF_CHECK(col, field, table)                                                                                   \
	"\tSELECT RAISE(ABORT, 'missing " field "') WHERE NEW." col " IS NOT NULL AND NOT EXISTS\n"                    \
	"\t\t(SELECT 1 FROM " table " WHERE tenant_id = NEW.tenant_id AND id = NEW." col ");\n"
#define CC_REFS                                                                                                        \
	REF_CHECK("subscription_id", "subscription", "subscriptions")                                                  \
	REF_CHECK("operation_id", "operation", "operations")
#define OP_REFS REF_CHECK("credit_check_id", "credit_check", "credit_checks")
/* The first second of the n-th month after term_start's, as an integer. */
#define MONTH_START(n) "CAST(strftime('%s', term_start, 'unixepoch', 'start of month', '+" #n " month') AS INTEGER)"

/* Migrations, in order: migrations[k] takes the schema from version k to
 * k + 1. A released step is never edited: changes go in a new step. Enum
 * lists are spelled out (not generated from ps_model.h) for that reason;
 * the contract suite round-trips every enum value to catch drift. */
static const char *const migrations[] = {
    /* 1: the first schema. */
    "PRAGMA application_id = 1347179336;\n"
    "CREATE TABLE sequences (\n"
    "\tname TEXT PRIMARY KEY,\n"
    "\tnext INTEGER NOT NULL\n"
    ") STRICT, WITHOUT ROWID;\n"
    "INSERT INTO sequences (name, next) VALUES ('tenants', 1), ('users', 1), ('subscriptions', 1),\n"
    "\t('incidents', 1), ('invoices', 1), ('credit_checks', 1), ('operations', 1), ('audit', 1), ('tokens', 1);\n"
    "CREATE TABLE catalog (\n"
    "\tone INTEGER PRIMARY KEY CHECK (one = 1),\n"
    "\tdoc TEXT NOT NULL,\n"
    "\tloaded_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE TABLE tenants (\n"
    "\tid INTEGER PRIMARY KEY,\n"
    "\tname TEXT NOT NULL,\n"
    "\tsegment TEXT NOT NULL CONSTRAINT segment\n"
    "\t\tCHECK (segment IN ('commercial', 'education', 'government', 'nonprofit')),\n"
    "\tpayment TEXT NOT NULL CONSTRAINT payment CHECK (payment IN ('invoice', 'card')),\n"
    "\tcredit_limit INTEGER NOT NULL CONSTRAINT credit_limit CHECK (credit_limit >= 0),\n"
    "\tcurrency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),\n"
    "\tcreated_at INTEGER NOT NULL\n"
    ") STRICT;\n" SEQ_TRIGGER(
	"tenants") "CREATE TABLE tokens (\n"
		   "\thash TEXT PRIMARY KEY,\n"
		   "\tid INTEGER NOT NULL UNIQUE,\n"
		   "\trole TEXT NOT NULL CONSTRAINT role CHECK (role IN (" ROLES ")),\n"
		   "\ttenant_id INTEGER REFERENCES tenants (id),\n"
		   "\tcreated_at INTEGER NOT NULL,\n"
		   "\tCONSTRAINT tenant CHECK ((tenant_id IS NULL) = (role IN ('operator', 'support')))\n"
		   ") STRICT, WITHOUT ROWID;\n" SEQ_TRIGGER(
		       "tokens") "CREATE TABLE users (\n"
				 "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
				 "\tid INTEGER NOT NULL,\n"
				 "\tupn TEXT NOT NULL COLLATE NOCASE,\n"
				 "\tdisplay_name TEXT NOT NULL,\n"
				 "\tcreated_at INTEGER NOT NULL,\n"
				 "\tPRIMARY KEY (tenant_id, id),\n"
				 "\tUNIQUE (tenant_id, upn)\n"
				 ") STRICT, WITHOUT ROWID;\n" SEQ_TRIGGER(
				     "users") "CREATE TABLE subscriptions (\n"
					      "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
					      "\tid INTEGER NOT NULL,\n"
					      "\tplan_id TEXT NOT NULL,\n"
					      "\tproduct_id TEXT NOT NULL,\n"
					      "\tquantity INTEGER NOT NULL CONSTRAINT quantity CHECK (quantity >= 0),\n"
					      "\tassigned INTEGER NOT NULL DEFAULT 0 CONSTRAINT assigned CHECK "
					      "(assigned >= 0),\n"
					      "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN\n"
					      "\t\t('provisioning', 'active', 'expired', 'disabled', 'cancelled', "
					      "'replaced')),\n"
					      "\tterm TEXT NOT NULL CONSTRAINT term CHECK (term IN ('monthly', "
					      "'annual')),\n"
					      "\tprepaid INTEGER NOT NULL CONSTRAINT prepaid CHECK (prepaid IN (0, "
					      "1)),\n"
					      "\tterm_start INTEGER NOT NULL,\n"
					      "\tterm_end INTEGER NOT NULL,\n"
					      "\taddon_of INTEGER,\n"
					      "\treplaced_by INTEGER,\n"
					      "\tcreated_at INTEGER NOT NULL,\n"
					      "\tPRIMARY KEY (tenant_id, id),\n"
					      "\tFOREIGN KEY (tenant_id, addon_of) REFERENCES subscriptions "
					      "(tenant_id, id),\n"
					      "\tFOREIGN KEY (tenant_id, replaced_by) REFERENCES subscriptions "
					      "(tenant_id, id)\n"
					      ") STRICT, WITHOUT ROWID;\n" SEQ_TRIGGER("subscriptions")
    /* One row per seat held. The UNIQUE constraint is the rule "a user
     * holds at most one seat of a product"; the primary key covers
     * (tenant_id, subscription_id) lookups. */
    "CREATE TABLE assignments (\n"
    "\ttenant_id INTEGER NOT NULL,\n"
    "\tsubscription_id INTEGER NOT NULL,\n"
    "\tuser_id INTEGER NOT NULL,\n"
    "\tproduct_id TEXT NOT NULL,\n"
    "\tassigned_at INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, subscription_id, user_id),\n"
    "\tUNIQUE (tenant_id, user_id, product_id),\n"
    "\tFOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    /* subscriptions.assigned counts the seats held, kept by the same
     * statement that adds, removes or moves one. */
    "CREATE TRIGGER assignments_count_insert AFTER INSERT ON assignments BEGIN\n"
    "\tUPDATE subscriptions SET assigned = assigned + 1\n"
    "\t\tWHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id;\n"
    "END;\n"
    "CREATE TRIGGER assignments_count_delete AFTER DELETE ON assignments BEGIN\n"
    "\tUPDATE subscriptions SET assigned = assigned - 1\n"
    "\t\tWHERE tenant_id = OLD.tenant_id AND id = OLD.subscription_id;\n"
    "END;\n"
    "CREATE TRIGGER assignments_count_move AFTER UPDATE OF tenant_id, subscription_id ON assignments\n"
    "\tWHEN OLD.tenant_id <> NEW.tenant_id OR OLD.subscription_id <> NEW.subscription_id BEGIN\n"
    "\tUPDATE subscriptions SET assigned = assigned - 1\n"
    "\t\tWHERE tenant_id = OLD.tenant_id AND id = OLD.subscription_id;\n"
    "\tUPDATE subscriptions SET assigned = assigned + 1\n"
    "\t\tWHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id;\n"
    "END;\n"
    "CREATE TABLE incidents (\n"
    "\tid INTEGER PRIMARY KEY,\n"
    "\tservice_id TEXT NOT NULL,\n"
    "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN\n"
    "\t\t('investigating', 'degraded', 'interrupted', 'restoring', 'resolved')),\n"
    "\ttitle TEXT NOT NULL,\n"
    "\topened_at INTEGER NOT NULL,\n"
    "\tresolved_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX incidents_open ON incidents (id) WHERE status <> 'resolved';\n" SEQ_TRIGGER(
	"incidents") "CREATE TABLE invoices (\n"
		     "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
		     "\tid INTEGER NOT NULL,\n"
		     "\tsubscription_id INTEGER,\n"
		     "\tamount INTEGER NOT NULL,\n"
		     "\tpaid INTEGER NOT NULL,\n"
		     "\tcurrency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),\n"
		     "\tissued_at INTEGER NOT NULL,\n"
		     "\tdue_at INTEGER NOT NULL,\n"
		     "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN ('open', 'paid', 'void')),\n"
		     "\tPRIMARY KEY (tenant_id, id),\n"
		     "\tFOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)\n"
		     ") STRICT, WITHOUT ROWID;\n"
		     "CREATE INDEX invoices_open_due ON invoices (tenant_id, due_at) WHERE status = "
		     "'open';\n" SEQ_TRIGGER(
			 "invoices") "CREATE TABLE credit_checks (\n"
				     "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
				     "\tid INTEGER NOT NULL,\n"
				     "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN ('pending', "
				     "'approved', 'denied')),\n"
				     "\tamount INTEGER NOT NULL,\n"
				     "\trequested_at INTEGER NOT NULL,\n"
				     "\texpected_by INTEGER NOT NULL,\n"
				     "\tdecided_at INTEGER,\n"
				     "\tPRIMARY KEY (tenant_id, id)\n"
				     ") STRICT, WITHOUT ROWID;\n"
				     "CREATE INDEX credit_checks_pending ON credit_checks (tenant_id, requested_at) "
				     "WHERE status = 'pending';\n" SEQ_TRIGGER(
					 "credit_checks") "CREATE TABLE operations (\n"
							  "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
							  "\tid INTEGER NOT NULL,\n"
							  "\tkind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN "
							  "('upgrade', 'switch')),\n"
							  "\tstate TEXT NOT NULL CONSTRAINT state CHECK (state IN\n"
							  "\t\t('pending_credit_check', 'provisioning', 'completed', "
							  "'failed')),\n"
							  "\tsource_sub INTEGER NOT NULL,\n"
							  "\ttarget_plan TEXT NOT NULL,\n"
							  "\tnew_sub INTEGER,\n"
							  "\tcreated_at INTEGER NOT NULL,\n"
							  "\tupdated_at INTEGER NOT NULL,\n"
							  "\tPRIMARY KEY (tenant_id, id),\n"
							  "\tFOREIGN KEY (tenant_id, source_sub) REFERENCES "
							  "subscriptions (tenant_id, id),\n"
							  "\tFOREIGN KEY (tenant_id, new_sub) REFERENCES subscriptions "
							  "(tenant_id, id)\n"
							  ") STRICT, WITHOUT ROWID;\n"
							  "CREATE INDEX operations_unfinished ON operations "
							  "(tenant_id, id)\n"
							  "\tWHERE state IN ('pending_credit_check', 'provisioning');\n"
							  "CREATE INDEX operations_kind_created ON operations (kind, "
							  "created_at);\n" SEQ_TRIGGER("operations")
    /* tenant_id 0: provider-wide events, hence no foreign key. */
    "CREATE TABLE audit (\n"
    "\ttenant_id INTEGER NOT NULL,\n"
    "\tid INTEGER NOT NULL,\n"
    "\tat INTEGER NOT NULL,\n"
    "\ttoken_id INTEGER NOT NULL,\n"
    "\trole TEXT NOT NULL CONSTRAINT role CHECK (role IN (" ROLES ")),\n"
    "\taction TEXT NOT NULL,\n"
    "\tobject TEXT NOT NULL,\n"
    "\trequest_id TEXT NOT NULL,\n"
    "\tdetail TEXT NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n" SEQ_TRIGGER("audit") "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN\n"
						      "\tSELECT RAISE(ABORT, 'the audit log is append-only');\n"
						      "END;\n"
						      "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN\n"
						      "\tSELECT RAISE(ABORT, 'the audit log is append-only');\n"
						      "END;\n",

    /* 2: money, time, upgrades. Columns are added in place (a version-1
     * store keeps its rows); references added by ALTER TABLE cannot be
     * foreign keys, so triggers check them, within the row's tenant. */
    /* clang-format off */
    "ALTER TABLE subscriptions ADD COLUMN billed_through INTEGER NOT NULL DEFAULT 0;\n"
    /* Version 1 issued each purchase's first invoice at once: the whole
     * term when prepaid, else the first calendar month (the day of month
     * clamped to the month's end, as ps_time_add_months). */
    "UPDATE subscriptions SET billed_through = CASE WHEN prepaid = 1 THEN term_end ELSE coalesce(\n"
    "\t" MONTH_START(1) "\n"
    "\t+ 86400 * (min(CAST(strftime('%d', term_start, 'unixepoch') AS INTEGER),\n"
    "\t\t(" MONTH_START(2) " - " MONTH_START(1) ") / 86400) - 1)\n"
    "\t+ term_start - CAST(strftime('%s', term_start, 'unixepoch', 'start of day') AS INTEGER), 0) END;\n"
    "ALTER TABLE credit_checks ADD COLUMN subscription_id INTEGER;\n"
    "ALTER TABLE credit_checks ADD COLUMN operation_id INTEGER;\n"
    /* Ids are unique per table: the provider finds a credit check by id alone. */
    "CREATE UNIQUE INDEX credit_checks_id ON credit_checks (id);\n"
    "ALTER TABLE operations ADD COLUMN quantity INTEGER NOT NULL DEFAULT 0\n"
    "\tCONSTRAINT quantity CHECK (quantity >= 0);\n"
    "ALTER TABLE operations ADD COLUMN credit_check_id INTEGER;\n"
    "ALTER TABLE operations ADD COLUMN request_id TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE operations ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';\n"
    /* Version 1 kept no target quantity: the source's is the best guess. */
    "UPDATE operations SET quantity = coalesce((SELECT s.quantity FROM subscriptions AS s\n"
    "\tWHERE s.tenant_id = operations.tenant_id AND s.id = operations.source_sub), 0);\n"
    /* One upgrade at a time per tenant, whichever daemon asks. */
    "CREATE UNIQUE INDEX operations_one_upgrade ON operations (tenant_id)\n"
    "\tWHERE kind = 'upgrade' AND state IN ('pending_credit_check', 'provisioning');\n"
    "CREATE INDEX operations_new_sub ON operations (tenant_id, new_sub) WHERE new_sub IS NOT NULL;\n"
    "CREATE TRIGGER credit_checks_refs_insert BEFORE INSERT ON credit_checks BEGIN\n"
    CC_REFS
    "END;\n"
    "CREATE TRIGGER credit_checks_refs_update BEFORE UPDATE OF tenant_id, subscription_id, operation_id\n"
    "\tON credit_checks BEGIN\n"
    CC_REFS
    "END;\n"
    "CREATE TRIGGER operations_refs_insert BEFORE INSERT ON operations BEGIN\n"
    OP_REFS
    "END;\n"
    "CREATE TRIGGER operations_refs_update BEFORE UPDATE OF tenant_id, credit_check_id ON operations BEGIN\n"
    OP_REFS
    "END;\n"
    /* A per-row trigger doubles the cost of moving a large subscription's
     * seats: assignments_move adjusts both counts itself, in the same
     * transaction as its one UPDATE. Adding and removing a seat keep their
     * triggers. */
    "DROP TRIGGER assignments_count_move;\n"
    "INSERT INTO sequences (name, next) VALUES ('invoice_lines', 1), ('payments', 1), ('support_requests', 1);\n"
    /* The lines of an invoice. The period constraint is the rule "a period
     * is invoiced once": a renewal raced by two daemons is written once. */
    "CREATE TABLE invoice_lines (\n"
    "\ttenant_id INTEGER NOT NULL,\n"
    "\tinvoice_id INTEGER NOT NULL,\n"
    "\tid INTEGER NOT NULL,\n"
    "\tsubscription_id INTEGER,\n"
    "\tkind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN\n"
    "\t\t('purchase', 'renewal', 'quantity', 'cancel', 'upgrade_credit', 'upgrade_charge', 'switch')),\n"
    "\tplan_id TEXT NOT NULL,\n"
    "\tquantity INTEGER NOT NULL CONSTRAINT quantity CHECK (quantity >= 0),\n"
    "\tperiod_start INTEGER NOT NULL,\n"
    "\tperiod_end INTEGER NOT NULL CONSTRAINT period_end CHECK (period_end >= period_start),\n"
    "\tamount INTEGER NOT NULL,\n"
    "\tdescription TEXT NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX invoice_lines_invoice ON invoice_lines (tenant_id, invoice_id, id);\n"
    /* A period is invoiced once: one purchase or renewal line per
     * subscription and period start. Seat changes may come in any number. */
    "CREATE UNIQUE INDEX invoice_lines_period ON invoice_lines (tenant_id, subscription_id, kind, period_start)\n"
    "\tWHERE kind IN ('purchase', 'renewal');\n"
    SEQ_TRIGGER("invoice_lines")
    "CREATE TABLE payments (\n"
    "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "\tid INTEGER NOT NULL,\n"
    "\tamount INTEGER NOT NULL CONSTRAINT amount CHECK (amount > 0),\n"
    "\tcurrency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),\n"
    "\treceived_at INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    SEQ_TRIGGER("payments")
    /* The manual clock: one row once set. */
    "CREATE TABLE clock (\n"
    "\tone INTEGER PRIMARY KEY CHECK (one = 1),\n"
    "\tnow INTEGER NOT NULL\n"
    ") STRICT;\n"
    /* tenant_id 0: provider-wide calls, hence no foreign key. */
    "CREATE TABLE idempotency (\n"
    "\ttenant_id INTEGER NOT NULL,\n"
    "\tkey TEXT NOT NULL,\n"
    "\trequest_hash TEXT NOT NULL,\n"
    "\tstatus INTEGER NOT NULL CONSTRAINT status CHECK (status = 0 OR status BETWEEN 100 AND 599),\n"
    "\tresponse TEXT NOT NULL,\n"
    "\tcreated_at INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, key)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX idempotency_created ON idempotency (created_at);\n"
    "CREATE TABLE support_requests (\n"
    "\ttenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "\tid INTEGER NOT NULL,\n"
    "\tsubscription_id INTEGER,\n"
    "\treason_codes TEXT NOT NULL,\n"
    "\tdescription TEXT NOT NULL,\n"
    "\tstatus TEXT NOT NULL CONSTRAINT status CHECK (status IN ('open', 'closed')),\n"
    "\tcreated_at INTEGER NOT NULL,\n"
    "\ttoken_id INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (tenant_id, id),\n"
    "\tFOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    /* The provider's support staff walk every tenant's, in id order. */
    "CREATE UNIQUE INDEX support_requests_id ON support_requests (id);\n"
    SEQ_TRIGGER("support_requests"),
    /* clang-format on */
};

_Static_assert(ARRAY_LEN(migrations) == PS_SCHEMA_VERSION, "one migration step per schema version");

/* ---- Statements ------------------------------------------------------- */

#define TENANT_COLS "id, name, segment, payment, credit_limit, currency, created_at"
#define USER_COLS   "tenant_id, id, upn, display_name, created_at"
#define SUB_COLS                                                                                                       \
	"tenant_id, id, plan_id, product_id, quantity, assigned, status, term, prepaid, "                              \
	"term_start, term_end, addon_of, replaced_by, created_at, billed_through"
#define ASSIGN_COLS "tenant_id, subscription_id, user_id, product_id, assigned_at"
#define INC_COLS    "id, service_id, status, title, opened_at, resolved_at"
#define OP_COLS                                                                                                        \
	"tenant_id, id, kind, state, source_sub, target_plan, new_sub, created_at, updated_at, quantity, "             \
	"credit_check_id, request_id, detail"
#define CC_COLS                                                                                                        \
	"tenant_id, id, status, amount, requested_at, expected_by, decided_at, subscription_id, operation_id"
#define INV_COLS    "tenant_id, id, subscription_id, amount, paid, currency, issued_at, due_at, status"
#define LINE_COLS                                                                                                      \
	"tenant_id, invoice_id, id, subscription_id, kind, plan_id, quantity, period_start, period_end, amount, "      \
	"description"
#define PAY_COLS    "tenant_id, id, amount, currency, received_at"
#define SR_COLS	    "tenant_id, id, subscription_id, reason_codes, description, status, created_at, token_id"
#define AUDIT_COLS  "tenant_id, id, at, token_id, role, action, object, request_id, detail"

enum stmt_id {
	S_BEGIN,
	S_BEGIN_IMMEDIATE,
	S_COMMIT,
	S_ROLLBACK,
	S_APP_ID,
	S_USER_VERSION,
	S_SCHEMA_COUNT,
	S_CATALOG_PUT,
	S_CATALOG_GET,
	S_TOKEN_INSERT,
	S_TOKEN_FIND,
	S_TENANT_INSERT,
	S_TENANT_GET,
	S_TENANT_LIST,
	S_USER_INSERT,
	S_USER_GET,
	S_USER_LIST,
	S_SUB_INSERT,
	S_SUB_GET,
	S_SUB_LIST,
	S_SUB_UPDATE,
	S_ASSIGN_INSERT,
	S_ASSIGN_DELETE,
	S_ASSIGN_LIST,
	S_INC_INSERT,
	S_INC_GET,
	S_INC_UPDATE,
	S_INC_LIST,
	S_INC_OPEN,
	S_INVOICE_INSERT,
	S_CREDIT_INSERT,
	S_OP_INSERT,
	S_AUDIT_INSERT,
	S_AUDIT_LIST,
	S_EXISTS_TENANT,
	S_EXISTS_SUB,
	S_SNAP_TENANT,
	S_SNAP_SUBS,
	S_SNAP_OPS,
	S_SNAP_CREDIT,
	S_SNAP_PAST_DUE,
	S_SNAP_CAPACITY,
	/* schema version 2 */
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_CLOCK_GET,
	S_CLOCK_SET,
	S_TENANT_UPDATE,
	S_INVOICE_GET,
	S_INVOICE_UPDATE,
	S_INVOICE_LIST,
	S_LINE_INSERT,
	S_LINE_LIST,
	S_PAY_INSERT,
	S_PAY_LIST,
	S_PAY_TOTAL,
	S_CREDIT_GET,
	S_CREDIT_UPDATE,
	S_CREDIT_LIST,
	S_OP_GET,
	S_OP_UPDATE,
	S_OP_LIST,
	S_OP_BY_NEW_SUB,
	S_MOVE_TARGET,
	S_MOVE_SEATS,
	S_MOVE_COUNT,
	S_IDEM_FIND,
	S_IDEM_INSERT,
	S_IDEM_PURGE,
	S_IDEM_COMPLETE,
	S_IDEM_DELETE,
	S_SUPPORT_INSERT,
	S_SUPPORT_LIST,
	S_SUPPORT_LIST_ALL,
	S_EXISTS_INVOICE,
	S_SCAN_TENANTS,
	S_SCAN_SUBS,
	S_SCAN_OPS,
	S_SCAN_CREDIT,
	S_SCAN_PAST_DUE,
	S__COUNT
};

/* A statement, the method it serves (for messages) and what its
 * constraint failures mean to the caller. */
struct sdef {
	const char *name;
	const char *sql;
	const char *conflict; /* field named by a uniqueness violation */
	const char *conflict_msg;
	const char *missing; /* field named by a foreign-key violation */
	const char *missing_msg;
};

static const struct sdef sdefs[S__COUNT] = {
    [S_BEGIN] = {.name = "begin", .sql = "BEGIN"},
    [S_BEGIN_IMMEDIATE] = {.name = "begin", .sql = "BEGIN IMMEDIATE"},
    [S_COMMIT] = {.name = "commit", .sql = "COMMIT"},
    [S_ROLLBACK] = {.name = "rollback", .sql = "ROLLBACK"},
    [S_APP_ID] = {.name = "schema", .sql = "PRAGMA application_id"},
    [S_USER_VERSION] = {.name = "schema", .sql = "PRAGMA user_version"},
    [S_SCHEMA_COUNT] = {.name = "schema", .sql = "SELECT count(*) FROM sqlite_master"},
    [S_CATALOG_PUT] = {.name = "catalog_put",
		       .sql = "INSERT INTO catalog (one, doc, loaded_at) VALUES (1, ?1, ?2)"
			      " ON CONFLICT (one) DO UPDATE SET doc = excluded.doc, loaded_at = excluded.loaded_at"},
    [S_CATALOG_GET] = {.name = "catalog_get", .sql = "SELECT doc FROM catalog WHERE one = 1"},
    [S_TOKEN_INSERT] = {.name = "token_insert",
			.sql = "INSERT INTO tokens (hash, id, role, tenant_id, created_at)"
			       " VALUES (?1, " NEXT_ID("tokens") ", ?2, ?3, ?4) RETURNING id",
			.conflict = "token",
			.conflict_msg = "a token with this hash already exists",
			.missing = "tenant",
			.missing_msg = "the token's tenant does not exist"},
    [S_TOKEN_FIND] = {.name = "token_find", .sql = "SELECT id, role, tenant_id FROM tokens WHERE hash = ?1"},
    [S_TENANT_INSERT] = {.name = "tenant_insert",
			 .sql = "INSERT INTO tenants (id, name, segment, payment, credit_limit, currency, created_at)"
				" VALUES (" NEXT_ID("tenants") ", ?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"},
    [S_TENANT_GET] = {.name = "tenant_get", .sql = "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1"},
    [S_TENANT_LIST] = {.name = "tenant_list",
		       .sql = "SELECT " TENANT_COLS " FROM tenants WHERE id > ?1 ORDER BY id LIMIT ?2"},
    [S_USER_INSERT] = {.name = "user_insert",
		       .sql = "INSERT INTO users (tenant_id, id, upn, display_name, created_at)"
			      " VALUES (?1, " NEXT_ID("users") ", ?2, ?3, ?4) RETURNING id",
		       .conflict = "upn",
		       .conflict_msg = "the tenant already has a user with this upn",
		       .missing = "tenant",
		       .missing_msg = "the tenant does not exist"},
    [S_USER_GET] = {.name = "user_get", .sql = "SELECT " USER_COLS " FROM users WHERE tenant_id = ?1 AND id = ?2"},
    [S_USER_LIST] = {.name = "user_list",
		     .sql = "SELECT " USER_COLS " FROM users WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
    [S_SUB_INSERT] = {.name = "sub_insert",
		      /* clang-format off */
		      .sql = "INSERT INTO subscriptions (tenant_id, id, plan_id, product_id, quantity, assigned, status,"
			     " term, prepaid, term_start, term_end, addon_of, replaced_by, created_at, billed_through)"
			     " VALUES (?1, " NEXT_ID("subscriptions") ","
			     " ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
		      /* clang-format on */
		      .missing = "tenant",
		      .missing_msg =
			  "the tenant, or the subscription named by addon_of or replaced_by, does not exist"},
    [S_SUB_GET] = {.name = "sub_get", .sql = "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id = ?1 AND id = ?2"},
    [S_SUB_LIST] = {.name = "sub_list",
		    .sql = "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id = ?1 AND id > ?2"
			   " ORDER BY id LIMIT ?3"},
    [S_SUB_UPDATE] = {.name = "sub_update",
		      .sql = "UPDATE subscriptions SET quantity = ?3, status = ?4, term_start = ?5, term_end = ?6,"
			     " replaced_by = ?7, billed_through = ?8, addon_of = ?9 WHERE tenant_id = ?1 AND id = ?2",
		      .missing = "replaced_by",
		      .missing_msg = "the subscription named by addon_of or replaced_by does not exist"},
    /* The product comes from the subscription itself, so the seat rule
     * cannot be dodged by a caller passing the wrong product. */
    [S_ASSIGN_INSERT] = {.name = "assignment_insert",
			 .sql = "INSERT INTO assignments (tenant_id, subscription_id, user_id, product_id, assigned_at)"
				" SELECT tenant_id, id, ?3, product_id, ?4 FROM subscriptions"
				" WHERE tenant_id = ?1 AND id = ?2",
			 .conflict = "user",
			 .conflict_msg = "the user already holds a seat of this product",
			 .missing = "user",
			 .missing_msg = "the user does not exist"},
    [S_ASSIGN_DELETE] = {.name = "assignment_delete",
			 .sql =
			     "DELETE FROM assignments WHERE tenant_id = ?1 AND subscription_id = ?2 AND user_id = ?3"},
    [S_ASSIGN_LIST] = {.name = "assignment_list",
		       .sql = "SELECT " ASSIGN_COLS " FROM assignments WHERE tenant_id = ?1 AND subscription_id = ?2"
			      " AND user_id > ?3 ORDER BY user_id LIMIT ?4"},
    [S_INC_INSERT] = {.name = "incident_insert",
		      .sql = "INSERT INTO incidents (id, service_id, status, title, opened_at, resolved_at)"
			     " VALUES (" NEXT_ID("incidents") ", ?1, ?2, ?3, ?4, ?5) RETURNING id"},
    [S_INC_GET] = {.name = "incident_get", .sql = "SELECT " INC_COLS " FROM incidents WHERE id = ?1"},
    [S_INC_UPDATE] = {.name = "incident_update",
		      .sql = "UPDATE incidents SET status = ?2, resolved_at = ?3 WHERE id = ?1"},
    [S_INC_LIST] = {.name = "incident_list",
		    .sql = "SELECT " INC_COLS " FROM incidents WHERE id > ?1 AND (?2 = 0 OR status <> 'resolved')"
			   " ORDER BY id LIMIT ?3"},
    [S_INC_OPEN] = {.name = "snapshot_load",
		    .sql = "SELECT " INC_COLS " FROM incidents WHERE status <> 'resolved' ORDER BY id"},
    [S_INVOICE_INSERT] = {.name = "invoice_insert",
			  .sql = "INSERT INTO invoices (tenant_id, id, subscription_id, amount, paid, currency,"
				 " issued_at, due_at, status)"
				 " VALUES (?1, " NEXT_ID("invoices") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
			  .missing = "tenant",
			  .missing_msg = "the tenant or the invoice's subscription does not exist"},
    [S_CREDIT_INSERT] = {.name = "credit_check_insert",
			 .sql =
			     "INSERT INTO credit_checks (tenant_id, id, status, amount, requested_at, expected_by,"
			     " decided_at, subscription_id, operation_id)"
			     " VALUES (?1, " NEXT_ID("credit_checks") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
			 .missing = "tenant",
			 .missing_msg = "the tenant does not exist"},
    [S_OP_INSERT] = {.name = "operation_insert",
		     .sql = "INSERT INTO operations (tenant_id, id, kind, state, source_sub, target_plan, new_sub,"
			    " created_at, updated_at, quantity, credit_check_id, request_id, detail)"
			    " VALUES (?1, " NEXT_ID("operations") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
			    " RETURNING id",
		     .conflict = "operation",
		     .conflict_msg = "the tenant already has an upgrade in progress: one upgrade at a time",
		     .missing = "source",
		     .missing_msg = "the tenant, or the operation's source or new subscription, does not exist"},
    [S_AUDIT_INSERT] = {.name = "audit_insert",
			.sql =
			    "INSERT INTO audit (tenant_id, id, at, token_id, role, action, object, request_id, detail)"
			    " VALUES (?1, " NEXT_ID("audit") ", ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id"},
    [S_AUDIT_LIST] = {.name = "audit_list",
		      .sql = "SELECT " AUDIT_COLS " FROM audit WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
    [S_EXISTS_TENANT] = {.name = "exists", .sql = "SELECT 1 FROM tenants WHERE id = ?1"},
    [S_EXISTS_SUB] = {.name = "exists", .sql = "SELECT 1 FROM subscriptions WHERE tenant_id = ?1 AND id = ?2"},
    /* The snapshot has statements of its own, so it can be loaded from
     * inside any list callback. */
    [S_SNAP_TENANT] = {.name = "snapshot_load", .sql = "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1"},
    [S_SNAP_SUBS] = {.name = "snapshot_load",
		     .sql = "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id = ?1 ORDER BY id"},
    /* Without statistics the planner would walk all of the tenant's
     * operations by primary key; the partial index holds only unfinished ones. */
    [S_SNAP_OPS] = {.name = "snapshot_load",
		    .sql = "SELECT " OP_COLS " FROM operations INDEXED BY operations_unfinished WHERE tenant_id = ?1"
			   " AND state IN ('pending_credit_check', 'provisioning') ORDER BY id"},
    [S_SNAP_CREDIT] = {.name = "snapshot_load",
		       .sql = "SELECT " CC_COLS " FROM credit_checks WHERE tenant_id = ?1 AND status = 'pending'"
			      " ORDER BY requested_at, id LIMIT 1"},
    [S_SNAP_PAST_DUE] = {.name = "snapshot_load",
			 .sql = "SELECT coalesce(sum(amount - paid), 0), coalesce(min(due_at), 0) FROM invoices"
				" WHERE tenant_id = ?1 AND status = 'open' AND due_at < ?2 AND amount > paid"},
    [S_SNAP_CAPACITY] = {.name = "snapshot_load",
			 .sql = "SELECT count(*), coalesce(min(created_at), 0) FROM operations"
				" WHERE kind = 'upgrade' AND created_at > ?1 AND created_at <= ?2"},
    /* ---- schema version 2 ---- */
    [S_SAVEPOINT] = {.name = "assignments_move", .sql = "SAVEPOINT ps_move"},
    [S_RELEASE] = {.name = "assignments_move", .sql = "RELEASE ps_move"},
    [S_ROLLBACK_TO] = {.name = "assignments_move", .sql = "ROLLBACK TO ps_move"},
    [S_CLOCK_GET] = {.name = "clock_get", .sql = "SELECT now FROM clock WHERE one = 1"},
    [S_CLOCK_SET] = {.name = "clock_set",
		     .sql = "INSERT INTO clock (one, now) VALUES (1, ?1)"
			    " ON CONFLICT (one) DO UPDATE SET now = excluded.now"},
    [S_TENANT_UPDATE] = {.name = "tenant_update", .sql = "UPDATE tenants SET credit_limit = ?2 WHERE id = ?1"},
    [S_INVOICE_GET] = {.name = "invoice_get",
		       .sql = "SELECT " INV_COLS " FROM invoices WHERE tenant_id = ?1 AND id = ?2"},
    [S_INVOICE_UPDATE] = {.name = "invoice_update",
			  .sql = "UPDATE invoices SET paid = ?3, status = ?4 WHERE tenant_id = ?1 AND id = ?2"},
    [S_INVOICE_LIST] = {.name = "invoice_list",
			.sql = "SELECT " INV_COLS " FROM invoices WHERE tenant_id = ?1 AND id > ?2"
			       " AND (?3 = 0 OR status = 'open') ORDER BY id LIMIT ?4"},
    [S_LINE_INSERT] = {.name = "invoice_line_insert",
		       .sql = "INSERT INTO invoice_lines (tenant_id, invoice_id, id, subscription_id, kind, plan_id,"
			      " quantity, period_start, period_end, amount, description)"
			      " VALUES (?1, ?2, " NEXT_ID("invoice_lines") ", ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			      " RETURNING id",
		       .conflict = "period",
		       .conflict_msg = "this subscription already has a line of this kind for the period starting then",
		       .missing = "invoice",
		       .missing_msg = "the invoice or the line's subscription does not exist"},
    [S_LINE_LIST] = {.name = "invoice_line_list",
		     .sql = "SELECT " LINE_COLS " FROM invoice_lines WHERE tenant_id = ?1 AND invoice_id = ?2"
			    " ORDER BY id"},
    [S_PAY_INSERT] = {.name = "payment_insert",
		      .sql = "INSERT INTO payments (tenant_id, id, amount, currency, received_at)"
			     " VALUES (?1, " NEXT_ID("payments") ", ?2, ?3, ?4) RETURNING id",
		      .missing = "tenant",
		      .missing_msg = "the tenant does not exist"},
    [S_PAY_LIST] = {.name = "payment_list",
		    .sql = "SELECT " PAY_COLS " FROM payments WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
    [S_PAY_TOTAL] = {.name = "payment_total",
		     .sql = "SELECT coalesce(sum(amount), 0) FROM payments WHERE tenant_id = ?1"},
    [S_CREDIT_GET] = {.name = "credit_check_get", .sql = "SELECT " CC_COLS " FROM credit_checks WHERE id = ?1"},
    [S_CREDIT_UPDATE] = {.name = "credit_check_update",
			 .sql = "UPDATE credit_checks SET status = ?3, decided_at = ?4, amount = ?5"
				" WHERE tenant_id = ?1 AND id = ?2"},
    [S_CREDIT_LIST] = {.name = "credit_check_list",
		       .sql = "SELECT " CC_COLS " FROM credit_checks WHERE tenant_id = ?1 AND id > ?2"
			      " ORDER BY id LIMIT ?3"},
    [S_OP_GET] = {.name = "operation_get",
		  .sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND id = ?2"},
    [S_OP_UPDATE] = {.name = "operation_update",
		     .sql = "UPDATE operations SET state = ?3, new_sub = ?4, credit_check_id = ?5, updated_at = ?6,"
			    " detail = ?7 WHERE tenant_id = ?1 AND id = ?2",
		     .conflict = "operation",
		     .conflict_msg = "the tenant already has an upgrade in progress: one upgrade at a time",
		     .missing = "new_subscription",
		     .missing_msg = "new_subscription: the subscription does not exist for this tenant"},
    [S_OP_LIST] = {.name = "operation_list",
		   .sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
    /* The latest, should a subscription have been named by more than one. */
    [S_OP_BY_NEW_SUB] = {.name = "operation_find_by_new_sub",
			 .sql = "SELECT " OP_COLS " FROM operations WHERE tenant_id = ?1 AND new_sub = ?2"
				" ORDER BY id DESC LIMIT 1"},
    [S_MOVE_TARGET] = {.name = "assignments_move",
		       .sql = "SELECT product_id FROM subscriptions WHERE tenant_id = ?1 AND id = ?2"},
    [S_MOVE_SEATS] = {.name = "assignments_move",
		      .sql = "UPDATE assignments SET subscription_id = ?3, product_id = ?4"
			     " WHERE tenant_id = ?1 AND subscription_id = ?2",
		      .conflict = "user",
		      .conflict_msg = "a user would hold two seats of the target's product",
		      .missing = "new_subscription",
		      .missing_msg = "new_subscription: the subscription does not exist for this tenant"},
    [S_MOVE_COUNT] = {.name = "assignments_move",
		      .sql = "UPDATE subscriptions SET assigned = assigned + ?3 WHERE tenant_id = ?1 AND id = ?2"},
    [S_IDEM_FIND] = {.name = "idem_find",
		     .sql = "SELECT tenant_id, key, request_hash, status, response, created_at FROM idempotency"
			    " WHERE tenant_id = ?1 AND key = ?2"},
    [S_IDEM_INSERT] = {.name = "idem_insert",
		       .sql = "INSERT INTO idempotency (tenant_id, key, request_hash, status, response, created_at)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		       .conflict = "Idempotency-Key",
		       .conflict_msg = "this idempotency key has already been used"},
    [S_IDEM_PURGE] = {.name = "idem_purge", .sql = "DELETE FROM idempotency WHERE created_at < ?1"},
    [S_IDEM_COMPLETE] = {.name = "idem_complete",
			 .sql = "UPDATE idempotency SET status = ?3, response = ?4 WHERE tenant_id = ?1 AND key = ?2"},
    [S_IDEM_DELETE] = {.name = "idem_delete", .sql = "DELETE FROM idempotency WHERE tenant_id = ?1 AND key = ?2"},
    [S_SUPPORT_INSERT] = {.name = "support_insert",
			  .sql = "INSERT INTO support_requests (tenant_id, id, subscription_id, reason_codes,"
				 " description, status, created_at, token_id)"
				 " VALUES (?1, " NEXT_ID("support_requests") ", ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
			  .missing = "tenant",
			  .missing_msg = "the tenant or the request's subscription does not exist"},
    [S_SUPPORT_LIST] = {.name = "support_list",
			.sql = "SELECT " SR_COLS " FROM support_requests WHERE tenant_id = ?1 AND id > ?2"
			       " ORDER BY id LIMIT ?3"},
    [S_SUPPORT_LIST_ALL] = {.name = "support_list",
			    .sql = "SELECT " SR_COLS " FROM support_requests INDEXED BY support_requests_id"
				   " WHERE id > ?1 ORDER BY id LIMIT ?2"},
    [S_EXISTS_INVOICE] = {.name = "exists", .sql = "SELECT 1 FROM invoices WHERE tenant_id = ?1 AND id = ?2"},
    /* snapshot_scan: the snapshot's queries for a range of tenants
     * (?1, ?2], each in tenant order so that they merge in one pass. */
    [S_SCAN_TENANTS] = {.name = "snapshot_scan",
			.sql = "SELECT " TENANT_COLS " FROM tenants WHERE id > ?1 ORDER BY id LIMIT ?2"},
    [S_SCAN_SUBS] = {.name = "snapshot_scan",
		     .sql = "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id > ?1 AND tenant_id <= ?2"
			    " ORDER BY tenant_id, id"},
    [S_SCAN_OPS] = {.name = "snapshot_scan",
		    .sql = "SELECT " OP_COLS " FROM operations INDEXED BY operations_unfinished"
			   " WHERE tenant_id > ?1 AND tenant_id <= ?2"
			   " AND state IN ('pending_credit_check', 'provisioning') ORDER BY tenant_id, id"},
    [S_SCAN_CREDIT] = {.name = "snapshot_scan",
		       .sql = "SELECT " CC_COLS " FROM credit_checks INDEXED BY credit_checks_pending"
			      " WHERE tenant_id > ?1 AND tenant_id <= ?2 AND status = 'pending'"
			      " ORDER BY tenant_id, requested_at, id"},
    [S_SCAN_PAST_DUE] = {.name = "snapshot_scan",
			 .sql = "SELECT tenant_id, sum(amount - paid), min(due_at) FROM invoices INDEXED BY invoices_open_due"
				" WHERE tenant_id > ?1 AND tenant_id <= ?2 AND status = 'open' AND due_at < ?3"
				" AND amount > paid GROUP BY tenant_id ORDER BY tenant_id"},
};

/* ---- The handle -------------------------------------------------------- */

struct sq {
	struct ps_store base; /* first, so a struct ps_store * is a struct sq * */
	sqlite3 *db;
	sqlite3_stmt *stmt[S__COUNT];
	/* The capacity window's count is the same for every tenant: kept for
	 * the `now` and the database version it was counted at (see load). */
	bool cap_valid;
	int64_t cap_now, cap_used, cap_oldest;
	unsigned cap_version;
};

static struct sq *sq_of(struct ps_store *st)
{
	return (struct sq *)(void *)st;
}

/* Turn a failed step into the caller's error. */
static ps_code fail(struct sq *q, enum stmt_id id, int rc, struct ps_err *err)
{
	const struct sdef *d = &sdefs[id];
	const char *msg = sqlite3_errmsg(q->db);
	const char *field;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return ps_err_set(err, PS_CONFLICT, d->conflict ? d->conflict : "id", "%s",
				  d->conflict_msg ? d->conflict_msg : msg);
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return ps_err_set(err, PS_NOT_FOUND, d->missing, "%s",
				  d->missing_msg ? d->missing_msg : "a referenced object does not exist");
	case SQLITE_CONSTRAINT_CHECK:
		/* Every CHECK is named after the field it guards. */
		field = strstr(msg, "failed: ");
		field = field ? field + 8 : "";
		return ps_err_set(err, PS_INVALID_FIELD, field, "%s: value out of range for %s", d->name, field);
	case SQLITE_CONSTRAINT_NOTNULL:
		field = strrchr(msg, '.');
		field = field ? field + 1 : "";
		return ps_err_set(err, PS_INVALID_FIELD, field, "%s: %s is required", d->name, field);
	case SQLITE_CONSTRAINT_TRIGGER:
		/* The reference triggers of version 2: "missing FIELD". */
		if (strncmp(msg, "missing ", 8) == 0)
			return ps_err_set(err, PS_NOT_FOUND, msg + 8, "%s: the %s does not exist for this tenant",
					  d->name, msg + 8);
		break;
	default: break;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return ps_err_set(err, PS_STORE, NULL,
				  "%s: the SQLite store stayed locked by another connection for more than %d ms (%s)",
				  d->name, BUSY_TIMEOUT_MS, msg);
	return ps_err_set(err, PS_STORE, NULL, "%s: SQLite: %s", d->name, msg);
}

static ps_code bad_value(struct ps_err *err, const char *column)
{
	return ps_err_set(err, PS_STORE, NULL, "the store holds an invalid value in %s", column);
}

/* The statement `id`, prepared on first use. */
static ps_code prep(struct sq *q, enum stmt_id id, sqlite3_stmt **out, struct ps_err *err)
{
	/* Statements are reset after each use: a busy one is a list walk
	 * whose callback called the same method again. */
	if (q->stmt[id] != NULL && sqlite3_stmt_busy(q->stmt[id]))
		return ps_err_set(err, PS_INTERNAL, NULL, "%s: called again from inside its own list callback",
				  sdefs[id].name);
	if (q->stmt[id] == NULL) {
		int rc = sqlite3_prepare_v3(q->db, sdefs[id].sql, -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			const char *msg = sqlite3_errmsg(q->db);
			q->stmt[id] = NULL;
			if (strncmp(msg, "no such table", 13) == 0)
				return ps_err_set(err, PS_SCHEMA, NULL,
						  "%s: the store has no schema (%s): run `planshift init` on it first",
						  sdefs[id].name, msg);
			return ps_err_set(err, PS_STORE, NULL, "%s: SQLite cannot prepare the query: %s",
					  sdefs[id].name, msg);
		}
	}
	*out = q->stmt[id];
	return PS_OK;
}

/* Run a statement that returns no rows (or whose rows are ignored). */
static ps_code run(struct sq *q, enum stmt_id id, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, id, &s, err);
	if (c != PS_OK)
		return c;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

/* Run a prepared and bound INSERT ... RETURNING id. */
static ps_code insert_id(struct sq *q, enum stmt_id id, sqlite3_stmt *s, int64_t *id_out, struct ps_err *err)
{
	ps_code c = PS_OK;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

/* Run a prepared and bound UPDATE or DELETE that must change one row. */
static ps_code change_one(struct sq *q, enum stmt_id id, sqlite3_stmt *s, const char *field, const char *what,
			  struct ps_err *err)
{
	ps_code c = PS_OK;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	else if (sqlite3_changes(q->db) == 0)
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s does not exist", what);
	sqlite3_reset(s);
	return c;
}

/* Read a single integer (a pragma or a count). */
static ps_code read_int(struct sq *q, enum stmt_id id, int64_t *out, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, id, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

/* ---- Binding and reading ---------------------------------------------- */

/* Text from a fixed-size field: never read past the array. */
#define BIND_STR(s, i, field) bind_str(s, i, field, sizeof(field))

static void bind_str(sqlite3_stmt *s, int i, const char *str, size_t cap)
{
	sqlite3_bind_text(s, i, str, (int)strnlen(str, cap), SQLITE_STATIC);
}

static void bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, v);
}

/* An optional reference or time: 0 is stored as NULL. */
static void bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static void bind_limit(sqlite3_stmt *s, int i, size_t limit)
{
	sqlite3_bind_int64(s, i, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
}

static int64_t col_i64(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

/* Copy a text column into dst (cap bytes with the NUL); false when it does
 * not fit. NULL reads as "". */
static bool col_str(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);
	if (t == NULL) {
		dst[0] = '\0';
		return true;
	}
	if (n < 0 || (size_t)n >= cap)
		return false;
	memcpy(dst, t, (size_t)n);
	dst[n] = '\0';
	return true;
}

#define COL_STR(s, i, field) col_str(s, i, field, sizeof(field))
#define COL_TXT(s, i)	     ((const char *)sqlite3_column_text(s, i))

static ps_code read_tenant(sqlite3_stmt *s, struct ps_tenant *t, struct ps_err *err)
{
	memset(t, 0, sizeof *t);
	t->id = col_i64(s, 0);
	if (!COL_STR(s, 1, t->name))
		return bad_value(err, "tenants.name");
	if (!ps_segment_parse(COL_TXT(s, 2), &t->segment))
		return bad_value(err, "tenants.segment");
	if (!ps_payment_parse(COL_TXT(s, 3), &t->payment))
		return bad_value(err, "tenants.payment");
	t->credit_limit = col_i64(s, 4);
	if (!COL_STR(s, 5, t->currency))
		return bad_value(err, "tenants.currency");
	t->created_at = col_i64(s, 6);
	return PS_OK;
}

static ps_code read_user(sqlite3_stmt *s, struct ps_user *u, struct ps_err *err)
{
	memset(u, 0, sizeof *u);
	u->tenant_id = col_i64(s, 0);
	u->id = col_i64(s, 1);
	if (!COL_STR(s, 2, u->upn))
		return bad_value(err, "users.upn");
	if (!COL_STR(s, 3, u->display_name))
		return bad_value(err, "users.display_name");
	u->created_at = col_i64(s, 4);
	return PS_OK;
}

static ps_code read_sub(sqlite3_stmt *s, struct ps_subscription *o, struct ps_err *err)
{
	memset(o, 0, sizeof *o);
	o->tenant_id = col_i64(s, 0);
	o->id = col_i64(s, 1);
	if (!COL_STR(s, 2, o->plan_id))
		return bad_value(err, "subscriptions.plan_id");
	if (!COL_STR(s, 3, o->product_id))
		return bad_value(err, "subscriptions.product_id");
	o->quantity = col_i64(s, 4);
	o->assigned = col_i64(s, 5);
	if (!ps_sub_status_parse(COL_TXT(s, 6), &o->status))
		return bad_value(err, "subscriptions.status");
	if (!ps_term_parse(COL_TXT(s, 7), &o->term))
		return bad_value(err, "subscriptions.term");
	o->prepaid = col_i64(s, 8) != 0;
	o->term_start = col_i64(s, 9);
	o->term_end = col_i64(s, 10);
	o->addon_of = col_i64(s, 11);
	o->replaced_by = col_i64(s, 12);
	o->created_at = col_i64(s, 13);
	o->billed_through = col_i64(s, 14);
	return PS_OK;
}

static ps_code read_assignment(sqlite3_stmt *s, struct ps_assignment *a, struct ps_err *err)
{
	memset(a, 0, sizeof *a);
	a->tenant_id = col_i64(s, 0);
	a->subscription_id = col_i64(s, 1);
	a->user_id = col_i64(s, 2);
	if (!COL_STR(s, 3, a->product_id))
		return bad_value(err, "assignments.product_id");
	a->assigned_at = col_i64(s, 4);
	return PS_OK;
}

static ps_code read_incident(sqlite3_stmt *s, struct ps_incident *i, struct ps_err *err)
{
	memset(i, 0, sizeof *i);
	i->id = col_i64(s, 0);
	if (!COL_STR(s, 1, i->service_id))
		return bad_value(err, "incidents.service_id");
	if (!ps_incident_status_parse(COL_TXT(s, 2), &i->status))
		return bad_value(err, "incidents.status");
	if (!COL_STR(s, 3, i->title))
		return bad_value(err, "incidents.title");
	i->opened_at = col_i64(s, 4);
	i->resolved_at = col_i64(s, 5);
	return PS_OK;
}

static ps_code read_op(sqlite3_stmt *s, struct ps_operation *op, struct ps_err *err)
{
	memset(op, 0, sizeof *op);
	op->tenant_id = col_i64(s, 0);
	op->id = col_i64(s, 1);
	if (!ps_op_kind_parse(COL_TXT(s, 2), &op->kind))
		return bad_value(err, "operations.kind");
	if (!ps_op_state_parse(COL_TXT(s, 3), &op->state))
		return bad_value(err, "operations.state");
	op->source_sub = col_i64(s, 4);
	if (!COL_STR(s, 5, op->target_plan))
		return bad_value(err, "operations.target_plan");
	op->new_sub = col_i64(s, 6);
	op->created_at = col_i64(s, 7);
	op->updated_at = col_i64(s, 8);
	op->quantity = col_i64(s, 9);
	op->credit_check_id = col_i64(s, 10);
	if (!COL_STR(s, 11, op->request_id))
		return bad_value(err, "operations.request_id");
	if (!COL_STR(s, 12, op->detail))
		return bad_value(err, "operations.detail");
	return PS_OK;
}

static ps_code read_credit(sqlite3_stmt *s, struct ps_credit_check *cc, struct ps_err *err)
{
	memset(cc, 0, sizeof *cc);
	cc->tenant_id = col_i64(s, 0);
	cc->id = col_i64(s, 1);
	if (!ps_credit_status_parse(COL_TXT(s, 2), &cc->status))
		return bad_value(err, "credit_checks.status");
	cc->amount = col_i64(s, 3);
	cc->requested_at = col_i64(s, 4);
	cc->expected_by = col_i64(s, 5);
	cc->decided_at = col_i64(s, 6);
	cc->subscription_id = col_i64(s, 7);
	cc->operation_id = col_i64(s, 8);
	return PS_OK;
}

static ps_code read_invoice(sqlite3_stmt *s, struct ps_invoice *inv, struct ps_err *err)
{
	memset(inv, 0, sizeof *inv);
	inv->tenant_id = col_i64(s, 0);
	inv->id = col_i64(s, 1);
	inv->subscription_id = col_i64(s, 2);
	inv->amount = col_i64(s, 3);
	inv->paid = col_i64(s, 4);
	if (!COL_STR(s, 5, inv->currency))
		return bad_value(err, "invoices.currency");
	inv->issued_at = col_i64(s, 6);
	inv->due_at = col_i64(s, 7);
	if (!ps_invoice_status_parse(COL_TXT(s, 8), &inv->status))
		return bad_value(err, "invoices.status");
	return PS_OK;
}

static ps_code read_line(sqlite3_stmt *s, struct ps_invoice_line *l, struct ps_err *err)
{
	memset(l, 0, sizeof *l);
	l->tenant_id = col_i64(s, 0);
	l->invoice_id = col_i64(s, 1);
	l->id = col_i64(s, 2);
	l->subscription_id = col_i64(s, 3);
	if (!ps_line_kind_parse(COL_TXT(s, 4), &l->kind))
		return bad_value(err, "invoice_lines.kind");
	if (!COL_STR(s, 5, l->plan_id))
		return bad_value(err, "invoice_lines.plan_id");
	l->quantity = col_i64(s, 6);
	l->period_start = col_i64(s, 7);
	l->period_end = col_i64(s, 8);
	l->amount = col_i64(s, 9);
	if (!COL_STR(s, 10, l->description))
		return bad_value(err, "invoice_lines.description");
	return PS_OK;
}

static ps_code read_payment(sqlite3_stmt *s, struct ps_receipt *p, struct ps_err *err)
{
	memset(p, 0, sizeof *p);
	p->tenant_id = col_i64(s, 0);
	p->id = col_i64(s, 1);
	p->amount = col_i64(s, 2);
	if (!COL_STR(s, 3, p->currency))
		return bad_value(err, "payments.currency");
	p->received_at = col_i64(s, 4);
	return PS_OK;
}

static ps_code read_support(sqlite3_stmt *s, struct ps_support_request *r, struct ps_err *err)
{
	memset(r, 0, sizeof *r);
	r->tenant_id = col_i64(s, 0);
	r->id = col_i64(s, 1);
	r->subscription_id = col_i64(s, 2);
	if (!COL_STR(s, 3, r->reason_codes))
		return bad_value(err, "support_requests.reason_codes");
	if (!COL_STR(s, 4, r->description))
		return bad_value(err, "support_requests.description");
	if (!ps_support_status_parse(COL_TXT(s, 5), &r->status))
		return bad_value(err, "support_requests.status");
	r->created_at = col_i64(s, 6);
	r->token_id = col_i64(s, 7);
	return PS_OK;
}

static ps_code read_audit(sqlite3_stmt *s, struct ps_audit *a, struct ps_err *err)
{
	memset(a, 0, sizeof *a);
	a->tenant_id = col_i64(s, 0);
	a->id = col_i64(s, 1);
	a->at = col_i64(s, 2);
	a->token_id = col_i64(s, 3);
	if (!ps_role_parse(COL_TXT(s, 4), &a->role))
		return bad_value(err, "audit.role");
	if (!COL_STR(s, 5, a->action))
		return bad_value(err, "audit.action");
	if (!COL_STR(s, 6, a->object))
		return bad_value(err, "audit.object");
	if (!COL_STR(s, 7, a->request_id))
		return bad_value(err, "audit.request_id");
	if (!COL_STR(s, 8, a->detail))
		return bad_value(err, "audit.detail");
	return PS_OK;
}

/* ---- Walking rows ----------------------------------------------------- */

union list_cb {
	ps_tenant_cb tenant;
	ps_user_cb user;
	ps_sub_cb sub;
	ps_assignment_cb assignment;
	ps_incident_cb incident;
	ps_audit_cb audit;
	ps_invoice_cb invoice;
	ps_line_cb line;
	ps_payment_cb payment;
	ps_credit_cb credit;
	ps_operation_cb operation;
	ps_support_cb support;
};

/* Read the current row and hand it to the caller's callback; *more is
 * what the callback returned. */
typedef ps_code (*visit_fn)(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err);

static ps_code visit_tenant(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_tenant t;
	ps_code c = read_tenant(s, &t, err);
	if (c == PS_OK)
		*more = cb.tenant(arg, &t);
	return c;
}

static ps_code visit_user(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_user u;
	ps_code c = read_user(s, &u, err);
	if (c == PS_OK)
		*more = cb.user(arg, &u);
	return c;
}

static ps_code visit_sub(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_subscription o;
	ps_code c = read_sub(s, &o, err);
	if (c == PS_OK)
		*more = cb.sub(arg, &o);
	return c;
}

static ps_code visit_assignment(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_assignment a;
	ps_code c = read_assignment(s, &a, err);
	if (c == PS_OK)
		*more = cb.assignment(arg, &a);
	return c;
}

static ps_code visit_incident(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_incident i;
	ps_code c = read_incident(s, &i, err);
	if (c == PS_OK)
		*more = cb.incident(arg, &i);
	return c;
}

static ps_code visit_audit(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_audit a;
	ps_code c = read_audit(s, &a, err);
	if (c == PS_OK)
		*more = cb.audit(arg, &a);
	return c;
}

static ps_code visit_invoice(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_invoice inv;
	ps_code c = read_invoice(s, &inv, err);
	if (c == PS_OK)
		*more = cb.invoice(arg, &inv);
	return c;
}

static ps_code visit_line(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_invoice_line l;
	ps_code c = read_line(s, &l, err);
	if (c == PS_OK)
		*more = cb.line(arg, &l);
	return c;
}

static ps_code visit_payment(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_receipt p;
	ps_code c = read_payment(s, &p, err);
	if (c == PS_OK)
		*more = cb.payment(arg, &p);
	return c;
}

static ps_code visit_credit(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_credit_check cc;
	ps_code c = read_credit(s, &cc, err);
	if (c == PS_OK)
		*more = cb.credit(arg, &cc);
	return c;
}

static ps_code visit_operation(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_operation op;
	ps_code c = read_op(s, &op, err);
	if (c == PS_OK)
		*more = cb.operation(arg, &op);
	return c;
}

static ps_code visit_support(sqlite3_stmt *s, union list_cb cb, void *arg, bool *more, struct ps_err *err)
{
	struct ps_support_request r;
	ps_code c = read_support(s, &r, err);
	if (c == PS_OK)
		*more = cb.support(arg, &r);
	return c;
}

/* Step a prepared and bound list query to its end or until the callback
 * says stop. The statement stays busy while the callback runs: a callback
 * may call other methods of this handle, but not the same list method. */
static ps_code walk(struct sq *q, enum stmt_id id, sqlite3_stmt *s, visit_fn visit, union list_cb cb, void *arg,
		    struct ps_err *err)
{
	ps_code c = PS_OK;
	bool more = true;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c = visit(s, cb, arg, &more, err);
		if (c != PS_OK || !more)
			break;
	}
	if (c == PS_OK && more && rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

/* ---- Schema and transactions ------------------------------------------- */

static void sq_close(struct ps_store *st)
{
	struct sq *q = sq_of(st);
	for (size_t i = 0; i < ARRAY_LEN(q->stmt); i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close(q->db);
	ps_free(q);
}

static ps_code read_header(struct sq *q, int64_t *app_id, int64_t *version, struct ps_err *err)
{
	ps_code c = read_int(q, S_APP_ID, app_id, err);
	if (c == PS_OK)
		c = read_int(q, S_USER_VERSION, version, err);
	return c;
}

static ps_code newer_schema(int64_t version, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "the store's schema is version %" PRId64 ", newer than this binary's (%d): "
			  "use a newer planshift",
			  version, PS_SCHEMA_VERSION);
}

static ps_code foreign_file(int64_t app_id, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "this SQLite file is not a planshift store (application_id %" PRId64 "): refusing to use it",
			  app_id);
}

static ps_code sq_migrate(struct ps_store *st, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	int64_t app_id, version, objects;
	char *emsg = NULL;
	ps_code c;

	if (!sqlite3_get_autocommit(q->db))
		return ps_err_set(err, PS_STORE, NULL, "migrate: not allowed inside a transaction");
	c = run(q, S_BEGIN_IMMEDIATE, err);
	if (c != PS_OK)
		return c;
	c = read_header(q, &app_id, &version, err);
	if (c != PS_OK)
		goto out;
	if (version > PS_SCHEMA_VERSION) {
		c = newer_schema(version, err);
		goto out;
	}
	if (app_id != 0 && app_id != APP_ID) {
		c = foreign_file(app_id, err);
		goto out;
	}
	if (version == 0) {
		c = read_int(q, S_SCHEMA_COUNT, &objects, err);
		if (c != PS_OK)
			goto out;
		if (objects > 0) {
			c = ps_err_set(
			    err, PS_SCHEMA, NULL,
			    "this SQLite file holds another application's tables: refusing to add planshift's");
			goto out;
		}
	}
	for (int64_t v = version; v < PS_SCHEMA_VERSION; v++) {
		if (sqlite3_exec(q->db, migrations[v], NULL, NULL, &emsg) != SQLITE_OK) {
			const char *why = emsg ? emsg : sqlite3_errmsg(q->db);
			/* The one data condition a step can refuse. */
			bool two_upgrades = v == 1 && strstr(why, "operations.tenant_id") != NULL;
			c = ps_err_set(err, PS_STORE, NULL, "migrate: step to version %" PRId64 " failed: %s%s", v + 1,
				       why,
				       two_upgrades ? " (a tenant has two unfinished upgrade operations: mark all but "
						      "one of them failed, then migrate again)"
						    : "");
			goto out;
		}
	}
	if (version < PS_SCHEMA_VERSION) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", PS_SCHEMA_VERSION);
		if (sqlite3_exec(q->db, sql, NULL, NULL, &emsg) != SQLITE_OK) {
			c = ps_err_set(err, PS_STORE, NULL, "migrate: %s", emsg ? emsg : sqlite3_errmsg(q->db));
			goto out;
		}
	}
	c = run(q, S_COMMIT, err);
out:
	sqlite3_free(emsg);
	if (c != PS_OK && !sqlite3_get_autocommit(q->db))
		run(q, S_ROLLBACK, NULL);
	return c;
}

static ps_code sq_check_schema(struct ps_store *st, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	int64_t app_id, version;
	ps_code c = read_header(q, &app_id, &version, err);
	if (c != PS_OK)
		return c;
	if (version == 0 && app_id == 0)
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "the store has no schema yet: run `planshift init` on it first");
	if (app_id != APP_ID)
		return foreign_file(app_id, err);
	if (version > PS_SCHEMA_VERSION)
		return newer_schema(version, err);
	if (version < PS_SCHEMA_VERSION)
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "the store's schema is version %" PRId64 ", this binary needs %d: "
				  "run `planshift init` on it to migrate it",
				  version, PS_SCHEMA_VERSION);
	return PS_OK;
}

static ps_code sq_begin(struct ps_store *st, enum ps_tx kind, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	if (!sqlite3_get_autocommit(q->db))
		return ps_err_set(err, PS_STORE, NULL, "begin: a transaction is already open on this handle");
	return run(q, kind == PS_TX_WRITE ? S_BEGIN_IMMEDIATE : S_BEGIN, err);
}

static ps_code sq_commit(struct ps_store *st, struct ps_err *err)
{
	return run(sq_of(st), S_COMMIT, err);
}

static void sq_rollback(struct ps_store *st)
{
	struct sq *q = sq_of(st);
	if (!sqlite3_get_autocommit(q->db))
		run(q, S_ROLLBACK, NULL);
}

/* ---- Catalog and tokens ------------------------------------------------ */

static ps_code sq_catalog_put(struct ps_store *st, const char *json, size_t len, int64_t now, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CATALOG_PUT, &s, err);
	if (c != PS_OK)
		return c;
	if (json == NULL) {
		json = "";
		len = 0;
	}
	int rc = sqlite3_bind_text64(s, 1, json, len, SQLITE_STATIC, SQLITE_UTF8);
	if (rc != SQLITE_OK) {
		sqlite3_reset(s);
		return ps_err_set(err, PS_STORE, "catalog", "catalog_put: the catalog (%zu bytes) cannot be stored: %s",
				  len, sqlite3_errstr(rc));
	}
	bind_i64(s, 2, now);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		c = fail(q, S_CATALOG_PUT, rc, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* drop the pointer to the caller's text */
	return c;
}

static ps_code sq_catalog_get(struct ps_store *st, struct ps_buf *json, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CATALOG_GET, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *doc = sqlite3_column_blob(s, 0);
		int n = sqlite3_column_bytes(s, 0);
		ps_buf_reset(json);
		if (!ps_buf_put(json, doc ? doc : "", n > 0 ? (size_t)n : 0))
			c = ps_err_set(
			    err, PS_STORE, "catalog",
			    "catalog_get: the stored catalog (%d bytes) is larger than the buffer's cap (%zu bytes)", n,
			    json->max);
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, "catalog",
			       "no catalog has been loaded: run `planshift init --catalog FILE`");
	} else {
		c = fail(q, S_CATALOG_GET, rc, err);
	}
	sqlite3_reset(s);
	return c;
}

static ps_code sq_token_insert(struct ps_store *st, const char *hash, enum ps_role role, int64_t tenant_id, int64_t now,
			       int64_t *id_out, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	if (hash == NULL || hash[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "token", "token_insert: the hash is empty");
	ps_code c = prep(q, S_TOKEN_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, ps_role_name(role), -1, SQLITE_STATIC);
	bind_opt(s, 3, tenant_id);
	bind_i64(s, 4, now);
	int64_t id = 0;
	c = insert_id(q, S_TOKEN_INSERT, s, &id, err);
	if (c == PS_OK && id_out)
		*id_out = id;
	return c;
}

static ps_code sq_token_find(struct ps_store *st, const char *hash, struct ps_principal *out, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	if (hash == NULL)
		return ps_err_set(err, PS_NOT_FOUND, "token", "no such token");
	ps_code c = prep(q, S_TOKEN_FIND, &s, err);
	if (c != PS_OK)
		return c;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		out->token_id = col_i64(s, 0);
		if (!ps_role_parse(COL_TXT(s, 1), &out->role))
			c = bad_value(err, "tokens.role");
		out->tenant_id = col_i64(s, 2);
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, "token", "no such token");
	} else {
		c = fail(q, S_TOKEN_FIND, rc, err);
	}
	sqlite3_reset(s);
	return c;
}

/* ---- Naming a missing reference --------------------------------------- */

/* Whether a row exists; false also when the lookup itself fails. Used only
 * after a foreign-key refusal, to name the field that refers to nothing. */
static bool exists(struct sq *q, enum stmt_id id, int64_t a, int64_t b)
{
	sqlite3_stmt *s;
	if (prep(q, id, &s, NULL) != PS_OK)
		return false;
	sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) > 1)
		sqlite3_bind_int64(s, 2, b);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

/* After a foreign-key refusal of a row of `tenant` that refers to the
 * subscriptions refs[0..n) (0: none) named fields[0..n): say which one. */
static ps_code name_missing(struct sq *q, int64_t tenant, const int64_t *refs, const char *const *fields, size_t n,
			    struct ps_err *err)
{
	if (!exists(q, S_EXISTS_TENANT, tenant, 0))
		return ps_err_set(err, PS_NOT_FOUND, "tenant", "the tenant does not exist");
	for (size_t i = 0; i < n; i++)
		if (refs[i] != 0 && !exists(q, S_EXISTS_SUB, tenant, refs[i]))
			return ps_err_set(err, PS_NOT_FOUND, fields[i],
					  "%s: the subscription does not exist for this tenant", fields[i]);
	return PS_NOT_FOUND; /* err as set by fail() */
}

/* ---- Tenants, users, subscriptions ------------------------------------ */

/* Step a prepared and bound single-row SELECT into `read`'s out-struct. */
#define GET_ONE(q, id, s, read, out, field, what, err)                                                                 \
	do {                                                                                                           \
		int rc_ = sqlite3_step(s);                                                                             \
		if (rc_ == SQLITE_ROW)                                                                                 \
			c = read(s, out, err);                                                                         \
		else if (rc_ == SQLITE_DONE)                                                                           \
			c = ps_err_set(err, PS_NOT_FOUND, field, "%s does not exist", what);                           \
		else                                                                                                   \
			c = fail(q, id, rc_, err);                                                                     \
		sqlite3_reset(s);                                                                                      \
	} while (0)

static ps_code sq_tenant_insert(struct ps_store *st, struct ps_tenant *t, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_TENANT_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	BIND_STR(s, 1, t->name);
	sqlite3_bind_text(s, 2, ps_segment_name(t->segment), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ps_payment_name(t->payment), -1, SQLITE_STATIC);
	bind_i64(s, 4, t->credit_limit);
	BIND_STR(s, 5, t->currency);
	bind_i64(s, 6, t->created_at);
	return insert_id(q, S_TENANT_INSERT, s, &t->id, err);
}

static ps_code sq_tenant_get(struct ps_store *st, int64_t id, struct ps_tenant *out, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_TENANT_GET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, id);
	GET_ONE(q, S_TENANT_GET, s, read_tenant, out, "tenant", "the tenant", err);
	return c;
}

static ps_code sq_tenant_list(struct ps_store *st, int64_t after, size_t limit, ps_tenant_cb cb, void *arg,
			      struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_TENANT_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, after);
	bind_limit(s, 2, limit);
	return walk(q, S_TENANT_LIST, s, visit_tenant, (union list_cb){.tenant = cb}, arg, err);
}

static ps_code sq_user_insert(struct ps_store *st, struct ps_user *u, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_USER_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, u->tenant_id);
	BIND_STR(s, 2, u->upn);
	BIND_STR(s, 3, u->display_name);
	bind_i64(s, 4, u->created_at);
	return insert_id(q, S_USER_INSERT, s, &u->id, err);
}

static ps_code sq_user_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_user *out, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_USER_GET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, id);
	GET_ONE(q, S_USER_GET, s, read_user, out, "user", "the user", err);
	return c;
}

static ps_code sq_user_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_user_cb cb, void *arg,
			    struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_USER_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, after);
	bind_limit(s, 3, limit);
	return walk(q, S_USER_LIST, s, visit_user, (union list_cb){.user = cb}, arg, err);
}

static ps_code sq_sub_insert(struct ps_store *st, struct ps_subscription *o, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_SUB_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, o->tenant_id);
	BIND_STR(s, 2, o->plan_id);
	BIND_STR(s, 3, o->product_id);
	bind_i64(s, 4, o->quantity);
	sqlite3_bind_text(s, 5, ps_sub_status_name(o->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, ps_term_name(o->term), -1, SQLITE_STATIC);
	bind_i64(s, 7, o->prepaid ? 1 : 0);
	bind_i64(s, 8, o->term_start);
	bind_i64(s, 9, o->term_end);
	bind_opt(s, 10, o->addon_of);
	bind_opt(s, 11, o->replaced_by);
	bind_i64(s, 12, o->created_at);
	bind_i64(s, 13, o->billed_through);
	c = insert_id(q, S_SUB_INSERT, s, &o->id, err);
	if (c == PS_NOT_FOUND) {
		const int64_t refs[] = {o->addon_of, o->replaced_by};
		const char *const fields[] = {"addon_of", "replaced_by"};
		c = name_missing(q, o->tenant_id, refs, fields, 2, err);
	}
	return c;
}

static ps_code sq_sub_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_subscription *out,
			  struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_SUB_GET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, id);
	GET_ONE(q, S_SUB_GET, s, read_sub, out, "subscription", "the subscription", err);
	return c;
}

static ps_code sq_sub_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_sub_cb cb, void *arg,
			   struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_SUB_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, after);
	bind_limit(s, 3, limit);
	return walk(q, S_SUB_LIST, s, visit_sub, (union list_cb){.sub = cb}, arg, err);
}

static ps_code sq_sub_update(struct ps_store *st, const struct ps_subscription *o, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_SUB_UPDATE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, o->tenant_id);
	bind_i64(s, 2, o->id);
	bind_i64(s, 3, o->quantity);
	sqlite3_bind_text(s, 4, ps_sub_status_name(o->status), -1, SQLITE_STATIC);
	bind_i64(s, 5, o->term_start);
	bind_i64(s, 6, o->term_end);
	bind_opt(s, 7, o->replaced_by);
	bind_i64(s, 8, o->billed_through);
	bind_opt(s, 9, o->addon_of);
	c = change_one(q, S_SUB_UPDATE, s, "subscription", "the subscription", err);
	/* A refused reference: say which of the two refers to nothing. */
	if (c == PS_NOT_FOUND && sqlite3_extended_errcode(q->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		const int64_t refs[] = {o->addon_of, o->replaced_by};
		const char *const fields[] = {"addon_of", "replaced_by"};
		c = name_missing(q, o->tenant_id, refs, fields, 2, err);
	}
	return c;
}

/* ---- Assignments ------------------------------------------------------- */

static ps_code sq_assignment_insert(struct ps_store *st, const struct ps_assignment *a, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_ASSIGN_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, a->tenant_id);
	bind_i64(s, 2, a->subscription_id);
	bind_i64(s, 3, a->user_id);
	bind_i64(s, 4, a->assigned_at);
	/* No row inserted: the SELECT found no such subscription. */
	return change_one(q, S_ASSIGN_INSERT, s, "subscription", "the subscription", err);
}

static ps_code sq_assignment_delete(struct ps_store *st, int64_t tenant, int64_t sub_id, int64_t user_id,
				    struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_ASSIGN_DELETE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, sub_id);
	bind_i64(s, 3, user_id);
	return change_one(q, S_ASSIGN_DELETE, s, "user", "the user's seat of this subscription", err);
}

static ps_code sq_assignment_list(struct ps_store *st, int64_t tenant, int64_t sub_id, int64_t after_user, size_t limit,
				  ps_assignment_cb cb, void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_ASSIGN_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, sub_id);
	bind_i64(s, 3, after_user);
	bind_limit(s, 4, limit);
	return walk(q, S_ASSIGN_LIST, s, visit_assignment, (union list_cb){.assignment = cb}, arg, err);
}

/* ---- Incidents --------------------------------------------------------- */

static ps_code sq_incident_insert(struct ps_store *st, struct ps_incident *i, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INC_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	BIND_STR(s, 1, i->service_id);
	sqlite3_bind_text(s, 2, ps_incident_status_name(i->status), -1, SQLITE_STATIC);
	BIND_STR(s, 3, i->title);
	bind_i64(s, 4, i->opened_at);
	bind_opt(s, 5, i->resolved_at);
	return insert_id(q, S_INC_INSERT, s, &i->id, err);
}

static ps_code sq_incident_get(struct ps_store *st, int64_t id, struct ps_incident *out, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INC_GET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, id);
	GET_ONE(q, S_INC_GET, s, read_incident, out, "incident", "the incident", err);
	return c;
}

static ps_code sq_incident_update(struct ps_store *st, const struct ps_incident *i, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INC_UPDATE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, i->id);
	sqlite3_bind_text(s, 2, ps_incident_status_name(i->status), -1, SQLITE_STATIC);
	bind_opt(s, 3, i->resolved_at);
	return change_one(q, S_INC_UPDATE, s, "incident", "the incident", err);
}

static ps_code sq_incident_list(struct ps_store *st, bool open_only, int64_t after, size_t limit, ps_incident_cb cb,
				void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INC_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, after);
	bind_i64(s, 2, open_only ? 1 : 0);
	bind_limit(s, 3, limit);
	return walk(q, S_INC_LIST, s, visit_incident, (union list_cb){.incident = cb}, arg, err);
}

/* ---- Money, operations, audit ----------------------------------------- */

static ps_code sq_invoice_insert(struct ps_store *st, struct ps_invoice *inv, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INVOICE_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, inv->tenant_id);
	bind_opt(s, 2, inv->subscription_id);
	bind_i64(s, 3, inv->amount);
	bind_i64(s, 4, inv->paid);
	BIND_STR(s, 5, inv->currency);
	bind_i64(s, 6, inv->issued_at);
	bind_i64(s, 7, inv->due_at);
	sqlite3_bind_text(s, 8, ps_invoice_status_name(inv->status), -1, SQLITE_STATIC);
	c = insert_id(q, S_INVOICE_INSERT, s, &inv->id, err);
	if (c == PS_NOT_FOUND) {
		const int64_t refs[] = {inv->subscription_id};
		const char *const fields[] = {"subscription"};
		c = name_missing(q, inv->tenant_id, refs, fields, 1, err);
	}
	return c;
}

static ps_code sq_credit_check_insert(struct ps_store *st, struct ps_credit_check *cc, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CREDIT_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, cc->tenant_id);
	sqlite3_bind_text(s, 2, ps_credit_status_name(cc->status), -1, SQLITE_STATIC);
	bind_i64(s, 3, cc->amount);
	bind_i64(s, 4, cc->requested_at);
	bind_i64(s, 5, cc->expected_by);
	bind_opt(s, 6, cc->decided_at);
	bind_opt(s, 7, cc->subscription_id);
	bind_opt(s, 8, cc->operation_id);
	return insert_id(q, S_CREDIT_INSERT, s, &cc->id, err);
}

static ps_code sq_operation_insert(struct ps_store *st, struct ps_operation *op, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_OP_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, op->tenant_id);
	sqlite3_bind_text(s, 2, ps_op_kind_name(op->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ps_op_state_name(op->state), -1, SQLITE_STATIC);
	bind_i64(s, 4, op->source_sub);
	BIND_STR(s, 5, op->target_plan);
	bind_opt(s, 6, op->new_sub);
	bind_i64(s, 7, op->created_at);
	bind_i64(s, 8, op->updated_at);
	bind_i64(s, 9, op->quantity);
	bind_opt(s, 10, op->credit_check_id);
	BIND_STR(s, 11, op->request_id);
	BIND_STR(s, 12, op->detail);
	c = insert_id(q, S_OP_INSERT, s, &op->id, err);
	if (c == PS_NOT_FOUND) {
		const int64_t refs[] = {op->source_sub, op->new_sub};
		const char *const fields[] = {"source", "new_subscription"};
		c = name_missing(q, op->tenant_id, refs, fields, 2, err);
	}
	return c;
}

static ps_code sq_audit_insert(struct ps_store *st, struct ps_audit *a, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_AUDIT_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, a->tenant_id);
	bind_i64(s, 2, a->at);
	bind_i64(s, 3, a->token_id);
	sqlite3_bind_text(s, 4, ps_role_name(a->role), -1, SQLITE_STATIC);
	BIND_STR(s, 5, a->action);
	BIND_STR(s, 6, a->object);
	BIND_STR(s, 7, a->request_id);
	BIND_STR(s, 8, a->detail);
	return insert_id(q, S_AUDIT_INSERT, s, &a->id, err);
}

static ps_code sq_audit_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_audit_cb cb,
			     void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_AUDIT_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, after);
	bind_limit(s, 3, limit);
	return walk(q, S_AUDIT_LIST, s, visit_audit, (union list_cb){.audit = cb}, arg, err);
}

/* ---- Schema version 2: the clock, tenants, invoices, payments ---------- */

/* Run a prepared and bound statement that returns no rows. */
static ps_code step_done(struct sq *q, enum stmt_id id, sqlite3_stmt *s, struct ps_err *err)
{
	ps_code c = PS_OK;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

static ps_code sq_clock_get(struct ps_store *st, int64_t *now, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CLOCK_GET, &s, err);
	if (c != PS_OK)
		return c;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*now = col_i64(s, 0);
	else if (rc == SQLITE_DONE)
		c = ps_err_set(err, PS_NOT_FOUND, "clock", "the manual clock has never been set");
	else
		c = fail(q, S_CLOCK_GET, rc, err);
	sqlite3_reset(s);
	return c;
}

static ps_code sq_clock_set(struct ps_store *st, int64_t now, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CLOCK_SET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, now);
	return step_done(q, S_CLOCK_SET, s, err);
}

static ps_code sq_tenant_update(struct ps_store *st, const struct ps_tenant *t, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_TENANT_UPDATE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, t->id);
	bind_i64(s, 2, t->credit_limit);
	return change_one(q, S_TENANT_UPDATE, s, "tenant", "the tenant", err);
}

static ps_code sq_invoice_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_invoice *out,
			      struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INVOICE_GET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, id);
	GET_ONE(q, S_INVOICE_GET, s, read_invoice, out, "invoice", "the invoice", err);
	return c;
}

static ps_code sq_invoice_update(struct ps_store *st, const struct ps_invoice *inv, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INVOICE_UPDATE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, inv->tenant_id);
	bind_i64(s, 2, inv->id);
	bind_i64(s, 3, inv->paid);
	sqlite3_bind_text(s, 4, ps_invoice_status_name(inv->status), -1, SQLITE_STATIC);
	return change_one(q, S_INVOICE_UPDATE, s, "invoice", "the invoice", err);
}

static ps_code sq_invoice_list(struct ps_store *st, int64_t tenant, bool open_only, int64_t after, size_t limit,
			       ps_invoice_cb cb, void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_INVOICE_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, after);
	bind_i64(s, 3, open_only ? 1 : 0);
	bind_limit(s, 4, limit);
	return walk(q, S_INVOICE_LIST, s, visit_invoice, (union list_cb){.invoice = cb}, arg, err);
}

static ps_code sq_invoice_line_insert(struct ps_store *st, struct ps_invoice_line *l, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_LINE_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, l->tenant_id);
	bind_i64(s, 2, l->invoice_id);
	bind_opt(s, 3, l->subscription_id);
	sqlite3_bind_text(s, 4, ps_line_kind_name(l->kind), -1, SQLITE_STATIC);
	BIND_STR(s, 5, l->plan_id);
	bind_i64(s, 6, l->quantity);
	bind_i64(s, 7, l->period_start);
	bind_i64(s, 8, l->period_end);
	bind_i64(s, 9, l->amount);
	BIND_STR(s, 10, l->description);
	c = insert_id(q, S_LINE_INSERT, s, &l->id, err);
	if (c == PS_NOT_FOUND) {
		if (!exists(q, S_EXISTS_INVOICE, l->tenant_id, l->invoice_id))
			c = ps_err_set(err, PS_NOT_FOUND, "invoice", "the invoice does not exist for this tenant");
		else if (l->subscription_id != 0 && !exists(q, S_EXISTS_SUB, l->tenant_id, l->subscription_id))
			c = ps_err_set(err, PS_NOT_FOUND, "subscription",
				       "subscription: the subscription does not exist for this tenant");
	}
	return c;
}

static ps_code sq_invoice_line_list(struct ps_store *st, int64_t tenant, int64_t invoice, ps_line_cb cb, void *arg,
				    struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_LINE_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, invoice);
	return walk(q, S_LINE_LIST, s, visit_line, (union list_cb){.line = cb}, arg, err);
}

static ps_code sq_payment_insert(struct ps_store *st, struct ps_receipt *p, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_PAY_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, p->tenant_id);
	bind_i64(s, 2, p->amount);
	BIND_STR(s, 3, p->currency);
	bind_i64(s, 4, p->received_at);
	return insert_id(q, S_PAY_INSERT, s, &p->id, err);
}

static ps_code sq_payment_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_payment_cb cb,
			       void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_PAY_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, after);
	bind_limit(s, 3, limit);
	return walk(q, S_PAY_LIST, s, visit_payment, (union list_cb){.payment = cb}, arg, err);
}

static ps_code sq_payment_total(struct ps_store *st, int64_t tenant, int64_t *total, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_PAY_TOTAL, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*total = col_i64(s, 0);
	else
		c = fail(q, S_PAY_TOTAL, rc == SQLITE_DONE ? SQLITE_ERROR : rc, err);
	sqlite3_reset(s);
	return c;
}

/* ---- Schema version 2: credit checks and operations -------------------- */

static ps_code sq_credit_check_get(struct ps_store *st, int64_t id, struct ps_credit_check *out, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CREDIT_GET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, id);
	GET_ONE(q, S_CREDIT_GET, s, read_credit, out, "credit_check", "the credit check", err);
	return c;
}

static ps_code sq_credit_check_update(struct ps_store *st, const struct ps_credit_check *cc, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CREDIT_UPDATE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, cc->tenant_id);
	bind_i64(s, 2, cc->id);
	sqlite3_bind_text(s, 3, ps_credit_status_name(cc->status), -1, SQLITE_STATIC);
	bind_opt(s, 4, cc->decided_at);
	bind_i64(s, 5, cc->amount);
	return change_one(q, S_CREDIT_UPDATE, s, "credit_check", "the credit check", err);
}

static ps_code sq_credit_check_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_credit_cb cb,
				    void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_CREDIT_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, after);
	bind_limit(s, 3, limit);
	return walk(q, S_CREDIT_LIST, s, visit_credit, (union list_cb){.credit = cb}, arg, err);
}

static ps_code sq_operation_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_operation *out,
				struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_OP_GET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, id);
	GET_ONE(q, S_OP_GET, s, read_op, out, "operation", "the operation", err);
	return c;
}

static ps_code sq_operation_update(struct ps_store *st, const struct ps_operation *op, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_OP_UPDATE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, op->tenant_id);
	bind_i64(s, 2, op->id);
	sqlite3_bind_text(s, 3, ps_op_state_name(op->state), -1, SQLITE_STATIC);
	bind_opt(s, 4, op->new_sub);
	bind_opt(s, 5, op->credit_check_id);
	bind_i64(s, 6, op->updated_at);
	BIND_STR(s, 7, op->detail);
	return change_one(q, S_OP_UPDATE, s, "operation", "the operation", err);
}

static ps_code sq_operation_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_operation_cb cb,
				 void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_OP_LIST, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, after);
	bind_limit(s, 3, limit);
	return walk(q, S_OP_LIST, s, visit_operation, (union list_cb){.operation = cb}, arg, err);
}

static ps_code sq_operation_find_by_new_sub(struct ps_store *st, int64_t tenant, int64_t new_sub,
					    struct ps_operation *out, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_OP_BY_NEW_SUB, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, new_sub);
	GET_ONE(q, S_OP_BY_NEW_SUB, s, read_op, out, "operation", "an operation creating this subscription", err);
	return c;
}

/* ---- Schema version 2: moving seats ------------------------------------ */

/* The product of subscription `id` of `tenant` into out; NOT_FOUND naming
 * `field` when there is no such subscription. */
static ps_code sub_product(struct sq *q, int64_t tenant, int64_t id, const char *field, char *out, size_t cap,
			   struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, S_MOVE_TARGET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (!col_str(s, 0, out, cap))
			c = bad_value(err, "subscriptions.product_id");
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s: the subscription does not exist for this tenant", field);
	} else {
		c = fail(q, S_MOVE_TARGET, rc, err);
	}
	sqlite3_reset(s);
	return c;
}

static ps_code add_assigned(struct sq *q, int64_t tenant, int64_t sub, int64_t delta, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = prep(q, S_MOVE_COUNT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, sub);
	bind_i64(s, 3, delta);
	return step_done(q, S_MOVE_COUNT, s, err);
}

/* The move itself, inside the transaction or savepoint of the caller. One
 * UPDATE moves every seat (atomic on its own: a seat that would break the
 * seat rule refuses the whole statement); both counts follow by `n`. */
static ps_code move_seats(struct sq *q, int64_t tenant, int64_t from, int64_t to, const char *product_id,
			  int64_t *n, struct ps_err *err)
{
	char product[PS_ID_MAX + 1], ignored[PS_ID_MAX + 1];
	sqlite3_stmt *s;
	ps_code c;

	if ((c = sub_product(q, tenant, from, "source", ignored, sizeof ignored, err)) != PS_OK)
		return c;
	if ((c = sub_product(q, tenant, to, "new_subscription", product, sizeof product, err)) != PS_OK)
		return c;
	/* A seat's product is its subscription's: the rule "one seat of a
	 * product per user" must see the product the seat will really have. */
	if (product_id != NULL && strcmp(product_id, product) != 0)
		return ps_err_set(err, PS_INVALID_FIELD, "product",
				  "assignments_move: product %.64s is not the new subscription's (%s)", product_id,
				  product);
	if ((c = prep(q, S_MOVE_SEATS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, from);
	bind_i64(s, 3, to);
	sqlite3_bind_text(s, 4, product, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*n = rc == SQLITE_DONE ? sqlite3_changes(q->db) : 0;
	if (rc != SQLITE_DONE)
		c = fail(q, S_MOVE_SEATS, rc, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* product lives on this stack frame */
	if (c != PS_OK || *n == 0 || from == to)
		return c;
	if ((c = add_assigned(q, tenant, from, -*n, err)) != PS_OK)
		return c;
	return add_assigned(q, tenant, to, *n, err);
}

static ps_code sq_assignments_move(struct ps_store *st, int64_t tenant, int64_t from, int64_t to,
				   const char *product_id, int64_t *moved, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	/* The UPDATE and the two counts commit together: in a transaction of
	 * our own outside the caller's, in a savepoint inside it. */
	bool own = sqlite3_get_autocommit(q->db) != 0;
	int64_t n = 0;
	ps_code c = run(q, own ? S_BEGIN_IMMEDIATE : S_SAVEPOINT, err);
	if (c != PS_OK)
		return c;
	c = move_seats(q, tenant, from, to, product_id, &n, err);
	if (c == PS_OK)
		c = run(q, own ? S_COMMIT : S_RELEASE, err);
	if (c != PS_OK) {
		if (!own) {
			run(q, S_ROLLBACK_TO, NULL);
			run(q, S_RELEASE, NULL);
		} else if (!sqlite3_get_autocommit(q->db)) {
			run(q, S_ROLLBACK, NULL);
		}
		return c;
	}
	if (moved)
		*moved = n;
	return PS_OK;
}

/* ---- Schema version 2: idempotency keys, support requests -------------- */

static ps_code sq_idem_find(struct ps_store *st, int64_t tenant, const char *key, struct ps_idem *out,
			    struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	if (key == NULL)
		return ps_err_set(err, PS_NOT_FOUND, "Idempotency-Key", "no such idempotency key");
	ps_code c = prep(q, S_IDEM_FIND, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct ps_idem k;
		memset(&k, 0, sizeof k);
		k.tenant_id = col_i64(s, 0);
		k.status = (int)col_i64(s, 3);
		k.created_at = col_i64(s, 5);
		if (!COL_STR(s, 1, k.key))
			c = bad_value(err, "idempotency.key");
		else if (!COL_STR(s, 2, k.request_hash))
			c = bad_value(err, "idempotency.request_hash");
		if (c == PS_OK) {
			const char *body = COL_TXT(s, 4);
			int len = sqlite3_column_bytes(s, 4);
			k.response = ps_strndup(body ? body : "", len > 0 ? (size_t)len : 0);
			*out = k;
		}
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, "Idempotency-Key", "no such idempotency key");
	} else {
		c = fail(q, S_IDEM_FIND, rc, err);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* drop the pointer to the caller's key */
	return c;
}

static ps_code sq_idem_insert(struct ps_store *st, const struct ps_idem *k, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_IDEM_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, k->tenant_id);
	BIND_STR(s, 2, k->key);
	BIND_STR(s, 3, k->request_hash);
	bind_i64(s, 4, k->status);
	sqlite3_bind_text(s, 5, k->response ? k->response : "", -1, SQLITE_STATIC);
	bind_i64(s, 6, k->created_at);
	c = step_done(q, S_IDEM_INSERT, s, err);
	sqlite3_clear_bindings(s); /* drop the pointers to the caller's text */
	return c;
}

static ps_code sq_idem_complete(struct ps_store *st, const struct ps_idem *k, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_IDEM_COMPLETE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, k->tenant_id);
	BIND_STR(s, 2, k->key);
	bind_i64(s, 3, k->status);
	sqlite3_bind_text(s, 4, k->response ? k->response : "", -1, SQLITE_STATIC);
	c = step_done(q, S_IDEM_COMPLETE, s, err);
	sqlite3_clear_bindings(s);
	if (c == PS_OK && sqlite3_changes(q->db) == 0)
		c = ps_err_set(err, PS_NOT_FOUND, "Idempotency-Key", "no such idempotency key");
	return c;
}

static ps_code sq_idem_delete(struct ps_store *st, int64_t tenant, const char *key, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_IDEM_DELETE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	c = step_done(q, S_IDEM_DELETE, s, err);
	sqlite3_clear_bindings(s);
	return c;
}

static ps_code sq_idem_purge(struct ps_store *st, int64_t before, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_IDEM_PURGE, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, before);
	return step_done(q, S_IDEM_PURGE, s, err);
}

static ps_code sq_support_insert(struct ps_store *st, struct ps_support_request *r, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s;
	ps_code c = prep(q, S_SUPPORT_INSERT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, r->tenant_id);
	bind_opt(s, 2, r->subscription_id);
	BIND_STR(s, 3, r->reason_codes);
	BIND_STR(s, 4, r->description);
	sqlite3_bind_text(s, 5, ps_support_status_name(r->status), -1, SQLITE_STATIC);
	bind_i64(s, 6, r->created_at);
	bind_i64(s, 7, r->token_id);
	c = insert_id(q, S_SUPPORT_INSERT, s, &r->id, err);
	if (c == PS_NOT_FOUND) {
		const int64_t refs[] = {r->subscription_id};
		const char *const fields[] = {"subscription"};
		c = name_missing(q, r->tenant_id, refs, fields, 1, err);
	}
	return c;
}

static ps_code sq_support_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_support_cb cb,
			       void *arg, struct ps_err *err)
{
	struct sq *q = sq_of(st);
	enum stmt_id id = tenant == 0 ? S_SUPPORT_LIST_ALL : S_SUPPORT_LIST;
	sqlite3_stmt *s;
	ps_code c = prep(q, id, &s, err);
	if (c != PS_OK)
		return c;
	int i = 1;
	if (tenant != 0)
		bind_i64(s, i++, tenant);
	bind_i64(s, i++, after);
	bind_limit(s, i, limit);
	return walk(q, id, s, visit_support, (union list_cb){.support = cb}, arg, err);
}

/* ---- The snapshot ------------------------------------------------------ */

/* Step a prepared and bound query, calling `row` for each row. */
static ps_code each_row(struct sq *q, enum stmt_id id, sqlite3_stmt *s, struct ps_snapshot *snap,
			ps_code (*row)(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err),
			struct ps_err *err)
{
	ps_code c = PS_OK;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c = row(s, snap, err);
		if (c != PS_OK)
			break;
	}
	if (c == PS_OK && rc != SQLITE_DONE)
		c = fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

static ps_code snap_sub_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	return read_sub(s, &ps_snapshot_add_sub(snap)->s, err);
}

static ps_code snap_incident_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_incident i;
	ps_code c = read_incident(s, &i, err);
	if (c != PS_OK)
		return c;
	struct ps_snap_incident *si = ps_snapshot_add_incident(snap);
	si->id = i.id;
	memcpy(si->service_id, i.service_id, sizeof si->service_id);
	si->status = i.status;
	return PS_OK;
}

static ps_code snap_op_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	return read_op(s, ps_snapshot_add_op(snap), err);
}

static ps_code snap_credit_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	snap->has_credit_check = true;
	return read_credit(s, &snap->credit_check, err);
}

static ps_code snap_past_due_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	snap->past_due = col_i64(s, 0);
	snap->oldest_due = col_i64(s, 1);
	return PS_OK;
}

static ps_code snap_capacity_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	snap->capacity_used = col_i64(s, 0);
	snap->capacity_oldest = col_i64(s, 1);
	return PS_OK;
}

static ps_code load(struct sq *q, int64_t tenant, int64_t now, struct ps_snapshot *snap, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c;
	int64_t window_start = now > INT64_MIN + PS_CAPACITY_WINDOW_S ? now - PS_CAPACITY_WINDOW_S : INT64_MIN;

	if ((c = prep(q, S_SNAP_TENANT, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	GET_ONE(q, S_SNAP_TENANT, s, read_tenant, &snap->tenant, "tenant", "the tenant", err);
	if (c != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_SUBS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, S_SNAP_SUBS, s, snap, snap_sub_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_INC_OPEN, &s, err)) != PS_OK)
		return c;
	if ((c = each_row(q, S_INC_OPEN, s, snap, snap_incident_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_OPS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, S_SNAP_OPS, s, snap, snap_op_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_CREDIT, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, S_SNAP_CREDIT, s, snap, snap_credit_row, err)) != PS_OK)
		return c;

	if ((c = prep(q, S_SNAP_PAST_DUE, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, now);
	if ((c = each_row(q, S_SNAP_PAST_DUE, s, snap, snap_past_due_row, err)) != PS_OK)
		return c;

	/* The count of automatic upgrades in the window walks every one of
	 * them: as many index entries as the capacity allows (1,000 an hour by
	 * default), for every tenant loaded. It does not depend on the tenant:
	 * in a read transaction it is reused while `now` and the database are
	 * unchanged (SQLITE_FCNTL_DATA_VERSION moves with every commit, of any
	 * connection). A write transaction always counts. */
	unsigned version = 0;
	bool reuse = sqlite3_txn_state(q->db, "main") == SQLITE_TXN_READ &&
		     sqlite3_file_control(q->db, "main", SQLITE_FCNTL_DATA_VERSION, &version) == SQLITE_OK;
	if (reuse && q->cap_valid && q->cap_now == now && q->cap_version == version) {
		snap->capacity_used = q->cap_used;
		snap->capacity_oldest = q->cap_oldest;
		return PS_OK;
	}
	if ((c = prep(q, S_SNAP_CAPACITY, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, window_start);
	bind_i64(s, 2, now);
	c = each_row(q, S_SNAP_CAPACITY, s, snap, snap_capacity_row, err);
	q->cap_valid = c == PS_OK && reuse;
	q->cap_now = now;
	q->cap_used = snap->capacity_used;
	q->cap_oldest = snap->capacity_oldest;
	q->cap_version = version;
	return c;
}

static ps_code sq_snapshot_load(struct ps_store *st, int64_t tenant, int64_t now, struct ps_snapshot *snap,
				struct ps_err *err)
{
	struct sq *q = sq_of(st);
	/* Outside the caller's transaction, one read transaction of our own
	 * makes the queries see one state. */
	bool own = sqlite3_get_autocommit(q->db) != 0;
	ps_code c;

	ps_snapshot_reset(snap);
	if (own && (c = run(q, S_BEGIN, err)) != PS_OK)
		return c;
	c = load(q, tenant, now, snap, err);
	snap->capacity_limit = 0;
	if (own) {
		if (c == PS_OK)
			c = run(q, S_COMMIT, err);
		if (!sqlite3_get_autocommit(q->db))
			run(q, S_ROLLBACK, NULL);
	}
	return c;
}

/* ---- Snapshots of many tenants (sweeps) -------------------------------- */

/* A cursor over one of the scan statements: all of them give rows in
 * tenant order, the tenant id in column 0. */
struct scan_cur {
	struct sq *q;
	enum stmt_id id;
	sqlite3_stmt *s;
	bool row;
};

static ps_code cur_next(struct scan_cur *k, struct ps_err *err)
{
	int rc = sqlite3_step(k->s);
	k->row = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PS_OK : fail(k->q, k->id, rc, err);
}

static ps_code cur_open(struct sq *q, struct scan_cur *k, enum stmt_id id, int64_t lo, int64_t hi, int64_t now,
			struct ps_err *err)
{
	k->q = q;
	k->id = id;
	k->row = false;
	ps_code c = prep(q, id, &k->s, err);
	if (c != PS_OK)
		return c;
	bind_i64(k->s, 1, lo);
	bind_i64(k->s, 2, hi);
	if (id == S_SCAN_PAST_DUE)
		bind_i64(k->s, 3, now);
	return cur_next(k, err);
}

static void cur_close(struct scan_cur *k)
{
	if (k->s)
		sqlite3_reset(k->s);
	k->s = NULL;
}

/* Rows of k before tenant t are skipped (rows of a tenant deleted
 * meanwhile cannot be in one read transaction; this only keeps the merge
 * in step); then true when the current row is t's. */
static ps_code cur_at(struct scan_cur *k, int64_t t, bool *at, struct ps_err *err)
{
	ps_code c = PS_OK;
	while (c == PS_OK && k->row && col_i64(k->s, 0) < t)
		c = cur_next(k, err);
	*at = c == PS_OK && k->row && col_i64(k->s, 0) == t;
	return c;
}

static ps_code scan(struct sq *q, int64_t after, size_t limit, int64_t now, struct ps_snapshot *snap,
		    ps_snapshot_cb cb, void *arg, int64_t *last, struct ps_err *err)
{
	struct ps_tenant *tenants = NULL;
	size_t n = 0, cap = 0;
	struct ps_snapshot shared; /* what every tenant's snapshot shares */
	struct scan_cur subs = {0}, ops = {0}, credit = {0}, due = {0};
	sqlite3_stmt *s;
	ps_code c;

	ps_snapshot_init(&shared);
	/* The batch's tenants first: their last id bounds the other queries. */
	if ((c = prep(q, S_SCAN_TENANTS, &s, err)) != PS_OK)
		goto out;
	bind_i64(s, 1, after);
	bind_limit(s, 2, limit);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ps_grow((void **)&tenants, &cap, n + 1, sizeof *tenants);
		if ((c = read_tenant(s, &tenants[n++], err)) != PS_OK)
			break;
	}
	if (c == PS_OK && rc != SQLITE_DONE)
		c = fail(q, S_SCAN_TENANTS, rc, err);
	sqlite3_reset(s);
	if (c != PS_OK || n == 0)
		goto out;

	/* Open incidents and the capacity window: the same for every tenant. */
	if ((c = prep(q, S_INC_OPEN, &s, err)) != PS_OK ||
	    (c = each_row(q, S_INC_OPEN, s, &shared, snap_incident_row, err)) != PS_OK)
		goto out;
	int64_t window_start = now > INT64_MIN + PS_CAPACITY_WINDOW_S ? now - PS_CAPACITY_WINDOW_S : INT64_MIN;
	if ((c = prep(q, S_SNAP_CAPACITY, &s, err)) != PS_OK)
		goto out;
	bind_i64(s, 1, window_start);
	bind_i64(s, 2, now);
	if ((c = each_row(q, S_SNAP_CAPACITY, s, &shared, snap_capacity_row, err)) != PS_OK)
		goto out;

	int64_t hi = tenants[n - 1].id;
	if ((c = cur_open(q, &subs, S_SCAN_SUBS, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &ops, S_SCAN_OPS, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &credit, S_SCAN_CREDIT, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &due, S_SCAN_PAST_DUE, after, hi, now, err)) != PS_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int64_t t = tenants[i].id;
		bool at;
		ps_snapshot_reset(snap);
		snap->tenant = tenants[i];
		while ((c = cur_at(&subs, t, &at, err)) == PS_OK && at) {
			if ((c = snap_sub_row(subs.s, snap, err)) != PS_OK || (c = cur_next(&subs, err)) != PS_OK)
				break;
		}
		if (c != PS_OK)
			break;
		for (size_t k = 0; k < shared.n_incidents; k++)
			*ps_snapshot_add_incident(snap) = shared.incidents[k];
		while ((c = cur_at(&ops, t, &at, err)) == PS_OK && at) {
			if ((c = snap_op_row(ops.s, snap, err)) != PS_OK || (c = cur_next(&ops, err)) != PS_OK)
				break;
		}
		if (c != PS_OK)
			break;
		/* The oldest pending credit check comes first; the others are skipped. */
		if ((c = cur_at(&credit, t, &at, err)) != PS_OK || (at && (c = snap_credit_row(credit.s, snap, err)) != PS_OK))
			break;
		while (c == PS_OK && credit.row && col_i64(credit.s, 0) == t)
			c = cur_next(&credit, err);
		if (c != PS_OK || (c = cur_at(&due, t, &at, err)) != PS_OK)
			break;
		if (at) {
			snap->past_due = col_i64(due.s, 1);
			snap->oldest_due = col_i64(due.s, 2);
		}
		snap->capacity_used = shared.capacity_used;
		snap->capacity_oldest = shared.capacity_oldest;
		snap->capacity_limit = 0;
		*last = t;
		if (!cb(arg, snap))
			break;
	}
out:
	cur_close(&subs);
	cur_close(&ops);
	cur_close(&credit);
	cur_close(&due);
	ps_snapshot_fini(&shared);
	ps_free(tenants);
	return c;
}

static ps_code sq_snapshot_scan(struct ps_store *st, int64_t after, size_t limit, int64_t now,
				struct ps_snapshot *snap, ps_snapshot_cb cb, void *arg, int64_t *last,
				struct ps_err *err)
{
	struct sq *q = sq_of(st);
	bool own = sqlite3_get_autocommit(q->db) != 0;
	ps_code c;

	*last = after;
	if (own && (c = run(q, S_BEGIN, err)) != PS_OK)
		return c;
	c = scan(q, after, limit, now, snap, cb, arg, last, err);
	if (own) {
		if (c == PS_OK)
			c = run(q, S_COMMIT, err);
		if (!sqlite3_get_autocommit(q->db))
			run(q, S_ROLLBACK, NULL);
	}
	return c;
}

/* ---- Opening ----------------------------------------------------------- */

/* Every method of ps_store.h, sq_NAME each: a missing one does not compile. */
#define OP(ret, name, params, args) .name = sq_##name,
static const struct ps_store_ops sqlite_ops = {.name = "sqlite", PS_STORE_METHODS(OP)};
#undef OP

/* Run a pragma and copy its first value (if any) into val. */
static int pragma(sqlite3 *db, const char *sql, char *val, size_t cap)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		val[0] = '\0';
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			if (!col_str(s, 0, val, cap))
				val[0] = '\0';
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

ps_code ps_sqlite_open(const char *path, struct ps_store **out, struct ps_err *err)
{
	sqlite3 *db = NULL;
	struct sq *q;
	char val[32];
	ps_code c = PS_OK;
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "db", "the SQLite store needs a file path");
	if (sqlite3_libversion_number() < 3037000)
		return ps_err_set(err, PS_STORE, "db", "SQLite %s is too old: planshift needs 3.37 or later",
				  sqlite3_libversion());

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		c = ps_err_set(err, PS_STORE, "db", "cannot open the SQLite store %s: %s", path,
			       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* Double-quoted strings are identifiers, never literals. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);

	rc = pragma(db, "PRAGMA journal_mode = WAL", val, sizeof val);
	if (rc == SQLITE_OK && strcmp(val, "wal") != 0 && strcmp(val, "memory") != 0) {
		c = ps_err_set(err, PS_STORE, "db", "cannot put the SQLite store %s in WAL mode (journal_mode is %s)",
			       path, val);
		goto out;
	}
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA foreign_keys = ON", val, sizeof val);
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA foreign_keys", val, sizeof val);
	if (rc == SQLITE_OK && strcmp(val, "1") != 0) {
		c = ps_err_set(err, PS_STORE, "db", "this SQLite library cannot enforce foreign keys");
		goto out;
	}
	if (rc == SQLITE_OK)
		rc = pragma(db, "PRAGMA synchronous = FULL", val, sizeof val);
	if (rc != SQLITE_OK) {
		c = ps_err_set(err, PS_STORE, "db", "cannot open the SQLite store %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}

	q = ps_calloc(1, sizeof *q);
	q->base.ops = &sqlite_ops;
	q->db = db;
	db = NULL;
	*out = &q->base;
out:
	sqlite3_close(db);
	return c;
}
