/* commands.c: init, token, catalog validate and routes (cli layer). */
#include "cli.h"

#include "../app/ps_app.h"
#include "../app/ps_demo.h"
#include "../common/ps_i18n.h"
#include "../common/ps_mem.h"
#include "../common/ps_secret.h"
#include "../common/ps_time.h"
#include "../http/ps_http.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ps_cli_fail(const char *cmd, const struct ps_err *err)
{
	if (err->field[0])
		fprintf(stderr, "planshift %s: %s (%s)\n", cmd, err->msg[0] ? err->msg : ps_code_api(err->code),
			err->field);
	else
		fprintf(stderr, "planshift %s: %s\n", cmd, err->msg[0] ? err->msg : ps_code_api(err->code));
	return PS_EXIT_REFUSED;
}

ps_code ps_cli_store(const char *url, bool migrate, struct ps_store **out, struct ps_err *err)
{
	struct ps_store *st = NULL;
	ps_code rc = ps_store_open(url, &st, err);
	if (rc != PS_OK)
		return rc;
	rc = migrate ? st->ops->migrate(st, err) : st->ops->check_schema(st, err);
	if (rc != PS_OK) {
		ps_store_close(st);
		return rc;
	}
	*out = st;
	return PS_OK;
}

ps_code ps_cli_read_file(const char *path, char **out, size_t *len, struct ps_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ps_err_set(err, PS_IO, "file", "cannot open %s: %s", path, strerror(errno));
	struct ps_buf b;
	ps_buf_init(&b, (size_t)64 << 20);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (!ps_buf_put(&b, chunk, n))
			break;
	bool failed = ferror(f);
	fclose(f);
	if (b.toobig || failed) {
		ps_buf_fini(&b);
		return ps_err_set(err, PS_IO, "file", failed ? "cannot read %s" : "%s is larger than 64 MiB", path);
	}
	*len = b.len;
	*out = ps_buf_take(&b);
	return PS_OK;
}

/* ---- catalog validate, catalog load ---- */

static const char catalog_usage[] =
	"usage: planshift catalog validate FILE\n"
	"       planshift catalog load --db URL FILE\n"
	"\n"
	"validate: check a catalog file (JSON: services, products, plans) and list\n"
	"every fault: bad fields, unknown or duplicate ids, add-ons, looping upgrade\n"
	"paths, and upgrade paths that are not data-safe. Exit 0 when clean, 1 with\n"
	"the faults.\n"
	"load: validate FILE the same way and keep it as the store's next catalog\n"
	"version, live for every daemon on the store from its next request. Refused\n"
	"(exit 1, nothing changed) when it drops a plan that live subscriptions use\n"
	"(mark it \"retired\": true instead) or takes a data-bearing service from one.\n";

/* FILE into the store as a new catalog version through the one use case
 * (the same as PUT /v1/catalog); `cmd` names the command in messages.
 * Every fault goes to stderr. */
static ps_code load_catalog_text(struct ps_store *st, const char *db, const char *text, size_t len, const char *cmd,
				 struct ps_err *err)
{
	struct ps_app app = {.db_url = db};
	struct ps_ctx c;
	ps_code rc = PS_OK;
	if (st->ops->catalog_version(st, &(int64_t){0}, err) == PS_OK)
		rc = ps_app_load_catalog(&app, st, err);
	if (rc != PS_OK)
		return rc;
	ps_ctx_init(&c, &app, st);
	ps_ctx_reset(&c, ps_app_clock(&app, st, true), "cli-catalog-load");
	c.who.role = PS_ROLE_OPERATOR;
	struct ps_catalog_version v;
	rc = ps_app_catalog_load(&c, text, len, &v);
	if (rc != PS_OK) {
		for (size_t i = 0; i < c.n_faults; i++)
			fprintf(stderr, "catalog: %s\n", c.faults[i]);
		*err = c.err;
	} else {
		fprintf(stderr, "planshift %s: catalog version %lld loaded: %zu services, %zu products, %zu plans\n", cmd,
			(long long)v.version, c.cat->n_services, c.cat->n_products, c.cat->n_plans);
	}
	ps_ctx_fini(&c);
	ps_app_fini(&app);
	return rc;
}

