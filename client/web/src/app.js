// lmx's web application: one page shell, routed by the URL's path, so that
// every view has a link. Each page module exports `render(main, url)`,
// which draws into `main` and may return a function to call on leaving.
import { call, session } from './api.js';
import { h, fill } from './ui.js';

const routes = [
  [/^\/$/, () => import('./pages/find.js'), 'Find an occupation'],
  [/^\/find$/, () => import('./pages/find.js'), 'Find an occupation'],
  [/^\/occupation\/([0-9]{1,4})$/, () => import('./pages/occupation.js'), 'Occupation'],
  [/^\/explore$/, () => import('./pages/explore.js'), 'Explore'],
  [/^\/corridors$/, () => import('./pages/corridors.js'), 'Corridors'],
  [/^\/lists$/, () => import('./pages/lists.js'), 'Shortage lists and partnerships'],
  [/^\/publish$/, () => import('./pages/publish.js'), 'Publish'],
  [/^\/region$/, () => import('./pages/region.js'), 'Region'],
];

let leave = null;
let generation = 0;

export function navigate(href, { replace = false } = {}) {
  const url = new URL(href, location.href);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route();
}

// Replaces the URL's query without drawing the page again: the page keeps
// its state in the URL so that a link reproduces the view.
export function setQuery(params) {
  const url = new URL(location.href);
  url.search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined)).toString();
  history.replaceState(null, '', url);
}

async function route() {
  const mine = ++generation;
  if (leave) { try { leave(); } catch { /* a page's cleanup must not stop the next */ } leave = null; }
  const main = document.getElementById('main');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const found = routes.find(([pattern]) => pattern.test(path));
  for (const a of document.querySelectorAll('header nav a')) {
    const target = a.getAttribute('href');
    const current = target === path || (target === '/' && (path === '/find' || path.startsWith('/occupation/')));
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.body.removeAttribute('data-ready');
  if (!found) {
    fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '/' }, 'Find an occupation.')));
    document.title = 'Not found · lmx';
    document.body.setAttribute('data-ready', 'true');
    return;
  }
  const [pattern, load, title] = found;
  document.title = `${title} · lmx`;
  const page = await load();
  if (mine !== generation) return;
  fill(main);
  const url = new URL(location.href);
  url.matches = path.match(pattern).slice(1);
  try {
    const cleanup = await page.render(main, url);
    // A page left before it finished drawing is cleaned up at once.
    if (mine === generation) leave = cleanup || null;
    else if (cleanup) cleanup();
  } finally {
    if (mine === generation) document.body.setAttribute('data-ready', 'true');
  }
}

// Links within the app change the page without reloading it.
document.addEventListener('click', (event) => {
  const a = event.target.closest && event.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(a.href, location.href);
  // "Skip to content" and other links within the page stay the browser's.
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/sdmx/') || url.pathname.startsWith('/metrics')) return;
  event.preventDefault();
  navigate(url);
  document.getElementById('main').focus();
});
window.addEventListener('popstate', route);

// The session box: sign in with a token, kept for this browser session only.
function drawSession() {
  const box = document.getElementById('session');
  if (session.token) {
    fill(box, h('span', {}, 'Signed in with a token'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { session.signOut(); drawSession(); route(); } }, 'Sign out'));
    return;
  }
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', placeholder: 'lmx_…', 'aria-label': 'Token' });
  fill(box, h('form', { class: 'row', onsubmit: (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    session.signIn(input.value);
    drawSession();
    route();
  } }, h('label', { for: 'token', class: 'sr-only' }, 'Token'), input, h('button', { type: 'submit' }, 'Sign in')));
}

export async function describe() {
  if (!describe.cached) describe.cached = call('QueryService/Describe').catch((e) => { describe.cached = null; throw e; });
  return describe.cached;
}

async function start() {
  drawSession();
  describe().then((d) => {
    document.getElementById('node-info').textContent = `Node ${d.country}`;
  }).catch(() => { document.getElementById('node-info').textContent = 'Node'; });
  await route();
}
start();
