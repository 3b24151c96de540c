// Cancel at the end of the term from a subscription's overview, and what the
// job runner does at that time: a billing admin asks, sees the date it ends
// and that the button is gone; the operator moves the manual clock past the
// term's end and the page shows the subscription cancelled. The same
// overview in French.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, shot, settled } from './helpers.mjs';
import { tenantWithTokens, setClock } from '../integration/harness.mjs';
import { buy } from '../integration/tenant-calls.mjs';

let srv;
let browser;

browserSuite({ args: ['--clock', 'manual', '--jobs-interval', '0s'] }, (s, b) => { [srv, browser] = [s, b]; });

test('cancel at end of term: asked from the overview, shown with its date, done by the runner when the clock passes it', async () => {
  await setClock(srv, '2031-03-03T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Leaving Soon Ltd' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 5 });
  const page = await newPage(browser, { timezoneId: 'UTC' });
  await signIn(page, srv.url, T.tok.billing_admin);
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${s.id}`);
  await settled(page);
  const ask = page.getByRole('button', { name: 'Cancel at end of term' });
  await ask.click();
  assert.match(await page.locator('dialog.confirm-dialog').textContent(), /stays active until .*2031.*not renewed/);
  // Changing one's mind leaves everything as it was.
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  assert.equal(await ask.count(), 1, 'the button is back');
  await ask.click();
  await page.getByRole('button', { name: 'Yes, cancel at end of term' }).click();
  const fact = page.locator('dd', { hasText: 'without renewal' });
  await fact.waitFor();
  assert.match(await fact.textContent(), /Ends on .*2031, without renewal/);
  assert.equal(await page.getByRole('button', { name: 'Cancel at end of term' }).count(), 0, 'no second cancellation offered');
  const sub = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${s.id}`, { token: T.tok.reader })).json;
  assert.equal(sub.cancel_at, '2031-04-03T09:00:00Z', 'case the store has cancel_at = term_end');
  assert.equal(sub.status, 'active', 'case still active');
  await shot(page, 'cancel-at-term-end');

  await setClock(srv, '2031-04-10T09:00:00Z');
  // Five weeks on the store's clock end the session too (its absolute end):
  // the page asks to sign in again.
  await page.reload();
  await page.getByLabel('API token').waitFor();
  await signIn(page, srv.url, T.tok.billing_admin);
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${s.id}`);
  await settled(page);
  assert.match(await page.locator('.facts').textContent(), /Cancelled/);
  assert.equal(await page.locator('dd', { hasText: 'without renewal' }).count(), 0, 'an ended subscription shows no pending cancellation');

  const fr = await newPage(browser, { locale: 'fr-FR', timezoneId: 'UTC' });
  await signIn(fr, srv.url, T.tok.billing_admin);
  const s2 = await buy(srv, T, { plan: 'biz-basic', quantity: 1 });
  await fr.goto(`${srv.url}/#/t/${T.id}/subscriptions/${s2.id}`);
  await settled(fr);
  await fr.getByRole('button', { name: 'Résilier à la fin de la période' }).click();
  await fr.getByRole('button', { name: 'Oui, résilier à la fin de la période' }).click();
  await fr.locator('dd', { hasText: 'sans renouvellement' }).waitFor();
  assert.deepEqual(page.jsErrors.concat(fr.jsErrors), [], 'no script errors');
});

test('a cancel at term end on a plan retired since: the overview and the Upgrade tab still make sense', async () => {
  await setClock(srv, '2031-05-03T09:00:00Z');
  const T = await tenantWithTokens(srv, { name: 'Retired Leaver Ltd' });
  const s = await buy(srv, T, { plan: 'biz-basic', quantity: 2 });
  const other = await buy(srv, T, { plan: 'biz-standard', quantity: 1 });
  const c = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions/${s.id}/cancel`, { token: T.tok.billing_admin, body: { when: 'term_end' } });
  assert.equal(c.status, 200, `case cancel at term end: ${c.text}`);
  const base = (await srv.api('GET', '/v1/catalog')).json;
  const retired = structuredClone(base);
  delete retired.version;
  retired.plans.find((p) => p.id === 'biz-basic').retired = true;
  const put = await srv.api('PUT', '/v1/catalog', { body: retired });
  assert.equal(put.status, 201, `case retire biz-basic: ${put.text}`);
  try {
    const page = await newPage(browser, { timezoneId: 'UTC' });
    await signIn(page, srv.url, T.tok.billing_admin);
    await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${s.id}`);
    await settled(page);
    const facts = (await page.locator('.facts').textContent()).replace(/\s+/g, ' ');
    assert.match(facts, /Ends on .*2031, without renewal/, `case the pending cancellation: ${facts}`);
    assert.match(facts, /a retired plan: no longer sold/, `case the retired plan: ${facts}`);
    await page.getByRole('tab', { name: 'Upgrade' }).click();
    await settled(page);
    const main = (await page.locator('main').textContent()).replace(/\s+/g, ' ');
    assert.doesNotMatch(main, /Upgrade to Business Basic/, 'case the retired plan is not offered');
    assert.equal(await page.locator('main .error, main .alert-danger').count(), 0, `case no error shown: ${main}`);
    await shot(page, 'cancel-at-term-end-retired');
    // The other subscription's manual change: a retired plan's subscription
    // is not offered to merge into (the API would refuse it).
    await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${other.id}/switch`);
    await settled(page);
    await page.locator('#switch-target').waitFor({ state: 'attached' });
    const intos = await page.locator('#switch-into option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(!intos.includes(s.id), `case no merge into the retired plan's ${s.id}: ${intos}`);
    const targets = await page.locator('#switch-target option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(!targets.includes('biz-basic'), `case the retired plan is no target: ${targets}`);
    assert.deepEqual(page.jsErrors, [], 'no script errors');
  } finally {
    const back = structuredClone(base);
    delete back.version;
    await srv.api('PUT', '/v1/catalog', { body: back });
  }
});
