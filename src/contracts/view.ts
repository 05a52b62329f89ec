// The contracts as the admin API shows them (docs/admin-api.md, GET /admin/contracts): each
// clause with whether it is in force at `now`, which amendment waived or superseded it, and a
// one-line summary. Pure; the caller adds loadedAt and the checker's findings.

import { describeClause } from './rules.js';
import { inForce } from './timeline.js';
import type { Clause, CompiledContracts } from './types.js';

export interface ClauseView {
  id: string;
  type: Clause['type'];
  inForce: boolean;
  waivedBy: string | null;
  supersededBy: string | null;
  /** Set for clauses an amendment added. */
  addedBy: string | null;
  summary: string;
  /** The body in force now (or the last one, when none is). */
  body: Clause;
}

export interface ContractsView {
  version: string;
  parties: { id: string; name: string; accounts: readonly string[] }[];
  agreements: { id: string; party: string; term: { start: number; end: number }; clauses: ClauseView[] }[];
  amendments: { id: string; agreement: string; effective: number; waives: readonly string[]; supersedes: string[]; adds: string[] }[];
}

export function contractsView(compiled: CompiledContracts, now: number): ContractsView {
  const live = inForce(compiled, now);
  const effective = compiled.amendments.filter((m) => !m.unknownAgreement && m.effectiveMs <= now);
  return {
    version: compiled.version,
    parties: compiled.parties.map((p) => ({ id: p.id, name: p.name, accounts: p.accounts })),
    agreements: compiled.agreements.map((a) => {
      const mine = effective.filter((m) => m.agreementId === a.id);
      const added = mine.flatMap((m) => m.adds.map((c) => ({ c, by: m.id })));
      const clauses = [...a.clauses.map((c) => ({ c, by: null as string | null })), ...added].map(({ c, by }): ClauseView => {
        const current = live.find((x) => x.ref === c.ref);
        const waiver = [...mine].reverse().find((m) => m.waives.includes(c.id));
        const superseder = current?.source.startsWith('superseded by ') ? current.source.slice('superseded by '.length) : null;
        const body = current ?? c;
        return { id: c.id, type: body.type, inForce: current !== undefined, waivedBy: current ? null : (waiver?.id ?? null), supersededBy: superseder, addedBy: by, summary: describeClause(body), body };
      });
      return { id: a.id, party: a.partyId, term: { start: a.termStartMs, end: a.termEndMs }, clauses };
    }),
    amendments: compiled.amendments.map((m) => ({ id: m.id, agreement: m.agreementId, effective: m.effectiveMs, waives: m.waives, supersedes: m.supersedes.map((c) => c.id), adds: m.adds.map((c) => c.id) })),
  };
}
