// i18n.mjs: UI strings from /assets/i18n/{lang}.json, the language
// (navigator.language, switchable, remembered in localStorage), and
// formatting of dates and money in the user's language and time zone.
import { formatMoney } from './money.mjs';

export const LANGS = ['en', 'fr'];
const STORE_KEY = 'planshift.lang';
let lang = 'en';
let dict = {};
let fallback = {};
const listeners = new Set();

export function initialLang() {
  let saved = null;
  try { saved = localStorage.getItem(STORE_KEY); } catch { /* storage off */ }
  if (LANGS.includes(saved)) return saved;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  const base = nav.toLowerCase().split('-')[0];
  return LANGS.includes(base) ? base : 'en';
}

async function fetchDict(l) {
  const res = await fetch(`/assets/i18n/${l}.json`, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`cannot load ${l}.json`);
  return res.json();
}

export async function setLang(l, { remember = false } = {}) {
  if (!LANGS.includes(l)) l = 'en';
  if (!Object.keys(fallback).length) fallback = await fetchDict('en');
  dict = l === 'en' ? fallback : await fetchDict(l);
  lang = l;
  document.documentElement.lang = l;
  if (remember) {
    try { localStorage.setItem(STORE_KEY, l); } catch { /* storage off */ }
  }
  for (const fn of listeners) fn(l);
}

export function getLang() { return lang; }
export function onLangChange(fn) { listeners.add(fn); }

/** t("some.key", {n: 3}): the string, {name} replaced; an object value is a plural ({one, other}). */
export function t(key, vars) {
  let v = dict[key] ?? fallback[key];
  if (v === undefined) {
    if (typeof console !== 'undefined') console.warn(`missing string ${key}`);
    return key;
  }
  if (typeof v === 'object') {
    const n = Number(vars?.n ?? vars?.count ?? 0);
    v = v[new Intl.PluralRules(lang).select(n)] ?? v.other;
  }
  if (vars) v = v.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return v;
}

/** Does the dictionary have this key? (for optional strings) */
export function has(key) { return key in dict || key in fallback; }

export function timeZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone; } catch { return 'UTC'; }
}

/** A time in the user's language and time zone, with the zone named. */
export function fmtDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, {
    weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
  }).format(d);
}

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', year: 'numeric' }).format(d);
}

export function fmtMoney(minor, currency) {
  return formatMoney(minor, currency || 'EUR', lang);
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(lang).format(n);
}

export function fmtList(items) {
  try { return new Intl.ListFormat(lang, { type: 'conjunction' }).format(items); } catch { return items.join(', '); }
}
