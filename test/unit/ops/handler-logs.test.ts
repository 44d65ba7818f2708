import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import {
  createFinalizeHandler,
  createIngestHandler,
  createUploadHandler,
  type StageHandlerDeps,
} from '../../../lib/handlers/stage-handlers.js';
import { createTeardownHandler } from '../../../lib/handlers/teardown-handler.js';
import { createLogger } from '../../../lib/log.js';
import { createMetrics } from '../../../lib/metrics.js';
import type { ObjectEvent } from '../../../lib/pipeline/s3-events.js';
import { containsSecret, registerSecret } from '../../../lib/redact.js';
import { FakeCloudflare } from '../../helpers/fake-cloudflare.js';
import { createMemoryStore } from '../../helpers/memory-store.js';
import { createHarness, type Harness, TEST_ENV } from '../../helpers/pipeline-harness.js';

/** Keys every log line must carry (Powertools names the request id `function_request_id`). */
const REQUIRED_KEYS = ['level', 'message', 'timestamp', 'service', 'function', 'function_request_id'];
const CORRELATION_KEYS = ['tenant', 'script', 'build'];

let written: string[] = [];
let spies: MockInstance[] = [];
beforeEach(() => {
  written = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
});
afterEach(() => {
  for (const spy of spies) spy.mockRestore();
});

let invocations = 0;
function lambdaContext(functionName: string): Context {
  invocations += 1;
  return {
    awsRequestId: `req-${functionName}-${invocations}`,
    functionName: `workers-drop-dev-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:workers-drop-dev-${functionName}`,
    memoryLimitInMB: '512',
    logGroupName: 'group',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
  } as Context;
}

const record = (body: string, id: string): SQSRecord => ({
  messageId: id,
  receiptHandle: `rh-${id}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1795300000000',
    SenderId: 'sender',
    ApproximateFirstReceiveTimestamp: '1795300000000',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:queue',
  awsRegion: 'us-east-1',
});

const sqsEvent = (bodies: unknown[]): SQSEvent => ({
  Records: bodies.map((body, index) =>
    record(typeof body === 'string' ? body : JSON.stringify(body), `msg-${index}`),
  ),
});

const notification = (event: ObjectEvent) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: event.eventTime,
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: event.bucket }, object: { key: event.key, size: event.size, eTag: event.etag } },
    },
  ],
});

/** Stage dependencies with the production logger and metrics of one function. */
const depsOf = (harness: Harness, functionName: string): StageHandlerDeps => ({
  ...harness.deps,
  log: createLogger({ service: 'workers-drop', functionName }),
  metrics: createMetrics({ namespace: 'WorkersDrop', service: 'workers-drop', functionName }),
});

const logLinesWritten = () =>
  written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => !('_aws' in line));

/** Runs one build through the three handlers, with one transient Cloudflare failure on the way. */
async function runBuildThroughHandlers(): Promise<void> {
  const harness = createHarness();
  registerSecret(TEST_ENV.CLOUDFLARE_API_TOKEN);
  const ingest = createIngestHandler(depsOf(harness, 'ingest'));
  const upload = createUploadHandler(depsOf(harness, 'upload'));
  const finalize = createFinalizeHandler(depsOf(harness, 'finalize'));
  const event = harness.upload('acme/site/b1.zip', {
    'worker.js': 'export default { fetch: (r, env) => env.ASSETS.fetch(r) }',
    'public/index.html': '<h1>hello</h1>',
    'public/style.css': 'h1 { color: red }',
    'public/notes.txt': 'notes',
  });
  await ingest(sqsEvent([notification(event)]), lambdaContext('ingest'));
  harness.cf.failNext = 1;
  const uploads = harness.queues.upload.splice(0);
  const failed = await upload(sqsEvent(uploads.slice(0, 1)), lambdaContext('upload'));
  expect(failed.batchItemFailures).toHaveLength(1);
  await upload(sqsEvent(uploads), lambdaContext('upload'));
  await finalize(sqsEvent(harness.queues.finalize.splice(0)), lambdaContext('finalize'));
  expect(harness.store.read('results/acme/site/b1.json')).toMatchObject({ status: 'deployed' });
}

describe('handler logs (Powertools Logger on stdout)', () => {
  it('writes only JSON lines; every log line has level, message, service, function, request id and the build keys, and no token', async () => {
    await runBuildThroughHandlers();

    const lines = written
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const logLines = parsed.filter((line) => !('_aws' in line));
    expect(logLines.length).toBeGreaterThanOrEqual(6);
    for (const line of logLines) {
      for (const key of [...REQUIRED_KEYS, ...CORRELATION_KEYS]) {
        expect(line, `${key} in ${JSON.stringify(line)}`).toHaveProperty(key);
      }
      expect(line.function_request_id).toMatch(new RegExp(`^req-${String(line.function)}-\\d+$`));
    }
    expect(logLines.map((line) => line.message)).toEqual(
      expect.arrayContaining([
        'build ingested',
        expect.stringMatching(/^record failed, SQS will redeliver it/),
        'upload finished',
        'build result recorded',
        'finalize finished',
      ]),
    );
    for (const line of lines) expect(containsSecret(line), line).toBe(false);
  });

  it('writes the tenant, function and request id on every line of a teardown', async () => {
    const harness = createHarness();
    const cf = new FakeCloudflare();
    await cf.deployScript('ns', 'acme--site', { modules: [], metadata: { tags: ['tenant-acme'] } });
    const teardown = createTeardownHandler({
      ...harness.deps,
      cloudflare: cf,
      purge: async (_bucket, prefix) => createMemoryStore().deletePrefix(prefix),
      log: createLogger({ service: 'workers-drop', functionName: 'teardown' }),
      metrics: createMetrics({ namespace: 'WorkersDrop', service: 'workers-drop', functionName: 'teardown' }),
    });

    await teardown(sqsEvent([{ type: 'tenant.closed', tenant: 'acme' }]), lambdaContext('teardown'));

    const lines = logLinesWritten();
    expect(lines.map((line) => line.message)).toContain('teardown finished');
    for (const line of lines) {
      expect(line).toMatchObject({ tenant: 'acme', function: 'teardown', service: 'workers-drop' });
      expect(line.function_request_id).toMatch(/^req-teardown-\d+$/);
    }
  });
});
