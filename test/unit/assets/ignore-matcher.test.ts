/**
 * The `.assetsignore` matcher against the `ignore` package it replaces (the one Wrangler uses): worked
 * examples of gitignore semantics, seeded random rule sets, and every code unit through bracket
 * expressions. Then its work bound: the steps it counts and where it stops.
 */
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { findIgnored } from '../../../lib/assets/ignore-matcher.js';
import { compileRule, type IgnoreRule, patternOf } from '../../../lib/assets/ignore-rules.js';
import { createRandom, Dice } from '../../fuzz/prng.js';
import { ordinaryIgnoreFile, ordinarySite } from '../../helpers/ignore-workloads.js';

const compile = (lines: readonly string[]): IgnoreRule[] =>
  lines.flatMap((line) => {
    const pattern = patternOf(line);
    return (pattern && compileRule(pattern.body, pattern.negative)) ?? [];
  });

/** The paths of `paths` that `lines` ignore, by our matcher. */
const ignoredBy = (lines: readonly string[], paths: readonly string[]) => {
  const decisions = findIgnored(compile(lines), paths, Number.MAX_SAFE_INTEGER);
  return paths.filter((_, index) => decisions?.ignored[index]);
};
/** The same, by the ignore package. */
const ignoredByPackage = (lines: readonly string[], paths: readonly string[]) => {
  const matcher = ignore().add([...lines]);
  return paths.filter((path) => matcher.ignores(path));
};

describe('findIgnored: gitignore semantics, as the ignore package reads them', () => {
  const PATHS = [
    'a.js',
    'a.js.map',
    'A.JS.MAP',
    'foo',
    'foo/x.txt',
    'sub/foo',
    'sub/foo/y.txt',
    'docs/guide/a.md',
    'docs/a.md',
    'docs/README.md',
    'a/b',
    'a/x/b',
    'a/x/y/b',
    'b',
    'dist/app.js',
    'keep/secret.txt',
    'keep/public.txt',
    'trailing ',
    '#hash',
    '!bang',
    'straße/x',
    'K',
    'k',
  ];

  it.each([
    [['*.map'], ['a.js.map', 'A.JS.MAP']],
    [['foo'], ['foo', 'foo/x.txt', 'sub/foo', 'sub/foo/y.txt']],
    [['foo/'], ['foo/x.txt', 'sub/foo/y.txt']],
    [['/foo'], ['foo', 'foo/x.txt']],
    [['sub/foo'], ['sub/foo', 'sub/foo/y.txt']],
    [['a/**/b'], ['a/b', 'a/x/b', 'a/x/y/b']],
    [['**/b'], ['a/b', 'a/x/b', 'a/x/y/b', 'b']],
    [['a/**'], ['a/b', 'a/x/b', 'a/x/y/b']],
    [
      ['docs/**/*.md', '!docs/README.md'],
      ['docs/guide/a.md', 'docs/a.md'],
    ],
    [
      ['keep/', '!keep/public.txt'],
      ['keep/secret.txt', 'keep/public.txt'],
    ],
    [['keep/*', '!keep/public.txt'], ['keep/secret.txt']],
    [
      ['*/'],
      [
        'foo/x.txt',
        'sub/foo',
        'sub/foo/y.txt',
        'docs/guide/a.md',
        'docs/a.md',
        'docs/README.md',
        'a/b',
        'a/x/b',
        'a/x/y/b',
        'dist/app.js',
        'keep/secret.txt',
        'keep/public.txt',
        'straße/x',
      ],
    ],
    [['trailing\\ '], ['trailing ']],
    [['trailing  '], []],
    [
      ['\\#hash', '\\!bang'],
      ['#hash', '!bang'],
    ],
    [['# a comment', ''], []],
    [['STRASSE', 'straße'], ['straße/x']],
    [['[[:upper:]]'], ['a/b', 'a/x/b', 'a/x/y/b', 'b', 'straße/x', 'K', 'k']],
    [['?'], ['a/b', 'a/x/b', 'a/x/y/b', 'b', 'straße/x', 'K', 'k']],
    [['[!a-z]'], []],
    [['dist/*.JS'], ['dist/app.js']],
  ])('%j ignores %j', (lines, expected) => {
    // Act
    const ignored = ignoredBy(lines, PATHS);
    // Assess
    expect(ignored).toEqual(expected);
    expect(ignored).toEqual(ignoredByPackage(lines, PATHS));
  });

  it('agrees with the ignore package on ordinary rule sets of an ordinary site', () => {
    // Prepare
    const lines = ordinaryIgnoreFile(300).split('\n');
    const paths = ordinarySite(3000);
    // Act
    const ignored = ignoredBy(lines, paths);
    // Assess
    expect(ignored.length).toBeGreaterThan(500);
    expect(ignored).toEqual(ignoredByPackage(lines, paths));
  });

  it('agrees with the ignore package on 3,000 seeded random rule sets', () => {
    // Prepare: the tokens of ordinary and unusual rules, and the names they should hit or miss.
    const dice = new Dice(createRandom(20_261_122));
    const TOKENS = [
      'a',
      'b',
      'A',
      '.',
      '*',
      '?',
      '[a-c]',
      '[!a]',
      '**',
      '/',
      '/',
      '!',
      '#',
      ' ',
      '\\ ',
      'x',
      '\\*',
    ];
    const MORE = ['[[:digit:]]', '1', 'é', 'É', '**/', '/**', '[]a]', '\\!', '\\#', '[^b]', 'ß', 'K', 'k'];
    const NAMES = [
      'a',
      'b',
      'A',
      'ab',
      'a.b',
      'x',
      '1',
      'é',
      'É',
      '.a',
      'ba',
      'aa',
      'a b',
      'a ',
      '*',
      'K',
      'ß',
      '#x',
    ];
    const disagreements: string[] = [];
    for (let round = 0; round < 3000; round += 1) {
      const line = () =>
        Array.from({ length: dice.between(1, 5) }, () => dice.pick(dice.chance(0.7) ? TOKENS : MORE)).join(
          '',
        );
      const lines = Array.from({ length: dice.between(1, 6) }, line);
      const paths = [
        ...new Set(
          Array.from({ length: 12 }, () =>
            Array.from({ length: dice.between(1, 5) }, () => dice.pick(NAMES)).join('/'),
          ),
        ),
      ];
      // Act
      const ours = ignoredBy(lines, paths);
      const theirs = ignoredByPackage(lines, paths);
      // Assess (collected, so one failure shows every disagreement of the run)
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        disagreements.push(
          `${JSON.stringify(lines)}: ours ${JSON.stringify(ours)}, ignore ${JSON.stringify(theirs)}`,
        );
      }
    }
    expect(disagreements).toEqual([]);
  });

  it.each([
    '[a-z]',
    '[!a-z]',
    '[^K]',
    '[ß]',
    '[s]',
    '[[:alpha:][:digit:]]',
    '[![:space:]]',
    '[]a]',
    '[c-a]',
    '[[:alpha]',
    '[\u00e0-\u00ff]',
    '[\u03c3]',
    '[\u212a]',
  ])('matches every code unit through x%s as the ignore package does', (expression) => {
    // Prepare: every code unit but `/`, after an `x` (a path may not start with `.`).
    const paths = Array.from({ length: 0x10000 }, (_, unit) => `x${String.fromCharCode(unit)}`).filter(
      (path) => path !== 'x/',
    );
    // Act
    const ours = ignoredBy([`x${expression}`], paths);
    // Assess
    expect(ours).toEqual(ignoredByPackage([`x${expression}`], paths));
  });
});

