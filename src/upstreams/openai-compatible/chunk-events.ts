// One chat.completion.chunk → the StreamEvents it carries. Stateful only in what the stream
// decoder needs to know at the end: which choices started and finished, and held-back usage.

import type { StreamEvent, Usage } from '../../domain/chat.js';
import { isRecord } from './json.js';
import { extrasOf, toFinishReason, toToolCallDeltas, toUsage } from './wire-fields.js';
import type { WireChoice, WireCompletion } from './wire-types.js';

export interface ChunkState {
  identitySent: boolean;
  /** Any content, refusal or tool-call delta was yielded (a failure now is mid-answer). */
  sawAnswer: boolean;
  seen: Set<number>;
  finished: Set<number>;
  /** Top-level extras already passed on; repeated per chunk, they would be noise. */
  metaKeys: Set<string>;
  /** Usage from a chunk that also carried choices (vLLM continuous usage, some proxies). */
  pendingUsage: Usage | undefined;
}

/** A stream's state before its first chunk. */
export function newChunkState(): ChunkState {
  return { identitySent: false, sawAnswer: false, seen: new Set(), finished: new Set(), metaKeys: new Set(), pendingUsage: undefined };
}

const TOP_LEVEL_KNOWN = new Set(['id', 'object', 'created', 'model', 'choices', 'usage']);
const CHOICE_KNOWN = new Set(['index', 'delta', 'finish_reason']);

/** Appends the events `chunk` carries to `out` (an array, not a generator: this runs per chunk). */
export function chunkEvents(chunk: WireCompletion, st: ChunkState, out: StreamEvent[]): void {
  const identity = identityOf(chunk, st);
  if (identity) out.push(identity);
  const meta = newExtras(chunk, st);
  if (meta) out.push({ kind: 'meta', extra: meta });
  // vLLM sends choices: null (or no key) on the usage chunk; Azure sends [] on its filter frame.
  let choices = 0;
  if (Array.isArray(chunk.choices)) {
    for (const c of chunk.choices) {
      if (!isRecord(c)) continue;
      choiceEvents(c as WireChoice, choices++, st, out);
    }
  }
  const usage = toUsage(chunk.usage);
  if (!usage) return;
  if (choices === 0) {
    st.pendingUsage = undefined;
    out.push({ kind: 'usage', usage });
  } else {
    st.pendingUsage = usage;
  }
}

function identityOf(chunk: WireCompletion, st: ChunkState): StreamEvent | undefined {
  if (st.identitySent) return undefined;
  // Azure's filter frame has id "", model "" and created 0: that is no identity yet.
  const id = typeof chunk.id === 'string' && chunk.id !== '' ? chunk.id : undefined;
  const model = typeof chunk.model === 'string' && chunk.model !== '' ? chunk.model : undefined;
  if (id === undefined && model === undefined) return undefined;
  st.identitySent = true;
  const ev: StreamEvent = { kind: 'identity' };
  if (id !== undefined) ev.id = id;
  if (model !== undefined) ev.model = model;
  if (typeof chunk.created === 'number' && chunk.created > 0) ev.created = chunk.created;
  return ev;
}

function newExtras(chunk: WireCompletion, st: ChunkState): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const k in chunk) {
    if (TOP_LEVEL_KNOWN.has(k) || st.metaKeys.has(k)) continue;
    const v = (chunk as Record<string, unknown>)[k];
    if (v === null || v === undefined) continue;
    st.metaKeys.add(k);
    (out ??= {})[k] = v;
  }
  return out;
}

function choiceEvents(c: WireChoice, pos: number, st: ChunkState, out: StreamEvent[]): void {
  const index = typeof c.index === 'number' ? c.index : pos;
  st.seen.add(index);
  const delta = isRecord(c.delta) ? c.delta : {};
  const ev: Extract<StreamEvent, { kind: 'delta' }> = { kind: 'delta', choiceIndex: index };
  if (delta.role === 'assistant') ev.role = 'assistant';
  if (typeof delta.content === 'string' && delta.content !== '') ev.content = delta.content;
  if (typeof delta.refusal === 'string' && delta.refusal !== '') ev.refusal = delta.refusal;
  const calls = toToolCallDeltas(delta.tool_calls);
  if (calls) ev.toolCalls = calls;
  const extra = extrasOf(c, CHOICE_KNOWN);
  const finish = toFinishReason(c.finish_reason);
  const hasDelta = ev.role !== undefined || ev.content !== undefined || ev.refusal !== undefined || calls !== undefined;
  // Extras (content_filter_results, logprobs) ride on the delta they belong to; on a bare
  // finish chunk they ride on the finish event; on an annotation-only frame, alone.
  if (extra && (hasDelta || finish === null)) ev.extra = extra;
  if (ev.content !== undefined || ev.refusal !== undefined || calls !== undefined) st.sawAnswer = true;
  if (hasDelta || ev.extra) out.push(ev);
  if (finish !== null) {
    st.finished.add(index);
    out.push(extra && !ev.extra ? { kind: 'finish', choiceIndex: index, finishReason: finish, extra } : { kind: 'finish', choiceIndex: index, finishReason: finish });
  }
}
