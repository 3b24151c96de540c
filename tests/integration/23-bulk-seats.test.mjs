// 23-bulk-seats: POST .../subscriptions/{s}/licenses/bulk assigns and
// unassigns many seats in one transaction with one audit row: all or
// nothing, every bad user named in faults; who may call it. Also the CSV
// import's POST .../users/bulk and the provider's GET /v1/credit-checks.
import assert from 'node:assert/strict';
import { test, before, after, startServer, tenantWithTokens, expectError, supportToken, until } from './harness.mjs';
import { buy, subsPath, seats, list } from './tenant-calls.mjs';

let srv;
let T;
let other; // another tenant's user: not found in T

before(async () => {
  srv = await startServer();
  T = await tenantWithTokens(srv, { name: 'Bulk Org' });
  const O = await tenantWithTokens(srv, { name: 'Other Org' });
  const u = await srv.api('POST', `/v1/tenants/${O.id}/users`, { body: { upn: 'x@o.example', display_name: 'X' } });
  other = u.json.id;
});

after(async () => {
  if (srv) await srv.stop();
});

async function users(n, tag) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const r = await srv.api('POST', `/v1/tenants/${T.id}/users`, { token: T.tok.license_admin,
      body: { upn: `${tag}${i}@bulk.example`, display_name: `${tag} ${i}` } });
    assert.equal(r.status, 201, `case user ${tag}${i}: got ${r.status} ${r.text}`);
    ids.push(r.json.id);
  }
  return ids;
}

// The tenant's events of a type, in commit order (events wait for older
// transactions to end: until() gives them the time).
async function eventsOf(type, want, which = () => true) {
  let got = [];
  await until(async () => {
    got = (await srv.api('GET', `/v1/tenants/${T.id}/events?type=${type}&limit=500`)).json.items.filter(which);
    return got.length >= want;
  }, 20000, `${want} ${type} events`);
  return got;
}

const bulk = (sub, body, token = T.tok.license_admin) =>
  srv.api('POST', `${subsPath(T)}/${sub}/licenses/bulk`, { token, body });

test('assign and unassign many at once: counts, seats, one audit row', async () => {
  const sub = (await buy(srv, T, { plan: 'biz-basic', quantity: 5 })).id;
  const u = await users(6, 'a');
  const auditBefore = (await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`)).json.items.length;
  let r = await bulk(sub, { assign: [u[0], u[1], u[2], u[2]] });
  assert.equal(r.status, 200, `case assign 3: got ${r.status} ${r.text}`);
  assert.deepEqual(r.json, { subscription: sub, assigned: 3, unassigned: 0, unchanged: 0, quantity: 5, total_assigned: 3 });
  r = await bulk(sub, { assign: [u[1], u[3], u[4]], unassign: [u[0]] });
  assert.equal(r.status, 200, `case assign and unassign: got ${r.status} ${r.text}`);
  assert.deepEqual(r.json, { subscription: sub, assigned: 2, unassigned: 1, unchanged: 1, quantity: 5, total_assigned: 4 });
  assert.deepEqual(await seats(srv, T, sub), [u[1], u[2], u[3], u[4]].sort());
  const audit = (await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`)).json.items;
  const rows = audit.slice(auditBefore).filter((a) => a.action === 'license.bulk');
  assert.equal(audit.length - auditBefore, 2, `case audit: got ${audit.length - auditBefore} new rows, want 2 (one per request)`);
  assert.equal(rows.length, 2, 'case audit: want two license.bulk rows');
  assert.equal(rows[1].object, sub, `case audit object: got ${rows[1].object}`);
  // Each seat changed has its event, as one seat at a time would.
  const assigned = (await eventsOf('license.assigned', 5)).filter((e) => e.data.subscription === sub);
  assert.deepEqual(assigned.map((e) => e.data.user), [u[0], u[1], u[2], u[3], u[4]], 'case license.assigned for each seat given');
  const unassigned = (await eventsOf('license.unassigned', 1)).filter((e) => e.data.subscription === sub);
  assert.deepEqual(unassigned.map((e) => e.data.user), [u[0]], 'case license.unassigned for the seat taken');
});

