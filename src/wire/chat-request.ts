// Validates an OpenAI chat completion body into the canonical ChatRequest. Every rejection
// names the parameter and says what to write instead, as OpenAI's own 400s do.

import type { ChatMessage, ChatRequest, ContentPart, ResponseFormat, ToolChoice, ToolDefinition } from '../domain/chat.js';
import { invalid } from '../domain/errors.js';

/** Fields OpenAI accepts that Treaty forwards to OpenAI-shaped upstreams without interpreting. */
const PASSTHROUGH = new Set(['service_tier', 'store', 'metadata', 'reasoning_effort', 'modalities', 'prediction', 'audio', 'web_search_options', 'verbosity', 'prompt_cache_key', 'safety_identifier', 'functions', 'function_call']);
const KNOWN = new Set(['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'n', 'stop', 'presence_penalty', 'frequency_penalty', 'seed', 'logprobs', 'top_logprobs', 'logit_bias', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'user']);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ChatLimits {
  maxMessages: number;
}

export function parseChatRequest(body: unknown, limits: ChatLimits): ChatRequest {
  if (!isObj(body)) throw invalid('The request body must be a JSON object.');
  for (const key of Object.keys(body)) {
    if (!KNOWN.has(key) && !PASSTHROUGH.has(key)) throw invalid(`Unrecognized request argument supplied: ${key}`, key);
  }
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) throw invalid("you must provide a model parameter (a string such as \"model\": \"frontier\")", 'model');
  const messages = parseMessages(body.messages, limits.maxMessages);
  const stream = optBool(body, 'stream') ?? false;
  const streamOptions = body.stream_options;
  let includeUsage = false;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!stream) throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
    if (!isObj(streamOptions)) throw invalid("'stream_options' must be an object such as {\"include_usage\": true}", 'stream_options');
    includeUsage = optBool(streamOptions, 'include_usage', 'stream_options.include_usage') ?? false;
  }
  const req: ChatRequest = { model, messages, stream, includeUsage, passthrough: {} };
  if (body.max_completion_tokens !== undefined && body.max_completion_tokens !== null) {
    req.maxTokens = intIn(body.max_completion_tokens, 'max_completion_tokens', 1, 10_000_000);
    req.maxTokensField = 'max_completion_tokens';
  } else if (body.max_tokens !== undefined && body.max_tokens !== null) {
    req.maxTokens = intIn(body.max_tokens, 'max_tokens', 1, 10_000_000);
    req.maxTokensField = 'max_tokens';
  }
  setNum(req, 'temperature', body.temperature, 'temperature', 0, 2);
  setNum(req, 'topP', body.top_p, 'top_p', 0, 1);
  setNum(req, 'presencePenalty', body.presence_penalty, 'presence_penalty', -2, 2);
  setNum(req, 'frequencyPenalty', body.frequency_penalty, 'frequency_penalty', -2, 2);
  if (body.n !== undefined && body.n !== null) req.n = intIn(body.n, 'n', 1, 128);
  if (body.seed !== undefined && body.seed !== null) req.seed = intIn(body.seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (body.top_logprobs !== undefined && body.top_logprobs !== null) req.topLogprobs = intIn(body.top_logprobs, 'top_logprobs', 0, 20);
  const logprobs = optBool(body, 'logprobs');
  if (logprobs !== undefined) req.logprobs = logprobs;
  const parallel = optBool(body, 'parallel_tool_calls');
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  if (body.stop !== undefined && body.stop !== null) req.stop = parseStop(body.stop);
  if (body.logit_bias !== undefined && body.logit_bias !== null) req.logitBias = parseLogitBias(body.logit_bias);
  if (body.user !== undefined && body.user !== null) {
    if (typeof body.user !== 'string') throw invalid("'user' must be a string", 'user');
    req.user = body.user;
  }
  if (body.tools !== undefined && body.tools !== null) req.tools = parseTools(body.tools);
  if (body.tool_choice !== undefined && body.tool_choice !== null) req.toolChoice = parseToolChoice(body.tool_choice, req.tools);
  if (body.response_format !== undefined && body.response_format !== null) req.responseFormat = parseResponseFormat(body.response_format);
  for (const key of PASSTHROUGH) if (body[key] !== undefined) req.passthrough[key] = body[key];
  return req;
}

