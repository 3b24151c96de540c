// money.mjs: amounts are integer minor units (API: "Money is always an integer
// count of the currency's minor unit"). Nothing here uses floating point:
// display goes through a decimal string, input is parsed digit by digit.
// Pure module: also imported by the Node tests.

const digitsCache = new Map();

/** How many minor-unit digits the currency has (EUR 2, JPY 0, BHD 3). */
export function minorDigits(currency) {
  if (!digitsCache.has(currency)) {
    let d = 2;
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch { /* unknown code: assume cents */ }
    digitsCache.set(currency, d);
  }
  return digitsCache.get(currency);
}

/** 12345 minor units, 2 digits -> "123.45" (exact, BigInt). */
export function minorToDecimal(minor, digits) {
  let b = BigInt(minor);
  const neg = b < 0n;
  if (neg) b = -b;
  const str = b.toString().padStart(digits + 1, '0');
  const int = digits ? str.slice(0, -digits) : str;
  const frac = digits ? str.slice(-digits) : '';
  return (neg ? '-' : '') + int + (digits ? '.' + frac : '');
}

/** Format minor units in a currency for a locale, exactly: 12000 EUR, "fr" -> "120,00 €". */
export function formatMoney(minor, currency, locale) {
  if (minor === null || minor === undefined) return '—';
  const d = minorDigits(currency);
  const nf = new Intl.NumberFormat(locale, {
    style: 'currency', currency, minimumFractionDigits: d, maximumFractionDigits: d,
  });
  // Intl.NumberFormat formats decimal strings exactly (no conversion to double).
  return nf.format(minorToDecimal(minor, d));
}

/** The amount as a plain number in the locale's decimal mark, for an input: 12000 -> "120.00" / "120,00". */
export function minorToInput(minor, currency, locale) {
  const d = minorDigits(currency);
  const s = minorToDecimal(minor, d);
  const mark = decimalMark(locale);
  return mark === '.' ? s : s.replace('.', mark);
}

export function decimalMark(locale) {
  const part = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal');
  return part ? part.value : '.';
}

export function groupMark(locale) {
  const part = new Intl.NumberFormat(locale).formatToParts(1234567).find((p) => p.type === 'group');
  return part ? part.value : ',';
}

export const MAX_AMOUNT = 1125899906842624n; // the API's largest amount (2^50)

/**
 * Parse what a person typed as an amount in major units into minor units,
 * exactly. Accepts "120", "120.5", "120,50", "1,234.56", "1 234,56",
 * "1.234,56"; a lone "1,234" is a thousands group only where "," groups
 * thousands (English), else a decimal mark. Returns {minor: Number} or {error: 'empty'|'format'|'decimals'|'zero'|'range', digits}.
 */
export function parseMajor(input, currency, locale = 'en') {
  const digits = minorDigits(currency);
  const group = groupMark(locale);
  let s = String(input ?? '').trim();
  // Spaces of any kind and apostrophes group thousands (fr: U+202F, ch: ').
  s = s.replace(/[\s\u00a0\u202f\u2009']/g, '');
  if (s === '') return { error: 'empty', digits };
  if (s.startsWith('+')) s = s.slice(1);
  if (!/^[0-9.,]+$/.test(s) || !/[0-9]/.test(s)) return { error: 'format', digits };

  let intPart = s;
  let fracPart = '';
  const dots = (s.match(/\./g) || []).length;
  const commas = (s.match(/,/g) || []).length;
  const groupsOk = (str, sep) => new RegExp(`^[0-9]{1,3}(\\${sep}[0-9]{3})+$`).test(str);
  if (dots && commas) {
    // Both: the last one is the decimal mark, the other groups thousands.
    const dec = s.lastIndexOf('.') > s.lastIndexOf(',') ? '.' : ',';
    const grp = dec === '.' ? ',' : '.';
    if ((dec === '.' ? dots : commas) !== 1) return { error: 'format', digits };
    const at = s.lastIndexOf(dec);
    intPart = s.slice(0, at);
    fracPart = s.slice(at + 1);
    if (!groupsOk(intPart, grp)) return { error: 'format', digits };
    intPart = intPart.split(grp).join('');
  } else if (dots + commas === 1) {
    const sep = dots ? '.' : ',';
    const at = s.indexOf(sep);
    const after = s.slice(at + 1);
    // The locale's thousands separator before exactly three digits is a
    // group ("1,234" in English); otherwise "." or "," is the decimal mark.
    if (sep === group && after.length === 3 && at > 0 && at <= 3) {
      intPart = s.slice(0, at) + after;
    } else {
      intPart = s.slice(0, at);
      fracPart = after;
    }
  } else if (dots + commas > 1) {
    const sep = dots ? '.' : ',';
    if (!groupsOk(s, sep)) return { error: 'format', digits };
    intPart = s.split(sep).join('');
  }
  if (intPart === '') intPart = '0';
  if (!/^[0-9]+$/.test(intPart) || !/^[0-9]*$/.test(fracPart)) return { error: 'format', digits };
  if (fracPart.length > digits) {
    // Extra zeros are harmless ("120.000"); real extra digits are not.
    if (/[1-9]/.test(fracPart.slice(digits))) return { error: 'decimals', digits };
    fracPart = fracPart.slice(0, digits);
  }
  const minor = BigInt(intPart) * 10n ** BigInt(digits) + BigInt(fracPart.padEnd(digits, '0') || '0');
  if (minor === 0n) return { error: 'zero', digits };
  if (minor > MAX_AMOUNT) return { error: 'range', digits };
  return { minor: Number(minor) };
}

/** price (minor units) × quantity, exactly; null when it would not be exact. */
export function mulMinor(price, quantity) {
  const r = BigInt(price) * BigInt(quantity);
  return r <= BigInt(Number.MAX_SAFE_INTEGER) && r >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(r) : null;
}
