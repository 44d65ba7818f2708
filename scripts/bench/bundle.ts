/**
 * Bundles the measured children before a run. The in-process child is bundled like serverless.yml
 * bundles the Lambda functions (ESM, minified, tree-shaken, the AWS SDK included, `module` before `main`,
 * a linked source map without sources) and runs with the functions' Node flags ({@link LAMBDA_NODE_FLAGS})
 * and process variables ({@link LAMBDA_PROCESS_ENV}), so its memory is that of the deployed code rather
 * than of a TypeScript loader. The local-mode child leaves packages external (s3rver and local SQS are not
 * bundleable and never deployed). The ingest benchmark's child is bundled like a function too.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Inside node_modules so the external packages of the local child resolve from the repository. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'workers-drop-bench');

const BANNER =
  "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);";

/** The Node flags serverless.yml gives the functions (`NODE_OPTIONS`): source maps cost ~2 MiB of RSS. */
export const LAMBDA_NODE_FLAGS = ['--enable-source-maps'];

/**
 * The process-level variables serverless.yml gives the functions that change how the process itself runs
 * (glibc reads `MALLOC_ARENA_MAX` at start): the function-like children get them too.
 */
export const LAMBDA_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/** Paths of the bundled children. */
export interface BenchBundles {
  inProcess: string;
  local: string;
  /** scripts/bench-ingest.ts, bundled like a function (its `--ingest` child mode is what is measured). */
  ingest: string;
  /** Removes this run's bundles. */
  remove(): Promise<void>;
}

/** Builds the children into a directory of this run (a concurrent run never overwrites them). */
export async function bundleChildren(): Promise<BenchBundles> {
  await mkdir(OUT_DIR, { recursive: true });
  const dir = await mkdtemp(join(OUT_DIR, 'run-'));
  const common = {
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: 'node20',
    logLevel: 'error' as const,
    banner: { js: BANNER },
  };
  const inProcess = join(dir, 'inprocess-child.mjs');
  const local = join(dir, 'local-child.mjs');
  const ingest = join(dir, 'bench-ingest.mjs');
  const lambdaLike = {
    minify: true,
    keepNames: true,
    treeShaking: true,
    mainFields: ['module', 'main'],
    sourcemap: 'linked' as const,
    sourcesContent: false,
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(ROOT, 'scripts', 'bench', 'inprocess-child.ts')],
      outfile: inProcess,
      ...lambdaLike,
    }),
    build({
      ...common,
      entryPoints: [join(ROOT, 'scripts', 'bench-ingest.ts')],
      outfile: ingest,
      ...lambdaLike,
    }),
    build({
      ...common,
      entryPoints: [join(ROOT, 'scripts', 'bench', 'local-child.ts')],
      outfile: local,
      packages: 'external',
    }),
  ]);
  return { inProcess, local, ingest, remove: () => rm(dir, { recursive: true, force: true }) };
}
