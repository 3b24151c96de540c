// 60-billing: the manual clock, invoices, renewals, payments, proration and
// credit checks, over HTTP against the real daemon run with --clock manual.
// Every amount is recomputed here from the catalog's prices with the one
// rounding rule (core/ps_money.h: amount * num / den, halves rounded up),
// and written as a formula next to the assertion.
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test, before, after, startServers, stopServers, newTenant, tenantWithTokens, setClock, expectError, tempDir, cli } from './harness.mjs';
import { DAY, roundHalfUp, plus, daysCeil, codes, expectFields, buy, billing, tab, getSub } from './tenant-calls.mjs';

let srv; // --clock manual
let plain; // the system clock: no /v1/clock

before(async () => {
  [srv, plain] = await startServers([{ args: ['--clock', 'manual'] }, {}]);
});

after(async () => {
  await stopServers([srv, plain]);
});

// ---- helpers (the rest in tenant-calls.mjs) ----------------------------------

const PRICE = { 'biz-basic': 600, 'biz-standard': 1250, 'mail-p1': 400 }; // per seat per month, EUR cents

// ---- the manual clock ----------------------------------------------------------

test('clock: operator reads and sets it; tenant roles 403; a bad time is invalid_field now; no manual clock is 404', async () => {
  const g = await srv.api('GET', '/v1/clock');
  assert.equal(g.status, 200, `case GET clock: got ${g.status} ${g.text}, want 200`);
  assert.equal(g.json.mode, 'manual', `case GET clock mode: got ${g.json.mode}, want manual`);
  assert.match(g.json.now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `case GET clock now: got ${g.json.now}, want RFC 3339 UTC`);

  await setClock(srv, '2026-11-02T09:00:00Z');
  const g2 = await srv.api('GET', '/v1/clock');
  assert.deepEqual(g2.json, { now: '2026-11-02T09:00:00Z', mode: 'manual' }, `case GET after POST: got ${g2.text}`);

  const T = await tenantWithTokens(srv, { name: 'Clock Org' });
  for (const [role, token] of Object.entries(T.tok)) {
    expectError(await srv.api('GET', '/v1/clock', { token }), 403, 'forbidden', undefined, `GET clock as ${role}`);
    expectError(await srv.api('POST', '/v1/clock', { token, body: { now: '2030-01-01T00:00:00Z' } }), 403, 'forbidden',
      undefined, `POST clock as ${role}`);
  }
  for (const now of ['yesterday', '', 12345, null, '2026-13-01T00:00:00Z', '2026-11-31T00:00:00Z', '2026-11-02T09:00:00']) {
    const r = await srv.api('POST', '/v1/clock', { body: { now } });
    expectError(r, 400, 'invalid_field', 'now', `POST clock now=${JSON.stringify(now)}`);
  }
  expectError(await srv.api('POST', '/v1/clock', { body: {} }), 400, 'invalid_field', 'now', 'POST clock without now');
  // Nothing of the refusals stuck.
  const g3 = await srv.api('GET', '/v1/clock');
  assert.equal(g3.json.now, '2026-11-02T09:00:00Z', `case clock after refusals: got ${g3.json.now}, want 2026-11-02T09:00:00Z`);
  // The time set is the time of the requests: a tenant created now carries it.
  assert.equal(T.created_at, '2026-11-02T09:00:00Z', `case tenant created_at under the manual clock: got ${T.created_at}`);

  // Without --clock manual there is no clock at all.
  for (const [m, body] of [['GET', undefined], ['POST', { now: '2026-11-02T09:00:00Z' }]]) {
    const r = await plain.api(m, '/v1/clock', { body });
    expectError(r, 404, 'not_found', undefined, `${m} /v1/clock on a --clock system daemon`);
  }
});

test('B4: POST /v1/clock refuses a date without a time (not RFC 3339 date-time)', async () => {
  const r = await srv.api('POST', '/v1/clock', { body: { now: '2026-11-27' } });
  assert.equal(r.status, 400, `case now=2026-11-27: got ${r.status} ${r.text}, want 400 invalid_field now`);
});

// ---- invoices, renewals, past due, payments -------------------------------------

let A; // an invoice tenant with a big credit limit
let aSub;

test('a purchase by an invoice tenant: one open invoice of price x seats, due in 30 days; the Upgrade tab is eligible', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z'); // a Monday
  A = await tenantWithTokens(srv, { name: 'Ledger Org', payment: 'invoice', credit_limit: 10000000 });
  const s = await buy(srv, A, { plan: 'biz-basic', quantity: 10 });
  aSub = s.id;
  assert.equal(s.status, 'active', `case purchase status: got ${s.status}, want active`);
  assert.equal(s.term_start, '2026-11-02T09:00:00Z', `case term_start: got ${s.term_start}`);
  assert.equal(s.term_end, '2026-12-02T09:00:00Z', `case term_end (one month): got ${s.term_end}`);
  const b = await billing(srv, A);
  // 600 per seat per month x 10 seats = 6000.
  expectFields(b, { currency: 'EUR', balance: 6000, past_due: 0 }, 'billing after purchase');
  assert.equal(b.invoices.length, 1, `case invoices after purchase: got ${b.invoices.length} (${JSON.stringify(b.invoices)}), want 1`);
  const inv = b.invoices[0];
  assert.match(inv.id, /^inv_[1-9]\d*$/, `case invoice id: got ${inv.id}, want inv_N`);
  expectFields(inv, { amount: 6000, paid: 0, status: 'open', due: '2026-12-02T09:00:00Z', credit_note: false },
    'first invoice (due 30 days after 2026-11-02T09:00:00Z)');
  assert.equal(inv.lines.length, 1, `case first invoice lines: got ${JSON.stringify(inv.lines)}, want one`);
  expectFields(inv.lines[0], { kind: 'purchase', subscription: aSub, plan: 'biz-basic', quantity: 10, amount: 6000,
    period_start: '2026-11-02T09:00:00Z', period_end: '2026-12-02T09:00:00Z' }, 'first invoice line');
  const v = await tab(srv, A, aSub);
  assert.deepEqual(codes(v.reasons), [], `case Upgrade tab with an invoice not yet due: got ${JSON.stringify(codes(v.reasons))}, want []`);
  assert.equal(v.eligible, true, `case Upgrade tab eligible: got ${v.eligible}, want true`);
});

