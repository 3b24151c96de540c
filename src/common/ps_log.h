/* ps_log.h: one line per event on stderr (common layer). Log once, where an
 * error is decided. */
#ifndef PS_LOG_H
#define PS_LOG_H

enum ps_log_level { PS_LOG_DEBUG, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR };

void ps_log_set_level(enum ps_log_level lvl);
void ps_log(enum ps_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
