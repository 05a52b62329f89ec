// Token estimates for usage the provider never reported (a cut stream, a crash, a client
// that left). Counted with a real BPE tokenizer (o200k) rather than characters/4, and always
// flagged as estimated by the caller: an estimate is never passed off as a reported figure.

import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage, ChatRequest } from '../domain/chat.js';

/** Per-message framing overhead in OpenAI's chat format (role and separators). */
const PER_MESSAGE = 4;
const PER_REPLY = 3;

function messageText(m: ChatMessage): string {
  let text = typeof m.content === 'string' ? m.content : '';
  if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'text') text += p.text;
  if (m.tool_calls) for (const c of m.tool_calls) text += c.function.name + c.function.arguments;
  return text;
}

export function estimatePromptTokens(req: Pick<ChatRequest, 'messages' | 'tools'>): number {
  let n = PER_REPLY;
  for (const m of req.messages) n += PER_MESSAGE + countTokens(messageText(m));
  if (req.tools?.length) n += countTokens(JSON.stringify(req.tools));
  return n;
}

export function estimateTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}
