/* guard.c: the deadline for a request to arrive (http layer). libmicrohttpd's
 * connection timeout counts from the last byte, so a client sending one byte
 * every few seconds would hold its connection for ever. Here each request
 * has until its deadline to send its headers and body, counted from the
 * connection's opening for the first request, and from its request line
 * for the next ones on a kept-alive connection (an idle one waits for
 * libmicrohttpd's idle timeout instead); past it,
 * a reaper thread shuts the socket down and libmicrohttpd closes it. The
 * waiting connections form one list ordered by when they began to wait
 * (they are appended as they begin), so the reaper looks at its head only. */
#include "ps_guard.h"

#include "../common/ps_log.h"
#include "../common/ps_mem.h"

#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

struct ps_guard_conn {
	struct ps_guard_conn *prev, *next;
	struct ps_guard *g;
	int fd;
	bool waiting; /* in the list */
	uint64_t since_ms;
};

struct ps_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t reaper;
	struct ps_guard_conn *head, *tail;
	uint64_t deadline_ms;
	uint64_t reaped; /* connections shut down past their deadline */
	bool stop;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void unlink_locked(struct ps_guard *g, struct ps_guard_conn *n)
{
	if (!n->waiting)
		return;
	if (n->prev)
		n->prev->next = n->next;
	else
		g->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		g->tail = n->prev;
	n->prev = n->next = NULL;
	n->waiting = false;
}

static void *reap(void *arg)
{
	struct ps_guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		uint64_t now = mono_ms();
		uint64_t n = 0;
		while (g->head && g->head->since_ms + g->deadline_ms <= now) {
			struct ps_guard_conn *c = g->head;
			unlink_locked(g, c);
			/* The descriptor is still open: libmicrohttpd closes it only
			 * after telling ps_guard_close, which waits for this lock. */
			shutdown(c->fd, SHUT_RDWR);
			n++;
		}
		g->reaped += n;
		if (n)
			ps_log_flood(PS_LOG_INFO, "closed %llu connection(s) that did not send a whole request within %llu ms",
				     (unsigned long long)n, (unsigned long long)g->deadline_ms);
		uint64_t wait_ms = g->head ? g->head->since_ms + g->deadline_ms - now : 1000;
		if (wait_ms > 1000)
			wait_ms = 1000;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(wait_ms / 1000);
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L + 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct ps_guard *ps_guard_start(unsigned deadline_ms)
{
	struct ps_guard *g = ps_calloc(1, sizeof *g);
	g->deadline_ms = deadline_ms;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (deadline_ms && pthread_create(&g->reaper, NULL, reap, g) != 0) {
		ps_log(PS_LOG_ERROR, "cannot start the request deadline thread: %s", strerror(errno));
		g->deadline_ms = 0;
	}
	return g;
}

void ps_guard_stop(struct ps_guard *g)
{
	if (!g)
		return;
	if (g->deadline_ms) {
		pthread_mutex_lock(&g->lock);
		g->stop = true;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->reaper, NULL);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	ps_free(g);
}

struct ps_guard_conn *ps_guard_open(struct ps_guard *g, int fd)
{
	if (!g->deadline_ms)
		return NULL;
	struct ps_guard_conn *c = ps_calloc(1, sizeof *c);
	c->g = g;
	c->fd = fd;
	ps_guard_wait(c);
	return c;
}

void ps_guard_wait(struct ps_guard_conn *c)
{
	if (!c)
		return;
	struct ps_guard *g = c->g;
	pthread_mutex_lock(&g->lock);
	unlink_locked(g, c);
	c->since_ms = mono_ms();
	c->prev = g->tail;
	if (g->tail)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
	c->waiting = true;
	pthread_mutex_unlock(&g->lock);
}

void ps_guard_begin(struct ps_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->g->lock);
	bool waiting = c->waiting;
	pthread_mutex_unlock(&c->g->lock);
	if (!waiting) /* only this connection's thread arms it: no race */
		ps_guard_wait(c);
}

void ps_guard_arrived(struct ps_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->g->lock);
	unlink_locked(c->g, c);
	pthread_mutex_unlock(&c->g->lock);
}

void ps_guard_close(struct ps_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->g->lock);
	unlink_locked(c->g, c);
	pthread_mutex_unlock(&c->g->lock);
	ps_free(c);
}

uint64_t ps_guard_reaped(struct ps_guard *g)
{
	pthread_mutex_lock(&g->lock);
	uint64_t n = g->reaped;
	pthread_mutex_unlock(&g->lock);
	return n;
}
