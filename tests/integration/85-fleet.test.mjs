// 85-fleet: several daemons serving one store, as a fleet runs them
// (doc/POSTGRES.md): the manual clock is every daemon's, one upgrade at a
// time per tenant whichever daemon is asked, one Idempotency-Key one
// operation across daemons, and the upgrade capacity counted fleet-wide.
// Runs on any store the harness makes (SQLite: one file, several
// processes; PostgreSQL: one database).
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, makeStore, removeStore, newTenant, tokenFor, setClock, until } from './harness.mjs';

const N = 3;
const CAPACITY = 4;
let daemons = [];
let store;

before(async () => {
  store = makeStore();
  const args = ['--clock', 'manual', '--upgrade-capacity', String(CAPACITY)];
  daemons = await startServers(Array.from({ length: N }, () => ({ store, args })));
});

after(async () => {
  try { await stopServers(daemons); } finally { if (store) removeStore(store); }
});

const d = (i) => daemons[i % N];

// A tenant with a billing_admin token and one subscription of plan.
async function orgWithSub(name, plan = 'biz-basic') {
  const t = await newTenant(d(0), { name, credit_limit: 100000000 });
  const tok = await tokenFor(d(0), t.id, 'billing_admin');
  const r = await d(1).api('POST', `/v1/tenants/${t.id}/subscriptions`, { token: tok,
    body: { plan, quantity: 5, term: 'monthly', prepaid: false } });
  assert.equal(r.status, 201, `case buy for ${name}: got ${r.status} ${r.text}, want 201`);
  return { t, tok, sub: r.json.id };
}

function upgrade(i, o, target, headers = {}) {
  return d(i).api('POST', `/v1/tenants/${o.t.id}/subscriptions/${o.sub}/upgrade`,
    { token: o.tok, body: { target_plan: target }, headers });
}

const tally = (rs) => rs.reduce((m, r) => ({ ...m, [r.status]: (m[r.status] || 0) + 1 }), {});

test('the manual clock set through one daemon is every daemon\'s', async () => {
  await setClock(d(0), '2026-11-11T00:00:00Z');
  for (let i = 0; i < N; i++) {
    const r = await d(i).api('GET', '/v1/clock');
    assert.equal(r.status, 200, `case clock of daemon ${i}: got ${r.status} ${r.text}`);
    assert.equal(r.json.now, '2026-11-11T00:00:00Z', `case clock of daemon ${i}: got ${r.json.now}`);
  }
});

test('eight concurrent upgrades of one subscription over three daemons: exactly one proceeds', async () => {
  await setClock(d(0), '2026-11-11T00:00:00Z');
  const o = await orgWithSub('Fleet Race Org');
  const rs = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    upgrade(i, o, i % 2 ? 'biz-standard' : 'biz-premium', { 'Idempotency-Key': `fleet-race-${i}` })));
  const wins = rs.filter((r) => r.status === 201 || r.status === 202);
  assert.equal(wins.length, 1, `case winners: got ${JSON.stringify(tally(rs))}, want one 201/202 and seven 409`);
  for (const r of rs.filter((x) => x !== wins[0])) {
    assert.equal(r.status, 409, `case a loser: got ${r.status} ${r.text}, want 409`);
    const c = (r.json.error.reasons || []).map((x) => x.code);
    assert.ok(c.includes('upgrade_in_progress') || c.includes('not_eligible'),
      `case a loser's reasons: got ${JSON.stringify(c)}, want upgrade_in_progress or not_eligible`);
  }
  const ops = await d(2).api('GET', `/v1/tenants/${o.t.id}/operations`, { token: o.tok });
  assert.equal(ops.json.items.length, 1, `case operations after the race: got ${ops.text}`);
});

test('one Idempotency-Key sent to two daemons at once: one operation, the same answer', async () => {
  await setClock(d(0), '2026-11-11T00:00:00Z');
  const o = await orgWithSub('Fleet Twin Org');
  // A twin that finds the other still running is told at once to come back
  // (409 with Retry-After: no thread waits); coming back, it gets its answer.
  const send = async (i) => {
    const r = await upgrade(i, o, 'biz-standard', { 'Idempotency-Key': 'twin' });
    if (r.status !== 409 || r.json?.error?.field !== 'Idempotency-Key') return r;
    assert.ok(Number(r.headers.get('retry-after')) >= 1, `case twin still running: Retry-After ${r.headers.get('retry-after')}`);
    return until(async () => { const x = await upgrade(i, o, 'biz-standard', { 'Idempotency-Key': 'twin' });
      return x.status === 409 && x.json?.error?.field === 'Idempotency-Key' ? null : x; }, 10000, 'a twin coming back');
  };
  const [a, b] = await Promise.all([1, 2].map(send));
  assert.ok(a.status === 201 || a.status === 202, `case first twin: got ${a.status} ${a.text}`);
  assert.equal(b.status, a.status, `case second twin: got ${b.status} ${b.text}, want ${a.status}`);
  assert.equal(b.json.id, a.json.id, 'case both twins name one operation');
});

test(`the capacity is the fleet's: ${CAPACITY} automatic upgrades an hour across daemons, then 429`, async () => {
  // Two hours on: the upgrades above are out of the window.
  await setClock(d(0), '2026-11-11T02:00:00Z');
  const orgs = [];
  for (let i = 0; i < 10; i++) orgs.push(await orgWithSub(`Fleet Capacity Org ${i}`));
  const rs = await Promise.all(orgs.map((o, i) => upgrade(i, o, 'biz-standard', { 'Idempotency-Key': `cap-${i}` })));
  const wins = rs.filter((r) => r.status === 201 || r.status === 202);
  assert.equal(wins.length, CAPACITY, `case winners: got ${JSON.stringify(tally(rs))}, want ${CAPACITY} and 429s`);
  for (const r of rs.filter((x) => !wins.includes(x))) {
    assert.equal(r.status, 429, `case over capacity: got ${r.status} ${r.text}, want 429`);
    assert.ok(Number(r.headers.get('retry-after')) > 0, 'case over capacity: a Retry-After');
  }
});
