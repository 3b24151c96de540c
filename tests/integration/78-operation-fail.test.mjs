// 78-operation-fail: an operation always ends (RULES second part): the
// provider fails an unfinished upgrade (POST .../operations/{o}/fail), or
// disables its new subscription, and the upgrade is undone in one
// transaction: seats back, the source active with its quantity, the new
// subscription cancelled, credit and charge netting to zero, audited; the
// tenant's other subscriptions are no longer blocked. The demo's Woodgrove.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, tenantWithTokens, setClock, expectError, until } from './harness.mjs';
import { codes, expectFields, buy, seatUsers, getSub, list, seats, tab, upgrade, billing, demoTenant } from './tenant-calls.mjs';

let srv; // --clock manual --provisioning manual
let demo;

before(async () => {
  [srv, demo] = await startServers([{ args: ['--clock', 'manual', '--provisioning', 'manual'] }, { demo: true }]);
  await setClock(srv, '2026-11-11T00:00:00Z');
});

after(async () => {
  const exits = await stopServers([srv, demo]);
  assert.deepEqual(exits, [0, 0], `case exit codes: got ${exits}, want 0 0; stderr:\n${srv.stderr.slice(-2000)}\n${demo.stderr.slice(-2000)}`);
});

const opPath = (T, o) => `/v1/tenants/${T.id}/operations/${o}`;
const setStatus = (s, T, sub, status) => s.api('PUT', `/v1/tenants/${T.id}/subscriptions/${sub}/status`, { body: { status } });

