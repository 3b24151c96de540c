// 70-upgrade-execution: the preview and the automatic upgrade (RULES
// "Executing an upgrade"): operations, idempotency, concurrency, the credit
// check an upgrade may need, the capacity limit and provisioning, over HTTP
// against the real daemon. Amounts are recomputed here with the one rounding
// rule (doc/BILLING.md: round_half_up(full x days_left / days_in_period)),
// formula beside each.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, newTenant, tenantWithTokens, setClock, expectError, until } from './harness.mjs';
import { roundHalfUp, plus, daysCeil, codes, expectBlocked, expectFields, subsPath, buy, seatUsers, getSub, list, seats, tab, billing, upgrade, preview, change, state, demoTenant } from './tenant-calls.mjs';

let srv; // --clock manual
let demo; // the demo world (system clock)
let cap; // --clock manual --upgrade-capacity 1
let prov; // --clock manual --provisioning manual

before(async () => {
  [srv, demo, cap, prov] = await startServers([
    { args: ['--clock', 'manual'] },
    { demo: true },
    { args: ['--clock', 'manual', '--upgrade-capacity', '1'] },
    { args: ['--clock', 'manual', '--provisioning', 'manual'] },
  ]);
});

after(async () => {
  await stopServers([srv, demo, cap, prov]);
});

const ORDER = ['license_conflict', 'subscription_not_ready', 'service_incident', 'upgrade_in_progress',
  'credit_check_pending', 'not_eligible', 'multiple_plans_same_product', 'prepaid_plan', 'segment_restricted',
  'service_busy', 'target_not_supported', 'has_addon', 'unpaid_balance', 'other'];

// ---- preview and upgrade ---------------------------------------------------------

let E; // the eligible tenant
let eSub, eUsers;
const E_START = '2026-11-01T00:00:00Z';
const E_NOW = '2026-11-11T00:00:00Z';

test('preview (readers may): allowed, prices, this period\'s credit and charge, the users; it changes nothing', async () => {
  await setClock(srv, E_START);
  E = await tenantWithTokens(srv, { name: 'Upgrade Org', payment: 'invoice', credit_limit: 10000000 });
  eSub = (await buy(srv, E, { plan: 'biz-basic', quantity: 10 })).id;
  eUsers = await seatUsers(srv, E, eSub, 7, 'e');
  await setClock(srv, E_NOW);
  const before = await state(srv, E);
  const days = daysCeil(E_START, '2026-12-01T00:00:00Z'); // 30
  const left = daysCeil(E_NOW, '2026-12-01T00:00:00Z'); // 20
  for (const role of ['reader', 'license_admin', 'billing_admin']) {
    const r = await preview(srv, E, eSub, { target_plan: 'biz-standard' }, E.tok[role]);
    assert.equal(r.status, 200, `case preview as ${role}: got ${r.status} ${r.text}, want 200`);
    const p = r.json;
    expectFields(p, { allowed: true, reasons: [], quantity: 10 }, `preview as ${role}`);
    // 600 x 10 = 6000 before; 1250 x 10 = 12500 after.
    expectFields(p.price, { monthly_before: 6000, monthly_after: 12500 }, 'preview price');
    // credit = round_half_up(6000 x 20 / 30) = 4000; charge = round_half_up(12500 x 20 / 30) = 8333
    expectFields(p.period, { start: E_NOW, end: '2026-12-01T00:00:00Z', credit: roundHalfUp(6000, left, days),
      charge: roundHalfUp(12500, left, days) }, 'preview period');
    assert.deepEqual([p.period.credit, p.period.charge], [4000, 8333]);
    assert.equal(p.users.count, 7, `case preview users.count: got ${p.users.count}, want 7 (assigned)`);
    assert.deepEqual([...p.users.first].sort(), [...eUsers].sort(), `case preview users: got ${JSON.stringify(p.users.first)}`);
    assert.equal(p.credit_check.needed, false, `case preview credit check: got ${JSON.stringify(p.credit_check)}`);
  }
  expectError(await preview(srv, E, eSub, { target_plan: 'biz-platinum' }), 400, 'invalid_field', 'target_plan', 'preview unknown target');
  expectError(await preview(srv, E, eSub, {}), 400, 'invalid_field', 'target_plan', 'preview without target');
  const other = await tenantWithTokens(srv, { name: 'Peeking Org' });
  expectError(await preview(srv, E, eSub, { target_plan: 'biz-standard' }, other.tok.reader), 404, 'not_found', undefined,
    'preview of another tenant\'s subscription');
  const after = await state(srv, E);
  assert.deepEqual(after, before, `case preview changed something: got ${JSON.stringify(after)}, want ${JSON.stringify(before)}`);
});

