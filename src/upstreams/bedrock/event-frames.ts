// The byte stream of application/vnd.amazon.eventstream → whole decoded messages. The
// smithy codec decodes and CRC-checks one complete message; reads split frames anywhere, so
// this buffers until a frame's total_len is in hand. The prelude CRC is checked as soon as
// 12 bytes are in, so a corrupted length cannot make us wait for (or buffer) gigabytes.

import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { crc32 } from 'node:zlib';

const PRELUDE = 12;
const MIN_FRAME = 16;
/** The event-stream spec caps a message at 16 MiB. */
const MAX_FRAME = 16 * 1024 * 1024;

export interface EventFrame {
  /** String-valued headers only; Bedrock sends nothing else. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export class FrameError extends Error {
  constructor(
    readonly reason: 'corrupt' | 'truncated',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;
  push(c: Uint8Array): void {
    if (c.length === 0) return;
    this.chunks.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    this.length += c.length;
  }
  /** The first `n` bytes as one buffer, without consuming them. */
  peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }
  take(n: number): Buffer {
    const out = Buffer.from(this.peek(n)); // copy: the codec keeps views into it
    this.chunks[0] = this.chunks[0]!.subarray(n);
    if (this.chunks[0].length === 0) this.chunks.shift();
    this.length -= n;
    return out;
  }
}

function decodeFrame(bytes: Buffer): EventFrame {
  let msg;
  try {
    msg = codec.decode(bytes);
  } catch (err) {
    throw new FrameError('corrupt', `undecodable event-stream frame: ${(err as Error).message}`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(msg.headers)) if (v.type === 'string') headers[k] = v.value;
  return { headers, body: msg.body };
}

export async function* readFrames(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventFrame> {
  const q = new ByteQueue();
  for await (const chunk of body) {
    q.push(chunk);
    while (q.length >= PRELUDE) {
      const prelude = q.peek(PRELUDE);
      const total = prelude.readUInt32BE(0);
      if (crc32(prelude.subarray(0, 8)) !== prelude.readUInt32BE(8)) throw new FrameError('corrupt', 'event-stream prelude CRC mismatch');
      if (total < MIN_FRAME || total > MAX_FRAME) throw new FrameError('corrupt', `event-stream frame length ${total} out of bounds`);
      if (q.length < total) break;
      yield decodeFrame(q.take(total));
    }
  }
  if (q.length > 0) throw new FrameError('truncated', `event stream ended inside a frame (${q.length} bytes pending)`);
}
