// The stall finder's stamps (bench/stamp-preload.mjs): a server process started with the preload
// puts on every answer, whatever way it writes its head, when the request reached the handler
// and when the head went out, on the monotonic clock the load generator reads too.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawPool } from '../bench/raw-client.js';

const PRELOAD = fileURLToPath(new URL('../bench/stamp-preload.mjs', import.meta.url));
// Answers after a 20 ms wait (so the two stamps differ), with its head as an object or a flat list.
const SERVER = `
const { createServer } = require('node:http');
const s = createServer((req, res) => setTimeout(() => {
  if (req.url === '/flat') res.writeHead(503, ['content-length', '4']);
  else res.writeHead(200, { 'content-length': 4 });
  res.end('done');
}, 20));
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

let child: ChildProcess;
let origin = '';

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', PRELOAD, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  origin = `http://127.0.0.1:${port}`;
});
afterAll(() => child.kill());

describe('bench stamp preload', () => {
  it.each(['/object', '/flat'])('stamps %s with the handler start and the head, in order, between the client sending and receiving', async (path) => {
    const pool = new RawPool(origin, 1, 'x-bench-at');
    const before = Number(process.hrtime.bigint() / 1000n);
    const r = await pool.send(RawPool.request('GET', path, new URL(origin).host, {}, Buffer.alloc(0)));
    const after = Number(process.hrtime.bigint() / 1000n);
    pool.destroy();
    expect(r.status).toBe(path === '/flat' ? 503 : 200);
    const [tin, tout] = r.header!.split(',').map(Number) as [number, number];
    expect(before).toBeLessThanOrEqual(tin);
    expect(tout - tin).toBeGreaterThanOrEqual(15_000);
    expect(tout).toBeLessThanOrEqual(after);
  });
});
