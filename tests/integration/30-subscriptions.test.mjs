// 30-subscriptions: purchases, licence counts, seats, cancellation, the
// provider's lifecycle status and the licenses view, over HTTP against the
// real daemon. Every refusal is checked to have written nothing.
import assert from 'node:assert/strict';
import { test, before, after, startServer, newTenant, tokenFor, tenantWithTokens, expectError } from './harness.mjs';

let srv;
let T; // the main tenant (EUR, commercial, invoice)
let tok;
let U = []; // users of T
let other; // another tenant, with its own subscription
let otherTok;

before(async () => {
  srv = await startServer();
  ({ tok, ...T } = await tenantWithTokens(srv, { name: 'Subscriptions Org' }));
  for (let i = 1; i <= 6; i++) {
    const r = await srv.api('POST', `/v1/tenants/${T.id}/users`, { token: tok.license_admin,
      body: { upn: `u${i}@subs.example`, display_name: `User ${i}` } });
    if (r.status !== 201) throw new Error(`user: ${r.status} ${r.text}`);
    U.push(r.json.id);
  }
  other = await newTenant(srv, { name: 'Other Org' });
  otherTok = await tokenFor(srv, other.id, 'global_admin');
});

after(async () => {
  if (srv) await srv.stop();
});

// term_start + n calendar months, the day clamped to the month's last.
function addMonths(iso, n) {
  const d = new Date(iso);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + n;
  const dim = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), dim);
  return new Date(Date.UTC(y, m, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()))
    .toISOString().replace('.000Z', 'Z');
}

const subsPath = (t = T.id) => `/v1/tenants/${t}/subscriptions`;

async function buy(body, token = tok.billing_admin, t = T.id) {
  const r = await srv.api('POST', subsPath(t), { token, body });
  assert.equal(r.status, 201, `case buy ${JSON.stringify(body)}: got ${r.status} ${r.text}, want 201`);
  return r.json;
}

async function getSub(id, t = T.id) {
  const r = await srv.api('GET', `${subsPath(t)}/${id}`, { token: t === T.id ? tok.reader : otherTok });
  assert.equal(r.status, 200, `case GET ${id}: got ${r.status} ${r.text}, want 200`);
  return r.json;
}

async function listSubIds(t = T.id, token = tok.reader) {
  const r = await srv.api('GET', `${subsPath(t)}?limit=500`, { token });
  assert.equal(r.status, 200, `case list subscriptions: got ${r.status} ${r.text}, want 200`);
  return r.json.items.map((s) => s.id);
}

async function licenses(t = T.id, token = tok.reader) {
  const r = await srv.api('GET', `/v1/tenants/${t}/licenses?limit=500`, { token });
  assert.equal(r.status, 200, `case licenses: got ${r.status} ${r.text}, want 200`);
  return r.json.items;
}

const seat = (sub, user, token = tok.license_admin) =>
  srv.api('PUT', `${subsPath()}/${sub}/assignments/${user}`, { token });
const unseat = (sub, user, token = tok.license_admin) =>
  srv.api('DELETE', `${subsPath()}/${sub}/assignments/${user}`, { token });

// ---- purchase ----------------------------------------------------------------

test('billing_admin buys: 201, active, monthly by default, a month long, nothing assigned', async () => {
  const r = await srv.api('POST', subsPath(), { token: tok.billing_admin, body: { plan: 'biz-basic', quantity: 5 } });
  assert.equal(r.status, 201, `case purchase: got ${r.status} ${r.text}, want 201`);
  const s = r.json;
  assert.match(s.id, /^sub_[1-9]\d*$/, `case id: got ${s.id}, want sub_N`);
  const want = { plan: 'biz-basic', product: 'business', quantity: 5, assigned: 0, status: 'active', term: 'monthly',
    prepaid: false, addon_of: null, replaced_by: null };
  for (const [k, v] of Object.entries(want)) {
    assert.equal(s[k], v, `case purchase ${k}: got ${JSON.stringify(s[k])}, want ${JSON.stringify(v)}`);
  }
  const start = Date.parse(s.term_start);
  assert.ok(Math.abs(start - Date.now()) < 10000, `case term_start: got ${s.term_start}, want about now`);
  assert.equal(s.term_end, addMonths(s.term_start, 1), `case term_end: got ${s.term_end}, want one month after ${s.term_start}`);
  const g = await getSub(s.id);
  assert.deepEqual(g, s, `case read back: got ${JSON.stringify(g)}, want ${JSON.stringify(s)}`);
});

