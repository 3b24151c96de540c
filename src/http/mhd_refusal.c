/* mhd_refusal.c: libmicrohttpd's own refusals answered in the JSON error
 * shape (http layer).
 *
 * libmicrohttpd 0.9.75 refuses by itself what it cannot parse: a bad or
 * too large Content-Length, a malformed chunk or too large chunk size, a
 * request line too long (414), headers too large (431), an HTTP version it
 * does not speak (505), a malformed version or header line, an HTTP/1.1
 * request without Host. It never calls the application for those:
 * connection.c's transmit_error_response_len makes a response from one of
 * its compiled-in HTML texts with MHD_create_response_from_buffer(...,
 * MHD_RESPMEM_PERSISTENT) and queues it with MHD_queue_response. It offers
 * no hook, but both are exported functions that the library calls through
 * its own PLT (R_X86_64_JUMP_SLOT relocations), so the definitions below,
 * in the executable, take the calls (ELF symbol interposition) and forward
 * them to the library's (dlsym RTLD_NEXT):
 *
 * - a response made from a persistent buffer that starts with "<html>" is
 *   one of the library's texts (this program makes its answers from
 *   buffers it frees): remembered, per thread, with its text;
 * - when that response is queued, the JSON answer for its status and text
 *   is queued instead (ps_http_refusal: the headers of every answer and
 *   `Connection: close`, since the library closes the connection after).
 *
 * A refusal raised while the headers are parsed (Content-Length, Host) is
 * written to the socket here instead (see MHD_queue_response below).
 *
 * This covers the first request of a connection and every kept-alive
 * follow-up, and a chunk seen mid-body, at the cost of one comparison per
 * answer. tests/integration/11-http-limits.test.mjs sends each case over a
 * raw socket. What the library closes without any answer (a request line
 * without a space, or one starting with a space) stays without one.
 * Written against 0.9.75's connection.c; a later version that made its
 * bodies with another function (0.9.76 has ..._from_buffer_static) would
 * answer HTML again, and that test would say so. */
#define _GNU_SOURCE
#include "ps_http_int.h"

#include "../common/ps_err.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct MHD_Response *(*create_fn)(size_t, void *, enum MHD_ResponseMemoryMode);
typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

static create_fn real_create;
static queue_fn real_queue;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
	real_create = (create_fn)dlsym(RTLD_NEXT, "MHD_create_response_from_buffer");
	real_queue = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
	if (!real_create || !real_queue) {
		/* Linked statically: the library's definitions are not reachable. */
		fprintf(stderr, "planshift: libmicrohttpd must be linked dynamically (%s)\n", dlerror());
		abort();
	}
}

/* The library's last refusal made on this thread, and its text. */
static __thread struct MHD_Response *pending;
static __thread const char *pending_text;

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	pthread_once(&real_once, find_real);
	struct MHD_Response *resp = real_create(size, buffer, mode);
	bool library = mode == MHD_RESPMEM_PERSISTENT && size >= 6 && memcmp(buffer, "<html>", 6) == 0;
	pending = library ? resp : NULL;
	pending_text = library ? buffer : NULL;
	return resp;
}

/* The error for a refusal: by its status, and by its text where one
 * status has several causes. */
static void refusal_error(unsigned status, const char *text, struct ps_err *e)
{
	bool chunk = strstr(text, "chunk") != NULL;
	bool clen = strstr(text, "Content-Length") != NULL;
	switch (status) {
	case 400:
		if (clen)
			ps_err_set(e, PS_INVALID_FIELD, "Content-Length", "Content-Length must be a number of bytes");
		else if (chunk)
			ps_err_set(e, PS_BAD_REQUEST, "Transfer-Encoding",
				   "the chunked body is malformed (a chunk size that is not hexadecimal, or a missing line end)");
		else if (strstr(text, "Host"))
			ps_err_set(e, PS_INVALID_FIELD, "Host", "an HTTP/1.1 request needs a Host header");
		else
			ps_err_set(e, PS_BAD_REQUEST, NULL,
				   "the request is not well-formed HTTP (its request line, version or a header line)");
		return;
	case 413:
		if (chunk)
			ps_err_set(e, PS_PAYLOAD_TOO_LARGE, "Transfer-Encoding", "a chunk size is too large");
		else
			ps_err_set(e, PS_PAYLOAD_TOO_LARGE, "Content-Length", "Content-Length is too large");
		return;
	case 414:
		ps_err_set(e, PS_URI_TOO_LONG, NULL, "the request line is too long");
		return;
	case 431:
		ps_err_set(e, PS_HEADERS_TOO_LARGE, NULL, "the request headers are too large");
		return;
	case 505:
		ps_err_set(e, PS_HTTP_VERSION, NULL, "only HTTP/1.0 and HTTP/1.1 are served");
		return;
	default:
		ps_err_set(e, PS_INTERNAL, NULL, "the request could not be read");
		return;
	}
}

/* Write msg to the connection's socket (non-blocking: a short answer into
 * an empty send buffer: the previous answer was sent before the library
 * read this request; 60 ms of waiting at most), then end the sending. */
static void write_direct(struct MHD_Connection *conn, const struct ps_buf *msg)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	int fd = ci->connect_fd;
	size_t done = 0;
	for (int tries = 0; done < msg->len && tries < 3; tries++) {
		ssize_t n = send(fd, msg->p + done, msg->len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return;
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		poll(&pfd, 1, 20);
	}
	shutdown(fd, SHUT_WR);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *resp)
{
	pthread_once(&real_once, find_real);
	if (resp == NULL || resp != pending)
		return real_queue(conn, status, resp);
	pending = NULL;
	struct ps_err e;
	refusal_error(status, pending_text, &e);
	if (strstr(pending_text, "Content-Length") || strstr(pending_text, "Host")) {
		/* Refused while the headers are parsed (parse_connection_headers):
		 * there libmicrohttpd 0.9.75 then overwrites the state of the
		 * queued answer, and sends its headers twice and no body. The
		 * answer is written here, and refusing to queue makes the
		 * library close the connection. */
		struct ps_buf msg;
		ps_buf_init(&msg, 8192);
		ps_http_refusal_message(&e, &msg);
		write_direct(conn, &msg);
		ps_buf_fini(&msg);
		return MHD_NO;
	}
	struct MHD_Response *json = ps_http_refusal(&e);
	if (!json)
		return real_queue(conn, status, resp);
	/* The library destroys its own response after this call; the queued
	 * one is held by the connection. */
	enum MHD_Result ret = real_queue(conn, (unsigned)ps_code_http(e.code), json);
	MHD_destroy_response(json);
	return ret;
}
