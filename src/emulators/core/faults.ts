// Fault specs from the per-request header and from admin calls. Header syntax:
//   x-emulator-fault: rate_limit;ms=1500
//   x-emulator-fault: cut_after;tokens=3
// Several faults may be given, separated by commas.

import type { FaultName, FaultSpec } from './types.js';

export const FAULT_NAMES: readonly FaultName[] = [
  'rate_limit',
  'rate_limit_no_retry_after',
  'server_error',
  'unavailable',
  'reset',
  'hang',
  'slow_first_token',
  'cut_after',
  'stall_after',
  'malformed_chunk',
  'malformed_first',
  'no_done',
  'context_length',
  'content_filter',
  'content_filter_completion',
  'stream_error',
  'auth',
];

export const FAULT_HEADER = 'x-emulator-fault';

export function parseFaultHeader(value: string | undefined): FaultSpec[] {
  if (!value) return [];
  const out: FaultSpec[] = [];
  for (const item of value.split(',')) {
    const [name, ...params] = item.trim().split(';');
    if (!name) continue;
    out.push(buildFault(name.trim(), Object.fromEntries(params.map((p) => p.split('=').map((s) => s.trim())))));
  }
  return out;
}

export function buildFault(name: string, params: Record<string, unknown>): FaultSpec {
  if (!(FAULT_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown fault "${name}"; expected one of ${FAULT_NAMES.join(', ')}`);
  }
  const spec: FaultSpec = { fault: name as FaultName };
  for (const key of ['tokens', 'ms', 'count'] as const) {
    const raw = params[key];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`fault ${name}: ${key} must be a non-negative number`);
    spec[key] = n;
  }
  return spec;
}
