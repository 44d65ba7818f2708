/**
 * Parsing of what reaches the ingest function: S3 notifications delivered through SQS (the body is the
 * notification JSON), the direct S3 event shape (S3 -> Lambda), and S3's `s3:TestEvent`, which is ignored.
 */
import type { S3EventRecord } from 'aws-lambda';
import { PipelineError } from '../errors.js';
import { decodeS3EventKey } from './identity.js';

/** One object event, with its key decoded. */
export interface ObjectEvent {
  eventName: string;
  eventTime: string;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  versionId?: string;
  sequencer?: string;
}

/** What one ingest message holds. */
export type IngestPayload = { kind: 'test-event' } | { kind: 'objects'; objects: ObjectEvent[] };

/** S3's notification limit is 64 KB; anything much larger is not from S3. */
export const MAX_NOTIFICATION_BYTES = 256 * 1024;

const malformed = (why: string) => new PipelineError('event.malformed', `Malformed S3 event: ${why}.`);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function toObjectEvent(record: unknown): ObjectEvent {
  if (!isObject(record) || record.eventSource !== 'aws:s3') throw malformed('a record is not an S3 record');
  const s3 = record.s3 as Partial<S3EventRecord['s3']> | undefined;
  const object = s3?.object;
  const bucket = s3?.bucket?.name;
  if (typeof bucket !== 'string' || object === undefined || typeof object.key !== 'string') {
    throw malformed('a record has no bucket or object key');
  }
  if (
    typeof record.eventName !== 'string' ||
    typeof record.eventTime !== 'string' ||
    Number.isNaN(Date.parse(record.eventTime))
  ) {
    throw malformed('a record has no event name or time');
  }
  return {
    eventName: record.eventName,
    eventTime: new Date(Date.parse(record.eventTime)).toISOString(),
    bucket,
    key: decodeS3EventKey(object.key),
    etag: typeof object.eTag === 'string' ? object.eTag.replace(/"/g, '') : '',
    size: typeof object.size === 'number' ? object.size : 0,
    ...(typeof object.versionId === 'string' && object.versionId !== ''
      ? { versionId: object.versionId }
      : {}),
    ...(typeof object.sequencer === 'string' ? { sequencer: object.sequencer } : {}),
  };
}

/** Interprets a parsed notification (direct S3 event or an SQS body). */
export function parseNotification(value: unknown): IngestPayload {
  if (!isObject(value)) throw malformed('not a JSON object');
  if (value.Event === 's3:TestEvent') return { kind: 'test-event' };
  if (!Array.isArray(value.Records) || value.Records.length === 0) throw malformed('no Records');
  return { kind: 'objects', objects: value.Records.map(toObjectEvent) };
}

/** Parses an ingest queue message body. */
export function parseIngestBody(body: string): IngestPayload {
  if (Buffer.byteLength(body) > MAX_NOTIFICATION_BYTES)
    throw malformed('the body is larger than any S3 notification');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw malformed('the body is not JSON');
  }
  return parseNotification(value);
}
