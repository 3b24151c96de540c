// 01-harness: the harness itself, before any test relies on it: a daemon
// that cannot start is reported at once and leaves nothing running, even
// when started with others; a daemon that dies of a signal makes stop()
// fail instead of hanging; a daemon that stops answering fails the request
// (and stop() kills it); a test that never ends fails under its own name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test, after, startServer, startServers, stopServers, runningServers, within, ROOT } from './harness.mjs';

// The planshift processes this test process started and are still alive.
function livePlanshiftChildren() {
  const r = spawnSync('ps', ['-o', 'pid=,stat=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => / planshift serve /.test(` ${l.replace(/\S*\/planshift /, 'planshift ')}`)
    && !/^\s*\d+\s+Z/.test(l));
}

let left = [];
after(async () => { await stopServers(left); });

test('a daemon started with a bad option is reported at once, with its exit status and stderr', async () => {
  const t0 = Date.now();
  const e = await within(startServer({ args: ['--no-such-option'] }).then(() => null, (x) => x), 10000, 'startServer');
  assert.ok(e instanceof Error, `case bad option: got ${e}, want a rejection`);
  assert.match(e.message, /exited \(status 2\) before serving/, `case bad option message: got ${e.message}`);
  assert.match(e.message, /no-such-option|usage/, `case bad option stderr in message: got ${e.message}`);
  assert.ok(Date.now() - t0 < 10000, `case bad option: reported after ${Date.now() - t0} ms`);
  assert.deepEqual(runningServers(), [], 'case bad option: the harness still counts a daemon running');
  assert.deepEqual(livePlanshiftChildren(), [], 'case bad option: a planshift process is left');
});

test('a daemon that fails to start stops the others started with it', async () => {
  const e = await startServers([{}, { args: ['--threads', 'many'] }, {}]).then(() => null, (x) => x);
  assert.ok(e instanceof Error, `case one of three fails: got ${e}, want a rejection`);
  assert.match(e.message, /--threads many/, `case one of three fails: the error names another daemon: ${e.message}`);
  assert.deepEqual(runningServers(), [], 'case one of three fails: daemons still counted running');
  assert.deepEqual(livePlanshiftChildren(), [], 'case one of three fails: orphans left running');
});

test('a daemon that dies of a signal makes stop() fail, promptly, naming the signal', async () => {
  for (const sig of ['SIGSEGV', 'SIGKILL', 'SIGABRT']) {
    const srv = await startServer();
    left.push(srv);
    assert.equal((await srv.api('GET', '/healthz', { token: null })).status, 200, `case ${sig}: healthz before`);
    const ended = new Promise((resolve) => srv.proc.once('exit', resolve));
    srv.proc.kill(sig);
    await within(ended, 10000, `the daemon ending of ${sig}`);
    const e = await within(srv.stop().then(() => null, (x) => x), 10000, `stop() after ${sig}`);
    assert.ok(e instanceof Error, `case ${sig}: stop() resolved ${e}, want a rejection`);
    // Under AddressSanitizer a SIGSEGV is caught, reported, and ends in exit status 1.
    assert.match(e.message, new RegExp(`(died of ${sig}|exited on its own \\(status [1-9]\\d*\\)) while serving ${srv.url}`),
      `case ${sig}: got ${e.message}`);
    // The same answer again, at once.
    await assert.rejects(within(srv.stop(), 1000, 'second stop()'), /died of|exited on its own/, `case ${sig}: second stop()`);
  }
  left = [];
});

test('a signal sent on purpose with kill() is not an error; a clean stop() resolves to the exit status', async () => {
  const a = await startServer();
  assert.equal(await a.kill('SIGKILL'), 'SIGKILL', 'case kill(): want the signal back');
  assert.equal(await a.stop(), 'SIGKILL', 'case stop() after kill(): want the same answer, no error');
  const b = await startServer();
  assert.equal(livePlanshiftChildren().length, 1, 'case a running daemon: want it seen among the live processes');
  assert.equal(await b.stop(), 0, `case clean stop: stderr ${b.stderr}`);
  assert.deepEqual(livePlanshiftChildren(), [], 'case clean stop: the daemon is still there');
});

test('a daemon that stops answering: the request fails naming what it waited for; stop() kills it', async () => {
  const srv = await startServer();
  left.push(srv);
  srv.proc.kill('SIGSTOP'); // alive, silent, deaf to SIGTERM
  const t0 = Date.now();
  await assert.rejects(srv.api('GET', '/healthz', { token: null, timeout: 300 }),
    new RegExp(`GET /healthz: no whole answer from ${srv.url} within 300 ms`));
  assert.ok(Date.now() - t0 < 5000, `case fetch timeout: took ${Date.now() - t0} ms`);
  await assert.rejects(within(srv.stop({ timeout: 500 }), 5000, 'stop() of a stopped daemon'),
    /did not exit within 500 ms of SIGTERM: killed/);
  assert.deepEqual(livePlanshiftChildren(), [], 'case SIGSTOP: the daemon is still there');
  left = [];
});

test('a test that never ends fails with a timeout under its own name; the next test still runs', () => {
  // A test runner of its own (not a child of this one), as scripts/test runs a file.
  const env = { ...process.env, PS_TEST_TIMEOUT_MS: '300' };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', '--test-force-exit', '--test-reporter=tap',
    join(ROOT, 'tests', 'integration', 'fixtures', 'hanging.mjs')], { encoding: 'utf8', timeout: 30000, env });
  assert.equal(r.error, undefined, `case hanging file: ${r.error}`);
  assert.notEqual(r.status, 0, 'case hanging file: want a failing exit status');
  assert.match(r.stdout, /^not ok 1 - this test never ends$/m, `case hanging test: got\n${r.stdout}`);
  assert.match(r.stdout, /test timed out after 300ms/, `case timeout message: got\n${r.stdout}`);
  assert.match(r.stdout, /^ok 2 - this test passes$/m, `case next test: got\n${r.stdout}`);
});
