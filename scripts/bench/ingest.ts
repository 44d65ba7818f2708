/**
 * Ingest throughput against the floor, reusing scripts/bench-ingest.ts: its archive generator, and its
 * child mode (`--ingest <archive>`: readArtifact over a file source, one JSON report), run here from the
 * Lambda-style bundle of that script. The floor is `unzip -p archive | sha256sum`, a single pass. Floor and
 * ours alternate, so each pair shares the machine's state; peak RSS is the child's VmHWM from /proc.
 */
import { stat } from 'node:fs/promises';
import { generateBenchArchive } from '../bench-ingest-archive.js';
import { LAMBDA_NODE_FLAGS, LAMBDA_PROCESS_ENV } from './bundle.js';
import { runMeasured } from './process-tree.js';

/** One floor/ours pair. */
export interface IngestPair {
  archiveBytes: number;
  floorMs: number;
  oursMs: number;
  /** Our throughput over the floor's (archive bytes per second). */
  ratio: number;
  peakRssKiB: number;
  bytesRead: number;
  files: number;
}

/** Writes the archive (fixed seed); returns its size. */
export async function prepareIngestArchive(
  path: string,
  options: { bytes: number; files: number; seed: number },
): Promise<number> {
  await generateBenchArchive(path, options);
  return (await stat(path)).size;
}

/** Measures the floor, then ours, once. */
export async function measureIngestPair(
  ingestBundle: string,
  archive: string,
  files: number,
): Promise<IngestPair> {
  const archiveBytes = (await stat(archive)).size;
  const floor = await runMeasured('sh', ['-c', 'unzip -p "$1" | sha256sum > /dev/null', 'sh', archive]);
  if (floor.exitCode !== 0) throw new Error(`the floor failed: ${floor.stderr}`);
  const ours = await runMeasured(
    process.execPath,
    [...LAMBDA_NODE_FLAGS, ingestBundle, '--ingest', archive, '--files', String(files)],
    {
      env: {
        ...process.env,
        ...LAMBDA_PROCESS_ENV,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  if (ours.exitCode !== 0) throw new Error(`ingest failed: ${ours.stderr.slice(-2000)}`);
  const report = JSON.parse(ours.stdout.trim().split('\n').pop() ?? '{}') as {
    ms: number;
    bytesRead: number;
    files: number;
  };
  return {
    archiveBytes,
    floorMs: floor.wallMs,
    oursMs: report.ms,
    ratio: floor.wallMs / report.ms,
    peakRssKiB: ours.peakProcessHwmKiB,
    bytesRead: report.bytesRead,
    files: report.files,
  };
}