test('global_admin and operator buy too; annual and prepaid are kept; annual is twelve months', async () => {
  const a = await buy({ plan: 'mail-p1', quantity: 2, term: 'annual', prepaid: true }, tok.global_admin);
  assert.equal(a.term, 'annual', `case annual term: got ${a.term}, want annual`);
  assert.equal(a.prepaid, true, `case prepaid: got ${a.prepaid}, want true`);
  assert.equal(a.term_end, addMonths(a.term_start, 12), `case annual term_end: got ${a.term_end}, want +12 months`);
  const b = await buy({ plan: 'mail-p1', quantity: 1, term: 'monthly', prepaid: false }, srv.operator);
  assert.equal(b.status, 'active', `case operator purchase status: got ${b.status}, want active`);
  // Clean up: these two are not used further.
  for (const id of [a.id, b.id]) {
    const c = await srv.api('POST', `${subsPath()}/${id}/cancel`, { token: tok.billing_admin });
    assert.equal(c.status, 200, `case cancel ${id}: got ${c.status} ${c.text}, want 200`);
  }
});

test('license_admin and reader cannot buy (403), and nothing is bought', async () => {
  const before = await listSubIds();
  for (const [name, token] of [['license_admin', tok.license_admin], ['reader', tok.reader]]) {
    const r = await srv.api('POST', subsPath(), { token, body: { plan: 'biz-basic', quantity: 1 } });
    expectError(r, 403, 'forbidden', undefined, `purchase as ${name}`);
  }
  const r = await srv.api('POST', subsPath(), { token: otherTok, body: { plan: 'biz-basic', quantity: 1 } });
  expectError(r, 404, 'not_found', undefined, 'purchase in T by another tenant');
  assert.deepEqual(await listSubIds(), before, 'case refused purchases: the subscription list changed');
});

test('purchase validation names the field, and a refused purchase writes nothing', async () => {
  const usd = await newTenant(srv, { name: 'Dollar Org', currency: 'USD' });
  const usdTok = await tokenFor(srv, usd.id, 'billing_admin');
  const base = await buy({ plan: 'biz-standard', quantity: 3 });
  const mail = await buy({ plan: 'mail-p1', quantity: 3 });
  const otherBase = await buy({ plan: 'biz-basic', quantity: 1 }, otherTok, other.id);
  const cases = [
    ['unknown plan', T.id, tok.billing_admin, { plan: 'biz-platinum', quantity: 1 }, 'plan'],
    ['empty plan', T.id, tok.billing_admin, { plan: '', quantity: 1 }, 'plan'],
    ['currency mismatch (USD tenant, EUR plan)', usd.id, usdTok, { plan: 'biz-basic', quantity: 1 }, 'plan'],
    ['government plan, commercial tenant', T.id, tok.billing_admin, { plan: 'biz-basic-gov', quantity: 1 }, 'plan'],
    ['nonprofit plan, commercial tenant', T.id, tok.billing_admin, { plan: 'biz-basic-np', quantity: 1 }, 'plan'],
    ['add-on without addon_of', T.id, tok.billing_admin, { plan: 'voice-addon', quantity: 1 }, 'addon_of'],
    ['add-on on a base it does not attach to (mail-p1)', T.id, tok.billing_admin,
      { plan: 'voice-addon', quantity: 1, addon_of: mail.id }, 'addon_of'],
    ['add-on on no such subscription', T.id, tok.billing_admin,
      { plan: 'voice-addon', quantity: 1, addon_of: 'sub_999999' }, 'addon_of'],
    ['add-on on another tenant\'s subscription', T.id, tok.billing_admin,
      { plan: 'voice-addon', quantity: 1, addon_of: otherBase.id }, 'addon_of'],
    ['not an add-on, with addon_of', T.id, tok.billing_admin,
      { plan: 'biz-premium', quantity: 1, addon_of: base.id }, 'addon_of'],
    ['term unknown', T.id, tok.billing_admin, { plan: 'biz-basic', quantity: 1, term: 'biennial' }, 'term'],
  ];
  for (const [name, t, token, body, field] of cases) {
    const before = await listSubIds(t, token);
    const r = await srv.api('POST', subsPath(t), { token, body });
    expectError(r, 400, 'invalid_field', field, name);
    const afterIds = await listSubIds(t, token);
    assert.deepEqual(afterIds, before, `case ${name}: got subscriptions ${JSON.stringify(afterIds)}, want ${JSON.stringify(before)}`);
  }
  // The other tenant's subscription was not touched by the attempt.
  const ob = await getSub(otherBase.id, other.id);
  assert.equal(ob.quantity, 1, `case other tenant's base: got quantity ${ob.quantity}, want 1`);
  for (const id of [base.id, mail.id]) {
    const c = await srv.api('POST', `${subsPath()}/${id}/cancel`, { token: tok.billing_admin });
    assert.equal(c.status, 200, `case cancel ${id}: got ${c.status} ${c.text}`);
  }
});

