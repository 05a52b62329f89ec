// The only way the dashboard talks to Treaty: same-origin /admin/… with the admin key as a
// Bearer token. In production the admin listener serves this app, so there is no API URL to
// configure and no CORS; in development Vite proxies /admin.

import { loginNotice, session } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  /** 404 on a route: this gateway build does not have the endpoint (yet). */
  get notFound(): boolean {
    return this.status === 404;
  }
}

/** Thrown after a 401/403: the app has already gone back to the login screen. */
export class SignedOut extends ApiError {}

type Listener = () => void;
const signedOutListeners: Listener[] = [];
export const onSignedOut = (l: Listener): void => void signedOutListeners.push(l);

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // Not JSON (a proxy's error page): fall through to the status line.
  }
  return `HTTP ${res.status} ${res.statusText}`.trim();
}

/** A raw call with an explicit key — the login screen uses it to test a key before keeping it. */
export async function call(path: string, key: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  headers.set('accept', 'application/json');
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  // credentials 'omit': the key is the only credential; redirect 'error': never follow a
  // redirect that could carry the Authorization header somewhere else.
  return fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store', redirect: 'error' });
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const key = session.key();
  if (!key) {
    for (const l of signedOutListeners) l();
    throw new SignedOut(401, 'Not signed in.');
  }
  let res: Response;
  try {
    res = await call(path, key, { method: init.method ?? 'GET', ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  } catch {
    throw new ApiError(0, 'Cannot reach the admin API. Is the gateway running?');
  }
  if (res.status === 401 || res.status === 403) {
    session.clear();
    loginNotice.set('Your session ended: the admin key was not accepted. Sign in again.');
    for (const l of signedOutListeners) l();
    throw new SignedOut(res.status, await errorMessage(res));
  }
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  return (await res.json()) as T;
}

/** A path with query parameters, skipping empty ones. */
export function withQuery(path: string, q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const qs = p.toString();
  return qs ? `${path}?${qs}` : path;
}

export const enc = encodeURIComponent;
