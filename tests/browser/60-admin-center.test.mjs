// The tenant admin's side of the admin center (issue 21): the home page's
// alerts with their links; the Users page (server search and paging, bulk
// assign and unassign in one request, CSV export and import); confirmations
// that say what an action costs or takes away (buy, unassign, pay more than
// owed); the audit log. English at 1366 px, French at 390 px.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach } from 'node:test';
import { test, browserSuite, newPage, signIn, shot, settled, tenant } from './helpers.mjs';

let srv;
let browser;

browserSuite({ demo: true }, (s, b) => { [srv, browser] = [s, b]; });

const WIDE = { width: 1366, height: 900 };
const NARROW_FR = { width: 390, height: 844, locale: 'fr-FR' };

async function tokenFor(tenantId, role) {
  const r = await srv.api('POST', `/v1/tenants/${tenantId}/tokens`, { body: { role } });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

async function french(page) {
  await page.locator('#lang-select').selectOption('fr');
  await page.waitForFunction(() => document.documentElement.lang === 'fr');
  await settled(page);
}

async function noSideScroll(page, what) {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(sw <= cw, `case ${what}: scrolls sideways (${sw} > ${cw})`);
}

const dialog = (page) => page.locator('dialog.confirm-dialog');

// Each test's pages, closed after it: a busy machine keeps no stale tabs.
const opened = [];
async function open(opts) {
  const p = await newPage(browser, opts);
  opened.push(p);
  return p;
}
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((p) => p.context().close()));
});

