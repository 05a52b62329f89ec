// For Contracts, Requests and Tenants: what the page must show, derived from an admin API
// answer, and the same read back off the page — so the fixture tests and the live tests
// compare exactly the same things.

import type { Page } from 'playwright-core';

type Row = Record<string, unknown>;
const n = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** Every [data-field][data-value] under each element matching `sel`, keyed by `keyAttr`. */
export function readFigures(page: Page, sel: string, keyAttr: string): Promise<Record<string, Record<string, number | null>>> {
  return page.$$eval(
    sel,
    (els, attr) => {
      const out: Record<string, Record<string, number | null>> = {};
      for (const el of els) {
        const row: Record<string, number | null> = {};
        for (const f of el.querySelectorAll('[data-field][data-value]')) row[f.dataset.field!] = f.dataset.value === 'null' ? null : Number(f.dataset.value);
        out[el.getAttribute(attr)!] = row;
      }
      return out;
    },
    keyAttr,
  );
}

// Contracts ---------------------------------------------------------------------------------

export const clauseStatus = (c: Row): string => (c.inForce ? 'in force' : c.waivedBy ? 'waived' : c.supersededBy ? 'superseded' : 'not in force');

export function expectedClauses(contracts: { agreements: { clauses: Row[] }[] }): Record<string, string> {
  return Object.fromEntries(contracts.agreements.flatMap((a) => a.clauses.map((c) => [c.id as string, clauseStatus(c)])));
}
export const shownClauses = (page: Page): Promise<Record<string, string>> =>
  page.$$eval('[data-agreement] tr[data-clause]', (trs) => Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-clause')!, tr.querySelector('[data-badge]')!.getAttribute('data-badge')!])));

export const expectedCommitments = (r: { commitments: Row[] }) =>
  Object.fromEntries(r.commitments.map((c) => [c.clauseId, { amountUsd: n(c.amountUsd), toDateUsd: n(c.toDateUsd), planToDateUsd: n(c.planToDateUsd), forecastAtEndUsd: n(c.forecastAtEndUsd), shortfallUsd: n(c.shortfallUsd) }]));
export const shownCommitments = (page: Page) => readFigures(page, '[data-commitment]', 'data-commitment');

export const expectedShares = (r: { shares: Row[] }) =>
  Object.fromEntries(r.shares.map((s) => [s.clauseId, { floor: s.minPercent, bars: (s.periods as Row[]).map((p) => n(p.percent)) }]));
export const shownShares = (page: Page) =>
  page.$$eval('[data-share]', (els) =>
    Object.fromEntries(els.map((el) => [el.getAttribute('data-share')!, {
      floor: Number(el.querySelector('[data-floor]')?.getAttribute('data-floor')),
      bars: [...el.querySelectorAll('[data-bar]')].map((b) => (b.getAttribute('data-value') === 'null' ? null : Number(b.getAttribute('data-value')))),
    }])),
  );

export const expectedReservations = (r: { reservations: Row[] }) =>
  Object.fromEntries(r.reservations.map((x) => [x.clauseId, { usdPerPeriod: n(x.usdPerPeriod), utilisation: n(x.utilisation), spillovers: n(x.spillovers) }]));
export const shownReservations = (page: Page) => readFigures(page, 'tr[data-reservation]', 'data-reservation');

// Requests ----------------------------------------------------------------------------------

/** The figures an attempt row shows: tokens, cost, and the timings derived from its times. */
export function expectedAttempt(r: Row): Record<string, number | null> {
  const started = r.startedAt as number;
  return {
    startedAt: started,
    ttfbMs: typeof r.firstByteAt === 'number' ? r.firstByteAt - started : null,
    durationMs: typeof r.endedAt === 'number' ? r.endedAt - started : null,
    promptTokens: n(r.promptTokens),
    completionTokens: n(r.completionTokens),
    effectiveCostUsd: n(r.effectiveCostUsd),
    listCostUsd: n(r.listCostUsd),
  };
}
export const shownAttemptRows = (page: Page) =>
  page.$$eval('tr[data-request][data-attempt]', (trs) =>
    trs.map((tr) => {
      const row: Record<string, unknown> = { requestId: tr.getAttribute('data-request'), attemptNo: Number(tr.getAttribute('data-attempt')) };
      for (const f of tr.querySelectorAll('[data-field][data-value]')) row[f.dataset.field!] = f.dataset.value === 'null' ? null : Number(f.dataset.value);
      return row;
    }),
  );

export function expectedDecisions(detail: { attempts: Row[] }) {
  return detail.attempts.map((a) => {
    const d = a.decision as { candidates: Row[]; filtered: Row[] } | null | undefined;
    return {
      attemptNo: a.attemptNo,
      candidates: Object.fromEntries((d?.candidates ?? []).map((c) => [c.deploymentId, { score: n(c.score), ...Object.fromEntries(Object.entries((c.parts as Row) ?? {}).map(([k, v]) => [k, n(v)])) }])),
      filtered: (d?.filtered ?? []).map((f) => f.deploymentId),
    };
  });
}
export const shownDecisions = (page: Page) =>
  page.$$eval('[data-attempt]:not(tr)', (els) =>
    els.map((el) => ({
      attemptNo: Number(el.getAttribute('data-attempt')),
      candidates: Object.fromEntries([...el.querySelectorAll('tr[data-candidate]')].map((tr) => {
        const row: Record<string, number | null> = {};
        for (const f of tr.querySelectorAll('[data-field][data-value]')) row[f.dataset.field!] = f.dataset.value === 'null' ? null : Number(f.dataset.value);
        return [tr.getAttribute('data-candidate')!, row];
      })),
      filtered: [...el.querySelectorAll('tr[data-filtered]')].map((tr) => tr.getAttribute('data-filtered')),
    })),
  );

// Tenants -----------------------------------------------------------------------------------

export const expectedTenants = (r: { tenants: Row[] }) =>
  Object.fromEntries(r.tenants.map((t) => {
    const usage = (t.usage ?? {}) as Row;
    const budget = n(t.budgetUsd);
    const spent = n(usage.spentUsd);
    const row: Record<string, number | null> = { rpm: n(t.rpm), tpm: n(t.tpm), spentUsd: spent, budgetUsd: budget };
    if (budget !== null && budget > 0 && spent !== null) row.budgetUsed = spent / budget;
    if (typeof usage.reservedUsd === 'number' && usage.reservedUsd > 0) row.reservedUsd = usage.reservedUsd;
    return [t.id, row];
  }));
export const shownTenants = (page: Page) => readFigures(page, 'tr[data-tenant]', 'data-tenant');
