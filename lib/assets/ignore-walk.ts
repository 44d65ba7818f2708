/**
 * One walk of the `.assetsignore` matcher over sorted paths (see ignore-matcher.ts): entering a segment
 * tries the rules that may start there and advances the matches in progress of the folder above, in
 * priced steps, and stops the walk once the budget is spent.
 */
import { foldCase, matchSegment, type PathSegment, type StepMeter } from './ignore-glob.js';
import type { RuleIndex } from './ignore-index.js';
import { GLOBSTAR, type IgnoreRule, type RuleToken } from './ignore-rules.js';

/**
 * A folder on the walk: its name, whether it is ignored, and the matches in progress inside it, packed
 * in typed arrays (a deep walk keeps hundreds of folders with hundreds of rules each on its stack, and
 * that many small objects would keep the garbage collector busy): rule `rules[i]` may be at the token
 * positions `positions[starts[i]..starts[i + 1])`, ascending, past its first token and before its end.
 */
export interface Folder {
  readonly name: string;
  readonly ignored: boolean;
  readonly rules: Int32Array;
  readonly starts: Int32Array;
  readonly positions: Int32Array;
}

const NOTHING = new Int32Array(0);
const NO_STARTS = new Int32Array(1);

/** A folder in which no match is in progress. */
export const quiet = (name: string, ignored: boolean): Folder => ({
  name,
  ignored,
  rules: NOTHING,
  starts: NO_STARTS,
  positions: NOTHING,
});

/**
 * Step prices, so that a step takes about the same time whatever the rules do (calibrated with
 * scripts/assetsignore-cost.ts): entering a segment (allocations, folding, a lookup); trying a floating
 * glob on it; a rule reaching it (a slot, a packed entry); comparing one code unit is one step.
 */
const ENTER_STEPS = 16;
const START_STEPS = 1;
const REACH_STEPS = 16;

/**
 * Visiting a token of a match in progress: a load that hits the CPU cache while the rules are few and
 * misses it once thousands of distinct segment globs are alive (about ten times slower), so the price
 * grows with the number of distinct globs, up to {@link MAX_VISIT_STEPS} at {@link COLD_GLOBS}.
 */
const MIN_VISIT_STEPS = 16;
const MAX_VISIT_STEPS = 128;
const COLD_GLOBS = 8192;

const visitSteps = (globs: number) =>
  MIN_VISIT_STEPS +
  Math.floor(((MAX_VISIT_STEPS - MIN_VISIT_STEPS) * Math.min(globs, COLD_GLOBS)) / COLD_GLOBS);

/** Thrown inside the walk when the budget is spent (caught by the caller of the walk). */
export const EXHAUSTED = Symbol('exhausted');

/** Adds `position` to the ascending `positions` and, past a globstar (it may match no segment), the next. */
function addPosition(positions: number[], position: number, tokens: readonly RuleToken[]): void {
  for (let at = position; ; at += 1) {
    // Positions arrive almost in order: the place is at or next to the end.
    let i = positions.length;
    while (i > 0 && (positions[i - 1] as number) > at) i -= 1;
    if (i === 0 || positions[i - 1] !== at) {
      if (i === positions.length) positions.push(at);
      else positions.splice(i, 0, at);
    }
    if (tokens[at] !== GLOBSTAR) return;
  }
}

/** One walk over the paths: the rules, the step count, and scratch space for entering a segment. */
export class Walk implements StepMeter {
  steps = 0;
  /** Per rule, its slot in the segment being entered, or -1 (reset after each segment). */
  private readonly slots: Int32Array;
  /** Per slot, the rule and its positions reached (reused from segment to segment). */
  private readonly slotRules: number[] = [];
  private readonly slotPositions: number[][] = [];
  private used = 0;
  private segment: PathSegment = { text: '', folded: '' };
  private readonly visitSteps: number;

  constructor(
    readonly index: RuleIndex,
    private readonly maxSteps: number,
  ) {
    this.slots = new Int32Array(index.rules.length).fill(-1);
    this.visitSteps = visitSteps(index.globs);
  }

