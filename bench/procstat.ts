// What the kernel says about a process under test: CPU time (utime + stime from
// /proc/<pid>/stat, all threads, in clock ticks) and memory (VmRSS, VmHWM from /proc/<pid>/status).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

let tickUs = 10_000;
try {
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (hz > 0) tickUs = 1e6 / hz;
} catch {
  // keep the Linux default of 100 Hz
}

/** CPU time the process has used so far, in microseconds (resolution: one clock tick). */
export function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after it are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(rest[11]) + Number(rest[12])) * tickUs;
}

/**
 * A process's I/O counters (/proc/PID/io): read- and write-family system calls, and bytes it
 * caused to be written to storage. Counts of work, not time: they read the same on a slow or
 * contended machine, where CPU time does not.
 */
export interface IoCounters {
  syscr: number;
  syscw: number;
  writeBytes: number;
}

export function ioCounters(pid: number): IoCounters {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    const v = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { syscr: v('syscr'), syscw: v('syscw'), writeBytes: v('write_bytes') };
  } catch {
    return { syscr: NaN, syscw: NaN, writeBytes: NaN };
  }
}

/** I/O per unit of work between two readings. */
export interface IoPer {
  reads: number;
  writes: number;
  storageBytes: number;
}

export function ioPer(a: IoCounters, b: IoCounters, units: number): IoPer {
  const n = Math.max(1, units);
  return { reads: (b.syscr - a.syscr) / n, writes: (b.syscw - a.syscw) / n, storageBytes: (b.writeBytes - a.writeBytes) / n };
}

export interface Mem {
  rssMb: number;
  hwmMb: number;
}

export function mem(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pins this process (all its threads) to `cpus`, e.g. "0"; children inherit it. */
export function pinSelf(cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Each CPU's /proc/stat counters (user nice system idle iowait irq softirq steal …), in ticks, from one read. */
function cpuTicks(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const l of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(l);
    if (m) out.set(Number(m[1]), m[2]!.trim().split(/\s+/).map(Number));
  }
  return out;
}

/** Busy time of one CPU's counters, in µs (everything but idle and iowait; steal counts as busy). */
function busyUs(v: number[] | undefined): number {
  if (!v) return NaN;
  const total = v.reduce((s, x) => s + x, 0);
  return (total - (v[3] ?? 0) - (v[4] ?? 0)) * tickUs;
}

/**
 * Time the hypervisor ran something else while this virtual CPU wanted to run, in µs. On a
 * shared VM host it comes and goes: a phase with much of it measures the host, not the code
 * (the same build read 3× slower per request with ~15 % steal than in a quiet hour).
 */
function stealUs(v: number[] | undefined): number {
  return v && v.length > 7 ? v[7]! * tickUs : NaN;
}

export interface Contention {
  /** Share of core 1 used by anything but the process under test (other tests, the kernel). */
  core1Foreign: number;
  /** Share of core 0 busy (load generator + emulator + whatever else runs there). */
  core0Busy: number;
  /** Share of core 1's wall time stolen by the hypervisor (counted in core1Foreign too). */
  core1Steal: number;
}

/** Starts watching both cores; the returned function ends the window. */
export function watchCores(pid: number): () => Contention {
  const t0 = performance.now();
  const c0 = cpuTicks();
  const p0 = cpuUs(pid);
  return () => {
    const wallUs = (performance.now() - t0) * 1000;
    const p = cpuUs(pid) - p0;
    const c = cpuTicks();
    const share = (f: (v: number[] | undefined) => number, cpu: number): number => (f(c.get(cpu)) - f(c0.get(cpu))) / wallUs;
    return { core1Foreign: Math.max(0, share(busyUs, 1) - p / wallUs), core0Busy: share(busyUs, 0), core1Steal: share(stealUs, 1) };
  };
}

/**
 * Waits until core 1 has been nearly idle (busy under `below` of a `windowMs` window, i.e. at
 * most one 10 ms clock tick in 250 ms) or `maxMs` have passed. The gateways all share core 1,
 * and a target's phase leaves work behind it (the ledger's last batches and WAL checkpoint, a
 * collection, Portkey's queued requests): without a wait, it ran in the next target's window.
 */
export async function waitCore1Quiet(o: { maxMs: number; windowMs?: number; below?: number }): Promise<{ waitedMs: number; settled: boolean; lastBusy: number }> {
  const windowMs = o.windowMs ?? 250;
  const below = o.below ?? 0.05;
  const t0 = performance.now();
  let lastBusy = NaN;
  for (;;) {
    const a = busyUs(cpuTicks().get(1));
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    lastBusy = (busyUs(cpuTicks().get(1)) - a) / ((performance.now() - w0) * 1000);
    const waitedMs = performance.now() - t0;
    if (!(lastBusy >= below)) return { waitedMs, settled: true, lastBusy };
    if (waitedMs >= o.maxMs) return { waitedMs, settled: false, lastBusy };
  }
}
