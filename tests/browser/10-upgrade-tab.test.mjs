// The Upgrade tab end to end, as tenant admins of the demo: Fabrikam's
// license conflict resolved on the Licenses page, Blue Yonder paying its
// past-due balance, Contoso upgrading, Relecloud's and Fourth Coffee's
// manual changes, and the same pages in French.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, shot, tenant } from './helpers.mjs';

let srv;
let browser;

browserSuite({ demo: true }, (s, b) => { [srv, browser] = [s, b]; });

const texts = async (loc) => (await loc.allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());

test('Fabrikam: sign in, see who you are, and the blocked Upgrade tab with the license conflict and its remedies', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Fabrikam').token);
  assert.equal(await page.locator('#who-role').textContent(), 'Global admin');
  assert.equal(await page.locator('#who-tenant').textContent(), 'Fabrikam Inc (ten_2)');
  // Signed in at Home; the subscriptions are a click away.
  assert.equal(await page.locator('h1').textContent(), 'Home');
  await page.locator('#nav').getByRole('link', { name: 'Products & services' }).click();
  await page.getByRole('heading', { name: 'Products & services', level: 1 }).waitFor();
  const rows = page.locator('table tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /Business Standard.*12 of 10 assigned.*Active/);
  await shot(page, 'products-fabrikam');

  await page.getByRole('link', { name: 'Upgrade tab of Business Standard' }).click();
  const tab = page.getByRole('tab', { name: 'Upgrade' });
  await page.getByRole('heading', { name: "You can't upgrade this subscription right now" }).waitFor();
  assert.equal(await tab.getAttribute('aria-selected'), 'true');
  assert.match(page.url(), /#\/t\/ten_2\/subscriptions\/sub_2\/upgrade$/);
  const reasons = page.locator('.reason');
  assert.equal(await reasons.count(), 1, 'one reason: the license conflict');
  assert.equal(await reasons.first().getAttribute('data-reason'), 'license_conflict');
  assert.equal(await reasons.first().locator('h3').textContent(), 'You have more users than licenses');
  assert.match(await reasons.first().locator('.reason-message').textContent(),
    /more licenses assigned than purchased \(Business Standard: 12 assigned, 10 purchased\)/);
  assert.deepEqual(await texts(reasons.first().locator('.remedies a')),
    ['Resolve license conflicts', 'Change plans manually', 'Call support']);
  // The Upgrade buttons look blocked (disabled), their reason linked.
  const blocked = page.getByRole('button', { name: /^Upgrade to / });
  assert.deepEqual(await texts(blocked), ['Upgrade to Business Premium', 'Upgrade to Enterprise E3']);
  for (const b of await blocked.all()) {
    assert.equal(await b.isDisabled(), true, 'no plan can be taken while blocked');
    assert.equal(await b.getAttribute('aria-describedby'), 'blocked-why');
  }
  assert.equal(await page.locator('#blocked-why').textContent(), 'Why you can’t upgrade yet: the reason above');
  assert.match(await page.locator('.later-offers').textContent(), /Business Premium and Enterprise E3/);
  await shot(page, 'upgrade-blocked-fabrikam');

  // call_support carries the subscription and the reason codes.
  await reasons.first().getByRole('link', { name: 'Call support' }).click();
  await page.getByRole('heading', { name: 'Call support' }).waitFor();
  assert.equal(await page.getByLabel('Subscription').inputValue(), 'sub_2');
  assert.equal(await page.getByRole('checkbox', { name: /You have more users than licenses/ }).isChecked(), true);
  await page.getByRole('button', { name: 'Send to support' }).click();
  const err = page.locator('.field-error');
  await err.waitFor();
  assert.equal(await err.textContent(), 'Describe what you need help with.');
  assert.equal(await page.getByLabel('What do you need help with?').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('What do you need help with?').fill('We cannot upgrade to Business Premium.');
  await page.getByRole('button', { name: 'Send to support' }).click();
  await page.locator('#support-sent').waitFor();
  assert.match(await page.locator('#support-sent').textContent(), /Support request sr_\d+ sent/);
  const sr = await srv.api('GET', '/v1/tenants/ten_2/support-requests', { token: tenant(srv, 'Fabrikam').token });
  assert.deepEqual(sr.json.items.map((r) => [r.subscription, r.reason_codes]), [['sub_2', ['license_conflict']]]);
  assert.deepEqual(page.jsErrors, []);
});

test('Fabrikam: resolve the conflict on the Licenses page by unassigning two users; the Upgrade tab then offers plans', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Fabrikam').token);
  await page.goto(`${srv.url}/#/t/ten_2/subscriptions/sub_2/upgrade`);
  await page.getByRole('link', { name: 'Resolve license conflicts' }).click();
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  const alert = page.locator('#conflict-alert');
  assert.match(await alert.textContent(), /more users than licenses/);
  assert.match(await alert.textContent(), /Business Standard: 12 assigned, 10 purchased — unassign 2 users or buy 2 more licenses/);
  const unassign = page.getByRole('button', { name: /^Unassign .* from Business Standard$/ });
  await unassign.first().waitFor();
  assert.equal(await unassign.count(), 12);
  await shot(page, 'licenses-conflict-fabrikam');

  await page.getByRole('button', { name: 'Unassign Ada A. from Business Standard' }).click();
  await page.locator('dialog.confirm-dialog [data-confirm="yes"]').click(); // who loses what, confirmed
  await page.getByText('11 users have a license').waitFor();
  assert.match(await alert.textContent(), /11 assigned, 10 purchased — unassign 1 user or buy 1 more license/);
  await page.getByRole('button', { name: 'Unassign Bruno A. from Business Standard' }).click();
  await page.locator('dialog.confirm-dialog [data-confirm="yes"]').click(); // who loses what, confirmed
  await page.locator('#no-conflict').waitFor();
  assert.equal(await page.locator('#conflict-alert').count(), 0);
  const row = page.locator('table').first().locator('tbody tr');
  assert.deepEqual((await texts(row.locator('td'))).slice(0, 3), ['10', '10', '0']);
  await page.getByText('10 users have a license').waitFor();
  await shot(page, 'licenses-resolved-fabrikam');

  await page.getByRole('link', { name: 'Products & services' }).click();
  await page.getByRole('link', { name: 'Upgrade tab of Business Standard' }).click();
  await page.getByRole('heading', { name: 'Plans you can upgrade to' }).waitFor();
  assert.deepEqual(await texts(page.locator('.offer h3')), ['Business Premium', 'Enterprise E3']);
  assert.equal(await page.getByRole('button', { name: /^Upgrade to / }).count(), 2);
  const premium = page.locator('.offer[data-plan="biz-premium"]');
  assert.match(await premium.textContent(), /€220\.00 per month/);
  assert.match(await premium.textContent(), /instead of €125\.00/);
  assert.match(await premium.locator('.gains').textContent(), /Advanced Security/);
  await premium.locator('.preview dd.net').waitFor();
  assert.match(await premium.locator('.preview').textContent(), /Credit for unused days of Business Standard/);
  assert.deepEqual(page.jsErrors, []);
  await shot(page, 'upgrade-offers-fabrikam');
});

test('Blue Yonder: Pay now pays the past-due amount exactly and the Upgrade tab offers plans again', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Blue').token);
  await page.goto(`${srv.url}/#/t/ten_13/subscriptions/sub_17/upgrade`);
  const reason = page.locator('.reason[data-reason="unpaid_balance"]');
  await reason.waitFor();
  assert.match(await reason.locator('.reason-message').textContent(), /unpaid balance of €120\.00/);
  assert.deepEqual(await texts(reason.locator('.remedies a')), ['Pay now']);
  await reason.getByRole('link', { name: 'Pay now' }).click();

  await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
  const amount = page.getByLabel('Amount (EUR)');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'pay-amount');
  assert.equal(await amount.inputValue(), '120.00');
  assert.match(await page.locator('#stat-past-due').textContent(), /€120\.00/);
  assert.match(await page.locator('#past-due-alert').textContent(), /€120\.00 is past due since/);
  await page.locator('.invoice').first().waitFor();
  assert.equal(await page.locator('.invoice').count(), 2);
  await shot(page, 'billing-past-due-blueyonder');

  // A third decimal is refused next to the field, in the page's language.
  await amount.fill('120.005');
  await page.getByRole('button', { name: 'Pay now' }).click();
  const err = page.locator('#pay-now .field-error');
  await err.waitFor();
  assert.equal(await err.textContent(), 'Enter at most 2 decimals.');
  assert.equal(await amount.getAttribute('aria-invalid'), 'true');

  await amount.fill('120.00');
  const paid = page.waitForResponse((r) => r.url().endsWith('/v1/tenants/ten_13/payments') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Pay now' }).click();
  // The amount and what it settles, confirmed before it is paid.
  await page.locator('dialog.confirm-dialog').waitFor();
  assert.match(await page.locator('dialog.confirm-dialog').textContent(), /Pay €120\.00\?.*in full \(€120\.00\)/);
  await page.locator('dialog.confirm-dialog').getByRole('button', { name: 'Pay €120.00' }).click();
  const res = await paid;
  assert.equal(res.status(), 201);
  assert.deepEqual(JSON.parse(res.request().postData()), { amount: 12000 });
  assert.ok(res.request().headers()['idempotency-key'], 'the payment carries an Idempotency-Key');
  await page.locator('#payment-done').waitFor();
  assert.match(await page.locator('#payment-done').textContent(), /Payment of €120\.00 received\..*the Upgrade tab works again/);
  assert.match(await page.locator('#stat-past-due').textContent(), /€0\.00/);
  assert.equal(await page.locator('#past-due-alert').count(), 0);
  await shot(page, 'billing-paid-blueyonder');

  await page.goto(`${srv.url}/#/t/ten_13/subscriptions/sub_17/upgrade`);
  await page.getByRole('heading', { name: 'Plans you can upgrade to' }).waitFor();
  assert.deepEqual(await texts(page.locator('.offer h3')), ['Business Standard', 'Business Premium', 'Enterprise E3']);
  assert.deepEqual(page.jsErrors, []);
});

