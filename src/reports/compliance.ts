// Compliance and money reports, computed from the ledger and the contracts: commitment
// burn-down, preferred share per period, reservation use, exceptions, and spend. Shared by the
// admin API and `treaty report`, so both show the same numbers.

import { plannedSpend } from '../contracts/schedule.js';
import { periodOf } from '../contracts/time.js';
import type { CommitmentClause, CompiledContracts, PreferredShareClause, ReservationClause } from '../contracts/types.js';
import type { AttemptRow, LedgerStore } from '../ledger/store.js';

const DAY = 86_400_000;

function clausesOf<T>(c: CompiledContracts, type: string): T[] {
  return c.agreements.flatMap((a) => a.clauses).filter((x) => x.type === type) as unknown as T[];
}

export async function commitmentReport(store: LedgerStore, c: CompiledContracts, now: number) {
  const out = [];
  for (const cl of clausesOf<CommitmentClause>(c, 'commitment')) {
    const start = cl.termStartMs;
    const end = cl.termEndMs;
    const until = Math.min(now, end);
    const days = await store.spendBy('day_account', start, until + 1);
    const daily = new Map<string, number>();
    for (const d of days) if (d.key && cl.countsToward.accounts.includes(d.key)) daily.set(d.day!, (daily.get(d.day!) ?? 0) + d.effectiveCostUsd);
    const points: { t: number; planUsd: number; actualUsd: number }[] = [];
    let cum = 0;
    for (let t = start; t <= until; t += DAY) {
      cum += daily.get(new Date(t).toISOString().slice(0, 10)) ?? 0;
      points.push({ t, planUsd: plannedSpend(cl, Math.min(t + DAY, end)), actualUsd: cum });
    }
    const elapsed = Math.max(DAY, until - start);
    // Run-rate forecast: spend so far, continued at its average pace to the end of the term.
    const forecast = cum + (cum / elapsed) * Math.max(0, end - until);
    out.push({ clauseId: cl.ref, agreementId: cl.agreementId, party: cl.partyId, amountUsd: cl.amountUsd, discountPercent: cl.discountPercent, term: { start, end }, toDateUsd: cum, planToDateUsd: plannedSpend(cl, until), forecastAtEndUsd: forecast, shortfallUsd: Math.max(0, cl.amountUsd - forecast), points });
  }
  return out;
}

export async function shareReport(store: LedgerStore, c: CompiledContracts, now: number) {
  const out = [];
  for (const s of clausesOf<PreferredShareClause>(c, 'preferred-share')) {
    const periods = [];
    for (let t = Math.max(s.termStartMs, now - 400 * DAY), n = 0; t <= now && n < 24; n++) {
      const p = periodOf(s.period, t);
      // Counted in the database (served attempts grouped by model, account and recorded class),
      // so a period's figure covers every request however many there were.
      const served = await store.servedCounts(p.startMs, Math.min(p.endMs, now + 1));
      let total = 0;
      let toParty = 0;
      for (const g of served) {
        if (s.classId !== null ? g.classId !== s.classId : !s.models.includes(g.model)) continue;
        total += g.attempts;
        if (c.partyByAccount.get(g.account) === s.partyId) toParty += g.attempts;
      }
      periods.push({ start: p.startMs, end: p.endMs, percent: total ? (100 * toParty) / total : null, requests: total });
      t = p.endMs;
    }
    out.push({ clauseId: s.ref, party: s.partyId, class: s.classId, models: s.models, minPercent: s.minPercent, period: s.period, periods });
  }
  return out;
}

export async function reservationReport(store: LedgerStore, c: CompiledContracts, now: number, live?: (ref: string) => { inFlight: number; tokensLastMinute: number }) {
  const hour = { from: now - 3_600_000, to: now + 1 };
  const out = [];
  for (const r of clausesOf<ReservationClause>(c, 'reservation')) {
    const usage = live?.(r.ref);
    const cap = r.capacity.tokensPerMinute ?? null;
    // Counted in the database: exact at any volume. A spill-over is an attempt whose decision
    // found this reservation full and that was served elsewhere.
    const flag = `"reserved-full:${r.ref}"`; // quoted: one flag exactly, not every ref it prefixes
    const [servedLastHour, flagged, flaggedHere] = await Promise.all([
      store.countAttempts({ ...hour, deploymentId: r.deployment, status: 'ok' }),
      store.countAttempts({ ...hour, decisionContains: flag }),
      store.countAttempts({ ...hour, decisionContains: flag, deploymentId: r.deployment }),
    ]);
    out.push({
      clauseId: r.ref,
      deploymentId: r.deployment,
      usdPerPeriod: r.usdPerPeriod,
      period: r.period,
      capacity: r.capacity,
      inFlight: usage?.inFlight ?? null,
      tokensLastMinute: usage?.tokensLastMinute ?? null,
      utilisation: !usage ? null : cap ? usage.tokensLastMinute / cap : r.capacity.concurrency ? usage.inFlight / r.capacity.concurrency : null,
      servedLastHour,
      spilloversLastHour: flagged - flaggedHere,
    });
  }
  return out;
}

/** How the decision record spells a candidate's non-empty list of clauses it was served against. */
const CANDIDATE_EXCEPTIONS = '"exceptions":["';
/** Most exception rows one report reads; more are flagged as truncated, never silently dropped. */
const EXCEPTION_ROWS = 10_000;

export async function exceptionReport(store: LedgerStore, from: number, now: number) {
  // Only attempts whose decision names exceptions are read (selected in the database), so
  // ordinary traffic in the window, however much, cannot push exceptions out of the page.
  const filter = { from, to: now + 1, decisionContains: CANDIDATE_EXCEPTIONS };
  const rows: AttemptRow[] = await store.listAttempts({ ...filter, limit: EXCEPTION_ROWS });
  const truncated = rows.length === EXCEPTION_ROWS && (await store.countAttempts(filter)) > EXCEPTION_ROWS;
  const exceptions = [];
  for (const row of rows) {
    if (!row.decision) continue;
    const d = JSON.parse(row.decision) as { candidates?: { deploymentId: string; exceptions?: string[] }[]; exceptions?: { clauseId: string; reason: string }[] };
    const served = d.candidates?.find((x) => x.deploymentId === row.deploymentId);
    for (const ref of served?.exceptions ?? []) {
      exceptions.push({ at: row.startedAt, requestId: row.requestId, attemptNo: row.attemptNo, clauseId: ref, deploymentId: row.deploymentId, status: row.status, reason: d.exceptions?.find((e) => e.clauseId === ref)?.reason ?? '' });
    }
  }
  // A violation would be an attempt served against a fail-closed clause: the policy never
  // allows one, so this stays 0 unless the engine is bypassed.
  return { exceptions, violations: 0, ...(truncated ? { truncated: true } : {}) };
}
