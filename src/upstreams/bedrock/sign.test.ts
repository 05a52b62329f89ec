// SigV4 known-answer tests. The expected signature is computed here by hand with node:crypto
// (not with the signer under test), so a wrong canonical URI cannot agree with itself.

import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TEST_CREDENTIALS, testDeployment } from './fixtures/deployment.js';
import { createBedrockAdapter } from './index.js';

const AT = new Date('2025-01-01T12:00:00Z');
const adapter = createBedrockAdapter({ now: () => AT });
const req = { model: 'frontier', messages: [{ role: 'user' as const, content: 'Hi' }], stream: false, includeUsage: false, passthrough: {} };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();

function expectedSignature(o: { canonicalUri: string; host: string; body: string; region: string; extraHeaders?: Record<string, string> }): string {
  const headers: Record<string, string> = { 'content-type': 'application/json', host: o.host, 'x-amz-date': '20250101T120000Z', ...o.extraHeaders };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', o.canonicalUri, '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha(o.body)].join('\n');
  const scope = `20250101/${o.region}/bedrock/aws4_request`;
  const key = hmac(hmac(hmac(hmac(`AWS4${TEST_CREDENTIALS.secretAccessKey}`, '20250101'), o.region), 'bedrock'), 'aws4_request');
  return createHmac('sha256', key).update(['AWS4-HMAC-SHA256', '20250101T120000Z', scope, sha(canonical)].join('\n')).digest('hex');
}

describe('bedrock SigV4 signing', () => {
  it('sends the model id once-encoded on the wire and signs it twice-encoded', async () => {
    const out = await adapter.bind(testDeployment()).encodeChat(req, { wantUsage: true });
    expect(out.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    const signature = expectedSignature({ canonicalUri: '/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse', host: '127.0.0.1:4102', body: out.body as string, region: 'us-east-1' });
    expect(out.headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
    );
    expect(out.headers['x-amz-date']).toBe('20250101T120000Z');
    expect(out.headers.host).toBeUndefined();
  });

  it('double-encodes the %2F of an inference-profile ARN model id as well', async () => {
    const arn = 'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0';
    const out = await adapter.bind(testDeployment({ upstreamModel: arn, region: 'eu-west-1' })).encodeChat(req, { wantUsage: true });
    expect(out.path).toBe(`/model/${encodeURIComponent(arn)}/converse`);
    const canonicalUri = `/model/${encodeURIComponent(encodeURIComponent(arn))}/converse`;
    expect(out.headers.authorization).toContain(`Signature=${expectedSignature({ canonicalUri, host: '127.0.0.1:4102', body: out.body as string, region: 'eu-west-1' })}`);
  });

  it('signs the host without a port for a default-port https endpoint, as the HTTP client sends it', async () => {
    const out = await adapter.bind(testDeployment({ baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com' })).encodeChat(req, { wantUsage: true });
    const canonicalUri = '/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse';
    expect(out.headers.authorization).toContain(`Signature=${expectedSignature({ canonicalUri, host: 'bedrock-runtime.us-east-1.amazonaws.com', body: out.body as string, region: 'us-east-1' })}`);
  });

  it('adds and signs x-amz-security-token for temporary credentials', async () => {
    const out = await adapter.bind(testDeployment({}, { sessionToken: 'FwoGZXIvYXdzEXAMPLE' })).encodeChat(req, { wantUsage: true });
    expect(out.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEXAMPLE');
    expect(out.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,');
  });

  it('uses the Bedrock API key as a bearer token instead of SigV4 when one is set', async () => {
    const out = await adapter.bind(testDeployment({}, { apiKey: 'bedrock-api-key-EXAMPLE' })).encodeChat(req, { wantUsage: true });
    expect(out.headers.authorization).toBe('Bearer bedrock-api-key-EXAMPLE');
    expect(out.headers['x-amz-date']).toBeUndefined();
  });

  it('refuses to bind a deployment with no usable credentials, naming the options but no values', () => {
    expect(() => adapter.bind(testDeployment({}, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: '' }))).toThrow(/apiKey, or accessKeyId and secretAccessKey/);
  });
});
