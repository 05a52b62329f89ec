// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, inclusive
// time of Treaty's own functions, and self time by area (Treaty, undici, node internals, GC).
// Standalone: node --import tsx bench/profile.ts <file.cpuprofile> [root]

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The main thread's profile among those `--cpu-prof` wrote to `dir`. Treaty's worker threads
 * (WAL checkpointer, read worker) each write their own, named CPU.<date>.<time>.<pid>.<thread>.<seq>,
 * the main thread's thread number being 0, and a directory lists them in no set order.
 */
export function mainThreadProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)) ?? files[0];
  return main === undefined ? undefined : join(dir, main);
}

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FnTime {
  key: string;
  fn: string;
  where: string;
  area: string;
  selfMs: number;
  totalMs: number;
}

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'V8/native (program)';
  if (url.startsWith('wasm://')) return 'wasm (undici\'s llhttp parser)';
  if (!url) return 'native/builtins';
  if (url.includes('/node_modules/undici/')) return 'undici';
  if (url.includes('/node_modules/better-sqlite3/') || url.includes('/node_modules/kysely/')) return 'SQLite driver';
  if (url.includes('/node_modules/')) return 'other dependencies';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/')) return 'Treaty (src)';
  return 'other';
}

/** A time window in µs on CLOCK_MONOTONIC (V8's profile clock; process.hrtime's too). */
export interface Window {
  fromUs: number;
  toUs: number;
}

export function analyse(profile: CpuProfile, root: string, window?: Window, extraRoots: string[] = []): { fns: FnTime[]; areas: Map<string, number>; totalMs: number; busyMs: number } {
  const byId = new Map(profile.nodes.map((nd) => [nd.id, nd]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window.fromUs || t > window.toUs)) return;
    self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });
  const prefixes = [root, ...extraRoots].map((r) => `${pathToFileURL(r).href}/`);
  const short = (url: string): string => {
    for (const p of prefixes) if (url.startsWith(p)) return url.slice(p.length);
    return url.replace('file://', '');
  };
  const keyOf = (cf: CallFrame): { key: string; fn: string; where: string } => {
    const fn = cf.functionName || '(anonymous)';
    const where = cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : '';
    return { key: `${fn} ${where}`, fn, where };
  };
  const fns = new Map<string, FnTime>();
  const get = (nd: ProfileNode): FnTime => {
    const k = keyOf(nd.callFrame);
    let f = fns.get(k.key);
    if (!f) {
      f = { ...k, area: area(nd.callFrame.url, nd.callFrame.functionName), selfMs: 0, totalMs: 0 };
      fns.set(k.key, f);
    }
    return f;
  };
  // Inclusive time: each node's self time is added once to every distinct function on its stack.
  const walk = (id: number, stack: FnTime[]): void => {
    const nd = byId.get(id)!;
    const f = get(nd);
    const ms = self.get(id) ?? 0;
    f.selfMs += ms;
    const onStack = stack.includes(f);
    const next = onStack ? stack : [...stack, f];
    for (const g of next) g.totalMs += ms;
    for (const c of nd.children ?? []) walk(c, next);
  };
  const rootNode = profile.nodes[0]!;
  walk(rootNode.id, []);
  const all = [...fns.values()];
  const areas = new Map<string, number>();
  for (const f of all) areas.set(f.area, (areas.get(f.area) ?? 0) + f.selfMs);
  const totalMs = window ? (Math.min(window.toUs, profile.endTime) - Math.max(window.fromUs, profile.startTime)) / 1000 : (profile.endTime - profile.startTime) / 1000;
  const busyMs = all.filter((f) => f.fn !== '(idle)' && f.fn !== '(root)').reduce((s, f) => s + f.selfMs, 0);
  return { fns: all, areas, totalMs, busyMs };
}

/** `what` names the window's load in the title ("saturation", "streaming"). */
export function profileMarkdown(file: string, root: string, context: string, window?: Window, extraRoots: string[] = [], what = 'saturation'): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { fns, areas, totalMs, busyMs } = analyse(profile, root, window, extraRoots);
  const pct = (ms: number): string => `${((100 * ms) / busyMs).toFixed(1)} %`;
  const L: string[] = [`# Treaty CPU profile under ${what}`, '', context, ''];
  L.push(`Profile${window ? ` (the ${what} window only: start-up and warm-up excluded)` : ''}: ${totalMs.toFixed(0)} ms wall, ${busyMs.toFixed(0)} ms on CPU (percentages are of on-CPU time).`, '');
  L.push('## Self time by area', '', '| area | self ms | share |', '|---|---|---|');
  for (const [a, ms] of [...areas.entries()].filter(([a]) => a !== 'idle').sort((x, y) => y[1] - x[1])) L.push(`| ${a} | ${ms.toFixed(0)} | ${pct(ms)} |`);
  L.push('', '## Top 30 functions by self time', '', '| # | function | where | area | self ms | share |', '|---|---|---|---|---|---|');
  fns
    .filter((f) => f.fn !== '(idle)' && f.fn !== '(root)')
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, 30)
    .forEach((f, i) => L.push(`| ${i + 1} | \`${f.fn}\` | ${f.where || '–'} | ${f.area} | ${f.selfMs.toFixed(1)} | ${pct(f.selfMs)} |`));
  L.push('', '## Treaty functions by inclusive time (top 25)', '', '| # | function | where | inclusive ms | share | self ms |', '|---|---|---|---|---|---|');
  fns
    .filter((f) => f.area === 'Treaty (src)')
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, 25)
    .forEach((f, i) => L.push(`| ${i + 1} | \`${f.fn}\` | ${f.where} | ${f.totalMs.toFixed(1)} | ${pct(f.totalMs)} | ${f.selfMs.toFixed(1)} |`));
  L.push('');
  return L.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, root = process.cwd()] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node --import tsx bench/profile.ts <file.cpuprofile> [root]');
    process.exit(2);
  }
  console.log(profileMarkdown(file, root, `From ${file}.`));
}
