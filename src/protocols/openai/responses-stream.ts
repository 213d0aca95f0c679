/**
 * Canonical events → the typed SSE events of the OpenAI Responses API, and the response object they describe.
 *
 * Grammar (checked by test/protocols/openai/responses-stream.property.test.ts): `response.created` and
 * `response.in_progress` first; each output item is opened by `response.output_item.added` and closed by
 * `response.output_item.done` before the next one opens; deltas only go to the open item; every event has a
 * `sequence_number` one higher than the last; exactly one terminal event (`response.completed`,
 * `response.incomplete` or `response.failed`) ends the stream. Thinking becomes a `reasoning` item with a summary (its
 * signature rides in `encrypted_content`), text a `message` item, tool calls `function_call` or `custom_tool_call`
 * items. The terminal event waits for `end()`, because the upstream may send its final usage after the finish.
 */
import type { CanonicalEvent, CanonicalUsage, FinishReason } from '../canonical/types.ts';
import type { ModelFamily } from '../models.ts';
import { inlineDataMarkdown } from './chat-stream.ts';
import { encodeCompaction } from './responses-compaction.ts';
import { encodeReasoning } from './responses-reasoning.ts';
import type { ToolKind } from './responses-request.ts';

export interface ResponsesStreamOptions {
  /** `resp_…`; item ids are derived from it. */
  responseId: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model name the client asked for. */
  model: string;
  /** Upstream family, recorded with thought signatures so they are only replayed to the same family. */
  family: ModelFamily;
  toolKinds: Readonly<Record<string, ToolKind>>;
  /** Answer with one `compaction` item holding the summary instead of a message. */
  compaction: boolean;
  /** Request settings echoed in the response object (instructions, tools, tool_choice, …). */
  echo: Record<string, unknown>;
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  model: string;
  output: Array<Record<string, unknown>>;
  usage: ResponsesUsage | null;
  [key: string]: unknown;
}

export interface ResponsesStreamEncoder {
  /** Frames (`event: …\ndata: …\n\n`) to write for one event. */
  push(event: CanonicalEvent): string[];
  /** Closes the open item and sends the one terminal event (a failure when the answer never finished). */
  end(): string[];
  /** The response as its terminal event described it; undefined before the stream ended. */
  response(): ResponseObject | undefined;
}

/** Output tokens include reasoning tokens, as OpenAI reports them. */
export function toResponsesUsage(usage: CanonicalUsage | undefined): ResponsesUsage {
  const value = usage ?? { inputTokens: 0, outputTokens: 0, thoughtTokens: 0, cachedTokens: 0, totalTokens: 0 };
  return {
    input_tokens: value.inputTokens,
    input_tokens_details: { cached_tokens: value.cachedTokens },
    output_tokens: value.outputTokens,
    output_tokens_details: { reasoning_tokens: value.thoughtTokens },
    total_tokens: value.totalTokens,
  };
}

/** The terminal status of a finished answer and, when incomplete, why (OpenAI's reasons). */
export function terminalStatus(reason: FinishReason): { status: ResponseStatus; incomplete?: string } {
  if (reason === 'max-tokens') return { status: 'incomplete', incomplete: 'max_output_tokens' };
  if (reason === 'safety') return { status: 'incomplete', incomplete: 'content_filter' };
  return { status: 'completed' };
}

interface OpenItem {
  kind: 'message' | 'reasoning';
  id: string;
  index: number;
  text: string;
  signature?: string;
}

