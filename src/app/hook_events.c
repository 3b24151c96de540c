/* hook_events.c: what the webhook deliveries read of the events' outbox
 * (app layer), in one place: the seam between deliver.c and events.c. */
#include "ps_webhooks.h"
#include "ps_render.h"

#include <stdio.h>
#include <string.h>

bool ps_event_type_known(const char *name)
{
	enum ps_event_type t;
	return name && ps_event_type_parse(name, &t);
}

ps_code ps_event_head(struct ps_ctx *c, int64_t *id)
{
	return c->st->ops->event_head(c->st, id, &c->err);
}

struct after {
	struct ps_hook_event *out;
	size_t n;
};

static bool after_row(void *arg, const struct ps_event *e)
{
	struct after *a = arg;
	struct ps_hook_event *h = &a->out[a->n++];
	h->id = e->id;
	h->tenant_id = e->tenant_id;
	snprintf(h->type, sizeof h->type, "%s", ps_event_type_name(e->type));
	return true;
}

ps_code ps_hook_events_after(struct ps_ctx *c, int64_t after, size_t limit, struct ps_hook_event *out, size_t *n)
{
	struct after a = {out, 0};
	ps_code rc = c->st->ops->event_list(c->st, 0, NULL, after, limit, after_row, &a, &c->err);
	*n = a.n;
	return rc;
}

/* The event as GET /v1/events shows it (render.c). */
static bool body_row(void *arg, const struct ps_event *e)
{
	struct ps_buf *b = arg;
	struct ps_jw w;
	ps_buf_reset(b);
	ps_jw_init(&w, b);
	ps_render_event(&w, e);
	return true;
}

ps_code ps_hook_event_body(struct ps_ctx *c, int64_t id, struct ps_buf *body)
{
	return c->st->ops->event_get(c->st, id, body_row, body, &c->err);
}
