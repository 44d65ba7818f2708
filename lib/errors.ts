/**
 * Typed, categorised errors with stable codes. Every failure the pipeline reports to a build system, an
 * operator or a log line is a {@link PipelineError}; its `message` is safe to show (no tokens, no raw API
 * bodies) and its `code` is an API that build systems match on.
 */

/** How a failure should be handled: acknowledged and recorded, retried, or alerted on. */
export type ErrorCategory = 'user-input' | 'transient' | 'upstream-rejected' | 'bug';

/**
 * The registry of every stable error code, area first. The category is fixed per code so the same code
 * is always handled the same way.
 */
export const ERROR_CODES = {
  // Artifact (the uploaded zip) problems: the build system must fix its artifact.
  'artifact.not-a-zip': { category: 'user-input', summary: 'the object is not a zip archive' },
  'artifact.corrupt': { category: 'user-input', summary: 'truncated, bad CRC, or headers that lie' },
  'artifact.empty': { category: 'user-input', summary: 'the archive holds no usable file' },
  'artifact.encrypted': { category: 'user-input', summary: 'an entry is encrypted' },
  'artifact.unsupported-method': {
    category: 'user-input',
    summary: 'an entry uses a method other than stored or deflate',
  },
  'artifact.path-traversal': { category: 'user-input', summary: 'an entry path escapes the archive root' },
  'artifact.symlink': { category: 'user-input', summary: 'an entry is a symbolic link' },
  'artifact.duplicate-entry': { category: 'user-input', summary: 'two entries normalise to the same path' },
  'artifact.bad-name': { category: 'user-input', summary: 'an entry name has control characters or NUL' },
  'artifact.name-too-long': { category: 'user-input', summary: 'an entry name is too long' },
  'artifact.too-many-files': { category: 'user-input', summary: 'more files than the configured limit' },
  'artifact.file-too-large': { category: 'user-input', summary: 'a file is larger than 25 MiB' },
  'artifact.too-large-total': {
    category: 'user-input',
    summary: 'the archive expands beyond the total limit',
  },
  'artifact.bomb-ratio': { category: 'user-input', summary: 'compression ratio or size beyond sane bounds' },
  'artifact.bad-config': { category: 'user-input', summary: 'wrangler config unparseable or inconsistent' },
  'artifact.binding-not-allowed': {
    category: 'user-input',
    summary: 'the config asks for a binding the platform does not allow',
  },
  'artifact.flag-not-allowed': { category: 'user-input', summary: 'a compatibility flag is on the denylist' },
  'artifact.vars-too-large': { category: 'user-input', summary: 'vars exceed the size or count limit' },
  'artifact.assetsignore-too-complex': {
    category: 'user-input',
    summary: '.assetsignore has too many or too long rules, or takes too much work to match',
  },
  'artifact.not-found': {
    category: 'user-input',
    summary: 'the artifact was deleted before it could be read',
  },
  'artifact.changed': { category: 'user-input', summary: 'the artifact was overwritten while it was read' },
  // Object keys and events.
  'key.bad-layout': {
    category: 'user-input',
    summary: 'the key does not follow <tenant>/<script>/<build>.zip',
  },
  'key.bad-tenant': { category: 'user-input', summary: 'the tenant segment is not a valid tenant id' },
  'key.bad-script': { category: 'user-input', summary: 'the script segment is not a valid script name' },
  'key.bad-build': { category: 'user-input', summary: 'the build segment is not a valid build id' },
  'event.malformed': { category: 'user-input', summary: 'the message body is not a valid event' },
  'event.unknown-bucket': {
    category: 'user-input',
    summary: 'the event is for a bucket this stack does not own',
  },
  'event.unsupported': { category: 'user-input', summary: 'an event type this stage does not handle' },
  'message.malformed': { category: 'user-input', summary: 'an internal queue message failed validation' },
  // Tags and tenants.
  'tag.invalid': {
    category: 'user-input',
    summary: 'a tag is empty, malformed or would inject into a filter',
  },
  'tag.too-many': { category: 'user-input', summary: 'more than 8 tags' },
  'tag.reserved': { category: 'user-input', summary: 'an extra tag tries to use a reserved (tenant) prefix' },
  'tag.not-ours': { category: 'user-input', summary: 'a tag the pipeline never assigns' },
  'tenant.invalid': { category: 'user-input', summary: 'the tenant id is empty, malformed or unsafe' },
  'tenant.closed': { category: 'user-input', summary: 'the tenant was torn down; the build is dropped' },
  // Builds.
  'build.id-reused': {
    category: 'user-input',
    summary: 'a different artifact already claimed this build id',
  },
  'build.busy': { category: 'transient', summary: 'another build of the script holds the deploy lease' },
  'build.purged': { category: 'user-input', summary: 'the build state is gone (tenant teardown)' },
  // Cloudflare.
  'cloudflare.rate-limited': { category: 'transient', summary: 'HTTP 429 from the Cloudflare API' },
  'cloudflare.server-error': { category: 'transient', summary: 'HTTP 5xx from the Cloudflare API' },
  'cloudflare.timeout': { category: 'transient', summary: 'a request attempt timed out' },
  'cloudflare.connection': { category: 'transient', summary: 'the connection failed or was reset' },
  'cloudflare.token-expired': { category: 'transient', summary: 'an upload or completion token expired' },
  'cloudflare.invalid-response': {
    category: 'transient',
    summary: 'the API answered without the expected result',
  },
  'cloudflare.auth': { category: 'upstream-rejected', summary: 'the API token was refused (401)' },
  'cloudflare.forbidden': {
    category: 'upstream-rejected',
    summary: 'the API token lacks a permission (403)',
  },
  'cloudflare.not-found': {
    category: 'upstream-rejected',
    summary: 'account, namespace or script not found',
  },
  'cloudflare.bad-request': { category: 'upstream-rejected', summary: 'the API rejected our request (4xx)' },
  'cloudflare.script-rejected': {
    category: 'user-input',
    summary: 'the API rejected the Worker script itself',
  },
  // AWS and state.
  's3.unavailable': { category: 'transient', summary: 'S3 failed or throttled' },
  's3.access-denied': { category: 'upstream-rejected', summary: 'S3 refused access (IAM or bucket policy)' },
  'sqs.unavailable': { category: 'transient', summary: 'SQS failed or throttled' },
  'state.conflict': { category: 'transient', summary: 'a conditional write lost a race; retry' },
  'teardown.incomplete': {
    category: 'transient',
    summary: 'Workers with the tag remain after the delete loop',
  },
  // Ours.
  'config.invalid': { category: 'bug', summary: 'a configuration value is missing or malformed' },
  'internal.unexpected': { category: 'bug', summary: 'an unexpected error; see the logs' },
} as const satisfies Record<string, { category: ErrorCategory; summary: string }>;

