// 73-manual-by-seat: manual changes by seat (RULES second part, "Manual
// changes by seat"): `users` moves only those users to a new subscription of
// the target (the source keeps the others, its quantity down and credited);
// `into` moves everyone into another live subscription (its quantity rises,
// charged pro rata; the source ends replaced), which is how two plans of one
// product become one; users who already hold a seat of the target's product
// keep it and are listed in license_errors, in the preview and the operation.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, tenantWithTokens, setClock, expectError } from './harness.mjs';
import { codes, expectFields, buy, seatUsers, assignSeat, getSub, seats, tab, change, state, billing } from './tenant-calls.mjs';

let srv; // --clock manual

before(async () => {
  [srv] = await startServers([{ args: ['--clock', 'manual'] }]);
  await setClock(srv, '2026-11-11T00:00:00Z');
});

after(async () => {
  const exits = await stopServers([srv]);
  assert.deepEqual(exits, [0], `case exit codes: got ${exits}, want 0; stderr:\n${srv.stderr.slice(-2000)}`);
});

const swPreview = (T, sub, body) =>
  srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${sub}/switch/preview`, { token: T.tok.reader, body });
const total = (b) => b.invoices.reduce((x, i) => x + i.amount, 0);

test('users: only those move to a new subscription ending with the source term; one who holds the target product keeps it', async () => {
  const T = await tenantWithTokens(srv, { name: 'Some Users Org', credit_limit: 10000000 });
  const src = (await buy(srv, T, { plan: 'biz-basic', quantity: 6 })).id;
  const [u0, u1, u2, u3] = await seatUsers(srv, T, src, 4, 'su');
  const ent = (await buy(srv, T, { plan: 'ent-e5', quantity: 1 })).id;
  await assignSeat(srv, T, ent, u3); // u3 already holds an Enterprise seat
  await setClock(srv, '2026-11-20T00:00:00Z');
  const body = { target_plan: 'ent-e3', users: [u0, u1, u3] };

  const p = await swPreview(T, src, body);
  assert.equal(p.status, 200, `case preview: got ${p.status} ${p.text}`);
  expectFields(p.json, { allowed: true, quantity: 2 }, 'the preview (a seat for each user who moves)');
  assert.deepEqual(p.json.license_errors.map((e) => [e.user, e.code, e.subscription]), [[u3, 'already_licensed', ent]],
    `case the preview lists who keeps a license: ${JSON.stringify(p.json.license_errors)}`);
  assert.equal(p.json.users.count, 2, 'case two users move');
  assert.deepEqual(p.json.addons, [], 'case no add-on involved');
  assert.ok(p.json.period.credit > 0 && p.json.period.charge > 0, `case credit and charge: ${JSON.stringify(p.json.period)}`);

  const b0 = await billing(srv, T);
  const r = await change(srv, T, src, body);
  assert.equal(r.status, 201, `case switch some users: got ${r.status} ${r.text}`);
  expectFields(r.json, { state: 'completed', source: src, target_plan: 'ent-e3', quantity: 2, target_subscription: null }, 'the operation');
  assert.deepEqual(r.json.license_errors.map((e) => [e.user, e.code, e.subscription]), [[u3, 'already_licensed', ent]],
    'case the operation lists who kept a license');
  assert.equal(r.json.result.moved, 2, 'case two moved');
  const neu = r.json.new_subscription;
  const s0 = await getSub(srv, T, src);
  const s1 = await getSub(srv, T, neu);
  expectFields(s0, { status: 'active', quantity: 3, assigned: 1 }, 'the source keeps the others, 3 seats fewer');
  expectFields(s1, { plan: 'ent-e3', status: 'active', quantity: 2, assigned: 2, term_end: s0.term_end }, 'the new subscription');
  assert.deepEqual(await seats(srv, T, src), [u2], 'case the source keeps u2');
  assert.deepEqual(await seats(srv, T, neu), [u0, u1].sort(), 'case u0 and u1 moved');
  assert.deepEqual(await seats(srv, T, ent), [u3], 'case u3 keeps the Enterprise seat');
  const b1 = await billing(srv, T);
  assert.equal(total(b1) - total(b0), p.json.period.charge - p.json.period.credit,
    `case the money is the preview's: got ${total(b1) - total(b0)}, want ${p.json.period.net}`);
});

