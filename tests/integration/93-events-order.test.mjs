// 93-events-order: events are read in commit order (RULES "Events and
// webhooks"): a reader paging with `after` never misses one, even when
// transactions on several daemons take ids in one order and commit in the
// other. Several daemons write for many tenants while a reader pages without
// pause: every committed event is seen exactly once, each tenant's in the
// order its changes were made. On PostgreSQL, a deterministic case: tx A
// takes an id, tx B a later one and commits first, the reader pages, then A
// commits: A is still returned to that reader (B is held back until A ends).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test, before, after, startServers, stopServers, makeStore, removeStore, newTenant, PG_URL, until, within, storeSql } from './harness.mjs';

const SEED = Number(process.env.PS_TEST_SEED) || 93;
console.log(`# seed ${SEED} (PS_TEST_SEED to repeat)`);
let rnd = SEED;
const random = () => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd / 2147483648; };

let store, servers;

before(async () => {
  store = makeStore();
  servers = await startServers([0, 1, 2].map(() => ({ store, args: ['--jobs-interval', '0s'] })));
});

after(async () => {
  await stopServers(servers);
  removeStore(store);
});

async function page(srv, afterId, limit = 50) {
  const r = await srv.api('GET', `/v1/events?limit=${limit}${afterId ? `&after=${afterId}` : ''}`);
  assert.equal(r.status, 200, `case GET /v1/events: got ${r.status} ${r.text}`);
  return r.json.items;
}

async function lastId(srv) {
  let at = '';
  for (;;) {
    const items = await page(srv, at, 500);
    if (!items.length) return at;
    at = items.at(-1).id;
  }
}

test(`concurrent writers on three daemons, a reader paging meanwhile: every event once, each tenant's in order (seed ${SEED})`, async () => {
  const start = await lastId(servers[0]);
  const N_TENANTS = 12;
  const N_USERS = 12;
  const tenants = [];
  for (let i = 0; i < N_TENANTS; i++) tenants.push(await newTenant(servers[i % 3], { name: `Order ${i}` }));
  const made = new Map(); // tenant id -> upns in the order made
  let writing = true;
  const writers = tenants.map(async (T, i) => {
    made.set(T.id, []);
    for (let k = 0; k < N_USERS; k++) {
      const srv = servers[Math.floor(random() * 3)];
      const upn = `u${k}@${T.id}.example`;
      // A write that waits too long for SQLite's one lock answers 503: asked again.
      let r;
      await until(async () => (r = await srv.api('POST', `/v1/tenants/${T.id}/users`, { body: { upn, display_name: `U ${k}` } })).status !== 503,
        30000, `user ${upn} past 503`);
      assert.equal(r.status, 201, `case user ${upn} on daemon ${i}: got ${r.status} ${r.text}`);
      made.get(T.id).push(upn);
    }
  });
  // Races on one subscription per tenant of the first four: three clients
  // set its seats at once; its last event must say what the store holds.
  const raced = [];
  for (const T of tenants.slice(0, 4)) {
    const r = await servers[0].api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 5 } });
    assert.equal(r.status, 201, `case purchase for ${T.id}: ${r.status} ${r.text}`);
    raced.push({ T, sub: r.json.id });
  }
  const racers = raced.flatMap(({ T, sub }) => [0, 1, 2].map(async (k) => {
    for (let i = 0; i < 6; i++) {
      let r;
      await until(async () => (r = await servers[k].api('PATCH', `/v1/tenants/${T.id}/subscriptions/${sub}`,
        { body: { quantity: 2 + Math.floor(random() * 40) } })).status !== 503, 30000, 'a seat change past 503');
      assert.equal(r.status, 200, `case seats of ${sub} on daemon ${k}: ${r.status} ${r.text}`);
    }
  }));
  writers.push(...racers);
  const seen = [];
  let cursor = start;
  const reader = (async () => {
    let idle = 0;
    // Page without pause while writing, then until two empty pages in a row.
    while (writing || idle < 2) {
      const items = await page(servers[Math.floor(random() * 3)], cursor, 1 + Math.floor(random() * 20));
      if (items.length) { seen.push(...items); cursor = items.at(-1).id; idle = 0; } else if (!writing) idle++;
    }
  })();
  await Promise.all(writers);
  writing = false;
  await within(reader, 60000, 'the reader to catch up');
  const ids = seen.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'case no event seen twice');
  // Every committed event: a fresh read from the start position, once all have ended.
  let all = [];
  await until(async () => {
    all = [];
    let at = start;
    for (;;) { const items = await page(servers[0], at, 500); if (!items.length) break; all.push(...items); at = items.at(-1).id; }
    return all.filter((e) => e.type === 'user.created').length === N_TENANTS * N_USERS;
  }, 20000, 'every user.created event');
  assert.deepEqual(ids, all.map((e) => e.id), 'case the reader saw every committed event, in the order a fresh read gives');
  for (const { T, sub } of raced) {
    const last = seen.filter((e) => e.type === 'subscription.updated' && e.data.id === sub).at(-1);
    const now = (await servers[0].api('GET', `/v1/tenants/${T.id}/subscriptions/${sub}`)).json;
    assert.equal(last.data.quantity, now.quantity, `case ${sub}: its last event says ${last.data.quantity} seats, the store ${now.quantity}`);
  }
  for (const T of tenants) {
    const upns = seen.filter((e) => e.tenant === T.id && e.type === 'user.created').map((e) => e.data.upn);
    assert.deepEqual(upns, made.get(T.id), `case ${T.id}: its events in the order its changes were made`);
  }
});

