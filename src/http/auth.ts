// Downstream authentication. Keys are stored only as SHA-256 hashes and compared in
// constant time; the key itself is never logged or echoed.

import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';
import type { DownstreamRequest } from './downstream.js';

export interface Principal {
  keyName: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function presentedKey(req: DownstreamRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1];
  }
  const apiKey = req.headers['api-key'];
  return typeof apiKey === 'string' && apiKey ? apiKey : undefined;
}

export class StaticKeyAuth {
  private readonly hashes: { name: string; hash: Buffer }[];
  constructor(
    keys: readonly { name: string; sha256: string }[],
    private readonly disabled: boolean,
  ) {
    this.hashes = keys.map((k) => ({ name: k.name, hash: Buffer.from(k.sha256, 'hex') }));
  }

  authenticate(req: DownstreamRequest): Principal {
    if (this.disabled) return { keyName: 'anonymous' };
    const key = presentedKey(req);
    if (!key) throw new GatewayError('TREATY_UNAUTHORIZED', 'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>".');
    const presented = createHash('sha256').update(key).digest();
    let match: string | undefined;
    // Compare against every key, so the time taken does not depend on which one matched.
    for (const k of this.hashes) if (timingSafeEqual(k.hash, presented) && match === undefined) match = k.name;
    if (match === undefined) throw new GatewayError('TREATY_UNAUTHORIZED', 'Incorrect API key provided. Check the key you were issued.');
    return { keyName: match };
  }
}
