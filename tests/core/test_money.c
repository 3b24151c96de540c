/* test_money.c: unit tests of the money and calendar rules (core layer):
 * proration and its one rounding rule, terms, unused prepaid time, month
 * arithmetic and business days. Table-driven; each row names its case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
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
		{"a year at both caps stays inside int64", PS_PRICE_MAX, PS_QUANTITY_MAX, PS_TERM_ANNUAL,
		 PS_PRICE_MAX * PS_QUANTITY_MAX * 12},
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct ps_plan p = {.price_per_seat_month = values[i].price};
		int64_t got = ps_term_value(&p, values[i].seats, values[i].term);
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

static void test_prepaid_loss(void **state)
{
	static const struct {
		const char *name;
		bool prepaid;
		const char *now;
		int64_t want_days, want_value;
	} cases[] = {
		{"prepaid annual, 35 days left", true, "2026-11-27T09:00:00Z", 35, 11507},
		{"prepaid, the term over", true, "2027-01-01T00:00:00Z", 0, 0},
		{"not prepaid: nothing is lost", false, "2026-11-27T09:00:00Z", 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s = {.quantity = 10, .prepaid = cases[i].prepaid, .term = PS_TERM_ANNUAL,
					    .term_start = T("2026-01-01T00:00:00Z"), .term_end = T("2027-01-01T00:00:00Z"),
					    .price_per_seat_month = 1000};
		int64_t days = -1, value = -1;
		ps_prepaid_loss(&s, T(cases[i].now), &days, &value);
		if (days != cases[i].want_days || value != cases[i].want_value)
			fail_msg("case %s: got %lld days, %lld; want %lld days, %lld", cases[i].name, (long long)days,
				 (long long)value, (long long)cases[i].want_days, (long long)cases[i].want_value);
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

/* ---- the money of a subscription ---- */

