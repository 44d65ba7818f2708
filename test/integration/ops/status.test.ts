import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../../infra/local/s3.js';
import { type LocalSqs, startLocalSqs } from '../../../infra/local/sqs.js';
import { runStatusCommand } from '../../../lib/cli/status.js';
import type { CommandIo } from '../../../lib/ops/command-io.js';
import type { QueuePair } from '../../../lib/ops/queue-pair.js';
import type { ScriptStatus } from '../../../lib/ops/status.js';
import { createJsonStore } from '../../../lib/state/json-store.js';
import { createTestPair, finalizeBody, parkInDlq, uploadBody } from './dlq-fixtures.js';
import { seedClaim, seedScriptHistory } from './state-fixtures.js';

let s3: LocalS3;
let sqsServer: LocalSqs;
let sqs: SQSClient;
let upload: QueuePair;
let finalize: QueuePair;
let cwd: string;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['state-bucket'] });
  sqsServer = await startLocalSqs({ queues: [] });
  sqs = sqsServer.createClient();
  upload = await createTestPair(sqs, 'upload');
  finalize = await createTestPair(sqs, 'finalize');
  const client = s3.createClient();
  await seedScriptHistory(createJsonStore(client, 'state-bucket'));
  client.destroy();
  await parkInDlq(sqs, upload, [uploadBody('acme', 'b4', 1), uploadBody('globex', 'g9', 0)]);
  await parkInDlq(sqs, finalize, [finalizeBody('acme', 'blog', 'x2')]);
  cwd = await mkdtemp(join(tmpdir(), 'workers-drop-status-'));
});
afterAll(async () => {
  sqs.destroy();
  await sqsServer.close();
  await s3.close();
  await rm(cwd, { recursive: true, force: true });
});

/** Runs the command with the stack in the environment (DLQs found through each queue's RedrivePolicy). */
async function status(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    env: {
      S3_ENDPOINT: s3.endpoint,
      SQS_ENDPOINT: sqsServer.endpoint,
      STATE_BUCKET: 'state-bucket',
      UPLOAD_QUEUE_URL: upload.url,
      FINALIZE_QUEUE_URL: finalize.url,
      ...env,
    },
    cwd,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    now: () => new Date('2026-11-22T10:30:00.000Z'),
    dlqWaitTimeSeconds: 0,
  };
  const code = await runStatusCommand(args, io);
  return { code, stdout, stderr };
}

