/**
 * A map of where every header field and variable-length part of a zip sits, for structure-aware
 * mutations: the fuzzer can then make one field lie (and keep everything else consistent) instead of
 * hitting random bytes. Mapping never throws: on a damaged archive it maps what it can find.
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

/** Records mapped at most: enough for every mutation, and cheap on archives with 50,000 entries. */
const MAX_MAPPED_RECORDS = 2000;

export interface ZipMap {
  fields: Field[];
  regions: Region[];
  /** Offsets of the central records found (in order). */
  centralRecords: number[];
  /** The count fields of the end records (changed when records are added or dropped). */
  countFields: Field[];
}

type Layout = ReadonlyArray<readonly [string, 2 | 4 | 8, FieldRole]>;

const LOCAL: Layout = [
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
const CENTRAL: Layout = [
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
const EOCD: Layout = [
  ['signature', 4, 'signature'],
  ['disk', 2, 'disk'],
  ['cdDisk', 2, 'disk'],
  ['entriesOnDisk', 2, 'count'],
  ['entries', 2, 'count'],
  ['cdSize', 4, 'size'],
  ['cdOffset', 4, 'offset'],
  ['commentLength', 2, 'length'],
];
const ZIP64_EOCD: Layout = [
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
const ZIP64_LOCATOR: Layout = [
  ['signature', 4, 'signature'],
  ['disk', 4, 'disk'],
  ['recordOffset', 8, 'offset'],
  ['totalDisks', 4, 'disk'],
];

export const SIG = { local: 0x04034b50, central: 0x02014b50, eocd: 0x06054b50, zip64: 0x06064b50 } as const;
const SIG_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;

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

const u32At = (bytes: Buffer, at: number) =>
  at >= 0 && at + 4 <= bytes.length ? bytes.readUInt32LE(at) : -1;
const u16At = (bytes: Buffer, at: number) =>
  at >= 0 && at + 2 <= bytes.length ? bytes.readUInt16LE(at) : -1;

class Mapper {
  readonly map: ZipMap = { fields: [], regions: [], centralRecords: [], countFields: [] };
  constructor(readonly bytes: Buffer) {}

  fields(prefix: string, at: number, layout: Layout): Record<string, Field> {
    const named: Record<string, Field> = {};
    let offset = at;
    for (const [name, width, role] of layout) {
      const field: Field = { label: `${prefix}.${name}`, at: offset, width, role };
      if (offset + width <= this.bytes.length) this.map.fields.push(field);
      named[name] = field;
      offset += width;
    }
    return named;
  }

  region(label: string, at: number, length: number, role: RegionRole, lengthFields: Field[]): Region {
    const region = {
      label,
      at,
      length: Math.max(0, Math.min(length, this.bytes.length - at)),
      role,
      lengthFields,
    };
    if (at <= this.bytes.length) this.map.regions.push(region);
    return region;
  }

  /** Extra blocks (id, size, data); zip64 blocks are split into their 8-byte values. */
  extra(prefix: string, at: number, length: number, areaLength: Field, zip64: readonly FieldRole[]): Field[] {
    const found: Field[] = [];
    const area = this.region(`${prefix}.extra`, at, length, 'extra', [areaLength]);
    let cursor = at;
    const end = area.at + area.length;
    for (let block = 0; cursor + 4 <= end; block += 1) {
      const [id, size] = Object.values(
        this.fields(`${prefix}.extra[${block}]`, cursor, [
          ['id', 2, 'extra-id'],
          ['size', 2, 'length'],
        ]),
      ) as [Field, Field];
      const dataLength = readField(this.bytes, size);
      if (cursor + 4 + dataLength > end) break;
      this.region(`${prefix}.extra[${block}].data`, cursor + 4, dataLength, 'extra-data', [size, areaLength]);
      if (readField(this.bytes, id) === 1 && found.length === 0) {
        for (let i = 0; i * 8 + 8 <= dataLength && i < zip64.length; i += 1) {
          const role = zip64[i] as FieldRole;
          const field: Field = { label: `${prefix}.zip64[${i}]`, at: cursor + 4 + i * 8, width: 8, role };
          this.map.fields.push(field);
          found.push(field);
        }
      }
      cursor += 4 + dataLength;
    }
    return found;
  }

  end(): { cdOffset: number; cdEnd: number; cdFields: Field[] } | undefined {
    const { bytes } = this;
    let at = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i -= 1) {
      if (bytes.readUInt32LE(i) !== SIG.eocd) continue;
      if (at < 0) at = i;
      if (i + 22 + bytes.readUInt16LE(i + 20) === bytes.length) {
        at = i;
        break;
      }
    }
    if (at < 0) return undefined;
    const eocd = this.fields('eocd', at, EOCD);
    this.region('eocd.comment', at + 22, bytes.length - at - 22, 'comment', [eocd.commentLength as Field]);
    this.map.countFields.push(eocd.entries as Field, eocd.entriesOnDisk as Field);
    const cdFields = [eocd.cdSize as Field];
    let cdOffset = readField(bytes, eocd.cdOffset as Field);
    let cdSize = readField(bytes, eocd.cdSize as Field);
    if (u32At(bytes, at - 20) === SIG_LOCATOR) {
      const locator = this.fields('zip64Locator', at - 20, ZIP64_LOCATOR);
      const recordAt = readField(bytes, locator.recordOffset as Field);
      if (u32At(bytes, recordAt) === SIG.zip64 && recordAt + 56 <= at - 20) {
        const record = this.fields('zip64Eocd', recordAt, ZIP64_EOCD);
        this.region('zip64Eocd', recordAt + 12, at - 20 - recordAt - 12, 'zip64-record', [
          record.recordSize as Field,
        ]);
        this.map.countFields.push(record.entries as Field, record.entriesOnDisk as Field);
        cdFields.push(record.cdSize as Field);
        if (cdOffset === 0xffffffff) cdOffset = readField(bytes, record.cdOffset as Field);
        if (cdSize === 0xffffffff) cdSize = readField(bytes, record.cdSize as Field);
      }
    }
    return { cdOffset, cdEnd: Math.min(bytes.length, cdOffset + cdSize), cdFields };
  }

  central(cdOffset: number, cdEnd: number, cdFields: Field[]): void {
    const { bytes } = this;
    this.region('centralDirectory', cdOffset, cdEnd - cdOffset, 'central-directory', cdFields);
    let at = cdOffset;
    for (
      let index = 0;
      u32At(bytes, at) === SIG.central && at + 46 <= bytes.length && index < MAX_MAPPED_RECORDS;
      index += 1
    ) {
      const prefix = `central[${index}]`;
      const record = this.fields(prefix, at, CENTRAL);
      const [name, extra, comment] = [28, 30, 32].map((offset) => bytes.readUInt16LE(at + offset)) as [
        number,
        number,
        number,
      ];
      this.map.centralRecords.push(at);
      this.region(prefix, at, 46 + name + extra + comment, 'central-record', []);
      this.region(`${prefix}.name`, at + 46, name, 'name', [record.nameLength as Field]);
      // The zip64 block holds only the saturated values, in this order.
      const saturated = (['size', 'compressedSize', 'localOffset'] as const).filter(
        (key) => readField(bytes, record[key] as Field) === 0xffffffff,
      );
      const roles = saturated.map((key): FieldRole => (key === 'localOffset' ? 'offset' : 'size'));
      const zip64 = this.extra(prefix, at + 46 + name, extra, record.extraLength as Field, roles);
      const resolved = (key: (typeof saturated)[number]): Field =>
        zip64[saturated.indexOf(key)] ?? (record[key] as Field);
      this.region(`${prefix}.comment`, at + 46 + name + extra, comment, 'comment', [
        record.commentLength as Field,
      ]);
      this.local(index, resolved('compressedSize'), resolved('localOffset'));
      at += 46 + name + extra + comment;
    }
  }

  local(index: number, centralCompressed: Field, centralOffset: Field): void {
    const { bytes } = this;
    const at = readField(bytes, centralOffset);
    if (u32At(bytes, at) !== SIG.local || at + 30 > bytes.length) return;
    const prefix = `local[${index}]`;
    const header = this.fields(prefix, at, LOCAL);
    const name = bytes.readUInt16LE(at + 26);
    const extra = bytes.readUInt16LE(at + 28);
    this.region(`${prefix}.name`, at + 30, name, 'name', [header.nameLength as Field]);
    const zip64 = this.extra(prefix, at + 30 + name, extra, header.extraLength as Field, ['size', 'size']);
    const compressed = readField(bytes, centralCompressed);
    const dataAt = at + 30 + name + extra;
    const localCompressed =
      readField(bytes, header.compressedSize as Field) === 0xffffffff ? zip64[1] : header.compressedSize;
    this.region(`${prefix}.data`, dataAt, compressed, 'data', [
      centralCompressed,
      ...(localCompressed === undefined ? [] : [localCompressed]),
    ]);
    if ((u16At(bytes, at + 6) & 0x8) !== 0) {
      const descriptorAt = dataAt + compressed;
      const signed = u32At(bytes, descriptorAt) === SIG_DESCRIPTOR ? 4 : 0;
      const width = extra > 0 && u16At(bytes, at + 30 + name) === 1 ? 8 : 4;
      this.fields(`${prefix}.descriptor`, descriptorAt + signed, [
        ['crc32', 4, 'crc'],
        ['compressedSize', width, 'size'],
        ['size', width, 'size'],
      ]);
    }
  }
}

/** Maps the archive's records, fields and variable parts (as far as they can be found). */
export function mapZip(bytes: Buffer): ZipMap {
  const mapper = new Mapper(bytes);
  try {
    const end = mapper.end();
    if (end !== undefined && end.cdOffset < bytes.length)
      mapper.central(end.cdOffset, end.cdEnd, end.cdFields);
  } catch {
    // A damaged archive can defeat the walk anywhere; what was mapped so far is still useful.
  }
  return mapper.map;
}
