// 40-upgrade-tab: the Upgrade tab (RULES.md) over HTTP against the real daemon.
// The demo world has one tenant per reason; each tab is checked for its exact
// reason codes in RULES order, their details and remedies. Then live cases
// on a fresh store (an incident opened and resolved, a licence conflict made
// and cleared), French messages, and the capacity limit (service_busy).
import assert from 'node:assert/strict';
import { test, before, after, startServers, stopServers, newTenant, tokenFor } from './harness.mjs';

let demo; // the demo world
let demoT0, demoT1; // when the demo store was made (ms), around init
let live; // an empty store for the live cases
let busy; // a demo world under --upgrade-capacity 1

before(async () => {
  demoT0 = Math.floor(Date.now() / 1000) * 1000;
  [demo, live, busy] = await startServers([{ demo: true }, {}, { demo: true, args: ['--upgrade-capacity', '1'] }]);
  demoT1 = Date.now();
});

after(async () => {
  await stopServers([demo, live, busy]);
});

// The remedies of each reason, in RULES order.
const REMEDIES = {
  license_conflict: ['resolve_license_conflicts', 'change_plans_manually', 'call_support'],
  subscription_not_ready: ['wait', 'call_support'],
  service_incident: ['wait', 'call_support'],
  upgrade_in_progress: ['wait'],
  credit_check_pending: ['wait'],
  not_eligible: ['change_plans_manually', 'call_support'],
  multiple_plans_same_product: ['change_plans_manually', 'call_support'],
  prepaid_plan: ['schedule_at_term_end', 'change_plans_manually', 'call_support'],
  segment_restricted: ['change_plans_manually', 'call_support'],
  service_busy: ['retry_later'],
  target_not_supported: ['change_plans_manually', 'call_support'],
  has_addon: ['change_plans_manually', 'call_support'],
  unpaid_balance: ['pay_now'],
  other: ['change_plans_manually', 'call_support'],
};
const ORDER = Object.keys(REMEDIES);

function tenant(srv, name) {
  const t = srv.tenants.find((x) => x.name === name);
  assert.ok(t, `case demo tenant ${name}: not in the init output (${srv.tenants.map((x) => x.name)})`);
  return t;
}

async function subsOf(srv, t) {
  const r = await srv.api('GET', `/v1/tenants/${t.id}/subscriptions?limit=500`, { token: t.token });
  assert.equal(r.status, 200, `case ${t.name} subscriptions: got ${r.status} ${r.text}, want 200`);
  return r.json.items;
}

async function tab(srv, t, sub, { query = '', headers = {}, token = t.token } = {}) {
  const r = await srv.api('GET', `/v1/tenants/${t.id}/subscriptions/${sub}/upgrades${query}`, { token, headers });
  assert.equal(r.status, 200, `case ${t.name} ${sub} upgrades: got ${r.status} ${r.text}, want 200`);
  return r.json;
}

// Check the shape every tab shares, and that its reasons are exactly `codes`
// (in RULES order); returns the reasons by code.
function expectReasons(v, codes, name, { tenantId, sub } = {}) {
  const got = v.reasons.map((r) => r.code);
  assert.deepEqual(got, codes, `case ${name}: got reasons ${JSON.stringify(got)}, want ${JSON.stringify(codes)}`);
  const idx = got.map((c) => ORDER.indexOf(c));
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b), `case ${name}: reasons not in RULES order: ${got}`);
  assert.equal(v.eligible, codes.length === 0, `case ${name}: got eligible ${v.eligible}, want ${codes.length === 0}`);
  if (sub) assert.equal(v.subscription, sub, `case ${name}: got subscription ${v.subscription}, want ${sub}`);
  const by = {};
  for (const r of v.reasons) {
    assert.equal(typeof r.message, 'string', `case ${name} ${r.code}: got message ${r.message}`);
    assert.ok(r.message.length > 20, `case ${name} ${r.code}: got message "${r.message}", want a sentence`);
    assert.ok(!/\{[a-z_]+\}/.test(r.message), `case ${name} ${r.code}: unexpanded placeholder in "${r.message}"`);
    assert.equal(typeof r.details, 'object', `case ${name} ${r.code}: got details ${JSON.stringify(r.details)}`);
    const actions = r.remedies.map((x) => x.action);
    assert.deepEqual(actions, REMEDIES[r.code],
      `case ${name} ${r.code}: got remedies ${JSON.stringify(actions)}, want ${JSON.stringify(REMEDIES[r.code])}`);
    for (const rem of r.remedies) {
      if (rem.href !== undefined) {
        assert.match(rem.href, /^\/v1\//, `case ${name} ${r.code} ${rem.action}: got href ${rem.href}, want /v1/...`);
        if (tenantId && rem.href.startsWith('/v1/tenants/')) {
          assert.ok(rem.href.startsWith(`/v1/tenants/${tenantId}/`),
            `case ${name} ${r.code} ${rem.action}: got href ${rem.href}, want one of ${tenantId}`);
        }
      }
    }
    by[r.code] = r;
  }
  // Whole-subscription reasons block every offer.
  if (codes.length) {
    for (const o of v.offers) {
      assert.equal(o.eligible, false, `case ${name}: offer ${o.plan} eligible while blocked by ${codes}`);
    }
  }
  return by;
}

