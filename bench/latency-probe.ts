// `npm run bench:probe`: where a single request's latency goes, target by target, and A/B
// comparisons of two Treaty trees in one run. Starts the emulator (core 0), the pass-through
// proxy and Treaty (core 1, as `npm run bench` does; with --treaty-b a second Treaty from
// another tree, also on core 1), then measures, rotating the targets so all of them see the
// same machine at the same moment, medians of the time added over the floor:
//  - c1:   whole answers from the zero-latency deployment, one request at a time, the targets
//          taking turns per request; Treaty's Server-Timing own time beside it;
//  - c1b:  the same back to back in blocks per target, as the bench's concurrency-1 phase
//          (a target's deferred work then competes with its own next request);
//  - ttft: short streams (2 tokens) from the realistic deployment (50 ms to the first token),
//          one at a time: time to the first content token at the client, without queueing
//          behind other streams;
//  - load: the bench's streaming phase (an open loop of full streams, 40/s): TTFT and CPU per
//          chunk, per target in rotated order.
//
// Flags: --modes c1,c1b,ttft,load --n 300 --rounds 3 --load-ms 2500 --load-tokens 72 --load-rate 40 --only proxy,treaty (subset; the floor
// always runs) --treaty-root DIR --treaty-b DIR --overlay YAML --warm-streams N --keep
// --strace N (N short streams through the proxy and Treaty under `strace -f -tt -T`, files in
// the temp dir) --marks (a tree instrumented to print per-stage timings to its log on
// SIGUSR2; printed after each mode) --hold (keep everything running; Ctrl-C ends).
// Take the bench lock: flock /tmp/treaty-bench.lock npm run bench:probe -- …

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { gatewayMs, streamLoop, type Endpoint } from './load.js';
import { spawnNode, type Proc } from './processes.js';
import { ANSWER_TOKENS, BENCH_DEPLOYMENTS, chatBody, CLIENT_KEY, UPSTREAM_KEY } from './setup.js';
import { spread } from './stats.js';
import { transpileTree } from './transpile.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    modes: { type: 'string', default: 'c1,c1b,ttft,load' },
    n: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
    'treaty-root': { type: 'string', default: ROOT },
    'treaty-b': { type: 'string', default: '' },
    overlay: { type: 'string', default: '' },
    'warm-streams': { type: 'string', default: '300' },
    /** load mode: how long each round's open loop of streams runs (40/s), so that a p99 rests on enough streams. */
    'load-ms': { type: 'string', default: '2500' },
    /** load mode: tokens per stream (the bench's 72 by default) and streams a second; longer streams at a lower rate keep the chunk rate and spread each stream's own work over more chunks. */
    'load-tokens': { type: 'string', default: '' },
    'load-rate': { type: 'string', default: '40' },
    keep: { type: 'boolean', default: false },
    strace: { type: 'string', default: '0' },
    marks: { type: 'boolean', default: false },
    hold: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
    'proxy-js': { type: 'string', default: '' },
  },
});
const N = Number(opt.n);
const ROUNDS = Number(opt.rounds);
const log = (m: string): void => console.log(`[probe] ${m}`);

interface Sample {
  ms: number;
  /** Treaty's own time by its Server-Timing header. */
  own?: number;
}

interface Target {
  ep: Endpoint;
  pool: Pool;
  /** Treaty's working dir (its log), for --marks. */
  dir?: string;
}

const CONTENT = /"content":"[^"]/;

/**
 * --timeline: each request carries x-probe-id, and its send and answer times are kept on
 * CLOCK_MONOTONIC (process.hrtime, the same clock in every process on the machine), to be
 * lined up with instrumented targets' own stamps (which they write on SIGUSR1).
 */
const clientTimeline: string[] = [];
let probeSeq = 0;
const hr = (): number => Number(process.hrtime.bigint());

