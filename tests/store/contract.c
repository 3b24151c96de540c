/* contract.c: the store contract suite (tests). What every backend must do,
 * tested through struct ps_store_ops only: round trips of every record,
 * tenant isolation, the seat rule, the assigned counter, transactions,
 * paging, and the snapshot the rule engine reads. SQLite runs it now;
 * PostgreSQL will run the same functions. */
#include "contract.h"
#include "../common/ps_want.h"

#define WANT_ERR (&f->err) /* what WANT_CODE clears and reports */

#include "common/ps_buf.h"
#include "common/ps_err.h"
#include "common/ps_mem.h"
#include "store/ps_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The backend under test, for setup (one run at a time). */
static struct ps_store *(*g_fresh)(void *ctx);
static void (*g_cleanup)(void *ctx);
static void *g_ctx;

/* One test's world; freed by teardown even when the test fails. */
struct fx {
	struct ps_store *st;
	const struct ps_store_ops *o;
	struct ps_err err;
	struct ps_snapshot snap;
	struct ps_buf buf;
};

static int setup(void **state)
{
	struct fx *f = ps_calloc(1, sizeof *f);
	ps_snapshot_init(&f->snap);
	ps_buf_init(&f->buf, 1 << 20);
	f->st = g_fresh(g_ctx);
	*state = f;
	if (f->st == NULL) {
		print_error("the backend could not make a fresh store\n");
		return -1;
	}
	f->o = f->st->ops;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f == NULL)
		return 0;
	ps_store_close(f->st);
	ps_snapshot_fini(&f->snap);
	ps_buf_fini(&f->buf);
	ps_free(f);
	if (g_cleanup)
		g_cleanup(g_ctx);
	return 0;
}

/* ---- Checks: failures read "case X: got ..., want ..." ------------------ */




#define WANT_FIELD(want, what) WANT_STR(f->err.field, want, what)

/* A case label with context: LABEL(w, "tenant %d", i). */
#define LABEL(buf, ...) snprintf(buf, sizeof buf, __VA_ARGS__)

#define NOW INT64_C(1800000000) /* 2027-01-15T08:00:00Z */

/* ---- Records ------------------------------------------------------------ */

static struct ps_tenant tenant_rec(const char *name, enum ps_segment seg, enum ps_payment pay)
{
	struct ps_tenant t;
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "%s", name);
	t.segment = seg;
	t.payment = pay;
	t.credit_limit = 250000;
	snprintf(t.currency, sizeof t.currency, "EUR");
	t.created_at = NOW - 1000;
	return t;
}

static struct ps_user user_rec(int64_t tenant, const char *upn)
{
	struct ps_user u;
	memset(&u, 0, sizeof u);
	u.tenant_id = tenant;
	snprintf(u.upn, sizeof u.upn, "%s", upn);
	snprintf(u.display_name, sizeof u.display_name, "Name of %s", upn);
	u.created_at = NOW - 500;
	return u;
}

static struct ps_subscription sub_rec(int64_t tenant, const char *plan, const char *product)
{
	struct ps_subscription s;
	memset(&s, 0, sizeof s);
	s.tenant_id = tenant;
	snprintf(s.plan_id, sizeof s.plan_id, "%s", plan);
	snprintf(s.product_id, sizeof s.product_id, "%s", product);
	s.quantity = 10;
	s.status = PS_SUB_ACTIVE;
	s.term = PS_TERM_MONTHLY;
	s.term_start = NOW - 86400;
	s.term_end = NOW + 29 * 86400;
	s.created_at = NOW - 86400;
	s.billed_through = s.term_end;
	return s;
}

static int64_t add_tenant(struct fx *f, const char *name)
{
	struct ps_tenant t = tenant_rec(name, PS_SEG_COMMERCIAL, PS_PAY_INVOICE);
	OK(f->o->tenant_insert(f->st, &t, &f->err), "fixture tenant_insert");
	return t.id;
}

static ps_code add_token(struct fx *f, const char *hash, enum ps_role role, int64_t tenant, int64_t *id)
{
	struct ps_token t = {.role = role, .tenant_id = tenant, .created_at = NOW};
	ps_code rc = f->o->token_insert(f->st, hash, &t, &f->err);
	*id = t.id;
	return rc;
}

static int64_t add_user(struct fx *f, int64_t tenant, const char *upn)
{
	struct ps_user u = user_rec(tenant, upn);
	OK(f->o->user_insert(f->st, &u, &f->err), "fixture user_insert");
	return u.id;
}

static int64_t add_sub(struct fx *f, int64_t tenant, const char *plan, const char *product)
{
	struct ps_subscription s = sub_rec(tenant, plan, product);
	OK(f->o->sub_insert(f->st, &s, &f->err), "fixture sub_insert");
	return s.id;
}

static struct ps_assignment seat(int64_t tenant, int64_t sub, int64_t user, const char *product)
{
	struct ps_assignment a;
	memset(&a, 0, sizeof a);
	a.tenant_id = tenant;
	a.subscription_id = sub;
	a.user_id = user;
	snprintf(a.product_id, sizeof a.product_id, "%s", product);
	a.assigned_at = NOW - 60;
	return a;
}

static int64_t assigned_of(struct fx *f, int64_t tenant, int64_t sub)
{
	struct ps_subscription s;
	OK(f->o->sub_get(f->st, tenant, sub, &s, &f->err), "fixture sub_get");
	return s.assigned;
}

static void same_tenant(const struct ps_tenant *g, const struct ps_tenant *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: name", what);
	WANT_STR(g->name, w->name, c);
	LABEL(c, "%s: segment", what);
	WANT_STR(ps_segment_name(g->segment), ps_segment_name(w->segment), c);
	LABEL(c, "%s: payment", what);
	WANT_STR(ps_payment_name(g->payment), ps_payment_name(w->payment), c);
	LABEL(c, "%s: credit_limit", what);
	WANT_I64(g->credit_limit, w->credit_limit, c);
	LABEL(c, "%s: currency", what);
	WANT_STR(g->currency, w->currency, c);
	LABEL(c, "%s: created_at", what);
	WANT_I64(g->created_at, w->created_at, c);
}

static void same_user(const struct ps_user *g, const struct ps_user *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: upn", what);
	WANT_STR(g->upn, w->upn, c);
	LABEL(c, "%s: display_name", what);
	WANT_STR(g->display_name, w->display_name, c);
	LABEL(c, "%s: created_at", what);
	WANT_I64(g->created_at, w->created_at, c);
}

static void same_sub(const struct ps_subscription *g, const struct ps_subscription *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: plan_id", what);
	WANT_STR(g->plan_id, w->plan_id, c);
	LABEL(c, "%s: product_id", what);
	WANT_STR(g->product_id, w->product_id, c);
	LABEL(c, "%s: quantity", what);
	WANT_I64(g->quantity, w->quantity, c);
	LABEL(c, "%s: assigned", what);
	WANT_I64(g->assigned, w->assigned, c);
	LABEL(c, "%s: status", what);
	WANT_STR(ps_sub_status_name(g->status), ps_sub_status_name(w->status), c);
	LABEL(c, "%s: term", what);
	WANT_STR(ps_term_name(g->term), ps_term_name(w->term), c);
	LABEL(c, "%s: prepaid", what);
	WANT_I64(g->prepaid, w->prepaid, c);
	LABEL(c, "%s: term_start", what);
	WANT_I64(g->term_start, w->term_start, c);
	LABEL(c, "%s: term_end", what);
	WANT_I64(g->term_end, w->term_end, c);
	LABEL(c, "%s: addon_of", what);
	WANT_I64(g->addon_of, w->addon_of, c);
	LABEL(c, "%s: replaced_by", what);
	WANT_I64(g->replaced_by, w->replaced_by, c);
	LABEL(c, "%s: created_at", what);
	WANT_I64(g->created_at, w->created_at, c);
	LABEL(c, "%s: billed_through", what);
	WANT_I64(g->billed_through, w->billed_through, c);
}

static void same_incident(const struct ps_incident *g, const struct ps_incident *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: service_id", what);
	WANT_STR(g->service_id, w->service_id, c);
	LABEL(c, "%s: status", what);
	WANT_STR(ps_incident_status_name(g->status), ps_incident_status_name(w->status), c);
	LABEL(c, "%s: title", what);
	WANT_STR(g->title, w->title, c);
	LABEL(c, "%s: opened_at", what);
	WANT_I64(g->opened_at, w->opened_at, c);
	LABEL(c, "%s: eta", what);
	WANT_I64(g->eta, w->eta, c);
	LABEL(c, "%s: resolved_at", what);
	WANT_I64(g->resolved_at, w->resolved_at, c);
}

static void same_op(const struct ps_operation *g, const struct ps_operation *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: kind", what);
	WANT_STR(ps_op_kind_name(g->kind), ps_op_kind_name(w->kind), c);
	LABEL(c, "%s: state", what);
	WANT_STR(ps_op_state_name(g->state), ps_op_state_name(w->state), c);
	LABEL(c, "%s: source_sub", what);
	WANT_I64(g->source_sub, w->source_sub, c);
	LABEL(c, "%s: target_plan", what);
	WANT_STR(g->target_plan, w->target_plan, c);
	LABEL(c, "%s: new_sub", what);
	WANT_I64(g->new_sub, w->new_sub, c);
	LABEL(c, "%s: created_at", what);
	WANT_I64(g->created_at, w->created_at, c);
	LABEL(c, "%s: updated_at", what);
	WANT_I64(g->updated_at, w->updated_at, c);
	LABEL(c, "%s: quantity", what);
	WANT_I64(g->quantity, w->quantity, c);
	LABEL(c, "%s: effective_at", what);
	WANT_I64(g->effective_at, w->effective_at, c);
	LABEL(c, "%s: credit_check_id", what);
	WANT_I64(g->credit_check_id, w->credit_check_id, c);
	LABEL(c, "%s: request_id", what);
	WANT_STR(g->request_id, w->request_id, c);
	LABEL(c, "%s: detail", what);
	WANT_STR(g->detail, w->detail, c);
}

static void same_credit(const struct ps_credit_check *g, const struct ps_credit_check *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: status", what);
	WANT_STR(ps_credit_status_name(g->status), ps_credit_status_name(w->status), c);
	LABEL(c, "%s: amount", what);
	WANT_I64(g->amount, w->amount, c);
	LABEL(c, "%s: requested_at", what);
	WANT_I64(g->requested_at, w->requested_at, c);
	LABEL(c, "%s: expected_by", what);
	WANT_I64(g->expected_by, w->expected_by, c);
	LABEL(c, "%s: decided_at", what);
	WANT_I64(g->decided_at, w->decided_at, c);
	LABEL(c, "%s: quantity", what);
	WANT_I64(g->quantity, w->quantity, c);
	LABEL(c, "%s: subscription_id", what);
	WANT_I64(g->subscription_id, w->subscription_id, c);
	LABEL(c, "%s: operation_id", what);
	WANT_I64(g->operation_id, w->operation_id, c);
}

static void same_invoice(const struct ps_invoice *g, const struct ps_invoice *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: subscription_id", what);
	WANT_I64(g->subscription_id, w->subscription_id, c);
	LABEL(c, "%s: amount", what);
	WANT_I64(g->amount, w->amount, c);
	LABEL(c, "%s: paid", what);
	WANT_I64(g->paid, w->paid, c);
	LABEL(c, "%s: currency", what);
	WANT_STR(g->currency, w->currency, c);
	LABEL(c, "%s: issued_at", what);
	WANT_I64(g->issued_at, w->issued_at, c);
	LABEL(c, "%s: due_at", what);
	WANT_I64(g->due_at, w->due_at, c);
	LABEL(c, "%s: status", what);
	WANT_STR(ps_invoice_status_name(g->status), ps_invoice_status_name(w->status), c);
}

static void same_line(const struct ps_invoice_line *g, const struct ps_invoice_line *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: invoice_id", what);
	WANT_I64(g->invoice_id, w->invoice_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: subscription_id", what);
	WANT_I64(g->subscription_id, w->subscription_id, c);
	LABEL(c, "%s: kind", what);
	WANT_STR(ps_line_kind_name(g->kind), ps_line_kind_name(w->kind), c);
	LABEL(c, "%s: plan_id", what);
	WANT_STR(g->plan_id, w->plan_id, c);
	LABEL(c, "%s: quantity", what);
	WANT_I64(g->quantity, w->quantity, c);
	LABEL(c, "%s: period_start", what);
	WANT_I64(g->period_start, w->period_start, c);
	LABEL(c, "%s: period_end", what);
	WANT_I64(g->period_end, w->period_end, c);
	LABEL(c, "%s: amount", what);
	WANT_I64(g->amount, w->amount, c);
	LABEL(c, "%s: description", what);
	WANT_STR(g->description, w->description, c);
}

static void same_payment(const struct ps_receipt *g, const struct ps_receipt *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: amount", what);
	WANT_I64(g->amount, w->amount, c);
	LABEL(c, "%s: currency", what);
	WANT_STR(g->currency, w->currency, c);
	LABEL(c, "%s: received_at", what);
	WANT_I64(g->received_at, w->received_at, c);
}

static void same_support(const struct ps_support_request *g, const struct ps_support_request *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: subscription_id", what);
	WANT_I64(g->subscription_id, w->subscription_id, c);
	LABEL(c, "%s: reason_codes", what);
	WANT_STR(g->reason_codes, w->reason_codes, c);
	LABEL(c, "%s: description", what);
	WANT_STR(g->description, w->description, c);
	LABEL(c, "%s: status", what);
	WANT_STR(ps_support_status_name(g->status), ps_support_status_name(w->status), c);
	LABEL(c, "%s: created_at", what);
	WANT_I64(g->created_at, w->created_at, c);
	LABEL(c, "%s: token_id", what);
	WANT_I64(g->token_id, w->token_id, c);
}

static void same_audit(const struct ps_audit *g, const struct ps_audit *w, const char *what)
{
	char c[160];
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g->tenant_id, w->tenant_id, c);
	LABEL(c, "%s: id", what);
	WANT_I64(g->id, w->id, c);
	LABEL(c, "%s: at", what);
	WANT_I64(g->at, w->at, c);
	LABEL(c, "%s: token_id", what);
	WANT_I64(g->token_id, w->token_id, c);
	LABEL(c, "%s: role", what);
	WANT_STR(ps_role_name(g->role), ps_role_name(w->role), c);
	LABEL(c, "%s: action", what);
	WANT_STR(g->action, w->action, c);
	LABEL(c, "%s: object", what);
	WANT_STR(g->object, w->object, c);
	LABEL(c, "%s: request_id", what);
	WANT_STR(g->request_id, w->request_id, c);
	LABEL(c, "%s: detail", what);
	WANT_STR(g->detail, w->detail, c);
}

/* ---- Collecting list rows ---------------------------------------------- */

#define IDS_MAX 32

/* Ids seen by a list callback; stop_after > 0 makes it stop after that many. */
struct ids {
	int64_t v[IDS_MAX];
	size_t n;
	size_t stop_after;
	struct ps_assignment seats[IDS_MAX];
	struct ps_audit audit[8];
	/* The first rows of the version-2 lists, whole. */
	struct ps_invoice invoices[8];
	struct ps_invoice_line lines[8];
	struct ps_receipt payments[8];
	struct ps_credit_check credits[8];
	struct ps_operation ops[8];
	struct ps_support_request support[8];
};

static bool collect(struct ids *ids, int64_t id)
{
	if (ids->n < IDS_MAX)
		ids->v[ids->n] = id;
	ids->n++;
	return ids->stop_after == 0 || ids->n < ids->stop_after;
}

static bool tenant_cb(void *arg, const struct ps_tenant *t)
{
	return collect(arg, t->id);
}

static bool user_cb(void *arg, const struct ps_user *u)
{
	return collect(arg, u->id);
}

static bool sub_cb(void *arg, const struct ps_subscription *s)
{
	return collect(arg, s->id);
}

static bool seat_cb(void *arg, const struct ps_assignment *a)
{
	struct ids *ids = arg;
	if (ids->n < IDS_MAX)
		ids->seats[ids->n] = *a;
	return collect(ids, a->user_id);
}

static bool incident_cb(void *arg, const struct ps_incident *i)
{
	return collect(arg, i->id);
}

static bool audit_cb(void *arg, const struct ps_audit *a)
{
	struct ids *ids = arg;
	if (ids->n < 8)
		ids->audit[ids->n] = *a;
	return collect(ids, a->id);
}

#define KEEP(field, rec)                                                                                               \
	do {                                                                                                           \
		if (ids->n < sizeof ids->field / sizeof ids->field[0])                                                 \
			ids->field[ids->n] = *(rec);                                                                   \
	} while (0)

static bool invoice_cb(void *arg, const struct ps_invoice *inv)
{
	struct ids *ids = arg;
	KEEP(invoices, inv);
	return collect(ids, inv->id);
}

static bool line_cb(void *arg, const struct ps_invoice_line *l)
{
	struct ids *ids = arg;
	KEEP(lines, l);
	return collect(ids, l->id);
}

static bool payment_cb(void *arg, const struct ps_receipt *p)
{
	struct ids *ids = arg;
	KEEP(payments, p);
	return collect(ids, p->id);
}

static bool credit_cb(void *arg, const struct ps_credit_check *cc)
{
	struct ids *ids = arg;
	KEEP(credits, cc);
	return collect(ids, cc->id);
}

static bool op_cb(void *arg, const struct ps_operation *op)
{
	struct ids *ids = arg;
	KEEP(ops, op);
	return collect(ids, op->id);
}

static bool support_cb(void *arg, const struct ps_support_request *r)
{
	struct ids *ids = arg;
	KEEP(support, r);
	return collect(ids, r->id);
}

static struct ids *ids_reset(struct ids *ids, size_t stop_after)
{
	memset(ids, 0, sizeof *ids);
	ids->stop_after = stop_after;
	return ids;
}

/* The ids collected are exactly want[0..n). */
static void want_ids(const struct ids *ids, const int64_t *want, size_t n, const char *what)
{
	char got[256] = "", exp[256] = "";
	size_t gl = 0, el = 0;
	bool same = ids->n == n;
	for (size_t i = 0; i < ids->n && i < IDS_MAX; i++) {
		if (gl < sizeof got)
			gl += (size_t)snprintf(got + gl, sizeof got - gl, "%s%" PRId64, i ? "," : "", ids->v[i]);
		if (i < n && ids->v[i] != want[i])
			same = false;
	}
	for (size_t i = 0; i < n; i++)
		if (el < sizeof exp)
			el += (size_t)snprintf(exp + el, sizeof exp - el, "%s%" PRId64, i ? "," : "", want[i]);
	if (!same)
		fail_msg("case %s: got [%s], want [%s]", what, got, exp);
}

#define WANT_IDS(ids, what, ...)                                                                                       \
	do {                                                                                                           \
		const int64_t w_[] = {__VA_ARGS__};                                                                    \
		want_ids((ids), w_, sizeof w_ / sizeof w_[0], (what));                                                 \
	} while (0)
#define WANT_NO_IDS(ids, what) want_ids((ids), NULL, 0, (what))

/* ---- Ids ---------------------------------------------------------------- */

static void t_ids_start_at_one(void **state)
{
	struct fx *f = *state;
	int64_t t1 = add_tenant(f, "A");
	int64_t t2 = add_tenant(f, "B");
	WANT_I64(t1, 1, "first tenant id");
	WANT_I64(t2, 2, "second tenant id");
	WANT_I64(add_user(f, t1, "a@a.example"), 1, "first user id");
	/* Ids are unique per table, across tenants. */
	WANT_I64(add_user(f, t2, "b@b.example"), 2, "second user id, other tenant");
	WANT_I64(add_sub(f, t2, "biz-basic", "business"), 1, "first subscription id");
	WANT_I64(add_sub(f, t1, "biz-basic", "business"), 2, "second subscription id, other tenant");

	struct ps_incident inc = {.status = PS_INC_DEGRADED, .opened_at = NOW, .service_id = "mail-1", .title = "t"};
	OK(f->o->incident_insert(f->st, &inc, &f->err), "incident_insert");
	WANT_I64(inc.id, 1, "first incident id");

	struct ps_invoice inv = {.tenant_id = t1, .amount = 100, .currency = "EUR", .status = PS_INV_OPEN};
	OK(f->o->invoice_insert(f->st, &inv, &f->err), "invoice_insert");
	WANT_I64(inv.id, 1, "first invoice id");
	inv.tenant_id = t2;
	OK(f->o->invoice_insert(f->st, &inv, &f->err), "invoice_insert 2");
	WANT_I64(inv.id, 2, "second invoice id, other tenant");

	struct ps_credit_check cc = {.tenant_id = t1, .status = PS_CC_PENDING, .amount = 1, .requested_at = NOW};
	OK(f->o->credit_check_insert(f->st, &cc, &f->err), "credit_check_insert");
	WANT_I64(cc.id, 1, "first credit check id");

	struct ps_operation op = {.tenant_id = t1,
				  .kind = PS_OPK_UPGRADE,
				  .state = PS_OP_COMPLETED,
				  .source_sub = 2,
				  .target_plan = "biz-std",
				  .created_at = NOW};
	OK(f->o->operation_insert(f->st, &op, &f->err), "operation_insert");
	WANT_I64(op.id, 1, "first operation id");

	struct ps_audit au = {.tenant_id = t1, .at = NOW, .role = PS_ROLE_OPERATOR, .action = "x"};
	OK(f->o->audit_insert(f->st, &au, &f->err), "audit_insert");
	WANT_I64(au.id, 1, "first audit id");
	au.tenant_id = t2;
	OK(f->o->audit_insert(f->st, &au, &f->err), "audit_insert 2");
	WANT_I64(au.id, 2, "second audit id, other tenant");

	int64_t tok = 0;
	OK(add_token(f, "h1", PS_ROLE_OPERATOR, 0, &tok), "token_insert");
	WANT_I64(tok, 1, "first token id");
	OK(add_token(f, "h2", PS_ROLE_READER, t1, &tok), "token_insert 2");
	WANT_I64(tok, 2, "second token id");
}

/* Money and operations refer to things that exist, in the same tenant. */
static void t_references(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t sa = add_sub(f, a, "biz-basic", "business");

	struct ps_invoice inv = {.tenant_id = a, .subscription_id = sa, .amount = 100, .currency = "EUR"};
	OK(f->o->invoice_insert(f->st, &inv, &f->err), "invoice for a subscription");
	inv.tenant_id = b;
	WANT_CODE(f->o->invoice_insert(f->st, &inv, &f->err), PS_NOT_FOUND, "invoice for another tenant's sub");
	WANT_FIELD("subscription", "invoice for another tenant's sub");
	inv.tenant_id = 999;
	WANT_CODE(f->o->invoice_insert(f->st, &inv, &f->err), PS_NOT_FOUND, "invoice of a missing tenant");
	WANT_FIELD("tenant", "invoice of a missing tenant");

	struct ps_credit_check cc = {.tenant_id = 999, .status = PS_CC_PENDING};
	WANT_CODE(f->o->credit_check_insert(f->st, &cc, &f->err), PS_NOT_FOUND, "credit check of a missing tenant");
	WANT_FIELD("tenant", "credit check of a missing tenant");

	struct ps_operation op = {.tenant_id = a,
				  .kind = PS_OPK_UPGRADE,
				  .state = PS_OP_PROVISIONING,
				  .source_sub = sa,
				  .target_plan = "biz-standard",
				  .created_at = NOW};
	op.source_sub = 999;
	WANT_CODE(f->o->operation_insert(f->st, &op, &f->err), PS_NOT_FOUND, "operation from a missing sub");
	WANT_FIELD("source", "operation from a missing sub");
	op.source_sub = sa;
	op.new_sub = 999;
	WANT_CODE(f->o->operation_insert(f->st, &op, &f->err), PS_NOT_FOUND, "operation to a missing new sub");
	WANT_FIELD("new_subscription", "operation to a missing new sub");
	op.tenant_id = b;
	op.new_sub = 0;
	WANT_CODE(f->o->operation_insert(f->st, &op, &f->err), PS_NOT_FOUND, "operation on another tenant's sub");
	WANT_FIELD("source", "operation on another tenant's sub");
	op.tenant_id = a;
	op.new_sub = add_sub(f, a, "biz-standard", "business");
	OK(f->o->operation_insert(f->st, &op, &f->err), "operation with both subs");
}

/* ---- Tenants ------------------------------------------------------------ */

static void t_tenant_roundtrip(void **state)
{
	struct fx *f = *state;
	char w[128];
	for (int seg = 0; seg < PS_SEG__COUNT; seg++) {
		for (int pay = 0; pay < PS_PAY__COUNT; pay++) {
			LABEL(w, "tenant %s/%s", ps_segment_name((enum ps_segment)seg),
			      ps_payment_name((enum ps_payment)pay));
			struct ps_tenant t = tenant_rec(w, (enum ps_segment)seg, (enum ps_payment)pay);
			t.credit_limit = 1000 * (seg + 1) + pay;
			t.created_at = NOW + seg * 10 + pay;
			OK(f->o->tenant_insert(f->st, &t, &f->err), w);
			struct ps_tenant got;
			memset(&got, 0xab, sizeof got);
			OK(f->o->tenant_get(f->st, t.id, &got, &f->err), w);
			same_tenant(&got, &t, w);
		}
	}
	struct ps_tenant got;
	WANT_CODE(f->o->tenant_get(f->st, 999, &got, &f->err), PS_NOT_FOUND, "tenant_get 999");
	WANT_CODE(f->o->tenant_get(f->st, 0, &got, &f->err), PS_NOT_FOUND, "tenant_get 0");
	WANT_CODE(f->o->tenant_get(f->st, -1, &got, &f->err), PS_NOT_FOUND, "tenant_get -1");

	/* Text at its cap survives whole. */
	struct ps_tenant big = tenant_rec("", PS_SEG_EDUCATION, PS_PAY_CARD);
	memset(big.name, 'n', PS_NAME_MAX);
	big.name[PS_NAME_MAX] = '\0';
	big.name[0] = '\xc3'; /* UTF-8 "é" */
	big.name[1] = '\xa9';
	OK(f->o->tenant_insert(f->st, &big, &f->err), "tenant with a name at its cap");
	OK(f->o->tenant_get(f->st, big.id, &got, &f->err), "tenant with a name at its cap");
	same_tenant(&got, &big, "tenant with a name at its cap");
}

