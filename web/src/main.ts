// Entry: the login screen until there is an admin key in this tab, then the dashboard. Any
// 401/403 from the API drops the key and comes back here.

import './style.css';
import { onSignedOut } from './api';
import { renderLogin } from './login';
import { session } from './session';
import { startShell, stopShell } from './shell';

const app = document.getElementById('app')!;
// Several requests can fail with 401 at once; the login screen is drawn only once.
let onLogin = false;

function showLogin(): void {
  if (onLogin) return;
  onLogin = true;
  stopShell();
  renderLogin(app, boot);
}

function boot(): void {
  if (session.key()) {
    onLogin = false;
    startShell(app, () => {
      session.clear();
      showLogin();
    });
  } else showLogin();
}

onSignedOut(showLogin);
boot();