test('upgrade: 201 completed; the old subscription is replaced, every user moved, the period credited and charged', async () => {
  for (const role of ['reader', 'license_admin']) {
    expectError(await upgrade(srv, E, eSub, { target_plan: 'biz-standard' }, { token: E.tok[role] }), 403, 'forbidden',
      undefined, `upgrade as ${role}`);
  }
  assert.deepEqual(await list(srv, E, '/operations'), [], 'case refused upgrades made an operation');
  const r = await upgrade(srv, E, eSub, { target_plan: 'biz-standard' });
  assert.equal(r.status, 201, `case upgrade: got ${r.status} ${r.text}, want 201`);
  const op = r.json;
  assert.match(op.id, /^op_[1-9]\d*$/, `case operation id: got ${op.id}`);
  expectFields(op, { state: 'completed', source: eSub, target_plan: 'biz-standard', license_errors: [] }, 'operation');
  const newSub = op.new_subscription;
  assert.match(newSub || '', /^sub_[1-9]\d*$/, `case new_subscription: got ${newSub}`);
  assert.notEqual(newSub, eSub, 'case new_subscription is the source');

  const old = await getSub(srv, E, eSub);
  expectFields(old, { status: 'replaced', replaced_by: newSub }, 'old subscription');
  const neu = await getSub(srv, E, newSub);
  // Same term and period: it renews when the old one would have.
  expectFields(neu, { plan: 'biz-standard', status: 'active', quantity: 10, assigned: 7, term: 'monthly', prepaid: false,
    billed_through: '2026-12-01T00:00:00Z' }, 'new subscription');
  assert.deepEqual(await seats(srv, E, newSub), [...eUsers].sort(), 'case every user moved to the new subscription');
  assert.deepEqual(await seats(srv, E, eSub), [], 'case the old subscription holds no seat');

  const b = await billing(srv, E);
  const inv = b.invoices.find((i) => i.lines.some((l) => l.kind === 'upgrade_charge'));
  assert.ok(inv, `case upgrade invoice: got ${JSON.stringify(b.invoices)}`);
  // -round_half_up(6000 x 20 / 30) = -4000 on the old; +round_half_up(12500 x 20 / 30) = 8333 on the new.
  assert.deepEqual(inv.lines.map((l) => [l.kind, l.subscription, l.amount, l.period_start, l.period_end]), [
    ['upgrade_credit', eSub, -4000, E_NOW, '2026-12-01T00:00:00Z'],
    ['upgrade_charge', newSub, 8333, E_NOW, '2026-12-01T00:00:00Z'],
  ], `case upgrade lines: got ${JSON.stringify(inv.lines)}`);
  assert.equal(inv.amount, 8333 - 4000, `case upgrade invoice amount: got ${inv.amount}, want 4333`);

  const ops = await list(srv, E, '/operations');
  assert.deepEqual(ops.map((o) => o.id), [op.id], `case operations: got ${JSON.stringify(ops)}`);
  const one = await srv.api('GET', `/v1/tenants/${E.id}/operations/${op.id}`, { token: E.tok.reader });
  assert.equal(one.status, 200, `case GET operation: got ${one.status} ${one.text}`);
  assert.deepEqual(one.json, op, `case GET operation: got ${one.text}, want ${r.text}`);
  const audit = await srv.api('GET', `/v1/tenants/${E.id}/audit?limit=500`, { token: E.tok.global_admin });
  assert.equal(audit.status, 200, `case audit: got ${audit.status} ${audit.text}`);
  const entry = audit.json.items.find((a) => a.action === 'subscription.upgrade');
  assert.ok(entry, `case audit subscription.upgrade: got ${JSON.stringify(audit.json.items.map((a) => a.action))}`);
  expectFields(entry, { object: op.id, role: 'billing_admin', at: E_NOW }, 'audit entry of the upgrade');
  assert.ok(entry.request_id, `case audit request_id: got ${JSON.stringify(entry)}`);

  // The replaced subscription cannot be upgraded again.
  const again = await upgrade(srv, E, eSub, { target_plan: 'biz-premium' });
  expectBlocked(again, ['not_eligible'], 'upgrade a replaced subscription');
});

