/**
 * Errors in the Anthropic dialect: `{type:"error", error:{type, message}}` with Anthropic's error types, and an HTTP
 * status that is never a success (the reference could answer 200 with an error body, weakness 27).
 */
import type { GatewayError } from '../../errors/catalogue.ts';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/** Anthropic's error type for an HTTP status. */
export function anthropicErrorType(status: number): AnthropicErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

/** The Anthropic error body for a gateway error. The message is the error's own, which never holds secrets. */
export function anthropicErrorBody(error: GatewayError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message } };
}

/** Status and body to send; a status below 400 (which no catalogue entry has) is answered as 500. */
export function anthropicErrorResponse(error: GatewayError): { status: number; body: AnthropicErrorBody } {
  const status = error.status >= 400 ? error.status : 500;
  return { status, body: { type: 'error', error: { type: anthropicErrorType(status), message: error.message } } };
}