function parseMessages(raw: unknown, max: number): ChatMessage[] {
  if (!Array.isArray(raw)) throw invalid("'messages' must be an array of message objects, e.g. [{\"role\": \"user\", \"content\": \"Hello\"}]", 'messages');
  if (raw.length === 0) throw invalid("'messages' must contain at least one message", 'messages');
  if (raw.length > max) throw invalid(`'messages' has ${raw.length} messages; the most this gateway accepts is ${max}`, 'messages');
  return raw.map((m, i) => parseMessage(m, i));
}

function parseMessage(m: unknown, i: number): ChatMessage {
  const p = `messages[${i}]`;
  if (!isObj(m)) throw invalid(`${p} must be an object with "role" and "content"`, p);
  const role = m.role;
  if (typeof role !== 'string' || !ROLES.has(role)) throw invalid(`${p}.role must be one of system, developer, user, assistant, tool (got ${JSON.stringify(role)})`, `${p}.role`);
  const msg: ChatMessage = { role: role as ChatMessage['role'], content: null };
  const content = m.content;
  if (typeof content === 'string') msg.content = content;
  else if (Array.isArray(content)) msg.content = content.map((part, j) => parsePart(part, `${p}.content[${j}]`, role));
  else if (content === null || content === undefined) {
    const hasCalls = role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
    if (!hasCalls) throw invalid(`${p}.content is required for role ${role} (a string or a list of content parts)`, `${p}.content`);
  } else throw invalid(`${p}.content must be a string or a list of content parts`, `${p}.content`);
  if (m.name !== undefined) {
    if (typeof m.name !== 'string') throw invalid(`${p}.name must be a string`, `${p}.name`);
    msg.name = m.name;
  }
  if (role === 'tool') {
    if (typeof m.tool_call_id !== 'string' || !m.tool_call_id) throw invalid(`${p}.tool_call_id is required for tool messages: the id of the tool call this answers`, `${p}.tool_call_id`);
    msg.tool_call_id = m.tool_call_id;
  }
  if (m.tool_calls !== undefined && m.tool_calls !== null) {
    if (role !== 'assistant') throw invalid(`${p}.tool_calls is only allowed on assistant messages`, `${p}.tool_calls`);
    if (!Array.isArray(m.tool_calls)) throw invalid(`${p}.tool_calls must be an array`, `${p}.tool_calls`);
    msg.tool_calls = m.tool_calls.map((c, j) => {
      const q = `${p}.tool_calls[${j}]`;
      if (!isObj(c) || typeof c.id !== 'string' || !isObj(c.function) || typeof c.function.name !== 'string' || typeof c.function.arguments !== 'string') {
        throw invalid(`${q} must be {"id": string, "type": "function", "function": {"name": string, "arguments": JSON string}}`, q);
      }
      return { id: c.id, type: 'function' as const, function: { name: c.function.name, arguments: c.function.arguments } };
    });
  }
  return msg;
}

function parsePart(part: unknown, p: string, role: string): ContentPart {
  if (!isObj(part)) throw invalid(`${p} must be an object with a "type"`, p);
  if (part.type === 'text') {
    if (typeof part.text !== 'string') throw invalid(`${p}.text must be a string`, `${p}.text`);
    return { type: 'text', text: part.text };
  }
  if (part.type === 'image_url') {
    if (role !== 'user') throw invalid(`${p}: image parts are only allowed in user messages`, p);
    const iu = part.image_url;
    if (!isObj(iu) || typeof iu.url !== 'string') throw invalid(`${p}.image_url must be {"url": "https://… or data:image/png;base64,…"}`, `${p}.image_url`);
    return { type: 'image_url', image_url: { url: iu.url, ...(typeof iu.detail === 'string' ? { detail: iu.detail } : {}) } };
  }
  throw invalid(`${p}.type must be "text" or "image_url" (got ${JSON.stringify(part.type)})`, `${p}.type`);
}

