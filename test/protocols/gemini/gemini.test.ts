import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import {
  fromCountTokensResponse,
  toCanonicalRequest,
  toCountTokensRequest,
} from '../../../src/protocols/gemini/generate-request.ts';
import { parseGenerateRequest } from '../../../src/protocols/gemini/generate-schema.ts';
import {
  buildGenerateResponse,
  geminiErrorBody,
  geminiErrorFrame,
  geminiModel,
  geminiModelList,
  geminiStreamFrame,
  unwrapUpstreamChunk,
} from '../../../src/protocols/gemini/response.ts';
import { parseJsonData, parseSse } from '../../../src/upstream/sse-reader.ts';
import { fixtureBytes } from '../canonical/fixture-helpers.ts';

const options = { customMapping: {}, stream: true };

async function fixtureChunks(name: string): Promise<unknown[]> {
  const chunks: unknown[] = [];
  async function* source() {
    yield fixtureBytes(name);
  }
  for await (const frame of parseSse(source())) {
    const json = parseJsonData(frame);
    if (json !== undefined) chunks.push(json);
  }
  return chunks;
}

describe('parseGenerateRequest', () => {
  test('validates the structure it walks and names the field', () => {
    assert.throws(
      () => parseGenerateRequest({ contents: [{ role: 'user', parts: [{ text: 5 }] }] }),
      (error: unknown) =>
        GatewayError.is(error) &&
        error.code === 'AGW_INVALID_REQUEST' &&
        /contents\.0\.parts\.0\.text/.test(error.message),
    );
    assert.throws(() => parseGenerateRequest({ contents: 'hi' }), /contents/);
    assert.throws(
      () => parseGenerateRequest({ contents: [{ parts: [] }], generationConfig: { candidateCount: 2 } }),
      /candidateCount/,
    );
    const body = parseGenerateRequest({ contents: [{ parts: [{ text: 'hi' }] }], cachedContent: 'c1' });
    assert.equal((body as Record<string, unknown>)['cachedContent'], 'c1');
  });
});

describe('Gemini toCanonicalRequest (pass-through)', () => {
  test('keeps contents, settings and unknown keys; cleans and renames schemas; mirrors signatures', () => {
    const body = parseGenerateRequest({
      contents: [
        { role: 'user', parts: [{ text: 'Plan a trip to Paris please' }] },
        {
          role: 'model',
          parts: [{ functionCall: { name: 'lookup', args: { q: 'Paris' } }, thought_signature: 'SIG1' }],
        },
        { parts: [{ functionResponse: { name: 'lookup', response: { result: 'ok' } } }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief' }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: 'lookup',
              parametersJsonSchema: {
                type: 'object',
                properties: { q: { type: 'string', format: 'uri' } },
                $schema: 'x',
              },
            },
            { name: 'google_search' },
          ],
        },
      ],
      generationConfig: { temperature: 0.2, thinkingConfig: { thinkingBudget: 128 } },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
      cachedContent: 'cache-1',
    });
    const canonical = toCanonicalRequest(body, 'models/gemini-3-pro-high', options);
    assert.equal(canonical.protocol, 'gemini');
    assert.equal(canonical.clientModel, 'gemini-3-pro-high');
    assert.equal(canonical.upstreamModel, 'gemini-pro-agent');
    assert.equal(canonical.stream, true);
    assert.match(canonical.sessionKey, /^sid-/);
    assert.equal(canonical.messageCount, 3);
    const request = canonical.request;
    assert.equal(request['cachedContent'], 'cache-1');
    assert.deepEqual(request.safetySettings, [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }]);
    assert.deepEqual(request.generationConfig, { temperature: 0.2, thinkingConfig: { thinkingBudget: 128 } });
    assert.deepEqual(request.systemInstruction, { role: 'user', parts: [{ text: 'Be brief' }] });
    assert.deepEqual(request.tools, [
      {
        functionDeclarations: [
          {
            name: 'lookup',
            parameters: {
              type: 'object',
              properties: { q: { type: 'string', description: '[Constraint: format: uri]' } },
            },
          },
        ],
      },
    ]);
    assert.deepEqual(request.contents[1]?.parts[0], {
      functionCall: { name: 'lookup', args: { q: 'Paris' } },
      thought_signature: 'SIG1',
      thoughtSignature: 'SIG1',
    });
    assert.equal(request.contents[2]?.role, 'user');
    assert.deepEqual(canonical.toolNames, ['lookup']);
  });

  test('countTokens mapping', () => {
    const body = parseGenerateRequest({
      contents: [{ parts: [{ text: 'hi' }] }],
      safetySettings: [{ category: 'c', threshold: 't' }],
    });
    assert.deepEqual(toCountTokensRequest(body), { request: { contents: [{ parts: [{ text: 'hi' }] }] } });
    assert.deepEqual(fromCountTokensResponse({ totalTokens: 12 }), { totalTokens: 12 });
    assert.deepEqual(fromCountTokensResponse({ response: { totalTokens: 7 } }), { totalTokens: 7 });
    assert.deepEqual(fromCountTokensResponse({}), { totalTokens: 0 });
  });
});