const remedy = (r, action) => r.remedies.find((x) => x.action === action);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// t plus n business days (weekends skipped), the time of day kept.
function addBusinessDays(isoTime, n) {
  const d = new Date(isoTime);
  while (n > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) n--;
  }
  return iso(d.getTime());
}

function within(isoTime, lo, hi, name) {
  const t = Date.parse(isoTime);
  assert.ok(t >= lo - 1000 && t <= hi + 1000,
    `case ${name}: got ${isoTime}, want between ${iso(lo)} and ${iso(hi)}`);
}

// ---- the demo world, one tenant per reason -----------------------------------

test('demo: every tenant of the seed is there with a token', () => {
  const names = demo.tenants.map((t) => t.name);
  for (const n of ['Contoso Ltd', 'Fabrikam Inc', 'Northwind Traders', 'Tailspin Toys', 'Woodgrove Bank',
    'Litware Inc', 'Adatum Corp', 'Proseware', 'Relecloud', 'Ville de Lyon', 'Helping Hands', 'Alpine Ski House',
    'Blue Yonder Airlines', 'Coho Winery', 'Fourth Coffee']) {
    assert.ok(names.includes(n), `case demo tenant ${n}: got ${JSON.stringify(names)}`);
  }
});

test('the fleet adds up: only live subscriptions are eligible or blocked (Adatum\'s expired one is neither)', async () => {
  const f = (await demo.api('GET', '/v1/fleet?fresh=1')).json;
  const subs = [];
  for (const t of demo.tenants) subs.push(...(await demo.api('GET', `/v1/tenants/${t.id}/subscriptions?limit=500`)).json.items);
  const live = subs.filter((x) => ['provisioning', 'active', 'disabled'].includes(x.status)).length;
  assert.equal(f.subscriptions, subs.length, 'case every subscription swept');
  assert.ok(live < subs.length, 'case the demo has an ended subscription');
  assert.equal(f.live, live, 'case live');
  assert.equal(f.eligible + f.blocked, f.live, `case eligible ${f.eligible} + blocked ${f.blocked} = live ${f.live}`);
  // A reason counts live subscriptions only: no more than are blocked.
  for (const [code, n] of Object.entries(f.blocked_by)) assert.ok(n <= f.blocked, `case blocked_by.${code} ${n} <= blocked ${f.blocked}`);
});

test('Contoso: eligible, offers biz-standard, biz-premium, ent-e3 with prices', async () => {
  const t = tenant(demo, 'Contoso Ltd');
  const [s] = await subsOf(demo, t);
  assert.equal(s.plan, 'biz-basic', `case Contoso plan: got ${s.plan}`);
  const v = await tab(demo, t, s.id);
  expectReasons(v, [], 'Contoso', { tenantId: t.id, sub: s.id });
  const prices = { 'biz-standard': 1250, 'biz-premium': 2200, 'ent-e3': 3600 };
  assert.deepEqual(v.offers.map((o) => o.plan), Object.keys(prices), `case Contoso offers: got ${v.offers.map((o) => o.plan)}`);
  for (const o of v.offers) {
    assert.equal(o.eligible, true, `case Contoso offer ${o.plan}: got eligible ${o.eligible}, want true`);
    assert.equal(o.upgrade_type, 'automatic', `case Contoso offer ${o.plan}: got upgrade_type ${o.upgrade_type}`);
    assert.deepEqual(o.reasons, [], `case Contoso offer ${o.plan}: got reasons ${JSON.stringify(o.reasons)}`);
    assert.equal(o.price.monthly_before, 600 * s.quantity,
      `case Contoso ${o.plan} monthly_before: got ${o.price.monthly_before}, want ${600 * s.quantity}`);
    assert.equal(o.price.monthly_after, prices[o.plan] * s.quantity,
      `case Contoso ${o.plan} monthly_after: got ${o.price.monthly_after}, want ${prices[o.plan] * s.quantity}`);
    assert.equal(o.price.currency, 'EUR', `case Contoso ${o.plan} currency: got ${o.price.currency}`);
  }
  // A reader of the tenant sees the same tab; another tenant's admin gets 404.
  const reader = await tokenFor(demo, t.id, 'reader');
  const rv = await tab(demo, t, s.id, { token: reader });
  assert.deepEqual(rv, v, 'case Contoso tab as reader differs from global_admin');
  const other = tenant(demo, 'Fabrikam Inc');
  const x = await demo.api('GET', `/v1/tenants/${t.id}/subscriptions/${s.id}/upgrades`, { token: other.token });
  assert.equal(x.status, 404, `case Contoso tab as Fabrikam: got ${x.status}, want 404`);
  const bad = await demo.api('GET', `/v1/tenants/${t.id}/subscriptions/${s.id}/upgrades?include_unsupported=maybe`,
    { token: t.token });
  assert.equal(bad.status, 400, `case include_unsupported=maybe: got ${bad.status}, want 400`);
  assert.equal(bad.json.error.field, 'include_unsupported', `case include_unsupported=maybe: got ${bad.text}`);
});

