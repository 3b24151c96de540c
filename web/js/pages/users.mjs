// Users: the tenant's users, searched and paged by the server (?q=, limit,
// after), filtered by the license they hold; many selected and assigned or
// unassigned in one request (.../licenses/bulk, all or nothing); CSV export
// and import. Also the pieces other pages use to name and find users.
import { h, replace } from '../dom.mjs';
import { t, fmtNumber, fmtDate, getLang, has } from '../i18n.mjs';
import { api, listAll, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, empty, showError, clearErrors, errorSlot, localError, planName, confirmDialog, pager } from '../ui.mjs';
import { toCsv, parseCsv } from '../csv.mjs';

const LIVE = ['provisioning', 'active', 'disabled'];

/** Users by id (display_name, upn) for the ids given: one GET each, kept for the page's life. */
const nameCache = new Map();
export async function userNames(ctx, ids) {
  const missing = [...new Set(ids)].filter((id) => !nameCache.has(`${ctx.tenant}/${id}`));
  await Promise.all(missing.map(async (id) => {
    try {
      nameCache.set(`${ctx.tenant}/${id}`, await api('GET', `/v1/tenants/${ctx.tenant}/users/${id}`, { signal: ctx.signal }));
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
    }
  }));
  return new Map(ids.map((id) => [id, nameCache.get(`${ctx.tenant}/${id}`)]).filter(([, u]) => u));
}

/** A search box that finds users on the server (?q=) and a list to pick one
 * from: {node, value()}; the picked user's id is value(). */
export function userPicker(ctx, { id, name, label }) {
  const input = h('input', { id: `${id}-q`, type: 'search', autocomplete: 'off', placeholder: t('users.search_placeholder') });
  const select = h('select', { id, name }, h('option', { value: '' }, t('users.type_to_search')));
  let ctl = null;
  const search = async () => {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const q = input.value.trim();
    if (!q) { replace(select, h('option', { value: '' }, t('users.type_to_search'))); return; }
    try {
      const page = await api('GET', `/v1/tenants/${ctx.tenant}/users?limit=20&q=${encodeURIComponent(q)}`, { signal: ctl.signal });
      replace(select, page.items.length
        ? page.items.map((u) => h('option', { value: u.id }, `${u.display_name} (${u.upn})`))
        : h('option', { value: '' }, t('users.none_found', { q })));
      select.dataset.results = String(page.items.length);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      replace(select, h('option', { value: '' }, t('error.network')));
    }
  };
  input.addEventListener('input', search);
  const node = h('div', { class: 'user-picker' },
    h('div', { class: 'field' }, h('label', { for: `${id}-q` }, t('users.find')), input),
    h('div', { class: 'field' }, h('label', { for: id }, label), select));
  return { node, value: () => select.value };
}

