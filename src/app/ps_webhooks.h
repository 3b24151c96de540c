/* ps_webhooks.h: webhook endpoints and the delivery of events to them (app
 * layer; API.md "Webhook deliveries", RULES "Events and webhooks").
 *
 * webhooks.c: the operator's endpoints (a URL, the event types wanted, an
 * optional tenant filter, a secret shown once), each change one
 * transaction with its audit row, and the views of an endpoint and of an
 * attempt. deliver.c: the runner's delivery pass (doc/ARCHITECTURE.md
 * "Webhook deliveries"). */
#ifndef PS_WEBHOOKS_H
#define PS_WEBHOOKS_H

#include "ps_app.h"


/* A change of an endpoint: each field NULL / *_set false to keep it.
 * types: the event types, comma-separated ("" = every type). */
struct ps_webhook_in {
	const char *url;
	const char *types;
	bool types_set;
	int64_t tenant; /* create only; 0: every tenant's events */
	bool enabled, enabled_set;
};

/* A new endpoint, enabled, with a new secret (out->secret: shown once).
 * Errors name url (http or https only), types (a known event type each),
 * tenant (no such tenant). Events committed before it are not sent to it. */
ps_code ps_app_webhook_create(struct ps_ctx *c, const struct ps_webhook_in *in, struct ps_webhook *out);
ps_code ps_app_webhook_get(struct ps_ctx *c, int64_t id, struct ps_webhook *out);
ps_code ps_app_webhooks_list(struct ps_ctx *c, int64_t after, size_t limit, ps_webhook_cb cb, void *arg);
/* Change url, types, enabled. Events committed while it is disabled are
 * not sent to it when it is enabled again. */
ps_code ps_app_webhook_update(struct ps_ctx *c, int64_t id, const struct ps_webhook_in *in, struct ps_webhook *out);
/* A new secret (out->secret: shown once); deliveries are signed with it from
 * then on. */
ps_code ps_app_webhook_rotate(struct ps_ctx *c, int64_t id, struct ps_webhook *out);
/* The endpoint and its deliveries are gone. */
ps_code ps_app_webhook_delete(struct ps_ctx *c, int64_t id);
/* An endpoint's attempts, newest first: ids below `before` (0: from the
 * newest). PS_NOT_FOUND "no such webhook". */
ps_code ps_app_deliveries_list(struct ps_ctx *c, int64_t webhook, int64_t before, size_t limit, ps_delivery_cb cb,
			       void *arg);

/* {id, url, types, tenant, enabled, created} and `secret` when with_secret. */
void ps_render_webhook(struct ps_jw *w, const struct ps_webhook *wh, bool with_secret);
static inline void ps_render_webhook_row(struct ps_jw *w, const struct ps_webhook *wh)
{
	ps_render_webhook(w, wh, false);
}
/* {id, event, webhook, attempt, time, status_code, error, next_attempt_at, state}. */
void ps_render_delivery(struct ps_jw *w, const struct ps_delivery *d);

/* ---- the seam with the events (hook_events.c): what deliveries read of them ---- */

/* An event as the fan-out needs it. */
struct ps_hook_event {
	int64_t id, tenant_id;
	char type[64];
};
/* Whether name is one of the events' types (PS_EVENT_TYPE_MAP). */
bool ps_event_type_known(const char *name);
/* The id of the last event committed, in commit order (0: none). */
ps_code ps_event_head(struct ps_ctx *c, int64_t *id);
/* The events after event `after`, in commit order, at most limit, into
 * out (caller's array); *n gets how many. */
ps_code ps_hook_events_after(struct ps_ctx *c, int64_t after, size_t limit, struct ps_hook_event *out, size_t *n);
/* The event's JSON as GET /v1/events shows it ({id, type, tenant, created,
 * data}), into body. PS_NOT_FOUND when it is gone (pruned). */
ps_code ps_hook_event_body(struct ps_ctx *c, int64_t id, struct ps_buf *body);

/* ---- deliver.c: the runner's deliveries ---- */

/* The delivery pass, on the job runner's context (never a request's): new
 * events become pending attempts of the endpoints that want them (each
 * endpoint's cursor over the events in commit order, one transaction);
 * then the attempts due by c->now are claimed (one short transaction, a
 * lease), POSTed outside any transaction, a few at a time (pool, with a
 * 10 s timeout each), and each outcome recorded in its own short
 * transaction. *sent counts the attempts made (may be NULL). */
ps_code ps_deliver_pass(struct ps_ctx *c, int *sent);
/* The pool's size (connections at once): 1..64, default 8. */
void ps_deliver_set_pool(unsigned n);
/* The delay after `attempt` failed attempts: 1 min, doubling, 6 h at most. */
int64_t ps_deliver_backoff(int64_t attempt);
/* Retries end this long after the first attempt was due (3 days). */
#define PS_DELIVER_FOR (3 * 86400)
#define PS_DELIVER_TIMEOUT_S 10

/* Append planshift_webhook_deliveries_total{result} (this process's
 * attempts: delivered, retried, failed) and planshift_webhook_deliveries_due. */
ps_code ps_deliver_metrics_write(struct ps_ctx *c, struct ps_buf *out);

#endif
