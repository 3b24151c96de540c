/* test_common.c: the common layer and the model's enumerations: RFC 3339
 * times, calendar arithmetic, the capped buffer, the JSON writer, ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "common/ps_buf.h"
#include "common/ps_err.h"
#include "common/ps_json.h"
#include "common/ps_secret.h"
#include "common/ps_time.h"
#include "core/ps_model.h"

static void test_time_format_parse(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
		const char *back;
	} cases[] = {
		{"1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"},
		{"2026-11-27T09:00:00Z", 1795770000, "2026-11-27T09:00:00Z"},
		{"2028-02-29T23:59:59Z", 1835481599, "2028-02-29T23:59:59Z"},
		{"2026-11-27T10:30:00+01:30", 1795770000, "2026-11-27T09:00:00Z"},
		{"2026-11-27T08:00:00-01:00", 1795770000, "2026-11-27T09:00:00Z"},
		{"2026-11-27T09:00:00.123Z", 1795770000, "2026-11-27T09:00:00Z"},
		{"2026-11-27", 1795737600, "2026-11-27T00:00:00Z"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t = -1;
		char out[PS_TIME_LEN];
		if (!ps_time_parse(cases[i].in, &t) || t != cases[i].want)
			fail_msg("case %s: got %lld, want %lld", cases[i].in, (long long)t, (long long)cases[i].want);
		ps_time_format(t, out);
		if (strcmp(out, cases[i].back) != 0)
			fail_msg("case %s: formatted %s, want %s", cases[i].in, out, cases[i].back);
	}
}

static void test_time_parse_rejects(void **state)
{
	static const char *const bad[] = {"", "2026", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
					  "2027-02-29", "2026-11-27T24:00:00Z", "2026-11-27T09:00:00",
					  "2026-11-27T09:00:00Zjunk", "2026-11-27T09:00Z", "26-11-27T09:00:00Z",
					  "2026-11-27T09:00:00+1:00", "2026-11-27T09:00:00."};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t;
		if (ps_time_parse(bad[i], &t))
			fail_msg("case \"%s\": got accepted as %lld, want refused", bad[i], (long long)t);
	}
}

static void test_add_months(void **state)
{
	static const struct {
		const char *from;
		int n;
		const char *want;
	} cases[] = {
		{"2026-01-31T10:00:00Z", 1, "2026-02-28T10:00:00Z"},
		{"2028-01-31T10:00:00Z", 1, "2028-02-29T10:00:00Z"},
		{"2026-11-27T09:00:00Z", 1, "2026-12-27T09:00:00Z"},
		{"2026-12-15T00:00:00Z", 1, "2027-01-15T00:00:00Z"},
		{"2028-02-29T00:00:00Z", 12, "2029-02-28T00:00:00Z"},
		{"2026-03-31T00:00:00Z", -1, "2026-02-28T00:00:00Z"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t;
		char out[PS_TIME_LEN];
		assert_true(ps_time_parse(cases[i].from, &t));
		ps_time_format(ps_time_add_months(t, cases[i].n), out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %s %+d months: got %s, want %s", cases[i].from, cases[i].n, out, cases[i].want);
	}
}

static void test_weekday_and_days(void **state)
{
	/* 2026-11-27 is a Friday (4 when Monday is 0). */
	assert_int_equal(ps_weekday(ps_days_from_civil(2026, 11, 27)), 4);
	assert_int_equal(ps_weekday(ps_days_from_civil(1970, 1, 1)), 3);
	assert_int_equal(ps_days_in_month(2028, 2), 29);
	assert_int_equal(ps_days_in_month(2100, 2), 28);
	assert_int_equal(ps_days_in_month(2000, 2), 29);
	assert_int_equal(ps_days_between_ceil(0, 1), 1);
	assert_int_equal(ps_days_between_ceil(0, PS_DAY), 1);
	assert_int_equal(ps_days_between_ceil(0, PS_DAY + 1), 2);
	assert_int_equal(ps_days_between_ceil(10, 5), 0);
	for (int64_t d = -800000; d < 800000; d += 997) {
		int64_t y;
		unsigned m, dd;
		ps_civil_from_days(d, &y, &m, &dd);
		if (ps_days_from_civil(y, m, dd) != d)
			fail_msg("case day %lld: civil round trip gave %lld", (long long)d,
				 (long long)ps_days_from_civil(y, m, dd));
	}
}

static void test_buf_cap(void **state)
{
	struct ps_buf b;
	ps_buf_init(&b, 10);
	assert_true(ps_buf_puts(&b, "12345"));
	assert_true(ps_buf_printf(&b, "%d", 6789));
	assert_string_equal(ps_buf_str(&b), "123456789");
	assert_false(ps_buf_puts(&b, "ab")); /* 11 > cap */
	assert_true(b.toobig);
	assert_string_equal(ps_buf_str(&b), "123456789");
	ps_buf_reset(&b);
	assert_false(b.toobig);
	assert_true(ps_buf_int(&b, -9223372036854775807LL - 1) == false); /* 20 chars > 10 */
	ps_buf_fini(&b);
	ps_buf_init(&b, 64);
	ps_buf_int(&b, -9223372036854775807LL - 1);
	assert_string_equal(ps_buf_str(&b), "-9223372036854775808");
	ps_buf_reset(&b);
	ps_buf_int(&b, 0);
	assert_string_equal(ps_buf_str(&b), "0");
	/* Nothing to add from nowhere: fine (UBSan saw memcpy(p, NULL, 0);
	 * found by fuzz/fuzz_po). */
	assert_true(ps_buf_put(&b, NULL, 0));
	assert_string_equal(ps_buf_str(&b), "0");
	ps_buf_fini(&b);
}