test('an add-on attached to a base it lists: 201 with addon_of; the base cannot be cancelled under it', async () => {
  const base = await buy({ plan: 'biz-standard', quantity: 4 });
  const addon = await srv.api('POST', subsPath(), { token: tok.billing_admin,
    body: { plan: 'voice-addon', quantity: 2, addon_of: base.id } });
  assert.equal(addon.status, 201, `case add-on: got ${addon.status} ${addon.text}, want 201`);
  assert.equal(addon.json.addon_of, base.id, `case add-on addon_of: got ${addon.json.addon_of}, want ${base.id}`);
  assert.equal(addon.json.plan, 'voice-addon', `case add-on plan: got ${addon.json.plan}`);
  assert.equal(addon.json.product, 'voice', `case add-on product: got ${addon.json.product}, want voice`);
  const c = await srv.api('POST', `${subsPath()}/${base.id}/cancel`, { token: tok.billing_admin });
  expectError(c, 409, 'conflict', 'addon_of', 'cancel a base with an add-on');
  assert.equal((await getSub(base.id)).status, 'active', 'case base after refused cancel: not active');
  for (const id of [addon.json.id, base.id]) {
    const x = await srv.api('POST', `${subsPath()}/${id}/cancel`, { token: tok.billing_admin });
    assert.equal(x.status, 200, `case cancel ${id}: got ${x.status} ${x.text}, want 200`);
  }
  // An add-on cannot attach to a cancelled base.
  const late = await srv.api('POST', subsPath(), { token: tok.billing_admin,
    body: { plan: 'voice-addon', quantity: 1, addon_of: base.id } });
  expectError(late, 400, 'invalid_field', 'addon_of', 'add-on on a cancelled base');
});

// ---- seats and quantities ------------------------------------------------------

let S1; // biz-basic, 3 seats: the seat tests
let S2; // biz-standard (same product business)
let S3; // mail-p1 (another product)

test('PUT assignment: 201 the first time, 200 when repeated, counted once; billing_admin 403', async () => {
  S1 = await buy({ plan: 'biz-basic', quantity: 3 });
  S2 = await buy({ plan: 'biz-standard', quantity: 3 });
  S3 = await buy({ plan: 'mail-p1', quantity: 3 });
  const r1 = await seat(S1.id, U[0]);
  assert.equal(r1.status, 201, `case first assign: got ${r1.status} ${r1.text}, want 201`);
  assert.deepEqual(r1.json, { subscription: S1.id, user: U[0], assigned: true },
    `case first assign body: got ${r1.text}`);
  assert.equal((await getSub(S1.id)).assigned, 1, 'case assigned after first PUT: want 1');
  const r2 = await seat(S1.id, U[0]);
  assert.equal(r2.status, 200, `case repeated assign: got ${r2.status} ${r2.text}, want 200`);
  assert.equal((await getSub(S1.id)).assigned, 1, 'case assigned after repeated PUT: want still 1');
  const g = await seat(S1.id, U[1], tok.global_admin);
  assert.equal(g.status, 201, `case global_admin assigns: got ${g.status} ${g.text}, want 201`);
  for (const [name, token] of [['billing_admin', tok.billing_admin], ['reader', tok.reader]]) {
    const r = await seat(S1.id, U[2], token);
    expectError(r, 403, 'forbidden', undefined, `assign as ${name}`);
  }
  assert.equal((await getSub(S1.id)).assigned, 2, 'case assigned after refused PUTs: want 2');
});