describe('workers-drop status against local S3 and SQS', () => {
  it('shows the deployed build, recent deployed, rejected and superseded builds, the upload in flight and its DLQ message', async () => {
    const { code, stdout } = await status(['acme/site']);

    expect(code).toBe(0);
    expect(stdout).toContain('acme/site  (Cloudflare script acme--site)');
    expect(stdout).toContain(
      'Deployed build: b2, deployed 2026-11-22T10:12:00.000Z (uploaded 2026-11-22T10:02:00.000Z)',
    );
    expect(stdout).toContain('Recent builds (3 of 3, newest first)');
    expect(stdout).toMatch(/^b3 +rejected +artifact\.corrupt +2026-11-22T10:14:00\.000Z +- +- +- +- +-$/m);
    expect(stdout).toMatch(
      /^b1 +superseded +by b2 +2026-11-22T10:13:00\.000Z +420 ms +2\.3 s +810 ms +3\.5 s +4\/5$/m,
    );
    expect(stdout).toMatch(
      /^b2 +deployed +- +2026-11-22T10:12:00\.000Z +420 ms +2\.3 s +810 ms +3\.5 s +4\/5$/m,
    );
    expect(stdout).toContain('In flight (1)');
    expect(stdout).toMatch(
      /^b4 +upload +1 bucket sent +session0004 +26 min 0 s +cloudflare\.server-error \(upload\)$/m,
    );
    expect(stdout).toContain('Dead-letter queues: 1 message');
    expect(stdout).toMatch(
      /^upload +b4 +upload bucket 1 \(session session0001\) +.+ +1 +cloudflare\.server-error$/m,
    );
    expect(stdout).not.toMatch(/globex|blog|x1|g9/);
  });

  it('prints one JSON object with the same facts under --json', async () => {
    const { code, stdout } = await status(['acme/site', '--json']);
    const parsed = JSON.parse(stdout) as ScriptStatus;

    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(parsed).toMatchObject({
      found: true,
      deployed: { build: 'b2' },
      totalResults: 3,
      inFlightTotal: 1,
    });
    expect(parsed.recent.map((record) => [record.build, record.status])).toEqual([
      ['b3', 'rejected'],
      ['b1', 'superseded'],
      ['b2', 'deployed'],
    ]);
    expect(parsed.inFlight[0]).toMatchObject({
      build: 'b4',
      stage: 'upload',
      sessionId: 'session0004',
      bucketsSent: 1,
    });
    expect(parsed.dlq.messages.map((entry) => [entry.info.queue, entry.info.build])).toEqual([
      ['upload', 'b4'],
    ]);
    expect(parsed.dlq.checked).toBe(true);
  });

  it.each([
    [
      'acme/site/b3',
      [
        'Build acme/site/b3: rejected',
        'Code:       artifact.corrupt (user-input)',
        'Entry:      public/app.js',
      ],
    ],
    ['acme/site/b1', ['Build acme/site/b1: superseded', 'Superseded by: b2', 'Deployed:   no']],
    [
      'acme/site/b2',
      ['Build acme/site/b2: deployed', 'Deployed:   yes, the current build', '4 uploaded, 5 already present'],
    ],
    [
      'acme/site/b4',
      [
        'Build acme/site/b4: in flight (upload)',
        'Stage:      upload: 1 of 3 buckets sent',
        'Session:    session0004 (2 sessions opened)',
        'Failed (upload): cloudflare.server-error at 2026-11-22T10:25:00.000Z',
      ],
    ],
  ])('shows build %s in detail', async (target, expected) => {
    const { code, stdout } = await status([target]);

    expect(code).toBe(0);
    for (const line of expected) expect(stdout).toContain(line);
  });

  it.each([
    ['a script nobody deployed', ['acme/nothing'], 1, /Not found/],
    ['an unknown build', ['acme/site/b9'], 1, /Build acme\/site\/b9: not found/],
  ])('exits 1 for %s', async (_, args, expected, pattern) => {
    const { code, stdout } = await status(args);

    expect(code).toBe(expected);
    expect(stdout).toMatch(pattern);
  });

  it.each([
    [['acme'], /Expected <tenant>\/<script>/],
    [['Acme/site'], /Tenant id "Acme" is not valid/],
    [['acme/site', '--bogus'], /Unknown option '--bogus'/],
    [[], /name exactly one/],
  ])('exits 2 with the usage line for %j', async (args, pattern) => {
    const { code, stderr } = await status(args);

    expect(code).toBe(2);
    expect(stderr).toMatch(pattern);
    expect(stderr).toContain('usage: workers-drop status');
  });

  it('examines at most 100 builds in flight, counts them all, and always examines the build asked about', async () => {
    const client = s3.createClient();
    const state = createJsonStore(client, 'state-bucket');
    const builds = Array.from({ length: 105 }, (_, index) => `z${String(index).padStart(3, '0')}`);
    for (let index = 0; index < builds.length; index += 15) {
      await Promise.all(
        builds
          .slice(index, index + 15)
          .map((build, offset) =>
            seedClaim(state, { tenant: 'acme', script: 'busy', build }, (index + offset) % 60),
          ),
      );
    }
    client.destroy();

    const overview = JSON.parse((await status(['acme/busy', '--json'])).stdout) as ScriptStatus;
    const last = await status(['acme/busy/z104']);

    expect(overview.inFlightTotal).toBe(105);
    expect(overview.inFlight).toHaveLength(100);
    expect(last.code).toBe(0);
    expect(last.stdout).toContain('Build acme/busy/z104: in flight');
  });

  it('reads the stack from .local/stack.json when the environment has none, and names what is missing otherwise', async () => {
    await mkdir(join(cwd, '.local'), { recursive: true });
    await writeFile(
      join(cwd, '.local', 'stack.json'),
      JSON.stringify({
        s3Endpoint: s3.endpoint,
        sqsEndpoint: sqsServer.endpoint,
        region: 'us-east-1',
        stateBucket: 'state-bucket',
        queues: {
          upload: { url: upload.url, dlqUrl: upload.dlqUrl, arn: upload.arn, dlqArn: upload.dlqArn },
        },
      }),
    );
    const empty = {
      S3_ENDPOINT: '',
      SQS_ENDPOINT: '',
      STATE_BUCKET: '',
      UPLOAD_QUEUE_URL: '',
      FINALIZE_QUEUE_URL: '',
    };

    const fromFile = await status(['acme/site', '--json'], empty);
    await rm(join(cwd, '.local'), { recursive: true });
    const missing = await status(['acme/site'], empty);

    expect(fromFile.code).toBe(0);
    expect((JSON.parse(fromFile.stdout) as ScriptStatus).dlq.messages).toHaveLength(1);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No state bucket: set STATE_BUCKET');
  });
});
