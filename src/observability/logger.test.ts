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

  it('writes the same object whatever the fields: errors, nested values, a field overriding the base', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (l) => lines.push(l)).child({ requestId: 'r1', tenant: null, stream: false });
    log.info('plain', { ms: 3, model: 'm "quoted"', skipped: undefined });
    log.warn('nested', { attempts: ['a', 'b'], err: new TypeError('boom') });
    log.error('clash', { requestId: 'r2', extra: 1 });
    log.debug('no fields');
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.every((l) => l.endsWith('}\n'))).toBe(true);
    expect(Object.keys(objs[0]!)).toEqual(['time', 'level', 'msg', 'requestId', 'tenant', 'stream', 'ms', 'model']);
    expect(objs[0]).toMatchObject({ level: 'info', msg: 'plain', requestId: 'r1', tenant: null, stream: false, ms: 3, model: 'm "quoted"' });
    expect(objs[1]).toMatchObject({ attempts: ['a', 'b'], err: { name: 'TypeError', message: 'boom' } });
    expect(Object.keys(objs[2]!)).toEqual(['time', 'level', 'msg', 'requestId', 'tenant', 'stream', 'extra']);
    expect(objs[2]).toMatchObject({ requestId: 'r2', extra: 1 });
    expect(objs[3]).toMatchObject({ level: 'debug', msg: 'no fields', requestId: 'r1' });
    expect(typeof objs[3]!.time).toBe('string');
  });

  it('redacts a credential in the base fields, the message or the fields of a line', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l)).child({ note: 'Bearer abcdefgh12345678' });
    log.info('sk-abcdef123456 leaked', { key: 'AKIAABCDEFGHIJKLMNOP' });
    expect(lines[0]).not.toMatch(/abcdefgh12345678|sk-abcdef123456|AKIAABCDEFGHIJKLMNOP/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ note: 'Bearer [redacted]' });
  });
});

