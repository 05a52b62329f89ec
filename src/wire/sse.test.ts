import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse.js';

const enc = new TextEncoder();

/** Feeds `bytes` cut at the given offsets (each piece a separate push), then ends. */
function parse(bytes: Uint8Array, cuts: number[], asBuffer = true): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    const piece = bytes.subarray(at, cut);
    out.push(...p.push(asBuffer ? Buffer.from(piece) : piece.slice()));
    at = cut;
  }
  out.push(...p.end());
  return out;
}

// Text that upstreams send: multi-byte characters (2, 3 and 4 bytes in UTF-8) inside JSON.
const STREAM = 'data: {"content":"héllo — 世界 🎉"}\n\ndata: {"content":"ünïcödé"}\n\n: keep-alive\n\ndata: [DONE]\n\n';
const EXPECTED = [{ data: '{"content":"héllo — 世界 🎉"}' }, { data: '{"content":"ünïcödé"}' }, { data: '[DONE]' }];

describe('SseParser', () => {
  it('reads the same events however the bytes are cut, even inside a character', () => {
    const bytes = enc.encode(STREAM);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(parse(bytes, [cut])).toEqual(EXPECTED);
      if (cut > 1) expect(parse(bytes, [cut - 1, cut])).toEqual(EXPECTED);
    }
  });

  it('reads a byte at a time, from Buffers and from plain Uint8Arrays', () => {
    const bytes = enc.encode(STREAM);
    const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(parse(bytes, everyByte)).toEqual(EXPECTED);
    expect(parse(bytes, everyByte, false)).toEqual(EXPECTED);
    expect(parse(bytes, [], false)).toEqual(EXPECTED);
  });

  it('drops a byte-order mark opening the stream, even split over chunks, and keeps U+FEFF elsewhere', () => {
    const bytes = enc.encode(`\uFEFF${STREAM}`);
    for (const cuts of [[], [1], [2], [3], [1, 2]]) expect(parse(bytes, cuts)).toEqual(EXPECTED);
    const inside = enc.encode('data: a\n\ndata: \uFEFFb\n\n');
    const at = inside.indexOf(0xef);
    for (const cuts of [[], [at], [at + 1], [at + 3]]) expect(parse(inside, cuts)).toEqual([{ data: 'a' }, { data: '\uFEFFb' }]);
  });

  it('turns invalid or truncated UTF-8 into U+FFFD instead of failing', () => {
    const bad = Buffer.concat([Buffer.from('data: a'), Buffer.from([0xff]), Buffer.from('b\n\n')]);
    expect(parse(bad, [])).toEqual([{ data: 'a\uFFFDb' }]);
    // A character cut off by the end of the body.
    const cut = Buffer.concat([Buffer.from('data: x'), Buffer.from([0xe4, 0xb8])]);
    expect(parse(cut, [])).toEqual([{ data: 'x\uFFFD' }]);
  });

  it('accepts \\r\\n and \\r line ends split anywhere; the last id carries over', () => {
    const bytes = enc.encode('event: message\r\nid: 7\r\ndata: é1\r\ndata: 2\r\r\ndata: 3\r\n\r\n');
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(parse(bytes, [cut])).toEqual([{ event: 'message', id: '7', data: 'é1\n2' }, { id: '7', data: '3' }]);
    }
  });
});