static void test_monthly_charge(void **state)
{
	static const struct {
		const char *name;
		int64_t price, seats, want;
		bool no_plan;
	} cases[] = {
		{"price x seats", 600, 10, 6000, false},
		{"one seat", 1250, 1, 1250, false},
		{"no seats", 600, 0, 0, false},
		{"a free plan", 0, 25, 0, false},
		{"a plan missing from the catalog counts 0", 600, 10, 0, true},
		{"both caps", PS_PRICE_MAX, PS_QUANTITY_MAX, PS_PRICE_MAX * PS_QUANTITY_MAX, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_plan p = {.price_per_seat_month = cases[i].price};
		int64_t got = ps_monthly_charge(cases[i].no_plan ? NULL : &p, cases[i].seats);
		if (got != cases[i].want)
			fail_msg("case %s: got %lld, want %lld", cases[i].name, (long long)got, (long long)cases[i].want);
	}
}

static void test_money_add(void **state)
{
	static const struct {
		const char *name;
		int64_t a, b, want;
	} cases[] = {
		{"small sum", 1, 2, 3},
		{"with a credit", 100, -250, -150},
		{"saturates at the top", INT64_MAX, 1, INT64_MAX},
		{"saturates at the top, both large", INT64_MAX - 5, INT64_MAX - 5, INT64_MAX},
		{"saturates at the bottom", INT64_MIN, -1, INT64_MIN},
		{"just below the top", INT64_MAX, -1, INT64_MAX - 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got = ps_money_add(cases[i].a, cases[i].b);
		if (got != cases[i].want)
			fail_msg("case %s: got %lld, want %lld", cases[i].name, (long long)got, (long long)cases[i].want);
	}
}

static void test_money_checked(void **state)
{
	static const struct {
		const char *name;
		int64_t a, b;
		bool ok;
		int64_t sum, sub;
	} cases[] = {
		{"small", 5, 3, true, 8, 2},
		{"a credit note", 100, -250, true, -150, 350},
		{"top", INT64_MAX, 1, false, INT64_MAX, INT64_MAX - 1},
		{"bottom", INT64_MIN, -1, false, INT64_MIN, INT64_MIN + 1},
		{"minus the bottom", 0, INT64_MIN, true, INT64_MIN, INT64_MAX},
		{"8192 payments of 2^50", (int64_t)8191 << 50, (int64_t)1 << 50, false, (int64_t)8191 << 50,
		 (int64_t)8190 << 50},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t acc = cases[i].a;
		bool ok = ps_money_sum(&acc, cases[i].b);
		if (ok != cases[i].ok || acc != cases[i].sum)
			fail_msg("case %s sum: got %d %lld, want %d %lld", cases[i].name, ok, (long long)acc,
				 cases[i].ok, (long long)cases[i].sum);
		int64_t d = ps_money_sub(cases[i].a, cases[i].b);
		if (d != cases[i].sub)
			fail_msg("case %s sub: got %lld, want %lld", cases[i].name, (long long)d, (long long)cases[i].sub);
	}
	/* Price x seats x months saturates, never wraps. */
	struct ps_plan p = {.price_per_seat_month = INT64_MAX / 2};
	if (ps_monthly_charge(&p, 3) != INT64_MAX || ps_term_value(&p, 1, PS_TERM_ANNUAL) != INT64_MAX)
		fail_msg("case charge beyond int64: got %lld and %lld, want INT64_MAX", (long long)ps_monthly_charge(&p, 3),
			 (long long)ps_term_value(&p, 1, PS_TERM_ANNUAL));
	p.price_per_seat_month = PS_PRICE_MAX;
	if (ps_term_value(&p, PS_QUANTITY_MAX, PS_TERM_ANNUAL) != PS_PRICE_MAX * PS_QUANTITY_MAX * 12)
		fail_msg("case the largest term: got %lld", (long long)ps_term_value(&p, PS_QUANTITY_MAX, PS_TERM_ANNUAL));
}

/* A subscription for the tables below: prepaid subscriptions are annual. */
static struct ps_subscription subscription(int64_t quantity, bool prepaid, const char *term_start,
					   const char *term_end, const char *billed_through)
{
	struct ps_subscription s = {.quantity = quantity, .status = PS_SUB_ACTIVE, .prepaid = prepaid};
	s.term = prepaid ? PS_TERM_ANNUAL : PS_TERM_MONTHLY;
	s.term_start = T(term_start);
	s.term_end = T(term_end);
	s.billed_through = billed_through ? T(billed_through) : 0;
	return s;
}

static void test_period_rest(void **state)
{
	static const struct {
		const char *name;
		bool prepaid;
		const char *start, *term_end, *billed, *now;
		bool want;
		const char *want_end;
		int64_t want_left, want_days;
	} cases[] = {
		{"half of November", false, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z",
		 "2026-11-16T00:00:00Z", true, "2026-12-01T00:00:00Z", 15, 30},
		{"a second past the day counts the day", false, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z",
		 "2026-12-01T00:00:00Z", "2026-11-16T00:00:01Z", true, "2026-12-01T00:00:00Z", 15, 30},
		{"bought on Jan 31: February has 28 days", false, "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z",
		 "2026-02-28T00:00:00Z", "2026-02-15T00:00:00Z", true, "2026-02-28T00:00:00Z", 13, 28},
		{"billed two months ahead: the rest runs to billed_through", false, "2026-11-01T00:00:00Z",
		 "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-11-16T00:00:00Z", true, "2027-01-01T00:00:00Z", 46,
		 61},
		{"prepaid: the whole term is the period", true, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
		 "2027-01-01T00:00:00Z", "2026-11-27T09:00:00Z", true, "2027-01-01T00:00:00Z", 35, 365},
		{"the period ends now: nothing left", false, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z",
		 "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z", false, NULL, 0, 0},
		{"never billed (waits on a credit check)", false, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", NULL,
		 "2026-11-16T00:00:00Z", false, NULL, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s =
			subscription(1, cases[i].prepaid, cases[i].start, cases[i].term_end, cases[i].billed);
		struct ps_rest r;
		bool got = ps_period_rest(&s, T(cases[i].now), &r);
		int64_t want_end = cases[i].want_end ? T(cases[i].want_end) : 0;
		if (got != cases[i].want || (got && (r.end != want_end || r.left != cases[i].want_left ||
						     r.days != cases[i].want_days)))
			fail_msg("case %s: got %d (end %lld, %lld of %lld days), want %d (end %lld, %lld of %lld days)",
				 cases[i].name, got, (long long)r.end, (long long)r.left, (long long)r.days, cases[i].want,
				 (long long)want_end, (long long)cases[i].want_left, (long long)cases[i].want_days);
	}
}

static void test_periods(void **state)
{
	static const struct {
		const char *name;
		bool renewal, prepaid;
		const char *term_start, *term_end, *at;
		int64_t price, seats;
		const char *want_end;
		int64_t want_amount;
	} cases[] = {
		{"first month", false, false, "2026-11-02T09:00:00Z", "2026-12-02T09:00:00Z", "2026-11-02T09:00:00Z",
		 600, 10, "2026-12-02T09:00:00Z", 6000},
		{"first, prepaid: the whole term", false, true, "2026-11-02T09:00:00Z", "2027-11-02T09:00:00Z",
		 "2026-11-02T09:00:00Z", 600, 4, "2027-11-02T09:00:00Z", 28800},
		{"renewal keeps the 31st", true, false, "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z",
		 "2026-02-28T00:00:00Z", 600, 10, "2026-03-31T00:00:00Z", 6000},
		{"renewal in mid-term", true, false, "2026-01-15T00:00:00Z", "2026-02-15T00:00:00Z",
		 "2026-05-15T00:00:00Z", 1000, 3, "2026-06-15T00:00:00Z", 3000},
		{"renewal, prepaid: the next term", true, true, "2026-11-02T09:00:00Z", "2027-11-02T09:00:00Z",
		 "2027-11-02T09:00:00Z", 600, 4, "2028-11-02T09:00:00Z", 28800},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s =
			subscription(cases[i].seats, cases[i].prepaid, cases[i].term_start, cases[i].term_end, NULL);
		s.price_per_seat_month = cases[i].price;
		struct ps_period got;
		if (cases[i].renewal)
			ps_renewal_period(&s, T(cases[i].at), &got);
		else
			ps_first_period(&s, T(cases[i].at), &got);
		if (got.start != T(cases[i].at) || got.end != T(cases[i].want_end) || got.amount != cases[i].want_amount) {
			char a[PS_TIME_LEN], b[PS_TIME_LEN];
			ps_time_format(got.start, a);
			ps_time_format(got.end, b);
			fail_msg("case %s: got %s to %s, %lld; want %s to %s, %lld", cases[i].name, a, b,
				 (long long)got.amount, cases[i].at, cases[i].want_end, (long long)cases[i].want_amount);
		}
	}
}

static void test_seats_prorated(void **state)
{
	static const struct {
		const char *name;
		bool prepaid, no_plan;
		int64_t price, delta;
		const char *billed, *now;
		int64_t want;
	} cases[] = {
		{"two more seats for half a month", false, false, 3000, 2, "2026-12-01T00:00:00Z", "2026-11-16T00:00:00Z",
		 3000},
		{"two fewer seats: a credit", false, false, 3000, -2, "2026-12-01T00:00:00Z", "2026-11-16T00:00:00Z",
		 -3000},
		{"no change", false, false, 3000, 0, "2026-12-01T00:00:00Z", "2026-11-16T00:00:00Z", 0},
		{"nothing billed past now", false, false, 3000, 2, "2026-11-16T00:00:00Z", "2026-11-16T00:00:00Z", 0},
		{"sold at 0 (a free plan)", false, true, 3000, 2, "2026-12-01T00:00:00Z", "2026-11-16T00:00:00Z", 0},
		{"prepaid: one more seat for the rest of the term", true, false, 100, 1, "2027-01-01T00:00:00Z",
		 "2026-11-27T09:00:00Z", 115},
		{"prepaid: fewer seats are not credited", true, false, 100, -1, "2027-01-01T00:00:00Z",
		 "2026-11-27T09:00:00Z", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s =
			cases[i].prepaid
				? subscription(5, true, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", cases[i].billed)
				: subscription(5, false, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", cases[i].billed);
		s.price_per_seat_month = cases[i].no_plan ? 0 : cases[i].price;
		int64_t end = -1;
		int64_t got = ps_seats_prorated(&s, cases[i].delta, T(cases[i].now), &end);
		if (got != cases[i].want)
			fail_msg("case %s: got %lld, want %lld", cases[i].name, (long long)got, (long long)cases[i].want);
		if (got != 0 && end != T(cases[i].billed))
			fail_msg("case %s: got end %lld, want %s", cases[i].name, (long long)end, cases[i].billed);
	}
}

/* Prices as sold: a renewal takes the catalog's price of the day (a plan
 * missing from the catalog keeps the price sold), and a credit gives back
 * what was invoiced at the price sold, whatever the catalog says now. */
static void test_prices_as_sold(void **state)
{
	static const struct {
		const char *name;
		bool plan_present, prepaid;
		int64_t sold, catalog, want_renewed;
		int64_t want_credit; /* 10 seats, half of a 30-day month left */
	} cases[] = {
	    {"a price rise reaches the renewal, not the credit", true, false, 600, 1200, 1200, 3000},
	    {"a price cut reaches the renewal, not the credit", true, false, 600, 300, 300, 3000},
	    {"a plan missing from the catalog renews at its price", false, false, 600, 0, 600, 3000},
	    {"prepaid: no credit for unused time", true, true, 600, 1200, 1200, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s = subscription(10, cases[i].prepaid, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z",
							"2026-12-01T00:00:00Z");
		struct ps_plan p = {.price_per_seat_month = cases[i].sold, .currency = "EUR"};
		ps_sub_sell_at(&s, &p);
		int64_t credit = ps_unused_credit(&s, 10, T("2026-11-16T00:00:00Z"));
		if (credit != cases[i].want_credit)
			fail_msg("case %s: got credit %lld, want %lld", cases[i].name, (long long)credit,
				 (long long)cases[i].want_credit);
		p.price_per_seat_month = cases[i].catalog; /* the catalog changes */
		if (ps_unused_credit(&s, 10, T("2026-11-16T00:00:00Z")) != cases[i].want_credit)
			fail_msg("case %s: the credit moved with the catalog", cases[i].name);
		ps_price_for_renewal(&s, cases[i].plan_present ? &p : NULL);
		if (s.price_per_seat_month != cases[i].want_renewed || strcmp(s.currency, "EUR") != 0)
			fail_msg("case %s: got renewed at %lld %s, want %lld EUR", cases[i].name,
				 (long long)s.price_per_seat_month, s.currency, (long long)cases[i].want_renewed);
	}
}

static void test_change_money(void **state)
{
	static const struct {
		const char *name;
		enum ps_op_kind kind;
		bool prepaid, no_from;
		int64_t quantity;
		const char *billed, *now;
		int64_t before, after, credit, charge, unused_days, unused_value;
		const char *start, *end; /* NULL: 0 */
	} cases[] = {
		{"upgrade mid-month: the rest credited and charged", PS_OPK_UPGRADE, false, false, 10,
		 "2026-12-01T00:00:00Z", "2026-11-16T00:00:00Z", 10000, 20000, 5000, 10000, 0, 0,
		 "2026-11-16T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"upgrade with more seats", PS_OPK_UPGRADE, false, false, 12, "2026-12-01T00:00:00Z",
		 "2026-11-16T00:00:00Z", 10000, 24000, 5000, 12000, 0, 0, "2026-11-16T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"upgrade, nothing billed past now", PS_OPK_UPGRADE, false, false, 10, "2026-11-16T00:00:00Z",
		 "2026-11-16T00:00:00Z", 10000, 20000, 0, 0, 0, 0, NULL, NULL},
		{"upgrade after the catalog's price of the source rose: credited as sold", PS_OPK_UPGRADE, false, true,
		 10, "2026-12-01T00:00:00Z", "2026-11-16T00:00:00Z", 10000, 20000, 5000, 10000, 0, 0,
		 "2026-11-16T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"switch after the catalog's price of the source rose: credited as sold", PS_OPK_SWITCH, false, true,
		 10, "2026-12-01T00:00:00Z", "2026-11-16T00:00:00Z", 10000, 20000, 5000, 20000, 0, 0,
		 "2026-11-16T00:00:00Z", "2026-12-16T00:00:00Z"},
		{"switch: cancelled and bought from now", PS_OPK_SWITCH, false, false, 10, "2026-12-01T00:00:00Z",
		 "2026-11-16T00:00:00Z", 10000, 20000, 5000, 20000, 0, 0, "2026-11-16T00:00:00Z", "2026-12-16T00:00:00Z"},
		{"switch, prepaid: nothing credited, a new term", PS_OPK_SWITCH, true, false, 10,
		 "2027-01-01T00:00:00Z", "2026-11-27T09:00:00Z", 10000, 20000, 0, 240000, 35, 11507,
		 "2026-11-27T09:00:00Z", "2027-11-27T09:00:00Z"},
		{"upgrade, prepaid: as a switch", PS_OPK_UPGRADE, true, false, 10, "2027-01-01T00:00:00Z",
		 "2026-11-27T09:00:00Z", 10000, 20000, 0, 240000, 35, 11507, "2026-11-27T09:00:00Z",
		 "2027-11-27T09:00:00Z"},
	};
	/* The source was sold at 1000 a seat; the catalog's price of its plan
	 * is 1000, or (no_from) 9999 today: the sold price is what counts. */
	struct ps_plan from = {.price_per_seat_month = 1000}, risen = {.price_per_seat_month = 9999},
		       to = {.price_per_seat_month = 2000};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_subscription s =
			cases[i].prepaid
				? subscription(10, true, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", cases[i].billed)
				: subscription(10, false, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", cases[i].billed);
		s.price_per_seat_month = 1000;
		struct ps_change_money m;
		ps_change_money(cases[i].kind, &s, cases[i].no_from ? &risen : &from, &to, cases[i].quantity,
				T(cases[i].now), &m);
		int64_t start = cases[i].start ? T(cases[i].start) : 0, end = cases[i].end ? T(cases[i].end) : 0;
		if (m.monthly_before != cases[i].before || m.monthly_after != cases[i].after)
			fail_msg("case %s: got monthly %lld -> %lld, want %lld -> %lld", cases[i].name,
				 (long long)m.monthly_before, (long long)m.monthly_after, (long long)cases[i].before,
				 (long long)cases[i].after);
		if (m.credit != cases[i].credit || m.charge != cases[i].charge)
			fail_msg("case %s: got credit %lld, charge %lld; want %lld, %lld", cases[i].name,
				 (long long)m.credit, (long long)m.charge, (long long)cases[i].credit,
				 (long long)cases[i].charge);
		if (m.unused_days != cases[i].unused_days || m.unused_value != cases[i].unused_value)
			fail_msg("case %s: got unused %lld days, %lld; want %lld days, %lld", cases[i].name,
				 (long long)m.unused_days, (long long)m.unused_value, (long long)cases[i].unused_days,
				 (long long)cases[i].unused_value);
		if (m.period_start != start || m.period_end != end)
			fail_msg("case %s: got period %lld to %lld, want %lld to %lld", cases[i].name,
				 (long long)m.period_start, (long long)m.period_end, (long long)start, (long long)end);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prorate),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_add_months),
		cmocka_unit_test(test_unused_prepaid),
		cmocka_unit_test(test_prepaid_loss),
		cmocka_unit_test(test_business_days),
		cmocka_unit_test(test_monthly_charge),
		cmocka_unit_test(test_money_add),
		cmocka_unit_test(test_money_checked),
		cmocka_unit_test(test_period_rest),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_seats_prorated),
		cmocka_unit_test(test_prices_as_sold), cmocka_unit_test(test_change_money),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
