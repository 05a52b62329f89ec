// One dashboard session for a test file: build the app, start the demo stack (or any admin
// URL), serve the app in front of it, launch Chromium; plus the steps every test needs —
// open a view signed in, wait for fresh data, take screenshots at desktop and phone width.
// Code that runs in the page is written without DOM type names (the root tsconfig is Node-only):
// element callbacks get untyped elements, and a few checks are plain expression strings.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchChromium, type Browser } from './chromium.js';
import { buildDashboard, serveDashboard } from './web-server.js';

export const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/screenshots', import.meta.url));
export const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

export interface Dashboard {
  url: string;
  browser: Browser;
  /** A new page at desktop width, signed in with `key` (sessionStorage), on `hash`. */
  open(hash: string, key: string | null): Promise<Page>;
  close(): Promise<void>;
}

export async function startDashboard(adminUrl: string): Promise<Dashboard> {
  const built = await buildDashboard();
  const web = await serveDashboard(built.dir, adminUrl);
  const browser = await launchChromium();
  return {
    url: web.url,
    browser,
    open: async (hash, key) => {
      const page = await browser.context.newPage();
      page.on('pageerror', (err) => console.error('page error:', err.message));
      if (key !== null) await page.addInitScript({ content: `sessionStorage.setItem('treaty.adminKey', ${JSON.stringify(key)})` });
      await page.goto(`${web.url}${hash}`);
      return page;
    },
    close: async () => {
      await browser.close();
      await web.close();
      await built.remove();
    },
  };
}

/** Click the view's Refresh button and wait until it shows data newer than before. */
export async function refreshView(page: Page, selector: string): Promise<number> {
  const before = Number(await page.getAttribute(selector, 'data-now'));
  await page.click(`${selector} button:has-text("Refresh")`);
  return newerData(page, selector, before);
}

/**
 * Wait until the view shows data newer than `before` (its data-now). Polled from the test
 * side: the page's CSP forbids eval, which string predicates in waitForFunction would need.
 */
export async function newerData(page: Page, selector: string, before: number, timeout = 5000): Promise<number> {
  let now = before;
  await expect.poll(async () => (now = Number(await page.getAttribute(selector, 'data-now'))), { timeout, interval: 100 }).toBeGreaterThan(before);
  return now;
}

/** Numbers in data-value attributes under `root`, by data-field. */
export async function figures(page: Page, root: string): Promise<Record<string, number | null>> {
  return page.$eval(root, (el) => {
    const out: Record<string, number | null> = {};
    for (const f of el.querySelectorAll('[data-field][data-value]')) out[f.dataset.field!] = f.dataset.value === 'null' ? null : Number(f.dataset.value);
    return out;
  });
}

/** Full-page screenshots at 1280 and 390 px into test-results/screenshots/<name>-<width>.png. */
export async function screenshots(page: Page, name: string, ready: string): Promise<string[]> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const files: string[] = [];
  for (const size of Object.values(WIDTHS)) {
    await page.setViewportSize(size);
    // Charts redraw for the new width after a short debounce.
    await page.waitForTimeout(400);
    await page.waitForSelector(ready);
    const file = join(SCREENSHOTS, `${name}-${size.width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  await page.setViewportSize(WIDTHS.desktop);
  return files;
}

/** True when the page's main content is wider than the viewport (sideways scrolling). */
export async function overflowsSideways(page: Page): Promise<boolean> {
  return inPage<boolean>(page, 'document.documentElement.scrollWidth > window.innerWidth + 1');
}

/** Evaluate a JavaScript expression in the page (over CDP, so the page's no-eval CSP does not apply). */
export const inPage = <T>(page: Page, expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
/** The admin key the app holds for this tab, if any. */
export const storedKey = (page: Page): Promise<string | null> => inPage(page, "sessionStorage.getItem('treaty.adminKey')");