static int catalog_load(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *db = NULL;
	int o;
	optind = 2;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'h': fputs(catalog_usage, stdout); return PS_EXIT_OK;
		default: fputs(catalog_usage, stderr); return PS_EXIT_USAGE;
		}
	}
	if (!db || optind != argc - 1) {
		fputs(catalog_usage, stderr);
		return PS_EXIT_USAGE;
	}
	struct ps_err err = {0};
	struct ps_store *st = NULL;
	char *text;
	size_t len;
	if (ps_cli_read_file(argv[optind], &text, &len, &err) != PS_OK)
		return ps_cli_fail("catalog load", &err);
	if (ps_cli_store(db, false, &st, &err) != PS_OK) {
		ps_free(text);
		return ps_cli_fail("catalog load", &err);
	}
	ps_code rc = load_catalog_text(st, db, text, len, "catalog load", &err);
	ps_free(text);
	ps_store_close(st);
	return rc == PS_OK ? PS_EXIT_OK : ps_cli_fail("catalog load", &err);
}

int ps_cmd_catalog(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(catalog_usage, stdout);
		return PS_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "load") == 0)
		return catalog_load(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "validate") == 0 &&
	    (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(catalog_usage, stdout);
		return PS_EXIT_OK;
	}
	if (argc != 3 || strcmp(argv[1], "validate") != 0) {
		fputs(catalog_usage, stderr);
		return PS_EXIT_USAGE;
	}
	const char *path = argv[2];
	struct ps_err err = {0};
	char *text;
	size_t len;
	if (ps_cli_read_file(path, &text, &len, &err) != PS_OK)
		return ps_cli_fail("catalog validate", &err);
	struct ps_catalog *cat = NULL;
	struct ps_faults faults = {0};
	bool ok = ps_catalog_parse(text, len, &cat, &faults);
	ps_free(text);
	if (!ok) {
		for (size_t i = 0; i < faults.n; i++)
			fprintf(stderr, "%s: %s\n", path, faults.msgs[i]);
		fprintf(stderr, "%s: %zu fault%s\n", path, faults.n, faults.n == 1 ? "" : "s");
		ps_faults_fini(&faults);
		return PS_EXIT_REFUSED;
	}
	printf("%s: valid catalog: %zu services, %zu products, %zu plans\n", path, cat->n_services, cat->n_products,
	       cat->n_plans);
	ps_catalog_free(cat);
	ps_faults_fini(&faults);
	return PS_EXIT_OK;
}

/* ---- init ---- */

static const char init_usage[] =
	"usage: planshift init --db URL [--catalog FILE] [--demo]\n"
	"\n"
	"Create the store at URL, or bring its schema to this version, in one\n"
	"transaction.\n"
	"  --db URL        a SQLite file: PATH or sqlite:PATH\n"
	"  --catalog FILE  validate FILE and make it the store's catalog (a new\n"
	"                  version, as `planshift catalog load`)\n"
	"  --demo          load the demo catalog (unless --catalog is given) and demo\n"
	"                  tenants showing every reason of the Upgrade tab; prints\n"
	"                  an operator token and one global_admin token per tenant\n";

