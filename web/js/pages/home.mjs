// Home: what needs the admin now, each with a link to where to act:
// license conflicts, amounts past due, waits with their times (credit
// checks, operations under way, incidents), scheduled changes, open support
// requests.
import { h } from '../dom.mjs';
import { t, fmtNumber, fmtDate, fmtDateTime, fmtMoney } from '../i18n.mjs';
import { api, listAll, getCatalog } from '../api.mjs';
import { pageHead, empty, planName } from '../ui.mjs';
import { may } from '../session.mjs';

const LIVE = ['provisioning', 'active', 'disabled'];

export async function homePage(ctx) {
  const T = `/v1/tenants/${ctx.tenant}`;
  const o = { signal: ctx.signal };
  const [lic, billing, checks, ops, subs, support, health, catalog] = await Promise.all([
    listAll(`${T}/licenses`, o), api('GET', `${T}/billing`, o), listAll(`${T}/credit-checks`, o),
    listAll(`${T}/operations`, o), listAll(`${T}/subscriptions`, o), listAll(`${T}/support-requests`, o),
    api('GET', '/v1/service-health', o), getCatalog(),
  ]);
  const subName = (id) => {
    const s = subs.items.find((x) => x.id === id);
    return s ? (s.plan_name || planName(catalog, s.plan)) : id;
  };
  const alerts = [];
  const add = (kind, tone, text, hash, label) => alerts.push(h('li', { class: `home-alert alert alert-${tone}`, dataset: { alert: kind } },
    h('p', {}, text), h('a', { href: hash, class: 'btn btn-secondary btn-small' }, label)));

  for (const l of lic.items.filter((x) => x.conflict)) {
    add('license_conflict', 'danger', t('home.conflict', { plan: subName(l.subscription), assigned: fmtNumber(l.assigned), purchased: fmtNumber(l.purchased) }),
      `#/t/${ctx.tenant}/licenses`, t('home.resolve'));
  }
  if (billing.past_due > 0) {
    add('past_due', 'danger', t('home.past_due', { amount: fmtMoney(billing.past_due, billing.currency), date: fmtDate(billing.oldest_due) }),
      // Pay now for who may pay; the billing page for the others.
      may('billing') ? `#/t/${ctx.tenant}/billing?pay=1` : `#/t/${ctx.tenant}/billing`, may('billing') ? t('remedy.pay_now') : t('home.see_billing'));
  }
  for (const c of checks.items.filter((x) => x.status === 'pending')) {
    add('credit_check', 'warn', t(c.quantity !== null && c.subscription ? 'home.credit_check_seats' : 'home.credit_check', {
      time: fmtDateTime(c.expected_by), plan: c.subscription ? subName(c.subscription) : '', count: c.quantity !== null ? fmtNumber(c.quantity) : '',
    }), `#/t/${ctx.tenant}/billing?section=credit-checks`, t('remedy.see_credit_checks'));
  }
  for (const op of ops.items.filter((x) => x.state === 'provisioning' || x.state === 'pending_credit_check')) {
    add('operation', 'info', t(`home.op_${op.state}`, { id: op.id, to: planName(catalog, op.target_plan), from: subName(op.source) }),
      `#/t/${ctx.tenant}/operations`, t('remedy.see_operations'));
  }
  for (const op of ops.items.filter((x) => x.state === 'scheduled')) {
    add('scheduled', 'info', t('home.scheduled', { from: subName(op.source), to: planName(catalog, op.target_plan), date: fmtDate(op.effective_at || op.when) }),
      `#/t/${ctx.tenant}/subscriptions/${op.source}`, t('remedy.see_subscription'));
  }
  for (const s of subs.items.filter((x) => x.cancel_at && LIVE.includes(x.status))) {
    add('cancel_at', 'info', t('home.cancel_at', { plan: subName(s.id), date: fmtDate(s.cancel_at) }),
      `#/t/${ctx.tenant}/subscriptions/${s.id}`, t('remedy.see_subscription'));
  }
  // Only incidents on a service of the tenant's live plans.
  const used = new Set(subs.items.filter((x) => LIVE.includes(x.status))
    .flatMap((x) => ((catalog.plans.find((p) => p.id === x.plan) || {}).services || [])));
  const open = (health.items || []).filter((i) => !i.resolved_at && used.has(i.service));
  for (const i of open) {
    add('incident', 'warn', t(i.eta ? 'home.incident_eta' : 'home.incident', { title: i.title, service: i.service_name || i.service, time: fmtDateTime(i.eta) }),
      '#/health', t('remedy.see_health'));
  }
  const requests = support.items.filter((r) => r.status === 'open');
  if (requests.length) {
    add('support', 'info', t('home.support_open', { n: requests.length, count: fmtNumber(requests.length) }),
      `#/t/${ctx.tenant}/support`, t('home.see_support'));
  }
  const live = subs.items.filter((s) => LIVE.includes(s.status));
  return h('div', {},
    pageHead(t('home.title'), t('home.subtitle', { tenant: (ctx.tenantInfo && ctx.tenantInfo.name) || ctx.tenant })),
    h('section', { 'aria-labelledby': 'alerts-title' },
      h('h2', { id: 'alerts-title' }, t('home.alerts', { n: alerts.length, count: fmtNumber(alerts.length) })),
      alerts.length ? h('ul', { class: 'home-alerts plain', id: 'home-alerts' }, alerts) : empty(t('home.all_clear'))),
    h('section', { class: 'stats', id: 'home-stats' },
      h('div', { class: 'stat' }, h('div', { class: 'label' }, t('home.subscriptions')), h('div', { class: 'value' }, fmtNumber(live.length))),
      h('div', { class: 'stat' }, h('div', { class: 'label' }, t('home.licenses')),
        h('div', { class: 'value' }, t('licenses.panel_counts', {
          assigned: fmtNumber(lic.items.reduce((a, l) => a + l.assigned, 0)), purchased: fmtNumber(lic.items.reduce((a, l) => a + l.purchased, 0)),
        }))),
      h('div', { class: 'stat' }, h('div', { class: 'label' }, t('billing.balance')), h('div', { class: 'value' }, fmtMoney(Math.max(0, billing.balance), billing.currency)))));
}