test('Fabrikam: license_conflict, 10 purchased and 12 assigned', async () => {
  const t = tenant(demo, 'Fabrikam Inc');
  const [s] = await subsOf(demo, t);
  const v = await tab(demo, t, s.id);
  const { license_conflict: r } = expectReasons(v, ['license_conflict'], 'Fabrikam', { tenantId: t.id, sub: s.id });
  assert.deepEqual(r.details.subscriptions, [{ subscription: s.id, plan: 'biz-standard', purchased: 10, assigned: 12 }],
    `case Fabrikam details: got ${JSON.stringify(r.details)}`);
  assert.equal(remedy(r, 'resolve_license_conflicts').href, `/v1/tenants/${t.id}/licenses`,
    `case Fabrikam resolve href: got ${remedy(r, 'resolve_license_conflicts').href}`);
  for (const rem of r.remedies) {
    assert.equal(typeof rem.href, 'string', `case Fabrikam ${rem.action}: got no href`);
  }
  // The link leads to the licenses page, which shows the same conflict.
  const lic = await demo.api('GET', remedy(r, 'resolve_license_conflicts').href, { token: t.token });
  assert.equal(lic.status, 200, `case Fabrikam licenses href: got ${lic.status}`);
  const l = lic.json.items.find((x) => x.subscription === s.id);
  assert.deepEqual([l.purchased, l.assigned, l.conflict], [10, 12, true], `case Fabrikam licenses: got ${JSON.stringify(l)}`);
  assert.match(r.message, /license/i, `case Fabrikam English message: got "${r.message}"`);
});

test('Northwind: subscription_not_ready, wait with until a few hours ahead', async () => {
  const t = tenant(demo, 'Northwind Traders');
  const [s] = await subsOf(demo, t);
  assert.equal(s.status, 'provisioning', `case Northwind status: got ${s.status}`);
  const t0 = Date.now();
  const v = await tab(demo, t, s.id);
  const t1 = Date.now();
  const { subscription_not_ready: r } = expectReasons(v, ['subscription_not_ready'], 'Northwind',
    { tenantId: t.id, sub: s.id });
  assert.deepEqual(r.details, { status: 'provisioning' }, `case Northwind details: got ${JSON.stringify(r.details)}`);
  const w = remedy(r, 'wait');
  assert.ok(w.until, `case Northwind wait: got ${JSON.stringify(w)}, want an until`);
  const ahead = Date.parse(w.until) - t1;
  assert.ok(ahead >= 3600 * 1000 && Date.parse(w.until) - t0 <= 24 * 3600 * 1000,
    `case Northwind wait until: got ${w.until}, want a few hours after ${iso(t0)}`);
});

test('Tailspin: service_incident on service security', async () => {
  const t = tenant(demo, 'Tailspin Toys');
  const [s] = await subsOf(demo, t);
  const v = await tab(demo, t, s.id);
  const { service_incident: r } = expectReasons(v, ['service_incident'], 'Tailspin', { tenantId: t.id, sub: s.id });
  assert.equal(r.details.incidents.length, 1, `case Tailspin incidents: got ${JSON.stringify(r.details)}`);
  const inc = r.details.incidents[0];
  assert.match(inc.id, /^inc_\d+$/, `case Tailspin incident id: got ${inc.id}`);
  assert.equal(inc.service, 'security', `case Tailspin incident service: got ${inc.service}, want security`);
  assert.equal(inc.status, 'degraded', `case Tailspin incident status: got ${inc.status}, want degraded`);
  // The same incident is listed, open, in service health.
  const h = await demo.api('GET', '/v1/service-health?status=open', { token: t.token });
  assert.ok(h.json.items.some((i) => i.id === inc.id && i.service === 'security'),
    `case Tailspin incident in service health: got ${h.text}`);
});

