// 92-events: the event outbox (RULES "Events and webhooks"; API second part).
// Every change writes its events in its own transaction: each listed type is
// emitted by its change and by nothing else (a read, a refused change write
// none); `data` is the object as the API shows it; GET /v1/events and
// GET /v1/tenants/{t}/events page in commit order with `after`, filter by
// `type` (an unknown one is 400 naming `type`) and `tenant`; old events are
// pruned by the job runner on the store's clock; `planshift events tail`
// prints events as they commit. The clock is the manual one; nothing sleeps.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test, before, after, startServers, stopServers, makeStore, removeStore, tenantWithTokens, newTenant,
  setClock, expectError, until, BIN, ROOT, cli } from './harness.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buy, subsPath, upgrade } from './tenant-calls.mjs';

let store, srv;
let cursor = ''; // the last event seen by the type test

before(async () => {
  store = makeStore();
  [srv] = await startServers([{ store, args: ['--clock', 'manual', '--jobs-interval', '0s'] }]);
  await setClock(srv, '2026-11-10T10:00:00Z');
  // `init` loaded the catalog and `token create` made the operator's token.
  // (On PostgreSQL another test's open transaction may hold them back a while: doc/POSTGRES.md.)
  let first = [];
  await until(async () => (first = await eventsAfter('')).length >= 2, 30000, 'the events of init and token create');
  assert.deepEqual(first.map((e) => e.type), ['catalog.loaded', 'token.created'], 'case the events of init and token create');
  cursor = first.at(-1).id;
});

after(async () => {
  await stopServers([srv]);
  removeStore(store);
});

// Every event after `from` (an event id or ''), paging with a small limit.
async function eventsAfter(from, { path = '/v1/events', token, query = '' } = {}) {
  const got = [];
  let after = from;
  for (;;) {
    const r = await srv.api('GET', `${path}?limit=7${after ? `&after=${after}` : ''}${query}`, { token });
    assert.equal(r.status, 200, `case GET ${path}: got ${r.status} ${r.text}`);
    assert.ok(r.json, `case GET ${path}: got ${r.text}, want JSON`);
    got.push(...r.json.items);
    if (!r.json.next) break;
    assert.equal(r.json.next, r.json.items.at(-1).id, `case next cursor: got ${r.json.next}`);
    after = r.json.next;
  }
  return got;
}

// Make one change (fn) and assert that it wrote exactly `want` (event types,
// in order), waiting until they are visible (PostgreSQL shows an event once
// no transaction older than it runs). A change that should write none is
// followed by a marker change (a new user: user.created) so that anything
// it wrote would show up before the marker.
async function expectEvents(name, want, fn) {
  const out = await fn();
  let expect = want;
  if (want.length === 0) {
    const T = await newTenant(srv, { name: `marker after ${name}` });
    expect = ['tenant.created'];
    void T;
  }
  let got = [];
  await until(async () => {
    got = await eventsAfter(cursor);
    return got.length >= expect.length;
  }, 20000, `the events of ${name}`);
  assert.deepEqual(got.map((e) => e.type), expect, `case ${name}: got ${JSON.stringify(got.map((e) => e.type))}, want ${JSON.stringify(expect)}`);
  for (const e of got) {
    assert.match(e.id, /^evt_[1-9]\d*$/, `case ${name}: event id ${e.id}`);
    assert.equal(typeof e.data, 'object', `case ${name} ${e.type}: data ${JSON.stringify(e.data)}`);
    assert.match(e.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `case ${name} ${e.type}: created ${e.created}`);
  }
  if (got.length) cursor = got.at(-1).id;
  return { out, events: got };
}

