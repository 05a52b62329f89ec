// The emulator's own tiny SSE writer (it must not share the gateway's wire module, or a shared
// bug would pass unseen). Waits for 'drain' on backpressure, and stops quietly once the peer
// has gone, so a slow or vanished client never piles frames up in memory.

import type { ServerResponse } from 'node:http';

export class SseWriter {
  private lastFlush: Promise<void> = Promise.resolve();

  constructor(
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
  ) {}

  get gone(): boolean {
    return this.signal.aborted || this.res.destroyed;
  }

  /** One `data:` event carrying `value` as JSON. */
  json(value: unknown): Promise<boolean> {
    return this.raw(`data: ${JSON.stringify(value)}\n\n`);
  }

  /** Raw bytes, e.g. a deliberately malformed frame or the [DONE] terminator. */
  async raw(text: string): Promise<boolean> {
    if (this.gone) return false;
    let accepted = true;
    // The callback fires once the bytes reach the kernel (or the write fails): cut() waits on it.
    this.lastFlush = new Promise((resolve) => {
      accepted = this.res.write(text, () => resolve());
    });
    if (!accepted) await this.drained();
    return !this.gone;
  }

  /**
   * Cuts the connection after everything written so far reached the kernel. A reset (RST)
   * would make both kernels discard unread bytes, so the client would not see the tokens the
   * attempt log says were sent; closing the socket after a flush delivers them, then ends the
   * body without its terminating chunk, which every client reports as a broken stream.
   */
  async cut(): Promise<void> {
    await Promise.race([this.lastFlush, new Promise<void>((resolve) => this.res.once('close', () => resolve()))]);
    this.res.socket?.destroy();
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }
}