test('home: the alerts that need the admin, each with a link where to act', async () => {
  const page = await open(WIDE);
  await signIn(page, srv.url, tenant(srv, 'Fabrikam').token);
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
  await settled(page);
  const conflict = page.locator('[data-alert="license_conflict"]');
  assert.match(await conflict.textContent(), /Business Standard: 12 users hold a license but only 10 are bought/);
  await shot(page, 'home-fabrikam');
  await conflict.getByRole('link', { name: 'Resolve on the Licenses page' }).click();
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();

  // Blue Yonder owes money; Litware waits on a credit check, its time stated.
  const blue = await open(WIDE);
  await signIn(blue, srv.url, tenant(srv, 'Blue Yonder').token);
  await settled(blue);
  const due = blue.locator('[data-alert="past_due"]');
  assert.match(await due.textContent(), /€[\d,.]+ is past due since/);
  assert.equal(await due.getByRole('link').getAttribute('href'), `#/t/${tenant(srv, 'Blue Yonder').id}/billing?pay=1`);
  const lit = await open(WIDE);
  await signIn(lit, srv.url, tenant(srv, 'Litware').token);
  await settled(lit);
  assert.ok(await lit.locator('[data-alert="credit_check"], [data-alert="operation"]').count() >= 1, 'case Litware: a wait shown');
  assert.match(await lit.locator('#home-alerts').textContent(), /expected by|waits for a credit check/);
  // Contoso: nothing needs the admin.
  const contoso = await open(WIDE);
  await signIn(contoso, srv.url, tenant(srv, 'Contoso').token);
  await settled(contoso);
  assert.equal(await contoso.locator('#home-alerts').count(), 0);
  await contoso.getByText('Nothing needs you right now.').waitFor();
  // A cancellation at the end of the term and an open support request: each an alert with its link.
  const made = await srv.api('POST', '/v1/tenants', { body: { name: 'Home Org', segment: 'commercial', payment: 'invoice', credit_limit: 1000000, currency: 'EUR' } });
  const H = made.json;
  const sub = (await srv.api('POST', `/v1/tenants/${H.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 3, term: 'annual' } })).json;
  assert.equal((await srv.api('POST', `/v1/tenants/${H.id}/subscriptions/${sub.id}/cancel`, { body: { when: 'term_end' } })).status, 200);
  assert.equal((await srv.api('POST', `/v1/tenants/${H.id}/support-requests`, { body: { subscription: sub.id, reason_codes: [], description: 'Help' } })).status, 201);
  const home = await open(WIDE);
  await signIn(home, srv.url, await tokenFor(H.id, 'reader'));
  await settled(home);
  assert.match(await home.locator('[data-alert="cancel_at"]').textContent(), /Business Basic ends on .+ \(cancelled at the end of its term\)/);
  assert.equal(await home.locator('[data-alert="cancel_at"] a').getAttribute('href'), `#/t/${H.id}/subscriptions/${sub.id}`);
  assert.match(await home.locator('[data-alert="support"]').textContent(), /1 support request is open/);
  assert.equal(await home.locator('[data-alert="support"] a').getAttribute('href'), `#/t/${H.id}/support`);
  for (const p of [page, blue, lit, contoso, home]) assert.deepEqual(p.jsErrors, []);
});

test('users: server search and paging, many assigned in one request after a confirmation, CSV export and import', async () => {
  const T = tenant(srv, 'Contoso');
  // 30 more users, so that the list has pages; a plan with free seats.
  const made = [];
  for (let i = 0; i < 30; i++) {
    const r = await srv.api('POST', `/v1/tenants/${T.id}/users`, { body: { upn: `pager${String(i).padStart(2, '0')}@contoso.example`, display_name: `Pager Person ${i}` } });
    assert.equal(r.status, 201, r.text);
    made.push(r.json.id);
  }
  const bought = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'mail-p1', quantity: 5 } });
  assert.equal(bought.status, 201, bought.text);
  const sub = bought.json.id;

  const page = await open(WIDE);
  await signIn(page, srv.url, T.token);
  const requests = [];
  page.on('request', (r) => { if (r.method() !== 'GET') requests.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  await page.goto(`${srv.url}/#/t/${T.id}/users`);
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await settled(page);
  await page.locator('#users-table').waitFor();
  assert.equal(await page.locator('#users-table tbody tr').count(), 25, 'case first page: 25 users');
  assert.match(await page.locator('.pager-status').textContent(), /Page 1: 1–25/);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.locator('.paged[data-page="2"]').waitFor();
  assert.ok(await page.locator('#users-table tbody tr').count() >= 1);
  assert.equal(await page.getByRole('button', { name: 'Previous' }).isDisabled(), false);

  // The server's search: q on name or sign-in name.
  await page.getByLabel('Search by name or sign-in name').fill('pager person 1');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('.paged[data-page="1"]').waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('#users-table tbody tr')].every((tr) => /Pager Person 1/.test(tr.textContent)));
  const names = (await page.locator('#users-table .user-name').allTextContents()).map((s) => s.replace(/usr_\d+$/, ''));
  assert.deepEqual(names, ['Pager Person 1', ...Array.from({ length: 10 }, (_, i) => `Pager Person 1${i}`)]);
  await shot(page, 'users-search');

  // Select three and assign them licenses of Exchange Plan 1: one request, after a summary.
  for (const n of ['Pager Person 10', 'Pager Person 11', 'Pager Person 12']) await page.getByLabel(`Select ${n}`, { exact: true }).check();
  await page.getByText('3 users selected').waitFor();
  await page.locator('#bulk-sub').selectOption(sub);
  await page.getByRole('button', { name: 'Assign licenses', exact: true }).click();
  await dialog(page).waitFor();
  assert.match(await dialog(page).textContent(), /Assign licenses to 3 users\?PlanMail Plan 1 \(sub_\d+\)Users3Assigned0 assigned of 5/);
  await shot(page, 'users-bulk-confirm');
  await dialog(page).getByRole('button', { name: 'Assign licenses' }).click();
  await page.locator('#bulk-done').waitFor();
  assert.match(await page.locator('#bulk-done').textContent(), /3 licenses of .* assigned/);
  assert.deepEqual(requests.filter((r) => r.includes('/licenses/bulk') || r.includes('/assignments/')), [`POST /v1/tenants/${T.id}/subscriptions/${sub}/licenses/bulk`]);
  const seats = await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${sub}/assignments`);
  assert.deepEqual(seats.json.items.map((a) => a.user).sort(), [made[10], made[11], made[12]].sort());

  // Too many for the licenses: refused as a whole, said next to the bulk action; nothing changed.
  await page.locator('#select-all').check();
  await page.getByRole('button', { name: 'Assign licenses', exact: true }).click();
  await dialog(page).getByRole('button', { name: 'Assign licenses' }).click();
  await page.locator('#bulk-bar .form-error').getByText(/seats for 5 licenses/).first().waitFor();
  assert.equal((await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/${sub}/assignments`)).json.items.length, 3);

  // Export: a CSV of the users the search finds.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split('\r\n');
  assert.equal(lines[0], 'id,display_name,upn,created_at');
  assert.equal(lines.length, 12, 'case export: the header and the 11 users found');
  assert.ok(lines.some((l) => l.startsWith(`${made[10]},Pager Person 10,pager10@contoso.example,`)));

  // Import: a bad line is named and nothing is created; a good file creates all in one request.
  const file = (text) => ({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.locator('#import-file').setInputFiles(file('display_name,upn\nAda Import,ada.import@contoso.example\n,nobody@contoso.example\nBob Import,not-an-email\n'));
  await page.getByRole('button', { name: 'Import users' }).click();
  await page.locator('#import-users .faults').waitFor();
  assert.deepEqual(await page.locator('#import-users .faults li').allTextContents(),
    ["Line 3: Enter the user's name.", 'Line 4: Enter a sign-in name like ada@example.com.']);
  await page.locator('#import-file').setInputFiles(file('upn,display_name\r\nada.import@contoso.example,Ada Import\r\n"bob.import@contoso.example","Import, Bob"\r\n'));
  await page.getByRole('button', { name: 'Import users' }).click();
  await dialog(page).getByRole('button', { name: 'Import users' }).click();
  await page.locator('#import-done').waitFor();
  assert.equal(await page.locator('#import-done').textContent(), '2 users created.');
  const found = await srv.api('GET', `/v1/tenants/${T.id}/users?q=import`);
  assert.deepEqual(found.json.items.map((u) => u.display_name), ['Ada Import', 'Import, Bob']);
  assert.equal(requests.filter((r) => r.endsWith('/users/bulk')).length, 1, 'case one request for the import');
  assert.deepEqual(page.jsErrors, []);
});

