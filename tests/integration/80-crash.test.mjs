// 80-crash: a daemon killed with SIGKILL in the middle of a 100,000-seat
// upgrade, then restarted: the store holds the old state or the new one,
// never a mix, and every user holds exactly one seat of the product.
import assert from 'node:assert/strict';
import { test, after, startServer, makeStore, removeStore, newTenant, storeSql } from './harness.mjs';

const SEATS = 100000;

function sql(db, q) {
  // PostgreSQL checks its pages as it writes them: nothing to ask.
  if (db.includes('://') && q.startsWith('PRAGMA integrity_check')) return 'ok';
  return storeSql(db, q);
}

// Everything that must hold whatever moment the daemon died at.
function checkInvariants(db, label) {
  assert.equal(sql(db, 'PRAGMA integrity_check'), 'ok', `case ${label}: integrity_check`);
  const seats = Number(sql(db, 'SELECT count(*) FROM assignments WHERE tenant_id = 1'));
  assert.equal(seats, SEATS, `case ${label} seats: got ${seats}, want ${SEATS}`);
  const doubled = Number(sql(db, 'SELECT count(*) FROM (SELECT user_id FROM assignments WHERE tenant_id = 1 ' +
    'GROUP BY user_id, product_id HAVING count(*) > 1) AS d'));
  assert.equal(doubled, 0, `case ${label}: got ${doubled} users with two seats of one product, want 0`);
  const unseated = Number(sql(db, 'SELECT count(*) FROM users u WHERE tenant_id = 1 AND NOT EXISTS ' +
    '(SELECT 1 FROM assignments a WHERE a.tenant_id = 1 AND a.user_id = u.id)'));
  assert.equal(unseated, 0, `case ${label}: got ${unseated} users without a seat, want 0`);
  const drift = sql(db, 'SELECT s.id, s.assigned, (SELECT count(*) FROM assignments a WHERE a.tenant_id = 1 AND ' +
    'a.subscription_id = s.id) FROM subscriptions s WHERE s.tenant_id = 1 AND s.assigned <> (SELECT count(*) ' +
    'FROM assignments a WHERE a.tenant_id = 1 AND a.subscription_id = s.id)');
  assert.equal(drift, '', `case ${label}: assigned counters drifted: ${drift}`);
  // Exactly one live subscription of the product holds every seat.
  const live = sql(db, "SELECT id || ':' || status || ':' || assigned FROM subscriptions WHERE tenant_id = 1 " +
    "AND status IN ('active', 'provisioning')");
  const rows = live.split('\n');
  assert.equal(rows.length, 1, `case ${label}: live subscriptions ${live}, want one`);
  assert.match(rows[0], new RegExp(`:${SEATS}$`), `case ${label}: ${rows[0]} should hold every seat`);
  // An operation exists exactly when the change happened.
  const replaced = Number(sql(db, "SELECT count(*) FROM subscriptions WHERE tenant_id = 1 AND status = 'replaced'"));
  const done = Number(sql(db, "SELECT count(*) FROM operations WHERE tenant_id = 1 AND state = 'completed'"));
  assert.equal(done, replaced, `case ${label}: ${done} completed operations for ${replaced} replaced subscriptions`);
  return replaced;
}

let srv;
let store;
after(async () => {
  try { if (srv) await srv.stop(); } finally { if (store) removeStore(store); }
});

test('SIGKILL during 100,000-seat upgrades leaves the old state or the new, never a mix', { timeout: 120000 }, async () => {
  store = makeStore();
  srv = await startServer({ store });
  const t = await newTenant(srv, { name: 'Big Org', credit_limit: 1e12 });
  const buy = await srv.api('POST', `/v1/tenants/${t.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: SEATS } });
  assert.equal(buy.status, 201, buy.text);
  // 100,000 users, each holding a seat, written straight into the store.
  sql(store.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${SEATS}) ` +
    "INSERT INTO users (tenant_id, id, upn, display_name, created_at) SELECT 1, 1000 + i, 'u' || i || " +
    "'@big.example', 'User ' || i, 0 FROM n; INSERT INTO assignments (tenant_id, subscription_id, user_id, " +
    "product_id, assigned_at) SELECT 1, 1, id, 'business', 0 FROM users WHERE tenant_id = 1;");
  checkInvariants(store.db, 'before');

  // Each round: start an upgrade along the path, kill the daemon after a
  // delay, restart on the same store, check. Delays spread over the
  // upgrade's duration (about half a second here). The delay is the moment of
  // the crash, the variable of the experiment: nothing waits on it, and any
  // moment must leave the invariants true.
  const path = ['biz-standard', 'biz-premium', 'ent-e5'];
  let step = 0;
  let killsWithOld = 0;
  for (const delay of [40, 120, 250, 400, 600, 900]) {
    if (step >= path.length) break;
    const subs = await srv.api('GET', `/v1/tenants/${t.id}/subscriptions`);
    const source = subs.json.items.find((s) => s.status === 'active');
    const pending = srv.api('POST', `/v1/tenants/${t.id}/subscriptions/${source.id}/upgrade`,
      { body: { target_plan: path[step] } }).catch(() => null);
    await new Promise((r) => setTimeout(r, delay));
    const died = await srv.kill('SIGKILL');
    await pending;
    assert.equal(died, 'SIGKILL', 'case kill: the daemon should have died of SIGKILL');
    srv = await startServer({ store });
    const replaced = checkInvariants(store.db, `after a kill at ${delay} ms`);
    if (replaced > step) step = replaced; else killsWithOld++;
    // The daemon serves the tenant normally after the restart.
    const tab = await srv.api('GET', `/v1/tenants/${t.id}/subscriptions/${
      (await srv.api('GET', `/v1/tenants/${t.id}/subscriptions`)).json.items.find((s) => s.status === 'active').id}/upgrades`);
    assert.equal(tab.status, 200, `case upgrade tab after restart: got ${tab.status}`);
  }
  // Not an assertion on timing: just what the rounds saw, for the log.
  console.log(`# kills that left the old state: ${killsWithOld}; upgrades that completed: ${step}`);
});