test('every listed type is emitted by its change and by nothing else, with the object as the API shows it', async () => {
  const seen = new Set();
  // The cursor past a tenant made with its tokens (tenant.created and one
  // token.created per role), once they are listed: on PostgreSQL another
  // database's open transaction may hold them back a while (doc/POSTGRES.md).
  const pastTenant = async (X) => {
    let items = [];
    await until(async () => (items = await eventsAfter(cursor)).filter((e) => e.tenant === X.id).length === 1 + Object.keys(X.tok).length,
      30000, `the events of ${X.name} listed`);
    return items.at(-1).id;
  };
  const run = async (name, want, fn) => {
    const r = await expectEvents(name, want, fn);
    for (const t of want) seen.add(t);
    return r;
  };
  let T;
  const t = await run('tenant create', ['tenant.created'], async () => {
    T = await newTenant(srv, { name: 'Events Org', credit_limit: 1000000 });
    return T;
  });
  assert.deepEqual(t.events[0].data, T, 'case tenant.created data is the tenant as POST answered it');
  assert.equal(t.events[0].tenant, T.id, 'case tenant.created tenant');
  assert.equal(t.events[0].created, '2026-11-10T10:00:00Z', 'case created on the store\'s clock');

  const tok = {};
  for (const role of ['global_admin', 'billing_admin', 'license_admin', 'reader']) {
    await run(`token ${role}`, ['token.created'], async () => {
      const r = await srv.api('POST', `/v1/tenants/${T.id}/tokens`, { body: { role } });
      assert.equal(r.status, 201, `case token: ${r.status} ${r.text}`);
      tok[role] = r.json.token;
      return r.json;
    });
  }
  T.tok = tok;
  const extra = await srv.api('POST', `/v1/tenants/${T.id}/tokens`, { body: { role: 'reader', name: 'to revoke' } });
  const rv = await run('token revoke', ['token.created', 'token.revoked'], async () => {
    const r = await srv.api('DELETE', `/v1/tokens/${extra.json.id}`);
    assert.equal(r.status, 204, `case revoke: ${r.status} ${r.text}`);
  });
  assert.equal(rv.events[1].data.id, extra.json.id, 'case token.revoked data is the token');
  assert.ok(!('token' in rv.events[1].data), 'case token.revoked data has no secret');
  assert.ok(!('token' in rv.events[0].data), 'case token.created data has no secret');

  let user;
  const u = await run('user create', ['user.created'], async () => {
    const r = await srv.api('POST', `/v1/tenants/${T.id}/users`, { token: tok.license_admin,
      body: { upn: 'ada@events.example', display_name: 'Ada' } });
    assert.equal(r.status, 201, `case user: ${r.status} ${r.text}`);
    user = r.json;
  });
  assert.deepEqual(u.events[0].data, user, 'case user.created data');

  let sub;
  const p = await run('purchase', ['subscription.created', 'invoice.issued'], async () => {
    sub = await buy(srv, T, { plan: 'biz-basic', quantity: 5 });
  });
  assert.deepEqual(p.events[0].data, (await srv.api('GET', `${subsPath(T)}/${sub.id}`)).json, 'case subscription.created data is the subscription as GET shows it');
  assert.equal(p.events[1].data.subscription ?? p.events[1].data.lines?.[0]?.subscription ?? sub.id, sub.id, 'case invoice.issued is about the purchase');

  await run('assign', ['license.assigned'], async () => {
    const r = await srv.api('PUT', `${subsPath(T)}/${sub.id}/assignments/${user.id}`, { token: tok.license_admin });
    assert.equal(r.status, 201, `case assign: ${r.status} ${r.text}`);
  });
  await run('assign again (no change)', [], async () => {
    const r = await srv.api('PUT', `${subsPath(T)}/${sub.id}/assignments/${user.id}`, { token: tok.license_admin });
    assert.equal(r.status, 200, `case assign again: ${r.status} ${r.text}`);
  });
  const un = await run('unassign', ['license.unassigned'], async () => {
    const r = await srv.api('DELETE', `${subsPath(T)}/${sub.id}/assignments/${user.id}`, { token: tok.license_admin });
    assert.equal(r.status, 200, `case unassign: ${r.status} ${r.text}`);
  });
  assert.deepEqual(un.events[0].data, { subscription: sub.id, user: user.id, assigned: false }, 'case license.unassigned data');

  await run('seats up', ['subscription.updated', 'invoice.issued'], async () => {
    const r = await srv.api('PATCH', `${subsPath(T)}/${sub.id}`, { token: tok.billing_admin, body: { quantity: 6 } });
    assert.equal(r.status, 200, `case seats: ${r.status} ${r.text}`);
  });
  await run('payment', ['payment.received'], async () => {
    const r = await srv.api('POST', `/v1/tenants/${T.id}/payments`, { token: tok.billing_admin, body: { amount: 100 } });
    assert.equal(r.status, 201, `case pay: ${r.status} ${r.text}`);
  });

  // Reads and refused changes write nothing.
  await run('reads', [], async () => {
    for (const path of [`/v1/tenants/${T.id}`, subsPath(T), `${subsPath(T)}/${sub.id}/upgrades`, `/v1/tenants/${T.id}/billing`, '/v1/events']) {
      const r = await srv.api('GET', path);
      assert.equal(r.status, 200, `case GET ${path}: ${r.status}`);
    }
    const pv = await srv.api('POST', `${subsPath(T)}/${sub.id}/upgrade/preview`, { token: tok.reader, body: { target_plan: 'biz-standard' } });
    assert.equal(pv.status, 200, `case preview: ${pv.status} ${pv.text}`);
  });
  await run('refused changes', [], async () => {
    expectError(await srv.api('POST', subsPath(T), { token: tok.billing_admin, body: { plan: 'nope', quantity: 1 } }), 400, 'invalid_field', 'plan', 'unknown plan');
    expectError(await srv.api('PATCH', `${subsPath(T)}/${sub.id}`, { token: tok.billing_admin, body: { quantity: 0 } }), 400, 'invalid_field', 'quantity', 'zero seats');
    expectError(await srv.api('POST', `/v1/tenants/${T.id}/users`, { token: tok.license_admin, body: { upn: 'ada@events.example', display_name: 'Ada' } }), 409, 'conflict', 'upn', 'same upn');
    expectError(await srv.api('POST', subsPath(T), { token: tok.reader, body: { plan: 'biz-basic', quantity: 1 } }), 403, 'forbidden', undefined, 'a reader buys');
  });

  let op;
  const up = await run('upgrade', ['operation.created', 'subscription.created', 'invoice.issued', 'subscription.updated'], async () => {
    const r = await upgrade(srv, T, sub.id, { target_plan: 'biz-standard' });
    assert.equal(r.status, 201, `case upgrade: ${r.status} ${r.text}`);
    op = r.json;
  });
  assert.deepEqual(up.events[0].data, (await srv.api('GET', `/v1/tenants/${T.id}/operations/${op.id}`)).json, 'case operation.created data is the operation as it is at commit');
  assert.equal(up.events[1].data.id, op.new_subscription, 'case subscription.created is the new subscription');
  assert.equal(up.events[3].data.id, sub.id, 'case subscription.updated is the source');
  assert.equal(up.events[3].data.status, 'replaced', 'case the source as it is at commit');

  const later = await run('upgrade at term end', ['operation.created'], async () => {
    const r = await upgrade(srv, T, op.new_subscription, { target_plan: 'biz-premium', when: 'term_end' });
    assert.equal(r.status, 202, `case scheduled: ${r.status} ${r.text}`);
    return r.json;
  });
  await run('scheduled operation cancelled', ['operation.updated'], async () => {
    const r = await srv.api('POST', `/v1/tenants/${T.id}/operations/${later.out.id}/cancel`, { token: tok.billing_admin });
    assert.equal(r.status, 200, `case op cancel: ${r.status} ${r.text}`);
  });

  let inc;
  await run('incident open', ['incident.opened'], async () => {
    const r = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'chat', status: 'degraded', title: 'Slow mail' } });
    assert.equal(r.status, 201, `case incident: ${r.status} ${r.text}`);
    inc = r.json;
  });
  const iu = await run('incident update', ['incident.updated'], async () => {
    const r = await srv.api('PATCH', `/v1/service-health/incidents/${inc.id}`, { body: { message: 'looking' } });
    assert.equal(r.status, 200, `case incident update: ${r.status} ${r.text}`);
  });
  assert.equal(iu.events[0].tenant, null, 'case an incident is of no one tenant');
  assert.equal(iu.events[0].data.updates.length, 1, 'case incident.updated data has its updates');
  await run('incident resolve', ['incident.resolved'], async () => {
    const r = await srv.api('POST', `/v1/service-health/incidents/${inc.id}/resolve`);
    assert.equal(r.status, 200, `case resolve: ${r.status} ${r.text}`);
  });

  await run('support request', ['support_request.created'], async () => {
    const r = await srv.api('POST', `/v1/tenants/${T.id}/support-requests`, { token: tok.billing_admin,
      body: { subscription: op.new_subscription, reason_codes: [], description: 'Help' } });
    assert.equal(r.status, 201, `case support: ${r.status} ${r.text}`);
  });

  const cat = await run('catalog load', ['catalog.loaded'], async () => {
    const c = await srv.api('GET', '/v1/catalog');
    const body = { ...c.json };
    delete body.version;
    const r = await srv.api('PUT', '/v1/catalog', { body });
    assert.equal(r.status, 201, `case catalog: ${r.status} ${r.text}`);
    return r.json;
  });
  assert.equal(cat.events[0].tenant, null, 'case catalog.loaded is of no one tenant');
  assert.equal(cat.events[0].data.version, cat.out.version, 'case catalog.loaded data');

  // A credit check: a tenant with a small limit buys past it.
  const C = await tenantWithTokens(srv, { name: 'Events Credit Org', credit_limit: 1000 });
  cursor = await pastTenant(C);
  let pending;
  await run('purchase past the credit limit', ['subscription.created', 'credit_check.requested'], async () => {
    pending = await buy(srv, C, { plan: 'biz-basic', quantity: 10 }, 202);
  });
  await run('credit decision', ['credit_check.decided', 'invoice.issued', 'subscription.updated'], async () => {
    const r = await srv.api('POST', `/v1/credit-checks/${pending.credit_check.id}/decision`, { body: { approved: true } });
    assert.equal(r.status, 200, `case decision: ${r.status} ${r.text}`);
  });

  // A tenant paying by card is charged at once.
  const K = await tenantWithTokens(srv, { name: 'Events Card Org', payment: 'card' });
  cursor = await pastTenant(K);
  let kSub;
  await run('purchase by card', ['subscription.created', 'payment.received', 'invoice.issued'], async () => {
    kSub = await buy(srv, K, { plan: 'mail-p1', quantity: 2 });
  });

  // The job runner's changes: renewals at the period's end.
  const renewed = await run('renewals by the job runner', [
    'invoice.issued', 'subscription.updated', // the upgraded subscription (by invoice)
    'invoice.issued', 'subscription.updated', // the credit-checked one
    'payment.received', 'invoice.issued', 'subscription.updated', // the card tenant's, charged at once
  ], async () => {
    await setClock(srv, '2026-12-10T10:00:00Z');
  });
  assert.ok(renewed.events.every((e) => e.created === '2026-12-10T10:00:00Z'), 'case renewal events on the store\'s clock');

  // A change and a cancellation at the term's end, made by the job runner then.
  await run('upgrade at term end (card)', ['operation.created'], async () => {
    const r = await upgrade(srv, K, kSub.id, { target_plan: 'mail-p2', when: 'term_end' });
    assert.equal(r.status, 202, `case scheduled: ${r.status} ${r.text}`);
  });
  await run('cancel at term end', ['subscription.updated', 'operation.created'], async () => {
    const r = await srv.api('POST', `${subsPath(C)}/${pending.id}/cancel`, { token: C.tok.billing_admin, body: { when: 'term_end' } });
    assert.equal(r.status, 200, `case cancel at term end: ${r.status} ${r.text}`);
  });
  const ran = await run('term end: the scheduled change, the cancellation, the renewals', [
    'subscription.created', 'subscription.updated', 'operation.updated', // K's change: the new subscription, the source replaced, the operation done
    'subscription.updated', 'operation.updated', // C's subscription cancelled, its cancel operation completed
    'invoice.issued', 'subscription.updated', // T's renewal
    'payment.received', 'invoice.issued', 'subscription.updated', // K's new subscription renewed, by card
  ], async () => {
    await setClock(srv, '2027-01-10T10:00:00Z');
  });
  assert.equal(ran.events[2].data.state, 'completed', 'case operation.updated: the operation as it ended');
  assert.equal(ran.events[3].data.status, 'cancelled', 'case C\'s subscription.updated: cancelled');
  assert.deepEqual([ran.events[4].data.type, ran.events[4].data.state], ['cancel', 'completed'], 'case C\'s cancel operation completed');

  // The one list of types (PS_EVENT_TYPE_MAP): the binary's, the docs', and every one driven here.
  const types = cli(['events', 'types']).stdout.trim().split('\n');
  assert.deepEqual([...seen].sort(), [...types].sort(), 'case every listed type was driven');
  const spec = readFileSync(join(ROOT, 'doc', 'openapi.yaml'), 'utf8');
  const m = /    EventType:\n(?:.*\n)*?      enum: \[(.*)\]/.exec(spec);
  assert.ok(m, 'case doc/openapi.yaml has EventType\'s enum');
  assert.deepEqual(m[1].split(', '), types, 'case doc/openapi.yaml lists the binary\'s event types');
  const web = readFileSync(join(ROOT, 'web', 'js', 'pages', 'events.mjs'), 'utf8');
  const w = /EVENT_TYPES = \[([^\]]*)\]/.exec(web);
  assert.deepEqual(w[1].split(',').map((x) => x.trim().replace(/'/g, '')).filter(Boolean), types, 'case the admin center\'s filter lists the binary\'s event types');
  for (const lang of ['en', 'fr']) {
    const strings = JSON.parse(readFileSync(join(ROOT, 'web', 'i18n', `${lang}.json`), 'utf8'));
    for (const x of types) assert.ok(strings[`events.type.${x}`], `case web/i18n/${lang}.json names ${x}`);
  }
});

