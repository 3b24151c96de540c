// ui.mjs: pieces shared by the pages: titles, badges, tables, errors shown
// next to the control that caused them, reasons with their remedies, and
// the progress of an operation (polled while it runs).
import { h, replace, newId } from './dom.mjs';
import { t, getLang, fmtDate, fmtDateTime, fmtNumber, has } from './i18n.mjs';
import { api, ApiError } from './api.mjs';
import { may } from './session.mjs';

export function pageHead(title, subtitle, ...extra) {
  return h('div', { class: 'page-head' },
    h('div', {},
      h('h1', { id: 'page-title', tabindex: '-1' }, title),
      subtitle ? h('p', {}, subtitle) : null),
    extra.length ? h('div', { class: 'actions' }, extra) : null);
}

export function loading(text) {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', text || t('common.loading'));
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

const STATUS_TONE = {
  active: 'ok', healthy: 'ok', completed: 'ok', paid: 'ok', approved: 'ok', resolved: 'ok', closed: 'ok',
  provisioning: 'info', pending_credit_check: 'warn', pending: 'warn', open: 'info', investigating: 'warn',
  restoring: 'info', degraded: 'warn', interrupted: 'danger', incident: 'danger', failed: 'danger', denied: 'danger',
  expired: 'danger', disabled: 'danger', cancelled: '', replaced: '', past_due: 'danger', credit_note: 'info', void: '',
  retired: 'warn',
};

export function badge(status, label) {
  const tone = STATUS_TONE[status];
  return h('span', { class: `badge${tone ? ' badge-' + tone : ''}` }, label ?? statusLabel(status));
}

export function statusLabel(status) {
  const key = `status.${status}`;
  return has(key) ? t(key) : status;
}

/** A table: columns [{label, num, class}], rows of cells (nodes or text); wrapped to scroll on narrow screens. */
export function table(columns, rows, { caption, label, rowClass, id } = {}) {
  const tbl = h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: [c.num ? 'num' : '', c.class || ''].join(' ').trim() || null }, c.label)))),
    h('tbody', {}, rows.map((r, i) => h('tr', { class: rowClass ? rowClass(i) : null },
      r.map((cell, j) => (j === 0 && columns[0].rowHeader
        ? h('th', { scope: 'row', class: columns[j].class || null }, cell)
        : h('td', {
          class: [columns[j].num ? 'num' : '', columns[j].class || ''].join(' ').trim() || null,
          // Narrow screens show each row as a card, each cell with its column's name.
          'data-label': typeof columns[j].label === 'string' ? columns[j].label : null,
        }, cell)))))));
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label || caption || null, tabindex: '0', id: id || null }, tbl);
}

// ---- errors ---------------------------------------------------------------

/** An error made by the page itself (already in the user's language). */
export function localError(message, field) {
  const e = new ApiError(400, { error: { code: 'invalid_field', message, field } });
  e.local = true;
  return e;
}

export function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  if (err.local || err.code === 'network') return err.message;
  if (err.reasons && err.reasons.length) return t('error.refused_reasons');
  // The API's error messages are in English: in another language, ours by
  // code and field (error.conflict.quantity), else by code, naming the field.
  if (getLang() === 'en') return err.message;
  if (err.field && has(`error.${err.code}.${err.field}`)) return t(`error.${err.code}.${err.field}`);
  const label = has(`error.${err.code}`) ? t(`error.${err.code}`) : t('error.generic');
  return err.field ? t('error.with_field', { error: label, field: err.field }) : label;
}

export function clearErrors(scope) {
  for (const el of scope.querySelectorAll('.field-error')) el.remove();
  for (const el of scope.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.startsWith('err-'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' ')); else el.removeAttribute('aria-describedby');
  }
  for (const el of scope.querySelectorAll('.form-error')) replace(el);
}

/**
 * Show an API error next to the control that caused it: the input named by
 * `field`, else the form's error slot (next to its submit button).
 */
