// A/B of Treaty's CPU per request: two or more source trees (e.g. a snapshot of HEAD and the
// working tree) started side by side on the bench config, saturated in alternation for several
// rounds, CPU µs per request reported as medians. On a shared machine only interleaved runs
// compare; figures taken minutes apart do not. Nor, on these VMs, do two processes in fixed
// positions: --mirror runs each tree twice (A, B, B, A) so the position cancels out
// (bench/ab-compare.ts says what was measured). Every tree is compared with the first, round by
// round: the median and geometric mean of the ratios, and the rounds it read lower.
// --together loads every tree at the same time instead of in turn (each its own closed loop,
// all sharing core 1), so a change in the host's speed during a round hits every tree alike:
// on a VM whose speed swings by 2x within minutes, the only pairing that holds.
//
//   node --import tsx bench/ab.ts --roots /tmp/treaty-base,. [--rounds 6] [--sat-ms 2000] [--mirror]
//   node --import tsx bench/ab.ts --roots @proxy,. --mirror   # the bench's pass-through proxy beside Treaty (in turn: --together reads Treaty low, see docs/performance.md)
//   node --import tsx bench/ab.ts --roots . --alloc      # where a request's allocations come from
//
// --alloc samples allocations (young garbage included, bench/alloc-sampler.mjs) in the first
// root's process during one saturation phase and prints the top allocation sites, in bytes
// per request. Take /tmp/treaty-bench.lock around it like any benchmark run.

import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareTrees, launchOrder, parseTreeSpec } from './ab-compare.js';
import { closedLoop, openLoop, streamLoop, type Endpoint } from './load.js';
import { Isolation, spawnNode, type Proc } from './processes.js';
import { chatBody, CLIENT_KEY, treatyLaunchFlags, UPSTREAM_KEY } from './setup.js';
import { transpileTree } from './transpile.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';
import { readBenchVariants } from './variants.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    roots: { type: 'string', default: ROOT },
    rounds: { type: 'string', default: '6' },
    'sat-ms': { type: 'string', default: '2000' },
    'warm-ms': { type: 'string', default: '3000' },
    overlay: { type: 'string', default: '' },
    alloc: { type: 'boolean', default: false },
    /** Measure CPU per streamed chunk (the bench's streaming phase on the realistic deployment) instead of saturation. */
    stream: { type: 'boolean', default: false },
    /**
     * Measure the p99 (ms, from the scheduled send) of an open loop at this many requests/s
     * instead of saturation; each measurement is preceded by --presat-ms of saturation, so every
     * tree is measured in the state the bench's open-loop phase finds it (WAL and heap grown).
     */
    'open-loop': { type: 'string', default: '' },
    'presat-ms': { type: 'string', default: '0' },
    top: { type: 'string', default: '40' },
    keep: { type: 'boolean', default: false },
    /** Launch every tree twice, mirrored (A, B, B, A): without it, a process's position alone moved readings by 3-10 %. */
    mirror: { type: 'boolean', default: false },
    /** Saturate every tree at once (each with its own closed loop of --concurrency) rather than one after another. */
    together: { type: 'boolean', default: false },
    /**
     * In turn, stop (SIGSTOP) every other tree's process while one is measured, and give the
     * measured one a moment after it is resumed. Idle trees are not silent neighbours on core 1,
     * and how noisy they are differs by tree (an idle Treaty woke ~125 times a second before the
     * nineteenth session, ~9 after), which read as a difference between the trees.
     */
    isolate: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '64' },
    /** --alloc: for these allocating functions (e.g. sort,Map), which Treaty functions call them. */
    who: { type: 'string', default: '' },
  },
});

