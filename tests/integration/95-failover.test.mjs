// 95-failover: planshift on replicated PostgreSQL surviving the loss of the
// primary (doc/POSTGRES.md, "Replication and failover"). A primary and a
// synchronous standby (scripts/pg-replica), two daemons on the multi-host
// URL with target_session_attrs=read-write, four clients writing (users,
// seat assignments, purchases, upgrades, payments), each change under its
// own Idempotency-Key, retried with the same key on a 503 or a lost
// connection. In the middle: `pg_ctl stop -m immediate` of the primary, then
// `pg_ctl promote` of the standby. Then: every change answered 2xx before
// the kill is in the promoted store; each key was carried out once (its
// replay is its answer, and the store holds as many objects as keys were
// carried out); `planshift check` finds every invariant; the job runner
// carries on (a renewal due after the switch runs). Only on the PostgreSQL
// pass of the suite (PS_TEST_DB_URL set: the PostgreSQL binaries are there);
// it makes its own pair of servers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, after, startServers, stopServers, cli, until, newTenant, tokenFor, setClock, storeSql,
  ROOT, DEMO_CATALOG, PG_URL } from './harness.mjs';

const CLIENTS = 4;
const OPS = 20; // changes per client
const KILL_AFTER = 24; // acknowledged changes (all clients) before the primary dies
// How long the store has no primary: longer than a daemon waits for one
// (PS_PG_RECONNECT_MS, 3 s), so that requests in flight are answered 503
// and the clients retry with their keys. The variable of the experiment,
// not a wait for something.
const NO_PRIMARY_MS = 4000;
const SEED = Number(process.env.PS_TEST_SEED) || 19;

