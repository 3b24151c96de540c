/* store_int.h: what the two SQL backends share, private to src/store (store
 * layer). One statement table (stmts.c), row decoders over a small column
 * accessor (rows.c), and the method bodies written once over a backend's
 * executor (methods.c). A backend's struct starts with struct ps_sql, whose
 * executor runs a backend-neutral query its own way: SQLite binds and
 * steps; PostgreSQL sends it in its pipeline, with its locks and savepoint. */
#ifndef PS_STORE_INT_H
#define PS_STORE_INT_H

#include "ps_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Statements (stmts.c) ------------------------------------------------ */

/* Every statement of both backends. A backend uses those it has a text for. */
enum ps_stmt {
	/* SQLite's own: transactions, the file's header, moving seats */
	PS_S_BEGIN,
	PS_S_BEGIN_IMMEDIATE,
	PS_S_COMMIT,
	PS_S_ROLLBACK,
	PS_S_APP_ID,
	PS_S_USER_VERSION,
	PS_S_SCHEMA_COUNT,
	PS_S_SAVEPOINT,
	PS_S_RELEASE,
	PS_S_ROLLBACK_TO,
	PS_S_MOVE_TARGET,
	PS_S_MOVE_COUNT,
	PS_S_EXISTS_SUB,
	PS_S_EXISTS_INVOICE,
	/* PostgreSQL's own: locks, moving seats */
	PS_S_LOCK,
	PS_S_MOVE_SUBS,
	/* both */
	PS_S_CATALOG_VERSION_INSERT,
	PS_S_CATALOG_PUT,
	PS_S_CATALOG_GET,
	PS_S_CATALOG_VERSION,
	PS_S_VERSIONS,
	PS_S_CATALOG_HOLD_SHARED,
	PS_S_CATALOG_HOLD_ALONE,
	PS_S_CATALOG_VERSIONS,
	PS_S_PLAN_LIVE_COUNT,
	PS_S_TOKEN_INSERT,
	PS_S_TOKEN_FIND,
	PS_S_TOKEN_TOUCH,
	PS_S_TOKEN_GET,
	PS_S_TOKEN_LIST,
	PS_S_TOKEN_REVOKE,
	PS_S_TOKEN_END_SESSIONS,
	PS_S_SESSION_INSERT,
	PS_S_SESSION_FIND,
	PS_S_SESSION_TOUCH,
	PS_S_SESSION_DELETE,
	PS_S_SESSION_PURGE,
	PS_S_TENANT_INSERT,
	PS_S_TENANT_GET,
	PS_S_TENANT_LIST,
	PS_S_TENANT_UPDATE,
	PS_S_USER_INSERT,
	PS_S_USER_GET,
	PS_S_USER_LIST,
	PS_S_SUB_INSERT,
	PS_S_SUB_GET,
	PS_S_SUB_LIST,
	PS_S_SUB_UPDATE,
	PS_S_ASSIGN_INSERT,
	PS_S_ASSIGN_DELETE,
	PS_S_ASSIGN_LIST,
	PS_S_INC_INSERT,
	PS_S_INC_GET,
	PS_S_INC_UPDATE,
	PS_S_INC_LIST,
	PS_S_INC_NOTE_INSERT,
	PS_S_INC_NOTE_LIST,
	PS_S_OPUSERS_PUT,
	PS_S_SOME_KEEP,
	PS_S_SOME_MOVE,
	PS_S_SOME_COUNT,
	PS_S_INVOICE_INSERT,
	PS_S_INVOICE_GET,
	PS_S_INVOICE_UPDATE,
	PS_S_INVOICE_LIST,
	PS_S_LINE_INSERT,
	PS_S_LINE_LIST,
	PS_S_PAY_INSERT,
	PS_S_PAY_LIST,
	PS_S_PAY_TOTAL,
	PS_S_CREDIT_INSERT,
	PS_S_CREDIT_GET,
	PS_S_CREDIT_UPDATE,
	PS_S_CREDIT_LIST,
	PS_S_CREDIT_LIST_ALL,
	PS_S_OP_INSERT,
	PS_S_OP_GET,
	PS_S_OP_UPDATE,
	PS_S_OP_LIST,
	PS_S_OP_BY_NEW_SUB,
	PS_S_OP_SCHEDULED,
	PS_S_OP_COUNT,
	PS_S_AUDIT_INSERT,
	PS_S_AUDIT_LIST,
	PS_S_EXISTS_TENANT,
	PS_S_CLOCK_GET,
	PS_S_CLOCK_SET,
	PS_S_MOVE_SEATS,
	PS_S_IDEM_FIND,
	PS_S_IDEM_INSERT,
	PS_S_IDEM_COMPLETE,
	PS_S_IDEM_DELETE,
	PS_S_IDEM_PURGE,
	PS_S_IDEM_TAKE,
	PS_S_IDEM_CHANGED,
	PS_S_WAL_POSITION,
	PS_S_SUPPORT_INSERT,
	PS_S_SUPPORT_LIST,
	PS_S_SUPPORT_LIST_ALL,
	/* the snapshot, and snapshot_scan's range queries */
	PS_S_SNAP_TENANT,
	PS_S_SNAP_SUBS,
	PS_S_SNAP_INCIDENTS,
	PS_S_SNAP_OPS,
	PS_S_SNAP_CREDIT,
	PS_S_SNAP_PAST_DUE,
	PS_S_SNAP_CAPACITY,
	PS_S_SCAN_TENANTS,
	PS_S_SCAN_SUBS,
	PS_S_SCAN_OPS,
	PS_S_SCAN_CREDIT,
	PS_S_SCAN_PAST_DUE,
	PS_S_JOB_INSERT,
	PS_S_JOB_SEED_RENEWALS,
	PS_S_JOB_CLAIM,
	PS_S_JOB_DELETE,
	PS_S_JOB_REMOVE,
	PS_S_JOB_UPDATE,
	PS_S_JOB_COUNT_DUE,
	PS_S_EVENT_APPEND,
	PS_S_EVENT_LIST,
	PS_S_EVENT_LIST_TENANT,
	PS_S_EVENT_PRUNE,
	PS_S_WEBHOOK_INSERT,
	PS_S_WEBHOOK_GET,
	PS_S_WEBHOOK_LIST,
	PS_S_WEBHOOK_UPDATE,
	PS_S_WEBHOOK_DELETE,
	PS_S_WEBHOOK_ADVANCE,
	PS_S_DELIVERY_INSERT,
	PS_S_DELIVERY_LIST,
	PS_S_DELIVERY_CLAIM,
	PS_S_DELIVERY_RECORD,
	PS_S_DELIVERY_COUNT_DUE,
	PS_S_EVENT_HEAD,
	PS_S_EVENT_GET,
	PS_S__COUNT
};

