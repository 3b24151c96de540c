/* ps_guard.h: a deadline for each request to arrive whole, not reset by each
 * byte (http layer, used by server.c). Thread-safe. */
#ifndef PS_GUARD_H
#define PS_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct ps_guard;
struct ps_guard_conn;

/* Start the reaper: a connection waiting for a request longer than
 * deadline_ms is shut down. 0: no deadline (every call below does nothing). */
struct ps_guard *ps_guard_start(unsigned deadline_ms);
/* Stop the reaper and free g (accepts NULL). Every connection must have
 * been closed (ps_guard_close) before. */
void ps_guard_stop(struct ps_guard *g);
/* A new connection on socket fd, waiting for its first request from now.
 * NULL when g has no deadline. */
struct ps_guard_conn *ps_guard_open(struct ps_guard *g, int fd);
/* c's deadline runs from now (again, if it was running). */
void ps_guard_wait(struct ps_guard_conn *c);
/* A request began on c (its request line came): its deadline runs from now,
 * unless it already runs (the first request: from the opening). */
void ps_guard_begin(struct ps_guard_conn *c);
/* c's request arrived whole: no deadline while it is answered. */
void ps_guard_arrived(struct ps_guard_conn *c);
/* c is closed: forget it (before its descriptor is closed). Accepts NULL. */
void ps_guard_close(struct ps_guard_conn *c);
/* How many connections were shut down past their deadline. */
uint64_t ps_guard_reaped(struct ps_guard *g);

#endif
