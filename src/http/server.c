/* server.c: libmicrohttpd glue (http layer). A request is read whole (capped
 * at PS_BODY_MAX), dispatched through the route table, and answered once, on
 * the last callback, where it is counted (common/metrics.c) and written to
 * the access log (one JSON line, when serve --access-log asks). Every worker
 * thread owns one store handle and one context, reused across its requests.
 * A second listener (--metrics-listen) may serve GET /metrics alone,
 * without a token. */
#include "ps_guard.h"
#include "ps_http_int.h"

#include "../app/ps_access.h"
#include "../app/ps_app_metrics.h"
#include "../app/ps_idem.h"
#include "../app/ps_replica.h"
#include "../app/ps_render.h"
#include "../app/ps_view.h"
#include "../common/ps_log.h"
#include "../common/ps_mem.h"
#include "../common/ps_metrics.h"
#include "../common/ps_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Metric slots past the route table's rows: the admin center's files, and
 * requests no route took (404, 405, 413, a store that cannot be opened). */
#define SLOT_STATIC (ps_n_routes)
#define SLOT_NONE (ps_n_routes + 1)
#define N_SLOTS (ps_n_routes + 2)

#define JSON_CTYPE "application/json; charset=utf-8"

struct ps_server {
	struct MHD_Daemon *d;
	struct MHD_Daemon *metrics_d; /* --metrics-listen, or NULL */
	struct ps_app *app;
	uint16_t port, metrics_port;
	char web_dir[1024]; /* "" when none */
	const char *slot_method[PS_METRICS_ROUTES_MAX];
	const char *slot_route[PS_METRICS_ROUTES_MAX];
	/* The access log: writers hold the read side of the lock (they write
	 * concurrently, a whole line per write(2) on an O_APPEND file), a
	 * reopen the write side while it swaps the descriptor. */
	bool logging; /* an access log was asked for (set once, before any request) */
	int log_fd;
	bool log_reopens; /* a file (not stdout) */
	char log_path[1024];
	pthread_rwlock_t log_lock;
	/* Requests between their first callback and libmicrohttpd's "completed"
	 * (atomic), and whether a drain has begun (atomic). */
	uint64_t in_flight;
	bool draining;
	struct ps_guard *guard; /* the deadline for a request to arrive (guard.c) */
};

/* One per worker thread, made on its first request. */
struct worker {
	struct ps_store *st;
	struct ps_ctx c;
	struct ps_buf out;
	/* serve --db-read: the standby's handle (opened on first use), how far
	 * it had replayed when last asked, and until when (ms, monotonic) not
	 * to use it after it failed. */
	struct ps_store *st_read;
	int64_t replayed;
	uint64_t read_off_until;
};

static pthread_key_t worker_key;
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;
static uint64_t request_seq; /* atomically increased */
static pid_t server_pid;      /* for request ids: getpid(2) is a system call each time */

/* A new request id: req_<pid>_<sequence>. */
static void new_request_id(char out[32])
{
	snprintf(out, 32, "req_%llx_%llu", (unsigned long long)server_pid,
		 (unsigned long long)__atomic_add_fetch(&request_seq, 1, __ATOMIC_RELAXED));
}

static void worker_free(void *p)
{
	struct worker *w = p;
	if (!w)
		return;
	ps_ctx_fini(&w->c);
	ps_store_close(w->st);
	ps_store_close(w->st_read);
	ps_buf_fini(&w->out);
	ps_free(w);
}

static void make_key(void)
{
	pthread_key_create(&worker_key, worker_free);
}

/* A thread's first store connection that cannot be made (the store down,
 * a failover under way): 503, to be tried again shortly, as any store error. */
#define STORE_RETRY_AFTER_(s) #s
#define STORE_RETRY_AFTER_S(s) STORE_RETRY_AFTER_(s)
#define STORE_RETRY_AFTER STORE_RETRY_AFTER_S(PS_STORE_RETRY_S)

static struct worker *worker_get(struct ps_app *app, struct ps_err *err)
{
	pthread_once(&worker_once, make_key);
	struct worker *w = pthread_getspecific(worker_key);
	if (w)
		return w;
	struct ps_store *st = NULL;
	if (ps_store_open(app->db_url, &st, err) != PS_OK)
		return NULL;
	w = ps_calloc(1, sizeof *w);
	w->st = st;
	ps_ctx_init(&w->c, app, st);
	ps_buf_init(&w->out, (size_t)256 << 20);
	pthread_setspecific(worker_key, w);
	return w;
}

