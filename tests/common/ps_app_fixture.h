/* ps_app_fixture.h: a SQLite store with a catalog, and a request context on
 * it, for the C tests of the app layer (tests). Include after cmocka.h and
 * the app and store headers. */
#ifndef PS_APP_FIXTURE_H
#define PS_APP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A new store at path, migrated, holding catalog (len bytes) loaded at now;
 * app zeroed and given that catalog. The store stays open in *out. */
static inline void ps_fixture_store(const char *path, const char *catalog, size_t len, int64_t now,
				    struct ps_app *app, struct ps_store **out)
{
	struct ps_err err = {0};
	struct ps_store *st;
	assert_int_equal(ps_store_open(path, &st, &err), PS_OK);
	assert_int_equal(st->ops->migrate(st, &err), PS_OK);
	struct ps_catalog *cat = NULL;
	struct ps_faults faults = {0};
	assert_true(ps_catalog_parse(catalog, len, &cat, &faults));
	assert_int_equal(st->ops->begin(st, PS_TX_WRITE, &err), PS_OK);
	assert_int_equal(st->ops->catalog_put(st, cat->json, cat->json_len, now, "cli", NULL, &err), PS_OK);
	assert_int_equal(st->ops->commit(st, &err), PS_OK);
	ps_catalog_free(cat);
	memset(app, 0, sizeof *app);
	app->db_url = path;
	assert_int_equal(ps_app_load_catalog(app, st, &err), PS_OK);
	*out = st;
}

/* A context on st at now, as the operator (token 1), request id "test". */
static inline void ps_fixture_ctx(struct ps_ctx *c, struct ps_app *app, struct ps_store *st, int64_t now)
{
	ps_ctx_init(c, app, st);
	c->now = now;
	c->who.role = PS_ROLE_OPERATOR;
	c->who.token_id = 1;
	snprintf(c->request_id, sizeof c->request_id, "%s", "test");
}

/* Remove the SQLite store at path (its -wal and -shm too). */
static inline void ps_fixture_remove(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[512];
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
}

/* A new temporary folder dir ($TMPDIR/planshift-NAME-XXXXXX) and, in it,
 * the path of a store NAME.db (not made: ps_fixture_store makes it). */
static inline void ps_fixture_temp(const char *name, char *dir, size_t dir_len, char *path, size_t path_len)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, dir_len, "%s/planshift-%s-XXXXXX", tmp ? tmp : "/tmp", name);
	assert_non_null(mkdtemp(dir));
	snprintf(path, path_len, "%s/%s.db", dir, name);
}

/* The other end of ps_fixture_temp and ps_fixture_store: the store closed
 * (st NULL: closed already), the app's catalog freed, the files and the
 * folder removed. */
static inline void ps_fixture_drop(struct ps_store *st, struct ps_app *app, const char *path, const char *dir)
{
	ps_store_close(st);
	ps_app_fini(app);
	ps_fixture_remove(path);
	rmdir(dir);
}

#endif
