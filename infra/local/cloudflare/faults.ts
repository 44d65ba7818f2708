/**
 * Fault injection, deterministic per test: rates draw from a seeded generator in request order, and
 * one-shot faults ("the next upload gets a 429") are consumed first. Rate faults can be limited to
 * request kinds.
 */

/** How the emulator classifies requests (for faults, stats and in-flight counts). */
export type RequestKind =
  | 'session'
  | 'upload'
  | 'script-put'
  | 'script-get'
  | 'script-delete'
  | 'list'
  | 'bulk-delete'
  | 'tags'
  | 'other';

/** Statuses the emulator can inject. */
export type InjectedStatus = 429 | 500 | 502 | 503 | 524;

/** Rate-based faults. Probabilities are 0..1 and are checked in the order listed. */
export interface FaultConfig {
  /** Seed of the generator (default 1). */
  seed?: number;
  /** Only these kinds get rate faults (default: all). */
  kinds?: RequestKind[];
  /** Added before handling: fixed, or uniform in [min, max]. */
  latencyMs?: number | { min: number; max: number };
  /** The socket is destroyed before the request is handled. */
  dropRate?: number;
  /** A silent stall: until the client gives up, or a spike of `stallMs` after which it is applied. */
  stallRate?: number;
  stallMs?: number;
  errorRates?: Partial<Record<InjectedStatus, number>>;
  /** `Retry-After` (seconds) on injected 429s (default 1). */
  retryAfterSeconds?: number;
  /** Also send `retry-after-ms` on injected 429s. */
  retryAfterMs?: number;
  /** Sessions answer 200 with `result: null` (workers-sdk #9465). */
  nullSessionRate?: number;
  /** An upload that completes the set is applied, then its 201 is lost (socket destroyed). */
  lost201Rate?: number;
}

/** A fault for the next matching request. */
export type OneShotFault =
  | {
      type: 'status';
      status: number;
      code?: number;
      message?: string;
      retryAfterSeconds?: number;
      retryAfterMs?: number;
    }
  | { type: 'drop' }
  /** Apply the request, then destroy the socket instead of answering. */
  | { type: 'lose-response' }
  /**
   * `headers` without `ms`: answer nothing until the client gives up (the request is not applied).
   * `headers` with `ms`: a latency spike; the request is applied after `ms`, answered if the client is
   * still there. `body`: send the headers and part of the body, then nothing.
   */
  | { type: 'stall'; ms?: number; phase?: 'headers' | 'body' }
  | { type: 'latency'; ms: number }
  | { type: 'null-result' };

/** What the server does with one request. */
export interface FaultDecision {
  latencyMs: number;
  fault: OneShotFault | { type: 'lost-201' } | undefined;
}

/** mulberry32: small, fast and good enough to make fault sequences reproducible. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fault knobs of one emulator. */
export function createFaults() {
  let config: FaultConfig = {};
  let random = createRandom(1);
  const once = new Map<RequestKind | 'any', OneShotFault[]>();

  const takeOnce = (kind: RequestKind): OneShotFault | undefined => {
    for (const key of [kind, 'any'] as const) {
      const queue = once.get(key);
      const fault = queue?.shift();
      if (fault !== undefined) return fault;
    }
    return undefined;
  };

  const rateFault = (kind: RequestKind): FaultDecision['fault'] => {
    const roll = random();
    let edge = 0;
    const hit = (rate: number | undefined): boolean => {
      edge += rate ?? 0;
      return roll < edge;
    };
    if (hit(config.dropRate)) return { type: 'drop' };
    if (hit(config.stallRate))
      return { type: 'stall', ...(config.stallMs === undefined ? {} : { ms: config.stallMs }) };
    for (const [status, rate] of Object.entries(config.errorRates ?? {})) {
      if (hit(rate)) {
        return {
          type: 'status',
          status: Number(status),
          ...(Number(status) === 429 ? { retryAfterSeconds: config.retryAfterSeconds ?? 1 } : {}),
          ...(Number(status) === 429 && config.retryAfterMs !== undefined
            ? { retryAfterMs: config.retryAfterMs }
            : {}),
        };
      }
    }
    if (kind === 'session' && hit(config.nullSessionRate)) return { type: 'null-result' };
    if (kind === 'upload' && hit(config.lost201Rate)) return { type: 'lost-201' };
    return undefined;
  };

  return {
    /** Replaces the rate faults (and re-seeds the generator). */
    set(next: FaultConfig): void {
      config = { ...next };
      random = createRandom(next.seed ?? 1);
    },
    /** Queues `fault` for the next `times` requests of `kind` (`any`: whatever comes next). */
    once(kind: RequestKind | 'any', fault: OneShotFault, times = 1): void {
      const queue = once.get(kind) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(fault);
      once.set(kind, queue);
    },
    /** Removes every fault. */
    reset(): void {
      config = {};
      random = createRandom(1);
      once.clear();
    },
    decide(kind: RequestKind): FaultDecision {
      const oneShot = takeOnce(kind);
      if (oneShot !== undefined)
        return { latencyMs: oneShot.type === 'latency' ? oneShot.ms : 0, fault: oneShot };
      if (config.kinds !== undefined && !config.kinds.includes(kind))
        return { latencyMs: 0, fault: undefined };
      const latency = config.latencyMs;
      const latencyMs =
        latency === undefined
          ? 0
          : typeof latency === 'number'
            ? latency
            : latency.min + random() * (latency.max - latency.min);
      return { latencyMs: Math.round(latencyMs), fault: rateFault(kind) };
    },
  };
}

export type Faults = ReturnType<typeof createFaults>;
