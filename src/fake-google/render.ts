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

/** Usage of a chunk before the last one, as Google reports it mid-stream: the prompt and the output so far. */
function runningUsage(answer: Answer, output: { text: number; thought: number }): Record<string, number> {
  const candidates = Math.ceil(output.text / 4);
  const thoughts = Math.ceil(output.thought / 4);
  const result: Record<string, number> = {
    promptTokenCount: answer.promptTokens,
    candidatesTokenCount: candidates,
    totalTokenCount: answer.promptTokens + candidates + thoughts,
  };
  if (thoughts > 0) result['thoughtsTokenCount'] = thoughts;
  return result;
}

function wrap(
  parts: ResponsePart[],
  ids: ResponseIds,
  final: Answer | undefined,
  running?: Record<string, number>,
): string {
  const candidate: Record<string, unknown> = { content: { role: 'model', parts } };
  if (final !== undefined) candidate['finishReason'] = 'STOP';
  candidate['index'] = 0;
  const response: Record<string, unknown> = { candidates: [candidate] };
  if (final !== undefined) response['usageMetadata'] = usage(final);
  else if (running !== undefined) response['usageMetadata'] = running;
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
 * pieces, then the function call or image; the last chunk carries finishReason and usageMetadata. With
 * `withRunningUsage` every earlier chunk carries the usage so far too, as Google's own streams do.
 */
export function renderStreamChunks(
  answer: Answer,
  ids: ResponseIds,
  textChunks: number,
  withRunningUsage = false,
): string[] {
  const chunkParts: ResponsePart[][] = thoughtParts(answer).map((part) => [part]);
  if (answer.text !== undefined) {
    for (const piece of splitText(answer.text, textChunks)) chunkParts.push([{ text: piece }]);
  }
  if (answer.functionCall !== undefined) chunkParts.push([callPart(answer)]);
  if (answer.image !== undefined) chunkParts.push([{ inlineData: answer.image }]);
  if (chunkParts.length === 0) chunkParts.push([{ text: '' }]);
  const last = chunkParts.length - 1;
  const output = { text: 0, thought: 0 };
  return chunkParts.map((parts, index) => {
    for (const part of parts) {
      if (part.thought === true) output.thought += part.text?.length ?? 0;
      else output.text += part.text?.length ?? 0;
    }
    const running = withRunningUsage ? runningUsage(answer, output) : undefined;
    return wrap(parts, ids, index === last ? answer : undefined, running);
  });
}

/** One SSE frame: `data: <json>` and a blank line, with Google's CRLF unless told otherwise. */
export function sseFrame(json: string, lineEnding: string): string {
  return `data: ${json}${lineEnding}${lineEnding}`;
}
