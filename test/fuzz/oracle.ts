/**
 * The fuzzer's oracle: runs one input through the reader and says whether the outcome is acceptable.
 * Acceptable is an artifact that passes every invariant and whose entries read back (readEntryBuffers)
 * to the hashes of the pass, or a PipelineError of category `user-input` with an `artifact.*` code;
 * within a deadline, reading at most a few times the archive, and the same with other stream chunking.
 */
import { type ReadArtifactOptions, readArtifact } from '../../lib/artifacts/read-artifact.js';
import { readEntryBuffers } from '../../lib/artifacts/read-entries.js';
import { openBufferSource } from '../../lib/artifacts/sources/buffer-source.js';
import { openFileSource } from '../../lib/artifacts/sources/file-source.js';
import type { Artifact, EntryLocation, ZipSource } from '../../lib/artifacts/types.js';
import { PipelineError } from '../../lib/errors.js';
import { acceptedProblem } from './accepted.js';

/** What can be wrong with an input's handling (`deadline`: slow but settled; `hang`: never settled). */
export type ProblemKind =
  | 'uncategorised-error'
  | 'deadline'
  | 'reread'
  | 'invariant'
  | 'nondeterministic'
  | 'amplification'
  | 'write'
  | 'memory'
  | 'unhandled-rejection'
  | 'hang'
  | 'crash';

export interface Problem {
  kind: ProblemKind;
  detail: string;
}

/** The outcome of one input: `ok` or the rejection code, and a problem when the outcome is not acceptable. */
export interface Verdict {
  outcome: string;
  ms: number;
  bytesRead: number;
  problem?: Problem;
}

/** The code under test; tests substitute faulty versions to prove the oracle notices. */
export interface Target {
  read(source: ZipSource, options: ReadArtifactOptions): Promise<Artifact>;
  reread(source: ZipSource, locations: readonly EntryLocation[]): Promise<Buffer[]>;
}

export const READER: Target = { read: readArtifact, reread: readEntryBuffers };

export interface JudgeOptions {
  deadlineMs: number;
  /** Chunk size of the buffer source's stream (entries then cross chunk boundaries). */
  chunkBytes: number;
  /** A second read with this chunk size must reach the same outcome. */
  compareChunkBytes?: number;
  /** Read through a file source at this path (holding the same bytes) instead of a buffer source. */
  filePath?: string;
  target?: Target;
}

export const FUZZ_TENANT = 'fuzz';
/** Reads may fetch each archive byte a few times (tail, central directory, steering files, the pass). */
const READ_FACTOR = 4;
const READ_SLACK = 128 * 1024;

type Settled = { artifact: Artifact; error?: undefined } | { artifact?: undefined; error: unknown };

const outcomeOf = (settled: Settled): string => {
  if (settled.artifact !== undefined) return 'ok';
  const { error } = settled;
  return error instanceof PipelineError ? error.code : `throw ${describe(error)}`;
};

/** A short description of anything thrown. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}

/** Races `promise` against a deadline; `undefined` means the deadline passed first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const summary = (artifact: Artifact) =>
  JSON.stringify([artifact.entries, artifact.assets, artifact.modules, artifact.config]);

/** Judges one input. Never throws for anything the reader does. */
export async function judge(bytes: Buffer, options: JudgeOptions): Promise<Verdict> {
  const target = options.target ?? READER;
  const started = performance.now();
  const source =
    options.filePath === undefined
      ? openBufferSource(bytes, options.chunkBytes)
      : await openFileSource(options.filePath);
  const verdict = (outcome: string, problem?: Problem): Verdict => ({
    outcome,
    ms: performance.now() - started,
    bytesRead: source.bytesRead,
    ...(problem === undefined ? {} : { problem }),
  });
  try {
    const read = target.read(source, { tenant: FUZZ_TENANT }).then(
      (artifact): Settled => ({ artifact }),
      (error: unknown): Settled => ({ error }),
    );
    const settled = await within(read, options.deadlineMs);
    if (settled === undefined)
      return verdict('hang', { kind: 'hang', detail: `no outcome after ${options.deadlineMs} ms` });
    const outcome = outcomeOf(settled);
    // A reader that blocks the event loop settles before the race's timer can fire: check the clock too.
    const took = performance.now() - started;
    if (took > options.deadlineMs) {
      return verdict(outcome, {
        kind: 'deadline',
        detail: `took ${Math.round(took)} ms; the deadline is ${options.deadlineMs} ms`,
      });
    }
    const problem =
      settled.artifact === undefined
        ? rejectionProblem(settled.error)
        : await acceptedProblem(settled.artifact, bytes, options, target);
    if (problem !== undefined) return verdict(outcome, problem);
    if (source.bytesRead > READ_FACTOR * bytes.length + READ_SLACK) {
      return verdict(outcome, {
        kind: 'amplification',
        detail: `read ${source.bytesRead} bytes of a ${bytes.length}-byte archive`,
      });
    }
    if (options.compareChunkBytes !== undefined) {
      const other = await within(
        target.read(openBufferSource(bytes, options.compareChunkBytes), { tenant: FUZZ_TENANT }).then(
          (artifact): Settled => ({ artifact }),
          (error: unknown): Settled => ({ error }),
        ),
        options.deadlineMs,
      );
      const otherOutcome = other === undefined ? 'hang' : outcomeOf(other);
      const same =
        otherOutcome === outcome &&
        (settled.artifact === undefined ||
          (other?.artifact !== undefined && summary(other.artifact) === summary(settled.artifact)));
      if (!same) {
        const detail = `chunks of ${options.chunkBytes} bytes give ${outcome}, chunks of ${options.compareChunkBytes} give ${otherOutcome}`;
        return verdict(outcome, { kind: 'nondeterministic', detail });
      }
    }
    return verdict(outcome);
  } finally {
    await source.close();
  }
}

function rejectionProblem(error: unknown): Problem | undefined {
  if (
    error instanceof PipelineError &&
    error.category === 'user-input' &&
    error.code.startsWith('artifact.')
  ) {
    return error.message.length > 0
      ? undefined
      : { kind: 'uncategorised-error', detail: `${error.code} without a message` };
  }
  const detail =
    error instanceof PipelineError ? `${error.code} (${error.category}): ${error.message}` : describe(error);
  const stack =
    error instanceof Error && error.stack !== undefined
      ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}`
      : '';
  return { kind: 'uncategorised-error', detail: `${detail}${stack}` };
}
