// The login screen. A key is tested against the admin API before it is kept, so a wrong key
// is reported here and never stored; the field is a password input and is cleared either way.

import { call } from './api';
import { h } from './dom';
import { loginNotice, session } from './session';

export function renderLogin(app: HTMLElement, onSignedIn: () => void): void {
  document.title = 'Sign in · Treaty';
  const input = h('input', { id: 'admin-key', name: 'admin-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'login-help login-error' });
  const error = h('p', { id: 'login-error', class: 'error-text', role: 'alert', 'data-login-error': '' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const notice = loginNotice.take();

  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    const key = input.value.trim();
    input.value = '';
    if (!key) {
      error.textContent = 'Enter the admin key.';
      return;
    }
    button.disabled = true;
    error.textContent = '';
    try {
      // Any admin route would do; the estate is the one every build has.
      const res = await call('/admin/estate', key);
      if (res.status === 401 || res.status === 403) error.textContent = 'That key was not accepted. Use the admin key (not a tenant key).';
      else if (!res.ok) error.textContent = `The admin API answered HTTP ${res.status}.`;
      else {
        session.set(key);
        onSignedIn();
        return;
      }
    } catch {
      error.textContent = 'Cannot reach the admin API. Is the gateway running with admin.key set?';
    } finally {
      button.disabled = false;
    }
    input.focus();
  };

  app.replaceChildren(
    h(
      'main',
      { class: 'login', id: 'main' },
      h(
        'form',
        { class: 'panel', onsubmit: (ev) => void submit(ev), 'aria-labelledby': 'login-h', 'data-login': '' },
        h('h1', { id: 'login-h' }, 'Treaty'),
        h('p', { id: 'login-help', class: 'muted' }, 'Sign in with the admin key (admin.key in treaty.yaml; npm start prints it). It is kept for this tab only.'),
        notice ? h('p', { class: 'note', role: 'status' }, notice) : null,
        h('label', { for: 'admin-key' }, 'Admin key'),
        input,
        error,
        button,
      ),
    ),
  );
  input.focus();
}
