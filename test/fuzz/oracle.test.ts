/**
 * The oracle must notice every way a reader can go wrong, or a clean fuzz run proves nothing: each row
 * plants one fault in a stand-in reader and expects the oracle to name it.
 */
import { describe, expect, it } from 'vitest';
import { readArtifact } from '../../lib/artifacts/read-artifact.js';
import { readEntryBuffers } from '../../lib/artifacts/read-entries.js';
import type { Artifact } from '../../lib/artifacts/types.js';
import { InvalidArtifactError, PipelineError } from '../../lib/errors.js';
import { CORPUS_DIR, readZips } from './findings.js';
import { judge, type ProblemKind, READER, type Target } from './oracle.js';

const [seed] = readZips(CORPUS_DIR);
if (seed === undefined) throw new Error('the fuzz corpus is empty');
const VALID = seed.bytes;

const busyWait = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // A reader stuck in synchronous code: the event loop is blocked.
  }
};

/** The real reader with `tamper` applied to its artifact. */
const tampered = (tamper: (artifact: Artifact) => void): Target => ({
  ...READER,
  read: async (source, options) => {
    const artifact = await readArtifact(source, options);
    tamper(artifact);
    return artifact;
  },
});

const FAULTS: Array<{ fault: string; target: Target; kind: ProblemKind; deadlineMs?: number }> = [
  {
    fault: 'a TypeError escapes',
    target: { ...READER, read: async () => Promise.reject(new TypeError('x is undefined')) },
    kind: 'uncategorised-error',
  },
  {
    fault: 'a PipelineError of another category',
    target: { ...READER, read: async () => Promise.reject(new PipelineError('s3.unavailable', 'S3 failed')) },
    kind: 'uncategorised-error',
  },
  {
    fault: 'the promise never settles',
    target: { ...READER, read: () => new Promise<Artifact>(() => undefined) },
    kind: 'hang',
    deadlineMs: 50,
  },
  {
    fault: 'the event loop is blocked past the deadline',
    target: {
      ...READER,
      read: async (source, options) => {
        busyWait(120);
        return readArtifact(source, options);
      },
    },
    kind: 'deadline',
    deadlineMs: 50,
  },
  {
    fault: 'an accepted path escapes the root',
    target: tampered((artifact) => {
      (artifact.entries[0] as { path: string }).path = '/../evil.js';
    }),
    kind: 'invariant',
  },
  {
    fault: 'two accepted entries overlap',
    target: tampered((artifact) => {
      const [a, b] = artifact.assets;
      if (a !== undefined && b !== undefined) b.location = { ...b.location, offset: a.location.offset + 1 };
    }),
    kind: 'invariant',
  },
  {
    fault: 'a module content type is not a string',
    target: tampered((artifact) => {
      (artifact.modules[0] as { contentType: unknown }).contentType = Object;
    }),
    kind: 'invariant',
  },
  {
    fault: 'entries read back different bytes',
    target: {
      ...READER,
      reread: async (source, locations) =>
        (await readEntryBuffers(source, locations)).map((bytes) => Buffer.from(bytes).fill(0x20)),
    },
    kind: 'reread',
  },
  {
    fault: 'an accepted entry cannot be read back',
    target: {
      ...READER,
      reread: async () => Promise.reject(new InvalidArtifactError('artifact.corrupt', 'gone')),
    },
    kind: 'reread',
  },
  {
    fault: 'the outcome depends on how the stream is chunked',
    target: {
      ...READER,
      read: async (source, options) => {
        const artifact = await readArtifact(source, options);
        let chunks = 0;
        for await (const _ of source.stream(0, source.size)) chunks += 1;
        if (chunks > 1) throw new InvalidArtifactError('artifact.corrupt', 'chunked');
        return artifact;
      },
    },
    kind: 'nondeterministic',
  },
  {
    fault: 'the archive is read a hundred times over',
    target: {
      ...READER,
      read: async (source, options) => {
        for (let i = 0; i < 100; i += 1) await source.read(0, source.size);
        return readArtifact(source, options);
      },
    },
    kind: 'amplification',
  },
];

describe('the fuzz oracle', () => {
  it('accepts the real reader on a valid archive', async () => {
    // Act
    const verdict = await judge(VALID, { deadlineMs: 5000, chunkBytes: 64, compareChunkBytes: 4096 });
    // Assess
    expect(verdict).toMatchObject({ outcome: 'ok' });
    expect(verdict.problem).toBeUndefined();
  });

  it('accepts a categorised rejection', async () => {
    // Act
    const verdict = await judge(VALID.subarray(0, 100), { deadlineMs: 5000, chunkBytes: 64 });
    // Assess
    expect(verdict.outcome).toBe('artifact.corrupt');
    expect(verdict.problem).toBeUndefined();
  });

  it.each(FAULTS)('notices when $fault', async ({ target, kind, deadlineMs = 10_000 }) => {
    // Act
    const verdict = await judge(VALID, { deadlineMs, chunkBytes: 64, compareChunkBytes: 100_000, target });
    // Assess
    expect(verdict.problem?.kind).toBe(kind);
  });
});
