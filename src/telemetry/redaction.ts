/**
 * The one place that knows what a secret looks like. The logger, the request log, the metrics, the admin API and
 * the CLI all redact through this file, so adding a key here protects every output at once.
 */

/** The text that replaces a secret value in logs and redacted copies. */
export const redactionMask = '[REDACTED]';

/**
 * Object keys whose values are secrets, as they are spelled in HTTP headers, Google OAuth bodies, the reference's
 * account files and agw's own settings. Matching is by {@link normalizeKey}, so `accessToken`, `access_token`
 * and `Access-Token` are the same key.
 */
export const secretKeys: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'api_key',
  'api_keys',
  'admin_password',
  'web_password',
  'password',
  'code_verifier',
  'authorization_code',
  'session_token',
  'accessToken',
  'refreshToken',
  'idToken',
  'clientSecret',
  'apiKey',
  'adminPassword',
  'codeVerifier',
];

/** Lower-cases and drops `-` and `_`, so one entry covers every spelling of a key. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

const normalizedSecretKeys: ReadonlySet<string> = new Set(secretKeys.map(normalizeKey));

/** True when a value stored under this key must never be shown. */
export function isSecretKey(key: string): boolean {
  return normalizedSecretKeys.has(normalizeKey(key));
}

/**
 * pino `redact` paths built from {@link secretKeys}: the top level and one level down (for `headers.x`,
 * `body.x`). Deeper nesting and other spellings are caught by {@link redactValue} in the logger's formatter.
 */
export function pinoRedactPaths(): string[] {
  const paths: string[] = [];
  for (const key of secretKeys) {
    const spellings = new Set([key, key.toLowerCase()]);
    for (const spelling of spellings) {
      const accessor = /^[A-Za-z_$][\w$]*$/.test(spelling) ? spelling : `["${spelling}"]`;
      const joined = accessor.startsWith('[') ? accessor : `.${accessor}`;
      paths.push(accessor, `*${joined}`);
    }
  }
  return [...new Set(paths)];
}

const maxRedactDepth = 12;

/**
 * A deep copy of `value` in which every value under a secret key is replaced by {@link redactionMask} and every
 * string is passed through {@link scrubText}. Errors become `{ type, message, stack }`; cycles and depth beyond
 * 12 levels become `[Circular]` / `[Truncated]`. The input is never modified.
 */
export function redactValue<T>(value: T, secrets: SecretSource = defaultSecretRegistry): T {
  return copy(value, secrets, 0, new WeakSet()) as T;
}

function copy(value: unknown, secrets: SecretSource, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= maxRedactDepth) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => copy(item, secrets, depth + 1, seen));
    if (value instanceof Error) {
      const plain: Record<string, unknown> = { type: value.name, message: value.message, stack: value.stack };
      for (const [key, item] of Object.entries(value)) plain[key] = item;
      if (value.cause !== undefined) plain['cause'] = value.cause;
      return copy(plain, secrets, depth, seen);
    }
    if (value instanceof Date) return value.toISOString();
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return '[Binary]';
    if (value instanceof Map) return copy(Object.fromEntries(value), secrets, depth, seen);
    if (value instanceof Set) return copy([...value], secrets, depth, seen);
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] =
        isSecretKey(key) && item !== undefined && item !== null ? redactionMask : copy(item, secrets, depth + 1, seen);
    }
    return result;
  } finally {
    seen.delete(value);
  }
}

/**
 * A short form of a secret for CLI and admin display: the first 4 and last 4 characters around `…` when the
 * value is at least 16 characters long (so at most half of it shows), otherwise `***`.
 * @example maskSecret('1//0gAbCdEfGhIjKlMnwxyz') === '1//0…wxyz'
 */
