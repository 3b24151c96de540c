/* deliver.c: webhook deliveries (app layer), run by the job runner's
 * thread after its jobs, never on a request's thread (API.md "Webhook
 * deliveries").
 *
 * A pass: (1) fan-out: in one transaction, each endpoint's cursor walks the
 * events committed after it, in commit order; an event the endpoint wants
 * (enabled, its type, its tenant) becomes a pending attempt 1 due now, and
 * the cursor moves past it. The attempts are rows written in a
 * transaction, so an event committed before a kill -9 is delivered after
 * the restart. (2) claims: one short transaction leases up to the pool's
 * size of pending attempts due by the store's clock, each the first of its
 * (endpoint, tenant) chain (a later event of a tenant waits while an earlier
 * one is retried), to this daemon (leased_by = its instance id) until the
 * system's time + PS_LEASE_S; PostgreSQL claims with FOR UPDATE SKIP
 * LOCKED, so two daemons never take the same attempt, and a daemon that
 * dies leaves a lease that ends. The event's JSON is read there too.
 * (3) the POSTs, outside any transaction, all at once on one libcurl multi
 * handle kept for the process (connections reused, at most the pool's
 * size open), each bounded by 10 s. (4) the outcomes, in one short
 * transaction: 2xx within the time: delivered; else retried after 1 min,
 * doubling up to 6 h, on the store's clock, while within 3 days of the
 * first attempt's due time; else failed. The outcomes of one round are
 * recorded together with the next round's claim, in one short transaction:
 * one commit per round, not one per attempt. */
#include "ps_webhooks.h"
#include "ps_app_int.h"
#include "ps_idem.h"

#include "../common/ps_log.h"
#include "../common/ps_mem.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A claimed attempt stays this daemon's this long (system seconds): well
 * past the 10 s its POST may take. */
#define PS_LEASE_S 60
/* Events turned into attempts per endpoint per transaction. */
#define PS_FANOUT_BATCH 500
/* A pass starts no new round of deliveries after this many seconds, so
 * that the runner's jobs are not held up by slow receivers. */
#define PS_DELIVER_PASS_S 15
/* A round's outcomes are tried again for this long while the store is busy
 * (well within the lease). */
#define PS_RECORD_FOR_S 20
/* Rounds of claims per pass (each up to the pool's size). */
#define PS_DELIVER_ROUNDS 1000

static _Atomic unsigned pool_size = 8;

void ps_deliver_set_pool(unsigned n)
{
	atomic_store(&pool_size, n < 1 ? 1 : n > 64 ? 64 : n);
}

int64_t ps_deliver_backoff(int64_t attempt)
{
	int64_t d = 60;
	for (int64_t i = 1; i < attempt && d < 6 * 3600; i++)
		d *= 2;
	return d < 6 * 3600 ? d : 6 * 3600;
}

/* This process's attempts by outcome. */
enum { R_DELIVERED, R_RETRIED, R_FAILED, R__COUNT };
static const char *const result_names[R__COUNT] = {"delivered", "retried", "failed"};
static _Atomic uint64_t results[R__COUNT];

/* ---- (1) fan-out ---- */

struct hooks {
	struct ps_webhook *v;
	size_t n, cap;
};

static bool hook_row(void *arg, const struct ps_webhook *w)
{
	struct hooks *h = arg;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->v = ps_realloc(h->v, h->cap * sizeof *h->v);
	}
	h->v[h->n++] = *w;
	return true;
}

/* Whether w wants e: its tenant filter and its types ("" = every type). */
static bool wants(const struct ps_webhook *w, const struct ps_hook_event *e)
{
	if (w->tenant_id && w->tenant_id != e->tenant_id)
		return false;
	if (!w->types[0])
		return true;
	size_t n = strlen(e->type);
	for (const char *p = w->types; *p;) {
		const char *end = strchr(p, ',');
		size_t k = end ? (size_t)(end - p) : strlen(p);
		if (k == n && memcmp(p, e->type, n) == 0)
			return true;
		p = end ? end + 1 : p + k;
	}
	return false;
}

