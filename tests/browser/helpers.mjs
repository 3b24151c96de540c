// helpers.mjs: the browser suite's shared pieces: Chromium through
// playwright-core (Debian's /usr/bin/chromium, never a downloaded browser),
// the real daemon from the integration harness, sign-in, screenshots.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, before, after, ROOT } from '../integration/harness.mjs';

export { startServer, test, before, after } from '../integration/harness.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const OUT = process.env.PS_TEST_OUT || join(ROOT, 'test-output');
export const SHOTS = join(OUT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

// A daemon (startServer's options) and a browser, started together; when
// one fails to start, the other is stopped before the error is thrown.
export async function startWithBrowser(opts) {
  const [s, b] = await Promise.allSettled([startServer(opts), launch()]);
  if (s.status === 'fulfilled' && b.status === 'fulfilled') return [s.value, b.value];
  await Promise.allSettled([s.value?.stop(), b.value?.close()]);
  throw s.status === 'rejected' ? s.reason : b.reason;
}

/** A test file's daemon (startWithBrowser's options) and browser: started
 * before its tests, given to got(srv, browser) (which may prepare more),
 * and stopped after them. */
export function browserSuite(opts, got) {
  let srv;
  let browser;
  before(async () => {
    [srv, browser] = await startWithBrowser(opts);
    await got(srv, browser);
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new page in its own context: its own browser, as far as the session
 * cookie and storage go. */
export async function newPage(browser, { locale = 'en-US', timezoneId = 'Europe/Paris', width = 1280, height = 860 } = {}) {
  const context = await browser.newContext({ locale, timezoneId, viewport: { width, height }, deviceScaleFactor: 1 });
  return watch(await context.newPage());
}

/** Another tab of the same browser as page: it shares the session cookie. */
export async function newTab(page) {
  return watch(await page.context().newPage());
}

// Errors of the page's scripts, and what the console reports (a refusal of
// the Content-Security-Policy included), in page.jsErrors.
function watch(page) {
  page.setDefaultTimeout(15000); // generous: CI machines may be busy
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  page.jsErrors = errors;
  return page;
}

/** Sign in through the sign-in form (the browser's session, shared by its
 * tabs) and wait for the signed-in header. */
export async function signIn(page, url, token) {
  await page.goto(`${url}/#/signin`);
  await page.getByLabel(/API token|Jeton d’API/).fill(token);
  await page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click();
  await page.locator('#who-role').waitFor();
  await page.locator('h1').first().waitFor();
}

export async function shot(page, name, opts = {}) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, ...opts });
}

export function tenant(srv, prefix) {
  const x = srv.tenants.find((t) => t.name.startsWith(prefix));
  if (!x) throw new Error(`no demo tenant ${prefix}`);
  return x;
}

/** Wait until nothing on the page is loading any more. */
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('main .loading'));
}
