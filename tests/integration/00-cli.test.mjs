// 00-cli: the command line, before anything is served.
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, cli, tempDir, DEMO_CATALOG, ROOT } from './harness.mjs';

test('every command has --help on stdout with exit 0', () => {
  for (const args of [['--help'], ['init', '--help'], ['token', 'create', '--help'], ['serve', '--help'],
    ['catalog', 'validate', '--help'], ['routes', '--help']]) {
    const r = cli(args);
    assert.equal(r.status, 0, `case ${args.join(' ')}: got exit ${r.status}, want 0`);
    assert.match(r.stdout, /usage: planshift/, `case ${args.join(' ')}: no usage line in ${r.stdout}`);
  }
});

test('usage errors exit 2', () => {
  for (const args of [[], ['nope'], ['init'], ['serve'], ['token', 'create', '--db', 'x.db'],
    ['catalog'], ['serve', '--db', 'x.db', '--clock', 'sometimes'], ['init', '--db', 'x', '--bogus']]) {
    const r = cli(args);
    assert.equal(r.status, 2, `case ${JSON.stringify(args)}: got exit ${r.status}, want 2 (${r.stderr})`);
  }
});

test('catalog validate accepts the demo catalog', () => {
  const r = cli(['catalog', 'validate', DEMO_CATALOG]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /valid catalog: 9 services, 4 products, 13 plans/);
});

test('catalog validate lists every fault and exits 1', () => {
  const cat = JSON.parse(readFileSync(DEMO_CATALOG, 'utf8'));
  // Two faults at once: an unsafe declared path, and an unknown service.
  cat.plans.find((p) => p.id === 'ent-e3').upgrades_to = ['biz-basic'];
  cat.plans.find((p) => p.id === 'mail-p1').services.push('no-such-service');
  const dir = tempDir();
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify(cat));
  const r = cli(['catalog', 'validate', f]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ent-e3.*biz-basic.*not data-safe/);
  assert.match(r.stderr, /mail-p1.*no-such-service/);
});

test('catalog validate names a missing file', () => {
  const r = cli(['catalog', 'validate', '/nonexistent/catalog.json']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot open \/nonexistent\/catalog.json/);
});

test('init refuses a bad catalog and loads nothing', () => {
  const dir = tempDir();
  const f = join(dir, 'bad.json');
  writeFileSync(f, '{"services": [');
  const db = join(dir, 's.db');
  const r = cli(['init', '--db', db, '--catalog', f]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nothing was loaded/);
  const serve = cli(['serve', '--db', db, '--listen', '127.0.0.1:0'], { timeout: 5000 });
  assert.equal(serve.status, 1, 'serve without a catalog must refuse');
  assert.match(serve.stderr, /no catalog/);
});

test('serve refuses a store that was never initialised', () => {
  const dir = tempDir();
  const r = cli(['serve', '--db', join(dir, 'empty.db'), '--listen', '127.0.0.1:0'], { timeout: 5000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /planshift init/);
});

test('token create prints one token alone and refuses bad roles', () => {
  const dir = tempDir();
  const db = join(dir, 's.db');
  assert.equal(cli(['init', '--db', db, '--catalog', DEMO_CATALOG]).status, 0);
  const r = cli(['token', 'create', '--db', db, '--role', 'operator']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ps_[A-Za-z0-9_-]{43}\n$/);
  const bad = cli(['token', 'create', '--db', db, '--role', 'emperor']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /role must be one of/);
  const noTenant = cli(['token', 'create', '--db', db, '--role', 'reader']);
  assert.equal(noTenant.status, 1);
  assert.match(noTenant.stderr, /needs a tenant/);
  const ghost = cli(['token', 'create', '--db', db, '--role', 'reader', '--tenant', 'ten_99']);
  assert.equal(ghost.status, 1);
  // The secret is not in the store: only its hash.
  const dump = readFileSync(db).toString('latin1');
  assert.ok(!dump.includes(r.stdout.trim()), 'the token must be stored hashed, not in clear');
});

test('init --demo refuses a store that already has tenants', () => {
  const dir = tempDir();
  const db = join(dir, 's.db');
  assert.equal(cli(['init', '--db', db, '--demo']).status, 0);
  const again = cli(['init', '--db', db, '--demo']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already has tenants/);
});

test('routes lists every route, and doc/openapi.yaml documents each one', () => {
  const r = cli(['routes']);
  assert.equal(r.status, 0);
  const spec = readFileSync(join(ROOT, 'doc', 'openapi.yaml'), 'utf8');
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length >= 20);
  for (const line of lines) {
    const [method, path] = line.split(/\s+/);
    assert.ok(spec.includes(`  ${path}:`), `case ${path}: missing from doc/openapi.yaml`);
    const block = spec.slice(spec.indexOf(`  ${path}:`)).split(/\n  \//)[0];
    assert.ok(block.includes(`    ${method.toLowerCase()}:`), `case ${method} ${path}: method missing from doc/openapi.yaml`);
  }
});

// YAML's plain scalars (unquoted values) may not hold ": " nor " #": such a
// line makes the whole file unreadable to every OpenAPI tool.
test('doc/openapi.yaml: no plain value that YAML would refuse', () => {
  const spec = readFileSync(join(ROOT, 'doc', 'openapi.yaml'), 'utf8');
  const bad = [];
  let block = -1; // the indent of a key whose value is a block scalar (| or >)
  spec.split('\n').forEach((line, i) => {
    const indent = line.length - line.trimStart().length;
    if (block >= 0 && (line.trim() === '' || indent > block)) return;
    block = -1;
    const m = /^\s*(?:- )?[\w$.-]+: (.+)$/.exec(line);
    if (!m) return;
    if (/^[|>][-+]?\s*$/.test(m[1])) { block = indent; return; }
    if (/^["'[{&*!]/.test(m[1])) return;
    if (/: |:$| #/.test(m[1])) bad.push(`${i + 1}: ${line.trim()}`);
  });
  assert.deepEqual(bad, [], `case plain values YAML refuses (quote them):\n${bad.join('\n')}`);
});

test('--version prints meson project version', () => {
  const r = cli(['--version']);
  assert.equal(r.status, 0, r.stderr);
  const want = /version\s*:\s*'([^']+)'/.exec(readFileSync(join(ROOT, 'meson.build'), 'utf8'))[1];
  assert.equal(r.stdout, `planshift ${want}\n`);
});
