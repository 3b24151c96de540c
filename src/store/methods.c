/* methods.c: the store methods whose bodies are the same on both SQL
 * backends, written once (store layer). Each binds its statement's
 * parameters in order into a backend-neutral query and hands it to the
 * backend's executor (struct ps_sql_exec), which runs it its own way and
 * maps its refusals. The list of these methods is PS_SQL_SHARED. */
#include "store_int.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

void ps_q_init(struct ps_query *q, enum ps_stmt id, int64_t lock)
{
	q->id = id;
	q->n = 0;
	q->lock = lock;
	q->tenant = 0;
	q->refs = NULL;
	q->n_refs = 0;
	q->owner = 0;
}

static struct ps_param *slot(struct ps_query *q, enum ps_param_kind kind)
{
	assert(q->n < PS_PARAMS_MAX);
	struct ps_param *p = &q->p[q->n++];
	p->kind = kind;
	return p;
}

void ps_q_i64(struct ps_query *q, int64_t v)
{
	slot(q, PS_P_I64)->i64 = v;
}

void ps_q_opt(struct ps_query *q, int64_t v)
{
	if (v == 0)
		slot(q, PS_P_NULL)->i64 = 0;
	else
		ps_q_i64(q, v);
}

void ps_q_bool(struct ps_query *q, bool b)
{
	slot(q, PS_P_BOOL)->i64 = b ? 1 : 0;
}

void ps_q_text(struct ps_query *q, const char *s, size_t n)
{
	struct ps_param *p = slot(q, PS_P_TEXT);
	p->s = s ? s : "";
	p->len = s ? n : 0;
}

void ps_q_str(struct ps_query *q, const char *s)
{
	ps_q_text(q, s, s ? strlen(s) : 0);
}

/* ---- Schema checks ------------------------------------------------------- */

ps_code ps_schema_missing(struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL, "the store has no schema yet: run `planshift init` on it first");
}

ps_code ps_schema_newer(int64_t version, struct ps_err *err)
{
	return ps_err_set(err, PS_SCHEMA, NULL,
			  "the store's schema is version %" PRId64 ", newer than this binary's (%d): "
			  "use a newer planshift",
			  version, PS_SCHEMA_VERSION);
}

ps_code ps_schema_version(int64_t version, struct ps_err *err)
{
	if (version > PS_SCHEMA_VERSION)
		return ps_schema_newer(version, err);
	if (version < PS_SCHEMA_VERSION)
		return ps_err_set(err, PS_SCHEMA, NULL,
				  "the store's schema is version %" PRId64 ", this binary needs %d: "
				  "run `planshift init` on it to migrate it",
				  version, PS_SCHEMA_VERSION);
	return PS_OK;
}

/* ---- Queries --------------------------------------------------------------- */

static const struct ps_sql_exec *x_of(struct ps_store *st)
{
	return ps_sql_of(st)->x;
}

#define VISIT(fn, type, read, member)                                                                                  \
	static ps_code fn(const struct ps_row *r, union ps_list_cb cb, void *arg, bool *more, struct ps_err *err)      \
	{                                                                                                              \
		type rec;                                                                                              \
		ps_code c = read(r, &rec, err);                                                                        \
		if (c == PS_OK)                                                                                        \
			*more = cb.member(arg, &rec);                                                                  \
		return c;                                                                                              \
	}

VISIT(visit_token, struct ps_token, ps_read_token, token)
VISIT(visit_tenant, struct ps_tenant, ps_read_tenant, tenant)
VISIT(visit_user, struct ps_user, ps_read_user, user)
VISIT(visit_sub, struct ps_subscription, ps_read_sub_sched, sub)
VISIT(visit_assignment, struct ps_assignment, ps_read_assignment, assignment)
VISIT(visit_incident, struct ps_incident, ps_read_incident, incident)
VISIT(visit_incident_update, struct ps_incident_update, ps_read_incident_update, incident_update)
VISIT(visit_audit, struct ps_audit, ps_read_audit, audit)
VISIT(visit_invoice, struct ps_invoice, ps_read_invoice, invoice)
VISIT(visit_line, struct ps_invoice_line, ps_read_line, line)
VISIT(visit_payment, struct ps_receipt, ps_read_payment, payment)
VISIT(visit_credit, struct ps_credit_check, ps_read_credit, credit)
VISIT(visit_operation, struct ps_operation, ps_read_op, operation)
VISIT(visit_support, struct ps_support_request, ps_read_support, support)
VISIT(visit_event, struct ps_event, ps_read_event, event)

/* ---- Catalog and tokens ------------------------------------------------ */

VISIT(visit_catalog_version, struct ps_catalog_version, ps_read_catalog_version, catalog_version)

ps_code ps_sql_catalog_put(struct ps_store *st, const char *json, size_t len, int64_t now, const char *loaded_by,
			   int64_t *version, struct ps_err *err)
{
	struct ps_query q;
	int64_t v = 0;
	if (len >= INT_MAX)
		return ps_err_set(err, PS_STORE, "catalog", "catalog_put: the catalog (%zu bytes) cannot be stored", len);
	ps_q_init(&q, PS_S_CATALOG_VERSION_INSERT, 0);
	ps_q_text(&q, json ? json : "", json ? len : 0);
	ps_q_i64(&q, now);
	ps_q_str(&q, loaded_by);
	ps_code rc = x_of(st)->insert_id(st, &q, &v, err);
	if (rc != PS_OK)
		return rc;
	ps_q_init(&q, PS_S_CATALOG_PUT, 0);
	ps_q_i64(&q, v);
	rc = x_of(st)->exec(st, &q, err);
	if (rc == PS_OK && version)
		*version = v;
	return rc;
}

ps_code ps_sql_catalog_get(struct ps_store *st, struct ps_buf *json, int64_t *version, struct ps_err *err)
{
	struct ps_query q;
	struct ps_catalog_doc d = {json, version};
	ps_q_init(&q, PS_S_CATALOG_GET, 0);
	return x_of(st)->get_one(st, &q, ps_read_catalog, &d, "catalog",
				 "no catalog has been loaded: run `planshift init --catalog FILE`", err);
}

