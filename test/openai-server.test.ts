import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenAIServer, type ServerOptions, startOpenAIServer } from './helpers/openai-server.js';

// Drives the stand-in through the real SDK, so what tests rely on (error classes, retries, timeouts) is what the SDK does.
let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options?: ServerOptions): Promise<OpenAIServer> {
  server = await startOpenAIServer(options);
  return server;
}

const client = (s: OpenAIServer, options: { maxRetries?: number; timeout?: number } = {}) =>
  new OpenAI({ apiKey: 'test', baseURL: s.url, maxRetries: 0, ...options });

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot; // vectors are unit length
};

describe('OpenAI test server', () => {
  it('answers a chat completion with content and usage', async () => {
    const s = await start({ chat: (body) => ({ content: `echo: ${body.messages.at(-1)?.content}` }) });
    const completion = await client(s).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello world!' }] });

    expect(completion.model).toBe('gpt-test');
    expect(completion.choices[0]?.message.content).toBe('echo: hello world!');
    expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]).toMatchObject({ path: '/v1/chat/completions', body: { model: 'gpt-test' } });
  });

  it('omits usage when asked to', async () => {
    const s = await start({ chat: () => ({ usage: null }) });
    const completion = await client(s).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(completion.choices[0]?.message.content).toBe('ok');
    expect(completion.usage).toBeUndefined();
  });

  it('surfaces a 429 as RateLimitError with its retry-after header', async () => {
    const s = await start({ chat: () => ({ status: 429, content: 'slow down', headers: { 'retry-after': '1' } }) });
    const error = await client(s)
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.headers?.get('retry-after')).toBe('1');
    expect(rateLimit.message).toContain('slow down');
  });

  it('lets the SDK retry after retry-after, counting attempts per identical body', async () => {
    const s = await start({ chat: (_body, { attempt }) => (attempt === 1 ? { status: 429, headers: { 'retry-after': '0.2' } } : { content: 'second time lucky' }) });
    const completion = await client(s, { maxRetries: 1 }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });

    expect(completion.choices[0]?.message.content).toBe('second time lucky');
    expect(s.requests).toHaveLength(2);
    const [first, second] = s.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(150);
  });

  it('hangs until the SDK times out', async () => {
    const s = await start({ chat: () => ({ hang: true }) });
    const started = performance.now();
    const error = await client(s, { timeout: 200, maxRetries: 0 })
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('closes even while a request hangs', async () => {
    const s = await start({ chat: () => ({ hang: true }) });
    const pending = client(s, { timeout: 60_000 })
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    while (s.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    await s.close();
    server = undefined;
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('embeds equal texts equally, different texts differently, shared words closer', async () => {
    const s = await start();
    const { data } = await client(s).embeddings.create({
      model: 'embed-test',
      input: ['The cat sat on the mat', 'the cat sat on the mat', 'the cat sat on a rug', 'quarterly revenue report'],
    });
    const [a, b, c, d] = data.map((item) => Array.from(item.embedding));

    expect(a).toHaveLength(64);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(cosine(a!, c!)).toBeGreaterThan(cosine(a!, d!));

    // The SDK asked for base64 above; plain float arrays must agree (up to float32 rounding).
    const floats = await client(s).embeddings.create({ model: 'embed-test', input: 'the cat sat on the mat', encoding_format: 'float' });
    expect(floats.data[0]?.embedding.map((x) => Math.fround(x))).toEqual(a);
  });

  it('answers unknown paths with an OpenAI-style 404', async () => {
    const s = await start();
    const response = await fetch(`${s.url}/nope`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'Invalid URL (POST /v1/nope)' } });
  });
});