static void t_tenant_list(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	for (int i = 0; i < 5; i++)
		add_tenant(f, "t");
	OK(f->o->tenant_list(f->st, 0, 0, tenant_cb, ids_reset(&ids, 0), &f->err), "tenant_list all");
	WANT_IDS(&ids, "tenant_list all", 1, 2, 3, 4, 5);
	OK(f->o->tenant_list(f->st, 2, 2, tenant_cb, ids_reset(&ids, 0), &f->err), "tenant_list after 2 limit 2");
	WANT_IDS(&ids, "tenant_list after 2 limit 2", 3, 4);
	OK(f->o->tenant_list(f->st, 4, 10, tenant_cb, ids_reset(&ids, 0), &f->err), "tenant_list after 4 limit 10");
	WANT_IDS(&ids, "tenant_list after 4 limit 10", 5);
	OK(f->o->tenant_list(f->st, 5, 0, tenant_cb, ids_reset(&ids, 0), &f->err), "tenant_list after last");
	WANT_NO_IDS(&ids, "tenant_list after last");
	OK(f->o->tenant_list(f->st, 0, 0, tenant_cb, ids_reset(&ids, 2), &f->err), "tenant_list stopped after 2");
	WANT_IDS(&ids, "tenant_list stopped after 2", 1, 2);
	/* A stopped walk leaves the handle usable: the same list again. */
	OK(f->o->tenant_list(f->st, 0, 1, tenant_cb, ids_reset(&ids, 0), &f->err), "tenant_list after a stop");
	WANT_IDS(&ids, "tenant_list after a stop", 1);
}

/* ---- Users -------------------------------------------------------------- */

static void t_user_roundtrip(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	struct ps_user u = user_rec(a, "Alice.Martin@contoso.example");
	snprintf(u.display_name, sizeof u.display_name, "Alice Martin (Zoë)");
	OK(f->o->user_insert(f->st, &u, &f->err), "user_insert");
	struct ps_user got;
	memset(&got, 0xab, sizeof got);
	OK(f->o->user_get(f->st, a, u.id, &got, &f->err), "user_get");
	same_user(&got, &u, "user_get");

	WANT_CODE(f->o->user_get(f->st, b, u.id, &got, &f->err), PS_NOT_FOUND, "user_get via another tenant");
	WANT_CODE(f->o->user_get(f->st, a, u.id + 100, &got, &f->err), PS_NOT_FOUND, "user_get missing id");
	WANT_CODE(f->o->user_get(f->st, 999, u.id, &got, &f->err), PS_NOT_FOUND, "user_get missing tenant");

	struct ps_user orphan = user_rec(999, "x@x.example");
	WANT_CODE(f->o->user_insert(f->st, &orphan, &f->err), PS_NOT_FOUND, "user_insert for a missing tenant");
}

static void t_user_upn_conflict(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t first = add_user(f, a, "bob@contoso.example");

	struct ps_user dup = user_rec(a, "bob@contoso.example");
	WANT_CODE(f->o->user_insert(f->st, &dup, &f->err), PS_CONFLICT, "duplicate upn");
	WANT_FIELD("upn", "duplicate upn");
	struct ps_user upper = user_rec(a, "BOB@Contoso.Example");
	WANT_CODE(f->o->user_insert(f->st, &upper, &f->err), PS_CONFLICT, "duplicate upn in another case");
	WANT_FIELD("upn", "duplicate upn in another case");

	/* The same upn in another tenant is another person. */
	int64_t other = add_user(f, b, "bob@contoso.example");
	if (other <= first)
		fail_msg("case id after a refused insert: got %" PRId64 ", want > %" PRId64, other, first);
	struct ps_user got;
	OK(f->o->user_get(f->st, a, first, &got, &f->err), "first user still there");
	WANT_STR(got.upn, "bob@contoso.example", "first user's upn unchanged");
}

