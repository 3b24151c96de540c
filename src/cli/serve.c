/* serve.c: `planshift serve` (cli layer): load the catalog, find the admin
 * center's files, start the HTTP server, reopen the access log on SIGHUP,
 * and on SIGINT or SIGTERM stop cleanly. */
#include "cli.h"

#include "../app/ps_app.h"
#include "../app/ps_jobs.h"
#include "../app/ps_webhooks.h"
#include "../common/ps_i18n.h"
#include "../common/ps_log.h"
#include "../common/ps_mem.h"
#include "../common/ps_time.h"
#include "../http/ps_http.h"

#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The default configuration file, read when present and --config is not
 * given. */
#define PS_CONFIG_DEFAULT "/etc/planshift/planshift.conf"

static const char serve_usage[] =
	"usage: planshift serve --db URL [--db-read URL] [--listen ADDR:PORT] [--clock system|manual]\n"
	"                       [--provisioning auto|manual] [--provisioning-sla DURATION]\n"
	"                       [--upgrade-capacity N]\n"
	"                       [--threads N] [--holidays FILE] [--web-dir DIR]\n"
	"                       [--metrics-listen ADDR:PORT] [--access-log FILE|-]\n"
	"                       [--session-idle DURATION] [--session-max DURATION]\n"
	"                       [--jobs-interval DURATION] [--event-retention DURATION]\n"
	"                       [--webhook-connections N]\n"
	"                       [--max-connections N] [--max-connections-per-address N]\n"
	"                       [--request-timeout S] [--idle-timeout S] [--config FILE]\n"
	"\n"
	"Serve the HTTP API under /v1 and the admin center at /.\n"
	"  --db URL               the store (PATH or sqlite:PATH), made by `planshift init`\n"
	"  --db-read URL          a hot standby of a PostgreSQL store: reads of a tenant\n"
	"                         (the Upgrade tab, lists, the fleet sweep) go to it once\n"
	"                         it has replayed this daemon's last change of that tenant\n"
	"  --listen ADDR:PORT     where to listen (default 127.0.0.1:8080; port 0 picks a\n"
	"                         free one; [::1]:8080 for IPv6)\n"
	"  --clock system|manual  manual lets the operator set the time (POST /v1/clock)\n"
	"  --provisioning auto|manual\n"
	"                         manual: new subscriptions stay `provisioning` until the\n"
	"                         operator marks them active (default auto)\n"
	"  --provisioning-sla DURATION\n"
	"                         how long a provisioning is expected to take (90s, 30m,\n"
	"                         4h, 2d; default 4h): the time a not-ready subscription\n"
	"                         or a running upgrade says it waits until\n"
	"  --upgrade-capacity N   automatic upgrades per rolling hour, system-wide\n"
	"                         (default 1000; 0 means no limit)\n"
	"  --threads N            worker threads (default: one per core)\n"
	"  --holidays FILE        dates (YYYY-MM-DD, one a line) that business-day counts\n"
	"                         skip, for credit checks' expected times\n"
	"  --web-dir DIR          serve the admin center from DIR (default: $PLANSHIFT_WEB_DIR,\n"
	"                         else PREFIX/share/planshift/web of the installed binary,\n"
	"                         else web/ of the source tree when run from a build dir)\n"
	"  --metrics-listen ADDR:PORT\n"
	"                         also serve GET /metrics there, without a token (for a\n"
	"                         private address: a Prometheus on the same host or VPN);\n"
	"                         GET /metrics on --listen needs an operator token\n"
	"  --access-log FILE|-    append one JSON line per request to FILE (- : stdout):\n"
	"                         time, request_id, method, route (its template), status,\n"
	"                         duration_ms, tenant, token (its id), bytes; SIGHUP\n"
	"                         reopens FILE (after a rotation renamed it)\n"
	"  --session-idle DURATION\n"
	"                         an admin center session unused this long ends\n"
	"                         (default 30m; 90s, 30m, 4h, 90d)\n"
	"  --session-max DURATION\n"
	"                         a session ends this long after sign-in, used or not\n"
	"                         (default 12h)\n"
	"  --jobs-interval DURATION\n"
	"                         how often the job runner wakes to do the work that has\n"
	"                         come due by the store's clock: renewals, scheduled\n"
	"                         changes (default 1s; 250ms, 10s, 1m; 0 turns the\n"
	"                         runner off: then only setting the manual clock runs it)\n"
	"  --webhook-connections N\n"
	"                         webhook deliveries made at once by this daemon's runner,\n"
	"                         each on a connection kept for the next (1 to 64,\n"
	"                         default 8; doc/WEBHOOKS.md)\n"
	"  --event-retention DURATION\n"
	"                         events (GET /v1/events) older than this, by the\n"
	"                         store's clock, are pruned by the job runner (default\n"
	"                         30d): keep it longer than webhook retries (3 days)\n"
	"  --max-connections N    open connections in all (default 4096)\n"
	"  --max-connections-per-address N\n"
	"                         open connections from one client address (default 64;\n"
	"                         0: no limit, e.g. behind a proxy that is the only client)\n"
	"  --request-timeout S    seconds a client has to send a whole request, headers and\n"
	"                         body, from the connection's opening (the first) or the\n"
	"                         request's first line (the next ones on a kept-alive\n"
	"                         connection); not reset by each byte (default 10; 0: none)\n"
	"  --idle-timeout S       close a connection silent for S seconds, e.g. an idle\n"
	"                         keep-alive one (default 30; 0: never)\n"
	"  --config FILE          read `key = value` lines first, a key per flag above\n"
	"                         (db = /var/lib/planshift/planshift.db, threads = 4, ...;\n"
	"                         # starts a comment); flags override the file. Default:\n"
	"                         " PS_CONFIG_DEFAULT " when it exists\n"
	"\n"
	"Prints `planshift: serving http://ADDR:PORT` once listening. SIGTERM stops\n"
	"accepting connections, answers the requests in flight (10 s at most), and\n"
	"exits 0.\n";