  /** Enters `name` below `parent` (the root when `top`): whether it is ignored, and what goes on inside. */
  enter(parent: Folder, name: string, top: boolean, isFolder: boolean): Folder {
    const { index } = this;
    this.segment = { text: name, folded: foldCase(name) };
    this.steps += ENTER_STEPS + name.length;
    this.used = 0;
    this.start(index.floatingLiterals, index.floatingGlobs, 2);
    if (top) this.start(index.anchoredLiterals, index.anchoredGlobs, 1);
    for (let i = 0; i < parent.rules.length; i += 1) {
      const rule = parent.rules[i] as number;
      const { tokens } = index.rules[rule] as IgnoreRule;
      for (let at = parent.starts[i] as number; at < (parent.starts[i + 1] as number); at += 1) {
        const position = parent.positions[at] as number;
        const token = tokens[position] as RuleToken;
        this.steps += this.visitSteps;
        if (token === GLOBSTAR) this.reach(rule, position);
        else if (matchSegment(token, this.segment, this)) this.reach(rule, position + 1);
      }
      if (this.steps > this.maxSteps) throw EXHAUSTED;
    }
    let winner = isFolder ? index.everyFolder : index.everyFile;
    let open = 0;
    let total = 0;
    for (let slot = 0; slot < this.used; slot += 1) {
      const rule = this.slotRules[slot] as number;
      const positions = this.slotPositions[slot] as number[];
      const { tokens, dirOnly } = index.rules[rule] as IgnoreRule;
      this.slots[rule] = -1;
      if (positions[positions.length - 1] === tokens.length) {
        if (rule > winner && (isFolder || !dirOnly)) winner = rule;
        positions.pop();
      }
      if (positions.length > 0) open += 1;
      total += positions.length;
    }
    const ignored = winner >= 0 && !(index.rules[winner] as IgnoreRule).negative;
    return isFolder && open > 0 && !ignored ? this.pack(name, open, total) : quiet(name, ignored);
  }

  /** The folder `name` with the matches in progress of the slots used. */
  private pack(name: string, open: number, total: number): Folder {
    const folder = {
      name,
      ignored: false,
      rules: new Int32Array(open),
      starts: new Int32Array(open + 1),
      positions: new Int32Array(total),
    };
    let i = 0;
    let at = 0;
    for (let slot = 0; slot < this.used; slot += 1) {
      const positions = this.slotPositions[slot] as number[];
      if (positions.length === 0) continue;
      folder.rules[i] = this.slotRules[slot] as number;
      folder.positions.set(positions, at);
      at += positions.length;
      i += 1;
      folder.starts[i] = at;
    }
    return folder;
  }

  /** Tries first tokens on the segment: plain names by one lookup, globs one by one. */
  private start(literals: ReadonlyMap<string, readonly number[]>, globs: readonly number[], after: number) {
    this.steps += 1;
    for (const rule of literals.get(this.segment.folded) ?? []) this.reach(rule, after);
    for (const rule of globs) {
      this.steps += START_STEPS;
      const token = (this.index.rules[rule] as IgnoreRule).tokens[after - 1] as RuleToken;
      if (token !== GLOBSTAR && matchSegment(token, this.segment, this)) this.reach(rule, after);
      if (this.steps > this.maxSteps) throw EXHAUSTED;
    }
  }

  /** Rule `rule` reached `position` (before closure) in the segment. */
  private reach(rule: number, position: number): void {
    const { tokens } = this.index.rules[rule] as IgnoreRule;
    let slot = this.slots[rule] as number;
    if (slot < 0) {
      this.steps += REACH_STEPS;
      slot = this.used;
      this.used += 1;
      this.slots[rule] = slot;
      this.slotRules[slot] = rule;
      this.slotPositions[slot] = [];
    }
    this.steps += 1;
    addPosition(this.slotPositions[slot] as number[], position, tokens);
  }
}
