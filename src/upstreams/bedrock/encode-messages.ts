// OpenAI messages → Converse `system` + `messages`. Converse knows only user and assistant
// turns, which must alternate and start with user, and it rejects blank text blocks, so this
// module extracts system prompts, turns tool messages into user toolResult blocks, skips
// blank text and merges consecutive same-role turns.

import type { ChatMessage, ContentPart } from '../../domain/chat.js';
import { GatewayError, invalid } from '../../domain/errors.js';
import { isRecord, type ConverseBlock, type ConverseImage, type ConverseMessage, type ConverseText } from './wire-types.js';

export interface EncodedConversation {
  system: ConverseText[];
  messages: ConverseMessage[];
}

/**
 * `toolBlocks: false` renders tool calls and results as plain text: Converse refuses toolUse
 * and toolResult blocks without a toolConfig, and tool_choice "none" must send no toolConfig.
 */
export function encodeConversation(messages: readonly ChatMessage[], opts: { toolBlocks: boolean }): EncodedConversation {
  const system: ConverseText[] = [];
  const out: ConverseMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: ConverseBlock[]): void => {
    if (blocks.length === 0) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };

  messages.forEach((m, i) => {
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(textOf(m.content, i)));
        break;
      case 'user':
        push('user', userBlocks(m.content, i));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(m, i, opts.toolBlocks));
        break;
      case 'tool':
        push('user', [toolResultBlock(m, i, opts.toolBlocks)]);
        break;
    }
  });

  if (out.length === 0) throw invalid('Bedrock needs at least one user or assistant message with non-blank content.', 'messages');
  if (out[0]!.role !== 'user') {
    // Inventing a user turn would put words in the user's mouth; say what is wrong instead.
    throw invalid('Bedrock conversations must start with a user message (after system messages); the first turn here is an assistant message.', 'messages');
  }
  return { system, messages: out };
}

function textBlocks(text: string): ConverseText[] {
  return text.trim().length > 0 ? [{ text }] : [];
}

/** Text of a message that may carry only text (system, developer, tool, assistant). */
function textOf(content: ChatMessage['content'], i: number): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((p, j) => {
      if (p.type === 'text') return p.text;
      throw invalid(`messages[${i}].content[${j}]: images are only accepted in user messages.`, `messages[${i}].content`);
    })
    .join('');
}

function userBlocks(content: ChatMessage['content'], i: number): ConverseBlock[] {
  if (content === null) return [];
  if (typeof content === 'string') return textBlocks(content);
  return content.flatMap((p: ContentPart, j): ConverseBlock[] => (p.type === 'text' ? textBlocks(p.text) : [imageBlock(p.image_url.url, `messages[${i}].content[${j}].image_url`)]));
}

const IMAGE_FORMATS: Record<string, ConverseImage['image']['format']> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function imageBlock(url: string, param: string): ConverseImage {
  if (/^https?:/i.test(url)) {
    // Fetching a client-supplied URL from inside our network is an SSRF hole; Bedrock takes only inline bytes.
    throw new GatewayError('TREATY_UNSUPPORTED_PARAMETER', `${param}: image URLs are not fetched by the gateway and Bedrock does not accept them; send the image inline as a base64 data: URL.`, { param });
  }
  const m = /^data:([^;,]+);base64,(.*)$/is.exec(url);
  if (!m) throw invalid(`${param}: expected a base64 data: URL (data:image/png;base64,...).`, param);
  const format = IMAGE_FORMATS[m[1]!.toLowerCase()];
  if (!format) {
    throw new GatewayError('TREATY_UNSUPPORTED_PARAMETER', `${param}: image type ${m[1]} is not supported by Bedrock (png, jpeg, gif or webp).`, { param });
  }
  return { image: { format, source: { bytes: m[2]!.replace(/\s+/g, '') } } };
}

function assistantBlocks(m: ChatMessage, i: number, toolBlocks: boolean): ConverseBlock[] {
  const blocks: ConverseBlock[] = textBlocks(textOf(m.content, i));
  (m.tool_calls ?? []).forEach((c, j) => {
    if (!toolBlocks) {
      blocks.push({ text: `[tool call ${c.id}: ${c.function.name}(${c.function.arguments})]` });
      return;
    }
    blocks.push({ toolUse: { toolUseId: c.id, name: c.function.name, input: parseArguments(c.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) } });
  });
  return blocks;
}

function parseArguments(args: string, param: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalid(`${param} is not valid JSON; Bedrock needs tool-call arguments as a JSON object.`, param);
  }
  if (!isRecord(parsed)) throw invalid(`${param} must be a JSON object for Bedrock.`, param);
  return parsed;
}

function toolResultBlock(m: ChatMessage, i: number, toolBlocks: boolean): ConverseBlock {
  const text = textOf(m.content, i);
  const id = m.tool_call_id ?? '';
  if (!toolBlocks) return { text: `[tool result ${id}: ${text.trim() === '' ? '(empty)' : text}]` };
  if (!id) throw invalid(`messages[${i}].tool_call_id is required for a tool message.`, `messages[${i}].tool_call_id`);
  return { toolResult: { toolUseId: id, content: [toolResultContent(text)] } };
}

/** JSON objects go as `json` so the model sees structure; anything else as text, never blank. */
function toolResultContent(text: string): { json: unknown } | ConverseText {
  if (text.trim() === '') return { json: {} };
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) return { json: parsed };
  } catch {
    // not JSON: send as text
  }
  return { text };
}