struct fanout {
	struct hooks hooks;
	struct ps_hook_event *ev;
	bool more; /* an endpoint has more events than one batch */
};

static ps_code fanout_tx(struct ps_ctx *c, void *arg)
{
	struct fanout *f = arg;
	f->hooks.n = 0;
	f->more = false;
	ps_code rc = c->st->ops->webhook_list(c->st, 0, 0, hook_row, &f->hooks, &c->err);
	for (size_t i = 0; rc == PS_OK && i < f->hooks.n; i++) {
		const struct ps_webhook *w = &f->hooks.v[i];
		size_t n = 0;
		if ((rc = ps_hook_events_after(c, w->cursor, PS_FANOUT_BATCH, f->ev, &n)) != PS_OK || n == 0)
			continue;
		f->more |= n == PS_FANOUT_BATCH;
		for (size_t k = 0; rc == PS_OK && k < n; k++) {
			if (!w->enabled || !wants(w, &f->ev[k]))
				continue; /* a disabled endpoint gets nothing of that time */
			struct ps_delivery d = {.webhook_id = w->id,
						.event_id = f->ev[k].id,
						.tenant_id = f->ev[k].tenant_id,
						.seq = 0, /* the next of the endpoint's */
						.attempt = 1,
						.due_at = c->now,
						.first_due_at = c->now};
			rc = c->st->ops->delivery_insert(c->st, &d, &c->err);
		}
		if (rc == PS_OK)
			rc = c->st->ops->webhook_advance(c->st, w->id, f->ev[n - 1].id, &c->err);
	}
	return rc;
}

/* Whether any endpoint has an event after its cursor: read first, outside
 * any transaction, so that an idle pass takes no write lock. */
static ps_code fanout_due(struct ps_ctx *c, struct fanout *f, bool *due)
{
	f->hooks.n = 0;
	*due = false;
	ps_code rc = c->st->ops->webhook_list(c->st, 0, 0, hook_row, &f->hooks, &c->err);
	for (size_t i = 0; rc == PS_OK && !*due && i < f->hooks.n; i++) {
		size_t n = 0;
		rc = ps_hook_events_after(c, f->hooks.v[i].cursor, 1, f->ev, &n);
		*due = n > 0;
	}
	return rc;
}

static ps_code fanout(struct ps_ctx *c)
{
	struct fanout f = {.ev = ps_calloc(PS_FANOUT_BATCH, sizeof *f.ev)};
	bool due = false;
	ps_code rc = fanout_due(c, &f, &due);
	int rounds = 0;
	if (rc != PS_OK || !due) {
		ps_free(f.hooks.v);
		ps_free(f.ev);
		return rc;
	}
	do
		rc = ps_app_tx(c, fanout_tx, &f);
	while (rc == PS_OK && f.more && ++rounds < 100);
	ps_free(f.hooks.v);
	ps_free(f.ev);
	return rc;
}

/* ---- (2) claims ---- */

struct item {
	struct ps_delivery d;
	char url[PS_WEBHOOK_URL_MAX + 1];
	char secret[PS_WEBHOOK_SECRET_LEN];
	struct ps_buf body;
	/* the outcome */
	long status;
	char error[256];
	char state[16]; /* as recorded */
	bool gone;      /* the event is no longer kept (pruned): failed, not sent */
	bool recorded;  /* its outcome was written */
	CURL *h;
	struct curl_slist *headers;
};

struct claim {
	struct item *items;
	size_t n, max;
	int64_t wall;
};

static bool claimed_row(void *arg, const struct ps_delivery *d)
{
	struct claim *cl = arg;
	if (cl->n < cl->max)
		cl->items[cl->n++].d = *d;
	return true;
}

