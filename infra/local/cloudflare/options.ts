/** Options of the Workers for Platforms emulator, with defaults matching Cloudflare's documented limits. */

const MiB = 1024 * 1024;

/** What a repeated upload answers once its session's set is complete (Cloudflare's behaviour is UNCONFIRMED). */
export type RepeatAfterComplete = '201' | '202';

export interface CloudflareEmulatorOptions {
  /** Default `acc123`, as in the wire capture. */
  accountId?: string;
  /** The API token accepted as `Authorization: Bearer`. Default `emulator-api-token`. */
  apiToken?: string;
  /** The legacy `X-Auth-Email` / `X-Auth-Key` pair also accepted on account endpoints. */
  apiEmail?: string;
  apiKey?: string;
  /** Dispatch namespaces that exist; any other answers 404. Default `['my-ns']`. */
  namespaces?: string[];
  /** 0 (default) picks a free port. The server binds 127.0.0.1 only. */
  port?: number;
  /** When set, deployed scripts and stored assets survive a restart (sessions do not). */
  dataDir?: string;
  /** Bucket plan: decoded bytes per bucket (default 50 MiB, wrangler's figure) and hashes per bucket. */
  bucketMaxBytes?: number;
  bucketMaxFiles?: number;
  /** Manifest entries per session: 20,000 (Free) by default, 100,000 on Paid. */
  maxManifestFiles?: number;
  /** Largest asset (25 MiB). */
  maxAssetSize?: number;
  /** Largest request body accepted (default 160 MiB; a 50 MiB bucket is ~67 MiB of base64). */
  maxBodyBytes?: number;
  /** Sum of module sizes of one script (default 10 MiB, the Paid limit); larger answers 10027. */
  maxScriptBytes?: number;
  /** Lifetime of upload and completion tokens (3600 s). */
  jwtTtlSeconds?: number;
  /** Most scripts one bulk delete removes / one list call returns, whatever `limit` says (1000). */
  deletePageSize?: number;
  listPageSize?: number;
  /** Tags per script (8, the documented limit; the spec says 10). */
  maxTags?: number;
  /** Check that each uploaded part decodes to the size the manifest declared (default true). */
  checkUploadSizes?: boolean;
  repeatAfterComplete?: RepeatAfterComplete;
  /** A script PUT without `tags`: clear the stored tags (default, stricter) or keep them. */
  tagsWhenOmitted?: 'clear' | 'keep';
  /** Validate every JSON response against the contract; a violation becomes a 500 (default true). */
  strictResponses?: boolean;
  /** Clock in milliseconds (default `Date.now`); `advanceClock` adds to it. */
  now?: () => number;
  /** Called for internal errors (default: console.error). */
  onInternalError?: (error: unknown) => void;
}

export type ResolvedEmulatorOptions = Required<Omit<CloudflareEmulatorOptions, 'dataDir' | 'port'>> & {
  dataDir: string | undefined;
  port: number;
};

/** Applies the defaults. */
export function resolveEmulatorOptions(options: CloudflareEmulatorOptions = {}): ResolvedEmulatorOptions {
  return {
    accountId: options.accountId ?? 'acc123',
    apiToken: options.apiToken ?? 'emulator-api-token',
    apiEmail: options.apiEmail ?? 'emulator@example.com',
    apiKey: options.apiKey ?? 'emulator-global-api-key',
    namespaces: options.namespaces ?? ['my-ns'],
    port: options.port ?? 0,
    dataDir: options.dataDir,
    bucketMaxBytes: options.bucketMaxBytes ?? 50 * MiB,
    bucketMaxFiles: options.bucketMaxFiles ?? 5_000,
    maxManifestFiles: options.maxManifestFiles ?? 20_000,
    maxAssetSize: options.maxAssetSize ?? 25 * MiB,
    maxBodyBytes: options.maxBodyBytes ?? 160 * MiB,
    maxScriptBytes: options.maxScriptBytes ?? 10 * MiB,
    jwtTtlSeconds: options.jwtTtlSeconds ?? 3600,
    deletePageSize: options.deletePageSize ?? 1000,
    listPageSize: options.listPageSize ?? 1000,
    maxTags: options.maxTags ?? 8,
    checkUploadSizes: options.checkUploadSizes ?? true,
    repeatAfterComplete: options.repeatAfterComplete ?? '201',
    tagsWhenOmitted: options.tagsWhenOmitted ?? 'clear',
    strictResponses: options.strictResponses ?? true,
    now: options.now ?? Date.now,
    onInternalError: options.onInternalError ?? ((error) => console.error('cloudflare emulator:', error)),
  };
}
