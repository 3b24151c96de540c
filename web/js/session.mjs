// session.mjs: the admin center's session. Signing in exchanges the API
// token for a session (POST /v1/sessions): an HttpOnly cookie that every tab
// of the browser shares, so a new tab or a deep link is signed in already;
// the page never keeps the token. A page learns who it is and the CSRF token
// its changes send with GET /v1/sessions/current. Signing out ends the
// session for every tab (the others hear it at once on a BroadcastChannel,
// or at their next request, 401).
import { api, setCsrf } from './api.mjs';

export const ROLES = ['operator', 'support', 'global_admin', 'billing_admin', 'license_admin', 'reader'];
const TENANT_ROLES = ['global_admin', 'billing_admin', 'license_admin', 'reader'];

let identity = null;
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('planshift.session') : null;
let onSignedOutElsewhere = () => {};

if (channel) {
  channel.onmessage = (ev) => {
    if (ev.data === 'signed-out' && identity) {
      forget();
      onSignedOutElsewhere();
    }
  };
}

/** Called when another tab signs out (this tab's session ended with it). */
export function setSignedOutElsewhereHandler(fn) { onSignedOutElsewhere = fn; }

// Who the session is, with its tenant's name and currency.
async function learn(s) {
  let who = { role: s.role, tenant: null, tenantName: null, token: s.token, expiresAt: s.expires_at };
  setCsrf(s.csrf_token);
  if (s.tenant) {
    const info = await api('GET', `/v1/tenants/${s.tenant}`);
    who = { ...who, tenant: s.tenant, tenantName: info.name, currency: info.currency };
  }
  identity = who;
  return who;
}

/** The session this browser holds, if any: resolves to the identity or null. */
export async function load() {
  try {
    return await learn(await api('GET', '/v1/sessions/current', { quiet401: true }));
  } catch (e) {
    if (e && e.status !== 401 && e.status !== 404) throw e;
    forget();
    return null;
  }
}

export function current() { return identity; }

function forget() {
  identity = null;
  setCsrf(null);
}

/** Sign out: the session ends in the store, for every tab. */
export async function signOut() {
  const had = identity !== null;
  try {
    if (had) await api('DELETE', '/v1/sessions/current', { quiet401: true });
  } catch { /* ended already */ }
  forget();
  if (had && channel) channel.postMessage('signed-out');
}

/** This tab learned its session has ended (a 401): forget it here. */
export function ended() { forget(); }

/**
 * Sign in: the token for a session. Resolves to the identity, or throws an
 * ApiError (401: not a valid token).
 */
export async function signIn(tok) {
  const s = await api('POST', '/v1/sessions', { body: { token: tok.trim() }, quiet401: true });
  return learn(s);
}

/** Where sign-in leads: the page asked for (?next=, a path of this app), else home. */
export function afterSignin(query) {
  const next = query && query.get('next');
  return next && /^\/[a-z]/.test(next) && !next.startsWith('/signin') ? `#${next}` : '#/';
}

// ---- what a role may do (doc/openapi.yaml, x-roles) ----------------------
const can = {
  billing: ['operator', 'global_admin', 'billing_admin'], // buy, upgrade, switch, pay, support requests
  licenses: ['operator', 'global_admin', 'license_admin'], // users and seats
  tokens: ['operator', 'global_admin'], // a tenant's API tokens
  events: ['operator', 'global_admin'], // a tenant's event timeline
  audit: ['operator', 'global_admin'], // a tenant's audit log
  provider: ['operator', 'support'], // provider pages (read)
  operator: ['operator'], // provider actions
};

export function may(what, who = identity) {
  return Boolean(who && can[what] && can[what].includes(who.role));
}

export function isTenantRole(who = identity) {
  return Boolean(who && TENANT_ROLES.includes(who.role));
}
