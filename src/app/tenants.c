/* tenants.c: tenants and their users (app layer); tokens are in tokens.c. */
#include "ps_app.h"
#include "ps_app_int.h"

#include "../common/ps_i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool currency_ok(const char *s)
{
	return s && strlen(s) == 3 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) &&
	       isupper((unsigned char)s[2]);
}

struct tenant_arg {
	struct ps_tenant *t;
};

static ps_code tenant_tx(struct ps_ctx *c, void *arg)
{
	struct tenant_arg *a = arg;
	ps_code rc = c->st->ops->tenant_insert(c->st, a->t, &c->err);
	if (rc != PS_OK)
		return rc;
	ps_render_tenant(ps_app_event(c, PS_EV_TENANT_CREATED, a->t->id, a->t->id), a->t);
	char ref[32], detail[512];
	snprintf(detail, sizeof detail, "{\"segment\":\"%s\",\"payment\":\"%s\",\"currency\":\"%s\"}",
		 ps_segment_name(a->t->segment), ps_payment_name(a->t->payment), a->t->currency);
	return ps_app_audit(c, a->t->id, "tenant.create", ps_app_ref(ref, sizeof ref, PS_PFX_TENANT, a->t->id), detail);
}

ps_code ps_app_tenant_create(struct ps_ctx *c, const struct ps_tenant_in *in, struct ps_tenant *out)
{
	ps_code rc;
	memset(out, 0, sizeof *out);
	if ((rc = ps_app_text(c, "name", in->name, PS_NAME_MAX)) != PS_OK)
		return rc;
	snprintf(out->name, sizeof out->name, "%s", in->name);
	if (!in->segment)
		out->segment = PS_SEG_COMMERCIAL;
	else if (!ps_segment_parse(in->segment, &out->segment))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "segment",
				  "segment must be commercial, education, government or nonprofit");
	if (!in->payment || !ps_payment_parse(in->payment, &out->payment))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "payment", "payment must be invoice or card");
	if (!currency_ok(in->currency) || !ps_currency_is_iso(in->currency))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "currency",
				  "currency must be an ISO 4217 code such as EUR");
	snprintf(out->currency, sizeof out->currency, "%s", in->currency);
	if (in->has_credit_limit && (in->credit_limit < 0 || in->credit_limit > (int64_t)1 << 50))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "credit_limit",
				  "credit_limit must be a non-negative integer amount of minor units");
	out->credit_limit = in->has_credit_limit ? in->credit_limit : 0;
	out->created_at = c->now;
	struct tenant_arg a = {out};
	return ps_app_tx(c, tenant_tx, &a);
}

struct user_arg {
	struct ps_user *u;
};

static ps_code user_tx(struct ps_ctx *c, void *arg)
{
	struct user_arg *a = arg;
	struct ps_tenant t;
	ps_code rc = ps_app_tenant(c, a->u->tenant_id, &t);
	if (rc != PS_OK)
		return rc;
	rc = c->st->ops->user_insert(c->st, a->u, &c->err);
	if (rc == PS_CONFLICT)
		return ps_err_set(&c->err, PS_CONFLICT, "upn", "a user with upn %s already exists", a->u->upn);
	if (rc != PS_OK)
		return rc;
	ps_render_user(ps_app_event(c, PS_EV_USER_CREATED, a->u->tenant_id, a->u->id), a->u);
	char ref[32];
	return ps_app_audit(c, a->u->tenant_id, "user.create", ps_app_ref(ref, sizeof ref, PS_PFX_USER, a->u->id),
			    NULL);
}

/* A user's fields, checked: c->err names the field at fault. */
static ps_code user_check(struct ps_ctx *c, const char *upn, const char *display_name)
{
	ps_code rc;
	if ((rc = ps_app_text(c, "upn", upn, PS_UPN_MAX)) != PS_OK)
		return rc;
	const char *at = strchr(upn, '@');
	if (!at || at == upn || !at[1] || strchr(at + 1, '@') || strchr(upn, ' '))
		return ps_err_set(&c->err, PS_INVALID_FIELD, "upn",
				  "upn must be a sign-in name like ada@contoso.example");
	return ps_app_text(c, "display_name", display_name, PS_NAME_MAX);
}