export function showError(scope, err, ctx, { fieldMap = {}, focus = true } = {}) {
  clearErrors(scope);
  const fieldName = err && err.field ? (fieldMap[err.field] || err.field) : null;
  const input = fieldName ? scope.querySelector(`[name="${CSS.escape(fieldName)}"]`) : null;
  const msg = errorText(err);
  if (input) {
    const id = newId('err');
    const p = h('p', { class: 'field-error', id, role: 'alert' }, msg);
    const anchor = input.closest('.input-suffix, .checkbox') || input;
    anchor.after(p);
    input.setAttribute('aria-invalid', 'true');
    const desc = input.getAttribute('aria-describedby');
    input.setAttribute('aria-describedby', desc ? `${desc} ${id}` : id);
    if (focus) input.focus();
    return;
  }
  let slot = scope.querySelector('.form-error');
  if (!slot) {
    slot = h('div', { class: 'form-error', role: 'alert' });
    scope.append(slot);
  }
  replace(slot, h('p', {}, msg));
  if (err && err.reasons && err.reasons.length) {
    slot.append(reasonList(err.reasons, ctx));
  }
}

/** The error slot of a form; put it next to the submit button. */
export function errorSlot() {
  return h('div', { class: 'form-error', role: 'alert' });
}

// ---- reasons and remedies ---------------------------------------------------

export const REASON_CODES = [
  'license_conflict', 'subscription_not_ready', 'service_incident', 'upgrade_in_progress',
  'credit_check_pending', 'not_eligible', 'multiple_plans_same_product', 'prepaid_plan',
  'segment_restricted', 'service_busy', 'target_not_supported', 'has_addon', 'unpaid_balance', 'other',
];

// Reasons that pass by waiting or by an admin's action keeping this plan
// (pay, resolve the conflict, the term's end): only then can the blocked
// page say "once resolved". The others (an ended subscription, a
// government or nonprofit plan, an add-on, no upgrade path) never pass.
const PASSING = ['license_conflict', 'subscription_not_ready', 'service_incident', 'upgrade_in_progress', 'credit_check_pending',
  'multiple_plans_same_product', 'prepaid_plan', 'service_busy', 'unpaid_balance'];

/** Can the blocked subscription's offers be taken once its reasons pass? */
export function reasonsPass(reasons, subscription) {
  return reasons.every((r) => PASSING.includes(r.code)
    && !(r.code === 'upgrade_in_progress' && r.details && r.details.subscription === subscription));
}

export function reasonTitle(code) {
  return has(`reason.${code}`) ? t(`reason.${code}`) : code;
}

function subFromHref(href, fallback) {
  const m = /\/subscriptions\/(sub_\d+)/.exec(href || '');
  return m ? m[1] : fallback;
}

function waitTarget(href, ctx) {
  if (!href) return null;
  if (href.startsWith('/v1/service-health')) return { hash: '#/health', label: t('remedy.see_health') };
  if (/\/credit-checks/.test(href)) return { hash: `#/t/${ctx.tenant}/billing?section=credit-checks`, label: t('remedy.see_credit_checks') };
  if (/\/operations/.test(href)) return { hash: `#/t/${ctx.tenant}/operations`, label: t('remedy.see_operations') };
  const s = subFromHref(href, null);
  if (s) return { hash: `#/t/${ctx.tenant}/subscriptions/${s}`, label: t('remedy.see_subscription') };
  return null;
}