int ps_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
					     {"catalog", required_argument, NULL, 'c'},
					     {"demo", no_argument, NULL, 'm'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *db = NULL, *catalog = NULL;
	bool demo = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'c': catalog = optarg; break;
		case 'm': demo = true; break;
		case 'h': fputs(init_usage, stdout); return PS_EXIT_OK;
		default: fputs(init_usage, stderr); return PS_EXIT_USAGE;
		}
	}
	if (!db || optind != argc) {
		fputs(init_usage, stderr);
		return PS_EXIT_USAGE;
	}
	struct ps_err err = {0};
	struct ps_store *st = NULL;
	int ret = PS_EXIT_OK;
	if (ps_cli_store(db, true, &st, &err) != PS_OK)
		return ps_cli_fail("init", &err);
	if (catalog) {
		char *text;
		size_t len;
		if (ps_cli_read_file(catalog, &text, &len, &err) != PS_OK) {
			ret = ps_cli_fail("init", &err);
			goto out;
		}
		ps_code rc = load_catalog_text(st, db, text, len, "init", &err);
		ps_free(text);
		if (rc != PS_OK) {
			ret = ps_cli_fail("init", &err);
			goto out;
		}
	} else if (demo) {
		if (load_catalog_text(st, db, ps_demo_catalog, ps_demo_catalog_len, "init", &err) != PS_OK) {
			ret = ps_cli_fail("init", &err);
			goto out;
		}
	}
	if (demo) {
		struct ps_app app = {.db_url = db};
		if (ps_app_load_catalog(&app, st, &err) != PS_OK) {
			ret = ps_cli_fail("init", &err);
			goto out;
		}
		struct ps_ctx c;
		ps_ctx_init(&c, &app, st);
		c.now = ps_app_clock(&app, st, true);
		snprintf(c.request_id, sizeof c.request_id, "%s", "init-demo");
		if (ps_demo_seed(&c, stdout) != PS_OK)
			ret = ps_cli_fail("init", &c.err);
		ps_ctx_fini(&c);
		ps_app_fini(&app);
	}
	if (ret == PS_EXIT_OK)
		fprintf(stderr, "planshift init: store ready at %s (schema version %d)\n", db, PS_SCHEMA_VERSION);
out:
	ps_store_close(st);
	return ret;
}

/* ---- token create, list, revoke ---- */

static const char token_usage[] =
	"usage: planshift token create --db URL --role ROLE [--tenant ID] [--name NAME]\n"
	"                              [--expires-in DURATION]\n"
	"       planshift token list   --db URL [--tenant ID]\n"
	"       planshift token revoke --db URL ID\n"
	"\n"
	"create: print a new API token alone on stdout. It is shown once and stored\n"
	"hashed.\n"
	"  --role ROLE   operator or support (the provider's), or global_admin,\n"
	"                billing_admin, license_admin, reader (with --tenant)\n"
	"  --tenant ID   the tenant the token is bound to (ten_12, or 12)\n"
	"  --name NAME   what the token is for (shown in lists)\n"
	"  --expires-in DURATION\n"
	"                the token stops working after this long on the store's\n"
	"                clock: 90s, 30m, 4h, 90d (default: never)\n"
	"list: the tokens that are not revoked, every tenant's or one's (--tenant),\n"
	"one a line, tab-separated: id, name, role, tenant, created, expires_at,\n"
	"last_used_at (- when none); never their secret.\n"
	"revoke: the token ID (tok_12) gets 401 from its next request on, on every\n"
	"daemon of the store, and its admin center sessions end.\n";

/* The store and a context acting as the operator, for the token commands. */
static int token_ctx(const char *what, const char *db, struct ps_app *app, struct ps_ctx *c, struct ps_store **st)
{
	struct ps_err err = {0};
	if (ps_cli_store(db, false, st, &err) != PS_OK)
		return ps_cli_fail(what, &err);
	app->db_url = db;
	ps_ctx_init(c, app, *st);
	c->now = ps_app_clock(app, *st, true);
	c->who.role = PS_ROLE_OPERATOR;
	snprintf(c->request_id, sizeof c->request_id, "cli-%s", what);
	for (char *p = c->request_id; *p; p++)
		if (*p == ' ')
			*p = '-';
	return PS_EXIT_OK;
}

static void print_time(int64_t t, char sep)
{
	char when[PS_TIME_LEN] = "-";
	if (t)
		ps_time_format(t, when);
	printf("%s%c", when, sep);
}

static bool print_token(void *arg, const struct ps_token *t)
{
	(void)arg;
	printf("%s%lld\t%s\t%s\t", PS_PFX_TOKEN, (long long)t->id, t->name[0] ? t->name : "-", ps_role_name(t->role));
	if (t->tenant_id)
		printf("%s%lld\t", PS_PFX_TENANT, (long long)t->tenant_id);
	else
		printf("-\t");
	print_time(t->created_at, '\t');
	print_time(t->expires_at, '\t');
	print_time(t->last_used_at, '\n');
	return true;
}

