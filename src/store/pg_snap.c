/* pg_snap.c: the PostgreSQL backend's own methods beyond plain statements
 * (store layer): the snapshot (seven queries, one round trip), snapshot
 * scans of many tenants in batches, moving seats in one statement, and the
 * writes that lock first (an automatic upgrade's capacity, a credit check
 * found by id alone). */
#include "pg_int.h"

#include <inttypes.h>
#include <string.h>

/* Before an automatic upgrade is inserted in a write transaction: take the
 * capacity lock (held to the end of the transaction, so one daemon at a
 * time adds to the count), then count again. More than this transaction's
 * snapshot saw means another daemon started an upgrade since, and the
 * rules were evaluated on a stale count: the transaction must run again. */
static ps_code capacity_check(struct ps_pg *p, int64_t tenant, struct ps_err *err)
{
	struct ps_pg_q qs[2];
	ps_pg_q_init(&qs[0], PS_S_LOCK);
	ps_pg_p_i64(&qs[0], (int64_t)PS_PG_LOCK_CAPACITY);
	ps_pg_q_init(&qs[1], PS_S_SNAP_CAPACITY);
	ps_pg_p_i64(&qs[1], ps_capacity_window_start(p->cap_now));
	ps_pg_p_i64(&qs[1], p->cap_now);
	ps_code c = ps_pg_run(p, qs, 2, 0, tenant, err);
	if (c != PS_OK)
		return c;
	int64_t used = PQntuples(qs[1].res) > 0 ? ps_pg_col_i64(qs[1].res, 0, 0) : 0;
	ps_pg_q_clear(&qs[0]);
	ps_pg_q_clear(&qs[1]);
	if (used > p->cap_used)
		return ps_err_set(err, PS_RETRY, NULL,
				  "operation_insert: another daemon started an automatic upgrade since this transaction"
				  " counted the capacity (%" PRId64 " then, %" PRId64
				  " now): run the transaction again",
				  p->cap_used, used);
	return PS_OK;
}

ps_code ps_pg_operation_insert(struct ps_store *st, struct ps_operation *op, struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
	if (op->kind == PS_OPK_UPGRADE && ps_pg_in_write_tx(p) && p->cap_seen) {
		ps_code c = capacity_check(p, op->tenant_id, err);
		if (c != PS_OK)
			return c;
	}
	return ps_sql_operation_insert(st, op, err);
}

ps_code ps_pg_credit_check_get(struct ps_store *st, int64_t id, struct ps_credit_check *out, struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
	ps_code c = ps_sql_credit_check_get_locked(st, id, 0, out, err);
	/* Found by id alone, before its tenant was known: in a write
	 * transaction, read it again under its tenant's lock. */
	if (c == PS_OK && ps_pg_in_write_tx(p) && !ps_pg_has_lock(p, out->tenant_id))
		c = ps_sql_credit_check_get_locked(st, id, out->tenant_id, out, err);
	return c;
}

/* ---- Schema version 2: moving seats ------------------------------------ */

