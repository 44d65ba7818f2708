/**
 * Open bugs the fuzzer found outside the code this fuzzer may fix, reported to their owners. A matching
 * problem is counted instead of ending the run, so the fuzzer keeps looking for new ones. Each issue has
 * a committed reproducer in `fuzz-corpus/known/<id>.zip`; the smoke test fails once it stops
 * reproducing, so a fixed issue is moved to `findings/` (a regression) rather than forgotten here.
 */
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { CORPUS_DIR } from './findings.js';
import type { Problem } from './oracle.js';
import { mapZip } from './zip-map.js';

export const KNOWN_DIR = join(CORPUS_DIR, 'known');

export interface KnownIssue {
  id: string;
  /** Where the bug is and what it does. */
  summary: string;
  matches(problem: Problem, input: Buffer): boolean;
}

/** None open: the last two (prototype keys in the content-type tables, .assetsignore backtracking) are fixed. */
export const KNOWN_ISSUES: readonly KnownIssue[] = [];

/**
 * The contents (as text, at most 1 MiB each) of the entries whose names end with `suffix`: for a
 * matcher that recognises an issue by a steering file (the .assetsignore issue used it).
 */
export function entryTexts(input: Buffer, suffix: string): string[] {
  const map = mapZip(input);
  const texts: string[] = [];
  for (const name of map.regions.filter((region) => /^local\[\d+\]\.name$/.test(region.label))) {
    if (
      !input
        .subarray(name.at, name.at + name.length)
        .toString('latin1')
        .endsWith(suffix)
    )
      continue;
    const data = map.regions.find((region) => region.label === name.label.replace('.name', '.data'));
    if (data === undefined) continue;
    const bytes = input.subarray(data.at, data.at + data.length);
    try {
      texts.push(inflateRawSync(bytes, { maxOutputLength: 1024 * 1024 }).toString('latin1'));
    } catch {
      texts.push(bytes.toString('latin1'));
    }
  }
  return texts;
}

/** The known issue (of `issues`, by default the open ones) `problem` on `input` is an instance of, if any. */
export const knownIssueOf = (
  problem: Problem,
  input: Buffer,
  issues: readonly KnownIssue[] = KNOWN_ISSUES,
): KnownIssue | undefined => issues.find((issue) => issue.matches(problem, input));