/** One remedy as an action: a link to where to act, or "wait until <time>". */
export function remedyItem(remedy, reason, ctx, { subscription, codes } = {}) {
  const sub = subFromHref(remedy.href, subscription);
  const link = (hash, label, cls = 'btn btn-secondary btn-small') => h('a', { class: cls, href: hash, dataset: { remedy: remedy.action } }, label);
  const needs = (what) => h('span', { class: 'remedy-note', dataset: { remedy: remedy.action } }, t('remedy.needs', { action: t(`remedy.${remedy.action}`), role: t(`role.needs.${what}`) }));
  switch (remedy.action) {
    case 'resolve_license_conflicts':
      return link(`#/t/${ctx.tenant}/licenses`, t('remedy.resolve_license_conflicts'));
    case 'pay_now':
      return may('billing') ? link(`#/t/${ctx.tenant}/billing?pay=1`, t('remedy.pay_now')) : needs('billing');
    case 'change_plans_manually': {
      // Two plans of one product: the API's link says which to merge into.
      const into = /[?&]into=(sub_\d+)/.exec(remedy.href || '');
      const q = into ? `?into=${into[1]}`
        : reason.code === 'target_not_supported' && reason.details && reason.details.plan ? `?target=${encodeURIComponent(reason.details.plan)}` : '';
      return may('billing') && sub
        ? link(`#/t/${ctx.tenant}/subscriptions/${sub}/switch${q}`, t('remedy.change_plans_manually'))
        : needs('billing');
    }
    case 'call_support': {
      if (!may('billing')) return needs('billing');
      const q = new URLSearchParams();
      if (sub) q.set('subscription', sub);
      if (codes && codes.length) q.set('reasons', codes.join(','));
      return link(`#/t/${ctx.tenant}/support/new?${q}`, t('remedy.call_support'));
    }
    case 'schedule_at_term_end':
      return may('billing')
        ? h('span', { class: 'remedy-note', dataset: { remedy: remedy.action } },
          remedy.effective_at ? t('remedy.schedule_at_term_end_at', { date: fmtDate(remedy.effective_at) }) : t('remedy.schedule_at_term_end'))
        : needs('billing');
    case 'wait':
    case 'retry_later': {
      // The message already says when (in the viewer's zone): the time once.
      const said = remedy.until && (reason.message_times || []).some((x) => Date.parse(x.time) === Date.parse(remedy.until));
      const text = said ? t(`remedy.${remedy.action}`) : remedy.until
        ? t(remedy.action === 'wait' ? 'remedy.wait_until' : 'remedy.retry_after', { time: fmtDateTime(remedy.until) })
        : t(remedy.action === 'wait' ? 'remedy.wait_unknown' : 'remedy.retry_unknown');
      const target = remedy.action === 'wait' ? waitTarget(remedy.href, ctx) : null;
      return h('span', { class: 'remedy-wait' },
        h('span', { class: 'remedy-text', dataset: { remedy: remedy.action } }, text),
        target ? [' ', link(target.hash, target.label, 'remedy-link')] : null);
    }
    default:
      return h('span', { class: 'remedy-note' }, remedy.action);
  }
}

/** The API's message with each time it names (written in UTC, listed in
 * message_times) in the viewer's time zone. */
export function localMessage(reason) {
  let msg = reason.message || '';
  for (const x of reason.message_times || []) msg = msg.split(x.text).join(fmtDateTime(x.time));
  return msg;
}

/** A reason: its title, the API's message (in the UI's language), its remedies as actions. */
export function reasonItem(reason, ctx, opts = {}) {
  // This very subscription's upgrade under way is not "another plan".
  const self = reason.code === 'upgrade_in_progress' && reason.details && opts.subscription && reason.details.subscription === opts.subscription;
  return h('li', { class: 'reason', dataset: { reason: reason.code } },
    h('h3', {}, self ? t('reason.upgrade_in_progress_self') : reasonTitle(reason.code)),
    h('p', { class: 'reason-message' }, localMessage(reason)),
    reason.remedies && reason.remedies.length
      ? h('ul', { class: 'remedies', 'aria-label': t('upgrade.what_you_can_do') },
        reason.remedies.map((r) => h('li', {}, remedyItem(r, reason, ctx, opts))))
      : null);
}

export function reasonList(reasons, ctx, opts = {}) {
  const codes = opts.codes || reasons.map((r) => r.code);
  return h('ul', { class: 'reasons reason-list' }, reasons.map((r) => reasonItem(r, ctx, { ...opts, codes })));
}

// ---- operations ------------------------------------------------------------

const RUNNING = ['provisioning', 'pending_credit_check'];

/**
 * The progress of an upgrade or manual change, polling GET .../operations/{o}
 * while it is provisioning or waiting on a credit check.
 * names: {from, to} plan names for the messages.
 */
