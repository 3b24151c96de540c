/* test_catalog.c: unit tests of the catalog loader and validator (core
 * layer): the demo catalog, one fixture per fault kind in
 * tests/data/catalogs, every fault listed, data safety, lookups. Table-driven;
 * a failure reads `case X: got ..., want ...`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ps_buf.h"
#include "common/ps_mem.h"
#include "core/ps_catalog.h"

/* ---- Helpers ---------------------------------------------------------- */

static const char *data_dir(void)
{
	const char *d = getenv("PS_TEST_DATA");
	return d && *d ? d : "tests/data";
}

/* The whole file, NUL-terminated, or NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	struct ps_buf b;
	char chunk[4096];
	size_t n;
	ps_buf_init(&b, 16u << 20);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		ps_buf_put(&b, chunk, n);
	fclose(fp);
	*len = b.len;
	return ps_buf_take(&b);
}

static char *read_fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/catalogs/%s", data_dir(), name);
	char *text = slurp(path, len);
	if (!text)
		fail_msg("case %s: cannot read %s", name, path);
	return text;
}

static char *read_demo(size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/../../data/demo-catalog.json", data_dir());
	char *text = slurp(path, len);
	if (!text)
		fail_msg("case demo-catalog.json: cannot read %s", path);
	return text;
}

/* Every fault on one line, for failure messages; free with ps_free. */
static char *joined(const struct ps_faults *f)
{
	struct ps_buf b;
	ps_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < f->n; i++) {
		if (i)
			ps_buf_puts(&b, " | ");
		ps_buf_puts(&b, f->msgs[i]);
	}
	return ps_buf_take(&b);
}

static bool has_fault(const struct ps_faults *f, const char *want)
{
	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->msgs[i], want))
			return true;
	return false;
}

/* A catalog that must load clean; fails the test naming the faults. */
static struct ps_catalog *must_parse(const char *name, const char *text, size_t len)
{
	struct ps_faults f = {0};
	struct ps_catalog *cat = NULL;
	if (!ps_catalog_parse(text, len, &cat, &f)) {
		char *got = joined(&f);
		print_message("case %s: got faults \"%s\", want none\n", name, got);
		ps_free(got);
		ps_faults_fini(&f);
		fail_msg("case %s: catalog refused", name);
	}
	assert_non_null(cat);
	assert_int_equal(f.n, 0);
	ps_faults_fini(&f);
	return cat;
}

/* The ids of a list of plans, comma-separated, into buf. */
static const char *plan_ids(char *buf, size_t cap, const struct ps_plan *const *p, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", p[i]->id);
	return buf;
}

static const char *service_ids(char *buf, size_t cap, const struct ps_service *const *s, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", s[i]->id);
	return buf;
}

/* ---- The demo catalog ------------------------------------------------- */

static const struct {
	const char *id, *family;
	int rank;
	bool data;
} demo_services[] = {
    {"mail-1", "mail", 1, true},
    {"mail-2", "mail", 2, true},
    {"files-1", "files", 1, true},
    {"files-2", "files", 2, true},
    {"chat", "chat", 1, false},
    {"office-web", "office", 1, false},
    {"office-desktop", "office", 2, false},
    {"security", "security", 1, false},
    {"voice", "voice", 1, false},
};

static const char *const demo_products[] = {"business", "enterprise", "mail", "voice"};

