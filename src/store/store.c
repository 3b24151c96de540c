/* store.c: opening a store by URL (store layer). Picks the backend the URL
 * names; everything after that goes through the backend's ops table. */
#include "ps_store.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "scheme://..." for some scheme: a URL rather than a file path. */
static bool is_url(const char *s)
{
	if (!isalpha((unsigned char)s[0]))
		return false;
	size_t i = 1;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return strncmp(s + i, "://", 3) == 0;
}

ps_code ps_store_open(const char *url, struct ps_store **out, struct ps_err *err)
{
	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return ps_err_set(err, PS_INVALID_FIELD, "db",
				  "no store given: --db takes a SQLite file path or a PostgreSQL URL");
	if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://"))
		return ps_pg_open(url, out, err);
	if (has_prefix(url, "sqlite:")) {
		const char *path = url + strlen("sqlite:");
		if (path[0] == '\0')
			return ps_err_set(err, PS_INVALID_FIELD, "db", "sqlite: needs a file path after it");
		return ps_sqlite_open(path, out, err);
	}
	if (is_url(url))
		return ps_err_set(err, PS_INVALID_FIELD, "db",
				  "unknown store URL scheme: --db takes sqlite:PATH, a file path or postgresql://...");
	return ps_sqlite_open(url, out, err);
}

void ps_store_close(struct ps_store *st)
{
	if (st && st->ops && st->ops->close)
		st->ops->close(st);
}