/* The state of one request between libmicrohttpd's callbacks. */
struct conn {
	struct ps_buf body;
	bool started;
	uint64_t t0;  /* when its first callback came, in microseconds (monotonic) */
	size_t slot;  /* its metric slot: a route's row, SLOT_STATIC or SLOT_NONE */
	struct ps_server *srv;
	const char *method;
	int64_t tenant, token; /* for the access log: 0 when none */
	char set_cookie[160];  /* the answer's Set-Cookie, when a handler gave one */
	bool close;            /* the body's framing is not trusted: the connection ends after the answer */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One access log line: {time, request_id, method, route, status,
 * duration_ms, tenant, token, bytes}. The route is its template, never the
 * path; the token its id, never its secret. */
static void access_log(struct ps_server *srv, const struct conn *cs, int status, const char *request_id,
		       uint64_t usec, size_t bytes)
{
	struct timespec ts;
	struct tm tm;
	char when[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000L);
	struct ps_buf line;
	struct ps_jw w;
	ps_buf_init(&line, 4096);
	ps_jw_init(&w, &line);
	ps_jw_obj(&w);
	ps_jw_kstr(&w, "time", when);
	ps_jw_kstr(&w, "request_id", request_id);
	ps_jw_kstr(&w, "method", cs->method);
	ps_jw_kstr(&w, "route", srv->slot_route[cs->slot]);
	ps_jw_kint(&w, "status", status);
	ps_jw_key(&w, "duration_ms");
	char ms[32];
	snprintf(ms, sizeof ms, "%.3f", (double)usec / 1000.0);
	ps_jw_raw(&w, ms, strlen(ms));
	ps_jw_kid(&w, "tenant", PS_PFX_TENANT, cs->tenant);
	ps_jw_kid(&w, "token", PS_PFX_TOKEN, cs->token);
	ps_jw_kint(&w, "bytes", (int64_t)bytes);
	ps_jw_obj_end(&w);
	ps_buf_putc(&line, '\n');
	pthread_rwlock_rdlock(&srv->log_lock);
	if (write(srv->log_fd, line.p, line.len) < 0) {
		/* Nothing to do but go on: the request is answered. */
	}
	pthread_rwlock_unlock(&srv->log_lock);
	ps_buf_fini(&line);
}

/* The headers of every answer, pages and API alike: nothing is cached,
 * nothing runs but the admin center's own files (no inline script or
 * style), no page may frame it, types are not guessed, no address leaks in
 * a Referer. */
static const char *const safe_header[][2] = {
    {"Cache-Control", "no-store"},
    {"Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
				"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
				"form-action 'self'; frame-ancestors 'none'"},
    {"X-Frame-Options", "DENY"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
};
#define N_SAFE_HEADERS (sizeof safe_header / sizeof safe_header[0])

static void safe_headers(struct MHD_Response *resp)
{
	for (size_t i = 0; i < N_SAFE_HEADERS; i++)
		MHD_add_response_header(resp, safe_header[i][0], safe_header[i][1]);
}

/* Queue the answer, once per request, count it and log it. */
static enum MHD_Result respond(struct MHD_Connection *conn, struct conn *cs, int status, struct ps_buf *out,
			       const char *ctype, const char *request_id, const char *retry_after, const char *allow)
{
	size_t len = out->len;
	if (cs) {
		uint64_t usec = now_us() - cs->t0;
		ps_metrics_request(cs->slot, status, usec);
		if (cs->srv->logging)
			access_log(cs->srv, cs, status, request_id, usec, len);
	}
	char *text = ps_buf_take(out);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		ps_free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	safe_headers(resp);
	if (cs && cs->set_cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", cs->set_cookie);
	if (cs && (cs->close || __atomic_load_n(&cs->srv->draining, __ATOMIC_RELAXED)))
		MHD_add_response_header(resp, "Connection", "close");
	if (request_id && request_id[0])
		MHD_add_response_header(resp, "X-Request-Id", request_id);
	if (retry_after && retry_after[0])
		MHD_add_response_header(resp, "Retry-After", retry_after);
	if (allow && allow[0])
		MHD_add_response_header(resp, "Allow", allow);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A refusal's body, counted, and a request id for it. */
static void refusal_body(const struct ps_err *e, struct ps_buf *out, char request_id[32])
{
	struct ps_jw w;
	ps_jw_init(&w, out);
	ps_render_error(&w, e);
	ps_metrics_request(SLOT_NONE, ps_code_http(e->code), 0);
	new_request_id(request_id);
}

struct MHD_Response *ps_http_refusal(const struct ps_err *e)
{
	struct ps_buf out;
	char request_id[32];
	ps_buf_init(&out, 4096);
	refusal_body(e, &out, request_id);
	size_t len = out.len;
	char *text = ps_buf_take(&out);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		ps_free(text);
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", JSON_CTYPE);
	safe_headers(resp);
	MHD_add_response_header(resp, "Connection", "close");
	MHD_add_response_header(resp, "X-Request-Id", request_id);
	return resp;
}

void ps_http_refusal_message(const struct ps_err *e, struct ps_buf *msg)
{
	struct ps_buf body;
	char request_id[32];
	ps_buf_init(&body, 4096);
	refusal_body(e, &body, request_id);
	int status = ps_code_http(e->code);
	ps_buf_printf(msg, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: " JSON_CTYPE "\r\n", status,
		      MHD_get_reason_phrase_for((unsigned)status));
	for (size_t i = 0; i < N_SAFE_HEADERS; i++)
		ps_buf_printf(msg, "%s: %s\r\n", safe_header[i][0], safe_header[i][1]);
	ps_buf_printf(msg, "X-Request-Id: %s\r\nContent-Length: %zu\r\n\r\n", request_id, body.len);
	ps_buf_put(msg, body.p, body.len);
	ps_buf_fini(&body);
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, struct conn *cs, struct ps_buf *out,
				     const struct ps_err *e, const char *request_id, const char *retry_after,
				     const char *allow)
{
	struct ps_jw w;
	ps_buf_reset(out);
	ps_jw_init(&w, out);
	ps_render_error(&w, e);
	return respond(conn, cs, ps_code_http(e->code), out, JSON_CTYPE, request_id,
		       retry_after, allow);
}

/* Match path against a route pattern, filling r's ids (typed by
 * ps_path_params). *bad_id is set when the shape matches but an id does not
 * parse (an unknown object: 404). The ids are typed and parsed once the
 * whole pattern matched: most patterns tried fail on a later literal, and
 * parsing every id of every one cost more than the rest of the routing. */
static bool match(const char *pattern, const char *path, struct ps_req *r, bool *bad_id)
{
	const char *p = pattern, *q = path;
	struct {
		const char *seg, *name;
		size_t n, name_len;
	} ids[4];
	size_t n_ids = 0;
	while (*p && *q) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *qe = strchr(q, '/');
			if (!qe)
				qe = q + strlen(q);
			size_t n = (size_t)(qe - q);
			if (n == 0 || n > 40 || n_ids == sizeof ids / sizeof ids[0])
				return false;
			ids[n_ids].seg = q;
			ids[n_ids].n = n;
			ids[n_ids].name = p + 1;
			ids[n_ids++].name_len = (size_t)(pe - p - 1);
			p = pe + 1;
			q = qe;
			continue;
		}
		if (*p != *q)
			return false;
		p++;
		q++;
	}
	if (*p != '\0' || *q != '\0')
		return false;
	for (size_t i = 0; i < n_ids; i++) {
		const struct ps_path_param *param = ps_path_param_find(ids[i].name, ids[i].name_len);
		char seg[48];
		memcpy(seg, ids[i].seg, ids[i].n);
		seg[ids[i].n] = '\0';
		if (!param || !ps_id_parse(seg, param->prefix, (int64_t *)(void *)((char *)r + param->slot)))
			*bad_id = true;
	}
	return true;
}

/* The name of the object key whose value ends at pos in a JSON text
 * (`"quantity": 1e999` -> quantity), to name the field jansson refused. */
static bool key_before(const char *text, size_t pos, char *out, size_t cap)
{
	size_t i = pos;
	while (i > 0 && text[i - 1] != ':')
		i--;
	if (i == 0)
		return false;
	i--; /* at ':' */
	while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n' || text[i - 1] == '\r'))
		i--;
	if (i == 0 || text[i - 1] != '"')
		return false;
	size_t end = --i;
	while (i > 0 && text[i - 1] != '"')
		i--;
	if (i == 0 || end - i == 0 || end - i >= cap)
		return false;
	memcpy(out, text + i, end - i);
	out[end - i] = '\0';
	for (size_t k = 0; out[k]; k++)
		if (!((out[k] >= 'a' && out[k] <= 'z') || out[k] == '_'))
			return false;
	return true;
}

static ps_code parse_body(struct ps_req *r, const struct ps_buf *body, bool needs)
{
	if (body->len == 0) {
		if (needs)
			return ps_err_set(&r->c->err, PS_INVALID_JSON, NULL, "this call needs a JSON object body");
		return PS_OK;
	}
	json_error_t je;
	r->body = json_loadb(body->p, body->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!r->body) {
		char field[64];
		/* "too big integer", "real number overflow": the field is named. */
		if ((strstr(je.text, "too big") || strstr(je.text, "overflow")) && key_before(body->p, (size_t)je.position, field, sizeof field))
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, field, "%s is too large", field);
		return ps_err_set(&r->c->err, PS_INVALID_JSON, NULL, "the body is not valid JSON: %s (line %d, column %d)",
				  je.text, je.line, je.column);
	}
	if (!json_is_object(r->body))
		return ps_err_set(&r->c->err, PS_INVALID_JSON, NULL, "the body must be a JSON object");
	return PS_OK;
}

/* serve --db-read: the handle a read of tenant (0: of every tenant) goes
 * to: the standby's when it has replayed every change this daemon
 * answered for that tenant (ps_replica.h), else the primary's. */
static struct ps_store *read_store(struct ps_app *app, struct worker *wk, int64_t tenant)
{
	struct ps_err err = {0};
	if (!app->db_read_url || now_us() / 1000 < wk->read_off_until)
		return wk->st;
	if (!wk->st_read && ps_store_open(app->db_read_url, &wk->st_read, &err) != PS_OK) {
		ps_log(PS_LOG_WARN, "--db-read: %s: reading from the primary for a while", err.msg);
		ps_store_close(wk->st_read);
		wk->st_read = NULL;
		wk->read_off_until = now_us() / 1000 + 5000;
		return wk->st;
	}
	int64_t need = ps_replica_need(tenant);
	if (wk->replayed < need && wk->st_read->ops->wal_position(wk->st_read, &wk->replayed, &err) != PS_OK) {
		ps_log(PS_LOG_WARN, "--db-read: %s: reading from the primary for a while", err.msg);
		wk->read_off_until = now_us() / 1000 + 5000;
		return wk->st;
	}
	return wk->replayed >= need ? wk->st_read : wk->st;
}

/* serve --db-read: after a change answered, note where the primary's WAL
 * is, for the tenant's next reads. */
static void note_change(struct ps_app *app, struct worker *wk, int64_t tenant)
{
	struct ps_err err = {0};
	int64_t lsn = 0;
	if (!app->db_read_url)
		return;
	if (wk->st->ops->wal_position(wk->st, &lsn, &err) != PS_OK) {
		/* Not known: every read goes to the primary until it is again. */
		lsn = INT64_MAX;
		tenant = 0;
	}
	ps_replica_written(tenant, lsn);
}

static enum MHD_Result dispatch(struct ps_server *srv, struct MHD_Connection *conn, const char *method,
				const char *url, struct conn *cs)
{
	struct ps_err open_err = {0};
	char request_id[32];
	new_request_id(request_id);
	struct worker *wk = worker_get(srv->app, &open_err);
	if (!wk) {
		struct ps_buf tmp;
		ps_buf_init(&tmp, 4096);
		ps_log(PS_LOG_ERROR, "store: %s", open_err.msg);
		ps_err_set(&open_err, PS_STORE, NULL, "the store cannot be opened");
		enum MHD_Result ret = respond_error(conn, cs, &tmp, &open_err, request_id, STORE_RETRY_AFTER, NULL);
		ps_buf_fini(&tmp);
		return ret;
	}
	struct ps_ctx *c = &wk->c;
	ps_ctx_reset(c, ps_app_clock(srv->app, wk->st, false), request_id);
	/* ?lang= wins when it names a language we have; else Accept-Language. */
	const char *lang_q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang");
	bool have_q = false;
	for (int l = 0; lang_q && l < PS_LANG__COUNT; l++)
		have_q = have_q || strncasecmp(lang_q, ps_lang_tag((enum ps_lang)l), 2) == 0;
	c->lang = ps_lang_negotiate(have_q ? lang_q
					   : MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
	ps_buf_reset(&wk->out);

	struct ps_req r;
	memset(&r, 0, sizeof r);
	r.conn = conn;
	r.srv = srv;
	r.method = method;
	r.path = url;
	r.c = c;
	r.out = &wk->out;
	r.status = 200;
	ps_jw_init(&r.w, r.out);

	char allow[128] = "";
	bool replayed = false;
	if (ps_static_wants(method, url)) {
		const char *ctype = NULL;
		cs->slot = SLOT_STATIC;
		if (ps_static_serve(srv->web_dir[0] ? srv->web_dir : NULL, url, r.out, &ctype, &c->err) == PS_OK)
			return respond(conn, cs, 200, r.out, ctype, request_id, NULL, NULL);
		ps_buf_reset(r.out);
		return respond_error(conn, cs, r.out, &c->err, request_id, NULL, NULL);
	}
	const struct ps_route *route = NULL;
	bool bad_id = false, path_known = false;
	struct ps_req probe; /* only its ids are used */
	for (size_t i = 0; i < ps_n_routes; i++) {
		bool bad = false;
		probe.t = probe.s = probe.user = probe.inc = probe.cc = probe.op = probe.tok = 0;
		probe.wh = 0;
		if (!match(ps_routes[i].pattern, url, &probe, &bad))
			continue;
		path_known = true;
		size_t al = strlen(allow);
		snprintf(allow + al, sizeof allow - al, "%s%s", al ? ", " : "", ps_routes[i].method);
		bool same = strcmp(ps_routes[i].method, method) == 0 ||
			    (strcmp(method, "HEAD") == 0 && strcmp(ps_routes[i].method, "GET") == 0);
		if (same && !route) {
			route = &ps_routes[i];
			cs->slot = i;
			bad_id = bad;
			r.t = probe.t;
			r.s = probe.s;
			r.user = probe.user;
			r.inc = probe.inc;
			r.cc = probe.cc;
			r.op = probe.op;
			r.tok = probe.tok;
			r.wh = probe.wh;
		}
	}
	ps_code rc = PS_OK;
	if (!path_known) {
		rc = ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such path: %.200s", url);
	} else if (!route) {
		rc = ps_err_set(&c->err, PS_METHOD_NOT_ALLOWED, NULL, "%s is not allowed here; use %s", method, allow);
	} else {
		if (route->perm != PS_PERM_PUBLIC) {
			struct ps_credentials cr = {
			    .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
			    .session = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "planshift_session"),
			    .csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token"),
			    .changes = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0};
			rc = ps_app_authenticate_request(c, &cr);
			/* The one decision on who may call this, for the tenant of
			 * the path (another tenant's objects do not exist: 404). */
			if (rc == PS_OK)
				rc = ps_app_check(c, route->perm, r.t);
			/* The store's current catalog version (one cheap read). */
			if (rc == PS_OK)
				rc = ps_app_catalog_use(c);
			cs->token = c->who.token_id;
		}
		cs->tenant = r.t ? r.t : c->who.tenant_id;
		if (rc == PS_OK && bad_id)
			rc = ps_err_set(&c->err, PS_NOT_FOUND, NULL, "no such object: %.200s", url);
		if (rc == PS_OK)
			rc = parse_body(&r, &cs->body, route->flags & PS_RF_BODY);
		if (rc == PS_OK && (route->flags & PS_RF_IDEM))
			rc = ps_app_idem_begin(c, &r.idem, r.t,
					       MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key"),
					       method, url, cs->body.p, cs->body.len, r.out, &r.status, &replayed);
		bool reads = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
		bool runs = rc == PS_OK && !replayed;
		if (runs && reads && (r.t || strcmp(route->pattern, "/v1/fleet") == 0)) {
			/* A read of a tenant's, or the sweep: the standby may serve it. */
			c->st = read_store(srv->app, wk, r.t);
			rc = route->fn(&r);
			if (c->st != wk->st && (rc == PS_STORE || rc == PS_RETRY))
				wk->read_off_until = now_us() / 1000 + 5000;
			c->st = wk->st;
		} else if (runs) {
			rc = route->fn(&r);
		}
		if (runs && !reads)
			note_change(srv->app, wk, r.t);
	}
	if (r.body)
		json_decref(r.body);
	if (replayed)
		return respond(conn, cs, r.status, r.out, JSON_CTYPE, request_id, NULL, NULL);
	if (rc != PS_OK) {
		if (rc == PS_STORE || rc == PS_RETRY || rc == PS_INTERNAL || rc == PS_SCHEMA || rc == PS_IO)
			ps_log(PS_LOG_ERROR, "%s %s: %s %s", method, url, ps_code_api(rc), c->err.msg);
		int64_t retry_after_s;
		ps_buf_reset(r.out);
		ps_jw_init(&r.w, r.out);
		ps_render_failure(&r.w, rc, &c->err, r.refusal.snap || r.refusal.n_faults ? &r.refusal : NULL,
				  &retry_after_s);
		if (retry_after_s < 0 && r.idem.retry_after_s > 0)
			retry_after_s = r.idem.retry_after_s;
		if (retry_after_s >= 0)
			snprintf(r.retry_after, sizeof r.retry_after, "%lld", (long long)retry_after_s);
		r.status = ps_code_http(rc);
	}
	ps_app_idem_end(c, &r.idem, r.status, ps_buf_str(r.out));
	if (rc == PS_OK)
		snprintf(cs->set_cookie, sizeof cs->set_cookie, "%s", r.set_cookie);
	return respond(conn, cs, r.status, r.out,
		       rc == PS_OK && r.ctype ? r.ctype : JSON_CTYPE, request_id,
		       r.retry_after, rc == PS_METHOD_NOT_ALLOWED ? allow : NULL);
}

#define METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* The text of GET /metrics into out: the process's counters, then the
 * store's figures. */
static ps_code metrics_text(struct ps_server *srv, struct ps_ctx *c, struct ps_buf *out)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	struct ps_metrics_view v = {.methods = srv->slot_method,
				    .routes = srv->slot_route,
				    .n_routes = N_SLOTS,
				    .open_connections = info ? info->num_connections : 0};
	ps_buf_reset(out);
	ps_metrics_write(out, &v);
	return ps_app_metrics_write(c, out);
}

