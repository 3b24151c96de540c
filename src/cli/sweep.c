/* sweep.c: `planshift sweep` (cli layer): the Upgrade tab of every
 * subscription of every tenant, as CSV or JSON, with how many subscriptions
 * each reason blocks. Reads only (one short read transaction per tenant),
 * so it runs beside a serving daemon; shows progress on a terminal. */
#include "cli.h"

#include "../app/ps_app.h"
#include "../app/ps_upgrade_view.h"
#include "../app/ps_view.h"
#include "../common/ps_mem.h"
#include "../common/ps_time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char sweep_usage[] =
	"usage: planshift sweep --db URL [--format csv|json] [--upgrade-capacity N]\n"
	"\n"
	"Evaluate the Upgrade tab of every subscription of every tenant.\n"
	"  --db URL               the store (PATH or sqlite:PATH)\n"
	"  --format csv|json      csv (default): one row per subscription on stdout and\n"
	"                         the summary on stderr; json: {items, summary} on stdout\n"
	"  --upgrade-capacity N   count service_busy as the daemon with this capacity\n"
	"                         would (default 0: not considered)\n"
	"\n"
	"Uses the store's manual clock when one was set (serve --clock manual).\n";

struct sweep {
	bool json;
	bool tty;
	int64_t seen;
	bool first_item;
	struct ps_buf line;
};

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void emit(struct sweep *sw, const struct ps_snapshot *snap, const struct ps_verdict *v)
{
	const struct ps_subscription *s = &v->sub->s;
	(void)snap;
	if (sw->json) {
		struct ps_jw w;
		ps_buf_reset(&sw->line);
		ps_jw_init(&w, &sw->line);
		ps_render_sweep_row(&w, v);
		printf("%s\n    %s", sw->first_item ? "" : ",", ps_buf_str(&sw->line));
		sw->first_item = false;
		return;
	}
	printf("%s%lld,%s%lld,", PS_PFX_TENANT, (long long)s->tenant_id, PS_PFX_SUB, (long long)s->id);
	csv_field(stdout, s->plan_id);
	printf(",%s,%s,", ps_sub_status_name(s->status), v->eligible ? "true" : "false");
	for (size_t i = 0; i < v->n_reasons; i++)
		printf("%s%s", i ? ";" : "", ps_reason_code_name(v->reasons[i].code));
	putchar(',');
	bool any = false;
	for (size_t i = 0; i < v->n_offers; i++)
		if (v->offers[i].eligible) {
			printf("%s%s", any ? ";" : "", v->offers[i].plan->id);
			any = true;
		}
	putchar('\n');
}

static bool on_verdict(void *arg, const struct ps_snapshot *snap, const struct ps_verdict *v)
{
	struct sweep *sw = arg;
	emit(sw, snap, v);
	if (sw->tty && ++sw->seen % 5000 == 0)
		fprintf(stderr, "\rswept %lld subscriptions", (long long)sw->seen);
	return true;
}

static void summary(struct sweep *sw, const struct ps_fleet_sum *f, int64_t now)
{
	char when[PS_TIME_LEN];
	ps_time_format(now, when);
	if (sw->json) {
		printf("\n  ],\n  \"summary\": {\"at\": \"%s\", \"tenants\": %lld, \"subscriptions\": %lld, "
		       "\"eligible\": %lld, \"blocked\": %lld, \"scheduled\": %lld, \"blocked_by\": {",
		       when, (long long)f->tenants, (long long)f->subscriptions, (long long)f->eligible,
		       (long long)ps_fleet_blocked(f), (long long)f->scheduled);
		for (int r = 0; r < PS_R__COUNT; r++)
			printf("%s\"%s\": %lld", r ? ", " : "", ps_reason_code_name((enum ps_reason_code)r),
			       (long long)f->blocked_by[r]);
		printf("}}\n}\n");
		return;
	}
	fprintf(stderr, "%ssweep at %s: %lld tenants, %lld subscriptions, %lld eligible, %lld blocked, %lld scheduled\n",
		sw->tty ? "\r" : "", when, (long long)f->tenants, (long long)f->subscriptions, (long long)f->eligible,
		(long long)ps_fleet_blocked(f), (long long)f->scheduled);
	fprintf(stderr, "%-30s %12s\n", "blocked by", "subscriptions");
	for (int r = 0; r < PS_R__COUNT; r++)
		fprintf(stderr, "%-30s %12lld\n", ps_reason_code_name((enum ps_reason_code)r), (long long)f->blocked_by[r]);
}

int ps_cmd_sweep(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
					     {"format", required_argument, NULL, 'f'},
					     {"upgrade-capacity", required_argument, NULL, 'u'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *db = NULL;
	bool json = false;
	struct ps_app app = {0};
	int o;
	char *end;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "csv") != 0) {
				fprintf(stderr, "planshift sweep: --format must be csv or json\n");
				return PS_EXIT_USAGE;
			}
			break;
		case 'u':
			app.upgrade_capacity = strtoll(optarg, &end, 10);
			if (!*optarg || *end || app.upgrade_capacity < 0) {
				fprintf(stderr, "planshift sweep: --upgrade-capacity must be a whole number >= 0\n");
				return PS_EXIT_USAGE;
			}
			break;
		case 'h': fputs(sweep_usage, stdout); return PS_EXIT_OK;
		default: fputs(sweep_usage, stderr); return PS_EXIT_USAGE;
		}
	}
	if (!db || optind != argc) {
		fputs(sweep_usage, stderr);
		return PS_EXIT_USAGE;
	}
	app.db_url = db;
	struct ps_err err = {0};
	struct ps_store *st = NULL;
	if (ps_cli_store(db, false, &st, &err) != PS_OK)
		return ps_cli_fail("sweep", &err);
	if (ps_app_load_catalog(&app, st, &err) != PS_OK) {
		ps_store_close(st);
		return ps_cli_fail("sweep", &err);
	}
	struct ps_ctx c;
	ps_ctx_init(&c, &app, st);
	c.now = ps_app_clock(&app, st, true);
	struct sweep sw = {.json = json, .tty = isatty(2), .first_item = true};
	struct ps_fleet_sum sum;
	ps_buf_init(&sw.line, (size_t)1 << 20);
	if (json)
		printf("{\n  \"items\": [");
	else
		printf("tenant,subscription,plan,status,eligible,reasons,offers\n");
	int ret = PS_EXIT_OK;
	if (ps_app_sweep(&c, on_verdict, &sw, &sum) != PS_OK)
		ret = ps_cli_fail("sweep", &c.err);
	else
		summary(&sw, &sum, c.now);
	fflush(stdout);
	ps_buf_fini(&sw.line);
	ps_ctx_fini(&c);
	ps_app_fini(&app);
	ps_store_close(st);
	return ret;
}
