/**
 * The single retry layer of the client (the SDK runs with `maxRetries: 0`): a per-client semaphore, a
 * deadline per attempt that also covers reading the response body, error mapping, and p-retry with
 * backoff or Cloudflare's capped `Retry-After`.
 */
import pRetry, { AbortError } from 'p-retry';
import { CloudflareApiError, type PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { readJwtExpiry } from './jwt.js';
import { AttemptTimeoutError, type ErrorContext, isRetryable, mapCloudflareError } from './map-error.js';
import type { CloudflareOperation, ResolvedClientOptions } from './options.js';
import { createSemaphore } from './semaphore.js';

/** What each attempt hands to the SDK call: our abort signal and deadline, and no SDK retries. */
export interface AttemptOptions {
  signal: AbortSignal;
  timeout: number;
  maxRetries: 0;
}

/** How one operation is sent. */
export interface RunOptions {
  operation: CloudflareOperation;
  timeoutMs: number;
  uploadJwt?: boolean;
  completionToken?: string;
}

/** Runs SDK calls under the retry, timeout and concurrency policy. */
export interface Transport {
  run<T>(options: RunOptions, attempt: (request: AttemptOptions) => Promise<T>): Promise<T>;
}

/** Runs `work` with its own deadline: the abort reaches fetch and the body stream, the race the caller. */
async function withDeadline<T>(timeoutMs: number, work: (request: AttemptOptions) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AttemptTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  const attempt = work({ signal: controller.signal, timeout: timeoutMs, maxRetries: 0 });
  // Once the deadline wins, the aborted attempt's rejection has no reader left.
  attempt.catch(() => undefined);
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the transport of one client. */
export function createTransport(options: ResolvedClientOptions, log: Logger): Transport {
  const semaphore = createSemaphore(options.maxConcurrentRequests);

  const backoffMs = (attempt: number): number => {
    const base = Math.min(options.maxRetryDelayMs, options.minRetryDelayMs * 2 ** (attempt - 1));
    return Math.round(base * (1 - Math.random() * 0.25));
  };

  const toFailure = (error: unknown, context: ErrorContext): Error => {
    const mapped = mapCloudflareError(error, context);
    if (!(mapped instanceof Error)) return new TypeError(`Non-error thrown: ${String(mapped)}`);
    if (!isRetryable(mapped)) return new AbortError(mapped);
    const retryAfterMs = (mapped as PipelineError).retryAfterMs;
    // A wait longer than the cap is the queue's job (it can delay a message for up to 15 minutes).
    if (retryAfterMs !== undefined && retryAfterMs > options.retryAfterCapMs) return new AbortError(mapped);
    return mapped;
  };

  return {
    run<T>(run: RunOptions, attempt: (request: AttemptOptions) => Promise<T>): Promise<T> {
      const context: ErrorContext = {
        operation: run.operation,
        now: options.now,
        readExpiry: readJwtExpiry,
        ...(run.uploadJwt === undefined ? {} : { uploadJwt: run.uploadJwt }),
        ...(run.completionToken === undefined ? {} : { completionToken: run.completionToken }),
      };
      return pRetry(
        async () => {
          const release = await semaphore.acquire();
          try {
            return await withDeadline(run.timeoutMs, attempt);
          } catch (error) {
            throw toFailure(error, context);
          } finally {
            release();
          }
        },
        {
          retries: options.retries,
          minTimeout: 0,
          maxTimeout: 0,
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft <= 0 || !(error instanceof CloudflareApiError)) return;
            const delayMs = error.retryAfterMs ?? backoffMs(attemptNumber);
            const info = {
              operation: run.operation,
              attempt: attemptNumber,
              code: error.code,
              delayMs,
              ...(error.status === undefined ? {} : { status: error.status }),
            };
            log.warn('cloudflare request failed; retrying', info);
            options.onRetry?.(info);
            if (delayMs > 0) await sleep(delayMs);
          },
        },
      );
    },
  };
}
