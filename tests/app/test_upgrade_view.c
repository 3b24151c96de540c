/* test_upgrade_view.c: unit tests of the Upgrade tab's JSON (app layer) and
 * of the i18n it stands on (common layer): the .po reader, Accept-Language
 * negotiation, expansion, money and time for people, the French catalog
 * (complete, placeholders kept), and verdicts rendered and parsed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/ps_want.h"
#include <jansson.h>

#include "app/ps_upgrade_view.h"
#include "common/ps_time.h"
#include "core/ps_money.h"

extern const char ps_po_fr[];
extern const unsigned long ps_po_fr_len;


#define NOW 1795770000 /* 2026-11-27T09:00:00Z, a Friday */
#define NNBSP "\xe2\x80\xaf"
#define NBSP "\xc2\xa0"

static void reload_fr(void)
{
	struct ps_err err = {0};
	WANT(ps_i18n_init(&err) == PS_OK, "case embedded po/fr.po: got error %s, want it to load", err.msg);
}

/* ---- The .po reader ------------------------------------------------------ */

static void test_po_parse(void **state)
{
	static const char po[] = "# A comment\n"
				 "msgid \"\"\n"
				 "msgstr \"\"\n"
				 "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
				 "\n"
				 "#: src/x.c\n"
				 "#, python-brace-format\n"
				 "msgid \"\"\n"
				 "\"Hello \"\n"
				 "\"{name}\"\n"
				 "msgstr \"Bonjour \"\n"
				 "  \"{name}\"\n"
				 "\n"
				 "msgid \"Say \\\"hi\\\"\\\\\\n\\tnow\"\n"
				 "msgstr \"Dis \\\"salut\\\"\\\\\\n\\tmaintenant\"\n"
				 "\n"
				 "msgid \"Untranslated\"\n"
				 "msgstr \"\"\n"
				 "\n"
				 "msgctxt \"menu\"\n"
				 "msgid \"File\"\n"
				 "msgstr \"Fichier (menu)\"\n"
				 "\n"
				 "msgid \"File\"\n"
				 "msgstr \"Fichier\"\n"
				 "\n"
				 "msgid \"One file\"\n"
				 "msgid_plural \"{n} files\"\n"
				 "msgstr[0] \"Un fichier\"\n"
				 "msgstr[1] \"{n} fichiers\"\n"
				 "#~ msgid \"Obsolete\"\n"
				 "#~ msgstr \"Obsolète\"\n";
	struct ps_err err = {0};
	WANT(ps_i18n_load_po(PS_LANG_FR, po, sizeof po - 1, &err) == PS_OK, "case valid po: got error %s", err.msg);
	static const struct {
		const char *name, *id, *want;
	} cases[] = {
		{"continuation lines", "Hello {name}", "Bonjour {name}"},
		{"escapes", "Say \"hi\"\\\n\tnow", "Dis \"salut\"\\\n\tmaintenant"},
		{"empty msgstr is untranslated", "Untranslated", "Untranslated"},
		{"context kept apart", "File", "Fichier"},
		{"plural: the singular", "One file", "Un fichier"},
		{"obsolete entries are comments", "Obsolete", "Obsolete"},
		{"unknown msgid", "Nothing like it", "Nothing like it"},
		{"header is not a message", "", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = ps_tr(PS_LANG_FR, cases[i].id);
		WANT(strcmp(got, cases[i].want) == 0, "case %s: got \"%s\", want \"%s\"", cases[i].name, got,
		     cases[i].want);
	}
	WANT(strcmp(ps_tr(PS_LANG_EN, "Hello {name}"), "Hello {name}") == 0, "case English: got a translation");

	static const struct {
		const char *name, *text;
		int line;
	} bad[] = {
		{"unterminated string", "msgid \"a\"\nmsgstr \"b\n", 2},
		{"msgstr without msgid", "\nmsgstr \"b\"\n", 2},
		{"msgid without msgstr", "msgid \"a\"\n\nmsgid \"b\"\nmsgstr \"c\"\n", 3},
		{"msgid without msgstr at the end", "msgid \"a\"\nmsgstr \"b\"\nmsgid \"c\"\n", 3},
		{"unknown keyword", "msgid \"a\"\nmsgtext \"b\"\n", 2},
		{"text after the string", "msgid \"a\" x\nmsgstr \"b\"\n", 1},
		{"unknown escape", "msgid \"a\"\nmsgstr \"\\q\"\n", 2},
		{"string with no keyword", "\"a\"\n", 1},
		{"keyword with no string", "msgid \"a\"\nmsgstr\n", 2},
		{"duplicate msgid", "msgid \"a\"\nmsgstr \"b\"\nmsgid \"a\"\nmsgstr \"c\"\n", 0},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ps_err_clear(&err);
		ps_code rc = ps_i18n_load_po(PS_LANG_FR, bad[i].text, strlen(bad[i].text), &err);
		WANT(rc == PS_INVALID_FIELD, "case %s: got %s, want invalid_field", bad[i].name, ps_code_api(rc));
		char want[32];
		snprintf(want, sizeof want, "line %d:", bad[i].line);
		WANT(bad[i].line == 0 || strstr(err.msg, want), "case %s: got message \"%s\", want one naming %s",
		     bad[i].name, err.msg, want);
	}
	/* Texts that end without a newline, read from a buffer of exactly their
	 * length (no NUL after them), as a file read whole is: nothing past the
	 * end is read (found by fuzz/fuzz_po: "m" at the very end was compared
	 * with "msgstr[" beyond the buffer; AddressSanitizer sees it). */
	static const char *const ends[] = {"msgid \"a\"\nmsgstr \"b\"\nm", "msgid \"a\"\nmsgstr[",
					   "msgid \"a\"\nmsgstr[0", "msgid \"a\"\nmsgst", "msgid"};
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		size_t n = strlen(ends[i]);
		char *exact = malloc(n);
		memcpy(exact, ends[i], n);
		ps_code rc = ps_i18n_load_po(PS_LANG_FR, exact, n, &err);
		free(exact);
		WANT(rc == PS_INVALID_FIELD, "case text ending \"%s\": got %s, want invalid_field", ends[i],
		     ps_code_api(rc));
	}
	/* A failed load keeps the table it would have replaced. */
	WANT(strcmp(ps_tr(PS_LANG_FR, "File"), "Fichier") == 0, "case failed load: got the old table replaced");
	reload_fr();
}

/* ---- Accept-Language ------------------------------------------------------- */