test('users: refusals name the field and change nothing', async () => {
  const T = await tenantWithTokens(srv, { name: 'Bad Users Org', credit_limit: 10000000 });
  const src = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
  const other = (await buy(srv, T, { plan: 'mail-p1', quantity: 1 })).id;
  const [u0] = await seatUsers(srv, T, src, 2, 'bu');
  const [stranger] = await seatUsers(srv, T, other, 1, 'st');
  const before = await state(srv, T);
  expectError(await change(srv, T, src, { target_plan: 'biz-standard', users: [stranger] }), 400, 'invalid_field', 'users', 'a user without a seat here');
  expectError(await change(srv, T, src, { target_plan: 'biz-standard', users: 'usr_1' }), 400, 'invalid_field', 'users', 'users not an array');
  expectError(await change(srv, T, src, { target_plan: 'biz-standard', users: [] }), 400, 'invalid_field', 'users', 'no users');
  expectError(await change(srv, T, src, { target_plan: 'biz-standard', users: ['sub_1'] }), 400, 'invalid_field', 'users', 'not a user id');
  expectError(await change(srv, T, src, { target_plan: 'biz-standard', users: [u0], quantity: 0 }), 400, 'invalid_field', 'quantity', 'quantity 0');
  expectError(await change(srv, T, src, { target_plan: 'biz-standard', users: [u0], into: other }), 400, 'invalid_field', 'users', 'users with into');
  expectError(await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${src}/upgrade`, { token: T.tok.billing_admin,
    body: { target_plan: 'biz-standard', users: [u0] } }), 400, 'invalid_field', 'users', 'users on the upgrade');
  expectError(await swPreview(T, src, { target_plan: 'biz-standard', users: [stranger] }), 400, 'invalid_field', 'users', 'the preview says the same');
  assert.deepEqual(await state(srv, T), before, 'case nothing changed');
});

test('into: two plans of one product become one; the tab links the merge; quantity rises, charged pro rata; the source ends replaced', async () => {
  const T = await tenantWithTokens(srv, { name: 'Merge Org', credit_limit: 10000000 });
  const a = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
  const b = (await buy(srv, T, { plan: 'biz-standard', quantity: 3 })).id;
  const ua = await seatUsers(srv, T, a, 3, 'ma');
  const ub = await seatUsers(srv, T, b, 2, 'mb');
  await setClock(srv, '2026-11-25T00:00:00Z');
  const t0 = await tab(srv, T, a);
  const mp = t0.reasons.find((x) => x.code === 'multiple_plans_same_product');
  assert.ok(mp, `case two plans of one product: ${JSON.stringify(codes(t0.reasons))}`);
  const manual = mp.remedies.find((x) => x.action === 'change_plans_manually');
  assert.equal(manual.href, `/v1/tenants/${T.id}/subscriptions/${a}/switch?into=${b}`, 'case the remedy links the merge into the other');

  const p = await swPreview(T, a, { into: b });
  assert.equal(p.status, 200, `case preview into: got ${p.status} ${p.text}`);
  expectFields(p.json, { allowed: true, target_plan: 'biz-standard', quantity: 5 }, 'the preview: 2 more seats');
  assert.ok(p.json.period.charge > 0 && p.json.period.credit > 0, `case money: ${JSON.stringify(p.json.period)}`);
  const b0 = await billing(srv, T);
  const r = await change(srv, T, a, { into: b });
  assert.equal(r.status, 201, `case merge: got ${r.status} ${r.text}`);
  expectFields(r.json, { state: 'completed', new_subscription: b, target_subscription: b, quantity: 5, license_errors: [] }, 'the operation');
  expectFields(await getSub(srv, T, a), { status: 'replaced', replaced_by: b, assigned: 0 }, 'the source');
  expectFields(await getSub(srv, T, b), { status: 'active', quantity: 5, assigned: 5 }, 'the subscription merged into');
  assert.deepEqual(await seats(srv, T, b), [...ua, ...ub].sort(), 'case everyone on one plan');
  const b1 = await billing(srv, T);
  assert.equal(total(b1) - total(b0), p.json.period.charge - p.json.period.credit, 'case the money is the preview\'s');
  const t1 = await tab(srv, T, b);
  assert.ok(!codes(t1.reasons).includes('multiple_plans_same_product'), `case cleared: ${JSON.stringify(codes(t1.reasons))}`);
});

test('into: refusals (itself, an ended subscription, with target_plan or quantity) change nothing', async () => {
  const T = await tenantWithTokens(srv, { name: 'Bad Into Org', credit_limit: 10000000 });
  const a = (await buy(srv, T, { plan: 'biz-basic', quantity: 2 })).id;
  const gone = (await buy(srv, T, { plan: 'biz-standard', quantity: 1 })).id;
  await seatUsers(srv, T, a, 1, 'bi');
  const c = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${gone}/cancel`, { token: T.tok.billing_admin });
  assert.equal(c.status, 200, `case cancel: ${c.text}`);
  const before = await state(srv, T);
  expectError(await change(srv, T, a, { into: a }), 400, 'invalid_field', 'into', 'into itself');
  expectError(await change(srv, T, a, { into: 'sub_999999' }), 400, 'invalid_field', 'into', 'into nothing');
  expectError(await change(srv, T, a, { into: gone }), 409, 'conflict', 'into', 'into a cancelled subscription');
  expectError(await change(srv, T, a, { into: gone, target_plan: 'biz-standard' }), 400, 'invalid_field', 'into', 'into with target_plan');
  const live = (await buy(srv, T, { plan: 'biz-standard', quantity: 1 })).id;
  const mid = await state(srv, T);
  expectError(await change(srv, T, a, { into: live, quantity: 9 }), 400, 'invalid_field', 'quantity', 'into with quantity');
  assert.deepEqual((await state(srv, T)).subs, mid.subs, 'case nothing changed');
  assert.equal(before.subs.length + 1, mid.subs.length);
});

