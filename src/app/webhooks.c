/* webhooks.c: the operator's webhook endpoints (app layer): made with a
 * secret shown once, listed, changed, disabled, given a new secret,
 * removed; each change one transaction with its audit row. Who may do it
 * is authz.c's (the operator). The deliveries are deliver.c's. */
#include "ps_webhooks.h"
#include "ps_app_int.h"

#include "../common/ps_secret.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- checks ---- */

/* An http or https URL with a host, no spaces nor control characters. */
static ps_code url_check(struct ps_ctx *c, const char *url)
{
	size_t n = url ? strlen(url) : 0;
	size_t scheme = 0;
	if (n > 0 && strncasecmp(url, "http://", 7) == 0)
		scheme = 7;
	else if (n > 0 && strncasecmp(url, "https://", 8) == 0)
		scheme = 8;
	if (!scheme || n > PS_WEBHOOK_URL_MAX)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "url",
				  "url must be an http or https URL of at most %d characters", PS_WEBHOOK_URL_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "url",
					  "url must not hold spaces or control characters");
	if (url[scheme] == '\0' || url[scheme] == '/' || url[scheme] == '?' || url[scheme] == '#')
		return ps_err_set(&c->err, PS_INVALID_FIELD, "url", "url must name a host");
	return PS_OK;
}

/* Each comma-separated type one of the events' types, no repeats. */
static ps_code types_check(struct ps_ctx *c, const char *types)
{
	if (strlen(types) >= sizeof((struct ps_webhook *)0)->types)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "types", "types lists too many types");
	for (const char *p = types; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char t[64];
		if (n == 0 || n >= sizeof t)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "types", "types must be a list of event types");
		memcpy(t, p, n);
		t[n] = '\0';
		if (!ps_event_type_known(t))
			return ps_err_set(&c->err, PS_INVALID_FIELD, "types", "%s is not an event type", t);
		for (const char *q = types; q < p;) { /* a repeat */
			const char *qe = strchr(q, ',');
			if ((size_t)(qe - q) == n && memcmp(q, p, n) == 0)
				return ps_err_set(&c->err, PS_INVALID_FIELD, "types", "%s is listed twice", t);
			q = qe + 1;
		}
		p = end ? end + 1 : p + n;
	}
	return PS_OK;
}

/* A new secret: "whsec_" and 43 base64url characters of 32 random bytes. */
static ps_code secret_new(struct ps_ctx *c, char out[PS_WEBHOOK_SECRET_LEN])
{
	char tok[PS_TOKEN_LEN];
	if (!ps_token_new(tok))
		return ps_err_set(&c->err, PS_INTERNAL, NULL, "the system has no randomness for a secret");
	snprintf(out, PS_WEBHOOK_SECRET_LEN, "whsec_%s", tok + 3); /* past "ps_" */
	return PS_OK;
}

/* ---- audit ---- */

static ps_code audit(struct ps_ctx *c, const char *action, const struct ps_webhook *w)
{
	char ref[32];
	struct ps_buf b;
	struct ps_jw jw;
	ps_buf_init(&b, 512);
	ps_jw_init(&jw, &b);
	ps_jw_obj(&jw);
	ps_jw_kstr(&jw, "url", w->url);
	ps_jw_kstr(&jw, "types", w->types);
	ps_jw_kbool(&jw, "enabled", w->enabled);
	ps_jw_obj_end(&jw);
	/* The audit's detail holds a few hundred bytes: a long URL is cut. */
	char detail[PS_TEXT_MAX + 1];
	snprintf(detail, sizeof detail, "%s", ps_buf_str(&b));
	if (strlen(ps_buf_str(&b)) > PS_TEXT_MAX)
		snprintf(detail, sizeof detail, "{\"enabled\":%s}", w->enabled ? "true" : "false");
	ps_buf_fini(&b);
	return ps_app_audit(c, w->tenant_id, action, ps_app_ref(ref, sizeof ref, PS_PFX_WEBHOOK, w->id), detail);
}

/* ---- use cases ---- */

static ps_code create_tx(struct ps_ctx *c, void *arg)
{
	struct ps_webhook *w = arg;
	ps_code rc;
	if (w->tenant_id) {
		struct ps_tenant t;
		if ((rc = c->st->ops->tenant_get(c->st, w->tenant_id, &t, &c->err)) == PS_NOT_FOUND)
			return ps_err_set(&c->err, PS_INVALID_FIELD, "tenant", "no such tenant");
		if (rc != PS_OK)
			return rc;
	}
	/* From the events committed from now on. */
	if ((rc = ps_event_head(c, &w->cursor)) != PS_OK)
		return rc;
	if ((rc = c->st->ops->webhook_insert(c->st, w, &c->err)) != PS_OK)
		return rc;
	return audit(c, "webhook.create", w);
}

ps_code ps_app_webhook_create(struct ps_ctx *c, const struct ps_webhook_in *in, struct ps_webhook *out)
{
	ps_code rc;
	memset(out, 0, sizeof *out);
	if ((rc = url_check(c, in->url)) != PS_OK)
		return rc;
	const char *types = in->types_set && in->types ? in->types : "";
	if ((rc = types_check(c, types)) != PS_OK)
		return rc;
	snprintf(out->url, sizeof out->url, "%s", in->url);
	snprintf(out->types, sizeof out->types, "%s", types);
	out->tenant_id = in->tenant;
	out->enabled = true;
	out->created_at = c->now;
	if ((rc = secret_new(c, out->secret)) != PS_OK)
		return rc;
	return ps_app_tx(c, create_tx, out);
}

