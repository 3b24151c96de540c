/* idem.c: idempotency keys (app layer): reserve a key, find the first
 * call's answer, keep it or let go of it (ps_idem.h). A key is bound to the
 * request's meaning: its method, path, caller and canonical JSON body. A
 * running key records the daemon running it, so that a retry takes over at
 * once the key of a daemon that died, and no thread ever waits for another. */
#include "ps_idem.h"

#include "../common/ps_mem.h"
#include "../common/ps_secret.h"
#include "../common/ps_time.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* How long an answer is kept (at least 24 hours are promised). */
#define PS_IDEM_KEEP_S (48 * 3600)
/* How old a running key of a daemon on another machine (or a former boot
 * of this one) must be to count as abandoned: its process cannot be looked
 * at from here. */
#define PS_IDEM_STALE_S 120
/* Old keys are purged once every this many kept answers. */
#define PS_IDEM_PURGE_EVERY 1024
/* A twin of a running call is told to come back after this many seconds. */
#define PS_IDEM_RETRY_S 1

/* This process as the owner of the keys it runs:
 * "INSTANCE/BOOT/PID/START": a random id made at its start, the machine's
 * boot id, its process id and that process's start time (in clock ticks
 * since the boot), so that another daemon on the same machine can tell at
 * once whether the process is still there, even if its id was reused. */
static char self_owner[128];
static char self_instance[17], self_boot[40];
static long self_pid;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

/* The start time of process pid, from /proc/PID/stat (field 22); 0 when
 * there is no such process. */
static unsigned long long proc_start(long pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	const char *p = strrchr(text, ')'); /* after the command name, which may hold spaces */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void self_init(void)
{
	unsigned char r[8] = {0};
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* No randomness: the time and the process id still tell instances apart. */
		uint64_t t = (uint64_t)ps_time_system() ^ ((uint64_t)getpid() << 32);
		memcpy(r, &t, sizeof r);
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(self_instance + 2 * i, 3, "%02x", r[i]);
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f || !fgets(self_boot, sizeof self_boot, f))
		snprintf(self_boot, sizeof self_boot, "unknown");
	if (f)
		fclose(f);
	self_boot[strcspn(self_boot, "\n/")] = '\0';
	self_pid = (long)getpid();
	snprintf(self_owner, sizeof self_owner, "%s/%s/%ld/%llu", self_instance, self_boot, self_pid,
		 proc_start(self_pid));
}

const char *ps_app_self(void)
{
	pthread_once(&self_once, self_init);
	return self_owner;
}

/* The keys this process runs now, each call listed from before it tries
 * the store until its end is written: one of its own
 * keys found running that is not here was left by a call whose end could
 * not write (the store failed then), and is taken over like a dead one's. */
struct running {
	struct running *next;
	int64_t tenant;
	char key[256];
};
static struct running *running_keys;
static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;

static void running_add(int64_t tenant, const char *key)
{
	struct running *r = ps_calloc(1, sizeof *r);
	r->tenant = tenant;
	snprintf(r->key, sizeof r->key, "%s", key);
	pthread_mutex_lock(&running_lock);
	r->next = running_keys;
	running_keys = r;
	pthread_mutex_unlock(&running_lock);
}

static void running_remove(int64_t tenant, const char *key)
{
	pthread_mutex_lock(&running_lock);
	for (struct running **p = &running_keys; *p; p = &(*p)->next)
		if ((*p)->tenant == tenant && strcmp((*p)->key, key) == 0) {
			struct running *r = *p;
			*p = r->next;
			ps_free(r);
			break;
		}
	pthread_mutex_unlock(&running_lock);
}

/* Whether a call other than the asking one (listed too) runs the key here. */
static bool running_elsewhere(int64_t tenant, const char *key)
{
	int n = 0;
	pthread_mutex_lock(&running_lock);
	for (struct running *r = running_keys; r && n < 2; r = r->next)
		n += r->tenant == tenant && strcmp(r->key, key) == 0;
	pthread_mutex_unlock(&running_lock);
	return n >= 2;
}

