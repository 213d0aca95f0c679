/**
 * The least a translating gateway can do, for `npm run bench:added-latency`: the same stack as agw (Fastify in,
 * undici out) and only the work no OpenAI-to-Gemini gateway can skip: parse the client's JSON, build the
 * `v1internal` envelope, call `streamGenerateContent`, read the SSE answer and parse each event's JSON, and answer
 * an OpenAI chat completion. No key check, validation, account pool, retries, request log or metrics. Between the
 * bare relay (the hop alone) and agw, it shows how much of agw's added time any Node gateway of this kind pays.
 *
 * Runs as its own process: `node bench/minimal-gateway.ts <upstream origin> <access token> <project>`; prints
 * `minimal gateway on http://…`.
 */
import Fastify from 'fastify';
import { Agent, request } from 'undici';

const [upstream, accessToken, project] = process.argv.slice(2);
if (!upstream || !accessToken || !project) {
  throw new Error('usage: node bench/minimal-gateway.ts <upstream origin> <access token> <project>');
}
const dispatcher = new Agent({ connections: 256 });
const app = Fastify({ logger: false });

interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
}

/** The text of one `streamGenerateContent` event, or '' when it carries none. */
function textOf(event: unknown): string {
  const parts = (event as { response?: { candidates?: Array<{ content?: { parts?: Array<{ text?: string }> } }> } })
    .response?.candidates?.[0]?.content?.parts;
  return parts?.map((part) => part.text ?? '').join('') ?? '';
}

app.post('/v1/chat/completions', async (incoming) => {
  const chat = incoming.body as ChatBody;
  const envelope = JSON.stringify({
    project,
    requestId: `agent/minimal/${Date.now()}`,
    model: chat.model,
    userAgent: 'antigravity',
    requestType: 'agent',
    request: {
      contents: chat.messages.map((message) => ({
        role: message.role === 'assistant' ? 'model' : 'user',
        parts: [{ text: message.content }],
      })),
    },
  });
  const answer = await request(`${upstream}/v1internal:streamGenerateContent?alt=sse`, {
    method: 'POST',
    dispatcher,
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: envelope,
  });
  let text = '';
  for (const line of (await answer.body.text()).split('\n')) {
    if (line.startsWith('data:')) text += textOf(JSON.parse(line.slice(5)));
  }
  return {
    id: 'chatcmpl-minimal',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: chat.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  };
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address && typeof address === 'object') console.log(`minimal gateway on http://127.0.0.1:${address.port}`);
process.on('SIGTERM', () => {
  void app.close();
  void dispatcher.close();
});
