// A TCP relay between replicas and Redis that a test can break on purpose: `down` drops every
// connection and refuses new ones (Redis stopped); `stall` keeps connections open but stops
// relaying bytes, buffering them (a hung server or a black-holed network); `pass` relays.
// `blockSubscribers` cuts any connection that sends SUBSCRIBE (a subscriber coming back later
// than the command connection, as its own reconnect back-off can make it).

import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'down' | 'stall';

export class FaultyProxy {
  private mode: ProxyMode = 'pass';
  private subscribersBlocked = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Writes held back while stalled, in order. */
  private readonly held: (() => void)[] = [];
  private server!: Server;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  set(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'down') for (const pair of this.pairs) pair.forEach((s) => s.destroy());
    if (mode === 'pass') for (const flush of this.held.splice(0)) flush();
  }

  blockSubscribers(on: boolean): void {
    this.subscribersBlocked = on;
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) pair.forEach((s) => s.destroy());
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'down') return void client.destroy();
    const upstream = connect(this.targetPort, this.targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    const relay = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (from === client && this.subscribersBlocked && /subscribe/i.test(chunk.toString('latin1'))) return end();
        if (this.mode === 'stall' || this.held.length) this.held.push(() => void (to.destroyed || to.write(chunk)));
        else to.write(chunk);
      });
    };
    relay(client, upstream);
    relay(upstream, client);
  }
}
