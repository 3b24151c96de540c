/* events.c: the event outbox's emission point (app layer). A use case
 * declares the events of its change (ps_app_event: a type, a tenant, the
 * object as the API shows it, written with render.c); ps_app_tx writes them
 * in the change's own transaction, with its audit row, just before commit,
 * and forgets them when the transaction is rolled back or run again. So an
 * event exists exactly when its change committed (a transactional outbox).
 * Readers: ps_app_events_list (the API, `events tail`, webhooks). */
#include "ps_app_int.h"

#include "../common/ps_mem.h"

#include <string.h>

/* An event's data is one object; the cap only guards against a runaway. */
#define PS_EVENT_DATA_MAX (1024 * 1024)

struct ps_pending_event {
	enum ps_event_type type;
	int64_t tenant, obj;
	struct ps_buf data; /* kept from one transaction to the next */
	struct ps_jw w;
};

struct ps_events {
	struct ps_pending_event *v;
	size_t n, cap;
};

/* The `created` an `updated` of the same object merges into: an object
 * made and changed in one transaction is seen outside as made, as it is
 * at commit. */
static enum ps_event_type created_of(enum ps_event_type t)
{
	switch (t) {
	case PS_EV_SUBSCRIPTION_UPDATED:
		return PS_EV_SUBSCRIPTION_CREATED;
	case PS_EV_OPERATION_UPDATED:
		return PS_EV_OPERATION_CREATED;
	default:
		return t;
	}
}

struct ps_jw *ps_app_event(struct ps_ctx *c, enum ps_event_type type, int64_t tenant, int64_t obj)
{
	if (!c->events)
		c->events = ps_calloc(1, sizeof *c->events);
	struct ps_events *ev = c->events;
	struct ps_pending_event *e = NULL;
	enum ps_event_type made = created_of(type);
	for (size_t i = 0; obj != 0 && i < ev->n && !e; i++)
		if (ev->v[i].obj == obj && (ev->v[i].type == type || ev->v[i].type == made))
			e = &ev->v[i];
	if (!e) {
		if (ev->n == ev->cap) {
			size_t cap = ev->cap ? ev->cap * 2 : 4;
			ev->v = ps_realloc(ev->v, cap * sizeof *ev->v);
			for (size_t i = ev->cap; i < cap; i++)
				ps_buf_init(&ev->v[i].data, PS_EVENT_DATA_MAX);
			ev->cap = cap;
		}
		e = &ev->v[ev->n++];
		e->type = type;
		e->tenant = tenant;
		e->obj = obj;
	}
	ps_buf_reset(&e->data);
	ps_jw_init(&e->w, &e->data);
	return &e->w;
}

void ps_app_events_clear(struct ps_ctx *c)
{
	if (c->events)
		c->events->n = 0;
}

ps_code ps_app_events_write(struct ps_ctx *c)
{
	struct ps_events *ev = c->events;
	ps_code rc = PS_OK;
	if (!ev)
		return PS_OK;
	bool off = c->app && c->app->events_off;
	for (size_t i = 0; i < ev->n && rc == PS_OK && !off; i++) {
		struct ps_pending_event *p = &ev->v[i];
		if (p->data.toobig || p->data.len == 0)
			rc = ps_err_set(&c->err, PS_INTERNAL, NULL, "the data of a %s event is %s",
					ps_event_type_name(p->type), p->data.len ? "too big" : "missing");
		if (rc != PS_OK)
			break;
		struct ps_event e = {.type = p->type,
				     .tenant_id = p->tenant,
				     .created = c->now,
				     .data = p->data.p,
				     .data_len = p->data.len};
		rc = c->st->ops->event_append(c->st, &e, &c->err);
	}
	ev->n = 0;
	return rc;
}

void ps_app_events_fini(struct ps_ctx *c)
{
	struct ps_events *ev = c->events;
	if (!ev)
		return;
	for (size_t i = 0; i < ev->cap; i++)
		ps_buf_fini(&ev->v[i].data);
	ps_free(ev->v);
	ps_free(ev);
	c->events = NULL;
}

ps_code ps_app_events_list(struct ps_ctx *c, int64_t tenant, const char *type, int64_t after, size_t limit,
			   ps_event_cb cb, void *arg)
{
	enum ps_event_type t;
	if (type && *type && !ps_event_type_parse(type, &t))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "type", "type: no such event type: %s", type);
	return c->st->ops->event_list(c->st, tenant, type && *type ? type : NULL, after, limit, cb, arg, &c->err);
}

ps_code ps_app_events_prune(struct ps_ctx *c)
{
	int64_t keep = c->app->event_retention > 0 ? c->app->event_retention : PS_EVENT_RETENTION_DEFAULT;
	return c->st->ops->event_prune(c->st, c->now - keep, &c->err);
}

/* ---- Writes that carry their event: a subscription or an operation is
 * saved through these, so no change of one can forget its event (several
 * saves of one object in a transaction make one event, as at commit). */

ps_code ps_app_sub_insert(struct ps_ctx *c, struct ps_subscription *s)
{
	ps_code rc = c->st->ops->sub_insert(c->st, s, &c->err);
	if (rc == PS_OK)
		ps_render_sub(ps_app_event(c, PS_EV_SUBSCRIPTION_CREATED, s->tenant_id, s->id), s, c->cat);
	return rc;
}

ps_code ps_app_sub_update(struct ps_ctx *c, const struct ps_subscription *s)
{
	ps_code rc = c->st->ops->sub_update(c->st, s, &c->err);
	if (rc == PS_OK)
		ps_render_sub(ps_app_event(c, PS_EV_SUBSCRIPTION_UPDATED, s->tenant_id, s->id), s, c->cat);
	return rc;
}

ps_code ps_app_op_insert(struct ps_ctx *c, struct ps_operation *op)
{
	ps_code rc = c->st->ops->operation_insert(c->st, op, &c->err);
	if (rc == PS_OK)
		ps_render_operation(ps_app_event(c, PS_EV_OPERATION_CREATED, op->tenant_id, op->id), op);
	return rc;
}

ps_code ps_app_op_update(struct ps_ctx *c, const struct ps_operation *op)
{
	ps_code rc = c->st->ops->operation_update(c->st, op, &c->err);
	if (rc == PS_OK)
		ps_render_operation(ps_app_event(c, PS_EV_OPERATION_UPDATED, op->tenant_id, op->id), op);
	return rc;
}