test('licenses: buying shows the quantity and the monthly total first; Cancel changes nothing; unassign asks too', async () => {
  const T = tenant(srv, 'Fabrikam');
  const page = await open(WIDE);
  await signIn(page, srv.url, T.token);
  await page.goto(`${srv.url}/#/t/${T.id}/licenses`);
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  await settled(page);
  const panel = page.locator('#lic-sub_2');
  await panel.locator('.paged[data-page="1"]').waitFor();
  assert.equal(await panel.locator('tbody tr').count(), 12, 'case 12 holders on one page');
  await panel.getByLabel('Licenses to add').fill('3');
  await panel.getByRole('button', { name: 'Buy licenses' }).click();
  await dialog(page).waitFor();
  const text = await dialog(page).textContent();
  assert.match(text, /3 more: 10 → 13/);
  assert.match(text, /Added per month€37\.50/);
  assert.match(text, /New total per month€162\.50/);
  await shot(page, 'licenses-buy-confirm');
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await dialog(page).count(), 0);
  assert.equal((await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/sub_2`)).json.quantity, 10, 'case cancelled: nothing bought');
  await panel.getByRole('button', { name: 'Buy licenses' }).click();
  await dialog(page).getByRole('button', { name: 'Buy 3 licenses' }).click();
  await page.locator('#lic-sub_2 summary').getByText('12 assigned of 13').waitFor();
  assert.equal(await page.locator('#conflict-alert').count(), 0, 'case the conflict is resolved');

  // Unassign: who loses what, then done.
  const first = page.locator('#lic-sub_2 tbody tr').first();
  const who = (await first.locator('th').textContent()).replace(/usr_\d+$/, '');
  await first.getByRole('button', { name: 'Unassign' }).click();
  await dialog(page).waitFor();
  assert.match(await dialog(page).textContent(), new RegExp(`${who} loses access to Business Standard at once`));
  await dialog(page).getByRole('button', { name: 'Unassign' }).click();
  await page.locator('#lic-sub_2 summary').getByText('11 assigned of 13').waitFor();
  assert.deepEqual(page.jsErrors, []);
});

test('pay: the amount, what it settles and the amount over what is owed, confirmed explicitly', async () => {
  const T = tenant(srv, 'Blue Yonder');
  const page = await open(WIDE);
  await signIn(page, srv.url, T.token);
  await page.goto(`${srv.url}/#/t/${T.id}/billing`);
  await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
  await settled(page);
  const b = (await srv.api('GET', `/v1/tenants/${T.id}/billing`)).json;
  const owed = Math.max(0, b.balance);
  const over = 100000; // €1,000.00 more
  const fmt = (minor) => new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' }).format(minor / 100);
  await page.locator('#pay-amount').fill(((owed + over) / 100).toFixed(2));
  await page.getByRole('button', { name: 'Pay now' }).click();
  await dialog(page).waitFor();
  assert.equal(await dialog(page).locator('#pay-over').textContent(), fmt(over));
  assert.match(await dialog(page).textContent(), /in full/);
  const yes = dialog(page).locator('[data-confirm="yes"]');
  assert.equal(await yes.textContent(), `Pay ${fmt(owed + over)}, ${fmt(over)} more than owed`);
  await shot(page, 'billing-overpay-confirm');
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  const after = (await srv.api('GET', `/v1/tenants/${T.id}/billing`)).json;
  assert.equal(after.paid, b.paid, 'case cancelled: nothing paid');
  // The exact amount owed: no amount over, paid once confirmed.
  await page.locator('#pay-amount').fill((owed / 100).toFixed(2));
  await page.getByRole('button', { name: 'Pay now' }).click();
  await dialog(page).waitFor();
  assert.equal(await dialog(page).locator('#pay-over').count(), 0);
  await dialog(page).locator('[data-confirm="yes"]').click();
  await page.locator('#payment-done').waitFor();
  assert.equal((await srv.api('GET', `/v1/tenants/${T.id}/billing`)).json.past_due, 0);
  assert.deepEqual(page.jsErrors, []);
});

test('audit log: who did what and when, paged; readers are told they lack the right', async () => {
  const T = tenant(srv, 'Contoso');
  const page = await open(WIDE);
  await signIn(page, srv.url, T.token);
  await page.goto(`${srv.url}/#/t/${T.id}/audit`);
  await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  await settled(page);
  await page.locator('#audit-table').waitFor();
  assert.match(await page.locator('.page-head p').textContent(), /Europe\/Paris/);
  const actions = await page.locator('#audit-table [data-action]').evaluateAll((xs) => xs.map((x) => [x.dataset.action, x.textContent]));
  assert.ok(actions.some(([a, label]) => a === 'user.create' && label === 'User created'), `case a readable action: ${JSON.stringify(actions.slice(0, 5))}`);
  const rows = await page.locator('#audit-table tbody tr').count();
  assert.ok(rows > 0 && rows <= 50, `case a page of at most 50: ${rows}`);
  await shot(page, 'audit-contoso');
  assert.deepEqual(page.jsErrors, []);

  const reader = await open(WIDE);
  await signIn(reader, srv.url, await tokenFor(T.id, 'reader'));
  assert.equal(await reader.locator('#nav').getByRole('link', { name: 'Audit log' }).count(), 0);
  await reader.goto(`${srv.url}/#/t/${T.id}/audit`);
  await reader.getByRole('heading', { name: 'Not available for your role', level: 1 }).waitFor();
  assert.equal(await reader.locator('#audit-table').count(), 0);
});

test('French at 390 px: home, users and audit without sideways scrolling, money and counts in French', async () => {
  const T = tenant(srv, 'Fabrikam');
  const page = await open(NARROW_FR);
  await signIn(page, srv.url, T.token);
  await french(page);
  await page.getByRole('heading', { name: 'Accueil', level: 1 }).waitFor();
  await noSideScroll(page, 'home fr');
  await shot(page, 'narrow-fr-home');
  for (const [hash, title, name] of [[`#/t/${T.id}/users`, 'Utilisateurs', 'narrow-fr-users'], [`#/t/${T.id}/audit`, 'Journal d’audit', 'narrow-fr-audit']]) {
    await page.goto(`${srv.url}/${hash}`);
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    await settled(page);
    await noSideScroll(page, name);
    await shot(page, name);
    if (name === 'narrow-fr-users') {
      // More users than licenses: refused as a whole, said in French.
      await page.locator('#select-all').check();
      await page.getByRole('button', { name: 'Attribuer des licences', exact: true }).click();
      await dialog(page).locator('[data-confirm="yes"]').click();
      await page.locator('#bulk-bar .faults li').first().waitFor();
      assert.match(await page.locator('#bulk-bar .form-error').textContent(), /Certains utilisateurs ne peuvent pas recevoir cette licence ; rien n’a été modifié :.*plus d’utilisateurs que de licences/);
      await noSideScroll(page, 'bulk refusal fr');
    }
  }
  await page.goto(`${srv.url}/#/t/${T.id}/licenses`);
  await page.getByRole('heading', { name: 'Licences', level: 1 }).waitFor();
  await settled(page);
  const panel = page.locator('#lic-sub_2');
  if (!(await panel.getAttribute('open') !== null)) await panel.locator('summary').click();
  await panel.locator('.paged[data-page="1"]').waitFor();
  await panel.getByLabel(/Licences à ajouter/).fill('2000');
  await panel.getByRole('button', { name: /Acheter des licences/ }).click();
  await dialog(page).waitFor();
  const text = (await dialog(page).textContent()).replace(/\s/g, ' ');
  assert.match(text, /2 000 de plus/);
  assert.match(text, /25 000,00 €/, `case money in French: ${text}`);
  await noSideScroll(page, 'dialog fr');
  await shot(page, 'narrow-fr-buy-confirm');
  await dialog(page).getByRole('button', { name: 'Annuler' }).click();
  assert.deepEqual(page.jsErrors, []);
});

test('credit checks: a purchase and more licenses wait, saying until when; the operator denies one after a summary; the tenant sees why', async () => {
  const made = await srv.api('POST', '/v1/tenants', { body: { name: 'Small Credit Org', segment: 'commercial', payment: 'invoice', credit_limit: 5000, currency: 'EUR' } });
  assert.equal(made.status, 201, made.text);
  const T = made.json;
  const token = await tokenFor(T.id, 'global_admin');
  const small = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 5 } });
  assert.equal(small.status, 201, small.text);
  const big = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'ent-e5', quantity: 2000 } });
  assert.ok(big.json.credit_check, `case the big purchase waits on a credit check: ${big.text}`);
  const more = await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${small.json.id}`, { body: { quantity: 6 } });
  assert.equal(more.status, 202, `case more licenses wait: ${more.text}`);

  const page = await open(WIDE);
  await signIn(page, srv.url, token);
  await page.goto(`${srv.url}/#/t/${T.id}/products`);
  await page.getByRole('heading', { name: 'Products & services', level: 1 }).waitFor();
  await settled(page);
  const bigRow = page.locator('tr', { has: page.locator(`a[href$="/subscriptions/${big.json.id}"]`) });
  assert.match(await bigRow.textContent(), /Waiting for a credit check \(expected by .+\)/);
  await page.goto(`${srv.url}/#/t/${T.id}/licenses`);
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  await settled(page);
  assert.match(await page.locator('.waiting-credit-check').first().textContent(), /Waiting for a credit check: 6 licenses, expected by/);
  await page.goto(`${srv.url}/#/t/${T.id}`);
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
  await settled(page);
  assert.ok(await page.locator('[data-alert="credit_check"]').count() >= 2, 'case home: each wait with its time');

  // The operator: what the check is for, the amount; Cancel keeps it pending; Deny denies it.
  const op = await open(WIDE);
  await signIn(op, srv.url, srv.operator);
  await op.goto(`${srv.url}/#/provider/credit-checks`);
  await op.getByRole('heading', { name: 'Credit checks', level: 1 }).waitFor();
  await settled(op);
  const cc = big.json.credit_check.id;
  await op.getByRole('button', { name: `Deny ${cc} for Small Credit Org` }).click();
  await dialog(op).waitFor();
  assert.match(await dialog(op).textContent(), new RegExp(`Deny credit check ${cc}\\?.*Small Credit Org.*${big.json.id}`));
  await shot(op, 'provider-deny-confirm');
  await dialog(op).getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await srv.api('GET', `/v1/tenants/${T.id}/credit-checks`)).json.items.find((c) => c.id === cc).status, 'pending');
  await op.getByRole('button', { name: `Deny ${cc} for Small Credit Org` }).click();
  await dialog(op).getByRole('button', { name: 'Deny' }).click();
  await op.locator('tr', { hasText: cc }).filter({ hasText: 'Denied' }).waitFor();

  await page.goto(`${srv.url}/#/t/${T.id}/products`);
  await page.getByRole('heading', { name: 'Products & services', level: 1 }).waitFor();
  await settled(page);
  const ended = page.locator('tr', { has: page.locator(`a[href$="/subscriptions/${big.json.id}"]`) });
  assert.match(await ended.textContent(), /Cancelled: credit check denied/);
  await shot(page, 'products-credit-denied');
  assert.deepEqual([...page.jsErrors, ...op.jsErrors], []);
});

