/**
 * The only reader of `process.env`: `readConfig(env)` returns a typed, frozen configuration and fails on
 * the first missing or malformed value, naming it. Every variable is documented in the README
 * ("Configuration").
 */
import { availableParallelism } from 'node:os';
import type { ReadArtifactOptions } from './artifacts/read-artifact.js';
import { ConfigError } from './errors.js';
import { CLOUDFLARE_MAX_TAGS, type TagPolicy } from './pipeline/tags.js';

export interface Config {
  serviceName: string;
  stage: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  region: string;
  artifactsBucket: string;
  stateBucket: string;
  queues: { ingest: string; upload: string; finalize: string; teardown: string };
  /** Optional key prefix of the artifact layout `<prefix><tenant>/<script>/<build>.zip`. */
  keyPrefix: string;
  s3Endpoint: string | undefined;
  sqsEndpoint: string | undefined;
  cloudflare: {
    accountId: string;
    namespace: string;
    baseUrl: string | undefined;
    /** SSM SecureString parameter holding the API token (Lambda). */
    apiTokenParameter: string | undefined;
    /** The token itself: local mode only; refused inside Lambda. */
    apiToken: string | undefined;
    attemptTimeoutMs: number;
    uploadAttemptTimeoutMs: number;
    retries: number;
    maxConcurrentRequests: number;
  };
  tags: TagPolicy;
  limits: {
    maxFiles: number;
    maxTotalBytes: number;
    allowJsonVars: boolean;
    deniedCompatibilityFlags: string[];
    /** Decode and hash small entries on a second thread (`INGEST_HASH_THREAD`, see {@link wantsHashThread}). */
    hashThread: boolean;
  };
  /** How long a finalize may hold the per-script deploy lease. */
  deployLeaseSeconds: number;
  /** Delay of teardown's second sweep, which removes what in-flight stages wrote during the first. */
  teardownSweepDelaySeconds: number;
  /** First redelivery delay after a failure; doubles with every receive (at most 15 minutes). */
  retryBaseSeconds: number;
}

type Env = Record<string, string | undefined>;

const required = (env: Env, name: string): string => {
  const value = env[name]?.trim();
  if (value === undefined || value === '') throw new ConfigError(`Environment variable ${name} is required.`);
  return value;
};

const optional = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

const integer = (env: Env, name: string, fallback: number, min: number, max: number): number => {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `Environment variable ${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)}).`,
    );
  }
  return value;
};

const list = (env: Env, name: string, fallback: string[]): string[] => {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
};

const url = (env: Env, name: string): string | undefined => {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  try {
    return new URL(raw).toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError(`Environment variable ${name} must be a URL (got ${JSON.stringify(raw)}).`);
  }
};

const oneOf = <T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T => {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(
      `Environment variable ${name} must be one of ${values.join(', ')} (got ${JSON.stringify(raw)}).`,
    );
  }
  return raw as T;
};

function readCloudflare(env: Env): Config['cloudflare'] {
  const apiTokenParameter = optional(env, 'CLOUDFLARE_API_TOKEN_PARAMETER');
  const apiToken = optional(env, 'CLOUDFLARE_API_TOKEN');
  if (apiToken !== undefined && optional(env, 'AWS_LAMBDA_FUNCTION_NAME') !== undefined) {
    throw new ConfigError(
      'CLOUDFLARE_API_TOKEN must not be set in Lambda: use CLOUDFLARE_API_TOKEN_PARAMETER (SSM).',
    );
  }
  if (apiToken === undefined && apiTokenParameter === undefined) {
    throw new ConfigError(
      'Set CLOUDFLARE_API_TOKEN_PARAMETER (the SSM parameter name) or, locally, CLOUDFLARE_API_TOKEN.',
    );
  }
  return {
    accountId: required(env, 'CLOUDFLARE_ACCOUNT_ID'),
    namespace: required(env, 'DISPATCH_NAMESPACE'),
    baseUrl: url(env, 'CLOUDFLARE_API_BASE_URL'),
    apiTokenParameter,
    apiToken,
    attemptTimeoutMs: integer(env, 'CLOUDFLARE_ATTEMPT_TIMEOUT_MS', 30_000, 100, 300_000),
    uploadAttemptTimeoutMs: integer(env, 'CLOUDFLARE_UPLOAD_TIMEOUT_MS', 120_000, 100, 600_000),
    retries: integer(env, 'CLOUDFLARE_RETRIES', 4, 0, 10),
    maxConcurrentRequests: integer(env, 'CLOUDFLARE_MAX_CONCURRENCY', 4, 1, 64),
  };
}

