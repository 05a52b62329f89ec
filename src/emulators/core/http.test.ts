import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pathOf, readBody } from './http.js';

describe('emulator HTTP plumbing', () => {
  it('takes the path of a request target without its query, normalising escapes and dot segments as URL does', () => {
    expect(pathOf('/v1/chat/completions')).toBe('/v1/chat/completions');
    expect(pathOf('/v1/models?limit=2')).toBe('/v1/models');
    expect(pathOf(undefined)).toBe('/');
    expect(pathOf('/v1/models/gpt-4o%2Dmini')).toBe('/v1/models/gpt-4o%2Dmini');
    expect(pathOf('/v1/x/../chat/completions')).toBe('/v1/chat/completions');
    expect(pathOf('/openai/deployments/d/chat/completions?api-version=2024-10-21')).toBe('/openai/deployments/d/chat/completions');
  });

  let server: Server | undefined;
  afterEach(() => server?.close());

  const serve = async (onBody: (r: Promise<Buffer>) => void): Promise<number> => {
    server = createServer((req, res) => {
      const body = readBody(req);
      onBody(body);
      body.then((b) => res.end(String(b.length)), () => res.end());
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  };

  it('reads a body sent in several chunks whole', async () => {
    let got: Promise<Buffer> | undefined;
    const port = await serve((b) => (got = b));
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'transfer-encoding': 'chunked' } });
    const answered = new Promise<string>((resolve) => req.on('response', (res) => { let t = ''; res.on('data', (c: Buffer) => (t += c)); res.on('end', () => resolve(t)); }));
    req.write('a'.repeat(1000));
    await new Promise((r) => setTimeout(r, 5));
    req.end('b'.repeat(500));
    expect(await answered).toBe('1500');
    expect((await got!).toString()).toBe('a'.repeat(1000) + 'b'.repeat(500));
  });

  it('rejects, instead of waiting forever, when the peer goes away in the middle of a body', async () => {
    let got: Promise<Buffer> | undefined;
    let arrived!: () => void;
    const seen = new Promise<void>((r) => (arrived = r));
    const port = await serve((b) => {
      got = b;
      arrived();
    });
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'content-length': '1000' } });
    req.on('error', () => undefined);
    req.write('x'.repeat(100));
    await seen;
    req.destroy();
    await expect(got!).rejects.toThrow();
  });
});
