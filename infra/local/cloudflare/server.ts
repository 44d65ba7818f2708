/**
 * The HTTP side of the emulator: routing under `/client/v4`, in-flight accounting, fault injection,
 * auth, contract checks and the v4 envelope on every answer (with a real HTTP status).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ApiError, CF_CODES, failureEnvelope, successEnvelope } from './api-error.js';
import { authenticate } from './auth.js';
import type { Contract } from './contract.js';
import type { Faults, OneShotFault, RequestKind } from './faults.js';
import type { HandlerContext } from './handlers/context.js';
import type { ResolvedEmulatorOptions } from './options.js';
import { matchRoute, type RouteMatch } from './routes.js';
import type { EmulatorState } from './state.js';
import type { Tokens } from './tokens.js';

const PREFIX = '/client/v4/';
/** Request records kept for `stats()`; older ones are dropped. */
const MAX_RECORDS = 10_000;

/** One handled request, for tests and benchmarks. `status` 0: no answer (dropped, stalled, lost). */
export interface RequestRecord {
  method: string;
  path: string;
  kind: RequestKind;
  status: number;
  ms: number;
  fault?: string;
}

export interface ServerDeps {
  state: EmulatorState;
  options: ResolvedEmulatorOptions;
  tokens: Tokens;
  contract: Contract;
  faults: Faults;
  now: () => number;
  persist: () => Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const INJECTED_MESSAGES: Record<number, [number, string]> = {
  429: [CF_CODES.rateLimited, 'Please wait and consider throttling your request speed'],
  502: [CF_CODES.internal, 'Bad gateway'],
  503: [CF_CODES.internal, 'Service temporarily unavailable'],
  524: [CF_CODES.internal, 'A timeout occurred'],
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
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
function send(response: ServerResponse, reply: Reply): boolean {
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

const injected = (fault: Extract<OneShotFault, { type: 'status' }>): Reply => {
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
const waitForClient = (response: ServerResponse, ms: number | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (response.destroyed) return resolve();
    const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
    response.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Creates the request listener and its statistics. */
export function createServer(deps: ServerDeps) {
  const records: RequestRecord[] = [];
  const violations: string[] = [];
  const inFlight = new Map<RequestKind | 'all', number>();
  const maxInFlight = new Map<RequestKind | 'all', number>();
  const enter = (key: RequestKind | 'all') => {
    const next = (inFlight.get(key) ?? 0) + 1;
    inFlight.set(key, next);
    maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, next));
  };
  const leave = (key: RequestKind | 'all') => inFlight.set(key, (inFlight.get(key) ?? 1) - 1);

  const locate = (method: string, pathname: string): RouteMatch => {
    if (!pathname.startsWith(PREFIX)) return { type: 'none' };
    try {
      return matchRoute(method, pathname.slice(PREFIX.length).split('/').map(decodeURIComponent));
    } catch {
      return { type: 'none' };
    }
  };

  async function dispatch(
    match: RouteMatch,
    request: IncomingMessage,
    url: URL,
    body: Buffer,
  ): Promise<Reply> {
    if (match.type === 'none')
      return { status: 404, body: failureEnvelope(CF_CODES.noRoute, 'No route for the URI') };
    if (match.type === 'method-not-allowed') {
      return {
        status: 405,
        body: failureEnvelope(CF_CODES.methodNotAllowed, `Method ${request.method} not allowed`),
      };
    }
    const { route, params } = match;
    const uploadClaims = authenticate(route, params, request.headers, deps.options, deps.tokens);
    if (route.operationId !== undefined)
      deps.contract.checkParameters(route.operationId, params, url.searchParams);
    const context: HandlerContext = {
      method: route.method,
      params,
      query: url.searchParams,
      headers: request.headers,
      body,
      state: deps.state,
      options: deps.options,
      tokens: deps.tokens,
      contract: deps.contract,
      now: deps.now,
      uploadClaims,
      persist: deps.persist,
    };
    const result = await route.handler(context);
    const envelope = successEnvelope(result.result, result.resultInfo);
    const violation =
      deps.options.strictResponses && route.operationId !== undefined
        ? deps.contract.checkResponse(route.operationId, result.status, envelope)
        : undefined;
    if (violation !== undefined) {
      violations.push(violation);
      deps.options.onInternalError(new Error(violation));
      return {
        status: 500,
        body: failureEnvelope(CF_CODES.internal, `emulator contract violation: ${violation}`),
      };
    }
    return { status: result.status, body: envelope };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const match = locate(method, url.pathname);
    const kind: RequestKind =
      match.type === 'route' ? match.route.kind : match.type === 'method-not-allowed' ? match.kind : 'other';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      leave('all');
      leave(kind);
    };
    enter('all');
    enter(kind);
    response.once('close', finish);
    const record = (status: number, fault?: string) => {
      records.push({
        method,
        path: url.pathname,
        kind,
        status,
        ms: Math.round(performance.now() - started),
        ...(fault ? { fault } : {}),
      });
      if (records.length > MAX_RECORDS) records.shift();
    };
    try {
      const body = await readBody(request, deps.options.maxBodyBytes);
      const { latencyMs, fault } = deps.faults.decide(kind);
      if (latencyMs > 0) await sleep(latencyMs);
      if (fault?.type === 'drop') {
        request.socket.destroy();
        return record(0, 'drop');
      }
      if (fault?.type === 'stall') {
        if (fault.phase === 'body' || fault.ms === undefined) {
          if (fault.phase === 'body') {
            response.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
            response.write('{"success":true,"errors":[],');
          }
          await waitForClient(response, fault.ms);
          request.socket.destroy();
          return record(0, 'stall');
        }
        // A latency spike: the request is still applied when it ends, even if the client has gone.
        await sleep(fault.ms);
      }
      if (fault?.type === 'status') {
        const reply = injected(fault);
        send(response, reply);
        return record(reply.status, `status-${fault.status}`);
      }
      if (fault?.type === 'null-result') {
        send(response, { status: 200, body: successEnvelope(null) });
        return record(200, 'null-result');
      }
      const reply = await dispatch(match, request, url, body);
      if (fault?.type === 'lose-response' || (fault?.type === 'lost-201' && reply.status === 201)) {
        request.socket.destroy();
        return record(0, fault.type);
      }
      const sent = send(response, reply);
      record(sent ? reply.status : 0, fault?.type);
    } catch (error) {
      if (error instanceof ApiError) {
        send(response, {
          status: error.status,
          body: failureEnvelope(error.code, error.message),
          headers: error.headers,
        });
        return record(error.status);
      }
      deps.options.onInternalError(error);
      send(response, {
        status: 500,
        body: failureEnvelope(CF_CODES.internal, 'Unexpected internal server error'),
      });
      record(500);
    } finally {
      if (response.writableEnded || response.destroyed) finish();
    }
  }

  return {
    listener: (request: IncomingMessage, response: ServerResponse): void => {
      void handle(request, response);
    },
    stats() {
      return {
        requests: [...records],
        inFlight: inFlight.get('all') ?? 0,
        maxInFlight: maxInFlight.get('all') ?? 0,
        maxInFlightByKind: Object.fromEntries([...maxInFlight].filter(([key]) => key !== 'all')) as Partial<
          Record<RequestKind, number>
        >,
        contractViolations: [...violations],
      };
    },
    resetStats(): void {
      records.length = 0;
      violations.length = 0;
      maxInFlight.clear();
      for (const [key, value] of inFlight) maxInFlight.set(key, value);
    },
  };
}