test('31 days later: the renewal is invoiced exactly once, and the first invoice past due blocks the Upgrade tab', async () => {
  await setClock(srv, '2026-12-03T09:00:00Z');
  // The first look after the clock moved comes from several requests at once:
  // still one renewal.
  const first = await Promise.all([
    srv.api('GET', `/v1/tenants/${A.id}/billing`, { token: A.tok.reader }),
    srv.api('GET', `/v1/tenants/${A.id}/subscriptions/${aSub}/upgrades`, { token: A.tok.reader }),
    srv.api('GET', `/v1/tenants/${A.id}/subscriptions/${aSub}/upgrades`, { token: A.tok.global_admin }),
    srv.api('GET', `/v1/tenants/${A.id}/billing`, { token: A.tok.billing_admin }),
    srv.api('GET', `/v1/tenants/${A.id}/subscriptions/${aSub}/upgrades`, { token: A.tok.reader }),
  ]);
  for (const r of first) assert.equal(r.status, 200, `case concurrent first look: got ${r.status} ${r.text}, want 200`);
  for (let i = 0; i < 3; i++) await tab(srv, A, aSub);
  await billing(srv, A);
  const b = await billing(srv, A);
  assert.equal(b.invoices.length, 2, `case invoices after one renewal: got ${b.invoices.length} ${JSON.stringify(b.invoices.map((x) => x.lines))}, want 2`);
  const [inv1, inv2] = b.invoices;
  expectFields(inv1, { amount: 6000, paid: 0, status: 'open', due: '2026-12-02T09:00:00Z', past_due: true }, 'first invoice, now past due');
  // The renewal covers the period that started when the first ended, and is
  // issued that day (due 30 days later).
  expectFields(inv2, { amount: 6000, paid: 0, status: 'open', issued: '2026-12-02T09:00:00Z', due: '2027-01-01T09:00:00Z',
    past_due: false }, 'renewal invoice');
  assert.equal(inv2.lines.length, 1, `case renewal lines: got ${JSON.stringify(inv2.lines)}`);
  expectFields(inv2.lines[0], { kind: 'renewal', subscription: aSub, quantity: 10, amount: 6000,
    period_start: '2026-12-02T09:00:00Z', period_end: '2027-01-02T09:00:00Z' }, 'renewal line');
  // balance 6000 + 6000; past due only the first.
  expectFields(b, { balance: 12000, past_due: 6000, oldest_due: '2026-12-02T09:00:00Z' }, 'billing with a past-due invoice');

  const v = await tab(srv, A, aSub);
  assert.deepEqual(codes(v.reasons), ['unpaid_balance'], `case Upgrade tab past due: got ${JSON.stringify(codes(v.reasons))}, want ["unpaid_balance"]`);
  assert.equal(v.eligible, false, `case Upgrade tab past due eligible: got ${v.eligible}, want false`);
  const r = v.reasons[0];
  assert.deepEqual(r.details, { amount_due: 6000, currency: 'EUR', oldest_due: '2026-12-02T09:00:00Z' },
    `case unpaid_balance details: got ${JSON.stringify(r.details)}`);
  assert.deepEqual(r.remedies, [{ action: 'pay_now', href: `/v1/tenants/${A.id}/payments` }],
    `case unpaid_balance remedies: got ${JSON.stringify(r.remedies)}`);
  for (const o of v.offers) assert.equal(o.eligible, false, `case offer ${o.plan} while past due: got eligible ${o.eligible}, want false`);
  // The renewal is recorded on the subscription too.
  assert.equal((await getSub(srv, A, aSub)).billed_through, '2027-01-02T09:00:00Z', 'case billed_through after the renewal');
});