ps_code ps_app_user_create(struct ps_ctx *c, int64_t tenant, const char *upn, const char *display_name,
			   struct ps_user *out)
{
	ps_code rc;
	if ((rc = user_check(c, upn, display_name)) != PS_OK)
		return rc;
	memset(out, 0, sizeof *out);
	out->tenant_id = tenant;
	snprintf(out->upn, sizeof out->upn, "%s", upn);
	snprintf(out->display_name, sizeof out->display_name, "%s", display_name);
	out->created_at = c->now;
	struct user_arg a = {out};
	return ps_app_tx(c, user_tx, &a);
}

struct users_arg {
	int64_t tenant;
	const struct ps_user_in *in;
	size_t n;
	struct ps_faults faults;
	bool conflict;
	int64_t created;
};

static ps_code users_tx(struct ps_ctx *c, void *arg)
{
	struct users_arg *a = arg;
	struct ps_tenant t;
	ps_faults_fini(&a->faults); /* a retried transaction starts again */
	a->conflict = false;
	a->created = 0;
	ps_code rc = ps_app_tenant(c, a->tenant, &t);
	if (rc != PS_OK)
		return rc;
	for (size_t i = 0; i < a->n; i++) {
		struct ps_user u;
		memset(&u, 0, sizeof u);
		u.tenant_id = a->tenant;
		snprintf(u.upn, sizeof u.upn, "%s", a->in[i].upn);
		snprintf(u.display_name, sizeof u.display_name, "%s", a->in[i].display_name);
		u.created_at = c->now;
		rc = c->st->ops->user_insert(c->st, &u, &c->err);
		if (rc == PS_CONFLICT) {
			ps_err_clear(&c->err);
			a->conflict = true;
			ps_faults_add(&a->faults, "user \"%zu\": a user with upn %s already exists (field \"upn\")", i,
				      u.upn);
			continue;
		}
		if (rc != PS_OK)
			return rc;
		a->created++;
		ps_render_user(ps_app_event(c, PS_EV_USER_CREATED, a->tenant, u.id), &u);
	}
	if (a->faults.n)
		return ps_err_set(&c->err, PS_CONFLICT, "users", "%zu of the users cannot be created; none was: %s",
				  a->faults.n, a->faults.msgs[0]);
	char detail[64];
	snprintf(detail, sizeof detail, "{\"created\":%lld}", (long long)a->created);
	return ps_app_audit(c, a->tenant, "user.bulk_create", NULL, detail);
}

ps_code ps_app_users_create(struct ps_ctx *c, int64_t tenant, const struct ps_user_in *in, size_t n, int64_t *created)
{
	struct users_arg a = {tenant, in, n, {0}, false, 0};
	/* Every bad user first, each named by its index and field. */
	for (size_t i = 0; i < n; i++) {
		if (user_check(c, in[i].upn, in[i].display_name) != PS_OK) {
			ps_faults_add(&a.faults, "user \"%zu\": %s (field \"%s\")", i, c->err.msg, c->err.field);
			ps_err_clear(&c->err);
		}
		for (size_t j = 0; j < i && in[i].upn && in[j].upn; j++)
			if (strcasecmp(in[i].upn, in[j].upn) == 0) {
				ps_faults_add(&a.faults, "user \"%zu\": upn %s is also user %zu's (field \"upn\")", i,
					      in[i].upn, j);
				break;
			}
	}
	ps_code rc = a.faults.n ? ps_err_set(&c->err, PS_INVALID_FIELD, "users",
					     "%zu of the users cannot be created; none was: %s", a.faults.n,
					     a.faults.msgs[0])
				: ps_app_tx(c, users_tx, &a);
	if (rc != PS_OK && a.faults.n) {
		c->faults = a.faults.msgs;
		c->n_faults = a.faults.n;
		return rc;
	}
	ps_faults_fini(&a.faults);
	*created = a.created;
	return rc;
}
