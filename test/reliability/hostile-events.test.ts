/**
 * Hostile keys and events at the ingest function, over local mode's real S3, SQS and the emulator: keys
 * with `..`, unicode tricks, over-long segments, tag-filter lookalikes and percent-encoding tricks; events
 * for buckets we do not own and that are not object creations; malformed, non-S3 and oversized bodies;
 * events for deleted or overwritten objects. Each gets its documented code and is acknowledged (never
 * retried into the DLQ); key problems leave an invalid-key record, artifact problems a rejected result,
 * foreign or malformed events nothing but a log line. A valid record in the same batch still deploys.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildS3EventRecord } from '../../infra/local/s3-notifications.js';
import { LOCAL_ARTIFACTS_BUCKET, LOCAL_NAMESPACE } from '../../infra/local/stack.js';
import { zipFiles } from '../../infra/local/zip.js';
import { createRecordingLogger } from '../../lib/log.js';
import { createRecordingMetrics } from '../../lib/metrics.js';
import { stateKeys } from '../../lib/pipeline/records.js';
import { putArtifact, waitForResult } from '../helpers/local-stack.js';
import { type LambdaStack, startLambdaStack } from './helpers/lambda-stack.js';

const log = createRecordingLogger({ service: 'hostile-events' });
let lambda: LambdaStack;
let ids = 0;

const SITE = {
  'index.js': 'export default { fetch: (r, env) => env.ASSETS.fetch(r) };',
  'public/index.html': '<h1>valid</h1>',
};

beforeAll(async () => {
  // Ingest is invoked directly with crafted batches; upload and finalize run from their queues.
  lambda = await startLambdaStack({
    log,
    metrics: createRecordingMetrics(),
    pollStages: ['upload', 'finalize'],
    env: { RETRY_BASE_SECONDS: '1' },
  });
});
afterAll(async () => {
  await lambda?.close();
});

const md5 = (body: Buffer) => createHash('md5').update(body).digest('hex');

/** An S3 notification body; `rawKey` replaces the (correctly encoded) key as it travels in the event. */
function notification(input: {
  key: string;
  rawKey?: string;
  bucket?: string;
  eventName?: string;
  eTag?: string;
}) {
  const record = buildS3EventRecord({
    bucket: input.bucket ?? LOCAL_ARTIFACTS_BUCKET,
    key: input.key,
    size: 100,
    eTag: input.eTag ?? 'd41d8cd98f00b204e9800998ecf8427e',
    ...(input.eventName === undefined ? {} : { eventName: input.eventName }),
  });
  if (input.rawKey !== undefined) record.s3.object.key = input.rawKey;
  return JSON.stringify({ Records: [record] });
}

