/**
 * One path segment of an `.assetsignore` pattern: literal characters, `?`, bracket expressions and `*`,
 * never `/`. Matched as the `ignore` package (which Wrangler uses) matches: case-insensitively, one UTF-16
 * code unit at a time, as a JavaScript RegExp with the `i` flag and without `u` would. The pieces between
 * stars are placed leftmost and never taken back, so a match costs at most |glob| x |segment| steps,
 * whatever the pattern (a backtracking regex costs |segment| to the power of the number of stars).
 */
import type { CharClass } from './ignore-bracket.js';
import { caseTable, foldUnit } from './ignore-case.js';

export { foldCase } from './ignore-case.js';

/** One code unit of a piece: a case-folded code unit, {@link ANY_UNIT} (`?`), or a bracket expression. */
export type UnitTest = number | CharClass;
/** `?`: any code unit (a segment never holds `/`). */
export const ANY_UNIT = -1;

/**
 * A run of units between stars: its case-folded text, and per unit tests when it holds a `?` or a
 * bracket expression (plain text is compared natively, which also keeps a long rule set compact).
 */
export interface Piece {
  readonly folded: string;
  readonly tests: readonly UnitTest[] | undefined;
}

/** A glob for one segment: `pieces` joined by stars (`starred`), or a single piece matched whole. */
export interface SegmentGlob {
  readonly pieces: readonly Piece[];
  readonly starred: boolean;
  /** The case-folded text when the glob has no wildcard: compared with `===`. */
  readonly literal: string | undefined;
  /** The fewest code units a matching segment has. */
  readonly minLength: number;
}

/** A path segment and its case-folded form (see {@link foldCase}). */
export interface PathSegment {
  readonly text: string;
  readonly folded: string;
}

/** Counts matching work; {@link matchSegment} adds about one step per code unit it compares. */
export interface StepMeter {
  steps: number;
}

const EMPTY: Piece = { folded: '', tests: undefined };
/** The star glob that matches any segment (`*`). */
export const ANY_SEGMENT: SegmentGlob = {
  pieces: [EMPTY, EMPTY],
  starred: true,
  literal: undefined,
  minLength: 0,
};

/** The test for the literal code unit `unit`. */
export const literalUnit = (unit: string): UnitTest => foldUnit(unit.charCodeAt(0));

function buildPiece(units: readonly UnitTest[]): Piece {
  const plain = units.every((unit) => typeof unit === 'number' && unit >= 0);
  // A unit that is not plain text stands in the folded text as a code unit no segment compares against.
  const folded = String.fromCharCode(
    ...units.map((unit) => (typeof unit === 'number' && unit >= 0 ? unit : 0)),
  );
  return { folded, tests: plain ? undefined : units };
}

/** Builds a glob from its units and stars (`'*'`); consecutive stars are one star. */
export function buildSegmentGlob(units: ReadonlyArray<UnitTest | '*'>): SegmentGlob {
  const runs: UnitTest[][] = [[]];
  for (const unit of units) {
    if (unit !== '*') (runs[runs.length - 1] as UnitTest[]).push(unit);
    else if (runs.length === 1 || (runs[runs.length - 1] as UnitTest[]).length > 0) runs.push([]);
  }
  const pieces = runs.map(buildPiece);
  const starred = pieces.length > 1;
  const [only] = pieces;
  const literal = !starred && only !== undefined && only.tests === undefined ? only.folded : undefined;
  const minLength = pieces.reduce((sum, piece) => sum + piece.folded.length, 0);
  return { pieces, starred, literal, minLength };
}

/** A native comparison of `length` code units (startsWith, indexOf) costs about an eighth of a step each. */
const nativeSteps = (length: number) => 1 + (length >> 3);

/** True when `piece` matches `segment` at `at` (the caller keeps it inside the segment). */
function matchesAt(piece: Piece, segment: PathSegment, at: number, meter: StepMeter): boolean {
  const { folded, tests } = piece;
  if (tests === undefined) {
    meter.steps += nativeSteps(folded.length);
    return segment.folded.startsWith(folded, at);
  }
  meter.steps += folded.length;
  for (let i = 0; i < tests.length; i += 1) {
    const unit = tests[i] as UnitTest;
    if (typeof unit === 'number') {
      if (unit !== ANY_UNIT && segment.folded.charCodeAt(at + i) !== unit) return false;
    } else if (!classMatches(unit, segment.text.charCodeAt(at + i), meter)) return false;
  }
  return true;
}

/** True when a member of `charClass` has the canonical form of `unit` (or, negated, none has). */
function classMatches(charClass: CharClass, unit: number, meter: StepMeter): boolean {
  const { canonical, starts, members } = caseTable();
  const { ranges } = charClass;
  const key = canonical[unit] as number;
  const from = starts[key] as number;
  const to = starts[key + 1] as number;
  meter.steps += (to - from) * (ranges.length / 2);
  for (let at = from; at < to; at += 1) {
    const member = members[at] as number;
    for (let r = 0; r < ranges.length; r += 2) {
      if (member >= (ranges[r] as number) && member <= (ranges[r + 1] as number)) return !charClass.negated;
    }
  }
  return charClass.negated;
}

/** The leftmost place from `from` where `piece` fits before `end`, or -1. */
function findPiece(piece: Piece, segment: PathSegment, from: number, end: number, meter: StepMeter): number {
  const last = end - piece.folded.length;
  if (piece.tests === undefined) {
    const found = segment.folded.indexOf(piece.folded, from);
    // indexOf compares at most |piece| units per place it tries, up to the end of the segment.
    const tried = (found < 0 ? segment.folded.length - piece.folded.length : found) - from + 1;
    meter.steps += Math.max(tried, 0) * nativeSteps(piece.folded.length);
    return found >= 0 && found <= last ? found : -1;
  }
  for (let at = from; at <= last; at += 1) if (matchesAt(piece, segment, at, meter)) return at;
  return -1;
}

/** True when `glob` matches the whole of `segment`. */
export function matchSegment(glob: SegmentGlob, segment: PathSegment, meter: StepMeter): boolean {
  meter.steps += 1;
  if (glob.literal !== undefined) return glob.literal === segment.folded;
  const length = segment.text.length;
  const { pieces } = glob;
  const first = pieces[0] as Piece;
  if (!glob.starred) return length === first.folded.length && matchesAt(first, segment, 0, meter);
  const last = pieces[pieces.length - 1] as Piece;
  if (length < glob.minLength) return false;
  const lastAt = length - last.folded.length;
  if (!matchesAt(first, segment, 0, meter) || !matchesAt(last, segment, lastAt, meter)) return false;
  // Each middle piece at its leftmost place: the stars around it absorb whatever is left over.
  let at = first.folded.length;
  for (let p = 1; p < pieces.length - 1; p += 1) {
    const piece = pieces[p] as Piece;
    at = findPiece(piece, segment, at, lastAt, meter);
    if (at < 0) return false;
    at += piece.folded.length;
  }
  return true;
}
