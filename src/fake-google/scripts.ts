/**
 * Scripted failures: rules queued by tests, each matched by endpoint, base, account and model, applied a
 * number of times, then gone.
 */
import type { BaseName, Endpoint, ScriptAction, ScriptHandle, ScriptRule } from './types.ts';

interface ActiveRule {
  id: number;
  rule: ScriptRule;
  remaining: number;
}

export interface RequestFacts {
  endpoint: Endpoint;
  base: BaseName | undefined;
  email: string | undefined;
  model: string | undefined;
}

/** The combined effect of every rule that matched one request. */
export interface AppliedScript {
  latencyMs: number;
  /** The first matching rule that decides the outcome (error, reset, stall…). */
  terminal: ScriptAction | undefined;
  chunkDelayMs: number | undefined;
  resetAfterChunks: number | undefined;
  splitWrites: { pieceBytes: number; delayMs: number } | undefined;
  streamChunks: number | undefined;
  runningUsage: boolean;
}

const streamOnlyKinds = new Set<ScriptAction['kind']>([
  'slow-chunks',
  'reset-after-chunks',
  'split-writes',
  'stream-chunks',
  'running-usage',
]);

function endpointAllowed(action: ScriptAction, endpoint: Endpoint): boolean {
  if (streamOnlyKinds.has(action.kind)) return endpoint === 'streamGenerateContent';
  if (action.kind === 'invalid-grant') return endpoint === 'token';
  if (action.kind === 'no-capacity') return endpoint === 'generateContent' || endpoint === 'streamGenerateContent';
  if (action.kind === 'stall') return endpoint !== 'auth';
  return true;
}

export class ScriptBook {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  add(rule: ScriptRule): ScriptHandle {
    const times = rule.times ?? 1;
    const active: ActiveRule = { id: this.nextId++, rule, remaining: times === 'always' ? Infinity : times };
    this.rules.push(active);
    return {
      id: active.id,
      remaining: () => active.remaining,
      cancel: () => {
        active.remaining = 0;
        this.rules = this.rules.filter((candidate) => candidate !== active);
      },
    };
  }

  clear(): void {
    this.rules = [];
  }

  get size(): number {
    return this.rules.length;
  }

  /** Consumes every rule that matches; undefined when none did (the common, fast case). */
  apply(facts: RequestFacts, random: () => number): AppliedScript | undefined {
    if (this.rules.length === 0) return undefined;
    let applied: AppliedScript | undefined;
    for (const active of this.rules) {
      if (active.remaining <= 0 || !matches(active.rule, facts)) continue;
      const action = active.rule.action;
      applied ??= {
        latencyMs: 0,
        terminal: undefined,
        chunkDelayMs: undefined,
        resetAfterChunks: undefined,
        splitWrites: undefined,
        streamChunks: undefined,
        runningUsage: false,
      };
      if (action.kind !== 'latency' && !streamOnlyKinds.has(action.kind) && applied.terminal !== undefined) continue;
      active.remaining--;
      switch (action.kind) {
        case 'latency':
          applied.latencyMs += action.ms + (action.jitterMs ?? 0) * random();
          break;
        case 'slow-chunks':
          applied.chunkDelayMs = action.delayMs;
          break;
        case 'reset-after-chunks':
          applied.resetAfterChunks = action.chunks;
          break;
        case 'split-writes':
          applied.splitWrites = { pieceBytes: Math.max(1, action.pieceBytes), delayMs: action.delayMs };
          break;
        case 'stream-chunks':
          applied.streamChunks = Math.max(1, action.count);
          break;
        case 'running-usage':
          applied.runningUsage = true;
          break;
        default:
          applied.terminal = action;
      }
    }
    this.rules = this.rules.filter((active) => active.remaining > 0);
    return applied;
  }
}

function matches(rule: ScriptRule, facts: RequestFacts): boolean {
  if (!endpointAllowed(rule.action, facts.endpoint)) return false;
  const match = rule.match;
  if (match === undefined) return facts.endpoint !== 'auth';
  if (match.endpoint !== undefined) {
    const wanted = Array.isArray(match.endpoint) ? match.endpoint : [match.endpoint];
    if (!wanted.includes(facts.endpoint)) return false;
  } else if (facts.endpoint === 'auth') {
    return false;
  }
  if (match.base !== undefined && match.base !== facts.base) return false;
  if (match.email !== undefined && match.email !== facts.email) return false;
  if (match.model !== undefined && match.model !== facts.model) return false;
  return true;
}
