// 11-http-limits: body caps (Content-Length and chunked), numbers beyond int64,
// NUL in strings, HEAD, blank names and unknown currencies.
import assert from 'node:assert/strict';
import http from 'node:http';
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