ps_code ps_app_webhook_get(struct ps_ctx *c, int64_t id, struct ps_webhook *out)
{
	ps_code rc = c->st->ops->webhook_get(c->st, id, out, &c->err);
	if (rc == PS_NOT_FOUND)
		return ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such webhook");
	return rc;
}

ps_code ps_app_webhooks_list(struct ps_ctx *c, int64_t after, size_t limit, ps_webhook_cb cb, void *arg)
{
	return c->st->ops->webhook_list(c->st, after, limit, cb, arg, &c->err);
}

struct change {
	int64_t id;
	const struct ps_webhook_in *in; /* NULL: a new secret */
	struct ps_webhook *w;
};

static ps_code update_tx(struct ps_ctx *c, void *arg)
{
	struct change *a = arg;
	ps_code rc = ps_app_webhook_get(c, a->id, a->w);
	if (rc != PS_OK)
		return rc;
	const char *action = "webhook.update";
	if (!a->in) {
		action = "webhook.rotate_secret";
		if ((rc = secret_new(c, a->w->secret)) != PS_OK)
			return rc;
	} else {
		if (a->in->url)
			snprintf(a->w->url, sizeof a->w->url, "%s", a->in->url);
		if (a->in->types_set)
			snprintf(a->w->types, sizeof a->w->types, "%s", a->in->types ? a->in->types : "");
		if (a->in->enabled_set)
			a->w->enabled = a->in->enabled;
	}
	if ((rc = c->st->ops->webhook_update(c->st, a->w, &c->err)) != PS_OK)
		return rc;
	return audit(c, action, a->w);
}

ps_code ps_app_webhook_update(struct ps_ctx *c, int64_t id, const struct ps_webhook_in *in, struct ps_webhook *out)
{
	ps_code rc;
	if (in->url && (rc = url_check(c, in->url)) != PS_OK)
		return rc;
	if (in->types_set && (rc = types_check(c, in->types ? in->types : "")) != PS_OK)
		return rc;
	struct change a = {id, in, out};
	return ps_app_tx(c, update_tx, &a);
}

ps_code ps_app_webhook_rotate(struct ps_ctx *c, int64_t id, struct ps_webhook *out)
{
	struct change a = {id, NULL, out};
	return ps_app_tx(c, update_tx, &a);
}

static ps_code delete_tx(struct ps_ctx *c, void *arg)
{
	struct ps_webhook w;
	ps_code rc = ps_app_webhook_get(c, *(int64_t *)arg, &w);
	if (rc == PS_OK)
		rc = c->st->ops->webhook_delete(c->st, w.id, &c->err);
	return rc == PS_OK ? audit(c, "webhook.delete", &w) : rc;
}

ps_code ps_app_webhook_delete(struct ps_ctx *c, int64_t id)
{
	return ps_app_tx(c, delete_tx, &id);
}

ps_code ps_app_deliveries_list(struct ps_ctx *c, int64_t webhook, int64_t before, size_t limit, ps_delivery_cb cb,
			       void *arg)
{
	struct ps_webhook w;
	ps_code rc = ps_app_webhook_get(c, webhook, &w);
	if (rc != PS_OK)
		return rc;
	return c->st->ops->delivery_list(c->st, webhook, before, limit, cb, arg, &c->err);
}

/* ---- views ---- */

void ps_render_webhook(struct ps_jw *w, const struct ps_webhook *wh, bool with_secret)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_WEBHOOK, wh->id);
	ps_jw_kstr(w, "url", wh->url);
	ps_jw_key(w, "types");
	ps_jw_arr(w);
	for (const char *p = wh->types; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		ps_jw_strn(w, p, n);
		p = end ? end + 1 : p + n;
	}
	ps_jw_arr_end(w);
	ps_jw_kid(w, "tenant", PS_PFX_TENANT, wh->tenant_id);
	ps_jw_kbool(w, "enabled", wh->enabled);
	ps_jw_ktime(w, "created", wh->created_at);
	if (with_secret)
		ps_jw_kstr(w, "secret", wh->secret);
	ps_jw_obj_end(w);
}

void ps_render_delivery(struct ps_jw *w, const struct ps_delivery *d)
{
	ps_jw_obj(w);
	ps_jw_kid(w, "id", PS_PFX_DELIVERY, d->id);
	ps_jw_kid(w, "event", PS_PFX_EVENT, d->event_id);
	ps_jw_kid(w, "webhook", PS_PFX_WEBHOOK, d->webhook_id);
	ps_jw_kint(w, "attempt", d->attempt);
	ps_jw_ktime(w, "time", d->time);
	ps_jw_key(w, "status_code");
	if (d->status_code)
		ps_jw_int(w, d->status_code);
	else
		ps_jw_null(w);
	ps_jw_key(w, "error");
	if (d->error[0])
		ps_jw_str(w, d->error);
	else
		ps_jw_null(w);
	ps_jw_ktime(w, "next_attempt_at", d->next_attempt_at);
	ps_jw_kstr(w, "state", d->state);
	ps_jw_obj_end(w);
}
