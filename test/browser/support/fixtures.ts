// Admin API answers shaped exactly as docs/admin-api.md gives them, for the routes this build
// may not serve yet (contracts, reports, requests, tenants) — and an estate and an hour of
// traffic with some shape to them, for the README screenshots. Times are relative to `now`.

const DAY = 86_400_000;

export function fixtures(now: number) {
  const nowMin = Math.floor(now / 60_000);
  const minutes = Array.from({ length: 60 }, (_, i) => {
    const m = nowMin - 59 + i;
    const wave = (k: number): number => Math.round(k * (1 + 0.5 * Math.sin(i / 6)));
    // Minutes 38–44: the partner's PTU deployment fails; traffic shifts to the other cloud.
    const outage = i >= 38 && i <= 44;
    return { minute: m, counts: { 'azure-partner/frontier': outage ? wave(6) : wave(60), 'aws-commit/frontier': outage ? wave(95) : wave(40), 'self-hosted/open': wave(12) }, failovers: outage ? 9 - Math.abs(41 - i) * 2 : i % 17 === 0 ? 1 : 0 };
  });
  const dep = (id: string, over: Record<string, unknown>) => ({
    id, provider: 'azure-openai', baseUrl: 'http://127.0.0.1:4101', upstreamModel: id, region: 'eastus', account: 'azure-partner', accelerator: 'nvidia-h100', weight: 1,
    capabilities: { contextWindow: 128000, tools: true, vision: true, jsonMode: true, prefill: false, chat: true, embeddings: false },
    prices: { usdPerMTokIn: 2.5, usdPerMTokOut: 10, usdPerMTokCachedIn: 1.25 }, pools: ['frontier'],
    state: 'available', until: null, reason: null, timesEjected: 0, consecutiveFailures: 0, outstanding: 1,
    attemptsPerSec: 1.3, errorRate: 0.01, p50Ms: 180, p99Ms: 420, reservation: null, ...over,
  });
  const estate = { now, deployments: [
    dep('azure-eastus-ptu', { upstreamModel: 'frontier-ptu', state: 'ejected', until: now + 24_000, reason: '5 consecutive failures, last: server_error', timesEjected: 1, consecutiveFailures: 5, outstanding: 0, attemptsPerSec: 0.4, errorRate: 0.62, reservation: { clauseId: 'partner-ptu', utilisation: 0.62 } }),
    dep('azure-eastus-std', { upstreamModel: 'frontier-std', outstanding: 3, attemptsPerSec: 1.1, errorRate: 0, p50Ms: 260, p99Ms: 610 }),
    dep('bedrock-trn', { provider: 'bedrock', upstreamModel: 'treaty.frontier-trn2-v1:0', region: 'us-east-1', account: 'aws-commit', accelerator: 'trainium2', outstanding: 4, attemptsPerSec: 1.9, errorRate: 0.004, p50Ms: 190, p99Ms: 380, reservation: { clauseId: 'aws-pt', utilisation: 0.91 } }),
    dep('bedrock-inf', { provider: 'bedrock', upstreamModel: 'treaty.frontier-inf2-v1:0', region: 'us-east-1', account: 'aws-commit', accelerator: 'inferentia2', state: 'cooling', until: now + 3_000, reason: '429 rate limited', outstanding: 1, attemptsPerSec: 1.2, errorRate: 0.08, p50Ms: 205, p99Ms: 450 }),
    dep('vllm-local', { provider: 'openai-compatible', upstreamModel: 'frontier-open', region: 'on-prem', account: 'self-hosted', accelerator: 'nvidia-a100', pools: ['open'], outstanding: 0, attemptsPerSec: 0.2, errorRate: 0, p50Ms: 90, p99Ms: 140, prices: null }),
  ] };

  const y = (yr: number, mo = 1, d = 1): number => Date.UTC(yr, mo - 1, d);
  const commitStart = y(2025, 1, 1);
  // Ends are exclusive in the API: a term to 2028-12-31 ends at 2029-01-01 00:00 UTC.
  const commitEnd = y(2029, 1, 1);
  const amount = 2_400_000;
  const days = Math.max(1, Math.floor((now - commitStart) / DAY));
  const points = Array.from({ length: days }, (_, i) => ({ t: commitStart + (i + 1) * DAY, planUsd: Math.round((amount * (i + 1) * DAY) / (commitEnd - commitStart)), actualUsd: Math.round((amount * (i + 1) * DAY * 0.93) / (commitEnd - commitStart)) }));
  const last = points[points.length - 1]!;
  const contracts = {
    version: 'sha256:9f2c0d41b7aa3e5c6d7e8f90112233445566778899aabbccddeeff0011223344', loadedAt: now - 3_600_000,
    parties: [{ id: 'partner', name: 'Partner Cloud', accounts: ['azure-partner'] }, { id: 'commit-cloud', name: 'Commit Cloud', accounts: ['aws-commit'] }],
    agreements: [
      { id: 'partner-2024', party: 'partner', term: { start: y(2024), end: y(2027, 1, 1) }, clauses: [
        { id: 'partner-exclusive-frontier', type: 'exclusivity', inForce: false, waivedBy: 'partner-amendment-1', supersededBy: null, summary: 'model frontier only via partner, 2024-01-01 → 2026-12-31', body: { model: 'frontier', window: { start: '2024-01-01', end: '2026-12-31' } } },
        { id: 'partner-preferred', type: 'preferred_share', inForce: true, waivedBy: null, supersededBy: null, summary: '≥ 60 % of enterprise traffic to partner per month', body: {} },
        { id: 'partner-ptu', type: 'reservation', inForce: true, waivedBy: null, supersededBy: null, summary: 'PTU reservation on azure-eastus-ptu, $36,000 / month', body: {} },
        { id: 'partner-early-access', type: 'early_access', inForce: true, waivedBy: null, supersededBy: null, summary: 'new frontier models via partner first, 2026-06-01 → 2026-09-30', body: { window: { from: '2026-06-01', to: '2026-09-30' } } },
      ] },
      { id: 'commit-2025', party: 'commit-cloud', term: { start: commitStart, end: commitEnd }, clauses: [
        { id: 'aws-commit-2026', type: 'commitment', inForce: true, waivedBy: null, supersededBy: null, summary: '$2.4M minimum spend over the term, even schedule, 12 % discount', body: {} },
        { id: 'aws-residency-old', type: 'residency', inForce: false, waivedBy: null, supersededBy: 'aws-residency', summary: 'us-east-1 only', body: {} },
        { id: 'aws-residency', type: 'residency', inForce: true, waivedBy: null, supersededBy: null, summary: 'eu tenants stay in eu-west-1', body: {} },
      ] },
    ],
    amendments: [{ id: 'partner-amendment-1', agreement: 'partner-2024', effective: y(2026, 6, 1), waives: ['partner-exclusive-frontier'], supersedes: [] }, { id: 'commit-amendment-1', agreement: 'commit-2025', effective: y(2025, 7, 1), waives: [], supersedes: ['aws-residency-old'] }],
    findings: [{ severity: 'warning', code: 'TREATY_CONTRACT_COMMITMENT_TIGHT', message: 'aws-commit-2026 needs 94 % of bedrock capacity for the rest of the term.' }],
  };
  const month = (k: number): { start: number; end: number } => {
    const d = new Date(now);
    return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - k, 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - k + 1, 1) };
  };
  const reports = {
    commitments: { commitments: [{ clauseId: 'aws-commit-2026', agreementId: 'commit-2025', party: 'commit-cloud', amountUsd: amount, term: { start: commitStart, end: commitEnd }, toDateUsd: last.actualUsd, planToDateUsd: last.planUsd, forecastAtEndUsd: 2_310_500, shortfallUsd: 89_500, points }] },
    shares: { shares: [{ clauseId: 'partner-preferred', party: 'partner', class: 'enterprise', minPercent: 60, periods: [7, 6, 5, 4, 3, 2, 1, 0].map((k, i) => ({ ...month(k), percent: [63.2, 61.8, 66.0, 58.4, 62.5, 64.1, 60.9, 59.1][i]!, requests: 1200 + i * 37 })) }] },
    reservations: { reservations: [{ clauseId: 'partner-ptu', deploymentId: 'azure-eastus-ptu', usdPerPeriod: 36000, utilisation: 0.62, spillovers: 12 }, { clauseId: 'aws-pt', deploymentId: 'bedrock-trn', usdPerPeriod: 21000, utilisation: 0.91, spillovers: 0 }] },
    exceptions: { exceptions: [{ at: now - 7_200_000, requestId: 'req_01HZX3', clauseId: 'aws-residency', reason: 'no compliant deployment available; served elsewhere (clause allows)', deploymentId: 'azure-eastus-std' }], violations: 0 },
  };

  const attempt = (no: number, over: Record<string, unknown>) => ({
    requestId: 'req_01HZX3', attemptNo: no, tenantId: 'research', keyId: 'key_7f3a', model: 'frontier', deploymentId: 'azure-eastus-ptu', account: 'azure-partner', region: 'eastus', stream: true,
    status: 'ok', startedAt: now - 7_200_000, firstByteAt: now - 7_200_000 + 182, endedAt: now - 7_200_000 + 1_460, httpStatus: 200, failureKind: null,
    promptTokens: 1204, completionTokens: 311, cachedPromptTokens: 1024, usageSource: 'provider', listCostUsd: 0.004595, effectiveCostUsd: 0.004044, contractVersion: contracts.version, ...over,
  });
  const decision = (picked: string) => ({
    class: 'enterprise',
    candidates: [
      { deploymentId: 'azure-eastus-ptu', score: picked === 'azure-eastus-ptu' ? 0.912 : 0.101, parts: { cost: 0.98, pacing: 0, share: 0.42, latency: 0.81 } },
      { deploymentId: 'bedrock-trn', score: 0.774, parts: { cost: 0.71, pacing: 0.28, share: 0, latency: 0.86 } },
      { deploymentId: 'azure-eastus-std', score: 0.533, parts: { cost: 0.4, pacing: 0, share: 0.42, latency: 0.64 } },
    ],
    filtered: [{ deploymentId: 'vllm-local', clauseId: 'partner-early-access', reason: 'early access: frontier only via partner until 2026-09-30' }],
    exceptions: [], ranked: ['azure-eastus-ptu', 'bedrock-trn', 'azure-eastus-std'], version: contracts.version,
  });
  const rows = [
    attempt(1, { status: 'error', httpStatus: 500, failureKind: 'server_error', endedAt: now - 7_200_000 + 95, firstByteAt: null, completionTokens: 0, promptTokens: 1204, cachedPromptTokens: 0, usageSource: 'estimated', listCostUsd: 0, effectiveCostUsd: 0 }),
    attempt(2, { deploymentId: 'bedrock-trn', account: 'aws-commit', region: 'us-east-1', startedAt: now - 7_200_000 + 120, firstByteAt: now - 7_200_000 + 330, listCostUsd: 0.004896, effectiveCostUsd: 0.004308 }),
    attempt(1, { requestId: 'req_01HZX9', tenantId: 'support-bot', keyId: 'key_91bd', stream: false, startedAt: now - 600_000, firstByteAt: now - 600_000 + 240, endedAt: now - 600_000 + 240, promptTokens: 88, completionTokens: 42, cachedPromptTokens: 0, listCostUsd: 0.00064, effectiveCostUsd: 0.00064 }),
  ];
  const details = {
    req_01HZX3: { requestId: 'req_01HZX3', attempts: [{ ...rows[0]!, decision: decision('azure-eastus-ptu') }, { ...rows[1]!, decision: { ...decision('bedrock-trn'), candidates: decision('bedrock-trn').candidates.filter((c) => c.deploymentId !== 'azure-eastus-ptu'), filtered: [...decision('bedrock-trn').filtered, { deploymentId: 'azure-eastus-ptu', clauseId: null, reason: 'already tried (server_error)' }] } }] },
    req_01HZX9: { requestId: 'req_01HZX9', attempts: [{ ...rows[2]!, decision: null }] },
  } as Record<string, unknown>;

  const tenants = [
    { id: 'research', name: 'Research', allowedModels: ['frontier', 'open'], trafficClass: 'enterprise', tags: ['eu'], rpm: 600, tpm: 400000, budgetUsd: 5000, budgetPeriod: 'month', usage: { spentUsd: 4120.55, reservedUsd: 0.31 } },
    { id: 'support-bot', name: 'Support bot', allowedModels: null, trafficClass: null, tags: [], rpm: null, tpm: null, budgetUsd: null, budgetPeriod: null, usage: { spentUsd: 212.9, reservedUsd: 0 } },
  ];
  const keys: Record<string, Record<string, unknown>[]> = {
    research: [
      { id: 'key_7f3a', name: 'notebooks', prefix: 'tr-7f3a…', createdAt: now - 40 * DAY, revokedAt: null, allowedModels: null, rpm: 120, tpm: null, budgetUsd: 1000, budgetPeriod: 'month', usage: { spentUsd: 310.2, reservedUsd: 0 } },
      { id: 'key_02c1', name: 'old-ci', prefix: 'tr-02c1…', createdAt: now - 200 * DAY, revokedAt: now - 20 * DAY, allowedModels: ['open'], rpm: null, tpm: null, budgetUsd: null, budgetPeriod: null, usage: { spentUsd: 12.4, reservedUsd: 0 } },
    ],
    'support-bot': [],
  };
  return { estate, traffic: { now, minutes }, contracts, reports, rows, details, tenants, keys };
}
