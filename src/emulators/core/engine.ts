// The emulator engine: holds deployments of every emulated cloud, decides what each request
// gets (answer, error or fault), enforces capacity, and logs every attempt it receives.

import { EventEmitter } from 'node:events';
import { parseFaultHeader } from './faults.js';
import { countTokens, generateTokens } from './generator.js';
import type {
  AnswerPlan,
  AttemptOutcome,
  AttemptRecord,
  EmulatedDeploymentConfig,
  EmulatedProvider,
  FaultSpec,
  Plan,
  PlanInput,
} from './types.js';

export const DEPLOYMENT_DEFAULTS: Omit<EmulatedDeploymentConfig, 'name' | 'model'> = {
  ttftMs: 0,
  tokensPerSec: 0,
  maxConcurrency: 0,
  rpm: 0,
  tpm: 0,
  contextWindow: 128_000,
  defaultMaxTokens: 16,
  provisioned: false,
  embeddings: false,
  legacyErrorShape: false,
  faults: [],
};

interface DeploymentState {
  cfg: EmulatedDeploymentConfig;
  inFlight: number;
  /** Start times (ms) and token weights of requests admitted in the last minute. */
  window: { at: number; tokens: number }[];
}

/** Live handle on one logged attempt; the wire module reports progress and the end. */
export class AttemptHandle {
  private done = false;
  constructor(
    readonly record: AttemptRecord,
    private readonly onEnd: (h: AttemptHandle) => void,
    private readonly now: () => number,
  ) {}
  tokenSent(n = 1): void {
    this.record.completionTokensSent += n;
  }
  end(outcome: AttemptOutcome, status?: number): void {
    if (this.done) return;
    this.done = true;
    this.record.outcome = outcome;
    if (status !== undefined) this.record.status = status;
    this.record.endedAt = this.now();
    this.onEnd(this);
  }
  get ended(): boolean {
    return this.done;
  }
}

export class EmulatorEngine extends EventEmitter {
  private readonly deployments = new Map<string, DeploymentState>();
  private readonly log: AttemptRecord[] = [];
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  addDeployment(provider: EmulatedProvider, cfg: Partial<EmulatedDeploymentConfig> & { name: string; model?: string }): void {
    const full: EmulatedDeploymentConfig = { ...DEPLOYMENT_DEFAULTS, model: cfg.name, ...cfg, faults: [...(cfg.faults ?? [])] };
    this.deployments.set(key(provider, cfg.name), { cfg: full, inFlight: 0, window: [] });
  }

  deployment(provider: EmulatedProvider, name: string): EmulatedDeploymentConfig | undefined {
    return this.deployments.get(key(provider, name))?.cfg;
  }