test('lists: tenant and type filters, the tenant route, an unknown type 400, who may read', async () => {
  const A = await tenantWithTokens(srv, { name: 'Filter A' });
  const B = await tenantWithTokens(srv, { name: 'Filter B' });
  await buy(srv, A, { plan: 'biz-basic', quantity: 1 });
  await buy(srv, B, { plan: 'biz-basic', quantity: 1 });
  let all;
  await until(async () => {
    all = await eventsAfter('');
    return all.filter((e) => e.tenant === B.id && e.type === 'invoice.issued').length === 1;
  }, 20000, 'B\'s invoice event');
  const ids = all.map((e) => Number(e.id.slice(4)));
  assert.equal(new Set(ids).size, ids.length, 'case each event once');
  const ofA = await eventsAfter('', { path: `/v1/tenants/${A.id}/events`, token: A.tok.global_admin });
  assert.deepEqual(ofA.map((e) => e.id), all.filter((e) => e.tenant === A.id).map((e) => e.id), 'case the tenant route: its events, in the same order');
  const q = await eventsAfter('', { query: `&tenant=${A.id}` });
  assert.deepEqual(q.map((e) => e.id), ofA.map((e) => e.id), 'case ?tenant= is the tenant route');
  const subs = await eventsAfter('', { query: '&type=subscription.created' });
  assert.deepEqual(subs.map((e) => e.id), all.filter((e) => e.type === 'subscription.created').map((e) => e.id), 'case ?type=');
  const subsA = await eventsAfter('', { path: `/v1/tenants/${A.id}/events`, query: '&type=tenant.created' });
  assert.deepEqual(subsA.map((e) => e.type), ['tenant.created'], 'case ?type= on the tenant route');
  const mid = all[Math.floor(all.length / 2)].id;
  const rest = await eventsAfter(mid);
  assert.deepEqual(rest.map((e) => e.id), all.slice(Math.floor(all.length / 2) + 1).map((e) => e.id), 'case after= resumes after that event');

  expectError(await srv.api('GET', '/v1/events?type=subscription.deleted'), 400, 'invalid_field', 'type', 'unknown type');
  expectError(await srv.api('GET', `/v1/tenants/${A.id}/events?type=nope`), 400, 'invalid_field', 'type', 'unknown type, tenant route');
  expectError(await srv.api('GET', '/v1/events?after=sub_3'), 400, 'invalid_field', 'after', 'a cursor of another list');
  expectError(await srv.api('GET', '/v1/events?tenant=x'), 400, 'invalid_field', 'tenant', 'a bad tenant');
  for (const role of ['billing_admin', 'license_admin', 'reader']) {
    expectError(await srv.api('GET', `/v1/tenants/${A.id}/events`, { token: A.tok[role] }), 403, 'forbidden', undefined, `${role} reads events`);
  }
  expectError(await srv.api('GET', '/v1/events', { token: A.tok.global_admin }), 403, 'forbidden', undefined, 'global_admin reads every event');
  expectError(await srv.api('GET', `/v1/tenants/${B.id}/events`, { token: A.tok.global_admin }), 404, 'not_found', undefined, 'another tenant\'s events');
});

