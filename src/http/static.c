/* static.c: the admin center's files (http layer): GET / is web/index.html
 * and GET /assets/PATH is web/PATH, read from the server's web directory
 * (ps_server_opts.web_dir, which `serve` finds). Paths are checked
 * character by character: no "..", no hidden files. */
#include "ps_http_int.h"

#include "../common/ps_mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PS_ASSET_MAX ((size_t)8 << 20)

bool ps_static_wants(const char *method, const char *path)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return false;
	return strcmp(path, "/") == 0 || strncmp(path, "/assets/", 8) == 0;
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
		{".png", "image/png"},                      {".ico", "image/x-icon"},
		{".woff2", "font/woff2"},                   {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

static bool safe_path(const char *p)
{
	if (!*p || strlen(p) > 200 || strstr(p, "..") || strstr(p, "//"))
		return false;
	for (const char *c = p; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			  *c == '-' || *c == '_' || *c == '.' || *c == '/';
		if (!ok || (*c == '.' && (c == p || c[-1] == '/')))
			return false;
	}
	return true;
}

ps_code ps_static_serve(const char *web_dir, const char *path, struct ps_buf *out, const char **ctype,
			struct ps_err *err)
{
	const char *rel = strcmp(path, "/") == 0 ? "index.html" : path + 8;
	*ctype = content_type(rel);
	if (!web_dir || !safe_path(rel) || !*ctype)
		return ps_err_set(err, PS_NOT_FOUND, NULL, "no such file");
	char full[1024];
	snprintf(full, sizeof full, "%s/%s", web_dir, rel);
	FILE *f = fopen(full, "rb");
	if (!f)
		return ps_err_set(err, PS_NOT_FOUND, NULL, "no such file");
	char chunk[16384];
	size_t n;
	ps_buf_reset(out);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (out->len + n > PS_ASSET_MAX || !ps_buf_put(out, chunk, n))
			break;
	bool bad = ferror(f) || out->toobig || out->len >= PS_ASSET_MAX;
	fclose(f);
	if (bad)
		return ps_err_set(err, PS_IO, NULL, "cannot read %s", rel);
	return PS_OK;
}
