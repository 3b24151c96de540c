/* catalog.c: the catalog loader, validator and lookups (core layer).
 * Parses the catalog JSON of API.md with jansson, checks it in full (every
 * fault is listed, one sentence each naming the object and the field), then
 * builds the read-only catalog: arrays in the document's order, pointers
 * resolved. Data safety (RULES "Data safety") is decided here for the loader
 * and for the rule engine. */
#include "ps_catalog.h"

#include "../common/ps_buf.h"
#include "../common/ps_mem.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A catalog fuzzed into thousands of faults should not make a message of
 * megabytes: past this many, one last fault says the rest are not listed. */
#define FAULTS_MAX 500

/* Labels name an object in faults: `plan "biz-basic"` or `plans[3]`. */
#define LABEL_MAX 96

/* Services, products and plans all start with their id, so a pointer to any
 * of them is a pointer to its id (C11 6.7.2.1p15): one index and one
 * comparator serve the three kinds while the parser checks references. */
_Static_assert(offsetof(struct ps_service, id) == 0, "service id first");
_Static_assert(offsetof(struct ps_product, id) == 0, "product id first");
_Static_assert(offsetof(struct ps_plan, id) == 0, "plan id first");

/* ---- Faults ----------------------------------------------------------- */

void ps_faults_add(struct ps_faults *f, const char *fmt, ...)
{
	if (!f || f->n > FAULTS_MAX)
		return;
	char *msg;
	if (f->n == FAULTS_MAX) {
		msg = ps_strdup("too many faults: the rest are not listed");
	} else {
		char small[256];
		va_list ap;
		va_start(ap, fmt);
		int len = vsnprintf(small, sizeof small, fmt, ap);
		va_end(ap);
		if (len < 0) {
			msg = ps_strdup("(a fault that could not be formatted)");
		} else if ((size_t)len < sizeof small) {
			msg = ps_strndup(small, (size_t)len);
		} else {
			msg = ps_malloc((size_t)len + 1);
			va_start(ap, fmt);
			vsnprintf(msg, (size_t)len + 1, fmt, ap);
			va_end(ap);
		}
	}
	ps_grow((void **)&f->msgs, &f->cap, f->n + 1, sizeof *f->msgs);
	f->msgs[f->n++] = msg;
}

void ps_faults_fini(struct ps_faults *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		ps_free(f->msgs[i]);
	ps_free(f->msgs);
	memset(f, 0, sizeof *f);
}

/* ---- Lookups ---------------------------------------------------------- */

/* The lookups scan. A catalog holds tens of plans, where a scan costs about
 * what a binary search does; and a scan serves a catalog put together by
 * hand (the rule engine's tests build theirs) as well as one made by
 * ps_catalog_parse, which an index kept beside the public struct could not.
 * The parser has its own index (below), so a large catalog still loads in
 * O(n log n). */
const struct ps_plan *ps_catalog_plan(const struct ps_catalog *cat, const char *id)
{
	if (!cat || !id)
		return NULL;
	for (size_t i = 0; i < cat->n_plans; i++)
		if (strcmp(cat->plans[i].id, id) == 0)
			return &cat->plans[i];
	return NULL;
}

const struct ps_service *ps_catalog_service(const struct ps_catalog *cat, const char *id)
{
	if (!cat || !id)
		return NULL;
	for (size_t i = 0; i < cat->n_services; i++)
		if (strcmp(cat->services[i].id, id) == 0)
			return &cat->services[i];
	return NULL;
}

const struct ps_product *ps_catalog_product(const struct ps_catalog *cat, const char *id)
{
	if (!cat || !id)
		return NULL;
	for (size_t i = 0; i < cat->n_products; i++)
		if (strcmp(cat->products[i].id, id) == 0)
			return &cat->products[i];
	return NULL;
}

/* Pointers are compared first; ids make the answer hold across two loads
 * of the same catalog too. */
bool ps_plan_has_service(const struct ps_plan *p, const struct ps_service *s)
{
	if (!p || !s)
		return false;
	for (size_t i = 0; i < p->n_services; i++)
		if (p->services[i] == s || strcmp(p->services[i]->id, s->id) == 0)
			return true;
	return false;
}

bool ps_plan_has_offered_path(const struct ps_plan *p)
{
	for (size_t i = 0; p && i < p->n_upgrades_to; i++)
		if (!p->upgrades_to[i]->retired)
			return true;
	return false;
}

bool ps_plan_upgrades_to(const struct ps_plan *from, const struct ps_plan *to)
{
	if (!from || !to)
		return false;
	for (size_t i = 0; i < from->n_upgrades_to; i++)
		if (from->upgrades_to[i] == to || strcmp(from->upgrades_to[i]->id, to->id) == 0)
			return true;
	return false;
}

