/* json.c: the direct JSON writer (common layer). */
#include "ps_json.h"
#include "ps_time.h"

#include <string.h>

void ps_jw_init(struct ps_jw *w, struct ps_buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

static void sep(struct ps_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->need_comma[w->depth])
		ps_buf_putc(w->b, ',');
	if (w->depth > 0)
		w->need_comma[w->depth] = true;
}

static void open(struct ps_jw *w, char c)
{
	sep(w);
	ps_buf_putc(w->b, c);
	if (w->depth + 1 < PS_JW_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_(struct ps_jw *w, char c)
{
	ps_buf_putc(w->b, c);
	if (w->depth > 0)
		w->depth--;
}

void ps_jw_obj(struct ps_jw *w) { open(w, '{'); }
void ps_jw_obj_end(struct ps_jw *w) { close_(w, '}'); }
void ps_jw_arr(struct ps_jw *w) { open(w, '['); }
void ps_jw_arr_end(struct ps_jw *w) { close_(w, ']'); }

void ps_json_escape(struct ps_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	ps_buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		ps_buf_put(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': ps_buf_put(b, "\\\"", 2); break;
		case '\\': ps_buf_put(b, "\\\\", 2); break;
		case '\n': ps_buf_put(b, "\\n", 2); break;
		case '\r': ps_buf_put(b, "\\r", 2); break;
		case '\t': ps_buf_put(b, "\\t", 2); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			ps_buf_put(b, u, 6);
		}
		}
	}
	ps_buf_put(b, s + run, n - run);
	ps_buf_putc(b, '"');
}

void ps_jw_key(struct ps_jw *w, const char *k)
{
	sep(w);
	ps_json_escape(w->b, k, strlen(k));
	ps_buf_putc(w->b, ':');
	w->after_key = true;
}

void ps_jw_strn(struct ps_jw *w, const char *s, size_t n)
{
	sep(w);
	ps_json_escape(w->b, s, n);
}

void ps_jw_str(struct ps_jw *w, const char *s)
{
	if (!s) {
		ps_jw_null(w);
		return;
	}
	ps_jw_strn(w, s, strlen(s));
}

void ps_jw_int(struct ps_jw *w, int64_t v)
{
	sep(w);
	ps_buf_int(w->b, v);
}

void ps_jw_bool(struct ps_jw *w, bool v)
{
	sep(w);
	ps_buf_puts(w->b, v ? "true" : "false");
}

void ps_jw_null(struct ps_jw *w)
{
	sep(w);
	ps_buf_puts(w->b, "null");
}

void ps_jw_time(struct ps_jw *w, int64_t t)
{
	if (t <= 0) {
		ps_jw_null(w);
		return;
	}
	char tmp[PS_TIME_LEN];
	ps_time_format(t, tmp);
	sep(w);
	ps_buf_putc(w->b, '"');
	ps_buf_puts(w->b, tmp);
	ps_buf_putc(w->b, '"');
}

void ps_jw_idstr(struct ps_jw *w, const char *prefix, int64_t id)
{
	if (id <= 0) {
		ps_jw_null(w);
		return;
	}
	sep(w);
	ps_buf_putc(w->b, '"');
	ps_buf_puts(w->b, prefix);
	ps_buf_int(w->b, id);
	ps_buf_putc(w->b, '"');
}

void ps_jw_raw(struct ps_jw *w, const char *json, size_t n)
{
	sep(w);
	ps_buf_put(w->b, json, n);
}

void ps_jw_kstr(struct ps_jw *w, const char *k, const char *s) { ps_jw_key(w, k); ps_jw_str(w, s); }
void ps_jw_kint(struct ps_jw *w, const char *k, int64_t v) { ps_jw_key(w, k); ps_jw_int(w, v); }
void ps_jw_kbool(struct ps_jw *w, const char *k, bool v) { ps_jw_key(w, k); ps_jw_bool(w, v); }
void ps_jw_ktime(struct ps_jw *w, const char *k, int64_t t) { ps_jw_key(w, k); ps_jw_time(w, t); }
void ps_jw_kid(struct ps_jw *w, const char *k, const char *prefix, int64_t id)
{
	ps_jw_key(w, k);
	ps_jw_idstr(w, prefix, id);
}
