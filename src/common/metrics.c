/* metrics.c: the process's counters and their Prometheus text (common
 * layer). Relaxed atomic adds on fixed arrays (ps_metrics.h): the request
 * counters by route and status, a duration histogram per route (one bucket
 * counted per request; the cumulative sums are made at scrape time), the
 * store's retries and waits, and the process's start time and memory. */
#include "ps_metrics.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STATUS_MIN 100
#define STATUS_N 500 /* 100..599 */

/* Upper bounds of the duration histogram's buckets, in microseconds; the
 * last bucket is +Inf. */
static const uint64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,   50000,
				     100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
#define N_BUCKETS (sizeof bucket_us / sizeof bucket_us[0] + 1)

static uint64_t requests[PS_METRICS_ROUTES_MAX][STATUS_N];
static uint64_t buckets[PS_METRICS_ROUTES_MAX][N_BUCKETS];
static uint64_t sum_us[PS_METRICS_ROUTES_MAX];
static uint64_t counters[PS_C__COUNT];
static int64_t start_time;

static const struct {
	const char *name, *help;
} counter_info[] = {
#define PS__COUNTER_INFO(n, name, help) {name, help},
	PS_COUNTER_MAP(PS__COUNTER_INFO)
#undef PS__COUNTER_INFO
};

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

void ps_metrics_count(enum ps_counter c)
{
	add(&counters[c], 1);
}

void ps_metrics_request(size_t route, int status, uint64_t usec)
{
	if (route >= PS_METRICS_ROUTES_MAX || status < STATUS_MIN || status >= STATUS_MIN + STATUS_N)
		return;
	add(&requests[route][status - STATUS_MIN], 1);
	size_t b = 0;
	while (b < N_BUCKETS - 1 && usec > bucket_us[b])
		b++;
	add(&buckets[route][b], 1);
	add(&sum_us[route], usec);
}

void ps_metrics_set_start(int64_t t)
{
	start_time = t;
}

void ps_metrics_label(struct ps_buf *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			ps_buf_putc(out, '\\');
		if (*p == '\n')
			ps_buf_puts(out, "\\n");
		else
			ps_buf_putc(out, *p);
	}
}

static void head(struct ps_buf *out, const char *name, const char *type, const char *help)
{
	ps_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The resident set size in bytes, from /proc/self/statm; 0 when unknown. */
static uint64_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, resident = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

/* `name{method="M",route="R` of slot r: the caller closes the quote. */
static void series(struct ps_buf *out, const char *name, const struct ps_metrics_view *v, size_t r)
{
	ps_buf_printf(out, "%s{method=\"", name);
	ps_metrics_label(out, v->methods[r]);
	ps_buf_puts(out, "\",route=\"");
	ps_metrics_label(out, v->routes[r]);
}

static void write_requests(struct ps_buf *out, const struct ps_metrics_view *v)
{
	head(out, "planshift_http_requests_total", "counter", "HTTP requests answered, by route template and status");
	for (size_t r = 0; r < v->n_routes && r < PS_METRICS_ROUTES_MAX; r++)
		for (int s = 0; s < STATUS_N; s++) {
			uint64_t n = load(&requests[r][s]);
			if (!n)
				continue;
			series(out, "planshift_http_requests_total", v, r);
			ps_buf_printf(out, "\",code=\"%d\"} %llu\n", s + STATUS_MIN, (unsigned long long)n);
		}
	head(out, "planshift_http_request_duration_seconds", "histogram",
	     "Time from a request's first byte to its answer, by route template");
	for (size_t r = 0; r < v->n_routes && r < PS_METRICS_ROUTES_MAX; r++) {
		uint64_t b[N_BUCKETS], total = 0;
		for (size_t i = 0; i < N_BUCKETS; i++)
			total += b[i] = load(&buckets[r][i]);
		if (!total)
			continue;
		uint64_t cum = 0;
		for (size_t i = 0; i < N_BUCKETS; i++) {
			cum += b[i];
			series(out, "planshift_http_request_duration_seconds_bucket", v, r);
			if (i < N_BUCKETS - 1)
				ps_buf_printf(out, "\",le=\"%g\"} %llu\n", (double)bucket_us[i] / 1e6,
					      (unsigned long long)cum);
			else
				ps_buf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		}
		series(out, "planshift_http_request_duration_seconds_sum", v, r);
		ps_buf_printf(out, "\"} %.6f\n", (double)load(&sum_us[r]) / 1e6);
		series(out, "planshift_http_request_duration_seconds_count", v, r);
		ps_buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
	}
}

void ps_metrics_write(struct ps_buf *out, const struct ps_metrics_view *v)
{
	write_requests(out, v);
	for (int c = 0; c < PS_C__COUNT; c++) {
		head(out, counter_info[c].name, "counter", counter_info[c].help);
		ps_buf_printf(out, "%s %llu\n", counter_info[c].name, (unsigned long long)load(&counters[c]));
	}
	head(out, "planshift_http_open_connections", "gauge", "HTTP connections open now");
	ps_buf_printf(out, "planshift_http_open_connections %u\n", v->open_connections);
	head(out, "process_start_time_seconds", "gauge", "When the process started serving, in seconds since 1970");
	ps_buf_printf(out, "process_start_time_seconds %lld\n", (long long)start_time);
	head(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes");
	ps_buf_printf(out, "process_resident_memory_bytes %llu\n", (unsigned long long)rss_bytes());
}
