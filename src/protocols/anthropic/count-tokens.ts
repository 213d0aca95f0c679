/**
 * A local estimate for `/v1/messages/count_tokens`. v1internal has no Claude-compatible counter, and answering 0 (as
 * the reference does, weakness 10) makes clients think their context is empty; an estimate within tens of percent
 * lets them decide when to compact. Method (docs/anthropic.md): one token per four characters of every text the
 * model reads, fixed costs for media, and small per-message and per-tool overheads.
 */
import type { ContentBlock, CountTokensRequest } from './request-schema.ts';

export const charactersPerToken = 4;
/** Anthropic bills an image by its area, at most about 1 600 tokens; the size is unknown here, so assume the maximum. */
export const imageTokens = 1_600;
/** A PDF page costs about 1 500 tokens (text plus page image); page count is guessed from the base64 size. */
export const documentTokensPerPage = 1_500;
/** About 56 KB of a typical PDF per page, as base64 characters. */
export const documentCharactersPerPage = 75_000;
export const messageOverheadTokens = 4;
export const toolOverheadTokens = 10;
/** The hidden tool-use instructions Anthropic adds whenever tools are declared. */
export const toolsPreambleTokens = 300;

/** `{input_tokens}` for a validated count_tokens (or Messages) request; at least 1 for any non-empty request. */
export function countTokens(request: CountTokensRequest): { input_tokens: number } {
  let characters = 0;
  let fixed = 0;
  const system = request.system;
  if (typeof system === 'string') characters += system.length;
  else for (const block of system ?? []) characters += block.text.length;

  for (const message of request.messages) {
    fixed += messageOverheadTokens;
    if (typeof message.content === 'string') characters += message.content.length;
    else
      for (const block of message.content) {
        const cost = blockCost(block);
        characters += cost.characters;
        fixed += cost.tokens;
      }
  }
  const tools = request.tools ?? [];
  if (tools.length > 0) fixed += toolsPreambleTokens;
  for (const tool of tools) {
    fixed += toolOverheadTokens;
    characters += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.input_schema ?? {}).length;
  }
  return { input_tokens: Math.max(1, Math.ceil(characters / charactersPerToken) + fixed) };
}

type Countable =
  | ContentBlock
  | Exclude<Extract<ContentBlock, { type: 'tool_result' }>['content'], string | undefined>[number];

function blockCost(block: Countable): { characters: number; tokens: number } {
  switch (block.type) {
    case 'text':
      return { characters: block.text.length, tokens: 0 };
    case 'thinking':
      return { characters: block.thinking.length, tokens: 0 };
    case 'redacted_thinking':
      return { characters: 0, tokens: 0 };
    case 'image':
      return { characters: 0, tokens: imageTokens };
    case 'document': {
      if (block.source.type === 'text') return { characters: block.source.data.length, tokens: 0 };
      if (block.source.type === 'url') return { characters: 0, tokens: documentTokensPerPage };
      const pages = Math.max(1, Math.ceil(block.source.data.length / documentCharactersPerPage));
      return { characters: 0, tokens: pages * documentTokensPerPage };
    }
    case 'tool_use':
      return { characters: block.name.length + JSON.stringify(block.input).length, tokens: 0 };
    case 'tool_result': {
      if (block.content === undefined) return { characters: 0, tokens: 0 };
      if (typeof block.content === 'string') return { characters: block.content.length, tokens: 0 };
      let characters = 0;
      let tokens = 0;
      for (const inner of block.content) {
        const cost = blockCost(inner);
        characters += cost.characters;
        tokens += cost.tokens;
      }
      return { characters, tokens };
    }
  }
}