test('Contoso: upgrade to Business Standard, follow the operation to completion, see the new plan and the moved licenses', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Contoso').token);
  await page.goto(`${srv.url}/#/t/ten_1/subscriptions/sub_1/upgrade`);
  const offer = page.locator('.offer[data-plan="biz-standard"]');
  await offer.locator('.preview dd.net').waitFor();
  assert.match(await offer.textContent(), /€312\.50 per month/);
  assert.match(await offer.textContent(), /€6\.00 → €12\.50 per license per month, for 25 licenses/);
  assert.match(await offer.locator('.gains').textContent(), /Office desktop apps/);
  assert.match(await offer.locator('dd.credit').textContent(), /-€150\.00/);
  assert.match(await offer.locator('dd.charge').textContent(), /€312\.50/);
  assert.match(await offer.locator('dd.net').textContent(), /€162\.50/);
  await shot(page, 'upgrade-offers-contoso');

  // Meanwhile a license conflict appears (seats cut below the 20 assigned):
  // the upgrade is refused, and the reasons show next to its button.
  const token = tenant(srv, 'Contoso').token;
  assert.equal((await srv.api('PATCH', '/v1/tenants/ten_1/subscriptions/sub_1', { token, body: { quantity: 19 } })).status, 200);
  await offer.getByRole('button', { name: 'Upgrade to Business Standard' }).click();
  await page.locator('dialog.confirm-dialog').getByRole('button', { name: 'Confirm upgrade' }).click();
  const refused = offer.locator('.form-error');
  await refused.locator('.reason').waitFor();
  assert.equal(await refused.locator('p').first().textContent(), 'Refused, nothing was changed, because:');
  assert.equal(await refused.locator('.reason').getAttribute('data-reason'), 'license_conflict');
  assert.deepEqual(await texts(refused.locator('.remedies a')), ['Resolve license conflicts', 'Change plans manually', 'Call support']);
  await shot(page, 'upgrade-refused-contoso');
  assert.equal((await srv.api('PATCH', '/v1/tenants/ten_1/subscriptions/sub_1', { token, body: { quantity: 25 } })).status, 200);

  await offer.getByRole('button', { name: 'Upgrade to Business Standard' }).click();
  assert.match(await page.locator('dialog.confirm-dialog').textContent(), /Upgrade 25 licenses from Business Basic to Business Standard\?.*Licenses25.*New total per month€312\.50 instead of €150\.00/);
  await page.locator('dialog.confirm-dialog').getByRole('button', { name: 'Confirm upgrade' }).click();
  const progress = page.locator('.op-progress');
  await page.locator('.op-progress[data-state="completed"]').waitFor();
  assert.match(await progress.textContent(), /Upgrade to Business Standard requested \(op_\d+\)/);
  assert.match(await progress.locator('.op-done h3').textContent(), /Upgrade complete/);
  assert.match(await progress.textContent(), /now on Business Standard \(sub_\d+\); Business Basic has been replaced/);
  assert.match(await progress.locator('.moved').textContent(), /^20 licenses moved to the new plan\.$/);
  await shot(page, 'upgrade-completed-contoso');
  // The page's header follows: the old subscription now shows Replaced, its seats gone.
  await page.locator('.page-head p', { hasText: /Replaced/ }).waitFor();
  assert.match(await page.locator('.page-head p').textContent(), /sub_1.*Replaced.*0 of 25 assigned/);

  await progress.getByRole('link', { name: 'Open Business Standard' }).click();
  await page.getByRole('heading', { name: 'Business Standard', level: 1 }).waitFor();
  assert.match(await page.locator('.page-head p').textContent(), /Active.*20 of 25 assigned/);

  await page.getByRole('link', { name: 'Licenses', exact: true }).click();
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  const rows = page.locator('table').first().locator('tbody tr');
  assert.equal(await rows.count(), 1, 'only the new subscription is live');
  assert.match(await rows.first().textContent(), /Business Standard\s*25\s*20\s*5/);

  await page.getByRole('link', { name: 'Products & services' }).click();
  await page.getByRole('heading', { name: 'Ended subscriptions' }).waitFor();
  assert.match(await page.locator('section', { has: page.getByRole('heading', { name: 'Ended subscriptions' }) }).textContent(), /Business Basic.*Replaced.*Replaced by sub_\d+/);

  await page.getByRole('link', { name: 'Operations' }).click();
  await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
  assert.match(await page.locator('tbody tr').first().textContent(), /Upgrade\s*Completed\s*sub_1\s*Business Standard\s*sub_\d+\s*20 licenses moved/);
  await shot(page, 'operations-contoso');
  assert.deepEqual(page.jsErrors, []);
});

