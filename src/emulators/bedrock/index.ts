// The emulated Bedrock Runtime: Converse and ConverseStream on /model/{modelId}/…, SigV4 (or
// a Bedrock API key) verified for real, the service's validation rules, and every attempt
// logged in the shared engine. The official AWS SDK client works against it unchanged.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorEngine } from '../core/engine.js';
import { FAULT_HEADER, parseFaultHeader } from '../core/faults.js';
import { handleEmulatorAdmin, peerGoneSignal, readBody, sendJson, type RunningServer } from '../core/http.js';
import { untilAborted, waitForCompletion } from '../core/pace.js';
import type { AnswerPlan, Plan } from '../core/types.js';
import { listenHttp1AndH2c, resetRequest } from './h2c.js';
import { converseBody, ERROR_RESPONSES, sendError } from './respond.js';
import { verifyRequest, type AuthConfig } from './sigv4.js';
import { streamAnswer } from './stream.js';
import { validateConverse } from './validate.js';

export interface BedrockEmulatorOptions {
  port?: number;
  /** The region requests must be signed for. */
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** When set, "Authorization: Bearer <apiKey>" is accepted as well as SigV4. */
  apiKey?: string;
}

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream)$/;

export async function startBedrockEmulator(engine: EmulatorEngine, opts: BedrockEmulatorOptions): Promise<RunningServer> {
  const auth: AuthConfig = { region: opts.region, credentials: opts.credentials, ...(opts.apiKey ? { apiKey: opts.apiKey } : {}) };
  return listenHttp1AndH2c((req, res) => handle(engine, auth, req, res), opts.port ?? 0);
}

async function handle(engine: EmulatorEngine, auth: AuthConfig, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const admin = handleEmulatorAdmin(engine, 'bedrock', req, res);
  if (admin) return admin;
  const requestId = randomUUID();
  const route = ROUTE.exec((req.url ?? '/').split('?')[0]!);
  const body = await readBody(req);
  if (!route || req.method !== 'POST') return sendError(res, requestId, 404, 'UnknownOperationException', 'Unknown operation');
  let modelId: string;
  try {
    modelId = decodeURIComponent(route[1]!);
  } catch {
    return sendError(res, requestId, 400, 'ValidationException', 'The provided model identifier is invalid.');
  }
  const stream = route[2] === 'converse-stream';
  const refuse = (status: number, type: string, message: string): void => {
    engine.reject('bedrock', modelId, status, stream);
    sendError(res, requestId, status, type, message);
  };

  // AWS authenticates before it looks at the resource or the body.
  const verdict = verifyRequest(req, body, auth, new Date());
  if (!verdict.ok) return refuse(403, verdict.type, verdict.message);
  if (!engine.deployment('bedrock', modelId)) return refuse(404, 'ResourceNotFoundException', ERROR_RESPONSES.not_found.message);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(400, 'SerializationException', 'Unexpected character in the request body: it is not valid JSON.');
  }
  const valid = validateConverse(parsed);
  if (!valid.ok) return refuse(400, 'ValidationException', valid.message);

  const rawFault = req.headers[FAULT_HEADER];
  const faultHeader = Array.isArray(rawFault) ? rawFault.join(',') : rawFault;
  try {
    // Checked before begin(), which would otherwise log an attempt it never ends.
    parseFaultHeader(faultHeader);
  } catch (err) {
    return refuse(400, 'ValidationException', `emulator: ${(err as Error).message}`);
  }
  // Log the caller's correlation id when it sends one (Treaty does), so tests can join the
  // emulator's attempt log with the gateway's ledger; AWS's own request id stays random.
  const correlation = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : requestId;
  const begun = engine.begin('bedrock', { ...valid.input, deployment: modelId, stream, faultHeader }, correlation);
  await render(res, begun.plan, begun.attempt, { requestId, stream, startedAt: Date.now() });
}

type Attempt = ReturnType<EmulatorEngine['begin']>['attempt'];

async function render(res: ServerResponse, plan: Plan, attempt: Attempt, ctx: { requestId: string; stream: boolean; startedAt: number }): Promise<void> {
  const signal = peerGoneSignal(res);
  switch (plan.type) {
    case 'error': {
      const e = ERROR_RESPONSES[plan.error];
      sendError(res, ctx.requestId, e.status, e.type, e.message);
      return attempt.end('error', e.status);
    }
    case 'reset':
      resetRequest(res);
      return attempt.end('reset');
    case 'hang':
      await untilAborted(signal);
      return attempt.end('hang');
    case 'answer':
      if (ctx.stream) return streamAnswer({ res, plan, attempt, signal, requestId: ctx.requestId, startedAt: ctx.startedAt });
      return answerJson(res, plan, attempt, signal, ctx);
  }
}

/** Non-streaming: stream-only faults (stream_error, no_done) do not apply; cut, stall and malformed do. */
async function answerJson(res: ServerResponse, plan: AnswerPlan, attempt: Attempt, signal: AbortSignal, ctx: { requestId: string; startedAt: number }): Promise<void> {
  if (!(await waitForCompletion(plan, signal))) return attempt.end('aborted');
  if (plan.cutAfter !== undefined) {
    resetRequest(res);
    return attempt.end('cut');
  }
  if (plan.stallAfter !== undefined) {
    await untilAborted(signal);
    return attempt.end('stalled');
  }
  const headers = { 'x-amzn-requestid': ctx.requestId };
  if (plan.malformedFirst || plan.malformedAfter !== undefined) {
    // A body cut off mid-JSON under a 200: what a proxy truncating the response looks like.
    const text = JSON.stringify(converseBody(plan, Date.now() - ctx.startedAt));
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(text.slice(0, Math.floor(text.length / 2)));
    return attempt.end('error', 200);
  }
  sendJson(res, 200, converseBody(plan, Date.now() - ctx.startedAt), headers);
  attempt.tokenSent(plan.completionTokens);
  attempt.end('ok', 200);
}
