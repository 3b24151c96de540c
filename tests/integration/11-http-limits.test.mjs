// 11-http-limits: body caps (Content-Length and chunked), numbers beyond int64,
// NUL in strings, HEAD, blank names and unknown currencies; every request
// the HTTP library refuses by itself answered in the JSON error shape, on a
// new connection and as a kept-alive connection's next request.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test, before, after, startServer, newTenant, tokenFor } from './harness.mjs';

let srv, tenant, billing;
before(async () => {
  srv = await startServer();
  tenant = await newTenant(srv, { name: 'Bug Org' });
  billing = await tokenFor(srv, tenant.id, 'billing_admin');
});
after(async () => { if (srv) assert.equal(await srv.stop(), 0, 'case daemon exit: got non-zero, want 0'); });

// A request written chunk by chunk. The daemon may answer and close before
// the body is all sent: the write then fails, and the answer, when one came,
// is still read to its end. Status 0 when the connection closed without one.
function rawRequest(method, path, { headers = {}, chunks = [] } = {}) {
  const u = new URL(srv.url + path);
  return new Promise((resolve) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, headers });
    let answered = false;
    let error = 'the connection closed without an answer';
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      // 'close' follows 'end', or comes alone when the connection breaks mid-answer.
      res.on('close', () => { let json; try { json = JSON.parse(text); } catch {}
        resolve({ status: res.statusCode, text, json }); });
    });
    req.on('error', (e) => { error = String(e); });
    // 'close' comes after 'error' and after any answer the socket still held.
    req.on('close', () => { if (!answered) resolve({ status: 0, text: error }); });
    (async () => { for (const c of chunks) { if (!req.write(c)) await new Promise((r) => req.once('drain', r)); } req.end(); })().catch(() => {});
  });
}

const MiB = 1 << 20;
const prefix = '{"name":"';
const suffix = '","payment":"invoice","currency":"EUR"}';
const body = (n) => prefix + 'x'.repeat(n - prefix.length - suffix.length) + suffix;

test('Content-Length of 1 MiB + 1 gets 413 payload_too_large', async () => {
  const big = body(MiB + 1);
  const r = await rawRequest('POST', '/v1/tenants', { headers: { Authorization: `Bearer ${srv.operator}`,
    'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(big)) }, chunks: [big] });
  assert.equal(r.status, 413, `case content-length 1 MiB + 1: got ${r.status} ${r.text}, want 413`);
  assert.equal(r.json?.error?.code, 'payload_too_large');
});

test('Content-Length over 1 MiB with Expect: 100-continue is refused before the body is sent', async () => {
  const u = new URL(srv.url + '/v1/tenants');
  const r = await new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      headers: { Authorization: `Bearer ${srv.operator}`, 'Content-Type': 'application/json',
        'Content-Length': String(MiB + 1), Expect: '100-continue' } });
    let continued = false;
    req.on('continue', () => { continued = true; req.destroy(); });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text, continued }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.equal(r.continued, false, 'case expect: got 100 Continue, want an answer before the body');
  assert.equal(r.status, 413, `case expect: got ${r.status} ${r.text}, want 413`);
});