test('Relecloud: the guided manual change shows the prepaid time lost, with its amount, then changes plans', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Relecloud').token);
  await page.goto(`${srv.url}/#/t/ten_9/subscriptions/sub_12/upgrade`);
  const reason = page.locator('.reason[data-reason="prepaid_plan"]');
  await reason.waitFor();
  assert.match(await reason.textContent(), /€3,000\.00/);
  await reason.getByRole('link', { name: 'Change plans manually' }).click();
  await page.getByRole('heading', { name: 'Change plans manually', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('New plan').inputValue(), 'biz-premium');
  assert.equal(await page.getByLabel('Licenses').inputValue(), '20');
  // The switch's own preview, with the body the switch will send.
  const preview = page.waitForResponse((r) => r.url().endsWith('/switch/preview'));
  await page.getByRole('button', { name: 'Review the change' }).click();
  assert.deepEqual(JSON.parse((await preview).request().postData()), { target_plan: 'biz-premium', quantity: 20 });
  const warning = page.locator('.prepaid-warning');
  await warning.waitFor();
  assert.match(await warning.textContent(), /Prepaid time will be lost/);
  assert.match(await warning.textContent(), /365 unused days left on your prepaid subscription: €3,000\.00 will be lost/);
  assert.equal(await page.locator('.data-warning').count(), 0, 'Business Premium keeps every data service');
  assert.equal(await page.getByRole('checkbox', { name: /lose the data/ }).count(), 0);
  await shot(page, 'switch-prepaid-relecloud');

  await page.getByRole('button', { name: 'Change to Business Premium' }).click();
  await page.locator('.op-progress[data-state="completed"]').waitFor();
  assert.match(await page.locator('.op-done').textContent(), /Plans changed.*now on Business Premium \(sub_\d+\); Business Standard has been cancelled/);
  assert.match(await page.locator('.op-done .moved').textContent(), /20 licenses moved/);
  await shot(page, 'switch-completed-relecloud');
  assert.deepEqual(page.jsErrors, []);
});