test('a second seat of the same product on another subscription is 409 on user; another product is fine', async () => {
  const r = await seat(S2.id, U[0]);
  expectError(r, 409, 'conflict', 'user', 'same product twice');
  assert.equal((await getSub(S2.id)).assigned, 0, 'case S2 after 409: want 0 assigned');
  assert.equal((await getSub(S1.id)).assigned, 2, 'case S1 after 409: want 2 assigned');
  const ok = await seat(S3.id, U[0]);
  assert.equal(ok.status, 201, `case another product: got ${ok.status} ${ok.text}, want 201`);
  assert.equal((await getSub(S3.id)).assigned, 1, 'case S3 assigned: want 1');
});

test('assigning when every seat is taken is 409 on quantity, and changes nothing', async () => {
  const r = await seat(S1.id, U[2]);
  assert.equal(r.status, 201, `case third seat: got ${r.status} ${r.text}, want 201`);
  const full = await seat(S1.id, U[3]);
  expectError(full, 409, 'conflict', 'quantity', 'no seat left');
  const s = await getSub(S1.id);
  assert.equal(s.assigned, 3, `case assigned after 409: got ${s.assigned}, want 3`);
  const list = await srv.api('GET', `${subsPath()}/${S1.id}/assignments`, { token: tok.reader });
  assert.equal(list.status, 200, `case assignments list: got ${list.status} ${list.text}`);
  assert.deepEqual(list.json.items.map((a) => a.user), [U[0], U[1], U[2]],
    `case assignments after 409: got ${JSON.stringify(list.json.items.map((a) => a.user))}`);
  // Repeating a PUT for a seat already held is still fine when full.
  const again = await seat(S1.id, U[0]);
  assert.equal(again.status, 200, `case repeat PUT when full: got ${again.status} ${again.text}, want 200`);
});

test('assigning unknown users or another tenant\'s user is 404', async () => {
  const ou = await srv.api('POST', `/v1/tenants/${other.id}/users`, { token: otherTok,
    body: { upn: 'x@other.example', display_name: 'X' } });
  assert.equal(ou.status, 201, `case other user: got ${ou.status}`);
  for (const user of ['usr_999999', ou.json.id]) {
    const r = await seat(S3.id, user);
    expectError(r, 404, 'not_found', undefined, `assign ${user}`);
  }
  assert.equal((await getSub(S3.id)).assigned, 1, 'case S3 after 404s: want 1');
});

test('GET assignments lists the seats, pages, and is readable by readers', async () => {
  const r = await srv.api('GET', `${subsPath()}/${S1.id}/assignments?limit=2`, { token: tok.reader });
  assert.equal(r.status, 200, `case page 1: got ${r.status} ${r.text}`);
  assert.deepEqual(r.json.items.map((a) => a.user), [U[0], U[1]], `case page 1: got ${r.text}`);
  assert.equal(r.json.items[0].subscription, S1.id, `case item subscription: got ${r.json.items[0].subscription}`);
  assert.equal(r.json.items[0].product, 'business', `case item product: got ${r.json.items[0].product}`);
  assert.equal(r.json.next, U[1], `case page 1 next: got ${r.json.next}, want ${U[1]}`);
  const r2 = await srv.api('GET', `${subsPath()}/${S1.id}/assignments?limit=2&after=${r.json.next}`, { token: tok.reader });
  assert.deepEqual(r2.json.items.map((a) => a.user), [U[2]], `case page 2: got ${r2.text}`);
  assert.equal(r2.json.next, null, `case page 2 next: got ${r2.json.next}, want null`);
  const x = await srv.api('GET', `${subsPath()}/${S1.id}/assignments`, { token: otherTok });
  expectError(x, 404, 'not_found', undefined, 'assignments as another tenant');
});

