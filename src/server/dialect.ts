/**
 * Which API dialect a request speaks, decided by its path, and how an error leaves in that dialect: OpenAI error
 * objects, Anthropic `{type:"error",…}`, Gemini `{error:{code,message,status}}`, the admin API's own shape. Every
 * error also carries its catalogue code in `x-agw-error-code` and, when a wait is known, `Retry-After`.
 */
import type { FastifyReply } from 'fastify';
import { type GatewayError, toGatewayError } from '../errors/catalogue.ts';
import { anthropicErrorBody } from '../protocols/anthropic/error-body.ts';
import { geminiErrorBody } from '../protocols/gemini/response.ts';
import { openAiErrorBody } from '../protocols/openai/errors.ts';
import { scrubText } from '../telemetry/redaction.ts';

export type Dialect = 'openai' | 'anthropic' | 'gemini' | 'admin';

export function dialectOf(url: string): Dialect {
  const path = url.split('?')[0] ?? url;
  if (path.startsWith('/v1/messages')) return 'anthropic';
  if (path.startsWith('/v1beta/')) return 'gemini';
  if (path.startsWith('/api/') || path === '/api') return 'admin';
  return 'openai';
}

export function errorBody(dialect: Dialect, error: GatewayError): unknown {
  switch (dialect) {
    case 'anthropic':
      return anthropicErrorBody(error);
    case 'gemini':
      return geminiErrorBody(error);
    case 'admin':
      return { error: { code: error.code, message: error.message } };
    default:
      return openAiErrorBody(error);
  }
}

/** Sends `error` in the dialect of the route; safe to call for any thrown value. */
export function sendError(reply: FastifyReply, dialect: Dialect, thrown: unknown): FastifyReply {
  const error = toGatewayError(thrown);
  reply
    .code(error.status)
    .header('x-agw-error-code', error.code)
    .header('content-type', 'application/json; charset=utf-8');
  if (error.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  // Upstream messages echo what the client sent (a model name can be a pasted key): no secret leaves in an error.
  return reply.send(scrubText(JSON.stringify(errorBody(dialect, error))));
}