// A tenant with an active biz-basic of 3 seats (2 held) and an active
// mail-p1, and an upgrade of the biz-basic waiting in provisioning.
async function provisioningUpgrade(name) {
  const T = await tenantWithTokens(srv, { name, credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
  assert.equal((await setStatus(srv, T, s, 'active')).status, 200, 'case activate');
  const other = (await buy(srv, T, { plan: 'mail-p1', quantity: 1 })).id;
  assert.equal((await setStatus(srv, T, other, 'active')).status, 200, 'case activate the other');
  const users = await seatUsers(srv, T, s, 2, name.slice(0, 3).toLowerCase());
  await setClock(srv, '2026-11-20T00:00:00Z');
  const before = await billing(srv, T);
  const up = await upgrade(srv, T, s, { target_plan: 'biz-standard' });
  assert.equal(up.status, 202, `case upgrade in provisioning: got ${up.status} ${up.text}`);
  expectFields(up.json, { state: 'provisioning' }, 'the upgrade');
  assert.ok(codes((await tab(srv, T, other)).reasons).includes('upgrade_in_progress'), 'case the other subscription is blocked');
  await setClock(srv, '2026-11-21T00:00:00Z');
  return { T, s, other, users, op: up.json, before };
}

async function expectUndone({ T, s, other, users, op, before }, failure, name) {
  const o = await srv.api('GET', opPath(T, op.id), { token: T.tok.reader });
  expectFields(o.json, { state: 'failed' }, `${name}: the operation`);
  assert.equal(o.json.result.failure, failure, `case ${name}: failure got ${JSON.stringify(o.json.result)}`);
  expectFields(await getSub(srv, T, s), { status: 'active', quantity: 3, assigned: 2, replaced_by: null }, `${name}: the source`);
  assert.deepEqual(await seats(srv, T, s), [...users].sort(), `case ${name}: seats back`);
  expectFields(await getSub(srv, T, op.new_subscription), { status: 'cancelled', assigned: 0 }, `${name}: the new subscription`);
  const after = await billing(srv, T);
  const sum = (b) => b.invoices.reduce((a, i) => a + i.amount, 0);
  assert.equal(sum(after), sum(before), `case ${name}: credit and charge net to zero: got ${JSON.stringify(after.invoices)}`);
  assert.ok(!codes((await tab(srv, T, other)).reasons).includes('upgrade_in_progress'), `case ${name}: the other subscription is free`);
  const audit = await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`, { token: T.tok.global_admin });
  assert.ok(audit.json.items.some((a) => a.action === 'operation.fail'), `case ${name}: audited`);
}

test('POST .../operations/{o}/fail undoes a provisioning upgrade', async () => {
  const u = await provisioningUpgrade('Fail Org');
  for (const role of ['global_admin', 'billing_admin']) {
    expectError(await srv.api('POST', `${opPath(u.T, u.op.id)}/fail`, { token: u.T.tok[role], body: {} }), 403, 'forbidden',
      undefined, `fail as ${role}`);
  }
  const r = await srv.api('POST', `${opPath(u.T, u.op.id)}/fail`, { body: { reason: 'the mailboxes did not migrate' } });
  assert.equal(r.status, 200, `case fail: got ${r.status} ${r.text}`);
  expectFields(r.json, { state: 'failed' }, 'the answer');
  await expectUndone(u, 'failed_by_provider', 'fail');
  // The operator's reason is kept: in the operation's result and its audit row.
  assert.equal(r.json.result.message, 'the mailboxes did not migrate', `case the reason in the result: ${JSON.stringify(r.json.result)}`);
  const audit = (await srv.api('GET', `/v1/tenants/${u.T.id}/audit?limit=500`)).json.items.filter((a) => a.action === 'operation.fail' && a.object === u.op.id);
  assert.equal(audit.length, 1, 'case one operation.fail audit row');
  assert.equal(JSON.parse(typeof audit[0].detail === 'string' ? audit[0].detail : JSON.stringify(audit[0].detail)).message,
    'the mailboxes did not migrate', `case the reason in the audit row: ${JSON.stringify(audit[0])}`);
  expectError(await srv.api('POST', `${opPath(u.T, u.op.id)}/fail`, { body: {} }), 409, 'conflict', 'state', 'fail twice');
  expectError(await srv.api('POST', `${opPath(u.T, 'op_999999')}/fail`, { body: {} }), 404, 'not_found', undefined, 'no such operation');
  // The source upgrades again.
  const again = await upgrade(srv, u.T, u.s, { target_plan: 'biz-standard' });
  assert.equal(again.status, 202, `case upgrade again: got ${again.status} ${again.text}`);
});

test('disabling the new subscription of a provisioning upgrade fails it and undoes it', async () => {
  const u = await provisioningUpgrade('Disabled Org');
  const r = await setStatus(srv, u.T, u.op.new_subscription, 'disabled');
  assert.equal(r.status, 200, `case disable: got ${r.status} ${r.text}`);
  await expectUndone(u, 'provisioning_failed', 'disable');
});

test('the demo\'s Woodgrove has a way out', async () => {
  const wg = await tenantWithTokens(demo, {}, demoTenant(demo, 'Woodgrove Bank'));
  const ops = await list(demo, wg, '/operations');
  const stuck = ops.find((o) => o.state === 'provisioning' || o.state === 'pending_credit_check');
  assert.ok(stuck, `case Woodgrove has an unfinished operation: got ${JSON.stringify(ops)}`);
  const r = await demo.api('POST', `${opPath(wg, stuck.id)}/fail`, { body: { reason: 'provisioning failed' } });
  assert.equal(r.status, 200, `case fail Woodgrove's operation: got ${r.status} ${r.text}`);
  for (const s of await list(demo, wg, '/subscriptions')) {
    const t = await tab(demo, wg, s.id);
    assert.ok(!codes(t.reasons).includes('upgrade_in_progress'), `case ${s.id} no longer blocked: ${JSON.stringify(codes(t.reasons))}`);
  }
});

test('failing a switch that cancelled an add-on revives it: attached to the source, its seats back, money netting to zero', async () => {
  const T = await tenantWithTokens(srv, { name: 'Revive Org', credit_limit: 10000000 });
  await setClock(srv, '2026-11-11T00:00:00Z');
  const s = (await buy(srv, T, { plan: 'biz-standard', quantity: 2 })).id;
  assert.equal((await setStatus(srv, T, s, 'active')).status, 200, 'case activate');
  const users = await seatUsers(srv, T, s, 2, 'rv');
  const addon = (await buy(srv, T, { plan: 'voice-addon', quantity: 1, addon_of: s })).id;
  assert.equal((await setStatus(srv, T, addon, 'active')).status, 200, 'case activate the add-on');
  const a = await srv.api('PUT', `/v1/tenants/${T.id}/subscriptions/${addon}/assignments/${users[0]}`, { token: T.tok.license_admin });
  assert.equal(a.status, 201, `case add-on seat: ${a.text}`);
  await setClock(srv, '2026-11-20T00:00:00Z');
  const before = await billing(srv, T);
  const sw = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s}/switch`, { token: T.tok.billing_admin,
    body: { target_plan: 'ent-e5', acknowledge_addons: true } });
  assert.ok(sw.status === 201 || sw.status === 202, `case switch: got ${sw.status} ${sw.text}`);
  expectFields(sw.json, { state: 'provisioning' }, 'the switch');
  expectFields(await getSub(srv, T, addon), { status: 'cancelled', assigned: 0 }, 'the add-on, cancelled by the switch');
  await setClock(srv, '2026-11-21T00:00:00Z');
  const r = await srv.api('POST', `${opPath(T, sw.json.id)}/fail`, { body: { reason: 'no' } });
  assert.equal(r.status, 200, `case fail: got ${r.status} ${r.text}`);
  expectFields(await getSub(srv, T, s), { status: 'active', quantity: 2, assigned: 2 }, 'the source');
  expectFields(await getSub(srv, T, addon), { status: 'active', addon_of: s, assigned: 1 }, 'the add-on, revived');
  assert.deepEqual(await seats(srv, T, addon), [users[0]], 'case the add-on seat back');
  const after = await billing(srv, T);
  const sum = (b) => b.invoices.reduce((x, i) => x + i.amount, 0);
  assert.equal(sum(after), sum(before), `case credit and charge net to zero: got ${JSON.stringify(after.invoices)}`);
});

test('failing a switch of some users undoes it: their seats back, the source\'s quantity as it was, money netting to zero', async () => {
  const T = await tenantWithTokens(srv, { name: 'Partial Fail Org', credit_limit: 10000000 });
  await setClock(srv, '2026-11-11T00:00:00Z');
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 4 })).id;
  assert.equal((await setStatus(srv, T, s, 'active')).status, 200, 'case activate');
  const users = await seatUsers(srv, T, s, 3, 'pf');
  await setClock(srv, '2026-11-20T00:00:00Z');
  const before = await billing(srv, T);
  const sw = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s}/switch`, { token: T.tok.billing_admin,
    body: { target_plan: 'biz-premium', users: users.slice(0, 2) } });
  assert.equal(sw.status, 202, `case switch of some users in provisioning: got ${sw.status} ${sw.text}`);
  expectFields(sw.json, { state: 'provisioning' }, 'the switch');
  expectFields(await getSub(srv, T, s), { status: 'active', quantity: 2, assigned: 1 }, 'the source while it provisions');
  const r = await srv.api('POST', `${opPath(T, sw.json.id)}/fail`, { body: { reason: 'no' } });
  assert.equal(r.status, 200, `case fail: got ${r.status} ${r.text}`);
  expectFields(await getSub(srv, T, s), { status: 'active', quantity: 4, assigned: 3 }, 'the source as it was');
  assert.deepEqual(await seats(srv, T, s), [...users].sort(), 'case every seat back');
  expectFields(await getSub(srv, T, sw.json.new_subscription), { status: 'cancelled', assigned: 0 }, 'the new subscription');
  const after = await billing(srv, T);
  const sum = (b) => b.invoices.reduce((x, i) => x + i.amount, 0);
  assert.equal(sum(after), sum(before), `case credit and charge net to zero: got ${JSON.stringify(after.invoices)}`);
});

