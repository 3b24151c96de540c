/* buf.c: the capped growable buffer (common layer). */
#include "ps_buf.h"
#include "ps_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ps_buf_init(struct ps_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void ps_buf_fini(struct ps_buf *b)
{
	ps_free(b->p);
	memset(b, 0, sizeof *b);
}

void ps_buf_reset(struct ps_buf *b)
{
	b->len = 0;
	b->toobig = false;
	if (b->p)
		b->p[0] = '\0';
}

static bool reserve(struct ps_buf *b, size_t n)
{
	if (b->toobig || n > b->max - b->len) {
		b->toobig = true;
		return false;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = ps_realloc(b->p, cap);
		b->cap = cap;
	}
	return true;
}

bool ps_buf_put(struct ps_buf *b, const void *data, size_t n)
{
	if (!reserve(b, n))
		return false;
	if (n) /* data may be NULL when n is 0 (found by fuzz/fuzz_po) */
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

bool ps_buf_puts(struct ps_buf *b, const char *s)
{
	return ps_buf_put(b, s, strlen(s));
}

bool ps_buf_putc(struct ps_buf *b, char c)
{
	if (!reserve(b, 1))
		return false;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return true;
}

bool ps_buf_printf(struct ps_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof small)
		return ps_buf_put(b, small, (size_t)n);
	if (!reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

bool ps_buf_int(struct ps_buf *b, int64_t v)
{
	char tmp[24];
	char *e = tmp + sizeof tmp;
	char *p = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return ps_buf_put(b, p, (size_t)(e - p));
}

char *ps_buf_take(struct ps_buf *b)
{
	char *p = b->p ? b->p : ps_strdup("");
	size_t max = b->max;
	memset(b, 0, sizeof *b);
	b->max = max;
	return p;
}

const char *ps_buf_str(const struct ps_buf *b)
{
	return b->p ? b->p : "";
}
