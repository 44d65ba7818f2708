/**
 * Packages the stack with `osls package`, offline: no AWS credentials reach the child process, and where
 * the kernel allows an unprivileged network namespace (`unshare -rn`) it runs with no network at all.
 * The template tests and scripts/bundle-report.ts both package through here. osls always builds in
 * `<service>/.serverless` (and deletes it first), so each run packages a private copy of the service
 * (sources + serverless.yml, node_modules linked): runs can overlap, and a developer's own
 * `npm run package` output is never touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The issue's bundle budget per function: the bundled module under 1 MB, its cold import under 150 ms. */
export const BUNDLE_BUDGET = Object.freeze({ bytes: 1_000_000, importMs: 150 });

/** The repository root (where serverless.yml is). */
export const SERVICE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A CloudFormation resource as osls writes it. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
}

/** The compiled template (`cloudformation-template-update-stack.json`). */
export interface CfnTemplate {
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** What a packaging needs from the repository (esbuild follows the imports from functions/). */
const SERVICE_FILES = ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'lib', 'infra'];

export interface PackageOptions {
  stage?: string;
  region?: string;
  /** `--param` values (serverless.yml `params`). */
  params?: Record<string, string>;
  /** Output directory; a fresh temporary one when omitted. */
  outDir?: string;
  /** The service to package (default: this repository). */
  serviceDir?: string;
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
}

export interface PackagedStack {
  outDir: string;
  template: CfnTemplate;
  /** The deployment zip of a function (`ingest`, `upload`, ...). */
  artifactPath(functionName: string): string;
  /** True when osls ran inside an empty network namespace. */
  networkIsolated: boolean;
  durationMs: number;
  /** Removes the private service copy and, unless `outDir` was given, the output. */
  dispose(): Promise<void>;
}

/** True when `unshare -rn` works here (Linux with unprivileged user namespaces). */
export function canIsolateNetwork(): boolean {
  const probe = spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore', timeout: 5000 });
  return probe.status === 0;
}

/** The environment of the packaging child: no AWS credentials, profiles or config files. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_')) env[name] = value;
  }
  const nowhere = path.join(tmpdir(), `workers-drop-no-aws-${randomUUID()}`);
  env.AWS_CONFIG_FILE = nowhere;
  env.AWS_SHARED_CREDENTIALS_FILE = nowhere;
  return env;
}

/** Copies the service into `target`, linking node_modules. */
async function copyService(source: string, target: string): Promise<void> {
  for (const entry of SERVICE_FILES) {
    await cp(path.join(source, entry), path.join(target, entry), {
      recursive: true,
      filter: (file) => !file.includes(`${path.sep}node_modules`),
    });
  }
  await symlink(path.join(source, 'node_modules'), path.join(target, 'node_modules'), 'dir');
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`osls package failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** Runs `osls package` and returns the compiled template. */
export async function packageStack(options: PackageOptions = {}): Promise<PackagedStack> {
  const source = options.serviceDir ?? SERVICE_DIR;
  const work = await mkdtemp(path.join(tmpdir(), 'workers-drop-package-'));
  const service = path.join(work, 'service');
  const outDir = options.outDir ?? path.join(work, 'out');
  const dispose = () => rm(work, { recursive: true, force: true });
  try {
    await copyService(source, service);
    return await packageCopy(service, outDir, options, dispose);
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function packageCopy(
  service: string,
  outDir: string,
  options: PackageOptions,
  dispose: () => Promise<void>,
): Promise<PackagedStack> {
  const osls = path.join(service, 'node_modules', 'osls', 'bin', 'serverless.js');
  const args = [
    osls,
    'package',
    '--stage',
    options.stage ?? 'prod',
    '--region',
    options.region ?? 'us-east-1',
    '--package',
    outDir,
    ...Object.entries(options.params ?? {}).map(([name, value]) => `--param=${name}=${value}`),
  ];
  const networkIsolated = canIsolateNetwork();
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  if (networkIsolated)
    await run('unshare', ['-rn', process.execPath, ...args], service, offlineEnv(), timeoutMs);
  else await run(process.execPath, args, service, offlineEnv(), timeoutMs);
  const durationMs = performance.now() - started;
  const template = JSON.parse(
    await readFile(path.join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as CfnTemplate;
  return {
    outDir,
    template,
    artifactPath: (functionName) => path.join(outDir, `${functionName}.zip`),
    networkIsolated,
    durationMs,
    dispose,
  };
}