static const struct {
	const char *id, *product, *services;
	enum ps_segment segment;
	int64_t price;
	const char *upgrades_to;
	bool addon;
	const char *attaches_to;
} demo_plans[] = {
    {"biz-basic", "business", "mail-1,files-1,chat,office-web", PS_SEG_COMMERCIAL, 600,
     "biz-standard,biz-premium,ent-e3", false, ""},
    {"biz-legacy", "business", "mail-1,files-1,chat,office-web", PS_SEG_COMMERCIAL, 500, "biz-standard,biz-premium",
     false, ""},
    {"biz-standard", "business", "mail-1,files-1,chat,office-web,office-desktop", PS_SEG_COMMERCIAL, 1250,
     "biz-premium,ent-e3", false, ""},
    {"biz-premium", "business", "mail-1,files-1,chat,office-web,office-desktop,security", PS_SEG_COMMERCIAL, 2200,
     "ent-e5", false, ""},
    {"ent-e3", "enterprise", "mail-2,files-2,chat,office-web,office-desktop", PS_SEG_COMMERCIAL, 3600, "ent-e5", false,
     ""},
    {"ent-e5", "enterprise", "mail-2,files-2,chat,office-web,office-desktop,security,voice", PS_SEG_COMMERCIAL, 5700,
     "", false, ""},
    {"mail-p1", "mail", "mail-1", PS_SEG_COMMERCIAL, 400, "mail-p2,biz-basic", false, ""},
    {"mail-p2", "mail", "mail-2", PS_SEG_COMMERCIAL, 800, "ent-e3", false, ""},
    {"biz-basic-gov", "business", "mail-1,files-1,chat,office-web", PS_SEG_GOVERNMENT, 500, "biz-standard-gov", false,
     ""},
    {"biz-standard-gov", "business", "mail-1,files-1,chat,office-web,office-desktop", PS_SEG_GOVERNMENT, 1000, "",
     false, ""},
    {"biz-basic-np", "business", "mail-1,files-1,chat,office-web", PS_SEG_NONPROFIT, 300, "biz-standard-np", false, ""},
    {"biz-standard-np", "business", "mail-1,files-1,chat,office-web,office-desktop", PS_SEG_NONPROFIT, 900, "", false,
     ""},
    {"voice-addon", "voice", "voice", PS_SEG_COMMERCIAL, 800, "", true, "biz-basic,biz-standard,biz-premium,ent-e3"},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_demo_catalog(void **state)
{
	(void)state;
	size_t len;
	char *text = read_demo(&len);
	struct ps_catalog *cat = must_parse("demo-catalog.json", text, len);
	char got[512];

	assert_int_equal(cat->n_services, N_OF(demo_services));
	for (size_t i = 0; i < N_OF(demo_services); i++) {
		const struct ps_service *s = &cat->services[i];
		if (strcmp(s->id, demo_services[i].id) != 0 || strcmp(s->family, demo_services[i].family) != 0 ||
		    s->rank != demo_services[i].rank || s->data_bearing != demo_services[i].data)
			fail_msg("case service %zu: got %s/%s/%d/%d, want %s/%s/%d/%d", i, s->id, s->family, s->rank,
				 s->data_bearing, demo_services[i].id, demo_services[i].family, demo_services[i].rank,
				 demo_services[i].data);
	}
	assert_int_equal(cat->n_products, N_OF(demo_products));
	for (size_t i = 0; i < N_OF(demo_products); i++)
		if (strcmp(cat->products[i].id, demo_products[i]) != 0)
			fail_msg("case product %zu: got %s, want %s", i, cat->products[i].id, demo_products[i]);

	/* Plans stay in the document's order, links in the order written. */
	assert_int_equal(cat->n_plans, N_OF(demo_plans));
	for (size_t i = 0; i < N_OF(demo_plans); i++) {
		const struct ps_plan *p = &cat->plans[i];
		const char *id = demo_plans[i].id;
		if (strcmp(p->id, id) != 0)
			fail_msg("case plan %zu: got %s, want %s", i, p->id, id);
		/* The demo's one retired plan (Coho Winery's). */
		if (p->retired != (strcmp(id, "biz-legacy") == 0))
			fail_msg("case %s retired: got %d", id, p->retired);
		if (strcmp(p->product->id, demo_plans[i].product) != 0)
			fail_msg("case %s product: got %s, want %s", id, p->product->id, demo_plans[i].product);
		if (strcmp(service_ids(got, sizeof got, p->services, p->n_services), demo_plans[i].services) != 0)
			fail_msg("case %s services: got %s, want %s", id, got, demo_plans[i].services);
		if (p->segment != demo_plans[i].segment)
			fail_msg("case %s segment: got %s, want %s", id, ps_segment_name(p->segment),
				 ps_segment_name(demo_plans[i].segment));
		if (p->price_per_seat_month != demo_plans[i].price || strcmp(p->currency, "EUR") != 0)
			fail_msg("case %s price: got %lld %s, want %lld EUR", id, (long long)p->price_per_seat_month,
				 p->currency, (long long)demo_plans[i].price);
		if (strcmp(plan_ids(got, sizeof got, p->upgrades_to, p->n_upgrades_to), demo_plans[i].upgrades_to))
			fail_msg("case %s upgrades_to: got %s, want %s", id, got, demo_plans[i].upgrades_to);
		if (p->addon != demo_plans[i].addon)
			fail_msg("case %s addon: got %d, want %d", id, p->addon, demo_plans[i].addon);
		if (strcmp(plan_ids(got, sizeof got, p->attaches_to, p->n_attaches_to), demo_plans[i].attaches_to))
			fail_msg("case %s attaches_to: got %s, want %s", id, got, demo_plans[i].attaches_to);
		/* The loader promised: every declared path is data-safe. */
		for (size_t j = 0; j < p->n_upgrades_to; j++)
			if (!ps_plan_is_data_safe(p, p->upgrades_to[j], NULL))
				fail_msg("case %s -> %s: got unsafe, want data-safe", id, p->upgrades_to[j]->id);
	}
	assert_string_equal(cat->plans[0].name, "Business Basic");
	assert_string_equal(ps_catalog_plan(cat, "biz-standard-np")->name, "Business Standard (Nonprofit)");

	/* The compact re-serialisation, which loads back to the same text. */
	static const char head[] = "{\"services\":[{\"id\":\"mail-1\",\"name\":\"Mail Plan 1\",\"family\":\"mail\","
				   "\"rank\":1,\"data_bearing\":true},";
	assert_non_null(cat->json);
	assert_int_equal(cat->json_len, strlen(cat->json));
	if (strncmp(cat->json, head, strlen(head)) != 0)
		fail_msg("case json: got %.120s, want prefix %s", cat->json, head);
	assert_null(strchr(cat->json, '\n'));
	assert_true(cat->json_len < len);
	struct ps_catalog *again = must_parse("demo-catalog.json again", cat->json, cat->json_len);
	assert_int_equal(again->json_len, cat->json_len);
	assert_memory_equal(again->json, cat->json, cat->json_len);
	ps_catalog_free(again);

	ps_catalog_free(cat);
	ps_free(text);
}

/* ---- Fixtures: one per fault kind ------------------------------------- */

static const char *const good_cases[] = {
    "good-minimal.json",  /* the base the bad fixtures are made from */
    "good-defaults.json", /* optional fields left out; an add-on upgrading to an add-on */
    "good-safety.json",	  /* the plans of the data-safety table */
};

static const struct bad_case {
	const char *file;
	size_t n; /* how many faults in all: each fixture shows one fault kind */
	const char *want;
} bad_cases[] = {
    {"bad-syntax.json", 1, "catalog: JSON syntax error at line 5, column 16: "},
    {"bad-duplicate-key.json", 1, "catalog: JSON syntax error at line 1, column 53: duplicate object key"},
    {"bad-top-level.json", 1, "catalog: the top level must be a JSON object"},
    {"bad-missing-plans.json", 1, "catalog: field \"plans\" is missing"},
    {"bad-top-not-array.json", 5, "catalog: field \"products\" must be an array"},
    {"bad-unknown-top.json", 1, "catalog: unknown field \"extras\""},
    {"bad-not-object.json", 1, "plans[4]: must be an object"},
    {"bad-unknown-field.json", 1, "plan \"biz-basic\": unknown field \"colour\""},
    {"bad-missing-field.json", 1, "plan \"biz-plus\": field \"currency\" is missing"},
    {"bad-id.json", 1, "services[5]: field \"id\" must be an id: 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"},
    {"bad-duplicate-id.json", 1, "product \"mail\": duplicate id (products[1] and products[3])"},
    {"bad-name.json", 1, "plan \"biz-plus\": field \"name\" must be a string of 1 to 200 bytes"},
    {"bad-family.json", 1, "service \"chat\": field \"family\" must be an id"},
    {"bad-rank.json", 1, "service \"mail-2\": field \"rank\" must be an integer from 1 to 2147483647"},
    {"bad-data-bearing.json", 1, "service \"files-1\": field \"data_bearing\" must be true or false"},
    {"bad-unknown-product.json", 1, "plan \"biz-plus\": field \"product\" names unknown product \"business-plus\""},
    {"bad-unknown-service.json", 1, "plan \"biz-basic\": field \"services\" names unknown service \"fax\""},
    {"bad-services-empty.json", 1, "plan \"mail-p1\": field \"services\" must list at least one service"},
    {"bad-services-type.json", 1, "plan \"mail-p1\": field \"services\" must be an array of service ids"},
    {"bad-services-twice.json", 1, "plan \"biz-basic\": field \"services\" lists \"mail-1\" twice"},
    {"bad-same-family.json", 1,
     "plan \"biz-plus\": services \"mail-1\" and \"mail-2\" are both of data-bearing family \"mail\""},
    {"bad-segment.json", 1,
     "plan \"biz-basic\": field \"segment\" must be one of \"commercial\", \"education\", \"government\" or "
     "\"nonprofit\""},
    {"bad-price.json", 1,
     "plan \"biz-basic\": field \"price_per_seat_month\" must be a non-negative integer (minor units)"},
    {"bad-price-decimal.json", 1,
     "plan \"biz-basic\": field \"price_per_seat_month\" must be a non-negative integer (minor units)"},
    {"bad-currency.json", 1, "plan \"biz-basic\": field \"currency\" must be 3 uppercase letters (ISO 4217)"},
    {"bad-addon-type.json", 1, "plan \"biz-basic\": field \"addon\" must be true or false"},
    {"bad-upgrades-type.json", 1, "plan \"biz-basic\": field \"upgrades_to\" must be an array of plan ids"},
    {"bad-unknown-upgrade.json", 1, "plan \"biz-plus\": field \"upgrades_to\" names unknown plan \"biz-ultra\""},
    {"bad-upgrade-twice.json", 1, "plan \"mail-p1\": field \"upgrades_to\" lists \"biz-basic\" twice"},
    {"bad-self-upgrade.json", 1, "plan \"biz-plus\": upgrade path to itself"},
    {"bad-loop.json", 1, "upgrade paths loop: a -> b -> c -> a"},
    {"bad-currency-mismatch.json", 1,
     "plan \"biz-basic\": upgrade path to \"biz-plus\" changes currency from EUR to USD"},
    {"bad-data-missing.json", 1,
     "plan \"biz-basic\": upgrade path to \"mail-p1\" is not data-safe: it loses data-bearing service family "
     "\"files\" (service \"files-1\")"},
    {"bad-data-lower.json", 1,
     "plan \"biz-premium\": upgrade path to \"biz-standard\" is not data-safe: service \"mail-2\" (family "
     "\"mail\", rank 2) would drop to \"mail-1\" (rank 1)"},
    {"bad-attaches-not-addon.json", 1,
     "plan \"biz-plus\": field \"attaches_to\" must be empty: the plan is not an add-on"},
    {"bad-addon-no-base.json", 1,
     "plan \"voice-addon\": an add-on must attach to at least one plan (field \"attaches_to\" is empty)"},
    {"bad-addon-on-addon.json", 1,
     "plan \"voice-addon-2\": add-on attaches to \"voice-addon\", which is itself an add-on"},
    {"bad-addon-unknown-base.json", 1, "plan \"voice-addon\": field \"attaches_to\" names unknown plan \"biz-gold\""},
    {"bad-upgrade-to-addon.json", 1, "plan \"biz-plus\": upgrade path to \"voice-addon\" names an add-on"},
    {"bad-addon-upgrade-to-base.json", 1,
     "plan \"voice-addon\": add-on has an upgrade path to \"biz-plus\", which is not an add-on"},
};

static void test_good_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_OF(good_cases); i++) {
		size_t len;
		char *text = read_fixture(good_cases[i], &len);
		ps_catalog_free(must_parse(good_cases[i], text, len));
		ps_free(text);
	}
}

