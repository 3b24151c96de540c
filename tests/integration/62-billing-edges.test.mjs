// 62-billing-edges: the edges of money and of idempotency (issue 11): a key
// is bound to the request's meaning (method, path, canonical JSON), only a
// change is kept under it; amounts that would overflow are refused naming
// the field; the credit limit covers seat increases; the money cases the
// mutation review found untested (at the limit exactly, due exactly now,
// periods after a clock jump, a card charge net of credit, oldest_due,
// audit rows). Against the real daemon with --clock manual.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, tenantWithTokens, setClock, expectError, storeSql } from './harness.mjs';
import { DAY, plus, expectFields, buy, billing, getSub, subsPath } from './tenant-calls.mjs';

let srv;
let cap; // --upgrade-capacity 1: one automatic upgrade an hour

before(async () => {
  [srv, cap] = await startServers([{ args: ['--clock', 'manual'] }, { args: ['--clock', 'manual', '--upgrade-capacity', '1'] }]);
});

after(async () => {
  await stopServers([srv, cap]);
});

const pay = (T, raw, headers = {}) => srv.api('POST', `/v1/tenants/${T.id}/payments`,
  { token: T.tok.billing_admin, raw, headers: { 'Content-Type': 'application/json', ...headers } });

// ---- idempotency by meaning --------------------------------------------------------

test('idempotency: {"amount": 100} and {"amount":100} under one key are one payment, replayed', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Idem Spaces', payment: 'invoice', credit_limit: 10000000 });
  const h = { 'Idempotency-Key': 'spaces-1' };
  const a = await pay(T, '{"amount": 100}', h);
  assert.equal(a.status, 201, `case first: got ${a.status} ${a.text}, want 201`);
  const b = await pay(T, '{"amount":100}', h);
  assert.equal(b.status, 201, `case same meaning, other whitespace: got ${b.status} ${b.text}, want 201 (a replay)`);
  assert.equal(b.text, a.text, `case replay body: got ${b.text}, want ${a.text}`);
  const c = await pay(T, '\n{ "amount" :100 }\n', h);
  assert.equal(c.status, 201, `case newlines and spaces: got ${c.status} ${c.text}, want 201`);
  assert.equal((await billing(srv, T)).payments.length, 1, 'case payments after three sends: want 1');
  expectError(await pay(T, '{"amount":101}', h), 422, 'idempotency_mismatch', undefined, 'another amount');
});

test('idempotency: key order does not matter', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Idem Order', payment: 'invoice', credit_limit: 10000000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  const h = { 'Content-Type': 'application/json', 'Idempotency-Key': 'order-1' };
  const up = (raw) => srv.api('POST', `${subsPath(T)}/${s.id}/upgrade`, { token: T.tok.billing_admin, raw, headers: h });
  const a = await up('{"target_plan":"biz-standard","quantity":3}');
  assert.equal(a.status, 201, `case first upgrade: got ${a.status} ${a.text}, want 201`);
  const b = await up('{"quantity":3,"target_plan":"biz-standard"}');
  assert.equal(b.status, 201, `case keys reordered: got ${b.status} ${b.text}, want 201 (a replay)`);
  assert.equal(b.json.id, a.json.id, `case reordered keys: got operation ${b.json.id}, want ${a.json.id}`);
});

test('idempotency: a refused keyed request leaves the key free; the retry after the fix runs', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Idem Refused', payment: 'invoice', credit_limit: 10000000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  const h = { 'Idempotency-Key': 'refused-1' };
  // Blocked by an incident on a service of the plan: 409.
  const inc = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'mail-1', status: 'investigating', title: 'slow' } });
  assert.equal(inc.status, 201, `case incident: got ${inc.status} ${inc.text}`);
  const body = { target_plan: 'biz-standard' };
  const a = await srv.api('POST', `${subsPath(T)}/${s.id}/upgrade`, { token: T.tok.billing_admin, body, headers: h });
  assert.equal(a.status, 409, `case blocked: got ${a.status} ${a.text}, want 409`);
  const res = await srv.api('POST', `/v1/service-health/incidents/${inc.json.id}/resolve`);
  assert.equal(res.status, 200, `case resolve: got ${res.status} ${res.text}`);
  const b = await srv.api('POST', `${subsPath(T)}/${s.id}/upgrade`, { token: T.tok.billing_admin, body, headers: h });
  assert.equal(b.status, 201, `case retry after the fix: got ${b.status} ${b.text}, want 201 (run again, not the refusal replayed)`);
  // A 400 does not keep the key either.
  const h2 = { 'Idempotency-Key': 'refused-2' };
  expectError(await pay(T, '{"amount":0}', h2), 400, 'invalid_field', 'amount', 'amount 0');
  const ok = await pay(T, '{"amount":50}', h2);
  assert.equal(ok.status, 201, `case payment after a 400 under the same key: got ${ok.status} ${ok.text}, want 201`);
});