test('all or nothing: every bad user named, nothing changed', async () => {
  const sub = (await buy(srv, T, { plan: 'biz-basic', quantity: 3 })).id;
  const u = await users(4, 'b');
  assert.equal((await bulk(sub, { assign: [u[0]] })).status, 200);
  // A missing user, another tenant's, one holding no seat: 400 with each named; u[1] not assigned.
  let r = await bulk(sub, { assign: [u[1], 'usr_999999', other], unassign: [u[2]] });
  expectError(r, 400, 'invalid_field', 'unassign', 'bad users');
  const paths = r.json.error.faults.map((f) => f.path).sort();
  assert.deepEqual(paths, [`users[${other}].assign`, 'users[usr_999999].assign', `users[${u[2]}].unassign`].sort(),
    `case fault paths: got ${JSON.stringify(r.json.error.faults)}`);
  assert.deepEqual(await seats(srv, T, sub), [u[0]], 'case nothing changed after 400');
  // More seats than licenses: 409 naming the subscription; nothing changed.
  r = await bulk(sub, { assign: [u[1], u[2], u[3]] });
  expectError(r, 409, 'conflict', 'assign', 'over the licenses');
  assert.deepEqual(r.json.error.faults.map((f) => f.path), [`subscriptions[${sub}].assign`]);
  assert.deepEqual(await seats(srv, T, sub), [u[0]], 'case nothing changed after 409');
  // The product held from another subscription of the tenant: 409 naming that user.
  const sub2 = (await buy(srv, T, { plan: 'biz-standard', quantity: 3 })).id;
  r = await bulk(sub2, { assign: [u[0], u[3]] });
  expectError(r, 409, 'conflict', 'assign', 'product held elsewhere');
  assert.deepEqual(r.json.error.faults.map((f) => f.path), [`users[${u[0]}].assign`]);
  assert.deepEqual(await seats(srv, T, sub2), [], 'case nothing changed in sub2');
});

test('bad bodies name the field; readers and billing admins are refused; another tenant gets 404', async () => {
  const sub = (await list(srv, T, '/subscriptions'))[0].id;
  const cases = [
    [{}, 'assign'], [{ assign: [] }, 'assign'], [{ assign: 'usr_1' }, 'assign'], [{ assign: ['sub_1'] }, 'assign'],
    [{ unassign: [5] }, 'unassign'], [{ assign: ['usr_1'], unassign: ['usr_1'] }, 'unassign'], [{ users: ['usr_1'] }, 'users'],
  ];
  for (const [body, field] of cases) expectError(await bulk(sub, body), 400, 'invalid_field', field, JSON.stringify(body));
  expectError(await bulk(sub, { assign: ['usr_1'] }, T.tok.reader), 403, 'forbidden', undefined, 'reader');
  expectError(await bulk(sub, { assign: ['usr_1'] }, T.tok.billing_admin), 403, 'forbidden', undefined, 'billing_admin');
  const O = await tenantWithTokens(srv, { name: 'Third Org' });
  const r = await srv.api('POST', `/v1/tenants/${O.id}/subscriptions/${sub}/licenses/bulk`, { token: O.tok.license_admin, body: { assign: ['usr_1'] } });
  assert.equal(r.status, 404, `case other tenant's subscription: got ${r.status} ${r.text}`);
});

// ---- users in bulk (the CSV import) -------------------------------------------

