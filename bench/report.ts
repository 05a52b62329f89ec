// The human outputs: a markdown report (tables with medians, spreads and ratios, the targets
// as pass/fail) and an SVG bar chart drawn by hand (no charting dependency).

import { HELD_P99_MS } from './load.js';
import type { Spread } from './stats.js';
import { roundRatios, type Check, type ContentionRow, type OverloadBound, type TargetInfo, type TargetSummary } from './summary.js';

export interface ReportMeta {
  startedAt: string;
  seconds: number;
  mode: string;
  rounds: number;
  node: string;
  cpus: string;
  loadBefore: number[];
  loadAfter: number[];
  pinned: string;
  requestBytes: number;
  answerBytes: number;
  streamEvents: number;
  concurrency: number;
  maxInFlight: number;
  rates: number[];
  portkey: Record<string, unknown>;
  treatyRoot: string;
  /** How the TypeScript processes were run. */
  runner: string;
  notes: string[];
  chart: string;
  /** bench/cold-penalty.mjs on the process under test's core, before the run (absent in older results). */
  coldPenalty?: ColdPenalty;
}

/** Median µs of one short snippet run back to back and after the core sat idle for each gap (ms). */
export interface ColdPenalty {
  warmUs: number;
  afterGapUs: Record<string, number>;
}

const n = (x: number | undefined, d = 0): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
/** "median (min–max)" */
const sp = (x: Spread | undefined, d = 0): string => {
  if (!x || !Number.isFinite(x.median)) return '–';
  return x.values.length > 1 ? `${n(x.median, d)} (${n(x.min, d)}–${n(x.max, d)})` : n(x.median, d);
};
/** A spread in other units: every figure times `k`. */
const times = (x: Spread, k: number): Spread => ({ ...x, median: x.median * k, min: x.min * k, max: x.max * k });
const kb = (x: Spread | undefined): string => (x && Number.isFinite(x.median) ? sp(times(x, 1 / 1024), 1) : '–');
const ratio = (a: number | undefined, b: number | undefined, d = 2): string => (a && b && Number.isFinite(a / b) ? `${n(a / b, d)}×` : '–');

/** The pass-through proxy's CPU µs per request on the machine issue 6's figures come from. */
const REFERENCE_PROXY_US = 72;

