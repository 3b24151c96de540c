/* sqlite_snap.c: the SQLite backend's own methods beyond plain statements
 * (store layer): the snapshot (its own statements, so that it can be
 * loaded from inside any list callback; the capacity count reused within
 * a read transaction), snapshot scans stepping the range queries together,
 * and moving seats in a savepoint. */
#include "sqlite_int.h"

#include "../common/ps_mem.h"

#include <string.h>

static void bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, v);
}

/* ---- Schema version 2: moving seats ------------------------------------ */

/* The product of subscription `id` of `tenant` into out; NOT_FOUND naming
 * `field` when there is no such subscription. */
static ps_code sub_product(struct ps_sq *q, int64_t tenant, int64_t id, const char *field, char *out, size_t cap,
			   struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = ps_sq_prep(q, PS_S_MOVE_TARGET, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct ps_row r = ps_sq_row(s);
		if (!ps_col_str(&r, 0, out, cap))
			c = ps_bad_value(err, "subscriptions.product_id");
	} else if (rc == SQLITE_DONE) {
		c = ps_err_set(err, PS_NOT_FOUND, field, "%s: the subscription does not exist for this tenant", field);
	} else {
		c = ps_sq_fail(q, PS_S_MOVE_TARGET, rc, err);
	}
	sqlite3_reset(s);
	return c;
}

static ps_code add_assigned(struct ps_sq *q, int64_t tenant, int64_t sub, int64_t delta, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c = ps_sq_prep(q, PS_S_MOVE_COUNT, &s, err);
	if (c != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, sub);
	bind_i64(s, 3, delta);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		c = ps_sq_fail(q, PS_S_MOVE_COUNT, rc, err);
	sqlite3_reset(s);
	return c;
}

/* The move itself, inside the transaction or savepoint of the caller. One
 * UPDATE moves every seat (atomic on its own: a seat that would break the
 * seat rule refuses the whole statement); both counts follow by `n`. */
static ps_code move_seats(struct ps_sq *q, int64_t tenant, int64_t from, int64_t to, const char *product_id,
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
	if ((c = ps_sq_prep(q, PS_S_MOVE_SEATS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, from);
	bind_i64(s, 3, to);
	sqlite3_bind_text(s, 4, product, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*n = rc == SQLITE_DONE ? sqlite3_changes(q->db) : 0;
	if (rc != SQLITE_DONE)
		c = ps_sq_fail(q, PS_S_MOVE_SEATS, rc, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* product lives on this stack frame */
	if (c != PS_OK || *n == 0 || from == to)
		return c;
	if ((c = add_assigned(q, tenant, from, -*n, err)) != PS_OK)
		return c;
	return add_assigned(q, tenant, to, *n, err);
}

ps_code ps_sq_assignments_move(struct ps_store *st, int64_t tenant, int64_t from, int64_t to,
				   const char *product_id, int64_t *moved, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	/* The UPDATE and the two counts commit together: in a transaction of
	 * our own outside the caller's, in a savepoint inside it. */
	bool own = sqlite3_get_autocommit(q->db) != 0;
	int64_t n = 0;
	ps_code c = ps_sq_run(q, own ? PS_S_BEGIN_IMMEDIATE : PS_S_SAVEPOINT, err);
	if (c != PS_OK)
		return c;
	c = move_seats(q, tenant, from, to, product_id, &n, err);
	if (c == PS_OK)
		c = ps_sq_run(q, own ? PS_S_COMMIT : PS_S_RELEASE, err);
	if (c != PS_OK) {
		if (!own) {
			ps_sq_run(q, PS_S_ROLLBACK_TO, NULL);
			ps_sq_run(q, PS_S_RELEASE, NULL);
		} else if (!sqlite3_get_autocommit(q->db)) {
			ps_sq_run(q, PS_S_ROLLBACK, NULL);
		}
		return c;
	}
	if (moved)
		*moved = n;
	return PS_OK;
}

/* ---- The snapshot ------------------------------------------------------ */

/* Step a prepared and bound query, calling `row` for each row. */
static ps_code each_row(struct ps_sq *q, enum ps_stmt id, sqlite3_stmt *s, struct ps_snapshot *snap,
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
		c = ps_sq_fail(q, id, rc, err);
	sqlite3_reset(s);
	return c;
}

static ps_code snap_sub_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = ps_sq_row(s);
	return ps_read_sub(&r, &ps_snapshot_add_sub(snap)->s, err);
}

static ps_code snap_incident_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = ps_sq_row(s);
	return ps_snap_add_incident(&r, snap, err);
}

static ps_code snap_op_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = ps_sq_row(s);
	return ps_read_op(&r, ps_snapshot_add_op(snap), err);
}

static ps_code snap_credit_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = ps_sq_row(s);
	snap->has_credit_check = true;
	return ps_read_credit(&r, &snap->credit_check, err);
}