test('upgrade quantity: more seats than now is the new count; fewer is invalid_field quantity', async () => {
  const start = '2026-11-11T00:00:00Z';
  await setClock(srv, start);
  const T = await tenantWithTokens(srv, { name: 'Grow Org', credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 5 })).id;
  await seatUsers(srv, T, s, 3, 'g');
  const now = '2026-11-20T00:00:00Z';
  await setClock(srv, now);
  const before = await state(srv, T);
  for (const quantity of [4, 1]) {
    expectError(await upgrade(srv, T, s, { target_plan: 'biz-standard', quantity }), 400, 'invalid_field', 'quantity',
      `upgrade to ${quantity} of 5 seats`);
  }
  expectError(await upgrade(srv, T, s, { target_plan: 'biz-standard', quantity: 0 }), 400, 'invalid_field', 'quantity', 'upgrade quantity 0');
  assert.deepEqual(await state(srv, T), before, 'case refused quantities changed something');
  const r = await upgrade(srv, T, s, { target_plan: 'biz-standard', quantity: 8 });
  assert.equal(r.status, 201, `case upgrade to 8 seats: got ${r.status} ${r.text}`);
  const neu = await getSub(srv, T, r.json.new_subscription);
  expectFields(neu, { quantity: 8, assigned: 3 }, 'new subscription with 8 seats');
  const days = daysCeil(start, '2026-12-11T00:00:00Z'); // 30
  const left = daysCeil(now, '2026-12-11T00:00:00Z'); // 21
  const inv = (await billing(srv, T)).invoices.at(-1);
  // credit -round_half_up(600 x 5 x 21 / 30) = -2100; charge round_half_up(1250 x 8 x 21 / 30) = 7000
  assert.deepEqual(inv.lines.map((l) => [l.kind, l.amount]),
    [['upgrade_credit', -roundHalfUp(3000, left, days)], ['upgrade_charge', roundHalfUp(10000, left, days)]],
    `case lines of an upgrade to 8 seats: got ${JSON.stringify(inv.lines)}`);
});