test('failing a scheduled cancellation at term end calls it off: cancel_at cleared, events written, the subscription renewed at its term end', async () => {
  await setClock(srv, '2027-01-05T00:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Fail Cancel Org', credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 1 })).id;
  assert.equal((await setStatus(srv, T, s, 'active')).status, 200, 'case activate');
  const c = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(c.status, 200, `case cancellation at term end: got ${c.status} ${c.text}`);
  const termEnd = c.json.cancel_at;
  assert.ok(termEnd, `case cancel_at set: ${c.text}`);
  const r = await srv.api('POST', `${opPath(T, c.json.scheduled)}/fail`, { body: { reason: 'the customer stays' } });
  assert.equal(r.status, 200, `case fail the scheduled cancellation: got ${r.status} ${r.text}`);
  expectFields(r.json, { state: 'failed', type: 'cancel' }, 'the answer');
  expectFields(await getSub(srv, T, s), { status: 'active', cancel_at: null, scheduled: null }, 'the subscription, no longer cancelled at term end');
  // The change's events: the operation failed and the subscription without its cancel_at.
  let ev = [];
  await until(async () => {
    ev = (await srv.api('GET', `/v1/tenants/${T.id}/events?limit=100`, { token: T.tok.global_admin })).json.items;
    return ev.some((e) => e.type === 'operation.updated' && e.data.state === 'failed');
  }, 20000, 'the failed operation\'s event');
  const subEv = ev.filter((e) => e.type === 'subscription.updated' && e.data.id === s);
  assert.equal(subEv.at(-1)?.data.cancel_at, null, `case subscription.updated without cancel_at: ${JSON.stringify(subEv.map((e) => e.data.cancel_at))}`);
  // Past the term end the job runner renews it instead of ending it.
  await setClock(srv, new Date(Date.parse(termEnd) + 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const after = await getSub(srv, T, s);
  assert.equal(after.status, 'active', `case still active past its term end: ${JSON.stringify(after)}`);
  assert.ok(Date.parse(after.term_end) > Date.parse(termEnd), `case renewed: term_end ${after.term_end} after ${termEnd}`);
});
