// Time is cut into segments at every instant the clause set can change (a term starts or
// ends, an amendment takes effect, a window opens or closes). Each segment carries its clause
// set and lookup indexes, so "what is in force at t" is a binary search, not a replay of
// the amendments on every request.

import type { Agreement, Amendment, BlockingClause, Clause, CommitmentClause, CompiledContracts, PreferredShareClause, ReservationClause, ResidencyClause, Segment, SegmentIndex, WindowClause } from './types.js';

export function buildSegments(agreements: readonly Agreement[], amendments: readonly Amendment[]): readonly Segment[] {
  const live = amendments.filter((m) => !m.unknownAgreement);
  const points = new Set<number>();
  const windowEdges = (c: Clause): void => {
    if (c.type === 'exclusivity' || c.type === 'early-access') [c.windowStartMs, c.windowEndMs].forEach((p) => points.add(p));
  };
  for (const a of agreements) {
    points.add(a.termStartMs);
    points.add(a.termEndMs);
    a.clauses.forEach(windowEdges);
  }
  for (const m of live) {
    points.add(m.effectiveMs);
    [...m.supersedes, ...m.adds].forEach(windowEdges);
  }
  const edges = [-Infinity, ...[...points].sort((x, y) => x - y), Infinity];
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const startMs = edges[i]!;
    const clauses = Number.isFinite(startMs) ? clausesAt(agreements, live, startMs) : [];
    segments.push(Object.freeze({ startMs, endMs: edges[i + 1]!, clauses: Object.freeze(clauses), index: indexOf(clauses, startMs) }));
  }
  return Object.freeze(segments);
}

/** Replays the amendments in effect at t over each agreement in force at t. */
function clausesAt(agreements: readonly Agreement[], amendments: readonly Amendment[], t: number): Clause[] {
  const out: Clause[] = [];
  for (const a of agreements) {
    if (t < a.termStartMs || t >= a.termEndMs) continue;
    const byId = new Map(a.clauses.map((c) => [c.id, c]));
    for (const m of amendments) {
      if (m.agreementId !== a.id || m.effectiveMs > t) continue;
      m.waives.forEach((id) => byId.delete(id));
      for (const c of [...m.supersedes, ...m.adds]) byId.set(c.id, c);
    }
    out.push(...byId.values());
  }
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function indexOf(clauses: readonly Clause[], t: number): SegmentIndex {
  const windowsByModel = new Map<string, WindowClause[]>();
  const windowsByClass = new Map<string, WindowClause[]>();
  const residencyByTenant = new Map<string, ResidencyClause[]>();
  const residencyByClass = new Map<string, ResidencyClause[]>();
  const sharesByClass = new Map<string, PreferredShareClause[]>();
  const sharesByModel = new Map<string, PreferredShareClause[]>();
  const commitments: CommitmentClause[] = [];
  const reservationsByDeployment = new Map<string, ReservationClause>();
  for (const c of clauses) {
    switch (c.type) {
      case 'exclusivity':
      case 'early-access':
        if (t < c.windowStartMs || t >= c.windowEndMs) break;
        c.models.forEach((m) => push(windowsByModel, m, c));
        if (c.classId !== null) push(windowsByClass, c.classId, c);
        break;
      case 'residency':
        c.tenants.forEach((tenant) => push(residencyByTenant, tenant, c));
        if (c.classId !== null) push(residencyByClass, c.classId, c);
        break;
      case 'preferred-share':
        if (c.classId !== null) push(sharesByClass, c.classId, c);
        c.models.forEach((m) => push(sharesByModel, m, c));
        break;
      case 'commitment':
        commitments.push(c);
        break;
      case 'reservation':
        // Two reservations on one deployment would double-count capacity; the first wins
        // and the checker reports the second.
        if (!reservationsByDeployment.has(c.deployment)) reservationsByDeployment.set(c.deployment, c);
        break;
    }
  }
  return Object.freeze({ windowsByModel, windowsByClass, residencyByTenant, residencyByClass, sharesByClass, sharesByModel, commitments: Object.freeze(commitments), reservationsByDeployment });
}

/** The segment containing t (segments cover all time). */
export function segmentAt(compiled: CompiledContracts, t: number): Segment {
  const s = compiled.segments;
  let lo = 0;
  let hi = s.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid]!.startMs <= t) lo = mid;
    else hi = mid - 1;
  }
  return s[lo]!;
}

/** The clauses in force at t, amendments applied (window clauses included whether or not their window is open). */
export function inForce(compiled: CompiledContracts, t: number): readonly Clause[] {
  return segmentAt(compiled, t).clauses;
}

/** The blocking clauses that constrain a request for `model`, of class `classId`, from `tenantId`, at the segment. */
export function blockingClauses(seg: Segment, model: string, classId: string | null, tenantId: string | null): BlockingClause[] {
  const ix = seg.index;
  const out: BlockingClause[] = [...(ix.windowsByModel.get(model) ?? [])];
  if (classId !== null) {
    addNew(out, ix.windowsByClass.get(classId));
    addNew(out, ix.residencyByClass.get(classId));
  }
  if (tenantId !== null) addNew(out, ix.residencyByTenant.get(tenantId));
  return out;
}

function addNew(out: BlockingClause[], list: readonly BlockingClause[] | undefined): void {
  if (list) for (const c of list) if (!out.includes(c)) out.push(c);
}