/** Creates the encoder for one streamed response. */
export function createResponsesStreamEncoder(options: ResponsesStreamOptions): ResponsesStreamEncoder {
  const idBase = options.responseId.replace(/^resp_/, '');
  const output: Array<Record<string, unknown>> = [];
  let sequence = 0;
  let started = false;
  let ended = false;
  let open: OpenItem | undefined;
  let usage: CanonicalUsage | undefined;
  let finish: FinishReason | undefined;
  let summary = '';
  let final: ResponseObject | undefined;

  const itemId = (prefix: string, index: number): string => `${prefix}_${idBase}_${index}`;

  function snapshot(status: ResponseStatus, extra: Partial<ResponseObject> = {}): ResponseObject {
    return {
      id: options.responseId,
      object: 'response',
      created_at: options.createdAt,
      status,
      error: null,
      incomplete_details: null,
      model: options.model,
      output: status === 'in_progress' ? [] : output.map((item) => ({ ...item })),
      usage: status === 'in_progress' ? null : toResponsesUsage(usage),
      ...options.echo,
      ...extra,
    };
  }

  function emit(frames: string[], type: string, payload: Record<string, unknown>): void {
    const data = { type, sequence_number: sequence, ...payload };
    sequence += 1;
    frames.push(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  function start(frames: string[]): void {
    if (started) return;
    started = true;
    emit(frames, 'response.created', { response: snapshot('in_progress') });
    emit(frames, 'response.in_progress', { response: snapshot('in_progress') });
  }

  function addItem(frames: string[], item: Record<string, unknown>): number {
    const index = output.length;
    output.push(item);
    emit(frames, 'response.output_item.added', { output_index: index, item });
    return index;
  }

  function finishItem(frames: string[], index: number, item: Record<string, unknown>): void {
    output[index] = item;
    emit(frames, 'response.output_item.done', { output_index: index, item });
  }

  function closeOpen(frames: string[], status: 'completed' | 'incomplete' = 'completed'): void {
    const item = open;
    if (item === undefined) return;
    open = undefined;
    const where = { item_id: item.id, output_index: item.index };
    if (item.kind === 'message') {
      const part = { type: 'output_text', text: item.text, annotations: [] };
      emit(frames, 'response.output_text.done', { ...where, content_index: 0, text: item.text });
      emit(frames, 'response.content_part.done', { ...where, content_index: 0, part });
      finishItem(frames, item.index, { id: item.id, type: 'message', role: 'assistant', status, content: [part] });
      return;
    }
    const part = { type: 'summary_text', text: item.text };
    emit(frames, 'response.reasoning_summary_text.done', { ...where, summary_index: 0, text: item.text });
    emit(frames, 'response.reasoning_summary_part.done', { ...where, summary_index: 0, part });
    const done: Record<string, unknown> = { id: item.id, type: 'reasoning', summary: [part] };
    if (item.signature !== undefined) done['encrypted_content'] = encodeReasoning(options.family, item.signature);
    finishItem(frames, item.index, done);
  }

  function openItem(frames: string[], kind: OpenItem['kind']): OpenItem {
    if (open?.kind === kind) return open;
    closeOpen(frames);
    const id = itemId(kind === 'message' ? 'msg' : 'rs', output.length);
    const index =
      kind === 'message'
        ? addItem(frames, { id, type: 'message', role: 'assistant', status: 'in_progress', content: [] })
        : addItem(frames, { id, type: 'reasoning', summary: [] });
    const where = { item_id: id, output_index: index };
    if (kind === 'message') {
      emit(frames, 'response.content_part.added', {
        ...where,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      });
    } else {
      emit(frames, 'response.reasoning_summary_part.added', {
        ...where,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
    }
    open = { kind, id, index, text: '' };
    return open;
  }

  function text(frames: string[], delta: string): void {
    if (options.compaction) {
      summary += delta;
      return;
    }
    const item = openItem(frames, 'message');
    item.text += delta;
    emit(frames, 'response.output_text.delta', {
      item_id: item.id,
      output_index: item.index,
      content_index: 0,
      delta,
    });
  }

  function toolCall(frames: string[], event: Extract<CanonicalEvent, { type: 'tool-call' }>): void {
    closeOpen(frames);
    const kind = options.toolKinds[event.name];
    const index = output.length;
    if (kind?.kind === 'custom') {
      const raw = event.arguments['input'];
      const input = typeof raw === 'string' ? raw : JSON.stringify(event.arguments);
      const id = itemId('ctc', index);
      const base = { id, type: 'custom_tool_call', call_id: event.id, name: event.name };
      addItem(frames, { ...base, status: 'in_progress', input: '' });
      emit(frames, 'response.custom_tool_call_input.delta', { item_id: id, output_index: index, delta: input });
      emit(frames, 'response.custom_tool_call_input.done', { item_id: id, output_index: index, input });
      finishItem(frames, index, { ...base, status: 'completed', input });
      return;
    }
    const id = itemId('fc', index);
    const args = JSON.stringify(event.arguments);
    const base: Record<string, unknown> = { id, type: 'function_call', call_id: event.id, name: event.name };
    if (kind?.namespace !== undefined) base['namespace'] = kind.namespace;
    addItem(frames, { ...base, status: 'in_progress', arguments: '' });
    emit(frames, 'response.function_call_arguments.delta', { item_id: id, output_index: index, delta: args });
    emit(frames, 'response.function_call_arguments.done', {
      item_id: id,
      output_index: index,
      name: event.name,
      arguments: args,
    });
    finishItem(frames, index, { ...base, status: 'completed', arguments: args });
  }

  function fail(frames: string[], code: string, message: string): void {
    closeOpen(frames, 'incomplete');
    final = snapshot('failed', { error: { code, message } });
    emit(frames, 'response.failed', { response: final });
    ended = true;
  }

  return {
    push(event) {
      if (ended) return [];
      const frames: string[] = [];
      start(frames);
      switch (event.type) {
        case 'message-start':
          break;
        case 'thinking-delta': {
          if (options.compaction || event.text === '') break;
          const item = openItem(frames, 'reasoning');
          item.text += event.text;
          emit(frames, 'response.reasoning_summary_text.delta', {
            item_id: item.id,
            output_index: item.index,
            summary_index: 0,
            delta: event.text,
          });
          break;
        }
        case 'thinking-signature':
          // The signature ends the thinking block it belongs to; a signature without one has nothing to sign.
          if (open?.kind === 'reasoning') {
            open.signature = event.signature;
            closeOpen(frames);
          }
          break;
        case 'text-delta':
          if (event.text !== '') text(frames, event.text);
          break;
        case 'inline-data':
          text(frames, inlineDataMarkdown(event.mimeType, event.data));
          break;
        case 'tool-call':
          if (!options.compaction) toolCall(frames, event);
          break;
        case 'usage':
          usage = event.usage;
          break;
        case 'finish':
          if (finish === undefined) {
            finish = event.reason;
            closeOpen(frames);
          }
          break;
        case 'error':
          fail(frames, event.code, event.message);
          break;
      }
      return frames;
    },
    end() {
      if (ended) return [];
      const frames: string[] = [];
      start(frames);
      if (finish === undefined) {
        // Never end an answer that did not finish as if it had: the client must see the truncation.
        fail(frames, 'AGW_UPSTREAM_STREAM_BROKEN', 'The answer ended without a finish reason.');
        return frames;
      }
      closeOpen(frames);
      if (options.compaction) {
        const index = output.length;
        const item = { id: itemId('cmp', index), type: 'compaction', encrypted_content: encodeCompaction(summary) };
        addItem(frames, item);
        finishItem(frames, index, item);
      }
      const { status, incomplete } = terminalStatus(finish);
      final = snapshot(status, incomplete === undefined ? {} : { incomplete_details: { reason: incomplete } });
      emit(frames, `response.${status}`, { response: final });
      ended = true;
      return frames;
    },
    response: () => final,
  };
}
