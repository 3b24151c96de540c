// Operations: the tenant's upgrades and manual changes, newest first.
import { h } from '../dom.mjs';
import { t, fmtDateTime, fmtNumber } from '../i18n.mjs';
import { listAll, getCatalog } from '../api.mjs';
import { pageHead, table, badge, empty, planName } from '../ui.mjs';

export async function operationsPage(ctx) {
  const [ops, catalog] = await Promise.all([
    listAll(`/v1/tenants/${ctx.tenant}/operations`, { signal: ctx.signal }),
    getCatalog(),
  ]);
  const subLink = (id) => (id ? h('a', { href: `#/t/${ctx.tenant}/subscriptions/${id}` }, id) : '—');
  const outcome = (o) => {
    if (o.state === 'failed') return o.result && o.result.failure === 'credit_check_denied' ? t('op.failure.credit_check_denied') : ((o.result && o.result.failure) || '—');
    if (o.state === 'completed' || o.state === 'provisioning') return t('op.moved', { n: (o.result && o.result.moved) || 0, count: fmtNumber((o.result && o.result.moved) || 0) });
    if (o.state === 'pending_credit_check') return t('op.credit_check_wait');
    return '—';
  };
  return h('div', {},
    pageHead(t('ops.title'), t('ops.subtitle')),
    ops.items.length
      ? table(
        [{ label: t('ops.col.id'), rowHeader: true }, { label: t('ops.col.kind') }, { label: t('ops.col.state') }, { label: t('ops.col.from') }, { label: t('ops.col.to') }, { label: t('ops.col.new') }, { label: t('ops.col.outcome') }, { label: t('ops.col.started') }],
        [...ops.items].reverse().map((o) => [
          o.id, t(`ops.kind.${o.kind}`), badge(o.state), subLink(o.source), planName(catalog, o.target_plan), subLink(o.new_subscription), outcome(o), fmtDateTime(o.created_at),
        ]), { label: t('ops.title') })
      : empty(t('ops.none')));
}
