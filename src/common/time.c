/* time.c: UTC calendar arithmetic and RFC 3339 (common layer). The civil
 * conversions are Howard Hinnant's well-known algorithms, written out here. */
#include "ps_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t ps_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void ps_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ps_days_in_month(int64_t y, unsigned m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && is_leap(y))
		return 29;
	return dm[(m - 1) % 12];
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int ps_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	int64_t w = (days + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

void ps_time_format(int64_t t, char out[PS_TIME_LEN])
{
	int64_t days = floordiv(t, PS_DAY);
	int64_t secs = t - days * PS_DAY;
	int64_t y;
	unsigned m, d;
	ps_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, PS_TIME_LEN, "%s", "0000-00-00T00:00:00Z");
		return;
	}
	int v[6] = {(int)y, (int)m, (int)d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)};
	static const char layout[] = "yyyy-mm-ddThh:mm:ssZ";
	int field = 5, width = 0;
	/* Fill digits right to left, field by field. */
	for (int i = PS_TIME_LEN - 2; i >= 0; i--) {
		char c = layout[i];
		if (c == '-' || c == ':' || c == 'T' || c == 'Z') {
			out[i] = c;
			if (width) {
				field--;
				width = 0;
			}
			continue;
		}
		out[i] = (char)('0' + v[field] % 10);
		v[field] /= 10;
		width++;
	}
	out[PS_TIME_LEN - 1] = '\0';
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool ps_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);
	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > ps_days_in_month(y, (unsigned)mo))
		return false;
	const char *p = s + 10;
	int64_t offset = 0;
	if (*p != '\0') {
		if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 9)
			return false;
		if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi) || p[6] != ':' ||
		    !digits(p + 7, 2, &se))
			return false;
		if (h > 23 || mi > 59 || se > 60)
			return false;
		p += 9;
		if (*p == '.') {
			p++;
			if (*p < '0' || *p > '9')
				return false;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			if (strlen(p) != 6 || !digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) ||
			    oh > 23 || om > 59)
				return false;
			offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
			p += 6;
		} else {
			return false;
		}
		if (*p != '\0')
			return false;
	}
	*out = ps_days_from_civil(y, (unsigned)mo, (unsigned)d) * PS_DAY + h * 3600 + mi * 60 + se - offset;
	return true;
}

int64_t ps_time_add_months(int64_t t, int n)
{
	int64_t days = floordiv(t, PS_DAY);
	int64_t secs = t - days * PS_DAY;
	int64_t y;
	unsigned m, d;
	ps_civil_from_days(days, &y, &m, &d);
	int64_t mm = (int64_t)(m - 1) + n;
	y += floordiv(mm, 12);
	m = (unsigned)(mm - floordiv(mm, 12) * 12) + 1;
	int dim = ps_days_in_month(y, m);
	if ((int)d > dim)
		d = (unsigned)dim;
	return ps_days_from_civil(y, m, d) * PS_DAY + secs;
}

int64_t ps_days_between_ceil(int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	return (b - a + PS_DAY - 1) / PS_DAY;
}

int64_t ps_time_system(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

bool ps_duration_parse(const char *s, int64_t *seconds)
{
	int64_t n = 0;
	const char *p = s;
	if (!s || *p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > 10 * 366 * 86400LL)
			return false;
	}
	int64_t unit = *p == 's' ? 1 : *p == 'm' ? 60 : *p == 'h' ? 3600 : *p == 'd' ? 86400 : 0;
	if (!unit || p[1] != '\0' || n == 0 || n * unit > 10 * 366 * 86400LL)
		return false;
	*seconds = n * unit;
	return true;
}