test('paying the past-due amount settles the oldest invoice and restores the Upgrade tab; an overpayment is credit', async () => {
  const p = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok.billing_admin, body: { amount: 6000 } });
  assert.equal(p.status, 201, `case pay 6000: got ${p.status} ${p.text}, want 201`);
  assert.equal(p.json.payment?.amount, 6000, `case payment amount: got ${JSON.stringify(p.json.payment)}`);
  assert.equal(p.json.payment?.received_at, '2026-12-03T09:00:00Z', `case payment received_at: got ${p.json.payment?.received_at}`);
  let b = await billing(srv, A);
  expectFields(b.invoices[0], { status: 'paid', paid: 6000, past_due: false }, 'oldest invoice after paying 6000');
  expectFields(b.invoices[1], { status: 'open', paid: 0 }, 'renewal after paying 6000 (oldest first)');
  // balance = 12000 invoiced - 6000 paid.
  expectFields(b, { balance: 6000, past_due: 0, credit: 0 }, 'billing after paying the past-due amount');
  assert.equal(b.payments.length, 1, `case payments listed: got ${JSON.stringify(b.payments)}`);
  const v = await tab(srv, A, aSub);
  assert.deepEqual(codes(v.reasons), [], `case paying restores the Upgrade tab: got ${JSON.stringify(codes(v.reasons))}, want []`);
  assert.equal(v.eligible, true, 'case Upgrade tab eligible after paying');

  // Overpay: 10000 settles the 6000 renewal, 4000 is left as credit.
  const p2 = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok.global_admin, body: { amount: 10000 } });
  assert.equal(p2.status, 201, `case overpay: got ${p2.status} ${p2.text}, want 201`);
  b = await billing(srv, A);
  // balance = 12000 invoiced - 16000 paid = -4000.
  expectFields(b, { balance: -4000, credit: 4000, past_due: 0 }, 'billing after an overpayment');
  for (const inv of b.invoices) expectFields(inv, { status: 'paid' }, `invoice ${inv.id} after overpayment`);
  // The credit pays the next invoice: mail-p1 x 5 = 2000, settled from the 4000.
  await buy(srv, A, { plan: 'mail-p1', quantity: 5 });
  b = await billing(srv, A);
  expectFields(b.invoices.at(-1), { amount: 2000, paid: 2000, status: 'paid' }, 'invoice paid from credit');
  expectFields(b, { balance: -2000, credit: 2000 }, 'credit left after the new invoice');
});

test('payments: amount must be a positive integer; readers and license admins may not pay', async () => {
  const before = await billing(srv, A);
  for (const amount of [0, -5, '10', 1.5, null, true]) {
    const r = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok.billing_admin, body: { amount } });
    expectError(r, 400, 'invalid_field', 'amount', `payment amount ${JSON.stringify(amount)}`);
  }
  expectError(await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok.billing_admin, body: {} }), 400,
    'invalid_field', 'amount', 'payment without amount');
  for (const role of ['reader', 'license_admin']) {
    const r = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok[role], body: { amount: 100 } });
    expectError(r, 403, 'forbidden', undefined, `payment as ${role}`);
  }
  const other = await tenantWithTokens(srv, { name: 'Other Payer' });
  const x = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: other.tok.billing_admin, body: { amount: 100 } });
  expectError(x, 404, 'not_found', undefined, 'payment into another tenant');
  const after = await billing(srv, A);
  assert.deepEqual(after, before, `case refused payments wrote something: got ${JSON.stringify(after)}, want ${JSON.stringify(before)}`);
});

test('payments with an Idempotency-Key: sent twice, paid once; the same key for another amount is 422', async () => {
  const before = await billing(srv, A);
  const h = { 'Idempotency-Key': 'pay-once-1' };
  const a = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok.billing_admin, body: { amount: 700 }, headers: h });
  assert.equal(a.status, 201, `case keyed payment: got ${a.status} ${a.text}`);
  const b = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok.billing_admin, body: { amount: 700 }, headers: h });
  assert.equal(b.status, 201, `case replayed payment: got ${b.status} ${b.text}, want 201`);
  assert.equal(b.text, a.text, `case replayed payment body: got ${b.text}, want ${a.text}`);
  const m = await srv.api('POST', `/v1/tenants/${A.id}/payments`, { token: A.tok.billing_admin, body: { amount: 800 }, headers: h });
  expectError(m, 422, 'idempotency_mismatch', undefined, 'same key, another amount');
  const after = await billing(srv, A);
  assert.equal(after.payments.length, before.payments.length + 1, `case payments after a replay: got ${JSON.stringify(after.payments)}`);
  // The 700 paid once adds to the credit.
  assert.equal(after.balance, before.balance - 700, `case balance after a replayed payment: got ${after.balance}, want ${before.balance - 700}`);
});

test('a card tenant: the first invoice is paid at once, with the payment recorded; balance 0', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const C = await tenantWithTokens(srv, { name: 'Card Org', payment: 'card', credit_limit: 0 });
  const s = await buy(srv, C, { plan: 'biz-basic', quantity: 3 });
  assert.equal(s.status, 'active', `case card purchase status: got ${s.status}`);
  const b = await billing(srv, C);
  assert.equal(b.invoices.length, 1, `case card invoices: got ${JSON.stringify(b.invoices)}`);
  // 600 x 3 = 1800, charged now.
  expectFields(b.invoices[0], { amount: 1800, paid: 1800, status: 'paid', due: '2026-11-02T09:00:00Z' }, 'card invoice');
  assert.equal(b.payments.length, 1, `case card payment recorded: got ${JSON.stringify(b.payments)}`);
  expectFields(b.payments[0], { amount: 1800, currency: 'EUR', received_at: '2026-11-02T09:00:00Z' }, 'card payment');
  expectFields(b, { balance: 0, past_due: 0 }, 'card billing');
});

