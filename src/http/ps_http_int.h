/* ps_http_int.h: what the server, the route table and the handlers share
 * (http layer; not for other layers). A handler has one shape: read the
 * request (path ids, query, JSON body), call the app layer, render into
 * r->w, set r->status. It returns PS_OK or an error code with r->c->err
 * filled, which the server renders as the JSON error object. */
#ifndef PS_HTTP_INT_H
#define PS_HTTP_INT_H

#include "ps_http.h"

#include "../app/ps_access.h"
#include "../app/ps_idem.h"
#include "../app/ps_view.h"
#include "../common/ps_json.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#define PS_BODY_MAX ((size_t)1 << 20) /* 1 MiB; more is 413 */
#define PS_PAGE_DEFAULT 100
#define PS_PAGE_MAX 500

struct ps_req {
	struct MHD_Connection *conn;
	struct ps_server *srv;
	const char *method;
	const char *path;
	struct ps_ctx *c;      /* the worker's context, reset per request */
	struct ps_buf *out;    /* the response body */
	struct ps_jw w;
	int status;            /* 200 unless a handler says otherwise */
	const char *ctype;     /* the answer's Content-Type; NULL: JSON */
	json_t *body;          /* the parsed body, NULL when there was none */
	/* ids from the path, 0 when the route has none */
	int64_t t, s, user, inc, cc, op, tok;
	int64_t wh; /* a webhook (h_webhooks.c) */
	char retry_after[24];  /* a Retry-After header value, when set */
	char set_cookie[160];  /* a Set-Cookie header value, when set */
	struct ps_idem_call idem; /* the Idempotency-Key of a call to remember */
	struct ps_refusal refusal; /* set by a handler whose change was refused, to explain it */
};

typedef ps_code (*ps_handler)(struct ps_req *r);

/* Route flags. */
#define PS_RF_BODY 1u /* the call needs a JSON object body */
#define PS_RF_IDEM 2u /* an Idempotency-Key applies: a change whose answer may be replayed */

/* One row of the route table: the method and path (with typed parameters,
 * ps_path_params), the permission the caller needs (the app layer decides
 * who holds it, with the tenant of the path), the flags and the handler. */
struct ps_route {
	const char *method;
	const char *pattern; /* "/v1/tenants/{t}/subscriptions/{s}" */
	ps_handler fn;
	enum ps_perm perm;
	unsigned flags;
	const char *summary;
};

/* A typed path parameter: "{name}" in a pattern is an id with this prefix
 * ("sub_12"), read into the int64_t at `slot` (an offset in struct ps_req).
 * A segment that does not parse is an unknown object: 404. */
struct ps_path_param {
	const char *name;
	const char *prefix;
	size_t slot;
};
extern const struct ps_path_param ps_path_params[];
extern const size_t ps_n_path_params;
/* The parameter called name (n bytes), or NULL. */
const struct ps_path_param *ps_path_param_find(const char *name, size_t n);

extern const struct ps_route ps_routes[];
extern const size_t ps_n_routes;

/* Body fields. Each names the field in its error. `allowed` is the NULL-
 * terminated list of fields the call takes; any other is invalid_field. */
ps_code ps_body_only(struct ps_req *r, const char *const *allowed);
ps_code ps_body_str(struct ps_req *r, const char *key, bool required, const char **out);
ps_code ps_body_int(struct ps_req *r, const char *key, bool required, int64_t *out, bool *present);
ps_code ps_body_bool(struct ps_req *r, const char *key, bool *out);
/* An id string with a prefix ("sub_12") in the body. */
ps_code ps_body_id(struct ps_req *r, const char *key, const char *prefix, int64_t *out);

/* Query parameters. */
const char *ps_query(struct ps_req *r, const char *key);
/* Whether the query names key at all ("?fresh" as well as "?fresh=1"). */
bool ps_query_has(struct ps_req *r, const char *key);
/* ?limit= and ?after= (an id with `prefix`); errors name the parameter. */
ps_code ps_page(struct ps_req *r, const char *prefix, int64_t *after, size_t *limit);

/* Lists: {"items": [ ... ], "next": "pfx_N" | null}. ps_list_open reads
 * ?limit= and ?after= (an id with `prefix`, as ps_page) and opens the
 * list; the handler asks its list use case for wk->limit + 1 rows with a
 * row callback that renders a row when ps_walk_take() says so (false past
 * the limit, which only tells that there is a next page); ps_list_close
 * returns rc, the use case's answer, and on PS_OK writes the cursor. */
struct ps_walk {
	struct ps_req *r;
	const char *prefix;
	size_t n, limit;
	int64_t last;
	bool more;
};
ps_code ps_list_open(struct ps_req *r, const char *prefix, struct ps_walk *wk, int64_t *after);
bool ps_walk_take(struct ps_walk *wk, int64_t id);
ps_code ps_list_close(struct ps_walk *wk, ps_code rc);
/* A row callback `name` for rows of `type`: takes the row (by its `key`)
 * while the page has room and renders it with render(w, row). */
#define PS_LIST_ROW(name, type, key, render)                                                                           \
	static bool name(void *arg, const type *row)                                                                   \
	{                                                                                                              \
		struct ps_walk *wk = arg;                                                                              \
		if (!ps_walk_take(wk, row->key))                                                                       \
			return false;                                                                                  \
		render(&wk->r->w, row);                                                                                \
		return true;                                                                                           \
	}

/* GET /metrics (server.c): the process's counters and the store's figures
 * in Prometheus' text format. */
ps_code ps_h_metrics(struct ps_req *r);

/* The admin center's static files (static.c). */
bool ps_static_wants(const char *method, const char *path);
/* The file for path from web_dir (NULL: none, every file is 404). */
ps_code ps_static_serve(const char *web_dir, const char *path, struct ps_buf *out, const char **ctype,
			struct ps_err *err);

/* The JSON answer to a request libmicrohttpd refused itself (server.c; made
 * by mhd_refusal.c): the error shape, the headers of every answer,
 * `Connection: close`, counted under "unmatched". NULL when out of memory. */
struct MHD_Response *ps_http_refusal(const struct ps_err *e);
/* The same answer as a whole HTTP/1.1 message appended to msg, for a
 * refusal that must be written to the socket directly (mhd_refusal.c). */
void ps_http_refusal_message(const struct ps_err *e, struct ps_buf *msg);

#endif
