// tenant-calls.mjs: shorthands for the calls a test makes as a tenant's
// roles (T: a tenant with a token per role, from tenantWithTokens), each
// asserting the answer it needs, and the arithmetic the billing tests
// recompute amounts with. Used by the upgrade and manual change files.
import assert from 'node:assert/strict';
import { expectError } from './harness.mjs';

export const DAY = 86400000;

// round_half_up(amount * num / den) for amount, num >= 0, den > 0.
export function roundHalfUp(amount, num, den) {
  return Math.floor((2 * amount * num + den) / (2 * den));
}
export const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
export const plus = (t, ms) => iso(Date.parse(t) + ms);
export const daysCeil = (a, b) => Math.ceil((Date.parse(b) - Date.parse(a)) / DAY);
export const codes = (reasons) => reasons.map((x) => x.code);

// A 409 upgrade_blocked whose reasons are exactly `want`, each a full reason.
export function expectBlocked(r, want, name) {
  expectError(r, 409, 'upgrade_blocked', undefined, name);
  const got = codes(r.json.error.reasons || []);
  assert.deepEqual(got, want, `case ${name}: got reasons ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  for (const x of r.json.error.reasons) {
    assert.ok(typeof x.message === 'string' && x.message.length > 20, `case ${name} ${x.code}: got message ${x.message}`);
    assert.equal(typeof x.details, 'object', `case ${name} ${x.code}: got details ${JSON.stringify(x.details)}`);
    assert.ok(Array.isArray(x.remedies) && x.remedies.length > 0, `case ${name} ${x.code}: got remedies ${JSON.stringify(x.remedies)}`);
  }
}

export function expectFields(got, want, name) {
  assert.ok(got, `case ${name}: got ${JSON.stringify(got)}, want an object`);
  for (const [k, v] of Object.entries(want)) {
    assert.deepEqual(got[k], v, `case ${name} ${k}: got ${JSON.stringify(got[k])}, want ${JSON.stringify(v)}`);
  }
}

export const subsPath = (T) => `/v1/tenants/${T.id}/subscriptions`;

export async function buy(s, T, body, want = 201) {
  const r = await s.api('POST', subsPath(T), { token: T.tok.billing_admin, body });
  assert.equal(r.status, want, `case buy ${JSON.stringify(body)}: got ${r.status} ${r.text}, want ${want}`);
  return r.json;
}

// n new users of T, each assigned a seat of sub; returns their ids.
export async function seatUsers(s, T, sub, n, tag) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const u = await s.api('POST', `/v1/tenants/${T.id}/users`, { token: T.tok.license_admin,
      body: { upn: `${tag}${i}@${T.id}.example`, display_name: `${tag} ${i}` } });
    assert.equal(u.status, 201, `case user ${tag}${i}: got ${u.status} ${u.text}`);
    const a = await s.api('PUT', `${subsPath(T)}/${sub}/assignments/${u.json.id}`, { token: T.tok.license_admin });
    assert.equal(a.status, 201, `case assign ${u.json.id} to ${sub}: got ${a.status} ${a.text}`);
    ids.push(u.json.id);
  }
  return ids;
}

// One seat of sub for user.
export async function assignSeat(s, T, sub, user) {
  const a = await s.api('PUT', `${subsPath(T)}/${sub}/assignments/${user}`, { token: T.tok.license_admin });
  assert.equal(a.status, 201, `case assign ${user} to ${sub}: got ${a.status} ${a.text}`);
}

export async function getSub(s, T, id) {
  const r = await s.api('GET', `${subsPath(T)}/${id}`, { token: T.tok.reader });
  assert.equal(r.status, 200, `case GET ${id}: got ${r.status} ${r.text}, want 200`);
  return r.json;
}

export async function list(s, T, path) {
  const r = await s.api('GET', `/v1/tenants/${T.id}${path}${path.includes('?') ? '&' : '?'}limit=500`, { token: T.tok.reader });
  assert.equal(r.status, 200, `case GET ${path}: got ${r.status} ${r.text}, want 200`);
  return r.json.items;
}

export async function seats(s, T, sub) {
  return (await list(s, T, `/subscriptions/${sub}/assignments`)).map((a) => a.user).sort();
}

export async function tab(s, T, sub) {
  const r = await s.api('GET', `${subsPath(T)}/${sub}/upgrades`, { token: T.tok.reader });
  assert.equal(r.status, 200, `case Upgrade tab of ${sub}: got ${r.status} ${r.text}, want 200`);
  return r.json;
}

export async function billing(s, T) {
  const r = await s.api('GET', `/v1/tenants/${T.id}/billing`, { token: T.tok.reader });
  assert.equal(r.status, 200, `case billing: got ${r.status} ${r.text}, want 200`);
  return r.json;
}

export const upgrade = (s, T, sub, body, { token = T.tok.billing_admin, headers } = {}) =>
  s.api('POST', `${subsPath(T)}/${sub}/upgrade`, { token, body, headers });
export const preview = (s, T, sub, body, token = T.tok.reader) =>
  s.api('POST', `${subsPath(T)}/${sub}/upgrade/preview`, { token, body });
export const change = (s, T, sub, body, token = T.tok.billing_admin) =>
  s.api('POST', `${subsPath(T)}/${sub}/switch`, { token, body });

// Everything a refused or read-only call must leave as it was.
export async function state(s, T) {
  return { subs: await list(s, T, '/subscriptions'), ops: await list(s, T, '/operations'), bill: await billing(s, T) };
}

// A tenant of the demo world, by name.
export function demoTenant(demo, name) {
  const t = demo.tenants.find((x) => x.name === name);
  assert.ok(t, `case demo tenant ${name}: not in the init output (${demo.tenants.map((x) => x.name)})`);
  return t;
}
