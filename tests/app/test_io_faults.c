/* test_io_faults.c: an upgrade and a payment on a SQLite store whose file
 * system fails: a VFS shim (SQLite's test_vfs idea) over the default one
 * fails the N-th read, write or fsync with an I/O error, for every N the
 * use case reaches. After each, the store (reopened, its WAL recovered) is
 * either untouched or fully changed, never half; a use case that says it
 * succeeded has fully changed it. (RULES, "Staying up".) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/ps_app.h"
#include "app/ps_demo.h"
#include "common/ps_buf.h"
#include "common/ps_mem.h"
#include "store/ps_store.h"

#include "../common/ps_app_fixture.h"
#include "../common/ps_sqlite_fixture.h"

/* ---- the shim: the default VFS, with the N-th read, write or sync failing ---- */

enum op { OP_READ, OP_WRITE, OP_SYNC, OP__N };
static const char *const op_name[] = {"read", "write", "fsync"};

static struct {
	sqlite3_vfs *real;
	int count[OP__N];
	enum op kind;
	int fail_at; /* 0: none */
	bool failed;
} sh;

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real; /* right after this struct */
};

static bool fault(enum op k)
{
	sh.count[k]++;
	if (sh.fail_at && k == sh.kind && sh.count[k] == sh.fail_at) {
		sh.failed = true;
		return true;
	}
	return false;
}

#define REAL(f) (((struct shim_file *)(f))->real)