test('blocked: 409 upgrade_blocked with every reason in RULES order; nothing written', async () => {
  const start = '2026-09-01T00:00:00Z';
  await setClock(srv, start);
  const T = await tenantWithTokens(srv, { name: 'Blocked Org', credit_limit: 10000000 });
  const base = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
  await buy(srv, T, { plan: 'biz-standard', quantity: 1 });
  await buy(srv, T, { plan: 'voice-addon', quantity: 1, addon_of: base });
  // 31 days later the first invoices are past due.
  await setClock(srv, '2026-10-02T00:00:00Z');
  const v = await tab(srv, T, base);
  const want = ['multiple_plans_same_product', 'has_addon', 'unpaid_balance'];
  assert.deepEqual(codes(v.reasons), want, `case tab of the blocked subscription: got ${JSON.stringify(codes(v.reasons))}`);
  const before = await state(srv, T);
  const r = await upgrade(srv, T, base, { target_plan: 'biz-premium' });
  expectBlocked(r, want, 'upgrade a blocked subscription');
  const idx = codes(r.json.error.reasons).map((c) => ORDER.indexOf(c));
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b), `case reasons in RULES order: got ${codes(r.json.error.reasons)}`);
  expectFields(r.json.error.reasons[2].details, { currency: 'EUR', oldest_due: '2026-10-01T00:00:00Z' }, 'unpaid_balance in the 409');
  assert.deepEqual(await state(srv, T), before, 'case a blocked upgrade wrote something');
  // An unknown target is a field error, before anything else.
  expectError(await upgrade(srv, T, base, { target_plan: 'biz-platinum' }), 400, 'invalid_field', 'target_plan', 'unknown target');
  expectError(await upgrade(srv, T, base, {}), 400, 'invalid_field', 'target_plan', 'no target');
});

test('demo: a blocked sub previews allowed false with its reasons, a switch previews allowed; an unsafe target is refused', async () => {
  const fab = await tenantWithTokens(demo, {}, demoTenant(demo, 'Fabrikam Inc'));
  const fsub = (await list(demo, fab, '/subscriptions'))[0];
  const p = await preview(demo, fab, fsub.id, { target_plan: 'biz-premium' });
  assert.equal(p.status, 200, `case Fabrikam preview: got ${p.status} ${p.text}`);
  assert.equal(p.json.allowed, false, `case Fabrikam preview allowed: got ${p.json.allowed}, want false`);
  assert.deepEqual(codes(p.json.reasons), ['license_conflict'], `case Fabrikam preview reasons: got ${JSON.stringify(codes(p.json.reasons))}`);
  const ps = await preview(demo, fab, fsub.id, { target_plan: 'biz-premium', kind: 'switch' });
  assert.equal(ps.status, 200, `case Fabrikam switch preview: got ${ps.status} ${ps.text}`);
  expectFields(ps.json, { kind: 'switch', allowed: true }, 'Fabrikam switch preview');
  expectBlocked(await upgrade(demo, fab, fsub.id, { target_plan: 'biz-premium' }, { token: fab.tok.global_admin }),
    ['license_conflict'], 'Fabrikam upgrade');

  // Fourth Coffee: mail-p2 -> biz-basic would take Mail Plan 2 down to Mail Plan 1.
  const fc = await tenantWithTokens(demo, {}, demoTenant(demo, 'Fourth Coffee'));
  const csub = (await list(demo, fc, '/subscriptions'))[0];
  assert.equal(csub.plan, 'mail-p2', `case Fourth Coffee plan: got ${csub.plan}`);
  const before = await state(demo, fc);
  const r = await upgrade(demo, fc, csub.id, { target_plan: 'biz-basic' });
  expectBlocked(r, ['target_not_supported'], 'Fourth Coffee mail-p2 -> biz-basic');
  for (const role of ['reader', 'license_admin']) {
    expectError(await upgrade(demo, fc, csub.id, { target_plan: 'ent-e3' }, { token: fc.tok[role] }), 403, 'forbidden',
      undefined, `Fourth Coffee upgrade as ${role}`);
  }
  assert.deepEqual(await state(demo, fc), before, 'case refused upgrades of Fourth Coffee wrote something');
});

// ---- idempotency and concurrency ---------------------------------------------------