/** Every stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

export interface PipelineErrorOptions {
  /** The archive entry (normalised path) the error is about, when there is one. */
  entry?: string;
  /** The original error, kept for debug logs only. */
  cause?: unknown;
  /** Milliseconds the caller should wait before retrying (from `Retry-After`). */
  retryAfterMs?: number;
  /** Extra machine-readable facts, safe to log and to put in result records. */
  details?: Record<string, unknown>;
}

/** The base error of the pipeline: a stable `code`, its `category`, and a message safe to show. */
export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly entry: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.category = ERROR_CODES[code].category;
    this.entry = options.entry;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }

  /** The public shape used in result records, CLI output and logs. */
  toJSON(): { category: ErrorCategory; code: ErrorCode; message: string; entry?: string } {
    return {
      category: this.category,
      code: this.code,
      message: this.message,
      ...(this.entry === undefined ? {} : { entry: this.entry }),
    };
  }
}

/** An artifact the build system must fix (category `user-input`, code `artifact.*`). */
export class InvalidArtifactError extends PipelineError {
  constructor(code: ErrorCode & `artifact.${string}`, message: string, options: PipelineErrorOptions = {}) {
    super(code, message, options);
    this.name = 'InvalidArtifactError';
  }
}

/** A failure talking to Cloudflare, mapped from the SDK's error classes in `lib/cloudflare`. */
export class CloudflareApiError extends PipelineError {
  readonly status: number | undefined;
  readonly apiCodes: number[];

  constructor(
    code: ErrorCode & `cloudflare.${string}`,
    message: string,
    options: PipelineErrorOptions & { status?: number; apiCodes?: number[] } = {},
  ) {
    super(code, message, options);
    this.name = 'CloudflareApiError';
    this.status = options.status;
    this.apiCodes = options.apiCodes ?? [];
  }
}

/** A configuration value that is missing or malformed (category `bug`: our deployment is wrong). */
export class ConfigError extends PipelineError {
  constructor(message: string) {
    super('config.invalid', message);
    this.name = 'ConfigError';
  }
}

/** True when `value` is a {@link PipelineError}. */
export const isPipelineError = (value: unknown): value is PipelineError => value instanceof PipelineError;

/**
 * Turns anything thrown into a {@link PipelineError}. Unknown throws become `internal.unexpected`
 * (category `bug`) with a generic message; the original is kept as `cause` for debug logs only.
 */
export function toPipelineError(error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  return new PipelineError('internal.unexpected', 'An unexpected error occurred; see the logs for details.', {
    cause: error,
  });
}
