/**
 * Case-insensitive comparison as the `ignore` package gets it from a JavaScript RegExp with the `i` flag
 * and without `u` (ECMA-262 Canonicalize): code units compare equal when their upper cases are, where an
 * upper case of more than one code unit does not count and nothing outside ASCII folds into ASCII (so `ß`
 * stays `ß` and `ſ` is not `S`). A bracket expression matches a code unit when one of its members has the
 * same canonical form, so the table is kept in both directions. Built once, on first use (about 10 ms).
 */

const UNITS = 0x10000;

/** Canonicalize of every code unit, and the code units of each canonical form, grouped. */
export interface CaseTable {
  readonly canonical: Uint16Array;
  /** The code units whose canonical form is `c` are `members[starts[c]..starts[c + 1])`. */
  readonly starts: Uint32Array;
  readonly members: Uint16Array;
}

let table: CaseTable | undefined;

function buildTable(): CaseTable {
  const canonical = new Uint16Array(UNITS);
  for (let unit = 0; unit < UNITS; unit += 1) {
    const upper = String.fromCharCode(unit).toUpperCase();
    const folded = upper.length === 1 ? upper.charCodeAt(0) : unit;
    canonical[unit] = unit >= 128 && folded < 128 ? unit : folded;
  }
  // Counting sort of the code units by canonical form.
  const counts = new Uint32Array(UNITS);
  for (const key of canonical) counts[key] = (counts[key] as number) + 1;
  const starts = new Uint32Array(UNITS + 1);
  for (let key = 0; key < UNITS; key += 1)
    starts[key + 1] = (starts[key] as number) + (counts[key] as number);
  const members = new Uint16Array(UNITS);
  const filled = starts.slice(0, UNITS);
  for (let unit = 0; unit < UNITS; unit += 1) {
    const key = canonical[unit] as number;
    const at = filled[key] as number;
    members[at] = unit;
    filled[key] = at + 1;
  }
  return { canonical, starts, members };
}

/** The table, built on first use. */
export const caseTable = (): CaseTable => {
  table ??= buildTable();
  return table;
};

const NON_ASCII = /[\u0080-\uffff]/;

/** `text` with every code unit replaced by its canonical form. */
export function foldCase(text: string): string {
  if (!NON_ASCII.test(text)) return text.toUpperCase();
  const { canonical } = caseTable();
  let folded = '';
  for (let i = 0; i < text.length; i += 1)
    folded += String.fromCharCode(canonical[text.charCodeAt(i)] as number);
  return folded;
}

/** The canonical form of the code unit `unit`. */
export const foldUnit = (unit: number): number => caseTable().canonical[unit] as number;
