// A minimal HTTP/1.1 keep-alive client on raw sockets, for the load generator's whole-answer
// requests. undici costs the load generator ~30 µs of core 0 per request; core 0 also runs the
// emulator, so at the overload phase's 2× Treaty's capacity undici alone saturated it: requests
// left late and their latency (sheds included) was the client's queue, not the gateway's.
// This client writes one prebuilt request buffer and parses only what the bench reads: the
// status, the body's length (Content-Length or chunked) and, when asked, one header.
// 127.0.0.1 only, like every bench client; no pipelining (one request per connection at a time).

import { connect, type Socket } from 'node:net';

export interface RawReply {
  status: number;
  bytes: number;
  /** The value of the header asked for (`wantHeader`), if the response had it. */
  header: string | undefined;
}

interface Pending {
  resolve: (r: RawReply) => void;
  reject: (e: Error) => void;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** One keep-alive connection: at most one request in flight. */
class Conn {
  private sock: Socket | undefined;
  private buf: Buffer | undefined;
  private pending: Pending | undefined;
  /** Parse state of the response in progress. */
  private status = 0;
  private header: string | undefined;
  private bodyStart = -1;
  private length = -1; // Content-Length; -1: chunked (or unknown until the head is in)
  private chunked = false;
  private chunkAt = 0; // chunked: where the next chunk-size line starts (from bodyStart)
  private bodyBytes = 0;
  private closeAfter = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly wantHeader: string | undefined,
    private readonly onFree: (c: Conn) => void,
  ) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port, noDelay: true });
      s.once('connect', () => {
        s.off('error', reject);
        resolve();
      });
      s.once('error', reject);
      // Only the current socket speaks for this connection: a closed one's late events (after
      // a `connection: close` reply the next request already runs on a new socket) are old news.
      s.on('data', (d: Buffer) => {
        if (this.sock === s) this.onData(d);
      });
      s.on('error', (e) => {
        if (this.sock === s) this.fail(e);
      });
      s.on('close', () => {
        if (this.sock !== s) return;
        this.sock = undefined;
        this.fail(new Error('connection closed'));
      });
      this.sock = s;
    });
  }

  async send(req: Buffer, p: Pending): Promise<void> {
    this.pending = p;
    this.status = 0;
    this.header = undefined;
    this.bodyStart = -1;
    this.length = -1;
    this.chunked = false;
    this.chunkAt = 0;
    this.bodyBytes = 0;
    this.closeAfter = false;
    try {
      if (!this.sock || this.sock.destroyed) await this.open();
      this.sock!.write(req);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  destroy(): void {
    this.sock?.destroy();
    this.sock = undefined;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    this.buf = undefined;
    if (this.sock && !this.sock.destroyed) this.sock.destroy();
    if (p) {
      p.reject(e);
      this.onFree(this);
    }
  }

  private onData(d: Buffer): void {
    if (!this.pending) return; // nothing asked: a stray byte after a response; ignore
    const buf = (this.buf = this.buf ? Buffer.concat([this.buf, d]) : d);
    if (this.bodyStart < 0) {
      const end = buf.indexOf(CRLF2);
      if (end < 0) return;
      this.bodyStart = end + 4;
      this.parseHead(buf.toString('latin1', 0, end));
    }
    if (this.chunked ? !this.chunkedDone(buf) : buf.length - this.bodyStart < this.length) return;
    if (!this.chunked) this.bodyBytes = this.length;
    const reply: RawReply = { status: this.status, bytes: this.bodyBytes, header: this.header };
    const p = this.pending;
    this.pending = undefined;
    this.buf = undefined;
    if (this.closeAfter) this.destroy();
    p.resolve(reply);
    this.onFree(this);
  }

  private parseHead(head: string): void {
    this.status = Number(head.slice(9, 12));
    let at = head.indexOf('\r\n');
    while (at >= 0) {
      const next = head.indexOf('\r\n', at + 2);
      const line = head.slice(at + 2, next < 0 ? undefined : next);
      const colon = line.indexOf(':');
      if (colon > 0) {
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'content-length') this.length = Number(value);
        else if (name === 'transfer-encoding' && /chunked/i.test(value)) this.chunked = true;
        else if (name === 'connection' && /close/i.test(value)) this.closeAfter = true;
        else if (name === this.wantHeader) this.header = value;
      }
      at = next;
    }
    if (!this.chunked && this.length < 0) this.length = 0; // no body framing on a keep-alive reply: none
  }

  /** Whether the chunked body is complete (counting its data bytes into bodyBytes). */
  private chunkedDone(buf: Buffer): boolean {
    for (;;) {
      const lineStart = this.bodyStart + this.chunkAt;
      const lineEnd = buf.indexOf(CRLF, lineStart);
      if (lineEnd < 0) return false;
      const size = parseInt(buf.toString('latin1', lineStart, lineEnd), 16);
      if (!Number.isFinite(size)) {
        // Fails this request (an exception here would escape the socket's data handler).
        this.fail(new Error('bad chunk size'));
        return false;
      }
      // The last chunk: done at the blank line that ends it (right after it, or after trailers).
      if (size === 0) return buf.indexOf(CRLF2, lineEnd) >= 0;
      const next = lineEnd + 2 + size + 2;
      if (buf.length < next) return false;
      this.bodyBytes += size;
      this.chunkAt = next - this.bodyStart;
    }
  }
}

