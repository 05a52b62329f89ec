// Server-sent events: the one parser and the one serialiser in the project. Accepts `\n`,
// `\r\n` and `\r` line ends, comment lines, multi-line data, and caps line length because
// upstream output is untrusted.

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

export class SseLineTooLongError extends Error {
  constructor(limit: number) {
    super(`SSE line longer than ${limit} bytes`);
    this.name = 'SseLineTooLongError';
  }
}

const DEFAULT_MAX_LINE = 4 * 1024 * 1024;

/** Parses a byte stream into SSE events. Yields nothing for comment-only or empty events. */
export async function* parseSse(body: AsyncIterable<Uint8Array>, maxLine = DEFAULT_MAX_LINE): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let buf = '';
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;
  let lastWasCr = false;

  const flush = (): SseEvent | undefined => {
    if (data.length === 0) {
      event = undefined;
      return undefined;
    }
    const ev: SseEvent = { data: data.join('\n') };
    if (event !== undefined) ev.event = event;
    if (id !== undefined) ev.id = id;
    data = [];
    event = undefined;
    return ev;
  };

  const takeLine = (line: string): SseEvent | undefined => {
    if (line === '') return flush();
    if (line.charCodeAt(0) === 58 /* : */) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
    return undefined;
  };

  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A \r\n pair split across chunks: the \n ends nothing new.
      if (c === 10 && i === start && lastWasCr && start === 0) {
        start = i + 1;
        lastWasCr = false;
        continue;
      }
      const ev = takeLine(buf.slice(start, i));
      if (ev) yield ev;
      if (c === 13 && buf.charCodeAt(i + 1) === 10) i++;
      lastWasCr = c === 13 && i === buf.length - 1;
      start = i + 1;
    }
    buf = buf.slice(start);
    if (buf.length > maxLine) throw new SseLineTooLongError(maxLine);
  }
  buf += decoder.decode();
  if (buf.length > 0) {
    const ev = takeLine(buf);
    if (ev) yield ev;
  }
  // A final event without its blank line still counts: some servers close right after it.
  const last = flush();
  if (last) yield last;
}

/** Serialises one `data:` event. `data` must not contain newlines (JSON.stringify never does). */
export function sseData(data: string): string {
  return `data: ${data}\n\n`;
}