static void t_user_list(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t a1 = add_user(f, a, "1@a"), b1 = add_user(f, b, "1@b"), a2 = add_user(f, a, "2@a");
	int64_t a3 = add_user(f, a, "3@a");
	OK(f->o->user_list(f->st, a, NULL, 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list A");
	WANT_IDS(&ids, "user_list A", a1, a2, a3);
	OK(f->o->user_list(f->st, b, NULL, 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list B");
	WANT_IDS(&ids, "user_list B", b1);
	OK(f->o->user_list(f->st, a, NULL, a1, 1, user_cb, ids_reset(&ids, 0), &f->err), "user_list A after a1 limit 1");
	WANT_IDS(&ids, "user_list A after a1 limit 1", a2);
	OK(f->o->user_list(f->st, a, NULL, 0, 0, user_cb, ids_reset(&ids, 1), &f->err), "user_list A stopped after 1");
	WANT_IDS(&ids, "user_list A stopped after 1", a1);
	OK(f->o->user_list(f->st, 999, NULL, 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list missing tenant");
	WANT_NO_IDS(&ids, "user_list missing tenant");
	/* q: a part of the upn or the name, in any case; %, _ and ! are literal */
	struct ps_user u = user_rec(a, "ada_50%@a");
	snprintf(u.display_name, sizeof u.display_name, "%s", "Ada Lovelace!");
	OK(f->o->user_insert(f->st, &u, &f->err), "user_insert ada");
	OK(f->o->user_list(f->st, a, "2@A", 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list q 2@A");
	WANT_IDS(&ids, "user_list q 2@A", a2);
	OK(f->o->user_list(f->st, a, "LOVE", 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list q LOVE");
	WANT_IDS(&ids, "user_list q LOVE", u.id);
	OK(f->o->user_list(f->st, a, "_50%", 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list q _50%");
	WANT_IDS(&ids, "user_list q _50%", u.id);
	OK(f->o->user_list(f->st, a, "e!", 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list q e!");
	WANT_IDS(&ids, "user_list q e!", u.id);
	OK(f->o->user_list(f->st, a, "%", 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list q %");
	WANT_IDS(&ids, "user_list q %", u.id);
	OK(f->o->user_list(f->st, a, "@", a1, 2, user_cb, ids_reset(&ids, 0), &f->err), "user_list q @ after a1 limit 2");
	WANT_IDS(&ids, "user_list q @ after a1 limit 2", a2, a3);
	OK(f->o->user_list(f->st, b, "2@", 0, 0, user_cb, ids_reset(&ids, 0), &f->err), "user_list q other tenant");
	WANT_NO_IDS(&ids, "user_list q other tenant");
}

/* ---- Subscriptions ------------------------------------------------------ */

static void t_sub_roundtrip(void **state)
{
	struct fx *f = *state;
	char w[128];
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");

	struct ps_subscription base = sub_rec(a, "biz-standard", "business");
	base.quantity = 25;
	base.assigned = 7; /* not stored: the store keeps the count */
	base.term = PS_TERM_ANNUAL;
	base.prepaid = true;
	base.term_start = NOW - 100 * 86400;
	base.term_end = NOW + 265 * 86400;
	base.created_at = NOW - 100 * 86400 + 5;
	OK(f->o->sub_insert(f->st, &base, &f->err), "sub_insert base");
	base.assigned = 0;
	struct ps_subscription got;
	memset(&got, 0xab, sizeof got);
	OK(f->o->sub_get(f->st, a, base.id, &got, &f->err), "sub_get base");
	same_sub(&got, &base, "sub_get base");

	struct ps_subscription addon = sub_rec(a, "audio-conf", "audio-conf");
	addon.addon_of = base.id;
	OK(f->o->sub_insert(f->st, &addon, &f->err), "sub_insert add-on");
	OK(f->o->sub_get(f->st, a, addon.id, &got, &f->err), "sub_get add-on");
	same_sub(&got, &addon, "sub_get add-on");

	WANT_CODE(f->o->sub_get(f->st, b, base.id, &got, &f->err), PS_NOT_FOUND, "sub_get via another tenant");
	WANT_CODE(f->o->sub_get(f->st, a, 999, &got, &f->err), PS_NOT_FOUND, "sub_get missing id");

	struct ps_subscription orphan = sub_rec(999, "biz-basic", "business");
	WANT_CODE(f->o->sub_insert(f->st, &orphan, &f->err), PS_NOT_FOUND, "sub_insert for a missing tenant");
	WANT_FIELD("tenant", "sub_insert for a missing tenant");
	struct ps_subscription stray = sub_rec(b, "audio-conf", "audio-conf");
	stray.addon_of = base.id; /* tenant A's subscription */
	WANT_CODE(f->o->sub_insert(f->st, &stray, &f->err), PS_NOT_FOUND, "sub_insert add-on of another tenant's sub");
	WANT_FIELD("addon_of", "sub_insert add-on of another tenant's sub");
	stray.addon_of = 0;
	stray.replaced_by = 999;
	WANT_CODE(f->o->sub_insert(f->st, &stray, &f->err), PS_NOT_FOUND, "sub_insert replaced_by a missing sub");
	WANT_FIELD("replaced_by", "sub_insert replaced_by a missing sub");

	/* Every status and term survives. */
	for (int st = 0; st < PS_SUB__COUNT; st++) {
		for (int term = 0; term < PS_TERM__COUNT; term++) {
			LABEL(w, "sub %s/%s", ps_sub_status_name((enum ps_sub_status)st),
			      ps_term_name((enum ps_term)term));
			struct ps_subscription s = sub_rec(b, "p", "q");
			s.status = (enum ps_sub_status)st;
			s.term = (enum ps_term)term;
			s.prepaid = (st + term) % 2;
			OK(f->o->sub_insert(f->st, &s, &f->err), w);
			OK(f->o->sub_get(f->st, b, s.id, &got, &f->err), w);
			same_sub(&got, &s, w);
		}
	}
}

static void t_sub_update(void **state)
{
	struct fx *f = *state;
	char w[128];
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t base = add_sub(f, a, "biz-basic", "business");
	int64_t succ = add_sub(f, a, "biz-standard", "business");
	int64_t u = add_user(f, a, "u@a");
	struct ps_assignment st = seat(a, base, u, "business");
	OK(f->o->assignment_insert(f->st, &st, &f->err), "fixture seat");

	struct ps_subscription before, got;
	OK(f->o->sub_get(f->st, a, base, &before, &f->err), "sub_get before");
	struct ps_subscription up = before;
	up.quantity = 3;
	up.status = PS_SUB_REPLACED;
	up.term_start = NOW + 1;
	up.term_end = NOW + 2;
	up.replaced_by = succ;
	up.billed_through = NOW + 3;
	/* Not written by update: */
	snprintf(up.plan_id, sizeof up.plan_id, "other-plan");
	snprintf(up.product_id, sizeof up.product_id, "other-product");
	up.assigned = 42;
	up.term = PS_TERM_ANNUAL;
	up.prepaid = true;
	up.created_at = 1;
	OK(f->o->sub_update(f->st, &up, &f->err), "sub_update");
	OK(f->o->sub_get(f->st, a, base, &got, &f->err), "sub_get after update");
	struct ps_subscription want = before;
	want.quantity = 3;
	want.status = PS_SUB_REPLACED;
	want.term_start = NOW + 1;
	want.term_end = NOW + 2;
	want.replaced_by = succ;
	want.billed_through = NOW + 3;
	same_sub(&got, &want, "sub_get after update");

	/* Back to no successor. */
	up.replaced_by = 0;
	OK(f->o->sub_update(f->st, &up, &f->err), "sub_update clearing replaced_by");
	OK(f->o->sub_get(f->st, a, base, &got, &f->err), "sub_get after clearing");
	WANT_I64(got.replaced_by, 0, "replaced_by cleared");

	/* Every status through update. */
	for (int s = 0; s < PS_SUB__COUNT; s++) {
		LABEL(w, "sub_update to %s", ps_sub_status_name((enum ps_sub_status)s));
		up.status = (enum ps_sub_status)s;
		OK(f->o->sub_update(f->st, &up, &f->err), w);
		OK(f->o->sub_get(f->st, a, base, &got, &f->err), w);
		WANT_STR(ps_sub_status_name(got.status), ps_sub_status_name((enum ps_sub_status)s), w);
	}

	struct ps_subscription missing = up;
	missing.id = 999;
	WANT_CODE(f->o->sub_update(f->st, &missing, &f->err), PS_NOT_FOUND, "sub_update missing id");
	struct ps_subscription other = up;
	other.tenant_id = b;
	other.quantity = 77;
	WANT_CODE(f->o->sub_update(f->st, &other, &f->err), PS_NOT_FOUND, "sub_update via another tenant");
	OK(f->o->sub_get(f->st, a, base, &got, &f->err), "sub_get after refused update");
	WANT_I64(got.quantity, 3, "quantity after another tenant's update");
	struct ps_subscription dangling = up;
	dangling.replaced_by = 999;
	WANT_CODE(f->o->sub_update(f->st, &dangling, &f->err), PS_NOT_FOUND, "sub_update replaced_by missing sub");
	WANT_FIELD("replaced_by", "sub_update replaced_by missing sub");

	/* An add-on follows its base to a new plan: update writes addon_of. */
	struct ps_subscription addon = sub_rec(a, "audio-conf", "audio-conf");
	addon.addon_of = base;
	OK(f->o->sub_insert(f->st, &addon, &f->err), "add-on of base");
	struct ps_subscription moved = addon;
	moved.addon_of = succ;
	OK(f->o->sub_update(f->st, &moved, &f->err), "sub_update moving the add-on to succ");
	OK(f->o->sub_get(f->st, a, addon.id, &got, &f->err), "add-on after update");
	same_sub(&got, &moved, "add-on after moving it to succ");
	moved.addon_of = 0;
	OK(f->o->sub_update(f->st, &moved, &f->err), "sub_update clearing addon_of");
	OK(f->o->sub_get(f->st, a, addon.id, &got, &f->err), "add-on after clearing");
	WANT_I64(got.addon_of, 0, "addon_of cleared");
	dangling = moved;
	dangling.addon_of = 999;
	WANT_CODE(f->o->sub_update(f->st, &dangling, &f->err), PS_NOT_FOUND, "sub_update addon_of missing sub");
	WANT_FIELD("addon_of", "sub_update addon_of missing sub");
	dangling.addon_of = add_sub(f, b, "biz-basic", "business");
	WANT_CODE(f->o->sub_update(f->st, &dangling, &f->err), PS_NOT_FOUND,
		  "sub_update addon_of another tenant's sub");
	WANT_FIELD("addon_of", "sub_update addon_of another tenant's sub");
}

static void t_sub_list(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t s1 = add_sub(f, a, "p", "q"), s2 = add_sub(f, b, "p", "q"), s3 = add_sub(f, a, "p", "q");
	int64_t s4 = add_sub(f, a, "p", "q");
	OK(f->o->sub_list(f->st, a, 0, 0, sub_cb, ids_reset(&ids, 0), &f->err), "sub_list A");
	WANT_IDS(&ids, "sub_list A", s1, s3, s4);
	OK(f->o->sub_list(f->st, b, 0, 0, sub_cb, ids_reset(&ids, 0), &f->err), "sub_list B");
	WANT_IDS(&ids, "sub_list B", s2);
	OK(f->o->sub_list(f->st, a, s1, 1, sub_cb, ids_reset(&ids, 0), &f->err), "sub_list A after s1 limit 1");
	WANT_IDS(&ids, "sub_list A after s1 limit 1", s3);
	OK(f->o->sub_list(f->st, a, 0, 0, sub_cb, ids_reset(&ids, 2), &f->err), "sub_list A stopped after 2");
	WANT_IDS(&ids, "sub_list A stopped after 2", s1, s3);
}

/* ---- Assignments -------------------------------------------------------- */

static void t_assignment_seats(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A");
	int64_t u1 = add_user(f, a, "1@a"), u2 = add_user(f, a, "2@a");
	int64_t s1 = add_sub(f, a, "biz-basic", "business");
	int64_t s2 = add_sub(f, a, "biz-standard", "business");
	int64_t s3 = add_sub(f, a, "visio-1", "visio");
	struct ps_assignment x;

	x = seat(a, s1, u1, "business");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "u1 takes a seat of s1");
	WANT_I64(assigned_of(f, a, s1), 1, "s1 assigned after u1");
	x = seat(a, s1, u2, "business");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "u2 takes a seat of s1");
	WANT_I64(assigned_of(f, a, s1), 2, "s1 assigned after u2");

	x = seat(a, s1, u1, "business");
	WANT_CODE(f->o->assignment_insert(f->st, &x, &f->err), PS_CONFLICT, "u1 takes a second seat of s1");
	WANT_FIELD("user", "u1 takes a second seat of s1");
	x = seat(a, s2, u1, "business");
	WANT_CODE(f->o->assignment_insert(f->st, &x, &f->err), PS_CONFLICT, "u1 takes a seat of s2, same product");
	WANT_FIELD("user", "u1 takes a seat of s2, same product");
	WANT_I64(assigned_of(f, a, s1), 2, "s1 assigned after refused seats");
	WANT_I64(assigned_of(f, a, s2), 0, "s2 assigned after refused seat");

	x = seat(a, s3, u1, "visio");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "u1 takes a seat of s3, another product");
	WANT_I64(assigned_of(f, a, s3), 1, "s3 assigned");

	OK(f->o->assignment_delete(f->st, a, s1, u1, &f->err), "u1 leaves s1");
	WANT_I64(assigned_of(f, a, s1), 1, "s1 assigned after u1 left");
	WANT_CODE(f->o->assignment_delete(f->st, a, s1, u1, &f->err), PS_NOT_FOUND, "u1 leaves s1 again");
	WANT_I64(assigned_of(f, a, s1), 1, "s1 assigned after refused delete");
	WANT_CODE(f->o->assignment_delete(f->st, a, s2, u2, &f->err), PS_NOT_FOUND, "u2 leaves s2 it never held");

	/* The seat of the product is free again. */
	x = seat(a, s2, u1, "business");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "u1 takes a seat of s2 after leaving s1");
	WANT_I64(assigned_of(f, a, s2), 1, "s2 assigned");

	/* The product is the subscription's, whatever the caller says. */
	x = seat(a, s3, u2, "not-visio");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "u2 takes a seat of s3");
	struct ids ids;
	OK(f->o->assignment_list(f->st, a, s3, u1, 0, seat_cb, ids_reset(&ids, 0), &f->err), "list s3 after u1");
	WANT_IDS(&ids, "list s3 after u1", u2);
	WANT_STR(ids.seats[0].product_id, "visio", "seat's product is the subscription's");
}

static void t_assignment_isolation(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t ua = add_user(f, a, "u@a"), ub = add_user(f, b, "u@b");
	int64_t sa = add_sub(f, a, "biz-basic", "business"), sb = add_sub(f, b, "biz-basic", "business");
	struct ps_assignment x;

	x = seat(b, sa, ub, "business");
	WANT_CODE(f->o->assignment_insert(f->st, &x, &f->err), PS_NOT_FOUND, "seat of another tenant's sub");
	x = seat(a, sa, ub, "business");
	WANT_CODE(f->o->assignment_insert(f->st, &x, &f->err), PS_NOT_FOUND, "seat for another tenant's user");
	WANT_FIELD("user", "seat for another tenant's user");
	x = seat(a, 999, ua, "business");
	WANT_CODE(f->o->assignment_insert(f->st, &x, &f->err), PS_NOT_FOUND, "seat of a missing sub");
	x = seat(a, sa, 999, "business");
	WANT_CODE(f->o->assignment_insert(f->st, &x, &f->err), PS_NOT_FOUND, "seat for a missing user");
	WANT_I64(assigned_of(f, a, sa), 0, "sa assigned after refused seats");
	WANT_I64(assigned_of(f, b, sb), 0, "sb assigned after refused seats");

	x = seat(a, sa, ua, "business");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "seat in A");
	x = seat(b, sb, ub, "business");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "seat in B");
	WANT_CODE(f->o->assignment_delete(f->st, b, sa, ua, &f->err), PS_NOT_FOUND, "delete via another tenant");
	WANT_I64(assigned_of(f, a, sa), 1, "sa assigned after another tenant's delete");
	struct ids ids;
	OK(f->o->assignment_list(f->st, b, sa, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "list via another tenant");
	WANT_NO_IDS(&ids, "list via another tenant");
}

static void t_assignment_list(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A");
	int64_t s1 = add_sub(f, a, "biz-basic", "business"), s2 = add_sub(f, a, "visio-1", "visio");
	int64_t u[5];
	char upn[32];
	for (int i = 0; i < 5; i++) {
		LABEL(upn, "%d@a", i);
		u[i] = add_user(f, a, upn);
	}
	/* Assigned out of order: the list is by user id. */
	const int order[5] = {3, 0, 4, 1, 2};
	for (int i = 0; i < 5; i++) {
		struct ps_assignment x = seat(a, s1, u[order[i]], "business");
		x.assigned_at = NOW + order[i];
		OK(f->o->assignment_insert(f->st, &x, &f->err), "seat");
	}
	struct ps_assignment x = seat(a, s2, u[0], "visio");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "seat of s2");
	WANT_I64(assigned_of(f, a, s1), 5, "s1 assigned");

	struct ids ids;
	char w[96];
	OK(f->o->assignment_list(f->st, a, s1, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "list s1");
	WANT_IDS(&ids, "list s1", u[0], u[1], u[2], u[3], u[4]);
	for (int i = 0; i < 5; i++) {
		LABEL(w, "list s1 row %d", i);
		struct ps_assignment want = seat(a, s1, u[i], "business");
		want.assigned_at = NOW + i;
		WANT_I64(ids.seats[i].tenant_id, want.tenant_id, w);
		WANT_I64(ids.seats[i].subscription_id, want.subscription_id, w);
		WANT_I64(ids.seats[i].user_id, want.user_id, w);
		WANT_STR(ids.seats[i].product_id, want.product_id, w);
		WANT_I64(ids.seats[i].assigned_at, want.assigned_at, w);
	}
	OK(f->o->assignment_list(f->st, a, s1, u[1], 2, seat_cb, ids_reset(&ids, 0), &f->err), "list s1 page 2");
	WANT_IDS(&ids, "list s1 page 2", u[2], u[3]);
	OK(f->o->assignment_list(f->st, a, s1, 0, 0, seat_cb, ids_reset(&ids, 3), &f->err), "list s1 stopped");
	WANT_IDS(&ids, "list s1 stopped", u[0], u[1], u[2]);
	OK(f->o->assignment_list(f->st, a, s2, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "list s2");
	WANT_IDS(&ids, "list s2", u[0]);
}

/* ---- Transactions ------------------------------------------------------- */

static void t_rollback(void **state)
{
	struct fx *f = *state;
	struct ps_tenant t = tenant_rec("gone", PS_SEG_COMMERCIAL, PS_PAY_CARD), got;

	f->o->rollback(f->st); /* no transaction: nothing happens */

	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin write");
	OK(f->o->tenant_insert(f->st, &t, &f->err), "tenant_insert in tx");
	OK(f->o->tenant_get(f->st, t.id, &got, &f->err), "tenant visible inside its tx");
	f->o->rollback(f->st);
	WANT_CODE(f->o->tenant_get(f->st, t.id, &got, &f->err), PS_NOT_FOUND, "tenant after rollback");

	int64_t a = add_tenant(f, "A");
	int64_t u = add_user(f, a, "u@a");
	int64_t s = add_sub(f, a, "biz-basic", "business");
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin write 2");
	struct ps_assignment x = seat(a, s, u, "business");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "seat in tx");
	WANT_I64(assigned_of(f, a, s), 1, "assigned inside tx");
	f->o->rollback(f->st);
	WANT_I64(assigned_of(f, a, s), 0, "assigned after rollback");
	struct ids ids;
	OK(f->o->assignment_list(f->st, a, s, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "seats after rollback");
	WANT_NO_IDS(&ids, "seats after rollback");

	/* A refused write inside a transaction does not undo the others. */
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin write 3");
	int64_t kept = add_user(f, a, "kept@a");
	struct ps_user dup = user_rec(a, "u@a");
	WANT_CODE(f->o->user_insert(f->st, &dup, &f->err), PS_CONFLICT, "duplicate inside tx");
	OK(f->o->commit(f->st, &f->err), "commit 3");
	struct ps_user ug;
	OK(f->o->user_get(f->st, a, kept, &ug, &f->err), "user kept after a refused write and commit");

	/* Read transactions. */
	OK(f->o->begin(f->st, PS_TX_READ, &f->err), "begin read");
	OK(f->o->tenant_get(f->st, a, &got, &f->err), "tenant_get in read tx");
	OK(f->o->commit(f->st, &f->err), "commit read");
	OK(f->o->begin(f->st, PS_TX_READ, &f->err), "begin read 2");
	f->o->rollback(f->st);
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin write after read rollback");
	OK(f->o->commit(f->st, &f->err), "empty commit");
}

/* ---- Incidents ---------------------------------------------------------- */

static struct ps_incident incident_rec(const char *service, enum ps_incident_status status, int64_t opened)
{
	struct ps_incident i;
	memset(&i, 0, sizeof i);
	snprintf(i.service_id, sizeof i.service_id, "%s", service);
	i.status = status;
	snprintf(i.title, sizeof i.title, "%s is %s", service, ps_incident_status_name(status));
	i.opened_at = opened;
	return i;
}

struct note_acc {
	struct ps_incident_update v[4];
	size_t n;
};

static bool note_cb(void *arg, const struct ps_incident_update *u)
{
	struct note_acc *a = arg;
	if (a->n < 4)
		a->v[a->n++] = *u;
	return true;
}

static void t_incidents(void **state)
{
	struct fx *f = *state;
	char w[96];
	struct ps_incident i1 = incident_rec("mail-1", PS_INC_DEGRADED, NOW - 300);
	struct ps_incident i2 = incident_rec("files-1", PS_INC_RESOLVED, NOW - 200);
	i2.resolved_at = NOW - 100;
	struct ps_incident i3 = incident_rec("chat-1", PS_INC_INVESTIGATING, NOW - 50);
	OK(f->o->incident_insert(f->st, &i1, &f->err), "incident_insert 1");
	OK(f->o->incident_insert(f->st, &i2, &f->err), "incident_insert 2");
	OK(f->o->incident_insert(f->st, &i3, &f->err), "incident_insert 3");
	struct ps_incident got;
	memset(&got, 0xab, sizeof got);
	OK(f->o->incident_get(f->st, i1.id, &got, &f->err), "incident_get 1");
	same_incident(&got, &i1, "incident_get 1");
	OK(f->o->incident_get(f->st, i2.id, &got, &f->err), "incident_get 2");
	same_incident(&got, &i2, "incident_get 2");
	WANT_CODE(f->o->incident_get(f->st, 999, &got, &f->err), PS_NOT_FOUND, "incident_get missing");

	struct ids ids;
	OK(f->o->incident_list(f->st, false, 0, 0, incident_cb, ids_reset(&ids, 0), &f->err), "all incidents");
	WANT_IDS(&ids, "all incidents", i1.id, i2.id, i3.id);
	OK(f->o->incident_list(f->st, true, 0, 0, incident_cb, ids_reset(&ids, 0), &f->err), "open incidents");
	WANT_IDS(&ids, "open incidents", i1.id, i3.id);

	i3.status = PS_INC_RESOLVED;
	i3.resolved_at = NOW;
	OK(f->o->incident_update(f->st, &i3, &f->err), "resolve 3");
	OK(f->o->incident_get(f->st, i3.id, &got, &f->err), "incident_get 3");
	same_incident(&got, &i3, "incident_get 3 after resolve");
	OK(f->o->incident_list(f->st, true, 0, 0, incident_cb, ids_reset(&ids, 0), &f->err), "open after resolve");
	WANT_IDS(&ids, "open after resolve", i1.id);
	OK(f->o->incident_list(f->st, false, i1.id, 1, incident_cb, ids_reset(&ids, 0), &f->err), "page");
	WANT_IDS(&ids, "incidents after 1 limit 1", i2.id);
	OK(f->o->incident_list(f->st, false, 0, 0, incident_cb, ids_reset(&ids, 1), &f->err), "stopped");
	WANT_IDS(&ids, "incidents stopped after 1", i1.id);

	struct ps_incident missing = i3;
	missing.id = 999;
	WANT_CODE(f->o->incident_update(f->st, &missing, &f->err), PS_NOT_FOUND, "incident_update missing");

	/* An eta is kept, changed and cleared; updates come back in order. */
	i1.eta = NOW + 3600;
	OK(f->o->incident_update(f->st, &i1, &f->err), "set an eta");
	OK(f->o->incident_get(f->st, i1.id, &got, &f->err), "incident_get 1 with an eta");
	same_incident(&got, &i1, "incident_get 1 with an eta");
	struct ps_incident_update n1 = {.incident_id = i1.id, .at = NOW, .status = PS_INC_DEGRADED};
	struct ps_incident_update n2 = {.incident_id = i1.id, .at = NOW + 60, .status = PS_INC_RESTORING};
	snprintf(n1.message, sizeof n1.message, "first");
	snprintf(n2.message, sizeof n2.message, "second");
	OK(f->o->incident_note_insert(f->st, &n1, &f->err), "update 1");
	OK(f->o->incident_note_insert(f->st, &n2, &f->err), "update 2");
	WANT_I64(n1.n, 1, "the first update's number");
	WANT_I64(n2.n, 2, "the second update's number");
	struct ps_incident_update bad = {.incident_id = 999, .at = NOW, .status = PS_INC_DEGRADED};
	WANT_CODE(f->o->incident_note_insert(f->st, &bad, &f->err), PS_NOT_FOUND, "an update of no incident");
	struct note_acc notes = {.n = 0};
	OK(f->o->incident_note_list(f->st, i1.id, note_cb, &notes, &f->err), "the updates");
	WANT_I64((int64_t)notes.n, 2, "two updates");
	WANT_STR(notes.v[0].message, "first", "in order: first");
	WANT_STR(notes.v[1].message, "second", "in order: second");
	WANT_I64(notes.v[1].at, NOW + 60, "the second's time");
	WANT_STR(ps_incident_status_name(notes.v[1].status), "restoring", "the second's status");
	i1.eta = 0;
	OK(f->o->incident_update(f->st, &i1, &f->err), "clear the eta");
	OK(f->o->incident_get(f->st, i1.id, &got, &f->err), "incident_get 1 without an eta");
	same_incident(&got, &i1, "incident_get 1 without an eta");

	/* The update writes status, resolved_at and eta only. */
	struct ps_incident up = i1;
	up.status = PS_INC_RESTORING;
	snprintf(up.title, sizeof up.title, "changed");
	snprintf(up.service_id, sizeof up.service_id, "changed");
	up.opened_at = 1;
	OK(f->o->incident_update(f->st, &up, &f->err), "incident_update 1");
	OK(f->o->incident_get(f->st, i1.id, &got, &f->err), "incident_get 1 after update");
	i1.status = PS_INC_RESTORING;
	same_incident(&got, &i1, "incident_get 1 after update");

	for (int s = 0; s < PS_INC__COUNT; s++) {
		LABEL(w, "incident status %s", ps_incident_status_name((enum ps_incident_status)s));
		struct ps_incident i = incident_rec("x", (enum ps_incident_status)s, NOW);
		OK(f->o->incident_insert(f->st, &i, &f->err), w);
		OK(f->o->incident_get(f->st, i.id, &got, &f->err), w);
		same_incident(&got, &i, w);
	}
}

/* ---- Tokens and catalog ------------------------------------------------- */

static void t_tokens(void **state)
{
	struct fx *f = *state;
	char w[96], hash[80];
	int64_t a = add_tenant(f, "A");
	const char *h_op = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	const char *h_ga = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
	int64_t id_op = 0, id_ga = 0;
	OK(add_token(f, h_op, PS_ROLE_OPERATOR, 0, &id_op), "operator token");
	OK(add_token(f, h_ga, PS_ROLE_GLOBAL_ADMIN, a, &id_ga), "global_admin token");
	if (id_ga <= id_op)
		fail_msg("case token ids: got %" PRId64 " then %" PRId64 ", want increasing", id_op, id_ga);

	struct ps_principal p;
	memset(&p, 0xab, sizeof p);
	OK(f->o->token_find(f->st, h_op, NOW, &p, &f->err), "find operator");
	WANT_I64(p.token_id, id_op, "operator token_id");
	WANT_STR(ps_role_name(p.role), "operator", "operator role");
	WANT_I64(p.tenant_id, 0, "operator tenant");
	OK(f->o->token_find(f->st, h_ga, NOW, &p, &f->err), "find global_admin");
	WANT_I64(p.token_id, id_ga, "global_admin token_id");
	WANT_STR(ps_role_name(p.role), "global_admin", "global_admin role");
	WANT_I64(p.tenant_id, a, "global_admin tenant");

	WANT_CODE(f->o->token_find(f->st, "0000", NOW, &p, &f->err), PS_NOT_FOUND, "unknown hash");
	WANT_CODE(f->o->token_find(f->st, "", NOW, &p, &f->err), PS_NOT_FOUND, "empty hash");
	WANT_CODE(f->o->token_insert(f->st, h_op, &(struct ps_token){.role = PS_ROLE_READER, .tenant_id = a, .created_at = NOW}, &f->err), PS_CONFLICT,
		  "duplicate hash");
	WANT_FIELD("token", "duplicate hash");
	WANT_CODE(f->o->token_insert(f->st, "fresh", &(struct ps_token){.role = PS_ROLE_READER, .tenant_id = 999, .created_at = NOW}, &f->err), PS_NOT_FOUND,
		  "token for a missing tenant");

	for (int r = 0; r < PS_ROLE__COUNT; r++) {
		enum ps_role role = (enum ps_role)r;
		LABEL(w, "token role %s", ps_role_name(role));
		LABEL(hash, "role-%d", r);
		int64_t tenant = ps_role_is_tenant(role) ? a : 0, id = 0;
		OK(add_token(f, hash, role, tenant, &id), w);
		OK(f->o->token_find(f->st, hash, NOW, &p, &f->err), w);
		WANT_I64(p.token_id, id, w);
		WANT_STR(ps_role_name(p.role), ps_role_name(role), w);
		WANT_I64(p.tenant_id, tenant, w);
	}
}

static bool token_seen(void *arg, const struct ps_token *t)
{
	struct ps_buf *b = arg;
	ps_buf_printf(b, "%" PRId64 ":%s:%s:%" PRId64 ";", t->id, t->name, ps_role_name(t->role), t->tenant_id);
	return true;
}

/* A token's life: named, expiring on the caller's clock, its last use
 * written only when older than `since`, listed per tenant without the
 * revoked, revoked once. */
static void t_token_life(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	struct ps_token ta = {.role = PS_ROLE_READER, .tenant_id = a, .created_at = NOW, .name = "ci script",
			      .expires_at = NOW + 3600};
	struct ps_token tb = {.role = PS_ROLE_GLOBAL_ADMIN, .tenant_id = b, .created_at = NOW};
	struct ps_token top = {.role = PS_ROLE_OPERATOR, .created_at = NOW, .name = "ops"};
	OK(f->o->token_insert(f->st, "ha", &ta, &f->err), "insert a");
	OK(f->o->token_insert(f->st, "hb", &tb, &f->err), "insert b");
	OK(f->o->token_insert(f->st, "hop", &top, &f->err), "insert operator");

	struct ps_token got;
	OK(f->o->token_get(f->st, ta.id, &got, &f->err), "get a");
	WANT_STR(got.name, "ci script", "name kept");
	WANT_I64(got.expires_at, NOW + 3600, "expiry kept");
	WANT_I64(got.created_at, NOW, "created kept");
	WANT_I64(got.last_used_at, 0, "never used");
	WANT_I64(got.revoked_at, 0, "not revoked");
	WANT_CODE(f->o->token_get(f->st, 999, &got, &f->err), PS_NOT_FOUND, "get missing");

	/* Expiry on the clock the caller gives. */
	struct ps_principal p;
	OK(f->o->token_find(f->st, "ha", NOW + 3599, &p, &f->err), "find before expiry");
	WANT_I64(p.expires_at, NOW + 3600, "principal expiry");
	WANT_CODE(f->o->token_find(f->st, "ha", NOW + 3600, &p, &f->err), PS_NOT_FOUND, "find at expiry");
	OK(f->o->token_find(f->st, "hb", NOW + 10 * 365 * 86400LL, &p, &f->err), "no expiry: found years later");

	/* Last use: written when older than `since`, not otherwise. */
	OK(f->o->token_touch(f->st, ta.id, NOW + 10, NOW + 10 - 60, &f->err), "first touch");
	OK(f->o->token_get(f->st, ta.id, &got, &f->err), "get after touch");
	WANT_I64(got.last_used_at, NOW + 10, "first use written");
	OK(f->o->token_touch(f->st, ta.id, NOW + 40, NOW + 40 - 60, &f->err), "touch within the minute");
	OK(f->o->token_get(f->st, ta.id, &got, &f->err), "get after second touch");
	WANT_I64(got.last_used_at, NOW + 10, "not rewritten within the minute");
	OK(f->o->token_touch(f->st, ta.id, NOW + 70, NOW + 70 - 60, &f->err), "touch a minute later");
	OK(f->o->token_get(f->st, ta.id, &got, &f->err), "get after third touch");
	WANT_I64(got.last_used_at, NOW + 70, "rewritten a minute later");
	OK(f->o->token_find(f->st, "ha", NOW + 71, &p, &f->err), "find after touch");
	WANT_I64(p.last_used_at, NOW + 70, "principal's last use");

	/* Lists: one tenant's, or every token; never the revoked. */
	ps_buf_reset(&f->buf);
	OK(f->o->token_list(f->st, a, 0, 0, token_seen, &f->buf, &f->err), "list a");
	char want[256];
	snprintf(want, sizeof want, "%" PRId64 ":ci script:reader:%" PRId64 ";", ta.id, a);
	WANT_STR(ps_buf_str(&f->buf), want, "tenant a's tokens");
	ps_buf_reset(&f->buf);
	OK(f->o->token_list(f->st, 0, 0, 0, token_seen, &f->buf, &f->err), "list all");
	snprintf(want, sizeof want, "%" PRId64 ":ci script:reader:%" PRId64 ";%" PRId64 "::global_admin:%" PRId64
		 ";%" PRId64 ":ops:operator:0;", ta.id, a, tb.id, b, top.id);
	WANT_STR(ps_buf_str(&f->buf), want, "every token");
	ps_buf_reset(&f->buf);
	OK(f->o->token_list(f->st, 0, ta.id, 1, token_seen, &f->buf, &f->err), "page after a");
	snprintf(want, sizeof want, "%" PRId64 "::global_admin:%" PRId64 ";", tb.id, b);
	WANT_STR(ps_buf_str(&f->buf), want, "one page after a");

	/* Revocation: found no more, listed no more, revoked once. */
	OK(f->o->token_revoke(f->st, tb.id, NOW + 5, &f->err), "revoke b");
	WANT_CODE(f->o->token_find(f->st, "hb", NOW + 6, &p, &f->err), PS_NOT_FOUND, "revoked token not found");
	WANT_CODE(f->o->token_revoke(f->st, tb.id, NOW + 7, &f->err), PS_NOT_FOUND, "revoked twice");
	WANT_CODE(f->o->token_revoke(f->st, 999, NOW + 7, &f->err), PS_NOT_FOUND, "revoke missing");
	OK(f->o->token_get(f->st, tb.id, &got, &f->err), "get revoked");
	WANT_I64(got.revoked_at, NOW + 5, "revoked_at");
	ps_buf_reset(&f->buf);
	OK(f->o->token_list(f->st, b, 0, 0, token_seen, &f->buf, &f->err), "list b");
	WANT_STR(ps_buf_str(&f->buf), "", "revoked not listed");
}

/* Sessions: found while live (before their end, seen after idle_since,
 * their token live), touched at most once per interval, deleted, purged,
 * and ended with their token. */
static void t_sessions(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A");
	struct ps_token t = {.role = PS_ROLE_GLOBAL_ADMIN, .tenant_id = a, .created_at = NOW, .expires_at = NOW + 7200};
	OK(f->o->token_insert(f->st, "tok", &t, &f->err), "token");
	OK(f->o->session_insert(f->st, "s1", t.id, NOW, NOW + 3600, &f->err), "session 1");
	OK(f->o->session_insert(f->st, "s2", t.id, NOW, NOW + 3600, &f->err), "session 2");
	WANT_CODE(f->o->session_insert(f->st, "s1", t.id, NOW, NOW + 3600, &f->err), PS_CONFLICT, "same hash");
	WANT_CODE(f->o->session_insert(f->st, "s3", 999, NOW, NOW + 3600, &f->err), PS_NOT_FOUND, "missing token");

	struct ps_principal p;
	memset(&p, 0xab, sizeof p);
	OK(f->o->session_find(f->st, "s1", NOW + 10, NOW + 10 - 1800, &p, &f->err), "find s1");
	WANT_I64(p.token_id, t.id, "session's token");
	WANT_I64(p.tenant_id, a, "session's tenant");
	WANT_STR(ps_role_name(p.role), "global_admin", "session's role");
	WANT_I64(p.expires_at, NOW + 3600, "session's end");
	WANT_I64(p.last_used_at, NOW, "session's last seen");
	if (!p.session)
		fail_msg("case session flag: got false, want true");
	WANT_CODE(f->o->session_find(f->st, "nope", NOW, NOW - 1800, &p, &f->err), PS_NOT_FOUND, "unknown session");
	WANT_CODE(f->o->session_find(f->st, "s1", NOW + 3600, NOW, &p, &f->err), PS_NOT_FOUND, "at its end");
	/* idle: last seen at NOW, so idle since NOW ends it */
	WANT_CODE(f->o->session_find(f->st, "s1", NOW + 1800, NOW, &p, &f->err), PS_NOT_FOUND, "idle");
	OK(f->o->session_touch(f->st, "s1", NOW + 30, NOW + 30 - 60, &f->err), "touch within the minute");
	WANT_CODE(f->o->session_find(f->st, "s1", NOW + 1800, NOW, &p, &f->err), PS_NOT_FOUND, "still idle");
	OK(f->o->session_touch(f->st, "s1", NOW + 61, NOW + 61 - 60, &f->err), "touch a minute later");
	OK(f->o->session_find(f->st, "s1", NOW + 1800, NOW + 1800 - 1800, &p, &f->err), "seen again: live");
	WANT_I64(p.last_used_at, NOW + 61, "last seen written");

	/* Delete, purge. */
	OK(f->o->session_delete(f->st, "s2", &f->err), "delete s2");
	WANT_CODE(f->o->session_delete(f->st, "s2", &f->err), PS_NOT_FOUND, "delete twice");
	WANT_CODE(f->o->session_find(f->st, "s2", NOW + 10, NOW - 1800, &p, &f->err), PS_NOT_FOUND, "deleted");
	OK(f->o->session_insert(f->st, "s4", t.id, NOW, NOW + 100, &f->err), "short session");
	OK(f->o->session_purge(f->st, NOW + 100, NOW - 1800, &f->err), "purge");
	WANT_CODE(f->o->session_delete(f->st, "s4", &f->err), PS_NOT_FOUND, "ended session purged");
	OK(f->o->session_find(f->st, "s1", NOW + 100, NOW + 100 - 1800, &p, &f->err), "live session kept");

	/* The token's expiry and revocation end its sessions. */
	WANT_CODE(f->o->session_find(f->st, "s1", NOW + 7200, NOW + 7200 - 1800, &p, &f->err), PS_NOT_FOUND,
		  "token expired");
	OK(f->o->token_revoke(f->st, t.id, NOW + 200, &f->err), "revoke");
	WANT_CODE(f->o->session_find(f->st, "s1", NOW + 201, NOW + 201 - 1800, &p, &f->err), PS_NOT_FOUND,
		  "token revoked");
	WANT_CODE(f->o->session_delete(f->st, "s1", &f->err), PS_NOT_FOUND, "revocation deleted the session");
}

/* The versions a daemon checks its memory against: the credentials' moves
 * with every revocation and every session ended, and with nothing else
 * (a new token or session, a last use written); the catalog's is the
 * current version's, 0 before any load. */
static void t_versions(void **state)
{
	struct fx *f = *state;
	int64_t auth = -1, cat = -1, was;
	OK(f->o->versions(f->st, &auth, &cat, &f->err), "versions, new store");
	WANT_I64(cat, 0, "no catalog yet");
	if (auth < 1)
		fail_msg("case credentials' version: got %lld, want >= 1", (long long)auth);
	was = auth;
	int64_t a = add_tenant(f, "A");
	struct ps_token t = {.role = PS_ROLE_READER, .tenant_id = a, .created_at = NOW};
	OK(f->o->token_insert(f->st, "tv1", &t, &f->err), "token");
	OK(f->o->session_insert(f->st, "sv1", t.id, NOW, NOW + 3600, &f->err), "session 1");
	OK(f->o->session_insert(f->st, "sv2", t.id, NOW, NOW + 3600, &f->err), "session 2");
	OK(f->o->token_touch(f->st, t.id, NOW + 120, NOW + 60, &f->err), "token touch");
	OK(f->o->session_touch(f->st, "sv1", NOW + 120, NOW + 60, &f->err), "session touch");
	OK(f->o->session_purge(f->st, NOW, NOW - 1800, &f->err), "purge of nothing");
	OK(f->o->versions(f->st, &auth, &cat, &f->err), "versions after new ones and uses");
	WANT_I64(auth, was, "new token and sessions, last uses, an empty purge: unchanged");
	OK(f->o->session_delete(f->st, "sv1", &f->err), "sign out");
	OK(f->o->versions(f->st, &auth, &cat, &f->err), "versions after a sign-out");
	if (auth <= was)
		fail_msg("case a session ended: got %lld, want > %lld", (long long)auth, (long long)was);
	was = auth;
	OK(f->o->token_revoke(f->st, t.id, NOW + 200, &f->err), "revoke");
	OK(f->o->versions(f->st, &auth, &cat, &f->err), "versions after a revocation");
	if (auth <= was)
		fail_msg("case a token revoked: got %lld, want > %lld", (long long)auth, (long long)was);
	int64_t v = 0;
	const char *doc = "{}";
	OK(f->o->catalog_put(f->st, doc, strlen(doc), NOW, "cli", &v, &f->err), "catalog_put");
	OK(f->o->versions(f->st, &auth, &cat, &f->err), "versions after a load");
	WANT_I64(cat, v, "the loaded version");
}

struct cv_acc {
	struct ps_catalog_version v[4];
	size_t n;
};

static bool collect_cv(void *arg, const struct ps_catalog_version *v)
{
	struct cv_acc *a = arg;
	if (a->n < 4)
		a->v[a->n++] = *v;
	return true;
}

static void t_catalog(void **state)
{
	struct fx *f = *state;
	const char *one = "{\"services\":[],\"products\":[],\"plans\":[]}";
	const char *two = "{\"services\":[{\"id\":\"mail-1\",\"name\":\"Mail Plan 1 \xc3\xa9\"}]}";

	int64_t v = -1, cur = -1, count = -1;
	WANT_CODE(f->o->catalog_get(f->st, &f->buf, NULL, &f->err), PS_NOT_FOUND, "catalog_get before any put");
	WANT_CODE(f->o->catalog_version(f->st, &cur, &f->err), PS_NOT_FOUND, "catalog_version before any put");
	OK(f->o->catalog_put(f->st, one, strlen(one), NOW, "cli", &v, &f->err), "catalog_put one");
	WANT_I64(v, 1, "the first version's number");
	OK(f->o->catalog_get(f->st, &f->buf, &cur, &f->err), "catalog_get one");
	WANT_STR(ps_buf_str(&f->buf), one, "catalog_get one");
	WANT_I64(f->buf.len, strlen(one), "catalog_get one length");
	WANT_I64(cur, 1, "catalog_get one version");

	/* len bounds the text; the get replaces what the buffer held; each
	 * put is a new version, numbered after the last. */
	OK(f->o->catalog_put(f->st, two, strlen(two), NOW + 1, "tok_7", &v, &f->err), "catalog_put two");
	WANT_I64(v, 2, "the second version's number");
	OK(f->o->catalog_get(f->st, &f->buf, NULL, &f->err), "catalog_get two");
	WANT_STR(ps_buf_str(&f->buf), two, "second put replaces the first");
	OK(f->o->catalog_put(f->st, one, 10, NOW + 2, "cli", NULL, &f->err), "catalog_put prefix");
	OK(f->o->catalog_get(f->st, &f->buf, NULL, &f->err), "catalog_get prefix");
	WANT_STR(ps_buf_str(&f->buf), "{\"services", "catalog_put stores len bytes");
	OK(f->o->catalog_version(f->st, &cur, &f->err), "catalog_version after three puts");
	WANT_I64(cur, 3, "catalog_version after three puts");

	/* Every version stays listed, in order, with its time and loader. */
	struct cv_acc acc = {0};
	OK(f->o->catalog_version_list(f->st, 0, 0, collect_cv, &acc, &f->err), "catalog_version_list");
	WANT_I64((int64_t)acc.n, 3, "versions listed");
	WANT_I64(acc.v[1].version, 2, "second version's number");
	WANT_I64(acc.v[1].loaded_at, NOW + 1, "second version's time");
	WANT_STR(acc.v[1].loaded_by, "tok_7", "second version's loader");
	acc.n = 0;
	OK(f->o->catalog_version_list(f->st, 1, 1, collect_cv, &acc, &f->err), "catalog_version_list page");
	WANT_I64((int64_t)acc.n, 1, "versions listed after 1, limit 1");
	WANT_I64(acc.v[0].version, 2, "the page's version");

	/* Held inside a write transaction (shared, or alone for a load). */
	for (int alone = 0; alone < 2; alone++) {
		cur = -1;
		OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin for catalog_hold");
		OK(f->o->catalog_hold(f->st, alone, &cur, &f->err), alone ? "catalog_hold alone" : "catalog_hold shared");
		WANT_I64(cur, 3, "catalog_hold gives the current version");
		OK(f->o->commit(f->st, &f->err), "commit after catalog_hold");
	}

	/* Live subscriptions of a plan: every tenant's, not ended ones. */
	OK(f->o->plan_live_count(f->st, "biz-basic", &count, &f->err), "plan_live_count of an unused plan");
	WANT_I64(count, 0, "plan_live_count of an unused plan");

	/* A buffer too small for the catalog is an error, not a cut text. */
	struct ps_buf small;
	ps_buf_init(&small, 4);
	ps_code c = f->o->catalog_get(f->st, &small, NULL, &f->err);
	ps_buf_fini(&small);
	if (c == PS_OK)
		fail_msg("case catalog_get into a 4-byte buffer: got ok, want an error");
}

/* ---- Audit -------------------------------------------------------------- */

static struct ps_audit audit_rec(int64_t tenant, int64_t at, enum ps_role role, const char *action, const char *object)
{
	struct ps_audit a;
	memset(&a, 0, sizeof a);
	a.tenant_id = tenant;
	a.at = at;
	a.token_id = 40 + at % 7;
	a.role = role;
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.object, sizeof a.object, "%s", object);
	snprintf(a.request_id, sizeof a.request_id, "req-%" PRId64, at);
	snprintf(a.detail, sizeof a.detail, "{\"action\":\"%s\",\"note\":\"l'été\"}", action);
	return a;
}

static void t_audit(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	struct ps_audit rec[5] = {
	    audit_rec(a, NOW + 1, PS_ROLE_BILLING_ADMIN, "subscription.purchase", "sub_1"),
	    audit_rec(b, NOW + 2, PS_ROLE_LICENSE_ADMIN, "assignment.create", "usr_2"),
	    audit_rec(a, NOW + 3, PS_ROLE_GLOBAL_ADMIN, "subscription.upgrade", "sub_1"),
	    audit_rec(0, NOW + 4, PS_ROLE_OPERATOR, "catalog.load", "catalog"),
	    audit_rec(a, NOW + 5, PS_ROLE_OPERATOR, "subscription.status", "sub_1"),
	};
	memset(rec[4].detail, 'd', PS_TEXT_MAX);
	rec[4].detail[PS_TEXT_MAX] = '\0';
	for (int i = 0; i < 5; i++)
		OK(f->o->audit_insert(f->st, &rec[i], &f->err), "audit_insert");

	struct ids ids;
	OK(f->o->audit_list(f->st, a, 0, 0, audit_cb, ids_reset(&ids, 0), &f->err), "audit A");
	WANT_IDS(&ids, "audit A", rec[0].id, rec[2].id, rec[4].id);
	same_audit(&ids.audit[0], &rec[0], "audit A row 0");
	same_audit(&ids.audit[1], &rec[2], "audit A row 1");
	same_audit(&ids.audit[2], &rec[4], "audit A row 2");
	OK(f->o->audit_list(f->st, a, rec[0].id, 1, audit_cb, ids_reset(&ids, 0), &f->err), "audit A page");
	WANT_IDS(&ids, "audit A after row 0 limit 1", rec[2].id);
	OK(f->o->audit_list(f->st, a, 0, 0, audit_cb, ids_reset(&ids, 1), &f->err), "audit A stopped");
	WANT_IDS(&ids, "audit A stopped after 1", rec[0].id);
	OK(f->o->audit_list(f->st, b, 0, 0, audit_cb, ids_reset(&ids, 0), &f->err), "audit B");
	WANT_IDS(&ids, "audit B", rec[1].id);
	same_audit(&ids.audit[0], &rec[1], "audit B row 0");
	OK(f->o->audit_list(f->st, 0, 0, 0, audit_cb, ids_reset(&ids, 0), &f->err), "audit provider-wide");
	WANT_IDS(&ids, "audit provider-wide", rec[3].id);
}

/* ---- The snapshot ------------------------------------------------------- */

static int64_t add_op(struct fx *f, int64_t tenant, enum ps_op_kind kind, enum ps_op_state state, int64_t source,
		      int64_t created, struct ps_operation *out)
{
	struct ps_operation op;
	memset(&op, 0, sizeof op);
	op.tenant_id = tenant;
	op.kind = kind;
	op.state = state;
	op.source_sub = source;
	snprintf(op.target_plan, sizeof op.target_plan, "biz-premium");
	op.created_at = created;
	op.updated_at = created + 7;
	op.quantity = 10;
	snprintf(op.request_id, sizeof op.request_id, "req-%" PRId64, created);
	snprintf(op.detail, sizeof op.detail, "{\"license_errors\":[],\"at\":%" PRId64 "}", created);
	OK(f->o->operation_insert(f->st, &op, &f->err), "fixture operation_insert");
	if (out)
		*out = op;
	return op.id;
}

static int64_t add_invoice(struct fx *f, int64_t tenant, enum ps_invoice_status status, int64_t amount, int64_t paid,
			   int64_t due)
{
	struct ps_invoice inv;
	memset(&inv, 0, sizeof inv);
	inv.tenant_id = tenant;
	inv.amount = amount;
	inv.paid = paid;
	snprintf(inv.currency, sizeof inv.currency, "EUR");
	inv.issued_at = due - 30 * 86400;
	inv.due_at = due;
	inv.status = status;
	OK(f->o->invoice_insert(f->st, &inv, &f->err), "fixture invoice_insert");
	return inv.id;
}

static struct ps_credit_check add_credit(struct fx *f, int64_t tenant, enum ps_credit_status status, int64_t requested)
{
	struct ps_credit_check cc;
	memset(&cc, 0, sizeof cc);
	cc.tenant_id = tenant;
	cc.status = status;
	cc.amount = 123456;
	cc.requested_at = requested;
	cc.expected_by = requested + 2 * 86400;
	cc.decided_at = status == PS_CC_PENDING ? 0 : requested + 3600;
	OK(f->o->credit_check_insert(f->st, &cc, &f->err), "fixture credit_check_insert");
	return cc;
}

static void t_snapshot_content(void **state)
{
	struct fx *f = *state;
	struct ps_snapshot *sn = &f->snap;
	char w[96];

	struct ps_tenant ta = tenant_rec("A", PS_SEG_EDUCATION, PS_PAY_INVOICE);
	OK(f->o->tenant_insert(f->st, &ta, &f->err), "tenant A");
	int64_t a = ta.id, b = add_tenant(f, "B");

	struct ps_subscription sa[3] = {
	    sub_rec(a, "biz-basic", "business"),
	    sub_rec(a, "biz-standard", "business"),
	    sub_rec(a, "audio-conf", "audio-conf"),
	};
	sa[1].status = PS_SUB_PROVISIONING;
	sa[1].prepaid = true;
	OK(f->o->sub_insert(f->st, &sa[0], &f->err), "sub A0");
	int64_t sb = add_sub(f, b, "biz-basic", "business"); /* between A's, to test the order and the filter */
	OK(f->o->sub_insert(f->st, &sa[1], &f->err), "sub A1");
	sa[2].addon_of = sa[1].id;
	OK(f->o->sub_insert(f->st, &sa[2], &f->err), "sub A2");
	int64_t u = add_user(f, a, "u@a");
	struct ps_assignment x = seat(a, sa[0].id, u, "business");
	OK(f->o->assignment_insert(f->st, &x, &f->err), "seat");
	sa[0].assigned = 1;

	struct ps_incident i1 = incident_rec("mail-1", PS_INC_DEGRADED, NOW - 300);
	struct ps_incident i2 = incident_rec("files-1", PS_INC_RESOLVED, NOW - 200);
	i2.resolved_at = NOW - 100;
	struct ps_incident i3 = incident_rec("chat-1", PS_INC_INVESTIGATING, NOW - 50);
	OK(f->o->incident_insert(f->st, &i1, &f->err), "incident 1");
	OK(f->o->incident_insert(f->st, &i2, &f->err), "incident 2");
	OK(f->o->incident_insert(f->st, &i3, &f->err), "incident 3");

	/* Operations: A's unfinished ones, and automatic upgrades in the
	 * window (NOW - 3600, NOW] from every tenant. */
	struct ps_operation o1, o3;
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_PROVISIONING, sa[0].id, NOW - 100, &o1);	  /* unfinished, in window */
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_COMPLETED, sa[0].id, NOW - 200, NULL);	  /* in window */
	add_op(f, a, PS_OPK_SWITCH, PS_OP_PENDING_CREDIT_CHECK, sa[1].id, NOW - 50, &o3); /* unfinished, a switch */
	add_op(f, b, PS_OPK_UPGRADE, PS_OP_COMPLETED, sb, NOW - 3600, NULL);		  /* window edge: out */
	add_op(f, b, PS_OPK_UPGRADE, PS_OP_FAILED, sb, NOW - 3599, NULL);		  /* in window, oldest */
	add_op(f, b, PS_OPK_UPGRADE, PS_OP_COMPLETED, sb, NOW + 1, NULL);		  /* future: out */
	add_op(f, b, PS_OPK_UPGRADE, PS_OP_COMPLETED, sb, NOW, NULL);			  /* window edge: in */
	add_op(f, b, PS_OPK_SWITCH, PS_OP_COMPLETED, sb, NOW - 10, NULL);		  /* a switch: out */
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_FAILED, sa[0].id, NOW - 7200, NULL);		  /* too old: out */

	add_credit(f, a, PS_CC_APPROVED, NOW - 10000);
	add_credit(f, a, PS_CC_PENDING, NOW - 5000);
	/* The oldest pending one holds back the provisioning purchase and the switch. */
	struct ps_credit_check oldest;
	memset(&oldest, 0, sizeof oldest);
	oldest.tenant_id = a;
	oldest.status = PS_CC_PENDING;
	oldest.amount = 654321;
	oldest.requested_at = NOW - 9000;
	oldest.expected_by = NOW - 9000 + 2 * 86400;
	oldest.subscription_id = sa[1].id;
	oldest.operation_id = o3.id;
	OK(f->o->credit_check_insert(f->st, &oldest, &f->err), "credit check with references");
	add_credit(f, a, PS_CC_DENIED, NOW - 20000);
	add_credit(f, b, PS_CC_PENDING, NOW - 99999);

	add_invoice(f, a, PS_INV_OPEN, 1000, 300, NOW - 10);	/* 700 past due */
	add_invoice(f, a, PS_INV_OPEN, 500, 0, NOW - 86400);	/* 500 past due, the oldest */
	add_invoice(f, a, PS_INV_PAID, 900, 900, NOW - 100000); /* paid */
	add_invoice(f, a, PS_INV_OPEN, 400, 0, NOW);		/* due now: not yet past due */
	add_invoice(f, a, PS_INV_OPEN, 200, 0, NOW + 10);	/* not due */
	add_invoice(f, a, PS_INV_VOID, 800, 0, NOW - 200000);	/* void */
	add_invoice(f, a, PS_INV_OPEN, 100, 100, NOW - 300000); /* nothing left to pay */
	add_invoice(f, b, PS_INV_OPEN, 9999, 0, NOW - 5);	/* another tenant's */

	/* The store resets the snapshot first: poison what it must overwrite. */
	sn->capacity_limit = 77;
	sn->past_due = -1;
	sn->has_credit_check = true;
	OK(f->o->snapshot_load(f->st, a, NOW, sn, &f->err), "snapshot A");

	same_tenant(&sn->tenant, &ta, "snapshot tenant");
	WANT_I64(sn->n_subs, 3, "snapshot A subs");
	for (size_t i = 0; i < 3 && i < sn->n_subs; i++) {
		LABEL(w, "snapshot A sub %zu", i);
		same_sub(&sn->subs[i].s, &sa[i], w);
		if (sn->subs[i].plan != NULL)
			fail_msg("case %s: got a plan, want NULL (the caller resolves plans)", w);
	}
	WANT_I64(sn->n_incidents, 2, "snapshot open incidents");
	if (sn->n_incidents == 2) {
		WANT_I64(sn->incidents[0].id, i1.id, "snapshot incident 0 id");
		WANT_STR(sn->incidents[0].service_id, "mail-1", "snapshot incident 0 service");
		WANT_STR(ps_incident_status_name(sn->incidents[0].status), "degraded", "snapshot incident 0 status");
		WANT_I64(sn->incidents[1].id, i3.id, "snapshot incident 1 id");
		WANT_STR(sn->incidents[1].service_id, "chat-1", "snapshot incident 1 service");
	}
	WANT_I64(sn->n_ops, 2, "snapshot A unfinished ops");
	if (sn->n_ops == 2) {
		same_op(&sn->ops[0], &o1, "snapshot op 0");
		same_op(&sn->ops[1], &o3, "snapshot op 1");
	}
	WANT_I64(sn->has_credit_check, 1, "snapshot A has a pending credit check");
	WANT_I64(sn->credit_check.id, oldest.id, "snapshot credit check is the oldest pending");
	same_credit(&sn->credit_check, &oldest, "snapshot credit check");
	WANT_I64(sn->past_due, 1200, "snapshot A past_due");
	WANT_I64(sn->oldest_due, NOW - 86400, "snapshot A oldest_due");
	WANT_I64(sn->capacity_used, 4, "snapshot capacity_used");
	WANT_I64(sn->capacity_oldest, NOW - 3599, "snapshot capacity_oldest");
	WANT_I64(sn->capacity_limit, 0, "snapshot capacity_limit left 0");

	/* Loading B into the same snapshot replaces A's content. */
	OK(f->o->snapshot_load(f->st, b, NOW, sn, &f->err), "snapshot B");
	WANT_I64(sn->tenant.id, b, "snapshot B tenant");
	WANT_I64(sn->n_subs, 1, "snapshot B subs");
	WANT_I64(sn->n_subs ? sn->subs[0].s.id : 0, sb, "snapshot B sub id");
	WANT_I64(sn->n_ops, 0, "snapshot B unfinished ops");
	WANT_I64(sn->n_incidents, 2, "snapshot B open incidents");
	WANT_I64(sn->has_credit_check, 1, "snapshot B credit check");
	WANT_I64(sn->credit_check.tenant_id, b, "snapshot B credit check tenant");
	WANT_I64(sn->past_due, 9999, "snapshot B past_due");
	WANT_I64(sn->oldest_due, NOW - 5, "snapshot B oldest_due");

	/* Later, the window has moved on: only the NOW upgrade is left. */
	OK(f->o->snapshot_load(f->st, b, NOW + 3599, sn, &f->err), "snapshot B an hour later");
	WANT_I64(sn->capacity_used, 2, "capacity an hour later (NOW and NOW+1)");
	WANT_I64(sn->capacity_oldest, NOW, "capacity_oldest an hour later");
}

static void t_snapshot_empty_and_missing(void **state)
{
	struct fx *f = *state;
	struct ps_snapshot *sn = &f->snap;
	int64_t a = add_tenant(f, "A");
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_COMPLETED, add_sub(f, a, "p", "q"), NOW - 10, NULL);
	int64_t b = add_tenant(f, "B");

	OK(f->o->snapshot_load(f->st, a, NOW, sn, &f->err), "snapshot A");
	WANT_I64(sn->n_subs, 1, "snapshot A subs");
	OK(f->o->snapshot_load(f->st, b, NOW, sn, &f->err), "snapshot of an empty tenant");
	WANT_I64(sn->tenant.id, b, "empty tenant id");
	WANT_I64(sn->n_subs, 0, "empty tenant subs");
	WANT_I64(sn->n_incidents, 0, "empty tenant incidents");
	WANT_I64(sn->n_ops, 0, "empty tenant ops");
	WANT_I64(sn->has_credit_check, 0, "empty tenant credit check");
	WANT_I64(sn->past_due, 0, "empty tenant past_due");
	WANT_I64(sn->oldest_due, 0, "empty tenant oldest_due");
	WANT_I64(sn->capacity_used, 1, "capacity is system-wide");
	WANT_I64(sn->capacity_oldest, NOW - 10, "capacity_oldest system-wide");

	WANT_CODE(f->o->snapshot_load(f->st, 999, NOW, sn, &f->err), PS_NOT_FOUND, "snapshot of a missing tenant");
	WANT_CODE(f->o->snapshot_load(f->st, 0, NOW, sn, &f->err), PS_NOT_FOUND, "snapshot of tenant 0");
}

static void t_snapshot_in_tx(void **state)
{
	struct fx *f = *state;
	struct ps_snapshot *sn = &f->snap;
	int64_t a = add_tenant(f, "A");

	/* Inside the caller's read transaction: used, not ended. */
	OK(f->o->begin(f->st, PS_TX_READ, &f->err), "begin read");
	OK(f->o->snapshot_load(f->st, a, NOW, sn, &f->err), "snapshot in read tx");
	OK(f->o->commit(f->st, &f->err), "commit after snapshot: the tx was still open");

	/* Inside a write transaction it sees the transaction's own writes. */
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin write");
	int64_t s = add_sub(f, a, "p", "q");
	OK(f->o->snapshot_load(f->st, a, NOW, sn, &f->err), "snapshot in write tx");
	WANT_I64(sn->n_subs, 1, "snapshot sees the tx's own sub");
	WANT_I64(sn->n_subs ? sn->subs[0].s.id : 0, s, "snapshot sub id in tx");
	f->o->rollback(f->st);
	OK(f->o->snapshot_load(f->st, a, NOW, sn, &f->err), "snapshot after rollback");
	WANT_I64(sn->n_subs, 0, "snapshot after rollback");

	/* A refused load outside a transaction leaves none open. */
	WANT_CODE(f->o->snapshot_load(f->st, 999, NOW, sn, &f->err), PS_NOT_FOUND, "snapshot of a missing tenant");
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin after a refused snapshot");
	OK(f->o->commit(f->st, &f->err), "commit after a refused snapshot");
}

/* snapshot_scan (optional): every tenant's snapshot as snapshot_load gives
 * it, in id order, a batch at a time; a callback returning false stops. */
struct scan_acc {
	struct fx *f;
	struct ps_snapshot want;
	int64_t ids[16];
	size_t n, stop_after;
};

static bool scan_check(void *arg, struct ps_snapshot *sn)
{
	struct scan_acc *a = arg;
	struct fx *f = a->f;
	char w[96];
	int64_t t = sn->tenant.id;
	if (a->n < 16)
		a->ids[a->n] = t;
	a->n++;
	LABEL(w, "scan: snapshot_load of tenant %lld", (long long)t);
	OK(f->o->snapshot_load(f->st, t, NOW, &a->want, &f->err), w);
	LABEL(w, "scan tenant %lld", (long long)t);
	same_tenant(&sn->tenant, &a->want.tenant, w);
	WANT_I64(sn->n_subs, a->want.n_subs, w);
	for (size_t i = 0; i < sn->n_subs && i < a->want.n_subs; i++)
		same_sub(&sn->subs[i].s, &a->want.subs[i].s, w);
	WANT_I64(sn->n_incidents, a->want.n_incidents, w);
	for (size_t i = 0; i < sn->n_incidents && i < a->want.n_incidents; i++) {
		WANT_I64(sn->incidents[i].id, a->want.incidents[i].id, w);
		WANT_STR(sn->incidents[i].service_id, a->want.incidents[i].service_id, w);
	}
	WANT_I64(sn->n_ops, a->want.n_ops, w);
	for (size_t i = 0; i < sn->n_ops && i < a->want.n_ops; i++)
		same_op(&sn->ops[i], &a->want.ops[i], w);
	WANT_I64(sn->has_credit_check, a->want.has_credit_check, w);
	if (sn->has_credit_check && a->want.has_credit_check)
		same_credit(&sn->credit_check, &a->want.credit_check, w);
	WANT_I64(sn->past_due, a->want.past_due, w);
	WANT_I64(sn->oldest_due, a->want.oldest_due, w);
	WANT_I64(sn->capacity_used, a->want.capacity_used, w);
	WANT_I64(sn->capacity_oldest, a->want.capacity_oldest, w);
	WANT_I64(sn->capacity_limit, 0, w);
	return a->n != a->stop_after;
}

static void t_snapshot_scan(void **state)
{
	struct fx *f = *state;
	if (!f->o->snapshot_scan)
		skip(); /* optional: callers fall back to snapshot_load */
	struct scan_acc acc = {.f = f};
	ps_snapshot_init(&acc.want);
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B"), c = add_tenant(f, "C"), d = add_tenant(f, "D"),
		e = add_tenant(f, "E");
	int64_t sa = add_sub(f, a, "biz-basic", "business");
	add_sub(f, d, "mail-p1", "mail");
	int64_t sa2 = add_sub(f, a, "mail-p1", "mail"); /* after D's: ids interleave across tenants */
	add_sub(f, d, "biz-basic", "business");
	int64_t se = add_sub(f, e, "biz-basic", "business");
	struct ps_incident i1 = incident_rec("mail-1", PS_INC_DEGRADED, NOW - 300);
	struct ps_incident i2 = incident_rec("chat-1", PS_INC_RESOLVED, NOW - 200);
	i2.resolved_at = NOW - 100;
	OK(f->o->incident_insert(f->st, &i1, &f->err), "incident 1");
	OK(f->o->incident_insert(f->st, &i2, &f->err), "incident 2");
	add_op(f, a, PS_OPK_SWITCH, PS_OP_PENDING_CREDIT_CHECK, sa2, NOW - 50, NULL);
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_PROVISIONING, sa, NOW - 100, NULL);
	add_op(f, e, PS_OPK_UPGRADE, PS_OP_COMPLETED, se, NOW - 10, NULL); /* in the capacity window */
	add_op(f, e, PS_OPK_UPGRADE, PS_OP_FAILED, se, NOW - 7200, NULL);
	add_credit(f, a, PS_CC_PENDING, NOW - 5000);
	add_credit(f, a, PS_CC_PENDING, NOW - 9000); /* the oldest: the one given */
	add_credit(f, c, PS_CC_PENDING, NOW - 10);
	add_credit(f, c, PS_CC_DENIED, NOW - 20);
	add_invoice(f, a, PS_INV_OPEN, 1000, 300, NOW - 10);
	add_invoice(f, a, PS_INV_OPEN, 500, 0, NOW - 86400);
	add_invoice(f, c, PS_INV_OPEN, 400, 0, NOW + 10); /* not yet due */
	add_invoice(f, d, PS_INV_OPEN, 700, 0, NOW - 5);

	/* Two at a time, as a sweep walks them. */
	int64_t after = 0, last = -1;
	for (int round = 0; round < 4; round++) {
		size_t before = acc.n;
		OK(f->o->snapshot_scan(f->st, after, 2, NOW, &f->snap, scan_check, &acc, &last, &f->err), "scan");
		if (acc.n == before) {
			WANT_I64(last, after, "scan past the last tenant: last is after");
			break;
		}
		WANT_I64(last, acc.ids[acc.n - 1], "scan: last is the last tenant given");
		after = last;
	}
	WANT_I64(acc.n, 5, "scan gives every tenant once");
	const int64_t want[5] = {a, b, c, d, e};
	for (size_t i = 0; i < 5 && i < acc.n; i++)
		WANT_I64(acc.ids[i], want[i], "scan order");

	/* A callback returning false stops the walk, there. */
	acc.n = 0;
	acc.stop_after = 2;
	OK(f->o->snapshot_scan(f->st, 0, 0, NOW, &f->snap, scan_check, &acc, &last, &f->err), "scan, stopped");
	WANT_I64(acc.n, 2, "scan stops when the callback says so");
	WANT_I64(last, b, "scan stopped: last is the last tenant given");
	/* Inside the caller's read transaction: used, not ended. */
	acc.n = 0;
	acc.stop_after = 0;
	OK(f->o->begin(f->st, PS_TX_READ, &f->err), "begin read");
	OK(f->o->snapshot_scan(f->st, c, 0, NOW, &f->snap, scan_check, &acc, &last, &f->err), "scan in read tx");
	OK(f->o->commit(f->st, &f->err), "commit after scan: the tx was still open");
	WANT_I64(acc.n, 2, "scan after C gives D and E");
	ps_snapshot_fini(&acc.want);
}

/* ---- Calls from inside a list callback ---------------------------------- */

/* What `sweep` and the licence pages do: walk one list and, for each row,
 * ask the store other questions, even write. */
struct nest {
	struct fx *f;
	ps_code c;
	int64_t subs_seen;
};

static bool nest_tenant_cb(void *arg, const struct ps_tenant *t)
{
	struct nest *n = arg;
	struct fx *f = n->f;
	struct ps_tenant again;
	n->c = f->o->snapshot_load(f->st, t->id, NOW, &f->snap, &f->err);
	if (n->c == PS_OK)
		n->subs_seen += (int64_t)f->snap.n_subs;
	if (n->c == PS_OK)
		n->c = f->o->tenant_get(f->st, t->id, &again, &f->err);
	return n->c == PS_OK;
}

static bool nest_sub_cb(void *arg, const struct ps_subscription *s)
{
	struct nest *n = arg;
	struct fx *f = n->f;
	struct ps_subscription up = *s;
	n->c = f->o->snapshot_load(f->st, s->tenant_id, NOW, &f->snap, &f->err);
	if (n->c == PS_OK)
		n->subs_seen++;
	up.quantity = s->quantity + 1;
	if (n->c == PS_OK)
		n->c = f->o->sub_update(f->st, &up, &f->err);
	return n->c == PS_OK;
}

static void t_nested_calls(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	add_tenant(f, "C");
	add_sub(f, a, "p", "q");
	int64_t b1 = add_sub(f, b, "p", "q"), b2 = add_sub(f, b, "p", "q");

	struct nest n = {.f = f};
	OK(f->o->tenant_list(f->st, 0, 0, nest_tenant_cb, &n, &f->err), "tenant_list with snapshots inside");
	OK(n.c, "snapshot_load inside tenant_list");
	WANT_I64(n.subs_seen, 3, "subscriptions seen through the snapshots");

	n = (struct nest){.f = f};
	OK(f->o->sub_list(f->st, b, 0, 0, nest_sub_cb, &n, &f->err), "sub_list with snapshot and update inside");
	OK(n.c, "snapshot_load and sub_update inside sub_list");
	WANT_I64(n.subs_seen, 2, "subscriptions walked");
	struct ps_subscription got;
	OK(f->o->sub_get(f->st, b, b1, &got, &f->err), "sub_get b1");
	WANT_I64(got.quantity, 11, "b1 quantity after the update inside the walk");
	OK(f->o->sub_get(f->st, b, b2, &got, &f->err), "sub_get b2");
	WANT_I64(got.quantity, 11, "b2 quantity after the update inside the walk");

	/* The same inside a write transaction. */
	n = (struct nest){.f = f};
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin write");
	OK(f->o->tenant_list(f->st, 0, 0, nest_tenant_cb, &n, &f->err), "tenant_list in tx");
	OK(n.c, "snapshot_load inside tenant_list in tx");
	OK(f->o->commit(f->st, &f->err), "commit");
}

/* ---- Schema version 2: the clock, tenants ------------------------------ */

static void t_clock(void **state)
{
	struct fx *f = *state;
	int64_t now = -1;
	WANT_CODE(f->o->clock_get(f->st, &now, &f->err), PS_NOT_FOUND, "clock_get before any set");
	WANT_FIELD("clock", "clock_get before any set");
	WANT_I64(now, -1, "clock_get before any set leaves now alone");

	OK(f->o->clock_set(f->st, NOW, &f->err), "clock_set NOW");
	OK(f->o->clock_get(f->st, &now, &f->err), "clock_get after set");
	WANT_I64(now, NOW, "clock after set");
	OK(f->o->clock_set(f->st, NOW + 86400, &f->err), "clock_set a day later");
	OK(f->o->clock_get(f->st, &now, &f->err), "clock_get after a second set");
	WANT_I64(now, NOW + 86400, "clock after a second set");
	/* A manual clock may go back. */
	OK(f->o->clock_set(f->st, NOW - 5, &f->err), "clock_set back in time");
	OK(f->o->clock_get(f->st, &now, &f->err), "clock_get after going back");
	WANT_I64(now, NOW - 5, "clock after going back");

	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->clock_set(f->st, NOW + 999, &f->err), "clock_set in tx");
	OK(f->o->clock_get(f->st, &now, &f->err), "clock_get in tx");
	WANT_I64(now, NOW + 999, "clock inside its tx");
	f->o->rollback(f->st);
	OK(f->o->clock_get(f->st, &now, &f->err), "clock_get after rollback");
	WANT_I64(now, NOW - 5, "clock after rollback");
}

static void t_tenant_update(void **state)
{
	struct fx *f = *state;
	struct ps_tenant t = tenant_rec("A", PS_SEG_EDUCATION, PS_PAY_INVOICE), other, got;
	OK(f->o->tenant_insert(f->st, &t, &f->err), "tenant_insert");
	other = tenant_rec("B", PS_SEG_COMMERCIAL, PS_PAY_CARD);
	OK(f->o->tenant_insert(f->st, &other, &f->err), "tenant_insert B");

	struct ps_tenant up = t;
	up.credit_limit = 999999;
	/* Not written by update: */
	snprintf(up.name, sizeof up.name, "renamed");
	up.segment = PS_SEG_GOVERNMENT;
	up.payment = PS_PAY_CARD;
	snprintf(up.currency, sizeof up.currency, "USD");
	up.created_at = 1;
	OK(f->o->tenant_update(f->st, &up, &f->err), "tenant_update");
	OK(f->o->tenant_get(f->st, t.id, &got, &f->err), "tenant_get after update");
	struct ps_tenant want = t;
	want.credit_limit = 999999;
	same_tenant(&got, &want, "tenant after update");
	OK(f->o->tenant_get(f->st, other.id, &got, &f->err), "tenant_get B after A's update");
	same_tenant(&got, &other, "tenant B after A's update");

	up.credit_limit = 0;
	OK(f->o->tenant_update(f->st, &up, &f->err), "tenant_update to 0");
	OK(f->o->tenant_get(f->st, t.id, &got, &f->err), "tenant_get after update to 0");
	WANT_I64(got.credit_limit, 0, "credit_limit after update to 0");

	up.id = 999;
	WANT_CODE(f->o->tenant_update(f->st, &up, &f->err), PS_NOT_FOUND, "tenant_update of a missing tenant");
	WANT_FIELD("tenant", "tenant_update of a missing tenant");
}

/* ---- Schema version 2: invoices and their lines ------------------------ */

static struct ps_invoice invoice_rec(int64_t tenant, int64_t sub, enum ps_invoice_status status, int64_t amount,
				     int64_t issued)
{
	struct ps_invoice inv;
	memset(&inv, 0, sizeof inv);
	inv.tenant_id = tenant;
	inv.subscription_id = sub;
	inv.amount = amount;
	inv.paid = status == PS_INV_PAID ? amount : 0;
	snprintf(inv.currency, sizeof inv.currency, "EUR");
	inv.issued_at = issued;
	inv.due_at = issued + 30 * 86400;
	inv.status = status;
	return inv;
}

static void t_invoices(void **state)
{
	struct fx *f = *state;
	char w[96];
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t sa = add_sub(f, a, "biz-basic", "business");

	struct ps_invoice ia[5] = {
	    invoice_rec(a, sa, PS_INV_PAID, 6000, NOW - 90 * 86400),
	    invoice_rec(a, sa, PS_INV_OPEN, 6000, NOW - 60 * 86400),
	    invoice_rec(a, 0, PS_INV_VOID, 1500, NOW - 45 * 86400),
	    invoice_rec(a, sa, PS_INV_OPEN, -2500, NOW - 30 * 86400), /* a credit note */
	    invoice_rec(a, sa, PS_INV_OPEN, 6000, NOW),
	};
	ia[1].paid = 1000;
	struct ps_invoice ib = invoice_rec(b, 0, PS_INV_OPEN, 777, NOW);
	for (int i = 0; i < 5; i++) {
		LABEL(w, "invoice_insert A%d", i);
		OK(f->o->invoice_insert(f->st, &ia[i], &f->err), w);
		if (i == 2)
			OK(f->o->invoice_insert(f->st, &ib, &f->err), "invoice_insert B");
	}
	struct ps_invoice got;
	for (int i = 0; i < 5; i++) {
		LABEL(w, "invoice_get A%d", i);
		memset(&got, 0xab, sizeof got);
		OK(f->o->invoice_get(f->st, a, ia[i].id, &got, &f->err), w);
		same_invoice(&got, &ia[i], w);
	}
	WANT_CODE(f->o->invoice_get(f->st, b, ia[0].id, &got, &f->err), PS_NOT_FOUND, "invoice_get via another tenant");
	WANT_FIELD("invoice", "invoice_get via another tenant");
	WANT_CODE(f->o->invoice_get(f->st, a, 999, &got, &f->err), PS_NOT_FOUND, "invoice_get missing id");

	/* Lists: every invoice in issue order, or the open ones. */
	OK(f->o->invoice_list(f->st, a, false, 0, 0, invoice_cb, ids_reset(&ids, 0), &f->err), "invoice_list A");
	WANT_IDS(&ids, "invoice_list A", ia[0].id, ia[1].id, ia[2].id, ia[3].id, ia[4].id);
	same_invoice(&ids.invoices[3], &ia[3], "invoice_list A row 3");
	OK(f->o->invoice_list(f->st, a, true, 0, 0, invoice_cb, ids_reset(&ids, 0), &f->err), "invoice_list A open");
	WANT_IDS(&ids, "invoice_list A open", ia[1].id, ia[3].id, ia[4].id);
	same_invoice(&ids.invoices[0], &ia[1], "invoice_list A open row 0");
	OK(f->o->invoice_list(f->st, a, true, ia[1].id, 1, invoice_cb, ids_reset(&ids, 0), &f->err),
	   "invoice_list A open after 1 limit 1");
	WANT_IDS(&ids, "invoice_list A open after ia1 limit 1", ia[3].id);
	OK(f->o->invoice_list(f->st, a, false, ia[1].id, 2, invoice_cb, ids_reset(&ids, 0), &f->err),
	   "invoice_list A after ia1 limit 2");
	WANT_IDS(&ids, "invoice_list A after ia1 limit 2", ia[2].id, ia[3].id);
	OK(f->o->invoice_list(f->st, a, false, 0, 0, invoice_cb, ids_reset(&ids, 2), &f->err),
	   "invoice_list A stopped");
	WANT_IDS(&ids, "invoice_list A stopped after 2", ia[0].id, ia[1].id);
	OK(f->o->invoice_list(f->st, b, true, 0, 0, invoice_cb, ids_reset(&ids, 0), &f->err), "invoice_list B open");
	WANT_IDS(&ids, "invoice_list B open", ib.id);
	OK(f->o->invoice_list(f->st, 999, false, 0, 0, invoice_cb, ids_reset(&ids, 0), &f->err),
	   "invoice_list missing tenant");
	WANT_NO_IDS(&ids, "invoice_list missing tenant");

	/* Update writes paid and status only. */
	struct ps_invoice up = ia[1];
	up.paid = 6000;
	up.status = PS_INV_PAID;
	up.amount = 1;
	up.subscription_id = 0;
	snprintf(up.currency, sizeof up.currency, "USD");
	up.issued_at = 2;
	up.due_at = 3;
	OK(f->o->invoice_update(f->st, &up, &f->err), "invoice_update");
	OK(f->o->invoice_get(f->st, a, ia[1].id, &got, &f->err), "invoice_get after update");
	struct ps_invoice want = ia[1];
	want.paid = 6000;
	want.status = PS_INV_PAID;
	same_invoice(&got, &want, "invoice after update");
	OK(f->o->invoice_list(f->st, a, true, 0, 0, invoice_cb, ids_reset(&ids, 0), &f->err),
	   "invoice_list A open after update");
	WANT_IDS(&ids, "invoice_list A open after paying ia1", ia[3].id, ia[4].id);

	for (int st = 0; st < PS_INV__COUNT; st++) {
		LABEL(w, "invoice_update to %s", ps_invoice_status_name((enum ps_invoice_status)st));
		up.status = (enum ps_invoice_status)st;
		OK(f->o->invoice_update(f->st, &up, &f->err), w);
		OK(f->o->invoice_get(f->st, a, up.id, &got, &f->err), w);
		WANT_STR(ps_invoice_status_name(got.status), ps_invoice_status_name(up.status), w);
	}

	struct ps_invoice stray = up;
	stray.tenant_id = b;
	WANT_CODE(f->o->invoice_update(f->st, &stray, &f->err), PS_NOT_FOUND, "invoice_update via another tenant");
	WANT_FIELD("invoice", "invoice_update via another tenant");
	stray = up;
	stray.id = 999;
	WANT_CODE(f->o->invoice_update(f->st, &stray, &f->err), PS_NOT_FOUND, "invoice_update missing id");
}

static struct ps_invoice_line line_rec(int64_t tenant, int64_t invoice, int64_t sub, enum ps_line_kind kind,
				       int64_t start, int64_t amount)
{
	struct ps_invoice_line l;
	memset(&l, 0, sizeof l);
	l.tenant_id = tenant;
	l.invoice_id = invoice;
	l.subscription_id = sub;
	l.kind = kind;
	snprintf(l.plan_id, sizeof l.plan_id, "biz-basic");
	l.quantity = 12;
	l.period_start = start;
	l.period_end = start + 30 * 86400;
	l.amount = amount;
	snprintf(l.description, sizeof l.description, "%s, 12 seats (Zoë's team)", ps_line_kind_name(kind));
	return l;
}

static void t_invoice_lines(void **state)
{
	struct fx *f = *state;
	char w[96];
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t s1 = add_sub(f, a, "biz-basic", "business"), s2 = add_sub(f, a, "biz-basic", "business");
	int64_t sb = add_sub(f, b, "biz-basic", "business");
	int64_t inv1 = add_invoice(f, a, PS_INV_OPEN, 7200, 0, NOW + 30 * 86400);
	int64_t inv2 = add_invoice(f, a, PS_INV_OPEN, 7200, 0, NOW + 31 * 86400);
	int64_t invb = add_invoice(f, b, PS_INV_OPEN, 7200, 0, NOW + 30 * 86400);

	struct ps_invoice_line l1 = line_rec(a, inv1, s1, PS_LINE_RENEWAL, NOW, 7200);
	OK(f->o->invoice_line_insert(f->st, &l1, &f->err), "renewal line");
	OK(f->o->invoice_line_list(f->st, a, inv1, line_cb, ids_reset(&ids, 0), &f->err), "lines of inv1");
	WANT_IDS(&ids, "lines of inv1", l1.id);
	same_line(&ids.lines[0], &l1, "renewal line");

	/* The same renewal again, on any invoice: refused, nothing written. */
	struct ps_invoice_line dup = line_rec(a, inv2, s1, PS_LINE_RENEWAL, NOW, 9999);
	WANT_CODE(f->o->invoice_line_insert(f->st, &dup, &f->err), PS_CONFLICT, "second renewal of the period");
	WANT_FIELD("period", "second renewal of the period");
	dup.invoice_id = inv1;
	WANT_CODE(f->o->invoice_line_insert(f->st, &dup, &f->err), PS_CONFLICT,
		  "second renewal of the period, same invoice");
	WANT_FIELD("period", "second renewal of the period, same invoice");
	OK(f->o->invoice_line_list(f->st, a, inv2, line_cb, ids_reset(&ids, 0), &f->err), "lines of inv2");
	WANT_NO_IDS(&ids, "lines of inv2 after the refused renewal");
	OK(f->o->invoice_line_list(f->st, a, inv1, line_cb, ids_reset(&ids, 0), &f->err), "lines of inv1 again");
	WANT_IDS(&ids, "lines of inv1 after the refused renewal", l1.id);
	same_line(&ids.lines[0], &l1, "renewal line after the refused duplicate");

	/* Inside a transaction: the refusal leaves the transaction's other writes. */
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	struct ps_invoice_line next = line_rec(a, inv2, s1, PS_LINE_RENEWAL, NOW + 30 * 86400, 7200);
	OK(f->o->invoice_line_insert(f->st, &next, &f->err), "next period's renewal in tx");
	struct ps_invoice_line again = next;
	WANT_CODE(f->o->invoice_line_insert(f->st, &again, &f->err), PS_CONFLICT, "next renewal twice in tx");
	WANT_FIELD("period", "next renewal twice in tx");
	OK(f->o->commit(f->st, &f->err), "commit");
	OK(f->o->invoice_line_list(f->st, a, inv2, line_cb, ids_reset(&ids, 0), &f->err), "lines of inv2 after tx");
	WANT_IDS(&ids, "lines of inv2 after tx", next.id);

	/* Another kind, subscription or period is another line. */
	struct ps_invoice_line other[] = {
	    line_rec(a, inv1, s1, PS_LINE_QUANTITY, NOW, 600),
	    line_rec(a, inv1, s2, PS_LINE_RENEWAL, NOW, 7200),
	    line_rec(a, inv1, s1, PS_LINE_RENEWAL, NOW + 1, 7200),
	    line_rec(a, inv1, s1, PS_LINE_UPGRADE_CREDIT, NOW + 10 * 86400, -4800), /* a credit */
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		LABEL(w, "distinct line %zu", i);
		OK(f->o->invoice_line_insert(f->st, &other[i], &f->err), w);
	}
	OK(f->o->invoice_line_list(f->st, a, inv1, line_cb, ids_reset(&ids, 0), &f->err), "lines of inv1, all");
	WANT_IDS(&ids, "lines of inv1, all", l1.id, other[0].id, other[1].id, other[2].id, other[3].id);
	same_line(&ids.lines[4], &other[3], "credit line");
	OK(f->o->invoice_line_list(f->st, a, inv1, line_cb, ids_reset(&ids, 2), &f->err), "lines of inv1, stopped");
	WANT_IDS(&ids, "lines of inv1, stopped after 2", l1.id, other[0].id);

	/* Every kind survives. */
	for (int k = 0; k < PS_LINE__COUNT; k++) {
		LABEL(w, "line of kind %s", ps_line_kind_name((enum ps_line_kind)k));
		struct ps_invoice_line l = line_rec(a, inv2, s2, (enum ps_line_kind)k, NOW + 1000 + k, 100 * k - 300);
		OK(f->o->invoice_line_insert(f->st, &l, &f->err), w);
		OK(f->o->invoice_line_list(f->st, a, inv2, line_cb, ids_reset(&ids, 0), &f->err), w);
		WANT_I64(ids.n, k + 2, w);
		if (ids.n == (size_t)k + 2 && ids.n <= 8)
			same_line(&ids.lines[k + 1], &l, w);
	}

	/* Seat changes may repeat at one instant: only periods are unique. */
	struct ps_invoice_line seats_twice = line_rec(a, inv1, s1, PS_LINE_QUANTITY, NOW, 600);
	OK(f->o->invoice_line_insert(f->st, &seats_twice, &f->err), "a second seat change at the same instant");
	struct ps_invoice_line credit_twice = line_rec(a, inv1, s1, PS_LINE_UPGRADE_CREDIT, NOW + 10 * 86400, -4800);
	OK(f->o->invoice_line_insert(f->st, &credit_twice, &f->err), "a second credit at the same instant");
	/* A purchase is a period too: its first month is invoiced once. */
	struct ps_invoice_line buy = line_rec(a, inv1, s2, PS_LINE_PURCHASE, NOW - 5, 7200);
	OK(f->o->invoice_line_insert(f->st, &buy, &f->err), "purchase line");
	buy.invoice_id = inv2;
	WANT_CODE(f->o->invoice_line_insert(f->st, &buy, &f->err), PS_CONFLICT, "second purchase line of the period");
	WANT_FIELD("period", "second purchase line of the period");

	/* References stay inside the tenant. */
	struct ps_invoice_line bad = line_rec(a, 999, s1, PS_LINE_PURCHASE, NOW, 1);
	WANT_CODE(f->o->invoice_line_insert(f->st, &bad, &f->err), PS_NOT_FOUND, "line of a missing invoice");
	WANT_FIELD("invoice", "line of a missing invoice");
	bad.invoice_id = invb;
	WANT_CODE(f->o->invoice_line_insert(f->st, &bad, &f->err), PS_NOT_FOUND, "line on another tenant's invoice");
	WANT_FIELD("invoice", "line on another tenant's invoice");
	bad.invoice_id = inv1;
	bad.subscription_id = sb;
	WANT_CODE(f->o->invoice_line_insert(f->st, &bad, &f->err), PS_NOT_FOUND, "line for another tenant's sub");
	WANT_FIELD("subscription", "line for another tenant's sub");
	bad.subscription_id = 999;
	WANT_CODE(f->o->invoice_line_insert(f->st, &bad, &f->err), PS_NOT_FOUND, "line for a missing sub");
	WANT_FIELD("subscription", "line for a missing sub");
	OK(f->o->invoice_line_list(f->st, b, inv1, line_cb, ids_reset(&ids, 0), &f->err), "lines via another tenant");
	WANT_NO_IDS(&ids, "lines via another tenant");
	OK(f->o->invoice_line_list(f->st, a, 999, line_cb, ids_reset(&ids, 0), &f->err), "lines of a missing invoice");
	WANT_NO_IDS(&ids, "lines of a missing invoice");

	/* Another tenant's renewal of "the same" period is its own. */
	struct ps_invoice_line lb = line_rec(b, invb, sb, PS_LINE_RENEWAL, NOW, 7200);
	OK(f->o->invoice_line_insert(f->st, &lb, &f->err), "tenant B's renewal of the same period");
}

/* ---- Schema version 2: payments ---------------------------------------- */

static void t_payments(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	char w[64];
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B"), c = add_tenant(f, "C");
	int64_t total = -1;

	OK(f->o->payment_total(f->st, a, &total, &f->err), "payment_total before any");
	WANT_I64(total, 0, "payment_total before any");

	struct ps_receipt pa[3], pb = {.tenant_id = b, .amount = 100000, .currency = "EUR", .received_at = NOW};
	const int64_t amounts[3] = {100, 250, 7};
	for (int i = 0; i < 3; i++) {
		memset(&pa[i], 0, sizeof pa[i]);
		pa[i].tenant_id = a;
		pa[i].amount = amounts[i];
		snprintf(pa[i].currency, sizeof pa[i].currency, "EUR");
		pa[i].received_at = NOW + i;
		LABEL(w, "payment_insert A%d", i);
		OK(f->o->payment_insert(f->st, &pa[i], &f->err), w);
		if (i == 0)
			OK(f->o->payment_insert(f->st, &pb, &f->err), "payment_insert B");
	}
	OK(f->o->payment_total(f->st, a, &total, &f->err), "payment_total A");
	WANT_I64(total, 357, "payment_total A");
	OK(f->o->payment_total(f->st, b, &total, &f->err), "payment_total B");
	WANT_I64(total, 100000, "payment_total B");
	OK(f->o->payment_total(f->st, c, &total, &f->err), "payment_total C");
	WANT_I64(total, 0, "payment_total of a tenant without payments");

	OK(f->o->payment_list(f->st, a, 0, 0, payment_cb, ids_reset(&ids, 0), &f->err), "payment_list A");
	WANT_IDS(&ids, "payment_list A", pa[0].id, pa[1].id, pa[2].id);
	for (int i = 0; i < 3; i++) {
		LABEL(w, "payment_list A row %d", i);
		same_payment(&ids.payments[i], &pa[i], w);
	}
	OK(f->o->payment_list(f->st, a, pa[0].id, 1, payment_cb, ids_reset(&ids, 0), &f->err), "payment_list A page");
	WANT_IDS(&ids, "payment_list A after pa0 limit 1", pa[1].id);
	OK(f->o->payment_list(f->st, a, 0, 0, payment_cb, ids_reset(&ids, 1), &f->err), "payment_list A stopped");
	WANT_IDS(&ids, "payment_list A stopped after 1", pa[0].id);
	OK(f->o->payment_list(f->st, b, 0, 0, payment_cb, ids_reset(&ids, 0), &f->err), "payment_list B");
	WANT_IDS(&ids, "payment_list B", pb.id);
	same_payment(&ids.payments[0], &pb, "payment_list B row 0");

	struct ps_receipt orphan = {.tenant_id = 999, .amount = 1, .currency = "EUR"};
	WANT_CODE(f->o->payment_insert(f->st, &orphan, &f->err), PS_NOT_FOUND, "payment of a missing tenant");
	WANT_FIELD("tenant", "payment of a missing tenant");

	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	struct ps_receipt gone = {.tenant_id = c, .amount = 5, .currency = "EUR"};
	OK(f->o->payment_insert(f->st, &gone, &f->err), "payment in tx");
	OK(f->o->payment_total(f->st, c, &total, &f->err), "payment_total C in tx");
	WANT_I64(total, 5, "payment_total C inside its tx");
	f->o->rollback(f->st);
	OK(f->o->payment_total(f->st, c, &total, &f->err), "payment_total C after rollback");
	WANT_I64(total, 0, "payment_total C after rollback");
}

/* Paying settles the oldest open invoices first: the walk of the open
 * invoices updates each as it goes. */
struct settle {
	struct fx *f;
	int64_t left;
	ps_code c;
	int seen;
};

static bool settle_cb(void *arg, const struct ps_invoice *inv)
{
	struct settle *st = arg;
	struct ps_invoice up = *inv;
	int64_t due = inv->amount - inv->paid, pay = due < st->left ? due : st->left;
	st->seen++;
	up.paid += pay;
	st->left -= pay;
	if (up.paid == up.amount)
		up.status = PS_INV_PAID;
	st->c = st->f->o->invoice_update(st->f->st, &up, &st->f->err);
	return st->c == PS_OK && st->left > 0;
}

static void t_settle_oldest_first(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	int64_t a = add_tenant(f, "A");
	int64_t i1 = add_invoice(f, a, PS_INV_OPEN, 1000, 200, NOW - 20);
	int64_t i2 = add_invoice(f, a, PS_INV_PAID, 500, 500, NOW - 15);
	int64_t i3 = add_invoice(f, a, PS_INV_OPEN, 700, 0, NOW - 10);
	int64_t i4 = add_invoice(f, a, PS_INV_OPEN, 900, 0, NOW);

	struct settle st = {.f = f, .left = 1000};
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->invoice_list(f->st, a, true, 0, 0, settle_cb, &st, &f->err), "invoice_list with updates inside");
	OK(st.c, "invoice_update inside invoice_list");
	OK(f->o->commit(f->st, &f->err), "commit");
	WANT_I64(st.seen, 2, "open invoices walked to settle 1000");
	struct ps_invoice got;
	OK(f->o->invoice_get(f->st, a, i1, &got, &f->err), "i1");
	WANT_STR(ps_invoice_status_name(got.status), "paid", "i1 status");
	OK(f->o->invoice_get(f->st, a, i3, &got, &f->err), "i3");
	WANT_I64(got.paid, 200, "i3 paid");
	WANT_STR(ps_invoice_status_name(got.status), "open", "i3 status");
	OK(f->o->invoice_list(f->st, a, true, 0, 0, invoice_cb, ids_reset(&ids, 0), &f->err), "open after settling");
	WANT_IDS(&ids, "open after settling", i3, i4);
	(void)i2;
}

/* ---- Schema version 2: credit checks ----------------------------------- */

static void t_credit_checks(void **state)
{
	struct fx *f = *state;
	char w[96];
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t sa = add_sub(f, a, "biz-basic", "business"), sb = add_sub(f, b, "biz-basic", "business");
	int64_t ob = add_op(f, b, PS_OPK_UPGRADE, PS_OP_PENDING_CREDIT_CHECK, sb, NOW, NULL);

	struct ps_credit_check ca = add_credit(f, a, PS_CC_PENDING, NOW - 100);
	struct ps_credit_check cb_ = {.tenant_id = b,
				      .status = PS_CC_PENDING,
				      .amount = 990000,
				      .requested_at = NOW - 50,
				      .expected_by = NOW + 2 * 86400,
				      .operation_id = ob};
	OK(f->o->credit_check_insert(f->st, &cb_, &f->err), "credit check for an upgrade");
	struct ps_credit_check ca2 = {.tenant_id = a,
				      .status = PS_CC_APPROVED,
				      .amount = 5,
				      .requested_at = NOW - 10,
				      .expected_by = NOW + 86400,
				      .decided_at = NOW - 5,
				      .subscription_id = sa,
				      .quantity = 40}; /* a seat increase (schema version 3) */
	OK(f->o->credit_check_insert(f->st, &ca2, &f->err), "credit check for a seat increase");

	/* The provider finds any tenant's by id alone. */
	struct ps_credit_check got;
	memset(&got, 0xab, sizeof got);
	OK(f->o->credit_check_get(f->st, cb_.id, &got, &f->err), "credit_check_get B's");
	same_credit(&got, &cb_, "credit_check_get B's");
	OK(f->o->credit_check_get(f->st, ca2.id, &got, &f->err), "credit_check_get A's");
	same_credit(&got, &ca2, "credit_check_get A's");
	WANT_CODE(f->o->credit_check_get(f->st, 999, &got, &f->err), PS_NOT_FOUND, "credit_check_get missing");
	WANT_FIELD("credit_check", "credit_check_get missing");
	WANT_CODE(f->o->credit_check_get(f->st, 0, &got, &f->err), PS_NOT_FOUND, "credit_check_get 0");

	/* Update writes status, decided_at and amount only. */
	struct ps_credit_check up = cb_;
	up.status = PS_CC_APPROVED;
	up.decided_at = NOW + 3600;
	up.amount = 1000000;
	up.requested_at = 1;
	up.expected_by = 2;
	up.operation_id = 0;
	up.subscription_id = sb;
	OK(f->o->credit_check_update(f->st, &up, &f->err), "credit_check_update");
	OK(f->o->credit_check_get(f->st, cb_.id, &got, &f->err), "credit_check_get after update");
	struct ps_credit_check want = cb_;
	want.status = PS_CC_APPROVED;
	want.decided_at = NOW + 3600;
	want.amount = 1000000;
	same_credit(&got, &want, "credit check after update");
	for (int s = 0; s < PS_CC__COUNT; s++) {
		LABEL(w, "credit_check_update to %s", ps_credit_status_name((enum ps_credit_status)s));
		up.status = (enum ps_credit_status)s;
		up.decided_at = s == PS_CC_PENDING ? 0 : NOW + s;
		OK(f->o->credit_check_update(f->st, &up, &f->err), w);
		OK(f->o->credit_check_get(f->st, up.id, &got, &f->err), w);
		WANT_STR(ps_credit_status_name(got.status), ps_credit_status_name(up.status), w);
		WANT_I64(got.decided_at, up.decided_at, w);
	}
	struct ps_credit_check stray = up;
	stray.tenant_id = a;
	WANT_CODE(f->o->credit_check_update(f->st, &stray, &f->err), PS_NOT_FOUND,
		  "credit_check_update via another tenant");
	WANT_FIELD("credit_check", "credit_check_update via another tenant");
	stray = up;
	stray.id = 999;
	WANT_CODE(f->o->credit_check_update(f->st, &stray, &f->err), PS_NOT_FOUND, "credit_check_update missing");

	OK(f->o->credit_check_list(f->st, a, 0, 0, credit_cb, ids_reset(&ids, 0), &f->err), "credit_check_list A");
	WANT_IDS(&ids, "credit_check_list A", ca.id, ca2.id);
	same_credit(&ids.credits[0], &ca, "credit_check_list A row 0");
	same_credit(&ids.credits[1], &ca2, "credit_check_list A row 1");
	OK(f->o->credit_check_list(f->st, a, ca.id, 0, credit_cb, ids_reset(&ids, 0), &f->err),
	   "credit_check_list A after ca");
	WANT_IDS(&ids, "credit_check_list A after ca", ca2.id);
	OK(f->o->credit_check_list(f->st, a, 0, 1, credit_cb, ids_reset(&ids, 0), &f->err),
	   "credit_check_list A limit 1");
	WANT_IDS(&ids, "credit_check_list A limit 1", ca.id);
	OK(f->o->credit_check_list(f->st, b, 0, 0, credit_cb, ids_reset(&ids, 0), &f->err), "credit_check_list B");
	WANT_IDS(&ids, "credit_check_list B", cb_.id);
	/* tenant 0: every tenant's, in id order, paged like the others */
	OK(f->o->credit_check_list(f->st, 0, 0, 0, credit_cb, ids_reset(&ids, 0), &f->err), "credit_check_list all");
	WANT_IDS(&ids, "credit_check_list all", ca.id, cb_.id, ca2.id);
	OK(f->o->credit_check_list(f->st, 0, ca.id, 1, credit_cb, ids_reset(&ids, 0), &f->err),
	   "credit_check_list all after ca limit 1");
	WANT_IDS(&ids, "credit_check_list all after ca limit 1", cb_.id);

	/* What waits on a credit check is the tenant's own. */
	struct ps_credit_check bad = ca2;
	bad.subscription_id = sb;
	WANT_CODE(f->o->credit_check_insert(f->st, &bad, &f->err), PS_NOT_FOUND,
		  "credit check for another tenant's sub");
	WANT_FIELD("subscription", "credit check for another tenant's sub");
	bad.subscription_id = 0;
	bad.operation_id = ob;
	WANT_CODE(f->o->credit_check_insert(f->st, &bad, &f->err), PS_NOT_FOUND,
		  "credit check for another tenant's operation");
	WANT_FIELD("operation", "credit check for another tenant's operation");
	bad.operation_id = 999;
	WANT_CODE(f->o->credit_check_insert(f->st, &bad, &f->err), PS_NOT_FOUND, "credit check for a missing op");
	WANT_FIELD("operation", "credit check for a missing op");
	OK(f->o->credit_check_list(f->st, a, 0, 0, credit_cb, ids_reset(&ids, 0), &f->err),
	   "credit_check_list A after refusals");
	WANT_IDS(&ids, "credit_check_list A after refusals", ca.id, ca2.id);
}

/* ---- Schema version 2: operations -------------------------------------- */

static void t_operations(void **state)
{
	struct fx *f = *state;
	char w[96];
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t s1 = add_sub(f, a, "biz-basic", "business"), s2 = add_sub(f, a, "biz-standard", "business");
	int64_t sb = add_sub(f, b, "biz-basic", "business");
	struct ps_credit_check ca = add_credit(f, a, PS_CC_PENDING, NOW);
	struct ps_credit_check cb_ = add_credit(f, b, PS_CC_PENDING, NOW);

	struct ps_operation op;
	memset(&op, 0, sizeof op);
	op.tenant_id = a;
	op.kind = PS_OPK_UPGRADE;
	op.state = PS_OP_PENDING_CREDIT_CHECK;
	op.source_sub = s1;
	snprintf(op.target_plan, sizeof op.target_plan, "biz-standard");
	op.quantity = 40;
	op.credit_check_id = ca.id;
	op.created_at = NOW;
	op.updated_at = NOW;
	snprintf(op.request_id, sizeof op.request_id, "3f2a9c1e-0b7d-4e55-9a41-6c0d2e8b7f10");
	memset(op.detail, 'x', PS_TEXT_MAX); /* at its cap */
	op.detail[0] = '{';
	op.detail[PS_TEXT_MAX - 1] = '}';
	op.detail[PS_TEXT_MAX] = '\0';
	OK(f->o->operation_insert(f->st, &op, &f->err), "operation_insert with every field");
	struct ps_operation got;
	memset(&got, 0xab, sizeof got);
	OK(f->o->operation_get(f->st, a, op.id, &got, &f->err), "operation_get");
	same_op(&got, &op, "operation_get");
	WANT_CODE(f->o->operation_get(f->st, b, op.id, &got, &f->err), PS_NOT_FOUND,
		  "operation_get via another tenant");
	WANT_FIELD("operation", "operation_get via another tenant");
	WANT_CODE(f->o->operation_get(f->st, a, 999, &got, &f->err), PS_NOT_FOUND, "operation_get missing id");

	/* Update writes state, new_sub, credit_check_id, updated_at, detail and
	 * source_sub (a cancellation at term end follows an upgrade). */
	struct ps_operation up = op;
	up.state = PS_OP_PROVISIONING;
	up.new_sub = s2;
	up.credit_check_id = 0;
	up.updated_at = NOW + 60;
	snprintf(up.detail, sizeof up.detail, "{\"license_errors\":[{\"user\":\"usr_3\"}]}");
	up.source_sub = s2;
	/* Not written by update: */
	up.kind = PS_OPK_SWITCH;
	snprintf(up.target_plan, sizeof up.target_plan, "other");
	up.quantity = 1;
	snprintf(up.request_id, sizeof up.request_id, "other");
	up.created_at = 1;
	OK(f->o->operation_update(f->st, &up, &f->err), "operation_update");
	OK(f->o->operation_get(f->st, a, op.id, &got, &f->err), "operation_get after update");
	struct ps_operation want = op;
	want.state = PS_OP_PROVISIONING;
	want.new_sub = s2;
	want.credit_check_id = 0;
	want.updated_at = NOW + 60;
	want.source_sub = s2;
	snprintf(want.detail, sizeof want.detail, "%s", up.detail);
	same_op(&got, &want, "operation after update");
	up.credit_check_id = ca.id;
	OK(f->o->operation_update(f->st, &up, &f->err), "operation_update setting credit_check_id");
	OK(f->o->operation_get(f->st, a, op.id, &got, &f->err), "operation_get after setting credit_check_id");
	WANT_I64(got.credit_check_id, ca.id, "credit_check_id set by update");
	want.credit_check_id = ca.id;

	struct ps_operation bad = up;
	bad.new_sub = 999;
	WANT_CODE(f->o->operation_update(f->st, &bad, &f->err), PS_NOT_FOUND, "operation_update to a missing new sub");
	WANT_FIELD("new_subscription", "operation_update to a missing new sub");
	bad.new_sub = sb;
	WANT_CODE(f->o->operation_update(f->st, &bad, &f->err), PS_NOT_FOUND,
		  "operation_update to another tenant's sub");
	WANT_FIELD("new_subscription", "operation_update to another tenant's sub");
	bad = up;
	bad.credit_check_id = cb_.id;
	WANT_CODE(f->o->operation_update(f->st, &bad, &f->err), PS_NOT_FOUND,
		  "operation_update to another tenant's credit check");
	WANT_FIELD("credit_check", "operation_update to another tenant's credit check");
	bad.credit_check_id = 999;
	WANT_CODE(f->o->operation_update(f->st, &bad, &f->err), PS_NOT_FOUND,
		  "operation_update to a missing credit check");
	WANT_FIELD("credit_check", "operation_update to a missing credit check");
	bad = up;
	bad.id = 999;
	WANT_CODE(f->o->operation_update(f->st, &bad, &f->err), PS_NOT_FOUND, "operation_update missing id");
	WANT_FIELD("operation", "operation_update missing id");
	bad = up;
	bad.tenant_id = b;
	bad.new_sub = 0;
	bad.credit_check_id = 0;
	WANT_CODE(f->o->operation_update(f->st, &bad, &f->err), PS_NOT_FOUND, "operation_update via another tenant");
	OK(f->o->operation_get(f->st, a, op.id, &got, &f->err), "operation_get after refused updates");
	WANT_I64(got.new_sub, s2, "new_sub after refused updates");
	WANT_I64(got.credit_check_id, ca.id, "credit_check_id after refused updates");


	struct ps_operation stray = op;
	stray.credit_check_id = cb_.id;
	stray.kind = PS_OPK_SWITCH;
	WANT_CODE(f->o->operation_insert(f->st, &stray, &f->err), PS_NOT_FOUND,
		  "operation_insert waiting on another tenant's credit check");
	WANT_FIELD("credit_check", "operation_insert waiting on another tenant's credit check");

	/* Every kind and state survives (switches: not bound by the upgrade rule). */
	int64_t seen[PS_OP__COUNT];
	for (int st = 0; st < PS_OP__COUNT; st++) {
		LABEL(w, "switch %s", ps_op_state_name((enum ps_op_state)st));
		struct ps_operation o2;
		seen[st] = add_op(f, a, PS_OPK_SWITCH, (enum ps_op_state)st, s2, NOW + st, &o2);
		OK(f->o->operation_get(f->st, a, o2.id, &got, &f->err), w);
		same_op(&got, &o2, w);
	}
	struct ps_operation done;
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_COMPLETED, s1, NOW + 9, &done);
	OK(f->o->operation_get(f->st, a, done.id, &got, &f->err), "completed upgrade");
	same_op(&got, &done, "completed upgrade");
	int64_t ob = add_op(f, b, PS_OPK_UPGRADE, PS_OP_FAILED, sb, NOW, NULL);

	OK(f->o->operation_list(f->st, a, 0, 0, op_cb, ids_reset(&ids, 0), &f->err), "operation_list A");
	WANT_IDS(&ids, "operation_list A", op.id, seen[0], seen[1], seen[2], seen[3], seen[4], seen[5], done.id);
	same_op(&ids.ops[0], &want, "operation_list A row 0");
	OK(f->o->operation_list(f->st, a, op.id, 2, op_cb, ids_reset(&ids, 0), &f->err), "operation_list A page");
	WANT_IDS(&ids, "operation_list A after op limit 2", seen[0], seen[1]);
	OK(f->o->operation_list(f->st, a, 0, 0, op_cb, ids_reset(&ids, 3), &f->err), "operation_list A stopped");
	WANT_IDS(&ids, "operation_list A stopped after 3", op.id, seen[0], seen[1]);
	OK(f->o->operation_list(f->st, b, 0, 0, op_cb, ids_reset(&ids, 0), &f->err), "operation_list B");
	WANT_IDS(&ids, "operation_list B", ob);

	/* operation_count: every tenant's, by kind and state. Above: A's
	 * upgrades, provisioning and completed, a switch in every state; B's
	 * upgrade, failed; and now B's cancellation, scheduled (no target). */
	struct ps_operation cancel;
	memset(&cancel, 0, sizeof cancel);
	cancel.tenant_id = b;
	cancel.kind = PS_OPK_CANCEL;
	cancel.state = PS_OP_SCHEDULED;
	cancel.source_sub = sb;
	cancel.created_at = cancel.updated_at = cancel.effective_at = NOW;
	snprintf(cancel.detail, sizeof cancel.detail, "{}");
	OK(f->o->operation_insert(f->st, &cancel, &f->err), "operation_insert of a cancellation, no target plan");
	for (int k = 0; k < PS_OPK__COUNT; k++)
		for (int st = 0; st < PS_OP__COUNT; st++) {
			int64_t n = -1;
			OK(f->o->operation_count(f->st, (enum ps_op_kind)k, (enum ps_op_state)st, &n, &f->err),
			   "operation_count");
			int64_t want_n = k == PS_OPK_SWITCH ||
						 (k == PS_OPK_UPGRADE &&
						  (st == PS_OP_PROVISIONING || st == PS_OP_COMPLETED || st == PS_OP_FAILED)) ||
						 (k == PS_OPK_CANCEL && st == PS_OP_SCHEDULED);
			WANT(n == want_n, "case operation_count %s %s: got %lld, want %lld", ps_op_kind_name(k),
			     ps_op_state_name(st), (long long)n, (long long)want_n);
		}
}

/* The scheduled operation of a subscription: at most one (CONFLICT), found
 * by its source; once it is no longer scheduled another may be. */
static void t_operation_find_scheduled(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t s1 = add_sub(f, a, "biz-basic", "business"), s2 = add_sub(f, a, "biz-standard", "business");
	struct ps_operation op, got, twin;
	WANT_CODE(f->o->operation_find_scheduled(f->st, a, s1, &got, &f->err), PS_NOT_FOUND, "none scheduled");
	WANT_FIELD("operation", "none scheduled");
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_COMPLETED, s1, NOW - 10, NULL);
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_PROVISIONING, s2, NOW - 5, NULL);
	memset(&op, 0, sizeof op);
	op = (struct ps_operation){.tenant_id = a, .kind = PS_OPK_UPGRADE, .state = PS_OP_SCHEDULED, .source_sub = s1,
				   .target_plan = "biz-premium", .created_at = NOW, .updated_at = NOW,
				   .quantity = 3, .effective_at = NOW + 86400};
	OK(f->o->operation_insert(f->st, &op, &f->err), "a scheduled upgrade beside an unfinished one");
	OK(f->o->operation_find_scheduled(f->st, a, s1, &got, &f->err), "find_scheduled s1");
	same_op(&got, &op, "find_scheduled s1");
	WANT_CODE(f->o->operation_find_scheduled(f->st, b, s1, &got, &f->err), PS_NOT_FOUND, "via another tenant");
	WANT_CODE(f->o->operation_find_scheduled(f->st, a, s2, &got, &f->err), PS_NOT_FOUND, "s2 has none");
	twin = op;
	twin.kind = PS_OPK_SWITCH;
	WANT_CODE(f->o->operation_insert(f->st, &twin, &f->err), PS_CONFLICT, "a second scheduled change of s1");
	op.state = PS_OP_CANCELLED;
	op.updated_at = NOW + 1;
	OK(f->o->operation_update(f->st, &op, &f->err), "the scheduled one cancelled");
	WANT_CODE(f->o->operation_find_scheduled(f->st, a, s1, &got, &f->err), PS_NOT_FOUND, "cancelled: none");
	OK(f->o->operation_insert(f->st, &twin, &f->err), "another scheduled change once none is");
}

