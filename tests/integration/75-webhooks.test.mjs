// Webhooks (API.md "Webhook deliveries", RULES "Events and webhooks"): the
// operator's endpoints, and real receivers (small HTTP servers here) that
// check each delivery's signature, see a tenant's events in order, get the
// retries on the store's clock, get nothing while disabled, time out after
// 10 s, get what was committed before a kill -9 after the restart, and get
// each attempt once from three daemons on one store. doc/WEBHOOKS.md's
// shell lines verify a captured delivery, run as the doc writes them.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  test, after, until, startServer, startServers, stopServers, makeStore, removeStore, newTenant,
  setClock, expectError, tempDir, ROOT,
} from './harness.mjs';

// A receiver: records every request (headers, raw body, parsed body) and
// answers with answer(req) (a status, or null: never answer).
async function receiver(answer = () => 200) {
  const got = [];
  const hanging = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const r = { headers: req.headers, body, json: JSON.parse(body), at: Date.now() };
      got.push(r);
      const status = answer(r);
      if (status === null) { hanging.push(res); return; }
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${srv.address().port}/hook`;
  return {
    got, url,
    close: () => new Promise((r) => { for (const h of hanging) h.destroy(); srv.closeAllConnections(); srv.close(r); }),
  };
}
const receivers = [];
async function newReceiver(answer) {
  const r = await receiver(answer);
  receivers.push(r);
  return r;
}
after(async () => { for (const r of receivers) await r.close(); });

// Planshift-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">.
function signatureOk(r, secret) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(r.headers['planshift-signature'] || '');
  if (!m) return false;
  const want = createHmac('sha256', secret).update(`${m[1]}.${r.body}`).digest('hex');
  return want === m[2];
}

async function hook(srv, body) {
  const r = await srv.api('POST', '/v1/webhooks', { body });
  assert.equal(r.status, 201, `case webhook create: got ${r.status} ${r.text}`);
  assert.match(r.json.secret, /^whsec_[A-Za-z0-9_-]{43}$/, 'case secret: got a secret of another shape');
  return r.json;
}

async function deliveries(srv, w) {
  const r = await srv.api('GET', `/v1/webhooks/${w}/deliveries?limit=200`);
  assert.equal(r.status, 200, `case deliveries: got ${r.status} ${r.text}`);
  return r.json.items;
}

async function metric(srv, result) {
  const r = await srv.api('GET', '/metrics');
  const m = new RegExp(`^planshift_webhook_deliveries_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(r.text);
  assert.ok(m, `case metric ${result}: not in /metrics`);
  return Number(m[1]);
}

const FAST = ['--jobs-interval', '30ms'];

