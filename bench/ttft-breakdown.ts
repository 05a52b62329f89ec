// Where a stream's added time to first token goes, under the bench's streaming load (40 streams/s
// of the realistic deployment, as `npm run bench` runs them). Client-side time to first token
// cannot tell a gateway's own work from the waits around it (the client's and emulator's shared
// core, the kernel, a core that sat idle), so this tool copies the tree, adds stage marks to the
// copy (monotonic clock, which every process here shares), and lines them up with the client's
// send and first-content times, stream by stream:
//  - Treaty: client bytes in, each stage of the request path (key, body, admission, contracts,
//    encode, write-ahead row, upstream write), the upstream's head and first token arriving,
//    the answer starting; the marks travel back in an `x-ttft-marks` header.
//  - the pass-through proxy: its handler entered, the upstream's head in, its first content
//    written (to a file: its head goes out before the first token).
// The marks cost a clock read each; what is measured is the instrumented copies, not the tree
// itself (`npm run bench:probe` measures that). Samples whose stages interleaved with another
// request's are dropped and counted.
//
// Usage: flock /tmp/treaty-bench.lock node --import tsx bench/ttft-breakdown.ts [--rounds 3]
//        [--load-ms 2500] [--rate 40] [--overlay YAML] [--node-args '--trace-deopt'] [--keep]

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closedLoop, streamLoop, type Endpoint, type TracedStream } from './load.js';
import { spawnNode, splitNodeArgs } from './processes.js';
import { chatBody, CLIENT_KEY, UPSTREAM_KEY } from './setup.js';
import { percentile } from './stats.js';
import { transpileTree } from './transpile.js';
import { startBenchRig, startBenchTreaty } from './treaty-process.js';
import { markedCopy } from './ttft-marks.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'load-ms': { type: 'string', default: '2500' },
    rate: { type: 'string', default: '40' },
    overlay: { type: 'string', default: '' },
    /** Extra node flags for Treaty, after its bin's own (e.g. --trace-deopt, output in its treaty.log with --keep). */
    'node-args': { type: 'string', default: '' },
    /** After the whole answers, this long of the measured streams at 150/s (the stream path's own warm-up, so its code is optimised for what is measured). */
    'warm-streams-ms': { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
  },
});

const ms = (a: bigint, b: bigint): number => Number(b - a) / 1e6;
/** Appends `v` to the stage `k`'s samples (stages keep the order they are first met in). */
const addTo = (m: Map<string, number[]>, k: string, v: number): void => void (m.get(k) ?? m.set(k, []).get(k)!).push(v);
const stat = (xs: number[]): string => {
  const s = Float64Array.from(xs).sort();
  return s.length ? `${percentile(s, 50).toFixed(3)} | ${percentile(s, 75).toFixed(3)} | ${percentile(s, 90).toFixed(3)}` : '– | – | –';
};

