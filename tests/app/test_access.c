/* test_access.c: the app services the transports call before a use case
 * (app layer): authentication (auth.c: a bearer token, or a session with
 * its CSRF token, to a principal) and
 * idempotency keys (idem.c: reserve, replay, refuse, let go), against a
 * SQLite store in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/ps_access.h"
#include "app/ps_app.h"
#include "app/ps_idem.h"
#include "common/ps_mem.h"
#include "common/ps_time.h"
#include "core/ps_catalog.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"

struct fixture {
	char dir[256], path[300];
	struct ps_app app;
	struct ps_store *st;
	struct ps_ctx c;
	struct ps_buf replay;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct ps_err err = {0};
	ps_fixture_temp("access", f->dir, sizeof f->dir, f->path, sizeof f->path);
	assert_int_equal(ps_store_open(f->path, &f->st, &err), PS_OK);
	assert_int_equal(f->st->ops->migrate(f->st, &err), PS_OK);
	f->app.db_url = f->path;
	ps_ctx_init(&f->c, &f->app, f->st);
	f->c.now = ps_time_system();
	f->c.who.role = PS_ROLE_OPERATOR;
	f->c.who.token_id = 1;
	ps_buf_init(&f->replay, 1 << 16);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ps_buf_fini(&f->replay);
	ps_ctx_fini(&f->c);
	ps_fixture_drop(f->st, &f->app, f->path, f->dir);
	free(f);
	return 0;
}

static void test_authenticate(void **state)
{
	struct fixture *f = *state;
	struct ps_ctx *c = &f->c;
	char tok[64], header[80];
	assert_int_equal(ps_app_token_create(c, "support", 0, tok, sizeof tok, NULL), PS_OK);
	static const struct {
		const char *header;
		const char *msg; /* NULL: accepted */
	} cases[] = {
		{NULL, "send a token: Authorization: Bearer TOKEN"},
		{"", "send a token: Authorization: Bearer TOKEN"},
		{"Bearer ", "send a token: Authorization: Bearer TOKEN"},
		{"Basic b3BlcmF0b3I6c2VjcmV0", "send a token: Authorization: Bearer TOKEN"},
		{"Bearer ps_not_a_token", "the token is not valid (unknown, expired or revoked)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ps_err_clear(&c->err);
		ps_code rc = ps_app_authenticate(c, cases[i].header);
		if (rc != PS_UNAUTHORIZED || strcmp(c->err.msg, cases[i].msg) != 0)
			fail_msg("case %s: got %s \"%s\", want unauthorized \"%s\"",
				 cases[i].header ? cases[i].header : "(none)", ps_code_api(rc), c->err.msg, cases[i].msg);
	}
	for (int k = 0; k < 2; k++) {
		snprintf(header, sizeof header, "%s %s", k ? "bearer" : "Bearer", tok);
		memset(&c->who, 0xff, sizeof c->who);
		assert_int_equal(ps_app_authenticate(c, header), PS_OK);
		assert_int_equal(c->who.role, PS_ROLE_SUPPORT);
		assert_int_equal(c->who.tenant_id, 0);
		assert_true(c->who.token_id > 0);
	}
}

/* A session: the cookie's secret authenticates reads; a change needs the
 * session's CSRF token (another session's, or none, is PS_FORBIDDEN); a
 * bearer token wins over a cookie; an ended session is PS_UNAUTHORIZED. */
