/**
 * Local S3 -> SQS notifications in AWS's exact record format. s3rver emits its own approximation
 * (unencoded keys, eventVersion 2.0, a malformed ARN); this bridge rebuilds each record the way S3 sends
 * it to an SQS destination, including the form-style URL encoding of the key (a space arrives as `+`),
 * applies the notification's prefix/suffix filter, and sends S3's `s3:TestEvent` when it starts, as S3
 * does when a destination is configured.
 */
import { randomBytes } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3EventRecord } from 'aws-lambda';
import type { LocalS3, S3rverEvent } from './s3.js';

export interface NotificationBridgeOptions {
  s3: LocalS3;
  sqs: SQSClient;
  queueUrl: string;
  bucket: string;
  /** S3KeyFilter rules, as in the bucket's notification configuration. */
  prefix?: string;
  suffix?: string;
  region?: string;
  /** Called when a notification could not be sent (local SQS down). */
  onError?: (error: unknown) => void;
}

/** Encodes a key the way S3 event notifications do: form-style URL encoding, `/` kept. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** Builds an AWS-format ObjectCreated record. */
export function buildS3EventRecord(input: {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  eventName?: string;
  eventTime?: string;
  sequencer?: string;
  versionId?: string;
  region?: string;
}): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region ?? 'us-east-1',
    eventTime: input.eventTime ?? new Date().toISOString(),
    eventName: input.eventName ?? 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:LOCAL' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': randomBytes(24).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'artifact-zip-created',
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: 'LOCAL' },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object: {
        key: encodeS3EventKey(input.key),
        size: input.size,
        eTag: input.eTag.replace(/"/g, ''),
        sequencer: input.sequencer ?? Date.now().toString(16).toUpperCase().padStart(16, '0'),
        ...(input.versionId === undefined ? {} : { versionId: input.versionId }),
      },
    },
  };
}

/** Forwards matching object-created events of `bucket` to the queue; returns a function that stops it. */
export async function bridgeS3Notifications(options: NotificationBridgeOptions): Promise<() => void> {
  const send = async (body: unknown): Promise<void> => {
    await options.sqs.send(
      new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify(body) }),
    );
  };
  await send({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: new Date().toISOString(),
    Bucket: options.bucket,
    RequestId: randomBytes(8).toString('hex').toUpperCase(),
    HostId: randomBytes(24).toString('base64'),
  });
  let sequence = 0n;
  return options.s3.onEvent((event: S3rverEvent) => {
    for (const record of event.Records) {
      const { bucket, object } = record.s3;
      if (bucket.name !== options.bucket || !record.eventName.startsWith('ObjectCreated:')) continue;
      if (options.prefix !== undefined && !object.key.startsWith(options.prefix)) continue;
      if (options.suffix !== undefined && !object.key.endsWith(options.suffix)) continue;
      sequence += 1n;
      const aws = buildS3EventRecord({
        bucket: bucket.name,
        key: object.key,
        size: object.size ?? 0,
        eTag: object.eTag ?? '',
        // s3rver reports a multipart completion as Post; S3 calls it CompleteMultipartUpload.
        eventName:
          record.eventName === 'ObjectCreated:Post'
            ? 'ObjectCreated:CompleteMultipartUpload'
            : record.eventName,
        eventTime: record.eventTime,
        sequencer: (BigInt(Date.now()) * 1000n + (sequence % 1000n))
          .toString(16)
          .toUpperCase()
          .padStart(16, '0'),
        ...(options.region === undefined ? {} : { region: options.region }),
      });
      send({ Records: [aws] }).catch((error: unknown) => options.onError?.(error));
    }
  });
}
