// Webhook endpoints (the operator's pages, as the API allows): the list
// (never a secret), a new endpoint with its secret shown once, disable and
// enable, a new secret (after a confirmation, shown once), delete (after a
// confirmation); and one endpoint's delivery attempts, newest first
// (doc/WEBHOOKS.md).
import { h, replace } from '../dom.mjs';
import { t, fmtDateTime } from '../i18n.mjs';
import { api, listAll } from '../api.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, localError } from '../ui.mjs';

// The secret of a new endpoint or a new secret, shown this once.
function secretShown(w, titleKey) {
  const secret = h('input', { id: 'new-secret', type: 'text', readonly: true, value: w.secret,
    'aria-describedby': 'new-secret-hint', spellcheck: 'false' });
  const done = h('div', { class: 'alert alert-ok', id: 'secret-shown', tabindex: '-1' },
    h('h2', {}, t(titleKey, { url: w.url })),
    h('div', { class: 'field' },
      h('label', { for: 'new-secret' }, t('webhooks.secret')),
      secret,
      h('span', { class: 'hint', id: 'new-secret-hint' }, t('webhooks.secret_hint'))));
  return { done, secret };
}

export async function webhooksPage(ctx) {
  const listBox = h('div', { id: 'webhooks-list' });
  const shown = h('div', { 'aria-live': 'polite' });

  function show(w, titleKey) {
    const { done, secret } = secretShown(w, titleKey);
    replace(shown, done);
    done.focus();
    secret.select();
    ctx.announce(t(titleKey, { url: w.url }));
  }

  async function refresh() {
    const list = await listAll('/v1/webhooks', { signal: ctx.signal });
    replace(listBox, hooksTable(list.items, ctx, { refresh, show }));
  }

  const submit = h('button', { type: 'submit', class: 'btn' }, t('webhooks.create'));
  const form = h('form', { class: 'card', novalidate: true, id: 'webhook-form' },
    h('h2', {}, t('webhooks.new_title')),
    h('div', { class: 'field' },
      h('label', { for: 'wh-url' }, t('webhooks.url')),
      h('input', { id: 'wh-url', name: 'url', type: 'url', required: true, autocomplete: 'off', 'aria-describedby': 'wh-url-hint' }),
      h('span', { class: 'hint', id: 'wh-url-hint' }, t('webhooks.url_hint'))),
    h('div', { class: 'field' },
      h('label', { for: 'wh-types' }, t('webhooks.types')),
      h('input', { id: 'wh-types', name: 'types', type: 'text', autocomplete: 'off', 'aria-describedby': 'wh-types-hint' }),
      h('span', { class: 'hint', id: 'wh-types-hint' }, t('webhooks.types_hint'))),
    h('div', { class: 'field' },
      h('label', { for: 'wh-tenant' }, t('webhooks.tenant')),
      h('input', { id: 'wh-tenant', name: 'tenant', type: 'text', autocomplete: 'off', 'aria-describedby': 'wh-tenant-hint' }),
      h('span', { class: 'hint', id: 'wh-tenant-hint' }, t('webhooks.tenant_hint'))),
    h('div', { class: 'actions' }, submit),
    errorSlot());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const url = form.elements.url.value.trim();
    if (!url) return showError(form, localError(t('webhooks.url_required'), 'url'), ctx);
    const body = { url };
    const types = form.elements.types.value.split(/[\s,]+/).filter(Boolean);
    if (types.length) body.types = types;
    const tenant = form.elements.tenant.value.trim();
    if (tenant) body.tenant = tenant;
    submit.disabled = true;
    try {
      const w = await api('POST', '/v1/webhooks', { body });
      form.reset();
      show(w, 'webhooks.created_title');
      await refresh();
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      showError(form, e, ctx);
    } finally {
      submit.disabled = false;
    }
  });

  await refresh();
  return h('div', {}, pageHead(t('webhooks.title'), t('webhooks.subtitle')), shown, listBox, form);
}