static void test_negotiate(void **state)
{
	static const struct {
		const char *header;
		enum ps_lang want;
	} cases[] = {
		{"fr-CA,fr;q=0.9", PS_LANG_FR},
		{"en;q=0.5,fr;q=0.8", PS_LANG_FR},
		{"de", PS_LANG_EN},
		{NULL, PS_LANG_EN},
		{"*", PS_LANG_EN},
		{"", PS_LANG_EN},
		{"fr", PS_LANG_FR},
		{"FR-fr", PS_LANG_FR},
		{"fr;q=0", PS_LANG_EN},
		{"de, fr;q=0.1", PS_LANG_FR},
		{"en-GB,en;q=0.9,fr;q=0.8", PS_LANG_EN},
		{"fr, en", PS_LANG_FR},
		{"en, fr", PS_LANG_EN},
		{"*;q=0.5, fr;q=0.4", PS_LANG_EN},
		{"fr;q=0.4, *;q=0.5", PS_LANG_EN},
		{"de;q=1, *;q=0.1, en;q=0", PS_LANG_FR},
		{"fr;q=abc", PS_LANG_EN},
		{" fr ; q=0.7 , en;q=0.6", PS_LANG_FR},
		{"fr;q=1.000", PS_LANG_FR},
		{"en;q=0.8,fr-CH;q=0.81", PS_LANG_FR},
		{"french", PS_LANG_EN},
		{",,;q=,fr", PS_LANG_FR},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ps_lang got = ps_lang_negotiate(cases[i].header);
		WANT(got == cases[i].want, "case \"%s\": got %s, want %s", cases[i].header ? cases[i].header : "(null)",
		     ps_lang_tag(got), ps_lang_tag(cases[i].want));
	}
	WANT(strcmp(ps_lang_tag(PS_LANG_FR), "fr") == 0 && strcmp(ps_lang_tag(PS_LANG_EN), "en") == 0,
	     "case tags: got %s/%s, want en/fr", ps_lang_tag(PS_LANG_EN), ps_lang_tag(PS_LANG_FR));
}

/* ---- Expansion, money, time ------------------------------------------------- */

