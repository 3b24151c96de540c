// The provider's catalog page: the catalog in use with its version and the
// retired plan marked; the operator's versions and a load whose faults are
// shown by field (English and French), then a good load that becomes the
// next version; support staff see the catalog but neither versions nor form.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, shot } from './helpers.mjs';
import { cli } from '../integration/harness.mjs';

let srv;
let browser;

browserSuite({ demo: true }, (s, b) => { [srv, browser] = [s, b]; });

// The catalog in the page's text area, changed by edit(catalog).
async function editCatalog(page, edit) {
  const area = page.getByLabel(/^(Catalog|Catalogue) \(JSON\)$/);
  const c = JSON.parse(await area.inputValue());
  edit(c);
  await area.fill(JSON.stringify(c, null, 2));
}

test('operator: the catalog, its versions, a load refused with its faults by field, then a new version', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, srv.operator);
  await page.locator('#nav').getByRole('link', { name: 'Catalog' }).click();
  await page.getByRole('heading', { name: 'Catalog', level: 1 }).waitFor();
  assert.match(await page.locator('.page-head p').textContent(), /^Version 1,/);
  const legacy = page.locator('#catalog-plans tr', { hasText: 'biz-legacy' });
  assert.match(await legacy.textContent(), /Business Legacy.*Retired/);
  assert.match(await page.locator('#catalog-plans tr', { hasText: 'biz-basic' }).first().textContent(), /On sale/);
  assert.equal(await page.locator('#catalog-versions tbody tr').count(), 1);
  assert.match(await page.locator('#catalog-versions tbody tr').textContent(), /^1.*cli$/);
  await shot(page, 'provider-catalog');

  // Two faults: each listed with the field it names; nothing is loaded.
  await editCatalog(page, (c) => {
    c.plans.find((p) => p.id === 'biz-basic').price_per_seat_month = -1;
    delete c.plans.find((p) => p.id === 'biz-premium').currency;
  });
  await page.getByRole('button', { name: 'Load as a new version' }).click();
  const faults = page.locator('#catalog-faults');
  await faults.waitFor();
  assert.match(await faults.locator('p').textContent(), /not loaded: 2 faults/);
  assert.deepEqual((await faults.locator('li').evaluateAll((ls) => ls.map((l) => l.dataset.path))).sort(),
    ['plans[biz-basic].price_per_seat_month', 'plans[biz-premium].currency']);
  assert.equal(await page.getByLabel('Catalog (JSON)').getAttribute('aria-invalid'), 'true');
  await shot(page, 'provider-catalog-faults');
  assert.equal((await srv.api('GET', '/v1/catalog/versions')).json.items.length, 1, 'case nothing loaded');

  // Not JSON at all: said at once, nothing sent.
  await page.getByLabel('Catalog (JSON)').fill('{"services": [');
  await page.getByRole('button', { name: 'Load as a new version' }).click();
  await page.locator('#catalog-faults li[data-path="catalog"]').waitFor();
  assert.match(await page.locator('#catalog-faults').textContent(), /not valid JSON/);

  // A good one: version 2, with the new price, listed by the token that loaded it.
  await page.reload();
  await page.getByRole('heading', { name: 'Catalog', level: 1 }).waitFor();
  await editCatalog(page, (c) => { c.plans.find((p) => p.id === 'biz-basic').price_per_seat_month = 650; });
  await page.getByRole('button', { name: 'Load as a new version' }).click();
  await page.locator('#catalog-versions tbody tr:nth-child(2)').waitFor();
  assert.match(await page.locator('#catalog-versions tbody tr:nth-child(2)').textContent(), /^2.*tok_\d+$/);
  assert.match(await page.locator('.page-head p').textContent(), /^Version 2,/);
  assert.match(await page.locator('#catalog-plans tr', { hasText: 'biz-basic' }).first().textContent(), /6[.,]50/);

  // Contoso's Business Basic keeps the price it was sold at until its renewal.
  await page.goto(`${srv.url}/#/t/ten_1/subscriptions/sub_1`);
  await page.locator('#sub-price').waitFor();
  assert.match(await page.locator('#sub-price').textContent(), /^€6\.00 per license per month · €6\.50 in today's catalog/);
  // Coho Winery's plan is retired.
  const coho = srv.tenants.find((x) => x.name === 'Coho Winery');
  const [cs] = (await srv.api('GET', `/v1/tenants/${coho.id}/subscriptions`)).json.items;
  await page.goto(`${srv.url}/#/t/${coho.id}/subscriptions/${cs.id}`);
  // A hash change: the previous subscription's #sub-price stays until the
  // new page is drawn, so wait for this one's price, not for the element.
  await page.locator('#sub-price', { hasText: '€5.00' }).waitFor();
  assert.match(await page.locator('#sub-price').textContent(), /€5\.00 per license per month · a retired plan/);
  await shot(page, 'subscription-retired-plan');
  assert.equal(page.jsErrors.length, 0, page.jsErrors.join('\n'));
});

