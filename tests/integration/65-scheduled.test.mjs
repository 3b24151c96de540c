// 65-scheduled: changes at the end of the term (RULES, second part). An
// upgrade or a manual change asked with `when: "term_end"` is an operation
// `scheduled` at the subscription's term end, at most one per subscription
// (cancel_at included); it can be cancelled until then; at its time the job
// runner evaluates the rules again and the change is made (a prepaid annual
// term upgraded at its end: no credit lost, every seat moved) or fails with
// its reasons, and the subscription renews as usual. prepaid_plan blocks only
// immediate changes. The clock is the manual one; nothing sleeps.
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, makeStore, removeStore, tenantWithTokens,
  setClock, storeSql, expectError } from './harness.mjs';
import { billing, buy, tab, getSub, seatUsers, seats, upgrade, change, subsPath } from './tenant-calls.mjs';

const secs = (iso) => Date.parse(iso) / 1000;
const subId = (ref) => Number(ref.replace(/^sub_/, ''));
const lines = (db, sub, kind) => storeSql(db, `SELECT coalesce(sum(amount), 0) || ':' || count(*) FROM invoice_lines
  WHERE subscription_id = ${subId(sub)} AND kind = '${kind}'`);

let store, srv;

before(async () => {
  store = makeStore();
  [srv] = await startServers([{ store, args: ['--clock', 'manual', '--jobs-interval', '0s'] }]);
});

after(async () => {
  await stopServers([srv]);
  removeStore(store);
});

async function operation(T, id) {
  const r = await srv.api('GET', `/v1/tenants/${T.id}/operations/${id}`, { token: T.tok.reader });
  assert.equal(r.status, 200, `case GET operation ${id}: got ${r.status} ${r.text}`);
  return r.json;
}

