// Contracts through the admin API: what is in force (with the checker's findings), reload
// without a restart, and the compliance reports (computed in reports/, shared with the CLI).

import { checkAgainstConfig } from '../governance/check.js';
import { contractsView } from '../contracts/view.js';
import type { GatewayConfig } from '../config/compile.js';
import { GatewayError } from '../domain/errors.js';
import { sendJson } from '../http/body.js';
import type { LedgerStore } from '../ledger/store.js';
import type { ContractsHolder, LoadedContracts } from '../governance/contracts-holder.js';
import type { ContractGovernance } from '../governance/governance.js';
import { liveCounters } from '../governance/live-counters.js';
import { commitmentReport, exceptionReport, reservationReport, shareReport } from '../reports/compliance.js';
import { reconcileReport } from '../reports/reconcile.js';
import type { Router } from './router.js';

export interface ContractRouteDeps {
  holder: ContractsHolder;
  governance: ContractGovernance;
  config: () => GatewayConfig;
  store: LedgerStore;
  now: () => number;
  /** Re-reads the counters after a reload; false (logged) when the ledger could not be read. */
  reseed: () => Promise<boolean>;
}

const need = (h: ContractsHolder): LoadedContracts => h.get() ?? (() => { throw new GatewayError('TREATY_NOT_FOUND', 'No contracts are loaded (set contracts.file in treaty.yaml).'); })();


export function contractRoutes(r: Router, deps: ContractRouteDeps): void {
  r.on('GET', '/admin/contracts', ({ res }) => {
    const l = need(deps.holder);
    const now = deps.now();
    sendJson(res, 200, { ...contractsView(l.compiled, now), loadedAt: l.loadedAt, findings: checkAgainstConfig(l.compiled, deps.config(), now) });
  });

  // The counters the router ranks with right now (cluster-wide in cluster mode).
  r.on('GET', '/admin/contracts/counters', ({ res }) => {
    const l = need(deps.holder);
    sendJson(res, 200, { version: l.compiled.version, ...liveCounters(l.compiled, deps.governance.state, deps.now()) });
  });

  r.on('POST', '/admin/contracts/reload', async ({ res }) => {
    const result = deps.holder.reload();
    if (!result.ok) throw new GatewayError('TREATY_INVALID_REQUEST', `The new contracts were rejected; the old version stays in force. ${result.problems.join(' | ')}`);
    // The new version is in force either way; counters that could not be re-read are the
    // caller's warning, not a 500 for a reload that happened.
    const reseeded = result.changed ? await deps.reseed() : true;
    sendJson(res, 200, { ok: true, version: result.version, changed: result.changed, ...(reseeded ? {} : { warning: 'The new contracts are in force, but their counters could not be re-read from the ledger; the counts so far stay until the next reload.' }) });
  });

  r.on('GET', '/admin/reports/commitments', async ({ res }) => sendJson(res, 200, { commitments: await commitmentReport(deps.store, need(deps.holder).compiled, deps.now()) }));
  r.on('GET', '/admin/reports/shares', async ({ res }) => sendJson(res, 200, { shares: await shareReport(deps.store, need(deps.holder).compiled, deps.now()) }));
  r.on('GET', '/admin/reports/reservations', async ({ res }) => {
    const now = deps.now();
    sendJson(res, 200, { reservations: await reservationReport(deps.store, need(deps.holder).compiled, now, (ref) => deps.governance.state.reservationUsage(ref, now)) });
  });
  // The invoice view: per account and day, attempts' cost plus reserved capacity's fees.
  r.on('GET', '/admin/reports/reconcile', async ({ res, query }) => {
    const now = deps.now();
    const days = Number(query.get('days') ?? 30);
    if (!Number.isInteger(days) || days < 1 || days > 731) throw new GatewayError('TREATY_INVALID_REQUEST', '"days" must be a whole number of days from 1 to 731.', { param: 'days' });
    sendJson(res, 200, { days: await reconcileReport(deps.store, deps.holder.get()?.compiled, (id) => deps.config().deployments.get(id)?.account, now - days * 86_400_000, now + 1) });
  });
  r.on('GET', '/admin/reports/exceptions', async ({ res, query }) => {
    const now = deps.now();
    sendJson(res, 200, await exceptionReport(deps.store, Number(query.get('from') ?? now - 30 * 86_400_000), now));
  });
}
