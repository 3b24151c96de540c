/* ps_i18n.h: messages in the caller's language (common layer).
 * English text is the msgid, written in the code; other languages come from
 * gettext .po files (po/LANG.po) that a translator edits, embedded in the
 * binary at build time and parsed once at start. Placeholders are named,
 * "{purchased}", so a translation may reorder them. */
#ifndef PS_I18N_H
#define PS_I18N_H

#include "ps_buf.h"
#include "ps_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ps_lang { PS_LANG_EN, PS_LANG_FR, PS_LANG__COUNT };

/* Load the embedded catalogs. Call once, before any thread uses ps_tr.
 * Returns PS_INTERNAL (with err) if an embedded .po file does not parse. */
ps_code ps_i18n_init(struct ps_err *err);
void ps_i18n_fini(void);

/* Parse .po text (msgid/msgstr pairs, "..." continuation lines, escapes
 * \" \\ \n \t, comments, an empty msgstr meaning untranslated) into lang's
 * table, replacing what it held. PS_INVALID_FIELD with the line number on a
 * syntax error. */
ps_code ps_i18n_load_po(enum ps_lang lang, const char *text, size_t len, struct ps_err *err);

/* The best language for an Accept-Language header ("fr-CA,fr;q=0.9,en;q=0.8"),
 * honouring q-values; English when nothing matches or the header is NULL. */
enum ps_lang ps_lang_negotiate(const char *accept_language);
const char *ps_lang_tag(enum ps_lang lang); /* "en", "fr" */

/* The translation of msgid in lang, or msgid itself. Never NULL. */
const char *ps_tr(enum ps_lang lang, const char *msgid);

/* Append tmpl to out with each "{key}" replaced by its value; unknown keys
 * are left as written. */
void ps_i18n_expand(struct ps_buf *out, const char *tmpl, const char *const *keys, const char *const *vals,
		    size_t n);

/* Append an amount of minor units formatted for a person in lang:
 * English "€1,000.00", "$12.50", "1,000.00 CHF"; French "1 000,00 €" (with a
 * narrow no-break space as the thousands separator, as French typography
 * wants). Currencies with no minor unit (JPY) print none. */
void ps_money_format(struct ps_buf *out, int64_t amount, const char *currency, enum ps_lang lang);
/* Whether code is an active ISO 4217 currency code ("EUR"). */
bool ps_currency_is_iso(const char *code);

/* Append a time for a person in lang: "27 Nov 2026, 09:00 UTC" / "27 nov. 2026, 09:00 UTC". */
void ps_time_human(struct ps_buf *out, int64_t t, enum ps_lang lang);

#endif
