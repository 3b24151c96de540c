/* log.c: timestamped lines on stderr (common layer). */
#include "ps_log.h"
#include "ps_time.h"

#include <stdarg.h>
#include <stdio.h>

static enum ps_log_level min_level = PS_LOG_INFO;

void ps_log_set_level(enum ps_log_level lvl)
{
	min_level = lvl;
}

void ps_log(enum ps_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (lvl < min_level)
		return;
	char ts[PS_TIME_LEN], line[1024];
	ps_time_format(ps_time_system(), ts);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s planshift %s: %s\n", ts, names[lvl], line);
}