ps_code ps_pg_assignments_move(struct ps_store *st, int64_t tenant, int64_t from, int64_t to,
				   const char *product_id, int64_t *moved, struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
	char product[PS_ID_MAX + 1] = "";
	bool have_from = false, have_to = false;
	struct ps_pg_q q;

	/* Both subscriptions are the tenant's; the seats take the target's
	 * product, so the seat rule sees the product they will really have. */
	ps_pg_q_init(&q, PS_S_MOVE_SUBS);
	ps_pg_p_i64(&q, tenant);
	ps_pg_p_i64(&q, from);
	ps_pg_p_i64(&q, to);
	ps_code c = ps_pg_run1(p, &q, 0, tenant, err);
	if (c != PS_OK)
		return c;
	for (int i = 0; i < PQntuples(q.res); i++) {
		int64_t id = ps_pg_col_i64(q.res, i, 0);
		have_from = have_from || id == from;
		if (id == to) {
			have_to = true;
			struct ps_row r = ps_pg_row_at(q.res, i);
			if (!ps_col_str(&r, 1, product, sizeof product))
				c = ps_bad_value(err, "subscriptions.product_id");
		}
	}
	ps_pg_q_clear(&q);
	if (c != PS_OK)
		return c;
	if (!have_from)
		return ps_err_set(err, PS_NOT_FOUND, "source",
				  "source: the subscription does not exist for this tenant");
	if (!have_to)
		return ps_err_set(err, PS_NOT_FOUND, "new_subscription",
				  "new_subscription: the subscription does not exist for this tenant");
	if (product_id != NULL && strcmp(product_id, product) != 0)
		return ps_err_set(err, PS_INVALID_FIELD, "product",
				  "assignments_move: product %.64s is not the new subscription's (%s)", product_id,
				  product);

	ps_pg_q_init(&q, PS_S_MOVE_SEATS);
	ps_pg_p_i64(&q, tenant);
	ps_pg_p_i64(&q, from);
	ps_pg_p_i64(&q, to);
	ps_pg_p_str(&q, product);
	if ((c = ps_pg_run1(p, &q, PS_PG_RUN_WRITE, tenant, err)) != PS_OK)
		return c;
	if (moved)
		*moved = PQntuples(q.res) > 0 ? ps_pg_col_i64(q.res, 0, 0) : 0;
	ps_pg_q_clear(&q);
	return PS_OK;
}

/* ---- The snapshot ------------------------------------------------------ */

enum { SN_TENANT, SN_SUBS, SN_INCIDENTS, SN_OPS, SN_CREDIT, SN_PAST_DUE, SN_CAPACITY, SN__COUNT };

/* Each row of r through fn (a decoder, or a snapshot row's reader). */
static ps_code each(const PGresult *r, ps_code (*fn)(const struct ps_row *row, struct ps_snapshot *snap,
						     struct ps_err *err),
		   struct ps_snapshot *snap, struct ps_err *err)
{
	ps_code c = PS_OK;
	for (int i = 0; c == PS_OK && i < PQntuples(r); i++) {
		struct ps_row row = ps_pg_row_at(r, i);
		c = fn(&row, snap, err);
	}
	return c;
}

static ps_code sub_row(const struct ps_row *r, struct ps_snapshot *snap, struct ps_err *err)
{
	return ps_read_sub(r, &ps_snapshot_add_sub(snap)->s, err);
}

static ps_code op_row(const struct ps_row *r, struct ps_snapshot *snap, struct ps_err *err)
{
	return ps_read_op(r, ps_snapshot_add_op(snap), err);
}

static ps_code fill_snapshot(struct ps_pg_q *qs, struct ps_snapshot *snap, struct ps_err *err)
{
	ps_code c;
	if (PQntuples(qs[SN_TENANT].res) == 0)
		return ps_err_set(err, PS_NOT_FOUND, "tenant", "the tenant does not exist");
	struct ps_row r = ps_pg_row_at(qs[SN_TENANT].res, 0);
	if ((c = ps_read_tenant(&r, &snap->tenant, err)) != PS_OK ||
	    (c = each(qs[SN_SUBS].res, sub_row, snap, err)) != PS_OK ||
	    (c = each(qs[SN_INCIDENTS].res, ps_snap_add_incident, snap, err)) != PS_OK ||
	    (c = each(qs[SN_OPS].res, op_row, snap, err)) != PS_OK)
		return c;
	if (PQntuples(qs[SN_CREDIT].res) > 0) {
		r = ps_pg_row_at(qs[SN_CREDIT].res, 0);
		snap->has_credit_check = true;
		if ((c = ps_read_credit(&r, &snap->credit_check, err)) != PS_OK)
			return c;
	}
	if (PQntuples(qs[SN_PAST_DUE].res) > 0) {
		r = ps_pg_row_at(qs[SN_PAST_DUE].res, 0);
		ps_snap_past_due(&r, 0, snap);
	}
	if (PQntuples(qs[SN_CAPACITY].res) > 0) {
		r = ps_pg_row_at(qs[SN_CAPACITY].res, 0);
		ps_snap_capacity(&r, snap);
	}
	return PS_OK;
}

/* Seven queries, one round trip: in the caller's transaction (a write one
 * takes the tenant's lock first), else in a read-only snapshot of its own. */
