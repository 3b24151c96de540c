// 18-tokens-sessions: who may act, and for how long. Tokens have a name, an
// expiry on the store's clock and a last use (written at most once a
// minute); they are listed without their secret and revoked, by the API
// and the CLI, and a revoked token is refused at its next request on every
// daemon of the store. The admin center's sessions: a cookie (HttpOnly,
// SameSite=Strict), an idle and an absolute end, a CSRF token for every
// change, signing out, and the end of the token they came from. Every
// answer carries the page headers (CSP, frame, sniffing, referrer, cache).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, after, before, cli, expectError, makeStore, newTenant, setClock, startServer, startServers, test, tokenFor,
} from './harness.mjs';

const T0 = '2030-01-10T09:00:00Z';
const at = (s) => new Date(Date.parse(T0) + s * 1000).toISOString().replace('.000Z', 'Z');

let srv; // --clock manual
let A; let B; // tenants
let gaA; let gaB; // their global_admin tokens

before(async () => {
  srv = await startServer({ args: ['--clock', 'manual'] });
  await setClock(srv, T0);
  A = await newTenant(srv, { name: 'Tok A' });
  B = await newTenant(srv, { name: 'Tok B' });
  gaA = await tokenFor(srv, A.id, 'global_admin');
  gaB = await tokenFor(srv, B.id, 'global_admin');
});

after(async () => {
  if (srv) await srv.stop();
});

async function list(path, token = srv.operator) {
  const items = [];
  let next = null;
  do {
    const r = await srv.api('GET', `${path}${path.includes('?') ? '&' : '?'}limit=2${next ? `&after=${next}` : ''}`, { token });
    assert.equal(r.status, 200, `case list ${path}: got ${r.status} ${r.text}`);
    assert.ok(!/ps_[A-Za-z0-9_-]{20,}/.test(r.text), `case list ${path}: a secret in ${r.text}`);
    items.push(...r.json.items);
    next = r.json.next;
  } while (next);
  return items;
}

