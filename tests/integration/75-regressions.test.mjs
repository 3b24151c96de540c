// 75-regressions: bugs found while writing 60-billing and 70-upgrades; each test
// is what the spec or doc/BILLING.md asks, and failed against an earlier binary.
import assert from 'node:assert/strict';
import { test, before, after, startServer, newTenant, setClock } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--clock', 'manual'] }); });
after(async () => { if (srv) await srv.stop(); });
const clock = (now) => setClock(srv, now);
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

// Found in review: an upgrade approved after it became impossible must leave
// nothing behind, and a purchase waiting on its credit check cannot be
// activated around it.
test('R1: an approved upgrade that can no longer be done fails and writes nothing of itself', async () => {
  await clock('2026-11-11T00:00:00Z');
  // Credit limit just above one Business Basic seat: both steps below need a check.
  const T = await newTenant(srv, { credit_limit: 700 });
  const u = (await srv.api('POST', `/v1/tenants/${T.id}/users`, { body: { upn: 'ada@r1.example', display_name: 'Ada' } })).json;
  const a = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 1 } });
  assert.equal(a.status, 201, a.text);
  assert.equal((await srv.api('PUT', `/v1/tenants/${T.id}/subscriptions/${a.json.id}/assignments/${u.id}`)).status, 201);
  const up = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${a.json.id}/upgrade`, { body: { target_plan: 'ent-e3' } });
  assert.equal(up.status, 202, `case upgrade over the limit: got ${up.status} ${up.text}, want 202`);
  assert.equal(up.json.state, 'pending_credit_check');
  // Meanwhile Ada takes an Enterprise seat elsewhere (a purchase that waits on its own check).
  const e = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'ent-e3', quantity: 1 } });
  assert.equal(e.status, 202, e.text);
  assert.equal((await srv.api('PUT', `/v1/tenants/${T.id}/subscriptions/${e.json.id}/assignments/${u.id}`)).status, 201);
  // R2: that purchase cannot be switched on around its credit check.
  const act = await srv.api('PUT', `/v1/tenants/${T.id}/subscriptions/${e.json.id}/status`, { body: { status: 'active' } });
  assert.equal(act.status, 409, `case activate a purchase waiting on its check: got ${act.status} ${act.text}, want 409`);
  const before = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions`)).json.items;
  const invoicesBefore = (await srv.api('GET', `/v1/tenants/${T.id}/billing`)).json.invoices.length;
  const d = await srv.api('POST', `/v1/credit-checks/${up.json.credit_check}/decision`, { body: { approved: true } });
  assert.equal(d.status, 200, `case approve: got ${d.status} ${d.text}, want 200`);
  assert.equal(d.json.status, 'approved');
  const op = (await srv.api('GET', `/v1/tenants/${T.id}/operations/${up.json.id}`)).json;
  assert.equal(op.state, 'failed', `case operation after an impossible approval: got ${op.state}, want failed`);
  assert.equal(op.result.failure, 'no_longer_possible');
  const after = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions`)).json.items;
  assert.deepEqual(after.map((s) => `${s.id} ${s.status} ${s.assigned}`), before.map((s) => `${s.id} ${s.status} ${s.assigned}`),
    'case subscriptions after an impossible approval: no new subscription, none changed');
  const invoicesAfter = (await srv.api('GET', `/v1/tenants/${T.id}/billing`)).json.invoices.length;
  assert.equal(invoicesAfter, invoicesBefore, 'case invoices after an impossible approval: none added');
});
