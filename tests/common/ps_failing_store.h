/* ps_failing_store.h: a store wrapper made from the method list
 * PS_STORE_METHODS, so that it cannot miss a method, which does something at
 * its fail_at-th call (tests). By default the call fails with PS_STORE
 * without reaching the store; with `at_fault` set, at_fault runs instead and
 * the call then goes through (to break the store under the call: end its
 * PostgreSQL session). close and rollback pass through, rollback without
 * counting. Include after cmocka.h and the store header. */
#ifndef PS_FAILING_STORE_H
#define PS_FAILING_STORE_H

#include "common/ps_mem.h"

/* Each method's number, and how many times the wrappers were called: a
 * test can say which methods its use cases never reached. */
#define FS_ENUM(ret, name, params, args) FS_M_##name,
enum { PS_STORE_METHODS(FS_ENUM) FS_M__COUNT };
#define FS_NAME(ret, name, params, args) #name,
static const char *const fs_method_names[] = {PS_STORE_METHODS(FS_NAME)};
static int fs_hits[FS_M__COUNT];

struct fs {
	struct ps_store base;
	struct ps_store *in;
	struct ps_store_ops ops;
	int calls;
	int fail_at; /* 0: never */
	bool failed;
	void (*at_fault)(struct fs *f); /* NULL: the call fails */
};

static inline struct fs *fs_of(struct ps_store *st)
{
	return (struct fs *)st;
}

/* Count a call; true when it must fail without reaching the store. */
static inline bool tick(struct fs *f)
{
	f->calls++;
	if (f->fail_at && f->calls == f->fail_at) {
		f->failed = true;
		if (!f->at_fault)
			return true;
		f->at_fault(f);
	}
	return false;
}

#define W_ps_code(name, params, args)                                                                      \
	static ps_code w_##name params                                                                     \
	{                                                                                                  \
		struct fs *f = fs_of(st);                                                                  \
		fs_hits[FS_M_##name]++;                                                                    \
		if (tick(f))                                                                               \
			return ps_err_set(err, PS_STORE, NULL, "injected failure at call %d", f->calls);  \
		st = f->in;                                                                                \
		return st->ops->name args;                                                                 \
	}
#define W_void(name, params, args)                                                                         \
	static void w_##name params                                                                        \
	{                                                                                                  \
		pass_##name(fs_of(st));                                                                    \
	}
#define W(ret, name, params, args) W_##ret(name, params, args)

static inline void pass_close(struct fs *f)
{
	ps_store_close(f->in);
	ps_free(f);
}

static inline void pass_rollback(struct fs *f)
{
	f->in->ops->rollback(f->in);
}

PS_STORE_METHODS(W)

#define W_OP(ret, name, params, args) .name = w_##name,
static const struct ps_store_ops failing_ops = {.name = "failing", PS_STORE_METHODS(W_OP)};

/* A wrapper around in (which it closes), failing or acting at call fail_at. */
static inline struct fs *fs_wrap(struct ps_store *in, int fail_at, void (*at_fault)(struct fs *f))
{
	struct fs *f = ps_calloc(1, sizeof *f);
	/* snapshot_scan is optional: where the store has none, neither has
	 * the wrapper, so the sweep takes its per-tenant path as it would. */
	f->ops = failing_ops;
	if (in->ops->snapshot_scan == NULL)
		f->ops.snapshot_scan = NULL;
	f->base.ops = &f->ops;
	f->in = in;
	f->fail_at = fail_at;
	f->at_fault = at_fault;
	return f;
}

#endif
