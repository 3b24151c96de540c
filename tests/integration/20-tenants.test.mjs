// 20-tenants: tenants, tenant tokens, users, the audit log and the tenant
// list, over HTTP against the real daemon: who may do what (403), tenant
// isolation (404), validation naming the field, pagination.
import assert from 'node:assert/strict';
import { test, before, after, startServer, newTenant, tokenFor, tenantWithTokens, supportToken, expectError } from './harness.mjs';

let srv;
let support; // a support token, made with the CLI
let A, B; // two tenants
let tokA;
let tokB;

before(async () => {
  srv = await startServer();
  support = supportToken(srv);
  ({ tok: tokA, ...A } = await tenantWithTokens(srv, { name: 'Tenant A' }));
  B = await newTenant(srv, { name: 'Tenant B', payment: 'card' });
  tokB = await tokenFor(srv, B.id, 'global_admin');
});

after(async () => {
  if (srv) await srv.stop();
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

// ---- tenants ---------------------------------------------------------------

test('operator creates a tenant: 201 with id ten_N and every field', async () => {
  const t0 = Date.now();
  const body = { name: 'Ada & Co — Zürich', segment: 'education', payment: 'card', credit_limit: 123456,
    currency: 'CHF' };
  const r = await srv.api('POST', '/v1/tenants', { body });
  assert.equal(r.status, 201, `case create: got ${r.status} ${r.text}, want 201`);
  assert.match(r.json.id, /^ten_[1-9]\d*$/, `case create id: got ${r.json.id}, want ten_N`);
  for (const k of Object.keys(body)) {
    assert.equal(r.json[k], body[k], `case create field ${k}: got ${JSON.stringify(r.json[k])}, want ${JSON.stringify(body[k])}`);
  }
  assert.match(r.json.created_at, RFC3339, `case created_at: got ${r.json.created_at}, want RFC 3339 UTC`);
  const at = Date.parse(r.json.created_at);
  assert.ok(at >= Math.floor(t0 / 1000) * 1000 - 1000 && at <= Date.now() + 1000,
    `case created_at: got ${r.json.created_at}, want about now`);
  const g = await srv.api('GET', `/v1/tenants/${r.json.id}`);
  assert.equal(g.status, 200, `case read back: got ${g.status}, want 200`);
  assert.deepEqual(g.json, r.json, `case read back: got ${g.text}, want ${r.text}`);
});

test('tenant defaults: segment commercial, credit_limit 0', async () => {
  const r = await srv.api('POST', '/v1/tenants', { body: { name: 'Defaults', payment: 'invoice', currency: 'EUR' } });
  assert.equal(r.status, 201, `case defaults: got ${r.status} ${r.text}, want 201`);
  assert.equal(r.json.segment, 'commercial', `case default segment: got ${r.json.segment}, want commercial`);
  assert.equal(r.json.credit_limit, 0, `case default credit_limit: got ${r.json.credit_limit}, want 0`);
});

test('tenant validation names the field', async () => {
  const ok = { name: 'Valid', segment: 'commercial', payment: 'invoice', credit_limit: 1000, currency: 'EUR' };
  const cases = [
    ['name missing', { ...ok, name: undefined }, 'name'],
    ['name empty', { ...ok, name: '' }, 'name'],
    ['name too long', { ...ok, name: 'n'.repeat(5000) }, 'name'],
    ['name with a control character', { ...ok, name: 'bad\u0001name' }, 'name'],
    ['name with a newline', { ...ok, name: 'two\nlines' }, 'name'],
    ['segment unknown', { ...ok, segment: 'retail' }, 'segment'],
    ['segment wrong case', { ...ok, segment: 'Commercial' }, 'segment'],
    ['payment missing', { ...ok, payment: undefined }, 'payment'],
    ['payment unknown', { ...ok, payment: 'cash' }, 'payment'],
    ['currency missing', { ...ok, currency: undefined }, 'currency'],
    ['currency lower case', { ...ok, currency: 'eur' }, 'currency'],
    ['currency too long', { ...ok, currency: 'EURO' }, 'currency'],
    ['currency too short', { ...ok, currency: 'EU' }, 'currency'],
    ['credit_limit negative', { ...ok, credit_limit: -1 }, 'credit_limit'],
    ['credit_limit a string', { ...ok, credit_limit: '1000' }, 'credit_limit'],
    ['credit_limit a fraction', { ...ok, credit_limit: 10.5 }, 'credit_limit'],
    ['unknown field', { ...ok, owner: 'me' }, 'owner'],
  ];
  const before = (await srv.api('GET', '/v1/tenants?limit=500')).json.items.length;
  for (const [name, body, field] of cases) {
    const r = await srv.api('POST', '/v1/tenants', { body });
    expectError(r, 400, 'invalid_field', field, name);
  }
  const afterN = (await srv.api('GET', '/v1/tenants?limit=500')).json.items.length;
  assert.equal(afterN, before, `case refused creations: got ${afterN} tenants, want ${before}`);
});

test('only the operator creates tenants: every other role 403', async () => {
  const body = { name: 'Nope', payment: 'card', currency: 'EUR' };
  for (const [name, token] of [['support', support], ['global_admin', tokA.global_admin],
    ['billing_admin', tokA.billing_admin], ['license_admin', tokA.license_admin], ['reader', tokA.reader]]) {
    const r = await srv.api('POST', '/v1/tenants', { token, body });
    expectError(r, 403, 'forbidden', undefined, `create tenant as ${name}`);
  }
});

test('GET a tenant: its own roles, support and operator see it; another tenant gets 404', async () => {
  for (const [name, token] of [['operator', srv.operator], ['support', support],
    ...Object.entries(tokA)]) {
    const r = await srv.api('GET', `/v1/tenants/${A.id}`, { token });
    assert.equal(r.status, 200, `case GET A as ${name}: got ${r.status} ${r.text}, want 200`);
    assert.equal(r.json.id, A.id, `case GET A as ${name}: got id ${r.json.id}, want ${A.id}`);
    assert.equal(r.json.name, 'Tenant A', `case GET A as ${name}: got name ${r.json.name}, want Tenant A`);
  }
  // B's admin on A: as if A did not exist (404, not 403).
  const r = await srv.api('GET', `/v1/tenants/${A.id}`, { token: tokB });
  expectError(r, 404, 'not_found', undefined, 'GET A as B global_admin');
  assert.ok(!r.text.includes('Tenant A'), `case 404 leaks nothing: got ${r.text}`);
  // And the same answer as for a tenant that really does not exist.
  const ghost = await srv.api('GET', '/v1/tenants/ten_987654', { token: tokB });
  expectError(ghost, 404, 'not_found', undefined, 'GET ghost as B global_admin');
  assert.equal(r.json.error.message, ghost.json.error.message,
    `case another tenant vs none: got "${r.json.error.message}" vs "${ghost.json.error.message}", want the same`);
  // Every tenant-scoped read is isolated the same way.
  for (const path of ['/users', '/subscriptions', '/licenses']) {
    const x = await srv.api('GET', `/v1/tenants/${A.id}${path}`, { token: tokB });
    expectError(x, 404, 'not_found', undefined, `GET A${path} as B`);
  }
});

// ---- tokens ----------------------------------------------------------------

test('operator and global_admin make tenant tokens: 201 {token, role, tenant}, and the token works', async () => {
  for (const [maker, token] of [['operator', srv.operator], ['global_admin', tokA.global_admin]]) {
    for (const role of ['global_admin', 'billing_admin', 'license_admin', 'reader']) {
      const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token, body: { role } });
      assert.equal(r.status, 201, `case ${maker} makes ${role}: got ${r.status} ${r.text}, want 201`);
      assert.deepEqual(Object.keys(r.json).sort(),
        ['created', 'expires_at', 'id', 'last_used_at', 'name', 'role', 'tenant', 'token'],
        `case ${maker} makes ${role}: got keys ${Object.keys(r.json)}, want id, token, role, tenant, name, expires_at, created, last_used_at`);
      assert.equal(r.json.role, role, `case ${maker} makes ${role}: got role ${r.json.role}, want ${role}`);
      assert.equal(r.json.tenant, A.id, `case ${maker} makes ${role}: got tenant ${r.json.tenant}, want ${A.id}`);
      assert.match(r.json.token, /^ps_[A-Za-z0-9_-]{20,}$/, `case ${maker} makes ${role}: got token ${r.json.token}`);
      const g = await srv.api('GET', `/v1/tenants/${A.id}`, { token: r.json.token });
      assert.equal(g.status, 200, `case the new ${role} token reads its tenant: got ${g.status} ${g.text}, want 200`);
      const other = await srv.api('GET', `/v1/tenants/${B.id}`, { token: r.json.token });
      assert.equal(other.status, 404, `case the new ${role} token on B: got ${other.status}, want 404`);
    }
  }
  // A new reader token may read but not buy.
  const rd = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: tokA.global_admin, body: { role: 'reader' } });
  const buy = await srv.api('POST', `/v1/tenants/${A.id}/subscriptions`, { token: rd.json.token,
    body: { plan: 'biz-basic', quantity: 1 } });
  expectError(buy, 403, 'forbidden', undefined, 'new reader token buys');
});

