// Support requests: the tenant's list, and the form the remedy call_support
// opens, carrying the subscription and the reason codes.
import { h, replace } from '../dom.mjs';
import { t, fmtDateTime } from '../i18n.mjs';
import { api, listAll, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, localError, reasonTitle, REASON_CODES, planName } from '../ui.mjs';

export async function supportListPage(ctx) {
  const list = await listAll(`/v1/tenants/${ctx.tenant}/support-requests`, { signal: ctx.signal });
  return h('div', {},
    pageHead(t('support.title'), t('support.subtitle'),
      may('billing') ? h('a', { class: 'btn', href: `#/t/${ctx.tenant}/support/new` }, t('support.new')) : null),
    requestsTable(list.items, ctx));
}

export function requestsTable(items, ctx, { tenantNames } = {}) {
  if (!items.length) return empty(t('support.none'));
  const cols = [{ label: t('support.col.id'), rowHeader: true }];
  if (tenantNames) cols.push({ label: t('support.col.tenant') });
  cols.push({ label: t('support.col.subscription') }, { label: t('support.col.reasons') }, { label: t('support.col.description') }, { label: t('support.col.status') }, { label: t('support.col.created') });
  return table(cols, [...items].reverse().map((r) => {
    const row = [r.id];
    if (tenantNames) row.push(h('a', { href: `#/t/${r.tenant}/support` }, tenantNames.get(r.tenant) || r.tenant));
    row.push(r.subscription ? h('a', { href: `#/t/${r.tenant}/subscriptions/${r.subscription}` }, r.subscription) : '—',
      r.reason_codes.length ? h('ul', { class: 'plain' }, r.reason_codes.map((c) => h('li', {}, reasonTitle(c)))) : '—',
      r.description, badge(r.status), fmtDateTime(r.created_at));
    return row;
  }), { label: t('support.title') });
}

export async function supportNewPage(ctx) {
  const [subs, catalog] = await Promise.all([
    listAll(`/v1/tenants/${ctx.tenant}/subscriptions`, { signal: ctx.signal }),
    getCatalog(),
  ]);
  const wantedSub = ctx.query.get('subscription');
  const wantedCodes = (ctx.query.get('reasons') || '').split(',').filter((c) => REASON_CODES.includes(c));
  const result = h('div', { 'aria-live': 'polite' });
  const codesBox = h('fieldset', {},
    h('legend', {}, t('support.reasons')),
    wantedCodes.length
      ? wantedCodes.map((c) => h('label', { class: 'checkbox' },
        h('input', { type: 'checkbox', name: 'reason_codes', value: c, checked: true }),
        h('span', {}, reasonTitle(c), ' ', h('code', { class: 'muted' }, c))))
      : h('p', { class: 'muted' }, t('support.no_reasons')));
  const submit = h('button', { type: 'submit', class: 'btn' }, t('support.send'));
  const form = h('form', { class: 'card', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'sr-subscription' }, t('support.subscription')),
      h('select', { id: 'sr-subscription', name: 'subscription' },
        h('option', { value: '' }, t('support.no_subscription')),
        subs.items.map((s) => h('option', { value: s.id, selected: s.id === wantedSub }, `${s.plan_name || planName(catalog, s.plan)} (${s.id})`)))),
    codesBox,
    h('div', { class: 'field' },
      h('label', { for: 'sr-description' }, t('support.description')),
      h('textarea', { id: 'sr-description', name: 'description', maxlength: '1000', required: true, 'aria-describedby': 'sr-description-hint' }),
      h('span', { class: 'hint', id: 'sr-description-hint' }, t('support.description_hint'))),
    h('div', { class: 'actions' }, submit, h('a', { class: 'btn btn-secondary', href: `#/t/${ctx.tenant}/support` }, t('common.cancel'))),
    errorSlot());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const description = form.elements.description.value.trim();
    if (!description) return showError(form, localError(t('support.description_required'), 'description'), ctx);
    if (new TextEncoder().encode(description).length > 1000) return showError(form, localError(t('support.description_long'), 'description'), ctx);
    const codes = [...form.querySelectorAll('input[name="reason_codes"]:checked')].map((i) => i.value);
    const body = { subscription: form.elements.subscription.value || null, reason_codes: codes, description };
    submit.disabled = true;
    try {
      const sr = await api('POST', `/v1/tenants/${ctx.tenant}/support-requests`, { body, idem: newIdemKey('support') });
      form.hidden = true;
      const done = h('div', { class: 'alert alert-ok', id: 'support-sent', tabindex: '-1' },
        h('h2', {}, t('support.sent_title')),
        h('p', {}, t('support.sent', { id: sr.id })),
        h('p', {}, h('a', { href: `#/t/${ctx.tenant}/support` }, t('support.see_all'))));
      replace(result, done);
      done.focus();
      ctx.announce(t('support.sent', { id: sr.id }));
    } catch (e) {
      showError(form, e, ctx, { fieldMap: { reason_codes: 'reason_codes' } });
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', {},
    pageHead(t('support.new_title'), t('support.new_subtitle')),
    form, result);
}
