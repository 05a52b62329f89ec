import { describe, expect, it } from 'vitest';
import { createLogger, redact } from './logger.js';

describe('logger', () => {
  it('writes one JSON object per line with level, message and fields', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l)).child({ requestId: 'r1' });
    log.debug('hidden');
    log.info('served', { ms: 3 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'served', requestId: 'r1', ms: 3 });
  });

  it('redacts anything shaped like a credential, even if a caller slipped one in', () => {
    const text = 'key sk-abcdef123456 and tr-ABCDEFGHIJKLMNOPQRST, Bearer abc.def.ghi123, api-key: 0123456789abcdef, AKIAABCDEFGHIJKLMNOP, Signature=0123456789abcdef0123, arn:aws:bedrock:us-east-1:123456789012:x';
    const out = redact(text);
    for (const secret of ['sk-abcdef123456', 'tr-ABCDEFGHIJKLMNOPQRST', 'abc.def.ghi123', '0123456789abcdef,', 'AKIAABCDEFGHIJKLMNOP', '0123456789abcdef0123', 'arn:aws']) expect(out).not.toContain(secret);
    expect(out).toContain('Bearer [redacted]');
    expect(redact('nothing to see here')).toBe('nothing to see here');
  });
});
