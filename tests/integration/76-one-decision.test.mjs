// 76-one-decision: the Upgrade tab, the previews and the executions decide
// from one function (RULES second part, "One decision"): whatever the
// execution would refuse is a reason the tab or the preview shows first;
// per-target multiple_plans_same_product, ended subscriptions, add-on
// outcomes, a replaced subscription's tab.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, tenantWithTokens, setClock, expectError } from './harness.mjs';
import { codes, expectFields, buy, seatUsers, assignSeat, getSub, list, seats, tab, upgrade, preview, change, state, billing } from './tenant-calls.mjs';

let srv; // --clock manual

before(async () => {
  [srv] = await startServers([{ args: ['--clock', 'manual'] }]);
  await setClock(srv, '2026-11-11T00:00:00Z');
});

after(async () => {
  const exits = await stopServers([srv]);
  assert.deepEqual(exits, [0], `case exit codes: got ${exits}, want 0; stderr:\n${srv.stderr.slice(-2000)}`);
});

const setStatus = (T, sub, status) =>
  srv.api('PUT', `/v1/tenants/${T.id}/subscriptions/${sub}/status`, { body: { status } });

const assign = (T, sub, user) => assignSeat(srv, T, sub, user);

// ---- per target: multiple_plans_same_product ----------------------------------------

test('Mail Plan 1 -> Business Basic while a user holds a Business seat: tab, preview and upgrade agree, naming the user', async () => {
  const T = await tenantWithTokens(srv, { name: 'Seat Holder Org', credit_limit: 10000000 });
  const mail = (await buy(srv, T, { plan: 'mail-p1', quantity: 3 })).id;
  const [u0, u1] = await seatUsers(srv, T, mail, 2, 'm');
  const biz = (await buy(srv, T, { plan: 'biz-basic', quantity: 2 })).id;
  await assign(T, biz, u0);
  const t = await tab(srv, T, mail);
  const offer = t.offers.find((o) => o.plan === 'biz-basic');
  assert.ok(offer, `case mail-p1 offers: got ${JSON.stringify(t.offers.map((o) => o.plan))}`);
  assert.equal(offer.eligible, false, `case biz-basic offer eligible: got ${JSON.stringify(offer)}`);
  assert.deepEqual(codes(offer.reasons), ['multiple_plans_same_product'], `case biz-basic offer reasons`);
  assert.deepEqual(offer.reasons[0].details.subscriptions.map((x) => x.subscription), [biz], 'case offer names the holder');
  assert.deepEqual(offer.reasons[0].remedies.map((x) => x.action), ['change_plans_manually', 'call_support'], 'case remedies');
  const mp2 = t.offers.find((o) => o.plan === 'mail-p2');
  assert.equal(mp2.eligible, true, `case mail-p2 still eligible: got ${JSON.stringify(mp2)}`);
  const p = await preview(srv, T, mail, { target_plan: 'biz-basic' });
  assert.equal(p.status, 200, `case preview: got ${p.status} ${p.text}`);
  expectFields(p.json, { allowed: false }, 'preview mail-p1 -> biz-basic');
  assert.deepEqual(codes(p.json.reasons), ['multiple_plans_same_product'], 'case preview reasons');
  const before = await state(srv, T);
  const r = await upgrade(srv, T, mail, { target_plan: 'biz-basic' });
  expectError(r, 409, 'upgrade_blocked', undefined, 'upgrade mail-p1 -> biz-basic');
  assert.deepEqual(codes(r.json.error.reasons), ['multiple_plans_same_product'], 'case refusal reasons');
  assert.deepEqual(r.json.error.reasons[0].details.users, [u0], 'case the refusal names the user');
  assert.deepEqual(await state(srv, T), before, 'case the refusal changed something');
  // The manual change: the user who holds a Business seat keeps it and is
  // listed; everyone else moves (RULES "Manual changes by seat").
  const sp = await preview(srv, T, mail, { target_plan: 'biz-basic', kind: 'switch', acknowledge_data_loss: true });
  expectFields(sp.json, { allowed: true }, 'switch preview mail-p1 -> biz-basic');
  assert.deepEqual(sp.json.license_errors.map((e) => [e.user, e.code]), [[u0, 'already_licensed']], 'case preview license_errors');
  const sw = await change(srv, T, mail, { target_plan: 'biz-basic', acknowledge_data_loss: true });
  assert.equal(sw.status, 201, `case switch: got ${sw.status} ${sw.text}`);
  assert.deepEqual(sw.json.license_errors.map((e) => [e.user, e.code]), [[u0, 'already_licensed']], 'case switch license_errors');
  const neu = sw.json.new_subscription;
  assert.deepEqual(await seats(srv, T, neu), [u1], 'case the other user moved');
  assert.deepEqual(await seats(srv, T, biz), [u0], 'case the holder kept the seat');
  assert.deepEqual(await seats(srv, T, mail), [], 'case the old subscription is empty');
});

