// bench/transpile.ts builds the JavaScript every benchmark process runs. It does not type-check
// (a tree mid-change must still run), but a tree that does not parse must stop the run: the
// transpiler emits code for it anyway, and that code can do something else entirely.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { transpileTree } from '../bench/transpile.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): { root: string; out: string } {
  const root = mkdtempSync(join(tmpdir(), 'treaty-transpile-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  return { root, out: join(root, 'build') };
}

describe('bench transpile', () => {
  it('emits JavaScript for a tree that parses, type errors and all', () => {
    const { root, out } = tree({ 'src/a.ts': 'export const n: number = "not a number" as unknown as number;\nexport type T = { a: string };\n' });
    expect(transpileTree(root, ['src'], out, resolve('node_modules'))).toBe(1);
    expect(readFileSync(join(out, 'src/a.js'), 'utf8')).toContain('export const n = "not a number";');
  });

  it('refuses a file that does not parse, naming it and the line', () => {
    // An `else` cut off from its `if` by an inserted line: emitted as a block that always runs.
    const { root, out } = tree({ 'src/ok.ts': 'export const x = 1;\n', 'src/sub/bad.ts': 'export function f(a: boolean, w: (s: string) => void): void {\n  if (a) w("one");\n  w("marker");\n  else {\n    w("two");\n  }\n}\n' });
    expect(() => transpileTree(root, ['src'], out, resolve('node_modules'))).toThrow(/src\/sub\/bad\.ts:4 does not parse/);
  });
});