test('Fourth Coffee: a plan that loses data needs the acknowledgement checkbox before the manual change', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Fourth').token);
  await page.goto(`${srv.url}/#/t/ten_15/subscriptions/sub_19/upgrade`);
  await page.getByRole('heading', { name: 'Plans you can upgrade to' }).waitFor();
  await page.getByLabel("Also show plans that aren't supported upgrades").check();
  const unsupported = page.locator('.reason[data-reason="target_not_supported"]');
  await unsupported.first().waitFor();
  assert.ok(await unsupported.count() >= 1);
  await unsupported.first().getByRole('link', { name: 'Change plans manually' }).click();
  await page.getByRole('heading', { name: 'Change plans manually', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('New plan').inputValue(), 'biz-basic');
  await page.getByRole('button', { name: 'Review the change' }).click();
  await page.locator('.data-warning').waitFor();
  assert.match(await page.locator('.data-warning').textContent(), /Your users could lose data.*Mail Plan 2/);
  const ack = page.getByRole('checkbox', { name: /I understand that my users may lose the data they keep in Mail Plan 2/ });
  await page.getByRole('button', { name: 'Change to Business Basic' }).click();
  const err = page.locator('.review .field-error');
  await err.waitFor();
  assert.equal(await err.textContent(), 'Confirm that you understand the data loss to continue.');
  assert.equal(await ack.getAttribute('aria-invalid'), 'true');
  await shot(page, 'switch-data-loss-fourthcoffee');
  await ack.check();
  const sw = page.waitForResponse((r) => r.url().endsWith('/switch'));
  await page.getByRole('button', { name: 'Change to Business Basic' }).click();
  assert.equal(JSON.parse((await sw).request().postData()).acknowledge_data_loss, true);
  await page.locator('.op-progress[data-state="completed"]').waitFor();
  assert.deepEqual(page.jsErrors, []);
});