ps_code ps_pg_snapshot_load(struct ps_store *st, int64_t tenant, int64_t now, struct ps_snapshot *snap,
				struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
	struct ps_pg_q qs[SN__COUNT];
	int64_t window_start = ps_capacity_window_start(now);

	ps_snapshot_reset(snap);
	ps_pg_q_init(&qs[SN_TENANT], PS_S_SNAP_TENANT);
	ps_pg_p_i64(&qs[SN_TENANT], tenant);
	ps_pg_q_init(&qs[SN_SUBS], PS_S_SNAP_SUBS);
	ps_pg_p_i64(&qs[SN_SUBS], tenant);
	ps_pg_q_init(&qs[SN_INCIDENTS], PS_S_SNAP_INCIDENTS);
	ps_pg_q_init(&qs[SN_OPS], PS_S_SNAP_OPS);
	ps_pg_p_i64(&qs[SN_OPS], tenant);
	ps_pg_q_init(&qs[SN_CREDIT], PS_S_SNAP_CREDIT);
	ps_pg_p_i64(&qs[SN_CREDIT], tenant);
	ps_pg_q_init(&qs[SN_PAST_DUE], PS_S_SNAP_PAST_DUE);
	ps_pg_p_i64(&qs[SN_PAST_DUE], tenant);
	ps_pg_p_i64(&qs[SN_PAST_DUE], now);
	ps_pg_q_init(&qs[SN_CAPACITY], PS_S_SNAP_CAPACITY);
	ps_pg_p_i64(&qs[SN_CAPACITY], window_start);
	ps_pg_p_i64(&qs[SN_CAPACITY], now);
	ps_code c = ps_pg_run(p, qs, SN__COUNT, PS_PG_RUN_SNAPSHOT, tenant, err);
	if (c == PS_OK)
		c = fill_snapshot(qs, snap, err);
	for (size_t i = 0; i < SN__COUNT; i++)
		ps_pg_q_clear(&qs[i]);
	snap->capacity_limit = 0;
	if (c == PS_OK && ps_pg_in_write_tx(p)) {
		p->cap_seen = true;
		p->cap_now = now;
		p->cap_used = snap->capacity_used;
	}
	return c;
}

/* ---- Snapshots of many tenants (sweeps) -------------------------------- */

enum { SC_TENANTS, SC_SUBS, SC_INCIDENTS, SC_OPS, SC_CREDIT, SC_PAST_DUE, SC_CAPACITY, SC__COUNT };

/* A cursor over one scan result: rows in tenant order, the tenant id in
 * column 0. at() skips the rows of tenants before t (none in one
 * snapshot; it only keeps the merge in step) and says whether the current
 * row is t's. */
struct cur {
	const PGresult *r;
	int row, rows;
};

static bool at(struct cur *k, int64_t t)
{
	while (k->row < k->rows && ps_pg_col_i64(k->r, k->row, 0) < t)
		k->row++;
	return k->row < k->rows && ps_pg_col_i64(k->r, k->row, 0) == t;
}

/* One batch: its queries in one round trip, then every tenant's snapshot
 * merged from them and given to cb. *n gets the number of tenants in the
 * batch, *stop whether cb said to stop. */