static void test_json_writer(void **state)
{
	struct ps_buf b;
	struct ps_jw w;
	ps_buf_init(&b, 4096);
	ps_jw_init(&w, &b);
	ps_jw_obj(&w);
	ps_jw_kstr(&w, "s", "quote \" backslash \\ newline \n tab \t ctl \x01 é");
	ps_jw_kint(&w, "n", -42);
	ps_jw_kbool(&w, "b", true);
	ps_jw_ktime(&w, "t", 1795770000);
	ps_jw_ktime(&w, "never", 0);
	ps_jw_kid(&w, "id", PS_PFX_SUB, 7);
	ps_jw_kid(&w, "none", PS_PFX_SUB, 0);
	ps_jw_key(&w, "a");
	ps_jw_arr(&w);
	ps_jw_int(&w, 1);
	ps_jw_obj(&w);
	ps_jw_obj_end(&w);
	ps_jw_arr(&w);
	ps_jw_arr_end(&w);
	ps_jw_null(&w);
	ps_jw_arr_end(&w);
	ps_jw_obj_end(&w);
	json_error_t je;
	json_t *j = json_loads(ps_buf_str(&b), 0, &je);
	if (!j)
		fail_msg("case writer: output %s does not parse: %s", ps_buf_str(&b), je.text);
	assert_string_equal(json_string_value(json_object_get(j, "s")),
			    "quote \" backslash \\ newline \n tab \t ctl \x01 é");
	assert_int_equal(json_integer_value(json_object_get(j, "n")), -42);
	assert_true(json_is_true(json_object_get(j, "b")));
	assert_string_equal(json_string_value(json_object_get(j, "t")), "2026-11-27T09:00:00Z");
	assert_true(json_is_null(json_object_get(j, "never")));
	assert_string_equal(json_string_value(json_object_get(j, "id")), "sub_7");
	assert_true(json_is_null(json_object_get(j, "none")));
	assert_int_equal(json_array_size(json_object_get(j, "a")), 4);
	json_decref(j);
	ps_buf_fini(&b);
}

static void test_ids_and_enums(void **state)
{
	int64_t id = 0;
	assert_true(ps_id_parse("sub_12", PS_PFX_SUB, &id));
	assert_int_equal(id, 12);
	static const char *const bad[] = {"sub_", "sub_0", "sub_012", "sub_-1", "sub_1x", "ten_12", "12",
					  "sub_99999999999999999999", NULL};
	for (size_t i = 0; bad[i]; i++)
		if (ps_id_parse(bad[i], PS_PFX_SUB, &id))
			fail_msg("case %s: got accepted as %lld, want refused", bad[i], (long long)id);
	enum ps_role r;
	assert_true(ps_role_parse("billing_admin", &r));
	assert_int_equal(r, PS_ROLE_BILLING_ADMIN);
	assert_false(ps_role_parse("Billing_Admin", &r));
	assert_false(ps_role_parse(NULL, &r));
	assert_string_equal(ps_sub_status_name(PS_SUB_REPLACED), "replaced");
	assert_true(ps_sub_status_is_live(PS_SUB_DISABLED));
	assert_false(ps_sub_status_is_live(PS_SUB_EXPIRED));
	assert_false(ps_role_is_tenant(PS_ROLE_SUPPORT));
	assert_true(ps_role_is_tenant(PS_ROLE_READER));
}

static void test_errors_table(void **state)
{
	assert_string_equal(ps_code_api(PS_UPGRADE_BLOCKED), "upgrade_blocked");
	assert_int_equal(ps_code_http(PS_PAYLOAD_TOO_LARGE), 413);
	assert_int_equal(ps_code_http(PS_RATE_LIMITED), 429);
	assert_int_equal(ps_code_http(PS_NOT_FOUND), 404);
	assert_int_equal(ps_code_http(PS_STORE), 503);
	struct ps_err e;
	assert_int_equal(ps_err_set(&e, PS_INVALID_FIELD, "quantity", "must be %d or more", 1), PS_INVALID_FIELD);
	assert_string_equal(e.field, "quantity");
	assert_string_equal(e.msg, "must be 1 or more");
}

static void test_tokens(void **state)
{
	char a[PS_TOKEN_LEN], b[PS_TOKEN_LEN], h[PS_HASH_LEN];
	assert_true(ps_token_new(a));
	assert_true(ps_token_new(b));
	assert_int_equal(strlen(a), 46);
	assert_true(strncmp(a, "ps_", 3) == 0);
	assert_string_not_equal(a, b);
	ps_sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_format_parse), cmocka_unit_test(test_time_parse_rejects),
		cmocka_unit_test(test_add_months),        cmocka_unit_test(test_weekday_and_days),
		cmocka_unit_test(test_buf_cap),           cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_ids_and_enums),     cmocka_unit_test(test_errors_table),
		cmocka_unit_test(test_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
