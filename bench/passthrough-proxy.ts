// The Node floor: a minimal node:http + undici Pool pass-through proxy. Buffers the small JSON
// bodies both ways (no parse), streams only SSE, swaps the client's key for the upstream's.
// Usage: node bench/passthrough-proxy.ts <upstream origin> <port> <upstream key>
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [upstream = 'http://127.0.0.1:1', portArg = '0', key = ''] = process.argv.slice(2);
const pool = new Pool(upstream, { connections: 4096, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
const auth = `Bearer ${key}`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const ac = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    const headers = { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: auth };
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    pool.request({ method: req.method as 'POST', path: req.url ?? '/', headers, body, signal: ac.signal }).then(async (up) => {
      const type = String(up.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream')) {
        res.writeHead(up.statusCode, { 'content-type': type, 'cache-control': 'no-cache' });
        for await (const c of up.body) if (!res.write(c as Buffer)) await once(res, 'drain', { signal: ac.signal });
        res.end();
        return;
      }
      const buf = Buffer.from(await up.body.arrayBuffer());
      res.writeHead(up.statusCode, { 'content-type': type || 'application/json', 'content-length': buf.length });
      res.end(buf);
    }).catch(() => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"bad gateway"}}');
      else res.destroy();
    });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