/* How long a stop waits for the requests in flight (systemd's default
 * TimeoutStopSec is 90 s; the harness's is shorter). */
#define PS_DRAIN_MS 10000

static bool has_index(const char *dir)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/index.html", dir);
	return access(path, R_OK) == 0;
}

/* The admin center's files, when --web-dir does not say: $PLANSHIFT_WEB_DIR,
 * else found from the binary's own place, never from a path of the build
 * machine: PREFIX/bin/planshift serves PREFIX/share/planshift/web (as
 * `meson install` lays them out), and a binary in a build directory of the
 * source tree serves its web/. false when none has an index.html. */
static bool find_web_dir(char *out, size_t cap)
{
	const char *env = getenv("PLANSHIFT_WEB_DIR");
	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return true;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	static const char *const rel[] = {"../share/planshift/web", "../web"};
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char dir[PATH_MAX + 32], real[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/%s", exe, rel[i]);
		if (realpath(dir, real) && has_index(real)) {
			snprintf(out, cap, "%s", real);
			return true;
		}
	}
	return false;
}

static const struct option serve_opts[] = {{"db", required_argument, NULL, 'd'},
					   {"db-read", required_argument, NULL, 'r'},
					   {"listen", required_argument, NULL, 'l'},
					   {"clock", required_argument, NULL, 'c'},
					   {"provisioning", required_argument, NULL, 'p'},
					   {"upgrade-capacity", required_argument, NULL, 'u'},
					   {"provisioning-sla", required_argument, NULL, 'S'},
					   {"threads", required_argument, NULL, 't'},
					   {"holidays", required_argument, NULL, 'H'},
					   {"web-dir", required_argument, NULL, 'W'},
					   {"metrics-listen", required_argument, NULL, 'M'},
					   {"access-log", required_argument, NULL, 'A'},
					   {"session-idle", required_argument, NULL, 'I'},
					   {"session-max", required_argument, NULL, 'X'},
					   {"jobs-interval", required_argument, NULL, 'J'},
					   {"webhook-connections", required_argument, NULL, 'w'},
					   {"event-retention", required_argument, NULL, 'E'},
					   {"max-connections", required_argument, NULL, 'N'},
					   {"max-connections-per-address", required_argument, NULL, 'P'},
					   {"request-timeout", required_argument, NULL, 'R'},
					   {"idle-timeout", required_argument, NULL, 'T'},
					   {"config", required_argument, NULL, 'C'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};

/* What serve runs with: the configuration file's keys, then the flags. */
struct serve_conf {
	const char *db, *holidays;
	unsigned jobs_interval_ms; /* 0: no runner thread */
	struct ps_server_opts so;
	struct ps_app app;
};

static int serve(struct serve_conf *sc);

/* Set option o (a serve_opts val) to v. NULL when accepted, else what is
 * wrong with v. The same for a flag and a configuration key, so a later
 * one (a flag) overrides an earlier one (the file). */
static const char *apply(struct serve_conf *sc, int o, const char *v)
{
	char *end;
	switch (o) {
	case 'd': sc->db = v; break;
	case 'r': sc->app.db_read_url = v; break;
	case 'l': sc->so.listen = v; break;
	case 'c':
		if (strcmp(v, "manual") != 0 && strcmp(v, "system") != 0)
			return "must be system or manual";
		sc->app.clock_manual = strcmp(v, "manual") == 0;
		break;
	case 'p':
		if (strcmp(v, "manual") != 0 && strcmp(v, "auto") != 0)
			return "must be auto or manual";
		sc->app.provisioning_manual = strcmp(v, "manual") == 0;
		break;
	case 'u': {
		long long n = strtoll(v, &end, 10);
		if (!*v || *end || n < 0)
			return "must be a whole number >= 0";
		sc->app.upgrade_capacity = n;
		break;
	}
	case 'S':
		if (!ps_duration_parse(v, &sc->app.provisioning_sla))
			return "must be a duration: a number and s, m, h or d (4h)";
		break;
	case 't': {
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < 1 || n > 256)
			return "must be from 1 to 256";
		sc->so.threads = (unsigned)n;
		break;
	}
	case 'H': sc->holidays = v; break;
	case 'W': sc->so.web_dir = v; break;
	case 'M': sc->so.metrics_listen = v; break;
	case 'A': sc->so.access_log = v; break;
	case 'I':
		if (!ps_duration_parse(v, &sc->app.session_idle))
			return "must be a duration such as 90s, 30m, 4h or 90d";
		break;
	case 'E':
		if (!ps_duration_parse(v, &sc->app.event_retention) || sc->app.event_retention <= 0)
			return "must be a duration such as 90s, 30m, 4h or 30d";
		break;
	case 'X':
		if (!ps_duration_parse(v, &sc->app.session_absolute))
			return "must be a duration such as 90s, 30m, 4h or 90d";
		break;
	case 'J': {
		/* A number and a unit: ms, s or m; at most an hour. */
		long long n = strtoll(v, &end, 10);
		long long unit = strcmp(end, "ms") == 0 ? 1 : strcmp(end, "s") == 0 ? 1000 : strcmp(end, "m") == 0 ? 60000 : 0;
		if (end == v || n < 0 || unit == 0 || n > 3600000 / unit)
			return "must be a duration such as 250ms, 1s or 1m (0s: no runner), at most 60m";
		sc->jobs_interval_ms = (unsigned)(n * unit);
		break;
	}
	case 'N':
	case 'P':
	case 'R':
	case 'T': {
		long n = strtol(v, &end, 10);
		long lo = o == 'N' ? 1 : 0, hi = o == 'N' || o == 'P' ? 1000000 : 86400;
		if (!*v || *end || n < lo || n > hi)
			return o == 'N' ? "must be from 1 to 1000000"
			       : o == 'P' ? "must be from 0 (no limit) to 1000000"
					  : "must be a number of seconds from 0 (none) to 86400";
		unsigned *field = o == 'N'   ? &sc->so.max_connections
				  : o == 'P' ? &sc->so.per_address
				  : o == 'R' ? &sc->so.request_timeout_s
					     : &sc->so.idle_timeout_s;
		*field = (unsigned)n;
		break;
	}
	case 'w': {
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < 1 || n > 64)
			return "must be from 1 to 64";
		ps_deliver_set_pool((unsigned)n); /* the process's one pool (deliver.c) */
		break;
	}
	default: return "is not a serve option";
	}
	return NULL;
}

