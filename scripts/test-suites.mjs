#!/usr/bin/env node
// test-suites.mjs: the suites scripts/test runs, each with the number of tests
// it declares, so that a suite that dies before reporting counts every test
// it did not report as failed.
//   node scripts/test-suites.mjs unit BUILD   one line per meson test:
//       name <TAB> declared <TAB> command (shell-quoted, with its environment)
//   node scripts/test-suites.mjs node FILE... one line per file: file <TAB> declared
// A C suite declares the entries of its `struct CMUnitTest` arrays (cmocka_unit_test
// and the macros defined as one); a node file its top-level test( calls.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const CMOCKA = ['cmocka_unit_test', 'cmocka_unit_test_setup', 'cmocka_unit_test_teardown',
  'cmocka_unit_test_setup_teardown', 'cmocka_unit_test_prestate', 'cmocka_unit_test_prestate_setup_teardown'];

export function declaredC(src) {
  src = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const names = new Set(CMOCKA);
  for (const m of src.matchAll(/^\s*#\s*define\s+(\w+)\s*\([^)]*\)\s+cmocka_unit_test\w*\s*\(/gm)) names.add(m[1]);
  let n = 0;
  for (const a of src.matchAll(/struct\s+CMUnitTest\s+\w+\s*\[\s*\]\s*=\s*\{([\s\S]*?)\};/g)) {
    for (const m of a[1].matchAll(/\b(\w+)\s*\(/g)) if (names.has(m[1])) n++;
  }
  return n;
}

export function declaredNode(src) {
  return (src.match(/^test\(/gm) || []).length;
}

const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;

function introspect(build, what) {
  const r = spawnSync('meson', ['introspect', build, what], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`meson introspect ${what}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// The command line, when run (not when imported, as by the tests).
if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const [kind, ...rest] = process.argv.slice(2);
  if (kind === 'unit' && rest.length === 1) {
    const targets = new Map(introspect(rest[0], '--targets').map((t) => [t.id, t]));
    for (const t of introspect(rest[0], '--tests')) {
      const sources = (t.depends || []).flatMap((id) => (targets.get(id)?.target_sources || []).flatMap((s) => s.sources));
      const n = sources.filter((f) => f.endsWith('.c')).reduce((sum, f) => sum + declaredC(readFileSync(f, 'utf8')), 0);
      const env = Object.entries(t.env || {}).map(([k, v]) => q(`${k}=${v}`));
      const cwd = t.workdir ? `cd ${q(t.workdir)} && ` : '';
      console.log(`${t.name}\t${n}\t${cwd}env ${env.join(' ')} ${t.cmd.map(q).join(' ')}`);
    }
  } else if (kind === 'node' && rest.length > 0) {
    for (const f of rest) console.log(`${f}\t${declaredNode(readFileSync(f, 'utf8'))}`);
  } else {
    console.error('usage: node scripts/test-suites.mjs unit BUILD | node scripts/test-suites.mjs node FILE...');
    process.exit(2);
  }
}