test('endpoints: made with a secret shown once, validated by field, listed, changed, given a new secret, removed', async () => {
  const srv = await startServer({ args: FAST });
  try {
    const t = await newTenant(srv, { name: 'Hooked' });
    for (const [body, field, name] of [
      [{ url: 'ftp://example.com/x' }, 'url', 'ftp url'],
      [{ url: 'not a url' }, 'url', 'no scheme'],
      [{ url: 'http:///path' }, 'url', 'no host'],
      [{}, 'url', 'no url'],
      [{ url: 'http://127.0.0.1:1/h', types: ['invoice.issued', 'nope.nothing'] }, 'types', 'unknown type'],
      [{ url: 'http://127.0.0.1:1/h', types: 'invoice.issued' }, 'types', 'types not a list'],
      [{ url: 'http://127.0.0.1:1/h', types: ['invoice.issued', 'invoice.issued'] }, 'types', 'a type twice'],
      [{ url: 'http://127.0.0.1:1/h', tenant: 'ten_999999' }, 'tenant', 'no such tenant'],
      [{ url: 'http://127.0.0.1:1/h', tenant: 'sub_1' }, 'tenant', 'not a tenant id'],
    ]) {
      expectError(await srv.api('POST', '/v1/webhooks', { body }), 400, 'invalid_field', field, name);
    }
    const w = await hook(srv, { url: 'https://crm.example/in', types: ['invoice.issued', 'user.created'], tenant: t.id });
    assert.deepEqual({ ...w, secret: undefined, created: undefined, id: undefined },
      { url: 'https://crm.example/in', types: ['invoice.issued', 'user.created'], tenant: t.id, enabled: true,
        secret: undefined, created: undefined, id: undefined });
    const all = await hook(srv, { url: 'http://127.0.0.1:9/all' });
    assert.deepEqual(all.types, [], 'case no types: every type');
    assert.equal(all.tenant, null, 'case no tenant: every tenant');

    const list = await srv.api('GET', '/v1/webhooks');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.items.map((x) => x.id), [w.id, all.id]);
    assert.ok(list.json.items.every((x) => !('secret' in x)), 'case list: a secret is shown');
    const one = await srv.api('GET', `/v1/webhooks/${w.id}`);
    assert.ok(!('secret' in one.json), 'case read: a secret is shown');

    const p = await srv.api('PATCH', `/v1/webhooks/${w.id}`, { body: { enabled: false, types: ['payment.received'] } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.enabled, false);
    assert.deepEqual(p.json.types, ['payment.received']);
    assert.equal(p.json.url, 'https://crm.example/in', 'case patch: the url absent is kept');
    expectError(await srv.api('PATCH', `/v1/webhooks/${w.id}`, { body: { url: 'gopher://x' } }), 400, 'invalid_field', 'url', 'patch url');
    expectError(await srv.api('PATCH', `/v1/webhooks/${w.id}`, { body: { secret: 'x' } }), 400, 'invalid_field', 'secret', 'patch secret');

    const rot = await srv.api('POST', `/v1/webhooks/${w.id}/secret`);
    assert.equal(rot.status, 200, rot.text);
    assert.match(rot.json.secret, /^whsec_/);
    assert.notEqual(rot.json.secret, w.secret, 'case rotate: the same secret again');

    const audit = await srv.api('GET', `/v1/tenants/${t.id}/audit?limit=100`);
    const actions = audit.json.items.map((a) => a.action).filter((a) => a.startsWith('webhook.'));
    assert.deepEqual(actions.sort(), ['webhook.create', 'webhook.rotate_secret', 'webhook.update'].sort(),
      'case audit: one row per change of the tenant-bound endpoint');

    const d = await srv.api('DELETE', `/v1/webhooks/${w.id}`);
    assert.equal(d.status, 204, d.text);
    expectError(await srv.api('GET', `/v1/webhooks/${w.id}`), 404, 'not_found', undefined, 'read after delete');
    expectError(await srv.api('GET', `/v1/webhooks/${w.id}/deliveries`), 404, 'not_found', undefined, 'deliveries after delete');
  } finally {
    await srv.stop();
  }
});

