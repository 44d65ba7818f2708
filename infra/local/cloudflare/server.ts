/**
 * The HTTP side of the emulator: routing under `/client/v4`, in-flight accounting, fault injection,
 * auth, contract checks and the v4 envelope on every answer (with a real HTTP status).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ApiError, CF_CODES, failureEnvelope, successEnvelope } from './api-error.js';
import { authenticate } from './auth.js';
import type { Contract } from './contract.js';
import type { Faults, RequestKind } from './faults.js';
import type { HandlerContext } from './handlers/context.js';
import { injected, type Reply, readBody, send, sleep, waitForClient } from './http-io.js';
import type { MultipartScanner } from './multipart.js';
import type { ResolvedEmulatorOptions } from './options.js';
import { matchRoute, type RouteMatch } from './routes.js';
import type { EmulatorState } from './state.js';
import { createStatsTracker } from './stats.js';
import type { Tokens } from './tokens.js';

const PREFIX = '/client/v4/';

export interface ServerDeps {
  state: EmulatorState;
  options: ResolvedEmulatorOptions;
  tokens: Tokens;
  contract: Contract;
  faults: Faults;
  now: () => number;
  persist: () => Promise<void>;
}

/** Creates the request listener and its statistics. */
export function createServer(deps: ServerDeps) {
  const tracker = createStatsTracker();

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
    scan: MultipartScanner | undefined,
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
      scan,
      state: deps.state,
      options: deps.options,
      tokens: deps.tokens,
      contract: deps.contract,
      now: deps.now,
      uploadClaims,
      persist: deps.persist,
      audit: tracker,
    };
    const result = await route.handler(context);
    const envelope = successEnvelope(result.result, result.resultInfo);
    const violation =
      deps.options.strictResponses && route.operationId !== undefined
        ? deps.contract.checkResponse(route.operationId, result.status, envelope)
        : undefined;
    if (violation !== undefined) {
      tracker.violation(violation);
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
    const finish = tracker.enter(kind);
    response.once('close', finish);
    const record = (status: number, fault?: string) =>
      tracker.record({
        method,
        path: url.pathname,
        kind,
        status,
        ms: Math.round(performance.now() - started),
        ...(fault ? { fault } : {}),
      });
    try {
      const scan = match.type === 'route' ? match.route.scan?.(request.headers) : undefined;
      const body = await readBody(request, deps.options.maxBodyBytes, scan);
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
      const reply = await dispatch(match, request, url, body, scan);
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
    stats: tracker.stats,
    resetStats: tracker.reset,
  };
}