test('a prepaid annual subscription upgraded at its term end: scheduled, shown on the tab, then run at its time with no credit lost and every seat moved', async () => {
  await setClock(srv, '2026-03-10T12:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Prepaid Upgrade Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 4, term: 'annual', prepaid: true });
  const users = await seatUsers(srv, T, s.id, 3, 'pre');
  await setClock(srv, '2026-09-10T12:00:00Z');

  // prepaid_plan blocks the immediate upgrade; its first remedy is to schedule one.
  const t0 = await tab(srv, T, s.id);
  const prepaid = t0.reasons.find((r) => r.code === 'prepaid_plan');
  assert.ok(prepaid, `case prepaid_plan on the tab: got ${JSON.stringify(t0.reasons.map((r) => r.code))}`);
  assert.deepEqual(prepaid.remedies.map((m) => m.action), ['schedule_at_term_end', 'change_plans_manually', 'call_support'],
    'case prepaid_plan remedies');
  assert.equal(prepaid.remedies[0].effective_at, '2027-03-10T12:00:00Z', 'case schedule_at_term_end says when');
  const offer = t0.offers.find((o) => o.plan === 'biz-standard');
  assert.equal(offer.eligible, false, 'case not eligible now');
  assert.equal(offer.term_end_eligible, true, 'case offered for the term end');
  assert.equal(t0.scheduled, null, 'case nothing scheduled yet');
  const now = await upgrade(srv, T, s.id, { target_plan: 'biz-standard' });
  assert.equal(now.status, 409, `case the immediate upgrade is blocked: got ${now.status} ${now.text}`);

  const bad = await upgrade(srv, T, s.id, { target_plan: 'biz-standard', when: 'next_year' });
  expectError(bad, 400, 'invalid_field', 'when', 'when=next_year');

  const fleet = async () => (await srv.api('GET', '/v1/fleet?fresh=1')).json.scheduled;
  const fleetBefore = await fleet();
  const r = await upgrade(srv, T, s.id, { target_plan: 'biz-standard', when: 'term_end' });
  assert.equal(r.status, 202, `case scheduled: got ${r.status} ${r.text}`);
  assert.equal(r.json.state, 'scheduled', 'case state');
  assert.equal(r.json.when, 'term_end', 'case when');
  assert.equal(r.json.effective_at, '2027-03-10T12:00:00Z', 'case effective_at = term_end');
  assert.equal(r.json.type, 'upgrade', 'case the operation\'s type');
  const op = r.json.id;
  assert.equal((await getSub(srv, T, s.id)).scheduled, op, 'case the subscription names its scheduled operation');
  const listed = (await srv.api('GET', subsPath(T), { token: T.tok.reader })).json.items.find((x) => x.id === s.id);
  assert.equal(listed.scheduled, op, 'case the subscription list names it too');

  const t1 = await tab(srv, T, s.id);
  assert.deepEqual(t1.scheduled, { operation: op, kind: 'upgrade', target_plan: 'biz-standard', effective_at: '2027-03-10T12:00:00Z' },
    'case the tab shows the scheduled change');
  assert.equal(t1.offers.find((o) => o.plan === 'biz-standard').term_end_eligible, false, 'case no second offer once scheduled');
  assert.ok(!t1.reasons.some((x) => x.code === 'upgrade_in_progress'), 'case a scheduled change is not an upgrade in progress');

  // At most one scheduled change: another upgrade, a switch, a cancellation at term end.
  const second = await upgrade(srv, T, s.id, { target_plan: 'biz-premium', when: 'term_end' });
  expectError(second, 409, 'conflict', 'scheduled', 'a second scheduled upgrade');
  assert.match(second.json.error.message, new RegExp(op), 'case the 409 names the scheduled operation');
  const sw = await change(srv, T, s.id, { target_plan: 'biz-premium', when: 'term_end' });
  expectError(sw, 409, 'conflict', 'scheduled', 'a scheduled switch beside it');
  const c = await srv.api('POST', `${subsPath(T)}/${s.id}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  expectError(c, 409, 'conflict', 'scheduled', 'a cancellation at term end beside it');
  assert.equal(await fleet(), fleetBefore + 1, 'case GET /v1/fleet counts the scheduled upgrade');

  await setClock(srv, '2027-03-10T11:59:59Z');
  assert.equal((await operation(T, op)).state, 'scheduled', 'case still scheduled a second before');
  await setClock(srv, '2027-03-10T12:00:00Z');
  const done = await operation(T, op);
  assert.equal(done.state, 'completed', `case completed at its time: ${JSON.stringify(done)}`);
  const old = await getSub(srv, T, s.id);
  assert.equal(old.status, 'replaced', 'case the old subscription replaced');
  assert.equal(old.replaced_by, done.new_subscription, 'case replaced by the new one');
  assert.equal(old.scheduled, null, 'case nothing scheduled once it ran');
  const nu = await getSub(srv, T, done.new_subscription);
  assert.equal(nu.plan, 'biz-standard', 'case the new plan');
  assert.equal(nu.quantity, 4, 'case the same seats purchased');
  assert.deepEqual(await seats(srv, T, done.new_subscription), [...users].sort(), 'case every seat moved');
  assert.deepEqual(await seats(srv, T, s.id), [], 'case no seat left behind');
  // No credit lost: the prepaid term was used up; nothing credited nor charged for it.
  assert.equal(lines(store.db, s.id, 'upgrade_credit').split(':')[0], '0', 'case no credit line amount');
  assert.equal(lines(store.db, s.id, 'renewal'), '0:0', 'case the old subscription is not renewed');
  // The new one carries on as a prepaid term, at its own price.
  assert.equal(nu.prepaid, true, 'case still prepaid');
  assert.equal(lines(store.db, done.new_subscription, 'renewal'), `${1250 * 4 * 12}:1`,
    'case the next term renewed once at the new price');
  assert.equal((await getSub(srv, T, done.new_subscription)).term_end, '2028-03-10T12:00:00Z', 'case the next term');
  const audit = storeSql(store.db, `SELECT action FROM audit WHERE object = '${op}' ORDER BY id`);
  assert.equal(audit, 'operation.schedule\nsubscription.upgrade', 'case audit: scheduled, then the upgrade');
  assert.equal((await tab(srv, T, done.new_subscription)).scheduled, null, 'case nothing scheduled on the new one');
  assert.equal(await fleet(), fleetBefore, 'case GET /v1/fleet once it is done');
});

test('a manual change scheduled for the term end runs then: the target bought from that day, every user moved, the old plan cancelled', async () => {
  await setClock(srv, '2034-04-01T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Switch Later Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-standard', quantity: 3 });
  const users = await seatUsers(srv, T, s.id, 2, 'sw');
  const r = await change(srv, T, s.id, { target_plan: 'biz-basic', when: 'term_end' });
  assert.equal(r.status, 202, `case a switch scheduled: got ${r.status} ${r.text}`);
  assert.equal(r.json.effective_at, '2034-05-01T09:00:00Z', 'case effective_at = term_end');
  await setClock(srv, '2034-05-01T09:00:00Z');
  const op = await operation(T, r.json.id);
  assert.equal(op.state, 'completed', `case completed: ${JSON.stringify(op)}`);
  const nu = await getSub(srv, T, op.new_subscription);
  assert.equal(nu.plan, 'biz-basic', 'case the target plan');
  assert.equal(nu.term_start, '2034-05-01T09:00:00Z', 'case bought at the term end');
  assert.deepEqual(await seats(srv, T, op.new_subscription), [...users].sort(), 'case every user moved');
  const old = await getSub(srv, T, s.id);
  assert.equal(old.status, 'cancelled', 'case the old plan cancelled');
  assert.equal(lines(store.db, s.id, 'renewal'), '0:0', 'case the old plan not renewed');
  assert.equal(lines(store.db, s.id, 'switch').split(':')[0], '0', 'case nothing credited: its period was used up');
  assert.equal(lines(store.db, op.new_subscription, 'purchase'), `${600 * 3}:1`, 'case the target bought: its first month');
});

test('a scheduled change blocked at its time (a past-due balance) fails with its reasons, and the subscription renews as usual', async () => {
  await setClock(srv, '2031-01-10T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Late Payer Org', payment: 'invoice' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  assert.equal(s.term_end, '2031-02-10T09:00:00Z', 'case monthly term_end');
  const r = await upgrade(srv, T, s.id, { target_plan: 'biz-standard', when: 'term_end' });
  assert.equal(r.status, 202, `case scheduled while nothing blocks: got ${r.status} ${r.text}`);
  // The purchase invoice falls due on 2031-02-09 and is not paid.
  await setClock(srv, '2031-02-11T09:00:00Z');
  const op = await operation(T, r.json.id);
  assert.equal(op.state, 'failed', `case failed at its time: ${JSON.stringify(op)}`);
  assert.ok(op.reasons.includes('unpaid_balance'), `case the reasons say why: got ${JSON.stringify(op.reasons)}`);
  assert.equal(op.new_subscription, null, 'case nothing made');
  const sub = await getSub(srv, T, s.id);
  assert.equal(sub.status, 'active', 'case still active');
  assert.equal(sub.plan, 'biz-basic', 'case on its plan');
  assert.equal(sub.billed_through, '2031-03-10T09:00:00Z', 'case renewed as usual');
  assert.equal(lines(store.db, s.id, 'renewal'), `${600 * 2}:1`, 'case one renewal at the old price');
  const failed = storeSql(store.db, `SELECT detail FROM audit WHERE object = '${r.json.id}' AND action = 'operation.fail'`);
  assert.ok(JSON.parse(failed).reasons.includes('unpaid_balance'), `case audited with its reasons: got ${failed}`);
  assert.equal((await tab(srv, T, s.id)).scheduled, null, 'case nothing scheduled any more');
});

test('a scheduled operation can be cancelled until its time: cancelled, audited, never run; only a scheduled one', async () => {
  await setClock(srv, '2032-05-01T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Changed Mind Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  const r = await change(srv, T, s.id, { target_plan: 'biz-premium', when: 'term_end' });
  assert.equal(r.status, 202, `case a switch scheduled: got ${r.status} ${r.text}`);
  assert.equal(r.json.kind, 'switch', 'case kind');
  const path = `/v1/tenants/${T.id}/operations/${r.json.id}/cancel`;
  const ro = await srv.api('POST', path, { token: T.tok.reader });
  assert.equal(ro.status, 403, `case a reader may not cancel it: got ${ro.status}`);
  const c = await srv.api('POST', path, { token: T.tok.billing_admin });
  assert.equal(c.status, 200, `case cancelled: got ${c.status} ${c.text}`);
  assert.equal(c.json.state, 'cancelled', 'case state cancelled');
  const again = await srv.api('POST', path, { token: T.tok.billing_admin });
  expectError(again, 409, 'conflict', 'state', 'cancelling it twice');
  assert.equal(storeSql(store.db, `SELECT count(*) FROM jobs WHERE kind = 'operation' AND subject = ${Number(r.json.id.replace(/^op_/, ''))}`),
    '0', 'case its job removed');
  await setClock(srv, '2032-06-02T09:00:00Z');
  assert.equal((await operation(T, r.json.id)).state, 'cancelled', 'case still cancelled after its time');
  const sub = await getSub(srv, T, s.id);
  assert.equal(sub.plan, 'biz-basic', 'case the plan unchanged');
  assert.equal(sub.billed_through, '2032-07-01T09:00:00Z', 'case renewed as usual');
  assert.equal(storeSql(store.db, `SELECT count(*) FROM audit WHERE object = '${r.json.id}' AND action = 'operation.cancel'`), '1',
    'case audited');
  // Once cancelled, another change can be scheduled.
  const next = await upgrade(srv, T, s.id, { target_plan: 'biz-standard', when: 'term_end' });
  assert.equal(next.status, 202, `case another once the first is cancelled: got ${next.status} ${next.text}`);
  const b = await billing(srv, T);
  assert.ok(b.invoices.length >= 2, 'case billing readable');
});

test('a cancellation at term end follows an upgrade to the same term end (the new plan ends then, not renewed); a manual change buys afresh and leaves no stale cancel_at', async () => {
  await setClock(srv, '2035-06-01T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Leaving Soon Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  const cancel = (id) => srv.api('POST', `${subsPath(T)}/${id}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  const c = await cancel(s.id);
  assert.equal(c.status, 200, `case cancellation at term end: got ${c.status} ${c.text}`);
  assert.equal(c.json.cancel_at, '2035-07-01T09:00:00Z', 'case cancel_at = term_end');
  const cop = await operation(T, c.json.scheduled);
  assert.deepEqual([cop.type, cop.state, cop.source, cop.target_plan, cop.effective_at],
    ['cancel', 'scheduled', s.id, null, '2035-07-01T09:00:00Z'], `case a scheduled operation of type cancel: ${JSON.stringify(cop)}`);

  await setClock(srv, '2035-06-10T09:00:00Z');
  const up = await upgrade(srv, T, s.id, { target_plan: 'biz-standard' });
  assert.equal(up.status, 201, `case upgraded: got ${up.status} ${up.text}`);
  const nu = await getSub(srv, T, up.json.new_subscription);
  assert.equal(nu.term_end, '2035-07-01T09:00:00Z', 'case same term end');
  assert.equal(nu.cancel_at, '2035-07-01T09:00:00Z', 'case the cancellation went with the plan');
  assert.equal((await getSub(srv, T, s.id)).cancel_at, null, 'case no stale cancel_at on the replaced subscription');
  const moved = await operation(T, cop.id);
  assert.deepEqual([moved.state, moved.source], ['scheduled', nu.id], 'case the cancel operation follows the new subscription');
  assert.equal(nu.scheduled, cop.id, 'case the new subscription shows it as its scheduled change');
  await setClock(srv, '2035-07-02T09:00:00Z');
  const ended = await getSub(srv, T, nu.id);
  assert.equal(ended.status, 'cancelled', `case the new plan ended at the term end: ${JSON.stringify(ended)}`);
  assert.equal(lines(store.db, nu.id, 'renewal'), '0:0', 'case not renewed');
  assert.equal((await operation(T, cop.id)).state, 'completed', 'case the cancel operation completed');

  const s2 = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  const c2 = await cancel(s2.id);
  assert.equal(c2.status, 200, 'case the second cancellation at term end');
  const sw = await change(srv, T, s2.id, { target_plan: 'biz-standard' });
  assert.equal(sw.status, 201, `case switched: got ${sw.status} ${sw.text}`);
  const bought = await getSub(srv, T, sw.json.new_subscription);
  assert.equal(bought.cancel_at, null, 'case the target bought afresh: no cancellation');
  assert.equal((await getSub(srv, T, s2.id)).cancel_at, null, 'case no stale cancel_at on the cancelled source');
  assert.equal((await operation(T, c2.json.scheduled)).state, 'cancelled', 'case its cancel operation ends cancelled');
});

test('a cancellation at term end is an operation that can be called off: cancel_at cleared, renewed as usual', async () => {
  await setClock(srv, '2036-02-01T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Second Thoughts Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  const c = await srv.api('POST', `${subsPath(T)}/${s.id}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(c.status, 200, `case cancellation at term end: got ${c.status} ${c.text}`);
  assert.equal((await tab(srv, T, s.id)).scheduled?.operation, c.json.scheduled, 'case the tab shows the scheduled cancellation');
  const off = await srv.api('POST', `/v1/tenants/${T.id}/operations/${c.json.scheduled}/cancel`, { token: T.tok.billing_admin });
  assert.equal(off.status, 200, `case called off: got ${off.status} ${off.text}`);
  assert.equal(off.json.state, 'cancelled', 'case the operation cancelled');
  const sub = await getSub(srv, T, s.id);
  assert.deepEqual([sub.cancel_at, sub.scheduled], [null, null], 'case nothing scheduled any more');
  await setClock(srv, '2036-03-02T09:00:00Z');
  const after = await getSub(srv, T, s.id);
  assert.equal(after.status, 'active', 'case still active after the term end');
  assert.equal(after.billed_through, '2036-04-01T09:00:00Z', 'case renewed as usual');
  const again = await srv.api('POST', `${subsPath(T)}/${s.id}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(again.status, 200, `case a new cancellation at term end may be asked: got ${again.status} ${again.text}`);
});

test('a subscription cancelled now ends its cancellation at term end with it: the operation cancelled, never left scheduled', async () => {
  await setClock(srv, '2037-01-05T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Leaving Now Org', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  const c = await srv.api('POST', `${subsPath(T)}/${s.id}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(c.status, 200, `case cancellation at term end: got ${c.status} ${c.text}`);
  const now = await srv.api('POST', `${subsPath(T)}/${s.id}/cancel`, { token: T.tok.billing_admin, body: { when: 'now' } });
  assert.equal(now.status, 200, `case cancelled now: got ${now.status} ${now.text}`);
  assert.deepEqual([now.json.status, now.json.cancel_at, now.json.scheduled], ['cancelled', null, null], `case the subscription ended, nothing scheduled: ${now.text}`);
  assert.equal((await operation(T, c.json.scheduled)).state, 'cancelled', 'case the cancel operation ends cancelled');
  await setClock(srv, '2037-02-06T09:00:00Z');
  assert.equal((await operation(T, c.json.scheduled)).state, 'cancelled', 'case still cancelled after the term end');
});
