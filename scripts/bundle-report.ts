/**
 * Bundle budget report (README "Deploy to AWS"): packages the stack offline (infra/package-stack.ts), then
 * prints each function's bundle size and cold-import time. Cold import = a fresh `node` importing the
 * bundled module, top-level await included (the handlers build their clients there), measured inside the
 * process from just before `import()` to its resolution, median of several runs. The same is measured with
 * `--enable-source-maps` (what the stack sets) and for a build that leaves the AWS SDK external (what
 * relying on the runtime's SDK would cost).
 *
 * The handlers read their configuration at import: the report sets every variable readConfig needs, and
 * CLOUDFLARE_API_TOKEN instead of the SSM parameter (readConfig refuses that only when
 * AWS_LAMBDA_FUNCTION_NAME is set, which the report never sets), so no call leaves the machine.
 *
 * Usage: npm run bundle:report [-- --runs 7] [-- --no-compare] [-- --strict]
 * Exit code 1 when a bundle is over budget (and, with --strict, when an import is over budget).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import unzipper from 'unzipper';
import { BUNDLE_BUDGET, packageStack, SERVICE_DIR } from '../infra/package-stack.js';
import { STAGE_NAMES } from '../infra/queues.js';

const MAX_BUNDLE_BYTES = BUNDLE_BUDGET.bytes;
const MAX_IMPORT_MS = BUNDLE_BUDGET.importMs;
const IMPORT_TIMEOUT_MS = 20_000;

const REPORT_ENV: Record<string, string> = {
  ARTIFACTS_BUCKET: 'report-artifacts',
  STATE_BUCKET: 'report-state',
  INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/report-ingest',
  UPLOAD_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/report-upload',
  FINALIZE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/report-finalize',
  TEARDOWN_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/report-teardown',
  CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
  DISPATCH_NAMESPACE: 'report',
  CLOUDFLARE_API_TOKEN: 'bundle-report-not-a-token',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'REPORT',
  AWS_SECRET_ACCESS_KEY: 'REPORT',
  NODE_NO_WARNINGS: '1',
};

interface Options {
  runs: number;
  compare: boolean;
  strict: boolean;
}

function parseArgs(argv: string[]): Options {
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  return { runs, compare: !argv.includes('--no-compare'), strict: argv.includes('--strict') };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};

const IMPORT_PROBE = `
const started = performance.now();
await import(process.argv[1]);
const importMs = performance.now() - started;
process.stdout.write(JSON.stringify({ importMs, rssMb: process.memoryUsage().rss / 1048576 }));
process.exit(0);
`;

/** One cold import in a fresh node process. */
function importOnce(file: string, nodeFlags: string[]): Promise<{ importMs: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...REPORT_ENV };
    const child = spawn(
      process.execPath,
      [...nodeFlags, '--input-type=module', '-e', IMPORT_PROBE, pathToFileURL(file).href],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), IMPORT_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as { importMs: number; rssMb: number });
      else reject(new Error(`importing ${file} failed (exit ${code}): ${err}`));
    });
  });
}

async function measure(file: string, runs: number, nodeFlags: string[] = []) {
  const samples: { importMs: number; rssMb: number }[] = [];
  for (let i = 0; i < runs; i += 1) samples.push(await importOnce(file, nodeFlags));
  return {
    importMs: median(samples.map((sample) => sample.importMs)),
    fastestMs: Math.min(...samples.map((sample) => sample.importMs)),
    rssMb: median(samples.map((sample) => sample.rssMb)),
  };
}

/** Extracts a function's bundle and map from its deployment zip. */
async function extractBundle(zipPath: string, stage: string, into: string): Promise<string> {
  const directory = await unzipper.Open.file(zipPath);
  for (const entry of directory.files) {
    const target = path.join(into, entry.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, await entry.buffer());
  }
  return path.join(into, 'functions', `${stage}.mjs`);
}

/** The same esbuild options serverless-esbuild used, with the AWS SDK (and Smithy) left external. */
async function buildSdkExternal(outDir: string, esbuildOptions: Record<string, unknown>, stage: string) {
  const { banner, format, platform, target, minify, keepNames, treeShaking, mainFields } = esbuildOptions;
  await build({
    entryPoints: [path.join(SERVICE_DIR, 'functions', `${stage}.ts`)],
    outdir: outDir,
    bundle: true,
    format: format as 'esm',
    platform: platform as 'node',
    target: target as string,
    minify: minify === true,
    keepNames: keepNames === true,
    treeShaking: treeShaking === true,
    mainFields: mainFields as string[],
    banner: banner as Record<string, string>,
    outExtension: { '.js': '.mjs' },
    external: ['@aws-sdk/*', '@smithy/*'],
    logLevel: 'error',
  });
  return path.join(outDir, `${stage}.mjs`);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const timing = (result: { importMs: number; fastestMs: number }) =>
  `${ms(result.importMs)} (${ms(result.fastestMs)})`;
const mark = (ok: boolean) => (ok ? 'ok' : 'OVER');

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const stack = await packageStack({
    params: { cloudflareAccountId: REPORT_ENV.CLOUDFLARE_ACCOUNT_ID ?? '', dispatchNamespace: 'report' },
  });
  const work = await mkdtemp(path.join(tmpdir(), 'workers-drop-bundle-report-'));
  // Inside the repository, so the external build's bare imports resolve to node_modules.
  const externalDir = path.join(SERVICE_DIR, '.bench', `bundle-report-${process.pid}`);
  let overBudget = false;
  try {
    const state = JSON.parse(await readFile(path.join(stack.outDir, 'serverless-state.json'), 'utf8')) as {
      service: { custom: { esbuild: Record<string, unknown> } };
    };
    const rows: string[] = [];
    for (const stage of STAGE_NAMES) {
      const bundle = await extractBundle(stack.artifactPath(stage), stage, path.join(work, stage));
      const bytes = (await stat(bundle)).size;
      const zipBytes = (await stat(stack.artifactPath(stage))).size;
      const plain = await measure(bundle, options.runs);
      const mapped = await measure(bundle, options.runs, ['--enable-source-maps']);
      let external = 'not measured';
      if (options.compare) {
        const file = await buildSdkExternal(externalDir, state.service.custom.esbuild, stage);
        const result = await measure(file, options.runs);
        external = `${kb((await stat(file)).size)}, ${timing(result)}`;
      }
      const sizeOk = bytes < MAX_BUNDLE_BYTES;
      const timeOk = mapped.importMs < MAX_IMPORT_MS;
      overBudget ||= !sizeOk || (options.strict && !timeOk);
      rows.push(
        `| ${stage} | ${kb(bytes)} ${mark(sizeOk)} | ${kb(zipBytes)} | ${timing(plain)} | ` +
          `${timing(mapped)} ${mark(timeOk)} | ${mapped.rssMb.toFixed(0)} MiB | ${external} |`,
      );
    }
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `Node ${process.version}, ${cpu} x${cpus().length}; cold imports: median (fastest) of ${options.runs}.`,
    );
    console.log(`Budget: bundle < ${MAX_BUNDLE_BYTES / 1_000_000} MB, import < ${MAX_IMPORT_MS} ms.\n`);
    console.log(
      '| function | bundle (.mjs) | zip | cold import | with --enable-source-maps | RSS after import | SDK external: bundle, import |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(externalDir, { recursive: true, force: true });
    await stack.dispose();
  }
  return overBudget ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