const log = (msg: string): void => console.log(`[ab ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<void> {
  const { tmp, modules, benchBuild, emu, upstream } = await startBenchRig('treaty-ab-', { keep: opt.keep });
  if (opt.keep) log(`keeping ${tmp}`);
  const procs: Proc[] = [emu];
  // A root may carry node flags after a '+', e.g. `.+--max-semi-space-size=64` (same code, tuned V8),
  // and a variant of bench/variants.yaml after an '@', e.g. `.@ledger-off` (what a switch costs).
  // Every Treaty is launched as its bin is (the shebang's flags) unless its variant says otherwise.
  const variants = new Map(readBenchVariants(join(ROOT, 'bench/variants.yaml')).variants.map((v) => [v.name, v]));
  const specs = launchOrder(opt.roots.split(',').map((r) => r.trim()), opt.mirror).map((tree) => {
    if (tree === '@proxy') return { tree, root: '', flags: [], variant: undefined, overlay: '', tenant: undefined };
    const { dir, flags: extra, variant } = parseTreeSpec(tree);
    const root = resolve(dir);
    const v = variant === undefined ? undefined : variants.get(variant);
    if (variant !== undefined && !v) throw new Error(`--roots: no variant '${variant}' in bench/variants.yaml (have: ${[...variants.keys()].join(', ')})`);
    const flags = [...(v?.nodeArgs ?? treatyLaunchFlags(root)), ...extra];
    return { tree, root, flags, variant, overlay: v?.overlay ?? '', tenant: v?.tenant };
  });
  const eps: { label: string; tree: string; ep: Endpoint; proc: Proc; profile?: string }[] = [];
  for (const [i, { tree, root, flags, variant, overlay, tenant }] of specs.entries()) {
    if (tree === '@proxy') {
      // The bench's pass-through proxy as a tree. Loaded --together with Treaty, sharing the core
      // raised Treaty's cost a request more than the proxy's (the caches: docs/performance.md),
      // so that pairing reads Treaty's capacity low; in turn it reads as the bench does.
      const label = `${i}:proxy`;
      const proc = await spawnNode({ name: label, cpu: '1', cwd: ROOT, nodeArgs: [join(benchBuild, 'bench/passthrough-proxy.js'), upstream, '0', UPSTREAM_KEY], logFile: join(tmp, `proxy-${i}.log`), hello: true });
      procs.push(proc);
      eps.push({ label, tree, proc, ep: { name: label, origin: `http://127.0.0.1:${String(proc.hello!.port)}`, path: '/v1/chat/completions', headers: { authorization: `Bearer ${CLIENT_KEY}` }, pid: proc.pid } });
      continue;
    }
    const build = join(tmp, `treaty-${i}`);
    transpileTree(root, ['src'], build, modules);
    const dir = join(tmp, `run-${i}`);
    const profile = opt.alloc && i === 0 ? join(dir, 'allocs.heapprofile') : undefined;
    const pre = profile ? ['--import', join(ROOT, 'bench/alloc-sampler.mjs')] : [];
    const label = `${i}:${basename(root)}${variant === undefined ? '' : `@${variant}`}${flags.length ? ` ${flags.join(' ')}` : ''}`;
    const t = await startBenchTreaty({ name: label, build, dir, upstream, overlays: [opt.overlay, overlay], nodeArgs: [...flags, ...pre], ...(profile ? { env: { TREATY_ALLOC_PROFILE: profile } } : {}), ...(tenant ? { tenant } : {}) });
    procs.push(t.proc);
    eps.push({ label, tree, proc: t.proc, profile, ep: t.ep });
  }
  const body = chatBody('bench-fast', false);
  const satMs = Number(opt['sat-ms']);
  const concurrency = Number(opt.concurrency);
  if (opt.together) {
    // Warmed at once too: a tree warmed first and left idle while the others warm had its young
    // generation shrunk by V8 meanwhile and read ~6 % dearer for the whole run (A/A, 10 rounds).
    // Each gets 1/n of the core, so each warms n times as long: warmed for --warm-ms only, four
    // Treatys read 1,100-2,000 µs a request for their first four rounds against ~380 after.
    log(`warming ${eps.length} trees together`);
    await Promise.all(eps.map((e) => closedLoop(e.ep, body, { concurrency, warmupMs: 0, durationMs: Number(opt['warm-ms']) * eps.length })));
  } else {
    for (const e of eps) {
      log(`warming ${e.label}`);
      await closedLoop(e.ep, body, { concurrency, warmupMs: 0, durationMs: Number(opt['warm-ms']) });
    }
  }
  if (opt.alloc) {
    const e = eps[0]!;
    process.kill(e.proc.pid, 'SIGUSR2');
    const r = await closedLoop(e.ep, body, { concurrency: 64, warmupMs: 0, durationMs: satMs });
    process.kill(e.proc.pid, 'SIGUSR2');
    for (let i = 0; i < 50 && !existsSync(e.profile!); i++) await sleep(100);
    const requests = r.tally.ok;
    log(`${e.label}: ${requests} requests sampled, ${r.cpuUsPerReq.toFixed(0)} µs CPU/request (sampling adds overhead)`);
    console.log(allocSummary(readFileSync(e.profile!, 'utf8'), requests, Number(opt.top), opt.who ? opt.who.split(',') : []));
  } else {
    const per = new Map<string, number[]>(eps.map((e) => [e.label, []]));
    const rounds = Number(opt.rounds);
    const byRound: { tree: string; value: number }[][] = [];
    // One process's figure for a round, and how it read. Together, the core's foreign share would
    // count the other trees, so it is left out.
    const measure = async (e: (typeof eps)[number]): Promise<{ value: number; note: string }> => {
      if (opt.stream) {
        const res = await streamLoop(e.ep, chatBody('bench-real', true), { rate: 40, durationMs: satMs, drainMs: 3500 });
        return { value: res.cpuUsPerChunk, note: `µs/chunk (${res.complete}/${res.streams} complete${opt.together ? '' : `, steal ${(100 * res.contention.core1Steal).toFixed(0)} %`})` };
      }
      if (opt['open-loop']) {
        const rate = Number(opt['open-loop']);
        if (Number(opt['presat-ms']) > 0) await closedLoop(e.ep, body, { concurrency, warmupMs: 0, durationMs: Number(opt['presat-ms']) });
        const res = await openLoop(e.ep, body, { rate, warmupMs: 300, durationMs: satMs, drainMs: 2000, maxInFlight: 2000, connections: 512 });
        const foreign = opt.together ? '' : `, core1 foreign ${(100 * res.contention.core1Foreign).toFixed(0)} %`;
        return { value: res.lat.p99, note: `ms p99 (p50 ${res.lat.p50.toFixed(2)}, p99.9 ${res.lat.p999.toFixed(1)}, ${res.goodput.toFixed(0)}/s ok${foreign})` };
      }
      const res = await closedLoop(e.ep, body, { concurrency, warmupMs: 300, durationMs: satMs });
      const busy = opt.together ? '' : `, core1 foreign ${(100 * res.contention.core1Foreign).toFixed(0)} %, steal ${(100 * res.contention.core1Steal).toFixed(0)} %`;
      return { value: res.cpuUsPerReq, note: `µs (${res.rps.toFixed(0)}/s, util ${res.cpuUtil.toFixed(2)}${busy})` };
    };
    const isolation = opt.isolate ? new Isolation() : undefined;
    for (let r = 0; r < rounds; r++) {
      const order = eps.map((_, i) => eps[(i + r) % eps.length]!);
      let results: { value: number; note: string }[] = [];
      if (opt.together) results = await Promise.all(order.map(measure));
      else {
        for (const e of order) {
          if (isolation) await isolation.focus(eps.map((o) => o.proc.pid), e.proc.pid);
          results.push(await measure(e));
          await sleep(150);
        }
        isolation?.resumeAll();
      }
      const round = results.map(({ value }, i) => ({ tree: order[i]!.tree, value }));
      byRound.push(round);
      results.forEach(({ value }, i) => per.get(order[i]!.label)!.push(value));
      log(`round ${r + 1}${opt.together ? ' (together)' : ''}: ${results.map(({ value, note }, i) => `${order[i]!.label} ${value.toFixed(1)} ${note}`).join('  |  ')}`);
      if (opt.together) await sleep(150);
    }
    for (const [label, xs] of per) {
      const s = [...xs].sort((a, b) => a - b);
      log(`${label}: median ${s[s.length >> 1]!.toFixed(1)} ${opt['open-loop'] ? 'ms p99' : `µs/${opt.stream ? 'chunk' : 'request'}`} (min ${s[0]!.toFixed(1)}, max ${s[s.length - 1]!.toFixed(1)})`);
    }
    const [base, ...others] = compareTrees(byRound);
    for (const c of others) {
      log(`${c.tree} vs ${base!.tree}: median ratio ${c.medianRatio.toFixed(3)}, geometric mean ${c.geoMeanRatio.toFixed(3)}, lower in ${c.lower} of ${c.rounds} rounds${opt.mirror || opt.together ? '' : ' (unmirrored: position bias included; see --mirror)'}`);
    }
  }
  for (const p of procs.reverse()) await p.stop();
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Sampled bytes by allocating function (self) and by the Treaty function nearest up the stack. */
function allocSummary(text: string, requests: number, top: number, who: string[]): string {
  const { head } = JSON.parse(text) as { head: HeapNode };
  const self = new Map<string, number>();
  const owner = new Map<string, number>();
  const callers = new Map<string, number>();
  let total = 0;
  const name = (n: HeapNode): string => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/treaty-\d+\//, '').replace(/^.*node_modules\//, '')}:${n.callFrame.lineNumber + 1}`;
  const walk = (n: HeapNode, stack: HeapNode[]): void => {
    if (n.selfSize) {
      total += n.selfSize;
      self.set(name(n), (self.get(name(n)) ?? 0) + n.selfSize);
      const mine = [...stack, n].reverse().find((s) => /\/treaty-\d+\/src\//.test(s.callFrame.url));
      const k = mine ? name(mine) : '(outside src)';
      owner.set(k, (owner.get(k) ?? 0) + n.selfSize);
      if (who.includes(n.callFrame.functionName)) callers.set(`${n.callFrame.functionName} < ${k}`, (callers.get(`${n.callFrame.functionName} < ${k}`) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, [...stack, n]);
  };
  walk(head, []);
  const table = (m: Map<string, number>): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${(v / requests).toFixed(0).padStart(7)} B/req  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  const asked = who.length ? `\n\n## callers of ${who.join(', ')}\n${table(callers)}` : '';
  return `total ${(total / requests).toFixed(0)} B/request sampled\n\n## by allocating function\n${table(self)}\n\n## by nearest Treaty function on the stack\n${table(owner)}${asked}`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
