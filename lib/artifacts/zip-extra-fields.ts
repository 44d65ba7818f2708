/**
 * Extra fields (APPNOTE 4.5): the zip64 extended information that replaces saturated sizes and offsets,
 * and Info-ZIP's Unicode Path field. Other fields are skipped.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { InvalidArtifactError } from '../errors.js';

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

const corrupt = (message: string) => new InvalidArtifactError('artifact.corrupt', message);

/** Reads a little-endian u64 that must fit a JavaScript number exactly. */
export function readU64(buffer: Buffer, at: number, what: string): number {
  const value = buffer.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`The archive declares an impossible ${what}.`);
  return Number(value);
}

/** Extra field ids we read. */
const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;

/** Walks the extra field blocks of `extra`, calling `visit` for each one. */
function forEachExtra(extra: Buffer, visit: (id: number, data: Buffer) => void): void {
  let at = 0;
  while (at + 4 <= extra.length) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    // Some tools pad or truncate the extra area; what cannot be a block ends the walk (a zip64 field that
    // is needed but missing is still an error, raised by the caller).
    if (at + 4 + size > extra.length) return;
    visit(id, extra.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
}

/** The zip64 extended information: the saturated fields, in APPNOTE order. */
export function resolveZip64(
  extra: Buffer,
  fields: { size: number; compressedSize: number; offset?: number; diskStart?: number },
): void {
  let data: Buffer | undefined;
  forEachExtra(extra, (id, block) => {
    if (id === EXTRA_ZIP64) data = block;
  });
  const wanted = (['size', 'compressedSize', 'offset'] as const).filter((key) => fields[key] === U32_MAX);
  const wantsDisk = fields.diskStart === U16_MAX;
  if (wanted.length === 0 && !wantsDisk) return;
  if (data === undefined) throw corrupt('A zip64 size or offset has no zip64 extra field.');
  let at = 0;
  for (const key of wanted) {
    if (at + 8 > data.length) throw corrupt('A zip64 extra field is too short.');
    fields[key] = readU64(data, at, 'entry size or offset');
    at += 8;
  }
  if (wantsDisk) {
    if (at + 4 > data.length) throw corrupt('A zip64 extra field is too short.');
    fields.diskStart = data.readUInt32LE(at);
  }
}

/** The 0x7075 field: version 1, CRC-32 of the raw name it replaces, then the UTF-8 name. */
export function readUnicodePath(extra: Buffer, rawName: Buffer): Buffer | undefined {
  let result: Buffer | undefined;
  forEachExtra(extra, (id, data) => {
    if (id !== EXTRA_UNICODE_PATH || data.length < 5 || data[0] !== 1) return;
    // A stale field (the name was changed by a tool that kept the extra) is ignored, as APPNOTE says.
    if (data.readUInt32LE(1) === crc32Of(rawName)) result = data.subarray(5);
  });
  return result;
}

const crc32Of = (data: Buffer): number => zlibCrc32(data) >>> 0;
