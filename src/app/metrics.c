/* metrics.c: the store's figures for GET /metrics (app layer): operations
 * by type and state, counted by the store at scrape time (one index-only
 * count per series, whatever the fleet's size; the process's own counters
 * are common/metrics.c). */
#include "ps_app_metrics.h"
#include "ps_jobs.h"
#include "ps_webhooks.h"


ps_code ps_app_metrics_write(struct ps_ctx *c, struct ps_buf *out)
{
	ps_buf_puts(out, "# HELP planshift_operations_total Operations in the store, by type and state\n"
			 "# TYPE planshift_operations_total gauge\n");
	for (int k = 0; k < PS_OPK__COUNT; k++)
		for (int s = 0; s < PS_OP__COUNT; s++) {
			int64_t n = 0;
			ps_code rc = c->st->ops->operation_count(c->st, (enum ps_op_kind)k, (enum ps_op_state)s, &n,
								 &c->err);
			if (rc != PS_OK)
				return rc;
			ps_buf_printf(out, "planshift_operations_total{type=\"%s\",state=\"%s\"} %lld\n",
				      ps_op_kind_name((enum ps_op_kind)k), ps_op_state_name((enum ps_op_state)s),
				      (long long)n);
		}
	ps_code rc = ps_deliver_metrics_write(c, out);
	if (rc != PS_OK)
		return rc;
	return ps_jobs_metrics_write(c, out);
}
