// 66-catalog-versions: the catalog changes while the fleet runs (RULES
// "Prices stay as sold", "The catalog changes without a restart"): every load
// is a numbered version that every daemon on the store serves from its next
// request; a price change reaches a subscription only at its renewal, and
// every credit gives back what was invoiced; a plan in use never disappears,
// and a retired one is not sold but renews and can be changed away from.
// Amounts are recomputed here with the one rounding rule (halves up).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  test, before, after, startServer, startServers, stopServers, makeStore, removeStore, tenantWithTokens, setClock,
  expectError, tempDir, cli, storeSql, DEMO_CATALOG,
} from './harness.mjs';
import { roundHalfUp, plus, daysCeil, DAY, buy, billing, getSub, tab, upgrade, state, change, seatUsers } from './tenant-calls.mjs';

const BASE = JSON.parse(readFileSync(DEMO_CATALOG, 'utf8'));
const T0 = '2026-11-02T09:00:00Z';

let srv; // --clock manual
before(async () => { srv = await startServer({ args: ['--clock', 'manual'] }); });
after(async () => { await stopServers([srv]); });

// A copy of the demo catalog changed by edit(catalog).
function catalog(edit) {
  const c = structuredClone(BASE);
  edit(c);
  return c;
}
const plan = (c, id) => c.plans.find((p) => p.id === id);

async function load(s, body, want = 201) {
  const r = await s.api('PUT', '/v1/catalog', { body });
  assert.equal(r.status, want, `case PUT /v1/catalog: got ${r.status} ${r.text}, want ${want}`);
  return r;
}
async function current(s, token = s.operator) {
  const r = await s.api('GET', '/v1/catalog', { token });
  assert.equal(r.status, 200, `case GET /v1/catalog: got ${r.status} ${r.text}`);
  return r.json;
}
async function versions(s) {
  const r = await s.api('GET', '/v1/catalog/versions');
  assert.equal(r.status, 200, `case GET /v1/catalog/versions: got ${r.status} ${r.text}`);
  return r.json.items;
}
const lines = (b) => b.invoices.flatMap((i) => i.lines);

// ---- prices as sold -------------------------------------------------------------------

