// Issue 11's "Done when": the admin center shows each wait once, in the
// viewer's time zone, with the same time on every reload. Every reason of
// the demo's Upgrade tabs that names a time (a wait's "until", an incident's
// eta, a credit check, a past-due date) is walked in a zone that is not UTC,
// in English and in French.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, settled } from './helpers.mjs';

let srv;
let browser;

browserSuite({ demo: true }, (s, b) => { [srv, browser] = [s, b]; });

const TIMED = ['subscription_not_ready', 'service_incident', 'upgrade_in_progress', 'credit_check_pending', 'unpaid_balance', 'prepaid_plan'];

// Every demo reason that names a time, with its tenant and subscription.
async function timedReasons() {
  const out = [];
  for (const t of srv.tenants) {
    const subs = (await srv.api('GET', `/v1/tenants/${t.id}/subscriptions`, { token: t.token })).json;
    for (const s of subs.items) {
      const tab = (await srv.api('GET', `/v1/tenants/${t.id}/subscriptions/${s.id}/upgrades`, { token: t.token })).json;
      for (const r of tab.reasons || []) {
        if (TIMED.includes(r.code) || (r.message_times || []).length || (r.remedies || []).some((x) => x.until)) out.push({ t, s, r });
      }
    }
  }
  return out;
}

const card = (page, code) => page.locator(`.reason[data-reason="${code}"]`);
const text = async (loc) => (await loc.textContent()).replace(/\s+/g, ' ').trim();
const count = (hay, needle) => hay.split(needle).length - 1;

for (const [locale, timezoneId] of [['en-US', 'America/New_York'], ['fr-FR', 'Asia/Tokyo']]) {
  test(`each wait once, in the viewer's zone (${locale}, ${timezoneId}), the same on every reload`, async () => {
    const found = await timedReasons();
    const codes = new Set(found.map((x) => x.r.code));
    for (const c of TIMED)
      assert.ok(codes.has(c), `case the demo has a ${c} with a time`);
    // The API's times are stable across reads.
    assert.deepEqual((await timedReasons()).map((x) => x.r), found.map((x) => x.r), 'the same times on a second read');
    const pages = new Map();
    for (const { t, s, r } of found) {
      let page = pages.get(t.id);
      if (!page) {
        page = await newPage(browser, { locale, timezoneId });
        await signIn(page, srv.url, t.token);
        pages.set(t.id, page);
      }
      await page.goto(`${srv.url}/#/t/${t.id}/subscriptions/${s.id}/upgrade`);
      await settled(page);
      const c = card(page, r.code);
      await c.waitFor();
      const shown = await text(c);
      // The server writes "… UTC"; a zone such as Tokyo's may read "UTC+9".
      assert.doesNotMatch(shown, /UTC(?![+\-−\d])/, `${t.name} ${s.id} ${r.code}: no time left in UTC: ${shown}`);
      const instants = new Set([...(r.message_times || []).map((x) => x.time), ...r.remedies.filter((x) => x.until).map((x) => x.until)]);
      for (const iso of instants) {
        const local = await page.evaluate(([iso, lang]) => new Intl.DateTimeFormat(lang, {
          weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
          hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
        }).format(new Date(iso)), [iso, locale.slice(0, 2)]);
        assert.equal(count(shown, local), 1, `${t.name} ${s.id} ${r.code}: ${local} shown once in: ${shown}`);
      }
      await page.reload();
      await settled(page);
      await c.waitFor();
      assert.equal(await text(c), shown, `${t.name} ${s.id} ${r.code}: the same after a reload`);
    }
    for (const page of pages.values()) assert.deepEqual(page.jsErrors, [], 'no script errors');
    // Closed, as a person closes the windows: each holds its connections
    // (serve's per-address limit counts them).
    for (const page of pages.values()) await page.context().close();
  });
}
