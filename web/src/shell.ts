// The signed-in frame: header, navigation, and the routed view. Each navigation gets a fresh
// Lifetime (timers, resize listeners) and moves focus to the new heading for screen readers.

import { h } from './dom';
import { Lifetime, parseHash, type Route } from './router';
import { contractsView } from './views/contracts';
import { estateView } from './views/estate';
import { requestDetailView } from './views/request-detail';
import { requestsView } from './views/requests';
import { tenantDetailView } from './views/tenant-detail';
import { tenantsView } from './views/tenants';
import { trafficView } from './views/traffic';
import { simulationDetailView, simulationsView } from './views/simulations';

const ROUTES: Route[] = [
  { name: 'estate', title: 'Estate', views: [estateView], nav: true },
  { name: 'traffic', title: 'Traffic', views: [trafficView], nav: true },
  { name: 'contracts', title: 'Contracts', views: [contractsView], nav: true },
  { name: 'requests', title: 'Requests', views: [requestsView, requestDetailView], nav: true },
  { name: 'tenants', title: 'Tenants & keys', views: [tenantsView, tenantDetailView], nav: true },
  { name: 'simulations', title: 'Simulations', views: [simulationsView, simulationDetailView], nav: true },
];

let current: Lifetime | null = null;
let onHash: (() => void) | null = null;

export function stopShell(): void {
  current?.end();
  current = null;
  if (onHash) window.removeEventListener('hashchange', onHash);
  onHash = null;
}

export function startShell(app: HTMLElement, onSignOut: () => void): void {
  stopShell();
  const nav = h('nav', { 'aria-label': 'Views' }, h('ul', {}, ROUTES.filter((r) => r.nav).map((r) => h('li', {}, h('a', { href: `#/${r.name}`, 'data-nav': r.name }, r.title)))));
  const heading = h('h1', { tabindex: '-1' });
  const viewRoot = h('div', { class: 'view' });
  const signOut = h('button', { type: 'button', class: 'secondary', 'data-sign-out': '', onclick: onSignOut }, 'Sign out');
  // The skip link moves focus by script: as a plain #main link it would change the hash route.
  const skip = h('a', { class: 'skip', href: '#main', onclick: (ev) => { ev.preventDefault(); heading.focus(); } }, 'Skip to content');
  app.replaceChildren(
    skip,
    h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/estate' }, 'Treaty'), nav, signOut),
    h('main', { id: 'main', tabindex: '-1' }, heading, viewRoot),
  );

  const navigate = (hash: string): void => {
    if (location.hash === hash) route(false);
    else location.hash = hash;
  };

  const route = (moveFocus: boolean): void => {
    const parsed = parseHash(location.hash);
    if (!parsed.name) {
      history.replaceState(null, '', '#/estate');
      parsed.name = 'estate';
    }
    const r = ROUTES.find((x) => x.name === parsed.name);
    current?.end();
    current = new Lifetime();
    for (const a of nav.querySelectorAll<HTMLAnchorElement>('a')) {
      if (a.dataset.nav === r?.name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const view = r ? (parsed.params.length ? r.views[1] : r.views[0]) : undefined;
    const title = r ? (parsed.params.length && view ? `${r.title}: ${parsed.params.join(' / ')}` : r.title) : 'Not found';
    heading.textContent = title;
    document.title = `${title} · Treaty`;
    viewRoot.replaceChildren();
    viewRoot.dataset.view = view && r ? (parsed.params.length ? `${r.name}-detail` : r.name) : 'not-found';
    if (!view) viewRoot.append(h('p', { class: 'note' }, 'There is no such page. ', h('a', { href: '#/estate' }, 'Go to the estate.')));
    else void view(current.ctx(viewRoot, parsed, navigate));
    if (moveFocus) heading.focus();
  };

  onHash = () => route(true);
  window.addEventListener('hashchange', onHash);
  route(false);
}
