/* metrics.c: the store's figures for GET /metrics (app layer): operations
 * by type and state, read from the store at scrape time (the process's own
 * counters are common/metrics.c). */
#include "ps_app_metrics.h"
#include "ps_jobs.h"
#include "ps_lists.h"
#include "ps_webhooks.h"

#include "../common/ps_mem.h"

struct op_walk {
	int64_t *tenants;
	size_t n, cap;
	uint64_t count[PS_OPK__COUNT][PS_OP__COUNT];
};

static bool tenant_row(void *arg, const struct ps_tenant *t)
{
	struct op_walk *w = arg;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->tenants = ps_realloc(w->tenants, w->cap * sizeof *w->tenants);
	}
	w->tenants[w->n++] = t->id;
	return true;
}

static bool operation_row(void *arg, const struct ps_operation *op)
{
	struct op_walk *w = arg;
	if (op->kind < PS_OPK__COUNT && op->state < PS_OP__COUNT)
		w->count[op->kind][op->state]++;
	return true;
}

ps_code ps_app_metrics_write(struct ps_ctx *c, struct ps_buf *out)
{
	struct op_walk w = {0};
	/* The tenants first, then each one's operations: no walk inside
	 * another's callback. */
	ps_code rc = ps_app_tenants_list(c, 0, 0, tenant_row, &w);
	for (size_t i = 0; rc == PS_OK && i < w.n; i++)
		rc = ps_app_operations_list(c, w.tenants[i], 0, 0, operation_row, &w);
	ps_free(w.tenants);
	if (rc != PS_OK)
		return rc;
	ps_buf_puts(out, "# HELP planshift_operations_total Operations in the store, by type and state\n"
			 "# TYPE planshift_operations_total gauge\n");
	for (int k = 0; k < PS_OPK__COUNT; k++)
		for (int s = 0; s < PS_OP__COUNT; s++)
			ps_buf_printf(out, "planshift_operations_total{type=\"%s\",state=\"%s\"} %llu\n",
				      ps_op_kind_name((enum ps_op_kind)k), ps_op_state_name((enum ps_op_state)s),
				      (unsigned long long)w.count[k][s]);
	if ((rc = ps_deliver_metrics_write(c, out)) != PS_OK)
		return rc;
	return ps_jobs_metrics_write(c, out);
}