/* Read a configuration file: `key = value` lines, a key being a serve
 * flag's name without its dashes (config and help excepted); `#` starts a
 * comment line; blank lines are skipped; the value may be in double
 * quotes. The values point into *text, which the caller frees after use.
 * false, with the file, line and key named on stderr, when a line is wrong. */
static bool read_config(const char *path, struct serve_conf *sc, char **text)
{
	struct ps_err err = {0};
	size_t len;
	if (ps_cli_read_file(path, text, &len, &err) != PS_OK) {
		fprintf(stderr, "planshift serve: %s\n", err.msg);
		return false;
	}
	char *line = *text;
	for (int no = 1; line && *line; no++) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *p = line;
		line = next;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
			p[--n] = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (!eq) {
			fprintf(stderr, "planshift serve: %s:%d: want `key = value`, got \"%.60s\"\n", path, no, p);
			return false;
		}
		char *k_end = eq;
		while (k_end > p && (k_end[-1] == ' ' || k_end[-1] == '\t'))
			k_end--;
		*k_end = '\0';
		char *v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vn = strlen(v);
		if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
			v[vn - 1] = '\0';
			v++;
		}
		const struct option *opt = NULL;
		for (const struct option *q = serve_opts; q->name && !opt; q++)
			if (strcmp(q->name, p) == 0 && q->val != 'C' && q->val != 'h')
				opt = q;
		if (!opt) {
			fprintf(stderr, "planshift serve: %s:%d: unknown key \"%.60s\" (keys are serve's flags: db, listen, ...)\n",
				path, no, p);
			return false;
		}
		const char *bad = apply(sc, opt->val, v);
		if (bad) {
			fprintf(stderr, "planshift serve: %s:%d: %s %s (got \"%.60s\")\n", path, no, p, bad, v);
			return false;
		}
	}
	return true;
}