static void test_bad_fixtures(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < N_OF(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct ps_faults f = {0};
		struct ps_catalog *cat = NULL;
		size_t len;
		char *text = read_fixture(c->file, &len);
		bool ok = ps_catalog_parse(text, len, &cat, &f);
		char *got = joined(&f);
		if (ok || cat) {
			print_message("case %s: got a catalog, want fault \"%s\"\n", c->file, c->want);
			failed++;
		} else if (!has_fault(&f, c->want)) {
			print_message("case %s: got \"%s\", want substring \"%s\"\n", c->file, got, c->want);
			failed++;
		} else if (f.n != c->n) {
			print_message("case %s: got %zu faults \"%s\", want %zu\n", c->file, f.n, got, c->n);
			failed++;
		}
		ps_free(got);
		ps_faults_fini(&f);
		ps_catalog_free(cat);
		ps_free(text);
	}
	if (failed)
		fail_msg("%d of %zu fixtures gave the wrong faults", failed, N_OF(bad_cases));
}

/* Every fixture in the folder is in a table, so none is left unchecked. */
static void test_fixtures_all_listed(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof path, "%s/catalogs", data_dir());
	DIR *d = opendir(path);
	if (!d)
		fail_msg("case catalogs: cannot open %s", path);
	struct dirent *de;
	size_t seen = 0;
	int failed = 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		bool listed = strcmp(de->d_name, "many-faults.json") == 0;
		for (size_t i = 0; !listed && i < N_OF(good_cases); i++)
			listed = strcmp(de->d_name, good_cases[i]) == 0;
		for (size_t i = 0; !listed && i < N_OF(bad_cases); i++)
			listed = strcmp(de->d_name, bad_cases[i].file) == 0;
		if (!listed) {
			print_message("case %s: got a fixture in no table, want it listed\n", de->d_name);
			failed++;
		}
		seen++;
	}
	closedir(d);
	if (failed)
		fail_msg("%d fixtures not listed", failed);
	assert_int_equal(seen, N_OF(good_cases) + N_OF(bad_cases) + 1);
}

