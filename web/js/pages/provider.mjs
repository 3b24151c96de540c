// The provider's pages (operator, support): tenants, credit checks to
// decide, the fleet (a bar chart of how many subscriptions each reason
// blocks) and the support queue.
import { h, s, replace } from '../dom.mjs';
import { t, fmtDateTime, fmtMoney, fmtNumber } from '../i18n.mjs';
import { api, listAll, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, REASON_CODES, confirmDialog } from '../ui.mjs';

const reasonTitle = (code) => t(`fleet.reason.${code}`);
import { requestsTable } from './support.mjs';

export async function tenantsPage(ctx) {
  const list = await listAll('/v1/tenants', { signal: ctx.signal });
  const body = h('div', {});
  const filter = h('input', { id: 'tenant-filter', type: 'search', autocomplete: 'off', 'aria-controls': 'tenant-table' });
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const items = list.items.filter((x) => !q || x.name.toLowerCase().includes(q) || x.id === q);
    replace(body, items.length
      ? table(
        [{ label: t('tenants.col.name'), rowHeader: true }, { label: t('tenants.col.id') }, { label: t('tenants.col.segment') }, { label: t('tenants.col.payment') }, { label: t('tenants.col.credit_limit'), num: true }],
        items.map((x) => [
          h('a', { href: `#/t/${x.id}/products`, 'aria-label': t('tenants.open', { name: x.name }) }, x.name),
          x.id, t(`segment.${x.segment}`), t(`payment.${x.payment}`), fmtMoney(x.credit_limit, x.currency),
        ]), { label: t('tenants.title'), id: 'tenant-table' })
      : empty(t('tenants.none')));
  };
  filter.addEventListener('input', draw);
  draw();
  return h('div', {},
    pageHead(t('tenants.title'), t('tenants.subtitle', { n: list.items.length, count: fmtNumber(list.items.length) })),
    h('div', { class: 'toolbar' }, h('div', { class: 'field' }, h('label', { for: 'tenant-filter' }, t('tenants.filter')), filter)),
    body);
}

export async function creditChecksPage(ctx) {
  const root = h('div', {});
  const operator = may('operator');

  async function load(focusSel) {
    // Every tenant's credit checks in one list (not one request per tenant).
    const [tenants, checks] = await Promise.all([
      listAll('/v1/tenants', { signal: ctx.signal }),
      listAll('/v1/credit-checks', { signal: ctx.signal }),
    ]);
    const names = new Map(tenants.items.map((x) => [x.id, x]));
    const all = checks.items;
    const pending = all.filter((c) => c.status === 'pending');
    const decided = all.filter((c) => c.status !== 'pending');
    const m = (c) => fmtMoney(c.amount, (names.get(c.tenant) || {}).currency || 'EUR');
    const tenantLink = (c) => h('a', { href: `#/t/${c.tenant}/billing?section=credit-checks` }, (names.get(c.tenant) || {}).name || c.tenant);
    const what = (c) => (c.operation ? t('credit.for_operation', { id: c.operation })
      : c.subscription && c.quantity !== null && c.quantity !== undefined ? t('credit.for_seats', { id: c.subscription, count: fmtNumber(c.quantity) })
        : c.subscription ? t('credit.for_purchase', { id: c.subscription }) : '—');

    const pendingBox = pending.length
      ? table(
        [{ label: t('credit.col.id'), rowHeader: true }, { label: t('credit.col.tenant') }, { label: t('credit.col.for') }, { label: t('credit.col.amount'), num: true }, { label: t('credit.col.expected') }, ...(operator ? [{ label: t('credit.col.decision') }] : [])],
        pending.map((c) => {
          const row = [c.id, tenantLink(c), what(c), m(c), fmtDateTime(c.expected_by)];
          if (operator) row.push(decisionButtons(c, (names.get(c.tenant) || {}).name || c.tenant, what, m));
          return row;
        }), { label: t('credit.pending') })
      : empty(t('credit.none_pending'));
    const decidedBox = decided.length
      ? table(
        [{ label: t('credit.col.id'), rowHeader: true }, { label: t('credit.col.tenant') }, { label: t('credit.col.status') }, { label: t('credit.col.amount'), num: true }, { label: t('credit.col.decided') }],
        decided.map((c) => [c.id, tenantLink(c), badge(c.status), m(c), fmtDateTime(c.decided_at)]), { label: t('credit.decided') })
      : empty(t('credit.none_decided'));
    replace(root,
      pageHead(t('credit.title'), t('credit.subtitle')),
      h('h2', { id: 'pending-title', tabindex: '-1' }, t('credit.pending')), pendingBox,
      h('h2', {}, t('credit.decided')), decidedBox);
    if (focusSel) root.querySelector(focusSel)?.focus();
  }

  function decisionButtons(c, tenantName, what, m) {
    const wrap = h('div', { class: 'actions mt-0' });
    const decide = async (approved, btn) => {
      clearErrors(wrap);
      if (!approved) {
        const ok = await confirmDialog({
          title: t('credit.deny_confirm_title', { id: c.id }),
          facts: [[t('confirm.tenant'), tenantName], [t('confirm.for'), what(c)], [t('credit.col.amount'), m(c)]],
          text: t('credit.deny_confirm_text'),
          confirmLabel: t('credit.deny'), danger: true,
        });
        if (!ok) return;
      }
      for (const b of wrap.querySelectorAll('button')) b.disabled = true;
      try {
        await api('POST', `/v1/credit-checks/${c.id}/decision`, { body: { approved }, idem: newIdemKey('decide') });
        ctx.announce(t(approved ? 'credit.approved_ok' : 'credit.denied_ok', { id: c.id, tenant: tenantName }));
        await load('#pending-title');
      } catch (e) {
        for (const b of wrap.querySelectorAll('button')) b.disabled = false;
        showError(wrap, e, ctx);
        btn.focus();
      }
    };
    const yes = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('credit.approve_named', { id: c.id, tenant: tenantName }), onclick: (ev) => decide(true, ev.currentTarget) }, t('credit.approve'));
    const no = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': t('credit.deny_named', { id: c.id, tenant: tenantName }), onclick: (ev) => decide(false, ev.currentTarget) }, t('credit.deny'));
    wrap.append(yes, no, errorSlot());
    return wrap;
  }

  await load();
  return root;
}