ps_code ps_h_metrics(struct ps_req *r)
{
	ps_code rc = metrics_text(r->srv, r->c, r->out);
	r->ctype = METRICS_CTYPE;
	return rc;
}

/* The --metrics-listen listener: GET /metrics without a token, nothing
 * else (404). */
static enum MHD_Result on_metrics_request(void *cls, struct MHD_Connection *conn, const char *url,
					  const char *method, const char *version, const char *upload_data,
					  size_t *upload_data_size, void **con_cls)
{
	struct ps_server *srv = cls;
	if (*con_cls == NULL) {
		*con_cls = srv; /* the first callback: headers only */
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	char request_id[32];
	new_request_id(request_id);
	struct ps_err err = {0};
	struct worker *wk = worker_get(srv->app, &err);
	struct ps_buf tmp;
	ps_buf_init(&tmp, 4096);
	enum MHD_Result ret;
	if (!wk) {
		ps_log(PS_LOG_ERROR, "store: %s", err.msg);
		ps_err_set(&err, PS_STORE, NULL, "the store cannot be opened");
		ret = respond_error(conn, NULL, &tmp, &err, request_id, STORE_RETRY_AFTER, NULL);
	} else if (strcmp(url, "/metrics") != 0 || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
		ps_err_set(&err, PS_NOT_FOUND, NULL, "this listener serves GET /metrics only");
		ret = respond_error(conn, NULL, &tmp, &err, request_id, NULL, NULL);
	} else {
		ps_ctx_reset(&wk->c, ps_app_clock(srv->app, wk->st, false), request_id);
		ps_code rc = metrics_text(srv, &wk->c, &wk->out);
		if (rc == PS_OK)
			ret = respond(conn, NULL, 200, &wk->out, METRICS_CTYPE, request_id, NULL, NULL);
		else
			ret = respond_error(conn, NULL, &tmp, &wk->c.err, request_id, NULL, NULL);
	}
	ps_buf_fini(&tmp);
	return ret;
}

/* Answer an error before (or instead of) reading the body. */
static enum MHD_Result refuse_early(struct MHD_Connection *conn, struct conn *cs, ps_code code, const char *field,
				    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result refuse_early(struct MHD_Connection *conn, struct conn *cs, ps_code code, const char *field,
				    const char *fmt, ...)
{
	struct ps_buf tmp;
	struct ps_err e;
	char request_id[32];
	new_request_id(request_id);
	va_list ap;
	va_start(ap, fmt);
	ps_err_vset(&e, code, field, fmt, ap);
	va_end(ap);
	ps_buf_init(&tmp, 4096);
	enum MHD_Result ret = respond_error(conn, cs, &tmp, &e, request_id, NULL, NULL);
	ps_buf_fini(&tmp);
	return ret;
}

static enum MHD_Result too_large(struct MHD_Connection *conn, struct conn *cs)
{
	return refuse_early(conn, cs, PS_PAYLOAD_TOO_LARGE, NULL, "the body is larger than %zu bytes", PS_BODY_MAX);
}

/* The connection's deadline (guard.c), or NULL. */
static struct ps_guard_conn *conn_guard(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* A connection opens or closes: its deadline begins or is forgotten. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct ps_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? ps_guard_open(srv->guard, ci->connect_fd) : NULL;
	} else {
		ps_guard_close(*socket_context);
		*socket_context = NULL;
	}
}

/* A request line came: the request's deadline runs (guard.c). Returns the
 * request's first context: none (on_request makes it). */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)uri;
	ps_guard_begin(conn_guard(conn));
	return NULL;
}

