/**
 * The port through which the pipeline talks to Cloudflare Workers for Platforms. `lib/cloudflare` is
 * the only implementation that reaches the network; domain code and its unit tests depend on this
 * interface only.
 */

/** One manifest entry: Cloudflare's view of an asset (its path is the key of {@link AssetManifest}). */
export interface AssetManifestEntry {
  /** 32 lower-case hex characters. */
  hash: string;
  size: number;
}

/** `path -> {hash, size}`; every path starts with `/`. */
export type AssetManifest = Record<string, AssetManifestEntry>;

/** The answer of the assets-upload-session endpoint. */
export interface UploadSession {
  /** The upload JWT, or already the completion token when `buckets` is empty. */
  jwt: string;
  /** Hashes still missing, grouped by the server into one upload request each. */
  buckets: string[][];
}

/** One file of a bucket upload. */
export interface AssetFile {
  hash: string;
  content: Uint8Array;
  /** The content type Cloudflare will serve; `null` is sent as `application/null` (no type). */
  contentType: string | null;
}

/** What the reader of a {@link StreamedBucket} declares about each file before its bytes are read. */
export interface StreamedAssetFile {
  hash: string;
  /** The exact byte length (the request's Content-Length is computed from it). */
  size: number;
  /** The content type Cloudflare will serve; `null` is sent as `application/null` (no type). */
  contentType: string | null;
}

/** One file's bytes from a bucket reader; `index` is its position in {@link StreamedBucket.files}. */
export interface BucketFileBytes {
  index: number;
  bytes: Uint8Array;
}

/**
 * A bucket whose bytes are read while the request is sent. `read` is called once per attempt, so a
 * retry reads every file again; it must yield each file exactly once, with identical bytes every time,
 * and stop early when `signal` aborts (the attempt was given up).
 */
export interface StreamedBucket {
  files: StreamedAssetFile[];
  read(signal: AbortSignal): AsyncIterable<BucketFileBytes>;
}

/** 202 (the session still misses hashes) or 201 (complete, with the completion token). */
export type UploadBucketResult = { status: 'accepted' } | { status: 'complete'; completionToken: string };

/** A Worker module part. */
export interface ScriptModule {
  /** The part name, a relative path such as `index.js` or `chunks/a.js`. */
  name: string;
  contentType: string;
  content: Uint8Array;
}

/** The bindings this pipeline emits. */
export type Binding =
  | { type: 'plain_text'; name: string; text: string }
  | { type: 'json'; name: string; json: unknown }
  | { type: 'assets'; name: string };

/** `assets.config` of the script metadata. */
export interface AssetsConfig {
  html_handling?: 'auto-trailing-slash' | 'force-trailing-slash' | 'drop-trailing-slash' | 'none';
  not_found_handling?: 'none' | '404-page' | 'single-page-application';
  run_worker_first?: boolean | string[];
  _headers?: string;
  _redirects?: string;
}

/** The `metadata` part of a script PUT. */
export interface ScriptMetadata {
  main_module?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  bindings?: Binding[];
  tags?: string[];
  assets?: { jwt: string; config?: AssetsConfig };
}

/** What the script PUT answered. */
export interface DeployedScript {
  id: string;
  etag?: string;
  tags: string[];
  hasAssets: boolean;
  hasModules: boolean;
  modifiedOn?: string;
}

/** One script of a list call. */
export interface ScriptSummary {
  id: string;
  tags: string[];
  modifiedOn?: string;
}

/** The operations of the Workers for Platforms API the pipeline uses. */
export interface CloudflareApi {
  /** Opens an assets upload session on the namespace endpoint for exactly `script`. */
  openUploadSession(namespace: string, script: string, manifest: AssetManifest): Promise<UploadSession>;
  /** Sends one bucket, authenticated with the upload JWT. */
  uploadBucket(uploadJwt: string, files: AssetFile[]): Promise<UploadBucketResult>;
  /**
   * Sends one bucket whose bytes are read while they are sent (one file in memory at a time); a retry
   * calls `bucket.read` again. A failure of the reader fails the upload with the reader's error.
   */
  uploadBucketStream(uploadJwt: string, bucket: StreamedBucket): Promise<UploadBucketResult>;
  /** Multipart PUT of the script into the namespace. */
  deployScript(
    namespace: string,
    script: string,
    upload: { modules: ScriptModule[]; metadata: ScriptMetadata },
  ): Promise<DeployedScript>;
  /** Bulk delete with `tags=<tag>:yes`, looping while Cloudflare reports more. Refuses unsafe tags. */
  deleteScriptsByTag(namespace: string, tag: string): Promise<{ deleted: string[] }>;
  /** Deletes one script; a missing script counts as success (`deleted: false`). */
  deleteScript(namespace: string, script: string): Promise<{ deleted: boolean }>;
  /** Lists scripts; with `tags`, only scripts that carry every one of them. */
  listScripts(namespace: string, options?: { tags?: string[] }): Promise<ScriptSummary[]>;
  /** The tags of one script. */
  getScriptTags(namespace: string, script: string): Promise<string[]>;
}
