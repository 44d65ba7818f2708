/**
 * The fixed-layout records of the zip format (APPNOTE 6.3.x, sections 4.3 and 4.5): pure parsers over
 * buffers. They check signatures and bounds and never trust a length without checking it.
 */
import { InvalidArtifactError } from '../errors.js';
import { readU64, readUnicodePath, resolveZip64 } from './zip-extra-fields.js';

export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;

export const LOCAL_HEADER_SIZE = 30;
export const CENTRAL_HEADER_SIZE = 46;
export const EOCD_SIZE = 22;
export const ZIP64_LOCATOR_SIZE = 20;
export const ZIP64_EOCD_SIZE = 56;
/** EOCD plus the longest possible archive comment: the tail that must hold the EOCD. */
export const MAX_EOCD_SEARCH = EOCD_SIZE + 0xffff;

/** General purpose flag bits. */
export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_STRONG_ENCRYPTION = 0x0040;
export const FLAG_UTF8 = 0x0800;

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

const corrupt = (message: string) => new InvalidArtifactError('artifact.corrupt', message);

/** The end-of-central-directory record (classic fields; saturated ones mean "see zip64"). */
export interface Eocd {
  disk: number;
  cdDisk: number;
  entriesOnDisk: number;
  entries: number;
  cdSize: number;
  cdOffset: number;
  commentLength: number;
}

export function parseEocd(buffer: Buffer, at: number): Eocd {
  return {
    disk: buffer.readUInt16LE(at + 4),
    cdDisk: buffer.readUInt16LE(at + 6),
    entriesOnDisk: buffer.readUInt16LE(at + 8),
    entries: buffer.readUInt16LE(at + 10),
    cdSize: buffer.readUInt32LE(at + 12),
    cdOffset: buffer.readUInt32LE(at + 16),
    commentLength: buffer.readUInt16LE(at + 20),
  };
}

/** True when any EOCD field is saturated, so the real value lives in the zip64 record. */
export const needsZip64 = (eocd: Eocd): boolean =>
  eocd.disk === U16_MAX ||
  eocd.cdDisk === U16_MAX ||
  eocd.entriesOnDisk === U16_MAX ||
  eocd.entries === U16_MAX ||
  eocd.cdSize === U32_MAX ||
  eocd.cdOffset === U32_MAX;

/** The zip64 end-of-central-directory record. */
export interface Zip64Eocd {
  /** Bytes after the 12-byte fixed prefix (signature + this size). */
  recordSize: number;
  disk: number;
  cdDisk: number;
  entriesOnDisk: number;
  entries: number;
  cdSize: number;
  cdOffset: number;
}

export function parseZip64Eocd(buffer: Buffer, at: number): Zip64Eocd {
  if (buffer.readUInt32LE(at) !== SIG_ZIP64_EOCD) throw corrupt('The zip64 end record is missing.');
  return {
    recordSize: readU64(buffer, at + 4, 'zip64 record size'),
    disk: buffer.readUInt32LE(at + 16),
    cdDisk: buffer.readUInt32LE(at + 20),
    entriesOnDisk: readU64(buffer, at + 24, 'entry count'),
    entries: readU64(buffer, at + 32, 'entry count'),
    cdSize: readU64(buffer, at + 40, 'central directory size'),
    cdOffset: readU64(buffer, at + 48, 'central directory offset'),
  };
}

/** One central directory record, with zip64 sizes resolved. Buffers are views of the parsed window. */
export interface CentralRecord {
  versionMadeBy: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  diskStart: number;
  externalAttributes: number;
  offset: number;
  rawName: Buffer;
  /** The Info-ZIP Unicode Path extra field (0x7075), when present and matching the name. */
  unicodePath?: Buffer;
  /** Total record length (header + name + extra + comment). */
  length: number;
}

/** Parses the central record at `at`; `end` bounds it (the central directory end in this buffer). */
export function parseCentralRecord(buffer: Buffer, at: number, end: number): CentralRecord {
  if (at + CENTRAL_HEADER_SIZE > end || buffer.readUInt32LE(at) !== SIG_CENTRAL) {
    throw corrupt('The central directory is truncated or malformed.');
  }
  const nameLength = buffer.readUInt16LE(at + 28);
  const extraLength = buffer.readUInt16LE(at + 30);
  const commentLength = buffer.readUInt16LE(at + 32);
  const length = CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
  if (at + length > end) throw corrupt('The central directory is truncated or malformed.');
  const nameStart = at + CENTRAL_HEADER_SIZE;
  const extra = buffer.subarray(nameStart + nameLength, nameStart + nameLength + extraLength);
  const rawName = buffer.subarray(nameStart, nameStart + nameLength);
  const fields = {
    size: buffer.readUInt32LE(at + 24),
    compressedSize: buffer.readUInt32LE(at + 20),
    offset: buffer.readUInt32LE(at + 42),
    diskStart: buffer.readUInt16LE(at + 34),
  };
  resolveZip64(extra, fields);
  const record: CentralRecord = {
    versionMadeBy: buffer.readUInt16LE(at + 4),
    flags: buffer.readUInt16LE(at + 8),
    method: buffer.readUInt16LE(at + 10),
    crc32: buffer.readUInt32LE(at + 16),
    compressedSize: fields.compressedSize,
    size: fields.size,
    diskStart: fields.diskStart,
    externalAttributes: buffer.readUInt32LE(at + 38),
    offset: fields.offset,
    rawName,
    length,
  };
  const unicodePath = readUnicodePath(extra, rawName);
  if (unicodePath !== undefined) record.unicodePath = unicodePath;
  return record;
}

/** A local file header: what an entry's bytes begin with. */
export interface LocalHeader {
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  nameLength: number;
  extraLength: number;
}

/** Parses the fixed 30 bytes of a local header (signature checked by the caller's message). */
export function parseLocalHeader(buffer: Buffer, at = 0): LocalHeader | undefined {
  if (buffer.length < at + LOCAL_HEADER_SIZE || buffer.readUInt32LE(at) !== SIG_LOCAL) return undefined;
  return {
    flags: buffer.readUInt16LE(at + 6),
    method: buffer.readUInt16LE(at + 8),
    crc32: buffer.readUInt32LE(at + 14),
    compressedSize: buffer.readUInt32LE(at + 18),
    size: buffer.readUInt32LE(at + 22),
    nameLength: buffer.readUInt16LE(at + 26),
    extraLength: buffer.readUInt16LE(at + 28),
  };
}

/** Resolves a local header's zip64 sizes from its extra field (only the two size fields live there). */
export function resolveLocalSizes(
  header: LocalHeader,
  extra: Buffer,
): { size: number; compressedSize: number } {
  const fields = { size: header.size, compressedSize: header.compressedSize };
  resolveZip64(extra, fields);
  return fields;
}
