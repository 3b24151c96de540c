/* log.c: timestamped lines on stderr (common layer). One line per event,
 * written with one write(2) so lines from several threads do not mix. Events
 * a client can cause at will (aborted connections, the HTTP library's
 * complaints) go through ps_log_flood, which lets a few lines a second
 * through and counts the rest in the next line written. */
#include "ps_log.h"
#include "ps_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ps_log_flood's budget: this many lines per second, at most. */
#define PS_LOG_FLOOD_PER_S 10

static enum ps_log_level min_level = PS_LOG_INFO;
static int64_t flood_second;    /* the second counted (atomic) */
static uint64_t flood_lines;    /* lines written in it (atomic) */
static uint64_t flood_dropped;  /* lines dropped since the last written (atomic) */

void ps_log_set_level(enum ps_log_level lvl)
{
	min_level = lvl;
}

static void vlog(enum ps_log_level lvl, uint64_t dropped, const char *fmt, va_list ap)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	char ts[PS_TIME_LEN], msg[1024], line[1200];
	ps_time_format(ps_time_system(), ts);
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0'; /* one line per event */
	for (size_t i = 0; i < n; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	int len;
	if (dropped)
		len = snprintf(line, sizeof line, "%s planshift %s: %s (%llu similar lines dropped before this one)\n",
			       ts, names[lvl], msg, (unsigned long long)dropped);
	else
		len = snprintf(line, sizeof line, "%s planshift %s: %s\n", ts, names[lvl], msg);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof line) {
		len = (int)sizeof line - 1;
		line[len - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)len) < 0) {
		/* Nowhere else to say it. */
	}
}

void ps_log(enum ps_log_level lvl, const char *fmt, ...)
{
	if (lvl < min_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, 0, fmt, ap);
	va_end(ap);
}

void ps_log_vflood(enum ps_log_level lvl, const char *fmt, va_list ap)
{
	if (lvl < min_level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t sec = (int64_t)ts.tv_sec;
	int64_t was = __atomic_load_n(&flood_second, __ATOMIC_RELAXED);
	if (was != sec && __atomic_compare_exchange_n(&flood_second, &was, sec, false, __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED))
		__atomic_store_n(&flood_lines, 0, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&flood_lines, 1, __ATOMIC_RELAXED) > PS_LOG_FLOOD_PER_S) {
		__atomic_add_fetch(&flood_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	vlog(lvl, __atomic_exchange_n(&flood_dropped, 0, __ATOMIC_RELAXED), fmt, ap);
}

void ps_log_flood(enum ps_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ps_log_vflood(lvl, fmt, ap);
	va_end(ap);
}
