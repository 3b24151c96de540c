/* err.c: the error table's strings and the struct ps_err helpers (common layer). */
#include "ps_err.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *api;
	int http;
} table[] = {
#define X(name, api, http) {api, http},
	PS_ERR_MAP(X)
#undef X
};

const char *ps_code_api(ps_code c)
{
	if ((unsigned)c >= PS__ERR_COUNT)
		return "internal_error";
	return table[c].api;
}

int ps_code_http(ps_code c)
{
	if ((unsigned)c >= PS__ERR_COUNT)
		return 500;
	return table[c].http;
}

ps_code ps_err_vset(struct ps_err *err, ps_code c, const char *field, const char *fmt, va_list ap)
{
	if (err == NULL)
		return c;
	err->code = c;
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	if (fmt)
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	else
		err->msg[0] = '\0';
	return c;
}

ps_code ps_err_set(struct ps_err *err, ps_code c, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ps_err_vset(err, c, field, fmt, ap);
	va_end(ap);
	return c;
}

void ps_err_clear(struct ps_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}
