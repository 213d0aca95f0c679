import type { ResponsesStreamOptions } from '../../../src/protocols/openai/responses-stream.ts';

export const goldenOptions: ResponsesStreamOptions = {
  responseId: 'resp_golden',
  createdAt: 1767225600,
  model: 'gpt-5',
  family: 'claude',
  toolKinds: {},
  compaction: false,
  echo: {},
};

export interface ParsedEvent {
  event: string;
  data: Record<string, unknown> & { type: string; sequence_number: number };
}

/** Parses `event: …\ndata: …\n\n` frames; throws on anything else. */
export function parseEvents(text: string): ParsedEvent[] {
  if (text === '') return [];
  if (!text.endsWith('\n\n')) throw new Error('the stream does not end with a blank line');
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      const match = /^event: ([^\n]+)\ndata: ([^\n]+)$/.exec(frame);
      if (match === null) throw new Error(`not an event frame: ${JSON.stringify(frame)}`);
      return { event: match[1] as string, data: JSON.parse(match[2] as string) as ParsedEvent['data'] };
    });
}

const terminalTypes = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Asserts the Responses stream grammar and returns a problem, or undefined when the stream is well formed: created
 * then in_progress first; sequence numbers 0, 1, 2…; each item added then done before the next is added, with
 * consecutive output indexes; deltas only for the open item; exactly one terminal event, last.
 */
export function grammarProblem(events: readonly ParsedEvent[]): string | undefined {
  if (events[0]?.event !== 'response.created') return `first event is ${events[0]?.event}`;
  if (events[1]?.event !== 'response.in_progress') return `second event is ${events[1]?.event}`;
  let open: { index: number; id: string; type: string } | undefined;
  let nextIndex = 0;
  let terminals = 0;
  for (const [position, { event, data }] of events.entries()) {
    if (data.type !== event) return `event ${event} carries type ${data.type}`;
    if (data.sequence_number !== position) return `sequence number ${data.sequence_number} at position ${position}`;
    if (terminals > 0) return `${event} after the terminal event`;
    if (terminalTypes.has(event)) {
      terminals += 1;
      if (open !== undefined) return `${event} while item ${open.index} is open`;
      continue;
    }
    if (event === 'response.output_item.added') {
      if (open !== undefined) return `item ${data['output_index']} added while item ${open.index} is open`;
      if (data['output_index'] !== nextIndex) return `item index ${data['output_index']}, expected ${nextIndex}`;
      const item = data['item'] as { id: string; type: string };
      open = { index: nextIndex, id: item.id, type: item.type };
      nextIndex += 1;
      continue;
    }
    if (event === 'response.created' || event === 'response.in_progress') {
      if (position > 1) return `${event} at position ${position}`;
      continue;
    }
    // Every other event belongs to the open item.
    if (open === undefined) return `${event} with no open item`;
    if (data['output_index'] !== open.index) return `${event} for item ${data['output_index']}, open is ${open.index}`;
    if (event === 'response.output_item.done') {
      const item = data['item'] as { id: string; type: string };
      if (item.id !== open.id || item.type !== open.type) return `done item ${item.id} differs from added ${open.id}`;
      open = undefined;
    } else if (data['item_id'] !== open.id) {
      return `${event} names item ${data['item_id']}, open is ${open.id}`;
    }
  }
  if (terminals !== 1) return `${terminals} terminal events`;
  return undefined;
}
