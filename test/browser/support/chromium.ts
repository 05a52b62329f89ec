// Debian's Chromium driven by playwright-core. Without /usr/bin/chromium the browser tests
// skip with a message on a developer machine, and fail under CI=true, where a missing browser
// is a broken environment rather than a choice.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
/** Run the browser suites: always under CI (so a missing browser fails), else only if installed. */
export const runBrowserTests = present || process.env.CI === 'true';

if (!present) {
  console.warn(
    process.env.CI === 'true'
      ? `browser tests: ${CHROMIUM} is missing under CI — install it (apt-get install -y chromium); these tests will fail.`
      : `browser tests skipped: ${CHROMIUM} is missing (apt-get update && apt-get install -y chromium to run them).`,
  );
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile per launch (mkdtemp): no state leaks between runs or test files. */
export async function launchChromium(): Promise<Browser> {
  if (!present) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
  const profile = await mkdtemp(join(tmpdir(), 'treaty-chromium-'));
  // playwright passes the profile as --user-data-dir; it refuses that flag in args.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