/* The highest-ranked service of `family` in p, or NULL. */
static const struct ps_service *best_of_family(const struct ps_plan *p, const char *family)
{
	const struct ps_service *best = NULL;
	for (size_t i = 0; i < p->n_services; i++) {
		const struct ps_service *s = p->services[i];
		if (strcmp(s->family, family) == 0 && (!best || s->rank > best->rank))
			best = s;
	}
	return best;
}

bool ps_plan_is_data_safe(const struct ps_plan *from, const struct ps_plan *to, struct ps_safety *out)
{
	struct ps_safety local;
	if (!out)
		out = &local;
	memset(out, 0, sizeof *out);
	if (!from || !to)
		return false;
	for (size_t i = 0; i < from->n_services; i++) {
		const struct ps_service *s = from->services[i];
		if (!s->data_bearing)
			continue;
		const struct ps_service *t = best_of_family(to, s->family);
		if (!t) {
			if (out->n_missing < PS_SAFETY_MAX)
				out->missing[out->n_missing] = s;
			out->n_missing++;
		} else if (t->rank < s->rank) {
			if (out->n_lower < PS_SAFETY_MAX) {
				out->lower[out->n_lower] = s;
				out->lower_to[out->n_lower] = t;
			}
			out->n_lower++;
		}
	}
	return out->n_missing == 0 && out->n_lower == 0;
}

/* ---- Freeing ---------------------------------------------------------- */

static void service_fini(struct ps_service *s)
{
	ps_free(s->id);
	ps_free(s->name);
	ps_free(s->family);
}

static void product_fini(struct ps_product *p)
{
	ps_free(p->id);
	ps_free(p->name);
}

static void plan_fini(struct ps_plan *p)
{
	ps_free(p->id);
	ps_free(p->name);
	ps_free(p->services);
	ps_free(p->upgrades_to);
	ps_free(p->attaches_to);
}

void ps_catalog_free(struct ps_catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->n_services; i++)
		service_fini(&cat->services[i]);
	for (size_t i = 0; i < cat->n_products; i++)
		product_fini(&cat->products[i]);
	for (size_t i = 0; i < cat->n_plans; i++)
		plan_fini(&cat->plans[i]);
	ps_free(cat->services);
	ps_free(cat->products);
	ps_free(cat->plans);
	ps_free(cat->json);
	ps_free(cat);
}

/* ---- Parsing state ---------------------------------------------------- */

/* A plan as read from the document, before and after it joins the catalog. */
struct plan_in {
	char label[LABEL_MAX];
	json_t *upgrades_to, *attaches_to; /* NULL when absent or not arrays */
	bool services_ok;		   /* services all known, valid and listed once */
	bool addon_ok;			   /* "addon" absent or a boolean */
	bool attaches_to_ok;		   /* "attaches_to" absent or an array */
};

struct ctx {
	struct ps_faults *f;
	struct ps_catalog *cat;
	/* The objects kept so far, sorted by id, for bsearch. */
	void **service_ix, **product_ix, **plan_ix;
	/* Stamps mark what one plan's list (or one path check) has seen, so
	 * every check stays linear in the size of the catalog. */
	size_t stamp;
	size_t *svc_stamp;		   /* per service */
	size_t *fam_of;			   /* per service: its family's first service */
	size_t *fam_stamp;		   /* per family (indexed like services) */
	const struct ps_service **fam_svc; /* per family: the service seen, or the best */
	size_t *plan_stamp;		   /* per plan */
	struct plan_in **in_of;		   /* per plan of the catalog: how it was read */
};

/* Input text made safe to quote in a fault: at most 64 bytes, cut on a
 * character boundary, with quotes, backslashes and control bytes as '?'. */
struct shown {
	char s[72];
};

