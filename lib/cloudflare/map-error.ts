/**
 * The one place where failures of the SDK become {@link CloudflareApiError}s: a stable `code`, its
 * category, the HTTP status and Cloudflare's error codes. Messages are built here from safe parts only:
 * the SDK's own message embeds the response body, so it is never passed through (it stays in `cause`).
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'cloudflare/core/error';
import { CloudflareApiError, type ErrorCode, isPipelineError } from '../errors.js';
import { redact } from '../redact.js';
import type { CloudflareOperation } from './options.js';
import { readRetryAfterMs } from './retry-after.js';

/** Cloudflare codes that mean "the Worker itself is wrong" (spec `x-cfLinkErrors`). */
export const SCRIPT_REJECTED_CODES: readonly number[] = [
  10021, // script content failed validation
  10006, // unparseable script body
  10027, // script body too large
];
/** Cloudflare's "Authentication error", which it also uses for a refused assets token. */
const AUTHENTICATION_ERROR_CODE = 10000;
/** Longest piece of an API error message copied into ours. */
const MAX_API_MESSAGE = 300;

/** Thrown by the transport when an attempt exceeds its own deadline. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`attempt timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/** Thrown by operations when a 2xx answer lacks what the API documents. */
export class InvalidResponseError extends Error {
  constructor(readonly what: string) {
    super(what);
    this.name = 'InvalidResponseError';
  }
}

/** What the mapping needs to know about the request that failed. */
export interface ErrorContext {
  operation: CloudflareOperation;
  /** The request was authenticated with an upload JWT (assets/upload). */
  uploadJwt?: boolean;
  /** The `assets.jwt` a script PUT carried, to recognise an expired or refused completion token. */
  completionToken?: string;
  /** Clock in milliseconds. */
  now: () => number;
  /** Reads a JWT's `exp` (seconds). */
  readExpiry: (jwt: string) => number | undefined;
}

const apiSummary = (error: APIError): { codes: number[]; text: string } => {
  const errors = Array.isArray(error.errors) ? error.errors : [];
  const codes = errors.map((item) => item?.code).filter((code): code is number => typeof code === 'number');
  const messages = errors
    .map((item) => (typeof item?.message === 'string' ? item.message : ''))
    .filter((text) => text.length > 0);
  const text = redact(messages.join('; ')).replace(/\s+/g, ' ').slice(0, MAX_API_MESSAGE);
  return { codes, text };
};

const describe = (context: ErrorContext, status: number, codes: number[], text: string): string => {
  const codePart = codes.length > 0 ? ` (Cloudflare code ${codes.join(', ')})` : '';
  const textPart = text.length > 0 ? `: ${text}` : '';
  return `Cloudflare ${context.operation} failed with HTTP ${status}${codePart}${textPart}`;
};

function completionTokenRefused(context: ErrorContext, codes: number[], text: string): boolean {
  if (context.completionToken === undefined) return false;
  const exp = context.readExpiry(context.completionToken);
  if (exp !== undefined && exp * 1000 <= context.now()) return true;
  return codes.includes(AUTHENTICATION_ERROR_CODE) || /\bjwt\b|assets token|completion token/i.test(text);
}

type CloudflareCode = ErrorCode & `cloudflare.${string}`;

function codeForStatus(status: number, context: ErrorContext, codes: number[], text: string): CloudflareCode {
  if (status === 429) return 'cloudflare.rate-limited';
  if (status >= 500) return 'cloudflare.server-error';
  if (status === 408) return 'cloudflare.timeout';
  // On assets/upload the only credential is the upload JWT: a refusal means it expired or is invalid.
  if (context.uploadJwt && (status === 401 || status === 403)) return 'cloudflare.token-expired';
  if (status >= 400 && completionTokenRefused(context, codes, text)) return 'cloudflare.token-expired';
  if (status === 401) return 'cloudflare.auth';
  if (status === 403) return 'cloudflare.forbidden';
  if (status === 404) return 'cloudflare.not-found';
  if (context.operation === 'deployScript' && codes.some((code) => SCRIPT_REJECTED_CODES.includes(code))) {
    return 'cloudflare.script-rejected';
  }
  return 'cloudflare.bad-request';
}

function mapApiStatusError(error: APIError, status: number, context: ErrorContext): CloudflareApiError {
  const { codes, text } = apiSummary(error);
  const code = codeForStatus(status, context, codes, text);
  const retryAfterMs = status === 429 ? readRetryAfterMs(error.headers, context.now()) : undefined;
  return new CloudflareApiError(code, describe(context, status, codes, text), {
    status,
    apiCodes: codes,
    cause: error,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** Maps anything an attempt threw to a {@link CloudflareApiError}; unknown programming errors pass through. */
export function mapCloudflareError(error: unknown, context: ErrorContext): unknown {
  if (isPipelineError(error)) return error;
  const op = context.operation;
  // Our own deadline, or the SDK noticing our abort signal (only the deadline ever aborts it).
  if (
    error instanceof AttemptTimeoutError ||
    error instanceof APIConnectionTimeoutError ||
    error instanceof APIUserAbortError
  ) {
    return new CloudflareApiError('cloudflare.timeout', `Cloudflare ${op} timed out.`, { cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new CloudflareApiError(
      'cloudflare.connection',
      `Cloudflare ${op} could not connect or the connection was reset.`,
      { cause: error },
    );
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    return mapApiStatusError(error, error.status, context);
  }
  if (error instanceof InvalidResponseError || error instanceof SyntaxError) {
    const what = error instanceof InvalidResponseError ? error.what : 'a body that is not valid JSON';
    return new CloudflareApiError('cloudflare.invalid-response', `Cloudflare ${op} answered with ${what}.`, {
      cause: error,
    });
  }
  // undici reports a socket closed while the body streams as TypeError('terminated').
  if (error instanceof TypeError || (error instanceof Error && error.name === 'AbortError')) {
    return new CloudflareApiError('cloudflare.connection', `Cloudflare ${op} lost the connection.`, {
      cause: error,
    });
  }
  return error;
}

/** True for failures another attempt may cure. A token refusal needs a new session, not a retry. */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof CloudflareApiError &&
    error.category === 'transient' &&
    error.code !== 'cloudflare.token-expired'
  );
}