test('a prepaid annual purchase: one invoice of price x seats x 12, paid at once; the Upgrade tab shows what would be lost', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const P = await tenantWithTokens(srv, { name: 'Prepaid Org', payment: 'invoice', credit_limit: 10000000 });
  const s = await buy(srv, P, { plan: 'biz-standard', quantity: 4, term: 'annual', prepaid: true });
  assert.equal(s.status, 'active', `case prepaid status: got ${s.status}`);
  assert.equal(s.term_end, '2027-11-02T09:00:00Z', `case prepaid term_end: got ${s.term_end}`);
  const termValue = PRICE['biz-standard'] * 4 * 12; // 1250 x 4 seats x 12 months = 60000
  let b = await billing(srv, P);
  assert.equal(b.invoices.length, 1, `case prepaid invoices: got ${JSON.stringify(b.invoices)}`);
  expectFields(b.invoices[0], { amount: termValue, paid: termValue, status: 'paid' }, 'prepaid invoice');
  expectFields(b.invoices[0].lines[0], { kind: 'purchase', quantity: 4, amount: termValue,
    period_start: '2026-11-02T09:00:00Z', period_end: '2027-11-02T09:00:00Z' }, 'prepaid line');
  expectFields(b, { balance: 0, past_due: 0 }, 'prepaid billing');

  const now = '2027-01-15T09:00:00Z';
  await setClock(srv, now);
  const v = await tab(srv, P, s.id);
  assert.deepEqual(codes(v.reasons), ['prepaid_plan'], `case prepaid tab: got ${JSON.stringify(codes(v.reasons))}`);
  const termDays = daysCeil('2026-11-02T09:00:00Z', '2027-11-02T09:00:00Z'); // 365 (no Feb 29 inside)
  assert.equal(termDays, 365);
  const unusedDays = daysCeil(now, '2027-11-02T09:00:00Z'); // 291
  // unused_value = round_half_up(60000 * 291 / 365) = round(47835.6...) = 47836
  const unusedValue = roundHalfUp(termValue, unusedDays, termDays);
  assert.equal(unusedValue, 47836);
  expectFields(v.reasons[0].details, { term_end: '2027-11-02T09:00:00Z', unused_days: unusedDays, unused_value: unusedValue },
    'prepaid_plan details');
  // No renewal: the whole term is paid.
  b = await billing(srv, P);
  assert.equal(b.invoices.length, 1, `case prepaid invoices after 74 days: got ${b.invoices.length}, want 1`);
});

test('prepaid across Feb 29: the term counts 366 days', async () => {
  await setClock(srv, '2027-12-01T00:00:00Z');
  const P = await tenantWithTokens(srv, { name: 'Leap Org', payment: 'invoice', credit_limit: 10000000 });
  const s = await buy(srv, P, { plan: 'mail-p1', quantity: 2, term: 'annual', prepaid: true });
  assert.equal(s.term_end, '2028-12-01T00:00:00Z', `case leap term_end: got ${s.term_end}`);
  const now = '2028-03-01T00:00:00Z';
  await setClock(srv, now);
  const termValue = PRICE['mail-p1'] * 2 * 12; // 9600
  const termDays = daysCeil('2027-12-01T00:00:00Z', '2028-12-01T00:00:00Z'); // 366: 2028 is a leap year
  assert.equal(termDays, 366);
  const unusedDays = daysCeil(now, '2028-12-01T00:00:00Z'); // 366 - (31 + 31 + 29) = 275
  assert.equal(unusedDays, 275);
  // round_half_up(9600 * 275 / 366) = round(7213.11) = 7213
  const unusedValue = roundHalfUp(termValue, unusedDays, termDays);
  const v = await tab(srv, P, s.id);
  assert.deepEqual(codes(v.reasons), ['prepaid_plan'], `case leap prepaid tab: got ${JSON.stringify(codes(v.reasons))}`);
  expectFields(v.reasons[0].details, { term_end: '2028-12-01T00:00:00Z', unused_days: unusedDays, unused_value: unusedValue },
    'prepaid_plan details across Feb 29');

  // Prepaid: one more seat is charged for the rest of the term, at once;
  // round_half_up(1 seat x 400 x 12 x 275 / 366) = round(3606.56) = 3607.
  const path = `/v1/tenants/${P.id}/subscriptions/${s.id}`;
  const up = await srv.api('PATCH', path, { token: P.tok.billing_admin, body: { quantity: 3 } });
  assert.equal(up.status, 200, `case prepaid PATCH 2 -> 3: got ${up.status} ${up.text}`);
  let b = await billing(srv, P);
  const extra = roundHalfUp(400 * 12, unusedDays, termDays);
  assert.equal(extra, 3607);
  assert.equal(b.invoices.length, 2, `case prepaid invoices after +1 seat: got ${JSON.stringify(b.invoices)}`);
  expectFields(b.invoices[1], { amount: extra, paid: extra, status: 'paid' }, 'prepaid +1 seat, paid at once');
  expectFields(b.invoices[1].lines[0], { kind: 'quantity', amount: extra, period_start: now, period_end: '2028-12-01T00:00:00Z' },
    'prepaid +1 seat line');
  // Fewer seats give no credit for prepaid time: no credit note.
  const down = await srv.api('PATCH', path, { token: P.tok.billing_admin, body: { quantity: 2 } });
  assert.equal(down.status, 200, `case prepaid PATCH 3 -> 2: got ${down.status} ${down.text}`);
  b = await billing(srv, P);
  assert.equal(b.invoices.length, 2, `case prepaid -1 seat: got ${JSON.stringify(b.invoices.at(-1))}, want no credit note`);
  expectFields(b, { balance: 0, past_due: 0 }, 'prepaid billing');
});

