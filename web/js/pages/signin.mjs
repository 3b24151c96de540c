// Sign in with an API token, exchanged for the browser's session (every tab
// shares it; the page keeps no token); then the page that was asked for.
import { h } from '../dom.mjs';
import { t } from '../i18n.mjs';
import * as session from '../session.mjs';
import { showError, clearErrors, errorSlot, localError } from '../ui.mjs';
import { ApiError } from '../api.mjs';

export async function signinPage(ctx) {
  let expired = false;
  try {
    expired = sessionStorage.getItem('planshift.expired') === '1';
    sessionStorage.removeItem('planshift.expired');
  } catch { /* storage off */ }

  const button = h('button', { type: 'submit', class: 'btn' }, t('signin.submit'));
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', { id: 'page-title', tabindex: '-1' }, t('signin.title')),
    h('p', { class: 'muted' }, t('signin.intro')),
    expired ? h('p', { class: 'alert alert-warn', role: 'alert' }, t('signin.expired')) : null,
    h('div', { class: 'field' },
      h('label', { for: 'token' }, t('signin.token')),
      h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-hint' }),
      h('span', { class: 'hint', id: 'token-hint' }, t('signin.token_hint'))),
    h('div', { class: 'actions' }, button),
    errorSlot());

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const tok = form.elements.token.value.trim();
    if (!tok) return showError(form, localError(t('signin.token_required'), 'token'), ctx);
    button.disabled = true;
    button.textContent = t('signin.checking');
    try {
      await session.signIn(tok);
      location.replace(session.afterSignin(ctx.query));
    } catch (e) {
      let err = e;
      if (e instanceof ApiError && e.status === 401) err = localError(t('signin.invalid'), 'token');
      showError(form, err, ctx);
    } finally {
      button.disabled = false;
      button.textContent = t('signin.submit');
    }
  });
  ctx.afterRender = () => form.elements.token.focus();
  return h('div', { class: 'signin' }, form);
}
