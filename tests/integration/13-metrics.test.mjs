// 13-metrics: GET /metrics (Prometheus' text format) for the operator, and
// the --metrics-listen listener that serves it alone without a token.
import assert from 'node:assert/strict';
import { test, before, after, startServer, tenantWithTokens, until, expectError } from './harness.mjs';
import { buy, upgrade } from './tenant-calls.mjs';

let srv;
let metricsUrl;

before(async () => {
  srv = await startServer({ args: ['--metrics-listen', '127.0.0.1:0'] });
  metricsUrl = await until(() => /metrics at (http:\/\/[\d.]+:\d+\/metrics)/.exec(srv.stdout)?.[1], 10000,
    'the "metrics at" line');
});

after(async () => {
  if (srv) await srv.stop();
});

// Parse the text format: {families: {name: {help, type}}, samples: [{name, labels, value}]},
// asserting that every sample follows its family's HELP and TYPE lines.
function parse(text) {
  const families = {};
  const samples = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# HELP (\w+) (.+)$/.exec(line);
    if (m) { families[m[1]] = { help: m[2] }; current = m[1]; continue; }
    m = /^# TYPE (\w+) (counter|gauge|histogram)$/.exec(line);
    if (m) {
      assert.equal(m[1], current, `case TYPE ${m[1]}: got it after HELP of ${current}, want right after its HELP`);
      families[m[1]].type = m[2];
      continue;
    }
    m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `case line ${JSON.stringify(line)}: got no sample, want NAME{LABELS} VALUE`);
    const labels = {};
    for (const [, k, v] of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    const base = m[1].replace(/_(bucket|sum|count)$/, '');
    const fam = families[m[1]] ? m[1] : base;
    assert.equal(fam, current, `case sample ${m[1]}: got it under family ${current}, want after its own HELP/TYPE`);
    assert.ok(families[fam].type, `case sample ${m[1]}: no TYPE line`);
    assert.ok(!Number.isNaN(Number(m[3])), `case ${line}: value is not a number`);
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { families, samples };
}

