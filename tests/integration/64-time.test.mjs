// 64-time: work that happens by itself (RULES, second part: "Work in the
// background, never on a read"). The job runner renews subscriptions with no
// read at all, a GET never writes, setting the manual clock runs every job due
// before it answers, several missed periods are each invoiced once, a prepaid
// term renews, several daemons on one store never run a job twice, and a
// daemon killed in the middle of a run loses and repeats nothing. The clock is
// the manual one throughout; nothing sleeps: waits are until() on the store.
import assert from 'node:assert/strict';
import { test, before, after, startServer, startServers, stopServers, makeStore, removeStore, tenantWithTokens,
  setClock, storeSql, until, cli, PG_URL } from './harness.mjs';
import { billing, buy, tab, preview, getSub } from './tenant-calls.mjs';

const secs = (iso) => Date.parse(iso) / 1000;
// The store's clock, set by hand: no request reaches any daemon.
const setStoreClock = (db, iso) => storeSql(db, `UPDATE clock SET now = ${secs(iso)} WHERE one = 1`);
const count = (db, q) => Number(storeSql(db, q));
const renewals = (db, where = '') =>
  count(db, `SELECT count(*) FROM invoice_lines WHERE kind = 'renewal'${where ? ` AND ${where}` : ''}`);
const subId = (ref) => Number(ref.replace(/^sub_/, ''));

