// session.mjs: the token (sessionStorage), who it belongs to, and what its
// role may do. The API has no "who am I" call yet, so the role and tenant
// are found from the answers of calls the role may or may not make.
import { api, ApiError, setToken } from './api.mjs';

const TOKEN_KEY = 'planshift.token';
const WHO_KEY = 'planshift.identity';

export const ROLES = ['operator', 'support', 'global_admin', 'billing_admin', 'license_admin', 'reader'];
const TENANT_ROLES = ['global_admin', 'billing_admin', 'license_admin', 'reader'];

let identity = null;

export function load() {
  let tok = null;
  try {
    tok = sessionStorage.getItem(TOKEN_KEY);
    identity = JSON.parse(sessionStorage.getItem(WHO_KEY) || 'null');
  } catch { identity = null; }
  if (!tok || !identity) { identity = null; return null; }
  setToken(tok);
  return identity;
}

export function current() { return identity; }

export function signOut() {
  identity = null;
  setToken(null);
  try {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(WHO_KEY);
  } catch { /* storage off */ }
}

function save(tok, who) {
  identity = who;
  setToken(tok);
  try {
    sessionStorage.setItem(TOKEN_KEY, tok);
    sessionStorage.setItem(WHO_KEY, JSON.stringify(who));
  } catch { /* storage off: the session lasts as long as the page */ }
}

async function status(path, tok, opts = {}) {
  try {
    await api(opts.method || 'GET', path, { tokenOverride: tok, body: opts.body, quiet401: true });
    return { status: 200 };
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, message: e.message, code: e.code };
    throw e;
  }
}

/** Find the tenant a tenant-bound token belongs to: the only one whose GET is not 404. */
async function findTenant(tok, hint) {
  if (hint) {
    const r = await status(`/v1/tenants/${encodeURIComponent(hint)}`, tok);
    if (r.status === 200) return hint;
  }
  const BATCH = 25;
  for (let start = 1; start <= 100000; start += BATCH) {
    const ids = Array.from({ length: BATCH }, (_, i) => `ten_${start + i}`);
    const results = await Promise.all(ids.map((id) => status(`/v1/tenants/${id}`, tok)));
    const found = results.findIndex((r) => r.status === 200);
    if (found >= 0) return ids[found];
    // Far past the last tenant: every id in a batch answers 404 either way;
    // stop after 2,000 ids (ask for GET /v1/whoami).
    if (start > 2000) break;
  }
  return null;
}

/** A tenant role from the 403 message, else from what it may do. */
async function tenantRole(tok, tenant, forbiddenMessage) {
  const m = /the (\w+) role may not/.exec(forbiddenMessage || '');
  if (m && TENANT_ROLES.includes(m[1])) return m[1];
  if ((await status(`/v1/tenants/${tenant}/audit?limit=1`, tok)).status === 200) return 'global_admin';
  // An empty body is refused as 400 by a role that may pay, 403 by one that may not.
  if ((await status(`/v1/tenants/${tenant}/payments`, tok, { method: 'POST', body: {} })).status === 400) return 'billing_admin';
  if ((await status(`/v1/tenants/${tenant}/users`, tok, { method: 'POST', body: {} })).status === 400) return 'license_admin';
  return 'reader';
}

/**
 * Sign in: learn who the token is. Resolves to the identity, or throws an
 * ApiError (401: not a valid token).
 */
export async function signIn(tok, { tenantHint } = {}) {
  tok = tok.trim();
  let who;
  try {
    await api('GET', '/v1/tenants?limit=1', { tokenOverride: tok, quiet401: true });
    // A provider role. Only the operator may read the clock (404 without a manual clock).
    const clock = await status('/v1/clock', tok);
    who = { role: clock.status === 403 ? 'support' : 'operator', tenant: null, tenantName: null };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 403) throw e;
    const tenant = await findTenant(tok, tenantHint);
    if (!tenant) throw new ApiError(404, { error: { code: 'not_found', message: 'no tenant answers to this token' } });
    const [role, info] = await Promise.all([
      tenantRole(tok, tenant, e.message),
      api('GET', `/v1/tenants/${tenant}`, { tokenOverride: tok }),
    ]);
    who = { role, tenant, tenantName: info.name, currency: info.currency };
  }
  save(tok, who);
  return who;
}

// ---- what a role may do (doc/openapi.yaml, x-roles) ----------------------
const can = {
  billing: ['operator', 'global_admin', 'billing_admin'], // buy, upgrade, switch, pay, support requests
  licenses: ['operator', 'global_admin', 'license_admin'], // users and seats
  provider: ['operator', 'support'], // provider pages (read)
  operator: ['operator'], // provider actions
};

export function may(what, who = identity) {
  return Boolean(who && can[what] && can[what].includes(who.role));
}

export function isTenantRole(who = identity) {
  return Boolean(who && TENANT_ROLES.includes(who.role));
}
