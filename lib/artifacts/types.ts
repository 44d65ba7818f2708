/**
 * What reading one zipped build artifact produces. The manifest (assets, modules, config) is stored in
 * S3 by the ingest stage; upload and finalize read entry bytes back from the archive through the
 * recorded {@link EntryLocation}s, so no stage ever holds the whole archive.
 */
import type { Readable } from 'node:stream';
import type { AssetsConfig } from '../cloudflare/types.js';

/** Random access to the bytes of one archive (a local file, or one pinned S3 object version). */
export interface ZipSource {
  /** The archive size in bytes. */
  readonly size: number;
  /** Reads exactly `length` bytes at `offset` (fewer only at the end of the archive). */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * Streams the bytes `[start, end)` in order. Store failures arrive as the stream's error (a
   * PipelineError); destroying the stream releases the underlying request or file read.
   */
  stream(start: number, end: number): Readable;
  /** Bytes fetched from the underlying store so far (for the S3-transfer budget). */
  readonly bytesRead: number;
  close(): Promise<void>;
}

/** Where an entry's bytes sit in the archive: enough to read, inflate and verify one entry later. */
export interface EntryLocation {
  /** Offset of the entry's local file header. */
  offset: number;
  compressedSize: number;
  /** Uncompressed size. */
  size: number;
  /** 0 (stored) or 8 (deflate). */
  method: 0 | 8;
  /** CRC-32 of the uncompressed bytes. */
  crc32: number;
  /**
   * Length of the local header (30 + name + extra), recorded at ingest so a reader fetches exactly the
   * entry's bytes and can tell a changed header; readers allow for the largest header when absent.
   */
  headerSize?: number;
}

/** A regular file kept from the archive, by normalised path with a leading `/`. */
export interface ArtifactEntry {
  path: string;
  size: number;
  /** sha256 hex of the content. */
  sha256: string;
}

/** A static asset: its manifest path (relative to the assets directory, leading `/`). */
export interface ArtifactAsset {
  path: string;
  size: number;
  /** The content type Cloudflare will serve, or `null` for none (sent as `application/null`). */
  contentType: string | null;
  /** The tenant-salted 32-hex Cloudflare hash. */
  hash: string;
  location: EntryLocation;
}

/** A Worker module part. */
export interface ArtifactModule {
  /** Part name: the path relative to the main module's directory. */
  name: string;
  contentType: string;
  size: number;
  location: EntryLocation;
}

/** The Worker's settings, from `wrangler.json(c)` or the conventional defaults. */
export interface WorkerConfig {
  /** The main module's part name; absent for an assets-only artifact. */
  mainModule?: string;
  compatibilityDate?: string;
  compatibilityFlags: string[];
  /** Vars: strings become `plain_text` bindings, other JSON values `json` bindings (if allowed). */
  vars: Record<string, unknown>;
  /** `assets.config`, with `_headers` / `_redirects` text when the artifact has them. */
  assets: AssetsConfig;
  /** True when the artifact has an assets directory with at least one asset. */
  hasAssets: boolean;
  /** The assets binding's name (`assets.binding`; `ASSETS` when the config names none). */
  assetsBinding?: string;
}

/** The validated artifact. */
export interface Artifact {
  entries: ArtifactEntry[];
  assets: ArtifactAsset[];
  modules: ArtifactModule[];
  config: WorkerConfig;
  stats: {
    archiveSize: number;
    entryCount: number;
    totalUncompressed: number;
    bytesRead: number;
    durationMs: number;
  };
}
