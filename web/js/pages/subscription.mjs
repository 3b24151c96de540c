// A subscription: its details, and its Upgrade tab: the plans on offer with
// what changes (services, price, this period's credit and charge) and an
// Upgrade button that follows the operation to its end; or every reason it
// cannot, with its remedies as actions.
import { h, replace } from '../dom.mjs';
import { t, fmtDate, fmtDateTime, fmtMoney, fmtNumber, fmtList } from '../i18n.mjs';
import { api, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import {
  pageHead, badge, loading, reasonList, showError, clearErrors, errorSlot, errorText,
  operationProgress, planName, serviceName, empty, reasonsPass, confirmDialog } from '../ui.mjs';

const LIVE = ['provisioning', 'active', 'disabled'];

export async function subscriptionPage(ctx) {
  const base = `/v1/tenants/${ctx.tenant}/subscriptions/${ctx.params.s}`;
  const [sub, catalog] = await Promise.all([api('GET', base, { signal: ctx.signal }), getCatalog()]);
  const name = sub.plan_name || planName(catalog, sub.plan);
  // The header's facts (status, seats): read again when an operation started
  // here moves on, so the page never shows a state the subscription has left.
  const facts = (s) => [`${s.id} · `, badge(s.status), ' · ', t('products.seats', { assigned: fmtNumber(s.assigned), quantity: fmtNumber(s.quantity) })];
  const headLine = h('span', { class: 'sub-facts' }, ...facts(sub));
  const refreshHead = async () => {
    try {
      const now = await api('GET', base, { signal: ctx.signal });
      replace(headLine, ...facts(now));
    } catch (e) {
      if (e && e.name === 'AbortError') return;
    }
  };

  const tabs = [
    { id: 'overview', label: t('sub.tab.overview'), render: () => overviewPanel(ctx, sub, catalog) },
    { id: 'upgrade', label: t('sub.tab.upgrade'), render: () => upgradePanel(ctx, sub, catalog, refreshHead) },
  ];
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('sub.tabs_label', { plan: name }) });
  const panels = h('div', {});
  const rendered = new Map();

  function select(id, { focus = false, updateHash = true } = {}) {
    for (const tb of tabs) {
      const btn = tablist.querySelector(`#tab-${tb.id}`);
      const on = tb.id === id;
      btn.setAttribute('aria-selected', String(on));
      btn.tabIndex = on ? 0 : -1;
      if (on && focus) btn.focus();
      let panel = rendered.get(tb.id);
      if (on && !panel) {
        panel = h('div', { role: 'tabpanel', id: `panel-${tb.id}`, 'aria-labelledby': `tab-${tb.id}`, tabindex: '0' }, tb.render());
        rendered.set(tb.id, panel);
        panels.append(panel);
      }
      if (panel) panel.hidden = !on;
    }
    if (updateHash) {
      const hash = `#/t/${ctx.tenant}/subscriptions/${sub.id}${id === 'upgrade' ? '/upgrade' : ''}`;
      if (location.hash !== hash) history.replaceState(null, '', hash);
    }
  }
  tabs.forEach((tb, i) => {
    const btn = h('button', {
      type: 'button', class: 'tab', role: 'tab', id: `tab-${tb.id}`, 'aria-controls': `panel-${tb.id}`,
      onclick: () => select(tb.id),
      onkeydown: (ev) => {
        const k = ev.key;
        let j = null;
        if (k === 'ArrowRight') j = (i + 1) % tabs.length;
        else if (k === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
        else if (k === 'Home') j = 0;
        else if (k === 'End') j = tabs.length - 1;
        if (j !== null) { ev.preventDefault(); select(tabs[j].id, { focus: true }); }
      },
    }, tb.label);
    tablist.append(btn);
  });
  select(ctx.tab === 'upgrade' ? 'upgrade' : 'overview', { updateHash: false });

  return h('div', {},
    h('p', { class: 'breadcrumb' }, h('a', { href: `#/t/${ctx.tenant}/products` }, t('products.title')), ' › ', name),
    pageHead(name, headLine),
    tablist, panels);
}

function overviewPanel(ctx, sub, catalog) {
  const box = h('div', { class: 'card' });
  const render = (s) => replace(box, ...overviewContent(ctx, s, catalog, render));
  render(sub);
  return box;
}

