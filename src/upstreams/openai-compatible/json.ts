// Untrusted JSON from an upstream: parse without throwing, and check shapes before reading.

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses JSON bytes, keeping the text for error messages when they are not JSON. */
export function parseJsonBytes(body: Uint8Array): { ok: true; value: unknown; text: string } | { ok: false; text: string } {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown, text };
  } catch {
    return { ok: false, text };
  }
}
