// Products & services: the tenant's subscriptions, each with a way to its
// Upgrade tab; buying a plan for billing admins.
import { h, replace } from '../dom.mjs';
import { t, fmtDate, fmtDateTime, fmtMoney, fmtNumber } from '../i18n.mjs';
import { api, listAll, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, localError, planName, confirmDialog } from '../ui.mjs';
import { mulMinor } from '../money.mjs';

const LIVE = ['provisioning', 'active', 'disabled'];

export function subName(sub, catalog) {
  return sub.plan_name || planName(catalog, sub.plan) || sub.plan;
}

export async function productsPage(ctx) {
  const root = h('div', {});
  const lists = h('div', {});
  let catalog;
  // The subscriptions, drawn again after a purchase (no reload needed).
  async function draw() {
    const [subs, checks, cat] = await Promise.all([
      listAll(`/v1/tenants/${ctx.tenant}/subscriptions`, { signal: ctx.signal }),
      listAll(`/v1/tenants/${ctx.tenant}/credit-checks`, { signal: ctx.signal }),
      getCatalog(),
    ]);
    catalog = cat;
    const live = subs.items.filter((s) => LIVE.includes(s.status));
    const ended = subs.items.filter((s) => !LIVE.includes(s.status));
    const byId = new Map(subs.items.map((s) => [s.id, s]));
    // A purchase's own credit check (not a later seat increase's: quantity is null).
    const checkOf = new Map(checks.items.filter((c) => c.subscription && c.quantity === null && !c.operation).map((c) => [c.subscription, c]));
    const status = (s) => {
      const c = checkOf.get(s.id);
      if (c && c.status === 'pending') return badge('pending_credit_check', t('products.waiting_credit_check', { time: fmtDateTime(c.expected_by) }));
      if (c && c.status === 'denied' && s.status === 'cancelled') return badge('denied', t('products.cancelled_credit_denied'));
      return badge(s.status);
    };
    const row = (s) => [
      h('div', {},
        h('a', { href: `#/t/${ctx.tenant}/subscriptions/${s.id}`, class: 'sub-link' }, subName(s, catalog)),
        h('div', { class: 'muted' }, h('small', {}, s.id,
          s.addon_of ? ` · ${t('products.addon_of', { base: subName(byId.get(s.addon_of) || { plan: s.addon_of }, catalog) })}` : '',
          s.prepaid ? ` · ${t('products.prepaid')}` : ''))),
      h('span', {}, t('products.seats', { assigned: fmtNumber(s.assigned), quantity: fmtNumber(s.quantity) }),
        LIVE.includes(s.status) && s.assigned > s.quantity ? [' ', badge('incident', t('licenses.conflict_badge'))] : null),
      status(s),
      t(`term.${s.term}`),
      LIVE.includes(s.status) ? fmtDate(s.term_end) : (s.replaced_by ? h('a', { href: `#/t/${ctx.tenant}/subscriptions/${s.replaced_by}` }, t('products.replaced_by', { id: s.replaced_by })) : fmtDate(s.term_end)),
      LIVE.includes(s.status) && !s.addon_of
        ? h('a', { class: 'btn btn-secondary btn-small', href: `#/t/${ctx.tenant}/subscriptions/${s.id}/upgrade`, 'aria-label': t('products.upgrade_tab_for', { plan: subName(s, catalog) }) }, t('products.upgrade_tab'))
        : '',
    ];
    const cols = [
      { label: t('products.col.plan') }, { label: t('products.col.licenses') }, { label: t('products.col.status') },
      { label: t('products.col.term') }, { label: t('products.col.term_end') }, { label: h('span', { class: 'sr-only' }, t('products.col.actions')) },
    ];
    const colsEnded = [...cols.slice(0, 4), { label: t('products.col.ended') }, cols[5]];
    replace(lists,
      h('section', {},
        h('h2', { id: 'live-subs' }, t('products.live')),
        live.length ? table(cols, live.map(row), { label: t('products.live'), id: 'live-table' }) : empty(t('products.none'))),
      ended.length
        ? h('section', {},
          h('h2', { id: 'ended-subs' }, t('products.ended')),
          table(colsEnded, ended.map(row), { label: t('products.ended'), id: 'ended-table' }))
        : null);
    return live;
  }
  const live = await draw();
  replace(root,
    pageHead(t('products.title'), t('products.subtitle')),
    lists,
    may('billing') ? buyForm(ctx, catalog, live, draw) : null);
  return root;
}

