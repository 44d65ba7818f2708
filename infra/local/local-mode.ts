/**
 * Local mode (`npm start`): the whole platform on this machine, the example deployed through the real
 * pipeline, and the deployed Workers served through workerd. The CLI in lib/cli/local.ts wraps this with
 * signal handling; tests call {@link startLocalMode} directly.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RecordedLine } from '../../lib/log.js';
import { type ResultRecord, stateKeys } from '../../lib/pipeline/records.js';
import { putArtifact, waitForResult } from './artifacts.js';
import { createProgressLogger, type ProgressEvent } from './progress.js';
import { type ServedScript, type SiteServer, startSiteServer } from './serve.js';
import { type LocalStack, type RemoteCloudflare, startLocalStack, writeStackFile } from './stack.js';
import { zipDirectory } from './zip.js';

export interface LocalModeOptions {
  /** Root of local state: `<dir>/data` (buckets, emulator), `<dir>/logs`, `<dir>/stack.json`. */
  dir: string;
  /** The site server's port (0 picks one). */
  port: number;
  /** Preferred stand-in ports (0 picks free ones). */
  s3Port?: number;
  sqsPort?: number;
  cloudflarePort?: number;
  /** Start from empty buckets and an empty emulator. */
  fresh?: boolean;
  /** The example site directory to deploy first; undefined skips it. */
  example?: { directory: string; tenant: string; script: string };
  remote?: RemoteCloudflare;
  /** Where human progress goes. */
  print: (line: string) => void;
}

export interface LocalModeHandle {
  stack: LocalStack;
  server: SiteServer | undefined;
  exampleResult: ResultRecord | undefined;
  /** Deploys a directory or zip as `<tenant>/<script>/<build>` and waits for its result. */
  deploy(zip: Buffer, tenant: string, script: string, build?: string): Promise<ResultRecord>;
  /** Re-reads the emulator and serves what is deployed now. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

const STAGE_WIDTH = 9;

function formatEvent(event: ProgressEvent): string {
  return `  ${event.stage.padEnd(STAGE_WIDTH)} ${event.build}  ${event.text}`;
}

/** A build id that sorts by time: `local-<yyyymmddThhmmss>-<random>`. */
export const newBuildId = (prefix = 'local'): string =>
  `${prefix}-${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')}-${randomBytes(3).toString('hex')}`;

/** Summarises a result record in one line. */
export function describeResult(result: ResultRecord): string {
  if (result.status !== 'deployed') {
    const reason =
      result.error === undefined
        ? (result.supersededBy ?? '')
        : `${result.error.code}: ${result.error.message}`;
    return `${result.status}${reason === '' ? '' : ` — ${reason}`}`;
  }
  const counts = result.counts;
  const seconds = ((result.durations?.totalMs ?? 0) / 1000).toFixed(1);
  return `deployed in ${seconds} s — ${counts?.assets ?? 0} assets (${counts?.uploaded ?? 0} uploaded, ${
    counts?.alreadyPresent ?? 0
  } already present), ${counts?.modules ?? 0} modules, tags ${(result.tags ?? []).join(', ')}`;
}

function scriptsOf(stack: LocalStack): ServedScript[] {
  const emulator = stack.emulator;
  if (emulator === undefined) return [];
  return emulator.listScripts(stack.config.cloudflare.namespace).flatMap((name) => {
    const script = emulator.getScript(stack.config.cloudflare.namespace, name);
    return script === undefined ? [] : [script];
  });
}

/** Starts the stand-ins, deploys the example, and serves the result. */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalModeHandle> {
  const dir = resolve(options.dir);
  if (options.fresh === true) await rm(join(dir, 'data'), { recursive: true, force: true });
  await mkdir(join(dir, 'logs'), { recursive: true });
  const logFile = join(dir, 'logs', 'workers-drop.log');
  let pendingRefresh: Promise<void> = Promise.resolve();
  let server: SiteServer | undefined;
  let stack: LocalStack | undefined;
  const refresh = () => {
    pendingRefresh = pendingRefresh
      .then(async () => {
        if (server !== undefined && stack !== undefined) await server.update(scriptsOf(stack));
      })
      .catch((error: unknown) => options.print(`  serve     could not reload the Workers: ${String(error)}`));
    return pendingRefresh;
  };
  const persist = (lines: RecordedLine[]) => {
    if (lines.length === 0) return;
    appendFile(logFile, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`).catch(() => undefined);
  };
  const log = createProgressLogger((event) => {
    options.print(formatEvent(event));
    if (event.stage === 'result' && event.status === 'deployed') void refresh();
  }, persist);

  stack = await startLocalStack({
    dataDir: join(dir, 'data'),
    ...(options.s3Port === undefined ? {} : { s3Port: options.s3Port }),
    ...(options.sqsPort === undefined ? {} : { sqsPort: options.sqsPort }),
    ...(options.cloudflarePort === undefined ? {} : { cloudflarePort: options.cloudflarePort }),
    ...(options.remote === undefined ? {} : { remote: options.remote }),
    overrides: { log },
  });
  const running = stack;
  await writeStackFile(dir, running);
  const describe = running.describe() as { s3Endpoint: string; sqsEndpoint: string; cloudflareUrl: string };
  options.print(
    `  S3 (s3rver)            ${describe.s3Endpoint}   buckets ${running.config.artifactsBucket}, ${running.config.stateBucket}`,
  );
  options.print(
    `  SQS (local-aws-sqs)    ${describe.sqsEndpoint}   queues ingest, upload, finalize, teardown (each with a DLQ)`,
  );
  options.print(
    options.remote === undefined
      ? `  Cloudflare emulator    ${describe.cloudflareUrl}   namespace ${running.config.cloudflare.namespace}`
      : `  Cloudflare (real API)  ${describe.cloudflareUrl}   namespace ${running.config.cloudflare.namespace}`,
  );
  options.print(`  data and logs          ${dir}`);

  if (running.emulator !== undefined) {
    server = await startSiteServer({ port: options.port, workDir: join(dir, 'served') });
    await server.update(scriptsOf(running));
  }

  const deploy = async (zip: Buffer, tenant: string, script: string, build = newBuildId()) => {
    await putArtifact(running, `${running.config.keyPrefix}${tenant}/${script}/${build}.zip`, zip);
    const result = await waitForResult(running, `${tenant}/${script}/${build}`, 120_000);
    if (result.status === 'deployed') await refresh();
    return result;
  };

  let exampleResult: ResultRecord | undefined;
  if (options.example !== undefined) {
    const { directory, tenant, script } = options.example;
    options.print(`\nDeploying the example (${directory}) as ${tenant}/${script}:`);
    exampleResult = await deploy(await zipDirectory(directory), tenant, script, newBuildId('example'));
    options.print(`  result    ${describeResult(exampleResult)}`);
    options.print(
      `  record    s3://${running.config.stateBucket}/${stateKeys.result({ tenant, script, build: exampleResult.build })}`,
    );
  }

  return {
    stack: running,
    server,
    exampleResult,
    deploy,
    refresh,
    async stop() {
      await pendingRefresh;
      await server?.close();
      await running.close();
      await rm(join(dir, 'stack.json'), { force: true });
    },
  };
}
