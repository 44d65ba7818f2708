/**
 * The fuzz loop: for a fixed time budget, generate an input, judge it with the write guard armed and the
 * memory sampler running, tally the outcome, and stop at the first finding (saved for replay). Everything
 * runs in this process; `scripts/fuzz.ts` supervises it from outside for hangs and crashes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Finding, saveFinding } from './findings.js';
import { generateInput, type Seed, type Strategy } from './inputs.js';
import { KNOWN_ISSUES, type KnownIssue, knownIssueOf } from './known-issues.js';
import { type MemoryPeaks, startMemorySampler } from './memory.js';
import { judge, type Problem, type Target } from './oracle.js';
import { diceFor } from './prng.js';
import { installWriteGuard } from './write-guard.js';

export interface FuzzOptions {
  seed: number;
  seconds: number;
  seeds: readonly Seed[];
  /** The fuzzer's own temp space: file-source inputs are written here, and it is watched for writes. */
  tempDir: string;
  firstIteration?: number;
  maxInputs?: number;
  deadlineMs: number;
  /** The process's RSS may not exceed this (the ingest function's Lambda memory, by default). */
  rssLimitMiB: number;
  /** Where findings are saved (not saved when absent). */
  findingsDir?: string;
  /** Called before each input (the supervisor's heartbeat). */
  onIteration?: (iteration: number) => void;
  /** Called about once a second with the figures so far (the supervisor keeps them if the loop dies). */
  onProgress?: (report: FuzzReport) => void;
  target?: Target;
  /** Issues counted instead of ending the run (default: the open ones, {@link KNOWN_ISSUES}). */
  knownIssues?: readonly KnownIssue[];
}

export interface FuzzReport {
  seed: number;
  firstIteration: number;
  inputs: number;
  seconds: number;
  perSecond: number;
  outcomes: Record<string, number>;
  strategies: Record<Strategy, number>;
  baselineRssMiB: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  peakExternalMiB: number;
  slowest: { ms: number; iteration: number; outcome: string; label: string };
  /** Most bytes read from the source per archive byte, over all inputs. */
  maxReadFactor: number;
  /** Problems matching a known (reported, unfixed) issue, by issue id. */
  known: Record<string, number>;
  finding?: Omit<Finding, 'bytes'> & { size: number; file?: string };
}

const CHUNKS = [1, 7, 64, 511, 4096, 65536] as const;

/** Runs the loop; resolves with the figures (and the finding, if any). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const guard = installWriteGuard([options.tempDir]);
  const memory = startMemorySampler();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const baseline = memory.sample();
  const first = options.firstIteration ?? 0;
  const report: FuzzReport = {
    seed: options.seed,
    firstIteration: first,
    inputs: 0,
    seconds: 0,
    perSecond: 0,
    outcomes: {},
    strategies: { mutate: 0, crafted: 0, havoc: 0, splice: 0 },
    baselineRssMiB: Math.round(baseline),
    peakRssMiB: 0,
    peakHeapMiB: 0,
    peakExternalMiB: 0,
    slowest: { ms: 0, iteration: -1, outcome: '', label: '' },
    maxReadFactor: 0,
    known: {},
  };
  const started = performance.now();
  const stopAt = started + options.seconds * 1000;
  const inputPath = join(options.tempDir, 'input.zip');
  let reported = started;
  try {
    for (
      let iteration = first;
      performance.now() < stopAt && report.inputs < (options.maxInputs ?? Infinity);
      iteration += 1
    ) {
      options.onIteration?.(iteration);
      if (options.onProgress !== undefined && performance.now() - reported > 1000) {
        reported = performance.now();
        options.onProgress(finish(report, started, memory.peaks));
      }
      memory.enter(iteration);
      const input = generateInput(options.seeds, options.seed, iteration);
      const dice = diceFor(options.seed ^ 0x5eed, iteration);
      const small = input.bytes.length <= 64 * 1024;
      const chunkBytes = dice.pick(small ? CHUNKS : CHUNKS.slice(4));
      const useFile = dice.chance(0.125);
      if (useFile) writeFileSync(inputPath, input.bytes);
      guard.arm();
      const verdict = await judge(input.bytes, {
        deadlineMs: options.deadlineMs,
        chunkBytes,
        ...(dice.chance(0.25) ? { compareChunkBytes: dice.pick(small ? CHUNKS : CHUNKS.slice(4)) } : {}),
        ...(useFile ? { filePath: inputPath } : {}),
        ...(options.target === undefined ? {} : { target: options.target }),
      });
      const writes = guard.disarm();
      const rss = memory.sample();
      let problem: Problem | undefined = verdict.problem;
      if (problem === undefined && writes.length > 0)
        problem = { kind: 'write', detail: writes.slice(0, 5).join('; ') };
      const peak = memory.peaks.rssIteration === iteration ? Math.max(rss, memory.peaks.rssMiB) : rss;
      if (problem === undefined && peak > options.rssLimitMiB) {
        problem = {
          kind: 'memory',
          detail: `RSS reached ${Math.round(peak)} MiB; the limit is ${options.rssLimitMiB} MiB`,
        };
      }
      if (problem === undefined && unhandled.length > 0) {
        problem = { kind: 'unhandled-rejection', detail: String(unhandled[0]).slice(0, 300) };
      }
      report.inputs += 1;
      report.outcomes[verdict.outcome] = (report.outcomes[verdict.outcome] ?? 0) + 1;
      report.strategies[input.strategy] += 1;
      report.maxReadFactor = Math.max(
        report.maxReadFactor,
        verdict.bytesRead / Math.max(1, input.bytes.length),
      );
      if (verdict.ms > report.slowest.ms) {
        report.slowest = {
          ms: Math.round(verdict.ms),
          iteration,
          outcome: verdict.outcome,
          label: input.label,
        };
      }
      const known =
        problem === undefined
          ? undefined
          : knownIssueOf(problem, input.bytes, options.knownIssues ?? KNOWN_ISSUES);
      if (known !== undefined) {
        report.known[known.id] = (report.known[known.id] ?? 0) + 1;
        unhandled.length = 0;
        continue;
      }
      if (problem !== undefined) {
        const finding: Finding = {
          seed: options.seed,
          iteration,
          label: input.label,
          problem,
          bytes: input.bytes,
        };
        const file =
          options.findingsDir === undefined ? undefined : saveFinding(options.findingsDir, finding);
        const { bytes, ...rest } = finding;
        report.finding = { ...rest, size: bytes.length, ...(file === undefined ? {} : { file }) };
        break;
      }
    }
  } finally {
    guard.uninstall();
    memory.stop();
    process.off('unhandledRejection', onUnhandled);
  }
  return finish(report, started, memory.peaks);
}

/** The report with its timing and memory figures filled in (a copy). */
function finish(report: FuzzReport, started: number, peaks: MemoryPeaks): FuzzReport {
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  return {
    ...structuredClone(report),
    seconds,
    perSecond: Math.round(report.inputs / Math.max(0.001, seconds)),
    peakRssMiB: Math.round(peaks.rssMiB),
    peakHeapMiB: Math.round(peaks.heapMiB),
    peakExternalMiB: Math.round(peaks.externalMiB),
    maxReadFactor: Math.round(report.maxReadFactor * 100) / 100,
  };
}