test('French: the faults of a refused load, by field, in French', async () => {
  const page = await newPage(browser, { locale: 'fr-FR' });
  await signIn(page, srv.url, srv.operator);
  await page.goto(`${srv.url}/#/provider/catalog`);
  await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
  assert.match(await page.locator('#catalog-plans tr', { hasText: 'biz-legacy' }).textContent(), /Retiré/);
  await editCatalog(page, (c) => { c.plans.find((p) => p.id === 'biz-basic').currency = 'euro'; });
  await page.getByRole('button', { name: 'Charger comme nouvelle version' }).click();
  await page.locator('#catalog-faults').waitFor();
  assert.match(await page.locator('#catalog-faults p').textContent(), /n'a pas été chargé : 1 erreur/);
  assert.equal(await page.locator('#catalog-faults li').getAttribute('data-path'), 'plans[biz-basic].currency');
  await shot(page, 'provider-catalog-faults-fr');
});

test('support staff: the catalog, without versions or the load form', async () => {
  const r = cli(['token', 'create', '--db', srv.db, '--role', 'support']);
  assert.equal(r.status, 0, r.stderr);
  const page = await newPage(browser);
  await signIn(page, srv.url, r.stdout.trim());
  await page.goto(`${srv.url}/#/provider/catalog`);
  await page.getByRole('heading', { name: 'Catalog', level: 1 }).waitFor();
  await page.locator('#catalog-plans').waitFor();
  assert.equal(await page.locator('#catalog-versions').count(), 0);
  assert.equal(await page.locator('#catalog-load').count(), 0);
});

test('a manual change never offers a retired plan: Adatum\'s Enterprise E5 (no upgrade path) lists the plans it may buy', async () => {
  const adatum = srv.tenants.find((x) => x.name.startsWith('Adatum'));
  const subs = (await srv.api('GET', `/v1/tenants/${adatum.id}/subscriptions`)).json.items;
  const e5 = subs.find((x) => x.plan === 'ent-e5' && x.status === 'active');
  assert.ok(e5, `case Adatum has an active E5: ${JSON.stringify(subs.map((x) => [x.id, x.plan, x.status]))}`);
  const retired = (await srv.api('GET', '/v1/catalog')).json.plans.filter((p) => p.retired).map((p) => p.id);
  assert.ok(retired.length > 0, 'case the demo catalog has a retired plan');
  const page = await newPage(browser);
  await signIn(page, srv.url, adatum.token);
  await page.goto(`${srv.url}/#/t/${adatum.id}/subscriptions/${e5.id}/switch`);
  await page.locator('#switch-target').waitFor({ state: 'attached' });
  const targets = await page.locator('#switch-target option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(targets.length > 0, 'case some plans are offered');
  for (const id of retired) assert.ok(!targets.includes(id), `case the retired ${id} is not offered: ${targets}`);
  assert.deepEqual(page.jsErrors, []);
});
