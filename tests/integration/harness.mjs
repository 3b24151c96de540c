// harness.mjs: start the real planshift binary on 127.0.0.1 with a temporary
// store, and talk to it over HTTP. Used by every integration test. The store
// is a SQLite file, or with PS_TEST_DB_URL (a PostgreSQL URL whose database
// is "planshift", as scripts/pg prints) a database of its own on that server.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.PLANSHIFT_BIN || join(ROOT, 'build', 'planshift');
export const DEMO_CATALOG = join(ROOT, 'data', 'demo-catalog.json');
export const PG_URL = process.env.PS_TEST_DB_URL || '';

let pgStores = 0;

// A new database on the PS_TEST_DB_URL server; returns its URL.
function pgStore() {
  const name = `ps_${process.pid}_${++pgStores}`;
  const r = spawnSync('psql', [PG_URL, '-XAtq', '-c', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.stderr}`);
  return PG_URL.replace(/\/planshift(\?|$)/, `/${name}$1`);
}

function dropStore(db) {
  if (!db.includes('://')) return;
  const name = db.replace(/^[a-z]+:\/\/[^/]*\//, '').split('?')[0];
  spawnSync('psql', [PG_URL, '-XAtq', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
}

// Run SQL against a store by hand (sqlite3 or psql); returns the output trimmed.
export function storeSql(db, q) {
  const r = db.includes('://')
    ? spawnSync('psql', [db, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8' })
    : spawnSync('sqlite3', ['-batch', '-noheader', db, q], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${db.includes('://') ? 'psql' : 'sqlite3'}: ${r.stderr}`);
  return r.stdout.trim();
}

// Run the CLI; returns {status, stdout, stderr}.
export function cli(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60000, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'planshift-test-'));
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

// Start `planshift serve` on a free port. Returns a server object with
// url, db, operator, tenants, api(), stop().
export async function startServer({ demo = false, args = [], store } = {}) {
  const s = store || makeStore({ demo });
  const proc = spawn(BIN, ['serve', '--db', s.db, '--listen', '127.0.0.1:0', '--threads', '4', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /serving (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}: ${stderr}`)); });
  });
  proc.removeAllListeners('exit');
  const server = {
    ...s, url, proc,
    get stderr() { return stderr; },
    async api(method, path, { token = s.operator, body, raw, headers = {} } = {}) {
      const h = { ...headers };
      if (token) h.Authorization = `Bearer ${token}`;
      let payload;
      if (raw !== undefined) payload = raw;
      else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
      const res = await fetch(url + path, { method, headers: h, body: payload });
      const text = await res.text();
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return { status: res.status, json, text, headers: res.headers };
    },
    // Stop with SIGTERM and wait; resolves to the exit code (sanitizer
    // reports at exit make it non-zero).
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const done = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig)));
      proc.kill('SIGTERM');
      const code = await done;
      rmSync(s.dir, { recursive: true, force: true });
      dropStore(s.db);
      return code;
    },
  };
  return server;
}

// Shorthands that assert: create a tenant (as operator) and a token for it.
export async function newTenant(srv, { name = 'Test Org', segment = 'commercial', payment = 'invoice',
  credit_limit = 1000000, currency = 'EUR' } = {}) {
  const r = await srv.api('POST', '/v1/tenants', { body: { name, segment, payment, credit_limit, currency } });
  if (r.status !== 201) throw new Error(`tenant create: ${r.status} ${r.text}`);
  return r.json;
}

export async function tokenFor(srv, tenantId, role) {
  const r = await srv.api('POST', `/v1/tenants/${tenantId}/tokens`, { body: { role } });
  if (r.status !== 201) throw new Error(`token create: ${r.status} ${r.text}`);
  return r.json.token;
}