test('Woodgrove: upgrade_in_progress on the biz-basic subscription', async () => {
  const t = tenant(demo, 'Woodgrove Bank');
  const subs = await subsOf(demo, t);
  const basic = subs.find((x) => x.plan === 'biz-basic');
  const mail = subs.find((x) => x.plan === 'mail-p1');
  assert.ok(basic && mail, `case Woodgrove subscriptions: got ${JSON.stringify(subs.map((x) => x.plan))}`);
  const v = await tab(demo, t, basic.id);
  const { upgrade_in_progress: r } = expectReasons(v, ['upgrade_in_progress'], 'Woodgrove biz-basic',
    { tenantId: t.id, sub: basic.id });
  assert.match(r.details.id, /^op_\d+$/, `case Woodgrove operation id: got ${JSON.stringify(r.details)}`);
  assert.equal(r.details.subscription, mail.id, `case Woodgrove operation source: got ${r.details.subscription}, want ${mail.id}`);
  assert.equal(r.details.state, 'provisioning', `case Woodgrove operation state: got ${r.details.state}`);
  const vm = await tab(demo, t, mail.id);
  const m = expectReasons(vm, ['upgrade_in_progress'], 'Woodgrove mail-p1', { tenantId: t.id, sub: mail.id });
  assert.equal(m.upgrade_in_progress.details.id, r.details.id, 'case Woodgrove: the two tabs name different operations');
});

test('Litware: credit_check_pending, expected two business days after it was asked', async () => {
  const t = tenant(demo, 'Litware Inc');
  const [s] = await subsOf(demo, t);
  const v = await tab(demo, t, s.id);
  const { credit_check_pending: r } = expectReasons(v, ['credit_check_pending'], 'Litware', { tenantId: t.id, sub: s.id });
  within(r.details.requested_at, demoT0, demoT1, 'Litware requested_at (the demo init)');
  const want = addBusinessDays(r.details.requested_at, 2);
  assert.equal(r.details.expected_by, want, `case Litware expected_by: got ${r.details.expected_by}, want ${want}`);
  assert.equal(remedy(r, 'wait').until, want, `case Litware wait until: got ${remedy(r, 'wait').until}, want ${want}`);
});

test('Adatum: not_eligible (expired), and no_upgrade_path on ent-e5', async () => {
  const t = tenant(demo, 'Adatum Corp');
  const subs = await subsOf(demo, t);
  const expired = subs.find((x) => x.plan === 'biz-basic');
  const e5 = subs.find((x) => x.plan === 'ent-e5');
  assert.equal(expired.status, 'expired', `case Adatum biz-basic status: got ${expired.status}`);
  const v = await tab(demo, t, expired.id);
  const a = expectReasons(v, ['not_eligible'], 'Adatum expired', { tenantId: t.id, sub: expired.id });
  assert.deepEqual(a.not_eligible.details, { status: 'expired' }, `case Adatum expired details: got ${JSON.stringify(a.not_eligible.details)}`);
  // ent-e5 delivers "security", on which Tailspin's incident is open
  // system-wide: that reason (3) comes before not_eligible (6).
  const v5 = await tab(demo, t, e5.id);
  const b = expectReasons(v5, ['service_incident', 'not_eligible'], 'Adatum ent-e5', { tenantId: t.id, sub: e5.id });
  assert.equal(b.not_eligible.details.no_upgrade_path, true,
    `case Adatum ent-e5 no_upgrade_path: got ${JSON.stringify(b.not_eligible.details)}`);
  assert.equal(b.not_eligible.details.status, 'active', `case Adatum ent-e5 status: got ${b.not_eligible.details.status}`);
  assert.deepEqual(v5.offers, [], `case Adatum ent-e5 offers: got ${JSON.stringify(v5.offers)}, want none`);
});

test('Proseware: multiple_plans_same_product on both of its Business subscriptions', async () => {
  const t = tenant(demo, 'Proseware');
  const subs = await subsOf(demo, t);
  assert.equal(subs.length, 2, `case Proseware subscriptions: got ${subs.length}`);
  for (const s of subs) {
    const v = await tab(demo, t, s.id);
    const { multiple_plans_same_product: r } = expectReasons(v, ['multiple_plans_same_product'], `Proseware ${s.plan}`,
      { tenantId: t.id, sub: s.id });
    assert.equal(r.details.product, 'business', `case Proseware product: got ${r.details.product}`);
    const listed = r.details.subscriptions.map((x) => x.subscription).sort();
    assert.deepEqual(listed, subs.map((x) => x.id).sort(), `case Proseware listed: got ${JSON.stringify(listed)}`);
  }
});

