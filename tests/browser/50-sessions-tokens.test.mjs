// 50-sessions-tokens: the admin center signs in once per browser (every tab
// shares the session cookie), keeps a deep link through sign-in, signs out
// every tab, and lets a global admin list, create (name, expiry) and revoke
// the tenant's API tokens. No page breaks the Content-Security-Policy (a
// refusal is a console error, which page.jsErrors collects).
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, newTab, signIn, shot, tenant, settled } from './helpers.mjs';

let srv;
let browser;

browserSuite({ demo: true }, (s, b) => { [srv, browser] = [s, b]; });

test('signed in once, a second tab opens a deep link signed in; sign out ends every tab', async () => {
  const contoso = tenant(srv, 'Contoso');
  const page = await newPage(browser);
  await signIn(page, srv.url, contoso.token);
  const tab = await newTab(page);
  await tab.goto(`${srv.url}/#/t/${contoso.id}/billing`);
  await tab.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
  assert.equal(await tab.locator('#who-role').textContent(), 'Global admin');
  assert.match(await tab.locator('#who-tenant').textContent(), /^Contoso/);
  assert.equal(await tab.getByRole('heading', { name: 'Sign in' }).count(), 0, 'case no sign-in in the second tab');
  await shot(tab, 'session-second-tab');

  // A change made in the second tab (it read the CSRF token itself).
  await tab.goto(`${srv.url}/#/t/${contoso.id}/tokens`);
  await tab.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
  await tab.getByLabel('Name').fill('made in the second tab');
  await tab.getByRole('button', { name: 'Create token' }).click();
  await tab.locator('#token-created').waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await tab.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  // Reloaded, it is still signed out: the session ended in the store.
  await tab.goto(`${srv.url}/#/t/${contoso.id}/licenses`);
  await tab.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.deepEqual([...page.jsErrors, ...tab.jsErrors], []);
});

test('a deep link opened signed out leads to sign-in, then to the page asked for', async () => {
  const fabrikam = tenant(srv, 'Fabrikam');
  const page = await newPage(browser);
  await page.goto(`${srv.url}/#/t/${fabrikam.id}/operations`);
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.match(page.url(), /#\/signin\?next=/);
  await page.getByLabel('API token').fill(fabrikam.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
  assert.ok(page.url().endsWith(`#/t/${fabrikam.id}/operations`), `case landed on ${page.url()}`);
  assert.deepEqual(page.jsErrors, []);
});

test('the API tokens page: create with a name and an expiry (secret shown once), list, revoke', async () => {
  const contoso = tenant(srv, 'Contoso');
  const page = await newPage(browser);
  await signIn(page, srv.url, contoso.token);
  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
  await settled(page);

  await page.getByLabel('Name').fill('export script');
  await page.getByLabel('Role').selectOption('billing_admin');
  await page.getByLabel('Expires').selectOption('90d');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.locator('#token-created').waitFor();
  const secret = await page.locator('#new-token').inputValue();
  assert.match(secret, /^ps_[A-Za-z0-9_-]{20,}$/);
  const who = await srv.api('GET', '/v1/whoami', { token: secret });
  assert.equal(who.status, 200);
  assert.equal(who.json.role, 'billing_admin');
  const row = page.locator('#tokens-table tr', { hasText: 'export script' });
  await row.waitFor();
  assert.match(await row.textContent(), /Billing admin/);
  assert.ok(!(await page.locator('#tokens-table').textContent()).includes(secret), 'case the list shows no secret');
  const listed = (await srv.api('GET', `/v1/tenants/${contoso.id}/tokens?limit=500`)).json.items.find((x) => x.name === 'export script');
  const days = (Date.parse(listed.expires_at) - Date.parse(listed.created)) / 86400000;
  assert.equal(days, 90, 'case expiry: 90 days');
  await shot(page, 'tokens-page');

  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: 'Revoke export script' }).click();
  await page.locator('#tokens-table tr', { hasText: 'export script' }).waitFor({ state: 'detached' });
  assert.equal((await srv.api('GET', '/v1/whoami', { token: secret })).status, 401, 'case revoked: 401');

  // French strings.
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { name: 'Jetons d’API', level: 1 }).waitFor();
  assert.deepEqual(page.jsErrors, []);
});

test('roles that may not manage tokens see no tokens page', async () => {
  const r = await srv.api('POST', `/v1/tenants/${tenant(srv, 'Contoso').id}/tokens`, { body: { role: 'reader', name: 'reader' } });
  const page = await newPage(browser);
  await signIn(page, srv.url, r.json.token);
  assert.equal(await page.getByRole('link', { name: 'API tokens' }).count(), 0);
  await page.goto(`${srv.url}/#/t/${tenant(srv, 'Contoso').id}/tokens`);
  await page.getByRole('heading', { name: 'Not available for your role', level: 1 }).waitFor();
  assert.deepEqual(page.jsErrors, []);
});