function overviewContent(ctx, sub, catalog, rerender) {
  const plan = catalog.plans.find((p) => p.id === sub.plan);
  const facts = [
    [t('sub.status'), badge(sub.status)],
    [t('sub.licenses'), t('products.seats', { assigned: fmtNumber(sub.assigned), quantity: fmtNumber(sub.quantity) })],
    [t('sub.term'), t(`term.${sub.term}`) + (sub.prepaid ? ` · ${t('products.prepaid')}` : '')],
    [t('sub.term_dates'), `${fmtDate(sub.term_start)} – ${fmtDate(sub.term_end)}`],
    [t('sub.billed_through'), sub.billed_through ? fmtDate(sub.billed_through) : '—'],
    sub.cancel_at && LIVE.includes(sub.status) ? [t('sub.cancel_at'), t('sub.cancel_at_value', { date: fmtDate(sub.cancel_at) })] : null,
    // The price it was sold at (kept until its next renewal), not today's catalog price.
    [t('sub.price'), h('span', { id: 'sub-price' }, t('buy.per_seat', { price: fmtMoney(sub.price_per_seat_month, sub.currency) }),
      plan && plan.price_per_seat_month !== sub.price_per_seat_month
        ? ` · ${t('sub.price_now', { price: fmtMoney(plan.price_per_seat_month, plan.currency) })}` : '',
      plan && plan.retired ? ` · ${t('sub.plan_retired')}` : '')],
    sub.addon_of ? [t('sub.addon_of'), h('a', { href: `#/t/${ctx.tenant}/subscriptions/${sub.addon_of}` }, sub.addon_of)] : null,
    sub.replaced_by ? [t('sub.replaced_by'), h('a', { href: `#/t/${ctx.tenant}/subscriptions/${sub.replaced_by}` }, sub.replaced_by)] : null,
  ].filter(Boolean);
  const actions = h('div', { class: 'actions' },
    h('a', { class: 'btn btn-secondary btn-small', href: `#/t/${ctx.tenant}/licenses` }, t('sub.manage_licenses')));
  const errors = errorSlot();
  if (may('billing') && sub.status === 'active' && !sub.cancel_at) {
    const start = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => confirm() }, t('sub.cancel_term_end'));
    actions.append(start);
    let idem = null;
    const confirm = async () => {
      const ok = await confirmDialog({
        title: t('sub.cancel_confirm_title', { plan: sub.plan_name || planName(catalog, sub.plan) }),
        text: t('sub.cancel_term_end_text', { date: fmtDate(sub.term_end) }),
        facts: [[t('confirm.plan'), sub.plan_name || planName(catalog, sub.plan)], [t('sub.licenses'), t('products.seats', { assigned: fmtNumber(sub.assigned), quantity: fmtNumber(sub.quantity) })]],
        confirmLabel: t('sub.cancel_term_end_yes'), danger: true,
      });
      if (ok) run(start);
    };
    const keep = [...actions.childNodes].filter((n) => n !== start);
    const run = async (btn) => {
      btn.disabled = true;
      idem = idem || newIdemKey('cancel');
      try {
        const s = await api('POST', `/v1/tenants/${ctx.tenant}/subscriptions/${sub.id}/cancel`, { body: { when: 'term_end' }, idem });
        rerender(s);
      } catch (e) {
        if (e.status !== 0 && !(e.status >= 500)) idem = null;
        start.disabled = false;
        replace(actions, ...keep, start);
        showError(errors.parentNode || actions, e, ctx);
        start.focus();
      }
    };
  }
  return [
    h('h2', {}, t('sub.details')),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h3', {}, t('sub.services')),
    plan ? h('ul', {}, plan.services.map((id) => h('li', {}, serviceName(catalog, id)))) : empty(t('sub.plan_missing', { plan: sub.plan })),
    actions, errors,
  ];
}

/** What a move from one plan to another changes in services. */
export function serviceChanges(catalog, fromId, toId) {
  const from = catalog.plans.find((p) => p.id === fromId);
  const to = catalog.plans.find((p) => p.id === toId);
  if (!from || !to) return [];
  const svc = (id) => catalog.services.find((x) => x.id === id) || { id, name: id, family: id, rank: 0 };
  const fromBy = new Map(from.services.map((id) => [svc(id).family, svc(id)]));
  const toBy = new Map(to.services.map((id) => [svc(id).family, svc(id)]));
  const out = [];
  for (const [fam, ts] of toBy) {
    const fs = fromBy.get(fam);
    if (!fs) out.push({ kind: 'gained', text: t('changes.gained', { service: ts.name }) });
    else if (ts.rank > fs.rank) out.push({ kind: 'better', text: t('changes.better', { service: ts.name, was: fs.name }) });
  }
  for (const [fam, fs] of fromBy) {
    const ts = toBy.get(fam);
    if (!ts) out.push({ kind: 'lost', text: t(fs.data_bearing ? 'changes.lost_data' : 'changes.lost', { service: fs.name }) });
    else if (ts.rank < fs.rank) out.push({ kind: 'lost', text: t('changes.lower', { service: ts.name, was: fs.name }) });
  }
  return out;
}