test('Idempotency-Key: the same request twice is one operation, answered identically; another body is 422', async () => {
  await setClock(srv, '2026-11-11T00:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Idem Org', credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 5 })).id;
  await seatUsers(srv, T, s, 2, 'i');
  const key = 'upgrade-idem-1';
  const a = await upgrade(srv, T, s, { target_plan: 'biz-standard' }, { headers: { 'Idempotency-Key': key } });
  assert.equal(a.status, 201, `case first with key: got ${a.status} ${a.text}`);
  const b = await upgrade(srv, T, s, { target_plan: 'biz-standard' }, { headers: { 'Idempotency-Key': key } });
  assert.equal(b.status, 201, `case replay: got ${b.status} ${b.text}, want 201`);
  assert.equal(b.text, a.text, `case replay body: got ${b.text}, want ${a.text}`);
  assert.equal(b.json.id, a.json.id, 'case replay: another operation');
  const before = await state(srv, T);
  assert.equal(before.ops.length, 1, `case operations after a replay: got ${before.ops.length}, want 1`);
  const m = await upgrade(srv, T, s, { target_plan: 'biz-premium' }, { headers: { 'Idempotency-Key': key } });
  expectError(m, 422, 'idempotency_mismatch', undefined, 'same key, another body');
  const long = await upgrade(srv, T, s, { target_plan: 'biz-premium' }, { headers: { 'Idempotency-Key': 'k'.repeat(256) } });
  expectError(long, 400, 'invalid_field', undefined, 'Idempotency-Key of 256 characters');
  assert.match(long.json.error.field, /idempotency/i, `case long key field: got ${long.json.error.field}`);
  assert.deepEqual(await state(srv, T), before, 'case refused keyed requests changed something');
  // 255 characters is fine (here refused on its merits: the source is replaced).
  const ok = await upgrade(srv, T, s, { target_plan: 'biz-premium' }, { headers: { 'Idempotency-Key': 'k'.repeat(255) } });
  expectBlocked(ok, ['not_eligible'], 'Idempotency-Key of 255 characters on a replaced subscription');
});

test('eight concurrent upgrades of one subscription: exactly one proceeds, seven are upgrade_blocked', async () => {
  await setClock(srv, '2026-11-11T00:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Race Org', credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 5 })).id;
  const users = await seatUsers(srv, T, s, 3, 'r');
  const rs = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    upgrade(srv, T, s, { target_plan: i % 2 ? 'biz-standard' : 'biz-premium' },
      { headers: i < 4 ? { 'Idempotency-Key': `race-${i}` } : {} })));
  const by = {};
  for (const r of rs) by[r.status] = (by[r.status] || 0) + 1;
  const wins = rs.filter((r) => r.status === 201 || r.status === 202);
  assert.equal(wins.length, 1, `case winners: got ${JSON.stringify(by)}, want one 201/202 and seven 409`);
  for (const r of rs.filter((x) => x !== wins[0])) {
    expectError(r, 409, 'upgrade_blocked', undefined, 'a losing concurrent upgrade');
    const c = codes(r.json.error.reasons || []);
    assert.ok(c.includes('upgrade_in_progress') || c.includes('not_eligible'),
      `case a loser's reasons: got ${JSON.stringify(c)}, want upgrade_in_progress or not_eligible`);
  }
  const ops = await list(srv, T, '/operations');
  assert.equal(ops.length, 1, `case operations after the race: got ${JSON.stringify(ops)}`);
  const neu = wins[0].json.new_subscription;
  assert.deepEqual(await seats(srv, T, neu), [...users].sort(), 'case every user on the one new subscription');
  assert.deepEqual(await seats(srv, T, s), [], 'case no user left on the source');
  const live = (await list(srv, T, '/subscriptions')).filter((x) => x.status === 'active');
  assert.deepEqual(live.map((x) => x.id), [neu], `case live subscriptions after the race: got ${JSON.stringify(live)}`);
});

