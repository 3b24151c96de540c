// 79-waits: every wait says until when, the same on every read (RULES second
// part, "Every wait says until when"): subscription_not_ready from the
// subscription's creation plus `serve --provisioning-sla`, then call_support
// first; service_incident until the incidents' eta (null while one has
// none), set and changed by PATCH /v1/service-health/incidents/{i}, kept
// in its updates; upgrade_in_progress until the operation's start plus the
// provisioning time.
import assert from 'node:assert/strict';
import { test, before, after, startServer, tenantWithTokens, setClock, expectError } from './harness.mjs';
import { buy, seatUsers, tab, upgrade } from './tenant-calls.mjs';

let srv; // --clock manual --provisioning manual --provisioning-sla 2h
const T0 = '2026-11-11T09:00:00Z';

before(async () => {
  srv = await startServer({ args: ['--clock', 'manual', '--provisioning', 'manual', '--provisioning-sla', '2h'] });
  await setClock(srv, T0);
});

after(async () => {
  if (srv) await srv.stop();
});

const reason = (t, code) => t.reasons.find((r) => r.code === code);
const setStatus = (T, sub, status) => srv.api('PUT', `/v1/tenants/${T.id}/subscriptions/${sub}/status`, { body: { status } });

test('subscription_not_ready waits until its creation + --provisioning-sla, on every read; then call_support first', async () => {
  const T = await tenantWithTokens(srv, { name: 'Not Ready Org' });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 2 })).id;
  const first = reason(await tab(srv, T, s), 'subscription_not_ready');
  assert.ok(first, 'case a provisioning subscription is not ready');
  assert.deepEqual(first.remedies.map((x) => x.action), ['wait', 'call_support'], 'case remedies before the time');
  assert.equal(first.remedies[0].until, '2026-11-11T11:00:00Z', `case until: got ${first.remedies[0].until}, want creation + 2 h`);
  await setClock(srv, '2026-11-11T10:30:00Z');
  const again = reason(await tab(srv, T, s), 'subscription_not_ready');
  assert.equal(again.remedies[0].until, first.remedies[0].until, 'case a later read gives the same time');
  assert.equal(again.message, first.message, 'case the same message');
  await setClock(srv, '2026-11-11T11:00:00Z');
  const late = reason(await tab(srv, T, s), 'subscription_not_ready');
  assert.deepEqual(late.remedies.map((x) => x.action), ['call_support', 'wait'], 'case once the time has passed, call_support first');
  assert.equal(late.remedies[1].until, first.remedies[0].until, 'case the wait still says the same time');
  assert.match(late.message, /expected to be ready by .*Call support/, `case the message says it is late: ${late.message}`);
  const fr = await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${s}/upgrades?lang=fr`, { token: T.tok.reader });
  assert.match(fr.json.reasons.find((x) => x.code === 'subscription_not_ready').message, /devait être prêt/, 'case in French');
  await setClock(srv, T0.replace('11T09', '11T11'));
});

test('service_incident waits until the eta the provider sets (PATCH), null without one; updates are kept', async () => {
  const T = await tenantWithTokens(srv, { name: 'Incident Org' });
  const s = (await buy(srv, T, { plan: 'mail-p1', quantity: 1 })).id;
  assert.equal((await setStatus(T, s, 'active')).status, 200, 'case activate');
  const open = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'mail-1', title: 'Mail slow' } });
  assert.equal(open.status, 201, `case open: got ${open.status} ${open.text}`);
  assert.equal(open.json.eta, null, 'case no eta yet');
  assert.deepEqual(open.json.updates, [], 'case no update yet');
  const inc = open.json.id;
  let r = reason(await tab(srv, T, s), 'service_incident');
  assert.ok('until' in r.remedies[0] && r.remedies[0].until === null, `case until null without an eta: got ${JSON.stringify(r.remedies[0])}`);

  for (const role of ['global_admin', 'billing_admin', 'reader']) {
    expectError(await srv.api('PATCH', `/v1/service-health/incidents/${inc}`, { token: T.tok[role], body: { eta: '2026-11-11T18:00:00Z' } }),
      403, 'forbidden', undefined, `PATCH as ${role}`);
  }
  expectError(await srv.api('PATCH', `/v1/service-health/incidents/${inc}`, { body: { eta: 'tomorrow' } }), 400, 'invalid_field', 'eta', 'a bad eta');
  expectError(await srv.api('PATCH', `/v1/service-health/incidents/${inc}`, { body: { eta: '2026-11-01T00:00:00Z' } }), 400, 'invalid_field', 'eta', 'an eta in the past');
  expectError(await srv.api('PATCH', `/v1/service-health/incidents/${inc}`, { body: {} }), 400, 'invalid_field', undefined, 'an empty update');
  expectError(await srv.api('PATCH', '/v1/service-health/incidents/inc_999999', { body: { message: 'x' } }), 404, 'not_found', undefined, 'no such incident');

  const p = await srv.api('PATCH', `/v1/service-health/incidents/${inc}`,
    { body: { status: 'restoring', eta: '2026-11-11T18:00:00Z', message: 'Fix deployed' } });
  assert.equal(p.status, 200, `case PATCH: got ${p.status} ${p.text}`);
  assert.equal(p.json.eta, '2026-11-11T18:00:00Z', 'case eta set');
  assert.equal(p.json.status, 'restoring', 'case status changed');
  assert.equal(p.json.updates.length, 1, 'case one update');
  assert.deepEqual(p.json.updates[0], { time: '2026-11-11T11:00:00Z', status: 'restoring', message: 'Fix deployed' }, 'case the update');
  r = reason(await tab(srv, T, s), 'service_incident');
  assert.equal(r.remedies[0].until, '2026-11-11T18:00:00Z', 'case the reason waits until the eta');
  assert.match(r.message, /18:00/, `case the message says the time: ${r.message}`);
  await setClock(srv, '2026-11-11T12:00:00Z');
  assert.equal(reason(await tab(srv, T, s), 'service_incident').remedies[0].until, '2026-11-11T18:00:00Z', 'case the same on a later read');

  // Two incidents: until the later eta; one without an eta makes it unknown.
  const two = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'mail-1', title: 'Mail lost', eta: '2026-11-11T20:00:00Z' } });
  assert.equal(two.status, 201, `case second incident: ${two.text}`);
  assert.equal(reason(await tab(srv, T, s), 'service_incident').remedies[0].until, '2026-11-11T20:00:00Z', 'case the later eta');
  const cleared = await srv.api('PATCH', `/v1/service-health/incidents/${inc}`, { body: { eta: null, message: 'No estimate any more' } });
  assert.equal(cleared.status, 200, `case clear eta: ${cleared.text}`);
  assert.equal(cleared.json.eta, null, 'case eta cleared');
  assert.equal(cleared.json.updates.length, 2, 'case two updates');
  assert.equal(reason(await tab(srv, T, s), 'service_incident').remedies[0].until, null, 'case one incident without an eta: null');

  const list = await srv.api('GET', '/v1/service-health?status=open', { token: T.tok.reader });
  const got = list.json.items.find((i) => i.id === inc);
  assert.deepEqual(got.updates.map((u) => u.message), ['Fix deployed', 'No estimate any more'], 'case the list shows the updates');
  for (const id of [inc, two.json.id]) {
    const res = await srv.api('POST', `/v1/service-health/incidents/${id}/resolve`);
    assert.equal(res.status, 200, `case resolve ${id}`);
    assert.equal(res.json.updates.at(-1).status, 'resolved', 'case the resolution is an update');
  }
  expectError(await srv.api('PATCH', `/v1/service-health/incidents/${inc}`, { body: { message: 'late' } }), 409, 'conflict', 'status', 'PATCH a resolved one');
  const audit = await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`, { token: T.tok.global_admin });
  assert.equal(audit.status, 200);
});

