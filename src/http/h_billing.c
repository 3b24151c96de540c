/* h_billing.c: billing, payments, credit checks and the manual clock (http
 * layer). */
#include "ps_http_int.h"
#include "ps_handlers.h"

#include "../app/ps_lists.h"
#include "../app/ps_render.h"
#include "../common/ps_time.h"

#include <string.h>

static void bill_sum(void *arg, const struct ps_billing_sum *sum)
{
	struct ps_req *r = arg;
	ps_jw_obj(&r->w);
	ps_render_billing_sum(&r->w, r->t, sum);
	ps_jw_key(&r->w, "invoices");
	ps_jw_arr(&r->w);
}

static bool bill_invoice(void *arg, const struct ps_invoice *inv)
{
	struct ps_req *r = arg;
	ps_render_invoice(&r->w, inv, r->c->now);
	ps_jw_key(&r->w, "lines");
	ps_jw_arr(&r->w);
	return true;
}

static bool bill_line(void *arg, const struct ps_invoice_line *l)
{
	struct ps_req *r = arg;
	ps_render_line(&r->w, l);
	return true;
}

static void bill_invoice_end(void *arg, const struct ps_invoice *inv)
{
	struct ps_req *r = arg;
	ps_jw_arr_end(&r->w);
	ps_jw_obj_end(&r->w);
}

static void bill_payments(void *arg)
{
	struct ps_req *r = arg;
	ps_jw_arr_end(&r->w);
	ps_jw_key(&r->w, "payments");
	ps_jw_arr(&r->w);
}

static bool bill_payment(void *arg, const struct ps_receipt *p)
{
	struct ps_req *r = arg;
	ps_render_receipt(&r->w, p);
	return true;
}

/* {tenant, currency, balance, past_due, oldest_due, credit, invoiced, paid,
 *  invoices: [{..., lines: [...]}], payments: [...]}; one read transaction. */
ps_code ps_h_billing(struct ps_req *r)
{
	static const struct ps_billing_walk walk0 = {NULL, bill_sum, bill_invoice, bill_line, bill_invoice_end,
						     bill_payments, bill_payment};
	struct ps_billing_walk walk = walk0;
	walk.arg = r;
	ps_code rc = ps_app_billing_read(r->c, r->t, &walk);
	if (rc != PS_OK)
		return rc;
	ps_jw_arr_end(&r->w);
	ps_jw_obj_end(&r->w);
	return PS_OK;
}

ps_code ps_h_payment(struct ps_req *r)
{
	static const char *const fields[] = {"amount", NULL};
	int64_t amount;
	struct ps_receipt p;
	struct ps_billing_sum sum;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_int(r, "amount", true, &amount, NULL)))
		return rc;
	if ((rc = ps_app_pay(r->c, r->t, amount, &p)) || (rc = ps_app_billing_sum(r->c, r->t, &sum)))
		return rc;
	r->status = 201;
	ps_jw_obj(&r->w);
	ps_jw_key(&r->w, "payment");
	ps_render_receipt(&r->w, &p);
	ps_render_billing_sum(&r->w, r->t, &sum);
	ps_jw_obj_end(&r->w);
	return PS_OK;
}

PS_LIST_ROW(credit_row, struct ps_credit_check, id, ps_render_credit_check)

ps_code ps_h_credit_checks(struct ps_req *r)
{
	struct ps_walk wk;
	int64_t after;
	ps_code rc = ps_list_open(r, PS_PFX_CREDIT, &wk, &after);
	return ps_list_close(&wk, rc ? rc : ps_app_credit_checks_list(r->c, r->t, after, wk.limit + 1, credit_row, &wk));
}

ps_code ps_h_credit_decision(struct ps_req *r)
{
	static const char *const fields[] = {"approved", NULL};
	struct ps_credit_check cc;
	bool approved = false;
	ps_code rc;
	if ((rc = ps_body_only(r, fields)))
		return rc;
	json_t *v = json_object_get(r->body, "approved");
	if (!json_is_boolean(v))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "approved", "approved is required: true or false");
	approved = json_is_true(v);
	if ((rc = ps_app_credit_decide(r->c, r->cc, approved, &cc)) != PS_OK)
		return rc;
	ps_render_credit_check(&r->w, &cc);
	return PS_OK;
}

ps_code ps_h_clock_get(struct ps_req *r)
{
	if (!r->c->app->clock_manual)
		return ps_err_set(&r->c->err, PS_NOT_FOUND, NULL, "no clock here: the daemon runs with --clock system");
	ps_render_clock(&r->w, r->c->now);
	return PS_OK;
}

ps_code ps_h_clock_set(struct ps_req *r)
{
	static const char *const fields[] = {"now", NULL};
	const char *now;
	int64_t t;
	ps_code rc;
	if (!r->c->app->clock_manual)
		return ps_err_set(&r->c->err, PS_NOT_FOUND, NULL, "no clock here: the daemon runs with --clock system");
	if ((rc = ps_body_only(r, fields)) || (rc = ps_body_str(r, "now", true, &now)) ||
	    (rc = ps_app_clock_set(r->c, now, &t)))
		return rc;
	ps_render_clock(&r->w, t);
	return PS_OK;
}
