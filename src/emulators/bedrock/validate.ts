// Converse request validation with the real service's messages (wire-formats.md §e), so
// adapters are forced to normalise: alternating roles starting with user, no blank text, no
// tool blocks without toolConfig, every toolUse answered, temperature and topP within 0–1.
// Then the provider-neutral PlanInput the engine plans from.

import type { PlanInput } from '../core/types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type Validated = { ok: true; input: Omit<PlanInput, 'deployment' | 'stream' | 'faultHeader'> } | { ok: false; message: string };

const constraint = (value: unknown, at: string, rule: string): string =>
  `1 validation error detected: Value '${String(value)}' at '${at}' failed to satisfy constraint: ${rule}`;

function checkInference(cfg: unknown): string | undefined {
  if (cfg === undefined) return undefined;
  if (!isObj(cfg)) return constraint(cfg, 'inferenceConfig', 'Member must be a structure');
  for (const field of ['temperature', 'topP'] as const) {
    const v = cfg[field];
    if (v === undefined) continue;
    if (typeof v !== 'number') return constraint(v, `inferenceConfig.${field}`, 'Member must be a number');
    if (v > 1) return constraint(v, `inferenceConfig.${field}`, 'Member must have value less than or equal to 1');
    if (v < 0) return constraint(v, `inferenceConfig.${field}`, 'Member must have value greater than or equal to 0');
  }
  const max = cfg.maxTokens;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    return constraint(max, 'inferenceConfig.maxTokens', 'Member must have value greater than or equal to 1');
  }
  return undefined;
}

function checkBlocks(content: Obj[], i: number, hasToolConfig: boolean): string | undefined {
  for (const [j, b] of content.entries()) {
    if (typeof b.text === 'string' && b.text.trim() === '') {
      return `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`;
    }
    if ((b.toolUse !== undefined || b.toolResult !== undefined) && !hasToolConfig) {
      return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
    }
  }
  return undefined;
}

/** Each assistant toolUse must be answered by a toolResult in the next (user) turn, and only those. */
function checkToolPairs(messages: { role: unknown; content: Obj[] }[]): string | undefined {
  for (let i = 0; i < messages.length; i++) {
    const uses = messages[i]!.content.flatMap((b) => (isObj(b.toolUse) ? [String(b.toolUse.toolUseId)] : []));
    const results = (messages[i + 1]?.content ?? []).flatMap((b) => (isObj(b.toolResult) ? [String(b.toolResult.toolUseId)] : []));
    const missing = uses.filter((id) => !results.includes(id));
    if (missing.length > 0 && i + 1 < messages.length) return `Expected toolResult blocks at messages.${i + 1}.content for the following Ids: ${missing.join(', ')}`;
    if (results.length > uses.length) return `The number of toolResult blocks at messages.${i + 1}.content exceeds the number of toolUse blocks of previous turn.`;
  }
  return undefined;
}

function checkMessages(messages: unknown, hasToolConfig: boolean): string | undefined {
  if (!Array.isArray(messages)) return constraint(null, 'messages', 'Member must not be null');
  if (messages.length === 0 || !isObj(messages[0]) || messages[0].role !== 'user') {
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  }
  for (const [i, m] of messages.entries()) {
    if (!isObj(m) || (m.role !== 'user' && m.role !== 'assistant')) return constraint(isObj(m) ? m.role : m, `messages.${i}.member.role`, 'Member must satisfy enum value set: [user, assistant]');
    if (i > 0 && (messages[i - 1] as Obj).role === m.role) {
      return 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';
    }
    if (!Array.isArray(m.content) || m.content.length === 0) return `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`;
    const blockError = checkBlocks(m.content.filter(isObj), i, hasToolConfig);
    if (blockError) return blockError;
  }
  return checkToolPairs(messages as { role: unknown; content: Obj[] }[]);
}

function textsOf(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return [];
  return blocks.filter(isObj).flatMap((b): string[] => {
    if (typeof b.text === 'string') return [b.text];
    if (isObj(b.toolResult) && Array.isArray(b.toolResult.content)) {
      return b.toolResult.content.filter(isObj).map((c) => (typeof c.text === 'string' ? c.text : JSON.stringify(c.json ?? null)));
    }
    return [];
  });
}

function toolChoiceOf(toolConfig: Obj | undefined): string | undefined {
  if (!toolConfig) return undefined;
  const c = toolConfig.toolChoice;
  if (isObj(c) && isObj(c.any)) return 'required';
  if (isObj(c) && isObj(c.tool) && typeof c.tool.name === 'string') return c.tool.name;
  return 'auto';
}

export function validateConverse(body: unknown): Validated {
  if (!isObj(body)) return { ok: false, message: constraint(null, 'body', 'Member must be a structure') };
  const toolConfig = isObj(body.toolConfig) ? body.toolConfig : undefined;
  const message = checkInference(body.inferenceConfig) ?? checkMessages(body.messages, toolConfig !== undefined);
  if (message) return { ok: false, message };
  for (const [j, s] of textsOf(body.system).entries()) {
    if (s.trim() === '') return { ok: false, message: `The text field in the SystemContentBlock object at system.${j} is blank. Add text to the text field, and try again.` };
  }

  const messages = body.messages as Obj[];
  const last = messages[messages.length - 1]!;
  const tools = Array.isArray(toolConfig?.tools) ? toolConfig.tools.filter(isObj).flatMap((t) => (isObj(t.toolSpec) && typeof t.toolSpec.name === 'string' ? [t.toolSpec.name] : [])) : [];
  const maxTokens = isObj(body.inferenceConfig) && typeof body.inferenceConfig.maxTokens === 'number' ? body.inferenceConfig.maxTokens : undefined;
  return {
    ok: true,
    input: {
      promptText: [...textsOf(body.system), ...messages.flatMap((m) => textsOf(m.content))].join('\n'),
      maxTokens,
      tools,
      toolChoice: toolChoiceOf(toolConfig),
      lastIsToolResult: last.role === 'user' && Array.isArray(last.content) && last.content.some((b) => isObj(b) && b.toolResult !== undefined),
      ...(last.role === 'assistant' ? { prefill: textsOf(last.content).join('') } : {}),
    },
  };
}
