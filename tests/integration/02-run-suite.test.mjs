// 02-run-suite: how scripts/test counts a suite (scripts/run-suite and
// scripts/test-suites.mjs): a suite that crashes fails every test it did not
// report, a suite that hangs is stopped and says so, a skipped test fails, a
// plan counts when it says more than the source, and the tests a source
// declares are counted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test, after, tempDir, ROOT } from './harness.mjs';
import { declaredC, declaredNode } from '../../scripts/test-suites.mjs';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

// Run one suite through scripts/run-suite; returns {lines, p, f, ms}.
function runSuite(name, declared, limit, ...cmd) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // a node suite runs as scripts/test runs it, not as a child of this runner
  const t0 = Date.now();
  const r = spawnSync(join(ROOT, 'scripts', 'run-suite'), [name, String(declared), join(dir, `${name}.log`), String(limit), ...cmd],
    { encoding: 'utf8', timeout: 60000, env });
  assert.equal(r.status, 0, `case ${name}: run-suite exit ${r.status} ${r.error || ''} ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const [p, f] = lines.at(-1).split(' ').map(Number);
  return { lines, p, f, ms: Date.now() - t0, out: r.stdout };
}

function nodeFile(name, body) {
  const f = join(dir, name);
  writeFileSync(f, `import { test } from 'node:test';\n${body}\n`);
  return f;
}
const node = (file) => [process.execPath, '--test', '--test-force-exit', '--test-reporter=tap', file];

test('a suite that passes: its count, and no line about it', () => {
  const r = runSuite('pass', 2, 60, ...node(nodeFile('pass.mjs', "test('a', () => {});\ntest('b', () => {});")));
  assert.deepEqual([r.p, r.f], [2, 0], `case passing suite: got ${r.out}`);
  assert.equal(r.lines.length, 1, `case passing suite: got ${r.out}, want the count alone`);
});

test('a node suite that crashes in its second of three tests: all three failed', () => {
  const r = runSuite('crash', 3, 60, ...node(nodeFile('crash.mjs',
    "test('a', () => {});\ntest('b', () => { process.kill(process.pid, 'SIGSEGV'); });\ntest('c', () => {});")));
  assert.equal(r.p + r.f, 3, `case crash: got ${r.p} passed ${r.f} failed, want 3 in all`);
  assert.ok(r.f >= 2, `case crash: got ${r.f} failed, want the crashed test and the one never run`);
  assert.match(r.out, /^suite crash: stopped \(exit \d+\) after reporting \d of 3 tests: \d counted as failed$/m, r.out);
});

test('a C suite that crashes after its plan and one test: the rest of the plan failed', () => {
  const r = runSuite('cmocka', 0, 60, 'bash', '-c', "printf '1..5\\nok 1 - t1\\nok 2 - t2\\n'; kill -SEGV $$");
  assert.deepEqual([r.p, r.f], [2, 3], `case crash after the plan: got ${r.out}`);
  assert.match(r.out, /^suite cmocka: stopped \(exit 139\) after reporting 2 of 5 tests: 3 counted as failed$/m, r.out);
});

test('a skipped test checked nothing: it counts as failed and the suite says so', () => {
  const r = runSuite('skips', 3, 60, ...node(nodeFile('skips.mjs',
    "test('a', () => {});\ntest('b', { skip: 'not here' }, () => {});\ntest('c', { todo: true }, () => {});")));
  assert.deepEqual([r.p, r.f], [1, 2], `case skip and todo: got ${r.out}`);
  assert.match(r.out, /^suite skips: 2 skipped: counted as failed$/m, r.out);
});

test('a suite that dies before printing anything: every declared test failed', () => {
  const r = runSuite('silent', 7, 60, 'bash', '-c', 'exit 3');
  assert.deepEqual([r.p, r.f], [0, 7], `case silent crash: got ${r.out}`);
});

test('a suite that fails without saying which test: one failure', () => {
  const r = runSuite('quiet', 1, 60, 'bash', '-c', "printf '1..1\\nok 1 - t\\n'; exit 1");
  assert.deepEqual([r.p, r.f], [1, 1], `case exit 1 with all ok: got ${r.out}`);
  assert.match(r.out, /^suite quiet: exit 1 with no failing test reported: counted as 1 failed$/m, r.out);
});

test('a suite that hangs is stopped at its bound and says so; the tests it did not report failed', () => {
  const r = runSuite('hang', 3, 2, ...node(nodeFile('hang.mjs',
    "test('a', () => {});\ntest('b', () => new Promise(() => { setInterval(() => {}, 1000); }));\ntest('c', () => {});")));
  assert.match(r.out, /^suite hang: timed out after 2 s \(/m, `case hang: got ${r.out}`);
  assert.ok(r.f >= 2 && r.p + r.f === 3, `case hang: got ${r.p} passed ${r.f} failed, want 3 in all, 2 or 3 failed`);
  assert.ok(r.ms < 15000, `case hang: took ${r.ms} ms, want about 2 s`);
});

test('test-suites.mjs counts the tests a node file and a C suite declare', () => {
  const js = nodeFile('count.test.mjs', "test('a', () => {});\ntest('b', { timeout: 5 }, () => {});\n// test('c')\n  t.test('nested', () => {});");
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test-suites.mjs'), 'node', js], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), `${js}\t2`, `case node file: got ${r.stdout} ${r.stderr}`);
  const c = `
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
static const struct CMUnitTest a[] = {
\tT(t_one), T(t_two),
\t/* T(t_commented_out), */
\tcmocka_unit_test(t_three),
};
int main(void) {
\tconst struct CMUnitTest b[] = { cmocka_unit_test_setup(t_four, s), };
\tcall_something(a);
\treturn cmocka_run_group_tests(a, NULL, NULL) + cmocka_run_group_tests(b, NULL, NULL);
}`;
  assert.equal(declaredC(c), 4, `case C source: got ${declaredC(c)}, want 4`);
  assert.equal(declaredNode("test('x', () => {});\ntest('y', () => {});\n"), 2);
});
