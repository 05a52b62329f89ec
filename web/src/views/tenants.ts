// Tenants: who uses the gateway, their limits and budgets, and what they have spent against
// them; a form to create one. Keys are managed on each tenant's page.

import { ApiError, SignedOut, api } from '../api';
import { h, replaceContent } from '../dom';
import type { Tenant } from '../types';
import { empty, failure, load, section, table, td, type View } from './common';
import { budgetCell, limitFields, list, modelsCell, rateCell, readLimits } from './limits';

const PATH = '/admin/tenants';

export const tenantsView: View = async (ctx) => {
  const region = h('div', { 'data-tenants': '' }, h('p', { class: 'muted' }, 'Loading…'));
  const status = h('p', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'grid-form', 'data-create-tenant': '' },
    h('div', { class: 'field' }, h('label', { for: 't-name' }, 'Name'), h('input', { id: 't-name', name: 'name', required: true, autocomplete: 'off' })),
    h('div', { class: 'field' }, h('label', { for: 't-trafficClass' }, 'Traffic class'), h('input', { id: 't-trafficClass', name: 'trafficClass', autocomplete: 'off', placeholder: 'e.g. enterprise' })),
    h('div', { class: 'field' }, h('label', { for: 't-tags' }, 'Tags'), h('input', { id: 't-tags', name: 'tags', autocomplete: 'off', placeholder: 'comma-separated' })),
    limitFields('t'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create tenant')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body: Record<string, unknown> = { name: String(fd.get('name') ?? '').trim(), ...readLimits(fd) };
    const cls = String(fd.get('trafficClass') ?? '').trim();
    if (cls) body.trafficClass = cls;
    const tags = list(fd.get('tags'));
    if (tags.length) body.tags = tags;
    void (async () => {
      try {
        const t = await api<Tenant>(PATH, { method: 'POST', body });
        form.reset();
        status.textContent = `Tenant ${t.name} created.`;
        await refresh();
      } catch (err) {
        if (!(err instanceof SignedOut)) status.textContent = `Could not create the tenant: ${err instanceof ApiError ? err.message : String(err)}`;
      }
    })();
  });
  ctx.root.append(status, region, section('Create a tenant', 'create-tenant', form));

  const refresh = async (): Promise<void> => {
    const r = await load<{ tenants: Tenant[] }>(PATH);
    if (!r.ok) {
      replaceContent(region, failure(r.error, PATH));
      if (r.error.notFound) form.closest('section')?.remove();
      return;
    }
    const rows = r.data.tenants.map((t) =>
      h(
        'tr',
        { 'data-tenant': t.id },
        td(h('a', { href: `#/tenants/${encodeURIComponent(t.id)}` }, t.name), h('div', { class: 'small muted' }, t.id)),
        td(t.trafficClass ?? '—', t.tags.length ? h('div', { class: 'small muted' }, t.tags.join(', ')) : null),
        td(modelsCell(t)),
        td(rateCell(t)),
        td(budgetCell(t, t.usage)),
      ),
    );
    replaceContent(
      region,
      section('Tenants', 'tenant-list', rows.length ? table('Tenants', [{ label: 'Tenant' }, { label: 'Class / tags' }, { label: 'Models' }, { label: 'Rate limits', num: true }, { label: 'Spend vs budget', num: true }], rows, 'tenants') : empty('No tenants yet.')),
    );
  };
  await refresh();
};
