/* money.c: proration, terms and business days (core layer). Integer minor
 * units only; the one rounding rule of ps_money.h (halves up) lives in
 * ps_prorate and nowhere else. Pure: no clock, no allocation. */
#include "ps_money.h"
#include "../common/ps_time.h"

#include <stdbool.h>
#include <string.h>

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

int64_t ps_money_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int64_t ps_money_sub(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

bool ps_money_sum(int64_t *acc, int64_t v)
{
	int64_t r;
	if (__builtin_add_overflow(*acc, v, &r))
		return false;
	*acc = r;
	return true;
}

/* a * b, saturated at the sign's end instead of overflowing. */
static int64_t money_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
	return r;
}

int64_t ps_monthly_charge(const struct ps_plan *p, int64_t seats)
{
	return p ? money_mul(p->price_per_seat_month, seats) : 0;
}

int64_t ps_term_value(const struct ps_plan *p, int64_t seats, enum ps_term t)
{
	return money_mul(ps_monthly_charge(p, seats), ps_term_months(t));
}

int64_t ps_sub_monthly_charge(const struct ps_subscription *s, int64_t seats)
{
	return money_mul(s->price_per_seat_month, seats);
}

static int64_t sub_term_value(const struct ps_subscription *s, int64_t seats, enum ps_term t)
{
	return money_mul(ps_sub_monthly_charge(s, seats), ps_term_months(t));
}

void ps_sub_sell_at(struct ps_subscription *s, const struct ps_plan *p)
{
	s->price_per_seat_month = p ? p->price_per_seat_month : 0;
	memcpy(s->currency, p ? p->currency : "", p ? sizeof s->currency : 1);
}

void ps_price_for_renewal(struct ps_subscription *s, const struct ps_plan *p)
{
	if (p)
		ps_sub_sell_at(s, p);
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

void ps_prepaid_loss(const struct ps_subscription *s, int64_t now, int64_t *unused_days, int64_t *unused_value)
{
	*unused_days = *unused_value = 0;
	if (s->prepaid)
		ps_unused_prepaid(s->term_start, s->term_end, now, sub_term_value(s, s->quantity, s->term),
				  unused_days, unused_value);
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

/* ---- the money of a subscription ---- */

bool ps_period_rest(const struct ps_subscription *s, int64_t now, struct ps_rest *out)
{
	int64_t start, end;
	out->end = out->left = out->days = 0;
	if (s->billed_through <= now)
		return false;
	if (s->prepaid) {
		start = s->term_start;
		end = s->term_end;
	} else {
		ps_billing_period(s->term_start, 1, now, &start, &end);
		end = s->billed_through;
	}
	out->end = end;
	out->left = ps_days_between_ceil(now, end);
	out->days = ps_days_between_ceil(start, end);
	return out->days > 0;
}

void ps_first_period(const struct ps_subscription *s, int64_t now, struct ps_period *out)
{
	out->start = now;
	if (s->prepaid) {
		out->end = s->term_end;
		out->amount = sub_term_value(s, s->quantity, s->term);
	} else {
		out->end = ps_time_add_months(now, 1);
		out->amount = ps_sub_monthly_charge(s, s->quantity);
	}
}

void ps_renewal_period(const struct ps_subscription *s, int64_t start, struct ps_period *out)
{
	out->start = start;
	if (s->prepaid) {
		out->end = ps_term_end(start, s->term);
		out->amount = sub_term_value(s, s->quantity, s->term);
	} else {
		int64_t from;
		ps_billing_period(s->term_start, 1, start, &from, &out->end);
		out->amount = ps_sub_monthly_charge(s, s->quantity);
	}
}

int64_t ps_seats_prorated(const struct ps_subscription *s, int64_t delta, int64_t now, int64_t *end)
{
	struct ps_rest r;
	bool billed = ps_period_rest(s, now, &r);
	if (end)
		*end = r.end;
	if (delta == 0 || !billed)
		return 0; /* nothing billed for the rest of this period */
	if (s->prepaid && delta < 0)
		return 0; /* unused prepaid time is not credited */
	int64_t mag = delta < 0 ? -delta : delta;
	int64_t amount = ps_prorate(sub_term_value(s, mag, s->prepaid ? s->term : PS_TERM_MONTHLY), r.left, r.days);
	return delta < 0 ? -amount : amount;
}

int64_t ps_unused_credit(const struct ps_subscription *s, int64_t seats, int64_t now)
{
	return -ps_seats_prorated(s, -seats, now, NULL);
}

void ps_change_money(enum ps_op_kind kind, const struct ps_subscription *s, const struct ps_plan *from,
		     const struct ps_plan *to, int64_t quantity, int64_t now, struct ps_change_money *out)
{
	struct ps_rest r;
	out->monthly_before = ps_sub_monthly_charge(s, s->quantity);
	out->monthly_after = ps_monthly_charge(to, quantity);
	out->period_start = out->period_end = 0;
	out->credit = out->charge = 0;
	out->unused_days = out->unused_value = 0;
	ps_prepaid_loss(s, now, &out->unused_days, &out->unused_value);
	if (kind == PS_OPK_SWITCH || s->prepaid) {
		/* The old plan cancelled (no credit when prepaid) and the target
		 * bought from now, for a month or, prepaid, a new whole term. */
		struct ps_subscription dst = {.quantity = quantity, .term = s->term, .prepaid = s->prepaid,
					      .term_start = now, .term_end = ps_term_end(now, s->term)};
		struct ps_period first;
		ps_sub_sell_at(&dst, to);
		ps_first_period(&dst, now, &first);
		out->period_start = first.start;
		out->period_end = first.end;
		out->charge = first.amount;
		out->credit = ps_unused_credit(s, s->quantity, now);
		return;
	}
	/* Upgrade: the same period, its unused part credited (at the price it
	 * was sold at) and charged (at the target's price). */
	(void)from;
	if (ps_period_rest(s, now, &r)) {
		out->credit = ps_prorate(out->monthly_before, r.left, r.days);
		out->period_start = now;
		out->period_end = r.end;
		out->charge = ps_prorate(out->monthly_after, r.left, r.days);
	}
}
