/** The benchmark's sizes: the full run, and the smoke run of the test suite. */
import type { BenchConfig } from './run-bench.js';

const MB = 1_000_000;

/** The full benchmark, or the smoke-sized one. */
export function benchConfig(options: {
  runs: number;
  smoke: boolean;
  peer: boolean;
  fleet: boolean;
  ingest: boolean;
  log: (line: string) => void;
}): BenchConfig {
  if (options.smoke) {
    return {
      runs: 1,
      latencies: [0],
      site: { files: 60, bytes: 0.3 * MB, seed: 7 },
      ingest: options.ingest ? [{ name: '200 files / 2 MB', bytes: 2 * MB, files: 200 }] : [],
      ...(options.fleet
        ? {
            fleet: {
              tenants: 2,
              scriptsPerTenant: 2,
              filesPerBuild: 10,
              bytesPerBuild: 40_000,
              seed: 100,
              runs: 1,
            },
          }
        : {}),
      peer: options.peer,
      log: options.log,
    };
  }
  return {
    runs: options.runs,
    latencies: [0, 50, 250],
    site: { files: 5_000, bytes: 100 * MB, seed: 1 },
    // 19,998 assets + wrangler.jsonc + the main module = 20,000 files, the Free plan's (and MAX_FILES') limit.
    smallFiles: { files: 19_998, bytes: 40 * MB, seed: 2 },
    ingest: options.ingest
      ? [
          { name: '1 GB / 20,000 files', bytes: 1024 * 1024 * 1024, files: 20_000 },
          { name: '20,000 small files / 40 MB', bytes: 40 * MB, files: 20_000 },
        ]
      : [],
    ...(options.fleet
      ? {
          fleet: {
            tenants: 20,
            scriptsPerTenant: 10,
            filesPerBuild: 40,
            bytesPerBuild: 400_000,
            seed: 100,
            runs: options.runs,
          },
        }
      : {}),
    peer: options.peer,
    log: options.log,
  };
}
