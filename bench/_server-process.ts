// The local OpenAI-compatible server in its own process, so its work does not share the event loop
// (and core) with the client being measured, as a real provider would not.
import { startOpenAIServer } from '../test/helpers/openai-server.js';

const latencyMs = Number(process.argv[2] ?? 0);
const server = await startOpenAIServer({
  latencyMs,
  chat: (body) => ({ content: `answer: ${body.messages.at(-1)!.content.slice(0, 40)}`, usage: { prompt_tokens: 30, completion_tokens: 12 } }),
});
process.send!(server.url);
process.on('message', async (message) => {
  if (message === 'close') {
    await server.close();
    process.exit(0);
  }
});