test('a chunked body over 1 MiB gets 413 payload_too_large', async () => {
  const chunks = [prefix]; for (let i = 0; i < 20; i++) chunks.push('x'.repeat(128 * 1024)); chunks.push(suffix);
  const r = await rawRequest('POST', '/v1/tenants', { headers: { Authorization: `Bearer ${srv.operator}`,
    'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, chunks });
  assert.equal(r.status, 413, `case chunked 2.5 MiB: got ${r.status} ${r.text}, want 413`);
  assert.equal(r.json?.error?.code, 'payload_too_large');
});

test('a quantity beyond int64 is invalid_field quantity, not invalid_json', async () => {
  const r = await srv.api('POST', `/v1/tenants/${tenant.id}/subscriptions`, { token: billing,
    raw: '{"plan":"biz-basic","quantity":99999999999999999999}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_field', `case quantity 1e20 as integer: got ${r.text}, want invalid_field quantity`);
  assert.equal(r.json.error.field, 'quantity');
});

test('a NUL character in a string field is invalid_field naming it, not invalid_json', async () => {
  const r = await srv.api('POST', '/v1/service-health/incidents', { body: { service: 'mail-1', title: 'a\u0000b' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_field', `case title with NUL: got ${r.text}, want invalid_field title`);
  assert.equal(r.json.error.field, 'title');
});

test('HEAD is answered wherever GET is', async () => {
  const r = await srv.api('HEAD', '/healthz', { token: null });
  assert.equal(r.status, 200, `case HEAD /healthz: got ${r.status}, want 200`);
});

test('a tenant name of only spaces and a currency no one uses are refused', async () => {
  const a = await srv.api('POST', '/v1/tenants', { body: { name: '   ', payment: 'card', currency: 'EUR' } });
  assert.equal(a.status, 400, `case blank name: got ${a.status} ${a.text}, want 400 invalid_field name`);
  const b = await srv.api('POST', '/v1/tenants', { body: { name: 'X', payment: 'card', currency: 'XYZ' } });
  assert.equal(b.status, 400, `case currency XYZ: got ${b.status} ${b.text}, want 400 invalid_field currency`);
});

// Requests libmicrohttpd refuses before the application sees them (its
// connection.c), and two it would read wrongly (src/http/server.c): each must
// be the JSON error shape with the right status and `Connection: close`.
const HEAD = 'Host: x\r\n';
const refusals = [
  { name: 'Content-Length not a number', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Content-Length: abc\r\n\r\n`,
    status: 400, code: 'invalid_field', field: 'Content-Length' },
  { name: 'Content-Length negative', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Content-Length: -5\r\n\r\n`,
    status: 400, code: 'invalid_field', field: 'Content-Length' },
  { name: 'two different Content-Length', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    status: 400, code: 'invalid_field', field: 'Content-Length' },
  { name: 'Content-Length beyond 64 bits', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Content-Length: 99999999999999999999999\r\n\r\n`,
    status: 413, code: 'payload_too_large', field: 'Content-Length' },
  { name: 'chunk size not hexadecimal', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    status: 400, code: 'bad_request', field: 'Transfer-Encoding' },
  { name: 'chunk without its line end', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n2\r\n{}XY0\r\n\r\n`,
    status: 400, code: 'bad_request', field: 'Transfer-Encoding' },
  { name: 'chunk size beyond 64 bits', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n`,
    status: 413, code: 'payload_too_large', field: 'Transfer-Encoding' },
  { name: 'Content-Length beside chunked (request smuggling)', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    status: 400, code: 'invalid_field', field: 'Content-Length' },
  { name: 'Transfer-Encoding gzip', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Transfer-Encoding: gzip\r\n\r\n`,
    status: 400, code: 'invalid_field', field: 'Transfer-Encoding' },
  { name: 'Transfer-Encoding identity without a length', req: `POST /v1/tenants HTTP/1.1\r\n${HEAD}Transfer-Encoding: identity\r\n\r\n{}`,
    status: 400, code: 'invalid_field', field: 'Transfer-Encoding' },
  { name: 'request line of 64 KiB (414)', req: `GET /${'a'.repeat(64 * 1024)} HTTP/1.1\r\n${HEAD}\r\n`,
    status: 414, code: 'uri_too_long' },
  { name: 'headers of 64 KiB (431)', req: `GET /healthz HTTP/1.1\r\n${HEAD}${'X-Pad: '.concat('b'.repeat(1000), '\r\n').repeat(64)}\r\n`,
    status: 431, code: 'headers_too_large' },
  { name: 'HTTP/2.0', req: `GET /healthz HTTP/2.0\r\n${HEAD}\r\n`, status: 505, code: 'http_version_not_supported' },
  { name: 'HTTP/0.9', req: `GET /healthz HTTP/0.9\r\n${HEAD}\r\n`, status: 505, code: 'http_version_not_supported' },
  { name: 'version not HTTP/d.d', req: `GET /healthz HTTX/1.1\r\n${HEAD}\r\n`, status: 400, code: 'bad_request' },
  { name: 'request line without a version', req: `GET /healthz\r\n${HEAD}\r\n`, status: 400, code: 'bad_request' },
  { name: 'header line without a colon', req: `GET /healthz HTTP/1.1\r\n${HEAD}NoColonHere\r\n\r\n`, status: 400, code: 'bad_request' },
];

// Send `first` (when given) and read its whole answer, then `bad`; read
// until the daemon closes. Returns the last answer parsed.
function rawExchange(first, bad) {
  const u = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    let buf = Buffer.alloc(0);
    let stage = first ? 'first' : 'bad';
    let firstAnswer = null;
    sock.on('connect', () => sock.write(first || bad));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (stage !== 'first') return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      firstAnswer = head.split('\r\n')[0];
      buf = buf.subarray(end + 4 + len);
      stage = 'bad';
      sock.write(bad);
    });
    sock.on('error', (e) => { if (stage === 'first') reject(e); });
    sock.on('close', () => {
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const headers = Object.fromEntries(head.split('\r\n').slice(1).map((l) => {
        const i = l.indexOf(':'); return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
      }));
      let json; try { json = JSON.parse(text.slice(end + 4)); } catch {}
      resolve({ firstAnswer, status: Number(/^HTTP\/1\.\d (\d+)/.exec(head)?.[1] ?? 0), headers, text, json });
    });
  });
}

for (const c of refusals) {
  for (const followUp of [false, true]) {
    const where = followUp ? 'as the next request of a kept-alive connection' : 'as a connection\'s first request';
    test(`${c.name} ${where}: ${c.status} ${c.code} in JSON, connection closed`, async () => {
      const r = await rawExchange(followUp ? `GET /healthz HTTP/1.1\r\n${HEAD}\r\n` : null, c.req);
      const name = `case ${c.name} (${followUp ? 'follow-up' : 'first'})`;
      if (followUp) assert.equal(r.firstAnswer, 'HTTP/1.1 200 OK', `${name}: the good request before got ${r.firstAnswer}`);
      assert.equal(r.status, c.status, `${name}: got ${r.status} ${r.text.slice(0, 300)}, want ${c.status}`);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/, `${name}: got Content-Type ${r.headers['content-type']}`);
      assert.equal(r.json?.error?.code, c.code, `${name}: got body ${JSON.stringify(r.text.slice(0, 600))}, want code ${c.code}`);
      assert.equal(typeof r.json.error.message, 'string');
      assert.equal(r.json.error.field, c.field, `${name}: got field ${r.json.error.field}, want ${c.field}`);
      assert.match(r.headers.connection ?? '', /close/i, `${name}: got Connection ${r.headers.connection}, want close`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', `${name}: the headers of every answer are missing`);
    });
  }
}

// A line the library cannot even split into method and path: it closes the
// connection without an answer (connection.c's parse_initial_message_line
// returns before any response is made), never an HTML one.
test('a request line without a space: the connection is closed with no answer, not HTML', async () => {
  for (const followUp of [false, true]) {
    const r = await rawExchange(followUp ? `GET /healthz HTTP/1.1\r\n${HEAD}\r\n` : null, 'GARBAGE\r\n\r\n');
    assert.equal(r.text, '', `case no space (${followUp ? 'follow-up' : 'first'}): got ${r.text.slice(0, 200)}, want no answer`);
  }
});