/** One request; resolves with the time to the first content token (streams) or to the end. */
function timed(pool: Pool, ep: Endpoint, body: Buffer, stream: boolean): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got: Sample | undefined;
    let own: number | undefined;
    const id = opt.timeline ? `${ep.name}-${++probeSeq}` : undefined;
    const sent = id ? hr() : 0;
    let head = 0;
    let first = 0;
    pool.dispatch(
      { method: 'POST', path: ep.path, headers: { ...ep.headers, 'content-type': 'application/json', 'content-length': String(body.length), ...(id ? { 'x-probe-id': id } : {}) }, body },
      {
        onRequestStart() {},
        onResponseStart(_c, status, headers) {
          if (id) head = hr();
          if (status !== 200) reject(new Error(`${ep.name}: HTTP ${status}`));
          own = gatewayMs(headers['server-timing']);
        },
        onResponseData(_c, chunk) {
          // The first content token (not the role frame): what the bench's TTFT counts.
          if (stream && !got && CONTENT.test(chunk.toString('latin1'))) {
            got = { ms: performance.now() - t0, own };
            if (id) first = hr();
          }
        },
        onResponseEnd() {
          if (id) clientTimeline.push(JSON.stringify({ id, sent, head, first, end: hr() }));
          resolve(got ?? { ms: performance.now() - t0, own });
        },
        onResponseError(_c, err) {
          reject(err);
        },
      },
    );
  });
}

/** Whether any source file under `root`/src installs a handler for `signal` (an instrumented tree does). */
function handlesSignal(root: string, signal: string): boolean {
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  return files.some((f) => readFileSync(join(root, 'src', f), 'utf8').includes(`'${signal}'`));
}

