/* bench_deliver.c: webhook deliveries per second to a local receiver
 * (bench layer), against bare POSTs of the same bodies through libcurl with
 * the same number of connections at once. A fresh store at --db gets one
 * endpoint (every type) pointing at a receiver in this process
 * (libmicrohttpd, answering 204), then --events tenants (one
 * tenant.created event each: separate tenants, so the pool is not held by
 * one tenant's order); ps_deliver_pass fans them out, claims, POSTs and
 * records them all. The baseline: the same number of POSTs of an event's
 * body, --pool at a time on one libcurl multi handle, no store. Medians of
 * --runs runs, printed as "RESULT<TAB>key<TAB>value". */
#include "app/ps_app.h"
#include "app/ps_webhooks.h"
#include "common/ps_i18n.h"
#include "core/ps_catalog.h"
#include "store/ps_store.h"

#define BENCH_NAME "bench_deliver"
#include "bench_util.h"

#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic long received;

/* The receiver: reads the body, answers 204. */
static enum MHD_Result on_post(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			       const char *version, const char *data, size_t *size, void **state)
{
	(void)cls, (void)url, (void)method, (void)version, (void)data;
	static int marker;
	if (!*state) {
		*state = &marker;
		return MHD_YES;
	}
	if (*size) {
		*size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&received, 1);
	struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(conn, 204, r);
	MHD_destroy_response(r);
	return rc;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

/* n POSTs of body, pool at a time, on one multi handle (connections kept). */
static void bare_posts(const char *url, const char *body, int n, int pool)
{
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)pool);
	struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
	hs = curl_slist_append(hs, "Expect:");
	CURL **h = calloc((size_t)pool, sizeof *h);
	for (int done = 0; done < n;) {
		int k = n - done < pool ? n - done : pool;
		for (int i = 0; i < k; i++) {
			h[i] = curl_easy_init();
			curl_easy_setopt(h[i], CURLOPT_URL, url);
			curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hs);
			curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(h[i], CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
			curl_multi_add_handle(m, h[i]);
		}
		int running = 1;
		while (running && curl_multi_perform(m, &running) == CURLM_OK)
			if (running)
				curl_multi_poll(m, NULL, 0, 1000, NULL);
		for (int i = 0; i < k; i++) {
			curl_multi_remove_handle(m, h[i]);
			curl_easy_cleanup(h[i]);
		}
		done += k;
	}
	free(h);
	curl_slist_free_all(hs);
	curl_multi_cleanup(m);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *catalog = "data/demo-catalog.json";
	int events = 1000, runs = 3, pool = 8;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--catalog") == 0)
			catalog = argv[i + 1];
		else if (strcmp(argv[i], "--events") == 0)
			events = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--pool") == 0)
			pool = (int)strtol(argv[i + 1], NULL, 10);
	}
	if (!db || events < 1 || runs < 1 || runs > MAX_RUNS || pool < 1 || pool > 64) {
		fprintf(stderr, "usage: bench_deliver --db URL [--catalog FILE] [--events N] [--runs N (1..%d)] [--pool N]\n",
			MAX_RUNS);
		return 2;
	}
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_post,
						NULL, MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_END);
	if (!d)
		bench_die("receiver", NULL);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/hook",
		 (unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);

	struct ps_err err = {0};
	int64_t t0 = 1800000000;
	struct ps_store *st = bench_store(db, catalog, t0);
	struct ps_app app = {.db_url = db, .clock_manual = true};
	if (ps_app_load_catalog(&app, st, &err) != PS_OK)
		bench_die("catalog", &err);
	struct ps_ctx c;
	ps_ctx_init(&c, &app, st);
	ps_ctx_reset(&c, t0, "bench");
	c.who.role = PS_ROLE_OPERATOR;
	ps_deliver_set_pool((unsigned)pool);
	struct ps_webhook_in win = {.url = url};
	struct ps_webhook w;
	if (ps_app_webhook_create(&c, &win, &w) != PS_OK)
		bench_die("webhook", &c.err);
	char body[512];
	snprintf(body, sizeof body,
		 "{\"id\":\"evt_1\",\"type\":\"tenant.created\",\"tenant\":\"ten_1\",\"created\":\"2027-01-15T08:00:00Z\","
		 "\"data\":{\"id\":\"ten_1\",\"name\":\"Bench\",\"segment\":\"commercial\",\"payment\":\"card\","
		 "\"credit_limit\":0,\"currency\":\"EUR\",\"created\":\"2027-01-15T08:00:00Z\"}}");

	double app_s[MAX_RUNS], bare_s[MAX_RUNS];
	for (int r = 0; r < runs; r++) {
		for (int i = 0; i < events; i++) {
			struct ps_tenant_in tin = {.name = "Bench", .segment = "commercial", .payment = "card",
						   .currency = "EUR", .credit_limit = 0, .has_credit_limit = true};
			struct ps_tenant t;
			if (ps_app_tenant_create(&c, &tin, &t) != PS_OK)
				bench_die("tenant", &c.err);
		}
		long before = atomic_load(&received);
		int sent = 0, all = 0;
		double a = now_s();
		while (all < events) {
			if (ps_deliver_pass(&c, &sent) != PS_OK)
				bench_die("deliver", &c.err);
			if (sent == 0)
				break;
			all += sent;
		}
		app_s[r] = now_s() - a;
		if (all != events || atomic_load(&received) - before != events) {
			fprintf(stderr, "bench_deliver: run %d: %d delivered (%ld received), want %d\n", r + 1, all,
				atomic_load(&received) - before, events);
			return 1;
		}
		a = now_s();
		bare_posts(url, body, events, pool);
		bare_s[r] = now_s() - a;
		fprintf(stderr, "bench_deliver: run %d (%s, pool %d): %d deliveries %.0f/s, bare POSTs %.0f/s\n", r + 1,
			st->ops->name, pool, events, events / app_s[r], events / bare_s[r]);
	}
	double a = median(app_s, runs), b = median(bare_s, runs);
	printf("RESULT\tdeliver.app_per_s\t%.6g\nRESULT\tdeliver.bare_per_s\t%.6g\n", events / a, events / b);
	ps_ctx_fini(&c);
	ps_app_fini(&app);
	ps_store_close(st);
	ps_i18n_fini();
	MHD_stop_daemon(d);
	return 0;
}