/* A catalog with several faults lists every one, in the document's order. */
static void test_many_faults(void **state)
{
	(void)state;
	static const char *const want[] = {
	    "catalog: unknown field \"extras\"",
	    "service \"chat\": field \"data_bearing\" must be true or false",
	    "product \"mail\": duplicate id (products[1] and products[3])",
	    "plan \"biz-basic\": field \"price_per_seat_month\" must be a non-negative integer (minor units)",
	    "plan \"biz-plus\": upgrade path to itself",
	    "plan \"voice-addon\": an add-on must attach to at least one plan (field \"attaches_to\" is empty)",
	};
	struct ps_faults f = {0};
	struct ps_catalog *cat = NULL;
	size_t len;
	char *text = read_fixture("many-faults.json", &len);
	assert_false(ps_catalog_parse(text, len, &cat, &f));
	assert_null(cat);
	char *got = joined(&f);
	if (f.n != N_OF(want))
		fail_msg("case many-faults.json: got %zu faults \"%s\", want %zu", f.n, got, N_OF(want));
	for (size_t i = 0; i < N_OF(want); i++)
		if (strcmp(f.msgs[i], want[i]) != 0)
			fail_msg("case many-faults.json fault %zu: got \"%s\", want \"%s\"", i, f.msgs[i], want[i]);
	ps_free(got);
	ps_faults_fini(&f);
	ps_free(text);
}

