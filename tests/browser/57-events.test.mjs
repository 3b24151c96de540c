// A tenant's event timeline: the global admin opens Events from the
// tenant's menu and sees the changes just made, newest first, filters them
// by type; a billing admin has no such link and is refused the page; the
// operator opens it for any tenant; the page in French.
import assert from 'node:assert/strict';
import { test, before, after, startWithBrowser, newPage, signIn, shot, settled } from './helpers.mjs';
import { tenantWithTokens } from '../integration/harness.mjs';
import { buy } from '../integration/tenant-calls.mjs';

let srv;
let browser;

before(async () => {
  [srv, browser] = await startWithBrowser({});
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('the event timeline: linked for the global admin, newest first, filtered by type; refused to a billing admin; in French', async () => {
  const T = await tenantWithTokens(srv, { name: 'Timeline Ltd' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 3 });
  const page = await newPage(browser, { timezoneId: 'UTC' });
  await signIn(page, srv.url, T.tok.global_admin);
  await settled(page);
  await page.getByRole('link', { name: 'Events', exact: true }).click();
  const rows = page.locator('#events-table tbody tr');
  await rows.first().waitFor();
  const types = await page.locator('#events-table .event-type').evaluateAll((xs) => xs.map((x) => x.dataset.type));
  // Newest first: the purchase (its invoice after the subscription), the four tokens, the tenant.
  assert.deepEqual(types, ['invoice.issued', 'subscription.created', 'token.created', 'token.created', 'token.created',
    'token.created', 'tenant.created'], `case timeline: got ${types}`);
  assert.match(await rows.nth(1).textContent(), new RegExp(`Subscription created.*${s.id}.*Business Basic`));
  await shot(page, 'events-timeline');
  await page.getByLabel('Type').selectOption('subscription.created');
  await page.waitForFunction(() => document.querySelectorAll('#events-table tbody tr').length === 1);
  assert.match(await page.locator('#events-table').textContent(), /Subscription created/);

  // French.
  await page.locator('#lang-select').selectOption('fr');
  await page.getByRole('heading', { name: 'Événements', level: 1 }).waitFor();
  assert.match(await page.locator('#events-table').textContent(), /Abonnement créé/);

  // A billing admin: no link, and the page is refused.
  const other = await newPage(browser);
  await signIn(other, srv.url, T.tok.billing_admin);
  await settled(other);
  assert.equal(await other.getByRole('link', { name: 'Events', exact: true }).count(), 0, 'no Events link for a billing admin');
  await other.goto(`${srv.url}/#/t/${T.id}/events`);
  await other.getByRole('heading', { level: 1 }).waitFor();
  assert.doesNotMatch(await other.locator('main').textContent(), /Subscription created/, 'case no events shown to a billing admin');

  // The operator, from the provider's pages.
  const op = await newPage(browser);
  await signIn(op, srv.url, srv.operator);
  await op.goto(`${srv.url}/#/t/${T.id}/events`);
  await op.locator('#events-table tbody tr').first().waitFor();
  assert.equal(await op.locator('#events-table tbody tr').count(), 7, 'case the operator sees the tenant\'s seven events');
});