static void t_operation_find_by_new_sub(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t s1 = add_sub(f, a, "biz-basic", "business"), s2 = add_sub(f, a, "biz-standard", "business");
	int64_t s3 = add_sub(f, a, "biz-premium", "business");
	struct ps_operation op, got;
	add_op(f, a, PS_OPK_SWITCH, PS_OP_COMPLETED, s1, NOW - 10, NULL);
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_PROVISIONING, s1, NOW, &op);

	WANT_CODE(f->o->operation_find_by_new_sub(f->st, a, s2, &got, &f->err), PS_NOT_FOUND,
		  "find_by_new_sub before any names it");
	WANT_FIELD("operation", "find_by_new_sub before any names it");
	op.new_sub = s2;
	op.updated_at = NOW + 1;
	OK(f->o->operation_update(f->st, &op, &f->err), "operation_update naming s2");
	memset(&got, 0xab, sizeof got);
	OK(f->o->operation_find_by_new_sub(f->st, a, s2, &got, &f->err), "find_by_new_sub s2");
	same_op(&got, &op, "find_by_new_sub s2");
	WANT_CODE(f->o->operation_find_by_new_sub(f->st, b, s2, &got, &f->err), PS_NOT_FOUND,
		  "find_by_new_sub via another tenant");
	WANT_CODE(f->o->operation_find_by_new_sub(f->st, a, s1, &got, &f->err), PS_NOT_FOUND,
		  "find_by_new_sub of a source");
	WANT_CODE(f->o->operation_find_by_new_sub(f->st, a, s3, &got, &f->err), PS_NOT_FOUND,
		  "find_by_new_sub of an unrelated sub");
	WANT_CODE(f->o->operation_find_by_new_sub(f->st, a, 0, &got, &f->err), PS_NOT_FOUND, "find_by_new_sub 0");

	/* Inserted with its new subscription already named. */
	struct ps_operation sw;
	memset(&sw, 0, sizeof sw);
	sw.tenant_id = a;
	sw.kind = PS_OPK_SWITCH;
	sw.state = PS_OP_COMPLETED;
	sw.source_sub = s2;
	sw.new_sub = s3;
	snprintf(sw.target_plan, sizeof sw.target_plan, "biz-premium");
	OK(f->o->operation_insert(f->st, &sw, &f->err), "switch naming s3");
	OK(f->o->operation_find_by_new_sub(f->st, a, s3, &got, &f->err), "find_by_new_sub s3");
	WANT_I64(got.id, sw.id, "find_by_new_sub s3 id");

	op.new_sub = 0;
	OK(f->o->operation_update(f->st, &op, &f->err), "operation_update clearing new_sub");
	WANT_CODE(f->o->operation_find_by_new_sub(f->st, a, s2, &got, &f->err), PS_NOT_FOUND,
		  "find_by_new_sub after clearing");
}