test('billing_admin, license_admin, reader and support may not make tokens: 403', async () => {
  for (const [name, token] of [['billing_admin', tokA.billing_admin], ['license_admin', tokA.license_admin],
    ['reader', tokA.reader], ['support', support]]) {
    const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token, body: { role: 'global_admin' } });
    expectError(r, 403, 'forbidden', undefined, `${name} makes a token`);
    assert.equal(r.json.token, undefined, `case ${name}: got a token in a 403, want none`);
  }
});

test('another tenant\'s role gets 404 before any 403, on every kind of route', async () => {
  const bReader = await tokenFor(srv, B.id, 'reader');
  const cases = [
    ['POST', `/v1/tenants/${A.id}/tokens`, { role: 'reader' }],
    ['POST', `/v1/tenants/${A.id}/users`, { upn: 'x@a.example', display_name: 'X' }],
    ['POST', `/v1/tenants/${A.id}/subscriptions`, { plan: 'biz-basic', quantity: 1 }],
    ['GET', `/v1/tenants/${A.id}/audit`, undefined],
    ['GET', `/v1/tenants/${A.id}`, undefined],
  ];
  for (const [method, path, body] of cases) {
    const r = await srv.api(method, path, { token: bReader, body });
    expectError(r, 404, 'not_found', undefined, `B reader ${method} ${path}`);
    // The same call on its own tenant is a 403 (the role may not) or a 200 (it may).
    const own = await srv.api(method, path.replace(A.id, B.id), { token: bReader, body });
    assert.ok([200, 403].includes(own.status), `case B reader ${method} on B: got ${own.status} ${own.text}`);
  }
});

