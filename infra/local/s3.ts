/**
 * The local S3 stand-in: s3rver on 127.0.0.1, with its gaps closed so that code passing here passes on
 * AWS too (aws-notes §7):
 * - conditional requests: `If-None-Match` / `If-Match` on PUT, GET and HEAD answer 412 like S3 (s3rver
 *   ignores them), and PUTs to one key are serialised so a compare-and-swap really is atomic;
 * - ListObjectsV2 paging: s3rver builds continuation tokens with DES, which OpenSSL 3 refuses; paging is
 *   served with our own opaque tokens instead;
 * - atomic objects: s3rver answers a PUT before a buffered body is on disk and overwrites files in place,
 *   so a reader could see half an object; here bodies are written to a temporary file and renamed into
 *   place, and reads and writes of one key are serialised, so every read sees a whole version, as on S3;
 * - `Range: bytes=0-0` is the first byte, not the whole object;
 * - object-created events are exposed with the real object size and ETag for the notification bridge.
 *
 * Objects are read in 1 MiB chunks rather than s3rver's 64 KiB (see {@link READ_CHUNK_BYTES}).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, ReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import type Koa from 'koa';
import S3rver from 's3rver';

/** A running local S3. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly directory: string;
  /** Subscribes to object events (`ObjectCreated:*`, `ObjectRemoved:*`) in s3rver's record shape. */
  onEvent(listener: (event: S3rverEvent) => void): () => void;
  /** A client configured for this endpoint (path style, dummy credentials, checksums only when required). */
  createClient(): S3Client;
  close(): Promise<void>;
}

/** The record s3rver emits (not AWS's exact format: see infra/local/s3-notifications.ts). */
export interface S3rverEvent {
  Records: Array<{
    eventName: string;
    eventTime: string;
    s3: {
      bucket: { name: string };
      object: { key: string; size?: number; eTag?: string; sequencer: string };
    };
  }>;
}

export interface StartLocalS3Options {
  buckets: string[];
  /** Where objects live; a fresh temp dir (removed on close) when absent. */
  directory?: string;
  port?: number;
}

interface ListState {
  truncated: boolean;
  lastKey: string | undefined;
}

interface KoaContextLike {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  querystring: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  set(name: string, value: string): void;
  store: FilesystemStore;
}

interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}

interface FilesystemStore {
  listObjects(
    bucket: string,
    options: unknown,
  ): Promise<{ objects: Array<{ key: string }>; isTruncated: boolean }>;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  getObject(bucket: string, key: string, options?: unknown): Promise<ReadObject | null>;
}

/** An object as s3rver's store returns it for a GET. */
interface ReadObject {
  content: unknown;
  range?: { start: number; end: number };
}

/**
 * The chunk size of object reads. s3rver reads in 64 KiB chunks, each passed on by its own socket write;
 * the pipeline reads archives in ranges of many MiB (in local mode on its own event loop), so larger
 * chunks cut that per-chunk work ~16x for the same bytes.
 */
const READ_CHUNK_BYTES = 1024 * 1024;

/** Re-opens the object's body stream with {@link READ_CHUNK_BYTES} reads (same file, same range). */
async function withLargeReads(object: ReadObject, path: string): Promise<ReadObject> {
  if (!(object.content instanceof ReadStream)) return object;
  object.content.destroy();
  const stream = createReadStream(path, { ...object.range, highWaterMark: READ_CHUNK_BYTES });
  // Opened before the read lock is released, like s3rver's own stream: a later PUT cannot swap the bytes.
  object.content = await new Promise<ReadStream>((resolve, reject) => {
    stream.once('error', reject).once('open', () => resolve(stream));
  });
  return object;
}

