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

/** The whole body; a body over `limit` answers 413 / 10027 once it has been drained. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () =>
      size > limit
        ? reject(new ApiError(413, CF_CODES.tooLarge, `the request body exceeds ${limit} bytes`))
        : resolve(Buffer.concat(chunks, size)),
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