function hooksTable(items, ctx, { refresh, show }) {
  if (!items.length) return empty(t('webhooks.none'));
  const cols = [{ label: t('webhooks.col.url'), rowHeader: true }, { label: t('webhooks.col.types') },
    { label: t('webhooks.col.tenant') }, { label: t('webhooks.col.state') }, { label: t('webhooks.col.created') },
    { label: t('webhooks.col.actions') }];
  return table(cols, items.map((w) => {
    const cell = h('div', { class: 'row-actions' });
    const act = (label, aria, fn) => {
      const b = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': aria }, label);
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          await fn();
        } catch (e) {
          if (e && e.name === 'AbortError') return;
          showError(cell, e, ctx);
        } finally {
          b.disabled = false;
        }
      });
      return b;
    };
    cell.append(h('a', { href: `#/provider/webhooks/${w.id}`, class: 'btn btn-secondary btn-small',
      'aria-label': t('webhooks.deliveries_of', { url: w.url }) }, t('webhooks.deliveries')));
    cell.append(
      act(t(w.enabled ? 'webhooks.disable' : 'webhooks.enable'),
        t(w.enabled ? 'webhooks.disable_named' : 'webhooks.enable_named', { url: w.url }), async () => {
          await api('PATCH', `/v1/webhooks/${w.id}`, { body: { enabled: !w.enabled } });
          ctx.announce(t(w.enabled ? 'webhooks.disabled_done' : 'webhooks.enabled_done', { url: w.url }));
          await refresh();
        }),
      act(t('webhooks.rotate'), t('webhooks.rotate_named', { url: w.url }), async () => {
        if (!window.confirm(t('webhooks.rotate_confirm', { url: w.url }))) return;
        const got = await api('POST', `/v1/webhooks/${w.id}/secret`);
        show(got, 'webhooks.rotated_title');
      }),
      act(t('webhooks.delete'), t('webhooks.delete_named', { url: w.url }), async () => {
        if (!window.confirm(t('webhooks.delete_confirm', { url: w.url }))) return;
        await api('DELETE', `/v1/webhooks/${w.id}`);
        ctx.announce(t('webhooks.deleted', { url: w.url }));
        await refresh();
      }));
    return [
      h('span', {}, h('code', {}, w.url), ' ', h('span', { class: 'muted' }, w.id)),
      w.types.length ? w.types.join(', ') : t('webhooks.all_types'),
      w.tenant || t('webhooks.all_tenants'),
      w.enabled ? badge('active', t('webhooks.enabled')) : badge('disabled', t('webhooks.disabled')),
      fmtDateTime(w.created),
      cell,
    ];
  }), { label: t('webhooks.title'), id: 'webhooks-table' });
}

const STATE_TONE = { delivered: 'active', retried: 'pending', failed: 'failed' };

export async function deliveriesPage(ctx) {
  const w = await api('GET', `/v1/webhooks/${ctx.params.w}`, { signal: ctx.signal });
  const page = await api('GET', `/v1/webhooks/${w.id}/deliveries?limit=200`, { signal: ctx.signal });
  const cols = [{ label: t('deliveries.col.event'), rowHeader: true }, { label: t('deliveries.col.attempt'), num: true },
    { label: t('deliveries.col.time') }, { label: t('deliveries.col.state') }, { label: t('deliveries.col.status') },
    { label: t('deliveries.col.error') }, { label: t('deliveries.col.next') }];
  const body = page.items.length
    ? table(cols, page.items.map((d) => [
      h('code', {}, d.event),
      String(d.attempt),
      fmtDateTime(d.time),
      badge(STATE_TONE[d.state], t(`deliveries.state.${d.state}`)),
      d.status_code === null ? h('span', { class: 'muted' }, t('deliveries.no_answer')) : String(d.status_code),
      d.error || '',
      d.next_attempt_at ? fmtDateTime(d.next_attempt_at) : h('span', { class: 'muted' }, t('deliveries.no_next')),
    ]), { label: t('deliveries.title', { url: w.url }), id: 'deliveries-table' })
    : empty(t('deliveries.none'));
  return h('div', {},
    pageHead(t('deliveries.title', { url: w.url }), t('deliveries.subtitle')),
    h('p', {}, h('a', { href: '#/provider/webhooks' }, t('deliveries.back'))),
    body,
    page.next ? h('p', { class: 'muted' }, t('deliveries.more')) : null);
}
