import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-files.js';

let url = '';
let close = (): void => undefined;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treaty-static-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Treaty</title>');
  writeFileSync(join(dir, 'assets', 'app-abc.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'secret.txt'), 'nope');
  const server = createServer((req, res) => {
    void serveStatic(dir, req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, res).then((ok) => ok || res.writeHead(404).end('fallthrough'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

describe('dashboard static files', () => {
  it('serves index.html fresh and hashed assets immutably, with a strict CSP', async () => {
    const a = await request(`${url}/`);
    expect(a.statusCode).toBe(200);
    expect(a.headers['cache-control']).toBe('no-cache');
    expect(String(a.headers['content-security-policy'])).toContain("default-src 'none'");
    expect(a.headers['x-frame-options']).toBe('DENY');
    expect(await a.body.text()).toContain('<title>Treaty</title>');
    const b = await request(`${url}/assets/app-abc.js`);
    expect(b.headers['cache-control']).toContain('immutable');
    expect(b.headers['content-type']).toContain('javascript');
    await b.body.dump();
  });

  it('never serves outside its folder', async () => {
    for (const p of ['/assets/../../secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/secret.txt']) {
      const r = await request(`${url}${p}`);
      expect(await r.body.text()).not.toBe('nope');
    }
  });
});
