import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { hashKey } from './auth.js';
import { Authenticator } from './principal.js';

const socket = {};
const on = (key: string): IncomingMessage => ({ headers: { authorization: `Bearer ${key}` }, socket }) as unknown as IncomingMessage;

describe('authenticating keys on a kept-alive connection', () => {
  const auth = new Authenticator([{ name: 'alpha', sha256: hashKey('sk-alpha-123456') }, { name: 'beta', sha256: hashKey('sk-beta-1234567') }], false, undefined, Date.now);

  it('each request is the key it presents, whatever the same connection presented before', () => {
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
    expect(auth.authenticate(on('sk-beta-1234567'))).toMatchObject({ keyName: 'beta' });
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
  });

  it('a wrong key after a good one on the same connection is refused', async () => {
    expect(auth.authenticate(on('sk-alpha-123456'))).toMatchObject({ keyName: 'alpha' });
    await expect(Promise.resolve().then(() => auth.authenticate(on('sk-alpha-123457')))).rejects.toMatchObject({ code: 'TREATY_UNAUTHORIZED' });
  });
});
