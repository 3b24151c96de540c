// 50-health: service health over HTTP against the real daemon: the services
// list, incidents opened and resolved by the provider, who may do it, and
// the ?status filter.
import assert from 'node:assert/strict';
import { test, before, after, startServer, tenantWithTokens, supportToken, expectError } from './harness.mjs';

let srv;
let T;
let tok;
let support;
let catalogServices;

before(async () => {
  srv = await startServer();
  ({ tok, ...T } = await tenantWithTokens(srv, { name: 'Health Org' }));
  support = supportToken(srv);
  catalogServices = (await srv.api('GET', '/v1/catalog')).json.services.map((x) => x.id);
});

after(async () => {
  if (srv) await srv.stop();
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

async function health(query = '', token = tok.reader) {
  const r = await srv.api('GET', `/v1/service-health${query}`, { token });
  assert.equal(r.status, 200, `case service-health${query}: got ${r.status} ${r.text}, want 200`);
  return r.json;
}

const statusOf = (h) => Object.fromEntries(h.services.map((s) => [s.id, s.status]));

let incA; // on mail-1
let incB; // on chat

test('every role reads service health: every catalog service, all healthy, no incident', async () => {
  const roles = [['operator', srv.operator], ['support', support], ...Object.entries(tok)];
  for (const [name, token] of roles) {
    const h = await health('', token);
    assert.deepEqual(h.services.map((s) => s.id), catalogServices,
      `case services as ${name}: got ${JSON.stringify(h.services.map((s) => s.id))}, want ${JSON.stringify(catalogServices)}`);
    for (const s of h.services) {
      assert.equal(s.status, 'healthy', `case ${s.id} as ${name}: got ${s.status}, want healthy`);
      assert.equal(typeof s.name, 'string', `case ${s.id} name: got ${s.name}`);
    }
    assert.deepEqual(h.items, [], `case items as ${name}: got ${JSON.stringify(h.items)}, want []`);
    assert.equal(h.next, null, `case next as ${name}: got ${h.next}, want null`);
  }
  const r = await srv.api('GET', '/v1/service-health', { token: null });
  expectError(r, 401, 'unauthorized', undefined, 'service health without a token');
});

test('operator opens an incident: 201 inc_ id, the service shows incident', async () => {
  const t0 = Date.now();
  const r = await srv.api('POST', '/v1/service-health/incidents', {
    body: { service: 'mail-1', status: 'degraded', title: 'Mail delivery delays' } });
  assert.equal(r.status, 201, `case open: got ${r.status} ${r.text}, want 201`);
  incA = r.json;
  assert.match(incA.id, /^inc_[1-9]\d*$/, `case id: got ${incA.id}, want inc_N`);
  assert.equal(incA.service, 'mail-1', `case service: got ${incA.service}`);
  assert.equal(incA.status, 'degraded', `case status: got ${incA.status}`);
  assert.equal(incA.title, 'Mail delivery delays', `case title: got ${incA.title}`);
  assert.match(incA.opened_at, RFC3339, `case opened_at: got ${incA.opened_at}`);
  assert.ok(Math.abs(Date.parse(incA.opened_at) - t0) < 10000, `case opened_at: got ${incA.opened_at}, want about now`);
  assert.equal(incA.resolved_at, null, `case resolved_at: got ${incA.resolved_at}, want null`);

  // Without a status: investigating.
  const b = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'chat', title: 'Meetings drop' } });
  assert.equal(b.status, 201, `case open without status: got ${b.status} ${b.text}`);
  incB = b.json;
  assert.equal(incB.status, 'investigating', `case default status: got ${incB.status}, want investigating`);

  const h = await health();
  const st = statusOf(h);
  for (const id of catalogServices) {
    const want = id === 'mail-1' || id === 'chat' ? 'incident' : 'healthy';
    assert.equal(st[id], want, `case ${id} status: got ${st[id]}, want ${want}`);
  }
  assert.deepEqual(h.items.map((i) => i.id), [incA.id, incB.id], `case items: got ${JSON.stringify(h.items.map((i) => i.id))}`);
  const a = h.items.find((i) => i.id === incA.id);
  assert.deepEqual(a, incA, `case listed incident: got ${JSON.stringify(a)}, want ${JSON.stringify(incA)}`);
});

test('only the operator opens incidents: global_admin and every other role 403', async () => {
  const body = { service: 'files-1', title: 'Not allowed' };
  for (const [name, token] of [['support', support], ...Object.entries(tok)]) {
    const r = await srv.api('POST', '/v1/service-health/incidents', { token, body });
    expectError(r, 403, 'forbidden', undefined, `open as ${name}`);
  }
  const h = await health();
  assert.equal(h.items.length, 2, `case incidents after refusals: got ${h.items.length}, want 2`);
  assert.equal(statusOf(h)['files-1'], 'healthy', 'case files-1 after refusals: want healthy');
});

test('incident validation names the field', async () => {
  const cases = [
    ['unknown service', { service: 'teleport', title: 'x' }, 'service'],
    ['service missing', { title: 'x' }, 'service'],
    ['service a number', { service: 1, title: 'x' }, 'service'],
    ['resolved at creation', { service: 'mail-1', status: 'resolved', title: 'x' }, 'status'],
    ['unknown status', { service: 'mail-1', status: 'on fire', title: 'x' }, 'status'],
    ['title missing', { service: 'mail-1' }, 'title'],
    ['title empty', { service: 'mail-1', title: '' }, 'title'],
    ['title a control char', { service: 'mail-1', title: 'a\u0001b' }, 'title'],
    ['unknown field', { service: 'mail-1', title: 'x', severity: 3 }, 'severity'],
  ];
  for (const [name, body, field] of cases) {
    const r = await srv.api('POST', '/v1/service-health/incidents', { body });
    expectError(r, 400, 'invalid_field', field, name);
  }
  const h = await health();
  assert.equal(h.items.length, 2, `case incidents after invalid ones: got ${h.items.length}, want 2`);
});

