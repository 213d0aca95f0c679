/**
 * Anthropic messages → Gemini contents. Thinking signatures are only forwarded when agw itself saw the upstream issue
 * them for the target model family; unanswered tool calls get synthetic error results without losing any message.
 */

import { skipSignatureSentinel } from '../canonical/safety.ts';
import type { GeminiContent, GeminiPart } from '../canonical/types.ts';
import type { ModelFamily } from '../models.ts';
import { fixToolArguments } from '../schema-sanitizer.ts';
import type { AnthropicMessage, ContentBlock, ToolResultBlock } from './request-schema.ts';
import type { SignatureStore } from './signature-store.ts';

/** Upper bound on one tool result's text; longer outputs are cut so one huge log cannot fill the context window. */
export const maxToolResultCharacters = 200_000;
export const interruptedToolMessage = 'Tool execution was interrupted; no result was provided.';

export interface ContentMappingOptions {
  family: ModelFamily;
  /** Whether thinking is on for this request; signed thinking is only forwarded then. */
  thinkingEnabled: boolean;
  signatureStore: SignatureStore;
  sessionKey: string;
  accountId: string | undefined;
  /** Tool name → the client's input_schema, for type-fixing historical arguments. */
  toolSchemas: ReadonlyMap<string, unknown>;
}

type Block = ContentBlock;
type ToolResultInner = Exclude<ToolResultBlock['content'], string | undefined>[number];

/** Maps the conversation; adjacent contents of the same role are merged. */
export function mapMessages(messages: readonly AnthropicMessage[], options: ContentMappingOptions): GeminiContent[] {
  const contents: GeminiContent[] = [];
  let pending = new Map<string, string>();

  for (const message of messages) {
    const blocks: Block[] =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    if (message.role === 'assistant') {
      // A new assistant turn while calls are unanswered: answer them first, keep the assistant turn (weakness 4).
      if (pending.size > 0) contents.push({ role: 'user', parts: interruptedResponses(pending) });
      contents.push({ role: 'model', parts: mapAssistantBlocks(blocks, options) });
      pending = new Map(
        blocks.flatMap((block) => (block.type === 'tool_use' ? [[block.id, block.name] as const] : [])),
      );
    } else {
      contents.push({ role: 'user', parts: mapUserBlocks(blocks, pending) });
      pending = new Map();
    }
  }
  return mergeAdjacent(contents.filter((content) => content.parts.length > 0));
}

function mapAssistantBlocks(blocks: readonly Block[], options: ContentMappingOptions): GeminiPart[] {
  const parts: GeminiPart[] = [];
  let messageSignature: string | undefined;
  for (const block of blocks) {
    switch (block.type) {
      case 'thinking': {
        const signature = block.signature ?? '';
        // Unsigned, unknown or other-family thinking is dropped: never forged, never replayed to the wrong family.
        if (!options.thinkingEnabled || !isValidSignature(signature, options)) break;
        parts.push({ text: block.thinking, thought: true, thoughtSignature: signature });
        messageSignature = signature;
        break;
      }
      case 'redacted_thinking':
        // Encrypted Anthropic reasoning has no Gemini-format equivalent; forwarding it as text would leak noise.
        break;
      case 'tool_use': {
        const part: GeminiPart = {
          functionCall: {
            name: block.name,
            args: fixToolArguments(block.input, options.toolSchemas.get(block.name)),
            id: block.id,
          },
        };
        const signature = toolCallSignature(block.id, block.signature, messageSignature, options);
        if (signature !== undefined) part.thoughtSignature = signature;
        parts.push(part);
        break;
      }
      default:
        parts.push(...mapCommonBlock(block));
    }
  }
  return parts;
}

/**
 * The signature for a historical function call: the block's own (if agw issued it), the one recorded with that
 * tool call id, and for Claude the signature of the thinking block that preceded it in the same message. A Gemini
 * call with none of these gets the documented sentinel; a Claude call gets nothing.
 */