function buyForm(ctx, catalog, live, redraw) {
  const plans = catalog.plans.filter((p) => p.currency === ctx.currency
    && (p.segment === 'commercial' || p.segment === (ctx.tenantInfo && ctx.tenantInfo.segment)));
  const baseOptions = (planId) => {
    const plan = catalog.plans.find((p) => p.id === planId);
    return live.filter((s) => plan && plan.addon && plan.attaches_to.includes(s.plan));
  };
  const addonField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'buy-addon-of' }, t('buy.addon_of')),
    h('select', { id: 'buy-addon-of', name: 'addon_of' }));
  const planSelect = h('select', { id: 'buy-plan', name: 'plan', required: true },
    plans.map((p) => h('option', { value: p.id }, `${p.name} — ${t('buy.per_seat', { price: fmtMoney(p.price_per_seat_month, p.currency) })}`)));
  const updateAddon = () => {
    const bases = baseOptions(planSelect.value);
    const plan = catalog.plans.find((p) => p.id === planSelect.value);
    addonField.hidden = !(plan && plan.addon);
    const sel = addonField.querySelector('select');
    sel.replaceChildren(...bases.map((s) => h('option', { value: s.id }, `${s.plan_name || s.plan} (${s.id})`)));
  };
  planSelect.addEventListener('change', updateAddon);
  const submit = h('button', { type: 'submit', class: 'btn' }, t('buy.submit'));
  const result = h('div', { role: 'status', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'buy-plan' }, t('buy.plan')), planSelect),
    addonField,
    h('div', { class: 'field' },
      h('label', { for: 'buy-quantity' }, t('buy.quantity')),
      h('input', { id: 'buy-quantity', name: 'quantity', type: 'number', min: '1', max: '1000000', step: '1', value: '1', inputmode: 'numeric', required: true })),
    h('div', { class: 'field' },
      h('label', { for: 'buy-term' }, t('buy.term')),
      h('select', { id: 'buy-term', name: 'term' },
        h('option', { value: 'monthly' }, t('term.monthly')), h('option', { value: 'annual' }, t('term.annual')))),
    h('div', { class: 'field' },
      h('label', { class: 'checkbox' }, h('input', { type: 'checkbox', name: 'prepaid', id: 'buy-prepaid' }), t('buy.prepaid'))),
    h('div', { class: 'actions' }, submit),
    errorSlot(),
    result);
  updateAddon();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const qty = Number(form.elements.quantity.value);
    if (!Number.isInteger(qty) || qty < 1 || qty > 1000000) {
      return showError(form, localError(t('buy.quantity_invalid'), 'quantity'), ctx);
    }
    const body = { plan: planSelect.value, quantity: qty, term: form.elements.term.value, prepaid: form.elements.prepaid.checked };
    const plan = catalog.plans.find((p) => p.id === planSelect.value);
    if (plan && plan.addon) body.addon_of = form.elements.addon_of.value || null;
    const perMonth = plan ? mulMinor(plan.price_per_seat_month, qty) : null;
    const ok = await confirmDialog({
      title: t('buy.confirm_title', { plan: plan ? plan.name : body.plan }),
      facts: [
        [t('confirm.plan'), plan ? plan.name : body.plan],
        [t('confirm.quantity'), fmtNumber(qty)],
        [t('buy.term'), t(`term.${body.term}`) + (body.prepaid ? ` · ${t('products.prepaid')}` : '')],
        plan ? [t('confirm.total_per_month'), fmtMoney(perMonth, plan.currency)] : null,
      ],
      confirmLabel: t('buy.confirm', { n: qty, count: fmtNumber(qty) }),
    });
    if (!ok) return;
    submit.disabled = true;
    try {
      const sub = await api('POST', `/v1/tenants/${ctx.tenant}/subscriptions`, { body, idem: newIdemKey('buy') });
      result.replaceChildren(h('p', { class: 'alert alert-ok' },
        sub.credit_check ? t('buy.done_pending', { plan: sub.plan_name || sub.plan, time: fmtDateTime(sub.credit_check.expected_by) }) : t('buy.done', { plan: sub.plan_name || sub.plan, id: sub.id }),
        ' ', h('a', { href: `#/t/${ctx.tenant}/subscriptions/${sub.id}` }, t('buy.open'))));
      ctx.announce(t('buy.done', { plan: sub.plan_name || sub.plan, id: sub.id }));
      // The new subscription in the list at once.
      await redraw();
    } catch (e) {
      showError(form, e, ctx);
    } finally {
      submit.disabled = false;
    }
  });
  return h('details', { class: 'panel', id: 'buy-panel' },
    h('summary', {}, t('buy.title')),
    h('div', { class: 'panel-body' }, h('p', { class: 'muted' }, t('buy.intro')), form));
}
