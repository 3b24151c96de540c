// Operations: the tenant's upgrades and manual changes, newest first; the
// operator fails an unfinished one (undone), after a summary.
import { h } from '../dom.mjs';
import { t, fmtDateTime, fmtNumber, has } from '../i18n.mjs';
import { api, listAll, getCatalog, newIdemKey } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, planName, confirmDialog, showError, errorSlot } from '../ui.mjs';

const UNFINISHED = ['scheduled', 'pending_credit_check', 'provisioning'];

export async function operationsPage(ctx) {
  const [ops, catalog] = await Promise.all([
    listAll(`/v1/tenants/${ctx.tenant}/operations`, { signal: ctx.signal }),
    getCatalog(),
  ]);
  const subLink = (id) => (id ? h('a', { href: `#/t/${ctx.tenant}/subscriptions/${id}` }, id) : '—');
  const outcome = (o) => {
    if (o.state === 'failed') {
      const f = o.result && o.result.failure;
      const named = f && has(`op.failure.${f}`) ? t(`op.failure.${f}`) : (f || '—');
      // The operator's reason, as given.
      return o.result && o.result.message ? `${named} ${t('ops.fail_reason_shown', { reason: o.result.message })}` : named;
    }
    if (o.state === 'completed' || o.state === 'provisioning') return t('op.moved', { n: (o.result && o.result.moved) || 0, count: fmtNumber((o.result && o.result.moved) || 0) });
    if (o.state === 'pending_credit_check') return t('op.credit_check_wait');
    return '—';
  };
  const operator = may('operator');
  const failButton = (o) => {
    const wrap = h('div', { class: 'actions mt-0' });
    const btn = h('button', {
      type: 'button', class: 'btn btn-small btn-danger', 'aria-label': t('ops.fail_named', { id: o.id }),
      onclick: async () => {
        // Why, kept with the operation and in the audit log (500 characters at most).
        const reasonId = `fail-reason-${o.id}`;
        const reason = h('textarea', { id: reasonId, class: 'fail-reason', rows: 2, maxlength: 500 });
        const ok = await confirmDialog({
          title: t('ops.fail_confirm_title', { id: o.id }),
          text: t('ops.fail_confirm_text'),
          facts: [[t('ops.col.kind'), t(`ops.kind.${o.kind}`)], [t('ops.col.from'), o.source || '—'], [t('ops.col.to'), planName(catalog, o.target_plan)], [t('ops.col.state'), badge(o.state)]],
          content: h('div', { class: 'field' }, h('label', { for: reasonId }, t('ops.fail_reason')), reason),
          confirmLabel: t('ops.fail'), danger: true,
        });
        if (!ok) return;
        btn.disabled = true;
        const why = reason.value.trim();
        try {
          await api('POST', `/v1/tenants/${ctx.tenant}/operations/${o.id}/fail`, { body: why ? { reason: why } : {}, idem: newIdemKey('fail') });
          ctx.announce(t('ops.failed_ok', { id: o.id }));
          ctx.rerender();
        } catch (e) {
          btn.disabled = false;
          showError(wrap, e, ctx, { focus: false });
        }
      },
    }, t('ops.fail'));
    wrap.append(btn, errorSlot());
    return wrap;
  };
  const cols = [{ label: t('ops.col.id'), rowHeader: true }, { label: t('ops.col.kind') }, { label: t('ops.col.state') }, { label: t('ops.col.from') }, { label: t('ops.col.to') }, { label: t('ops.col.new') }, { label: t('ops.col.outcome') }, { label: t('ops.col.started') }];
  if (operator) cols.push({ label: h('span', { class: 'sr-only' }, t('products.col.actions')) });
  return h('div', {},
    pageHead(t('ops.title'), t('ops.subtitle')),
    ops.items.length
      ? table(cols,
        [...ops.items].reverse().map((o) => [
          o.id, t(`ops.kind.${o.kind}`), badge(o.state), subLink(o.source), planName(catalog, o.target_plan), subLink(o.new_subscription), outcome(o), fmtDateTime(o.created_at),
          ...(operator ? [UNFINISHED.includes(o.state) ? failButton(o) : ''] : []),
        ]), { label: t('ops.title'), id: 'ops-table' })
      : empty(t('ops.none')));
}