static ps_code claim_tx(struct ps_ctx *c, void *arg)
{
	struct claim *cl = arg;
	cl->n = 0;
	ps_code rc = c->st->ops->delivery_claim(c->st, c->now, cl->wall, cl->wall + PS_LEASE_S, ps_app_self(), cl->max,
						 claimed_row, cl, &c->err);
	for (size_t i = 0; rc == PS_OK && i < cl->n; i++) {
		struct item *it = &cl->items[i];
		struct ps_webhook w;
		it->gone = false;
		if ((rc = c->st->ops->webhook_get(c->st, it->d.webhook_id, &w, &c->err)) != PS_OK)
			break;
		if ((rc = ps_hook_event_body(c, it->d.event_id, &it->body)) == PS_NOT_FOUND) {
			ps_err_clear(&c->err);
			it->gone = true;
			rc = PS_OK;
		}
		snprintf(it->url, sizeof it->url, "%s", w.url);
		snprintf(it->secret, sizeof it->secret, "%s", w.secret);
	}
	return rc;
}

/* ---- (3) the POSTs ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t multi_lock = PTHREAD_MUTEX_INITIALIZER;
static CURLM *multi; /* kept for the process: its connections are reused */

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

/* Planshift-Signature: t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">. */
static void sign(const struct item *it, int64_t t, char *out, size_t cap)
{
	char head[32];
	int hn = snprintf(head, sizeof head, "%lld.", (long long)t);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *x = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end()};
	size_t outl = 0;
	if (x && EVP_MAC_init(x, (const unsigned char *)it->secret, strlen(it->secret), params) &&
	    EVP_MAC_update(x, (const unsigned char *)head, (size_t)hn) &&
	    EVP_MAC_update(x, (const unsigned char *)ps_buf_str(&it->body), it->body.len) &&
	    EVP_MAC_final(x, mac, &outl, sizeof mac))
		len = (unsigned int)outl;
	EVP_MAC_CTX_free(x);
	EVP_MAC_free(m);
	int at = snprintf(out, cap, "Planshift-Signature: t=%lld,v1=", (long long)t);
	for (unsigned int i = 0; i < len && at > 0 && (size_t)at + 3 < cap; i++)
		at += snprintf(out + at, cap - (size_t)at, "%02x", mac[i]);
}

static void post_all(struct item *items, size_t n, int64_t wall)
{
	pthread_once(&curl_once, curl_init);
	pthread_mutex_lock(&multi_lock);
	if (!multi) {
		multi = curl_multi_init();
		curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)atomic_load(&pool_size));
	}
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		char h[160];
		it->status = 0;
		it->error[0] = '\0';
		if (it->gone) {
			snprintf(it->error, sizeof it->error, "the event is no longer kept");
			continue;
		}
		it->h = curl_easy_init();
		it->headers = curl_slist_append(NULL, "Content-Type: application/json");
		snprintf(h, sizeof h, "Planshift-Event-Id: %s%lld", PS_PFX_EVENT, (long long)it->d.event_id);
		it->headers = curl_slist_append(it->headers, h);
		sign(it, wall, h, sizeof h);
		it->headers = curl_slist_append(it->headers, h);
		it->headers = curl_slist_append(it->headers, "Expect:");
		curl_easy_setopt(it->h, CURLOPT_URL, it->url);
		curl_easy_setopt(it->h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(it->h, CURLOPT_NOSIGNAL, 1L);
		/* A kept connection idle this long is not used again: many servers
		 * close theirs after 5 s (Node.js, Apache), and a POST sent as one
		 * closes fails (then waits a minute for its retry). */
		curl_easy_setopt(it->h, CURLOPT_MAXAGE_CONN, 3L);
		curl_easy_setopt(it->h, CURLOPT_TIMEOUT_MS, (long)PS_DELIVER_TIMEOUT_S * 1000L);
		curl_easy_setopt(it->h, CURLOPT_HTTPHEADER, it->headers);
		curl_easy_setopt(it->h, CURLOPT_POSTFIELDSIZE, (long)it->body.len);
		curl_easy_setopt(it->h, CURLOPT_POSTFIELDS, ps_buf_str(&it->body));
		curl_easy_setopt(it->h, CURLOPT_USERAGENT, "planshift-webhooks/1");
		curl_easy_setopt(it->h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(it->h, CURLOPT_PRIVATE, it);
		curl_multi_add_handle(multi, it->h);
	}
	int running = 1;
	while (running) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(multi, &left)))
		if (m->msg == CURLMSG_DONE) {
			struct item *it = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&it);
			if (!it)
				continue;
			if (m->data.result == CURLE_OK)
				curl_easy_getinfo(it->h, CURLINFO_RESPONSE_CODE, &it->status);
			else
				snprintf(it->error, sizeof it->error, "%s", curl_easy_strerror(m->data.result));
		}
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		if (!it->error[0] && (it->status < 200 || it->status > 299))
			snprintf(it->error, sizeof it->error, it->status ? "HTTP %ld" : "no answer", it->status);
		if (!it->h)
			continue;
		curl_multi_remove_handle(multi, it->h);
		curl_easy_cleanup(it->h);
		curl_slist_free_all(it->headers);
		it->h = NULL;
		it->headers = NULL;
	}
	pthread_mutex_unlock(&multi_lock);
}

