/**
 * The `.assetsignore` rules sorted by how a match can start. A rule that floats (matches at any depth)
 * may start at every segment of a path; any other rule only at the first one. A start whose first token
 * is plain text (`node_modules`, `_worker.js`, `/drafts`) is found by one map lookup on the segment's
 * folded name, so the many literal rules of a generated file cost nothing per path.
 */
import { GLOBSTAR, type IgnoreRule, type RuleToken } from './ignore-rules.js';

/** Rule numbers (positions in `rules`) by how they start. */
export interface RuleIndex {
  readonly rules: readonly IgnoreRule[];
  /** Floating rules whose first segment is plain text, by that text (case-folded). */
  readonly floatingLiterals: ReadonlyMap<string, readonly number[]>;
  /** Floating rules whose first segment is a glob. */
  readonly floatingGlobs: readonly number[];
  /** Rules anchored at the top whose first segment is plain text, by that text (case-folded). */
  readonly anchoredLiterals: ReadonlyMap<string, readonly number[]>;
  /** Rules anchored at the top whose first segment is a glob. */
  readonly anchoredGlobs: readonly number[];
  /** The last rule that matches every folder (`**\/`), or -1. */
  readonly everyFolder: number;
  /** The last rule that matches every file, or -1 (a globstar alone matches folders only, but be sure). */
  readonly everyFile: number;
  /** True when some rule floats, so every segment of every path must be looked at. */
  readonly floats: boolean;
  /** How many distinct segment globs the rules hold (what a walk may have to keep in the CPU cache). */
  readonly globs: number;
}

function append(map: Map<string, number[]>, key: string, rule: number): void {
  const rules = map.get(key);
  if (rules === undefined) map.set(key, [rule]);
  else rules.push(rule);
}

/** Sorts `rules` by how they start. */
export function indexRules(rules: readonly IgnoreRule[]): RuleIndex {
  const floatingLiterals = new Map<string, number[]>();
  const anchoredLiterals = new Map<string, number[]>();
  const floatingGlobs: number[] = [];
  const anchoredGlobs: number[] = [];
  let everyFolder = -1;
  let everyFile = -1;
  const globs = new Set<RuleToken>();
  rules.forEach((rule, number) => {
    for (const token of rule.tokens) globs.add(token);
    const floating = rule.tokens[0] === GLOBSTAR;
    const first = rule.tokens[floating ? 1 : 0];
    if (first === undefined) {
      everyFolder = number;
      if (!rule.dirOnly) everyFile = number;
    } else if (first !== GLOBSTAR && first.literal !== undefined) {
      append(floating ? floatingLiterals : anchoredLiterals, first.literal, number);
    } else {
      (floating ? floatingGlobs : anchoredGlobs).push(number);
    }
  });
  const floats = floatingLiterals.size + floatingGlobs.length > 0 || everyFolder >= 0;
  return {
    rules,
    floatingLiterals,
    floatingGlobs,
    anchoredLiterals,
    anchoredGlobs,
    everyFolder,
    everyFile,
    floats,
    globs: globs.size,
  };
}
