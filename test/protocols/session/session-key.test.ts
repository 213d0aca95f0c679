/**
 * One session-key rule for the three dialects (src/protocols/session-key.ts): the client's `x-session-id` header
 * first, then the dialect's own conversation id (Anthropic `metadata.user_id`), else a hash of the first
 * distinctive user text — so the same conversation gets the same key whichever API it arrives through.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessagesRequest } from '../../../src/protocols/anthropic/request-schema.ts';
import { toCanonicalRequest as fromAnthropic } from '../../../src/protocols/anthropic/request-translator.ts';
import { toCanonicalRequest as fromGemini } from '../../../src/protocols/gemini/generate-request.ts';
import { parseGenerateRequest } from '../../../src/protocols/gemini/generate-schema.ts';
import { toCanonicalRequest as fromOpenAi } from '../../../src/protocols/openai/chat-request.ts';
import { parseChatRequest } from '../../../src/protocols/openai/chat-schema.ts';
import { newStore } from '../anthropic/helpers.ts';

const reminder = '<system-reminder>The harness says hello.</system-reminder>';
const question = 'Please fix the failing test in main.ts';

function anthropicKey(options: { header?: string; userId?: string } = {}): string {
  const request = parseMessagesRequest(
    {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      ...(options.userId === undefined ? {} : { metadata: { user_id: options.userId } }),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: reminder },
            { type: 'text', text: question },
          ],
        },
      ],
    },
    { allowUrlSources: false },
  );
  return fromAnthropic(request, {
    customMapping: {},
    signatureStore: newStore(),
    ...(options.header === undefined ? {} : { sessionHeader: options.header }),
  }).sessionKey;
}

function openAiKey(header?: string): string {
  const chat = parseChatRequest({
    model: 'gpt-4o',
    messages: [
      { role: 'user', content: reminder },
      { role: 'user', content: question },
    ],
  });
  return fromOpenAi(chat, { customMapping: {}, ...(header === undefined ? {} : { sessionHeader: header }) }).sessionKey;
}

function geminiKey(header?: string): string {
  const body = parseGenerateRequest({ contents: [{ role: 'user', parts: [{ text: reminder }, { text: question }] }] });
  return fromGemini(body, 'gemini-3-flash', {
    customMapping: {},
    stream: false,
    ...(header === undefined ? {} : { sessionHeader: header }),
  }).sessionKey;
}

test('the same conversation gets the same key through all three APIs', () => {
  const key = anthropicKey();
  assert.match(key, /^sid-[0-9a-f]{16}$/);
  assert.equal(openAiKey(), key);
  assert.equal(geminiKey(), key);
});

test('a short opener is skipped the same way in every dialect', () => {
  const anthropic = fromAnthropic(
    parseMessagesRequest(
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'Hello! How can I help?' },
          { role: 'user', content: question },
        ],
      },
      { allowUrlSources: false },
    ),
    { customMapping: {}, signatureStore: newStore() },
  ).sessionKey;
  const openAi = fromOpenAi(
    parseChatRequest({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello! How can I help?' },
        { role: 'user', content: question },
      ],
    }),
    { customMapping: {} },
  ).sessionKey;
  assert.equal(anthropic, openAi);
  assert.equal(anthropic, anthropicKey(), 'keyed by the question, not by "hi"');
});

test('x-session-id wins everywhere, then Anthropic metadata.user_id', () => {
  assert.equal(anthropicKey({ header: 'conversation-7', userId: 'user-1' }), 'conversation-7');
  assert.equal(anthropicKey({ userId: 'user-1' }), 'user-1');
  assert.equal(openAiKey('conversation-7'), 'conversation-7');
  assert.equal(geminiKey('conversation-7'), 'conversation-7');
});