/* ---- Syntax ----------------------------------------------------------- */

static void test_syntax_errors(void **state)
{
	(void)state;
	static const struct {
		const char *name, *text, *want;
	} cases[] = {
	    {"trailing comma", "{\n  \"plans\": [1,]\n}", "JSON syntax error at line 2, column 15: "},
	    {"empty", "", "JSON syntax error at line 1, column 0: "},
	    {"truncated", "{\"services\": [", "JSON syntax error at line 1, column 14: "},
	    {"garbage after", "{}\n  x", "JSON syntax error at line 2, column 3: end of file expected"},
	    {"nul in string", "{\"plans\": \"a\\u0000b\"}", "JSON syntax error at line 1, column "},
	    {"duplicate key", "{\"plans\": [],\n\"plans\": []}",
	     "JSON syntax error at line 2, column 7: duplicate object key"},
	    {"scalar", "42", "JSON syntax error at line 1, column "},
	    {"array", "[{}]", "catalog: the top level must be a JSON object"},
	};
	int failed = 0;
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct ps_faults f = {0};
		struct ps_catalog *cat = NULL;
		bool ok = ps_catalog_parse(cases[i].text, strlen(cases[i].text), &cat, &f);
		char *got = joined(&f);
		if (ok || cat || f.n != 1 || !strstr(got, cases[i].want)) {
			print_message("case %s: got \"%s\", want substring \"%s\"\n", cases[i].name, got,
				      cases[i].want);
			failed++;
		}
		ps_free(got);
		ps_faults_fini(&f);
		ps_catalog_free(cat);
	}
	if (failed)
		fail_msg("%d syntax cases failed", failed);
}

/* ---- Data safety ------------------------------------------------------ */

