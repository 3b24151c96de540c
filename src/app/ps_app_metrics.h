/* ps_app_metrics.h: the store's side of GET /metrics (app layer): what the
 * store holds rather than what this process counted, so every daemon on one
 * store shows the same figures. */
#ifndef PS_APP_METRICS_H
#define PS_APP_METRICS_H

#include "ps_app.h"

/* Append planshift_operations_total{type,state} (every operation of every
 * tenant, by type and state: one read walk over the tenants) and
 * planshift_webhook_deliveries_total{result}, then the runner's
 * planshift_jobs_due and planshift_jobs_run_total{kind,result} to out. A store failure is
 * returned with c->err set; out may then hold part of the text. */
ps_code ps_app_metrics_write(struct ps_ctx *c, struct ps_buf *out);

#endif
