/**
 * `workers-drop deploy <zip|directory> --tenant T --script S [--build B] [--tags t1,t2] [--json]`: uploads an
 * artifact into the running local stack's bucket (what a build system does) and waits for its result
 * record. Exit 0 deployed, 1 any other outcome, 2 usage.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { putArtifact, waitForResult } from '../../infra/local/artifacts.js';
import { describeResult, newBuildId } from '../../infra/local/local-mode.js';
import { zipDirectory } from '../../infra/local/zip.js';
import { isPipelineError } from '../errors.js';
import { createOpsS3Client } from '../ops/clients.js';
import { type CommandIo, EXIT } from '../ops/command-io.js';
import { resolveStack, STACK_FILE } from '../ops/stack.js';
import { parseArtifactKey } from '../pipeline/identity.js';
import { createJsonStore } from '../state/json-store.js';

export const DEPLOY_USAGE =
  'usage: workers-drop deploy <zip or directory> --tenant T --script S [--build B] [--tags project-x,plan-y] [--timeout SECONDS] [--json]';

async function readArtifactBody(path: string): Promise<Buffer> {
  const info = await stat(path);
  return info.isDirectory() ? zipDirectory(path) : readFile(path);
}

/** Runs the command. */
export async function runDeployCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseDeployArgs>;
  try {
    parsed = parseDeployArgs(argv);
  } catch (error) {
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${DEPLOY_USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [path] = positionals;
  const build = values.build ?? newBuildId();
  if (
    path === undefined ||
    positionals.length !== 1 ||
    values.tenant === undefined ||
    values.script === undefined
  ) {
    io.stderr.write(`${DEPLOY_USAGE}\n`);
    return EXIT.usage;
  }
  try {
    parseArtifactKey(`${values.tenant}/${values.script}/${build}.zip`);
  } catch (error) {
    io.stderr.write(`${isPipelineError(error) ? error.message : String(error)}\n${DEPLOY_USAGE}\n`);
    return EXIT.usage;
  }
  const stackFile = JSON.parse(await readFile(join(io.cwd, STACK_FILE), 'utf8').catch(() => '{}')) as {
    artifactsBucket?: string;
  };
  const stack = await resolveStack({ flags: {}, env: io.env, cwd: io.cwd });
  const artifactsBucket = io.env.ARTIFACTS_BUCKET ?? stackFile.artifactsBucket;
  if (stack.s3Endpoint === undefined || artifactsBucket === undefined || stack.stateBucket === undefined) {
    io.stderr.write(
      'No running local stack found: start one with `npm start` (it writes .local/stack.json).\n',
    );
    return EXIT.usage;
  }
  const s3 = createOpsS3Client(stack);
  const target = { config: { artifactsBucket }, deps: { s3, state: createJsonStore(s3, stack.stateBucket) } };
  try {
    const body = await readArtifactBody(resolve(io.cwd, path));
    const key = `${values.tenant}/${values.script}/${build}.zip`;
    const timeoutMs = Number(values.timeout ?? '120') * 1000;
    if (values.json !== true)
      io.stderr.write(`uploaded s3://${artifactsBucket}/${key}; waiting for the result...\n`);
    await putArtifact(target, key, body, values.tags);
    const result = await waitForResult(target, `${values.tenant}/${values.script}/${build}`, timeoutMs);
    io.stdout.write(
      values.json === true ? `${JSON.stringify(result)}\n` : `${result.build}: ${describeResult(result)}\n`,
    );
    return result.status === 'deployed' ? EXIT.ok : EXIT.failedOrNotFound;
  } finally {
    s3.destroy();
  }
}

function parseDeployArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      tenant: { type: 'string' },
      script: { type: 'string' },
      build: { type: 'string' },
      tags: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
}
