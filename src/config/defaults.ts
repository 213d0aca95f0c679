/**
 * Every default agw uses, in one object. Each number carries its unit in the name or the comment, and the reason
 * it has this value. `docs/configuration.md` lists the same values with the key and environment variable that
 * change them.
 */
export const defaults = {
  server: {
    host: '127.0.0.1',
    /** The reference system's port, so existing client settings keep working. */
    port: 8045,
    /**
     * Image prompts arrive as base64. 32 MiB is the largest request any supported client's own API accepts
     * (Anthropic Messages: 32 MB; OpenAI and Gemini cap inline images at 20 MB), so no real client sends more,
     * while a body near the old 50 MiB cost ~1.9 GB of memory (docs/performance.md, "Large bodies").
     */
    bodyLimitBytes: 32 * 1024 * 1024,
    /** `: ping` comments during upstream silence; 15 s keeps proxies with 30-60 s idle timeouts from cutting. */
    heartbeatIntervalSeconds: 15,
    /** Fetching client-supplied image URLs server-side is an SSRF risk: off unless the user opts in. */
    allowRemoteImages: false,
  },
  auth: {
    /** `auto` = open while bound to loopback only, API key required as soon as another machine can connect. */
    mode: 'auto',
    /** Failed authentications per client address per minute before answers are slowed down (brute-force guard). */
    failuresBeforeThrottle: 10,
    /** Whether /metrics is readable without the API key. */
    metricsOpen: false,
  },
  upstream: {
    /** The reference's order: sandbox daily, daily, production. */
    endpoints: [
      'https://daily-cloudcode-pa.sandbox.googleapis.com/v1internal',
      'https://daily-cloudcode-pa.googleapis.com/v1internal',
      'https://cloudcode-pa.googleapis.com/v1internal',
    ],
    /** Seconds to establish TCP+TLS; a handshake takes milliseconds, so 10 s means "try the next endpoint". */
    connectTimeoutSeconds: 10,
    /** Seconds until response headers; thinking models can take long before the first byte, so generous. */
    headersTimeoutSeconds: 120,
    /** Seconds of silence allowed between two stream chunks before the stream is declared stalled; heartbeats
     * keep the client connected meanwhile, so this only has to catch a dead upstream. */
    chunkGapTimeoutSeconds: 120,
    /** Seconds for a whole upstream exchange, stream included (the reference's proxy.request_timeout key). */
    totalTimeoutSeconds: 1800,
    /** Seconds an idle keep-alive socket is kept; below Google's own idle timeout. */
    keepAliveTimeoutSeconds: 60,
    /** The Antigravity client version sent in User-Agent and x-client-version (the reference's floor). */
    clientVersion: '4.3.0',
  },
  google: {
    tokenUrl: 'https://oauth2.googleapis.com/token',
    authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    userinfoUrl: 'https://www.googleapis.com/oauth2/v2/userinfo',
    /** The public desktop client of Antigravity (the reference system's built-in `antigravity_enterprise`). */
    clientId: '1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com',
    clientSecret: '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',
    oauthClientKey: 'antigravity_enterprise',
    /** Seconds for one OAuth call: far below the reference's 60 s, which outlived the request needing the token. */
    timeoutSeconds: 30,
    /** Seconds for one loadCodeAssist / onboardUser / quota call (small JSON calls). */
    codeAssistTimeoutSeconds: 15,
  },
  pool: {
    /** Sticky keeps a conversation on one account (prompt-cache affinity); new sessions go quota-aware. */
    strategy: 'sticky',
    /** 0 = when every account is limited, answer 429 at once with Retry-After instead of holding the client. */
    maxWaitSeconds: 0,
    /** Attempts per client request across accounts; also capped at pool size + 1. */
    maxAttempts: 3,
    /** Seconds a client request may spend in the rotation loop, waits included. */
    requestDeadlineSeconds: 600,
    /** Seconds a session stays bound to its account after its last request. */
    stickyTtlSeconds: 3600,
    /** Seconds before expiry at which an access token is refreshed (Google tokens live 3599 s). */
    refreshMarginSeconds: 300,
    /** The reference's circuit breaker: cooldown seconds for repeated QUOTA_EXHAUSTED without a reset time. */
    circuitBreakerEnabled: true,
    backoffStepsSeconds: [60, 300, 1800, 7200],
    /** Accounts in a row rejecting the same request before it is judged poisoned. */
    poisonThreshold: 3,
  },
  quota: {
    /** Minutes between background quota refreshes (the reference's `refresh_interval`). */
    refreshIntervalMinutes: 15,
    /** Accounts refreshed in parallel; small so a big pool does not burst Google. */
    refreshConcurrency: 3,
    protectionEnabled: false,
    /** Percent remaining below which a monitored model is protected (the reference's default). */
    protectionThresholdPercentage: 10,
    protectionMonitoredModels: ['claude', 'gemini-3-pro-high', 'gemini-3-flash', 'gemini-3.1-flash-image'],
  },
  warmUp: {
    /** Opt-in: a warm-up spends a little quota on every account, which a user may not want. */
    enabled: false,
    /** The reference's `scheduled_warmup.monitored_models` default: one entry per quota family. */
    families: ['gemini-3-flash', 'claude', 'gemini-3-pro-high', 'gemini-3.1-flash-image'] as readonly string[],
    /** Minutes between checks; a reset is caught within this time (the reference checked every 5-10 minutes). */
    intervalMinutes: 10,
    /**
     * Hours of Google's short quota window. A family whose window state is unknown (no quota snapshot) is warmed
     * again only after this long, so an unknown state never turns into a call every check.
     */
    windowHours: 5,
    /** Output tokens a warm-up may generate: enough for a one-word answer, so it costs next to nothing. */
    maxOutputTokens: 8,
  },
  models: {
    /** Claude Code's title/summary side calls go to a cheap model (the reference's behaviour), visible in X-Mapped-Model. */
    backgroundTaskDowngrade: true,
    backgroundTaskModel: 'gemini-3.1-flash-lite',
    /** Rewrite the system-prompt phrases Google's prompt filter refuses (issue 16); off: prompts go as sent. */
    promptRewrite: false,
    /** Let an account with Google One AI credits pay once its free quota of a model is spent (opt-in, costs money). */
    useCredits: false,
    /** `find` or `find => replacement`: the phrases peers documented, reworded the way that gets through. */
    promptRewritePhrases: [
      "You are a Claude agent, built on Anthropic's Claude Agent SDK. => You are an AI coding agent.",
      'You are Codex, based on GPT- => You are a coding agent, based on GPT-',
      '<system-conventions> => <conventions>',
      '</system-conventions> => </conventions>',
      'RFC 2119: MUST, REQUIRED, SHOULD => RFC 2119 keywords MUST, REQUIRED, SHOULD',
    ] as readonly string[],
  },
  logging: {
    level: 'info',
    /** Readable lines on a terminal, JSON lines when stdout is a pipe or a file (log collectors parse those). */
    format: 'auto',
    /** Days log files are kept (the reference's retention). */
    retentionDays: 7,
    /** Total bytes of log files before the oldest are deleted (the reference's 1 GiB). */
    maxTotalBytes: 1024 * 1024 * 1024,
  },
  requestLog: {
    enabled: true,
    /** Days request-log rows are kept. */
    maxAgeDays: 30,
    /** Rows kept at most; older rows are deleted first. */
    maxRows: 100_000,
  },
} as const;
