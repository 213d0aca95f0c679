import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors/catalogue.ts';
import type { CanonicalEvent } from '../../../src/protocols/canonical/types.ts';
import { toCompletionsCanonicalRequest } from '../../../src/protocols/openai/completions-request.ts';
import { buildTextCompletion } from '../../../src/protocols/openai/completions-response.ts';
import { parseCompletionsRequest } from '../../../src/protocols/openai/completions-schema.ts';
import { createCompletionsStreamEncoder } from '../../../src/protocols/openai/completions-stream.ts';
import {
  aspectRatioFor,
  defaultImageModel,
  imageModelFor,
  toImageCanonicalRequest,
} from '../../../src/protocols/openai/images-request.ts';
import { imagesOf } from '../../../src/protocols/openai/images-response.ts';
import { parseImageRequest } from '../../../src/protocols/openai/images-schema.ts';

const start: CanonicalEvent = { type: 'message-start', id: 'x', model: 'm' };
const stop: CanonicalEvent = { type: 'finish', reason: 'stop', rawReason: 'STOP' };
const options = { id: 'cmpl-1', created: 1767225600, model: 'gpt-3.5-turbo-instruct' };

function isInvalid(pattern: RegExp) {
  return (error: unknown) =>
    GatewayError.is(error) && error.code === 'AGW_INVALID_REQUEST' && pattern.test(error.message);
}

