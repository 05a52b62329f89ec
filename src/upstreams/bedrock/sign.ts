// Authentication headers for one request: SigV4 (service "bedrock", not "bedrock-runtime")
// or a Bedrock API key as a bearer token. The smithy signer URI-encodes the already-encoded
// path a second time (uriEscapePath, its default), which is what every AWS service except
// S3 expects: the wire path `…v1%3A0` is signed as `…v1%253A0`.

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { BedrockOptions } from './options.js';

export interface SignInput {
  baseUrl: string;
  region: string;
  path: string;
  body: string;
  /** Headers to send; only these (plus host and the x-amz-* the signer adds) are signed. */
  headers: Record<string, string>;
}

export type Signer = (input: SignInput) => Promise<Record<string, string>>;

/** Builds the signer once per bound deployment; `now` is injectable for tests. */
export function createSigner(auth: BedrockOptions['auth'], now: () => Date): Signer {
  if (auth.kind === 'bearer') {
    return async (input) => ({ ...input.headers, authorization: `Bearer ${auth.apiKey}` });
  }
  const credentials = { accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey, ...(auth.sessionToken ? { sessionToken: auth.sessionToken } : {}) };
  const signers = new Map<string, SignatureV4>();
  const signerFor = (region: string): SignatureV4 => {
    let s = signers.get(region);
    if (!s) {
      // applyChecksum false: Bedrock does not need x-amz-content-sha256, and the signed set stays minimal.
      s = new SignatureV4({ credentials, region, service: 'bedrock', sha256: Sha256, uriEscapePath: true, applyChecksum: false });
      signers.set(region, s);
    }
    return s;
  };
  return async (input) => {
    const url = new URL(input.baseUrl);
    // undici sends Host as the origin's host (port only when not the default): sign exactly that.
    const host = url.host;
    const signed = await signerFor(input.region).sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: input.path,
        query: {},
        headers: { ...input.headers, host },
        body: input.body,
      },
      { signingDate: now() },
    );
    // Host is left to the HTTP client, which derives the same value from the origin.
    const { host: _host, ...headers } = signed.headers;
    return headers;
  };
}
