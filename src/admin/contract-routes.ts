// Contracts through the admin API: what is in force (with the checker's findings), reload
// without a restart, and the compliance reports finance reads — commitment burn-down,
// preferred shares per period, reservation utilisation, exceptions.

import { checkContracts } from '../contracts/check.js';
import { plannedSpend } from '../contracts/schedule.js';
import { periodOf } from '../contracts/time.js';
import type { CommitmentClause, PreferredShareClause, ReservationClause } from '../contracts/types.js';
import { contractsView } from '../contracts/view.js';
import type { GatewayConfig } from '../config/compile.js';
import { GatewayError } from '../domain/errors.js';
import { sendJson } from '../http/body.js';
import type { AttemptRow, LedgerStore } from '../ledger/store.js';
import type { ContractsHolder, LoadedContracts } from '../governance/contracts-holder.js';
import type { ContractGovernance } from '../governance/governance.js';
import type { Router } from './router.js';

export interface ContractRouteDeps {
  holder: ContractsHolder;
  governance: ContractGovernance;
  config: () => GatewayConfig;
  store: LedgerStore;
  now: () => number;
  /** Re-seeds the in-memory counters from the ledger after a reload. */
  reseed: () => Promise<void>;
}

const DAY = 86_400_000;
const need = (h: ContractsHolder): LoadedContracts => h.get() ?? (() => { throw new GatewayError('TREATY_NOT_FOUND', 'No contracts are loaded (set contracts.file in treaty.yaml).'); })();

function clausesOf<T extends { type: string }>(l: LoadedContracts, type: string): T[] {
  return l.compiled.agreements.flatMap((a) => a.clauses).filter((c) => c.type === type) as unknown as T[];
}

export function findings(l: LoadedContracts, cfg: GatewayConfig, now: number) {
  const models = Object.fromEntries([...cfg.models.values()].map((m) => [m.name, m.deployments.map((d) => d.id)]));
  return checkContracts(l.compiled, { deployments: [...cfg.deployments.values()], models, now });
}

/** Ok attempts of a period, bounded: reports scan at most this many rows per period. */
async function okRows(store: LedgerStore, from: number, to: number): Promise<AttemptRow[]> {
  return store.listAttempts({ status: 'ok', from, to, limit: 10_000 });
}

