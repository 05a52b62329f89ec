// bench/ttft-breakdown.ts measures a marked copy of the tree. Its marks sit at anchors in
// today's code; when the code changes under one, the tool must stop and say where rather than
// measure a copy that is missing a stage. This keeps the anchors in step with the tree.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { transpileTree } from '../bench/transpile.js';
import { applyEdits, markedCopy, PROXY_EDITS, TREATY_EDITS } from '../bench/ttft-marks.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'treaty-ttft-marks-'));
  dirs.push(d);
  return d;
};

describe('ttft-breakdown marks', () => {
  it('finds every anchor once in this tree, and the marked copy builds with each stage in it', () => {
    const dest = join(scratch(), 'marked');
    markedCopy(resolve('.'), dest);
    const out = join(dest, '..', 'build');
    transpileTree(dest, ['src', 'bench'], out, resolve('node_modules'));
    const js = (rel: string): string => readFileSync(join(out, rel.replace(/\.ts$/, '.js')), 'utf8');
    for (const stage of ['handler', 'key checked', 'body read', 'admitted', 'contracts routed', 'journal write()', 'write-ahead row journaled', 'upstream request written', 'first token decoded', 'chat returned to route']) {
      expect(TREATY_EDITS.some((e) => js(e.file).includes(`'${stage}'`))).toBe(true);
    }
    expect(js('src/http/routes.ts')).toContain("headers['x-ttft-marks']");
    expect(js(PROXY_EDITS[0]!.file)).toContain('x-ttft-proxy');
  });

  it('stops, naming the file, when an anchor is gone or appears twice', () => {
    const root = scratch();
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src/a.ts'), 'const a = 1;\nconst a2 = 1;\n');
    expect(() => applyEdits(root, [{ file: 'src/a.ts', anchor: 'const b = 1;', at: 'after', code: '' }])).toThrow(/not in src\/a\.ts/);
    expect(() => applyEdits(root, [{ file: 'src/a.ts', anchor: ' = 1;', at: 'after', code: '' }])).toThrow(/not once in src\/a\.ts/);
    applyEdits(root, [{ file: 'src/a.ts', anchor: 'const a2 = 1;\n', at: 'before', code: 'mark();\n' }]);
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).toBe('const a = 1;\nmark();\nconst a2 = 1;\n');
  });
});