test('idempotency: a keyed upgrade refused at capacity (429) runs when retried with its key after the hour', async () => {
  await setClock(cap, '2026-11-02T09:00:00Z');
  const A = await tenantWithTokens(cap, { name: 'Cap A', payment: 'invoice', credit_limit: 10000000 });
  const B = await tenantWithTokens(cap, { name: 'Cap B', payment: 'invoice', credit_limit: 10000000 });
  const sa = (await cap.api('POST', `/v1/tenants/${A.id}/subscriptions`, { token: A.tok.billing_admin, body: { plan: 'biz-basic', quantity: 1 } })).json;
  const sb = (await cap.api('POST', `/v1/tenants/${B.id}/subscriptions`, { token: B.tok.billing_admin, body: { plan: 'biz-basic', quantity: 1 } })).json;
  const up = (T, s) => cap.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/upgrade`, { token: T.tok.billing_admin,
    body: { target_plan: 'biz-standard' }, headers: { 'Idempotency-Key': 'busy-1' } });
  const a = await up(A, sa);
  assert.equal(a.status, 201, `case the hour's upgrade: got ${a.status} ${a.text}`);
  const b = await up(B, sb);
  assert.equal(b.status, 429, `case at capacity: got ${b.status} ${b.text}, want 429`);
  await setClock(cap, '2026-11-02T10:00:01Z');
  const b2 = await up(B, sb);
  assert.equal(b2.status, 201, `case retried after the hour: got ${b2.status} ${b2.text}, want 201 (run again, not the 429 replayed)`);
});

test('idempotency: the same key on another path is a mismatch (422)', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Idem Path', payment: 'invoice', credit_limit: 10000000 });
  const s1 = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  const s2 = await buy(srv, T, { plan: 'mail-p1', quantity: 1 });
  const h = { 'Idempotency-Key': 'path-1' };
  const a = await srv.api('POST', `${subsPath(T)}/${s1.id}/upgrade`, { token: T.tok.billing_admin, body: { target_plan: 'biz-standard' }, headers: h });
  assert.equal(a.status, 201, `case first: got ${a.status} ${a.text}`);
  const b = await srv.api('POST', `${subsPath(T)}/${s2.id}/upgrade`, { token: T.tok.billing_admin, body: { target_plan: 'biz-standard' }, headers: h });
  expectError(b, 422, 'idempotency_mismatch', undefined, 'same key and body, another path');
});

// ---- checked money --------------------------------------------------------------------

test('money: amounts beyond int64 or a double name the field', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Big Numbers', payment: 'invoice', credit_limit: 10000000 });
  for (const raw of ['{"amount":1e309}', '{"amount":-1e309}', '{"amount":99999999999999999999}',
    '{"amount":-99999999999999999999}', '{"amount":1e18}', '{"amount":9223372036854775807}']) {
    expectError(await pay(T, raw), 400, 'invalid_field', 'amount', raw);
  }
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  for (const raw of ['{"quantity":1e309}', '{"quantity":99999999999999999999}']) {
    const r = await srv.api('PATCH', `${subsPath(T)}/${s.id}`, { token: T.tok.billing_admin, raw,
      headers: { 'Content-Type': 'application/json' } });
    expectError(r, 400, 'invalid_field', 'quantity', `PATCH ${raw}`);
  }
  assert.equal((await billing(srv, T)).payments.length, 0, 'case nothing paid');
});

// ---- the credit limit covers seat increases -------------------------------------------

