/* clock.c: the one clock (app layer). Every read of the time goes through
 * ps_app_clock: the system's, or, under --clock manual, the time the
 * operator set, kept in the store so every daemon and command on it agrees;
 * setting it does the work that has come due (jobs.c) before it returns.
 * Holidays for business-day counts come from a file the operator gives. */
#include "ps_app.h"
#include "ps_app_int.h"
#include "ps_jobs.h"
#include "ps_webhooks.h"

#include "../common/ps_mem.h"
#include "../common/ps_time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int64_t ps_app_clock(struct ps_app *app, struct ps_store *st, bool use_stored)
{
	int64_t now;
	struct ps_err err;
	if ((use_stored || app->clock_manual) && st->ops->clock_get(st, &now, &err) == PS_OK)
		return now;
	return ps_time_system();
}

static ps_code set_tx(struct ps_ctx *c, void *arg)
{
	int64_t *t = arg;
	ps_code rc = c->st->ops->clock_set(c->st, *t, &c->err);
	if (rc != PS_OK)
		return rc;
	char when[PS_TIME_LEN], detail[64];
	ps_time_format(*t, when);
	snprintf(detail, sizeof detail, "{\"now\":\"%s\"}", when);
	return ps_app_audit(c, 0, "clock.set", "clock", detail);
}

ps_code ps_app_clock_set(struct ps_ctx *c, const char *rfc3339, int64_t *out)
{
	ps_code rc;
	int64_t t;
	if (!rfc3339 || strlen(rfc3339) < 20 || !ps_time_parse(rfc3339, &t) || t <= 0)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "now",
				  "now must be an RFC 3339 time such as 2026-11-27T09:00:00Z");
	c->now = t;
	if ((rc = ps_app_tx(c, set_tx, &t)) != PS_OK)
		return rc;
	*out = t;
	/* Every job due by the new time is done before the answer, in due
	 * order (those other daemons hold too), so what follows sees it done;
	 * then the webhook deliveries due by then, one pass as the runner makes
	 * it (leased: never twice with another daemon's; bounded in time). Only
	 * the manual clock is set, so only it delivers on a request (RULES:
	 * setting the clock runs every piece of work due before it answers). */
	if ((rc = ps_jobs_run_due(c, true, NULL)) != PS_OK)
		return rc;
	return ps_deliver_pass(c, NULL);
}

ps_code ps_app_load_holidays(struct ps_app *app, const char *path, struct ps_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return ps_err_set(err, PS_IO, "holidays", "cannot open %s: %s", path, strerror(errno));
	char line[256];
	size_t cap = 0;
	int lineno = 0;
	ps_code rc = PS_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "#\r\n")] = '\0';
		size_t n = strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			p[--n] = '\0';
		if (!n)
			continue;
		int64_t t;
		if (n != 10 || !ps_time_parse(p, &t)) {
			rc = ps_err_set(err, PS_INVALID_FIELD, "holidays", "%s:%d: not a date YYYY-MM-DD: %.40s", path,
					lineno, p);
			break;
		}
		ps_grow((void **)&app->holidays, &cap, app->n_holidays + 1, sizeof *app->holidays);
		app->holidays[app->n_holidays++] = t / PS_DAY;
	}
	fclose(f);
	return rc;
}
