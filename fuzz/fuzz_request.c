/* fuzz_request.c: libFuzzer harness for the request router, the body
 * parsing and every handler (fuzz/). The real server runs in this process
 * (one worker thread, libmicrohttpd on 127.0.0.1) on a temporary SQLite
 * store with the demo catalog and one tenant; each input is one request:
 * its first line "METHOD PATH", the rest its body, sent with the operator's
 * token. A 500 (internal_error), an answer that is not the JSON error
 * shape, no answer, a crash or a sanitizer report is a finding. */
#include "app/ps_app.h"
#include "app/ps_demo.h"
#include "common/ps_i18n.h"
#include "common/ps_secret.h"
#include "core/ps_catalog.h"
#include "http/ps_http.h"
#include "store/ps_store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t port;
static char token[PS_TOKEN_LEN];
static char dir[] = "/tmp/planshift-fuzz-XXXXXX";
static char db[64];

static void die(const char *what, const struct ps_err *err)
{
	fprintf(stderr, "fuzz_request: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Send one request, read the whole answer into resp; its status, 0 when none. */
static int roundtrip(const char *method, const char *path, const char *body, size_t len, char *resp, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rc = -1;
	while (fd >= 0 && (rc = connect(fd, (struct sockaddr *)&a, sizeof a)) != 0 && errno == EINTR)
		;
	if (fd < 0 || rc != 0) {
		perror("fuzz_request: connect");
		exit(1);
	}
	char head[2048];
	int n = snprintf(head, sizeof head,
			 "%s %s HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 method, path, token, len);
	/* The server may answer and close before the body is read: a failed
	 * send is not a finding, a missing answer is. */
	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
	/* libFuzzer's timer (SIGALRM, for -timeout) interrupts system calls:
	 * EINTR is not the end of the answer. */
	size_t got = 0;
	ssize_t r;
	while (got + 1 < cap && ((r = recv(fd, resp + got, cap - 1 - got, 0)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			got += (size_t)r;
	resp[got] = '\0';
	close(fd);
	int status = 0;
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

/* The temporary store is removed at exit (the server's worker may still
 * hold it open: unlinking is enough). */
static void remove_store(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[96];
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, suffix[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	struct ps_err err = {0};
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	atexit(remove_store);
	snprintf(db, sizeof db, "%s/store.db", dir);
	if (ps_i18n_init(&err) != PS_OK)
		die("i18n", &err);
	struct ps_store *st;
	if (ps_store_open(db, &st, &err) != PS_OK || st->ops->migrate(st, &err) != PS_OK)
		die("store", &err);
	struct ps_catalog *cat = NULL;
	struct ps_faults faults = {0};
	if (!ps_catalog_parse(ps_demo_catalog, ps_demo_catalog_len, &cat, &faults))
		die("demo catalog", NULL);
	if (st->ops->begin(st, PS_TX_WRITE, &err) != PS_OK ||
	    st->ops->catalog_put(st, cat->json, cat->json_len, 1700000000, "cli", NULL, &err) != PS_OK ||
	    st->ops->commit(st, &err) != PS_OK)
		die("catalog", &err);
	ps_catalog_free(cat);
	ps_faults_fini(&faults);
	static struct ps_app app;
	app.db_url = db;
	app.upgrade_capacity = 1000;
	if (ps_app_load_catalog(&app, st, &err) != PS_OK)
		die("load catalog", &err);
	struct ps_ctx c;
	ps_ctx_init(&c, &app, st);
	c.now = 1700000000;
	c.who.role = PS_ROLE_OPERATOR;
	snprintf(c.request_id, sizeof c.request_id, "fuzz");
	if (ps_app_token_create(&c, "operator", 0, token, sizeof token, NULL) != PS_OK)
		die("token", &c.err);
	ps_ctx_fini(&c);
	ps_store_close(st);
	struct ps_server_opts so = {.listen = "127.0.0.1:0", .threads = 1, .idle_timeout_s = 5};
	static struct ps_server *srv;
	if (ps_server_start(&app, &so, &srv, &err) != PS_OK)
		die("server", &err);
	port = ps_server_port(srv);
	/* A tenant (ten_1) with a user and a subscription, for the seeds' paths. */
	static char resp[65536];
	static const char *const setup[][3] = {
	    {"POST", "/v1/tenants", "{\"name\":\"Fuzz Org\",\"payment\":\"invoice\",\"currency\":\"EUR\"}"},
	    {"POST", "/v1/tenants/ten_1/users", "{\"upn\":\"a@fuzz.example\",\"display_name\":\"A\"}"},
	    {"POST", "/v1/tenants/ten_1/subscriptions", "{\"plan\":\"biz-basic\",\"quantity\":3}"},
	};
	for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
		roundtrip(setup[i][0], setup[i][1], setup[i][2], strlen(setup[i][2]), resp, sizeof resp);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char method[16] = "GET", path[1024] = "/";
	size_t i = 0, m = 0, p = 0;
	/* METHOD: letters only (anything else ends it). */
	for (; i < size && data[i] != ' ' && data[i] != '\n'; i++)
		if (m + 1 < sizeof method && data[i] >= 'A' && data[i] <= 'Z')
			method[m++] = (char)data[i];
	if (m)
		method[m] = '\0';
	if (i < size && data[i] == ' ')
		i++;
	/* PATH: printable, no spaces (they would end the request line). */
	for (; i < size && data[i] != '\n'; i++)
		if (p + 1 < sizeof path && data[i] > ' ' && data[i] < 0x7f)
			path[p++] = (char)data[i];
	if (p)
		path[p] = '\0';
	if (path[0] != '/')
		return 0;
	if (i < size)
		i++;
	static char resp[1 << 21];
	int status = roundtrip(method, path, (const char *)data + i, size - i, resp, sizeof resp);
	const char *json = strstr(resp, "\r\n\r\n");
	bool is_json = strstr(resp, "Content-Type: application/json") != NULL;
	bool head = strcmp(method, "HEAD") == 0; /* headers only */
	if (status == 0 || status == 500 ||
	    (status >= 400 && (!is_json || !json || (!head && !strstr(json, "{\"error\":{"))))) {
		fprintf(stderr, "fuzz_request: %s %s gave:\n%.2000s\n", method, path, resp);
		abort();
	}
	return 0;
}
