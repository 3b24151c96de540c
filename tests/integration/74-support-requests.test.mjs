// 74-support-requests: the call_support remedy: a tenant's admins open
// support requests naming reason codes, its readers list them, the
// provider's support role sees every tenant's, over HTTP against the real daemon.
import assert from 'node:assert/strict';
import { test, before, after, startServer, tenantWithTokens, supportToken, setClock, expectError } from './harness.mjs';
import { expectFields, buy } from './tenant-calls.mjs';

let srv; // --clock manual

before(async () => {
  srv = await startServer({ args: ['--clock', 'manual'] });
});

// The daemon stops cleanly (exit 0: no leak or memory error reported).
after(async () => {
  const code = await srv?.stop();
  assert.equal(code, 0, `case exit code: got ${code}, want 0; stderr:\n${srv?.stderr.slice(-4000)}`);
});

// ---- support requests --------------------------------------------------------------------

test('support requests: billing_admin opens one with reason codes; readers list them; support sees every tenant\'s', async () => {
  await setClock(srv, '2026-11-11T00:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Support Org' });
  const U = await tenantWithTokens(srv, { name: 'Support Org 2' });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 1 })).id;
  const su = (await buy(srv, U, { plan: 'mail-p1', quantity: 1 })).id;
  const path = (X) => `/v1/tenants/${X.id}/support-requests`;
  const body = { subscription: s, reason_codes: ['license_conflict', 'has_addon'], description: 'Why can I not upgrade?' };
  const r = await srv.api('POST', path(T), { token: T.tok.billing_admin, body });
  assert.equal(r.status, 201, `case open support request: got ${r.status} ${r.text}, want 201`);
  assert.match(r.json.id, /^sr_[1-9]\d*$/, `case support request id: got ${r.json.id}`);
  expectFields(r.json, { subscription: s, reason_codes: ['license_conflict', 'has_addon'], description: body.description }, 'support request');
  const r2 = await srv.api('POST', path(U), { token: U.tok.global_admin,
    body: { subscription: su, reason_codes: ['unpaid_balance'], description: 'Paid already' } });
  assert.equal(r2.status, 201, `case second tenant's request: got ${r2.status} ${r2.text}`);

  for (const [name, b] of [['unknown code', { ...body, reason_codes: ['nope'] }], ['not an array', { ...body, reason_codes: 'license_conflict' }],
    ['a number', { ...body, reason_codes: [1] }]]) {
    expectError(await srv.api('POST', path(T), { token: T.tok.billing_admin, body: b }), 400, 'invalid_field', 'reason_codes',
      `support request with ${name}`);
  }
  for (const role of ['reader', 'license_admin']) {
    expectError(await srv.api('POST', path(T), { token: T.tok[role], body }), 403, 'forbidden', undefined, `open as ${role}`);
  }
  const mine = await srv.api('GET', path(T), { token: T.tok.reader });
  assert.equal(mine.status, 200, `case list as reader: got ${mine.status} ${mine.text}`);
  assert.deepEqual(mine.json.items.map((x) => x.id), [r.json.id], `case reader's list: got ${mine.text}`);
  expectError(await srv.api('GET', path(T), { token: U.tok.reader }), 404, 'not_found', undefined, 'another tenant\'s requests');

  const support = supportToken(srv);
  const all = await srv.api('GET', '/v1/support-requests?limit=500', { token: support });
  assert.equal(all.status, 200, `case support lists every request: got ${all.status} ${all.text}`);
  const ids = all.json.items.map((x) => x.id);
  for (const id of [r.json.id, r2.json.id]) assert.ok(ids.includes(id), `case support list: got ${JSON.stringify(ids)}, want ${id}`);
  const one = await srv.api('GET', path(T), { token: support });
  assert.deepEqual(one.json?.items?.map((x) => x.id), [r.json.id], `case support reads one tenant's: got ${one.text}`);
  for (const [role, token] of Object.entries(T.tok)) {
    expectError(await srv.api('GET', '/v1/support-requests', { token }), 403, 'forbidden', undefined, `/v1/support-requests as ${role}`);
  }
});
