// 14-access-log: serve --access-log FILE: one JSON line per request (route
// template, never the path's ids alone; token id, never its secret), and
// SIGHUP reopens FILE after a rotation renamed it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { test, before, after, startServer, tempDir, tenantWithTokens, until } from './harness.mjs';

let srv, dir, logFile;

before(async () => {
  dir = tempDir();
  logFile = join(dir, 'access.log');
  srv = await startServer({ args: ['--access-log', logFile] });
});

after(async () => {
  if (srv) await srv.stop();
});

const lines = (f) => (existsSync(f) ? readFileSync(f, 'utf8') : '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const lineOf = (f, id) => lines(f).find((l) => l.request_id === id);

test('one JSON line per request: time, request id, method, route template, status, duration, tenant, token id, bytes', async () => {
  const T = await tenantWithTokens(srv, { name: 'Logged Org' });
  const who = await srv.api('GET', '/v1/whoami', { token: T.tok.reader });
  assert.equal(who.status, 200);
  const calls = [
    [await srv.api('GET', `/v1/tenants/${T.id}`, { token: T.tok.reader }), 'GET', '/v1/tenants/{t}', 200, T.id, who.json.token_id ?? who.json.token],
    [await srv.api('GET', '/healthz', { token: null }), 'GET', '/healthz', 200, null, null],
    [await srv.api('GET', '/v1/catalog', { token: null }), 'GET', '/v1/catalog', 401, null, null],
    [await srv.api('GET', '/nowhere', { token: null }), 'GET', 'unmatched', 404, null, null],
  ];
  for (const [r, method, route, status, tenant, token] of calls) {
    const id = r.headers.get('x-request-id');
    const l = await until(() => lineOf(logFile, id), 10000, `the line of ${id}`);
    const name = `${method} ${route}`;
    assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `case ${name}: time ${l.time}`);
    assert.ok(Math.abs(Date.parse(l.time) - Date.now()) < 600000, `case ${name}: time ${l.time} is not now`);
    assert.equal(l.method, method, `case ${name}: method`);
    assert.equal(l.route, route, `case ${name}: route`);
    assert.equal(l.status, status, `case ${name}: status`);
    assert.equal(r.status, status, `case ${name}: the answer's status`);
    assert.ok(typeof l.duration_ms === 'number' && l.duration_ms >= 0, `case ${name}: duration_ms ${l.duration_ms}`);
    assert.equal(l.tenant, tenant, `case ${name}: tenant`);
    if (token) assert.equal(l.token, token, `case ${name}: token id`);
    else assert.equal(l.token, null, `case ${name}: token`);
    assert.equal(l.bytes, Buffer.byteLength(r.text), `case ${name}: bytes`);
  }
  // The tenant-bound request names the token by its id.
  assert.match(calls[0][5] || '', /^tok_\d+$/, `case whoami token id: got ${calls[0][5]}`);
  // No secret anywhere: neither the operator's token nor any tenant token.
  const text = readFileSync(logFile, 'utf8');
  for (const secret of [srv.operator, ...Object.values(T.tok)]) {
    assert.ok(!text.includes(secret), 'case a token secret is in the access log');
    assert.ok(!text.includes(secret.slice(-16)), 'case part of a token secret is in the access log');
  }
});

test('SIGHUP after a rename: the next lines go to a new file of the same name', async () => {
  const first = await srv.api('GET', '/healthz', { token: null });
  await until(() => lineOf(logFile, first.headers.get('x-request-id')), 10000, 'the line before the rotation');
  const rotated = `${logFile}.1`;
  renameSync(logFile, rotated);
  srv.proc.kill('SIGHUP');
  await until(() => existsSync(logFile), 10000, 'the new file after SIGHUP');
  const next = await srv.api('GET', '/healthz', { token: null });
  const id = next.headers.get('x-request-id');
  await until(() => lineOf(logFile, id), 10000, 'the line after the rotation in the new file');
  assert.equal(lineOf(rotated, id), undefined, 'case the rotated file got a line after SIGHUP');
  assert.ok(lineOf(rotated, first.headers.get('x-request-id')), 'case the rotated file keeps its lines');
  assert.equal(srv.proc.exitCode, null, 'case the daemon still runs after SIGHUP');
});

test('--access-log - writes the lines on stdout, after the "serving" line', async () => {
  const out = await startServer({ args: ['--access-log', '-'] });
  try {
    const r = await out.api('GET', '/healthz', { token: null });
    const id = r.headers.get('x-request-id');
    const line = await until(() => out.stdout.split('\n').find((l) => l.includes(`"request_id":"${id}"`)), 10000,
      'the line on stdout');
    const l = JSON.parse(line);
    assert.equal(l.route, '/healthz');
    assert.equal(l.status, 200);
    assert.match(out.stdout, /^planshift: serving http:/, 'case the serving line comes first');
  } finally {
    await out.stop();
  }
});