static const char *show(struct shown *sh, const char *s)
{
	size_t n = 0, i = 0;
	for (; s[i] && n < 64; i++) {
		unsigned char ch = (unsigned char)s[i];
		sh->s[n++] = (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\') ? '?' : (char)ch;
	}
	if (s[i]) {
		if (((unsigned char)s[i] & 0xc0) == 0x80) {
			while (n > 0 && ((unsigned char)sh->s[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 0)
				n--;
		}
		memcpy(sh->s + n, "...", 3);
		n += 3;
	}
	sh->s[n] = '\0';
	return sh->s;
}

static bool is_id(const char *s, size_t len)
{
	if (len < 1 || len > PS_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static bool is_currency(const char *s, size_t len)
{
	if (len != 3)
		return false;
	for (size_t i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

static void label_of(char *buf, json_t *o, const char *one, const char *many, size_t i)
{
	json_t *id = json_is_object(o) ? json_object_get(o, "id") : NULL;
	if (json_is_string(id) && is_id(json_string_value(id), json_string_length(id)))
		snprintf(buf, LABEL_MAX, "%s \"%s\"", one, json_string_value(id));
	else
		snprintf(buf, LABEL_MAX, "%s[%zu]", many, i);
}

static void check_keys(struct ctx *x, json_t *o, const char *label, const char *const *allowed)
{
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		const char *key = json_object_iter_key(it);
		bool known = false;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known) {
			struct shown sh;
			ps_faults_add(x->f, "%s: unknown field \"%s\"", label, show(&sh, key));
		}
	}
}

static json_t *need(struct ctx *x, json_t *o, const char *label, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		ps_faults_add(x->f, "%s: field \"%s\" is missing", label, key);
	return v;
}

/* A required field holding an id; NULL (with a fault) when missing or bad.
 * The text is borrowed from the document. */
static const char *id_field(struct ctx *x, json_t *o, const char *label, const char *key)
{
	json_t *v = need(x, o, label, key);
	if (!v)
		return NULL;
	if (!json_is_string(v) || !is_id(json_string_value(v), json_string_length(v))) {
		ps_faults_add(x->f, "%s: field \"%s\" must be an id: 1 to %d characters of a-z, 0-9, '.', '_' and '-'",
			      label, key, PS_ID_MAX);
		return NULL;
	}
	return json_string_value(v);
}

static char *name_field(struct ctx *x, json_t *o, const char *label)
{
	json_t *v = need(x, o, label, "name");
	if (!v)
		return NULL;
	size_t n = json_is_string(v) ? json_string_length(v) : 0;
	if (n < 1 || n > PS_NAME_MAX) {
		ps_faults_add(x->f, "%s: field \"name\" must be a string of 1 to %d bytes", label, PS_NAME_MAX);
		return NULL;
	}
	return ps_strdup(json_string_value(v));
}

/* A boolean field; false (with a fault) when present and not a boolean, or
 * required and missing. *out is left alone unless the field is good. */
static bool bool_field(struct ctx *x, json_t *o, const char *label, const char *key, bool required, bool *out)
{
	json_t *v = required ? need(x, o, label, key) : json_object_get(o, key);
	if (!v)
		return !required;
	if (!json_is_boolean(v)) {
		ps_faults_add(x->f, "%s: field \"%s\" must be true or false", label, key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

/* An array field; NULL when absent (a fault when required) or not an array
 * (a fault). */
static json_t *array_field(struct ctx *x, json_t *o, const char *label, const char *key, bool required,
			   const char *what)
{
	json_t *v = required ? need(x, o, label, key) : json_object_get(o, key);
	if (v && !json_is_array(v)) {
		ps_faults_add(x->f, "%s: field \"%s\" must be an array of %s", label, key, what);
		return NULL;
	}
	return v;
}

/* ---- Keeping one of each id ------------------------------------------- */

static int cmp_key(const void *key, const void *elem)
{
	const char *const *id = *(void *const *)elem;
	return strcmp(key, *id);
}

/* The object with this id in an index of n made by keep_unique, or NULL. */
static void *find(void *const *ix, size_t n, const char *id)
{
	if (!ix || !id || n == 0)
		return NULL;
	void *const *hit = bsearch(id, ix, n, sizeof *ix, cmp_key);
	return hit ? *hit : NULL;
}

struct ent {
	const char *key;
	size_t at;
};

static int cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* One kind of catalog object, for the steps the three kinds share. */
struct kind {
	const char *one, *many; /* "plan", "plans" */
	size_t size;		/* of one element */
};

/* tmp holds n elements read in document order, each starting with its id
 * (NULL when it had no valid one). Reports every duplicate id, in document
 * order; moves the first element of each id into a new array (returned, in
 * document order, *n_kept long); indexes it by id in *ix; and sets slot[i] to
 * the new place of tmp's element i, or SIZE_MAX when it was left in tmp. */
static void *keep_unique(struct ctx *x, const struct kind *k, void *tmp, size_t n, size_t *n_kept, void ***ix,
			 size_t *slot)
{
	char *src = tmp;
	struct ent *e = ps_calloc(n, sizeof *e);
	size_t *first = ps_calloc(n, sizeof *first); /* duplicates: 1 + where the id first was */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = *(char **)(src + i * k->size);
		slot[i] = SIZE_MAX;
		if (id)
			e[m++] = (struct ent){id, i};
	}
	if (m > 1)
		qsort(e, m, sizeof *e, cmp_ent);
	size_t kept = 0, group = 0;
	for (size_t j = 0; j < m; j++) {
		if (j == 0 || strcmp(e[j].key, e[j - 1].key) != 0) {
			group = e[j].at;
			slot[group] = 0;
			kept++;
		} else {
			first[e[j].at] = group + 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (first[i])
			ps_faults_add(x->f, "%s \"%s\": duplicate id (%s[%zu] and %s[%zu])", k->one,
				      *(char **)(src + i * k->size), k->many, first[i] - 1, k->many, i);

	char *arr = ps_calloc(kept, k->size);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (slot[i] == SIZE_MAX)
			continue;
		slot[i] = o;
		memcpy(arr + o * k->size, src + i * k->size, k->size);
		o++;
	}
	void **index = ps_calloc(kept, sizeof *index);
	size_t q = 0;
	for (size_t j = 0; j < m; j++)
		if (slot[e[j].at] != SIZE_MAX)
			index[q++] = arr + slot[e[j].at] * k->size;
	ps_free(e);
	ps_free(first);
	*n_kept = kept;
	*ix = index;
	return arr;
}

/* ---- Services and products -------------------------------------------- */

static void parse_service(struct ctx *x, json_t *o, const char *label, struct ps_service *s)
{
	static const char *const keys[] = {"id", "name", "family", "rank", "data_bearing", NULL};
	check_keys(x, o, label, keys);
	s->id = ps_strdup(id_field(x, o, label, "id"));
	s->name = name_field(x, o, label);
	s->family = ps_strdup(id_field(x, o, label, "family"));
	json_t *v = need(x, o, label, "rank");
	if (v) {
		json_int_t r = json_is_integer(v) ? json_integer_value(v) : 0;
		if (r < 1 || r > INT_MAX)
			ps_faults_add(x->f, "%s: field \"rank\" must be an integer from 1 to %d", label, INT_MAX);
		else
			s->rank = (int)r;
	}
	bool_field(x, o, label, "data_bearing", true, &s->data_bearing);
}

static void load_services(struct ctx *x, json_t *arr)
{
	static const struct kind kind = {"service", "services", sizeof(struct ps_service)};
	size_t n = json_array_size(arr); /* 0 for NULL */
	struct ps_service *tmp = ps_calloc(n, sizeof *tmp);
	size_t *slot = ps_calloc(n, sizeof *slot);
	char label[LABEL_MAX];
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		label_of(label, o, kind.one, kind.many, i);
		if (!json_is_object(o))
			ps_faults_add(x->f, "%s: must be an object", label);
		else
			parse_service(x, o, label, &tmp[i]);
	}
	x->cat->services = keep_unique(x, &kind, tmp, n, &x->cat->n_services, &x->service_ix, slot);
	for (size_t i = 0; i < n; i++)
		if (slot[i] == SIZE_MAX)
			service_fini(&tmp[i]);
	ps_free(tmp);
	ps_free(slot);

	/* Number the families: each service points at the first service of
	 * its family; a service without a valid family is its own. */
	size_t ns = x->cat->n_services;
	struct ent *e = ps_calloc(ns, sizeof *e);
	size_t m = 0;
	x->fam_of = ps_calloc(ns, sizeof *x->fam_of);
	for (size_t k = 0; k < ns; k++) {
		x->fam_of[k] = k;
		if (x->cat->services[k].family)
			e[m++] = (struct ent){x->cat->services[k].family, k};
	}
	if (m > 1)
		qsort(e, m, sizeof *e, cmp_ent);
	for (size_t j = 1; j < m; j++)
		if (strcmp(e[j].key, e[j - 1].key) == 0)
			x->fam_of[e[j].at] = x->fam_of[e[j - 1].at];
	ps_free(e);
	x->svc_stamp = ps_calloc(ns, sizeof *x->svc_stamp);
	x->fam_stamp = ps_calloc(ns, sizeof *x->fam_stamp);
	x->fam_svc = ps_calloc(ns, sizeof *x->fam_svc);
}

static void load_products(struct ctx *x, json_t *arr)
{
	static const struct kind kind = {"product", "products", sizeof(struct ps_product)};
	static const char *const keys[] = {"id", "name", NULL};
	size_t n = json_array_size(arr);
	struct ps_product *tmp = ps_calloc(n, sizeof *tmp);
	size_t *slot = ps_calloc(n, sizeof *slot);
	char label[LABEL_MAX];
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		label_of(label, o, kind.one, kind.many, i);
		if (!json_is_object(o)) {
			ps_faults_add(x->f, "%s: must be an object", label);
			continue;
		}
		check_keys(x, o, label, keys);
		tmp[i].id = ps_strdup(id_field(x, o, label, "id"));
		tmp[i].name = name_field(x, o, label);
	}
	x->cat->products = keep_unique(x, &kind, tmp, n, &x->cat->n_products, &x->product_ix, slot);
	for (size_t i = 0; i < n; i++)
		if (slot[i] == SIZE_MAX)
			product_fini(&tmp[i]);
	ps_free(tmp);
	ps_free(slot);
}

/* ---- Plans: their own fields ------------------------------------------ */

static bool parse_plan_services(struct ctx *x, json_t *o, const char *label, struct ps_plan *p)
{
	json_t *a = array_field(x, o, label, "services", true, "service ids");
	if (!a)
		return false;
	size_t n = json_array_size(a);
	if (n == 0) {
		ps_faults_add(x->f, "%s: field \"services\" must list at least one service", label);
		return false;
	}
	bool ok = true;
	size_t stamp = ++x->stamp;
	struct shown sh;
	p->services = ps_calloc(n, sizeof *p->services);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_string(v)) {
			ps_faults_add(x->f, "%s: field \"services\" item %zu must be a string (a service id)", label,
				      i);
			ok = false;
			continue;
		}
		const struct ps_service *s = find(x->service_ix, x->cat->n_services, json_string_value(v));
		if (!s) {
			ps_faults_add(x->f, "%s: field \"services\" names unknown service \"%s\"", label,
				      show(&sh, json_string_value(v)));
			ok = false;
			continue;
		}
		size_t k = (size_t)(s - x->cat->services);
		if (x->svc_stamp[k] == stamp) {
			ps_faults_add(x->f, "%s: field \"services\" lists \"%s\" twice", label, s->id);
			ok = false;
			continue;
		}
		x->svc_stamp[k] = stamp;
		if (!s->family || s->rank < 1) {
			ok = false; /* the service's own fault says why */
		} else {
			/* Two services of one family are refused when data is
			 * involved: which of them would hold it, and which rank
			 * would data safety compare? Services without data may
			 * stack (Office for the web with the desktop apps). */
			size_t r = x->fam_of[k];
			const struct ps_service *prev = x->fam_stamp[r] == stamp ? x->fam_svc[r] : NULL;
			if (prev && (prev->data_bearing || s->data_bearing)) {
				ps_faults_add(x->f,
					      "%s: services \"%s\" and \"%s\" are both of data-bearing family \"%s\"",
					      label, prev->id, s->id, s->family);
				ok = false;
				continue;
			}
			if (!prev || s->data_bearing) {
				x->fam_stamp[r] = stamp;
				x->fam_svc[r] = s;
			}
		}
		p->services[p->n_services++] = s;
	}
	return ok;
}

static void parse_plan(struct ctx *x, json_t *o, struct plan_in *pi, struct ps_plan *p)
{
	static const char *const keys[] = {
	    "id",	"name",	       "product", "services",	 "segment", "price_per_seat_month",
	    "currency", "upgrades_to", "addon",	  "attaches_to", "retired", NULL,
	};
	const char *label = pi->label;
	check_keys(x, o, label, keys);
	p->id = ps_strdup(id_field(x, o, label, "id"));
	p->name = name_field(x, o, label);

	const char *product = id_field(x, o, label, "product");
	if (product && !(p->product = find(x->product_ix, x->cat->n_products, product)))
		ps_faults_add(x->f, "%s: field \"product\" names unknown product \"%s\"", label, product);

	pi->services_ok = parse_plan_services(x, o, label, p);

	json_t *v = need(x, o, label, "segment");
	if (v && (!json_is_string(v) || !ps_segment_parse(json_string_value(v), &p->segment))) {
		char list[128];
		size_t n = 0;
		list[0] = '\0';
		for (int i = 0; i < PS_SEG__COUNT && n < sizeof list; i++) {
			const char *sep = i + 1 == PS_SEG__COUNT ? " or " : ", ";
			n += (size_t)snprintf(list + n, sizeof list - n, "%s\"%s\"", i ? sep : "",
					      ps_segment_name((enum ps_segment)i));
		}
		ps_faults_add(x->f, "%s: field \"segment\" must be one of %s", label, list);
	}

	v = need(x, o, label, "price_per_seat_month");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			ps_faults_add(x->f,
				      "%s: field \"price_per_seat_month\" must be a non-negative integer (minor units)",
				      label);
		else if (json_integer_value(v) > PS_PRICE_MAX)
			/* price x 1,000,000 seats x 12 months must fit in int64. */
			ps_faults_add(x->f, "%s: field \"price_per_seat_month\" is above %lld minor units", label,
				      (long long)PS_PRICE_MAX);
		else
			p->price_per_seat_month = json_integer_value(v);
	}

	v = need(x, o, label, "currency");
	if (v) {
		if (!json_is_string(v) || !is_currency(json_string_value(v), json_string_length(v)))
			ps_faults_add(x->f, "%s: field \"currency\" must be 3 uppercase letters (ISO 4217)", label);
		else
			memcpy(p->currency, json_string_value(v), 4);
	}

	pi->upgrades_to = array_field(x, o, label, "upgrades_to", false, "plan ids");
	pi->addon_ok = bool_field(x, o, label, "addon", false, &p->addon);
	bool_field(x, o, label, "retired", false, &p->retired);
	pi->attaches_to = array_field(x, o, label, "attaches_to", false, "plan ids");
	pi->attaches_to_ok = pi->attaches_to || !json_object_get(o, "attaches_to");
}

/* ---- Plans: their links ----------------------------------------------- */

/* RULES "Data safety", one fault per service the path would lose. Linear:
 * the target's best rank per family is stamped, then the source is read. */
static void check_data_safety(struct ctx *x, const char *label, const struct ps_plan *from, const struct ps_plan *to)
{
	size_t stamp = ++x->stamp;
	for (size_t j = 0; j < to->n_services; j++) {
		const struct ps_service *t = to->services[j];
		size_t r = x->fam_of[t - x->cat->services];
		if (x->fam_stamp[r] != stamp || x->fam_svc[r]->rank < t->rank) {
			x->fam_stamp[r] = stamp;
			x->fam_svc[r] = t;
		}
	}
	for (size_t i = 0; i < from->n_services; i++) {
		const struct ps_service *s = from->services[i];
		if (!s->data_bearing)
			continue;
		size_t r = x->fam_of[s - x->cat->services];
		if (x->fam_stamp[r] != stamp)
			ps_faults_add(x->f,
				      "%s: upgrade path to \"%s\" is not data-safe: it loses data-bearing service "
				      "family \"%s\" (service \"%s\")",
				      label, to->id, s->family, s->id);
		else if (x->fam_svc[r]->rank < s->rank)
			ps_faults_add(x->f,
				      "%s: upgrade path to \"%s\" is not data-safe: service \"%s\" (family \"%s\", "
				      "rank %d) would drop to \"%s\" (rank %d)",
				      label, to->id, s->id, s->family, s->rank, x->fam_svc[r]->id, x->fam_svc[r]->rank);
	}
}

static void check_path(struct ctx *x, const struct plan_in *pi, const struct ps_plan *from, const struct ps_plan *to)
{
	const struct plan_in *ti = x->in_of[to - x->cat->plans];
	if (pi->addon_ok && ti->addon_ok && from->addon != to->addon) {
		/* A path between a base plan and an add-on is wrong whatever the
		 * services: their data safety would only add noise. */
		if (to->addon)
			ps_faults_add(x->f,
				      "%s: upgrade path to \"%s\" names an add-on (only an add-on may upgrade to "
				      "an add-on)",
				      pi->label, to->id);
		else
			ps_faults_add(x->f, "%s: add-on has an upgrade path to \"%s\", which is not an add-on",
				      pi->label, to->id);
		return;
	}
	if (from->currency[0] && to->currency[0] && strcmp(from->currency, to->currency) != 0)
		ps_faults_add(x->f, "%s: upgrade path to \"%s\" changes currency from %s to %s", pi->label, to->id,
			      from->currency, to->currency);
	if (pi->services_ok && ti->services_ok)
		check_data_safety(x, pi->label, from, to);
}

/* One entry of upgrades_to or attaches_to: the plan it names, or NULL with a
 * fault (not a string, unknown, or listed twice in this list). */
static const struct ps_plan *plan_ref(struct ctx *x, const char *label, const char *key, json_t *v, size_t i,
				      size_t stamp)
{
	struct shown sh;
	if (!json_is_string(v)) {
		ps_faults_add(x->f, "%s: field \"%s\" item %zu must be a string (a plan id)", label, key, i);
		return NULL;
	}
	const struct ps_plan *t = find(x->plan_ix, x->cat->n_plans, json_string_value(v));
	if (!t) {
		ps_faults_add(x->f, "%s: field \"%s\" names unknown plan \"%s\"", label, key,
			      show(&sh, json_string_value(v)));
		return NULL;
	}
	size_t k = (size_t)(t - x->cat->plans);
	if (x->plan_stamp[k] == stamp) {
		ps_faults_add(x->f, "%s: field \"%s\" lists \"%s\" twice", label, key, t->id);
		return NULL;
	}
	x->plan_stamp[k] = stamp;
	return t;
}

/* Resolves one plan's upgrades_to and attaches_to and checks each link.
 * `from` is the plan's fields; `dst` its place in the catalog, NULL when it
 * was left out (no valid id, or a duplicate) and is only checked. */
static void link_plan(struct ctx *x, const struct plan_in *pi, const struct ps_plan *from, struct ps_plan *dst)
{
	const char *label = pi->label;
	size_t n = json_array_size(pi->upgrades_to);
	size_t stamp = ++x->stamp;
	if (dst)
		dst->upgrades_to = ps_calloc(n, sizeof *dst->upgrades_to);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(pi->upgrades_to, i);
		if (from->id && json_is_string(v) && strcmp(json_string_value(v), from->id) == 0) {
			ps_faults_add(x->f, "%s: upgrade path to itself", label);
			continue;
		}
		const struct ps_plan *t = plan_ref(x, label, "upgrades_to", v, i, stamp);
		if (!t)
			continue;
		check_path(x, pi, from, t);
		if (dst)
			dst->upgrades_to[dst->n_upgrades_to++] = t;
	}

	if (!pi->addon_ok || !pi->attaches_to_ok)
		return;
	n = json_array_size(pi->attaches_to);
	if (!from->addon) {
		if (n > 0)
			ps_faults_add(x->f, "%s: field \"attaches_to\" must be empty: the plan is not an add-on",
				      label);
		return;
	}
	if (n == 0) {
		ps_faults_add(x->f, "%s: an add-on must attach to at least one plan (field \"attaches_to\" is empty)",
			      label);
		return;
	}
	stamp = ++x->stamp;
	if (dst)
		dst->attaches_to = ps_calloc(n, sizeof *dst->attaches_to);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(pi->attaches_to, i);
		if (from->id && json_is_string(v) && strcmp(json_string_value(v), from->id) == 0) {
			ps_faults_add(x->f, "%s: add-on attaches to itself", label);
			continue;
		}
		const struct ps_plan *t = plan_ref(x, label, "attaches_to", v, i, stamp);
		if (!t)
			continue;
		if (t->addon)
			ps_faults_add(x->f, "%s: add-on attaches to \"%s\", which is itself an add-on", label, t->id);
		if (dst)
			dst->attaches_to[dst->n_attaches_to++] = t;
	}
}

/* Upgrade paths must not loop. A depth-first walk from every plan in the
 * document's order (iterative: a long chain must not exhaust the C stack)
 * reports one loop per back edge, as `a -> b -> c -> a`. */
struct frame {
	size_t k, next;
};

static void report_loop(struct ctx *x, const struct frame *st, size_t from, size_t top)
{
	struct ps_buf b;
	size_t len = top - from;
	ps_buf_init(&b, 4096);
	ps_buf_puts(&b, "upgrade paths loop: ");
	for (size_t i = 0; i < len; i++) {
		if (len > 16 && i == 8) {
			ps_buf_printf(&b, "... (%zu more) -> ", len - 16);
			i = len - 8;
		}
		ps_buf_printf(&b, "%s -> ", x->cat->plans[st[from + i].k].id);
	}
	ps_buf_puts(&b, x->cat->plans[st[from].k].id);
	ps_faults_add(x->f, "%s", ps_buf_str(&b));
	ps_buf_fini(&b);
}

static void find_loops(struct ctx *x)
{
	const struct ps_catalog *cat = x->cat;
	size_t n = cat->n_plans;
	unsigned char *colour = ps_calloc(n, 1); /* 0 unseen, 1 on the stack, 2 done */
	size_t *pos = ps_calloc(n, sizeof *pos); /* where on the stack, while on it */
	struct frame *st = ps_calloc(n, sizeof *st);
	for (size_t root = 0; root < n; root++) {
		if (colour[root])
			continue;
		size_t top = 0;
		colour[root] = 1;
		pos[root] = top;
		st[top++] = (struct frame){root, 0};
		while (top) {
			struct frame *fr = &st[top - 1];
			const struct ps_plan *p = &cat->plans[fr->k];
			if (fr->next == p->n_upgrades_to) {
				colour[fr->k] = 2;
				top--;
				continue;
			}
			size_t t = (size_t)(p->upgrades_to[fr->next++] - cat->plans);
			if (colour[t] == 0) {
				colour[t] = 1;
				pos[t] = top;
				st[top++] = (struct frame){t, 0};
			} else if (colour[t] == 1) {
				report_loop(x, st, pos[t], top);
			}
		}
	}
	ps_free(colour);
	ps_free(pos);
	ps_free(st);
}

static void load_plans(struct ctx *x, json_t *arr)
{
	static const struct kind kind = {"plan", "plans", sizeof(struct ps_plan)};
	size_t n = json_array_size(arr);
	struct ps_plan *tmp = ps_calloc(n, sizeof *tmp);
	struct plan_in *in = ps_calloc(n, sizeof *in);
	size_t *slot = ps_calloc(n, sizeof *slot);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		label_of(in[i].label, o, kind.one, kind.many, i);
		if (!json_is_object(o))
			ps_faults_add(x->f, "%s: must be an object", in[i].label);
		else
			parse_plan(x, o, &in[i], &tmp[i]);
	}
	struct ps_catalog *cat = x->cat;
	cat->plans = keep_unique(x, &kind, tmp, n, &cat->n_plans, &x->plan_ix, slot);
	x->plan_stamp = ps_calloc(cat->n_plans, sizeof *x->plan_stamp);
	x->in_of = ps_calloc(cat->n_plans, sizeof *x->in_of);
	for (size_t i = 0; i < n; i++)
		if (slot[i] != SIZE_MAX)
			x->in_of[slot[i]] = &in[i];

	/* Links in document order, dropped plans included (checked only). */
	for (size_t i = 0; i < n; i++) {
		if (!json_is_object(json_array_get(arr, i)))
			continue;
		if (slot[i] != SIZE_MAX)
			link_plan(x, &in[i], &cat->plans[slot[i]], &cat->plans[slot[i]]);
		else
			link_plan(x, &in[i], &tmp[i], NULL);
	}
	find_loops(x);

	for (size_t i = 0; i < n; i++)
		if (slot[i] == SIZE_MAX)
			plan_fini(&tmp[i]);
	ps_free(tmp);
	ps_free(in);
	ps_free(slot);
	ps_free(x->in_of);
	x->in_of = NULL;
}

