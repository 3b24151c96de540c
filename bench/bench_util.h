/* bench_util.h: the pieces the store benchmarks share (bench layer): a
 * monotonic clock in seconds, the median of a few runs, reading a file
 * whole, and dying with the store's message. A benchmark defines
 * BENCH_NAME (its program's name, for its messages) before including it. */
#ifndef PS_BENCH_UTIL_H
#define PS_BENCH_UTIL_H

#include "common/ps_err.h"
#include "common/ps_i18n.h"
#include "core/ps_catalog.h"
#include "store/ps_store.h"

#include <stdio.h>
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

#ifndef BENCH_NAME
#error "define BENCH_NAME (the program's name) before including bench_util.h"
#endif

static inline void bench_die(const char *what, const struct ps_err *err)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, what, err && err->msg[0] ? err->msg : "failed");
	exit(1);
}

/* The whole file at path, NUL-terminated (*len: its length); dies if it
 * cannot be read. */
static inline char *bench_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		bench_die(path, NULL);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n)
		bench_die(path, NULL);
	fclose(f);
	s[n] = '\0';
	*len = (size_t)n;
	return s;
}

/* The store at db, migrated, with the catalog file loaded at t0 (the
 * messages' translations too); dies on any fault. */
static inline struct ps_store *bench_store(const char *db, const char *catalog, int64_t t0)
{
	struct ps_err err = {0};
	struct ps_store *st;
	if (ps_i18n_init(&err) != PS_OK || ps_store_open(db, &st, &err) != PS_OK || st->ops->migrate(st, &err) != PS_OK)
		bench_die(db, &err);
	size_t len;
	char *json = bench_read_all(catalog, &len);
	struct ps_catalog *cat = NULL;
	struct ps_faults faults = {0};
	if (!ps_catalog_parse(json, len, &cat, &faults))
		bench_die(catalog, NULL);
	if (st->ops->begin(st, PS_TX_WRITE, &err) ||
	    st->ops->catalog_put(st, cat->json, cat->json_len, t0, "cli", NULL, &err) || st->ops->commit(st, &err))
		bench_die("catalog", &err);
	ps_catalog_free(cat);
	free(json);
	return st;
}

#endif
