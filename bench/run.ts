// `npm run bench`: Treaty beside the floor (the emulator called directly), a minimal Node
// pass-through proxy and the Portkey gateway, measured interleaved in rounds on 127.0.0.1.
// The process under test runs on core 1; this orchestrator (the load generator) and the
// emulator on core 0. Writes bench/results/bench-<timestamp>.json, bench-latest.md and
// bench-latest.svg. Flags: --quick (≤ 1 min smoke), --profile (also a CPU profile of Treaty
// under saturation → bench/results/profile-summary.md, then under streams →
// profile-streaming-summary.md), --profile-only, --rounds N,
// --targets floor,proxy,treaty,portkey, --treaty-root DIR, --variants FILE, --no-variants,
// --out DIR, --keep (keep the temp dir with logs and configs), --time-header NAME, --tsx (run
// every process through the tsx loader instead of transpiled JavaScript).

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { CLIENT, closedLoop, holdOneStream, openLoop, openStreams, streamLoop, type Endpoint } from './load.js';
import { preparePortkey, portkeyHeaders, type PortkeyInstall } from './portkey.js';
import { alive, mem, pinSelf, waitCore1Quiet, type Contention } from './procstat.js';
import { freePort, HAS_TASKSET, Isolation, spawnNode, splitNodeArgs, tail, waitHttp, type Proc } from './processes.js';
import { mainThreadProfile, profileMarkdown } from './profile.js';
import { transpileTree } from './transpile.js';
import { markdown, svg, type ColdPenalty, type ReportMeta } from './report.js';
import { readBenchVariants, type BenchVariant } from './variants.js';
import { BENCH_CONTRACTS, chatBody, CLIENT_KEY, issueBenchKey, REFUSE_ALL_OVERLAY, slotHoldingBody, TREATY_ENV, treatyConfigYaml, treatyLaunchFlags, UPSTREAM_KEY } from './setup.js';
import { checks, contention, summarize, type CapacityPair, type OverloadRun, type Raw, type TargetInfo } from './summary.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = import.meta.resolve('tsx');

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'profile-only': { type: 'boolean', default: false },
    rounds: { type: 'string' },
    targets: { type: 'string', default: 'floor,proxy,treaty,portkey' },
    'treaty-root': { type: 'string', default: ROOT },
    variants: { type: 'string', default: join(ROOT, 'bench/variants.yaml') },
    'no-variants': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
    keep: { type: 'boolean', default: false },
    'time-header': { type: 'string', default: 'server-timing' },
    tsx: { type: 'boolean', default: false },
    // Extra node flags for every Treaty target, e.g. "--trace-gc" (its output lands in the
    // target's treaty.log; keep it with --keep).
    'treaty-node-args': { type: 'string', default: '' },
    // Stop (SIGSTOP) every gateway but the one measured (see focus() below). Off by default:
    // it did not settle the question it was built for (see focus()).
    isolate: { type: 'boolean', default: false },
  },
});

// openTimeoutMs is how long the open-streams phase waits for all of them to open: the target is
// RSS with them all open, not how fast they open, and on a 4.5x slow host even the floor took
// 4.1 s to open 2,000 at the 1,000/s ramp (a 6 s wait left Treaty at 1,531 of them, no errors).
const PLAN = opt.quick
  ? { mode: 'quick', rounds: 1, warmMs: 2500, phaseWarmupMs: 250, satWarmupMs: 500, satMs: 1000, c1Ms: 500, openMs: 700, drainMs: 800, rates: [1000, 3000], streamRate: 40, streamMs: 600, streamDrainMs: 2000, openStreams: 300, openTimeoutMs: 6000, holdMs: 300, settleMs: 300, overloadMs: 1000, profileMs: 3000 }
  : { mode: 'full', rounds: 3, warmMs: 4000, phaseWarmupMs: 500, satWarmupMs: 1500, satMs: 3000, c1Ms: 1200, openMs: 3000, drainMs: 2000, rates: [1000, 3000], streamRate: 40, streamMs: 2500, streamDrainMs: 3500, openStreams: 2000, openTimeoutMs: 20000, holdMs: 1500, settleMs: 500, overloadMs: 3000, profileMs: 5000 };
if (opt.rounds) PLAN.rounds = Math.max(1, Math.min(10, Number(opt.rounds) || 1));
const CONCURRENCY = 64;
const MAX_IN_FLIGHT = 2000;
const OPEN_CONNECTIONS = 512;