test('Relecloud: prepaid_plan with what would be lost', async () => {
  const t = tenant(demo, 'Relecloud');
  const [s] = await subsOf(demo, t);
  assert.equal(s.prepaid, true, `case Relecloud prepaid: got ${s.prepaid}`);
  const v = await tab(demo, t, s.id);
  const { prepaid_plan: r } = expectReasons(v, ['prepaid_plan'], 'Relecloud', { tenantId: t.id, sub: s.id });
  assert.equal(r.details.term_end, s.term_end, `case Relecloud term_end: got ${r.details.term_end}, want ${s.term_end}`);
  assert.ok(Number.isInteger(r.details.unused_days) && r.details.unused_days >= 364 && r.details.unused_days <= 366,
    `case Relecloud unused_days: got ${r.details.unused_days}, want about a year`);
  const whole = 1250 * s.quantity * 12;
  assert.ok(Number.isInteger(r.details.unused_value) && r.details.unused_value > 0 && r.details.unused_value <= whole,
    `case Relecloud unused_value: got ${r.details.unused_value}, want in (0, ${whole}]`);
  assert.ok(r.details.unused_value >= whole * 0.99, `case Relecloud unused_value: got ${r.details.unused_value}, want nearly ${whole}`);
});

test('Ville de Lyon and Helping Hands: segment_restricted', async () => {
  for (const [name, segment] of [['Ville de Lyon', 'government'], ['Helping Hands', 'nonprofit']]) {
    const t = tenant(demo, name);
    const [s] = await subsOf(demo, t);
    const v = await tab(demo, t, s.id);
    const { segment_restricted: r } = expectReasons(v, ['segment_restricted'], name, { tenantId: t.id, sub: s.id });
    assert.deepEqual(r.details, { segment }, `case ${name} details: got ${JSON.stringify(r.details)}`);
  }
});

test('Alpine Ski House: has_addon naming the add-on', async () => {
  const t = tenant(demo, 'Alpine Ski House');
  const subs = await subsOf(demo, t);
  const base = subs.find((x) => x.plan === 'biz-standard');
  const addon = subs.find((x) => x.plan === 'voice-addon');
  assert.equal(addon.addon_of, base.id, `case Alpine add-on: got addon_of ${addon.addon_of}, want ${base.id}`);
  const v = await tab(demo, t, base.id);
  const { has_addon: r } = expectReasons(v, ['has_addon'], 'Alpine', { tenantId: t.id, sub: base.id });
  assert.deepEqual(r.details.subscriptions, [{ subscription: addon.id, plan: 'voice-addon' }],
    `case Alpine details: got ${JSON.stringify(r.details)}`);
});

test('Blue Yonder: unpaid_balance of 12000 EUR, pay_now', async () => {
  const t = tenant(demo, 'Blue Yonder Airlines');
  const [s] = await subsOf(demo, t);
  const v = await tab(demo, t, s.id);
  const { unpaid_balance: r } = expectReasons(v, ['unpaid_balance'], 'Blue Yonder', { tenantId: t.id, sub: s.id });
  assert.equal(r.details.amount_due, 12000, `case Blue Yonder amount_due: got ${r.details.amount_due}, want 12000`);
  assert.equal(r.details.currency, 'EUR', `case Blue Yonder currency: got ${r.details.currency}, want EUR`);
  within(r.details.oldest_due, demoT0 - 15 * 86400000, demoT1 - 15 * 86400000, 'Blue Yonder oldest_due (15 days ago)');
  assert.deepEqual(r.remedies.map((x) => x.action), ['pay_now'], `case Blue Yonder remedies: got ${JSON.stringify(r.remedies)}`);
});

test('Coho Winery: a retired plan, kept at its price, eligible to move away from it', async () => {
  const t = tenant(demo, 'Coho Winery');
  const [s] = await subsOf(demo, t);
  assert.equal(s.plan, 'biz-legacy', `case Coho plan: got ${s.plan}`);
  assert.equal(s.price_per_seat_month, 500, `case Coho price as sold: got ${s.price_per_seat_month}`);
  const cat = await demo.api('GET', '/v1/catalog', { token: t.token });
  const legacy = cat.json.plans.find((p) => p.id === 'biz-legacy');
  assert.equal(legacy && legacy.retired, true, `case Coho plan retired in the catalog: got ${JSON.stringify(legacy)}`);
  const v = await tab(demo, t, s.id);
  expectReasons(v, [], 'Coho', { tenantId: t.id, sub: s.id });
  assert.deepEqual(v.offers.map((o) => [o.plan, o.eligible]), [['biz-standard', true], ['biz-premium', true]],
    `case Coho offers: got ${JSON.stringify(v.offers)}`);
});

