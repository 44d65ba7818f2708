/**
 * A hand-made zip writer for tests: every header field can be set or made to lie, so tests build the
 * archives real producers never write (overlaps, wrong sizes, renamed local headers, odd methods, zip64
 * records, fake EOCDs in comments). Follows APPNOTE 6.3.x; defaults produce a valid archive.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntrySpec {
  name: string | Buffer;
  /** Uncompressed content (default empty). */
  data?: Buffer | string;
  /** Compression method written in both headers (default 8 for non-empty data, else 0). */
  method?: number;
  /** The bytes stored as the entry's data (default: deflate or the data itself). */
  compressed?: Buffer;
  /** Set the UTF-8 name flag (default: when a string name is not ASCII). */
  utf8?: boolean;
  /** Extra general-purpose flag bits. */
  flags?: number;
  /** Bit 3: zero CRC and sizes in the local header, then a data descriptor (with signature). */
  dataDescriptor?: boolean;
  /** Sizes (and offset) as zip64 extra fields with 0xFFFFFFFF markers. */
  zip64?: boolean;
  versionMadeBy?: number;
  externalAttributes?: number;
  /** Lies: declared CRC and sizes (both headers). */
  crc32?: number;
  size?: number;
  compressedSize?: number;
  /** Lies in the local header only. */
  localName?: string | Buffer;
  localMethod?: number;
  localCrc32?: number;
  centralExtra?: Buffer;
  localExtra?: Buffer;
  /** Point the central record at another local header offset. */
  centralOffset?: number;
  /** Point the central record at the local header of the entry with this index. */
  sameOffsetAs?: number;
  diskStart?: number;
}

export interface ZipSpec {
  comment?: string | Buffer;
  /** Write zip64 end records (and saturate the classic EOCD fields). */
  zip64End?: boolean;
  /** Bytes before the first entry. */
  prefix?: Buffer;
  /** Lies in the EOCD. */
  entryCount?: number;
  cdOffset?: number;
  cdSize?: number;
  eocdDisk?: number;
}

const u16 = (value: number) => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
};
const u32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
};
const u64 = (value: number) => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
};
const asBuffer = (value: string | Buffer) => (typeof value === 'string' ? Buffer.from(value) : value);
const extra = (id: number, data: Buffer) => Buffer.concat([u16(id), u16(data.length), data]);
const DOS_TIME = u16(0);
const DOS_DATE = u16(((2024 - 1980) << 9) | (1 << 5) | 1);

