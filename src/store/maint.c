/* maint.c: `planshift backup` and `planshift check` (store layer): SQLite's
 * online backup, and the invariants as queries, one text for both backends
 * (each row a sentence naming a violation), run on a connection of their
 * own in one read transaction. */
#include "ps_maint.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Each query returns one text column: a violation. Plain SQL that SQLite
 * and PostgreSQL both read ('text' || integer is text in both). */
static const char *const checks[] = {
	/* The assigned count the store keeps is the number of seats. */
	"SELECT 'sub_' || s.id || ' of ten_' || s.tenant_id || ': assigned is ' || s.assigned || ' but it has ' || "
	"(SELECT count(*) FROM assignments a WHERE a.tenant_id = s.tenant_id AND a.subscription_id = s.id) || "
	"' seats' FROM subscriptions s WHERE s.assigned <> "
	"(SELECT count(*) FROM assignments a WHERE a.tenant_id = s.tenant_id AND a.subscription_id = s.id)",
	/* A user holds at most one seat of a product. */
	"SELECT 'usr_' || a.user_id || ' of ten_' || a.tenant_id || ' holds ' || count(*) || ' seats of product ' || "
	"s.product_id FROM assignments a JOIN subscriptions s ON s.tenant_id = a.tenant_id AND s.id = a.subscription_id "
	"GROUP BY a.tenant_id, a.user_id, s.product_id HAVING count(*) > 1",
	/* A seat's product is its subscription's. */
	"SELECT 'the seat of usr_' || a.user_id || ' on sub_' || a.subscription_id || ' of ten_' || a.tenant_id || "
	"' says product ' || a.product_id || ', its subscription ' || s.product_id FROM assignments a JOIN "
	"subscriptions s ON s.tenant_id = a.tenant_id AND s.id = a.subscription_id WHERE a.product_id <> s.product_id",
	/* Every seat's subscription and user exist. */
	"SELECT 'the seat of usr_' || a.user_id || ' of ten_' || a.tenant_id || ' names sub_' || a.subscription_id || "
	"', which does not exist' FROM assignments a WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE "
	"s.tenant_id = a.tenant_id AND s.id = a.subscription_id)",
	"SELECT 'the seat on sub_' || a.subscription_id || ' of ten_' || a.tenant_id || ' names usr_' || a.user_id || "
	"', who does not exist' FROM assignments a WHERE NOT EXISTS (SELECT 1 FROM users u WHERE "
	"u.tenant_id = a.tenant_id AND u.id = a.user_id)",
	/* Every operation's references exist. */
	"SELECT 'op_' || o.id || ' of ten_' || o.tenant_id || ': its source sub_' || o.source_sub || "
	"' does not exist' FROM operations o WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE "
	"s.tenant_id = o.tenant_id AND s.id = o.source_sub)",
	"SELECT 'op_' || o.id || ' of ten_' || o.tenant_id || ': its new subscription sub_' || o.new_sub || "
	"' does not exist' FROM operations o WHERE o.new_sub IS NOT NULL AND NOT EXISTS (SELECT 1 FROM subscriptions s "
	"WHERE s.tenant_id = o.tenant_id AND s.id = o.new_sub)",
	"SELECT 'op_' || o.id || ': its tenant ten_' || o.tenant_id || ' does not exist' FROM operations o "
	"WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = o.tenant_id)",
	/* One unfinished upgrade at a time per tenant. */
	"SELECT 'ten_' || tenant_id || ' has ' || count(*) || ' unfinished upgrades' FROM operations WHERE "
	"kind = 'upgrade' AND state IN ('pending_credit_check', 'provisioning') GROUP BY tenant_id HAVING count(*) > 1",
	/* Subscriptions name existing tenants, add-on bases and successors. */
	"SELECT 'sub_' || s.id || ': its tenant ten_' || s.tenant_id || ' does not exist' FROM subscriptions s "
	"WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = s.tenant_id)",
	"SELECT 'sub_' || s.id || ' of ten_' || s.tenant_id || ' is an add-on of sub_' || s.addon_of || "
	"', which does not exist' FROM subscriptions s WHERE s.addon_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
	"subscriptions b WHERE b.tenant_id = s.tenant_id AND b.id = s.addon_of)",
	"SELECT 'sub_' || s.id || ' of ten_' || s.tenant_id || ' is replaced by sub_' || s.replaced_by || "
	"', which does not exist' FROM subscriptions s WHERE s.replaced_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
	"subscriptions b WHERE b.tenant_id = s.tenant_id AND b.id = s.replaced_by)",
	"SELECT 'sub_' || s.id || ' of ten_' || s.tenant_id || ' is replaced but names no successor' FROM "
	"subscriptions s WHERE s.status = 'replaced' AND s.replaced_by IS NULL",
	/* Invoices, credit checks and users belong to existing tenants. */
	"SELECT 'inv_' || i.id || ': its tenant ten_' || i.tenant_id || ' does not exist' FROM invoices i "
	"WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = i.tenant_id)",
	"SELECT 'usr_' || u.id || ': its tenant ten_' || u.tenant_id || ' does not exist' FROM users u "
	"WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = u.tenant_id)",
};

