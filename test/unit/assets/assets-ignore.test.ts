/**
 * A hostile `.assetsignore` costs a bounded amount of time: decided in linear work, or refused with
 * `artifact.assetsignore-too-complex` once the work passes the budget. The `ignore` package this replaced
 * took 12 s per path for the first case below (and minutes for the second).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FILES } from '../../../lib/artifacts/limits.js';
import { assetsIgnoreBudget } from '../../../lib/assets/assets-ignore.js';
import { selectAssets } from '../../../lib/assets/manifest.js';
import { InvalidArtifactError } from '../../../lib/errors.js';

/** Selects among `.assetsignore` and `paths` with `text` as its content; returns what is kept and the time. */
function select(paths: readonly string[], text: string) {
  const candidates = ['.assetsignore', ...paths].map((relative) => ({ relative, file: relative }));
  const started = performance.now();
  try {
    const kept = selectAssets(candidates, text, (candidate) => `/public/${candidate.relative}`);
    return { kept: kept.length, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

/** `count` paths about 1,000 bytes deep, no folder shared between two of them. */
const uniqueDeepPaths = (count: number) =>
  Array.from({ length: count }, (_, i) => `d${i}/${'a/'.repeat(490)}f`);

describe('selectAssets with a hostile .assetsignore', () => {
  it('decides a/**/a/**/a/**/a/**/z against paths 200 folders deep within seconds (fuzz: assetsignore-backtracking)', () => {
    // Prepare: the ignore package took 12 s for the first of these paths.
    const paths = Array.from({ length: 3 }, (_, i) => `${'a/'.repeat(200)}q${i}.txt`);
    // Act
    const { kept, ms, error } = select(paths, 'a/**/a/**/a/**/a/**/z\n');
    // Assess
    expect(error).toBeUndefined();
    expect(kept).toBe(3);
    expect(ms).toBeLessThan(5000);
  });

  it('refuses, within seconds, rules that would take more work than the budget', () => {
    // Prepare: 1,000 floating rules of distinct wildcard segments against 20,000 unrelated deep paths.
    const rules = Array.from(
      { length: 1000 },
      (_, i) => `**/[!${String.fromCharCode(0x100 + i)}]*/**/[!${String.fromCharCode(0x500 + i)}]*/**/z${i}`,
    );
    // Act
    const { error, ms } = select(uniqueDeepPaths(DEFAULT_MAX_FILES - 1), rules.join('\n'));
    // Assess
    expect(error).toBeInstanceOf(InvalidArtifactError);
    expect(error).toMatchObject({
      code: 'artifact.assetsignore-too-complex',
      category: 'user-input',
      entry: '/public/.assetsignore',
    });
    expect((error as Error).message).toBe(
      'Matching /public/.assetsignore against the 20,000 files of the assets directory takes too much work; ' +
        'use fewer rules, or fewer wildcards (*, ?, [...], **) in them.',
    );
    expect(ms).toBeLessThan(5000);
  });

  it('keeps ordinary rules far inside the budget', () => {
    // Prepare
    const paths = Array.from({ length: 1000 }, (_, i) => `assets/img/${i}.png`);
    // Act
    const { kept, error } = select(paths, '*.map\n/drafts/\n**/*.psd\n!keep.txt\n');
    // Assess
    expect(error).toBeUndefined();
    expect(kept).toBe(1000);
  });

  it('grows the budget with the number of files above the default file limit', () => {
    // Act / Assess
    expect(assetsIgnoreBudget(10)).toBe(100_000_000);
    expect(assetsIgnoreBudget(DEFAULT_MAX_FILES)).toBe(100_000_000);
    expect(assetsIgnoreBudget(100_000)).toBe(500_000_000);
  });
});
