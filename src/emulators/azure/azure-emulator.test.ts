import OpenAI, { AuthenticationError, AzureOpenAI, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmulatorEngine } from '../core/engine.js';
import type { RunningServer } from '../core/http.js';
import { lastAttempt } from '../openai/test-helpers.js';
import { startAzureEmulator } from './index.js';

const KEY = '0123456789abcdef0123456789abcdef';
const API_VERSION = '2024-10-21';
const messages = [{ role: 'user' as const, content: 'Say hello to Azure' }];

let engine: EmulatorEngine;
let server: RunningServer;
let az: AzureOpenAI;
const fault = (value: string) => ({ headers: { 'x-emulator-fault': value } });
const azureClient = (deployment: string, apiKey = KEY) => new AzureOpenAI({ endpoint: server.url, apiKey, apiVersion: API_VERSION, deployment, maxRetries: 0 });

beforeAll(async () => {
  engine = new EmulatorEngine();
  engine.addDeployment('azure', { name: 'gpt4o-prod', model: 'gpt-4o-2024-11-20' });
  engine.addDeployment('azure', { name: 'gpt4o-ptu', model: 'gpt-4o-2024-11-20', provisioned: true });
  engine.addDeployment('azure', { name: 'embed-small', model: 'text-embedding-3-small', embeddings: true });
  server = await startAzureEmulator(engine, { apiKey: KEY, region: 'Sweden Central' });
  az = azureClient('gpt4o-prod');
});
afterAll(() => server.close());
beforeEach(() => engine.clearAttempts());

describe('Azure emulator with the SDK AzureOpenAI client (classic deployment URLs)', () => {
  it('answers with prompt and choice filter results, and Azure headers', async () => {
    const { data: res, response } = await az.chat.completions.create({ model: 'gpt4o-prod', messages }).withResponse();
    const raw = res as unknown as { prompt_filter_results: unknown[]; choices: { content_filter_results: Record<string, unknown> }[] };
    expect(res.choices[0]?.message.content).toMatch(/\w/);
    expect(res.model).toBe('gpt-4o-2024-11-20');
    expect(raw.prompt_filter_results[0]).toMatchObject({ prompt_index: 0, content_filter_results: { jailbreak: { filtered: false } } });
    expect(raw.choices[0]?.content_filter_results).toMatchObject({ hate: { filtered: false, severity: 'safe' } });
    expect(response.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-ms-region')).toBe('Sweden Central');
    expect(response.headers.get('azure-openai-deployment-utilization')).toBeNull();
    expect(lastAttempt(engine)).toMatchObject({ provider: 'azure', deployment: 'gpt4o-prod', outcome: 'ok', status: 200 });
  });

  it('streams with a first frame that has no choices and carries only prompt filter results', async () => {
    const stream = await az.chat.completions.create({ model: 'gpt4o-prod', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]).toMatchObject({ id: '', model: '', created: 0, choices: [], prompt_filter_results: expect.any(Array) });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const whole = await az.chat.completions.create({ model: 'gpt4o-prod', messages });
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
  });

  it('embeds through the deployment URL, base64 decoded by the SDK', async () => {
    const res = await azureClient('embed-small').embeddings.create({ model: 'embed-small', input: ['one', 'two'], dimensions: 4 });
    expect(res.data).toHaveLength(2);
    expect(res.data[1]!.embedding).toHaveLength(4);
    expect(res.model).toBe('text-embedding-3-small');
  });

  it('marks a filtered completion with finish_reason content_filter and the category that hit', async () => {
    const res = await az.chat.completions.create({ model: 'gpt4o-prod', messages }, fault('content_filter_completion'));
    expect(res.choices[0]?.finish_reason).toBe('content_filter');
    expect((res.choices[0] as unknown as { content_filter_results: unknown }).content_filter_results).toMatchObject({ violence: { filtered: true, severity: 'medium' } });
  });

  it('refuses a filtered prompt with the 400 content_filter body and its innererror', async () => {
    const err = (await az.chat.completions.create({ model: 'gpt4o-prod', messages }, fault('content_filter')).catch((e: unknown) => e)) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.code).toBe('content_filter');
    expect(err.error).toMatchObject({ innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { jailbreak: { filtered: true } } } });
  });

  it('rate limits in Azure shape with retry-after-ms and retry-after', async () => {
    const err = (await az.chat.completions.create({ model: 'gpt4o-prod', messages }, fault('rate_limit;ms=1500')).catch((e: unknown) => e)) as RateLimitError;
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.code).toBe('429');
    expect(err.message).toMatch(/Please retry after 2 seconds/);
    expect(err.headers.get('retry-after-ms')).toBe('1500');
    expect(err.headers.get('retry-after')).toBe('2');
  });

  it('reports utilization on every response of a provisioned deployment', async () => {
    const { response } = await azureClient('gpt4o-ptu').chat.completions.create({ model: 'gpt4o-ptu', messages }).withResponse();
    expect(response.headers.get('azure-openai-deployment-utilization')).toBe('87.5%');
    const err = (await azureClient('gpt4o-ptu').chat.completions.create({ model: 'gpt4o-ptu', messages }, fault('rate_limit;ms=200')).catch((e: unknown) => e)) as RateLimitError;
    expect(err.headers.get('azure-openai-deployment-utilization')).toBe('87.5%');
  });

  it('rejects a wrong key with Azure 401 and logs the refusal', async () => {
    const err = (await azureClient('gpt4o-prod', 'wrong').chat.completions.create({ model: 'gpt4o-prod', messages }).catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/Access denied due to invalid subscription key/);
    expect(lastAttempt(engine)).toMatchObject({ outcome: 'rejected', status: 401, deployment: 'gpt4o-prod' });
  });

  it('404s an unknown deployment with DeploymentNotFound', async () => {
    const err = (await azureClient('nope').chat.completions.create({ model: 'nope', messages }).catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('DeploymentNotFound');
  });

  it('404s a classic URL without api-version, as Azure does', async () => {
    const res = await fetch(`${server.url}/openai/deployments/gpt4o-prod/chat/completions`, {
      method: 'POST',
      headers: { 'api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });
});

describe('Azure emulator v1 URLs with the plain OpenAI client', () => {
  const v1 = () => new OpenAI({ baseURL: `${server.url}/openai/v1/`, apiKey: KEY, maxRetries: 0 });

  it('serves chat with model = deployment name, bearer auth', async () => {
    const res = await v1().chat.completions.create({ model: 'gpt4o-prod', messages });
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(lastAttempt(engine)).toMatchObject({ deployment: 'gpt4o-prod', outcome: 'ok' });
  });

  it('streams tool calls', async () => {
    const stream = await v1().chat.completions.create({ model: 'gpt4o-prod', messages, stream: true, tools: [{ type: 'function', function: { name: 'get_weather' } }] });
    const deltas = [];
    for await (const c of stream) deltas.push(...(c.choices[0]?.delta.tool_calls ?? []));
    expect(deltas[0]?.function?.name).toBe('get_weather');
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual(expect.any(Object));
  });

  it('serves embeddings and the model list', async () => {
    const res = await v1().embeddings.create({ model: 'embed-small', input: 'x', encoding_format: 'float', dimensions: 3 });
    expect(res.data[0]!.embedding).toHaveLength(3);
    const ids = [];
    for await (const m of v1().models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['embed-small', 'gpt4o-prod', 'gpt4o-ptu']);
  });

  it('404s an unknown deployment named as the model', async () => {
    await expect(v1().chat.completions.create({ model: 'missing', messages })).rejects.toBeInstanceOf(NotFoundError);
  });
});
