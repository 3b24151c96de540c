/* ps_json.h: a direct JSON writer onto a ps_buf (common layer). Cheaper than
 * building a tree and dumping it; commas are placed by the writer. Parsing of
 * input stays with jansson. */
#ifndef PS_JSON_H
#define PS_JSON_H

#include "ps_buf.h"

#include <stdbool.h>
#include <stdint.h>

#define PS_JW_DEPTH 32

struct ps_jw {
	struct ps_buf *b;
	int depth;
	bool need_comma[PS_JW_DEPTH];
	bool after_key;
};

void ps_jw_init(struct ps_jw *w, struct ps_buf *b);
void ps_jw_obj(struct ps_jw *w);       /* { */
void ps_jw_obj_end(struct ps_jw *w);   /* } */
void ps_jw_arr(struct ps_jw *w);       /* [ */
void ps_jw_arr_end(struct ps_jw *w);   /* ] */
void ps_jw_key(struct ps_jw *w, const char *k);
void ps_jw_str(struct ps_jw *w, const char *s); /* NULL writes null */
void ps_jw_strn(struct ps_jw *w, const char *s, size_t n);
void ps_jw_int(struct ps_jw *w, int64_t v);
void ps_jw_bool(struct ps_jw *w, bool v);
void ps_jw_null(struct ps_jw *w);
void ps_jw_time(struct ps_jw *w, int64_t t); /* RFC 3339 UTC string; 0 or less writes null */
void ps_jw_idstr(struct ps_jw *w, const char *prefix, int64_t id); /* "sub_12"; id 0 writes null */
void ps_jw_raw(struct ps_jw *w, const char *json, size_t n); /* a ready value */
/* Shorthands: key then value. */
void ps_jw_kstr(struct ps_jw *w, const char *k, const char *s);
void ps_jw_kint(struct ps_jw *w, const char *k, int64_t v);
void ps_jw_kbool(struct ps_jw *w, const char *k, bool v);
void ps_jw_ktime(struct ps_jw *w, const char *k, int64_t t);
void ps_jw_kid(struct ps_jw *w, const char *k, const char *prefix, int64_t id);

/* Append s as a JSON string literal (with quotes) to b. */
void ps_json_escape(struct ps_buf *b, const char *s, size_t n);

#endif