export function operationProgress(op, ctx, { names = {}, onFinish } = {}) {
  const box = h('div', { class: 'op-progress', role: 'status', 'aria-live': 'polite', dataset: { op: op.id } });
  let creditCheck = null;
  let delay = 1000;

  const step = (cls, mark, text) => h('li', { class: cls }, h('span', { class: 'mark', 'aria-hidden': 'true' }, mark), h('span', {}, text));

  function draw(o) {
    box.dataset.state = o.state;
    const kind = o.kind === 'switch' ? 'switch' : 'upgrade';
    const steps = [step('done', '✓', t(`op.${kind}.requested`, { id: o.id, to: names.to || o.target_plan }))];
    const hadCheck = o.credit_check || o.state === 'pending_credit_check';
    if (hadCheck) {
      if (o.state === 'pending_credit_check') {
        steps.push(step('current', h('span', { class: 'spinner' }), creditCheck && creditCheck.expected_by
          ? t('op.credit_check_wait_until', { time: fmtDateTime(creditCheck.expected_by) })
          : t('op.credit_check_wait')));
      } else if (o.state === 'failed' && o.result && o.result.failure === 'credit_check_denied') {
        steps.push(step('failed', '✗', t('op.credit_check_denied')));
      } else {
        steps.push(step('done', '✓', t('op.credit_check_approved')));
      }
    }
    if (o.state === 'provisioning') steps.push(step('current', h('span', { class: 'spinner' }), t('op.provisioning')));
    else if (o.state === 'completed') steps.push(step('done', '✓', t('op.provisioned')));
    else if (o.state === 'pending_credit_check') steps.push(step('todo', '○', t('op.provisioning_next')));
    let outcome = null;
    if (o.state === 'completed') {
      const moved = (o.result && o.result.moved) ?? 0;
      outcome = h('div', { class: 'alert alert-ok op-done' },
        h('h3', {}, t(`op.${kind}.completed_title`)),
        h('p', {}, t(`op.${kind}.completed`, { from: names.from || o.source, to: names.to || o.target_plan, sub: o.new_subscription })),
        h('p', { class: 'moved' }, t('op.moved', { n: moved, count: fmtNumber(moved) })),
        h('div', { class: 'actions' },
          o.new_subscription ? h('a', { class: 'btn btn-secondary btn-small', href: `#/t/${ctx.tenant}/subscriptions/${o.new_subscription}` }, t('op.open_new', { to: names.to || o.target_plan })) : null,
          h('a', { class: 'btn btn-secondary btn-small', href: `#/t/${ctx.tenant}/licenses` }, t('op.see_licenses'))));
    } else if (o.state === 'failed') {
      const f = o.result && o.result.failure;
      outcome = h('div', { class: 'alert alert-danger op-failed' },
        h('h3', {}, t(`op.${kind}.failed_title`)),
        h('p', {}, f && has(`op.failure.${f}`) ? t(`op.failure.${f}`) : (f || t('op.failure.unknown'))));
    }
    replace(box,
      h('ol', { class: 'progress', 'aria-label': t('op.progress_label') }, steps),
      outcome);
  }

  async function poll() {
    if (ctx.signal.aborted) return;
    try {
      const o = await api('GET', `/v1/tenants/${ctx.tenant}/operations/${op.id}`, { signal: ctx.signal });
      op = o;
      if (o.state === 'pending_credit_check' && o.credit_check && !creditCheck) await loadCheck(o.credit_check);
      draw(o);
      if (RUNNING.includes(o.state)) schedule(); else if (onFinish) onFinish(o);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      schedule(); // a network hiccup: keep trying
    }
  }
  function schedule() {
    if (ctx.signal.aborted) return;
    const id = setTimeout(poll, delay);
    ctx.signal.addEventListener('abort', () => clearTimeout(id), { once: true });
    delay = Math.min(Math.round(delay * 1.5), 10000);
  }
  async function loadCheck(id) {
    try {
      const list = await api('GET', `/v1/tenants/${ctx.tenant}/credit-checks?limit=500`, { signal: ctx.signal });
      creditCheck = list.items.find((c) => c.id === id) || null;
    } catch { creditCheck = null; }
  }

  draw(op);
  if (RUNNING.includes(op.state)) {
    (op.credit_check ? loadCheck(op.credit_check) : Promise.resolve()).then(() => { draw(op); schedule(); });
  } else if (onFinish) {
    queueMicrotask(() => onFinish(op));
  }
  return box;
}

