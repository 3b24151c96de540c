// Licenses: purchased, assigned and available per subscription; the
// license conflict alert (more users than licenses); assign and unassign
// users; buy more licenses; add a user.
import { h, replace } from '../dom.mjs';
import { t, fmtNumber, fmtDateTime } from '../i18n.mjs';
import { api, listAll, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, loading, showError, clearErrors, errorSlot, localError, planName } from '../ui.mjs';

export async function licensesPage(ctx) {
  const root = h('div', {});
  const openPanels = new Set();
  let firstLoad = true;

  async function load() {
    const [lic, users, catalog] = await Promise.all([
      listAll(`/v1/tenants/${ctx.tenant}/licenses`, { signal: ctx.signal }),
      listAll(`/v1/tenants/${ctx.tenant}/users`, { signal: ctx.signal }),
      getCatalog(),
    ]);
    const userById = new Map(users.items.map((u) => [u.id, u]));
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
        l.conflict ? badge('incident', t('licenses.conflict_badge')) : badge(l.status),
      ]),
      { label: t('licenses.summary'), rowClass: (i) => (lic.items[i].conflict ? 'row-danger' : null) });

    const panels = lic.items.map((l) => subscriptionPanel(l, name(l), users.items, userById));

    replace(root,
      pageHead(t('licenses.title'), t('licenses.subtitle')),
      alert,
      summary,
      h('h2', {}, t('licenses.manage')),
      lic.items.length ? panels : empty(t('licenses.none')),
      may('licenses') ? addUserForm() : null);
  }

  function subscriptionPanel(l, name, users, userById) {
    const body = h('div', { class: 'panel-body' });
    const details = h('details', { class: 'panel', id: `lic-${l.subscription}`, open: openPanels.has(l.subscription) },
      h('summary', {}, h('span', {}, name), h('span', { class: 'muted' }, t('licenses.panel_counts', { assigned: fmtNumber(l.assigned), purchased: fmtNumber(l.purchased) })),
        l.conflict ? badge('incident', t('licenses.conflict_badge')) : null),
      body);
    let loaded = false;
    const fill = async () => {
      if (loaded) return;
      loaded = true;
      replace(body, loading());
      const seats = await listAll(`/v1/tenants/${ctx.tenant}/subscriptions/${l.subscription}/assignments`, { signal: ctx.signal, max: 2000 });
      const holders = new Set(seats.items.map((a) => a.user));
      const parts = [];
      if (l.conflict) {
        parts.push(h('p', { class: 'alert alert-warn' }, t('licenses.resolve_hint', { n: l.assigned - l.purchased, count: fmtNumber(l.assigned - l.purchased) })));
      }
      if (may('billing')) parts.push(buyForm(l, name));
      parts.push(h('h3', {}, t('licenses.assigned_users', { n: seats.items.length, count: fmtNumber(l.assigned) })));
      if (seats.items.length) {
        parts.push(table(
          [{ label: t('licenses.col.user'), rowHeader: true }, { label: t('licenses.col.upn'), class: 'hide-narrow' }, ...(may('licenses') ? [{ label: h('span', { class: 'sr-only' }, t('products.col.actions')) }] : [])],
          seats.items.map((a) => {
            const u = userById.get(a.user) || { display_name: a.user, upn: '' };
            const cells = [h('span', {}, u.display_name, h('br'), h('small', { class: 'muted' }, a.user)), h('span', { class: 'hide-narrow' }, u.upn)];
            if (may('licenses')) {
              cells.push(h('button', {
                type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': t('licenses.unassign_user', { user: u.display_name, plan: name }),
                onclick: (ev) => unassign(ev.currentTarget, l, a.user, u.display_name, name),
              }, t('licenses.unassign')));
            }
            return cells;
          }), { label: t('licenses.assigned_users', { n: seats.items.length, count: fmtNumber(l.assigned) }) }));
        if (seats.more) parts.push(h('p', { class: 'muted' }, t('licenses.more_users')));
      } else {
        parts.push(empty(t('licenses.no_users')));
      }
      if (may('licenses')) parts.push(assignForm(l, name, users.filter((u) => !holders.has(u.id))));
      parts.push(errorSlot());
      replace(body, parts);
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
    btn.disabled = true;
    try {
      await api('DELETE', `/v1/tenants/${ctx.tenant}/subscriptions/${l.subscription}/assignments/${userId}`, { idem: newIdemKey('unassign') });
      ctx.announce(t('licenses.unassigned', { user: userName, plan: planLabel }));
      await reload(l.subscription);
    } catch (e) {
      btn.disabled = false;
      showError(panel, e, ctx);
    }
  }

  function assignForm(l, name, candidates) {
    const id = `assign-${l.subscription}`;
    const form = h('form', { class: 'inline-form', novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: id }, t('licenses.assign_label')),
        h('select', { id, name: 'user' },
          h('option', { value: '' }, t('licenses.choose_user')),
          candidates.map((u) => h('option', { value: u.id }, `${u.display_name} (${u.upn})`)))),
      h('button', { type: 'submit', class: 'btn btn-small' }, t('licenses.assign')),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const user = form.elements.user.value;
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

  function buyForm(l, name) {
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