static void test_session(void **state)
{
	struct fixture *f = *state;
	struct ps_ctx *c = &f->c;
	char tok[PS_TOKEN_LEN];
	assert_int_equal(ps_app_token_create(c, "support", 0, tok, sizeof tok, NULL), PS_OK);
	struct ps_session s, s2;
	assert_int_equal(ps_app_session_create(c, tok, &s), PS_OK);
	assert_int_equal(ps_app_session_create(c, tok, &s2), PS_OK);
	assert_string_not_equal(s.secret, s2.secret);
	assert_string_not_equal(s.csrf, s2.csrf);
	assert_int_equal(s.expires_at, c->now + PS_SESSION_ABSOLUTE_DEFAULT);
	char bearer[80];
	snprintf(bearer, sizeof bearer, "Bearer %s", tok);
	static const struct {
		bool bearer, cookie, changes;
		int csrf; /* 0 none, 1 its own, 2 another session's */
		ps_code want;
	} cases[] = {
		{false, true, false, 0, PS_OK},	       {false, true, true, 0, PS_FORBIDDEN},
		{false, true, true, 2, PS_FORBIDDEN},  {false, true, true, 1, PS_OK},
		{true, true, true, 0, PS_OK},	       {false, false, false, 0, PS_UNAUTHORIZED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_credentials cr = {.authorization = cases[i].bearer ? bearer : NULL,
					    .session = cases[i].cookie ? s.secret : NULL,
					    .csrf = cases[i].csrf == 1 ? s.csrf : cases[i].csrf == 2 ? s2.csrf : NULL,
					    .changes = cases[i].changes};
		ps_err_clear(&c->err);
		ps_code got = ps_app_authenticate_request(c, &cr);
		if (got != cases[i].want)
			fail_msg("case %zu: got %s (%s), want %s", i, ps_code_api(got), c->err.msg,
				 ps_code_api(cases[i].want));
		if (got == PS_OK)
			assert_int_equal(c->who.role, PS_ROLE_SUPPORT);
		if (got == PS_OK)
			assert_int_equal(c->who.session, !cases[i].bearer);
	}
	/* Signed out: the cookie no longer works, the other session does. */
	struct ps_credentials mine = {.session = s.secret}, other = {.session = s2.secret};
	assert_int_equal(ps_app_authenticate_request(c, &mine), PS_OK);
	assert_int_equal(ps_app_session_end(c, s.secret), PS_OK);
	assert_int_equal(ps_app_authenticate_request(c, &mine), PS_UNAUTHORIZED);
	assert_int_equal(ps_app_authenticate_request(c, &other), PS_OK);
	/* Idle past the default: ended. */
	c->now += PS_SESSION_IDLE_DEFAULT;
	assert_int_equal(ps_app_authenticate_request(c, &other), PS_UNAUTHORIZED);
}

/* begin under key for body; returns the code, *replayed, and the status. */
static ps_code begin(struct fixture *f, struct ps_idem_call *call, const char *key, const char *body, bool *replayed,
		     int *status)
{
	ps_err_clear(&f->c.err);
	*status = 0;
	return ps_app_idem_begin(&f->c, call, 0, key, "POST", "/v1/tenants", body, body ? strlen(body) : 0, &f->replay,
				 status, replayed);
}

static void test_idempotency(void **state)
{
	struct fixture *f = *state;
	struct ps_idem_call call;
	bool replayed;
	int status;
	char long_key[300];
	memset(long_key, 'k', 256);
	long_key[256] = '\0';

	/* No key: nothing reserved, nothing to end. */
	assert_int_equal(begin(f, &call, NULL, "{}", &replayed, &status), PS_OK);
	assert_false(replayed);
	assert_string_equal(call.key, "");
	/* A key of 0 or more than 255 characters names the header. */
	assert_int_equal(begin(f, &call, "", "{}", &replayed, &status), PS_INVALID_FIELD);
	assert_string_equal(f->c.err.field, "Idempotency-Key");
	assert_int_equal(begin(f, &call, long_key, "{}", &replayed, &status), PS_INVALID_FIELD);
	long_key[255] = '\0';
	assert_int_equal(begin(f, &call, long_key, "{}", &replayed, &status), PS_OK);
	ps_app_idem_end(&f->c, &call, 500, "");

	/* A success is kept and replayed for the same request. */
	assert_int_equal(begin(f, &call, "k1", "{\"a\":1}", &replayed, &status), PS_OK);
	assert_false(replayed);
	assert_string_equal(call.key, "k1");
	ps_app_idem_end(&f->c, &call, 201, "{\"id\":\"ten_1\"}");
	assert_int_equal(begin(f, &call, "k1", "{\"a\":1}", &replayed, &status), PS_OK);
	assert_true(replayed);
	assert_int_equal(status, 201);
	assert_string_equal(ps_buf_str(&f->replay), "{\"id\":\"ten_1\"}");
	/* The same key with another body, or from another token: refused. */
	assert_int_equal(begin(f, &call, "k1", "{\"a\":2}", &replayed, &status), PS_IDEMPOTENCY_MISMATCH);
	f->c.who.token_id = 2;
	assert_int_equal(begin(f, &call, "k1", "{\"a\":1}", &replayed, &status), PS_IDEMPOTENCY_MISMATCH);
	f->c.who.token_id = 1;

	/* A refusal lets go of the key: the retry runs. */
	assert_int_equal(begin(f, &call, "k2", "{}", &replayed, &status), PS_OK);
	ps_app_idem_end(&f->c, &call, 409, "{\"error\":{}}");
	assert_int_equal(begin(f, &call, "k2", "{}", &replayed, &status), PS_OK);
	assert_false(replayed);
	ps_app_idem_end(&f->c, &call, 200, "{}");

	/* A running key: of a live daemon (this process, another thread), a
	 * twin is refused at once with a Retry-After; of a daemon that died
	 * (its process is gone, or its process id now belongs to another
	 * instance), or that ran on another machine long ago, it is taken over
	 * at once and the retry runs. */
	char boot[40] = "unknown";
	FILE *bf = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (bf) {
		if (!fgets(boot, sizeof boot, bf))
			snprintf(boot, sizeof boot, "unknown");
		fclose(bf);
	}
	boot[strcspn(boot, "\n")] = '\0';
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	struct {
		const char *name;
		char owner[128];
		int64_t age;
		ps_code want;
	} cases[] = {
	    {"a daemon whose process is gone", "", 0, PS_OK},
	    {"another instance with this process id", "", 0, PS_OK},
	    {"another machine, two hours ago", "0123456789abcdef/another-boot/1/1", 7200, PS_OK},
	    {"another machine, just now", "0123456789abcdef/another-boot/1/1", 0, PS_CONFLICT},
	    {"a reservation from before owners were recorded, two hours ago", "", 7200, PS_OK},
	    {"this process, the call ended but its end could not be written", "", 0, PS_OK},
	    {"a live daemon: this process", "", 0, PS_CONFLICT},
	};
	snprintf(cases[0].owner, sizeof cases[0].owner, "0123456789abcdef/%s/%ld/1", boot, (long)dead);
	snprintf(cases[1].owner, sizeof cases[1].owner, "0123456789abcdef/%s/%ld/1", boot, (long)getpid());
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char key[16];
		snprintf(key, sizeof key, "k3-%zu", i);
		bool live_self = i == sizeof cases / sizeof cases[0] - 1;
		assert_int_equal(begin(f, &call, key, "{}", &replayed, &status), PS_OK);
		if (i == 0) { /* this process's owner, as the store holds it */
			struct ps_idem mine;
			assert_int_equal(f->st->ops->idem_find(f->st, 0, key, &mine, &f->c.err), PS_OK);
			ps_free(mine.response);
			snprintf(cases[sizeof cases / sizeof cases[0] - 2].owner, sizeof cases[0].owner, "%s",
				 mine.owner);
		}
		if (!live_self) { /* make the reservation someone else's */
			struct ps_idem k;
			memset(&k, 0, sizeof k);
			snprintf(k.key, sizeof k.key, "%s", key);
			snprintf(k.request_hash, sizeof k.request_hash, "%s", call.hash);
			snprintf(k.owner, sizeof k.owner, "%s", cases[i].owner);
			k.created_at = ps_time_system() - cases[i].age;
			ps_app_idem_end(&f->c, &call, 500, "");
			assert_int_equal(f->st->ops->idem_insert(f->st, &k, &f->c.err), PS_OK);
		}
		struct ps_idem_call twin;
		ps_code got = begin(f, &twin, key, "{}", &replayed, &status);
		if (got != cases[i].want)
			fail_msg("case %s: got %s (%s), want %s", cases[i].name, ps_code_api(got), f->c.err.msg,
				 ps_code_api(cases[i].want));
		assert_false(replayed);
		if (got == PS_CONFLICT) {
			if (twin.retry_after_s <= 0)
				fail_msg("case %s: got Retry-After %d, want > 0", cases[i].name, twin.retry_after_s);
			assert_string_equal(f->c.err.field, "Idempotency-Key");
		} else {
			/* The key is the retry's now: its answer is kept. */
			ps_app_idem_end(&f->c, &twin, 201, "{\"taken\":true}");
			assert_int_equal(begin(f, &twin, key, "{}", &replayed, &status), PS_OK);
			assert_true(replayed);
			assert_string_equal(ps_buf_str(&f->replay), "{\"taken\":true}");
		}
		if (live_self)
			ps_app_idem_end(&f->c, &call, 500, "");
	}
}

