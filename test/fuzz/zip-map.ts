/**
 * A map of where every header field and variable-length part of a zip sits, for structure-aware
 * mutations: the fuzzer can then make one field lie (and keep everything else consistent) instead of
 * hitting random bytes. Mapping never throws: on a damaged archive it maps what it can find.
 */

import {
  CENTRAL,
  EOCD,
  type Field,
  type FieldRole,
  type Layout,
  LOCAL,
  type Region,
  type RegionRole,
  readField,
  SIG,
  SIG_DESCRIPTOR,
  SIG_LOCATOR,
  ZIP64_EOCD,
  ZIP64_LOCATOR,
  type ZipMap,
} from './zip-layout.js';

export type { Field, Region, ZipMap } from './zip-layout.js';
export { readField, writeField } from './zip-layout.js';

/** Records mapped at most: enough for every mutation, and cheap on archives with 50,000 entries. */
const MAX_MAPPED_RECORDS = 2000;

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