static void test_expand(void **state)
{
	static const char *const keys[] = {"name", "n", "empty"};
	static const char *const vals[] = {"World", "3", NULL};
	static const struct {
		const char *tmpl, *want;
	} cases[] = {
		{"Hello {name}", "Hello World"},
		{"{n} of {n}", "3 of 3"},
		{"{name}{n}", "World3"},
		{"{unknown} stays", "{unknown} stays"},
		{"{{name}}", "{World}"},
		{"open { never closed {name", "open { never closed {name"},
		{"[{empty}]", "[]"},
		{"no keys", "no keys"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_buf b;
		ps_buf_init(&b, 1024);
		ps_i18n_expand(&b, cases[i].tmpl, keys, vals, 3);
		WANT(strcmp(ps_buf_str(&b), cases[i].want) == 0, "case \"%s\": got \"%s\", want \"%s\"", cases[i].tmpl,
		     ps_buf_str(&b), cases[i].want);
		ps_buf_fini(&b);
	}
}

static void test_money_format(void **state)
{
	static const struct {
		enum ps_lang lang;
		int64_t amount;
		const char *cur, *want;
	} cases[] = {
		{PS_LANG_EN, 100000, "EUR", "\xe2\x82\xac" "1,000.00"},
		{PS_LANG_EN, 1250, "USD", "$12.50"},
		{PS_LANG_EN, 123456789, "GBP", "\xc2\xa3" "1,234,567.89"},
		{PS_LANG_EN, 100000, "CHF", "1,000.00 CHF"},
		{PS_LANG_EN, -1250, "EUR", "-\xe2\x82\xac" "12.50"},
		{PS_LANG_EN, 0, "EUR", "\xe2\x82\xac" "0.00"},
		{PS_LANG_EN, 5, "EUR", "\xe2\x82\xac" "0.05"},
		{PS_LANG_EN, 999, "EUR", "\xe2\x82\xac" "9.99"},
		{PS_LANG_EN, 1000, "JPY", "1,000 JPY"},
		{PS_LANG_EN, 999, "JPY", "999 JPY"},
		{PS_LANG_EN, 12345, "KWD", "12.345 KWD"},
		{PS_LANG_EN, INT64_MIN, "EUR", "-\xe2\x82\xac" "92,233,720,368,547,758.08"},
		{PS_LANG_FR, 100000, "EUR", "1" NNBSP "000,00" NBSP "\xe2\x82\xac"},
		{PS_LANG_FR, 12000, "EUR", "120,00" NBSP "\xe2\x82\xac"},
		{PS_LANG_FR, -1250, "EUR", "-12,50" NBSP "\xe2\x82\xac"},
		{PS_LANG_FR, 123456789, "EUR", "1" NNBSP "234" NNBSP "567,89" NBSP "\xe2\x82\xac"},
		{PS_LANG_FR, 1234567, "USD", "12" NNBSP "345,67" NBSP "$"},
		{PS_LANG_FR, 100000, "CHF", "1" NNBSP "000,00" NBSP "CHF"},
		{PS_LANG_FR, 1000, "JPY", "1" NNBSP "000" NBSP "JPY"},
		{PS_LANG_FR, -5, "JPY", "-5" NBSP "JPY"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ps_buf b;
		ps_buf_init(&b, 1024);
		ps_money_format(&b, cases[i].amount, cases[i].cur, cases[i].lang);
		WANT(strcmp(ps_buf_str(&b), cases[i].want) == 0, "case %s %lld %s: got \"%s\", want \"%s\"",
		     ps_lang_tag(cases[i].lang), (long long)cases[i].amount, cases[i].cur, ps_buf_str(&b),
		     cases[i].want);
		ps_buf_fini(&b);
	}
}

static void test_time_human(void **state)
{
	static const struct {
		enum ps_lang lang;
		const char *t, *want;
	} cases[] = {
		{PS_LANG_EN, "2026-11-27T09:00:00Z", "27 Nov 2026, 09:00 UTC"},
		{PS_LANG_FR, "2026-11-27T09:00:00Z", "27 nov. 2026, 09:00 UTC"},
		{PS_LANG_EN, "2027-02-01T18:05:59Z", "1 Feb 2027, 18:05 UTC"},
		{PS_LANG_FR, "2027-02-01T18:05:59Z", "1er f\xc3\xa9vr. 2027, 18:05 UTC"},
		{PS_LANG_FR, "2027-08-15T00:00:00Z", "15 ao\xc3\xbbt 2027, 00:00 UTC"},
		{PS_LANG_FR, "2026-12-01T08:00:00Z", "1er d\xc3\xa9" "c. 2026, 08:00 UTC"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t;
		ps_time_parse(cases[i].t, &t);
		struct ps_buf b;
		ps_buf_init(&b, 1024);
		ps_time_human(&b, t, cases[i].lang);
		WANT(strcmp(ps_buf_str(&b), cases[i].want) == 0, "case %s %s: got \"%s\", want \"%s\"",
		     ps_lang_tag(cases[i].lang), cases[i].t, ps_buf_str(&b), cases[i].want);
		ps_buf_fini(&b);
	}
}

/* ---- po/fr.po itself ---------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The placeholders of s, sorted, without repeats, joined: "{a}{b}". */
static void placeholders(const char *s, char *out, size_t n)
{
	char found[32][64];
	size_t k = 0, o = 0;
	for (const char *p = strchr(s, '{'); p && k < 32; p = strchr(p + 1, '{')) {
		const char *e = p + 1;
		while ((*e >= 'a' && *e <= 'z') || *e == '_')
			e++;
		if (*e == '}' && e > p + 1 && e - p < 60)
			snprintf(found[k++], sizeof found[0], "%.*s", (int)(e - p + 1), p);
	}
	qsort(found, k, sizeof found[0], cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < k; i++)
		if (i == 0 || strcmp(found[i], found[i - 1]) != 0)
			o += (size_t)snprintf(out + o, n - o, "%s", found[i]);
}

struct po_entry {
	char id[4096], str[4096];
	bool brace;
	int line;
};

static void check_entry(const struct po_entry *e, size_t *entries, size_t *with_ph)
{
	char a[512], b[512];
	if (e->line == 0 || e->id[0] == '\0') /* nothing yet, or the header */
		return;
	placeholders(e->id, a, sizeof a);
	placeholders(e->str, b, sizeof b);
	WANT(e->str[0], "case entry at line %d \"%.60s\": got no translation, want one", e->line, e->id);
	WANT(strcmp(a, b) == 0, "case entry at line %d \"%.60s\": got placeholders %s, want %s", e->line, e->id, b, a);
	WANT(!a[0] || e->brace, "case entry at line %d \"%.60s\": got no python-brace-format flag", e->line, e->id);
	WANT(strcmp(e->id, e->str) != 0, "case entry at line %d: got the English text as msgstr", e->line);
	(*entries)++;
	*with_ph += a[0] != '\0';
}

/* Reads the embedded po/fr.po on its own (a second, simple reader): every
 * entry is translated and keeps exactly the placeholders of its msgid;
 * entries with placeholders carry the python-brace-format flag. */
static void test_po_placeholders(void **state)
{
	static struct po_entry e;
	char *cur = NULL;
	bool flag = false;
	size_t entries = 0, with_ph = 0;
	int line = 0;
	memset(&e, 0, sizeof e);
	const char *p = ps_po_fr, *end = ps_po_fr + ps_po_fr_len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		char l[1024];
		snprintf(l, sizeof l, "%.*s", (int)(eol - p), p);
		p = eol + 1;
		line++;
		const char *q;
		if (strncmp(l, "#,", 2) == 0) {
			flag = flag || strstr(l, "python-brace-format") != NULL;
			continue;
		}
		if (l[0] == '#' || l[0] == '\0')
			continue;
		if (strncmp(l, "msgid ", 6) == 0) {
			check_entry(&e, &entries, &with_ph);
			memset(&e, 0, sizeof e);
			e.line = line;
			e.brace = flag;
			flag = false;
			cur = e.id;
			q = l + 6;
		} else if (strncmp(l, "msgstr ", 7) == 0) {
			cur = e.str;
			q = l + 7;
		} else {
			q = l;
		}
		WANT(cur && q[0] == '"', "case line %d: got \"%s\", want a quoted string", line, l);
		size_t n = strlen(cur);
		for (const char *c = q + 1; *c && *c != '"' && n + 2 < sizeof e.id; c++) {
			if (*c == '\\' && c[1])
				c++;
			cur[n++] = *c;
		}
		cur[n] = '\0';
	}
	check_entry(&e, &entries, &with_ph);
	WANT(entries >= 30, "case po/fr.po: got %zu entries, want the view's messages (30 or more)", entries);
	WANT(with_ph >= 20, "case po/fr.po: got %zu entries with placeholders, want 20 or more", with_ph);
}

/* ---- A catalog and a tenant for rendering ----------------------------------- */

static const char catalog_json[] =
	"{\"services\": ["
	"{\"id\": \"mail-1\", \"name\": \"Mail Plan 1\", \"family\": \"mail\", \"rank\": 1, \"data_bearing\": true},"
	"{\"id\": \"mail-2\", \"name\": \"Mail Plan 2\", \"family\": \"mail\", \"rank\": 2, \"data_bearing\": true},"
	"{\"id\": \"files-1\", \"name\": \"File Storage 1\", \"family\": \"files\", \"rank\": 1, \"data_bearing\": true},"
	"{\"id\": \"chat\", \"name\": \"Chat\", \"family\": \"chat\", \"rank\": 1, \"data_bearing\": false},"
	"{\"id\": \"audio\", \"name\": \"Audio Conferencing\", \"family\": \"audio\", \"rank\": 1, \"data_bearing\": false}],"
	"\"products\": [{\"id\": \"business\", \"name\": \"Business\"}, {\"id\": \"enterprise\", \"name\": \"Enterprise\"},"
	"{\"id\": \"addons\", \"name\": \"Add-ons\"}],"
	"\"plans\": ["
	"{\"id\": \"biz-basic\", \"name\": \"Business Basic\", \"product\": \"business\","
	" \"services\": [\"mail-1\", \"files-1\", \"chat\"], \"segment\": \"commercial\", \"price_per_seat_month\": 600,"
	" \"currency\": \"EUR\", \"upgrades_to\": [\"biz-premium\", \"ent-e3\"], \"addon\": false, \"attaches_to\": []},"
	"{\"id\": \"biz-premium\", \"name\": \"Business Premium\", \"product\": \"business\","
	" \"services\": [\"mail-2\", \"files-1\", \"chat\"], \"segment\": \"commercial\", \"price_per_seat_month\": 2000,"
	" \"currency\": \"EUR\", \"upgrades_to\": [], \"addon\": false, \"attaches_to\": []},"
	"{\"id\": \"ent-e3\", \"name\": \"Enterprise E3\", \"product\": \"enterprise\","
	" \"services\": [\"mail-2\", \"files-1\"], \"segment\": \"commercial\", \"price_per_seat_month\": 3200,"
	" \"currency\": \"EUR\", \"upgrades_to\": [], \"addon\": false, \"attaches_to\": []},"
	"{\"id\": \"ent-kiosk\", \"name\": \"Enterprise Kiosk\", \"product\": \"enterprise\","
	" \"services\": [\"chat\", \"mail-1\"], \"segment\": \"commercial\", \"price_per_seat_month\": 400,"
	" \"currency\": \"EUR\", \"upgrades_to\": [\"ent-e3\"], \"addon\": false, \"attaches_to\": []},"
	"{\"id\": \"gov-g1\", \"name\": \"Government G1\", \"product\": \"business\","
	" \"services\": [\"mail-1\", \"files-1\"], \"segment\": \"government\", \"price_per_seat_month\": 500,"
	" \"currency\": \"EUR\", \"upgrades_to\": [\"biz-premium\"], \"addon\": false, \"attaches_to\": []},"
	"{\"id\": \"audio\", \"name\": \"Audio Conferencing\", \"product\": \"addons\","
	" \"services\": [\"audio\"], \"segment\": \"commercial\", \"price_per_seat_month\": 200,"
	" \"currency\": \"EUR\", \"upgrades_to\": [], \"addon\": true, \"attaches_to\": [\"biz-basic\", \"gov-g1\"]}]}";

static struct ps_catalog *cat;

static int setup(void **state)
{
	struct ps_faults f = {0};
	if (!ps_catalog_parse(catalog_json, sizeof catalog_json - 1, &cat, &f)) {
		for (size_t i = 0; i < f.n; i++)
			fprintf(stderr, "catalog: %s\n", f.msgs[i]);
		ps_faults_fini(&f);
		return -1;
	}
	struct ps_err err = {0};
	return ps_i18n_init(&err) == PS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	ps_catalog_free(cat);
	ps_i18n_fini();
	return 0;
}

static struct ps_snap_sub *add(struct ps_snapshot *s, int64_t id, const char *plan, int64_t qty, int64_t assigned,
			       enum ps_sub_status st)
{
	struct ps_snap_sub *e = ps_snapshot_add_sub(s);
	e->s.tenant_id = s->tenant.id;
	e->s.id = id;
	snprintf(e->s.plan_id, sizeof e->s.plan_id, "%s", plan);
	const struct ps_plan *p = ps_catalog_plan(cat, plan);
	snprintf(e->s.product_id, sizeof e->s.product_id, "%s", p ? p->product->id : "gone");
	ps_sub_sell_at(&e->s, p);
	e->s.quantity = qty;
	e->s.assigned = assigned;
	e->s.status = st;
	e->s.term = PS_TERM_MONTHLY;
	e->s.term_start = NOW - 10 * PS_DAY;
	e->s.term_end = ps_term_end(e->s.term_start, PS_TERM_MONTHLY);
	return e;
}

static void tenant(struct ps_snapshot *s)
{
	ps_snapshot_init(s);
	s->tenant.id = 7;
	snprintf(s->tenant.name, sizeof s->tenant.name, "Contoso");
	snprintf(s->tenant.currency, sizeof s->tenant.currency, "EUR");
}

/* Six reasons at once on sub_1: conflict, not ready, incident, an upgrade of
 * sub_2 in progress, a credit check, prepaid, busy, unpaid. */
static void busy_tenant(struct ps_snapshot *s)
{
	tenant(s);
	struct ps_snap_sub *e = add(s, 1, "biz-basic", 10, 12, PS_SUB_PROVISIONING);
	e->s.prepaid = true;
	e->s.term = PS_TERM_ANNUAL;
	ps_time_parse("2026-01-01T00:00:00Z", &e->s.term_start);
	e->s.term_end = ps_term_end(e->s.term_start, PS_TERM_ANNUAL);
	e->s.created_at = NOW; /* bought now: ready, the provider expects, by 13:00 */
	add(s, 2, "ent-kiosk", 5, 5, PS_SUB_ACTIVE);
	struct ps_snap_incident *in = ps_snapshot_add_incident(s);
	in->id = 32;
	snprintf(in->service_id, sizeof in->service_id, "files-1");
	in->status = PS_INC_INVESTIGATING;
	struct ps_operation *op = ps_snapshot_add_op(s);
	op->tenant_id = 7;
	op->id = 41;
	op->state = PS_OP_PROVISIONING;
	op->source_sub = 2;
	op->created_at = NOW - 3600; /* started at 08:00: provisioned by 12:00 */
	snprintf(op->target_plan, sizeof op->target_plan, "ent-e3");
	s->has_credit_check = true;
	s->credit_check.id = 51;
	s->credit_check.requested_at = NOW - 3600;
	s->credit_check.expected_by = ps_add_business_days(NOW - 3600, 2, NULL, 0);
	s->capacity_limit = 2;
	s->capacity_used = 2;
	s->capacity_oldest = NOW - 600;
	s->past_due = 12000;
	ps_time_parse("2026-10-15T00:00:00Z", &s->oldest_due);
	ps_snapshot_resolve(s, cat);
}

static json_t *render(const struct ps_verdict *v, const struct ps_snapshot *s, enum ps_lang lang)
{
	struct ps_buf b;
	struct ps_jw w;
	json_error_t jerr;
	ps_buf_init(&b, (size_t)1 << 22);
	ps_jw_init(&w, &b);
	ps_render_verdict(&w, v, s, lang, NOW);
	json_t *root = json_loadb(b.p, b.len, 0, &jerr);
	WANT(root, "case render: got invalid JSON (%s) in %s", jerr.text, ps_buf_str(&b));
	ps_buf_fini(&b);
	return root;
}

/* The value at "reasons/0/remedies/1/href" (numbers index arrays). */
static json_t *at(json_t *root, const char *path)
{
	json_t *v = root;
	const char *k = path;
	while (v && *k) {
		const char *e = strchr(k, '/');
		size_t n = e ? (size_t)(e - k) : strlen(k);
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)n, k);
		if (json_is_array(v))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			v = json_object_get(v, key);
		k += n + (e ? 1 : 0);
	}
	return v;
}

