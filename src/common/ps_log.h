/* ps_log.h: one line per event on stderr, each with its time and level
 * (common layer). Log once, where an error is decided. */
#ifndef PS_LOG_H
#define PS_LOG_H

#include <stdarg.h>

enum ps_log_level { PS_LOG_DEBUG, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR };

void ps_log_set_level(enum ps_log_level lvl);
void ps_log(enum ps_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for events a client can cause at will (a flood of aborted
 * connections): at most a few lines a second are written, and the next line
 * written says how many were dropped. */
void ps_log_flood(enum ps_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ps_log_vflood(enum ps_log_level lvl, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
