/**
 * Turns one entry's compressed bytes into its verified content: the local header must agree with the
 * central directory, inflate output is capped at the declared size + 1 (so a lying size is caught before
 * the extra bytes exist), and the size and CRC-32 must match.
 */
import { promisify } from 'node:util';
import { crc32, inflateRaw, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { InvalidArtifactError } from '../errors.js';
import type { EntryLocation } from './types.js';
import {
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  LOCAL_HEADER_SIZE,
  type LocalHeader,
  parseLocalHeader,
  resolveLocalSizes,
} from './zip-records.js';

type InflateResult = { buffer: Buffer; engine: { bytesWritten: number } };
const inflateRawAsync = promisify(inflateRaw) as unknown as (
  data: Buffer,
  options: ZlibOptions & { info: true },
) => Promise<InflateResult>;

/** Below this compressed size, inflating on the main thread beats a thread-pool round trip. */
const SYNC_INFLATE_BYTES = 16 * 1024;
/**
 * Inflate output chunks: one chunk per entry up to 1 MiB, so big entries need few thread-pool round trips,
 * sized to the entry (zlib's minimum is 64 bytes): a 500-byte file's output then comes from Node's buffer
 * pool instead of a 16 KiB allocation of its own (small-file ingest -12 MiB RSS, README "Benchmarks").
 */
const MIN_CHUNK_BYTES = 64;
const MAX_CHUNK_BYTES = 1024 * 1024;

const corrupt = (message: string, entry: string | undefined) =>
  new InvalidArtifactError('artifact.corrupt', message, entry === undefined ? {} : { entry });

/** What the central directory says about an entry, plus its raw name when known (for the name check). */
export interface ExpectedEntry extends Omit<EntryLocation, 'method'> {
  /** 0 (stored) or 8 (deflate): other methods are refused on the central directory. */
  method: number;
  /** The stored name bytes as a latin1 string, when known (compared with the local header's). */
  rawName?: string;
  path?: string;
}

/**
 * Checks the local header in `header` (at least 30 bytes; more once the lengths are known) and returns
 * its full length (30 + name + extra), or undefined when `header` is too short to tell.
 */
export function checkLocalHeader(header: Buffer, expected: ExpectedEntry): number | undefined {
  const local = parseLocalHeader(header);
  const entry = expected.path === undefined ? undefined : `/${expected.path}`;
  if (local === undefined) {
    if (header.length < LOCAL_HEADER_SIZE) return undefined;
    throw corrupt(`No local header where the central directory puts ${entry ?? 'an entry'}.`, entry);
  }
  const length = LOCAL_HEADER_SIZE + local.nameLength + local.extraLength;
  if (header.length < length) return undefined;
  if (expected.headerSize !== undefined && expected.headerSize !== length) {
    throw corrupt(`The local header of ${entry ?? 'an entry'} changed since the archive was read.`, entry);
  }
  const name = header.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + local.nameLength);
  if (expected.rawName !== undefined && name.toString('latin1') !== expected.rawName) {
    throw corrupt(`The local and central names of ${entry} differ.`, entry);
  }
  if (local.method !== expected.method || (local.flags & FLAG_ENCRYPTED) !== 0) {
    throw corrupt(`The local header of ${entry ?? 'an entry'} disagrees with the central directory.`, entry);
  }
  if ((local.flags & FLAG_DATA_DESCRIPTOR) === 0) checkLocalSizes(local, header, expected, entry);
  return length;
}

/** Without a data descriptor the local header carries the CRC and sizes itself; they must agree. */
function checkLocalSizes(
  local: LocalHeader,
  header: Buffer,
  expected: ExpectedEntry,
  entry: string | undefined,
) {
  const extraStart = LOCAL_HEADER_SIZE + local.nameLength;
  const sizes = resolveLocalSizes(local, header.subarray(extraStart, extraStart + local.extraLength));
  if (
    local.crc32 !== expected.crc32 ||
    sizes.size !== expected.size ||
    sizes.compressedSize !== expected.compressedSize
  ) {
    throw corrupt(`The local header of ${entry ?? 'an entry'} disagrees with the central directory.`, entry);
  }
}

