// Event-stream frames as Bedrock writes them: string headers :message-type, :event-type (or
// :exception-type) and :content-type, and a JSON payload that is the event itself. Real
// payloads carry a random-length padding field "p" (it hides token lengths from traffic
// analysis); clients must ignore it, so we send it too.

import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: 'string' as const, value });
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Deterministic padding whose length varies with `seed`. */
export const padding = (seed: number): string => PAD.slice(0, 1 + ((seed * 7) % PAD.length));

export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: { ':event-type': str(eventType), ':content-type': str('application/json'), ':message-type': str('event') },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: { ':exception-type': str(exceptionType), ':content-type': str('application/json'), ':message-type': str('exception') },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** A well-framed event whose message CRC is wrong: what a corrupted read looks like. */
export function corruptedFrame(): Uint8Array {
  const frame = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' garbled' } });
  frame[frame.length - 1] = frame[frame.length - 1]! ^ 0xff;
  return frame;
}