/* One upgrade at a time per tenant: the store refuses a second unfinished one. */
static void t_one_upgrade_at_a_time(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t s1 = add_sub(f, a, "biz-basic", "business"), s2 = add_sub(f, a, "mail-p1", "mail");
	int64_t sb = add_sub(f, b, "biz-basic", "business");

	struct ps_operation first;
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_PENDING_CREDIT_CHECK, s1, NOW, &first);

	struct ps_operation second;
	memset(&second, 0, sizeof second);
	second.tenant_id = a;
	second.kind = PS_OPK_UPGRADE;
	second.source_sub = s2;
	snprintf(second.target_plan, sizeof second.target_plan, "mail-p2");
	second.created_at = NOW + 1;
	const enum ps_op_state unfinished[] = {PS_OP_PROVISIONING, PS_OP_PENDING_CREDIT_CHECK};
	char w[96];
	for (size_t i = 0; i < 2; i++) {
		LABEL(w, "second unfinished upgrade (%s)", ps_op_state_name(unfinished[i]));
		second.state = unfinished[i];
		second.id = 0;
		WANT_CODE(f->o->operation_insert(f->st, &second, &f->err), PS_CONFLICT, w);
		WANT_FIELD("operation", w);
	}
	OK(f->o->operation_list(f->st, a, 0, 0, op_cb, ids_reset(&ids, 0), &f->err), "operations after refusals");
	WANT_IDS(&ids, "operations after refusals", first.id);

	/* Switches, finished upgrades and other tenants are not held back. */
	int64_t sw1 = add_op(f, a, PS_OPK_SWITCH, PS_OP_PROVISIONING, s2, NOW + 2, NULL);
	int64_t sw2 = add_op(f, a, PS_OPK_SWITCH, PS_OP_PENDING_CREDIT_CHECK, s2, NOW + 3, NULL);
	struct ps_operation done, failed;
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_COMPLETED, s2, NOW + 4, &done);
	add_op(f, a, PS_OPK_UPGRADE, PS_OP_FAILED, s2, NOW + 5, &failed);
	add_op(f, b, PS_OPK_UPGRADE, PS_OP_PROVISIONING, sb, NOW + 6, NULL);

	/* A finished upgrade cannot come back while another is unfinished. */
	struct ps_operation back = done;
	back.state = PS_OP_PROVISIONING;
	WANT_CODE(f->o->operation_update(f->st, &back, &f->err), PS_CONFLICT, "finished upgrade made unfinished again");
	WANT_FIELD("operation", "finished upgrade made unfinished again");
	struct ps_operation got;
	OK(f->o->operation_get(f->st, a, done.id, &got, &f->err), "done after the refused update");
	WANT_STR(ps_op_state_name(got.state), "completed", "done's state after the refused update");
	/* The unfinished one may move between unfinished states. */
	first.state = PS_OP_PROVISIONING;
	OK(f->o->operation_update(f->st, &first, &f->err), "first: pending_credit_check to provisioning");

	/* Once the first is finished, a new one may start: after completed ... */
	first.state = PS_OP_COMPLETED;
	OK(f->o->operation_update(f->st, &first, &f->err), "first completed");
	second.state = PS_OP_PROVISIONING;
	OK(f->o->operation_insert(f->st, &second, &f->err), "a new upgrade after the first completed");
	/* ... and after failed. */
	second.state = PS_OP_FAILED;
	OK(f->o->operation_update(f->st, &second, &f->err), "second failed");
	struct ps_operation third = second;
	third.state = PS_OP_PENDING_CREDIT_CHECK;
	OK(f->o->operation_insert(f->st, &third, &f->err), "a new upgrade after the second failed");
	OK(f->o->operation_list(f->st, a, 0, 0, op_cb, ids_reset(&ids, 0), &f->err), "operations of A");
	WANT_IDS(&ids, "operations of A", first.id, sw1, sw2, done.id, failed.id, second.id, third.id);

	/* Inside a transaction: the refused insert leaves the transaction usable. */
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	second.id = 0;
	second.state = PS_OP_PROVISIONING;
	WANT_CODE(f->o->operation_insert(f->st, &second, &f->err), PS_CONFLICT, "second unfinished upgrade in tx");
	third.state = PS_OP_COMPLETED;
	OK(f->o->operation_update(f->st, &third, &f->err), "third completed in tx");
	OK(f->o->operation_insert(f->st, &second, &f->err), "new upgrade after third completed, in tx");
	OK(f->o->commit(f->st, &f->err), "commit");
}