async function main(): Promise<void> {
  // --marks / --timeline signal every Treaty; a process with no handler for the signal dies of
  // it (SIGUSR1/2 terminate by default), which used to show up only as ECONNREFUSED mid-run.
  for (const [flag, signal] of [['marks', 'SIGUSR2'], ['timeline', 'SIGUSR1']] as const) {
    if (!opt[flag]) continue;
    const bare = [opt['treaty-root'], opt['treaty-b']].filter((r) => r && !handlesSignal(resolve(r), signal));
    if (bare.length) throw new Error(`--${flag} sends ${signal} to every Treaty, but no source under ${bare.join(' or ')}/src handles it (the signal would kill it): point --treaty-root/--treaty-b at a tree instrumented to print its stage ${flag === 'marks' ? 'timings' : 'timeline'} on ${signal}.`);
  }
  const { tmp, modules, benchBuild: base, emu, upstream } = await startBenchRig('treaty-probe-', { keep: opt.keep });
  const build = (root: string, name: string): string => {
    if (resolve(root) === ROOT) return base;
    const out = join(tmp, name);
    transpileTree(resolve(root), ['src'], out, modules);
    return out;
  };
  const procs: Proc[] = [emu];
  const path = '/v1/chat/completions';
  const proxy = await spawnNode({ name: 'proxy', cpu: '1', cwd: ROOT, nodeArgs: [opt['proxy-js'] ? resolve(opt['proxy-js']) : join(base, 'bench/passthrough-proxy.js'), upstream, '0', UPSTREAM_KEY], logFile: join(tmp, 'proxy.log'), hello: true });
  procs.push(proxy);
  const targets: Target[] = [
    { ep: { name: 'floor', origin: upstream, path, headers: { authorization: `Bearer ${UPSTREAM_KEY}` }, pid: emu.pid }, pool: new Pool(upstream, { connections: 1 }) },
    { ep: { name: 'proxy', origin: `http://127.0.0.1:${String(proxy.hello!.port)}`, path, headers: { authorization: `Bearer ${CLIENT_KEY}` }, pid: proxy.pid }, pool: new Pool(`http://127.0.0.1:${String(proxy.hello!.port)}`, { connections: 1 }) },
  ];
  const startTreaty = async (name: string, codeBase: string): Promise<void> => {
    const t = await startBenchTreaty({ name, build: codeBase, dir: join(tmp, name), upstream, overlays: [opt.overlay] });
    procs.push(t.proc);
    targets.push({ ep: t.ep, pool: new Pool(t.ep.origin, { connections: 1 }), dir: t.dir });
  };
  await startTreaty('treaty', build(opt['treaty-root'], 'build-treaty'));
  if (opt['treaty-b']) await startTreaty('treaty-b', build(opt['treaty-b'], 'build-treaty-b'));
  const only = opt.only ? new Set(['floor', ...opt.only.split(',')]) : undefined;
  const measured = targets.filter((t) => !only || only.has(t.ep.name));
  log(`pids: ${targets.map((t) => `${t.ep.name} ${t.ep.pid}`).join(', ')}; temp ${tmp}`);

  const fast = chatBody('bench-fast', false);
  // Two tokens: the stream ends ~40 ms after its first token, so requests stay one at a time.
  const short = chatBody('bench-real', true, 2);
  // Warm-up: JIT and connections (the bench warms each target with 1.5 s of load), then streams
  // (the streamed path's first-chunk code runs once per stream, so it needs its own warm-up).
  for (const t of targets.slice(1)) {
    const warm = new Pool(t.ep.origin, { connections: 16 });
    const until = performance.now() + 3000;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (performance.now() < until) await timed(warm, t.ep, fast, false);
    }));
    await warm.destroy();
  }
  for (let i = 0; i < 200; i++) for (const t of targets) await timed(t.pool, t.ep, fast, false);
  const fastStream = chatBody('bench-fast', true);
  for (let i = 0; i < Number(opt['warm-streams']); i++) for (const t of targets) await timed(t.pool, t.ep, fastStream, true);

  if (Number(opt.strace) > 0) {
    for (const t of targets.slice(1, 3)) {
      const file = join(tmp, `strace-${t.ep.name}.txt`);
      const st = spawn('strace', ['-f', '-tt', '-T', '-o', file, '-p', String(t.ep.pid)], { stdio: 'ignore' });
      await sleep(1000);
      for (let i = 0; i < Number(opt.strace); i++) {
        log(`${t.ep.name} stream ${i} at ${new Date().toISOString()}: ${(await timed(t.pool, t.ep, short, true)).ms.toFixed(3)} ms`);
        await sleep(100);
      }
      st.kill('SIGINT');
      await once(st, 'exit');
      log(`strace of ${t.ep.name} in ${file}`);
    }
  }
  if (opt.hold) {
    log('holding (Ctrl-C ends)');
    await new Promise(() => undefined);
  }

  // --marks: the warm-up's stage timings are dropped, each mode's printed after it.
  const marks = async (what: string): Promise<void> => {
    if (!opt.marks) return;
    for (const t of targets.filter((x) => x.dir)) process.kill(t.ep.pid, 'SIGUSR2');
    await sleep(300);
    if (!what) return;
    for (const t of targets.filter((x) => x.dir)) {
      const text = readFileSync(join(t.dir!, 'treaty.log'), 'utf8');
      const at = text.lastIndexOf('PROBE');
      if (at !== -1) log(`${what}, ${t.ep.name}: ${text.slice(at).split('\n').filter((l) => !l.startsWith('{')).join('\n')}`);
    }
  };
  await marks('');

  const report = (what: string, per: Sample[][][]): void => {
    // per[round][target]: medians per round, then the median and range over rounds.
    const p50 = (xs: number[]): number => spread(xs).median;
    const floor = per.map((r) => p50(r[0]!.map((s) => s.ms)));
    const lines = measured.map((t) => {
      const k = targets.indexOf(t);
      const abs = per.map((r) => p50(r[k]!.map((s) => s.ms)));
      const added = spread(abs.map((a, i) => a - floor[i]!));
      const own = spread(per.map((r) => p50(r[k]!.filter((s) => s.own !== undefined && Number.isFinite(s.own)).map((s) => s.own!))));
      const ownText = Number.isFinite(own.median) ? `  own ${own.median.toFixed(3)}` : '';
      return `  ${t.ep.name.padEnd(9)} p50 ${spread(abs).median.toFixed(3)} ms  added ${added.median.toFixed(3)} (${added.min.toFixed(3)}–${added.max.toFixed(3)})${ownText}`;
    });
    // A/B: the second Treaty minus the first, paired round by round (same minute of the machine).
    const a = targets.findIndex((t) => t.ep.name === 'treaty');
    const b = targets.findIndex((t) => t.ep.name === 'treaty-b');
    if (a !== -1 && b !== -1 && per[0]![b]!.length) {
      const d = spread(per.map((r) => p50(r[b]!.map((s) => s.ms)) - p50(r[a]!.map((s) => s.ms))));
      lines.push(`  treaty-b − treaty, paired by round: ${d.median.toFixed(3)} ms (${d.min.toFixed(3)}–${d.max.toFixed(3)}; ${d.values.filter((x) => x < 0).length}/${d.values.length} rounds lower)`);
    }
    log(`${what}:\n${lines.join('\n')}`);
  };

  for (const mode of opt.modes.split(',')) {
    if (mode === 'c1' || mode === 'ttft') {
      const per: Sample[][][] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const round: Sample[][] = targets.map(() => []);
        for (let i = 0; i < N; i++) {
          for (let j = 0; j < measured.length; j++) {
            const t = measured[(i + j) % measured.length]!;
            round[targets.indexOf(t)]!.push(await timed(t.pool, t.ep, mode === 'c1' ? fast : short, mode === 'ttft'));
            if (mode === 'ttft') await sleep(5);
          }
        }
        per.push(round);
      }
      await marks(mode);
      report(mode === 'c1' ? `concurrency 1, whole answers, targets taking turns (n=${N}×${ROUNDS})` : `stream TTFT, one at a time (n=${N}×${ROUNDS})`, per);
    } else if (mode === 'c1b') {
      const per: Sample[][][] = [];
      const blocks = 5;
      for (let r = 0; r < ROUNDS; r++) {
        const round: Sample[][] = targets.map(() => []);
        for (let b = 0; b < blocks; b++) {
          for (let j = 0; j < measured.length; j++) {
            const t = measured[(b + j + r) % measured.length]!;
            for (let i = 0; i < N / blocks; i++) round[targets.indexOf(t)]!.push(await timed(t.pool, t.ep, fast, false));
          }
        }
        per.push(round);
      }
      await marks(mode);
      report(`concurrency 1, whole answers back to back in blocks (n=${N}×${ROUNDS})`, per);
    } else if (mode === 'load') {
      const tokens = opt['load-tokens'] ? Number(opt['load-tokens']) : undefined;
      const real = chatBody('bench-real', true, tokens);
      const rate = Number(opt['load-rate']);
      // Wait for the longest stream to end at the realistic deployment's token rate.
      const { tokensPerSec } = BENCH_DEPLOYMENTS.find((d) => d.name === 'bench-real')!;
      const drainMs = 3500 + ((tokens ?? ANSWER_TOKENS) / tokensPerSec) * 1000;
      const res = new Map<Target, { ttft: number; ttft99: number; cpu: number; us: number; events: number; own?: number }[]>();
      for (let r = 0; r < ROUNDS; r++) {
        for (let j = 0; j < measured.length; j++) {
          const t = measured[(r + j) % measured.length]!;
          const s = await streamLoop(t.ep, real, { rate, durationMs: Number(opt['load-ms']), drainMs });
          (res.get(t) ?? res.set(t, []).get(t)!).push({ ttft: s.ttft.p50, ttft99: s.ttft.p99, cpu: s.cpuUsPerChunk, us: s.cpuUsPerStream, events: s.eventsPerStream, own: s.own?.p50 });
          await sleep(200);
        }
      }
      await marks(mode);
      const floor = res.get(targets[0]!)!;
      const lines = measured.map((t) => {
        const rs = res.get(t)!;
        const added = spread(rs.map((x, i) => x.ttft - floor[i]!.ttft));
        // The tail too: a stall that hits a few first tokens shows here and not in the median.
        const added99 = spread(rs.map((x, i) => x.ttft99 - floor[i]!.ttft99));
        // Treaty's own time to the head (Server-Timing): the part of the added time inside its code.
        const owns = rs.flatMap((x) => (x.own === undefined ? [] : [x.own]));
        const own = owns.length ? `, own p50 ${spread(owns).median.toFixed(3)}` : '';
        return `  ${t.ep.name.padEnd(9)} TTFT added p50 ${added.median.toFixed(3)} (${added.min.toFixed(3)}–${added.max.toFixed(3)})${own}, p99 ${added99.median.toFixed(2)} (${added99.min.toFixed(2)}–${added99.max.toFixed(2)})  CPU/chunk ${spread(rs.map((x) => x.cpu)).median.toFixed(1)} µs, ${spread(rs.map((x) => x.us)).median.toFixed(0)} µs/stream of ${spread(rs.map((x) => x.events)).median.toFixed(0)} events`;
      });
      log(`streams under load, ${rate}/s of ${tokens ?? ANSWER_TOKENS} tokens (${ROUNDS} rounds):\n${lines.join('\n')}`);
    }
  }
  if (opt.timeline) {
    for (const t of targets.slice(1)) process.kill(t.ep.pid, 'SIGUSR1');
    await sleep(300);
    const file = join(tmpdir(), 'probe-client-timeline.jsonl');
    writeFileSync(file, clientTimeline.join('\n') + '\n');
    log(`timelines: ${file}, /tmp/treaty-timeline-<pid>.jsonl (${targets.slice(1).map((t) => `${t.ep.name} ${t.ep.pid}`).join(', ')})`);
  }
  await Promise.all(targets.map((t) => t.pool.destroy()));
  for (const p of procs.reverse()) await p.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
