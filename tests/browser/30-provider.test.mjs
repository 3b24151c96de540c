// The provider's pages, as the operator: tenants (and acting on one), the
// fleet chart, resolving the open incident, deciding a credit check; and an
// upgrade that waits in provisioning, followed by polling to completion.
// The daemon runs with --provisioning manual.
import assert from 'node:assert/strict';
import { test, browserSuite, newPage, signIn, shot, tenant } from './helpers.mjs';

let srv;
let browser;

browserSuite({ demo: true, args: ['--provisioning', 'manual'] }, (s, b) => { [srv, browser] = [s, b]; });

async function bars(page) {
  return page.locator('#fleet-chart g.bar').evaluateAll((gs) => Object.fromEntries(gs.map((g) => [g.dataset.code, Number(g.dataset.count)])));
}

test('operator: tenants, the fleet chart, resolving the incident, and the Upgrade tab it unblocks', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, srv.operator);
  assert.equal(await page.locator('#who-role').textContent(), 'Operator');
  assert.equal(await page.locator('#who-tenant').textContent(), 'Provider');
  await page.getByRole('heading', { name: 'Tenants', level: 1 }).waitFor();
  assert.equal(await page.locator('#tenant-table tbody tr').count(), 15);
  await page.getByLabel('Filter by name or ID').fill('tail');
  assert.equal(await page.locator('#tenant-table tbody tr').count(), 1);
  await shot(page, 'provider-tenants');

  // The fleet: one bar per reason, drawn in SVG, with the counts of the sweep.
  await page.locator('#nav').getByRole('link', { name: 'Fleet' }).click();
  await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
  const chart = page.getByRole('img', { name: 'Subscriptions blocked, by reason' });
  await chart.waitFor();
  assert.equal(await page.locator('#fleet-chart g.bar').count(), 14);
  const fleet = (await srv.api('GET', '/v1/fleet')).json;
  const counts = await bars(page);
  assert.deepEqual(counts, fleet.blocked_by);
  assert.equal(counts.service_incident, 2);
  assert.equal(counts.license_conflict, 1);
  // Longest bar first; its width is the full track; a zero has no real bar.
  const first = page.locator('#fleet-chart g.bar').first();
  assert.equal(Number(await first.getAttribute('data-count')), Math.max(...Object.values(fleet.blocked_by)));
  assert.equal(await first.locator('rect.chart-bar').getAttribute('width'), '100%');
  assert.equal(await page.locator('#fleet-chart g.bar[data-code="service_busy"] rect.chart-bar').getAttribute('class'), 'chart-bar zero');
  assert.match(await page.locator('#fleet-chart g.bar[data-code="service_incident"]').textContent(), /Service incident\s*2/);
  assert.equal(await page.locator('#fleet-blocked .value').textContent(), String(fleet.blocked));
  await shot(page, 'provider-fleet');

  // Tailspin is blocked by the incident.
  await page.goto(`${srv.url}/#/t/ten_4/subscriptions/sub_4/upgrade`);
  await page.locator('.reason[data-reason="service_incident"]').waitFor();
  assert.match(await page.locator('.acting-banner').textContent(), /acting on Tailspin Toys as Operator/);

  // Resolve it.
  await page.locator('#nav').getByRole('link', { name: 'Incidents' }).click();
  await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
  assert.equal(await page.locator('.open-incidents .reason').count(), 1);
  assert.match(await page.locator('.open-incidents').textContent(), /Advanced Security: delays in applying new policies/);
  // The demo's incident says until when the provider expects it resolved.
  assert.match(await page.locator('.open-incidents .eta').textContent(), /^Expected to be resolved by .*2026/);
  // The operator moves the eta (entered in the viewer's time zone, Paris) and says why.
  const upd = page.locator('form.incident-update').first();
  await upd.getByLabel('Status').selectOption('restoring');
  await upd.getByLabel('Expected resolution (your time)').fill('2031-05-04T15:30');
  await upd.getByLabel('Message (kept in the updates)').fill('Fix rolling out');
  await page.getByRole('button', { name: 'Update incident: Advanced Security: delays in applying new policies' }).click();
  await page.locator('.open-incidents .updates li').first().waitFor();
  assert.match(await page.locator('.open-incidents .eta').textContent(), /^Expected to be resolved by .*2031.*0?3:30 PM/);
  assert.match(await page.locator('.open-incidents .updates').textContent(), /Restoring.*Fix rolling out/i);
  const inc = (await srv.api('GET', '/v1/service-health?status=open')).json.items[0];
  assert.equal(inc.eta, '2031-05-04T13:30:00Z', 'the eta sent in UTC');
  await shot(page, 'provider-incidents-open');
  await page.getByRole('button', { name: 'Resolve incident: Advanced Security: delays in applying new policies' }).click();
  // What it resolves, confirmed first.
  const dlg = page.locator('dialog.confirm-dialog');
  assert.match(await dlg.textContent(), /Resolve “Advanced Security: delays in applying new policies”\?/);
  await dlg.getByRole('button', { name: 'Resolve' }).click();
  await page.locator('#all-healthy').waitFor();
  assert.match(await page.getByRole('region', { name: 'Resolved incidents' }).textContent(), /Advanced Security: delays in applying new policies/);
  await shot(page, 'provider-incidents-resolved');

  // Open a tenant from the list and act on it: Tailspin can upgrade now.
  await page.locator('#nav').getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('link', { name: 'Open Tailspin Toys' }).click();
  await page.getByRole('heading', { name: 'Products & services', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Upgrade tab of Business Premium' }).click();
  await page.getByRole('heading', { name: 'Plans you can upgrade to' }).waitFor();
  assert.deepEqual(await page.locator('.offer h3').allTextContents(), ['Enterprise E5']);
  assert.equal(await page.getByRole('button', { name: 'Upgrade to Enterprise E5' }).count(), 1);

  // The fleet, recomputed, no longer counts the incident.
  await page.goto(`${srv.url}/#/provider/fleet`);
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await page.waitForFunction(() => document.querySelector('#fleet-chart g.bar[data-code="service_incident"]')?.dataset.count === '0');

  // Open an incident from the form (on a service Contoso's plans do not have).
  await page.locator('#nav').getByRole('link', { name: 'Incidents' }).click();
  await page.getByLabel('Service', { exact: true }).selectOption('voice');
  await page.getByLabel('Status', { exact: true }).selectOption('interrupted');
  await page.getByRole('button', { name: 'Open incident' }).click();
  await page.locator('#open-incident .field-error').waitFor();
  assert.equal(await page.getByLabel('Title', { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Title', { exact: true }).fill('Phone System: calls dropping in Europe');
  await page.getByRole('button', { name: 'Open incident' }).click();
  await page.locator('.open-incidents .reason').waitFor();
  assert.match(await page.locator('.open-incidents').textContent(), /Phone System: calls dropping in Europe.*Interrupted.*Phone System/s);
  assert.deepEqual(page.jsErrors, []);
});

test('operator: a pending credit check is approved from the Credit checks page', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, srv.operator);
  await page.locator('#nav').getByRole('link', { name: 'Credit checks' }).click();
  await page.getByRole('heading', { name: 'Credit checks', level: 1 }).waitFor();
  const pending = page.getByRole('region', { name: 'Waiting for a decision' });
  await pending.waitFor();
  assert.equal(await pending.locator('tbody tr').count(), 1);
  assert.match(await pending.textContent(), /cc_1\s*Litware Inc/);
  await shot(page, 'provider-credit-checks');
  await page.getByRole('button', { name: 'Approve cc_1 for Litware Inc' }).click();
  await page.getByText('No credit check is waiting.').waitFor();
  assert.match(await page.getByRole('region', { name: 'Decided' }).textContent(), /cc_1\s*Litware Inc\s*Approved/);
  const checks = await srv.api('GET', '/v1/tenants/ten_6/credit-checks');
  assert.equal(checks.json.items[0].status, 'approved');
  assert.deepEqual(page.jsErrors, []);
});

test('Contoso: an upgrade waiting in provisioning is polled until the operator activates it', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, tenant(srv, 'Contoso').token);
  await page.goto(`${srv.url}/#/t/ten_1/subscriptions/sub_1/upgrade`);
  const offer = page.locator('.offer[data-plan="biz-premium"]');
  await offer.getByRole('button', { name: 'Upgrade to Business Premium' }).click();
  await page.locator('dialog.confirm-dialog').getByRole('button', { name: 'Confirm upgrade' }).click();
  await page.locator('.op-progress[data-state="provisioning"]').waitFor();
  assert.match(await page.locator('.op-progress').textContent(), /Setting up the new subscription…/);
  await shot(page, 'upgrade-provisioning-contoso');

  const polled = page.waitForResponse((r) => /\/v1\/tenants\/ten_1\/operations\/op_\d+$/.test(r.url()));
  const ops = await srv.api('GET', '/v1/tenants/ten_1/operations');
  const op = ops.json.items.find((o) => o.state === 'provisioning' && o.source === 'sub_1');
  assert.ok(op && op.new_subscription, JSON.stringify(ops.json));
  await polled; // the page polls while it waits
  const r = await srv.api('PUT', `/v1/tenants/ten_1/subscriptions/${op.new_subscription}/status`, { body: { status: 'active' } });
  assert.equal(r.status, 200, r.text);
  await page.locator('.op-progress[data-state="completed"]').waitFor({ timeout: 25000 });
  assert.match(await page.locator('.op-done').textContent(), /Upgrade complete.*Business Premium/);
  assert.deepEqual(page.jsErrors, []);
});