/* ---- Schema version 2: moving seats ------------------------------------ */

static void seat_in(struct fx *f, int64_t tenant, int64_t sub, int64_t user, const char *what)
{
	struct ps_assignment x = seat(tenant, sub, user, "");
	x.assigned_at = NOW - user;
	OK(f->o->assignment_insert(f->st, &x, &f->err), what);
}

/* Tenant a with n users u[i], each with a seat of `from` (business); u3
 * also holds an enterprise seat through `third`; `to` is enterprise. */
static void seats_to_move(struct fx *f, int64_t a, int n, int64_t *u, int64_t *from, int64_t *to, int64_t *third)
{
	char w[96];
	*from = add_sub(f, a, "biz-basic", "business");
	*to = add_sub(f, a, "ent-e3", "enterprise");
	*third = add_sub(f, a, "ent-e5", "enterprise");
	for (int i = 0; i < n; i++) {
		char upn[16];
		LABEL(upn, "%d@a", i);
		u[i] = add_user(f, a, upn);
		LABEL(w, "seat of u%d in from", i);
		seat_in(f, a, *from, u[i], w);
	}
	seat_in(f, a, *third, u[3], "u3's enterprise seat");
}

static void t_assignments_move(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	char w[96];
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t from, to, third, u[4];
	seats_to_move(f, a, 4, u, &from, &to, &third);
	int64_t sb = add_sub(f, b, "ent-e3", "enterprise");

	int64_t moved = -1;
	WANT_CODE(f->o->assignments_move(f->st, a, from, to, "enterprise", &moved, &f->err), PS_CONFLICT,
		  "move giving u3 two enterprise seats");
	WANT_FIELD("user", "move giving u3 two enterprise seats");
	WANT_I64(moved, -1, "moved after a refused move");
	/* Nothing moved: not even the seats before u3's. */
	OK(f->o->assignment_list(f->st, a, from, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "from after refusal");
	WANT_IDS(&ids, "seats of from after the refused move", u[0], u[1], u[2], u[3]);
	WANT_STR(ids.seats[0].product_id, "business", "product of u0's seat after the refused move");
	OK(f->o->assignment_list(f->st, a, to, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "to after refusal");
	WANT_NO_IDS(&ids, "seats of to after the refused move");
	WANT_I64(assigned_of(f, a, from), 4, "from assigned after the refused move");
	WANT_I64(assigned_of(f, a, to), 0, "to assigned after the refused move");
	WANT_I64(assigned_of(f, a, third), 1, "third assigned after the refused move");

	/* Free u3's other seat: everyone moves, with their product and time. */
	OK(f->o->assignment_delete(f->st, a, third, u[3], &f->err), "u3 leaves third");
	OK(f->o->assignments_move(f->st, a, from, to, "enterprise", &moved, &f->err), "move");
	WANT_I64(moved, 4, "moved");
	WANT_I64(assigned_of(f, a, from), 0, "from assigned after the move");
	WANT_I64(assigned_of(f, a, to), 4, "to assigned after the move");
	WANT_I64(assigned_of(f, a, third), 0, "third assigned after the move");
	OK(f->o->assignment_list(f->st, a, from, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "from after the move");
	WANT_NO_IDS(&ids, "seats of from after the move");
	OK(f->o->assignment_list(f->st, a, to, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "to after the move");
	WANT_IDS(&ids, "seats of to after the move", u[0], u[1], u[2], u[3]);
	for (int i = 0; i < 4; i++) {
		LABEL(w, "u%d's seat after the move", i);
		WANT_I64(ids.seats[i].tenant_id, a, w);
		WANT_I64(ids.seats[i].subscription_id, to, w);
		WANT_STR(ids.seats[i].product_id, "enterprise", w);
		WANT_I64(ids.seats[i].assigned_at, NOW - u[i], w);
	}

	/* The seat rule sees the new product. */
	struct ps_assignment x = seat(a, third, u[0], "enterprise");
	WANT_CODE(f->o->assignment_insert(f->st, &x, &f->err), PS_CONFLICT, "u0 takes a second enterprise seat");
	WANT_FIELD("user", "u0 takes a second enterprise seat");
	int64_t biz = add_sub(f, a, "biz-standard", "business");
	seat_in(f, a, biz, u[0], "u0 takes a business seat again");

	/* Nothing to move: fine, counts untouched. */
	OK(f->o->assignments_move(f->st, a, from, to, "enterprise", &moved, &f->err), "move from an empty sub");
	WANT_I64(moved, 0, "moved from an empty sub");
	WANT_I64(assigned_of(f, a, to), 4, "to assigned after moving nothing");

	/* Into a subscription that has seats already: the counts add up. A
	 * move within one product. */
	int64_t biz2 = add_sub(f, a, "biz-premium", "business");
	int64_t u4 = add_user(f, a, "4@a");
	seat_in(f, a, biz2, u4, "u4 in biz2");
	OK(f->o->assignments_move(f->st, a, biz, biz2, "business", &moved, &f->err), "move biz to biz2");
	WANT_I64(moved, 1, "moved biz to biz2");
	WANT_I64(assigned_of(f, a, biz), 0, "biz assigned after the move");
	WANT_I64(assigned_of(f, a, biz2), 2, "biz2 assigned after the move");

	/* A user holding a seat on both sides would hold two of the target. */
	int64_t ent = add_sub(f, a, "ent-e5", "enterprise");
	seat_in(f, a, ent, u4, "u4 in ent (another product than biz2)");
	WANT_CODE(f->o->assignments_move(f->st, a, biz2, ent, "enterprise", &moved, &f->err), PS_CONFLICT,
		  "move onto a sub where u4 already sits");
	WANT_FIELD("user", "move onto a sub where u4 already sits");
	WANT_I64(assigned_of(f, a, biz2), 2, "biz2 assigned after the refused move");
	WANT_I64(assigned_of(f, a, ent), 1, "ent assigned after the refused move");

	/* Errors. */
	WANT_CODE(f->o->assignments_move(f->st, a, 999, to, "enterprise", &moved, &f->err), PS_NOT_FOUND,
		  "move from a missing sub");
	WANT_FIELD("source", "move from a missing sub");
	WANT_CODE(f->o->assignments_move(f->st, a, to, 999, "enterprise", &moved, &f->err), PS_NOT_FOUND,
		  "move to a missing sub");
	WANT_FIELD("new_subscription", "move to a missing sub");
	WANT_CODE(f->o->assignments_move(f->st, a, to, sb, "enterprise", &moved, &f->err), PS_NOT_FOUND,
		  "move to another tenant's sub");
	WANT_FIELD("new_subscription", "move to another tenant's sub");
	WANT_CODE(f->o->assignments_move(f->st, b, to, sb, "enterprise", &moved, &f->err), PS_NOT_FOUND,
		  "move from another tenant's sub");
	WANT_FIELD("source", "move from another tenant's sub");
	WANT_CODE(f->o->assignments_move(f->st, a, to, third, "business", &moved, &f->err), PS_INVALID_FIELD,
		  "move naming another product than the target's");
	WANT_FIELD("product", "move naming another product than the target's");
	WANT_I64(assigned_of(f, a, to), 4, "to assigned after the refused moves");
	WANT_I64(assigned_of(f, b, sb), 0, "B's sub assigned after the refused moves");
}

/* Manual changes by seat: an operation's users as a set, their seats moved
 * in one statement per table; a user who holds the target's product
 * elsewhere gives up the source's seat and keeps the other; both counts
 * recounted; op 0 moves every seat. */
static void t_seats_move_some(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t from, to, third, u[5];
	seats_to_move(f, a, 5, u, &from, &to, &third);
	char users[128];
	snprintf(users, sizeof users, "[%lld,%lld,%lld,%lld]", (long long)u[0], (long long)u[1], (long long)u[3],
		 (long long)u[1]);
	OK(f->o->operation_users_put(f->st, a, 7, users, &f->err), "the operation's users (a duplicate among them)");
	OK(f->o->operation_users_put(f->st, b, 7, "[1]", &f->err), "another tenant's operation 7");
	OK(f->o->seats_move_some(f->st, a, from, to, 7, &f->err), "move some");
	OK(f->o->assignment_list(f->st, a, to, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "to after");
	WANT_IDS(&ids, "u0 and u1 moved", u[0], u[1]);
	WANT_STR(ids.seats[0].product_id, "enterprise", "the moved seat takes the target's product");
	OK(f->o->assignment_list(f->st, a, from, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "from after");
	WANT_IDS(&ids, "u2 and u4 stay, u3 gave up the source's seat", u[2], u[4]);
	OK(f->o->assignment_list(f->st, a, third, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "third after");
	WANT_IDS(&ids, "u3 keeps the enterprise seat", u[3]);
	WANT_I64(assigned_of(f, a, from), 2, "from recounted");
	WANT_I64(assigned_of(f, a, to), 2, "to recounted");
	WANT_I64(assigned_of(f, a, third), 1, "third untouched");
	/* op 0: every seat left. */
	OK(f->o->seats_move_some(f->st, a, from, to, 0, &f->err), "move every seat");
	WANT_I64(assigned_of(f, a, from), 0, "from empty");
	WANT_I64(assigned_of(f, a, to), 4, "to holds all four");
	OK(f->o->seats_move_some(f->st, a, from, to, 0, &f->err), "move from an empty subscription");
	WANT_I64(assigned_of(f, a, to), 4, "nothing more moved");
}

static void t_assignments_move_in_tx(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	int64_t a = add_tenant(f, "A");
	int64_t from = add_sub(f, a, "biz-basic", "business"), to = add_sub(f, a, "biz-standard", "business");
	int64_t other = add_sub(f, a, "ent-e3", "enterprise");
	int64_t u1 = add_user(f, a, "1@a"), u2 = add_user(f, a, "2@a");
	seat_in(f, a, from, u1, "u1");
	seat_in(f, a, from, u2, "u2");
	seat_in(f, a, other, u2, "u2 enterprise");
	int64_t moved = 0;

	/* Rolled back with the caller's transaction. */
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->assignments_move(f->st, a, from, to, "business", &moved, &f->err), "move in tx");
	WANT_I64(moved, 2, "moved in tx");
	WANT_I64(assigned_of(f, a, to), 2, "to assigned in tx");
	f->o->rollback(f->st);
	WANT_I64(assigned_of(f, a, from), 2, "from assigned after rollback");
	WANT_I64(assigned_of(f, a, to), 0, "to assigned after rollback");
	OK(f->o->assignment_list(f->st, a, from, 0, 0, seat_cb, ids_reset(&ids, 0), &f->err), "from after rollback");
	WANT_IDS(&ids, "seats of from after rollback", u1, u2);

	/* A refused move inside a transaction keeps the transaction's other
	 * writes, and the transaction goes on. */
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin 2");
	int64_t u3 = add_user(f, a, "3@a");
	seat_in(f, a, from, u3, "u3 in tx");
	WANT_CODE(f->o->assignments_move(f->st, a, from, other, "enterprise", &moved, &f->err), PS_CONFLICT,
		  "refused move in tx");
	WANT_I64(assigned_of(f, a, from), 3, "from assigned after the refused move in tx");
	OK(f->o->assignments_move(f->st, a, from, to, "business", &moved, &f->err), "move after a refusal in tx");
	WANT_I64(moved, 3, "moved after a refusal in tx");
	OK(f->o->commit(f->st, &f->err), "commit 2");
	WANT_I64(assigned_of(f, a, from), 0, "from assigned after commit");
	WANT_I64(assigned_of(f, a, to), 3, "to assigned after commit");
	WANT_I64(assigned_of(f, a, other), 1, "other assigned after commit");
}

/* ---- Schema version 2: idempotency keys -------------------------------- */

static struct ps_idem idem_rec(int64_t tenant, const char *key, const char *hash, int status, const char *response,
			       int64_t created)
{
	struct ps_idem k;
	memset(&k, 0, sizeof k);
	k.tenant_id = tenant;
	snprintf(k.key, sizeof k.key, "%s", key);
	snprintf(k.request_hash, sizeof k.request_hash, "%s", hash);
	k.status = status;
	k.response = (char *)response;
	k.created_at = created;
	return k;
}

static void want_idem(struct fx *f, int64_t tenant, const struct ps_idem *w, const char *what)
{
	char c[160];
	struct ps_idem g;
	memset(&g, 0xab, sizeof g);
	g.response = NULL;
	OK(f->o->idem_find(f->st, tenant, w->key, &g, &f->err), what);
	if (f->err.code != PS_OK && g.response == NULL)
		return;
	LABEL(c, "%s: tenant_id", what);
	WANT_I64(g.tenant_id, w->tenant_id, c);
	LABEL(c, "%s: key", what);
	WANT_STR(g.key, w->key, c);
	LABEL(c, "%s: request_hash", what);
	WANT_STR(g.request_hash, w->request_hash, c);
	LABEL(c, "%s: status", what);
	WANT_I64(g.status, w->status, c);
	LABEL(c, "%s: created_at", what);
	WANT_I64(g.created_at, w->created_at, c);
	LABEL(c, "%s: response", what);
	if (g.response == NULL)
		fail_msg("case %s: got NULL, want a string", c);
	char *resp = g.response;
	/* Copied for the caller: the store's memory is not lent. */
	ps_code again = f->o->idem_find(f->st, tenant, w->key, &g, &f->err);
	if (again == PS_OK && g.response == resp)
		fail_msg("case %s: got the same pointer twice, want a new string per call", c);
	if (again == PS_OK)
		ps_free(g.response);
	int same = strcmp(resp, w->response ? w->response : "") == 0;
	size_t len = strlen(resp);
	ps_free(resp);
	if (!same)
		fail_msg("case %s: got %zu bytes that differ, want the response stored", c, len);
}

#define HASH_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define HASH_B "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

static void t_idempotency(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	struct ps_idem got;

	WANT_CODE(f->o->idem_find(f->st, a, "k1", &got, &f->err), PS_NOT_FOUND, "idem_find of an unknown key");
	WANT_FIELD("Idempotency-Key", "idem_find of an unknown key");

	/* A large answer with every kind of character survives whole. */
	size_t big_len = 20000;
	char *big = ps_malloc(big_len + 1);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(' ' + i % 94);
	memcpy(big, "{\"id\":\"op_1\",\"note\":\"Zoë's \\\"quoted\\\" €\"", 42);
	big[big_len] = '\0';
	struct ps_idem k1 = idem_rec(a, "k1", HASH_A, 201, big, NOW);
	OK(f->o->idem_insert(f->st, &k1, &f->err), "idem_insert k1");
	want_idem(f, a, &k1, "idem_find k1");

	struct ps_idem dup = idem_rec(a, "k1", HASH_B, 200, "{}", NOW + 5);
	WANT_CODE(f->o->idem_insert(f->st, &dup, &f->err), PS_CONFLICT, "idem_insert of a used key");
	WANT_FIELD("Idempotency-Key", "idem_insert of a used key");
	want_idem(f, a, &k1, "idem_find k1 after the refused insert");

	/* Keys are per tenant; 0 is the provider's. */
	WANT_CODE(f->o->idem_find(f->st, b, "k1", &got, &f->err), PS_NOT_FOUND, "idem_find k1 via another tenant");
	struct ps_idem kb = idem_rec(b, "k1", HASH_B, 409, "{\"error\":{\"code\":\"conflict\"}}", NOW + 10);
	OK(f->o->idem_insert(f->st, &kb, &f->err), "idem_insert k1 for B");
	struct ps_idem k0 = idem_rec(0, "k1", HASH_A, 200, NULL, NOW + 20);
	OK(f->o->idem_insert(f->st, &k0, &f->err), "idem_insert k1 provider-wide, no body");
	want_idem(f, b, &kb, "idem_find k1 of B");
	want_idem(f, 0, &k0, "idem_find k1 provider-wide");
	want_idem(f, a, &k1, "idem_find k1 of A after B's");

	/* A key at its cap. */
	char longkey[256];
	memset(longkey, 'K', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	struct ps_idem kl = idem_rec(a, longkey, HASH_B, 202, "{}", NOW + 30);
	OK(f->o->idem_insert(f->st, &kl, &f->err), "idem_insert a key at its cap");
	want_idem(f, a, &kl, "idem_find a key at its cap");

	/* Purge: created before `before` goes, the rest stays. */
	OK(f->o->idem_purge(f->st, NOW + 10, &f->err), "idem_purge before NOW+10");
	WANT_CODE(f->o->idem_find(f->st, a, "k1", &got, &f->err), PS_NOT_FOUND, "k1 of A after the purge");
	want_idem(f, b, &kb, "k1 of B (created at NOW+10) after the purge");
	want_idem(f, 0, &k0, "provider's k1 after the purge");
	want_idem(f, a, &kl, "long key after the purge");
	OK(f->o->idem_insert(f->st, &dup, &f->err), "k1 of A reused after the purge");
	want_idem(f, a, &dup, "k1 of A reused");
	OK(f->o->idem_purge(f->st, NOW + 1000, &f->err), "idem_purge of everything");
	WANT_CODE(f->o->idem_find(f->st, b, "k1", &got, &f->err), PS_NOT_FOUND, "k1 of B after purging everything");
	OK(f->o->idem_purge(f->st, NOW + 1000, &f->err), "idem_purge of nothing");

	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->idem_insert(f->st, &k1, &f->err), "idem_insert in tx");
	f->o->rollback(f->st);
	WANT_CODE(f->o->idem_find(f->st, a, "k1", &got, &f->err), PS_NOT_FOUND, "k1 after rollback");

	/* Reserve (status 0: running), then complete with the answer. */
	struct ps_idem r = idem_rec(a, "run", HASH_A, 0, NULL, NOW);
	OK(f->o->idem_insert(f->st, &r, &f->err), "idem_insert a reservation");
	want_idem(f, a, &r, "idem_find the reservation");
	WANT_CODE(f->o->idem_insert(f->st, &r, &f->err), PS_CONFLICT, "a twin's reservation of the same key");
	struct ps_idem done = idem_rec(a, "run", HASH_A, 201, "{\"id\":\"op_9\"}", NOW);
	OK(f->o->idem_complete(f->st, &done, &f->err), "idem_complete");
	want_idem(f, a, &done, "idem_find after idem_complete");
	struct ps_idem ghost = idem_rec(b, "run", HASH_A, 201, "{}", NOW);
	WANT_CODE(f->o->idem_complete(f->st, &ghost, &f->err), PS_NOT_FOUND, "idem_complete of another tenant's key");
	/* A failed call lets go of its key. */
	OK(f->o->idem_delete(f->st, a, "run", &f->err), "idem_delete");
	WANT_CODE(f->o->idem_find(f->st, a, "run", &got, &f->err), PS_NOT_FOUND, "idem_find after idem_delete");
	OK(f->o->idem_delete(f->st, a, "run", &f->err), "idem_delete of a missing key is fine");
	ps_free(big);
}

/* ---- Schema version 2: support requests -------------------------------- */

static struct ps_support_request support_rec(int64_t tenant, int64_t sub, const char *codes, int64_t created)
{
	struct ps_support_request r;
	memset(&r, 0, sizeof r);
	r.tenant_id = tenant;
	r.subscription_id = sub;
	snprintf(r.reason_codes, sizeof r.reason_codes, "%s", codes);
	snprintf(r.description, sizeof r.description, "Blocked by %s; we would like to move on. Merci !", codes);
	r.status = PS_SR_OPEN;
	r.created_at = created;
	r.token_id = 7;
	return r;
}

static void t_support(void **state)
{
	struct fx *f = *state;
	struct ids ids;
	char w[96];
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B"), c = add_tenant(f, "C");
	int64_t sa = add_sub(f, a, "biz-basic", "business"), sb = add_sub(f, b, "biz-basic", "business");

	struct ps_support_request r1 = support_rec(a, sa, "prepaid_plan,has_addon", NOW);
	struct ps_support_request r2 = support_rec(b, sb, "segment_restricted", NOW + 1);
	struct ps_support_request r3 = support_rec(a, 0, "other", NOW + 2);
	r3.status = PS_SR_CLOSED;
	r3.token_id = 12;
	memset(r3.description, 'd', PS_TEXT_MAX);
	r3.description[PS_TEXT_MAX] = '\0';
	memset(r3.reason_codes, 'r', sizeof r3.reason_codes - 1);
	r3.reason_codes[sizeof r3.reason_codes - 1] = '\0';
	OK(f->o->support_insert(f->st, &r1, &f->err), "support_insert r1");
	OK(f->o->support_insert(f->st, &r2, &f->err), "support_insert r2");
	OK(f->o->support_insert(f->st, &r3, &f->err), "support_insert r3 (fields at their caps)");

	OK(f->o->support_list(f->st, a, 0, 0, support_cb, ids_reset(&ids, 0), &f->err), "support_list A");
	WANT_IDS(&ids, "support_list A", r1.id, r3.id);
	same_support(&ids.support[0], &r1, "support_list A row 0");
	same_support(&ids.support[1], &r3, "support_list A row 1");
	OK(f->o->support_list(f->st, b, 0, 0, support_cb, ids_reset(&ids, 0), &f->err), "support_list B");
	WANT_IDS(&ids, "support_list B", r2.id);
	same_support(&ids.support[0], &r2, "support_list B row 0");
	OK(f->o->support_list(f->st, c, 0, 0, support_cb, ids_reset(&ids, 0), &f->err), "support_list C");
	WANT_NO_IDS(&ids, "support_list C");

	/* Tenant 0: every tenant's, in id order, paged the same way. */
	OK(f->o->support_list(f->st, 0, 0, 0, support_cb, ids_reset(&ids, 0), &f->err), "support_list all");
	WANT_IDS(&ids, "support_list all", r1.id, r2.id, r3.id);
	same_support(&ids.support[1], &r2, "support_list all row 1");
	OK(f->o->support_list(f->st, 0, r1.id, 1, support_cb, ids_reset(&ids, 0), &f->err), "support_list all page");
	WANT_IDS(&ids, "support_list all after r1 limit 1", r2.id);
	OK(f->o->support_list(f->st, 0, 0, 0, support_cb, ids_reset(&ids, 2), &f->err), "support_list all stopped");
	WANT_IDS(&ids, "support_list all stopped after 2", r1.id, r2.id);
	OK(f->o->support_list(f->st, a, r1.id, 0, support_cb, ids_reset(&ids, 0), &f->err), "support_list A page");
	WANT_IDS(&ids, "support_list A after r1", r3.id);

	for (int s = 0; s < PS_SR__COUNT; s++) {
		LABEL(w, "support request %s", ps_support_status_name((enum ps_support_status)s));
		struct ps_support_request r = support_rec(c, 0, "wait", NOW + 10 + s);
		r.status = (enum ps_support_status)s;
		OK(f->o->support_insert(f->st, &r, &f->err), w);
		OK(f->o->support_list(f->st, c, r.id - 1, 1, support_cb, ids_reset(&ids, 0), &f->err), w);
		WANT_IDS(&ids, w, r.id);
		same_support(&ids.support[0], &r, w);
	}

	struct ps_support_request bad = support_rec(a, sb, "other", NOW);
	WANT_CODE(f->o->support_insert(f->st, &bad, &f->err), PS_NOT_FOUND,
		  "support request about another tenant's sub");
	WANT_FIELD("subscription", "support request about another tenant's sub");
	bad = support_rec(999, 0, "other", NOW);
	WANT_CODE(f->o->support_insert(f->st, &bad, &f->err), PS_NOT_FOUND, "support request of a missing tenant");
	WANT_FIELD("tenant", "support request of a missing tenant");
}

/* Version 2's ids, like the others, start at one and are unique per table. */
static void t_ids_v2(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t sa = add_sub(f, a, "p", "q"), sb = add_sub(f, b, "p", "q");
	int64_t ia = add_invoice(f, a, PS_INV_OPEN, 1, 0, NOW), ib = add_invoice(f, b, PS_INV_OPEN, 1, 0, NOW);

	struct ps_invoice_line la = line_rec(a, ia, sa, PS_LINE_PURCHASE, NOW, 1);
	struct ps_invoice_line lb = line_rec(b, ib, sb, PS_LINE_PURCHASE, NOW, 1);
	OK(f->o->invoice_line_insert(f->st, &la, &f->err), "line A");
	OK(f->o->invoice_line_insert(f->st, &lb, &f->err), "line B");
	WANT_I64(la.id, 1, "first line id");
	WANT_I64(lb.id, 2, "second line id, other tenant");

	struct ps_receipt pa = {.tenant_id = a, .amount = 1, .currency = "EUR"}, pb = pa;
	pb.tenant_id = b;
	OK(f->o->payment_insert(f->st, &pa, &f->err), "payment A");
	OK(f->o->payment_insert(f->st, &pb, &f->err), "payment B");
	WANT_I64(pa.id, 1, "first payment id");
	WANT_I64(pb.id, 2, "second payment id, other tenant");

	struct ps_support_request ra = support_rec(a, 0, "x", NOW), rb = support_rec(b, 0, "x", NOW);
	OK(f->o->support_insert(f->st, &ra, &f->err), "support A");
	OK(f->o->support_insert(f->st, &rb, &f->err), "support B");
	WANT_I64(ra.id, 1, "first support request id");
	WANT_I64(rb.id, 2, "second support request id, other tenant");
}

static struct ps_job job_rec(const char *kind, int64_t rank, int64_t tenant, int64_t subject, int64_t due_at)
{
	struct ps_job j;
	memset(&j, 0, sizeof j);
	snprintf(j.kind, sizeof j.kind, "%s", kind);
	j.rank = rank;
	j.tenant_id = tenant;
	j.subject = subject;
	j.due_at = due_at;
	j.created_at = NOW;
	return j;
}

/* The runner's jobs: claimed in (due_at, rank, id) order, only when due,
 * one per (kind, tenant, subject); renewals seeded from the due, live,
 * not replaced subscriptions; updated, deleted, counted. */
static void t_jobs(void **state)
{
	struct fx *f = *state;
	struct ps_job got;
	int64_t n = -1;
	int64_t a = add_tenant(f, "A");
	WANT_CODE(f->o->job_claim(f->st, NOW, &got, &f->err), PS_NOT_FOUND, "job_claim with no job");
	struct ps_job late = job_rec("x", 0, a, 7, NOW + 10), renew = job_rec("renew", 1, a, 8, NOW),
		      op = job_rec("operation", 0, a, 9, NOW);
	OK(f->o->job_insert(f->st, &late, &f->err), "job_insert late");
	OK(f->o->job_insert(f->st, &renew, &f->err), "job_insert renew");
	OK(f->o->job_insert(f->st, &op, &f->err), "job_insert op");
	struct ps_job again = job_rec("renew", 1, a, 8, NOW - 100);
	OK(f->o->job_insert(f->st, &again, &f->err), "job_insert of a job already there");
	OK(f->o->job_count_due(f->st, NOW, &n, &f->err), "job_count_due");
	WANT_I64(n, 2, "jobs due by NOW (the second insert of one did nothing)");
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->job_claim(f->st, NOW, &got, &f->err), "job_claim");
	WANT_STR(got.kind, "operation", "first claimed: lower rank at the same due time");
	WANT_I64(got.subject, 9, "first claimed subject");
	WANT_I64(got.tenant_id, a, "first claimed tenant");
	WANT_I64(got.due_at, NOW, "first claimed due_at");
	OK(f->o->job_delete(f->st, &got, &f->err), "job_delete");
	OK(f->o->commit(f->st, &f->err), "commit");
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->job_claim(f->st, NOW, &got, &f->err), "job_claim 2");
	WANT_STR(got.kind, "renew", "second claimed");
	WANT_I64(got.due_at, NOW, "the second insert did not change due_at");
	got.due_at = NOW + 60;
	got.attempts = 2;
	snprintf(got.last_error, sizeof got.last_error, "boom");
	OK(f->o->job_update(f->st, &got, &f->err), "job_update");
	OK(f->o->commit(f->st, &f->err), "commit");
	WANT_CODE(f->o->job_claim(f->st, NOW, &got, &f->err), PS_NOT_FOUND, "nothing due by NOW");
	OK(f->o->job_claim(f->st, NOW + 60, &got, &f->err), "job_claim at NOW+60");
	WANT_STR(got.kind, "x", "due at NOW+10 comes first");
	OK(f->o->job_delete(f->st, &got, &f->err), "job_delete x");
	WANT_CODE(f->o->job_delete(f->st, &got, &f->err), PS_NOT_FOUND, "job_delete twice");
	OK(f->o->job_claim(f->st, NOW + 60, &got, &f->err), "job_claim the retried one");
	WANT_I64(got.attempts, 2, "attempts kept");
	WANT_STR(got.last_error, "boom", "last_error kept");
	OK(f->o->job_delete(f->st, &got, &f->err), "job_delete renew");
	/* job_remove: by (kind, tenant, subject); nothing there is no error. */
	struct ps_job gone = job_rec("operation", 0, a, 11, NOW), kept = job_rec("renew", 1, a, 11, NOW);
	OK(f->o->job_insert(f->st, &gone, &f->err), "job_insert gone");
	OK(f->o->job_insert(f->st, &kept, &f->err), "job_insert kept");
	OK(f->o->job_remove(f->st, "operation", a, 11, &f->err), "job_remove");
	OK(f->o->job_remove(f->st, "operation", a, 11, &f->err), "job_remove of nothing");
	OK(f->o->job_claim(f->st, NOW, &got, &f->err), "job_claim after job_remove");
	WANT_STR(got.kind, "renew", "job_remove left the other kind");
	OK(f->o->job_delete(f->st, &got, &f->err), "job_delete kept");
	WANT_CODE(f->o->job_claim(f->st, NOW, &got, &f->err), PS_NOT_FOUND, "nothing left after job_remove");

	/* Seeding renewals: due, not due, ended, replaced. */
	struct ps_subscription due = sub_rec(a, "p", "q"), later = due, ended = due, replaced = due;
	due.billed_through = NOW - 5;
	later.billed_through = NOW + 5;
	ended.billed_through = NOW - 5;
	ended.status = PS_SUB_CANCELLED;
	OK(f->o->sub_insert(f->st, &due, &f->err), "sub due");
	OK(f->o->sub_insert(f->st, &later, &f->err), "sub later");
	OK(f->o->sub_insert(f->st, &ended, &f->err), "sub ended");
	replaced.billed_through = NOW - 5;
	OK(f->o->sub_insert(f->st, &replaced, &f->err), "sub replaced");
	replaced.replaced_by = due.id;
	replaced.status = PS_SUB_REPLACED;
	OK(f->o->sub_update(f->st, &replaced, &f->err), "sub replaced update");
	OK(f->o->job_seed_renewals(f->st, "renew", 1, NOW, &f->err), "job_seed_renewals");
	OK(f->o->job_seed_renewals(f->st, "renew", 1, NOW, &f->err), "job_seed_renewals twice");
	OK(f->o->job_count_due(f->st, NOW, &n, &f->err), "job_count_due after seeding");
	WANT_I64(n, 1, "one renewal seeded, once");
	OK(f->o->job_claim(f->st, NOW, &got, &f->err), "job_claim seeded");
	WANT_STR(got.kind, "renew", "seeded kind");
	WANT_I64(got.rank, 1, "seeded rank");
	WANT_I64(got.subject, due.id, "seeded subject");
	WANT_I64(got.due_at, NOW - 5, "seeded due at billed_through");
}

/* The event outbox: appended inside a write transaction (gone with a
 * rollback), listed after an event in order, by tenant and type, pruned by
 * age; data kept byte for byte. */
struct ev_seen {
	int64_t id[16];
	int64_t tenant[16];
	char data[16][64];
	size_t n;
};

static bool take_event(void *arg, const struct ps_event *e)
{
	struct ev_seen *k = arg;
	if (k->n < 16) {
		k->id[k->n] = e->id;
		k->tenant[k->n] = e->tenant_id;
		snprintf(k->data[k->n], sizeof k->data[0], "%.*s", (int)e->data_len, e->data);
		k->n++;
	}
	return true;
}

static int64_t append_event(struct fx *f, enum ps_event_type type, int64_t tenant, int64_t created, const char *data)
{
	struct ps_event e = {.type = type, .tenant_id = tenant, .created = created, .data = data, .data_len = strlen(data)};
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->event_append(f->st, &e, &f->err), "event_append");
	OK(f->o->commit(f->st, &f->err), "commit");
	return e.id;
}

static void t_events(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	int64_t e1 = append_event(f, PS_EV_TENANT_CREATED, a, NOW - 100, "{\"id\":\"ten_1\"}");
	int64_t e2 = append_event(f, PS_EV_CATALOG_LOADED, 0, NOW - 50, "{\"version\":2}");
	int64_t e3 = append_event(f, PS_EV_USER_CREATED, b, NOW, "{\"upn\":\"\u00e9@b\"}");
	int64_t e4 = append_event(f, PS_EV_USER_CREATED, a, NOW, "{}");
	/* A rolled back event is not there. */
	struct ps_event gone = {.type = PS_EV_TOKEN_CREATED, .tenant_id = a, .created = NOW, .data = "{}", .data_len = 2};
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->event_append(f->st, &gone, &f->err), "event_append then rollback");
	f->o->rollback(f->st);
	struct ev_seen k = {0};
	OK(f->o->event_list(f->st, 0, NULL, 0, 0, take_event, &k, &f->err), "event_list all");
	WANT_I64((int64_t)k.n, 4, "every committed event, not the rolled back one");
	WANT_I64(k.id[0], e1, "first");
	WANT_I64(k.id[3], e4, "last");
	WANT_I64(k.tenant[1], 0, "an event of no one tenant");
	WANT_STR(k.data[2], "{\"upn\":\"\u00e9@b\"}", "data byte for byte");
	k.n = 0;
	OK(f->o->event_list(f->st, 0, NULL, e2, 0, take_event, &k, &f->err), "event_list after e2");
	WANT_I64((int64_t)k.n, 2, "after e2: two");
	WANT_I64(k.id[0], e3, "after e2: e3 first");
	k.n = 0;
	OK(f->o->event_list(f->st, a, NULL, 0, 0, take_event, &k, &f->err), "event_list of A");
	WANT_I64((int64_t)k.n, 2, "A's events");
	WANT_I64(k.id[1], e4, "A's second");
	k.n = 0;
	OK(f->o->event_list(f->st, 0, "user.created", 0, 1, take_event, &k, &f->err), "event_list by type, limit 1");
	WANT_I64((int64_t)k.n, 1, "limit 1");
	WANT_I64(k.id[0], e3, "the first user.created");
	k.n = 0;
	OK(f->o->event_list(f->st, b, "user.created", e3, 0, take_event, &k, &f->err), "event_list of B after its last");
	WANT_I64((int64_t)k.n, 0, "nothing after B's last");
	/* Pruning by age: created before the time given. */
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->event_prune(f->st, NOW - 50, &f->err), "event_prune");
	OK(f->o->commit(f->st, &f->err), "commit");
	k.n = 0;
	OK(f->o->event_list(f->st, 0, NULL, 0, 0, take_event, &k, &f->err), "event_list after pruning");
	WANT_I64((int64_t)k.n, 3, "the older one pruned, the one exactly at the limit kept");
	WANT_I64(k.id[0], e2, "e2 kept");
	/* A cursor on a pruned event still pages on after it. */
	k.n = 0;
	OK(f->o->event_list(f->st, 0, NULL, e1, 0, take_event, &k, &f->err), "event_list after a pruned event");
	WANT_I64((int64_t)k.n, 3, "every event after the pruned one");
	/* A new event after pruning gets a new id. */
	int64_t e5 = append_event(f, PS_EV_TOKEN_REVOKED, a, NOW, "{}");
	WANT(e5 > e4, "ids are not reused: got %lld after %lld", (long long)e5, (long long)e4);
}

/* ---- Webhooks and their deliveries ---------------------------------------- */

struct dlv_seen {
	struct ps_delivery v[16];
	size_t n;
};

static bool dlv_row(void *arg, const struct ps_delivery *d)
{
	struct dlv_seen *s = arg;
	if (s->n < 16)
		s->v[s->n++] = *d;
	return true;
}

static struct ps_delivery dlv_rec(int64_t webhook, int64_t event, int64_t tenant, int64_t due)
{
	struct ps_delivery d;
	memset(&d, 0, sizeof d);
	d.webhook_id = webhook;
	d.event_id = event;
	d.tenant_id = tenant;
	d.attempt = 1;
	d.due_at = due;
	d.first_due_at = due;
	return d;
}

static struct dlv_seen claim(struct fx *f, int64_t now, int64_t wall, const char *owner, size_t max, const char *what)
{
	struct dlv_seen s = {.n = 0};
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), what);
	OK(f->o->delivery_claim(f->st, now, wall, wall + 60, owner, max, dlv_row, &s, &f->err), what);
	OK(f->o->commit(f->st, &f->err), what);
	return s;
}