test('French: the language switch translates the UI and the reasons, remembers the choice, and formats times in the user time zone', async () => {
  const page = await newPage(browser, { locale: 'en-GB', timezoneId: 'Europe/Paris' });
  await signIn(page, srv.url, tenant(srv, 'Litware').token);
  await page.goto(`${srv.url}/#/t/ten_6/subscriptions/sub_7/upgrade`);
  await page.locator('.reason[data-reason="credit_check_pending"]').waitFor();
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { name: 'Vous ne pouvez pas mettre à niveau cet abonnement pour le moment' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await page.getByRole('tab', { name: 'Mise à niveau' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.locator('#who-role').textContent(), 'Administrateur général');
  assert.ok(await page.locator('#nav').getByRole('link', { name: 'Produits et services' }).isVisible());
  const reason = page.locator('.reason[data-reason="credit_check_pending"]');
  assert.equal(await reason.locator('h3').textContent(), 'Une vérification de solvabilité est en attente');
  // The API's message in French (Accept-Language: fr).
  assert.match(await reason.locator('.reason-message').textContent(), /Une vérification de solvabilité est en attente pour votre organisation/);
  // "wait until" the remedy's time, in French and in Paris time.
  const checks = await srv.api('GET', '/v1/tenants/ten_6/credit-checks', { token: tenant(srv, 'Litware').token });
  const until = new Date(checks.json.items[0].expected_by);
  const paris = new Intl.DateTimeFormat('fr', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' }).format(until);
  const day = new Intl.DateTimeFormat('fr', { day: 'numeric', timeZone: 'Europe/Paris' }).format(until);
  // The time once: in the message, in Paris time; the remedy just says wait.
  assert.match(await reason.locator('.reason-message').textContent(), new RegExp(`attendu d’ici le .*\\b${day}\\b.*2026.*${paris}`));
  assert.equal(await reason.locator('.remedy-text').textContent(), 'Patienter');
  await shot(page, 'upgrade-blocked-litware-fr');

  // Remembered: a new page load stays in French; the Licenses page too.
  await page.reload();
  await page.getByRole('heading', { name: 'Vous ne pouvez pas mettre à niveau cet abonnement pour le moment' }).waitFor();
  await page.getByRole('link', { name: 'Licences' }).click();
  await page.getByRole('heading', { name: 'Licences', level: 1 }).waitFor();
  assert.match(await page.locator('#no-conflict').textContent(), /aucun conflit de licence/);
  await page.getByRole('link', { name: 'Facturation' }).click();
  await page.getByRole('heading', { name: 'Facturation', level: 1 }).waitFor();
  assert.match(await page.locator('#stat-balance').textContent(), /Solde dû\s*\d[\d\s\u202f]*,\d\d\s€/);
  await shot(page, 'billing-litware-fr');

  // Back to English.
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
  assert.deepEqual(page.jsErrors, []);
});

test('Northwind and Woodgrove: wait remedies say until when, or that no time is known', async () => {
  const page = await newPage(browser, { timezoneId: 'America/New_York' });
  await signIn(page, srv.url, tenant(srv, 'Northwind').token);
  await page.goto(`${srv.url}/#/t/ten_3/subscriptions/sub_3/upgrade`);
  const reason = page.locator('.reason[data-reason="subscription_not_ready"]');
  await reason.waitFor();
  const tab = await srv.api('GET', '/v1/tenants/ten_3/subscriptions/sub_3/upgrades', { token: tenant(srv, 'Northwind').token });
  const until = new Date(tab.json.reasons[0].remedies[0].until);
  const ny = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', timeZone: 'America/New_York' }).format(until);
  assert.match(await reason.locator('.reason-message').textContent(), new RegExp(`until about .*2026.*${ny.replace(/\s/g, '\\s')}`));
  assert.equal(await reason.locator('.remedy-text').textContent(), 'Wait', 'the time once, in the message');
  assert.deepEqual(await texts(reason.locator('.remedies a.btn')), ['Call support']);

  const page2 = await newPage(browser);
  await signIn(page2, srv.url, tenant(srv, 'Woodgrove').token);
  await page2.goto(`${srv.url}/#/t/ten_5/subscriptions/sub_5/upgrade`);
  const inProgress = page2.locator('.reason[data-reason="upgrade_in_progress"]');
  await inProgress.waitFor();
  const wg = await srv.api('GET', '/v1/tenants/ten_5/subscriptions/sub_5/upgrades', { token: tenant(srv, 'Woodgrove').token });
  const wgUntil = wg.json.reasons.find((r) => r.code === 'upgrade_in_progress').remedies[0].until;
  assert.ok(wgUntil, 'case upgrade_in_progress says until when');
  assert.match(await inProgress.locator('.reason-message').textContent(), /expected by .*2026/);
  assert.equal(await inProgress.locator('.remedy-text').textContent(), 'Wait');
  assert.ok(await inProgress.getByRole('link', { name: 'See operations' }).isVisible());
  assert.deepEqual([...page.jsErrors, ...page2.jsErrors], []);
});