static void want_str(json_t *root, const char *path, const char *want)
{
	json_t *v = at(root, path);
	WANT(v && json_is_string(v) && strcmp(json_string_value(v), want) == 0, "case %s: got %s, want \"%s\"", path,
	     v ? (json_is_string(v) ? json_string_value(v) : "(not a string)") : "(absent)", want);
}

static void want_int(json_t *root, const char *path, long long want)
{
	json_t *v = at(root, path);
	WANT(v && json_is_integer(v) && json_integer_value(v) == want, "case %s: got %lld, want %lld", path,
	     v && json_is_integer(v) ? (long long)json_integer_value(v) : -999999LL, want);
}

static void want_absent(json_t *root, const char *path)
{
	WANT(!at(root, path), "case %s: got a value, want none", path);
}

static void want_contains(json_t *root, const char *path, const char *part)
{
	json_t *v = at(root, path);
	WANT(v && json_is_string(v) && strstr(json_string_value(v), part), "case %s: got \"%s\", want it to contain \"%s\"",
	     path, v && json_is_string(v) ? json_string_value(v) : "(absent)", part);
}

static void test_render_blocked(void **state)
{
	static struct ps_verdict v;
	struct ps_snapshot s;
	busy_tenant(&s);
	ps_rules_evaluate(cat, &s, ps_snapshot_sub(&s, 1), NOW, 0, &v);
	json_t *j = render(&v, &s, PS_LANG_EN);

	want_str(j, "subscription", "sub_1");
	WANT(json_is_false(at(j, "eligible")), "case eligible: got not false, want false");
	static const char *const codes[] = {"license_conflict", "subscription_not_ready", "service_incident",
					    "upgrade_in_progress", "credit_check_pending", "prepaid_plan",
					    "service_busy", "unpaid_balance"};
	size_t n = sizeof codes / sizeof codes[0];
	WANT(json_array_size(at(j, "reasons")) == n, "case reasons: got %zu, want %zu",
	     json_array_size(at(j, "reasons")), n);
	for (size_t i = 0; i < n; i++) {
		char p[64];
		snprintf(p, sizeof p, "reasons/%zu/code", i);
		want_str(j, p, codes[i]);
		snprintf(p, sizeof p, "reasons/%zu/message", i);
		json_t *m = at(j, p);
		WANT(m && json_string_length(m) > 40 && !strchr(json_string_value(m), '{'),
		     "case %s: got message \"%s\", want a full sentence, expanded", codes[i],
		     m ? json_string_value(m) : "(absent)");
	}
	/* 1 license_conflict */
	want_str(j, "reasons/0/details/subscriptions/0/subscription", "sub_1");
	want_str(j, "reasons/0/details/subscriptions/0/plan", "biz-basic");
	want_int(j, "reasons/0/details/subscriptions/0/purchased", 10);
	want_int(j, "reasons/0/details/subscriptions/0/assigned", 12);
	want_int(j, "reasons/0/details/count", 1);
	want_str(j, "reasons/0/remedies/0/action", "resolve_license_conflicts");
	want_str(j, "reasons/0/remedies/0/href", "/v1/tenants/ten_7/licenses");
	want_str(j, "reasons/0/remedies/1/action", "change_plans_manually");
	want_str(j, "reasons/0/remedies/1/href", "/v1/tenants/ten_7/subscriptions/sub_1/switch");
	want_str(j, "reasons/0/remedies/2/action", "call_support");
	want_str(j, "reasons/0/remedies/2/href", "/v1/tenants/ten_7/support-requests");
	want_absent(j, "reasons/0/remedies/0/until");
	want_contains(j, "reasons/0/message", "Business Basic: 12 assigned, 10 purchased");
	/* 2 subscription_not_ready: wait until now + 4 h */
	want_str(j, "reasons/1/details/status", "provisioning");
	want_str(j, "reasons/1/remedies/0/action", "wait");
	want_str(j, "reasons/1/remedies/0/href", "/v1/tenants/ten_7/subscriptions/sub_1");
	want_str(j, "reasons/1/remedies/0/until", "2026-11-27T13:00:00Z");
	want_str(j, "reasons/1/remedies/1/action", "call_support");
	want_contains(j, "reasons/1/message", "27 Nov 2026, 13:00 UTC");
	/* 3 service_incident: wait with no known end */
	want_str(j, "reasons/2/details/incidents/0/id", "inc_32");
	want_str(j, "reasons/2/details/incidents/0/service", "files-1");
	want_str(j, "reasons/2/details/incidents/0/status", "investigating");
	want_str(j, "reasons/2/remedies/0/href", "/v1/service-health");
	WANT(json_is_null(at(j, "reasons/2/remedies/0/until")), "case reasons/2/remedies/0/until: got not null, "
									      "want null (no eta)");
	want_contains(j, "reasons/2/message", "File Storage 1");
	/* 4 upgrade_in_progress */
	want_str(j, "reasons/3/details/id", "op_41");
	want_str(j, "reasons/3/details/state", "provisioning");
	want_str(j, "reasons/3/details/subscription", "sub_2");
	want_str(j, "reasons/3/remedies/0/action", "wait");
	want_str(j, "reasons/3/remedies/0/href", "/v1/tenants/ten_7/operations/op_41");
	want_str(j, "reasons/3/remedies/0/until", "2026-11-27T12:00:00Z");
	want_absent(j, "reasons/3/remedies/1");
	want_contains(j, "reasons/3/message", "Enterprise Kiosk to Enterprise E3");
	/* 5 credit_check_pending: two business days from Friday 08:00 is Tuesday 08:00 */
	want_str(j, "reasons/4/details/id", "cc_51");
	want_str(j, "reasons/4/details/requested_at", "2026-11-27T08:00:00Z");
	want_str(j, "reasons/4/details/expected_by", "2026-12-01T08:00:00Z");
	want_str(j, "reasons/4/remedies/0/href", "/v1/tenants/ten_7/credit-checks");
	want_str(j, "reasons/4/remedies/0/until", "2026-12-01T08:00:00Z");
	want_contains(j, "reasons/4/message", "1 Dec 2026, 08:00 UTC");
	/* 8 prepaid_plan */
	want_str(j, "reasons/5/details/term_end", "2027-01-01T00:00:00Z");
	want_int(j, "reasons/5/details/unused_days", 35);
	want_int(j, "reasons/5/details/unused_value", 6904);
	want_str(j, "reasons/5/details/currency", "EUR");
	want_contains(j, "reasons/5/message", "\xe2\x82\xac" "69.04");
	want_contains(j, "reasons/5/message", "35 unused days");
	want_str(j, "reasons/5/remedies/0/action", "schedule_at_term_end");
	want_str(j, "reasons/5/remedies/0/href", "/v1/tenants/ten_7/subscriptions/sub_1/upgrade");
	want_str(j, "reasons/5/remedies/0/effective_at", "2027-01-01T00:00:00Z");
	want_str(j, "reasons/5/remedies/1/href", "/v1/tenants/ten_7/subscriptions/sub_1/switch");
	/* 10 service_busy */
	want_int(j, "reasons/6/details/retry_after_s", 3000);
	want_str(j, "reasons/6/details/retry_at", "2026-11-27T09:50:00Z");
	want_str(j, "reasons/6/remedies/0/action", "retry_later");
	want_str(j, "reasons/6/remedies/0/until", "2026-11-27T09:50:00Z");
	want_absent(j, "reasons/6/remedies/0/href");
	want_contains(j, "reasons/6/message", "27 Nov 2026, 09:50 UTC");
	/* 13 unpaid_balance */
	want_int(j, "reasons/7/details/amount_due", 12000);
	want_str(j, "reasons/7/details/currency", "EUR");
	want_str(j, "reasons/7/details/oldest_due", "2026-10-15T00:00:00Z");
	want_str(j, "reasons/7/remedies/0/action", "pay_now");
	want_str(j, "reasons/7/remedies/0/href", "/v1/tenants/ten_7/payments");
	want_contains(j, "reasons/7/message", "\xe2\x82\xac" "120.00");
	/* offers: declared, data-safe, blocked */
	WANT(json_array_size(at(j, "offers")) == 2, "case offers: got %zu, want 2", json_array_size(at(j, "offers")));
	want_str(j, "offers/0/plan", "biz-premium");
	want_str(j, "offers/0/name", "Business Premium");
	WANT(json_is_false(at(j, "offers/0/eligible")), "case offers/0/eligible: got not false, want false");
	want_str(j, "offers/0/upgrade_type", "automatic");
	WANT(json_array_size(at(j, "offers/0/reasons")) == 0, "case offers/0/reasons: got some, want none");
	want_str(j, "offers/0/price/currency", "EUR");
	want_int(j, "offers/0/price/per_seat_month_before", 600);
	want_int(j, "offers/0/price/per_seat_month_after", 2000);
	want_int(j, "offers/0/price/monthly_before", 6000);
	want_int(j, "offers/0/price/monthly_after", 20000);
	want_int(j, "offers/0/price/quantity", 10);
	want_str(j, "offers/1/plan", "ent-e3");
	json_decref(j);

	/* The same in French. */
	j = render(&v, &s, PS_LANG_FR);
	want_str(j, "reasons/0/code", "license_conflict");
	want_contains(j, "reasons/0/message", "conflit de licence");
	want_contains(j, "reasons/0/message", "Business Basic" NBSP ": 12 attribuées, 10 achetées");
	want_contains(j, "reasons/2/message", "État du service");
	want_contains(j, "reasons/4/message", "vérification de solvabilité");
	want_contains(j, "reasons/4/message", "jours ouvrés");
	want_contains(j, "reasons/4/message", "1er déc. 2026, 08:00 UTC");
	want_contains(j, "reasons/5/message", "69,04" NBSP "\xe2\x82\xac");
	want_contains(j, "reasons/7/message", "120,00" NBSP "\xe2\x82\xac");
	want_contains(j, "reasons/7/message", "payer maintenant");
	want_str(j, "reasons/0/remedies/1/href", "/v1/tenants/ten_7/subscriptions/sub_1/switch");
	json_decref(j);
	ps_snapshot_fini(&s);
}