static int s_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}
static int s_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return fault(OP_READ) ? SQLITE_IOERR_READ : REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
static int s_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	return fault(OP_WRITE) ? SQLITE_IOERR_WRITE : REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int s_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int s_sync(sqlite3_file *f, int flags)
{
	return fault(OP_SYNC) ? SQLITE_IOERR_FSYNC : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int s_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int s_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int s_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int s_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int s_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int s_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int s_chars(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int s_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int s_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void s_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int s_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* No memory-mapped pages (xFetch/xUnfetch): every read goes through s_read. */
static const sqlite3_io_methods shim_io = {
    2, s_close, s_read, s_write, s_truncate, s_sync, s_size, s_lock, s_unlock, s_reserved, s_control,
    s_sector, s_chars, s_shm_map, s_shm_lock, s_shm_barrier, s_shm_unmap, NULL, NULL};

static int s_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct shim_file *sf = (struct shim_file *)f;
	sf->real = (sqlite3_file *)(sf + 1);
	int rc = sh.real->xOpen(sh.real, name, sf->real, flags, out_flags);
	sf->base.pMethods = rc == SQLITE_OK && sf->real->pMethods ? &shim_io : NULL;
	return rc;
}

static sqlite3_vfs shim_vfs;

static void shim_register(void)
{
	sh.real = sqlite3_vfs_find(NULL);
	shim_vfs = *sh.real;
	shim_vfs.zName = "faulty";
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + sh.real->szOsFile;
	shim_vfs.xOpen = s_open;
	shim_vfs.pNext = NULL;
	assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/* ---- the store and the use cases ---- */

#define NOW 1795770000 /* 2026-11-27T09:00:00Z */

static char dir[256], pristine[300], work[300];
static struct ps_app app;
static int64_t tenant_id, sub_id;

static int setup(void **state)
{
	ps_fixture_temp("io", dir, sizeof dir, pristine, sizeof pristine);
	snprintf(work, sizeof work, "%s/work.db", dir);
	shim_register();
	struct ps_store *st;
	ps_fixture_store(pristine, ps_demo_catalog, ps_demo_catalog_len, NOW, &app, &st);
	app.upgrade_capacity = 100;
	struct ps_ctx c;
	ps_fixture_ctx(&c, &app, st, NOW);
	struct ps_tenant_in tin = {.name = "Faulty Disk Ltd", .segment = "commercial", .payment = "invoice",
				   .currency = "EUR", .credit_limit = 10000000, .has_credit_limit = true};
	struct ps_tenant t;
	assert_int_equal(ps_app_tenant_create(&c, &tin, &t), PS_OK);
	tenant_id = t.id;
	struct ps_purchase_in pin = {.plan = "biz-basic", .quantity = 5, .term = "monthly"};
	struct ps_subscription s;
	struct ps_credit_check cc;
	assert_int_equal(ps_app_purchase(&c, t.id, &pin, &s, &cc), PS_OK);
	sub_id = s.id;
	for (int i = 0; i < 3; i++) {
		char upn[64];
		struct ps_user u;
		snprintf(upn, sizeof upn, "u%d@faulty.example", i);
		assert_int_equal(ps_app_user_create(&c, t.id, upn, "User", &u), PS_OK);
		assert_int_equal(ps_app_assign(&c, t.id, s.id, u.id, NULL), PS_OK);
	}
	ps_ctx_fini(&c);
	ps_store_close(st); /* the last connection: the WAL is checkpointed into the file */
	return 0;
}

static int teardown(void **state)
{
	ps_fixture_remove(work);
	ps_fixture_drop(NULL, &app, pristine, dir);
	return 0;
}

typedef ps_code (*use_case)(struct ps_ctx *c);

static ps_code uc_upgrade(struct ps_ctx *c)
{
	struct ps_change_in in = {.target_plan = "biz-standard"};
	struct ps_operation op;
	struct ps_decision refusal;
	return ps_app_upgrade(c, tenant_id, sub_id, &in, &op, &refusal);
}

static ps_code uc_payment(struct ps_ctx *c)
{
	struct ps_receipt p;
	return ps_app_pay(c, tenant_id, 1234, &p);
}

/* Run fn on a fresh copy of the pristine store with the fail_at-th op of
 * kind failing (0: none); the store is closed after. */
static ps_code run_once(use_case fn, enum op kind, int fail_at)
{
	ps_fixture_remove(work);
	ps_fixture_copy(pristine, work);
	memset(sh.count, 0, sizeof sh.count);
	sh.kind = kind;
	sh.fail_at = fail_at;
	sh.failed = false;
	struct ps_err err = {0};
	struct ps_store *st = NULL;
	ps_code rc = ps_store_open(work, &st, &err);
	if (rc == PS_OK) {
		struct ps_ctx c;
		ps_fixture_ctx(&c, &app, st, NOW);
		rc = fn(&c);
		ps_ctx_fini(&c);
	}
	ps_store_close(st);
	sh.fail_at = 0;
	return rc;
}

static void test_io_faults(void **state)
{
	static const struct {
		const char *name;
		use_case fn;
	} cases[] = {{"upgrade", uc_upgrade}, {"payment", uc_payment}};
	char *before = ps_fixture_fingerprint(pristine);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ps_code rc = run_once(cases[k].fn, OP_READ, 0);
		if (rc != PS_OK)
			fail_msg("case %s without faults: got %s, want ok", cases[k].name, ps_code_api(rc));
		int total[OP__N];
		memcpy(total, sh.count, sizeof total);
		char *after = ps_fixture_fingerprint(work);
		if (strcmp(after, before) == 0)
			fail_msg("case %s without faults: the store did not change", cases[k].name);
		print_message("%-8s %d reads, %d writes, %d fsyncs, each failed in turn\n", cases[k].name,
			      total[OP_READ], total[OP_WRITE], total[OP_SYNC]);
		int untouched = 0, changed = 0;
		for (int kind = 0; kind < OP__N; kind++) {
			for (int n = 1; n <= total[kind]; n++) {
				rc = run_once(cases[k].fn, (enum op)kind, n);
				if (!sh.failed)
					fail_msg("case %s, %s %d: the fault was not reached", cases[k].name,
						 op_name[kind], n);
				char *now = ps_fixture_fingerprint(work);
				bool same = strcmp(now, before) == 0, done = strcmp(now, after) == 0;
				ps_free(now);
				if (!same && !done)
					fail_msg("case %s, %s %d failing (%s): the store is half changed", cases[k].name,
						 op_name[kind], n, ps_code_api(rc));
				if (rc == PS_OK && !done)
					fail_msg("case %s, %s %d failing: got ok, but the store is untouched",
						 cases[k].name, op_name[kind], n);
				untouched += same;
				changed += done;
			}
		}
		print_message("%-8s after a fault: %d untouched, %d fully changed\n", cases[k].name, untouched,
			      changed);
		ps_free(after);
	}
	ps_free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_faults, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
