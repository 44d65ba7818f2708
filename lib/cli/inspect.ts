/**
 * `workers-drop inspect <zip> [--tenant T] [--json]`: runs the ingest reader on a local zip so a build
 * system can check an artifact before uploading it, with the limits and policy the functions read from
 * the same environment variables. Exit 0 accepted, 1 rejected, 2 unusable arguments.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PassProgress } from '../artifacts/entry-pass.js';
import { readArtifact } from '../artifacts/read-artifact.js';
import { openFileSource } from '../artifacts/sources/file-source.js';
import type { Artifact, ZipSource } from '../artifacts/types.js';
import { artifactReadOptions, readArtifactRules } from '../config.js';
import { toPipelineError } from '../errors.js';
import type { CommandIo } from '../ops/command-io.js';
import { isValidTenant } from '../pipeline/identity.js';
import { formatArtifact, formatRejection } from './inspect-format.js';

export const INSPECT_USAGE = 'usage: workers-drop inspect <zip> [--tenant <tenant>] [--json]';
/** Hashes are salted per tenant; without --tenant they are computed for this one (documented). */
export const DEFAULT_INSPECT_TENANT = 'default';
/** Archives at least this big get a progress line (on a terminal). */
const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;

/**
 * Where the command writes, the directory a relative zip path is resolved against, and the environment
 * the artifact limits and policy come from (none: the defaults).
 */
export type InspectIo = Pick<CommandIo, 'stdout' | 'stderr'> & { cwd?: string; env?: CommandIo['env'] };

/** The JSON shape of an accepted artifact (locations are internal and left out). */
export function toInspectJson(artifact: Artifact) {
  return {
    ok: true as const,
    entries: artifact.entries,
    assets: artifact.assets.map(({ path, size, hash, contentType }) => ({ path, size, hash, contentType })),
    modules: artifact.modules.map(({ name, contentType, size }) => ({ name, contentType, size })),
    config: artifact.config,
  };
}

function progressReporter(io: InspectIo, source: ZipSource): ((progress: PassProgress) => void) | undefined {
  if (io.stderr.isTTY !== true || source.size < PROGRESS_MIN_BYTES) return undefined;
  let last = 0;
  return (progress) => {
    const now = Date.now();
    if (now - last < 100 && progress.entriesDone !== progress.entriesTotal) return;
    last = now;
    const percent = Math.floor((100 * progress.bytesDone) / Math.max(1, progress.bytesTotal));
    io.stderr.write(
      `\r\u001b[2Kreading ${percent}% (${progress.entriesDone}/${progress.entriesTotal} files)`,
    );
  };
}

/** Runs the command with its arguments (after `inspect`); returns the exit code. */
export async function runInspect(argv: string[], io: InspectIo): Promise<number> {
  let values: { tenant?: string | undefined; json?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${INSPECT_USAGE}\n`);
    return 2;
  }
  const [zip, ...extra] = positionals;
  const tenant = values.tenant ?? DEFAULT_INSPECT_TENANT;
  if (zip === undefined || extra.length > 0) {
    io.stderr.write(`${INSPECT_USAGE}\n`);
    return 2;
  }
  if (!isValidTenant(tenant)) {
    io.stderr.write(`--tenant ${JSON.stringify(tenant)} is not a valid tenant id.\n${INSPECT_USAGE}\n`);
    return 2;
  }
  let rules: ReturnType<typeof readArtifactRules>;
  try {
    rules = readArtifactRules(io.env ?? {});
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${INSPECT_USAGE}\n`);
    return 2;
  }
  let source: ZipSource;
  try {
    source = await openFileSource(resolve(io.cwd ?? '.', zip));
  } catch (error) {
    io.stderr.write(
      `Cannot read ${zip}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.\n${INSPECT_USAGE}\n`,
    );
    return 2;
  }
  const onProgress = values.json === true ? undefined : progressReporter(io, source);
  try {
    const artifact = await readArtifact(source, {
      tenant,
      ...artifactReadOptions(rules),
      ...(onProgress === undefined ? {} : { onProgress }),
    });
    if (onProgress !== undefined) io.stderr.write('\r\u001b[2K');
    io.stdout.write(
      values.json === true
        ? `${JSON.stringify(toInspectJson(artifact))}\n`
        : formatArtifact(zip, artifact, tenant),
    );
    return 0;
  } catch (thrown) {
    if (onProgress !== undefined) io.stderr.write('\r\u001b[2K');
    const error = toPipelineError(thrown);
    io.stdout.write(
      values.json === true
        ? `${JSON.stringify({ ok: false, error: error.toJSON() })}\n`
        : formatRejection(zip, error),
    );
    return 1;
  } finally {
    await source.close();
  }
}
