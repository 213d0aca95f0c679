/**
 * Reads Google RPC error bodies (`{"error":{code,message,status,details:[…]}}`, sometimes wrapped in an array)
 * into a small typed view. Anything unreadable yields an empty view; callers fall back to the raw text.
 */

export interface ErrorDetail {
  readonly type: string;
  readonly reason?: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly retryDelay?: unknown;
}

export interface UpstreamErrorBody {
  readonly message?: string;
  readonly status?: string;
  readonly details: readonly ErrorDetail[];
  /** `error.retry_after`, a number of seconds some endpoints send. */
  readonly retryAfterSeconds?: number;
}

const emptyBody: UpstreamErrorBody = { details: [] };

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Parses the body text; never throws. */
export function readUpstreamErrorBody(bodyText: string): UpstreamErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return emptyBody;
  }
  if (Array.isArray(parsed)) parsed = parsed[0];
  const error = asRecord(asRecord(parsed)?.['error']);
  if (error === undefined) return emptyBody;
  const details: ErrorDetail[] = [];
  const rawDetails = Array.isArray(error['details']) ? error['details'] : [];
  for (const raw of rawDetails) {
    const detail = asRecord(raw);
    if (detail === undefined) continue;
    const reason = detail['reason'];
    details.push({
      type: typeof detail['@type'] === 'string' ? detail['@type'] : '',
      ...(typeof reason === 'string' ? { reason } : {}),
      metadata: asRecord(detail['metadata']) ?? {},
      ...(detail['retryDelay'] !== undefined ? { retryDelay: detail['retryDelay'] } : {}),
    });
  }
  const message = error['message'];
  const status = error['status'];
  const retryAfter = error['retry_after'];
  return {
    details,
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof status === 'string' ? { status } : {}),
    ...(typeof retryAfter === 'number' && Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
  };
}
