// Audit log: who did what, when (in the viewer's time zone, stated), from
// which request; paged by the server, exported as CSV.
import { h } from '../dom.mjs';
import { t, fmtDateTime, timeZone, has } from '../i18n.mjs';
import { api, listAll } from '../api.mjs';
import { pageHead, table, empty, pager, showError } from '../ui.mjs';
import { toCsv } from '../csv.mjs';
import { download } from './users.mjs';

export function actionLabel(action) {
  const key = `audit.action.${action}`;
  return has(key) ? t(key) : action;
}

function who(a) {
  if (!a.token) return t('audit.system');
  const role = a.role ? t(`role.${a.role}`) : '';
  return a.token ? `${role} (${a.token})` : role || '—';
}

function detailText(d) {
  if (d === null || d === undefined || d === '') return '';
  return typeof d === 'string' ? d : Object.entries(d).filter(([, v]) => v !== '' && v !== null)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

export async function auditPage(ctx) {
  const base = `/v1/tenants/${ctx.tenant}/audit`;
  const list = pager({
    signal: ctx.signal,
    label: t('audit.pages'),
    limit: 50,
    fetchPage: (after, limit) => api('GET', `${base}?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`, { signal: ctx.signal }),
    render: (items) => (items.length
      ? table(
        [{ label: t('audit.col.when'), rowHeader: true }, { label: t('audit.col.who') }, { label: t('audit.col.what') }, { label: t('audit.col.object') }, { label: t('audit.col.detail'), class: 'hide-narrow' }],
        items.map((a) => [
          h('time', { datetime: a.at }, fmtDateTime(a.at)), who(a),
          h('span', { dataset: { action: a.action } }, actionLabel(a.action)),
          a.object || '—',
          h('small', { class: 'hide-narrow muted' }, [detailText(a.detail), a.request_id].filter(Boolean).join(' · ')),
        ]), { label: t('audit.title'), id: 'audit-table' })
      : empty(t('audit.none'))),
  });
  const exportBtn = h('button', {
    type: 'button', class: 'btn btn-secondary btn-small', id: 'export-audit',
    onclick: async (ev) => {
      const btn = ev.currentTarget;
      btn.disabled = true;
      try {
        const all = await listAll(base, { signal: ctx.signal, max: 1000000 });
        download('audit.csv', toCsv(['id', 'at', 'role', 'token', 'action', 'object', 'request_id', 'detail'],
          all.items.map((a) => [a.id, a.at, a.role, a.token, a.action, a.object, a.request_id, detailText(a.detail)])));
      } catch (e) {
        showError(btn.parentNode, e, ctx, { focus: false });
      } finally {
        btn.disabled = false;
      }
    },
  }, t('audit.export'));
  const node = h('div', {},
    pageHead(t('audit.title'), t('audit.subtitle', { zone: timeZone() }), exportBtn),
    list.node);
  await list.first();
  return node;
}