test('a global_admin cannot make tokens for another tenant: 404', async () => {
  const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: tokB, body: { role: 'global_admin' } });
  expectError(r, 404, 'not_found', undefined, 'B admin makes a token for A');
});

test('the tenant token route refuses provider roles and unknown roles: invalid_field role', async () => {
  for (const [maker, token] of [['operator', srv.operator], ['global_admin', tokA.global_admin]]) {
    for (const role of ['operator', 'support', 'emperor', '', 'GLOBAL_ADMIN']) {
      const r = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token, body: { role } });
      expectError(r, 400, 'invalid_field', 'role', `${maker} asks for role ${JSON.stringify(role)}`);
    }
    const missing = await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token, body: {} });
    expectError(missing, 400, 'invalid_field', 'role', `${maker} omits role`);
  }
});

// ---- users -----------------------------------------------------------------

test('license_admin and global_admin create users (201, usr_ id); billing_admin and reader 403', async () => {
  for (const [name, token, upn] of [['license_admin', tokA.license_admin, 'lic@a.example'],
    ['global_admin', tokA.global_admin, 'glob@a.example'], ['operator', srv.operator, 'op@a.example']]) {
    const r = await srv.api('POST', `/v1/tenants/${A.id}/users`, { token, body: { upn, display_name: `Made by ${name}` } });
    assert.equal(r.status, 201, `case ${name} creates a user: got ${r.status} ${r.text}, want 201`);
    assert.match(r.json.id, /^usr_[1-9]\d*$/, `case ${name} user id: got ${r.json.id}, want usr_N`);
    assert.equal(r.json.upn, upn, `case ${name} upn: got ${r.json.upn}, want ${upn}`);
    assert.equal(r.json.display_name, `Made by ${name}`, `case ${name} display_name: got ${r.json.display_name}`);
    assert.equal(r.json.tenant, A.id, `case ${name} tenant: got ${r.json.tenant}, want ${A.id}`);
    const g = await srv.api('GET', `/v1/tenants/${A.id}/users/${r.json.id}`, { token: tokA.reader });
    assert.equal(g.status, 200, `case read user back: got ${g.status}, want 200`);
    assert.deepEqual(g.json, r.json, `case read user back: got ${g.text}, want ${r.text}`);
  }
  for (const [name, token] of [['billing_admin', tokA.billing_admin], ['reader', tokA.reader], ['support', support]]) {
    const r = await srv.api('POST', `/v1/tenants/${A.id}/users`, { token,
      body: { upn: `${name}@a.example`, display_name: 'X' } });
    expectError(r, 403, 'forbidden', undefined, `${name} creates a user`);
  }
  // Another tenant's license admin: 404.
  const r = await srv.api('POST', `/v1/tenants/${A.id}/users`, { token: tokB,
    body: { upn: 'b@a.example', display_name: 'X' } });
  expectError(r, 404, 'not_found', undefined, 'B admin creates a user in A');
  // None of the refused users exists.
  const list = await srv.api('GET', `/v1/tenants/${A.id}/users?limit=500`, { token: tokA.reader });
  const upns = list.json.items.map((u) => u.upn).sort();
  assert.deepEqual(upns, ['glob@a.example', 'lic@a.example', 'op@a.example'],
    `case users after refusals: got ${JSON.stringify(upns)}`);
});

