// The provider's Webhooks page: the operator adds an endpoint (its secret
// shown once, never listed), sees a refused URL named on its field,
// disables and enables it, makes a new secret after a confirmation, opens
// its deliveries (a receiver that refuses connections: the attempt, its
// error and its next time), deletes it after a confirmation; French; support
// staff, whom the API refuses webhooks, get neither link nor page.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test, browserSuite, newPage, signIn, shot, settled } from './helpers.mjs';
import { supportToken, until } from '../integration/harness.mjs';

let srv;
let browser;

browserSuite({ demo: true, args: ['--jobs-interval', '30ms'] }, (s, b) => { [srv, browser] = [s, b]; });

// A local port nothing listens on: every delivery to it is refused.
async function closedPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('operator: add (secret once), a refused URL, disable and enable, new secret, deliveries, delete', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, srv.operator);
  await page.locator('#nav').getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  await settled(page);

  await page.getByLabel('URL', { exact: true }).fill('ftp://nowhere.example/x');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const fieldError = page.locator('#wh-url ~ .field-error');
  await fieldError.waitFor();
  assert.match(await fieldError.textContent(), /http or https/);

  const url = `http://127.0.0.1:${await closedPort()}/hook`;
  await page.getByLabel('URL', { exact: true }).fill(url);
  await page.getByLabel('Event types').fill('tenant.created, user.created');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.locator('#secret-shown').waitFor();
  const secret = await page.locator('#new-secret').inputValue();
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  const row = page.locator('#webhooks-table tr', { hasText: url });
  await row.waitFor();
  assert.match(await row.textContent(), /tenant\.created, user\.created.*Every tenant.*Enabled/);
  assert.ok(!(await page.locator('#webhooks-table').textContent()).includes(secret), 'case the list shows the secret');
  await shot(page, 'webhooks-added');

  await row.getByRole('button', { name: `Disable ${url}` }).click();
  await page.locator('#webhooks-table tr', { hasText: url }).getByText('Disabled').waitFor();
  await page.locator('#webhooks-table tr', { hasText: url }).getByRole('button', { name: `Enable ${url}` }).click();
  await page.locator('#webhooks-table tr', { hasText: url }).getByText('Enabled').waitFor();

  // A new secret: refused at the confirmation, nothing changes; accepted, a new one shown.
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('button', { name: `New secret for ${url}` }).click();
  assert.equal(await page.locator('#new-secret').inputValue(), secret, 'case dismissed: the secret changed');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `New secret for ${url}` }).click();
  await page.getByRole('heading', { name: `New secret for ${url}` }).waitFor();
  const rotated = await page.locator('#new-secret').inputValue();
  assert.notEqual(rotated, secret);
  assert.match(rotated, /^whsec_/);

  // An event for it: its failed attempt is listed with its error and next time.
  const t = await srv.api('POST', '/v1/tenants', { body: { name: 'Hooked Ltd', segment: 'commercial', payment: 'invoice', currency: 'EUR', credit_limit: 1000 } });
  assert.equal(t.status, 201, t.text);
  const hookId = (await srv.api('GET', '/v1/webhooks')).json.items.find((w) => w.url === url).id;
  await until(async () => (await srv.api('GET', `/v1/webhooks/${hookId}/deliveries`)).json.items.length > 0,
    20000, 'the first attempt made by the runner');
  await page.getByRole('link', { name: `Deliveries to ${url}` }).click();
  await page.getByRole('heading', { name: `Deliveries to ${url}`, level: 1 }).waitFor();
  const attempt = page.locator('#deliveries-table tbody tr').first();
  const text = await attempt.textContent();
  assert.match(text, /^evt_\d+1.*Failed, retried\s*None.*connect/i, `case the attempt's row: ${text}`);
  await shot(page, 'webhook-deliveries');

  await page.getByRole('link', { name: 'All endpoints' }).click();
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Delete ${url}` }).click();
  await page.locator('#webhooks-table tr', { hasText: url }).waitFor({ state: 'detached' });
  const left = await srv.api('GET', '/v1/webhooks');
  assert.ok(!left.json.items.some((w) => w.url === url), 'case deleted: still listed by the API');
  assert.deepEqual(page.jsErrors, []);
});

test('French: the page; support staff (the API refuses them webhooks) have no link and no page', async () => {
  const made = await srv.api('POST', '/v1/webhooks', { body: { url: 'https://crm.example/fr' } });
  assert.equal(made.status, 201, made.text);
  const page = await newPage(browser, { locale: 'fr-FR' });
  await signIn(page, srv.url, srv.operator);
  await page.goto(`${srv.url}/#/provider/webhooks`);
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Ajouter le point de terminaison' }).waitFor();
  assert.match(await page.locator('#webhooks-table tr', { hasText: 'https://crm.example/fr' }).textContent(), /Tous les types.*Tous les clients.*Activé/);
  await shot(page, 'webhooks-fr');

  const support = await newPage(browser);
  await signIn(support, srv.url, supportToken(srv));
  await support.locator('#nav').getByRole('link', { name: 'Fleet' }).waitFor();
  assert.equal(await support.locator('#nav').getByRole('link', { name: 'Webhooks' }).count(), 0, 'case support: a Webhooks link');
  await support.goto(`${srv.url}/#/provider/webhooks`);
  await support.locator('#main h1').waitFor();
  assert.notEqual(await support.locator('#main h1').textContent(), 'Webhooks', 'case support: the page is shown');
  assert.equal(await support.locator('#webhook-form').count(), 0, 'case support: the form is shown');
  assert.deepEqual([...page.jsErrors, ...support.jsErrors], []);
});
