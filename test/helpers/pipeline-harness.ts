/**
 * An in-process harness for unit tests of the pipeline stages: a memory state store, the fake Cloudflare
 * port, fake artifacts, and in-memory queues that a test drains stage by stage (or all at once).
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { Artifact, EntryLocation, ZipSource } from '../../lib/artifacts/types.js';
import { readConfig } from '../../lib/config.js';
import { PipelineError } from '../../lib/errors.js';
import { createRecordingLogger, type RecordingLogger } from '../../lib/log.js';
import { createRecordingMetrics, type RecordingMetrics } from '../../lib/metrics.js';
import { finalizeBuild } from '../../lib/pipeline/finalize.js';
import { ingestObject } from '../../lib/pipeline/ingest.js';
import {
  type FinalizeMessage,
  parseFinalizeMessage,
  parseUploadMessage,
  type UploadMessage,
} from '../../lib/pipeline/messages.js';
import type { ArtifactStore, PipelineDeps, QueueName } from '../../lib/pipeline/ports.js';
import type { ArtifactPointer } from '../../lib/pipeline/records.js';
import type { ObjectEvent } from '../../lib/pipeline/s3-events.js';
import { uploadBucketOfBuild } from '../../lib/pipeline/upload.js';
import { createTokenSealer } from '../../lib/secrets/seal.js';
import { FakeCloudflare } from './fake-cloudflare.js';
import { createMemoryStore, type MemoryStore } from './memory-store.js';

export const TEST_ENV = {
  ARTIFACTS_BUCKET: 'artifacts',
  STATE_BUCKET: 'state',
  INGEST_QUEUE_URL: 'http://sqs.local/ingest',
  UPLOAD_QUEUE_URL: 'http://sqs.local/upload',
  FINALIZE_QUEUE_URL: 'http://sqs.local/finalize',
  TEARDOWN_QUEUE_URL: 'http://sqs.local/teardown',
  CLOUDFLARE_ACCOUNT_ID: 'acc123',
  DISPATCH_NAMESPACE: 'ns',
  CLOUDFLARE_API_TOKEN: 'test-api-token-0123456789',
};

interface FakeObject {
  artifact: Artifact;
  contents: Map<number, Buffer>;
  metadata: Record<string, string>;
  etag: string;
}

/** A site: path in the zip -> content. `worker.js` at the root becomes the main module. */
export type SiteFiles = Record<string, string>;

const assetHash = (tenant: string, path: string, content: Buffer) =>
  createHash('sha256')
    .update(`${tenant}\0${extname(path).slice(1).toLowerCase()}\0`)
    .update(content)
    .digest('hex')
    .slice(0, 32);

const contentTypeOf = (path: string): string | null =>
  ({
    '.html': 'text/html; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.txt': 'text/plain; charset=utf-8',
  })[extname(path)] ?? null;

