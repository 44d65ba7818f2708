/**
 * `npm run fuzz [-- --seconds N --seed S]`: fuzzes the artifact reader for a fixed time budget (default
 * 120 s). Inputs are corpus seeds (test/fixtures/fuzz-corpus) mutated structure-aware, crafted archives
 * and structure-blind havoc, each derived from (seed, iteration). Each must end in an artifact that
 * passes every check (entries read back with readEntryBuffers to the same hashes) or a PipelineError of
 * category user-input with an artifact.* code, within the deadline, under the RSS limit, writing
 * nothing. The loop runs in a child process; this process watches its heartbeat, so a synchronous hang
 * or a crash is caught too. On a finding: the input is saved to fuzz-corpus/findings/<hash>.zip, the
 * seed and mutation are printed, and the exit code is 1. Figures are printed at the end.
 *
 * Options: --seconds N, --seed S, --deadline-ms N (5000), --rss-limit-mb N (512), --findings DIR,
 * --json (print the report as JSON), --iteration I (regenerate and judge one input; --save keeps it as a
 * finding), --replay FILE (judge one file), --help.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CORPUS_DIR, FINDINGS_DIR, readZips, saveFinding } from '../test/fuzz/findings.js';
import { type FuzzReport, runFuzz } from '../test/fuzz/fuzz-loop.js';
import { generateInput } from '../test/fuzz/inputs.js';
import { knownIssueOf } from '../test/fuzz/known-issues.js';
import { judge, type Problem } from '../test/fuzz/oracle.js';
import { formatReport, mergeReports } from '../test/fuzz/report.js';
import { openHeartbeat, superviseChild } from '../test/fuzz/supervisor.js';

/**
 * The child's V8 heap limit: half the default RSS limit, as on a 512 MB Lambda. Without it V8 sizes the
 * heap by this machine's memory and lets garbage pile up, so peak RSS would measure the collector.
 */