describe('legacy completions', () => {
  test('the prompt is one user turn; max_tokens, stop and sampling reach the generation config', () => {
    const canonical = toCompletionsCanonicalRequest(
      parseCompletionsRequest({
        model: 'gemini-3.1-flash-lite',
        prompt: ['Say hi'],
        max_tokens: 7,
        stop: 'END',
        seed: 3,
      }),
      { customMapping: {} },
    );
    assert.deepEqual(canonical.request.contents, [{ role: 'user', parts: [{ text: 'Say hi' }] }]);
    assert.equal(canonical.request.generationConfig?.maxOutputTokens, 7);
    assert.deepEqual(canonical.request.generationConfig?.stopSequences, ['END']);
    assert.equal(canonical.request.generationConfig?.seed, 3);
  });

  test('unsupported parameters are refused by name', () => {
    assert.throws(() => parseCompletionsRequest({ model: 'm', prompt: 'x', n: 2 }), isInvalid(/^Invalid request: n/));
    assert.throws(() => parseCompletionsRequest({ model: 'm', prompt: ['a', 'b'] }), isInvalid(/prompt/));
    assert.throws(() => parseCompletionsRequest({ model: 'm', prompt: 'x', logprobs: 5 }), isInvalid(/logprobs/));
  });

  test('stream: thinking left out, text chunks, a finish chunk, usage on request, [DONE]', () => {
    const encoder = createCompletionsStreamEncoder({ ...options, includeUsage: true, echoPrompt: 'Q: ' });
    const frames = [
      ...encoder.push(start),
      ...encoder.push({ type: 'thinking-delta', text: 'hidden' }),
      ...encoder.push({ type: 'text-delta', text: 'A' }),
      ...encoder.push(stop),
      ...encoder.push({
        type: 'usage',
        usage: { inputTokens: 3, outputTokens: 2, thoughtTokens: 1, cachedTokens: 0, totalTokens: 5 },
      }),
      ...encoder.end(),
    ];
    const payloads = frames.map((frame) => frame.slice(6, -2));
    assert.equal(payloads.at(-1), '[DONE]');
    const chunks = payloads.slice(0, -1).map((payload) => JSON.parse(payload) as Record<string, unknown>);
    assert.deepEqual(
      chunks.map((chunk) => (chunk['choices'] as Array<{ text: string; finish_reason: string | null }>)[0] ?? null),
      [
        { text: 'Q: A', index: 0, logprobs: null, finish_reason: null },
        { text: '', index: 0, logprobs: null, finish_reason: 'stop' },
        null,
      ],
    );
    assert.deepEqual(chunks.at(-1)?.['usage'], { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    assert.ok(!frames.join('').includes('hidden'));
  });

  test('a stream without a finish ends with an error before [DONE], never as a clean stop', () => {
    const encoder = createCompletionsStreamEncoder({ ...options, includeUsage: true });
    encoder.push(start);
    encoder.push({ type: 'text-delta', text: 'half' });
    const closing = encoder.end();
    assert.match(closing[0] ?? '', /AGW_UPSTREAM_STREAM_BROKEN/);
    assert.equal(closing.at(-1), 'data: [DONE]\n\n');
    assert.deepEqual(encoder.end(), []);
  });

  test('non-stream: text with finish reason; a failure throws', () => {
    const completion = buildTextCompletion(
      [start, { type: 'text-delta', text: 'Hi' }, { type: 'finish', reason: 'max-tokens', rawReason: 'MAX_TOKENS' }],
      options,
    );
    assert.deepEqual(completion.choices, [{ text: 'Hi', index: 0, logprobs: null, finish_reason: 'length' }]);
    assert.throws(
      () => buildTextCompletion([start, { type: 'error', code: 'AGW_UPSTREAM_TIMEOUT', message: 'slow' }], options),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_UPSTREAM_TIMEOUT',
    );
  });
});

describe('images', () => {
  test('size → the nearest Gemini aspect ratio; ratios pass; auto leaves it to the model', () => {
    assert.equal(aspectRatioFor('1024x1024'), '1:1');
    assert.equal(aspectRatioFor('1792x1024'), '16:9');
    assert.equal(aspectRatioFor('1024x1792'), '9:16');
    assert.equal(aspectRatioFor('1536x1024'), '3:2');
    assert.equal(aspectRatioFor('1024x1536'), '2:3');
    assert.equal(aspectRatioFor('2560x1080'), '21:9');
    assert.equal(aspectRatioFor('4:3'), '4:3');
    assert.equal(aspectRatioFor('auto'), undefined);
    assert.equal(aspectRatioFor(undefined), undefined);
    assert.throws(() => aspectRatioFor('7:3'), isInvalid(/size/));
    assert.throws(() => aspectRatioFor('0x10'), isInvalid(/size/));
  });

  test('the image model: default, OpenAI names, mapped names; a chat model is refused', () => {
    assert.equal(imageModelFor(undefined, {}), defaultImageModel);
    assert.equal(imageModelFor('gpt-image-1', {}), defaultImageModel);
    assert.equal(imageModelFor('dall-e-2', {}), defaultImageModel);
    assert.equal(imageModelFor('gemini-3-pro-image', {}), 'gemini-3.1-flash-image');
    assert.equal(imageModelFor('my-painter', { 'my-painter': 'gemini-3-pro-image' }), 'gemini-3-pro-image');
    assert.throws(() => imageModelFor('gemini-3-flash', {}), isInvalid(/not an image model/));
  });

  test('request: input images then the prompt, one candidate, image config', () => {
    const canonical = toImageCanonicalRequest(
      parseImageRequest({ prompt: 'blue', size: '1024x1024', image_size: '2K', n: '2' }),
      [{ mimeType: 'image/png', data: 'AAA=' }],
      { customMapping: {} },
    );
    assert.equal(canonical.stream, false);
    assert.deepEqual(canonical.request.contents, [
      { role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: 'AAA=' } }, { text: 'blue' }] },
    ]);
    assert.deepEqual(canonical.request.generationConfig, {
      candidateCount: 1,
      imageConfig: { aspectRatio: '1:1', imageSize: '2K' },
    });
    assert.throws(() => parseImageRequest({ prompt: 'x', n: 20 }), isInvalid(/n/));
  });

  test('answer: images as base64 or data URLs; an answer without an image says what came instead', () => {
    const events: CanonicalEvent[] = [
      start,
      { type: 'inline-data', index: 0, mimeType: 'image/png', data: 'AAA=' },
      stop,
    ];
    assert.deepEqual(imagesOf(events, 'b64_json'), [{ b64_json: 'AAA=' }]);
    assert.deepEqual(imagesOf(events, 'url'), [{ url: 'data:image/png;base64,AAA=' }]);
    assert.throws(
      () => imagesOf([start, { type: 'text-delta', text: 'I cannot draw that' }, stop], 'b64_json'),
      (error: unknown) =>
        GatewayError.is(error) &&
        error.code === 'AGW_UPSTREAM_INVALID_RESPONSE' &&
        /without an image: I cannot draw that/.test(error.message),
    );
  });
});
