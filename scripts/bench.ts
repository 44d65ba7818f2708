/**
 * `npm run bench`: workers-drop against wrangler and against the ingest floor, as one table of medians
 * (with min and max) of at least 5 runs. Workloads are generated at run time with fixed seeds: 5,000 mixed
 * files / 100 MB (end to end at +0, +50 and +250 ms per Cloudflare request, in-process and through local
 * mode, and the peer), 20,000 small files, 1 GB with 20,000 files (ingest), and 200 builds across 20
 * tenants (the fleet). See README "Benchmarks" for what each figure includes.
 *
 * Options: --runs N (default 5), --json (the raw results and rows as JSON), --no-peer, --smoke (tiny
 * sizes, one run: what the test suite runs), --skip-fleet, --skip-ingest, --out FILE (also write the JSON).
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { benchConfig } from './bench/config.js';
import { buildRows, formatTable } from './bench/report.js';
import { runBench } from './bench/run-bench.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      'no-peer': { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      'skip-fleet': { type: 'boolean', default: false },
      'skip-ingest': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  const started = Date.now();
  const config = benchConfig({
    runs,
    smoke: values.smoke,
    peer: !values['no-peer'],
    fleet: !values['skip-fleet'],
    ingest: !values['skip-ingest'],
    log: (line) => console.error(line),
  });
  const results = await runBench(config);
  const rows = buildRows(results);
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    minutes: (Date.now() - started) / 60_000,
  };
  if (values.out !== undefined)
    await writeFile(values.out, JSON.stringify({ machine, rows, results }, null, 2));
  if (values.json) {
    console.log(JSON.stringify({ machine, rows, results }, null, 2));
    return;
  }
  console.log(
    `workers-drop benchmark: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
      `wrangler ${results.wrangler ?? 'not measured'}; ${config.runs} runs per figure; ${machine.minutes.toFixed(1)} min`,
  );
  console.log(formatTable(rows));
}

await main();