enum ps_sql_backend { PS_SQLITE, PS_PG };

/* A statement: the method it serves (for messages), its text, and what its
 * refusals mean to the caller. `sql` is the text of both backends, with
 * ?N placeholders; `sqlite` or `pg` is a backend's own text where the SQL
 * truly differs (the table says why at each). conflict: the field a
 * uniqueness violation names; missing: the field a refused reference
 * names when nothing more precise is known (missing_msg: SQLite's
 * sentence for it; PostgreSQL names the constraint's field). */
struct ps_stmt_def {
	const char *name;
	const char *sql;
	const char *sqlite;
	const char *pg;
	const char *conflict;
	const char *conflict_msg;
	const char *missing;
	const char *missing_msg;
	/* Outside a transaction, running it twice leaves what running it once
	 * does: after a lost connection it runs again on a new one. */
	bool repeatable;
};

extern const struct ps_stmt_def ps_stmts[PS_S__COUNT];

/* The text `be` prepares for statement id, into buf: ?N placeholders become
 * $N for PostgreSQL, and {table} (a new row's id) becomes the next id of
 * SQLite's sequences table or PostgreSQL's DEFAULT (its identity). NULL
 * when the backend has no such statement or buf is too small. */
const char *ps_stmt_text(enum ps_sql_backend be, enum ps_stmt id, char *buf, size_t cap);