int ps_cmd_serve(int argc, char **argv)
{
	struct serve_conf sc = {.so = {.listen = "127.0.0.1:8080",
				       .max_connections = PS_MAX_CONNECTIONS_DEFAULT,
				       .per_address = PS_PER_ADDRESS_DEFAULT,
				       .request_timeout_s = PS_REQUEST_TIMEOUT_DEFAULT,
				       .idle_timeout_s = PS_IDLE_TIMEOUT_DEFAULT},
				.app = {.upgrade_capacity = 1000},
				.jobs_interval_ms = 1000};
	/* The configuration file first (--config FILE, else the default one
	 * when present), so that the flags override it. */
	const char *config = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config = argv[i] + 9;
	}
	if (!config && access(PS_CONFIG_DEFAULT, F_OK) == 0)
		config = PS_CONFIG_DEFAULT;
	char *config_text = NULL;
	if (config && !read_config(config, &sc, &config_text)) {
		ps_free(config_text);
		return PS_EXIT_USAGE;
	}
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", serve_opts, NULL)) != -1) {
		const char *bad = NULL;
		switch (o) {
		case 'C': break;
		case 'h': fputs(serve_usage, stdout); ps_free(config_text); return PS_EXIT_OK;
		case '?': fputs(serve_usage, stderr); ps_free(config_text); return PS_EXIT_USAGE;
		default: bad = apply(&sc, o, optarg); break;
		}
		if (bad) {
			for (const struct option *q = serve_opts; q->name; q++)
				if (q->val == o)
					fprintf(stderr, "planshift serve: --%s %s\n", q->name, bad);
			ps_free(config_text);
			return PS_EXIT_USAGE;
		}
	}
	if (!sc.db || optind != argc) {
		fputs(serve_usage, stderr);
		ps_free(config_text);
		return PS_EXIT_USAGE;
	}
	int ret = serve(&sc);
	ps_free(config_text);
	return ret;
}

