/**
 * The loop around the oracle: outcomes are tallied, and a reader that writes a file, outgrows the memory
 * limit or fails is a finding saved for replay, while a known issue is counted and the run goes on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readArtifact } from '../../lib/artifacts/read-artifact.js';
import { CORPUS_DIR, readZips } from './findings.js';
import { type FuzzOptions, runFuzz } from './fuzz-loop.js';
import { type Problem, READER } from './oracle.js';
import { installWriteGuard } from './write-guard.js';

let temp: string;
let elsewhere: string;
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'workers-drop-fuzz-test-'));
  elsewhere = mkdtempSync(join(tmpdir(), 'workers-drop-fuzz-elsewhere-'));
});
afterEach(() => {
  rmSync(temp, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

const options = (overrides: Partial<FuzzOptions>): FuzzOptions => ({
  seed: 7,
  seconds: 60,
  seeds: readZips(CORPUS_DIR),
  tempDir: temp,
  deadlineMs: 10_000,
  rssLimitMiB: 4096,
  ...overrides,
});

describe('the fuzz loop', () => {
  it('tallies every input by outcome and strategy', async () => {
    // Act
    const report = await runFuzz(options({ maxInputs: 60 }));
    // Assess
    expect(report.finding).toBeUndefined();
    expect(report.inputs).toBe(60);
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    expect(sum(report.outcomes)).toBe(60);
    expect(sum(report.strategies)).toBe(60);
    expect(Object.keys(report.outcomes).length).toBeGreaterThan(3);
    expect(report.peakRssMiB).toBeGreaterThan(0);
  });

  it('saves a reader that writes a file as a finding, with how to replay it', async () => {
    // Prepare: writeFile was imported before the guard was installed
    const findingsDir = join(elsewhere, 'findings');
    const target = {
      ...READER,
      read: async (...args: Parameters<typeof readArtifact>) => {
        await writeFile(join(elsewhere, 'leak.txt'), 'x');
        return readArtifact(...args);
      },
    };
    // Act
    const report = await runFuzz(options({ target, findingsDir }));
    // Assess
    expect(report.finding?.problem.kind).toBe('write');
    expect(report.finding?.problem.detail).toContain('fs.promises.writeFile');
    const file = report.finding?.file as string;
    expect(existsSync(file)).toBe(true);
    const sidecar = JSON.parse(readFileSync(file.replace(/\.zip$/, '.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      seed: 7,
      iteration: report.finding?.iteration,
      problem: { kind: 'write' },
    });
  });

  it('reports RSS over the limit as a finding', async () => {
    // Act
    const report = await runFuzz(options({ rssLimitMiB: 1 }));
    // Assess
    expect(report.finding?.problem.kind).toBe('memory');
    expect(report.inputs).toBe(1);
  });

  it('counts a known issue and keeps going', async () => {
    // Prepare: a failure that looks like the (since fixed) content-type bug, listed as a known issue
    const target = {
      ...READER,
      read: async () => {
        const error = new TypeError('type.startsWith is not a function');
        error.stack = `${error.message}\n    at contentTypeForExtension (lib/assets/content-type.ts:22:15)`;
        throw error;
      },
    };
    const knownIssues = [
      {
        id: 'content-type-prototype-keys',
        summary: 'Object.prototype members in the content-type tables',
        matches: (problem: Problem) =>
          problem.kind === 'uncategorised-error' && problem.detail.includes('content-type.ts'),
      },
    ];
    // Act
    const report = await runFuzz(options({ target, maxInputs: 5, knownIssues }));
    // Assess
    expect(report.finding).toBeUndefined();
    expect(report.known).toEqual({ 'content-type-prototype-keys': 5 });
  });
});

describe('the write guard', () => {
  it('records writes, and changes to watched directories made around it, but not reads', async () => {
    // Prepare
    await writeFile(join(temp, 'existing.txt'), 'x');
    const guard = installWriteGuard([temp]);
    try {
      // Act
      guard.arm();
      await readFile(join(temp, 'existing.txt'));
      const quiet = guard.disarm();
      guard.arm();
      await writeFile(join(elsewhere, 'new.txt'), 'y');
      const loud = guard.disarm();
      guard.arm();
      execFileSync('touch', [join(temp, 'from-another-process')]);
      const outside = guard.disarm();
      // Assess
      expect(quiet).toEqual([]);
      expect(loud.join('\n')).toContain('fs.promises.writeFile');
      expect(outside).toEqual([`${join(temp, 'from-another-process')} was created or changed`]);
    } finally {
      guard.uninstall();
    }
  });
});