static void test_render_other_reasons(void **state)
{
	static struct ps_verdict v;
	struct ps_snapshot s;
	tenant(&s);
	snprintf(s.tenant.currency, sizeof s.tenant.currency, "USD"); /* the plans are in EUR */
	add(&s, 1, "gov-g1", 10, 10, PS_SUB_ACTIVE);
	add(&s, 2, "biz-basic", 3, 3, PS_SUB_DISABLED);
	add(&s, 3, "audio", 10, 10, PS_SUB_ACTIVE)->s.addon_of = 1;
	add(&s, 4, "audio", 10, 10, PS_SUB_ACTIVE)->s.addon_of = 77;
	add(&s, 5, "biz-premium", 1, 1, PS_SUB_EXPIRED);
	ps_snapshot_resolve(&s, cat);
	ps_rules_evaluate(cat, &s, ps_snapshot_sub(&s, 1), NOW, 0, &v);
	json_t *j = render(&v, &s, PS_LANG_EN);
	want_str(j, "reasons/0/code", "multiple_plans_same_product");
	want_str(j, "reasons/0/details/product", "business");
	want_str(j, "reasons/0/details/subscriptions/0/subscription", "sub_1");
	want_str(j, "reasons/0/details/subscriptions/1/subscription", "sub_2");
	want_str(j, "reasons/0/details/subscriptions/1/plan", "biz-basic");
	want_int(j, "reasons/0/details/subscriptions/1/quantity", 3);
	want_contains(j, "reasons/0/message", "2 subscriptions to Business (Government G1, Business Basic)");
	want_str(j, "reasons/1/code", "segment_restricted");
	want_str(j, "reasons/1/details/segment", "government");
	want_str(j, "reasons/2/code", "has_addon");
	want_str(j, "reasons/2/details/subscriptions/0/subscription", "sub_3");
	want_str(j, "reasons/2/details/subscriptions/0/plan", "audio");
	want_str(j, "reasons/3/code", "other");
	want_str(j, "reasons/3/details/found", "currency_mismatch");
	want_str(j, "reasons/3/details/id", "gov-g1");
	want_contains(j, "reasons/3/message", "priced in EUR but your organization is billed in USD");
	want_str(j, "offers/0/price/currency", "EUR");
	json_decref(j);

	/* The add-on whose base is gone, and the expired plan with no path. */
	ps_rules_evaluate(cat, &s, ps_snapshot_sub(&s, 4), NOW, 0, &v);
	j = render(&v, &s, PS_LANG_EN);
	want_str(j, "reasons/0/code", "not_eligible");
	want_str(j, "reasons/0/details/status", "active");
	WANT(json_is_true(at(j, "reasons/0/details/no_upgrade_path")), "case no_upgrade_path: got not true");
	want_str(j, "reasons/1/details/found", "base_subscription_missing");
	want_str(j, "reasons/1/details/id", "sub_77");
	WANT(json_array_size(at(j, "offers")) == 0, "case add-on offers: got some, want none");
	json_decref(j);
	ps_rules_evaluate(cat, &s, ps_snapshot_sub(&s, 5), NOW, 0, &v);
	j = render(&v, &s, PS_LANG_EN);
	want_str(j, "reasons/0/code", "not_eligible");
	want_str(j, "reasons/0/details/status", "expired");
	want_absent(j, "reasons/0/details/no_upgrade_path");
	want_contains(j, "reasons/0/message", "has expired");
	json_decref(j);

	/* A plan missing from the catalog. */
	ps_snapshot_reset(&s);
	s.tenant.id = 7;
	snprintf(s.tenant.currency, sizeof s.tenant.currency, "EUR");
	add(&s, 9, "retired", 1, 0, PS_SUB_ACTIVE);
	ps_snapshot_resolve(&s, cat);
	ps_rules_evaluate(cat, &s, ps_snapshot_sub(&s, 9), NOW, 0, &v);
	j = render(&v, &s, PS_LANG_FR);
	want_str(j, "reasons/0/code", "other");
	want_str(j, "reasons/0/details/found", "plan_missing");
	want_str(j, "reasons/0/details/id", "retired");
	want_contains(j, "reasons/0/message", "catalogue");
	want_str(j, "reasons/0/remedies/0/href", "/v1/tenants/ten_7/subscriptions/sub_9/switch");
	json_decref(j);
	ps_snapshot_fini(&s);
}

