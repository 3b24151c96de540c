/* ps_http.h: the HTTP server (http layer): libmicrohttpd with a thread pool,
 * one store handle per worker thread, one route table for dispatch, 404/405
 * and the route listing. */
#ifndef PS_HTTP_H
#define PS_HTTP_H

#include "../app/ps_app.h"

#include <stdint.h>
#include <stdio.h>

struct ps_server;

struct ps_server_opts {
	const char *listen; /* "ADDR:PORT", "[v6]:PORT" or ":PORT"; port 0 picks one */
	unsigned threads;   /* 0: one per core */
	const char *web_dir; /* the admin center's files; NULL: none served */
	const char *metrics_listen; /* "ADDR:PORT" of a listener serving GET /metrics without a token; NULL: none */
	const char *access_log;     /* a file to append one JSON line per request to, "-" for stdout; NULL: none */
	/* Staying up (0: no limit for each; `serve` starts from the defaults below). */
	unsigned max_connections;   /* open connections in all */
	unsigned per_address;       /* open connections from one client address */
	unsigned request_timeout_s; /* to send a whole request (headers and body), from the connection's
				     * opening or the request's own first line; not reset by each byte */
	unsigned idle_timeout_s;    /* a connection with nothing sent either way is closed (keep-alive) */
};

#define PS_MAX_CONNECTIONS_DEFAULT 4096
#define PS_PER_ADDRESS_DEFAULT 64
#define PS_REQUEST_TIMEOUT_DEFAULT 10
#define PS_IDLE_TIMEOUT_DEFAULT 30

/* Start serving app. On PS_OK *out runs in background threads until
 * ps_server_stop; the bound port is in ps_server_port. */
ps_code ps_server_start(struct ps_app *app, const struct ps_server_opts *opts, struct ps_server **out,
			struct ps_err *err);
uint16_t ps_server_port(const struct ps_server *s);
/* The --metrics-listen listener's bound port; 0 when there is none. */
uint16_t ps_server_metrics_port(const struct ps_server *s);
void ps_server_stop(struct ps_server *s); /* accepts NULL */
/* Stop accepting connections (the listening socket is closed: new ones are
 * refused) and wait up to ms milliseconds for the requests in flight to be
 * answered; answers from then on close their connection. Returns the
 * requests still in flight (0: all answered). ps_server_stop follows. */
unsigned ps_server_drain(struct ps_server *s, unsigned ms);
/* Reopen the access log file by its name (after a rotation renamed it);
 * on failure the old one stays in use and the error is returned. */
ps_code ps_server_reopen_logs(struct ps_server *s, struct ps_err *err);

/* Print "METHOD PATH  roles  summary" for every route, one per line. */
void ps_routes_print(FILE *f);

#endif
