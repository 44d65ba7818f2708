/**
 * What must hold for every artifact the reader accepts, checked independently of how the reader works:
 * safe, unique, normalised paths; hashes, types and sizes of the right shape; entry locations inside the
 * archive and disjoint (overlapping entries must never be accepted); totals that add up; limits kept.
 */

import { DEFAULT_LIMITS } from '../../lib/artifacts/limits.js';
import type { Artifact, EntryLocation } from '../../lib/artifacts/types.js';
import { MODULE_CONTENT_TYPES } from '../../lib/assets/content-type.js';

const CONTROL = /\p{Cc}/u;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const HASH = /^[0-9a-f]{32}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MODULE_TYPES = new Set(MODULE_CONTENT_TYPES.values());

/** Why `path` (with a leading slash) is not a safe normalised archive path, or undefined when it is. */
function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'does not start with /';
  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    return 'has an empty, . or .. segment';
  if (path.includes('\\')) return 'has a backslash';
  if (CONTROL.test(path) || BIDI.test(path)) return 'has a control or bidi character';
  if (path.normalize('NFC') !== path) return 'is not NFC';
  if (Buffer.byteLength(path) > DEFAULT_LIMITS.maxPathBytes + 1) return 'is longer than the path limit';
  if (segments.some((segment) => Buffer.byteLength(segment) > DEFAULT_LIMITS.maxSegmentBytes))
    return 'has a segment longer than the limit';
  return undefined;
}

function locationProblem(location: EntryLocation, archiveSize: number): string | undefined {
  const { offset, compressedSize, size, headerSize } = location;
  if (![offset, compressedSize, size].every(Number.isSafeInteger)) return 'has a non-integer field';
  if (headerSize === undefined || headerSize < 30) return 'has no local header size';
  if (offset < 0 || offset + headerSize + compressedSize > archiveSize) return 'lies outside the archive';
  if (location.method !== 0 && location.method !== 8) return `has method ${location.method}`;
  if (location.method === 0 && compressedSize !== size) return 'is stored with two sizes';
  if (size > DEFAULT_LIMITS.maxFileBytes) return 'is larger than the file limit';
  return undefined;
}

/** The first broken invariant of an accepted artifact, or undefined. */
export function artifactProblem(artifact: Artifact, archiveSize: number): string | undefined {
  const paths = new Set<string>();
  for (const entry of artifact.entries) {
    const problem = pathProblem(entry.path);
    if (problem !== undefined) return `entry ${JSON.stringify(entry.path)} ${problem}`;
    if (paths.has(entry.path)) return `entry ${entry.path} appears twice`;
    if (!SHA256.test(entry.sha256)) return `entry ${entry.path} has no sha256`;
    paths.add(entry.path);
  }
  for (const path of paths) {
    for (let slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
      if (paths.has(path.slice(0, slash))) return `${path.slice(0, slash)} is a file and a directory`;
    }
  }
  if (artifact.entries.length > DEFAULT_LIMITS.maxFiles) return 'more files than the limit';
  const total = artifact.entries.reduce((sum, entry) => sum + entry.size, 0);
  if (total !== artifact.stats.totalUncompressed) return 'stats.totalUncompressed disagrees with the entries';
  if (total > DEFAULT_LIMITS.maxTotalBytes) return 'more bytes than the total limit';
  const located: EntryLocation[] = [];
  for (const asset of artifact.assets) {
    const problem = pathProblem(asset.path) ?? locationProblem(asset.location, archiveSize);
    if (problem !== undefined) return `asset ${JSON.stringify(asset.path)} ${problem}`;
    if (!HASH.test(asset.hash)) return `asset ${asset.path} has a malformed hash`;
    if (asset.contentType !== null && typeof asset.contentType !== 'string')
      return `asset ${asset.path} has a content type of type ${typeof asset.contentType}`;
    if (asset.size !== asset.location.size) return `asset ${asset.path} has two sizes`;
    located.push(asset.location);
  }
  for (const module of artifact.modules) {
    const problem = pathProblem(`/${module.name}`) ?? locationProblem(module.location, archiveSize);
    if (problem !== undefined) return `module ${JSON.stringify(module.name)} ${problem}`;
    if (!MODULE_TYPES.has(module.contentType))
      return `module ${module.name} has content type ${String(module.contentType)} (${typeof module.contentType})`;
    located.push(module.location);
  }
  const main = artifact.config.mainModule;
  if (main !== undefined && artifact.modules[0]?.name !== main)
    return 'the main module is not the first module';
  return overlapProblem(located);
}

/** Distinct locations must not share bytes (the same location twice is fine: one file, two roles). */
function overlapProblem(locations: EntryLocation[]): string | undefined {
  const sorted = [...new Map(locations.map((location) => [location.offset, location])).values()].sort(
    (a, b) => a.offset - b.offset,
  );
  for (let i = 1; i < sorted.length; i += 1) {
    const [before, after] = [sorted[i - 1], sorted[i]] as [EntryLocation, EntryLocation];
    if (before.offset + (before.headerSize ?? 30) + before.compressedSize > after.offset)
      return `the entries at offsets ${before.offset} and ${after.offset} overlap`;
  }
  return undefined;
}