async function audit(tenant) {
  const r = await srv.api('GET', `/v1/tenants/${tenant}/audit?limit=500`);
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

// ---- tokens -----------------------------------------------------------------

test('a token is made with a name and an expiry, listed without its secret, and audited', async () => {
  const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`,
    { token: gaA, body: { role: 'reader', name: 'nightly export', expires_in: '2h' } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.id, /^tok_\d+$/);
  assert.equal(r.json.name, 'nightly export');
  assert.equal(r.json.role, 'reader');
  assert.equal(r.json.tenant, A.id);
  assert.equal(r.json.created, T0, 'case created: the store\'s clock');
  assert.equal(r.json.expires_at, at(7200), 'case expires_at: 2h on the store\'s clock');
  assert.equal(r.json.last_used_at, null);
  const abs = await srv.api('POST', `/v1/tenants/${A.id}/tokens`,
    { body: { role: 'billing_admin', name: 'until june', expires_at: '2030-06-01T00:00:00Z' } });
  assert.equal(abs.status, 201, abs.text);
  assert.equal(abs.json.expires_at, '2030-06-01T00:00:00Z');

  const mine = await list(`/v1/tenants/${A.id}/tokens`, gaA);
  const got = mine.find((t) => t.id === r.json.id);
  assert.deepEqual(got, { id: r.json.id, name: 'nightly export', role: 'reader', tenant: A.id, created: T0,
    expires_at: at(7200), last_used_at: null }, 'case listed token');
  assert.ok(mine.every((t) => t.tenant === A.id), 'case A\'s list holds only A\'s tokens');
  const all = await list('/v1/tokens');
  assert.ok(all.some((t) => t.id === r.json.id) && all.some((t) => t.tenant === B.id) && all.some((t) => t.role === 'operator'),
    'case operator\'s list: every tenant\'s and the provider\'s');
  const onlyB = await list(`/v1/tokens?tenant=${B.id}`);
  assert.ok(onlyB.length > 0 && onlyB.every((t) => t.tenant === B.id), 'case ?tenant=');

  const log = await audit(A.id);
  const e = log.find((x) => x.action === 'token.create' && x.object === r.json.id);
  assert.ok(e, 'case token.create audited');
  assert.equal(e.role, 'global_admin');
  assert.match(e.detail ? JSON.stringify(e.detail) : '', /nightly export/);
});

test('bad names and expiries are 400 naming the field', async () => {
  const cases = [
    [{ role: 'reader', expires_in: '10x' }, 'expires_in'],
    [{ role: 'reader', expires_in: '0h' }, 'expires_in'],
    [{ role: 'reader', expires_at: 'tomorrow' }, 'expires_at'],
    [{ role: 'reader', expires_at: '2029-01-01T00:00:00Z' }, 'expires_at'],
    [{ role: 'reader', expires_at: T0 }, 'expires_at'],
    [{ role: 'reader', expires_at: at(3600), expires_in: '1h' }, 'expires_in'],
    [{ role: 'reader', name: 'x'.repeat(101) }, 'name'],
    [{ role: 'reader', name: 7 }, 'name'],
  ];
  for (const [body, field] of cases) {
    const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: gaA, body });
    expectError(r, 400, 'invalid_field', field, JSON.stringify(body));
  }
});

test('a token expires on the store\'s clock: 401 from then on, and it stays listed with its expiry', async () => {
  const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: gaA, body: { role: 'reader', expires_in: '30m' } });
  assert.equal(r.status, 201, r.text);
  const get = () => srv.api('GET', `/v1/tenants/${A.id}`, { token: r.json.token });
  await setClock(srv, at(30 * 60 - 1));
  assert.equal((await get()).status, 200, 'case a second before its expiry');
  await setClock(srv, at(30 * 60));
  expectError(await get(), 401, 'unauthorized', undefined, 'at its expiry');
  await setClock(srv, T0);
  assert.equal((await get()).status, 200, 'case the clock set back: the store\'s clock decides');
  await setClock(srv, at(3600));
  expectError(await get(), 401, 'unauthorized', undefined, 'after its expiry');
  const listed = (await list(`/v1/tenants/${A.id}/tokens`, gaA)).find((t) => t.id === r.json.id);
  assert.equal(listed?.expires_at, at(30 * 60), 'case expired token listed with its expiry');
  await setClock(srv, T0);
});

test('last use is written at most once a minute, on the store\'s clock', async () => {
  const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: gaA, body: { role: 'reader', name: 'touch' } });
  const use = () => srv.api('GET', `/v1/tenants/${A.id}`, { token: r.json.token });
  const last = async () => (await list(`/v1/tenants/${A.id}/tokens`, gaA)).find((t) => t.id === r.json.id).last_used_at;
  await setClock(srv, at(100));
  assert.equal((await use()).status, 200);
  assert.equal(await last(), at(100), 'case first use written');
  for (const s of [101, 130, 159]) {
    await setClock(srv, at(s));
    for (let i = 0; i < 5; i++) assert.equal((await use()).status, 200);
    assert.equal(await last(), at(100), `case uses at +${s - 100}s: not written again within the minute`);
  }
  await setClock(srv, at(160));
  await use();
  assert.equal(await last(), at(160), 'case a minute later: written');
  await setClock(srv, at(300));
  await signIn(srv, r.json.token);
  assert.equal(await last(), at(300), 'case signing in is a use');
  await setClock(srv, T0);
});

test('revoking: 204, then 401 for that token; who may revoke what', async () => {
  const mk = async (tenant, maker, role = 'reader') => {
    const r = await srv.api('POST', `/v1/tenants/${tenant}/tokens`, { token: maker, body: { role, name: 'to revoke' } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const t1 = await mk(A.id, gaA);
  assert.equal((await srv.api('GET', `/v1/tenants/${A.id}`, { token: t1.token })).status, 200);
  // Another tenant's global_admin: as if it did not exist.
  expectError(await srv.api('DELETE', `/v1/tokens/${t1.id}`, { token: gaB }), 404, 'not_found', undefined, 'B revokes A\'s');
  // Roles that may not make tokens may not revoke them.
  const ba = await mk(A.id, gaA, 'billing_admin');
  expectError(await srv.api('DELETE', `/v1/tokens/${t1.id}`, { token: ba.token }), 403, 'forbidden', undefined, 'billing_admin revokes');
  // Its own tenant's global_admin may.
  const d = await srv.api('DELETE', `/v1/tokens/${t1.id}`, { token: gaA });
  assert.equal(d.status, 204, d.text);
  expectError(await srv.api('GET', `/v1/tenants/${A.id}`, { token: t1.token }), 401, 'unauthorized', undefined, 'revoked token');
  expectError(await srv.api('DELETE', `/v1/tokens/${t1.id}`, { token: gaA }), 404, 'not_found', undefined, 'revoked twice');
  assert.ok(!(await list(`/v1/tenants/${A.id}/tokens`, gaA)).some((t) => t.id === t1.id), 'case revoked: not listed');
  const e = (await audit(A.id)).find((x) => x.action === 'token.revoke' && x.object === t1.id);
  assert.ok(e && e.role === 'global_admin', 'case token.revoke audited');

  // The provider's tokens: only the operator (or the CLI).
  const op2 = cli(['token', 'create', '--db', srv.db, '--role', 'operator', '--name', 'second operator']);
  assert.equal(op2.status, 0, op2.stderr);
  const opTok = op2.stdout.trim();
  const opId = (await list('/v1/tokens')).find((t) => t.name === 'second operator').id;
  expectError(await srv.api('DELETE', `/v1/tokens/${opId}`, { token: gaA }), 404, 'not_found', undefined, 'global_admin revokes an operator token');
  assert.equal((await srv.api('GET', '/v1/tokens', { token: opTok })).status, 200);
  assert.equal((await srv.api('DELETE', `/v1/tokens/${opId}`, { token: srv.operator })).status, 204);
  expectError(await srv.api('GET', '/v1/tokens', { token: opTok }), 401, 'unauthorized', undefined, 'revoked operator token');
  // The operator revokes a tenant's token too.
  const t2 = await mk(B.id, gaB);
  assert.equal((await srv.api('DELETE', `/v1/tokens/${t2.id}`)).status, 204);
  expectError(await srv.api('GET', `/v1/tenants/${B.id}`, { token: t2.token }), 401, 'unauthorized', undefined, 'revoked by the operator');
});

test('the CLI: token create --name --expires-in, list, revoke', async () => {
  const c = cli(['token', 'create', '--db', srv.db, '--role', 'reader', '--tenant', A.id, '--name', 'cli made', '--expires-in', '90d']);
  assert.equal(c.status, 0, c.stderr);
  const secret = c.stdout.trim();
  assert.match(secret, /^ps_[A-Za-z0-9_-]{20,}$/);
  const l = cli(['token', 'list', '--db', srv.db, '--tenant', A.id]);
  assert.equal(l.status, 0, l.stderr);
  assert.ok(!l.stdout.includes(secret), 'case list: never the secret');
  const row = l.stdout.split('\n').find((x) => x.includes('\tcli made\t'));
  assert.ok(row, `case list: the named token in\n${l.stdout}`);
  const [id, name, role, tenant, created, expires] = row.split('\t');
  assert.deepEqual([name, role, tenant, created, expires], ['cli made', 'reader', A.id, T0, at(90 * 86400)],
    'case list columns');
  const all = cli(['token', 'list', '--db', srv.db]);
  assert.ok(all.stdout.includes(`\t${B.id}\t`) && all.stdout.includes('\toperator\t-\t'), 'case list: every tenant\'s and the provider\'s');
  assert.equal((await srv.api('GET', `/v1/tenants/${A.id}`, { token: secret })).status, 200);
  const rv = cli(['token', 'revoke', '--db', srv.db, id]);
  assert.equal(rv.status, 0, rv.stderr);
  expectError(await srv.api('GET', `/v1/tenants/${A.id}`, { token: secret }), 401, 'unauthorized', undefined, 'revoked by the CLI');
  const again = cli(['token', 'revoke', '--db', srv.db, id]);
  assert.equal(again.status, 1, 'case revoked twice: refused');
  assert.ok((await audit(A.id)).some((x) => x.action === 'token.revoke' && x.object === id && x.role === 'system'),
    'case CLI revocation audited');
  for (const args of [['create', '--db', srv.db, '--role', 'reader', '--tenant', A.id, '--expires-in', 'soon'],
    ['revoke', '--db', srv.db], ['revoke', '--db', srv.db, 'nope'], ['list', '--db', srv.db, '--role', 'reader']]) {
    assert.equal(cli(['token', ...args]).status, 2, `case usage: token ${args.join(' ')}`);
  }
});

// ---- sessions ---------------------------------------------------------------

function cookieOf(r) {
  const sc = r.headers.get('set-cookie') || '';
  const m = /planshift_session=([^;]*)/.exec(sc);
  return { header: sc, value: m ? m[1] : null };
}

async function signIn(server, token, headers = {}) {
  const r = await server.api('POST', '/v1/sessions', { token: null, body: { token }, headers });
  assert.equal(r.status, 201, `case sign in: ${r.status} ${r.text}`);
  const c = cookieOf(r);
  assert.ok(c.value, `case sign in: a planshift_session cookie in ${c.header}`);
  return { ...r.json, cookie: `planshift_session=${c.value}`, setCookie: c.header };
}

// A call made with the session's cookie (and no Authorization).
function withSession(server, s, method, path, { csrf, body } = {}) {
  const headers = { Cookie: s.cookie };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  return server.api(method, path, { token: null, headers, body });
}

test('a session: the cookie\'s attributes, who it is, and its CSRF token', async () => {
  const s = await signIn(srv, gaA);
  assert.match(s.setCookie, /;\s*HttpOnly/i);
  assert.match(s.setCookie, /;\s*SameSite=Strict/i);
  assert.match(s.setCookie, /;\s*Path=\//);
  assert.ok(!/;\s*Secure/i.test(s.setCookie), 'case plain http: not Secure');
  assert.equal(s.role, 'global_admin');
  assert.equal(s.tenant, A.id);
  assert.match(s.csrf_token, /^[0-9a-f]{64}$/);
  assert.equal(s.expires_at, at(12 * 3600), 'case absolute end: 12 h on the store\'s clock');
  const tls = await signIn(srv, gaA, { 'X-Forwarded-Proto': 'https' });
  assert.match(tls.setCookie, /;\s*Secure/i, 'case behind TLS: Secure');

  const who = await withSession(srv, s, 'GET', '/v1/whoami');
  assert.equal(who.status, 200, who.text);
  assert.equal(who.json.role, 'global_admin');
  const cur = await withSession(srv, s, 'GET', '/v1/sessions/current');
  assert.equal(cur.status, 200, cur.text);
  assert.equal(cur.json.csrf_token, s.csrf_token, 'case a new tab reads the same CSRF token');
  assert.equal(cur.json.tenant, A.id);
  // Another tenant's objects stay hidden with a session too.
  expectError(await withSession(srv, s, 'GET', `/v1/tenants/${B.id}`), 404, 'not_found', undefined, 'session on B');
  // Bad tokens get no session.
  for (const body of [{ token: 'ps_nope' }, { token: '' }, {}]) {
    const r = await srv.api('POST', '/v1/sessions', { token: null, body });
    assert.ok(r.status === 401 || r.status === 400, `case sign in with ${JSON.stringify(body)}: got ${r.status}`);
    assert.equal(r.headers.get('set-cookie'), null, 'case refused sign in: no cookie');
  }
  // Only JSON signs in: a form of another site cannot (no login CSRF).
  const form = await srv.api('POST', '/v1/sessions', { token: null, raw: JSON.stringify({ token: gaA }),
    headers: { 'Content-Type': 'text/plain' } });
  expectError(form, 400, 'invalid_field', 'Content-Type', 'sign in with a text/plain body');
  assert.equal(form.headers.get('set-cookie'), null, 'case a form sign in: no cookie');
  const cookieless = await srv.api('GET', '/v1/whoami', { token: null, headers: { Cookie: 'planshift_session=ps_forged' } });
  expectError(cookieless, 401, 'unauthorized', undefined, 'a forged cookie');
});

test('a change made with a session needs its X-CSRF-Token: 403 without it, or with another', async () => {
  const s = await signIn(srv, gaA);
  const other = await signIn(srv, gaA);
  const body = { upn: 'csrf@a.example', display_name: 'CSRF' };
  const path = `/v1/tenants/${A.id}/users`;
  expectError(await withSession(srv, s, 'POST', path, { body }), 403, 'forbidden', 'X-CSRF-Token', 'no CSRF token');
  expectError(await withSession(srv, s, 'POST', path, { body, csrf: 'x'.repeat(64) }), 403, 'forbidden', 'X-CSRF-Token', 'a wrong CSRF token');
  expectError(await withSession(srv, s, 'POST', path, { body, csrf: other.csrf_token }), 403, 'forbidden', 'X-CSRF-Token', 'another session\'s CSRF token');
  const users = await srv.api('GET', `${path}?limit=500`);
  assert.ok(!users.json.items.some((u) => u.upn === body.upn), 'case refused: nothing written');
  const ok = await withSession(srv, s, 'POST', path, { body, csrf: s.csrf_token });
  assert.equal(ok.status, 201, ok.text);
  // Reads need none; a bearer token needs none.
  assert.equal((await withSession(srv, s, 'GET', path)).status, 200);
  const bearer = await srv.api('POST', path, { token: gaA, body: { upn: 'bearer@a.example', display_name: 'B' } });
  assert.equal(bearer.status, 201, bearer.text);
  // Signing out is a change too.
  expectError(await withSession(srv, s, 'DELETE', '/v1/sessions/current'), 403, 'forbidden', 'X-CSRF-Token', 'sign out without CSRF');
});

test('signing out ends the session for every tab; the cookie is cleared', async () => {
  const s = await signIn(srv, gaA);
  const out = await withSession(srv, s, 'DELETE', '/v1/sessions/current', { csrf: s.csrf_token });
  assert.equal(out.status, 204, out.text);
  assert.match(out.headers.get('set-cookie') || '', /planshift_session=;.*Max-Age=0/);
  expectError(await withSession(srv, s, 'GET', '/v1/whoami'), 401, 'unauthorized', undefined, 'after sign out');
  expectError(await withSession(srv, s, 'DELETE', '/v1/sessions/current', { csrf: s.csrf_token }), 401, 'unauthorized',
    undefined, 'signing out twice');
  // With a bearer token there is no session to end.
  expectError(await srv.api('DELETE', '/v1/sessions/current', { token: gaA }), 404, 'not_found', undefined, 'bearer sign out');
});

test('a session ends when idle 30 minutes (each use counts), and with the token it came from', async () => {
  await setClock(srv, T0);
  const s = await signIn(srv, gaA);
  const who = () => withSession(srv, s, 'GET', '/v1/whoami');
  await setClock(srv, at(29 * 60));
  assert.equal((await who()).status, 200, 'case used after 29 min');
  await setClock(srv, at(58 * 60));
  assert.equal((await who()).status, 200, 'case used 29 min after its last use');
  await setClock(srv, at(88 * 60));
  expectError(await who(), 401, 'unauthorized', undefined, 'unused for 30 min');
  await setClock(srv, T0);

  const made = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: gaA, body: { role: 'reader', expires_in: '10m' } });
  const short = await signIn(srv, made.json.token);
  assert.equal(short.expires_at, at(600), 'case a session ends no later than its token');
  const t = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: gaA, body: { role: 'reader' } });
  const s2 = await signIn(srv, t.json.token);
  assert.equal((await withSession(srv, s2, 'GET', '/v1/whoami')).status, 200);
  assert.equal((await srv.api('DELETE', `/v1/tokens/${t.json.id}`, { token: gaA })).status, 204);
  expectError(await withSession(srv, s2, 'GET', '/v1/whoami'), 401, 'unauthorized', undefined, 'its token revoked');
  await setClock(srv, at(600));
  expectError(await withSession(srv, short, 'GET', '/v1/whoami'), 401, 'unauthorized', undefined, 'its token expired');
  await setClock(srv, T0);
});

test('serve --session-idle and --session-max set the two ends', async () => {
  const s2 = await startServer({ args: ['--clock', 'manual', '--session-idle', '2h', '--session-max', '1h'] });
  try {
    await setClock(s2, T0);
    const s = await signIn(s2, s2.operator);
    assert.equal(s.expires_at, at(3600));
    await setClock(s2, at(3599));
    assert.equal((await withSession(s2, s, 'GET', '/v1/whoami')).status, 200, 'case before its absolute end (idle 2h)');
    await setClock(s2, at(3600));
    expectError(await withSession(s2, s, 'GET', '/v1/whoami'), 401, 'unauthorized', undefined, 'at its absolute end');
  } finally {
    await s2.stop();
  }
  const bad = cli(['serve', '--db', '/nonexistent', '--session-idle', 'forever']);
  assert.equal(bad.status, 2, 'case a bad duration: usage error');
  assert.match(bad.stderr, /--session-idle/);
});

// ---- every daemon of the store ---------------------------------------------

test('a revocation is seen by a second daemon on the same store at its next request', async () => {
  const store = makeStore();
  const [d1, d2] = await startServers([{ store }, { store }]);
  try {
    const t = await newTenant(d1);
    const made = await d1.api('POST', `/v1/tenants/${t.id}/tokens`, { body: { role: 'global_admin', name: 'shared' } });
    assert.equal(made.status, 201, made.text);
    const tok = made.json.token;
    // Both daemons have served it (nothing they keep may outlive the revocation).
    for (const d of [d1, d2]) assert.equal((await d.api('GET', `/v1/tenants/${t.id}`, { token: tok })).status, 200);
    const s = await signIn(d1, tok);
    assert.equal((await withSession(d2, s, 'GET', '/v1/whoami')).status, 200, 'case a session made on one daemon, used on the other');
    const rv = await d2.api('DELETE', `/v1/tokens/${made.json.id}`);
    assert.equal(rv.status, 204, rv.text);
    for (const [name, d] of [['first', d1], ['second', d2]]) {
      expectError(await d.api('GET', `/v1/tenants/${t.id}`, { token: tok }), 401, 'unauthorized', undefined,
        `revoked token on the ${name} daemon`);
      expectError(await withSession(d, s, 'GET', '/v1/whoami'), 401, 'unauthorized', undefined,
        `its session on the ${name} daemon`);
    }
    // Sign out on one daemon: ended on the other.
    const s2 = await signIn(d1, d1.operator);
    assert.equal((await withSession(d1, s2, 'DELETE', '/v1/sessions/current', { csrf: s2.csrf_token })).status, 204);
    expectError(await withSession(d2, s2, 'GET', '/v1/whoami'), 401, 'unauthorized', undefined, 'signed out on the other daemon');
  } finally {
    await Promise.allSettled([d1.stop(), d2.stop()]);
  }
});

// ---- the page headers ----------------------------------------------------------

test('every answer, page or API, has the safe headers; no inline script or style in the pages', async () => {
  const want = (r, name) => {
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /default-src 'none'/, `case ${name}: CSP default-src`);
    assert.match(csp, /script-src 'self'(;|$)/, `case ${name}: CSP script-src self only`);
    assert.match(csp, /style-src 'self'(;|$)/, `case ${name}: CSP style-src self only`);
    assert.match(csp, /frame-ancestors 'none'/, `case ${name}: CSP frame-ancestors`);
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), `case ${name}: no unsafe-* in ${csp}`);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', `case ${name}: X-Frame-Options`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `case ${name}: X-Content-Type-Options`);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', `case ${name}: Referrer-Policy`);
    assert.equal(r.headers.get('cache-control'), 'no-store', `case ${name}: Cache-Control`);
  };
  want(await srv.api('GET', '/', { token: null }), 'the admin center page');
  want(await srv.api('GET', '/assets/js/app.mjs', { token: null }), 'a script');
  want(await srv.api('GET', '/v1/catalog'), 'an API answer');
  want(await srv.api('GET', '/v1/whoami', { token: null }), 'a 401');
  want(await srv.api('GET', '/healthz', { token: null }), '/healthz');
  want(await srv.api('GET', '/v1/nothing-here'), 'a 404');

  const html = readFileSync(join(ROOT, 'web', 'index.html'), 'utf8');
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'case index.html: every script has a src');
  assert.ok(!/<style/i.test(html), 'case index.html: no <style>');
  assert.ok(!/\sstyle=/i.test(html), 'case index.html: no style attribute');
  assert.ok(!/\son[a-z]+=/i.test(html), 'case index.html: no inline event handler');
});

test('scripts/demo keeps its tokens private, and git ignores them and the demo store', () => {
  const demo = readFileSync(join(ROOT, 'scripts', 'demo'), 'utf8');
  assert.match(demo, /umask 077|chmod (0)?600|install -m (0)?600/, 'case scripts/demo: the tokens file made 0600');
  const ignore = readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const name of ['demo-tokens.txt', 'demo.db']) {
    assert.ok(ignore.some((l) => l === name || l === `/${name}` || l === `${name}*` || l === `/${name}*`),
      `case .gitignore covers ${name}`);
  }
});

// ---- a generated walk --------------------------------------------------------

// A small PRNG with a printed seed, so that a failing walk can be replayed
// (PS_TEST_SEED=N).
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('generated: sessions and tokens live exactly as long as the rules say, at every step of random walks', async (t) => {
  const seed = Number(process.env.PS_TEST_SEED) || 20301;
  t.diagnostic(`seed ${seed} (PS_TEST_SEED=${seed} replays it)`);
  const rnd = mulberry32(seed);
  const pick = (n) => Math.floor(rnd() * n);
  const IDLE = 600; const MAX = 1200; const TOUCH = 60;
  const d = await startServer({ args: ['--clock', 'manual', '--session-idle', '10m', '--session-max', '20m'] });
  try {
    let now = Date.parse('2031-03-01T00:00:00Z') / 1000;
    const iso = (s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    await setClock(d, iso(now));
    const ten = await newTenant(d, { name: 'Walk' });
    let steps = 0; let lives = 0; let ends = { idle: 0, max: 0, token: 0, revoked: 0, signout: 0 };
    for (let walk = 0; walk < 25; walk++) {
      const life = [0, 300, 1200, 5400][pick(4)]; // the token's expiry from now (0: never)
      const body = { role: 'global_admin', name: `walk ${walk}` };
      if (life) body.expires_in = `${life}s`;
      const made = await d.api('POST', `/v1/tenants/${ten.id}/tokens`, { body });
      assert.equal(made.status, 201, made.text);
      const tokenEnd = life ? now + life : Infinity;
      const s = await signIn(d, made.json.token);
      // The model: what the store holds, as the rules write it.
      const m = { seen: now, end: Math.min(now + MAX, tokenEnd), revoked: false, out: false };
      assert.equal(s.expires_at, iso(m.end), `case walk ${walk}: the session's end`);
      const live = () => !m.revoked && !m.out && m.end > now && m.seen > now - IDLE && tokenEnd > now;
      for (let k = 0; k < 80 && live(); k++) {
        const r = pick(40);
        if (r === 0) { // revoke its token
          assert.equal((await d.api('DELETE', `/v1/tokens/${made.json.id}`)).status, 204);
          m.revoked = true;
        } else if (r === 1) { // sign out
          assert.equal((await withSession(d, s, 'DELETE', '/v1/sessions/current', { csrf: s.csrf_token })).status, 204);
          m.out = true;
        } else {
          now += [0, 1, 30, 59, 60, 61, 120, 299, 300, 540, 599, 601][pick(12)];
          await setClock(d, iso(now));
        }
        const wantLive = live();
        const bearer = await d.api('GET', '/v1/whoami', { token: made.json.token });
        const byCookie = await withSession(d, s, 'GET', '/v1/whoami');
        steps++;
        const where = `seed ${seed}, walk ${walk}, step ${k}, clock ${iso(now)}`;
        assert.equal(byCookie.status, wantLive ? 200 : 401, `case session at ${where}: model ${JSON.stringify({ ...m, tokenEnd })}`);
        const tokenLive = !m.revoked && tokenEnd > now;
        assert.equal(bearer.status, tokenLive ? 200 : 401, `case token at ${where}`);
        if (wantLive) {
          lives++;
          if (m.seen <= now - TOUCH || m.seen > now) m.seen = now; // the last use, written at most once a minute
        } else {
          const why = m.out ? 'signout' : m.revoked ? 'revoked' : tokenEnd <= now ? 'token' : m.end <= now ? 'max' : 'idle';
          ends[why]++;
        }
      }
    }
    t.diagnostic(`${steps} steps, ${lives} live answers, ended by ${JSON.stringify(ends)}`);
    assert.ok(Object.values(ends).filter((n) => n > 0).length >= 4, `case the walks reach several ends: ${JSON.stringify(ends)}`);
  } finally {
    await d.stop();
  }
});