/** Writes the body to a temporary file, then renames it into place: readers see the old or the new bytes. */
async function putObjectAtomically(
  store: FilesystemStore,
  object: StoredObject,
): Promise<{ size: number; md5: string }> {
  const target = store.getResourcePath(object.bucket, object.key, 'object');
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.${randomBytes(6).toString('hex')}.partial`;
  const md5 = createHash('md5');
  let size = 0;
  try {
    if (Buffer.isBuffer(object.content)) {
      md5.update(object.content);
      size = object.content.length;
      await writeFile(temporary, object.content);
    } else {
      const count = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(object.content, count, createWriteStream(temporary));
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    await rename(temporary, target);
    return { size, md5: digest };
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

const TOKEN_PREFIX = 'wd1.';
const encodeToken = (key: string): string => TOKEN_PREFIX + Buffer.from(key, 'utf8').toString('base64url');
const decodeToken = (token: string): string | undefined =>
  token.startsWith(TOKEN_PREFIX)
    ? Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')
    : undefined;

const header = (ctx: KoaContextLike, name: string): string | undefined => {
  const value = ctx.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Splits a path-style request path into bucket and key (decoded). */
function objectAddress(path: string): { bucket: string; key: string } | undefined {
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { bucket: match[1], key: decodeURIComponent(match[2]) };
}

function preconditionFailed(ctx: KoaContextLike): void {
  ctx.status = 412;
  ctx.set('Content-Type', 'application/xml');
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
    '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
}

/** Serialises async work per key. */
function createKeyedMutex(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return async (key, work) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

async function currentEtag(ctx: KoaContextLike, bucket: string, key: string): Promise<string | undefined> {
  try {
    const metadata = await ctx.store.getMetadata(bucket, key);
    return metadata.etag;
  } catch {
    return undefined;
  }
}

const sameEtag = (a: string, b: string): boolean => a.replace(/"/g, '') === b.replace(/"/g, '');

/** Koa middleware adding S3's conditional-request semantics and safe ListObjectsV2 paging. */
function createFidelityMiddleware(listState: AsyncLocalStorage<ListState>): Koa.Middleware {
  const withKeyLock = createKeyedMutex();
  return async (rawCtx, next) => {
    const ctx = rawCtx as unknown as KoaContextLike;
    const address = objectAddress(ctx.path);
    const isListV2 = ctx.method === 'GET' && address === undefined && ctx.query['list-type'] === '2';
    if (isListV2) return serveListV2(ctx, listState, next);
    if (address === undefined) return next();
    const ifMatch = header(ctx, 'if-match');
    const ifNoneMatch = header(ctx, 'if-none-match');
    if (ctx.method === 'PUT') {
      return withKeyLock(`${address.bucket}/${address.key}`, async () => {
        if (ifMatch !== undefined || ifNoneMatch !== undefined) {
          const etag = await currentEtag(ctx, address.bucket, address.key);
          if (ifNoneMatch === '*' && etag !== undefined) return preconditionFailed(ctx);
          if (ifMatch !== undefined && (etag === undefined || !sameEtag(etag, ifMatch))) {
            return preconditionFailed(ctx);
          }
        }
        await next();
      });
    }
    // Reads and deletes wait for a write in progress on the same key (the body stream, once opened, keeps
    // reading the version it opened even if a later PUT renames a new one into place).
    return withKeyLock(`${address.bucket}/${address.key}`, async () => {
      if ((ctx.method === 'GET' || ctx.method === 'HEAD') && ifMatch !== undefined) {
        const etag = await currentEtag(ctx, address.bucket, address.key);
        if (etag !== undefined && !sameEtag(etag, ifMatch)) return preconditionFailed(ctx);
      }
      await next();
    });
  };
}

async function serveListV2(
  ctx: KoaContextLike,
  listState: AsyncLocalStorage<ListState>,
  next: () => Promise<unknown>,
): Promise<void> {
  const token = ctx.query['continuation-token'];
  const params = new URLSearchParams(ctx.querystring);
  if (typeof token === 'string') {
    const startAfter = decodeToken(token);
    params.delete('continuation-token');
    if (startAfter !== undefined) params.set('start-after', startAfter);
    ctx.querystring = params.toString();
  }
  const state: ListState = { truncated: false, lastKey: undefined };
  await listState.run(state, next);
  const body = ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined;
  const result = body?.ListBucketResult;
  if (result === undefined) return;
  if (typeof token === 'string') {
    result.ContinuationToken = token;
    result.StartAfter = undefined;
  }
  if (state.truncated && state.lastKey !== undefined) {
    result.IsTruncated = true;
    result.NextContinuationToken = encodeToken(state.lastKey);
  }
}

/** Starts s3rver with the fidelity fixes and creates `buckets`. */
export async function startLocalS3(options: StartLocalS3Options): Promise<LocalS3> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'workers-drop-s3-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  const listState = new AsyncLocalStorage<ListState>();
  const store = (server as unknown as { store: FilesystemStore }).store;
  const listObjects = store.listObjects.bind(store);
  store.listObjects = async (bucket, listOptions) => {
    const result = await listObjects(bucket, listOptions);
    const state = listState.getStore();
    if (state === undefined || !result.isTruncated) return result;
    state.truncated = true;
    state.lastKey = result.objects.at(-1)?.key;
    return { ...result, isTruncated: false };
  };
  store.putObject = (object) => putObjectAtomically(store, object);
  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, getOptions) => {
    const object = await getObject(bucket, key, getOptions);
    if (object === null) return null;
    // s3rver takes an end of 0 for no end, so `bytes=0-0` was the whole object; S3 answers its first byte.
    const { start, end } = (getOptions ?? {}) as { start?: number; end?: number };
    if (start === 0 && end === 0 && object.range !== undefined) object.range = { start: 0, end: 0 };
    return withLargeReads(object, store.getResourcePath(bucket, key, 'object'));
  };
  const app = server as unknown as Koa;
  // Insert before s3rver's router (the last middleware) so our checks run first.
  app.middleware.splice(app.middleware.length - 1, 0, createFidelityMiddleware(listState));
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    directory,
    onEvent(listener) {
      app.on('event', listener);
      return () => app.off('event', listener);
    },
    createClient: () => createLocalS3Client(endpoint),
    async close() {
      await server.close();
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** An S3 client for a local endpoint. Checksums only when required: s3rver stores aws-chunked frames verbatim. */
export function createLocalS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