test('a receiver gets each event it wants, signed, a tenant\'s in order; a filtered and a disabled endpoint get theirs and nothing', async () => {
  const srv = await startServer({ args: FAST });
  try {
    const before = await newTenant(srv, { name: 'Before' }); // committed before the endpoints: not sent
    // Listed first: on PostgreSQL an event another database's open
    // transaction holds back is still ahead of an endpoint made meanwhile
    // (doc/WEBHOOKS.md), and this test runs beside others on one server.
    await until(async () => (await srv.api('GET', '/v1/events?limit=500')).json.items.some((e) => e.tenant === before.id),
      20000, 'the event before the endpoints listed');
    const rAll = await newReceiver();
    const rUsers = await newReceiver();
    const rOff = await newReceiver();
    const all = await hook(srv, { url: rAll.url });
    const [a, b] = [await newTenant(srv, { name: 'A' }), await newTenant(srv, { name: 'B' })];
    const users = await hook(srv, { url: rUsers.url, types: ['user.created'], tenant: a.id });
    const off = await hook(srv, { url: rOff.url });
    assert.equal((await srv.api('PATCH', `/v1/webhooks/${off.id}`, { body: { enabled: false } })).status, 200);
    const made = { [a.id]: [], [b.id]: [] };
    for (let i = 0; i < 6; i++) {
      for (const t of [a, b]) {
        const upn = `u${i}@${t.name.toLowerCase()}.example`;
        const u = await srv.api('POST', `/v1/tenants/${t.id}/users`, { body: { upn, display_name: `U${i}` } });
        assert.equal(u.status, 201, u.text);
        made[t.id].push(upn);
      }
    }
    const userEvents = (r, t) => r.got.filter((x) => x.json.type === 'user.created' && x.json.tenant === t);
    await until(() => userEvents(rAll, a.id).length === 6 && userEvents(rAll, b.id).length === 6
      && userEvents(rUsers, a.id).length === 6, 20000, 'every user.created delivered');

    for (const r of rAll.got) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['planshift-event-id'], r.json.id, 'case Planshift-Event-Id: not the event id');
      assert.ok(signatureOk(r, all.secret), `case signature of ${r.json.id}: does not verify`);
      assert.deepEqual(Object.keys(r.json).sort(), ['created', 'data', 'id', 'tenant', 'type']);
    }
    for (const r of rUsers.got) assert.ok(signatureOk(r, users.secret), 'case filtered endpoint: signature');
    // The body is the event as GET /v1/events shows it.
    const listed = (await srv.api('GET', '/v1/events?limit=500')).json.items;
    for (const r of rAll.got) {
      assert.deepEqual(r.json, listed.find((e) => e.id === r.json.id), `case body of ${r.json.id}: not the listed event`);
    }
    assert.ok(!rAll.got.some((r) => r.json.tenant === before.id), 'case an event before the endpoint: sent');
    assert.ok(rAll.got.some((r) => r.json.type === 'tenant.created' && r.json.tenant === b.id), 'case tenant.created of B: not sent');
    assert.deepEqual(rUsers.got.map((r) => `${r.json.type} ${r.json.tenant}`).filter((x) => x !== `user.created ${a.id}`), [],
      'case filtered endpoint: got another type or tenant');
    for (const t of [a, b]) {
      assert.deepEqual(userEvents(rAll, t.id).map((r) => r.json.data.upn), made[t.id], `case order of ${t.name}'s events`);
    }
    assert.deepEqual(userEvents(rUsers, a.id).map((r) => r.json.data.upn), made[a.id], 'case order, filtered endpoint');
    // Each event once: no retry of a 2xx.
    const ids = rAll.got.map((r) => r.json.id);
    assert.equal(new Set(ids).size, ids.length, 'case an event delivered twice');
    // One attempt listed per delivery, once its outcome is written (just after the receiver answered).
    const ds = await until(async () => { const x = await deliveries(srv, all.id); return x.length === rAll.got.length && x; },
      20000, 'one attempt listed per delivery');
    assert.ok(ds.every((d) => d.state === 'delivered' && d.status_code === 200 && d.attempt === 1 && d.error === null
      && d.next_attempt_at === null), 'case delivered attempts: their fields');
    assert.ok(ds.every((d, i) => i === 0 || Number(d.id.slice(4)) < Number(ds[i - 1].id.slice(4))), 'case newest first');
    const page = await srv.api('GET', `/v1/webhooks/${all.id}/deliveries?limit=2`);
    const next = await srv.api('GET', `/v1/webhooks/${all.id}/deliveries?limit=2&after=${page.json.next}`);
    assert.deepEqual([...page.json.items, ...next.json.items].map((d) => d.id), ds.slice(0, 4).map((d) => d.id), 'case paging');
    // The disabled endpoint: nothing, and nothing listed.
    assert.equal(rOff.got.length, 0, 'case disabled endpoint: got a delivery');
    assert.deepEqual(await deliveries(srv, off.id), [], 'case disabled endpoint: attempts listed');
    await until(async () => await metric(srv, 'delivered') >= rAll.got.length + rUsers.got.length, 20000, 'case metric delivered');
  } finally {
    await srv.stop();
  }
});

