// The admin key: its own secret (never a tenant key), compared in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../domain/errors.js';
import { presentedKey } from '../http/auth.js';

export class AdminAuth {
  private readonly hash: Buffer;

  constructor(adminKey: string) {
    this.hash = createHash('sha256').update(adminKey).digest();
  }

  /**
   * Throws 401 without a key, 403 with a key that is not the admin key — so a tenant's
   * virtual key gets a clear "forbidden" rather than a hint that it is unknown.
   */
  check(req: IncomingMessage): void {
    const key = presentedKey(req);
    if (!key) throw new GatewayError('TREATY_UNAUTHORIZED', 'The admin API needs the admin key: send "Authorization: Bearer <admin key>".');
    const presented = createHash('sha256').update(key).digest();
    if (!timingSafeEqual(presented, this.hash)) throw new GatewayError('TREATY_FORBIDDEN', 'This key may not use the admin API.');
  }
}
