/* ps_money.h: money and calendar rules (core layer). Money is an int64 count
 * of the currency's minor unit; never a float.
 *
 * The one rounding rule: a prorated amount is amount * num / den rounded to
 * the nearest minor unit, halves rounded up (away from zero for positive
 * amounts). */
#ifndef PS_MONEY_H
#define PS_MONEY_H

#include "ps_catalog.h"
#include "ps_model.h"

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

/* amount * num / den with the rounding rule above; den > 0, num >= 0.
 * Computed without overflow for any amount below 2^53 and num, den below 2^31. */
int64_t ps_prorate(int64_t amount, int64_t num, int64_t den);

/* a + b, saturated at INT64_MIN and INT64_MAX instead of overflowing: sums
 * of many charges (a tenant's monthly recurring charge) use it. */
int64_t ps_money_add(int64_t a, int64_t b);

/* a - b, saturated the same way (a credit note's amount negated, an unpaid
 * part). */
int64_t ps_money_sub(int64_t a, int64_t b);
/* *acc += v when the sum is representable: true; else false and *acc is
 * left as it was. Sums that are written (a ledger's totals, settlement) use
 * it and refuse the change that would overflow. */
bool ps_money_sum(int64_t *acc, int64_t v);
/* The most a tenant's ledger holds: the sum of its positive invoices, and
 * the sum of its payments, each stay at or below 2^61, so that every figure
 * made from them (the balance, what settlement hands out: payments plus
 * credit notes, at most 2^62) is representable. A payment or a charge that
 * would pass it is refused (doc/BILLING.md "Limits"). */
#define PS_LEDGER_MAX ((int64_t)1 << 61)

/* Months in one term (1 or 12). */
int ps_term_months(enum ps_term t);
/* The end of a term that starts at `start`. */
int64_t ps_term_end(int64_t start, enum ps_term t);
/* The most seats one subscription may have. With PS_PRICE_MAX it keeps a
 * year of one subscription (price * seats * 12) well inside int64: this cap
 * and the catalog's are what keep every single charge from overflowing. */
#define PS_QUANTITY_MAX 1000000

/* The monthly charge of `seats` seats of plan p: price per seat per month *
 * seats; 0 when p is NULL (a plan missing from the catalog). Saturated at
 * INT64_MAX (never reached within the caps above), never wrapped. */
int64_t ps_monthly_charge(const struct ps_plan *p, int64_t seats);
/* What one whole term costs: the monthly charge * the term's months. */
int64_t ps_term_value(const struct ps_plan *p, int64_t seats, enum ps_term t);

/* ---- prices as sold (RULES "Prices stay as sold") ----
 * A subscription keeps the price per seat it was sold at
 * (s->price_per_seat_month, s->currency). It is set from the catalog of
 * the day when s is bought (ps_sub_sell_at) and at each renewal
 * (ps_price_for_renewal), and every charge and credit of s in between uses
 * it: the price is constant over a billed period, so price x seats x days
 * left / days is what was invoiced for those days. */

/* The monthly charge of `seats` seats of s at the price it was sold at. */
int64_t ps_sub_monthly_charge(const struct ps_subscription *s, int64_t seats);
/* s is sold at plan p's price of the day (p NULL: 0). */
void ps_sub_sell_at(struct ps_subscription *s, const struct ps_plan *p);
/* The one place a renewal's price is chosen: the current catalog's price
 * of s's plan p; a plan missing from the catalog (p NULL) keeps the price
 * s was sold at. Call it before pricing the renewed period. */
void ps_price_for_renewal(struct ps_subscription *s, const struct ps_plan *p);
/* What was invoiced for the unused days of `seats` seats of s at `now`
 * (>= 0): the credit of a cancellation, fewer seats, an upgrade or a manual
 * change. 0 when prepaid (unused prepaid time is not credited) or when
 * nothing is billed past now. */
int64_t ps_unused_credit(const struct ps_subscription *s, int64_t seats, int64_t now);

/* The part of a prepaid term not yet used at `now`, by day: days left
 * (rounded up to whole days), and their value under the rounding rule.
 * Zero when now >= term_end. */
void ps_unused_prepaid(int64_t term_start, int64_t term_end, int64_t now, int64_t term_value,
		       int64_t *unused_days, int64_t *unused_value);

/* What prepaid subscription s would lose at `now` if it ended:
 * ps_unused_prepaid of its term at its term value as sold (prepaid_plan's
 * details and the preview's). Zero for a subscription that is not prepaid. */
void ps_prepaid_loss(const struct ps_subscription *s, int64_t now, int64_t *unused_days, int64_t *unused_value);

/* The billing period containing t, of `months` months counted from anchor
 * (each boundary is anchor + k*months calendar months, so a period that
 * starts on the 31st keeps the 31st where the month has one): [*start, *end).
 * A t before anchor gives the first period. */
void ps_billing_period(int64_t anchor, int months, int64_t t, int64_t *start, int64_t *end);

/* `t` plus n business days: Monday to Friday, skipping the given holidays
 * (days since 1970, in any order). The time of day is kept; a start on a
 * weekend or holiday counts from the next business day. */
int64_t ps_add_business_days(int64_t t, int n, const int64_t *holidays, size_t n_holidays);

/* ---- the money of a subscription (doc/BILLING.md) ---- */

/* What is left at `now` of the period s was billed for: its end, the whole
 * days left (rounded up) and the days of the whole period (the term when
 * prepaid). false when nothing is billed past now (or the period is empty). */
struct ps_rest {
	int64_t end, left, days;
};
bool ps_period_rest(const struct ps_subscription *s, int64_t now, struct ps_rest *out);

/* A billed period: [start, end) and its amount. */
struct ps_period {
	int64_t start, end, amount;
};
/* The first invoice of s bought at `now` (at its price as sold): the first
 * month, or the whole term (s->term_end) when prepaid. */
void ps_first_period(const struct ps_subscription *s, int64_t now, struct ps_period *out);
/* The renewal period of s that starts at `start` (its billed_through), at
 * its price (ps_price_for_renewal first): the next term when prepaid, else
 * the month counted from the term's start. */
void ps_renewal_period(const struct ps_subscription *s, int64_t start, struct ps_period *out);
/* The prorated amount of a change of `delta` seats of s at `now` over the
 * rest of its billed period, at its price as sold: positive for a charge,
 * negative for a credit, 0 when nothing is billed past now. Prepaid: more
 * seats are charged for the rest of the term at the term's price, fewer
 * are not credited. *end (may be NULL) gets the end of the period. */
int64_t ps_seats_prorated(const struct ps_subscription *s, int64_t delta, int64_t now, int64_t *end);

/* The money of moving subscription s (plan from, may be NULL) to plan `to`
 * with `quantity` seats at `now`, the same for the preview and the change:
 * - the monthly charge of s before (as sold) and of the target after (the
 *   catalog's price of the day);
 * - upgrade: the unused part of the current period credited and the target
 *   charged for the same part (period_start = now, period_end = its end);
 * - switch: the old plan credited as a cancellation and the target bought
 *   from now for a month;
 * - prepaid: nothing credited (unused_days, unused_value say what is lost)
 *   and the target charged for a new whole term. */
struct ps_change_money {
	int64_t monthly_before, monthly_after;
	int64_t period_start, period_end;
	int64_t credit, charge; /* credit >= 0 */
	int64_t unused_days, unused_value;
};
void ps_change_money(enum ps_op_kind kind, const struct ps_subscription *s, const struct ps_plan *from,
		     const struct ps_plan *to, int64_t quantity, int64_t now, struct ps_change_money *out);

#endif