/* The migrations, src/store/sql/BACKEND/NNN.sql, embedded by tools/embed.c. */
extern const char ps_sql_sqlite_001[], ps_sql_sqlite_002[], ps_sql_sqlite_003[], ps_sql_sqlite_004[], ps_sql_sqlite_005[],
    ps_sql_sqlite_006[], ps_sql_sqlite_007[], ps_sql_sqlite_008[], ps_sql_sqlite_009[], ps_sql_sqlite_010[], ps_sql_sqlite_011[], ps_sql_sqlite_012[], ps_sql_sqlite_013[], ps_sql_pg_001[], ps_sql_pg_002[],
    ps_sql_pg_003[], ps_sql_pg_004[], ps_sql_pg_005[], ps_sql_pg_006[], ps_sql_pg_007[], ps_sql_pg_008[], ps_sql_pg_009[], ps_sql_pg_010[], ps_sql_pg_011[], ps_sql_pg_012[], ps_sql_pg_013[];

/* SQLite's steps in order: [k] takes the schema from version k to k + 1
 * (the tests build an older store with them). */
extern const char *const ps_sqlite_migrations[PS_SCHEMA_VERSION];
extern const char *const ps_pg_migrations[PS_SCHEMA_VERSION];

/* ---- Queries: a statement and its typed parameters -------------------- */

#define PS_PARAMS_MAX 16

enum ps_param_kind { PS_P_I64, PS_P_NULL, PS_P_TEXT, PS_P_BOOL };

struct ps_param {
	enum ps_param_kind kind;
	int64_t i64; /* PS_P_I64, PS_P_BOOL (0 or 1) */
	const char *s; /* PS_P_TEXT: len bytes, not necessarily NUL-terminated */
	size_t len;
};

/* A reference of a new or changed row that a refusal may be about: SQLite
 * asks which one is missing (exists: the lookup by (tenant, id)); opt: 0
 * means no reference. msg: the sentence, or NULL for "FIELD: the
 * subscription does not exist for this tenant". */
struct ps_ref {
	enum ps_stmt exists;
	int64_t id;
	const char *field;
	const char *msg;
	bool opt;
};

struct ps_query {
	enum ps_stmt id;
	int n;
	struct ps_param p[PS_PARAMS_MAX];
	int64_t lock;   /* the tenant whose lock a PostgreSQL write transaction takes first (0: none) */
	int64_t tenant; /* the row's tenant, named when it is missing (0: not asked) */
	const struct ps_ref *refs; /* the row's other references (NULL: SQLite does not ask) */
	size_t n_refs;
	int64_t owner; /* with refs: the tenant they are looked up in */
};

void ps_q_init(struct ps_query *q, enum ps_stmt id, int64_t lock);
void ps_q_i64(struct ps_query *q, int64_t v);
void ps_q_opt(struct ps_query *q, int64_t v); /* an optional reference or time: 0 is NULL */
void ps_q_bool(struct ps_query *q, bool b);
void ps_q_text(struct ps_query *q, const char *s, size_t n);
void ps_q_str(struct ps_query *q, const char *s); /* NUL-terminated; NULL is "" */
/* Text from a fixed-size field: never read past the array. */
#define PS_Q_FIELD(q, field) ps_q_text(q, field, strnlen(field, sizeof(field)))

/* ---- Rows: a column accessor each backend implements ------------------- */

struct ps_row;

struct ps_row_ops {
	int64_t (*i64)(const struct ps_row *r, int col); /* NULL reads as 0 */
	/* The bytes of a text column ("" for NULL), *len their count (len may be NULL). */
	const char *(*text)(const struct ps_row *r, int col, size_t *len);
};