export function markdown(meta: ReportMeta, targets: TargetInfo[], sums: Record<string, TargetSummary>, checksList: Check[], busy: ContentionRow[]): string {
  const ok = targets.filter((t) => t.status === 'ok');
  const proxy = ok.find((t) => t.kind === 'proxy');
  const portkey = ok.find((t) => t.kind === 'portkey');
  const satOf = (id: string | undefined): number | undefined => (id ? sums[id]?.sat?.rps.median : undefined);
  const L: string[] = [];
  L.push(`# Treaty benchmark — ${meta.startedAt}`, '');
  L.push(`Mode **${meta.mode}**, ${meta.rounds} interleaved round(s), ${n(meta.seconds)} s. Node ${meta.node}, ${meta.cpus}. ${meta.pinned}`);
  L.push(`Load average before/after: ${meta.loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${meta.loadAfter.map((x) => x.toFixed(2)).join(' ')}.`);
  L.push(`Request ${meta.requestBytes} B (chat, 2 messages); answer ${meta.answerBytes} B non-streamed, ${meta.streamEvents} SSE events streamed.`);
  L.push(`Values are medians over rounds with (min–max) across rounds; latencies in ms; "added" = target percentile − the floor's same percentile in the same round.`, '');
  for (const note of meta.notes) L.push(`> ${note}`);
  if (meta.notes.length) L.push('');
  // The absolute targets (µs, ms) assume a machine like the issue's; ratios to the proxy and
  // Portkey measured in the same run do not. Say how fast this machine ran, by the proxy.
  const pxUs = proxy ? sums[proxy.id]?.sat?.cpuUs.median : undefined;
  if (pxUs !== undefined && Number.isFinite(pxUs)) {
    const slow = pxUs / REFERENCE_PROXY_US;
    L.push(`Machine speed: the pass-through proxy cost ${n(pxUs)} µs CPU per request in this run, against ~${REFERENCE_PROXY_US} µs on the machine issue 6 was measured on (${n(slow, 2)}×).${slow > 1.3 ? ' **This run\'s machine was slow: absolute figures (µs, ms) read high by about that factor; the ratios to the proxy and Portkey are the comparable ones.**' : ''}`, '');
  }
  const cold = meta.coldPenalty;
  if (cold && cold.warmUs > 0) {
    const gaps = Object.entries(cold.afterGapUs).map(([ms, us]) => `${ms} ms ${n(us / cold.warmUs, 1)}×`).join(', ');
    L.push(`Cold penalty on core 1 (bench/cold-penalty.mjs, before the run): a ~${n(cold.warmUs)} µs snippet run back to back, then after the core sat idle: ${gaps} as long. One-at-a-time figures (concurrency 1, time to first token, whose upstream keeps the core idle for 50 ms) pay this on every line of code they run, so a target with more code on that path reads proportionally further above the floor here than on a machine that keeps an idle core's caches.`, '');
  }
  if (meta.chart) L.push(`![chart](${meta.chart})`, '');

  L.push('## Targets', '');
  L.push('| target | what | status |', '|---|---|---|');
  for (const t of targets) L.push(`| ${t.id} | ${t.label}${t.overlay ? ` (overlay: \`${t.overlay.trim().replace(/\n/g, ' ')}\`)` : ''} | ${t.status}${t.reason ? `: ${t.reason.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 300)}` : ''} |`);
  L.push('');

  L.push('## Saturation (zero-latency upstream, closed loop)', '');
  L.push(`Concurrency ${meta.concurrency}. CPU µs per request and CPU share are of the process under test (for the floor: the emulator, which shares core 0 with the load generator). "CPU-bound capacity" = 1e6 / CPU µs per request: what one core would serve if the rig were not the limit.`, '');
  L.push('| target | req/s | CPU µs/req | CPU share of its core | limited by | CPU-bound capacity | capacity vs proxy | capacity vs Portkey | req/s vs proxy | req/s vs Portkey | p50 | p99 | peak RSS MB |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const capOf = (id: string | undefined): number | undefined => (id ? sums[id]?.sat?.projectedRps : undefined);
  for (const t of ok) {
    const m = sums[t.id]?.sat;
    if (!m) continue;
    const fl = t.kind === 'floor';
    const limited = fl || m.util.median >= 0.85 ? (fl ? 'rig (core 0)' : 'its core') : m.util.median + m.foreign.median >= 0.85 ? `its core, shared (${n(100 * m.foreign.median)} % taken by other processes)` : 'rig (core 0)';
    L.push(
      `| ${t.id} | ${sp(m.rps)} | ${sp(m.cpuUs)} | ${sp(m.util, 2)} | ${limited} | ${n(m.projectedRps)} | ${fl ? '–' : ratio(m.projectedRps, capOf(proxy?.id))} | ${fl ? '–' : ratio(m.projectedRps, capOf(portkey?.id))} | ${fl ? '–' : ratio(m.rps.median, satOf(proxy?.id))} | ${fl ? '–' : ratio(m.rps.median, satOf(portkey?.id))} | ${sp(m.p50, 2)} | ${sp(m.p99, 2)} | ${n(t.peakRssMb)} |`,
    );
  }
  L.push('');

  L.push('### Work per request: system calls and storage writes', '');
  L.push('Counted from /proc/PID/io of the process under test (read- and write-family system calls, bytes it caused to be written to storage), per answered request at saturation and per stream in the streaming rounds. Counts of work rather than time: they hold on a slow or contended machine, where CPU figures drift. A gateway\'s floor is about one read and one write per message each way; Treaty\'s extra writes and storage bytes are the ledger (write-ahead journal, SQLite WAL, checkpoints) and its log.', '');
  L.push('| target | reads / request | writes / request | storage KB / request | reads / stream | writes / stream | storage KB / stream |', '|---|---|---|---|---|---|---|');
  for (const t of ok) {
    const a = sums[t.id]?.sat?.io;
    const b = sums[t.id]?.stream?.io;
    if (!a && !b) continue;
    L.push(`| ${t.id} | ${sp(a?.reads, 2)} | ${sp(a?.writes, 2)} | ${kb(a?.storageBytes)} | ${sp(b?.reads, 1)} | ${sp(b?.writes, 1)} | ${kb(b?.storageBytes)} |`);
  }
  L.push('');

  const base = ok.find((t) => t.kind === 'treaty' && !t.overlay);
  const variants = ok.filter((t) => t.kind === 'treaty' && t.overlay);
  if (base && variants.length) {
    const b = sums[base.id]!;
    L.push('### What each switch costs (Treaty variants vs the default path)', '');
    // Each round's own ratio as well: the targets of a round are measured one after another, so
    // on a host whose speed drifts the medians can pair a variant's fast minute with the default's slow one.
    L.push('| variant | CPU µs/req | Δ CPU µs/req vs default | CPU vs default, by round | added p50 at concurrency 1 | added p50 / p99 at ' + String(meta.rates[0]) + ' req/s |', '|---|---|---|---|---|---|');
    for (const t of [base, ...variants]) {
      const m = sums[t.id]!;
      const o = m.open[String(meta.rates[0])];
      const byRound = t === base ? '–' : roundRatios(m.sat?.cpuByRound, b.sat?.cpuByRound).map((x) => n(x, 2)).join(', ') || '–';
      L.push(`| ${t.id} | ${sp(m.sat?.cpuUs)} | ${t === base ? '–' : n((m.sat?.cpuUs.median ?? NaN) - (b.sat?.cpuUs.median ?? NaN))} | ${byRound} | ${sp(m.c1?.addedP50, 3)} | ${o ? `${n(o.addedP50.median, 3)} / ${n(o.addedP99.median, 3)}` : '–'} |`);
    }
    L.push('');
  }

  L.push('## Latency at fixed offered rates (open loop, zero-latency upstream)', '');
  L.push(`"held" = rounds in which the target kept up (no error status, nothing refused, timed out or over the client's in-flight cap of ${meta.maxInFlight}, p99 < ${HELD_P99_MS} ms). Latency is counted from the scheduled send time (no coordinated omission).`, '');
  L.push('| target | rate | p50 | p99 | p99.9 | added p50 | added p99 | added p99.9 | CPU µs/req | held |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  const rigNotes: string[] = [];
  for (const rate of meta.rates) {
    const floor = sums.floor?.open[String(rate)];
    if (floor && !floor.heldAll) rigNotes.push(`At ${rate} req/s the floor itself did not keep up in every round (p99 ${n(floor.p99.median, 1)} ms, held ${floor.held}): core 0 (load generator + emulator) saturated, so added latency at this rate is noisy.`);
    else if (floor && floor.p99.median > 20) rigNotes.push(`At ${rate} req/s the floor's own p99 is ${n(floor.p99.median, 1)} ms: core 0 (load generator + emulator) is near its limit, so added p99 at this rate is noisy.`);
    for (const t of ok) {
      const m = sums[t.id]?.open[String(rate)];
      if (!m) continue;
      const fl = t.kind === 'floor';
      L.push(`| ${t.id} | ${rate} | ${sp(m.p50, 3)} | ${sp(m.p99, 3)} | ${sp(m.p999, 3)} | ${fl ? '–' : sp(m.addedP50, 3)} | ${fl ? '–' : sp(m.addedP99, 3)} | ${fl ? '–' : sp(m.addedP999, 3)} | ${sp(m.cpuUs)} | ${m.held} |`);
    }
  }
  L.push('');

  for (const note of rigNotes) L.push(`> ${note}`, '');
  L.push('');
  L.push('## Concurrency 1 (zero-latency upstream)', '');
  L.push('| target | p50 | p99 | added p50 | added p99 | in-gateway time header (median ms) |', '|---|---|---|---|---|---|');
  for (const t of ok) {
    const m = sums[t.id]?.c1;
    if (!m) continue;
    const fl = t.kind === 'floor';
    L.push(`| ${t.id} | ${sp(m.p50, 3)} | ${sp(m.p99, 3)} | ${fl ? '–' : sp(m.addedP50, 3)} | ${fl ? '–' : sp(m.addedP99, 3)} | ${m.gatewayMs ? n(m.gatewayMs.median, 3) : 'not sent'} |`);
  }
  L.push('');

  L.push('## Streaming (realistic upstream: 50 ms to first token, 50 tokens/s)', '');
  L.push('TTFT counted from the scheduled send to the first chunk carrying content. CPU per chunk = CPU of the process under test over the run ÷ SSE events delivered (includes each stream\'s per-request work). Spread = first→last content chunk at the client (a buffering gateway collapses it).', '');
  L.push('| target | TTFT p50 | TTFT p99 | added TTFT p50 | added TTFT p99 | CPU µs/chunk | CPU/chunk vs proxy | CPU µs/stream | events/stream | spread ms | complete |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const chunkOf = (id: string | undefined): number | undefined => (id ? sums[id]?.stream?.cpuUsPerChunk.median : undefined);
  for (const t of ok) {
    const m = sums[t.id]?.stream;
    if (!m) continue;
    const fl = t.kind === 'floor';
    L.push(`| ${t.id} | ${sp(m.ttftP50, 2)} | ${sp(m.ttftP99, 2)} | ${fl ? '–' : sp(m.addedTtftP50, 3)} | ${fl ? '–' : sp(m.addedTtftP99, 3)} | ${sp(m.cpuUsPerChunk, 1)} | ${fl ? '–' : ratio(m.cpuUsPerChunk.median, chunkOf(proxy?.id))} | ${sp(m.cpuUsPerStream)} | ${sp(m.eventsPerStream, 1)} | ${sp(m.spreadMs)} | ${m.complete} |`);
  }
  L.push('');
  L.push('| target | open streams wanted | opened (first token) | seconds to open | RSS before MB | RSS with streams open MB | errors before close | refused, asked again after Retry-After |', '|---|---|---|---|---|---|---|---|');
  for (const t of ok) {
    const o = sums[t.id]?.openStreams;
    if (!o) continue;
    L.push(`| ${t.id} | ${o.wanted} | ${o.opened} | ${n(o.openSeconds, 1)} | ${n(o.rssBeforeMb)} | ${n(o.rssHeldMb)} | ${o.errors} | ${o.retried ?? '–'} |`);
  }
  L.push('');

  L.push('## Overload (open loop at 2× the target\'s own saturation rate)', '');
  L.push('One run per round; the row is the round with the median goodput, and "goodput %" adds the rounds\' (min–max).', '');
  L.push('| target | capacity req/s | offered req/s | goodput 2xx/s | goodput % | 429/503 | shed p50 / p99 ms | served p50 / p99 ms | errors + timeouts | over client cap | peak RSS MB |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const t of ok) {
    const o = sums[t.id]?.overload;
    if (!o) continue;
    L.push(
      `| ${t.id} | ${n(o.capacity)} | ${n(o.offered)} | ${n(o.goodput)} | ${sp(times(o.goodputShare, 100))} % | ${o.tally.shed} | ${o.tally.shed ? `${n(o.shedLat.p50, 1)} / ${n(o.shedLat.p99, 1)}` : '–'} | ${n(o.lat.p50, 1)} / ${n(o.lat.p99, 1)} | ${o.tally.errors + o.timedOut} | ${o.tally.notSent} | ${n(o.peakRssMb)} |`,
    );
  }
  L.push('');
  for (const t of ok) {
    const b = sums[t.id]?.overload?.bound;
    if (!b) continue;
    L.push(
      `What one core allows (${t.id}): a served request costs ${n(b.servedUs)} µs of CPU (saturation median) and the cheapest refusal node:http can make (bench/refusal-floor.ts: an immediate 503 with Treaty's headers and body size, request body unread) costs ${n(b.refusalFloorUs)} µs, measured in this run. Offered twice the capacity, a core that serves x and refuses the rest spends x·S + (2C − x)·D, so goodput can be about (1 − 2D/S) / (1 − D/S) = **${n(100 * b.bestGoodput)} %** of capacity at best, however the gateway sheds (both costs drift with the machine's load, so a run can land a little either side); 90 % would need refusals under S/11 = ${n(b.servedUs / 11)} µs. ${overloadSplit(b, t.kind === 'treaty')}`,
      '',
    );
  }

  L.push('## Targets of issue 6', '');
  L.push('The last column holds the pass-through proxy to the same bound where it has the same measure: where the 40-line proxy itself misses a target in this run, that target measures the machine more than any gateway on it.', '');
  L.push('| Treaty | target | wanted | measured | result | pass-through proxy, same measure |', '|---|---|---|---|---|---|');
  const verdict = (pass: boolean | undefined): string => (pass === undefined ? 'not measured' : pass ? '**pass**' : '**FAIL**');
  for (const c of checksList) L.push(`| ${c.target} | ${c.what} | ${c.want} | ${c.got} | ${verdict(c.pass)} | ${c.proxy ? `${c.proxy.got}: ${c.proxy.pass ? 'pass' : 'fail'}` : '–'} |`);
  L.push('');

  L.push('## Machine contention during the measurements', '');
  L.push('Share of core 1 used by anything other than the process under test (other engineers\' test runs, the kernel, and time the hypervisor gave to other guests: steal), the steal alone, and how busy core 0 (load generator + emulator) was, from /proc/stat: median (min–max) over all targets and rounds of the phase. Foreign load on core 1 takes CPU from the target and inflates its latency; a saturated core 0 caps every target\'s req/s. Steal of more than a few percent means the host was contended: every figure of that phase, CPU per request included, reads slower than the code is (ratios within a round hold better than absolute figures).', '');
  L.push('| phase | foreign load on core 1 | of which steal | core 0 busy |', '|---|---|---|---|');
  for (const r of busy) L.push(`| ${r.phase} | ${sp(r.core1Foreign, 2)} | ${sp(r.core1Steal, 2)} | ${sp(r.core0Busy, 2)} |`);
  L.push('');

  L.push('## Setup', '');
  L.push('- Upstream: the project\'s OpenAI-compatible emulator (src/emulators) in its own process; zero-latency deployments `bench-fast`/`bench-fast-b`, realistic `bench-real` (50 ms TTFT, 50 tokens/s), slow `bench-slow` (2 tokens/s) for open streams.');
  L.push(`- floor: the emulator called directly. proxy: bench/passthrough-proxy.ts (node:http + undici Pool, buffers JSON, streams SSE). treaty: \`src/cli/main.ts serve\` (${meta.runner}) with a generated config (bench/setup.ts: a two-deployment pool on two parties' accounts with a fallback model, prices, the example contracts adapted to this estate (bench/contracts.yaml), default logging, the default SQLite ledger); measured requests carry a virtual key issued through the admin API, with RPM/TPM limits, for a tenant in the contracts' enterprise class. portkey: \`@portkey-ai/gateway\` \`build/start-server.js --headless\`, provider \`openai\` with \`x-portkey-custom-host\` at the emulator.`);
  L.push('- Overload: each gateway\'s client connections (1,024) are opened before the clock starts, so the phase measures how requests are shed, not how fast a busy server accepts a storm of new connections (since libuv 1.45, Node accepts one connection per event-loop turn).');
  L.push(`- Pinning: ${meta.pinned}`);
  L.push(`- Portkey: ${JSON.stringify(meta.portkey)}`);
  L.push(`- Treaty source: ${meta.treatyRoot}`);
  L.push('');
  return L.join('\n');
}

// -------------------------------------------------------------------------------------------
// SVG: three panels — saturation req/s, added p50 and added p99 at 1,000 req/s (log scale).

const COLORS: Record<string, string> = { floor: '#9e9e9e', proxy: '#607d8b', treaty: '#2e7d32', portkey: '#c62828' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Bar {
  label: string;
  value: number;
  color: string;
  text: string;
}

function panel(x0: number, y0: number, w: number, h: number, title: string, bars: Bar[], log: boolean): string {
  const out: string[] = [`<text x="${x0}" y="${y0 - 8}" font-size="13" font-weight="bold">${esc(title)}</text>`];
  const vals = bars.map((b) => b.value).filter((v) => Number.isFinite(v) && v > 0);
  const max = vals.length ? Math.max(...vals) : 1;
  const min = log ? Math.min(...vals, max / 10) : 0;
  const lo = log ? Math.floor(Math.log10(min)) : 0;
  const hi = log ? Math.ceil(Math.log10(max)) : 0;
  const scale = (v: number): number => {
    if (!Number.isFinite(v) || v <= 0) return 0;
    return log ? ((Math.log10(v) - lo) / Math.max(1, hi - lo)) * w : (v / max) * w;
  };
  const bh = Math.min(22, (h - 4) / Math.max(1, bars.length) - 4);
  out.push(`<line x1="${x0 + 120}" y1="${y0}" x2="${x0 + 120}" y2="${y0 + h}" stroke="#333"/>`);
  if (log) {
    for (let e = lo; e <= hi; e++) {
      const x = x0 + 120 + ((e - lo) / Math.max(1, hi - lo)) * w;
      out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + h}" stroke="#ddd"/><text x="${x}" y="${y0 + h + 12}" font-size="9" text-anchor="middle">${esc(String(10 ** e))}</text>`);
    }
  }
  bars.forEach((b, i) => {
    const y = y0 + 4 + i * (bh + 4);
    const bw = scale(b.value);
    out.push(`<text x="${x0 + 114}" y="${y + bh * 0.7}" font-size="11" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect x="${x0 + 120}" y="${y}" width="${bw.toFixed(1)}" height="${bh}" fill="${b.color}"/>`);
    out.push(`<text x="${x0 + 124 + bw}" y="${y + bh * 0.7}" font-size="10">${esc(b.text)}</text>`);
  });
  return out.join('\n');
}

export function svg(targets: TargetInfo[], sums: Record<string, TargetSummary>, title: string): string {
  const ok = targets.filter((t) => t.status === 'ok');
  const color = (t: TargetInfo): string => COLORS[t.kind] ?? '#555';
  const fmt = (v: number, d: number): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
  const satBars = ok.map((t) => {
    const v = sums[t.id]?.sat?.rps.median ?? NaN;
    const cpu = sums[t.id]?.sat?.cpuUs.median ?? NaN;
    return { label: t.id, value: v, color: color(t), text: `${fmt(v, 0)} req/s · ${fmt(cpu, 0)} µs CPU/req` };
  });
  const addBars = (k: 'addedP50' | 'addedP99'): Bar[] =>
    ok
      .filter((t) => t.kind !== 'floor')
      .map((t) => {
        const m = sums[t.id]?.open['1000'];
        const v = m?.[k].median ?? NaN;
        return { label: t.id, value: v, color: color(t), text: `${fmt(v, 3)} ms${m && !m.heldAll ? ` (held 1,000/s in ${m.held} rounds)` : ''}` };
      });
  const rows = Math.max(1, ok.length);
  const ph = rows * 26 + 10;
  const W = 820;
  const H = 40 + 3 * (ph + 50);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    panel(10, 50, 480, ph, 'Saturation, zero-latency upstream (req/s, higher is better)', satBars, false),
    panel(10, 50 + ph + 50, 480, ph, 'Added p50 over the floor at 1,000 req/s (ms, log scale, lower is better)', addBars('addedP50'), true),
    panel(10, 50 + 2 * (ph + 50), 480, ph, 'Added p99 over the floor at 1,000 req/s (ms, log scale, lower is better)', addBars('addedP99'), true),
    '</svg>',
  ];
  return parts.join('\n');
}

/**
 * Where the overload run's goodput went, against the bound: Treaty's own refusal (measured
 * refusing everything) beside the floor's, what a served request cost during the run beside
 * saturation, and the core left idle. Older results lack the direct refusal measurement.
 */
function overloadSplit(b: OverloadBound, isTreaty: boolean): string {
  if (!Number.isFinite(b.refusingUs)) {
    return b.treatyRefusalUs > 0
      ? `The overload run's CPU less its served requests at the saturation cost came to ~${n(b.treatyRefusalUs)} µs per refusal in this run: an upper bound on what a refusal cost, since a served request can cost more under overload than at saturation.`
      : isTreaty
        ? "Treaty's own cost per refusal could not be estimated in this run."
        : '';
  }
  const served = Number.isFinite(b.servedOverloadUs) ? `a served request cost ${n(b.servedOverloadUs)} µs during the overload run (${n((100 * b.servedOverloadUs) / b.servedUs)} % of its saturation cost)` : 'no request was served in the overload run';
  return (
    `Treaty refusing everything (a twin with server.maxInFlight 1, its one slot held, serving nothing) spent ${n(b.refusingUs, 1)} µs per refusal, ${n(b.refusingUs / b.refusalFloorUs, 2)}× the floor's, which moves the bound to ${n(100 * b.bestGoodputTreaty)} %. ` +
    `Charging the overload run's refusals at that cost, ${served}, and the core was ${n(100 * b.cpuUtil)} % busy: together, what separates the measured goodput from the bound.`
  );
}
