/* ps_metrics.h: the process's own counters for GET /metrics (common layer).
 * Every counter is a plain uint64_t bumped with a relaxed atomic add: no
 * lock, no ordering, so counting costs a request a few nanoseconds. Each
 * counter is exact; a scrape is not one consistent instant across them.
 * The http, app and store layers count; the http layer writes them out in
 * Prometheus' text format (version 0.0.4) with ps_metrics_write. */
#ifndef PS_METRICS_H
#define PS_METRICS_H

#include "ps_buf.h"

#include <stddef.h>
#include <stdint.h>

/* Route slots: the route table's rows, and a few more (the caller names
 * them at scrape time). */
#define PS_METRICS_ROUTES_MAX 96

/* Process-wide event counters: name, HELP text. */
#define PS_COUNTER_MAP(X)                                                                                              \
	X(TX_RETRIES, "planshift_store_tx_retries_total",                                                              \
	  "Write transactions run again after losing a race (serialization failure, deadlock)")                      \
	X(BUSY_WAITS, "planshift_store_busy_waits_total",                                                              \
	  "Sleeps of a SQLite connection waiting for a lock another connection held")                                         \
	X(BUSY_TIMEOUTS, "planshift_store_busy_timeouts_total",                                                        \
	  "SQLite lock waits given up after the busy timeout (5 s)")

enum ps_counter {
#define PS__COUNTER_ENUM(n, name, help) PS_C_##n,
	PS_COUNTER_MAP(PS__COUNTER_ENUM)
#undef PS__COUNTER_ENUM
		PS_C__COUNT
};

/* Count one event. */
void ps_metrics_count(enum ps_counter c);
/* Count one answered request: its route slot (< PS_METRICS_ROUTES_MAX),
 * HTTP status (one outside 100..599 is not counted)
 * and how long it took, in microseconds. */
void ps_metrics_request(size_t route, int status, uint64_t usec);
/* The time the process started serving (seconds since 1970), set once. */
void ps_metrics_set_start(int64_t t);

/* What the caller adds to a scrape: the method and route names of slots
 * 0..n_routes-1 ("GET", a route template "/v1/tenants/{t}"; a slot is
 * one label set, so no two slots may have the same pair), and the open
 * connections. */
struct ps_metrics_view {
	const char *const *methods;
	const char *const *routes;
	size_t n_routes;
	unsigned open_connections;
};

/* Append every counter, histogram and process metric to out. */
void ps_metrics_write(struct ps_buf *out, const struct ps_metrics_view *v);

/* Escape a label value into out (backslash, double quote, newline). */
void ps_metrics_label(struct ps_buf *out, const char *value);

#endif