static void test_data_safety(void **state)
{
	(void)state;
	static const struct {
		const char *name, *from, *to;
		bool safe;
		size_t n_missing, n_lower;
		const char *missing, *lower, *lower_to; /* the listed ones, comma-separated */
	} cases[] = {
	    {"missing family", "mail1-files1-chat", "mail1", false, 1, 0, "files-1", "", ""},
	    {"lower rank", "mail2", "mail1", false, 0, 1, "", "mail-2", "mail-1"},
	    {"missing and lower", "mail2-files1", "mail1", false, 1, 1, "files-1", "mail-2", "mail-1"},
	    {"equal rank ok", "mail1-files1", "mail1-files1-chat", true, 0, 0, "", "", ""},
	    {"higher rank ok", "mail1", "mail2", true, 0, 0, "", "", ""},
	    {"non-data service may go", "mail1-files1-chat", "mail1-files1", true, 0, 0, "", "", ""},
	    {"no data to lose", "office", "mail1", true, 0, 0, "", "", ""},
	    {"all lost", "mail2-files1", "office", false, 2, 0, "mail-2,files-1", "", ""},
	    {"count past the cap", "nine", "office", false, 9, 0, "d1,d2,d3,d4,d5,d6,d7,d8", "", ""},
	};
	size_t len;
	char *text = read_fixture("good-safety.json", &len);
	struct ps_catalog *cat = must_parse("good-safety.json", text, len);
	char got_m[256], got_l[256], got_lt[256];
	int failed = 0;
	for (size_t i = 0; i < N_OF(cases); i++) {
		const struct ps_plan *from = ps_catalog_plan(cat, cases[i].from);
		const struct ps_plan *to = ps_catalog_plan(cat, cases[i].to);
		assert_non_null(from);
		assert_non_null(to);
		struct ps_safety s;
		memset(&s, 0xa5, sizeof s); /* filled in full, whatever was there */
		bool safe = ps_plan_is_data_safe(from, to, &s);
		service_ids(got_m, sizeof got_m, s.missing, s.n_missing < PS_SAFETY_MAX ? s.n_missing : PS_SAFETY_MAX);
		service_ids(got_l, sizeof got_l, s.lower, s.n_lower < PS_SAFETY_MAX ? s.n_lower : PS_SAFETY_MAX);
		service_ids(got_lt, sizeof got_lt, s.lower_to, s.n_lower < PS_SAFETY_MAX ? s.n_lower : PS_SAFETY_MAX);
		if (safe != cases[i].safe || s.n_missing != cases[i].n_missing || s.n_lower != cases[i].n_lower ||
		    strcmp(got_m, cases[i].missing) || strcmp(got_l, cases[i].lower) ||
		    strcmp(got_lt, cases[i].lower_to)) {
			print_message("case %s: got safe=%d missing=%zu [%s] lower=%zu [%s -> %s], "
				      "want safe=%d missing=%zu [%s] lower=%zu [%s -> %s]\n",
				      cases[i].name, safe, s.n_missing, got_m, s.n_lower, got_l, got_lt, cases[i].safe,
				      cases[i].n_missing, cases[i].missing, cases[i].n_lower, cases[i].lower,
				      cases[i].lower_to);
			failed++;
		}
		if (ps_plan_is_data_safe(from, to, NULL) != cases[i].safe) {
			print_message("case %s without out: got %d, want %d\n", cases[i].name, !cases[i].safe,
				      cases[i].safe);
			failed++;
		}
	}
	if (failed)
		fail_msg("%d data-safety cases failed", failed);
	ps_catalog_free(cat);
	ps_free(text);
}

/* ---- Lookups ---------------------------------------------------------- */

static void test_lookups(void **state)
{
	(void)state;
	static const struct {
		char kind; /* 'p'lan, 's'ervice, 'r' product */
		const char *id;
		bool found;
	} cases[] = {
	    {'p', "biz-basic", true},
	    {'p', "biz-basic-gov", true},
	    {'p', "voice-addon", true},
	    {'p', "ent-e5", true},
	    {'p', "biz", false},
	    {'p', "biz-basic-", false},
	    {'p', "", false},
	    {'p', "zzz", false},
	    {'p', "Biz-Basic", false},
	    {'p', "mail-1", false},
	    {'s', "mail-1", true},
	    {'s', "voice", true},
	    {'s', "office-desktop", true},
	    {'s', "mail-3", false},
	    {'s', "biz-basic", false},
	    {'r', "business", true},
	    {'r', "voice", true},
	    {'r', "Business", false},
	    {'r', "enterprise", true},
	    {'r', "ent", false},
	};
	size_t len;
	char *text = read_demo(&len);
	struct ps_catalog *cat = must_parse("demo-catalog.json", text, len);
	int failed = 0;
	for (size_t i = 0; i < N_OF(cases); i++) {
		const char *got;
		switch (cases[i].kind) {
		case 'p': {
			const struct ps_plan *p = ps_catalog_plan(cat, cases[i].id);
			got = p ? p->id : NULL;
			break;
		}
		case 's': {
			const struct ps_service *s = ps_catalog_service(cat, cases[i].id);
			got = s ? s->id : NULL;
			break;
		}
		default: {
			const struct ps_product *r = ps_catalog_product(cat, cases[i].id);
			got = r ? r->id : NULL;
			break;
		}
		}
		bool ok = cases[i].found ? got && strcmp(got, cases[i].id) == 0 : !got;
		if (!ok) {
			print_message("case %c %s: got %s, want %s\n", cases[i].kind, cases[i].id,
				      got ? got : "nothing", cases[i].found ? cases[i].id : "nothing");
			failed++;
		}
	}
	/* Every object is found at its own address. */
	for (size_t i = 0; i < cat->n_plans; i++)
		if (ps_catalog_plan(cat, cat->plans[i].id) != &cat->plans[i])
			fail_msg("case plan %s: got another or none, want itself", cat->plans[i].id);
	for (size_t i = 0; i < cat->n_services; i++)
		if (ps_catalog_service(cat, cat->services[i].id) != &cat->services[i])
			fail_msg("case service %s: got another or none, want itself", cat->services[i].id);
	for (size_t i = 0; i < cat->n_products; i++)
		if (ps_catalog_product(cat, cat->products[i].id) != &cat->products[i])
			fail_msg("case product %s: got another or none, want itself", cat->products[i].id);
	assert_null(ps_catalog_plan(cat, NULL));
	assert_null(ps_catalog_plan(NULL, "biz-basic"));
	assert_null(ps_catalog_service(NULL, "mail-1"));
	assert_null(ps_catalog_product(NULL, "mail"));
	if (failed)
		fail_msg("%d lookup cases failed", failed);
	ps_catalog_free(cat);
	ps_free(text);
}