export function maskSecret(value: string | null | undefined): string {
  if (typeof value !== 'string' || value.length < 16) return '***';
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/** Secrets shorter than this are not registered: replacing short strings would mangle ordinary text. */
export const minimumSecretLength = 8;
const prefixLength = minimumSecretLength;

/** A bounded set of secret strings, indexed so that scrubbing a line costs one lookup per character. */
export interface SecretRegistry {
  /** Remembers a secret (a token the pool or store loaded). Values shorter than 8 characters are ignored. */
  register(value: string | null | undefined): void;
  /** Forgets a secret (an account was removed or its token replaced). */
  forget(value: string): void;
  has(value: string): boolean;
  readonly size: number;
  /** Secrets starting with these 8 characters; used by {@link scrubText}. */
  candidates(prefix: string): ReadonlySet<string> | undefined;
  clear(): void;
}

/** Where scrubbing looks up secrets: a registry or a plain list. */
export type SecretSource = SecretRegistry | Iterable<string>;

/**
 * Creates a registry holding at most `maxEntries` secrets; when full, the oldest registration is forgotten
 * (a pool that loads tokens over months cannot grow it without bound).
 */
export function createSecretRegistry(maxEntries = 10_000): SecretRegistry {
  const order = new Set<string>();
  const byPrefix = new Map<string, Set<string>>();
  const forget = (value: string): void => {
    if (!order.delete(value)) return;
    const prefix = value.slice(0, prefixLength);
    const bucket = byPrefix.get(prefix);
    bucket?.delete(value);
    if (bucket?.size === 0) byPrefix.delete(prefix);
  };
  return {
    register(value) {
      if (typeof value !== 'string' || value.length < minimumSecretLength) return;
      if (order.has(value)) {
        order.delete(value);
        order.add(value);
        return;
      }
      while (order.size >= maxEntries) {
        const oldest = order.values().next().value;
        if (oldest === undefined) break;
        forget(oldest);
      }
      order.add(value);
      const prefix = value.slice(0, prefixLength);
      let bucket = byPrefix.get(prefix);
      if (!bucket) {
        bucket = new Set();
        byPrefix.set(prefix, bucket);
      }
      bucket.add(value);
    },
    forget,
    has: (value) => order.has(value),
    get size() {
      return order.size;
    },
    candidates: (prefix) => byPrefix.get(prefix),
    clear() {
      order.clear();
      byPrefix.clear();
    },
  };
}

/** The process-wide registry the pool and the store fill with every token they load. */
export const defaultSecretRegistry: SecretRegistry = createSecretRegistry();

/** Registers a secret in the process-wide registry, so every later log line and error text is scrubbed of it. */
export function registerSecret(value: string | null | undefined): void {
  defaultSecretRegistry.register(value);
}

function isRegistry(source: SecretSource): source is SecretRegistry {
  return typeof (source as SecretRegistry).candidates === 'function';
}

/**
 * Shapes of secrets worth catching even when nobody registered them: Google access tokens (`ya29.`), Google
 * refresh tokens (`1//`), ID tokens and other JWTs (`eyJ….….…`), Google OAuth client secrets (`GOCSPX-`), `sk-`
 * API keys, bearer credentials, credentials inside URLs (`scheme://user:password@host`) and secret query
 * parameters such as Gemini's `?key=`.
 */
const secretPatterns: readonly [RegExp, string][] = [
  [/\bya29\.[\w.-]{8,}/g, redactionMask],
  [/(?<![\w/])1\/\/[\w-]{8,}/g, redactionMask],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]+/g, redactionMask],
  [/\bGOCSPX-[\w-]{8,}/g, redactionMask],
  [/\bsk-[\w-]{8,}/g, redactionMask],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]{8,}/gi, `$1 ${redactionMask}`],
  // Credentials inside a URL (an outbound proxy's `http://user:password@host:3128`): the host stays readable.
  [/\b([a-z][a-z\d+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, `$1${redactionMask}@`],
  // A placeholder such as `?key=<key>` in help text is not a secret and stays readable.
  [
    /([?&](?:key|api_key|access_token|refresh_token|id_token|client_secret|code)=)(?!<[\w-]*>(?![\w%]))[^&\s"'#]+/gi,
    `$1${redactionMask}`,
  ],
];

/**
 * The last line of defence for free text (error messages, upstream bodies, whole log lines): replaces every
 * occurrence of a known secret, and every string shaped like a token, by {@link redactionMask}.
 */
export function scrubText(text: string, knownSecrets: SecretSource = defaultSecretRegistry): string {
  let result = isRegistry(knownSecrets) ? replaceIndexed(text, knownSecrets) : replaceListed(text, knownSecrets);
  for (const [pattern, replacement] of secretPatterns) {
    pattern.lastIndex = 0;
    if (pattern.test(result)) {
      pattern.lastIndex = 0;
      result = result.replace(pattern, replacement);
    }
  }
  return result;
}

function replaceListed(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= minimumSecretLength && result.includes(secret))
      result = result.replaceAll(secret, redactionMask);
  }
  return result;
}

function replaceIndexed(text: string, registry: SecretRegistry): string {
  if (registry.size === 0 || text.length < minimumSecretLength) return text;
  let result = '';
  let copiedUpTo = 0;
  let index = 0;
  const limit = text.length - prefixLength;
  while (index <= limit) {
    const bucket = registry.candidates(text.slice(index, index + prefixLength));
    let matched: string | undefined;
    if (bucket) {
      for (const secret of bucket) {
        if ((matched === undefined || secret.length > matched.length) && text.startsWith(secret, index))
          matched = secret;
      }
    }
    if (matched === undefined) {
      index += 1;
      continue;
    }
    result += text.slice(copiedUpTo, index) + redactionMask;
    index += matched.length;
    copiedUpTo = index;
  }
  return copiedUpTo === 0 ? text : result + text.slice(copiedUpTo);
}

/** Removes the query string from a URL or path: queries can carry `key=` and are never needed in logs. */
export function stripQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}
