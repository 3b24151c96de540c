/* ps_want.h: the checks the C tests share (tests). Each failure reads
 * "case X: got ..., want ..." (Postfix's Ptest). Include after cmocka.h.
 * A file that uses WANT_CODE defines WANT_ERR: the struct ps_err * its
 * calls fill (e.g. `#define WANT_ERR (&f->err)`), cleared before each call. */
#ifndef PS_WANT_H
#define PS_WANT_H

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#define WANT(cond, ...)                                                                                                \
	do {                                                                                                           \
		if (!(cond))                                                                                           \
			fail_msg(__VA_ARGS__);                                                                         \
	} while (0)

#define WANT_CODE(expr, want, what)                                                                                    \
	do {                                                                                                           \
		ps_err_clear(WANT_ERR);                                                                                \
		ps_code c_ = (expr);                                                                                   \
		if (c_ != (want))                                                                                      \
			fail_msg("case %s: got %s (field \"%s\": %s), want %s", (what), ps_code_api(c_),               \
				 (WANT_ERR)->field, (WANT_ERR)->msg, ps_code_api(want));                               \
	} while (0)
#define OK(expr, what) WANT_CODE(expr, PS_OK, what)

#define WANT_I64(got, want, what)                                                                                      \
	do {                                                                                                           \
		int64_t g_ = (int64_t)(got), w_ = (int64_t)(want);                                                     \
		if (g_ != w_)                                                                                          \
			fail_msg("case %s: got %" PRId64 ", want %" PRId64, (what), g_, w_);                           \
	} while (0)

/* A macro's value as a string literal: PS_STR(PS_SCHEMA_VERSION) is "3". */
#define PS_STR_(x) #x
#define PS_STR(x)  PS_STR_(x)

#define WANT_STR(got, want, what)                                                                                      \
	do {                                                                                                           \
		const char *g_ = (got), *w_ = (want);                                                                  \
		if (strcmp(g_, w_) != 0)                                                                               \
			fail_msg("case %s: got \"%s\", want \"%s\"", (what), g_, w_);                                  \
	} while (0)

#define WANT_IN(hay, needle, what)                                                                                     \
	do {                                                                                                           \
		if (strstr((hay), (needle)) == NULL)                                                                   \
			fail_msg("case %s: got \"%s\", want a text containing \"%s\"", (what), (hay), (needle));       \
	} while (0)

#endif
