/* test_money.c: unit tests of the money and calendar rules (core layer):
 * proration and its one rounding rule, terms, unused prepaid time, month
 * arithmetic and business days. Table-driven; each row names its case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/ps_time.h"
#include "core/ps_money.h"

static int64_t T(const char *s)
{
	int64_t t = 0;
	if (!ps_time_parse(s, &t))
		fail_msg("bad time in test table: %s", s);
	return t;
}

static int64_t D(const char *s)
{
	return T(s) / PS_DAY;
}

static void test_prorate(void **state)
{
	static const struct {
		const char *name;
		int64_t amount, num, den, want;
	} cases[] = {
		{"half of 100", 100, 1, 2, 50},
		{"half of 1 rounds up", 1, 1, 2, 1},
		{"half of 3 rounds up", 3, 1, 2, 2},
		{"two thirds of 5 rounds to nearest", 5, 2, 3, 3},
		{"one third of 4 rounds down", 4, 1, 3, 1},
		{"just below a half rounds down", 149, 1, 100, 1},
		{"exactly a half rounds up", 150, 1, 100, 2},
		{"zero amount", 0, 15, 30, 0},
		{"zero days", 1000, 0, 30, 0},
		{"full period", 1234567, 30, 30, 1234567},
		{"15 of 31 days (a 31-day month)", 3100, 15, 31, 1500},
		{"1 of 31 days", 999, 1, 31, 32},
		{"10 of 29 days (Feb 2028, leap)", 2900, 10, 29, 1000},
		{"10 of 28 days (Feb 2027)", 2800, 10, 28, 1000},
		{"1 of 29 days of 1000 (34.48)", 1000, 1, 29, 34},
		{"1 of 28 days of 1000 (35.71)", 1000, 1, 28, 36},
		{"183 of 365 days (annual)", 120000, 183, 365, 60164},
		{"183 of 366 days (annual, leap) is exactly half", 120000, 183, 366, 60000},
		{"negative half rounds up, toward zero", -3, 1, 2, -1},
		{"negative credit", -1000, 1, 3, -333},
		{"no overflow near 2^82", (int64_t)1 << 52, (int64_t)1 << 30, 2147483647, 2251799814733824},
		{"no overflow at the stated limits", ((int64_t)1 << 53) - 1, 2147483647, 2147483646,
		 9007199258935295},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got = ps_prorate(cases[i].amount, cases[i].num, cases[i].den);
		if (got != cases[i].want)
			fail_msg("case %s: got %lld, want %lld", cases[i].name, (long long)got,
				 (long long)cases[i].want);
	}
}

static void test_terms(void **state)
{
	if (ps_term_months(PS_TERM_MONTHLY) != 1 || ps_term_months(PS_TERM_ANNUAL) != 12)
		fail_msg("case term months: got %d/%d, want 1/12", ps_term_months(PS_TERM_MONTHLY),
			 ps_term_months(PS_TERM_ANNUAL));
	static const struct {
		const char *name;
		const char *start;
		enum ps_term term;
		const char *want;
	} ends[] = {
		{"monthly from mid-month", "2026-11-15T10:30:00Z", PS_TERM_MONTHLY, "2026-12-15T10:30:00Z"},
		{"monthly from Jan 31 (2027) clamps to Feb 28", "2027-01-31T00:00:00Z", PS_TERM_MONTHLY,
		 "2027-02-28T00:00:00Z"},
		{"monthly from Jan 31 (2028) clamps to Feb 29", "2028-01-31T08:00:00Z", PS_TERM_MONTHLY,
		 "2028-02-29T08:00:00Z"},
		{"monthly across the year", "2026-12-31T23:59:59Z", PS_TERM_MONTHLY, "2027-01-31T23:59:59Z"},
		{"annual", "2026-01-01T00:00:00Z", PS_TERM_ANNUAL, "2027-01-01T00:00:00Z"},
		{"annual from Feb 29", "2028-02-29T00:00:00Z", PS_TERM_ANNUAL, "2029-02-28T00:00:00Z"},
	};
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		int64_t got = ps_term_end(T(ends[i].start), ends[i].term);
		if (got != T(ends[i].want)) {
			char g[PS_TIME_LEN];
			ps_time_format(got, g);
			fail_msg("case %s: got %s, want %s", ends[i].name, g, ends[i].want);
		}
	}
	static const struct {
		const char *name;
		int64_t price, seats;
		enum ps_term term;
		int64_t want;
	} values[] = {
		{"monthly, 10 seats", 600, 10, PS_TERM_MONTHLY, 6000},
		{"annual, 10 seats", 600, 10, PS_TERM_ANNUAL, 72000},
		{"no seats", 600, 0, PS_TERM_ANNUAL, 0},
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		int64_t got = ps_term_value(values[i].price, values[i].seats, values[i].term);
		if (got != values[i].want)
			fail_msg("case %s: got %lld, want %lld", values[i].name, (long long)got,
				 (long long)values[i].want);
	}
}

static void test_add_months(void **state)
{
	static const struct {
		const char *name, *t;
		int n;
		const char *want;
	} cases[] = {
		{"Jan 31 + 1 (2027) = Feb 28", "2027-01-31T12:00:00Z", 1, "2027-02-28T12:00:00Z"},
		{"Jan 31 + 1 (2028) = Feb 29", "2028-01-31T12:00:00Z", 1, "2028-02-29T12:00:00Z"},
		{"Jan 30 + 1 (2028) = Feb 29", "2028-01-30T00:00:00Z", 1, "2028-02-29T00:00:00Z"},
		{"Mar 31 - 1 = Feb 28", "2027-03-31T00:00:00Z", -1, "2027-02-28T00:00:00Z"},
		{"May 31 + 1 = Jun 30", "2026-05-31T06:00:00Z", 1, "2026-06-30T06:00:00Z"},
		{"Dec 15 + 1 = Jan 15", "2026-12-15T09:00:00Z", 1, "2027-01-15T09:00:00Z"},
		{"Feb 29 + 12 = Feb 28", "2028-02-29T00:00:00Z", 12, "2029-02-28T00:00:00Z"},
		{"+ 0 keeps the time", "2026-11-27T09:00:00Z", 0, "2026-11-27T09:00:00Z"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got = ps_time_add_months(T(cases[i].t), cases[i].n);
		if (got != T(cases[i].want)) {
			char g[PS_TIME_LEN];
			ps_time_format(got, g);
			fail_msg("case %s: got %s, want %s", cases[i].name, g, cases[i].want);
		}
	}
}

static void test_unused_prepaid(void **state)
{
	static const struct {
		const char *name, *start, *end, *now;
		int64_t value, want_days, want_value;
	} cases[] = {
		{"annual, 35 days left (rounded up)", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
		 "2026-11-27T09:00:00Z", 72000, 35, 6904},
		{"annual, half way in a leap year", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z",
		 "2028-07-02T00:00:00Z", 120000, 183, 60000},
		{"monthly Feb 2028, 10 of 29 days left", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z",
		 "2028-02-20T00:00:00Z", 2900, 10, 1000},
		{"monthly Feb 2027, 10 of 28 days left", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z",
		 "2027-02-19T00:00:00Z", 2800, 10, 1000},
		{"one second left counts a day", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z",
		 "2026-11-30T23:59:59Z", 3000, 1, 100},
		{"term ended: nothing unused", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
		 "2027-01-01T00:00:00Z", 72000, 0, 0},
		{"long after the term", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
		 "2026-11-27T09:00:00Z", 72000, 0, 0},
		{"before the term starts: all of it", "2026-12-01T00:00:00Z", "2027-12-01T00:00:00Z",
		 "2026-11-27T09:00:00Z", 72000, 365, 72000},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t days = -1, value = -1;
		ps_unused_prepaid(T(cases[i].start), T(cases[i].end), T(cases[i].now), cases[i].value, &days, &value);
		if (days != cases[i].want_days || value != cases[i].want_value)
			fail_msg("case %s: got %lld days, %lld; want %lld days, %lld", cases[i].name,
				 (long long)days, (long long)value, (long long)cases[i].want_days,
				 (long long)cases[i].want_value);
	}
}

static void test_business_days(void **state)
{
	int64_t monday_holiday[] = {D("2026-11-30")};
	int64_t christmas[] = {D("2026-12-25"), D("2026-12-24")}; /* any order */
	static const struct {
		const char *name, *t;
		int n;
		int which; /* 0 none, 1 Monday Nov 30, 2 Dec 24 and 25 */
		const char *want;
	} cases[] = {
		{"Friday + 2 = Tuesday, same time of day", "2026-11-27T09:00:00Z", 2, 0, "2026-12-01T09:00:00Z"},
		{"Thursday + 2 = Monday", "2026-11-26T17:30:00Z", 2, 0, "2026-11-30T17:30:00Z"},
		{"Saturday start + 2 = Tuesday", "2026-11-28T10:00:00Z", 2, 0, "2026-12-01T10:00:00Z"},
		{"Sunday start + 2 = Tuesday", "2026-11-29T23:00:00Z", 2, 0, "2026-12-01T23:00:00Z"},
		{"Friday + 2 with a holiday on Monday = Wednesday", "2026-11-27T09:00:00Z", 2, 1,
		 "2026-12-02T09:00:00Z"},
		{"Monday + 1 = Tuesday", "2026-11-30T08:00:00Z", 1, 0, "2026-12-01T08:00:00Z"},
		{"Wednesday Dec 23 + 2 over Christmas = Tuesday Dec 29", "2026-12-23T12:00:00Z", 2, 2,
		 "2026-12-29T12:00:00Z"},
		{"Tuesday Dec 22 + 2 over Christmas = Monday Dec 28", "2026-12-22T12:00:00Z", 2, 2,
		 "2026-12-28T12:00:00Z"},
		{"Christmas Eve (holiday) start + 2 = Tuesday Dec 29", "2026-12-24T12:00:00Z", 2, 2,
		 "2026-12-29T12:00:00Z"},
		{"+ 0 is the same time", "2026-11-28T10:00:00Z", 0, 0, "2026-11-28T10:00:00Z"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const int64_t *h = cases[i].which == 1 ? monday_holiday : cases[i].which == 2 ? christmas : NULL;
		size_t nh = cases[i].which == 1 ? 1 : cases[i].which == 2 ? 2 : 0;
		int64_t got = ps_add_business_days(T(cases[i].t), cases[i].n, h, nh);
		if (got != T(cases[i].want)) {
			char g[PS_TIME_LEN];
			ps_time_format(got, g);
			fail_msg("case %s: got %s, want %s", cases[i].name, g, cases[i].want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prorate),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_add_months),
		cmocka_unit_test(test_unused_prepaid),
		cmocka_unit_test(test_business_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
