// 75-regressions: bugs found while writing 60-billing and 70-upgrades; each test
// is what the spec or doc/BILLING.md asks, and failed against an earlier binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, newTenant } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--clock', 'manual'] }); });
after(async () => { if (srv) await srv.stop(); });
const clock = async (now) => assert.equal((await srv.api('POST', '/v1/clock', { body: { now } })).status, 200);
const roundHalfUp = (a, n, d) => Math.floor((2 * a * n + d) / (2 * d));
const lines = async (T) => (await srv.api('GET', `/v1/tenants/${T.id}/billing`)).json.invoices
  .flatMap((i) => i.lines.map((l) => [l.kind, l.quantity, l.period_start, l.amount]));

test('B1: two seat changes of one subscription in the same second are both billed', async () => {
  await clock('2026-11-01T00:00:00Z');
  const T = await newTenant(srv, {});
  const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
  await clock('2026-11-11T00:00:00Z');
  const a = await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { body: { quantity: 15 } });
  assert.equal(a.status, 200, `case first PATCH: got ${a.status} ${a.text}`);
  const b = await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { body: { quantity: 12 } });
  assert.equal(b.status, 200, `case second PATCH in the same second: got ${b.status} ${b.text}, want 200`);
});

test('B2a: a seat change after an un-invoiced period boundary: the renewal bills the old count, the change is prorated', async () => {
  await clock('2026-11-01T00:00:00Z');
  const T = await newTenant(srv, {});
  const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
  await clock('2026-12-15T00:00:00Z'); // nobody looked at the tenant since 2026-12-01
  assert.equal((await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { body: { quantity: 15 } })).status, 200);
  // renewal 12-01..01-01 for 10 seats = 6000; +5 seats for 17 of 31 days = round_half_up(3000*17/31) = 1645
  assert.deepEqual(await lines(T), [
    ['purchase', 10, '2026-11-01T00:00:00Z', 6000],
    ['renewal', 10, '2026-12-01T00:00:00Z', 6000],
    ['quantity', 5, '2026-12-15T00:00:00Z', roundHalfUp(3000, 17, 31)],
  ]);
});

test('B2b: a cancel after an un-invoiced period boundary still invoices the days used', async () => {
  await clock('2026-11-01T00:00:00Z');
  const T = await newTenant(srv, {});
  const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
  await clock('2026-12-15T00:00:00Z');
  const c = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`);
  assert.equal(c.status, 200);
  assert.equal(c.json.term_end, '2026-12-15T00:00:00Z', `case term_end of a cancel on 12-15: got ${c.json.term_end}`);
  // renewal 6000, then the unused 17 of 31 days credited: -round_half_up(6000*17/31) = -3290
  assert.deepEqual(await lines(T), [
    ['purchase', 10, '2026-11-01T00:00:00Z', 6000],
    ['renewal', 10, '2026-12-01T00:00:00Z', 6000],
    ['cancel', 10, '2026-12-15T00:00:00Z', -roundHalfUp(6000, 17, 31)],
  ]);
});

test('B3: concurrent requests with one Idempotency-Key and one body all get the same operation', async () => {
  await clock('2026-11-11T00:00:00Z');
  for (let k = 0; k < 5; k++) {
    const T = await newTenant(srv, {});
    const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
    const rs = await Promise.all(Array.from({ length: 8 }, () => srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/upgrade`,
      { body: { target_plan: 'biz-standard' }, headers: { 'Idempotency-Key': 'same' } })));
    const got = rs.map((r) => `${r.status} ${r.json?.id || r.json?.error?.code}`);
    assert.equal(new Set(got).size, 1, `case 8 concurrent twins: got ${got.join(', ')}, want one answer`);
  }
});

test('B4: POST /v1/clock refuses a date without a time (not RFC 3339 date-time)', async () => {
  const r = await srv.api('POST', '/v1/clock', { body: { now: '2026-11-27' } });
  assert.equal(r.status, 400, `case now=2026-11-27: got ${r.status} ${r.text}, want 400 invalid_field now`);
});
