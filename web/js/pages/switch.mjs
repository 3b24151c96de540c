// Change plans manually (the remedy change_plans_manually): choose a plan,
// see what the change costs and loses (prepaid time not credited, data in
// services the target lacks: an acknowledgement is required), then make the
// change as one operation.
import { h, replace } from '../dom.mjs';
import { t, fmtDate, fmtMoney, fmtNumber, fmtList } from '../i18n.mjs';
import { api, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import {
  pageHead, loading, showError, clearErrors, errorSlot, localError, operationProgress, planName, serviceName,
  reasonList,
} from '../ui.mjs';
import { serviceChanges } from './subscription.mjs';

export async function switchPage(ctx) {
  const base = `/v1/tenants/${ctx.tenant}/subscriptions/${ctx.params.s}`;
  const [sub, catalog, tab] = await Promise.all([
    api('GET', base, { signal: ctx.signal }),
    getCatalog(),
    api('GET', `${base}/upgrades?include_unsupported=true`, { signal: ctx.signal }),
  ]);
  const fromName = sub.plan_name || planName(catalog, sub.plan);
  // Targets: the Upgrade tab's offers (supported first), or, when it has
  // none (no upgrade path), every plan the tenant could buy.
  let targets = tab.offers.map((o) => ({ id: o.plan, name: o.name, monthly: o.price.monthly_after, currency: o.price.currency, auto: o.upgrade_type === 'automatic' }));
  if (!targets.length) {
    const seg = ctx.tenantInfo && ctx.tenantInfo.segment;
    targets = catalog.plans
      .filter((p) => !p.addon && p.id !== sub.plan && p.currency === ctx.currency && (p.segment === 'commercial' || p.segment === seg))
      .map((p) => ({ id: p.id, name: p.name, monthly: p.price_per_seat_month * Math.max(sub.quantity, sub.assigned), currency: p.currency, auto: false }));
  }
  const wanted = ctx.query.get('target');
  const minQty = Math.max(1, sub.assigned);
  const defQty = Math.max(sub.quantity, sub.assigned);

  const review = h('div', { class: 'review', 'aria-live': 'polite' });
  const planSelect = h('select', { id: 'switch-target', name: 'target_plan', required: true },
    targets.map((p) => h('option', { value: p.id, selected: p.id === wanted }, `${p.name}${p.auto ? '' : ` (${t('switch.not_supported_upgrade')})`}`)));
  const qty = h('input', {
    id: 'switch-quantity', name: 'quantity', type: 'number', min: String(minQty), max: '1000000', step: '1', value: String(defQty), inputmode: 'numeric', 'aria-describedby': 'switch-quantity-hint',
  });
  const reviewBtn = h('button', { type: 'submit', class: 'btn' }, t('switch.review'));
  const chooseForm = h('form', { class: 'card', novalidate: true },
    h('h2', {}, t('switch.step1')),
    h('div', { class: 'field' }, h('label', { for: 'switch-target' }, t('switch.target')), planSelect),
    h('div', { class: 'field' },
      h('label', { for: 'switch-quantity' }, t('switch.quantity')), qty,
      h('span', { class: 'hint', id: 'switch-quantity-hint' }, t('switch.quantity_hint', { n: sub.assigned, count: fmtNumber(sub.assigned) }))),
    h('div', { class: 'actions' }, reviewBtn),
    errorSlot());

  chooseForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(chooseForm);
    const q = Number(qty.value);
    if (!Number.isInteger(q) || q < minQty || q > 1000000) {
      return showError(chooseForm, localError(t('switch.quantity_invalid', { min: minQty }), 'quantity'), ctx);
    }
    reviewBtn.disabled = true;
    replace(review, loading(t('switch.previewing')));
    try {
      const pv = await api('POST', `${base}/upgrade/preview`, { body: { target_plan: planSelect.value, quantity: q, kind: 'switch' }, signal: ctx.signal });
      replace(review, reviewCard(pv));
      review.querySelector('h2').focus();
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(review);
      showError(chooseForm, e, ctx);
    } finally {
      reviewBtn.disabled = false;
    }
  });

  function reviewCard(pv) {
    const cur = pv.price.currency;
    const toName = pv.target_name;
    const parts = [];
    parts.push(h('h2', { tabindex: '-1', id: 'review-title' }, t('switch.step2', { to: toName })));
    parts.push(h('dl', { class: 'facts' },
      h('dt', {}, t('switch.from_to')), h('dd', {}, `${fromName} → ${toName}`),
      h('dt', {}, t('switch.licenses')), h('dd', {}, fmtNumber(pv.quantity)),
      h('dt', {}, t('switch.users_moving')), h('dd', {}, fmtNumber(pv.users.count)),
      h('dt', {}, t('switch.monthly')), h('dd', {}, `${fmtMoney(pv.price.monthly_before, cur)} → ${fmtMoney(pv.price.monthly_after, cur)}`),
      h('dt', {}, t('switch.charge', { start: fmtDate(pv.period.start), end: fmtDate(pv.period.end) })), h('dd', { class: 'charge' }, fmtMoney(pv.period.charge, cur)),
      h('dt', {}, t('switch.credit', { plan: fromName })), h('dd', { class: 'credit' }, fmtMoney(-pv.period.credit, cur))));
    const changes = serviceChanges(catalog, sub.plan, pv.target_plan);
    if (changes.length) parts.push(h('ul', { class: 'gains', 'aria-label': t('changes.label') }, changes.map((c) => h('li', { class: c.kind === 'gained' ? '' : c.kind }, c.text))));
    if (pv.prepaid && pv.prepaid.unused_value > 0) {
      parts.push(h('div', { class: 'alert alert-warn prepaid-warning', role: 'note' },
        h('h3', {}, t('switch.prepaid_title')),
        h('p', {}, t('switch.prepaid_text', { amount: fmtMoney(pv.prepaid.unused_value, cur), n: pv.prepaid.unused_days, days: fmtNumber(pv.prepaid.unused_days) }))));
    }
    if (pv.credit_check.needed) {
      parts.push(h('p', { class: 'alert alert-warn' }, t('upgrade.credit_check_needed', {
        after: fmtMoney(pv.credit_check.monthly_charge_after, cur), limit: fmtMoney(pv.credit_check.credit_limit, cur),
      })));
    }
    const form = h('form', { novalidate: true });
    // What the change would be refused for (one decision with the switch),
    // but the add-ons, which are acknowledged below.
    const blocking = (pv.reasons || []).filter((r) => r.code !== 'has_addon');
    if (blocking.length) parts.push(reasonList(blocking, ctx, { subscription: sub.id }));
    const addons = pv.addons || [];
    const dropped = addons.filter((a) => a.outcome === 'cancelled');
    if (addons.length) {
      parts.push(h('div', { class: dropped.length ? 'alert alert-warn addons-outcome' : 'addons-outcome', role: 'note' },
        h('h3', {}, t('switch.addons_title')),
        h('ul', {}, addons.map((a) => h('li', { dataset: { outcome: a.outcome } },
          t(a.outcome === 'moved' ? 'switch.addon_moved' : 'switch.addon_cancelled', { plan: planName(catalog, a.plan), to: toName }))))));
      if (dropped.length) {
        form.append(h('div', { class: 'field' },
          h('label', { class: 'checkbox' },
            h('input', { type: 'checkbox', name: 'acknowledge_addons', id: 'ack-addons', required: true }),
            t('switch.addons_ack', { addons: fmtList(dropped.map((a) => planName(catalog, a.plan))) }))));
      }
    }
    if (!pv.data.safe) {
      const names = [...pv.data.missing_services, ...pv.data.lower_services].map((id) => serviceName(catalog, id));
      parts.push(h('div', { class: 'alert alert-danger data-warning', role: 'note' },
        h('h3', {}, t('switch.data_title')),
        h('p', {}, t('switch.data_text', { services: fmtList(names), to: toName }))));
      form.append(h('div', { class: 'field' },
        h('label', { class: 'checkbox' },
          h('input', { type: 'checkbox', name: 'acknowledge_data_loss', id: 'ack-data', required: pv.data.acknowledgement_needed }),
          t('switch.data_ack', { services: fmtList(names) }))));
    }
    if (may('billing') && !blocking.length) {
      const go = h('button', { type: 'submit', class: 'btn' }, t('switch.confirm', { to: toName }));
      form.append(h('div', { class: 'actions' }, go,
        h('a', { class: 'btn btn-secondary', href: `#/t/${ctx.tenant}/subscriptions/${sub.id}/upgrade` }, t('common.cancel'))), errorSlot());
      let idem = null;
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearErrors(form);
        const ack = form.elements.acknowledge_data_loss;
        if (pv.data.acknowledgement_needed && !(ack && ack.checked)) {
          return showError(form, localError(t('switch.data_ack_required'), 'acknowledge_data_loss'), ctx);
        }
        const ackAddons = form.elements.acknowledge_addons;
        if (dropped.length && !(ackAddons && ackAddons.checked)) {
          return showError(form, localError(t('switch.addons_ack_required'), 'acknowledge_addons'), ctx);
        }
        go.disabled = true;
        idem = idem || newIdemKey('switch');
        const body = { target_plan: pv.target_plan, quantity: pv.quantity };
        if (pv.data.acknowledgement_needed) body.acknowledge_data_loss = true;
        if (dropped.length) body.acknowledge_addons = true;
        try {
          const op = await api('POST', `${base}/switch`, { body, idem });
          const head = h('h2', { tabindex: '-1', id: 'switch-progress' }, t('switch.progress_title', { from: fromName, to: toName }));
          replace(review, h('section', { class: 'card', 'aria-labelledby': 'switch-progress' }, head,
            operationProgress(op, ctx, { names: { from: fromName, to: toName } })));
          chooseForm.hidden = true;
          head.focus();
        } catch (e) {
          if (e.status !== 0 && !(e.status >= 500)) idem = null;
          showError(form, e, ctx);
        } finally {
          go.disabled = false;
        }
      });
    } else if (!blocking.length) {
      form.append(h('p', { class: 'muted' }, t('switch.needs_billing')));
    }
    parts.push(form);
    return h('section', { class: 'card', 'aria-labelledby': 'review-title' }, parts);
  }

  return h('div', {},
    h('p', { class: 'breadcrumb' },
      h('a', { href: `#/t/${ctx.tenant}/products` }, t('products.title')), ' › ',
      h('a', { href: `#/t/${ctx.tenant}/subscriptions/${sub.id}/upgrade` }, fromName), ' › ', t('switch.title')),
    pageHead(t('switch.title'), t('switch.subtitle', { plan: fromName })),
    h('p', {}, t('switch.intro')),
    chooseForm, review);
}