test('PATCH quantity below assigned is allowed and shows as a license conflict', async () => {
  for (const [name, token] of [['license_admin', tok.license_admin], ['reader', tok.reader]]) {
    const r = await srv.api('PATCH', `${subsPath()}/${S1.id}`, { token, body: { quantity: 10 } });
    expectError(r, 403, 'forbidden', undefined, `PATCH as ${name}`);
  }
  const up = await srv.api('PATCH', `${subsPath()}/${S1.id}`, { token: tok.billing_admin, body: { quantity: 4 } });
  assert.equal(up.status, 200, `case PATCH up: got ${up.status} ${up.text}, want 200`);
  assert.equal(up.json.quantity, 4, `case PATCH up: got quantity ${up.json.quantity}, want 4`);
  let lic = (await licenses()).find((l) => l.subscription === S1.id);
  assert.deepEqual({ subscription: lic.subscription, plan: lic.plan, purchased: lic.purchased, assigned: lic.assigned,
    available: lic.available, conflict: lic.conflict },
  { subscription: S1.id, plan: 'biz-basic', purchased: 4, assigned: 3, available: 1, conflict: false },
  `case licenses after PATCH 4: got ${JSON.stringify(lic)}`);

  const down = await srv.api('PATCH', `${subsPath()}/${S1.id}`, { token: tok.billing_admin, body: { quantity: 2 } });
  assert.equal(down.status, 200, `case PATCH below assigned: got ${down.status} ${down.text}, want 200`);
  assert.equal(down.json.quantity, 2, `case PATCH down: got quantity ${down.json.quantity}, want 2`);
  assert.equal(down.json.assigned, 3, `case PATCH down: got assigned ${down.json.assigned}, want 3`);
  lic = (await licenses()).find((l) => l.subscription === S1.id);
  assert.deepEqual({ purchased: lic.purchased, assigned: lic.assigned, available: lic.available, conflict: lic.conflict },
    { purchased: 2, assigned: 3, available: 0, conflict: true }, `case licenses in conflict: got ${JSON.stringify(lic)}`);
  assert.ok(lic.assigned > lic.purchased, 'case conflict: want assigned > purchased');
  // No new seat while in conflict.
  const r = await seat(S1.id, U[4]);
  expectError(r, 409, 'conflict', 'quantity', 'assign while over-assigned');
  // Unassign one: 200 and the count goes down; the conflict clears.
  const d = await unseat(S1.id, U[2]);
  assert.equal(d.status, 200, `case DELETE assignment: got ${d.status} ${d.text}, want 200`);
  assert.deepEqual(d.json, { subscription: S1.id, user: U[2], assigned: false }, `case DELETE body: got ${d.text}`);
  assert.equal((await getSub(S1.id)).assigned, 2, 'case assigned after DELETE: want 2');
  const d2 = await unseat(S1.id, U[2]);
  expectError(d2, 404, 'not_found', undefined, 'DELETE the same assignment again');
  assert.equal((await getSub(S1.id)).assigned, 2, 'case assigned after second DELETE: want still 2');
  lic = (await licenses()).find((l) => l.subscription === S1.id);
  assert.equal(lic.conflict, false, `case conflict cleared: got ${JSON.stringify(lic)}`);
  const b = await unseat(S1.id, U[1], tok.billing_admin);
  expectError(b, 403, 'forbidden', undefined, 'DELETE assignment as billing_admin');
});

test('the licenses view: one item per live subscription, with exact counts', async () => {
  const items = await licenses();
  const byId = Object.fromEntries(items.map((l) => [l.subscription, l]));
  const want = {
    [S1.id]: { plan: 'biz-basic', purchased: 2, assigned: 2, available: 0, conflict: false },
    [S2.id]: { plan: 'biz-standard', purchased: 3, assigned: 0, available: 3, conflict: false },
    [S3.id]: { plan: 'mail-p1', purchased: 3, assigned: 1, available: 2, conflict: false },
  };
  for (const [id, w] of Object.entries(want)) {
    const l = byId[id];
    assert.ok(l, `case licenses: no item for ${id} in ${JSON.stringify(items)}`);
    for (const k of ['subscription', 'plan', 'purchased', 'assigned', 'available', 'conflict']) {
      assert.ok(k in l, `case licenses ${id}: got keys ${Object.keys(l)}, want ${k}`);
    }
    for (const [k, v] of Object.entries(w)) {
      assert.equal(l[k], v, `case licenses ${id} ${k}: got ${l[k]}, want ${v}`);
    }
  }
  // Cancelled subscriptions are not in the view.
  const all = await srv.api('GET', `${subsPath()}?limit=500`, { token: tok.reader });
  const cancelled = all.json.items.filter((s) => s.status === 'cancelled').map((s) => s.id);
  assert.ok(cancelled.length >= 4, `case cancelled subscriptions exist: got ${cancelled.length}`);
  for (const id of cancelled) assert.ok(!byId[id], `case licenses: cancelled ${id} listed`);
  assert.equal(items.length, all.json.items.length - cancelled.length,
    `case licenses count: got ${items.length}, want ${all.json.items.length - cancelled.length}`);
});