/* libmicrohttpd's own messages (a client closed early, a malformed
 * request): one timed line each, and few a second however many come. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	ps_log_vflood(PS_LOG_WARN, fmt, ap);
}

/* Whether a request has a Content-Length other than its first. */
struct lengths {
	const char *first;
	bool differ;
};

static enum MHD_Result other_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct lengths *ls = cls;
	(void)kind;
	if (strcasecmp(key, "Content-Length") == 0 && ls->first && strcmp(value, ls->first) != 0)
		ls->differ = true;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct ps_server *srv = cls;
	struct conn *cs = *con_cls;
	if (!cs) {
		cs = ps_calloc(1, sizeof *cs);
		cs->t0 = now_us();
		cs->slot = SLOT_NONE;
		cs->srv = srv;
		cs->method = method;
		__atomic_add_fetch(&srv->in_flight, 1, __ATOMIC_RELAXED);
		ps_buf_init(&cs->body, PS_BODY_MAX);
		*con_cls = cs;
		/* A body framed in a way libmicrohttpd does not read would hold
		 * the connection until its timeout: refused now. */
		const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
		if (te && strcasecmp(te, "chunked") != 0) {
			cs->started = true;
			cs->close = true;
			return refuse_early(conn, cs, PS_INVALID_FIELD, "Transfer-Encoding",
					    "Transfer-Encoding: only chunked is accepted");
		}
		/* libmicrohttpd reads the first Content-Length; two that differ,
		 * or a length beside chunked framing, leave the body's end
		 * uncertain to whatever proxy stands in front (request
		 * smuggling: RFC 9112 6.3 lets a server refuse it). */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (te && cl) {
			cs->started = true;
			cs->close = true;
			return refuse_early(conn, cs, PS_INVALID_FIELD, "Content-Length",
					    "Content-Length beside Transfer-Encoding: chunked: send one or the other");
		}
		struct lengths ls = {.first = cl};
		MHD_get_connection_values(conn, MHD_HEADER_KIND, other_length, &ls);
		if (ls.differ) {
			cs->started = true;
			cs->close = true;
			return refuse_early(conn, cs, PS_INVALID_FIELD, "Content-Length",
					    "Content-Length is given twice with different values");
		}
		if (cl) {
			char *end;
			unsigned long long n = strtoull(cl, &end, 10);
			if (*end == '\0' && n > PS_BODY_MAX) {
				cs->body.toobig = true;
				/* A client waiting for 100 Continue is answered
				 * now and never sends the body; any other is read
				 * to the end (and dropped), so it sees the 413
				 * rather than a reset in the middle of its write. */
				const char *ex = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
				if (ex && strcasecmp(ex, "100-continue") == 0) {
					cs->started = true;
					return too_large(conn, cs);
				}
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* Past the cap the rest is read and dropped; the answer (413)
		 * comes on the last callback, the only one that may queue it. */
		if (!cs->body.toobig)
			ps_buf_put(&cs->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (cs->started)
		return MHD_YES;
	cs->started = true;
	ps_guard_arrived(conn_guard(conn));
	if (cs->body.toobig)
		return too_large(conn, cs);
	return dispatch(srv, conn, method, url, cs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn *cs = *con_cls;
	if (!cs)
		return;
	__atomic_sub_fetch(&cs->srv->in_flight, 1, __ATOMIC_RELEASE);
	ps_buf_fini(&cs->body);
	ps_free(cs);
	*con_cls = NULL;
}

/* s as a socket address; errors name `what` (the flag: --listen). */
static ps_code parse_listen(const char *what, const char *s, struct sockaddr_storage *ss, bool *v6,
			    struct ps_err *err)
{
	memset(ss, 0, sizeof *ss);
	const char *colon = strrchr(s, ':');
	if (!colon)
		return ps_err_set(err, PS_INVALID_FIELD, what + 2, "%s takes ADDR:PORT, e.g. 127.0.0.1:8080", what);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port < 0 || port > 65535)
		return ps_err_set(err, PS_INVALID_FIELD, what + 2, "%s: bad port in %s", what, s);
	char host[64];
	size_t hl = (size_t)(colon - s);
	if (hl >= sizeof host)
		return ps_err_set(err, PS_INVALID_FIELD, what + 2, "%s: address too long", what);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);
		if (n < 2 || host[n - 1] != ']')
			return ps_err_set(err, PS_INVALID_FIELD, what + 2, "%s: bad IPv6 address in %s", what, s);
		host[n - 1] = '\0';
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return ps_err_set(err, PS_INVALID_FIELD, what + 2, "%s: bad IPv6 address in %s", what, s);
		*v6 = true;
		return PS_OK;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return ps_err_set(err, PS_INVALID_FIELD, what + 2, "%s: bad IPv4 address in %s", what, s);
	*v6 = false;
	return PS_OK;
}

ps_code ps_server_start(struct ps_app *app, const struct ps_server_opts *opts, struct ps_server **out,
			struct ps_err *err)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	ps_code rc = parse_listen("--listen", opts->listen ? opts->listen : "127.0.0.1:8080", &ss, &v6, err);
	if (rc != PS_OK)
		return rc;
	struct sockaddr_storage mss;
	bool mv6 = false;
	if (opts->metrics_listen && (rc = parse_listen("--metrics-listen", opts->metrics_listen, &mss, &mv6, err)) != PS_OK)
		return rc;
	if (N_SLOTS > PS_METRICS_ROUTES_MAX)
		return ps_err_set(err, PS_INTERNAL, NULL, "more routes than metric slots (PS_METRICS_ROUTES_MAX)");
	unsigned threads = opts->threads;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 2;
	}
	struct ps_server *srv = ps_calloc(1, sizeof *srv);
	srv->app = app;
	if (opts->web_dir)
		snprintf(srv->web_dir, sizeof srv->web_dir, "%s", opts->web_dir);
	for (size_t i = 0; i < ps_n_routes; i++) {
		srv->slot_method[i] = ps_routes[i].method;
		srv->slot_route[i] = ps_routes[i].pattern;
	}
	srv->slot_method[SLOT_STATIC] = "GET";
	srv->slot_route[SLOT_STATIC] = "static";
	srv->slot_method[SLOT_NONE] = "any";
	srv->slot_route[SLOT_NONE] = "unmatched";
	server_pid = getpid();
	ps_metrics_set_start(ps_time_system());
	srv->log_fd = -1;
	pthread_rwlock_init(&srv->log_lock, NULL);
	srv->logging = opts->access_log != NULL;
	if (opts->access_log && strcmp(opts->access_log, "-") == 0) {
		srv->log_fd = STDOUT_FILENO;
	} else if (opts->access_log) {
		snprintf(srv->log_path, sizeof srv->log_path, "%s", opts->access_log);
		srv->log_reopens = true;
		srv->log_fd = open(srv->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (srv->log_fd < 0) {
			rc = ps_err_set(err, PS_IO, "access-log", "cannot open the access log %s: %s", srv->log_path,
					strerror(errno));
			pthread_rwlock_destroy(&srv->log_lock);
			ps_free(srv);
			return rc;
		}
	}
	/* ITC: MHD_quiesce_daemon (ps_server_drain) needs it with a thread pool. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (v6)
		flags |= MHD_USE_IPv6;
	/* One client cannot take every connection (per address), nor hold one
	 * by sending a byte at a time (the guard's deadline), nor by sending
	 * nothing (the idle timeout, libmicrohttpd's, reset by each byte). */
	srv->guard = ps_guard_start(opts->request_timeout_s * 1000u);
	struct MHD_OptionItem limits[4];
	size_t nl = 0;
	limits[nl++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)opts->idle_timeout_s, NULL};
	if (opts->max_connections)
		limits[nl++] =
		    (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)opts->max_connections, NULL};
	if (opts->per_address)
		limits[nl++] =
		    (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)opts->per_address, NULL};
	limits[nl] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_URI_LOG_CALLBACK,
				  on_request_line, srv, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_ARRAY, limits,
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!srv->d) {
		ps_guard_stop(srv->guard);
		if (srv->log_reopens)
			close(srv->log_fd);
		pthread_rwlock_destroy(&srv->log_lock);
		ps_free(srv);
		return ps_err_set(err, PS_IO, "listen", "cannot listen on %s (in use, or not an address of this machine)",
				  opts->listen ? opts->listen : "127.0.0.1:8080");
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : 0;
	if (opts->metrics_listen) {
		srv->metrics_d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
							  (mv6 ? MHD_USE_IPv6 : 0),
						  0, NULL, NULL, on_metrics_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
						  mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &mss,
						  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
						  MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
		if (!srv->metrics_d) {
			MHD_stop_daemon(srv->d);
			ps_guard_stop(srv->guard);
			if (srv->log_reopens)
				close(srv->log_fd);
			pthread_rwlock_destroy(&srv->log_lock);
			ps_free(srv);
			return ps_err_set(err, PS_IO, "metrics-listen",
					  "cannot listen on %s (in use, or not an address of this machine)",
					  opts->metrics_listen);
		}
		info = MHD_get_daemon_info(srv->metrics_d, MHD_DAEMON_INFO_BIND_PORT);
		srv->metrics_port = info ? info->port : 0;
	}
	*out = srv;
	return PS_OK;
}