ps_code ps_sql_catalog_version(struct ps_store *st, int64_t *version, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_CATALOG_VERSION, 0);
	return x_of(st)->get_one(st, &q, ps_read_i64, version, "catalog",
				 "no catalog has been loaded: run `planshift init --catalog FILE`", err);
}

ps_code ps_sql_versions(struct ps_store *st, int64_t *auth, int64_t *catalog, struct ps_err *err)
{
	struct ps_query q;
	int64_t v[2] = {0, 0};
	ps_q_init(&q, PS_S_VERSIONS, 0);
	ps_code rc = x_of(st)->get_one(st, &q, ps_read_i64_pair, v, "auth_version",
				       "the store has no credentials' version: run `planshift migrate`", err);
	*auth = v[0];
	*catalog = v[1];
	return rc;
}

ps_code ps_sql_catalog_hold(struct ps_store *st, bool alone, int64_t *version, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, alone ? PS_S_CATALOG_HOLD_ALONE : PS_S_CATALOG_HOLD_SHARED, 0);
	return x_of(st)->get_one(st, &q, ps_read_i64, version, "catalog",
				 "no catalog has been loaded: run `planshift init --catalog FILE`", err);
}

ps_code ps_sql_catalog_version_list(struct ps_store *st, int64_t after, size_t limit, ps_catalog_version_cb cb,
				    void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_CATALOG_VERSIONS, 0);
	return x_of(st)->walk(st, &q, 0, after, limit, visit_catalog_version,
			      (union ps_list_cb){.catalog_version = cb}, arg, err);
}

ps_code ps_sql_plan_live_count(struct ps_store *st, const char *plan_id, int64_t *count, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_PLAN_LIVE_COUNT, 0);
	ps_q_str(&q, plan_id);
	return x_of(st)->get_one(st, &q, ps_read_i64, count, NULL, "plan_live_count: no count", err);
}

ps_code ps_sql_token_insert(struct ps_store *st, const char *hash, struct ps_token *t, struct ps_err *err)
{
	struct ps_query q;
	if (hash == NULL || hash[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "token", "token_insert: the hash is empty");
	ps_q_init(&q, PS_S_TOKEN_INSERT, t->tenant_id);
	q.tenant = t->tenant_id;
	ps_q_str(&q, hash);
	ps_q_str(&q, ps_role_name(t->role));
	ps_q_opt(&q, t->tenant_id);
	ps_q_i64(&q, t->created_at);
	PS_Q_FIELD(&q, t->name);
	ps_q_opt(&q, t->expires_at);
	return x_of(st)->insert_id(st, &q, &t->id, err);
}

ps_code ps_sql_token_find(struct ps_store *st, const char *hash, int64_t now, struct ps_principal *out,
			  struct ps_err *err)
{
	struct ps_query q;
	if (hash == NULL)
		return ps_err_set(err, PS_NOT_FOUND, "token", "no such token");
	ps_q_init(&q, PS_S_TOKEN_FIND, 0);
	ps_q_str(&q, hash);
	ps_q_i64(&q, now);
	return x_of(st)->get_one(st, &q, ps_read_principal, out, "token", "no such token", err);
}

ps_code ps_sql_token_touch(struct ps_store *st, int64_t id, int64_t now, int64_t since, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TOKEN_TOUCH, 0);
	ps_q_i64(&q, id);
	ps_q_i64(&q, now);
	ps_q_i64(&q, since);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_token_get(struct ps_store *st, int64_t id, struct ps_token *out, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TOKEN_GET, 0);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_token, out, "token", "no such token", err);
}

ps_code ps_sql_token_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_token_cb cb, void *arg,
			  struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TOKEN_LIST, 0);
	ps_q_i64(&q, tenant);
	return x_of(st)->walk(st, &q, 0, after, limit, visit_token, (union ps_list_cb){.token = cb}, arg, err);
}

ps_code ps_sql_token_revoke(struct ps_store *st, int64_t id, int64_t now, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TOKEN_REVOKE, 0);
	ps_q_i64(&q, id);
	ps_q_i64(&q, now);
	ps_code c = x_of(st)->change_one(st, &q, "token", "no such token", err);
	if (c != PS_OK)
		return c;
	ps_q_init(&q, PS_S_TOKEN_END_SESSIONS, 0);
	ps_q_i64(&q, id);
	return x_of(st)->exec(st, &q, err);
}

/* ---- Sessions ------------------------------------------------------------ */

ps_code ps_sql_session_insert(struct ps_store *st, const char *hash, int64_t token_id, int64_t now, int64_t expires_at,
			      struct ps_err *err)
{
	struct ps_query q;
	if (hash == NULL || hash[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "session", "session_insert: the hash is empty");
	ps_q_init(&q, PS_S_SESSION_INSERT, 0);
	ps_q_str(&q, hash);
	ps_q_i64(&q, token_id);
	ps_q_i64(&q, now);
	ps_q_i64(&q, expires_at);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_session_find(struct ps_store *st, const char *hash, int64_t now, int64_t idle_since,
			    struct ps_principal *out, struct ps_err *err)
{
	struct ps_query q;
	if (hash == NULL)
		return ps_err_set(err, PS_NOT_FOUND, "session", "no such session");
	ps_q_init(&q, PS_S_SESSION_FIND, 0);
	ps_q_str(&q, hash);
	ps_q_i64(&q, now);
	ps_q_i64(&q, idle_since);
	ps_code c = x_of(st)->get_one(st, &q, ps_read_principal, out, "session", "no such session", err);
	if (c == PS_OK)
		out->session = true;
	return c;
}

ps_code ps_sql_session_touch(struct ps_store *st, const char *hash, int64_t now, int64_t since, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_SESSION_TOUCH, 0);
	ps_q_str(&q, hash);
	ps_q_i64(&q, now);
	ps_q_i64(&q, since);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_session_delete(struct ps_store *st, const char *hash, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_SESSION_DELETE, 0);
	ps_q_str(&q, hash);
	return x_of(st)->change_one(st, &q, "session", "no such session", err);
}

ps_code ps_sql_session_purge(struct ps_store *st, int64_t now, int64_t idle_since, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_SESSION_PURGE, 0);
	ps_q_i64(&q, now);
	ps_q_i64(&q, idle_since);
	return x_of(st)->exec(st, &q, err);
}

