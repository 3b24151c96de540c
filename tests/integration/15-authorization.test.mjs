// 15-authorization: every route of the real daemon, called by every role,
// on the caller's own tenant and on another: allowed, 403 forbidden, or 404
// as if the other tenant did not exist. The expected answers come from the
// table below, written from doc API.md independently of the daemon's route
// table, so that removing any check (a role from a permission, a
// permission from a route, the tenant scope) fails a case here.
import assert from 'node:assert/strict';
import { after, before, cli, newTenant, startServer, test, tokenFor } from './harness.mjs';

const ALL = ['operator', 'support', 'global_admin', 'billing_admin', 'license_admin', 'reader'];
const PROVIDER = ['operator', 'support'];
const BUYERS = ['operator', 'global_admin', 'billing_admin'];
const LICENSERS = ['operator', 'global_admin', 'license_admin'];
const ADMINS = ['operator', 'global_admin'];
const OPERATOR = ['operator'];
const TENANT_ROLES = ['global_admin', 'billing_admin', 'license_admin', 'reader'];
const ANYONE = 'anyone';

const T = '/v1/tenants/{t}';
const S = `${T}/subscriptions/{s}`;

// [method, path, who may call it]
const EXPECTED = [
  ['GET', '/healthz', ANYONE],
  ['GET', '/v1/catalog', ALL],
  ['PUT', '/v1/catalog', OPERATOR],
  ['GET', '/v1/catalog/versions', OPERATOR],
  ['GET', '/v1/whoami', ALL],
  ['GET', '/v1/tenants', PROVIDER],
  ['POST', '/v1/tenants', OPERATOR],
  ['GET', T, ALL],
  ['POST', `${T}/tokens`, ADMINS],
  ['GET', `${T}/tokens`, ADMINS],
  ['GET', '/v1/tokens', OPERATOR],
  ['DELETE', '/v1/tokens/{tok}', ADMINS],
  ['POST', '/v1/sessions', ANYONE],
  ['GET', '/v1/sessions/current', ALL],
  ['DELETE', '/v1/sessions/current', ALL],
  ['GET', `${T}/users`, ALL],
  ['POST', `${T}/users`, LICENSERS],
  ['POST', `${T}/users/bulk`, LICENSERS],
  ['GET', `${T}/users/{user}`, ALL],
  ['GET', `${T}/subscriptions`, ALL],
  ['POST', `${T}/subscriptions`, BUYERS],
  ['GET', S, ALL],
  ['PATCH', S, BUYERS],
  ['POST', `${S}/cancel`, BUYERS],
  ['PUT', `${S}/status`, OPERATOR],
  ['GET', `${S}/assignments`, ALL],
  ['PUT', `${S}/assignments/{user}`, LICENSERS],
  ['DELETE', `${S}/assignments/{user}`, LICENSERS],
  ['POST', `${S}/licenses/bulk`, LICENSERS],
  ['GET', `${T}/licenses`, ALL],
  ['GET', `${S}/upgrades`, ALL],
  ['GET', '/v1/service-health', ALL],
  ['POST', '/v1/service-health/incidents', OPERATOR],
  ['POST', '/v1/service-health/incidents/{i}/resolve', OPERATOR],
  ['PATCH', '/v1/service-health/incidents/{i}', OPERATOR],
  ['GET', `${T}/audit`, ADMINS],
  ['GET', '/v1/events', OPERATOR],
  ['GET', `${T}/events`, ADMINS],
  ['POST', `${S}/upgrade/preview`, ALL],
  ['POST', `${S}/switch/preview`, ALL],
  ['POST', `${S}/upgrade`, BUYERS],
  ['POST', `${S}/switch`, BUYERS],
  ['GET', `${T}/operations`, ALL],
  ['GET', `${T}/operations/{o}`, ALL],
  ['POST', `${T}/operations/{o}/cancel`, BUYERS],
  ['POST', `${T}/operations/{o}/fail`, OPERATOR],
  ['GET', `${T}/billing`, ALL],
  ['POST', `${T}/payments`, BUYERS],
  ['GET', `${T}/credit-checks`, ALL],
  ['POST', '/v1/credit-checks/{c}/decision', OPERATOR],
  ['GET', '/v1/credit-checks', PROVIDER],
  ['POST', `${T}/support-requests`, BUYERS],
  ['GET', `${T}/support-requests`, ALL],
  ['GET', '/v1/support-requests', PROVIDER],
  ['GET', '/v1/fleet', PROVIDER],
  ['GET', '/v1/clock', OPERATOR],
  ['POST', '/v1/clock', OPERATOR],
  ['GET', '/metrics', OPERATOR],
  ['POST', '/v1/webhooks', OPERATOR],
  ['GET', '/v1/webhooks', OPERATOR],
  ['GET', '/v1/webhooks/{w}', OPERATOR],
  ['PATCH', '/v1/webhooks/{w}', OPERATOR],
  ['DELETE', '/v1/webhooks/{w}', OPERATOR],
  ['POST', '/v1/webhooks/{w}/secret', OPERATOR],
  ['GET', '/v1/webhooks/{w}/deliveries', OPERATOR],
];

let srv;
const tenants = {}; // own, other: {id, s, user, op, tok: {role: token}}
const tok = {}; // provider roles
let incident;

