/** Files that are also directories (`a` and `a/b`), checked on the central directory alone. */
import { describe, expect, it } from 'vitest';
import type { ZipEntry } from '../../../lib/artifacts/central-directory.js';
import { checkEntries } from '../../../lib/artifacts/entry-checks.js';
import { DEFAULT_LIMITS } from '../../../lib/artifacts/limits.js';
import { InvalidArtifactError } from '../../../lib/errors.js';

/** Central-directory records for `paths`, in that (archive) order, laid out without overlaps. */
function entriesOf(paths: string[]): { entries: ZipEntry[]; cdOffset: number } {
  let offset = 0;
  const entries = paths.map((path, index): ZipEntry => {
    const entry: ZipEntry = {
      index,
      path,
      isDirectory: false,
      junk: false,
      flags: 0x800,
      method: 0,
      crc32: 0,
      compressedSize: 1,
      size: 1,
      offset,
      rawName: Buffer.from(path).toString('latin1'),
      limit: 0,
      relative: path,
      sha256: '',
    };
    offset += 30 + entry.rawName.length + 1;
    return entry;
  });
  return { entries, cdOffset: offset };
}

function clashOf(paths: string[]): string | undefined {
  const { entries, cdOffset } = entriesOf(paths);
  try {
    checkEntries(entries, cdOffset, { ...DEFAULT_LIMITS, maxFiles: 100_000 });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArtifactError);
    expect((error as InvalidArtifactError).code).toBe('artifact.duplicate-entry');
    return (error as InvalidArtifactError).entry;
  }
}

describe('file and directory clashes', () => {
  it.each([
    [['a', 'a/b'], '/a'],
    [['a/b', 'a'], '/a'],
    // "a-x" sorts between "a" and "a/..."; its own child must still be found.
    [['a', 'a-x', 'a-x/y'], '/a-x'],
    [['a', 'a-x', 'a-x/y', 'a/b'], '/a-x'],
    // The first clashing file in archive order, with its shortest prefix that is a file.
    [['z/q', 'a/b/c', 'a', 'a/b', 'z'], '/z'],
    [['a/b/c', 'a/b', 'a'], '/a'],
    [['p/a', 'p/a.b', 'p/a.b/c', 'p/a0'], '/p/a.b'],
  ])('%j clashes at %s', (paths, entry) => {
    expect(clashOf(paths)).toBe(entry);
  });

  it.each([[['a', 'ab/c', 'a-b', 'a.b/c', 'b/a']], [['x/y/z', 'x/y/w', 'x/yz']]])(
    '%j has no clash',
    (paths) => {
      expect(clashOf(paths)).toBeUndefined();
    },
  );

  it('checks 20,000 paths 500 folders deep in well under a second (was ten)', () => {
    const deep = `${'d/'.repeat(480)}`;
    const paths = Array.from({ length: 20_000 }, (_, index) => `${deep}${index.toString(36)}/f`);
    const started = performance.now();

    expect(clashOf(paths)).toBeUndefined();
    expect(clashOf([...paths, `${deep}x_x`, `${deep}x_x/f`])).toBe(`/${deep}x_x`);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