describe('findIgnored: work bound', () => {
  const DEEP = Array.from({ length: 200 }, (_, i) => `${'a/'.repeat(300)}q${i}.txt`);

  it('decides k=6 globstars against paths 300 deep in linear work (the ignore package backtracks for minutes)', () => {
    // Prepare
    const rules = compile(['a/**/a/**/a/**/a/**/a/**/a/**/z']);
    // Act
    const decisions = findIgnored(rules, DEEP, Number.MAX_SAFE_INTEGER);
    // Assess
    expect(decisions?.ignored.every((ignored) => !ignored)).toBe(true);
    expect(decisions?.steps).toBeLessThan(2_000_000);
  });

  it('stops once the work passes the budget, and not before', () => {
    // Prepare
    const rules = compile(['**/a/**/a/**/z', '*.txt']);
    const steps = findIgnored(rules, DEEP, Number.MAX_SAFE_INTEGER)?.steps ?? 0;
    // Act
    const within = findIgnored(rules, DEEP, steps);
    const beyond = findIgnored(rules, DEEP, steps - 1);
    // Assess
    expect(within?.ignored.every(Boolean)).toBe(true);
    expect(beyond).toBeUndefined();
  });

  it('enters each folder once however many files share it', () => {
    // Prepare
    const rules = compile(['**/z/**']);
    const onePath = findIgnored(rules, ['a/b/c/x.txt'], Number.MAX_SAFE_INTEGER)?.steps ?? 0;
    const siblings = Array.from({ length: 100 }, (_, i) => `a/b/c/x${i}.txt`);
    // Act
    const steps = findIgnored(rules, siblings, Number.MAX_SAFE_INTEGER)?.steps ?? 0;
    // Assess: 99 more files, no more folders.
    expect(steps).toBeLessThan(onePath * 40);
  });
});
