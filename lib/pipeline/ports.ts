/**
 * What the pipeline stages depend on. `lib/deps.ts` builds the production set once per cold start; tests
 * and local mode build theirs from the same pieces pointed at stand-ins.
 */
import type { Artifact, EntryLocation, ZipSource } from '../artifacts/types.js';
import type { CloudflareApi } from '../cloudflare/types.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { TokenSealer } from '../secrets/seal.js';
import type { JsonStore } from '../state/json-store.js';
import type { ArtifactPointer } from './records.js';

/** The pipeline's queues. */
export type QueueName = 'ingest' | 'upload' | 'finalize' | 'teardown';

/** Sends JSON messages to a queue (batched, every entry confirmed). */
export interface QueueSender {
  send(queue: QueueName, bodies: unknown[], options?: { delaySeconds?: number }): Promise<void>;
}

/** Counters and timings, published as CloudWatch EMF by the production implementation. */
export interface Metrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  timing(name: string, milliseconds: number): void;
  bytes(name: string, value: number): void;
}

/** What a HEAD of the pinned artifact says. */
export interface ArtifactHead {
  size: number;
  metadata: Record<string, string>;
}

/** The artifact object in the artifacts bucket: metadata, a pinned reader, and the archive reader. */
export interface ArtifactStore {
  /** HEAD pinned to the event's ETag/version: the object's size and S3 user metadata (extra tags). */
  head(pointer: ArtifactPointer): Promise<ArtifactHead>;
  /**
   * A random-access source pinned to exactly the announced bytes, without a request of its own:
   * `pointer.size` must be the size {@link head} returned (ingest records it in the manifest).
   */
  open(pointer: ArtifactPointer): Promise<ZipSource>;
  /** Validates the archive and builds the artifact model (tenant-salted hashes). */
  read(source: ZipSource, tenant: string): Promise<Artifact>;
  /** The verified bytes of the given entries, in the order given. */
  readEntries(source: ZipSource, locations: EntryLocation[]): Promise<Buffer[]>;
  /**
   * The verified bytes of the given entries one at a time, in archive order, keeping none (`index` is
   * the position in `locations`); every call reads them again. Aborting `signal` stops the reads.
   */
  streamEntries(
    source: ZipSource,
    locations: EntryLocation[],
    signal?: AbortSignal,
  ): AsyncIterable<{ index: number; bytes: Buffer }>;
}

/** Everything a stage needs. */
export interface PipelineDeps {
  config: Readonly<Config>;
  state: JsonStore;
  artifacts: ArtifactStore;
  cloudflare: CloudflareApi;
  queues: QueueSender;
  sealer: TokenSealer;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  /** A fresh id for an upload session (lower-case alphanumeric). */
  newSessionId: () => string;
}
