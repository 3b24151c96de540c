// harness.mjs: start the real planshift binary on 127.0.0.1 with a temporary
// store, and talk to it over HTTP. Used by every integration and browser test.
// The store is a SQLite file, or with PS_TEST_DB_URL (a PostgreSQL URL whose
// database is "planshift", as scripts/pg prints) a database of its own on
// that server.
//
// Everything here is bounded in time, and says what it was waiting for when
// the bound is reached: each test and hook (test, before, after below:
// PS_TEST_TIMEOUT_MS, default 60 s), each request (api(): PS_TEST_FETCH_TIMEOUT_MS,
// default 30 s), each command (cli()), a daemon's start and its stop. A
// daemon that ended before stop() asked it to (a signal, or a sanitizer's
// report) makes stop() fail; a daemon that fails to start stops the others
// started with it (startServers), and any daemon still running when the
// file's tests end is stopped then. Run the files with --test-force-exit
// (scripts/test does): a test that timed out may leave a handle open.
import * as nodeTest from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.PLANSHIFT_BIN || join(ROOT, 'build', 'planshift');
export const DEMO_CATALOG = join(ROOT, 'data', 'demo-catalog.json');
export const PG_URL = process.env.PS_TEST_DB_URL || '';

export const TEST_TIMEOUT_MS = Number(process.env.PS_TEST_TIMEOUT_MS) || 60000;
export const FETCH_TIMEOUT_MS = Number(process.env.PS_TEST_FETCH_TIMEOUT_MS) || 30000;
const CLI_TIMEOUT_MS = 60000;
const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 30000;

// ---- tests with a time bound ----------------------------------------------------

// node:test's test, before and after, with a timeout unless one is given: a
// test that hangs fails with "test timed out after N ms" under its own name.
export function test(name, opts, fn) {
  if (typeof opts === 'function') [opts, fn] = [{}, opts];
  return nodeTest.test(name, { timeout: TEST_TIMEOUT_MS, ...opts }, fn);
}
export const before = (fn, opts = {}) => nodeTest.before(fn, { timeout: TEST_TIMEOUT_MS, ...opts });
export const after = (fn, opts = {}) => nodeTest.after(fn, { timeout: TEST_TIMEOUT_MS, ...opts });

