/**
 * Edits on a mapped zip: replace a byte range and, when asked, repair what the edit would otherwise break
 * (the length fields of every part that contains it, every absolute offset behind it, the record
 * counts), so a mutation can change exactly one thing about an archive and keep the rest consistent.
 */
import { type Field, type Region, readField, writeField, type ZipMap } from './zip-map.js';

export interface SpliceOptions {
  /** Repair lengths, offsets and counts (otherwise the edit leaves them lying). */
  fix: boolean;
  /** The part being edited: its length fields change even when the edit is at its very end. */
  region?: Region | undefined;
  /** Added to the end records' entry counts (a record was added or dropped). */
  countDelta?: number;
}

const saturated = (field: Field, value: number) =>
  (field.width === 2 && value === 0xffff) || (field.width === 4 && value === 0xffffffff);

/** Regions that hold other regions; the rest (names, extra blocks, comments, data) are leaves. */
const CONTAINERS = new Set<Region['role']>(['central-directory', 'central-record', 'extra', 'zip64-record']);

/**
 * Whether an edit of `[at, at + remove)` changes `region`'s length: the edited region itself, and every
 * container around it (or, without an edited region, around the edit). Zero-length regions touch their
 * neighbours, so containment alone would also lengthen the name that ends where an empty extra starts.
 */
function affected(region: Region, at: number, remove: number, edited: Region | undefined): boolean {
  if (region === edited) return true;
  if (!CONTAINERS.has(region.role)) return false;
  const [from, to] = edited === undefined ? [at, at + remove] : [edited.at, edited.at + edited.length];
  return region.length > 0 && region.at <= from && to <= region.at + region.length;
}

/** Replaces `bytes[at, at + remove)` with `insert`; returns the new archive. */
export function splice(
  bytes: Buffer,
  map: ZipMap,
  at: number,
  remove: number,
  insert: Buffer,
  options: SpliceOptions,
): Buffer {
  const out = Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at + remove)]);
  if (!options.fix) return out;
  const delta = insert.length - remove;
  // Where a field of the old archive is in the new one (undefined: it was cut out).
  const moved = (field: Field): Field | undefined => {
    if (field.at + field.width <= at) return field;
    if (field.at >= at + remove) return { ...field, at: field.at + delta };
    return undefined;
  };
  const adjust = (field: Field, by: number) => {
    const target = moved(field);
    if (target === undefined) return;
    const value = readField(bytes, field);
    if (!saturated(field, value)) writeField(out, target, Math.max(0, value + by));
  };
  const lengthFields = new Map<number, Field>();
  for (const region of map.regions) {
    if (affected(region, at, remove, options.region))
      for (const field of region.lengthFields) lengthFields.set(field.at, field);
  }
  for (const field of lengthFields.values()) adjust(field, delta);
  for (const field of map.fields) {
    if (field.role !== 'offset') continue;
    const value = readField(bytes, field);
    if (value >= at + remove) adjust(field, delta);
    else if (value > at) adjust(field, at - value);
  }
  if (options.countDelta !== undefined) {
    for (const field of map.countFields) adjust(field, options.countDelta);
  }
  return out;
}

/** A copy of `bytes` with `field` set to `value`. */
export function withField(bytes: Buffer, field: Field, value: number | bigint): Buffer {
  const out = Buffer.from(bytes);
  writeField(out, field, value);
  return out;
}