/** The inflate output chunk size for an entry of `size` bytes. */
export const inflateChunkSize = (size: number): number =>
  Math.min(Math.max(MIN_CHUNK_BYTES, size + 1), MAX_CHUNK_BYTES);

const inflateOptions = (expected: ExpectedEntry) =>
  ({
    // The cap is the declared size + 1: one byte more than declared proves the size lies (a bomb), and no
    // more than that is ever produced.
    maxOutputLength: expected.size + 1,
    chunkSize: inflateChunkSize(expected.size),
    info: true,
  }) as const;

/** True when {@link decodeEntrySync} is the cheaper way to decode (stored, or small enough to inflate here). */
export const decodesInline = (expected: ExpectedEntry): boolean =>
  expected.method !== 8 || expected.compressedSize < SYNC_INFLATE_BYTES;

/** Inflates (or takes) `compressed` on this thread and verifies size and CRC-32; `expected.path` names errors. */
export function decodeEntrySync(compressed: Buffer, expected: ExpectedEntry): Buffer {
  if (expected.method !== 8) return verifyContent(compressed, expected);
  let result: InflateResult;
  try {
    result = inflateRawSync(compressed, inflateOptions(expected)) as unknown as InflateResult;
  } catch (error) {
    throw inflateError(error, expected, entryName(expected));
  }
  return verifyInflated(result, compressed, expected);
}

/** {@link decodeEntrySync}, with larger entries inflated on the thread pool. */
export async function decodeEntry(compressed: Buffer, expected: ExpectedEntry): Promise<Buffer> {
  if (decodesInline(expected)) return decodeEntrySync(compressed, expected);
  let result: InflateResult;
  try {
    result = await inflateRawAsync(compressed, inflateOptions(expected));
  } catch (error) {
    throw inflateError(error, expected, entryName(expected));
  }
  return verifyInflated(result, compressed, expected);
}

const entryName = (expected: ExpectedEntry): string | undefined =>
  expected.path === undefined ? undefined : `/${expected.path}`;

function verifyInflated(result: InflateResult, compressed: Buffer, expected: ExpectedEntry): Buffer {
  if (result.engine.bytesWritten !== compressed.length) {
    const entry = entryName(expected);
    throw corrupt(`The compressed data of ${entry ?? 'an entry'} ends before its declared size.`, entry);
  }
  return verifyContent(result.buffer, expected);
}

function verifyContent(content: Buffer, expected: ExpectedEntry): Buffer {
  if (content.length !== expected.size) {
    const entry = entryName(expected);
    if (content.length > expected.size) throw bomb(expected, entry);
    throw corrupt(`${entry ?? 'An entry'} is shorter than its declared size.`, entry);
  }
  if (crc32(content) >>> 0 !== expected.crc32) {
    const entry = entryName(expected);
    throw corrupt(`The CRC-32 of ${entry ?? 'an entry'} does not match: the data is damaged.`, entry);
  }
  return content;
}

function inflateError(
  error: unknown,
  expected: ExpectedEntry,
  entry: string | undefined,
): InvalidArtifactError {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return bomb(expected, entry);
  const reason = code === 'Z_BUF_ERROR' ? 'is truncated' : 'is not valid deflate data';
  return new InvalidArtifactError(
    'artifact.corrupt',
    `The compressed data of ${entry ?? 'an entry'} ${reason}.`,
    {
      ...(entry === undefined ? {} : { entry }),
      cause: error,
    },
  );
}

const bomb = (expected: ExpectedEntry, entry: string | undefined) =>
  new InvalidArtifactError(
    'artifact.bomb-ratio',
    `${entry ?? 'An entry'} inflates beyond its declared ${expected.size} bytes; inflation was stopped.`,
    entry === undefined ? {} : { entry },
  );