// A psql session fed statements one at a time; each answer read back.
function session(db) {
  const p = spawn('psql', [db, '-XAtq', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  return {
    async run(sql, lines = 0) {
      const from = out.length;
      p.stdin.write(`${sql}\n\\echo __done\n`);
      await until(() => out.slice(from).includes('__done\n') || err, 10000, `psql: ${sql}`);
      assert.equal(err, '', `case psql ${sql}: ${err}`);
      const got = out.slice(from).split('\n').filter((l) => l && l !== '__done');
      assert.ok(got.length >= lines, `case psql ${sql}: got ${got}`);
      return got;
    },
    end() { p.stdin.end(); return new Promise((r) => p.once('close', r)); },
  };
}

if (PG_URL) {
  test('PostgreSQL: A takes an id, B a later one and commits first; the reader pages; A commits: the reader gets A, then B', async () => {
    const srv = servers[0];
    const c0 = await lastId(srv);
    const A = session(store.db);
    const B = session(store.db);
    try {
      // Two writers as the store writes an event of no one tenant (its position: its transaction's id).
      const insert = "INSERT INTO events (txid, type, tenant, created, data) VALUES (txid_current(), 'catalog.loaded', NULL, 0, '{}') RETURNING id;";
      await A.run('BEGIN;');
      const [a] = await A.run(insert, 1);
      await B.run('BEGIN;');
      const [b] = await B.run(insert, 1);
      assert.ok(Number(b) > Number(a), `case B's id ${b} after A's ${a}`);
      await B.run('COMMIT;');
      // B committed, A still runs: B must not be returned yet, or a reader
      // would move past A's place before A commits.
      const mid = await page(srv, c0);
      assert.deepEqual(mid.map((e) => e.id), [], `case while A runs: got ${JSON.stringify(mid.map((e) => e.id))}, want nothing (B held back)`);
      const cursor = mid.length ? mid.at(-1).id : c0;
      await A.run('COMMIT;');
      let got = [];
      await until(async () => { got = await page(srv, cursor); return got.length >= 2; }, 10000, 'A and B after A commits');
      assert.deepEqual(got.map((e) => e.id), [`evt_${a}`, `evt_${b}`], 'case the reader gets A, then B');
    } finally {
      await A.end();
      await B.end();
    }
  });

  test('PostgreSQL: a purchase takes its transaction id, then waits for the tenant\'s lock behind a writer that commits first: listed after it, in commit order', async () => {
    const srv = servers[1];
    const T = await newTenant(srv, { name: 'Late locker' });
    const tnum = Number(T.id.slice(4));
    const key = (0x504C534800000000n + BigInt(tnum)).toString(); // the store's lock of the tenant (pg_int.h)
    let c0 = '';
    await until(async () => (c0 = await lastId(srv)) && (await page(srv, '', 500)).some((e) => e.data.id === T.id), 10000, 'the tenant\'s event');
    c0 = await lastId(srv);
    const Y = session(store.db);
    try {
      await Y.run('BEGIN;');
      await Y.run(`SELECT pg_advisory_xact_lock(${key});`);
      // X: a purchase; it holds the catalog row (so it has its transaction id), then waits for the tenant.
      const X = srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 1 } });
      await until(() => storeSql(store.db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
        + ' AND backend_xid IS NOT NULL') === '1', 10000, 'the purchase waiting for the tenant\'s lock, with its id');
      // Y takes a later id, writes an event of the tenant and commits first.
      const [yId] = await Y.run(`INSERT INTO events (txid, type, tenant, created, data) VALUES (txid_current(), 'user.created', ${tnum}, 0, '{}') RETURNING id;`, 1);
      await Y.run('COMMIT;');
      const r = await X;
      assert.equal(r.status, 201, `case the purchase: ${r.status} ${r.text}`);
      let got = [];
      await until(async () => { got = await page(srv, c0); return got.length >= 3; }, 10000, 'the three events');
      assert.deepEqual(got.map((e) => [e.id === `evt_${yId}` ? 'Y' : e.type]), [['Y'], ['subscription.created'], ['invoice.issued']],
        'case Y committed first: listed first, the purchase after it');
    } finally {
      await Y.end();
    }
  });
} else {
  test('SQLite: one writer at a time, so ids are taken in commit order (the PostgreSQL case runs with PS_TEST_DB_URL)', async () => {
    const c0 = await lastId(servers[0]);
    const T = await newTenant(servers[1], { name: 'One writer' });
    const got = await page(servers[2], c0);
    assert.deepEqual(got.map((e) => [e.type, e.tenant]), [['tenant.created', T.id]], 'case the change\'s event, at once');
  });
}
