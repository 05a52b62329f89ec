// Shutdown drains: requests in progress when the gateway is told to stop run to their end (up to
// server.shutdownGraceMs), the rest are cut, and every attempt is in the ledger with what it
// really was; no finish is refused by a ledger closed under it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open.js';
import { DEPLOYMENTS, KEYS, startHarness, type Harness } from './support/harness.js';

let h: Harness | undefined;
let dir = '';
afterEach(async () => {
  await h?.estate.close();
  h = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ h: Harness; file: string }> {
  dir = mkdtempSync(join(tmpdir(), 'treaty-shutdown-'));
  const file = join(dir, 'ledger.db');
  h = await startHarness({ ledgerUrl: `sqlite:${file}` });
  return { h, file };
}

/** A stream from the vLLM deployment, paced by the emulator; resolves with the whole body the client got. */
async function stream(h: Harness): Promise<{ headers: Promise<void>; body: Promise<string> }> {
  let gotHeaders!: () => void;
  const headers = new Promise<void>((r) => (gotHeaders = r));
  const body = request(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.client}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'only-vllm', stream: true, messages: [{ role: 'user', content: 'a long answer please' }] }),
  }).then(async (r) => {
    gotHeaders();
    let text = '';
    try {
      for await (const c of r.body) text += Buffer.from(c as Uint8Array).toString('utf8');
    } catch {
      // cut mid-stream: what arrived is the answer
    }
    return text;
  });
  return { headers, body };
}

/** A gateway on a file ledger with one stream in progress (its head received), paced at `tokensPerSec`. */
async function streaming(tokensPerSec: number): Promise<{ h: Harness; file: string; body: Promise<string> }> {
  const { h, file } = await start();
  const d = DEPLOYMENTS.vllm!;
  h.estate.engine.patchDeployment(d.provider, d.name, { tokensPerSec });
  const s = await stream(h);
  await s.headers;
  return { h, file, body: s.body };
}

async function attemptsIn(file: string) {
  const ledger = await openLedger(`sqlite:${file}`);
  try {
    return await ledger.listAttempts({ limit: 100 });
  } finally {
    await ledger.close();
  }
}

describe('shutdown', () => {
  it('a stream in progress runs to its end, then the gateway stops; its attempt is recorded ok', async () => {
    const { h, file, body } = await streaming(40);
    const t0 = Date.now();
    const closed = h.gateway.close({ graceMs: 10_000 });
    const text = await body;
    await closed;
    expect(text).toContain('data: [DONE]');
    // It waited for the stream, not for the grace.
    expect(Date.now() - t0).toBeLessThan(8_000);
    const rows = await attemptsIn(file);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'ok', usageSource: 'reported' });
    expect(h.logs.filter((l) => l.includes('ledger finish failed'))).toEqual([]);
  });

  it('past the grace the rest are cut, and still recorded: cancelled, never refused by a closed ledger', async () => {
    const { h, file, body } = await streaming(2);
    await h.gateway.close({ graceMs: 100 });
    const text = await body;
    expect(text).not.toContain('data: [DONE]');
    expect(h.logs.some((l) => l.includes('shutdown grace over'))).toBe(true);
    const rows = await attemptsIn(file);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('cancelled');
    expect(h.logs.filter((l) => l.includes('ledger finish failed'))).toEqual([]);
  });

  it('while it drains, the listener takes no new connections', async () => {
    const { h, body } = await streaming(20);
    const closed = h.gateway.close({ graceMs: 10_000 });
    await expect(request(`${h.url}/readyz`, { reset: true })).rejects.toThrow();
    await body;
    await closed;
  });
});