int ps_cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
					     {"role", required_argument, NULL, 'r'},
					     {"tenant", required_argument, NULL, 't'},
					     {"name", required_argument, NULL, 'n'},
					     {"expires-in", required_argument, NULL, 'e'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(token_usage, stdout);
		return PS_EXIT_OK;
	}
	const char *sub = argc >= 2 ? argv[1] : "";
	bool create = strcmp(sub, "create") == 0, list = strcmp(sub, "list") == 0,
	     revoke = strcmp(sub, "revoke") == 0;
	if (!create && !list && !revoke) {
		fputs(token_usage, stderr);
		return PS_EXIT_USAGE;
	}
	const char *db = NULL, *role = NULL, *tenant_s = NULL, *name = NULL, *expires_s = NULL;
	int o;
	optind = 2;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'r': role = optarg; break;
		case 't': tenant_s = optarg; break;
		case 'n': name = optarg; break;
		case 'e': expires_s = optarg; break;
		case 'h': fputs(token_usage, stdout); return PS_EXIT_OK;
		default: fputs(token_usage, stderr); return PS_EXIT_USAGE;
		}
	}
	/* Each subcommand takes only its own flags. */
	bool bad = !db || (create && (!role || optind != argc)) ||
		   (list && (role || name || expires_s || optind != argc)) ||
		   (revoke && (role || name || expires_s || tenant_s || optind != argc - 1));
	if (bad) {
		fputs(token_usage, stderr);
		return PS_EXIT_USAGE;
	}
	char what[32];
	snprintf(what, sizeof what, "token %s", sub);
	int64_t tenant = 0, expires_in = 0, id = 0;
	if (tenant_s && !ps_id_parse(tenant_s, PS_PFX_TENANT, &tenant) && !ps_id_parse(tenant_s, "", &tenant)) {
		fprintf(stderr, "planshift %s: --tenant must be a tenant id like ten_12\n", what);
		return PS_EXIT_USAGE;
	}
	if (expires_s && !ps_duration_parse(expires_s, &expires_in)) {
		fprintf(stderr, "planshift %s: --expires-in must be a duration such as 90s, 30m, 4h or 90d\n", what);
		return PS_EXIT_USAGE;
	}
	if (revoke && !ps_id_parse(argv[optind], PS_PFX_TOKEN, &id) && !ps_id_parse(argv[optind], "", &id)) {
		fprintf(stderr, "planshift %s: ID must be a token id like tok_12\n", what);
		return PS_EXIT_USAGE;
	}
	struct ps_app app = {0};
	struct ps_ctx c;
	struct ps_store *st = NULL;
	int ret = token_ctx(what, db, &app, &c, &st);
	if (ret != PS_EXIT_OK)
		return ret;
	ps_code rc;
	if (create) {
		struct ps_token_in in = {.role = role, .name = name, .expires_field = "--expires-in"};
		in.expires_at = expires_s ? c.now + expires_in : 0;
		struct ps_token t;
		char tok[PS_TOKEN_LEN];
		if ((rc = ps_app_token_make(&c, tenant, &in, tok, sizeof tok, &t)) == PS_OK)
			printf("%s\n", tok);
	} else if (list) {
		rc = ps_app_tokens_list(&c, tenant, 0, 0, print_token, NULL);
	} else {
		struct ps_token t;
		if ((rc = ps_app_token_revoke(&c, id, &t)) == PS_OK)
			fprintf(stderr, "planshift %s: %s%lld revoked\n", what, PS_PFX_TOKEN, (long long)id);
	}
	if (rc != PS_OK)
		ret = ps_cli_fail(what, &c.err);
	ps_ctx_fini(&c);
	ps_store_close(st);
	return ret;
}

/* ---- routes ---- */

int ps_cmd_routes(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs("usage: planshift routes\n\nList the HTTP API's routes: method, path, roles, summary.\n", stdout);
		return PS_EXIT_OK;
	}
	ps_routes_print(stdout);
	return PS_EXIT_OK;
}