function sqsRecord(body: string): SQSRecord {
  ids += 1;
  return {
    messageId: `hostile-${ids}`,
    receiptHandle: `hostile-${ids}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: lambda.stack.queues.ingest.arn,
    awsRegion: 'us-east-1',
  };
}

const invokeIngest = (records: SQSRecord[]) =>
  lambda.handlers.ingest({ Records: records }, undefined as never);

/** The codes logged about one record (its lines carry its message id). */
const codesOf = (record: SQSRecord) =>
  log.lines
    .filter((line) => line.messageId === record.messageId && typeof line.code === 'string')
    .map((line) => line.code);

async function stateKeysNow(): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const key of lambda.stack.deps.state.list('')) keys.add(key);
  return keys;
}

type Row = {
  name: string;
  body: () => Promise<string> | string;
  code: string;
  leaves: 'invalid-key' | 'nothing' | 'rejected';
};

const key = (k: string): Pick<Row, 'body'> => ({ body: () => notification({ key: k }) });
const TENANT_31 = 'a'.repeat(31);

/** Keys the layout refuses: each leaves an invalid-key record with the code. */
const KEY_ROWS: Row[] = [
  { name: 'a `..` tenant segment', ...key('../site/b1.zip'), code: 'key.bad-tenant', leaves: 'invalid-key' },
  { name: 'a `..` script segment', ...key('acme/../b1.zip'), code: 'key.bad-script', leaves: 'invalid-key' },
  {
    name: 'a `..` walk out of the layout',
    ...key('acme/site/../../b1.zip'),
    code: 'key.bad-layout',
    leaves: 'invalid-key',
  },
  { name: 'a build id of dots', ...key('acme/site/...zip'), code: 'key.bad-build', leaves: 'invalid-key' },
  {
    name: 'a Cyrillic homoglyph tenant (аcme)',
    ...key('\u0430cme/site/b1.zip'),
    code: 'key.bad-tenant',
    leaves: 'invalid-key',
  },
  {
    name: 'an NFD-decomposed tenant (cafe + combining acute)',
    ...key('cafe\u0301/site/b1.zip'),
    code: 'key.bad-tenant',
    leaves: 'invalid-key',
  },
  {
    name: 'a right-to-left override in the script',
    ...key('acme/si\u202ete/b1.zip'),
    code: 'key.bad-script',
    leaves: 'invalid-key',
  },
  {
    name: 'a zero-width space in the tenant',
    ...key('ac\u200bme/site/b1.zip'),
    code: 'key.bad-tenant',
    leaves: 'invalid-key',
  },
  {
    name: 'a zero-width joiner in the build id',
    ...key('acme/site/b\u200d1.zip'),
    code: 'key.bad-build',
    leaves: 'invalid-key',
  },
  {
    name: 'a 31-character tenant',
    ...key(`${TENANT_31}/site/b1.zip`),
    code: 'key.bad-tenant',
    leaves: 'invalid-key',
  },
  {
    name: 'a 31-character script',
    ...key(`acme/${'s'.repeat(31)}/b1.zip`),
    code: 'key.bad-script',
    leaves: 'invalid-key',
  },
  {
    name: 'a 129-character build id',
    ...key(`acme/site/${'b'.repeat(129)}.zip`),
    code: 'key.bad-build',
    leaves: 'invalid-key',
  },
  {
    name: 'a 1,000-character key',
    ...key(`acme/site/${'b'.repeat(990)}.zip`),
    code: 'key.bad-build',
    leaves: 'invalid-key',
  },
  {
    name: 'a tenant that impersonates a tag filter (a:yes,b)',
    ...key('a:yes,b/site/b1.zip'),
    code: 'key.bad-tenant',
    leaves: 'invalid-key',
  },
  {
    name: 'a tenant with a tag-filter suffix (acme:yes)',
    ...key('acme:yes/site/b1.zip'),
    code: 'key.bad-tenant',
    leaves: 'invalid-key',
  },
  {
    name: 'a literal %2F inside a segment',
    ...key('acme%2Fevil/site/b1.zip'),
    code: 'key.bad-tenant',
    leaves: 'invalid-key',
  },
  {
    name: 'an encoded NUL (%00) in the build id',
    body: () => notification({ key: 'x', rawKey: 'acme/site/b1%00.zip' }),
    code: 'key.bad-build',
    leaves: 'invalid-key',
  },
  { name: 'an upper-case tenant', ...key('ACME/site/b1.zip'), code: 'key.bad-tenant', leaves: 'invalid-key' },
  {
    name: 'a key outside the layout (two segments)',
    ...key('acme/site.zip'),
    code: 'key.bad-layout',
    leaves: 'invalid-key',
  },
];

/** Events and bodies that are not ours to act on: acknowledged with the code, nothing written. */
const EVENT_ROWS: Row[] = [
  {
    name: 'an event for a bucket we do not own',
    body: () => notification({ key: 'acme/site/b9.zip', bucket: 'someone-elses-bucket' }),
    code: 'event.unknown-bucket',
    leaves: 'nothing',
  },
  {
    name: 'an ObjectRemoved event',
    body: () => notification({ key: 'acme/site/b9.zip', eventName: 'ObjectRemoved:Delete' }),
    code: 'event.unsupported',
    leaves: 'nothing',
  },
  {
    name: 'an ObjectRestore event',
    body: () => notification({ key: 'acme/site/b9.zip', eventName: 'ObjectRestore:Completed' }),
    code: 'event.unsupported',
    leaves: 'nothing',
  },
  {
    name: 'invalid percent-encoding in the key',
    body: () => notification({ key: 'x', rawKey: 'acme/site/b%E0%A4%A.zip' }),
    code: 'key.bad-layout',
    leaves: 'nothing',
  },
  {
    name: 'a body that is not JSON',
    body: () => '{"Records": [',
    code: 'event.malformed',
    leaves: 'nothing',
  },
  { name: 'a JSON array', body: () => '[]', code: 'event.malformed', leaves: 'nothing' },
  { name: 'a JSON string', body: () => '"ObjectCreated"', code: 'event.malformed', leaves: 'nothing' },
  {
    name: 'JSON that is not an S3 event',
    body: () => '{"hello":"world"}',
    code: 'event.malformed',
    leaves: 'nothing',
  },
  {
    name: 'an SQS record where an S3 record belongs',
    body: () => '{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}',
    code: 'event.malformed',
    leaves: 'nothing',
  },
  {
    name: 'an S3 record without a key',
    body: () =>
      '{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-01-01T00:00:00Z","s3":{"bucket":{"name":"workers-drop-artifacts"},"object":{}}}]}',
    code: 'event.malformed',
    leaves: 'nothing',
  },
  {
    name: 'an oversized body (300 KiB)',
    body: () => JSON.stringify({ Records: [], pad: 'x'.repeat(300 * 1024) }),
    code: 'event.malformed',
    leaves: 'nothing',
  },
];

/** Events for objects that are gone or changed: a rejected result for the build, no Cloudflare call. */
const OBJECT_ROWS: Row[] = [
  {
    name: 'an event for a deleted object (404 on read)',
    body: async () => {
      const body = await zipFiles(SITE);
      await putArtifact(lambda.stack, 'acme/gone/b1.zip', body);
      await lambda.stack.deps.s3.send(
        new DeleteObjectCommand({ Bucket: LOCAL_ARTIFACTS_BUCKET, Key: 'acme/gone/b1.zip' }),
      );
      return notification({ key: 'acme/gone/b1.zip', eTag: md5(body) });
    },
    code: 'artifact.not-found',
    leaves: 'rejected',
  },
  {
    name: 'an event for an object overwritten since (ETag mismatch)',
    body: async () => {
      const first = await zipFiles(SITE);
      await putArtifact(lambda.stack, 'acme/changed/b1.zip', first);
      await putArtifact(
        lambda.stack,
        'acme/changed/b1.zip',
        await zipFiles({ ...SITE, 'public/x.txt': 'x' }),
      );
      return notification({ key: 'acme/changed/b1.zip', eTag: md5(first) });
    },
    code: 'artifact.changed',
    leaves: 'rejected',
  },
];

describe('hostile keys and events at ingest', () => {
  it.each([...KEY_ROWS, ...EVENT_ROWS, ...OBJECT_ROWS])('acknowledges $name with $code', async (row) => {
    const record = sqsRecord(await row.body());
    const before = await stateKeysNow();

    const response = await invokeIngest([record]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(codesOf(record)).toContain(row.code);
    const added = [...(await stateKeysNow())].filter((k) => !before.has(k));
    if (row.leaves === 'nothing') expect(added).toEqual([]);
    if (row.leaves === 'invalid-key') {
      expect(added).toHaveLength(1);
      expect(added[0]).toMatch(/^results\/_invalid-keys\/[0-9a-f]{64}\.json$/);
      expect((await lambda.stack.deps.state.get(added[0] ?? ''))?.value).toMatchObject({
        status: 'rejected',
        bucket: LOCAL_ARTIFACTS_BUCKET,
        error: { category: 'user-input', code: row.code },
      });
    }
    if (row.leaves === 'rejected') {
      const result = added.find((k) => k.startsWith('results/acme/'));
      expect((await lambda.stack.deps.state.get(result ?? ''))?.value).toMatchObject({
        status: 'rejected',
        error: { category: 'user-input', code: row.code },
      });
      expect(added.filter((k) => !k.startsWith('builds/') && k !== result)).toEqual([]);
    }
  });

  it('never writes state for a key in a foreign bucket, even a valid-looking one', async () => {
    const record = sqsRecord(notification({ key: 'acme/site/b1.zip', bucket: 'someone-elses-bucket' }));

    await invokeIngest([record]);

    expect(
      await lambda.stack.deps.state.get(stateKeys.claim({ tenant: 'acme', script: 'site', build: 'b1' })),
    ).toBeUndefined();
  });

  it('deploys the valid record of a batch full of hostile ones, and acknowledges every other record', async () => {
    const body = await zipFiles(SITE);
    await putArtifact(lambda.stack, 'acme/site/b1.zip', body);
    const hostile = await Promise.all(
      [...KEY_ROWS, ...EVENT_ROWS].map(async (row) => sqsRecord(await row.body())),
    );
    const valid = sqsRecord(notification({ key: 'acme/site/b1.zip', eTag: md5(body) }));
    const middle = Math.floor(hostile.length / 2);
    const batch = [...hostile.slice(0, middle), valid, ...hostile.slice(middle)];

    const response = await invokeIngest(batch);
    const result = await waitForResult(lambda.stack, 'acme/site/b1');

    expect(response).toEqual({ batchItemFailures: [] });
    expect(result).toMatchObject({ status: 'deployed', scriptName: 'acme--site' });
    const script = lambda.stack.emulator?.getScript(LOCAL_NAMESPACE, 'acme--site');
    expect(script?.assets.get('/index.html')?.content.toString()).toBe('<h1>valid</h1>');
    expect(lambda.stack.emulator?.listScripts(LOCAL_NAMESPACE)).toEqual(['acme--site']);
    for (const [index, record] of hostile.entries()) {
      expect(codesOf(record)).toContain([...KEY_ROWS, ...EVENT_ROWS][index]?.code);
    }
  });
});
