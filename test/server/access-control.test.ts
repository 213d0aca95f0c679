/**
 * Access is decided from the route the router matched, never from the raw URL. The router decodes
 * percent-encoding (`/%61pi/accounts` is `/api/accounts`), so a decision made on the raw string can be bypassed:
 * these tests send every registered route's path in forms a router might or might not normalise and require each
 * to be either unknown (404) or to get exactly the route's own decision.
 *
 * Requests go out with node:http so the path travels byte for byte (fetch would resolve dot segments first).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { registeredRoutes } from '../../src/server/app.ts';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';

interface Answer {
  status: number;
  body: string;
}

function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A concrete path for a route pattern: parameters and wildcards filled with harmless values. */
function concretePath(pattern: string): string {
  return pattern.replace(/:[A-Za-z_]+/g, 'unknown-id').replace(/\*$/, 'gemini-3-flash:generateContent');
}

const bodyMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Draws whole numbers from a tape fast-check generated (so failures shrink and replay). */
interface Draw {
  nextInt(min: number, max: number): number;
}

function drawFrom(tape: readonly number[]): Draw {
  let position = 0;
  return {
    nextInt(min, max) {
      const value = tape[position % tape.length] ?? 0;
      position += 1;
      return min + (value % (max - min + 1));
    },
  };
}

/** A path in another spelling: percent-encoding, case, slashes, dot segments, trailing slash. */
type Variation = (path: string, random: Draw) => string;

const percentEncode: Variation = (path, random) =>
  [...path]
    .map((character) => {
      if (character === '/' || random.nextInt(0, 2) !== 0) return character;
      const hex = character.charCodeAt(0).toString(16).padStart(2, '0');
      return `%${random.nextInt(0, 1) === 0 ? hex : hex.toUpperCase()}`;
    })
    .join('');
const changeCase: Variation = (path, random) =>
  [...path].map((character) => (random.nextInt(0, 2) === 0 ? character.toUpperCase() : character)).join('');
const duplicateSlashes: Variation = (path, random) =>
  path.replace(/\//g, (slash) => (random.nextInt(0, 1) === 0 ? '//' : slash));
const dotSegments: Variation = (path, random) => {
  const segments = path.split('/');
  const at = random.nextInt(1, Math.max(1, segments.length - 1));
  segments.splice(at, 0, random.nextInt(0, 1) === 0 ? '.' : 'x/..');
  return segments.join('/');
};
const encodedDots: Variation = (path) => path.replace(/^\/([^/]+)/, '/x/%2e%2e/$1');
const trailingSlash: Variation = (path) => `${path}/`;
const variations: Variation[] = [percentEncode, changeCase, duplicateSlashes, dotSegments, encodedDots, trailingSlash];

function isAuthRefusal(answer: Answer): boolean {
  return answer.status === 401;
}

describe('access follows the matched route', () => {
  let harness: Harness;
  const password = 'admin-password-for-access-tests';

  before(async () => {
    // The default install: auth mode auto on loopback (clients open), an admin password set.
    harness = await startHarness({
      accounts: [{ email: 'first@example.com' }],
      settings: { 'proxy.auth_mode': 'auto', 'proxy.admin_password': password },
    });
  });
  after(() => harness.close());

  test('the finding: percent-encoded admin paths are refused exactly like the plain ones', async () => {
    for (const path of ['/%61pi/accounts', '/%61%70%69/config', '/api/%61ccounts']) {
      const answer = await send(harness.url, 'GET', path);
      assert.equal(answer.status, 401, `${path} needs admin credentials`);
      assert.match(answer.body, /AGW_UNAUTHORIZED/);
    }
    const rotate = await send(harness.url, 'POST', '/%61pi/config/api-key', {}, '{}');
    assert.equal(rotate.status, 401, 'the key cannot be rotated without credentials');
    assert.doesNotMatch(rotate.body, /api_key/);
    const withClientKey = await send(harness.url, 'GET', '/%61pi/accounts', harness.headers);
    assert.equal(withClientKey.status, 401, 'the client key does not open admin routes');
  });

  test('every registered route, in random spellings, is unknown or gets its own decision', async () => {
    const routes = registeredRoutes(harness.gateway.app).filter(
      (route) => route.method !== 'HEAD' && route.method !== 'OPTIONS',
    );
    assert.ok(
      routes.some((route) => route.url === '/api/accounts/:id'),
      'the route table is complete',
    );
    assert.ok(routes.length >= 30, `expected every route, got ${routes.length}`);
    const canonical = new Map<string, Answer>();
    for (const route of routes) {
      const path = concretePath(route.url);
      canonical.set(
        `${route.method} ${route.url}`,
        await send(harness.url, route.method, path, {}, bodyMethods.has(route.method) ? '{}' : undefined),
      );
    }
    assert.equal(canonical.get('GET /api/accounts')?.status, 401);
    assert.notEqual(canonical.get('GET /v1/models')?.status, 401, 'auto on loopback leaves the client API open');

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(fc.integer({ min: 0, max: variations.length - 1 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
        async (route, chosen, tape) => {
          const random = drawFrom(tape);
          let path = concretePath(route.url);
          for (const index of chosen) path = (variations[index] as Variation)(path, random);
          const answer = await send(
            harness.url,
            route.method,
            path,
            {},
            bodyMethods.has(route.method) ? '{}' : undefined,
          );
          const expected = canonical.get(`${route.method} ${route.url}`) as Answer;
          if (answer.status === 404) return;
          // Not valid percent-encoding (e.g. a double encoding): refused before any route is looked up.
          if (answer.status === 400 && /not valid percent-encoding/.test(answer.body)) return;
          assert.equal(
            isAuthRefusal(answer),
            isAuthRefusal(expected),
            `${route.method} ${path} (route ${route.url}) answered ${answer.status}, the route itself ${expected.status}`,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