const value = (p, name, labels) => p.samples.filter((s) => s.name === name &&
  Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

async function scrape() {
  const r = await srv.api('GET', '/metrics');
  assert.equal(r.status, 200, `case scrape: got ${r.status} ${r.text}`);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parse(r.text);
}

test('N requests of known routes and statuses: the counters grow by exactly N, the histogram agrees', async () => {
  const before = await scrape();
  const calls = [
    ['GET', '/healthz', undefined, 200, 'GET', '/healthz'],
    ['GET', '/healthz', undefined, 200, 'GET', '/healthz'],
    ['GET', '/healthz', undefined, 200, 'GET', '/healthz'],
    ['GET', '/v1/catalog', srv.operator, 200, 'GET', '/v1/catalog'],
    ['GET', '/v1/catalog', srv.operator, 200, 'GET', '/v1/catalog'],
    ['GET', '/v1/catalog', null, 401, 'GET', '/v1/catalog'],
    ['GET', '/v1/tenants/ten_999999', srv.operator, 404, 'GET', '/v1/tenants/{t}'],
    ['GET', '/no/such/path', srv.operator, 404, 'any', 'unmatched'],
    ['DELETE', '/v1/catalog', srv.operator, 405, 'any', 'unmatched'],
  ];
  for (const [method, path, token, status] of calls) {
    const r = await srv.api(method, path, { token });
    assert.equal(r.status, status, `case ${method} ${path}: got ${r.status} ${r.text}, want ${status}`);
  }
  const now = await scrape();
  const want = {};
  for (const [, , , status, method, route] of calls) {
    const k = JSON.stringify({ method, route, code: String(status) });
    want[k] = (want[k] || 0) + 1;
  }
  for (const [k, n] of Object.entries(want)) {
    const labels = JSON.parse(k);
    const got = value(now, 'planshift_http_requests_total', labels) - value(before, 'planshift_http_requests_total', labels);
    assert.equal(got, n, `case requests_total ${k}: got ${got} more, want ${n}`);
  }
  // The first scrape is counted, the second (still answering) is not.
  const m = { method: 'GET', route: '/metrics', code: '200' };
  assert.equal(value(now, 'planshift_http_requests_total', m) - value(before, 'planshift_http_requests_total', m), 1,
    'case /metrics counted once between the two scrapes');
  // Every family the API names, with HELP and TYPE.
  for (const [name, type] of [['planshift_http_requests_total', 'counter'],
    ['planshift_http_request_duration_seconds', 'histogram'], ['planshift_operations_total', 'gauge'],
    ['planshift_webhook_deliveries_total', 'counter'], ['planshift_store_tx_retries_total', 'counter'],
    ['planshift_store_busy_waits_total', 'counter'], ['planshift_http_open_connections', 'gauge'],
    ['process_start_time_seconds', 'gauge'], ['process_resident_memory_bytes', 'gauge']]) {
    assert.equal(now.families[name]?.type, type, `case family ${name}: got ${now.families[name]?.type}, want ${type}`);
  }
  // The histogram: buckets cumulative, ending at +Inf = _count = the requests of that route.
  const routes = new Set(now.samples.filter((s) => s.name === 'planshift_http_request_duration_seconds_count')
    .map((s) => JSON.stringify({ method: s.labels.method, route: s.labels.route })));
  assert.ok(routes.size >= 5, `case histogram routes: got ${routes.size}`);
  for (const k of routes) {
    const labels = JSON.parse(k);
    const buckets = now.samples.filter((s) => s.name === 'planshift_http_request_duration_seconds_bucket' &&
      s.labels.method === labels.method && s.labels.route === labels.route);
    let prev = 0, prevLe = -1;
    for (const b of buckets) {
      const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
      assert.ok(le > prevLe, `case ${k}: got le ${b.labels.le} after ${prevLe}, want increasing`);
      assert.ok(b.value >= prev, `case ${k} le ${b.labels.le}: got ${b.value} after ${prev}, want cumulative`);
      prev = b.value; prevLe = le;
    }
    assert.equal(prevLe, Infinity, `case ${k}: want a last +Inf bucket`);
    const count = value(now, 'planshift_http_request_duration_seconds_count', labels);
    assert.equal(prev, count, `case ${k}: got +Inf ${prev}, want _count ${count}`);
    assert.equal(count, value(now, 'planshift_http_requests_total', labels), `case ${k}: got _count ${count}, want requests_total`);
    assert.ok(value(now, 'planshift_http_request_duration_seconds_sum', labels) >= 0);
  }
  const h = JSON.stringify({ method: 'GET', route: '/healthz' });
  assert.ok(routes.has(h), 'case /healthz in the histogram');
  const start = value(now, 'process_start_time_seconds', {});
  assert.ok(Math.abs(start - Date.now() / 1000) < 3600, `case start time: got ${start}`);
  assert.ok(value(now, 'process_resident_memory_bytes', {}) > 1 << 20, 'case RSS: want more than 1 MiB');
  assert.ok(value(now, 'planshift_http_open_connections', {}) >= 1, 'case open connections: want the scrape\'s own');
});

test('operations by type and state are read from the store', async () => {
  const T = await tenantWithTokens(srv, { name: 'Metrics Org' });
  const sub = await buy(srv, T, { plan: 'biz-basic', quantity: 2, term: 'monthly', prepaid: false });
  const before = await scrape();
  const r = await upgrade(srv, T, sub.id, { target_plan: 'biz-standard' });
  assert.equal(r.status, 201, `case upgrade: got ${r.status} ${r.text}`);
  const now = await scrape();
  const labels = { type: 'upgrade', state: r.json.state };
  assert.equal(value(now, 'planshift_operations_total', labels) - value(before, 'planshift_operations_total', labels), 1,
    `case operations_total ${JSON.stringify(labels)}`);
  assert.equal(now.samples.filter((s) => s.name === 'planshift_operations_total').length, 3 * 6, // upgrade, switch, cancel x 6 states
    'case every type x state is a series');
});

test('only the operator reads /metrics on the API listener; --metrics-listen serves it alone, without a token', async () => {
  expectError(await srv.api('GET', '/metrics', { token: null }), 401, 'unauthorized', undefined, 'no token');
  const open = await fetch(metricsUrl, { signal: AbortSignal.timeout(10000) });
  assert.equal(open.status, 200);
  assert.match(open.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const p = parse(await open.text());
  assert.ok(p.families.planshift_http_requests_total, 'case metrics listener: the same families');
  const other = await fetch(metricsUrl.replace('/metrics', '/v1/catalog'), { signal: AbortSignal.timeout(10000) });
  assert.equal(other.status, 404, 'case metrics listener: nothing but /metrics');
  await other.text();
});