const log = (msg: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface Target extends TargetInfo {
  ep: Endpoint;
  proc?: Proc;
  /** A Treaty variant: measured in saturation, concurrency 1 and the first open-loop rate only (its cost, not every figure). */
  variant?: boolean;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg();
  const pinned = HAS_TASKSET && pinSelf('0');
  const pinNote = pinned
    ? 'Process under test on core 1 (taskset -c 1); load generator (this process) and emulator on core 0.'
    : 'NOT pinned (taskset unavailable): numbers are not comparable with pinned runs.';
  const tmp = mkdtempSync(join(tmpdir(), 'treaty-bench-'));
  if (!opt.keep) process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  mkdirSync(opt.out, { recursive: true });
  const wanted = new Set(['floor', ...opt.targets.split(',').map((s) => s.trim())]);
  // Before any target starts, on the core they will use: how much slower a short piece of code
  // runs after the core sat idle (the cost every one-at-a-time latency figure pays here).
  const coldPenalty = opt['profile-only'] ? undefined : measureColdPenalty();
  const notes: string[] = [
    CLIENT === 'raw'
      ? 'Client: whole answers (saturation, concurrency 1, open loop, overload) are sent by bench/raw-client.ts, keep-alive raw sockets (about a third less of core 0 per request than undici, which saturated core 0 in the overload phase); streams by undici. BENCH_CLIENT=undici sends everything with undici, as runs before 2026-11-30 16:00 did.'
      : 'Client: undici for everything (BENCH_CLIENT=undici).',
  ];
  const procs: Proc[] = [];
  const treatyRoot = resolve(opt['treaty-root']);
  log(`mode ${PLAN.mode}, ${PLAN.rounds} round(s); temp dir ${tmp}`);

  // Code to run: transpiled JavaScript (as `npm run build` emits it) unless --tsx.
  let benchBase = ROOT;
  let treatyBase = treatyRoot;
  let ext = '.ts';
  const pre = opt.tsx ? ['--import', TSX] : [];
  if (!opt.tsx) {
    benchBase = join(tmp, 'build');
    const n = transpileTree(ROOT, ['src', 'bench'], benchBase, join(ROOT, 'node_modules'));
    treatyBase = benchBase;
    if (treatyRoot !== ROOT) {
      treatyBase = join(tmp, 'build-treaty');
      transpileTree(treatyRoot, ['src'], treatyBase, join(ROOT, 'node_modules'));
    }
    ext = '.js';
    log(`transpiled ${n} files to ${benchBase}`);
  }
  const code = (base: string, rel: string): string => join(base, rel.replace(/\.ts$/, ext));

  // Upstream -----------------------------------------------------------------------------
  const emu = await spawnNode({ name: 'emulator', cpu: '0', cwd: ROOT, nodeArgs: [...pre, code(benchBase, 'bench/emulator-server.ts')], logFile: join(tmp, 'emulator.log'), hello: true });
  procs.push(emu);
  const upstream = String(emu.hello!.url);
  const targets: Target[] = [];
  const path = '/v1/chat/completions';
  targets.push({ id: 'floor', label: 'emulator called directly (the floor)', kind: 'floor', status: 'ok', ep: { name: 'floor', origin: upstream, path, headers: { authorization: `Bearer ${UPSTREAM_KEY}` }, pid: emu.pid } });

  const start = async (t: Omit<Target, 'ep' | 'status'> & { origin: string; headers: Record<string, string>; spawn: () => Promise<Proc>; ready?: string }): Promise<void> => {
    const target: Target = { id: t.id, label: t.label, kind: t.kind, ...(t.overlay ? { overlay: t.overlay, variant: true } : {}), status: 'ok', ep: { name: t.id, origin: t.origin, path, headers: t.headers, pid: -1 } };
    targets.push(target);
    try {
      const p = await t.spawn();
      procs.push(p);
      target.proc = p;
      target.ep.pid = p.pid;
      if (p.hello?.port) target.ep.origin = `http://127.0.0.1:${String(p.hello.port)}`;
      if (t.ready) await waitHttp(p, `${target.ep.origin}${t.ready}`);
    } catch (err) {
      target.status = 'broken';
      target.reason = `did not start: ${(err as Error).message.split('\n').slice(0, 6).join(' ')}`;
      log(`${t.id}: ${target.reason}`);
    }
  };

  // Targets ------------------------------------------------------------------------------
  if (wanted.has('proxy') && !opt['profile-only']) {
    await start({
      id: 'proxy',
      label: 'minimal node:http + undici pass-through proxy (bench/passthrough-proxy.ts)',
      kind: 'proxy',
      origin: '',
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
      spawn: () => spawnNode({ name: 'proxy', cpu: '1', cwd: ROOT, nodeArgs: [...pre, code(benchBase, 'bench/passthrough-proxy.ts'), upstream, '0', UPSTREAM_KEY], logFile: join(tmp, 'proxy.log'), hello: true }),
    });
  }
  // Treaty runs with the node flags its bin is launched with (the shebang of src/cli/main.ts);
  // a variant's `nodeArgs` replaces them (e.g. '' to show what they buy).
  const launchFlags = treatyLaunchFlags(treatyRoot);
  const variants: BenchVariant[] = [{ name: '', overlay: '' }];
  // variants.yaml: `base` applies to every Treaty target (the default included); `variants` add rows.
  const { base: baseOverlay, variants: listed } = readBenchVariants(opt.variants);
  if (!opt['no-variants'] && !opt['profile-only']) variants.push(...listed);
  const treatyTarget = async (name: string, overlay: string, extraNodeArgs: string[] = [], nodeFlags: string[] = launchFlags, tenant: Record<string, unknown> = {}): Promise<Target | undefined> => {
    const id = name ? `treaty:${name}` : 'treaty';
    const dir = join(tmp, id.replace(':', '-'));
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const adminPort = await freePort();
    const cfg = join(dir, 'treaty.yaml');
    writeFileSync(cfg, treatyConfigYaml(upstream, port, adminPort, baseOverlay, overlay));
    const cli = code(treatyBase, 'src/cli/main.ts');
    // The config (with the variant's overlay) and the contracts against its estate.
    for (const args of [['config', 'check', '--config', cfg], ['contracts', 'check', '--config', cfg, '--contracts', BENCH_CONTRACTS]]) {
      try {
        execFileSync(process.execPath, [...pre, cli, ...args], { cwd: dir, env: { ...process.env, ...TREATY_ENV }, stdio: 'pipe', timeout: 30_000 });
      } catch (err) {
        const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
        const why = `${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`.trim() || e.message;
        targets.push({ id, label: name ? 'Treaty variant' : 'Treaty, default path', kind: 'treaty', overlay, status: 'skipped', reason: `${args[0]} rejected: ${why.split('\n').slice(0, 3).join(' ')}`, ep: { name: id, origin: '', path, headers: {}, pid: -1 } });
        log(`${id}: skipped (${args[0]} check failed: ${why.split('\n')[0] ?? ''})`);
        return undefined;
      }
    }
    await start({
      id,
      label: name ? `Treaty, variant ${name}` : `Treaty, default path (virtual key with RPM/TPM limits, policy with the example contracts, SQLite ledger, default logging; launched as its bin is: node ${launchFlags.join(' ')})`,
      kind: 'treaty',
      // What the report shows for a variant: its config overlay, the tenant it is issued its key
      // under, or the node flags it runs with.
      overlay: name && !overlay ? (Object.keys(tenant).length ? `tenant: ${JSON.stringify(tenant)}` : `node flags: ${nodeFlags.join(' ') || 'none'}`) : overlay,
      origin: `http://127.0.0.1:${port}`,
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
      ready: '/healthz',
      // cwd is the variant's temp dir, so a default relative ledger path lands there.
      spawn: () => spawnNode({ name: id, cpu: '1', cwd: dir, nodeArgs: [...nodeFlags, ...extraNodeArgs, ...pre, cli, 'serve', '--config', cfg], env: TREATY_ENV, logFile: join(dir, 'treaty.log') }),
    });
    const t = targets.find((x) => x.id === id);
    if (t?.status === 'ok') {
      // Measured requests use a virtual key with limits (the stored-key path), issued now.
      try {
        t.ep.headers = { authorization: `Bearer ${await issueBenchKey(`http://127.0.0.1:${adminPort}`, tenant)}` };
      } catch (err) {
        t.status = 'broken';
        t.reason = `could not issue the bench key: ${(err as Error).message}`;
        log(`${id}: ${t.reason}`);
      }
    }
    return t;
  };
  const treatyNodeArgs = splitNodeArgs(opt['treaty-node-args']);
  if (wanted.has('treaty') && !opt['profile-only']) for (const v of variants) await treatyTarget(v.name, v.overlay, treatyNodeArgs, v.nodeArgs, v.tenant);

  let portkey: PortkeyInstall | undefined;
  if (wanted.has('portkey') && !opt['profile-only']) {
    portkey = preparePortkey(ROOT);
    log(`portkey: ${JSON.stringify(portkey)}`);
    if (portkey.available) {
      const port = await freePort();
      await start({
        id: 'portkey',
        label: `Portkey gateway @portkey-ai/gateway ${portkey.gatewayVersion} (@hono/node-server ${portkey.honoNodeServerVersion}, patch ${portkey.patch})`,
        kind: 'portkey',
        origin: `http://127.0.0.1:${port}`,
        headers: portkeyHeaders(upstream, UPSTREAM_KEY),
        ready: '/',
        spawn: () =>
          spawnNode({ name: 'portkey', cpu: '1', cwd: tmp, nodeArgs: ['--import', pathToFileURL(join(ROOT, 'bench/loopback-only.mjs')).href, portkey!.entry!, `--port=${port}`, '--headless'], logFile: join(tmp, 'portkey.log') }),
      });
    } else {
      notes.push(`Portkey not measured: ${portkey.note ?? 'not installed'}.`);
    }
  }

  // Sanity: one whole answer and one stream through each target ---------------------------
  const fast = chatBody('bench-fast', false);
  const fastStream = chatBody('bench-fast', true);
  let answerBytes = 0;
  let streamEvents = 0;
  for (const t of targets.filter((x) => x.status === 'ok')) {
    const problems: string[] = [];
    try {
      const r = await request(`${t.ep.origin}${path}`, { method: 'POST', headers: { ...t.ep.headers, 'content-type': 'application/json' }, body: fast });
      const text = await r.body.text();
      if (r.statusCode !== 200 || !text.includes('"choices"')) problems.push(`non-streamed: HTTP ${r.statusCode} ${text.slice(0, 200)}`);
      if (t.kind === 'floor') answerBytes = text.length;
      const s = await request(`${t.ep.origin}${path}`, { method: 'POST', headers: { ...t.ep.headers, 'content-type': 'application/json' }, body: fastStream });
      const st = await s.body.text();
      if (s.statusCode !== 200 || !st.includes('[DONE]')) problems.push(`streamed: HTTP ${s.statusCode} ${st.slice(0, 200)}`);
      if (t.kind === 'floor') streamEvents = st.split('data:').length - 1;
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (problems.length) {
      t.status = 'broken';
      t.reason = `sanity request failed: ${problems.join('; ')}`;
      log(`${t.id}: ${t.reason}`);
      if (t.proc) log(`${t.id} log tail:\n${tail(t.proc.logFile, 5)}`);
    }
  }
  const floorOk = targets.find((t) => t.kind === 'floor')?.status === 'ok';
  if (!floorOk) throw new Error('the emulator (floor) failed its sanity request; see the log above');
  log(`request ${fast.length} B, answer ${answerBytes} B, ${streamEvents} SSE events per stream`);

  const live = (): Target[] =>
    targets.filter((t) => {
      if (t.status !== 'ok') return false;
      if (!alive(t.ep.pid)) {
        t.status = 'broken';
        t.reason = `process exited during the run: ${t.proc ? tail(t.proc.logFile, 3).replace(/\n/g, ' ') : ''}`;
        log(`${t.id}: ${t.reason}`);
        return false;
      }
      return true;
    });
  const rotate = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]!);
  const raw: Raw = { sat: {}, c1: {}, open: {}, stream: {}, openStreams: {}, overload: {}, refusalFloor: [] };
  const push = <T>(m: Record<string, T[]>, id: string, v: T): void => void (m[id] ??= []).push(v);

  // Rig isolation (--isolate): the gateways all share core 1, and an idle one is not silent:
  // timers, and V8's memory-reducing full GCs some seconds after its own phase. With the five
  // Treaty variants idle on the core, single-round runs put the measured Treaty's p99 at
  // 3,000 req/s at 66-83 ms, and at 5-8 ms with three variants or none (2026-11-30). With
  // --isolate every other gateway process is stopped (SIGSTOP) while one is measured and the
  // measured one resumed (SIGCONT), given a moment for its timers to catch up. In the one full
  // run with it, that p99 still read 9-66 ms over three rounds (and streaming figures came out
  // worse than in the run before), so the cause is not pinned down and it is off by default.
  const isolation = new Isolation();
  // `always`: isolate for this measurement even without --isolate (the overload phase).
  // Every measurement also starts on a quiet core 1 (waitCore1Quiet, at most 1.5 s): the last
  // phase's target is still busy for a while after its load stops (its ledger's batches and WAL
  // checkpoint, a collection; Portkey's queue), and that ran in the next target's window
  // (core 1's foreign share read 8-23 % in saturation rows).
  const settle = { waits: 0, waitedMs: 0, unsettled: 0 };
  const focus = async (t: Target, always = false): Promise<void> => {
    await isolate(t, always);
    const q = await waitCore1Quiet({ maxMs: 1500 });
    settle.waits++;
    settle.waitedMs += q.waitedMs;
    if (!q.settled) settle.unsettled++;
  };
  const isolate = async (t: Target, always: boolean): Promise<void> => {
    if (!opt.isolate && !always) return;
    await isolation.focus(targets.filter((o) => o.status === 'ok' && o.kind !== 'floor' && o.ep.pid > 0).map((o) => o.ep.pid), t.ep.pid);
  };

  if (!opt['profile-only']) {
    // Warm-up (JIT, connection pools) -----------------------------------------------------
    // Seconds, not one: after 1 s of saturation Treaty's next 2 s still cost ~370 µs a request
    // against ~260-290 later (bench/ab.ts, 8 rounds, 16:53), and Portkey's first round read
    // 1,908 µs against 1,050 in the next two, so a 1 s warm-up left round 1 measuring the JIT.
    for (const t of live()) {
      await focus(t);
      log(`warming ${t.id}`);
      await closedLoop(t.ep, fast, { concurrency: CONCURRENCY, warmupMs: 0, durationMs: PLAN.warmMs });
    }

    // Zero-latency rounds ------------------------------------------------------------------
    for (let r = 0; r < PLAN.rounds; r++) {
      log(`round ${r + 1}/${PLAN.rounds}: saturation`);
      for (const t of rotate(live(), r)) {
        await focus(t);
        // A longer unmeasured start than other phases (1.5 s, as the capacity pairs' 1 s plus
        // their 0.5): saturation is a steady-state figure, and a process that sat idle for a
        // minute (every target here, between its phases) takes a second or two to reach it
        // (bench/after-idle.ts: 230-540 µs a request in the first 2 s against ~190 warm, every tree).
        const res = await closedLoop(t.ep, fast, { concurrency: CONCURRENCY, warmupMs: PLAN.satWarmupMs, durationMs: PLAN.satMs });
        push(raw.sat, t.id, res);
        log(`  ${t.id.padEnd(18)} ${res.rps.toFixed(0).padStart(6)} req/s  ${res.cpuUsPerReq.toFixed(0).padStart(5)} µs CPU/req  util ${res.cpuUtil.toFixed(2)}  p50 ${res.lat.p50.toFixed(2)} ms  errors ${res.tally.errors + res.tally.otherStatus + res.tally.shed}  ${busyNote(res.contention)}`);
        await sleep(150);
      }
      // Capacity against the proxy, paired: the proxy and the default Treaty one after another,
      // mirrored (proxy, Treaty, Treaty, proxy, the order flipped every round), each half a
      // saturation phase. The rotation above can put a minute and seven other targets between
      // the two, and this host's speed moves in that time (one run's rounds read 53, 49 and
      // 93 %); the mirror cancels a steady drift within the pair (as bench/ab.ts --mirror).
      // In turn, never at once: sharing the core made Treaty's requests dearer and the proxy's
      // not (docs/performance.md, fourteenth session). Each alone on core 1, as the issue
      // measures a process under test: every other gateway is stopped (SIGSTOP) meanwhile. Idle,
      // the seven others still wake (timers, GC) and took 9-13 % of the core in this phase,
      // which costs the process with more code and data per request more.
      const pxT = live().find((x) => x.kind === 'proxy');
      const trT = live().find((x) => x.kind === 'treaty' && !x.variant);
      if (pxT && trT) {
        const pair: CapacityPair = { proxy: [], treaty: [] };
        const warmed = new Set<Target>();
        for (const t of r % 2 ? [trT, pxT, pxT, trT] : [pxT, trT, trT, pxT]) {
          await focus(t, true);
          // An unmeasured second of load first: each one's first reading of a pair came out
          // dearer than its second in 5 of 6 cases in two runs (an idle process's young
          // generation shrinks; see the twelfth session), which half a second of warm-up did not cover.
          if (!warmed.has(t)) {
            warmed.add(t);
            await closedLoop(t.ep, fast, { concurrency: CONCURRENCY, warmupMs: 0, durationMs: 1000 });
          }
          const res = await closedLoop(t.ep, fast, { concurrency: CONCURRENCY, warmupMs: PLAN.phaseWarmupMs, durationMs: PLAN.satMs / 2 });
          (t === pxT ? pair.proxy : pair.treaty).push(res);
          log(`  paired ${t.id.padEnd(11)} ${res.rps.toFixed(0).padStart(6)} req/s  ${res.cpuUsPerReq.toFixed(0).padStart(5)} µs CPU/req  util ${res.cpuUtil.toFixed(2)}  ${busyNote(res.contention)}`);
          await sleep(150);
        }
        (raw.capacityPairs ??= []).push(pair);
        if (!opt.isolate) {
          isolation.resumeAll();
          await sleep(200); // their timers catch up before the next phase
        }
      }
      log(`round ${r + 1}/${PLAN.rounds}: concurrency 1`);
      for (const t of rotate(live(), r)) {
        await focus(t);
        const res = await closedLoop(t.ep, fast, { concurrency: 1, warmupMs: 100, durationMs: PLAN.c1Ms, timeHeader: opt['time-header'] });
        push(raw.c1, t.id, res);
        log(`  ${t.id.padEnd(18)} p50 ${res.lat.p50.toFixed(3)} ms  p99 ${res.lat.p99.toFixed(3)} ms`);
        await sleep(100);
      }
      for (const rate of PLAN.rates) {
        log(`round ${r + 1}/${PLAN.rounds}: open loop ${rate} req/s`);
        const byTarget = (raw.open[String(rate)] ??= {});
        for (const t of rotate(live().filter((x) => rate === PLAN.rates[0] || !x.variant), r)) {
          await focus(t);
          const res = await openLoop(t.ep, fast, { rate, warmupMs: PLAN.phaseWarmupMs, durationMs: PLAN.openMs, drainMs: PLAN.drainMs, maxInFlight: MAX_IN_FLIGHT, connections: OPEN_CONNECTIONS });
          push(byTarget, t.id, res);
          log(`  ${t.id.padEnd(18)} p50 ${res.lat.p50.toFixed(3)}  p99 ${res.lat.p99.toFixed(3)}  p99.9 ${res.lat.p999.toFixed(3)} ms  ${res.held ? 'held' : `NOT held (over cap ${res.tally.notSent}, errors ${res.tally.errors}, timed out ${res.timedOut})`}  ${busyNote(res.contention)}`);
          await sleep(150);
        }
      }
    }
    for (const t of live()) t.peakRssMb = mem(t.ep.pid).hwmMb;

    // Streaming rounds (realistic upstream) ---------------------------------------------
    const real = chatBody('bench-real', true);
    for (let r = 0; r < PLAN.rounds; r++) {
      log(`round ${r + 1}/${PLAN.rounds}: streaming, ${PLAN.streamRate} streams/s`);
      for (const t of rotate(live().filter((x) => !x.variant), r)) {
        await focus(t);
        const res = await streamLoop(t.ep, real, { rate: PLAN.streamRate, durationMs: PLAN.streamMs, drainMs: PLAN.streamDrainMs });
        push(raw.stream, t.id, res);
        log(`  ${t.id.padEnd(18)} TTFT p50 ${res.ttft.p50.toFixed(2)} ms  p99 ${res.ttft.p99.toFixed(2)} ms  ${res.cpuUsPerChunk.toFixed(1)} µs CPU/chunk  complete ${res.complete}/${res.streams}`);
        await sleep(150);
      }
    }

    // The refusal floor: node:http's cheapest 503, saturated like the targets, so the overload
    // verdict can say what goodput shedding on one core allows at all (summary.ts overloadBound).
    if (live().some((x) => x.kind === 'treaty' && !x.variant)) {
      const refuser = await spawnNode({ name: 'refusal-floor', cpu: '1', cwd: ROOT, nodeArgs: [...pre, code(benchBase, 'bench/refusal-floor.ts'), '0'], logFile: join(tmp, 'refusal-floor.log'), hello: true });
      const floorEp: Endpoint = { name: 'refusal-floor', origin: `http://127.0.0.1:${String(refuser.hello!.port)}`, path, headers: {}, pid: refuser.pid };
      // Treaty's own refusal, measured the same way: a twin of the default Treaty that refuses
      // everything (server.maxInFlight: 1, its one slot held by a slow stream, so it serves
      // nothing at all). Beside the floor it says what Treaty adds to a refusal; with it the
      // overload run's CPU splits exactly into refusals and served requests.
      const twin = await treatyTarget('refusing', REFUSE_ALL_OVERLAY, treatyNodeArgs);
      const release = twin?.status === 'ok' ? await holdOneStream(twin.ep, slotHoldingBody()) : undefined;
      const pair = [{ ep: floorEp, label: 'refusal floor', into: (raw.refusalFloor ??= []) }, ...(release ? [{ ep: twin!.ep, label: 'treaty refusing', into: (raw.treatyRefusal ??= []) }] : [])];
      // Warmed like every target: measured straight after its start (--quick: 0.25 s warm-up)
      // the floor read 335-408 µs a refusal against ~60 once warm, which put the bound at 0 %.
      for (const x of pair) await closedLoop(x.ep, fast, { concurrency: CONCURRENCY, warmupMs: 0, durationMs: 2000 });
      // Round by round, in alternating order: the two are compared with each other, and this
      // host's speed drifts by tens of percent within a minute.
      for (let r = 0; r < PLAN.rounds; r++) {
        for (const x of r % 2 ? [...pair].reverse() : pair) {
          const res = await closedLoop(x.ep, fast, { concurrency: CONCURRENCY, warmupMs: PLAN.phaseWarmupMs, durationMs: PLAN.satMs / 2 });
          if (res.tally.ok > 0) log(`${x.label}: served ${res.tally.ok} requests, so its refusal cost includes them`);
          x.into.push(res);
          log(`${x.label.padEnd(17)}${(res.tally.shed / res.seconds).toFixed(0).padStart(6)} 503/s  ${res.cpuUsPerReq.toFixed(0).padStart(5)} µs CPU/refusal  ${busyNote(res.contention)}`);
        }
      }
      await release?.();
      await refuser.stop();
      await twin?.proc?.stop();
      // Not a target of the report: out of the list, so later phases neither pause it nor call it broken.
      targets.splice(0, targets.length, ...targets.filter((t) => t.id !== 'treaty:refusing'));
    }

    // Overload: 2× each gateway's own saturation, once per round ----------------------------
    // (a single run moved ±20 points of goodput on a busy host; --quick: Treaty only, once.)
    // Every other gateway is stopped (SIGSTOP) while one is overloaded: in the runs before,
    // the others took 6-15 % of core 1 during Treaty's overload (which of them was not pinned
    // down: Portkey after its own overload, idle variants' timers), and Treaty's goodput followed that share
    // round by round (foreign 0.06: 64 %; 0.14-0.15: 51-52 %). Saturating a core measures what
    // it can do only when nothing else is on it.
    for (let r = 0; r < PLAN.rounds; r++) for (const t of live().filter((x) => (x.kind === 'treaty' && !x.variant) || (x.kind === 'portkey' && PLAN.mode === 'full'))) {
      await focus(t, true);
      // Capacity now (the machine's load drifts): a fresh saturation run, or the rounds' median if higher.
      const fresh = await closedLoop(t.ep, fast, { concurrency: CONCURRENCY, warmupMs: PLAN.phaseWarmupMs, durationMs: PLAN.satMs / 2 });
      const capacity = Math.max(fresh.rps, median(raw.sat[t.id]?.map((x) => x.rps) ?? []));
      if (!Number.isFinite(capacity) || capacity <= 0) continue;
      const res = await openLoop(t.ep, fast, { rate: Math.round(2 * capacity), warmupMs: PLAN.phaseWarmupMs, durationMs: PLAN.overloadMs, drainMs: PLAN.drainMs, maxInFlight: MAX_IN_FLIGHT * 2, connections: 1024, preconnect: true });
      ((raw.overload[t.id] ??= []) as OverloadRun[]).push({ ...res, capacity });
      log(`round ${r + 1}/${PLAN.rounds}: overload ${t.id.padEnd(18)} offered ${res.offered.toFixed(0)}/s  goodput ${res.goodput.toFixed(0)}/s (${((100 * res.goodput) / capacity).toFixed(0)} % of ${capacity.toFixed(0)})  429/503 ${res.tally.shed}  errors ${res.tally.errors + res.timedOut}  over cap ${res.tally.notSent}  peak RSS ${res.peakRssMb.toFixed(0)} MB  shed p99 ${res.shedLat.p99.toFixed(1)} ms, the load generator's own send lag p99 ${res.sendLag?.p99.toFixed(1)} ms (max ${res.sendLag?.max.toFixed(1)})`);
      await sleep(PLAN.settleMs);
    }
    // Open streams ----------------------------------------------------------------------------
    // Last of the measured phases: a gateway that does not cancel its upstream call when the
    // client goes (Portkey) keeps streaming all 2,000 from the emulator long after this phase,
    // which put 27-31 % foreign load on core 1 and core 0 at 95-100 % through the refusal and
    // overload measurements that used to follow it.
    if (!opt.isolate) isolation.resumeAll(); // the overload phase left every gateway but the last one stopped
    const slow = chatBody('bench-slow', true);
    for (const t of live().filter((x) => !x.variant)) {
      await focus(t);
      const res = await openStreams(t.ep, slow, { count: PLAN.openStreams, rampPerSec: 1000, openTimeoutMs: PLAN.openTimeoutMs, holdMs: PLAN.holdMs });
      raw.openStreams[t.id] = res;
      log(`open streams ${t.id.padEnd(18)} ${res.opened}/${res.wanted} open in ${res.openSeconds.toFixed(1)} s, RSS ${res.rssBeforeMb.toFixed(0)} → ${res.rssHeldMb.toFixed(0)} MB${res.retried ? ` (${res.retried} refused and asked again after Retry-After)` : ''}`);
      await sleep(PLAN.settleMs); // let the closed streams unwind on both sides
    }

    for (const t of targets) if (t.status === 'ok' && alive(t.ep.pid)) t.finalHwmMb = mem(t.ep.pid).hwmMb;
  }
  isolation.resumeAll();

  // Profile ---------------------------------------------------------------------------------
  if (opt.profile || opt['profile-only']) await profile(tmp, treatyTarget, fast, treatyBase);

  // Stop everything we started, by pid.
  for (const p of procs.reverse()) await p.stop();

  if (!opt['profile-only']) {
    const infos: TargetInfo[] = targets.filter((t) => t.id !== 'treaty:profiled').map(({ ep: _ep, proc: _proc, variant: _v, ...info }) => info);
    const sums = summarize(infos, raw);
    const checkList = checks(infos, sums);
    const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
    const prefix = PLAN.mode === 'quick' ? 'bench-quick' : 'bench';
    const chartName = `${prefix}-latest.svg`;
    const meta: ReportMeta = {
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      mode: PLAN.mode,
      rounds: PLAN.rounds,
      node: process.version,
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
      loadBefore,
      loadAfter: loadavg(),
      pinned: pinNote,
      requestBytes: fast.length,
      answerBytes,
      streamEvents,
      concurrency: CONCURRENCY,
      maxInFlight: MAX_IN_FLIGHT,
      rates: PLAN.rates,
      portkey: (portkey ?? { available: false, note: 'not requested' }) as unknown as Record<string, unknown>,
      treatyRoot,
      runner: opt.tsx ? 'through the tsx loader' : 'from JavaScript transpiled by bench/transpile.ts, run by node without a loader',
      notes: [
        ...notes,
        `Each measurement started once core 1 was quiet (at most one 10 ms clock tick busy in 250 ms) or after 1.5 s: ${settle.waits} waits, ${(settle.waitedMs / 1000).toFixed(1)} s in all, ${settle.unsettled} of them still busy at 1.5 s (the last target's after-work, such as its ledger's checkpoint, otherwise ran in the next one's window).`,
        'The machine is shared: other engineers run test suites on these 2 cores at the same time, so single numbers move; compare ratios and medians from the same run.',
      ],
      chart: chartName,
      coldPenalty,
    };
    const json = join(opt.out, `${prefix}-${stamp}.json`);
    writeFileSync(json, JSON.stringify({ meta, plan: PLAN, targets: infos, summary: sums, checks: checkList, contention: contention(raw), raw }, null, 1));
    const busy = contention(raw);
    writeFileSync(join(opt.out, `${prefix}-latest.md`), markdown(meta, infos, sums, checkList, busy));
    writeFileSync(join(opt.out, chartName), svg(infos, sums, `Treaty benchmark (${PLAN.mode}, ${meta.startedAt.slice(0, 16)}Z)`));
    log(`wrote ${json}, ${prefix}-latest.md and ${chartName}`);
    for (const c of checkList) log(`${c.pass === undefined ? 'n/a ' : c.pass ? 'PASS' : 'FAIL'} ${c.target}: ${c.what} — ${c.got} (want ${c.want})`);
  }
  if (opt.keep) log(`kept ${tmp}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function busyNote(c: Contention): string {
  return `[core1 foreign ${(100 * c.core1Foreign).toFixed(0)} % (steal ${(100 * c.core1Steal).toFixed(0)} %), core0 ${(100 * c.core0Busy).toFixed(0)} %]`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** A separate Treaty process under `--cpu-prof`, saturated, then stopped so V8 writes the profile. */
async function profile(tmp: string, treatyTarget: (name: string, overlay: string, extra?: string[]) => Promise<Target | undefined>, body: Buffer, codeRoot: string): Promise<void> {
  const dir = join(tmp, 'cpu-prof');
  mkdirSync(dir, { recursive: true });
  const t = await treatyTarget('profiled', '', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  if (!t || t.status !== 'ok') {
    log(`profile: Treaty did not start: ${t?.reason ?? ''}`);
    return;
  }
  log('profile: warming');
  await closedLoop(t.ep, body, { concurrency: CONCURRENCY, warmupMs: 0, durationMs: 1500 });
  log(`profile: saturating for ${PLAN.profileMs} ms`);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const res = await closedLoop(t.ep, body, { concurrency: CONCURRENCY, warmupMs: 0, durationMs: PLAN.profileMs });
  const toUs = Number(process.hrtime.bigint() / 1000n);
  // Then streams, as the streaming phase runs them (the realistic deployment, 40/s), in the same
  // process: per streamed chunk the work is the decoder, the writer and node's socket writes,
  // which a saturation profile of whole answers does not show.
  const real = chatBody('bench-real', true);
  log('profile: streaming (warm-up, then the window)');
  await streamLoop(t.ep, real, { rate: PLAN.streamRate, durationMs: 2000, drainMs: PLAN.streamDrainMs });
  const streamFromUs = Number(process.hrtime.bigint() / 1000n);
  const streamed = await streamLoop(t.ep, real, { rate: PLAN.streamRate, durationMs: PLAN.profileMs, drainMs: PLAN.streamDrainMs });
  const streamToUs = Number(process.hrtime.bigint() / 1000n);
  await t.proc!.stop();
  const file = mainThreadProfile(dir);
  if (!file) {
    log('profile: no .cpuprofile written (did Treaty exit cleanly on SIGTERM?)');
    return;
  }
  const kept = join(opt.out, 'treaty-saturation.cpuprofile');
  copyFileSync(file, kept);
  const context =
    `Treaty (default bench config, ${resolve(opt['treaty-root'])}) on core 1 under a closed loop of ${CONCURRENCY} concurrent ` +
    `non-streamed requests to the zero-latency emulator: ${res.rps.toFixed(0)} req/s, ${res.cpuUsPerReq.toFixed(0)} µs CPU per request ` +
    `(profiling itself adds overhead). ${opt.tsx ? 'Run under tsx' : 'Run from JavaScript transpiled by bench/transpile.ts'}, so line numbers refer to the emitted JavaScript. Raw profile: ` +
    `bench/results/treaty-saturation.cpuprofile (open in Chrome DevTools or speedscope). Generated ${new Date().toISOString()}.`;
  writeFileSync(join(opt.out, 'profile-summary.md'), profileMarkdown(kept, codeRoot, context, { fromUs, toUs }, [ROOT]));
  const streamContext =
    `The same process, after the saturation window: streams from the realistic deployment (50 ms to the first token, 50 tokens/s) at ${PLAN.streamRate} streams/s, ` +
    `${streamed.cpuUsPerChunk.toFixed(1)} µs CPU per streamed chunk by /proc while profiling (${streamed.complete}/${streamed.streams} streams complete). ` +
    `A profiler sampling a process pinned to one core sees only part of its CPU (docs/performance.md), so read the shares, not the milliseconds. Generated ${new Date().toISOString()}.`;
  writeFileSync(join(opt.out, 'profile-streaming-summary.md'), profileMarkdown(kept, codeRoot, streamContext, { fromUs: streamFromUs, toUs: streamToUs }, [ROOT], 'streaming'));
  log(`profile: wrote ${join(opt.out, 'profile-summary.md')} (${res.rps.toFixed(0)} req/s while profiling) and profile-streaming-summary.md (${streamed.cpuUsPerChunk.toFixed(1)} µs/chunk)`);
}

main().then(
  () => process.exit(0), // keep-alive sockets of the sanity requests would hold the loop a few seconds
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/** bench/cold-penalty.mjs pinned to core 1 (plain JavaScript: no build needed); undefined if it fails. */
function measureColdPenalty(): ColdPenalty | undefined {
  const script = join(ROOT, 'bench/cold-penalty.mjs');
  const [cmd, args] = HAS_TASKSET ? ['taskset', ['-c', '1', process.execPath, script]] : [process.execPath, [script]];
  try {
    return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', timeout: 60_000 })) as ColdPenalty;
  } catch (err) {
    log(`cold-penalty probe failed: ${(err as Error).message}`);
    return undefined;
  }
}
