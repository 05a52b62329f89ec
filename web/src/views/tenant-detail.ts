// One tenant: its limits and usage, its virtual keys (prefix only — the API never returns a
// key again), a form to create a key and a revoke button per key. A new key is shown exactly
// once, in a box the user dismisses; it is never stored anywhere by the dashboard.

import { ApiError, SignedOut, api, enc } from '../api';
import { h, replaceContent } from '../dom';
import type { ApiKey, Tenant } from '../types';
import { badge, empty, facts, failure, load, section, table, td, type View } from './common';
import { budgetCell, limitFields, modelsCell, rateCell, readLimits } from './limits';
import { when } from '../format';

function newKeyBox(key: ApiKey & { key: string }, onDismiss: () => void): HTMLElement {
  const code = h('code', { class: 'secret', 'data-new-key': '' }, key.key);
  const note = h('span', { class: 'small', role: 'status' });
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(key.key);
      note.textContent = 'Copied.';
    } catch {
      // No clipboard permission: select the text so Ctrl+C / ⌘C works.
      getSelection()?.selectAllChildren(code);
      note.textContent = 'Selected — press Ctrl+C to copy.';
    }
  };
  const box = h(
    'div',
    { class: 'secret-box', role: 'region', 'aria-labelledby': 'new-key-h', 'data-secret-box': '' },
    h('h2', { id: 'new-key-h', tabindex: '-1' }, `New key “${key.name}”`),
    h('p', {}, 'Copy it now: this is the only time it is shown. Treaty keeps only a hash.'),
    code,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => void copy() }, 'Copy key'), h('button', { type: 'button', class: 'secondary', 'data-dismiss': '', onclick: onDismiss }, 'Dismiss'), note),
  );
  return box;
}

export const tenantDetailView: View = async (ctx) => {
  const id = ctx.params[0]!;
  const base = `/admin/tenants/${enc(id)}`;
  const status = h('p', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  const secretSlot = h('div');
  const about = h('div', { 'data-tenant-detail': id }, h('p', { class: 'muted' }, 'Loading…'));
  const keys = h('div', { 'data-keys': '' });
  const form = h('form', { class: 'grid-form', 'data-create-key': '' }, h('div', { class: 'field' }, h('label', { for: 'k-name' }, 'Key name'), h('input', { id: 'k-name', name: 'name', required: true, autocomplete: 'off' })), limitFields('k'), h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create key')));
  ctx.root.append(h('p', {}, h('a', { href: '#/tenants' }, '← All tenants')), status, secretSlot, about, keys, section('Create a key', 'create-key', form));

  const act = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof SignedOut)) status.textContent = `Could not ${what}: ${err instanceof ApiError ? err.message : String(err)}`;
    }
    await refresh();
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    void act('create the key', async () => {
      const k = await api<ApiKey & { key: string }>(`${base}/keys`, { method: 'POST', body: { name: String(fd.get('name') ?? '').trim(), ...readLimits(fd) } });
      form.reset();
      status.textContent = '';
      replaceContent(secretSlot, newKeyBox(k, () => secretSlot.replaceChildren()));
      secretSlot.querySelector<HTMLElement>('h2')?.focus();
    });
  });

  const revoke = (k: ApiKey): void => {
    if (!confirm(`Revoke key “${k.name}” (${k.prefix})? Requests with it are refused at once.`)) return;
    void act('revoke the key', async () => {
      await api(`${base}/keys/${enc(k.id)}/revoke`, { method: 'POST' });
      status.textContent = `Key ${k.name} revoked.`;
    });
  };

  const keyRow = (k: ApiKey): HTMLTableRowElement =>
    h(
      'tr',
      { 'data-key': k.id, 'data-revoked': String(k.revokedAt !== null) },
      td(k.name, h('div', { class: 'small muted' }, h('code', {}, k.prefix))),
      td(when(k.createdAt, 'createdAt')),
      td(k.revokedAt === null ? badge('active', 'ok') : [badge('revoked', 'bad'), h('div', { class: 'small muted' }, when(k.revokedAt, 'revokedAt'))]),
      td(modelsCell(k)),
      td(rateCell(k)),
      td(budgetCell(k, k.usage)),
      td(k.revokedAt === null ? h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', 'aria-label': `Revoke key ${k.name}`, onclick: () => revoke(k) }, 'Revoke') : null),
    );

  const refresh = async (): Promise<void> => {
    const [t, ks] = await Promise.all([load<Tenant>(base), load<{ keys: ApiKey[] }>(`${base}/keys`)]);
    if (!t.ok) {
      replaceContent(about, t.error.notFound ? h('p', { class: 'note', 'data-not-found': '' }, t.error.message) : failure(t.error, base));
      keys.replaceChildren();
      form.closest('section')?.remove();
      return;
    }
    const x = t.data;
    replaceContent(
      about,
      section(
        x.name,
        'tenant-about',
        facts([
          ['Id', h('code', {}, x.id)],
          ['Traffic class', x.trafficClass ?? '—'],
          ['Tags', x.tags.length ? x.tags.join(', ') : '—'],
          ['Models', modelsCell(x)],
          ['Rate limits', rateCell(x)],
          ['Spend vs budget', budgetCell(x, x.usage)],
        ]),
      ),
    );
    replaceContent(
      keys,
      section(
        'Keys',
        'keys',
        !ks.ok
          ? failure(ks.error, `${base}/keys`)
          : ks.data.keys.length
            ? table('Keys', [{ label: 'Key' }, { label: 'Created' }, { label: 'Status' }, { label: 'Models' }, { label: 'Rate limits', num: true }, { label: 'Spend vs budget', num: true }, { label: 'Action' }], ks.data.keys.map(keyRow), 'keys')
            : empty('No keys yet.'),
      ),
    );
  };
  await refresh();
};