/* The answers of changes made whose keeping failed (the store lost between
 * the change's commit and the answer: a failover): kept by the next call
 * of this process that reaches the store, before it looks at any key, so
 * that a retry gets the answer instead of "carried out, answer lost". Only
 * keys marked changed: no other call can take them over meanwhile. */
struct later {
	struct later *next;
	struct ps_idem k;
};
static struct later *keep_list;
static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;

static void keep_later(const struct ps_idem *k)
{
	struct later *l = ps_calloc(1, sizeof *l);
	l->k = *k;
	l->k.response = ps_strdup(k->response ? k->response : "");
	pthread_mutex_lock(&keep_lock);
	l->next = keep_list;
	keep_list = l;
	pthread_mutex_unlock(&keep_lock);
}

/* Taken off the list while this thread writes them (no other thread waits
 * on the store for it); those left go back. */
static void keep_now(struct ps_store *st)
{
	struct ps_err e;
	pthread_mutex_lock(&keep_lock);
	struct later *todo = keep_list;
	keep_list = NULL;
	pthread_mutex_unlock(&keep_lock);
	while (todo) {
		ps_code rc = st->ops->idem_complete(st, &todo->k, &e);
		if (rc != PS_OK && rc != PS_NOT_FOUND)
			break; /* the store still fails: the next call tries again */
		struct later *l = todo;
		todo = l->next;
		ps_free(l->k.response);
		ps_free(l);
	}
	if (!todo)
		return;
	struct later *last = todo;
	while (last->next)
		last = last->next;
	pthread_mutex_lock(&keep_lock);
	last->next = keep_list;
	keep_list = todo;
	pthread_mutex_unlock(&keep_lock);
}

/* Whether the daemon that reserved a key (owner, at created_at) is gone, or
 * is this process and no longer runs it. */
static bool owner_is_gone(const char *owner, int64_t created_at, int64_t now, int64_t tenant, const char *key)
{
	char inst[17], boot[40];
	long pid;
	unsigned long long start;
	if (sscanf(owner, "%16[0-9a-f]/%39[^/]/%ld/%llu", inst, boot, &pid, &start) != 4 ||
	    strcmp(boot, self_boot) != 0 || strcmp(boot, "unknown") == 0)
		return created_at < now - PS_IDEM_STALE_S;
	if (strcmp(inst, self_instance) == 0)
		return !running_elsewhere(tenant, key); /* this process: running on another thread, or left */
	if (pid == self_pid)
		return true; /* another instance had this process id: it is gone */
	return proc_start(pid) != start;
}

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

/* Reserve k (or take it over from a daemon that is gone), replay its
 * answer, or refuse: see ps_app_idem_begin. *ours: reserved for this call. */