test('a price rise reaches no sold subscription: cancel credits exactly what was paid for the unused days', async () => {
  await setClock(srv, T0);
  await load(srv, BASE); // the demo prices, whatever an earlier test loaded
  const T = await tenantWithTokens(srv, { name: 'Price Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 10 });
  assert.equal(s.price_per_seat_month, 600, `case sold at: got ${s.price_per_seat_month}, want 600`);
  assert.equal(s.currency, 'EUR', `case sold in: got ${s.currency}, want EUR`);
  const paid = 600 * 10;
  const first = lines(await billing(srv, T)).find((l) => l.kind === 'purchase');
  assert.equal(first.amount, paid, `case first invoice: got ${first.amount}, want ${paid} (600 x 10)`);

  // €6 to €12, live: the catalog says 1200, the subscription still 600.
  const v = await load(srv, catalog((c) => { plan(c, 'biz-basic').price_per_seat_month = 1200; }));
  const cat = await current(srv, T.tok.reader);
  assert.equal(cat.version, v.json.version, `case GET /v1/catalog version: got ${cat.version}, want ${v.json.version}`);
  assert.equal(plan(cat, 'biz-basic').price_per_seat_month, 1200, 'case the catalog has the new price');
  assert.equal((await getSub(srv, T, s.id)).price_per_seat_month, 600, 'case the subscription keeps its price');
  // A new purchase is sold at the new price.
  const s2 = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  assert.equal(s2.price_per_seat_month, 1200, `case bought after the rise: got ${s2.price_per_seat_month}, want 1200`);

  // 15 days later, cancel: what was paid for the unused days comes back.
  const now = plus(T0, 15 * DAY);
  await setClock(srv, now);
  const c = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`, { token: T.tok.billing_admin });
  assert.equal(c.status, 200, `case cancel: got ${c.status} ${c.text}`);
  const end = plus(T0, 30 * DAY); // 2026-12-02: the month bought
  const want = roundHalfUp(paid, daysCeil(now, end), daysCeil(T0, end)); // 6000 * 15 / 30
  const credit = lines(await billing(srv, T)).find((l) => l.kind === 'cancel' && l.subscription === s.id);
  assert.equal(credit && credit.amount, -want,
    `case cancel credit: got ${JSON.stringify(credit)}, want ${-want} (what was paid for the unused days, not ${-2 * want} at today's price)`);
});

test('a price rise: fewer seats and an upgrade credit at the price sold; the upgrade charges today\'s target price', async () => {
  await setClock(srv, T0);
  await load(srv, BASE);
  const T = await tenantWithTokens(srv, { name: 'Upgrade Price Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 8 });
  await load(srv, catalog((c) => {
    plan(c, 'biz-basic').price_per_seat_month = 1000;
    plan(c, 'biz-standard').price_per_seat_month = 1500;
  }));
  const now = plus(T0, 10 * DAY);
  await setClock(srv, now);
  const end = plus(T0, 30 * DAY);
  const left = daysCeil(now, end), days = daysCeil(T0, end);

  const p = await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { token: T.tok.billing_admin, body: { quantity: 6 } });
  assert.equal(p.status, 200, `case fewer seats: got ${p.status} ${p.text}`);
  const q = lines(await billing(srv, T)).find((l) => l.kind === 'quantity');
  assert.equal(q.amount, -roundHalfUp(600 * 2, left, days), `case two fewer seats credited at 600: got ${JSON.stringify(q)}`);

  const u = await upgrade(srv, T, s.id, { target_plan: 'biz-standard' }, { headers: { 'Idempotency-Key': 'up-price-1' } });
  assert.equal(u.status, 201, `case upgrade: got ${u.status} ${u.text}`);
  const ls = lines(await billing(srv, T));
  const cr = ls.find((l) => l.kind === 'upgrade_credit');
  const ch = ls.find((l) => l.kind === 'upgrade_charge');
  assert.equal(cr.amount, -roundHalfUp(600 * 6, left, days), `case upgrade credit at 600: got ${JSON.stringify(cr)}`);
  assert.equal(ch.amount, roundHalfUp(1500 * 6, left, days), `case upgrade charge at today's 1500: got ${JSON.stringify(ch)}`);
  const dst = await getSub(srv, T, u.json.new_subscription);
  assert.equal(dst.price_per_seat_month, 1500, `case the new subscription is sold at today's price: got ${dst.price_per_seat_month}`);
});

// A price rise reaches a subscription at its renewal (done by the runner when
// the clock passes the period's end): invoiced at the new price, which the
// subscription then keeps, so that a cancel right after credits at it. The
// renewal is done by a daemon that did not load the catalog, on one store.
test('a price rise reaches a subscription at its renewal, done by another daemon\'s runner; a cancel then credits the new price', async () => {
  const store = makeStore();
  const args = ['--clock', 'manual', '--jobs-interval', '0s'];
  let a, b;
  try {
    [a, b] = await startServers([{ store, args }, { store, args }]);
    await setClock(a, T0);
    const T = await tenantWithTokens(a, { name: 'Renewal Price Org', payment: 'card' });
    const s = await buy(a, T, { plan: 'biz-basic', quantity: 10 });
    assert.equal(s.price_per_seat_month, 600, `case sold at: got ${s.price_per_seat_month}`);
    // b reads the catalog before the rise (whatever it caches).
    assert.equal(plan(await current(b), 'biz-basic').price_per_seat_month, 600, 'case b before the rise');
    await load(a, catalog((c) => { plan(c, 'biz-basic').price_per_seat_month = 1200; }));
    assert.equal((await getSub(a, T, s.id)).price_per_seat_month, 600, 'case still the price sold before the renewal');

    const end = plus(T0, 30 * DAY);
    const now = plus(T0, 31 * DAY);
    await setClock(b, now); // b's runner does the renewal
    const renewal = lines(await billing(a, T)).find((l) => l.kind === 'renewal' && l.subscription === s.id);
    assert.ok(renewal, `case renewed: got ${JSON.stringify(lines(await billing(a, T)))}`);
    assert.equal(renewal.amount, 1200 * 10, `case renewal at the new price: got ${renewal.amount}, want 12000`);
    assert.equal(renewal.period_start, end, `case renewal period: got ${renewal.period_start}`);
    for (const [name, d] of [['a', a], ['b', b]]) {
      assert.equal((await getSub(d, T, s.id)).price_per_seat_month, 1200, `case daemon ${name}: the subscription now keeps the new price`);
    }

    const c = await b.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`, { token: T.tok.billing_admin });
    assert.equal(c.status, 200, `case cancel: got ${c.status} ${c.text}`);
    const next = renewal.period_end; // a month on
    const credit = lines(await billing(a, T)).find((l) => l.kind === 'cancel' && l.subscription === s.id);
    const want = roundHalfUp(12000, daysCeil(now, next), daysCeil(end, next));
    assert.equal(credit && credit.amount, -want, `case cancel credit at the renewed price: got ${JSON.stringify(credit)}, want ${-want}`);
  } finally {
    await stopServers([a, b]);
    removeStore(store);
  }
});

// ---- retired plans ----------------------------------------------------------------------

test('a retired plan: not sold nor offered; its subscription renews at its price and can be upgraded away', async () => {
  await setClock(srv, T0);
  await load(srv, BASE);
  const T = await tenantWithTokens(srv, { name: 'Retired Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 10 });
  const m = await buy(srv, T, { plan: 'mail-p1', quantity: 2 }); // mail-p1 declares biz-basic as a target
  const before = (await tab(srv, T, m.id)).offers.map((o) => o.plan);
  assert.ok(before.includes('biz-basic'), `case biz-basic offered before: got ${JSON.stringify(before)}`);

  await load(srv, catalog((c) => { plan(c, 'biz-basic').retired = true; }));
  assert.equal(plan(await current(srv), 'biz-basic').retired, true, 'case GET /v1/catalog shows retired');
  const r = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { token: T.tok.billing_admin, body: { plan: 'biz-basic', quantity: 1 } });
  expectError(r, 400, 'invalid_field', 'plan', 'buying a retired plan');
  assert.match(r.json.error.message, /retired/, `case the refusal says why: got ${r.json.error.message}`);
  const after = (await tab(srv, T, m.id)).offers.map((o) => o.plan);
  assert.ok(!after.includes('biz-basic'), `case a retired plan is never offered: got ${JSON.stringify(after)}`);
  const all = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${m.id}/upgrades?include_unsupported=true`, { token: T.tok.reader })).json;
  assert.ok(!all.offers.some((o) => o.plan === 'biz-basic'), `case not even with include_unsupported: got ${JSON.stringify(all.offers.map((o) => o.plan))}`);
  const ur = await upgrade(srv, T, m.id, { target_plan: 'biz-basic' }, { headers: { 'Idempotency-Key': 'up-to-retired' } });
  expectError(ur, 400, 'invalid_field', 'target_plan', 'upgrade to a retired plan');
  const sw = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${m.id}/switch`, { token: T.tok.billing_admin,
    body: { target_plan: 'biz-basic', acknowledge_data_loss: true } });
  expectError(sw, 400, 'invalid_field', 'target_plan', 'manual change to a retired plan');
  assert.equal((await getSub(srv, T, m.id)).status, 'active', 'case the refused changes changed nothing');

  // The month ends: it renews, at the price it was sold at (the retired plan's).
  await setClock(srv, plus(T0, 31 * DAY));
  const renewal = lines(await billing(srv, T)).find((l) => l.kind === 'renewal' && l.subscription === s.id);
  assert.ok(renewal, `case the retired plan's subscription renews: got ${JSON.stringify(lines(await billing(srv, T)))}`);
  assert.equal(renewal.amount, 600 * 10, `case renewal at its price: got ${renewal.amount}, want 6000`);
  assert.equal(renewal.period_start, plus(T0, 30 * DAY), `case renewal period: got ${renewal.period_start}`);

  // And it can be upgraded away.
  const v = await tab(srv, T, s.id);
  assert.equal(v.eligible, true, `case Upgrade tab of the retired plan: got ${JSON.stringify(v.reasons.map((x) => x.code))}`);
  const u = await upgrade(srv, T, s.id, { target_plan: 'biz-standard' }, { headers: { 'Idempotency-Key': 'up-retired-1' } });
  assert.equal(u.status, 201, `case upgrade away from a retired plan: got ${u.status} ${u.text}`);
  assert.equal((await getSub(srv, T, s.id)).status, 'replaced', 'case the retired subscription is replaced');
});

// Manual changes by seat and a retired plan: a retired plan is never a target,
// so neither some users (`users`) nor a merge (`into`, whose quantity would
// rise: more seats sold) go to it; away from it both work.
test('by seat and a retired plan: users to it and into it are refused by field, the preview too; away from it both work', async () => {
  await setClock(srv, T0);
  await load(srv, BASE);
  const T = await tenantWithTokens(srv, { name: 'Retired Seats Org', payment: 'card' });
  const live = (await buy(srv, T, { plan: 'biz-basic', quantity: 4 })).id;
  const old = (await buy(srv, T, { plan: 'biz-standard', quantity: 3 })).id;
  const [u0] = await seatUsers(srv, T, live, 2, 'rl');
  const [o0] = await seatUsers(srv, T, old, 2, 'ro');
  await load(srv, catalog((c) => { plan(c, 'biz-standard').retired = true; }));
  const sw = (sub, body) => change(srv, T, sub, body);
  const preview = (sub, body) => srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${sub}/switch/preview`, { token: T.tok.reader, body });
  const before = await state(srv, T);
  for (const [name, body, field] of [['users to a retired plan', { target_plan: 'biz-standard', users: [u0] }, 'target_plan'],
    ['into a retired plan\'s subscription', { into: old }, 'into']]) {
    const r = await sw(live, body);
    expectError(r, 400, 'invalid_field', field, name);
    assert.match(r.json.error.message, /retired/, `case ${name}: the refusal says why: ${r.json.error.message}`);
    const p = await preview(live, body);
    assert.ok(p.status === 400 ? p.json.error.field === field : p.json.allowed === false,
      `case ${name}, the preview: got ${p.status} ${p.text}, want it refused too`);
  }
  assert.deepEqual(await state(srv, T), before, 'case the refusals changed nothing');
  // Two plans of one product: the live one's tab never links a merge into the retired one.
  for (const x of (await tab(srv, T, live)).reasons.flatMap((r) => r.remedies))
    assert.ok(!(x.href || '').includes(`into=${old}`), `case no remedy merges into the retired plan: ${x.href}`);
  const away = (await tab(srv, T, old)).reasons.find((r) => r.code === 'multiple_plans_same_product');
  assert.ok(away && away.remedies.some((x) => (x.href || '').endsWith(`/switch?into=${live}`)),
    `case the retired one's tab links the merge away from it: ${JSON.stringify(away)}`);
  // Away from the retired plan: some users, then the rest merged.
  const r1 = await sw(old, { target_plan: 'biz-premium', users: [o0] });
  assert.equal(r1.status, 201, `case users away from a retired plan: got ${r1.status} ${r1.text}`);
  const r2 = await sw(old, { into: live });
  assert.equal(r2.status, 201, `case into away from a retired plan: got ${r2.status} ${r2.text}`);
  assert.equal((await getSub(srv, T, old)).status, 'replaced', 'case the retired plan\'s subscription merged away');
});

// ---- refusals change nothing -------------------------------------------------------------

test('a load dropping a plan in use is 409 naming it and its count; a bad one is 400 by field; nothing changes', async () => {
  await setClock(srv, T0);
  await load(srv, BASE);
  const T = await tenantWithTokens(srv, { name: 'In Use Org', payment: 'card' });
  await buy(srv, T, { plan: 'mail-p2', quantity: 3 });
  await buy(srv, T, { plan: 'mail-p2', quantity: 1 });
  const vs = await versions(srv);
  const was = await current(srv);
  const st = await state(srv, T);

  const dropped = catalog((c) => {
    c.plans = c.plans.filter((p) => p.id !== 'mail-p2');
    for (const p of c.plans) p.upgrades_to = p.upgrades_to.filter((x) => x !== 'mail-p2');
  });
  const r = await load(srv, dropped, 409);
  expectError(r, 409, 'conflict', 'plans', 'dropping mail-p2');
  assert.match(r.json.error.message, /mail-p2 is used by 2 live subscriptions/, `case names the plan and count: got ${r.json.error.message}`);

  // A plan in use may not lose a data-bearing service (data safety across versions).
  const unsafe = catalog((c) => {
    plan(c, 'mail-p2').services = ['mail-1'];
    plan(c, 'mail-p1').upgrades_to = ['biz-basic'];
  });
  const u = await load(srv, unsafe, 409);
  assert.match(u.json.error.message, /mail-p2 is used by 2 live subscriptions.*mail-2/, `case names the lost service: got ${u.json.error.message}`);

  // A catalog with faults: 400, every fault with its path.
  const bad = catalog((c) => { plan(c, 'biz-basic').price_per_seat_month = -1; delete plan(c, 'biz-premium').currency; });
  const b = await load(srv, bad, 400);
  expectError(b, 400, 'invalid_field', 'catalog', 'a catalog with faults');
  assert.deepEqual(b.json.error.faults.map((f) => f.path).sort(),
    ['plans[biz-basic].price_per_seat_month', 'plans[biz-premium].currency'], `case faults by field: got ${JSON.stringify(b.json.error.faults)}`);

  // The same refusal from the command line, with the same sentence.
  const dir = tempDir();
  writeFileSync(join(dir, 'dropped.json'), JSON.stringify(dropped));
  const x = cli(['catalog', 'load', '--db', srv.db, join(dir, 'dropped.json')]);
  assert.equal(x.status, 1, `case catalog load exit: got ${x.status} ${x.stderr}`);
  assert.match(x.stderr, /mail-p2 is used by 2 live subscriptions/, `case catalog load names the plan: got ${x.stderr}`);

  assert.deepEqual(await versions(srv), vs, 'case no version was added');
  assert.deepEqual(await current(srv), was, 'case the catalog in use is the same');
  assert.deepEqual(await state(srv, T), st, 'case the tenant is the same');
});

test('versions: numbered, timed, by whom; audited; GET /v1/catalog/versions is the operator\'s', async () => {
  const vs0 = await versions(srv);
  await setClock(srv, '2027-03-01T10:00:00Z');
  const r = await load(srv, BASE);
  const vs = await versions(srv);
  assert.equal(vs.length, vs0.length + 1, `case one more version: got ${vs.length}, want ${vs0.length + 1}`);
  assert.deepEqual(vs.map((v) => v.version), vs.map((_, i) => i + 1), `case numbered from 1: got ${JSON.stringify(vs)}`);
  const last = vs[vs.length - 1];
  assert.equal(last.version, r.json.version, 'case the last version is the one loaded');
  assert.equal(last.loaded_at, '2027-03-01T10:00:00Z', `case loaded_at is the store's clock: got ${last.loaded_at}`);
  assert.match(last.loaded_by, /^tok_\d+$/, `case loaded_by the token: got ${last.loaded_by}`);
  assert.equal(vs[0].loaded_by, 'cli', `case the first from init: got ${vs[0].loaded_by}`);
  const audited = storeSql(srv.db, `SELECT count(*) FROM audit WHERE action = 'catalog.load' AND object = 'catalog_v${last.version}'`);
  assert.equal(audited, '1', `case audited once: got ${audited}`);
  const T = await tenantWithTokens(srv, { name: 'Versions Org' });
  for (const [role, token] of Object.entries(T.tok)) {
    expectError(await srv.api('GET', '/v1/catalog/versions', { token }), 403, 'forbidden', undefined, `versions as ${role}`);
    expectError(await srv.api('PUT', '/v1/catalog', { token, body: BASE }), 403, 'forbidden', undefined, `PUT as ${role}`);
  }
});

// ---- every daemon on the store, no restart --------------------------------------------------

test('two daemons on one store both serve a new version right after `planshift catalog load`', async () => {
  const store = makeStore();
  let a, b;
  try {
    [a, b] = await startServers([{ store }, { store }]);
    for (const s of [a, b]) {
      const c = await current(s);
      assert.equal(plan(c, 'biz-basic').price_per_seat_month, 600, 'case before the load');
    }
    const dir = tempDir();
    const file = join(dir, 'next.json');
    writeFileSync(file, JSON.stringify(catalog((c) => { plan(c, 'biz-basic').price_per_seat_month = 777; })));
    const x = cli(['catalog', 'load', '--db', store.db, file]);
    assert.equal(x.status, 0, `case catalog load: got ${x.status} ${x.stderr}`);
    assert.match(x.stderr, /catalog version 2 loaded/, `case catalog load says the version: got ${x.stderr}`);
    for (const [name, s] of [['a', a], ['b', b]]) {
      const c = await current(s);
      assert.equal(c.version, 2, `case daemon ${name} serves version 2 at its next request: got ${c.version}`);
      assert.equal(plan(c, 'biz-basic').price_per_seat_month, 777, `case daemon ${name} serves the new price`);
      // And uses it: a purchase on either daemon is sold at the new price.
      const T = await tenantWithTokens(s, { name: `Daemon ${name} Org`, payment: 'card' });
      const sub = await buy(s, T, { plan: 'biz-basic', quantity: 1 });
      assert.equal(sub.price_per_seat_month, 777, `case daemon ${name} sells at the new price: got ${sub.price_per_seat_month}`);
    }
    // A PUT on one daemon is served by the other at once.
    await load(a, catalog((c) => { plan(c, 'biz-basic').price_per_seat_month = 888; }));
    assert.equal(plan(await current(b), 'biz-basic').price_per_seat_month, 888, 'case b serves a PUT made on a');
  } finally {
    await stopServers([a, b]);
    removeStore(store);
  }
});
