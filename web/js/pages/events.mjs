// A tenant's event timeline (global admin, operator): the events of
// GET /v1/tenants/{t}/events (the outbox, in commit order), newest first,
// each with its time, its type and the object it is about, filtered by
// type. Types come from the API's own list (doc/openapi.yaml EventType).
import { h, replace } from '../dom.mjs';
import { t, fmtDateTime } from '../i18n.mjs';
import { listAll } from '../api.mjs';
import { pageHead, table, empty } from '../ui.mjs';

export const EVENT_TYPES = ['tenant.created', 'user.created', 'subscription.created', 'subscription.updated',
  'license.assigned', 'license.unassigned', 'operation.created', 'operation.updated', 'invoice.issued',
  'payment.received', 'credit_check.requested', 'credit_check.decided', 'incident.opened', 'incident.updated',
  'incident.resolved', 'support_request.created', 'catalog.loaded', 'token.created', 'token.revoked'];

// The object an event is about, as a short text: its id, and a seat's user.
function about(e) {
  const d = e.data || {};
  if (e.type.startsWith('license.')) return `${d.user} · ${d.subscription}`;
  return d.id || (d.version ? `v${d.version}` : '');
}

function detail(e) {
  const d = e.data || {};
  if (e.type.startsWith('subscription.')) return `${d.plan_name || d.plan} · ${t(`status.${d.status}`)} · ${d.quantity}`;
  if (e.type.startsWith('operation.')) return `${d.type} · ${t(`status.${d.state}`)}`;
  if (e.type === 'invoice.issued' || e.type === 'payment.received') return `${d.amount} ${d.currency}`;
  if (e.type.startsWith('credit_check.')) return `${t(`status.${d.status}`)} · ${d.amount}`;
  if (e.type === 'user.created') return d.upn;
  if (e.type.startsWith('token.')) return `${d.name || ''} ${t(`role.${d.role}`)}`.trim();
  return '';
}

export async function eventsPage(ctx) {
  const type = ctx.query.get('type') || '';
  const box = h('div', { id: 'events-list' });
  const select = h('select', { id: 'ev-type', name: 'type' },
    h('option', { value: '' }, t('events.all_types')),
    EVENT_TYPES.map((x) => h('option', { value: x, selected: x === type }, t(`events.type.${x}`))));
  select.addEventListener('change', () => {
    ctx.navigate(`#/t/${ctx.tenant}/events${select.value ? `?type=${select.value}` : ''}`);
  });
  const list = await listAll(`/v1/tenants/${ctx.tenant}/events${type ? `?type=${encodeURIComponent(type)}` : ''}`, { signal: ctx.signal });
  const items = list.items.slice().reverse();
  replace(box, items.length
    ? table([
      { label: t('events.when') },
      { label: t('events.type') },
      { label: t('events.object') },
      { label: t('events.detail') },
    ], items.map((e) => [
      h('time', { datetime: e.created }, fmtDateTime(e.created)),
      h('span', { class: 'event-type', 'data-type': e.type }, t(`events.type.${e.type}`)),
      h('code', {}, about(e)),
      detail(e),
    ]), { caption: t('events.caption', { n: items.length }), id: 'events-table' })
    : empty(t('events.none')));
  return h('div', {},
    pageHead(t('events.title'), t('events.subtitle')),
    h('div', { class: 'field' }, h('label', { for: 'ev-type' }, t('events.filter')), select),
    box);
}