// ---- cancel ---------------------------------------------------------------------

test('cancel: 409 while users hold seats; 200 once unassigned; 409 again', async () => {
  const c1 = await srv.api('POST', `${subsPath()}/${S3.id}/cancel`, { token: tok.billing_admin });
  expectError(c1, 409, 'conflict', undefined, 'cancel with a user assigned');
  assert.equal((await getSub(S3.id)).status, 'active', 'case after refused cancel: want active');
  for (const [name, token] of [['license_admin', tok.license_admin], ['reader', tok.reader]]) {
    const r = await srv.api('POST', `${subsPath()}/${S3.id}/cancel`, { token });
    expectError(r, 403, 'forbidden', undefined, `cancel as ${name}`);
  }
  const d = await unseat(S3.id, U[0]);
  assert.equal(d.status, 200, `case unassign before cancel: got ${d.status} ${d.text}`);
  const c2 = await srv.api('POST', `${subsPath()}/${S3.id}/cancel`, { token: tok.billing_admin });
  assert.equal(c2.status, 200, `case cancel: got ${c2.status} ${c2.text}, want 200`);
  assert.equal(c2.json.status, 'cancelled', `case cancel status: got ${c2.json.status}, want cancelled`);
  assert.ok(Date.parse(c2.json.term_end) <= Date.now() + 1000, `case cancel ends the term now: got ${c2.json.term_end}`);
  const c3 = await srv.api('POST', `${subsPath()}/${S3.id}/cancel`, { token: tok.billing_admin });
  expectError(c3, 409, 'conflict', undefined, 'cancel twice');
  // A cancelled subscription takes no seat and no new quantity.
  const s = await seat(S3.id, U[5]);
  expectError(s, 409, 'conflict', undefined, 'assign on a cancelled subscription');
  const p = await srv.api('PATCH', `${subsPath()}/${S3.id}`, { token: tok.billing_admin, body: { quantity: 9 } });
  expectError(p, 409, 'conflict', undefined, 'PATCH a cancelled subscription');
  const g = await getSub(S3.id);
  assert.equal(g.quantity, 3, `case cancelled quantity: got ${g.quantity}, want 3`);
  assert.equal(g.assigned, 0, `case cancelled assigned: got ${g.assigned}, want 0`);
  // The operator cannot bring it back through the status route either.
  const st = await srv.api('PUT', `${subsPath()}/${S3.id}/status`, { body: { status: 'active' } });
  expectError(st, 409, 'conflict', undefined, 'status of a cancelled subscription');
  assert.equal((await getSub(S3.id)).status, 'cancelled', 'case cancelled stays cancelled');
});

// ---- the provider's status -------------------------------------------------------

test('operator PUT status walks provisioning, active, expired, disabled; tenant roles 403', async () => {
  for (const status of ['provisioning', 'active', 'expired', 'disabled', 'active']) {
    const r = await srv.api('PUT', `${subsPath()}/${S2.id}/status`, { body: { status } });
    assert.equal(r.status, 200, `case status ${status}: got ${r.status} ${r.text}, want 200`);
    assert.equal(r.json.status, status, `case status ${status}: got ${r.json.status}`);
    assert.equal((await getSub(S2.id)).status, status, `case status ${status} read back`);
  }
  for (const status of ['cancelled', 'replaced', 'Active', '', 'gone']) {
    const r = await srv.api('PUT', `${subsPath()}/${S2.id}/status`, { body: { status } });
    expectError(r, 400, 'invalid_field', 'status', `status ${JSON.stringify(status)}`);
  }
  const m = await srv.api('PUT', `${subsPath()}/${S2.id}/status`, { body: {} });
  expectError(m, 400, 'invalid_field', 'status', 'status missing');
  for (const [name, token] of Object.entries(tok)) {
    const r = await srv.api('PUT', `${subsPath()}/${S2.id}/status`, { token, body: { status: 'expired' } });
    expectError(r, 403, 'forbidden', undefined, `status as ${name}`);
  }
  assert.equal((await getSub(S2.id)).status, 'active', 'case status after refusals: want active');
});

