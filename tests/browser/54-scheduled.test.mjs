// An upgrade at the end of the term from the Upgrade tab: a prepaid plan's
// tab offers it (the immediate upgrade is blocked by prepaid_plan, whose
// first remedy says so); the billing admin schedules it, sees the scheduled
// change, cancels it, schedules it again; the operator moves the manual
// clock past the term's end and the runner makes the change. The same tab in
// French.
import assert from 'node:assert/strict';
import { test, before, after, startWithBrowser, newPage, signIn, shot, settled } from './helpers.mjs';
import { tenantWithTokens, setClock } from '../integration/harness.mjs';
import { buy } from '../integration/tenant-calls.mjs';

let srv;
let browser;

before(async () => {
  [srv, browser] = await startWithBrowser({ args: ['--clock', 'manual', '--jobs-interval', '0s'] });
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('a prepaid plan upgraded at the end of its term: scheduled from the tab, shown, cancelled, scheduled again, done by the runner', async () => {
  await setClock(srv, '2033-02-01T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Prepaid Planner Ltd', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 3, term: 'annual', prepaid: true });
  const page = await newPage(browser, { timezoneId: 'UTC' });
  await signIn(page, srv.url, T.tok.billing_admin);
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${s.id}/upgrade`);
  await settled(page);
  const remedy = page.locator('.reason[data-reason="prepaid_plan"] [data-remedy="schedule_at_term_end"]');
  await remedy.waitFor();
  assert.match(await remedy.textContent(), /end of the term .*2034.*nothing is lost/);
  const ask = page.getByRole('button', { name: /Schedule Business Standard for .*2034/ });
  await ask.click();
  assert.match(await page.locator('dialog.confirm-dialog').textContent(), /Business Basic to Business Standard on .*2034/);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await ask.click();
  await page.getByRole('button', { name: 'Schedule the upgrade' }).click();
  const box = page.locator('.scheduled');
  await box.waitFor();
  assert.match(await box.textContent(), /Change to Business Standard scheduled for .*2034/);
  assert.equal(await page.locator('.term-end').count(), 0, 'no second change offered');
  await shot(page, 'scheduled-upgrade');
  const ops = async () => (await srv.api('GET', `/v1/tenants/${T.id}/operations`, { token: T.tok.reader })).json.items;
  assert.deepEqual((await ops()).map((o) => o.state), ['scheduled'], 'case the store has it scheduled');

  // Called off, then asked again.
  await page.getByRole('button', { name: 'Cancel the scheduled change' }).click();
  await page.locator('.term-end').waitFor();
  assert.equal(await page.locator('.scheduled').count(), 0, 'the scheduled change is gone');
  assert.deepEqual((await ops()).map((o) => o.state), ['cancelled'], 'case cancelled in the store');
  await page.getByRole('button', { name: /Schedule Business Standard for/ }).click();
  await page.getByRole('button', { name: 'Schedule the upgrade' }).click();
  await page.locator('.scheduled').waitFor();

  await setClock(srv, '2034-02-01T09:00:00Z');
  const done = (await ops()).find((o) => o.state !== 'cancelled');
  assert.equal(done.state, 'completed', `case done at its time: ${JSON.stringify(done)}`);
  // A year on, the session has expired (the page's last load said so, as a
  // script error of its own, not this feature's): sign in again.
  await signIn(page, srv.url, T.tok.billing_admin);
  page.jsErrors.length = 0;
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${done.new_subscription}`);
  await settled(page);
  assert.match(await page.locator('.facts').textContent(), /prepaid.*Feb 1, 2034 – Feb 1, 2035.*€12\.50 per license/, 'the new subscription: prepaid, its next term, the new price');

  const fr = await newPage(browser, { locale: 'fr-FR', timezoneId: 'UTC' });
  const F = await tenantWithTokens(srv, { name: 'Planifie SARL', payment: 'card' });
  await signIn(fr, srv.url, F.tok.billing_admin);
  const s2 = await buy(srv, F, { plan: 'biz-basic', quantity: 1, term: 'annual', prepaid: true });
  await fr.goto(`${srv.url}/#/t/${F.id}/subscriptions/${s2.id}/upgrade`);
  await settled(fr);
  await fr.getByRole('button', { name: /Planifier .* pour le / }).first().click();
  await fr.getByRole('button', { name: 'Planifier la mise à niveau' }).click();
  await fr.locator('.scheduled', { hasText: 'planifié pour le' }).waitFor();
  assert.deepEqual(page.jsErrors.concat(fr.jsErrors), [], 'no script errors');
});

test('a cancellation at the end of the term shows on the Upgrade tab and can be called off there: the subscription renews', async () => {
  await setClock(srv, '2035-03-01T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Changed Mind Ltd', payment: 'card' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  const c = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(c.status, 200, `case cancellation at term end: ${c.text}`);
  const page = await newPage(browser, { timezoneId: 'UTC' });
  await signIn(page, srv.url, T.tok.billing_admin);
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${s.id}/upgrade`);
  await settled(page);
  const box = page.locator('.scheduled');
  await box.waitFor();
  assert.match(await box.textContent(), /Cancellation at the end of the term, on .*2035: the subscription is not renewed/);
  await shot(page, 'scheduled-cancellation');
  await page.getByRole('button', { name: 'Cancel the scheduled change' }).click();
  await page.locator('.scheduled').waitFor({ state: 'detached' });
  const sub = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { token: T.tok.reader })).json;
  assert.deepEqual([sub.cancel_at, sub.scheduled], [null, null], 'case nothing scheduled any more');
  await page.close();
});