/* ---- (4) the outcomes ---- */

static ps_code record_tx(struct ps_ctx *c, void *arg)
{
	struct item *it = arg;
	struct ps_delivery d = it->d;
	int64_t next = 0;
	d.time = c->now;
	d.status_code = it->status;
	snprintf(d.error, sizeof d.error, "%s", it->error);
	if (!it->error[0]) {
		snprintf(d.state, sizeof d.state, "delivered");
	} else {
		next = c->now + ps_deliver_backoff(d.attempt);
		if (it->gone || next > d.first_due_at + PS_DELIVER_FOR) {
			snprintf(d.state, sizeof d.state, "failed");
			next = 0;
		} else {
			snprintf(d.state, sizeof d.state, "retried");
		}
	}
	d.next_attempt_at = next;
	snprintf(it->state, sizeof it->state, "%s", d.state);
	ps_code rc = c->st->ops->delivery_record(c->st, &d, ps_app_self(), &c->err);
	if (rc != PS_OK || !next)
		return rc;
	struct ps_delivery again = it->d;
	again.attempt++;
	again.due_at = next;
	return c->st->ops->delivery_insert(c->st, &again, &c->err);
}

/* The outcomes of a round's attempts, in one short transaction: an
 * attempt no longer leased to this daemon (its lease ran out and another
 * took it) is left to that one. */
static ps_code records_tx(struct ps_ctx *c, void *arg)
{
	struct claim *cl = arg;
	for (size_t i = 0; i < cl->n; i++) {
		struct item *it = &cl->items[i];
		ps_code rc = record_tx(c, it);
		it->recorded = rc == PS_OK;
		if (rc == PS_NOT_FOUND)
			ps_err_clear(&c->err);
		else if (rc != PS_OK)
			return rc;
	}
	return PS_OK;
}

static void count(const char *state)
{
	for (int k = 0; k < R__COUNT; k++)
		if (strcmp(result_names[k], state) == 0)
			atomic_fetch_add_explicit(&results[k], 1, memory_order_relaxed);
}

/* A round's outcomes, then the next round's claim, in one transaction: one
 * commit per round. */
struct round {
	struct claim *done, *next;
};

static ps_code records_claim_tx(struct ps_ctx *c, void *arg)
{
	struct round *r = arg;
	ps_code rc = records_tx(c, r->done);
	return rc == PS_OK ? claim_tx(c, r->next) : rc;
}

static void claim_init(struct claim *cl, size_t max)
{
	cl->items = ps_calloc(max, sizeof *cl->items);
	cl->max = max;
	cl->n = 0;
	for (size_t i = 0; i < max; i++)
		ps_buf_init(&cl->items[i].body, 1 << 20);
}