test('setting the manual clock delivers what is due before it answers (RULES: every piece of work due by the new time), with no runner', async () => {
  const r = await newReceiver(() => 200);
  // No runner (--jobs-interval 0s): only setting the clock can deliver here.
  const srv = await startServer({ args: ['--clock', 'manual', '--jobs-interval', '0s'] });
  try {
    await setClock(srv, '2027-02-01T10:00:00Z');
    const w = await hook(srv, { url: r.url });
    const t = await newTenant(srv, { name: 'Clock Delivers' });
    // Listed first (on PostgreSQL another database's open transaction may
    // hold it back a while: doc/POSTGRES.md); then only the clock delivers.
    await until(async () => (await srv.api('GET', '/v1/events?limit=500')).json.items.some((e) => e.tenant === t.id),
      20000, 'the tenant\'s event listed');
    assert.equal(r.got.length, 0, 'case nothing delivered with no runner and the clock not set');
    await setClock(srv, '2027-02-01T10:00:01Z');
    // No waiting: the answer came after the delivery.
    assert.ok(r.got.some((x) => x.json.type === 'tenant.created' && x.json.tenant === t.id),
      `case delivered before the clock's answer: got ${JSON.stringify(r.got.map((x) => x.json.type))}`);
    const ds = await deliveries(srv, w.id);
    assert.ok(ds.length >= 1 && ds.every((d) => d.status_code === 200), `case listed as delivered: ${JSON.stringify(ds)}`);
  } finally {
    await srv.stop();
  }
});

