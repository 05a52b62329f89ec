// SigV4 verification, written from the AWS specification with node:crypto and sharing no
// code with the gateway's signer, so a signer bug (the classic one: signing the model id
// path encoded once instead of twice) fails here instead of agreeing with itself.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AuthConfig {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  apiKey?: string;
}

export type AuthResult = { ok: true } | { ok: false; type: string; message: string };

const SKEW_MS = 5 * 60_000;
const CORAL_SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const deny = (type: string, message: string): AuthResult => ({ ok: false, type, message });

/** RFC 3986 encoding as SigV4 defines it: everything but A-Z a-z 0-9 - _ . ~ is %XX. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Non-S3 services sign the wire path (already encoded once) encoded a second time, after normalising it. */
export function canonicalUri(rawPath: string): string {
  const out: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(uriEncode(seg));
  }
  const trailing = out.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs = rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const [k = '', v = ''] = p.split('=');
      return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))] as const;
    });
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v.join(',') : (v ?? '');
  return s.trim().replace(/\s+/g, ' ');
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** 20250101T120000Z → Date, or undefined when it is not in that form. */
function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}
const amzDate = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyRequest(req: IncomingMessage, body: Buffer, cfg: AuthConfig, now: Date): AuthResult {
  const auth = headerValue(req, 'authorization');
  if (!auth) return deny('MissingAuthenticationTokenException', 'Missing Authentication Token');
  if (/^bearer /i.test(auth)) {
    return cfg.apiKey && sameSecret(auth.slice(7).trim(), cfg.apiKey) ? { ok: true } : deny('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(auth);
  if (!m) return deny('IncompleteSignatureException', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${auth.split(' ')[0]}`);
  const [, credential, signedList, signature] = m as unknown as [string, string, string, string];
  const [akid, day, region, service, terminator] = credential.split('/');
  if (akid !== cfg.credentials.accessKeyId) return deny('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (terminator !== 'aws4_request' || !day) return deny('IncompleteSignatureException', 'Credential should be scoped with a valid terminator: \'aws4_request\'.');
  if (service !== 'bedrock') return deny('InvalidSignatureException', `Credential should be scoped to correct service: 'bedrock'. `);
  if (region !== cfg.region) return deny('InvalidSignatureException', `Credential should be scoped to a valid region. `);

  const signed = signedList.split(';');
  // Over HTTP/2 the SDK signs :authority instead of host; either names the endpoint.
  if (!signed.includes('host') && !signed.includes(':authority')) return deny('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  const dateHeader = headerValue(req, 'x-amz-date');
  const at = parseAmzDate(dateHeader);
  if (!at) return deny('IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  if (at.getTime() < now.getTime() - SKEW_MS) {
    return deny('InvalidSignatureException', `Signature expired: ${dateHeader} is now earlier than ${amzDate(new Date(now.getTime() - SKEW_MS))} (${amzDate(now)} - 5 min.)`);
  }
  if (at.getTime() > now.getTime() + SKEW_MS) {
    return deny('InvalidSignatureException', `Signature not yet current: ${dateHeader} is still later than ${amzDate(new Date(now.getTime() + SKEW_MS))} (${amzDate(now)} + 5 min.)`);
  }
  if (dateHeader.slice(0, 8) !== day) {
    return deny('InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${dateHeader.slice(0, 8)}', from 'X-Amz-Date'.`);
  }

  const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?');
  const canonical = [
    req.method ?? 'POST',
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    ...signed.map((h) => `${h}:${headerValue(req, h)}`),
    '',
    signedList,
    sha256(body),
  ].join('\n');
  const scope = `${day}/${region}/bedrock/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', dateHeader, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${cfg.credentials.secretAccessKey}`, day), region), 'bedrock'), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return sameSecret(expected, signature) ? { ok: true } : deny('InvalidSignatureException', CORAL_SIGNATURE_MISMATCH);
}
