/* ps_buf.h: a growable byte buffer with a cap set when it is made (common
 * layer), in the manner of curl's dynbuf. Writing past the cap marks the
 * buffer `toobig` and drops the write; the text stays NUL-terminated. */
#ifndef PS_BUF_H
#define PS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ps_buf {
	char *p;     /* NUL-terminated while len > 0 or after any put */
	size_t len;
	size_t cap;
	size_t max;  /* the cap: len never exceeds it */
	bool toobig; /* a write was refused for the cap */
};

void ps_buf_init(struct ps_buf *b, size_t max);
void ps_buf_fini(struct ps_buf *b);
void ps_buf_reset(struct ps_buf *b); /* len = 0, keeps the memory */
bool ps_buf_put(struct ps_buf *b, const void *data, size_t n);
bool ps_buf_puts(struct ps_buf *b, const char *s);
bool ps_buf_putc(struct ps_buf *b, char c);
bool ps_buf_printf(struct ps_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ps_buf_int(struct ps_buf *b, int64_t v);
/* Hand the text to the caller (who frees it with ps_free) and reset b. */
char *ps_buf_take(struct ps_buf *b);
const char *ps_buf_str(const struct ps_buf *b); /* "" when empty */

#endif