struct ps_row {
	const struct ps_row_ops *ops;
	const void *h; /* the backend's statement or result */
	int i;         /* the row, where the backend holds several */
};

static inline int64_t ps_col_i64(const struct ps_row *r, int col)
{
	return r->ops->i64(r, col);
}

/* Decode the current row into out (a struct of the decoder's type). */
typedef ps_code (*ps_decode_fn)(const struct ps_row *r, void *out, struct ps_err *err);

/* The decoders (rows.c): each fully overwrites its out-struct; a value the
 * store should never hold is PS_STORE naming its column. */
ps_code ps_read_tenant(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_user(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_sub(const struct ps_row *r, void *out, struct ps_err *err);
/* ps_read_sub and `scheduled` (SUB_COLS_SCHED's last column). */
ps_code ps_read_sub_sched(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_assignment(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_incident(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_incident_update(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_op(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_credit(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_invoice(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_line(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_payment(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_support(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_audit(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_principal(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_token(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_idem(const struct ps_row *r, void *out, struct ps_err *err); /* out->response allocated */
/* out: struct ps_catalog_doc (the document into its buffer, and its version) */
ps_code ps_read_catalog(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_catalog_version(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_job(const struct ps_row *r, void *out, struct ps_err *err);
/* out: struct ps_event, its data pointing into the row */
ps_code ps_read_event(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_webhook(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_delivery(const struct ps_row *r, void *out, struct ps_err *err);
ps_code ps_read_i64(const struct ps_row *r, void *out, struct ps_err *err);  /* column 0 */
ps_code ps_read_i64_pair(const struct ps_row *r, void *out, struct ps_err *err); /* columns 0 and 1, an int64_t[2] */
/* Snapshot rows: an open incident, the past-due sum (columns `col`,
 * `col`+1), the capacity window's count (columns 0, 1). */
ps_code ps_snap_add_incident(const struct ps_row *r, struct ps_snapshot *snap, struct ps_err *err);
void ps_snap_past_due(const struct ps_row *r, int col, struct ps_snapshot *snap);
void ps_snap_capacity(const struct ps_row *r, struct ps_snapshot *snap);
/* The start of the capacity window that ends at now. */
int64_t ps_capacity_window_start(int64_t now);

/* A copy of a text column into dst (cap bytes with the NUL); false when it
 * does not fit. */
bool ps_col_str(const struct ps_row *r, int col, char *dst, size_t cap);
ps_code ps_bad_value(struct ps_err *err, const char *column);

/* ---- Walking a list ------------------------------------------------------ */

union ps_list_cb {
	ps_token_cb token;
	ps_tenant_cb tenant;
	ps_user_cb user;
	ps_sub_cb sub;
	ps_assignment_cb assignment;
	ps_incident_cb incident;
	ps_incident_update_cb incident_update;
	ps_audit_cb audit;
	ps_invoice_cb invoice;
	ps_line_cb line;
	ps_payment_cb payment;
	ps_credit_cb credit;
	ps_operation_cb operation;
	ps_support_cb support;
	ps_catalog_version_cb catalog_version;
	ps_event_cb event;
	ps_webhook_cb webhook;
	ps_delivery_cb delivery;
};

/* What ps_read_catalog fills. */
struct ps_catalog_doc {
	struct ps_buf *json;
	int64_t *version;
};

/* Decode the current row and hand it to the caller's callback; *more is
 * what the callback returned. */
typedef ps_code (*ps_visit_fn)(const struct ps_row *r, union ps_list_cb cb, void *arg, bool *more,
			       struct ps_err *err);

/* ---- The executor: how a backend runs a query ---------------------------- */

struct ps_sql_exec {
	/* A statement that returns no rows (or whose rows are ignored). */
	ps_code (*exec)(struct ps_store *st, struct ps_query *q, struct ps_err *err);
	/* An INSERT ... RETURNING id. */
	ps_code (*insert_id)(struct ps_store *st, struct ps_query *q, int64_t *id, struct ps_err *err);
	/* An UPDATE or DELETE that must change a row: NOT_FOUND (field, msg) when none. */
	ps_code (*change_one)(struct ps_store *st, struct ps_query *q, const char *field, const char *msg,
			      struct ps_err *err);
	/* A SELECT of one row into out: NOT_FOUND (field, msg) when none. */
	ps_code (*get_one)(struct ps_store *st, struct ps_query *q, ps_decode_fn decode, void *out,
			   const char *field, const char *msg, struct ps_err *err);
	/* A list whose last two parameters, (after, limit), the walk binds:
	 * rows in order of column key_col, from after on, at most limit (0: all). */
	ps_code (*walk)(struct ps_store *st, struct ps_query *q, int key_col, int64_t after, size_t limit,
			ps_visit_fn visit, union ps_list_cb cb, void *arg, struct ps_err *err);
};

/* The first member of each SQL backend's handle. */
struct ps_sql {
	struct ps_store base;
	const struct ps_sql_exec *x;
};

static inline struct ps_sql *ps_sql_of(struct ps_store *st)
{
	return (struct ps_sql *)(void *)st;
}

/* The schema checks both backends make once they have read the store's
 * header (methods.c): PS_SCHEMA with the sentence for a store without a
 * schema, for one newer than this binary, and (version) PS_OK when the
 * version is this binary's, else why not. */
ps_code ps_schema_missing(struct ps_err *err);
ps_code ps_schema_newer(int64_t version, struct ps_err *err);
ps_code ps_schema_version(int64_t version, struct ps_err *err);

/* Declare fn as a function of the type of the store method `method`:
 * a backend's own methods, declared across its files, cannot drift from
 * ps_store.h. */
#define PS_STORE_METHOD(fn, method) __typeof__(*((struct ps_store_ops *)0)->method) fn

/* ---- The methods written once (methods.c) -------------------------------- */

/* The methods whose bodies are the same on both backends: name as in
 * PS_STORE_METHODS. A backend's table takes these as ps_sql_NAME and
 * defines the others itself (PS_SQL_TABLE checks that it has all). */
#define PS_SQL_SHARED(X)                                                                                               \
	X(catalog_put)                                                                                                 \
	X(catalog_get)                                                                                                 \
	X(catalog_version)                                                                                             \
	X(versions)                                                                                                    \
	X(catalog_version_list)                                                                                        \
	X(catalog_hold)                                                                                                \
	X(plan_live_count)                                                                                             \
	X(token_insert)                                                                                                \
	X(token_find)                                                                                                  \
	X(token_touch)                                                                                                 \
	X(token_get)                                                                                                   \
	X(token_list)                                                                                                  \
	X(token_revoke)                                                                                                \
	X(session_insert)                                                                                              \
	X(session_find)                                                                                                \
	X(session_touch)                                                                                               \
	X(session_delete)                                                                                              \
	X(session_purge)                                                                                               \
	X(tenant_insert)                                                                                               \
	X(tenant_get)                                                                                                  \
	X(tenant_list)                                                                                                 \
	X(tenant_update)                                                                                               \
	X(user_insert)                                                                                                 \
	X(user_get)                                                                                                    \
	X(user_list)                                                                                                   \
	X(sub_insert)                                                                                                  \
	X(sub_get)                                                                                                     \
	X(sub_list)                                                                                                    \
	X(sub_update)                                                                                                  \
	X(assignment_insert)                                                                                           \
	X(assignment_delete)                                                                                           \
	X(assignment_list)                                                                                             \
	X(incident_insert)                                                                                             \
	X(incident_get)                                                                                                \
	X(incident_update)                                                                                             \
	X(incident_list)                                                                                               \
	X(incident_note_insert)                                                                                        \
	X(incident_note_list)                                                                                          \
	X(operation_users_put)                                                                                         \
	X(seats_move_some)                                                                                             \
	X(invoice_insert)                                                                                              \
	X(invoice_get)                                                                                                 \
	X(invoice_update)                                                                                              \
	X(invoice_list)                                                                                                \
	X(invoice_line_insert)                                                                                         \
	X(invoice_line_list)                                                                                           \
	X(payment_insert)                                                                                              \
	X(payment_list)                                                                                                \
	X(payment_total)                                                                                               \
	X(credit_check_insert)                                                                                         \
	X(credit_check_update)                                                                                         \
	X(credit_check_list)                                                                                           \
	X(operation_get)                                                                                               \
	X(operation_update)                                                                                            \
	X(operation_list)                                                                                              \
	X(operation_find_by_new_sub)                                                                                   \
	X(operation_find_scheduled)                                                                                    \
	X(operation_count)                                                                                             \
	X(audit_insert)                                                                                                \
	X(audit_list)                                                                                                  \
	X(clock_get)                                                                                                   \
	X(clock_set)                                                                                                   \
	X(idem_find)                                                                                                   \
	X(idem_insert)                                                                                                 \
	X(idem_complete)                                                                                               \
	X(idem_delete)                                                                                                 \
	X(idem_purge)                                                                                                  \
	X(idem_take)                                                                                                   \
	X(idem_changed)                                                                                                \
	X(wal_position)                                                                                                \
	X(support_insert)                                                                                              \
	X(support_list)                                                                                                \
	X(job_insert)                                                                                                  \
	X(job_seed_renewals)                                                                                           \
	X(job_claim)                                                                                                   \
	X(job_delete)                                                                                                  \
	X(job_remove)                                                                                                  \
	X(job_update)                                                                                                  \
	X(job_count_due)                                                                                               \
	X(event_append)                                                                                                \
	X(event_list)                                                                                                  \
	X(event_prune)                                                                                                 \
	X(webhook_insert)                                                                                              \
	X(webhook_get)                                                                                                 \
	X(webhook_list)                                                                                                \
	X(webhook_update)                                                                                              \
	X(webhook_delete)                                                                                              \
	X(webhook_advance)                                                                                             \
	X(delivery_insert)                                                                                             \
	X(delivery_list)                                                                                               \
	X(delivery_claim)                                                                                              \
	X(delivery_record)                                                                                             \
	X(delivery_count_due)                                                                                          \
	X(event_head)                                                                                                  \
	X(event_get)

/* Each with the type of its method in ps_store.h. */
#define PS_SQL_DECL_(name) PS_STORE_METHOD(ps_sql_##name, name);
PS_SQL_SHARED(PS_SQL_DECL_)
#undef PS_SQL_DECL_

/* Written once too, but not in every backend's table: PostgreSQL locks
 * first (pg_snap.c), then calls these. lock: as in struct ps_query. */
PS_STORE_METHOD(ps_sql_credit_check_get, credit_check_get);
PS_STORE_METHOD(ps_sql_operation_insert, operation_insert);
ps_code ps_sql_credit_check_get_locked(struct ps_store *st, int64_t id, int64_t lock, struct ps_credit_check *out,
				       struct ps_err *err);

/* A backend's ops table: the shared methods, then the backend's own,
 * OWN(X) giving X(name, function) for each. Every method of ps_store.h
 * exactly once, or it does not compile: twice is an initializer
 * overridden (-Werror), a missing one fails the count. */
#define PS_SQL_COUNT_(...)	     +1
#define PS_SQL_SHARED_OP_(name)	     .name = ps_sql_##name,
#define PS_SQL_OWN_OP_(name, fn)     .name = fn,
#define PS_SQL_TABLE(var, label, OWN)                                                                                  \
	_Static_assert(0 PS_SQL_SHARED(PS_SQL_COUNT_) OWN(PS_SQL_COUNT_) == 0 PS_STORE_METHODS(PS_SQL_COUNT_),         \
		       "every store method is shared or the backend's own, once");                                     \
	static const struct ps_store_ops var = {.name = label, PS_SQL_SHARED(PS_SQL_SHARED_OP_) OWN(PS_SQL_OWN_OP_)}

#endif