test('retention: the job runner prunes events older than --event-retention on the store\'s clock, and no younger one', async () => {
  const store2 = makeStore();
  const [s2] = await startServers([{ store: store2, args: ['--clock', 'manual', '--jobs-interval', '0s', '--event-retention', '2d'] }]);
  try {
    await setClock(s2, '2027-01-01T00:00:00Z');
    const old = await newTenant(s2, { name: 'Old' });
    await setClock(s2, '2027-01-02T12:00:00Z');
    const young = await newTenant(s2, { name: 'Young' });
    const list = async () => (await s2.api('GET', '/v1/events?limit=500')).json.items.filter((e) => e.type === 'tenant.created').map((e) => e.data.id);
    await until(async () => (await list()).length === 2, 20000, 'both events');
    await setClock(s2, '2027-01-03T00:00:00Z'); // old is exactly 2 days old: kept
    assert.deepEqual(await list(), [old.id, young.id], 'case an event exactly the retention old is kept');
    await setClock(s2, '2027-01-03T00:00:01Z'); // a pass: old is past 2 days
    assert.deepEqual(await list(), [young.id], 'case the older event pruned, the younger kept');
    const bad = cli(['serve', '--db', store2.db, '--event-retention', 'soon']);
    assert.notEqual(bad.status, 0, 'case --event-retention soon refused');
    assert.match(bad.stderr, /event-retention/, `case the message names the option: ${bad.stderr}`);
  } finally {
    await stopServers([s2]);
    removeStore(store2);
  }
});

test('planshift events tail prints each event as it commits, one JSON line each, with its filters', async () => {
  const help = cli(['events', 'tail', '--help']);
  assert.equal(help.status, 0, `case --help: ${help.stderr}`);
  assert.match(help.stdout, /--after/, 'case --help lists --after');
  const start = (await eventsAfter('')).at(-1).id;
  const T = await tenantWithTokens(srv, { name: 'Tail Org' });
  const proc = spawn(BIN, ['events', 'tail', '--db', store.db, '--tenant', T.id, '--type', 'subscription.created', '--after', start], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  try {
    const s = await buy(srv, T, { plan: 'biz-basic', quantity: 3 });
    const other = await tenantWithTokens(srv, { name: 'Tail Other' });
    await buy(srv, other, { plan: 'biz-basic', quantity: 1 });
    const s2 = await buy(srv, T, { plan: 'mail-p1', quantity: 1 });
    await until(() => out.split('\n').filter(Boolean).length >= 2, 20000, `two lines from events tail (stderr: ${err})`);
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => [e.type, e.tenant, e.data.id]), [['subscription.created', T.id, s.id], ['subscription.created', T.id, s2.id]],
      `case tail lines: got ${out}`);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('close', r));
  }
});
