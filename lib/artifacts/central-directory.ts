/**
 * Reads the central directory in bounded windows and checks every record on its own: encryption, method,
 * name safety, symlinks and declared sizes. Nothing here reads an entry's bytes.
 */
import { InvalidArtifactError } from '../errors.js';
import type { CentralDirectoryLocation } from './end-of-archive.js';
import { decodeEntryName, isJunkPath, normaliseEntryName } from './entry-names.js';
import { type ArtifactLimits, maxRecordsFor } from './limits.js';
import type { ZipSource } from './types.js';
import {
  CENTRAL_HEADER_SIZE,
  type CentralRecord,
  FLAG_ENCRYPTED,
  FLAG_STRONG_ENCRYPTION,
  LOCAL_HEADER_SIZE,
  parseCentralRecord,
} from './zip-records.js';

/**
 * One central directory record, named and checked. A single object per record is filled in as later
 * stages learn more (`limit`, `relative`, `sha256`, `headerSize`) instead of being copied per stage:
 * 100,000 entries must fit the ingest function's memory budget.
 */
export interface ZipEntry {
  /** Position in the central directory. */
  readonly index: number;
  /** Normalised path inside the archive (before wrapper stripping), no leading slash. */
  readonly path: string;
  readonly isDirectory: boolean;
  /** `__MACOSX/` or `.DS_Store`: skipped. */
  readonly junk: boolean;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the local header. */
  readonly offset: number;
  /** The name's bytes as stored, as a latin1 string (compact; compared with the local header's). */
  readonly rawName: string;
  /** The offset the entry must end before (next record or the central directory); set by the checks. */
  limit: number;
  /** Path relative to the artifact root (wrapper stripped); set by the layout. */
  relative: string;
  /** sha256 hex of the content; set by the sequential pass. */
  sha256: string;
  /** Length of the local header; set by the sequential pass. */
  headerSize?: number;
}

/** Central directory bytes read per ranged read. */
const WINDOW_BYTES = 1024 * 1024;
/** Unix file types in the high 16 bits of the external attributes (made by Unix or macOS). */
const UNIX_HOSTS = new Set([3, 19]);
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  9: 'deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'zstd',
  95: 'xz',
  98: 'PPMd',
};

/** Reads and checks every record; throws the first problem in central-directory order. */
export async function readCentralDirectory(
  source: ZipSource,
  location: CentralDirectoryLocation,
  limits: ArtifactLimits,
): Promise<ZipEntry[]> {
  if (location.entries > maxRecordsFor(limits)) {
    throw new InvalidArtifactError(
      'artifact.too-many-files',
      `The archive declares ${location.entries} entries; at most ${limits.maxFiles} files are allowed.`,
    );
  }
  const end = location.offset + location.size;
  let windowStart = location.offset;
  let window: Buffer = Buffer.alloc(0);
  const { tail } = location;
  if (tail !== undefined && location.offset >= tail.start && end <= tail.start + tail.bytes.length) {
    window = tail.bytes.subarray(location.offset - tail.start, end - tail.start);
  }
  let at = 0;
  const entries: ZipEntry[] = [];
  for (let index = 0; index < location.entries; index += 1) {
    const needed = recordLength(window, at);
    if (needed === undefined || at + needed > window.length) {
      windowStart += at;
      const length = Math.min(Math.max(WINDOW_BYTES, needed ?? 0), end - windowStart);
      window = length > 0 ? await source.read(windowStart, length) : Buffer.alloc(0);
      at = 0;
    }
    const record = parseCentralRecord(window, at, window.length);
    at += record.length;
    entries.push(checkRecord(record, index, limits, location.offset));
  }
  return entries;
}

/** The full length of the record at `at`, or undefined when its fixed part is not in `window` yet. */
function recordLength(window: Buffer, at: number): number | undefined {
  if (at + CENTRAL_HEADER_SIZE > window.length) return undefined;
  return (
    CENTRAL_HEADER_SIZE +
    window.readUInt16LE(at + 28) +
    window.readUInt16LE(at + 30) +
    window.readUInt16LE(at + 32)
  );
}

function checkRecord(
  record: CentralRecord,
  index: number,
  limits: ArtifactLimits,
  cdOffset: number,
): ZipEntry {
  const { path, isDirectory: slashDirectory } = normaliseEntryName(decodeEntryName(record), limits);
  const entry = `/${path}`;
  const fail = (code: ArtifactCode, message: string) => invalid(code, message, entry);
  if (record.diskStart !== 0)
    throw fail('artifact.corrupt', 'The entry lives on another volume of a split archive.');
  if ((record.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0 || record.method === 99) {
    throw fail('artifact.encrypted', `The entry ${entry} is encrypted.`);
  }
  if (record.method !== 0 && record.method !== 8) {
    const label = METHOD_NAMES[record.method] ?? 'unknown';
    throw fail(
      'artifact.unsupported-method',
      `The entry ${entry} uses compression method ${record.method} (${label}); only stored and deflate are supported.`,
    );
  }
  const host = record.versionMadeBy >> 8;
  const fileType = (record.externalAttributes >>> 16) & S_IFMT;
  if (UNIX_HOSTS.has(host) && fileType === S_IFLNK) {
    throw fail('artifact.symlink', `The entry ${entry} is a symbolic link.`);
  }
  const isDirectory = slashDirectory || (UNIX_HOSTS.has(host) && fileType === S_IFDIR);
  if (isDirectory && (record.size !== 0 || record.compressedSize > 2)) {
    throw fail('artifact.corrupt', `The directory entry ${entry} has data.`);
  }
  if (record.method === 0 && record.compressedSize !== record.size) {
    throw fail('artifact.corrupt', `The stored entry ${entry} declares different compressed and real sizes.`);
  }
  if (record.offset + LOCAL_HEADER_SIZE + record.rawName.length + record.compressedSize > cdOffset) {
    throw fail('artifact.corrupt', `The entry ${entry} runs into the central directory.`);
  }
  const junk = isJunkPath(path);
  if (!isDirectory && !junk) checkSizes(record, entry, limits);
  return {
    index,
    path,
    isDirectory,
    junk,
    flags: record.flags,
    method: record.method,
    crc32: record.crc32,
    compressedSize: record.compressedSize,
    size: record.size,
    offset: record.offset,
    rawName: record.rawName.toString('latin1'),
    limit: 0,
    relative: path,
    sha256: '',
  };
}

/** Size and ratio bounds of one kept file, on its declared sizes. */
function checkSizes(record: CentralRecord, entry: string, limits: ArtifactLimits): void {
  if (record.size > limits.maxFileBytes) {
    throw invalid(
      'artifact.file-too-large',
      `The file ${entry} is ${record.size} bytes; files may be at most ${limits.maxFileBytes} bytes.`,
      entry,
    );
  }
  if (
    record.size >= limits.ratioMinBytes &&
    record.size > record.compressedSize * limits.maxCompressionRatio
  ) {
    const ratio = Math.round(record.size / Math.max(1, record.compressedSize));
    throw invalid(
      'artifact.bomb-ratio',
      `The file ${entry} expands ${ratio}:1; at most ${limits.maxCompressionRatio}:1 is allowed.`,
      entry,
    );
  }
}

type ArtifactCode = ConstructorParameters<typeof InvalidArtifactError>[0];

const invalid = (code: ArtifactCode, message: string, entry: string): InvalidArtifactError =>
  new InvalidArtifactError(code, message, { entry });