/* A store whose commit or keeping of an answer fails as a lost connection
 * makes it fail: the commit done or not (its outcome unknown to the caller),
 * the answer not kept. */
static const struct ps_store_ops *real_ops;
static struct ps_store_ops lying_ops;
static enum { LIE_NONE, LIE_COMMIT_DONE, LIE_COMMIT_LOST, LIE_KEEP } lie;

static ps_code lying_commit(struct ps_store *st, struct ps_err *err)
{
	if (lie == LIE_COMMIT_LOST) {
		real_ops->rollback(st);
		return ps_err_set(err, PS_STORE, NULL, "commit: the connection was lost; whether it was kept is unknown");
	}
	ps_code rc = real_ops->commit(st, err);
	if (rc == PS_OK && lie == LIE_COMMIT_DONE)
		return ps_err_set(err, PS_STORE, NULL, "commit: the connection was lost; whether it was kept is unknown");
	return rc;
}

static ps_code lying_complete(struct ps_store *st, const struct ps_idem *k, struct ps_err *err)
{
	if (lie == LIE_KEEP)
		return ps_err_set(err, PS_STORE, NULL, "idem_complete: the connection was lost");
	return real_ops->idem_complete(st, k, err);
}

/* One change under key: begin, a tenant created, end with the answer the
 * transport would give; returns the use case's code (or begin's). */
