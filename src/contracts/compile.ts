// Phase two of the contract language: from the strictly parsed YAML (spec.ts) to a frozen
// CompiledContracts with a content hash. Pure: the text comes in, the caller reads files.
// Amendments naming clauses or agreements that do not exist are NOT errors here: the
// conflict checker reports them, so `treaty contracts check` can show them with the rest.

import { createHash } from 'node:crypto';
import { ConfigError, parseYamlStrict, suggest } from '../config/schema-dsl.js';
import { checkSpan, compileClause, type ClauseContext, type Where } from './compile-clause.js';
import { contractsFileSpec } from './spec.js';
import { parseContractDate } from './time.js';
import { buildSegments } from './timeline.js';
import type { Agreement, Amendment, Clause, ClassMatcher, CompiledContracts, Party, TrafficClass } from './types.js';

type Raw = Record<string, unknown>;

export interface ContractsSource {
  /** The validated value of the `contracts:` section. */
  value: Raw;
  /** Locates a path inside the `contracts:` section as file:line:col. */
  where: Where;
  file: string;
}

/** Parses and compiles a standalone contracts file (top-level key `contracts:`). Throws ConfigError. */
export function parseContracts(text: string, file: string): CompiledContracts {
  const located = parseYamlStrict(text, file, contractsFileSpec);
  return compileContracts({ value: located.value.contracts as Raw, where: (p) => located.where(['contracts', ...p]), file });
}

export function compileContracts(src: ContractsSource): CompiledContracts {
  const problems: string[] = [];
  const { value, where } = src;
  const unique = (kind: string, ids: string[], ...path: (string | number)[]): void => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) problems.push(`${where([...path, i, 'id'])}: ${kind} id "${id}" is used twice; ids must be unique`);
      seen.add(id);
    });
  };

  const parties = ((value.parties as Raw[] | undefined) ?? []).map((p): Party => Object.freeze({ id: p.id as string, name: p.name as string, accounts: Object.freeze([...(p.accounts as string[])]) }));
  unique('party', parties.map((p) => p.id), 'parties');
  const partyByAccount = new Map<string, string>();
  parties.forEach((p, i) => p.accounts.forEach((a, j) => {
    const owner = partyByAccount.get(a);
    if (owner !== undefined && owner !== p.id) problems.push(`${where(['parties', i, 'accounts', j])}: account "${a}" already belongs to party "${owner}"; an account belongs to one party`);
    partyByAccount.set(a, p.id);
  }));

  const rawClasses = (value.trafficClasses as Raw[] | undefined) ?? [];
  const classes = rawClasses.map(compileClass);
  unique('traffic class', classes.map((c) => c.id), 'trafficClasses');
  const classIds = new Set(classes.map((c) => c.id));
  const partyIds = parties.map((p) => p.id);

  const agreements: Agreement[] = [];
  ((value.agreements as Raw[] | undefined) ?? []).forEach((a, i) => {
    const partyId = a.party as string;
    if (!partyIds.includes(partyId)) {
      const hint = suggest(partyId, partyIds);
      problems.push(`${where(['agreements', i, 'party'])}: unknown party "${partyId}"${hint ? `; did you mean "${hint}"?` : `; declared: ${partyIds.join(', ')}`}`);
    }
    const term = a.term as Raw;
    const termStartMs = parseContractDate(term.start as string, 'start');
    const termEndMs = parseContractDate(term.end as string, 'end');
    checkSpan(termStartMs, termEndMs, ['agreements', i, 'term'], { where, problems });
    const ctx: ClauseContext = { agreementId: a.id as string, partyId, partyAccounts: parties.find((p) => p.id === partyId)?.accounts ?? [], termStartMs: termStartMs ?? 0, termEndMs: termEndMs ?? 0, classIds, source: 'original', where, problems };
    const rawClauses = a.clauses as Raw[];
    unique('clause', rawClauses.map((c) => c.id as string), 'agreements', i, 'clauses');
    const clauses = rawClauses.map((c, j) => compileClause(c, ['agreements', i, 'clauses', j], ctx)).filter((c): c is Clause => c !== undefined);
    agreements.push(Object.freeze({ id: a.id as string, partyId, termStartMs: ctx.termStartMs, termEndMs: ctx.termEndMs, where: where(['agreements', i]), clauses: Object.freeze(clauses) }));
  });
  unique('agreement', agreements.map((a) => a.id), 'agreements');

  const amendments = compileAmendments((value.amendments as Raw[] | undefined) ?? [], agreements, parties, classIds, where, problems);
  unique('amendment', ((value.amendments as Raw[] | undefined) ?? []).map((a) => a.id as string), 'amendments');
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    version: createHash('sha256').update(canonical(value)).digest('hex'),
    file: src.file,
    parties: Object.freeze(parties),
    classes: Object.freeze(classes),
    agreements: Object.freeze(agreements),
    amendments: Object.freeze(amendments),
    partyByAccount,
    segments: buildSegments(agreements, amendments),
  });
}