/* ---- Tenants, users, subscriptions ------------------------------------ */

ps_code ps_sql_tenant_insert(struct ps_store *st, struct ps_tenant *t, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TENANT_INSERT, 0);
	PS_Q_FIELD(&q, t->name);
	ps_q_str(&q, ps_segment_name(t->segment));
	ps_q_str(&q, ps_payment_name(t->payment));
	ps_q_i64(&q, t->credit_limit);
	PS_Q_FIELD(&q, t->currency);
	ps_q_i64(&q, t->created_at);
	return x_of(st)->insert_id(st, &q, &t->id, err);
}

ps_code ps_sql_tenant_get(struct ps_store *st, int64_t id, struct ps_tenant *out, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TENANT_GET, id);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_tenant, out, "tenant", "the tenant does not exist", err);
}

ps_code ps_sql_tenant_list(struct ps_store *st, int64_t after, size_t limit, ps_tenant_cb cb, void *arg,
			   struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TENANT_LIST, 0);
	return x_of(st)->walk(st, &q, 0, after, limit, visit_tenant, (union ps_list_cb){.tenant = cb}, arg, err);
}

ps_code ps_sql_tenant_update(struct ps_store *st, const struct ps_tenant *t, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_TENANT_UPDATE, t->id);
	ps_q_i64(&q, t->id);
	ps_q_i64(&q, t->credit_limit);
	return x_of(st)->change_one(st, &q, "tenant", "the tenant does not exist", err);
}

ps_code ps_sql_user_insert(struct ps_store *st, struct ps_user *u, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_USER_INSERT, u->tenant_id);
	q.tenant = u->tenant_id;
	ps_q_i64(&q, u->tenant_id);
	PS_Q_FIELD(&q, u->upn);
	PS_Q_FIELD(&q, u->display_name);
	ps_q_i64(&q, u->created_at);
	return x_of(st)->insert_id(st, &q, &u->id, err);
}

ps_code ps_sql_user_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_user *out, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_USER_GET, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_user, out, "user", "the user does not exist", err);
}

ps_code ps_sql_user_list(struct ps_store *st, int64_t tenant, const char *text, int64_t after, size_t limit,
			 ps_user_cb cb, void *arg, struct ps_err *err)
{
	struct ps_query q;
	/* "%text%" lowered, with %, _ and the escape '!' taken literally */
	char pat[2 * PS_USER_Q_MAX + 3];
	size_t n = 0;
	if (text && *text) {
		pat[n++] = '%';
		for (const char *p = text; *p && n < sizeof pat - 3; p++) {
			if (*p == '%' || *p == '_' || *p == '!')
				pat[n++] = '!';
			pat[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
		}
		pat[n++] = '%';
	}
	pat[n] = '\0';
	ps_q_init(&q, PS_S_USER_LIST, tenant);
	ps_q_i64(&q, tenant);
	ps_q_str(&q, pat);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_user, (union ps_list_cb){.user = cb}, arg, err);
}

ps_code ps_sql_sub_insert(struct ps_store *st, struct ps_subscription *o, struct ps_err *err)
{
	struct ps_query q;
	const struct ps_ref refs[] = {{PS_S_EXISTS_SUB, o->addon_of, "addon_of", NULL, true},
				      {PS_S_EXISTS_SUB, o->replaced_by, "replaced_by", NULL, true}};
	ps_q_init(&q, PS_S_SUB_INSERT, o->tenant_id);
	q.tenant = o->tenant_id;
	q.refs = refs;
	q.n_refs = PS_ARRAY_LEN(refs);
	q.owner = q.lock;
	ps_q_i64(&q, o->tenant_id);
	PS_Q_FIELD(&q, o->plan_id);
	PS_Q_FIELD(&q, o->product_id);
	ps_q_i64(&q, o->quantity);
	ps_q_str(&q, ps_sub_status_name(o->status));
	ps_q_str(&q, ps_term_name(o->term));
	ps_q_bool(&q, o->prepaid);
	ps_q_i64(&q, o->term_start);
	ps_q_i64(&q, o->term_end);
	ps_q_opt(&q, o->addon_of);
	ps_q_opt(&q, o->replaced_by);
	ps_q_i64(&q, o->created_at);
	ps_q_i64(&q, o->billed_through);
	ps_q_opt(&q, o->cancel_at);
	ps_q_i64(&q, o->price_per_seat_month);
	PS_Q_FIELD(&q, o->currency);
	return x_of(st)->insert_id(st, &q, &o->id, err);
}

ps_code ps_sql_sub_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_subscription *out,
		       struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_SUB_GET, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_sub_sched, out, "subscription", "the subscription does not exist", err);
}

ps_code ps_sql_sub_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_sub_cb cb, void *arg,
			struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_SUB_LIST, tenant);
	ps_q_i64(&q, tenant);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_sub, (union ps_list_cb){.sub = cb}, arg, err);
}

ps_code ps_sql_sub_update(struct ps_store *st, const struct ps_subscription *o, struct ps_err *err)
{
	struct ps_query q;
	/* A refused reference: say which of the two refers to nothing. */
	const struct ps_ref refs[] = {{PS_S_EXISTS_SUB, o->addon_of, "addon_of", NULL, true},
				      {PS_S_EXISTS_SUB, o->replaced_by, "replaced_by", NULL, true}};
	ps_q_init(&q, PS_S_SUB_UPDATE, o->tenant_id);
	q.refs = refs;
	q.n_refs = PS_ARRAY_LEN(refs);
	q.owner = q.lock;
	q.tenant = o->tenant_id;
	ps_q_i64(&q, o->tenant_id);
	ps_q_i64(&q, o->id);
	ps_q_i64(&q, o->quantity);
	ps_q_str(&q, ps_sub_status_name(o->status));
	ps_q_i64(&q, o->term_start);
	ps_q_i64(&q, o->term_end);
	ps_q_opt(&q, o->replaced_by);
	ps_q_i64(&q, o->billed_through);
	ps_q_opt(&q, o->addon_of);
	ps_q_opt(&q, o->cancel_at);
	ps_q_i64(&q, o->price_per_seat_month);
	PS_Q_FIELD(&q, o->currency);
	return x_of(st)->change_one(st, &q, "subscription", "the subscription does not exist", err);
}

