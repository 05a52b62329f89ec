// The bench's profile readers take the main thread's profile: Treaty's worker threads write
// their own beside it, and a directory lists files in no set order.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mainThreadProfile } from '../bench/profile.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('bench: which --cpu-prof file is the main thread', () => {
  it('picks thread 0 whatever else is there, and nothing from an empty directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-prof-'));
    expect(mainThreadProfile(dir)).toBeUndefined();
    for (const f of ['CPU.20261201.135551.16466.2.003.cpuprofile', 'CPU.20261201.135551.16466.1.002.cpuprofile', 'notes.txt', 'CPU.20261201.135551.16466.0.001.cpuprofile']) writeFileSync(join(dir, f), '{}');
    expect(mainThreadProfile(dir)).toBe(join(dir, 'CPU.20261201.135551.16466.0.001.cpuprofile'));
  });
});