static ps_code snap_past_due_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = ps_sq_row(s);
	ps_snap_past_due(&r, 0, snap);
	return PS_OK;
}

static ps_code snap_capacity_row(sqlite3_stmt *s, struct ps_snapshot *snap, struct ps_err *err)
{
	struct ps_row r = ps_sq_row(s);
	ps_snap_capacity(&r, snap);
	return PS_OK;
}

static ps_code load(struct ps_sq *q, int64_t tenant, int64_t now, struct ps_snapshot *snap, struct ps_err *err)
{
	sqlite3_stmt *s;
	ps_code c;
	int64_t window_start = ps_capacity_window_start(now);

	struct ps_query qu;
	ps_q_init(&qu, PS_S_SNAP_TENANT, tenant);
	ps_q_i64(&qu, tenant);
	c = ps_sq_exec.get_one(&q->sql.base, &qu, ps_read_tenant, &snap->tenant, "tenant", "the tenant does not exist",
			       err);
	if (c != PS_OK)
		return c;

	if ((c = ps_sq_prep(q, PS_S_SNAP_SUBS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, PS_S_SNAP_SUBS, s, snap, snap_sub_row, err)) != PS_OK)
		return c;

	if ((c = ps_sq_prep(q, PS_S_SNAP_INCIDENTS, &s, err)) != PS_OK)
		return c;
	if ((c = each_row(q, PS_S_SNAP_INCIDENTS, s, snap, snap_incident_row, err)) != PS_OK)
		return c;

	if ((c = ps_sq_prep(q, PS_S_SNAP_OPS, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, PS_S_SNAP_OPS, s, snap, snap_op_row, err)) != PS_OK)
		return c;

	if ((c = ps_sq_prep(q, PS_S_SNAP_CREDIT, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	if ((c = each_row(q, PS_S_SNAP_CREDIT, s, snap, snap_credit_row, err)) != PS_OK)
		return c;

	if ((c = ps_sq_prep(q, PS_S_SNAP_PAST_DUE, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, tenant);
	bind_i64(s, 2, now);
	if ((c = each_row(q, PS_S_SNAP_PAST_DUE, s, snap, snap_past_due_row, err)) != PS_OK)
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
	if ((c = ps_sq_prep(q, PS_S_SNAP_CAPACITY, &s, err)) != PS_OK)
		return c;
	bind_i64(s, 1, window_start);
	bind_i64(s, 2, now);
	c = each_row(q, PS_S_SNAP_CAPACITY, s, snap, snap_capacity_row, err);
	q->cap_valid = c == PS_OK && reuse;
	q->cap_now = now;
	q->cap_used = snap->capacity_used;
	q->cap_oldest = snap->capacity_oldest;
	q->cap_version = version;
	return c;
}

/* Outside the caller's transaction, one read transaction of our own makes
 * the queries see one state: *own says whether it was begun here. */
static ps_code read_begin(struct ps_sq *q, bool *own, struct ps_err *err)
{
	*own = sqlite3_get_autocommit(q->db) != 0;
	return *own ? ps_sq_run(q, PS_S_BEGIN, err) : PS_OK;
}

/* End what read_begin began: committed after c == PS_OK, else rolled back. */
static ps_code read_end(struct ps_sq *q, bool own, ps_code c, struct ps_err *err)
{
	if (!own)
		return c;
	if (c == PS_OK)
		c = ps_sq_run(q, PS_S_COMMIT, err);
	if (!sqlite3_get_autocommit(q->db))
		ps_sq_run(q, PS_S_ROLLBACK, NULL);
	return c;
}

ps_code ps_sq_snapshot_load(struct ps_store *st, int64_t tenant, int64_t now, struct ps_snapshot *snap,
			    struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	bool own;
	ps_code c;

	ps_snapshot_reset(snap);
	if ((c = read_begin(q, &own, err)) != PS_OK)
		return c;
	c = load(q, tenant, now, snap, err);
	snap->capacity_limit = 0;
	return read_end(q, own, c, err);
}

/* ---- Snapshots of many tenants (sweeps) -------------------------------- */

/* A cursor over one of the scan statements: all of them give rows in
 * tenant order, the tenant id in column 0. */
struct scan_cur {
	struct ps_sq *q;
	enum ps_stmt id;
	sqlite3_stmt *s;
	bool row;
};

static ps_code cur_next(struct scan_cur *k, struct ps_err *err)
{
	int rc = sqlite3_step(k->s);
	k->row = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PS_OK : ps_sq_fail(k->q, k->id, rc, err);
}

static ps_code cur_open(struct ps_sq *q, struct scan_cur *k, enum ps_stmt id, int64_t lo, int64_t hi, int64_t now,
			struct ps_err *err)
{
	k->q = q;
	k->id = id;
	k->row = false;
	ps_code c = ps_sq_prep(q, id, &k->s, err);
	if (c != PS_OK)
		return c;
	bind_i64(k->s, 1, lo);
	bind_i64(k->s, 2, hi);
	if (id == PS_S_SCAN_PAST_DUE)
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
	while (c == PS_OK && k->row && sqlite3_column_int64(k->s, 0) < t)
		c = cur_next(k, err);
	*at = c == PS_OK && k->row && sqlite3_column_int64(k->s, 0) == t;
	return c;
}

static ps_code scan(struct ps_sq *q, int64_t after, size_t limit, int64_t now, struct ps_snapshot *snap,
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
	if ((c = ps_sq_prep(q, PS_S_SCAN_TENANTS, &s, err)) != PS_OK)
		goto out;
	bind_i64(s, 1, after);
	bind_i64(s, 2, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ps_grow((void **)&tenants, &cap, n + 1, sizeof *tenants);
		struct ps_row r = ps_sq_row(s);
		if ((c = ps_read_tenant(&r, &tenants[n++], err)) != PS_OK)
			break;
	}
	if (c == PS_OK && rc != SQLITE_DONE)
		c = ps_sq_fail(q, PS_S_SCAN_TENANTS, rc, err);
	sqlite3_reset(s);
	if (c != PS_OK || n == 0)
		goto out;

	/* Open incidents and the capacity window: the same for every tenant. */
	if ((c = ps_sq_prep(q, PS_S_SNAP_INCIDENTS, &s, err)) != PS_OK ||
	    (c = each_row(q, PS_S_SNAP_INCIDENTS, s, &shared, snap_incident_row, err)) != PS_OK)
		goto out;
	int64_t window_start = ps_capacity_window_start(now);
	if ((c = ps_sq_prep(q, PS_S_SNAP_CAPACITY, &s, err)) != PS_OK)
		goto out;
	bind_i64(s, 1, window_start);
	bind_i64(s, 2, now);
	if ((c = each_row(q, PS_S_SNAP_CAPACITY, s, &shared, snap_capacity_row, err)) != PS_OK)
		goto out;

	int64_t hi = tenants[n - 1].id;
	if ((c = cur_open(q, &subs, PS_S_SCAN_SUBS, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &ops, PS_S_SCAN_OPS, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &credit, PS_S_SCAN_CREDIT, after, hi, now, err)) != PS_OK ||
	    (c = cur_open(q, &due, PS_S_SCAN_PAST_DUE, after, hi, now, err)) != PS_OK)
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
		while (c == PS_OK && credit.row && sqlite3_column_int64(credit.s, 0) == t)
			c = cur_next(&credit, err);
		if (c != PS_OK || (c = cur_at(&due, t, &at, err)) != PS_OK)
			break;
		if (at) {
			snap->past_due = sqlite3_column_int64(due.s, 1);
			snap->oldest_due = sqlite3_column_int64(due.s, 2);
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

ps_code ps_sq_snapshot_scan(struct ps_store *st, int64_t after, size_t limit, int64_t now, struct ps_snapshot *snap,
			    ps_snapshot_cb cb, void *arg, int64_t *last, struct ps_err *err)
{
	struct ps_sq *q = ps_sq_of(st);
	bool own;
	ps_code c;

	*last = after;
	if ((c = read_begin(q, &own, err)) != PS_OK)
		return c;
	c = scan(q, after, limit, now, snap, cb, arg, last, err);
	return read_end(q, own, c, err);
}
