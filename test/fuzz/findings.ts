/**
 * Findings: an input the oracle refused, saved as `<hash>.zip` with a `<hash>.json` beside it (seed,
 * iteration, mutation, problem and the command that regenerates it). Committed findings are replayed by
 * the smoke test as regressions.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Problem } from './oracle.js';

export const CORPUS_DIR = join(import.meta.dirname, '..', 'fixtures', 'fuzz-corpus');
export const FINDINGS_DIR = join(CORPUS_DIR, 'findings');
const REPO_DIR = join(CORPUS_DIR, '..', '..', '..');

export interface Finding {
  seed: number;
  iteration: number;
  label: string;
  problem: Problem;
  bytes: Buffer;
}

/** Writes the finding; returns the path of its `.zip`. */
export function saveFinding(dir: string, finding: Finding): string {
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(finding.bytes).digest('hex').slice(0, 16);
  const path = join(dir, `${hash}.zip`);
  writeFileSync(path, finding.bytes);
  const { seed, iteration, label, problem } = finding;
  // The file replays exactly; seed and iteration regenerate it only while the generators are unchanged.
  const replay = [
    `npm run fuzz -- --replay ${relative(REPO_DIR, path)}`,
    `npm run fuzz -- --seed ${seed} --iteration ${iteration}`,
  ];
  writeFileSync(
    join(dir, `${hash}.json`),
    `${JSON.stringify({ seed, iteration, label, problem, replay }, null, 2)}\n`,
  );
  return path;
}

/** The `.zip` files directly in `dir` (sorted), as name and bytes; none when `dir` does not exist. */
export function readZips(dir: string): Array<{ name: string; bytes: Buffer }> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.zip'));
  } catch {
    return [];
  }
  return names.sort().map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}
