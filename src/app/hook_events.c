/* hook_events.c: what the webhook deliveries read of the events (app
 * layer), in one place: the seam between deliver.c and the events'
 * outbox. Until the outbox is merged there are no events. */
#include "ps_webhooks.h"

#include <string.h>

bool ps_event_type_known(const char *name)
{
	static const char *const types[] = {
	    "tenant.created", "user.created", "subscription.created", "subscription.updated", "license.assigned",
	    "license.unassigned", "operation.created", "operation.updated", "invoice.issued", "payment.received",
	    "credit_check.requested", "credit_check.decided", "incident.opened", "incident.updated",
	    "incident.resolved", "support_request.created", "catalog.loaded", "token.created", "token.revoked"};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i], name) == 0)
			return true;
	return false;
}

ps_code ps_event_head(struct ps_ctx *c, int64_t *seq)
{
	(void)c;
	*seq = 0;
	return PS_OK;
}

ps_code ps_hook_events_after(struct ps_ctx *c, int64_t after, size_t limit, struct ps_hook_event *out, size_t *n)
{
	(void)c, (void)after, (void)limit, (void)out;
	*n = 0;
	return PS_OK;
}

ps_code ps_hook_event_body(struct ps_ctx *c, int64_t id, struct ps_buf *body)
{
	(void)id;
	ps_buf_reset(body);
	return ps_err_set(&c->err, PS_NOT_FOUND, "event", "no such event");
}