/* ---- Assignments ------------------------------------------------------- */

ps_code ps_sql_assignment_insert(struct ps_store *st, const struct ps_assignment *a, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_ASSIGN_INSERT, a->tenant_id);
	ps_q_i64(&q, a->tenant_id);
	ps_q_i64(&q, a->subscription_id);
	ps_q_i64(&q, a->user_id);
	ps_q_i64(&q, a->assigned_at);
	/* No row inserted: the SELECT found no such subscription. */
	return x_of(st)->change_one(st, &q, "subscription", "the subscription does not exist", err);
}

ps_code ps_sql_assignment_delete(struct ps_store *st, int64_t tenant, int64_t sub_id, int64_t user_id,
				 struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_ASSIGN_DELETE, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, sub_id);
	ps_q_i64(&q, user_id);
	return x_of(st)->change_one(st, &q, "user", "the user's seat of this subscription does not exist", err);
}

ps_code ps_sql_assignment_list(struct ps_store *st, int64_t tenant, int64_t sub_id, int64_t after_user, size_t limit,
			       ps_assignment_cb cb, void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_ASSIGN_LIST, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, sub_id);
	return x_of(st)->walk(st, &q, 2, after_user, limit, visit_assignment, (union ps_list_cb){.assignment = cb},
			      arg, err);
}

/* ---- Incidents --------------------------------------------------------- */

ps_code ps_sql_incident_insert(struct ps_store *st, struct ps_incident *i, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INC_INSERT, 0);
	PS_Q_FIELD(&q, i->service_id);
	ps_q_str(&q, ps_incident_status_name(i->status));
	PS_Q_FIELD(&q, i->title);
	ps_q_i64(&q, i->opened_at);
	ps_q_opt(&q, i->resolved_at);
	ps_q_opt(&q, i->eta);
	return x_of(st)->insert_id(st, &q, &i->id, err);
}

ps_code ps_sql_incident_get(struct ps_store *st, int64_t id, struct ps_incident *out, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INC_GET, 0);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_incident, out, "incident", "the incident does not exist", err);
}

ps_code ps_sql_incident_update(struct ps_store *st, const struct ps_incident *i, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INC_UPDATE, 0);
	ps_q_i64(&q, i->id);
	ps_q_str(&q, ps_incident_status_name(i->status));
	ps_q_opt(&q, i->resolved_at);
	ps_q_opt(&q, i->eta);
	return x_of(st)->change_one(st, &q, "incident", "the incident does not exist", err);
}

ps_code ps_sql_incident_list(struct ps_store *st, bool open_only, int64_t after, size_t limit, ps_incident_cb cb,
			     void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INC_LIST, 0);
	ps_q_i64(&q, open_only ? 1 : 0);
	return x_of(st)->walk(st, &q, 0, after, limit, visit_incident, (union ps_list_cb){.incident = cb}, arg, err);
}

ps_code ps_sql_incident_note_insert(struct ps_store *st, struct ps_incident_update *u, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INC_NOTE_INSERT, 0);
	ps_q_i64(&q, u->incident_id);
	ps_q_i64(&q, u->at);
	ps_q_str(&q, ps_incident_status_name(u->status));
	PS_Q_FIELD(&q, u->message);
	return x_of(st)->insert_id(st, &q, &u->n, err);
}

ps_code ps_sql_incident_note_list(struct ps_store *st, int64_t incident, ps_incident_update_cb cb, void *arg,
				  struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INC_NOTE_LIST, 0);
	ps_q_i64(&q, incident);
	return x_of(st)->walk(st, &q, 1, 0, 0, visit_incident_update, (union ps_list_cb){.incident_update = cb}, arg,
			      err);
}

/* ---- Invoices, payments ------------------------------------------------ */

ps_code ps_sql_invoice_insert(struct ps_store *st, struct ps_invoice *inv, struct ps_err *err)
{
	struct ps_query q;
	const struct ps_ref refs[] = {{PS_S_EXISTS_SUB, inv->subscription_id, "subscription", NULL, true}};
	ps_q_init(&q, PS_S_INVOICE_INSERT, inv->tenant_id);
	q.tenant = inv->tenant_id;
	q.refs = refs;
	q.n_refs = PS_ARRAY_LEN(refs);
	q.owner = q.lock;
	ps_q_i64(&q, inv->tenant_id);
	ps_q_opt(&q, inv->subscription_id);
	ps_q_i64(&q, inv->amount);
	ps_q_i64(&q, inv->paid);
	PS_Q_FIELD(&q, inv->currency);
	ps_q_i64(&q, inv->issued_at);
	ps_q_i64(&q, inv->due_at);
	ps_q_str(&q, ps_invoice_status_name(inv->status));
	return x_of(st)->insert_id(st, &q, &inv->id, err);
}

ps_code ps_sql_invoice_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_invoice *out,
			   struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INVOICE_GET, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_invoice, out, "invoice", "the invoice does not exist", err);
}

ps_code ps_sql_invoice_update(struct ps_store *st, const struct ps_invoice *inv, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INVOICE_UPDATE, inv->tenant_id);
	ps_q_i64(&q, inv->tenant_id);
	ps_q_i64(&q, inv->id);
	ps_q_i64(&q, inv->paid);
	ps_q_str(&q, ps_invoice_status_name(inv->status));
	return x_of(st)->change_one(st, &q, "invoice", "the invoice does not exist", err);
}

ps_code ps_sql_invoice_list(struct ps_store *st, int64_t tenant, bool open_only, int64_t after, size_t limit,
			    ps_invoice_cb cb, void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_INVOICE_LIST, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, open_only ? 1 : 0);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_invoice, (union ps_list_cb){.invoice = cb}, arg, err);
}

