/**
 * Decides which paths a list of compiled `.assetsignore` rules ignores, with the `ignore` package's
 * semantics: a path is ignored when a folder above it is, or when the last rule that matches it (as a
 * folder for the folders above a file) is not a negation.
 *
 * The paths are visited in sorted order, so each folder is entered once however many files it holds. A
 * rule is followed as a set of positions in its tokens (a small automaton): entering a segment advances
 * each position once and never goes back, so no pattern backtracks. The first token of every rule is
 * looked up by name when it is plain text (`node_modules`, `_worker.js`), so ordinary rule sets cost a
 * few map lookups per path. Work is counted in steps (one per position advanced and per code unit
 * compared); past `maxSteps` the walk stops, which bounds its time whatever the rules and paths are.
 */
import { indexRules } from './ignore-index.js';
import type { IgnoreRule } from './ignore-rules.js';
import { EXHAUSTED, type Folder, quiet, Walk } from './ignore-walk.js';

/** What the walk found: a decision per path, and the steps it took. */
export interface IgnoreDecisions {
  ignored: boolean[];
  steps: number;
}

/**
 * Whether `path` is ignored. `stack` is a chain of folders from the root, each inside the one before,
 * left by the paths decided before: the folders `path` shares with it are reused, the others entered.
 * Below an ignored folder, or one where nothing can match any more, the answer is known at once.
 */
function decide(walk: Walk, path: string, stack: Folder[]): boolean {
  const { index } = walk;
  let parent = stack[0] as Folder;
  let depth = 0;
  for (let at = 0; ; depth += 1) {
    // Below the top, only matches in progress and rules that float (match at any depth) can match.
    if (parent.ignored || (parent.rules.length === 0 && depth > 0 && !index.floats)) return parent.ignored;
    const slash = path.indexOf('/', at);
    if (slash < 0) return walk.enter(parent, path.slice(at), depth === 0, false).ignored;
    const known = stack[depth + 1];
    if (known !== undefined && known.name.length === slash - at && path.startsWith(known.name, at)) {
      parent = known;
    } else {
      stack.length = depth + 1;
      parent = walk.enter(parent, path.slice(at, slash), depth === 0, true);
      stack.push(parent);
    }
    at = slash + 1;
  }
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * For each of `paths` (relative, `/`-separated, no empty segments), whether `rules` ignore it; undefined
 * when deciding would take more than `maxSteps`.
 */
export function findIgnored(
  rules: readonly IgnoreRule[],
  paths: readonly string[],
  maxSteps: number,
): IgnoreDecisions | undefined {
  const walk = new Walk(indexRules(rules), maxSteps);
  const ignored = paths.map(() => false);
  // Sorted, the files of a folder are adjacent: the folder stays on the stack while they are decided.
  const order = paths.map((_, at) => at).sort((a, b) => byCodeUnits(paths[a] ?? '', paths[b] ?? ''));
  const stack: Folder[] = [quiet('', false)];
  try {
    for (const at of order) ignored[at] = decide(walk, paths[at] as string, stack);
  } catch (error) {
    if (error === EXHAUSTED) return undefined;
    throw error;
  }
  return { ignored, steps: walk.steps };
}