test('each open status is accepted at creation', async () => {
  for (const status of ['investigating', 'degraded', 'interrupted', 'restoring']) {
    const r = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'voice', status, title: status } });
    assert.equal(r.status, 201, `case status ${status}: got ${r.status} ${r.text}, want 201`);
    assert.equal(r.json.status, status, `case status ${status}: got ${r.json.status}`);
    const x = await srv.api('POST', `/v1/service-health/incidents/${r.json.id}/resolve`);
    assert.equal(x.status, 200, `case resolve ${status}: got ${x.status} ${x.text}`);
  }
  assert.equal(statusOf(await health())['voice'], 'healthy', 'case voice after resolving all: want healthy');
});

test('resolve: status resolved, resolved_at set; again is 409; only the operator', async () => {
  for (const [name, token] of [['support', support], ['global_admin', tok.global_admin]]) {
    const r = await srv.api('POST', `/v1/service-health/incidents/${incA.id}/resolve`, { token });
    expectError(r, 403, 'forbidden', undefined, `resolve as ${name}`);
  }
  const t0 = Date.now();
  const r = await srv.api('POST', `/v1/service-health/incidents/${incA.id}/resolve`);
  assert.equal(r.status, 200, `case resolve: got ${r.status} ${r.text}, want 200`);
  assert.equal(r.json.id, incA.id, `case resolve id: got ${r.json.id}`);
  assert.equal(r.json.status, 'resolved', `case resolve status: got ${r.json.status}, want resolved`);
  assert.match(r.json.resolved_at || '', RFC3339, `case resolved_at: got ${r.json.resolved_at}`);
  assert.ok(Math.abs(Date.parse(r.json.resolved_at) - t0) < 10000, `case resolved_at: got ${r.json.resolved_at}, want about now`);
  assert.equal(r.json.opened_at, incA.opened_at, `case opened_at kept: got ${r.json.opened_at}, want ${incA.opened_at}`);
  assert.equal(r.json.title, incA.title, `case title kept: got ${r.json.title}`);

  const again = await srv.api('POST', `/v1/service-health/incidents/${incA.id}/resolve`);
  expectError(again, 409, 'conflict', undefined, 'resolve twice');
  const g = (await health()).items.find((i) => i.id === incA.id);
  assert.equal(g.resolved_at, r.json.resolved_at, `case resolved_at unchanged by the 409: got ${g.resolved_at}`);

  const none = await srv.api('POST', '/v1/service-health/incidents/inc_999999/resolve');
  expectError(none, 404, 'not_found', undefined, 'resolve an unknown incident');

  const st = statusOf(await health());
  assert.equal(st['mail-1'], 'healthy', `case mail-1 after resolve: got ${st['mail-1']}, want healthy`);
  assert.equal(st.chat, 'incident', `case chat still open: got ${st.chat}, want incident`);
});

test('?status=open lists only open incidents; all (the default) lists every one', async () => {
  const open = await health('?status=open');
  assert.deepEqual(open.items.map((i) => i.id), [incB.id], `case open: got ${JSON.stringify(open.items.map((i) => i.id))}, want [${incB.id}]`);
  assert.ok(open.items.every((i) => i.status !== 'resolved' && i.resolved_at === null), 'case open: a resolved incident listed');
  const all = await health('?status=all');
  const dflt = await health();
  assert.deepEqual(dflt.items, all.items, 'case default vs status=all differ');
  assert.equal(all.items.length, 6, `case all: got ${all.items.length}, want 6 (2 + 4 voice)`);
  assert.ok(all.items.some((i) => i.id === incA.id && i.status === 'resolved'), 'case all: the resolved one is missing');
  const bad = await srv.api('GET', '/v1/service-health?status=closed', { token: tok.reader });
  expectError(bad, 400, 'invalid_field', 'status', 'status=closed');
  // Paging.
  const p1 = await health('?limit=4');
  assert.equal(p1.items.length, 4, `case limit=4: got ${p1.items.length}`);
  assert.match(p1.next || '', /^inc_\d+$/, `case limit=4 next: got ${p1.next}`);
  const p2 = await health(`?limit=4&after=${p1.next}`);
  assert.equal(p2.items.length, 2, `case page 2: got ${p2.items.length}, want 2`);
  assert.equal(p2.next, null, `case page 2 next: got ${p2.next}, want null`);
  const ids = [...p1.items, ...p2.items].map((i) => i.id);
  assert.deepEqual(ids, all.items.map((i) => i.id), 'case paging: the pages differ from the whole list');
});

test('incidents are audited system-wide, not in a tenant\'s log', async () => {
  const r = await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`);
  assert.equal(r.status, 200, `case audit: got ${r.status}`);
  assert.ok(!r.json.items.some((e) => e.action.startsWith('incident.')),
    `case tenant audit: got incident entries ${JSON.stringify(r.json.items.map((e) => e.action))}`);
});

test('the daemon stops cleanly (exit 0: no leak or memory error reported)', async () => {
  const code = await srv.stop();
  assert.equal(code, 0, `case exit code: got ${code}, want 0; stderr:\n${srv.stderr.slice(-4000)}`);
});