test('a duplicate upn is 409 conflict on upn; the same upn in another tenant is fine', async () => {
  const body = { upn: 'dup@a.example', display_name: 'First' };
  const r1 = await srv.api('POST', `/v1/tenants/${A.id}/users`, { token: tokA.license_admin, body });
  assert.equal(r1.status, 201, `case first: got ${r1.status} ${r1.text}, want 201`);
  const r2 = await srv.api('POST', `/v1/tenants/${A.id}/users`, { token: tokA.license_admin,
    body: { ...body, display_name: 'Second' } });
  expectError(r2, 409, 'conflict', 'upn', 'duplicate upn');
  const g = await srv.api('GET', `/v1/tenants/${A.id}/users/${r1.json.id}`, { token: tokA.reader });
  assert.equal(g.json.display_name, 'First', `case duplicate left the first alone: got ${g.json.display_name}`);
  const r3 = await srv.api('POST', `/v1/tenants/${B.id}/users`, { token: tokB, body });
  assert.equal(r3.status, 201, `case same upn in B: got ${r3.status} ${r3.text}, want 201`);
});

test('a bad upn or display_name is invalid_field naming it', async () => {
  const cases = [
    ['no at sign', { upn: 'nobody.example', display_name: 'X' }, 'upn'],
    ['nothing before @', { upn: '@a.example', display_name: 'X' }, 'upn'],
    ['nothing after @', { upn: 'ada@', display_name: 'X' }, 'upn'],
    ['two @', { upn: 'a@b@c.example', display_name: 'X' }, 'upn'],
    ['a space', { upn: 'ada lovelace@a.example', display_name: 'X' }, 'upn'],
    ['empty', { upn: '', display_name: 'X' }, 'upn'],
    ['missing', { display_name: 'X' }, 'upn'],
    ['a number', { upn: 42, display_name: 'X' }, 'upn'],
    ['too long', { upn: `${'a'.repeat(400)}@a.example`, display_name: 'X' }, 'upn'],
    ['display_name missing', { upn: 'dn@a.example' }, 'display_name'],
    ['display_name empty', { upn: 'dn@a.example', display_name: '' }, 'display_name'],
    ['display_name control char', { upn: 'dn@a.example', display_name: 'a\u0007b' }, 'display_name'],
  ];
  for (const [name, body, field] of cases) {
    const r = await srv.api('POST', `/v1/tenants/${A.id}/users`, { token: tokA.license_admin, body });
    expectError(r, 400, 'invalid_field', field, name);
  }
});

