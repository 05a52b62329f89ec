import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../config/compile.js';
import { createLogger } from '../observability/logger.js';
import { Authenticator } from './principal.js';
import { createGatewayServer, type GatewayServer, type GatewayServerDeps } from './server.js';

// Only what the listener and the key check read; the routes never get further here.
const makeConfig = (downstreamServer: 'treaty' | 'node') => ({
  server: { downstreamServer, maxInFlight: 100, maxConnections: 1000, maxBodyBytes: 1 << 20, maxMessages: 10, requestTimeoutMs: 10_000, overload: { lagTargetMs: 10, intervalMs: 50, minActive: 0, retryAfterMs: 2_500, startBudgetMs: 2 } },
  models: new Map(),
}) as unknown as GatewayConfig;
let config = makeConfig('treaty');

let server: GatewayServer | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A listener whose overload decision is the test's: `admit` sees the count of requests being worked on. */
/** Error lines the listener logged (an internal error is one). */
let errors: string[] = [];

/** Requests that got as far as the key check (the route started). */
let authenticated = 0;

async function listen(admit: (active: number) => boolean, authDisabled = false, shedding = false): Promise<string> {
  const log = createLogger('silent');
  errors = [];
  authenticated = 0;
  log.error = (msg: string) => void errors.push(msg);
  const auth = new Authenticator([], authDisabled, undefined, Date.now);
  const check = auth.authenticate.bind(auth);
  auth.authenticate = ((req: Parameters<typeof check>[0]) => {
    authenticated++;
    return check(req);
  }) as typeof auth.authenticate;
  const deps = {
    config,
    auth,
    log,
    now: Date.now,
    ready: () => true,
    overload: { admit: (active: number) => admit(active), isShedding: shedding },
  } as unknown as GatewayServerDeps;
  server = createGatewayServer(deps);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const chat = (url: string) => request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","messages":[]}' });

describe.each(['treaty', 'node'] as const)('overload shedding at the %s listener', (kind) => {
  beforeEach(() => {
    config = makeConfig(kind);
  });

  it('answers a shed request 503 with Retry-After before any work on it (no key needed to be refused)', async () => {
    const url = await listen(() => false);
    const r = await chat(url);
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('3');
    expect(r.headers['retry-after-ms']).toBe('2500');
    const body = (await r.body.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: 'no_deployment_available', type: 'service_unavailable_error' });
    expect(body.error.message).toMatch(/overloaded/);
  });

  it('counts what it refused, by reason, for the metrics', async () => {
    let admit = false;
    const url = await listen(() => admit, true);
    expect(server!.load()).toMatchObject({ inFlight: 0, active: 0, shed: { overloaded: 0, atLimit: 0 }, shedding: false });
    for (let i = 0; i < 3; i++) await (await chat(url)).body.dump();
    admit = true;
    await (await chat(url)).body.dump(); // admitted (and answered 400): not a refusal
    expect(server!.load().shed).toEqual({ overloaded: 3, atLimit: 0 });
    expect(server!.load().inFlight).toBe(0);
  });

  it('refuses a connection beyond server.maxConnections and counts it; Treaty\'s own listener says why first', async () => {
    config = { ...config, server: { ...config.server, maxConnections: 1 } };
    const url = await listen(() => true);
    const { hostname, port } = new URL(url);
    const open = (): Promise<{ text: Promise<string>; got: () => string; socket: Socket }> =>
      new Promise((resolve) => {
        let got = '';
        const socket = connect(Number(port), hostname, () => resolve({ socket, text, got: () => got }));
        socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
        const text = new Promise<string>((r) => socket.on('close', () => r(got)));
      });
    const first = await open();
    // Answered on the first connection, so the listener holds it before the second arrives.
    first.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!first.got().includes('\r\n\r\n')) await new Promise((r) => setImmediate(r));
    const second = await open();
    const text = await second.text;
    if (kind === 'treaty') {
      expect(text).toMatch(/^HTTP\/1\.1 503 /);
      expect(text).toMatch(/connection: close/i);
      expect(text).toMatch(/retry-after: 3/i);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.message).toMatch(/limit of 1 client connections/);
      expect(server!.load().connections).toBe(1);
    } else expect(text).toBe('');
    expect(server!.load().connectionsRefused).toBe(1);
    first.socket.destroy();
  });

  it('while shedding, admitted requests start through the start queue and are answered as usual', async () => {
    const url = await listen(() => true, false, true);
    const answers = await Promise.all(Array.from({ length: 20 }, async () => {
      const r = await chat(url);
      await r.body.dump();
      return r.statusCode;
    }));
    expect(answers).toEqual(Array(20).fill(401)); // started and refused for want of a key
    // Health checks are answered while shedding (they skip the start queue: see server.ts).
    const health = await request(`${url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    expect(authenticated).toBe(20);
    expect(server!.load().waitingToStart).toBe(0);
    expect(server!.load()).toMatchObject({ inFlight: 0, active: 0, waitingToStart: 0 });
    expect(errors).toEqual([]);
  });

  it('never sheds health checks', async () => {
    const url = await listen(() => false);
    for (const path of ['/healthz', '/readyz']) {
      const r = await request(`${url}${path}`);
      expect(r.statusCode).toBe(200);
      await r.body.dump();
    }
  });

  it('admitted requests go on to the routes (here: refused for want of a key)', async () => {
    const url = await listen(() => true);
    const r = await chat(url);
    expect(r.statusCode).toBe(401);
    await r.body.dump();
  });

  it('a body that cannot be read (bad chunk size) is refused as the client\'s fault, not logged as an internal error', async () => {
    const url = await listen(() => true, true);
    const { hostname, port } = new URL(url);
    const text = await new Promise<string>((resolve) => {
      let got = '';
      const socket = connect(Number(port), hostname, () => {
        socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n');
        // The route is waiting for the rest of the body when the bad chunk arrives.
        setImmediate(() => socket.write('zz\r\n'));
      });
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('close', () => resolve(got));
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([]);
    expect(server!.load().inFlight).toBe(0);
  });

  it('counts a request as being worked on until its answer starts', async () => {
    const seen: number[] = [];
    let arrive!: () => void;
    const arrived = new Promise<void>((r) => (arrive = r));
    const url = await listen((active) => {
      seen.push(active);
      arrive();
      return true;
    }, true);
    // A request whose body has not finished arriving stays in the works…
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const slow = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' }, body: Readable.from((async function* () {
      yield Buffer.from('{"model":');
      await hold;
    })()) }).catch(() => undefined);
    await arrived;
    const r = await chat(url); // …so the next one sees it; this one is answered (400: no messages) at once,
    expect(r.statusCode).toBe(400);
    await r.body.dump();
    const after = await chat(url); // …and no longer counts after.
    await after.body.dump();
    release();
    server!.closeAllConnections();
    await slow;
    expect(seen).toEqual([0, 1, 1]);
  });
});