function replica(cmd, dir) {
  const r = spawnSync(join(ROOT, 'scripts', 'pg-replica'), [cmd, dir], { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`scripts/pg-replica ${cmd}: ${r.error || r.stderr}`);
  return r.stdout.trim();
}

let dir;
let started = false;
let daemons = [];
after(async () => {
  try {
    await stopServers(daemons);
  } finally {
    try {
      if (started) replica('stop', dir);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
});

// A small deterministic generator, so a failing run can be replayed (PS_TEST_SEED).
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// On every pass (and so that the file always has a test: node 20 hangs on
// a file whose only hook is an after()): the script refuses what it cannot do.
test('scripts/pg-replica: a usage error, and a folder with no pair in it, are refused with a reason', () => {
  const run = (...args) => spawnSync(join(ROOT, 'scripts', 'pg-replica'), args, { encoding: 'utf8', timeout: 30000 });
  const usage = run('start');
  assert.notEqual(usage.status, 0, 'case no folder');
  assert.match(usage.stderr, /usage: scripts\/pg-replica/, `case no folder: ${usage.stderr}`);
  const empty = mkdtempSync(join(tmpdir(), 'ps-failover-'));
  try {
    const kill = run('kill', empty);
    assert.notEqual(kill.status, 0, 'case kill in an empty folder');
    assert.match(kill.stderr, /not running/, `case kill in an empty folder: ${kill.stderr}`);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

if (PG_URL) test('failover: the primary dies mid-stream, the standby is promoted, nothing acknowledged is lost, nothing runs twice',
  { timeout: 120000 }, async () => {
    const t0 = Date.now();
    console.log(`# seed ${SEED}`);
    const rand = rng(SEED);
    dir = mkdtempSync(join(tmpdir(), 'ps-failover-')); // the servers' own: removed after they stop
    chmodSync(dir, 0o755); // the server's user (as root: postgres) works in it
    started = true;
    const url = replica('start', dir);
    assert.match(url, /^postgresql:\/\/postgres@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/planshift\?target_session_attrs=read-write$/);
    const init = cli(['init', '--db', url, '--catalog', DEMO_CATALOG]);
    assert.equal(init.status, 0, `case init on the multi-host URL: ${init.stderr}`);
    const op = cli(['token', 'create', '--db', url, '--role', 'operator']);
    assert.equal(op.status, 0, `case operator token: ${op.stderr}`);
    const store = { dir, db: url, operator: op.stdout.trim(), tenants: [] };
    // The second daemon reads from the standby where that is safe (--db-read).
    const standby = replica('standby', dir);
    daemons = await startServers([0, 1].map((i) => ({ store,
      args: ['--clock', 'manual', '--jobs-interval', '100ms', ...(i ? ['--db-read', standby] : [])] })));
    const d = (i) => daemons[i % daemons.length];
    await setClock(d(0), '2026-11-02T09:00:00Z');

    // Each client: its own tenant with a pool of seats (an Enterprise plan)
    // and tokens; it makes more tenants as it goes, each with one Business
    // Basic subscription to upgrade (the operator may buy and upgrade).
    const orgs = [];
    for (let c = 0; c < CLIENTS; c++) {
      const t = await newTenant(d(c), { name: `Failover Org ${c}`, credit_limit: 1000000000 });
      const bill = await tokenFor(d(c), t.id, 'billing_admin');
      const lic = await tokenFor(d(c), t.id, 'license_admin');
      const r = await d(c).api('POST', `/v1/tenants/${t.id}/subscriptions`, { token: bill,
        body: { plan: 'ent-e3', quantity: 200, term: 'monthly', prepaid: false } });
      assert.equal(r.status, 201, `case the seat pool of client ${c}: ${r.status} ${r.text}`);
      orgs.push({ t, bill, lic, pool: r.json.id, users: [], seats: 0, paid: 0, more: [] });
    }
    const opTok = store.operator;

    // ---- reads from the standby (--db-read on the second daemon) ----
    // The standby replays everything so far, then stops replaying: a read
    // it serves is then visibly old.
    const lsn = (u, f) => storeSql(u, `SELECT ${f} - '0/0'::pg_lsn`);
    const target = Number(lsn(url, 'pg_current_wal_lsn()'));
    await until(() => Number(lsn(standby, 'pg_last_wal_replay_lsn()')) >= target, 10000, 'the standby replaying everything');
    storeSql(standby, 'SELECT pg_wal_replay_pause()');
    const [A, B] = orgs;
    // A change through the daemon, then a read through it at once: the
    // standby is behind, so the primary answers, and the change is there.
    const w = await d(1).api('POST', `/v1/tenants/${A.t.id}/users`, { token: A.lic,
      body: { upn: 'read-your-write@failover.test', display_name: 'Fresh' } });
    assert.equal(w.status, 201, `case write before the read: ${w.status} ${w.text}`);
    A.users.push({ id: w.json.id, upn: 'read-your-write@failover.test', key: '(none)' });
    const rw = await d(1).api('GET', `/v1/tenants/${A.t.id}/users`, { token: A.lic });
    assert.ok(rw.json.items.some((u) => u.id === w.json.id), `case read your write with --db-read: got ${rw.text}`);
    // A tenant this daemon did not change since the standby stopped is
    // read from the standby: a change made behind the daemons' back (on
    // the primary) is not seen there yet, and is through the other daemon.
    storeSql(url, `UPDATE tenants SET name = 'Renamed On The Primary' WHERE id = ${B.t.id.replace(/^ten_/, '')}`);
    const onStandby = await d(1).api('GET', `/v1/tenants/${B.t.id}`, { token: B.bill });
    const onPrimary = await d(0).api('GET', `/v1/tenants/${B.t.id}`, { token: B.bill });
    assert.equal(onPrimary.json?.name, 'Renamed On The Primary', `case the primary's read: ${onPrimary.text}`);
    assert.equal(onStandby.json?.name, B.t.name, `case the standby's read of an unchanged tenant: ${onStandby.text}`);
    storeSql(standby, 'SELECT pg_wal_replay_resume()');
    await until(async () => (await d(1).api('GET', `/v1/tenants/${B.t.id}`, { token: B.bill })).json?.name === 'Renamed On The Primary',
      10000, 'the standby replaying again');
    // ---- the stream ----
    const calls = []; // every change: {client, key, method, path, body, token, answers: [{status, at, body}]}
    let acked = 0;
    let killedAt = 0;
    let promotedAt = 0;
    let firstAfter = 0; // the first 2xx of a change sent after the kill
    let retries = 0;
    const deadline = t0 + 70000;

    // Send a change until it is answered other than 503 (or a lost connection),
    // with the same key each time.
    async function change(c, key, method, path, body, token) {
      const call = { client: c, key, method, path, body, token, answers: [], start: Date.now() };
      calls.push(call);
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > deadline) throw new Error(`case ${method} ${path} (key ${key}): still unanswered after ${attempt} attempts`);
        if (attempt) retries++;
        const sent = Date.now();
        let r;
        try {
          r = await d(c + attempt).api(method, path, { token, body, headers: { 'Idempotency-Key': key }, timeout: 20000 });
        } catch (e) {
          call.answers.push({ status: 0, at: Date.now(), text: String(e) });
          await new Promise((res) => setTimeout(res, 50));
          continue;
        }
        call.answers.push({ status: r.status, at: Date.now(), text: r.text });
        const again = r.status === 503 || (r.status === 409 && r.headers.get('retry-after'));
        if (again) {
          assert.ok(r.headers.get('retry-after'), `case ${r.status} without Retry-After: ${r.text}`);
          await new Promise((res) => setTimeout(res, 50));
          continue;
        }
        if (r.status >= 200 && r.status < 300) {
          acked++;
          if (promotedAt && !firstAfter) firstAfter = Date.now();
        }
        call.final = r;
        return r;
      }
    }

    // A change carried out: answered 2xx, or refused as carried out with its
    // answer lost (the commit's answer was lost with the primary).
    const carriedOut = (r) => (r.status >= 200 && r.status < 300) ||
      (r.status === 409 && r.json?.error?.field === 'Idempotency-Key' && /carried out/.test(r.json.error.message));

    async function client(c) {
      const o = orgs[c];
      const T = `/v1/tenants/${o.t.id}`;
      for (let i = 0; i < OPS; i++) {
        const key = `fo-${c}-${i}`;
        const free = o.users.filter((u) => u.id && !u.seat);
        const toBuy = o.more.filter((m) => m.id && !m.sub);
        const toUpgrade = o.more.filter((m) => m.sub && !m.upgraded);
        let kind = ['user', 'assign', 'pay', 'tenant', 'upgrade'][Math.floor(rand() * 5)];
        if (kind === 'assign' && !free.length) kind = 'user';
        if (toBuy.length) kind = 'buy';
        else if (kind === 'upgrade' && !toUpgrade.length) kind = 'tenant';
        if (kind === 'user') {
          const upn = `u${c}-${i}@failover.test`;
          const r = await change(c, key, 'POST', `${T}/users`, { upn, display_name: `U ${c} ${i}` }, o.lic);
          assert.ok(carriedOut(r), `case user ${key}: got ${r.status} ${r.text}`);
          o.users.push({ id: r.status === 201 ? r.json.id : undefined, upn, key });
        } else if (kind === 'assign') {
          const u = free[0];
          u.seat = true;
          const r = await change(c, key, 'PUT', `${T}/subscriptions/${o.pool}/assignments/${u.id}`, undefined, o.lic);
          assert.ok(carriedOut(r), `case assign ${key}: got ${r.status} ${r.text}`);
          o.seats++;
        } else if (kind === 'pay') {
          const amount = 100 + Math.floor(rand() * 900);
          const r = await change(c, key, 'POST', `${T}/payments`, { amount }, o.bill);
          assert.ok(carriedOut(r), `case pay ${key}: got ${r.status} ${r.text}`);
          o.paid += amount;
        } else if (kind === 'tenant') {
          const name = `Failover ${c}.${i}`;
          const r = await change(c, key, 'POST', '/v1/tenants', { name, segment: 'commercial', payment: 'invoice',
            credit_limit: 1000000000, currency: 'EUR' }, opTok);
          assert.ok(carriedOut(r), `case tenant ${key}: got ${r.status} ${r.text}`);
          o.more.push({ id: r.status === 201 ? r.json.id : undefined, name, key });
        } else if (kind === 'buy') {
          const m = toBuy[0];
          const r = await change(c, key, 'POST', `/v1/tenants/${m.id}/subscriptions`,
            { plan: 'biz-basic', quantity: 2, term: 'monthly', prepaid: false }, opTok);
          assert.ok(carriedOut(r), `case buy ${key}: got ${r.status} ${r.text}`);
          m.sub = r.status === 201 ? r.json.id : 'lost';
        } else {
          const m = toUpgrade[0];
          m.upgraded = true;
          if (m.sub === 'lost') continue;
          const r = await change(c, key, 'POST', `/v1/tenants/${m.id}/subscriptions/${m.sub}/upgrade`,
            { target_plan: 'biz-standard' }, opTok);
          assert.ok(carriedOut(r), `case upgrade ${key}: got ${r.status} ${r.text}`);
          m.op = r.status >= 200 && r.status < 300 ? r.json.id : 'lost';
        }
      }
    }

    async function failover() {
      await until(() => acked >= KILL_AFTER, 30000, `${KILL_AFTER} changes acknowledged before the kill`);
      killedAt = Date.now();
      replica('kill', dir);
      await new Promise((res) => setTimeout(res, NO_PRIMARY_MS));
      replica('promote', dir);
      promotedAt = Date.now();
    }

    await Promise.all([...orgs.map((_, c) => client(c)), failover()]);
    assert.ok(killedAt && promotedAt, 'case the primary was killed and the standby promoted');
    const ackedBefore = calls.filter((k) => k.answers.some((a) => a.status >= 200 && a.status < 300 && a.at < killedAt));

    // ---- what the promoted store holds ----
    const tenants = await d(0).api('GET', '/v1/tenants?limit=500');
    assert.equal(tenants.status, 200, `case tenants after the switch: ${tenants.status} ${tenants.text}`);
    for (const [c, o] of orgs.entries()) {
      const T = `/v1/tenants/${o.t.id}`;
      const users = await d(c).api('GET', `${T}/users?limit=500`, { token: o.lic });
      assert.equal(users.status, 200, `case users of client ${c} after the switch: ${users.status} ${users.text}`);
      for (const u of o.users) {
        const n = users.json.items.filter((x) => x.upn === u.upn).length;
        assert.equal(n, 1, `case user ${u.upn} (key ${u.key}): ${n} in the promoted store, want 1`);
        if (u.id) assert.ok(users.json.items.some((x) => x.id === u.id), `case user ${u.id} (key ${u.key}) in the promoted store`);
      }
      assert.equal(users.json.items.length, o.users.length, `case users of client ${c}: one per key carried out`);
      const lic = await d(c).api('GET', `${T}/licenses`, { token: o.lic });
      const pool = lic.json.items.find((x) => x.subscription === o.pool);
      assert.equal(pool?.assigned, o.seats, `case seats of client ${c}: got ${JSON.stringify(pool)}, want ${o.seats} assigned`);
      const bill = await d(c).api('GET', `${T}/billing`, { token: o.bill });
      assert.equal(bill.status, 200, `case billing of client ${c}: ${bill.status}`);
      const paid = bill.json.payments.reduce((a, x) => a + x.amount, 0);
      assert.equal(paid, o.paid, `case payments of client ${c}: got ${paid} in all, want ${o.paid} (each key once)`);
      for (const m of o.more) {
        const same = tenants.json.items.filter((x) => x.name === m.name);
        assert.equal(same.length, 1, `case tenant ${m.name} (key ${m.key}): ${same.length} in the promoted store, want 1`);
        if (m.id) assert.equal(same[0].id, m.id, `case tenant ${m.name}: the id answered`);
        const id = same[0].id;
        const subs = await d(c).api('GET', `/v1/tenants/${id}/subscriptions?limit=100`);
        const ops = await d(c).api('GET', `/v1/tenants/${id}/operations?limit=100`);
        assert.equal(subs.status, 200, `case subscriptions of ${m.name}: ${subs.status}`);
        const bought = m.sub ? 1 : 0;
        const upgraded = m.op ? 1 : 0;
        assert.equal(ops.json.items.length, upgraded, `case operations of ${m.name}: got ${ops.json.items.length}, want ${upgraded}`);
        if (m.sub && m.sub !== 'lost') assert.ok(subs.json.items.some((x) => x.id === m.sub), `case subscription ${m.sub} of ${m.name}`);
        if (m.op && m.op !== 'lost') assert.equal(ops.json.items[0].id, m.op, `case operation ${m.op} of ${m.name}`);
        const wantSubs = bought + ops.json.items.filter((x) => x.new_subscription).length;
        assert.equal(subs.json.items.length, wantSubs, `case subscriptions of ${m.name}: got ${subs.json.items.length}, want ${wantSubs}`);
      }
    }

    // Each key answers again as it was answered: its replay.
    for (const k of calls) {
      const r = await d(1).api(k.method, k.path, { token: k.token, body: k.body, headers: { 'Idempotency-Key': k.key } });
      assert.equal(r.status, k.final.status, `case replay of ${k.key}: got ${r.status} ${r.text}, want ${k.final.status} ${k.final.text}`);
      if (k.final.status < 300) assert.equal(r.text, k.final.text, `case replay of ${k.key}: the first answer`);
    }

    const check = cli(['check', '--db', url]);
    assert.equal(check.status, 0, `case planshift check after the switch: ${check.stdout}${check.stderr}`);

    // The job runner carries on: a renewal due after the switch runs. The
    // clock is moved in the store, not through a daemon (which would run the
    // due work itself): the runners find it due on their next pass.
    const renewed = () => orgs.map(async (o) => (await d(0).api('GET', `/v1/tenants/${o.t.id}/billing`)).json.invoices.length);
    const before = await Promise.all(renewed());
    storeSql(url, `UPDATE clock SET now = now + ${40 * 86400} WHERE one = 1`);
    await until(async () => (await Promise.all(renewed())).every((n, i) => n > before[i]), 20000,
      'the job runners renewing every subscription after the switch');

    // The daemons served through it all.
    for (const s of daemons) assert.equal(s.proc.exitCode, null, 'case the daemon is still running');
    const recovered = firstAfter ? firstAfter - promotedAt : -1;
    const unavailable = calls.reduce((n, k) => n + k.answers.filter((a) => a.status === 503).length, 0);
    let txRetries = 0;
    for (const s of daemons) {
      const m = await s.api('GET', '/metrics');
      txRetries += Number(/^planshift_store_tx_retries_total (\d+)/m.exec(m.text)?.[1] || 0);
    }
    const slowest = Math.max(...calls.map((k) => k.answers.at(-1).at - k.start));
    console.log(`# ${calls.length} changes, ${acked} acknowledged, ${ackedBefore.length} before the kill, ${retries} retries by the clients, ${txRetries} transactions run again by the daemons; ` +
      `${unavailable} answers 503; promoted ${promotedAt - killedAt} ms after the kill; first change acknowledged ${recovered} ms after the promotion; ` +
      `${calls.filter((k) => k.final.status === 409).length} carried out with the answer lost; slowest change ${slowest} ms; ` +
      `whole test ${Date.now() - t0} ms`);
    assert.ok(firstAfter, 'case a change was acknowledged after the promotion');
    assert.ok(unavailable > 0 && retries > 0, `case the clients saw the store unavailable while it had no primary (${unavailable} answers 503) and retried (${retries})`);
  });