async function main(): Promise<void> {
  const rig = await startBenchRig('treaty-ttft-', { keep: opt.keep });
  const inst = join(rig.tmp, 'instrumented');
  markedCopy(ROOT, inst);
  const build = join(rig.tmp, 'instrumented-build');
  transpileTree(inst, ['src', 'bench'], build, rig.modules);
  const proxyMarks = join(rig.tmp, 'proxy-marks.txt');
  writeFileSync(proxyMarks, '');

  const proxy = await spawnNode({ name: 'proxy', cpu: '1', cwd: ROOT, nodeArgs: [join(build, 'bench/passthrough-proxy.js'), rig.upstream, '0', UPSTREAM_KEY], env: { TTFT_PROXY_MARKS: proxyMarks }, logFile: join(rig.tmp, 'proxy.log'), hello: true });
  const treaty = await startBenchTreaty({ name: 'treaty', build, dir: join(rig.tmp, 'treaty'), upstream: rig.upstream, overlays: [opt.overlay], extraNodeArgs: splitNodeArgs(opt['node-args']) });
  const path = '/v1/chat/completions';
  const targets: Endpoint[] = [
    { name: 'floor', origin: rig.upstream, path, headers: { authorization: `Bearer ${UPSTREAM_KEY}` }, pid: rig.emu.pid },
    { name: 'proxy', origin: `http://127.0.0.1:${String(proxy.hello!.port)}`, path, headers: { authorization: `Bearer ${CLIENT_KEY}` }, pid: proxy.pid },
    treaty.ep,
  ];

  const real = chatBody('bench-real', true);
  const rate = Number(opt.rate);
  const load = { rate, durationMs: Number(opt['load-ms']), drainMs: 5000 };
  // Warm-up as the bench's: JIT and connections by whole answers, then a round of streams.
  for (const t of targets.slice(1)) await closedLoop(t, chatBody('bench-fast', false), { concurrency: 16, warmupMs: 0, durationMs: 3000 });
  const warmStreams = Number(opt['warm-streams-ms']);
  if (warmStreams > 0) for (const t of targets.slice(1)) await streamLoop(t, chatBody('bench-real', true), { rate: 150, durationMs: warmStreams, drainMs: 5000 });
  for (const t of targets) await streamLoop(t, real, { ...load, durationMs: 1000 });

  const traced = new Map<string, TracedStream[]>(targets.map((t) => [t.name, []]));
  const rounds = Number(opt.rounds);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(r + j) % targets.length]!;
      const res = await streamLoop(t, real, { ...load, trace: true });
      traced.get(t.name)!.push(...(res.traced ?? []));
      await sleep(200);
    }
  }
  await sleep(300); // the proxy's last marks reach its file

  const ttft = (t: string): number[] => traced.get(t)!.map((s) => ms(s.sentNs, s.firstNs));
  const L: string[] = [];
  L.push(`Streams at ${rate}/s of the realistic deployment, ${rounds} round(s) of ${load.durationMs} ms per target, targets rotated; ms from the client's send (p50 | p75 | p90).`, '');
  L.push('| target | streams | send → first content |', '|---|---|---|');
  for (const t of targets) L.push(`| ${t.name} | ${traced.get(t.name)!.length} | ${stat(ttft(t.name))} |`);

  // Treaty: consecutive marks; a sample whose request-path marks saw other I/O callbacks is dropped.
  const rows = new Map<string, number[]>();
  const add = (k: string, v: number): void => addTo(rows, k, v);
  let interleaved = 0;
  let unmarked = 0;
  for (const s of traced.get('treaty')!) {
    const raw = s.marks['x-ttft-marks'];
    if (!raw) {
      unmarked++;
      continue;
    }
    const marks = raw.split(';').map((m) => {
      const [name, rest] = m.split('=') as [string, string];
      const [t, ev] = rest.split('@') as [string, string];
      return { name, t: BigInt(t), ev };
    });
    const path = marks.filter((m) => m.ev !== '');
    if (new Set(path.map((m) => m.ev)).size > 1) {
      interleaved++;
      continue;
    }
    add(`client sends → ${marks[0]!.name}`, ms(s.sentNs, marks[0]!.t));
    for (let i = 1; i < marks.length; i++) add(`${marks[i - 1]!.name} → ${marks[i]!.name}`, ms(marks[i - 1]!.t, marks[i]!.t));
    add(`${marks.at(-1)!.name} → client has first content`, ms(marks.at(-1)!.t, s.firstNs));
    add("Treaty's own path before the upstream call (client bytes in → upstream request written)", ms(marks[0]!.t, path.at(-1)!.t));
    const first = marks.find((m) => m.name === 'first token in');
    if (first) add("Treaty's own path after the first token (first token in → answer starts)", ms(first.t, marks.at(-1)!.t));
  }
  L.push('', `Treaty, stage by stage (${rows.values().next().value?.length ?? 0} streams; ${interleaved} dropped as interleaved with other work, ${unmarked} without marks):`, '');
  L.push('| stage | p50 | p75 | p90 |', '|---|---|---|---|');
  for (const [k, v] of rows) L.push(`| ${k} | ${stat(v)} |`);

  // The proxy: its head goes out with the upstream's, so its first content write is in its file.
  const out = new Map<string, bigint>();
  for (const line of readFileSync(proxyMarks, 'utf8').split('\n')) {
    const [id, t] = line.split(';');
    if (id && t && t !== '0') out.set(id, BigInt(t));
  }
  const p = new Map<string, number[]>();
  const padd = (k: string, v: number): void => addTo(p, k, v);
  for (const s of traced.get('proxy')!) {
    const [id, entered, head] = (s.marks['x-ttft-proxy'] ?? '').split(';');
    const first = id ? out.get(id) : undefined;
    if (!entered || !head || first === undefined) continue;
    padd('client sends → handler entered (node:http has parsed)', ms(s.sentNs, BigInt(entered)));
    padd('handler entered → upstream head in', ms(BigInt(entered), BigInt(head)));
    padd('upstream head in → first content written', ms(BigInt(head), first));
    padd('first content written → client has first content', ms(first, s.firstNs));
  }
  L.push('', `The pass-through proxy (${p.values().next().value?.length ?? 0} streams):`, '');
  L.push('| stage | p50 | p75 | p90 |', '|---|---|---|---|');
  for (const [k, v] of p) L.push(`| ${k} | ${stat(v)} |`);
  console.log(L.join('\n'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
