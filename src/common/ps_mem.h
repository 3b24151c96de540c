/* ps_mem.h: the one allocator (common layer). Out of memory aborts here, in
 * one place, so no caller carries an untestable branch for it. */
#ifndef PS_MEM_H
#define PS_MEM_H

#include <stddef.h>

void *ps_malloc(size_t n);
void *ps_calloc(size_t count, size_t size);
void *ps_realloc(void *p, size_t n);
char *ps_strdup(const char *s);            /* NULL in, NULL out */
char *ps_strndup(const char *s, size_t n); /* copies at most n bytes, NUL-terminated */
void ps_free(void *p);                     /* accepts NULL */

/* Grow an array (*p, *cap elements of `size` bytes) to hold at least `need`. */
void ps_grow(void **p, size_t *cap, size_t need, size_t size);

#endif