/* A catalog put together by hand, as the rule engine's tests do, serves the
 * lookups and data safety too. */
static void test_hand_built(void **state)
{
	(void)state;
	struct ps_service services[] = {
	    {.id = "mail-1", .name = "Mail 1", .family = "mail", .rank = 1, .data_bearing = true},
	    {.id = "mail-2", .name = "Mail 2", .family = "mail", .rank = 2, .data_bearing = true},
	};
	struct ps_product products[] = {{.id = "mail", .name = "Mail"}};
	const struct ps_service *s1[] = {&services[0]}, *s2[] = {&services[1]};
	struct ps_plan plans[] = {
	    {.id = "p2", .name = "P2", .product = &products[0], .services = s2, .n_services = 1},
	    {.id = "p1", .name = "P1", .product = &products[0], .services = s1, .n_services = 1},
	};
	const struct ps_plan *up[] = {&plans[0]};
	plans[1].upgrades_to = up;
	plans[1].n_upgrades_to = 1;
	struct ps_catalog cat = {
	    .services = services, .n_services = 2, .products = products, .n_products = 1, .plans = plans, .n_plans = 2};
	assert_ptr_equal(ps_catalog_plan(&cat, "p1"), &plans[1]);
	assert_ptr_equal(ps_catalog_plan(&cat, "p2"), &plans[0]);
	assert_null(ps_catalog_plan(&cat, "p3"));
	assert_ptr_equal(ps_catalog_service(&cat, "mail-2"), &services[1]);
	assert_ptr_equal(ps_catalog_product(&cat, "mail"), &products[0]);
	assert_true(ps_plan_upgrades_to(&plans[1], &plans[0]));
	assert_true(ps_plan_is_data_safe(&plans[1], &plans[0], NULL));
	assert_false(ps_plan_is_data_safe(&plans[0], &plans[1], NULL));
}

static void test_links(void **state)
{
	(void)state;
	static const struct {
		char kind; /* 's': plan has service; 'u': plan upgrades to plan */
		const char *a, *b;
		bool want;
	} cases[] = {
	    {'s', "biz-basic", "mail-1", true},
	    {'s', "biz-basic", "office-desktop", false},
	    {'s', "ent-e5", "voice", true},
	    {'s', "voice-addon", "voice", true},
	    {'s', "mail-p1", "files-1", false},
	    {'u', "biz-basic", "ent-e3", true},
	    {'u', "biz-basic", "biz-standard", true},
	    {'u', "ent-e3", "biz-basic", false},
	    {'u', "ent-e5", "ent-e5", false},
	    {'u', "mail-p1", "biz-basic", true},
	    {'u', "biz-basic-gov", "biz-standard", false},
	    {'u', "biz-premium", "ent-e3", false},
	};
	size_t len;
	char *text = read_demo(&len);
	struct ps_catalog *cat = must_parse("demo-catalog.json", text, len);
	int failed = 0;
	for (size_t i = 0; i < N_OF(cases); i++) {
		const struct ps_plan *p = ps_catalog_plan(cat, cases[i].a);
		bool got = cases[i].kind == 's' ? ps_plan_has_service(p, ps_catalog_service(cat, cases[i].b))
						: ps_plan_upgrades_to(p, ps_catalog_plan(cat, cases[i].b));
		if (got != cases[i].want) {
			print_message("case %c %s %s: got %d, want %d\n", cases[i].kind, cases[i].a, cases[i].b, got,
				      cases[i].want);
			failed++;
		}
	}
	assert_false(ps_plan_has_service(NULL, ps_catalog_service(cat, "mail-1")));
	assert_false(ps_plan_has_service(ps_catalog_plan(cat, "biz-basic"), NULL));
	assert_false(ps_plan_upgrades_to(NULL, ps_catalog_plan(cat, "ent-e3")));
	assert_false(ps_plan_upgrades_to(ps_catalog_plan(cat, "biz-basic"), NULL));
	if (failed)
		fail_msg("%d link cases failed", failed);
	ps_catalog_free(cat);
	ps_free(text);
}

