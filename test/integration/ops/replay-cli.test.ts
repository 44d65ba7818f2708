import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSqs, startLocalSqs } from '../../../infra/local/sqs.js';
import { runReplayCommand } from '../../../lib/cli/replay.js';
import type { CommandIo } from '../../../lib/ops/command-io.js';
import type { QueuePair } from '../../../lib/ops/queue-pair.js';
import type { ReplaySummary } from '../../../lib/ops/replay.js';
import { countMessages, createTestPair, parkInDlq, uploadBody } from './dlq-fixtures.js';

let local: LocalSqs;
let sqs: SQSClient;
let cwd: string;

beforeAll(async () => {
  local = await startLocalSqs({ queues: [] });
  sqs = local.createClient();
  cwd = await mkdtemp(join(tmpdir(), 'workers-drop-replay-'));
});
afterAll(async () => {
  sqs.destroy();
  await local.close();
  await rm(cwd, { recursive: true, force: true });
});

/** Writes .local/stack.json the way local mode does, for the upload queue. */
async function writeStack(pair: QueuePair): Promise<void> {
  await mkdir(join(cwd, '.local'), { recursive: true });
  const { url, dlqUrl, arn, dlqArn, maxReceiveCount } = pair;
  await writeFile(
    join(cwd, '.local', 'stack.json'),
    JSON.stringify({
      sqsEndpoint: local.endpoint,
      s3Endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      queues: { upload: { url, dlqUrl, arn, dlqArn, maxReceiveCount } },
    }),
  );
}

async function replay(args: string[], options: { env?: Record<string, string>; interrupt?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    env: options.env ?? {},
    cwd,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    dlqWaitTimeSeconds: 0,
    // Ctrl-C as soon as the command listens: it must stop before moving anything.
    ...(options.interrupt === true
      ? {
          onInterrupt: (listener: () => void) => {
            listener();
            return () => undefined;
          },
        }
      : {}),
  };
  const code = await runReplayCommand(args, io);
  return { code, stdout, stderr };
}

describe('workers-drop replay', () => {
  it('lists the DLQ in a table on a dry run and moves nothing', async () => {
    const pair = await createTestPair(sqs, 'upload');
    await parkInDlq(sqs, pair, [
      uploadBody('acme', 'b1', 0),
      uploadBody('acme', 'b2', 1),
      uploadBody('globex', 'g1', 0),
    ]);
    await writeStack(pair);

    const { code, stdout } = await replay(['upload', '--dry-run']);

    expect(code).toBe(0);
    expect(stdout).toContain(`upload DLQ ${pair.dlqUrl}`);
    expect(stdout).toContain('3 messages (SQS counts 3 in the DLQ; scanned 3).');
    expect(stdout).toContain('By tenant: acme 2, globex 1');
    expect(stdout).toMatch(/^AGE +TENANT +SCRIPT +BUILD +STAGE +RECEIVES +LAST ERROR$/m);
    expect(stdout).toMatch(/^\S.* +acme +site +b2 +upload bucket 1 \(session session0001\) +\d+ +-$/m);
    expect(stdout).toContain('Last errors unknown: no state bucket configured.');
    expect(stdout).toContain('Dry run: nothing was moved.');
    expect(await countMessages(sqs, pair.dlqUrl)).toBe(3);
  });

  it('moves one tenant and prints one JSON object under --json', async () => {
    const pair = await createTestPair(sqs, 'upload');
    await parkInDlq(sqs, pair, [
      uploadBody('acme', 'b1'),
      uploadBody('globex', 'g1'),
      uploadBody('globex', 'g2'),
    ]);
    await writeStack(pair);

    const { code, stdout } = await replay(['upload', '--tenant', 'globex', '--json']);
    const summary = JSON.parse(stdout) as ReplaySummary;

    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(summary).toMatchObject({
      mode: 'receive-send-delete',
      tenant: 'globex',
      moved: 2,
      skipped: 1,
      ok: true,
    });
    expect(await countMessages(sqs, pair.url)).toBe(2);
  });

  it('stops at Ctrl-C with exit 130 and leaves the DLQ as it was', async () => {
    const pair = await createTestPair(sqs, 'upload');
    await parkInDlq(sqs, pair, [uploadBody('acme', 'b1'), uploadBody('acme', 'b2')]);
    await writeStack(pair);

    const { code, stdout, stderr } = await replay(['upload', '--tenant', 'acme'], { interrupt: true });

    expect(code).toBe(130);
    expect(stderr).toContain('Stopping after the message in flight');
    expect(stdout).toContain('Interrupted: what is not moved stays in the DLQ');
    expect(await countMessages(sqs, pair.dlqUrl)).toBe(2);
    expect(await countMessages(sqs, pair.url)).toBe(0);
  });

  it.each([
    [[], /name exactly one queue/],
    [['uploads'], /unknown queue "uploads"/],
    [['upload', '--limit', 'ten'], /--limit must be a positive integer/],
    [['upload', '--tenant', 'Acme Corp'], /--tenant "Acme Corp" is not a valid tenant id/],
    [['upload', '--force'], /Unknown option '--force'/],
  ])('exits 2 with the usage line for %j', async (args, message) => {
    const { code, stderr } = await replay(args);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: workers-drop replay <ingest|upload|finalize|teardown>');
  });

  it('exits 2 naming the variable when the queue is not configured anywhere', async () => {
    await rm(join(cwd, '.local'), { recursive: true, force: true });

    const { code, stderr } = await replay(['finalize']);

    expect(code).toBe(2);
    expect(stderr).toContain('No URL for the finalize queue: set FINALIZE_QUEUE_URL');
  });

  it('exits 3 when SQS cannot be reached', async () => {
    const { code, stderr } = await replay(['ingest', '--dry-run', '--sqs-endpoint', 'http://127.0.0.1:9'], {
      env: { INGEST_QUEUE_URL: 'http://127.0.0.1:9/123456789012/ingest' },
    });

    expect(code).toBe(3);
    expect(stderr).toMatch(/SQS GetQueueAttributes of the ingest queue failed/);
  });
});