static ps_code tenant_call(struct fixture *f, const char *key, int64_t *id)
{
	struct ps_idem_call call;
	bool replayed;
	int status;
	const char *body = "{\"name\":\"Lost Answers Ltd\"}";
	*id = 0;
	ps_code rc = begin(f, &call, key, body, &replayed, &status);
	if (rc != PS_OK || replayed)
		return rc;
	struct ps_tenant_in in = {.name = "Lost Answers Ltd", .segment = "commercial", .payment = "invoice",
				  .currency = "EUR", .credit_limit = 1000, .has_credit_limit = true};
	struct ps_tenant t;
	memset(&t, 0, sizeof t);
	rc = ps_app_tenant_create(&f->c, &in, &t);
	if (rc == PS_OK)
		*id = t.id;
	ps_app_idem_end(&f->c, &call, rc == PS_OK ? 201 : ps_code_http(rc), rc == PS_OK ? "{\"id\":\"ten\"}" : "{}");
	return rc;
}

static bool tenant_exists(struct fixture *f, int64_t id)
{
	struct ps_tenant t;
	return f->st->ops->tenant_get(f->st, id, &t, &f->c.err) == PS_OK;
}

/* A commit whose outcome the daemon never learnt (the connection lost
 * during COMMIT, a failover): the change is marked in its key in the same
 * transaction, so a retry with the key never runs it twice: it is refused
 * as carried out when the change committed, and runs when it did not. An
 * answer that could not be kept is kept by the process's next call. */