/** The fleet chart: one horizontal bar per reason, drawn in inline SVG. */
export function fleetChart(blockedBy) {
  const rows = REASON_CODES.map((code, i) => ({ code, i, n: Number(blockedBy[code] || 0) }))
    .sort((a, b) => b.n - a.n || a.i - b.i);
  const max = Math.max(1, ...rows.map((r) => r.n));
  const ROW = 46;
  const height = rows.length * ROW + 4;
  const svg = s('svg', {
    role: 'img', 'aria-labelledby': 'fleet-chart-title fleet-chart-desc', width: '100%', height, class: 'fleet-chart', id: 'fleet-chart',
  },
  s('title', { id: 'fleet-chart-title' }, t('fleet.chart_title')),
  s('desc', { id: 'fleet-chart-desc' }, rows.filter((r) => r.n).map((r) => `${reasonTitle(r.code)}: ${r.n}`).join('; ') || t('fleet.none_blocked')),
  rows.map((r, k) => {
    const y = k * ROW;
    const pct = (r.n / max) * 100;
    return s('g', { class: 'bar', 'data-code': r.code, 'data-count': r.n },
      s('title', {}, `${reasonTitle(r.code)}: ${r.n}`),
      s('text', { x: 0, y: y + 15, class: 'chart-label' }, reasonTitle(r.code)),
      s('text', { x: '100%', y: y + 15, 'text-anchor': 'end', class: 'chart-count' }, fmtNumber(r.n)),
      s('rect', { x: 0, y: y + 22, width: '100%', height: 14, rx: 3, class: 'chart-track' }),
      s('rect', { x: 0, y: y + 22, width: r.n ? `${Math.max(pct, 0.8)}%` : 3, height: 14, rx: 3, class: `chart-bar${r.n ? '' : ' zero'}` }));
  }));
  return svg;
}

export async function fleetPage(ctx) {
  const root = h('div', {});
  async function load(fresh) {
    const f = await api('GET', `/v1/fleet${fresh ? '?fresh=1' : ''}`, { signal: ctx.signal });
    const stat = (label, value, id) => h('div', { class: 'stat', id }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, fmtNumber(value)));
    const refresh = h('button', { type: 'button', class: 'btn btn-secondary', onclick: async () => { refresh.disabled = true; try { await load(true); root.querySelector('#fleet-refresh')?.focus(); } catch (e) { refresh.disabled = false; showError(root, e, ctx); } } }, t('fleet.refresh'));
    refresh.id = 'fleet-refresh';
    const dataTable = table(
      [{ label: t('fleet.col.reason'), rowHeader: true }, { label: t('fleet.col.code') }, { label: t('fleet.col.count'), num: true }],
      REASON_CODES.map((c) => [reasonTitle(c), h('code', {}, c), fmtNumber(f.blocked_by[c] || 0)]), { label: t('fleet.table') });
    replace(root,
      pageHead(t('fleet.title'), t('fleet.subtitle', { time: fmtDateTime(f.at) }), refresh),
      h('div', { class: 'stats' },
        stat(t('fleet.tenants'), f.tenants, 'fleet-tenants'), stat(t('fleet.subscriptions'), f.subscriptions, 'fleet-subs'),
        stat(t('fleet.live'), f.live, 'fleet-live'), stat(t('fleet.eligible'), f.eligible, 'fleet-eligible'), stat(t('fleet.blocked'), f.blocked, 'fleet-blocked')),
      h('section', { class: 'chart-wrap', 'aria-labelledby': 'fleet-h2' },
        h('h2', { id: 'fleet-h2', class: 'mt-0' }, t('fleet.chart_title')),
        h('p', { class: 'muted' }, t('fleet.chart_note')),
        fleetChart(f.blocked_by)),
      h('details', { class: 'inline' }, h('summary', {}, t('fleet.show_table')), dataTable),
      errorSlot());
  }
  await load(false);
  return root;
}

export async function supportQueuePage(ctx) {
  const [list, tenants] = await Promise.all([
    listAll('/v1/support-requests', { signal: ctx.signal }),
    listAll('/v1/tenants', { signal: ctx.signal }),
  ]);
  const names = new Map(tenants.items.map((x) => [x.id, x.name]));
  return h('div', {},
    pageHead(t('queue.title'), t('queue.subtitle')),
    requestsTable(list.items, ctx, { tenantNames: names }));
}
