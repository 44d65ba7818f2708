/** Options of the Cloudflare client, their defaults, and their validation. */
import { ConfigError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';

/** The operations of the client, as named in retry callbacks, logs and error messages. */
export type CloudflareOperation =
  | 'openUploadSession'
  | 'uploadBucket'
  | 'deployScript'
  | 'deleteScriptsByTag'
  | 'deleteScript'
  | 'listScripts'
  | 'getScriptTags';

/** What {@link CloudflareClientOptions.onRetry} receives before each retry wait. */
export interface RetryInfo {
  operation: CloudflareOperation;
  /** The attempt that failed (1 = the first try). */
  attempt: number;
  status?: number;
  code: ErrorCode;
  /** How long the client waits before the next attempt. */
  delayMs: number;
}

/** Options of {@link createCloudflareClient}; everything but the token and account has a default. */
export interface CloudflareClientOptions {
  apiToken: string;
  accountId: string;
  /** Default `https://api.cloudflare.com/client/v4`; the emulator's `url` in tests and local mode. */
  baseURL?: string;
  /** Handed to the SDK (tests inject stubs); never called directly. */
  fetch?: typeof fetch;
  log?: Logger;
  /** Per attempt, covering the response body too. Default 30 s. */
  attemptTimeoutMs?: number;
  /** Per attempt of a bucket upload (up to ~67 MB of base64). Default 120 s. */
  uploadAttemptTimeoutMs?: number;
  /** Attempts after the first. Default 4. */
  retries?: number;
  /** First backoff delay; doubles per attempt, with up to 25% jitter. Default 500 ms. */
  minRetryDelayMs?: number;
  /** Largest backoff delay. Default 8 s. */
  maxRetryDelayMs?: number;
  /** A longer `Retry-After` fails at once with `retryAfterMs`, for the queue to schedule. Default 60 s. */
  retryAfterCapMs?: number;
  /** Requests in flight at once across the whole client. Default 4 (the API allows ~4 requests/s). */
  maxConcurrentRequests?: number;
  /** `limit` of each bulk delete call. Default 1000. */
  deletePageSize?: number;
  /** `limit` of each list call. Default 1000. */
  listPageSize?: number;
  /** Metrics hook, called before each retry wait. */
  onRetry?: (info: RetryInfo) => void;
  /** Clock in milliseconds (token expiry checks). Default `Date.now`. */
  now?: () => number;
}

/** The options with every default applied. */
export interface ResolvedClientOptions {
  apiToken: string;
  accountId: string;
  baseURL: string;
  fetch: typeof fetch | undefined;
  attemptTimeoutMs: number;
  uploadAttemptTimeoutMs: number;
  retries: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  retryAfterCapMs: number;
  maxConcurrentRequests: number;
  deletePageSize: number;
  listPageSize: number;
  onRetry: ((info: RetryInfo) => void) | undefined;
  now: () => number;
}

export const CLOUDFLARE_API_BASE_URL = 'https://api.cloudflare.com/client/v4';

export const CLIENT_DEFAULTS = {
  attemptTimeoutMs: 30_000,
  uploadAttemptTimeoutMs: 120_000,
  retries: 4,
  minRetryDelayMs: 500,
  maxRetryDelayMs: 8_000,
  retryAfterCapMs: 60_000,
  maxConcurrentRequests: 4,
  deletePageSize: 1000,
  listPageSize: 1000,
} as const;

/** The API's documented maximum `limit` for list and bulk delete calls. */
const MAX_PAGE_SIZE = 1000;

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Cloudflare client option ${name} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

/** Applies defaults and rejects malformed values with a {@link ConfigError}. */
export function resolveClientOptions(options: CloudflareClientOptions): ResolvedClientOptions {
  if (options.apiToken.trim() === '') throw new ConfigError('Cloudflare client option apiToken is empty.');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.accountId)) {
    throw new ConfigError('Cloudflare client option accountId must be an account identifier.');
  }
  const pick = <K extends keyof typeof CLIENT_DEFAULTS>(key: K): number =>
    options[key] ?? CLIENT_DEFAULTS[key];
  const minRetryDelayMs = checkInteger('minRetryDelayMs', pick('minRetryDelayMs'), 0, 600_000);
  return {
    apiToken: options.apiToken,
    accountId: options.accountId,
    baseURL: (options.baseURL ?? CLOUDFLARE_API_BASE_URL).replace(/\/+$/, ''),
    fetch: options.fetch,
    attemptTimeoutMs: checkInteger('attemptTimeoutMs', pick('attemptTimeoutMs'), 1, 900_000),
    uploadAttemptTimeoutMs: checkInteger(
      'uploadAttemptTimeoutMs',
      pick('uploadAttemptTimeoutMs'),
      1,
      900_000,
    ),
    retries: checkInteger('retries', pick('retries'), 0, 20),
    minRetryDelayMs,
    maxRetryDelayMs: checkInteger('maxRetryDelayMs', pick('maxRetryDelayMs'), minRetryDelayMs, 600_000),
    retryAfterCapMs: checkInteger('retryAfterCapMs', pick('retryAfterCapMs'), 0, 3_600_000),
    maxConcurrentRequests: checkInteger('maxConcurrentRequests', pick('maxConcurrentRequests'), 1, 256),
    deletePageSize: checkInteger('deletePageSize', pick('deletePageSize'), 1, MAX_PAGE_SIZE),
    listPageSize: checkInteger('listPageSize', pick('listPageSize'), 1, MAX_PAGE_SIZE),
    onRetry: options.onRetry,
    now: options.now ?? Date.now,
  };
}
