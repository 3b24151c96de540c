// The provider's catalog page: the catalog in use (its version, every plan,
// retired ones marked), and for the operator the versions loaded so far and
// a form that loads a new one (PUT /v1/catalog), whose refusal lists every
// fault by the field it is about.
import { h, replace } from '../dom.mjs';
import { t, fmtDateTime, fmtMoney } from '../i18n.mjs';
import { api, listAll, newIdemKey, resetCache } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot } from '../ui.mjs';

/** The faults of a refused catalog, each with the field it names. */
export function faultList(faults) {
  return h('div', { class: 'catalog-faults', role: 'alert', id: 'catalog-faults' },
    h('p', {}, t('catalog.load.faults', { n: faults.length, count: faults.length })),
    h('ul', {}, faults.map((f) => h('li', { class: 'fault', 'data-path': f.path },
      h('code', {}, f.path), ' ', h('span', {}, f.message)))));
}

export async function catalogPage(ctx) {
  const root = h('div', {});
  const operator = may('operator');

  async function load(focusSel) {
    const cat = await api('GET', '/v1/catalog', { signal: ctx.signal });
    const products = new Map(cat.products.map((p) => [p.id, p.name]));
    const plans = table(
      [{ label: t('catalog.col.plan'), rowHeader: true }, { label: t('catalog.col.id') }, { label: t('catalog.col.product') },
        { label: t('catalog.col.segment') }, { label: t('catalog.col.price'), num: true }, { label: t('catalog.col.status') }],
      cat.plans.map((p) => [p.name, h('code', {}, p.id), products.get(p.product) || p.product, t(`segment.${p.segment}`),
        fmtMoney(p.price_per_seat_month, p.currency),
        p.retired ? badge('retired', t('catalog.status.retired')) : badge('active', t('catalog.status.on_sale'))]),
      { label: t('catalog.plans'), id: 'catalog-plans' });
    const parts = [pageHead(t('catalog.title'), t('catalog.subtitle', { version: cat.version })),
      h('h2', {}, t('catalog.plans')), plans];
    if (operator) {
      const versions = await listAll('/v1/catalog/versions', { signal: ctx.signal });
      parts.push(h('h2', { id: 'versions-title', tabindex: '-1' }, t('catalog.versions')),
        versions.items.length
          ? table([{ label: t('catalog.col.version'), rowHeader: true }, { label: t('catalog.col.loaded_at') }, { label: t('catalog.col.loaded_by') }],
            versions.items.map((v) => [String(v.version), fmtDateTime(v.loaded_at), v.loaded_by]),
            { label: t('catalog.versions'), id: 'catalog-versions' })
          : empty(t('catalog.no_versions')),
        loadForm(cat));
    }
    replace(root, ...parts);
    if (focusSel) root.querySelector(focusSel)?.focus();
  }

  function loadForm(cat) {
    const doc = { ...cat };
    delete doc.version;
    const area = h('textarea', { id: 'catalog-json', name: 'catalog', rows: '16', spellcheck: 'false', 'aria-describedby': 'catalog-help' },
      JSON.stringify(doc, null, 2));
    const slot = h('div', {});
    const form = h('form', { class: 'card', novalidate: true, id: 'catalog-load' },
      h('h2', {}, t('catalog.load.title')),
      h('p', { id: 'catalog-help', class: 'muted' }, t('catalog.load.help')),
      h('div', { class: 'field' }, h('label', { for: 'catalog-json' }, t('catalog.load.label')), area),
      slot,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, t('catalog.load.submit'))),
      errorSlot());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      replace(slot);
      let body;
      try {
        body = JSON.parse(area.value);
      } catch (e) {
        replace(slot, faultList([{ path: 'catalog', message: t('catalog.load.bad_json', { error: e.message }) }]));
        area.focus();
        return;
      }
      try {
        const v = await api('PUT', '/v1/catalog', { body, idem: newIdemKey('catalog') });
        resetCache();
        ctx.announce(t('catalog.load.ok', { version: v.version }));
        await load('#versions-title');
      } catch (e) {
        if (e.faults && e.faults.length) {
          replace(slot, faultList(e.faults));
          area.setAttribute('aria-invalid', 'true');
          area.focus();
        } else {
          showError(form, e, ctx);
        }
      }
    });
    return form;
  }

  await load();
  return root;
}
