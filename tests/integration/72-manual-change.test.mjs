// 72-manual-change: the manual change of plan (switch, RULES "The
// remedies": change_plans_manually): what the preview says is lost (prepaid
// days, data), the acknowledgement of data loss, add-ons that follow,
// segments the automatic upgrade refuses, over HTTP against the real daemon.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, tenantWithTokens, setClock, expectError } from './harness.mjs';
import { daysCeil, codes, expectFields, buy, seatUsers, getSub, list, seats, upgrade, preview, change, state, demoTenant } from './tenant-calls.mjs';

let srv; // --clock manual
let demo; // the demo world (system clock)

before(async () => {
  [srv, demo] = await startServers([{ args: ['--clock', 'manual'] }, { demo: true }]);
});

// The daemons stop cleanly (exit 0: no leak or memory error reported).
after(async () => {
  const exits = await stopServers([srv, demo]);
  assert.deepEqual(exits, [0, 0], `case exit codes: got ${exits}, want 0 0; stderr:\n${srv.stderr.slice(-2000)}\n${demo.stderr.slice(-2000)}`);
});

// ---- the manual change --------------------------------------------------------------

test('switch, prepaid (Relecloud): the preview tells what is lost; 201; the old is cancelled, users moved', async () => {
  const rc = await tenantWithTokens(demo, {}, demoTenant(demo, 'Relecloud'));
  const old = (await list(demo, rc, '/subscriptions'))[0];
  expectFields(old, { plan: 'biz-standard', prepaid: true, term: 'annual', assigned: 20 }, 'Relecloud subscription');
  const users = await seats(demo, rc, old.id);
  const p = await preview(demo, rc, old.id, { target_plan: 'biz-premium', kind: 'switch' });
  assert.equal(p.status, 200, `case Relecloud switch preview: got ${p.status} ${p.text}`);
  expectFields(p.json, { kind: 'switch', allowed: true }, 'Relecloud switch preview');
  // Moments after init the whole term is unused: unused_days = the term's days,
  // unused_value = round_half_up(1250 x 20 x 12 x days / days) = 300000.
  const termDays = daysCeil(old.term_start, old.term_end);
  expectFields(p.json.prepaid, { unused_days: termDays, unused_value: 300000, credited: false }, 'Relecloud prepaid loss');
  const r = await change(demo, rc, old.id, { target_plan: 'biz-premium' });
  assert.equal(r.status, 201, `case Relecloud switch: got ${r.status} ${r.text}, want 201`);
  expectFields(r.json, { state: 'completed', source: old.id, target_plan: 'biz-premium', license_errors: [] }, 'switch operation');
  const neu = r.json.new_subscription;
  expectFields(await getSub(demo, rc, old.id), { status: 'cancelled', replaced_by: neu }, 'old prepaid subscription');
  expectFields(await getSub(demo, rc, neu), { plan: 'biz-premium', status: 'active', quantity: 20, assigned: 20, prepaid: true,
    term: 'annual' }, 'new prepaid subscription');
  assert.deepEqual(await seats(demo, rc, neu), users, 'case Relecloud users moved');
  assert.deepEqual(await seats(demo, rc, old.id), [], 'case Relecloud old subscription empty');
});

