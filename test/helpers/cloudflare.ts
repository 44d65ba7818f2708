/**
 * Helpers for tests of lib/cloudflare and the emulator: an emulator plus a client with test-speed
 * retry settings, asset factories, and raw HTTP/multipart builders for requests no client would send.
 */
import { createHash } from 'node:crypto';
import {
  type CloudflareEmulator,
  type CloudflareEmulatorOptions,
  startCloudflareEmulator,
} from '../../infra/local/cloudflare/index.js';
import { createCloudflareClient } from '../../lib/cloudflare/client.js';
import type { CloudflareClientOptions, RetryInfo } from '../../lib/cloudflare/options.js';
import type { AssetFile, AssetManifest, CloudflareApi, UploadSession } from '../../lib/cloudflare/types.js';
import { createRecordingLogger, type RecordingLogger } from '../../lib/log.js';

export const NAMESPACE = 'my-ns';

/** A running emulator and a client pointed at it. */
export interface CloudflareHarness {
  emulator: CloudflareEmulator;
  client: CloudflareApi;
  log: RecordingLogger;
  retries: RetryInfo[];
  /** Another client on the same emulator, with different options. */
  createClient(options?: Partial<CloudflareClientOptions>): CloudflareApi;
  close(): Promise<void>;
}

/** Starts an emulator (namespace `my-ns`) and a client with zero retry delays and short deadlines. */
export async function startCloudflareHarness(
  emulatorOptions: CloudflareEmulatorOptions = {},
  clientOptions: Partial<CloudflareClientOptions> = {},
): Promise<CloudflareHarness> {
  const emulator = await startCloudflareEmulator({ namespaces: [NAMESPACE], ...emulatorOptions });
  const log = createRecordingLogger();
  const retries: RetryInfo[] = [];
  const createClient = (options: Partial<CloudflareClientOptions> = {}): CloudflareApi =>
    createCloudflareClient({
      apiToken: emulator.apiToken,
      accountId: emulator.accountId,
      baseURL: emulator.url,
      log,
      minRetryDelayMs: 0,
      maxRetryDelayMs: 0,
      attemptTimeoutMs: 2_000,
      uploadAttemptTimeoutMs: 2_000,
      retries: 2,
      onRetry: (info) => retries.push(info),
      now: emulator.now,
      ...clientOptions,
      ...options,
    });
  return { emulator, client: createClient(), log, retries, createClient, close: () => emulator.close() };
}

/** A 32-hex content hash (what the pipeline derives, salted, from the file). */
export const hashOf = (content: Buffer | string): string => createHash('md5').update(content).digest('hex');

/** An asset file whose hash is derived from its content. */
export const assetFile = (content: string | Buffer, contentType: string | null = 'text/plain'): AssetFile => {
  const bytes = Buffer.from(content);
  return { hash: hashOf(bytes), content: bytes, contentType };
};

/** The manifest of `files` keyed by path. */
export const manifestOf = (files: Record<string, AssetFile>): AssetManifest =>
  Object.fromEntries(
    Object.entries(files).map(([path, file]) => [path, { hash: file.hash, size: file.content.length }]),
  );

/** Uploads every bucket of `session` and returns the completion token. */
export async function uploadSession(
  client: CloudflareApi,
  session: UploadSession,
  files: readonly AssetFile[],
): Promise<string> {
  if (session.buckets.length === 0) return session.jwt;
  let token: string | undefined;
  for (const bucket of session.buckets) {
    const result = await client.uploadBucket(
      session.jwt,
      files.filter((file) => bucket.includes(file.hash)),
    );
    if (result.status === 'complete') token = result.completionToken;
  }
  if (token === undefined) throw new Error('no bucket answered with the completion token');
  return token;
}

/** One part of a hand-built multipart body. */
export interface RawPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

/** Encodes parts exactly as given (a field without filename/type is a plain string field). */
export function encodeMultipart(parts: readonly RawPart[]): { body: Buffer; contentType: string } {
  const boundary = `----workers-drop-test-${hashOf(String(Math.random())).slice(0, 16)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const type = part.contentType === undefined ? '' : `\r\nContent-Type: ${part.contentType}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`));
    chunks.push(Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A raw answer of the emulator. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: {
    success: boolean;
    errors: Array<{ code: number; message: string }>;
    result: unknown;
    result_info?: unknown;
  };
}

/** Sends a request with plain fetch (tests only: lib/ code goes through the SDK). */
export async function rawRequest(
  emulator: CloudflareEmulator,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: Buffer | string; token?: string | null } = {},
): Promise<RawResponse> {
  const token = init.token === undefined ? emulator.apiToken : init.token;
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as RawResponse['body'],
  };
}

/** Account-scoped path prefix of the namespace. */
export const scriptsPath = (emulator: CloudflareEmulator, namespace = NAMESPACE): string =>
  `/accounts/${emulator.accountId}/workers/dispatch/namespaces/${namespace}/scripts`;

/** A minimal ES module Worker. */
export const workerModule = (text = 'hello'): { name: string; contentType: string; content: Buffer } => ({
  name: 'index.js',
  contentType: 'application/javascript+module',
  content: Buffer.from(`export default { fetch() { return new Response(${JSON.stringify(text)}); } };\n`),
});