test('every change of `planshift routes`, new ones included, needs the X-CSRF-Token with a session: one check for all', async () => {
  const s = await signIn(srv, srv.operator);
  const r = cli(['routes']);
  assert.equal(r.status, 0, r.stderr);
  const changes = r.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2))
    .filter(([m, p]) => m !== 'GET' && m !== 'HEAD' && !(m === 'POST' && p === '/v1/sessions'));
  for (const want of ['PUT /v1/catalog', 'PATCH /v1/service-health/incidents/{i}', 'POST /v1/tenants/{t}/subscriptions/{s}/cancel',
    'POST /v1/tenants/{t}/subscriptions/{s}/switch', 'DELETE /v1/tokens/{tok}', 'DELETE /v1/sessions/current'])
    assert.ok(changes.some(([m, p]) => `${m} ${p}` === want), `case ${want} is a listed change`);
  const fill = (p) => p.replace('{t}', A.id).replace('{s}', 'sub_1').replace('{user}', 'usr_1').replace('{o}', 'op_1')
    .replace('{i}', 'inc_1').replace('{c}', 'cc_1').replace('{tok}', 'tok_1');
  const failures = [];
  for (const [m, p] of changes) {
    const x = await withSession(srv, s, m, fill(p), { body: {} });
    if (x.status !== 403 || x.json?.error?.field !== 'X-CSRF-Token') failures.push(`case ${m} ${p} without X-CSRF-Token: got ${x.status} ${x.text}`);
  }
  assert.deepEqual(failures, [], failures.join('\n'));
  // With it, the same calls get past the check (to the route's own answer).
  for (const [m, p, body] of [['PUT', '/v1/catalog', {}], ['PATCH', '/v1/service-health/incidents/{i}', { eta: 'soon' }],
    ['POST', '/v1/tenants/{t}/subscriptions/{s}/cancel', { when: 'term_end' }],
    ['POST', '/v1/tenants/{t}/subscriptions/{s}/switch', { users: ['usr_1'], target_plan: 'biz-std' }]]) {
    const x = await withSession(srv, s, m, fill(p), { body, csrf: s.csrf_token });
    assert.ok(x.status !== 401 && x.status !== 403, `case ${m} ${p} with X-CSRF-Token: got ${x.status} ${x.text}`);
  }
});
