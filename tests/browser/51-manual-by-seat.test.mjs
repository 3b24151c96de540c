// Manual changes by seat in the admin center (RULES second part): Proseware's
// two plans of one product merged from the Upgrade tab's remedy (into an
// existing subscription, its seats and money reviewed before confirming),
// then some of its users moved to a better plan (search, select all shown,
// counts), and the same page in French.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, shot, tenant } from './helpers.mjs';

let srv;
let browser;
let T; // Proseware: a biz-basic (10 users) and a biz-standard (10 seats, 8 users)
let basic;
let standard;

browserSuite({ demo: true }, async (s, b) => {
  [srv, browser] = [s, b];
  T = tenant(srv, 'Proseware');
  const subs = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions`, { token: T.token })).json.items;
  basic = subs.find((s) => s.plan === 'biz-basic').id;
  standard = subs.find((s) => s.plan === 'biz-standard').id;
});

test('Proseware: the merge remedy opens the manual change into the other subscription; seats and money reviewed; both plans become one', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, T.token);
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${basic}/upgrade`);
  const reason = page.locator('.reason[data-reason="multiple_plans_same_product"]');
  await reason.waitFor();
  await reason.getByRole('link', { name: 'Change plans manually' }).click();
  await page.getByRole('heading', { name: 'Change plans manually', level: 1 }).waitFor();
  assert.equal(await page.locator('input[name="mode"][value="into"]').isChecked(), true, 'the merge is chosen');
  assert.equal(await page.locator('#switch-into').inputValue(), standard, 'into the other subscription');
  assert.equal(await page.locator('.users-field').isHidden(), true, 'no user picker for a merge');
  await page.getByRole('button', { name: 'Review the change' }).click();
  const review = page.locator('.review section');
  await review.locator('dd.net').waitFor();
  assert.equal((await review.locator('dd.seats').textContent()).trim(), '18', '8 more seats on the subscription merged into');
  assert.equal((await review.locator('dd.moving').textContent()).trim(), '10', 'ten users move');
  assert.match(await review.locator('dd.charge').textContent(), /€/);
  await shot(page, 'switch-into-review-proseware');
  await review.getByRole('button', { name: /^Change to Business Standard/ }).click();
  await page.locator('.op-progress[data-state="completed"]').waitFor();
  const a = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${basic}`, { token: T.token })).json;
  const b = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${standard}`, { token: T.token })).json;
  assert.equal(a.status, 'replaced');
  assert.equal(a.replaced_by, standard);
  assert.equal(b.assigned, 18);
  assert.equal(b.quantity, 18);
  assert.deepEqual(page.jsErrors, []);
});

test('Proseware: some users move to a better plan: search, select all shown, counts, review, confirm', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, T.token);
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${standard}/switch`);
  await page.getByRole('heading', { name: 'Change plans manually', level: 1 }).waitFor();
  await page.locator('input[name="mode"][value="some"]').check();
  const count = page.locator('#switch-user-count');
  assert.match(await count.textContent(), /^0 of 18 users selected \(18 shown\)$/);
  // Nothing chosen: the review says so, nothing is asked of the server.
  await page.locator('#switch-target').selectOption('biz-premium');
  await page.getByRole('button', { name: 'Review the change' }).click();
  assert.match(await page.locator('form .form-error').first().textContent(), /at least one user/);
  await page.getByLabel('Search users by name or sign-in').fill('Ada');
  const shown = await page.locator('.user-pick li').count();
  assert.ok(shown >= 1 && shown < 18, `search narrows the list: ${shown}`);
  await page.getByLabel('Select all users shown').check();
  assert.match(await count.textContent(), new RegExp(`^${shown} of 18 users selected \\(${shown} shown\\)$`));
  await page.getByLabel('Search users by name or sign-in').fill('');
  await page.locator('.user-pick li input').nth(17).check();
  assert.match(await count.textContent(), new RegExp(`^${shown + 1} of 18 users selected \\(18 shown\\)$`));
  await page.getByRole('button', { name: 'Review the change' }).click();
  const review = page.locator('.review section');
  await review.locator('dd.net').waitFor();
  assert.equal((await review.locator('dd.moving').textContent()).trim(), String(shown + 1), 'the users chosen move');
  assert.equal((await review.locator('dd.seats').textContent()).trim(), String(shown + 1), 'a license each');
  assert.equal((await review.locator('dd.monthly').textContent()).trim(), `€${(22 * (shown + 1)).toFixed(2)}`, 'the new subscription per month (Business Premium, €22.00 a license)');
  await shot(page, 'switch-some-users-review-proseware');
  await review.getByRole('button', { name: /^Change to Business Premium/ }).click();
  await page.locator('.op-progress[data-state="completed"]').waitFor();
  const b = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${standard}`, { token: T.token })).json;
  assert.equal(b.status, 'active', 'the source stays with the others');
  assert.equal(b.assigned, 18 - (shown + 1));
  assert.equal(b.quantity, 18 - (shown + 1));
  assert.deepEqual(page.jsErrors, []);
});

test('French: the manual change by seat is translated', async () => {
  const page = await newPage(browser, { locale: 'fr-FR' });
  await signIn(page, srv.url, T.token);
  await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${standard}/switch`);
  await page.locator('.switch-mode legend').waitFor();
  assert.equal((await page.locator('.switch-mode legend').textContent()).trim(), 'Ce qui change');
  await page.locator('input[name="mode"][value="some"]').check();
  assert.match(await page.locator('#switch-user-count').textContent(), /utilisateurs sur \d+ sélectionnés/);
  assert.deepEqual(page.jsErrors, []);
});