test('switch to a target lacking a data-bearing service needs acknowledge_data_loss', async () => {
  await setClock(srv, '2026-11-11T00:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Data Loss Org', credit_limit: 10000000 });
  const s = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
  const users = await seatUsers(srv, T, s, 2, 'd');
  const p = await preview(srv, T, s, { target_plan: 'mail-p1', kind: 'switch' });
  assert.equal(p.status, 200, `case preview switch to mail-p1: got ${p.status} ${p.text}`);
  expectFields(p.json.data, { safe: false, acknowledgement_needed: true, missing_services: ['files-1'] }, 'data loss preview');
  const before = await state(srv, T);
  for (const body of [{ target_plan: 'mail-p1' }, { target_plan: 'mail-p1', acknowledge_data_loss: false }]) {
    expectError(await change(srv, T, s, body), 409, 'conflict', 'acknowledge_data_loss', `switch ${JSON.stringify(body)}`);
  }
  expectError(await change(srv, T, s, { target_plan: 'mail-p1', acknowledge_data_loss: 'yes' }), 400, 'invalid_field',
    'acknowledge_data_loss', 'acknowledge_data_loss not a boolean');
  for (const role of ['reader', 'license_admin']) {
    expectError(await change(srv, T, s, { target_plan: 'mail-p1', acknowledge_data_loss: true }, T.tok[role]), 403,
      'forbidden', undefined, `switch as ${role}`);
  }
  assert.deepEqual(await state(srv, T), before, 'case refused switches changed something');
  const r = await change(srv, T, s, { target_plan: 'mail-p1', acknowledge_data_loss: true });
  assert.equal(r.status, 201, `case switch with acknowledgement: got ${r.status} ${r.text}`);
  const neu = await getSub(srv, T, r.json.new_subscription);
  expectFields(neu, { plan: 'mail-p1', product: 'mail', assigned: 2, status: 'active' }, 'mail-p1 after the switch');
  assert.deepEqual(await seats(srv, T, neu.id), [...users].sort(), 'case users moved to mail-p1');
  expectFields(await getSub(srv, T, s), { status: 'cancelled', replaced_by: neu.id }, 'biz-basic after the switch');
});

test('switch with an add-on that fits the target (Alpine Ski House -> ent-e3): the add-on follows', async () => {
  const al = await tenantWithTokens(demo, {}, demoTenant(demo, 'Alpine Ski House'));
  const subs = await list(demo, al, '/subscriptions');
  const base = subs.find((x) => x.plan === 'biz-standard');
  const addon = subs.find((x) => x.plan === 'voice-addon');
  assert.ok(base && addon && addon.addon_of === base.id, `case Alpine subscriptions: got ${JSON.stringify(subs)}`);
  const users = await seats(demo, al, base.id);
  const r = await change(demo, al, base.id, { target_plan: 'ent-e3' });
  assert.equal(r.status, 201, `case Alpine switch: got ${r.status} ${r.text}`);
  const neu = r.json.new_subscription;
  expectFields(await getSub(demo, al, addon.id), { addon_of: neu, status: 'active' }, 'the add-on after the switch');
  expectFields(await getSub(demo, al, neu), { plan: 'ent-e3', product: 'enterprise', assigned: 15 }, 'ent-e3');
  assert.deepEqual(await seats(demo, al, neu), users, 'case Alpine users moved');
});

test('a government tenant: the automatic upgrade is refused (segment_restricted), the switch works', async () => {
  const ly = await tenantWithTokens(demo, {}, demoTenant(demo, 'Ville de Lyon'));
  const old = (await list(demo, ly, '/subscriptions'))[0];
  assert.equal(old.plan, 'biz-basic-gov', `case Lyon plan: got ${old.plan}`);
  const u = await upgrade(demo, ly, old.id, { target_plan: 'biz-standard-gov' });
  expectError(u, 409, 'upgrade_blocked', undefined, 'Lyon automatic upgrade');
  assert.ok(codes(u.json.error.reasons).includes('segment_restricted'), `case Lyon reasons: got ${JSON.stringify(codes(u.json.error.reasons))}`);
  const r = await change(demo, ly, old.id, { target_plan: 'biz-standard-gov' });
  assert.equal(r.status, 201, `case Lyon switch: got ${r.status} ${r.text}`);
  expectFields(await getSub(demo, ly, r.json.new_subscription), { plan: 'biz-standard-gov', assigned: 15, status: 'active' },
    'Lyon after the switch');
  expectFields(await getSub(demo, ly, old.id), { status: 'cancelled', replaced_by: r.json.new_subscription }, 'Lyon old plan');
});