static void test_render_unsupported(void **state)
{
	static struct ps_verdict v;
	struct ps_snapshot s;
	tenant(&s);
	s.tenant.segment = PS_SEG_GOVERNMENT; /* so gov-g1 is a plan it could buy, and is listed */
	add(&s, 1, "biz-basic", 10, 8, PS_SUB_ACTIVE);
	ps_snapshot_resolve(&s, cat);
	ps_rules_evaluate(cat, &s, ps_snapshot_sub(&s, 1), NOW, PS_EVAL_UNSUPPORTED, &v);
	json_t *j = render(&v, &s, PS_LANG_EN);
	WANT(json_is_true(at(j, "eligible")), "case eligible: got not true");
	WANT(json_array_size(at(j, "reasons")) == 0, "case reasons: got some, want none");
	want_str(j, "offers/0/plan", "biz-premium");
	WANT(json_is_true(at(j, "offers/0/eligible")), "case offers/0/eligible: got not true");
	want_str(j, "offers/0/upgrade_type", "automatic");
	want_str(j, "offers/1/plan", "ent-e3");
	/* ent-kiosk: undeclared, and lacks File Storage */
	want_str(j, "offers/2/plan", "ent-kiosk");
	want_str(j, "offers/2/upgrade_type", "manual");
	WANT(json_is_false(at(j, "offers/2/eligible")), "case offers/2/eligible: got not false");
	want_str(j, "offers/2/reasons/0/code", "target_not_supported");
	want_str(j, "offers/2/reasons/0/details/plan", "ent-kiosk");
	WANT(json_is_false(at(j, "offers/2/reasons/0/details/declared")), "case declared: got not false");
	want_str(j, "offers/2/reasons/0/details/missing_services/0/id", "files-1");
	want_str(j, "offers/2/reasons/0/details/missing_services/0/name", "File Storage 1");
	want_str(j, "offers/2/reasons/0/details/missing_services/0/family", "files");
	want_int(j, "offers/2/reasons/0/details/missing_services/0/rank", 1);
	WANT(json_array_size(at(j, "offers/2/reasons/0/details/lower_services")) == 0,
	     "case lower_services: got some, want none");
	want_str(j, "offers/2/reasons/0/remedies/0/action", "change_plans_manually");
	want_str(j, "offers/2/reasons/0/remedies/0/href", "/v1/tenants/ten_7/subscriptions/sub_1/switch");
	want_str(j, "offers/2/reasons/0/remedies/1/action", "call_support");
	want_contains(j, "offers/2/reasons/0/message", "lacks File Storage 1");
	/* gov-g1: undeclared, data-safe */
	want_str(j, "offers/3/plan", "gov-g1");
	want_contains(j, "offers/3/reasons/0/message", "is not offered as an upgrade from Business Basic");
	WANT(json_array_size(at(j, "offers")) == 4, "case offers: got %zu, want 4 (add-ons and own plan left out)",
	     json_array_size(at(j, "offers")));
	json_decref(j);

	/* From Business Premium (Mail Plan 2) down to the kiosk plan (Mail Plan 1). */
	ps_snapshot_reset(&s);
	s.tenant.id = 7;
	snprintf(s.tenant.currency, sizeof s.tenant.currency, "EUR");
	add(&s, 2, "biz-premium", 4, 4, PS_SUB_ACTIVE);
	ps_snapshot_resolve(&s, cat);
	ps_rules_evaluate(cat, &s, ps_snapshot_sub(&s, 2), NOW, PS_EVAL_UNSUPPORTED, &v);
	const struct ps_offer *o = ps_verdict_offer(&v, "ent-kiosk");
	WANT(o, "case kiosk offer: got none");
	struct ps_buf b;
	struct ps_jw w;
	json_error_t jerr;
	ps_buf_init(&b, 1 << 20);
	ps_jw_init(&w, &b);
	ps_render_offer_reason(&w, o, &v, &s, PS_LANG_FR, NOW);
	j = json_loadb(b.p, b.len, 0, &jerr);
	WANT(j, "case offer reason: got invalid JSON %s", ps_buf_str(&b));
	ps_buf_fini(&b);
	want_str(j, "code", "target_not_supported");
	want_str(j, "details/lower_services/0/id", "mail-2");
	want_str(j, "details/lower_services/0/family", "mail");
	want_int(j, "details/lower_services/0/rank", 2);
	want_str(j, "details/lower_services/0/target_service", "mail-1");
	want_int(j, "details/lower_services/0/target_rank", 1);
	want_str(j, "details/missing_services/0/id", "files-1");
	want_contains(j, "message", "Mail Plan 1 au lieu de Mail Plan 2");
	want_contains(j, "message", "modifier les offres manuellement");
	json_decref(j);
	ps_snapshot_fini(&s);
}

