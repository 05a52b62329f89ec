// Cloud upstreams speak HTTPS. The gateway, as operators run it (its own process, its own
// upstream client), talks to an https upstream on 127.0.0.1 whose certificate is signed by a
// test CA handed over the standard way (NODE_EXTRA_CA_CERTS): whole answers and streams come
// through, the upstream sees SNI for the name in baseUrl, and without the CA the gateway
// refuses the upstream instead of talking to it unverified.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const KEY = 'sk-https-upstream-test-key-0000';
const CERT = new URL('../src/upstreams/http1/test-fixtures/localhost-cert.pem', import.meta.url);
const fixture = (u: URL): Buffer => readFileSync(u);

let upstream: Server | undefined;
let gateway: ChildProcess | undefined;
afterEach(async () => {
  gateway?.kill('SIGKILL');
  upstream?.closeAllConnections();
  await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
  upstream = gateway = undefined;
});

interface Seen {
  sni: (string | false | null)[];
  paths: string[];
}

async function httpsUpstream(): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { sni: [], paths: [] };
  upstream = createServer({ key: fixture(new URL('../src/upstreams/http1/test-fixtures/localhost-key.pem', import.meta.url)), cert: fixture(CERT) }, (req, res) => {
    seen.sni.push((req.socket as TLSSocket).servername);
    seen.paths.push(req.url ?? '');
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString()) as { stream?: boolean };
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'over tls' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null): string => `data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: 'stream' }, null));
      res.write(chunk({ content: 'ed over tls' }, null));
      res.write(chunk({}, 'stop'));
      res.write(`data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', () => r()));
  return { port: (upstream.address() as AddressInfo).port, seen };
}

async function startGateway(upstreamPort: number, env: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'treaty-https-'));
  const config = join(dir, 'treaty.yaml');
  writeFileSync(
    config,
    `server: { port: 0 }
auth: { keys: [{ name: t, key: env:HTTPS_TEST_KEY }] }
ledger: { url: "sqlite:${join(dir, 'ledger.db')}" }
deployments:
  - { id: tls-up, provider: openai-compatible, baseUrl: "https://localhost:${upstreamPort}/v1", model: m, prices: { usdPerMTokIn: 1, usdPerMTokOut: 2 } }
models:
  - { name: m, deployments: [tls-up] }
`,
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HTTPS_TEST_KEY: KEY, ...env } });
  gateway = proc;
  let buf = '';
  return new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"msg":"gateway listening","url":"(http:[^"]+)"/.exec(buf);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${buf}`)));
  });
}

const chat = (url: string, stream: boolean) =>
  request(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: 'hi' }] }) });

describe('an https upstream, through the gateway process', () => {
  it('verified with the CA given in NODE_EXTRA_CA_CERTS: answers and streams come through, with SNI', async () => {
    const up = await httpsUpstream();
    const url = await startGateway(up.port, { NODE_EXTRA_CA_CERTS: CERT.pathname });
    const whole = await chat(url, false);
    expect(whole.statusCode).toBe(200);
    expect(((await whole.body.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('over tls');
    const streamed = await chat(url, true);
    expect(streamed.statusCode).toBe(200);
    const text = await streamed.body.text();
    const content = text
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => (JSON.parse(f.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
      .join('');
    expect(content).toBe('streamed over tls');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(up.seen.paths).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    expect(up.seen.sni).toEqual(['localhost', 'localhost']);
  }, 30_000);

  it('without that CA the upstream is refused: an error answer, and no request reaches it', async () => {
    const up = await httpsUpstream();
    const url = await startGateway(up.port, {});
    const r = await chat(url, false);
    expect(r.statusCode).toBeGreaterThanOrEqual(500);
    const body = (await r.body.json()) as { error: { message: string } };
    // Classified as a failure to connect (nothing was sent), not as a malformed answer.
    expect(body.error.message).toMatch(/last error: connect/);
    expect(up.seen.paths).toEqual([]);
  }, 30_000);
});