/* ---- Long upgrade chains ---------------------------------------------- */

/* n plans l0 -> l1 -> ... -> l(n-1), and back to l0 when `loop`. */
static char *chain(size_t n, bool loop, size_t *len)
{
	struct ps_buf b;
	ps_buf_init(&b, 64u << 20);
	ps_buf_puts(&b,
		    "{\"services\":[{\"id\":\"m\",\"name\":\"M\",\"family\":\"m\",\"rank\":1,\"data_bearing\":true}],"
		    "\"products\":[{\"id\":\"p\",\"name\":\"P\"}],\"plans\":[");
	for (size_t i = 0; i < n; i++) {
		ps_buf_printf(
		    &b,
		    "%s{\"id\":\"l%zu\",\"name\":\"L\",\"product\":\"p\",\"services\":[\"m\"],"
		    "\"segment\":\"commercial\",\"price_per_seat_month\":1,\"currency\":\"EUR\",\"upgrades_to\":[",
		    i ? "," : "", i);
		if (i + 1 < n)
			ps_buf_printf(&b, "\"l%zu\"", i + 1);
		else if (loop)
			ps_buf_puts(&b, "\"l0\"");
		ps_buf_puts(&b, "]}");
	}
	ps_buf_puts(&b, "]}");
	assert_false(b.toobig);
	*len = b.len;
	return ps_buf_take(&b);
}

static void test_long_chains(void **state)
{
	(void)state;
	size_t len;
	/* Deep enough to overflow a recursive walk. */
	char *text = chain(200000, false, &len);
	ps_catalog_free(must_parse("chain of 200000", text, len));
	ps_free(text);

	static const char *const want[] = {
	    "upgrade paths loop: l0 -> l1 -> l2 -> l3 -> l4 -> l5 -> l6 -> l7 -> ... (24 more) -> l32 -> ",
	    "-> l39 -> l0",
	};
	struct ps_faults f = {0};
	struct ps_catalog *cat = NULL;
	text = chain(40, true, &len);
	assert_false(ps_catalog_parse(text, len, &cat, &f));
	char *got = joined(&f);
	for (size_t i = 0; i < N_OF(want); i++)
		if (f.n != 1 || !strstr(got, want[i]))
			fail_msg("case loop of 40: got \"%s\", want one fault with \"%s\"", got, want[i]);
	ps_free(got);
	ps_faults_fini(&f);
	ps_free(text);
}

/* ---- The fault list --------------------------------------------------- */

static void test_faults(void **state)
{
	(void)state;
	struct ps_faults f = {0};
	ps_faults_add(&f, "plan \"%s\": field \"%s\" is %d", "a", "b", 3);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.msgs[0], "plan \"a\": field \"b\" is 3");
	for (int i = 0; i < 1000; i++)
		ps_faults_add(&f, "fault %d", i);
	/* A flood is cut, and says so. */
	assert_true(f.n > 100 && f.n < 1001);
	assert_string_equal(f.msgs[f.n - 1], "too many faults: the rest are not listed");
	ps_faults_fini(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.msgs);
	ps_faults_fini(&f); /* twice is harmless */
	ps_faults_add(NULL, "ignored");

	/* A parse adds to what is there, and may be asked for no faults. */
	size_t len;
	char *text = read_fixture("bad-price.json", &len);
	struct ps_catalog *cat = (struct ps_catalog *)&f; /* overwritten */
	ps_faults_add(&f, "earlier");
	assert_false(ps_catalog_parse(text, len, &cat, &f));
	assert_null(cat);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.msgs[0], "earlier");
	ps_faults_fini(&f);
	assert_false(ps_catalog_parse(text, len, &cat, NULL));
	assert_null(cat);
	ps_free(text);
	text = read_fixture("good-minimal.json", &len);
	assert_true(ps_catalog_parse(text, len, &cat, NULL));
	ps_catalog_free(cat);
	ps_catalog_free(NULL);
	ps_free(text);
}

int main(void)
{
	/* One test per line reads better than packed columns. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_catalog),
		cmocka_unit_test(test_good_fixtures),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_fixtures_all_listed),
		cmocka_unit_test(test_many_faults),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_data_safety),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_hand_built),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_long_chains),
		cmocka_unit_test(test_faults),
	};
	/* clang-format on */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