ps_code ps_sql_invoice_line_insert(struct ps_store *st, struct ps_invoice_line *l, struct ps_err *err)
{
	struct ps_query q;
	const struct ps_ref refs[] = {
	    {PS_S_EXISTS_INVOICE, l->invoice_id, "invoice", "the invoice does not exist for this tenant", false},
	    {PS_S_EXISTS_SUB, l->subscription_id, "subscription", NULL, true}};
	ps_q_init(&q, PS_S_LINE_INSERT, l->tenant_id);
	q.refs = refs;
	q.n_refs = PS_ARRAY_LEN(refs);
	q.owner = q.lock;
	ps_q_i64(&q, l->tenant_id);
	ps_q_i64(&q, l->invoice_id);
	ps_q_opt(&q, l->subscription_id);
	ps_q_str(&q, ps_line_kind_name(l->kind));
	PS_Q_FIELD(&q, l->plan_id);
	ps_q_i64(&q, l->quantity);
	ps_q_i64(&q, l->period_start);
	ps_q_i64(&q, l->period_end);
	ps_q_i64(&q, l->amount);
	PS_Q_FIELD(&q, l->description);
	return x_of(st)->insert_id(st, &q, &l->id, err);
}

ps_code ps_sql_invoice_line_list(struct ps_store *st, int64_t tenant, int64_t invoice, ps_line_cb cb, void *arg,
				 struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_LINE_LIST, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, invoice);
	return x_of(st)->walk(st, &q, 2, 0, 0, visit_line, (union ps_list_cb){.line = cb}, arg, err);
}

ps_code ps_sql_payment_insert(struct ps_store *st, struct ps_receipt *p, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_PAY_INSERT, p->tenant_id);
	q.tenant = p->tenant_id;
	ps_q_i64(&q, p->tenant_id);
	ps_q_i64(&q, p->amount);
	PS_Q_FIELD(&q, p->currency);
	ps_q_i64(&q, p->received_at);
	return x_of(st)->insert_id(st, &q, &p->id, err);
}

ps_code ps_sql_payment_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_payment_cb cb,
			    void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_PAY_LIST, tenant);
	ps_q_i64(&q, tenant);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_payment, (union ps_list_cb){.payment = cb}, arg, err);
}

ps_code ps_sql_payment_total(struct ps_store *st, int64_t tenant, int64_t *total, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_PAY_TOTAL, tenant);
	ps_q_i64(&q, tenant);
	/* A sum always has its row. */
	return x_of(st)->get_one(st, &q, ps_read_i64, total, NULL, "payment_total: no sum", err);
}

/* ---- Credit checks, operations ----------------------------------------- */

ps_code ps_sql_credit_check_insert(struct ps_store *st, struct ps_credit_check *cc, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_CREDIT_INSERT, cc->tenant_id);
	q.tenant = cc->tenant_id;
	ps_q_i64(&q, cc->tenant_id);
	ps_q_str(&q, ps_credit_status_name(cc->status));
	ps_q_i64(&q, cc->amount);
	ps_q_i64(&q, cc->requested_at);
	ps_q_i64(&q, cc->expected_by);
	ps_q_opt(&q, cc->decided_at);
	ps_q_opt(&q, cc->subscription_id);
	ps_q_opt(&q, cc->operation_id);
	ps_q_i64(&q, cc->quantity);
	return x_of(st)->insert_id(st, &q, &cc->id, err);
}

ps_code ps_sql_credit_check_get_locked(struct ps_store *st, int64_t id, int64_t lock, struct ps_credit_check *out,
				       struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_CREDIT_GET, lock);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_credit, out, "credit_check", "the credit check does not exist", err);
}

ps_code ps_sql_credit_check_get(struct ps_store *st, int64_t id, struct ps_credit_check *out, struct ps_err *err)
{
	return ps_sql_credit_check_get_locked(st, id, 0, out, err);
}

ps_code ps_sql_credit_check_update(struct ps_store *st, const struct ps_credit_check *cc, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_CREDIT_UPDATE, cc->tenant_id);
	ps_q_i64(&q, cc->tenant_id);
	ps_q_i64(&q, cc->id);
	ps_q_str(&q, ps_credit_status_name(cc->status));
	ps_q_opt(&q, cc->decided_at);
	ps_q_i64(&q, cc->amount);
	return x_of(st)->change_one(st, &q, "credit_check", "the credit check does not exist", err);
}

ps_code ps_sql_credit_check_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_credit_cb cb,
				 void *arg, struct ps_err *err)
{
	struct ps_query q;
	/* tenant 0: every tenant's, in id order (the provider's list) */
	ps_q_init(&q, tenant ? PS_S_CREDIT_LIST : PS_S_CREDIT_LIST_ALL, tenant);
	if (tenant)
		ps_q_i64(&q, tenant);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_credit, (union ps_list_cb){.credit = cb}, arg, err);
}

ps_code ps_sql_operation_insert(struct ps_store *st, struct ps_operation *op, struct ps_err *err)
{
	struct ps_query q;
	const struct ps_ref refs[] = {{PS_S_EXISTS_SUB, op->source_sub, "source", NULL, true},
				      {PS_S_EXISTS_SUB, op->new_sub, "new_subscription", NULL, true}};
	ps_q_init(&q, PS_S_OP_INSERT, op->tenant_id);
	q.tenant = op->tenant_id;
	q.refs = refs;
	q.n_refs = PS_ARRAY_LEN(refs);
	q.owner = q.lock;
	ps_q_i64(&q, op->tenant_id);
	ps_q_str(&q, ps_op_kind_name(op->kind));
	ps_q_str(&q, ps_op_state_name(op->state));
	ps_q_i64(&q, op->source_sub);
	PS_Q_FIELD(&q, op->target_plan);
	ps_q_opt(&q, op->new_sub);
	ps_q_i64(&q, op->created_at);
	ps_q_i64(&q, op->updated_at);
	ps_q_i64(&q, op->quantity);
	ps_q_opt(&q, op->credit_check_id);
	PS_Q_FIELD(&q, op->request_id);
	PS_Q_FIELD(&q, op->detail);
	ps_q_opt(&q, op->effective_at);
	return x_of(st)->insert_id(st, &q, &op->id, err);
}

ps_code ps_sql_operation_get(struct ps_store *st, int64_t tenant, int64_t id, struct ps_operation *out,
			     struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_OP_GET, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_op, out, "operation", "the operation does not exist", err);
}

