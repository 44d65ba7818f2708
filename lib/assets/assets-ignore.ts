/**
 * `.assetsignore`, bounded: a tenant's file is compiled only within the rule limits, and matching it
 * against the assets stops at a fixed amount of work, so no artifact can make ingest spend more than a
 * fraction of a second here. Both refusals are `artifact.assetsignore-too-complex`. (The `ignore` package
 * Wrangler uses spent 12 s on one path 200 folders deep for `a/**\/a/**\/a/**\/a/**\/z`; README "Limits".)
 */
import {
  ASSETSIGNORE_STEPS_PER_FILE,
  DEFAULT_MAX_FILES,
  MAX_ASSETSIGNORE_RULE_BYTES,
  MAX_ASSETSIGNORE_RULES,
} from '../artifacts/limits.js';
import { InvalidArtifactError } from '../errors.js';
import type { SegmentGlob } from './ignore-glob.js';
import { findIgnored } from './ignore-matcher.js';
import { compileRule, type IgnoreRule, patternOf } from './ignore-rules.js';

const tooComplex = (message: string, entry: string) =>
  new InvalidArtifactError('artifact.assetsignore-too-complex', message, { entry });

const count = (value: number) => value.toLocaleString('en-US');

/** Compiles the rules of `.assetsignore` (its archive path is `entry`), in order. */
export function compileAssetsIgnore(text: string, entry: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  const globs = new Map<string, SegmentGlob>();
  let patterns = 0;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const pattern = patternOf(line);
    if (pattern === undefined) continue;
    patterns += 1;
    if (patterns > MAX_ASSETSIGNORE_RULES) {
      throw tooComplex(`${entry} has more than ${count(MAX_ASSETSIGNORE_RULES)} rules.`, entry);
    }
    const bytes = Buffer.byteLength(line);
    if (bytes > MAX_ASSETSIGNORE_RULE_BYTES) {
      throw tooComplex(
        `${entry} line ${index + 1} is ${count(bytes)} bytes long; a rule may have at most ${count(MAX_ASSETSIGNORE_RULE_BYTES)}.`,
        entry,
      );
    }
    const rule = compileRule(pattern.body, pattern.negative, globs);
    if (rule !== undefined) rules.push(rule);
  }
  return rules;
}

/** The steps matching may take for `files` files. */
export const assetsIgnoreBudget = (files: number): number =>
  Math.max(files, DEFAULT_MAX_FILES) * ASSETSIGNORE_STEPS_PER_FILE;

/**
 * For each of `paths` (relative to the assets directory), whether `rules` ignore it. Refuses (naming
 * `entry`, the `.assetsignore` at fault) when that takes more than {@link assetsIgnoreBudget} steps.
 */
export function decideIgnored(
  rules: readonly IgnoreRule[],
  paths: readonly string[],
  entry: string,
): boolean[] {
  const decisions = findIgnored(rules, paths, assetsIgnoreBudget(paths.length));
  if (decisions === undefined) {
    throw tooComplex(
      `Matching ${entry} against the ${count(paths.length)} files of the assets directory takes too much ` +
        'work; use fewer rules, or fewer wildcards (*, ?, [...], **) in them.',
      entry,
    );
  }
  return decisions.ignored;
}
