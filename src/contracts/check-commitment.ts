// Checker rule: can the configured capacity, at its prices, reach each commitment over the
// rest of its term? Capacity per counted deployment is a reservation's tokens per minute
// when one exists, else the clause's maxUsdPerHour hint; time counts only while the
// deployment is eligible for ordinary traffic (an exclusivity on its models takes it away).

import type { Deployment } from '../domain/deployment.js';
import { Spans, type CheckContext } from './check-context.js';
import type { Finding } from './findings.js';
import { partyOf, violation } from './rules.js';
import { countsToward, plannedSpend } from './schedule.js';
import { fmtEnd, fmtInstant, HOUR_MS, overlapMs } from './time.js';
import type { CommitmentClause, Segment } from './types.js';

/** Prompt:completion mix assumed when turning a tokens-per-minute capacity into dollars. */
const PROMPT_SHARE = 0.75;

const usd = (n: number): string => `$${Math.round(n).toLocaleString('en-US')}`;

interface Rate {
  usdPerHour: number;
  source: string;
}

function rateOf(ctx: CheckContext, c: CommitmentClause, d: Deployment, s: Segment): Rate | undefined {
  const r = s.index.reservationsByDeployment.get(d.id);
  if (r?.capacity.tokensPerMinute !== undefined && d.prices) {
    const perTok = (PROMPT_SHARE * d.prices.usdPerMTokIn + (1 - PROMPT_SHARE) * d.prices.usdPerMTokOut) / 1e6;
    return { usdPerHour: r.capacity.tokensPerMinute * 60 * perTok, source: `reservation ${r.ref}, ${r.capacity.tokensPerMinute} tokens/min at ${PROMPT_SHARE * 100}% prompt tokens` };
  }
  const hint = c.maxUsdPerHour[d.id];
  return hint === undefined ? undefined : { usdPerHour: hint, source: 'maxUsdPerHour' };
}

/** The window clauses that keep ordinary traffic off `d` in the segment (empty: eligible). */
function blockersOf(ctx: CheckContext, d: Deployment, s: Segment): string[] | undefined {
  const models = Object.keys(ctx.models).filter((m) => (ctx.models[m] ?? []).includes(d.id));
  if (!models.length) return undefined;
  const party = partyOf(ctx.compiled, d);
  const per = models.map((m) => (s.index.windowsByModel.get(m) ?? []).filter((c) => violation(c, d, party) !== undefined).map((c) => c.ref));
  return per.some((refs) => refs.length === 0) ? [] : [...new Set(per.flat())];
}

/** Sums what the counted deployments can spend over a time range, noting why some cannot. */
class Reachability {
  readonly unknown = new Set<string>();
  readonly sources = new Map<string, string>();
  readonly blocked = new Spans<{ dep: string; refs: string[] }>();

  constructor(
    private readonly ctx: CheckContext,
    private readonly c: CommitmentClause,
    private readonly counted: readonly Deployment[],
    private readonly inForce: (s: Segment) => boolean,
  ) {}

  /** Effective USD reachable in [from, to); `record` notes the blocked spans for the finding. */
  reach(from: number, to: number, record: boolean): number {
    let sum = 0;
    for (const s of this.ctx.compiled.segments) {
      const ms = overlapMs(s.startMs, s.endMs, from, to);
      if (ms <= 0 || !this.inForce(s)) continue;
      for (const d of this.counted) {
        const b = blockersOf(this.ctx, d, s);
        if (b === undefined) this.unknown.add(`${d.id} (in no model pool)`);
        else if (b.length && record) this.blocked.add(`${d.id}|${b.join(',')}`, Math.max(s.startMs, from), Math.min(s.endMs, to), { dep: d.id, refs: b });
        if (!b || b.length) continue;
        const rate = rateOf(this.ctx, this.c, d, s);
        if (!rate) this.unknown.add(d.id);
        else {
          this.sources.set(d.id, `${d.id} ${usd(rate.usdPerHour)}/h (${rate.source})`);
          sum += rate.usdPerHour * (1 - this.c.discountPercent / 100) * (ms / HOUR_MS);
        }
      }
    }
    return sum;
  }
}