/** Builds the artifact model the real reader would produce for `files` (fake locations). */
function fakeArtifact(tenant: string, files: SiteFiles): FakeObject {
  const contents = new Map<number, Buffer>();
  const artifact: Artifact = {
    entries: [],
    assets: [],
    modules: [],
    config: { compatibilityFlags: [], vars: {}, assets: {}, hasAssets: false },
    stats: { archiveSize: 0, entryCount: 0, totalUncompressed: 0, bytesRead: 0, durationMs: 1 },
  };
  let offset = 0;
  for (const [path, text] of Object.entries(files)) {
    const content = Buffer.from(text);
    const location: EntryLocation = {
      offset,
      compressedSize: content.length,
      size: content.length,
      method: 0,
      crc32: 0,
    };
    contents.set(offset, content);
    offset += 1;
    artifact.entries.push({
      path: `/${path}`,
      size: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    if (path === 'worker.js') {
      artifact.modules.push({
        name: 'worker.js',
        contentType: 'application/javascript+module',
        size: content.length,
        location,
      });
      artifact.config.mainModule = 'worker.js';
    } else if (path.startsWith('public/')) {
      const assetPath = path.slice('public'.length);
      artifact.assets.push({
        path: assetPath,
        size: content.length,
        contentType: contentTypeOf(assetPath),
        hash: assetHash(tenant, assetPath, content),
        location,
      });
    }
  }
  artifact.config.hasAssets = artifact.assets.length > 0;
  return {
    artifact,
    contents,
    metadata: {},
    etag: createHash('md5').update(JSON.stringify(files)).digest('hex'),
  };
}

export interface Harness {
  deps: PipelineDeps;
  store: MemoryStore;
  cf: FakeCloudflare;
  log: RecordingLogger;
  metrics: RecordingMetrics;
  queues: Record<QueueName, unknown[]>;
  clock: { now: number };
  /** Stores an artifact and returns the S3 event announcing it. */
  upload(key: string, files: SiteFiles, options?: { eventTime?: string; tags?: string }): ObjectEvent;
  /** Takes every queued message of `queue` (the caller runs them). */
  take<Q extends 'upload' | 'finalize'>(
    queue: Q,
  ): Array<Q extends 'upload' ? UploadMessage : FinalizeMessage>;
  runUploads(): Promise<string[]>;
  runFinalizes(): Promise<string[]>;
  /** Runs stages until the upload and finalize queues are empty. */
  drain(): Promise<string[]>;
  ingest(event: ObjectEvent): Promise<string>;
}

export function createHarness(env: Record<string, string> = {}): Harness {
  const store = createMemoryStore();
  const cf = new FakeCloudflare();
  const log = createRecordingLogger({ service: 'test' });
  const metrics = createRecordingMetrics();
  const objects = new Map<string, FakeObject>();
  const queues: Record<QueueName, unknown[]> = { ingest: [], upload: [], finalize: [], teardown: [] };
  const clock = { now: Date.parse('2026-11-22T10:00:00.000Z') };
  let sessions = 0;
  cf.nowSeconds = () => Math.floor(clock.now / 1000);
  const objectOf = (pointer: ArtifactPointer): FakeObject => {
    const object = objects.get(pointer.key);
    if (object === undefined) throw new PipelineError('artifact.not-found', `no object ${pointer.key}`);
    if (object.etag !== pointer.etag)
      throw new PipelineError('artifact.changed', `object ${pointer.key} changed`);
    return object;
  };
  const sourceOf = (pointer: ArtifactPointer): ZipSource =>
    ({ size: 0, bytesRead: 0, pointer, close: async () => undefined }) as unknown as ZipSource;
  const artifacts: ArtifactStore = {
    head: async (pointer) => ({ size: pointer.size, metadata: objectOf(pointer).metadata }),
    open: async (pointer) => {
      objectOf(pointer);
      return sourceOf(pointer);
    },
    read: async (source) => objectOf((source as unknown as { pointer: ArtifactPointer }).pointer).artifact,
    readEntries: async (source, locations) => {
      const object = objectOf((source as unknown as { pointer: ArtifactPointer }).pointer);
      return locations.map((location) => object.contents.get(location.offset) ?? Buffer.alloc(0));
    },
    async *streamEntries(source, locations) {
      const object = objectOf((source as unknown as { pointer: ArtifactPointer }).pointer);
      for (const [index, location] of locations.entries())
        yield { index, bytes: object.contents.get(location.offset) ?? Buffer.alloc(0) };
    },
  };
  const deps: PipelineDeps = {
    config: readConfig({ ...TEST_ENV, ...env }),
    state: store,
    artifacts,
    cloudflare: cf,
    queues: {
      async send(queue, bodies) {
        queues[queue].push(...bodies.map((body) => JSON.parse(JSON.stringify(body))));
      },
    },
    sealer: createTokenSealer(TEST_ENV.CLOUDFLARE_API_TOKEN),
    log,
    metrics,
    now: () => new Date(clock.now),
    newSessionId: () => {
      sessions += 1;
      return `session${String(sessions).padStart(4, '0')}`;
    },
  };
  const harness: Harness = {
    deps,
    store,
    cf,
    log,
    metrics,
    queues,
    clock,
    upload(key, files, options = {}) {
      const tenant = key.split('/')[0] ?? '';
      const object = fakeArtifact(tenant, files);
      if (options.tags !== undefined) object.metadata.tags = options.tags;
      objects.set(key, object);
      clock.now += 1000;
      return {
        eventName: 'ObjectCreated:Put',
        eventTime: options.eventTime ?? new Date(clock.now).toISOString(),
        bucket: 'artifacts',
        key,
        etag: object.etag,
        size: 100,
      };
    },
    take(queue) {
      const taken = queues[queue].splice(0);
      return taken.map((body) =>
        queue === 'upload'
          ? parseUploadMessage(JSON.stringify(body))
          : parseFinalizeMessage(JSON.stringify(body)),
      ) as never;
    },
    async runUploads() {
      const outcomes: string[] = [];
      for (const message of harness.take('upload')) outcomes.push(await uploadBucketOfBuild(message, deps));
      return outcomes;
    },
    async runFinalizes() {
      const outcomes: string[] = [];
      for (const message of harness.take('finalize')) outcomes.push(await finalizeBuild(message, deps));
      return outcomes;
    },
    async drain() {
      const outcomes: string[] = [];
      for (
        let round = 0;
        round < 20 && (queues.upload.length > 0 || queues.finalize.length > 0);
        round += 1
      ) {
        outcomes.push(...(await harness.runUploads()), ...(await harness.runFinalizes()));
      }
      return outcomes;
    },
    ingest: (event) => ingestObject(event, deps),
  };
  return harness;
}
