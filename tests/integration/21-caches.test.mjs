// 21-caches: what a daemon keeps in memory never outlives the store. Each
// worker keeps the principals it found (a token's, a session's) with the
// credentials' version they were found at, and the catalog it parsed; both
// are checked at every request against the versions read from the store.
// Two daemons on one store (SQLite file, or PostgreSQL with PS_TEST_DB_URL),
// four workers each: every worker of the second daemon is warmed first
// (WARM requests at once), then a change on the first one must show at the
// very next requests on the second, all of them: a revoked token, a
// session signed out, a token or session ended by the store's clock, a new
// catalog version, a change of the tenant seen on its Upgrade tab.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  after, before, cli, makeStore, newTenant, removeStore, setClock, startServers, stopServers, test, tenantWithTokens,
  DEMO_CATALOG,
} from './harness.mjs';
import { buy, tab, upgrade } from './tenant-calls.mjs';

const T0 = '2030-03-04T09:00:00Z';
const at = (s) => new Date(Date.parse(T0) + s * 1000).toISOString().replace('.000Z', 'Z');
const WARM = 16; // more requests at once than the daemon has workers (4)

let store; let A; let B; // two daemons on one store, --clock manual
before(async () => {
  store = makeStore();
  [A, B] = await startServers([{ store, args: ['--clock', 'manual'] }, { store, args: ['--clock', 'manual'] }]);
  await setClock(A, T0);
});
after(async () => {
  await stopServers([A, B]);
  if (store) removeStore(store);
});

// WARM requests at once on server s; their statuses.
async function statuses(s, method, path, opts) {
  const rs = await Promise.all(Array.from({ length: WARM }, () => s.api(method, path, opts)));
  return rs.map((r) => r.status);
}
async function expectAll(s, path, opts, want, name) {
  const got = await statuses(s, 'GET', path, opts);
  assert.deepEqual(got, Array(WARM).fill(want), `case ${name}: got ${got.join(',')}, want ${WARM} x ${want}`);
}
async function tokenOf(s, tenant, body) {
  const r = await s.api('POST', `/v1/tenants/${tenant}/tokens`, { body });
  assert.equal(r.status, 201, `case token create: ${r.status} ${r.text}`);
  return r.json;
}
async function signIn(s, token) {
  const r = await s.api('POST', '/v1/sessions', { token: null, body: { token } });
  assert.equal(r.status, 201, `case sign in: ${r.status} ${r.text}`);
  const m = /planshift_session=([^;]*)/.exec(r.headers.get('set-cookie') || '');
  assert.ok(m, 'case sign in: a cookie');
  return { ...r.json, cookie: `planshift_session=${m[1]}` };
}
const cookie = (sess, headers = {}) => ({ token: null, headers: { Cookie: sess.cookie, ...headers } });

test('a token revoked on one daemon (API, then CLI) is refused by every worker of the other at once', async () => {
  const t = await newTenant(A, { name: 'Cache Revoke' });
  const path = `/v1/tenants/${t.id}`;
  for (const how of ['api', 'cli']) {
    const made = await tokenOf(A, t.id, { role: 'reader', name: `revoked by ${how}` });
    await expectAll(B, path, { token: made.token }, 200, `${how}: warm`);
    await expectAll(A, path, { token: made.token }, 200, `${how}: warm on the revoking daemon`);
    if (how === 'api') {
      assert.equal((await A.api('DELETE', `/v1/tokens/${made.id}`)).status, 204);
    } else {
      const r = cli(['token', 'revoke', '--db', store.db, made.id]);
      assert.equal(r.status, 0, `case CLI revoke: ${r.stderr}`);
    }
    await expectAll(B, path, { token: made.token }, 401, `${how}: revoked, other daemon`);
    await expectAll(A, path, { token: made.token }, 401, `${how}: revoked, same daemon`);
  }
  // Another token of the same tenant is not touched by the revocations.
  const other = await tokenOf(A, t.id, { role: 'reader', name: 'kept' });
  await expectAll(B, path, { token: other.token }, 200, 'a live token after revocations');
});

test('a session signed out on one daemon is refused by the other; its token revoked ends the others', async () => {
  const t = await newTenant(A, { name: 'Cache Session' });
  const ga = await tokenOf(A, t.id, { role: 'global_admin', name: 'sessions' });
  const s1 = await signIn(A, ga.token);
  const s2 = await signIn(B, ga.token);
  for (const s of [s1, s2]) await expectAll(B, '/v1/whoami', cookie(s), 200, 'session warm');
  const out = await A.api('DELETE', '/v1/sessions/current', cookie(s1, { 'X-CSRF-Token': s1.csrf_token }));
  assert.equal(out.status, 204, `case sign out: ${out.status} ${out.text}`);
  await expectAll(B, '/v1/whoami', cookie(s1), 401, 'signed out on A, used on B');
  await expectAll(B, '/v1/whoami', cookie(s2), 200, 'the other session lives');
  assert.equal((await A.api('DELETE', `/v1/tokens/${ga.id}`)).status, 204);
  await expectAll(B, '/v1/whoami', cookie(s2), 401, 'its token revoked');
});