/* ---- The whole document ----------------------------------------------- */

static json_t *top_array(struct ctx *x, json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);
	if (!v)
		ps_faults_add(x->f, "catalog: field \"%s\" is missing", key);
	else if (!json_is_array(v))
		ps_faults_add(x->f, "catalog: field \"%s\" must be an array", key);
	return json_is_array(v) ? v : NULL;
}

static int dump_to_buf(const char *buffer, size_t size, void *data)
{
	return ps_buf_put(data, buffer, size) ? 0 : -1;
}

bool ps_catalog_parse(const char *json, size_t len, struct ps_catalog **out, struct ps_faults *faults)
{
	static const char *const top_keys[] = {"services", "products", "plans", NULL};
	struct ps_faults f = {0}; /* this parse's faults, handed to the caller at the end */
	struct ctx x = {.f = &f};
	json_error_t e;

	*out = NULL;
	json_t *root = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES, &e);
	if (!root) {
		ps_faults_add(&f, "catalog: JSON syntax error at line %d, column %d: %s", e.line, e.column, e.text);
		goto done;
	}
	if (!json_is_object(root)) {
		ps_faults_add(&f, "catalog: the top level must be a JSON object");
		goto done;
	}

	x.cat = ps_calloc(1, sizeof *x.cat);
	check_keys(&x, root, "catalog", top_keys);
	json_t *services = top_array(&x, root, "services");
	json_t *products = top_array(&x, root, "products");
	json_t *plans = top_array(&x, root, "plans");
	load_services(&x, services);
	load_products(&x, products);
	load_plans(&x, plans);

	if (f.n == 0) {
		struct ps_buf b;
		ps_buf_init(&b, SIZE_MAX / 2);
		if (json_dump_callback(root, dump_to_buf, &b, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
			ps_faults_add(&f, "catalog: cannot be written back as JSON");
		x.cat->json_len = b.len;
		x.cat->json = ps_buf_take(&b);
	}

done:
	ps_free(x.svc_stamp);
	ps_free(x.fam_of);
	ps_free(x.fam_stamp);
	ps_free(x.fam_svc);
	ps_free(x.plan_stamp);
	ps_free(x.service_ix);
	ps_free(x.product_ix);
	ps_free(x.plan_ix);
	json_decref(root);
	bool ok = f.n == 0;
	if (faults && f.n) {
		ps_grow((void **)&faults->msgs, &faults->cap, faults->n + f.n, sizeof *faults->msgs);
		memcpy(faults->msgs + faults->n, f.msgs, f.n * sizeof *f.msgs);
		faults->n += f.n;
		f.n = 0; /* moved */
	}
	ps_faults_fini(&f);
	if (!ok) {
		ps_catalog_free(x.cat);
		return false;
	}
	*out = x.cat;
	return true;
}