// Resolves to what p resolves to, or rejects with "what: not done within ms ms".
export function within(p, ms, what) {
  let timer;
  const bound = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

// Poll cond (sync or async) every 20 ms until it returns a truthy value, which
// it resolves to; rejects with "what: not done within ms ms" after ms.
export async function until(cond, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not done within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---- stores and the command line --------------------------------------------------

let pgStores = 0;

// A new database on the PS_TEST_DB_URL server; returns its URL.
function pgStore() {
  const name = `ps_${process.pid}_${++pgStores}`;
  // A process id comes back: a database left by a killed run of an earlier one goes first.
  spawnSync('psql', [PG_URL, '-XAtq', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { timeout: CLI_TIMEOUT_MS });
  const r = spawnSync('psql', [PG_URL, '-XAtq', '-c', `CREATE DATABASE ${name}`], { encoding: 'utf8', timeout: CLI_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.error || r.stderr}`);
  return PG_URL.replace(/\/planshift(\?|$)/, `/${name}$1`);
}

function dropStore(db) {
  if (!db.includes('://')) return;
  const name = db.replace(/^[a-z]+:\/\/[^/]*\//, '').split('?')[0];
  spawnSync('psql', [PG_URL, '-XAtq', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { timeout: CLI_TIMEOUT_MS });
}

// Run SQL against a store by hand (sqlite3 or psql); returns the output trimmed.
export function storeSql(db, q) {
  const tool = db.includes('://') ? 'psql' : 'sqlite3';
  const r = db.includes('://')
    ? spawnSync('psql', [db, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8', timeout: CLI_TIMEOUT_MS })
    : spawnSync('sqlite3', ['-batch', '-noheader', db, q], { encoding: 'utf8', timeout: CLI_TIMEOUT_MS });
  if (r.error) throw new Error(`${tool}: ${r.error.code === 'ETIMEDOUT' ? `not done within ${CLI_TIMEOUT_MS} ms` : r.error.message}`);
  if (r.status !== 0) throw new Error(`${tool}: ${r.stderr}`);
  return r.stdout.trim();
}

// Run the CLI; returns {status, stdout, stderr}.
export function cli(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: CLI_TIMEOUT_MS, ...opts });
  if (r.error?.code === 'ETIMEDOUT') {
    throw new Error(`planshift ${args.join(' ')}: not done within ${opts.timeout || CLI_TIMEOUT_MS} ms`);
  }
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDirs = [];

// A new temporary folder, removed when the file's tests end.
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'planshift-test-'));
  tempDirs.push(dir);
  return dir;
}

// A store with the demo catalog (and demo tenants when demo is true).
// Returns {dir, db, operator, demo: [{name, id, token}]}.
export function makeStore({ demo = false, catalog = DEMO_CATALOG } = {}) {
  const dir = tempDir();
  const db = PG_URL ? pgStore() : join(dir, 'store.db');
  const args = ['init', '--db', db];
  if (demo) args.push('--demo'); else args.push('--catalog', catalog);
  const r = cli(args);
  if (r.status !== 0) throw new Error(`init failed: ${r.stderr}`);
  const tenants = [];
  let operator;
  if (demo) {
    operator = /operator token[^:]*: (\S+)/.exec(r.stdout)[1];
    for (const line of r.stdout.split('\n')) {
      const m = /^(.+?)\s+(ten_\d+)\s+.*\s(ps_\S+)$/.exec(line);
      if (m) tenants.push({ name: m[1].trim(), id: m[2], token: m[3] });
    }
  } else {
    const t = cli(['token', 'create', '--db', db, '--role', 'operator']);
    if (t.status !== 0) throw new Error(`token create failed: ${t.stderr}`);
    operator = t.stdout.trim();
  }
  return { dir, db, operator, tenants, initOutput: r.stdout };
}

// Remove a store: its folder, and its database on PostgreSQL. startServer
// removes the store it made when the daemon stops; a store made with
// makeStore and given to startServer is the caller's to remove.
export function removeStore(s) {
  rmSync(s.dir, { recursive: true, force: true });
  dropStore(s.db);
}

// ---- daemons --------------------------------------------------------------------------

const running = new Set(); // daemons started and not yet stopped

// The daemons of this process not yet stopped (for the harness's own tests).
export const runningServers = () => [...running];

// Start `planshift serve` on a free port (`bin`: another binary, such as an
// installed copy; `env`: variables added to the environment, an undefined
// value removes one). Returns a server object with url, db, operator,
// tenants, proc, stderr, api(), kill(), stop(). Rejects, leaving nothing
// running, when the daemon exits or stays silent first.
export async function startServer({ demo = false, args = [], store, bin = BIN, env = {} } = {}) {
  const s = store || makeStore({ demo });
  const argv = ['serve', '--db', s.db, '--listen', '127.0.0.1:0', '--threads', '4', ...args];
  const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const what = `planshift ${argv.join(' ')}`;
  let stderr = '';
  let stdout = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.on('data', (d) => { stdout += d; });
  // 'close': the process has exited and its output is read to the end.
  const closed = new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  let expected = null; // the signal kill() sent on purpose
  let stopping = null;
  let url = '';
  const tail = () => (stderr.trim() ? `; stderr:\n${stderr.trim().slice(-3000)}` : '; nothing on stderr');

  const server = {
    ...s, proc,
    get url() { return url; },
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    async api(method, path, { token = s.operator, body, raw, headers = {}, timeout = FETCH_TIMEOUT_MS } = {}) {
      const h = { ...headers };
      if (token) h.Authorization = `Bearer ${token}`;
      let payload;
      if (raw !== undefined) payload = raw;
      else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
      let res, text;
      try {
        res = await fetch(url + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(timeout) });
        text = await res.text();
      } catch (e) {
        if (e?.name === 'TimeoutError') {
          throw new Error(`${method} ${path}: no whole answer from ${url} within ${timeout} ms`, { cause: e });
        }
        throw e;
      }
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return { status: res.status, json, text, headers: res.headers };
    },
    // Send a signal on purpose (a crash test) and wait for the daemon to die;
    // resolves to the signal (or exit code) it ended with.
    async kill(signal = 'SIGKILL') {
      expected = signal;
      proc.kill(signal);
      const r = await within(closed, STOP_TIMEOUT_MS, `${what}: dying of ${signal}`);
      await server.stop();
      return r.signal ?? r.code;
    },
    // Stop with SIGTERM and wait; resolves to the exit code (sanitizer
    // reports at exit make it non-zero). Rejects when the daemon had ended
    // before it was asked to (a crash: a signal, or a sanitizer's report and
    // exit status), died of another signal than SIGTERM, or did not exit
    // within `timeout` ms of SIGTERM (then it is killed). After kill(),
    // resolves to what kill() did. The same answer each time it is called.
    stop({ timeout = STOP_TIMEOUT_MS } = {}) {
      stopping ??= (async () => {
        running.delete(server);
        try {
          const alive = proc.exitCode === null && proc.signalCode === null;
          if (alive) {
            proc.kill('SIGTERM');
            try {
              await within(closed, timeout, 'exit');
            } catch {
              proc.kill('SIGKILL');
              await closed;
              throw new Error(`${what} did not exit within ${timeout} ms of SIGTERM: killed${tail()}`);
            }
          }
          const { code, signal } = await closed;
          if (expected) return signal ?? code;
          const where = url ? ` while serving ${url}` : '';
          if (signal && (!alive || signal !== 'SIGTERM')) throw new Error(`${what} died of ${signal}${where}${tail()}`);
          if (!alive) throw new Error(`${what} exited on its own (status ${code})${where}${tail()}`);
          return code ?? signal;
        } finally {
          if (!store) removeStore(s);
        }
      })();
      return stopping;
    },
  };
  running.add(server);

  try {
    url = await within(new Promise((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /serving (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      closed.then(({ code, signal }) => reject(new Error(
        `${what} exited (${signal || `status ${code}`}) before serving${tail()}`)));
    }), START_TIMEOUT_MS, `${what}: printing "serving http://..."`);
  } catch (e) {
    await server.stop().catch(() => {});
    throw e;
  }
  return server;
}

// Start several daemons at once (each an options object of startServer).
// When one fails to start, the others are stopped before the error is thrown.
export async function startServers(specs) {
  const rs = await Promise.allSettled(specs.map((o) => startServer(o)));
  const failed = rs.find((r) => r.status === 'rejected');
  if (!failed) return rs.map((r) => r.value);
  await Promise.allSettled(rs.filter((r) => r.status === 'fulfilled').map((r) => r.value.stop()));
  throw failed.reason;
}

// Stop the daemons given (null ones skipped), all of them even when one fails;
// resolves to their exit codes, or rejects with every failure.
export async function stopServers(servers) {
  const rs = await Promise.allSettled(servers.filter(Boolean).map((s) => s.stop()));
  const errors = rs.filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map((e) => e.message).join('\n'));
  return rs.map((r) => r.value);
}

// The daemons a test file left running are stopped when its tests end, before
// the file's own after hooks (killed if the process exits first), so that no
// daemon outlives its file. Errors are left to the file's own stop() calls,
// which get the same answer: a failing hook here would skip those hooks.
// Then the temporary folders go.
nodeTest.after(async () => {
  await stopServers([...running]).catch(() => {});
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}, { timeout: STOP_TIMEOUT_MS + 5000 });
process.on('exit', () => { for (const s of running) s.proc.kill('SIGKILL'); });

// ---- shorthands that assert -------------------------------------------------------------

export const TENANT_ROLES = ['global_admin', 'billing_admin', 'license_admin', 'reader'];

// Create a tenant (as operator).
export async function newTenant(srv, { name = 'Test Org', segment = 'commercial', payment = 'invoice',
  credit_limit = 1000000, currency = 'EUR' } = {}) {
  const r = await srv.api('POST', '/v1/tenants', { body: { name, segment, payment, credit_limit, currency } });
  if (r.status !== 201) throw new Error(`tenant create: ${r.status} ${r.text}`);
  return r.json;
}

// A token of role for a tenant (as operator).
export async function tokenFor(srv, tenantId, role) {
  const r = await srv.api('POST', `/v1/tenants/${tenantId}/tokens`, { body: { role } });
  if (r.status !== 201) throw new Error(`token create: ${r.status} ${r.text}`);
  return r.json.token;
}

// A tenant (made with newTenant's options, or one given, e.g. a demo tenant)
// with a token of each tenant role: {...tenant, tok: {global_admin, ...}}.
export async function tenantWithTokens(srv, opts = {}, tenant = undefined) {
  const t = tenant || await newTenant(srv, opts);
  const tok = {};
  for (const role of TENANT_ROLES) tok[role] = await tokenFor(srv, t.id, role);
  return { ...t, tok };
}

// A support token, made with the CLI (the API makes none).
export function supportToken(srv) {
  const r = cli(['token', 'create', '--db', srv.db, '--role', 'support']);
  if (r.status !== 0) throw new Error(`support token: ${r.stderr}`);
  return r.stdout.trim();
}

// Set the manual clock of a daemon run with --clock manual.
export async function setClock(srv, now) {
  const r = await srv.api('POST', '/v1/clock', { body: { now } });
  assert.equal(r.status, 200, `case set clock ${now}: got ${r.status} ${r.text}, want 200`);
  assert.equal(r.json.now, now, `case set clock: got now ${r.json.now}, want ${now}`);
}

// Assert an error answer: status, error.code, a message, and error.field when given.
export function expectError(r, status, code, field, name) {
  assert.equal(r.status, status, `case ${name}: got status ${r.status} (${r.text}), want ${status}`);
  assert.ok(r.json && r.json.error, `case ${name}: got body ${r.text}, want {"error": {...}}`);
  assert.equal(r.json.error.code, code, `case ${name}: got code ${r.json.error.code}, want ${code}`);
  assert.ok(typeof r.json.error.message === 'string' && r.json.error.message.length > 0,
    `case ${name}: got message ${JSON.stringify(r.json.error.message)}, want a sentence`);
  if (field !== undefined) {
    assert.equal(r.json.error.field, field, `case ${name}: got field ${r.json.error.field}, want ${field}`);
  }
}