test('users, over the credit limit: the move waits on a credit check and, approved, moves exactly those users', async () => {
  // A limit of €100 a month: 5 Business Basic seats (€30) fit, 3 Enterprise E5 seats (€171) do not.
  const T = await tenantWithTokens(srv, { name: 'Credit Users Org', credit_limit: 10000 });
  const src = (await buy(srv, T, { plan: 'biz-basic', quantity: 5 })).id;
  const users = await seatUsers(srv, T, src, 4, 'cu');
  const body = { target_plan: 'ent-e5', users: [users[1], users[2]], quantity: 3 };
  const p = await swPreview(T, src, body);
  assert.equal(p.status, 200, `case preview: ${p.text}`);
  assert.equal(p.json.credit_check.needed, true, `case the preview says a credit check: ${JSON.stringify(p.json.credit_check)}`);
  const r = await change(srv, T, src, body);
  assert.equal(r.status, 202, `case waits: got ${r.status} ${r.text}`);
  expectFields(r.json, { state: 'pending_credit_check' }, 'the operation');
  assert.deepEqual(await seats(srv, T, src), [...users].sort(), 'case nothing moved yet');
  const d = await srv.api('POST', `/v1/credit-checks/${r.json.credit_check}/decision`, { body: { approved: true } });
  assert.equal(d.status, 200, `case approve: ${d.text}`);
  const op = (await srv.api('GET', `/v1/tenants/${T.id}/operations/${r.json.id}`, { token: T.tok.reader })).json;
  expectFields(op, { state: 'completed', quantity: 3 }, 'the operation, approved');
  assert.deepEqual(await seats(srv, T, op.new_subscription), [users[1], users[2]].sort(), 'case exactly those users moved');
  expectFields(await getSub(srv, T, src), { status: 'active', quantity: 3, assigned: 2 }, 'the source');
  expectFields(await getSub(srv, T, op.new_subscription), { plan: 'ent-e5', quantity: 3, assigned: 2 }, 'the new subscription');
});
