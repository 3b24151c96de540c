/* request.c: reading a request's body fields and query, and writing lists
 * (http layer). Every error names the field or parameter. */
#include "ps_http_int.h"

#include <stdlib.h>
#include <string.h>

ps_code ps_body_only(struct ps_req *r, const char *const *allowed)
{
	const char *key;
	json_t *v;
	if (!r->body)
		return PS_OK;
	json_object_foreach(r->body, key, v)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "unknown field %.60s", key);
	}
	return PS_OK;
}

ps_code ps_body_str(struct ps_req *r, const char *key, bool required, const char **out)
{
	json_t *v = r->body ? json_object_get(r->body, key) : NULL;
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s is required", key);
		return PS_OK;
	}
	if (!json_is_string(v))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s must not contain NUL characters", key);
	*out = json_string_value(v);
	return PS_OK;
}

ps_code ps_body_int(struct ps_req *r, const char *key, bool required, int64_t *out, bool *present)
{
	json_t *v = r->body ? json_object_get(r->body, key) : NULL;
	if (present)
		*present = false;
	if (!v || json_is_null(v)) {
		if (required)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s is required", key);
		return PS_OK;
	}
	if (!json_is_integer(v))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s must be an integer", key);
	*out = json_integer_value(v);
	if (present)
		*present = true;
	return PS_OK;
}

ps_code ps_body_bool(struct ps_req *r, const char *key, bool *out)
{
	json_t *v = r->body ? json_object_get(r->body, key) : NULL;
	if (!v || json_is_null(v))
		return PS_OK;
	if (!json_is_boolean(v))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s must be true or false", key);
	*out = json_is_true(v);
	return PS_OK;
}

ps_code ps_body_id(struct ps_req *r, const char *key, const char *prefix, int64_t *out)
{
	const char *s;
	*out = 0;
	ps_code rc = ps_body_str(r, key, false, &s);
	if (rc != PS_OK || !s)
		return rc;
	if (!ps_id_parse(s, prefix, out))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, key, "%s must be an id like %s12", key, prefix);
	return PS_OK;
}

const char *ps_query(struct ps_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result find_key(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	const char **want = cls;
	if (*want && strcmp(key, *want) == 0) {
		*want = NULL; /* found */
		return MHD_NO;
	}
	return MHD_YES;
}

bool ps_query_has(struct ps_req *r, const char *key)
{
	const char *want = key;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, find_key, &want);
	return want == NULL;
}

ps_code ps_page(struct ps_req *r, const char *prefix, int64_t *after, size_t *limit)
{
	const char *l = ps_query(r, "limit");
	const char *a = ps_query(r, "after");
	*limit = PS_PAGE_DEFAULT;
	*after = 0;
	if (l) {
		char *end;
		long long v = strtoll(l, &end, 10);
		if (!*l || *end || v < 1 || v > PS_PAGE_MAX)
			return ps_err_set(&r->c->err, PS_INVALID_FIELD, "limit", "limit must be an integer from 1 to %d",
					  PS_PAGE_MAX);
		*limit = (size_t)v;
	}
	if (a && *a && !ps_id_parse(a, prefix, after))
		return ps_err_set(&r->c->err, PS_INVALID_FIELD, "after",
				  "after must be the `next` cursor of the previous page (an id like %s12)", prefix);
	return PS_OK;
}

ps_code ps_list_open(struct ps_req *r, const char *prefix, struct ps_walk *wk, int64_t *after)
{
	*wk = (struct ps_walk){.r = r, .prefix = prefix};
	ps_code rc = ps_page(r, prefix, after, &wk->limit);
	if (rc != PS_OK)
		return rc;
	ps_jw_obj(&r->w);
	ps_jw_key(&r->w, "items");
	ps_jw_arr(&r->w);
	return PS_OK;
}

bool ps_walk_take(struct ps_walk *wk, int64_t id)
{
	if (wk->n >= wk->limit) {
		wk->more = true;
		return false;
	}
	wk->n++;
	wk->last = id;
	return true;
}

ps_code ps_list_close(struct ps_walk *wk, ps_code rc)
{
	struct ps_jw *w = &wk->r->w;
	if (rc != PS_OK)
		return rc;
	ps_jw_arr_end(w);
	ps_jw_key(w, "next");
	if (wk->more && wk->last > 0)
		ps_jw_idstr(w, wk->prefix, wk->last);
	else
		ps_jw_null(w);
	ps_jw_obj_end(w);
	return PS_OK;
}
