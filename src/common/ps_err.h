/* ps_err.h: the one error table of planshift (common layer).
 * Every failure in every layer is one of these codes. The X-macro below is the
 * single source for the enum, the API's error code string and the HTTP status.
 * A code travels with a struct ps_err that says which field and why.
 * PS_RETRY: a transaction lost a race (the store says so); run it again
 * from begin. Should it escape, it reads as the store being unavailable. */
#ifndef PS_ERR_H
#define PS_ERR_H

#include <stdarg.h>

/*     NAME                   api code                HTTP  */
#define PS_ERR_MAP(X)                                          \
	X(OK,                  "ok",                   200)    \
	X(INVALID_JSON,        "invalid_json",         400)    \
	X(INVALID_FIELD,       "invalid_field",        400)    \
	X(BAD_REQUEST,         "bad_request",          400)    \
	X(UNAUTHORIZED,        "unauthorized",         401)    \
	X(FORBIDDEN,           "forbidden",            403)    \
	X(NOT_FOUND,           "not_found",            404)    \
	X(METHOD_NOT_ALLOWED,  "method_not_allowed",   405)    \
	X(CONFLICT,            "conflict",             409)    \
	X(UPGRADE_BLOCKED,     "upgrade_blocked",      409)    \
	X(PAYLOAD_TOO_LARGE,   "payload_too_large",    413)    \
	X(URI_TOO_LONG,        "uri_too_long",         414)    \
	X(IDEMPOTENCY_MISMATCH,"idempotency_mismatch", 422)    \
	X(RATE_LIMITED,        "rate_limited",         429)    \
	X(HEADERS_TOO_LARGE,   "headers_too_large",    431)    \
	X(INTERNAL,            "internal_error",       500)    \
	X(STORE,               "store_unavailable",    503)    \
	X(SCHEMA,              "schema_mismatch",      503)    \
	X(RETRY,               "store_unavailable",    503)    \
	X(IO,                  "io_error",             500)    \
	X(HTTP_VERSION,        "http_version_not_supported", 505)

typedef enum {
#define X(name, api, http) PS_##name,
	PS_ERR_MAP(X)
#undef X
	PS__ERR_COUNT
} ps_code;

/* The detail of the last error: which input field (may be empty) and a
 * sentence for a person. Owned by the caller, usually on the stack. */
struct ps_err {
	ps_code code;
	char field[64];
	char msg[512];
};

/* The API's string for a code ("invalid_field"); never NULL. */
const char *ps_code_api(ps_code c);
/* The HTTP status that goes with a code. */
int ps_code_http(ps_code c);

/* Record an error and return its code, so callers write
 * `return ps_err_set(err, PS_INVALID_FIELD, "quantity", "must be ...");`
 * err may be NULL. field may be NULL. */
ps_code ps_err_set(struct ps_err *err, ps_code c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
ps_code ps_err_vset(struct ps_err *err, ps_code c, const char *field, const char *fmt, va_list ap);
void ps_err_clear(struct ps_err *err);

#endif
