// ChatRequest → Converse request body. Parameters Converse cannot express are rejected or
// dropped per the deployment's `unsupportedParams` option, never silently changed: a
// temperature above 1 is an error, not a clamp, because the caller would get a different
// sampling than the one they asked for.

import type { ChatRequest } from '../../domain/chat.js';
import { GatewayError, invalid } from '../../domain/errors.js';
import { encodeConversation } from './encode-messages.js';
import type { BedrockOptions } from './options.js';
import type { ConverseRequestBody, ConverseToolConfig } from './wire-types.js';

/** OpenAI parameters with no Converse equivalent, as [wire name, is it in use?]. */
function unsupportedInUse(req: ChatRequest): string[] {
  const rf = req.responseFormat?.type;
  const checks: [string, boolean][] = [
    ['n', req.n !== undefined && req.n > 1],
    ['logprobs', req.logprobs === true],
    ['top_logprobs', req.topLogprobs !== undefined && req.topLogprobs > 0],
    ['logit_bias', req.logitBias !== undefined && Object.keys(req.logitBias).length > 0],
    ['seed', req.seed !== undefined],
    ['response_format', rf === 'json_object' || rf === 'json_schema'],
    ['presence_penalty', req.presencePenalty !== undefined && req.presencePenalty !== 0],
    ['frequency_penalty', req.frequencyPenalty !== undefined && req.frequencyPenalty !== 0],
    // Converse cannot forbid parallel tool calls; the model may make several anyway.
    ['parallel_tool_calls', req.parallelToolCalls === false],
  ];
  return checks.filter(([, used]) => used).map(([name]) => name);
}

function checkParams(req: ChatRequest, deploymentId: string, opts: BedrockOptions): void {
  if (opts.unsupportedParams === 'reject') {
    const [param] = unsupportedInUse(req);
    if (param) {
      throw new GatewayError(
        'TREATY_UNSUPPORTED_PARAMETER',
        `Parameter '${param}' is not supported by Bedrock deployment ${deploymentId} (Converse has no equivalent). Remove it, or set the deployment option unsupportedParams: drop to have it ignored.`,
        { param },
      );
    }
  }
  for (const [param, value] of [['temperature', req.temperature], ['top_p', req.topP]] as const) {
    if (value !== undefined && value > 1) throw invalid(`${param} ${value} is out of range: Bedrock accepts 0–1.`, param);
  }
}

function toolConfigOf(req: ChatRequest): ConverseToolConfig | undefined {
  if (!req.tools || req.tools.length === 0 || req.toolChoice === 'none') return undefined;
  const tools = req.tools.map((t) => ({
    toolSpec: {
      name: t.function.name,
      // Bedrock rejects an empty description, so leave it out rather than send "".
      ...(t.function.description ? { description: t.function.description } : {}),
      inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } },
    },
  }));
  const tc = req.toolChoice;
  if (tc === undefined) return { tools };
  if (tc === 'auto') return { tools, toolChoice: { auto: {} } };
  if (tc === 'required') return { tools, toolChoice: { any: {} } };
  return { tools, toolChoice: { tool: { name: tc.function.name } } };
}

export function buildConverseBody(req: ChatRequest, deploymentId: string, opts: BedrockOptions): ConverseRequestBody {
  checkParams(req, deploymentId, opts);
  const toolConfig = toolConfigOf(req);
  const { system, messages } = encodeConversation(req.messages, { toolBlocks: toolConfig !== undefined });
  const inference: NonNullable<ConverseRequestBody['inferenceConfig']> = {};
  if (req.maxTokens !== undefined) inference.maxTokens = req.maxTokens;
  if (req.temperature !== undefined) inference.temperature = req.temperature;
  if (req.topP !== undefined) inference.topP = req.topP;
  const stops = (req.stop ?? []).filter((s) => s.length > 0);
  if (stops.length > 0) inference.stopSequences = stops;

  const body: ConverseRequestBody = { messages };
  if (system.length > 0) body.system = system;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  if (toolConfig) body.toolConfig = toolConfig;
  return body;
}

/** The runtime path; the model id is one path segment, so ':' and '/' are percent-encoded. */
export function conversePath(baseUrl: string, modelId: string, stream: boolean): string {
  const base = new URL(baseUrl).pathname.replace(/\/+$/, '');
  return `${base}/model/${encodeURIComponent(modelId)}/${stream ? 'converse-stream' : 'converse'}`;
}