test('a live subscription of the target product without seats also blocks that target only', async () => {
  const T = await tenantWithTokens(srv, { name: 'Two Products Org', credit_limit: 10000000 });
  const mail = (await buy(srv, T, { plan: 'mail-p1', quantity: 2 })).id;
  await seatUsers(srv, T, mail, 1, 'n');
  const biz = (await buy(srv, T, { plan: 'biz-standard', quantity: 1 })).id;
  const t = await tab(srv, T, mail);
  const offer = t.offers.find((o) => o.plan === 'biz-basic');
  expectFields(offer, { eligible: false }, 'biz-basic offer');
  assert.deepEqual(codes(offer.reasons), ['multiple_plans_same_product'], 'case biz-basic offer reasons');
  assert.deepEqual(offer.reasons[0].details.subscriptions.map((x) => x.subscription), [biz], 'case holder');
  expectError(await upgrade(srv, T, mail, { target_plan: 'biz-basic' }), 409, 'upgrade_blocked', undefined, 'upgrade');
  const ok = await upgrade(srv, T, mail, { target_plan: 'mail-p2' });
  assert.equal(ok.status, 201, `case the other target still upgrades: got ${ok.status} ${ok.text}`);
});

// ---- ended subscriptions ---------------------------------------------------------------

for (const status of ['expired', 'disabled']) {
  test(`an ${status} subscription: the switch preview and the switch agree; the users move, it stays ${status}, nothing credited`, async () => {
    const T = await tenantWithTokens(srv, { name: `Ended ${status} Org`, credit_limit: 10000000 });
    const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
    const users = await seatUsers(srv, T, s, 2, status.slice(0, 2));
    assert.equal((await setStatus(T, s, status)).status, 200, `case ${status}`);
    const p = await preview(srv, T, s, { target_plan: 'biz-standard', kind: 'switch' });
    assert.equal(p.status, 200, `case preview: got ${p.status} ${p.text}`);
    expectFields(p.json, { allowed: true }, `switch preview of an ${status} subscription`);
    assert.equal(p.json.period.credit, 0, `case nothing credited for an ${status} subscription: got ${JSON.stringify(p.json.period)}`);
    const b0 = await billing(srv, T);
    const r = await change(srv, T, s, { target_plan: 'biz-standard' });
    assert.equal(r.status, 201, `case switch of an ${status} subscription: got ${r.status} ${r.text}`);
    const neu = r.json.new_subscription;
    expectFields(await getSub(srv, T, s), { status, assigned: 0 }, `the ${status} subscription stays ${status}`);
    assert.deepEqual(await seats(srv, T, neu), [...users].sort(), 'case users moved');
    const b1 = await billing(srv, T);
    assert.ok(b1.invoices.every((i) => i.amount >= 0), `case no credit note: got ${JSON.stringify(b1.invoices)}`);
    assert.equal(b1.invoices.length, b0.invoices.length + 1, 'case one invoice: the new subscription');
    const t = await tab(srv, T, neu);
    assert.ok(!codes(t.reasons).includes('multiple_plans_same_product'), `case the new tab is right at once: got ${JSON.stringify(codes(t.reasons))}`);
  });
}