// ---- proration -------------------------------------------------------------------

test('proration: +5 seats 10 days into a 30-day period is charged, -3 is a credit note, a cancel credits the unused days', async () => {
  await setClock(srv, '2026-11-01T00:00:00Z');
  const Q = await tenantWithTokens(srv, { name: 'Prorate Org', credit_limit: 10000000 });
  const s = await buy(srv, Q, { plan: 'biz-basic', quantity: 10 });
  assert.equal(s.billed_through, '2026-12-01T00:00:00Z', `case billed_through: got ${s.billed_through}`);
  const now = '2026-11-11T00:00:00Z';
  await setClock(srv, now);
  const days = daysCeil('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'); // 30
  const left = daysCeil(now, '2026-12-01T00:00:00Z'); // 20
  assert.deepEqual([days, left], [30, 20]);

  const up = await srv.api('PATCH', `/v1/tenants/${Q.id}/subscriptions/${s.id}`, { token: Q.tok.billing_admin, body: { quantity: 15 } });
  assert.equal(up.status, 200, `case PATCH 10 -> 15: got ${up.status} ${up.text}`);
  let b = await billing(srv, Q);
  assert.equal(b.invoices.length, 2, `case invoices after +5: got ${JSON.stringify(b.invoices)}`);
  // round_half_up(5 seats x 600 x 20 / 30) = 2000
  const charge = roundHalfUp(5 * 600, left, days);
  assert.equal(charge, 2000);
  let inv = b.invoices[1];
  expectFields(inv, { amount: charge, credit_note: false, status: 'open', due: plus(now, 30 * DAY) }, 'invoice for +5 seats');
  assert.equal(inv.lines.length, 1, `case +5 lines: got ${JSON.stringify(inv.lines)}`);
  expectFields(inv.lines[0], { kind: 'quantity', subscription: s.id, quantity: 5, amount: charge,
    period_start: now, period_end: '2026-12-01T00:00:00Z' }, 'line for +5 seats');

  // In the same second, 15 -> 12: seat changes may come in any number.
  const down = await srv.api('PATCH', `/v1/tenants/${Q.id}/subscriptions/${s.id}`, { token: Q.tok.billing_admin, body: { quantity: 12 } });
  assert.equal(down.status, 200, `case PATCH 15 -> 12: got ${down.status} ${down.text}`);
  b = await billing(srv, Q);
  assert.equal(b.invoices.length, 3, `case invoices after -3: got ${JSON.stringify(b.invoices)}`);
  // -round_half_up(3 seats x 600 x 20 / 30) = -1200
  const credit = -roundHalfUp(3 * 600, left, days);
  assert.equal(credit, -1200);
  inv = b.invoices[2];
  expectFields(inv, { amount: credit, credit_note: true }, 'credit note for -3 seats');
  expectFields(inv.lines[0], { kind: 'quantity', amount: credit, period_start: now,
    period_end: '2026-12-01T00:00:00Z' }, 'line for -3 seats');
  assert.equal(Math.abs(inv.lines[0].quantity), 3, `case line for -3 seats quantity: got ${inv.lines[0].quantity}, want 3 seats`);

  // Cancel: refused while a user holds a seat (nothing billed), then after unassigning.
  const u = await srv.api('POST', `/v1/tenants/${Q.id}/users`, { token: Q.tok.license_admin,
    body: { upn: 'seat@prorate.example', display_name: 'Seat' } });
  assert.equal(u.status, 201, `case user: got ${u.status} ${u.text}`);
  const seatPath = `/v1/tenants/${Q.id}/subscriptions/${s.id}/assignments/${u.json.id}`;
  assert.equal((await srv.api('PUT', seatPath, { token: Q.tok.license_admin })).status, 201, 'case assign');
  const c1 = await srv.api('POST', `/v1/tenants/${Q.id}/subscriptions/${s.id}/cancel`, { token: Q.tok.billing_admin });
  expectError(c1, 409, 'conflict', undefined, 'cancel with a seat held');
  assert.equal((await billing(srv, Q)).invoices.length, 3, 'case a refused cancel issued an invoice');
  assert.equal((await srv.api('DELETE', seatPath, { token: Q.tok.license_admin })).status, 200, 'case unassign');
  const c2 = await srv.api('POST', `/v1/tenants/${Q.id}/subscriptions/${s.id}/cancel`, { token: Q.tok.billing_admin });
  assert.equal(c2.status, 200, `case cancel: got ${c2.status} ${c2.text}`);
  b = await billing(srv, Q);
  assert.equal(b.invoices.length, 4, `case invoices after cancel: got ${JSON.stringify(b.invoices)}`);
  // -round_half_up(12 seats x 600 x 20 / 30) = -4800
  const cancelCredit = -roundHalfUp(12 * 600, left, days);
  assert.equal(cancelCredit, -4800);
  inv = b.invoices[3];
  expectFields(inv, { amount: cancelCredit, credit_note: true }, 'credit note for the cancel');
  expectFields(inv.lines[0], { kind: 'cancel', amount: cancelCredit, period_start: now,
    period_end: '2026-12-01T00:00:00Z' }, 'cancel line');
  assert.equal(Math.abs(inv.lines[0].quantity), 12, `case cancel line quantity: got ${inv.lines[0].quantity}, want 12 seats`);
  // balance = 6000 + 2000 - 1200 - 4800 = 2000; the credit notes settled the oldest invoice.
  expectFields(b, { balance: 6000 + charge + credit + cancelCredit, past_due: 0 }, 'billing after the cancel');
  expectFields(b.invoices[0], { status: 'paid', paid: 6000 }, 'first invoice settled by the credit notes');
  expectFields(b.invoices[1], { status: 'open', paid: 0 }, 'the +5 invoice, still open');

  // A cancelled subscription is not renewed.
  await setClock(srv, '2026-12-05T00:00:00Z');
  b = await billing(srv, Q);
  assert.equal(b.invoices.length, 4, `case no renewal after cancel: got ${JSON.stringify(b.invoices.map((x) => x.lines[0].kind))}`);
});