/* Run the daemon until SIGINT or SIGTERM. */
static int serve(struct serve_conf *sc)
{
	const char *db = sc->db, *holidays = sc->holidays;
	struct ps_server_opts so = sc->so;
	struct ps_app app = sc->app;
	app.db_url = db;
	char web_dir[PATH_MAX];
	if (!so.web_dir && find_web_dir(web_dir, sizeof web_dir))
		so.web_dir = web_dir;
	if (!so.web_dir)
		ps_log(PS_LOG_WARN, "no admin center files found (give --web-dir DIR): / answers 404");
	struct ps_err err = {0};
	struct ps_store *st = NULL;
	if (ps_i18n_init(&err) != PS_OK)
		return ps_cli_fail("serve", &err);
	if (ps_cli_store(db, false, &st, &err) != PS_OK)
		return ps_cli_fail("serve", &err);
	ps_code rc = ps_app_load_catalog(&app, st, &err);
	if (rc == PS_OK && holidays)
		rc = ps_app_load_holidays(&app, holidays, &err);
	int64_t clock_now = 0;
	if (rc == PS_OK && app.clock_manual && st->ops->clock_get(st, &clock_now, &err) == PS_NOT_FOUND) {
		/* The manual clock starts at the real time, kept in the store. */
		clock_now = ps_time_system();
		rc = st->ops->clock_set(st, clock_now, &err);
	}
	ps_store_close(st);
	if (rc != PS_OK) {
		ps_app_fini(&app);
		return ps_cli_fail("serve", &err);
	}

	/* Block the signals before any thread starts, so they all inherit the
	 * mask and only sigwait below receives them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct ps_server *srv = NULL;
	if (ps_server_start(&app, &so, &srv, &err) != PS_OK) {
		ps_app_fini(&app);
		return ps_cli_fail("serve", &err);
	}
	struct ps_runner *runner = NULL;
	if (sc->jobs_interval_ms && ps_runner_start(&app, sc->jobs_interval_ms, &runner, &err) != PS_OK) {
		ps_server_stop(srv);
		ps_app_fini(&app);
		return ps_cli_fail("serve", &err);
	}
	const char *colon = strrchr(so.listen, ':');
	char host[80];
	snprintf(host, sizeof host, "%.*s", (int)(colon - so.listen), so.listen);
	/* The store's URL without its password, if it has one. */
	char shown[512];
	snprintf(shown, sizeof shown, "%s", db);
	char *scheme = strstr(shown, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL;
	char *colon2 = scheme && at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (colon2)
		memmove(colon2, at, strlen(at) + 1);
	printf("planshift: serving http://%s:%u (store %s, clock %s, provisioning %s)\n",
	       host[0] ? host : "0.0.0.0", ps_server_port(srv), shown, app.clock_manual ? "manual" : "system",
	       app.provisioning_manual ? "manual" : "auto");
	if (so.metrics_listen) {
		const char *mc = strrchr(so.metrics_listen, ':');
		printf("planshift: metrics at http://%.*s:%u/metrics\n", (int)(mc - so.metrics_listen),
		       so.metrics_listen, ps_server_metrics_port(srv));
	}
	fflush(stdout);
	int sig = 0;
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		if (ps_server_reopen_logs(srv, &err) != PS_OK)
			ps_log(PS_LOG_ERROR, "%s", err.msg);
		else
			ps_log(PS_LOG_INFO, "SIGHUP: log files reopened");
	}
	ps_log(PS_LOG_INFO, "signal %d: stopping: no new connections, answering the requests in flight", sig);
	ps_runner_stop(runner); /* a job being run finishes first */
	unsigned left = ps_server_drain(srv, PS_DRAIN_MS);
	if (left)
		ps_log(PS_LOG_WARN, "%u requests still in flight after %d ms: closing them", left, PS_DRAIN_MS);
	ps_server_stop(srv);
	ps_app_fini(&app);
	ps_i18n_fini();
	return PS_EXIT_OK;
}
