/** What every route handler receives and returns. */
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, CF_CODES } from '../api-error.js';
import type { Contract } from '../contract.js';
import type { MultipartScanner } from '../multipart.js';
import type { ResolvedEmulatorOptions } from '../options.js';
import type { EmulatorState } from '../state.js';
import type { TokenClaims, Tokens } from '../tokens.js';

export interface HandlerContext {
  method: string;
  /** Decoded path parameters (`account_id`, `dispatch_namespace`, `script_name`, `tag`). */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The route's scanner, when it read the body as it arrived. */
  scan: MultipartScanner | undefined;
  state: EmulatorState;
  options: ResolvedEmulatorOptions;
  tokens: Tokens;
  contract: Contract;
  /** The emulator clock (ms), including `advanceClock`. */
  now(): number;
  /** The verified upload JWT on `assets/upload`. */
  uploadClaims: TokenClaims | undefined;
  /** Persists the state (when a `dataDir` is set) before the answer goes out. */
  persist(): Promise<void>;
  /** The asset audit of `stats()`. */
  audit: {
    sessionOpened(buckets: readonly string[][]): void;
    partsReceived(hashes: readonly string[]): void;
  };
}

export interface HandlerResult {
  status: number;
  result: unknown;
  resultInfo?: unknown;
}

export type Handler = (context: HandlerContext) => HandlerResult | Promise<HandlerResult>;

/** The parsed JSON body; a body that is not JSON answers 400 with `code`. */
export function readJsonBody(context: HandlerContext, code: number): unknown {
  const type = context.headers['content-type'];
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw badRequest(
      CF_CODES.unsupportedContentType,
      `Content-Type ${type} is not supported here; send JSON`,
    );
  }
  try {
    return JSON.parse(context.body.toString('utf8')) as unknown;
  } catch {
    throw badRequest(code, 'the request body is not valid JSON');
  }
}

/** A `true`/`false` query flag (absent: false); anything else answers 400 / 10004. */
export function readFlag(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null) return false;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw badRequest(CF_CODES.malformedParameter, `${name} must be true or false`);
}

/** An ISO timestamp of the emulator clock. */
export const isoNow = (context: HandlerContext): string => new Date(context.now()).toISOString();
