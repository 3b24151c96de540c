// API tokens of a tenant (global admin, operator): the list (never a
// secret), a new token with a name, a role and an expiry (its secret shown
// once), and revoking one (it stops working at its next request).
import { h, replace } from '../dom.mjs';
import { t, fmtDateTime } from '../i18n.mjs';
import { api, listAll } from '../api.mjs';
import { current } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, localError } from '../ui.mjs';

const TENANT_ROLES = ['global_admin', 'billing_admin', 'license_admin', 'reader'];
const EXPIRIES = ['30d', '90d', '365d', '1d', ''];

export async function tokensPage(ctx) {
  const listBox = h('div', { id: 'tokens-list' });
  const created = h('div', { 'aria-live': 'polite' });

  async function refresh() {
    const list = await listAll(`/v1/tenants/${ctx.tenant}/tokens`, { signal: ctx.signal });
    replace(listBox, tokensTable(list.items, ctx, { refresh }));
  }

  const submit = h('button', { type: 'submit', class: 'btn' }, t('tokens.create'));
  const form = h('form', { class: 'card', novalidate: true, id: 'token-form' },
    h('h2', {}, t('tokens.new_title')),
    h('div', { class: 'field' },
      h('label', { for: 'tok-name' }, t('tokens.name')),
      h('input', { id: 'tok-name', name: 'name', type: 'text', maxlength: '100', required: true, autocomplete: 'off', 'aria-describedby': 'tok-name-hint' }),
      h('span', { class: 'hint', id: 'tok-name-hint' }, t('tokens.name_hint'))),
    h('div', { class: 'field' },
      h('label', { for: 'tok-role' }, t('tokens.role')),
      h('select', { id: 'tok-role', name: 'role' },
        TENANT_ROLES.map((r) => h('option', { value: r, selected: r === 'reader' }, t(`role.${r}`))))),
    h('div', { class: 'field' },
      h('label', { for: 'tok-expiry' }, t('tokens.expiry')),
      h('select', { id: 'tok-expiry', name: 'expires_in' },
        EXPIRIES.map((d) => h('option', { value: d }, t(`tokens.expiry.${d || 'never'}`))))),
    h('div', { class: 'actions' }, submit),
    errorSlot());

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const name = form.elements.name.value.trim();
    if (!name) return showError(form, localError(t('tokens.name_required'), 'name'), ctx);
    const body = { role: form.elements.role.value, name };
    if (form.elements.expires_in.value) body.expires_in = form.elements.expires_in.value;
    submit.disabled = true;
    try {
      const tok = await api('POST', `/v1/tenants/${ctx.tenant}/tokens`, { body });
      form.reset();
      const secret = h('input', { id: 'new-token', type: 'text', readonly: true, value: tok.token, 'aria-describedby': 'new-token-hint', spellcheck: 'false' });
      const done = h('div', { class: 'alert alert-ok', id: 'token-created', tabindex: '-1' },
        h('h2', {}, t('tokens.created_title', { name: tok.name })),
        h('div', { class: 'field' },
          h('label', { for: 'new-token' }, t('tokens.secret')),
          secret,
          h('span', { class: 'hint', id: 'new-token-hint' }, t('tokens.secret_hint'))));
      replace(created, done);
      done.focus();
      secret.select();
      ctx.announce(t('tokens.created_title', { name: tok.name }));
      await refresh();
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      showError(form, e, ctx, { fieldMap: { expires_at: 'expires_in' } });
    } finally {
      submit.disabled = false;
    }
  });

  await refresh();
  return h('div', {},
    pageHead(t('tokens.title'), t('tokens.subtitle')),
    created,
    listBox,
    form);
}

function tokensTable(items, ctx, { refresh }) {
  if (!items.length) return empty(t('tokens.none'));
  const mine = current() && current().token;
  const now = Date.now();
  const cols = [{ label: t('tokens.col.name'), rowHeader: true }, { label: t('tokens.col.role') },
    { label: t('tokens.col.created') }, { label: t('tokens.col.expires') }, { label: t('tokens.col.last_used') },
    { label: t('tokens.col.actions') }];
  return table(cols, items.map((x) => {
    const expired = x.expires_at && Date.parse(x.expires_at) <= now;
    const revoke = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-token': x.id,
      'aria-label': t('tokens.revoke_named', { name: x.name || x.id }) }, t('tokens.revoke'));
    const cell = h('div', { class: 'row-actions' }, revoke);
    revoke.addEventListener('click', async () => {
      const self = x.id === mine;
      if (!window.confirm(t(self ? 'tokens.revoke_self_confirm' : 'tokens.revoke_confirm', { name: x.name || x.id }))) return;
      revoke.disabled = true;
      try {
        await api('DELETE', `/v1/tokens/${x.id}`);
        ctx.announce(t('tokens.revoked', { name: x.name || x.id }));
        await refresh();
      } catch (e) {
        if (e && e.name === 'AbortError') return;
        revoke.disabled = false;
        showError(cell, e, ctx);
      }
    });
    return [
      h('span', {}, x.name || h('span', { class: 'muted' }, t('tokens.unnamed')), ' ', h('code', { class: 'muted' }, x.id),
        x.id === mine ? h('span', { class: 'muted' }, ` ${t('tokens.this_session')}`) : null),
      t(`role.${x.role}`),
      fmtDateTime(x.created),
      x.expires_at ? h('span', {}, fmtDateTime(x.expires_at), expired ? [' ', badge('expired')] : null) : t('tokens.never'),
      x.last_used_at ? fmtDateTime(x.last_used_at) : t('tokens.never_used'),
      cell,
    ];
  }), { label: t('tokens.title'), id: 'tokens-table' });
}
