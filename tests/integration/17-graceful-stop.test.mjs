// 17-graceful-stop: SIGTERM stops accepting connections, answers every
// request in flight, closes the store and exits 0: no acknowledged request
// is lost.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test, startServer, makeStore, removeStore, storeSql, until, within } from './harness.mjs';

// A POST whose headers (with Expect: 100-continue) are sent now and its body
// later: `continued` resolves when the daemon has taken the request (its
// 100 Continue), `finish()` sends the body and resolves to the answer.
function slowPost(url, path, token, body) {
  const { hostname, port } = new URL(url);
  const payload = Buffer.from(JSON.stringify(body));
  const sock = connect(Number(port), hostname);
  let got = '';
  let onData = () => {};
  sock.on('data', (d) => { got += d; onData(); });
  const closed = new Promise((resolve) => sock.on('close', resolve));
  sock.on('error', () => {});
  sock.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\nExpect: 100-continue\r\n\r\n`);
  const continued = new Promise((resolve) => { onData = () => { if (/^HTTP\/1\.1 100/.test(got)) resolve(); }; onData(); });
  const finish = async () => {
    got = '';
    sock.write(payload);
    const answer = new Promise((resolve) => {
      onData = () => {
        const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n([^]*)$/.exec(got);
        const len = /content-length: (\d+)/i.exec(got);
        if (m && len && Buffer.byteLength(m[2]) >= Number(len[1])) resolve({ status: Number(m[1]), text: m[2] });
      };
      onData();
    });
    const r = await Promise.race([answer, closed.then(() => ({ status: 0, text: got }))]);
    sock.destroy();
    return r;
  };
  return { continued, finish };
}

// Resolves to true once a new connection to url is refused.
function refused(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    s.on('connect', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
}

test('SIGTERM with requests in flight: no new connection, each one answered and kept, exit 0', async () => {
  const store = makeStore();
  try {
    const srv = await startServer({ store });
    const names = ['Drain A', 'Drain B', 'Drain C', 'Drain D', 'Drain E'];
    const posts = names.map((name) => slowPost(srv.url, '/v1/tenants', srv.operator,
      { name, segment: 'commercial', payment: 'invoice', credit_limit: 100000, currency: 'EUR' }));
    await within(Promise.all(posts.map((p) => p.continued)), 10000, 'every request taken (100 Continue)');
    // Requests sent whole at the same moment, answered or not before the stop.
    const quick = Array.from({ length: 10 }, (_, i) => srv.api('POST', '/v1/tenants',
      { body: { name: `Quick ${i}`, segment: 'commercial', payment: 'invoice', credit_limit: 1, currency: 'EUR' } })
      .catch((e) => ({ status: 0, text: String(e) })));
    const exited = srv.kill('SIGTERM');
    await until(() => refused(srv.url), 10000, 'new connections refused after SIGTERM');
    const answers = await Promise.all(posts.map((p) => p.finish()));
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 201, `case ${names[i]}: got ${a.status} ${a.text}, want 201 after SIGTERM`);
    }
    const q = await Promise.all(quick);
    assert.equal(await exited, 0, `case exit: want 0; stderr:\n${srv.stderr}`);
    const kept = storeSql(store.db, 'SELECT name FROM tenants ORDER BY id').split('\n');
    for (const name of names) assert.ok(kept.includes(name), `case ${name}: answered 201 but not in the store`);
    for (const [i, a] of q.entries()) {
      if (a.status === 201) assert.ok(kept.includes(`Quick ${i}`), `case Quick ${i}: answered 201 but not in the store`);
    }
    assert.match(srv.stderr, /stopping/, 'case the stop is logged');
  } finally {
    removeStore(store);
  }
});
