/* ps_money.h: money and calendar rules (core layer). Money is an int64 count
 * of the currency's minor unit; never a float.
 *
 * The one rounding rule: a prorated amount is amount * num / den rounded to
 * the nearest minor unit, halves rounded up (away from zero for positive
 * amounts). */
#ifndef PS_MONEY_H
#define PS_MONEY_H

#include "ps_model.h"

#include <stddef.h>
#include <stdint.h>

/* amount * num / den with the rounding rule above; den > 0, num >= 0.
 * Computed without overflow for any amount below 2^53 and num, den below 2^31. */
int64_t ps_prorate(int64_t amount, int64_t num, int64_t den);

/* Months in one term (1 or 12). */
int ps_term_months(enum ps_term t);
/* The end of a term that starts at `start`. */
int64_t ps_term_end(int64_t start, enum ps_term t);
/* What one whole term costs: price per seat per month * seats * months. */
int64_t ps_term_value(int64_t price_per_seat_month, int64_t seats, enum ps_term t);

/* The part of a prepaid term not yet used at `now`, by day: days left
 * (rounded up to whole days), and their value under the rounding rule.
 * Zero when now >= term_end. */
void ps_unused_prepaid(int64_t term_start, int64_t term_end, int64_t now, int64_t term_value,
		       int64_t *unused_days, int64_t *unused_value);

/* The billing period containing t, of `months` months counted from anchor
 * (each boundary is anchor + k*months calendar months, so a period that
 * starts on the 31st keeps the 31st where the month has one): [*start, *end).
 * A t before anchor gives the first period. */
void ps_billing_period(int64_t anchor, int months, int64_t t, int64_t *start, int64_t *end);

/* `t` plus n business days: Monday to Friday, skipping the given holidays
 * (days since 1970, in any order). The time of day is kept; a start on a
 * weekend or holiday counts from the next business day. */
int64_t ps_add_business_days(int64_t t, int n, const int64_t *holidays, size_t n_holidays);

#endif
