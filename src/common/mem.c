/* mem.c: allocation that aborts on exhaustion (common layer). */
#include "ps_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "planshift: out of memory (%zu bytes)\n", n);
	abort();
}

void *ps_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *ps_calloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *ps_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *ps_strdup(const char *s)
{
	if (!s)
		return NULL;
	return ps_strndup(s, strlen(s));
}

char *ps_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = ps_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void ps_free(void *p)
{
	free(p);
}

void ps_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 8;
	while (n < need)
		n *= 2;
	*p = ps_realloc(*p, n * size);
	*cap = n;
}
