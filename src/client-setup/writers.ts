/** The writer of each client `agw setup` knows. */
import { claudeCodeWriter } from './claude-code.ts';
import { codexWriter } from './codex.ts';
import { geminiCliWriter } from './gemini-cli.ts';
import { opencodeWriter } from './opencode.ts';
import type { ClientName, ClientWriter } from './types.ts';

export const clientWriters: Readonly<Record<ClientName, ClientWriter>> = {
  'claude-code': claudeCodeWriter,
  codex: codexWriter,
  'gemini-cli': geminiCliWriter,
  opencode: opencodeWriter,
};