static void test_idempotency_unknown_commit(void **state)
{
	struct fixture *f = *state;
	int64_t id;
	bool replayed;
	int status;
	struct ps_idem_call call;
	real_ops = f->st->ops;
	lying_ops = *real_ops;
	lying_ops.commit = lying_commit;
	lying_ops.idem_complete = lying_complete;
	f->st->ops = &lying_ops;

	/* Committed, the caller told otherwise: 503; the retry does not run. */
	lie = LIE_COMMIT_DONE;
	assert_int_equal(tenant_call(f, "u1", &id), PS_STORE);
	lie = LIE_NONE;
	assert_true(tenant_exists(f, 1));
	ps_code rc = tenant_call(f, "u1", &id);
	if (rc != PS_CONFLICT)
		fail_msg("case retry after a commit kept but unknown: got %s (%s), want conflict", ps_code_api(rc),
			 f->c.err.msg);
	assert_string_equal(f->c.err.field, "Idempotency-Key");
	assert_non_null(strstr(f->c.err.msg, "carried out"));
	assert_false(tenant_exists(f, 2));

	/* Not committed (the connection died before it): the retry runs, once. */
	lie = LIE_COMMIT_LOST;
	assert_int_equal(tenant_call(f, "u2", &id), PS_STORE);
	lie = LIE_NONE;
	assert_false(tenant_exists(f, 2));
	assert_int_equal(tenant_call(f, "u2", &id), PS_OK);
	assert_int_equal(id, 2);
	assert_int_equal(begin(f, &call, "u2", "{\"name\":\"Lost Answers Ltd\"}", &replayed, &status), PS_OK);
	assert_true(replayed);
	assert_int_equal(status, 201);

	/* Committed and answered 201, its answer not kept then: kept by the
	 * process's next call, so the retry gets it (and does not run). */
	lie = LIE_KEEP;
	assert_int_equal(tenant_call(f, "u3", &id), PS_OK);
	assert_int_equal(id, 3);
	assert_int_equal(tenant_call(f, "u5", &id), PS_OK); /* its answer not kept either */
	lie = LIE_NONE;
	assert_int_equal(begin(f, &call, "u3", "{\"name\":\"Lost Answers Ltd\"}", &replayed, &status), PS_OK);
	assert_true(replayed);
	assert_int_equal(status, 201);
	assert_int_equal(begin(f, &call, "u5", "{\"name\":\"Lost Answers Ltd\"}", &replayed, &status), PS_OK);
	assert_true(replayed);
	assert_false(tenant_exists(f, 5));

	/* A refusal after a committed change keeps its answer: the retry gets it. */
	assert_int_equal(begin(f, &call, "u4", "{}", &replayed, &status), PS_OK);
	struct ps_tenant_in in = {.name = "Half Done Ltd", .segment = "commercial", .payment = "invoice",
				  .currency = "EUR", .credit_limit = 1000, .has_credit_limit = true};
	struct ps_tenant t;
	assert_int_equal(ps_app_tenant_create(&f->c, &in, &t), PS_OK);
	ps_app_idem_end(&f->c, &call, 409, "{\"error\":{\"code\":\"conflict\"}}");
	assert_int_equal(begin(f, &call, "u4", "{}", &replayed, &status), PS_OK);
	assert_true(replayed);
	assert_int_equal(status, 409);
	assert_string_equal(ps_buf_str(&f->replay), "{\"error\":{\"code\":\"conflict\"}}");

	/* The store failing after a committed change (503): not kept, which
	 * would answer 503 for ever; the retry is told it was carried out. */
	assert_int_equal(begin(f, &call, "u6", "{}", &replayed, &status), PS_OK);
	in.name = "Store Failed Later Ltd";
	assert_int_equal(ps_app_tenant_create(&f->c, &in, &t), PS_OK);
	ps_app_idem_end(&f->c, &call, 503, "{\"error\":{\"code\":\"store_unavailable\"}}");
	assert_int_equal(begin(f, &call, "u6", "{}", &replayed, &status), PS_CONFLICT);
	assert_false(replayed);
	assert_non_null(strstr(f->c.err.msg, "carried out"));
	f->st->ops = real_ops;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authenticate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_unknown_commit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