/**
 * The artifact limits and policy (`MAX_FILES`, `MAX_TOTAL_BYTES`, `ALLOW_JSON_VARS`,
 * `DENIED_COMPATIBILITY_FLAGS`), and whether the reader uses a hashing thread (`INGEST_HASH_THREAD`): the
 * functions read them with the rest, `inspect` reads them alone so a build system checks a zip against the
 * deployment's own rules.
 */
export function readArtifactRules(env: Env): Config['limits'] {
  return {
    maxFiles: integer(env, 'MAX_FILES', 20_000, 1, 100_000),
    maxTotalBytes: integer(env, 'MAX_TOTAL_BYTES', 2 * 1024 ** 3, 1, 64 * 1024 ** 3),
    allowJsonVars: oneOf(env, 'ALLOW_JSON_VARS', ['true', 'false'] as const, 'false') === 'true',
    deniedCompatibilityFlags: list(env, 'DENIED_COMPATIBILITY_FLAGS', []),
    hashThread: wantsHashThread(env),
  };
}

/** Lambda memory that buys one vCPU (AWS gives CPU in proportion to memory). */
const LAMBDA_MB_PER_VCPU = 1769;

/**
 * `INGEST_HASH_THREAD`: `on`, `off`, or `auto` (the default): a second thread only pays with a second CPU
 * to run it, so in Lambda it needs memory worth two vCPUs (3,538 MB; the ingest function's 1,024 MB is
 * 0.58 of one), elsewhere two cores.
 */
export function wantsHashThread(env: Env): boolean {
  const mode = oneOf(env, 'INGEST_HASH_THREAD', ['auto', 'on', 'off'] as const, 'auto');
  if (mode !== 'auto') return mode === 'on';
  const lambdaMemory = optional(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE');
  if (lambdaMemory !== undefined) return Number(lambdaMemory) >= 2 * LAMBDA_MB_PER_VCPU;
  return availableParallelism() >= 2;
}

/** The artifact reader's limits, policy and threading for the configured rules (ingest and `inspect` alike). */
export const artifactReadOptions = (
  rules: Config['limits'],
): Required<Pick<ReadArtifactOptions, 'limits' | 'policy' | 'hashThread'>> => ({
  limits: { maxFiles: rules.maxFiles, maxTotalBytes: rules.maxTotalBytes },
  policy: { allowJsonVars: rules.allowJsonVars, deniedCompatibilityFlags: rules.deniedCompatibilityFlags },
  hashThread: rules.hashThread,
});

/** Reads and validates the configuration from `env`. */
export function readConfig(env: Env): Readonly<Config> {
  const config: Config = {
    serviceName: optional(env, 'SERVICE_NAME') ?? 'workers-drop',
    stage: optional(env, 'STAGE') ?? 'dev',
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    region: optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    artifactsBucket: required(env, 'ARTIFACTS_BUCKET'),
    stateBucket: required(env, 'STATE_BUCKET'),
    queues: {
      ingest: required(env, 'INGEST_QUEUE_URL'),
      upload: required(env, 'UPLOAD_QUEUE_URL'),
      finalize: required(env, 'FINALIZE_QUEUE_URL'),
      teardown: required(env, 'TEARDOWN_QUEUE_URL'),
    },
    keyPrefix: optional(env, 'KEY_PREFIX') ?? '',
    s3Endpoint: url(env, 'S3_ENDPOINT'),
    sqsEndpoint: url(env, 'SQS_ENDPOINT'),
    cloudflare: readCloudflare(env),
    tags: {
      tenantTagPrefix: optional(env, 'TENANT_TAG_PREFIX') ?? 'tenant-',
      extraTagKinds: list(env, 'EXTRA_TAG_KINDS', ['project', 'plan', 'env']),
      maxTags: integer(env, 'MAX_TAGS', CLOUDFLARE_MAX_TAGS, 1, CLOUDFLARE_MAX_TAGS),
    },
    limits: readArtifactRules(env),
    deployLeaseSeconds: integer(env, 'DEPLOY_LEASE_SECONDS', 240, 10, 3600),
    teardownSweepDelaySeconds: integer(env, 'TEARDOWN_SWEEP_DELAY_SECONDS', 900, 0, 900),
    retryBaseSeconds: integer(env, 'RETRY_BASE_SECONDS', 10, 1, 900),
  };
  if (config.keyPrefix !== '' && !config.keyPrefix.endsWith('/')) {
    throw new ConfigError('KEY_PREFIX must end with "/" (for example "drops/").');
  }
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*-$/.test(config.tags.tenantTagPrefix)) {
    throw new ConfigError(
      'TENANT_TAG_PREFIX must be lower-case letters, digits and hyphens, ending with "-".',
    );
  }
  return Object.freeze(config);
}