ps_code ps_sql_operation_update(struct ps_store *st, const struct ps_operation *op, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_OP_UPDATE, op->tenant_id);
	ps_q_i64(&q, op->tenant_id);
	ps_q_i64(&q, op->id);
	ps_q_str(&q, ps_op_state_name(op->state));
	ps_q_opt(&q, op->new_sub);
	ps_q_opt(&q, op->credit_check_id);
	ps_q_i64(&q, op->updated_at);
	PS_Q_FIELD(&q, op->detail);
	ps_q_i64(&q, op->source_sub); /* a cancellation at term end follows an upgrade */
	return x_of(st)->change_one(st, &q, "operation", "the operation does not exist", err);
}

ps_code ps_sql_operation_count(struct ps_store *st, enum ps_op_kind kind, enum ps_op_state state, int64_t *n,
			       struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_OP_COUNT, 0);
	ps_q_str(&q, ps_op_kind_name(kind));
	ps_q_str(&q, ps_op_state_name(state));
	return x_of(st)->get_one(st, &q, ps_read_i64, n, "operation", "no count", err);
}

ps_code ps_sql_operation_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_operation_cb cb,
			      void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_OP_LIST, tenant);
	ps_q_i64(&q, tenant);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_operation, (union ps_list_cb){.operation = cb}, arg,
			      err);
}

ps_code ps_sql_operation_find_by_new_sub(struct ps_store *st, int64_t tenant, int64_t new_sub,
					 struct ps_operation *out, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_OP_BY_NEW_SUB, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, new_sub);
	return x_of(st)->get_one(st, &q, ps_read_op, out, "operation",
				 "an operation creating this subscription does not exist", err);
}

ps_code ps_sql_operation_find_scheduled(struct ps_store *st, int64_t tenant, int64_t sub, struct ps_operation *out,
					struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_OP_SCHEDULED, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, sub);
	return x_of(st)->get_one(st, &q, ps_read_op, out, "operation",
				 "this subscription has no scheduled operation", err);
}

/* ---- Audit, clock ------------------------------------------------------ */

ps_code ps_sql_audit_insert(struct ps_store *st, struct ps_audit *a, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_AUDIT_INSERT, a->tenant_id);
	ps_q_i64(&q, a->tenant_id);
	ps_q_i64(&q, a->at);
	ps_q_i64(&q, a->token_id);
	ps_q_str(&q, ps_role_name(a->role));
	PS_Q_FIELD(&q, a->action);
	PS_Q_FIELD(&q, a->object);
	PS_Q_FIELD(&q, a->request_id);
	PS_Q_FIELD(&q, a->detail);
	return x_of(st)->insert_id(st, &q, &a->id, err);
}

ps_code ps_sql_audit_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_audit_cb cb, void *arg,
			  struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_AUDIT_LIST, tenant);
	ps_q_i64(&q, tenant);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_audit, (union ps_list_cb){.audit = cb}, arg, err);
}

ps_code ps_sql_clock_get(struct ps_store *st, int64_t *now, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_CLOCK_GET, 0);
	return x_of(st)->get_one(st, &q, ps_read_i64, now, "clock", "the manual clock has never been set", err);
}

ps_code ps_sql_clock_set(struct ps_store *st, int64_t now, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_CLOCK_SET, 0);
	ps_q_i64(&q, now);
	return x_of(st)->exec(st, &q, err);
}

/* ---- Idempotency keys, support requests -------------------------------- */

ps_code ps_sql_idem_find(struct ps_store *st, int64_t tenant, const char *key, struct ps_idem *out,
			 struct ps_err *err)
{
	struct ps_query q;
	if (key == NULL)
		return ps_err_set(err, PS_NOT_FOUND, "Idempotency-Key", "no such idempotency key");
	ps_q_init(&q, PS_S_IDEM_FIND, tenant);
	ps_q_i64(&q, tenant);
	ps_q_str(&q, key);
	return x_of(st)->get_one(st, &q, ps_read_idem, out, "Idempotency-Key", "no such idempotency key", err);
}

ps_code ps_sql_idem_insert(struct ps_store *st, const struct ps_idem *k, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_IDEM_INSERT, k->tenant_id);
	ps_q_i64(&q, k->tenant_id);
	PS_Q_FIELD(&q, k->key);
	PS_Q_FIELD(&q, k->request_hash);
	ps_q_i64(&q, k->status);
	ps_q_str(&q, k->response);
	ps_q_i64(&q, k->created_at);
	PS_Q_FIELD(&q, k->owner);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_idem_take(struct ps_store *st, const struct ps_idem *k, const char *from, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_IDEM_TAKE, k->tenant_id);
	ps_q_i64(&q, k->tenant_id);
	PS_Q_FIELD(&q, k->key);
	ps_q_str(&q, from);
	PS_Q_FIELD(&q, k->owner);
	ps_q_i64(&q, k->created_at);
	return x_of(st)->change_one(st, &q, "Idempotency-Key", "the idempotency key is no longer held by that owner",
				    err);
}

ps_code ps_sql_idem_complete(struct ps_store *st, const struct ps_idem *k, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_IDEM_COMPLETE, k->tenant_id);
	ps_q_i64(&q, k->tenant_id);
	PS_Q_FIELD(&q, k->key);
	ps_q_i64(&q, k->status);
	ps_q_str(&q, k->response);
	return x_of(st)->change_one(st, &q, "Idempotency-Key", "no such idempotency key", err);
}

/* A write of one key whose statement takes (tenant, key, the changed mark). */
static ps_code idem_key_exec(struct ps_store *st, enum ps_stmt id, int64_t tenant, const char *key,
			     struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, id, tenant);
	ps_q_i64(&q, tenant);
	ps_q_str(&q, key);
	ps_q_str(&q, PS_IDEM_CHANGED);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_idem_delete(struct ps_store *st, int64_t tenant, const char *key, struct ps_err *err)
{
	return idem_key_exec(st, PS_S_IDEM_DELETE, tenant, key, err);
}

ps_code ps_sql_wal_position(struct ps_store *st, int64_t *lsn, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_WAL_POSITION, 0);
	return x_of(st)->get_one(st, &q, ps_read_i64, lsn, NULL, "wal_position: no position", err);
}

