/* idem.c: idempotency keys (app layer): reserve a key, find the first
 * call's answer, keep it or let go of it (ps_idem.h). A key is bound to the
 * request's meaning: its method, path, caller and canonical JSON body. */
#include "ps_idem.h"

#include "../common/ps_mem.h"
#include "../common/ps_secret.h"
#include "../common/ps_time.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long an answer is kept (at least 24 hours are promised). */
#define PS_IDEM_KEEP_S (48 * 3600)
/* How long a twin waits for the first call with its key to finish, and how
 * old a reservation must be to count as abandoned (its daemon died: the
 * reservation and the change are separate writes, so such a call is not
 * run again; the caller is told to check and use a new key). */
#define PS_IDEM_WAIT_MS 30000
#define PS_IDEM_STALE_S 120
/* Old keys are purged once every this many kept answers. */
#define PS_IDEM_PURGE_EVERY 1024

/* The body as it means: its JSON with the keys sorted and no whitespace, so
 * that {"amount": 100} and {"amount":100} are one request (free(); NULL for
 * a body that is not JSON, which the transport refuses before). */
static char *canonical(const char *body, size_t len)
{
	json_error_t je;
	json_t *v = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &je) : NULL;
	char *canon = v ? json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	return canon;
}

ps_code ps_app_idem_begin(struct ps_ctx *c, struct ps_idem_call *call, int64_t tenant, const char *key,
			  const char *method, const char *path, const char *body, size_t len, struct ps_buf *replay,
			  int *status, bool *replayed)
{
	struct ps_store *st = c->st;
	memset(call, 0, sizeof *call);
	*replayed = false;
	if (!key)
		return PS_OK;
	size_t n = strlen(key);
	if (n == 0 || n >= sizeof call->key)
		return ps_err_set(&c->err, PS_INVALID_FIELD, "Idempotency-Key",
				  "Idempotency-Key must be 1 to 255 characters");
	char *canon = canonical(body, len);
	if (canon) {
		body = canon;
		len = strlen(canon);
	}
	struct ps_buf h;
	ps_buf_init(&h, len + 1024 + strlen(path));
	ps_buf_printf(&h, "%s %s %lld\n", method, path, (long long)c->who.token_id);
	ps_buf_put(&h, body ? body : "", len);
	ps_sha256_hex(ps_buf_str(&h), h.len, call->hash);
	ps_buf_fini(&h);
	free(canon);

	struct ps_idem k;
	memset(&k, 0, sizeof k);
	k.tenant_id = tenant;
	snprintf(k.key, sizeof k.key, "%s", key);
	snprintf(k.request_hash, sizeof k.request_hash, "%s", call->hash);
	int64_t now = ps_time_system();
	k.created_at = now;
	for (int waited = 0;; waited += 10) {
		/* Reserve the key (status 0: running); a twin finds it taken. */
		ps_code rc = st->ops->idem_insert(st, &k, &c->err);
		if (rc == PS_OK) {
			call->tenant = tenant;
			snprintf(call->key, sizeof call->key, "%s", key);
			return PS_OK;
		}
		if (rc != PS_CONFLICT)
			return rc;
		struct ps_idem got;
		memset(&got, 0, sizeof got);
		rc = st->ops->idem_find(st, tenant, key, &got, &c->err);
		if (rc == PS_NOT_FOUND)
			continue; /* the first call failed and let go of it: take it */
		if (rc != PS_OK)
			return rc;
		if (strcmp(got.request_hash, call->hash) != 0) {
			ps_free(got.response);
			return ps_err_set(&c->err, PS_IDEMPOTENCY_MISMATCH, "Idempotency-Key",
					  "this Idempotency-Key was used for a different request");
		}
		if (got.status != 0) {
			ps_buf_reset(replay);
			ps_buf_puts(replay, got.response ? got.response : "");
			ps_free(got.response);
			*status = got.status;
			*replayed = true;
			return PS_OK;
		}
		ps_free(got.response);
		if (got.created_at < now - PS_IDEM_STALE_S)
			/* Its daemon stopped before answering: the call may or may
			 * not have taken effect, so it is not run again blindly. */
			return ps_err_set(&c->err, PS_CONFLICT, "Idempotency-Key",
					  "the first request with this Idempotency-Key never finished: check "
					  "whether it took effect, then retry with a new key");
		if (waited >= PS_IDEM_WAIT_MS)
			return ps_err_set(&c->err, PS_CONFLICT, "Idempotency-Key",
					  "a request with this Idempotency-Key is still running; retry shortly");
		usleep(10000);
	}
}

void ps_app_idem_end(struct ps_ctx *c, const struct ps_idem_call *call, int status, const char *response)
{
	struct ps_idem k;
	struct ps_err e;
	if (!call->key[0])
		return;
	if (status < 200 || status >= 300) {
		c->st->ops->idem_delete(c->st, call->tenant, call->key, &e);
		return;
	}
	memset(&k, 0, sizeof k);
	k.tenant_id = call->tenant;
	snprintf(k.key, sizeof k.key, "%s", call->key);
	k.status = status;
	k.response = (char *)response;
	c->st->ops->idem_complete(c->st, &k, &e);
	if (__atomic_add_fetch(&c->app->idem_kept, 1, __ATOMIC_RELAXED) % PS_IDEM_PURGE_EVERY == 0)
		c->st->ops->idem_purge(c->st, ps_time_system() - PS_IDEM_KEEP_S, &e);
}