/* Every message the view can say, in English and French: each French text
 * differs from the English one (it was translated) and is fully expanded. */
static void test_every_message_translated(void **state)
{
	struct ps_snapshot s;
	tenant(&s);
	add(&s, 1, "biz-basic", 10, 12, PS_SUB_ACTIVE);
	add(&s, 2, "biz-premium", 10, 12, PS_SUB_ACTIVE);
	add(&s, 3, "audio", 10, 10, PS_SUB_ACTIVE)->s.addon_of = 1;
	add(&s, 4, "audio", 10, 10, PS_SUB_ACTIVE)->s.addon_of = 1;
	struct ps_snap_incident *in = ps_snapshot_add_incident(&s);
	in->id = 1;
	snprintf(in->service_id, sizeof in->service_id, "mail-1");
	in = ps_snapshot_add_incident(&s);
	in->id = 2;
	snprintf(in->service_id, sizeof in->service_id, "files-1");
	struct ps_operation *op = ps_snapshot_add_op(&s);
	op->id = 5;
	op->source_sub = 1;
	snprintf(op->target_plan, sizeof op->target_plan, "biz-premium");
	op = ps_snapshot_add_op(&s);
	op->id = 6;
	op->source_sub = 2;
	snprintf(op->target_plan, sizeof op->target_plan, "ent-e3");
	ps_snapshot_resolve(&s, cat);
	const struct ps_snap_sub *me = ps_snapshot_sub(&s, 1);

	struct variant {
		const char *name;
		struct ps_reason r;
	} vs[64];
	size_t n = 0;
#define V(nm, ...)                                                                           \
	do {                                                                                 \
		memset(&vs[n].r, 0, sizeof vs[n].r);                                         \
		vs[n].name = nm;                                                             \
		vs[n].r.sub = me;                                                            \
		vs[n].r.status = PS_SUB_ACTIVE;                                              \
		struct ps_reason *r_ = &vs[n].r;                                             \
		__VA_ARGS__;                                                                 \
		n++;                                                                         \
	} while (0)
	V("license_conflict, one", r_->code = PS_R_LICENSE_CONFLICT; r_->subs[0] = me; r_->n_subs = 1);
	V("license_conflict, two", r_->code = PS_R_LICENSE_CONFLICT; r_->subs[0] = me; r_->subs[1] = &s.subs[1];
	  r_->n_subs = 2);
	V("subscription_not_ready", r_->code = PS_R_SUBSCRIPTION_NOT_READY; r_->wait_until = NOW + 3600);
	V("service_incident, one", r_->code = PS_R_SERVICE_INCIDENT; r_->incidents[0] = &s.incidents[0];
	  r_->n_incidents = 1);
	V("service_incident, two", r_->code = PS_R_SERVICE_INCIDENT; r_->incidents[0] = &s.incidents[0];
	  r_->incidents[1] = &s.incidents[1]; r_->n_incidents = 2);
	V("subscription_not_ready, overdue", r_->code = PS_R_SUBSCRIPTION_NOT_READY; r_->wait_until = NOW - 60;
	  r_->overdue = true);
	V("service_incident, one, eta", r_->code = PS_R_SERVICE_INCIDENT; r_->incidents[0] = &s.incidents[0];
	  r_->n_incidents = 1; r_->wait_until = NOW + 3600);
	V("service_incident, two, eta", r_->code = PS_R_SERVICE_INCIDENT; r_->incidents[0] = &s.incidents[0];
	  r_->incidents[1] = &s.incidents[1]; r_->n_incidents = 2; r_->wait_until = NOW + 3600);
	V("service_incident, one, past its eta", r_->code = PS_R_SERVICE_INCIDENT; r_->incidents[0] = &s.incidents[0];
	  r_->n_incidents = 1; r_->wait_until = NOW - 60; r_->overdue = true);
	V("service_incident, two, past their eta", r_->code = PS_R_SERVICE_INCIDENT;
	  r_->incidents[0] = &s.incidents[0]; r_->incidents[1] = &s.incidents[1]; r_->n_incidents = 2;
	  r_->wait_until = NOW - 60; r_->overdue = true);
	V("upgrade_in_progress, this one", r_->code = PS_R_UPGRADE_IN_PROGRESS; r_->operation_id = 5);
	V("upgrade_in_progress, another", r_->code = PS_R_UPGRADE_IN_PROGRESS; r_->operation_id = 6);
	V("upgrade_in_progress, unknown operation", r_->code = PS_R_UPGRADE_IN_PROGRESS; r_->operation_id = 99);
	V("credit_check_pending", r_->code = PS_R_CREDIT_CHECK_PENDING; r_->requested_at = NOW;
	  r_->expected_by = NOW + 4 * PS_DAY);
	V("not_eligible, no path", r_->code = PS_R_NOT_ELIGIBLE; r_->no_upgrade_path = true);
	V("not_eligible, expired", r_->code = PS_R_NOT_ELIGIBLE; r_->status = PS_SUB_EXPIRED);
	V("not_eligible, disabled", r_->code = PS_R_NOT_ELIGIBLE; r_->status = PS_SUB_DISABLED);
	V("not_eligible, cancelled", r_->code = PS_R_NOT_ELIGIBLE; r_->status = PS_SUB_CANCELLED);
	V("not_eligible, replaced", r_->code = PS_R_NOT_ELIGIBLE; r_->status = PS_SUB_REPLACED);
	V("not_eligible, other status", r_->code = PS_R_NOT_ELIGIBLE; r_->status = PS_SUB_ACTIVE);
	V("multiple_plans_same_product", r_->code = PS_R_MULTIPLE_PLANS_SAME_PRODUCT; r_->subs[0] = me;
	  r_->subs[1] = &s.subs[1]; r_->n_subs = 2);
	V("multiple_plans_same_product, per target", r_->code = PS_R_MULTIPLE_PLANS_SAME_PRODUCT;
	  r_->subs[0] = &s.subs[1]; r_->n_subs = 1; r_->target = s.subs[1].plan);
	V("multiple_plans_same_product, per target, users", r_->code = PS_R_MULTIPLE_PLANS_SAME_PRODUCT;
	  r_->subs[0] = &s.subs[1]; r_->n_subs = 1; r_->target = s.subs[1].plan; r_->users[0] = 7; r_->n_users = 1);
	V("has_addon, one, a manual change", r_->code = PS_R_HAS_ADDON; r_->subs[0] = &s.subs[2]; r_->n_subs = 1;
	  r_->target = me->plan);
	V("has_addon, two, a manual change", r_->code = PS_R_HAS_ADDON; r_->subs[0] = &s.subs[2];
	  r_->subs[1] = &s.subs[3]; r_->n_subs = 2; r_->target = me->plan);
	V("prepaid_plan, one day", r_->code = PS_R_PREPAID_PLAN; r_->term_end = NOW + 3600; r_->unused_days = 1;
	  r_->unused_value = 20);
	V("prepaid_plan, days", r_->code = PS_R_PREPAID_PLAN; r_->term_end = NOW + 9 * PS_DAY; r_->unused_days = 9;
	  r_->unused_value = 1800);
	V("segment_restricted, government", r_->code = PS_R_SEGMENT_RESTRICTED; r_->segment = PS_SEG_GOVERNMENT);
	V("segment_restricted, nonprofit", r_->code = PS_R_SEGMENT_RESTRICTED; r_->segment = PS_SEG_NONPROFIT);
	V("service_busy", r_->code = PS_R_SERVICE_BUSY; r_->retry_after_s = 60; r_->wait_until = NOW + 60);
	V("target_not_supported (no offer)", r_->code = PS_R_TARGET_NOT_SUPPORTED);
	V("has_addon, one", r_->code = PS_R_HAS_ADDON; r_->subs[0] = &s.subs[2]; r_->n_subs = 1);
	V("has_addon, two", r_->code = PS_R_HAS_ADDON; r_->subs[0] = &s.subs[2]; r_->subs[1] = &s.subs[3];
	  r_->n_subs = 2);
	V("unpaid_balance", r_->code = PS_R_UNPAID_BALANCE; r_->amount_due = 12000; r_->oldest_due = NOW - PS_DAY);
	V("other, plan missing", r_->code = PS_R_OTHER; r_->other = PS_OTHER_PLAN_MISSING; r_->other_ref = "x");
	V("other, base missing", r_->code = PS_R_OTHER; r_->other = PS_OTHER_BASE_MISSING);
	V("other, currency", r_->code = PS_R_OTHER; r_->other = PS_OTHER_CURRENCY_MISMATCH);
	V("other, negative", r_->code = PS_R_OTHER; r_->other = PS_OTHER_NEGATIVE_COUNTS);
	V("other, none", r_->code = PS_R_OTHER; r_->other = PS_OTHER_NONE);
#undef V
	bool seen[PS_R__COUNT] = {false};
	for (size_t i = 0; i < n; i++) {
		struct ps_buf en, fr;
		ps_buf_init(&en, 1 << 16);
		ps_buf_init(&fr, 1 << 16);
		ps_reason_message(&en, &vs[i].r, &s, PS_LANG_EN, NOW);
		ps_reason_message(&fr, &vs[i].r, &s, PS_LANG_FR, NOW);
		WANT(en.len > 30 && fr.len > 30, "case %s: got empty messages", vs[i].name);
		WANT(strcmp(ps_buf_str(&en), ps_buf_str(&fr)) != 0, "case %s: got the English text in French: %s",
		     vs[i].name, ps_buf_str(&fr));
		WANT(!strchr(ps_buf_str(&en), '{') && !strchr(ps_buf_str(&fr), '{'),
		     "case %s: got a placeholder left: %s / %s", vs[i].name, ps_buf_str(&en), ps_buf_str(&fr));
		seen[vs[i].r.code] = true;
		ps_buf_fini(&en);
		ps_buf_fini(&fr);
	}
	for (int c = 0; c < PS_R__COUNT; c++)
		WANT(seen[c], "case %s: got no variant of this reason in the table", ps_reason_code_name((enum ps_reason_code)c));

	/* The four offer messages: lacks, offers lower, both, undeclared. */
	struct ps_offer o;
	memset(&o, 0, sizeof o);
	struct ps_verdict *v = calloc(1, sizeof *v);
	v->sub = ps_snapshot_sub(&s, 2); /* Business Premium: Mail Plan 2, File Storage 1 */
	const struct ps_service *mail1 = ps_catalog_service(cat, "mail-1"), *mail2 = ps_catalog_service(cat, "mail-2"),
				*files1 = ps_catalog_service(cat, "files-1");
	for (int k = 0; k < 4; k++) {
		o.plan = ps_catalog_plan(cat, "ent-kiosk");
		o.safety.n_missing = (k & 1) ? 1 : 0;
		o.safety.missing[0] = files1;
		o.safety.n_lower = (k & 2) ? 1 : 0;
		o.safety.lower[0] = mail2;
		o.safety.lower_to[0] = mail1;
		const char *msg[2];
		json_t *j[2];
		for (int l = 0; l < 2; l++) {
			struct ps_buf b;
			struct ps_jw w;
			ps_buf_init(&b, 1 << 16);
			ps_jw_init(&w, &b);
			ps_render_offer_reason(&w, &o, v, &s, (enum ps_lang)l, NOW);
			j[l] = json_loadb(b.p, b.len, 0, NULL);
			WANT(j[l], "case offer message %d: got invalid JSON", k);
			msg[l] = json_string_value(json_object_get(j[l], "message"));
			ps_buf_fini(&b);
		}
		WANT(msg[0] && msg[1] && strcmp(msg[0], msg[1]) != 0 && !strchr(msg[1], '{'),
		     "case offer message %d: got \"%s\" in French", k, msg[1] ? msg[1] : "(none)");
		json_decref(j[0]);
		json_decref(j[1]);
	}
	free(v);
	ps_snapshot_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_po_parse),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_money_format),
		cmocka_unit_test(test_time_human),
		cmocka_unit_test(test_po_placeholders),
		cmocka_unit_test(test_render_blocked),
		cmocka_unit_test(test_render_other_reasons),
		cmocka_unit_test(test_render_unsupported),
		cmocka_unit_test(test_every_message_translated),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