describe('Gemini responses', () => {
  test('stream chunks are unwrapped and re-framed with CRLF', async () => {
    const [first] = await fixtureChunks('thinking-signature');
    const unwrapped = unwrapUpstreamChunk(first);
    assert.equal(unwrapped?.['traceId'], undefined);
    assert.equal(unwrapped?.['responseId'], 'req_vrtx_abc');
    assert.equal(geminiStreamFrame({ a: 1 }), 'data: {"a":1}\r\n\r\n');
  });

  test('non-stream answer merges text runs and keeps signatures and metadata', async () => {
    const answer = buildGenerateResponse(await fixtureChunks('thinking-signature'));
    assert.deepEqual(answer, {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Let me think', thought: true, thoughtSignature: 'RXFRQkNrZ0lCaEFCR0FJaVE' },
              { text: 'Hello!' },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 9, totalTokenCount: 140, thoughtsTokenCount: 11 },
      modelVersion: 'claude-sonnet-4-6',
      responseId: 'req_vrtx_abc',
    });
    const tools = buildGenerateResponse(await fixtureChunks('tool-call'));
    const parts = (tools['candidates'] as Array<{ content: { parts: unknown[] } }>)[0]?.content.parts;
    assert.equal(parts?.length, 4, 'text + three functionCall parts as sent');
    assert.deepEqual(parts?.[1], {
      functionCall: { name: 'get_weather', args: { city: 'Paris' } },
      thoughtSignature: 'Cq8Csig',
    });
  });

  test('truncated and error streams throw instead of answering 200', async () => {
    assert.throws(
      () => buildGenerateResponse([]),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_UPSTREAM_STREAM_BROKEN',
    );
    const truncated = await fixtureChunks('truncated-no-finish');
    assert.throws(() => buildGenerateResponse(truncated), /finish reason/);
    const failed = await fixtureChunks('error-body-200');
    assert.throws(
      () => buildGenerateResponse(failed),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_UPSTREAM_RATE_LIMITED',
    );
  });

  test('model list and model shapes', () => {
    assert.equal(geminiModel('gemini-3-flash').name, 'models/gemini-3-flash');
    assert.deepEqual(
      geminiModelList(['a', 'b']).models.map((model) => model.displayName),
      ['a', 'b'],
    );
  });
});

describe('Gemini error bodies', () => {
  const table: Array<[ConstructorParameters<typeof GatewayError>[0], number, string]> = [
    ['AGW_INVALID_REQUEST', 400, 'INVALID_ARGUMENT'],
    ['AGW_UNAUTHORIZED', 401, 'UNAUTHENTICATED'],
    ['AGW_NOT_FOUND', 404, 'NOT_FOUND'],
    ['AGW_ALL_ACCOUNTS_LIMITED', 429, 'RESOURCE_EXHAUSTED'],
    ['AGW_INTERNAL', 500, 'INTERNAL'],
    ['AGW_UPSTREAM_STREAM_BROKEN', 502, 'UNAVAILABLE'],
    ['AGW_NO_ACCOUNTS', 503, 'UNAVAILABLE'],
    ['AGW_DEADLINE_EXCEEDED', 504, 'DEADLINE_EXCEEDED'],
  ];
  for (const [code, status, name] of table) {
    test(`${code} → ${status} ${name}`, () => {
      const error = new GatewayError(code, 'went wrong');
      assert.deepEqual(geminiErrorBody(error), { error: { code: status, message: 'went wrong', status: name } });
    });
  }

  test('the in-band stream error is Gemini-shaped, not an OpenAI chunk', () => {
    const frame = geminiErrorFrame(new GatewayError('AGW_UPSTREAM_STREAM_BROKEN', 'cut'));
    assert.equal(frame, 'data: {"error":{"code":502,"message":"cut","status":"UNAVAILABLE"}}\r\n\r\n');
    assert.doesNotMatch(frame, /chat\.completion/);
  });
});
