/* test_app.c: unit tests of the request context (app layer, app/app.c):
 * ps_ctx_reset, the one reset point between two requests, leaves nothing of
 * the previous request and keeps the workspace's memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "app/ps_app.h"
#include "common/ps_mem.h"

#include <stdio.h>
#include <string.h>

static void test_ctx_reset(void **state)
{
	struct ps_app app = {0};
	struct ps_ctx c;
	ps_ctx_init(&c, &app, NULL);
	/* What a request leaves behind. */
	c.who = (struct ps_principal){.token_id = 9, .role = PS_ROLE_OPERATOR, .tenant_id = 3};
	c.lang = PS_LANG_FR;
	ps_err_set(&c.err, PS_CONFLICT, "status", "refused");
	snprintf(c.request_id, sizeof c.request_id, "%s", "req_old");
	c.verdict = ps_malloc(sizeof *c.verdict);
	struct ps_snap_sub dummy;
	c.verdict->sub = &dummy;
	struct ps_verdict *kept = c.verdict;

	ps_ctx_reset(&c, 1234, "req_new");

	if (c.err.code != PS_OK || c.err.field[0] || c.err.msg[0])
		fail_msg("case error: got code %d field \"%s\", want cleared", c.err.code, c.err.field);
	if (c.who.token_id || c.who.tenant_id || c.who.role != 0)
		fail_msg("case caller: got token %lld tenant %lld, want none", (long long)c.who.token_id,
			 (long long)c.who.tenant_id);
	if (c.now != 1234)
		fail_msg("case now: got %lld, want 1234", (long long)c.now);
	if (strcmp(c.request_id, "req_new") != 0)
		fail_msg("case request id: got %s, want req_new", c.request_id);
	if (c.lang != PS_LANG_EN)
		fail_msg("case language: got %d, want English", (int)c.lang);
	if (c.verdict != kept || c.verdict->sub != NULL)
		fail_msg("case workspace: got verdict %p (sub %p), want the same memory, no subscription",
			 (void *)c.verdict, (const void *)c.verdict->sub);
	if (c.app != &app)
		fail_msg("case app: got %p, want the context's", (void *)c.app);
	ps_ctx_reset(&c, 5, NULL);
	if (c.request_id[0])
		fail_msg("case no request id: got %s, want \"\"", c.request_id);
	ps_ctx_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
