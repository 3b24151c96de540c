/* test_metrics.c: the process's counters and their Prometheus text (common
 * layer): which histogram bucket a duration lands in (bounds included),
 * cumulative buckets, statuses out of range, label escaping. Each case uses
 * a slot of its own: the counters are the process's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>

#include "common/ps_buf.h"
#include "common/ps_metrics.h"
#include "ps_want.h"

#define N_SLOTS 8
static const char *const methods[N_SLOTS] = {"GET", "GET", "GET", "GET", "POST", "GET", "GET", "GET"};
static const char *const routes[N_SLOTS] = {"/a", "/b", "/c", "/d", "/e", "/f\"q\\", "/g", "/h"};

static void scrape(struct ps_buf *out)
{
	struct ps_metrics_view v = {.methods = methods, .routes = routes, .n_routes = N_SLOTS, .open_connections = 3};
	ps_buf_reset(out);
	ps_metrics_write(out, &v);
}

static void test_buckets(void **state)
{
	static const struct {
		size_t slot;
		uint64_t usec;
		const char *want; /* a line the scrape must hold */
	} cases[] = {
		{0, 500, "planshift_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"0.0005\"} 1\n"},
		{1, 501, "planshift_http_request_duration_seconds_bucket{method=\"GET\",route=\"/b\",le=\"0.0005\"} 0\n"},
		{2, 501, "planshift_http_request_duration_seconds_bucket{method=\"GET\",route=\"/c\",le=\"0.001\"} 1\n"},
		{3, 60000000, "planshift_http_request_duration_seconds_bucket{method=\"GET\",route=\"/d\",le=\"10\"} 0\n"},
		{3, 60000000, "planshift_http_request_duration_seconds_bucket{method=\"GET\",route=\"/d\",le=\"+Inf\"} 1\n"},
		{4, 2500000, "planshift_http_request_duration_seconds_sum{method=\"POST\",route=\"/e\"} 2.500000\n"},
	};
	struct ps_buf out;
	ps_buf_init(&out, (size_t)1 << 20);
	size_t done[N_SLOTS] = {0};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (!done[cases[i].slot]++)
			ps_metrics_request(cases[i].slot, 200, cases[i].usec);
	scrape(&out);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		WANT_IN(ps_buf_str(&out), cases[i].want, cases[i].want);
	/* Cumulative: every bucket of /a from 0.0005 up holds its one request. */
	WANT_IN(ps_buf_str(&out), "route=\"/a\",le=\"10\"} 1\n", "cumulative /a");
	WANT_IN(ps_buf_str(&out), "planshift_http_request_duration_seconds_count{method=\"GET\",route=\"/a\"} 1\n",
		"count /a");
	WANT_IN(ps_buf_str(&out), "planshift_http_requests_total{method=\"POST\",route=\"/e\",code=\"200\"} 1\n",
		"requests /e");
	WANT_IN(ps_buf_str(&out), "# TYPE planshift_http_request_duration_seconds histogram\n", "TYPE histogram");
	WANT_IN(ps_buf_str(&out), "planshift_http_open_connections 3\n", "open connections");
	ps_buf_fini(&out);
}

static void test_statuses_and_labels(void **state)
{
	struct ps_buf out;
	ps_buf_init(&out, (size_t)1 << 20);
	ps_metrics_request(5, 404, 10);
	ps_metrics_request(6, 99, 10);   /* not a status: not counted */
	ps_metrics_request(6, 600, 10);  /* nor this */
	ps_metrics_request(N_SLOTS + 1000, 200, 10); /* no such slot: not counted */
	ps_metrics_count(PS_C_TX_RETRIES);
	ps_metrics_count(PS_C_TX_RETRIES);
	scrape(&out);
	WANT_IN(ps_buf_str(&out), "planshift_http_requests_total{method=\"GET\",route=\"/f\\\"q\\\\\",code=\"404\"} 1\n",
		"escaped label");
	WANT(strstr(ps_buf_str(&out), "route=\"/g\"") == NULL, "case status out of range: got a series for /g, want none");
	WANT_IN(ps_buf_str(&out), "planshift_store_tx_retries_total 2\n", "tx retries");
	WANT_IN(ps_buf_str(&out), "# TYPE planshift_store_busy_waits_total counter\n", "busy waits TYPE");
	ps_buf_fini(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_statuses_and_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
