/**
 * `npm run soak`: the full fault soak of issue 10, 300 builds across 15 tenants (4 scripts each, 5 builds
 * per script submitted in order) through local SQS with DLQs, s3rver and the Cloudflare emulator injecting
 * 10% 5xx, 5% 429 with Retry-After, 1% dropped connections, lost 201s and latency spikes past the attempt
 * timeout. Prints the invariant checks and the figures (retries, DLQ counts, time to drain); exits 1 when a
 * check fails. Options: --tenants N, --scripts N (per tenant), --builds N (per script), --seed N,
 * --timeout-s N, --max-receives N (upload/finalize maxReceiveCount; small values park messages so the
 * DLQ replay runs), --json.
 */
import { parseArgs } from 'node:util';
import { runSoak } from '../test/reliability/soak/run-soak.js';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '15' },
    scripts: { type: 'string', default: '4' },
    builds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    'timeout-s': { type: 'string', default: '900' },
    'max-receives': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const positive = (name: string, raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return value;
};

const report = await runSoak({
  tenants: positive('tenants', values.tenants),
  scriptsPerTenant: positive('scripts', values.scripts),
  buildsPerScript: positive('builds', values.builds),
  seed: positive('seed', values.seed),
  timeoutMs: positive('timeout-s', values['timeout-s']) * 1000,
  ...(values['max-receives'] === undefined
    ? {}
    : { maxReceiveCount: positive('max-receives', values['max-receives']) }),
  onProgress: (line) => {
    if (!values.json) console.error(line);
  },
});

const failed = report.checks.filter((check) => !check.ok);
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const { figures } = report;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`\n${figures.builds} builds, ${figures.tenants} tenants, ${figures.scripts} scripts`);
  for (const check of report.checks) {
    console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.detail ? ` (${check.detail})` : ''}`);
  }
  console.log(`results: ${JSON.stringify(figures.results)}`);
  console.log(
    `time to drain: ${seconds(figures.timings.drainMs)}; DLQ replay: ${seconds(figures.timings.replayMs)}; total: ${seconds(figures.timings.totalMs)}`,
  );
  console.log(
    `DLQs before replay: ${JSON.stringify(figures.dlq.beforeReplay)}; replayed: ${JSON.stringify(figures.dlq.replayed)} in ${figures.dlq.rounds} rounds`,
  );
  console.log(`client retries: ${figures.retries.client} ${JSON.stringify(figures.retries.clientByStatus)}`);
  console.log(
    `SQS redeliveries: ${figures.retries.redeliveries} ${JSON.stringify(figures.retries.redeliveriesByCode)}`,
  );
  console.log(`upload sessions re-opened: ${figures.retries.sessionsReopened}`);
  console.log(
    `emulator: ${figures.emulator.requests} requests ${JSON.stringify(figures.emulator.requestsByKind)}; faults ${JSON.stringify(figures.emulator.faults)}`,
  );
  console.log(
    `in flight: max ${figures.emulator.maxInFlight} ${JSON.stringify(figures.emulator.maxInFlightByKind)}; one request per invocation allows ${figures.emulator.cap.sequential}, the hard cap is ${figures.emulator.cap.bound} = ${figures.emulator.cap.formula}`,
  );
  console.log(
    `Worker states compared byte for byte: ${figures.workerStatesObserved}; messages sent: ${figures.messagesSent}; log lines: ${figures.logLines}`,
  );
}
process.exit(failed.length === 0 ? 0 : 1);
