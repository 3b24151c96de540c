// Billing: balance, past due, invoices with their lines, payments, credit
// checks, and Pay now (amounts typed in major units, converted exactly).
import { h, replace } from '../dom.mjs';
import { t, fmtDate, fmtDateTime, fmtMoney, fmtNumber, getLang } from '../i18n.mjs';
import { api, listAll, newIdemKey, getCatalog } from '../api.mjs';
import { may } from '../session.mjs';
import { pageHead, table, badge, empty, showError, clearErrors, errorSlot, localError, confirmDialog } from '../ui.mjs';
import { parseMajor, minorToInput } from '../money.mjs';

export async function billingPage(ctx) {
  const root = h('div', {});
  let justPaid = null;
  let catalog = null;
  // An invoice line in the page's language: its plan, seats and period
  // (dates by Intl), from its fields; the API's English text when it has none.
  const lineText = (l) => {
    const plan = l.plan && catalog ? (catalog.plans.find((p) => p.id === l.plan) || {}).name : null;
    if (!plan || !l.period_start || !l.period_end || l.quantity === null || l.quantity === undefined) return l.description;
    return t('billing.line_text', { plan, n: l.quantity, count: fmtNumber(l.quantity), start: fmtDate(l.period_start), end: fmtDate(l.period_end) });
  };

  async function load() {
    const [b, checks] = await Promise.all([
      api('GET', `/v1/tenants/${ctx.tenant}/billing`, { signal: ctx.signal }),
      listAll(`/v1/tenants/${ctx.tenant}/credit-checks`, { signal: ctx.signal }),
    ]);
    catalog = await getCatalog();
    const cur = b.currency;
    const m = (x) => fmtMoney(x, cur);

    const stats = h('div', { class: 'stats' },
      stat(t('billing.balance'), b.balance < 0 ? m(0) : m(b.balance), 'stat-balance'),
      stat(t('billing.past_due'), m(b.past_due), 'stat-past-due', b.past_due > 0 ? 'danger' : null,
        b.oldest_due ? t('billing.since', { date: fmtDate(b.oldest_due) }) : null),
      stat(t('billing.credit'), m(b.credit), 'stat-credit'),
      stat(t('billing.invoiced'), m(b.invoiced), 'stat-invoiced'),
      stat(t('billing.paid'), m(b.paid), 'stat-paid'));

    const pastDue = b.past_due > 0
      ? h('div', { class: 'alert alert-danger', role: 'alert', id: 'past-due-alert' },
        h('h2', {}, t('billing.past_due_title')),
        h('p', {}, t('billing.past_due_text', { amount: m(b.past_due), date: fmtDateTime(b.oldest_due) })))
      : null;

    const invoices = b.invoices.length
      ? h('ul', { class: 'reasons invoices' }, [...b.invoices].reverse().map((inv) => invoiceItem(inv, m)))
      : empty(t('billing.no_invoices'));

    const payments = b.payments.length
      ? table([{ label: t('billing.col.payment'), rowHeader: true }, { label: t('billing.col.received') }, { label: t('billing.col.amount'), num: true }],
        [...b.payments].reverse().map((p) => [p.id, fmtDateTime(p.received_at), m(p.amount)]), { label: t('billing.payments') })
      : empty(t('billing.no_payments'));

    const ccs = checks.items.length
      ? table([{ label: t('credit.col.id'), rowHeader: true }, { label: t('credit.col.status') }, { label: t('credit.col.amount'), num: true }, { label: t('credit.col.requested') }, { label: t('credit.col.expected') }],
        [...checks.items].reverse().map((c) => [c.id, badge(c.status), m(c.amount), fmtDateTime(c.requested_at), c.status === 'pending' ? fmtDateTime(c.expected_by) : fmtDateTime(c.decided_at)]),
        { label: t('billing.credit_checks') })
      : empty(t('billing.no_credit_checks'));

    replace(root,
      pageHead(t('billing.title'), t('billing.subtitle', { currency: cur })),
      justPaid,
      pastDue,
      stats,
      may('billing') ? payForm(b) : null,
      h('section', { 'aria-labelledby': 'invoices-title' }, h('h2', { id: 'invoices-title' }, t('billing.invoices')), invoices),
      h('section', {}, h('h2', { id: 'payments-title' }, t('billing.payments')), payments),
      h('section', { id: 'credit-checks-section' }, h('h2', { id: 'credit-checks', tabindex: '-1' }, t('billing.credit_checks')), ccs));
  }

  function stat(label, value, id, tone, note) {
    return h('div', { class: `stat${tone ? ' ' + tone : ''}`, id },
      h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), note ? h('div', { class: 'label' }, note) : null);
  }

  function invoiceItem(inv, m) {
    let status = inv.status;
    if (inv.credit_note) status = 'credit_note';
    else if (inv.past_due) status = 'past_due';
    return h('li', { class: 'card invoice', dataset: { invoice: inv.id } },
      h('div', { class: 'page-head mb-tight' },
        h('h3', {}, t(inv.credit_note ? 'billing.credit_note' : 'billing.invoice', { id: inv.id }), ' ', badge(status)),
        h('strong', { class: 'invoice-amount' }, m(inv.amount))),
      h('p', { class: 'muted' }, t('billing.invoice_dates', { issued: fmtDate(inv.issued), due: fmtDate(inv.due) }),
        inv.credit_note ? '' : ` · ${t('billing.invoice_paid', { paid: m(inv.paid), unpaid: m(inv.unpaid) })}`),
      inv.lines.length
        ? h('details', { class: 'inline' },
          h('summary', {}, t('billing.lines', { n: inv.lines.length })),
          table([{ label: t('billing.col.line') }, { label: t('billing.col.kind') }, { label: t('billing.col.amount'), num: true }],
            inv.lines.map((l) => [h('span', { class: 'line-text' }, lineText(l)), t(`line.${l.kind}`), m(l.amount)]), { label: t('billing.lines', { n: inv.lines.length }) }))
        : h('p', { class: 'muted' }, t('billing.no_lines')));
  }

  function payForm(b) {
    const cur = b.currency;
    const suggested = b.past_due > 0 ? b.past_due : Math.max(0, b.balance);
    const input = h('input', {
      id: 'pay-amount', name: 'amount', type: 'text', inputmode: 'decimal', autocomplete: 'off',
      value: suggested > 0 ? minorToInput(suggested, cur, getLang()) : '', 'aria-describedby': 'pay-hint',
    });
    const button = h('button', { type: 'submit', class: 'btn' }, t('billing.pay_now'));
    const form = h('form', { class: 'card', id: 'pay-now', novalidate: true, 'aria-labelledby': 'pay-title' },
      h('h2', { id: 'pay-title', tabindex: '-1' }, t('billing.pay_title')),
      h('div', { class: 'field' },
        h('label', { for: 'pay-amount' }, t('billing.amount', { currency: cur })),
        h('div', { class: 'input-suffix' }, input, h('span', { 'aria-hidden': 'true' }, cur)),
        h('span', { class: 'hint', id: 'pay-hint' }, b.past_due > 0 ? t('billing.pay_hint_past_due', { amount: fmtMoney(b.past_due, cur) }) : t('billing.pay_hint'))),
      h('div', { class: 'actions' }, button),
      errorSlot());
    let idem = null;
    let lastAmount = null;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const parsed = parseMajor(input.value, cur, getLang());
      if (parsed.error) {
        return showError(form, localError(t(`money.${parsed.error}`, { n: parsed.digits, example: minorToInput(12000, cur, getLang()) }), 'amount'), ctx);
      }
      // What it settles (the oldest invoices first), and any amount over what is owed.
      const owed = Math.max(0, b.balance);
      const open = b.invoices.filter((inv) => !inv.credit_note && inv.unpaid > 0)
        .sort((x, y) => (Date.parse(x.due) - Date.parse(y.due)) || (Date.parse(x.issued) - Date.parse(y.issued)));
      let left = parsed.minor;
      const settles = [];
      for (const inv of open) {
        if (left <= 0) break;
        const part = Math.min(left, inv.unpaid);
        settles.push(t(part === inv.unpaid ? 'billing.settles_whole' : 'billing.settles_part', { id: inv.id, amount: fmtMoney(part, cur) }));
        left -= part;
      }
      const over = parsed.minor > owed ? parsed.minor - owed : 0;
      const ok = await confirmDialog({
        title: t('billing.pay_confirm_title', { amount: fmtMoney(parsed.minor, cur) }),
        facts: [
          [t('confirm.amount'), fmtMoney(parsed.minor, cur)],
          [t('billing.past_due'), fmtMoney(b.past_due, cur)],
          [t('billing.balance'), fmtMoney(owed, cur)],
          [t('confirm.settles'), settles.length ? h('ul', { class: 'plain', id: 'pay-settles' }, settles.map((x) => h('li', {}, x))) : t('billing.settles_nothing')],
          over ? [t('confirm.over'), h('strong', { id: 'pay-over' }, fmtMoney(over, cur))] : null,
        ],
        warning: over ? t('billing.overpay_warning', { over: fmtMoney(over, cur), owed: fmtMoney(owed, cur) }) : null,
        confirmLabel: over ? t('billing.pay_over_confirm', { amount: fmtMoney(parsed.minor, cur), over: fmtMoney(over, cur) }) : t('billing.pay_confirm', { amount: fmtMoney(parsed.minor, cur) }),
      });
      if (!ok) return;
      // Same amount after a network failure: same key, so it is paid once.
      if (lastAmount !== parsed.minor) idem = null;
      idem = idem || newIdemKey('pay');
      lastAmount = parsed.minor;
      button.disabled = true;
      try {
        const r = await api('POST', `/v1/tenants/${ctx.tenant}/payments`, { body: { amount: parsed.minor }, idem });
        idem = null;
        const msg = t('billing.paid_ok', { amount: fmtMoney(r.payment.amount, cur) });
        ctx.announce(msg);
        justPaid = h('div', { class: 'alert alert-ok', role: 'status', id: 'payment-done' },
          h('p', {}, msg),
          r.past_due === 0 ? h('p', {}, t('billing.paid_clear')) : h('p', {}, t('billing.still_past_due', { amount: fmtMoney(r.past_due, cur) })));
        await load();
        root.querySelector('#payment-done').setAttribute('tabindex', '-1');
        root.querySelector('#payment-done').focus();
      } catch (e) {
        if (e.status !== 0 && !(e.status >= 500)) idem = null;
        showError(form, e, ctx);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  await load();
  ctx.afterRender = () => {
    if (ctx.query.get('pay') && root.querySelector('#pay-amount')) {
      const el = root.querySelector('#pay-amount');
      el.scrollIntoView({ block: 'center' });
      el.focus();
      el.select();
    } else if (ctx.query.get('section') === 'credit-checks') {
      root.querySelector('#credit-checks').focus();
    }
  };
  return root;
}