static ps_code take_key(struct ps_ctx *c, struct ps_idem_call *call, struct ps_idem *k, int64_t now,
			struct ps_buf *replay, int *status, bool *replayed, bool *ours)
{
	struct ps_store *st = c->st;
	int64_t tenant = k->tenant_id;
	const char *key = k->key;
	*ours = false;
	bool rechecked = false;
	/* No wait on this thread: the key is ours, or replayed, or refused now.
	 * Each round follows a change made by another request meanwhile (the
	 * key let go of, or taken over), so a few are plenty. */
	for (int round = 0; round < 4; round++) {
		/* Reserve the key (status 0: running); a twin finds it taken. */
		ps_code rc = st->ops->idem_insert(st, k, &c->err);
		if (rc == PS_OK) {
			*ours = true;
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
		size_t changed = strlen(PS_IDEM_CHANGED);
		if (strncmp(got.owner, PS_IDEM_CHANGED, changed) == 0) {
			/* Its change committed; its answer was never kept (its
			 * daemon lost the store between the two): never run again. */
			if (!owner_is_gone(got.owner + changed, got.created_at, now, tenant, key)) {
				call->retry_after_s = PS_IDEM_RETRY_S;
				return ps_err_set(&c->err, PS_CONFLICT, "Idempotency-Key",
						  "a request with this Idempotency-Key is still running; retry shortly");
			}
			/* Read once more before saying it: a call of this process
			 * keeps its answer, then leaves the running list, and may
			 * have done both between our read and our look at the list
			 * (70-upgrade-execution B3, eight twins). */
			if (!rechecked) {
				rechecked = true;
				continue;
			}
			return ps_err_set(&c->err, PS_CONFLICT, "Idempotency-Key",
					  "the request with this Idempotency-Key was carried out, but its answer was "
					  "lost with the connection to the store: read the result instead of retrying");
		}
		if (!owner_is_gone(got.owner, got.created_at, now, tenant, key)) {
			call->retry_after_s = PS_IDEM_RETRY_S;
			return ps_err_set(&c->err, PS_CONFLICT, "Idempotency-Key",
					  "a request with this Idempotency-Key is still running; retry shortly");
		}
		/* Its daemon stopped before answering: this call takes the key
		 * over and runs, unless another retry took it first. */
		rc = st->ops->idem_take(st, k, got.owner, &c->err);
		if (rc == PS_OK) {
			*ours = true;
			return PS_OK;
		}
		if (rc != PS_NOT_FOUND)
			return rc;
	}
	call->retry_after_s = PS_IDEM_RETRY_S;
	return ps_err_set(&c->err, PS_CONFLICT, "Idempotency-Key",
			  "other requests with this Idempotency-Key keep changing it; retry shortly");
}

ps_code ps_app_idem_begin(struct ps_ctx *c, struct ps_idem_call *call, int64_t tenant, const char *key,
			  const char *method, const char *path, const char *body, size_t len, struct ps_buf *replay,
			  int *status, bool *replayed)
{
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
	pthread_once(&self_once, self_init);
	snprintf(k.owner, sizeof k.owner, "%s", self_owner);
	/* In this process's list of running keys before the store's, so that
	 * a twin here never finds the key unfinished and not running. */
	running_add(tenant, key);
	if (__atomic_load_n(&keep_list, __ATOMIC_RELAXED))
		keep_now(c->st);
	bool ours;
	ps_code rc = take_key(c, call, &k, now, replay, status, replayed, &ours);
	if (!ours) {
		running_remove(tenant, key);
		return rc;
	}
	call->tenant = tenant;
	snprintf(call->key, sizeof call->key, "%s", key);
	c->idem = call;
	c->idem_changed = false;
	return PS_OK;
}

ps_code ps_app_idem_mark(struct ps_ctx *c)
{
	if (!c->idem || !c->idem->key[0])
		return PS_OK;
	return c->st->ops->idem_changed(c->st, c->idem->tenant, c->idem->key, &c->err);
}

void ps_app_idem_end(struct ps_ctx *c, const struct ps_idem_call *call, int status, const char *response)
{
	struct ps_idem k;
	struct ps_err e;
	bool changed = c->idem_changed;
	c->idem = NULL;
	c->idem_changed = false;
	if (!call->key[0])
		return;
	/* Written first, then no longer running here: a twin never finds the
	 * key both unfinished and free to take over while this call ends. A
	 * refusal (4xx) after a committed change keeps its answer: a retry
	 * would run the change again. Any other failure lets go of the key,
	 * which the store refuses for a key marked changed (a change committed,
	 * known to this call or not): a retry is then told it was carried out. */
	bool keep = (status >= 200 && status < 300) || (changed && status >= 400 && status < 500);
	if (!keep) {
		c->st->ops->idem_delete(c->st, call->tenant, call->key, &e);
		running_remove(call->tenant, call->key);
		return;
	}
	memset(&k, 0, sizeof k);
	k.tenant_id = call->tenant;
	snprintf(k.key, sizeof k.key, "%s", call->key);
	k.status = status;
	k.response = (char *)response;
	if (c->st->ops->idem_complete(c->st, &k, &e) != PS_OK && changed)
		keep_later(&k);
	running_remove(call->tenant, call->key);
	if (__atomic_add_fetch(&c->app->idem_kept, 1, __ATOMIC_RELAXED) % PS_IDEM_PURGE_EVERY == 0)
		c->st->ops->idem_purge(c->st, ps_time_system() - PS_IDEM_KEEP_S, &e);
}
