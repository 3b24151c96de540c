/* ps_idem.h: idempotency keys (app layer). A change sent again with the
 * same Idempotency-Key gets the answer of the first; the same key with
 * another request (another method, path, caller, or a body of another
 * meaning: key order and whitespace do not count) is refused (422); a success is kept under its key (at
 * least 24 hours), anything else lets go of the key so that a retry may
 * succeed. Keys age by the system's time, not the manual clock. */
#ifndef PS_IDEM_H
#define PS_IDEM_H

#include "ps_app.h"

/* One call under a key, between begin and end. */
struct ps_idem_call {
	int64_t tenant;
	char key[256];  /* "" when no key was reserved: end does nothing */
	char hash[65];  /* of the method, path, caller's token and canonical body */
	int retry_after_s; /* > 0 on PS_CONFLICT when a retry after that many seconds may succeed */
};

/* Before the change of `method path` with `body` (len bytes), sent under
 * `key` (NULL: none, nothing to do) for `tenant` (0 when the path names
 * none). On PS_OK either *replayed is true, and *status and `replay` hold
 * the first call's answer, or the key is reserved in call and
 * ps_app_idem_end must follow the change. Errors: PS_INVALID_FIELD (a key
 * of 0 or more than 255 characters), PS_IDEMPOTENCY_MISMATCH (the key was
 * used for another request), PS_CONFLICT with call->retry_after_s (the
 * first call is still running: answered at once, never waited for), or the
 * store's. A key whose daemon is gone (it died while running the call) is
 * taken over: this call runs. */
ps_code ps_app_idem_begin(struct ps_ctx *c, struct ps_idem_call *call, int64_t tenant, const char *key,
			  const char *method, const char *path, const char *body, size_t len, struct ps_buf *replay,
			  int *status, bool *replayed);
/* After the change: keep a 2xx answer under the key, else let go of it.
 * Errors are not reported: the answer stands either way. */
void ps_app_idem_end(struct ps_ctx *c, const struct ps_idem_call *call, int status, const char *response);
/* In a write transaction of the request (ps_app_tx, before its commit):
 * mark its reserved key as changed in that transaction, so that a retry
 * after a commit whose outcome was unknown (the connection lost during
 * COMMIT, a failover) never runs the change twice. PS_OK when the request
 * holds no key. */
ps_code ps_app_idem_mark(struct ps_ctx *c);

/* This process: "INSTANCE/BOOT/PID/START" (a random id made at its start,
 * the machine's boot id, its process id and start time): the owner of the
 * idempotency keys it runs and of the webhook attempts it leases. */
const char *ps_app_self(void);

#endif