function changesList(catalog, fromId, toId) {
  const ch = serviceChanges(catalog, fromId, toId);
  if (!ch.length) return h('p', { class: 'muted' }, t('changes.none'));
  return h('ul', { class: 'gains', 'aria-label': t('changes.label') },
    ch.map((c) => h('li', { class: c.kind === 'gained' ? '' : c.kind }, c.text)));
}

function upgradePanel(ctx, sub, catalog, refreshHead = () => {}) {
  const root = h('div', { class: 'upgrade-tab' }, loading());
  let showUnsupported = false;
  const fromName = sub.plan_name || planName(catalog, sub.plan);

  async function load() {
    replace(root, loading());
    let tab;
    try {
      tab = await api('GET', `/v1/tenants/${ctx.tenant}/subscriptions/${sub.id}/upgrades${showUnsupported ? '?include_unsupported=true' : ''}`, { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(root, h('p', { class: 'form-error', role: 'alert' }, errorText(e)),
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: load }, t('common.retry')));
      return;
    }
    const codes = tab.reasons.map((r) => r.code);
    // A change at the end of the term: the one scheduled, or the targets it
    // can be asked for (the default for a prepaid plan, blocked until then).
    const scheduled = tab.scheduled ? scheduledBox(tab.scheduled) : null;
    const termEnd = tab.offers.filter((o) => o.term_end_eligible);
    const termEndSection = !tab.scheduled && termEnd.length && may('billing') ? termEndBox(termEnd) : null;
    if (!tab.eligible) {
      // "Once resolved" only when the reasons pass; never for a permanent one.
      const later = reasonsPass(tab.reasons, sub.id) ? tab.offers.filter((o) => o.upgrade_type === 'automatic').map((o) => o.name) : [];
      replace(root, scheduled, termEndSection,
        h('section', { class: 'blocked', 'aria-labelledby': 'blocked-title' },
          h('h2', { id: 'blocked-title', tabindex: '-1' }, t('upgrade.blocked_title')),
          h('p', {}, t('upgrade.blocked_intro', { n: tab.reasons.length })),
          reasonList(tab.reasons, ctx, { subscription: sub.id, codes }),
          later.length ? h('p', { class: 'muted later-offers' }, t('upgrade.later', { plans: fmtList(later) })) : null,
          // The Upgrade buttons, shown blocked, each pointing at the reasons above.
          later.length && may('billing')
            ? h('div', { class: 'actions blocked-offers' },
              later.map((n) => h('button', { type: 'button', class: 'btn btn-blocked', disabled: true, 'aria-describedby': 'blocked-why' }, t('upgrade.button', { plan: n }))),
              h('a', { href: '#blocked-title', id: 'blocked-why', class: 'remedy-link', onclick: (ev) => { ev.preventDefault(); root.querySelector('#blocked-title').focus(); } },
                t('upgrade.why_blocked', { n: tab.reasons.length })))
            : null,
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: load }, t('upgrade.check_again')))));
      return;
    }
    const auto = tab.offers.filter((o) => o.upgrade_type === 'automatic');
    const manual = tab.offers.filter((o) => o.upgrade_type !== 'automatic');
    const offersBox = h('div', { class: 'grid offers' }, auto.map((o) => offerCard(o)));
    const toggle = h('label', { class: 'checkbox' },
      h('input', { type: 'checkbox', id: 'show-unsupported', checked: showUnsupported, onchange: (ev) => { showUnsupported = ev.target.checked; load(); } }),
      t('upgrade.show_unsupported'));
    replace(root, scheduled,
      h('section', { class: 'eligible', 'aria-labelledby': 'offers-title' },
        h('h2', { id: 'offers-title' }, t('upgrade.offers_title')),
        h('p', {}, t('upgrade.offers_intro', { plan: fromName })),
        auto.length ? offersBox : empty(t('upgrade.no_offers')),
        h('div', { class: 'field' }, toggle),
        showUnsupported && manual.length
          ? h('section', { 'aria-labelledby': 'manual-title' },
            h('h3', { id: 'manual-title' }, t('upgrade.unsupported_title')),
            h('ul', { class: 'reasons' }, manual.map((o) => h('li', { class: 'card' },
              h('h3', {}, o.name, ' ', h('span', { class: 'muted' }, fmtMoney(o.price.monthly_after, o.price.currency), t('common.per_month'))),
              reasonList(o.reasons, ctx, { subscription: sub.id })))))
          : null),
      termEndSection);
  }

  // The scheduled change, and a way to call it off.
  function scheduledBox(s) {
    const errors = errorSlot();
    const box = h('section', { class: 'scheduled card', 'aria-labelledby': 'scheduled-title' },
      h('h2', { id: 'scheduled-title' }, t('upgrade.scheduled_title')),
      h('p', { class: 'scheduled-text' }, s.kind === 'cancel'
        ? t('upgrade.scheduled_cancel_text', { date: fmtDate(s.effective_at) })
        : t('upgrade.scheduled_text', { plan: planName(catalog, s.target_plan), date: fmtDate(s.effective_at) })));
    if (may('billing')) {
      let idem = null;
      const btn = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: async () => {
        btn.disabled = true;
        idem = idem || newIdemKey('opcancel');
        try {
          await api('POST', `/v1/tenants/${ctx.tenant}/operations/${s.operation}/cancel`, { idem });
          load();
        } catch (e) {
          if (e.status !== 0 && !(e.status >= 500)) idem = null;
          btn.disabled = false;
          showError(box, e, ctx);
        }
      } }, t('upgrade.scheduled_cancel'));
      box.append(h('div', { class: 'actions' }, btn), errors);
    }
    return box;
  }

  // The targets an upgrade can be scheduled to, at the end of the term.
  function termEndBox(offers) {
    const date = fmtDate(sub.term_end);
    const list = h('div', { class: 'actions term-end-offers' });
    const errors = errorSlot();
    const box = h('section', { class: 'term-end card', 'aria-labelledby': 'term-end-title' },
      h('h2', { id: 'term-end-title' }, t('upgrade.term_end_title')),
      h('p', {}, t('upgrade.term_end_intro', { date })), list, errors);
    let idem = null;
    const buttons = () => offers.map((o) => h('button', { type: 'button', class: 'btn', dataset: { plan: o.plan }, onclick: () => confirm(o) },
      t('upgrade.term_end_button', { plan: o.name, date })));
    const confirm = async (o) => {
      const p = o.price;
      const ok = await confirmDialog({
        title: t('upgrade.term_end_confirm_text', { from: fromName, to: o.name, date }),
        facts: p ? [[t('confirm.plan'), `${fromName} → ${o.name}`], [t('confirm.quantity'), fmtNumber(p.quantity)],
          [t('confirm.total_per_month'), t('upgrade.confirm_monthly', { after: fmtMoney(p.monthly_after, p.currency), before: fmtMoney(p.monthly_before, p.currency) })]] : [],
        confirmLabel: t('upgrade.term_end_confirm'),
      });
      if (ok) run(o, list.querySelector(`[data-plan="${CSS.escape(o.plan)}"]`) || list);
    };
    const run = async (o, btn) => {
      btn.disabled = true;
      idem = idem || newIdemKey('schedule');
      try {
        await api('POST', `/v1/tenants/${ctx.tenant}/subscriptions/${sub.id}/upgrade`, { body: { target_plan: o.plan, when: 'term_end' }, idem });
        load();
      } catch (e) {
        if (e.status !== 0 && !(e.status >= 500)) idem = null;
        replace(list, ...buttons());
        showError(box, e, ctx);
      }
    };
    replace(list, ...buttons());
    return box;
  }

  function offerCard(o) {
    const p = o.price;
    const previewBox = h('div', { class: 'preview', 'aria-live': 'polite' }, loading(t('upgrade.preview_loading')));
    const actions = h('div', { class: 'actions' });
    const errors = errorSlot();
    const card = h('article', { class: 'card offer', dataset: { plan: o.plan }, 'aria-labelledby': `offer-${o.plan}` },
      h('h3', { id: `offer-${o.plan}` }, o.name),
      h('div', { class: 'price-row' },
        h('span', { class: 'price-after' }, fmtMoney(p.monthly_after, p.currency)), h('span', {}, t('common.per_month')),
        h('span', { class: 'muted' }, t('upgrade.instead_of', { price: fmtMoney(p.monthly_before, p.currency) }))),
      h('p', { class: 'muted' }, t('upgrade.per_license', {
        before: fmtMoney(p.per_seat_month_before, p.currency), after: fmtMoney(p.per_seat_month_after, p.currency), n: p.quantity, count: fmtNumber(p.quantity),
      })),
      h('h4', {}, t('changes.title')),
      changesList(catalog, sub.plan, o.plan),
      previewBox, actions, errors);
    let lastPreview = null;
    loadPreview(o, previewBox).then((pv) => { lastPreview = pv; });
    if (!may('billing')) {
      // A reader sees the offer and why there is no button.
      actions.append(h('p', { class: 'remedy-note offer-needs' }, t('remedy.needs', { action: t('upgrade.button', { plan: o.name }), role: t('role.needs.billing') })));
    }
    if (may('billing') && o.eligible) {
      const start = h('button', { type: 'button', class: 'btn', onclick: () => confirm() }, t('upgrade.button', { plan: o.name }));
      actions.append(start);
      const confirm = async () => {
        clearErrors(card);
        const ok = await confirmDialog({
          title: t('upgrade.confirm_text', { from: fromName, to: o.name, n: p.quantity, count: fmtNumber(p.quantity) }),
          facts: [[t('confirm.plan'), `${fromName} → ${o.name}`], [t('confirm.quantity'), fmtNumber(p.quantity)],
            [t('confirm.total_per_month'), t('upgrade.confirm_monthly', { after: fmtMoney(p.monthly_after, p.currency), before: fmtMoney(p.monthly_before, p.currency) })],
            lastPreview ? [t('upgrade.net'), fmtMoney(lastPreview.period.net, lastPreview.price.currency)] : null],
          warning: lastPreview && lastPreview.credit_check.needed ? t('upgrade.credit_check_needed', {
            after: fmtMoney(lastPreview.credit_check.monthly_charge_after, lastPreview.price.currency), limit: fmtMoney(lastPreview.credit_check.credit_limit, lastPreview.price.currency),
          }) : null,
          confirmLabel: t('upgrade.confirm'),
        });
        if (ok) run(start);
      };
      let idem = null;
      const run = async (btn) => {
        clearErrors(card);
        btn.disabled = true;
        btn.textContent = t('upgrade.starting');
        idem = idem || newIdemKey('upgrade');
        try {
          const op = await api('POST', `/v1/tenants/${ctx.tenant}/subscriptions/${sub.id}/upgrade`, { body: { target_plan: o.plan }, idem });
          showProgress(op, o);
        } catch (e) {
          // A refusal is final for this key; a network failure may be retried with it.
          if (e.status !== 0 && !(e.status >= 500)) idem = null;
          start.disabled = false;
          start.textContent = t('upgrade.button', { plan: o.name });
          replace(actions, start);
          showError(card, e, ctx);
          start.focus();
        }
      };
    }
    return card;
  }

  async function loadPreview(o, box) {
    try {
      const pv = await api('POST', `/v1/tenants/${ctx.tenant}/subscriptions/${sub.id}/upgrade/preview`, { body: { target_plan: o.plan }, signal: ctx.signal });
      const cur = pv.price.currency;
      const per = pv.period;
      replace(box,
        h('h4', {}, per.start ? t('upgrade.period_title', { start: fmtDate(per.start), end: fmtDate(per.end) }) : t('upgrade.period_none')),
        h('dl', { class: 'facts' },
          h('dt', {}, t('upgrade.credit', { plan: fromName })), h('dd', { class: 'credit' }, fmtMoney(-per.credit, cur)),
          h('dt', {}, t('upgrade.charge', { plan: o.name })), h('dd', { class: 'charge' }, fmtMoney(per.charge, cur)),
          h('dt', {}, t('upgrade.net')), h('dd', { class: 'net' }, h('strong', {}, fmtMoney(per.net, cur))),
          h('dt', {}, t('upgrade.users_moving')), h('dd', {}, fmtNumber(pv.users.count))),
        pv.credit_check.needed
          ? h('p', { class: 'alert alert-warn' }, t('upgrade.credit_check_needed', {
            after: fmtMoney(pv.credit_check.monthly_charge_after, cur), limit: fmtMoney(pv.credit_check.credit_limit, cur),
          }))
          : null);
      return pv;
    } catch (e) {
      if (e.name === 'AbortError') return null;
      replace(box, h('p', { class: 'form-error' }, errorText(e)));
      return null;
    }
  }

  function showProgress(op, offer) {
    const head = h('h2', { id: 'progress-title', tabindex: '-1' }, t('upgrade.progress_title', { from: fromName, to: offer.name }));
    replace(root, h('section', { class: 'card', 'aria-labelledby': 'progress-title' }, head,
      operationProgress(op, ctx, { names: { from: fromName, to: offer.name }, onFinish: refreshHead })));
    head.focus();
    refreshHead();
  }

  load();
  return root;
}
