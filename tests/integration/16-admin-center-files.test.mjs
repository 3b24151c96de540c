// 16-admin-center-files: where `serve` finds the admin center's files. The
// binary is copied into the layout `meson install` makes (PREFIX/bin and
// PREFIX/share/planshift/web) and elsewhere, so that no path of the build
// machine can be what serves them; PLANSHIFT_WEB_DIR and --web-dir override.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, FETCH_TIMEOUT_MS, ROOT, after, before, makeStore, removeStore, startServer, tempDir, test } from './harness.mjs';

let store;
let dir;

before(() => {
  store = makeStore();
  dir = tempDir();
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
  removeStore(store);
});

// A copy of the binary at PREFIX/bin/planshift; with web, the source tree's
// web/ copied to PREFIX/share/planshift/web as `meson install` puts it.
function install(name, { web }) {
  const prefix = join(dir, name);
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  copyFileSync(BIN, join(prefix, 'bin', 'planshift'));
  if (web) cpSync(join(ROOT, 'web'), join(prefix, 'share', 'planshift', 'web'), { recursive: true });
  return join(prefix, 'bin', 'planshift');
}

// Run `serve` from bin (PLANSHIFT_WEB_DIR unset unless env sets it) until
// it says where it listens; calls fn(url), stops it.
async function serving(bin, { args = [], env = {} }, fn) {
  const srv = await startServer({ bin, store, args, env: { PLANSHIFT_WEB_DIR: undefined, ...env } });
  try {
    await fn(srv.url);
  } finally {
    await srv.stop();
  }
}

async function get(url, path) {
  const res = await fetch(url + path, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  return { status: res.status, text: await res.text() };
}

test('an installed binary serves PREFIX/share/planshift/web', async () => {
  const bin = install('installed', { web: true });
  await serving(bin, {}, async (url) => {
    const index = await get(url, '/');
    assert.equal(index.status, 200, `case GET /: got ${index.status} ${index.text.slice(0, 200)}, want 200`);
    assert.equal(index.text, readFileSync(join(ROOT, 'web', 'index.html'), 'utf8'), 'case GET /: got another page, want web/index.html');
    const css = await get(url, '/assets/css/app.css');
    assert.equal(css.status, 200, `case GET /assets/css/app.css: got ${css.status}, want 200`);
  });
});

test('a binary with no files beside it serves none: / is 404, the API answers', async () => {
  const bin = install('bare', { web: false });
  await serving(bin, {}, async (url) => {
    const index = await get(url, '/');
    assert.equal(index.status, 404, `case GET /: got ${index.status}, want 404`);
    const h = await get(url, '/healthz');
    assert.equal(h.status, 200, `case GET /healthz: got ${h.status}, want 200`);
  });
});

test('PLANSHIFT_WEB_DIR, then --web-dir, choose the files', async () => {
  const bin = install('chosen', { web: true });
  for (const name of ['env', 'flag']) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.html'), `<p>${name}</p>\n`);
  }
  await serving(bin, { env: { PLANSHIFT_WEB_DIR: join(dir, 'env') } }, async (url) => {
    const index = await get(url, '/');
    assert.equal(index.text, '<p>env</p>\n', `case PLANSHIFT_WEB_DIR: got ${index.status} ${index.text.slice(0, 80)}, want its index.html`);
  });
  await serving(bin, { env: { PLANSHIFT_WEB_DIR: join(dir, 'env') }, args: ['--web-dir', join(dir, 'flag')] },
    async (url) => {
      const index = await get(url, '/');
      assert.equal(index.text, '<p>flag</p>\n', `case --web-dir: got ${index.status} ${index.text.slice(0, 80)}, want its index.html`);
    });
});