ps_code ps_sql_idem_changed(struct ps_store *st, int64_t tenant, const char *key, struct ps_err *err)
{
	return idem_key_exec(st, PS_S_IDEM_CHANGED, tenant, key, err);
}

ps_code ps_sql_idem_purge(struct ps_store *st, int64_t before, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_IDEM_PURGE, 0);
	ps_q_i64(&q, before);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_support_insert(struct ps_store *st, struct ps_support_request *r, struct ps_err *err)
{
	struct ps_query q;
	const struct ps_ref refs[] = {{PS_S_EXISTS_SUB, r->subscription_id, "subscription", NULL, true}};
	ps_q_init(&q, PS_S_SUPPORT_INSERT, r->tenant_id);
	q.tenant = r->tenant_id;
	q.refs = refs;
	q.n_refs = PS_ARRAY_LEN(refs);
	q.owner = q.lock;
	ps_q_i64(&q, r->tenant_id);
	ps_q_opt(&q, r->subscription_id);
	PS_Q_FIELD(&q, r->reason_codes);
	PS_Q_FIELD(&q, r->description);
	ps_q_str(&q, ps_support_status_name(r->status));
	ps_q_i64(&q, r->created_at);
	ps_q_i64(&q, r->token_id);
	return x_of(st)->insert_id(st, &q, &r->id, err);
}

ps_code ps_sql_support_list(struct ps_store *st, int64_t tenant, int64_t after, size_t limit, ps_support_cb cb,
			    void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, tenant == 0 ? PS_S_SUPPORT_LIST_ALL : PS_S_SUPPORT_LIST, tenant);
	if (tenant != 0)
		ps_q_i64(&q, tenant);
	return x_of(st)->walk(st, &q, 1, after, limit, visit_support, (union ps_list_cb){.support = cb}, arg, err);
}

/* ---- The runner's jobs --------------------------------------------------- */

ps_code ps_sql_job_insert(struct ps_store *st, const struct ps_job *j, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_JOB_INSERT, 0);
	PS_Q_FIELD(&q, j->kind);
	ps_q_i64(&q, j->rank);
	ps_q_i64(&q, j->tenant_id);
	ps_q_i64(&q, j->subject);
	ps_q_i64(&q, j->due_at);
	ps_q_i64(&q, j->attempts);
	PS_Q_FIELD(&q, j->last_error);
	ps_q_i64(&q, j->created_at);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_job_seed_renewals(struct ps_store *st, const char *kind, int64_t rank, int64_t now, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_JOB_SEED_RENEWALS, 0);
	ps_q_str(&q, kind);
	ps_q_i64(&q, rank);
	ps_q_i64(&q, now);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_job_claim(struct ps_store *st, int64_t now, struct ps_job *out, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_JOB_CLAIM, 0);
	ps_q_i64(&q, now);
	return x_of(st)->get_one(st, &q, ps_read_job, out, "job", "no job is due", err);
}

ps_code ps_sql_job_delete(struct ps_store *st, const struct ps_job *j, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_JOB_DELETE, 0);
	ps_q_i64(&q, j->tenant_id);
	ps_q_i64(&q, j->id);
	return x_of(st)->change_one(st, &q, "job", "the job does not exist", err);
}

ps_code ps_sql_job_remove(struct ps_store *st, const char *kind, int64_t tenant, int64_t subject, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_JOB_REMOVE, 0);
	ps_q_str(&q, kind);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, subject);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_job_update(struct ps_store *st, const struct ps_job *j, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_JOB_UPDATE, 0);
	ps_q_i64(&q, j->tenant_id);
	ps_q_i64(&q, j->id);
	ps_q_i64(&q, j->due_at);
	ps_q_i64(&q, j->attempts);
	PS_Q_FIELD(&q, j->last_error);
	return x_of(st)->change_one(st, &q, "job", "the job does not exist", err);
}

ps_code ps_sql_job_count_due(struct ps_store *st, int64_t now, int64_t *n, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_JOB_COUNT_DUE, 0);
	ps_q_i64(&q, now);
	return x_of(st)->get_one(st, &q, ps_read_i64, n, "job", "no count", err);
}

/* ---- Manual changes by seat -------------------------------------------- */

ps_code ps_sql_operation_users_put(struct ps_store *st, int64_t tenant, int64_t op, const char *users,
				   struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_OPUSERS_PUT, tenant);
	ps_q_i64(&q, tenant);
	ps_q_i64(&q, op);
	ps_q_str(&q, users);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_seats_move_some(struct ps_store *st, int64_t tenant, int64_t from, int64_t to, int64_t op,
			       struct ps_err *err)
{
	static const enum ps_stmt steps[] = {PS_S_SOME_KEEP, PS_S_SOME_MOVE, PS_S_SOME_COUNT};
	ps_code rc = PS_OK;
	for (size_t i = 0; rc == PS_OK && i < PS_ARRAY_LEN(steps); i++) {
		struct ps_query q;
		ps_q_init(&q, steps[i], tenant);
		ps_q_i64(&q, tenant);
		ps_q_i64(&q, from);
		ps_q_i64(&q, to);
		if (steps[i] != PS_S_SOME_COUNT)
			ps_q_i64(&q, op);
		rc = x_of(st)->exec(st, &q, err);
	}
	return rc;
}

/* ---- The event outbox ---------------------------------------------------- */

ps_code ps_sql_event_append(struct ps_store *st, struct ps_event *e, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_EVENT_APPEND, e->tenant_id); /* PostgreSQL: the tenant's events in its lock's order */
	ps_q_str(&q, ps_event_type_name(e->type));
	ps_q_opt(&q, e->tenant_id);
	ps_q_i64(&q, e->created);
	ps_q_text(&q, e->data, e->data_len);
	return x_of(st)->insert_id(st, &q, &e->id, err);
}

ps_code ps_sql_event_list(struct ps_store *st, int64_t tenant, const char *type, int64_t after, size_t limit,
			  ps_event_cb cb, void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, tenant ? PS_S_EVENT_LIST_TENANT : PS_S_EVENT_LIST, 0);
	if (tenant)
		ps_q_i64(&q, tenant);
	ps_q_str(&q, type);
	return x_of(st)->walk(st, &q, 0, after, limit, visit_event, (union ps_list_cb){.event = cb}, arg, err);
}