uint16_t ps_server_port(const struct ps_server *s)
{
	return s->port;
}

uint16_t ps_server_metrics_port(const struct ps_server *s)
{
	return s->metrics_port;
}

void ps_server_stop(struct ps_server *s)
{
	if (!s)
		return;
	if (s->metrics_d)
		MHD_stop_daemon(s->metrics_d);
	MHD_stop_daemon(s->d);
	ps_guard_stop(s->guard);
	if (s->log_reopens)
		close(s->log_fd);
	pthread_rwlock_destroy(&s->log_lock);
	ps_free(s);
}

ps_code ps_server_reopen_logs(struct ps_server *s, struct ps_err *err)
{
	if (!s->log_reopens)
		return PS_OK;
	int fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return ps_err_set(err, PS_IO, "access-log", "cannot reopen the access log %s: %s (still writing the old one)",
				  s->log_path, strerror(errno));
	pthread_rwlock_wrlock(&s->log_lock);
	int old = s->log_fd;
	s->log_fd = fd;
	pthread_rwlock_unlock(&s->log_lock);
	close(old);
	return PS_OK;
}

unsigned ps_server_drain(struct ps_server *s, unsigned ms)
{
	__atomic_store_n(&s->draining, true, __ATOMIC_RELAXED);
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	else
		ps_log(PS_LOG_WARN, "stopping: could not stop accepting connections before the drain");
	/* Poll: the workers answer on their own; this thread only waits. */
	for (unsigned waited = 0;; waited += 10) {
		uint64_t n = __atomic_load_n(&s->in_flight, __ATOMIC_ACQUIRE);
		if (n == 0 || waited >= ms)
			return (unsigned)n;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
}
