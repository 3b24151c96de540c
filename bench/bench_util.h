/* bench_util.h: the timing pieces the store benchmarks share (bench layer):
 * a monotonic clock in seconds and the median of a few runs. */
#ifndef PS_BENCH_UTIL_H
#define PS_BENCH_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 9

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of v[0..n) (n <= MAX_RUNS); v is left as it was. */
static inline double median(const double *v, int n)
{
	double tmp[MAX_RUNS];
	memcpy(tmp, v, sizeof(double) * (size_t)n);
	qsort(tmp, (size_t)n, sizeof tmp[0], cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

#endif