export function planName(catalog, id) {
  const p = catalog && catalog.plans.find((x) => x.id === id);
  return p ? p.name : id;
}

export function serviceName(catalog, id) {
  const sv = catalog && catalog.services.find((x) => x.id === id);
  return sv ? sv.name : id;
}

// ---- confirmation ------------------------------------------------------------

/**
 * Ask before an action that costs money or takes something away: a modal
 * dialog saying what it will do (facts: [[label, value]], a warning) with
 * the action's own words on its button. Resolves true when confirmed;
 * Escape or Cancel resolve false. The one confirmation of the admin center.
 */
export function confirmDialog({ title, text, facts = [], warning, content, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const titleId = newId('confirm');
    const yes = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn', dataset: { confirm: 'yes' } }, confirmLabel || t('confirm.yes'));
    const no = h('button', { type: 'button', class: 'btn btn-secondary', dataset: { confirm: 'no' } }, t('common.cancel'));
    const dlg = h('dialog', { class: 'confirm-dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      text ? h('p', {}, text) : null,
      facts.length ? h('dl', { class: 'facts confirm-facts' }, facts.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : null,
      warning ? h('p', { class: 'alert alert-warn confirm-warning' }, warning) : null,
      content || null,
      h('div', { class: 'actions' }, yes, no));
    const opener = document.activeElement;
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      if (dlg.open) dlg.close();
      dlg.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(ok);
    };
    yes.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    dlg.addEventListener('close', () => finish(false));
    document.body.append(dlg);
    dlg.showModal();
    yes.focus();
  });
}

// ---- paging ------------------------------------------------------------------

/**
 * A server-side paged list (the API's limit/after): fetchPage(after, limit)
 * -> {items, next}; render(items) -> node. Previous goes back through the
 * cursors seen. Returns {node, reload(), first()}. The one pager of the
 * admin center (users, licenses, audit).
 */
export function pager({ fetchPage, render, limit = 25, label, signal }) {
  const body = h('div', { class: 'pager-body' });
  const status = h('span', { class: 'pager-status', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'btn btn-secondary btn-small', dataset: { pager: 'prev' } }, t('pager.prev'));
  const next = h('button', { type: 'button', class: 'btn btn-secondary btn-small', dataset: { pager: 'next' } }, t('pager.next'));
  const nav = h('nav', { class: 'pager', 'aria-label': label || t('pager.label') }, prev, status, next);
  const node = h('div', { class: 'paged' }, body, nav);
  const cursors = ['']; // cursors[i]: the `after` of page i
  let index = 0;
  let nextCursor = null;
  let items = [];
  async function show(i) {
    prev.disabled = true;
    next.disabled = true;
    let page;
    try {
      page = await fetchPage(cursors[i], limit);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      replace(body, h('p', { class: 'form-error', role: 'alert' }, errorText(e)));
      prev.disabled = i === 0;
      return;
    }
    if (signal && signal.aborted) return;
    index = i;
    items = page.items;
    nextCursor = page.next;
    if (nextCursor) cursors[i + 1] = nextCursor;
    replace(body, render(items));
    const from = i * limit + (items.length ? 1 : 0);
    status.textContent = t('pager.status', { page: fmtNumber(i + 1), from: fmtNumber(from), to: fmtNumber(i * limit + items.length) });
    prev.disabled = i === 0;
    next.disabled = !nextCursor;
    node.dataset.page = String(i + 1);
  }
  prev.addEventListener('click', () => show(Math.max(0, index - 1)));
  next.addEventListener('click', () => { if (nextCursor) show(index + 1); });
  return {
    node,
    reload: () => show(index),
    first: () => { cursors.length = 1; return show(0); },
    items: () => items,
  };
}
