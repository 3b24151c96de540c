/* i18n.c: messages in the caller's language (common layer).
 * A small gettext .po reader, one sorted msgid table per language (read-only
 * after ps_i18n_init, so ps_tr is a lock-free binary search), Accept-Language
 * negotiation with q-values, "{key}" expansion, and the formatting of money
 * and times for a person in English or French. */
#include "ps_i18n.h"
#include "ps_mem.h"
#include "ps_time.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const char ps_po_fr[];
extern const unsigned long ps_po_fr_len;

struct entry {
	char *id, *str;
};

struct table {
	struct entry *e;
	size_t n;
};

static struct table tables[PS_LANG__COUNT];

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		ps_free(t->e[i].id);
		ps_free(t->e[i].str);
	}
	ps_free(t->e);
	t->e = NULL;
	t->n = 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id, ((const struct entry *)b)->id);
}

/* ---- The .po reader ----------------------------------------------------- */

enum field { F_NONE, F_CTX, F_ID, F_PLURAL, F_STR, F_STR_OTHER };

struct po {
	const char *p, *end;
	int line;
	struct ps_buf ctx, id, str;
	bool has_id, has_str, has_ctx;
	enum field cur;
	struct entry *e;
	size_t n, cap;
	struct ps_err *err;
};

static ps_code po_fail(struct po *po, const char *what)
{
	return ps_err_set(po->err, PS_INVALID_FIELD, "po", "line %d: %s", po->line, what);
}

/* Append the quoted string at *s (just past the opening quote) to b,
 * unescaping; *s ends past the closing quote. */
static ps_code po_string(struct po *po, const char **s, const char *eol, struct ps_buf *b)
{
	const char *q = *s;
	while (q < eol && *q != '"') {
		if (*q != '\\') {
			const char *run = q;
			while (q < eol && *q != '"' && *q != '\\')
				q++;
			if (b)
				ps_buf_put(b, run, (size_t)(q - run));
			continue;
		}
		if (q + 1 >= eol)
			return po_fail(po, "unfinished escape");
		char c;
		switch (q[1]) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		default: return po_fail(po, "unknown escape sequence");
		}
		if (b)
			ps_buf_putc(b, c);
		q += 2;
	}
	if (q >= eol)
		return po_fail(po, "missing closing quote");
	q++;
	while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	if (q != eol)
		return po_fail(po, "text after the closing quote");
	*s = q;
	return PS_OK;
}

/* The entry read so far, if any, joins the table. */
static ps_code po_flush(struct po *po)
{
	if (!po->has_id) {
		if (po->has_str || po->has_ctx)
			return po_fail(po, "msgstr without msgid");
		return PS_OK;
	}
	if (!po->has_str)
		return po_fail(po, "msgid without msgstr");
	/* The header (empty msgid) and untranslated entries are skipped; an
	 * entry with a context is kept under "ctx\004id", as gettext does. */
	if (po->id.len > 0 && po->str.len > 0) {
		void *grown = po->e;
		ps_grow(&grown, &po->cap, po->n + 1, sizeof *po->e);
		po->e = grown;
		struct entry *en = &po->e[po->n++];
		if (po->has_ctx) {
			struct ps_buf k;
			ps_buf_init(&k, (size_t)-1);
			ps_buf_put(&k, po->ctx.p, po->ctx.len);
			ps_buf_putc(&k, '\004');
			ps_buf_put(&k, po->id.p, po->id.len);
			en->id = ps_buf_take(&k);
		} else {
			en->id = ps_strndup(po->id.p, po->id.len);
		}
		en->str = ps_strndup(po->str.p, po->str.len);
	}
	ps_buf_reset(&po->ctx);
	ps_buf_reset(&po->id);
	ps_buf_reset(&po->str);
	po->has_id = po->has_str = po->has_ctx = false;
	po->cur = F_NONE;
	return PS_OK;
}

static bool keyword(const char **s, const char *eol, const char *kw)
{
	size_t n = strlen(kw);
	if ((size_t)(eol - *s) <= n || strncmp(*s, kw, n) != 0 || ((*s)[n] != ' ' && (*s)[n] != '\t'))
		return false;
	*s += n;
	while (*s < eol && (**s == ' ' || **s == '\t'))
		(*s)++;
	return true;
}

