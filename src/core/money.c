/* money.c: proration, terms and business days (core layer). Integer minor
 * units only; the one rounding rule of ps_money.h (halves up) lives in
 * ps_prorate and nowhere else. Pure: no clock, no allocation. */
#include "ps_money.h"
#include "../common/ps_time.h"

#include <stdbool.h>

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* amount = q * den + r with 0 <= r < den, so amount * num / den is
 * q * num + r * num / den; r * num stays below 2^62 for den, num < 2^31,
 * and the rounding applies to the second term only: floor(x + 1/2). */
int64_t ps_prorate(int64_t amount, int64_t num, int64_t den)
{
	if (den <= 0 || num <= 0)
		return 0;
	int64_t q = floordiv(amount, den);
	int64_t r = amount - q * den;
	uint64_t twice = 2 * (uint64_t)r * (uint64_t)num + (uint64_t)den;
	return q * num + (int64_t)(twice / (2 * (uint64_t)den));
}

int ps_term_months(enum ps_term t)
{
	return t == PS_TERM_ANNUAL ? 12 : 1;
}

int64_t ps_term_end(int64_t start, enum ps_term t)
{
	return ps_time_add_months(start, ps_term_months(t));
}

int64_t ps_term_value(int64_t price_per_seat_month, int64_t seats, enum ps_term t)
{
	return price_per_seat_month * seats * ps_term_months(t);
}

void ps_unused_prepaid(int64_t term_start, int64_t term_end, int64_t now, int64_t term_value,
		       int64_t *unused_days, int64_t *unused_value)
{
	*unused_days = 0;
	*unused_value = 0;
	if (now >= term_end || term_end <= term_start)
		return;
	int64_t total = ps_days_between_ceil(term_start, term_end);
	int64_t left = ps_days_between_ceil(now < term_start ? term_start : now, term_end);
	if (left > total)
		left = total;
	*unused_days = left;
	*unused_value = ps_prorate(term_value, left, total);
}

static bool is_business_day(int64_t day, const int64_t *holidays, size_t n_holidays)
{
	if (ps_weekday(day) >= 5)
		return false;
	for (size_t i = 0; i < n_holidays; i++)
		if (holidays[i] == day)
			return false;
	return true;
}

/* Step day by day; each business day after the start counts one. A start on
 * a weekend or holiday thus counts from the next business day: Saturday + 2
 * is Tuesday, as Friday + 2 is. */
int64_t ps_add_business_days(int64_t t, int n, const int64_t *holidays, size_t n_holidays)
{
	if (n <= 0)
		return t;
	int64_t day = floordiv(t, PS_DAY);
	int64_t secs = t - day * PS_DAY;
	while (n > 0) {
		day++;
		if (is_business_day(day, holidays, n_holidays))
			n--;
	}
	return day * PS_DAY + secs;
}

void ps_billing_period(int64_t anchor, int months, int64_t t, int64_t *start, int64_t *end)
{
	int64_t s = anchor, e = ps_time_add_months(anchor, months);
	for (int k = 1; e <= t; k++) {
		s = e;
		e = ps_time_add_months(anchor, (k + 1) * months);
	}
	*start = s;
	*end = e;
}