// ---- the listed defects -------------------------------------------------------

async function firstSub(T) {
  return (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions`)).json.items.find((s) => !s.addon_of).id;
}

test('defects: permanent reasons never say "Once resolved"; Woodgrove\'s own upgrade under way says so', async () => {
  const page = await open(WIDE);
  await signIn(page, srv.url, srv.operator);
  const tab = async (T, sub) => {
    await page.goto(`${srv.url}/#/t/${T.id}/subscriptions/${sub}/upgrade`);
    await page.locator('.reason').first().waitFor();
    await settled(page);
  };
  for (const name of ['Ville de Lyon', 'Alpine Ski House', 'Adatum']) {
    const T = tenant(srv, name);
    await tab(T, await firstSub(T));
    assert.equal(await page.locator('.later-offers').count(), 0, `case ${name}: no "Once resolved"`);
    assert.equal(await page.locator('.blocked-offers').count(), 0, `case ${name}: no blocked Upgrade button`);
  }
  // A reason that passes (an incident) still says what comes once resolved.
  const tail = tenant(srv, 'Tailspin');
  await tab(tail, await firstSub(tail));
  assert.match(await page.locator('.later-offers').textContent(), /^Once resolved, you can upgrade to /);
  // Woodgrove: sub_6 is the one being upgraded; sub_5 waits for it.
  const wood = tenant(srv, 'Woodgrove');
  const ops = (await srv.api('GET', `/v1/tenants/${wood.id}/operations`)).json.items;
  const source = ops.find((o) => o.state === 'provisioning').source;
  const other = (await srv.api('GET', `/v1/tenants/${wood.id}/subscriptions`)).json.items.find((s) => s.id !== source && !s.addon_of).id;
  await tab(wood, source);
  assert.equal(await page.locator('.reason h3').first().textContent(), 'This subscription is being upgraded');
  assert.match(await page.locator('.reason-message').first().textContent(), /This subscription is already being upgraded/);
  assert.equal(await page.locator('.later-offers').count(), 0, 'case no "Once resolved, you can upgrade to" the plan it is becoming');
  await tab(wood, other);
  assert.equal(await page.locator('.reason h3').first().textContent(), 'Another plan is being upgraded');
  assert.equal(await page.locator('.later-offers').count(), 1);
  assert.deepEqual(page.jsErrors, []);
});