test('proration rounds halves up: 1 seat of 1250 with 7 of 28 February days left is 312.5 -> 313', async () => {
  await setClock(srv, '2027-02-01T00:00:00Z');
  const F = await tenantWithTokens(srv, { name: 'Half Org', credit_limit: 10000000 });
  const s = await buy(srv, F, { plan: 'biz-standard', quantity: 2 });
  const now = '2027-02-22T00:00:00Z';
  await setClock(srv, now);
  const days = daysCeil('2027-02-01T00:00:00Z', '2027-03-01T00:00:00Z'); // 28
  const left = daysCeil(now, '2027-03-01T00:00:00Z'); // 7
  // 1250 x 7 / 28 = 312.5 -> 313 (halves up)
  const amount = roundHalfUp(1250, left, days);
  assert.equal(amount, 313);
  const path = `/v1/tenants/${F.id}/subscriptions/${s.id}`;
  const p1 = await srv.api('PATCH', path, { token: F.tok.billing_admin, body: { quantity: 3 } });
  assert.equal(p1.status, 200, `case PATCH 2 -> 3: got ${p1.status} ${p1.text}`);
  let b = await billing(srv, F);
  expectFields(b.invoices.at(-1), { amount }, 'charge for +1 seat (312.5 rounds to 313)');
  const p2 = await srv.api('PATCH', path, { token: F.tok.billing_admin, body: { quantity: 2 } });
  assert.equal(p2.status, 200, `case PATCH 3 -> 2: got ${p2.status} ${p2.text}`);
  b = await billing(srv, F);
  // The credit is the same amount, negative: -round_half_up(1250 x 7 / 28) = -313.
  expectFields(b.invoices.at(-1), { amount: -amount, credit_note: true }, 'credit for -1 seat');
  // 2 x 1250 + 313 - 313
  expectFields(b, { balance: 2500 }, 'balance after +1 and -1');
});

// Seat changes and cancels around a period boundary nobody looked at
// (found while writing this file: failed against an earlier binary).

// Every invoice line of T (as the operator), as [kind, quantity, period_start, amount].
async function invoiceLines(T) {
  const r = await srv.api('GET', `/v1/tenants/${T.id}/billing`);
  assert.equal(r.status, 200, `case billing of ${T.id}: got ${r.status} ${r.text}, want 200`);
  return r.json.invoices.flatMap((i) => i.lines.map((l) => [l.kind, l.quantity, l.period_start, l.amount]));
}

test('B1: two seat changes of one subscription in the same second are both billed', async () => {
  await setClock(srv, '2026-11-01T00:00:00Z');
  const T = await newTenant(srv, {});
  const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
  await setClock(srv, '2026-11-11T00:00:00Z');
  const a = await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { body: { quantity: 15 } });
  assert.equal(a.status, 200, `case first PATCH: got ${a.status} ${a.text}`);
  const b = await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { body: { quantity: 12 } });
  assert.equal(b.status, 200, `case second PATCH in the same second: got ${b.status} ${b.text}, want 200`);
});

test('B2a: a seat change after an un-invoiced period boundary: the renewal bills the old count, the change is prorated', async () => {
  await setClock(srv, '2026-11-01T00:00:00Z');
  const T = await newTenant(srv, {});
  const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
  await setClock(srv, '2026-12-15T00:00:00Z'); // nobody looked at the tenant since 2026-12-01
  assert.equal((await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { body: { quantity: 15 } })).status, 200);
  // renewal 12-01..01-01 for 10 seats = 6000; +5 seats for 17 of 31 days = round_half_up(3000*17/31) = 1645
  assert.deepEqual(await invoiceLines(T), [
    ['purchase', 10, '2026-11-01T00:00:00Z', 6000],
    ['renewal', 10, '2026-12-01T00:00:00Z', 6000],
    ['quantity', 5, '2026-12-15T00:00:00Z', roundHalfUp(3000, 17, 31)],
  ]);
});