static ps_code po_line(struct po *po, const char *s, const char *eol)
{
	while (s < eol && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	if (s == eol || *s == '#')
		return PS_OK;
	ps_code rc;
	struct ps_buf *dst = NULL;
	if (*s == '"') {
		switch (po->cur) {
		case F_CTX: dst = &po->ctx; break;
		case F_ID: dst = &po->id; break;
		case F_STR: dst = &po->str; break;
		case F_PLURAL:
		case F_STR_OTHER: dst = NULL; break;
		case F_NONE: return po_fail(po, "a string outside any msgid or msgstr");
		}
	} else if (keyword(&s, eol, "msgctxt")) {
		if ((rc = po_flush(po)) != PS_OK)
			return rc;
		po->has_ctx = true;
		po->cur = F_CTX;
		dst = &po->ctx;
	} else if (keyword(&s, eol, "msgid")) {
		if (po->has_id && !po->has_str)
			return po_fail(po, "msgid without msgstr");
		if (!po->has_ctx || po->has_id)
			if ((rc = po_flush(po)) != PS_OK)
				return rc;
		po->has_id = true;
		po->cur = F_ID;
		dst = &po->id;
	} else if (keyword(&s, eol, "msgid_plural")) {
		if (!po->has_id || po->has_str)
			return po_fail(po, "msgid_plural out of place");
		po->cur = F_PLURAL;
	} else if (keyword(&s, eol, "msgstr")) {
		if (!po->has_id || po->has_str)
			return po_fail(po, "msgstr without msgid");
		po->has_str = true;
		po->cur = F_STR;
		dst = &po->str;
	} else if ((size_t)(eol - s) > 7 && memcmp(s, "msgstr[", 7) == 0) { /* the text may end here: no NUL after it */
		/* Plural forms: the first (the singular) is kept. */
		const char *q = s + 7;
		while (q < eol && *q >= '0' && *q <= '9')
			q++;
		if (q == s + 7 || q >= eol || *q != ']')
			return po_fail(po, "bad msgstr[N]");
		bool first = q - s == 8 && s[7] == '0';
		s = q + 1;
		while (s < eol && (*s == ' ' || *s == '\t'))
			s++;
		if (!po->has_id || (first && po->has_str) || (!first && !po->has_str))
			return po_fail(po, "msgstr[N] out of place");
		po->has_str = true;
		po->cur = first ? F_STR : F_STR_OTHER;
		dst = first ? &po->str : NULL;
	} else {
		return po_fail(po, "expected msgid, msgstr or a quoted string");
	}
	if (s >= eol || *s != '"')
		return po_fail(po, "expected a quoted string");
	s++;
	return po_string(po, &s, eol, dst);
}

ps_code ps_i18n_load_po(enum ps_lang lang, const char *text, size_t len, struct ps_err *err)
{
	if ((unsigned)lang >= PS_LANG__COUNT)
		return ps_err_set(err, PS_INVALID_FIELD, "lang", "unknown language");
	struct po po = {.p = text, .end = text + len, .line = 0, .err = err};
	ps_buf_init(&po.ctx, (size_t)1 << 20);
	ps_buf_init(&po.id, (size_t)1 << 20);
	ps_buf_init(&po.str, (size_t)1 << 20);
	ps_code rc = PS_OK;
	const char *p = text;
	while (p < po.end) {
		const char *eol = memchr(p, '\n', (size_t)(po.end - p));
		if (!eol)
			eol = po.end;
		po.line++;
		if (memchr(p, '\0', (size_t)(eol - p))) {
			rc = po_fail(&po, "NUL byte");
			goto out;
		}
		if ((rc = po_line(&po, p, eol)) != PS_OK)
			goto out;
		p = eol + 1;
	}
	if ((rc = po_flush(&po)) != PS_OK)
		goto out;
	if (po.n > 0)
		qsort(po.e, po.n, sizeof *po.e, entry_cmp);
	for (size_t i = 1; i < po.n; i++)
		if (strcmp(po.e[i - 1].id, po.e[i].id) == 0) {
			rc = ps_err_set(err, PS_INVALID_FIELD, "po", "duplicate msgid \"%.80s\"", po.e[i].id);
			goto out;
		}
	if (po.ctx.toobig || po.id.toobig || po.str.toobig) {
		rc = ps_err_set(err, PS_INVALID_FIELD, "po", "a message is too long");
		goto out;
	}
	table_free(&tables[lang]);
	tables[lang].e = po.e;
	tables[lang].n = po.n;
	po.e = NULL;
	po.n = 0;
out:;
	struct table left = {po.e, po.n};
	table_free(&left);
	ps_buf_fini(&po.ctx);
	ps_buf_fini(&po.id);
	ps_buf_fini(&po.str);
	return rc;
}

ps_code ps_i18n_init(struct ps_err *err)
{
	struct ps_err e = {0};
	if (ps_i18n_load_po(PS_LANG_FR, ps_po_fr, (size_t)ps_po_fr_len, &e) != PS_OK)
		return ps_err_set(err, PS_INTERNAL, NULL, "embedded po/fr.po: %s", e.msg);
	return PS_OK;
}

void ps_i18n_fini(void)
{
	for (int i = 0; i < PS_LANG__COUNT; i++)
		table_free(&tables[i]);
}

const char *ps_tr(enum ps_lang lang, const char *msgid)
{
	if ((unsigned)lang >= PS_LANG__COUNT || !msgid)
		return msgid ? msgid : "";
	const struct table *t = &tables[lang];
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(msgid, t->e[mid].id);
		if (c == 0)
			return t->e[mid].str;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return msgid;
}

/* ---- Accept-Language ---------------------------------------------------- */

static const char *const lang_tags[PS_LANG__COUNT] = {"en", "fr"};

const char *ps_lang_tag(enum ps_lang lang)
{
	return (unsigned)lang < PS_LANG__COUNT ? lang_tags[lang] : "en";
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* A q-value "0", "0.8", "1.000" as thousandths; -1 when malformed. */
static int parse_q(const char *s, const char *end)
{
	if (s >= end || (*s != '0' && *s != '1'))
		return -1;
	int v = (*s - '0') * 1000, scale = 100;
	s++;
	if (s < end && *s == '.') {
		s++;
		for (int i = 0; s < end && i < 3; i++, s++) {
			if (*s < '0' || *s > '9')
				return -1;
			v += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (s != end || v > 1000)
		return -1;
	return v;
}

/* Each range is matched on its primary subtag ("fr-CA" serves "fr"); a
 * language named explicitly takes its own q (the highest if named twice),
 * others take the wildcard's. The highest q wins; on a tie, the range listed
 * first; with nothing acceptable, English. */
enum ps_lang ps_lang_negotiate(const char *h)
{
	int q[PS_LANG__COUNT], pos[PS_LANG__COUNT];
	bool explicit_[PS_LANG__COUNT];
	int wild_q = -1, wild_pos = 0;
	for (int i = 0; i < PS_LANG__COUNT; i++) {
		q[i] = -1;
		pos[i] = 0;
		explicit_[i] = false;
	}
	if (!h)
		return PS_LANG_EN;
	int index = 0;
	const char *p = h;
	while (*p) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *a = p, *b;
		while (a < end && is_ows(*a))
			a++;
		b = a;
		while (b < end && *b != ';' && !is_ows(*b))
			b++;
		const char *tag = a;
		size_t tag_len = (size_t)(b - a);
		int qv = 1000;
		/* Parameters: only q matters. */
		const char *c = b;
		while (c < end) {
			while (c < end && (is_ows(*c) || *c == ';'))
				c++;
			const char *pe = c;
			while (pe < end && *pe != ';')
				pe++;
			const char *te = pe;
			while (te > c && is_ows(te[-1]))
				te--;
			if (te - c >= 2 && (c[0] == 'q' || c[0] == 'Q')) {
				const char *v = c + 1;
				while (v < te && is_ows(*v))
					v++;
				if (v < te && *v == '=') {
					v++;
					while (v < te && is_ows(*v))
						v++;
					qv = parse_q(v, te);
				}
			}
			c = pe;
		}
		index++;
		if (tag_len > 0 && qv >= 0) {
			if (tag_len == 1 && tag[0] == '*') {
				if (qv > wild_q) {
					wild_q = qv;
					wild_pos = index;
				}
			} else {
				size_t prim = 0;
				while (prim < tag_len && tag[prim] != '-' && tag[prim] != '_')
					prim++;
				for (int l = 0; l < PS_LANG__COUNT; l++) {
					if (prim != strlen(lang_tags[l]) || strncasecmp(tag, lang_tags[l], prim) != 0)
						continue;
					if (!explicit_[l] || qv > q[l]) {
						q[l] = qv;
						pos[l] = index;
					}
					explicit_[l] = true;
				}
			}
		}
		p = *end ? end + 1 : end;
	}
	enum ps_lang best = PS_LANG_EN;
	int best_q = 0, best_pos = 0;
	for (int l = 0; l < PS_LANG__COUNT; l++) {
		int lq = explicit_[l] ? q[l] : wild_q;
		int lp = explicit_[l] ? pos[l] : wild_pos;
		if (lq <= 0)
			continue;
		if (lq > best_q || (lq == best_q && lp < best_pos)) {
			best = (enum ps_lang)l;
			best_q = lq;
			best_pos = lp;
		}
	}
	return best;
}

/* ---- Expansion ---------------------------------------------------------- */

void ps_i18n_expand(struct ps_buf *out, const char *tmpl, const char *const *keys, const char *const *vals,
		    size_t n)
{
	const char *p = tmpl;
	while (*p) {
		const char *open = strchr(p, '{');
		if (!open) {
			ps_buf_puts(out, p);
			return;
		}
		const char *close = strchr(open + 1, '}');
		if (!close) {
			ps_buf_puts(out, p);
			return;
		}
		ps_buf_put(out, p, (size_t)(open - p));
		size_t klen = (size_t)(close - open - 1);
		size_t i;
		for (i = 0; i < n; i++)
			if (strlen(keys[i]) == klen && strncmp(keys[i], open + 1, klen) == 0)
				break;
		if (i < n) {
			ps_buf_puts(out, vals[i] ? vals[i] : "");
			p = close + 1;
		} else {
			/* Unknown: left as written; a '{' inside is looked at again. */
			ps_buf_putc(out, '{');
			p = open + 1;
		}
	}
}

/* ---- Money and times ---------------------------------------------------- */

#define NNBSP "\xe2\x80\xaf" /* U+202F narrow no-break space */
#define NBSP "\xc2\xa0"      /* U+00A0 no-break space */

/* The active ISO 4217 currency codes (funds and metals left out), sorted. */
static const char iso4217[] =
	"AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN "
	"BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP "
	"GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF "
	"KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR "
	"MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK "
	"SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU "
	"UYW UZS VED VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG";

bool ps_currency_is_iso(const char *code)
{
	if (!code || strlen(code) != 3)
		return false;
	for (const char *p = iso4217; *p; p += p[3] ? 4 : 3)
		if (memcmp(p, code, 3) == 0)
			return true;
	return false;
}

/* ISO 4217 minor units, where not 2. */
static int currency_decimals(const char *cur)
{
	static const char zero[][4] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
				       "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
	static const char three[][4] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (strcmp(cur, zero[i]) == 0)
			return 0;
	for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
		if (strcmp(cur, three[i]) == 0)
			return 3;
	return 2;
}

static const char *currency_symbol(const char *cur)
{
	if (strcmp(cur, "EUR") == 0)
		return "\xe2\x82\xac";
	if (strcmp(cur, "USD") == 0)
		return "$";
	if (strcmp(cur, "GBP") == 0)
		return "\xc2\xa3";
	return NULL;
}

void ps_money_format(struct ps_buf *out, int64_t amount, const char *currency, enum ps_lang lang)
{
	const char *cur = currency && currency[0] ? currency : "EUR";
	int dec = currency_decimals(cur);
	const char *sym = currency_symbol(cur);
	bool fr = lang == PS_LANG_FR;
	uint64_t mag = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
	uint64_t unit = 1;
	for (int i = 0; i < dec; i++)
		unit *= 10;
	uint64_t whole = mag / unit, frac = mag % unit;

	/* The whole part, grouped by thousands, written right to left. */
	char digits[32];
	int nd = 0;
	do {
		digits[nd++] = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole > 0);

	if (amount < 0)
		ps_buf_putc(out, '-');
	if (!fr && sym)
		ps_buf_puts(out, sym);
	for (int i = nd - 1; i >= 0; i--) {
		ps_buf_putc(out, digits[i]);
		if (i > 0 && i % 3 == 0)
			ps_buf_puts(out, fr ? NNBSP : ",");
	}
	if (dec > 0) {
		char f[4];
		for (int i = dec - 1; i >= 0; i--) {
			f[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		ps_buf_putc(out, fr ? ',' : '.');
		ps_buf_put(out, f, (size_t)dec);
	}
	if (fr) {
		ps_buf_puts(out, NBSP);
		ps_buf_puts(out, sym ? sym : cur);
	} else if (!sym) {
		ps_buf_putc(out, ' ');
		ps_buf_puts(out, cur);
	}
}

void ps_time_human(struct ps_buf *out, int64_t t, enum ps_lang lang)
{
	static const char *const en[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *const fr[] = {"janv.", "f\xc3\xa9vr.", "mars", "avr.", "mai", "juin",
					 "juil.", "ao\xc3\xbbt", "sept.", "oct.", "nov.", "d\303\251c."};
	int64_t days = t / PS_DAY;
	if (t % PS_DAY < 0)
		days--;
	int64_t secs = t - days * PS_DAY;
	int64_t y;
	unsigned m, d;
	ps_civil_from_days(days, &y, &m, &d);
	bool is_fr = lang == PS_LANG_FR;
	ps_buf_printf(out, "%u%s %s %lld, %02d:%02d UTC", d, is_fr && d == 1 ? "er" : "",
		      (is_fr ? fr : en)[(m - 1) % 12], (long long)y, (int)(secs / 3600), (int)(secs / 60 % 60));
}