test('an expired subscription can be cancelled: it ends cancelled, nothing credited; with users it says to move them first', async () => {
  const T = await tenantWithTokens(srv, { name: 'Cancel Expired Org', credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
  const [u] = await seatUsers(srv, T, s, 1, 'ce');
  assert.equal((await setStatus(T, s, 'expired')).status, 200, 'case expired');
  const cancel = () => srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s}/cancel`, { token: T.tok.billing_admin });
  expectError(await cancel(), 409, 'conflict', 'assigned', 'cancel an expired subscription that users still hold');
  const un = await srv.api('DELETE', `/v1/tenants/${T.id}/subscriptions/${s}/assignments/${u}`, { token: T.tok.license_admin });
  assert.equal(un.status, 200, `case unassign: got ${un.status} ${un.text}`);
  const b0 = await billing(srv, T);
  const r = await cancel();
  assert.equal(r.status, 200, `case cancel an expired subscription: got ${r.status} ${r.text}`);
  expectFields(await getSub(srv, T, s), { status: 'cancelled' }, 'the expired subscription');
  assert.deepEqual((await billing(srv, T)).invoices, b0.invoices, 'case nothing credited');
  expectError(await cancel(), 409, 'conflict', 'status', 'cancel twice');
});

test('replaced and cancelled subscriptions: not_eligible with call_support only, no offers, the switch preview says what the switch does', async () => {
  const T = await tenantWithTokens(srv, { name: 'Replaced Org', credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 2 })).id;
  await seatUsers(srv, T, s, 1, 'r');
  const up = await upgrade(srv, T, s, { target_plan: 'biz-standard' });
  assert.equal(up.status, 201, `case upgrade: got ${up.status} ${up.text}`);
  const t = await tab(srv, T, s);
  expectFields(t, { eligible: false }, 'replaced tab');
  assert.deepEqual(codes(t.reasons), ['not_eligible'], 'case replaced reasons');
  expectFields(t.reasons[0].details, { status: 'replaced', replaced_by: up.json.new_subscription }, 'replaced details');
  assert.deepEqual(t.reasons[0].remedies.map((x) => x.action), ['call_support'], 'case replaced remedies');
  assert.deepEqual(t.offers, [], 'case a replaced subscription offers nothing');
  const p = await preview(srv, T, s, { target_plan: 'biz-premium', kind: 'switch' });
  assert.equal(p.status, 200, `case preview: got ${p.status} ${p.text}`);
  expectFields(p.json, { allowed: false }, 'switch preview of a replaced subscription');
  assert.deepEqual(codes(p.json.reasons), ['not_eligible'], 'case switch preview reasons');
  const r = await change(srv, T, s, { target_plan: 'biz-premium' });
  expectError(r, 409, 'upgrade_blocked', undefined, 'switch of a replaced subscription');
  assert.deepEqual(codes(r.json.error.reasons), ['not_eligible'], 'case switch refusal reasons');
  const neu = await tab(srv, T, up.json.new_subscription);
  assert.ok(!neu.offers.some((o) => o.plan === 'biz-standard'), 'case the new subscription is not offered its own plan');
});

// ---- add-ons ------------------------------------------------------------------------------

test('an add-on: the switch preview tells its outcome; a switch that cancels it needs acknowledge_addons; refusals in French', async () => {
  const T = await tenantWithTokens(srv, { name: 'Addon Org', credit_limit: 10000000 });
  const base = (await buy(srv, T, { plan: 'biz-standard', quantity: 2 })).id;
  await seatUsers(srv, T, base, 1, 'a');
  const addon = (await buy(srv, T, { plan: 'voice-addon', quantity: 1, addon_of: base })).id;
  const moved = await preview(srv, T, base, { target_plan: 'ent-e3', kind: 'switch' });
  assert.equal(moved.status, 200, `case preview ent-e3: got ${moved.status} ${moved.text}`);
  expectFields(moved.json, { allowed: true }, 'preview to ent-e3');
  assert.deepEqual(moved.json.addons, [{ subscription: addon, plan: 'voice-addon', outcome: 'moved', credit: 0 }], 'case ent-e3 add-on outcome');
  const p = await preview(srv, T, base, { target_plan: 'biz-premium', kind: 'switch' });
  assert.deepEqual(p.json.addons, [{ subscription: addon, plan: 'voice-addon', outcome: 'moved', credit: 0 }], 'case biz-premium add-on outcome');
  const q = await preview(srv, T, base, { target_plan: 'mail-p2', kind: 'switch', acknowledge_data_loss: true });
  assert.equal(q.status, 200, `case preview mail-p2: got ${q.status} ${q.text}`);
  expectFields(q.json, { allowed: false }, 'preview to mail-p2');
  const { credit: addonCredit, ...fate } = q.json.addons[0];
  assert.deepEqual([fate], [{ subscription: addon, plan: 'voice-addon', outcome: 'cancelled' }], 'case mail-p2 add-on outcome');
  assert.ok(addonCredit > 0, `case the money of the add-on cancelled: its unused days credited: got ${addonCredit}`);
  assert.deepEqual(codes(q.json.reasons), ['has_addon'], 'case mail-p2 preview reasons');
  const body = { target_plan: 'mail-p2', acknowledge_data_loss: true };
  const fr = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${base}/switch?lang=fr`, { token: T.tok.billing_admin, body });
  expectError(fr, 409, 'upgrade_blocked', undefined, 'switch cancelling an add-on, unacknowledged');
  assert.deepEqual(codes(fr.json.error.reasons), ['has_addon'], 'case refusal reasons');
  assert.ok(!/cancel it first/.test(fr.text) && /module/i.test(fr.json.error.reasons[0].message),
    `case French refusal: got ${fr.json.error.reasons[0].message}`);
  assert.equal(fr.json.error.message, 'ce changement ne peut pas être effectué pour le moment', 'case French refusal message');
  const ack = await preview(srv, T, base, { ...body, kind: 'switch', acknowledge_addons: true });
  expectFields(ack.json, { allowed: true }, 'preview with acknowledge_addons');
  // The switch's own preview takes the switch's body and says the same.
  const sp = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${base}/switch/preview`, { token: T.tok.reader, body });
  assert.equal(sp.status, 200, `case switch/preview: got ${sp.status} ${sp.text}`);
  expectFields(sp.json, { kind: 'switch', allowed: false }, 'switch/preview without acknowledge_addons');
  assert.deepEqual(sp.json.addons, q.json.addons, 'case switch/preview add-ons');
  const b0 = await billing(srv, T);
  const r = await change(srv, T, base, { ...body, acknowledge_addons: true });
  assert.equal(r.status, 201, `case switch with acknowledge_addons: got ${r.status} ${r.text}`);
  expectFields(await getSub(srv, T, addon), { status: 'cancelled' }, 'the add-on after the switch');
  const sum = (b) => b.invoices.reduce((x, i) => x + i.amount, 0);
  assert.equal(sum(await billing(srv, T)) - sum(b0), ack.json.period.net,
    `case the money is the preview's, the add-on's credit included: ${JSON.stringify(ack.json.period)}`);
});