static ps_code scan_batch(struct ps_pg *p, int64_t after, size_t batch, int64_t now, struct ps_snapshot *snap,
			  ps_snapshot_cb cb, void *arg, int64_t *last, size_t *n, bool *stop, struct ps_err *err)
{
	struct ps_pg_q qs[SC__COUNT];
	int64_t window_start = ps_capacity_window_start(now);
	static const enum ps_stmt ids[SC__COUNT] = {PS_S_SCAN_TENANTS, PS_S_SCAN_SUBS,     PS_S_SNAP_INCIDENTS, PS_S_SCAN_OPS,
						    PS_S_SCAN_CREDIT,  PS_S_SCAN_PAST_DUE, PS_S_SNAP_CAPACITY};
	ps_code c = PS_OK;

	for (size_t i = 0; i < SC__COUNT; i++) {
		ps_pg_q_init(&qs[i], ids[i]);
		if (i == SC_INCIDENTS)
			continue;
		if (i == SC_CAPACITY) {
			ps_pg_p_i64(&qs[i], window_start);
			ps_pg_p_i64(&qs[i], now);
			continue;
		}
		ps_pg_p_i64(&qs[i], after);
		ps_pg_p_limit(&qs[i], batch);
		if (i == SC_PAST_DUE)
			ps_pg_p_i64(&qs[i], now);
	}
	if ((c = ps_pg_run(p, qs, SC__COUNT, 0, 0, err)) != PS_OK)
		return c;

	struct cur subs = {qs[SC_SUBS].res, 0, PQntuples(qs[SC_SUBS].res)};
	struct cur ops = {qs[SC_OPS].res, 0, PQntuples(qs[SC_OPS].res)};
	struct cur credit = {qs[SC_CREDIT].res, 0, PQntuples(qs[SC_CREDIT].res)};
	struct cur due = {qs[SC_PAST_DUE].res, 0, PQntuples(qs[SC_PAST_DUE].res)};
	const PGresult *tenants = qs[SC_TENANTS].res, *inc = qs[SC_INCIDENTS].res, *cap = qs[SC_CAPACITY].res;
	*n = (size_t)PQntuples(tenants);
	for (int i = 0; c == PS_OK && i < PQntuples(tenants) && !*stop; i++) {
		ps_snapshot_reset(snap);
		struct ps_row r = ps_pg_row_at(tenants, i);
		if ((c = ps_read_tenant(&r, &snap->tenant, err)) != PS_OK)
			break;
		int64_t t = snap->tenant.id;
		for (; c == PS_OK && at(&subs, t); subs.row++) {
			r = ps_pg_row_at(subs.r, subs.row);
			c = sub_row(&r, snap, err);
		}
		if (c == PS_OK)
			c = each(inc, ps_snap_add_incident, snap, err);
		for (; c == PS_OK && at(&ops, t); ops.row++) {
			r = ps_pg_row_at(ops.r, ops.row);
			c = op_row(&r, snap, err);
		}
		if (c == PS_OK && at(&credit, t)) {
			r = ps_pg_row_at(credit.r, credit.row);
			snap->has_credit_check = true;
			c = ps_read_credit(&r, &snap->credit_check, err);
		}
		if (c == PS_OK && at(&due, t)) {
			r = ps_pg_row_at(due.r, due.row);
			ps_snap_past_due(&r, 1, snap);
		}
		if (PQntuples(cap) > 0) {
			r = ps_pg_row_at(cap, 0);
			ps_snap_capacity(&r, snap);
		}
		snap->capacity_limit = 0;
		if (c != PS_OK)
			break;
		*last = t;
		*stop = !cb(arg, snap);
	}
	for (size_t i = 0; i < SC__COUNT; i++)
		ps_pg_q_clear(&qs[i]);
	return c;
}

/* Batches of at most PS_PG_PAGE_ROWS tenants, all in one read snapshot: the
 * caller's transaction, or one of our own. */
ps_code ps_pg_snapshot_scan(struct ps_store *st, int64_t after, size_t limit, int64_t now, struct ps_snapshot *snap,
				ps_snapshot_cb cb, void *arg, int64_t *last, struct ps_err *err)
{
	struct ps_pg *p = ps_pg_of(st);
	bool own = !p->in_tx, stop = false;
	size_t seen = 0;
	ps_code c = PS_OK;

	*last = after;
	if (own && (c = st->ops->begin(st, PS_TX_READ, err)) != PS_OK)
		return c;
	while (!stop && (limit == 0 || seen < limit)) {
		size_t batch = limit == 0 || limit - seen > PS_PG_PAGE_ROWS ? PS_PG_PAGE_ROWS : limit - seen, n = 0;
		if ((c = scan_batch(p, *last, batch, now, snap, cb, arg, last, &n, &stop, err)) != PS_OK || n < batch)
			break;
		seen += n;
	}
	if (own) {
		if (c == PS_OK)
			c = st->ops->commit(st, err);
		else
			st->ops->rollback(st);
	}
	return c;
}
