/**
 * The zip records' fixed layouts (APPNOTE 4.3), field by field with what each field means, and the
 * types of a {@link ZipMap}: the vocabulary of the structure-aware mutations.
 */

/** What a field means, which decides the values a mutation tries and how an edit shifts it. */
export type FieldRole =
  | 'signature'
  | 'version'
  | 'flags'
  | 'method'
  | 'time'
  | 'crc'
  | 'size'
  | 'offset'
  | 'count'
  | 'length'
  | 'disk'
  | 'attributes'
  | 'extra-id';

/** A fixed-width little-endian field. `offset` fields hold absolute archive offsets. */
export interface Field {
  label: string;
  at: number;
  width: 2 | 4 | 8;
  role: FieldRole;
}

export type RegionRole =
  | 'name'
  | 'extra'
  | 'extra-data'
  | 'comment'
  | 'data'
  | 'central-directory'
  | 'central-record'
  | 'zip64-record';

/** A variable-length part; `lengthFields` are the fields that must change when it grows or shrinks. */
export interface Region {
  label: string;
  at: number;
  length: number;
  role: RegionRole;
  lengthFields: Field[];
}

export interface ZipMap {
  fields: Field[];
  regions: Region[];
  /** Offsets of the central records found (in order). */
  centralRecords: number[];
  /** The count fields of the end records (changed when records are added or dropped). */
  countFields: Field[];
}

export type Layout = ReadonlyArray<readonly [string, 2 | 4 | 8, FieldRole]>;

export const LOCAL: Layout = [
  ['signature', 4, 'signature'],
  ['versionNeeded', 2, 'version'],
  ['flags', 2, 'flags'],
  ['method', 2, 'method'],
  ['time', 2, 'time'],
  ['date', 2, 'time'],
  ['crc32', 4, 'crc'],
  ['compressedSize', 4, 'size'],
  ['size', 4, 'size'],
  ['nameLength', 2, 'length'],
  ['extraLength', 2, 'length'],
];
export const CENTRAL: Layout = [
  ['signature', 4, 'signature'],
  ['versionMadeBy', 2, 'version'],
  ['versionNeeded', 2, 'version'],
  ['flags', 2, 'flags'],
  ['method', 2, 'method'],
  ['time', 2, 'time'],
  ['date', 2, 'time'],
  ['crc32', 4, 'crc'],
  ['compressedSize', 4, 'size'],
  ['size', 4, 'size'],
  ['nameLength', 2, 'length'],
  ['extraLength', 2, 'length'],
  ['commentLength', 2, 'length'],
  ['diskStart', 2, 'disk'],
  ['internalAttributes', 2, 'attributes'],
  ['externalAttributes', 4, 'attributes'],
  ['localOffset', 4, 'offset'],
];
export const EOCD: Layout = [
  ['signature', 4, 'signature'],
  ['disk', 2, 'disk'],
  ['cdDisk', 2, 'disk'],
  ['entriesOnDisk', 2, 'count'],
  ['entries', 2, 'count'],
  ['cdSize', 4, 'size'],
  ['cdOffset', 4, 'offset'],
  ['commentLength', 2, 'length'],
];
export const ZIP64_EOCD: Layout = [
  ['signature', 4, 'signature'],
  ['recordSize', 8, 'length'],
  ['versionMadeBy', 2, 'version'],
  ['versionNeeded', 2, 'version'],
  ['disk', 4, 'disk'],
  ['cdDisk', 4, 'disk'],
  ['entriesOnDisk', 8, 'count'],
  ['entries', 8, 'count'],
  ['cdSize', 8, 'size'],
  ['cdOffset', 8, 'offset'],
];
export const ZIP64_LOCATOR: Layout = [
  ['signature', 4, 'signature'],
  ['disk', 4, 'disk'],
  ['recordOffset', 8, 'offset'],
  ['totalDisks', 4, 'disk'],
];

export const SIG = { local: 0x04034b50, central: 0x02014b50, eocd: 0x06054b50, zip64: 0x06064b50 } as const;
export const SIG_LOCATOR = 0x07064b50;
export const SIG_DESCRIPTOR = 0x08074b50;

/** Reads a field's value (u64 as a number; precision beyond 2^53 does not matter to a mutator). */
export function readField(bytes: Buffer, field: Field): number {
  if (field.at + field.width > bytes.length) return 0;
  if (field.width === 2) return bytes.readUInt16LE(field.at);
  if (field.width === 4) return bytes.readUInt32LE(field.at);
  return Number(bytes.readBigUInt64LE(field.at));
}

/** Writes a field's value, truncated to its width. */
export function writeField(bytes: Buffer, field: Field, value: number | bigint): void {
  if (field.at + field.width > bytes.length) return;
  const big = BigInt.asUintN(field.width * 8, BigInt(value));
  if (field.width === 2) bytes.writeUInt16LE(Number(big), field.at);
  else if (field.width === 4) bytes.writeUInt32LE(Number(big), field.at);
  else bytes.writeBigUInt64LE(big, field.at);
}