// A tenant with a user, a subscription and a finished operation, and a
// token of each tenant role.
async function fixture(name) {
  const t = await newTenant(srv, { name });
  const u = await srv.api('POST', `/v1/tenants/${t.id}/users`,
    { body: { upn: `ada@${name.toLowerCase()}.example`, display_name: 'Ada' } });
  assert.equal(u.status, 201, `setup user: ${u.text}`);
  const buy = () => srv.api('POST', `/v1/tenants/${t.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 2 } });
  const moved = await buy();
  assert.equal(moved.status, 201, `setup subscription: ${moved.text}`);
  const op = await srv.api('POST', `/v1/tenants/${t.id}/subscriptions/${moved.json.id}/upgrade`,
    { body: { target_plan: 'ent-e3' } });
  assert.ok(op.status === 201 || op.status === 202, `setup operation: ${op.status} ${op.text}`);
  const s = await buy();
  assert.equal(s.status, 201, `setup subscription: ${s.text}`);
  const f = { id: t.id, s: s.json.id, user: u.json.id, op: op.json.id, tok: {} };
  for (const role of TENANT_ROLES) f.tok[role] = await tokenFor(srv, t.id, role);
  return f;
}

before(async () => {
  srv = await startServer({ args: ['--clock', 'manual'] });
  tok.operator = srv.operator;
  const sup = cli(['token', 'create', '--db', srv.db, '--role', 'support']);
  assert.equal(sup.status, 0, `setup support token: ${sup.stderr}`);
  tok.support = sup.stdout.trim();
  tenants.own = await fixture('Own');
  tenants.other = await fixture('Other');
  const i = await srv.api('POST', '/v1/service-health/incidents',
    { body: { service: 'mail-1', status: 'degraded', title: 'authz probe' } });
  if (i.status !== 201) {
    // The catalog's first service, whatever it is called.
    const h = await srv.api('GET', '/v1/service-health');
    const j = await srv.api('POST', '/v1/service-health/incidents',
      { body: { service: h.json.services[0].id, status: 'degraded', title: 'authz probe' } });
    assert.equal(j.status, 201, `setup incident: ${j.text}`);
    incident = j.json.id;
  } else {
    incident = i.json.id;
  }
});

after(async () => {
  if (srv) await srv.stop();
});

function fill(path, t) {
  return path.replace('{t}', t.id).replace('{s}', t.s).replace('{user}', t.user).replace('{o}', t.op)
    .replace('{i}', incident).replace('{c}', 'cc_1')
    .replace('{tok}', 'tok_987654').replace('{w}', 'wh_987654');
}

// Every change is sent with a field no call takes, so that a caller who
// passes the checks is refused (400) before anything is written.
const PROBE = { authz_probe: true };

async function call(method, path, token) {
  const body = method === 'GET' ? undefined : PROBE;
  return srv.api(method, path, { token, body });
}

// What the answer says about the checks: allowed, forbidden or hidden.
function outcome(r) {
  if (r.status === 403 && r.json?.error?.code === 'forbidden') return 'forbidden';
  if (r.status === 404 && r.json?.error?.message === 'no such tenant') return 'hidden';
  // Past the checks, an object that is not there (a token or webhook id no
  // one has, a session a bearer token does not have): the caller was let through.
  if (r.status === 404 && /^no (such token|such webhook|session)/.test(r.json?.error?.message || '')) return 'allowed';
  if (r.status === 401 || r.status === 403 || r.status === 404) return `unexpected ${r.status} ${r.text}`;
  return 'allowed';
}

test('the expectations cover exactly the routes of `planshift routes`', () => {
  const r = cli(['routes']);
  assert.equal(r.status, 0);
  const listed = r.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' ')).sort();
  const expected = EXPECTED.map(([m, p]) => `${m} ${p}`).sort();
  assert.deepEqual(listed, expected, 'case route list: got the daemon\'s routes, want the table of this test');
});

test('every route x every role x own and other tenant: allowed, 403 or 404', async () => {
  const failures = [];
  let n = 0;
  for (const [method, pattern, who] of EXPECTED) {
    for (const role of ALL) {
      const isTenantRole = TENANT_ROLES.includes(role);
      const scopes = isTenantRole && pattern.includes('{t}') ? ['own', 'other'] : ['own'];
      for (const scope of scopes) {
        const token = isTenantRole ? tenants.own.tok[role] : tok[role];
        const path = fill(pattern, tenants[scope]);
        let want;
        if (who === ANYONE) want = 'allowed';
        else if (scope === 'other') want = 'hidden';
        else want = who.includes(role) ? 'allowed' : 'forbidden';
        const r = await call(method, path, token);
        const got = outcome(r);
        n++;
        if (got !== want) failures.push(`case ${method} ${pattern} as ${role} on ${scope} tenant: got ${got} (${r.status}), want ${want}`);
      }
    }
  }
  assert.ok(n > 300, `case count: got ${n} calls, want every route x role x scope`);
  assert.deepEqual(failures, [], failures.join('\n'));
});

test('every route but /healthz wants a token: 401 without one', async () => {
  const failures = [];
  for (const [method, pattern, who] of EXPECTED) {
    if (who === ANYONE) continue;
    const r = await call(method, fill(pattern, tenants.own), null);
    if (r.status !== 401 || r.json?.error?.code !== 'unauthorized') {
      failures.push(`case ${method} ${pattern} without a token: got ${r.status} ${r.text}, want 401 unauthorized`);
    }
  }
  assert.deepEqual(failures, [], failures.join('\n'));
});