test('users list pages with ?limit=2 and next, every user once, in order', async () => {
  const C = await newTenant(srv, { name: 'Paging Org' });
  const made = [];
  for (let i = 1; i <= 7; i++) {
    const r = await srv.api('POST', `/v1/tenants/${C.id}/users`, {
      body: { upn: `user${i}@c.example`, display_name: `User ${i}` } });
    assert.equal(r.status, 201, `case paging user ${i}: got ${r.status} ${r.text}`);
    made.push(r.json.id);
  }
  const seen = [];
  let next = null;
  let pages = 0;
  do {
    const r = await srv.api('GET', `/v1/tenants/${C.id}/users?limit=2${next ? `&after=${next}` : ''}`);
    assert.equal(r.status, 200, `case page ${pages}: got ${r.status} ${r.text}, want 200`);
    assert.ok(r.json.items.length <= 2, `case page ${pages}: got ${r.json.items.length} items, want at most 2`);
    assert.ok('next' in r.json, `case page ${pages}: got no next key, want next`);
    seen.push(...r.json.items.map((u) => u.id));
    next = r.json.next;
    pages++;
    assert.ok(pages <= 10, 'case paging: more than 10 pages for 7 users');
    if (next) assert.equal(r.json.items.length, 2, `case page ${pages} before the last: got ${r.json.items.length}, want 2`);
  } while (next);
  assert.equal(pages, 4, `case page count: got ${pages}, want 4`);
  assert.deepEqual(seen, made, `case paging: got ${JSON.stringify(seen)}, want ${JSON.stringify(made)}`);
  assert.equal(new Set(seen).size, seen.length, 'case paging: duplicates');
  // Exactly a full last page: next is null, not a cursor to an empty page.
  const r = await srv.api('GET', `/v1/tenants/${C.id}/users?limit=7`);
  assert.equal(r.json.items.length, 7, `case limit=7: got ${r.json.items.length}, want 7`);
  assert.equal(r.json.next, null, `case limit=7: got next ${r.json.next}, want null`);
  // Bad paging parameters name the parameter.
  for (const [q, field] of [['limit=0', 'limit'], ['limit=-1', 'limit'], ['limit=abc', 'limit'],
    ['limit=100000', 'limit'], ['after=garbage', 'after'], ['after=sub_1', 'after']]) {
    const x = await srv.api('GET', `/v1/tenants/${C.id}/users?${q}`);
    expectError(x, 400, 'invalid_field', field, `users?${q}`);
  }
});

test('users list ?q= keeps the users whose name or upn contains it, in any case, paged, % and _ plain', async () => {
  const D = await newTenant(srv, { name: 'Search Org' });
  const people = [['Ada Lovelace', 'ada@d.example'], ['Grace Hopper', 'grace@d.example'], ['Alan Turing', 'alan_t@d.example'],
    ['Edsger Dijkstra', 'ed%@d.example'], ['Adele Goldberg', 'adele@d.example'], ['Barbara Liskov', 'bl@d.example']];
  for (const [name, upn] of people) {
    const r = await srv.api('POST', `/v1/tenants/${D.id}/users`, { body: { upn, display_name: name } });
    assert.equal(r.status, 201, `case search user ${upn}: got ${r.status} ${r.text}`);
  }
  const all = async (q, limit = 2) => {
    const seen = [];
    let next = null;
    do {
      const r = await srv.api('GET', `/v1/tenants/${D.id}/users?limit=${limit}&q=${encodeURIComponent(q)}${next ? `&after=${next}` : ''}`);
      assert.equal(r.status, 200, `case q=${q}: got ${r.status} ${r.text}`);
      seen.push(...r.json.items.map((u) => u.upn));
      next = r.json.next;
    } while (next);
    return seen;
  };
  const cases = [
    ['ad', ['ada@d.example', 'adele@d.example']], // names and upns, in id order
    ['ADA', ['ada@d.example']],
    ['hopper', ['grace@d.example']],
    ['_', ['alan_t@d.example']],
    ['%', ['ed%@d.example']],
    ['d.example', people.map((p) => p[1])],
    ['nobody', []],
  ];
  for (const [q, want] of cases) assert.deepEqual(await all(q), want, `case q=${q}`);
  // Another tenant's users are never found; a reader may search.
  const r = await srv.api('GET', `/v1/tenants/${A.id}/users?q=ada`, { token: tokA.reader });
  assert.equal(r.status, 200, `case reader search: got ${r.status}`);
  assert.ok(r.json.items.every((u) => u.tenant === A.id), 'case reader search: another tenant\'s user');
  const long = await srv.api('GET', `/v1/tenants/${D.id}/users?q=${'x'.repeat(101)}`);
  expectError(long, 400, 'invalid_field', 'q', 'q of 101 bytes');
  const empty = await srv.api('GET', `/v1/tenants/${D.id}/users?q=&limit=500`);
  assert.equal(empty.json.items.length, people.length, 'case q empty: every user');
});

// ---- audit -----------------------------------------------------------------

