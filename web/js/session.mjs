// session.mjs: the token (sessionStorage), who it belongs to (GET
// /v1/whoami), and what its role may do.
import { api, setToken } from './api.mjs';

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

/**
 * Sign in: learn who the token is (GET /v1/whoami). Resolves to the
 * identity, or throws an ApiError (401: not a valid token).
 */
export async function signIn(tok) {
  tok = tok.trim();
  const me = await api('GET', '/v1/whoami', { tokenOverride: tok, quiet401: true });
  let who = { role: me.role, tenant: null, tenantName: null };
  if (me.tenant) {
    const info = await api('GET', `/v1/tenants/${me.tenant}`, { tokenOverride: tok });
    who = { role: me.role, tenant: me.tenant, tenantName: info.name, currency: info.currency };
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