static bool claimed(const struct dlv_seen *s, int64_t event, int64_t attempt)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].event_id == event && s->v[i].attempt == attempt)
			return true;
	return false;
}

/* Endpoints round-trip; attempts are claimed only as the heads of their
 * (endpoint, tenant) chain, due, of an enabled endpoint, not leased; an
 * outcome is written only by the lease's holder; the list shows the
 * attempts made, newest first; an endpoint's deletion takes its attempts. */
static void t_webhooks(void **state)
{
	struct fx *f = *state;
	int64_t a = add_tenant(f, "A"), b = add_tenant(f, "B");
	struct ps_webhook w = {.enabled = true, .tenant_id = a, .created_at = NOW, .cursor = 5}, off, got;
	snprintf(w.url, sizeof w.url, "https://a.example/h");
	snprintf(w.types, sizeof w.types, "invoice.issued,user.created");
	snprintf(w.secret, sizeof w.secret, "whsec_one");
	OK(f->o->webhook_insert(f->st, &w, &f->err), "webhook_insert");
	OK(f->o->webhook_get(f->st, w.id, &got, &f->err), "webhook_get");
	WANT_STR(got.url, w.url, "url");
	WANT_STR(got.types, w.types, "types");
	WANT_STR(got.secret, "whsec_one", "secret");
	WANT_I64(got.tenant_id, a, "tenant");
	WANT_I64(got.cursor, 5, "cursor");
	WANT_I64(got.enabled, 1, "enabled");
	off = w;
	off.tenant_id = 0;
	OK(f->o->webhook_insert(f->st, &off, &f->err), "webhook_insert 2");
	off.enabled = false;
	snprintf(off.secret, sizeof off.secret, "whsec_two");
	OK(f->o->webhook_update(f->st, &off, &f->err), "webhook_update");
	OK(f->o->webhook_advance(f->st, off.id, 9, &f->err), "webhook_advance");
	OK(f->o->webhook_get(f->st, off.id, &got, &f->err), "webhook_get 2");
	WANT_I64(got.enabled, 0, "disabled");
	WANT_I64(got.tenant_id, 0, "no tenant filter");
	WANT_STR(got.secret, "whsec_two", "new secret");
	WANT_I64(got.cursor, 9, "advanced");
	WANT_CODE(f->o->webhook_get(f->st, 999, &got, &f->err), PS_NOT_FOUND, "webhook_get of none");
	struct ps_webhook ghost = w;
	ghost.id = 999;
	WANT_CODE(f->o->webhook_update(f->st, &ghost, &f->err), PS_NOT_FOUND, "webhook_update of none");

	/* Events 1, 2 of tenant A and 3 of B to w; 4 to the disabled one. */
	struct ps_delivery d1 = dlv_rec(w.id, 1, a, NOW), d2 = dlv_rec(w.id, 2, a, NOW), d3 = dlv_rec(w.id, 3, b, NOW),
			   d4 = dlv_rec(off.id, 4, a, NOW);
	OK(f->o->delivery_insert(f->st, &d1, &f->err), "delivery_insert 1");
	OK(f->o->delivery_insert(f->st, &d2, &f->err), "delivery_insert 2");
	OK(f->o->delivery_insert(f->st, &d3, &f->err), "delivery_insert 3");
	OK(f->o->delivery_insert(f->st, &d4, &f->err), "delivery_insert 4");
	OK(f->o->delivery_insert(f->st, &d1, &f->err), "delivery_insert of one there already");
	int64_t n = -1;
	OK(f->o->delivery_count_due(f->st, NOW, &n, &f->err), "delivery_count_due");
	WANT_I64(n, 4, "pending attempts due");
	struct dlv_seen s = claim(f, NOW - 1, NOW, "me", 8, "claim before due");
	WANT_I64((int64_t)s.n, 0, "nothing due before NOW");
	s = claim(f, NOW, NOW, "me", 8, "claim");
	WANT_I64((int64_t)s.n, 2, "the heads of A's and B's chains");
	WANT(claimed(&s, 1, 1) && claimed(&s, 3, 1), "case %s: got false, want true", "events 1 and 3 claimed, not 2 (behind 1), not 4 (disabled)");
	struct dlv_seen again = claim(f, NOW, NOW + 59, "other", 8, "claim while leased");
	WANT_I64((int64_t)again.n, 0, "leased attempts are not claimed again");

	/* Event 1 fails: retried at NOW + 60 (attempt 2, its seq); 3 delivered. */
	struct ps_delivery r1 = claimed(&s, 1, 1) && s.v[0].event_id == 1 ? s.v[0] : s.v[1];
	struct ps_delivery r3 = s.v[0].event_id == 3 ? s.v[0] : s.v[1];
	r1.time = NOW;
	r1.status_code = 500;
	snprintf(r1.state, sizeof r1.state, "retried");
	snprintf(r1.error, sizeof r1.error, "HTTP 500");
	r1.next_attempt_at = NOW + 60;
	WANT_CODE(f->o->delivery_record(f->st, &r1, "other", &f->err), PS_NOT_FOUND, "record by another daemon");
	OK(f->o->delivery_record(f->st, &r1, "me", &f->err), "record retried");
	WANT_CODE(f->o->delivery_record(f->st, &r1, "me", &f->err), PS_NOT_FOUND, "record twice");
	struct ps_delivery n1 = r1;
	n1.attempt = 2;
	n1.due_at = NOW + 60;
	OK(f->o->delivery_insert(f->st, &n1, &f->err), "insert attempt 2");
	r3.time = NOW;
	r3.status_code = 204;
	snprintf(r3.state, sizeof r3.state, "delivered");
	OK(f->o->delivery_record(f->st, &r3, "me", &f->err), "record delivered");
	s = claim(f, NOW + 30, NOW + 100, "me", 8, "claim while 1 waits");
	WANT_I64((int64_t)s.n, 0, "event 2 waits behind event 1's retry");
	s = claim(f, NOW + 60, NOW + 100, "me", 1, "claim the retry");
	WANT_I64((int64_t)s.n, 1, "one claimed (max 1)");
	WANT(claimed(&s, 1, 2), "case %s: got false, want true", "event 1's attempt 2");
	/* Its lease runs out: another daemon takes it, and the first may not record. */
	struct dlv_seen took = claim(f, NOW + 60, NOW + 161, "other", 8, "claim after the lease");
	WANT(claimed(&took, 1, 2), "case %s: got false, want true", "the attempt taken over after its lease");
	struct ps_delivery late = s.v[0];
	snprintf(late.state, sizeof late.state, "delivered");
	late.time = NOW + 60;
	WANT_CODE(f->o->delivery_record(f->st, &late, "me", &f->err), PS_NOT_FOUND, "record after losing the lease");
	OK(f->o->delivery_record(f->st, &late, "other", &f->err), "record by the holder");
	s = claim(f, NOW + 60, NOW + 161, "me", 8, "claim event 2");
	WANT(s.n == 1 && claimed(&s, 2, 1), "case %s: got false, want true", "event 2 once 1 was delivered");

	/* The list: attempts made, newest first, paged below an id. */
	struct dlv_seen l = {.n = 0};
	OK(f->o->delivery_list(f->st, w.id, 0, 0, dlv_row, &l, &f->err), "delivery_list");
	WANT_I64((int64_t)l.n, 3, "attempts made (event 2's pending one not listed)");
	WANT(l.v[0].id > l.v[1].id && l.v[1].id > l.v[2].id, "case %s: got false, want true", "newest first");
	WANT_STR(l.v[2].state, "retried", "oldest: event 1's first attempt");
	WANT_I64(l.v[2].status_code, 500, "its status");
	WANT_I64(l.v[2].next_attempt_at, NOW + 60, "its next attempt");
	struct dlv_seen l2 = {.n = 0};
	OK(f->o->delivery_list(f->st, w.id, l.v[0].id, 1, dlv_row, &l2, &f->err), "delivery_list page 2");
	WANT(l2.n == 1 && l2.v[0].id == l.v[1].id, "case %s: got false, want true", "the page below the first");

	OK(f->o->webhook_delete(f->st, w.id, &f->err), "webhook_delete");
	WANT_CODE(f->o->webhook_delete(f->st, w.id, &f->err), PS_NOT_FOUND, "webhook_delete twice");
	l.n = 0;
	OK(f->o->delivery_list(f->st, w.id, 0, 0, dlv_row, &l, &f->err), "delivery_list after delete");
	WANT_I64((int64_t)l.n, 0, "the attempts went with the endpoint");
	OK(f->o->delivery_count_due(f->st, NOW + 1000, &n, &f->err), "count after delete");
	WANT_I64(n, 1, "only the disabled endpoint's attempt left");
}

