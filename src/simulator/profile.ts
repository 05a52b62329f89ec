// A generated traffic profile: the rate at each instant (baseline × growth × daily and weekly
// cycles × bursts) and, per step, the arrivals drawn from it. The number of simulated arrivals
// is rate × step / weight with the fraction carried over (not Poisson): a weighted request
// already stands for many real ones, and Poisson noise on top would invent burstiness.

import type { TrafficProfile, MixEntry, Burst } from './traffic-file.js';
import { drawSize } from './prng.js';
import type { SimRequest, TrafficSource } from './request.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const MONTH = 30.436875 * DAY;
/** The gateway's completion budget when a client sends no max_tokens (http/routes.ts). */
const DEFAULT_MAX_TOKENS = 256;

/** Real requests per minute at instant t. */
export function rateAt(p: TrafficProfile, bursts: readonly Burst[], t: number): number {
  const months = (t - p.startMs) / MONTH;
  const growth = Math.pow(1 + p.growthPercentPerMonth / 100, months);
  const hour = (t % DAY) / 3_600_000;
  const daily = 1 + (p.daily.amplitudePercent / 100) * Math.cos((2 * Math.PI * (hour - p.daily.peakHourUtc)) / 24);
  // Monday = 0; 1970-01-01 (day 0) was a Thursday (3).
  const weekday = (Math.floor(t / DAY) + 3) % 7;
  const weekendFactor = p.weekendFactor;
  // Normalised so that a week averages to 1 and requestsPerMinute stays the weekly mean.
  const weekly = (weekday >= 5 ? weekendFactor : 1) * (7 / (5 + 2 * weekendFactor));
  let burst = 1;
  for (const b of bursts) if (t >= b.startMs && t < b.endMs) burst *= b.factor;
  return p.requestsPerMinute * growth * daily * weekly * burst;
}

export class ProfileSource implements TrafficSource {
  readonly weight: number;
  private readonly bursts: Burst[];
  private carry = 0;
  private activeDay = NaN;
  private active: { entry: MixEntry; cum: number }[] = [];
  private activeTotal = 0;

  constructor(private readonly p: TrafficProfile, horizonEndMs: number, private readonly random: () => number) {
    this.weight = p.weight;
    this.bursts = [...p.bursts];
    const rb = p.randomBursts;
    const span = horizonEndMs - p.startMs;
    const n = Math.round((rb.perMonth * span) / MONTH);
    for (let i = 0; i < n; i++) {
      const start = p.startMs + Math.floor(random() * span / MINUTE) * MINUTE;
      this.bursts.push({ startMs: start, endMs: start + rb.minutes * MINUTE, factor: rb.factor });
    }
    this.bursts.sort((a, b) => a.startMs - b.startMs);
  }

  /** The bursts in force, scheduled and random, for the output. */
  burstList(): readonly Burst[] {
    return this.bursts;
  }

  notes(): string[] {
    return [];
  }

  arrivals(fromMs: number, toMs: number): SimRequest[] {
    this.refreshMix(fromMs);
    if (this.activeTotal <= 0) return [];
    const real = rateAt(this.p, this.bursts, (fromMs + toMs) / 2) * ((toMs - fromMs) / MINUTE);
    this.carry += real / this.weight;
    const k = Math.floor(this.carry);
    this.carry -= k;
    if (k === 0) return [];
    const times: number[] = [];
    for (let i = 0; i < k; i++) times.push(fromMs + Math.floor(this.random() * (toMs - fromMs)));
    times.sort((a, b) => a - b);
    return times.map((t) => this.request(t));
  }

  private refreshMix(t: number): void {
    const day = Math.floor(t / DAY);
    if (day === this.activeDay) return;
    this.activeDay = day;
    this.active = [];
    let cum = 0;
    for (const entry of this.p.mix) {
      if (entry.share <= 0 || t < entry.fromMs || t >= entry.untilMs) continue;
      cum += entry.share;
      this.active.push({ entry, cum });
    }
    this.activeTotal = cum;
  }

  private request(t: number): SimRequest {
    const pick = this.random() * this.activeTotal;
    const m = (this.active.find((a) => pick < a.cum) ?? this.active[this.active.length - 1]!).entry;
    const chat = m.endpoint === 'chat';
    // One draw decides what the request needs (its context); its usage is the mean of up to
    // 8 draws: N real requests are not all as big as one of them, and a weighted request
    // carrying one tail draw N times would be a spike no real traffic has.
    const first = drawSize(m.promptTokens, this.random);
    const k = Math.min(this.weight, 8);
    let prompt = first;
    let completion = chat ? drawSize(m.completionTokens, this.random) : 0;
    for (let i = 1; i < k; i++) {
      prompt += drawSize(m.promptTokens, this.random);
      if (chat) completion += drawSize(m.completionTokens, this.random);
    }
    prompt = Math.round(prompt / k);
    completion = Math.round(completion / k);
    return {
      t,
      weight: this.weight,
      endpoint: m.endpoint,
      // Embeddings carry no tags or class in the gateway (it routes them with default facts).
      facts: { model: m.model, tenantId: m.tenantId, keyId: m.keyId, tags: chat ? m.tags : [], trafficClass: chat ? m.trafficClass : null, expectedTokens: { prompt, completion: chat ? m.maxTokens ?? DEFAULT_MAX_TOKENS : 0 } },
      needs: { tools: m.tools, vision: m.vision, jsonMode: m.jsonMode, minContext: first + (m.maxTokens ?? 0) },
      promptTokens: prompt,
      completionTokens: completion,
      cachedPromptTokens: Math.round((prompt * m.cachedPercent) / 100),
    };
  }
}
