/* util.c: input checks and the one transaction wrapper (app layer). */
#include "ps_app_int.h"

#include "../common/ps_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t len;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return false;
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

ps_code ps_app_text(struct ps_ctx *c, const char *field, const char *s, size_t max)
{
	if (!s)
		return ps_err_set(&c->err, PS_INVALID_FIELD, field, "%s is required", field);
	size_t n = strlen(s);
	if (n == 0)
		return ps_err_set(&c->err, PS_INVALID_FIELD, field, "%s must not be empty", field);
	if (n > max)
		return ps_err_set(&c->err, PS_INVALID_FIELD, field, "%s is longer than %zu bytes", field, max);
	size_t blank = strspn(s, " \t");
	if (blank == n)
		return ps_err_set(&c->err, PS_INVALID_FIELD, field, "%s must not be blank", field);
	if (!utf8_ok((const unsigned char *)s, n))
		return ps_err_set(&c->err, PS_INVALID_FIELD, field,
				  "%s must be UTF-8 text without control characters", field);
	return PS_OK;
}

/* A transaction that lost a race (the store says PS_RETRY:
 * a serialization failure, a deadlock, the upgrade capacity counted by
 * another daemon meanwhile) runs again, from begin, a few times. fn must
 * have no effect outside the store that a second run would repeat. */
#define PS_TX_ATTEMPTS 8

ps_code ps_app_tx(struct ps_ctx *c, ps_code (*fn)(struct ps_ctx *c, void *arg), void *arg)
{
	struct ps_store *st = c->st;
	for (int attempt = 1;; attempt++) {
		ps_app_events_clear(c);
		ps_code rc = st->ops->begin(st, PS_TX_WRITE, &c->err);
		if (rc != PS_OK)
			return rc;
		rc = fn(c, arg);
		if (rc == PS_OK) /* the change's events, with it (events.c) */
			rc = ps_app_events_write(c);
		if (rc == PS_OK)
			rc = st->ops->commit(st, &c->err);
		if (rc != PS_OK)
			st->ops->rollback(st);
		if (rc != PS_RETRY || attempt == PS_TX_ATTEMPTS)
			return rc;
		ps_metrics_count(PS_C_TX_RETRIES);
		/* Back off a little, more each time, with jitter so racers part. */
		struct timespec ts = {0, (long)(1 + rand() % (2 << attempt)) * 1000000L};
		nanosleep(&ts, NULL);
		ps_err_clear(&c->err);
	}
}

const char *ps_app_ref(char *out, size_t cap, const char *prefix, int64_t id)
{
	snprintf(out, cap, "%s%lld", prefix, (long long)id);
	return out;
}
