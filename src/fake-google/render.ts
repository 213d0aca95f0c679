/**
 * Turns an Answer into the bytes Google sends: one wrapped JSON for generateContent, SSE frames for
 * streamGenerateContent.
 */
import type { Answer } from './answer.ts';

interface ResponsePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name: string; args: Record<string, unknown>; id: string };
  inlineData?: { mimeType: string; data: string };
}

export interface ResponseIds {
  model: string;
  responseId: string;
  traceId: string;
}

function usage(answer: Answer): Record<string, number> {
  const result: Record<string, number> = {
    promptTokenCount: answer.promptTokens,
    candidatesTokenCount: answer.candidateTokens,
    totalTokenCount: answer.promptTokens + answer.candidateTokens + answer.thoughtTokens,
  };
  if (answer.thoughtTokens > 0) result['thoughtsTokenCount'] = answer.thoughtTokens;
  return result;
}

function wrap(parts: ResponsePart[], ids: ResponseIds, final: Answer | undefined): string {
  const candidate: Record<string, unknown> = { content: { role: 'model', parts } };
  if (final !== undefined) candidate['finishReason'] = 'STOP';
  candidate['index'] = 0;
  const response: Record<string, unknown> = { candidates: [candidate] };
  if (final !== undefined) response['usageMetadata'] = usage(final);
  response['modelVersion'] = ids.model;
  response['responseId'] = ids.responseId;
  return JSON.stringify({ response, traceId: ids.traceId });
}

function thoughtParts(answer: Answer): ResponsePart[] {
  if (answer.thoughtText === undefined) return [];
  return [
    { text: answer.thoughtText, thought: true },
    { text: '', thought: true, thoughtSignature: answer.thoughtSignature! },
  ];
}

function callPart(answer: Answer): ResponsePart {
  const part: ResponsePart = { functionCall: answer.functionCall! };
  if (answer.thoughtSignature !== undefined) part.thoughtSignature = answer.thoughtSignature;
  return part;
}

/** The whole answer as one wrapped generateContent body. */
export function renderNonStream(answer: Answer, ids: ResponseIds): string {
  const parts = thoughtParts(answer);
  if (answer.text !== undefined) parts.push({ text: answer.text });
  if (answer.functionCall !== undefined) parts.push(callPart(answer));
  if (answer.image !== undefined) parts.push({ inlineData: answer.image });
  return wrap(parts, ids, answer);
}

/** Splits text into at most `count` pieces of near-equal length, never splitting a surrogate pair. */
export function splitText(text: string, count: number): string[] {
  const characters = Array.from(text);
  const pieces = Math.max(1, Math.min(count, characters.length));
  const result: string[] = [];
  for (let index = 0; index < pieces; index++) {
    const start = Math.floor((index * characters.length) / pieces);
    const end = Math.floor(((index + 1) * characters.length) / pieces);
    result.push(characters.slice(start, end).join(''));
  }
  return result;
}

/**
 * The stream as JSON chunk bodies (without SSE framing): thought text, signature, the answer text in `textChunks`
 * pieces, then the function call or image; the last chunk carries finishReason and usageMetadata.
 */
export function renderStreamChunks(answer: Answer, ids: ResponseIds, textChunks: number): string[] {
  const chunkParts: ResponsePart[][] = thoughtParts(answer).map((part) => [part]);
  if (answer.text !== undefined) {
    for (const piece of splitText(answer.text, textChunks)) chunkParts.push([{ text: piece }]);
  }
  if (answer.functionCall !== undefined) chunkParts.push([callPart(answer)]);
  if (answer.image !== undefined) chunkParts.push([{ inlineData: answer.image }]);
  if (chunkParts.length === 0) chunkParts.push([{ text: '' }]);
  const last = chunkParts.length - 1;
  return chunkParts.map((parts, index) => wrap(parts, ids, index === last ? answer : undefined));
}

/** One SSE frame: `data: <json>` and a blank line, with Google's CRLF unless told otherwise. */
export function sseFrame(json: string, lineEnding: string): string {
  return `data: ${json}${lineEnding}${lineEnding}`;
}