/** Builds the archive. */
export function buildZip(entries: readonly ZipEntrySpec[], spec: ZipSpec = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  const offsets: number[] = [];
  let offset = spec.prefix?.length ?? 0;
  if (spec.prefix !== undefined) parts.push(spec.prefix);
  for (const entry of entries) {
    const data = asBuffer(entry.data ?? '');
    const method = entry.method ?? (data.length > 0 ? 8 : 0);
    const compressed = entry.compressed ?? (method === 8 ? deflateRawSync(data) : data);
    const name = asBuffer(entry.name);
    const utf8 = entry.utf8 ?? (typeof entry.name === 'string' && /[^\x20-\x7e]/.test(entry.name));
    const flags = (entry.flags ?? 0) | (utf8 ? 0x800 : 0) | (entry.dataDescriptor ? 0x8 : 0);
    const crc = entry.crc32 ?? crc32(data) >>> 0;
    const size = entry.size ?? data.length;
    const compressedSize = entry.compressedSize ?? compressed.length;
    const zip64 = entry.zip64 === true;
    const localName = entry.localName === undefined ? name : asBuffer(entry.localName);
    const localExtra = Buffer.concat([
      zip64
        ? extra(
            1,
            Buffer.concat([
              u64(entry.dataDescriptor ? 0 : size),
              u64(entry.dataDescriptor ? 0 : compressedSize),
            ]),
          )
        : Buffer.alloc(0),
      entry.localExtra ?? Buffer.alloc(0),
    ]);
    const declared = (value: number) => (entry.dataDescriptor ? 0 : zip64 ? 0xffffffff : value);
    const local = Buffer.concat([
      u32(0x04034b50),
      u16(zip64 ? 45 : 20),
      u16(flags),
      u16(entry.localMethod ?? method),
      DOS_TIME,
      DOS_DATE,
      u32(entry.dataDescriptor ? 0 : (entry.localCrc32 ?? crc)),
      u32(declared(compressedSize)),
      u32(declared(size)),
      u16(localName.length),
      u16(localExtra.length),
      localName,
      localExtra,
    ]);
    offsets.push(offset);
    parts.push(local, compressed);
    offset += local.length + compressed.length;
    if (entry.dataDescriptor) {
      const descriptor = zip64
        ? Buffer.concat([u32(0x08074b50), u32(crc), u64(compressedSize), u64(size)])
        : Buffer.concat([u32(0x08074b50), u32(crc), u32(compressedSize), u32(size)]);
      parts.push(descriptor);
      offset += descriptor.length;
    }
    const localOffset =
      entry.centralOffset ??
      (entry.sameOffsetAs === undefined ? offsets[offsets.length - 1] : offsets[entry.sameOffsetAs]) ??
      0;
    const centralExtra = Buffer.concat([
      zip64 ? extra(1, Buffer.concat([u64(size), u64(compressedSize), u64(localOffset)])) : Buffer.alloc(0),
      entry.centralExtra ?? Buffer.alloc(0),
    ]);
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(entry.versionMadeBy ?? 0x031e),
        u16(zip64 ? 45 : 20),
        u16(flags),
        u16(method),
        DOS_TIME,
        DOS_DATE,
        u32(crc),
        u32(zip64 ? 0xffffffff : compressedSize),
        u32(zip64 ? 0xffffffff : size),
        u16(name.length),
        u16(centralExtra.length),
        u16(0),
        u16(entry.diskStart ?? 0),
        u16(0),
        u32(entry.externalAttributes ?? (0o100644 << 16) >>> 0),
        u32(zip64 ? 0xffffffff : localOffset),
        name,
        centralExtra,
      ]),
    );
  }
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  parts.push(cd);
  offset += cd.length;
  const count = spec.entryCount ?? entries.length;
  const comment = asBuffer(spec.comment ?? '');
  if (spec.zip64End) {
    const record = Buffer.concat([
      u32(0x06064b50),
      u64(44),
      u16(45),
      u16(45),
      u32(0),
      u32(0),
      u64(count),
      u64(count),
      u64(spec.cdSize ?? cd.length),
      u64(spec.cdOffset ?? cdOffset),
    ]);
    const locator = Buffer.concat([u32(0x07064b50), u32(0), u64(offset), u32(1)]);
    parts.push(record, locator);
  }
  const saturate = (value: number, max: number) => (spec.zip64End ? max : value);
  parts.push(
    Buffer.concat([
      u32(0x06054b50),
      u16(spec.eocdDisk ?? 0),
      u16(spec.eocdDisk ?? 0),
      u16(saturate(count, 0xffff)),
      u16(saturate(count, 0xffff)),
      u32(saturate(spec.cdSize ?? cd.length, 0xffffffff)),
      u32(saturate(spec.cdOffset ?? cdOffset, 0xffffffff)),
      u16(comment.length),
      comment,
    ]),
  );
  return Buffer.concat(parts);
}

/** The offset of the first occurrence of `needle` after `from`, or throws. */
export function indexOfBytes(haystack: Buffer, needle: Buffer | string, from = 0): number {
  const at = haystack.indexOf(needle, from);
  if (at < 0) throw new Error(`bytes not found: ${needle.toString()}`);
  return at;
}

/** Offset of the local header of `name` (the first header whose name follows at +30). */
export function localHeaderOffset(zip: Buffer, name: string): number {
  const signature = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
  for (let at = zip.indexOf(signature); at >= 0; at = zip.indexOf(signature, at + 1)) {
    const length = zip.readUInt16LE(at + 26);
    if (zip.subarray(at + 30, at + 30 + length).toString() === name) return at;
  }
  throw new Error(`no local header for ${name}`);
}

/** Offset of the central record of `name`. */
export function centralHeaderOffset(zip: Buffer, name: string): number {
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let at = zip.indexOf(signature); at >= 0; at = zip.indexOf(signature, at + 1)) {
    const length = zip.readUInt16LE(at + 28);
    if (zip.subarray(at + 46, at + 46 + length).toString() === name) return at;
  }
  throw new Error(`no central record for ${name}`);
}

/** A copy of `zip` with `patch` applied at `offset` (hand-patched header lies). */
export function patchBytes(zip: Buffer, offset: number, patch: (view: Buffer) => void): Buffer {
  const copy = Buffer.from(zip);
  patch(copy.subarray(offset));
  return copy;
}
