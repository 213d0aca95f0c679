/**
 * Error bodies in the shapes Google sends: RPC style `{error:{code,message,status,details?}}` for APIs, and
 * OAuth style `{error, error_description}` for the token endpoint.
 */
import type { ScriptAction } from './types.ts';

const statusNames: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
  529: 'UNAVAILABLE',
};

const defaultMessages: Readonly<Record<number, string>> = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  408: 'Request timed out.',
  429: 'Resource has been exhausted (e.g. check quota).',
  500: 'Internal error encountered.',
  502: 'Bad Gateway',
  503: 'The service is currently unavailable.',
  504: 'Deadline exceeded.',
  529: 'Overloaded',
};

export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

/** A plain RPC-style error body. */
export function googleError(code: number, message?: string, details?: unknown[]): GoogleErrorBody {
  const error: GoogleErrorBody['error'] = {
    code,
    message: message ?? defaultMessages[code] ?? 'Unknown error.',
    status: statusNames[code] ?? (code >= 500 ? 'INTERNAL' : 'UNKNOWN'),
  };
  if (details !== undefined) error.details = details;
  return { error };
}

type ErrorAction = Extract<ScriptAction, { kind: 'error' }>;

/** Builds the body of a scripted `error` action, with ErrorInfo / RetryInfo details where the reason calls for them. */
export function scriptedGoogleError(action: ErrorAction, model: string | undefined): GoogleErrorBody {
  const reason = action.reason;
  if (reason === undefined) return googleError(action.status, action.message);
  const metadata: Record<string, string> = {};
  if (model !== undefined) metadata['model'] = model;
  if (action.quotaResetDelay !== undefined) metadata['quotaResetDelay'] = action.quotaResetDelay;
  if (action.quotaResetTimeStamp !== undefined) metadata['quotaResetTimeStamp'] = action.quotaResetTimeStamp;
  if (action.validationUrl !== undefined) metadata['validation_url'] = action.validationUrl;
  const details: unknown[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason,
      domain: 'cloudcode-pa.googleapis.com',
      metadata,
    },
  ];
  if (action.retryDelay !== undefined) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: action.retryDelay });
  }
  return googleError(action.status, action.message ?? reasonMessage(action, model), details);
}

function reasonMessage(action: ErrorAction, model: string | undefined): string | undefined {
  switch (action.reason) {
    case 'QUOTA_EXHAUSTED':
      return action.quotaResetDelay === undefined
        ? 'You have exhausted your capacity on this model.'
        : `You have exhausted your capacity on this model. Your quota will reset after ${action.quotaResetDelay}.`;
    case 'RATE_LIMIT_EXCEEDED':
      return 'Resource has been exhausted (e.g. check quota). Too many requests per minute.';
    case 'MODEL_CAPACITY_EXHAUSTED':
      return noCapacityMessage(model);
    case 'VALIDATION_REQUIRED':
      return `To continue, verify your account at ${action.validationUrl ?? 'https://accounts.google.com/signin/continue'}`;
    default:
      return undefined;
  }
}

function noCapacityMessage(model: string | undefined): string {
  return `No capacity available for model ${model ?? 'unknown'} on the server`;
}

function errorInfo(reason: string, domain: string, metadata: Record<string, string>): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

/**
 * "No capacity" for one model on one server: 429 RESOURCE_EXHAUSTED or 503 UNAVAILABLE, both with ErrorInfo
 * MODEL_CAPACITY_EXHAUSTED (the bodies gemini-cli and CLIProxyAPI record).
 */
export function noCapacityError(status: 429 | 503, model: string | undefined): GoogleErrorBody {
  const metadata: Record<string, string> = model === undefined ? {} : { model };
  return googleError(status, noCapacityMessage(model), [
    errorInfo('MODEL_CAPACITY_EXHAUSTED', 'cloudcode-pa.googleapis.com', metadata),
  ]);
}

/** The prompt-filter answer: RESOURCE_EXHAUSTED (or UNAVAILABLE) with no details, so no quota reason at all. */
export function promptFilterError(status: 429 | 503): GoogleErrorBody {
  return googleError(status);
}

/** 429 when the free quota is spent and the Google One AI credits cannot pay either. */
export function insufficientCreditsError(model: string): GoogleErrorBody {
  return googleError(429, 'Resource has been exhausted (e.g. check quota). Insufficient Google One AI credits.', [
    errorInfo('INSUFFICIENT_G1_CREDITS_BALANCE', 'cloudcode-pa.googleapis.com', { model }),
  ]);
}

/**
 * 403 for an `x-goog-user-project` naming a project where the Cloud AI Companion API is off: Google's standard
 * SERVICE_DISABLED body (ErrorInfo, then Help with the activation link).
 */
export function serviceDisabledError(project: string): GoogleErrorBody {
  const activationUrl = `https://console.developers.google.com/apis/api/cloudaicompanion.googleapis.com/overview?project=${project}`;
  return googleError(
    403,
    `Gemini for Google Cloud API has not been used in project ${project} before or it is disabled. Enable it by visiting ${activationUrl} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
    [
      errorInfo('SERVICE_DISABLED', 'googleapis.com', {
        service: 'cloudaicompanion.googleapis.com',
        consumer: `projects/${project}`,
        serviceTitle: 'Gemini for Google Cloud API',
        containerInfo: project,
        activationUrl,
      }),
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Google developers console API activation', url: activationUrl }],
      },
    ],
  );
}

/** 403 PERMISSION_DENIED naming the project of an `x-goog-user-project` header the caller may not bill. */
export function projectPermissionDeniedError(project: string): GoogleErrorBody {
  const resource = `//cloudaicompanion.googleapis.com/projects/${project}/locations/global`;
  return googleError(
    403,
    `Permission 'cloudaicompanion.companions.generateChat' denied on resource '${resource}' (or it may not exist).`,
    [
      errorInfo('IAM_PERMISSION_DENIED', 'cloudaicompanion.googleapis.com', {
        permission: 'cloudaicompanion.companions.generateChat',
        resource: `projects/${project}/locations/global`,
      }),
    ],
  );
}

/**
 * A 400 raised by Claude behind the backend: Google passes Anthropic's error object on as the JSON text of its
 * own message (seen in peers' logs).
 */
export function claudeInvalidRequest(message: string): GoogleErrorBody {
  return googleError(400, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
}

/** OAuth-style token endpoint error. */
export function oauthError(error: string, description: string): { error: string; error_description: string } {
  return { error, error_description: description };
}

/** OAuth-style body for a scripted status on the token endpoint. */
export function scriptedOauthError(action: ErrorAction): { error: string; error_description: string } {
  if (action.status === 400) return oauthError('invalid_grant', action.message ?? 'Bad Request');
  if (action.status === 401) return oauthError('invalid_client', action.message ?? 'Unauthorized');
  if (action.status >= 500) return oauthError('internal_failure', action.message ?? 'Backend Error');
  return oauthError('invalid_request', action.message ?? 'Bad Request');
}

/** Turns a seconds count into Google's duration spelling (`"135h9m46s"`). */
export function formatGoogleDuration(totalSeconds: number): string {
  const whole = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${seconds}s`;
}
