/* ps_sqlite_fixture.h: copying a SQLite store and its contents as text, for
 * the C tests that compare a store before and after a failure (tests).
 * Include after cmocka.h, sqlite3.h and common/ps_buf.h. */
#ifndef PS_SQLITE_FIXTURE_H
#define PS_SQLITE_FIXTURE_H

#include <stdio.h>

/* Copy the file from to to (a store closed, its WAL checkpointed). */
static inline void ps_fixture_copy(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	assert_non_null(a);
	assert_non_null(b);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, a)) > 0)
		assert_int_equal(fwrite(buf, 1, n, b), n);
	fclose(a);
	assert_int_equal(fclose(b), 0);
}

/* Every row of every table, as text: two stores with the same
 * fingerprint hold the same data. */
static inline char *ps_fixture_fingerprint(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *tables, *rows;
	struct ps_buf b;
	ps_buf_init(&b, (size_t)64 << 20);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
					    -1, &tables, NULL),
			 SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char q[256];
		snprintf(q, sizeof q, "SELECT * FROM \"%s\"", (const char *)sqlite3_column_text(tables, 0));
		ps_buf_printf(&b, "[%s]\n", (const char *)sqlite3_column_text(tables, 0));
		assert_int_equal(sqlite3_prepare_v2(db, q, -1, &rows, NULL), SQLITE_OK);
		while (sqlite3_step(rows) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(rows); i++) {
				const unsigned char *t = sqlite3_column_text(rows, i);
				ps_buf_printf(&b, "%s|", t ? (const char *)t : "NULL");
			}
			ps_buf_putc(&b, '\n');
		}
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return ps_buf_take(&b);
}

#endif