function toolCallSignature(
  toolCallId: string,
  ownSignature: string | undefined,
  messageSignature: string | undefined,
  options: ContentMappingOptions,
): string | undefined {
  if (ownSignature !== undefined && isValidSignature(ownSignature, options)) return ownSignature;
  const recorded = options.signatureStore.forToolCall(options.sessionKey, toolCallId, options.family);
  if (recorded !== undefined) return recorded;
  if (options.family === 'claude' && messageSignature !== undefined) return messageSignature;
  if (options.family === 'gemini') return skipSignatureSentinel;
  return undefined;
}

function isValidSignature(signature: string, options: ContentMappingOptions): boolean {
  if (signature === '' || signature === skipSignatureSentinel) return false;
  return options.signatureStore.isKnown(options.sessionKey, options.accountId, options.family, signature);
}

function mapUserBlocks(blocks: readonly Block[], pending: ReadonlyMap<string, string>): GeminiPart[] {
  const responses: GeminiPart[] = [];
  const others: GeminiPart[] = [];
  const answered = new Set<string>();
  for (const block of blocks) {
    if (block.type === 'tool_result') {
      const name = pending.get(block.tool_use_id);
      const { text, media } = toolResultContent(block);
      if (name === undefined || answered.has(block.tool_use_id)) {
        // Gemini rejects a response to a call that is not in the previous turn; keep the output as plain text.
        others.push({ text: `[Result of tool call ${block.tool_use_id}]\n${text}` }, ...media);
        continue;
      }
      answered.add(block.tool_use_id);
      responses.push({
        functionResponse: {
          name,
          response: block.is_error === true ? { error: text } : { result: text },
          id: block.tool_use_id,
        },
      });
      others.push(...media);
    } else if (block.type === 'thinking' || block.type === 'redacted_thinking' || block.type === 'tool_use') {
      // Only assistant turns carry these; in a user turn they cannot be honoured and are dropped.
    } else {
      others.push(...mapCommonBlock(block));
    }
  }
  const missing = new Map([...pending].filter(([id]) => !answered.has(id)));
  return [...interruptedResponses(missing), ...responses, ...others];
}

function interruptedResponses(pending: ReadonlyMap<string, string>): GeminiPart[] {
  return [...pending].map(([id, name]) => ({
    functionResponse: { name, response: { error: interruptedToolMessage }, id },
  }));
}

function toolResultContent(block: ToolResultBlock): { text: string; media: GeminiPart[] } {
  const media: GeminiPart[] = [];
  let text: string;
  if (block.content === undefined) text = '';
  else if (typeof block.content === 'string') text = block.content;
  else {
    const texts: string[] = [];
    for (const inner of block.content as ToolResultInner[]) {
      if (inner.type === 'text') texts.push(inner.text);
      else if (inner.type === 'document' && inner.source.type === 'text') texts.push(inner.source.data);
      else media.push(...mapCommonBlock(inner));
    }
    text = texts.join('\n');
  }
  if (text.length > maxToolResultCharacters) text = `${text.slice(0, maxToolResultCharacters)}\n...[truncated output]`;
  // Gemini refuses empty function responses; say what an empty output means instead.
  if (text.trim() === '')
    text =
      block.is_error === true ? 'Tool execution failed with no output.' : 'Tool executed successfully with no output.';
  return { text, media };
}

function mapCommonBlock(block: Block | ToolResultInner): GeminiPart[] {
  switch (block.type) {
    case 'text':
      return block.text.trim() === '' ? [] : [{ text: block.text }];
    case 'image':
    case 'document': {
      const source = block.source;
      if (source.type === 'base64') return [{ inlineData: { mimeType: source.media_type, data: source.data } }];
      if (source.type === 'url') return [{ fileData: { fileUri: source.url } }];
      return source.data.trim() === '' ? [] : [{ text: source.data }];
    }
    default:
      return [];
  }
}

function mergeAdjacent(contents: readonly GeminiContent[]): GeminiContent[] {
  const merged: GeminiContent[] = [];
  for (const content of contents) {
    const previous = merged.at(-1);
    if (previous !== undefined && previous.role === content.role)
      previous.parts = [...previous.parts, ...content.parts];
    else merged.push({ role: content.role, parts: [...content.parts] });
  }
  return merged;
}