function compileAmendments(raw: Raw[], agreements: readonly Agreement[], parties: readonly Party[], classIds: ReadonlySet<string>, where: Where, problems: string[]): Amendment[] {
  // Clause ids an agreement has had so far (originals and additions), so a later amendment
  // may waive a clause an earlier one added.
  const known = new Map(agreements.map((a) => [a.id, new Set(a.clauses.map((c) => c.id))]));
  const order = raw.map((m, i) => ({ m, i, effectiveMs: parseContractDate(m.effective as string, 'start') })).sort((x, y) => (x.effectiveMs ?? 0) - (y.effectiveMs ?? 0));
  const out: Amendment[] = [];
  for (const { m, i, effectiveMs } of order) {
    if (effectiveMs === undefined) problems.push(`${where(['amendments', i, 'effective'])}: not a real date`);
    const agreement = agreements.find((a) => a.id === m.agreement);
    const ids = known.get(m.agreement as string) ?? new Set<string>();
    const ctx = (source: string): ClauseContext => ({ agreementId: m.agreement as string, partyId: agreement?.partyId ?? '', partyAccounts: parties.find((p) => p.id === agreement?.partyId)?.accounts ?? [], termStartMs: agreement?.termStartMs ?? 0, termEndMs: agreement?.termEndMs ?? 0, classIds, source, where, problems });
    const unknownClauses: { id: string; where: string }[] = [];
    const waives = (m.waives as string[] | undefined) ?? [];
    waives.forEach((id, j) => { if (!ids.has(id)) unknownClauses.push({ id, where: where(['amendments', i, 'waives', j]) }); });
    const supersedes: Clause[] = [];
    ((m.supersedes as Raw[] | undefined) ?? []).forEach((s, j) => {
      const id = s.clause as string;
      const body = s.with as Raw;
      if (!ids.has(id)) unknownClauses.push({ id, where: where(['amendments', i, 'supersedes', j, 'clause']) });
      if (body.id !== undefined && body.id !== id) problems.push(`${where(['amendments', i, 'supersedes', j, 'with', 'id'])}: the new body keeps the id of the clause it replaces ("${id}"); leave id out`);
      const c = compileClause({ ...body, id }, ['amendments', i, 'supersedes', j, 'with'], ctx(`superseded by ${m.id as string}`));
      if (c) supersedes.push(c);
    });
    const adds: Clause[] = [];
    ((m.adds as Raw[] | undefined) ?? []).forEach((body, j) => {
      if (ids.has(body.id as string)) problems.push(`${where(['amendments', i, 'adds', j, 'id'])}: agreement "${m.agreement as string}" already has a clause "${body.id as string}"; use supersedes to change it`);
      const c = compileClause(body, ['amendments', i, 'adds', j], ctx(`added by ${m.id as string}`));
      if (c) adds.push(c);
    });
    adds.forEach((c) => ids.add(c.id));
    out.push(Object.freeze({
      id: m.id as string,
      agreementId: m.agreement as string,
      effectiveMs: effectiveMs ?? 0,
      where: where(['amendments', i]),
      waives: Object.freeze([...waives]),
      supersedes: Object.freeze(supersedes),
      adds: Object.freeze(adds),
      unknownClauses: Object.freeze(unknownClauses),
      unknownAgreement: agreement === undefined,
    }));
  }
  return out;
}

function matcher(list: unknown): ClassMatcher | undefined {
  const items = (list as string[] | undefined) ?? [];
  if (!items.length) return undefined;
  return Object.freeze({ exact: new Set(items.filter((s) => !s.endsWith('*'))), prefixes: Object.freeze(items.filter((s) => s.endsWith('*')).map((s) => s.slice(0, -1))) });
}

function compileClass(c: Raw): TrafficClass {
  const m = (c.match ?? {}) as Raw;
  const parts = { tenants: matcher(m.tenants), keys: matcher(m.keys), tags: matcher(m.tags), models: matcher(m.models) };
  const given = Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined));
  return Object.freeze({
    id: c.id as string,
    combine: (m.combine ?? 'any') as 'any' | 'all',
    ...given,
    modelNames: Object.freeze([...((m.models as string[] | undefined) ?? [])]),
    catchAll: Object.keys(given).length === 0,
  });
}

/** JSON with sorted keys, so the version hash depends on content, not on layout or comments. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).filter((k) => (v as Raw)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Raw)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
