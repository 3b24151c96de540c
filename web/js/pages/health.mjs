// Service health: every service, open and resolved incidents, each with
// until when it is expected to last; the operator opens, updates (status,
// eta, a message) and resolves incidents.
import { h, replace } from '../dom.mjs';
import { t, fmtDateTime } from '../i18n.mjs';
import { api, listAll, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, localError, confirmDialog } from '../ui.mjs';

const INCIDENT_STATUSES = ['investigating', 'degraded', 'interrupted', 'restoring'];

export async function healthPage(ctx) {
  const root = h('div', {});
  const operator = may('operator');

  async function fetchAll() {
    const first = await api('GET', '/v1/service-health?limit=500', { signal: ctx.signal });
    const items = [...first.items];
    let next = first.next;
    while (next && items.length < 5000) {
      const page = await api('GET', `/v1/service-health?limit=500&after=${encodeURIComponent(next)}`, { signal: ctx.signal });
      items.push(...page.items);
      next = page.next;
    }
    return { services: first.services, items };
  }

  async function load(focusSel) {
    const [sh, catalog] = await Promise.all([fetchAll(), getCatalog()]);
    const open = sh.items.filter((i) => !i.resolved_at);
    const resolved = sh.items.filter((i) => i.resolved_at).reverse();
    const title = ctx.provider ? t('health.provider_title') : t('health.title');

    const services = table(
      [{ label: t('health.col.service'), rowHeader: true }, { label: t('health.col.status') }],
      sh.services.map((s) => [s.name, badge(s.status, t(`health.${s.status}`))]),
      { label: t('health.services') });

    const openList = open.length
      ? h('ul', { class: 'reasons open-incidents' }, open.map((i) => h('li', { class: 'reason', dataset: { incident: i.id } },
        h('h3', {}, i.title),
        h('p', {}, badge(i.status), ' ', t('health.incident_meta', { service: i.service_name || i.service, id: i.id, time: fmtDateTime(i.opened_at) })),
        // Until when: the provider's eta, or that none is known yet.
        h('p', { class: 'eta' }, i.eta ? t('health.eta', { time: fmtDateTime(i.eta) }) : t('health.eta_none')),
        (i.updates || []).length ? h('ul', { class: 'updates' }, i.updates.map((u) => h('li', {}, `${fmtDateTime(u.time)} · `, badge(u.status), u.message ? ` ${u.message}` : ''))) : null,
        operator ? updateForm(i) : null,
        operator ? resolveButton(i) : null)))
      : h('p', { class: 'alert alert-ok', id: 'all-healthy' }, t('health.all_healthy'));

    const resolvedTable = resolved.length
      ? table([{ label: t('health.col.incident'), rowHeader: true }, { label: t('health.col.service') }, { label: t('health.col.opened') }, { label: t('health.col.resolved') }],
        resolved.map((i) => [i.title, i.service_name || i.service, fmtDateTime(i.opened_at), fmtDateTime(i.resolved_at)]),
        { label: t('health.resolved') })
      : empty(t('health.no_resolved'));

    replace(root,
      pageHead(title, t('health.subtitle')),
      h('section', { 'aria-labelledby': 'open-title' }, h('h2', { id: 'open-title', tabindex: '-1' }, t('health.open', { n: open.length })), openList),
      operator ? openForm(catalog) : null,
      h('section', {}, h('h2', { id: 'services-title' }, t('health.services')), services),
      h('section', {}, h('h2', { id: 'resolved-title' }, t('health.resolved')), resolvedTable));
    if (focusSel) {
      const el = root.querySelector(focusSel);
      if (el) el.focus();
    }
  }

  function resolveButton(i) {
    const wrap = h('div', { class: 'actions' });
    const btn = h('button', {
      type: 'button', class: 'btn btn-small', 'aria-label': t('health.resolve_named', { title: i.title }),
      onclick: async () => {
        clearErrors(wrap);
        const ok = await confirmDialog({
          title: t('health.resolve_confirm_title', { title: i.title }),
          facts: [[t('health.col.service'), i.service_name || i.service], [t('health.col.opened'), fmtDateTime(i.opened_at)]],
          text: t('health.resolve_confirm_text'),
          confirmLabel: t('health.resolve'),
        });
        if (!ok) return;
        btn.disabled = true;
        try {
          await api('POST', `/v1/service-health/incidents/${i.id}/resolve`, { idem: newIdemKey('resolve') });
          ctx.announce(t('health.resolved_ok', { title: i.title }));
          await load('#open-title');
        } catch (e) {
          btn.disabled = false;
          showError(wrap, e, ctx);
        }
      },
    }, t('health.resolve'));
    wrap.append(btn, errorSlot());
    return wrap;
  }

  // PATCH an open incident: its status, its eta (entered in the viewer's
  // time zone, sent in UTC) and a message, kept in its updates.
  function updateForm(i) {
    const id = (k) => `upd-${k}-${i.id}`;
    const form = h('form', { class: 'incident-update', novalidate: true, dataset: { incident: i.id } },
      h('div', { class: 'field' }, h('label', { for: id('status') }, t('health.col.status')),
        h('select', { id: id('status'), name: 'status' }, INCIDENT_STATUSES.map((s) => h('option', { value: s, selected: s === i.status }, t(`status.${s}`))))),
      h('div', { class: 'field' }, h('label', { for: id('eta') }, t('health.eta_label')),
        h('input', { id: id('eta'), name: 'eta', type: 'datetime-local' })),
      h('div', { class: 'field' }, h('label', { for: id('message') }, t('health.update_message')),
        h('input', { id: id('message'), name: 'message', type: 'text', maxlength: '1000', autocomplete: 'off' })),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary btn-small', 'aria-label': t('health.update_named', { title: i.title }) }, t('health.update'))),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const body = { status: form.elements.status.value };
      const eta = form.elements.eta.value;
      if (eta) {
        const at = new Date(eta);
        if (Number.isNaN(at.getTime())) return showError(form, localError(t('health.eta_invalid'), 'eta'), ctx);
        body.eta = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
      const msg = form.elements.message.value.trim();
      if (msg) body.message = msg;
      try {
        await api('PATCH', `/v1/service-health/incidents/${i.id}`, { body, idem: newIdemKey('incident-update') });
        ctx.announce(t('health.updated_ok', { title: i.title }));
        await load('#open-title');
      } catch (e) {
        showError(form, e, ctx);
      }
    });
    return form;
  }

  function openForm(catalog) {
    const form = h('form', { class: 'card', novalidate: true, id: 'open-incident' },
      h('h2', {}, t('health.open_title')),
      h('div', { class: 'field' }, h('label', { for: 'inc-service' }, t('health.col.service')),
        h('select', { id: 'inc-service', name: 'service' }, catalog.services.map((s) => h('option', { value: s.id }, s.name)))),
      h('div', { class: 'field' }, h('label', { for: 'inc-status' }, t('health.col.status')),
        h('select', { id: 'inc-status', name: 'status' }, INCIDENT_STATUSES.map((s) => h('option', { value: s }, t(`status.${s}`))))),
      h('div', { class: 'field' }, h('label', { for: 'inc-title' }, t('health.incident_title')),
        h('input', { id: 'inc-title', name: 'title', type: 'text', maxlength: '1000', autocomplete: 'off', required: true })),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, t('health.open_submit'))),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const body = { service: form.elements.service.value, status: form.elements.status.value, title: form.elements.title.value.trim() };
      if (!body.title) return showError(form, localError(t('health.title_required'), 'title'), ctx);
      try {
        const inc = await api('POST', '/v1/service-health/incidents', { body, idem: newIdemKey('incident') });
        ctx.announce(t('health.opened_ok', { title: inc.title }));
        await load('#open-title');
      } catch (e) {
        showError(form, e, ctx);
      }
    });
    return form;
  }

  await load();
  return root;
}
