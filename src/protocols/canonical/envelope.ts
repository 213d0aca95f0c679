/**
 * The v1internal request envelope (upstream-and-protocols.md §2.5) and the aggregation of a canonical event
 * stream into one message, which every non-stream encoder starts from.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { isImageModel } from '../models.ts';
import { capOutputTokens } from './output-caps.ts';
import type { CanonicalEvent, CanonicalUsage, FinishReason, GeminiRequest } from './types.ts';
import { addRequiredPlaceholders, placeholderArguments } from './validated-tools.ts';

export interface V1InternalEnvelope {
  project: string;
  requestId: string;
  request: GeminiRequest;
  model: string;
  userAgent: 'antigravity';
  requestType: string;
}

export interface EnvelopeInput {
  projectId: string;
  /** Upstream model name (after mapping). */
  model: string;
  request: GeminiRequest;
  /** `agent` for chat; an image model always goes out as `image_gen`, whatever is asked here. */
  requestType: string;
  /** The canonical session key (`sid-…`, an explicit header value, or an Anthropic user id). */
  sessionKey: string;
  /** Number of messages in the client's conversation, as the reference sends it. */
  messageCount: number;
  /** For an image requestId: the time (default now) and a unique id (default a random UUID); tests pin them. */
  nowMs?: number;
  uniqueId?: string;
  /** The pool account serving the request; its hash becomes `request.sessionId`. */
  accountId?: string;
}

const fnvOffsetBasis = 0xcbf29ce484222325n;
const fnvPrime = 1099511628211n;

/**
 * The 64-bit FNV hash the reference uses for `request.sessionId`: multiply, then xor, per UTF-8 byte,
 * wrapping at 64 bits, stringified as a signed integer.
 */
export function accountSessionId(accountId: string): string {
  let known = sessionIds.get(accountId);
  if (known === undefined) {
    // BigInt arithmetic per byte costs microseconds; a pool has a few accounts, each hashed once.
    if (sessionIds.size >= maxSessionIds) sessionIds.clear();
    known = fnvSessionId(accountId);
    sessionIds.set(accountId, known);
  }
  return known;
}

const sessionIds = new Map<string, string>();
const maxSessionIds = 1024;

function fnvSessionId(accountId: string): string {
  let hash = fnvOffsetBasis;
  for (const byte of new TextEncoder().encode(accountId)) {
    hash = BigInt.asUintN(64, hash * fnvPrime);
    hash ^= BigInt(byte);
  }
  return BigInt.asIntN(64, hash).toString();
}

/** Wraps a Gemini request for v1internal. The input request is not modified. */
export function buildEnvelope(input: EnvelopeInput): V1InternalEnvelope {
  // Claude in VALIDATED mode needs a required property on every tool (validated-tools.ts).
  // Output caps per model (output-caps.ts).
  const request: GeminiRequest = {
    ...capOutputTokens(
      addRequiredPlaceholders(input.request, placeholderArguments(input.model, input.request)),
      input.model,
    ),
  };
  if (request.sessionId === undefined && input.accountId !== undefined && input.accountId !== '') {
    request.sessionId = accountSessionId(input.accountId);
  }
  // Image models are served only as image generation (reference §2.5), also when a chat route reaches them, and
  // the backend checks that the requestId has the image form: image_gen/<epoch ms>/<uuid>/<n>.
  const image = isImageModel(input.model);
  return {
    project: input.projectId,
    requestId: image
      ? `image_gen/${input.nowMs ?? Date.now()}/${input.uniqueId ?? randomUUID()}/${input.messageCount}`
      : `agent/antigravity/${input.sessionKey.slice(0, 8)}/${input.messageCount}`,
    request,
    model: input.model,
    userAgent: 'antigravity',
    requestType: image ? 'image_gen' : input.requestType,
  };
}

export interface CollectedToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  signature?: string;
}

/** Ordered content of a collected answer; consecutive deltas of the same kind are merged. */
export type CollectedBlock =
  | { type: 'thinking'; text: string; signature?: string }
  | { type: 'text'; text: string }
  | ({ type: 'tool-call' } & CollectedToolCall)
  | { type: 'inline-data'; mimeType: string; data: string };

export interface CollectedMessage {
  id: string;
  model: string;
  blocks: CollectedBlock[];
  /** All thinking text, concatenated. */
  thinking: string;
  /** Every thinking signature, in order. */
  signatures: string[];
  /** All answer text, concatenated. */
  text: string;
  toolCalls: CollectedToolCall[];
  usage?: CanonicalUsage;
  finish?: { reason: FinishReason; rawReason: string };
  error?: { code: ErrorCode; message: string };
}

/**
 * Aggregates a complete event stream into one message (for non-stream responses). Blocks follow the events'
 * `block-start`s; deltas outside a block of their kind start one, so hand-written sequences aggregate too.
 */
export function collectEvents(events: Iterable<CanonicalEvent>): CollectedMessage {
  const message: CollectedMessage = {
    id: '',
    model: '',
    blocks: [],
    thinking: '',
    signatures: [],
    text: '',
    toolCalls: [],
  };
  for (const event of events) {
    const last = message.blocks.at(-1);
    switch (event.type) {
      case 'message-start':
        message.id = event.id;
        message.model = event.model;
        break;
      case 'block-start':
        message.blocks.push(event.kind === 'thinking' ? { type: 'thinking', text: '' } : { type: 'text', text: '' });
        break;
      case 'block-end':
        break;
      case 'thinking-delta':
        message.thinking += event.text;
        if (last?.type === 'thinking' && last.signature === undefined) last.text += event.text;
        else message.blocks.push({ type: 'thinking', text: event.text });
        break;
      case 'thinking-signature':
        message.signatures.push(event.signature);
        if (last?.type === 'thinking' && last.signature === undefined) last.signature = event.signature;
        else message.blocks.push({ type: 'thinking', text: '', signature: event.signature });
        break;
      case 'text-delta':
        message.text += event.text;
        if (last?.type === 'text') last.text += event.text;
        else message.blocks.push({ type: 'text', text: event.text });
        break;
      case 'tool-call': {
        const call: CollectedToolCall = { id: event.id, name: event.name, arguments: event.arguments };
        if (event.signature !== undefined) call.signature = event.signature;
        message.toolCalls.push(call);
        message.blocks.push({ type: 'tool-call', ...call });
        break;
      }
      case 'inline-data':
        message.blocks.push({ type: 'inline-data', mimeType: event.mimeType, data: event.data });
        break;
      case 'usage':
        message.usage = event.usage;
        break;
      case 'finish':
        message.finish = { reason: event.reason, rawReason: event.rawReason };
        break;
      case 'error':
        message.error = { code: event.code, message: event.message };
        break;
    }
  }
  return message;
}
