// app.mjs: boot, the hash router, the header (who you are, language) and
// the navigation. Each page is a module in pages/. The session is the
// browser's (a cookie every tab shares): a new tab or a deep link opens
// signed in; a page asked for while signed out is opened after sign-in.
import { h, replace } from './dom.mjs';
import { t, setLang, initialLang, getLang, onLangChange } from './i18n.mjs';
import { api, setUnauthorizedHandler, resetCache } from './api.mjs';
import * as session from './session.mjs';
import { loading, errorText, pageHead } from './ui.mjs';
import { signinPage } from './pages/signin.mjs';
import { productsPage } from './pages/products.mjs';
import { subscriptionPage } from './pages/subscription.mjs';
import { switchPage } from './pages/switch.mjs';
import { licensesPage } from './pages/licenses.mjs';
import { billingPage } from './pages/billing.mjs';
import { healthPage } from './pages/health.mjs';
import { supportListPage, supportNewPage } from './pages/support.mjs';
import { operationsPage } from './pages/operations.mjs';
import { tokensPage } from './pages/tokens.mjs';
import { tenantsPage, creditChecksPage, fleetPage, supportQueuePage } from './pages/provider.mjs';
import { catalogPage } from './pages/catalog.mjs';
import { webhooksPage, deliveriesPage } from './pages/webhooks.mjs';
import { eventsPage } from './pages/events.mjs';
import { homePage } from './pages/home.mjs';
import { usersPage } from './pages/users.mjs';
import { auditPage } from './pages/audit.mjs';

