/**
 * The system error code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`, …) of an error thrown by undici or the socket
 * beneath it, looking through a few levels of `cause`.
 */
export function errorCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
