/**
 * Bracket expressions of `.assetsignore` patterns (`[a-z]`, `[!._]`, `[[:digit:]]`), read with the
 * grammar of git's `wildmatch.c` as the `ignore` package (7.x) reads it: `!` or `^` negates; the first
 * member is taken as is (so `[]]` is `]`); `\` quotes a member; an out-of-order range keeps only its
 * lower bound; one of twelve POSIX classes by name (ASCII only, as git's). An unterminated expression or
 * an unknown class makes the whole pattern match nothing. The result is a list of code-unit ranges, not a
 * RegExp: a V8 RegExp slows down tenfold once thousands of them are in use (a hostile rule set).
 */

/** A bracket expression: code-unit ranges `[from, to]` packed in pairs, possibly negated. */
export interface CharClass {
  readonly negated: boolean;
  readonly ranges: Uint16Array;
}

const code = (char: string) => char.charCodeAt(0);
const ASCII_RANGES = (spec: string): number[] =>
  spec
    .split(',')
    .flatMap((part) => (part.length === 1 ? [code(part), code(part)] : [code(part), code(part.slice(2))]));

/** git's classes as the `ignore` package spells them (`[:graph:]` and `[:punct:]` leave out `/`). */
const POSIX_CLASSES: ReadonlyMap<string, readonly number[]> = new Map([
  ['alnum', ASCII_RANGES('0-9,A-Z,a-z')],
  ['alpha', ASCII_RANGES('A-Z,a-z')],
  ['blank', [0x20, 0x20, 0x09, 0x09]],
  ['cntrl', [0x00, 0x1f, 0x7f, 0x7f]],
  ['digit', ASCII_RANGES('0-9')],
  ['graph', ASCII_RANGES('!-.,0-~')],
  ['lower', ASCII_RANGES('a-z')],
  ['print', [0x20, 0x2e, 0x30, 0x7e]],
  ['punct', ASCII_RANGES('!-.,:-@,[-`,{-~')],
  ['space', [0x20, 0x20, 0x09, 0x0a, 0x0d, 0x0d]],
  ['upper', ASCII_RANGES('A-Z')],
  ['xdigit', ASCII_RANGES('0-9,A-F,a-f')],
]);

/** The expression starting at `pattern[start] === '['` and where its `]` is; null when it never matches. */
export function scanBracket(pattern: string, start: number): { end: number; test: CharClass } | null {
  let index = start + 1;
  const negated = pattern[index] === '!' || pattern[index] === '^';
  if (negated) index += 1;
  const ranges: number[] = [];
  // The member a `-` may start a range from; '' right after a range or a class.
  let previous = '';
  const add = (char: string) => {
    ranges.push(code(char), code(char));
    previous = char;
  };
  for (;;) {
    const char = pattern[index];
    if (char === undefined) return null;
    if (char === '\\') {
      index += 1;
      const quoted = pattern[index];
      if (quoted === undefined) return null;
      add(quoted);
    } else if (char === '-' && previous !== '' && index + 1 < pattern.length && pattern[index + 1] !== ']') {
      index += 1;
      let to = pattern[index];
      if (to === '\\') {
        index += 1;
        to = pattern[index];
      }
      // The member before the `-` becomes the range's start; an out-of-order range leaves it alone.
      if (to !== undefined && previous <= to) ranges[ranges.length - 1] = code(to);
      previous = '';
    } else if (char === '[' && pattern[index + 1] === ':') {
      const nameStart = index + 2;
      const close = pattern.indexOf(']', nameStart);
      if (close < 0) return null;
      if (close > nameStart && pattern[close - 1] === ':') {
        const members = POSIX_CLASSES.get(pattern.slice(nameStart, close - 1));
        if (members === undefined) return null;
        ranges.push(...members);
        previous = '';
        index = close;
      } else {
        // No `:]`: the `[` is a member and reading goes on at the `:`.
        add('[');
      }
    } else {
      add(char);
    }
    index += 1;
    if (pattern[index] === ']') return { end: index, test: { negated, ranges: Uint16Array.from(ranges) } };
  }
}