const ROUTES = [
  { path: '/signin', page: signinPage, public: true },
  { path: '/t/:t', page: homePage, nav: 'home' },
  { path: '/t/:t/users', page: usersPage, nav: 'users' },
  { path: '/t/:t/audit', page: auditPage, nav: 'audit', need: 'audit' },
  { path: '/t/:t/products', page: productsPage, nav: 'products' },
  { path: '/t/:t/subscriptions/:s', page: subscriptionPage, nav: 'products', tab: 'overview' },
  { path: '/t/:t/subscriptions/:s/upgrade', page: subscriptionPage, nav: 'products', tab: 'upgrade' },
  { path: '/t/:t/subscriptions/:s/switch', page: switchPage, nav: 'products', need: 'billing' },
  { path: '/t/:t/licenses', page: licensesPage, nav: 'licenses' },
  { path: '/t/:t/billing', page: billingPage, nav: 'billing' },
  { path: '/t/:t/support', page: supportListPage, nav: 'support' },
  { path: '/t/:t/support/new', page: supportNewPage, nav: 'support', need: 'billing' },
  { path: '/t/:t/operations', page: operationsPage, nav: 'operations' },
  { path: '/t/:t/tokens', page: tokensPage, nav: 'tokens', need: 'tokens' },
  { path: '/t/:t/events', page: eventsPage, nav: 'events', need: 'events' },
  { path: '/health', page: healthPage, nav: 'health' },
  { path: '/provider/tenants', page: tenantsPage, nav: 'p-tenants', need: 'provider' },
  { path: '/provider/incidents', page: healthPage, nav: 'p-incidents', need: 'provider', provider: true },
  { path: '/provider/credit-checks', page: creditChecksPage, nav: 'p-credit', need: 'provider' },
  { path: '/provider/fleet', page: fleetPage, nav: 'p-fleet', need: 'provider' },
  { path: '/provider/support', page: supportQueuePage, nav: 'p-support', need: 'provider' },
  { path: '/provider/catalog', page: catalogPage, nav: 'p-catalog', need: 'provider' },
  { path: '/provider/webhooks', page: webhooksPage, nav: 'p-webhooks', need: 'operator' },
  { path: '/provider/webhooks/:w', page: deliveriesPage, nav: 'p-webhooks', need: 'operator' },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const announcer = document.getElementById('announcer');
const menuButton = document.getElementById('menu-button');
const narrow = window.matchMedia('(max-width: 760px)');
let controller = null;
let firstRender = true;
const tenantInfo = new Map();

export function announce(msg) {
  announcer.textContent = '';
  setTimeout(() => { announcer.textContent = msg; }, 50);
}

export function navigate(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

function parseHash() {
  const raw = decodeURI(location.hash.replace(/^#/, '')) || '/';
  const [path, qs] = raw.split('?');
  return { path: path.replace(/\/+$/, '') || '/', query: new URLSearchParams(qs || '') };
}

function match(pattern, path) {
  const pp = pattern.split('/');
  const xs = path.split('/');
  if (pp.length !== xs.length) return null;
  const params = {};
  for (let i = 0; i < pp.length; i++) {
    if (pp[i].startsWith(':')) {
      if (!/^[a-z]+_[1-9][0-9]*$/.test(xs[i])) return null;
      params[pp[i].slice(1)] = xs[i];
    } else if (pp[i] !== xs[i]) return null;
  }
  return params;
}

// Where sign-in leads back to: the page asked for (a path of this app).
function signinHash(path, query) {
  const qs = query && [...query].length ? `?${query}` : '';
  return path && path !== '/' && path !== '/signin' ? `#/signin?next=${encodeURIComponent(path + qs)}` : '#/signin';
}

function homeHash(who) {
  if (!who) return '#/signin';
  return session.isTenantRole(who) ? `#/t/${who.tenant}` : '#/provider/tenants';
}

async function getTenantInfo(id, signal) {
  const who = session.current();
  if (who && who.tenant === id && who.tenantName) return { id, name: who.tenantName, currency: who.currency };
  if (!tenantInfo.has(id)) {
    const info = await api('GET', `/v1/tenants/${id}`, { signal });
    tenantInfo.set(id, info);
  }
  return tenantInfo.get(id);
}

function roleLabel(role) { return t(`role.${role}`); }

function renderHeader() {
  const who = session.current();
  const whoEl = document.getElementById('whoami');
  const out = document.getElementById('signout');
  document.getElementById('brand-text').textContent = t('app.title');
  document.getElementById('lang-label').textContent = t('app.language');
  document.getElementById('skip-link').textContent = t('app.skip');
  document.getElementById('lang-select').value = getLang();
  out.textContent = t('app.signout');
  menuButton.textContent = t('app.menu');
  nav.setAttribute('aria-label', t('nav.label'));
  if (who) {
    replace(whoEl,
      h('span', { class: 'who-role', id: 'who-role' }, t('app.signed_in_as', { role: roleLabel(who.role) })),
      h('span', { class: 'who-tenant', id: 'who-tenant' }, who.tenant ? `${who.tenantName} (${who.tenant})` : t('app.provider')));
    whoEl.hidden = false;
    out.hidden = false;
  } else {
    replace(whoEl);
    whoEl.hidden = true;
    out.hidden = true;
  }
}

function renderNav(current, tenantId, tenantName) {
  const who = session.current();
  if (!who) { nav.hidden = true; menuButton.hidden = true; return; }
  nav.hidden = false;
  menuButton.hidden = false;
  const link = (key, hash, label) => h('li', {}, h('a', { href: hash, 'aria-current': current === key ? 'page' : null }, label));
  const sections = [];
  if (tenantId) {
    sections.push(h('h2', { id: 'nav-tenant' }, tenantName || tenantId),
      h('ul', { 'aria-labelledby': 'nav-tenant' },
        link('home', `#/t/${tenantId}`, t('nav.home')),
        link('products', `#/t/${tenantId}/products`, t('nav.products')),
        link('users', `#/t/${tenantId}/users`, t('nav.users')),
        link('licenses', `#/t/${tenantId}/licenses`, t('nav.licenses')),
        link('billing', `#/t/${tenantId}/billing`, t('nav.billing')),
        link('health', '#/health', t('nav.health')),
        link('support', `#/t/${tenantId}/support`, t('nav.support')),
        link('operations', `#/t/${tenantId}/operations`, t('nav.operations')),
        session.may('tokens') ? link('tokens', `#/t/${tenantId}/tokens`, t('nav.tokens')) : null,
        session.may('audit') ? link('audit', `#/t/${tenantId}/audit`, t('nav.audit')) : null,
        session.may('events') ? link('events', `#/t/${tenantId}/events`, t('nav.events')) : null));
  }
  if (session.may('provider')) {
    sections.push(h('h2', { id: 'nav-provider' }, t('nav.provider')),
      h('ul', { 'aria-labelledby': 'nav-provider' },
        link('p-tenants', '#/provider/tenants', t('nav.tenants')),
        link('p-incidents', '#/provider/incidents', t('nav.incidents')),
        link('p-credit', '#/provider/credit-checks', t('nav.credit_checks')),
        link('p-fleet', '#/provider/fleet', t('nav.fleet')),
        link('p-support', '#/provider/support', t('nav.support_queue')),
        link('p-catalog', '#/provider/catalog', t('nav.catalog')),
        session.may('operator') ? link('p-webhooks', '#/provider/webhooks', t('nav.webhooks')) : null));
  } else if (!tenantId) {
    sections.push(h('ul', {}, link('health', '#/health', t('nav.health'))));
  }
  replace(nav, sections);
  setMenu(false);
}

function setMenu(open) {
  const collapsed = narrow.matches && !open;
  nav.classList.toggle('collapsed', collapsed);
  menuButton.setAttribute('aria-expanded', String(!collapsed));
}

let lastTenant = null;

async function route() {
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  const { path, query } = parseHash();
  const who = session.current();
  renderHeader();

  if (path === '/' || path === '') {
    location.replace(homeHash(who));
    return;
  }
  let found = null;
  let params = null;
  for (const r of ROUTES) {
    params = match(r.path, path);
    if (params) { found = r; break; }
  }
  if (!who && (!found || !found.public)) {
    location.replace(signinHash(path, query));
    return;
  }
  if (who && found && found.public) {
    const next = session.afterSignin(query);
    location.replace(next === '#/' ? homeHash(who) : next);
    return;
  }
  // A tenant role sees its own tenant only.
  if (who && params && params.t && session.isTenantRole(who) && params.t !== who.tenant) {
    location.replace(`#${path.replace(params.t, who.tenant)}`);
    return;
  }
  const tenantId = (params && params.t) || (session.isTenantRole(who) ? who.tenant : (found && found.path === '/health' ? lastTenant : null));
  if (params && params.t) lastTenant = params.t;
  if (!found) {
    renderNav(null, tenantId);
    replace(main, pageHead(t('notfound.title')), h('p', {}, h('a', { href: homeHash(who) }, t('notfound.home'))));
    focusTitle();
    return;
  }
  let info = null;
  if (tenantId && who) {
    try { info = await getTenantInfo(tenantId, signal); } catch (e) {
      if (e.name === 'AbortError') return;
      renderNav(found.nav, null);
      replace(main, pageHead(t('notfound.title')), h('p', { class: 'form-error' }, errorText(e)));
      focusTitle();
      return;
    }
  }
  renderNav(found.nav, tenantId, info && info.name);
  if (found.need && !session.may(found.need)) {
    replace(main, pageHead(t('forbidden.title')), h('p', {}, t('forbidden.text', { role: roleLabel(who.role) })));
    focusTitle();
    return;
  }
  const ctx = {
    params: params || {}, query, signal, who, tab: found.tab, provider: Boolean(found.provider),
    tenant: tenantId, tenantInfo: info, currency: info ? info.currency : 'EUR',
    announce, navigate, rerender: route,
  };
  replace(main, loading());
  let node;
  try {
    node = await found.page(ctx);
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    console.error(e);
    node = h('div', {}, pageHead(t('error.page_title')), h('p', { class: 'form-error', role: 'alert' }, errorText(e)),
      h('p', {}, h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => route() }, t('common.retry'))));
  }
  if (signal.aborted) return;
  const banner = (tenantId && !session.isTenantRole(who) && info)
    ? h('div', { class: 'acting-banner', role: 'note' },
      h('span', {}, t('provider.acting_as', { tenant: info.name, role: roleLabel(who.role) })),
      h('a', { href: '#/provider/tenants' }, t('provider.back_to_tenants')))
    : null;
  replace(main, banner, node);
  document.title = `${(main.querySelector('h1') || {}).textContent || ''} · ${t('app.title')}`;
  focusTitle();
  if (ctx.afterRender) ctx.afterRender();
}

function focusTitle() {
  if (firstRender) { firstRender = false; return; }
  const h1 = main.querySelector('h1');
  if (h1) h1.focus({ preventScroll: false });
}

async function boot() {
  await setLang(initialLang());
  await session.load();
  const signedOut = (expired) => {
    resetCache();
    tenantInfo.clear();
    try { if (expired) sessionStorage.setItem('planshift.expired', '1'); } catch { /* storage off */ }
    const { path, query } = parseHash();
    location.replace(signinHash(path, query));
  };
  setUnauthorizedHandler(() => {
    session.ended();
    signedOut(true);
  });
  session.setSignedOutElsewhereHandler(() => signedOut(false));
  document.getElementById('lang-select').addEventListener('change', async (ev) => {
    await setLang(ev.target.value, { remember: true });
  });
  // A new language draws the page again: what was typed stays.
  onLangChange(async () => {
    const typed = [...main.querySelectorAll('input[id], select[id], textarea[id]')]
      .filter((el) => el.type !== 'file' && el.type !== 'hidden')
      .map((el) => [el.id, el.type === 'checkbox' || el.type === 'radio' ? el.checked : el.value]);
    await route();
    for (const [id, v] of typed) {
      const el = document.getElementById(id);
      if (!el || !main.contains(el)) continue;
      if (typeof v === 'boolean') el.checked = v;
      else if (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === v)) el.value = v;
    }
  });
  document.getElementById('signout').addEventListener('click', async () => {
    await session.signOut();
    resetCache();
    tenantInfo.clear();
    location.hash = '#/signin';
  });
  menuButton.addEventListener('click', () => setMenu(nav.classList.contains('collapsed')));
  // The skip link must not change the hash (the router's): focus main instead.
  document.getElementById('skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    main.focus();
  });
  narrow.addEventListener('change', () => setMenu(false));
  window.addEventListener('hashchange', route);
  await route();
}

boot().catch((e) => {
  console.error(e);
  replace(main, h('p', { class: 'form-error', role: 'alert' }, String(e && e.message ? e.message : e)));
});