test('a failing receiver gets the retries after 1, 2, 4 minutes on the manual clock, and a later event of its tenant waits', async () => {
  let status = 500;
  const r = await newReceiver(() => status);
  const srv = await startServer({ args: ['--clock', 'manual', ...FAST] });
  try {
    const T0 = Date.parse('2027-01-04T10:00:00Z') / 1000;
    const iso = (s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    await setClock(srv, iso(T0));
    const w = await hook(srv, { url: r.url });
    const t = await newTenant(srv, { name: 'Flaky' });
    await until(() => r.got.length === 1, 20000, 'the first attempt');
    // A later event of the same tenant waits behind the one being retried.
    const u = await srv.api('POST', `/v1/tenants/${t.id}/users`, { body: { upn: 'later@flaky.example', display_name: 'L' } });
    assert.equal(u.status, 201);
    let ds = await until(async () => { const x = await deliveries(srv, w.id); return x.length === 1 && x; }, 20000, 'attempt 1 listed');
    assert.equal(ds[0].attempt, 1);
    assert.equal(ds[0].status_code, 500);
    assert.equal(ds[0].error, 'HTTP 500');
    assert.equal(ds[0].state, 'retried');
    // Made at the store's time: T0 (or, when a pass that read the clock
    // before it was set made it, the time it read); the delays count from it.
    let at = Date.parse(ds[0].time) / 1000;
    assert.ok(at <= T0, `case attempt 1: made at ${ds[0].time}, after the clock's ${iso(T0)}`);
    assert.equal(ds[0].next_attempt_at, iso(at + 60));
    for (const [n, delay] of [[2, 60], [3, 120], [4, 240]]) {
      // One second before it is due: nothing more; at its time: attempt n.
      await setClock(srv, iso(at + delay - 1));
      at += delay;
      await setClock(srv, iso(at));
      await until(() => r.got.length === n, 20000, `attempt ${n}`);
      ds = await until(async () => { const x = await deliveries(srv, w.id); return x.length === n && x; }, 20000, `attempt ${n} listed`);
      assert.equal(ds[0].attempt, n);
      assert.equal(ds[0].time, iso(at), `case attempt ${n}: made at the store's time`);
      assert.equal(ds[0].next_attempt_at, iso(at + 2 * delay), `case attempt ${n}: the next after ${2 * delay} s`);
      assert.ok(r.got.every((x) => x.json.type === 'tenant.created'), `case attempt ${n}: the later event did not wait`);
    }
    await until(async () => await metric(srv, 'retried') >= 4, 20000, 'case metric retried');
    // The receiver recovers: the retried event, then the one that waited.
    status = 204;
    at += 480;
    await setClock(srv, iso(at));
    await until(() => r.got.some((x) => x.json.type === 'user.created'), 20000, 'the later event after the first');
    assert.deepEqual(r.got.slice(4).map((x) => x.json.type), ['tenant.created', 'user.created'], 'case order after the retries');
    ds = await until(async () => { const x = await deliveries(srv, w.id); return x.length === 6 && x; }, 20000, 'six attempts listed');
    assert.equal(ds.find((d) => d.attempt === 5).state, 'delivered');
    assert.equal(new Set(r.got.map((x) => x.headers['planshift-event-id'])).size, 2);
  } finally {
    await srv.stop();
  }
});

test('retries end after 3 days of the store\'s clock: the delivery ends failed', async () => {
  const r = await newReceiver(() => 503);
  const srv = await startServer({ args: ['--clock', 'manual', ...FAST] });
  try {
    const T0 = Date.parse('2027-02-01T00:00:00Z') / 1000;
    const iso = (s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    await setClock(srv, iso(T0));
    const w = await hook(srv, { url: r.url });
    await newTenant(srv, { name: 'Gone' });
    await until(() => r.got.length === 1, 20000, 'the first attempt');
    // Follow each next_attempt_at until the last.
    for (let guard = 0; guard < 40; guard++) {
      const ds = await until(async () => { const x = await deliveries(srv, w.id); return x.length === r.got.length && x; }, 20000, 'listed');
      if (ds[0].state === 'failed') break;
      const n = r.got.length;
      await setClock(srv, ds[0].next_attempt_at);
      await until(() => r.got.length === n + 1, 20000, `attempt ${n + 1}`);
    }
    const ds = await until(async () => { const x = await deliveries(srv, w.id); return x.length === r.got.length && x; }, 20000, 'listed');
    assert.equal(ds[0].state, 'failed', 'case last attempt: not failed');
    assert.equal(ds[0].next_attempt_at, null);
    // 1, 2, 4 ... minutes, then every 6 hours, for 3 days from the first.
    const times = ds.map((d) => Date.parse(d.time) / 1000).reverse();
    assert.ok(times.at(-1) - times[0] <= 3 * 86400, 'case last attempt after the 3 days');
    assert.ok(times.at(-1) + 6 * 3600 > times[0] + 3 * 86400, 'case retries stopped before the 3 days');
    const gaps = times.slice(1).map((x, i) => x - times[i]);
    const want = gaps.map((_, i) => Math.min(60 * 2 ** i, 6 * 3600));
    assert.deepEqual(gaps, want, 'case the delays');
    await until(async () => await metric(srv, 'failed') >= 1, 20000, 'case metric failed');
  } finally {
    await srv.stop();
  }
});

test('a receiver that never answers: the attempt fails after 10 s and is retried', async () => {
  const r = await newReceiver(() => null);
  const srv = await startServer({ args: FAST });
  try {
    const w = await hook(srv, { url: r.url });
    await newTenant(srv, { name: 'Slow' });
    await until(() => r.got.length === 1, 20000, 'the request sent');
    const sent = r.got[0].at;
    const ds = await until(async () => { const x = await deliveries(srv, w.id); return x.length === 1 && x; }, 25000, 'attempt listed');
    const took = Date.now() - sent;
    assert.ok(took >= 9000, `case timeout: recorded after ${took} ms, want about 10 s`);
    assert.equal(ds[0].status_code, null);
    assert.match(ds[0].error, /time/i);
    assert.equal(ds[0].state, 'retried');
  } finally {
    await srv.stop();
  }
});

test('an event committed before a kill -9, not delivered yet, is delivered after the restart', async () => {
  const r = await newReceiver();
  const store = makeStore();
  let srv = await startServer({ store, args: ['--jobs-interval', '60m'] }); // one pass at start, then none for an hour
  try {
    await hook(srv, { url: r.url });
    const t = await newTenant(srv, { name: 'Killed' });
    const died = await srv.kill('SIGKILL');
    assert.equal(died, 'SIGKILL');
    assert.equal(r.got.length, 0, 'case before the restart: already delivered (the runner should have waited an hour)');
    srv = await startServer({ store, args: FAST });
    await until(() => r.got.some((x) => x.json.tenant === t.id), 20000, 'delivered after the restart');
    assert.equal(r.got.filter((x) => x.json.tenant === t.id).length, 1);
  } finally {
    await srv.stop();
    removeStore(store);
  }
});

test('three daemons on one store deliver each attempt once, in the tenant\'s commit order', async () => {
  const r = await newReceiver();
  const store = makeStore();
  const daemons = await startServers([0, 1, 2].map(() => ({ store, args: ['--jobs-interval', '5ms'] })));
  try {
    const [one, two, three] = daemons;
    await hook(one, { url: r.url, types: ['user.created'] });
    const t = await newTenant(two, { name: 'Busy' });
    const N = 40;
    await Promise.all([...Array(N).keys()].map((i) => [one, two, three][i % 3].api('POST', `/v1/tenants/${t.id}/users`,
      { body: { upn: `u${i}@busy.example`, display_name: `U${i}` } })));
    await until(() => new Set(r.got.map((x) => x.json.id)).size === N, 30000, `${N} events delivered`);
    // Let the daemons run a few more passes: nothing more may come.
    const seen = r.got.length;
    await until(async () => (await Promise.all(daemons.map((d) => metric(d, 'delivered')))).reduce((a, b) => a + b) >= N, 10000, 'metrics');
    const counts = {};
    for (const x of r.got) counts[x.json.id] = (counts[x.json.id] || 0) + 1;
    assert.deepEqual(Object.values(counts).filter((c) => c !== 1), [], 'case an attempt delivered twice');
    assert.equal(seen, N);
    const total = (await Promise.all(daemons.map((d) => metric(d, 'delivered')))).reduce((a, b) => a + b);
    assert.equal(total, N, 'case the daemons counted another number of deliveries');
    // In the tenant's commit order, whichever daemon delivered each.
    const listed = (await one.api('GET', `/v1/tenants/${t.id}/events?type=user.created&limit=500`)).json.items.map((e) => e.id);
    assert.deepEqual(r.got.map((x) => x.json.id), listed, 'case order across three daemons: not the commit order');
  } finally {
    await stopServers(daemons);
    removeStore(store);
  }
});

// doc/WEBHOOKS.md's verification, the lines of its ```sh block run as they
// are, against a delivery captured here: they accept it, and refuse it
// with one byte of the body changed.
test('doc/WEBHOOKS.md: its shell lines verify a captured delivery and refuse a changed one', async () => {
  const doc = readFileSync(join(ROOT, 'doc', 'WEBHOOKS.md'), 'utf8');
  const m = /```sh verify\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'case doc: no ```sh verify block');
  const r = await newReceiver();
  const srv = await startServer({ args: FAST });
  try {
    const w = await hook(srv, { url: r.url });
    await newTenant(srv, { name: 'Verified' });
    await until(() => r.got.length >= 1, 20000, 'a delivery');
    const dir = tempDir();
    const run = (body) => {
      writeFileSync(join(dir, 'body.json'), body);
      return spawnSync('sh', ['-eu', '-c', m[1]], {
        encoding: 'utf8', cwd: dir, timeout: 10000,
        env: { ...process.env, secret: w.secret, signature: r.got[0].headers['planshift-signature'], body_file: join(dir, 'body.json') },
      });
    };
    const ok = run(r.got[0].body);
    assert.equal(ok.status, 0, `case the captured delivery: refused (${ok.stdout}${ok.stderr})`);
    // One byte more, whatever event came first (a replace could find
    // nothing to change when another event is delivered first).
    const changed = `${r.got[0].body} `;
    assert.notEqual(changed, r.got[0].body);
    const bad = run(changed);
    assert.notEqual(bad.status, 0, 'case a changed body: accepted');
  } finally {
    await srv.stop();
  }
});
