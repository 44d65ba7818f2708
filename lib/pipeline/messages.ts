/**
 * The messages between stages. They carry pointers only (a build, a session id, a bucket index) and, for
 * uploads and finalize, a sealed token (see lib/secrets/seal.ts); never file contents or the manifest.
 */
import { PipelineError } from '../errors.js';
import { type BuildRef, parseArtifactKey } from './identity.js';

/** Send bucket `bucket` of upload session `sessionId`. */
export interface UploadMessage {
  v: 1;
  kind: 'upload';
  ref: BuildRef;
  sessionId: string;
  bucket: number;
  /** The sealed upload JWT. */
  token: string;
}

/** Deploy the build; `token` is the sealed completion token when the sender had one. */
export interface FinalizeMessage {
  v: 1;
  kind: 'finalize';
  ref: BuildRef;
  sessionId: string;
  token?: string;
  /** Why finalize was enqueued: the 201 arrived, the session had nothing to upload, or recovery. */
  reason: 'completed' | 'nothing-to-upload' | 'recovered';
}

export type StageMessage = UploadMessage | FinalizeMessage;

/** The largest body we send or accept on internal queues (SQS allows 1 MiB; ours are tiny). */
export const MAX_INTERNAL_MESSAGE_BYTES = 64 * 1024;

const malformed = (why: string) => new PipelineError('message.malformed', `Malformed queue message: ${why}.`);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseRef(value: unknown): BuildRef {
  if (!isObject(value)) throw malformed('ref is missing');
  const { tenant, script, build } = value;
  if (typeof tenant !== 'string' || typeof script !== 'string' || typeof build !== 'string') {
    throw malformed('ref needs tenant, script and build');
  }
  try {
    return parseArtifactKey(`${tenant}/${script}/${build}.zip`);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : 'invalid ref');
  }
}

const SESSION_ID = /^[a-z0-9]{8,40}$/;

/** Parses and validates a body of the upload or finalize queue. */
function parseStageMessage(body: string, expected: StageMessage['kind']): StageMessage {
  if (Buffer.byteLength(body) > MAX_INTERNAL_MESSAGE_BYTES) throw malformed('body too large');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw malformed('body is not JSON');
  }
  if (!isObject(value) || value.v !== 1 || value.kind !== expected)
    throw malformed(`expected a v1 ${expected} message`);
  const ref = parseRef(value.ref);
  if (typeof value.sessionId !== 'string' || !SESSION_ID.test(value.sessionId))
    throw malformed('bad sessionId');
  if (expected === 'upload') {
    if (typeof value.bucket !== 'number' || !Number.isInteger(value.bucket) || value.bucket < 0) {
      throw malformed('bad bucket index');
    }
    if (typeof value.token !== 'string') throw malformed('token is missing');
    return {
      v: 1,
      kind: 'upload',
      ref,
      sessionId: value.sessionId,
      bucket: value.bucket,
      token: value.token,
    };
  }
  const reason = value.reason;
  if (reason !== 'completed' && reason !== 'nothing-to-upload' && reason !== 'recovered')
    throw malformed('bad reason');
  return {
    v: 1,
    kind: 'finalize',
    ref,
    sessionId: value.sessionId,
    reason,
    ...(typeof value.token === 'string' ? { token: value.token } : {}),
  };
}

/** Parses and validates an upload queue body. */
export const parseUploadMessage = (body: string): UploadMessage =>
  parseStageMessage(body, 'upload') as UploadMessage;

/** Parses and validates a finalize queue body. */
export const parseFinalizeMessage = (body: string): FinalizeMessage =>
  parseStageMessage(body, 'finalize') as FinalizeMessage;