const HEAP_LIMIT_MIB = 256;
/** Past the per-input deadline, how long a child may block its event loop before it is killed. */
const HANG_GRACE_MS = 3000;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    seed: { type: 'string' },
    'deadline-ms': { type: 'string', default: '5000' },
    'rss-limit-mb': { type: 'string', default: '512' },
    findings: { type: 'string', default: FINDINGS_DIR },
    json: { type: 'boolean', default: false },
    iteration: { type: 'string' },
    save: { type: 'boolean', default: false },
    replay: { type: 'string' },
    child: { type: 'boolean', default: false },
    'first-iteration': { type: 'string', default: '0' },
    'temp-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const USAGE = `usage: npm run fuzz -- [options]
  --seconds N        how long to fuzz (default 120)
  --seed S           the run's seed (default random; printed with every finding)
  --deadline-ms N    the most one input may take (default 5000)
  --rss-limit-mb N   the most the fuzzing process may use (default 512)
  --findings DIR     where findings are saved (default test/fixtures/fuzz-corpus/findings)
  --json             print the report as JSON
  --iteration I      regenerate input I of --seed S and judge it (--save keeps it as a finding)
  --replay FILE      judge one saved input
  -h, --help         this text`;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const integer = (name: string, value: string | undefined): number => {
  const parsed = Number(value);
  if (value === undefined || !Number.isSafeInteger(parsed) || parsed < 0)
    throw new Error(`--${name} must be a non-negative integer`);
  return parsed;
};

const seconds = Number(values.seconds);
const deadlineMs = integer('deadline-ms', values['deadline-ms']);
const rssLimitMiB = integer('rss-limit-mb', values['rss-limit-mb']);
const seed = values.seed === undefined ? randomInt(2 ** 31) : integer('seed', values.seed);
const seeds = readZips(CORPUS_DIR);
if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
if (seeds.length === 0) throw new Error(`no seed corpus in ${CORPUS_DIR} (run scripts/make-fuzz-corpus.ts)`);

/** Judges one input in this process and prints the verdict; exits 1 on a problem. */
async function judgeOne(bytes: Buffer, label: string, iteration?: number): Promise<void> {
  const verdict = await judge(bytes, { deadlineMs, chunkBytes: 4096, compareChunkBytes: 7 });
  const known = verdict.problem === undefined ? undefined : knownIssueOf(verdict.problem, bytes);
  console.log(`input: ${bytes.length} bytes: ${label}`);
  console.log(`outcome: ${verdict.outcome} in ${Math.round(verdict.ms)} ms, ${verdict.bytesRead} bytes read`);
  if (verdict.problem !== undefined) {
    console.log(`PROBLEM (${verdict.problem.kind}): ${verdict.problem.detail}`);
    if (known !== undefined) console.log(`known issue ${known.id}: ${known.summary}`);
    if (values.save && iteration !== undefined) {
      console.log(
        `saved to ${saveFinding(values.findings, { seed, iteration, label, problem: verdict.problem, bytes })}`,
      );
    }
  }
  process.exitCode = verdict.problem === undefined || known !== undefined ? 0 : 1;
}

/** Child mode: run the loop in this process and send the report to the supervisor. */
async function child(tempDir: string): Promise<void> {
  process.chdir(tempDir);
  const report = await runFuzz({
    seed,
    seconds,
    seeds,
    tempDir,
    firstIteration: integer('first-iteration', values['first-iteration']),
    deadlineMs,
    rssLimitMiB,
    findingsDir: values.findings,
    onIteration: openHeartbeat(join(tempDir, 'heartbeat')),
    onProgress: (partial) => process.send?.({ type: 'progress', report: partial }),
  });
  process.send?.({ type: 'report', report }, () => process.disconnect());
}

/** Runs children until the budget is spent or a finding; a hang or crash of a known issue continues. */
async function supervise(): Promise<void> {
  const tempDir = mkdtempSync(join(tmpdir(), 'workers-drop-fuzz-'));
  const started = performance.now();
  let total: FuzzReport | undefined;
  let next = 0;
  try {
    while (total?.finding === undefined) {
      const left = seconds - (performance.now() - started) / 1000;
      if (left <= 0.5) break;
      const run = await superviseChild({
        command: process.execPath,
        args: [
          ...process.execArgv,
          `--max-old-space-size=${HEAP_LIMIT_MIB}`,
          import.meta.filename,
          ...childArgs(left, next, tempDir),
        ],
        heartbeatPath: join(tempDir, 'heartbeat'),
        hangMs: deadlineMs + HANG_GRACE_MS,
        env: { ...process.env, TMPDIR: tempDir },
      });
      if (run.report !== undefined) {
        total = mergeReports(total, run.report);
        break;
      }
      const iteration = run.lastIteration;
      const input = generateInput(seeds, seed, iteration);
      const problem: Problem = run.hung
        ? {
            kind: 'hang',
            detail: `the process stopped responding for ${deadlineMs + HANG_GRACE_MS} ms and was killed`,
          }
        : { kind: 'crash', detail: `the process died (exit code ${run.code}, signal ${run.signal})` };
      const base =
        run.progress === undefined ? (total ?? emptyReport(next)) : mergeReports(total, run.progress);
      const known = knownIssueOf(problem, input.bytes);
      if (known !== undefined) {
        base.known[known.id] = (base.known[known.id] ?? 0) + 1;
      } else {
        const file = saveFinding(values.findings, {
          seed,
          iteration,
          label: input.label,
          problem,
          bytes: input.bytes,
        });
        base.finding = { seed, iteration, label: input.label, problem, size: input.bytes.length, file };
      }
      total = base;
      next = iteration + 1;
    }
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
  const report = total ?? emptyReport(0);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report, rssLimitMiB));
  process.exitCode = report.finding === undefined ? 0 : 1;
}

function childArgs(left: number, first: number, tempDir: string): string[] {
  return [
    '--child',
    ...['--seed', String(seed), '--seconds', left.toFixed(2), '--first-iteration', String(first)],
    ...['--deadline-ms', String(deadlineMs), '--rss-limit-mb', String(rssLimitMiB)],
    ...['--findings', values.findings, '--temp-dir', tempDir],
  ];
}

function emptyReport(firstIteration: number): FuzzReport {
  return {
    seed,
    firstIteration,
    inputs: 0,
    seconds: 0,
    perSecond: 0,
    outcomes: {},
    strategies: { mutate: 0, crafted: 0, havoc: 0, splice: 0 },
    baselineRssMiB: 0,
    peakRssMiB: 0,
    peakHeapMiB: 0,
    peakExternalMiB: 0,
    slowest: { ms: 0, iteration: -1, outcome: '', label: '' },
    maxReadFactor: 0,
    known: {},
  };
}

if (values.child) {
  if (values['temp-dir'] === undefined) throw new Error('--child needs --temp-dir');
  await child(values['temp-dir']);
} else if (values.replay !== undefined) {
  await judgeOne(readFileSync(values.replay), values.replay);
} else if (values.iteration !== undefined) {
  const iteration = integer('iteration', values.iteration);
  const input = generateInput(seeds, seed, iteration);
  await judgeOne(input.bytes, input.label, iteration);
} else {
  await supervise();
}