test('users in bulk: all created in one request with one audit row; any bad user: none, each named by index', async () => {
  const path = `/v1/tenants/${T.id}/users/bulk`;
  const auditBefore = (await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`)).json.items.length;
  let r = await srv.api('POST', path, { token: T.tok.license_admin,
    body: { users: [{ upn: 'imp1@bulk.example', display_name: 'Imported One' }, { upn: 'imp2@bulk.example', display_name: 'Imported Two' }] } });
  assert.equal(r.status, 201, `case create 2: got ${r.status} ${r.text}`);
  assert.deepEqual(r.json, { created: 2 });
  const audit = (await srv.api('GET', `/v1/tenants/${T.id}/audit?limit=500`)).json.items.slice(auditBefore);
  assert.deepEqual(audit.map((a) => a.action), ['user.bulk_create'], 'case one audit row');
  const found = (await srv.api('GET', `/v1/tenants/${T.id}/users?q=imported`)).json.items.map((u) => u.upn);
  assert.deepEqual(found, ['imp1@bulk.example', 'imp2@bulk.example']);
  const made = await eventsOf('user.created', 2, (e) => e.data.upn.startsWith('imp'));
  assert.deepEqual(made.map((e) => e.data.upn), ['imp1@bulk.example', 'imp2@bulk.example'], 'case user.created for each');
  const count = async () => (await srv.api('GET', `/v1/tenants/${T.id}/users?limit=500`)).json.items.length;
  const n0 = await count();
  // Fields at fault and a repeated upn: 400, every one by index; nothing created.
  r = await srv.api('POST', path, { token: T.tok.license_admin, body: { users: [
    { upn: 'ok@bulk.example', display_name: 'Fine' }, { upn: 'no-at-sign', display_name: 'Bad' },
    { upn: 'x@bulk.example', display_name: '' }, { upn: 'OK@bulk.example', display_name: 'Twice' }] } });
  expectError(r, 400, 'invalid_field', 'users', 'bad fields');
  assert.deepEqual(r.json.error.faults.map((f) => f.path), ['users[1].upn', 'users[2].display_name', 'users[3].upn'],
    `case fault paths: ${JSON.stringify(r.json.error.faults)}`);
  // An upn the tenant has: 409 naming it; the good one before it not created either.
  r = await srv.api('POST', path, { token: T.tok.license_admin, body: { users: [
    { upn: 'new@bulk.example', display_name: 'New' }, { upn: 'imp1@bulk.example', display_name: 'Again' }] } });
  expectError(r, 409, 'conflict', 'users', 'upn taken');
  assert.deepEqual(r.json.error.faults.map((f) => f.path), ['users[1].upn']);
  assert.equal(await count(), n0, 'case nothing created after refusals');
  for (const [body, name] of [[{}, 'no users'], [{ users: [] }, 'empty'], [{ users: ['x'] }, 'not objects'],
    [{ users: [{ upn: 'a@b.c', display_name: 'A', role: 'x' }] }, 'extra field']]) {
    expectError(await srv.api('POST', path, { token: T.tok.license_admin, body }), 400, 'invalid_field', 'users', name);
  }
  expectError(await srv.api('POST', path, { token: T.tok.reader, body: { users: [{ upn: 'r@b.c', display_name: 'R' }] } }), 403, 'forbidden', undefined, 'reader');
});

// ---- the provider's credit checks in one list -----------------------------------

test('GET /v1/credit-checks: every tenant\'s credit checks in one list, paged, for the provider only', async () => {
  const made = [];
  for (const name of ['Check Org 1', 'Check Org 2']) {
    const X = await tenantWithTokens(srv, { name, credit_limit: 100 });
    const r = await srv.api('POST', `/v1/tenants/${X.id}/subscriptions`, { token: X.tok.billing_admin, body: { plan: 'biz-basic', quantity: 5 } });
    assert.ok(r.json && r.json.credit_check, `case ${name} waits on a credit check: ${r.status} ${r.text}`);
    made.push([X, r.json.credit_check.id]);
  }
  const seen = [];
  let next = null;
  do {
    const r = await srv.api('GET', `/v1/credit-checks?limit=1${next ? `&after=${next}` : ''}`);
    assert.equal(r.status, 200, r.text);
    seen.push(...r.json.items);
    next = r.json.next;
  } while (next);
  for (const [X, id] of made) {
    const c = seen.find((x) => x.id === id);
    assert.ok(c, `case ${id} listed`);
    assert.equal(c.tenant, X.id);
    assert.equal(c.status, 'pending');
  }
  const ids = seen.map((c) => Number(c.id.slice(3)));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'case oldest first');
  const sup = supportToken(srv);
  assert.equal((await srv.api('GET', '/v1/credit-checks', { token: sup })).status, 200, 'case support reads it');
  expectError(await srv.api('GET', '/v1/credit-checks', { token: made[0][0].tok.global_admin }), 403, 'forbidden', undefined, 'a tenant role');
});