test('B2b: a cancel after an un-invoiced period boundary still invoices the days used', async () => {
  await setClock(srv, '2026-11-01T00:00:00Z');
  const T = await newTenant(srv, {});
  const s = (await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 10 } })).json;
  await setClock(srv, '2026-12-15T00:00:00Z');
  const c = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`);
  assert.equal(c.status, 200);
  assert.equal(c.json.term_end, '2026-12-15T00:00:00Z', `case term_end of a cancel on 12-15: got ${c.json.term_end}`);
  // renewal 6000, then the unused 17 of 31 days credited: -round_half_up(6000*17/31) = -3290
  assert.deepEqual(await invoiceLines(T), [
    ['purchase', 10, '2026-11-01T00:00:00Z', 6000],
    ['renewal', 10, '2026-12-01T00:00:00Z', 6000],
    ['cancel', 10, '2026-12-15T00:00:00Z', -roundHalfUp(6000, 17, 31)],
  ]);
});

// ---- credit checks ---------------------------------------------------------------

test('credit check: a purchase over the credit limit waits (202, provisioning, unbilled); approving it bills and activates', async () => {
  const fri = '2026-11-27T10:00:00Z'; // a Friday
  await setClock(srv, fri);
  const K = await tenantWithTokens(srv, { name: 'Credit Org', payment: 'invoice', credit_limit: 5000 });
  const small = await buy(srv, K, { plan: 'mail-p1', quantity: 1 }); // 400 a month: within the limit
  assert.equal(small.status, 'active', `case small purchase: got ${small.status}`);
  const r = await srv.api('POST', `/v1/tenants/${K.id}/subscriptions`, { token: K.tok.billing_admin,
    body: { plan: 'biz-basic', quantity: 10 } });
  assert.equal(r.status, 202, `case purchase over the limit: got ${r.status} ${r.text}, want 202`);
  const s = r.json;
  assert.equal(s.status, 'provisioning', `case waiting purchase status: got ${s.status}, want provisioning`);
  const cc = s.credit_check;
  assert.ok(cc, `case credit_check in the 202: got ${r.text}`);
  assert.match(cc.id, /^cc_[1-9]\d*$/, `case credit check id: got ${cc.id}`);
  // amount: the monthly charge the tenant would have: 400 + 600 x 10 = 6400 > 5000.
  // expected_by: Friday + 2 business days (Monday, Tuesday) = Tuesday 2026-12-01, same time.
  expectFields(cc, { status: 'pending', amount: 6400, requested_at: fri, expected_by: '2026-12-01T10:00:00Z',
    subscription: s.id }, 'credit check');
  let b = await billing(srv, K);
  assert.deepEqual(b.invoices.map((i) => i.subscription), [small.id], `case no invoice for the waiting purchase: got ${JSON.stringify(b.invoices)}`);

  const list = await srv.api('GET', `/v1/tenants/${K.id}/credit-checks`, { token: K.tok.reader });
  assert.equal(list.status, 200, `case list credit checks: got ${list.status} ${list.text}`);
  assert.deepEqual(list.json.items.map((x) => [x.id, x.status]), [[cc.id, 'pending']], `case credit checks: got ${list.text}`);
  const other = await tenantWithTokens(srv, { name: 'Nosy Org' });
  expectError(await srv.api('GET', `/v1/tenants/${K.id}/credit-checks`, { token: other.tok.reader }), 404, 'not_found',
    undefined, 'credit checks of another tenant');

  // The tenant's other subscription shows the pending check, with until = expected_by.
  const v = await tab(srv, K, small.id);
  assert.deepEqual(codes(v.reasons), ['credit_check_pending'], `case other subscription's tab: got ${JSON.stringify(codes(v.reasons))}`);
  expectFields(v.reasons[0].details, { expected_by: '2026-12-01T10:00:00Z' }, 'credit_check_pending details');
  const wait = v.reasons[0].remedies;
  assert.deepEqual(wait.map((x) => x.action), ['wait'], `case credit_check_pending remedies: got ${JSON.stringify(wait)}`);
  assert.equal(wait[0].until, '2026-12-01T10:00:00Z', `case wait until: got ${JSON.stringify(wait[0])}, want expected_by`);
  // The waiting subscription itself is not ready and waits on the check too.
  assert.deepEqual(codes((await tab(srv, K, s.id)).reasons), ['subscription_not_ready', 'credit_check_pending'], 'case waiting subscription tab');

  // Deciding: operator only; approved must be a boolean.
  const dpath = `/v1/credit-checks/${cc.id}/decision`;
  for (const [role, token] of Object.entries(K.tok)) {
    expectError(await srv.api('POST', dpath, { token, body: { approved: true } }), 403, 'forbidden', undefined, `decision as ${role}`);
  }
  for (const body of [{}, { approved: 'yes' }, { approved: 1 }, { approved: null }]) {
    expectError(await srv.api('POST', dpath, { body }), 400, 'invalid_field', 'approved', `decision body ${JSON.stringify(body)}`);
  }
  expectError(await srv.api('POST', '/v1/credit-checks/cc_999999/decision', { body: { approved: true } }), 404, 'not_found',
    undefined, 'decision on no such check');
  assert.equal((await srv.api('GET', `/v1/tenants/${K.id}/credit-checks`)).json.items[0].status, 'pending',
    'case refused decisions changed the check');

  const when = '2026-11-30T15:00:00Z';
  await setClock(srv, when);
  const d = await srv.api('POST', dpath, { body: { approved: true } });
  assert.equal(d.status, 200, `case approve: got ${d.status} ${d.text}, want 200`);
  expectFields(d.json, { id: cc.id, status: 'approved', decided_at: when }, 'approved check');
  const after = await getSub(srv, K, s.id);
  assert.equal(after.status, 'active', `case approved purchase status: got ${after.status}, want active`);
  b = await billing(srv, K);
  const mine = b.invoices.filter((i) => i.subscription === s.id);
  assert.equal(mine.length, 1, `case one invoice for the approved purchase: got ${JSON.stringify(b.invoices)}`);
  // Billed when it goes ahead: 600 x 10, from the decision, due 30 days later.
  expectFields(mine[0], { amount: 6000, status: 'open', due: plus(when, 30 * DAY) }, 'invoice of the approved purchase');
  expectFields(mine[0].lines[0], { kind: 'purchase', quantity: 10, amount: 6000, period_start: when }, 'approved purchase line');
  const t = await srv.api('GET', `/v1/tenants/${K.id}`, { token: K.tok.reader });
  assert.equal(t.json.credit_limit, 6400, `case credit limit raised to the approved amount: got ${t.json.credit_limit}, want 6400`);
  assert.deepEqual(codes((await tab(srv, K, small.id)).reasons), [], 'case the other tab after approval: want eligible');

  const again = await srv.api('POST', dpath, { body: { approved: false } });
  expectError(again, 409, 'conflict', undefined, 'deciding twice');
  assert.equal((await getSub(srv, K, s.id)).status, 'active', 'case a second decision changed the subscription');
});

