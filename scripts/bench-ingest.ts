/**
 * `npm run bench:ingest`: generates a large artifact (default 1 GiB, 20,000 files, fixed seed) in a temp
 * directory, then measures side by side the floor `unzip -p archive | sha256sum` and our reader
 * (`readArtifact` over a file source, in a child process so its peak RSS is its own). Prints MB/s of
 * archive bytes, the ratio to the floor, and peak RSS; exits 1 when the ratio is under 0.8 or the peak
 * RSS over 256 MiB. Options: --size-mb N, --files N, --seed N, --runs N, --keep.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { peakRssKiB } from './bench/child-report.js';
import { generateBenchArchive } from './bench-ingest-archive.js';

const RATIO_FLOOR = 0.8;
const RSS_BUDGET_MIB = 256;
const MiB = 1024 * 1024;

interface IngestReport {
  ms: number;
  maxRssKiB: number;
  bytesRead: number;
  files: number;
  assets: number;
  uncompressed: number;
}

/** Child mode: ingest `archive` once and print one JSON report. */
async function ingestOnce(archive: string, files: number): Promise<void> {
  const { openFileSource } = await import('../lib/artifacts/sources/file-source.js');
  const { readArtifact } = await import('../lib/artifacts/read-artifact.js');
  const { wantsHashThread } = await import('../lib/config.js');
  const source = await openFileSource(archive);
  const started = performance.now();
  try {
    const artifact = await readArtifact(source, {
      tenant: 'bench',
      // As the ingest function would on this machine (INGEST_HASH_THREAD, auto by default).
      hashThread: wantsHashThread(process.env),
      limits: { maxFiles: Math.max(files, 1), maxTotalBytes: 64 * 1024 * MiB },
    });
    const report: IngestReport = {
      ms: performance.now() - started,
      // VmHWM, not ru_maxrss: Linux carries the parent's high-water mark into a child across fork + exec.
      maxRssKiB: peakRssKiB(),
      bytesRead: source.bytesRead,
      files: artifact.entries.length,
      assets: artifact.assets.length,
      uncompressed: artifact.stats.totalUncompressed,
    };
    console.log(JSON.stringify(report));
  } finally {
    await source.close();
  }
}

const run = (command: string, args: string[]): Promise<{ ms: number; stdout: string }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ ms: performance.now() - started, stdout });
      else reject(new Error(`${command} exited with ${code}`));
    });
  });

async function measureFloor(archive: string): Promise<number> {
  const { ms } = await run('sh', ['-c', 'unzip -p "$1" | sha256sum > /dev/null', 'sh', archive]);
  return ms;
}

async function measureOurs(archive: string, files: number): Promise<IngestReport> {
  const { stdout } = await run(process.execPath, [
    '--import',
    'tsx',
    new URL(import.meta.url).pathname,
    '--ingest',
    archive,
    '--files',
    String(files),
  ]);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as IngestReport;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'size-mb': { type: 'string', default: '1024' },
      files: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '1' },
      runs: { type: 'string', default: '2' },
      ingest: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const files = Number(values.files);
  if (values.ingest !== undefined) {
    await ingestOnce(values.ingest, files);
    return 0;
  }
  if (spawnSync('unzip', ['-v']).status !== 0) throw new Error('unzip is needed for the floor measurement');
  const dir = await mkdtemp(join(tmpdir(), 'workers-drop-bench-'));
  try {
    const archive = join(dir, 'bench.zip');
    const generated = performance.now();
    const summary = await generateBenchArchive(archive, {
      bytes: Number(values['size-mb']) * MiB,
      files,
      seed: Number(values.seed),
    });
    const size = (await stat(archive)).size;
    console.log(
      `generated ${files} files, ${(size / MiB).toFixed(0)} MiB archive, ${(summary.uncompressed / MiB).toFixed(0)} MiB ` +
        `uncompressed in ${((performance.now() - generated) / 1000).toFixed(1)} s`,
    );
    await run('sh', ['-c', 'cat "$1" > /dev/null', 'sh', archive]); // warm the page cache for both
    let floorMs = Number.POSITIVE_INFINITY;
    let best: IngestReport | undefined;
    let peakKiB = 0;
    for (let i = 0; i < Number(values.runs); i += 1) {
      floorMs = Math.min(floorMs, await measureFloor(archive));
      const ours = await measureOurs(archive, files);
      peakKiB = Math.max(peakKiB, ours.maxRssKiB);
      if (best === undefined || ours.ms < best.ms) best = ours;
    }
    if (best === undefined) throw new Error('no run');
    const mbps = (ms: number) => size / MiB / (ms / 1000);
    const ratio = mbps(best.ms) / mbps(floorMs);
    const peakMiB = peakKiB / 1024;
    console.table({
      'floor: unzip -p | sha256sum': {
        'MB/s (archive)': mbps(floorMs).toFixed(0),
        seconds: (floorMs / 1000).toFixed(2),
      },
      'workers-drop readArtifact': {
        'MB/s (archive)': mbps(best.ms).toFixed(0),
        seconds: (best.ms / 1000).toFixed(2),
      },
    });
    console.log(
      `ratio ${ratio.toFixed(2)} (need >= ${RATIO_FLOOR}); peak RSS ${peakMiB.toFixed(0)} MiB (budget ${RSS_BUDGET_MIB}); ` +
        `read ${(best.bytesRead / size).toFixed(3)}x the archive; ${best.files} files, ${best.assets} assets`,
    );
    return ratio >= RATIO_FLOOR && peakMiB <= RSS_BUDGET_MIB ? 0 : 1;
  } finally {
    if (values.keep) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
