// A narrow screen (390 px wide) and the keyboard: every page fits without
// sideways scrolling, the menu opens and closes, every control has a
// label, and the Upgrade tab works from the keyboard with a visible focus.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, shot, tenant, settled } from './helpers.mjs';

let srv;
let browser;

browserSuite({ demo: true }, (s, b) => { [srv, browser] = [s, b]; });

/** Controls without a label (or an aria-label), by id or name. */
async function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.offsetParent !== null || el.getClientRects().length)
    .filter((el) => {
      if (el.tagName === 'BUTTON') return !(el.textContent.trim() || el.getAttribute('aria-label'));
      return !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
    })
    .map((el) => el.id || el.name || el.outerHTML.slice(0, 60)));
}

async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test('narrow screen (390 px): the menu, and every page without sideways scrolling', async () => {
  const page = await newPage(browser, { width: 390, height: 844 });
  await signIn(page, srv.url, tenant(srv, 'Fabrikam').token);
  const menu = page.getByRole('button', { name: 'Menu' });
  assert.ok(await menu.isVisible());
  assert.equal(await menu.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator('#nav').isVisible(), false);
  await shot(page, 'narrow-products', { fullPage: false });
  await menu.click();
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  await page.locator('#nav').getByRole('link', { name: 'Licenses' }).click();
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  assert.equal(await page.locator('#nav').isVisible(), false, 'the menu closes after choosing a page');

  const pages = [
    ['#/t/ten_2/products', 'Products & services', 'narrow-products-full'],
    ['#/t/ten_2/subscriptions/sub_2/upgrade', 'Business Standard', 'narrow-upgrade-blocked'],
    ['#/t/ten_2/licenses', 'Licenses', 'narrow-licenses'],
    ['#/t/ten_2/billing', 'Billing', 'narrow-billing'],
    ['#/health', 'Service health', 'narrow-health'],
    ['#/t/ten_2/support/new?subscription=sub_2&reasons=license_conflict', 'Call support', 'narrow-support-new'],
    ['#/t/ten_2/subscriptions/sub_2/switch', 'Change plans manually', 'narrow-switch'],
    ['#/t/ten_2/operations', 'Operations', 'narrow-operations'],
    ['#/t/ten_2/tokens', 'API tokens', 'narrow-tokens'],
  ];
  for (const [hash, heading, name] of pages) {
    await page.goto(`${srv.url}/${hash}`);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    await settled(page);
    if (hash.endsWith('/licenses')) await page.locator('.panel-body table').waitFor();
    assert.equal(await overflow(page), 0, `no sideways scrolling on ${hash}`);
    assert.deepEqual(await unlabelled(page), [], `every control labelled on ${hash}`);
    await shot(page, name);
  }

  // An eligible Upgrade tab with its offers, narrow.
  const contoso = await newPage(browser, { width: 390, height: 844 });
  await signIn(contoso, srv.url, tenant(srv, 'Contoso').token);
  await contoso.goto(`${srv.url}/#/t/ten_1/subscriptions/sub_1/upgrade`);
  await contoso.locator('.offer .preview dd.net').nth(2).waitFor();
  assert.equal(await overflow(contoso), 0);
  await shot(contoso, 'narrow-upgrade-offers');
  // The operator's fleet chart fits too.
  const op = await newPage(browser, { width: 390, height: 844 });
  await signIn(op, srv.url, srv.operator);
  await op.goto(`${srv.url}/#/provider/fleet`);
  await op.locator('#fleet-chart').waitFor();
  assert.equal(await overflow(op), 0);
  const box = await op.locator('#fleet-chart').boundingBox();
  assert.ok(box.width <= 390 && box.width > 250, `chart width ${box.width}`);
  await shot(op, 'narrow-fleet');
  assert.deepEqual([...page.jsErrors, ...contoso.jsErrors, ...op.jsErrors], []);
});

test('keyboard: skip link, tabs with arrow keys, a visible focus, and the Upgrade tab used without a mouse', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Alpine').token);
  await page.goto(`${srv.url}/#/t/ten_12/subscriptions/sub_15`);
  await page.getByRole('heading', { name: 'Business Standard', level: 1 }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Business Standard', level: 1 }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  assert.ok(await page.locator('#skip-link').isVisible(), 'the skip link shows when focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');

  // Tab to the tab list, then arrows.
  const overview = page.getByRole('tab', { name: 'Overview' });
  for (let i = 0; i < 10 && !(await overview.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  assert.ok(await overview.evaluate((el) => el === document.activeElement), 'Overview tab reached with Tab');
  const outline = await overview.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.equal(outline, 'solid', 'the focused control shows an outline');
  await page.keyboard.press('ArrowRight');
  const upgrade = page.getByRole('tab', { name: 'Upgrade' });
  assert.equal(await upgrade.getAttribute('aria-selected'), 'true');
  assert.ok(await upgrade.evaluate((el) => el === document.activeElement));
  await page.waitForURL(/\/sub_15\/upgrade$/);
  const reason = page.locator('.reason[data-reason="has_addon"]');
  await reason.waitFor();
  // Tab into the panel's remedies and follow one with Enter.
  let reached = false;
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.textContent === 'Change plans manually')) { reached = true; break; }
  }
  assert.ok(reached, 'the remedy is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Change plans manually', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'page-title', 'focus moves to the new page title');
  await shot(page, 'keyboard-switch-alpine');
  assert.deepEqual(page.jsErrors, []);
});