test('a refused request writes nothing: counts unchanged after 409s, no subscription after a failed purchase', async () => {
  const before = await srv.api('GET', `${subsPath()}?limit=500`, { token: tok.reader });
  const lic0 = await licenses();
  await seat(S2.id, U[0]); // 409: U[0] holds S1 of the same product
  await seat(S1.id, U[5]); // 409: S1 is full
  await srv.api('POST', `${subsPath()}/${S1.id}/cancel`, { token: tok.billing_admin }); // 409: seats held
  await srv.api('POST', subsPath(), { token: tok.billing_admin, body: { plan: 'biz-basic-gov', quantity: 1 } });
  await srv.api('POST', subsPath(), { token: tok.billing_admin, body: { plan: 'biz-basic', quantity: 0 } });
  await srv.api('PATCH', `${subsPath()}/${S1.id}`, { token: tok.billing_admin, body: { quantity: -1 } });
  const afterSubs = await srv.api('GET', `${subsPath()}?limit=500`, { token: tok.reader });
  assert.deepEqual(afterSubs.json, before.json, `case subscriptions after refusals: got ${afterSubs.text}, want ${before.text}`);
  assert.deepEqual(await licenses(), lic0, 'case licenses after refusals changed');
});

test('concurrent assignments never hand out more seats than bought, nor two of one product', async () => {
  const C = await newTenant(srv, { name: 'Race Org' });
  const users = [];
  for (let i = 0; i < 12; i++) {
    const r = await srv.api('POST', `/v1/tenants/${C.id}/users`, { body: { upn: `r${i}@race.example`, display_name: 'R' } });
    users.push(r.json.id);
  }
  const s = await buy({ plan: 'biz-basic', quantity: 3 }, srv.operator, C.id);
  const rs = await Promise.all(users.map((u) =>
    srv.api('PUT', `${subsPath(C.id)}/${s.id}/assignments/${u}`)));
  const by = {};
  for (const r of rs) by[r.status] = (by[r.status] || 0) + 1;
  assert.deepEqual(by, { 201: 3, 409: 9 }, `case 12 parallel PUTs on 3 seats: got ${JSON.stringify(by)}`);
  for (const r of rs.filter((x) => x.status === 409)) {
    assert.equal(r.json.error.field, 'quantity', `case parallel 409: got field ${r.json.error.field}, want quantity`);
  }
  const g = await srv.api('GET', `${subsPath(C.id)}/${s.id}`);
  assert.equal(g.json.assigned, 3, `case assigned after the race: got ${g.json.assigned}, want 3`);
  // One user, two subscriptions of one product, at once: exactly one seat.
  const s2 = await buy({ plan: 'biz-standard', quantity: 3 }, srv.operator, C.id);
  const s3 = await buy({ plan: 'biz-premium', quantity: 3 }, srv.operator, C.id);
  const u = users[11];
  const held = rs[11].status === 201;
  const two = await Promise.all([s2, s3, s2, s3].map((x) => srv.api('PUT', `${subsPath(C.id)}/${x.id}/assignments/${u}`)));
  const created = two.filter((r) => r.status === 201).length;
  assert.equal(created, held ? 0 : 1, `case one user, two plans of a product at once: got ${created} seats created, want ${held ? 0 : 1} (${two.map((r) => r.status)})`);
  const lic = (await licenses(C.id, srv.operator)).filter((l) => [s2.id, s3.id].includes(l.subscription));
  const total = lic.reduce((n, l) => n + l.assigned, 0);
  assert.equal(total, held ? 0 : 1, `case seats of product business for ${u} on s2+s3: got ${total}`);
});

test('the daemon stops cleanly (exit 0: no leak or memory error reported)', async () => {
  const code = await srv.stop();
  assert.equal(code, 0, `case exit code: got ${code}, want 0; stderr:\n${srv.stderr.slice(-4000)}`);
});
