// 03-config: `serve --config FILE`: every serve flag as a `key = value` line,
// flags overriding the file, a wrong line refused with its line and key.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, cli, startServer, tempDir } from './harness.mjs';

function conf(text) {
  const f = join(tempDir(), 'planshift.conf');
  writeFileSync(f, text);
  return f;
}

test('the file\'s keys apply; the flags override them', async () => {
  const f = conf([
    '# planshift serve, for a test',
    '',
    'db = /nonexistent/overridden.db',
    'listen = 192.0.2.1:9',
    '  clock = manual   ',
    'upgrade-capacity = 7',
    'threads = "2"',
    'provisioning = manual',
    '',
  ].join('\n'));
  // startServer gives --db and --listen: they win over the file's.
  const srv = await startServer({ args: ['--config', f, '--provisioning', 'auto'] });
  try {
    const clock = await srv.api('GET', '/v1/clock');
    assert.equal(clock.status, 200, `case clock = manual from the file: got ${clock.status} ${clock.text}`);
    assert.match(srv.stdout, /clock manual, provisioning auto/, `case flags override: ${srv.stdout}`);
  } finally {
    await srv.stop();
  }
});

test('db from the file: serve runs on it (here: a store that cannot be opened, exit 1, not a usage error)', () => {
  const f = conf('db = /nonexistent/dir/store.db\nlisten = 127.0.0.1:0\n');
  const r = cli(['serve', '--config', f]);
  assert.equal(r.status, 1, `case db from the file: got exit ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, /nonexistent\/dir\/store\.db/);
});

test('a wrong line is refused with the file, line and key named (exit 2)', () => {
  const cases = [
    ['db = x.db\n\ncolour = blue\n', /planshift\.conf:3: unknown key "colour"/],
    ['db = x.db\nthreads = many\n', /planshift\.conf:2: threads must be from 1 to 256 \(got "many"\)/],
    ['# a comment\nclock = sometimes\n', /planshift\.conf:2: clock must be system or manual/],
    ['db x.db\n', /planshift\.conf:1: want `key = value`/],
    ['config = other.conf\n', /planshift\.conf:1: unknown key "config"/],
  ];
  for (const [text, want] of cases) {
    const r = cli(['serve', '--config', conf(text), '--db', 'x.db']);
    assert.equal(r.status, 2, `case ${JSON.stringify(text)}: got exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, want, `case ${JSON.stringify(text)}`);
  }
  const missing = cli(['serve', '--config', '/nonexistent/planshift.conf', '--db', 'x.db']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot open \/nonexistent\/planshift\.conf/);
});

test('a flag\'s bad value still names the flag', () => {
  const r = cli(['serve', '--db', 'x.db', '--threads', '0']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--threads must be from 1 to 256/);
});
