import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/schema-dsl.js';
import { checkTrafficReferences, parseTrafficFile } from './traffic-file.js';

const errorsOf = (text: string): string[] => {
  try {
    parseTrafficFile(text, 't.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

const MIN = `traffic:
  start: 2026-01-01
  requestsPerMinute: 10
  mix:
    - { share: 1, model: frontier }
`;

describe('the traffic file', () => {
  it('parses the shipped example', () => {
    const tf = parseTrafficFile(readFileSync('examples/traffic.yaml', 'utf8'), 'examples/traffic.yaml');
    expect(tf.profile.startMs).toBe(Date.UTC(2026, 0, 1));
    expect(tf.profile.weight).toBe(300);
    expect(tf.profile.mix.length).toBe(8);
    expect(tf.events.map((e) => e.kind)).toEqual(['outage', 'outage', 'crunch', 'slowdown']);
    // A bare end date covers that whole day.
    expect(tf.events[2]!.endMs).toBe(Date.UTC(2026, 8, 21));
  });

  it('fills defaults: weight 1, no cycles, chat, the built-in deployment behaviour', () => {
    const tf = parseTrafficFile(MIN, 't.yaml');
    expect(tf.profile).toMatchObject({ weight: 1, growthPercentPerMonth: 0, weekendFactor: 1, daily: { amplitudePercent: 0 } });
    expect(tf.profile.mix[0]).toMatchObject({ endpoint: 'chat', tenantId: null, promptTokens: { median: 800, p95: 3000 }, maxTokens: undefined });
    expect(tf.estate).toMatchObject({ replicas: 1, deployments: [], defaults: { firstTokenMs: 400, overflow: 'rate_limited' } });
  });

  it('reports an unknown key with file:line:col and a did-you-mean hint', () => {
    expect(errorsOf(MIN.replace('requestsPerMinute', 'requestPerMinute'))).toEqual([
      't.yaml:3:3: unknown key "requestPerMinute" in traffic; did you mean "requestsPerMinute"?',
      't.yaml:2:3: traffic.requestsPerMinute is required — Real requests per minute at the start, averaged over a week (the cycles below average to 1).',
    ]);
  });

  it('rejects bad values where they are', () => {
    expect(errorsOf(MIN.replace('2026-01-01', '2026-02-30'))).toEqual(['t.yaml:2:10: not a real date (2026-02-30)']);
    expect(errorsOf(MIN.replace('2026-01-01', '2026-01-01T12:00Z'))[0]).toMatch(/^t\.yaml:2:10: start on a whole day/);
    expect(errorsOf(`${MIN}events:\n  - { kind: crunch, deployments: [x], start: 2026-02-01, end: 2026-02-02 }\n`)).toEqual(['t.yaml:7:5: a crunch needs capacityPercent (the capacity left)']);
    expect(errorsOf(`${MIN}events:\n  - { kind: outage, deployments: [x], start: 2026-02-03, end: 2026-02-01 }\n`)).toEqual(['t.yaml:7:63: the event ends before it starts']);
    expect(errorsOf(`${MIN}events:\n  - { kind: outage, deployments: [x], start: 2026-02-01, end: 2026-02-02, failure: boom }\n`)[0]).toMatch(/^t\.yaml:7:84: events\[0\]\.failure must be one of server_error/);
  });

  it('checks the names it uses against the estate, with hints', () => {
    const tf = parseTrafficFile(`${MIN}estate:\n  deployments:\n    - { id: bedrock-tm, concurrency: 3 }\n`, 't.yaml');
    expect(() => checkTrafficReferences(tf, { deployments: ['bedrock-trn'], models: ['frontier'], commitments: [] })).toThrow('t.yaml:8:13: unknown deployment "bedrock-tm"; did you mean "bedrock-trn"?');
    expect(() => checkTrafficReferences(parseTrafficFile(MIN, 't.yaml'), { deployments: [], models: ['open'], commitments: [] })).toThrow('t.yaml:5:26: unknown model "frontier"; known: open');
  });
});
