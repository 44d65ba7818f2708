import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStackFile, requireQueue, requireStateBucket, resolveStack } from '../../../lib/ops/stack.js';

const FILE = {
  s3Endpoint: 'http://127.0.0.1:9000',
  sqsEndpoint: 'http://127.0.0.1:9324',
  cloudflareUrl: 'http://127.0.0.1:8787',
  region: 'eu-west-1',
  artifactsBucket: 'artifacts',
  stateBucket: 'state-from-file',
  queues: {
    ingest: {
      url: 'http://127.0.0.1:9324/1/ingest',
      dlqUrl: 'http://127.0.0.1:9324/1/ingest-dlq',
      arn: 'arn:aws:sqs:eu-west-1:1:ingest',
      dlqArn: 'arn:aws:sqs:eu-west-1:1:ingest-dlq',
      maxReceiveCount: 5,
    },
    upload: { url: 'http://127.0.0.1:9324/1/upload', dlqUrl: 'http://127.0.0.1:9324/1/upload-dlq' },
  },
};

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'workers-drop-stack-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function writeStack(value: unknown): Promise<void> {
  await mkdir(join(cwd, '.local'), { recursive: true });
  await writeFile(
    join(cwd, '.local', 'stack.json'),
    typeof value === 'string' ? value : JSON.stringify(value),
  );
}

describe('resolveStack', () => {
  it('reads every field from .local/stack.json when flags and environment are silent', async () => {
    await writeStack(FILE);

    const stack = await resolveStack({ flags: {}, env: {}, cwd });

    expect(stack).toEqual({
      region: 'eu-west-1',
      sqsEndpoint: 'http://127.0.0.1:9324',
      s3Endpoint: 'http://127.0.0.1:9000',
      stateBucket: 'state-from-file',
      queues: FILE.queues,
      stackFile: join(cwd, '.local', 'stack.json'),
      endpointFromFile: true,
    });
  });

  it('prefers flags over the environment over the file, and an environment queue replaces the whole file entry', async () => {
    await writeStack(FILE);

    const stack = await resolveStack({
      flags: { sqsEndpoint: 'http://127.0.0.1:1111/', region: 'us-west-2' },
      env: {
        SQS_ENDPOINT: 'http://127.0.0.1:2222',
        S3_ENDPOINT: 'http://127.0.0.1:3333',
        AWS_REGION: 'ap-south-1',
        STATE_BUCKET: 'state-from-env',
        INGEST_QUEUE_URL: 'https://sqs.us-west-2.amazonaws.com/1/svc-prod-ingest',
      },
      cwd,
    });

    expect(stack).toMatchObject({
      region: 'us-west-2',
      sqsEndpoint: 'http://127.0.0.1:1111',
      s3Endpoint: 'http://127.0.0.1:3333',
      stateBucket: 'state-from-env',
    });
    // The file's DLQ belongs to the file's queue, so it must not be paired with the environment's queue.
    expect(stack.queues.ingest).toEqual({ url: 'https://sqs.us-west-2.amazonaws.com/1/svc-prod-ingest' });
    expect(stack.queues.upload).toEqual(FILE.queues.upload);
  });

  it('works from the environment alone, with no stack file', async () => {
    const stack = await resolveStack({
      flags: {},
      env: {
        AWS_DEFAULT_REGION: 'eu-central-1',
        UPLOAD_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/1/up',
      },
      cwd,
    });

    expect(stack).toEqual({
      region: 'eu-central-1',
      sqsEndpoint: undefined,
      s3Endpoint: undefined,
      stateBucket: undefined,
      queues: { upload: { url: 'https://sqs.eu-central-1.amazonaws.com/1/up' } },
      stackFile: undefined,
      endpointFromFile: false,
    });
  });

  it.each([
    ['not JSON', '{"region":', /stack\.json is not valid JSON/],
    ['an array', '[]', /must hold a JSON object/],
    [
      'a queue without url',
      { queues: { upload: { dlqUrl: 'http://x/q' } } },
      /queues\.upload: "url" is required/,
    ],
    ['a bad endpoint', { sqsEndpoint: 'ftp://x' }, /sqsEndpoint must be an http\(s\) URL/],
    ['a numeric bucket', { stateBucket: 7 }, /"stateBucket" must be a non-empty string/],
    [
      'a bad maxReceiveCount',
      { queues: { ingest: { url: 'http://x/q', maxReceiveCount: 0 } } },
      /maxReceiveCount/,
    ],
    ['queues as a list', { queues: [] }, /"queues" must be an object/],
  ])('rejects a stack file with %s, naming the file and the field', async (_, content, message) => {
    await writeStack(content);

    await expect(resolveStack({ flags: {}, env: {}, cwd })).rejects.toMatchObject({
      code: 'config.invalid',
      message: expect.stringMatching(message),
    });
  });

  it.each([
    [{ flags: { s3Endpoint: 'not a url' }, env: {} }, /--s3-endpoint must be an http\(s\) URL/],
    [{ flags: {}, env: { FINALIZE_QUEUE_URL: 'finalize' } }, /FINALIZE_QUEUE_URL must be an http\(s\) URL/],
  ])('rejects malformed flags and variables by name (%#)', async (input, message) => {
    await expect(resolveStack({ ...input, cwd })).rejects.toThrow(message);
  });

  it('names the variable that would supply a missing queue or state bucket', async () => {
    const stack = await resolveStack({ flags: {}, env: {}, cwd });

    expect(() => requireQueue(stack, 'teardown')).toThrow(
      /No URL for the teardown queue: set TEARDOWN_QUEUE_URL/,
    );
    expect(() => requireStateBucket(stack)).toThrow(/No state bucket: set STATE_BUCKET/);
  });

  it('parses a stack file without queues', () => {
    expect(parseStackFile('{"stateBucket":"s"}', 'x.json')).toMatchObject({ stateBucket: 's', queues: {} });
  });
});