test('credit check denied: the waiting purchase is cancelled, never billed; the limit is unchanged', async () => {
  await setClock(srv, '2026-11-28T10:00:00Z'); // a Saturday
  const D = await tenantWithTokens(srv, { name: 'Denied Org', payment: 'invoice', credit_limit: 1000 });
  const r = await srv.api('POST', `/v1/tenants/${D.id}/subscriptions`, { token: D.tok.billing_admin,
    body: { plan: 'biz-basic', quantity: 5 } });
  assert.equal(r.status, 202, `case purchase over the limit: got ${r.status} ${r.text}`);
  // 600 x 5 = 3000 > 1000
  // Saturday + 2 business days = Tuesday (Monday counts one, Tuesday two).
  expectFields(r.json.credit_check, { status: 'pending', amount: 3000, expected_by: '2026-12-01T10:00:00Z' }, 'credit check to deny');
  const d = await srv.api('POST', `/v1/credit-checks/${r.json.credit_check.id}/decision`, { body: { approved: false } });
  assert.equal(d.status, 200, `case deny: got ${d.status} ${d.text}`);
  assert.equal(d.json.status, 'denied', `case denied status: got ${d.json.status}`);
  const s = await getSub(srv, D, r.json.id);
  assert.equal(s.status, 'cancelled', `case denied purchase: got ${s.status}, want cancelled`);
  const b = await billing(srv, D);
  assert.deepEqual(b.invoices, [], `case denied purchase billed: got ${JSON.stringify(b.invoices)}`);
  expectFields(b, { balance: 0, past_due: 0 }, 'billing after a denial');
  const t = await srv.api('GET', `/v1/tenants/${D.id}`, { token: D.tok.reader });
  assert.equal(t.json.credit_limit, 1000, `case credit limit after a denial: got ${t.json.credit_limit}, want 1000`);
});

test('--holidays FILE: a holiday is skipped: a Friday request with Monday off is expected on Wednesday', async () => {
  const dir = tempDir();
  const file = join(dir, 'holidays.txt');
  writeFileSync(file, '# bank holidays\n2026-11-30\n\n2026-12-25  # Christmas\n');
  let h;
  try {
    [h] = await startServers([{ args: ['--clock', 'manual', '--holidays', file] }]);
    await setClock(h, '2026-11-27T10:00:00Z');
    const T = await tenantWithTokens(h, { name: 'Holiday Org', payment: 'invoice', credit_limit: 100 });
    const s = await buy(h, T, { plan: 'biz-basic', quantity: 1 }, 202);
    // Friday + 2 business days, skipping the weekend and Monday 2026-11-30 = Wednesday 2026-12-02.
    assert.equal(s.credit_check.expected_by, '2026-12-02T10:00:00Z', `case expected_by with a holiday: got ${s.credit_check.expected_by}`);
    // A bad holidays file refuses to start, naming the line.
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '2026-11-30\nnot-a-date\n');
    const r = cli(['serve', '--db', h.db, '--listen', '127.0.0.1:0', '--clock', 'manual', '--holidays', bad], { timeout: 10000 });
    assert.equal(r.status, 1, `case bad holidays file: got exit ${r.status} (${r.stderr}), want 1`);
    assert.match(r.stderr, /bad\.txt:2/, `case bad holidays message: got ${r.stderr}, want the file and line`);
  } finally {
    if (h) {
      const code = await h.stop();
      assert.equal(code, 0, `case holiday daemon exit: got ${code}; stderr:\n${h.stderr.slice(-4000)}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the daemons stop cleanly (exit 0: no leak or memory error reported)', async () => {
  for (const s of [srv, plain]) {
    const code = await s.stop();
    assert.equal(code, 0, `case exit code: got ${code}, want 0; stderr:\n${s.stderr.slice(-4000)}`);
  }
});
