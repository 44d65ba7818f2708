/** Reading requests and writing v4 answers (or none at all, for faults) on node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, CF_CODES, failureEnvelope } from './api-error.js';
import type { OneShotFault } from './faults.js';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What Cloudflare says with each injected status. */
const INJECTED_MESSAGES: Record<number, [number, string]> = {
  429: [CF_CODES.rateLimited, 'Please wait and consider throttling your request speed'],
  502: [CF_CODES.internal, 'Bad gateway'],
  503: [CF_CODES.internal, 'Service temporarily unavailable'],
  524: [CF_CODES.internal, 'A timeout occurred'],
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The first buffer of a body without a usable Content-Length (chunked); it doubles as needed. */
const UNKNOWN_LENGTH_START = 64 * 1024;

/**
 * The whole body; a body over `limit` answers 413 / 10027 once it has been drained. Each chunk is copied
 * as it arrives into one buffer sized from Content-Length, so a body costs no concatenation once it has
 * all arrived (the stand-in answers as soon as the last byte is in, as Cloudflare's edge would). With a
 * `consumer` (a bucket upload's multipart scanner) the chunks go to it instead and nothing is buffered
 * here: the body returned is empty.
 */
export function readBody(
  request: IncomingMessage,
  limit: number,
  consumer?: { push(chunk: Buffer): void },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    const known = Number.isSafeInteger(declared) && declared >= 0 && declared <= limit;
    let body = Buffer.allocUnsafe(
      consumer !== undefined ? 0 : known ? declared : Math.min(UNKNOWN_LENGTH_START, limit),
    );
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      const end = size + chunk.length;
      if (end <= limit && consumer !== undefined) consumer.push(chunk);
      else if (end <= limit) {
        if (end > body.length) {
          const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(end, body.length * 2)));
          body.copy(grown, 0, 0, size);
          body = grown;
        }
        chunk.copy(body, size);
      }
      size = end;
    });
    request.on('end', () =>
      size > limit
        ? reject(new ApiError(413, CF_CODES.tooLarge, `the request body exceeds ${limit} bytes`))
        : resolve(body.subarray(0, size)),
    );
    request.on('error', reject);
  });
}

/** Writes the reply; false when the client has already gone. */
export function send(response: ServerResponse, reply: Reply): boolean {
  if (response.destroyed || response.headersSent) return false;
  const payload = Buffer.from(JSON.stringify(reply.body));
  response.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': String(payload.length),
    ...reply.headers,
  });
  response.end(payload);
  return true;
}

/** The answer of an injected status fault, with Retry-After headers on request. */
export const injected = (fault: Extract<OneShotFault, { type: 'status' }>): Reply => {
  const [code, message] = INJECTED_MESSAGES[fault.status] ?? [CF_CODES.internal, 'Internal server error'];
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
  if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  return {
    status: fault.status,
    body: failureEnvelope(fault.code ?? code, fault.message ?? message),
    headers,
  };
};

/** Resolves once the client has gone (or `ms` passed, when given). */
export const waitForClient = (response: ServerResponse, ms: number | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (response.destroyed) return resolve();
    const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
    response.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
