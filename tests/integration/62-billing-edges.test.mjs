// 62-billing-edges: the edges of money and of idempotency (issue 11): a key
// is bound to the request's meaning (method, path, canonical JSON), only a
// change is kept under it; amounts that would overflow are refused naming
// the field; the credit limit covers seat increases; the money cases the
// mutation review found untested (at the limit exactly, due exactly now,
// periods after a clock jump, a card charge net of credit, oldest_due,
// audit rows). Against the real daemon with --clock manual.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, tenantWithTokens, setClock, expectError } from './harness.mjs';
import { DAY, plus, expectFields, buy, billing, getSub, subsPath } from './tenant-calls.mjs';

let srv;

before(async () => {
  [srv] = await startServers([{ args: ['--clock', 'manual'] }]);
});

after(async () => {
  await stopServers([srv]);
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
