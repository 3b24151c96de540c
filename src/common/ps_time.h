/* ps_time.h: UTC time as int64 seconds since 1970, and its RFC 3339 text
 * (common layer). Pure calendar arithmetic: nothing here reads the clock but
 * ps_time_system(), which only the clock module calls. */
#ifndef PS_TIME_H
#define PS_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define PS_TIME_LEN 21 /* "2026-11-27T09:00:00Z" and its NUL */
#define PS_DAY 86400

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into out (PS_TIME_LEN bytes). */
void ps_time_format(int64_t t, char out[PS_TIME_LEN]);
/* Parse RFC 3339: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; offsets are
 * folded into UTC, fractions dropped. A bare date "YYYY-MM-DD" is midnight UTC.
 * false when s is not such a time. */
bool ps_time_parse(const char *s, int64_t *out);

/* Days since 1970-01-01 for a civil date (proleptic Gregorian), and back. */
int64_t ps_days_from_civil(int64_t y, unsigned m, unsigned d);
void ps_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
int ps_days_in_month(int64_t y, unsigned m);
/* Weekday of a day number: 0 Monday .. 6 Sunday. */
int ps_weekday(int64_t days);
/* t plus n calendar months, the day of month clamped to the month's end
 * (Jan 31 + 1 month = Feb 28 or 29), time of day kept. */
int64_t ps_time_add_months(int64_t t, int n);
/* Whole days from a to b, rounded up (0 when b <= a). */
int64_t ps_days_between_ceil(int64_t a, int64_t b);

/* The system's current UTC time in seconds. */
int64_t ps_time_system(void);

/* A DURATION of the command line (API.md): a whole number and a unit, s, m,
 * h or d ("90s", "30m", "4h", "90d"), into seconds. False when malformed,
 * zero or over 10 years. */
bool ps_duration_parse(const char *s, int64_t *seconds);

#endif
