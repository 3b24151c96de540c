/* events.c: `planshift events tail` and `planshift events types` (cli
 * layer). tail polls the store for the events committed after the last
 * one printed (in commit order, as GET /v1/events pages them) and prints
 * each as one JSON line, the shape the API shows. */
#include "cli.h"

#include "../app/ps_app.h"
#include "../app/ps_render.h"
#include "../common/ps_buf.h"
#include "../common/ps_json.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char events_usage[] =
	"usage: planshift events tail --db URL [--tenant ID] [--type TYPE] [--after ID]\n"
	"       planshift events types\n"
	"\n"
	"tail: print the store's events as they commit, one JSON line each\n"
	"({id, type, tenant, created, data}, as GET /v1/events shows them), in\n"
	"commit order, until stopped. It polls the store a few times a second.\n"
	"  --db URL       the store (PATH, sqlite:PATH or postgresql://...)\n"
	"  --tenant ID    only this tenant's events (ten_12)\n"
	"  --type TYPE    only events of this type (see `planshift events types`)\n"
	"  --after ID     start after this event (evt_40); default: the events\n"
	"                 committed from now on\n"
	"types: list the event types, one a line.\n";

/* How often tail asks the store. */
#define PS_TAIL_POLL_MS 200

struct tail {
	struct ps_buf line;
	int64_t last;
	bool print;
	bool broken; /* stdout is gone */
};

static bool tail_row(void *arg, const struct ps_event *e)
{
	struct tail *t = arg;
	t->last = e->id;
	if (!t->print)
		return true;
	struct ps_jw w;
	ps_buf_reset(&t->line);
	ps_jw_init(&w, &t->line);
	ps_render_event(&w, e);
	ps_buf_putc(&t->line, '\n');
	if (fwrite(t->line.p, 1, t->line.len, stdout) != t->line.len || fflush(stdout) != 0)
		t->broken = true;
	return !t->broken;
}

static int tail(const char *db, int64_t tenant, const char *type, int64_t after, bool from_now)
{
	struct ps_err err = {0};
	struct ps_store *st = NULL;
	if (ps_cli_store(db, false, &st, &err) != PS_OK)
		return ps_cli_fail("events tail", &err);
	struct ps_app app = {.db_url = db};
	struct ps_ctx c;
	ps_ctx_init(&c, &app, st);
	struct tail t = {.last = after, .print = !from_now};
	ps_buf_init(&t.line, 64u << 20);
	int ret = PS_EXIT_OK;
	for (;;) {
		ps_err_clear(&c.err);
		ps_code rc = ps_app_events_list(&c, tenant, type, t.last, 0, tail_row, &t);
		if (rc != PS_OK) {
			ret = ps_cli_fail("events tail", &c.err);
			break;
		}
		if (t.broken)
			break;
		t.print = true; /* from now on: the first pass only found where "now" is */
		struct timespec ts = {0, PS_TAIL_POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	ps_buf_fini(&t.line);
	ps_ctx_fini(&c);
	ps_store_close(st);
	return ret;
}

int ps_cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
					     {"tenant", required_argument, NULL, 't'},
					     {"type", required_argument, NULL, 'y'},
					     {"after", required_argument, NULL, 'a'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *sub = argc >= 2 ? argv[1] : "";
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(events_usage, stdout);
		return PS_EXIT_OK;
	}
	if (strcmp(sub, "types") == 0 && argc == 2) {
		for (int i = 0; i < PS_EV__COUNT; i++)
			printf("%s\n", ps_event_type_name((enum ps_event_type)i));
		return PS_EXIT_OK;
	}
	if (strcmp(sub, "tail") != 0) {
		fputs(events_usage, stderr);
		return PS_EXIT_USAGE;
	}
	const char *db = NULL, *tenant_s = NULL, *type = NULL, *after_s = NULL;
	int o;
	optind = 2;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 't': tenant_s = optarg; break;
		case 'y': type = optarg; break;
		case 'a': after_s = optarg; break;
		case 'h': fputs(events_usage, stdout); return PS_EXIT_OK;
		default: fputs(events_usage, stderr); return PS_EXIT_USAGE;
		}
	}
	if (!db || optind != argc) {
		fputs(events_usage, stderr);
		return PS_EXIT_USAGE;
	}
	int64_t tenant = 0, after = 0;
	enum ps_event_type t;
	if (tenant_s && !ps_id_parse(tenant_s, PS_PFX_TENANT, &tenant)) {
		fprintf(stderr, "planshift events tail: --tenant must be a tenant id like ten_12\n");
		return PS_EXIT_USAGE;
	}
	if (type && !ps_event_type_parse(type, &t)) {
		fprintf(stderr, "planshift events tail: --type: no such event type: %s (see planshift events types)\n", type);
		return PS_EXIT_USAGE;
	}
	if (after_s && !ps_id_parse(after_s, PS_PFX_EVENT, &after)) {
		fprintf(stderr, "planshift events tail: --after must be an event id like evt_40\n");
		return PS_EXIT_USAGE;
	}
	return tail(db, tenant, type, after, after_s == NULL);
}