test('the audit log: global_admin and operator see who did what, from which request', async () => {
  const created = await srv.api('POST', `/v1/tenants/${A.id}/users`, { token: tokA.license_admin,
    body: { upn: 'audited@a.example', display_name: 'Audited' } });
  assert.equal(created.status, 201, `case audited user: got ${created.status} ${created.text}`);
  const reqId = created.headers.get('x-request-id');
  for (const [name, token] of [['global_admin', tokA.global_admin], ['operator', srv.operator]]) {
    const items = [];
    let next = null;
    do {
      const r = await srv.api('GET', `/v1/tenants/${A.id}/audit?limit=50${next ? `&after=${next}` : ''}`, { token });
      assert.equal(r.status, 200, `case audit as ${name}: got ${r.status} ${r.text}, want 200`);
      items.push(...r.json.items);
      next = r.json.next;
    } while (next);
    const e = items.find((x) => x.action === 'user.create' && x.object === created.json.id);
    assert.ok(e, `case audit as ${name}: no user.create entry for ${created.json.id} in ${JSON.stringify(items.map((x) => x.action))}`);
    assert.equal(e.role, 'license_admin', `case audit role: got ${e.role}, want license_admin`);
    assert.equal(e.request_id, reqId, `case audit request_id: got ${e.request_id}, want ${reqId} (the X-Request-Id)`);
    assert.equal(e.tenant, A.id, `case audit tenant: got ${e.tenant}, want ${A.id}`);
    assert.match(e.at, RFC3339, `case audit at: got ${e.at}`);
    // The tenant's creation and its token creations are there too.
    assert.ok(items.some((x) => x.action === 'tenant.create' && x.object === A.id && x.role === 'operator'),
      `case audit as ${name}: no tenant.create by operator`);
    assert.ok(items.some((x) => x.action === 'token.create' && x.role === 'global_admin'),
      `case audit as ${name}: no token.create by global_admin`);
    // Nothing of B's.
    assert.ok(items.every((x) => x.tenant === A.id), `case audit as ${name}: entries of another tenant`);
  }
  for (const [name, token] of [['reader', tokA.reader], ['billing_admin', tokA.billing_admin],
    ['license_admin', tokA.license_admin], ['support', support]]) {
    const r = await srv.api('GET', `/v1/tenants/${A.id}/audit`, { token });
    expectError(r, 403, 'forbidden', undefined, `audit as ${name}`);
  }
  const x = await srv.api('GET', `/v1/tenants/${A.id}/audit`, { token: tokB });
  expectError(x, 404, 'not_found', undefined, 'audit of A as B admin');
});

test('a refused request writes no audit entry', async () => {
  const count = async () => (await srv.api('GET', `/v1/tenants/${A.id}/audit?limit=500`)).json.items.length;
  const n0 = await count();
  await srv.api('POST', `/v1/tenants/${A.id}/users`, { token: tokA.license_admin, body: { upn: 'dup@a.example', display_name: 'Again' } });
  await srv.api('POST', `/v1/tenants/${A.id}/users`, { token: tokA.reader, body: { upn: 'r@a.example', display_name: 'R' } });
  await srv.api('POST', `/v1/tenants/${A.id}/tokens`, { token: tokA.global_admin, body: { role: 'operator' } });
  const n1 = await count();
  assert.equal(n1, n0, `case audit after refusals: got ${n1} entries, want ${n0}`);
});

// ---- tenant list -------------------------------------------------------------

test('the tenant list: operator and support see every tenant; tenant roles 403', async () => {
  for (const [name, token] of [['operator', srv.operator], ['support', support]]) {
    const r = await srv.api('GET', '/v1/tenants?limit=500', { token });
    assert.equal(r.status, 200, `case list as ${name}: got ${r.status} ${r.text}, want 200`);
    const ids = r.json.items.map((t) => t.id);
    for (const want of [A.id, B.id]) {
      assert.ok(ids.includes(want), `case list as ${name}: got ${JSON.stringify(ids)}, want ${want} in it`);
    }
    assert.equal(r.json.next, null, `case list as ${name}: got next ${r.json.next}, want null`);
    const a = r.json.items.find((t) => t.id === A.id);
    assert.equal(a.name, 'Tenant A', `case list item: got ${a.name}, want Tenant A`);
  }
  const p = await srv.api('GET', '/v1/tenants?limit=1');
  assert.equal(p.json.items.length, 1, `case list limit=1: got ${p.json.items.length}, want 1`);
  assert.match(p.json.next || '', /^ten_\d+$/, `case list limit=1: got next ${p.json.next}, want ten_N`);
  for (const [name, token] of Object.entries(tokA)) {
    const r = await srv.api('GET', '/v1/tenants', { token });
    expectError(r, 403, 'forbidden', undefined, `list tenants as ${name}`);
  }
});

test('the daemon stops cleanly (exit 0: no leak or memory error reported)', async () => {
  const code = await srv.stop();
  assert.equal(code, 0, `case exit code: got ${code}, want 0; stderr:\n${srv.stderr.slice(-4000)}`);
});
