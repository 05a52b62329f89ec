// What differs between clouds that speak the OpenAI chat wire. The OpenAI emulator is one
// dialect; the Azure emulator supplies another (errors, filter results, headers) and reuses
// the request parsing, answer building and streaming of this folder.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorEngine } from '../core/engine.js';
import type { EmulatedDeploymentConfig, EmulatedProvider, ErrorPlan } from '../core/types.js';

/** One request being served, with everything the dialect and the writers need. */
export interface ServeContext {
  engine: EmulatorEngine;
  dialect: WireDialect;
  req: IncomingMessage;
  res: ServerResponse;
  /** The value of the response's x-request-id. */
  requestId: string;
  /** The x-request-id the caller sent, if any, for the attempt log. */
  callerRequestId: string | undefined;
  /** ms timestamp the request arrived, for openai-processing-ms. */
  arrivedAt: number;
}

export type Operation = 'chat' | 'embeddings';

export interface WireDialect {
  provider: EmulatedProvider;
  /** Headers on every response (request ids, region …), plus rate-limit state when `cfg` is known. */
  headers(ctx: ServeContext, cfg?: EmulatedDeploymentConfig): Record<string, string>;
  /** Sends the engine's error plan as this cloud's error response; returns the status sent. */
  sendPlanError(ctx: ServeContext, cfg: EmulatedDeploymentConfig, plan: ErrorPlan, op: Operation): number;
  /** Top-level prompt filter results (Azure), on whole answers and a first stream frame. */
  promptFilterResults?(): unknown[];
  /** Per-choice filter results (Azure) for a frame of the given kind. */
  choiceFilterResults?(frame: 'role' | 'content' | 'finish', finishReason?: string): Record<string, unknown>;
}

export function serveContext(engine: EmulatorEngine, dialect: WireDialect, req: IncomingMessage, res: ServerResponse): ServeContext {
  const sent = req.headers['x-request-id'];
  const caller = typeof sent === 'string' && sent !== '' ? sent : undefined;
  return { engine, dialect, req, res, requestId: caller ?? `req_${randomUUID().replace(/-/g, '')}`, callerRequestId: caller, arrivedAt: Date.now() };
}
