// The console's shell: who is signed in, the pages their role has, the
// language switch, and a page per hash route (#/map, #/ticket/LX-…).
import { get, post, del, Refused } from './api.js';
import { t, toggleLanguage, language } from './i18n.js';
import { html, esc } from './dom.js';
import * as mapPage from './pages/map.js';
import * as slaPage from './pages/sla.js';
import * as ticketsPage from './pages/tickets.js';
import * as ticketPage from './pages/ticket.js';
import * as approvalsPage from './pages/approvals.js';
import * as assessmentPage from './pages/assessment.js';
import * as disclosuresPage from './pages/disclosures.js';
import * as annualPage from './pages/annual.js';

// Which pages each role has; the services refuse the rest anyway.
const PAGES = [
  { route: 'map', page: mapPage, roles: null },
  { route: 'sla', page: slaPage, roles: ['town_operator', 'workstation_staff', 'reviewer'] },
  { route: 'desk', page: ticketsPage, roles: ['town_operator'], queue: 'desk' },
  { route: 'tickets', page: ticketsPage, roles: null },
  { route: 'approvals', page: approvalsPage, roles: ['town_operator'] },
  { route: 'assessment', page: assessmentPage, roles: ['town_operator'] },
  { route: 'disclosures', page: disclosuresPage, roles: ['town_operator', 'police'] },
  { route: 'annual', page: annualPage, roles: ['town_operator', 'workstation_staff', 'reviewer'] },
];

const state = { me: null };
window.weigridConsole = { state };

function allowed(entry) {
  return !entry.roles || entry.roles.includes(state.me?.role);
}

function renderHeader() {
  document.documentElement.lang = language();
  document.title = `${t('title')} · weigrid`;
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  document.getElementById('lang').textContent = t('switchTo');
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!state.me) { nav.innerHTML = ''; who.innerHTML = ''; return; }
  const current = location.hash.replace(/^#\/?/, '').split('?')[0].split('/')[0] || 'map';
  nav.innerHTML = PAGES.filter(allowed)
    .map((p) => `<a href="#/${p.route}" data-route="${p.route}" class="${p.route === current ? 'current' : ''}">${t(p.route)}</a>`)
    .join('');
  const scope = state.me.scope ? ` · ${esc(state.me.scope)}` : '';
  who.innerHTML = `${esc(state.me.subject)} · ${esc(state.me.role)}${scope}${state.me.development ? ' · <b>DEV</b>' : ''}
    <button type="button" id="sign-out">${t('signOut')}</button>`;
  document.getElementById('sign-out').onclick = async () => {
    await del('session');
    state.me = null;
    if (location.hash === '#/map') await route(); else location.hash = '#/map';
  };
}

async function signInPage(main) {
  const options = await get('sign-in');
  main.innerHTML = html`
    <div class="panel signin">
      <h2>${t('signInTitle')}</h2>
      <form id="token-form">
        <label style="width:100%">${t('tokenLabel')}<textarea id="token" rows="3"></textarea></label>
        <p><button class="primary" type="submit">${t('signIn')}</button></p>
      </form>
      <p class="error" id="sign-in-error"></p>
    </div>
    ${options.development ? html`
    <div class="panel signin dev" id="dev-sign-in">
      <h2>${t('devTitle')}</h2>
      <p class="note">${t('devNote')}</p>
      <form id="dev-form">
        <label>${t('role')}<select id="dev-role">${options.roles.map((r) => `<option value="${r}">${r}</option>`).join('')}</select></label>
        <label>${t('scope')}<input id="dev-scope" placeholder="LX-V01"></label>
        <label>${t('name')}<input id="dev-name" placeholder="zhang"></label>
        <p><button class="primary" type="submit" id="dev-submit">${t('signIn')}</button></p>
      </form>
    </div>` : ''}`;
  const failed = (err) => { main.querySelector('#sign-in-error').textContent = err.message; };
  main.querySelector('#token-form').onsubmit = async (event) => {
    event.preventDefault();
    try { state.me = await post('session', { token: main.querySelector('#token').value }); await route(); } catch (err) { failed(err); }
  };
  const dev = main.querySelector('#dev-form');
  if (dev) {
    dev.onsubmit = async (event) => {
      event.preventDefault();
      try {
        state.me = await post('session/dev', {
          role: main.querySelector('#dev-role').value,
          scope: main.querySelector('#dev-scope').value,
          name: main.querySelector('#dev-name').value,
        });
        await route();
      } catch (err) { failed(err); }
    };
  }
}

// Each route draws into a view of its own. A route overtaken by a later one
// (a second click, a sign-out while a page loads) finishes into its own
// view, detached by then, and leaves the page and its readiness alone.
let routing = 0;

async function route() {
  const run = ++routing;
  const current = () => run === routing;
  const main = document.getElementById('page');
  if (!state.me) {
    try { state.me = await get('me'); } catch (err) { if (!(err instanceof Refused)) throw err; }
    if (!current()) return;
  }
  renderHeader();
  main.dataset.ready = '';
  const view = document.createElement('div');
  view.className = 'view';
  main.replaceChildren(view);
  if (!state.me) {
    await signInPage(view);
    if (current()) main.dataset.ready = 'sign-in';
    return;
  }
  const [name, ...rest] = location.hash.replace(/^#\/?/, '').split('?')[0].split('/');
  view.innerHTML = `<p class="note">${t('loading')}</p>`;
  try {
    if (name === 'ticket') {
      await ticketPage.render(view, decodeURIComponent(rest.join('/')), state);
    } else {
      const entry = PAGES.find((p) => p.route === name && allowed(p)) || PAGES[0];
      await entry.page.render(view, state, entry);
    }
  } catch (err) {
    if (!current()) return;
    if (err instanceof Refused && err.status === 401) { state.me = null; await route(); return; }
    view.innerHTML = `<div class="panel error" id="page-error">${esc(err.message)}</div>`;
  }
  if (current()) main.dataset.ready = name || 'map';
}

document.getElementById('lang').onclick = () => { toggleLanguage(); route(); };
window.addEventListener('hashchange', route);
window.weigridConsole.route = route;
route();