  deploymentNames(provider: EmulatedProvider): string[] {
    const prefix = `${provider}/`;
    return [...this.deployments.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  /** Replace a deployment's standing faults (the admin call). */
  setFaults(provider: EmulatedProvider, name: string, faults: FaultSpec[]): boolean {
    const st = this.deployments.get(key(provider, name));
    if (!st) return false;
    st.cfg.faults = [...faults];
    return true;
  }

  /** Change timing or capacity at run time (the admin call). */
  patchDeployment(provider: EmulatedProvider, name: string, patch: Partial<EmulatedDeploymentConfig>): boolean {
    const st = this.deployments.get(key(provider, name));
    if (!st) return false;
    Object.assign(st.cfg, patch, { name: st.cfg.name });
    return true;
  }

  attempts(filter: { provider?: EmulatedProvider; deployment?: string } = {}): AttemptRecord[] {
    return this.log.filter(
      (r) => (!filter.provider || r.provider === filter.provider) && (!filter.deployment || r.deployment === filter.deployment),
    );
  }

  clearAttempts(): void {
    this.log.length = 0;
  }

  /** Log an attempt that was refused before planning (bad auth, unknown deployment). */
  reject(provider: EmulatedProvider, deployment: string, status: number, stream: boolean): void {
    const at = this.now();
    const rec: AttemptRecord = { seq: ++this.seq, provider, deployment, stream, startedAt: at, endedAt: at, status, outcome: 'rejected', completionTokensSent: 0 };
    this.log.push(rec);
    this.emit('attempt-end', rec);
  }

  /**
   * Decide what a request gets. The caller must end the returned handle exactly once;
   * capacity (concurrency) is held until then.
   */
  begin(provider: EmulatedProvider, input: PlanInput, requestId?: string): { plan: Plan; attempt: AttemptHandle } {
    const st = this.deployments.get(key(provider, input.deployment));
    if (!st) throw new Error(`unknown deployment ${provider}/${input.deployment}`);
    const cfg = st.cfg;
    // Parse the per-request faults first: a bad header must throw before anything is logged
    // or consumed, so the log never holds an attempt that never ends.
    const headerFaults = parseFaultHeader(input.faultHeader);
    const at = this.now();
    const promptTokens = countTokens(input.promptText);
    const record: AttemptRecord = {
      seq: ++this.seq,
      provider,
      deployment: cfg.name,
      stream: input.stream,
      startedAt: at,
      promptTokens,
      completionTokensSent: 0,
      ...(requestId ? { requestId } : {}),
      ...(input.prefill !== undefined ? { prefill: input.prefill } : {}),
    };
    this.log.push(record);
    const faults = [...this.consumeStandingFaults(st), ...headerFaults];
    const firstFault = faults.find((f) => f.fault !== 'slow_first_token') ?? faults[0];
    if (firstFault) record.fault = firstFault.fault;

    let holdsSlot = false;
    const handle = new AttemptHandle(
      record,
      (h) => {
        if (holdsSlot) st.inFlight--;
        this.emit('attempt-end', h.record);
      },
      this.now,
    );
    const plan = this.plan(st, input, promptTokens, faults, at);
    if (plan.type === 'answer' || plan.type === 'hang') {
      holdsSlot = true;
      st.inFlight++;
    }
    return { plan, attempt: handle };
  }

  private consumeStandingFaults(st: DeploymentState): FaultSpec[] {
    const active = st.cfg.faults.filter((f) => f.count === undefined || f.count > 0);
    for (const f of active) if (f.count !== undefined) f.count--;
    st.cfg.faults = st.cfg.faults.filter((f) => f.count === undefined || f.count > 0);
    return active;
  }

  private plan(st: DeploymentState, input: PlanInput, promptTokens: number, faults: FaultSpec[], at: number): Plan {
    const cfg = st.cfg;
    const has = (name: FaultSpec['fault']): FaultSpec | undefined => faults.find((f) => f.fault === name);
    if (has('reset')) return { type: 'reset' };
    if (has('hang')) return { type: 'hang' };
    if (has('auth')) return { type: 'error', error: 'auth', message: 'invalid credentials' };
    const rl = has('rate_limit');
    if (rl) return { type: 'error', error: 'rate_limit', retryAfterMs: rl.ms ?? 1000, message: 'rate limit (injected)' };
    if (has('rate_limit_no_retry_after')) return { type: 'error', error: 'rate_limit', message: 'rate limit (injected)' };
    if (has('server_error')) return { type: 'error', error: 'server_error', message: 'internal server error (injected)' };
    if (has('unavailable')) return { type: 'error', error: 'unavailable', message: 'service unavailable (injected)' };
    if (has('content_filter')) return { type: 'error', error: 'content_filter', message: 'prompt filtered (injected)' };

    const maxTokens = input.maxTokens ?? cfg.defaultMaxTokens;
    if (has('context_length') || promptTokens + maxTokens > cfg.contextWindow) {
      return {
        type: 'error',
        error: 'context_length',
        message: `This model's maximum context length is ${cfg.contextWindow} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
      };
    }
    const limited = this.capacityCheck(st, promptTokens + maxTokens, at);
    if (limited) return limited;
    return this.answer(cfg, input, promptTokens, maxTokens, faults);
  }

  private capacityCheck(st: DeploymentState, tokens: number, at: number): ErrorPlanOrUndef {
    const cfg = st.cfg;
    st.window = st.window.filter((w) => at - w.at < 60_000);
    if (cfg.maxConcurrency > 0 && st.inFlight >= cfg.maxConcurrency) {
      // Provisioned capacity sheds instantly with a short retry hint; shared capacity asks for longer.
      return { type: 'error', error: 'rate_limit', retryAfterMs: cfg.provisioned ? 200 : 1000, message: 'capacity exceeded: too many concurrent requests' };
    }
    const oldest = st.window[0];
    const waitMs = oldest ? Math.max(1, 60_000 - (at - oldest.at)) : 1000;
    if (cfg.rpm > 0 && st.window.length >= cfg.rpm) {
      return { type: 'error', error: 'rate_limit', retryAfterMs: waitMs, message: `request rate limit of ${cfg.rpm} per minute exceeded` };
    }
    const used = st.window.reduce((s, w) => s + w.tokens, 0);
    if (cfg.tpm > 0 && used + tokens > cfg.tpm) {
      return { type: 'error', error: 'rate_limit', retryAfterMs: waitMs, message: `token rate limit of ${cfg.tpm} per minute exceeded` };
    }
    st.window.push({ at, tokens });
    return undefined;
  }

  private answer(cfg: EmulatedDeploymentConfig, input: PlanInput, promptTokens: number, maxTokens: number, faults: FaultSpec[]): AnswerPlan {
    const get = (name: FaultSpec['fault']): FaultSpec | undefined => faults.find((f) => f.fault === name);
    const wantsTool =
      input.tools.length > 0 && input.toolChoice !== 'none' && !input.lastIsToolResult;
    const base = {
      promptTokens,
      ttftMs: get('slow_first_token')?.ms ?? cfg.ttftMs,
      interTokenMs: cfg.tokensPerSec > 0 ? 1000 / cfg.tokensPerSec : 0,
    };
    const plan: AnswerPlan = wantsTool
      ? (() => {
          const name = input.toolChoice && !['auto', 'required'].includes(input.toolChoice) ? input.toolChoice : input.tools[0]!;
          const args = JSON.stringify({ query: generateTokens(input.promptText, 3).join('').trim() });
          return { type: 'answer', tokens: [], toolCall: { id: `call_${hashId(input.promptText)}`, name, arguments: args }, completionTokens: countTokens(args), finishReason: 'tool_calls', ...base } as AnswerPlan;
        })()
      : (() => {
          const natural = 8 + (input.promptText.length % 9);
          const n = Math.min(natural, maxTokens);
          const filtered = get('content_filter_completion');
          const words = generateTokens(input.promptText, filtered ? Math.min(n, 2) : n);
          // Continuing a prefill: every token, the first included, carries its leading space.
          if (input.prefill !== undefined && words[0]) words[0] = ` ${words[0].toLowerCase()}`;
          return {
            type: 'answer',
            tokens: words,
            completionTokens: filtered ? Math.min(n, 2) : n,
            finishReason: filtered ? 'content_filter' : n < natural ? 'length' : 'stop',
            ...base,
          } as AnswerPlan;
        })();
    const cut = get('cut_after');
    if (cut) plan.cutAfter = cut.tokens ?? 1;
    const stall = get('stall_after');
    if (stall) plan.stallAfter = stall.tokens ?? 1;
    const mal = get('malformed_chunk');
    if (mal) plan.malformedAfter = mal.tokens ?? 1;
    if (get('malformed_first')) plan.malformedFirst = true;
    const se = get('stream_error');
    if (se) plan.streamErrorAfter = se.tokens ?? 0;
    if (get('no_done')) plan.omitTerminator = true;
    return plan;
  }
}

type ErrorPlanOrUndef = Extract<Plan, { type: 'error' }> | undefined;

function key(provider: EmulatedProvider, name: string): string {
  return `${provider}/${name}`;
}

function hashId(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
