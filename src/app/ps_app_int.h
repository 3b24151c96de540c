/* ps_app_int.h: helpers shared by the app layer's files; not for callers. */
#ifndef PS_APP_INT_H
#define PS_APP_INT_H

#include "ps_app.h"

/* Check a text field: present, 1..max bytes, valid UTF-8, no control chars. */
ps_code ps_app_text(struct ps_ctx *c, const char *field, const char *s, size_t max);
/* Run fn inside one write transaction: begin, fn, commit; rollback on error. */
ps_code ps_app_tx(struct ps_ctx *c, ps_code (*fn)(struct ps_ctx *c, void *arg), void *arg);
/* "sub_12" for an id, into out. */
const char *ps_app_ref(char *out, size_t cap, const char *prefix, int64_t id);

#endif