static bool is_pg(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

static const char *sqlite_path(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
}

ps_code ps_store_backup(const char *url, const char *file, struct ps_err *err)
{
	if (is_pg(url))
		return ps_err_set(err, PS_INVALID_FIELD, "db",
				  "a PostgreSQL store is backed up with pg_dump, not planshift: "
				  "pg_dump --format=custom --file=%s 'URL' (restore with pg_restore; see the man page)",
				  file);
	if (access(file, F_OK) == 0)
		return ps_err_set(err, PS_INVALID_FIELD, "file", "%s exists: give the backup a new file name", file);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", file, (long)getpid());
	sqlite3 *src = NULL, *dst = NULL;
	ps_code rc = PS_OK;
	if (sqlite3_open_v2(sqlite_path(url), &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = ps_err_set(err, PS_STORE, "db", "cannot open the store %s: %s", url, sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	/* A planshift store (PRAGMA application_id "PLSH"), not any file. */
	sqlite3_stmt *id = NULL;
	int app_id = 0;
	if (sqlite3_prepare_v2(src, "PRAGMA application_id", -1, &id, NULL) == SQLITE_OK && sqlite3_step(id) == SQLITE_ROW)
		app_id = sqlite3_column_int(id, 0);
	sqlite3_finalize(id);
	if (app_id != 0x504C5348) {
		rc = ps_err_set(err, PS_STORE, "db", "%s is not a planshift store (made by planshift init)", url);
		goto out;
	}
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = ps_err_set(err, PS_IO, "file", "cannot create %s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		rc = ps_err_set(err, PS_STORE, NULL, "cannot start the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	/* Every page in one step: one read transaction, so one consistent
	 * instant (in WAL mode it does not block the daemons' writes; copied
	 * in several steps, each write by another connection would restart
	 * the copy). A step that meets a lock waits and tries again. */
	int s;
	for (int busy = 0;;) {
		s = sqlite3_backup_step(b, -1);
		if (s == SQLITE_DONE)
			break;
		if (s == SQLITE_OK)
			continue;
		if ((s == SQLITE_BUSY || s == SQLITE_LOCKED) && busy++ < 2000) {
			struct timespec ts = {0, 5 * 1000000L};
			nanosleep(&ts, NULL);
			continue;
		}
		break;
	}
	sqlite3_backup_finish(b);
	if (s != SQLITE_DONE) {
		rc = ps_err_set(err, PS_STORE, NULL, "the backup stopped: %s", sqlite3_errstr(s));
		goto out;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		dst = NULL;
		rc = ps_err_set(err, PS_IO, "file", "cannot write %s", tmp);
		goto out;
	}
	dst = NULL;
	if (rename(tmp, file) != 0)
		rc = ps_err_set(err, PS_IO, "file", "cannot rename %s to %s: %s", tmp, file, strerror(errno));
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	if (rc != PS_OK) {
		unlink(tmp);
		char side[4200];
		snprintf(side, sizeof side, "%s-journal", tmp);
		unlink(side);
	}
	return rc;
}

static ps_code check_sqlite(const char *url, void (*violation)(void *, const char *), void *arg, size_t *n,
			    struct ps_err *err)
{
	sqlite3 *db = NULL;
	ps_code rc = PS_OK;
	if (sqlite3_open_v2(sqlite_path(url), &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = ps_err_set(err, PS_STORE, "db", "cannot open the store %s: %s", url, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ps_err_set(err, PS_STORE, NULL, "cannot begin: %s", sqlite3_errmsg(db));
		goto out;
	}
	/* SQLite's own: the file's structure, then every foreign key. */
	static const char *const own[] = {
		"SELECT 'SQLite integrity_check: ' || integrity_check FROM pragma_integrity_check "
		"WHERE integrity_check <> 'ok'",
		"SELECT 'table ' || \"table\" || ': a row refers to a missing row of ' || parent || "
		"coalesce(' (rowid ' || rowid || ')', '') FROM pragma_foreign_key_check",
	};
	size_t n_own = sizeof own / sizeof own[0], n_all = n_own + sizeof checks / sizeof checks[0];
	for (size_t i = 0; i < n_all && rc == PS_OK; i++) {
		const char *q = i < n_own ? own[i] : checks[i - n_own];
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			rc = ps_err_set(err, PS_STORE, NULL, "check %zu: %s", i + 1, sqlite3_errmsg(db));
			break;
		}
		int s;
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			violation(arg, t ? (const char *)t : "(a violation without a description)");
			(*n)++;
		}
		if (s != SQLITE_DONE)
			rc = ps_err_set(err, PS_STORE, NULL, "check %zu: %s", i + 1, sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
out:
	sqlite3_close(db);
	return rc;
}

static ps_code check_pg(const char *url, void (*violation)(void *, const char *), void *arg, size_t *n,
			struct ps_err *err)
{
	PGconn *pg = PQconnectdb(url);
	ps_code rc = PS_OK;
	if (PQstatus(pg) != CONNECTION_OK) {
		rc = ps_err_set(err, PS_STORE, "db", "cannot connect to the store: %s", PQerrorMessage(pg));
		goto out;
	}
	PGresult *r = PQexec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		rc = ps_err_set(err, PS_STORE, NULL, "cannot begin: %s", PQerrorMessage(pg));
		goto out;
	}
	for (size_t i = 0; i < sizeof checks / sizeof checks[0] && rc == PS_OK; i++) {
		r = PQexec(pg, checks[i]);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = ps_err_set(err, PS_STORE, NULL, "check %zu: %s", i + 1, PQerrorMessage(pg));
		} else {
			for (int row = 0; row < PQntuples(r); row++) {
				violation(arg, PQgetvalue(r, row, 0));
				(*n)++;
			}
		}
		PQclear(r);
	}
out:
	PQfinish(pg);
	return rc;
}

ps_code ps_store_check(const char *url, void (*violation)(void *arg, const char *what), void *arg, size_t *n,
		       struct ps_err *err)
{
	*n = 0;
	return is_pg(url) ? check_pg(url, violation, arg, n, err) : check_sqlite(url, violation, arg, n, err);
}
