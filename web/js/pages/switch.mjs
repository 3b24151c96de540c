// Change plans manually (the remedy change_plans_manually): choose what
// moves (every user to a new plan, some users only, or every user into an
// existing subscription), see what the change costs and loses (seats,
// money, add-ons, prepaid time not credited, data in services the target
// lacks: acknowledgements are required), then make the change as one
// operation.
import { h, replace } from '../dom.mjs';
import { t, fmtDate, fmtMoney, fmtNumber, fmtList } from '../i18n.mjs';
import { api, getCatalog, newIdemKey, listAll } from '../api.mjs';
import { may } from '../session.mjs';
import {
  pageHead, loading, showError, clearErrors, errorSlot, localError, operationProgress, planName,
  reasonList,
} from '../ui.mjs';
import { serviceChanges } from './subscription.mjs';

export async function switchPage(ctx) {
  const base = `/v1/tenants/${ctx.tenant}/subscriptions/${ctx.params.s}`;
  const [sub, catalog, tab, seatList, userList, subList] = await Promise.all([
    api('GET', base, { signal: ctx.signal }),
    getCatalog(),
    api('GET', `${base}/upgrades?include_unsupported=true`, { signal: ctx.signal }),
    listAll(`${base}/assignments`, { signal: ctx.signal }),
    listAll(`/v1/tenants/${ctx.tenant}/users`, { signal: ctx.signal }),
    listAll(`/v1/tenants/${ctx.tenant}/subscriptions`, { signal: ctx.signal }),
  ]);
  const userById = new Map(userList.items.map((u) => [u.id, u]));
  const people = seatList.items.map((a) => userById.get(a.user) || { id: a.user, upn: a.user, display_name: a.user });
  // A retired plan is never a target, not even to merge into.
  const retired = (id) => Boolean((catalog.plans.find((p) => p.id === id) || {}).retired);
  // Where everyone can move into: the tenant's other active base subscriptions.
  const intos = subList.items.filter((s) => s.id !== sub.id && s.status === 'active' && !s.addon_of && !s.replaced_by && !retired(s.plan));
  const fromName = sub.plan_name || planName(catalog, sub.plan);
  // Targets: the Upgrade tab's offers (supported first), or, when it has
  // none (no upgrade path), every plan the tenant could buy.
  let targets = tab.offers.map((o) => ({ id: o.plan, name: o.name, monthly: o.price.monthly_after, currency: o.price.currency, auto: o.upgrade_type === 'automatic' }));
  if (!targets.length) {
    const seg = ctx.tenantInfo && ctx.tenantInfo.segment;
    targets = catalog.plans
      .filter((p) => !p.addon && !p.retired && p.id !== sub.plan && p.currency === ctx.currency && (p.segment === 'commercial' || p.segment === seg))
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

  // What moves: everyone to a new plan, some users, or everyone into an
  // existing subscription (?into= from the Upgrade tab's merge remedy).
  const wantedInto = ctx.query.get('into');
  const modeRadio = (value, label, checked) => h('label', { class: 'radio' },
    h('input', { type: 'radio', name: 'mode', value, checked }), ' ', label);
  const startMode = wantedInto && intos.some((s) => s.id === wantedInto) ? 'into' : 'all';
  const modeSet = h('fieldset', { class: 'field switch-mode' },
    h('legend', {}, t('switch.mode_label')),
    modeRadio('all', t('switch.mode_all'), startMode === 'all'),
    modeRadio('some', t('switch.mode_some'), false),
    modeRadio('into', t('switch.mode_into'), startMode === 'into'));
  const intoSelect = h('select', { id: 'switch-into', name: 'into' },
    intos.map((s) => h('option', { value: s.id, selected: s.id === wantedInto },
      `${planName(catalog, s.plan)} (${s.id}, ${t('products.seats', { assigned: fmtNumber(s.assigned), quantity: fmtNumber(s.quantity) })})`)));
  const intoField = h('div', { class: 'field into-field' },
    h('label', { for: 'switch-into' }, t('switch.into')),
    intos.length ? intoSelect : h('p', { class: 'muted' }, t('switch.into_none')));

  // Some users: search, select all shown, counts.
  const chosen = new Set();
  const search = h('input', { id: 'switch-user-search', type: 'search', 'aria-describedby': 'switch-user-count' });
  const count = h('p', { class: 'hint', id: 'switch-user-count', 'aria-live': 'polite' });
  const allShown = h('input', { type: 'checkbox', id: 'switch-users-all' });
  const list = h('ul', { class: 'user-pick', 'aria-label': t('switch.users_title') });
  const matches = (u, q) => !q || `${u.display_name} ${u.upn}`.toLowerCase().includes(q);
  function drawUsers() {
    const q = search.value.trim().toLowerCase();
    const shown = people.filter((u) => matches(u, q));
    replace(list, ...shown.map((u) => {
      const box = h('input', { type: 'checkbox', value: u.id, checked: chosen.has(u.id), id: `pick-${u.id}` });
      box.addEventListener('change', () => { if (box.checked) chosen.add(u.id); else chosen.delete(u.id); drawCount(shown); });
      return h('li', {}, h('label', { for: `pick-${u.id}` }, box, ' ', u.display_name, ' ', h('span', { class: 'muted' }, u.upn)));
    }));
    drawCount(shown);
  }
  function drawCount(shown) {
    count.textContent = t('switch.users_count', { selected: fmtNumber(chosen.size), total: fmtNumber(people.length), shown: fmtNumber(shown.length) });
    allShown.checked = shown.length > 0 && shown.every((u) => chosen.has(u.id));
  }
  search.addEventListener('input', drawUsers);
  allShown.addEventListener('change', () => {
    const q = search.value.trim().toLowerCase();
    for (const u of people.filter((x) => matches(x, q))) { if (allShown.checked) chosen.add(u.id); else chosen.delete(u.id); }
    drawUsers();
  });
  const usersField = h('fieldset', { class: 'field users-field' },
    h('legend', {}, t('switch.users_title')),
    h('label', { for: 'switch-user-search' }, t('switch.users_search')), search,
    h('label', { class: 'checkbox', for: 'switch-users-all' }, allShown, ' ', t('switch.users_all')),
    count, list);
  drawUsers();

  const planField = h('div', { class: 'field plan-field' }, h('label', { for: 'switch-target' }, t('switch.target')), planSelect);
  const qtyHint = h('span', { class: 'hint', id: 'switch-quantity-hint' }, t('switch.quantity_hint', { n: sub.assigned, count: fmtNumber(sub.assigned) }));
  const qtyField = h('div', { class: 'field qty-field' }, h('label', { for: 'switch-quantity' }, t('switch.quantity')), qty, qtyHint);
  const mode = () => modeSet.querySelector('input[name="mode"]:checked').value;
  function drawMode() {
    const m = mode();
    planField.hidden = m === 'into';
    qtyField.hidden = m === 'into';
    intoField.hidden = m !== 'into';
    usersField.hidden = m !== 'some';
    if (m === 'some') {
      qty.value = '';
      qty.min = '1';
      qtyHint.textContent = t('switch.quantity_some_hint');
    } else if (m === 'all') {
      qty.value = String(defQty);
      qty.min = String(minQty);
      qtyHint.textContent = t('switch.quantity_hint', { n: sub.assigned, count: fmtNumber(sub.assigned) });
    }
    replace(review);
  }
  modeSet.addEventListener('change', drawMode);

  const chooseForm = h('form', { class: 'card', novalidate: true },
    h('h2', {}, t('switch.step1')),
    modeSet, planField, intoField, usersField, qtyField,
    h('div', { class: 'actions' }, reviewBtn),
    errorSlot());
  drawMode();

  // The body of the change as chosen: the preview and the switch take the same.
  function changeBody() {
    const m = mode();
    if (m === 'into') return intos.length ? { into: intoSelect.value } : null;
    const body = { target_plan: planSelect.value };
    if (qty.value !== '') body.quantity = Number(qty.value);
    if (m === 'some') body.users = [...chosen];
    return body;
  }

  chooseForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(chooseForm);
    const m = mode();
    const q = Number(qty.value);
    if (m === 'all' && (!Number.isInteger(q) || q < minQty || q > 1000000)) {
      return showError(chooseForm, localError(t('switch.quantity_invalid', { min: minQty }), 'quantity'), ctx);
    }
    if (m === 'some' && qty.value !== '' && (!Number.isInteger(q) || q < 1 || q > 1000000)) {
      return showError(chooseForm, localError(t('switch.quantity_invalid', { min: 1 }), 'quantity'), ctx);
    }
    if (m === 'some' && !chosen.size) return showError(chooseForm, localError(t('switch.users_none'), 'users'), ctx);
    const body = changeBody();
    if (!body) return showError(chooseForm, localError(t('switch.into_none'), 'into'), ctx);
    reviewBtn.disabled = true;
    replace(review, loading(t('switch.previewing')));
    try {
      const pv = await api('POST', `${base}/switch/preview`, { body, signal: ctx.signal });
      replace(review, reviewCard(pv, body));
      review.querySelector('h2').focus();
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(review);
      showError(chooseForm, e, ctx);
    } finally {
      reviewBtn.disabled = false;
    }
  });

  function reviewCard(pv, chosenBody) {
    const cur = pv.price.currency;
    const toName = chosenBody.into ? `${pv.target_name} (${chosenBody.into})` : pv.target_name;
    const parts = [];
    parts.push(h('h2', { tabindex: '-1', id: 'review-title' }, t('switch.step2', { to: toName })));
    parts.push(h('dl', { class: 'facts' },
      h('dt', {}, t('switch.from_to')), h('dd', {}, `${fromName} → ${toName}`),
      h('dt', {}, chosenBody.into ? t('switch.into_quantity', { sub: chosenBody.into }) : t('switch.licenses')), h('dd', { class: 'seats' }, fmtNumber(pv.quantity)),
      h('dt', {}, t('switch.users_moving')), h('dd', { class: 'moving' }, fmtNumber(pv.users.count)),
      // Per month: everyone moves (before → after), some users (the new
      // subscription), into (the subscription merged into, after).
      chosenBody.users ? h('dt', {}, t('switch.monthly_new')) : chosenBody.into ? h('dt', {}, t('switch.monthly_into', { sub: chosenBody.into })) : h('dt', {}, t('switch.monthly')),
      h('dd', { class: 'monthly' }, chosenBody.users || chosenBody.into ? fmtMoney(pv.price.monthly_after, cur) : `${fmtMoney(pv.price.monthly_before, cur)} → ${fmtMoney(pv.price.monthly_after, cur)}`),
      h('dt', {}, t('switch.charge', { start: fmtDate(pv.period.start), end: fmtDate(pv.period.end) })), h('dd', { class: 'charge' }, fmtMoney(pv.period.charge, cur)),
      h('dt', {}, t('switch.credit', { plan: fromName })), h('dd', { class: 'credit' }, fmtMoney(-pv.period.credit, cur)),
      h('dt', {}, t('upgrade.net')), h('dd', { class: 'net' }, h('strong', {}, fmtMoney(pv.period.net, cur)))));
    // Users who already hold a license of the target's product keep it.
    if (pv.license_errors && pv.license_errors.length) {
      parts.push(h('div', { class: 'alert alert-info license-errors', role: 'note' },
        h('h3', {}, t('switch.license_errors_title')),
        h('ul', {}, pv.license_errors.map((e) => {
          const u = userById.get(e.user);
          return h('li', { dataset: { user: e.user } }, t('switch.license_error', { user: u ? u.display_name : e.user, sub: e.subscription || '' }));
        }))));
    }
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
          t(a.outcome === 'moved' ? 'switch.addon_moved' : 'switch.addon_cancelled', { plan: planName(catalog, a.plan), to: toName }),
          a.outcome === 'cancelled' && a.credit ? ` ${t('switch.addon_credit', { amount: fmtMoney(a.credit, cur) })}` : '')))));
      if (dropped.length) {
        form.append(h('div', { class: 'field' },
          h('label', { class: 'checkbox' },
            h('input', { type: 'checkbox', name: 'acknowledge_addons', id: 'ack-addons', required: true }),
            t('switch.addons_ack', { addons: fmtList(dropped.map((a) => planName(catalog, a.plan))) }))));
      }
    }
    // Data at risk: named services only; a plan missing from the catalog
    // says its data is unknown; a plan that keeps no data warns of nothing.
    const fromPlan = catalog.plans.find((p) => p.id === sub.plan);
    const keepsData = !fromPlan || fromPlan.services.some((id) => (catalog.services.find((x) => x.id === id) || {}).data_bearing);
    if (!pv.data.safe && (keepsData || pv.data.acknowledgement_needed)) {
      const names = [...(pv.data.missing_services || []), ...(pv.data.lower_services || [])]
        .map((id) => (catalog.services.find((x) => x.id === id) || {}).name || id).filter((x) => x && x.trim());
      const unknown = !fromPlan || !names.length;
      parts.push(h('div', { class: 'alert alert-danger data-warning', role: 'note' },
        h('h3', {}, t('switch.data_title')),
        h('p', {}, unknown ? t('switch.data_text_unknown', { from: fromName, to: toName }) : t('switch.data_text', { services: fmtList(names), to: toName }))));
      form.append(h('div', { class: 'field' },
        h('label', { class: 'checkbox' },
          h('input', { type: 'checkbox', name: 'acknowledge_data_loss', id: 'ack-data', required: pv.data.acknowledgement_needed }),
          unknown ? t('switch.data_ack_unknown') : t('switch.data_ack', { services: fmtList(names) }))));
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
        const body = chosenBody.into ? { into: chosenBody.into } : { ...chosenBody, target_plan: pv.target_plan, quantity: pv.quantity };
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