test('defects: typed text survives a language switch; a network error shows next to the action that failed; French invoice lines and API errors', async () => {
  const T = tenant(srv, 'Fabrikam');
  const page = await open(WIDE);
  await signIn(page, srv.url, T.token);
  await page.goto(`${srv.url}/#/t/${T.id}/users`);
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await settled(page);
  await page.locator('#users-q').fill('typed before');
  await french(page);
  await page.getByRole('heading', { name: 'Utilisateurs', level: 1 }).waitFor();
  assert.equal(await page.locator('#users-q').inputValue(), 'typed before');
  await page.locator('#lang-select').selectOption('en');
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  assert.equal(await page.locator('#users-q').inputValue(), 'typed before');

  // Unassign while the network fails: the error is on that user's row.
  await page.goto(`${srv.url}/#/t/${T.id}/licenses`);
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  await settled(page);
  const panel = page.locator('#lic-sub_2');
  if (await panel.getAttribute('open') === null) await panel.locator('summary').click();
  await panel.locator('.paged[data-page="1"]').waitFor();
  await page.route('**/assignments/**', (r) => (r.request().method() === 'DELETE' ? r.abort('internetdisconnected') : r.continue()));
  const row = panel.locator('tbody tr').nth(1);
  await row.getByRole('button', { name: 'Unassign' }).click();
  await dialog(page).locator('[data-confirm="yes"]').click();
  const err = panel.locator('tr.row-error-row');
  await err.waitFor();
  assert.match(await err.textContent(), /server cannot be reached|unreachable|connection/i);
  assert.equal(await err.evaluate((e) => e.previousElementSibling === e.parentNode.children[1]), true, 'case the error follows the row that failed');
  assert.equal(await panel.locator('.buy-licenses .form-error').textContent(), '', 'case nothing next to Buy licenses');
  await page.unroute('**/assignments/**');
  // In French, the API's refusal in French: all seats of sub_2 are taken.
  await french(page);
  const fpanel = page.locator('#lic-sub_2');
  if (await fpanel.getAttribute('open') === null) await fpanel.locator('summary').click();
  await fpanel.locator('.paged[data-page="1"]').waitFor();
  // Every license of sub_2 taken (earlier tests may have bought more).
  const s2 = (await srv.api('GET', `/v1/tenants/${T.id}/subscriptions/sub_2`)).json;
  assert.equal((await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/sub_2`, { body: { quantity: s2.assigned } })).status, 200);
  await page.reload();
  await fpanel.locator('summary').waitFor();
  if (await fpanel.getAttribute('open') === null) await fpanel.locator('summary').click();
  await fpanel.locator('.paged[data-page="1"]').waitFor();
  const extra = await srv.api('POST', `/v1/tenants/${T.id}/users`, { body: { upn: 'extra.person@fabrikam.example', display_name: 'Extra Person' } });
  assert.equal(extra.status, 201);
  await fpanel.getByLabel('Trouver un utilisateur').fill('extra.person');
  await fpanel.locator('select[name="user"][data-results="1"]').waitFor();
  await fpanel.getByRole('button', { name: 'Attribuer la licence' }).click();
  const refused = fpanel.locator('.form-error').filter({ hasText: /\S/ }).last();
  await refused.waitFor();
  assert.equal((await refused.textContent()).trim(), 'Toutes les licences sont attribuées : achetez-en d’autres ou retirez d’abord un utilisateur.');

  // Invoice lines in French, dates by Intl.
  const blue = tenant(srv, 'Blue Yonder');
  const fr = await open({ ...WIDE, locale: 'fr-FR' });
  await signIn(fr, srv.url, blue.token);
  await fr.goto(`${srv.url}/#/t/${blue.id}/billing`);
  await fr.getByRole('heading', { name: 'Facturation', level: 1 }).waitFor();
  await settled(fr);
  await fr.locator('.invoice details summary').first().click();
  const line = (await fr.locator('.line-text').first().textContent()).replace(/\s/g, ' ');
  assert.match(line, /^Business Basic, 12 licences, du \d{1,2} [a-zéû]+\.? \d{4} au \d{1,2} [a-zéû]+\.? \d{4}$/);
  assert.deepEqual([...page.jsErrors.filter((e) => !/internetdisconnected|ERR_INTERNET_DISCONNECTED/.test(e)), ...fr.jsErrors], []);
});

test('provider: the operator fails an unfinished operation after a summary; the tenant sees who failed it', async () => {
  const wood = tenant(srv, 'Woodgrove');
  const op = (await srv.api('GET', `/v1/tenants/${wood.id}/operations`)).json.items.find((o) => o.state === 'provisioning');
  const page = await open(WIDE);
  await signIn(page, srv.url, srv.operator);
  await page.goto(`${srv.url}/#/t/${wood.id}/operations`);
  await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
  await settled(page);
  await page.getByRole('button', { name: `Fail ${op.id}` }).click();
  await dialog(page).waitFor();
  assert.match(await dialog(page).textContent(), new RegExp(`Fail operation ${op.id}\\?.*undone`));
  await shot(page, 'provider-fail-confirm');
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await srv.api('GET', `/v1/tenants/${wood.id}/operations/${op.id}`)).json.state, 'provisioning', 'case Cancel: nothing failed');
  await page.getByRole('button', { name: `Fail ${op.id}` }).click();
  await dialog(page).getByLabel(/^Why/).fill('Mailboxes stuck in the datacenter move');
  await dialog(page).getByRole('button', { name: 'Fail' }).click();
  await page.locator('#ops-table tr', { hasText: op.id }).filter({ hasText: 'Failed' }).waitFor();
  assert.equal(await page.getByRole('button', { name: `Fail ${op.id}` }).count(), 0);
  const after = (await srv.api('GET', `/v1/tenants/${wood.id}/operations/${op.id}`)).json;
  assert.equal(after.state, 'failed');
  assert.equal(after.result.failure, 'failed_by_provider');
  assert.equal(after.result.message, 'Mailboxes stuck in the datacenter move', 'case the reason typed is kept');
  assert.match(await page.locator('#ops-table tr', { hasText: op.id }).textContent(),
    /Failed by the provider; nothing was changed\. Reason: Mailboxes stuck in the datacenter move/);
  assert.deepEqual(page.jsErrors, []);
});
