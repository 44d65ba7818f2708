import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runReplayCommand } from '../../../lib/cli/replay.js';
import { runStatusCommand } from '../../../lib/cli/status.js';
import { type CommandIo, EXIT } from '../../../lib/ops/command-io.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'workers-drop-cmd-errors-'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(cwd, { recursive: true, force: true });
});

/** A loopback port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function captureIo(env: Record<string, string>): { io: CommandIo; stderr: () => string } {
  let stderr = '';
  return {
    io: {
      env,
      cwd,
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      dlqWaitTimeSeconds: 0,
    },
    stderr: () => stderr,
  };
}

/** The stack file of a local mode that has since stopped. */
async function writeStaleStack(port: number): Promise<void> {
  const endpoint = `http://127.0.0.1:${port}`;
  await mkdir(join(cwd, '.local'), { recursive: true });
  await writeFile(
    join(cwd, '.local', 'stack.json'),
    JSON.stringify({
      region: 'us-east-1',
      sqsEndpoint: endpoint,
      s3Endpoint: endpoint,
      stateBucket: 'state',
      queues: { upload: { url: `${endpoint}/000000000000/upload` } },
    }),
  );
}

const COMMANDS = [
  ['replay', (io: CommandIo) => runReplayCommand(['upload', '--dry-run'], io)],
  ['status', (io: CommandIo) => runStatusCommand(['acme/blog'], io)],
] as const;

describe('operator command failures', () => {
  it.each(COMMANDS)('%s: a stale .local/stack.json says local mode may have stopped', async (_name, run) => {
    await writeStaleStack(await deadPort());
    const { io, stderr } = captureIo({});

    expect(await run(io)).toBe(EXIT.awsError);
    expect(stderr()).toMatch(/ECONNREFUSED/);
    expect(stderr()).toContain(join(cwd, '.local', 'stack.json'));
    expect(stderr()).toMatch(/is `npm start` still running\?/);
  });

  it.each(COMMANDS)(
    '%s: no hint when the refused endpoint came from a flag or variable',
    async (_name, run) => {
      const port = await deadPort();
      await writeStaleStack(port);
      const endpoint = `http://127.0.0.1:${port}`;
      const { io, stderr } = captureIo({ SQS_ENDPOINT: endpoint, S3_ENDPOINT: endpoint });

      expect(await run(io)).toBe(EXIT.awsError);
      expect(stderr()).toMatch(/ECONNREFUSED/);
      expect(stderr()).not.toMatch(/npm start/);
    },
  );

  it.each(COMMANDS)(
    '%s: no region anywhere is a usage error (exit 2) that says where one comes from',
    async (_name, run) => {
      for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) vi.stubEnv(name, undefined);
      vi.stubEnv('AWS_CONFIG_FILE', join(cwd, 'no-config'));
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(cwd, 'no-credentials'));
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
      // AWS endpoints (no loopback override): the SDK needs a region before it sends anything.
      const { io, stderr } = captureIo({
        UPLOAD_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/upload',
        STATE_BUCKET: 'state',
      });

      expect(await run(io)).toBe(EXIT.usage);
      expect(stderr()).toMatch(/No AWS region: pass --region, set AWS_REGION/);
    },
  );
});
