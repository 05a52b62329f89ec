// Hash routing (#/estate, #/requests/<id>?…): a static build needs no server-side routes, and
// links, Back and bookmarks just work. Navigating away stops the old view's timers.

import type { View, ViewCtx } from './views/common';

export interface Route {
  /** First path segment, e.g. 'requests'. */
  name: string;
  title: string;
  /** Which view for how many extra segments: [list, detail]. */
  views: [View, View?];
  nav?: boolean;
}

export interface Parsed {
  name: string;
  params: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Parsed {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = raw.split('?', 2);
  const segs = path.split('/').filter(Boolean).map((x) => {
    try {
      return decodeURIComponent(x);
    } catch {
      return x;
    }
  });
  return { name: segs[0] ?? '', params: segs.slice(1), query: new URLSearchParams(qs) };
}

/** A running view's timers and listeners, all dropped together on navigation. */
export class Lifetime {
  private alive = true;
  private readonly timers = new Set<number>();
  private readonly resizers: (() => void)[] = [];
  private lastWidth = window.innerWidth;
  private resizeTimer = 0;
  private readonly onWindowResize = (): void => {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = window.setTimeout(() => {
      if (window.innerWidth === this.lastWidth) return;
      this.lastWidth = window.innerWidth;
      for (const r of this.resizers) r();
    }, 150);
  };

  constructor() {
    window.addEventListener('resize', this.onWindowResize);
  }

  ctx(root: HTMLElement, p: Parsed, navigate: (hash: string) => void): ViewCtx {
    return {
      root,
      params: p.params,
      query: p.query,
      navigate,
      onResize: (fn) => void this.resizers.push(fn),
      every: (ms, fn) => {
        // Chained timeouts, not setInterval: a slow answer never stacks requests up.
        const tick = async (): Promise<void> => {
          if (!this.alive) return;
          try {
            if (!document.hidden) await fn();
          } catch {
            // The view renders its own errors; a sign-out has already left the page.
          } finally {
            if (this.alive) this.timers.add(window.setTimeout(() => void tick(), ms));
          }
        };
        void tick();
      },
    };
  }

  get isAlive(): boolean {
    return this.alive;
  }

  end(): void {
    this.alive = false;
    for (const t of this.timers) clearTimeout(t);
    clearTimeout(this.resizeTimer);
    window.removeEventListener('resize', this.onWindowResize);
  }
}
