/**
 * Gateway errors in OpenAI's error dialect.
 */
import { type ErrorCode, GatewayError } from '../../errors/catalogue.ts';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

/** OpenAI's `error.type` for an HTTP status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504 || status === 408) return 'timeout_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'server_error';
}

/** The JSON body to send with `error.status`. */
export function openAiErrorBody(error: GatewayError): OpenAiErrorBody {
  return { error: { message: error.message, type: openAiErrorType(error.status), param: null, code: error.code } };
}

/** A canonical `error` event as a GatewayError. */
export function gatewayErrorFromEvent(code: ErrorCode, message: string): GatewayError {
  return new GatewayError(code, message);
}