test('Fourth Coffee: only ent-e3 by default; unsafe targets only on request, manual, target_not_supported', async () => {
  const t = tenant(demo, 'Fourth Coffee');
  const [s] = await subsOf(demo, t);
  assert.equal(s.plan, 'mail-p2', `case Fourth Coffee plan: got ${s.plan}`);
  const v = await tab(demo, t, s.id);
  expectReasons(v, [], 'Fourth Coffee', { tenantId: t.id, sub: s.id });
  assert.deepEqual(v.offers.map((o) => [o.plan, o.eligible, o.upgrade_type]), [['ent-e3', true, 'automatic']],
    `case Fourth Coffee default offers: got ${JSON.stringify(v.offers.map((o) => o.plan))}`);
  const f = await tab(demo, t, s.id, { query: '?include_unsupported=false' });
  assert.deepEqual(f.offers.map((o) => o.plan), ['ent-e3'], 'case include_unsupported=false: want only ent-e3');

  const all = await tab(demo, t, s.id, { query: '?include_unsupported=true' });
  expectReasons(all, [], 'Fourth Coffee (all)', { tenantId: t.id, sub: s.id });
  assert.equal(all.offers[0].plan, 'ent-e3', `case declared target first: got ${all.offers[0].plan}`);
  assert.equal(all.offers[0].eligible, true, 'case ent-e3 stays eligible with include_unsupported');
  const plans = all.offers.map((o) => o.plan);
  for (const p of ['biz-basic', 'biz-standard', 'biz-premium', 'mail-p1']) {
    assert.ok(plans.includes(p), `case include_unsupported: got ${JSON.stringify(plans)}, want ${p} in it`);
  }
  assert.ok(!plans.includes('mail-p2'), 'case include_unsupported: the current plan is not a target');
  assert.ok(!plans.includes('voice-addon'), 'case include_unsupported: an add-on is not a target');
  // Plans this commercial tenant could not buy (government, nonprofit) are not offered even manually.
  const unbuyable = plans.filter((p) => /-(gov|np)$/.test(p));
  assert.deepEqual(unbuyable, [], `case include_unsupported: got plans it cannot buy ${JSON.stringify(unbuyable)}`);
  for (const p of ['biz-basic', 'biz-standard', 'biz-premium', 'mail-p1']) {
    const o = all.offers.find((x) => x.plan === p);
    assert.equal(o.eligible, false, `case ${p}: got eligible ${o.eligible}, want false`);
    assert.equal(o.upgrade_type, 'manual', `case ${p}: got upgrade_type ${o.upgrade_type}, want manual`);
    assert.deepEqual(o.reasons.map((r) => r.code), ['target_not_supported'], `case ${p}: got reasons ${JSON.stringify(o.reasons)}`);
    const r = o.reasons[0];
    assert.deepEqual(r.remedies.map((x) => x.action), REMEDIES.target_not_supported, `case ${p} remedies`);
    assert.deepEqual(r.details.missing_services, [], `case ${p} missing_services: got ${JSON.stringify(r.details.missing_services)}`);
    assert.equal(r.details.lower_services.length, 1, `case ${p} lower_services: got ${JSON.stringify(r.details.lower_services)}`);
    const low = r.details.lower_services[0];
    assert.deepEqual([low.id, low.target_service], ['mail-2', 'mail-1'],
      `case ${p} lower_services: got ${JSON.stringify(low)}, want mail-2 → mail-1`);
    assert.match(r.message, /Mail Plan 1/, `case ${p} message names the lower service: got "${r.message}"`);
  }
  // Every unsupported target is manual and not eligible.
  for (const o of all.offers.slice(1)) {
    assert.deepEqual([o.eligible, o.upgrade_type], [false, 'manual'], `case ${o.plan}: got ${o.eligible} ${o.upgrade_type}`);
  }
});