function parseTools(raw: unknown): ToolDefinition[] {
  if (!Array.isArray(raw)) throw invalid("'tools' must be an array of {\"type\": \"function\", \"function\": {...}}", 'tools');
  if (raw.length > 128) throw invalid(`'tools' has ${raw.length} entries; at most 128 are allowed`, 'tools');
  return raw.map((t, i) => {
    const p = `tools[${i}]`;
    if (!isObj(t) || t.type !== 'function' || !isObj(t.function)) throw invalid(`${p} must be {"type": "function", "function": {"name": ..., "parameters": {...}}}`, p);
    const f = t.function;
    if (typeof f.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(f.name)) throw invalid(`${p}.function.name must be 1–64 letters, digits, _ or -`, `${p}.function.name`);
    if (f.parameters !== undefined && !isObj(f.parameters)) throw invalid(`${p}.function.parameters must be a JSON Schema object`, `${p}.function.parameters`);
    if (f.description !== undefined && typeof f.description !== 'string') throw invalid(`${p}.function.description must be a string`, `${p}.function.description`);
    const fn: ToolDefinition['function'] = { name: f.name };
    if (typeof f.description === 'string') fn.description = f.description;
    if (isObj(f.parameters)) fn.parameters = f.parameters;
    if (typeof f.strict === 'boolean') fn.strict = f.strict;
    return { type: 'function', function: fn };
  });
}

function parseToolChoice(raw: unknown, tools: ToolDefinition[] | undefined): ToolChoice {
  if (raw === 'none' || raw === 'auto' || raw === 'required') return raw;
  if (isObj(raw) && raw.type === 'function' && isObj(raw.function) && typeof raw.function.name === 'string') {
    const name = raw.function.name;
    if (!tools?.some((t) => t.function.name === name)) throw invalid(`tool_choice names function "${name}", which is not in 'tools'`, 'tool_choice');
    return { type: 'function', function: { name } };
  }
  throw invalid("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}", 'tool_choice');
}

function parseResponseFormat(raw: unknown): ResponseFormat {
  if (!isObj(raw)) throw invalid("'response_format' must be an object such as {\"type\": \"json_object\"}", 'response_format');
  if (raw.type === 'text' || raw.type === 'json_object') return { type: raw.type };
  if (raw.type === 'json_schema') {
    const js = raw.json_schema;
    if (!isObj(js) || typeof js.name !== 'string') throw invalid("response_format.json_schema must be an object with a \"name\" and a \"schema\"", 'response_format.json_schema');
    return { type: 'json_schema', json_schema: js as Extract<ResponseFormat, { type: 'json_schema' }>['json_schema'] };
  }
  throw invalid(`response_format.type must be "text", "json_object" or "json_schema" (got ${JSON.stringify(raw.type)})`, 'response_format.type');
}

function parseStop(raw: unknown): string[] {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length > 4 || !list.every((s) => typeof s === 'string')) throw invalid("'stop' must be a string or a list of up to 4 strings", 'stop');
  return list as string[];
}

function parseLogitBias(raw: unknown): Record<string, number> {
  if (!isObj(raw)) throw invalid("'logit_bias' must be an object mapping token ids to numbers from -100 to 100", 'logit_bias');
  for (const [k, v] of Object.entries(raw)) {
    if (!/^\d+$/.test(k) || typeof v !== 'number' || v < -100 || v > 100) throw invalid(`logit_bias["${k}"] must map a token id to a number from -100 to 100`, 'logit_bias');
  }
  return raw as Record<string, number>;
}

function optBool(o: Obj, key: string, label = key): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalid(`'${label}' must be true or false (got ${JSON.stringify(v)})`, label);
  return v;
}

function intIn(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(`'${name}' must be a whole number (got ${JSON.stringify(v)})`, name);
  if (v < min || v > max) throw invalid(`'${name}' must be between ${min} and ${max} (got ${v})`, name);
  return v;
}

function setNum<K extends 'temperature' | 'topP' | 'presencePenalty' | 'frequencyPenalty'>(req: ChatRequest, key: K, v: unknown, name: string, min: number, max: number): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`'${name}' must be a number (got ${JSON.stringify(v)})`, name);
  if (v < min || v > max) throw invalid(`'${name}' must be between ${min} and ${max} (got ${v})`, name);
  req[key] = v;
}