export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export async function usersPage(ctx) {
  const [subs, catalog] = await Promise.all([
    listAll(`/v1/tenants/${ctx.tenant}/subscriptions`, { signal: ctx.signal }),
    getCatalog(),
  ]);
  const live = subs.items.filter((s) => LIVE.includes(s.status));
  const subLabel = (s) => `${s.plan_name || planName(catalog, s.plan)} (${s.id})`;
  const selected = new Set();
  const canEdit = may('licenses');
  let q = ctx.query.get('q') || '';
  let license = ctx.query.get('license') || '';

  const qInput = h('input', { id: 'users-q', name: 'q', type: 'search', value: q, autocomplete: 'off', placeholder: t('users.search_placeholder') });
  const licSelect = h('select', { id: 'users-license', name: 'license' },
    h('option', { value: '' }, t('users.any_license')),
    live.map((s) => h('option', { value: s.id, selected: s.id === license }, subLabel(s))));
  const filters = h('form', { class: 'inline-form filters', role: 'search', id: 'users-filters' },
    h('div', { class: 'field' }, h('label', { for: 'users-q' }, t('users.search')), qInput),
    h('div', { class: 'field' }, h('label', { for: 'users-license' }, t('users.license_filter')), licSelect),
    h('button', { type: 'submit', class: 'btn btn-small' }, t('users.search_button')));

  const count = h('span', { id: 'selected-count', 'aria-live': 'polite' }, t('users.selected', { n: 0, count: fmtNumber(0) }));
  const bulkSub = h('select', { id: 'bulk-sub', name: 'subscription' }, live.filter((s) => !s.addon_of || true).map((s) => h('option', { value: s.id }, subLabel(s))));
  const bulkErrors = errorSlot();
  const bulkBar = canEdit && live.length
    ? h('div', { class: 'card bulk-bar', id: 'bulk-bar' },
      h('h2', {}, t('users.bulk_title')),
      h('p', {}, count),
      h('div', { class: 'inline-form' },
        h('div', { class: 'field' }, h('label', { for: 'bulk-sub' }, t('users.bulk_subscription')), bulkSub),
        h('button', { type: 'button', class: 'btn btn-small', id: 'bulk-assign', onclick: () => bulk('assign') }, t('users.bulk_assign')),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'bulk-unassign', onclick: () => bulk('unassign') }, t('users.bulk_unassign'))),
      bulkErrors)
    : null;

  const updateCount = () => { count.textContent = t('users.selected', { n: selected.size, count: fmtNumber(selected.size) }); };
  let names = new Map();
  const list = pager({
    signal: ctx.signal,
    label: t('users.pages'),
    fetchPage: async (after, limit) => {
      const page = (u) => `${u}${u.includes('?') ? '&' : '?'}limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      if (license) {
        // The holders of one subscription's licenses, searched on this page.
        const seats = await api('GET', page(`/v1/tenants/${ctx.tenant}/subscriptions/${license}/assignments`), { signal: ctx.signal });
        names = await userNames(ctx, seats.items.map((a) => a.user));
        const needle = q.toLowerCase();
        const items = seats.items.map((a) => names.get(a.user) || { id: a.user, display_name: a.user, upn: '' })
          .filter((u) => !needle || u.display_name.toLowerCase().includes(needle) || u.upn.toLowerCase().includes(needle));
        return { items, next: seats.next };
      }
      return api('GET', page(`/v1/tenants/${ctx.tenant}/users${q ? `?q=${encodeURIComponent(q)}` : ''}`), { signal: ctx.signal });
    },
    render: (items) => {
      if (!items.length) return empty(q ? t('users.none_found', { q }) : t('users.none'));
      const boxes = items.map((u) => h('input', {
        type: 'checkbox', name: 'pick', value: u.id, checked: selected.has(u.id), 'aria-label': t('users.select_user', { user: u.display_name }),
        onchange: (ev) => { if (ev.target.checked) selected.add(u.id); else selected.delete(u.id); updateCount(); },
      }));
      // Above the table (a narrow screen shows no header row).
      const all = h('input', {
        type: 'checkbox', id: 'select-all',
        checked: items.every((u) => selected.has(u.id)),
        onchange: (ev) => {
          for (const b of boxes) { b.checked = ev.target.checked; if (b.checked) selected.add(b.value); else selected.delete(b.value); }
          updateCount();
        },
      });
      const tbl = table(
        [...(canEdit ? [{ label: h('span', { class: 'sr-only' }, t('users.select')) }] : []), { label: t('users.display_name'), rowHeader: !canEdit }, { label: t('users.upn') }, { label: t('users.created'), class: 'hide-narrow' }],
        items.map((u, i) => [...(canEdit ? [boxes[i]] : []), h('span', { class: 'user-name' }, u.display_name, h('br'), h('small', { class: 'muted' }, u.id)), u.upn,
          h('span', { class: 'hide-narrow' }, u.created_at ? fmtDate(u.created_at) : '—')]),
        { label: t('users.title'), id: 'users-table' });
      return canEdit ? [h('label', { class: 'checkbox select-all' }, all, t('users.select_all_shown')), tbl] : tbl;
    },
  });

  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    q = qInput.value.trim();
    license = licSelect.value;
    list.first();
  });

  async function bulk(kind) {
    clearErrors(bulkBar);
    if (!selected.size) return showError(bulkBar, localError(t('users.select_first')), ctx);
    const sub = live.find((s) => s.id === bulkSub.value);
    const ok = await confirmDialog({
      title: t(`users.bulk_${kind}_confirm_title`, { n: selected.size, count: fmtNumber(selected.size) }),
      facts: [[t('confirm.plan'), subLabel(sub)], [t('confirm.users'), fmtNumber(selected.size)],
        [t('licenses.col.assigned'), t('licenses.panel_counts', { assigned: fmtNumber(sub.assigned), purchased: fmtNumber(sub.quantity) })]],
      text: kind === 'unassign' ? t('users.bulk_unassign_text') : null,
      confirmLabel: t(`users.bulk_${kind}`), danger: kind === 'unassign',
    });
    if (!ok) return;
    try {
      const r = await api('POST', `/v1/tenants/${ctx.tenant}/subscriptions/${sub.id}/licenses/bulk`, { body: { [kind]: [...selected] }, idem: newIdemKey('bulk') });
      const msg = t(`users.bulk_${kind}_done`, { n: kind === 'assign' ? r.assigned : r.unassigned, count: fmtNumber(kind === 'assign' ? r.assigned : r.unassigned), plan: subLabel(sub) });
      ctx.announce(msg);
      sub.assigned = r.total_assigned;
      selected.clear();
      updateCount();
      replace(bulkErrors, h('p', { class: 'alert alert-ok', role: 'status', id: 'bulk-done' }, msg));
      await list.reload();
    } catch (e) {
      showError(bulkBar, e, ctx, { focus: false });
      if (e.faults && e.faults.length) {
        const who = await userNames(ctx, e.faults.map((f) => (/^users\[(usr_\d+)\]/.exec(f.path) || [])[1]).filter(Boolean));
        bulkBar.querySelector('.form-error').append(h('ul', { class: 'faults' }, e.faults.map((f) => {
          const id = (/^users\[(usr_\d+)\]/.exec(f.path) || [])[1];
          const u = id && who.get(id);
          return h('li', {}, u ? `${u.display_name} (${u.upn}): ` : '', faultText(f, e));
        })));
      }
    }
  }

  async function exportCsv(btn) {
    btn.disabled = true;
    try {
      const all = await listAll(`/v1/tenants/${ctx.tenant}/users${q ? `?q=${encodeURIComponent(q)}` : ''}`, { signal: ctx.signal, max: 1000000 });
      download('users.csv', toCsv(['id', 'display_name', 'upn', 'created_at'], all.items.map((u) => [u.id, u.display_name, u.upn, u.created_at])));
      ctx.announce(t('users.exported', { n: all.items.length, count: fmtNumber(all.items.length) }));
    } catch (e) {
      showError(btn.parentNode, e, ctx, { focus: false });
    } finally {
      btn.disabled = false;
    }
  }

  function importForm() {
    const file = h('input', { id: 'import-file', name: 'file', type: 'file', accept: '.csv,text/csv' });
    const form = h('form', { class: 'card', id: 'import-users', novalidate: true },
      h('h2', {}, t('users.import_title')),
      h('p', { class: 'muted' }, t('users.import_intro')),
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, t('users.import_file')), file),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, t('users.import_button'))),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!file.files.length) return showError(form, localError(t('users.import_choose'), 'file'), ctx);
      const { rows, errors } = importRows(await file.files[0].text());
      if (errors.length) {
        showError(form, localError(t('users.import_errors', { n: errors.length, count: fmtNumber(errors.length) })), ctx, { focus: false });
        form.querySelector('.form-error').append(h('ul', { class: 'faults' }, errors.map((e) => h('li', {}, e))));
        return;
      }
      const ok = await confirmDialog({
        title: t('users.import_confirm_title', { n: rows.length, count: fmtNumber(rows.length) }),
        facts: rows.slice(0, 3).map((r) => [r.display_name, r.upn]),
        text: rows.length > 3 ? t('users.import_more', { n: rows.length - 3, count: fmtNumber(rows.length - 3) }) : null,
        confirmLabel: t('users.import_button'),
      });
      if (!ok) return;
      try {
        const r = await api('POST', `/v1/tenants/${ctx.tenant}/users/bulk`, { body: { users: rows }, idem: newIdemKey('import') });
        const msg = t('users.imported', { n: r.created, count: fmtNumber(r.created) });
        ctx.announce(msg);
        replace(form.querySelector('.form-error'), h('p', { class: 'alert alert-ok', role: 'status', id: 'import-done' }, msg));
        file.value = '';
        await list.first();
      } catch (e) {
        showError(form, e, ctx, { focus: false });
        if (e.faults && e.faults.length) {
          form.querySelector('.form-error').append(h('ul', { class: 'faults' }, e.faults.map((f) => {
            const m = /^users\[(\d+)\]/.exec(f.path);
            return h('li', {}, m ? t('users.import_line', { line: Number(m[1]) + 2, message: faultText(f, e) }) : faultText(f, e));
          })));
        }
      }
    });
    return form;
  }

  const node = h('div', {},
    pageHead(t('users.title'), t('users.subtitle'),
      h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'export-users', onclick: (ev) => exportCsv(ev.currentTarget) }, t('users.export'))),
    filters,
    bulkBar,
    list.node,
    canEdit ? importForm() : null);
  await list.first();
  return node;
}

/** A bulk request's fault in the page's language: the API's sentence in
 * English, else ours by what its path names (users[usr_3].assign,
 * subscriptions[sub_7].assign, users[2].upn) and the answer's status. */
export function faultText(f, err) {
  if (getLang() === 'en') return f.message;
  const m = /^(users|subscriptions)\[[^\]]+\]\.(\w+)$/.exec(f.path || '');
  if (!m) return f.message;
  const key = m[1] === 'subscriptions' ? 'users.fault.over'
    : m[2] === 'unassign' ? 'users.fault.no_seat'
      : m[2] === 'assign' ? (err.status === 409 ? 'users.fault.elsewhere' : 'users.fault.no_user')
        : err.status === 409 ? 'error.conflict.upn' : `error.invalid_field.${m[2]}`;
  return has(key) ? t(key) : f.message;
}

/** The users of an imported CSV (a header naming display_name and upn, in
 * any order): {rows, errors}, each error naming its line. */
export function importRows(text) {
  const table = parseCsv(text);
  const errors = [];
  const rows = [];
  if (!table.length) return { rows, errors: [t('users.import_empty')] };
  const head = table[0].map((x) => x.trim().toLowerCase());
  const iName = head.indexOf('display_name');
  const iUpn = head.indexOf('upn');
  if (iName < 0 || iUpn < 0) return { rows, errors: [t('users.import_header')] };
  const seen = new Set();
  table.slice(1).forEach((r, i) => {
    const line = i + 2;
    if (r.length === 1 && r[0].trim() === '') return;
    const display_name = (r[iName] || '').trim();
    const upn = (r[iUpn] || '').trim();
    if (!display_name) errors.push(t('users.import_line', { line, message: t('users.name_required') }));
    else if (!/^[^@\s]+@[^@\s]+$/.test(upn)) errors.push(t('users.import_line', { line, message: t('users.upn_invalid') }));
    else if (seen.has(upn.toLowerCase())) errors.push(t('users.import_line', { line, message: t('users.import_duplicate', { upn }) }));
    else { seen.add(upn.toLowerCase()); rows.push({ display_name, upn }); }
  });
  if (!rows.length && !errors.length) errors.push(t('users.import_empty'));
  return { rows, errors };
}
