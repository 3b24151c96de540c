// What each role sees: a reader finds no button (or link to a form) that the
// API would refuse; a license admin manages seats but neither buys nor pays;
// a billing admin pays but does not assign seats.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, shot, settled } from './helpers.mjs';

let srv;
let browser;

browserSuite({ demo: true }, (s, b) => { [srv, browser] = [s, b]; });

async function tokenFor(tenantId, role) {
  const r = await srv.api('POST', `/v1/tenants/${tenantId}/tokens`, { body: { role } });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

/** The names of the visible buttons of the page. */
async function buttons(page) {
  return (await page.getByRole('button').allTextContents()).map((s) => s.trim());
}

/** Links leading to a form the role could not submit. */
async function actionLinks(page) {
  return page.locator('a[href*="/support/new"], a[href*="/switch"], a[href*="billing?pay"]').count();
}

async function visit(page, hash, heading) {
  await page.goto(`${srv.url}/${hash}`);
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  await settled(page);
}

const READ_ONLY_BUTTONS = ['Sign out', 'Check again', 'Refresh now', 'Previous', 'Next', 'Search', 'Export CSV'];

test('sign-in: an empty or unknown token is refused next to the token field; sign out ends the session', async () => {
  const page = await newPage(browser);
  await page.goto(`${srv.url}/`);
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  const field = page.getByLabel('API token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.field-error').waitFor();
  assert.equal(await page.locator('.field-error').textContent(), 'Enter your API token.');
  await field.fill('ps_not_a_real_token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('This token is not valid. Check it and try again.').waitFor();
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  const token = await tokenFor('ten_3', 'global_admin');
  await signIn(page, srv.url, token);
  assert.equal(await page.locator('#who-tenant').textContent(), 'Northwind Traders (ten_3)');
  // The session is an HttpOnly, SameSite=Strict cookie; the page keeps no token.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'planshift_session');
  assert.ok(cookie, 'case a planshift_session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'case the page cannot read the cookie');
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  assert.ok(!stored.includes(token), 'case no token in the page\'s storage');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.equal(await page.locator('#signout').isVisible(), false, 'case no Sign out on the sign-in page');
  const gone = await srv.api('GET', '/v1/whoami', { token: null, headers: { Cookie: `planshift_session=${cookie.value}` } });
  assert.equal(gone.status, 401, 'case signed out: the session ended in the store');
  assert.deepEqual(page.jsErrors, []);

  // A browser set to French opens in French.
  const fr = await newPage(browser, { locale: 'fr-FR' });
  await fr.goto(`${srv.url}/`);
  await fr.getByRole('heading', { name: 'Connexion', level: 1 }).waitFor();
  assert.equal(await fr.getByLabel('Langue').inputValue(), 'fr');
  assert.equal(await fr.locator('html').getAttribute('lang'), 'fr');
});

test('a reader (Contoso) finds no button that would be refused, on every page', async () => {
  const token = await tokenFor('ten_1', 'reader');
  const page = await newPage(browser);
  await signIn(page, srv.url, token);
  assert.equal(await page.locator('#who-role').textContent(), 'Reader');
  assert.equal(await page.locator('#who-tenant').textContent(), 'Contoso Ltd (ten_1)');

  const pages = [
    ['#/t/ten_1', 'Home'],
    ['#/t/ten_1/users', 'Users'],
    ['#/t/ten_1/products', 'Products & services'],
    ['#/t/ten_1/subscriptions/sub_1/upgrade', 'Business Basic'],
    ['#/t/ten_1/licenses', 'Licenses'],
    ['#/t/ten_1/billing', 'Billing'],
    ['#/health', 'Service health'],
    ['#/t/ten_1/support', 'Support requests'],
    ['#/t/ten_1/operations', 'Operations'],
  ];
  for (const [hash, heading] of pages) {
    await visit(page, hash, heading);
    if (hash.endsWith('/upgrade')) {
      // The offers and their prices are there to read, without an Upgrade button.
      await page.locator('.offer .preview dd.net').first().waitFor();
      assert.equal(await page.locator('.offer').count(), 3);
      // Each says why it has no button.
      assert.deepEqual(await page.locator('.offer .offer-needs').allTextContents(),
        ['Business Standard', 'Business Premium', 'Enterprise E3'].map((p) => `Upgrade to ${p}: ask a global or billing admin`));
    }
    if (hash.endsWith('/licenses')) {
      // Open the subscription's panel: its users are listed, without Unassign.
      await page.locator('.panel > summary').first().click();
      await page.locator('.panel-body table').first().waitFor();
      assert.equal(await page.locator('.panel-body tbody tr').count(), 20);
    }
    const names = await buttons(page);
    assert.deepEqual(names.filter((n) => !READ_ONLY_BUTTONS.includes(n)), [], `buttons on ${hash}: ${names}`);
    assert.equal(await page.locator('main form:not([role="search"])').count(), 0, `no form on ${hash} (a search is fine)`);
    assert.equal(await actionLinks(page), 0, `no link to an action on ${hash}`);
    await shot(page, `reader-${hash.split('/').filter(Boolean).pop()}`);
  }
  // Pages a reader may not use say so rather than show a form.
  await page.goto(`${srv.url}/#/t/ten_1/support/new`);
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
  // Nor the manual change, opened by its URL.
  await page.goto(`${srv.url}/#/t/ten_1/subscriptions/sub_1/switch`);
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
  assert.equal(await page.locator('main form').count(), 0);
  await page.goto(`${srv.url}/#/provider/fleet`);
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
  assert.equal(await page.locator('#nav').getByRole('link', { name: 'Fleet' }).count(), 0);
  // Another tenant's pages lead back to the reader's own.
  await page.goto(`${srv.url}/#/t/ten_2/licenses`);
  await page.waitForURL(/#\/t\/ten_1\/licenses$/);
  assert.deepEqual(page.jsErrors, []);
});

test('a reader of a blocked tenant (Fabrikam) sees every remedy, but as who to ask rather than as actions', async () => {
  const token = await tokenFor('ten_2', 'reader');
  const page = await newPage(browser);
  await signIn(page, srv.url, token);
  await visit(page, '#/t/ten_2/subscriptions/sub_2/upgrade', 'Business Standard');
  const reason = page.locator('.reason[data-reason="license_conflict"]');
  await reason.waitFor();
  // Resolving conflicts leads to the Licenses page, which a reader may read.
  assert.deepEqual(await reason.locator('.remedies a').allTextContents(), ['Resolve license conflicts']);
  assert.deepEqual(await reason.locator('.remedy-note').allTextContents(), [
    'Change plans manually: ask a global or billing admin',
    'Call support: ask a global or billing admin',
  ]);
  assert.equal(await actionLinks(page), 0);
  await shot(page, 'reader-upgrade-blocked');
  await reason.getByRole('link', { name: 'Resolve license conflicts' }).click();
  await page.locator('#conflict-alert').waitFor();
  await page.locator('.panel-body table').waitFor();
  assert.deepEqual((await buttons(page)).filter((n) => !READ_ONLY_BUTTONS.includes(n)), []);
  assert.deepEqual(page.jsErrors, []);
});

test('a license admin assigns seats and adds users but cannot buy licenses or pay; a billing admin the reverse', async () => {
  const lic = await newPage(browser);
  await signIn(lic, srv.url, await tokenFor('ten_2', 'license_admin'));
  assert.equal(await lic.locator('#who-role').textContent(), 'License admin');
  await visit(lic, '#/t/ten_2/licenses', 'Licenses');
  await lic.getByRole('button', { name: /^Unassign / }).first().waitFor();
  assert.equal(await lic.getByRole('button', { name: /^Unassign / }).count(), 12);
  assert.equal(await lic.getByRole('button', { name: 'Assign license' }).count(), 1);
  assert.equal(await lic.getByRole('button', { name: 'Add user' }).count(), 1);
  assert.equal(await lic.getByRole('button', { name: 'Buy licenses' }).count(), 0, 'buying needs a billing role');
  // Adding a user works; a malformed sign-in name is refused next to its field.
  await lic.getByLabel('Display name').fill('Zoé Z.');
  await lic.getByLabel('Sign-in name (email)').fill('zoe at fabrikam');
  await lic.getByRole('button', { name: 'Add user' }).click();
  await lic.locator('#add-user .field-error').waitFor();
  assert.equal(await lic.getByLabel('Sign-in name (email)').getAttribute('aria-invalid'), 'true');
  await lic.getByLabel('Sign-in name (email)').fill('zoe@fabrikam.example');
  await lic.getByRole('button', { name: 'Add user' }).click();
  await lic.getByText('Zoé Z. added.').first().waitFor();
  // The API's own refusal (a second user with that name) shows next to the field too.
  await lic.getByLabel('Display name').fill('Zoé Z.');
  await lic.getByLabel('Sign-in name (email)').fill('zoe@fabrikam.example');
  await lic.getByRole('button', { name: 'Add user' }).click();
  const apiErr = lic.locator('#add-user .field-error');
  await apiErr.waitFor();
  assert.ok((await apiErr.textContent()).length > 5);
  assert.equal(await lic.getByLabel('Sign-in name (email)').getAttribute('aria-invalid'), 'true');
  await visit(lic, '#/t/ten_2/billing', 'Billing');
  assert.equal(await lic.getByRole('button', { name: 'Pay now' }).count(), 0);
  await visit(lic, '#/t/ten_2/products', 'Products & services');
  assert.equal(await lic.getByText('Buy a plan').count(), 0);

  const bill = await newPage(browser);
  await signIn(bill, srv.url, await tokenFor('ten_2', 'billing_admin'));
  assert.equal(await bill.locator('#who-role').textContent(), 'Billing admin');
  await visit(bill, '#/t/ten_2/licenses', 'Licenses');
  await bill.getByRole('button', { name: 'Buy licenses' }).waitFor();
  assert.equal(await bill.getByRole('button', { name: /^Unassign / }).count(), 0, 'seats need a license role');
  assert.equal(await bill.getByRole('button', { name: 'Add user' }).count(), 0);
  // Buying the two missing licenses resolves the conflict.
  assert.equal(await bill.getByLabel('Licenses to add').inputValue(), '2');
  await bill.getByRole('button', { name: 'Buy licenses' }).click();
  await bill.locator('dialog.confirm-dialog').getByRole('button', { name: 'Buy 2 licenses' }).click();
  await bill.locator('#no-conflict').waitFor();
  assert.match(await bill.locator('table').first().locator('tbody tr').textContent(), /12\s*12\s*0/);
  await visit(bill, '#/t/ten_2/billing', 'Billing');
  assert.equal(await bill.getByRole('button', { name: 'Pay now' }).count(), 1);
  assert.deepEqual([...lic.jsErrors, ...bill.jsErrors], []);
});
