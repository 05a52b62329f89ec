// bench/variants.yaml as run.ts and ab.ts read it: each variant's overlay, and node flags only
// where a variant replaces the bin's.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBenchVariants } from '../bench/variants.js';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

describe('bench variants file', () => {
  it("reads the repository's variants: overlays, and the flag-less launch only where asked", () => {
    const { variants } = readBenchVariants(join(import.meta.dirname, '../bench/variants.yaml'));
    const by = new Map(variants.map((v) => [v.name, v]));
    expect(by.get('ledger-off')?.overlay).toMatch(/recordAttempts: false/);
    expect(by.get('ledger-off')?.nodeArgs).toBeUndefined();
    expect(by.get('young-gen-default')?.nodeArgs).toEqual([]);
  });

  it('gives a base and node flags as written, and nothing for a missing file', () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-variants-'));
    const file = join(dir, 'v.yaml');
    writeFileSync(file, "base: |\n  logging:\n    level: warn\nvariants:\n  - name: big-young\n    nodeArgs: '--max-semi-space-size=64  --single-threaded-gc'\n");
    expect(readBenchVariants(file)).toEqual({ base: 'logging:\n  level: warn\n', variants: [{ name: 'big-young', overlay: '', nodeArgs: ['--max-semi-space-size=64', '--single-threaded-gc'] }] });
    expect(readBenchVariants(join(dir, 'absent.yaml'))).toEqual({ base: '', variants: [] });
  });
});
