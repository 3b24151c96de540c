// Licenses: purchased, assigned and available per subscription; the
// license conflict alert (more users than licenses); assign and unassign
// users; buy more licenses; add a user.
import { h, replace } from '../dom.mjs';
import { t, fmtNumber, fmtDateTime, fmtMoney } from '../i18n.mjs';
import { api, listAll, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, localError, planName, confirmDialog, pager } from '../ui.mjs';
import { mulMinor } from '../money.mjs';
import { userPicker, userNames } from './users.mjs';

export async function licensesPage(ctx) {
  const root = h('div', {});
  const openPanels = new Set();
  let firstLoad = true;

  async function load() {
    const [lic, subs, checks, catalog] = await Promise.all([
      listAll(`/v1/tenants/${ctx.tenant}/licenses`, { signal: ctx.signal }),
      listAll(`/v1/tenants/${ctx.tenant}/subscriptions`, { signal: ctx.signal }),
      listAll(`/v1/tenants/${ctx.tenant}/credit-checks`, { signal: ctx.signal }),
      getCatalog(),
    ]);
    const subById = new Map(subs.items.map((x) => [x.id, x]));
    // Licenses bought over the credit limit wait on a credit check.
    const waiting = new Map(checks.items.filter((c) => c.status === 'pending' && c.subscription && c.quantity !== null)
      .map((c) => [c.subscription, c]));
    const conflicts = lic.items.filter((l) => l.conflict);
    const name = (l) => planName(catalog, l.plan);
    if (firstLoad) for (const l of conflicts) openPanels.add(l.subscription);
    firstLoad = false;

    const alert = conflicts.length
      ? h('div', { class: 'alert alert-danger conflict-alert', role: 'alert', id: 'conflict-alert' },
        h('h2', {}, t('licenses.conflict_title')),
        h('p', {}, t('licenses.conflict_intro')),
        h('ul', {}, conflicts.map((l) => {
          const over = l.assigned - l.purchased;
          return h('li', {}, t('licenses.conflict_item', {
            plan: name(l), assigned: fmtNumber(l.assigned), purchased: fmtNumber(l.purchased), n: over, count: fmtNumber(over),
          }));
        })))
      : h('p', { class: 'alert alert-ok', id: 'no-conflict' }, t('licenses.no_conflict'));

    const summary = table(
      [{ label: t('licenses.col.subscription'), rowHeader: true }, { label: t('licenses.col.purchased'), num: true }, { label: t('licenses.col.assigned'), num: true }, { label: t('licenses.col.available'), num: true }, { label: t('licenses.col.status') }],
      lic.items.map((l) => [
        h('a', { href: `#/t/${ctx.tenant}/subscriptions/${l.subscription}` }, name(l)),
        fmtNumber(l.purchased), fmtNumber(l.assigned), fmtNumber(l.available),
        h('span', {}, l.conflict ? badge('incident', t('licenses.conflict_badge')) : badge(l.status),
          waiting.has(l.subscription) ? [' ', waitingNote(waiting.get(l.subscription))] : null),
      ]),
      { label: t('licenses.summary'), rowClass: (i) => (lic.items[i].conflict ? 'row-danger' : null) });

    const panels = lic.items.map((l) => subscriptionPanel(l, name(l), subById.get(l.subscription), waiting.get(l.subscription)));

    replace(root,
      pageHead(t('licenses.title'), t('licenses.subtitle')),
      alert,
      summary,
      h('h2', {}, t('licenses.manage')),
      lic.items.length ? panels : empty(t('licenses.none')),
      may('licenses') ? addUserForm() : null);
  }

  function waitingNote(c) {
    return h('span', { class: 'badge badge-warn waiting-credit-check', dataset: { check: c.id } },
      t('licenses.waiting_credit_check', { count: fmtNumber(c.quantity), time: fmtDateTime(c.expected_by) }));
  }

  function subscriptionPanel(l, name, sub, wait) {
    const body = h('div', { class: 'panel-body' });
    const details = h('details', { class: 'panel', id: `lic-${l.subscription}`, open: openPanels.has(l.subscription) },
      h('summary', {}, h('span', {}, name), h('span', { class: 'muted' }, t('licenses.panel_counts', { assigned: fmtNumber(l.assigned), purchased: fmtNumber(l.purchased) })),
        l.conflict ? badge('incident', t('licenses.conflict_badge')) : null),
      body);
    let loaded = false;
    const fill = async () => {
      if (loaded) return;
      loaded = true;
      const parts = [];
      if (l.conflict) {
        parts.push(h('p', { class: 'alert alert-warn' }, t('licenses.resolve_hint', { n: l.assigned - l.purchased, count: fmtNumber(l.assigned - l.purchased) })));
      }
      if (wait) parts.push(h('p', { class: 'alert alert-info' }, waitingNote(wait)));
      if (may('billing')) parts.push(buyForm(l, name, sub));
      parts.push(h('h3', {}, t('licenses.assigned_users', { n: l.assigned, count: fmtNumber(l.assigned) })));
      const cols = [{ label: t('licenses.col.user'), rowHeader: true }, { label: t('licenses.col.upn'), class: 'hide-narrow' }, ...(may('licenses') ? [{ label: h('span', { class: 'sr-only' }, t('products.col.actions')) }] : [])];
      // One page of holders at a time, their names asked for that page only.
      let names = new Map();
      const holders = pager({
        signal: ctx.signal,
        label: t('licenses.assigned_users', { n: l.assigned, count: fmtNumber(l.assigned) }),
        fetchPage: async (after, limit) => {
          const page = await api('GET', `/v1/tenants/${ctx.tenant}/subscriptions/${l.subscription}/assignments?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`, { signal: ctx.signal });
          names = await userNames(ctx, page.items.map((a) => a.user));
          return page;
        },
        render: (items) => (items.length ? table(cols, items.map((a) => {
          const u = names.get(a.user) || { display_name: a.user, upn: '' };
          const cells = [h('span', {}, u.display_name, h('br'), h('small', { class: 'muted' }, a.user)), h('span', { class: 'hide-narrow' }, u.upn)];
          if (may('licenses')) {
            cells.push(h('button', {
              type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': t('licenses.unassign_user', { user: u.display_name, plan: name }),
              onclick: (ev) => unassign(ev.currentTarget, l, a.user, u.display_name, name),
            }, t('licenses.unassign')));
          }
          return cells;
        }), { label: t('licenses.assigned_users', { n: l.assigned, count: fmtNumber(l.assigned) }) }) : empty(t('licenses.no_users'))),
      });
      parts.push(holders.node);
      if (may('licenses')) parts.push(assignForm(l, name));
      parts.push(errorSlot());
      replace(body, parts);
      await holders.first();
    };
    details.addEventListener('toggle', () => {
      if (details.open) { openPanels.add(l.subscription); fill().catch((e) => { if (e.name !== 'AbortError') showError(body, e, ctx); }); }
      else openPanels.delete(l.subscription);
    });
    if (details.open) fill().catch((e) => { if (e.name !== 'AbortError') showError(body, e, ctx); });
    return details;
  }

  async function unassign(btn, l, userId, userName, planLabel) {
    const panel = btn.closest('.panel-body');
    clearErrors(panel);
    const ok = await confirmDialog({
      title: t('licenses.unassign_confirm_title'),
      text: t('licenses.unassign_confirm_text', { user: userName, plan: planLabel }),
      facts: [[t('licenses.col.user'), userName], [t('licenses.col.subscription'), planLabel]],
      confirmLabel: t('licenses.unassign'), danger: true,
    });
    if (!ok) return;
    btn.disabled = true;
    try {
      await api('DELETE', `/v1/tenants/${ctx.tenant}/subscriptions/${l.subscription}/assignments/${userId}`, { idem: newIdemKey('unassign') });
      ctx.announce(t('licenses.unassigned', { user: userName, plan: planLabel }));
      await reload(l.subscription);
    } catch (e) {
      btn.disabled = false;
      // Next to the button that failed, not in the panel's first form.
      const row = btn.closest('tr') || btn.parentNode;
      const slot = h('td', { class: 'row-error', colspan: '3' });
      const tr = h('tr', { class: 'row-error-row' }, slot);
      if (row.tagName === 'TR') { (row.nextElementSibling && row.nextElementSibling.classList.contains('row-error-row') ? row.nextElementSibling : row).after(tr); } else panel.append(tr);
      showError(slot, e, ctx, { focus: false });
    }
  }

  function assignForm(l, name) {
    const id = `assign-${l.subscription}`;
    const picker = userPicker(ctx, { id, name: 'user', label: t('licenses.assign_label') });
    const form = h('form', { class: 'inline-form', novalidate: true },
      picker.node,
      h('button', { type: 'submit', class: 'btn btn-small' }, t('licenses.assign')),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const user = picker.value();
      if (!user) return showError(form, localError(t('licenses.choose_user_first'), 'user'), ctx);
      try {
        await api('PUT', `/v1/tenants/${ctx.tenant}/subscriptions/${l.subscription}/assignments/${user}`, { idem: newIdemKey('assign') });
        ctx.announce(t('licenses.assigned', { plan: name }));
        await reload(l.subscription);
      } catch (e) {
        showError(form, e, ctx);
      }
    });
    return h('div', {}, h('h3', {}, t('licenses.assign_title')), form);
  }

  function buyForm(l, name, sub) {
    const id = `buy-${l.subscription}`;
    const form = h('form', { class: 'inline-form buy-licenses', novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: id }, t('licenses.buy_label')),
        h('input', { id, name: 'quantity', type: 'number', min: '1', step: '1', value: String(Math.max(1, l.assigned - l.purchased)), inputmode: 'numeric' })),
      h('button', { type: 'submit', class: 'btn btn-small' }, t('licenses.buy')),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const add = Number(form.elements.quantity.value);
      if (!Number.isInteger(add) || add < 1 || l.purchased + add > 1000000) {
        return showError(form, localError(t('licenses.buy_invalid'), 'quantity'), ctx);
      }
      const price = sub ? sub.price_per_seat_month : null;
      const cur = sub ? sub.currency : ctx.currency;
      const ok = await confirmDialog({
        title: t('licenses.buy_confirm_title', { plan: name }),
        facts: [
          [t('confirm.plan'), name],
          [t('confirm.quantity'), t('licenses.buy_confirm_quantity', { add: fmtNumber(add), from: fmtNumber(l.purchased), to: fmtNumber(l.purchased + add) })],
          price !== null ? [t('confirm.added_per_month'), fmtMoney(mulMinor(price, add), cur)] : null,
          price !== null ? [t('confirm.total_per_month'), fmtMoney(mulMinor(price, l.purchased + add), cur)] : null,
        ],
        confirmLabel: t('licenses.buy_confirm', { n: add, count: fmtNumber(add) }),
      });
      if (!ok) return;
      try {
        const s = await api('PATCH', `/v1/tenants/${ctx.tenant}/subscriptions/${l.subscription}`, { body: { quantity: l.purchased + add }, idem: newIdemKey('buy') });
        // Over the credit limit the licenses wait on a credit check (202).
        ctx.announce(s && s.credit_check
          ? t('licenses.bought_pending', { n: add, count: fmtNumber(add), plan: name, time: fmtDateTime(s.credit_check.expected_by) })
          : t('licenses.bought', { n: add, count: fmtNumber(add), plan: name }));
        await reload(l.subscription);
      } catch (e) {
        showError(form, e, ctx);
      }
    });
    return h('div', {}, h('h3', {}, t('licenses.buy_title')), form);
  }

  function addUserForm() {
    const form = h('form', { class: 'card', novalidate: true, id: 'add-user' },
      h('h2', {}, t('users.add_title')),
      h('div', { class: 'field' }, h('label', { for: 'user-name' }, t('users.display_name')),
        h('input', { id: 'user-name', name: 'display_name', type: 'text', autocomplete: 'off', required: true })),
      h('div', { class: 'field' }, h('label', { for: 'user-upn' }, t('users.upn')),
        h('input', { id: 'user-upn', name: 'upn', type: 'email', autocomplete: 'off', required: true, placeholder: 'ada@example.com' })),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, t('users.add'))),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const body = { display_name: form.elements.display_name.value.trim(), upn: form.elements.upn.value.trim() };
      if (!body.display_name) return showError(form, localError(t('users.name_required'), 'display_name'), ctx);
      if (!/^[^@\s]+@[^@\s]+$/.test(body.upn)) return showError(form, localError(t('users.upn_invalid'), 'upn'), ctx);
      try {
        const u = await api('POST', `/v1/tenants/${ctx.tenant}/users`, { body, idem: newIdemKey('user') });
        ctx.announce(t('users.added', { user: u.display_name }));
        await reload(null);
        const again = root.querySelector('#add-user');
        again.append(h('p', { class: 'alert alert-ok', role: 'status' }, t('users.added', { user: u.display_name })));
      } catch (e) {
        showError(form, e, ctx);
      }
    });
    return form;
  }

  async function reload(focusSub) {
    await load();
    if (focusSub) {
      const d = root.querySelector(`#lic-${focusSub}`);
      if (d) d.querySelector('summary').focus();
    }
  }

  await load();
  return root;
}
