// What this replica knows about each deployment right now: requests in flight and a latency
// EWMA, the inputs of the balancer.

import { updateEwma } from '../routing/balancer.js';

interface Stat {
  outstanding: number;
  ewmaMs: number | undefined;
}

export class DeploymentStats {
  private readonly stats = new Map<string, Stat>();

  private get(id: string): Stat {
    let s = this.stats.get(id);
    if (!s) {
      s = { outstanding: 0, ewmaMs: undefined };
      this.stats.set(id, s);
    }
    return s;
  }

  begin(id: string): void {
    this.get(id).outstanding++;
  }

  end(id: string, latencyMs: number | undefined): void {
    const s = this.get(id);
    s.outstanding = Math.max(0, s.outstanding - 1);
    if (latencyMs !== undefined) s.ewmaMs = updateEwma(s.ewmaMs, latencyMs);
  }

  view(id: string): Readonly<Stat> {
    return this.get(id);
  }
}
