// Transpiles a source tree (src/ and bench/) to plain JavaScript with TypeScript's
// transpileModule (no type check, so a tree mid-change still runs), the way `npm run build`
// would emit it. The benchmark runs every process from that output with plain `node`: the
// tsx loader keeps function names with a helper call at every closure creation and installs
// source-map support, which a production gateway does not pay.

import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: true,
  esModuleInterop: true,
  sourceMap: false,
};

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'results' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

/**
 * Writes `<outDir>/<dir>/…` for each of `dirs` under `root` (.ts → .js, .json/.mjs copied),
 * plus package.json (for "type": "module") and a node_modules link back to the project.
 */
export function transpileTree(root: string, dirs: string[], outDir: string, modules: string): number {
  let count = 0;
  for (const d of dirs) {
    const files: string[] = [];
    walk(join(root, d), files);
    for (const file of files) {
      if (file.endsWith('.test.ts')) continue;
      const rel = relative(root, file);
      const target = join(outDir, rel);
      mkdirSync(dirname(target), { recursive: true });
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) {
        const out = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: OPTIONS, fileName: file, reportDiagnostics: true });
        // Syntax errors only (no type check): transpileModule emits *something* for a file that
        // does not parse (an `else` orphaned by an inserted line became a block that always ran,
        // so an instrumented tree sent every upstream request twice), and a benchmark of that is
        // worse than none.
        const bad = out.diagnostics?.filter((d) => d.category === ts.DiagnosticCategory.Error) ?? [];
        if (bad.length) {
          const d = bad[0]!;
          const at = d.file && d.start !== undefined ? `:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
          throw new Error(`${rel}${at} does not parse: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
        }
        const js = out.outputText;
        writeFileSync(target.replace(/\.ts$/, '.js'), js);
        count++;
      } else if (/\.(json|mjs|sql|yaml)$/.test(file)) {
        copyFileSync(file, target);
      }
    }
  }
  copyFileSync(join(root, 'package.json'), join(outDir, 'package.json'));
  if (!existsSync(join(outDir, 'node_modules'))) symlinkSync(modules, join(outDir, 'node_modules'), 'dir');
  return count;
}