test('upgrade_in_progress waits until the operation started + the provisioning time', async () => {
  const T = await tenantWithTokens(srv, { name: 'Busy Org', credit_limit: 10000000 });
  const a = (await buy(srv, T, { plan: 'biz-basic', quantity: 2 })).id;
  const b = (await buy(srv, T, { plan: 'mail-p1', quantity: 1 })).id;
  for (const s of [a, b]) assert.equal((await setStatus(T, s, 'active')).status, 200, 'case activate');
  await seatUsers(srv, T, a, 1, 'busy');
  await setClock(srv, '2026-11-11T13:00:00Z');
  const up = await upgrade(srv, T, a, { target_plan: 'biz-standard' });
  assert.equal(up.status, 202, `case upgrade: ${up.text}`);
  const r = reason(await tab(srv, T, b), 'upgrade_in_progress');
  assert.equal(r.remedies[0].until, '2026-11-11T15:00:00Z', `case until: got ${r.remedies[0].until}`);
  await setClock(srv, '2026-11-11T14:00:00Z');
  assert.equal(reason(await tab(srv, T, b), 'upgrade_in_progress').remedies[0].until, '2026-11-11T15:00:00Z', 'case the same later');
});

test('--provisioning-sla must be a duration', async () => {
  const { spawnSync } = await import('node:child_process');
  const { BIN } = await import('./harness.mjs');
  const r = spawnSync(BIN, ['serve', '--db', '/nonexistent/x.db', '--provisioning-sla', '4 hours'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 2, `case exit: got ${r.status} ${r.stderr}`);
  assert.match(r.stderr, /provisioning-sla/, 'case the message names the flag');
});