test('French: Accept-Language: fr and ?lang=fr give French messages; codes and details do not change', async () => {
  const t = tenant(demo, 'Fabrikam Inc');
  const [s] = await subsOf(demo, t);
  const en = await tab(demo, t, s.id);
  const fr = await tab(demo, t, s.id, { headers: { 'Accept-Language': 'fr' } });
  const q = await tab(demo, t, s.id, { query: '?lang=fr' });
  const frFR = await tab(demo, t, s.id, { headers: { 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.8' } });
  const enMsg = en.reasons[0].message;
  const frMsg = fr.reasons[0].message;
  assert.notEqual(frMsg, enMsg, `case fr: got the English message "${frMsg}"`);
  assert.match(frMsg, /licence/, `case fr: got "${frMsg}", want the word "licence"`);
  assert.match(frMsg, /mise à niveau/, `case fr: got "${frMsg}", want "mise à niveau"`);
  assert.doesNotMatch(enMsg, /licence|mise à niveau/, `case en: got "${enMsg}", want English`);
  assert.equal(q.reasons[0].message, frMsg, `case ?lang=fr: got "${q.reasons[0].message}", want "${frMsg}"`);
  assert.equal(frFR.reasons[0].message, frMsg, `case fr-FR: got "${frFR.reasons[0].message}", want "${frMsg}"`);
  const strip = (v) => JSON.stringify({ ...v, reasons: v.reasons.map(({ message, ...rest }) => rest) });
  assert.equal(strip(fr), strip(en), 'case fr: codes, details or remedies differ from English');
  // English stays the default, and an unknown language falls back to it.
  for (const h of ['en', 'en-GB', 'de', '*', '']) {
    const x = await tab(demo, t, s.id, { headers: h ? { 'Accept-Language': h } : {} });
    assert.equal(x.reasons[0].message, enMsg, `case Accept-Language ${JSON.stringify(h)}: got "${x.reasons[0].message}"`);
  }
  // Another reason in French too: the unsafe target's message.
  const fc = tenant(demo, 'Fourth Coffee');
  const [fs] = await subsOf(demo, fc);
  const fenAll = await tab(demo, fc, fs.id, { query: '?include_unsupported=true' });
  const ffrAll = await tab(demo, fc, fs.id, { query: '?include_unsupported=true&lang=fr' });
  const m1 = fenAll.offers.find((o) => o.plan === 'biz-basic').reasons[0].message;
  const m2 = ffrAll.offers.find((o) => o.plan === 'biz-basic').reasons[0].message;
  assert.notEqual(m2, m1, `case fr target_not_supported: got the English message "${m2}"`);
});

// ---- live cases on a fresh store ------------------------------------------------

test('live: an incident on mail-1 blocks a biz-basic subscription; resolving it clears the reason', async () => {
  const T = await newTenant(live, { name: 'Live Incident Org' });
  const ga = await tokenFor(live, T.id, 'global_admin');
  const t = { id: T.id, name: T.name, token: ga };
  const b = await live.api('POST', `/v1/tenants/${T.id}/subscriptions`, { token: ga, body: { plan: 'biz-basic', quantity: 5 } });
  assert.equal(b.status, 201, `case buy: got ${b.status} ${b.text}`);
  const s = b.json.id;
  expectReasons(await tab(live, t, s), [], 'before the incident', { tenantId: T.id, sub: s });

  const inc = await live.api('POST', '/v1/service-health/incidents', { body: { service: 'mail-1', title: 'Mail delays' } });
  assert.equal(inc.status, 201, `case open incident: got ${inc.status} ${inc.text}`);
  const v = await tab(live, t, s);
  const { service_incident: r } = expectReasons(v, ['service_incident'], 'with the incident', { tenantId: T.id, sub: s });
  assert.deepEqual(r.details.incidents.map((x) => [x.id, x.service]), [[inc.json.id, 'mail-1']],
    `case incident details: got ${JSON.stringify(r.details)}`);
  assert.ok(v.offers.length === 3 && v.offers.every((o) => o.eligible === false),
    `case offers during the incident: got ${JSON.stringify(v.offers.map((o) => [o.plan, o.eligible]))}`);
  // An incident on a service the plan does not deliver changes nothing.
  const other = await live.api('POST', '/v1/service-health/incidents', { body: { service: 'voice', title: 'Calls drop' } });
  assert.equal(other.status, 201, `case open voice incident: got ${other.status}`);
  expectReasons(await tab(live, t, s), ['service_incident'], 'with an unrelated incident too', { tenantId: T.id, sub: s });

  const res = await live.api('POST', `/v1/service-health/incidents/${inc.json.id}/resolve`);
  assert.equal(res.status, 200, `case resolve: got ${res.status} ${res.text}`);
  const after = await tab(live, t, s);
  expectReasons(after, [], 'after resolving', { tenantId: T.id, sub: s });
  assert.ok(after.offers.length === 3 && after.offers.every((o) => o.eligible === true),
    `case offers after resolving: got ${JSON.stringify(after.offers.map((o) => [o.plan, o.eligible]))}`);
  await live.api('POST', `/v1/service-health/incidents/${other.json.id}/resolve`);
});

test('live: a licence conflict shows on every subscription of the tenant until it is cleared', async () => {
  const T = await newTenant(live, { name: 'Live Conflict Org' });
  const ga = await tokenFor(live, T.id, 'global_admin');
  const t = { id: T.id, name: T.name, token: ga };
  const buy = async (plan, quantity) => {
    const r = await live.api('POST', `/v1/tenants/${T.id}/subscriptions`, { token: ga, body: { plan, quantity } });
    assert.equal(r.status, 201, `case buy ${plan}: got ${r.status} ${r.text}`);
    return r.json.id;
  };
  const basic = await buy('biz-basic', 3);
  const mail = await buy('mail-p1', 2);
  const users = [];
  for (let i = 0; i < 3; i++) {
    const u = await live.api('POST', `/v1/tenants/${T.id}/users`, { token: ga, body: { upn: `c${i}@conflict.example`, display_name: 'C' } });
    users.push(u.json.id);
    const a = await live.api('PUT', `/v1/tenants/${T.id}/subscriptions/${basic}/assignments/${u.json.id}`, { token: ga });
    assert.equal(a.status, 201, `case assign ${i}: got ${a.status} ${a.text}`);
  }
  for (const s of [basic, mail]) expectReasons(await tab(live, t, s), [], `before the conflict (${s})`, { tenantId: T.id, sub: s });

  const p = await live.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${basic}`, { token: ga, body: { quantity: 1 } });
  assert.equal(p.status, 200, `case PATCH below assigned: got ${p.status} ${p.text}`);
  for (const s of [basic, mail]) {
    const { license_conflict: r } = expectReasons(await tab(live, t, s), ['license_conflict'], `conflict on ${s}`,
      { tenantId: T.id, sub: s });
    assert.deepEqual(r.details.subscriptions, [{ subscription: basic, plan: 'biz-basic', purchased: 1, assigned: 3 }],
      `case conflict details on ${s}: got ${JSON.stringify(r.details)}`);
  }
  // One unassigned: still 2 > 1.
  await live.api('DELETE', `/v1/tenants/${T.id}/subscriptions/${basic}/assignments/${users[2]}`, { token: ga });
  expectReasons(await tab(live, t, mail), ['license_conflict'], 'still in conflict (2 > 1)', { tenantId: T.id, sub: mail });
  const d = await live.api('DELETE', `/v1/tenants/${T.id}/subscriptions/${basic}/assignments/${users[1]}`, { token: ga });
  assert.equal(d.status, 200, `case unassign: got ${d.status} ${d.text}`);
  for (const s of [basic, mail]) expectReasons(await tab(live, t, s), [], `conflict cleared (${s})`, { tenantId: T.id, sub: s });
});

test('live: readers see the tab, other tenants get 404, unknown subscriptions 404', async () => {
  const A = await newTenant(live, { name: 'Tab Reader Org' });
  const B = await newTenant(live, { name: 'Tab Other Org' });
  const reader = await tokenFor(live, A.id, 'reader');
  const bAdmin = await tokenFor(live, B.id, 'global_admin');
  const s = await live.api('POST', `/v1/tenants/${A.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 1 } });
  const path = `/v1/tenants/${A.id}/subscriptions/${s.json.id}/upgrades`;
  const r = await live.api('GET', path, { token: reader });
  assert.equal(r.status, 200, `case reader: got ${r.status} ${r.text}`);
  const x = await live.api('GET', path, { token: bAdmin });
  assert.equal(x.status, 404, `case other tenant: got ${x.status}, want 404`);
  assert.equal(x.json.error.code, 'not_found', `case other tenant: got ${x.text}`);
  // B's own path with A's subscription id: 404 too.
  const y = await live.api('GET', `/v1/tenants/${B.id}/subscriptions/${s.json.id}/upgrades`, { token: bAdmin });
  assert.equal(y.status, 404, `case A's subscription under B: got ${y.status}, want 404`);
  const z = await live.api('GET', `/v1/tenants/${A.id}/subscriptions/sub_999999/upgrades`, { token: reader });
  assert.equal(z.status, 404, `case unknown subscription: got ${z.status}, want 404`);
});

// ---- capacity ---------------------------------------------------------------------

test('--upgrade-capacity 1: service_busy with a retry time within the hour', async () => {
  for (const name of ['Contoso Ltd', 'Fourth Coffee']) {
    const t = tenant(busy, name);
    const [s] = await subsOf(busy, t);
    const t0 = Date.now();
    const v = await tab(busy, t, s.id);
    const t1 = Date.now();
    const { service_busy: r } = expectReasons(v, ['service_busy'], `${name} at capacity`, { tenantId: t.id, sub: s.id });
    const after = r.details.retry_after_s;
    assert.ok(Number.isInteger(after) && after >= 1 && after <= 3600,
      `case ${name} retry_after_s: got ${after}, want 1..3600`);
    const rl = remedy(r, 'retry_later');
    assert.ok(rl && rl.until, `case ${name} retry_later: got ${JSON.stringify(r.remedies)}, want an until`);
    within(rl.until, Math.floor(t0 / 1000) * 1000 + after * 1000, t1 + after * 1000, `${name} retry_later until = now + retry_after_s`);
    assert.ok(v.offers.length > 0 && v.offers.every((o) => o.eligible === false),
      `case ${name} offers at capacity: got ${JSON.stringify(v.offers.map((o) => [o.plan, o.eligible]))}`);
  }
  // Other reasons are still all listed, with service_busy in its place.
  const t = tenant(busy, 'Blue Yonder Airlines');
  const [s] = await subsOf(busy, t);
  expectReasons(await tab(busy, t, s.id), ['service_busy', 'unpaid_balance'], 'Blue Yonder at capacity',
    { tenantId: t.id, sub: s.id });
});

test('the daemons stop cleanly (exit 0: no leak or memory error reported)', async () => {
  for (const [name, s] of [['demo', demo], ['live', live], ['busy', busy]]) {
    const code = await s.stop();
    assert.equal(code, 0, `case ${name} exit code: got ${code}, want 0; stderr:\n${s.stderr.slice(-4000)}`);
  }
});