/** A fixed set of keep-alive connections; requests beyond them wait in order for a free one. */
export class RawPool {
  private readonly free: Conn[] = [];
  private readonly waiting: { req: Buffer; p: Pending }[] = [];
  private readonly all: Conn[] = [];
  private readonly host: string;
  private readonly port: number;

  constructor(origin: string, connections: number, wantHeader?: string) {
    const u = new URL(origin);
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') throw new Error(`bench clients talk to 127.0.0.1 only, not ${u.hostname}`);
    this.host = u.hostname;
    this.port = Number(u.port);
    for (let i = 0; i < connections; i++) {
      const c = new Conn(this.host, this.port, wantHeader?.toLowerCase(), (x) => this.release(x));
      this.all.push(c);
      this.free.push(c);
    }
  }

  /**
   * Opens every connection now and has the server answer one `GET path` on each (any status
   * will do): a connection the kernel completed may still wait in the accept queue, and a busy
   * Node server accepts one per event-loop turn (see load.ts preconnect).
   */
  async connect(path = '/healthz', headers: Record<string, string> = {}): Promise<void> {
    const get = RawPool.request('GET', path, `${this.host}:${this.port}`, headers, undefined);
    // Each connection goes back to `free` when its answer is in (release), so take them out first.
    this.free.length = 0;
    await Promise.all(this.all.map((c) => new Promise<unknown>((resolve) => void c.send(get, { resolve, reject: resolve }))));
  }

  /** The request's bytes: method, path, headers and body, framed once for the whole run. */
  static request(method: string, path: string, host: string, headers: Record<string, string>, body: Buffer | undefined): Buffer {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-length' && k.toLowerCase() !== 'host') head += `${k}: ${v}\r\n`;
    head += `content-length: ${body?.length ?? 0}\r\n\r\n`;
    return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
  }

  send(req: Buffer): Promise<RawReply> {
    return new Promise((resolve, reject) => {
      const p = { resolve, reject };
      const c = this.free.pop();
      if (c) void c.send(req, p);
      else this.waiting.push({ req, p });
    });
  }

  private release(c: Conn): void {
    const w = this.waiting.shift();
    if (w) void c.send(w.req, w.p);
    else this.free.push(c);
  }

  destroy(): void {
    for (const w of this.waiting.splice(0)) w.p.reject(new Error('pool destroyed'));
    for (const c of this.all) c.destroy();
  }
}
