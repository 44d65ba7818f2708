/**
 * Where the operator commands find the stack. Each value is taken from the first place that has it:
 * command-line flags, then the environment, then `.local/stack.json` (written by local mode while it
 * runs). A source queue set in the environment replaces that queue's whole entry of the file, so a queue
 * and a DLQ from two different stacks are never paired. Nothing here holds credentials: the SDK's own
 * chain supplies them, and loopback endpoints get dummy ones (lib/ops/clients.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { QueueName } from '../pipeline/ports.js';

/** The queues the commands know, in pipeline order. */
export const QUEUE_NAMES: readonly QueueName[] = ['ingest', 'upload', 'finalize', 'teardown'];

/** The local stack file, relative to the working directory. */
export const STACK_FILE = join('.local', 'stack.json');

/** One source queue; the DLQ fields are filled from its RedrivePolicy when absent. */
export interface StackQueue {
  url: string;
  dlqUrl?: string;
  arn?: string;
  dlqArn?: string;
  maxReceiveCount?: number;
}

/** What the commands know about the stack. */
export interface OpsStack {
  region: string | undefined;
  sqsEndpoint: string | undefined;
  s3Endpoint: string | undefined;
  stateBucket: string | undefined;
  queues: Partial<Record<QueueName, StackQueue>>;
  /** The stack file that was read, when one was. */
  stackFile: string | undefined;
  /** True when an endpoint was taken from the stack file (not from a flag or the environment). */
  endpointFromFile: boolean;
}

/** The flags every operator command accepts. */
export interface StackFlags {
  sqsEndpoint?: string | undefined;
  s3Endpoint?: string | undefined;
  region?: string | undefined;
}

/** `util.parseArgs` definitions of {@link StackFlags}. */
export const STACK_FLAG_OPTIONS = {
  'sqs-endpoint': { type: 'string' },
  's3-endpoint': { type: 'string' },
  region: { type: 'string' },
} as const;

type Env = Record<string, string | undefined>;

const QUEUE_ENV: Record<QueueName, string> = {
  ingest: 'INGEST_QUEUE_URL',
  upload: 'UPLOAD_QUEUE_URL',
  finalize: 'FINALIZE_QUEUE_URL',
  teardown: 'TEARDOWN_QUEUE_URL',
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
};

function checkUrl(value: string | undefined, where: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new ConfigError(`${where} must be an http(s) URL (got ${JSON.stringify(value.slice(0, 200))}).`);
  }
  return value.replace(/\/$/, '');
}

/** Reads one optional string field of the stack file. */
function field(object: Record<string, unknown>, name: string, where: string): string | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`${where}: "${name}" must be a non-empty string.`);
  }
  return value.trim();
}

function parseStackQueue(value: unknown, where: string): StackQueue {
  if (!isObject(value)) throw new ConfigError(`${where} must be an object.`);
  const url = checkUrl(field(value, 'url', where), `${where}.url`);
  if (url === undefined) throw new ConfigError(`${where}: "url" is required.`);
  const dlqUrl = checkUrl(field(value, 'dlqUrl', where), `${where}.dlqUrl`);
  const arn = field(value, 'arn', where);
  const dlqArn = field(value, 'dlqArn', where);
  const max = value.maxReceiveCount;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) {
    throw new ConfigError(`${where}: "maxReceiveCount" must be an integer from 1 to 1000.`);
  }
  return {
    url,
    ...(dlqUrl === undefined ? {} : { dlqUrl }),
    ...(arn === undefined ? {} : { arn }),
    ...(dlqArn === undefined ? {} : { dlqArn }),
    ...(max === undefined ? {} : { maxReceiveCount: max }),
  };
}

/** Parses and validates the text of a stack file; errors name the file and the field. */
export function parseStackFile(text: string, path: string): Omit<OpsStack, 'stackFile' | 'endpointFromFile'> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON (${(error as Error).message}).`);
  }
  if (!isObject(value)) throw new ConfigError(`${path} must hold a JSON object.`);
  const queues: Partial<Record<QueueName, StackQueue>> = {};
  if (value.queues !== undefined) {
    if (!isObject(value.queues)) throw new ConfigError(`${path}: "queues" must be an object.`);
    for (const name of QUEUE_NAMES) {
      const entry = value.queues[name];
      if (entry !== undefined) queues[name] = parseStackQueue(entry, `${path}: queues.${name}`);
    }
  }
  return {
    region: field(value, 'region', path),
    sqsEndpoint: checkUrl(field(value, 'sqsEndpoint', path), `${path}: sqsEndpoint`),
    s3Endpoint: checkUrl(field(value, 's3Endpoint', path), `${path}: s3Endpoint`),
    stateBucket: field(value, 'stateBucket', path),
    queues,
  };
}

async function readStackFile(
  path: string,
): Promise<Omit<OpsStack, 'stackFile' | 'endpointFromFile'> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  return parseStackFile(text, path);
}

/** Resolves the stack: flags, then `env`, then `<cwd>/.local/stack.json`. */
export async function resolveStack(options: { flags: StackFlags; env: Env; cwd: string }): Promise<OpsStack> {
  const { flags, env } = options;
  const path = join(options.cwd, STACK_FILE);
  const file = await readStackFile(path);
  const queues: Partial<Record<QueueName, StackQueue>> = {};
  for (const name of QUEUE_NAMES) {
    const fromEnv = checkUrl(nonEmpty(env[QUEUE_ENV[name]]), QUEUE_ENV[name]);
    const entry = fromEnv === undefined ? file?.queues[name] : { url: fromEnv };
    if (entry !== undefined) queues[name] = entry;
  }
  const sqsEndpoint =
    checkUrl(nonEmpty(flags.sqsEndpoint), '--sqs-endpoint') ??
    checkUrl(nonEmpty(env.SQS_ENDPOINT), 'SQS_ENDPOINT');
  const s3Endpoint =
    checkUrl(nonEmpty(flags.s3Endpoint), '--s3-endpoint') ??
    checkUrl(nonEmpty(env.S3_ENDPOINT), 'S3_ENDPOINT');
  return {
    region:
      nonEmpty(flags.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? file?.region,
    sqsEndpoint: sqsEndpoint ?? file?.sqsEndpoint,
    s3Endpoint: s3Endpoint ?? file?.s3Endpoint,
    endpointFromFile:
      (sqsEndpoint === undefined && file?.sqsEndpoint !== undefined) ||
      (s3Endpoint === undefined && file?.s3Endpoint !== undefined),
    stateBucket: nonEmpty(env.STATE_BUCKET) ?? file?.stateBucket,
    queues,
    stackFile: file === undefined ? undefined : path,
  };
}

const HOW_TO_POINT =
  'or run the command from the project directory while local mode (npm start) is running, which writes .local/stack.json';

/** The queue's entry, or a clear error naming the variable that would supply it. */
export function requireQueue(stack: OpsStack, queue: QueueName): StackQueue {
  const entry = stack.queues[queue];
  if (entry === undefined) {
    throw new ConfigError(`No URL for the ${queue} queue: set ${QUEUE_ENV[queue]}, ${HOW_TO_POINT}.`);
  }
  return entry;
}

/** The state bucket, or a clear error naming what supplies it. */
export function requireStateBucket(stack: OpsStack): string {
  if (stack.stateBucket === undefined) {
    throw new ConfigError(`No state bucket: set STATE_BUCKET, ${HOW_TO_POINT}.`);
  }
  return stack.stateBucket;
}