/* event_head: the last event; event_get: one by id. */
static bool event_type_row(void *arg, const struct ps_event *e)
{
	*(int *)arg = (int)e->type;
	return true;
}

static void t_event_head_get(void **state)
{
	struct fx *f = *state;
	int64_t head = -1;
	OK(f->o->event_head(f->st, &head, &f->err), "event_head of none");
	WANT_I64(head, 0, "no event");
	struct ps_event e1 = {.type = PS_EV_TENANT_CREATED, .created = NOW, .data = "{}", .data_len = 2},
			e2 = {.type = PS_EV_TOKEN_CREATED, .created = NOW, .data = "{}", .data_len = 2};
	OK(f->o->begin(f->st, PS_TX_WRITE, &f->err), "begin");
	OK(f->o->event_append(f->st, &e1, &f->err), "event_append 1");
	OK(f->o->event_append(f->st, &e2, &f->err), "event_append 2");
	OK(f->o->commit(f->st, &f->err), "commit");
	OK(f->o->event_head(f->st, &head, &f->err), "event_head");
	WANT_I64(head, e2.id, "the last event");
	int type = -1;
	OK(f->o->event_get(f->st, e1.id, event_type_row, &type, &f->err), "event_get");
	WANT_I64(type, PS_EV_TENANT_CREATED, "its type");
	WANT_CODE(f->o->event_get(f->st, e2.id + 100, event_type_row, &type, &f->err), PS_NOT_FOUND, "event_get of none");
}

/* ---- Running ------------------------------------------------------------ */

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* clang-format off */
static const struct CMUnitTest contract_tests[] = {
	T(t_webhooks),
	T(t_event_head_get),
	T(t_ids_start_at_one),
	T(t_references),
	T(t_tenant_roundtrip),
	T(t_tenant_list),
	T(t_user_roundtrip),
	T(t_user_upn_conflict),
	T(t_user_list),
	T(t_sub_roundtrip),
	T(t_sub_update),
	T(t_sub_list),
	T(t_assignment_seats),
	T(t_assignment_isolation),
	T(t_assignment_list),
	T(t_rollback),
	T(t_incidents),
	T(t_tokens),
	T(t_token_life),
	T(t_sessions),
	T(t_versions),
	T(t_catalog),
	T(t_audit),
	T(t_snapshot_content),
	T(t_snapshot_empty_and_missing),
	T(t_snapshot_in_tx),
	T(t_snapshot_scan),
	T(t_nested_calls),
	T(t_clock),
	T(t_tenant_update),
	T(t_invoices),
	T(t_invoice_lines),
	T(t_payments),
	T(t_settle_oldest_first),
	T(t_credit_checks),
	T(t_operations),
	T(t_operation_find_by_new_sub),
	T(t_operation_find_scheduled),
	T(t_one_upgrade_at_a_time),
	T(t_assignments_move),
	T(t_seats_move_some),
	T(t_assignments_move_in_tx),
	T(t_idempotency),
	T(t_support),
	T(t_ids_v2),
	T(t_jobs),
	T(t_events),
};
/* clang-format on */

/* ---- A store made before prices were kept (both backends' tests) ------- */

/* (1 = 0) and (1 = 1) are SQLite's 0 and 1 and PostgreSQL's false and true. */
/* clang-format off */
const char *const ps_prices_fixture_rows[] = {
    "INSERT INTO catalog (one, doc, loaded_at) VALUES (1, '{\"services\":[],\"products\":[],\"plans\":["
    "{\"id\":\"biz-basic\",\"price_per_seat_month\":600},{\"id\":\"biz-standard\",\"price_per_seat_month\":1250}]}', 42)",
    "INSERT INTO tenants (id, name, segment, payment, credit_limit, currency, created_at) VALUES"
    " (1, 'Contoso', 'commercial', 'invoice', 0, 'EUR', 0), (2, 'Fabrikam', 'commercial', 'card', 0, 'USD', 0)",
    "INSERT INTO subscriptions (tenant_id, id, plan_id, product_id, quantity, status, term, prepaid,"
    " term_start, term_end, created_at, billed_through) VALUES"
    " (1, 1, 'biz-basic', 'business', 10, 'active', 'monthly', (1 = 0), 0, 2592000, 0, 5184000),"
    " (1, 2, 'biz-standard', 'business', 2, 'active', 'annual', (1 = 1), 0, 31536000, 0, 31536000),"
    " (1, 3, 'biz-standard', 'business', 4, 'active', 'monthly', (1 = 0), 0, 2592000, 0, 2592000),"
    " (2, 4, 'gone', 'business', 1, 'active', 'monthly', (1 = 0), 0, 2592000, 0, 2592000)",
    "INSERT INTO invoices (tenant_id, id, subscription_id, amount, paid, currency, issued_at, due_at, status)"
    " VALUES (1, 1, 1, 6000, 0, 'EUR', 0, 0, 'open'), (1, 2, 1, 7000, 0, 'EUR', 1, 1, 'open'),"
    " (1, 3, 2, 26400, 0, 'EUR', 0, 0, 'open'), (1, 4, 3, 1234, 0, 'EUR', 0, 0, 'open')",
    "INSERT INTO invoice_lines (tenant_id, invoice_id, id, subscription_id, kind, plan_id, quantity,"
    " period_start, period_end, amount, description) VALUES"
    " (1, 1, 1, 1, 'purchase', 'biz-basic', 10, 0, 2592000, 6000, ''),"
    " (1, 2, 2, 1, 'renewal', 'biz-basic', 10, 2592000, 5184000, 7000, ''),"
    " (1, 3, 3, 2, 'purchase', 'biz-standard', 2, 0, 31536000, 26400, ''),"
    " (1, 4, 4, 3, 'upgrade_charge', 'biz-standard', 4, 100, 2592000, 1234, '')",
    NULL,
};
/* clang-format on */

void ps_prices_check_migrated(struct ps_store *st)
{
	struct ps_err err = {0};
	const struct ps_store_ops *o = st->ops;
	const struct {
		int64_t tenant, id, price;
		const char *currency, *why;
	} want[] = {
	    {1, 1, 700, "EUR", "the last invoice (a renewal at 700), not the first nor the catalog's"},
	    {1, 2, 1100, "EUR", "a prepaid year: 26400 / (2 seats x 12 months)"},
	    {1, 3, 1250, "EUR", "no whole-period invoice: the stored catalog's price"},
	    {2, 4, 0, "USD", "neither: 0, in its tenant's currency"},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct ps_subscription sub;
		if (o->sub_get(st, want[i].tenant, want[i].id, &sub, &err) != PS_OK)
			fail_msg("case %s: got %s, want the subscription", want[i].why, err.msg);
		WANT_I64(sub.price_per_seat_month, want[i].price, want[i].why);
		WANT_STR(sub.currency, want[i].currency, want[i].why);
	}
	int64_t cur = 0, next = 0;
	struct cv_acc acc = {0};
	if (o->catalog_version(st, &cur, &err) != PS_OK ||
	    o->catalog_version_list(st, 0, 0, collect_cv, &acc, &err) != PS_OK)
		fail_msg("case catalog versions after migrating: got %s, want them", err.msg);
	WANT_I64(cur, 1, "the stored catalog is version 1");
	WANT_I64((int64_t)acc.n, 1, "one version after migrating");
	WANT_I64(acc.v[0].loaded_at, 42, "version 1 keeps its time");
	WANT_STR(acc.v[0].loaded_by, "init", "version 1 was loaded by init");
	if (o->catalog_put(st, "{}", 2, 43, "cli", &next, &err) != PS_OK)
		fail_msg("case a load after migrating: got %s, want ok", err.msg);
	WANT_I64(next, 2, "the next load is version 2");
}

int ps_contract_run(const char *backend_name, struct ps_store *(*fresh)(void *ctx), void (*cleanup)(void *ctx),
		    void *ctx, const struct CMUnitTest *extra, size_t n_extra)
{
	size_t n_contract = sizeof contract_tests / sizeof contract_tests[0];
	size_t n = n_contract + n_extra;
	struct CMUnitTest *tests = ps_calloc(n, sizeof *tests);
	char name[128];

	g_fresh = fresh;
	g_cleanup = cleanup;
	g_ctx = ctx;
	memcpy(tests, contract_tests, sizeof contract_tests);
	if (n_extra)
		memcpy(tests + n_contract, extra, n_extra * sizeof *extra);
	snprintf(name, sizeof name, "store contract: %s", backend_name);
	int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	ps_free(tests);
	return failed;
}