test('B3: concurrent requests with one Idempotency-Key and one body all get the same operation', async () => {
  await setClock(srv, '2026-11-11T00:00:00Z');
  for (let k = 0; k < 5; k++) {
    const T = await newTenant(srv, {});
    const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
    const send = () => srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/upgrade`,
      { body: { target_plan: 'biz-standard' }, headers: { 'Idempotency-Key': 'same' } });
    const rs = await Promise.all(Array.from({ length: 8 }, send));
    // A twin that came while the first was still running is told at once
    // to come back (409, Retry-After: no thread waits for another); coming
    // back, it gets the first one's answer.
    for (const r of rs.filter((r) => r.status === 409 && r.json?.error?.field === 'Idempotency-Key')) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1, `case twin still running: Retry-After ${r.headers.get('retry-after')}`);
    }
    const final = await Promise.all(rs.map((r) => (r.status === 409 && r.json?.error?.field === 'Idempotency-Key'
      ? until(async () => { const a = await send(); return a.status === 409 && a.json?.error?.field === 'Idempotency-Key' ? null : a; },
        10000, 'a twin coming back after Retry-After')
      : r)));
    const got = final.map((r) => `${r.status} ${r.json?.id || r.json?.error?.code}`);
    assert.equal(new Set(got).size, 1, `case 8 concurrent twins: got ${got.join(', ')}, want one answer`);
  }
});

// ---- credit check on an upgrade ------------------------------------------------------

async function creditOrg(name) {
  const T = await tenantWithTokens(srv, { name, payment: 'invoice', credit_limit: 6500 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 10 })).id; // 6000 a month: within 6500
  const users = await seatUsers(srv, T, s, 4, 'c');
  return { T, s, users };
}

test('credit check on upgrade: 202 pending_credit_check; the tab waits; approval completes the upgrade', async () => {
  await setClock(srv, '2026-11-27T10:00:00Z'); // a Friday
  const { T, s, users } = await creditOrg('Credit Upgrade Org');
  const r = await upgrade(srv, T, s, { target_plan: 'biz-standard' });
  assert.equal(r.status, 202, `case upgrade over the credit limit: got ${r.status} ${r.text}, want 202`);
  const op = r.json;
  expectFields(op, { state: 'pending_credit_check', source: s, target_plan: 'biz-standard', new_subscription: null }, 'waiting operation');
  assert.match(op.credit_check || '', /^cc_[1-9]\d*$/, `case operation credit_check: got ${op.credit_check}`);
  const ccs = await list(srv, T, '/credit-checks');
  // The monthly charge after: 6000 - 6000 + 1250 x 10 = 12500 > 6500.
  assert.deepEqual(ccs.map((c) => [c.id, c.status, c.amount, c.operation, c.expected_by]),
    [[op.credit_check, 'pending', 12500, op.id, '2026-12-01T10:00:00Z']], `case credit checks: got ${JSON.stringify(ccs)}`);
  const v = await tab(srv, T, s);
  assert.deepEqual(codes(v.reasons), ['upgrade_in_progress', 'credit_check_pending'], `case tab while waiting: got ${JSON.stringify(codes(v.reasons))}`);
  expectFields(v.reasons[0].details, { id: op.id }, 'upgrade_in_progress details');
  assert.equal((await getSub(srv, T, s)).status, 'active', 'case the source while waiting');

  const d = await srv.api('POST', `/v1/credit-checks/${op.credit_check}/decision`, { body: { approved: true } });
  assert.equal(d.status, 200, `case approve: got ${d.status} ${d.text}`);
  const g = await srv.api('GET', `/v1/tenants/${T.id}/operations/${op.id}`, { token: T.tok.reader });
  expectFields(g.json, { state: 'completed' }, 'operation after approval');
  const neu = g.json.new_subscription;
  assert.match(neu || '', /^sub_\d+$/, `case new subscription after approval: got ${g.text}`);
  expectFields(await getSub(srv, T, neu), { plan: 'biz-standard', status: 'active', quantity: 10, assigned: 4 }, 'new subscription');
  expectFields(await getSub(srv, T, s), { status: 'replaced', replaced_by: neu }, 'source after approval');
  assert.deepEqual(await seats(srv, T, neu), [...users].sort(), 'case users moved after approval');
  const t = await srv.api('GET', `/v1/tenants/${T.id}`, { token: T.tok.reader });
  assert.equal(t.json.credit_limit, 12500, `case credit limit after approval: got ${t.json.credit_limit}, want 12500`);
  assert.deepEqual(codes((await tab(srv, T, neu)).reasons), [], 'case the new subscription\'s tab after approval');
});

test('credit check on upgrade denied: the operation fails, the source is unchanged', async () => {
  await setClock(srv, '2026-11-27T10:00:00Z');
  const { T, s, users } = await creditOrg('Credit Denied Org');
  const r = await upgrade(srv, T, s, { target_plan: 'biz-standard' });
  assert.equal(r.status, 202, `case upgrade over the credit limit: got ${r.status} ${r.text}`);
  const beforeSub = await getSub(srv, T, s);
  const d = await srv.api('POST', `/v1/credit-checks/${r.json.credit_check}/decision`, { body: { approved: false } });
  assert.equal(d.status, 200, `case deny: got ${d.status} ${d.text}`);
  const g = await srv.api('GET', `/v1/tenants/${T.id}/operations/${r.json.id}`, { token: T.tok.reader });
  expectFields(g.json, { state: 'failed', new_subscription: null }, 'operation after denial');
  assert.deepEqual(await getSub(srv, T, s), beforeSub, 'case the source changed after a denial');
  expectFields(beforeSub, { status: 'active', assigned: 4 }, 'source after denial');
  assert.deepEqual(await seats(srv, T, s), [...users].sort(), 'case users still on the source');
  assert.equal((await list(srv, T, '/subscriptions')).length, 1, 'case a denied upgrade left a subscription behind');
  const t = await srv.api('GET', `/v1/tenants/${T.id}`, { token: T.tok.reader });
  assert.equal(t.json.credit_limit, 6500, `case credit limit after denial: got ${t.json.credit_limit}`);
  assert.deepEqual(codes((await tab(srv, T, s)).reasons), [], 'case the source\'s tab after denial: want eligible again');
});

// Found in review: an upgrade approved after it became impossible must leave
// nothing behind, and a purchase waiting on its credit check cannot be
// activated around it.
test('R1: an approved upgrade that can no longer be done fails and writes nothing of itself', async () => {
  await setClock(srv, '2026-11-11T00:00:00Z');
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

// ---- capacity --------------------------------------------------------------------------

test('capacity 1: a second upgrade within the hour is 429 with Retry-After; the tab says service_busy; manual changes are not limited', async () => {
  const t0 = '2026-11-02T09:00:00Z';
  await setClock(cap, t0);
  const mk = async (name) => {
    const T = await tenantWithTokens(cap, { name, credit_limit: 10000000 });
    return { T, s: (await buy(cap, T, { plan: 'biz-basic', quantity: 5 })).id };
  };
  const A = await mk('Cap A');
  const B = await mk('Cap B');
  const C = await mk('Cap C');
  const a = await upgrade(cap, A.T, A.s, { target_plan: 'biz-standard' });
  assert.equal(a.status, 201, `case first upgrade: got ${a.status} ${a.text}`);
  const t1 = plus(t0, 10 * 60000);
  await setClock(cap, t1);
  const before = await state(cap, B.T);
  const b = await upgrade(cap, B.T, B.s, { target_plan: 'biz-standard' });
  expectError(b, 429, 'rate_limited', undefined, 'second upgrade within the hour');
  const retry = Number(b.headers.get('retry-after'));
  // The slot frees when the first upgrade (09:00) leaves the hour: 10:00 - 09:10 = 3000 s.
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 3600, `case Retry-After: got ${b.headers.get('retry-after')}, want 1..3600`);
  assert.equal(retry, 3000, `case Retry-After: got ${retry}, want 3000`);
  assert.deepEqual(await state(cap, B.T), before, 'case a refused upgrade at capacity wrote something');
  const v = await tab(cap, B.T, B.s);
  assert.deepEqual(codes(v.reasons), ['service_busy'], `case tab at capacity: got ${JSON.stringify(codes(v.reasons))}`);
  expectFields(v.reasons[0].details, { retry_after_s: 3000 }, 'service_busy details');
  assert.deepEqual(v.reasons[0].remedies, [{ action: 'retry_later', until: '2026-11-02T10:00:00Z' }],
    `case service_busy remedies: got ${JSON.stringify(v.reasons[0].remedies)}`);
  // Manual changes neither count nor are limited.
  const c = await change(cap, C.T, C.s, { target_plan: 'biz-standard' });
  assert.equal(c.status, 201, `case switch at capacity: got ${c.status} ${c.text}, want 201`);
  await setClock(cap, plus(t0, 61 * 60000));
  const b2 = await upgrade(cap, B.T, B.s, { target_plan: 'biz-standard' });
  assert.equal(b2.status, 201, `case upgrade 61 minutes later: got ${b2.status} ${b2.text}, want 201`);
});

// ---- provisioning ----------------------------------------------------------------------

test('--provisioning manual: the upgrade waits in provisioning (202), other subscriptions see upgrade_in_progress until it is active', async () => {
  await setClock(prov, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(prov, { name: 'Provisioning Org', credit_limit: 10000000 });
  const biz = await buy(prov, T, { plan: 'biz-basic', quantity: 5 });
  const mail = await buy(prov, T, { plan: 'mail-p1', quantity: 2 });
  for (const x of [biz, mail]) {
    assert.equal(x.status, 'provisioning', `case purchase under --provisioning manual: got ${x.status}`);
    const r = await prov.api('PUT', `${subsPath(T)}/${x.id}/status`, { body: { status: 'active' } });
    assert.equal(r.status, 200, `case provision ${x.id}: got ${r.status} ${r.text}`);
  }
  const users = await seatUsers(prov, T, biz.id, 2, 'p');
  const r = await upgrade(prov, T, biz.id, { target_plan: 'biz-standard' });
  assert.equal(r.status, 202, `case upgrade under --provisioning manual: got ${r.status} ${r.text}, want 202`);
  const op = r.json;
  expectFields(op, { state: 'provisioning', source: biz.id }, 'provisioning operation');
  const neu = op.new_subscription;
  expectFields(await getSub(prov, T, neu), { status: 'provisioning', plan: 'biz-standard' }, 'new subscription while provisioning');
  assert.deepEqual(await seats(prov, T, neu), [...users].sort(), 'case users hold the new subscription while it provisions');
  let v = await tab(prov, T, mail.id);
  assert.deepEqual(codes(v.reasons), ['upgrade_in_progress'], `case other subscription while provisioning: got ${JSON.stringify(codes(v.reasons))}`);
  expectFields(v.reasons[0].details, { id: op.id }, 'upgrade_in_progress details');
  assert.deepEqual(v.reasons[0].remedies.map((x) => [x.action, x.href]), [['wait', `/v1/tenants/${T.id}/operations/${op.id}`]],
    `case upgrade_in_progress remedies: got ${JSON.stringify(v.reasons[0].remedies)}`);
  const p = await prov.api('PUT', `${subsPath(T)}/${neu}/status`, { body: { status: 'active' } });
  assert.equal(p.status, 200, `case provision the new subscription: got ${p.status} ${p.text}`);
  const g = await prov.api('GET', `/v1/tenants/${T.id}/operations/${op.id}`, { token: T.tok.reader });
  expectFields(g.json, { state: 'completed', new_subscription: neu }, 'operation once provisioned');
  v = await tab(prov, T, mail.id);
  assert.deepEqual(codes(v.reasons), [], `case other subscription once provisioned: got ${JSON.stringify(codes(v.reasons))}`);
});

test('the daemons stop cleanly (exit 0: no leak or memory error reported)', async () => {
  for (const s of [srv, demo, cap, prov]) {
    const code = await s.stop();
    assert.equal(code, 0, `case exit code: got ${code}, want 0; stderr:\n${s.stderr.slice(-4000)}`);
  }
});