test('the store\'s clock ends a kept token and a kept session (expiry, idle time), on every daemon', async () => {
  await setClock(A, T0);
  const t = await newTenant(A, { name: 'Cache Clock' });
  const short = await tokenOf(A, t.id, { role: 'reader', name: 'short', expires_in: '2h' });
  const long = await tokenOf(A, t.id, { role: 'global_admin', name: 'long' });
  const s = await signIn(A, long.token);
  await expectAll(B, `/v1/tenants/${t.id}`, { token: short.token }, 200, 'short-lived token warm');
  await expectAll(B, '/v1/whoami', cookie(s), 200, 'session warm');
  await setClock(A, at(3600)); // within both
  await expectAll(B, `/v1/tenants/${t.id}`, { token: short.token }, 200, 'an hour later');
  await setClock(A, at(2 * 3600 + 1)); // past the token's end, the session idle for 61 minutes
  await expectAll(B, `/v1/tenants/${t.id}`, { token: short.token }, 401, 'past the token\'s expiry');
  await expectAll(B, '/v1/whoami', cookie(s), 401, 'the session idle past 30 minutes');
  await expectAll(B, `/v1/tenants/${t.id}`, { token: long.token }, 200, 'the long token lives');
});

test('a catalog loaded on one daemon is used by every worker of the other from its next request', async () => {
  await setClock(A, T0);
  const T = await tenantWithTokens(A, { name: 'Cache Catalog' });
  const sub = await buy(A, T, { plan: 'biz-basic', quantity: 3 });
  const path = `/v1/tenants/${T.id}/subscriptions/${sub.id}/upgrades`;
  await expectAll(B, path, { token: T.tok.reader }, 200, 'tab warm');
  const before = await B.api('GET', '/v1/catalog');
  const tabBefore = await tab(B, T, sub.id);
  const c = JSON.parse(readFileSync(DEMO_CATALOG, 'utf8'));
  for (const p of c.plans) if (p.id !== 'biz-basic') p.price_per_seat_month += 7;
  const put = await A.api('PUT', '/v1/catalog', { body: c });
  assert.equal(put.status, 201, `case load: ${put.status} ${put.text}`);
  assert.ok(put.json.version > before.json.version, 'case a new version');
  const cats = await Promise.all(Array.from({ length: WARM }, () => B.api('GET', '/v1/catalog')));
  assert.deepEqual(cats.map((r) => r.json.version), Array(WARM).fill(put.json.version), 'case B: the new version');
  const tabs = await Promise.all(Array.from({ length: WARM }, () => B.api('GET', path, { token: T.tok.reader })));
  const onA = await tab(A, T, sub.id);
  assert.notDeepEqual(onA, tabBefore, 'case the new prices show on the tab');
  for (const r of tabs) assert.deepEqual(r.json, onA, 'case B\'s tab priced from the new catalog, as A\'s');
});

test('a change on one daemon shows on the other\'s Upgrade tab at once', async () => {
  await setClock(A, T0);
  const T = await tenantWithTokens(A, { name: 'Cache Tab' });
  const sub = await buy(A, T, { plan: 'biz-basic', quantity: 2 });
  const path = `/v1/tenants/${T.id}/subscriptions/${sub.id}/upgrades`;
  await expectAll(B, path, { token: T.tok.reader }, 200, 'tab warm');
  const was = await tab(B, T, sub.id);
  // An upgrade at the end of the term, scheduled on A: the tab shows it.
  const up = await upgrade(A, T, sub.id, { target_plan: 'biz-standard', when: 'term_end' });
  assert.ok(up.status === 200 || up.status === 201 || up.status === 202, `case upgrade at term end: ${up.status} ${up.text}`);
  const onA = await tab(A, T, sub.id);
  assert.notDeepEqual(onA, was, 'case the change shows on A');
  assert.ok(onA.scheduled, 'case the tab shows the scheduled upgrade');
  const tabs = await Promise.all(Array.from({ length: WARM }, () => B.api('GET', path, { token: T.tok.reader })));
  for (const r of tabs) assert.deepEqual(r.json, onA, 'case every worker of B shows it');
});
