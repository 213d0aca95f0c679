/**
 * User keys at the HTTP edge: which key a request presented (remembered for its request-log row) and whether that
 * key may make it. The access guard calls {@link checkUserKey} once it knows the presented key is not the
 * gateway's own API key, and {@link userKeyModelRefusal} once the body is parsed (the model is only known then).
 */
import type { FastifyRequest } from 'fastify';
import type { GatewayError } from '../errors/catalogue.ts';
import type { KnownKey } from '../keys/key-registry.ts';
import { factsOf } from './request-context.ts';
import type { GatewayServices } from './services.ts';

const keysOfRequests = new WeakMap<FastifyRequest, KnownKey>();

export type UserKeyOutcome =
  | { kind: 'not-a-user-key' }
  | { kind: 'accepted' }
  | { kind: 'refused'; error: GatewayError; badCredential: boolean };

/**
 * Checks a presented key against the user keys: revoked, expired, address, and (`limits`) the per-minute and
 * per-day limits. An accepted key names the request's log row.
 */
export function checkUserKey(
  services: GatewayServices,
  request: FastifyRequest,
  presented: string,
  options: { reloadOnMiss: boolean; limits: boolean },
): UserKeyOutcome {
  const registry = services.userKeys;
  if (registry === undefined) return { kind: 'not-a-user-key' };
  const check = registry.authenticate(presented, request.ip, { reloadOnMiss: options.reloadOnMiss });
  if (check.kind === 'unknown') return { kind: 'not-a-user-key' };
  if (check.kind === 'refused') return check;
  const facts = factsOf(request);
  facts.keyId = check.key.record.id;
  facts.keyName = check.key.record.name;
  keysOfRequests.set(request, check.key);
  const limited = options.limits ? registry.admit(check.key) : undefined;
  return limited ? { kind: 'refused', error: limited, badCredential: false } : { kind: 'accepted' };
}

/** The model a client request names: the body's `model`, or Gemini's `/v1beta/models/{model}:{method}` path. */
export function requestedModel(request: FastifyRequest): string | undefined {
  const wildcard = (request.params as Record<string, unknown> | undefined)?.['*'];
  if (typeof wildcard === 'string' && request.routeOptions.url?.startsWith('/v1beta/models/')) {
    let segment = wildcard;
    try {
      segment = decodeURIComponent(wildcard);
    } catch {
      // the route itself reports a malformed path
    }
    const colon = segment.lastIndexOf(':');
    return (colon < 0 ? segment : segment.slice(0, colon)).replace(/^models\//, '');
  }
  const model = (request.body as Record<string, unknown> | undefined)?.['model'];
  return typeof model === 'string' ? model : undefined;
}

/** For a request made with a user key limited to some models: the refusal when it asks for another (POST only). */
export function userKeyModelRefusal(services: GatewayServices, request: FastifyRequest): GatewayError | undefined {
  const key = keysOfRequests.get(request);
  if (key === undefined || request.method !== 'POST') return undefined;
  return services.userKeys?.modelRefusal(key, requestedModel(request));
}

/**
 * The model list a request may see: a user key limited to some models lists only those (a client that picks a
 * model from the list, as Cursor and Cherry Studio do, must not be offered one it would be refused).
 */
export function modelsVisibleTo(request: FastifyRequest, ids: readonly string[]): readonly string[] {
  const key = keysOfRequests.get(request);
  if (key?.models === undefined) return ids;
  return ids.filter((id) => key.models?.allows(id));
}
