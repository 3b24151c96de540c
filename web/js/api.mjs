// api.mjs: calls to the planshift API (/v1), made with the session's cookie
// (the browser sends it; the page never holds the token), the session's
// CSRF token on every change, and the UI language in Accept-Language (so
// reason messages match the UI).
import { getLang, t } from './i18n.mjs';

let csrf = null;
let onUnauthorized = () => {};

export function setCsrf(value) { csrf = value; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export class ApiError extends Error {
  constructor(status, body, headers) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status ? 'http_' + status : 'network');
    this.field = e.field || null;
    this.reasons = Array.isArray(e.reasons) ? e.reasons : null;
    this.faults = Array.isArray(e.faults) ? e.faults : null; // a refused catalog's, each {path, message}
    const ra = headers && headers.get && headers.get('Retry-After');
    this.retryAfter = ra ? Number(ra) : null;
  }
}

function acceptLanguage() {
  return getLang() === 'fr' ? 'fr, en;q=0.5' : 'en';
}

/**
 * api('GET', '/v1/...', {body, idem, signal, quiet401}) -> parsed JSON (or null).
 * Throws ApiError; a 401 also calls the unauthorized handler (sign-out).
 */
export async function api(method, path, { body, idem, signal, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': acceptLanguage() };
  if (csrf && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (idem) headers['Idempotency-Key'] = idem;
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store', credentials: 'same-origin' });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    const e = new ApiError(0, { error: { code: 'network', message: t('error.network') } });
    throw e;
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, json, res.headers);
    if (res.status === 401 && !quiet401) onUnauthorized(err);
    throw err;
  }
  return json;
}

/** Every item of a list, following `next` (at most `max` items). */
export async function listAll(path, { max = 5000, signal } = {}) {
  const items = [];
  let after = '';
  const sep = path.includes('?') ? '&' : '?';
  for (;;) {
    const page = await api('GET', `${path}${sep}limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`, { signal });
    items.push(...page.items);
    if (!page.next || items.length >= max) return { items, more: Boolean(page.next) };
    after = page.next;
  }
}

/** An Idempotency-Key: random, works outside secure contexts too. */
export function newIdemKey(prefix = 'ui') {
  const a = new Uint8Array(16);
  crypto.getRandomValues(a);
  return `${prefix}-${Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

// The catalog changes only when a new version is loaded (the catalog page
// resets this after loading one): keep it for the session.
let catalogPromise = null;
export function getCatalog() {
  if (!catalogPromise) {
    catalogPromise = api('GET', '/v1/catalog').catch((e) => { catalogPromise = null; throw e; });
  }
  return catalogPromise;
}
export function resetCache() { catalogPromise = null; }
