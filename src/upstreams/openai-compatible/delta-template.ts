// Most frames of a streamed answer are the same bytes as the one before except the text of
// `delta.content`: `{"id":…,"choices":[{"index":0,"delta":{"content":"<text>"},…}]}`. JSON.parse
// of each was the largest item of Treaty's own CPU per streamed chunk (~7 % of it). Once a frame
// that carried one plain content delta has been parsed, its bytes before and after the text are
// kept; a later frame with the same bytes around a text that needs no unescaping (no quote,
// backslash or control character) is that frame with another text, so its one event is known
// without parsing it. Anything else takes the parse as before.
//
// The split is checked when it is learnt, not assumed: the kept bytes around a marker text must
// parse to exactly one content delta carrying the marker. A text without a quote cannot close
// the string it sits in, so every frame of that form parses the same way around it.

import type { StreamEvent } from '../../domain/chat.js';
import { chunkEvents, newChunkState } from './chunk-events.js';
import type { WireCompletion } from './wire-types.js';

/** Valid inside a JSON string as it stands and needs no unescaping: no quote, backslash or control character. */
function raw(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
const MARKER = 'treaty-delta-template-marker';
/** Learning costs a parse; a stream whose frames keep changing around their text stops trying. */
const MAX_MISSES = 4;

type Delta = Extract<StreamEvent, { kind: 'delta' }>;

export class DeltaTemplate {
  private prefix = '';
  private suffix = '';
  private choiceIndex = 0;
  private armed = false;
  /** The last frame matched the kept bytes around its text (whether or not its text could be taken raw). */
  private around = false;
  private misses = 0;

  /** The frame's one event if `data` is the learnt frame around another text, else undefined. */
  match(data: string): Delta | undefined {
    this.around = this.armed && data.length > this.prefix.length + this.suffix.length && data.startsWith(this.prefix) && data.endsWith(this.suffix);
    if (!this.around) return undefined;
    const text = data.slice(this.prefix.length, data.length - this.suffix.length);
    if (!raw(text)) return undefined;
    return { kind: 'delta', choiceIndex: this.choiceIndex, content: text };
  }

  /** After `data` was parsed into `events`: keep its surroundings if it was one plain content delta. */
  learn(data: string, chunk: WireCompletion, events: readonly StreamEvent[]): void {
    // Same surroundings, a text with escapes (a newline, a quote): the kept bytes still hold.
    if (this.around || this.misses >= MAX_MISSES) return;
    if (this.armed) this.misses++;
    this.armed = false;
    const e = events.length === 1 ? events[0]! : undefined;
    if (e?.kind !== 'delta' || e.content === undefined || e.role !== undefined || e.refusal !== undefined || e.toolCalls !== undefined || e.extra !== undefined) return;
    if (chunk.usage !== undefined && chunk.usage !== null) return;
    // The text as JSON writes it, found once in the frame (a server that escapes it otherwise,
    // or a text that also spells a key, is not learnt); checks() proves the split either way.
    const literal = JSON.stringify(e.content);
    const at = data.indexOf(literal);
    if (at === -1 || data.indexOf(literal, at + 1) !== -1) return;
    const prefix = data.slice(0, at + 1);
    const suffix = data.slice(at + literal.length - 1);
    if (!checks(prefix, suffix, e.choiceIndex)) return;
    this.prefix = prefix;
    this.suffix = suffix;
    this.choiceIndex = e.choiceIndex;
    this.armed = true;
  }
}

/** The kept bytes around a marker parse to exactly one content delta of this choice carrying the marker, as a fresh stream would see it after its first frame. */
function checks(prefix: string, suffix: string, choiceIndex: number): boolean {
  let chunk: unknown;
  try {
    chunk = JSON.parse(prefix + MARKER + suffix);
  } catch {
    return false;
  }
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) return false;
  // A state that has already seen this stream's identity and extras, as the decoder's has by now.
  const st = newChunkState();
  st.identitySent = st.sawAnswer = true;
  for (const k of Object.keys(chunk)) st.metaKeys.add(k);
  const out: StreamEvent[] = [];
  chunkEvents(chunk as WireCompletion, st, out);
  const e = out.length === 1 ? out[0]! : undefined;
  return e?.kind === 'delta' && e.choiceIndex === choiceIndex && e.content === MARKER && Object.keys(e).length === 3 && st.pendingUsage === undefined && st.finished.size === 0;
}
