/**
 * JSON-schema sanitising for Gemini function declarations (upstream-and-protocols.md §12) and the reverse
 * type fixing of tool-call arguments (§12.1). Owned by the protocols work; this is a placeholder signature.
 */

/** Returns a copy of `schema` that v1internal accepts (whitelisted keys, lower-case types, refs resolved). */
export function sanitizeToolSchema(schema: unknown): Record<string, unknown> {
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema)) return { ...schema };
  return { type: 'object', properties: {} };
}

/** Coerces tool-call argument values to the types `schema` declares (numeric strings, booleans, …). */
export function fixToolArguments(args: Record<string, unknown>, _schema: unknown): Record<string, unknown> {
  return args;
}
