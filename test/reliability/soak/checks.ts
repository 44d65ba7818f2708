/** The soak's invariants, each a named check with the evidence when it fails. */
import type { EmulatedScript } from '../../../infra/local/cloudflare/index.js';
import type { RecordingMetrics } from '../../../lib/metrics.js';
import type { QueueName } from '../../../lib/pipeline/ports.js';
import type { ResultRecord } from '../../../lib/pipeline/records.js';
import type { RawLine } from '../helpers/capture.js';
import { diffWorker, type WorkerObservations } from './observe.js';
import { type SoakBuild, scriptOf } from './workload.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * The most Cloudflare requests the stack can have in flight. Each stage's mapping runs at most
 * `maximumConcurrency` invocations, each a separate instance with its own client whose semaphore allows
 * `CLOUDFLARE_MAX_CONCURRENCY` requests: that product, summed over the stages, is the hard bound. Every
 * stage awaits each Cloudflare call before the next, so one invocation has one request in flight and the
 * tighter bound is the sum of the mapping concurrencies.
 */
export function concurrencyCap(concurrency: Record<QueueName, number>, clientConcurrency: number) {
  const stages = Object.entries(concurrency) as Array<[QueueName, number]>;
  const terms = stages.map(([stage, count]) => `${stage} ${count}`);
  return {
    bound: stages.reduce((sum, [, count]) => sum + count * clientConcurrency, 0),
    sequential: stages.reduce((sum, [, count]) => sum + count, 0),
    formula: `(${terms.join(' + ')}) x CLOUDFLARE_MAX_CONCURRENCY ${clientConcurrency}`,
  };
}

export interface CheckInput {
  builds: SoakBuild[];
  results: Map<string, ResultRecord>;
  readScript: (name: string) => EmulatedScript | undefined;
  observations: WorkerObservations;
  recordedLines: RawLine[];
  metrics: RecordingMetrics;
  maxInFlight: number;
  cap: ReturnType<typeof concurrencyCap>;
  secrets: {
    rawLogs: boolean;
    emittedLogs: boolean;
    state: boolean;
    messages: boolean;
    sealedTokensSeen: number;
  };
  queuesAtEnd: Record<QueueName, number>;
  dlqsAtEnd: Record<QueueName, number>;
}

const check = (name: string, problems: string[], detail = ''): Check => ({
  name,
  ok: problems.length === 0,
  detail: problems.length === 0 ? detail : problems.slice(0, 10).join('; '),
});

function checkRecords(input: CheckInput): Check {
  const problems: string[] = [];
  const recorded = new Map<string, number>();
  for (const line of input.recordedLines) {
    if (line.message !== 'build result recorded') continue;
    const { tenant, script, build } = line.fields;
    const key = `${String(tenant)}/${String(script)}/${String(build)}.zip`;
    recorded.set(key, (recorded.get(key) ?? 0) + 1);
  }
  for (const build of input.builds) {
    if (!input.results.has(build.key)) problems.push(`${build.key}: no result`);
    const writes = recorded.get(build.key) ?? 0;
    if (writes !== 1) problems.push(`${build.key}: ${writes} result writes`);
  }
  const counted = ['BuildsDeployed', 'BuildsSuperseded', 'BuildsRejected', 'BuildsFailed'].reduce(
    (sum, name) => sum + input.metrics.total(name),
    0,
  );
  if (counted !== input.builds.length) problems.push(`result metrics count ${counted} builds`);
  return check(
    'every build has exactly one terminal result record',
    problems,
    `${input.results.size} records`,
  );
}

function newestPerScript(builds: SoakBuild[]): Map<string, SoakBuild> {
  const newest = new Map<string, SoakBuild>();
  for (const build of builds) {
    const current = newest.get(scriptOf(build));
    if (current === undefined || build.sequence > current.sequence) newest.set(scriptOf(build), build);
  }
  return newest;
}

function checkContent(input: CheckInput): Check {
  const problems = [...input.observations.mismatches];
  for (const build of newestPerScript(input.builds).values()) {
    const status = input.results.get(build.key)?.status;
    if (status !== 'deployed') problems.push(`newest ${build.key} is ${String(status)}`);
    const script = input.readScript(`${build.tenant}--${build.script}`);
    const diff = script === undefined ? 'no Worker' : diffWorker(script, build);
    if (diff !== undefined) problems.push(`${scriptOf(build)} is not ${build.build}: ${diff}`);
  }
  if (input.observations.changes === 0) problems.push('no Worker change was observed');
  return check(
    'every deployed Worker matches its artifact byte for byte; each script holds its newest build',
    problems,
    `${input.observations.changes} Worker states compared`,
  );
}

function checkOrder(input: CheckInput): Check {
  const problems = [...input.observations.regressions];
  const bySequence = new Map(input.builds.map((build) => [`${scriptOf(build)}/${build.build}`, build]));
  for (const build of input.builds) {
    const record = input.results.get(build.key);
    if (record === undefined) continue;
    if (record.status !== 'deployed' && record.status !== 'superseded') {
      problems.push(`${build.key} ${record.status}: ${record.error?.code ?? ''}`);
    }
    if (record.status === 'superseded') {
      const by = bySequence.get(`${scriptOf(build)}/${record.supersededBy ?? ''}`);
      if (by === undefined || by.sequence <= build.sequence) {
        problems.push(`${build.key} superseded by ${String(record.supersededBy)}, not a newer build`);
      }
    }
  }
  return check('no older build overwrote a newer one; only older builds are superseded', problems);
}

function checkSecrets(input: CheckInput): Check {
  const { secrets } = input;
  const problems = [
    ...(secrets.rawLogs ? ['a secret was handed to the logger'] : []),
    ...(secrets.emittedLogs ? ['a secret reached a log line'] : []),
    ...(secrets.state ? ['a secret is in a state document'] : []),
    ...(secrets.messages ? ['a secret is in an SQS message body'] : []),
    ...(secrets.sealedTokensSeen === 0 ? ['no message carried a (sealed) token: nothing was checked'] : []),
  ];
  return check(
    'no token or JWT in logs, state documents or SQS messages',
    problems,
    `${secrets.sealedTokensSeen} messages carried sealed tokens`,
  );
}

/** Runs every check. */
export function checkInvariants(input: CheckInput): Check[] {
  const leftovers = (Object.entries(input.queuesAtEnd) as Array<[QueueName, number]>)
    .concat(Object.entries(input.dlqsAtEnd).map(([stage, count]) => [`${stage}-dlq` as QueueName, count]))
    .filter(([, count]) => count > 0)
    .map(([queue, count]) => `${queue}: ${count}`);
  return [
    checkRecords(input),
    checkContent(input),
    checkOrder(input),
    check(
      'no request exceeded the concurrency cap',
      input.maxInFlight > input.cap.bound ? [`${input.maxInFlight} in flight > ${input.cap.bound}`] : [],
      `max ${input.maxInFlight} in flight; cap ${input.cap.bound} = ${input.cap.formula}`,
    ),
    checkSecrets(input),
    check('every queue and DLQ is empty at the end', leftovers),
  ];
}
