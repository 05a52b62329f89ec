// The deployment options a Bedrock deployment accepts, as plain data for the config
// validator, and their typed reading at bind time.

import type { Deployment, OptionsSpec } from '../../domain/deployment.js';

export const bedrockOptionsSpec: OptionsSpec = {
  accessKeyId: { type: 'string', secret: true, doc: 'AWS access key id used for SigV4 signing (service "bedrock"). Required unless apiKey is set.' },
  secretAccessKey: { type: 'string', secret: true, doc: 'AWS secret access key paired with accessKeyId.' },
  sessionToken: { type: 'string', secret: true, doc: 'Session token for temporary credentials; sent as x-amz-security-token and signed.' },
  apiKey: { type: 'string', secret: true, doc: 'Bedrock API key, sent as "Authorization: Bearer"; used instead of SigV4 when set.' },
  unsupportedParams: {
    type: 'enum',
    values: ['reject', 'drop'],
    default: 'reject',
    doc: 'What to do with OpenAI parameters Converse cannot express (n>1, logprobs, top_logprobs, logit_bias, seed, response_format json_object/json_schema, presence/frequency penalty, parallel_tool_calls=false): "reject" fails the request with TREATY_UNSUPPORTED_PARAMETER, "drop" leaves them out.',
  },
};

export interface BedrockOptions {
  auth: { kind: 'sigv4'; accessKeyId: string; secretAccessKey: string; sessionToken?: string } | { kind: 'bearer'; apiKey: string };
  unsupportedParams: 'reject' | 'drop';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Reads validated options. Throws (at bind time, i.e. config load) when no credentials are usable. */
export function readOptions(d: Deployment): BedrockOptions {
  const o = d.options;
  const unsupportedParams = o.unsupportedParams === 'drop' ? 'drop' : 'reject';
  const apiKey = str(o.apiKey);
  if (apiKey) return { auth: { kind: 'bearer', apiKey }, unsupportedParams };
  const accessKeyId = str(o.accessKeyId);
  const secretAccessKey = str(o.secretAccessKey);
  if (!accessKeyId || !secretAccessKey) {
    // Name the options, never their values.
    throw new Error(`deployment ${d.id}: set either apiKey, or accessKeyId and secretAccessKey`);
  }
  const sessionToken = str(o.sessionToken);
  return { auth: { kind: 'sigv4', accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }, unsupportedParams };
}
