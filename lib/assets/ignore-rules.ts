/**
 * `.assetsignore` lines compiled into rules with gitignore semantics, read as the `ignore` package reads
 * them for Wrangler: `#` comments, `!` negation, trailing spaces dropped unless quoted with `\`, `\x` for a
 * literal `x`, `?`, `*`, bracket expressions, `**` as a whole segment (`**\/a` at any depth, `a/**\/b` zero or
 * more folders between, `a/**` everything inside), a trailing `/` for folders only, and a pattern without
 * an inner `/` matching at any depth. One difference, for a construct no real file uses: `\/` is a
 * separator like `/` (the `ignore` package gives it odd regex-level meanings).
 */
import { scanBracket } from './ignore-bracket.js';
import {
  ANY_SEGMENT,
  ANY_UNIT,
  buildSegmentGlob,
  literalUnit,
  type SegmentGlob,
  type UnitTest,
} from './ignore-glob.js';

/** A `**` segment: any number of path segments, none included. */
export const GLOBSTAR = '**';

/** What a rule matches, segment by segment: globs for one segment each, or {@link GLOBSTAR}. */
export type RuleToken = SegmentGlob | typeof GLOBSTAR;

/** One compiled rule. A path (or folder) matches when its segments match `tokens` from the first. */
export interface IgnoreRule {
  /** `!pattern`: a match keeps the path instead. */
  readonly negative: boolean;
  /** `pattern/`: matches folders only. */
  readonly dirOnly: boolean;
  /** Never two globstars in a row; a rule that may match at any depth starts with one. */
  readonly tokens: readonly RuleToken[];
}

/** The `ignore` package's trimming: trailing spaces and a final `\r` go, a quoted `\ ` keeps one space. */
function trimEnd(body: string): string {
  let lineEnd = body.length;
  if (body[lineEnd - 1] === '\r') lineEnd -= 1;
  let end = lineEnd;
  while (body[end - 1] === ' ') end -= 1;
  if (end === lineEnd) return body.slice(0, lineEnd);
  let backslashes = 0;
  while (body[end - backslashes - 1] === '\\') backslashes += 1;
  return backslashes % 2 === 1 ? `${body.slice(0, end - 1)} ` : body.slice(0, end);
}

/** The pattern of a line and whether it negates; undefined for comments, blank lines and a dangling `\`. */
export function patternOf(line: string): { body: string; negative: boolean } | undefined {
  if (line.startsWith('#')) return undefined;
  const negative = line.startsWith('!');
  let body = negative ? line.slice(1) : line;
  if (body.endsWith(' ') || body.endsWith('\r')) body = trimEnd(body);
  const backslashes = body.length - body.replace(/\\+$/, '').length;
  return body === '' || backslashes % 2 === 1 ? undefined : { body, negative };
}

interface RawSegment {
  /** The segment as written (a key for sharing its glob). */
  source: string;
  units: Array<UnitTest | '*'>;
  /** Only unescaped stars, at least two: `**`. */
  globstar: boolean;
}

/** Splits a pattern into segments of units; null when it can match nothing (git gives up on it). */
function splitSegments(body: string): RawSegment[] | null {
  const segments: RawSegment[] = [];
  let units: Array<UnitTest | '*'> = [];
  let stars = 0;
  let start = 0;
  const close = (end: number, next: number) => {
    segments.push({ source: body.slice(start, end), units, globstar: stars >= 2 && stars === units.length });
    units = [];
    stars = 0;
    start = next;
  };
  for (let i = 0; i < body.length; i += 1) {
    const char = body.charAt(i);
    if (char === '\\') {
      i += 1;
      const quoted = body.charAt(i);
      if (quoted !== '/') units.push(literalUnit(quoted));
      else if (i === body.length - 1) return null;
      else close(i - 1, i + 1);
    } else if (char === '/') {
      close(i, i + 1);
    } else if (char === '[') {
      const bracket = scanBracket(body, i);
      if (bracket === null) return null;
      units.push(bracket.test);
      i = bracket.end;
    } else if (char === '*') {
      units.push('*');
      stars += 1;
    } else {
      units.push(char === '?' ? ANY_UNIT : literalUnit(char));
    }
  }
  close(body.length, body.length);
  return segments;
}

function sharedGlob(globs: Map<string, SegmentGlob>, segment: RawSegment): SegmentGlob {
  const known = globs.get(segment.source);
  if (known !== undefined) return known;
  const glob = buildSegmentGlob(segment.units);
  globs.set(segment.source, glob);
  return glob;
}

/**
 * Compiles one pattern; undefined when it can never match. `globs` shares one glob between equal
 * segments of the rules of a file, which keeps a long, repetitive file small.
 */
export function compileRule(
  pattern: string,
  negative: boolean,
  globs: Map<string, SegmentGlob> = new Map(),
): IgnoreRule | undefined {
  const body = /^\/\*{2,}$/.test(pattern) ? '**' : pattern;
  const segments = splitSegments(body);
  if (segments === null) return undefined;
  const leadingSlash = body.startsWith('/');
  if (leadingSlash) segments.shift();
  // `**/` in front (after an optional `/`): the rest may match at any depth.
  let floating = false;
  while (segments.length > 1 && segments[0]?.globstar === true) {
    segments.shift();
    floating = true;
  }
  const dirOnly = body.length > 1 && body.endsWith('/');
  if (dirOnly) segments.pop();
  // Without a `/` other than a final one, a pattern matches at any depth.
  if (!leadingSlash && !/\/(?!$)/.test(body)) floating = true;
  if (!floating && segments.length === 0) return undefined;
  const tokens: RuleToken[] = floating ? [GLOBSTAR] : [];
  segments.forEach((segment, index) => {
    if (!segment.globstar) tokens.push(sharedGlob(globs, segment));
    // A final `**` needs one segment more (`a/**` is what is inside `a`, not `a` itself).
    else if (index === segments.length - 1) tokens.push(ANY_SEGMENT, GLOBSTAR);
    if (segment.globstar && tokens[tokens.length - 1] !== GLOBSTAR) tokens.push(GLOBSTAR);
  });
  return { negative, dirOnly, tokens };
}