ps_code ps_sql_event_prune(struct ps_store *st, int64_t before, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_EVENT_PRUNE, 0);
	ps_q_i64(&q, before);
	return x_of(st)->exec(st, &q, err);
}
/* ---- Webhooks and their deliveries -------------------------------------- */

VISIT(visit_webhook, struct ps_webhook, ps_read_webhook, webhook)
VISIT(visit_delivery, struct ps_delivery, ps_read_delivery, delivery)

ps_code ps_sql_webhook_insert(struct ps_store *st, struct ps_webhook *w, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_WEBHOOK_INSERT, 0);
	PS_Q_FIELD(&q, w->url);
	PS_Q_FIELD(&q, w->types);
	ps_q_opt(&q, w->tenant_id);
	ps_q_bool(&q, w->enabled);
	PS_Q_FIELD(&q, w->secret);
	ps_q_i64(&q, w->created_at);
	ps_q_i64(&q, w->cursor);
	return x_of(st)->insert_id(st, &q, &w->id, err);
}

ps_code ps_sql_webhook_get(struct ps_store *st, int64_t id, struct ps_webhook *out, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_WEBHOOK_GET, 0);
	ps_q_i64(&q, id);
	return x_of(st)->get_one(st, &q, ps_read_webhook, out, "webhook", "no such webhook", err);
}

ps_code ps_sql_webhook_list(struct ps_store *st, int64_t after, size_t limit, ps_webhook_cb cb, void *arg,
			    struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_WEBHOOK_LIST, 0);
	return x_of(st)->walk(st, &q, 0, after, limit, visit_webhook, (union ps_list_cb){.webhook = cb}, arg, err);
}

ps_code ps_sql_webhook_update(struct ps_store *st, const struct ps_webhook *w, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_WEBHOOK_UPDATE, 0);
	ps_q_i64(&q, w->id);
	PS_Q_FIELD(&q, w->url);
	PS_Q_FIELD(&q, w->types);
	ps_q_bool(&q, w->enabled);
	PS_Q_FIELD(&q, w->secret);
	return x_of(st)->change_one(st, &q, "webhook", "no such webhook", err);
}

ps_code ps_sql_webhook_delete(struct ps_store *st, int64_t id, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_WEBHOOK_DELETE, 0);
	ps_q_i64(&q, id);
	return x_of(st)->change_one(st, &q, "webhook", "no such webhook", err);
}

ps_code ps_sql_webhook_advance(struct ps_store *st, int64_t id, int64_t cursor, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_WEBHOOK_ADVANCE, 0);
	ps_q_i64(&q, id);
	ps_q_i64(&q, cursor);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_delivery_insert(struct ps_store *st, struct ps_delivery *d, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_DELIVERY_INSERT, 0);
	ps_q_i64(&q, d->webhook_id);
	ps_q_i64(&q, d->event_id);
	ps_q_i64(&q, d->tenant_id);
	ps_q_i64(&q, d->seq);
	ps_q_i64(&q, d->attempt);
	ps_q_i64(&q, d->due_at);
	ps_q_i64(&q, d->first_due_at);
	return x_of(st)->exec(st, &q, err);
}

ps_code ps_sql_delivery_list(struct ps_store *st, int64_t webhook, int64_t before, size_t limit, ps_delivery_cb cb,
			     void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_DELIVERY_LIST, 0);
	ps_q_i64(&q, webhook);
	return x_of(st)->walk(st, &q, 0, before, limit, visit_delivery, (union ps_list_cb){.delivery = cb}, arg,
			      err);
}

ps_code ps_sql_delivery_claim(struct ps_store *st, int64_t now, int64_t wall, int64_t lease_until, const char *owner,
			      size_t max, ps_delivery_cb cb, void *arg, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_DELIVERY_CLAIM, 0);
	ps_q_i64(&q, now);
	ps_q_i64(&q, wall);
	ps_q_bool(&q, true);
	ps_q_i64(&q, lease_until);
	ps_q_str(&q, owner);
	return x_of(st)->walk(st, &q, 0, 0, max ? max : 1, visit_delivery, (union ps_list_cb){.delivery = cb}, arg,
			      err);
}

ps_code ps_sql_delivery_record(struct ps_store *st, const struct ps_delivery *d, const char *owner,
			       struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_DELIVERY_RECORD, 0);
	ps_q_i64(&q, d->id);
	ps_q_str(&q, owner);
	PS_Q_FIELD(&q, d->state);
	ps_q_i64(&q, d->time);
	ps_q_opt(&q, d->status_code);
	PS_Q_FIELD(&q, d->error);
	ps_q_opt(&q, d->next_attempt_at);
	return x_of(st)->change_one(st, &q, "delivery", "the delivery is no longer this daemon's", err);
}

ps_code ps_sql_delivery_count_due(struct ps_store *st, int64_t now, int64_t *n, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_DELIVERY_COUNT_DUE, 0);
	ps_q_i64(&q, now);
	return x_of(st)->get_one(st, &q, ps_read_i64, n, "delivery", "no count", err);
}

ps_code ps_sql_event_head(struct ps_store *st, int64_t *id, struct ps_err *err)
{
	struct ps_query q;
	ps_q_init(&q, PS_S_EVENT_HEAD, 0);
	return x_of(st)->get_one(st, &q, ps_read_i64, id, "event", "no head", err);
}

struct event_one {
	ps_event_cb cb;
	void *arg;
	bool seen;
};

static bool event_one_row(void *arg, const struct ps_event *e)
{
	struct event_one *o = arg;
	o->seen = true;
	return o->cb(o->arg, e);
}

ps_code ps_sql_event_get(struct ps_store *st, int64_t id, ps_event_cb cb, void *arg, struct ps_err *err)
{
	struct ps_query q;
	struct event_one o = {cb, arg, false};
	ps_q_init(&q, PS_S_EVENT_GET, 0);
	ps_q_i64(&q, id);
	ps_code rc = x_of(st)->walk(st, &q, 0, 0, 1, visit_event, (union ps_list_cb){.event = event_one_row}, &o, err);
	if (rc == PS_OK && !o.seen)
		return ps_err_set(err, PS_NOT_FOUND, "event", "no such event");
	return rc;
}
