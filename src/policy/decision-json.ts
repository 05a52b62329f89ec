// A decision as JSON, byte for byte what JSON.stringify(decision) writes. The ledger stores one
// with every attempt, and Node 20's JSON.stringify spent ~5 µs on a two-candidate decision
// (doubles, nested objects and arrays); writing the known shape field by field takes about
// half, with the strings that repeat from decision to decision (ids, flags, the version)
// escaped once. A field added to Decision, RankedCandidate or Parts and not written here fails
// to compile (the key lists below) and decision-json.test.ts compares both over decide()'s cases.

import type { ClauseNote, Decision, RankedCandidate } from './contracts-decide.js';
import type { Parts } from './contracts-rank.js';

// Exhaustive key lists: `satisfies` rejects a key the types gained but this file does not write.
void ({ version: 1, at: 1, model: 1, class: 1, candidates: 1, filtered: 1, exceptions: 1, blockedBy: 1, ranked: 1 } satisfies Record<keyof Decision, 1>);
void ({ deploymentId: 1, score: 1, parts: 1, flags: 1, exceptions: 1 } satisfies Record<keyof RankedCandidate, 1>);
void ({ cost: 1, pacing: 1, share: 1, latency: 1 } satisfies Record<keyof Parts, 1>);

/** Escaped strings by value: ids, flags, clause refs and the version recur in every decision. Bounded, so client-made strings cannot grow it. */
const quoted = new Map<string, string>();
const QUOTED_MAX = 4096;

function q(s: string): string {
  let out = quoted.get(s);
  if (out === undefined) {
    out = JSON.stringify(s);
    if (quoted.size >= QUOTED_MAX) quoted.clear();
    quoted.set(s, out);
  }
  return out;
}

/** As JSON writes a number: NaN and the infinities become null (decide() rounds, so none are expected). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

function strings(xs: readonly string[]): string {
  if (!xs.length) return '[]';
  let out = '[' + q(xs[0]!);
  for (let i = 1; i < xs.length; i++) out += ',' + q(xs[i]!);
  return out + ']';
}

function notes(xs: readonly ClauseNote[]): string {
  let out = '[';
  for (let i = 0; i < xs.length; i++) out += (i ? ',' : '') + '{"clauseId":' + q(xs[i]!.clauseId) + ',"reason":' + JSON.stringify(xs[i]!.reason) + '}';
  return out + ']';
}

function candidate(c: RankedCandidate): string {
  const p = c.parts;
  let out = '{"deploymentId":' + q(c.deploymentId) + ',"score":' + num(c.score) + ',"parts":{"cost":' + num(p.cost) + ',"pacing":' + num(p.pacing) +
    ',"share":' + num(p.share) + ',"latency":' + num(p.latency) + '},"flags":' + strings(c.flags);
  if (c.exceptions !== undefined) out += ',"exceptions":' + strings(c.exceptions);
  return out + '}';
}

export function decisionJson(d: Decision): string {
  let out = '{"version":' + q(d.version) + ',"at":' + num(d.at) + ',"model":' + q(d.model) + ',"class":' + (d.class === null ? 'null' : q(d.class)) + ',"candidates":[';
  for (let i = 0; i < d.candidates.length; i++) out += (i ? ',' : '') + candidate(d.candidates[i]!);
  out += '],"filtered":[';
  for (let i = 0; i < d.filtered.length; i++) {
    const f = d.filtered[i]!;
    out += (i ? ',' : '') + '{"deploymentId":' + q(f.deploymentId) + ',"clauseId":' + (f.clauseId === null ? 'null' : q(f.clauseId)) + ',"reason":' + JSON.stringify(f.reason) + '}';
  }
  out += '],"exceptions":' + notes(d.exceptions);
  if (d.blockedBy !== undefined) out += ',"blockedBy":' + notes(d.blockedBy);
  return out + ',"ranked":' + strings(d.ranked) + '}';
}