const patchQty = (T, sub, quantity) => srv.api('PATCH', `${subsPath(T)}/${sub}`, { token: T.tok.billing_admin, body: { quantity } });
const decide = (cc, approved) => srv.api('POST', `/v1/credit-checks/${cc}/decision`, { body: { approved } });
const audit = async (T) => {
  const r = await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`, { token: T.tok.global_admin });
  assert.equal(r.status, 200, `case audit: got ${r.status} ${r.text}`);
  return r.json.items;
};

test('seats: up to the credit limit exactly needs no credit check; one seat over answers 202 and changes nothing', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z'); // a Monday
  const T = await tenantWithTokens(srv, { name: 'Seat Limit', payment: 'invoice', credit_limit: 6000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 5 }); // 600 x 5 = 3000
  const atLimit = await patchQty(T, s.id, 10); // 600 x 10 = 6000 = the limit
  assert.equal(atLimit.status, 200, `case exactly at the limit: got ${atLimit.status} ${atLimit.text}, want 200`);
  assert.equal(atLimit.json.quantity, 10, `case quantity at the limit: got ${atLimit.json.quantity}`);
  assert.equal(atLimit.json.credit_check, undefined, `case no credit check at the limit: got ${atLimit.text}`);
  const before = await billing(srv, T);
  const over = await patchQty(T, s.id, 11); // 6600 > 6000
  assert.equal(over.status, 202, `case one seat over: got ${over.status} ${over.text}, want 202`);
  assert.equal(over.json.quantity, 10, `case quantity while waiting: got ${over.json.quantity}, want 10`);
  expectFields(over.json.credit_check, { status: 'pending', amount: 6600, quantity: 11, subscription: s.id,
    expected_by: '2026-11-04T09:00:00Z' }, 'seat increase credit check');
  assert.equal((await getSub(srv, T, s.id)).quantity, 10, 'case stored quantity while waiting');
  assert.deepEqual(await billing(srv, T), before, 'case a waiting increase billed something');
  const tabR = await srv.api('GET', `${subsPath(T)}/${s.id}/upgrades`, { token: T.tok.reader });
  assert.ok(tabR.json.reasons.some((x) => x.code === 'credit_check_pending'), `case tab while waiting: got ${tabR.text}`);
});

test('seats: approval applies the increase (prorated, invoiced, limit raised); denial leaves the quantity', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Seat Decide', payment: 'invoice', credit_limit: 6000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 10 }); // 6000
  const r = await patchQty(T, s.id, 12);
  assert.equal(r.status, 202, `case over the limit: got ${r.status} ${r.text}`);
  await setClock(srv, '2026-11-12T09:00:00Z'); // 20 of 30 days left
  const d = await decide(r.json.credit_check.id, true);
  assert.equal(d.status, 200, `case approve: got ${d.status} ${d.text}`);
  assert.equal((await getSub(srv, T, s.id)).quantity, 12, 'case quantity after approval');
  const t = await srv.api('GET', `/v1/tenants/${T.id}`, { token: T.tok.reader });
  assert.equal(t.json.credit_limit, 7200, `case limit after approval: got ${t.json.credit_limit}, want 7200`);
  const b = await billing(srv, T);
  // 2 seats x 600 x 20 / 30 = 800
  const q = b.invoices.find((i) => i.lines && i.lines.some((l) => l.kind === 'quantity'));
  assert.ok(q, `case a quantity invoice after approval: got ${JSON.stringify(b.invoices)}`);
  expectFields(q, { amount: 800 }, 'prorated increase');

  const r2 = await patchQty(T, s.id, 20); // 12000 > 7200
  assert.equal(r2.status, 202, `case second increase: got ${r2.status} ${r2.text}`);
  const before = await billing(srv, T);
  const d2 = await decide(r2.json.credit_check.id, false);
  assert.equal(d2.status, 200, `case deny: got ${d2.status} ${d2.text}`);
  assert.equal((await getSub(srv, T, s.id)).quantity, 12, 'case quantity after denial: want 12');
  assert.deepEqual(await billing(srv, T), before, 'case a denial billed something');
  // Fewer seats never wait.
  const down = await patchQty(T, s.id, 3);
  assert.equal(down.status, 200, `case decrease: got ${down.status} ${down.text}, want 200`);
  // Audit rows: the request and both decisions.
  const a = await audit(T);
  const acts = a.map((x) => x.action);
  assert.equal(acts.filter((x) => x === 'credit_check.request').length, 2, `case credit_check.request rows: got ${acts}`);
  assert.equal(acts.filter((x) => x === 'credit_check.decision').length, 2, `case credit_check.decision rows: got ${acts}`);
});

test('seats: the issue\'s case, 5,000 seats on a €100 limit while another purchase waits, waits too', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Seat Waits', payment: 'invoice', credit_limit: 10000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 10 }); // 6000
  const p = await srv.api('POST', subsPath(T), { token: T.tok.billing_admin, body: { plan: 'biz-basic', quantity: 10 } });
  assert.equal(p.status, 202, `case purchase over the limit: got ${p.status} ${p.text}`);
  const r = await patchQty(T, s.id, 5000);
  assert.equal(r.status, 202, `case 5,000 seats while a purchase waits: got ${r.status} ${r.text}, want 202`);
  // 600 x 5000 + the waiting purchase's 6000
  expectFields(r.json.credit_check, { amount: 3006000, quantity: 5000 }, 'increase while a purchase waits');
  assert.equal((await getSub(srv, T, s.id)).quantity, 10, 'case quantity unchanged');
});

// ---- the money cases the mutation review found untested ---------------------------------

test('a purchase exactly at the credit limit needs no credit check; one cent over does', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Purchase Limit', payment: 'invoice', credit_limit: 6000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 10 }); // 600 x 10 = 6000 = the limit
  assert.equal(s.status, 'active', `case exactly at the limit: got ${s.status}, want active`);
  assert.equal(s.credit_check, undefined, `case no credit check at the limit: got ${JSON.stringify(s.credit_check)}`);
  const U = await tenantWithTokens(srv, { name: 'Purchase Over', payment: 'invoice', credit_limit: 5999 });
  const o = await buy(srv, U, { plan: 'biz-basic', quantity: 10 }, 202);
  expectFields(o.credit_check, { status: 'pending', amount: 6000 }, 'one cent over the limit');
});

test('an invoice due exactly now is not past due; one second later it is (billing and the Upgrade tab agree)', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Due Now', payment: 'invoice', credit_limit: 10000000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  const due = plus('2026-11-02T09:00:00Z', 30 * DAY); // 2026-12-02T09:00:00Z
  await setClock(srv, due);
  const b = await billing(srv, T);
  const first = b.invoices.find((i) => i.due === due);
  assert.ok(first, `case the first invoice due ${due}: got ${JSON.stringify(b.invoices)}`);
  expectFields(first, { past_due: false }, 'invoice due exactly now');
  expectFields(b, { past_due: 0, oldest_due: null }, 'billing with an invoice due exactly now');
  const t1 = await srv.api('GET', `${subsPath(T)}/${s.id}/upgrades`, { token: T.tok.reader });
  assert.ok(!t1.json.reasons.some((x) => x.code === 'unpaid_balance'), `case tab at the due time: got ${t1.text}`);
  await setClock(srv, plus(due, 1000));
  const b2 = await billing(srv, T);
  expectFields(b2, { past_due: 600, oldest_due: due }, 'billing one second after the due time');
  const t2 = await srv.api('GET', `${subsPath(T)}/${s.id}/upgrades`, { token: T.tok.reader });
  assert.ok(t2.json.reasons.some((x) => x.code === 'unpaid_balance'), `case tab one second later: got ${t2.text}`);
});

let jumped; // {T, b}: a tenant whose clock jumped three periods
test('a clock jump of three months: every period invoiced once, each issued at its start, due 30 days later', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Clock Jump', payment: 'invoice', credit_limit: 10000000 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  await setClock(srv, '2027-02-10T09:00:00Z');
  await billing(srv, T);
  const b = await billing(srv, T);
  const starts = ['2026-11-02T09:00:00Z', '2026-12-02T09:00:00Z', '2027-01-02T09:00:00Z', '2027-02-02T09:00:00Z'];
  assert.equal(b.invoices.length, 4, `case invoices after the jump: got ${JSON.stringify(b.invoices.map((i) => i.issued))}, want 4`);
  b.invoices.forEach((inv, k) => {
    expectFields(inv, { amount: 600, issued: starts[k], due: plus(starts[k], 30 * DAY) }, `period ${k}`);
    expectFields(inv.lines[0], { kind: k ? 'renewal' : 'purchase', period_start: starts[k] }, `line of period ${k}`);
  });
  assert.equal((await getSub(srv, T, s.id)).billed_through, '2027-03-02T09:00:00Z', 'case billed_through after the jump');
  jumped = { T, b };
});

test('oldest_due is the earliest due time of the past-due invoices', async () => {
  assert.ok(jumped, 'case needs the clock-jump tenant');
  // Past due on 2027-02-10: due 12-02, 01-01 and 02-01 (the last, due 03-04, is not).
  expectFields(jumped.b, { past_due: 1800, oldest_due: '2026-12-02T09:00:00Z' }, 'three invoices past due');
  const r = await srv.api('GET', `${subsPath(jumped.T)}`, { token: jumped.T.tok.reader });
  const sub = r.json.items[0].id;
  const t = await srv.api('GET', `${subsPath(jumped.T)}/${sub}/upgrades`, { token: jumped.T.tok.reader });
  const u = t.json.reasons.find((x) => x.code === 'unpaid_balance');
  assert.ok(u, `case unpaid_balance: got ${t.text}`);
  expectFields(u.details, { amount_due: 1800, oldest_due: '2026-12-02T09:00:00Z' }, 'unpaid_balance details');
});

test('a card charge is net of the credit the tenant already has', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Card Credit', payment: 'card', credit_limit: 0 });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 10 }); // 6000, paid at once
  await setClock(srv, '2026-11-12T09:00:00Z'); // 20 of 30 days left
  const c = await srv.api('POST', `${subsPath(T)}/${s.id}/cancel`, { token: T.tok.billing_admin });
  assert.equal(c.status, 200, `case cancel: got ${c.status} ${c.text}`);
  // credit note: -round_half_up(6000 x 20 / 30) = -4000
  expectFields(await billing(srv, T), { balance: -4000, credit: 4000 }, 'credit after the cancel');
  await buy(srv, T, { plan: 'biz-basic', quantity: 5 }); // 3000: all of it from the credit
  let b = await billing(srv, T);
  assert.equal(b.payments.length, 1, `case no card charge while the credit covers it: got ${JSON.stringify(b.payments)}`);
  expectFields(b, { balance: -1000, credit: 1000 }, 'credit left');
  await buy(srv, T, { plan: 'biz-basic', quantity: 5 }); // 3000: 1000 from the credit, 2000 charged
  b = await billing(srv, T);
  assert.equal(b.payments.length, 2, `case one more card charge: got ${JSON.stringify(b.payments)}`);
  expectFields(b.payments.at(-1), { amount: 2000 }, 'card charge net of the credit');
  expectFields(b, { balance: 0, credit: 0, past_due: 0 }, 'all paid');
});

test('audit: a payment is audited with its amount', async () => {
  await setClock(srv, '2026-11-02T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Audit Pay', payment: 'invoice', credit_limit: 10000000 });
  const p = await pay(T, '{"amount":1234}');
  assert.equal(p.status, 201, `case payment: got ${p.status} ${p.text}`);
  const rows = (await audit(T)).filter((x) => x.action === 'billing.payment');
  assert.equal(rows.length, 1, `case billing.payment rows: got ${JSON.stringify(rows)}`);
  assert.equal(rows[0].object, p.json.payment.id, `case audited object: got ${JSON.stringify(rows[0])}`);
  assert.match(JSON.stringify(rows[0]), /1234/, `case audited amount: got ${JSON.stringify(rows[0])}`);
});

test('audit: an incident opened and resolved leaves two system-wide audit rows (tenant 0)', async () => {
  const inc = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'voice', status: 'degraded', title: 'audit me' } });
  assert.equal(inc.status, 201, `case incident: got ${inc.status} ${inc.text}`);
  const res = await srv.api('POST', `/v1/service-health/incidents/${inc.json.id}/resolve`);
  assert.equal(res.status, 200, `case resolve: got ${res.status} ${res.text}`);
  const rows = storeSql(srv.db, `SELECT action FROM audit WHERE tenant_id = 0 AND object = '${inc.json.id}' ORDER BY id`);
  assert.deepEqual(rows.split('\n'), ['incident.open', 'incident.resolve'], `case incident audit rows: got ${JSON.stringify(rows)}`);
});
