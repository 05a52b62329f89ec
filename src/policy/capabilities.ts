// Hard filters from what a request needs: a deployment that cannot serve the request is
// never a candidate (tools, images, JSON mode, context window). Pure.

import type { ChatRequest } from '../domain/chat.js';
import type { Deployment } from '../domain/deployment.js';

export interface Requirements {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  /** Estimated prompt tokens plus the completion budget asked for. */
  minContext: number;
}

/** Rough prompt size: ~4 characters per token, the usual estimate before a tokenizer runs. */
export function estimatePromptTokens(req: ChatRequest): number {
  let chars = 0;
  for (const m of req.messages) {
    if (typeof m.content === 'string') chars += m.content.length;
    else if (m.content) for (const p of m.content) if (p.type === 'text') chars += p.text.length;
    if (m.tool_calls) for (const c of m.tool_calls) chars += c.function.arguments.length + c.function.name.length;
    chars += 4;
  }
  return Math.ceil(chars / 4);
}

export function requirementsOf(req: ChatRequest): Requirements {
  return {
    tools: (req.tools?.length ?? 0) > 0 || req.messages.some((m) => m.role === 'tool' || (m.tool_calls?.length ?? 0) > 0),
    vision: req.messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url')),
    jsonMode: req.responseFormat !== undefined && req.responseFormat.type !== 'text',
    minContext: estimatePromptTokens(req) + (req.maxTokens ?? 0),
  };
}

/** Why a deployment cannot serve the request, or undefined if it can. */
export function unmetRequirement(dep: Deployment, r: Requirements): string | undefined {
  const c = dep.capabilities;
  if (!c.chat) return 'does not serve chat';
  if (r.tools && !c.tools) return 'does not support tools';
  if (r.vision && !c.vision) return 'does not accept images';
  if (r.jsonMode && !c.jsonMode) return 'does not support JSON mode';
  if (r.minContext > c.contextWindow) return `context window ${c.contextWindow} is smaller than the ~${r.minContext} tokens needed`;
  return undefined;
}