// The Prometheus value of a series (0 when absent).
async function metric(s, series) {
  const r = await s.api('GET', '/metrics');
  assert.equal(r.status, 200, `case GET /metrics: got ${r.status} ${r.text}`);
  const line = r.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

let store; // one store for the first tests: `quiet` has no runner thread, `busy` has one
let quiet, busy;

before(async () => {
  store = makeStore();
  [quiet] = await startServers([{ store, args: ['--clock', 'manual', '--jobs-interval', '0s'] }]);
});

after(async () => {
  await stopServers([quiet, busy]);
  removeStore(store);
});

test('a GET never writes: the Upgrade tab, billing and a preview of a due subscription change nothing; setting the clock renews', async () => {
  await setClock(quiet, '2026-01-05T10:00:00Z');
  const T = await tenantWithTokens(quiet, { name: 'Reader Org' });
  const s = await buy(quiet, T, { plan: 'biz-basic', quantity: 4 });
  // A month and a day later, set in the store by hand: nothing has run.
  setStoreClock(store.db, '2026-02-06T10:00:00Z');
  const snapshot = () => storeSql(store.db,
    "SELECT (SELECT count(*) FROM invoice_lines) || '/' || (SELECT count(*) FROM audit) || '/' || " +
    `(SELECT billed_through FROM subscriptions WHERE id = ${subId(s.id)}) || '/' || (SELECT count(*) FROM jobs)`);
  const was = snapshot();
  for (let i = 0; i < 3; i++) {
    await tab(quiet, T, s.id);
    await billing(quiet, T);
    const p = await preview(quiet, T, s.id, { target_plan: 'biz-standard' });
    assert.equal(p.status, 200, `case preview: got ${p.status} ${p.text}`);
    await getSub(quiet, T, s.id);
  }
  assert.equal(snapshot(), was, 'case reads of a due subscription: the store changed (lines/audit/billed_through/jobs)');
  assert.equal(renewals(store.db, `subscription_id = ${subId(s.id)}`), 0, 'case renewals before the clock is set');
  // Setting the clock (to the same time) runs the due renewal before it answers.
  await setClock(quiet, '2026-02-06T10:00:00Z');
  assert.equal(renewals(store.db, `subscription_id = ${subId(s.id)}`), 1, 'case renewals once the clock is set');
  assert.equal((await getSub(quiet, T, s.id)).billed_through, '2026-03-05T10:00:00Z', 'case billed_through after the renewal');
  // Again: nothing more.
  await setClock(quiet, '2026-02-06T10:00:00Z');
  assert.equal(renewals(store.db, `subscription_id = ${subId(s.id)}`), 1, 'case renewals after setting the clock twice');
});

test('several missed periods after a clock jump: each period invoiced once, in order, with the price of each', async () => {
  await setClock(quiet, '2026-03-01T08:00:00Z');
  const T = await tenantWithTokens(quiet, { name: 'Jump Org' });
  const s = await buy(quiet, T, { plan: 'biz-standard', quantity: 3 });
  await setClock(quiet, '2026-07-15T08:00:00Z'); // four periods passed: 04-01, 05-01, 06-01, 07-01
  const lines = storeSql(store.db, `SELECT period_start || ' ' || period_end || ' ' || amount FROM invoice_lines
    WHERE kind = 'renewal' AND subscription_id = ${subId(s.id)} ORDER BY period_start`).split('\n');
  const want = ['2026-04-01', '2026-05-01', '2026-06-01', '2026-07-01'].map((d, i, a) => {
    const end = ['2026-05-01', '2026-06-01', '2026-07-01', '2026-08-01'][i];
    return `${secs(`${d}T08:00:00Z`)} ${secs(`${end}T08:00:00Z`)} ${1250 * 3}`;
  });
  assert.deepEqual(lines, want, 'case the four renewal periods (start end amount = 1250 x 3 seats)');
  const sub = await getSub(quiet, T, s.id);
  assert.equal(sub.billed_through, '2026-08-01T08:00:00Z', 'case billed_through after four renewals');
  assert.equal(count(store.db, `SELECT count(*) FROM audit WHERE action = 'billing.renewal' AND object = '${s.id}'`), 1,
    'case one audit row for the run that invoiced the four periods');
  // The clock going back and forth again invoices nothing twice.
  await setClock(quiet, '2026-07-01T08:00:00Z');
  await setClock(quiet, '2026-07-15T08:00:00Z');
  assert.equal(renewals(store.db, `subscription_id = ${subId(s.id)}`), 4, 'case renewals after moving the clock back and forth');
});

test('a prepaid annual term renews at its end: the whole next term invoiced and charged at once, once', async () => {
  await setClock(quiet, '2026-01-10T12:00:00Z');
  const T = await tenantWithTokens(quiet, { name: 'Prepaid Org', payment: 'card' });
  const s = await buy(quiet, T, { plan: 'biz-basic', quantity: 2, term: 'annual', prepaid: true });
  assert.equal(s.term_end, '2027-01-10T12:00:00Z', 'case prepaid term_end');
  await setClock(quiet, '2027-01-09T12:00:00Z');
  assert.equal(renewals(store.db, `subscription_id = ${subId(s.id)}`), 0, 'case no renewal a day before the term ends');
  await setClock(quiet, '2027-01-10T12:00:00Z');
  const l = storeSql(store.db, `SELECT period_start || ' ' || period_end || ' ' || amount FROM invoice_lines
    WHERE kind = 'renewal' AND subscription_id = ${subId(s.id)}`);
  assert.equal(l, `${secs('2027-01-10T12:00:00Z')} ${secs('2028-01-10T12:00:00Z')} ${600 * 2 * 12}`,
    'case the prepaid renewal: the next whole term, 600 x 2 seats x 12 months');
  const sub = await getSub(quiet, T, s.id);
  assert.equal(sub.term_start, '2027-01-10T12:00:00Z', 'case the new term starts');
  assert.equal(sub.term_end, '2028-01-10T12:00:00Z', 'case the new term ends');
  const b = await billing(quiet, T);
  assert.equal(b.invoices.length, 2, `case invoices: got ${JSON.stringify(b.invoices)}`);
  assert.equal(b.invoices[1].status, 'paid', 'case a card tenant pays the renewal at once');
});

test('the runner renews with no read at all: a daemon with a runner does it when the store clock passes, and /metrics counts it', async () => {
  const T = await tenantWithTokens(quiet, { name: 'Nobody Looks Org' });
  await setClock(quiet, '2028-02-01T00:00:00Z');
  const s = await buy(quiet, T, { plan: 'mail-p1', quantity: 5 });
  const before = renewals(store.db);
  busy = await startServer({ store, args: ['--clock', 'manual', '--jobs-interval', '20ms'] });
  // Nothing is due yet: the runner does nothing.
  assert.equal(await metric(busy, 'planshift_jobs_due'), 0, 'case planshift_jobs_due before the period ends');
  setStoreClock(store.db, '2028-03-02T00:00:00Z');
  await until(() => renewals(store.db, `subscription_id = ${subId(s.id)}`) === 1, 10000,
    'the runner renewing the subscription with no request at all');
  const runs = await metric(busy, 'planshift_jobs_run_total{kind="renew",result="ok"}');
  assert.ok(runs >= 1, `case planshift_jobs_run_total renew ok: got ${runs}, want >= 1`);
  assert.equal(await metric(busy, 'planshift_jobs_due'), 0, 'case planshift_jobs_due after the run');
  assert.equal(renewals(store.db) - before >= 1, true, 'case renewals counted in the store');
  await busy.stop();
  busy = null;
});

test('serve --jobs-interval takes a duration with its unit, up to an hour; anything else is a usage error naming it', () => {
  for (const v of ['5x', '-1s', '61m', '10', 'soon']) {
    const r = cli(['serve', '--db', store.db, '--listen', '127.0.0.1:0', '--jobs-interval', v]);
    assert.equal(r.status, 2, `case --jobs-interval ${v}: got status ${r.status} (${r.stderr.trim()}), want 2`);
    assert.match(r.stderr, /--jobs-interval must be a duration/, `case --jobs-interval ${v}: stderr ${r.stderr}`);
  }
});

// ---- several daemons, crashes ----------------------------------------------

// n subscriptions over several tenants, bought at `at`; returns their ids.
async function manySubs(s, n, at, perTenant = 50) {
  await setClock(s, at);
  const ids = [];
  for (let t = 0; ids.length < n; t++) {
    const T = await tenantWithTokens(s, { name: `Many ${t}`, payment: 'card' });
    const batch = [];
    for (let i = 0; i < perTenant && ids.length + batch.length < n; i++) batch.push(buy(s, T, { plan: 'biz-basic', quantity: 1 }));
    for (const sub of await Promise.all(batch)) ids.push(subId(sub.id));
  }
  return ids;
}

test('three daemons on one store run 1,000 due renewals, each exactly once', { timeout: 180000 }, async () => {
  const st = makeStore();
  const servers = await startServers([0, 1, 2].map(() => ({ store: st, args: ['--clock', 'manual', '--jobs-interval', '10ms'] })));
  try {
    const ids = await manySubs(servers[0], 1000, '2029-01-01T00:00:00Z');
    assert.equal(renewals(st.db), 0, 'case no renewal before the clock moves');
    setStoreClock(st.db, '2029-02-01T00:00:01Z');
    await until(() => count(st.db, 'SELECT count(*) FROM jobs') === 0 && renewals(st.db) >= 1000, 120000,
      'the three runners renewing the 1,000 subscriptions');
    assert.equal(renewals(st.db), 1000, 'case renewal lines: one per subscription');
    assert.equal(count(st.db, `SELECT count(*) FROM (SELECT subscription_id FROM invoice_lines WHERE kind = 'renewal'
      GROUP BY subscription_id, period_start HAVING count(*) > 1) AS twice`), 0, 'case a period invoiced twice');
    assert.equal(count(st.db, "SELECT count(*) FROM audit WHERE action = 'billing.renewal'"), 1000,
      'case audit rows: one per renewal run that invoiced');
    assert.equal(count(st.db, `SELECT count(*) FROM subscriptions WHERE billed_through = ${secs('2029-03-01T00:00:00Z')}`),
      ids.length, 'case every subscription billed through the next period');
    const runs = [];
    for (const s of servers) runs.push(await metric(s, 'planshift_jobs_run_total{kind="renew",result="ok"}'));
    const failed = [];
    for (const s of servers) failed.push(await metric(s, 'planshift_jobs_run_total{kind="renew",result="failed"}'));
    console.log(`# renew runs by daemon: ${runs.join(', ')}; failed: ${failed.join(', ')}`);
    assert.ok(runs.reduce((a, b) => a + b, 0) >= 1000, `case runs in all: got ${runs}, want >= 1000`);
    if (PG_URL) assert.ok(runs.filter((n) => n > 0).length >= 2, `case runs spread over the daemons on PostgreSQL: got ${runs}`);
  } finally {
    await stopServers(servers);
    removeStore(st);
  }
});

test('kill -9 in the middle of the runs: after a restart every period is invoiced exactly once', { timeout: 180000 }, async () => {
  const st = makeStore();
  let a = await startServer({ store: st, args: ['--clock', 'manual', '--jobs-interval', '0s'] });
  let b;
  try {
    const ids = await manySubs(a, 400, '2029-05-01T00:00:00Z');
    await a.stop();
    a = null;
    b = await startServer({ store: st, args: ['--clock', 'manual', '--jobs-interval', '1ms'] });
    setStoreClock(st.db, '2029-06-01T00:00:01Z');
    await until(() => renewals(st.db) > 0, 30000, 'the first renewals');
    const killed = await b.kill('SIGKILL');
    assert.equal(killed, 'SIGKILL', 'case the daemon died of SIGKILL');
    const atKill = renewals(st.db);
    console.log(`# renewals when killed: ${atKill} of ${ids.length}`);
    b = await startServer({ store: st, args: ['--clock', 'manual', '--jobs-interval', '5ms'] });
    await until(() => renewals(st.db) >= ids.length && count(st.db, 'SELECT count(*) FROM jobs') === 0, 60000,
      'the restarted daemon finishing the renewals');
    assert.equal(renewals(st.db), ids.length, 'case renewal lines after the restart: one per subscription');
    assert.equal(count(st.db, "SELECT count(*) FROM audit WHERE action = 'billing.renewal'"), ids.length,
      'case audit rows: one per renewal');
    assert.equal(count(st.db, `SELECT count(*) FROM invoices i WHERE NOT EXISTS
      (SELECT 1 FROM invoice_lines l WHERE l.tenant_id = i.tenant_id AND l.invoice_id = i.id)`), 0,
    'case an invoice without its line (a run half written)');
    assert.equal(count(st.db, `SELECT count(*) FROM subscriptions WHERE billed_through = ${secs('2029-07-01T00:00:00Z')}`),
      ids.length, 'case every subscription billed through the next period');
  } finally {
    await stopServers([a, b]);
    removeStore(st);
  }
});

// ---- cancellation at term end --------------------------------------------------

test('cancel at term end: active with cancel_at until then, no renewal, cancelled at that time; a second is 409', async () => {
  await setClock(quiet, '2030-01-10T09:00:00Z');
  const T = await tenantWithTokens(quiet, { name: 'Leaving Org' });
  const s = await buy(quiet, T, { plan: 'biz-basic', quantity: 3 });
  const path = `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`;
  const bad = await quiet.api('POST', path, { token: T.tok.billing_admin, body: { when: 'tomorrow' } });
  assert.equal(bad.status, 400, `case when=tomorrow: got ${bad.status} ${bad.text}`);
  assert.equal(bad.json.error.field, 'when', 'case when=tomorrow names the field');
  const r = await quiet.api('POST', path, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(r.status, 200, `case cancel at term end: got ${r.status} ${r.text}`);
  assert.equal(r.json.status, 'active', 'case still active until the term ends');
  assert.equal(r.json.cancel_at, '2030-02-10T09:00:00Z', 'case cancel_at = term_end');
  const again = await quiet.api('POST', path, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(again.status, 409, `case a second cancellation at term end: got ${again.status} ${again.text}`);
  assert.equal(again.json.error.field, 'cancel_at', 'case the second names cancel_at');
  const fleet = async () => (await quiet.api('GET', '/v1/fleet?fresh=1')).json.scheduled;
  assert.equal(await fleet(), 1, 'case GET /v1/fleet counts the scheduled cancellation');
  await setClock(quiet, '2030-02-10T08:59:59Z');
  assert.equal((await getSub(quiet, T, s.id)).status, 'active', 'case active a second before');
  await setClock(quiet, '2030-04-01T00:00:00Z');
  const after = await getSub(quiet, T, s.id);
  assert.equal(after.status, 'cancelled', 'case cancelled after its time');
  assert.equal(after.term_end, '2030-02-10T09:00:00Z', 'case it ended at cancel_at');
  assert.equal(renewals(store.db, `subscription_id = ${subId(s.id)}`), 0, 'case no renewal of a subscription cancelled at term end');
  const audit = storeSql(store.db, `SELECT action || ' ' || at FROM audit WHERE object = '${s.id}' AND action LIKE 'subscription.cancel%' ORDER BY id`);
  assert.equal(audit, `subscription.cancel_scheduled ${secs('2030-01-10T09:00:00Z')}\nsubscription.cancel ${secs('2030-02-10T09:00:00Z')}`,
    'case audit: scheduled when asked, cancelled dated at its time');
  const b = await billing(quiet, T);
  assert.equal(b.invoices.length, 1, `case invoices: the purchase only, no renewal nor credit: got ${JSON.stringify(b.invoices)}`);
  assert.equal(await fleet(), 0, 'case GET /v1/fleet once it is done');
});

test('cancel at term end blocked at its time (users still hold seats): it fails, audited with why, and the subscription renews', async () => {
  await setClock(quiet, '2030-05-01T09:00:00Z');
  const T = await tenantWithTokens(quiet, { name: 'Still Here Org' });
  const s = await buy(quiet, T, { plan: 'biz-basic', quantity: 2 });
  const u = await quiet.api('POST', `/v1/tenants/${T.id}/users`, { token: T.tok.license_admin,
    body: { upn: `kept@${T.id}.example`, display_name: 'Kept' } });
  assert.equal(u.status, 201, `case user: ${u.text}`);
  const a = await quiet.api('PUT', `/v1/tenants/${T.id}/subscriptions/${s.id}/assignments/${u.json.id}`, { token: T.tok.license_admin });
  assert.equal(a.status, 201, `case assign: ${a.text}`);
  const r = await quiet.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`,
    { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(r.status, 200, `case cancel at term end with a user seated: got ${r.status} ${r.text}`);
  await setClock(quiet, '2030-06-02T09:00:00Z');
  const after = await getSub(quiet, T, s.id);
  assert.equal(after.status, 'active', 'case still active: the cancellation failed');
  assert.equal(after.cancel_at, null, 'case cancel_at cleared');
  assert.equal(after.billed_through, '2030-07-01T09:00:00Z', 'case renewed as usual');
  assert.equal(renewals(store.db, `subscription_id = ${subId(s.id)}`), 1, 'case one renewal');
  const failed = storeSql(store.db, `SELECT detail FROM audit WHERE object = '${s.id}' AND action = 'subscription.cancel_failed'`);
  assert.equal(JSON.parse(failed).field, 'assigned', `case the failure says why: got ${failed}`);
  const op = await quiet.api('GET', `/v1/tenants/${T.id}/operations/${r.json.scheduled}`, { token: T.tok.reader });
  assert.deepEqual([op.json.type, op.json.state], ['cancel', 'failed'], `case its cancel operation failed: ${op.text}`);
});

test('an annual term billed monthly, cancelled at term end: each month renews until the term ends, then it is cancelled', async () => {
  await setClock(quiet, '2032-01-15T09:00:00Z');
  const T = await tenantWithTokens(quiet, { name: 'Annual Leaver Org' });
  const s = await buy(quiet, T, { plan: 'biz-standard', quantity: 2, term: 'annual' });
  assert.equal(s.term_end, '2033-01-15T09:00:00Z', 'case annual term_end');
  assert.equal(s.billed_through, '2032-02-15T09:00:00Z', 'case billed a month at a time');
  const r = await quiet.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`,
    { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(r.json.cancel_at, '2033-01-15T09:00:00Z', 'case cancel_at = the end of the annual term');
  await setClock(quiet, '2033-06-01T00:00:00Z'); // 16 months later, in one jump
  const starts = storeSql(store.db, `SELECT period_start FROM invoice_lines WHERE kind = 'renewal'
    AND subscription_id = ${subId(s.id)} ORDER BY period_start`).split('\n').map((x) => new Date(Number(x) * 1000).toISOString().slice(0, 10));
  assert.deepEqual(starts, ['2032-02-15', '2032-03-15', '2032-04-15', '2032-05-15', '2032-06-15', '2032-07-15',
    '2032-08-15', '2032-09-15', '2032-10-15', '2032-11-15', '2032-12-15'], 'case the eleven monthly renewals of the term, none after');
  const after = await getSub(quiet, T, s.id);
  assert.equal(after.status, 'cancelled', 'case cancelled at the end of the term');
  assert.equal(after.billed_through, '2033-01-15T09:00:00Z', 'case billed through the end of the term');
});
