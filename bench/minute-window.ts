// A reservation's tokens-in-the-last-minute count at saturation: the spliced arrays it replaced
// (inlined here as the baseline) against MinuteWindow (src/policy/minute-window.ts), in one run.
// Simulated clock: --rate starts a second for --minutes minutes, each start followed by the read
// the policy makes per request. Prints CPU per request and the longest single read (the stall a
// request sees), then the first read after an idle minute.
//
//   node --import tsx bench/minute-window.ts [--rate 5000] [--minutes 3] [--rounds 3]

import { parseArgs } from 'node:util';
import { MinuteWindow } from '../src/policy/minute-window.js';

const { values: opt } = parseArgs({ options: { rate: { type: 'string', default: '5000' }, minutes: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' } } });
const RATE = Number(opt.rate);
const MINUTES = Number(opt.minutes);

interface Counter {
  add(t: number, tokens: number): void;
  sum(now: number): number;
}

/** The previous implementation: two arrays, the expired head spliced off past 1,024 entries. */
class SplicedArrays implements Counter {
  times: number[] = [];
  tokens: number[] = [];
  head = 0;
  total = 0;
  add(t: number, n: number): void {
    this.times.push(t);
    this.tokens.push(n);
    this.total += n;
  }
  sum(now: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - 60_000) {
      this.total -= this.tokens[this.head]!;
      this.head++;
    }
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.tokens.splice(0, this.head);
      this.head = 0;
    }
    return this.total;
  }
}

function run(make: () => Counter): { usPerRequest: number; worstMs: number; over1ms: number; afterIdleMs: number } {
  const c = make();
  const step = 1000 / RATE;
  const n = Math.round(RATE * 60 * MINUTES);
  let worst = 0;
  let over1ms = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const now = i * step;
    const t0 = performance.now();
    c.add(now, 120);
    sink += c.sum(now);
    const d = performance.now() - t0;
    if (d > worst) worst = d;
    if (d > 1) over1ms++;
  }
  const cpu = process.cpuUsage(cpu0);
  const t0 = performance.now();
  sink += c.sum(n * step + 61_000);
  const afterIdleMs = performance.now() - t0;
  if (sink === -1) console.log('');
  return { usPerRequest: (cpu.user + cpu.system) / n, worstMs: worst, over1ms, afterIdleMs };
}

const variants: [string, () => Counter][] = [
  ['spliced arrays (before)', () => new SplicedArrays()],
  ['ring buffer (MinuteWindow)', () => new MinuteWindow()],
];
for (let r = 1; r <= Number(opt.rounds); r++) {
  const order = r % 2 ? variants : [...variants].reverse();
  for (const [label, make] of order) {
    const x = run(make);
    console.log(`round ${r}  ${label.padEnd(28)} ${x.usPerRequest.toFixed(3)} µs CPU/request  longest read ${x.worstMs.toFixed(2)} ms, ${x.over1ms} over 1 ms  first read after an idle minute ${x.afterIdleMs.toFixed(2)} ms`);
  }
}
