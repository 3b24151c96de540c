/* h_webhooks.c: the operator's webhook endpoints and their deliveries
 * (http layer): parse, call the one app function (webhooks.c), render. */
#include "ps_handlers.h"
#include "ps_http_int.h"

#include "../app/ps_webhooks.h"
#include "../common/ps_mem.h"

#include <string.h>

/* `types`: absent (keep), null or [] (every type), or a list of strings,
 * into a comma-separated text (the app checks each name). */
static ps_code types_of(struct ps_req *r, struct ps_webhook_in *in, char *buf, size_t cap)
{
	json_t *v = r->body ? json_object_get(r->body, "types") : NULL;
	if (!v)
		return PS_OK;
	in->types_set = true;
	in->types = buf;
	buf[0] = '\0';
	if (json_is_null(v))
		return PS_OK;
	if (!json_is_array(v))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "types", "types must be a list of event types");
	size_t at = 0, i;
	json_t *t;
	json_array_foreach(v, i, t)
	{
		const char *s = json_is_string(t) ? json_string_value(t) : NULL;
		size_t n = s ? strlen(s) : 0;
		if (!s || n == 0 || strchr(s, ','))
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "types", "types[%zu] must be an event type", i);
		if (at + n + 2 > cap)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "types", "types lists too many types");
		if (at)
			buf[at++] = ',';
		memcpy(buf + at, s, n + 1);
		at += n;
	}
	return PS_OK;
}

ps_code ps_h_webhook_create(struct ps_req *r)
{
	static const char *const fields[] = {"url", "types", "tenant", NULL};
	struct ps_webhook_in in = {0};
	char types[1024];
	struct ps_webhook w;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "url", true, &in.url)) ||
	    (rc = types_of(r, &in, types, sizeof types)) || (rc = ps_body_id(r, "tenant", PS_PFX_TENANT, &in.tenant)))
		return rc;
	if ((rc = ps_app_webhook_create(r->c, &in, &w)) != PS_OK)
		return rc;
	r->status = 201;
	ps_render_webhook(&r->w, &w, true);
	return PS_OK;
}

PS_LIST_ROW(webhook_row, struct ps_webhook, id, ps_render_webhook_row)

ps_code ps_h_webhooks_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_WEBHOOK, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_webhooks_list(r->c, after, wk.limit + 1, webhook_row, &wk));
}

ps_code ps_h_webhook_get(struct ps_req *r)
{
	struct ps_webhook w;
	ps_code rc = ps_app_webhook_get(r->c, r->wh, &w);
	if (rc == PS_OK)
		ps_render_webhook(&r->w, &w, false);
	return rc;
}

ps_code ps_h_webhook_patch(struct ps_req *r)
{
	static const char *const fields[] = {"url", "types", "enabled", NULL};
	struct ps_webhook_in in = {0};
	char types[1024];
	struct ps_webhook w;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "url", false, &in.url)) ||
	    (rc = types_of(r, &in, types, sizeof types)))
		return rc;
	json_t *e = json_object_get(r->body, "enabled");
	if (e && !json_is_null(e)) {
		in.enabled_set = true;
		if ((rc = ps_body_bool(r, "enabled", &in.enabled)))
			return rc;
	}
	if ((rc = ps_app_webhook_update(r->c, r->wh, &in, &w)) != PS_OK)
		return rc;
	ps_render_webhook(&r->w, &w, false);
	return PS_OK;
}

ps_code ps_h_webhook_delete(struct ps_req *r)
{
	ps_code rc = ps_app_webhook_delete(r->c, r->wh);
	if (rc == PS_OK)
		r->status = 204;
	return rc;
}

ps_code ps_h_webhook_secret(struct ps_req *r)
{
	struct ps_webhook w;
	ps_code rc = ps_app_webhook_rotate(r->c, r->wh, &w);
	if (rc == PS_OK)
		ps_render_webhook(&r->w, &w, true);
	return rc;
}

PS_LIST_ROW(delivery_row, struct ps_delivery, id, ps_render_delivery)

/* Newest first: ?after=dlv_N gives the attempts older than N. */
ps_code ps_h_deliveries_list(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t before;
	ps_code rc = ps_list_open(r, PS_PFX_DELIVERY, &wk, &before);
	return ps_list_close(&wk, rc ? rc
				      : ps_app_deliveries_list(r->c, r->wh, before, wk.limit + 1, delivery_row, &wk));
}
