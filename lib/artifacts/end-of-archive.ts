/**
 * Finds the central directory with ranged reads of the archive's tail. The EOCD is searched backwards and
 * must end exactly at the end of the archive (its comment length says so), which is what makes long
 * comments and stored nested zips near the end safe: see aws-notes §6 on unzipper's forward scan.
 */
import { InvalidArtifactError } from '../errors.js';
import type { ZipSource } from './types.js';
import {
  CENTRAL_HEADER_SIZE,
  EOCD_SIZE,
  MAX_EOCD_SEARCH,
  needsZip64,
  parseEocd,
  parseZip64Eocd,
  SIG_EOCD,
  SIG_LOCAL,
  SIG_ZIP64_LOCATOR,
  ZIP64_EOCD_SIZE,
  ZIP64_LOCATOR_SIZE,
} from './zip-records.js';

/** Where the central directory is, and how many records it declares. */
export interface CentralDirectoryLocation {
  offset: number;
  size: number;
  entries: number;
  /** Where the end records start: nothing of the central directory may reach past it. */
  end: number;
  zip64: boolean;
  /** The tail bytes already read (from `tailStart`): the central directory of a small archive is in it. */
  tail?: { start: number; bytes: Buffer };
}

const corrupt = (message: string) => new InvalidArtifactError('artifact.corrupt', message);
/** The first tail read: the EOCD with a comment of up to ~8 KiB, and usually the zip64 records. */
const FIRST_TAIL_BYTES = 8 * 1024;

/** The last EOCD in `tail` whose comment reaches exactly to the end of the archive. */
function findEocd(tail: Buffer): number {
  for (let at = tail.length - EOCD_SIZE; at >= 0; at -= 1) {
    if (tail.readUInt32LE(at) === SIG_EOCD && at + EOCD_SIZE + tail.readUInt16LE(at + 20) === tail.length) {
      return at;
    }
  }
  return -1;
}

/** Tells a truncated zip (it starts like one) from something that is not a zip at all. */
async function explainMissingEocd(source: ZipSource): Promise<InvalidArtifactError> {
  const head = source.size >= 4 ? await source.read(0, 4) : Buffer.alloc(0);
  if (head.length === 4 && head.readUInt32LE(0) === SIG_LOCAL) {
    return corrupt('The archive is truncated: its end of central directory record is missing.');
  }
  return new InvalidArtifactError('artifact.not-a-zip', 'The object is not a zip archive.');
}

/** Reads the last `length` bytes and finds the EOCD in them. */
async function readTail(
  source: ZipSource,
  length: number,
): Promise<{ tail: Buffer; tailStart: number; at: number }> {
  const tailLength = Math.min(source.size, length);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  if (tail.length !== tailLength) throw corrupt('The archive could not be read to its end.');
  return { tail, tailStart, at: findEocd(tail) };
}

/** Reads the end records and returns the validated central directory location. */
export async function locateCentralDirectory(source: ZipSource): Promise<CentralDirectoryLocation> {
  // Most archives have a short comment or none: try a small tail first, the longest possible one after.
  let { tail, tailStart, at } = await readTail(source, FIRST_TAIL_BYTES);
  if (at < 0 && tail.length < source.size) {
    ({ tail, tailStart, at } = await readTail(
      source,
      MAX_EOCD_SEARCH + ZIP64_LOCATOR_SIZE + ZIP64_EOCD_SIZE,
    ));
  }
  if (at < 0) throw await explainMissingEocd(source);
  const eocd = parseEocd(tail, at);
  const eocdOffset = tailStart + at;
  const locatorAt = at - ZIP64_LOCATOR_SIZE;
  const hasLocator =
    eocdOffset >= ZIP64_LOCATOR_SIZE &&
    (locatorAt >= 0
      ? tail.readUInt32LE(locatorAt) === SIG_ZIP64_LOCATOR
      : (await source.read(eocdOffset - ZIP64_LOCATOR_SIZE, 4)).readUInt32LE(0) === SIG_ZIP64_LOCATOR);
  if (!hasLocator) {
    if (needsZip64(eocd)) throw corrupt('The archive needs zip64 records but has none.');
    if (eocd.disk !== 0 || eocd.cdDisk !== 0 || eocd.entriesOnDisk !== eocd.entries) {
      throw corrupt('Multi-volume (split) archives are not supported.');
    }
    return check({
      offset: eocd.cdOffset,
      size: eocd.cdSize,
      entries: eocd.entries,
      end: eocdOffset,
      zip64: false,
      tail: { start: tailStart, bytes: tail },
    });
  }
  const locatorOffset = eocdOffset - ZIP64_LOCATOR_SIZE;
  const locator =
    locatorAt >= 0 ? tail.subarray(locatorAt, at) : await source.read(locatorOffset, ZIP64_LOCATOR_SIZE);
  const recordOffset = Number(locator.readBigUInt64LE(8));
  if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) > 1) {
    throw corrupt('Multi-volume (split) archives are not supported.');
  }
  if (!Number.isSafeInteger(recordOffset) || recordOffset + ZIP64_EOCD_SIZE > locatorOffset) {
    throw corrupt('The zip64 end record lies outside the archive.');
  }
  const record =
    recordOffset >= tailStart
      ? parseZip64Eocd(tail, recordOffset - tailStart)
      : parseZip64Eocd(await source.read(recordOffset, ZIP64_EOCD_SIZE), 0);
  if (recordOffset + 12 + record.recordSize > locatorOffset || record.recordSize < ZIP64_EOCD_SIZE - 12) {
    throw corrupt('The zip64 end record has an impossible size.');
  }
  if (record.disk !== 0 || record.cdDisk !== 0 || record.entriesOnDisk !== record.entries) {
    throw corrupt('Multi-volume (split) archives are not supported.');
  }
  return check({
    offset: record.cdOffset,
    size: record.cdSize,
    entries: record.entries,
    end: recordOffset,
    zip64: true,
    tail: { start: tailStart, bytes: tail },
  });
}

function check(location: CentralDirectoryLocation): CentralDirectoryLocation {
  if (location.offset + location.size > location.end) {
    throw corrupt('The central directory lies outside the archive (truncated or corrupt).');
  }
  if (location.entries * CENTRAL_HEADER_SIZE > location.size) {
    throw corrupt('The archive declares more entries than its central directory can hold.');
  }
  return location;
}