export function checkCommitments(ctx: CheckContext): Finding[] {
  const refs = new Set(ctx.ahead.flatMap((s) => s.clauses.filter((c) => c.type === 'commitment').map((c) => c.ref)));
  return [...refs].map((ref) => checkOne(ctx, ref)).filter((f): f is Finding => f !== undefined);
}

function checkOne(ctx: CheckContext, ref: string): Finding | undefined {
  const inForce = (s: Segment): CommitmentClause | undefined => s.clauses.find((c): c is CommitmentClause => c.type === 'commitment' && c.ref === ref);
  // The body in force at the end is the one whose shortfall is billed.
  const c = [...ctx.ahead].reverse().map(inForce).find((x) => x !== undefined)!;
  const counted = ctx.deployments.filter((d) => countsToward(c, d));
  if (!counted.length) {
    return { severity: 'error', code: 'COMMITMENT_UNREACHABLE', where: c.where, refs: [ref], message: `${ref}: no configured deployment counts toward it (accounts ${c.countsToward.accounts.join(', ') || '—'}, deployments ${c.countsToward.deployments.join(', ') || '—'}), so nothing can be spent toward ${usd(c.amountUsd)}` };
  }
  const r = new Reachability(ctx, c, counted, (s) => inForce(s) !== undefined);
  const from = Math.max(ctx.now, c.termStartMs);
  const given = ctx.spentUsd?.[ref];
  const spent = given ?? Math.min(plannedSpend(c, ctx.now), r.reach(c.termStartMs, from, false));
  const needed = c.amountUsd - spent;
  const possible = r.reach(from, c.termEndMs, true);
  if (needed <= possible + 0.005) return undefined;
  const spentText = given !== undefined ? `spent so far ${usd(spent)} (ledger)` : `spent so far ${usd(spent)}, assumed: the plan or what eligible capacity allowed, whichever is less — pass the ledger's figure for an exact check`;
  const groups = new Map<string, string[]>();
  for (const b of r.blocked.spans()) {
    const key = `ineligible ${fmtInstant(b.startMs)} → ${fmtEnd(b.endMs)} because of ${b.data.refs.join(', ')}`;
    groups.set(key, [...(groups.get(key) ?? []), b.data.dep]);
  }
  const why = [...groups].map(([k, deps]) => `${deps.join(', ')} ${deps.length > 1 ? 'are' : 'is'} ${k}`);
  const unknown = r.unknown.size > 0;
  const parts = [
    `${ref} (${usd(c.amountUsd)} with ${c.partyId} by ${fmtEnd(c.termEndMs)}) cannot be reached: it needs ${usd(needed)} more from ${fmtInstant(from)}, but the deployments that count toward it can take at most ${usd(possible)}`,
    ...(why.length ? [`Why: ${why.join('; ')}`] : []),
    `Assumed: capacity ${[...r.sources.values()].join(', ') || 'none known'}, at list × (1 − ${c.discountPercent}%); ${spentText}`,
    ...(unknown ? [`Capacity unknown for ${[...r.unknown].join(', ')}: add maxUsdPerHour or a reservation`] : []),
    ...(c.shortfall === 'true-up' && !unknown ? [`A true-up of at least ${usd(needed - possible)} would be billed`] : []),
  ];
  return {
    // With capacity unknown for some deployments the gap may be an artefact: a warning.
    severity: unknown || c.shortfall === 'none' ? 'warning' : 'error',
    code: unknown ? 'COMMITMENT_UNVERIFIED' : 'COMMITMENT_UNREACHABLE',
    where: c.where,
    refs: [ref, ...new Set(r.blocked.spans().flatMap((b) => b.data.refs))],
    message: `${parts.join('. ')}.`,
  };
}