export function contractRoutes(r: Router, deps: ContractRouteDeps): void {
  r.on('GET', '/admin/contracts', ({ res }) => {
    const l = need(deps.holder);
    const now = deps.now();
    sendJson(res, 200, { ...contractsView(l.compiled, now), loadedAt: l.loadedAt, findings: findings(l, deps.config(), now) });
  });

  r.on('POST', '/admin/contracts/reload', async ({ res }) => {
    const result = deps.holder.reload();
    if (!result.ok) throw new GatewayError('TREATY_INVALID_REQUEST', `The new contracts were rejected; the old version stays in force. ${result.problems.join(' | ')}`);
    if (result.changed) await deps.reseed();
    sendJson(res, 200, { ok: true, version: result.version, changed: result.changed });
  });

  r.on('GET', '/admin/reports/commitments', async ({ res }) => {
    const l = need(deps.holder);
    const now = deps.now();
    const out = [];
    for (const c of clausesOf<CommitmentClause>(l, 'commitment')) {
      const start = c.termStartMs;
      const end = c.termEndMs;
      const until = Math.min(now, end);
      const days = await deps.store.spendBy('day_account', start, until + 1);
      const daily = new Map<string, number>();
      for (const d of days) if (d.key && c.countsToward.accounts.includes(d.key)) daily.set(d.day!, (daily.get(d.day!) ?? 0) + d.effectiveCostUsd);
      const points: { t: number; planUsd: number; actualUsd: number }[] = [];
      let cum = 0;
      for (let t = start; t <= until; t += DAY) {
        cum += daily.get(new Date(t).toISOString().slice(0, 10)) ?? 0;
        points.push({ t, planUsd: plannedSpend(c, Math.min(t + DAY, end)), actualUsd: cum });
      }
      const elapsed = Math.max(DAY, until - start);
      // Run-rate forecast: spend so far, continued at its average pace to the end of the term.
      const forecast = cum + (cum / elapsed) * Math.max(0, end - until);
      out.push({ clauseId: c.ref, agreementId: c.agreementId, party: c.partyId, amountUsd: c.amountUsd, discountPercent: c.discountPercent, term: { start, end }, toDateUsd: cum, planToDateUsd: plannedSpend(c, until), forecastAtEndUsd: forecast, shortfallUsd: Math.max(0, c.amountUsd - forecast), points });
    }
    sendJson(res, 200, { commitments: out });
  });

  r.on('GET', '/admin/reports/shares', async ({ res }) => {
    const l = need(deps.holder);
    const now = deps.now();
    const partyOfAccount = l.compiled.partyByAccount;
    const out = [];
    for (const s of clausesOf<PreferredShareClause>(l, 'preferred-share')) {
      const periods = [];
      for (let t = Math.max(s.termStartMs, now - 400 * DAY), n = 0; t <= now && n < 24; n++) {
        const p = periodOf(s.period, t);
        const rows = await okRows(deps.store, p.startMs, Math.min(p.endMs, now + 1));
        let total = 0;
        let toParty = 0;
        for (const row of rows) {
          const cls = row.decision ? (JSON.parse(row.decision) as { class?: string | null }).class ?? null : null;
          const inScope = s.classId !== null ? cls === s.classId : s.models.includes(row.model);
          if (!inScope) continue;
          total++;
          if (partyOfAccount.get(row.account) === s.partyId) toParty++;
        }
        periods.push({ start: p.startMs, end: p.endMs, percent: total ? (100 * toParty) / total : null, requests: total });
        t = p.endMs;
      }
      out.push({ clauseId: s.ref, party: s.partyId, class: s.classId, models: s.models, minPercent: s.minPercent, period: s.period, periods });
    }
    sendJson(res, 200, { shares: out });
  });

  r.on('GET', '/admin/reports/reservations', async ({ res }) => {
    const l = need(deps.holder);
    const now = deps.now();
    const out = [];
    for (const c of clausesOf<ReservationClause>(l, 'reservation')) {
      const usage = deps.governance.state.reservationUsage(c.ref, now);
      const capacity = c.capacity.tokensPerMinute ?? null;
      const rows = await deps.store.listAttempts({ from: now - 3_600_000, to: now + 1, limit: 10_000 });
      const served = rows.filter((x) => x.deploymentId === c.deployment && x.status === 'ok').length;
      const spilled = rows.filter((x) => x.decision && x.deploymentId !== c.deployment && x.decision.includes(`reserved-full:${c.ref}`)).length;
      out.push({ clauseId: c.ref, deploymentId: c.deployment, usdPerPeriod: c.usdPerPeriod, period: c.period, capacity: c.capacity, inFlight: usage.inFlight, tokensLastMinute: usage.tokensLastMinute, utilisation: capacity ? usage.tokensLastMinute / capacity : c.capacity.concurrency ? usage.inFlight / c.capacity.concurrency : null, servedLastHour: served, spilloversLastHour: spilled });
    }
    sendJson(res, 200, { reservations: out });
  });

  r.on('GET', '/admin/reports/exceptions', async ({ res, query }) => {
    const now = deps.now();
    const from = Number(query.get('from') ?? now - 30 * DAY);
    const rows = await deps.store.listAttempts({ from, to: now + 1, limit: 10_000 });
    const exceptions = [];
    for (const row of rows) {
      if (!row.decision || !row.decision.includes('"exceptions"')) continue;
      const d = JSON.parse(row.decision) as { candidates?: { deploymentId: string; exceptions?: string[] }[]; exceptions?: { clauseId: string; reason: string }[] };
      const served = d.candidates?.find((c) => c.deploymentId === row.deploymentId);
      for (const ref of served?.exceptions ?? []) {
        exceptions.push({ at: row.startedAt, requestId: row.requestId, attemptNo: row.attemptNo, clauseId: ref, deploymentId: row.deploymentId, status: row.status, reason: d.exceptions?.find((e) => e.clauseId === ref)?.reason ?? '' });
      }
    }
    // A violation would be an attempt served against a fail-closed clause: the policy never
    // allows one, so this stays 0 unless the engine is bypassed.
    sendJson(res, 200, { exceptions, violations: 0 });
  });
}