static void claim_fini(struct claim *cl)
{
	for (size_t i = 0; i < cl->max; i++)
		ps_buf_fini(&cl->items[i].body);
	ps_free(cl->items);
}

ps_code ps_deliver_pass(struct ps_ctx *c, int *sent)
{
	int made = 0;
	ps_code rc = fanout(c);
	size_t max = atomic_load(&pool_size);
	struct claim two[2];
	claim_init(&two[0], max);
	claim_init(&two[1], max);
	struct claim *cur = &two[0], *next = &two[1];
	cur->wall = (int64_t)time(NULL); /* leases and signatures: the system's time */
	int64_t started = cur->wall;
	int64_t due = 0;
	if (rc == PS_OK) /* read first: an idle pass takes no write lock */
		rc = c->st->ops->delivery_count_due(c->st, c->now, &due, &c->err);
	if (rc == PS_OK && due > 0)
		rc = ps_app_tx(c, claim_tx, cur);
	for (int round = 0; rc == PS_OK && cur->n > 0 && round < PS_DELIVER_ROUNDS; round++) {
		post_all(cur->items, cur->n, cur->wall);
		next->wall = (int64_t)time(NULL);
		/* The runner's jobs wait while it delivers: a pass starts no round
		 * past PS_DELIVER_PASS_S (the rest at the next pass). */
		bool last = round + 1 >= PS_DELIVER_ROUNDS || (int64_t)time(NULL) - started >= PS_DELIVER_PASS_S;
		struct round r = {cur, last ? NULL : next};
		/* The POSTs are made: their outcomes are tried a few times (the
		 * store busy), else they are sent again after the lease. */
		int64_t posted = (int64_t)time(NULL);
		for (int k = 0;; k++) {
			if (k > 0) {
				ps_err_clear(&c->err);
				r.next = NULL; /* then the outcomes alone */
				long ms = k < 25 ? 20L * k : 500L;
				struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
				nanosleep(&ts, NULL);
			}
			rc = r.next ? ps_app_tx(c, records_claim_tx, &r) : ps_app_tx(c, records_tx, cur);
			if ((rc != PS_STORE && rc != PS_RETRY) || (int64_t)time(NULL) - posted >= PS_RECORD_FOR_S)
				break;
		}
		if (!r.next)
			next->n = 0;
		if (rc != PS_OK) {
			ps_log(PS_LOG_WARN, "webhook deliveries: %zu outcomes not recorded (sent again after the lease): %s",
			       cur->n, c->err.msg);
			break;
		}
		for (size_t i = 0; i < cur->n; i++)
			if (cur->items[i].recorded) {
				made++;
				count(cur->items[i].state);
			}
		struct claim *t = cur;
		cur = next;
		next = t;
	}
	claim_fini(&two[0]);
	claim_fini(&two[1]);
	if (sent)
		*sent = made;
	return rc;
}

/* ---- metrics ---- */

ps_code ps_deliver_metrics_write(struct ps_ctx *c, struct ps_buf *out)
{
	int64_t due = 0;
	ps_code rc = c->st->ops->delivery_count_due(c->st, c->now, &due, &c->err);
	if (rc != PS_OK)
		return rc;
	ps_buf_printf(out,
		      "# HELP planshift_webhook_deliveries_due Webhook attempts due by now and not made yet\n"
		      "# TYPE planshift_webhook_deliveries_due gauge\n"
		      "planshift_webhook_deliveries_due %lld\n"
		      "# HELP planshift_webhook_deliveries_total Webhook delivery attempts of this process, by result\n"
		      "# TYPE planshift_webhook_deliveries_total counter\n",
		      (long long)due);
	for (int k = 0; k < R__COUNT; k++)
		ps_buf_printf(out, "planshift_webhook_deliveries_total{result=\"%s\"} %llu\n", result_names[k],
			      (unsigned long long)atomic_load_explicit(&results[k], memory_order_relaxed));
	return PS_OK;
}
