/**
 * The fuzzer inside `npm test`: a short fixed-seed run of the real `npm run fuzz` script (supervised
 * child, all checks), every committed finding replayed as a regression, every corpus seed accepted, and
 * every known issue still reproducing (a fixed one must move to `findings/`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR, FINDINGS_DIR, readZips } from './findings.js';
import type { FuzzReport } from './fuzz-loop.js';
import { KNOWN_DIR, KNOWN_ISSUES } from './known-issues.js';
import { judge } from './oracle.js';

const REPO = join(import.meta.dirname, '..', '..');
const SMOKE_SECONDS = 6;
const SMOKE_SEED = 20261122;
const findingsDir = mkdtempSync(join(tmpdir(), 'workers-drop-fuzz-smoke-'));
afterAll(() => rmSync(findingsDir, { recursive: true, force: true }));

describe('fuzz smoke run', () => {
  it(`runs npm run fuzz for ${SMOKE_SECONDS} s at a fixed seed without a finding`, () => {
    // Act
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/fuzz.ts',
        '--seconds',
        String(SMOKE_SECONDS),
        '--seed',
        String(SMOKE_SEED),
        '--json',
        '--findings',
        findingsDir,
      ],
      { cwd: REPO, encoding: 'utf8', timeout: 120_000 },
    );
    // Assess
    const report = JSON.parse(child.stdout) as FuzzReport;
    expect(report.finding, JSON.stringify(report.finding, null, 2)).toBeUndefined();
    expect(child.status).toBe(0);
    expect(report.inputs).toBeGreaterThan(150);
    expect(report.outcomes.ok).toBeGreaterThan(5);
    expect(
      Object.keys(report.outcomes).filter((code) => code.startsWith('artifact.')).length,
    ).toBeGreaterThan(8);
    expect(Object.values(report.strategies).every((count) => count > 0)).toBe(true);
    expect(report.peakRssMiB).toBeLessThan(512);
  });
});

const findings = readZips(FINDINGS_DIR);

describe.runIf(findings.length > 0)('committed fuzz findings', () => {
  it.each(findings)('$name ends in an artifact or a categorised rejection', async ({ bytes }) => {
    // Act
    const verdict = await judge(bytes, { deadlineMs: 5000, chunkBytes: 64, compareChunkBytes: 4096 });
    // Assess
    expect(verdict.problem).toBeUndefined();
  });
});

describe('fuzz corpus', () => {
  it.each(readZips(CORPUS_DIR))('seed $name is a valid artifact', async ({ bytes }) => {
    // Act
    const verdict = await judge(bytes, { deadlineMs: 5000, chunkBytes: 511, compareChunkBytes: 7 });
    // Assess
    expect(verdict).toMatchObject({ outcome: 'ok' });
    expect(verdict.problem).toBeUndefined();
  });

  it.each(KNOWN_ISSUES)(
    'known issue $id still reproduces (once fixed, move its input to findings/)',
    async (issue) => {
      // Prepare
      const [reproducer] = readZips(KNOWN_DIR).filter(({ name }) => name === `${issue.id}.zip`);
      if (reproducer === undefined) throw new Error(`no reproducer known/${issue.id}.zip`);
      // Act
      const verdict = await judge(reproducer.bytes, { deadlineMs: 200, chunkBytes: 4096 });
      // Assess
      expect(verdict.problem).toBeDefined();
      expect(issue.matches(verdict.problem ?? { kind: 'crash', detail: '' }, reproducer.bytes)).toBe(true);
    },
  );
});
